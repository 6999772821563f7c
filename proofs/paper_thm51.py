"""The paper's Theorem 5.1 (Wang, Teng, Choromanska, UAI 2024; proof in its Appendix 12),
corrected and checked (docs/paper.md §3).

Setting (the assumption set CVX_UM of ``autodrop_theory.assumptions``): f convex with a minimiser
x*, every subgradient ||g|| <= G; the oracle G(x; xi) = g(x) + delta with E[delta | past] = 0 and
E||delta||^2 <= delta^2 (the second-moment reading of the printed noise condition, which is the
one the printed proof uses); UM (eq. 9) with 0 <= beta < 1, s >= 0, rates alpha_t > 0
non-increasing, alpha_{-1} := alpha_0, x_{-1} := x_0, p_0 = 0.  Write R_t = E||x_t + p_t - x*||^2,
F_t = E f(x_t) - f* >= 0, F_{-1} = F_0, and c = (2 s beta + 1)(G^2 + delta^2)/(1 - beta)^2.

- ``paper_thm51_one_step`` (eqs. 27-30): R_{t+1} <= R_t - 2 alpha_t F_t/(1 - beta)
  - 2 alpha_t beta (F_t - F_{t-1})/(1 - beta)^2 + c alpha_t alpha_{t-1}: the printed steps,
  each one certified (the expansion (27)-(28) is the model fact; recursions (24)-(26) are
  re-checked on random vectors in tests/test_paper.py).
- ``paper_thm51_telescoped``: summed over t < n (induction on n):
  2/(1-beta) sum_{t<n} alpha_t F_t + R_n <= R_0 + 2 beta/(1-beta)^2 W_n + c A_n,
  W_n = sum_{t<n} alpha_t (F_{t-1} - F_t), A_n = sum_{t<n} alpha_t alpha_{t-1}.
- ``paper_thm51_abel``: W_n + alpha_{n-1} F_{n-1} <= alpha_0 F_{-1} (summation by parts with
  non-increasing rates and F >= 0).  This replaces the printed step "each stage's decrease
  E f(x_{t_i}) - E f(x_{t_{i+1}}) <= f(x_0) - f*", which is false (proofs.paper_printed).
- ``paper_thm51_bound`` (eq. 31, corrected and sharper): for n >= 1 steps,
  min_{t<n} F_t <= (1-beta) ||x_0 - x*||^2/(2 S) + beta alpha_0 (f(x_0) - f*)/((1-beta) S)
  + (2 s beta + 1)(G^2 + delta^2) A_n/(2 (1-beta) S),  S = sum_{t<n} alpha_t:
  the printed (31) with sum_i alpha_hat_i replaced by alpha_0 (<= sum_i alpha_hat_i, so the
  printed (31) follows) and alpha_{-1} by alpha_0 (the cross term at t = 0 is zero).
  ``autodrop_theory.paper.stepwise_bound`` evaluates it.
"""

import sympy as sp

from autodrop_theory import symbols as S
from proofs.checker import Fact, Proof, Square, Step

beta, s, G2, d2 = S.p_beta, S.p_s, S.p_G_sq, S.p_delta_sq
al, alp = sp.symbols("alpha_t alpha_tm1", positive=True)          # alpha_t, alpha_{t-1}
R0, R1 = sp.symbols("R_t R_tp1", nonnegative=True)                # E||x + p - x*||^2
Fc, Fp = sp.symbols("F_t F_tm1", nonnegative=True)                # E f(x_t) - f*, at t - 1
A_, B_, C_ = sp.symbols("A_t B_t C_t", real=True)                 # the three inner products
Nt, Qt, Nm, Np, Qp = sp.symbols("N_t Q_t M_tm1 N_tm1 Q_tm1", nonnegative=True)
one_b = 1 - beta
COEF = (2 * s * beta + 1) * (G2 + d2) / one_b ** 2

