"""The paper's Theorem 5.1, corrected, against simulation: convex Lipschitz problems under unified
momentum, every step-wise method, s in {0, 1, 1/(1 - beta)} (the study; its command is
``python -m simulations.convex_study``, and ``simulations.paper`` runs it too).

Problem: the convex Lipschitz problems of :mod:`simulations.problems.convex` (a weighted sum of
|x_i - c_i| with Gaussian subgradient noise, and least-absolute-deviation regression on the
diabetes data with minibatch subgradients), each with exact G, delta^2, f*, ||x_0 - x*||^2 and
f(x_0) - f*.

Algorithm: UM (docs/theory.md §6b) with beta = 0.9 and s = 0 (heavy ball), 1 (Nesterov) and
1/(1 - beta) (plain SGD) runs each step-wise method (:data:`STEPWISE`: a rate constant within an
epoch, changed only at epoch boundaries, iterates never replaced or averaged) on common random
numbers; one compiled program per problem and momentum mode (heavy ball; UM with s an array).
For each (problem, method, s) the corrected bound (:func:`autodrop_theory.paper.stepwise_bound`)
is evaluated on each seed's realised rate sequence (T = E K steps) and compared with
min_n E[f(x_{nK})] - f* over the epoch boundaries n = 1..E-1 (the steps t < T; a minimum over
boundaries is >= the minimum over all steps, so a boundary minimum below the bound is sufficient
for the theorem's statement): ``holds`` where the 95% Student-t upper end over the seeds at the
boundary of the smallest mean is at most the bound.  For a schedule fixed in advance
(``covered_by_theorem``) every seed has the same bound; for an adaptive one (AutoDrop) the
theorem, which assumes rates fixed in advance, does not apply: the row is an empirical check
outside its hypotheses, against the smallest per-seed bound.  The rate exponent is the log-log
slope of the running minimum min_{n' <= n} E[f(x_{n'K})] - f* in the step count over the second
half of the run (least squares; its standard error).

Guarantee (of the report): every number is computed from the simulation and the problem's
exact constants; a corrupted bound (smaller, or a wrong G) is rejected by the same check
(tests/test_convex_study.py).

References: Wang, Teng & Choromanska, AutoDrop (UAI 2024), Theorem 5.1, eq. (9);
docs/paper.md §3 (the correction).
"""

from __future__ import annotations

import time

import numpy as np

from autodrop_theory import _validate as v
from autodrop_theory.errors import AssumptionError

__all__ = ["run", "rows_for", "check_row", "STEPWISE", "ADAPTIVE", "BETA", "S_VALUES", "SETUPS",
           "DEFAULTS", "QUICK", "draw", "lad_problem"]
BETA = 0.9
S_VALUES = (("heavy_ball", 0.0), ("nesterov", 1.0), ("sgd", 1.0 / (1.0 - BETA)))
STEPWISE = ("constant", "step_decay", "autodrop_paper", "autodrop_immediate")
ADAPTIVE = ("autodrop_paper", "autodrop_immediate")       # drops decided from the run
# problem name -> (factory, lr, steps per epoch); epochs and seeds by configuration
SETUPS = {"abs_sum": dict(lr=0.02, K=20), "lad": dict(lr=0.01, K=20)}
DEFAULTS = dict(epochs=200, seeds=64)
QUICK = dict(epochs=60, seeds=16)
CURVE_POINTS = 8        # boundaries at which the bound curve is drawn
MAX_DIM = 20            # the largest problem (abs_sum; lad has 11 parameters)


def _problems():
    from .problems import convex
    return {"abs_sum": convex.abs_sum(), "lad": lad_problem()}


_LAD = []


def lad_problem():
    from .problems import convex
    if not _LAD:                  # the LP solve is done once per process
        _LAD.append(convex.lad())
    return _LAD[0]


def _check_methods(methods) -> list:
    if methods is None:
        return list(STEPWISE)
    if isinstance(methods, str):
        methods = [methods]
    try:
        names = list(methods)
    except TypeError:
        names = [methods]         # not a list of names: refused below, naming it
    bad = [m for m in names if m not in STEPWISE]
    if bad or not names or len(set(names)) != len(names):
        raise AssumptionError(f"methods: need distinct step-wise methods from {', '.join(STEPWISE)} "
                              f"(a rate constant within each epoch, iterates never replaced: "
                              f"Theorem 5.1's UM), got {names!r}")
    return names


