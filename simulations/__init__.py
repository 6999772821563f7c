"""Simulations of AutoDrop and its peers: the public run API.

    import simulations as sim
    from simulations import problems
    res = sim.run(problems.quadratic(h, c, y0), ["autodrop", "averaged", "constant"],
                  lr=0.5, epochs=200, steps_per_epoch=10, seeds=32)
    res.save("results/mine")               # results.json + figures; Results.load reads it back

``problems``: ``quadratic`` (any spectrum, noise and initial point), ``logistic_regression``
(a user's (X, y)), ``custom`` (any gradient oracle), ``default_problem``.  ``methods``: the one
registry (``methods.REGISTRY``; build one with overrides, e.g.
``methods.autodrop.autodrop(ctx, threshold_z=0.4)``).  ``sweep`` runs a grid of one method's
hyperparameters as one compiled program.
"""

from . import methods, problems
from .experiment import precompile, run, sweep
from .results import Results

__all__ = ["run", "sweep", "precompile", "Results", "problems", "methods"]
