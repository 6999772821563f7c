"""AutoDrop: the rule in JAX and its theory on quadratics.

Modules: ``rule`` (the AutoDrop rule), ``angular`` (closed forms of docs/theory.md §4),
``quadratic`` (the model Q and its exact per-epoch factors), ``bounds`` (convergence bounds),
``schedule_bounds`` (bounds for any rate sequence, adaptive ones included).
"""

from . import angular, bounds, quadratic, rule, schedule_bounds
from .errors import AssumptionError

__version__ = "0.1.0"
__all__ = ["AssumptionError", "angular", "bounds", "quadratic", "rule", "schedule_bounds",
           "__version__"]
