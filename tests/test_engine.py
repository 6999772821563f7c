"""The engine and the public run API: one compilation per program structure, sweeps equal to
per-point runs, sharding without changing a number, users' own problems end to end, bad input
refused before anything is compiled, and results that load back and redraw."""

import json
import os
import subprocess
import sys
import textwrap

import conftest
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import simulations as sim
from autodrop_theory import AssumptionError
from simulations import engine, problems
from simulations.results import cr_ranks
from simulations.methods import autodrop
from simulations.methods.base import RunContext

PROBLEM = problems.default_problem(dim=12, seed=5)
BUDGET = dict(lr=0.5, epochs=30, steps_per_epoch=5, seeds=4)
Z = np.linspace(0.05, 2.0, 20)


def test_sweep_point_names_are_distinct_and_a_grid_may_be_any_iterable():
    """Two grid values that ``g`` format prints alike get their full names (a clash once
    refused a valid grid as 'given twice'); a generator of values is read once, not used up by
    the check (it once left an empty product)."""
    res = sim.sweep(PROBLEM, "constant", {"lr": (x for x in (0.3, 0.3000001))}, **BUDGET)
    assert list(res.methods) == ["constant[lr=0.3]", "constant[lr=0.3000001]"]
    res = sim.sweep(PROBLEM, "constant", {"lr": [0.3, 0.5]}, **BUDGET)     # six digits
    assert list(res.methods) == ["constant[lr=0.3]", "constant[lr=0.5]"]


def test_a_20_point_sweep_compiles_once_and_equals_per_point_runs():
    before = engine.traces()
    res = sim.sweep(PROBLEM, "autodrop", {"threshold_z": Z.tolist(), "extra_epochs": [3]},
                    **BUDGET)
    assert engine.traces() - before == 1
    assert len(res.methods) == 20
    # the same values again, and other values of the same family: no new program
    sim.sweep(PROBLEM, "autodrop", {"threshold_z": (Z + 0.01).tolist(), "extra_epochs": [3]},
              **BUDGET)
    assert engine.traces() - before == 1
    ctx = RunContext(lr=0.5, epochs=30, steps_per_epoch=5, mu=PROBLEM.mu, L=PROBLEM.L,
                     dim=PROBLEM.dim)
    drops = [len(row) for m in res.methods.values() for row in m["drop_epochs"]]
    assert min(drops) < max(drops)        # the grid spans behaviours (not a vacuous equality)
    for i in (0, 7, 19):
        alone = sim.run(PROBLEM, [autodrop.autodrop(ctx, threshold_z=float(Z[i]),
                                                    extra_epochs=3)], **BUDGET)
        swept = res.methods[f"autodrop[threshold_z={Z[i]:g},extra_epochs=3]"]
        for key in ("mean_sq_dist", "angle_deg", "lr"):
            np.testing.assert_array_equal(np.asarray(swept[key]),
                                          np.asarray(alone.methods["autodrop"][key]))
        assert swept["drop_epochs"] == alone.methods["autodrop"]["drop_epochs"]


def test_problem_data_is_not_compiled_in():
    """Two instances of one shape (other spectrum, noise, start) share the program, and the
    second run is b's: its mean agrees with b's exact theory at every boundary within 4
    standard errors (64 seeds; |z| > 4 has probability 6e-5 per boundary under the CLT, 2e-3
    over the 31 boundaries)."""
    a = problems.quadratic(np.linspace(0.1, 1, 12), np.full(12, 0.01), np.ones(12))
    b = problems.quadratic(np.linspace(0.2, 2, 12), np.full(12, 0.3), -np.ones(12))
    budget = BUDGET | {"seeds": 64}
    ra = sim.run(a, ["constant"], **budget)
    before = engine.traces()
    rb = sim.run(b, ["constant"], **budget)
    assert engine.traces() == before
    assert rb.theory["constant_agreement"]["max_abs_z"] <= 4.0
    assert ra.methods["constant"]["mean_sq_dist"][-1] != rb.methods["constant"]["mean_sq_dist"][-1]


def test_user_data_and_user_gradient_oracle_end_to_end():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 3))
    y = np.where(X @ [1.0, -1.0, 0.5] + 0.3 * rng.standard_normal(80) > 0, "yes", "no")
    # two cheap methods: every method on a user's oracle is tests/test_custom_problem.py's
    res = sim.run(problems.logistic_regression(X, y, batch_size=8), ["step_decay", "constant"],
                  lr=1.0, epochs=6, steps_per_epoch=4, seeds=3)
    assert res.problem["n_train"] == 64 and res.problem["dim"] == 4
    assert res.methods["constant"]["test_accuracy"][-1] > 0.7

    def grad(x, xi):                     # f(x) = sum x^4 / 4 + |x|^2 / 2, additive noise
        return x ** 3 + x + xi

    def noise(key, K):
        return 0.1 * jax.random.normal(key, (K, 3), jnp.float64)

    p = problems.custom(grad, noise, np.ones(3), x_star=np.zeros(3),
                        loss=lambda x: jnp.sum(x ** 4) / 4 + jnp.vdot(x, x) / 2, f_star=0.0,
                        mu=1.0, L=4.0)
    r = sim.run(p, ["step_decay", "constant"], lr=0.2, epochs=10, steps_per_epoch=10, seeds=4,
                x64=True)
    m = r.methods["constant"]
    assert m["mean_sq_dist"][0] == pytest.approx(3.0)
    assert m["mean_sq_dist"][-1] < 0.05 and m["suboptimality"][-1] < 0.05