_E28 = (R0 - 2 * al / one_b * A_ - 2 * al * beta / one_b ** 2 * B_
        - 2 * s * al * alp * beta / one_b ** 2 * C_ + al ** 2 / one_b ** 2 * (Nt + Qt))
_MOMENTUM = Fact("momentum", one_b, "gt", "beta < 1", role="hypothesis")
_UM = (S.Ge(beta, 0), S.Lt(beta, 1), S.Ge(s, 0), S.Ge(G2, 0), S.Ge(d2, 0))

ONE_STEP = Proof(
    name="paper_thm51_one_step",
    title="Paper eqs. (27)-(30): one UM step, R_{t+1} <= R_t - 2 alpha_t F_t/(1-beta) "
          "- 2 alpha_t beta (F_t - F_{t-1})/(1-beta)^2 + c alpha_t alpha_{t-1}",
    lhs=R1, relation="<=",
    rhs=R0 - 2 * al / one_b * Fc - 2 * al * beta / one_b ** 2 * (Fc - Fp) + COEF * al * alp,
    facts=(
        Fact("expansion_28", R1 - _E28, "eq",
             "eqs. (24)-(28): ||x_{t+1} + p_{t+1} - x*||^2 expanded along the recursion (24), "
             "p_t written by (26), G_t = g(x_t) + delta_t with E[delta_t | past] = 0; A_t = "
             "E<x_t - x*, g_t>, B_t = E<x_t - x_{t-1}, g_t>, C_t = E<G_{t-1}, g_t>, N_t = "
             "E||delta_t||^2, Q_t = E||g_t||^2", role="model"),
        Fact("convex_opt", A_ - Fc, "ge", "f(x_t) - f* <= <x_t - x*, g_t> (convexity)",
             role="model"),
        Fact("convex_prev", B_ - Fc + Fp, "ge",
             "f(x_t) - f(x_{t-1}) <= <x_t - x_{t-1}, g_t> (convexity)", role="model"),
        Fact("unbiased_prev", Nm - Np - Qp, "eq",
             "E||G_{t-1}||^2 = E||delta_{t-1}||^2 + E||g_{t-1}||^2 (unbiased oracle)",
             role="model"),
        Fact("noise_t", d2 - Nt, "ge", "E||delta_t||^2 <= delta^2 (noise, second moment)",
             role="model"),
        Fact("noise_prev", d2 - Np, "ge", "E||delta_{t-1}||^2 <= delta^2", role="model"),
        Fact("subgradient_t", G2 - Qt, "ge", "||g_t||^2 <= G^2", role="model"),
        Fact("subgradient_prev", G2 - Qp, "ge", "||g_{t-1}||^2 <= G^2", role="model"),
        Fact("rates", alp - al, "ge", "alpha_t <= alpha_{t-1} (non-increasing rates)",
             role="hypothesis"),
        _MOMENTUM,
    ),
    nonneg=("momentum",),
    gram=((Nm, C_), (C_, Qt)),                 # the vectors G_{t-1} and g_t
    steps=(
        Step(_E28, "=", "eqs. (27)-(28)", (("expansion_28", 1),)),
        Step(R0 - 2 * al / one_b * Fc - 2 * al * beta / one_b ** 2 * (Fc - Fp)
             - 2 * s * al * alp * beta / one_b ** 2 * C_ + al ** 2 / one_b ** 2 * (Nt + Qt),
             "<=", "convexity, twice (first two lines of the display before (29))",
             (("convex_opt", 2 * al / one_b), ("convex_prev", 2 * al * beta / one_b ** 2))),
        Step(R0 - 2 * al / one_b * Fc - 2 * al * beta / one_b ** 2 * (Fc - Fp)
             + s * al * alp * beta / one_b ** 2 * (Nm + Qt) + al ** 2 / one_b ** 2 * (Nt + Qt),
             "<=", "-<G_{t-1}, g_t> <= (||G_{t-1}||^2 + ||g_t||^2)/2: E||G_{t-1} + g_t||^2 >= 0",
             ((Square((1, 1)), s * al * alp * beta / one_b ** 2),)),
        Step(R0 - 2 * al / one_b * Fc - 2 * al * beta / one_b ** 2 * (Fc - Fp)
             + s * al * alp * beta / one_b ** 2 * (Np + Qp + Qt)
             + al ** 2 / one_b ** 2 * (Nt + Qt), "=", "unbiased oracle at t - 1",
             (("unbiased_prev", s * al * alp * beta / one_b ** 2),)),
        Step(R0 - 2 * al / one_b * Fc - 2 * al * beta / one_b ** 2 * (Fc - Fp)
             + s * al * alp * beta / one_b ** 2 * (d2 + 2 * G2)
             + al ** 2 / one_b ** 2 * (d2 + G2), "<=", "noise and subgradient bounds",
             (("noise_prev", s * al * alp * beta / one_b ** 2),
              ("subgradient_prev", s * al * alp * beta / one_b ** 2),
              ("subgradient_t", (s * al * alp * beta + al ** 2) / one_b ** 2),
              ("noise_t", al ** 2 / one_b ** 2))),
        Step(R0 - 2 * al / one_b * Fc - 2 * al * beta / one_b ** 2 * (Fc - Fp)
             + (2 * s * beta * al * alp + al ** 2) / one_b ** 2 * (G2 + d2), "<=",
             "delta^2/2 + G^2 <= delta^2 + G^2: eq. (29)",
             residual=s * al * alp * beta * d2 / one_b ** 2),
        Step(R0 - 2 * al / one_b * Fc - 2 * al * beta / one_b ** 2 * (Fc - Fp)
             + COEF * al * alp, "<=", "alpha_t^2 <= alpha_t alpha_{t-1}: eq. (30)",
             (("rates", al * (G2 + d2) / one_b ** 2),)),
    ),
    reference="Wang, Teng, Choromanska (UAI 2024), Appendix 12, eqs. (27)-(30), with the noise "
              "condition read as E||delta||^2 <= delta^2; after Yang, Lin, Li (2016).",
    assumptions=_UM + (S.Le(al, alp),),
)

