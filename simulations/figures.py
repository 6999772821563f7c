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

from . import figure_style  # noqa: E402
from .figure_style import MIN_FONT_PT, OKABE_ITO, STYLE, legend_below  # noqa: E402,F401

__all__ = ["error_vs_iterations", "curve_vs_epoch", "angle_vs_epoch", "lr_vs_iterations",
           "drop_times", "angle_panel", "color", "linestyle", "legend_below", "save_figure",
           "draw", "save", "main"]


def _order():
    from .methods import REGISTRY       # the registry's order fixes each method's colour
    return list(REGISTRY)


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


DASHES = ["-", (0, (5, 1.5)), (0, (1.5, 1)), (0, (3, 1, 1, 1)), (0, (6, 2, 1.5, 2))]


def _index(name: str, order=None) -> int:
    order = _order() if order is None else order
    return order.index(name) if name in order else len(order) + (sum(map(ord, name)) % 3)


_METHOD_COLORS = OKABE_ITO[:7]          # black is kept for theory overlays


def color(name: str, order=None) -> str:
    """The colour of method ``name``: its place in ``order`` (default: the registry's; a study
    with methods of its own passes its order)."""
    return _METHOD_COLORS[_index(name, order) % len(_METHOD_COLORS)]


def linestyle(name: str, order=None):
    """A dash pattern per method as well as a colour, so overlapping curves stay apart (the
    (colour, dash) pair is unique over the registered methods, or over ``order``)."""
    i = _index(name, order)
    return DASHES[(i + i // len(_METHOD_COLORS)) % len(DASHES)]


def save_figure(fig, folder, stem) -> list:
    """:func:`.figure_style.save_figure`, looked up at each call (a test wraps that one to
    check every figure the package saves)."""
    return figure_style.save_figure(fig, folder, stem)


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
        legend_below(fig)
        return save_figure(fig, folder, stem)


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
        legend_below(fig)
        return save_figure(fig, folder, stem)


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
        legend_below(fig)
        return save_figure(fig, folder, stem)


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
        legend_below(fig, ncol=3)
        return save_figure(fig, folder, stem)


def drop_times(folder, drops: dict, oracle=None, stem="drop_times", oracle_name=None) -> list:
    """Every seed's drop epochs per method (one row each, jittered; every method has its row,
    "never drops" where no seed drops), with the drop epochs fixed in advance by a method of
    the run (``oracle``, named ``oracle_name``: e.g. docs/theory.md §2c's bias down to the noise
    floor) as vertical lines."""
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
            ax.axvline(e + 1, color="k", ls="--", lw=0.7, label=oracle_name if j == 0 else None)
        ax.set_xlim(0, 1.05 * last)
        ax.set_ylim(len(names) - 0.5, -0.5)
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel("drop (epoch boundary)")
        legend_below(fig)
        return save_figure(fig, folder, stem)





def angle_panel(name: str, m: dict) -> dict:
    """One panel of :func:`angle_vs_epoch` from a method block of results.json."""
    return {"name": name, "mean": m["angle_deg"], "ci": m["angle_deg_ci"],
            "seed0": m["seed0"]["angle_deg"], "drops0": m["drop_epochs"][0],
            "theory": m.get("angle_theory_seed0"), "levels": m.get("stationary_levels_deg", [])}


def _angle_methods(methods: dict) -> list:
    """The methods that decide their drops from the angle (at most three: their blocks record
    an angle threshold, ``angle_rule``), else the first method."""
    return [n for n, m in methods.items() if m.get("angle_rule")][:3] or list(methods)[:1]


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
    oracle = next(((n, m["config"]["drop_epochs"]) for n, m in methods.items()
                   if "drop_epochs" in m.get("config", {})), (None, None))
    paths += drop_times(folder, {n: m["drop_epochs"] for n, m in methods.items()}, oracle[1],
                        oracle_name=oracle[0])
    return paths





def study_module(results):
    """The study that wrote ``results``, if it draws its own figures (``draw_figures``): the
    one :func:`.results_check.study` names (the kind the document was validated as)."""
    import importlib

    from .results_check import study
    name = study({"meta": results.blocks.get("meta"), "problem": results.problem})
    return None if name is None else importlib.import_module(f"{__package__}.{name}")


def draw(results, folder) -> list:
    """Every figure a saved run supports, from the :class:`~simulations.results.Results` alone:
    a study's own figures (the study module's ``draw_figures``, found from the command that
    wrote the run), else a run's error, angle, rate (or test accuracy) and drop-time figures."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    study = study_module(results)
    if study is not None:
        return study.draw_figures(results, folder)
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
