"""The peer methods: other automatic (or reference) learning-rate schedules, one factory each.

Every factory takes a :class:`~simulations.controllers.RunContext` and returns a
:class:`~simulations.controllers.Controller`; they are registered in
``simulations.controllers.REGISTRY``.  Where a published default could not be established from
the stored sources, the value is our documented choice (marked "choice" below).

- ``inverse_time``: lr_t = min(lr_0, 1/(mu (t + t_0))), t_0 = 1; knows mu (a strong reference).
- ``averaged``: constant rate with Polyak-Ruppert averaging x_bar_t = (1/t) sum_{s=1}^t x_s,
  evaluated at the average (Polyak & Juditsky 1992).
- ``step_decay_gkkn``: Ge, Kakade, Kidambi, Netrapalli (2019): n = floor(log2 T) phases of
  ceil(T / n) steps, phase j at lr_0 2^{-j}.
- ``plateau``: reduce-on-plateau on the epoch's mean minibatch loss with the semantics and
  defaults of optax.contrib.reduce_on_plateau (factor 0.1, patience 10, rtol 1e-4, atol 0,
  cooldown 0): improved iff value < (1 - rtol) best - atol; the rate drops when the count of
  non-improving epochs *reaches* patience (PyTorch's ReduceLROnPlateau drops one epoch later,
  when the count exceeds patience).
- ``pflug``: Pflug's diagnostic as used by Chee & Toulis (2018): S = sum of <g_k, g_{k-1}> since
  the last restart; after a burn-in of one epoch (choice), S < 0 halves the rate and restarts S.
- ``distance``: Pesme, Dieuleveut, Flammarion (ICML 2020): Omega_n = ||x_n - x_{n_0}||^2 checked
  at n - n_0 = ceil(q^k), k >= k_0; when the slope of log Omega between two checks over log n
  falls below thresh, the rate is multiplied by r and n_0 moves to n.  q = 1.5, k_0 = 5,
  thresh = 0.6, r = 0.5 (choices; we could not confirm the published values).
- ``sasa``: the stationarity test of SASA+ (Lang, Zhang, Xiao 2019; Zhang et al. 2020):
  z_k = <x_{k+1}, d_k> + (lr/2) ||d_k||^2 (d_k the step direction) has mean 0 at stationarity;
  every epoch (test period), over the most recent half (choice) of the samples since the last
  drop, once at least one epoch of samples is kept, drop the rate by 10 when the 95% Student-t
  interval of the mean of z contains 0 and the two half-window means have the same sign.
  Quantiles from scipy.stats.t.
- ``oracle``: quadratics only: the exact theory (THEORY.md 2c) decides, at each epoch boundary,
  whether the excess E||X_n||^2 - sum_i v_i(lr) has fallen to the noise floor sum_i v_i(lr);
  then the rate is multiplied by 0.2 (AutoDrop's rho).  The idealised reference.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np
from scipy import stats

from autodrop_theory import _validate as v
from autodrop_theory.errors import AssumptionError
from autodrop_theory.quadratic import epoch_factors

from .controllers import Controller, RunContext, _rate_state, drop_count

__all__ = ["PEERS"]


# ------------------------------------------------------------------ inverse time
def inverse_time(ctx: RunContext, t0: float = 1.0) -> Controller:
    t0 = v.in_range("t0", t0, 0.0, None, lo_open=True)

    def lr(s, t):
        return jnp.minimum(s.lr, 1.0 / (ctx.mu * (t.astype(s.lr.dtype) + t0)))

    return Controller("inverse_time", lambda x0: _rate_state(x0, ctx.lr), lr,
                      lambda s, x, info: (x, s), drop_count,
                      {"lr": ctx.lr, "mu": ctx.mu, "t0": t0})


# ------------------------------------------------------------------ Polyak-Ruppert averaging
class _AvgState(NamedTuple):
    lr: Any
    num_drops: Any
    total: Any
    count: Any


def averaged(ctx: RunContext) -> Controller:
    def init(x0):
        base = _rate_state(x0, ctx.lr)
        return _AvgState(base.lr, base.num_drops, jnp.zeros_like(x0), jnp.zeros((), x0.dtype))

    def observe(s, step):
        return s._replace(total=s.total + step.x_next, count=s.count + 1)

    def report(s, x):
        return jnp.where(s.count > 0, s.total / jnp.maximum(s.count, 1), x)

    return Controller("averaged", init, lambda s, t: s.lr, lambda s, x, info: (x, s),
                      drop_count, {"lr": ctx.lr, "average": "uniform from step 1"},
                      observe, report)


# ------------------------------------------------------------------ Ge et al. step decay
class _CountState(NamedTuple):
    lr: Any
    num_drops: Any
    steps: Any


def step_decay_gkkn(ctx: RunContext) -> Controller:
    total = ctx.epochs * ctx.steps_per_epoch
    phases = max(1, int(math.floor(math.log2(total))))
    length = int(math.ceil(total / phases))

    def init(x0):
        base = _rate_state(x0, ctx.lr)
        return _CountState(base.lr, base.num_drops, jnp.zeros((), jnp.int32))

    def lr(s, t):
        j = jnp.minimum(t // length, phases - 1)
        return s.lr * jnp.asarray(0.5, s.lr.dtype) ** j.astype(s.lr.dtype)

    def update(s, x, info):
        steps = (info.epoch + 1) * ctx.steps_per_epoch
        return x, s._replace(steps=steps, num_drops=jnp.minimum(steps // length, phases - 1))

    return Controller("step_decay_gkkn", init, lr, update, drop_count,
                      {"lr": ctx.lr, "phases": phases, "phase_steps": length})


# ------------------------------------------------------------------ reduce on plateau
class _PlateauState(NamedTuple):
    lr: Any
    num_drops: Any
    best: Any
    plateau_count: Any
    cooldown_count: Any


def plateau(ctx: RunContext, factor=0.1, patience=10, rtol=1e-4, atol=0.0,
            cooldown=0) -> Controller:
    factor = v.in_range("factor", factor, 0.0, 1.0, lo_open=True, hi_open=True)
    patience = v.integer("patience", patience, lo=1)
    rtol = v.in_range("rtol", rtol, 0.0, 1.0)
    atol = v.in_range("atol", atol, 0.0, None)
    cooldown = v.integer("cooldown", cooldown, lo=0)
    if rtol == 0 and atol == 0:
        raise AssumptionError("rtol: need rtol > 0 or atol > 0")

    def init(x0):
        base = _rate_state(x0, ctx.lr)
        return _PlateauState(base.lr, base.num_drops, jnp.asarray(jnp.inf, x0.dtype),
                             jnp.zeros((), jnp.int32), jnp.zeros((), jnp.int32))

    def update(s, x, info):
        value = info.mean_loss
        improved = value < (1 - rtol) * s.best - atol
        best = jnp.where(improved, value, s.best)
        count = jnp.where(improved, 0, s.plateau_count + 1)
        cooling = s.cooldown_count > 0
        fire = ~cooling & (count == patience)
        return x, s._replace(
            lr=jnp.where(fire, s.lr * jnp.asarray(factor, s.lr.dtype), s.lr),
            num_drops=s.num_drops + fire.astype(jnp.int32), best=best,
            plateau_count=jnp.where(cooling | fire, 0, count),
            cooldown_count=jnp.where(cooling, s.cooldown_count - 1,
                                     jnp.where(fire, cooldown, 0)).astype(jnp.int32))

    return Controller("plateau", init, lambda s, t: s.lr, update, drop_count,
                      {"lr": ctx.lr, "factor": factor, "patience": patience, "rtol": rtol,
                       "atol": atol, "cooldown": cooldown})


# ------------------------------------------------------------------ Pflug / Chee-Toulis
class _PflugState(NamedTuple):
    lr: Any
    num_drops: Any
    total: Any
    count: Any
    g_prev: Any


def pflug(ctx: RunContext, burn_in=None, factor=0.5) -> Controller:
    burn_in = ctx.steps_per_epoch if burn_in is None else v.integer("burn_in", burn_in, lo=1)
    factor = v.in_range("factor", factor, 0.0, 1.0, lo_open=True, hi_open=True)

    def init(x0):
        base = _rate_state(x0, ctx.lr)
        return _PflugState(base.lr, base.num_drops, jnp.zeros((), x0.dtype),
                           jnp.zeros((), jnp.int32), jnp.zeros_like(x0))

    def observe(s, step):
        total = s.total + jnp.where(s.count > 0, jnp.vdot(step.grad, s.g_prev), 0.0)
        count = s.count + 1
        fire = (count > burn_in) & (total < 0)
        return _PflugState(jnp.where(fire, s.lr * jnp.asarray(factor, s.lr.dtype), s.lr),
                           s.num_drops + fire.astype(jnp.int32),
                           jnp.where(fire, jnp.zeros_like(total), total),
                           jnp.where(fire, 0, count), step.grad)

    return Controller("pflug", init, lambda s, t: s.lr, lambda s, x, info: (x, s), drop_count,
                      {"lr": ctx.lr, "burn_in": burn_in, "factor": factor}, observe)


# ------------------------------------------------------------------ distance (Pesme et al.)
class _DistanceState(NamedTuple):
    lr: Any
    num_drops: Any
    ref: Any          # x_{n_0}
    n: Any            # steps since n_0
    k: Any            # next check at n = ceil(q^k)
    omega_prev: Any   # Omega at the previous check
    n_prev: Any


def distance(ctx: RunContext, q=1.5, k0=5, thresh=0.6, r=0.5) -> Controller:
    q = v.in_range("q", q, 1.0, None, lo_open=True)
    k0 = v.integer("k0", k0, lo=0)
    thresh = v.in_range("thresh", thresh, 0.0, 1.0, lo_open=True)
    r = v.in_range("r", r, 0.0, 1.0, lo_open=True, hi_open=True)

    def init(x0):
        base = _rate_state(x0, ctx.lr)
        return _DistanceState(base.lr, base.num_drops, x0, jnp.zeros((), jnp.int32),
                              jnp.asarray(k0, jnp.int32), jnp.asarray(jnp.nan, x0.dtype),
                              jnp.zeros((), jnp.int32))

    def observe(s, step):
        dt = s.lr.dtype
        n = s.n + 1
        target = jnp.ceil(jnp.asarray(q, dt) ** s.k.astype(dt)).astype(jnp.int32)
        check = n == target
        omega = jnp.vdot(step.x_next - s.ref, step.x_next - s.ref)
        slope = (jnp.log(omega) - jnp.log(s.omega_prev)) / (
            jnp.log(n.astype(dt)) - jnp.log(jnp.maximum(s.n_prev, 1).astype(dt)))
        fire = check & (s.k > k0) & (slope < thresh)     # nan (no previous check) is False
        return _DistanceState(
            jnp.where(fire, s.lr * jnp.asarray(r, dt), s.lr),
            s.num_drops + fire.astype(jnp.int32),
            jnp.where(fire, step.x_next, s.ref),
            jnp.where(fire, 0, n),
            jnp.where(fire, k0, jnp.where(check, s.k + 1, s.k)).astype(jnp.int32),
            jnp.where(fire, jnp.nan, jnp.where(check, omega, s.omega_prev)).astype(dt),
            jnp.where(fire, 0, jnp.where(check, n, s.n_prev)))

    return Controller("distance", init, lambda s, t: s.lr, lambda s, x, info: (x, s),
                      drop_count, {"lr": ctx.lr, "q": q, "k0": k0, "thresh": thresh, "r": r},
                      observe)


# ------------------------------------------------------------------ SASA+
class _SasaState(NamedTuple):
    lr: Any
    num_drops: Any
    z: Any            # z_k of every step so far
    n: Any            # steps so far
    start: Any        # step of the last drop


def sasa(ctx: RunContext, keep=0.5, confidence=0.95, factor=0.1, min_samples=None) -> Controller:
    keep = v.in_range("keep", keep, 0.0, 1.0, lo_open=True)
    confidence = v.in_range("confidence", confidence, 0.0, 1.0, lo_open=True, hi_open=True)
    factor = v.in_range("factor", factor, 0.0, 1.0, lo_open=True, hi_open=True)
    K = ctx.steps_per_epoch
    min_samples = K if min_samples is None else v.integer("min_samples", min_samples, lo=4)
    min_samples = max(min_samples, 4)
    total = ctx.epochs * K
    # Student-t quantiles for every possible number of degrees of freedom, from scipy
    quantile = np.r_[np.inf, stats.t.ppf(0.5 + confidence / 2, np.arange(1, total + 1))]

    def init(x0):
        base = _rate_state(x0, ctx.lr)
        return _SasaState(base.lr, base.num_drops, jnp.zeros(total, x0.dtype),
                          jnp.zeros((), jnp.int32), jnp.zeros((), jnp.int32))

    def observe(s, step):
        d = step.grad
        z = jnp.vdot(step.x_next, d) + 0.5 * step.lr * jnp.vdot(d, d)
        return s._replace(z=s.z.at[s.n].set(z), n=s.n + 1)

    def update(s, x, info):
        dt = s.lr.dtype
        since = s.n - s.start
        first = s.start + (since - jnp.floor(keep * since.astype(dt)).astype(jnp.int32))
        idx = jnp.arange(total, dtype=jnp.int32)
        window = (idx >= first) & (idx < s.n)
        m = jnp.sum(window, dtype=jnp.int32)
        mf = jnp.maximum(m, 2).astype(dt)
        mean = jnp.sum(jnp.where(window, s.z, 0.0)) / mf
        var = jnp.sum(jnp.where(window, (s.z - mean) ** 2, 0.0)) / (mf - 1)
        half = jnp.asarray(quantile, dt)[jnp.maximum(m - 1, 0)] * jnp.sqrt(var / mf)
        mid = first + m // 2
        a, b = window & (idx < mid), window & (idx >= mid)
        mean_a = jnp.sum(jnp.where(a, s.z, 0.0)) / jnp.maximum(jnp.sum(a, dtype=jnp.int32), 1).astype(dt)
        mean_b = jnp.sum(jnp.where(b, s.z, 0.0)) / jnp.maximum(jnp.sum(b, dtype=jnp.int32), 1).astype(dt)
        fire = (m >= min_samples) & (jnp.abs(mean) <= half) & (mean_a * mean_b > 0)
        return x, s._replace(lr=jnp.where(fire, s.lr * jnp.asarray(factor, dt), s.lr),
                             num_drops=s.num_drops + fire.astype(jnp.int32),
                             start=jnp.where(fire, s.n, s.start))

    return Controller("sasa", init, lambda s, t: s.lr, update, drop_count,
                      {"lr": ctx.lr, "keep": keep, "confidence": confidence, "factor": factor,
                       "min_samples": min_samples, "test_period": "one epoch"}, observe)


# ------------------------------------------------------------------ oracle
def oracle_schedule(model, lr, epochs, K, factor=0.2):
    """Per-epoch rates and the drop epochs chosen by the exact theory of THEORY.md 2c."""
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


class _OracleState(NamedTuple):
    lr: Any
    num_drops: Any
    epoch: Any


def oracle(ctx: RunContext, factor=0.2) -> Controller:
    if ctx.model is None:
        raise AssumptionError("methods: oracle needs the exact quadratic model (quadratic "
                              "problems only)")
    factor = v.in_range("factor", factor, 0.0, 1.0, lo_open=True, hi_open=True)
    rates, drops = oracle_schedule(ctx.model, ctx.lr, ctx.epochs, ctx.steps_per_epoch, factor)
    count = np.cumsum(np.isin(np.arange(ctx.epochs), drops)).astype(np.int32)
    K = ctx.steps_per_epoch

    def init(x0):
        base = _rate_state(x0, ctx.lr)
        return _OracleState(base.lr, base.num_drops, jnp.zeros((), jnp.int32))

    def lr(s, t):
        return jnp.asarray(rates, s.lr.dtype)[jnp.minimum(t // K, ctx.epochs - 1)]

    def update(s, x, info):
        return x, s._replace(epoch=info.epoch + 1, num_drops=jnp.asarray(count)[info.epoch])

    return Controller("oracle", init, lr, update, drop_count,
                      {"lr": ctx.lr, "factor": factor, "drop_epochs": drops})


PEERS = {"inverse_time": inverse_time, "averaged": averaged, "step_decay_gkkn": step_decay_gkkn,
         "plateau": plateau, "pflug": pflug, "distance": distance, "sasa": sasa,
         "oracle": oracle}
