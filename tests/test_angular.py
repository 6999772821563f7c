"""Closed forms of docs/theory.md §2c and section 4 against independent dense references."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import reference_quadratic as ref
from autodrop_theory import AssumptionError, angular
from autodrop_theory.strategies import quadratic_instances
from autodrop_theory.quadratic import epoch_factors, geometric_sum


def instance(seed, d=6, h_zero=False):
    rng = np.random.default_rng(seed)
    h = rng.uniform(0.05, 1.0, d)
    if h_zero:
        h[0] = 0.0
    c = rng.uniform(0.0, 0.5, d)
    y0 = rng.standard_normal(d) * 2
    return h, c, y0


@given(inst=quadratic_instances(max_dim=6, flat=True, min_noise=0.01),
       rotation=st.integers(0, 2 ** 16), K=st.integers(1, 6),
       lrs=st.lists(st.sampled_from([0.3, 0.9, 1.5, 1.9]), min_size=3, max_size=6))
def test_expected_sq_dist_and_angles_match_dense_rotated_reference(inst, rotation, K, lrs):
    """Instances shrink to d = 1; ``rotation`` only picks the dense reference's eigenbasis."""
    h, c, y0 = inst
    H, C, ry0 = ref.rotated(h, c, y0, rotation)
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


@given(inst=quadratic_instances(max_dim=6, min_noise=0.01), K=st.integers(1, 40),
       lr=st.floats(0.05, 1.95))
def test_stationary_angle_is_the_limit_and_in_range(inst, K, lr):
    h, c, _ = inst
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


# ------------------------------------------------------------------ invariances
@given(inst=quadratic_instances(max_dim=6, min_noise=0.01), scale=st.floats(0.1, 10.0),
       data=st.data())
def test_permutation_and_joint_scaling_invariance(inst, scale, data):
    h, c, y0 = inst
    lrs, K = [0.5, 0.5, 0.2, 0.2], 3
    p = np.array(data.draw(st.permutations(range(h.size)), label="permutation"))
    a = angular.expected_angles(h, c, y0, lrs, K)
    np.testing.assert_allclose(angular.expected_angles(h[p], c[p], y0[p], lrs, K), a, atol=1e-9)
    # y0 -> s y0 and noise sd -> s sd: every second moment scales by s^2, angles do not move
    np.testing.assert_allclose(angular.expected_angles(h, scale ** 2 * c, scale * y0, lrs, K), a,
                               atol=1e-8)
    # relative to the value, and absolute below the smallest normal float64 (a subnormal has
    # only absolute precision: y0 = 1.1e-159 makes ||y0||^2 one)
    np.testing.assert_allclose(angular.expected_sq_dist(h, scale ** 2 * c, scale * y0, lrs, K),
                               scale ** 2 * angular.expected_sq_dist(h, c, y0, lrs, K), rtol=1e-12,
                               atol=np.finfo(np.float64).tiny)
    f0 = angular.stationary_fluctuations(h, c, 0.5, K)
    f1 = angular.stationary_fluctuations(h[p], scale ** 2 * c[p], 0.5, K)
    assert f1["angle_sd_deg"] == pytest.approx(f0["angle_sd_deg"], rel=1e-9)


@settings(max_examples=60, deadline=None)
@example(seed=0, exponent=308.0)        # noise variances near the top of float64
@example(seed=0, exponent=-300.0)
@given(seed=st.integers(0, 2 ** 16), exponent=st.floats(-300.0, 308.0))
def test_noise_scale_invariance_over_the_whole_float64_range(seed, exponent):
    """What is invariant to the noise scale (c -> s c; for the angles of a run, with y0 -> sqrt(s)
    y0) stays so for s from 1e-300 to 1e308: computed in a normalised form, nothing overflows
    to nan or underflows to a refusal."""
    h, c, y0 = instance(seed, d=4)
    c[0] += 0.1
    s, r = 10.0 ** exponent, 10.0 ** (exponent / 2)
    lrs, K = [0.5, 0.5, 0.2, 0.2], 3
    for f in (angular.expected_angles, lambda *a: angular.expected_angles_momentum(*a, 0.5),
              lambda *a: angular.angle_fluctuations(*a)["change_sd_deg"]):
        np.testing.assert_allclose(f(h, s * c, r * y0, lrs, K), f(h, c, y0, lrs, K), rtol=1e-9,
                                   atol=1e-9)
    for f in (angular.stationary_angle, lambda *a: angular.stationary_angle_momentum(*a, 0.5),
              lambda *a: angular.stationary_fluctuations(*a)["change_sd_deg"],
              lambda *a: angular.certificate(*a)["plain"]):
        assert f(h, s * c, 0.5, K) == pytest.approx(f(h, c, 0.5, K), rel=1e-9)
    assert angular.reset_after_drop(h, s * c, 0.5, 0.3, K) == angular.reset_after_drop(
        h, c, 0.5, 0.3, K)


