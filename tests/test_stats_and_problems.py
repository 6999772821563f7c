"""Statistics helpers and the default quadratic instance."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from autodrop_theory import AssumptionError
from simulations.problems import QuadraticProblem, default_model
from simulations.stats import mean_ci, z_scores


def test_mean_ci_matches_a_textbook_value():
    # x = 1..5: mean 3, sd sqrt(2.5), t_{0.975, 4} = 2.7764451 -> half-width 1.963243
    m, lo, hi = mean_ci(np.arange(1.0, 6.0)[:, None])
    assert m[0] == 3.0
    assert hi[0] - m[0] == pytest.approx(2.7764451052 * np.sqrt(2.5) / np.sqrt(5), rel=1e-9)
    assert m[0] - lo[0] == pytest.approx(hi[0] - m[0])
    with pytest.raises(ValueError, match="at least 2 seeds"):
        mean_ci(np.ones((1, 3)))


def test_mean_ci_covers_the_mean_at_the_nominal_rate():
    rng = np.random.default_rng(0)
    x = 1.0 + 3.0 * rng.standard_normal(size=(5, 4000))   # 4000 experiments of 5 seeds
    _, lo, hi = mean_ci(x)
    cover = np.mean((lo <= 1) & (1 <= hi))
    # For Gaussian samples the t interval is exact: coverage 0.95.  The binomial standard error
    # of the observed coverage is sqrt(.95 * .05 / 4000) = 0.0034; allow 4 of them.  A z-quantile
    # (1.96) in place of t_{0.975,4} = 2.78 would cover only ~0.88 and fail.
    assert abs(cover - 0.95) <= 4 * 0.0034


def test_z_scores():
    z = z_scores(np.array([[1.0, 5.0], [3.0, 5.0]]), [1.0, 5.0])
    assert z[0] == pytest.approx(1.0) and z[1] == 0.0
    assert np.isinf(z_scores(np.array([[5.0], [5.0]]), [4.0]))[0]


def test_default_instance():
    m = default_model(dim=50, mu=0.01, L=1.0, sigma_sq=2.0, seed=4)
    np.testing.assert_allclose(m.hessian_eigs[[0, -1]], [0.01, 1.0])
    np.testing.assert_allclose(np.diff(np.log(m.hessian_eigs)), np.log(100) / 49)
    assert m.y0 @ m.y0 == pytest.approx(50.0) and m.sigma_sq == pytest.approx(2.0)
    assert not m.y0.flags.writeable
    with pytest.raises(AssumptionError, match="mu: need mu <= L = 0.5, got 1"):
        default_model(mu=1.0, L=0.5)


def test_quadratic_stochastic_gradient_is_unbiased_with_the_right_covariance():
    m = default_model(dim=5, seed=0)
    p = QuadraticProblem(m)
    data = p.data(jnp.float64)
    x = jnp.asarray(m.y0)
    noise = p.kind.epoch_noise(data, jax.random.PRNGKey(0), 20000)
    g, loss = jax.vmap(lambda xi: p.kind.grad(data, x, xi))(noise)
    g, loss = np.asarray(g), np.asarray(loss)
    n = g.shape[0]
    se = g.std(axis=0, ddof=1) / np.sqrt(n)
    assert np.all(np.abs(g.mean(axis=0) - m.hessian_eigs * m.y0) <= 4 * se)
    # a Gaussian sample variance has relative standard error sqrt(2 / (n - 1)); allow 4 of them
    np.testing.assert_allclose(g.var(axis=0, ddof=1), m.noise_var, rtol=4 * np.sqrt(2 / (n - 1)))
    assert abs(loss.mean() - float(p.kind.subopt(data, x))) <= 4 * loss.std(ddof=1) / np.sqrt(n)
