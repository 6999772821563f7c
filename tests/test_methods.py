"""One contract test over every registered method (optax style), the registry's metadata, and
method-specific facts."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from autodrop_theory import AssumptionError, angular
from simulations import engine, methods
from simulations.methods import autodrop
from simulations.methods.base import EpochInfo, Method, RunContext
from simulations.problems import QuadraticProblem, default_model

MODEL = default_model(dim=20, mu=0.05, seed=3)
PROBLEM = QuadraticProblem(MODEL)
CTX = RunContext(lr=0.5, epochs=40, steps_per_epoch=10, mu=MODEL.mu, L=MODEL.L, dim=MODEL.dim,
                 model=MODEL)
# What each method is, stated here independently of the registry (the registry must agree).
PAPER_PER_STEP = {"autodrop_uai", "autodrop_uai_printed", "halving"}   # the paper's rules
PER_STEP = {"averaged", "pflug", "distance", "sasa", "autodrop"} | PAPER_PER_STEP
AUTOMATIC = {"autodrop", "autodrop_paper", "autodrop_immediate", "autodrop_v1", "plateau", "pflug",
             "distance", "sasa"} | PAPER_PER_STEP       # autodrop_model: fixed before the run
NEEDS_MODEL = {"oracle"}
NEEDS_STEPS = {"pflug", "distance", "sasa", "plateau"} | PAPER_PER_STEP   # every step, or the loss


def test_registry_metadata_matches_what_each_method_is():
    reg = methods.REGISTRY
    assert {n for n, s in reg.items() if s.per_step} == PER_STEP
    assert {n for n, s in reg.items() if s.automatic} == AUTOMATIC == set(methods.automatic())
    assert {n for n, s in reg.items() if s.needs_model} == NEEDS_MODEL
    assert set(methods.available(exact_model=False)) == set(reg) - NEEDS_MODEL
    assert {n for n, s in reg.items() if s.needs_steps} == NEEDS_STEPS
    assert {n for n, s in reg.items() if not s.family.epoch_level} == NEEDS_STEPS


CONSTANT_FINAL = float(angular.expected_sq_dist(MODEL.hessian_eigs, MODEL.noise_var, MODEL.y0,
                                               [CTX.lr] * CTX.epochs, CTX.steps_per_epoch)[-1])


@pytest.fixture(scope="module")
def all_runs():
    """Every registered method in one engine call (one compiled program for all families)."""
    return engine.simulate(PROBLEM, [methods.make(n, CTX) for n in methods.available()],
                           epochs=CTX.epochs, steps_per_epoch=CTX.steps_per_epoch,
                           keys=engine.seed_keys(0, 8), dtype=jnp.float64)


@pytest.mark.parametrize("name", methods.available())
def test_contract(name, all_runs):
    m = methods.make(name, CTX)
    assert isinstance(m, Method) and m.name == name
    assert m.family is methods.REGISTRY[name].family
    json.dumps(m.config, default=float)          # recordable in results.json
    c = m.bind()
    x0 = jnp.asarray(MODEL.y0)
    traces = []

    def boundary(state, x, epoch):
        traces.append(1)   # runs only while tracing
        x, state = c.update(state, x, EpochInfo(epoch, jnp.zeros(())))
        return x, state, c.lr(state, jnp.int32(0)), c.num_drops(state)

    f = jax.jit(boundary)
    state = c.init(x0)
    for e in range(5):
        x, state, lr, nd = f(state, x0 * (0.5 ** e), jnp.int32(e))
    assert len(traces) == 1, "recompiled on a later call"
    assert nd.dtype == jnp.int32 and lr.shape == ()
    # vmap-able inside the simulator, and converges on a quadratic: every method only lowers
    # the rate, so it ends at or below the exact error of the constant rate (docs/theory.md
    # §2c) up to 4 standard errors of its 8-seed mean
    traj = all_runs[name]
    assert not traj.diverged.any()
    final = traj.sq_dist[:, -1]
    assert final.mean() <= CONSTANT_FINAL + 4 * final.std(ddof=1) / np.sqrt(final.size)


def test_unknown_method_and_bad_context():
    with pytest.raises(AssumptionError, match="methods: unknown method 'nope'"):
        methods.make("nope", CTX)
    with pytest.raises(AssumptionError, match="epochs: need an integer >= 1"):
        RunContext(lr=0.5, epochs=0, steps_per_epoch=1, mu=1, L=1, dim=1)
    with pytest.raises(AssumptionError, match="lr: need a value in"):
        RunContext(lr=-1.0, epochs=3, steps_per_epoch=1, mu=1, L=1, dim=1)
    with pytest.raises(AssumptionError, match="lr: autodrop_paper needs lr >= the published"):
        methods.make("autodrop_paper", RunContext(lr=1e-5, epochs=3, steps_per_epoch=1, mu=1,
                                                  L=1, dim=1))


def test_step_decay_drops_at_the_documented_epochs(all_runs):
    traj = all_runs["step_decay"]        # CTX's budget: 40 epochs of 10 steps, 8 seeds
    assert (CTX.epochs, CTX.steps_per_epoch) == (40, 10)
    # milestones 20 and 30 are the first epochs at the new rate: drops at the end of 19 and 29
    assert traj.drop_epochs() == [[19, 29]] * 8
    np.testing.assert_allclose(traj.lr[0, [0, 19, 20, 29, 30, 39]],
                               [0.5, 0.5, 0.1, 0.1, 0.02, 0.02], rtol=1e-12)


def test_autodrop_defaults_count_no_epochs_and_keep_the_theorem_condition():
    """No default of ``autodrop`` is a count of epochs or steps (no fixed wait, no rate floor:
    the floor lr rho^2 allowed a fixed number of drops), and drop_factor x stage_growth < 1
    (docs/theory.md §10); ``autodrop_v1`` keeps the previous defaults."""
    m = methods.make("autodrop", CTX)
    assert m.hp.extra_epochs == 0 and m.hp.min_lr == 0.0
    assert m.hp.delay_fraction > 0 and m.hp.guard_deg == 90.0
    assert m.hp.drop_factor * m.hp.stage_growth < 1
    assert m.config["saturation_average"] and m.config["observe_sgd_point"]   # static features
    v1 = methods.make("autodrop_v1", CTX)
    assert v1.hp.min_lr == pytest.approx(0.5 * 0.2 ** autodrop.V1_RATE_DROPS)
    assert v1.hp.extra_epochs == 40 and v1.hp.delay_fraction == 0.0


def _first_drops(lrs, epochs=300, seeds=32):
    """Mean first drop epoch of autodrop and autodrop_v1 at each rate of ``lrs`` on an
    isotropic quadratic (d = 400, h = 1, K = 4), all in one engine call (one horizon: the
    first drop does not depend on it)."""
    from simulations.problems import quadratic
    d = 400
    problem = quadratic(np.ones(d), np.full(d, 1.0 / d), np.full(d, 3.0))
    ms = []
    for lr in lrs:
        ctx = RunContext(lr=lr, epochs=epochs, steps_per_epoch=4, mu=1.0, L=1.0, dim=d,
                         model=problem.exact_model)
        ms += [autodrop.autodrop(ctx, f"autodrop@{lr}"),
               autodrop.autodrop_v1(ctx)._replace(name=f"autodrop_v1@{lr}")]
    trajs = engine.simulate(problem, ms, epochs=epochs, steps_per_epoch=4,
                            keys=engine.seed_keys(1, seeds))
    out = {}
    for m in ms:
        firsts = [row[0] for row in trajs[m.name].drop_epochs() if row]
        assert len(firsts) == seeds, m.name
        out[m.name] = float(np.mean(firsts))
    return out


def test_autodrop_first_drop_follows_the_problem_time_scale():
    """A four times smaller rate makes the problem four times slower: autodrop's first drop
    moves 2-6x later (measured 25.5 -> 70.1 epochs, 2.75x, 32 seeds: the saturation trigger's
    own wait, about 1/P(|N(0,1)| < z) epochs, does not scale); the previous defaults add a fixed
    40-epoch wait whatever the scale, so theirs moves less (measured 52.3 -> 74.6, 1.43x; < 1.7
    asked)."""
    first = _first_drops((0.2, 0.05))
    fast, slow = first["autodrop@0.2"], first["autodrop@0.05"]
    assert 2 <= slow / fast <= 6, (fast, slow)
    v1_fast, v1_slow = first["autodrop_v1@0.2"], first["autodrop_v1@0.05"]
    assert v1_fast >= 40 and v1_slow / v1_fast < 1.7, (v1_fast, v1_slow)
