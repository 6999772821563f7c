"""What the simulator watches besides the records: pluggable monitors with their own state and
named outputs (the engine's diffrax-like split: the records are what is saved at each epoch
boundary, a monitor is what accumulates along the way and is read once at the end).

A :class:`Monitor` is a frozen, hashable object of pure functions (it is part of the compiled
program's static structure); ``consts`` is a dict of arrays (an argument of the program, so a
sweep does not recompile):
    init(consts, sq0) -> state                 at the initial point (||x_0 - x*||^2 = sq0)
    step(consts, state, lr) -> state           after each SGD step at rate lr
    steps(consts, state, lr, k) -> state       k steps at one rate at once (the exact sampler)
    each(consts, state, lrs) -> state          one step per rate of lrs (the exact sampler)
    boundary(consts, state, b) -> state        at each epoch boundary (``b``: :class:`Boundary`)
    finish(consts, state, t, sq_last) -> dict  its named outputs, per method and seed
The engine runs :data:`MONITORS` for every method; each output becomes a field of
:class:`~.engine.Trajectories` of the same name.

Monitors: :class:`ScheduleCheck` (the adaptive-schedule check of docs/theory.md §2d, with the
largest rate used) and :class:`Finite` (whether the iterate stayed finite at every boundary).
"""

from __future__ import annotations

import abc
import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

__all__ = ["Boundary", "Monitor", "ScheduleCheck", "Finite", "MONITORS", "check_constants"]


class Boundary(NamedTuple):
    """What a monitor sees at an epoch boundary."""

    t: Any          # int32: the steps taken so far
    sq_end: Any     # ||x - x*||^2 after the epoch's last SGD step
    sq_new: Any     # ||x - x*||^2 after the method's update (which may replace x)
    moved: Any      # bool: the method replaced x (x changed outside an SGD step)
    x_new: Any      # the iterate after the update


@dataclasses.dataclass(frozen=True)
class Monitor(abc.ABC):
    """The protocol (see the module docstring): ``init`` and ``finish`` are a monitor's own;
    ``step`` and ``boundary`` default to leaving the state alone, ``steps`` to k calls of
    ``step``, ``each`` to one ``step`` per rate."""

    name = "monitor"

    @abc.abstractmethod
    def init(self, consts, sq0):
        """The state at the initial point."""

    def step(self, consts, state, lr):
        return state

    def steps(self, consts, state, lr, k: int):
        return jax.lax.fori_loop(0, k, lambda _, s: self.step(consts, s, lr), state)

    def each(self, consts, state, lrs):
        """One ``step`` per rate of ``lrs`` (an epoch whose rate varies step by step)."""
        return jax.lax.scan(lambda s, lr: (self.step(consts, s, lr), None), state, lrs)[0]

    def boundary(self, consts, state, b: Boundary):
        return state

    @abc.abstractmethod
    def finish(self, consts, state, t, sq_last) -> dict:
        """The named outputs."""


def check_constants(problem, lr_ref, epochs: int, steps: int) -> dict:
    """The constants of the adaptive-schedule check: the problem's (mu, sigma^2) of BV, the
    reference rate and the budget T (zeros, a check that measures nothing, where the problem
    has no such constants or no reference rate is given)."""
    bv = problem.bv_constants()
    ok = bv is not None and lr_ref is not None and lr_ref * bv["mu"] < 1.0
    return {"mu": bv["mu"] if ok else 0.0, "sigma_sq": bv["sigma_sq"] if ok else 0.0,
            "lr_ref": float(lr_ref) if ok else 0.0, "total": float(epochs * steps)}


class CheckState(NamedTuple):
    """D = log P_t - (t - tau) log q_ref, A = P_t sum_{s<t} eta_s^2 / P_{s+1}, the closed
    segments' total, the open segment's start term c ||y_tau||^2, the largest rate used."""

    d: Any
    acc: Any
    stat: Any
    start: Any
    lr_max: Any


def _log_q_ref(consts):
    return 2.0 * jnp.log(jnp.abs(1.0 - consts["lr_ref"] * consts["mu"]))


