"""The study: every automatic method's Cramer-Rao ratio across dimension, conditioning and noise.

    python -m simulations.compare [--quick] [--seeds N] [--seed S] [--methods a,b|all]
        [--epochs E] [--steps-per-epoch K] [--out DIR] [--no-figures] [--x64] [--quiet]
        [--workers N | --scheduler ADDRESS] [--compile-cache DIR|none]

On the default quadratic family (eigenvalues log-spaced in [1/kappa, 1], isotropic noise of total
variance sigma^2, ||y0||^2 = d), for d in {10, 100, 1000}, kappa in {10, 100, 1000} and sigma^2 in
{0.1, 10} (quick: d in {10, 100}, kappa = 100, sigma^2 = 1), every method runs on the same
seeds and budget at lr = 0.5 / L.  For each setting and method: the final E||x - x*||^2 divided
by the Cramer-Rao limit, the mean first drop and the share of seeds that drop, and flags where a
method fails: ``never`` (an automatic method that never drops), ``early`` (a first drop before
half of the oracle's first drop), ``late`` (after twice the oracle's).  Writes results.json and
the figure ``compare`` (log10 CR ratio per method and setting, failures marked).
"""

from __future__ import annotations

import functools
import itertools
import time

import numpy as np

from autodrop_theory.errors import AssumptionError

from . import cli, executor, methods as registry

PROG = "simulations.compare"
GRID = dict(dim=(10, 100, 1000), kappa=(10, 100, 1000), sigma_sq=(0.1, 10.0))
QUICK_GRID = dict(dim=(10, 100), kappa=(100,), sigma_sq=(1.0,))
DEFAULTS = dict(seeds=32, epochs=200, steps_per_epoch=10, methods="all", out="results/compare")
QUICK = dict(seeds=8, epochs=80)


def failure(name, first, share, oracle_first):
    """'never', 'early', 'late' or '' for an automatic method (see the module docstring)."""
    if name not in registry.automatic():
        return ""
    if first is None or share < 0.5:
        return "never"
    if oracle_first is not None and first < 0.5 * (oracle_first + 1) - 1:
        return "early"
    if oracle_first is not None and first > 2 * (oracle_first + 1):
        return "late"
    return ""


def _parser():
    """The shared flags less --dim and --lr, which the study sets itself."""
    p = cli.make_parser(PROG, __doc__.splitlines()[0], omit=("dim", "lr"))
    return cli.add_study_flags(p)


def _problem(setting, seed):
    from .problems import default_problem
    d, kappa, s2 = setting
    return default_problem(dim=d, mu=1.0 / kappa, L=1.0, sigma_sq=s2, seed=seed)


def _setting_rows(setting, names, epochs, K, seeds, seed, x64) -> list:
    """One unit of the study: every method on one setting (d, kappa, sigma^2); its rows."""
    from . import experiment
    d, kappa, s2 = setting
    problem = _problem(setting, seed)
    ctx = experiment.run_context(problem, 0.5 / problem.L, epochs, K)
    ms = experiment.build_methods(names, ctx)
    res = experiment.run(problem, ms, lr=0.5 / problem.L, epochs=epochs, steps_per_epoch=K,
                         seeds=seeds, seed=seed, x64=x64)
    cr = float(problem.cramer_rao(epochs * K))
    oracle_first = next((m.config["drop_epochs"][0] for m in ms
                         if m.name == "oracle" and m.config["drop_epochs"]), None)
    rows = []
    for name, m in res.methods.items():
        fd = m["first_drop_epoch"]
        rows.append({"dim": d, "kappa": kappa, "sigma_sq": s2, "method": name,
                     "cramer_rao_ratio": m["final"]["cramer_rao_ratio"],
                     "ci": [v / cr for v in m["final"]["ci"]],
                     "first_drop_epoch": fd["mean"], "share_dropping": fd["fraction_of_seeds"],
                     "oracle_first_drop_epoch": oracle_first,
                     "failure": failure(name, fd["mean"], fd["fraction_of_seeds"],
                                        oracle_first)})
    return rows


