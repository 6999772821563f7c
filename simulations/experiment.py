"""The experiment runner every command and the public API use.

    run(problem, methods, *, lr, epochs, steps_per_epoch, seeds, seed=0, momentum=0.0,
        um_s=0.0, x64=False, mesh=None) -> Results
    prepare(problem, methods, *, ...same...) -> PreparedRun;  run_prepared(prep) -> Results
    sweep(problem, method, grid, *, lr, epochs, steps_per_epoch, seeds, seed=0, ...) -> Results

``methods``: registered names, or :class:`~.methods.base.Method` objects (e.g. built with
overrides).  Every method runs on the same seeds (common random numbers) in one compiled program
per problem shape and set of method families; a sweep runs every grid point of one method as
one vmapped call (one compilation).  Everything is validated before anything is compiled:
a bad argument raises :class:`~autodrop_theory.AssumptionError` naming it.
"""

from __future__ import annotations

import itertools
import time
from typing import Any, NamedTuple

import numpy as np

from autodrop_theory import _validate as v
from autodrop_theory.errors import AssumptionError

from . import compile_cache, engine, methods as registry
from .methods.base import Method, RunContext
from .problems.base import Problem
from .provenance import metadata
from .results import Results, method_results
from .schedule_check import schedule_check
from .stats import mean_ci, z_scores

if not compile_cache.configured():   # the API too: JAX's persistent cache on by default
    compile_cache.configure("default")    # (docs/performance.md; the commands set --compile-cache)

__all__ = ["run", "prepare", "run_prepared", "PreparedRun", "sweep", "build_methods",
           "check_run_args", "check_methods_fit", "run_context", "dtype_for", "angle_noise",
           "paired_final", "point_name"]


def dtype_for(x64: bool):
    """float64 with ``x64`` (enabling JAX's x64 mode), else float32."""
    import jax
    if x64:
        jax.config.update("jax_enable_x64", True)
        return jax.numpy.float64
    return jax.numpy.float32


def run_context(problem: Problem, lr, epochs, steps_per_epoch) -> RunContext:
    """Validate the budget and the rate against the problem; the context methods are built in."""
    if not isinstance(problem, Problem):
        raise AssumptionError(f"problem: need a simulations.problems.Problem, got "
                              f"{type(problem).__name__}")
    lr = v.in_range("lr", lr, 0.0, None, lo_open=True)
    epochs = v.integer("epochs", epochs, lo=3)
    steps = v.integer("steps_per_epoch", steps_per_epoch, lo=1)
    engine.check_step_count(epochs, steps)
    problem.check_lr(lr)
    problem.check_steps(steps)
    return RunContext(lr=lr, epochs=epochs, steps_per_epoch=steps,
                      mu=problem.mu if problem.mu is not None else float("nan"),
                      L=problem.L if problem.L is not None else float("nan"),
                      dim=problem.dim, model=problem.exact_model)


def check_run_args(seeds, seed, momentum, x64, mesh=None, um_s=0.0) -> tuple:
    """``seeds`` (>= 2), ``seed`` (in [0, 2**32)), ``momentum`` (in [0, 1)), ``x64`` (a bool),
    ``mesh`` (None or a jax.sharding.Mesh) and ``um_s`` (UM's s: a number >= 0 or one of
    autodrop_theory.momentum.NAMED_S, not != 0 without momentum; :func:`.engine.check_um`)
    validated: (seeds, seed, momentum, x64); plain Python, before any array exists."""
    seeds = v.integer("seeds", seeds, lo=2)
    seed = engine.check_seed(seed)
    momentum = v.in_range("momentum", momentum, 0.0, 1.0, hi_open=True)
    engine.check_um(momentum, um_s)
    if not isinstance(x64, (bool, np.bool_)):
        raise AssumptionError(f"x64: need True or False, got {x64!r}")
    from jax.sharding import Mesh
    if mesh is not None and not isinstance(mesh, Mesh):
        raise AssumptionError(f"mesh: need None or a jax.sharding.Mesh, got "
                              f"{type(mesh).__name__}")
    return seeds, seed, momentum, bool(x64)


