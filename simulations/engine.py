"""The simulator: SGD driven by a controller, all seeds at once, one compiled call per method.

Algorithm: for each seed (``vmap``), ``lax.scan`` over epochs; inside an epoch, ``lax.scan`` over
its K steps x <- x - lr(state, t) g(x, xi_t); at each epoch boundary the controller's ``update``
sees the parameters (and may replace them), and the boundary metrics are recorded.  The noise of
epoch e for a seed is drawn from ``fold_in(seed_key, e)``, so the same seed gives the same noise
to every method (common random numbers).  Nothing is synchronised with the host until the end.

A controller may also observe every step (``observe``, for per-step diagnostics) and name the
point that is evaluated (``report``, e.g. an iterate average); the angle always follows the
iterates themselves.

Recorded per seed, at the E+1 epoch boundaries n = 0..E: ||x - x*||^2, f - f*, and the angle
between the displacements of epochs n-1 and n-2 (nan for n < 2); per epoch e = 0..E-1: the mean
rate used and how many times the rate was dropped during it (at its end for the epoch-wise
rules; per-step rules such as Pflug's may drop inside an epoch).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from autodrop_theory.errors import AssumptionError
from autodrop_theory.rule import angle_deg

from .controllers import Controller, EpochInfo, StepInfo
from .problems import Problem

__all__ = ["Trajectories", "make_simulator", "simulate", "seed_keys"]


class Trajectories(NamedTuple):
    """numpy arrays, leading axis = seeds."""

    sq_dist: np.ndarray      # (S, E+1)
    subopt: np.ndarray       # (S, E+1)
    angle_deg: np.ndarray    # (S, E+1), nan at boundaries 0 and 1
    lr: np.ndarray           # (S, E) mean rate used in each epoch
    dropped: np.ndarray      # (S, E) int: drops during epoch e (at its end, for epoch-wise rules)
    mean_loss: np.ndarray    # (S, E) the epoch's mean stochastic loss
    extra: dict = {}         # name -> (S, E+1): the problem's further metrics, if any

    @property
    def diverged(self) -> np.ndarray:
        """(S,) bool: a seed whose error became non-finite at any boundary."""
        return ~np.all(np.isfinite(self.sq_dist), axis=1)

    def drop_epochs(self) -> list:
        return [np.flatnonzero(row).tolist() for row in self.dropped]


def seed_keys(seed: int, seeds: int):
    """The per-seed PRNG keys of run ``seed``: ``split(PRNGKey(seed), seeds)``."""
    return jax.random.split(jax.random.PRNGKey(seed), seeds)


def _run_one(problem: Problem, controller: Controller, epochs: int, steps: int, momentum: float,
             key):
    x0 = problem.x0
    dt = x0.dtype
    metrics = problem.metrics or (lambda x: {})
    zero = jnp.zeros((), dt)
    inv_k = jnp.asarray(1.0 / steps, dt)

    beta = jnp.asarray(momentum, dt)

    observe = controller.observe
    report = controller.report or (lambda state, x: x)

    def epoch(carry, e):
        x, state, x_prev, t, delta = carry

        def step(c, xi):
            x, delta, t, lr_sum, loss_sum, state = c
            lr = controller.lr(state, t)
            g, loss = problem.grad(x, xi)
            dx = -lr * g + beta * delta if momentum else -lr * g
            if observe is not None:     # per-step diagnostics (Pflug, SASA, averaging)
                state = observe(state, StepInfo(x, x + dx, g, lr, t, loss))
            return (x + dx, dx, t + 1, lr_sum + lr, loss_sum + loss, state), None

        noise = problem.epoch_noise(jax.random.fold_in(key, e), steps)
        drops_before = controller.num_drops(state)      # per-step drops count in this epoch
        (x_end, delta, t, lr_sum, loss_sum, state), _ = jax.lax.scan(
            step, (x, delta, t, zero, zero, state), noise)
        x_new, state = controller.update(state, x_end, EpochInfo(e, loss_sum * inv_k))
        ang = jnp.where(e >= 1, angle_deg(x_new - x, x - x_prev), jnp.asarray(jnp.nan, dt))
        x_eval = report(state, x_new)   # e.g. the Polyak-Ruppert average
        rec = (problem.sq_dist(x_eval), problem.subopt(x_eval), ang, lr_sum * inv_k,
               controller.num_drops(state) - drops_before, loss_sum * inv_k, metrics(x_eval))
        return (x_new, state, x, t, delta), rec

    carry = (x0, controller.init(x0), x0, jnp.zeros((), jnp.int32), jnp.zeros_like(x0))
    _, (sq, sub, ang, lr, dropped, loss, extra) = jax.lax.scan(
        epoch, carry, jnp.arange(epochs, dtype=jnp.int32))
    first = lambda v0, v: jnp.concatenate([jnp.reshape(v0, (1,)).astype(v.dtype), v])  # noqa
    extra0 = metrics(x0)
    return (first(problem.sq_dist(x0), sq), first(problem.subopt(x0), sub),
            first(jnp.asarray(jnp.nan, dt), ang), lr, dropped, loss,
            {k: first(extra0[k], extra[k]) for k in extra})


def make_simulator(problem: Problem, controller: Controller, *, epochs: int,
                   steps_per_epoch: int, momentum: float = 0.0):
    """Compile once, run many times: returns ``run(keys) -> Trajectories``.

    ``momentum`` beta in [0, 1) runs heavy-ball SGD x_{t+1} = x_t - lr g_t + beta (x_t - x_{t-1})
    (THEORY.md section 6; x_{-1} = x_0; the momentum carries across epoch boundaries and across a
    replacement of x by the controller).

    One ``jit(vmap(...))`` over the seeds' keys; the result is copied to the host once per call.
    Calling ``run`` again with keys of the same shape reuses the compiled program.
    """
    if not 0.0 <= momentum < 1.0:
        raise AssumptionError(f"momentum: need a value in [0, 1), got {momentum!r}")
    compiled = jax.jit(jax.vmap(
        lambda k: _run_one(problem, controller, epochs, steps_per_epoch, float(momentum), k)))

    def run(keys) -> Trajectories:
        *arrays, extra = compiled(keys)
        return Trajectories(*(np.asarray(a) for a in arrays),
                            {k: np.asarray(v) for k, v in extra.items()})

    return run


def simulate(problem: Problem, controller: Controller, *, epochs: int, steps_per_epoch: int,
             keys, momentum: float = 0.0) -> Trajectories:
    """Run ``controller`` on ``problem`` for every key in ``keys`` (one seed each); compiles
    afresh on each call (use :func:`make_simulator` to run the same setup repeatedly)."""
    return make_simulator(problem, controller, epochs=epochs, steps_per_epoch=steps_per_epoch,
                          momentum=momentum)(keys)
