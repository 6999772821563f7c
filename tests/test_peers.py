"""Each peer method on hand-made trajectories: it fires at a known step, and not otherwise."""

import jax.numpy as jnp
import numpy as np
import pytest

from autodrop_theory import AssumptionError
from autodrop_theory.quadratic import QuadraticModel, epoch_factors
from simulations.methods import averaged, distance, oracle, pflug, plateau, sasa, schedules
from simulations.methods.base import EpochInfo, RunContext, StepInfo


def ctx(epochs=20, K=10, lr=1.0, mu=0.5, model=None):
    return RunContext(lr=lr, epochs=epochs, steps_per_epoch=K, mu=mu, L=1.0, dim=2, model=model)


def feed(c, steps, x0=None):
    """Run c.observe over (x_next, grad) pairs; return the state after each step."""
    s = c.init(jnp.zeros(2) if x0 is None else x0)
    out, x = [], jnp.zeros(2)
    for t, (x_next, g) in enumerate(steps):
        s = c.observe(s, StepInfo(x, jnp.asarray(x_next, float), jnp.asarray(g, float),
                                  c.lr(s, jnp.int32(t)), jnp.int32(t), 0.0))
        x = jnp.asarray(x_next, float)
        out.append(s)
    return out


def epochs(c, losses):
    s = c.init(jnp.zeros(2))
    out = []
    for e, value in enumerate(losses):
        _, s = c.update(s, jnp.zeros(2), EpochInfo(jnp.int32(e), jnp.asarray(value, float)))
        out.append(s)
    return out


def test_inverse_time_schedule():
    c = schedules.inverse_time(ctx(lr=1.0, mu=0.5)).bind()
    s = c.init(jnp.zeros(2))
    got = [float(c.lr(s, jnp.int32(t))) for t in (0, 1, 3, 99)]
    assert got == pytest.approx([1.0, 1.0, 0.5, 2 / 100])     # min(1, 1/(0.5 (t + 1)))


def test_averaged_reports_the_running_mean():
    c = averaged.averaged(ctx()).bind()
    states = feed(c, [([1.0, 0.0], [0, 0]), ([3.0, 2.0], [0, 0]), ([5.0, 4.0], [0, 0])])
    np.testing.assert_allclose(c.report(states[-1], jnp.zeros(2)), [3.0, 2.0])
    assert int(c.num_drops(states[-1])) == 0


def test_gkkn_halves_at_phase_boundaries():
    c = schedules.step_decay_gkkn(ctx(epochs=16, K=4)).bind()               # T = 64: 6 phases of 11 steps
    assert c.config == {"lr": 1.0, "phases": 6, "phase_steps": 11}
    s = c.init(jnp.zeros(2))
    assert [float(c.lr(s, jnp.int32(t))) for t in (0, 10, 11, 22, 63)] == \
        [1.0, 1.0, 0.5, 0.25, 1 / 32]


def test_plateau_fires_after_exactly_patience_non_improving_epochs():
    c = plateau.plateau(ctx(), patience=3).bind()
    states = epochs(c, [5.0, 4.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0])
    drops = [int(s.num_drops) for s in states]
    # best = 3 at epoch 2; epochs 3, 4, 5 do not improve: fires at epoch 5, again at epoch 8
    assert drops == [0, 0, 0, 0, 0, 1, 1, 1, 2]
    assert float(states[5].lr) == pytest.approx(0.1)
    improving = epochs(c, list(np.geomspace(10, 1, 30)))
    assert int(improving[-1].num_drops) == 0
    with pytest.raises(AssumptionError, match="patience: need an integer >= 1"):
        plateau.plateau(ctx(), patience=0)


def test_pflug_fires_after_burn_in_when_gradients_alternate():
    c = pflug.pflug(ctx(), burn_in=4).bind()
    alternating = [([0, 0], [(-1) ** t, 0.0]) for t in range(8)]
    drops = [int(s.num_drops) for s in feed(c, alternating)]
    assert drops == [0, 0, 0, 0, 1, 1, 1, 1]      # S < 0 from step 2 on; count > 4 at step 5
    steady = [([0, 0], [1.0, 0.0]) for _ in range(50)]
    assert int(feed(c, steady)[-1].num_drops) == 0


def test_distance_fires_when_the_iterate_stops_moving():
    c = distance.distance(ctx(), q=1.5, k0=5, thresh=0.6, r=0.5).bind()
    # x jumps once and stays: Omega is constant, slope 0 between the checks at n = 8 and 12
    states = feed(c, [([1.0, 1.0], [0, 0])] * 12)
    assert [int(s.num_drops) for s in states] == [0] * 11 + [1]
    assert float(states[-1].lr) == 0.5
    # a steady drift x_n = n v: Omega = n^2 |v|^2, slope 2 > 0.6: never fires
    drift = feed(c, [([n + 1.0, 0.0], [0, 0]) for n in range(200)])
    assert int(drift[-1].num_drops) == 0


def test_sasa_fires_when_z_has_mean_zero_and_not_when_it_is_positive():
    c = sasa.sasa(ctx(epochs=10, K=20, lr=1.0), keep=0.5, min_samples=10).bind()
    rng = np.random.default_rng(0)

    def run(zs):
        # one coordinate carries z: <x_next, d> + (lr/2)|d|^2 with d = (1, 0) and lr = 1
        states = feed(c, [([z - 0.5, 0.0], [1.0, 0.0]) for z in zs])
        s = states[-1]
        _, s = c.update(s, jnp.zeros(2), EpochInfo(jnp.int32(0), jnp.asarray(0.0)))
        return s

    stationary = 0.01 + np.tile([1.0, -1.0], 20)            # mean 0.01, halves both > 0
    assert int(run(stationary).num_drops) == 1
    moving = 1.0 + 0.1 * rng.standard_normal(40)            # far from stationarity
    assert int(run(moving).num_drops) == 0
    too_few = 0.01 + np.tile([1.0, -1.0], 4)                # 8 samples, half kept: < 10
    assert int(run(too_few).num_drops) == 0


def test_oracle_drops_where_the_exact_bias_meets_the_floor():
    h, cvar = np.array([0.2, 1.0]), np.array([0.05, 0.05])
    model = QuadraticModel(h, cvar, np.array([5.0, 5.0]))
    c = oracle.oracle(ctx(epochs=30, K=5, lr=0.5, model=model))
    # independent check of the criterion at the first drop
    P, lr = model.y0 ** 2, 0.5
    first = None
    for e in range(30):
        alpha, q = epoch_factors(h, cvar, lr, 5)
        P = alpha ** 2 * P + q
        if P.sum() <= 2 * (q / (1 - alpha ** 2)).sum():
            first = e
            break
    assert c.config["drop_epochs"][0] == first
    with pytest.raises(AssumptionError, match="oracle needs the exact quadratic model"):
        oracle.oracle(ctx())
    short = oracle.oracle(ctx(epochs=2, K=1, lr=0.01, model=model))   # bias far above the floor
    assert short.config["drop_epochs"] == []
