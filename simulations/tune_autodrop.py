"""The measurement behind the package's AutoDrop defaults (docs/rule.md, "AutoDrop defaults").

    python -m simulations.tune_autodrop [--quick] [--instances N] [--seeds N] [--seed S]
        [--out DIR] [--quiet] [--workers N | --scheduler ADDRESS] [--compile-cache DIR|none]

On the TUNE split of :mod:`simulations.instances` only (the TEST split is never looked at here),
runs every candidate of :data:`GRID` on the same seeds of each instance and ranks the candidates
by the geometric mean over the instances of the final CR ratio (E||x - x*||^2 over the
Cramer-Rao limit).  Every candidate keeps what is fixed by theory rather than by measurement:
the 90-degree guard (docs/theory.md §4c), the calibrated threshold's form (§4e), tail
averaging, no rate floor, the estimate averaged since the first saturation over every step
(an epoch of K steps is K samples) and, under momentum, the angle of z = x + beta/(1 - beta)
(x - x_prev) with the guard left to the confirmation for epochs under 1/(1 - beta) steps
(docs/theory.md §6); and drop_factor x stage_growth < 1, the condition of the O(1/T) bound (§10).  The
search varies the drop factor, the wait's length, the wait's confirmation by its own angle and
the early (polynomial-decay) average; stage_growth = 1.4 and threshold_z = 0.25 are the first
round's choices (docs/rule.md, "AutoDrop defaults"), where g = 1 lost everywhere.  ``averaged``,
``constant`` and ``oracle`` are reported for scale, and :data:`PREVIOUS`, the first round's
defaults, so the change is measured.  Writes DIR/results.json.
"""

from __future__ import annotations

import functools
import itertools
import time

import numpy as np

from . import cli

PROG = "simulations.tune_autodrop"
GRID = dict(drop_factor=(0.5, 0.7), delay_fraction=(0.5, 1.0), confirm_wait=(False, True),
            early_average=(False, True))
QUICK_GRID = dict(drop_factor=(0.5, 0.7), delay_fraction=(1.0,), confirm_wait=(True,),
                  early_average=(True,))
FIXED = dict(stage_growth=1.4, threshold_z=0.25, step_average=True)
REFERENCE = ("averaged", "constant", "oracle")
PREVIOUS = ("autodrop_round1", dict(step_average=False, confirm_wait=False, early_average=False))


def _parser():
    """Only the flags this study reads (it fixes the problems, methods and rates itself)."""
    p = cli.make_parser(PROG, __doc__.splitlines()[0], omit=(
        "methods", "dim", "epochs", "steps_per_epoch", "lr", "no_figures"))
    p.add_argument("--instances", type=cli.instance_count, default=None,
                   help="the first N instances of the TUNE split")
    return cli.add_study_flags(p)


def _build(points, ctx):
    from . import experiment
    from .methods import autodrop
    return experiment.build_methods(list(REFERENCE), ctx) + [
        autodrop.autodrop(ctx, PREVIOUS[0], **PREVIOUS[1])] + [
        autodrop.autodrop(ctx, experiment.point_name("autodrop", p), **{**FIXED, **p})
        for p in points]


def _methods(points):
    """ctx -> the methods of the search (a partial of a module-level function: it pickles, so
    the instances can run on Dask workers)."""
    return functools.partial(_build, points)


def _body(argv) -> int:
    start = time.perf_counter()
    args = cli.parse(_parser(), argv, dict(seeds=8, instances=64, out="results/tune_autodrop"),
                     dict(instances=6))
    grid = QUICK_GRID if args.quick else GRID
    points = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    from . import instances as gen
    insts = gen.instances("tune", args.instances)
    for inst in insts:
        cli.check_sizes(inst.dim, len(points) + len(REFERENCE) + 1, inst.epochs,
                        inst.steps_per_epoch, args.seeds, args.x64)
    from .instance_study import run_instances
    from .results import Results
    with cli.study_client(args) as client:     # one unit per instance
        rows = run_instances(insts, _methods(points), seeds=args.seeds, seed=args.seed,
                             x64=args.x64, client=client, quiet=args.quiet, desc=PROG)
    from .experiment import point_name
    names = list(REFERENCE) + [PREVIOUS[0]] + [point_name("autodrop", p) for p in points]
    with np.errstate(divide="ignore"):
        geo = {n: float(np.exp(np.mean(np.log([r["methods"][n]["cr_ratio"] for r in rows]))))
               for n in names}
    median = {n: float(np.median([r["methods"][n]["cr_ratio"] for r in rows])) for n in names}
    ranked = sorted(names, key=geo.get)
    if not args.quiet:
        cli.print_table(["method", "geo-mean CR ratio", "median CR ratio"],
                        [[n, f"{geo[n]:.3g}", f"{median[n]:.3g}"] for n in ranked])
    results = Results({
        "problem": {"name": "tune_autodrop", "split": "tune", "instances": len(rows),
                    "seeds": args.seeds},
        "grid": {k: list(v) for k, v in grid.items()}, "fixed": FIXED,
        "previous": {"name": PREVIOUS[0], "overrides": PREVIOUS[1]}, "methods": {},
        "rows": rows, "ranking": [{"method": n, "geo_mean_cr_ratio": geo[n],
                                   "median_cr_ratio": median[n]} for n in ranked]})
    return cli.finish(PROG, argv, args, start, results, figures=False)


def main(argv=None) -> int:
    return cli.main(PROG, _body, argv)


if __name__ == "__main__":
    cli.entry_point(main)
