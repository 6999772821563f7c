"""Paper-ready figures: one-column size, vector PDF plus PNG, colour-blind-safe colours,
confidence bands where there is randomness and theory overlaid where it exists.

Every figure is drawn from a saved run alone (:func:`draw` takes a
:class:`~simulations.results.Results`):

    python -m simulations.figures DIR/results.json [--out DIR2]

redraws the figures of any command's results.json (into the same folder by default).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .figure_style import MIN_FONT_PT, OKABE_ITO, STYLE  # noqa: E402,F401  (re-exported)
from .figure_style import legend_below as _legend_below  # noqa: E402
from .figure_style import save_figure as _save  # noqa: E402

__all__ = ["error_vs_iterations", "curve_vs_epoch", "angle_vs_epoch", "lr_vs_iterations",
           "angular_phenomenon", "color", "draw", "save", "main"]


def _order():
    from .methods import REGISTRY       # the registry's order fixes each method's colour
    return list(REGISTRY) + ["cosine"]  # (cosine: the network experiment's optax schedule)


def _fit_y(ax, arrays, log: bool) -> None:
    """The y-range of the data (finite values; positive ones on a log axis), with a margin;
    overlays outside it leave the axes (see :func:`_mark_outside`)."""
    vals = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in arrays] or [[]])
    vals = vals[np.isfinite(vals) & ((vals > 0) if log else True)]
    if vals.size == 0:
        return
    lo, hi = vals.min(), vals.max()
    if log:
        pad = (hi / lo) ** 0.05 if hi > lo else 2.0
        ax.set_ylim(lo / pad, hi * pad)
    else:
        pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.05
        ax.set_ylim(lo - pad, hi + pad)


def _mark_outside(ax, label: str, values) -> bool:
    """An overlay entirely above (or below) the y-range: say so at the edge, with its value and
    an arrow, instead of stretching the axis over orders of magnitude.  True if marked."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    lo, hi = ax.get_ylim()
    if v.size == 0 or (v.min() <= hi and v.max() >= lo):
        return False
    above = v.min() > hi
    ax.annotate(f"{label}: {v.min() if above else v.max():.2g} {'↑' if above else '↓'}",
                xy=(0.98, 0.97 if above else 0.03), xycoords="axes fraction", ha="right",
                va="top" if above else "bottom", fontsize=MIN_FONT_PT)
    return True


