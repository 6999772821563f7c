"""Speed of the simulators, measured in one process against a NumPy baseline and the cost of the
random numbers alone.

    python -m simulations.benchmark [--quick] [--dim D] [--steps-per-epoch K] [--seeds S]
        [--epochs E] [--lr LR] [--seed S] [--out DIR] [--quiet]

For each d in {100, 10^4, 10^6} and K in {10, 100, 391} (``--dim``/``--steps-per-epoch`` keep one
value; ``--quick``: d <= 10^4, K <= 100), constant-rate SGD on the default quadratic of that d,
the same seeds and budget, timed four ways:
  numpy   the baseline, vectorised over seeds and coordinates, one Python iteration per step
          (the usual way to write it), float32;
  steps   the JAX step-level simulator (``sampler="steps"``), float32;
  exact   the JAX exact epoch sampler (``sampler="exact"``, docs/theory.md §9);
  rng     the floor: the step-level simulator's normals drawn alone (the same keys, shapes and
          generator, summed so that nothing is optimised away).
JAX times are the best of two calls after a first call that compiles.  The budget per setting
is about WORK normals (S seeds x E epochs x K x d; fewer seeds where d K is large); ``--seeds``
and ``--epochs`` fix them instead.  Also: the per-number cost of JAX's PRNG implementations
(the package uses the cheapest: philox4x32), and the compile and run times of a 20-point AutoDrop
sweep (one compilation).  Prints one table and writes DIR/benchmark.json (with the process's
peak memory).  A benchmark, not a test: no test asserts a wall time.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np

from autodrop_theory.errors import AssumptionError

from . import cli

PROG = "simulations.benchmark"
DIMS, STEPS = (100, 10_000, 1_000_000), (10, 100, 391)
QUICK_DIMS, QUICK_STEPS = (100, 10_000), (10, 100)
WORK, QUICK_WORK = 2e8, 5e7        # normals per setting and run
PRNG_IMPLS = ("threefry2x32", "philox4x32", "rbg")


def numpy_baseline(model, lr, epochs, K, seeds, seed=0):
    """Constant-rate SGD in NumPy: (S, E+1) float32 ||x||^2 at the epoch boundaries."""
    rng = np.random.default_rng(seed)
    h, sd = model.hessian_eigs.astype(np.float32), np.sqrt(model.noise_var).astype(np.float32)
    lr = np.float32(lr)
    x = np.tile(model.y0.astype(np.float32), (seeds, 1))
    out = np.empty((seeds, epochs + 1), np.float32)
    out[:, 0] = (x * x).sum(axis=1)
    for e in range(epochs):
        noise = rng.standard_normal((K, seeds, h.size), dtype=np.float32) * sd
        for k in range(K):
            x = x - lr * (h * x + noise[k])
        out[:, e + 1] = (x * x).sum(axis=1)
    return out


def budget(dim: int, K: int, work: float, seeds=None, epochs=None):
    """(seeds, epochs) of one setting: about ``work`` normals, at least 2 epochs, at most 300,
    seeds halved (down to 2) where even 2 epochs would draw four times ``work``."""
    s = seeds or 8
    e = epochs or int(min(300, max(2, round(work / (s * K * dim)))))
    while seeds is None and s > 2 and s * e * K * dim > 4 * work:
        s //= 2
    return s, e


def _best(fn, repeats=2):
    """(first call, best of ``repeats`` more) in seconds; ``fn`` blocks until done."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return first, min(times)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024      # Linux: KiB


def rng_floor(problem, keys, epochs, K):
    """A compiled function drawing the step-level simulator's normals alone (as the engine
    does: per seed, per epoch ``kind.epoch_noise(data, fold_in(key, e), K)``)."""
    import jax
    import jax.numpy as jnp
    data = problem.data(jnp.float32)

    @jax.jit
    def draw(keys):
        def one(key):
            def epoch(acc, e):     # read row by row, as the simulator's scan over steps does
                noise = problem.kind.epoch_noise(data, jax.random.fold_in(key, e), K)
                return jax.lax.scan(lambda a, xi: (a + xi, None), acc, noise)[0], None
            return jax.lax.scan(epoch, jnp.zeros(problem.dim, jnp.float32),
                                jnp.arange(epochs))[0]
        return jax.vmap(one)(keys)

    return lambda: draw(keys).block_until_ready()


def setting(dim, K, S, E, lr, seed):
    """One row: the four timings of constant-rate SGD at (d, K, S, E)."""
    import jax.numpy as jnp

    from . import engine
    from .methods import schedules
    from .methods.base import RunContext
    from .problems import QuadraticProblem, default_model
    model = default_model(dim=dim)
    problem = QuadraticProblem(model)
    problem.check_lr(lr)
    ctx = RunContext(lr=lr, epochs=E, steps_per_epoch=K, mu=model.mu, L=model.L, dim=dim)
    methods = [schedules.constant(ctx)]
    keys = engine.seed_keys(seed, S)
    out = {}

    def run(sampler):
        def go():
            out[sampler] = engine.simulate(problem, methods, epochs=E, steps_per_epoch=K,
                                           keys=keys, dtype=jnp.float32,
                                           sampler=sampler)["constant"]
        return go

    row = {"dim": dim, "steps_per_epoch": K, "seeds": S, "epochs": E,
           "normals": S * E * K * dim}
    for name, fn in (("steps", run("steps")), ("exact", run("exact")),
                     ("rng", rng_floor(problem, keys, E, K))):
        row[f"{name}_compile_s"], row[f"{name}_s"] = _best(fn)
    t0 = time.perf_counter()
    np_out = numpy_baseline(model, lr, E, K, S, seed)
    row["numpy_s"] = time.perf_counter() - t0
    # the three simulations of one experiment agree (final mean error, in standard errors)
    ref = np_out[:, -1].astype(np.float64)
    for name in ("steps", "exact"):
        a = out[name].sq_dist[:, -1].astype(np.float64)
        se = np.sqrt(a.var(ddof=1) / S + ref.var(ddof=1) / S)
        row[f"{name}_vs_numpy_z"] = float((a.mean() - ref.mean()) / se) if se > 0 else 0.0
    row["peak_rss_mib"] = _peak_mib()
    return row