def _body(argv) -> int:
    start = time.perf_counter()
    args = cli.parse(_parser(), argv, DEFAULTS, QUICK)
    names = cli.resolve_methods(args.methods)
    from . import experiment
    from .results import Results
    grid = QUICK_GRID if args.quick else GRID
    settings = list(itertools.product(*grid.values()))
    E, K = args.epochs, args.steps_per_epoch
    cli.check_sizes(max(grid["dim"]), len(names), E, K, args.seeds, args.x64)
    try:        # every setting validated before anything runs
        for setting in settings:
            problem = _problem(setting, args.seed)
            experiment.build_methods(names, experiment.run_context(problem, 0.5 / problem.L,
                                                                   E, K))
    except AssumptionError as exc:
        raise cli.flag_error(exc) from None
    with cli.study_client(args) as client:     # one unit per setting
        per_setting = executor.map_units(
            functools.partial(_setting_rows, names=names, epochs=E, K=K, seeds=args.seeds,
                              seed=args.seed, x64=args.x64), settings, client=client,
            labels=[f"d={d}, kappa={k}, sigma^2={s:g}" for d, k, s in settings], desc=PROG,
            quiet=args.quiet)
    rows = [r for block in per_setting for r in block]
    summary = {}
    for n in names:
        r = np.array([x["cramer_rao_ratio"] for x in rows if x["method"] == n], dtype=float)
        best = np.array([min(x["cramer_rao_ratio"] for x in rows if
                             (x["dim"], x["kappa"], x["sigma_sq"]) == st) for st in settings])
        summary[n] = {"median_ratio": float(np.median(r)), "worst_ratio": float(np.max(r)),
                      "within_2x_of_best": float(np.mean(r <= 2 * best)),
                      "failures": sorted({x["failure"] for x in rows
                                          if x["method"] == n and x["failure"]})}
    if not args.quiet:
        cli.print_table(["method", "median CR ratio", "worst", "within 2x of best", "failures"],
                        [[n, f"{s['median_ratio']:.3g}", f"{s['worst_ratio']:.3g}",
                          f"{100 * s['within_2x_of_best']:.0f}%", ",".join(s["failures"]) or "-"]
                         for n, s in sorted(summary.items(), key=lambda kv: kv[1]["median_ratio"])])
    results = Results({"grid": {k: list(v) for k, v in grid.items()}, "lr": "0.5 / L",
                       "steps_per_epoch": K, "epochs": E, "seeds": args.seeds, "rows": rows,
                       "names": names, "settings": settings, "summary": summary, "methods": {}})
    return cli.finish(PROG, argv, args, start, results)


FAILURE_MARKS = {"never": ("X", "never drops"), "early": ("<", "drops early (< oracle / 2)"),
                 "late": (">", "drops late (> 2 x oracle)")}


def compare_grid(folder, rows, names, settings, stem="compare") -> list:
    """log10 Cramer-Rao ratio, settings (rows) x methods (columns), one column wide: colour for
    the value (scale at the side; the numbers are in results.json and the table), a symbol for
    each failure against the oracle, explained in the legend below."""
    # plotting is imported only when drawing (--help imports no plotting library)
    from .figures import STYLE, plt, save_figure, legend_below
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
        legend_below(fig, ncol=3)
        return save_figure(fig, folder, stem)


# ------------------------------------------------------------------ from a saved run


def draw_figures(results, folder) -> list:
    """This study's figure from a saved run (:func:`simulations.figures.draw` calls it)."""
    return compare_grid(folder, results["rows"], results["names"],
                        [tuple(x) for x in results["settings"]])


def main(argv=None) -> int:
    return cli.main(PROG, _body, argv)


if __name__ == "__main__":
    cli.entry_point(main)
