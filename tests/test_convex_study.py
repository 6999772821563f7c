"""The convex Lipschitz problems' constants (simulations.problems.convex), each checked
independently, and the convex study's refusals.  Theorem 5.1's corrected bound against simulation
(simulations.convex_bound) is checked in tests/test_paper_study.py on the convex part of the
paper study's small run (one run serves both)."""

import numpy as np
import pytest

import jax
import jax.numpy as jnp

from autodrop_theory.errors import AssumptionError
from simulations import convex_bound as convex_study
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


def test_bad_methods_are_refused():
    for bad in (["autodrop"], ["constant", "constant"], [], ["pflug"]):
        with pytest.raises(AssumptionError, match="^methods: "):
            convex_study.run(methods=bad, quick=True, seeds=2)
