"""The per-method block of results.json (SPEC.md), computed from simulated trajectories."""

from __future__ import annotations

import numpy as np

from .engine import Trajectories
from .stats import mean_ci

__all__ = ["method_results", "cr_ranks", "first_drop_text"]


def method_results(traj: Trajectories, steps_per_epoch: int, config: dict,
                   cramer_rao_final=None) -> dict:
    """Means over seeds with 95% Student-t intervals (also for the problem's extra metrics,
    under their own names); a diverged seed is reported, not hidden:
    its non-finite values make the affected means null in results.json and ``diverged_seeds``
    counts it."""
    epochs = traj.lr.shape[1]
    sq, lo, hi = mean_ci(traj.sq_dist)
    sub, sub_lo, sub_hi = mean_ci(traj.subopt)
    with np.errstate(invalid="ignore"):
        # boundaries 0 and 1 have no angle (all nan): keep them nan without a warning
        defined = np.isfinite(traj.angle_deg).any(axis=0)
        angle = np.full(epochs + 1, np.nan)
        angle_ci = np.full((epochs + 1, 2), np.nan)
        angle[defined], angle_ci[defined, 0], angle_ci[defined, 1] = mean_ci(
            traj.angle_deg[:, defined])
    final_ratio = (float(sq[-1] / cramer_rao_final) if cramer_rao_final else None)
    extra = {}
    for key, values in traj.extra.items():   # the problem's further metrics, e.g. test accuracy
        mean, lo_, hi_ = mean_ci(values)
        extra[key], extra[key + "_ci"] = mean, np.stack([lo_, hi_], axis=1)
    firsts = [row[0] for row in traj.drop_epochs() if row]
    first_drop = {"mean": float(np.mean(firsts)) if firsts else None,
                  "fraction_of_seeds": len(firsts) / traj.dropped.shape[0]}
    return extra | {
        "first_drop_epoch": first_drop,
        "iterations": (np.arange(epochs + 1) * steps_per_epoch).tolist(),
        "lr": traj.lr.mean(axis=0),
        "mean_sq_dist": sq,
        "mean_sq_dist_ci": np.stack([lo, hi], axis=1),
        "suboptimality": sub,
        "suboptimality_ci": np.stack([sub_lo, sub_hi], axis=1),
        "angle_deg": angle,
        "angle_deg_ci": angle_ci,
        "drop_epochs": traj.drop_epochs(),
        "diverged_seeds": int(traj.diverged.sum()),
        "config": config,
        "final": {"mean_sq_dist": sq[-1], "ci": [lo[-1], hi[-1]], "suboptimality": sub[-1],
                  "cramer_rao_ratio": final_ratio,
                  "mean_drops": float(traj.dropped.sum(axis=1).mean()),
                  "angle_deg": angle[-1]},
    }


def cr_ranks(methods: dict) -> dict:
    """name -> rank (1 = lowest final Cramer-Rao ratio); methods without a ratio get none."""
    ratios = {n: m["final"]["cramer_rao_ratio"] for n, m in methods.items()}
    order = sorted((n for n, r in ratios.items() if r is not None and np.isfinite(r)),
                   key=ratios.get)
    return {n: i + 1 for i, n in enumerate(order)}


def first_drop_text(method: dict) -> str:
    """Mean epoch of the first drop over the seeds that drop, with their share if not all."""
    fd = method["first_drop_epoch"]
    if fd["mean"] is None:
        return "-"
    share = fd["fraction_of_seeds"]
    return f"{fd['mean']:.1f}" + ("" if share == 1 else f" ({100 * share:.0f}%)")
