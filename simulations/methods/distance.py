"""``distance``: Pesme, Dieuleveut, Flammarion (ICML 2020): Omega_n = ||x_n - x_{n_0}||^2
checked at n - n_0 = ceil(q^k), k >= k_0; when the slope of log Omega between two checks over
log n falls below thresh, the rate is multiplied by r and n_0 moves to n.  q = 1.5, k_0 = 5,
thresh = 0.6, r = 0.5 (our choices; we could not confirm the published values)."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp

from autodrop_theory import _validate as v

from .base import Family, Method, RunContext, keep_rate, rate_state

__all__ = ["FAMILY", "distance"]


class Hyper(NamedTuple):
    lr: Any
    q: Any
    k0: Any           # int32
    thresh: Any
    r: Any


class _DistanceState(NamedTuple):
    lr: Any
    num_drops: Any
    ref: Any          # x_{n_0}
    n: Any            # steps since n_0
    k: Any            # next check at n = ceil(q^k)
    omega_prev: Any   # Omega at the previous check
    n_prev: Any


def _init(hp, x0):
    base = rate_state(x0, hp.lr)
    return _DistanceState(base.lr, base.num_drops, x0, jnp.zeros((), jnp.int32),
                          jnp.asarray(hp.k0, jnp.int32), jnp.asarray(jnp.nan, x0.dtype),
                          jnp.zeros((), jnp.int32))


def _observe(hp, s, step):
    dt = s.lr.dtype
    n = s.n + 1
    target = jnp.ceil(hp.q ** s.k.astype(dt)).astype(jnp.int32)
    check = n == target
    omega = jnp.vdot(step.x_next - s.ref, step.x_next - s.ref)
    slope = (jnp.log(omega) - jnp.log(s.omega_prev)) / (
        jnp.log(n.astype(dt)) - jnp.log(jnp.maximum(s.n_prev, 1).astype(dt)))
    fire = check & (s.k > hp.k0) & (slope < hp.thresh)     # nan (no previous check) is False
    return _DistanceState(
        jnp.where(fire, s.lr * hp.r, s.lr),
        s.num_drops + fire.astype(jnp.int32),
        jnp.where(fire, step.x_next, s.ref),
        jnp.where(fire, 0, n),
        jnp.where(fire, hp.k0, jnp.where(check, s.k + 1, s.k)).astype(jnp.int32),
        jnp.where(fire, jnp.nan, jnp.where(check, omega, s.omega_prev)).astype(dt),
        jnp.where(fire, 0, jnp.where(check, n, s.n_prev)))


FAMILY = Family("distance", _init, keep_rate, lambda hp, s, x, info: (x, s), automatic=True,
                observe=_observe)


def distance(ctx: RunContext, q=1.5, k0=5, thresh=0.6, r=0.5) -> Method:
    q = v.in_range("q", q, 1.0, None, lo_open=True)
    k0 = v.integer("k0", k0, lo=0)
    thresh = v.in_range("thresh", thresh, 0.0, 1.0, lo_open=True)
    r = v.in_range("r", r, 0.0, 1.0, lo_open=True, hi_open=True)
    hp = Hyper(ctx.lr, q, k0, thresh, r)
    return Method("distance", FAMILY, hp, dict(hp._asdict()))