def _log_x(ax, x) -> None:
    """A log x-axis whose labels never collide: below two decades, labels at 1, 2 and 5 times
    each power of ten (matplotlib would label every minor tick), else at the powers only."""
    import matplotlib.ticker as mticker
    x = np.asarray(x, dtype=float)
    x = x[x > 0]
    ax.set_xscale("log")
    if x.size and np.log10(x.max() / x.min()) < 2:
        ax.xaxis.set_major_locator(mticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_minor_formatter(mticker.NullFormatter())


def _ended(m: dict, seeds) -> str:
    """The note for a method some of whose seeds diverged or overflowed ('' if none)."""
    div, over = m.get("diverged_seeds", 0), m.get("overflowed_seeds", 0)
    return (f" (diverged {div}/{seeds})" if div else "") + (
        f" (overflow {over}/{seeds})" if over else "")


def _mark_end(ax, x, y, col) -> None:
    """A cross where a curve ends because seeds diverged (its later means are undefined)."""
    y = np.asarray(y, dtype=float)
    ok = np.flatnonzero(np.isfinite(y))
    if ok.size:
        ax.plot([np.asarray(x)[ok[-1]]], [y[ok[-1]]], "X", color=col, ms=5, mec="k", mew=0.5)


_DASHES = ["-", (0, (5, 1.5)), (0, (1.5, 1)), (0, (3, 1, 1, 1)), (0, (6, 2, 1.5, 2))]


def _index(name: str) -> int:
    order = _order()
    return order.index(name) if name in order else len(order) + (sum(map(ord, name)) % 3)


_METHOD_COLORS = OKABE_ITO[:7]          # black is kept for theory overlays


def color(name: str) -> str:
    return _METHOD_COLORS[_index(name) % len(_METHOD_COLORS)]


def linestyle(name: str):
    """A dash pattern per method as well as a colour, so overlapping curves stay apart (the
    (colour, dash) pair is unique over the registered methods)."""
    i = _index(name)
    return _DASHES[(i + i // len(_METHOD_COLORS)) % len(_DASHES)]




def error_vs_iterations(folder, methods: dict, theory: dict, stem="error_vs_iterations",
                        key="mean_sq_dist", ylabel=r"$\mathbb{E}\,\|x_t - x^*\|^2$",
                        overlays=None, seeds=None) -> list:
    """A mean over seeds (``key``, with its 95% band ``key + '_ci'`` when present) against
    iterations, log-log, for every method; theory overlaid: by default the exact constant-rate
    curve and the Cramer-Rao limit (``theory`` keys ``exact_sq_dist_constant``, ``cramer_rao``),
    or the given ``overlays`` [(label, values per boundary, line style)].  The y-range is the
    methods' (an overlay far outside it is named at the edge); a method with diverged seeds
    ends in a cross and says so in the legend; the legend sits below the axes."""
    if overlays is None:
        overlays = [(label, theory.get(k), style) for label, k, style in (
            ("exact, constant rate", "exact_sq_dist_constant", "k--"),
            ("Cramer-Rao limit", "cramer_rao", "k:"))]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots()
        data = []
        for name, m in methods.items():
            it = np.asarray(m["iterations"])[1:]
            y = np.asarray(m[key], dtype=float)[1:]
            if m.get(key + "_ci") is not None:
                ci = np.asarray(m[key + "_ci"], dtype=float)[1:]
                ax.fill_between(it, ci[:, 0], ci[:, 1], color=color(name), alpha=0.25, lw=0)
                data.append(ci)
            note = _ended(m, seeds)
            ax.plot(it, y, color=color(name), ls=linestyle(name), label=name + note)
            if note:
                _mark_end(ax, it, y, color(name))
            data.append(y)
        _log_x(ax, np.asarray(next(iter(methods.values()))["iterations"])[1:])
        ax.set_yscale("log")
        _fit_y(ax, data, log=True)
        it = np.asarray(next(iter(methods.values()))["iterations"])[1:]
        for label, values, style in overlays:
            if values is not None and not _mark_outside(ax, label, np.asarray(
                    values, dtype=float)[1:]):
                ax.plot(it, np.asarray(values, dtype=float)[1:], style, lw=0.9, label=label)
        ax.set_xlabel("iterations $t$")
        ax.set_ylabel(ylabel)
        _legend_below(fig)
        return _save(fig, folder, stem)


def curve_vs_epoch(folder, methods: dict, key: str, ylabel: str, stem: str) -> list:
    """A per-boundary mean with its 95% band (``key``, ``key + '_ci'``) against epochs; the
    y-range is that of the boundaries after the first tenth of the run (where the methods
    differ; the start leaves the axes and is said to)."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots()
        data = []
        for name, m in methods.items():
            y = np.asarray(m[key], dtype=float)
            n = np.arange(y.size)
            lo, hi = np.asarray(m[key + "_ci"], dtype=float).T
            ax.fill_between(n, lo, hi, color=color(name), alpha=0.25, lw=0)
            ax.plot(n, y, color=color(name), ls=linestyle(name), label=name)
            start = max(1, y.size // 10)
            data += [lo[start:], hi[start:], y[start:]]
        _fit_y(ax, data, log=False)
        ax.set_xlabel("epoch boundary $n$")
        ax.set_ylabel(ylabel)
        ax.set_title(f"(axis: boundaries n >= {start})", fontsize=MIN_FONT_PT, pad=2)
        _legend_below(fig)
        return _save(fig, folder, stem)


def angle_vs_epoch(folder, panels: list, stem="angle_vs_epoch") -> list:
    """Angular velocity against epochs, one panel per method (a shared epoch axis).

    Each panel is a dict with ``name``, ``mean`` and ``ci`` (mean over seeds and its 95% band),
    ``seed0`` and ``drops0`` (one seed's angles and drop epochs, drops marked), ``theory`` (the
    deterministic-equivalent angle of docs/theory.md §4 for that seed's rate schedule; it does
    not model a tail-average replacement) and ``levels`` (the predicted stationary angle at each
    rate reached).  The 90-degree line is the certificate of docs/theory.md §4c.
    """
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(panels), 1, sharex=True, squeeze=False,
                                 figsize=(3.4, 1.5 + 1.5 * len(panels)))
        for ax, p in zip(axes[:, 0], panels):
            col = color(p["name"])
            n = np.arange(len(p["seed0"]))
            lo, hi = np.asarray(p["ci"], dtype=float).T
            seed0 = np.asarray(p["seed0"], dtype=float)
            ax.plot(n, seed0, color="0.7", lw=0.4, label="seed 0", zorder=1)   # under the band
            ax.fill_between(n, lo, hi, color=col, alpha=0.45, lw=0, label="mean, 95% CI",
                            zorder=2)
            ax.plot(n, np.asarray(p["mean"], dtype=float), color=col, lw=1.0, zorder=3)
            for i, e in enumerate(p["drops0"]):
                ax.axvline(e + 1, color="0.2", lw=0.6, ls="-.",
                           label="drop (seed 0)" if i == 0 else None)
            if p.get("theory") is not None:
                ax.plot(n, np.asarray(p["theory"], dtype=float), "k--", lw=0.8,
                        label="theory (seed 0's rates)")
            for i, level in enumerate(p.get("levels", [])):
                ax.axhline(level, color="0.5", lw=0.6, ls=":",
                           label="stationary angle" if i == 0 else None)
            ax.axhline(90, color="k", lw=0.5)
            _fit_y(ax, [seed0, lo, hi, [90]] + ([p["theory"]] if p.get("theory") is not None
                                               else []), log=False)   # spikes included
            ax.set_ylabel("angle (deg)")
            ax.set_title(p["name"], fontsize=7, pad=2)
        axes[-1, 0].set_xlabel("epoch boundary $n$")
        _legend_below(fig)
        return _save(fig, folder, stem)


def lr_vs_iterations(folder, methods: dict, steps_per_epoch: int, stem="lr_vs_iterations"):
    """The learning rate against iterations: mean over seeds (``lr``), and the 10-90% range
    across seeds (``lr_q10``, ``lr_q90``) as a band (the rate is random for the automatic
    methods)."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots()
        for name, m in methods.items():
            lr = np.asarray(m["lr"], dtype=float)
            it = np.arange(lr.size) * steps_per_epoch
            ax.fill_between(it, np.asarray(m["lr_q10"], dtype=float),
                            np.asarray(m["lr_q90"], dtype=float), color=color(name), alpha=0.2,
                            lw=0, step="post")
            ax.step(it, lr, where="post", color=color(name), ls=linestyle(name), label=name)
        ax.set_yscale("log")
        ax.set_xlabel("iterations $t$")
        ax.set_ylabel(r"learning rate $\eta_t$ (mean, 10-90%)")
        _legend_below(fig, ncol=3)
        return _save(fig, folder, stem)


def angular_phenomenon(folder, panel, kappa_grid, curves, points, fluct, published_deg, z,
                       stem="angular") -> list:
    """Three stacked panels (one column): (a) the angle across two drops, simulation with its
    95% band and theory; (b) the stationary angle against K lr h, theory curves per K and Monte
    Carlo points (+-2 SE); (c) the sd of the angle change against d, theory and Monte Carlo,
    with the published threshold and the calibrated one."""
    from autodrop_theory.rule import calibrated_threshold_deg
    with plt.rc_context(STYLE):
        fig, (ax, bx, cx) = plt.subplots(3, 1, figsize=(3.4, 8.0))
        n = np.arange(len(panel["seed0"]))
        lo, hi = np.asarray(panel["ci"], dtype=float).T
        ax.fill_between(n, lo, hi, color=OKABE_ITO[0], alpha=0.3, lw=0, label="Monte Carlo, 95% CI")
        ax.plot(n, np.asarray(panel["mean"], dtype=float), color=OKABE_ITO[0], lw=0.9)
        ax.plot(n, np.asarray(panel["theory"], dtype=float), "k--", lw=0.8, label="theory")
        for i, e in enumerate(panel["drops0"]):
            ax.axvline(e + 1, color="0.3", lw=0.6, ls="-.", label="drop" if i == 0 else None)
        for i, level in enumerate(panel["levels"]):
            ax.axhline(level, color="0.5", lw=0.6, ls=":",
                       label="stationary (4a)" if i == 0 else None)
        ax.axhline(90, color="k", lw=0.5)
        ax.set_xlabel("epoch boundary $n$")
        ax.set_ylabel("angle (deg)")
        ax.set_title("(a) rise, saturation, reset after each drop", fontsize=7, pad=2)

        for i, (k, curve) in enumerate(curves.items()):
            bx.plot(kappa_grid, curve, color=OKABE_ITO[i + 1], ls=_DASHES[i], label=f"theory, K={k}")
        kap = [p["kappa"] for p in points]
        bx.errorbar(kap, [p["mean"] for p in points], yerr=[2 * p["se"] for p in points],
                    fmt="o", ms=2.5, color="k", lw=0.8, label="Monte Carlo, K=10")
        bx.axhline(120, color="0.5", lw=0.6, ls=":")
        bx.axhline(90, color="k", lw=0.5)
        bx.set_xscale("log")
        bx.set_xlabel(r"$\kappa = K \eta h$")
        bx.set_ylabel("stationary angle (deg)")
        bx.set_title("(b) saturation level (isotropic)", fontsize=7, pad=2)

        dims = np.array([f["dim"] for f in fluct])
        dd = np.geomspace(dims.min(), dims.max() * 1e4, 50)
        cx.plot(dims, [f["theory_change_sd_deg"] for f in fluct], "k--", lw=0.8,
                label=r"sd of $\Delta\omega$, theory (4e)")
        cx.plot(dims, [f["change_sd_deg"] for f in fluct], "o", ms=2.5, color=OKABE_ITO[1],
                label="Monte Carlo")
        cx.plot(dd, [calibrated_threshold_deg(int(x), z) for x in dd], color=OKABE_ITO[2],
                label=f"calibrated threshold (z={z:g})")
        cx.axhline(published_deg, color=OKABE_ITO[3], ls=":", label="published threshold")
        cx.set_xscale("log")
        cx.set_yscale("log")
        cx.set_xlabel("dimension $d$")
        cx.set_ylabel("degrees")
        cx.set_title("(c) noise of the angle change vs. the threshold", fontsize=7, pad=2)
        for panel in (ax, bx, cx):          # each panel's legend under it, off its data
            panel.legend(frameon=False, fontsize=MIN_FONT_PT, ncol=2, loc="upper center",
                         bbox_to_anchor=(0.5, -0.3))
        return _save(fig, folder, stem)


def drop_times(folder, drops: dict, oracle=None, stem="drop_times") -> list:
    """Every seed's drop epochs per method (one row each, jittered; every method has its row,
    "never drops" where no seed drops), with the oracle's drop epochs (docs/theory.md §2c: bias
    down to the noise floor) as vertical lines."""
    rng = np.random.default_rng(0)
    names = list(drops)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(3.4, 0.9 + 0.28 * max(len(names), 1)))
        last = max([e + 1 for n in names for row in drops[n] for e in row] + list(
            np.asarray(oracle or [], dtype=int) + 1) + [1])
        for i, name in enumerate(names):
            xs = [e + 1 for row in drops[name] for e in row]
            if xs:
                ax.plot(xs, i + rng.uniform(-0.25, 0.25, len(xs)), "o", ms=1.5, alpha=0.35,
                        color=color(name), mec="none")
            else:
                ax.text(0.5 * last, i, "never drops", ha="center", va="center",
                        fontsize=MIN_FONT_PT, color="0.3")
        for j, e in enumerate(oracle or []):
            ax.axvline(e + 1, color="k", ls="--", lw=0.7, label="oracle" if j == 0 else None)
        ax.set_xlim(0, 1.05 * last)
        ax.set_ylim(len(names) - 0.5, -0.5)
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel("drop (epoch boundary)")
        _legend_below(fig)
        return _save(fig, folder, stem)


FAILURE_MARKS = {"never": ("X", "never drops"), "early": ("<", "drops early (< oracle / 2)"),
                 "late": (">", "drops late (> 2 x oracle)")}


def compare_grid(folder, rows, names, settings, stem="compare") -> list:
    """log10 Cramer-Rao ratio, settings (rows) x methods (columns), one column wide: colour for
    the value (scale at the side; the numbers are in results.json and the table), a symbol for
    each failure against the oracle, explained in the legend below."""
    value = np.full((len(settings), len(names)), np.nan)
    marks = []
    for r in rows:
        j = names.index(r["method"])
        i = settings.index((r["dim"], r["kappa"], r["sigma_sq"]))
        value[i, j] = np.log10(r["cramer_rao_ratio"])
        if r["failure"]:
            marks.append((j, i, r["failure"]))
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(3.4, 2.2 + 0.16 * len(settings)))
        im = ax.imshow(value, cmap="cividis", aspect="auto")
        for kind, (marker, label) in FAILURE_MARKS.items():
            pts = [(j, i) for j, i, f in marks if f == kind]
            if pts:
                ax.plot(*zip(*pts), marker, ls="none", ms=3.5, mfc="white", mec="k", mew=0.6,
                        label=label)
        ax.set_xticks(range(len(names)), names, rotation=90)
        ax.set_yticks(range(len(settings)),
                      [f"d={d}, κ={k}, σ²={s:g}" for d, k, s in settings])
        fig.colorbar(im, ax=ax, label=r"$\log_{10}$ (error / Cramér–Rao)")
        _legend_below(fig, ncol=3)
        return _save(fig, folder, stem)


# ------------------------------------------------------------------ from a saved run
def angle_panel(name: str, m: dict) -> dict:
    """One panel of :func:`angle_vs_epoch` from a method block of results.json."""
    return {"name": name, "mean": m["angle_deg"], "ci": m["angle_deg_ci"],
            "seed0": m["seed0"]["angle_deg"], "drops0": m["drop_epochs"][0],
            "theory": m.get("angle_theory_seed0"), "levels": m.get("stationary_levels_deg", [])}


def _angle_methods(methods: dict) -> list:
    """The AutoDrop methods (at most three), else the first method."""
    return [n for n, m in methods.items() if m.get("family") == "autodrop"][:3] or \
        list(methods)[:1]


def _run_figures(results, folder) -> list:
    from .results_check import error_key
    methods, th, p = results.methods, results.theory, results.problem
    K = p["steps_per_epoch"]
    paths = []
    if "finite_sum_bound" in th:          # a data problem: f - f*, with its bounds
        L = p["L"]
        tag = "" if th.get("bounds_valid") else " (ref.)"
        overlay = [(label + tag, None if th.get(key) is None else
                    np.asarray(th[key], dtype=float) * L / 2, style)
                   for label, key, style in (("finite-sum bound x L/2", "finite_sum_bound", "k--"),
                                             ("2a bound x L/2", "constant_step_bound", "k-."))]
        overlay.append(("asymptotic Cramer-Rao", th.get("cramer_rao_suboptimality"), "k:"))
        paths += error_vs_iterations(folder, methods, th, "suboptimality", key="suboptimality",
                                     ylabel=r"$\mathbb{E}\,f(x_t) - f^*$", overlays=overlay,
                                     seeds=p.get("seeds"))
    elif error_key(p, th) == "mean_sq_dist":
        paths += error_vs_iterations(folder, methods, th, seeds=p.get("seeds"))
    elif error_key(p, th) == "suboptimality":     # a custom problem without x_star
        paths += error_vs_iterations(folder, methods, th, "suboptimality", key="suboptimality",
                                     ylabel=r"$\mathbb{E}\,f(x_t) - f^*$", overlays=[],
                                     seeds=p.get("seeds"))      # (neither: no error figure)
    paths += angle_vs_epoch(folder, [angle_panel(n, methods[n]) for n in _angle_methods(methods)])
    if all("test_accuracy" in m for m in methods.values()):
        paths += curve_vs_epoch(folder, methods, "test_accuracy", "test accuracy",
                                "test_accuracy")
    else:
        paths += lr_vs_iterations(folder, methods, K)
    oracle = next((m["config"]["drop_epochs"] for m in methods.values()
                   if "drop_epochs" in m.get("config", {})), None)
    paths += drop_times(folder, {n: m["drop_epochs"] for n, m in methods.items()}, oracle)
    return paths


def network_figures(results, folder) -> list:
    """``simulations.network``: training loss (log) and test accuracy against epochs, one panel
    per model, mean over seeds with 95% bands; the angle of every method against epochs, one
    panel per model (with seed 0's drops of the AutoDrop methods)."""
    p = results.problem
    models = p["models"]
    by_model = {m: {n.split("/", 1)[1]: b for n, b in results.methods.items()
                    if b["model"] == m} for m in models}
    paths = []
    for key, ylabel, stem, log in (("train_loss", "training loss", "training_loss", True),
                                   ("test_accuracy", "test accuracy", "test_accuracy", False),
                                   ("angle_deg", "angle (deg)", "angle_vs_epoch", False)):
        with plt.rc_context(STYLE):
            fig, axes = plt.subplots(len(models), 1, sharex=True, squeeze=False,
                                     figsize=(3.4, 0.9 + 1.6 * len(models)))
            for ax, model in zip(axes[:, 0], models):
                for name, m in by_model[model].items():
                    y = np.asarray(m[key], dtype=float)
                    n = np.arange(y.size)
                    lo, hi = np.asarray(m[key + "_ci"], dtype=float).T
                    ax.fill_between(n, lo, hi, color=color(name), alpha=0.25, lw=0)
                    ax.plot(n, y, color=color(name), ls=linestyle(name), label=name)
                    if key == "angle_deg":
                        for e in m["drop_epochs"][0]:
                            ax.axvline(e + 1, color=color(name), lw=0.6, ls="-.")
                if key == "angle_deg":
                    ax.axhline(90, color="k", lw=0.5)
                if log:
                    ax.set_yscale("log")
                ax.set_ylabel(ylabel)
                ax.set_title(f"{model} (d = {p['dims'][model]})", fontsize=7, pad=2)
            axes[-1, 0].set_xlabel("epoch boundary $n$")
            _legend_below(fig, ncol=3)
            paths += _save(fig, folder, stem)
    return paths


def generalization(folder, rows, names, stem="generalization") -> list:
    """The generalization study (``simulations.generalization``): top, the empirical CDF of the
    final CR ratio over the instances, one curve per method (log x; a curve that stops short
    of 1 has diverged runs); bottom, each AutoDrop method's mean first drop against the
    oracle's first drop, per instance (log-log; "never" on the edge)."""
    cr = {n: np.sort(np.array([r["methods"][n]["cr_ratio"] for r in rows], dtype=float))
          for n in names}      # null (a diverged run): nan, off the curve
    with plt.rc_context(STYLE):
        fig, (ax, bx) = plt.subplots(2, 1, figsize=(3.4, 5.0))
        finite = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in cr.values()])
        for n in names:
            v = cr[n]
            ax.step(v, np.arange(1, v.size + 1) / v.size, where="post", color=color(n),
                    ls=linestyle(n), label=n)
        ax.set_xscale("log")
        if finite.size:
            ax.set_xlim(finite.min() / 1.3, finite.max() * 1.3)
        ax.axvline(1.0, color="k", lw=0.5)
        ax.set_xlabel("final CR ratio  $\\mathbb{E}\\|x - x^*\\|^2$ / Cramer-Rao limit")
        ax.set_ylabel("share of instances")
        pts = {}
        for n in names:
            if "oracle" not in names or not n.startswith("autodrop"):
                continue
            xs, ys = [], []
            for r in rows:
                o, m = r["methods"]["oracle"]["first_drop"], r["methods"][n]["first_drop"]
                xs.append(np.nan if o is None else o + 1)
                ys.append(np.nan if m is None else m + 1)
            pts[n] = (np.array(xs), np.array(ys))
        top = max([np.nanmax(np.r_[x, y, 1.0]) for x, y in pts.values()] + [2.0]) * 2
        for n, (x, y) in pts.items():
            bx.plot(np.where(np.isnan(x), top, x), np.where(np.isnan(y), top, y), "o", ms=3,
                    alpha=0.6, color=color(n), mec="none", label=n)
        bx.plot([1, top], [1, top], "k--", lw=0.6)
        bx.set_xscale("log")
        bx.set_yscale("log")
        bx.set_xlabel("oracle's first drop (epoch; right edge: never)")
        bx.set_ylabel("first drop (epoch; top: never)\ndashed: = oracle")
        _legend_below(fig, ax, ncol=3)
        return _save(fig, folder, stem)


