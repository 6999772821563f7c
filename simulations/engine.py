"""The simulator: SGD driven by any set of methods, all seeds at once, one compiled program per
problem kind and shape, set of method families, budget and dtype.

Algorithm: for each seed (``vmap``), ``lax.scan`` over epochs; each epoch draws its noise once,
from ``fold_in(seed_key, e)``, and every method sees that same noise (common random numbers);
the methods of one family run side by side (``vmap`` over their hyperparameters), each with a
``lax.scan`` over the epoch's K steps x <- x - lr(state, t) g(x, xi_t) (+ beta (x_t - x_{t-1})
with heavy-ball momentum, docs/theory.md §6); at each epoch boundary the method's
``update`` sees the parameters (and may replace them), and the boundary metrics are recorded.

Problem data and hyperparameters are arguments of the compiled program, not constants in it: a
sweep over a hyperparameter, or over problem instances of one shape, compiles once
(:func:`traces` counts the compilations).  Seeds can be sharded over devices (``mesh``): the
numbers are those of the unsharded run.  Nothing is synchronised with the host until the end.

Recorded per seed, at the E+1 epoch boundaries n = 0..E: ||x - x*||^2, f - f*, and the angle
between the displacements of epochs n-1 and n-2 (nan for n < 2); per epoch e = 0..E-1: the mean
rate used and how many times the rate was dropped during it (at its end for the epoch-wise
rules; per-step rules such as Pflug's may drop inside an epoch).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from autodrop_theory import _validate as v
from autodrop_theory.errors import AssumptionError
from autodrop_theory.rule import angle_deg

from .methods.base import EpochInfo, Method, StepInfo, device_hp, drop_count
from .problems.base import Problem

__all__ = ["Trajectories", "simulate", "seed_keys", "traces", "seed_mesh",
           "INIT_STREAM"]

INIT_STREAM = 2 ** 31 - 1       # fold_in(seed_key, INIT_STREAM): a random initial point
_TRACES = [0]


def traces() -> int:
    """How many programs the simulator has traced (= compiled) in this process."""
    return _TRACES[0]


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


def _family_epoch(kind, family, steps, momentum_on, data, hp, carry, noise, e, beta):
    """One epoch of one method: K steps, then the boundary update and the records."""
    x, state, x_prev, t, delta = carry
    dt = x.dtype
    zero = jnp.zeros((), dt)
    inv_k = jnp.asarray(1.0 / steps, dt)
    report = family.report or (lambda hp, state, x: x)

    def step(c, xi):
        x, delta, t, lr_sum, loss_sum, state = c
        lr = family.lr(hp, state, t)
        g, loss = kind.grad(data, x, xi)
        dx = -lr * g + beta * delta if momentum_on else -lr * g
        if family.observe is not None:     # per-step diagnostics (Pflug, SASA, averaging)
            state = family.observe(hp, state, StepInfo(x, x + dx, g, lr, t, loss))
        return (x + dx, dx, t + 1, lr_sum + lr, loss_sum + loss, state), None

    drops_before = drop_count(state)      # per-step drops count in this epoch
    (x_end, delta, t, lr_sum, loss_sum, state), _ = jax.lax.scan(
        step, (x, delta, t, zero, zero, state), noise)
    x_new, state = family.update(hp, state, x_end, EpochInfo(e, loss_sum * inv_k))
    ang = jnp.where(e >= 1, angle_deg(x_new - x, x - x_prev), jnp.asarray(jnp.nan, dt))
    x_eval = report(hp, state, x_new)   # e.g. the Polyak-Ruppert average
    metrics = kind.metrics(data, x_eval) if kind.metrics is not None else {}
    rec = (kind.sq_dist(data, x_eval), kind.subopt(data, x_eval), ang, lr_sum * inv_k,
           drop_count(state) - drops_before, loss_sum * inv_k, metrics)
    return (x_new, state, x, t, delta), rec


def _one_seed(kind, families, epochs, steps, momentum_on, data, hps, beta, key):
    x0 = kind.x0(data, jax.random.fold_in(key, INIT_STREAM))
    carries = []
    for family, hp in zip(families, hps):
        m = jax.tree_util.tree_leaves(hp)[0].shape[0]
        state = jax.vmap(family.init, in_axes=(0, None))(hp, x0)
        xs = jnp.broadcast_to(x0, (m,) + x0.shape)
        carries.append((xs, state, xs, jnp.zeros((m,), jnp.int32), jnp.zeros_like(xs)))

    def epoch(carries, e):
        noise = kind.epoch_noise(data, jax.random.fold_in(key, e), steps)
        out = [jax.vmap(functools.partial(_family_epoch, kind, family, steps, momentum_on),
                        in_axes=(None, 0, 0, None, None, None))(data, hp, c, noise, e, beta)
               for family, hp, c in zip(families, hps, carries)]
        return [c for c, _ in out], [r for _, r in out]

    _, recs = jax.lax.scan(epoch, carries, jnp.arange(epochs, dtype=jnp.int32))
    sq0, sub0 = kind.sq_dist(data, x0), kind.subopt(data, x0)
    extra0 = kind.metrics(data, x0) if kind.metrics is not None else {}
    results = []
    for (sq, sub, ang, lr, dropped, loss, extra) in recs:   # (E, M, ...) per family
        m = sq.shape[1]

        def first(v0, v):
            return jnp.concatenate([jnp.broadcast_to(v0.astype(v.dtype), (1, m)), v]).T

        results.append((first(sq0, sq), first(sub0, sub),
                        first(jnp.asarray(jnp.nan, ang.dtype), ang), lr.T, dropped.T, loss.T,
                        {k: first(extra0[k], extra[k]) for k in extra}))
    return results


@functools.partial(jax.jit, static_argnums=(0, 1, 2, 3, 4))
def _simulate(kind, families, epochs, steps, momentum_on, data, hps, beta, keys):
    _TRACES[0] += 1        # runs only while tracing: one per compiled program
    return jax.vmap(lambda k: _one_seed(kind, families, epochs, steps, momentum_on, data, hps,
                                        beta, k))(keys)


def seed_mesh(devices=None):
    """A one-axis mesh ('seeds') over ``devices`` (default: every local device)."""
    devices = np.asarray(jax.local_devices() if devices is None else devices)
    return jax.sharding.Mesh(devices, ("seeds",))


def _prepare(problem: Problem, methods, epochs, steps_per_epoch, keys, momentum, dtype, mesh):
    """Validate and lay out one call: (static structure, array arguments, groups, seed count)."""
    epochs = v.integer("epochs", epochs, lo=1)
    steps = v.integer("steps_per_epoch", steps_per_epoch, lo=1)
    beta = v.in_range("momentum", momentum, 0.0, 1.0, hi_open=True)
    methods = list(methods)
    names = [m.name for m in methods]
    if not methods or len(set(names)) != len(names):
        raise AssumptionError(f"methods: need at least one method and distinct names, got "
                              f"{names}")
    families, groups = [], []
    for m in methods:
        if not isinstance(m, Method):
            raise AssumptionError(f"methods: need Method objects, got {type(m).__name__}")
        if m.family not in families:
            families.append(m.family)
            groups.append([])
        groups[families.index(m.family)].append(m)
    hps = [device_hp([m.hp for m in g], dtype) for g in groups]
    data = problem.data(dtype)
    keys = jnp.asarray(keys)
    n = keys.shape[0]
    if mesh is not None:
        size = mesh.devices.size
        pad = (-n) % size
        if pad:
            keys = jnp.concatenate([keys, keys[:pad]])
        keys = jax.device_put(keys, jax.sharding.NamedSharding(
            mesh, jax.sharding.PartitionSpec("seeds")))
    static = (problem.kind, tuple(families), epochs, steps, beta != 0.0)
    args = (data, hps, jnp.asarray(beta, dtype), keys)
    return static, args, groups, names, n


def simulate(problem: Problem, methods, *, epochs: int, steps_per_epoch: int, keys,
             momentum: float = 0.0, dtype=jnp.float32, mesh=None) -> dict:
    """Run every method in ``methods`` (a list of :class:`~.methods.base.Method`) on
    ``problem`` for every key in ``keys`` (one seed each); returns name -> Trajectories.

    ``momentum`` beta in [0, 1) runs heavy-ball SGD x_{t+1} = x_t - lr g_t + beta (x_t - x_{t-1})
    (x_{-1} = x_0; the momentum carries across epoch boundaries and across a replacement of x by
    the method).  ``mesh`` (e.g. :func:`seed_mesh`): shard the seeds over its devices (the seed
    count is padded to a multiple of the device count; the padding is dropped).  The compiled
    program is cached (by ``jax.jit``) by the call's static structure and argument shapes.
    """
    static, args, groups, names, n = _prepare(problem, methods, epochs, steps_per_epoch, keys,
                                              momentum, dtype, mesh)
    out = jax.device_get(_simulate(*static, *args))   # jit caches one program per structure
    trajs = {}
    for group, arrays in zip(groups, out):
        *main, extra = arrays
        for i, m in enumerate(group):
            trajs[m.name] = Trajectories(*(np.asarray(a[:n, i]) for a in main),
                                         {k: np.asarray(a[:n, i]) for k, a in extra.items()})
    return {name: trajs[name] for name in names}
