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
where tau r + kappa sigma_*^2 equals the bound.  The two edges of the bound's conditions that
the certificate cannot reach (it divides by L - mu and by r) have their own proofs:
``sgd_one_step_finite_sum_equal`` (mu = L: every f_i has gradient differences mu (x - x*), so
the step is exact) and ``sgd_one_step_finite_sum_origin`` (r = 0: x_0 = x*).  Together the
three cover every point of SGD_ONE_STEP_FINITE_SUM's conditions (tests/test_proofs.py checks
that the bound's conditions are the main proof's assumptions with mu <= L and r >= 0 made
strict, and each edge proof's assumptions are the conditions at the edge).
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


# ------------------------------------------------------------------ the edges mu = L and r = 0
_expansion = Fact("expansion", Y1 - (r0 - 2 * eta * (p + Z) + eta ** 2 * (U + 2 * X + s2)), "eq",
                  "expand E||y_0 - eta (u_i + s_i)||^2", role="model")
_mean_zero = Fact("mean_zero", Z, "eq", "E<s_i, y_0> = <grad f(x*), y_0> = 0", role="model")
_at_edge = SGD_ONE_STEP_FINITE_SUM.expr.subs(L, mu)       # sqrt(...) is multiplied by L - mu = 0

EQUAL = Proof(
    name="sgd_one_step_finite_sum_equal",
    title="One SGD step on a finite sum with mu = L: the bound is attained by every instance",
    lhs=Y1, relation="<=", rhs=_at_edge,
    facts=(
        _expansion, _mean_zero,
        Fact("p_equal", p - mu * r0, "eq", "mu = L: u_i = mu y_0 (every f_i is mu-strongly "
             "convex and mu-smooth, so grad f_i(x) - grad f_i(x*) = mu (x - x*)): E<u_i, y_0> = "
             "mu ||y_0||^2", role="lemma"),
        Fact("U_equal", U - mu ** 2 * r0, "eq", "mu = L: E||u_i||^2 = mu^2 ||y_0||^2",
             role="lemma"),
        Fact("X_equal", X - mu * Z, "eq", "mu = L: E<u_i, s_i> = mu E<y_0, s_i>", role="lemma"),
    ),
    steps=(
        Step(r0 - 2 * eta * (p + Z) + eta ** 2 * (U + 2 * X + s2), "=", "expand the square",
             (("expansion", 1),)),
        Step((1 - eta * mu) ** 2 * r0 + eta ** 2 * s2, "=",
             "u_i = mu y_0 and E<s_i, y_0> = 0",
             (("p_equal", -2 * eta), ("U_equal", eta ** 2), ("X_equal", 2 * eta ** 2),
              ("mean_zero", -2 * eta + 2 * eta ** 2 * mu))),
        Step(_at_edge, "=", "the bound at L = mu"),
    ),
    reference="This project (docs/theory.md §2b), the edge mu = L of SGD_ONE_STEP_FINITE_SUM.",
    assumptions=(S.Gt(mu, 0), S.Gt(eta, 0), S.Ge(s2, 0), S.Ge(r0, 0)),
)

ORIGIN = Proof(
    name="sgd_one_step_finite_sum_origin",
    title="One SGD step on a finite sum from x_0 = x*: E||y_1||^2 = eta^2 sigma_*^2",
    lhs=Y1, relation="<=", rhs=SGD_ONE_STEP_FINITE_SUM.expr.subs(r0, 0),
    facts=(
        Fact("expansion", Y1 - (-2 * eta * (p + Z) + eta ** 2 * (U + 2 * X + s2)), "eq",
             "expand E||y_0 - eta (u_i + s_i)||^2 at ||y_0||^2 = 0", role="model"),
        _mean_zero,
        Fact("p_zero", p, "eq", "y_0 = 0: E<u_i, y_0> = 0", role="definition"),
        Fact("u_zero", U, "eq", "x_0 = x*: u_i = grad f_i(x*) - grad f_i(x*) = 0",
             role="definition"),
        Fact("X_zero", X, "eq", "u_i = 0: E<u_i, s_i> = 0", role="definition"),
    ),
    steps=(
        Step(-2 * eta * (p + Z) + eta ** 2 * (U + 2 * X + s2), "=", "expand the square",
             (("expansion", 1),)),
        Step(eta ** 2 * s2, "=", "u_i = 0 and y_0 = 0",
             (("p_zero", -2 * eta), ("mean_zero", -2 * eta), ("u_zero", eta ** 2),
              ("X_zero", 2 * eta ** 2))),
        Step(SGD_ONE_STEP_FINITE_SUM.expr.subs(r0, 0), "=", "the bound at r = 0"),
    ),
    reference="This project (docs/theory.md §2b), the edge r = 0 of SGD_ONE_STEP_FINITE_SUM.",
    assumptions=(S.Gt(mu, 0), S.Le(mu, L), S.Gt(eta, 0), S.Ge(s2, 0)),
)

PROOFS = (PROOF, EQUAL, ORIGIN)