def prng_costs(dim=10_000, K=100, S=8) -> dict:
    """ns per float32 normal of each PRNG implementation, vmapped over S seed keys."""
    import jax
    import jax.numpy as jnp
    costs = {}
    for impl in PRNG_IMPLS:
        keys = jax.random.split(jax.random.key(0, impl=impl), S)
        draw = jax.jit(jax.vmap(lambda k: jax.random.normal(jax.random.fold_in(k, 1), (K, dim),
                                                            jnp.float32)))
        _, best = _best(lambda: draw(keys).block_until_ready())
        costs[impl] = best * 1e9 / (S * K * dim)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    rng.standard_normal((S, K, dim), dtype=np.float32)
    costs["numpy"] = (time.perf_counter() - t0) * 1e9 / (S * K * dim)
    return costs


def sweep_compile(seed: int) -> dict:
    """A 20-point sweep of AutoDrop's threshold: first call (compile + run) and second call
    (run), and the number of programs compiled."""
    from . import engine, experiment
    from .problems import default_problem
    problem = default_problem(100)
    grid = {"threshold_z": list(np.linspace(0.1, 2.0, 20))}

    def go():
        experiment.sweep(problem, "autodrop", grid, lr=0.5, epochs=100, steps_per_epoch=10,
                         seeds=8, seed=seed)
    before = engine.traces()
    first, best = _best(go, repeats=1)
    return {"points": 20, "first_call_s": first, "second_call_s": best,
            "compiled_programs": engine.traces() - before}


def _parser():
    p = cli.make_parser(PROG, __doc__.splitlines()[0], omit=("methods", "no_figures", "x64"))
    grid = {"dim": (DIMS, QUICK_DIMS), "steps_per_epoch": (STEPS, QUICK_STEPS)}
    for action in p._actions:       # argparse keeps its flags here (documented in its source)
        if action.dest in grid:
            full, quick = grid[action.dest]
            action.help += (f" (default: each of {', '.join(map(str, full))}; --quick: "
                            f"{', '.join(map(str, quick))})")
    return p


def _table(rows, costs, sweep):
    out = [[f"{r['dim']:g}", r["steps_per_epoch"], r["seeds"], r["epochs"],
            f"{r['numpy_s']:.3g}", f"{r['steps_s']:.3g}", f"{r['exact_s']:.3g}",
            f"{r['rng_s']:.3g}", f"{r['numpy_s'] / r['steps_s']:.2f}",
            f"{r['steps_s'] / r['rng_s']:.2f}", f"{r['steps_s'] / r['exact_s']:.1f}"]
           for r in rows]
    cli.print_table(["d", "K", "S", "E", "numpy s", "steps s", "exact s", "rng s",
                     "numpy/steps", "steps/rng", "steps/exact"], out)
    print("ns per float32 normal: " + ", ".join(f"{k} {v:.2f}" for k, v in costs.items()))
    print(f"20-point AutoDrop sweep: first call {sweep['first_call_s']:.2f} s (compiles "
          f"{sweep['compiled_programs']} program), second call {sweep['second_call_s']:.2f} s")


def _body(argv) -> int:
    p = _parser()
    args = cli.parse(p, argv, dict(seeds=None, epochs=None, lr=0.5, out="results/benchmark"),
                     {})
    dims = (args.dim,) if args.dim else (QUICK_DIMS if args.quick else DIMS)
    steps = (args.steps_per_epoch,) if args.steps_per_epoch else (
        QUICK_STEPS if args.quick else STEPS)
    work = QUICK_WORK if args.quick else WORK
    plan = [(d, k, *budget(d, k, work, args.seeds, args.epochs)) for d in dims for k in steps]
    for d, k, s, e in plan:
        # the NumPy baseline holds one epoch's noise and the iterate for all seeds too
        cli.check_sizes(d, 2, e, k, s)
    from .problems import default_model
    from autodrop_theory.quadratic import check_stable_lr
    try:
        check_stable_lr(default_model(dim=2).hessian_eigs, args.lr)   # spectrum in [mu, L]
    except AssumptionError as exc:
        raise cli.flag_error(exc) from None
    rows = [setting(d, k, s, e, args.lr, args.seed)
            for d, k, s, e in cli.progress(plan, args.quiet, "benchmark")]
    costs = prng_costs(dim=min(10_000, max(dims)), K=min(100, max(steps)))
    sweep = sweep_compile(args.seed)
    from .provenance import metadata
    record = {"settings": rows, "ns_per_normal": costs, "sweep": sweep,
              "peak_rss_mib": _peak_mib(),
              "meta": metadata({"lr": args.lr, "work": work, "argv": list(
                  sys.argv[1:] if argv is None else argv)}, args.seed, False, 0.0)}
    if not args.quiet:
        _table(rows, costs, sweep)
    from pathlib import Path
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmark.json").write_text(json.dumps(record, indent=1) + "\n")
    if not args.quiet:
        print(f"wrote {out / 'benchmark.json'}")
    return 0


def main(argv=None) -> int:
    return cli.main(PROG, _body, argv)


if __name__ == "__main__":
    cli.entry_point(main)
