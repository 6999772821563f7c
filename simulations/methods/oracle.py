"""``oracle``: quadratics only: the exact theory (docs/theory.md §2c) decides, at each epoch
boundary, whether the excess E||X_n||^2 - sum_i v_i(lr) has fallen to the noise floor
sum_i v_i(lr); then the rate is multiplied by 0.2 (AutoDrop's rho).  The idealised reference;
a method of the ``epoch_schedule`` family (its per-epoch factors are computed before the run)."""

from __future__ import annotations

import numpy as np

from autodrop_theory import _validate as v
from autodrop_theory.errors import AssumptionError
from autodrop_theory.quadratic import epoch_factors

from .base import Method, RunContext
from .schedules import epoch_schedule

__all__ = ["oracle", "oracle_schedule"]


def oracle_schedule(model, lr, epochs, K, factor=0.2):
    """Per-epoch rates and the drop epochs chosen by the exact theory of docs/theory.md §2c."""
    h, c = model.hessian_eigs, model.noise_var
    P = np.asarray(model.y0, dtype=np.float64) ** 2
    rates, drops = np.empty(epochs), []
    for e in range(epochs):
        rates[e] = lr
        alpha, q = epoch_factors(h, c, lr, K)
        P = alpha ** 2 * P + q
        with np.errstate(divide="ignore", invalid="ignore"):
            floor = np.where(alpha ** 2 < 1, q / (1 - alpha ** 2), np.inf).sum()
        if P.sum() - floor <= floor and e < epochs - 1:
            drops.append(e)
            lr = lr * factor
    return rates, drops


def oracle(ctx: RunContext, factor=0.2) -> Method:
    if ctx.model is None:
        raise AssumptionError("methods: oracle needs the exact quadratic model (quadratic "
                              "problems only)")
    factor = v.in_range("factor", factor, 0.0, 1.0, lo_open=True, hi_open=True)
    rates, drops = oracle_schedule(ctx.model, ctx.lr, ctx.epochs, ctx.steps_per_epoch, factor)
    factors = np.ones(ctx.epochs)
    factors[drops] = factor
    return epoch_schedule("oracle", ctx, factors,
                          {"lr": ctx.lr, "factor": factor, "drop_epochs": drops})
