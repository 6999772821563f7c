"""Does AutoDrop generalize?  Every method on random quadratic instances it was not tuned on.

    python -m simulations.generalization [--split test|tune] [--instances N] [--start K] [--quick]
        [--methods a,b,...] [--seeds S] [--seed S] [--out DIR] [--no-figures] [--x64] [--quiet]

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
    return p


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
    from .instance_study import run_instance, summarize, table
    from .results import Results
    automatic = {n: registry.REGISTRY[n].automatic  # the peers: automatic, not AutoDrop
                 and registry.REGISTRY[n].family.name != "autodrop" for n in names}
    rows = []
    for inst in cli.progress(insts, args.quiet, PROG):
        rows.append({"instance": inst.record(),
                     "methods": run_instance(inst, names, seeds=args.seeds, seed=args.seed,
                                             x64=args.x64)})
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


def main(argv=None) -> int:
    return cli.main(PROG, _body, argv)


if __name__ == "__main__":
    cli.entry_point(main)