@pytest.mark.parametrize("build, needle", [
    (lambda: problems.quadratic([1.0, 0.5], [0.1], [1.0, 1.0]),
     "noise_var: need the same length as hessian_eigs"),
    (lambda: problems.quadratic([1.0, 0.0], [0.1, 0.1], [1.0, 1.0]),
     "hessian_eigs: need every eigenvalue > 0"),
    (lambda: problems.quadratic([1.0, 0.5], [0.1, -0.1], [1.0, 1.0]),
     "noise_var: need every entry >= 0"),
    (lambda: problems.quadratic([1.0, 0.5], [0.1, 0.1], [1.0, np.nan]),
     "y0: need finite values"),
    (lambda: problems.logistic_regression(np.ones((10, 2)), np.arange(10) % 3),
     "y: need labels of exactly two classes"),
    (lambda: problems.logistic_regression(np.full((10, 2), np.inf), np.arange(10) % 2),
     "X: need finite values"),
    (lambda: problems.logistic_regression(np.ones((10, 2)), np.arange(9) % 2),
     "y: need one label per row of X"),
    (lambda: sim.run(problems.quadratic([1.0, 0.5], [0.1, 0.1], [1.0, 1.0]), ["constant"],
                     lr=2.5, epochs=5, steps_per_epoch=2, seeds=2),
     r"lr: need lr \* h_i < 2"),
    (lambda: sim.run(PROBLEM, ["nope"], **BUDGET), "methods: unknown method 'nope'"),
    (lambda: sim.run(PROBLEM, ["constant"], lr=0.5, epochs=30, steps_per_epoch=5, seeds=1),
     "seeds: need an integer >= 2"),
    (lambda: sim.sweep(PROBLEM, "autodrop", {"bogus": [1]}, **BUDGET),
     "grid: autodrop does not take these hyperparameters"),
])
def test_bad_input_is_refused_before_anything_is_compiled(build, needle):
    before = engine.traces()
    with pytest.raises(AssumptionError, match=needle):
        build()
    assert engine.traces() == before


def test_results_round_trip_and_redraw(tmp_path):
    res = sim.run(PROBLEM, ["autodrop", "constant", "oracle"], **BUDGET)
    paths = res.save(tmp_path / "run")           # results.json alone (sim.save adds figures)
    assert [p.name for p in paths] == ["results.json"]
    back = sim.Results.load(tmp_path / "run" / "results.json")
    assert back.to_json() == json.loads(json.dumps(res.to_json()))
    # what figures.draw makes of a loaded run: checks.assert_redraws on every command's output
    # (tests/test_cli_quadratic.py for these figures)
    with pytest.raises(AssumptionError, match="path: cannot read results"):
        sim.Results.load(tmp_path / "missing.json")


SHARDED = textwrap.dedent("""
    import json, numpy as np, jax
    import simulations as sim
    from simulations import engine, problems
    p = problems.default_problem(dim=12, seed=5)
    kw = dict(lr=0.5, epochs=20, steps_per_epoch=5, seeds=5)
    a = sim.run(p, ["autodrop", "constant"], **kw)
    b = sim.run(p, ["autodrop", "constant"], mesh=engine.seed_mesh(), **kw)
    same = all(np.array_equal(np.asarray(a.methods[n][k], float),
                              np.asarray(b.methods[n][k], float), equal_nan=True)
               for n in a.methods for k in ("mean_sq_dist", "angle_deg", "lr"))
    print(json.dumps({"devices": len(jax.devices()), "same": same}))
""")


