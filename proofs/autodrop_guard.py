"""docs/theory.md §4f: AutoDrop with the 90-degree guard attains O(1/T) on the isotropic quadratic.

Problem: the quadratic model Q with identical coordinates (h_i = h = mu = L, c_i = c, sigma^2 =
d c), epochs of K steps, stage k at eta_k = eta_0 rho^k with 0 < eta_0 h <= 1, 0 < rho < 1.
Per coordinate, a_k = 1 - eta_k h, alpha_k = a_k^K, v_k = eta_k c/(h (2 - eta_k h)) (2c),
F_k = (1 + alpha_k)/alpha_k (4c).

Algorithm (the guarded rule, idealised in expectation): within a stage, drop at the first epoch
boundary where the deterministic-equivalent angle between two displacements of the stage is at
least 90 degrees, then wait for nothing (the saturation trigger is assumed to have fired; a
longer wait only lengthens stages).  By ``certificate_isotropic`` the guard passes at boundary
n + 1 exactly when P_{n-1} <= F_k v_k; the drop then happens two epochs later than the
certified P.

Theorems:
- ``guard_drop_error``: at a drop, P <= F_k v_k.
- ``guard_stage_ratio``: at the start of stage k >= 1, alpha_k p_k / v_k <= 2 Fbar / rho, with
  Fbar = 1 + 1/alpha_0 >= F_k for every k.
- ``guard_time``: T - T_0' - 3 K J <= l_B / (2 h (1 - rho) eta_J), l_B = ln(2 Fbar/rho), where T
  counts the steps to the end of stage J >= 1 and T_0' those of stage 0.
- ``autodrop_guard_rate``: E||X||^2 / d = P <= F_J l_B c / (2 (1 - rho) h^2 (T - T_0' - 3 K J))
  at the end of stage J: summed over coordinates, E||X||^2 <= C_J sigma^2 / (mu^2 (T - T_0' - 3KJ))
  with C_J = F_J ln(2 Fbar / rho) / (2 (1 - rho)), F_J = 1 + (1 - eta_J h)^{-K} -> 2 as J grows,
  so C_J -> ln(2 Fbar / rho) / (1 - rho); since J = O(log T), this is O(1/T).

In expectation only: at finite d the empirical angle scatters by O(1/sqrt(d)) degrees (4e) while
the stationary angle tends to 90 degrees as eta_k -> 0 (4a with alpha -> 1), so a real guard at
exactly 90 degrees eventually passes by noise and drops cascade (seen in simulation at d = 200);
the package's ``autodrop`` therefore makes every stage at least ``stage_growth`` times the one
before (docs/theory.md §10; the previous defaults kept a rate floor).  At eta_0 h = 1 the bound is
vacuous: alpha_0 = 0, so Fbar and l_B are infinite.  tests/test_guard_rate.py runs the
idealised rule's exact recursion and checks the bound and the 1/T rate.

Lemmas stated with reasons, not machine-checked: a stage lasts at most
ln(alpha_k p_k/v_k)/(2 K ln(1/alpha_k)) + 3 epochs (the guard passes once
alpha_k^{2j} (p_k - v_k) <= v_k / alpha_k) and ln(1/alpha_k) >= K eta_k h (-ln(1 - x) >= x);
F_k <= Fbar (alpha_k >= alpha_0 as eta_k <= eta_0); P_{n+2} = v + alpha^4 (P_n - v) (2c over 2K
steps, ``stationary_variance``).  Open for anisotropic spectra: the guard certifies only the
w-weighted error (``certificate_anisotropic``); turning that into a bound on the plain error
costs max_i 1/w_i, which is unbounded as alpha_i -> 0 (stiff coordinates), so the anisotropic
rate holds with C multiplied by sum_i (1 - alpha_i) q_i / (min_i w_i sum_i v_i) (angular.certificate
"plain") at each stage, and we have no stage-uniform bound on that factor.
"""

import sympy as sp

from autodrop_theory import symbols as S
from proofs.checker import Fact, Proof, Step
from proofs.geometric_sums import G, n as n_geo

h = sp.Symbol("h", positive=True)
c = S.c
K = S.K
eta, eta0, rho = sp.Symbol("eta", positive=True), S.lr, S.rho
Pj, P2, p_k = sp.symbols("P_n P_drop p_k", nonnegative=True)


def alpha(rate):
    return (1 - rate * h) ** K


def v(rate):
    return rate * c / (h * (2 - rate * h))


def F(rate):
    return (1 + alpha(rate)) / alpha(rate)