def draw(results, folder) -> list:
    """Every figure a saved run supports, from the :class:`~simulations.results.Results` alone:
    a comparison grid (``rows``), the angular study (``fluctuations_vs_d``) or a run's
    error, angle, rate (or test accuracy) and drop-time figures."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    if results.problem.get("name") == "paper":
        from .paper_figures import draw as paper_draw
        return paper_draw(results, folder)
    if results.problem.get("name") == "network":
        return network_figures(results, folder)
    if results.problem.get("name") == "generalization":
        return generalization(folder, results["rows"], results["names"])
    if "rows" in results:
        s = results["settings"]
        return compare_grid(folder, results["rows"], results["names"],
                            [tuple(x) for x in s])
    if "fluctuations_vs_d" in results.theory:
        th = results.theory
        panel = angle_panel(*next(iter(results.methods.items())))
        sk = th["stationary_vs_kappa"]
        return angular_phenomenon(folder, panel, sk["kappa_grid"],
                                  {int(k): c for k, c in sk["curves"].items()}, sk["points"],
                                  th["fluctuations_vs_d"], th["threshold"]["published_deg"],
                                  th["threshold"]["calibrated_z"])
    return _run_figures(results, folder)


def save(results, out_dir) -> list:
    """Write ``results`` (a :class:`~simulations.results.Results`) with every figure it
    supports into ``out_dir``, atomically."""
    return results.save(out_dir, draw)


def main(argv=None) -> int:
    """``python -m simulations.figures RESULTS.json [--out DIR]``: redraw a saved run.  Bad
    input (a missing, malformed or damaged results.json: :func:`.results_check.check`; an --out
    that cannot be written) exits with status 2 and one line naming the first bad field, before
    anything is drawn; the figures are drawn into a staging folder inside the output folder and
    moved in only once every one is drawn (:func:`.results.write_outputs`)."""
    import sys

    from autodrop_theory.commandline import CliError, OneLineParser, check_out
    from autodrop_theory.errors import AssumptionError
    p = OneLineParser(prog="simulations.figures", description=main.__doc__.splitlines()[0])
    p.add_argument("results", help="a results.json (or the folder holding it)")
    p.add_argument("--out", default=None, help="output folder (default: the results' folder)")
    try:
        args = p.parse_args(argv)
        src = Path(args.results)
        if args.out is not None:
            check_out(args.out)             # the text as given: Path("") would read "."
            out = Path(args.out)
        else:
            out = src if src.is_dir() else src.parent
            check_out(str(out), "results")
        from .results import Results
        try:
            res = Results.load(args.results)
        except AssumptionError as exc:
            raise CliError(str(exc)) from None
    except CliError as exc:
        print(f"simulations.figures: error: {exc}", file=sys.stderr)
        return 2
    from .results import write_outputs      # drawn in a staging folder, moved in when all are
    for path in write_outputs(out, None, lambda folder: draw(res, folder)):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