def build_methods(names_or_methods, ctx: RunContext) -> list:
    """Registered names -> methods built for ``ctx``; Method objects pass through.  A name
    given twice is refused (each method's results are stored under its name)."""
    if isinstance(names_or_methods, (str, Method)):
        names_or_methods = [names_or_methods]
    try:
        names = [m if isinstance(m, str) else m.name for m in names_or_methods]
    except (TypeError, AttributeError):
        raise AssumptionError(f"methods: need method names or Method objects, got "
                              f"{names_or_methods!r}") from None
    twice = [n for i, n in enumerate(names) if n in names[:i]]
    if twice:
        raise AssumptionError(f"methods: {twice[0]!r} is given twice (results are stored by "
                              "method name)")
    out = []
    for m in names_or_methods:
        if isinstance(m, str):
            if m in registry.REGISTRY and registry.REGISTRY[m].needs_model and ctx.model is None:
                raise AssumptionError(f"methods: {m} needs the exact quadratic model "
                                      "(quadratic problems only)")
            out.append(registry.make(m, ctx))
        elif isinstance(m, Method):
            out.append(m)
        else:
            raise AssumptionError(f"methods: need method names or Method objects, got {m!r}")
    if not out:
        raise AssumptionError("methods: need at least one method")
    return out


def check_methods_fit(problem: Problem, ms) -> None:
    """Refuse a method that reads the stochastic loss on a problem that gives no loss samples
    (a custom oracle without them: the method would read zeros)."""
    reads = [m.name for m in ms if m.family.reads_loss]
    if reads and not problem.loss_samples:
        raise AssumptionError(f"methods: {reads[0]} reads the stochastic loss, which this problem "
                              "does not give (give loss=..., or a grad returning (gradient, "
                              "loss))")


def _report(problem, trajs, ms, ctx, theory, momentum=0.0) -> dict:
    T = ctx.epochs * ctx.steps_per_epoch
    cr_final = problem.cramer_rao(T)
    out = {}
    for m in ms:
        t = trajs[m.name]
        block = method_results(t, ctx.steps_per_epoch, m.config,
                               None if cr_final is None else float(cr_final))
        block["family"] = m.family.name
        block["sampler"] = t.sampler
        if m.family.angle_threshold is not None:
            block["angle_rule"] = True
        at = problem.angle_theory(t.lr[0], ctx.steps_per_epoch)
        if at is not None:
            block["angle_theory_seed0"], block["stationary_levels_deg"] = at
        out[m.name] = block
    ref = registry.reference()              # the constant-rate reference, if in the run
    constant = trajs.get(ref)
    if constant is not None:
        for m in ms:
            if m.name != ref:
                out[m.name]["final"]["vs_constant"] = paired_final(trajs[m.name], constant)
    if momentum:
        # the closed forms of docs/theory.md §2c/§4 are plain SGD's: nothing to compare with
        theory["plain_sgd_only"] = ("momentum: the closed forms in this block are plain SGD's "
                                    "at the rate lr; the simulation (UM, docs/theory.md §6b) is "
                                    "not compared with them")
        return out
    if constant is not None and theory.get("stationary_change_sd_deg") is not None:
        theory["angle_noise"] = angle_noise(constant, theory["stationary_change_sd_deg"], ms)
    if constant is not None and "exact_sq_dist_constant" in theory and not (
            constant.diverged.any() or constant.overflowed.any()):
        # the simulation against docs/theory.md §2c, per boundary
        x64 = constant.sq_dist.dtype == np.float64
        z = z_scores(constant.sq_dist, theory["exact_sq_dist_constant"],
                     rtol=1e-9 if x64 else 1e-5)
        lo, hi = np.asarray(out[ref]["mean_sq_dist_ci"], dtype=float).T
        exact = np.asarray(theory["exact_sq_dist_constant"])
        theory["constant_agreement"] = {
            "max_abs_z": float(np.max(np.abs(z))), "boundaries": int(z.size),
            "fraction_exact_in_ci": float(np.mean((lo <= exact) & (exact <= hi)))}
    return out


