"""Where the cold compile time of ``python -m simulations.compare --quick`` goes.

    PYTHONPATH=. python tools/compile_profile.py [--dim 10] [--out profile.json]

For one setting of ``compare --quick`` (kappa = 100, sigma^2 = 1, E = 80, K = 10, 8 seeds, every
method, lr = 0.5 / L), the simulator's program is traced, lowered and compiled by XLA with the
persistent cache off, in these variants: every method at once (what the study compiles), each
method family alone, every method step by step (no exact sampler), and every method with the
adaptive-schedule check replaced by a no-op (a measurement only: that variant's numbers are
not the study's).  Prints seconds per stage; the sum of the families alone against all at once
says whether the program's size is the sum of its parts.  Timings, never asserted.
"""

from __future__ import annotations

import argparse
import json
import time


def _time(problem, ms, sampler="auto"):
    import jax.numpy as jnp

    from simulations import engine
    prep = engine.prepare(problem, ms, epochs=80, steps_per_epoch=10, seeds=8,
                          dtype=jnp.float32, lr_ref=0.5, sampler=sampler)
    import jax
    jax.clear_caches()               # trace afresh: no variant reuses another's jaxpr
    t0 = time.perf_counter()
    lowered = engine._simulate.lower(*prep.static, *prep.args)
    t1 = time.perf_counter()
    lowered.compile()
    t2 = time.perf_counter()
    return {"trace_lower_s": t1 - t0, "xla_compile_s": t2 - t1}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dim", type=int, default=10)
    p.add_argument("--out", default=None)
    a = p.parse_args()
    from simulations import compile_cache
    compile_cache.enable("none")
    from simulations import engine, experiment, methods as registry
    from simulations.problems import default_problem
    problem = default_problem(dim=a.dim, mu=0.01, L=1.0, sigma_sq=1.0, seed=0)
    ctx = experiment.run_context(problem, 0.5, 80, 10)
    ms = experiment.build_methods(registry.available(True), ctx)
    out = {"dim": a.dim, "all methods": _time(problem, ms)}
    samplers = dict(zip(dict.fromkeys(m.family for m in ms),
                        engine.prepare(problem, ms, epochs=80, steps_per_epoch=10,
                                       seeds=8).samplers))
    for family in dict.fromkeys(m.family for m in ms):
        group = [m for m in ms if m.family is family]
        out[f"family {family.name} ({samplers[family]}, {len(group)} methods)"] = _time(
            problem, group)
    out["all methods, step by step"] = _time(problem, ms, "steps")
    from simulations import monitors
    saved = engine.MONITORS
    engine.MONITORS = tuple(m for m in saved if not isinstance(m, monitors.ScheduleCheck))
    try:
        out["all methods, schedule check off"] = _time(problem, ms)
    finally:
        engine.MONITORS = saved
    fam = [v["xla_compile_s"] for k, v in out.items() if k.startswith("family")]
    out["sum of the families alone (xla)"] = sum(fam)
    for k, v in out.items():
        print(f"{k:55s} {v}")
    if a.out:
        with open(a.out, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
