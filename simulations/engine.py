"""The simulator: SGD driven by any set of methods, all seeds at once, one compiled program per
problem kind and shape, set of method families, budget and dtype.

Algorithm: for each seed (``vmap``), ``lax.scan`` over epochs; each epoch draws its noise once,
from ``fold_in(seed_key, e)``, and every method sees that same noise (common random numbers);
the methods of one family run side by side (``vmap`` over their hyperparameters), each either
with a ``lax.scan`` over the epoch's K steps x <- x - lr(state, t) g(x, xi_t) (under momentum
the unified momentum step UM(beta, s) of :mod:`autodrop_theory.momentum`, docs/theory.md §6b:
heavy ball, Nesterov, plain SGD and everything between), or, on model Q for a family that needs
only epoch boundaries, in one exact Gaussian draw per coordinate (:mod:`.exact`, docs/theory.md
§9; its normals come from ``fold_in(epoch_key, EXACT_STREAM)``, shared by the exact methods); at
each epoch boundary the method's ``update`` sees the parameters (and may replace them), and the
boundary metrics are recorded.  Keys are philox4x32 (:data:`~.provenance.PRNG_IMPL`).

Problem data and hyperparameters are arguments of the compiled program, not constants in it: a
sweep over a hyperparameter, or over problem instances of one shape, compiles once
(:func:`traces` counts the compilations).  Seeds can be split over devices (``mesh``): the
numbers are those of the unsharded run.  Nothing is synchronised with the host until the end.

Recorded per seed (:class:`EpochRecord`), at the E+1 epoch boundaries n = 0..E: ||x - x*||^2,
f - f*, and the angle between the displacements of epochs n-1 and n-2 (nan for n < 2); per epoch
e = 0..E-1: the mean rate used and how many times the rate was dropped during it (at its end for
the epoch-wise rules; per-step rules such as Pflug's may drop inside an epoch).  What accumulates
along the way is the monitors' (:mod:`.monitors`: each has its own state in the carry,
:class:`MethodCarry`, sees every step and every boundary, and gives named outputs once at the
end): the adaptive-schedule check (docs/theory.md §2d, in the run's dtype) with the largest rate
used, and whether the iterate stayed finite.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from autodrop_theory import _validate as v
from autodrop_theory import momentum as um
from autodrop_theory.errors import AssumptionError
from autodrop_theory.rule import angle_deg, epoch_guard_applies

from . import exact, memory
from .choices import SAMPLERS
from .provenance import PRNG_IMPL
from .methods.base import EpochInfo, Method, StepInfo, device_hp, drop_count
from .monitors import MONITORS, Boundary, check_constants
from .problems.base import Problem

__all__ = ["Trajectories", "Prepared", "prepare", "execute", "simulate", "seed_keys", "traces",
           "seed_mesh", "check_um", "INIT_STREAM"]

INIT_STREAM = 2 ** 31 - 1       # fold_in(seed_key, INIT_STREAM): a random initial point
EXACT_STREAM = 1                # fold_in(epoch_key, EXACT_STREAM): the exact sampler's normals
HEAVY_BALL, UM = 1, 2           # the static momentum modes (0: no momentum)
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
    mean_loss: np.ndarray    # (S, E) the epoch's mean stochastic loss (nan unless the method
                             # reads it, Family.reads_loss: computing it costs two passes a step)
    extra: dict = {}         # name -> (S, E+1): the problem's further metrics, if any
    schedule_stat: np.ndarray = None   # (S,) the scaled adaptive-schedule statistic (§2d)
    lr_max: np.ndarray = None          # (S,) the largest rate of any step
    x_finite: np.ndarray = None        # (S,) bool: the iterate stayed finite at every boundary
    sampler: str = "steps"             # "steps" or "exact" (:mod:`.exact`)
    reported: tuple = ("sq_dist", "subopt")   # the errors the problem defines (Problem.reports)

    @property
    def diverged(self) -> np.ndarray:
        """(S,) bool: a seed whose iterate left every bounded region (became non-finite in the
        run's dtype); without that record, one whose error became non-finite."""
        if self.x_finite is not None:
            return ~np.asarray(self.x_finite, bool)
        return ~np.all(np.isfinite(self.sq_dist), axis=1)

    @property
    def overflowed(self) -> np.ndarray:
        """(S,) bool: a seed whose iterate stayed finite but whose ||x - x*||^2 or f - f*
        overflowed the run's dtype (a float32 limit, not a divergence: rerun with --x64); an
        error the problem does not define (not in ``reported``) is nan by design, not counted."""
        bad = np.zeros(self.sq_dist.shape[0], bool)
        for name in self.reported:
            bad |= ~np.all(np.isfinite(getattr(self, name)), axis=1)
        return bad & ~self.diverged

    def drop_epochs(self) -> list:
        return [np.flatnonzero(row).tolist() for row in self.dropped]


def seed_keys(seed: int, seeds: int, impl: str = PRNG_IMPL):
    """The per-seed PRNG keys of run ``seed``: ``split(key(seed, impl), seeds)`` (typed keys of
    the implementation ``impl``, default :data:`~.provenance.PRNG_IMPL`)."""
    return jax.random.split(jax.random.key(seed, impl=impl), seeds)


class MethodCarry(NamedTuple):
    """One method's state between epochs (leading axis: the family's methods)."""

    x: Any              # the iterate
    state: Any          # the method's state
    x_prev: Any         # the iterate at the previous boundary
    t: Any              # int32 steps taken
    momentum: Any       # UM's buffer m (heavy ball: its displacement form delta = -m)
    monitors: tuple     # one state per monitor of MONITORS


class EpochRecord(NamedTuple):
    """What one epoch of one method records (at its end boundary)."""

    sq_dist: Any
    subopt: Any
    angle_deg: Any
    lr: Any             # the epoch's mean rate
    dropped: Any        # drops during the epoch
    mean_loss: Any      # nan unless the family reads the loss
    metrics: dict       # the problem's further metrics


class FamilyOutput(NamedTuple):
    """One family's arrays, per seed (S, M, ...): the records with the initial point first,
    and every monitor's named outputs."""

    sq_dist: Any
    subopt: Any
    angle_deg: Any
    lr: Any
    dropped: Any
    mean_loss: Any
    extra: dict
    monitors: dict


def _monitors_step(consts, mons, lr):
    return tuple(mon.step(consts, s, lr) for mon, s in zip(MONITORS, mons))


def _steps(kind, family, steps, momentum_on, data, hp, x, state, t, buf, mons, noise, beta,
           um_s, consts):
    """The epoch's K steps, one by one (the step-level simulator): (x_end, momentum carry, t,
    mean rate, mean stochastic loss (nan unless the family reads it), state, monitor states).  The
    momentum carry is UM's buffer m (mode UM) or, for heavy ball (s = 0), its displacement
    form delta = x_t - x_{t-1} = -m (:func:`autodrop_theory.momentum.heavy_ball_step`)."""
    dt = x.dtype
    zero = jnp.zeros((), dt)

    def step(c, xi):
        x, buf, t, lr_sum, loss_sum, state, mons = c
        lr = family.lr(hp, state, t)
        g, loss = kind.grad(data, x, xi)
        if momentum_on == UM:              # UM (beta, s): autodrop_theory.momentum
            dx, buf = um.step(g, buf, lr, beta, um_s)
        elif momentum_on:                  # its s = 0 case, heavy ball
            dx = buf = um.heavy_ball_step(g, buf, lr, beta)
        else:
            dx = -lr * g
        if family.observe is not None:     # per-step diagnostics (Pflug, SASA, averaging)
            state = family.observe(hp, state, StepInfo(x, x + dx, g, lr, t, loss))
        if family.reads_loss:              # else the loss is not computed (XLA drops it)
            loss_sum = loss_sum + loss
        mons = _monitors_step(consts, mons, lr)
        return (x + dx, buf, t + 1, lr_sum + lr, loss_sum, state, mons), None

    (x_end, buf, t, lr_sum, loss_sum, state, mons), _ = jax.lax.scan(
        step, (x, buf, t, zero, zero, state, mons), noise)
    inv_k = jnp.asarray(1.0 / steps, dt)
    mean_loss = loss_sum * inv_k if family.reads_loss else jnp.asarray(jnp.nan, dt)
    return x_end, buf, t, lr_sum * inv_k, mean_loss, state, mons


def _exact_steps(kind, family, steps, momentum_on, data, hp, x, state, t, buf, mons, z, beta,
                 um_s, consts):
    """The epoch's K steps in one exact draw (:mod:`.exact`; model Q): the same outputs as
    :func:`_steps`, the mean loss nan (not simulated).  Under momentum the sampler's state is
    (x, y^s) with y^s_t = x_t + c m_{t-1} (docs/theory.md §6b), mapped back to the buffer m at
    the epoch's end (m = (y^s - x) / c; where c = 0 the buffer does not enter the dynamics and
    is set to 0); for heavy ball y^0_t = x_{t-1} = x_t - delta."""
    dt = x.dtype
    h, sd = kind.linear_gaussian(data)
    average = family.epoch_observe is not None
    general = momentum_on == UM
    if general:
        c = um.coefficient(beta, um_s).astype(dt)
        s0 = (x, x + c * buf)
    else:
        s0 = (x, x - buf) if momentum_on else (x,)
    s0 = s0 + ((jnp.zeros_like(x),) if average else ())
    if family.fixed_rate:
        lr = family.lr(hp, state, t)
        P, V = exact.fixed_rate(h, sd, lr, beta, steps, bool(momentum_on),  # noqa: N806
                                average, um_s if momentum_on == UM else None)
        mons = tuple(mon.steps(consts, m, lr, steps) for mon, m in zip(MONITORS, mons))
        lr_mean = lr
    else:       # a rate fixed in advance that varies within the epoch (inverse_time)
        lrs = jax.vmap(lambda j: family.lr(hp, state, t + j))(jnp.arange(steps, dtype=t.dtype))
        P, V = exact.scheduled(h, sd, lrs, beta, bool(momentum_on), average,  # noqa: N806
                               um_s if momentum_on == UM else None)
        mons = tuple(mon.each(consts, m, lrs) for mon, m in zip(MONITORS, mons))
        lr_mean = jnp.mean(lrs)
    s = exact.sample(P, V, s0, tuple(z[: len(s0)]))
    x_end = s[0]
    if general:
        buf = jnp.where(c == 0, jnp.zeros_like(x_end),
                        (s[1] - x_end) / jnp.where(c == 0, jnp.ones_like(c), c))
    elif momentum_on:
        buf = x_end - s[1]
    if average:
        state = family.epoch_observe(hp, state, s[-1], jnp.asarray(steps, dt))
    return (x_end, buf, t + steps, lr_mean, jnp.asarray(jnp.nan, dt), state, mons)


def _family_epoch(kind, family, steps, momentum_on, sampler, data, hp, carry, noise, e, beta,
                  um_s, consts):
    """One epoch of one method: K steps (step by step, or one exact draw), then the boundary
    update, the monitors' boundary and the records."""
    x, state, x_prev, t, buf, mons = carry
    advance = _exact_steps if sampler == "exact" else _steps
    drops_before = drop_count(state)      # per-step drops count in this epoch
    x_end, buf, t, lr_mean, loss_mean, state, mons = advance(
        kind, family, steps, momentum_on, data, hp, x, state, t, buf, mons, noise, beta, um_s,
        consts)
    report = family.report or (lambda hp, state, x: x)
    sgd_point = (um.sgd_point(x_end, buf, beta, um_s) if momentum_on == UM else
                 um.heavy_ball_sgd_point(x_end, buf, beta) if momentum_on else None)
    guard = epoch_guard_applies(beta, steps) if momentum_on else True
    x_new, state = family.update(hp, state, x_end, EpochInfo(e, loss_mean, sgd_point, guard))
    # "moved": x changed outside an SGD step (a tail-average jump), whatever the method
    at = Boundary(t, kind.sq_dist(data, x_end), kind.sq_dist(data, x_new),
                  jnp.any(x_new != x_end), x_new)
    mons = tuple(mon.boundary(consts, m, at) for mon, m in zip(MONITORS, mons))
    ang = jnp.where(e >= 1, angle_deg(x_new - x, x - x_prev), jnp.asarray(jnp.nan, x.dtype))
    x_eval = report(hp, state, x_new)   # e.g. the Polyak-Ruppert average
    metrics = kind.metrics(data, x_eval) if kind.metrics is not None else {}
    rec = EpochRecord(kind.sq_dist(data, x_eval), kind.subopt(data, x_eval), ang, lr_mean,
                      drop_count(state) - drops_before, loss_mean, metrics)
    return MethodCarry(x_new, state, x, t, buf, mons), rec


def _start(kind, families, data, hps, key):
    """One seed's starting point and, per family, the parts of its methods' carries that
    depend on the seed (:func:`_simulate` maps this over the seeds before the run): the
    iterates, the momentum buffers and, for an automatic family, the state (which follows the
    trajectory).  Entering the scan over epochs with their seed axis already, they spare JAX's
    batching of that scan the passes that would find it out; a schedule's state and the
    monitors, which may not depend on the seed, are left for the scan to decide (computed on
    arrays with a seed axis, they could round differently)."""
    x0 = kind.x0(data, jax.random.fold_in(key, INIT_STREAM))
    parts = []
    for family, hp in zip(families, hps):
        m = jax.tree_util.tree_leaves(hp)[0].shape[0]
        xs = jnp.broadcast_to(x0, (m,) + x0.shape)
        state = (jax.vmap(family.init, in_axes=(0, None))(hp, x0) if family.automatic
                 else None)
        parts.append((xs, jnp.zeros_like(xs), state))
    return x0, parts


def _one_seed(kind, families, samplers, epochs, steps, momentum_on, data, hps, beta, um_s,
              consts, key, start):
    x0, parts = start
    sq0, sub0 = kind.sq_dist(data, x0), kind.subopt(data, x0)
    carries = []
    for family, hp, (xs, buf, state) in zip(families, hps, parts):
        m = xs.shape[0]
        if state is None:
            state = jax.vmap(family.init, in_axes=(0, None))(hp, x0)
        mons = jax.tree_util.tree_map(lambda a: jnp.broadcast_to(a, (m,)),
                                      tuple(mon.init(consts, sq0) for mon in MONITORS))
        carries.append(MethodCarry(xs, state, xs, jnp.zeros((m,), jnp.int32), buf, mons))

    rows = max((exact.components(bool(momentum_on), f.epoch_observe is not None)
                for f, s in zip(families, samplers) if s == "exact"), default=0)

    def epoch(carries, e):
        key_e = jax.random.fold_in(key, e)
        draws = {}     # drawn once per epoch and seed, shared by every method (common numbers)
        if "steps" in samplers:
            draws["steps"] = kind.epoch_noise(data, key_e, steps)
        if rows:
            dt = x0.dtype
            draws["exact"] = jax.random.normal(jax.random.fold_in(key_e, EXACT_STREAM),
                                               (rows,) + x0.shape, jnp.float32).astype(dt)
        out = [jax.vmap(functools.partial(_family_epoch, kind, family, steps, momentum_on,
                                          sampler),
                        in_axes=(None, 0, 0, None, None, None, None, None))(
                            data, hp, c, draws[sampler], e, beta, um_s, consts)
               for family, sampler, hp, c in zip(families, samplers, hps, carries)]
        return [c for c, _ in out], [r for _, r in out]

    finals, recs = jax.lax.scan(epoch, carries, jnp.arange(epochs, dtype=jnp.int32))
    extra0 = kind.metrics(data, x0) if kind.metrics is not None else {}
    results = []
    for rec, final in zip(recs, finals):
        m = rec.sq_dist.shape[1]     # (E, M, ...) per family
        outputs = {}
        for i, mon in enumerate(MONITORS):
            outputs.update(jax.vmap(lambda s, t, x, mon=mon: mon.finish(
                consts, s, t, kind.sq_dist(data, x)))(final.monitors[i], final.t, final.x))

        def first(v0, v):
            return jnp.concatenate([jnp.broadcast_to(v0.astype(v.dtype), (1, m)), v]).T

        results.append(FamilyOutput(
            first(sq0, rec.sq_dist), first(sub0, rec.subopt),
            first(jnp.asarray(jnp.nan, rec.angle_deg.dtype), rec.angle_deg), rec.lr.T,
            rec.dropped.T, rec.mean_loss.T,
            {k: first(extra0[k], rec.metrics[k]) for k in rec.metrics}, outputs))
    return results


@functools.partial(jax.jit, static_argnums=(0, 1, 2, 3, 4, 5))
def _simulate(kind, families, samplers, epochs, steps, momentum_on, data, hps, beta, um_s,
              consts, keys):
    _TRACES[0] += 1        # runs only while tracing: one per compiled program
    starts = jax.vmap(lambda k: _start(kind, families, data, hps, k))(keys)
    return jax.vmap(lambda k, s: _one_seed(kind, families, samplers, epochs, steps, momentum_on,
                                           data, hps, beta, um_s, consts, k, s))(keys, starts)


def _run_sharded(static, args, mesh):
    """The seeds split over ``mesh``'s devices: each device runs the unsharded program on its
    block of seeds (dispatched asynchronously, so the devices work at once), the blocks are
    joined in order.  Not a partitioned ``jit``: XLA's partitioner cannot lower the philox
    kernel (its ``mulhi``) in a multi-device program."""
    *shared, keys = args
    devices = list(mesh.devices.flat)
    local = set(jax.local_devices())
    if any(d not in local for d in devices):
        raise AssumptionError("mesh: every device must belong to this process (the seeds are "
                              "split over local devices; several hosts are not supported)")
    blocks = np.split(np.arange(keys.shape[0]), len(devices))
    outs = [_simulate(*static, *jax.device_put((*shared, keys[idx]), dev))
            for idx, dev in zip(blocks, devices)]
    return jax.tree_util.tree_map(lambda *xs: np.concatenate(xs), *jax.device_get(outs))


def seed_mesh(devices=None):
    """A one-axis mesh ('seeds') over ``devices`` (default: every local device)."""
    devices = np.asarray(jax.local_devices() if devices is None else devices)
    return jax.sharding.Mesh(devices, ("seeds",))


def check_step_count(epochs: int, steps: int) -> None:
    """The simulator counts steps in int32: refuse a budget of 2**31 steps or more."""
    if epochs * steps >= 2 ** 31:
        raise AssumptionError(f"steps_per_epoch: need epochs x steps_per_epoch < 2**31 (the "
                              f"step index is int32), got {epochs} x {steps}")


def choose_samplers(problem: Problem, families, sampler: str = "auto") -> tuple:
    """Per family, "exact" (:mod:`.exact`: model Q and a family that needs only epoch
    boundaries, :attr:`~.methods.base.Family.epoch_level`) or "steps" (step by step);
    ``sampler`` "auto" picks exact wherever it applies, "steps" never, "exact" everywhere (an
    AssumptionError naming what cannot run exactly)."""
    if sampler not in SAMPLERS:
        raise AssumptionError(f"sampler: need one of {', '.join(SAMPLERS)}, got {sampler!r}")
    exact_model = problem.kind.linear_gaussian is not None
    out = []
    for f in families:
        ok = exact_model and f.epoch_level
        if sampler == "exact" and not ok:
            why = ("the problem is not the linear-Gaussian model Q" if not exact_model else
                   "it reads every step" if not f.epoch_level and not f.reads_loss else
                   "it reads the epoch's mean stochastic loss")
            raise AssumptionError(f"sampler: the exact epoch sampler cannot run the "
                                  f"{f.name} family ({why}); use sampler='auto' or 'steps'")
        out.append("exact" if ok and sampler != "steps" else "steps")
    return tuple(out)


def check_seed(seed) -> int:
    """A run's seed: an integer in [0, 2**32) (:func:`seed_keys` takes it)."""
    seed = v.integer("seed", seed, lo=0)
    if seed >= 2 ** 32:
        raise AssumptionError(f"seed: need an integer < 2**32, got {seed}")
    return seed


def check_um(beta, um_s) -> tuple:
    """Host validation of UM's (beta, s) (:func:`autodrop_theory.momentum.check`): (beta, s,
    plain) with ``plain`` True where s is plain SGD's 1/(1 - beta) (given as "sgd" or as that
    float64 number: the engine then computes s in the run's dtype, so that c = 0 exactly).  s
    without momentum means nothing: s != 0 with beta = 0 is refused."""
    given = um_s
    try:
        beta, s = um.check(beta, um_s)
    except AssumptionError as exc:           # name the simulator's parameter, um_s
        text = str(exc)
        raise AssumptionError("um_s: " + text[3:] if text.startswith("s: ") else text) from None
    if beta == 0.0 and s != 0.0:
        raise AssumptionError(f"um_s: needs momentum > 0 (without momentum every s is plain "
                              f"SGD), got um_s = {given!r} with momentum 0")
    plain = beta > 0 and ((isinstance(given, str) and given == "sgd")
                          or s == 1.0 / (1.0 - beta))
    return beta, s, plain


class Prepared(NamedTuple):
    """One run validated and laid out once (:func:`prepare`), then run by :func:`execute`: the
    sampler of each family and the memory check are decided here and nowhere else (the CLI,
    :func:`.experiment.run` and :func:`simulate` all go through it)."""

    static: tuple       # the program's static structure: (kind, families, samplers, epochs,
    #                     steps, momentum mode)
    args: tuple         # its array arguments: (data, hps, beta, s, consts, keys)
    groups: list        # the methods of each family, in the families' order
    names: list         # the method names, in the caller's order
    seeds: int          # the seed count (the keys may be padded for the mesh)
    mesh: Any           # None, or the mesh the seeds are split over
    problem: Problem

    @property
    def samplers(self) -> tuple:
        """Per family, "exact" or "steps" (:func:`choose_samplers`)."""
        return self.static[2]


def prepare(problem: Problem, methods, *, epochs: int, steps_per_epoch: int, keys=None,
            seeds=None, seed: int = 0, momentum: float = 0.0, um_s=0.0, dtype=jnp.float32,
            mesh=None, lr_ref=None, sampler: str = "auto") -> Prepared:
    """Validate one call and lay it out (:class:`Prepared`): the families and their samplers,
    the memory check (before anything is allocated, the seeds' keys included), the
    hyperparameters and problem data as device arrays.  The seeds are ``keys`` (one per seed:
    typed keys, :func:`seed_keys`, or raw uint32 key data) or, given ``seeds`` (a count)
    instead, ``seed_keys(seed, seeds)``, drawn after the memory check."""
    epochs = v.integer("epochs", epochs, lo=1)
    steps = v.integer("steps_per_epoch", steps_per_epoch, lo=1)
    beta, s, plain = check_um(momentum, um_s)
    check_step_count(epochs, steps)
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
    samplers = choose_samplers(problem, families, sampler)
    if (keys is None) == (seeds is None):
        raise AssumptionError("keys, seeds: give one of them (the keys, or a seed count)")
    if keys is None:
        n = v.integer("seeds", seeds, lo=1)
        seed = check_seed(seed)
    else:
        keys = jnp.asarray(keys)      # typed keys (seed_keys) or raw uint32 key data
        n = keys.shape[0]
    memory.check(problem.dim, len(methods), epochs, steps, n, jnp.dtype(dtype).itemsize,
                 step_noise="steps" in samplers)
    if keys is None:
        keys = seed_keys(seed, n)
    hps = [device_hp([m.hp for m in g], dtype) for g in groups]
    with np.errstate(over="ignore"):       # an overflowing cast is refused just below
        data = problem.data(dtype)
    _check_finite(data, dtype)
    if mesh is not None:
        size = mesh.devices.size
        pad = (-n) % size
        if pad:
            keys = jnp.concatenate([keys, keys[:pad]])
    # the momentum mode is static: 0 none, HEAVY_BALL (s = 0: the heavy-ball program, whose
    # roundings are those of the heavy-ball simulator bit for bit) or UM (any s > 0, an array
    # argument: runs at several s > 0 compile once)
    mode = 0 if beta == 0.0 else HEAVY_BALL if s == 0.0 else UM
    static = (problem.kind, tuple(families), samplers, epochs, steps, mode)
    consts = {k: jnp.asarray(val, dtype) for k, val in
              check_constants(problem, lr_ref, epochs, steps).items()}
    beta_arr = jnp.asarray(beta, dtype)
    s_arr = um.plain_sgd_s(beta_arr) if plain else jnp.asarray(s, dtype)
    args = (data, hps, beta_arr, s_arr, consts, keys)
    return Prepared(static, args, groups, names, n, mesh, problem)


def _check_finite(data, dtype) -> None:
    """The problem's data must be finite in the run's dtype (a float32 cast of 1e300 is inf:
    the run would compute nonsense, not diverge)."""
    for leaf in jax.tree_util.tree_leaves(data):
        a = np.asarray(leaf)
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            raise AssumptionError(f"problem: its data are not finite in {jnp.dtype(dtype).name} "
                                  "(a value beyond the dtype's range); rescale the problem or "
                                  "run in float64 (x64=True, --x64)")


def simulate(problem: Problem, methods, *, epochs: int, steps_per_epoch: int, keys,
             momentum: float = 0.0, um_s=0.0, dtype=jnp.float32, mesh=None, lr_ref=None,
             sampler: str = "auto") -> dict:
    """Run every method in ``methods`` (a list of :class:`~.methods.base.Method`) on
    ``problem`` for every key in ``keys`` (one seed each); returns name -> Trajectories.

    ``momentum`` beta in [0, 1) and ``um_s`` s (a number >= 0 or one of
    :data:`autodrop_theory.momentum.NAMED_S`) run unified momentum UM (docs/theory.md §6b,
    :func:`autodrop_theory.momentum.step`): m_t = beta m_{t-1} + lr_t g_t, x_{t+1} = x_t -
    (s lr_t g_t + c m_t), c = 1 - s (1 - beta); s = 0 (default) is heavy ball x_{t+1} = x_t -
    lr g_t + beta (x_t - x_{t-1}) (x_{-1} = x_0), s = 1 Nesterov, s = 1/(1 - beta) plain SGD at
    rate lr/(1 - beta).  The buffer carries across epoch boundaries and across a replacement of
    x by the method; s is an argument of the compiled program (runs at several s compile
    once).  ``mesh`` (e.g. :func:`seed_mesh`): shard the seeds over its devices (the seed
    count is padded to a multiple of the device count; the padding is dropped).  The compiled
    program is cached (by ``jax.jit``) by the call's static structure and argument shapes.
    ``lr_ref``: the reference rate of the adaptive-schedule check (docs/theory.md §2d; the run's
    initial rate); without it ``schedule_stat`` is None.  ``sampler``: see
    :func:`choose_samplers` (each Trajectories records its own).
    """
    return execute(prepare(problem, methods, epochs=epochs, steps_per_epoch=steps_per_epoch,
                           keys=keys, momentum=momentum, um_s=um_s, dtype=dtype, mesh=mesh,
                           lr_ref=lr_ref, sampler=sampler))


def execute(prep: Prepared) -> dict:
    """Run a :class:`Prepared` call (:func:`prepare`); returns name -> Trajectories, in the
    caller's order of the methods."""
    static, args, n = prep.static, prep.args, prep.seeds
    measured = float(args[4]["lr_ref"]) > 0
    out = (jax.device_get(_simulate(*static, *args)) if prep.mesh is None  # jit caches it
           else _run_sharded(static, args, prep.mesh))
    trajs = {}
    for group, arrays, family_sampler in zip(prep.groups, out, prep.samplers):
        for i, m in enumerate(group):
            mon = {k: np.asarray(a[:n, i]) for k, a in arrays.monitors.items()}
            if not measured:
                mon["schedule_stat"] = None
            trajs[m.name] = Trajectories(
                *(np.asarray(a[:n, i]) for a in arrays[:6]),
                {k: np.asarray(a[:n, i]) for k, a in arrays.extra.items()},
                sampler=family_sampler, reported=tuple(prep.problem.reports), **mon)
    return {name: trajs[name] for name in prep.names}
