"""Does AutoDrop generalize?  Every method on random quadratic instances it was not tuned on.

    python -m simulations.generalization [--split test|tune] [--instances N] [--quick]
        [--methods a,b,...] [--seeds S] [--seed S] [--out DIR] [--no-figures] [--x64] [--quiet]

Instances come from :mod:`simulations.instances` (documented families and ranges; the TUNE
split chose the defaults, the TEST split never did).  Every method runs on the same seeds of an
instance (common random numbers).  Per instance and method: the final E||x - x*||^2 over the
Cramer-Rao limit (the *CR ratio*, docs/theory.md §3b), the final E f - f* over its analogue
tr(H^-1 C) / (2T) (the *f ratio*) and the first drop epoch.  Per method over the split:

- the median and 90th percentile of both ratios, with 95% bootstrap intervals (percentile
  bootstrap over instances, :data:`BOOTSTRAP` resamples, numpy seed 0);
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

import numpy as np

from . import cli

PROG = "simulations.generalization"
METHODS = ("autodrop", "autodrop_v1", "autodrop_paper", "autodrop_immediate", "averaged",
           "constant", "oracle", "plateau", "pflug", "distance", "sasa")
BOOTSTRAP = 2000
DEFAULTS = dict(seeds=8, instances=64, split="test", methods=",".join(METHODS),
                out="results/generalization")
QUICK = dict(instances=12, methods="autodrop,autodrop_v1,averaged,constant,oracle,distance")


def _parser():
    p = cli.make_parser(PROG, __doc__.splitlines()[0], omit=(
        "dim", "epochs", "steps_per_epoch", "lr"))
    p.add_argument("--split", choices=("test", "tune"), default=None,
                   help="which instances (TUNE chose the defaults)")
    p.add_argument("--instances", type=cli.positive_int, default=None,
                   help="the first N instances of the split")
    return p


def limits(inst) -> tuple:
    """(Cramer-Rao limit of ||x - x*||^2, its analogue for f - f*) at T = E K steps."""
    T = inst.epochs * inst.steps_per_epoch
    h, c = inst.hessian_eigs, inst.noise_var
    return float(np.sum(c / h ** 2) / T), float(np.sum(c / h) / (2 * T))


def run_instance(inst, methods, *, seeds: int, seed: int, x64: bool = False) -> dict:
    """Run ``methods`` (registered names, or a function ``ctx -> [Method]``) on instance
    ``inst`` with ``seeds`` seeds (run seed ``seed + inst.index``); per method: CR ratio,
    f ratio, mean first drop epoch (None if no seed drops), diverged seeds."""
    from . import engine, experiment
    problem = inst.problem()
    ctx = experiment.run_context(problem, inst.lr, inst.epochs, inst.steps_per_epoch)
    ms = methods(ctx) if callable(methods) else experiment.build_methods(list(methods), ctx)
    trajs = engine.simulate(problem, ms, epochs=inst.epochs,
                            steps_per_epoch=inst.steps_per_epoch,
                            keys=engine.seed_keys(seed + inst.index, seeds),
                            momentum=inst.momentum, dtype=experiment.dtype_for(x64))
    cr, fr = limits(inst)
    out = {}
    for m in ms:
        t = trajs[m.name]
        with np.errstate(invalid="ignore", over="ignore"):
            sq = float(np.mean(np.asarray(t.sq_dist[:, -1], np.float64)))
            sub = float(np.mean(np.asarray(t.subopt[:, -1], np.float64)))
        firsts = [row[0] for row in t.drop_epochs() if row]
        out[m.name] = {"cr_ratio": sq / cr if np.isfinite(sq) else float("inf"),
                       "f_ratio": sub / fr if np.isfinite(sub) else float("inf"),
                       "first_drop": float(np.mean(firsts)) if firsts else None,
                       "diverged": int(np.sum(t.diverged))}
        if "drop_epochs" in m.config:        # the oracle's schedule
            out[m.name]["first_drop"] = (float(m.config["drop_epochs"][0])
                                         if m.config["drop_epochs"] else None)
    return out


def _quantile_ci(values, q, rng):
    """The q-quantile of ``values`` and its 95% percentile-bootstrap interval."""
    v = np.asarray(values, float)
    idx = rng.integers(0, v.size, (BOOTSTRAP, v.size))
    boot = np.quantile(v[idx], q, axis=1)
    return float(np.quantile(v, q)), [float(x) for x in np.quantile(boot, [0.025, 0.975])]


def _share_ci(flags, rng):
    f = np.asarray(flags, float)
    idx = rng.integers(0, f.size, (BOOTSTRAP, f.size))
    boot = f[idx].mean(axis=1)
    return float(f.mean()), [float(x) for x in np.quantile(boot, [0.025, 0.975])]


def summarize(rows: list, names: list, automatic: dict) -> dict:
    """Per method, the statistics of the module docstring over the instance ``rows`` (each
    ``{"instance": record, "methods": {name: numbers}}``); ``automatic``: name -> whether it
    decides its drops from the run and is not AutoDrop (the peers)."""
    rng = np.random.default_rng(0)
    cr = {n: np.array([r["methods"][n]["cr_ratio"] for r in rows]) for n in names}
    fr = {n: np.array([r["methods"][n]["f_ratio"] for r in rows]) for n in names}
    flat = np.array([r["instance"]["init"] == "flat" for r in rows])
    peers = [n for n in names if automatic.get(n)]
    best_peer = min(peers, key=lambda n: np.median(cr[n])) if peers else None
    out = {"instances": len(rows), "flat_instances": int(flat.sum()), "best_peer": best_peer,
           "methods": {}}
    for n in names:
        s = {}
        s["cr_median"], s["cr_median_ci"] = _quantile_ci(cr[n], 0.5, rng)
        s["cr_p90"], s["cr_p90_ci"] = _quantile_ci(cr[n], 0.9, rng)
        s["f_median"], s["f_median_ci"] = _quantile_ci(fr[n], 0.5, rng)
        s["f_p90"], s["f_p90_ci"] = _quantile_ci(fr[n], 0.9, rng)
        if "oracle" in cr:
            s["within_1.5_oracle"], s["within_1.5_oracle_ci"] = _share_ci(
                cr[n] <= 1.5 * cr["oracle"], rng)
        if "averaged" in cr:
            s["wins_vs_averaged"], s["wins_vs_averaged_ci"] = _share_ci(
                cr[n] < cr["averaged"], rng)
            if flat.any():
                with np.errstate(invalid="ignore", divide="ignore"):
                    gain = cr["averaged"][flat] / cr[n][flat]
                s["flat_gain_vs_averaged"], s["flat_gain_vs_averaged_ci"] = _quantile_ci(
                    np.nan_to_num(gain, nan=1.0), 0.5, rng)
        if best_peer is not None:
            s["wins_vs_best_peer"], s["wins_vs_best_peer_ci"] = _share_ci(
                cr[n] < cr[best_peer], rng)
        s["diverged_runs"] = int(sum(r["methods"][n]["diverged"] > 0 for r in rows))
        out["methods"][n] = s
    return out


def _fmt(v, ci):
    return f"{v:.3g} [{ci[0]:.3g}, {ci[1]:.3g}]"


def table(summary: dict) -> tuple:
    """(header, rows) of the printed summary (README block)."""
    header = ["method", "CR median", "CR p90", "f median", "<=1.5x oracle", "wins vs averaged",
              "wins vs best peer", "flat: x better than averaged"]
    rows = []
    for n, s in sorted(summary["methods"].items(), key=lambda kv: kv[1]["cr_median"]):
        rows.append([n, _fmt(s["cr_median"], s["cr_median_ci"]), _fmt(s["cr_p90"], s["cr_p90_ci"]),
                     _fmt(s["f_median"], s["f_median_ci"])] + [
            _fmt(s[k], s[k + "_ci"]) if k in s else "-" for k in (
                "within_1.5_oracle", "wins_vs_averaged", "wins_vs_best_peer",
                "flat_gain_vs_averaged")])
    return header, rows


def _body(argv) -> int:
    start = time.perf_counter()
    args = cli.parse(_parser(), argv, DEFAULTS, QUICK)
    names = cli.resolve_methods(args.methods)
    from . import instances as gen
    insts = gen.instances(args.split, args.instances)
    for inst in insts:                   # every instance's size, before anything runs
        cli.check_sizes(inst.dim, len(names), inst.epochs, inst.steps_per_epoch, args.seeds,
                        args.x64)
    from . import methods as registry
    from .results import Results
    automatic = {n: registry.REGISTRY[n].automatic and registry.REGISTRY[n].family_at
                 != "autodrop:FAMILY" for n in names}
    rows = []
    for inst in cli.progress(insts, args.quiet, PROG):
        rows.append({"instance": inst.record(),
                     "methods": run_instance(inst, names, seeds=args.seeds, seed=args.seed,
                                             x64=args.x64)})
    summary = summarize(rows, names, automatic)
    if not args.quiet:
        print(f"{args.split.upper()} split, {len(rows)} instances ({summary['flat_instances']} "
              f"with the initial error on flat directions), {args.seeds} seeds each; best "
              f"automatic peer: {summary['best_peer']}")
        cli.print_table(*table(summary))
    results = Results({"problem": {"name": "generalization", "split": args.split,
                                   "instances": len(rows), "seeds": args.seeds},
                       "methods": {}, "rows": rows, "summary": summary, "names": names})
    return cli.finish(PROG, argv, args, start, results)


def main(argv=None) -> int:
    return cli.main(PROG, _body, argv)


if __name__ == "__main__":
    cli.entry_point(main)
