"""AutoDrop as optax transformations: the contract (jit, vmap, chain after sgd or adam,
inject_hyperparams, multi_transform, pytree state, the rate changes only at snapshots, the
tail-average jump, bad arguments refused), the state's size per preset, and the equivalences:
``autodrop_sgd`` reproduces the simulator's AutoDrop (the same rule and momentum code) at
momentum 0, heavy ball 0.9 and Nesterov on the engine's own noise; with the released code's
snapshot timing it reproduces a NumPy re-implementation of the released code's loop.

Tolerance of the equivalences: both sides run in float64 and perform the same arithmetic up to
the order of a few operations (the tail-average jump emitted as x_avg - x and added back), so
they agree to a few ulps per step; after 600 steps we require relative agreement 1e-10 on the
reported squared distance and on the angles, equal rates and identical drop epochs.  The
negative controls break the shared momentum handling on the optax side (the angle measured on
x instead of the SGD point; optax's gradient-buffer momentum instead of the rate inside the
buffer) and require the same comparison to fail."""

import dataclasses
import doctest
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import autodrop_theory.optax as ado
from autodrop_theory import AssumptionError
from autodrop_theory import momentum as um
from autodrop_theory.rule import AutoDropConfig
from simulations import engine
from simulations.methods import autodrop as autodrop_method
from simulations.problems import QuadraticProblem, default_model

ROOT = Path(__file__).resolve().parent.parent
CFG = AutoDropConfig(lr=0.5, threshold_deg=2.0, max_threshold_deg=10.0, min_lr=0.5 * 0.04,
                     extra_epochs=4, tail_average=True, guard_deg=90.0)


def test_docstring_example():
    assert doctest.testmod(ado).failed == 0