def paired_final(traj, constant) -> dict:
    """The final f - f* and ||x - x*||^2 of ``traj`` minus those of ``constant``, paired by seed
    (both run on the same seeds: common random numbers): the mean difference and its 95%
    Student-t interval over the seeds (:func:`.stats.mean_ci`); an interval entirely below 0
    says the method ends below ``constant`` beyond the seed-to-seed noise."""
    out = {"seeds": int(traj.subopt.shape[0])}
    for key, a, b in (("suboptimality", traj.subopt, constant.subopt),
                      ("sq_dist", traj.sq_dist, constant.sq_dist)):
        with np.errstate(invalid="ignore"):       # a seed diverged in both: nan, reported
            diff = np.asarray(a[:, -1], np.float64) - np.asarray(b[:, -1], np.float64)
        mean, lo, hi = mean_ci(diff)
        out[key] = {"mean_diff": float(mean), "ci": [float(lo), float(hi)]}
    return out


def angle_noise(constant, theory_sd, ms) -> dict:
    """The angle's noise against AutoDrop's thresholds: the sd of the epoch-to-epoch angle change
    of ``constant`` over the second half of the run (pooled over seeds and epochs; stationary
    once the bias has decayed), the §4e theory at stationarity, and each AutoDrop method's
    initial threshold theta_0 (in degrees and in units of the theory's sd)."""
    angles = np.asarray(constant.angle_deg, np.float64)
    half = angles[:, max(2, angles.shape[1] // 2):]
    changes = np.diff(half, axis=1)
    changes = changes[np.isfinite(changes)]
    thresholds = {m.name: float(m.family.angle_threshold(m.hp)) for m in ms
                  if m.family.angle_threshold is not None}
    return {"theory_change_sd_deg": float(theory_sd),
            "measured_change_sd_deg": float(changes.std(ddof=1)) if changes.size > 1 else None,
            "measured_changes": int(changes.size),
            "thresholds_deg": thresholds,
            "thresholds_in_sd": {k: t / theory_sd for k, t in thresholds.items()}}


class PreparedRun(NamedTuple):
    """A run validated and laid out once (:func:`prepare`), run by :func:`run_prepared`."""

    problem: Problem
    ctx: RunContext           # the validated budget and rate
    methods: list             # the built methods
    engine: engine.Prepared   # the samplers, the memory check, the device arrays
    seed: int
    x64: bool
    momentum: float
    um_s: Any                 # as given (a name stays a name in the record)
    s_value: float            # UM's s resolved to a number
    sampler: str


def prepare(problem: Problem, methods=None, *, lr, epochs: int, steps_per_epoch: int,
            seeds: int, seed: int = 0, momentum: float = 0.0, um_s=0.0, x64: bool = False,
            mesh=None, sampler: str = "auto") -> PreparedRun:
    """Everything :func:`run` checks and decides before it runs, done once: the arguments, the
    methods built in the run's context, the samplers and the memory check
    (:func:`.engine.prepare`).  A bad argument raises AssumptionError naming it; the CLI
    turns that into a one-line flag error before anything is compiled."""
    methods = registry.DEFAULT_METHODS if methods is None else methods
    seeds, seed, momentum, x64 = check_run_args(seeds, seed, momentum, x64, mesh, um_s)
    s_value = engine.check_um(momentum, um_s)[1]
    ctx = run_context(problem, lr, epochs, steps_per_epoch)
    ms = build_methods(methods, ctx)
    check_methods_fit(problem, ms)
    prep = engine.prepare(problem, ms, epochs=ctx.epochs, steps_per_epoch=ctx.steps_per_epoch,
                          seeds=seeds, seed=seed, momentum=momentum, um_s=um_s,
                          dtype=dtype_for(bool(x64)), mesh=mesh, lr_ref=ctx.lr, sampler=sampler)
    return PreparedRun(problem, ctx, ms, prep, seed, x64, momentum, um_s, s_value, sampler)


def run_prepared(prep: PreparedRun, start: float | None = None) -> Results:
    """Run a :class:`PreparedRun` and report it (results.json's layout); ``start``: the
    ``time.perf_counter()`` the recorded wall time counts from (default: now)."""
    start = time.perf_counter() if start is None else start
    problem, ctx, ms, momentum = prep.problem, prep.ctx, prep.methods, prep.momentum
    trajs = engine.execute(prep.engine)
    theory = problem.theory(ctx.lr, ctx.epochs, ctx.steps_per_epoch)
    theory["schedule_check"] = schedule_check(problem, trajs, ctx.lr,
                                              ctx.epochs * ctx.steps_per_epoch, momentum)
    seeds = prep.engine.seeds
    blocks = {"problem": problem.record() | {"steps_per_epoch": ctx.steps_per_epoch,
                                             "epochs": ctx.epochs, "seeds": seeds,
                                             "lr": ctx.lr, "momentum": momentum,
                                             "um_s": prep.s_value},
              "methods": _report(problem, trajs, ms, ctx, theory, momentum), "theory": theory}
    config = {"methods": [m.name for m in ms], "lr": ctx.lr, "epochs": ctx.epochs,
              "steps_per_epoch": ctx.steps_per_epoch, "seeds": seeds, "momentum": momentum,
              "um_s": prep.um_s if isinstance(prep.um_s, str) else prep.s_value,
              "sampler": prep.sampler}
    blocks["meta"] = metadata(config, prep.seed, prep.x64, time.perf_counter() - start)
    return Results(blocks)


def run(problem: Problem, methods=None, *, lr, epochs: int,
        steps_per_epoch: int, seeds: int, seed: int = 0, momentum: float = 0.0, um_s=0.0,
        x64: bool = False, mesh=None, sampler: str = "auto") -> Results:
    """Simulate every method on ``problem`` with the same seeds and budget; see the module
    docstring.  ``momentum`` beta and ``um_s`` s: unified momentum (docs/theory.md §6b; s a
    number >= 0 or "heavy_ball", "nesterov", "sgd"; default heavy ball), recorded with s
    resolved to a number.  ``sampler``: "auto" (the exact epoch sampler, docs/theory.md §9,
    for every method that needs only epoch boundaries on model Q; the others step by step),
    "steps" or "exact" (:func:`.engine.choose_samplers`).  Returns :class:`~.results.Results`
    (results.json's layout, docs/results.md).  ``methods``: names from the registry or
    :class:`~.methods.base.Method` objects; default :data:`~.methods.DEFAULT_METHODS` (the
    package's AutoDrop and the constant-rate reference).  The same as
    ``run_prepared(prepare(...))``."""
    start = time.perf_counter()
    return run_prepared(prepare(problem, methods, lr=lr, epochs=epochs,
                                steps_per_epoch=steps_per_epoch, seeds=seeds, seed=seed,
                                momentum=momentum, um_s=um_s, x64=x64, mesh=mesh,
                                sampler=sampler), start)


def point_name(method: str, point: dict, full: bool = False) -> str:
    """The name of ``method`` at the hyperparameters ``point``: ``method[k1=v1,k2=v2]``, floats
    in ``g`` format (six digits), or with ``full`` in full (:func:`sweep` uses it where two
    distinct points would share a six-digit name)."""
    return method + "[" + ",".join(
        f"{k}={(repr(v) if full else f'{v:g}')}" if isinstance(v, float) else f"{k}={v}"
        for k, v in point.items()) + "]"


def sweep(problem: Problem, method: str, grid: dict, *, lr, epochs: int, steps_per_epoch: int,
          seeds: int, seed: int = 0, momentum: float = 0.0, um_s=0.0, x64: bool = False,
          mesh=None, sampler: str = "auto", client=None) -> Results:
    """Every point of the Cartesian ``grid`` {hyperparameter: values} of the registered
    ``method`` (its factory's keyword arguments, e.g. ``threshold_z``, ``extra_epochs`` for
    ``autodrop``; ``lr`` sweeps the initial rate), on the same seeds, as one compiled program.
    Methods are named ``method[k1=v1,k2=v2]``.

    ``client``: a Dask client (:func:`.executor.cluster`); each grid point is then one unit on
    its cluster, run as :func:`run` of that point alone (one program shape for every point:
    each worker compiles it once), gathered in the grid's order.  Each point's numbers are
    those of its own run, the same seeds as in the one-program sweep; XLA may round a
    one-point program differently in the last bits (tests/test_executor.py compares them)."""
    check_run_args(seeds, seed, momentum, x64, mesh, um_s)  # before the grid's methods are built
    from .executor import check_client
    if check_client(client) is not None and mesh is not None:
        raise AssumptionError("client: a sweep runs on a Dask cluster or on a mesh, not both")
    if not isinstance(method, str) or method not in registry.REGISTRY:
        raise AssumptionError(f"method: unknown method {method!r}; known: "
                              f"{', '.join(registry.REGISTRY)}")
    if not isinstance(grid, dict) or not grid:
        raise AssumptionError(f"grid: need a non-empty dict of non-empty value lists, got "
                              f"{grid!r}")
    try:             # each value list read once (a generator is used up by reading it)
        grid = {k: list(vs) for k, vs in grid.items()}
    except TypeError:
        raise AssumptionError(f"grid: need a non-empty dict of non-empty value lists, got "
                              f"{grid!r}") from None
    if not all(grid.values()):
        raise AssumptionError(f"grid: need a non-empty dict of non-empty value lists, got "
                              f"{grid!r}")
    base = run_context(problem, lr, epochs, steps_per_epoch)
    factory = registry.REGISTRY[method].factory
    ms = []
    points = list(itertools.product(*grid.values()))
    short = {point_name(method, dict(zip(grid, values))) for values in points}
    full = len(short) < len(set(points))     # distinct points alike in six digits: full names
    for values in points:
        point = dict(zip(grid, values))
        ctx = run_context(problem, point.pop("lr"), epochs, steps_per_epoch) \
            if "lr" in point else base
        name = point_name(method, dict(zip(grid, values)), full)
        try:
            m = factory(ctx, **point)
        except TypeError as exc:
            raise AssumptionError(f"grid: {method} does not take these hyperparameters "
                                  f"({exc})") from None
        ms.append(m._replace(name=name))
    kw = dict(lr=base.lr, epochs=epochs, steps_per_epoch=steps_per_epoch, seeds=seeds,
              seed=seed, momentum=momentum, um_s=um_s, x64=x64, sampler=sampler)
    if client is None:
        return run(problem, ms, mesh=mesh, **kw)
    build_methods(ms, base)     # every point checked together (a name given twice) before any runs
    import functools

    from . import executor
    start = time.perf_counter()
    parts = executor.map_units(functools.partial(_run_point, problem, kw), ms, client=client,
                               labels=[m.name for m in ms], desc="sweep")
    blocks = dict(parts[0].blocks)
    blocks["methods"] = {k: b for p in parts for k, b in p.blocks["methods"].items()}
    blocks["theory"] = dict(blocks["theory"], schedule_check={
        k: c for p in parts for k, c in p.blocks["theory"].get("schedule_check", {}).items()})
    config = dict(blocks["meta"]["config"], methods=[m.name for m in ms], units=len(ms))
    blocks["meta"] = metadata(config, seed, x64, time.perf_counter() - start)
    return Results(blocks)


def _run_point(problem, kw, method) -> Results:
    """One grid point of :func:`sweep` on a cluster: :func:`run` of that method alone."""
    return run(problem, [method], **kw)
