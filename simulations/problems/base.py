"""The problem protocol: what the simulator needs (a static :class:`Kind` of pure functions plus
a pytree of arrays) and what the runner reports (constants, theory, the record in results.json).

A :class:`Kind` holds pure functions of the problem's *data* (a pytree of arrays):
    x0(data, key)                  the initial point of one seed (``key`` is that seed's initial-
                                   point stream; a fixed x0 ignores it)
    epoch_noise(data, key, K)      the randomness of one epoch, a pytree with leading axis K
    grad(data, x, noise_k)         (stochastic gradient, stochastic loss sample) for one step
    sq_dist(data, x)               ||x - x*||^2
    subopt(data, x)                f(x) - f*
    metrics(data, x)               optional: a dict of further scalars per epoch boundary
    linear_gaussian(data)          optional: (h, sd) where the gradient is h * x + sd * xi,
                                   coordinate by coordinate, xi standard normal and x* = 0
                                   (model Q): the exact epoch sampler (:mod:`..exact`) applies
Kinds compare by their functions' identity, so every instance of one kind and shape runs the
same compiled program with its own data: spectra, noise, initial points and data sets are data.

A :class:`Problem` (host side) implements:
    kind, data(dtype) -> pytree of device arrays, dim, mu, L (None where unknown),
    check_lr(lr), check_steps(K) (raise AssumptionError where the rate is unstable or an
    epoch of K steps impossible),
    exact_model (a QuadraticModel, or None), theory(lr, epochs, K) -> dict,
    cramer_rao(t) -> float or None, angle_theory(lrs, K) -> (angles, levels) or None,
    record() -> the ``problem`` block of results.json,
    bv_constants() -> the constants of the adaptive-schedule check, or None.
The default implementations below say "no theory"; a new problem is one module.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Callable, Optional

__all__ = ["Kind", "Problem"]


@dataclasses.dataclass(frozen=True)
class Kind:
    name: str
    x0: Callable
    epoch_noise: Callable
    grad: Callable
    sq_dist: Callable
    subopt: Callable
    metrics: Optional[Callable] = None
    linear_gaussian: Optional[Callable] = None


class Problem(abc.ABC):
    """Base class with the "no theory" defaults; subclasses set ``kind`` and implement ``data``,
    ``dim`` and ``record``."""

    kind: Kind
    mu: Optional[float] = None
    L: Optional[float] = None  # noqa: N815
    exact_model = None
    # which of ||x - x*||^2 and f - f* the problem defines (the others are nan by design, not an
    # overflow), and whether its gradient oracle gives stochastic loss samples (which the
    # loss-reading methods, Family.reads_loss, need)
    reports: tuple = ("sq_dist", "subopt")
    loss_samples: bool = True

    @property
    @abc.abstractmethod
    def dim(self) -> int:
        """The number of parameters."""

    @abc.abstractmethod
    def data(self, dtype):
        """The problem's arrays as a pytree of device arrays in the simulation dtype."""

    @abc.abstractmethod
    def record(self) -> dict:
        """The ``problem`` block of results.json."""

    def check_lr(self, lr: float) -> None:
        """Raise AssumptionError where ``lr`` is known to be unstable (default: no check)."""

    def check_steps(self, steps_per_epoch: int) -> None:
        """Raise AssumptionError where an epoch of that many steps is impossible (default: no
        check; a data problem sampling without replacement has at most n // B steps)."""

    def theory(self, lr: float, epochs: int, steps_per_epoch: int) -> dict:
        return {}

    def cramer_rao(self, t) -> Optional[float]:
        return None

    def angle_theory(self, lrs, steps_per_epoch: int):
        return None

    def bv_constants(self) -> Optional[dict]:
        """{"mu", "L", "sigma_sq", "covered", "why"}: the constants of SC + SM + BV for the
        adaptive-schedule check (docs/theory.md §2d), "covered" False (with the reason) where
        the problem's noise is outside BV's conditional unbiasedness; None: unknown."""
        return None
