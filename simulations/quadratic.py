"""The main job: AutoDrop and its peers on a quadratic with Gaussian gradient noise.

    python -m simulations.quadratic [--quick] [--methods a,b,c|all] [--dim D] [--epochs E]
        [--steps-per-epoch K] [--lr LR] [--seeds N] [--seed S] [--mu MU] [--L L]
        [--sigma-sq S2] [--out DIR] [--no-figures] [--x64] [--quiet]

Problem: the model Q of docs/theory.md §1 with the documented default instance
(:func:`simulations.problems.default_model`: d = 100, eigenvalues log-spaced in [0.01, 1],
isotropic noise of total variance 1, ||y0||^2 = d).  Every method runs on the same seeds (common
random numbers) and budget.  Prints a table, writes results.json (docs/results.md) and the
figures error_vs_iterations, angle_vs_epoch, lr_vs_iterations and drop_times (PDF and PNG) to
DIR.  Theory in results.json: the exact constant-rate E||x_n - x*||^2 (2c), the bound of 2a
(null where its condition lr <= 1/L fails), the Cramer-Rao limit (3b) and the predicted angle
at the constant rate (section 4).
"""

from __future__ import annotations

import time

from . import cli

PROG = "simulations.quadratic"
DEFAULTS = dict(seeds=100, dim=100, epochs=300, steps_per_epoch=10, lr=0.5,
                methods="autodrop,autodrop_paper,autodrop_immediate,constant,step_decay",
                out="results/quadratic")
QUICK = dict(seeds=32, epochs=150)


def _body(argv) -> int:
    start = time.perf_counter()
    p = cli.add_momentum_flags(cli.add_quadratic_flags(cli.make_parser(
        PROG, __doc__.splitlines()[0])))
    args = cli.parse(p, argv, DEFAULTS, QUICK)
    names = cli.resolve_methods(args.methods)
    from . import experiment, tables
    from .problems import default_problem
    results = cli.run_flags(
        args, lambda: default_problem(args.dim, args.mu, args.L, args.sigma_sq, args.seed),
        lambda ctx: experiment.build_methods(names, ctx))
    if not args.quiet:
        tables.quadratic_table(results)
    return cli.finish(PROG, argv, args, start, results)


def main(argv=None) -> int:
    return cli.main(PROG, _body, argv)


if __name__ == "__main__":
    cli.entry_point(main)
