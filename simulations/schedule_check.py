"""The adaptive-schedule check of every simulated run (docs/theory.md §2d).

For each method the engine accumulates, per seed and in the run's dtype, the scaled statistic
S = sum over SGD segments of c_k (Z_end - ||y_start||^2) of ``SGD_ADAPTIVE_SCHEDULE`` on the
schedule that seed actually produced (segments restart where the method moved x outside an SGD
step, e.g. AutoDrop's jump to a tail average).  The theorem says E S <= 0 whenever every rate
satisfies its conditions.  Reported per method, in units of the reference noise budget
N = sigma^2 lr^2 (1 - q^T)/(1 - q), q = (1 - lr mu)^2 (the noise term of the constant
schedule, scaled the same way): the Monte Carlo mean of S / N with its 95% CI and its z-score
mean / SE.  ``consistent`` is the one-sided test z <= Z_MAX: a true bound fails it with
probability below 4e-5 per method (normal approximation), a simulator or bound that is wrong
by more than a few standard errors fails it.
"""

from __future__ import annotations

import math

import numpy as np

from .stats import mean_ci

__all__ = ["Z_MAX", "schedule_check"]

Z_MAX = 4.0


def _scale(bv: dict, lr: float, total: int) -> float:
    q = (1.0 - lr * bv["mu"]) ** 2
    budget = total if q == 1.0 else -math.expm1(total * math.log(q)) / (1.0 - q)
    return bv["sigma_sq"] * lr ** 2 * budget


def _why_not(bv, traj, momentum) -> str | None:
    """Why the theorem does not cover this method's run, or None."""
    if bv is None:
        return "the problem has no strong-convexity and variance constants"
    if not bv["covered"]:
        return bv["why"]
    if momentum:
        return "momentum (UM): its steps are not SGD steps at the method's rates"
    lr_max = float(np.max(traj.lr_max))
    if lr_max * (bv["mu"] + bv["L"]) > 2.0 or lr_max * bv["mu"] >= 1.0:
        return f"a rate {lr_max:.4g} above 2/(mu + L) = {2.0 / (bv['mu'] + bv['L']):.4g}"
    return None


def schedule_check(problem, trajs: dict, lr: float, total_steps: int, momentum: float) -> dict:
    """name -> the check's record (results.json ``theory.schedule_check``, docs/results.md)."""
    bv = problem.bv_constants()
    out = {}
    for name, traj in trajs.items():
        why = _why_not(bv, traj, momentum)
        if traj.schedule_stat is None or bv is None:
            out[name] = {"covered": False, "why": why}
            continue
        scale = _scale(bv, lr, total_steps) or 1.0   # no noise: deterministic, unscaled
        s = np.asarray(traj.schedule_stat, np.float64) / scale
        if not np.all(np.isfinite(s)):
            out[name] = {"covered": False, "why": why or "a seed diverged or overflowed the "
                         "run's dtype (rerun with --x64)"}
            continue
        mean, lo, hi = mean_ci(s)
        se = float(np.std(s, ddof=1) / np.sqrt(s.size))
        z = float(mean / se) if se > 0 else (0.0 if mean <= 0 else math.inf)
        out[name] = {"covered": why is None, "why": why, "mean": float(mean),
                     "ci": [float(lo), float(hi)], "z": z, "scale": scale,
                     "consistent": bool(np.isfinite(mean) and z <= Z_MAX)}
    return out
