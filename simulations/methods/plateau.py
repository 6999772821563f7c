"""``plateau``: reduce-on-plateau on the epoch's mean minibatch loss with the semantics and
defaults of optax.contrib.reduce_on_plateau (factor 0.1, patience 10, rtol 1e-4, atol 0,
cooldown 0): improved iff value < (1 - rtol) best - atol; the rate drops when the count of
non-improving epochs *reaches* patience (PyTorch's ReduceLROnPlateau drops one epoch later, when
the count exceeds patience)."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp

from autodrop_theory import _validate as v
from autodrop_theory.errors import AssumptionError

from .base import Family, Method, RunContext, keep_rate, rate_state

__all__ = ["FAMILY", "plateau"]


class Hyper(NamedTuple):
    lr: Any
    factor: Any
    patience: Any     # int32
    rtol: Any
    atol: Any
    cooldown: Any     # int32


class _PlateauState(NamedTuple):
    lr: Any
    num_drops: Any
    best: Any
    plateau_count: Any
    cooldown_count: Any


def _init(hp, x0):
    base = rate_state(x0, hp.lr)
    return _PlateauState(base.lr, base.num_drops, jnp.asarray(jnp.inf, x0.dtype),
                         jnp.zeros((), jnp.int32), jnp.zeros((), jnp.int32))


def _update(hp, s, x, info):
    value = info.mean_loss
    improved = value < (1 - hp.rtol) * s.best - hp.atol
    best = jnp.where(improved, value, s.best)
    count = jnp.where(improved, 0, s.plateau_count + 1)
    cooling = s.cooldown_count > 0
    fire = ~cooling & (count == hp.patience)
    return x, s._replace(
        lr=jnp.where(fire, s.lr * hp.factor, s.lr),
        num_drops=s.num_drops + fire.astype(jnp.int32), best=best,
        plateau_count=jnp.where(cooling | fire, 0, count),
        cooldown_count=jnp.where(cooling, s.cooldown_count - 1,
                                 jnp.where(fire, hp.cooldown, 0)).astype(jnp.int32))


FAMILY = Family("plateau", _init, keep_rate, _update, automatic=True, reads_loss=True)


def plateau(ctx: RunContext, factor=0.1, patience=10, rtol=1e-4, atol=0.0,
            cooldown=0) -> Method:
    factor = v.in_range("factor", factor, 0.0, 1.0, lo_open=True, hi_open=True)
    patience = v.integer("patience", patience, lo=1)
    rtol = v.in_range("rtol", rtol, 0.0, 1.0)
    atol = v.in_range("atol", atol, 0.0, None)
    cooldown = v.integer("cooldown", cooldown, lo=0)
    if rtol == 0 and atol == 0:
        raise AssumptionError("rtol: need rtol > 0 or atol > 0")
    hp = Hyper(ctx.lr, factor, patience, rtol, atol, cooldown)
    return Method("plateau", FAMILY, hp, dict(hp._asdict()))
