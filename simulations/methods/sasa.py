"""``sasa``: the stationarity test of SASA+ (Lang, Zhang, Xiao 2019; Zhang et al. 2020):
z_k = <x_{k+1}, d_k> + (lr/2) ||d_k||^2 (d_k the step direction) has mean 0 at stationarity;
every epoch (test period), over the most recent half (our choice) of the samples since the last
drop, once at least one epoch of samples is kept, drop the rate by 10 when the 95% Student-t
interval of the mean of z contains 0 and the two half-window means have the same sign.
Student-t quantiles (:func:`simulations.stats.t_quantile`), passed to the compiled program as a
table (data)."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np

from autodrop_theory import _validate as v

from ..stats import t_quantile
from .base import Family, Method, RunContext, keep_rate, rate_state

__all__ = ["FAMILY", "sasa"]


class Hyper(NamedTuple):
    lr: Any
    keep: Any
    factor: Any
    min_samples: Any  # int32
    quantile: Any     # (E K + 1,) Student-t quantile by degrees of freedom (index 0: inf)


class _SasaState(NamedTuple):
    lr: Any
    num_drops: Any
    z: Any            # z_k of every step so far
    n: Any            # steps so far
    start: Any        # step of the last drop


def _init(hp, x0):
    base = rate_state(x0, hp.lr)
    total = hp.quantile.shape[0] - 1
    return _SasaState(base.lr, base.num_drops, jnp.zeros(total, x0.dtype),
                      jnp.zeros((), jnp.int32), jnp.zeros((), jnp.int32))


def _observe(hp, s, step):
    d = step.grad
    z = jnp.vdot(step.x_next, d) + 0.5 * step.lr * jnp.vdot(d, d)
    return s._replace(z=s.z.at[s.n].set(z), n=s.n + 1)


def _update(hp, s, x, info):
    dt = s.lr.dtype
    total = s.z.shape[0]
    since = s.n - s.start
    first = s.start + (since - jnp.floor(hp.keep * since.astype(dt)).astype(jnp.int32))
    idx = jnp.arange(total, dtype=jnp.int32)
    window = (idx >= first) & (idx < s.n)
    m = jnp.sum(window, dtype=jnp.int32)
    mf = jnp.maximum(m, 2).astype(dt)
    mean = jnp.sum(jnp.where(window, s.z, 0.0)) / mf
    var = jnp.sum(jnp.where(window, (s.z - mean) ** 2, 0.0)) / (mf - 1)
    half = hp.quantile[jnp.maximum(m - 1, 0)] * jnp.sqrt(var / mf)
    mid = first + m // 2
    a, b = window & (idx < mid), window & (idx >= mid)

    def part_mean(w):
        return jnp.sum(jnp.where(w, s.z, 0.0)) / jnp.maximum(jnp.sum(w, dtype=jnp.int32),
                                                             1).astype(dt)

    fire = (m >= hp.min_samples) & (jnp.abs(mean) <= half) & (part_mean(a) * part_mean(b) > 0)
    return x, s._replace(lr=jnp.where(fire, s.lr * hp.factor, s.lr),
                         num_drops=s.num_drops + fire.astype(jnp.int32),
                         start=jnp.where(fire, s.n, s.start))


FAMILY = Family("sasa", _init, keep_rate, _update, automatic=True, observe=_observe)


def sasa(ctx: RunContext, keep=0.5, confidence=0.95, factor=0.1, min_samples=None) -> Method:
    keep = v.in_range("keep", keep, 0.0, 1.0, lo_open=True)
    confidence = v.in_range("confidence", confidence, 0.0, 1.0, lo_open=True, hi_open=True)
    factor = v.in_range("factor", factor, 0.0, 1.0, lo_open=True, hi_open=True)
    K = ctx.steps_per_epoch
    min_samples = K if min_samples is None else v.integer("min_samples", min_samples, lo=4)
    min_samples = max(min_samples, 4)
    total = ctx.epochs * K
    quantile = np.r_[np.inf, t_quantile(np.arange(1, total + 1), 0.5 + confidence / 2)]
    return Method("sasa", FAMILY, Hyper(ctx.lr, keep, factor, min_samples, quantile),
                  {"lr": ctx.lr, "keep": keep, "confidence": confidence, "factor": factor,
                   "min_samples": min_samples, "test_period": "one epoch"})
