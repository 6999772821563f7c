"""docs/theory.md §3a: the stage-wise drop schedule attains C(rho) sigma^2 / (mu^2 (T - T_0)).

Problem: SC, SM, BV, 0 < eta_0 <= 1/L, 0 < rho < 1, sigma^2 > 0, r_0 = ||y_0||^2 > 0; stage k
runs T_k steps at eta_k = eta_0 rho^k with (autodrop_theory.stagewise)
    T_0 = ceil(max(0, ln(mu r_0/(eta_0 sigma^2)))/(eta_0 mu)),  T_k = ceil(l/(eta_k mu)), k >= 1,
l = ln(2/rho).  R(k) = E||y||^2 at the end of stage k - 1 (R(0) = r_0); T = T_0 + ... + T_{K-1}.

Three theorems:
- ``stagewise_invariant``: R(k+1) <= 2 eta_k sigma^2 / mu for every k >= 0 (induction on k).
- ``stagewise_time``: T - T_0 <= (l + eta_0 mu) / (mu (1 - rho) eta_{K-1}) for K >= 2.
- ``stagewise``: R(K) <= 2 (l + eta_0 mu) sigma^2 / ((1 - rho) mu^2 (T - T_0)), the STAGEWISE bound.

Transcendental facts are stated as lemmas with their reasons, not machine-checked: 1 - x <= e^{-x}
(so (1 - eta mu)^T <= e^{-eta mu T}), the monotonicity of exp and log that turns the chosen T_k
into e^{-eta_k mu T_k} <= rho / 2 and e^{-eta_0 mu T_0} r_0 <= eta_0 sigma^2 / mu, and
ceil(x) <= x + 1.  Everything else is checked exactly.
"""

import sympy as sp

from autodrop_theory import symbols as S
from autodrop_theory.bounds import STAGEWISE_FIRST_STAGE
from proofs.checker import Fact, Proof, Step
from proofs.geometric_sums import G, n as n_geo
from proofs.sgd_constant_step import PROOF as CONSTANT_STEP
from proofs.sgd_constant_step import R as R_run

eta0, mu, L, s2, rho, r0, T = S.lr, S.mu, S.L, S.sigma_sq, S.rho, S.r0_sq, S.T
k = sp.Symbol("k", integer=True, nonnegative=True)
K = sp.Symbol("K", integer=True, positive=True)
ell = sp.Symbol("ell", positive=True)            # ln(2 / rho)
T0 = sp.Symbol("T_0", nonnegative=True)
R = sp.Function("R", nonnegative=True)           # error at stage ends (second moments)
Tk = sp.Function("T_stage", integer=True, nonnegative=True)   # stage lengths (step counts)
Ek = sp.Function("E_stage")                      # e^{-eta_k mu T_k}


def rate(j):
    return eta0 * rho ** j


_common = (S.Gt(mu, 0), S.Le(mu, L), S.Gt(eta0, 0), S.Le(eta0 * L, 1), S.Gt(s2, 0),
           S.Gt(r0, 0), S.Gt(rho, 0), S.Lt(rho, 1))


def _stage_fact(name, start, end, j):
    """SGD_CONSTANT_STEP restarted at a stage start: cites sgd_constant_step."""
    t = S.t
    subs = ((R_run(t), end), (t, Tk(j)), (S.r0_sq, start), (S.lr, rate(j)))
    expr = (CONSTANT_STEP.rhs - CONSTANT_STEP.lhs).subs(dict(subs), simultaneous=True)
    return Fact(name, expr, "ge", f"2a over stage {j}: {Tk(j)} steps at rate eta_0 rho^{j}",
                cites="sgd_constant_step", cite_subs=subs)


INVARIANT = Proof(
    name="stagewise_invariant",
    title="Stage invariant: R(k+1) <= 2 eta_k sigma^2 / mu",
    lhs=R(k + 1), relation="<=", rhs=2 * rate(k) * s2 / mu,
    induction=k,
    facts=(
        _stage_fact("stage_0", r0, R(1), 0),
        _stage_fact("stage", R(k + 1), R(k + 2), k + 1),
        Fact("exp_0", Ek(0) - (1 - eta0 * mu) ** Tk(0), "ge", "(1 - x)^T <= e^{-x T}"),
        Fact("exp_k", Ek(k + 1) - (1 - rate(k + 1) * mu) ** Tk(k + 1), "ge",
             "(1 - x)^T <= e^{-x T}"),
        Fact("first_stage", eta0 * s2 / mu - Ek(0) * r0, "ge",
             "T_0 >= ln(mu r_0/(eta_0 sigma^2))/(eta_0 mu) gives e^{-eta_0 mu T_0} r_0 <= "
             "eta_0 sigma^2/mu (and T_0 = 0 when r_0 <= eta_0 sigma^2 / mu)"),
        Fact("stage_length", rho / 2 - Ek(k + 1), "ge",
             "T_k >= ln(2/rho)/(eta_k mu) gives e^{-eta_k mu T_k} <= rho/2"),
        Fact("R_nonneg", R(k + 1), "ge", "a second moment", role="model"),
        Fact("rate_k", 1 - L * rate(k + 1), "ge",
             "eta_{k+1} L = eta_0 L rho^{k+1} <= eta_0 L <= 1 (0 < rho < 1)"),
    ),
    nonneg=("R_nonneg", "rate_k"),
    base_steps=(
        Step((1 - eta0 * mu) ** Tk(0) * r0 + eta0 * s2 / mu, "<=", "2a over stage 0",
             (("stage_0", 1),)),
        Step(Ek(0) * r0 + eta0 * s2 / mu, "<=", "1 - x <= e^{-x}", (("exp_0", r0),)),
        Step(2 * eta0 * s2 / mu, "<=", "length of the first stage", (("first_stage", 1),)),
    ),
    steps=(
        Step((1 - rate(k + 1) * mu) ** Tk(k + 1) * R(k + 1) + rate(k + 1) * s2 / mu, "<=",
             "2a over stage k + 1", (("stage", 1),)),
        Step(Ek(k + 1) * R(k + 1) + rate(k + 1) * s2 / mu, "<=", "1 - x <= e^{-x}",
             (("exp_k", R(k + 1)),)),
        Step(rho / 2 * R(k + 1) + rate(k + 1) * s2 / mu, "<=", "length of stage k + 1",
             (("stage_length", R(k + 1)),)),
        Step(rho / 2 * (2 * rate(k) * s2 / mu) + rate(k + 1) * s2 / mu, "<=",
             "induction hypothesis times rho / 2", (("hypothesis", rho / 2),)),
        Step(2 * rate(k + 1) * s2 / mu, "=", "rho eta_k = eta_{k+1}"),
    ),
    reference="This project (docs/theory.md §3a).",
    assumptions=_common,
)

