"""Theorem 5.1's corrected bound against simulation (simulations.convex_study) and the convex
Lipschitz problems' constants (simulations.problems.convex), each checked independently."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

from autodrop_theory.errors import AssumptionError
from simulations import convex_bound as convex_study, engine, experiment
from simulations.problems import convex


@pytest.fixture(scope="module")
def lad():
    return convex_study.lad_problem()


def test_abs_sum_constants():
    """G = ||w|| is attained by every subgradient away from the kinks; the noise's second
    moment d sd^2 by Monte Carlo (4000 draws, within 4 SE); f* = 0 at c and above it nearby."""
    p = convex.abs_sum(dim=6, sd=0.7, seed=3)
    c = p.constants()
    data = p.data(jnp.float64)
    x = jnp.asarray(p.c + 0.3)
    g0, _ = convex._abs_grad(data, x, jnp.zeros(6))
    assert np.isclose(float(jnp.linalg.norm(g0)), c["G"], rtol=1e-12)
    xi = jax.random.normal(jax.random.key(0), (4000, 6), jnp.float64)
    noise = np.asarray(jax.vmap(lambda z: convex._abs_grad(data, x, z)[0])(xi) - g0)
    sq = (noise ** 2).sum(axis=1)
    assert abs(sq.mean() - c["noise"]) < 4 * sq.std(ddof=1) / np.sqrt(sq.size)
    u = np.random.default_rng(1).normal(size=(200, 6)) * 1e-3
    assert p.objective(p.c) == 0.0 and all(p.objective(p.c + d) > 0 for d in u)


def test_lad_optimum_by_a_second_algorithm_and_its_constants(lad):
    """f* from HiGHS dual simplex against HiGHS interior point (1e-7); f(x*) = f* and no
    random perturbation goes below it (convexity: local is global); sampled minibatch
    subgradients have norm <= G and their noise second moment is at most delta^2 (Monte
    Carlo mean + 4 SE)."""
    x_ipm, f_ipm = convex.lad_solution(lad.A, lad.b, method="highs-ipm")
    assert abs(f_ipm - lad.f_star) < 1e-7
    assert abs(lad.objective(lad.x_star) - lad.f_star) < 1e-12
    rng = np.random.default_rng(2)
    for scale in (1e-4, 1e-2):
        d = rng.normal(size=(100, lad.dim)) * scale
        assert min(lad.objective(lad.x_star + e) for e in d) >= lad.f_star - 1e-12
    c = lad.constants()
    data = lad.data(jnp.float64)
    x = jnp.asarray(lad.x_star + rng.normal(size=lad.dim) * 0.3)
    idx = jax.random.randint(jax.random.key(3), (3000, lad.batch_size), 0, lad.A.shape[0])
    gs = np.asarray(jax.vmap(lambda i: lad.kind.grad(data, x, i)[0])(idx))
    full = lad.A.T @ np.sign(lad.A @ np.asarray(x) - lad.b) / lad.A.shape[0]   # E of a draw
    assert np.linalg.norm(gs, axis=1).max() <= c["G"] + 1e-12
    assert np.linalg.norm(full) <= c["G"]
    sq = ((gs - full) ** 2).sum(axis=1)
    assert sq.mean() - 4 * sq.std(ddof=1) / np.sqrt(sq.size) <= c["noise"]


@pytest.fixture(scope="module")
def study():
    return convex_study.run(quick=True, seeds=6, epochs=16)


def test_the_corrected_bound_holds_on_every_problem_method_and_s(study):
    rows = study["rows"]
    assert {(r["problem"], r["method"], r["um_s_name"]) for r in rows} == {
        (p, m, s) for p in convex_study.SETUPS for m in convex_study.STEPWISE
        for s, _ in convex_study.S_VALUES}
    for r in rows:
        assert not r["diverged"] and r["holds"], r
        assert r["ratio"] == r["min_gap_ci"][1] / r["bound"]
        assert r["covered_by_theorem"] == (r["method"] not in convex_study.ADAPTIVE)
    assert study["tightest_ratio"] == max(r["ratio"] for r in rows) < 1


def test_a_corrupted_bound_is_rejected_by_the_same_check(study):
    """The bound divided by 100, or evaluated with G / 10 and no noise, fails on some row."""
    rows = study["rows"]
    assert not all(convex_study.check_row(r["min_gap_ci"][1], r["bound"] / 100) for r in rows)
    p = convex.abs_sum()
    setup = convex_study.SETUPS["abs_sum"]
    ms = experiment.build_methods(["constant"], experiment.run_context(p, setup["lr"], 16,
                                                                        setup["K"]))
    traj = engine.simulate(p, ms, epochs=16, steps_per_epoch=setup["K"],
                           keys=engine.seed_keys(0, 6), momentum=convex_study.BETA,
                           um_s="nesterov", dtype=jnp.float64)["constant"]
    honest = convex_study.rows_for("abs_sum", p.constants(), traj, "constant", "nesterov", 1.0,
                                   setup["K"])
    wrong = convex_study.rows_for("abs_sum", p.constants() | {"G": p.constants()["G"] / 10,
                                                              "noise": 0.0},
                                  traj, "constant", "nesterov", 1.0, setup["K"])
    assert honest["holds"] and not wrong["holds"]


def test_bad_methods_are_refused():
    for bad in (["autodrop"], ["constant", "constant"], [], ["pflug"]):
        with pytest.raises(AssumptionError, match="^methods: "):
            convex_study.run(methods=bad, quick=True, seeds=2)


def test_the_figure_is_drawn_from_the_results_alone(study, tmp_path):
    import json
    again = json.loads(json.dumps(study))             # what results.json holds
    paths = convex_study.draw(again, tmp_path)
    assert [p.suffix for p in paths] == [".pdf", ".png"] and all(p.stat().st_size for p in paths)
