"""A user-defined problem: any stochastic gradient oracle.

    custom(grad, noise, x0, *, x_star=None, loss=None, f_star=None, metrics=None, mu=None, L=None)

``noise(key, K)`` draws the randomness of one epoch (a pytree with leading axis K);
``grad(x, noise_k)`` returns the stochastic gradient, or (gradient, loss sample); ``loss(x)``
is f (needed for f - f*, with ``f_star``); ``x_star`` the minimiser (for ||x - x*||^2);
``metrics(x)`` a dict of further scalars.  Every function must be pure JAX.  The functions'
outputs are checked at construction by an abstract evaluation (``jax.eval_shape``: shapes and
dtypes only, nothing is compiled or run): a gradient of the shape of x0, a scalar loss, a dict
of scalar metrics, noise with leading axis K; a mismatch is an AssumptionError naming the
function.  Only ``grad``, ``noise`` and ``x0`` are required: without ``x_star`` the distance,
without ``loss`` and ``f_star`` the suboptimality is not defined, reported as null and not
drawn (``reports`` says which are); without loss samples (neither a (gradient, loss) pair from
``grad`` nor ``loss``) the methods that read the loss (``plateau``) are refused.
The problem's compiled program is reused whenever the same functions are passed again.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from autodrop_theory import _validate as v
from autodrop_theory.errors import AssumptionError

from ..provenance import PRNG_IMPL
from .base import Kind, Problem

__all__ = ["CustomProblem", "custom"]


@functools.lru_cache(maxsize=64)
def _kind(grad, noise, loss, metrics) -> Kind:
    def grad_(data, x, xi):
        out = grad(x, xi)
        if isinstance(out, (tuple, list)):
            return tuple(out)
        return out, (loss(x) if loss is not None else jnp.zeros((), x.dtype))

    def sq_dist(data, x):       # the data hold x_star only where it is given
        if "x_star" not in data:
            return jnp.full((), jnp.nan, x.dtype)
        return jnp.vdot(x - data["x_star"], x - data["x_star"])

    def subopt(data, x):
        return (loss(x) - data["f_star"]) if loss is not None else jnp.full((), jnp.nan, x.dtype)

    return Kind(f"custom({getattr(grad, '__name__', 'grad')})", lambda data, key: data["x0"],
                lambda data, key, steps: noise(key, steps), grad_, sq_dist, subopt,
                None if metrics is None else (lambda data, x: metrics(x)))


def _abstract(name, fn, *args):
    """``jax.eval_shape(fn, *args)``; whatever it raises becomes an AssumptionError naming
    ``name`` (one line)."""
    try:
        return jax.eval_shape(fn, *args)
    except Exception as exc:       # noqa: BLE001 - a user's function may raise anything
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise AssumptionError(f"{name}: fails on abstract input ({type(exc).__name__}: "
                              f"{first[:160]})") from None


def _is_float_of_shape(out, shape) -> bool:
    return (isinstance(out, jax.ShapeDtypeStruct) and out.shape == shape
            and jnp.issubdtype(out.dtype, jnp.floating))


def _describe(out) -> str:
    if isinstance(out, jax.ShapeDtypeStruct):
        return f"{out.dtype}{list(out.shape)}"
    return type(out).__name__ if not isinstance(out, (tuple, list)) else \
        "(" + ", ".join(_describe(o) for o in out) + ")"


def check_oracle(grad, noise, x0, loss=None, metrics=None, steps: int = 7) -> bool:
    """Check the functions' output shapes and dtypes by abstract evaluation at x of the shape of
    ``x0`` (nothing is compiled), in each dtype a run may use (float32; float64 where JAX's x64
    mode is on): valid if valid in one of them (the run's dtype is chosen later); returns
    whether ``grad`` gives loss samples (a (gradient, loss) pair)."""
    first = None
    for dtype in dict.fromkeys([jnp.dtype(jnp.float32), jnp.dtype(jnp.result_type(float))]):
        try:
            return _check_oracle_at(dtype, grad, noise, x0.size, loss, metrics, steps)
        except AssumptionError as exc:
            first = first or exc
    raise first


def _check_oracle_at(dtype, grad, noise, d, loss, metrics, steps) -> bool:
    x = jax.ShapeDtypeStruct((d,), dtype)
    xi = _abstract("noise", lambda: noise(jax.random.key(0, impl=PRNG_IMPL), steps))
    leaves = jax.tree_util.tree_leaves(xi)
    if not leaves or any(len(a.shape) < 1 or a.shape[0] != steps for a in leaves):
        raise AssumptionError(f"noise: need a pytree of arrays with leading axis K (noise(key, "
                              f"{steps}) gave {jax.tree_util.tree_map(_describe, xi)})")
    one = jax.tree_util.tree_map(lambda a: jax.ShapeDtypeStruct(a.shape[1:], a.dtype), xi)
    out = _abstract("grad", grad, x, one)
    pair = isinstance(out, (tuple, list))
    g, sample = (tuple(out) + (None,))[:2] if pair else (out, None)
    if (pair and len(out) != 2) or not _is_float_of_shape(g, (d,)) or (
            pair and not _is_float_of_shape(sample, ())):
        raise AssumptionError(f"grad: need a float gradient of shape ({d},) (that of x0), or a "
                              f"(gradient, scalar loss) pair, got {_describe(out)}")
    if loss is not None and not _is_float_of_shape(_abstract("loss", loss, x), ()):
        raise AssumptionError(f"loss: need a float scalar, got "
                              f"{_describe(_abstract('loss', loss, x))}")
    if metrics is not None:
        m = _abstract("metrics", metrics, x)
        if not isinstance(m, dict) or not m or not all(
                isinstance(k, str) and _is_float_of_shape(a, ()) for k, a in m.items()):
            raise AssumptionError(f"metrics: need a non-empty dict of float scalars, got "
                                  f"{jax.tree_util.tree_map(_describe, m)}")
    return pair


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
        self.x_star = (None if x_star is None else
                       v.vector("x_star", x_star, length=self.x0.size, length_of="x0"))
        if (loss is None) != (f_star is None):
            raise AssumptionError("f_star: give both loss and f_star (for f - f*) or neither")
        self.f_star = None if f_star is None else v.real_scalar("f_star", f_star)
        self.mu = None if mu is None else v.in_range("mu", mu, 0.0, None, lo_open=True)
        self.L = None if L is None else v.in_range("L", L, self.mu or 0.0, None, lo_open=True)
        pair = check_oracle(grad, noise, self.x0, loss, metrics)
        self.loss_samples = pair or loss is not None
        self.reports = tuple(k for k, given in (("sq_dist", self.x_star is not None),
                                                ("subopt", self.f_star is not None)) if given)
        self.kind = _kind(grad, noise, loss, metrics)

    @property
    def dim(self) -> int:
        return int(self.x0.size)

    def check_lr(self, lr: float) -> None:
        if self.L is not None and lr * self.L >= 2:
            raise AssumptionError(f"lr: need lr * L < 2 (stability), got lr * L = "
                                  f"{lr * self.L:g}")

    def data(self, dtype):
        out = {"x0": jnp.asarray(self.x0, dtype)}
        if self.x_star is not None:
            out["x_star"] = jnp.asarray(self.x_star, dtype)
        if self.f_star is not None:
            out["f_star"] = jnp.asarray(self.f_star, dtype)
        return out

    def record(self) -> dict:
        return {"name": self.kind.name, "dim": self.dim, "mu": self.mu, "L": self.L,
                "reports": list(self.reports)}


def custom(grad, noise, x0, **kwargs) -> CustomProblem:
    """See the module docstring."""
    return CustomProblem(grad, noise, x0, **kwargs)
