"""Running methods on the random instances of :mod:`simulations.instances` and summarizing
them (the generalization study's and the TUNE search's numbers; docs/results.md).

    limits(inst) -> (Cramer-Rao limit of ||x - x*||^2, its analogue for f - f*)
    run_instance(inst, methods, seeds=, seed=) -> {method: numbers}
    run_instances(insts, methods, seeds=, seed=, client=) -> [{"instance":, "methods":}, ...]
    summarize(rows, names, automatic) -> the per-method statistics
    table(summary) -> (header, rows) of the printed summary

Statistics (per method over the instances): the median and 90th percentile of the CR ratio and
of the f ratio with 95% percentile-bootstrap intervals (:data:`BOOTSTRAP` resamples over the
instances, numpy seed 0); the share within 1.5x of the oracle; the win rates (a lower CR ratio)
against ``averaged`` and the best automatic peer; on the flat-start instances the median of
averaged's CR ratio over the method's.  A diverged run is an infinite ratio (a loss).
"""

from __future__ import annotations

import numpy as np

__all__ = ["BOOTSTRAP", "limits", "run_instance", "run_instances", "summarize", "table"]

BOOTSTRAP = 2000


def limits(inst) -> tuple:
    """(Cramer-Rao limit of ||x - x*||^2, its analogue for f - f*) at T = E K steps."""
    T = inst.epochs * inst.steps_per_epoch
    h, c = inst.hessian_eigs, inst.noise_var
    return float(np.sum(c / h ** 2) / T), float(np.sum(c / h) / (2 * T))


def run_instance(inst, methods, *, seeds: int, seed: int, x64: bool = False) -> dict:
    """Run ``methods`` (registered names, or a function ``ctx -> [Method]``) on instance
    ``inst`` with ``seeds`` seeds (run seed ``seed + inst.index``); per method: CR ratio (and
    the sd over seeds of the final error in the same units), f ratio, mean first drop epoch
    (None if no seed drops), diverged seeds."""
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
            final = np.asarray(t.sq_dist[:, -1], np.float64)
            sq, sq_sd = float(np.mean(final)), float(np.std(final, ddof=1))
            sub = float(np.mean(np.asarray(t.subopt[:, -1], np.float64)))
        firsts = [row[0] for row in t.drop_epochs() if row]
        out[m.name] = {"cr_ratio": sq / cr if np.isfinite(sq) else float("inf"),
                       "cr_ratio_sd": sq_sd / cr if np.isfinite(sq_sd) else None,
                       "f_ratio": sub / fr if np.isfinite(sub) else float("inf"),
                       "first_drop": float(np.mean(firsts)) if firsts else None,
                       "diverged": int(np.sum(t.diverged))}
        if "drop_epochs" in m.config:        # the oracle's schedule
            out[m.name]["first_drop"] = (float(m.config["drop_epochs"][0])
                                         if m.config["drop_epochs"] else None)
    # every instance has its own shapes, so its compiled programs are never reused; kept, their
    # code mappings add up over a study to the kernel's limit on memory maps (LLVM then fails
    # with "Cannot allocate memory" with most of the memory free)
    import jax
    jax.clear_caches()
    return out


def _row(inst, methods, seeds, seed, x64) -> dict:
    return {"instance": inst.record(),
            "methods": run_instance(inst, methods, seeds=seeds, seed=seed, x64=x64)}


def run_instances(insts, methods, *, seeds: int, seed: int, x64: bool = False, client=None,
                  quiet: bool = True, desc: str = "instances") -> list:
    """:func:`run_instance` on every instance, one unit each (:func:`.executor.map_units`: here,
    or on the Dask ``client``'s cluster; ``methods`` must then pickle: names, or a
    module-level function), in the order of ``insts``: ``[{"instance": record, "methods":
    numbers}, ...]``.  Instance i's seeds depend only on ``seed + i.index``, so the rows are
    the same on any executor."""
    import functools

    from .executor import map_units
    return map_units(functools.partial(_row, methods=methods, seeds=seeds, seed=seed, x64=x64),
                     insts, client=client, desc=desc, quiet=quiet,
                     labels=[f"{i.split} instance {i.index}" for i in insts])


def _quantile_ci(values, q, rng):
    """The q-quantile of ``values`` and its 95% percentile-bootstrap interval."""
    v = np.asarray(values, float)
    idx = rng.integers(0, v.size, (BOOTSTRAP, v.size))
    with np.errstate(invalid="ignore"):         # inf - inf between two diverged runs: nan
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
    """(header, rows) of the printed summary (a generated block of docs/studies/generalization.md)."""
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
