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
import sys
import time

import jax.numpy as jnp
import numpy as np

from autodrop_theory.bounds import CRAMER_RAO

from . import cli, controllers, engine
from .problems import default_quadratic_model, quadratic_problem

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


def main(argv=None) -> int:
    start = time.perf_counter()
    p = cli.make_parser(PROG, __doc__.splitlines()[0])
    try:
        args = cli.parse(p, argv, dict(seeds=64, out="results/tune_autodrop"), dict(seeds=16))
    except cli.CliError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    setups, grid = (QUICK_SETUPS, QUICK_GRID) if args.quick else (SETUPS, GRID)
    candidates = list(itertools.product(*grid.values()))
    ratios = {c: [] for c in candidates}
    baselines = {}
    for d, K, E in cli.progress(setups, args.quiet, PROG):
        model = default_quadratic_model(dim=d, seed=args.seed)
        problem = quadratic_problem(model, jnp.float32)
        ctx = controllers.RunContext(lr=LR, epochs=E, steps_per_epoch=K, mu=model.mu, L=model.L,
                                     dim=d)
        keys = engine.seed_keys(args.seed + 1, args.seeds)
        cr = float(CRAMER_RAO(hessian_eigs=model.hessian_eigs, noise_var=model.noise_var, t=E * K))

        def ratio(c):
            t = engine.simulate(problem, c, epochs=E, steps_per_epoch=K, keys=keys)
            return float(t.sq_dist[:, -1].mean() / cr)

        baselines[f"d={d},K={K},E={E}"] = {n: ratio(controllers.make(n, ctx))
                                           for n in ("constant", "step_decay")}
        for (kind, value), extra, drops in candidates:
            knobs = (dict(threshold_deg=None, threshold_z=value, max_threshold_deg=None)
                     if kind == "z" else dict(threshold_deg=value, max_threshold_deg=10.0))
            c = controllers.autodrop(ctx, extra_epochs=extra, min_lr=LR * 0.2 ** drops, **knobs)
            ratios[((kind, value), extra, drops)].append(ratio(c))
    ranked = sorted(candidates, key=lambda c: np.mean(np.log(ratios[c])))
    rows = [[f"{t[0]}={t[1]:g}", e, r, f"{np.exp(np.mean(np.log(ratios[(t, e, r)]))):.3g}",
             " ".join(f"{x:.3g}" for x in ratios[(t, e, r)])] for t, e, r in ranked]
    if not args.quiet:
        print("baselines (CR ratio):", {k: {n: round(v, 3) for n, v in b.items()}
                                        for k, b in baselines.items()})
        cli.print_table(["theta", "extra", "drops", "geo-mean CR ratio", "per setup"], rows)
    results = {"setups": [dict(dim=d, steps_per_epoch=K, epochs=E) for d, K, E in setups],
               "lr": LR, "baselines": baselines,
               "candidates": [dict(threshold=list(t), extra_epochs=e, rate_drops=r,
                                   cr_ratios=ratios[(t, e, r)]) for t, e, r in ranked],
               "meta": cli.metadata(PROG, argv, args, time.perf_counter() - start)}
    cli.write_outputs(args.out, results)
    return 0


if __name__ == "__main__":
    cli.entry_point(main)
