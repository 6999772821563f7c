"""The paper's rules (autodrop_theory.paper_rules) on inputs whose answer is known by hand, and
the printed Algorithm 1 against its evident intent."""

import doctest

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import autodrop_theory.paper_rules as pr
from autodrop_theory.paper import algorithm2_stage_lengths


def _run(observe, hp, state, xs):
    """Feed the iterates ``xs`` (T, d) one by one; returns the states after each (stacked)."""
    def step(s, x):
        s = observe(hp, s, x)
        return s, s
    return jax.jit(lambda s, xs: jax.lax.scan(step, s, xs))(state, xs)


def _zigzag(T, d=4, turn_deg=100.0, seed=0):
    """Iterates whose successive displacements turn by exactly ``turn_deg`` in a plane (plus
    nothing else): every per-step angle is turn_deg."""
    th = np.radians(turn_deg) * np.arange(T)
    steps = np.zeros((T, d))
    steps[:, 0], steps[:, 1] = np.cos(th), np.sin(th)
    return jnp.asarray(np.cumsum(steps, axis=0))


def test_halving_fires_exactly_when_the_span_mean_stops_changing():
    """Constant angles: the 20-step mean changes by 0 < 0.01, so the rule halves as soon as
    span + 1 angles exist (the third iterate gives the first angle), then refills the window;
    a rate at the floor stays there."""
    hp = pr.halving_hyper(0.06, min_lr=0.001)
    xs = _zigzag(200)
    _, states = _run(pr.halving_observe, hp, pr.halving_init(hp, jnp.zeros(4)), xs)
    np.testing.assert_allclose(np.asarray(states.angle)[2:], 100.0, atol=1e-9)
    drops = np.flatnonzero(np.diff(np.r_[0, np.asarray(states.num_drops)]))
    # first angle at observation 1 (x_2); angles 1..21 -> fire at observation 21; then every 21
    np.testing.assert_array_equal(drops[:3], [21, 42, 63])
    lr = np.asarray(states.lr)
    assert lr[21] == pytest.approx(0.03) and lr[-1] == pytest.approx(0.001)
    assert int(states.num_drops[-1]) == 6               # 0.06 / 2^6 < 0.001: floor after 6


def test_halving_does_not_fire_on_a_changing_angle():
    """Angles growing by 1 degree a step: the mean changes by 1 degree, never below 0.01."""
    hp = pr.halving_hyper(0.06)
    th = np.radians(np.cumsum(np.linspace(30, 150, 120)))
    xs = jnp.asarray(np.cumsum(np.stack([np.cos(th), np.sin(th)], 1), 0))
    _, states = _run(pr.halving_observe, hp, pr.halving_init(hp, jnp.zeros(2)), xs)
    assert int(states.num_drops[-1]) == 0


def test_algorithm1_printed_never_lowers_the_rate_and_the_intent_does():
    """Constant window angles: the buffer fills after 2 + 10 windows, the smoothed value is
    constant, so the test passes at the 11th angle (C_i - C_{i-1} = 0 < 0.1) in both variants;
    the printed update max{alpha, rho alpha} keeps the rate, the intended one lowers it."""
    k = 3
    xs = jnp.repeat(_zigzag(40), k, axis=0)      # each window's mean is one zigzag point
    for printed, lr_after in ((True, 0.1), (False, 0.095)):
        hp = pr.uai_hyper(0.1, k, printed=printed)
        _, st = _run(pr.uai_observe, hp, pr.uai_init(hp, jnp.zeros(4)), xs)
        fired = np.flatnonzero(np.diff(np.r_[0, np.asarray(st.tests_fired)]))
        # angles at windows 2.. (0-based); the 11th angle is window 12, ending at step 13 k - 1
        assert fired[0] == 13 * k - 1
        assert float(st.lr[fired[0]]) == pytest.approx(lr_after)
        assert int(st.num_drops[-1]) == (0 if printed else len(fired))
        assert int(st.tests_fired[-1]) == len(fired) >= 2      # the buffer refills: fires again


def test_algorithm1_intent_smooths_and_ignores_a_changing_angle():
    """A smoothed value that rises by more than 0.1 per window never passes the intent's test;
    the printed kernel overflows (exp of a large positive number) or returns the raw angle."""
    k = 2
    th = np.radians(np.cumsum(np.linspace(20, 170, 60)))
    pts = np.cumsum(np.stack([np.cos(th), np.sin(th)], 1), 0)
    xs = jnp.asarray(np.repeat(pts, k, axis=0))
    hp = pr.uai_hyper(0.1, k)
    _, st = _run(pr.uai_observe, hp, pr.uai_init(hp, jnp.zeros(2)), xs)
    assert int(st.tests_fired[-1]) == 0 and float(st.lr[-1]) == 0.1


def test_algorithm2_schedule_reuses_the_stage_lengths_of_the_paper_module():
    hp, lengths = pr.model_schedule(0.06, 5000, gamma=0.1, epsilon=0.5, tau0=0.3)
    n = lengths.size
    rates = 0.06 * np.arange(1, n + 1) ** (-2 / 3)
    expect = algorithm2_stage_lengths(rates, gamma=0.1, epsilon=0.5, tau0=0.3)
    np.testing.assert_array_equal(lengths[:-1], expect[:-1])
    assert lengths.sum() == 5000 and 1 <= lengths[-1] <= expect[-1]
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    t = jnp.asarray(np.r_[starts, starts[1:] - 1], jnp.int32)
    got = np.asarray(pr.model_rate(hp, t))
    np.testing.assert_allclose(got, np.r_[rates, rates[:-1]], rtol=1e-15)
    assert float(pr.model_rate(hp, jnp.int32(10 ** 6))) == pytest.approx(rates[-1])


def test_window_scales_with_the_epoch_and_docstring():
    assert pr.paper_window(391) == 64 and pr.paper_window(5005) == 819
    assert pr.paper_window(1) == 1 and pr.paper_window(100) == 16
    assert doctest.testmod(pr).failed == 0
