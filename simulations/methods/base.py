"""The controller interface: a method *family* (pure functions, static) and a *method* (a family
with its hyperparameters as data).

A :class:`Family` is a frozen record of pure functions in the optax shape, each taking the
hyperparameters ``hp`` (a pytree of arrays) first:
    init(hp, x0) -> state                  a NamedTuple of arrays carrying ``lr`` and ``num_drops``
    lr(hp, state, t) -> scalar             the rate of global step t (int32)
    update(hp, state, x, info) -> (x, state)
                                           at every epoch boundary (``info``: :class:`EpochInfo`);
                                           may replace x (AutoDrop's tail average)
    observe(hp, state, StepInfo) -> state  optional: sees every SGD step (per-step diagnostics)
    report(hp, state, x) -> x              optional: the point that is evaluated (an average)
    epoch_observe(hp, state, x_sum, K) -> state
                                           optional: what ``observe`` does over a whole epoch,
                                           from the sum of its K iterates (the exact epoch
                                           sampler draws that sum instead of the steps)
plus its metadata: ``automatic`` (decides its drops from the run), ``per_step`` (needs every
step: it has ``observe``), ``reads_loss`` (its ``update`` reads the epoch's mean stochastic
loss, which only the step-level simulator has), ``angle_threshold`` (for a rule that decides
from the angle: hp -> its initial threshold in degrees, which the run reports against the
angle's noise).  What a registered method needs of the problem (the exact quadratic model) is
the registry's (:class:`~simulations.methods.Spec`).  ``epoch_level`` says whether the exact
epoch sampler can run the family: its rate within
an epoch depends only on the state at the epoch's start and the step index, and it needs no
step (no ``observe``, or an ``epoch_observe``) and no loss.

A :class:`Method` is what the registry builds for one run: a name, its family, ``hp`` (host
numbers, validated when built) and ``config`` (recorded in results.json).  The simulator compiles
one program per *family* and problem shape and passes ``hp`` as arguments, so sweeping a
hyperparameter, or running several methods of one family, never recompiles.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np

from autodrop_theory import _validate as v

__all__ = ["Family", "Method", "BoundMethod", "EpochInfo", "StepInfo", "RunContext", "RateState",
           "rate_state", "drop_count", "keep_rate", "device_hp"]


class EpochInfo(NamedTuple):
    epoch: Any        # int32, index of the epoch that just ended (0-based)
    mean_loss: Any    # the epoch's mean stochastic (minibatch) loss
    sgd_point: Any = None   # z = x + beta / (1 - beta) (x - x_prev_step) under heavy-ball
                            # momentum beta (docs/theory.md §6); None without momentum
    epoch_guard: Any = True  # whether one epoch's angle can certify saturation
                             # (rule.epoch_guard_applies: K (1 - beta) >= 1)


class StepInfo(NamedTuple):
    x: Any            # the iterate before the step
    x_next: Any       # the iterate after it
    grad: Any         # the stochastic gradient used
    lr: Any           # the rate used
    t: Any            # int32 global step index
    loss: Any         # the stochastic loss sample


@dataclasses.dataclass(frozen=True, eq=False)
class Family:
    """A method family; compared and hashed by identity (it keys the compiled programs)."""

    name: str
    init: Callable
    lr: Callable
    update: Callable
    automatic: bool
    observe: Optional[Callable] = None
    report: Optional[Callable] = None
    epoch_observe: Optional[Callable] = None
    reads_loss: bool = False
    angle_threshold: Optional[Callable] = None   # hp -> its initial angle threshold (degrees):
                                                 # a rule that decides from the angle

    @property
    def per_step(self) -> bool:
        return self.observe is not None

    @property
    def epoch_level(self) -> bool:
        return (self.observe is None or self.epoch_observe is not None) and not self.reads_loss

    @property
    def fixed_rate(self) -> bool:
        """The rate is the state's, constant within an epoch (``lr`` is :func:`keep_rate`)."""
        return self.lr is keep_rate


class BoundMethod(NamedTuple):
    """A method with its hyperparameters bound (for a training loop of one's own, or a test):
    ``init(x0)``, ``lr(state, t)``, ``update(state, x, info)``, ``observe(state, step)`` (None
    without per-step diagnostics), ``report(state, x)``, ``num_drops(state)``."""

    name: str
    config: dict
    init: Callable
    lr: Callable
    update: Callable
    observe: Optional[Callable]
    report: Callable
    num_drops: Callable


class Method(NamedTuple):
    name: str
    family: Family
    hp: Any           # pytree of host numbers / numpy arrays (data of the compiled program)
    config: dict

    def bind(self, dtype=None) -> "BoundMethod":
        """The family's functions with this method's hyperparameters as arrays of ``dtype``
        (default: JAX's default float)."""
        f = self.family
        hp = jax.tree_util.tree_map(lambda a: a[0], device_hp(
            [self.hp], dtype or jnp.zeros(()).dtype))
        return BoundMethod(self.name, self.config, lambda x0: f.init(hp, x0),
                     lambda s, t: f.lr(hp, s, t), lambda s, x, info: f.update(hp, s, x, info),
                     None if f.observe is None else (lambda s, step: f.observe(hp, s, step)),
                     (lambda s, x: x) if f.report is None else (lambda s, x: f.report(hp, s, x)),
                     drop_count)


def device_hp(hps, dtype):
    """Stack the hyperparameters of methods of one family (leading axis) as arrays: floats in
    the simulation dtype, integers int32, booleans bool."""
    def leaf(*xs):
        a = np.stack([np.asarray(x) for x in xs])
        if a.dtype == bool:
            return jnp.asarray(a)
        if np.issubdtype(a.dtype, np.integer):
            return jnp.asarray(a, jnp.int32)
        return jnp.asarray(a, dtype)
    return jax.tree_util.tree_map(leaf, *hps)


@dataclasses.dataclass(frozen=True)
class RunContext:
    """What a factory may know about the run: the initial rate, the budget and the problem."""

    lr: float
    epochs: int
    steps_per_epoch: int
    mu: float
    L: float  # noqa: N815
    dim: int
    model: Any = None   # the exact QuadraticModel where there is one (the oracle needs it)

    def __post_init__(self):
        v.in_range("lr", self.lr, 0.0, None, lo_open=True)
        v.integer("epochs", self.epochs, lo=1)
        v.integer("steps_per_epoch", self.steps_per_epoch, lo=1)


class RateState(NamedTuple):
    lr: Any
    num_drops: Any


def rate_state(x0, lr) -> RateState:
    return RateState(jnp.asarray(lr, x0.dtype), jnp.zeros((), jnp.int32))


def drop_count(state):
    """Every family's state carries ``num_drops``; this reads it."""
    return state.num_drops


def keep_rate(hp, state, t):
    """``lr`` of a family whose rate changes only at epoch boundaries: the state's rate."""
    return state.lr
