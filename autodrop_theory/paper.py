"""The published AutoDrop paper's theorems as objects, and a verdict on every claim of its
Sections 3 and 5 (docs/paper.md).

Reference: Y. Wang, Y. Teng, A. Choromanska, "AutoDrop: Training Deep Learning Models with
Automatic Learning Rate Drop", UAI 2024, PMLR 244:3603-3629 (arXiv 2111.15317 is the earlier
preprint).  Equation numbers are the paper's.

Objects (each a :class:`autodrop_theory.bounds.Bound`: sympy expression, conditions checked on
every call, reference, machine-checked proof where one exists):

- Theorem 3.2 on the NQM (Definition 3.1, the model Q with h_i = a_i, c_i = a_i^2 sig_sq_i, see
  :func:`nqm_to_q`): ``THM32_I_STAR`` (eq. 4), ``THM32_STEP_SQ`` (eq. 5's denominator),
  :func:`thm32_cosine` (eq. 5), ``THM32_EQ6`` (eq. 6), ``THM32_RANGE`` (the range, corrected:
  needs alpha max a_i <= 1).
- Theorem 5.1: :func:`conditions_10` and :func:`kappas` (condition (10)), ``THM51_PRINTED``
  (eq. 31 as printed, its three sums as keywords), :func:`thm51_printed_bound` (the sums written
  out from a schedule), ``THM51_BOUND`` (eq. 31 corrected, proved), :func:`stepwise_bound` (it,
  from per-step rates), ``THM51_RATE`` (the corrected bound in the number of stages n),
  ``THM51_PRINTED_FINAL`` (the printed final display, false at n = 1).
- Lemma 12.1: ``LEMMA121_T_LOWER``, ``LEMMA121_T_UPPER`` (eq. 36); eq. 35 is
  :func:`conditions_10` on its schedules.
- Theorem 5.2: :func:`algorithm2_stage_lengths` (Algorithm 2 on the model (12)),
  ``THM52_KAPPA1``, ``THM52_KAPPA2`` (eqs. 37-38 as printed), ``THM52_PRINTED_FINAL`` (eqs.
  40-41), ``THM52_RATE`` and :func:`thm52_bound` (the corrected theorem, alpha_hat_i =
  1/(i+2)).
- :func:`claims`: the verdict table (``python -m proofs --paper``).

All numeric functions: float64 numpy; :class:`AssumptionError` (naming the parameter and the
condition) on input outside their conditions, before any computation.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from . import _validate as v
from . import symbols as S
from .bounds import Bound
from .claims import Claim, check_ledger, format_table
from .errors import AssumptionError
from .symbols import Ge as _Ge, Gt as _Gt, Le as _Le, Lt as _Lt

__all__ = ["nqm_to_q", "THM32_I_STAR", "THM32_STEP_SQ", "thm32_cosine", "THM32_EQ6",
           "THM32_RANGE", "conditions_10", "kappas", "THM51_PRINTED", "thm51_printed_bound",
           "THM51_BOUND", "stepwise_bound", "THM51_RATE", "THM51_PRINTED_FINAL",
           "LEMMA121_T_LOWER", "LEMMA121_T_UPPER", "algorithm2_stage_lengths", "THM52_KAPPA1",
           "THM52_KAPPA2", "THM52_PRINTED_FINAL", "THM52_RATE", "thm52_bound", "PAPER_BOUNDS", "PAPER_CLAIMS",
           "claims", "table"]

_REF = "Wang, Teng, Choromanska, AutoDrop (UAI 2024, PMLR 244:3603-3629)"
a, sig, al, amax = S.p_a, S.p_sig_sq, S.p_alpha, S.p_amax
beta, s_um, G2, d2 = S.p_beta, S.p_s, S.p_G_sq, S.p_delta_sq
D0, gap0, k1, k2, n = S.p_dist0_sq, S.p_gap0, S.p_kappa1, S.p_kappa2, S.p_n
gamma, tau0 = S.p_gamma, S.p_tau0
T = S.T


def _sum(term, coordinates):
    sub = {sym: sp.IndexedBase(sym.name)[S.i] for _, sym in coordinates}
    return sp.Sum(term.subs(sub), (S.i, 1, S.d))


# ------------------------------------------------------------------ NQM and Theorem 3.2
def nqm_to_q(a_diag, sig_sq_diag):
    """The NQM of Definition 3.1 as the package's model Q (docs/theory.md §1): the gradient of
    L(x) = (x - c)^T A (x - c)/2 at c ~ N(0, Sigma) is A x - A c, so h_i = a_i and the noise
    variance is c_i = a_i^2 sig_sq_i (sig_sq_i the i-th diagonal entry of Sigma).  Returns
    (hessian_eigs, noise_var)."""
    av = v.vector("a_diag", a_diag)
    if (av <= 0).any():
        raise AssumptionError(f"a_diag: need every a_i > 0, got {av[av <= 0][0]!r}")
    sv = v.vector("sig_sq_diag", sig_sq_diag, nonnegative=True, length=av.size,
                  length_of="a_diag")
    return av, av ** 2 * sv


_COORDS = (("a", a), ("sig_sq", sig))
_NQM_CONDITIONS = (_Gt(al, 0), _Gt(a, 0), _Lt(al * a, 2), _Ge(sig, 0))
_I_TERM = -al ** 3 * a ** 3 * sig / (2 - al * a)
_S_TERM = 2 * al ** 2 * a ** 2 * sig / (2 - al * a)

THM32_I_STAR = Bound(
    name="THM32_I_STAR", expr=_sum(_I_TERM, _COORDS), conditions=_NQM_CONDITIONS,
    assumptions=("NQM",), kind="tight", rate_exponent=None, rate_variable=None,
    reference=f"{_REF}, Theorem 3.2 eq. (4): lim E<s_t, s_t+1> = -alpha^3 sum a_i^3 "
              "sig_i^2/(2 - alpha a_i), for 0 < alpha a_i < 2 (proof: Appendix 9).",
    proof="paper_thm32_inner", coordinates=_COORDS, term=_I_TERM)

THM32_STEP_SQ = Bound(
    name="THM32_STEP_SQ", expr=_sum(_S_TERM, _COORDS), conditions=_NQM_CONDITIONS,
    assumptions=("NQM",), kind="tight", rate_exponent=None, rate_variable=None,
    reference="docs/paper.md §2: lim E||s_t||^2 = 2 alpha^2 sum a_i^2 sig_i^2/(2 - alpha a_i), "
              f"the denominator of {_REF} eq. (5) (times 2 alpha; not derived in the paper).",
    proof="paper_thm32_step_sq", coordinates=_COORDS, term=_S_TERM)


def thm32_cosine(a_diag, sig_sq_diag, alpha) -> float:
    """Eq. (5): the limit of E<s_t, s_t+1> / E||s_t||^2 (the paper's C*, "approximately" the
    limit of E cos angle(s_t, s_t+1); exactly the cosine of the package's deterministic
    equivalent, docs/theory.md §4 with one step per epoch).  Needs some a_i^2 sig_i^2 > 0.
    A ratio of two linear forms in sig_sq: computed with sig_sq divided by its largest entry
    (the same cosine at every scale of the noise: no overflow near 1e308)."""
    try:
        sig = np.asarray(sig_sq_diag, np.float64)
        top = float(np.max(sig)) if sig.ndim == 1 and sig.size and np.isfinite(sig).all() else 0
    except (TypeError, ValueError):
        top = 0.0                       # refused by the bounds below, naming sig_sq
    if top > 0:
        sig_sq_diag = sig / top
    num = THM32_I_STAR(a=a_diag, sig_sq=sig_sq_diag, alpha=alpha)
    den = THM32_STEP_SQ(a=a_diag, sig_sq=sig_sq_diag, alpha=alpha)
    if not den > 0:
        raise AssumptionError("sig_sq_diag: need some sig_sq_i > 0 (without noise the limit "
                              "steps are 0 and the cosine is undefined)")
    return float(num / den)


THM32_EQ6 = Bound(
    name="THM32_EQ6", expr=-al * amax / 2, conditions=(_Gt(al, 0), _Gt(amax, 0)),
    assumptions=("NQM",), kind="lower", rate_exponent=None, rate_variable=None,
    reference=f"{_REF}, Theorem 3.2 eq. (6): C* >= -alpha max_i a_i / 2 (a_max = max_i a_i; "
              "C* as in eq. (5), under 0 < alpha a_i < 2).",
    proof="paper_thm32_eq6")

THM32_RANGE = Bound(
    name="THM32_RANGE", expr=sp.Rational(-1, 2),
    conditions=(_Gt(al, 0), _Gt(amax, 0), _Le(al * amax, 1)),
    assumptions=("NQM",), kind="lower", rate_exponent=None, rate_variable=None,
    reference=f"{_REF}, Theorem 3.2 (C* in [-1/2, 0], limit angle in [90, 120] degrees), "
              "corrected in docs/paper.md §2: it needs alpha max_i a_i <= 1.",
    proof="paper_thm32_range")


# ------------------------------------------------------------------ Theorem 5.1
def _stages(stage_rates, lengths):
    """alpha_hat_{-1..n-1} (strictly in (0, 1), non-increasing) and k_0..k_{n-1} >= 1."""
    r = v.vector("stage_rates", stage_rates)
    if r.size < 2:
        raise AssumptionError("stage_rates: need alpha_hat_{-1}, ..., alpha_hat_{n-1} (n >= 1), "
                              f"got {r.size} value(s)")
    if ((r <= 0) | (r >= 1)).any():
        bad = r[(r <= 0) | (r >= 1)][0]
        raise AssumptionError(f"stage_rates: need every alpha_hat_i in (0, 1), got {bad!r}")
    if (np.diff(r) > 0).any():
        i = int(np.flatnonzero(np.diff(r) > 0)[0])
        raise AssumptionError(f"stage_rates: need a non-increasing sequence, got "
                              f"alpha_hat_{i} = {r[i + 1]!r} > alpha_hat_{i - 1} = {r[i]!r}")
    k = np.asarray(lengths)
    if k.ndim != 1 or k.size != r.size - 1 or not np.issubdtype(k.dtype, np.integer) or (
            k < 1).any():
        raise AssumptionError(f"lengths: need n = {r.size - 1} integers k_i >= 1, got {lengths!r}")
    return r, k.astype(np.float64)


def kappas(stage_rates, lengths) -> tuple:
    """The best constants of condition (10) for a schedule: kappa_1 = min_i k_i alpha_hat_i,
    kappa_2 = max_i (i + 1) k_i alpha_hat_i alpha_hat_{i-1}.  ``stage_rates`` holds
    alpha_hat_{-1}, ..., alpha_hat_{n-1}; ``lengths`` k_0, ..., k_{n-1}."""
    r, k = _stages(stage_rates, lengths)
    i = np.arange(k.size)
    return float(np.min(k * r[1:])), float(np.max((i + 1) * k * r[1:] * r[:-1]))


def conditions_10(stage_rates, lengths, kappa1, kappa2) -> dict:
    """Condition (10) of Theorem 5.1, each part for every stage i = 0..n-1:
    ``rate`` alpha_hat_i <= 1/(i + 2), ``kappa1`` k_i alpha_hat_i >= kappa_1, ``kappa2``
    k_i alpha_hat_i alpha_hat_{i-1} <= kappa_2/(i + 1).  Returns {part: bool}."""
    r, k = _stages(stage_rates, lengths)
    kappa1 = v.in_range("kappa1", kappa1, 0, lo_open=True)
    kappa2 = v.in_range("kappa2", kappa2, 0, lo_open=True)
    i = np.arange(k.size)
    return {"rate": bool(np.all(r[1:] <= 1.0 / (i + 2))),
            "kappa1": bool(np.all(k * r[1:] >= kappa1)),
            "kappa2": bool(np.all(k * r[1:] * r[:-1] <= kappa2 / (i + 1)))}


_sum_lr, _sum_hat, _sum_prod = sp.symbols("sum_lr sum_stage_lr sum_lr_products", positive=True)
_UM = (_Ge(beta, 0), _Lt(beta, 1), _Ge(s_um, 0), _Ge(G2, 0), _Ge(d2, 0), _Ge(D0, 0),
       _Ge(gap0, 0))


def _thm51(gap_weight):
    """Eq. (31)'s shape: the printed form weighs f(x_0) - f* by sum_i alpha_hat_i, the
    corrected one by alpha_0."""
    return ((1 - beta) * D0 / (2 * _sum_lr) + beta * gap_weight * gap0 / ((1 - beta) * _sum_lr)
            + (2 * s_um * beta + 1) * (G2 + d2) * _sum_prod / (2 * (1 - beta) * _sum_lr))


THM51_PRINTED = Bound(
    name="THM51_PRINTED",
    expr=_thm51(_sum_hat),
    conditions=_UM + (_Gt(_sum_lr, 0), _Gt(_sum_hat, 0), _Gt(_sum_prod, 0)),
    assumptions=("CVX_UM",), kind="upper", rate_exponent=None, rate_variable=None,
    reference=f"{_REF}, Appendix 12 eq. (31) as printed: sum_lr = sum_t alpha_t, sum_stage_lr "
              "= sum_i alpha_hat_i (i = 0..n-1), sum_lr_products = sum_t alpha_t alpha_{t-1}. "
              "It holds: THM51_BOUND is sharper (its proof differs, docs/paper.md §3).",
    proof=None)


def _schedule_from_stages(r, k):
    return np.repeat(r[1:], k.astype(int))


def thm51_printed_bound(stage_rates, lengths, *, beta, s, G, noise, dist0_sq, gap0) -> float:
    """Eq. (31) as printed with its three sums written out from the stages:
    sum_t alpha_t = sum_i k_i alpha_hat_i, sum_i alpha_hat_i, and sum_t alpha_t alpha_{t-1}
    (alpha_{-1} = alpha_hat_{-1}).  ``noise`` is delta^2."""
    r, k = _stages(stage_rates, lengths)
    lrs = _schedule_from_stages(r, k)
    prev = np.concatenate([[r[0]], lrs[:-1]])
    return float(THM51_PRINTED(beta=beta, s=s, G_sq=_G_sq(G), delta_sq=noise,
                               dist0_sq=dist0_sq, gap0=gap0, sum_lr=lrs.sum(),
                               sum_stage_lr=r[1:].sum(), sum_lr_products=(lrs * prev).sum()))


def _G_sq(G):
    return v.in_range("G", G, 0) ** 2


_a0 = sp.Symbol("alpha_0", positive=True)
THM51_BOUND = Bound(
    name="THM51_BOUND",
    expr=_thm51(_a0),
    conditions=_UM + (_Gt(_sum_lr, 0), _Gt(_sum_prod, 0), _Gt(_a0, 0)),
    assumptions=("CVX_UM",), kind="upper", rate_exponent=None, rate_variable=None,
    reference=f"{_REF}, Theorem 5.1 eq. (31), corrected (docs/paper.md §3): min_t E f(x_t) - f* "
              "<= this, alpha_0 = the first rate, sum_lr = sum_t alpha_t, sum_lr_products = "
              "sum_t alpha_t alpha_{t-1} (alpha_{-1} = alpha_0); any non-increasing rates.",
    proof="paper_thm51_bound")


def stepwise_bound(lrs, *, beta, s, G, noise, dist0_sq, gap0) -> float:
    """The corrected Theorem 5.1 bound (``THM51_BOUND``, proof ``paper_thm51_bound``) on
    min_{t<T} E[f(x_t)] - f* for UM (eq. 9) run with the per-step rates ``lrs``:

        (1-beta) dist0_sq / (2 S) + beta lrs[0] gap0 / ((1-beta) S)
          + (2 s beta + 1)(G^2 + noise) A / (2 (1-beta) S),
        S = sum_t lrs[t],  A = sum_t lrs[t] lrs[t-1]  (lrs[-1] := lrs[0]).

    Args:
        lrs: length T >= 1, every rate > 0, non-increasing (a step-wise schedule is one; the
            proof needs only monotonicity).
        beta: momentum, 0 <= beta < 1.  s: UM's factor, s >= 0 (0 heavy ball, 1 Nesterov,
            1/(1 - beta) plain SGD).  G: every subgradient has norm <= G (G >= 0).
        noise: delta^2 >= 0 with E||G(x; xi) - g(x)||^2 <= delta^2 (second moment).
        dist0_sq: ||x_0 - x*||^2 >= 0.  gap0: f(x_0) - f* >= 0.
    Returns:
        the bound, a float.

    Example:
        >>> round(stepwise_bound([0.5, 0.5], beta=0.0, s=1.0, G=1.0, noise=0.0,
        ...                      dist0_sq=1.0, gap0=1.0), 6)   # 1/2 + 1 * 0.5 / 2
        0.75
    """
    beta = v.in_range("beta", beta, 0, 1, hi_open=True)
    s = v.in_range("s", s, 0)
    G_sq = _G_sq(G)
    noise = v.in_range("noise", noise, 0)
    dist0_sq = v.in_range("dist0_sq", dist0_sq, 0)
    gap0 = v.in_range("gap0", gap0, 0)
    if np.asarray(lrs).dtype == bool:
        raise AssumptionError(f"lrs: need rates (real numbers), got booleans {lrs!r}")
    r = v.vector("lrs", lrs)
    if (r <= 0).any():
        i = int(np.flatnonzero(r <= 0)[0])
        raise AssumptionError(f"lrs: need every rate > 0, got lrs[{i}] = {r[i]!r}")
    if (np.diff(r) > 0).any():
        i = int(np.flatnonzero(np.diff(r) > 0)[0]) + 1
        raise AssumptionError(f"lrs: need a non-increasing sequence, got lrs[{i}] = {r[i]!r} > "
                              f"lrs[{i - 1}] = {r[i - 1]!r}")
    prev = np.concatenate([r[:1], r[:-1]])
    return float(THM51_BOUND(beta=beta, s=s, G_sq=G_sq, delta_sq=noise, dist0_sq=dist0_sq,
                             gap0=gap0, sum_lr=r.sum(), sum_lr_products=(r * prev).sum(),
                             alpha_0=r[0]))


_H = sp.Symbol("H_n", positive=True)
THM51_RATE = Bound(
    name="THM51_RATE",
    expr=((1 - beta) * D0 / 2 + beta * _a0 * gap0 / (1 - beta)
          + (2 * s_um * beta + 1) * (G2 + d2) * k2 * _H / (2 * (1 - beta))) / (k1 * n),
    conditions=_UM + (_Gt(_a0, 0), _Gt(k1, 0), _Gt(k2, 0), _Gt(n, 0), _Gt(_H, 0)),
    assumptions=("CVX_UM",), kind="upper", rate_exponent=-1.0, rate_variable=n,
    reference=f"{_REF}, Theorem 5.1 under condition (10), corrected (docs/paper.md §3): "
              "H_n = sum_{i<n} 1/(i+1) <= 1 + log n (proof paper_harmonic), alpha_0 = "
              "alpha_hat_0: O(log n / n) in the number of stages n.",
    proof="paper_thm51_rate")

THM51_PRINTED_FINAL = Bound(
    name="THM51_PRINTED_FINAL",
    expr=(beta * gap0 * (sp.log(n + 1) - sp.log(2)) / (k1 * (1 - beta) * n)
          + (1 - beta) * D0 / (2 * k1 * n)
          + (2 * s_um * beta + 1) * (G2 + d2) * k2 * sp.log(n) / (2 * (1 - beta) * k1 * n)),
    conditions=_UM + (_Gt(k1, 0), _Gt(k2, 0), _Ge(n, 1)),
    assumptions=("CVX_UM",), kind="upper", rate_exponent=None, rate_variable=n,
    reference=f"{_REF}, Appendix 12, the display after eq. (34) (also eq. (40)) as printed; "
              "false at n = 1 (tests/test_paper.py), its steps (32) and (34) false for every n.",
    proof=None)

# ------------------------------------------------------------------ Lemma 12.1
LEMMA121_T_UPPER = Bound(
    name="LEMMA121_T_UPPER", expr=k2 * n * (n + 3) / 2, conditions=(_Gt(k2, 0), _Gt(n, 0)),
    assumptions=(), kind="upper", rate_exponent=2.0, rate_variable=n,
    reference=f"{_REF}, Lemma 12.1 eq. (36): T = sum k_i <= kappa_2 n(n+3)/2 when alpha_hat_i = "
              "1/(i+2) and k_i <= kappa_2/alpha_hat_i (exact, every n).",
    proof="paper_lemma121_T_upper")
LEMMA121_T_LOWER = Bound(
    name="LEMMA121_T_LOWER", expr=k1 * n * (n + 3) / 2, conditions=(_Gt(k1, 0), _Gt(n, 0)),
    assumptions=(), kind="lower", rate_exponent=2.0, rate_variable=n,
    reference=f"{_REF}, Lemma 12.1 eq. (36): T >= kappa_1 n(n+3)/2 when alpha_hat_i = 1/(i+2) "
              "and k_i >= kappa_1/alpha_hat_i.",
    proof="paper_lemma121_T_lower")


# ------------------------------------------------------------------ Theorem 5.2
def algorithm2_stage_lengths(stage_rates, *, gamma, epsilon, tau0) -> np.ndarray:
    """Algorithm 2 on the angular-velocity model (12): stage i at rate alpha = alpha_hat_i lasts
    k_i = ceil(k*_i) steps, the first integer t with v'_alpha(t) <= tau_i = min{tau0,
    gamma alpha/2}, where v'_alpha(t) = pi (1 + eps alpha)/(2 gamma alpha (t + 1/(gamma
    alpha))^2), so k*_i = sqrt(pi (1 + eps alpha)/(2 gamma alpha tau_i)) - 1/(gamma alpha) > 0.
    ``stage_rates``: alpha_hat_0, ..., alpha_hat_{n-1} > 0.  Returns k (float64 integers)."""
    r = v.vector("stage_rates", stage_rates)
    if (r <= 0).any():
        raise AssumptionError(f"stage_rates: need every rate > 0, got {r[r <= 0][0]!r}")
    gamma = v.in_range("gamma", gamma, 0, lo_open=True)
    epsilon = v.in_range("epsilon", epsilon, 0)
    tau0 = v.in_range("tau0", tau0, 0, lo_open=True)
    u = gamma * r
    tau = np.minimum(tau0, u / 2)
    k_star = np.sqrt(np.pi * (1 + epsilon * r) / (2 * u * tau)) - 1 / u
    return np.ceil(k_star)


THM52_KAPPA1 = Bound(
    name="THM52_KAPPA1", expr=(sp.sqrt(sp.pi) - 1) / gamma, conditions=(_Gt(gamma, 0),),
    assumptions=(), kind="lower", rate_exponent=None, rate_variable=None,
    reference=f"{_REF}, Theorem 5.2 eq. (37): k_i alpha_hat_i >= (sqrt(pi) - 1)/gamma (holds; "
              "proof paper_thm52_k_lower).",
    proof="paper_thm52_k_lower")
THM52_KAPPA2 = Bound(
    name="THM52_KAPPA2", expr=sp.sqrt(2 * sp.pi / (3 * tau0)) / gamma,
    conditions=(_Gt(gamma, 0), _Gt(tau0, 0), _Le(gamma, 2), _Le(tau0, sp.Rational(1, 2))),
    assumptions=(), kind="upper", rate_exponent=None, rate_variable=None,
    reference=f"{_REF}, Theorem 5.2 eq. (38): k*_i alpha_hat_i <= sqrt(2 pi/(3 tau0))/gamma, "
              "true only under gamma alpha_hat_0 <= 1 (gamma <= 2 for alpha_hat_0 = 1/2) and "
              "tau0 <= 1/2 (printed: tau0 < 2); the rounded k_i exceeds it by < 1/alpha_hat_i "
              "times alpha_hat_i (docs/paper.md §4).",
    proof=None)

THM52_PRINTED_FINAL = Bound(
    name="THM52_PRINTED_FINAL",
    expr=(beta * gap0 * (sp.log(sp.sqrt(2 * T / k1) + 1) - sp.log(2))
          / (k1 * (1 - beta) * (sp.sqrt(2 * T / k2) - 3))
          + (1 - beta) * D0 / (2 * k1 * (sp.sqrt(2 * T / k2) - 3))
          + (2 * s_um * beta + 1) * (G2 + d2) * k2 * sp.log(sp.sqrt(2 * T / k1))
          / (2 * (1 - beta) * k1 * (sp.sqrt(2 * T / k2) - 3))),
    conditions=_UM + (_Gt(k1, 0), _Gt(k2, 0), _Gt(T, 9 * k2 / 2)),
    assumptions=("CVX_UM",), kind="upper", rate_exponent=None, rate_variable=T,
    reference=f"{_REF}, Theorem 5.2's final display (eqs. 40-41) as printed; its premise (39) "
              "fails for the theorem's rates (docs/paper.md §4).",
    proof=None)


_nT, _LT = sp.Symbol("n_T", positive=True), sp.Symbol("L_T", real=True)
THM52_RATE = Bound(
    name="THM52_RATE",
    expr=((1 - beta) * D0 / 2 + beta * _a0 * gap0 / (1 - beta)
          + (2 * s_um * beta + 1) * (G2 + d2) * k2 * (1 + _LT) / (2 * (1 - beta))) / (k1 * _nT),
    conditions=_UM + (_Gt(_a0, 0), _Gt(k1, 0), _Gt(k2, 0), _Ge(_nT, 1)),
    assumptions=("CVX_UM",), kind="upper", rate_exponent=None, rate_variable=None,
    reference=f"{_REF}, Theorem 5.2 corrected (docs/paper.md §4): min_t E f(x_t) - f* after n "
              "stages satisfying (10), for any 1 <= n_T <= n, L_T = log n_T; thm52_bound takes "
              "n_T = sqrt(2 T/kappa_2 + 9/4) - 3/2 (proof paper_thm52_stages_from_T).",
    proof="paper_thm52_rate")


def thm52_bound(T_steps, *, beta, s, G, noise, dist0_sq, gap0, gamma, tau0) -> float:
    """Theorem 5.2 corrected (docs/paper.md §4): Algorithm 2 with alpha_hat_i = 1/(i + 2)
    (i >= -1), 0 < gamma <= 2, 0 < tau0 <= 1/2 and 0 <= eps < 2/3 has, after T_steps steps
    ending a stage, kappa_1 = (sqrt(pi) - 1)/gamma, kappa_2 = sqrt(2 pi/(3 tau0))/gamma + 1/2,
    n >= n_T = sqrt(2 T/kappa_2 + 9/4) - 3/2 stages (eq. 36), and

        min_t E f(x_t) - f* <= [c_0 + c_1 (1 + log n_T)] / (kappa_1 n_T),
        c_0 = (1-beta) dist0_sq/2 + beta gap0/(2 (1-beta)),
        c_1 = (2 s beta + 1)(G^2 + noise) kappa_2/(2 (1-beta)),

    (``THM52_RATE``, proof ``paper_thm52_rate``: THM51_RATE with H_n <= 1 + log n, which is
    non-increasing in n, at n_T <= n, proof ``paper_thm52_stages_from_T``).  Needs n_T >= 1."""
    gamma = v.in_range("gamma", gamma, 0, 2, lo_open=True)
    tau0 = v.in_range("tau0", tau0, 0, 0.5, lo_open=True)
    T_steps = v.in_range("T_steps", T_steps, 0, lo_open=True)
    beta = v.in_range("beta", beta, 0, 1, hi_open=True)
    s = v.in_range("s", s, 0)
    G_sq = _G_sq(G)
    noise = v.in_range("noise", noise, 0)
    dist0_sq = v.in_range("dist0_sq", dist0_sq, 0)
    gap0 = v.in_range("gap0", gap0, 0)
    kap1 = (math.sqrt(math.pi) - 1) / gamma
    kap2 = math.sqrt(2 * math.pi / (3 * tau0)) / gamma + 0.5
    n_T = math.sqrt(2 * T_steps / kap2 + 9 / 4) - 1.5
    if n_T < 1:
        raise AssumptionError(f"T_steps: need sqrt(2 T/kappa_2 + 9/4) - 3/2 >= 1 (at least one "
                              f"stage), got T_steps = {T_steps!r}")
    return float(THM52_RATE(beta=beta, s=s, G_sq=G_sq, delta_sq=noise, dist0_sq=dist0_sq,
                            gap0=gap0, alpha_0=0.5, kappa1=kap1, kappa2=kap2, n_T=n_T,
                            L_T=math.log(n_T)))


PAPER_BOUNDS = {b.name: b for b in (THM32_I_STAR, THM32_STEP_SQ, THM32_EQ6, THM32_RANGE,
                                    THM51_PRINTED, THM51_BOUND, THM51_RATE, THM51_PRINTED_FINAL,
                                    LEMMA121_T_UPPER, LEMMA121_T_LOWER, THM52_KAPPA1,
                                    THM52_KAPPA2, THM52_PRINTED_FINAL, THM52_RATE)}

# ------------------------------------------------------------------ the verdicts
_T = "test:tests/test_paper.py::"
_SIM = ("an empirical claim about Fig. 1 (the paper's NQM runs, Sigma not given); its verdict "
        "comes from the simulation issue filed with this one")
PAPER_CLAIMS = (
    Claim("nqm.P1", "at a fixed rate the angle rises and saturates; the optimizer slows when it "
          "saturates", "unchecked", (), "Section 3, Fig. 1", _SIM),
    Claim("nqm.P2.i", "a rate too large to converge saturates between 90 and 120 degrees",
          "unchecked", (), "Section 3", _SIM + "; in the limit this is thm3.2.range"),
    Claim("nqm.P2.ii", "smaller rates saturate lower", "unchecked", (), "Section 3", _SIM),
    Claim("nqm.P2.iii", "smaller rates saturate more slowly", "unchecked", (), "Section 3",
          _SIM),
    Claim("nqm.P2.iv", "a rate small enough to converge saturates at 90 degrees", "unchecked",
          (), "Section 3", _SIM + "; in the limit alpha -> 0 eq. (6) gives C* -> 0"),
    Claim("thm3.2.eq4", "I* = lim E<s_t, s_t+1> = -alpha^3 sum a_i^3 sig_i^2/(2 - alpha a_i)",
          "holds", ("proof:paper_thm32_inner", "proof:paper_thm32_variance",
                    _T + "test_thm32_against_the_exact_stationary_moments",
                    "object:autodrop_theory.paper.THM32_I_STAR"), "Theorem 3.2 eq. (4)",
          "under 0 < alpha a_i < 2; equals the package's exact stationary inner product under "
          "Q (h_i = a_i, c_i = a_i^2 sig_i^2)"),
    Claim("thm3.2.eq5", "C* ~ -(alpha/2) sum a_i^3 sig_i^2/(2 - alpha a_i) / sum a_i^2 sig_i^2/"
          "(2 - alpha a_i)", "holds",
          ("proof:paper_thm32_step_sq", _T + "test_thm32_against_the_exact_stationary_moments",
           "object:autodrop_theory.paper.thm32_cosine"), "Theorem 3.2 eq. (5)",
          "exact as the ratio of the limits lim E<s_t, s_t+1> / lim E||s_t||^2 (the cosine of "
          "the package's deterministic equivalent, angular.stationary_angle with one step per "
          "epoch); the printed proof derives only the numerator"),
    Claim("thm3.2.eq6", "C* >= -alpha max_i a_i / 2", "holds",
          ("proof:paper_thm32_eq6", _T + "test_thm32_against_the_exact_stationary_moments"),
          "Theorem 3.2 eq. (6)", "no proof printed; a weighted mean of the a_i is at most "
          "their maximum"),
    Claim("thm3.2.range", "C* in [-1/2, 0], limit angle in [90, 120] degrees", "false",
          ("proof:paper_thm32_range", _T + "test_printed_thm32_range_counterexample",
           "object:autodrop_theory.paper.THM32_RANGE"), "Theorem 3.2",
          "false under the theorem's condition (contraction, alpha a_i < 2): a = (1.5,), "
          "sig_sq = (1,), alpha = 1 gives C* = -0.75, 138.6 degrees, reading C* as eq. (5) "
          "does, the ratio of the limits (the limit of E[cos] itself is -0.54 for this one "
          "coordinate and -0.749 for 200 identical ones: below -1/2 either way); holds (C* in "
          "[-1/2, 0)) "
          "when alpha max a_i <= 1 (paper_thm32_range)"),
    Claim("thm3.2.proof", "Appendix 9 proves Theorem 3.2", "holds_corrected",
          ("proof:paper_thm32_variance", "proof:paper_thm32_inner", "proof:paper_thm32_step_sq",
           _T + "test_printed_steps_are_refused_where_classified"), "Appendix 9",
          "eqs. (13)-(18) check after one misprint (gamma A^2 Sigma for gamma^2 A^2 Sigma); "
          "(5), (6) and the range are not derived there"),
    Claim("alg1.smoothing", "Algorithm 1 smooths the angle buffer with a Gaussian kernel "
          "K(x*, x_t; sigma), sigma = min(std(B), m/2)", "unchecked", (),
          "Section 4, Algorithm 1", "the kernel is printed as exp(+(x* - x_t)^2/(2 sigma^2)), "
          "which grows with the distance: a sign misprint for exp(-(x* - x_t)^2/(2 sigma^2)); "
          "the package does not implement Algorithm 1 (it models the authors' released rule)"),
    Claim("alg1.drop", "drop when C_i - C_{i-1} < 0.1: alpha <- max{alpha_min, rho alpha}, "
          "empty the buffer", "unchecked", (), "Section 4, Algorithm 1",
          "a design rule, not a theorem; the test is signed (a falling smoothed angle also "
          "drops) and C_{i-1} is undefined right after a reset; the package implements the "
          "released code's rule instead (docs/theory.md §5)"),
    Claim("um.special_cases", "UM (eq. 9) is heavy ball at s = 0, Nesterov at s = 1, SGD at "
          "s = 1/(1 - beta)", "holds", (_T + "test_um_special_cases_and_recursions",),
          "Section 5, eq. (9)", "checked on random vectors; recursions (24)-(26) too"),
    Claim("thm5.1.assumptions", "f convex, ||subgradient|| <= G, E||G(x; xi) - E G(x; xi)|| "
          "<= delta^2", "holds_corrected",
          ("object:autodrop_theory.assumptions.CVX_UM", "proof:paper_thm51_one_step",
           _T + "test_printed_steps_are_refused_where_classified"), "Theorem 5.1",
          "the printed noise condition bounds the first moment; the proof uses E||delta||^2 <= "
          "delta^2 (a distribution with E||delta|| = 1, E||delta||^2 = M shows the gap); read "
          "as the second moment, also s >= 0 and beta < 1 are needed"),
    Claim("thm5.1.conditions", "condition (10) on alpha_hat_i, k_i, kappa_1, kappa_2", "holds",
          ("proof:paper_lemma121_kappa1", "proof:paper_lemma121_kappa2",
           _T + "test_conditions_10_and_lemma_121"), "Theorem 5.1 eq. (10)",
          "satisfiable (Lemma 12.1's schedules); (32)-(34) restate it with other exponents, "
          "which the computation there does not use (a misprint)"),
    Claim("thm5.1.proof", "Appendix 12 proves eq. (31)", "holds_corrected",
          ("proof:paper_thm51_bound", "proof:paper_thm51_one_step", "proof:paper_thm51_abel",
           _T + "test_printed_steps_are_refused_where_classified"), "Appendix 12",
          "(24)-(30) check; the step 'each stage's decrease <= f(x_0) - f*' is false, (31) "
          "follows by summation by parts with alpha_0 in place of sum_i alpha_hat_i; (32) "
          "and (34) are false for every n"),
    Claim("thm5.1.rate", "min_t E f(x_t) - f* <= O(log n / sqrt(n))", "holds_corrected",
          ("proof:paper_thm51_rate", "proof:paper_harmonic",
           _T + "test_printed_final_display_of_thm51_fails_at_one_stage",
           _T + "test_stepwise_bound_against_monte_carlo"), "Theorem 5.1",
          "with explicit constants the bound is [c_0 + c_1 H_n]/(kappa_1 n), H_n <= 1 + log n: "
          "O(log n / n), better than claimed; the printed final display is false at n = 1"),
    Claim("lemma12.1", "alpha_hat_i = 1/(i+2), kappa_1/alpha_hat_i <= k_i <= kappa_2/alpha_hat_i "
          "give (10) and kappa_1 n(n+3)/2 <= T <= kappa_2 n(n+3)/2", "holds",
          ("proof:paper_lemma121_kappa1", "proof:paper_lemma121_kappa2",
           "proof:paper_lemma121_T_upper", "proof:paper_lemma121_T_lower",
           _T + "test_conditions_10_and_lemma_121"), "Lemma 12.1, Appendix 12.2",
          "exact for every n (n >> 1 not needed); alpha_hat_{-1} = 1 is outside the stated "
          "(0, 1)"),
    Claim("thm5.2.k_bounds", "(sqrt(pi) - 1)/(gamma alpha_hat_i) <= k_i <= sqrt(2 pi/(3 tau0))/"
          "(gamma alpha_hat_i)", "holds_corrected",
          ("proof:paper_thm52_k_lower", "proof:paper_thm52_k_upper_tau0",
           "proof:paper_thm52_k_upper_half", _T + "test_algorithm2_stage_lengths"),
          "Theorem 5.2 eqs. (37)-(38)",
          "(37) holds; (38) is false without gamma alpha_hat_0 <= 1 (gamma alpha_0 = 100, "
          "tau0 = 0.1) and for tau0 in (1/2, 2) (tau0 = 1.99, eps alpha_0 = 0.33); holds for "
          "k* under both, k_i = ceil(k*) adds < 1"),
    Claim("thm5.2.proof", "Lemma 12.1 and Theorem 5.1 give Theorem 5.2", "false",
          (_T + "test_printed_steps_are_refused_where_classified",),
          "Appendix 12.1 eq. (39)",
          "(39) needs alpha_hat_i <= 1/(i+2) but the theorem's alpha_hat_i = (i+1)^(-2/3) is 1 "
          "> 1/2 at i = 0, and alpha_hat_{-1} = 0^(-2/3) is undefined: neither Lemma 12.1 nor "
          "Theorem 5.1 applies; the step (41) from (36) checks (paper_thm52_eq41_lower, "
          "paper_thm52_eq41_upper)"),
    Claim("thm5.2.rate", "Algorithm 2 gives min_t E f(x_t) - f* <= O(log T / sqrt(T))",
          "holds_corrected",
          ("proof:paper_thm52_rate", "proof:paper_thm52_stages_from_T",
           "proof:paper_thm51_rate", "proof:paper_lemma121_T_upper",
           "proof:paper_thm52_k_lower", "proof:paper_thm52_k_upper_half",
           _T + "test_thm52_corrected_bound",
           "object:autodrop_theory.paper.thm52_bound"), "Theorem 5.2",
          "with alpha_hat_i = 1/(i+2), gamma <= 2, tau0 <= 1/2, kappa_2 + 1/2 for the rounding: "
          "O(log T / sqrt(T)) with explicit constants (thm52_bound); with the printed "
          "(i+1)^(-2/3), eq. (31) gives only O(T^(-2/5))"),
)


def claims() -> list:
    """Every claim of the paper's Sections 3 and 5 with its verdict and evidence, as dicts
    (``Claim.as_dict``); the ledger is validated first (every reference resolves)."""
    check_ledger(PAPER_CLAIMS)
    return [c.as_dict() for c in PAPER_CLAIMS]


def table() -> str:
    """The verdict table, one line per claim (``python -m proofs --paper``)."""
    check_ledger(PAPER_CLAIMS)
    return format_table(PAPER_CLAIMS)
