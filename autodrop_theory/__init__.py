"""AutoDrop: the rule in JAX and its theory on quadratics.

Modules: ``rule`` (the AutoDrop rule), ``angular`` (closed forms of docs/theory.md §4),
``quadratic`` (the model Q and its exact per-epoch factors), ``bounds`` (convergence bounds),
``schedule_bounds`` (bounds for any rate sequence, adaptive ones included), ``paper`` (the
published paper's theorems, checked and corrected: docs/paper.md).  Each is imported on
first use (``autodrop_theory.bounds`` or ``from autodrop_theory import bounds``), so importing
the package, or only :class:`AssumptionError`, loads neither JAX nor sympy.
"""

import importlib

from .errors import AssumptionError

__version__ = "0.1.0"
__all__ = ["AssumptionError", "angular", "bounds", "paper", "quadratic", "rule",
           "schedule_bounds", "__version__"]
_MODULES = ("angular", "bounds", "paper", "quadratic", "rule", "schedule_bounds")


def __getattr__(name):
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
