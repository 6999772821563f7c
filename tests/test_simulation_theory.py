"""The JAX simulator agrees with the exact theory of docs/theory.md §2c, and a corrupted one does not.

Tolerance: at each epoch boundary n the test compares the mean over S seeds of ||X_n||^2 with
the exact E||X_n||^2.  The seeds are independent, so by the central limit theorem the z-score
(mean - exact) / (sd / sqrt(S)) is approximately N(0, 1); |z| <= 4 has a two-sided false-alarm
probability of 6.3e-5 per boundary, and at most (E+1) * 6.3e-5 = 2e-3 over the E+1 = 31
boundaries (union bound).  The seed is fixed, so the test is deterministic; the bound says how
unlikely a spurious failure of a correct simulator is on a fresh seed.
"""

import jax.numpy as jnp
import numpy as np
import pytest

from autodrop_theory import angular
from simulations import engine, methods
from simulations.methods.base import RunContext
from simulations.problems import QuadraticProblem, default_model
from simulations.stats import z_scores

E, K, S, LR = 30, 5, 400, 0.5
Z_MAX = 4.0


def constant_run(model, noise_scale=1.0, seed=0):
    problem = QuadraticProblem(model, noise_scale=noise_scale)
    ctx = RunContext(lr=LR, epochs=E, steps_per_epoch=K, mu=model.mu, L=model.L, dim=model.dim)
    return engine.simulate(problem, [methods.make("constant", ctx)], epochs=E,
                           steps_per_epoch=K, keys=engine.seed_keys(seed, S),
                           dtype=jnp.float64)["constant"]


def worst_z(model, traj):
    exact = angular.expected_sq_dist(model.hessian_eigs, model.noise_var, model.y0,
                                     np.full(E, LR), K)
    return float(np.max(np.abs(z_scores(traj.sq_dist, exact))))


@pytest.mark.parametrize("dim, mu", [(20, 0.01), (100, 0.05)])
def test_constant_rate_mean_sq_dist_matches_exact_theory(dim, mu):
    model = default_model(dim=dim, mu=mu, L=1.0, sigma_sq=1.0, seed=1)
    traj = constant_run(model)
    assert traj.sq_dist.dtype == np.float64
    assert worst_z(model, traj) <= Z_MAX


def test_corrupted_simulator_fails_the_agreement_check():
    """Noise standard deviation doubled: the same check must reject it."""
    model = default_model(dim=20, mu=0.01, seed=1)
    assert worst_z(model, constant_run(model, noise_scale=2.0)) > Z_MAX


def test_same_seed_same_numbers_and_other_seed_other_numbers():
    # d = 20, as above: the program compiled there is reused (the model's numbers are data)
    model = default_model(dim=20, seed=2)
    a, b, c = constant_run(model, seed=5), constant_run(model, seed=5), constant_run(model, seed=6)
    np.testing.assert_array_equal(a.sq_dist, b.sq_dist)
    assert not np.array_equal(a.sq_dist, c.sq_dist)
