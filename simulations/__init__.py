"""Simulations of AutoDrop and its peers: the public run API.

    import simulations as sim
    from simulations import problems
    res = sim.run(problems.quadratic(h, c, y0), ["autodrop", "averaged", "constant"],
                  lr=0.5, epochs=200, steps_per_epoch=10, seeds=32)
    sim.save(res, "results/mine")          # results.json + figures; Results.load reads it back

``problems``: ``quadratic`` (any spectrum, noise and initial point), ``logistic_regression``
(a user's (X, y)), ``custom`` (any gradient oracle), ``default_problem``.  ``methods``: the one
registry (``methods.REGISTRY``; build one with overrides, e.g.
``methods.autodrop.autodrop(ctx, threshold_z=0.4)``).  ``sweep`` runs a grid of one method's
hyperparameters as one compiled program.
"""

import importlib

__all__ = ["run", "sweep", "save", "Results", "problems", "methods"]
_LAZY = {"run": "experiment", "sweep": "experiment", "Results": "results"}


def __getattr__(name):
    """The API, imported on first use: a command's ``--help`` and its refusals of bad flags run
    without loading JAX, scipy or sympy."""
    if name in ("problems", "methods"):
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def save(results, out_dir) -> list:
    """Write a run's results.json and every figure it supports (:func:`.figures.save`); the
    plotting library is imported only here."""
    from .figures import save as save_with_figures
    return save_with_figures(results, out_dir)
