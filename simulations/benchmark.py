"""Speed of the JAX simulator against a NumPy baseline, measured in the same process.

    python -m simulations.benchmark [--dim D] [--seeds S] [--epochs E] [--steps-per-epoch K]

Both run constant-rate SGD on the default quadratic for the same seeds and budget.  The NumPy
baseline is vectorised over seeds and dimensions (one Python iteration per step, the usual way to
write it); the JAX simulator is one jit(vmap(scan)) call.  Prints the wall time of each (JAX
after a warm-up call, so compilation is reported separately) and the speed ratio.  This is a
benchmark, not a test: no test asserts a wall-clock time.
"""

from __future__ import annotations

import time

import numpy as np

from autodrop_theory.errors import AssumptionError

from . import cli

PROG = "simulations.benchmark"


def numpy_baseline(model, lr, epochs, K, seeds, seed=0):
    rng = np.random.default_rng(seed)
    h, sd = model.hessian_eigs.astype(np.float32), np.sqrt(model.noise_var).astype(np.float32)
    x = np.tile(model.y0.astype(np.float32), (seeds, 1))
    out = np.empty((seeds, epochs + 1), np.float32)
    out[:, 0] = (x * x).sum(axis=1)
    for e in range(epochs):
        noise = rng.standard_normal((K, seeds, h.size), dtype=np.float32) * sd
        for k in range(K):
            x = x - lr * (h * x + noise[k])
        out[:, e + 1] = (x * x).sum(axis=1)
    return out


def _parser():
    """Only the flags the benchmark reads."""
    return cli.make_parser(PROG, __doc__.splitlines()[0],
                           omit=("methods", "no_figures", "x64", "out", "quiet"))


def _body(argv) -> int:
    args = cli.parse(_parser(), argv, dict(dim=100, seeds=100, epochs=300, steps_per_epoch=10,
                                           lr=0.5), dict(seeds=32, epochs=100))
    # the NumPy baseline holds one epoch's noise and the iterate for all seeds too
    cli.check_sizes(args.dim, 2, args.epochs, args.steps_per_epoch, args.seeds)
    import jax.numpy as jnp

    from . import engine, experiment
    from .methods import schedules
    from .problems import QuadraticProblem, default_model
    model = default_model(dim=args.dim)
    E, K, S = args.epochs, args.steps_per_epoch, args.seeds
    problem = QuadraticProblem(model)
    try:
        ctx = experiment.run_context(problem, args.lr, E, K)
    except AssumptionError as exc:
        raise cli.flag_error(exc) from None
    c = schedules.constant(ctx)
    keys = engine.seed_keys(args.seed, S)

    def run(keys):
        return engine.simulate(problem, [c], epochs=E, steps_per_epoch=K, keys=keys,
                               dtype=jnp.float32)["constant"]

    t0 = time.perf_counter()
    run(keys)
    first = time.perf_counter() - t0
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        jax_out = run(keys)
        times.append(time.perf_counter() - t0)
    t_jax = min(times)
    t0 = time.perf_counter()
    np_out = numpy_baseline(model, args.lr, E, K, S, args.seed)
    t_np = time.perf_counter() - t0
    steps = E * K * S
    print(f"d={model.dim} seeds={S} epochs={E} K={K}: {steps} seed-steps")
    print(f"numpy baseline : {t_np:8.3f} s  ({steps / t_np:,.0f} seed-steps/s)")
    print(f"jax (compiled) : {t_jax:8.3f} s  ({steps / t_jax:,.0f} seed-steps/s); "
          f"first call incl. compile {first:.3f} s")
    print(f"speed ratio numpy / jax: {t_np / t_jax:.2f}x")
    # a sanity check that both computed the same experiment (means agree statistically)
    a, b = jax_out.sq_dist[:, -1], np_out[:, -1]
    se = np.sqrt(a.var(ddof=1) / S + b.var(ddof=1) / S)
    print(f"final mean ||x||^2: jax {a.mean():.4g}, numpy {b.mean():.4g} "
          f"(difference {abs(a.mean() - b.mean()) / se:.2f} standard errors)")
    return 0


def main(argv=None) -> int:
    return cli.main(PROG, _body, argv)


if __name__ == "__main__":
    cli.entry_point(main)
