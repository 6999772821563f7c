"""``averaged``: constant rate with Polyak-Ruppert averaging x_bar_t = (1/t) sum_{s=1}^t x_s,
evaluated at the average (Polyak & Juditsky 1992)."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp

from .base import Family, Method, RunContext, keep_rate, rate_state

__all__ = ["FAMILY", "averaged"]


class Hyper(NamedTuple):
    lr: Any


class _AvgState(NamedTuple):
    lr: Any
    num_drops: Any
    total: Any
    count: Any


def _init(hp, x0):
    base = rate_state(x0, hp.lr)
    return _AvgState(base.lr, base.num_drops, jnp.zeros_like(x0), jnp.zeros((), x0.dtype))


def _observe(hp, s, step):
    return s._replace(total=s.total + step.x_next, count=s.count + 1)


def _epoch_observe(hp, s, x_sum, steps):
    return s._replace(total=s.total + x_sum, count=s.count + steps)


def _report(hp, s, x):
    return jnp.where(s.count > 0, s.total / jnp.maximum(s.count, 1), x)


FAMILY = Family("averaged", _init, keep_rate, lambda hp, s, x, info: (x, s), automatic=False,
                observe=_observe, report=_report, epoch_observe=_epoch_observe)


def averaged(ctx: RunContext) -> Method:
    return Method("averaged", FAMILY, Hyper(ctx.lr),
                  {"lr": ctx.lr, "average": "uniform from step 1"})
