"""A user-defined problem: any stochastic gradient oracle.

    custom(grad, noise, x0, *, x_star=None, loss=None, f_star=None, metrics=None, mu=None, L=None)

``noise(key, K)`` draws the randomness of one epoch (a pytree with leading axis K);
``grad(x, noise_k)`` returns the stochastic gradient, or (gradient, loss sample); ``loss(x)``
is f (needed for f - f*, with ``f_star``); ``x_star`` the minimiser (for ||x - x*||^2);
``metrics(x)`` a dict of further scalars.  Every function must be pure JAX.  Without
``x_star`` the distance is reported as nan, without ``loss`` and ``f_star`` the suboptimality.
The problem's compiled program is reused whenever the same functions are passed again.
"""

from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np

from autodrop_theory import _validate as v
from autodrop_theory.errors import AssumptionError

from .base import Kind, Problem

__all__ = ["CustomProblem", "custom"]


@functools.lru_cache(maxsize=64)
def _kind(grad, noise, loss, metrics) -> Kind:
    def grad_(data, x, xi):
        out = grad(x, xi)
        if isinstance(out, tuple):
            return out
        return out, (loss(x) if loss is not None else jnp.zeros((), x.dtype))

    def sq_dist(data, x):
        return jnp.vdot(x - data["x_star"], x - data["x_star"])

    def subopt(data, x):
        return (loss(x) - data["f_star"]) if loss is not None else jnp.full((), jnp.nan, x.dtype)

    return Kind(f"custom({getattr(grad, '__name__', 'grad')})", lambda data, key: data["x0"],
                lambda data, key, steps: noise(key, steps), grad_, sq_dist, subopt,
                None if metrics is None else (lambda data, x: metrics(x)))


class CustomProblem(Problem):
    def __init__(self, grad, noise, x0, *, x_star=None, loss=None, f_star=None, metrics=None,
                 mu=None, L=None):  # noqa: N803
        for name, fn in (("grad", grad), ("noise", noise)):
            if not callable(fn):
                raise AssumptionError(f"{name}: need a function, got {fn!r}")
        for name, fn in (("loss", loss), ("metrics", metrics)):
            if fn is not None and not callable(fn):
                raise AssumptionError(f"{name}: need a function or None, got {fn!r}")
        self.x0 = v.vector("x0", x0)
        self.x_star = (np.full(self.x0.size, np.nan) if x_star is None else
                       v.vector("x_star", x_star, length=self.x0.size, length_of="x0"))
        if (loss is None) != (f_star is None):
            raise AssumptionError("f_star: give both loss and f_star (for f - f*) or neither")
        self.f_star = np.nan if f_star is None else v.real_scalar("f_star", f_star)
        self.mu = None if mu is None else v.in_range("mu", mu, 0.0, None, lo_open=True)
        self.L = None if L is None else v.in_range("L", L, self.mu or 0.0, None, lo_open=True)
        self.kind = _kind(grad, noise, loss, metrics)

    @property
    def dim(self) -> int:
        return int(self.x0.size)

    def check_lr(self, lr: float) -> None:
        if self.L is not None and lr * self.L >= 2:
            raise AssumptionError(f"lr: need lr * L < 2 (stability), got lr * L = "
                                  f"{lr * self.L:g}")

    def data(self, dtype):
        return {"x0": jnp.asarray(self.x0, dtype), "x_star": jnp.asarray(self.x_star, dtype),
                "f_star": jnp.asarray(self.f_star, dtype)}

    def record(self) -> dict:
        return {"name": self.kind.name, "dim": self.dim, "mu": self.mu, "L": self.L}


def custom(grad, noise, x0, **kwargs) -> CustomProblem:
    """See the module docstring."""
    return CustomProblem(grad, noise, x0, **kwargs)

