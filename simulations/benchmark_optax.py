"""Per-step cost of the optax AutoDrop against plain ``optax.sgd`` with the same momentum,
measured in one process.

    python -m simulations.benchmark_optax [--quick] [--dim D] [--steps N] [--repeats R]
        [--steps-per-epoch K] [--momentum M] [--out DIR] [--quiet]

Variants (the same momentum beta, default 0.9, and rate 0.01; every AutoDrop variant at
K = ``--steps-per-epoch`` steps per epoch, so a run of N steps crosses N / K boundaries):
  sgd             ``optax.sgd(lr, momentum=beta)``, the baseline;
  published       ``chain(sgd, scale_by_autodrop(AutoDropConfig.published(lr), K, momentum=beta))``;
  package         the same with ``AutoDropConfig.package(lr)`` (its estimate averages every
                  step: one accumulation per step once the angle has saturated, here from the
                  start, the state made saturated so that the cost is the steady one);
  autodrop_sgd    ``autodrop_sgd(AutoDropConfig.package(lr), K, momentum=beta)`` (unified
                  momentum, the simulator's optimizer; the same saturated state).
Two workloads:
  quadratic  d = ``--dim`` (default 10^6) float32 parameters, the cheap gradient
             g = h * (x - c) (h, c fixed vectors);
  cnn        the MNIST-1D reference ConvNet's shape (inputs of length 40, three 1-D
             convolutions of 25 channels, kernel 5/3/3, stride 2, ReLU, a linear layer to 10
             classes; 5,060 parameters), softmax cross-entropy on a random batch of 100 (timing
             only; the data do not matter).
Two ways of running N steps, each timed: ``scan`` (the N steps in one jitted ``lax.scan``)
and ``loop`` (a jitted step called N times from Python with its arguments donated, as a
training loop does, blocking at the end).  Each repeat
runs every variant once, in an order rotated per repeat (interleaved, so that the load of a
shared machine falls on all variants alike); reported: the median over repeats of the time per
step, the spread (min-max) and the overhead median(variant) / median(sgd) - 1.  Compilation is
excluded (one warm-up call per variant).  Writes DIR/benchmark_optax.json.  A benchmark, not a
test: no test asserts a wall time.
"""

from __future__ import annotations

import json
import sys
import time

from autodrop_theory._validate import INT32_MAX

from . import cli

PROG = "simulations.benchmark_optax"
VARIANTS = ("sgd", "published", "package", "autodrop_sgd")
LR = 0.01


def _transform(name, K, beta):   # noqa: N803
    import optax

    from autodrop_theory import optax as ado
    from autodrop_theory.rule import AutoDropConfig
    sgd = optax.sgd(LR, momentum=beta or None)
    if name == "sgd":
        return sgd
    if name == "published":
        return optax.chain(sgd, ado.scale_by_autodrop(AutoDropConfig.published(LR), K,
                                                      momentum=beta))
    if name == "package":
        return optax.chain(sgd, ado.scale_by_autodrop(AutoDropConfig.package(LR), K,
                                                      momentum=beta))
    return ado.autodrop_sgd(AutoDropConfig.package(LR), K, momentum=beta)


def _saturated(state):
    """The state with its AutoDrop part marked as after a first drop (num_fires = 1): the
    estimate then accumulates every step, the steady per-step cost."""
    from autodrop_theory.optax import ScaleByAutoDropState

    def mark(s):
        if isinstance(s, ScaleByAutoDropState):
            return s._replace(rule=s.rule._replace(num_fires=s.rule.num_fires + 1))
        return s
    import jax
    return jax.tree_util.tree_map(mark, state,
                                  is_leaf=lambda s: isinstance(s, ScaleByAutoDropState))


def _quadratic(dim):
    import jax.numpy as jnp
    h = jnp.linspace(0.1, 1.0, dim, dtype=jnp.float32)
    c = jnp.cos(jnp.arange(dim, dtype=jnp.float32))
    return jnp.zeros(dim, jnp.float32), (lambda x: h * (x - c))


def _cnn():
    """The MNIST-1D ConvNet's shape in plain JAX: (params, grad(params))."""
    import jax
    import jax.numpy as jnp
    keys = jax.random.split(jax.random.PRNGKey(0), 6)

    def he(k, shape, fan_in):
        return jax.random.normal(k, shape, jnp.float32) * jnp.sqrt(2.0 / fan_in)
    params = {"c1": he(keys[0], (5, 1, 25), 5), "b1": jnp.zeros(25),
              "c2": he(keys[1], (3, 25, 25), 75), "b2": jnp.zeros(25),
              "c3": he(keys[2], (3, 25, 25), 75), "b3": jnp.zeros(25),
              "w": he(keys[3], (125, 10), 125), "b": jnp.zeros(10)}
    x = jax.random.normal(keys[4], (100, 40, 1), jnp.float32)
    y = jax.random.randint(keys[5], (100,), 0, 10)

    def conv(h, w, b):
        return jax.nn.relu(jax.lax.conv_general_dilated(
            h, w, (2,), [(1, 1)], dimension_numbers=("NWC", "WIO", "NWC")) + b)

    def loss(p):
        h = conv(conv(conv(x, p["c1"], p["b1"]), p["c2"], p["b2"]), p["c3"], p["b3"])
        logits = h.reshape(h.shape[0], -1) @ p["w"] + p["b"]
        return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(y.size), y])
    return params, jax.grad(loss)


