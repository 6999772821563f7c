"""The linear-Gaussian quadratic model Q(H, C) of docs/theory.md §1, in the Hessian's eigenbasis.

Problem: f(x) = 1/2 y^T H y with y = x - x*, stochastic gradient g = H y + xi, xi ~ N(0, C) i.i.d.,
H and C commuting, so that everything is per coordinate: Hessian eigenvalues h_i >= 0 and noise
variances c_i >= 0.  SGD at rate eta on coordinate i is y <- a_i y - eta xi_i with a_i = 1 - eta h_i.

Over one epoch of K steps at a constant rate (docs/theory.md §4):
    alpha_i = a_i^K,    q_i = eta^2 c_i sum_{j<K} a_i^{2j}     (noise accumulated in the epoch),
so that X_{n+1,i} = alpha_i X_{n,i} + (zero-mean noise of variance q_i, independent of the past).

Everything here is float64 numpy, validated up front (:class:`AssumptionError`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as v
from .errors import AssumptionError

__all__ = ["QuadraticModel", "check_stable_lr", "epoch_factors", "geometric_sum"]


@dataclass(frozen=True, eq=False)
class QuadraticModel:
    """A validated instance of Q(H, C): ``hessian_eigs`` (h_i >= 0), ``noise_var`` (c_i >= 0), ``y0``.

    Example:
        >>> m = QuadraticModel([1.0, 0.5], [0.1, 0.1], [1.0, -1.0])
        >>> m.dim, m.mu, m.L
        (2, 0.5, 1.0)
    """

    hessian_eigs: np.ndarray
    noise_var: np.ndarray
    y0: np.ndarray

    def __post_init__(self):
        h = v.vector("hessian_eigs", self.hessian_eigs, nonnegative=True)
        c = v.vector("noise_var", self.noise_var, nonnegative=True, length=h.size,
                     length_of="hessian_eigs")
        y0 = v.vector("y0", self.y0, length=h.size, length_of="hessian_eigs")
        for name, arr in (("hessian_eigs", h), ("noise_var", c), ("y0", y0)):
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def dim(self) -> int:
        return int(self.hessian_eigs.size)

    @property
    def mu(self) -> float:
        return float(self.hessian_eigs.min())

    @property
    def L(self) -> float:  # noqa: N802 (the paper's name)
        return float(self.hessian_eigs.max())

    @property
    def sigma_sq(self) -> float:
        """Total gradient-noise variance sigma^2 = tr C = sum_i c_i."""
        return float(self.noise_var.sum())


def check_stable_lr(hessian_eigs: np.ndarray, lr, name: str = "lr") -> float:
    """Validate 0 < lr and lr * h_i < 2 for every h_i (docs/theory.md §2c); return lr as a float."""
    lr = v.in_range(name, lr, 0.0, None, lo_open=True)
    hessian_eigs = v.vector("hessian_eigs", hessian_eigs, nonnegative=True)
    top = lr * float(np.max(hessian_eigs))
    if top >= 2.0:
        raise AssumptionError(
            f"{name}: need {name} * h_i < 2 for every Hessian eigenvalue (stability), "
            f"got {name} * L = {top:g}")
    return lr


def geometric_sum(ratio: np.ndarray, one_minus_ratio: np.ndarray, n: int) -> np.ndarray:
    """sum_{j<n} ratio^j for 0 <= ratio <= 1, without cancellation near ratio = 1.

    ``one_minus_ratio`` must be supplied exactly (for ratio = a^2, 1 - a^2 = eta h (2 - eta h)),
    so that (1 - ratio^n) / (1 - ratio) loses no digits when ratio is close to 1.
    """
    ratio = np.asarray(ratio, dtype=np.float64)
    omr = np.asarray(one_minus_ratio, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        # 1 - r^n = -expm1(n log r) = -expm1(n log1p(-(1 - r))), accurate for r near 1.
        num = -np.expm1(n * np.log1p(-np.minimum(omr, 1.0)))
        out = np.where(omr > 0, num / np.where(omr > 0, omr, 1.0), float(n))
    return np.where(ratio == 0.0, 1.0, out)


def epoch_factors(hessian_eigs, noise_var, lr: float, steps_per_epoch: int):
    """Per-coordinate (alpha_i, q_i) of one epoch of K steps at rate ``lr``.

    alpha_i = (1 - lr h_i)^K and q_i = lr^2 c_i sum_{j<K} (1 - lr h_i)^{2j}; exact at h_i = 0
    (alpha = 1, q = K lr^2 c_i) and when lr h_i = 1 (alpha = 0, q = lr^2 c_i).
    Raises AssumptionError naming the argument outside: h_i >= 0, c_i >= 0 (same length),
    lr > 0 with lr h_i < 2, K >= 1.
    """
    h = v.vector("hessian_eigs", hessian_eigs, nonnegative=True)
    c = v.vector("noise_var", noise_var, nonnegative=True, length=h.size,
                 length_of="hessian_eigs")
    lr = check_stable_lr(h, lr)
    steps_per_epoch = v.integer("steps_per_epoch", steps_per_epoch, lo=1)
    x = lr * h
    a = 1.0 - x
    # a^K as sign^K exp(K log|a|) with log|a| = log1p(-x): a itself rounds to 1 once x < 1e-16,
    # and a^K would then miss the decay exp(-K x) of a long epoch
    with np.errstate(divide="ignore"):
        log_abs = np.where(x < 0.5, np.log1p(-np.minimum(x, 0.5)), np.log(np.abs(a)))
    sign = np.where(a < 0, (-1.0) ** (steps_per_epoch % 2), 1.0)
    alpha = np.where(a == 0.0, 0.0, sign * np.exp(steps_per_epoch * log_abs))
    s = geometric_sum(a * a, lr * h * (2.0 - lr * h), steps_per_epoch)
    return alpha, lr * lr * c * s
