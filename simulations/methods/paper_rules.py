"""The published paper's rules as method families (the rules themselves, pure JAX, are in
:mod:`autodrop_theory.paper_rules`; docs/paper.md §9):

- ``autodrop_uai``: Algorithm 1 as evidently intended; ``autodrop_uai_printed``: as printed (its
  update never lowers the rate).  Window k = :func:`autodrop_theory.paper_rules.paper_window`
  (the paper's k = 64 scaled from CIFAR's 391-step epoch to the run's), rho = 0.95, m = 10,
  threshold 0.1 degree, alpha_min = lr / 60.
- ``autodrop_model``: Algorithm 2, a schedule fixed before the run: alpha_hat_i = lr (i+1)^(-2/3)
  for k_i steps from the model (12) with gamma, eps = 0, tau_0 = 1/2.  gamma (1 / (rate x
  steps)) defaults to the problem's mu: the model's half-rise time 1/(gamma alpha) is then the
  relaxation time 1/(alpha mu) of the slowest direction (``python -m simulations.paper`` fits
  gamma to the angle curves instead).
- ``halving``: the Figure 2 rule: halve when the 20-step mean of the per-step angle changes by
  less than 0.01 degree, alpha_min = lr / 60 (the paper's 0.001 / 0.06).

The rules read the iterates only, so they run under any momentum (and any UM parameter s)."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp

from autodrop_theory import paper_rules as pr
from autodrop_theory.errors import AssumptionError

from .base import Family, Method, RunContext, keep_rate

__all__ = ["UAI_FAMILY", "HALVING_FAMILY", "MODEL_FAMILY", "autodrop_uai",
           "autodrop_uai_printed", "autodrop_model", "halving"]


def _no_update(hp, s, x, info):
    return x, s


UAI_FAMILY = Family("autodrop_uai", pr.uai_init, keep_rate, _no_update, automatic=True,
                    observe=lambda hp, s, step: pr.uai_observe(hp, s, step.x_next),
                    angle_threshold=lambda hp: hp.threshold)
HALVING_FAMILY = Family("halving", pr.halving_init, keep_rate, _no_update, automatic=True,
                        observe=lambda hp, s, step: pr.halving_observe(hp, s, step.x_next),
                        angle_threshold=lambda hp: hp.threshold)


def _uai(name, ctx, printed, window, **kw) -> Method:
    window = pr.paper_window(ctx.steps_per_epoch) if window is None else window
    hp = pr.uai_hyper(ctx.lr, window, printed=printed, **kw)
    return Method(name, UAI_FAMILY, hp, dict(hp._asdict()))


def autodrop_uai(ctx: RunContext, window=None, **kw) -> Method:
    """Algorithm 1, evident intent (``kw``: rho, m, threshold_deg, min_lr)."""
    return _uai("autodrop_uai", ctx, False, window, **kw)


def autodrop_uai_printed(ctx: RunContext, window=None, **kw) -> Method:
    """Algorithm 1 as printed."""
    return _uai("autodrop_uai_printed", ctx, True, window, **kw)


def halving(ctx: RunContext, **kw) -> Method:
    """The Figure 2 rule (``kw``: span, threshold_deg, factor, min_lr)."""
    hp = pr.halving_hyper(ctx.lr, **kw)
    return Method("halving", HALVING_FAMILY, hp, dict(hp._asdict()))


# ------------------------------------------------------------------ Algorithm 2
class ModelMethodHyper(NamedTuple):
    lr: Any
    schedule: Any              # pr.ModelHyper
    steps_per_epoch: Any       # int32


class _ModelState(NamedTuple):
    lr: Any
    num_drops: Any


def _model_init(hp, x0):
    return _ModelState(jnp.asarray(hp.lr, x0.dtype), jnp.zeros((), jnp.int32))


def _model_lr(hp, s, t):
    return pr.model_rate(hp.schedule, t).astype(s.lr.dtype)


def _model_update(hp, s, x, info):
    nxt = (info.epoch + 1) * hp.steps_per_epoch            # the next step's stage
    return x, _ModelState(_model_lr(hp, s, nxt), pr.model_stage(hp.schedule, nxt))


MODEL_FAMILY = Family("autodrop_model", _model_init, _model_lr, _model_update, automatic=False)


def autodrop_model(ctx: RunContext, gamma=None, epsilon=0.0, tau0=0.5,
                   exponent=2 / 3) -> Method:
    """Algorithm 2's schedule over the run's budget (see the module docstring for gamma)."""
    if gamma is None:
        if not ctx.mu > 0:
            raise AssumptionError("gamma: autodrop_model needs gamma > 0, or a problem that "
                                  "knows mu > 0 (the default gamma = mu)")
        gamma = ctx.mu
    total = ctx.epochs * ctx.steps_per_epoch
    schedule, lengths = pr.model_schedule(ctx.lr, total, gamma=gamma, epsilon=epsilon,
                                          tau0=tau0, exponent=exponent,
                                          pad_to=total)   # a sweep's schedules stack
    config = {"lr": ctx.lr, "gamma": float(gamma), "epsilon": float(epsilon),
              "tau0": float(tau0), "exponent": float(exponent), "stages": int(lengths.size),
              "stage_lengths_head": lengths[:8].tolist()}
    return Method("autodrop_model", MODEL_FAMILY,
                  ModelMethodHyper(ctx.lr, schedule, ctx.steps_per_epoch), config)
