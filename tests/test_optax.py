"""AutoDrop as an optax transformation: the contract (jit, chain, pytree state, the rate changes
only at snapshots, tail averaging lands on the weighted average, bad config refused), and two
equivalences: with the package's snapshot timing a plain optax loop reproduces the engine's
``autodrop`` trajectory on the same noise; with the released code's timing it reproduces a
NumPy re-implementation of the released code's loop written here.

Tolerance of the equivalences: both sides run in float64 and perform the same arithmetic up to
the order of a few operations (a sum of the step into the parameters, the tail-average jump
emitted as x_avg - x and added back), so they agree to a few ulps per step; after 300-600 steps
we require relative agreement 1e-10 on ||x - x*||^2, and identical drop epochs."""

import dataclasses
import doctest

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import autodrop_theory.optax as ado
from autodrop_theory import AssumptionError
from autodrop_theory.rule import AutoDropConfig
from simulations import engine
from simulations.methods import autodrop as autodrop_method
from simulations.problems import QuadraticProblem, default_model

CFG = AutoDropConfig(lr=0.5, threshold_deg=2.0, max_threshold_deg=10.0, min_lr=0.5 * 0.04,
                     extra_epochs=4, tail_average=True, guard_deg=90.0)


def test_docstring_example():
    assert doctest.testmod(ado).failed == 0