n = sp.Symbol("n", integer=True, nonnegative=True)
rate = sp.Function("alpha", positive=True)                 # alpha_t
R = sp.Function("R", nonnegative=True)                     # R_t
F = sp.Function("F", nonnegative=True)                     # F_t = E f(x_t) - f*
SF = sp.Function("SF")                                     # sum_{t<n} alpha_t F_t
W = sp.Function("W")                                       # sum_{t<n} alpha_t (F_{t-1} - F_t)
SA = sp.Function("SA")                                     # sum_{t<n} alpha_t alpha_{t-1}
_RATES_N = S.Le(rate(n), rate(n - 1))


def _telescope_rhs(k):
    return R(0) + 2 * beta / one_b ** 2 * W(k) + COEF * SA(k)


_one = (ONE_STEP.rhs - ONE_STEP.lhs).subs(
    {R1: R(n + 1), R0: R(n), al: rate(n), alp: rate(n - 1), Fc: F(n), Fp: F(n - 1)},
    simultaneous=True)

TELESCOPED = Proof(
    name="paper_thm51_telescoped",
    title="Paper, after eq. (30): the one-step inequalities summed over t < n",
    lhs=2 / one_b * SF(n) + R(n), relation="<=", rhs=_telescope_rhs(n),
    induction=n,
    facts=(
        Fact("sf_start", SF(0), "eq", "the empty sum"),
        Fact("w_start", W(0), "eq", "the empty sum"),
        Fact("sa_start", SA(0), "eq", "the empty sum"),
        Fact("sf_step", SF(n + 1) - SF(n) - rate(n) * F(n), "eq", "sum_{t<n+1} alpha_t F_t"),
        Fact("w_step", W(n + 1) - W(n) - rate(n) * (F(n - 1) - F(n)), "eq",
             "sum_{t<n+1} alpha_t (F_{t-1} - F_t)"),
        Fact("sa_step", SA(n + 1) - SA(n) - rate(n) * rate(n - 1), "eq",
             "sum_{t<n+1} alpha_t alpha_{t-1}"),
        Fact("one_step", _one, "ge", "paper_thm51_one_step at step n",
             cites="paper_thm51_one_step",
             cite_subs=((R1, R(n + 1)), (R0, R(n)), (al, rate(n)), (alp, rate(n - 1)),
                        (Fc, F(n)), (Fp, F(n - 1)))),
        _MOMENTUM,
    ),
    nonneg=("momentum",),
    base_steps=(
        Step(R(0), "=", "empty sums", (("sf_start", 2 / one_b),)),
        Step(_telescope_rhs(0), "=", "empty sums",
             (("w_start", -2 * beta / one_b ** 2), ("sa_start", -COEF))),
    ),
    steps=(
        Step(2 / one_b * (SF(n) + rate(n) * F(n)) + R(n + 1), "=", "add the term t = n",
             (("sf_step", 2 / one_b),)),
        Step(2 / one_b * SF(n) + R(n) + 2 * beta / one_b ** 2 * rate(n) * (F(n - 1) - F(n))
             + COEF * rate(n) * rate(n - 1), "<=", "one step at t = n", (("one_step", 1),)),
        Step(R(0) + 2 * beta / one_b ** 2 * (W(n) + rate(n) * (F(n - 1) - F(n)))
             + COEF * (SA(n) + rate(n) * rate(n - 1)), "<=", "induction hypothesis",
             (("hypothesis", 1),)),
        Step(_telescope_rhs(n + 1), "=", "the sums up to n",
             (("w_step", -2 * beta / one_b ** 2), ("sa_step", -COEF))),
    ),
    reference="Wang, Teng, Choromanska (UAI 2024), Appendix 12, the summation after (30).",
    assumptions=_UM + (_RATES_N,),
)

