"""Conditions tested at their edges and the stage-wise schedule against a reference computed
independently (each test kills a one-token change of the bound or the schedule: a strict
condition made non-strict, a deleted condition, a dropped factor, ln(2/rho) -> ln(1/rho),
ceil -> floor)."""

import math

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

from autodrop_theory import AssumptionError, bounds as B
from autodrop_theory.stagewise import stagewise_schedule

KW = dict(mu=0.1, L=1.0, lr=0.5, sigma_sq=1.0, r0_sq=50.0, rho=0.5)


def _first_stage(mu, lr, sigma_sq, r0_sq):
    """The smallest n >= 0 with exp(-lr mu n) mu r0 <= lr sigma^2, by counting."""
    n = 0
    while math.exp(-lr * mu * n) * mu * r0_sq > lr * sigma_sq * (1 + 1e-12):
        n += 1
    return n


def _stage_length(rate, mu, rho):
    """The smallest n with exp(-rate mu n) <= rho / 2, by counting."""
    n = 0
    while math.exp(-rate * mu * n) > rho / 2 * (1 + 1e-12):
        n += 1
    return n


@pytest.mark.parametrize("mu, lr, rho, r0_sq", [(0.1, 0.5, 0.5, 50.0), (0.05, 0.9, 0.3, 7.0),
                                                (0.2, 0.25, 0.8, 1e3), (0.3, 1.0, 0.1, 0.5)])
def test_stage_lengths_equal_a_reference_computed_by_counting(mu, lr, rho, r0_sq):
    rates, lengths = stagewise_schedule(mu, 1.0, 1.0, lr, rho, r0_sq, stages=6)
    np.testing.assert_allclose(rates, lr * rho ** np.arange(6), rtol=1e-15)
    assert lengths[0] == _first_stage(mu, lr, 1.0, r0_sq)
    assert list(lengths[1:]) == [_stage_length(r, mu, rho) for r in rates[1:]]


def test_stagewise_needs_a_budget_beyond_the_first_stage():
    """T > T_0 is strict: at T = T_0 the bound divides by zero and is refused."""
    T0 = _first_stage(KW["mu"], KW["lr"], KW["sigma_sq"], KW["r0_sq"])
    assert T0 > 0
    args = {k: v for k, v in KW.items() if k != "L"} | {"L": KW["L"]}
    with pytest.raises(AssumptionError, match=r"condition T > ceiling"):
        B.STAGEWISE(**args, T=T0)
    assert np.isfinite(B.STAGEWISE(**args, T=T0 + 1))


def test_the_finite_sum_bound_refuses_mu_above_L():
    ok = dict(mu=1.0, L=1.0, lr=0.5, sigma_star_sq=0.1, r0_sq=2.0)
    assert np.isfinite(B.SGD_ONE_STEP_FINITE_SUM(**ok))                # mu = L is inside
    with pytest.raises(AssumptionError, match=r"condition mu <= L"):
        B.SGD_ONE_STEP_FINITE_SUM(**(ok | {"mu": 1.0 + 1e-9}))


def test_stagewise_iteration_complexity_covers_stopping_at_a_stage_end():
    """Run the schedule to the first stage end K - 1 >= 1 whose guarantee 2 eta_{K-1} sigma^2 /
    mu is <= eps: that many steps never exceed ITERATION_COMPLEXITY_STAGEWISE, and for some eps
    exceed T_0 + C sigma^2 / (mu^2 eps), the same without the 1/rho that pays for waiting until
    a stage ends (so the factor is needed)."""
    rates, lengths = stagewise_schedule(KW["mu"], KW["L"], KW["sigma_sq"], KW["lr"], KW["rho"],
                                        KW["r0_sq"], stages=40)
    c = 2 * (math.log(2 / KW["rho"]) + KW["lr"] * KW["mu"]) / (1 - KW["rho"])
    needed = []
    for eps in np.geomspace(2 * rates[1] * KW["sigma_sq"] / KW["mu"], 1e-6, 60):
        K = next(k for k in range(2, 41) if 2 * rates[k - 1] * KW["sigma_sq"] / KW["mu"] <= eps)
        steps = int(lengths[:K].sum())
        bound = B.ITERATION_COMPLEXITY_STAGEWISE(**{k: v for k, v in KW.items()}, eps=eps)
        assert steps <= bound, (eps, steps, bound)
        needed.append(steps > lengths[0] + c * KW["sigma_sq"] / (KW["mu"] ** 2 * eps))
    assert any(needed)


def test_the_constant_rate_complexity_needs_lr_L_at_most_one():
    ok = dict(mu=0.1, L=1.0, lr=1.0, sigma_sq=0.1, r0_sq=10.0, eps=5.0)
    assert np.isfinite(B.ITERATION_COMPLEXITY_CONSTANT(**ok))          # lr L = 1 is inside
    with pytest.raises(AssumptionError, match=r"condition L\*lr <= 1"):
        B.ITERATION_COMPLEXITY_CONSTANT(**(ok | {"lr": 1.5}))


def test_the_adaptive_schedule_bound_refuses_lr_mu_equal_to_one():
    """lr (mu + L) <= 2 allows lr mu = 1 only at mu = L = 1/lr, where P_t = 0 and the statistic
    divides by zero: lr mu < 1 is a condition of its own."""
    from autodrop_theory.schedule_bounds import SGD_ADAPTIVE_SCHEDULE
    kw = dict(mu=1.0, L=1.0, sigma_sq=1.0, r0_sq=1.0)
    assert np.isfinite(SGD_ADAPTIVE_SCHEDULE(**kw, lrs=[0.5, 0.5]))
    with pytest.raises(AssumptionError, match=r"condition lr_t\*mu < 1"):
        SGD_ADAPTIVE_SCHEDULE(**kw, lrs=[0.5, 1.0])


@settings(max_examples=60, deadline=None)
@example(exponent=308.0)
@example(exponent=-300.0)
@given(exponent=st.floats(-300.0, 308.0))
def test_the_first_stage_length_is_invariant_to_the_joint_scale_of_r0_and_sigma(exponent):
    """T_0 depends on mu r_0 / (eta_0 sigma^2) only: scaling r_0 and sigma^2 together by any
    s in [1e-300, 1e308] leaves it (an overflowing product was an OverflowError), and a rate
    lr mu below float64's range is refused, not a ZeroDivisionError."""
    from autodrop_theory.stagewise import first_stage_length
    s = 10.0 ** exponent
    base = first_stage_length(2.0, 0.01, 0.1, 1.5)          # mu r_0 s overflows at s = 1e308
    assert base == _first_stage(2.0, 0.1, 0.01, 1.5) == 41
    assert abs(first_stage_length(2.0, 0.01 * s, 0.1, 1.5 * s) - base) <= 1   # rounding of s
    with pytest.raises(AssumptionError, match="^lr: the first stage would last"):
        first_stage_length(1e-200, 1.0, 1e-200, 10.0)