def check_row(min_gap_ci_hi: float, bound: float) -> bool:
    """The check: the Monte Carlo upper end at most the bound (both finite)."""
    return bool(np.isfinite(min_gap_ci_hi) and np.isfinite(bound) and min_gap_ci_hi <= bound)


def _stepwise_rates(lr_epochs, K: int) -> np.ndarray:
    """A seed's per-step rates from its per-epoch rates (constant within an epoch)."""
    return np.repeat(np.asarray(lr_epochs, np.float64), K)


def _bound(lrs, s, c) -> float:
    from autodrop_theory.paper import stepwise_bound
    return stepwise_bound(lrs, beta=BETA, s=s, G=c["G"], noise=c["noise"],
                          dist0_sq=c["dist0_sq"], gap0=c["gap0"])


def rows_for(problem_name: str, constants: dict, traj, method: str, s_label: str, s: float,
             K: int) -> dict:
    """One row of the report from a method's trajectories (see the module docstring)."""
    from .stats import mean_ci, rate_exponent
    gap = np.asarray(traj.subopt, np.float64)               # (S, E+1)
    seeds, E = gap.shape[0], gap.shape[1] - 1
    covered = method not in ADAPTIVE
    row = {"problem": problem_name, "method": method, "um_s": s, "um_s_name": s_label,
           "beta": BETA, "seeds": int(seeds), "covered_by_theorem": covered,
           "steps": int(E * K)}
    if not np.all(np.isfinite(gap)):
        return row | {"diverged": True, "holds": False, "min_gap": None, "min_gap_ci": None,
                      "bound": None, "ratio": None, "rate_exponent": None,
                      "rate_exponent_se": None}
    bounds = np.array([_bound(_stepwise_rates(lr, K), s, constants) for lr in traj.lr])
    bound = float(bounds.min())
    mean, lo, hi = mean_ci(gap)
    inner = np.arange(1, E)                 # boundaries n = 1..E-1: steps t = nK < T
    n_best = int(inner[np.argmin(mean[inner])])
    running = np.minimum.accumulate(mean[1:])
    fit = rate_exponent(np.arange(1, E + 1) * K, running)
    return row | {
        "diverged": False, "min_gap": float(mean[n_best]),
        "min_gap_ci": [float(lo[n_best]), float(hi[n_best])], "min_gap_epoch": n_best,
        "bound": bound, "bound_spread": [float(bounds.min()), float(bounds.max())],
        "ratio": float(hi[n_best] / bound), "holds": check_row(hi[n_best], bound),
        "rate_exponent": fit["slope"], "rate_exponent_se": fit.get("se"),
        "curve": {"steps": (np.arange(E + 1) * K).tolist(), "mean": mean.tolist(),
                  "lo": lo.tolist(), "hi": hi.tolist(),
                  "bound_steps": _curve_points(E, K),
                  "bound": [_bound(_stepwise_rates(traj.lr[int(np.argmin(bounds))], K)[:t], s,
                                   constants) for t in _curve_points(E, K)]}}


def _curve_points(E, K) -> list:
    return sorted({int(n) * K for n in np.unique(np.geomspace(1, E, CURVE_POINTS).round())})


