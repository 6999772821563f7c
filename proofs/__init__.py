"""Machine-checked proofs of the package's theorems; ``python -m proofs`` checks them all.

Each module holds one theorem (or the parts of one) as data (:class:`proofs.checker.Proof`);
:data:`THEOREMS` lists them in dependency order.
"""

from . import (angle_moments, autodrop_guard, certificate, geometric_sums, sgd_constant_step,
               sgd_one_step, sgd_one_step_finite_sum, sgd_quadratic_exact, sgd_schedule,
               stagewise, stationary_angle, stationary_variance)
from .checker import check_all

THEOREMS = (
    sgd_one_step.PROOF,
    sgd_constant_step.PROOF,
    sgd_one_step_finite_sum.PROOF,
    sgd_quadratic_exact.PROOF,
    *sgd_schedule.PROOFS,
    stationary_variance.PROOF,
    *geometric_sums.PROOFS,
    *stagewise.PROOFS,
    *angle_moments.PROOFS,
    *stationary_angle.PROOFS,
    *certificate.PROOFS,
    *autodrop_guard.PROOFS,
)

__all__ = ["THEOREMS", "check_all"]
