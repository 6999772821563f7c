"""The measurement behind the package's AutoDrop defaults (README, "AutoDrop defaults").

    python -m simulations.tune_autodrop [--quick] [--seeds N] [--seed S] [--out DIR] [--quiet]

For each problem setup (d, K, E) on the default quadratic at lr = 0.5, and each candidate
(threshold, extra_epochs, rate drops allowed before the floor) with tail averaging and the
90-degree guard, runs AutoDrop on the same seeds and reports the final E||x - x*||^2 divided by
the Cramer-Rao limit; candidates are ranked by the geometric mean of that ratio over the setups.
``constant`` and ``step_decay`` are reported for scale.  Writes DIR/results.json.
"""

from __future__ import annotations

import itertools
import time

import numpy as np

from . import cli

PROG = "simulations.tune_autodrop"
SETUPS = [(100, 10, 300), (100, 20, 200), (100, 100, 100), (10, 10, 300), (1000, 10, 300),
          (100, 10, 1000)]
# a threshold is ("z", z): calibrated, theta_0 = z * 73.97 / sqrt(d) degrees (rule.py), with
# theta_max = 5 theta_0; or ("deg", theta_0): fixed, with theta_max = 10 degrees
GRID = dict(threshold=(("z", 0.15), ("z", 0.25), ("z", 0.4), ("deg", 1.0), ("deg", 2.0)),
            extra_epochs=(20, 40), rate_drops=(2, 3))
QUICK_SETUPS = [(100, 10, 150), (10, 10, 150)]
QUICK_GRID = dict(threshold=(("z", 0.25), ("deg", 2.0)), extra_epochs=(10, 40), rate_drops=(2,))
LR = 0.5


def _parser():
    """Only the flags this study reads (it fixes the problems, methods and rate itself)."""
    p = cli.make_parser(PROG, __doc__.splitlines()[0], omit=(
        "methods", "dim", "epochs", "steps_per_epoch", "lr", "no_figures"))
    return p


def _candidate(ctx, kind, value, extra, drops):
    from .methods import autodrop
    knobs = (dict(threshold_deg=None, threshold_z=value, max_threshold_deg=None)
             if kind == "z" else dict(threshold_deg=value, max_threshold_deg=10.0))
    return autodrop.autodrop(ctx, f"autodrop[{kind}={value:g},{extra},{drops}]",
                             extra_epochs=extra, min_lr=LR * 0.2 ** drops, **knobs)


def _body(argv) -> int:
    start = time.perf_counter()
    args = cli.parse(_parser(), argv, dict(seeds=64, out="results/tune_autodrop"),
                     dict(seeds=16))
    from . import experiment
    from .methods import schedules
    from .problems import default_problem
    from .results import Results
    setups, grid = (QUICK_SETUPS, QUICK_GRID) if args.quick else (SETUPS, GRID)
    candidates = list(itertools.product(*grid.values()))
    for d, K, E in setups:          # every setup's size, before anything runs
        cli.check_sizes(d, 2 + len(candidates), E, K, args.seeds, args.x64)
    ratios = {c: [] for c in candidates}
    baselines = {}
    for d, K, E in cli.progress(setups, args.quiet, PROG):
        problem = default_problem(dim=d, seed=args.seed)
        ctx = experiment.run_context(problem, LR, E, K)
        ms = [schedules.constant(ctx), schedules.step_decay(ctx)] + [
            _candidate(ctx, kind, value, extra, drops)
            for (kind, value), extra, drops in candidates]
        res = experiment.run(problem, ms, lr=LR, epochs=E, steps_per_epoch=K,
                             seeds=args.seeds, seed=args.seed + 1, x64=args.x64)
        ratio = {n: m["final"]["cramer_rao_ratio"] for n, m in res.methods.items()}
        baselines[f"d={d},K={K},E={E}"] = {n: ratio[n] for n in ("constant", "step_decay")}
        for c, m in zip(candidates, ms[2:]):
            ratios[c].append(ratio[m.name])
    ranked = sorted(candidates, key=lambda c: np.mean(np.log(ratios[c])))
    rows = [[f"{t[0]}={t[1]:g}", e, r, f"{np.exp(np.mean(np.log(ratios[(t, e, r)]))):.3g}",
             " ".join(f"{x:.3g}" for x in ratios[(t, e, r)])] for t, e, r in ranked]
    if not args.quiet:
        print("baselines (CR ratio):", {k: {n: round(v, 3) for n, v in b.items()}
                                        for k, b in baselines.items()})
        cli.print_table(["theta", "extra", "drops", "geo-mean CR ratio", "per setup"], rows)
    results = Results({
        "setups": [dict(dim=d, steps_per_epoch=K, epochs=E) for d, K, E in setups],
        "lr": LR, "baselines": baselines, "methods": {},
        "candidates": [dict(threshold=list(t), extra_epochs=e, rate_drops=r,
                            cr_ratios=ratios[(t, e, r)]) for t, e, r in ranked]})
    return cli.finish(PROG, argv, args, start, results, figures=False)


def main(argv=None) -> int:
    return cli.main(PROG, _body, argv)


if __name__ == "__main__":
    cli.entry_point(main)
