"""``pflug``: Pflug's diagnostic as used by Chee & Toulis (2018): S = sum of <g_k, g_{k-1}>
since the last restart; after a burn-in of one epoch (our choice), S < 0 halves the rate and
restarts S."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp

from autodrop_theory import _validate as v

from .base import Family, Method, RunContext, keep_rate, rate_state

__all__ = ["FAMILY", "pflug"]


class Hyper(NamedTuple):
    lr: Any
    burn_in: Any      # int32
    factor: Any


class _PflugState(NamedTuple):
    lr: Any
    num_drops: Any
    total: Any
    count: Any
    g_prev: Any


def _init(hp, x0):
    base = rate_state(x0, hp.lr)
    return _PflugState(base.lr, base.num_drops, jnp.zeros((), x0.dtype),
                       jnp.zeros((), jnp.int32), jnp.zeros_like(x0))


def _observe(hp, s, step):
    total = s.total + jnp.where(s.count > 0, jnp.vdot(step.grad, s.g_prev), 0.0)
    count = s.count + 1
    fire = (count > hp.burn_in) & (total < 0)
    return _PflugState(jnp.where(fire, s.lr * hp.factor, s.lr),
                       s.num_drops + fire.astype(jnp.int32),
                       jnp.where(fire, jnp.zeros_like(total), total),
                       jnp.where(fire, 0, count), step.grad)


FAMILY = Family("pflug", _init, keep_rate, lambda hp, s, x, info: (x, s), automatic=True,
                observe=_observe)


def pflug(ctx: RunContext, burn_in=None, factor=0.5) -> Method:
    burn_in = ctx.steps_per_epoch if burn_in is None else v.integer("burn_in", burn_in, lo=1)
    factor = v.in_range("factor", factor, 0.0, 1.0, lo_open=True, hi_open=True)
    hp = Hyper(ctx.lr, burn_in, factor)
    return Method("pflug", FAMILY, hp, dict(hp._asdict()))
