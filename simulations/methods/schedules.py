"""Rate schedules fixed before the run: three families.

- ``epoch_schedule`` (family): the rate is multiplied by ``factors[e]`` at the end of epoch e
  (1 for no drop), a per-epoch array of data, so methods of different schedules share one
  compiled program.  Methods:
  ``constant`` (never drops);
  ``step_decay``: x ``factor`` (0.2, AutoDrop's rho, so that only *when* differs) at the start
  of epochs floor(f E) for f in ``fractions`` (50% and 75% of the budget, the classic CIFAR
  milestones; PyTorch MultiStepLR's convention: milestone m is the first epoch at the new rate,
  so the drop is recorded at the end of epoch m - 1);
  ``oracle`` (quadratics only, in :mod:`.oracle`).
- ``inverse_time``: lr_t = min(lr_0, 1/(mu (t + t_0))), t_0 = 1; knows mu (a strong reference).
- ``step_decay_gkkn``: Ge, Kakade, Kidambi, Netrapalli (2019): n = floor(log2 T) phases of
  ceil(T / n) steps, phase j at lr_0 2^{-j}.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np

from autodrop_theory import _validate as v
from autodrop_theory.errors import AssumptionError

from .base import Family, Method, RateState, RunContext, keep_rate, rate_state

__all__ = ["EPOCH_SCHEDULE", "INVERSE_TIME", "GKKN", "constant", "step_decay",
           "epoch_schedule", "inverse_time", "step_decay_gkkn", "STEP_DECAY_FRACTIONS",
           "STEP_DECAY_FACTOR"]

STEP_DECAY_FRACTIONS = (0.5, 0.75)
STEP_DECAY_FACTOR = 0.2


# ------------------------------------------------------------------ per-epoch factors
class EpochScheduleHyper(NamedTuple):
    lr: Any
    factors: Any      # (E,) rate multiplier applied at the end of epoch e


def _epoch_update(hp, s, x, info):
    f = hp.factors[info.epoch]
    drop = f != 1
    return x, RateState(jnp.where(drop, s.lr * f, s.lr), s.num_drops + drop.astype(jnp.int32))


EPOCH_SCHEDULE = Family("epoch_schedule", lambda hp, x0: rate_state(x0, hp.lr), keep_rate,
                        _epoch_update, automatic=False)


def epoch_schedule(name: str, ctx: RunContext, factors, config: dict) -> Method:
    """A method of the ``epoch_schedule`` family: per-epoch factors in (0, 1] (1: no drop)."""
    factors = np.asarray(factors, np.float64)
    if factors.shape != (ctx.epochs,) or not np.all((factors > 0) & (factors <= 1)):
        raise AssumptionError(f"factors: need {ctx.epochs} numbers in (0, 1], got "
                              f"shape {factors.shape}")
    return Method(name, EPOCH_SCHEDULE, EpochScheduleHyper(ctx.lr, factors), config)


def constant(ctx: RunContext) -> Method:
    """SGD at the constant rate ctx.lr (never drops)."""
    return epoch_schedule("constant", ctx, np.ones(ctx.epochs), {"lr": ctx.lr})


def step_decay(ctx: RunContext, fractions=STEP_DECAY_FRACTIONS, factor=STEP_DECAY_FACTOR,
               name: str = "step_decay") -> Method:
    factor = v.in_range("factor", factor, 0.0, 1.0, lo_open=True, hi_open=True)
    milestones = sorted({int(f * ctx.epochs) for f in fractions})
    if not milestones or milestones[0] < 1 or milestones[-1] >= ctx.epochs:
        raise AssumptionError(f"epochs: step_decay needs milestones inside [1, epochs - 1], got "
                              f"{milestones} for epochs = {ctx.epochs}")
    factors = np.ones(ctx.epochs)
    factors[np.asarray(milestones) - 1] = factor
    return epoch_schedule(name, ctx, factors,
                          {"lr": ctx.lr, "factor": factor, "milestones": milestones})


# ------------------------------------------------------------------ inverse time
class InverseTimeHyper(NamedTuple):
    lr: Any
    mu: Any
    t0: Any


def _inverse_time_lr(hp, s, t):
    return jnp.minimum(s.lr, 1.0 / (hp.mu * (t.astype(s.lr.dtype) + hp.t0)))


INVERSE_TIME = Family("inverse_time", lambda hp, x0: rate_state(x0, hp.lr), _inverse_time_lr,
                      lambda hp, s, x, info: (x, s), automatic=False)


def inverse_time(ctx: RunContext, t0: float = 1.0) -> Method:
    t0 = v.in_range("t0", t0, 0.0, None, lo_open=True)
    if not ctx.mu > 0:              # nan where the problem does not know it (problems.custom)
        raise AssumptionError("methods: inverse_time needs the problem's mu > 0 (its rate is "
                              "1 / (mu (t + t0))); give mu to the problem")
    return Method("inverse_time", INVERSE_TIME, InverseTimeHyper(ctx.lr, ctx.mu, t0),
                  {"lr": ctx.lr, "mu": ctx.mu, "t0": t0})


# ------------------------------------------------------------------ Ge et al. step decay
class GkknHyper(NamedTuple):
    lr: Any
    phases: Any       # int32
    length: Any       # int32, steps per phase
    steps_per_epoch: Any


class _CountState(NamedTuple):
    lr: Any
    num_drops: Any
    steps: Any


def _gkkn_init(hp, x0):
    base = rate_state(x0, hp.lr)
    return _CountState(base.lr, base.num_drops, jnp.zeros((), jnp.int32))


def _gkkn_lr(hp, s, t):
    j = jnp.minimum(t // hp.length, hp.phases - 1)
    return s.lr * jnp.asarray(0.5, s.lr.dtype) ** j.astype(s.lr.dtype)


def _gkkn_update(hp, s, x, info):
    steps = (info.epoch + 1) * hp.steps_per_epoch
    return x, s._replace(steps=steps, num_drops=jnp.minimum(steps // hp.length, hp.phases - 1))


GKKN = Family("step_decay_gkkn", _gkkn_init, _gkkn_lr, _gkkn_update, automatic=False)


def step_decay_gkkn(ctx: RunContext) -> Method:
    total = ctx.epochs * ctx.steps_per_epoch
    phases = max(1, int(math.floor(math.log2(total))))
    length = int(math.ceil(total / phases))
    return Method("step_decay_gkkn", GKKN, GkknHyper(ctx.lr, phases, length,
                                                     ctx.steps_per_epoch),
                  {"lr": ctx.lr, "phases": phases, "phase_steps": length})
