"""AutoDrop as a method family: the rule of :mod:`autodrop_theory.rule`, its hyperparameters as
data (:class:`autodrop_theory.rule.AutoDropHyper`), and the package's presets.

- ``autodrop``: the package's defaults (:data:`DEFAULTS`; README, "AutoDrop defaults"): the
  threshold calibrated from theory (docs/theory.md §4e; ``rule.calibrated_threshold_deg``) with
  threshold_z = 0.25, i.e. theta_0 = 18.5 deg / sqrt(d) and theta_max = 5 theta_0; a 40-epoch
  delay with tail averaging; the 90-degree guard; the floor min_lr = lr * rho^MAX_RATE_DROPS, so
  at most two drops change the rate and later firings only tail-average.
- ``autodrop_paper``: the published constants verbatim (:meth:`AutoDropConfig.published`).
- ``autodrop_immediate``: the short form with the package's threshold, guard and floor: drop in
  the epoch the trigger fires, no delay, no tail average.
"""

from __future__ import annotations

import dataclasses

from autodrop_theory import rule
from autodrop_theory.errors import AssumptionError

from .base import Family, Method, RunContext, keep_rate

__all__ = ["FAMILY", "DEFAULTS", "MAX_RATE_DROPS", "autodrop", "autodrop_paper",
           "autodrop_immediate", "from_config", "package_config", "paper_config"]

DEFAULTS = dict(drop_factor=0.2, threshold_deg=None, threshold_z=0.25, max_threshold_deg=None,
                extra_epochs=40, tail_average=True, guard_deg=90.0)
MAX_RATE_DROPS = 2


def _update(hp, state, x, info):
    x_new, state = rule.update(state, x)
    return x_new, state


FAMILY = Family("autodrop", lambda hp, x0: rule.init_from_hyper(x0, hp), keep_rate, _update,
                automatic=True)


def from_config(name: str, cfg: rule.AutoDropConfig, dim: int) -> Method:
    """A method running the rule with ``cfg`` on ``dim`` parameters (the config recorded in
    results.json includes the resolved threshold and cap the rule uses)."""
    hp = rule.hyperparameters(cfg, dim)
    config = dataclasses.asdict(cfg)
    if cfg.threshold_deg is None:
        config["resolved_threshold_deg"] = hp.theta
        config["resolved_max_threshold_deg"] = hp.theta_max
    return Method(name, FAMILY, hp, config)


def package_config(lr: float, **overrides) -> rule.AutoDropConfig:
    """The package's defaults starting at ``lr`` (the floor lr * rho^MAX_RATE_DROPS unless
    ``min_lr`` is given); ``overrides`` replace any field of the config."""
    knobs = {**DEFAULTS, **overrides}
    knobs.setdefault("min_lr", lr * knobs["drop_factor"] ** MAX_RATE_DROPS)
    return rule.AutoDropConfig(lr=lr, **knobs)


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


def autodrop_immediate(ctx: RunContext) -> Method:
    return autodrop(ctx, "autodrop_immediate", extra_epochs=0, tail_average=False)


def autodrop_paper(ctx: RunContext) -> Method:
    return from_config("autodrop_paper", paper_config(ctx.lr), ctx.dim)