def _runners(tx, params, grad, n, saturate):
    """(scan(), loop()): n steps from fresh states, each blocking until done."""
    import jax
    import jax.numpy as jnp
    import optax
    state0 = tx.init(params)
    if saturate:
        state0 = _saturated(state0)

    def step(carry, _=None):
        p, s = carry
        u, s = tx.update(grad(p), s, p)
        return (optax.apply_updates(p, u), s), None

    scan = jax.jit(lambda c: jax.lax.scan(step, c, None, length=n)[0])
    one = jax.jit(lambda c: step(c)[0], donate_argnums=0)   # a training loop donates its state

    def run_scan():
        jax.block_until_ready(scan((params, state0)))

    def run_loop():
        c = jax.tree_util.tree_map(jnp.copy, (params, state0))    # the first call donates it
        for _ in range(n):
            c = one(c)
        jax.block_until_ready(c)
    return run_scan, run_loop


def measure(workload, dim, n, K, beta, repeats):   # noqa: N803
    """{mode: {variant: [seconds per step, per repeat]}} for ``workload``."""
    params, grad = _quadratic(dim) if workload == "quadratic" else _cnn()
    runs = {v: _runners(_transform(v, K, beta), params, grad, n, v != "sgd") for v in VARIANTS}
    for scan, loop in runs.values():            # compile (and warm) every program first
        scan()
        loop()
    times = {"scan": {v: [] for v in VARIANTS}, "loop": {v: [] for v in VARIANTS}}
    for r in range(repeats):
        order = VARIANTS[r % len(VARIANTS):] + VARIANTS[:r % len(VARIANTS)]
        for mode, which in (("scan", 0), ("loop", 1)):
            for v in order:
                t0 = time.perf_counter()
                runs[v][which]()
                times[mode][v].append((time.perf_counter() - t0) / n)
    return times


def summarise(times) -> list:
    """Rows (mode, variant, median us/step, min, max, overhead vs sgd)."""
    import numpy as np
    rows = []
    for mode, per in times.items():
        base = float(np.median(per["sgd"]))
        for v, ts in per.items():
            med = float(np.median(ts))
            rows.append({"mode": mode, "variant": v, "median_us": 1e6 * med,
                         "min_us": 1e6 * min(ts), "max_us": 1e6 * max(ts),
                         "overhead": med / base - 1.0})
    return rows


DEFAULTS = {"dim": 1_000_000, "steps": 1000, "repeats": 7}
QUICK = {"dim": 100_000, "steps": 200, "repeats": 3}
STEPS = cli.typed(int, lambda v: 1 <= v <= INT32_MAX,          # the optax step count is int32
                  f"an integer in [1, {INT32_MAX}]")


def _check_dim(dim: int) -> None:
    """Refuse (a flag error) a --dim whose states cannot fit: per variant, the parameters and
    about memory.STATE_VECTORS parameter-sized vectors of float32 (gradient, momentum, the
    rule's snapshots)."""
    from . import memory
    free, nbytes = memory.available(), 4 * memory.STATE_VECTORS * len(VARIANTS) * dim
    if free is not None and nbytes > free:
        raise cli.CliError(f"--dim: the {len(VARIANTS)} variants' states need about "
                           f"{nbytes / 2 ** 30:.3g} GiB, more than the {free / 2 ** 30:.3g} GiB "
                           "available")


def _parser():
    p = cli.OneLineParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a smaller run (the values below)")
    p.add_argument("--dim", type=cli.typed(int, lambda v: v >= 1, "an integer >= 1"),
                   default=None, help="parameters of the quadratic")
    p.add_argument("--steps", type=STEPS, default=None, help="steps per timed run")
    p.add_argument("--repeats", type=cli.typed(int, lambda v: v >= 1, "an integer >= 1"),
                   default=None, help="timed runs per variant and mode")
    p.add_argument("--steps-per-epoch", type=STEPS, default=100, help="K")
    p.add_argument("--momentum", type=cli.typed(float, lambda v: 0 <= v < 1, "a value in [0, 1)"),
                   default=0.9, help="beta")
    p.add_argument("--out", default="results/benchmark_optax", help="output folder")
    p.add_argument("--quiet", action="store_true", help="print nothing")
    cli.show_defaults(p, DEFAULTS, QUICK)
    return p


def _body(argv) -> int:
    args = _parser().parse_args(argv)
    cli.check_out(args.out)
    size = QUICK if args.quick else DEFAULTS
    dim = args.dim or size["dim"]
    _check_dim(dim)
    n = args.steps or size["steps"]
    repeats = args.repeats or size["repeats"]
    import os
    record = {"dim": dim, "steps": n, "repeats": repeats, "K": args.steps_per_epoch,
              "momentum": args.momentum, "cpus": os.cpu_count(), "workloads": {}}
    for workload in ("quadratic", "cnn"):
        times = measure(workload, dim, n, args.steps_per_epoch, args.momentum, repeats)
        record["workloads"][workload] = {"times_s": times, "summary": summarise(times)}
        if not args.quiet:
            print(f"{workload}" + (f" d={dim}" if workload == "quadratic" else "") +
                  f", {n} steps, K={args.steps_per_epoch}, beta={args.momentum}, "
                  f"{repeats} repeats")
            cli.print_table(["mode", "variant", "median us/step", "min", "max", "overhead"],
                            [[r["mode"], r["variant"], f"{r['median_us']:.1f}",
                              f"{r['min_us']:.1f}", f"{r['max_us']:.1f}",
                              f"{100 * r['overhead']:+.1f}%"]
                             for r in record["workloads"][workload]["summary"]])
    from .provenance import metadata
    record["meta"] = metadata({"argv": list(sys.argv[1:] if argv is None else argv)}, 0,
                              False, 0.0)
    from pathlib import Path
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmark_optax.json").write_text(json.dumps(record, indent=1) + "\n")
    if not args.quiet:
        print(f"wrote {out / 'benchmark_optax.json'}")
    return 0


def main(argv=None) -> int:
    return cli.main(PROG, _body, argv)


if __name__ == "__main__":
    cli.entry_point(main)
