"""Closed forms of THEORY.md 2c and section 4 against independent dense references."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import reference_quadratic as ref
from autodrop_theory import AssumptionError, angular
from autodrop_theory.quadratic import epoch_factors, geometric_sum


def instance(seed, d=6, h_zero=False):
    rng = np.random.default_rng(seed)
    h = rng.uniform(0.05, 1.0, d)
    if h_zero:
        h[0] = 0.0
    c = rng.uniform(0.0, 0.5, d)
    y0 = rng.standard_normal(d) * 2
    return h, c, y0


@given(seed=st.integers(0, 10**6), K=st.integers(1, 6), h_zero=st.booleans(),
       lrs=st.lists(st.sampled_from([0.3, 0.9, 1.5, 1.9]), min_size=3, max_size=6))
def test_expected_sq_dist_and_angles_match_dense_rotated_reference(seed, K, h_zero, lrs):
    h, c, y0 = instance(seed, h_zero=h_zero)
    H, C, ry0 = ref.rotated(h, c, y0, seed)
    np.testing.assert_allclose(angular.expected_sq_dist(h, c, y0, lrs, K),
                               ref.sq_dist(H, C, ry0, lrs, K), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(angular.expected_angles(h, c, y0, lrs, K),
                               ref.angles(H, C, ry0, lrs, K), rtol=1e-7, atol=1e-7)


def test_a_corrupted_closed_form_is_caught_by_the_reference():
    """The comparison above rejects a closed form with the noise term off by a factor 2."""
    h, c, y0 = instance(1)
    H, C, ry0 = ref.rotated(h, c, y0, 1)
    bad = angular.expected_sq_dist(h, 2 * c, y0, [0.5, 0.5, 0.5], 3)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(bad, ref.sq_dist(H, C, ry0, [0.5, 0.5, 0.5], 3), rtol=1e-6)


@given(seed=st.integers(0, 10**6), K=st.integers(1, 40), lr=st.floats(0.05, 1.95))
def test_stationary_angle_is_the_limit_and_in_range(seed, K, lr):
    h, c, _ = instance(seed)
    c = c + 0.01
    w = angular.stationary_angle(h, c, lr, K)
    assert 90.0 < w <= 180.0
    alpha, _ = epoch_factors(h, c, lr, K)
    if np.all(alpha >= 0):
        assert w <= 120.0 + 1e-9
    # started at the stationary state (y0 = 0 would not be stationary; run long enough instead)
    long = angular.expected_angles(h, c, np.zeros_like(h), [lr] * 4000, K)[-1]
    if np.max(np.abs(alpha)) < 0.99:
        assert long == pytest.approx(w, abs=1e-6)


def test_stationary_angle_tends_to_120_as_K_grows():
    h = np.geomspace(0.1, 1, 5)
    assert angular.stationary_angle(h, np.ones(5), 0.5, 2000) == pytest.approx(120.0, abs=1e-6)


def test_geometric_sum_is_accurate_near_ratio_one():
    # 1 - r = 1e-12: the naive (1 - r^n)/(1 - r) loses ~4 digits; the exact value is
    # n - n(n-1)/2 * 1e-12 + O(1e-24 n^3)
    n, eps = 1000, 1e-12
    got = geometric_sum(np.array([1 - eps]), np.array([eps]), n)[0]
    assert got == pytest.approx(n - n * (n - 1) / 2 * eps, rel=1e-14)
    assert geometric_sum(np.array([1.0]), np.array([0.0]), 7)[0] == 7.0
    assert geometric_sum(np.array([0.0]), np.array([1.0]), 7)[0] == 1.0


def test_flat_direction_diffuses_exactly():
    # h = 0: E||y_t||^2 = y0^2 + t lr^2 c
    got = angular.expected_sq_dist([0.0], [2.0], [1.0], [0.1, 0.1], 5)
    np.testing.assert_allclose(got, [1.0, 1.0 + 5 * 0.02, 1.0 + 10 * 0.02], rtol=1e-14)


@pytest.mark.parametrize("call, needle", [
    (lambda: angular.expected_sq_dist([1.0, 2.0], [1.0], [0.0, 0.0], [0.1], 1),
     "noise_var: need the same length as hessian_eigs"),
    (lambda: angular.expected_sq_dist([1.0], [-1.0], [0.0], [0.1], 1),
     "noise_var: need every entry >= 0"),
    (lambda: angular.expected_sq_dist([1.0], [1.0], [np.nan], [0.1], 1), "y0: need finite"),
    (lambda: angular.expected_sq_dist([1.0], [1.0], [0.0], [0.1], 0),
     "steps_per_epoch: need an integer >= 1"),
    (lambda: angular.expected_sq_dist([1.0], [1.0], [0.0], [2.5], 1),
     "lrs[0]: need lrs[0] * h_i < 2"),
    (lambda: angular.expected_angles([1.0], [1.0], [1.0], [0.5], 1), "need at least 2 epochs"),
    (lambda: angular.expected_angles([1.0], [0.0], [0.0], [0.5, 0.5], 1), "no motion"),
    (lambda: angular.stationary_angle([1.0], [0.0], 0.5, 1), "noise_var: need some c_i > 0"),
    (lambda: angular.stationary_angle([1.0], [1.0], -0.5, 1), "lr: need a value in (0, inf)"),
])
def test_bad_input_raises_assumption_error(call, needle):
    with pytest.raises(AssumptionError) as info:
        call()
    assert needle in str(info.value)
