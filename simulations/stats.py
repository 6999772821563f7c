"""Summary statistics over seeds: means with Student-t confidence intervals."""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["t_quantile", "mean_ci", "mean_band", "z_scores", "rate_exponent"]


def t_quantile(df, p):
    """The Student-t quantile of probability ``p`` at ``df`` degrees of freedom (arrays
    broadcast): ``scipy.special.stdtrit``, the function ``scipy.stats.t.ppf`` evaluates (the same
    numbers; importing scipy.stats takes about half a second of every command's start)."""
    return special.stdtrit(df, p)


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
    with np.errstate(invalid="ignore", over="ignore"):    # a diverged seed: nan, by design
        mean = x.mean(axis=0)
        half = t_quantile(n - 1, 0.5 + level / 2) * x.std(axis=0, ddof=1) / np.sqrt(n)
        return mean, mean - half, mean + half


def mean_band(samples, level: float = 0.95):
    """(mean, band) per column of ``samples`` (axis 0 = seeds): :func:`mean_ci` with the
    interval as an (n, 2) array [lo, hi]; columns with no finite sample (an angle not yet
    defined) are nan without a warning."""
    x = np.asarray(samples, dtype=np.float64)
    defined = np.isfinite(x).any(axis=0)
    if defined.all():          # no copy: the column sums are exactly those of mean_ci(x)
        mean, lo, hi = mean_ci(x, level)
        return mean, np.stack([lo, hi], axis=-1)
    mean = np.full(x.shape[1:], np.nan)
    band = np.full(x.shape[1:] + (2,), np.nan)
    mean[defined], band[defined, 0], band[defined, 1] = mean_ci(x[:, defined], level)
    return mean, band


def z_scores(samples, expected, rtol: float = 1e-9):
    """(sample mean - expected) / standard error, per column of ``samples`` (axis 0 = seeds).

    The standard error is sd / sqrt(S) with the sample sd (ddof = 1).  A column without spread
    (e.g. the deterministic initial point) gets 0 if it equals ``expected`` up to rounding
    (relative ``rtol``; use about 1e-6 for float32 samples), and inf otherwise.
    """
    x = np.asarray(samples, dtype=np.float64)
    se = x.std(axis=0, ddof=1) / np.sqrt(x.shape[0])
    diff = x.mean(axis=0) - np.asarray(expected, dtype=np.float64)
    rounding = rtol * np.maximum(1.0, np.abs(np.asarray(expected, dtype=np.float64)))
    spread = se > rounding          # a spread at rounding level is no spread
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(spread, diff / np.where(spread, se, 1.0),
                        np.where(np.abs(diff) <= rounding, 0.0, np.inf))


def rate_exponent(iterations, values, last_fraction=0.5) -> dict:
    """Slope of log(values) on log(iterations) over the last part of the run, with its 95% CI
    (ordinary least squares, Student-t with n - 2 degrees of freedom)."""
    it = np.asarray(iterations, dtype=float)
    y = np.asarray(values, dtype=float)
    keep = (it >= it[-1] * (1 - last_fraction)) & (it > 0) & (y > 0)
    if keep.sum() < 3:
        return {"slope": None, "ci": [None, None], "se": None}
    from scipy import stats
    fit = stats.linregress(np.log(it[keep]), np.log(y[keep]))
    half = t_quantile(keep.sum() - 2, 0.975) * fit.stderr
    return {"slope": fit.slope, "ci": [fit.slope - half, fit.slope + half], "se": fit.stderr}