def test_the_readme_optax_example_builds_the_package_autodrop_without_simulations():
    """The README's optax snippet, run as printed (with two parameters and a zero gradient) in
    a fresh interpreter: it builds the package's AutoDrop from the library alone (the presets
    live in autodrop_theory.rule), and nothing imports ``simulations``."""
    import re
    import subprocess
    import sys
    from pathlib import Path
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    snippet = next(block for block in re.findall(r"```python\n(.*?)```", readme, re.S)
                   if "ado.autodrop(" in block)
    program = ("import jax.numpy as jnp\nparams = {'w': jnp.ones(3)}\n"
               "grads = {'w': jnp.zeros(3)}\n" + snippet +
               "import sys\nassert 'simulations' not in sys.modules, 'simulations imported'\n"
               "from autodrop_theory.rule import PACKAGE_DEFAULTS\n"
               "assert ado.read(state)['lr'] == 0.1\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    # the presets are the simulator's: one source
    assert autodrop_method.package_config(0.3) == AutoDropConfig.package(0.3)
    assert autodrop_method.v1_config(0.3).min_lr == pytest.approx(0.3 * 0.2 ** 2)


def test_bad_arguments_are_refused_naming_them():
    with pytest.raises(AssumptionError, match="config: need an AutoDropConfig"):
        ado.autodrop({"lr": 0.1}, 10)
    with pytest.raises(AssumptionError, match="steps_per_epoch: need an integer >= 1"):
        ado.autodrop(CFG, 0)
    with pytest.raises(AssumptionError, match="snapshot: need one of"):
        ado.autodrop(CFG, 10, snapshot="sometimes")
    with pytest.raises(AssumptionError, match="momentum: need a value in"):
        ado.autodrop(CFG, 10, momentum=1.5)
    with pytest.raises(AssumptionError, match="optimizer: need an optax"):
        ado.autodrop(CFG, 10, optimizer="sgd")
    with pytest.raises(AssumptionError, match="drop_factor"):
        AutoDropConfig(drop_factor=2.0)
    with pytest.raises(AssumptionError, match="state: no AutoDrop state"):
        ado.read(optax.sgd(0.1).init(jnp.ones(2)))


def _normals(key, epoch, K, d):  # noqa: N803
    """Epoch ``epoch``'s standard normals as the simulator draws them (float32, from
    fold_in(seed key, epoch); cast by the caller)."""
    return jax.random.normal(jax.random.fold_in(key, epoch), (K, d), jnp.float32)


def _quadratic_loop(tx, model, keys, epochs, K, dtype=jnp.float64, estimate=False):
    """A plain optax training loop on the quadratic, with the engine's noise stream: epoch e of
    a seed draws sd * N(0, I) of shape (K, d) from fold_in(key, e).  Returns, per seed, the
    squared distance (of the rule's estimate with ``estimate``) at each boundary, the rate per
    epoch and the drop epochs."""
    h = jnp.asarray(model.hessian_eigs, dtype)
    sd = jnp.asarray(np.sqrt(model.noise_var), dtype)

    def one(key):
        x0 = jnp.asarray(model.y0, dtype)

        def epoch(carry, e):
            x, s = carry
            noise = sd * _normals(key, e, K, h.shape[0]).astype(dtype)

            def step(c, xi):
                x, s = c
                u, s = tx.update(h * x + xi, s, x)
                return (optax.apply_updates(x, u), s), ado.read(s)["lr"]

            (x, s), lrs = jax.lax.scan(step, (x, s), noise)
            y = ado.estimate(s, x) if estimate else x
            return (x, s), (jnp.vdot(y, y), lrs[0], ado.read(s)["num_drops"])

        _, (sq, lr, drops) = jax.lax.scan(epoch, (x0, tx.init(x0)), jnp.arange(epochs))
        return jnp.concatenate([jnp.vdot(x0, x0)[None], sq]), lr, drops

    return jax.jit(jax.vmap(one))(keys)


def test_optax_loop_reproduces_the_engine_autodrop_trajectory():
    """Rates, drop epochs and the rule's estimate: with the package's averaging knobs the
    engine evaluates the estimate, and the optax loop, which feeds every step to
    ``rule.observe``, reads the same one (float64)."""
    cfg = dataclasses.replace(CFG, saturation_average=True, step_average=True,
                              confirm_wait=True, early_average=True)
    model = default_model(dim=30, seed=2)
    E, K, S = 60, 10, 4
    keys = engine.seed_keys(7, S)
    m = autodrop_method.from_config("autodrop", cfg, 30)
    ref = engine.simulate(QuadraticProblem(model), [m], epochs=E, steps_per_epoch=K, keys=keys,
                          dtype=jnp.float64, sampler="steps")["autodrop"]
    sq, lr, drops = map(np.asarray, _quadratic_loop(ado.autodrop(cfg, K), model, keys, E, K,
                                                    estimate=True))
    assert min(len(r) for r in ref.drop_epochs()) >= 1      # the comparison covers drops
    np.testing.assert_allclose(sq, ref.sq_dist, rtol=1e-10)
    np.testing.assert_allclose(lr, ref.lr, rtol=1e-12)
    got = [np.flatnonzero(np.diff(np.r_[0, row])).tolist() for row in drops]
    assert got == ref.drop_epochs()


def _released_numpy(model, noise, cfg, K):
    """The released code's training loop with its snapshot timing, re-implemented in NumPy for
    one seed: SGD; after the first step of each epoch a snapshot; the angle between consecutive
    snapshot displacements; sticky trigger |w_e - w_{e-1}| < theta (and w_e >= guard); then
    ``extra_epochs`` more snapshots accumulated with weights 1..k; then the drop: lr <-
    max(min_lr, rho lr), theta <- min(theta_max, theta / rho), parameters <- weighted average.
    The decision is taken at the snapshot and the wait starts the epoch after the trigger (the
    package's rule; the released code decides one step later and counts the trigger epoch,
    deviations stated in autodrop_theory.rule), so this checks the timing, not those choices."""
    h = model.hessian_eigs
    x = model.y0.copy()
    lr, theta = cfg.lr, cfg.threshold_deg
    snaps, angles, sq, drops = [], [], [], []
    triggered, wait, accum = False, 0, np.zeros_like(x)
    for e, epoch_noise in enumerate(noise):
        for k, xi in enumerate(epoch_noise):
            x = x - lr * (h * x + xi)
            if k == 0:                                      # the snapshot of epoch e
                snaps.append(x.copy())
                if len(snaps) >= 3:
                    u, w = snaps[-1] - snaps[-2], snaps[-2] - snaps[-3]
                    cos = u @ w / (np.linalg.norm(u) * np.linalg.norm(w) + cfg.eps)
                    angles.append(np.degrees(np.arccos(np.clip(cos, -1, 1))))
                fires = (len(angles) >= 2 and abs(angles[-1] - angles[-2]) < theta
                         and angles[-1] >= cfg.guard_deg)
                if triggered:
                    wait += 1
                    accum += wait * x
                triggered = triggered or fires
                if triggered and wait >= cfg.extra_epochs:
                    x = accum / (cfg.extra_epochs * (cfg.extra_epochs + 1) / 2)
                    snaps[-1] = x.copy()
                    if lr > cfg.min_lr * (1 + 1e-12):
                        lr = max(cfg.min_lr, cfg.drop_factor * lr)
                        drops.append(e)
                    theta = min(cfg.max_threshold_deg, theta / cfg.drop_factor)
                    triggered, wait, accum = False, 0, np.zeros_like(x)
        sq.append(x @ x)
    return np.array(sq), drops


def test_released_code_timing_reproduces_a_numpy_reimplementation():
    model = default_model(dim=30, seed=4)
    E, K = 60, 10
    key = engine.seed_keys(3, 1)
    sd = np.sqrt(model.noise_var)
    noise = np.stack([sd * np.asarray(_normals(key[0], e, K, 30), np.float64)
                      for e in range(E)])
    ref_sq, ref_drops = _released_numpy(model, noise, CFG, K)
    sq, _, drops = map(np.asarray, _quadratic_loop(
        ado.autodrop(CFG, K, snapshot="after_first_step"), model, key, E, K))
    assert ref_drops, "the reference never dropped: the comparison would not cover drops"
    np.testing.assert_allclose(sq[0, 1:], ref_sq, rtol=1e-10)
    assert np.flatnonzero(np.diff(np.r_[0, drops[0]])).tolist() == ref_drops


def test_contract_jit_chain_vmap_and_rate_changes_only_at_snapshots():
    cfg = AutoDropConfig(lr=0.3, threshold_deg=179.0, max_threshold_deg=180.0, min_lr=0.0,
                         extra_epochs=2, tail_average=True, guard_deg=0.0)
    K = 3
    tx = optax.chain(optax.add_decayed_weights(1e-3), ado.autodrop(cfg, K, momentum=0.9))
    params = {"w": jnp.ones((2, 2)), "b": jnp.zeros(3)}
    state = tx.init(params)
    traces = []

    def step(params, state, g):
        traces.append(1)          # runs only while tracing
        u, state = tx.update(g, state, params)
        return optax.apply_updates(params, u), state

    step = jax.jit(step)
    rng = np.random.default_rng(0)
    rates, epochs = [], []
    for t in range(8 * K):
        g = jax.tree_util.tree_map(lambda a: jnp.asarray(rng.standard_normal(a.shape)), params)
        params, state = step(params, state, g)
        info = ado.read(state)
        rates.append(float(info["lr"]))
        epochs.append(int(info["epoch"]))
    assert len(traces) == 1, "recompiled on a later step"
    changes = [t for t in range(1, len(rates)) if rates[t] != rates[t - 1]]
    assert changes and all((t + 1) % K == 0 for t in changes)       # only at epoch ends
    assert epochs == [(t + 1) // K for t in range(8 * K)]            # one snapshot per epoch
    # the state is a pytree of arrays: the transformation vmaps over a batch of models
    batch = jax.tree_util.tree_map(lambda a: jnp.stack([a, 2 * a]), params)
    u, s2 = jax.vmap(tx.update)(batch, jax.vmap(tx.init)(batch), batch)
    assert jax.tree_util.tree_leaves(u)[0].shape[0] == 2


def test_tail_average_lands_on_the_weighted_average():
    """Deterministic gradients; theta is so large that the trigger fires at the first boundary
    with two angles (boundary 3); with extra_epochs = 2 the snapshots x_(1), x_(2) of boundaries
    4 and 5 are accumulated and at boundary 5 the parameters become (1 x_(1) + 2 x_(2)) / 3."""
    cfg = AutoDropConfig(lr=0.1, threshold_deg=179.0, max_threshold_deg=180.0, min_lr=0.0,
                         extra_epochs=2, tail_average=True, guard_deg=0.0)
    K = 2
    tx = ado.autodrop(cfg, K)
    x = jnp.asarray([3.0, -1.0, 2.0])
    s = tx.init(x)
    plain, emitted, drops = [], [], []        # per boundary 1, 2, ...
    for t in range(6 * K):
        g = x * jnp.asarray([1.0, 0.5, 0.2]) + jnp.sin(t)
        x_plain = x - ado.read(s)["lr"] * g
        u, s = tx.update(g, s, x)
        x = optax.apply_updates(x, u)
        if (t + 1) % K == 0:
            plain.append(np.asarray(x_plain))
            emitted.append(np.asarray(x))
            drops.append(int(ado.read(s)["num_drops"]))
    assert drops.index(1) == 4                          # boundary 5 (index 4) drops
    np.testing.assert_allclose(emitted[3], plain[3], rtol=1e-15)   # no jump while waiting
    np.testing.assert_allclose(emitted[4], (1 * plain[3] + 2 * plain[4]) / 3, rtol=1e-12)
    assert float(ado.read(s)["lr"]) == pytest.approx(0.02)


def test_read_and_estimate_find_the_state_in_any_optax_container():
    """optax's tree utilities find the state inside multi_transform (masked params),
    inject_hyperparams and a dict; two AutoDrop states are ambiguous and refused."""
    cfg = AutoDropConfig(lr=0.1, threshold_deg=1.0, extra_epochs=0, tail_average=False)
    params = {"w": jnp.ones(3), "b": jnp.ones(2)}
    multi = optax.multi_transform({"a": ado.autodrop(cfg, 5), "s": optax.sgd(0.3)},
                                  {"w": "a", "b": "s"})
    injected = optax.inject_hyperparams(
        lambda scale: optax.chain(optax.scale(scale), ado.autodrop(cfg, 5)))(scale=1.0)
    for tx in (multi, injected):
        state = tx.init(params)
        _, state = tx.update(params, state, params)
        assert float(ado.read(state)["lr"]) == pytest.approx(0.1)
        assert int(ado.read(state)["epoch"]) == 0
    np.testing.assert_array_equal(ado.estimate(state, params)["w"], params["w"])
    assert float(ado.read({"opt": multi.init(params)})["lr"]) == pytest.approx(0.1)
    both = optax.multi_transform({"a": ado.autodrop(cfg, 5), "b": ado.autodrop(cfg, 5)},
                                 {"w": "a", "b": "b"}).init(params)
    with pytest.raises(AssumptionError, match="^state: 2 AutoDrop states"):
        ado.read(both)

