"""Learning-rate controllers behind one interface, and the one registry of methods.

A :class:`Controller` is a NamedTuple of pure functions (optax-style), closed over its validated
hyperparameters:
    init(x0) -> state                 state is a NamedTuple of arrays (jit/vmap-able)
    lr(state, t) -> scalar            the rate of global step t (int32)
    update(state, x, info) -> (x, state)
                                      at every epoch boundary; ``info`` is an :class:`EpochInfo`;
                                      may replace x (AutoDrop's tail average)
    num_drops(state) -> int32         how many times the rate was dropped so far
    config                            the hyperparameters, a dict recorded in results.json
    observe(state, StepInfo) -> state optional: sees every SGD step (per-step diagnostics)
    report(state, x) -> x             optional: the point that is evaluated (an average)
Every method is built from a :class:`RunContext` by a factory in :data:`REGISTRY`; adding a method
is adding one factory there.  Hyperparameters are validated when the controller is built.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, NamedTuple, Optional

import jax.numpy as jnp

from autodrop_theory import _validate as v
from autodrop_theory import rule
from autodrop_theory.errors import AssumptionError

__all__ = ["Controller", "EpochInfo", "StepInfo", "RunContext", "REGISTRY", "make", "available",
           "AUTODROP_DEFAULTS", "AUTODROP_MAX_RATE_DROPS", "STEP_DECAY_FRACTIONS"]


class EpochInfo(NamedTuple):
    epoch: Any        # int32, index of the epoch that just ended (0-based)
    mean_loss: Any    # the epoch's mean stochastic (minibatch) loss


class StepInfo(NamedTuple):
    x: Any            # the iterate before the step
    x_next: Any       # the iterate after it
    grad: Any         # the stochastic gradient used
    lr: Any           # the rate used
    t: Any            # int32 global step index
    loss: Any         # the stochastic loss sample


class Controller(NamedTuple):
    name: str
    init: Callable
    lr: Callable
    update: Callable
    num_drops: Callable
    config: dict
    observe: Optional[Callable] = None
    report: Optional[Callable] = None


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


# ---------------------------------------------------------------------------------------------
class _RateState(NamedTuple):
    lr: Any
    num_drops: Any


def drop_count(state):
    """Every controller's state carries ``num_drops``; this reads it."""
    return state.num_drops


def _rate_state(x0, lr):
    return _RateState(jnp.asarray(lr, x0.dtype), jnp.zeros((), jnp.int32))


def constant(ctx: RunContext) -> Controller:
    """SGD at the constant rate ctx.lr (never drops)."""
    return Controller("constant", lambda x0: _rate_state(x0, ctx.lr), lambda s, t: s.lr,
                      lambda s, x, info: (x, s), drop_count, {"lr": ctx.lr})


STEP_DECAY_FRACTIONS = (0.5, 0.75)
STEP_DECAY_FACTOR = 0.2


def step_decay(ctx: RunContext, fractions=STEP_DECAY_FRACTIONS,
               factor=STEP_DECAY_FACTOR) -> Controller:
    """Fixed step decay: multiply the rate by ``factor`` (0.2, AutoDrop's rho, so that only *when*
    differs) at the start of epochs floor(f E) for f in ``fractions`` (50% and 75% of the budget,
    the classic CIFAR milestones; PyTorch MultiStepLR's convention: milestone m is the first epoch
    at the new rate, so the drop is recorded at the end of epoch m - 1)."""
    factor = v.in_range("factor", factor, 0.0, 1.0, lo_open=True, hi_open=True)
    milestones = sorted({int(f * ctx.epochs) for f in fractions})
    if not milestones or milestones[0] < 1 or milestones[-1] >= ctx.epochs:
        raise AssumptionError(f"epochs: step_decay needs milestones inside [1, epochs - 1], got "
                              f"{milestones} for epochs = {ctx.epochs}")
    ms = jnp.asarray(milestones, jnp.int32)

    def update(s, x, info):
        drop = jnp.any(info.epoch + 1 == ms)
        return x, _RateState(jnp.where(drop, s.lr * jnp.asarray(factor, s.lr.dtype), s.lr),
                             s.num_drops + drop.astype(jnp.int32))

    return Controller("step_decay", lambda x0: _rate_state(x0, ctx.lr), lambda s, t: s.lr,
                      update, drop_count,
                      {"lr": ctx.lr, "factor": factor, "milestones": milestones})