def test_sharded_equals_unsharded_bit_for_bit():
    env = {k: v for k, v in os.environ.items() if k != conftest.OPTIMISATIONS}
    env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    proc = subprocess.run([sys.executable, "-c", SHARDED], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out == {"devices": 2, "same": True}


def test_x64_draws_the_same_noise_as_float32():
    """--x64 changes the arithmetic, not the noise: the mean error curves of a float32 and a
    float64 run of one seed agree to float32 rounding (1e-4 relative), far closer than two
    seeds of one precision (which differ by Monte Carlo error, several percent here)."""
    # constant with step_decay (one family): the two programs of the overflow test below
    runs = {(x64, seed): np.asarray(sim.run(PROBLEM, ["constant", "step_decay"], **BUDGET,
                                            seed=seed, x64=x64).methods["constant"][
                                                "mean_sq_dist"])
            for x64, seed in ((False, 0), (True, 0), (False, 1))}
    np.testing.assert_allclose(runs[True, 0], runs[False, 0], rtol=1e-4)
    assert np.max(np.abs(runs[False, 1] / runs[False, 0] - 1)) > 1e-2


def test_overflow_of_a_diagnostic_is_not_divergence_and_gets_no_rank():
    """sigma^2 = 1e38 in float32: the iterates stay finite while ||x||^2 overflows.  Reported as
    overflowed (not diverged), without a rank; in float64 the same run is fine and ranked."""
    big = problems.default_problem(dim=12, sigma_sq=1e38, seed=5)
    f32 = sim.run(big, ["constant", "step_decay"], **BUDGET)
    f64 = sim.run(big, ["constant", "step_decay"], **BUDGET, x64=True)
    for name in ("constant", "step_decay"):
        m = f32.methods[name]
        assert m["overflowed_seeds"] > 0 and m["diverged_seeds"] == 0
        assert f64.methods[name]["overflowed_seeds"] == 0
    assert cr_ranks(f32.methods) == {} and set(cr_ranks(f64.methods)) == {"constant",
                                                                         "step_decay"}
    assert not f32.theory["schedule_check"]["constant"]["covered"]


def test_divergence_means_the_iterate_left_every_bounded_region():
    """The semantics on constructed records: a non-finite iterate is a divergence whatever the
    diagnostics say; finite iterates with a non-finite diagnostic are an overflow."""
    sq = np.array([[1.0, np.inf], [1.0, 2.0], [1.0, np.inf]])
    t = engine.Trajectories(sq, sq.copy(), np.full((3, 2), np.nan), np.ones((3, 1)),
                            np.zeros((3, 1), int), np.zeros((3, 1)),
                            x_finite=np.array([True, True, False]))
    assert t.diverged.tolist() == [False, False, True]
    assert t.overflowed.tolist() == [True, False, False]


def test_one_prepared_run_chooses_the_samplers_and_checks_the_memory_once(monkeypatch, tmp_path):
    """The CLI, ``run`` and the engine share one prepared run (experiment.prepare ->
    engine.prepare): the samplers are chosen once and the run's memory is checked once (the CLI
    checks the sizes once more before the problem is built, as that allocates d); preparing and
    then running gives ``run``'s numbers (a determinism check: that the numbers did not change
    with this refactoring is shown by the pinned trajectories of tests/test_um_engine.py); the
    engine refuses keys and a seed count together, and a bad seed by name."""
    import collections

    from simulations import experiment, memory, quadratic
    calls = collections.Counter()
    choose, check = engine.choose_samplers, memory.check
    monkeypatch.setattr(engine, "choose_samplers",
                        lambda *a, **k: calls.update(["samplers"]) or choose(*a, **k))
    monkeypatch.setattr(memory, "check", lambda *a, **k: calls.update(["memory"]) or check(*a, **k))
    kw = dict(lr=0.5, epochs=6, steps_per_epoch=3, seeds=2)
    prep = experiment.prepare(PROBLEM, ["constant", "plateau"], **kw)
    assert calls == {"samplers": 1, "memory": 1}
    assert prep.engine.samplers == ("exact", "steps")
    a = experiment.run_prepared(prep)
    assert calls == {"samplers": 1, "memory": 1}          # running decides nothing again
    b = sim.run(PROBLEM, ["constant", "plateau"], **kw)
    assert json.dumps(a.to_json()["methods"]) == json.dumps(b.to_json()["methods"])
    calls.clear()
    assert quadratic.main(["--quick", "--epochs", "6", "--seeds", "2", "--dim", "12",
                           "--methods", "constant,plateau", "--no-figures", "--quiet",
                           "--out", str(tmp_path)]) == 0
    assert calls == {"samplers": 1, "memory": 2}
    ms = experiment.build_methods(["constant"], experiment.run_context(PROBLEM, 0.5, 6, 3))
    for extra in ({}, {"seeds": 2, "keys": engine.seed_keys(0, 2)}):
        with pytest.raises(AssumptionError, match="^keys, seeds: give one"):
            engine.prepare(PROBLEM, ms, epochs=6, steps_per_epoch=3, **extra)
    for seed, needle in ((-1, "seed: need an integer >= 0"), (2 ** 40, "seed: need an integer < "),
                         (1.5, "seed: need an integer, got 1.5")):
        with pytest.raises(AssumptionError, match=f"^{needle}"):
            engine.prepare(PROBLEM, ms, epochs=6, steps_per_epoch=3, seeds=2, seed=seed)
