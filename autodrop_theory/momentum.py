"""Unified momentum (UM) as pure JAX: the one momentum step that the simulator and the optax
transformations share (docs/theory.md §6b).

Problem: SGD with momentum at a rate alpha_t that a schedule or a rule may change between
steps, in the unified form of Yang, Lin & Li (2016) that the AutoDrop paper's Theorem 5.1
covers (its eq. 9):
    y_{t+1} = x_t - alpha_t g_t,   y^s_{t+1} = x_t - s alpha_t g_t,
    x_{t+1} = y_{t+1} + beta (y^s_{t+1} - y^s_t),      y^s_0 = x_0,
with beta in [0, 1) and s >= 0: s = 0 heavy ball, s = 1 Nesterov, s = 1/(1 - beta) plain SGD
at rate alpha / (1 - beta).

Algorithm (the same recursion with one buffer; derivation in docs/theory.md §6b): with
m_{-1} = 0 and c = 1 - s (1 - beta),
    m_t = beta m_{t-1} + alpha_t g_t,      x_{t+1} = x_t - (s alpha_t g_t + c m_t).
The rate sits inside the buffer, as in the paper's form: when alpha drops, the velocity already
in the buffer keeps its size (optax's ``sgd(momentum=...)`` keeps gradients in its buffer and
multiplies by the current rate instead; the two agree while the rate is constant).  c is
computed so that the three named cases are exact: c = 1 at s = 0 (the step is bit for bit the
heavy-ball step x_t - alpha g_t + beta (x_t - x_{t-1})), c = beta at s = 1, and c = 0 at
s = 1/(1 - beta) computed in the same dtype (the step is plain SGD at rate s alpha, with the
same roundings up to the compiler's choice of fused multiply-adds).

The point z_t = x_t - (c beta / (1 - beta)) m_{t-1} moves by -alpha / (1 - beta) g_t at a
constant rate (:func:`sgd_point`; for heavy ball z = x + beta / (1 - beta) (x_t - x_{t-1})):
the point whose angle AutoDrop measures under momentum (docs/theory.md §6).

Every function takes pytrees (the buffer has the parameters' structure) and arrays or host
numbers for ``lr``, ``beta`` and ``s``, so a sweep over them compiles once.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from . import _validate as v
from .errors import AssumptionError

__all__ = ["check", "plain_sgd_s", "coefficient", "init", "step", "sgd_point", "NAMED_S",
           "heavy_ball_step", "heavy_ball_sgd_point"]

NAMED_S = ("heavy_ball", "nesterov", "sgd")       # s = 0, 1, 1/(1 - beta)


def check(beta, s) -> tuple:
    """Host validation: beta in [0, 1), s a finite number >= 0, or one of :data:`NAMED_S`
    (resolved against beta); returns (beta, s) as floats."""
    beta = v.in_range("momentum", beta, 0.0, 1.0, hi_open=True)
    if isinstance(s, str):
        if s not in NAMED_S:
            raise AssumptionError(f"s: need a number >= 0 or one of {', '.join(NAMED_S)}, "
                                  f"got {s!r}")
        s = {"heavy_ball": 0.0, "nesterov": 1.0, "sgd": 1.0 / (1.0 - beta)}[s]
    s = v.in_range("s", s, 0.0, None)
    return beta, s


def plain_sgd_s(beta, dtype=None):
    """s = 1/(1 - beta), the UM parameter that makes the step plain SGD (in ``dtype``)."""
    beta = jnp.asarray(beta, dtype)
    return 1.0 / (1.0 - beta)


def coefficient(beta, s):
    """c = 1 - s (1 - beta), exact at the three named cases: 1 at s = 0, beta at s = 1 and
    0 at s = :func:`plain_sgd_s` (computed as (1 - beta)(1/(1 - beta) - s) elsewhere)."""
    beta = jnp.asarray(beta)
    s = jnp.asarray(s, beta.dtype)
    general = (1.0 - beta) * (plain_sgd_s(beta) - s)
    return jnp.where(s == 0, jnp.ones_like(beta), jnp.where(s == 1, beta, general))


def init(params):
    """The buffer m_{-1} = 0, shaped like ``params``."""
    return jax.tree_util.tree_map(jnp.zeros_like, params)


def step(grad, buf, lr, beta, s):
    """One UM step: (displacement x_{t+1} - x_t, new buffer m_t), both shaped like ``grad``."""
    c = coefficient(beta, s)

    def one(g, m):
        dt = g.dtype
        lr_ = jnp.asarray(lr, dt)
        m = jnp.asarray(beta, dt) * m + lr_ * g
        return -((jnp.asarray(s, dt) * lr_) * g + c.astype(dt) * m), m

    pairs = jax.tree_util.tree_map(one, grad, buf)
    leaf = lambda p: isinstance(p, tuple) and len(p) == 2   # noqa: E731
    dx = jax.tree_util.tree_map(lambda p: p[0], pairs, is_leaf=leaf)
    new = jax.tree_util.tree_map(lambda p: p[1], pairs, is_leaf=leaf)
    return dx, new


def sgd_point(params, buf, beta, s):
    """z = x - (c beta / (1 - beta)) m: the point that moves by -lr / (1 - beta) times each
    stochastic gradient while the rate is constant (``buf`` the buffer after the last step)."""
    beta = jnp.asarray(beta)
    k = coefficient(beta, s) * beta / (1.0 - beta)
    return jax.tree_util.tree_map(lambda x, m: x - k.astype(x.dtype) * m, params, buf)


def heavy_ball_step(grad, delta, lr, beta):
    """The s = 0 case of :func:`step` in displacement form: the displacement -lr g + beta delta
    (delta = x_t - x_{t-1} = -m_{t-1}, the new delta is the displacement).  The same numbers as
    :func:`step` with s = 0 in exact arithmetic and step by step in floating point (negation is
    exact); kept as its own expression because XLA's CPU backend contracts multiply-adds by
    context, so only this expression reproduces, inside a larger program, the roundings of the
    heavy-ball simulator that the recorded results were computed with (docs/theory.md §6b)."""
    return jax.tree_util.tree_map(lambda g, d: -jnp.asarray(lr, g.dtype) * g
                                  + jnp.asarray(beta, g.dtype) * d, grad, delta)


def heavy_ball_sgd_point(params, delta, beta):
    """:func:`sgd_point` at s = 0 in displacement form: z = x + beta / (1 - beta) delta."""
    return jax.tree_util.tree_map(
        lambda x, d: x + jnp.asarray(beta, x.dtype) / (1 - jnp.asarray(beta, x.dtype)) * d,
        params, delta)
