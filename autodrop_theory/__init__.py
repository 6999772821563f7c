"""AutoDrop: the rule in JAX and its theory on quadratics.

Modules: ``rule`` (the AutoDrop rule), ``angular`` (closed forms of docs/theory.md §4),
``quadratic`` (the model Q and its exact per-epoch factors), ``bounds`` (convergence bounds).
"""

from . import angular, bounds, quadratic, rule
from .errors import AssumptionError

__version__ = "0.1.0"
__all__ = ["AssumptionError", "angular", "bounds", "quadratic", "rule", "__version__"]
