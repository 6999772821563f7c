"""The paper's rules as optax transformations (autodrop_theory.optax_paper) reproduce the
simulator's methods of the same names on the same noise: the shared code path is the pure rule
(autodrop_theory.paper_rules) plus the UM step (autodrop_theory.momentum)."""

import doctest

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import autodrop_theory.optax_paper as op
from autodrop_theory import AssumptionError
from autodrop_theory import paper_rules as pr
from simulations import engine, methods
from simulations.methods.base import RunContext
from simulations.problems import QuadraticProblem, default_model

MODEL = default_model(dim=30, mu=0.05, seed=2)
E, K, S, LR = 30, 10, 3, 0.5
CTX = RunContext(lr=LR, epochs=E, steps_per_epoch=K, mu=MODEL.mu, L=MODEL.L, dim=MODEL.dim)
NAMES = ("autodrop_uai", "halving", "autodrop_model")   # the printed Algorithm 1 is the same
                                                        # code path as autodrop_uai (a data flag)
BETAS = (0.0, 0.5)


def _transform(name, beta):
    """Plain SGD (beta = 0): the chained form after optax.sgd; heavy ball: the UM form (s = 0)."""
    window = pr.paper_window(K)
    if beta == 0:
        scale = {"autodrop_uai": lambda: op.scale_by_autodrop_uai(LR, window),
                 "halving": lambda: op.scale_by_halving(LR),
                 "autodrop_model": lambda: op.scale_by_autodrop_model(LR, E * K, gamma=MODEL.mu)}
        return optax.chain(optax.sgd(LR), scale[name]())
    return {"autodrop_uai": lambda: op.autodrop_uai_sgd(LR, window, momentum=beta, s=0.0),
            "halving": lambda: op.halving_sgd(LR, momentum=beta, s="heavy_ball"),
            "autodrop_model": lambda: op.autodrop_model_sgd(LR, E * K, gamma=MODEL.mu,
                                                            momentum=beta)}[name]()


def _loop(tx, keys):
    """The engine's noise stream (epoch e of a seed: sd * N(0, I) of shape (K, d) drawn in
    float32 from fold_in(key, e)); returns ||x||^2 per boundary, mean rate per epoch."""
    h = jnp.asarray(MODEL.hessian_eigs)
    sd = jnp.asarray(np.sqrt(MODEL.noise_var))

    def one(key):
        x0 = jnp.asarray(MODEL.y0)

        def epoch(carry, e):
            noise = sd * jax.random.normal(jax.random.fold_in(key, e), (K, h.size),
                                           jnp.float32).astype(jnp.float64)

            def step(c, xi):
                x, s = c
                u, s = tx.update(h * x + xi, s, x)
                return (optax.apply_updates(x, u), s), op.read(s)["lr"]

            (x, s), lrs = jax.lax.scan(step, carry, noise)
            return (x, s), (jnp.vdot(x, x), lrs.mean())

        _, (sq, lr) = jax.lax.scan(epoch, (x0, tx.init(x0)), jnp.arange(E))
        return jnp.concatenate([jnp.vdot(x0, x0)[None], sq]), lr

    return jax.jit(jax.vmap(one))(keys)


@pytest.fixture(scope="module")
def engine_runs():
    keys = engine.seed_keys(5, S)
    ms = [methods.make(n, CTX) for n in NAMES]
    return {beta: engine.simulate(QuadraticProblem(MODEL), ms, epochs=E, steps_per_epoch=K,
                                  keys=keys, momentum=beta, dtype=jnp.float64, sampler="steps")
            for beta in BETAS}


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("name", NAMES)
def test_optax_trajectory_equals_the_simulator_method(name, beta, engine_runs):
    ref = engine_runs[beta][name]
    assert ref.dropped.sum() >= S                      # the comparison covers drops
    sq, lr = map(np.asarray, _loop(_transform(name, beta), engine.seed_keys(5, S)))
    np.testing.assert_allclose(sq, ref.sq_dist, rtol=1e-10)
    np.testing.assert_allclose(lr, ref.lr, rtol=1e-10)


def test_state_is_found_in_optax_containers_and_bad_input_is_refused():
    assert doctest.testmod(op).failed == 0
    p = {"w": jnp.ones(3), "b": jnp.zeros(2)}
    tx = optax.multi_transform({"a": optax.chain(optax.sgd(0.1), op.scale_by_halving(0.1))},
                               {"w": "a", "b": "a"})
    s = tx.init(p)
    _, s = tx.update(p, s, p)
    assert int(op.read(s)["steps"]) == 1
    inj = optax.chain(optax.inject_hyperparams(optax.sgd)(learning_rate=0.1),
                      op.scale_by_autodrop_uai(0.1, 4))
    assert float(op.read(inj.init(p))["lr"]) == pytest.approx(0.1)
    with pytest.raises(AssumptionError, match="need exactly one paper-rule state"):
        op.read(optax.sgd(0.1).init(p))
    with pytest.raises(AssumptionError, match="params: this transformation reads"):
        tx.update(p, s)
    for call, needle in ((lambda: op.scale_by_halving(-1.0), "^learning_rate: need"),
                         (lambda: op.scale_by_autodrop_uai(0.1, 0), "^window: need an integer"),
                         (lambda: op.halving_sgd(0.1, momentum=1.0), "^momentum: need"),
                         (lambda: op.halving_sgd(0.1, s="bogus"), "^s: need"),
                         (lambda: op.scale_by_autodrop_model(0.1, 10, gamma=0.0), "^gamma: need"),
                         (lambda: op.scale_by_autodrop_model(0.1, 10, gamma=1.0, tau0=-1),
                          "^tau0: need")):
        with pytest.raises(AssumptionError, match=needle):
            call()