# The package's own AutoDrop defaults, chosen by measurement (README, "AutoDrop defaults"):
# the threshold is calibrated from theory (THEORY.md 4e; rule.calibrated_threshold_deg) with
# threshold_z = 0.25, i.e. theta_0 = 18.5 deg / sqrt(d) and theta_max = 5 theta_0; the rate floor
# is min_lr = lr * drop_factor ** AUTODROP_MAX_RATE_DROPS, so at most two drops change the rate
# and later firings only tail-average (the published rule's floor, made relative).
AUTODROP_DEFAULTS = dict(drop_factor=0.2, threshold_deg=None, threshold_z=0.25,
                         max_threshold_deg=None, extra_epochs=40, tail_average=True,
                         guard_deg=90.0)
AUTODROP_MAX_RATE_DROPS = 2


def _autodrop_controller(name: str, cfg: rule.AutoDropConfig, dim: int) -> Controller:
    config = dataclasses.asdict(cfg)
    if cfg.threshold_deg is None:       # record the calibrated values the rule will use
        theta = rule.calibrated_threshold_deg(dim, cfg.threshold_z)
        config["resolved_threshold_deg"] = theta
        config["resolved_max_threshold_deg"] = (cfg.max_threshold_deg
                                                if cfg.max_threshold_deg is not None
                                                else 5.0 * theta)
    return Controller(name, lambda x0: rule.init(x0, cfg), lambda s, t: s.lr,
                      lambda s, x, info: rule.update(s, x), drop_count, config)


def autodrop(ctx: RunContext, **overrides) -> Controller:
    """AutoDrop with the package's defaults (:data:`AUTODROP_DEFAULTS`), starting at ctx.lr;
    ``overrides`` replace any field of :class:`autodrop_theory.rule.AutoDropConfig`."""
    knobs = {**AUTODROP_DEFAULTS, **overrides}
    knobs.setdefault("min_lr", ctx.lr * knobs["drop_factor"] ** AUTODROP_MAX_RATE_DROPS)
    return _autodrop_controller("autodrop", rule.AutoDropConfig(lr=ctx.lr, **knobs), ctx.dim)


def autodrop_immediate(ctx: RunContext) -> Controller:
    """The publicly described short form with the package's threshold, guard and floor: drop in
    the epoch the trigger fires, no delay, no tail average."""
    return autodrop(ctx, extra_epochs=0, tail_average=False)._replace(name="autodrop_immediate")


def autodrop_paper(ctx: RunContext) -> Controller:
    """AutoDrop with the published constants verbatim (THEORY.md section 5), starting at ctx.lr."""
    floor = rule.AutoDropConfig.published().min_lr
    if ctx.lr < floor:
        raise AssumptionError(f"lr: autodrop_paper needs lr >= the published min_lr {floor}, "
                              f"got {ctx.lr}")
    cfg = rule.AutoDropConfig.published(lr=ctx.lr)
    return _autodrop_controller("autodrop_paper", cfg, ctx.dim)


REGISTRY = {
    "autodrop": autodrop,
    "autodrop_paper": autodrop_paper,
    "autodrop_immediate": autodrop_immediate,
    "constant": constant,
    "step_decay": step_decay,
}


# the peer methods register here (imported last: peers builds on the definitions above)
from .peers import PEERS  # noqa: E402

REGISTRY.update(PEERS)


def available(exact_model: bool = True) -> list:
    """The registered method names; without an exact quadratic model, the oracle is left out."""
    return [n for n in REGISTRY if exact_model or n != "oracle"]


def make(name: str, ctx: RunContext) -> Controller:
    """Build the registered method ``name`` for the run ``ctx``."""
    if name not in REGISTRY:
        raise AssumptionError(f"methods: unknown method {name!r}; known: {', '.join(REGISTRY)}")
    return REGISTRY[name](ctx)