STAGE = (S.Gt(h, 0), S.Gt(eta, 0), S.Lt(eta * h, 1), S.Ge(c, 0))   # eta h = 1: alpha = 0

DROP_ERROR = Proof(
    name="guard_drop_error",
    title="At a guarded drop the error is within F = (1 + alpha)/alpha of the floor",
    lhs=P2, relation="<=", rhs=F(eta) * v(eta),
    facts=(
        Fact("two_epochs", P2 - (v(eta) + alpha(eta) ** 4 * (Pj - v(eta))), "eq",
             "2c over the two epochs between the certified P_n and the drop", role="model"),
        Fact("guard", F(eta) * v(eta) - Pj, "ge",
             "the guard passed: E<s_{n+1}, s_n> <= 0 iff P_n <= F v (certificate_isotropic)"),
        Fact("step", 1 - eta * h, "ge", "eta h <= 1", role="hypothesis"),
        Fact("contraction", 1 - alpha(eta) ** 4, "ge", "0 <= 1 - eta h <= 1"),
    ),
    nonneg=("step", "contraction"),
    steps=(
        Step(v(eta) + alpha(eta) ** 4 * (Pj - v(eta)), "=", "two epochs of 2c",
             (("two_epochs", 1),)),
        Step(v(eta) + alpha(eta) ** 4 * (F(eta) * v(eta) - v(eta)), "<=", "the guard",
             (("guard", alpha(eta) ** 4),)),
        Step(v(eta) + v(eta) / alpha(eta), "<=", "alpha^4 <= 1 (F - 1 = 1/alpha)",
             residual=(1 - alpha(eta) ** 4) * v(eta) / alpha(eta)),
        Step(F(eta) * v(eta), "=", "collect"),
    ),
    reference="This project (docs/theory.md §4f).",
    assumptions=STAGE,
)

Fbar = sp.Symbol("Fbar", positive=True)
STAGE_RATIO = Proof(
    name="guard_stage_ratio",
    title="alpha_k p_k / v_k <= 2 Fbar / rho at the start of stage k >= 1",
    lhs=alpha(rho * eta) * p_k / v(rho * eta), relation="<=", rhs=2 * Fbar / rho,
    facts=(
        Fact("previous_drop", F(eta) * v(eta) - p_k, "ge", "guard_drop_error at stage k - 1",
             cites="guard_drop_error", cite_subs=((P2, p_k),)),
        Fact("Fbar", Fbar - F(eta), "ge", "F_{k-1} <= Fbar: alpha_{k-1} >= alpha_0"),
        Fact("step", 1 - eta * h, "ge", "eta_{k-1} h <= eta_0 h <= 1", role="hypothesis"),
        Fact("step_k", 1 - rho * eta * h, "ge", "eta_k h <= eta_{k-1} h <= 1", role="hypothesis"),
        Fact("rho_lt_1", 1 - rho, "ge", "rho < 1", role="hypothesis"),
        Fact("alpha_le_1", 1 - alpha(rho * eta), "ge", "0 <= 1 - eta_k h <= 1"),
    ),
    nonneg=("step", "step_k", "rho_lt_1", "alpha_le_1"),
    steps=(
        Step(alpha(rho * eta) * F(eta) * v(eta) / v(rho * eta), "<=", "previous drop",
             (("previous_drop", alpha(rho * eta) / v(rho * eta)),)),
        Step(F(eta) * v(eta) / v(rho * eta), "<=", "alpha_k <= 1",
             residual=(1 - alpha(rho * eta)) * F(eta) * v(eta) / v(rho * eta)),
        Step(Fbar * v(eta) / v(rho * eta), "<=", "F_{k-1} <= Fbar",
             (("Fbar", v(eta) / v(rho * eta)),)),
        Step(Fbar * (2 - rho * eta * h) / (rho * (2 - eta * h)), "=", "v_{k-1}/v_k"),
        Step(2 * Fbar / rho, "<=", "2 - rho eta h <= 2 (2 - eta h) as eta h <= 1",
             residual=Fbar / rho * (2 * (1 - eta * h) + rho * eta * h) / (2 - eta * h)),
    ),
    reference="This project (docs/theory.md §4f).",
    assumptions=(S.Gt(h, 0), S.Gt(eta, 0), S.Lt(eta * h, 1), S.Gt(c, 0),   # c > 0: v_k > 0
                 S.Gt(rho, 0), S.Lt(rho, 1)),
)

