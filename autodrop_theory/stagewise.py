"""The stage-wise drop schedule of docs/theory.md §3a, as numbers: stage rates and lengths.

Problem and assumptions: SC, SM, BV (docs/theory.md §1); SGD run in stages k = 0, 1, ...,
stage k at eta_k = eta_0 rho^k with 0 < eta_0 <= 1/L and 0 < rho < 1.

Algorithm: the first stage lasts T_0 = ceil(max(0, ln(mu r_0 / (eta_0 sigma^2))) / (eta_0 mu))
steps (until the bias of the start is below the noise floor eta_0 sigma^2 / mu); stage k >= 1
lasts T_k = ceil(ln(2 / rho) / (eta_k mu)) steps (until the bias has decayed by rho / 2).

Guarantee (upper, docs/theory.md §3a, proved in ``proofs``): at the end of stage K - 1 >= 1, after
T = T_0 + ... + T_{K-1} steps,
    E||y_T||^2 <= 2 eta_{K-1} sigma^2 / mu <= C(rho, eta_0 mu) sigma^2 / (mu^2 (T - T_0)),
    C = 2 (ln(2 / rho) + eta_0 mu) / (1 - rho),
the ``STAGEWISE`` bound of :mod:`autodrop_theory.bounds`.  (Without the rounding of T_k up to
whole steps the constant is the 2 ln(2 / rho) / (1 - rho) of docs/theory.md's sketch; the eta_0 mu
term pays for the rounding.)
"""

from __future__ import annotations

import math
import sys

import numpy as np

from . import _validate as v
from .errors import AssumptionError

__all__ = ["stagewise_schedule", "first_stage_length"]


def first_stage_length(mu, sigma_sq, lr, r0_sq) -> int:
    """T_0 = ceil(max(0, ln(mu r_0 / (eta_0 sigma^2))) / (eta_0 mu)).

    Invariant to scaling r_0 and sigma^2 together: where a product leaves float64's normal
    range (r_0 = 1e308), the log-ratio is taken as a sum of logs instead."""
    mu = v.in_range("mu", mu, 0.0, None, lo_open=True)
    sigma_sq = v.in_range("sigma_sq", sigma_sq, 0.0, None, lo_open=True)
    lr = v.in_range("lr", lr, 0.0, None, lo_open=True)
    r0_sq = v.in_range("r0_sq", r0_sq, 0.0, None)
    if r0_sq == 0:
        return 0
    num, den = mu * r0_sq, lr * sigma_sq
    if all(sys.float_info.min <= x < math.inf for x in (num, den)):
        log_ratio = math.log(num) - math.log(den)
    else:
        log_ratio = math.log(mu) + math.log(r0_sq) - math.log(lr) - math.log(sigma_sq)
    rate = lr * mu
    steps = 0.0 if log_ratio <= 0 else (log_ratio / rate if rate > 0 else math.inf)
    if steps > 2 ** 62:
        raise AssumptionError(f"lr: the first stage would last more than 2^62 steps "
                              f"(lr mu = {rate:.3g})")
    return int(math.ceil(steps))


def stagewise_schedule(mu, L, sigma_sq, lr, rho, r0_sq, stages: int):  # noqa: N803
    """Rates eta_k and lengths T_k (ints) of stages k = 0..stages-1.

    Returns:
        (rates, lengths): float64 and int64 arrays of shape (stages,).
    """
    mu = v.in_range("mu", mu, 0.0, None, lo_open=True)
    L = v.in_range("L", L, mu, None)  # noqa: N806
    sigma_sq = v.in_range("sigma_sq", sigma_sq, 0.0, None, lo_open=True)
    lr = v.in_range("lr", lr, 0.0, 1.0 / L, lo_open=True)
    rho = v.in_range("rho", rho, 0.0, 1.0, lo_open=True, hi_open=True)
    r0_sq = v.in_range("r0_sq", r0_sq, 0.0, None)
    stages = v.integer("stages", stages, lo=1)
    rates = lr * rho ** np.arange(stages)
    lengths = np.empty(stages, dtype=np.int64)
    lengths[0] = first_stage_length(mu, sigma_sq, lr, r0_sq)
    rest = np.ceil(math.log(2.0 / rho) / (rates[1:] * mu))
    if np.any(rest > 2.0 ** 62):
        raise AssumptionError(f"stages: stage {int(np.argmax(rest > 2.0 ** 62)) + 1} would "
                              f"last more than 2^62 steps (lr mu rho^k = "
                              f"{float(rates[-1] * mu):.3g}); use fewer stages")
    lengths[1:] = rest.astype(np.int64)
    return rates, lengths