ABEL = Proof(
    name="paper_thm51_abel",
    title="Summation by parts: sum_{t<n} alpha_t (F_{t-1} - F_t) + alpha_{n-1} F_{n-1} <= "
          "alpha_0 F_{-1} (non-increasing rates, alpha_{-1} = alpha_0, F >= 0)",
    lhs=W(n) + rate(n - 1) * F(n - 1), relation="<=", rhs=rate(0) * F(-1),
    induction=n,
    facts=(
        Fact("w_start", W(0), "eq", "the empty sum"),
        Fact("w_step", W(n + 1) - W(n) - rate(n) * (F(n - 1) - F(n)), "eq",
             "sum_{t<n+1} alpha_t (F_{t-1} - F_t)"),
        Fact("rate_start", rate(-1) - rate(0), "eq", "alpha_{-1} := alpha_0 (convention)"),
        Fact("rates", rate(n - 1) - rate(n), "ge", "alpha_n <= alpha_{n-1}", role="hypothesis"),
        Fact("gap_nonneg", F(n - 1), "ge", "E f(x_{n-1}) - f* >= 0", role="model"),
    ),
    nonneg=("gap_nonneg",),
    base_steps=(
        Step(rate(-1) * F(-1), "=", "the empty sum", (("w_start", 1),)),
        Step(rate(0) * F(-1), "=", "alpha_{-1} = alpha_0", (("rate_start", F(-1)),)),
    ),
    steps=(
        Step(W(n) + rate(n) * F(n - 1), "=", "add the term t = n", (("w_step", 1),)),
        Step(W(n) + rate(n - 1) * F(n - 1), "<=", "alpha_n <= alpha_{n-1}, F_{n-1} >= 0",
             (("rates", F(n - 1)),)),
        Step(rate(0) * F(-1), "<=", "induction hypothesis", (("hypothesis", 1),)),
    ),
    reference="This package (docs/paper.md §3): Abel summation, replacing the printed stage-wise "
              "step of Appendix 12.",
    assumptions=(_RATES_N,),
)

