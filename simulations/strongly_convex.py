"""AutoDrop and its peers on L2-regularised logistic regression (a non-quadratic finite sum).

    python -m simulations.strongly_convex [--dataset synthetic|breast_cancer|digits|wine]
        [--batch-size B] [--l2 L2] [--sampling reshuffle|replacement] [--quick] [--seeds N]
        [--seed S] [--methods a,b,c|all] [--epochs E] [--steps-per-epoch K] [--lr LR]
        [--dim D (synthetic only)] [--out DIR] [--no-figures] [--x64] [--quiet]

The objective, data and constants are documented in :mod:`simulations.problems.logistic`.
Defaults: breast_cancer, B = 16, reshuffling, one pass per epoch (K = n_train // B), lr = 1/L,
100 epochs, 32 seeds, x_0 = 0.  Prints a table per method (final suboptimality with its 95% CI,
||x - x*||^2, test accuracy, drops, the fitted rate exponent of the suboptimality with its 95%
CI over the last half of the epochs) and writes results.json (docs/results.md) and the figures
``suboptimality`` (log-log, CI bands, the bounds of ``theory`` times L/2 overlaid where they are
not vacuous: f - f* <= (L/2) ||x - x*||^2), ``drop_times`` (every seed's drops),
``angle_vs_epoch`` and ``test_accuracy``.  The theory is documented in
:meth:`simulations.problems.logistic.LogisticProblem.theory`.
"""

from __future__ import annotations

import time

from . import cli
from .choices import DATASETS, SAMPLINGS

PROG = "simulations.strongly_convex"
DEFAULTS = dict(seeds=32, epochs=100, methods="autodrop,autodrop_paper,autodrop_immediate,"
                "constant,step_decay", out="results/strongly_convex")
QUICK = dict(seeds=16, epochs=100)


def _parser():
    p = cli.add_momentum_flags(cli.make_parser(PROG, __doc__.splitlines()[0]))
    p.add_argument("--dataset", choices=DATASETS, default="breast_cancer")
    p.add_argument("--batch-size", type=cli.positive_int, default=16, help="minibatch size B")
    p.add_argument("--l2", type=cli.positive_float, default=None,
                   help="L2 regularisation (default 1 / n_train)")
    p.add_argument("--sampling", choices=SAMPLINGS, default="reshuffle")
    return p


def _body(argv) -> int:
    start = time.perf_counter()
    args = cli.parse(_parser(), argv, DEFAULTS, QUICK)
    names = cli.resolve_methods(args.methods, exact_model=False)
    if args.dim is not None and args.dataset != "synthetic":
        raise cli.CliError(f"--dim: the dimension of {args.dataset} is fixed by the dataset")
    from . import experiment, tables
    from .problems import logistic
    from .stats import rate_exponent

    def make_problem():
        data = logistic.load(args.dataset, args.seed, **(
            {"features": args.dim} if args.dim is not None else {}))
        return logistic.LogisticProblem(logistic.fit(data, args.l2), args.batch_size,
                                        args.sampling)

    results = cli.run_flags(
        args, make_problem, lambda ctx: experiment.build_methods(names, ctx),
        lr=(lambda p: 1.0 / p.L) if args.lr is None else args.lr,
        steps_per_epoch=((lambda p: p.model.n_train // args.batch_size)
                         if args.steps_per_epoch is None else args.steps_per_epoch))
    for m in results.methods.values():
        m["rate_exponent"] = rate_exponent(m["iterations"], m["suboptimality"])
    if not args.quiet:
        tables.logistic_table(results)
    return cli.finish(PROG, argv, args, start, results)


def main(argv=None) -> int:
    return cli.main(PROG, _body, argv)


if __name__ == "__main__":
    cli.entry_point(main)