T, T0p = sp.Symbol("T", positive=True), sp.Symbol("T_0'", nonnegative=True)
J = sp.Symbol("J", integer=True, positive=True)
ellB = sp.Symbol("ell_B", positive=True)          # ln(2 Fbar / rho)
eta_J = eta0 * rho ** J
TIME = Proof(
    name="guard_time",
    title="T - T_0' - 3 K J <= l_B / (2 h (1 - rho) eta_J)",
    lhs=T - T0p - 3 * K * J, relation="<=", rhs=ellB / (2 * h * (1 - rho) * eta_J),
    facts=(
        Fact("lengths", ellB / (2 * h * eta0) * G(J) + 3 * K * J - (T - T0p), "ge",
             "stage k >= 1 lasts at most l_B/(2 h eta_k) + 3 K steps (guard_stage_ratio, "
             "ln(1/alpha_k) >= K eta_k h); 1/eta_k = rho^{-k}/eta_0 summed over k = 1..J"),
        Fact("geometric", (rho ** (-J) - 1) - (1 - rho) * G(J), "eq", "geometric_sum at n = J",
             cites="geometric_sum", cite_subs=((n_geo, J),)),
        Fact("rho_lt_1", 1 - rho, "ge", "rho < 1", role="hypothesis"),
    ),
    nonneg=("rho_lt_1",),
    steps=(
        Step(ellB / (2 * h * eta0) * G(J), "<=", "sum of the stage lengths",
             (("lengths", 1),)),
        Step(ellB / (2 * h * eta0) * (rho ** (-J) - 1) / (1 - rho), "=", "geometric sum",
             (("geometric", -ellB / (2 * h * eta0 * (1 - rho))),)),
        Step(ellB / (2 * h * eta0) * rho ** (-J) / (1 - rho), "<=", "drop -1",
             residual=ellB / (2 * h * eta0 * (1 - rho))),
        Step(ellB / (2 * h * (1 - rho) * eta_J), "=", "eta_J = eta_0 rho^J"),
    ),
    reference="This project (docs/theory.md §4f).",
    assumptions=(S.Gt(h, 0), S.Gt(eta0, 0), S.Gt(rho, 0), S.Lt(rho, 1)),
)

P_end = sp.Symbol("P_end", nonnegative=True)
budget = T - T0p - 3 * K * J
_c_time = ellB / (2 * h * (1 - rho))
RATE = Proof(
    name="autodrop_guard_rate",
    title="Guarded AutoDrop: O(1/T) on the isotropic quadratic (docs/theory.md §4f)",
    lhs=P_end, relation="<=",
    rhs=F(eta_J) * ellB * c / (2 * (1 - rho) * h ** 2 * budget),
    facts=(
        Fact("drop", F(eta_J) * v(eta_J) - P_end, "ge", "guard_drop_error at stage J",
             cites="guard_drop_error", cite_subs=((P2, P_end), (eta, eta_J))),
        Fact("floor", eta_J * c / h - v(eta_J), "ge", "2 - eta_J h >= 1, so v_J <= eta_J c / h"),
        Fact("time", _c_time / eta_J - budget, "ge", "guard_time", cites="guard_time"),
        Fact("budget", budget, "ge", "T > T_0' + 3 K J", role="hypothesis"),
        Fact("step", 1 - eta_J * h, "gt",
             "eta_J h = eta_0 h rho^J < 1 (eta_0 h <= 1, 0 < rho < 1, J >= 1)"),
    ),
    nonneg=("budget", "step"),
    steps=(
        Step(F(eta_J) * v(eta_J), "<=", "error at the last drop", (("drop", 1),)),
        Step(F(eta_J) * eta_J * c / h, "<=", "v_J <= eta_J c / h", (("floor", F(eta_J)),)),
        Step(F(eta_J) * c / h * _c_time / budget, "<=",
             "eta_J <= l_B / (2 h (1 - rho) budget)",
             (("time", F(eta_J) * c / h * eta_J / budget),)),
        Step(F(eta_J) * ellB * c / (2 * (1 - rho) * h ** 2 * budget), "=", "collect"),
    ),
    reference="This project (docs/theory.md §4f).",
    assumptions=(S.Gt(h, 0), S.Gt(eta0, 0), S.Le(eta0 * h, 1), S.Gt(rho, 0), S.Lt(rho, 1),
                 S.Ge(c, 0), S.Gt(T, T0p + 3 * K * J)),
)

PROOFS = (DROP_ERROR, STAGE_RATIO, TIME, RATE)
