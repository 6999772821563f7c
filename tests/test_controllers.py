"""One contract test over every registered controller, plus method-specific facts."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from autodrop_theory import AssumptionError
from simulations import controllers, engine
from simulations.problems import default_quadratic_model, quadratic_problem

MODEL = default_quadratic_model(dim=20, mu=0.05, seed=3)
CTX = controllers.RunContext(lr=0.5, epochs=40, steps_per_epoch=10, mu=MODEL.mu, L=MODEL.L,
                             dim=MODEL.dim, model=MODEL)


@pytest.mark.parametrize("name", controllers.available())
def test_contract(name):
    c = controllers.make(name, CTX)
    assert c.name == name and isinstance(c.config, dict)
    x0 = jnp.asarray(MODEL.y0)
    traces = []

    def boundary(state, x, epoch):
        traces.append(1)   # runs only while tracing
        x, state = c.update(state, x, controllers.EpochInfo(epoch, jnp.zeros(())))
        return x, state, c.lr(state, jnp.int32(0)), c.num_drops(state)

    f = jax.jit(boundary)
    state = c.init(x0)
    for e in range(5):
        x, state, lr, nd = f(state, x0 * (0.5 ** e), jnp.int32(e))
    assert len(traces) == 1, "recompiled on a later call"
    assert nd.dtype == jnp.int32 and lr.shape == ()
    # pure: the same inputs give the same outputs
    again = f(c.init(x0), x0, jnp.int32(0))
    first = f(c.init(x0), x0, jnp.int32(0))
    for a, b in zip(jax.tree_util.tree_leaves(again), jax.tree_util.tree_leaves(first)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # vmap-able inside the simulator, and converges on a quadratic
    traj = engine.simulate(quadratic_problem(MODEL, jnp.float64), c, epochs=CTX.epochs,
                           steps_per_epoch=CTX.steps_per_epoch, keys=engine.seed_keys(0, 8))
    assert not traj.diverged.any()
    assert traj.sq_dist[:, -1].mean() < 0.1 * traj.sq_dist[:, 0].mean()


def test_unknown_method_and_bad_context():
    with pytest.raises(AssumptionError, match="methods: unknown method 'nope'"):
        controllers.make("nope", CTX)
    with pytest.raises(AssumptionError, match="epochs: need an integer >= 1"):
        controllers.RunContext(lr=0.5, epochs=0, steps_per_epoch=1, mu=1, L=1, dim=1)
    with pytest.raises(AssumptionError, match="lr: need a value in"):
        controllers.RunContext(lr=-1.0, epochs=3, steps_per_epoch=1, mu=1, L=1, dim=1)
    with pytest.raises(AssumptionError, match="lr: autodrop_paper needs lr >= the published"):
        controllers.make("autodrop_paper", controllers.RunContext(
            lr=1e-5, epochs=3, steps_per_epoch=1, mu=1, L=1, dim=1))


def test_step_decay_drops_at_the_documented_epochs():
    traj = engine.simulate(quadratic_problem(MODEL, jnp.float64),
                           controllers.make("step_decay", CTX), epochs=40, steps_per_epoch=10,
                           keys=engine.seed_keys(0, 2))
    # milestones 20 and 30 are the first epochs at the new rate: drops at the end of 19 and 29
    assert traj.drop_epochs() == [[19, 29], [19, 29]]
    np.testing.assert_allclose(traj.lr[0, [0, 19, 20, 29, 30, 39]],
                               [0.5, 0.5, 0.1, 0.1, 0.02, 0.02], rtol=1e-12)


def test_autodrop_defaults_floor_allows_two_rate_drops():
    c = controllers.make("autodrop", CTX)
    assert c.config["min_lr"] == pytest.approx(0.5 * 0.2 ** controllers.AUTODROP_MAX_RATE_DROPS)
    assert c.config["guard_deg"] == 90.0
