"""The printed tables of the commands, from a :class:`~simulations.results.Results`."""

from __future__ import annotations

import numpy as np

from .cli import print_table
from .results import cr_ranks, first_drop_text

__all__ = ["fmt", "status", "quadratic_table", "logistic_table", "schedule_check_lines"]


def fmt(x, spec=".4g"):
    return "n/a" if x is None or not np.isfinite(x) else format(x, spec)


def status(m: dict, seeds: int) -> str:
    div, over = m["diverged_seeds"], m.get("overflowed_seeds", 0)
    if div:
        return f"DIVERGED {div}/{seeds}"
    return f"OVERFLOW {over}/{seeds} (--x64)" if over else "ok"


def quadratic_table(results) -> None:
    """The quadratic commands' table: final error with its CI, CR ratio and rank, drops, first
    drop, final angle, status; the oracle's drops and the agreement of ``constant`` with the
    exact theory below it."""
    p, th, methods = results.problem, results.theory, results.methods
    E, K, S = p["epochs"], p["steps_per_epoch"], p["seeds"]
    cr = th.get("cramer_rao")
    cr_final = cr[-1] if cr else None
    ranks = cr_ranks(methods)
    rows = []
    for name, m in methods.items():
        f = m["final"]
        rows.append([name, fmt(f["mean_sq_dist"]), f"[{fmt(f['ci'][0])}, {fmt(f['ci'][1])}]",
                     fmt(f["cramer_rao_ratio"], ".3g"), ranks.get(name, "-"),
                     fmt(f["mean_drops"], ".2f"), first_drop_text(m),
                     fmt(f["angle_deg"], ".1f"), status(m, S)])
    print(f"quadratic d={p['dim']} mu={p['mu']:g} L={p['L']:g} sigma^2={p['sigma_sq']:g}"
          f" lr={p['lr']:g} K={K} E={E} seeds={S}; Cramer-Rao limit at T={E * K}:"
          f" {fmt(cr_final)}; predicted stationary angle {fmt(th['stationary_angle_deg'], '.2f')}"
          " deg")
    print_table(["method", "E||x-x*||^2", "95% CI", "CR ratio", "rank", "drops",
                 "1st drop", "angle", "status"], rows)
    if "oracle" in methods:
        print(f"oracle drops at the end of epochs {methods['oracle']['config']['drop_epochs']}; "
              "'1st drop': mean epoch of the first drop over the seeds that drop (their share)")
    if "constant_agreement" in th:
        a = th["constant_agreement"]
        print(f"constant vs exact theory (docs/theory.md §2c): max |z| = {a['max_abs_z']:.2f} "
              f"over {a['boundaries']} boundaries; the 95% CI covers the exact value at "
              f"{100 * a['fraction_exact_in_ci']:.0f}% of them")
    if "angle_noise" in th:
        a = th["angle_noise"]
        lines = ", ".join(f"{k} {fmt(t, '.3g')} deg ({fmt(a['thresholds_in_sd'][k], '.2f')} sd)"
                          for k, t in a["thresholds_deg"].items())
        print(f"angle noise (docs/theory.md §4e): sd of the epoch-to-epoch angle change at "
              f"stationarity {fmt(a['theory_change_sd_deg'], '.3g')} deg (theory), "
              f"{fmt(a['measured_change_sd_deg'], '.3g')} deg (constant, second half, "
              f"{a['measured_changes']} changes)" + (f"; thresholds theta_0: {lines}"
                                                      if lines else ""))
    schedule_check_lines(th)


def logistic_table(results) -> None:
    """The strongly convex command's table: final f - f* with its CI, ||x - x*||^2, CR ratio and
    rank, test accuracy, drops, first drop, fitted rate exponent, status."""
    p, methods = results.problem, results.methods
    print(f"{p['dataset']}: n_train={p['n_train']} n_test={p['n_test']} d={p['dim']} "
          f"l2={p['l2']:.3g} mu={p['mu']:.3g} L={p['L']:.3g} f*={p['f_star']:.10g} "
          f"(|grad f(x*)| = {p['grad_norm_at_x_star']:.1e}) B={p['batch_size']} "
          f"{p['sampling']} K={p['steps_per_epoch']} E={p['epochs']} lr={p['lr']:.3g} "
          f"seeds={p['seeds']}")
    rows = []
    ranks = cr_ranks(methods)
    for name, m in methods.items():
        f, ci, re = m["final"], m["suboptimality_ci"][-1], m["rate_exponent"]
        rows.append([name, fmt(f["suboptimality"], ".3g"),
                     f"[{fmt(ci[0], '.3g')}, {fmt(ci[1], '.3g')}]",
                     fmt(f["mean_sq_dist"], ".3g"), fmt(f["cramer_rao_ratio"], ".3g"),
                     ranks.get(name, "-"), fmt(m["test_accuracy"][-1], ".4f"),
                     fmt(f["mean_drops"], ".2f"), first_drop_text(m),
                     f"{fmt(re['slope'], '.2f')} [{fmt(re['ci'][0], '.2f')}, "
                     f"{fmt(re['ci'][1], '.2f')}]", status(m, p["seeds"])])
    print_table(["method", "f - f*", "95% CI", "||x-x*||^2", "CR ratio", "rank", "test acc",
                 "drops", "1st drop", "rate exponent [95% CI]", "status"], rows)
    paired_lines(methods)
    schedule_check_lines(results.theory)


def paired_lines(methods: dict) -> None:
    """One line per method run with ``constant``: its final f - f* minus constant's, paired by
    seed, with the 95% CI, and whether the interval excludes 0."""
    for name, m in methods.items():
        vs = m["final"].get("vs_constant")
        if vs is None:
            continue
        d = vs["suboptimality"]
        lo, hi = d["ci"]
        verdict = ("below constant" if hi < 0 else "above constant" if lo > 0 else
                   "not distinguishable from constant")
        print(f"{name} - constant, final f - f* paired over {vs['seeds']} seeds: "
              f"{fmt(d['mean_diff'], '.3g')} [{fmt(lo, '.3g')}, {fmt(hi, '.3g')}]: {verdict}")


def schedule_check_lines(theory: dict) -> None:
    """One line per method: the adaptive-schedule check of docs/theory.md §2d on the realised
    schedules (mean of the scaled E[Z_T] - ||y_0||^2, in units of the reference noise budget,
    with its 95% CI; the theorem says <= 0)."""
    checks = theory.get("schedule_check") or {}
    if not checks:
        return
    print("adaptive-schedule check (docs/theory.md §2d), per seed's own schedule: "
          "c (E[Z_T] - ||y_0||^2) <= 0, in units of the noise budget")
    for name, c in checks.items():
        if "mean" not in c:
            print(f"  {name}: not evaluated ({c['why']})")
            continue
        verdict = ("consistent" if c["consistent"] else "VIOLATED") if c["covered"] else \
            f"not covered: {c['why']}"
        print(f"  {name}: {c['mean']:.3g} [{c['ci'][0]:.3g}, {c['ci'][1]:.3g}], "
              f"z = {c['z']:.2f}: {verdict}")