def test_the_stationary_angle_near_1e308_is_the_angle_at_scale_1():
    """The issue's case: noise variances of 1e308 gave nan (an overflow inside)."""
    at_one = angular.stationary_angle([1.0, 0.1], [1.0, 1.0], 1.0, 3)
    assert at_one == pytest.approx(106.602355544, abs=1e-8)
    assert angular.stationary_angle([1.0, 0.1], [1e308, 1e308], 1.0, 3) == at_one


# ------------------------------------------------------------------ 4c certificate
def per_coordinate_P(h, c, y0, lrs, K):
    return np.array([angular.expected_sq_dist([h[i]], [c[i]], [y0[i]], lrs, K)
                     for i in range(h.size)]).T          # (E+1, d)


@given(K=st.integers(1, 20), lr=st.floats(0.05, 0.95), h1=st.floats(0.1, 1.0),
       c1=st.floats(0.01, 1.0), y0=st.lists(st.floats(-30.0, 30.0), min_size=1, max_size=50))
def test_isotropic_certificate_equivalence(K, lr, h1, c1, y0):
    d = len(y0)
    h, c, y0 = np.full(d, h1), np.full(d, c1), np.asarray(y0)
    E = 12
    lrs = np.full(E, lr)
    ang = angular.expected_angles(h, c, y0, lrs, K)                    # n = 1..E-1
    P = angular.expected_sq_dist(h, c, y0, lrs, K)
    alpha, q = epoch_factors(h[:1], c[:1], lr, K)
    v = q[0] / (1 - alpha[0] ** 2)
    factor = angular.certificate(h, c, lr, K)["weighted"]
    assert factor == pytest.approx((1 + alpha[0]) / alpha[0], rel=1e-12)
    for n in range(1, E):
        lhs, rhs = P[n - 1], factor * d * v
        if abs(lhs - rhs) > 1e-9 * rhs and abs(ang[n - 1] - 90) > 1e-9:
            assert (ang[n - 1] >= 90) == (lhs <= rhs), (n, ang[n - 1], lhs, rhs)


@given(inst=quadratic_instances(max_dim=6, min_noise=0.01), K=st.integers(1, 10),
       lr=st.floats(0.05, 0.95))
def test_anisotropic_weighted_certificate_equivalence(inst, K, lr):
    h, c, y0 = inst
    y0 = y0 * 3
    E = 10
    lrs = np.full(E, lr)
    ang = angular.expected_angles(h, c, y0, lrs, K)
    P = per_coordinate_P(h, c, y0, lrs, K)
    alpha, q = epoch_factors(h, c, lr, K)
    w, v = alpha * (1 - alpha) ** 2, q / (1 - alpha ** 2)
    cert = angular.certificate(h, c, lr, K)
    for n in range(1, E):
        lhs, rhs = (w * P[n - 1]).sum(), cert["weighted"] * (w * v).sum()
        if abs(lhs - rhs) > 1e-9 * rhs:
            assert (ang[n - 1] > 90) == (lhs < rhs)
        if ang[n - 1] > 90:        # and then the plain error is within F_plain of its floor
            assert P[n - 1].sum() <= cert["plain"] * v.sum() * (1 + 1e-12)


def test_certificate_needs_alpha_in_open_unit_interval():
    with pytest.raises(AssumptionError, match="lr: the certificate needs every alpha_i"):
        angular.certificate([1.0], [1.0], 1.0, 3)


# ------------------------------------------------------------------ 4d reset
@pytest.mark.parametrize("lr, rho, K", [(0.5, 0.2, 10), (0.1, 0.2, 10), (0.9, 0.5, 3),
                                        (0.5, 0.9, 10)])