def test_the_readme_optax_example_builds_the_package_autodrop_without_simulations():
    """The README's optax snippet, run as printed (with two parameters and a zero gradient) in
    a fresh interpreter: it builds the package's AutoDrop from the library alone, and nothing
    imports ``simulations``."""
    import re
    readme = (ROOT / "README.md").read_text()
    snippet = next(block for block in re.findall(r"```python\n(.*?)```", readme, re.S)
                   if "ado.scale_by_autodrop(" in block)
    program = ("import jax.numpy as jnp\nparams = {'w': jnp.ones(3)}\n"
               "grads = {'w': jnp.zeros(3)}\n" + snippet +
               "import sys\nassert 'simulations' not in sys.modules, 'simulations imported'\n"
               "assert ado.read(state)['lr'] == 0.1\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert autodrop_method.package_config(0.3) == AutoDropConfig.package(0.3)


def test_the_example_script_trains_and_drops():
    """docs/example_optax.py runs as a script (a few seconds) and reports a drop."""
    done = subprocess.run([sys.executable, str(ROOT / "docs" / "example_optax.py")],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "drops: " in done.stdout and "drops: 0" not in done.stdout, done.stdout


def test_bad_arguments_are_refused_naming_them():
    for make in (ado.scale_by_autodrop, ado.autodrop_sgd):
        with pytest.raises(AssumptionError, match="config: need an AutoDropConfig"):
            make({"lr": 0.1}, 10)
        with pytest.raises(AssumptionError, match="steps_per_epoch: need an integer >= 1"):
            make(CFG, 0)
        with pytest.raises(AssumptionError, match="snapshot: need one of"):
            make(CFG, 10, snapshot="sometimes")
        with pytest.raises(AssumptionError, match="momentum: need a value in"):
            make(CFG, 10, momentum=1.5)
    with pytest.raises(AssumptionError, match="s: need a number >= 0 or one of"):
        ado.autodrop_sgd(CFG, 10, momentum=0.9, s="nesterovv")
    with pytest.raises(AssumptionError, match="state: no AutoDrop state"):
        ado.read(optax.sgd(0.1).init(jnp.ones(2)))
    tx = ado.scale_by_autodrop(CFG, 5)
    state = tx.init(jnp.ones(3))
    with pytest.raises(AssumptionError, match="params: this transformation reads the parameters"):
        tx.update(jnp.ones(3), state)
    with pytest.raises(AssumptionError, match="params: need 3 parameters"):
        ado.autodrop_eval_params(state, jnp.ones(4))


# ------------------------------------------------------------- equivalence with the simulator
E, K, S, D = 60, 10, 3, 30     # noqa: E741
MODEL = default_model(dim=D, seed=2)
PROBLEM = QuadraticProblem(MODEL)
KEYS = engine.seed_keys(7, S)
EQ_CFG = AutoDropConfig.package(0.5, threshold_deg=5.0, max_threshold_deg=20.0, delay_fraction=0.5,
                                early_average=True)


def _engine(beta, um_s=None):
    kw = {} if um_s is None else {"um_s": um_s}
    m = autodrop_method.from_config("autodrop", EQ_CFG, D)
    return engine.simulate(PROBLEM, [m], epochs=E, steps_per_epoch=K, keys=KEYS, momentum=beta,
                           dtype=jnp.float64, sampler="steps", **kw)["autodrop"]


def _optax_loop(tx):
    """A plain optax loop on the engine's problem and noise: epoch e of a seed draws
    ``kind.epoch_noise(data, fold_in(key, e), K)`` and steps with ``kind.grad``, as
    simulations/engine.py does.  Returns per seed the squared distance of the evaluated point
    (``autodrop_eval_params``) and the angle between the parameters' epoch displacements at
    each boundary, the rate per epoch and the drop count per epoch."""
    kind, data = PROBLEM.kind, PROBLEM.data(jnp.float64)

    def one(key):
        x0 = kind.x0(data, jax.random.fold_in(key, engine.INIT_STREAM))

        def epoch(carry, e):
            x, x_prev, s = carry
            lr = ado.read(s)["lr"]

            def step(c, xi):
                x, s = c
                u, s = tx.update(kind.grad(data, x, xi)[0], s, x)
                return (optax.apply_updates(x, u), s), None

            (x_end, s), _ = jax.lax.scan(step, (x, s),
                                         kind.epoch_noise(data, jax.random.fold_in(key, e), K))
            ang = jnp.where(e >= 1, ado.rule.angle_deg(x_end - x, x - x_prev), jnp.nan)
            y = ado.autodrop_eval_params(s, x_end)
            return (x_end, x, s), (kind.sq_dist(data, y), ang, lr, ado.read(s)["num_drops"])

        _, (sq, ang, lr, drops) = jax.lax.scan(epoch, (x0, x0, tx.init(x0)), jnp.arange(E))
        return (jnp.concatenate([kind.sq_dist(data, x0)[None], sq]),
                jnp.concatenate([jnp.full(1, jnp.nan), ang]), lr, drops)

    return [np.asarray(a) for a in jax.jit(jax.vmap(one))(KEYS)]


_RUNS = {}


def _run(name, make_tx):
    """:func:`_optax_loop` of ``make_tx()``, computed once per name in this module."""
    if name not in _RUNS:
        _RUNS[name] = _optax_loop(make_tx())
    return _RUNS[name]


def _agrees(ref, got):
    """Identical drop epochs; rates (the engine records the epoch's mean of K equal rates,
    a rounding apart), the evaluated point's squared distance and the angles to 1e-10."""
    sq, ang, lr, drops = got
    epochs = [np.flatnonzero(np.diff(np.r_[0, row])).tolist() for row in drops]
    return (epochs == ref.drop_epochs() and np.allclose(lr, ref.lr, rtol=1e-12, atol=0)
            and np.allclose(sq, ref.sq_dist, rtol=1e-10, atol=0)
            and np.allclose(ang, ref.angle_deg, rtol=1e-10, atol=0, equal_nan=True))


@pytest.fixture(scope="module")
def engine_runs():
    return {beta: _engine(beta) for beta in (0.0, 0.9)}


@pytest.mark.parametrize("beta", [0.0, 0.9])
def test_autodrop_sgd_reproduces_the_simulator(engine_runs, beta):
    """Momentum 0 and heavy ball 0.9 (UM at s = 0): identical drop epochs and rates, the
    evaluated point and the angles to 1e-10, with the package's features (the SGD point, the
    epoch guard, the confirmation, the step averages, the early average) and drops in every
    seed."""
    ref = engine_runs[beta]
    assert min(len(r) for r in ref.drop_epochs()) >= 1        # the comparison covers drops
    assert _agrees(ref, _run(f"sgd{beta}", lambda: ado.autodrop_sgd(EQ_CFG, K, momentum=beta)))


def test_nesterov_reproduces_the_simulator():
    """Nesterov (UM at s = 1) through the engine's unified momentum (``um_s``)."""
    ref = _engine(0.9, um_s=1.0)
    assert min(len(r) for r in ref.drop_epochs()) >= 1
    assert _agrees(ref, _optax_loop(ado.autodrop_sgd(EQ_CFG, K, momentum=0.9, s="nesterov")))


def test_breaking_the_shared_momentum_handling_breaks_the_equivalence(engine_runs, monkeypatch):
    """Negative controls at heavy ball 0.9: the angle measured on x instead of the SGD point,
    or optax's momentum (gradients in the buffer, the rate outside) instead of the rate inside
    the buffer, and the optax loop no longer reproduces the simulator."""
    ref = engine_runs[0.9]
    assert not _agrees(ref, _run("chained0.9", lambda: _chained(EQ_CFG, 0.9)))
    monkeypatch.setattr(ado.um, "sgd_point", lambda x, m, beta, s: x)
    assert not _agrees(ref, _optax_loop(ado.autodrop_sgd(EQ_CFG, K, momentum=0.9)))


def _chained(cfg, beta):
    return optax.chain(optax.sgd(cfg.lr, momentum=beta or None),
                       ado.scale_by_autodrop(cfg, K, momentum=beta))


def test_observe_sgd_point_changes_the_optax_trace():
    """With momentum the flag is read by the optax path (it was ignored once: bit-identical
    traces either way)."""
    on = _run("chained0.9", lambda: _chained(EQ_CFG, 0.9))
    off = _run("chained0.9-x", lambda: _chained(
        dataclasses.replace(EQ_CFG, observe_sgd_point=False), 0.9))
    assert not np.array_equal(on[1], off[1], equal_nan=True)


def test_scale_by_autodrop_after_plain_sgd_is_autodrop_sgd():
    """Without momentum the chained form and the convenience form are one rule: the same
    drops and trajectory (to 1e-12: lr_t/lr_0 * (-lr_0 g) against -lr_t g)."""
    a = _run("chained0.0", lambda: _chained(EQ_CFG, 0.0))
    b = _run("sgd0.0", lambda: ado.autodrop_sgd(EQ_CFG, K))
    assert (np.diff(a[3]) > 0).any()
    np.testing.assert_array_equal(a[3], b[3])
    np.testing.assert_allclose(a[0], b[0], rtol=1e-12)


# --------------------------------------------------- the released code's timing, in NumPy
def _released_numpy(model, noise, cfg):
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
    epochs, steps = 60, 10
    key = engine.seed_keys(3, 1)[0]
    sd = np.sqrt(model.noise_var)
    noise = np.stack([sd * np.asarray(jax.random.normal(jax.random.fold_in(key, e),
                                                        (steps, 30), jnp.float32), np.float64)
                      for e in range(epochs)])
    ref_sq, ref_drops = _released_numpy(model, noise, CFG)
    tx = ado.autodrop_sgd(CFG, steps, snapshot="after_first_step")
    h = jnp.asarray(model.hessian_eigs)

    def step(c, xi):
        x, s = c
        u, s = tx.update(h * x + xi, s, x)
        x = optax.apply_updates(x, u)
        return (x, s), (jnp.vdot(x, x), ado.read(s)["num_drops"])

    x0 = jnp.asarray(model.y0)
    _, (sq, drops) = jax.jit(lambda n: jax.lax.scan(step, (x0, tx.init(x0)), n))(
        jnp.asarray(noise.reshape(-1, 30)))
    sq, drops = np.asarray(sq)[steps - 1::steps], np.asarray(drops)[steps - 1::steps]
    assert ref_drops, "the reference never dropped: the comparison would not cover drops"
    np.testing.assert_allclose(sq, ref_sq, rtol=1e-10)
    assert np.flatnonzero(np.diff(np.r_[0, drops])).tolist() == ref_drops


# ------------------------------------------------------------------------------ contract
def test_contract_jit_chain_vmap_and_rate_changes_only_at_snapshots():
    cfg = AutoDropConfig(lr=0.3, threshold_deg=179.0, max_threshold_deg=180.0, min_lr=0.0,
                         extra_epochs=2, tail_average=True, guard_deg=0.0)
    steps = 3
    tx = optax.chain(optax.add_decayed_weights(1e-3), optax.sgd(0.3, momentum=0.9),
                     ado.scale_by_autodrop(cfg, steps, momentum=0.9))
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
    for t in range(8 * steps):
        g = jax.tree_util.tree_map(lambda a: jnp.asarray(rng.standard_normal(a.shape)), params)
        params, state = step(params, state, g)
        info = ado.read(state)
        rates.append(float(info["lr"]))
        epochs.append(int(info["epoch"]))
    assert len(traces) == 1, "recompiled on a later step"
    changes = [t for t in range(1, len(rates)) if rates[t] != rates[t - 1]]
    assert changes and all((t + 1) % steps == 0 for t in changes)       # only at epoch ends
    assert epochs == [(t + 1) // steps for t in range(8 * steps)]        # one snapshot per epoch
    batch = jax.tree_util.tree_map(lambda a: jnp.stack([a, 2 * a]), params)
    u, _ = jax.jit(jax.vmap(tx.update))(batch, jax.vmap(tx.init)(batch), batch)
    assert jax.tree_util.tree_leaves(u)[0].shape[0] == 2


def test_after_adam_the_factor_scales_adams_updates():
    """Chained after adam, the emitted update is adam's times lr_t / lr_0: 1 before a drop,
    drop_factor after the first (deterministic gradients, a threshold that fires at once)."""
    cfg = AutoDropConfig(lr=1e-2, threshold_deg=179.0, max_threshold_deg=180.0, min_lr=0.0,
                         extra_epochs=0, tail_average=False, drop_factor=0.5)
    adam = optax.adam(1e-2)
    tx = optax.chain(adam, ado.scale_by_autodrop(cfg, 2))
    x = jnp.asarray([1.0, -2.0, 0.5])
    s, sa = tx.init(x), adam.init(x)

    @jax.jit
    def step(x, s, sa, t):
        g = jnp.sin(x + t)
        ua, sa = adam.update(g, sa, x)
        u, s = tx.update(g, s, x)
        return optax.apply_updates(x, u), s, sa, u[0] / ua[0]

    factors = []
    with jax.numpy_dtype_promotion("standard"):     # optax's adam mixes int32 and floats
        for t in range(12):
            x, s, sa, f = step(x, s, sa, float(t))
            factors.append(float(f))
    assert factors[0] == 1.0 and 0.5 in factors and min(factors) < 0.5


def test_tail_average_lands_on_the_weighted_average():
    """Deterministic gradients; theta is so large that the trigger fires at the first boundary
    with two angles (boundary 3); with extra_epochs = 2 the snapshots x_(1), x_(2) of boundaries
    4 and 5 are accumulated and at boundary 5 the parameters become (1 x_(1) + 2 x_(2)) / 3."""
    cfg = AutoDropConfig(lr=0.1, threshold_deg=179.0, max_threshold_deg=180.0, min_lr=0.0,
                         extra_epochs=2, tail_average=True, guard_deg=0.0)
    steps = 2
    tx = ado.autodrop_sgd(cfg, steps)
    update = jax.jit(tx.update)
    x = jnp.asarray([3.0, -1.0, 2.0])
    s = tx.init(x)
    plain, emitted, drops = [], [], []        # per boundary 1, 2, ...
    for t in range(6 * steps):
        g = x * jnp.asarray([1.0, 0.5, 0.2]) + jnp.sin(t)
        x_plain = x - ado.read(s)["lr"] * g
        u, s = update(g, s, x)
        x = optax.apply_updates(x, u)
        if (t + 1) % steps == 0:
            plain.append(np.asarray(x_plain))
            emitted.append(np.asarray(x))
            drops.append(int(ado.read(s)["num_drops"]))
    assert drops.index(1) == 4                          # boundary 5 (index 4) drops
    np.testing.assert_allclose(emitted[3], plain[3], rtol=1e-15)   # no jump while waiting
    np.testing.assert_allclose(emitted[4], (1 * plain[3] + 2 * plain[4]) / 3, rtol=1e-12)
    assert float(ado.read(s)["lr"]) == pytest.approx(0.02)


def test_read_and_eval_params_find_the_state_in_any_optax_container():
    """optax's tree utilities find the state inside multi_transform (masked params),
    inject_hyperparams and a dict, and the evaluated point there is the rule's estimate (the
    average of the steps once saturated); two AutoDrop states are ambiguous and refused."""
    cfg = AutoDropConfig.package(0.1, threshold_deg=179.0, max_threshold_deg=180.0,
                                 guard_deg=0.0, stage_growth=0.0)
    params = {"w": jnp.ones(3), "b": jnp.ones(2)}
    multi = optax.multi_transform(
        {"a": optax.chain(optax.sgd(0.1), ado.scale_by_autodrop(cfg, 2)), "s": optax.sgd(0.3)},
        {"w": "a", "b": "s"})
    injected = optax.inject_hyperparams(
        lambda learning_rate: optax.chain(optax.sgd(learning_rate),
                                          ado.scale_by_autodrop(cfg, 2)))(learning_rate=0.1)
    for tx, part in ((multi, lambda p: {"w": p["w"]}), (injected, lambda p: p)):
        state = tx.init(params)
        p, seen = params, []

        @jax.jit
        def step(p, state, t):
            u, state = tx.update(jax.tree_util.tree_map(lambda a: jnp.cos(a + t), p), state, p)
            return optax.apply_updates(p, u), state

        for t in range(20):
            p, state = step(p, state, float(t))
            seen.append(p)
        info = ado.read(state)
        assert int(info["epoch"]) == 10 and int(info["num_drops"]) >= 1
        # inside multi_transform the transformation sees (and evaluates) its partition only
        est = ado.autodrop_eval_params(state, part(p))
        assert not np.allclose(est["w"], p["w"])              # an average, not the last point
        lo = min(np.min(np.asarray(q["w"])) for q in seen)
        hi = max(np.max(np.asarray(q["w"])) for q in seen)
        assert np.all((lo <= np.asarray(est["w"])) & (np.asarray(est["w"]) <= hi))
    assert float(ado.read({"opt": multi.init(params)})["lr"]) == pytest.approx(0.1)
    both = optax.multi_transform({"a": ado.autodrop_sgd(cfg, 5), "b": ado.autodrop_sgd(cfg, 5)},
                                 {"w": "a", "b": "b"}).init(params)
    with pytest.raises(AssumptionError, match="^state: 2 AutoDrop states"):
        ado.read(both)


# ------------------------------------------------------------------------------ state size
def _vectors(tx, params):
    """Parameter-sized vectors in the AutoDrop part of tx's state (the wrapped optimizer's
    own, and autodrop_sgd's momentum buffer, are not counted): the total size of its array
    leaves with more than one element, in units of the parameter count."""
    d = sum(a.size for a in jax.tree_util.tree_leaves(params))
    rule_state = ado._require(tx.init(params)).rule
    total = sum(a.size for a in jax.tree_util.tree_leaves(rule_state) if a.size > 1)
    return total / d


@pytest.mark.parametrize("name, config, most", [
    ("published", AutoDropConfig.published(0.1), 3),
    ("package", AutoDropConfig.package(0.1), 6),
    ("previous", AutoDropConfig.previous(0.1), 3),
    ("immediate", AutoDropConfig.package(0.1, **autodrop_method.IMMEDIATE), 2),
    ("everything", AutoDropConfig.package(0.1, early_average=True), 7),
])
def test_state_holds_only_the_vectors_its_features_need(name, config, most):
    params = {"w": jnp.ones((40, 30)), "b": jnp.ones(30)}
    for tx in (ado.scale_by_autodrop(config, 5), ado.autodrop_sgd(config, 5, momentum=0.9)):
        assert _vectors(tx, params) == most, name
    # the counter sees a vector where there is one: the momentum buffer of autodrop_sgd
    full = ado.autodrop_sgd(config, 5, momentum=0.9).init(params)
    assert sum(a.size for a in jax.tree_util.tree_leaves(full.momentum)) == 1230


def test_a_number_sweep_compiles_once_and_features_are_static():
    """Methods with equal features share one family (one compiled program) whatever their
    numbers; a different feature set is another family."""
    fam = autodrop_method.from_config("a", AutoDropConfig.package(0.5), D).family
    other = autodrop_method.from_config("b", AutoDropConfig.package(0.3, drop_factor=0.5),
                                        D).family
    assert fam is other is autodrop_method.PACKAGE_FAMILY
    assert autodrop_method.PAPER_FAMILY is not fam
    ms = [autodrop_method.from_config(f"p{i}", AutoDropConfig.package(0.5, drop_factor=r), D)
          for i, r in enumerate((0.3, 0.5, 0.7))]
    before = engine.traces()
    for lr in (0.5, 0.4):
        engine.simulate(PROBLEM, ms, epochs=5, steps_per_epoch=2, keys=KEYS, sampler="steps",
                        dtype=jnp.float64, lr_ref=lr)
    assert engine.traces() - before <= 1
