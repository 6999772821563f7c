"""Summary statistics over seeds: means with Student-t confidence intervals."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["mean_ci", "z_scores"]


def mean_ci(samples, level: float = 0.95):
    """Mean over axis 0 and its two-sided ``level`` Student-t confidence interval.

    mean +- t_{(1+level)/2, S-1} * sd / sqrt(S), sd with ddof = 1; S >= 2 seeds.
    Non-finite samples (a diverged seed) make that column's mean and interval non-finite.
    Returns (mean, lo, hi), each shaped like ``samples[0]``.
    """
    x = np.asarray(samples, dtype=np.float64)
    n = x.shape[0]
    if n < 2:
        raise ValueError(f"samples: need at least 2 seeds for a confidence interval, got {n}")
    mean = x.mean(axis=0)
    half = stats.t.ppf(0.5 + level / 2, n - 1) * x.std(axis=0, ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half


def z_scores(samples, expected):
    """(sample mean - expected) / standard error, per column of ``samples`` (axis 0 = seeds).

    The standard error is sd / sqrt(S) with the sample sd (ddof = 1).  A column whose samples
    are all identical and equal to ``expected`` (e.g. the deterministic initial point) gets 0.
    """
    x = np.asarray(samples, dtype=np.float64)
    se = x.std(axis=0, ddof=1) / np.sqrt(x.shape[0])
    diff = x.mean(axis=0) - np.asarray(expected, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, diff / np.where(se > 0, se, 1.0), np.where(diff == 0, 0.0, np.inf))
    return z
