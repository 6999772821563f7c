"""The figures of ``python -m simulations.paper``, drawn from its results.json alone
(:func:`draw`; ``python -m simulations.figures DIR/results.json`` redraws them): one column
wide, vector PDF plus PNG, Okabe-Ito colours, 95% bands over seeds, exact theory in black.

- ``paper_fig1_<sigma>``: Figure 1, the angle per iteration at each fixed rate (log iteration
  axis), the exact deterministic-equivalent curve (dashed) and the exact stationary mean angle
  (dotted, at the right edge).
- ``paper_fig2``: Figure 2's halving rule: seed 0's rate (top) and the angle with its band and
  the exact angle for seed 0's schedule (bottom).
- ``paper_fig4``: the model (12) fitted at each rate (dashed) over the measured curves.
- ``paper_fig5``: the realised rate schedules of Algorithm 2, Algorithm 1 (intent) and the
  halving rule (seed 0).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import figure_style
from .figure_style import OKABE_ITO, STYLE, legend_below as _legend_below

__all__ = ["draw"]


def _arr(x):
    return np.asarray(x, dtype=float)


def _fig1(folder, sigma, block, plt):
    fig, ax = plt.subplots()
    for i, (rate, r) in enumerate(block["rates"].items()):
        c = r["curve"]
        it, col = _arr(c["iteration"]), OKABE_ITO[i]
        lo, hi = _arr(c["ci_deg"]).T
        ax.fill_between(it, lo, hi, color=col, alpha=0.25, lw=0)
        ax.plot(it, _arr(c["mean_deg"]), color=col,
                label=f"alpha = {rate}" + (" (probe)" if r["probe"] else ""))
        ax.plot(it, _arr(c["exact_deg"]), color="black", ls="--", lw=0.7)
        ax.plot([it[-1]], [r["saturation"]["exact_mean_deg"]], marker="_", color="black", ms=6)
    ax.plot([], [], color="black", ls="--", lw=0.7, label="exact (deterministic equivalent)")
    ax.set_xscale("log")
    ax.set_xlabel("iteration t")
    ax.set_ylabel("angle between s_t and s_t-1 (deg)")
    _legend_below(fig, ax)
    return figure_style.save_figure(fig, folder, f"paper_fig1_{sigma}")


def _fig2(folder, v, plt):
    c = v["curve"]
    it = _arr(c["iteration"])
    fig, (a1, a2) = plt.subplots(2, 1, sharex=True)
    a1.step(it, _arr(c["lr_seed0"]), where="post", color=OKABE_ITO[0], label="rate (seed 0)")
    a1.set_yscale("log")
    a1.set_ylabel("rate")
    lo, hi = _arr(c["ci_deg"]).T
    a2.fill_between(it, lo, hi, color=OKABE_ITO[1], alpha=0.25, lw=0)
    a2.plot(it, _arr(c["mean_deg"]), color=OKABE_ITO[1], label="angle, mean over seeds")
    a2.plot(it, _arr(c["exact_seed0_deg"]), color="black", ls="--", lw=0.7,
            label="exact, seed 0's schedule")
    a2.set_xscale("log")
    a2.set_xlabel("iteration t")
    a2.set_ylabel("angle (deg)")
    _legend_below(fig, a2)
    return figure_style.save_figure(fig, folder, "paper_fig2")


def _fig4(folder, block, plt):
    from .paper_checks import model12
    fig, ax = plt.subplots()
    for i, (rate, r) in enumerate(block["rates"].items()):
        if r["probe"]:
            continue
        c, m = r["curve"], r["model12"]
        it = _arr(c["iteration"])
        ax.plot(it, _arr(c["mean_deg"]), color=OKABE_ITO[i], label=f"alpha = {rate}")
        ax.plot(it, model12(it, m["gamma"], m["eps"], r["rate"]), color=OKABE_ITO[i], ls="--",
                lw=0.8)
    ax.plot([], [], color="grey", ls="--", lw=0.8, label="model (12), fitted")
    ax.set_xscale("log")
    ax.set_xlabel("iteration t")
    ax.set_ylabel("angle (deg)")
    _legend_below(fig, ax)
    return figure_style.save_figure(fig, folder, "paper_fig4")


def _fig5(folder, methods, plt):
    fig, ax = plt.subplots()
    for i, name in enumerate(("autodrop_model", "autodrop_uai", "halving")):
        c = methods[name]["curve"]
        ax.step(_arr(c["iteration"]), _arr(c["lr_seed0"]), where="post", color=OKABE_ITO[i],
                label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("iteration t")
    ax.set_ylabel("rate (seed 0)")
    _legend_below(fig, ax)
    return figure_style.save_figure(fig, folder, "paper_fig5")


def draw(results, folder) -> list:
    """Every figure of the paper study from its results (a Results or the blocks' dict)."""
    import matplotlib.pyplot as plt
    Path(folder).mkdir(parents=True, exist_ok=True)
    paths = []
    with plt.rc_context(STYLE):
        for sigma, block in results["nqm"].items():
            paths += _fig1(folder, sigma, block, plt)
        paths += _fig2(folder, results["methods"]["halving"], plt)
        paths += _fig4(folder, results["nqm"]["identity"], plt)
        paths += _fig5(folder, results["methods"], plt)
    return paths