def test_reset_matches_the_angle_curve_from_exact_stationarity(lr, rho, K):
    h = np.geomspace(0.01, 1, 60)
    c = np.full(60, 1 / 60)
    alpha, q = epoch_factors(h, c, lr, K)
    y0 = np.sqrt(q / (1 - alpha ** 2))          # second moments exactly stationary
    N, E = 5, 200
    lrs = np.r_[np.full(N, lr), np.full(E - N, rho * lr)]
    ang = np.r_[np.nan, np.nan, angular.expected_angles(h, c, y0, lrs, K)]   # by boundary
    np.testing.assert_allclose(ang[2:N + 1], angular.stationary_angle(h, c, lr, K), atol=1e-9)
    r = angular.reset_after_drop(h, c, lr, rho, K)
    assert ang[N + 1] > 90
    below = np.flatnonzero(ang[N + 2:] < 90)
    assert r["dips"] == (below.size > 0)
    if r["dips"]:
        assert below.max() + N + 2 + 1 == N + r["recross_offset"]    # last dip + 1
        assert np.all(ang[N + r["recross_offset"]:] >= 90)


# ------------------------------------------------------------------ 4e fluctuations
def test_isotropic_alpha_zero_fluctuation_has_the_analytic_value():
    # alpha = 0: s_n, s_{n-1} isotropic Gaussian with correlation -1/2; the delta method gives
    # Var(omega) = 3 / (4 d) (worked by hand in the derivation of 4e)
    for d in (10, 100, 1000):
        f = angular.stationary_fluctuations(np.ones(d), np.ones(d), 1.0, 1)
        assert f["angle_sd_deg"] == pytest.approx(np.degrees(np.sqrt(3 / (4 * d))), rel=1e-12)


def test_stationary_fluctuations_are_the_long_run_limit():
    h, c = np.geomspace(0.05, 1, 30), np.full(30, 0.1)
    f = angular.angle_fluctuations(h, c, np.zeros(30), np.full(400, 0.5), 10)
    s = angular.stationary_fluctuations(h, c, 0.5, 10)
    assert f["angle_sd_deg"][-1] == pytest.approx(s["angle_sd_deg"], rel=1e-9)
    assert f["change_sd_deg"][-1] == pytest.approx(s["change_sd_deg"], rel=1e-9)


# ------------------------------------------------------------------ section 6 momentum
def per_step_momentum_reference(h, c, y0, lrs, K, beta):
    """Second moments of (y_t, y_{t-1}) stepped one SGD step at a time (2x2 per coordinate)."""
    out = []
    for hi, ci, yi in zip(h, c, y0):
        S = np.full((2, 2), yi * yi)
        col = [S[0, 0]]
        for lr in lrs:
            M = np.array([[1 - lr * hi + beta, -beta], [1.0, 0.0]])
            for _ in range(K):
                S = M @ S @ M.T + np.array([[lr * lr * ci, 0], [0, 0]])
            col.append(S[0, 0])
        out.append(col)
    return np.sum(out, axis=0)


@given(inst=quadratic_instances(max_dim=6), K=st.integers(1, 6), beta=st.floats(0.0, 0.95))
def test_momentum_closed_form_matches_per_step_reference(inst, K, beta):
    h, c, y0 = inst
    lrs = [0.4, 0.4, 0.1]
    np.testing.assert_allclose(angular.expected_sq_dist_momentum(h, c, y0, lrs, K, beta),
                               per_step_momentum_reference(h, c, y0, lrs, K, beta),
                               rtol=1e-9, atol=1e-12)


def test_momentum_zero_is_plain_sgd_and_bad_momentum_raises():
    h, c, y0 = instance(3)
    lrs = [0.5, 0.5, 0.5, 0.1]
    np.testing.assert_allclose(angular.expected_angles_momentum(h, c, y0, lrs, 4, 0.0),
                               angular.expected_angles(h, c, y0, lrs, 4), atol=1e-9)
    with pytest.raises(AssumptionError, match="momentum: need a value in"):
        angular.expected_sq_dist_momentum(h, c, y0, lrs, 4, 1.0)
    with pytest.raises(AssumptionError, match="stability"):
        angular.expected_sq_dist_momentum(h, c, y0, [3.9], 4, 0.5)


# ------------------------------------------------------------------ sympy derivations
def test_every_derivation_identity_holds():
    from autodrop_theory import derivations
    assert derivations.verify() == {name: True for name in derivations.IDENTITIES}


def test_a_corrupted_identity_is_refused():
    from autodrop_theory import derivations as D
    lhs, rhs = D.IDENTITIES["inner_step"]
    assert not D._equal(lhs, rhs + D.q_prev)
    lhs, rhs = D.IDENTITIES["epoch_noise"]
    assert not D._equal(lhs, rhs * 2)
    with pytest.raises(ValueError, match="linear in X"):
        D.expect(D.X_prev)
