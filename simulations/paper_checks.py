"""The verdict logic of ``python -m simulations.paper`` (docs/paper.md §10): pure numpy functions
from measured arrays to numbers and verdicts, so that each can be fed a corrupted input.

- :func:`saturation`: the saturation level of per-iteration angle curves (S seeds x T
  iterations) over a window, its standard error from the seed-level window means (seeds are
  independent, so the autocorrelation within a seed needs no model), and the z-scores against
  the exact levels; ``agrees`` is |z| <= 4 against the exact mean angle.
- :func:`saturation_time`: the first iteration at which the seed-mean curve, smoothed over
  ``smooth`` iterations, covers ``fraction`` of its rise, with a bootstrap interval over seeds.
- :func:`fit_model12`: the model (12) v(t) = (pi/2)(1 + eps alpha) gamma alpha t/(gamma alpha t
  + 1) fitted (scipy.optimize.curve_fit, weighted by the per-iteration standard errors) to a
  seed-mean curve: gamma, eps with their standard errors, chi^2 per degree of freedom and the
  share of residuals beyond 4 standard errors.
- :func:`stages_of` and :func:`schedule_conditions`: the stages (rates, lengths) of a realised
  per-step rate sequence and condition (10) of Theorem 5.1 on them
  (:func:`autodrop_theory.paper.kappas`, :func:`~autodrop_theory.paper.conditions_10`),
  also on the first half of the run: a kappa_2 that grows with the horizon is not a constant.
- :func:`p_verdicts`: P1 and P2 (i)-(iv) from those measurements.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats

from autodrop_theory import _validate as v
from autodrop_theory.errors import AssumptionError
from autodrop_theory.paper import conditions_10, kappas

__all__ = ["Z_AGREE", "saturation", "saturation_time", "model12", "fit_model12", "stages_of",
           "schedule_conditions", "p_verdicts"]

Z_AGREE = 4.0           # the agreement criterion: |measured - exact| <= 4 standard errors


def _curves(name, angles) -> np.ndarray:
    a = np.asarray(angles, np.float64)
    if a.ndim != 2 or a.shape[0] < 2 or a.shape[1] < 2:
        raise AssumptionError(f"{name}: need seeds x iterations (at least 2 x 2), got shape "
                              f"{a.shape}")
    return a


def saturation(angles, start: int, exact_mean: float, exact_det: float) -> dict:
    """Seed-level window means over iterations [start, T) of ``angles`` (S, T), their mean and
    standard error, and z-scores against the exact mean angle and the deterministic equivalent;
    a non-finite window (a diverged seed) makes the level nan and ``agrees`` False."""
    a = _curves("angles", angles)
    start = v.integer("start", start, lo=0)
    if start >= a.shape[1] - 1:
        raise AssumptionError(f"start: need < {a.shape[1] - 1} (the window needs two "
                              f"iterations), got {start}")
    per_seed = a[:, start:].mean(axis=1)
    level = float(per_seed.mean())
    se = float(per_seed.std(ddof=1) / np.sqrt(per_seed.size))
    z = (level - exact_mean) / se if se > 0 else float("nan")
    z_det = (level - exact_det) / se if se > 0 else float("nan")
    return {"level_deg": level, "se_deg": se, "exact_mean_deg": float(exact_mean),
            "exact_det_deg": float(exact_det), "z": float(z), "z_det": float(z_det),
            "agrees": bool(np.isfinite(z) and abs(z) <= Z_AGREE), "window": [start, a.shape[1]],
            "seeds": int(per_seed.size)}


def _first_time(curve, fraction, smooth):
    c = np.convolve(curve, np.ones(smooth) / smooth, mode="valid")
    lo, hi = c[0], np.mean(c[len(c) // 2:])
    hit = np.flatnonzero(c >= lo + fraction * (hi - lo))
    return float(hit[0] + smooth - 1) if hit.size else float("nan")


def saturation_time(angles, fraction=0.9, smooth=5, boots=200, seed=0) -> dict:
    """The iteration at which the seed-mean curve (moving average over ``smooth``) first covers
    ``fraction`` of its rise from its start to its second-half level; 95% percentile bootstrap
    interval over seeds (numpy seed ``seed``)."""
    a = _curves("angles", angles)
    fraction = v.in_range("fraction", fraction, 0.0, 1.0, lo_open=True, hi_open=True)
    smooth = v.integer("smooth", smooth, lo=1)
    t = _first_time(a.mean(axis=0), fraction, smooth)
    rng = np.random.default_rng(seed)
    bs = [_first_time(a[rng.integers(0, a.shape[0], a.shape[0])].mean(axis=0), fraction, smooth)
          for _ in range(boots)]
    lo, hi = np.nanpercentile(bs, [2.5, 97.5])
    return {"iteration": t, "ci": [float(lo), float(hi)], "fraction": fraction}


def model12(t, gamma, eps, alpha):
    """Eq. (12) in degrees: 90 (1 + eps alpha)(1 - 1/(gamma alpha t + 1))."""
    u = gamma * alpha * np.asarray(t, np.float64)
    return 90.0 * (1.0 + eps * alpha) * u / (u + 1.0)


def fit_model12(t, mean_curve, se_curve, alpha) -> dict:
    """Weighted least squares of eq. (12) on (t, mean_curve) with standard errors se_curve."""
    t = np.asarray(t, np.float64)
    y, se = np.asarray(mean_curve, np.float64), np.asarray(se_curve, np.float64)
    ok = np.isfinite(y) & np.isfinite(se) & (se > 0)
    if ok.sum() < 3:
        raise AssumptionError("mean_curve: need at least 3 finite points with a positive SE")
    t, y, se = t[ok], y[ok], se[ok]
    level = np.mean(y[len(y) // 2:])
    p0 = (1.0 / (alpha * max(t[len(t) // 10], 1.0)), max(level / 90.0 - 1.0, 1e-3) / alpha)
    popt, pcov = optimize.curve_fit(lambda tt, g, e: model12(tt, g, e, alpha), t, y, p0=p0,
                                    sigma=se, absolute_sigma=True, maxfev=20000)
    resid = (y - model12(t, *popt, alpha)) / se
    dof = max(resid.size - 2, 1)
    chi2 = float(np.sum(resid ** 2))
    perr = np.sqrt(np.diag(pcov))
    return {"gamma": float(popt[0]), "gamma_se": float(perr[0]), "eps": float(popt[1]),
            "eps_se": float(perr[1]), "chi2_per_dof": chi2 / dof,
            "p_value": float(stats.chi2.sf(chi2, dof)),
            "share_beyond_4se": float(np.mean(np.abs(resid) > 4)),
            "describes": bool(stats.chi2.sf(chi2, dof) > 1e-3)}


def stages_of(lrs) -> tuple:
    """(stage rates, stage lengths) of a per-step rate sequence: maximal runs of one rate."""
    r = np.asarray(lrs, np.float64)
    if r.ndim != 1 or r.size == 0 or not np.all(np.isfinite(r)) or np.any(r <= 0):
        raise AssumptionError("lrs: need a non-empty 1-d sequence of finite rates > 0")
    change = np.flatnonzero(np.diff(r) != 0) + 1
    starts = np.r_[0, change]
    lengths = np.diff(np.r_[starts, r.size])
    return r[starts], lengths.astype(np.int64)


def schedule_conditions(lrs, floor=None) -> dict:
    """Condition (10) on the realised schedule (alpha_hat_{-1} := alpha_hat_0).  (10) is about an
    unending sequence of stages; on a finite run this reports the best kappa_1, kappa_2 (over
    the whole run and its first half: ``kappa2_growth`` = kappa_2(T) / kappa_2(T/2)), the rate
    part (alpha_hat_i <= 1/(i + 2)), the log-log slope of the kappa_2 term (i + 1) k_i
    alpha_hat_i alpha_hat_{i-1} over the complete stages (``term_slope``, nan with fewer than
    4; > 0: the term grows, so no constant kappa_2 serves every horizon) and, where the run ends
    at the rule's rate ``floor``, the horizon T* beyond which the last stage's term alone
    exceeds this run's kappa_2 (it grows linearly in T).  ``bounded``: none of these says
    that kappa_2 must grow."""
    r = np.asarray(lrs, np.float64)
    out = {}
    for key, part in (("full", r), ("half", r[: max(r.size // 2, 1)])):
        rates, k = stages_of(part)
        hat = np.r_[rates[0], rates]
        k1, k2 = kappas(hat, k)
        cond = conditions_10(hat, k, k1, k2)
        out[key] = {"stages": int(k.size), "kappa1": k1, "kappa2": k2, "rate_ok": cond["rate"],
                    "holds": all(cond.values())}
    rates, k = stages_of(r)
    hat = np.r_[rates[0], rates]
    i = np.arange(k.size)
    term = (i + 1) * k * hat[1:] * hat[:-1]
    done = slice(0, k.size - 1)                  # the last stage is cut by the budget
    slope = (float(np.polyfit(np.log(i[done] + 1), np.log(term[done]), 1)[0])
             if k.size - 1 >= 4 else float("nan"))
    at_floor = floor is not None and bool(np.isclose(rates[-1], floor, rtol=1e-5))
    n = k.size
    t_star = (float(out["full"]["kappa2"] / (n * hat[-1] * hat[-2])) if at_floor
              else float("nan"))
    out |= {"kappa2_growth": out["full"]["kappa2"] / out["half"]["kappa2"],
            "term_slope": slope, "ends_at_floor": at_floor, "t_star": t_star}
    out["bounded"] = bool(out["full"]["holds"] and out["kappa2_growth"] < 1.5
                          and not (slope > 0.1) and not at_floor)
    return out


def p_verdicts(levels: dict, times: dict, slow: dict, probe: dict) -> dict:
    """P1, P2 (i)-(iv) from the saturation levels (rate -> :func:`saturation`), saturation
    times (rate -> :func:`saturation_time`), the slowdown (``slow``: rate -> {"before",
    "after", "after_se"}: the mean per-iteration decrease of log E f before saturation and the
    slope of E f after it, with its SE) and ``probe`` (a larger stable rate's level, or None)."""
    rates = sorted(levels, reverse=True)
    lv = {a: levels[a]["level_deg"] for a in rates}
    se = {a: levels[a]["se_deg"] for a in rates}
    ci = {a: [lv[a] - 1.96 * se[a], lv[a] + 1.96 * se[a]] for a in rates}
    inside = {a: bool(90 < ci[a][0] and ci[a][1] < 120) for a in rates}
    order = all(lv[b] < lv[a] - Z_AGREE * np.hypot(se[a], se[b]) for a, b in zip(rates, rates[1:]))
    t = {a: times[a]["iteration"] for a in rates}
    pairs = list(zip(rates, rates[1:]))
    ordered = all(t[b] > t[a] for a, b in pairs)
    resolved = all(times[b]["ci"][0] > times[a]["ci"][1] for a, b in pairs)
    reversed_ = any(times[b]["ci"][1] < times[a]["ci"][0] for a, b in pairs)
    p2iii = ("holds" if ordered and resolved else "false" if reversed_ else "unchecked")
    rises = all(np.isfinite(t[a]) for a in rates)
    still = [a for a in rates if not (abs(slow[a]["after"]) <= Z_AGREE * slow[a]["after_se"]
                                      and slow[a]["before"] > 0)]
    flat = not still
    small = rates[-1]
    at90 = abs(lv[small] - 90.0) <= Z_AGREE * se[small]
    p2i = "holds" if all(inside.values()) else "false"
    if probe is not None and probe["level_deg"] - Z_AGREE * probe["se_deg"] > 120:
        p2i = "holds_corrected" if all(inside.values()) else "false"
    fmt = lambda a: f"{lv[a]:.2f} [{ci[a][0]:.2f}, {ci[a][1]:.2f}]"   # noqa: E731
    return {
        "nqm.P1": ("holds" if rises and flat else "false",
                   "the angle rises to a level at every rate (90% of the rise at "
                   + ", ".join(f"{a:g}: {t[a]:.0f}" for a in rates) + " iterations); E f over "
                   "the second half " + ("has a slope within 4 SE of 0 at every rate" if flat
                                         else "still decreases at " + ", ".join(
                                             f"alpha = {a:g} (relative slope {slow[a]['after']:.2g}"
                                             f" +- {slow[a]['after_se']:.1g} per iteration)"
                                             for a in still)
                                         + ": the angle saturates before the loss does")),
        "nqm.P2.i": (p2i, "levels (deg, 95% CI) " + "; ".join(f"{a:g}: {fmt(a)}" for a in rates)
                     + ("" if probe is None else f"; the stable rate {probe['rate']:g} saturates"
                        f" at {probe['level_deg']:.2f} +- {1.96 * probe['se_deg']:.2f} deg, "
                        "above 120 (holds only when alpha max a_i <= 1, thm3.2.range)")),
        "nqm.P2.ii": ("holds" if order else "false",
                      "each level below the next larger rate's by more than 4 SE"
                      if order else "two levels not separated by 4 SE"),
        "nqm.P2.iii": (p2iii,
                       ("" if p2iii != "unchecked" else "ordered but not resolved by the "
                        "bootstrap intervals: ")
                       + "90%-rise times (iterations, bootstrap 95% CI) " + "; ".join(
                           f"{a:g}: {t[a]:.0f} [{times[a]['ci'][0]:.0f}, {times[a]['ci'][1]:.0f}]"
                           for a in rates)),
        "nqm.P2.iv": ("holds" if at90 else "holds_corrected",
                      f"at alpha = {small:g} the level is {fmt(small)} deg: "
                      + ("90 within 4 SE" if at90 else "above 90 by more than 4 SE; the exact "
                         f"level is {levels[small]['exact_mean_deg']:.3f}, 90 + O(alpha) "
                         "(eq. 6), reaching 90 only as alpha -> 0")),
    }