TIME = Proof(
    name="stagewise_time",
    title="Stage-wise time: T - T_0 <= (l + eta_0 mu) / (mu (1 - rho) eta_{K-1})",
    lhs=T - T0, relation="<=", rhs=(ell + eta0 * mu) / (mu * (1 - rho) * rate(K - 1)),
    facts=(
        Fact("ceil_sum", ell / (eta0 * mu) * G(K - 1) + (K - 1) - (T - T0), "ge",
             "T - T_0 = sum_{k=1}^{K-1} T_k and T_k = ceil(l/(eta_k mu)) <= l/(eta_0 mu) rho^{-k} + 1"),
        Fact("count", G(K - 1) - (K - 1), "ge", "geometric_count at n = K - 1",
             cites="geometric_count", cite_subs=((n_geo, K - 1),)),
        Fact("geometric", (rho ** (-(K - 1)) - 1) - (1 - rho) * G(K - 1), "eq",
             "geometric_sum at n = K - 1", cites="geometric_sum", cite_subs=((n_geo, K - 1),)),
        Fact("one_minus_rho", 1 - rho, "ge", "rho < 1", role="hypothesis"),
    ),
    nonneg=("one_minus_rho",),
    steps=(
        Step(ell / (eta0 * mu) * G(K - 1) + (K - 1), "<=", "sum of the rounded stage lengths",
             (("ceil_sum", 1),)),
        Step(ell / (eta0 * mu) * G(K - 1) + G(K - 1), "<=", "K - 1 <= G(K - 1)",
             (("count", 1),)),
        Step((ell + eta0 * mu) / (eta0 * mu) * (rho ** (-(K - 1)) - 1) / (1 - rho), "=",
             "geometric sum", (("geometric", -(ell + eta0 * mu) / (eta0 * mu * (1 - rho))),)),
        Step((ell + eta0 * mu) / (eta0 * mu) * rho ** (-(K - 1)) / (1 - rho), "<=", "drop -1",
             residual=(ell + eta0 * mu) / (eta0 * mu * (1 - rho))),
        Step((ell + eta0 * mu) / (mu * (1 - rho) * rate(K - 1)), "=", "eta_{K-1} = eta_0 rho^{K-1}"),
    ),
    reference="This project (docs/theory.md §3a).",
    assumptions=_common,
)

_c = (ell + eta0 * mu) / (mu * (1 - rho))
FINAL = Proof(
    name="stagewise",
    title="Stage-wise rate C(rho) sigma^2 / (mu^2 (T - T_0)) (docs/theory.md §3a)",
    lhs=R(K), relation="<=", rhs=2 * (ell + eta0 * mu) * s2 / ((1 - rho) * mu ** 2 * (T - T0)),
    facts=(
        Fact("invariant", 2 * rate(K - 1) * s2 / mu - R(K), "ge", "stagewise_invariant at k = K-1",
             cites="stagewise_invariant", cite_subs=((k, K - 1),)),
        Fact("time", _c / rate(K - 1) - (T - T0), "ge", "stagewise_time", cites="stagewise_time"),
        Fact("budget", T - T0, "ge", "T > T_0 (K >= 2 stages)", role="hypothesis"),
    ),
    nonneg=("budget",),
    steps=(
        Step(2 * rate(K - 1) * s2 / mu, "<=", "stage invariant", (("invariant", 1),)),
        Step(2 * s2 / mu * _c / (T - T0), "<=", "eta_{K-1} <= c / (T - T_0)",
             (("time", 2 * s2 / mu * rate(K - 1) / (T - T0)),)),
        Step(2 * (ell + eta0 * mu) * s2 / ((1 - rho) * mu ** 2 * (T - T0)), "=", "collect"),
    ),
    reference="This project (docs/theory.md §3a).",
    assumptions=_common + (S.Gt(T, T0),),       # the budget outlasts the first stage
    bound="STAGEWISE",
    bound_subs=((ell, sp.log(2 / rho)), (T0, STAGEWISE_FIRST_STAGE)),
)

PROOFS = (INVARIANT, TIME, FINAL)
