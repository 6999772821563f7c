"""Does AutoDrop generalize?  Every method on random quadratic instances it was not tuned on.

    python -m simulations.generalization [--split test|tune] [--instances N] [--start K] [--quick]
        [--methods a,b,...] [--seeds S] [--seed S] [--out DIR] [--no-figures] [--x64] [--quiet]
        [--workers N | --scheduler ADDRESS] [--compile-cache DIR|none]

Instances come from :mod:`simulations.instances` (documented families and ranges; the TUNE
split chose the defaults, the TEST split never did).  Every method runs on the same seeds of an
instance (common random numbers).  Per instance and method: the final E||x - x*||^2 over the
Cramer-Rao limit (the *CR ratio*, docs/theory.md §3b), the final E f - f* over its analogue
tr(H^-1 C) / (2T) (the *f ratio*) and the first drop epoch.  Per method over the split:

- the median and 90th percentile of both ratios, with 95% bootstrap intervals (percentile
  bootstrap over instances, :data:`simulations.instance_study.BOOTSTRAP` resamples, numpy
  seed 0);
- the share of instances where it is within 1.5x of the oracle's CR ratio;
- its win rate (a lower CR ratio) against ``averaged`` and against the best automatic peer
  (the automatic method outside the AutoDrop family with the lowest median CR ratio);
- on the instances whose initial error sits on the flat directions, the median of
  averaged's CR ratio over its own (how many times better than ``averaged``).

A diverged run counts as an infinite ratio (a loss).  Writes DIR/results.json (every instance's
record and numbers, the summary) and the figure ``generalization`` (ECDF of the CR ratio per
method; first drop against the oracle's first drop).
"""

from __future__ import annotations

import time

from . import cli

PROG = "simulations.generalization"
METHODS = ("autodrop", "autodrop_v1", "autodrop_paper", "autodrop_immediate", "averaged",
           "constant", "oracle", "plateau", "pflug", "distance", "sasa")
DEFAULTS = dict(seeds=8, instances=64, split="test", methods=",".join(METHODS),
                out="results/generalization")
QUICK = dict(instances=12, methods="autodrop,autodrop_v1,averaged,constant,oracle,distance")


def _parser():
    p = cli.make_parser(PROG, __doc__.splitlines()[0], omit=(
        "dim", "epochs", "steps_per_epoch", "lr"))
    p.add_argument("--split", choices=("test", "tune"), default=None,
                   help="which instances (TUNE chose the defaults)")
    p.add_argument("--instances", type=cli.instance_count, default=None,
                   help="N instances of the split (from --start on)")
    p.add_argument("--start", type=cli.instance_start, default=0,
                   help="skip the split's first K instances (a range no earlier run has seen)")
    return cli.add_study_flags(p)


def _body(argv) -> int:
    start = time.perf_counter()
    args = cli.parse(_parser(), argv, DEFAULTS, QUICK)
    names = cli.resolve_methods(args.methods)
    from . import instances as gen
    insts = gen.instances(args.split, args.instances, args.start)
    for inst in insts:                   # every instance's size, before anything runs
        cli.check_sizes(inst.dim, len(names), inst.epochs, inst.steps_per_epoch, args.seeds,
                        args.x64)
    from . import methods as registry
    from .instance_study import run_instances, summarize, table
    from .results import Results
    automatic = {n: registry.REGISTRY[n].automatic  # the peers: automatic, not AutoDrop
                 and registry.REGISTRY[n].family.name != "autodrop" for n in names}
    with cli.study_client(args) as client:     # one unit per instance
        rows = run_instances(insts, names, seeds=args.seeds, seed=args.seed, x64=args.x64,
                             client=client, quiet=args.quiet, desc=PROG)
    summary = summarize(rows, names, automatic)
    if not args.quiet:
        where = f" (from index {args.start})" if args.start else ""
        print(f"{args.split.upper()} split, {len(rows)} instances{where} "
              f"({summary['flat_instances']} "
              f"with the initial error on flat directions), {args.seeds} seeds each; best "
              f"automatic peer: {summary['best_peer']}")
        cli.print_table(*table(summary))
    results = Results({"problem": {"name": "generalization", "split": args.split,
                                   "instances": len(rows), "start": args.start,
                                   "seeds": args.seeds},
                       "methods": {}, "rows": rows, "summary": summary, "names": names})
    return cli.finish(PROG, argv, args, start, results)


def generalization(folder, rows, names, stem="generalization") -> list:
    """The generalization study (``simulations.generalization``): top, the empirical CDF of the
    final CR ratio over the instances, one curve per method (log x; a curve that stops short
    of 1 has diverged runs); bottom, each AutoDrop method's mean first drop against the
    oracle's first drop, per instance (log-log; "never" on the edge)."""
    # plotting is imported only when drawing (--help imports no plotting library)
    from .figures import STYLE, plt, save_figure, legend_below, color, linestyle
    import numpy as np
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
        legend_below(fig, ax, ncol=3)
        return save_figure(fig, folder, stem)


def draw_figures(results, folder) -> list:
    """This study's figure from a saved run (:func:`simulations.figures.draw` calls it)."""
    return generalization(folder, results["rows"], results["names"])


def main(argv=None) -> int:
    return cli.main(PROG, _body, argv)


if __name__ == "__main__":
    cli.entry_point(main)