@dataclasses.dataclass(frozen=True)
class ScheduleCheck(Monitor):
    """The adaptive-schedule check (docs/theory.md §2d), per method and seed, in the run's dtype:
    the scaled left side minus right side of SGD_ADAPTIVE_SCHEDULE, restarted wherever the
    method moves x outside an SGD step.  With q_t = (1 - eta_t mu)^2, P_t the product of q since
    the segment's start tau and c = q_ref^(T - tau), a segment's term is
    (c / P_t) (||y_t||^2 - sigma^2 A) - c ||y_tau||^2 with c / P_t = exp((T - t) log q_ref - D)
    (D is exactly 0 while lr = lr_ref; A <- q_t A + eta_t^2 is bounded: no exponentials).
    Outputs ``schedule_stat`` (the sum of the segments' terms) and ``lr_max`` (the host checks
    it against the bound's conditions)."""

    name = "schedule_check"

    def init(self, consts, sq0):
        zero = jnp.zeros((), sq0.dtype)
        return CheckState(zero, zero, zero, jnp.exp(consts["total"] * _log_q_ref(consts)) * sq0,
                          zero)

    def step(self, consts, state, lr):
        d, acc, stat, start, lr_max = state
        a = 1.0 - lr * consts["mu"]
        return CheckState(d + (jnp.log(a * a) - _log_q_ref(consts)), a * a * acc + lr * lr,
                          stat, start, jnp.maximum(lr_max, lr))

    def steps(self, consts, state, lr, k: int):
        """k steps at one rate in closed form: D grows by k (log q - log q_ref) and
        A <- q^k A + lr^2 (1 - q^k) / (1 - q), q = (1 - lr mu)^2 (expm1: no cancellation where
        lr mu is tiny; k where mu = 0, the check switched off)."""
        d, acc, stat, start, lr_max = state
        log_q = 2.0 * jnp.log(jnp.abs(1.0 - lr * consts["mu"]))
        kk = jnp.asarray(k, d.dtype)
        qk = jnp.exp(kk * log_q)
        denom = -jnp.expm1(log_q)
        geo = jnp.where(denom == 0, kk,
                        -jnp.expm1(kk * log_q) / jnp.where(denom == 0, 1.0, denom))
        return CheckState(d + kk * (log_q - _log_q_ref(consts)), qk * acc + lr * lr * geo,
                          stat, start, jnp.maximum(lr_max, lr))

    @staticmethod
    def _term(consts, state, t, sq_end):
        """The open segment's term c/P_t (||y_t||^2 - sigma^2 A) - c ||y_tau||^2."""
        ratio = jnp.exp((consts["total"] - t.astype(state.d.dtype)) * _log_q_ref(consts)
                        - state.d)
        return ratio * (sq_end - consts["sigma_sq"] * state.acc) - state.start

    def boundary(self, consts, state, b: Boundary):
        """Close the segment and restart it at x_new where the method moved x."""
        d, acc, stat, start, lr_max = state
        zero = jnp.zeros_like(d)
        restart = jnp.exp((consts["total"] - b.t.astype(d.dtype)) * _log_q_ref(consts))
        return CheckState(jnp.where(b.moved, zero, d), jnp.where(b.moved, zero, acc),
                          jnp.where(b.moved, stat + self._term(consts, state, b.t, b.sq_end),
                                    stat),
                          jnp.where(b.moved, restart * b.sq_new, start), lr_max)

    def finish(self, consts, state, t, sq_last) -> dict:
        return {"schedule_stat": state.stat + self._term(consts, state, t, sq_last),
                "lr_max": state.lr_max}


@dataclasses.dataclass(frozen=True)
class Finite(Monitor):
    """Whether the iterate itself (not a diagnostic) stayed finite at every boundary: output
    ``x_finite`` (a seed that lost it diverged)."""

    name = "finite"

    def init(self, consts, sq0):
        return jnp.ones((), bool)

    def steps(self, consts, state, lr, k: int):
        return state

    def each(self, consts, state, lrs):
        return state

    def boundary(self, consts, state, b: Boundary):
        return state & jnp.all(jnp.isfinite(b.x_new))

    def finish(self, consts, state, t, sq_last) -> dict:
        return {"x_finite": state}


MONITORS = (ScheduleCheck(), Finite())
