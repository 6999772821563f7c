"""The closed forms of docs/theory.md §4 against the JAX simulator (Monte Carlo).

Tolerances.  Means: at each boundary the mean over S independent seeds of ||X_n||^2 (and of the
angle) has standard error sd / sqrt(S); by the CLT the z-score against the exact value is
approximately N(0, 1) and |z| <= 4 has false-alarm probability 6.3e-5 per boundary (at most
2.5e-3 over the 40 boundaries compared per case, union bound).  The mean angle is compared with
the deterministic equivalent, which differs from E[omega_n] by O(1/d): at d = 200 and S = 200
that bias is well below one standard error (measured: |z| <= 2 at d = 100 with 2000 seeds).
Standard deviations: the delta method of 4e is first order in 1/sqrt(d); the issue asks for
agreement within 20%; the sampling error of an sd over S seeds is about 1/sqrt(2 S) (1.6% at
S = 2000, 3.2% at S = 500), so 20% leaves the method's own error about 15%.
"""

import zlib

import jax.numpy as jnp
import numpy as np
import pytest

from autodrop_theory import angular
from autodrop_theory.quadratic import QuadraticModel
from simulations import engine, methods
from simulations.methods.base import RunContext
from simulations.problems import QuadraticProblem
from simulations.stats import z_scores


def simulate(model, lr, K, E, S, momentum=0.0, method="constant", seed=0):
    ctx = RunContext(lr=lr, epochs=E, steps_per_epoch=K, mu=model.mu, L=model.L, dim=model.dim)
    return engine.simulate(QuadraticProblem(model), [methods.make(method, ctx)], epochs=E,
                           steps_per_epoch=K, keys=engine.seed_keys(seed, S),
                           momentum=momentum, dtype=jnp.float64)[method]


def case(name, d=200):
    rng = np.random.default_rng(zlib.crc32(name.encode()))    # hash() differs per process
    y0 = rng.standard_normal(d)
    y0 *= np.sqrt(d) / np.linalg.norm(y0)
    if name == "logspaced_isotropic":
        h = np.geomspace(0.01, 1, d)
        return QuadraticModel(h, np.full(d, 1.0 / d), y0), 0.5, 10, 0.0, "constant"
    if name == "uniform_hessian_noise_K1":
        h = rng.uniform(0.05, 1.0, d)
        return QuadraticModel(h, h / h.sum(), y0), 0.7, 1, 0.0, "constant"
    if name == "drops":      # K = 10 as logspaced_isotropic: one compiled program for both
        h = np.geomspace(0.02, 1, d)
        return QuadraticModel(h, np.full(d, 1.0 / d), y0), 0.9, 10, 0.0, "step_decay"
    if name == "momentum":
        h = np.geomspace(0.02, 1, d)
        return QuadraticModel(h, np.full(d, 1.0 / d), y0), 0.2, 5, 0.5, "constant"
    raise KeyError(name)


@pytest.mark.parametrize("name", ["logspaced_isotropic", "uniform_hessian_noise_K1", "drops",
                                  "momentum"])
def test_mean_sq_dist_and_mean_angle_match_closed_forms(name):
    model, lr, K, beta, method = case(name)
    E, S = 20, 200
    traj = simulate(model, lr, K, E, S, beta, method)
    lrs = traj.lr[0]                       # the schedule actually used (drops included)
    h, c, y0 = model.hessian_eigs, model.noise_var, model.y0
    if beta:
        sq = angular.expected_sq_dist_momentum(h, c, y0, lrs, K, beta)
        ang = angular.expected_angles_momentum(h, c, y0, lrs, K, beta)
    else:
        sq = angular.expected_sq_dist(h, c, y0, lrs, K)
        ang = angular.expected_angles(h, c, y0, lrs, K)
    if method == "step_decay":
        assert traj.drop_epochs()[0] == [9, 14]
    assert np.max(np.abs(z_scores(traj.sq_dist, sq))) <= 4.0
    assert np.max(np.abs(z_scores(traj.angle_deg[:, 2:], ang))) <= 4.0


def test_a_corrupted_closed_form_fails_the_monte_carlo_check():
    model, lr, K, _, _ = case("logspaced_isotropic")
    traj = simulate(model, lr, K, 20, 200)
    wrong = angular.expected_angles(model.hessian_eigs, 2 * model.noise_var, model.y0,
                                    traj.lr[0], K)
    assert np.max(np.abs(z_scores(traj.angle_deg[:, 2:], wrong))) > 4.0


@pytest.mark.parametrize("d, S", [(10, 2000), (100, 2000)])
def test_angle_and_change_standard_deviations_match_4e_within_20_percent(d, S):
    h = np.geomspace(0.01, 1, d)
    model = QuadraticModel(h, np.full(d, 1.0 / d), np.zeros(d))
    E, K, lr = 30, 10, 0.5
    traj = simulate(model, lr, K, E, S)
    pred = angular.angle_fluctuations(h, model.noise_var, model.y0, np.full(E, lr), K)
    sd = traj.angle_deg[:, 3:].std(axis=0, ddof=1)                   # boundaries 3..E
    sd_change = np.diff(traj.angle_deg[:, 2:], axis=1).std(axis=0, ddof=1)
    assert np.max(np.abs(sd / pred["angle_sd_deg"] - 1)) <= 0.2
    assert np.max(np.abs(sd_change / pred["change_sd_deg"] - 1)) <= 0.2


def test_fluctuations_with_a_drifting_mean_match_4e_within_four_standard_errors():
    """Early epochs from a distant start (||y0||^2 = 10 d), where the displacements have a
    non-zero mean: the mean terms of Isserlis' theorem and the contraction of the window's mean
    matter (dropping either changes the prediction by a factor 3-6 or makes it undefined).
    Tolerance: 4 standard errors of a sample standard deviation over S normal draws,
    4 / sqrt(2 (S - 1)) = 14% at S = 400; the delta method's own error at d = 1000 is smaller
    (measured: at most 5%)."""
    d, S, E, K, lr = 1000, 400, 12, 10, 0.5
    h = np.geomspace(0.01, 1, d)
    rng = np.random.default_rng(zlib.crc32(b"drifting"))
    y0 = rng.standard_normal(d)
    y0 *= np.sqrt(10 * d) / np.linalg.norm(y0)
    model = QuadraticModel(h, np.full(d, 1.0 / d), y0)
    traj = simulate(model, lr, K, E, S)
    pred = angular.angle_fluctuations(h, model.noise_var, y0, np.full(E, lr), K)
    tol = 4 / np.sqrt(2 * (S - 1))
    sd = traj.angle_deg[:, 3:].std(axis=0, ddof=1)
    sd_change = np.diff(traj.angle_deg[:, 2:], axis=1).std(axis=0, ddof=1)
    assert all(np.all(np.isfinite(pred[k])) for k in ("angle_sd_deg", "change_sd_deg"))
    assert np.max(np.abs(sd / pred["angle_sd_deg"] - 1)) <= tol
    assert np.max(np.abs(sd_change / pred["change_sd_deg"] - 1)) <= tol
