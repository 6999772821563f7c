"""docs/theory.md §2b: the exact worst case of one SGD step on a finite sum (this project's result).

Problem: FS(L, mu, sigma_*^2) with mu < L; one step y_1 = y_0 - eta grad f_i(x_0), i uniform;
any eta > 0 and ||y_0||^2 = r > 0 (r = 0 is trivial: E||y_1||^2 = eta^2 sigma_*^2).  Write
u_i = grad f_i(x_0) - grad f_i(x*), s_i = grad f_i(x*), and the averaged Gram entries
p = E<u_i, y_0>, U = E||u_i||^2, X = E<u_i, s_i>, Z = E<s_i, y_0>, sigma_*^2 = E||s_i||^2.
Facts: E||y_1||^2 = r - 2 eta (p + Z) + eta^2 (U + 2 X + sigma_*^2) (expand); Z = 0 (the s_i
average to grad f(x*) = 0); p >= a r + b U with a = mu L/(mu + L), b = 1/(mu + L) (each f_i is
mu-strongly convex and L-smooth: the two-point interpolation inequality, averaged).

Certificate (S-lemma): for every D > 0, with lambda = (mu + L)(D + eta^2),
    tau r + kappa sigma_*^2 - E||y_1||^2 = lambda (p - a r - b U) + nu Z
                                           + (1/D) E||(eta - lambda/2) y_0 + D u_i - eta^2 s_i||^2,
    tau = 1 - lambda a + (lambda - 2 eta)^2 / (4 D),  kappa = eta^2 + eta^4 / D,
    nu = 2 eta + (2 eta - lambda) eta^2 / D;
the best D is D* = 2 eta S / ((L - mu) r), S = sqrt((2 - eta (mu + L))^2 r^2 / 4 + eta^2 sigma_*^2 r),
where tau r + kappa sigma_*^2 equals the bound.  mu = L follows by continuity: an instance of
FS(mu, mu) is an instance of FS(mu, L') for every L' > mu, and the bound is continuous in L'.
Tightness (two quadratic components attain it) is checked in tests/test_bounds.py.
"""

import sympy as sp

from autodrop_theory import symbols as S
from autodrop_theory.bounds import SGD_ONE_STEP_FINITE_SUM
from proofs.checker import Fact, Proof, Square, Step

eta, mu, L, s2, r0 = S.lr, S.mu, S.L, S.sigma_star_sq, S.r0_sq
r = sp.Symbol("r0_sq", positive=True)          # r > 0 in this proof
p, X, Z = sp.symbols("p X Z", real=True)
U, Y1 = sp.symbols("U Y_1", nonnegative=True)
Sroot = sp.Symbol("S", positive=True)
S_def = (2 - eta * (mu + L)) ** 2 * r ** 2 / 4 + eta ** 2 * s2 * r

a, b = mu * L / (mu + L), 1 / (mu + L)
D = 2 * eta * Sroot / ((L - mu) * r)
lam = (mu + L) * (D + eta ** 2)
tau = 1 - lam * a + (lam - 2 * eta) ** 2 / (4 * D)
kappa = eta ** 2 + eta ** 4 / D
nu = 2 * eta + (2 * eta - lam) * eta ** 2 / D
W = SGD_ONE_STEP_FINITE_SUM.expr.subs({r0: r}).subs(sp.sqrt(S_def), Sroot)

PROOF = Proof(
    name="sgd_one_step_finite_sum",
    title="One SGD step on a finite sum: the exact worst case (docs/theory.md §2b)",
    lhs=Y1, relation="<=", rhs=W,
    gram=((r, p, Z), (p, U, X), (Z, X, s2)),
    reductions=((Sroot, Sroot ** 2 - S_def),),
    facts=(
        Fact("expansion", Y1 - (r - 2 * eta * (p + Z) + eta ** 2 * (U + 2 * X + s2)), "eq",
             "expand E||y_0 - eta (u_i + s_i)||^2", role="model"),
        Fact("mean_zero", Z, "eq", "E<s_i, y_0> = <grad f(x*), y_0> = 0", role="model"),
        Fact("interpolation", p - a * r - b * U, "ge",
             "<u_i, y_0> >= mu L/(mu+L) ||y_0||^2 + ||u_i||^2/(mu+L) for each f_i, averaged"),
        Fact("mu_lt_L", L - mu, "ge", "mu < L (mu = L by continuity, see the docstring)",
             role="hypothesis"),
    ),
    nonneg=("mu_lt_L",),
    steps=(
        Step(r - 2 * eta * (p + Z) + eta ** 2 * (U + 2 * X + s2), "=", "expand the square",
             (("expansion", 1),)),
        Step(tau * r + kappa * s2, "<=",
             "S-lemma certificate: interpolation x lambda, mean-zero x nu, one square x 1/D*",
             (("interpolation", lam), ("mean_zero", nu),
              (Square(((2 * eta - lam) / 2, D, -eta ** 2)), 1 / D))),
        Step(W, "=", "at D = D*, tau r + kappa sigma_*^2 equals the bound (S^2 = its square)"),
    ),
    reference="This project (docs/theory.md §2b); two-point interpolation for F_{mu,L} (Taylor, "
              "Hendrickx, Glineur 2017) and the S-lemma.",
    assumptions=(S.Gt(mu, 0), S.Lt(mu, L), S.Gt(eta, 0), S.Ge(s2, 0), S.Gt(r, 0)),
    bound="SGD_ONE_STEP_FINITE_SUM",
    bound_subs=((Sroot, sp.sqrt(S_def.subs(r, r0))), (r, r0)),
)