m = sp.Symbol("m", nonnegative=True)                       # min_{t<n} F_t
Ssum = sp.Symbol("S", positive=True)                       # sum_{t<n} alpha_t > 0 (n >= 1)
SFs, Ws, SAs = sp.symbols("SF_n W_n SA_n", real=True)
RT, Fl = sp.symbols("R_n F_nm1", nonnegative=True)
al0 = sp.Symbol("alpha_0", positive=True)
all_ = rate(n - 1)
D0, gap0 = S.p_dist0_sq, S.p_gap0
BOUND_RHS = (one_b * D0 / (2 * Ssum) + beta * al0 * gap0 / (one_b * Ssum)
             + (2 * s * beta + 1) * (G2 + d2) * SAs / (2 * one_b * Ssum))

_tel_subs = ((SF(n), SFs), (R(n), RT), (W(n), Ws), (SA(n), SAs), (R(0), D0))
_abel_subs = ((W(n), Ws), (F(n - 1), Fl), (rate(0), al0), (F(-1), gap0))

BOUND = Proof(
    name="paper_thm51_bound",
    title="Theorem 5.1's eq. (31), corrected: min_{t<n} F_t <= (1-beta) D/(2 S) + beta alpha_0 "
          "(f(x_0) - f*)/((1-beta) S) + (2 s beta + 1)(G^2 + delta^2) A_n/(2 (1-beta) S)",
    lhs=m, relation="<=", rhs=BOUND_RHS,
    facts=(
        Fact("telescoped", (TELESCOPED.rhs - TELESCOPED.lhs).subs(dict(_tel_subs),
                                                                   simultaneous=True), "ge",
             "paper_thm51_telescoped at n (R_0 = ||x_0 - x*||^2 since p_0 = 0)",
             cites="paper_thm51_telescoped", cite_subs=_tel_subs),
        Fact("abel", (ABEL.rhs - ABEL.lhs).subs(dict(_abel_subs), simultaneous=True), "ge",
             "paper_thm51_abel at n (F_{-1} = F_0 = f(x_0) - f*)", cites="paper_thm51_abel",
             cite_subs=_abel_subs),
        Fact("min_definition", SFs - m * Ssum, "ge",
             "m = min_{t<n} F_t: sum_t alpha_t F_t >= m sum_t alpha_t (alpha_t > 0)",
             role="definition"),
        Fact("rate_positive", all_, "gt", "alpha_{n-1} > 0 (every rate is positive)",
             role="model"),
        _MOMENTUM,
    ),
    nonneg=("momentum", "rate_positive"),
    steps=(
        Step(SFs / Ssum, "<=", "the minimum is at most the alpha-weighted mean",
             (("min_definition", 1 / Ssum),)),
        Step(one_b / (2 * Ssum) * (D0 + 2 * beta / one_b ** 2 * Ws + COEF * SAs - RT), "<=",
             "the telescoped sum", (("telescoped", one_b / (2 * Ssum)),)),
        Step(one_b / (2 * Ssum) * (D0 + 2 * beta / one_b ** 2 * (al0 * gap0 - all_ * Fl)
                                   + COEF * SAs - RT), "<=", "summation by parts",
             (("abel", beta / (one_b * Ssum)),)),
        Step(BOUND_RHS, "<=", "drop -R_n <= 0 and -alpha_{n-1} F_{n-1} <= 0",
             residual=one_b * RT / (2 * Ssum) + beta * all_ * Fl / (one_b * Ssum)),
    ),
    reference="Wang, Teng, Choromanska (UAI 2024), Theorem 5.1 eq. (31), corrected in this "
              "package (docs/paper.md §3): alpha_0 in place of sum_i alpha_hat_i.",
    assumptions=_UM + (_RATES_N,),
    notes="stepwise_bound evaluates this with S = sum(lrs), A_n = sum lrs_t lrs_{t-1} "
          "(lrs_{-1} = lrs_0).",
)

PROOFS = (ONE_STEP, TELESCOPED, ABEL, BOUND)
