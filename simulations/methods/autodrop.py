"""AutoDrop as a method family: the rule of :mod:`autodrop_theory.rule`, its hyperparameters as
data (:class:`autodrop_theory.rule.AutoDropHyper`), and the package's presets.

- ``autodrop``: the package's defaults (:data:`DEFAULTS`; docs/rule.md, "AutoDrop defaults"), none
  of them a count of epochs or steps: the threshold calibrated from theory (docs/theory.md
  §4e; ``rule.calibrated_threshold_deg``); the 90-degree guard (§4c); a wait after the trigger
  proportional to the stage's own length, with tail averaging; every stage at least
  ``stage_growth`` times as long as the one before (§10: the O(1/T) bound needs drop_factor x
  stage_growth < 1); a drop confirmed by the wait's own angle (its two halves' displacements at
  least 90 degrees apart, the middle at half of the wait actually taken); no rate floor; the
  estimate is the average of every step's iterate since the angle first saturated (before
  that, the current wait's average while its angles agree on saturation, else the last
  iterate: the polynomial-decay early average is a knob, ``early_average``, off since the
  third TUNE round, where it lost by 1%); under heavy-ball momentum the angle is measured on
  z = x + beta/(1 - beta)(x - x_prev), and one epoch's angle passes the guard only where
  K (1 - beta) >= 1 (elsewhere the confirmation alone applies it; docs/theory.md §6).  Chosen
  on the TUNE split of :mod:`simulations.instances` by ``python -m simulations.tune_autodrop``.
- ``autodrop_v1``: the previous defaults (tuned on six setups of the default quadratic): theta_0
  = 18.5 deg / sqrt(d), a 40-epoch delay with tail averaging, the guard, the floor
  min_lr = lr * rho^2 (at most two drops change the rate), rho = 0.2; kept so the change is
  measured (docs/studies/generalization.md).
- ``autodrop_paper``: the published constants verbatim (:meth:`AutoDropConfig.published`).
- ``autodrop_immediate``: the short form with the package's threshold, guard, drop factor and
  stage growth: drop in the epoch the trigger fires, no wait, no averaging.

Which parts of the rule exist is static (:class:`autodrop_theory.rule.Features`): each distinct
feature set runs one family (:func:`family`, cached), so methods with equal features share a
compiled program and their numbers (:class:`autodrop_theory.rule.AutoDropHyper`) are its data.
The family's boundary is :func:`autodrop_theory.rule.epoch_end`, the function the optax
transformations call (one code path; the engine supplies the momentum's SGD point).
"""

from __future__ import annotations

import dataclasses
import functools

from autodrop_theory import rule
from autodrop_theory.errors import AssumptionError

from .base import Family, Method, RunContext, keep_rate

__all__ = ["family", "PACKAGE_FAMILY", "V1_FAMILY", "PAPER_FAMILY", "IMMEDIATE_FAMILY",
           "DEFAULTS", "V1_DEFAULTS", "V1_RATE_DROPS", "autodrop",
           "autodrop_v1", "autodrop_paper", "autodrop_immediate", "from_config", "package_config",
           "v1_config", "paper_config"]

DEFAULTS = rule.PACKAGE_DEFAULTS            # the library's presets (autodrop_theory.rule)
V1_DEFAULTS = rule.PREVIOUS_DEFAULTS
V1_RATE_DROPS = rule.PREVIOUS_RATE_DROPS


@functools.lru_cache(maxsize=None)
def family(features: rule.Features) -> Family:
    """The method family running the rule with ``features`` (one object per feature set: the
    simulator compiles one program per family).  With ``step_average`` it sees every step
    (``rule.observe``; the exact epoch sampler passes the sum of an epoch's iterates)."""
    def init(hp, x0):
        return rule.init_from_hyper(x0, hp, features)

    def update(hp, state, x, info):
        return rule.epoch_end(state, x, info.sgd_point, info.epoch_guard)

    def report(hp, state, x):
        return rule.eval_params(state, x)

    hooks = {}
    if features.step_average:
        hooks = dict(observe=lambda hp, state, step: rule.observe(state, step.x_next),
                     epoch_observe=lambda hp, state, x_sum, steps: rule.observe(state, x_sum,
                                                                                steps))
    return Family("autodrop", init, keep_rate, update, automatic=True, report=report,
                  angle_threshold=lambda hp: hp.theta, **hooks)


def from_config(name: str, cfg: rule.AutoDropConfig, dim: int) -> Method:
    """A method running the rule with ``cfg`` on ``dim`` parameters (the config recorded in
    results.json includes the resolved threshold and cap the rule uses)."""
    features, hp = rule.split(cfg, dim)
    config = dataclasses.asdict(cfg)
    if cfg.threshold_deg is None:
        config["resolved_threshold_deg"] = hp.theta
        config["resolved_max_threshold_deg"] = hp.theta_max
    return Method(name, family(features), hp, config)


def package_config(lr: float, **overrides) -> rule.AutoDropConfig:
    """The package's defaults starting at ``lr`` (:meth:`AutoDropConfig.package`)."""
    return rule.AutoDropConfig.package(lr, **overrides)


def v1_config(lr: float, **overrides) -> rule.AutoDropConfig:
    """The previous defaults starting at ``lr`` (:meth:`AutoDropConfig.previous`)."""
    return rule.AutoDropConfig.previous(lr, **overrides)


def paper_config(lr: float) -> rule.AutoDropConfig:
    """The published constants starting at ``lr`` (which must not be below the published
    floor min_lr = 1e-4)."""
    floor = rule.AutoDropConfig.published().min_lr
    if lr < floor:
        raise AssumptionError(f"lr: autodrop_paper needs lr >= the published min_lr {floor}, "
                              f"got {lr}")
    return rule.AutoDropConfig.published(lr=lr)


def autodrop(ctx: RunContext, name: str = "autodrop", **overrides) -> Method:
    """AutoDrop with the package's defaults, starting at ctx.lr; ``overrides`` replace any field
    of :class:`autodrop_theory.rule.AutoDropConfig`."""
    return from_config(name, package_config(ctx.lr, **overrides), ctx.dim)


def autodrop_v1(ctx: RunContext, **overrides) -> Method:
    """AutoDrop with the previous defaults (:data:`V1_DEFAULTS`)."""
    return from_config("autodrop_v1", v1_config(ctx.lr, **overrides), ctx.dim)


IMMEDIATE = dict(extra_epochs=0, delay_fraction=0.0, tail_average=False,
                 saturation_average=False, step_average=False, confirm_wait=False,
                 early_average=False)


def autodrop_immediate(ctx: RunContext) -> Method:
    return autodrop(ctx, "autodrop_immediate", **IMMEDIATE)


def autodrop_paper(ctx: RunContext) -> Method:
    return from_config("autodrop_paper", paper_config(ctx.lr), ctx.dim)


# the registered presets' families (simulations.methods.REGISTRY)
PACKAGE_FAMILY = family(rule.features(rule.AutoDropConfig.package()))
V1_FAMILY = family(rule.features(rule.AutoDropConfig.previous()))
PAPER_FAMILY = family(rule.features(rule.AutoDropConfig.published()))
IMMEDIATE_FAMILY = family(rule.features(rule.AutoDropConfig.package(**IMMEDIATE)))