def run(*, methods=None, quick: bool = False, seeds=None, seed: int = 0, x64: bool = False,
        quiet: bool = True, epochs=None) -> dict:
    """The study (module docstring).  Returns {"rows": [...], "tightest_ratio", "all_hold",
    "config"}; each row: problem, method, um_s, um_s_name, beta, seeds, steps,
    covered_by_theorem, diverged, min_gap, min_gap_ci [lo, hi], min_gap_epoch, bound,
    bound_spread, ratio (= min_gap_ci[1] / bound), holds, rate_exponent, rate_exponent_se,
    curve (for the figure).  ``epochs`` overrides the configuration's (tests)."""
    from . import engine, experiment
    names = _check_methods(methods)
    if not isinstance(quick, (bool, np.bool_)):
        raise AssumptionError(f"quick: need True or False, got {quick!r}")
    size = QUICK if quick else DEFAULTS
    seeds = size["seeds"] if seeds is None else seeds
    seeds, seed, _, x64 = experiment.check_run_args(seeds, seed, BETA, x64)
    epochs = size["epochs"] if epochs is None else v.integer("epochs", epochs, lo=3)
    from . import memory
    for setup in SETUPS.values():     # sizes before anything is allocated (d <= MAX_DIM)
        memory.check(MAX_DIM, len(names), epochs, setup["K"], seeds, 8 if x64 else 4)
    start = time.perf_counter()
    dtype = experiment.dtype_for(x64)
    problems = _problems()
    rows = []
    for pname, problem in problems.items():
        setup = SETUPS[pname]
        ctx = experiment.run_context(problem, setup["lr"], epochs, setup["K"])
        ms = experiment.build_methods(names, ctx)
        constants = problem.constants()
        for s_label, s in S_VALUES:
            trajs = engine.simulate(problem, ms, epochs=epochs, steps_per_epoch=setup["K"],
                                    keys=engine.seed_keys(seed, seeds), momentum=BETA,
                                    um_s=s_label, dtype=dtype)
            for m in names:
                rows.append(rows_for(pname, constants, trajs[m], m, s_label, s, setup["K"]))
            if not quiet:
                print(f"{pname} s={s_label}: done", flush=True)
    ratios = [r["ratio"] for r in rows if r["ratio"] is not None]
    config = {"methods": names, "beta": BETA, "s": dict(S_VALUES), "epochs": epochs,
              "seeds": seeds, "seed": seed, "x64": x64, "quick": bool(quick),
              "setups": SETUPS, "problems": {k: p.record() for k, p in problems.items()},
              "wall_seconds": time.perf_counter() - start}
    return {"rows": rows, "tightest_ratio": max(ratios) if ratios else None,
            "all_hold": all(r["holds"] for r in rows), "config": config}


# ---------------------------------------------------------------------------------- the figure
def draw(results: dict, folder) -> list:
    """E[f(x_t)] - f* against the step (95% CI bands) with the corrected bound (dashed, the
    method's colour) for every method: one panel per problem (rows) and s (columns); redrawn
    from results.json alone."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pathlib import Path

    from .figures import STYLE, color, linestyle
    rows = results["rows"]
    problems = list(dict.fromkeys(r["problem"] for r in rows))
    s_names = list(dict.fromkeys(r["um_s_name"] for r in rows))
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(problems), len(s_names), sharex=True, squeeze=False,
                                 figsize=(3.4, 1.3 * len(problems) + 0.3))
        for i, p in enumerate(problems):
            for j, sn in enumerate(s_names):
                ax = axes[i][j]
                for r in rows:
                    if r["problem"] != p or r["um_s_name"] != sn or r.get("curve") is None:
                        continue
                    c = r["curve"]
                    x = np.asarray(c["steps"][1:])
                    col = color(r["method"])
                    ax.plot(x, c["mean"][1:], color=col, linestyle=linestyle(r["method"]),
                            label=r["method"], lw=0.9)
                    ax.fill_between(x, c["lo"][1:], c["hi"][1:], color=col, alpha=0.2, lw=0)
                    ax.plot(c["bound_steps"], c["bound"], color=col, linestyle=(0, (1, 1)),
                            lw=0.7, marker="|", ms=3)
                ax.set_xscale("log")
                ax.set_yscale("log")
                if i == 0:
                    ax.set_title(f"s: {sn.replace('_', ' ')}", fontsize=7)
                if j == 0:
                    ax.set_ylabel(f"{p}\nE f - f*", fontsize=7)
                if i == len(problems) - 1:
                    ax.set_xlabel("step t", fontsize=7)
        axes[0][0].plot([], [], color="0.3", linestyle=(0, (1, 1)), lw=0.7, marker="|", ms=3,
                        label="Thm 5.1 bound (corrected)")
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.set_figheight(fig.get_figheight() + 0.13 * -(-len(handles) // 3))
        fig.legend(handles, labels, loc="outside lower center", ncol=3, frameon=False)
        paths = [Path(folder) / "convex_bound.pdf", Path(folder) / "convex_bound.png"]
        fig.savefig(paths[0])
        fig.savefig(paths[1], dpi=300)
        plt.close(fig)
        return paths
