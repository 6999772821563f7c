"""`python -m simulations.network`: the models' gradients against finite differences (float64),
MNIST-1D generated deterministically without touching the global random streams, each peer's
schedule and evaluation point, the paired comparison's verdicts, the command end to end on a
small budget (results.json fields, the raw and estimate rows, figures redrawn from it), bad
input refused."""

import json
import random

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from checks import assert_redraws, assert_refused, assert_valid_results
from simulations import network
from simulations.nets import digits, mnist1d, models as nets, optimizers


@pytest.mark.parametrize("dataset, model", [("digits", "mlp"), ("digits", "cnn"),
                                            ("mnist1d", "cnn")])
@pytest.mark.usefixtures("xla_optimised")     # one loss evaluated ~100 times: optimised pays
def test_gradient_matches_central_differences_in_float64(dataset, model):
    """jax.grad of the loss against central differences (h = 1e-6) at up to 7 random
    coordinates of every parameter array (one compiled loss, evaluated at each perturbed
    point); MNIST-1D's models on random inputs of its 40 points."""
    from jax.flatten_util import ravel_pytree
    if dataset == "digits":
        X, y, _, _ = digits.load(0)
    else:
        gen = np.random.default_rng(3)
        X, y = gen.standard_normal((16, 40)), gen.integers(0, 10, 16).astype(np.int32)
    x, t = jnp.asarray(X[:16]), jnp.asarray(y[:16])
    init, apply = nets.models_for(dataset)[model]
    rng = np.random.default_rng(0)      # a random point (numpy: no PRNG program to compile)
    shapes = jax.eval_shape(lambda k: init(k, jnp.float64), jax.random.PRNGKey(1))
    params = jax.tree_util.tree_map(lambda a: jnp.asarray(0.3 * rng.standard_normal(a.shape)),
                                    shapes)
    flat, unravel = ravel_pytree(params)
    f = lambda v: nets.loss(apply, unravel(v), x, t)          # noqa: E731
    loss_and_grad = jax.jit(jax.value_and_grad(f))      # one program for g and the losses
    g = np.asarray(loss_and_grad(flat)[1])
    sizes = np.cumsum([0] + [a.size for a in jax.tree_util.tree_leaves(params)])
    coords = np.concatenate([rng.choice(np.arange(lo, hi), size=min(7, hi - lo), replace=False)
                             for lo, hi in zip(sizes[:-1], sizes[1:])])
    h = 1e-6
    base = np.asarray(flat)

    def at(i, delta):
        v = base.copy()
        v[i] += delta
        return float(loss_and_grad(jnp.asarray(v))[0])

    fd = np.array([(at(i, h) - at(i, -h)) / (2 * h) for i in coords])
    np.testing.assert_allclose(g[coords], fd, rtol=1e-5, atol=1e-9)
    assert nets.num_params(model, dataset) == flat.size


def test_im2col_convolution_equals_the_library_convolution():
    rng = np.random.default_rng(2)
    x = jnp.asarray(rng.standard_normal((3, 8, 8, 4)))
    w = jnp.asarray(rng.standard_normal((3, 3, 4, 5)))
    for stride in (1, 2):
        ref = jax.lax.conv_general_dilated(x, w, (stride, stride), "SAME",
                                           dimension_numbers=("NHWC", "HWIO", "NHWC"))
        np.testing.assert_allclose(nets._conv(x, w, stride), ref, rtol=1e-12, atol=1e-12)


def test_1d_convolution_equals_the_library_convolution():
    rng = np.random.default_rng(4)
    x = jnp.asarray(rng.standard_normal((3, 19, 4)))
    w = jnp.asarray(rng.standard_normal((5, 4, 6)))
    for stride, pad in ((1, 0), (2, 1), (2, 2)):
        ref = jax.lax.conv_general_dilated(x, w, (stride,), [(pad, pad)],
                                           dimension_numbers=("NWC", "WIO", "NWC"))
        np.testing.assert_allclose(nets._conv1d(x, w, stride, pad), ref, rtol=1e-12,
                                   atol=1e-12)


@pytest.fixture(scope="module")
def mnist1d_b():
    """One generation of the ``mnist1d_b`` variant, from seeded global streams, with the
    streams' next draws and what they should be had nothing been drawn (make_dataset reseeds
    both); shared by the determinism check and the end-to-end run (2 generations in the file
    instead of 3)."""
    np.random.seed(11)
    random.seed(11)
    expected = (np.random.random(), random.random())
    np.random.seed(11)
    random.seed(11)
    data = mnist1d.load("mnist1d_b")
    return data, (np.random.random(), random.random()), expected


def test_mnist1d_is_generated_deterministically_and_leaves_the_global_streams(mnist1d_b):
    """Two generations of a variant are equal; numpy's global generator and Python's
    ``random`` continue as if nothing had been drawn (make_dataset reseeds both)."""
    a, after, expected = mnist1d_b
    assert after == expected
    b = mnist1d.load("mnist1d_b")
    assert [x.shape for x in a] == [(3200, 40), (3200,), (800, 40), (800,)]
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert set(np.unique(a[1])) == set(range(10)) and a[0].dtype == np.float64
    assert mnist1d.train_size("mnist1d_b") == 3200         # known before generating


def test_wsd_warms_up_over_5_percent_and_cools_down_over_the_last_20_percent():
    T, lr = 200, 0.3
    rate = np.asarray(optimizers.wsd_schedule(lr, T)(jnp.arange(T)), np.float64)
    W, C = 10, 40                       # 5% and 20% of 200 steps
    np.testing.assert_allclose(rate[:W], lr * np.arange(1, W + 1) / W, rtol=1e-6)
    np.testing.assert_allclose(rate[W:T - C], lr, rtol=1e-6)
    np.testing.assert_allclose(rate[T - C:], lr * np.arange(C, 0, -1) / C, rtol=1e-6)


def test_step_decay_drops_by_0_2_at_30_60_80_percent_of_the_epochs():
    """Milestone m is the first epoch at the new rate (4 epochs: milestones 1, 2, 3); the
    rate is read from the method's own state and step count; the angle's levels are reported
    per rate (``stage_angles``)."""
    K, E = 5, 4
    peer = optimizers.make("step_decay", lr=0.1, epochs=E, K=K, momentum=0.9,
                           weight_decay=0.0)
    state = peer.tx.init(jnp.zeros(2))
    with jax.numpy_dtype_promotion("standard"):
        rates = [float(peer.rate(state, e * K)) for e in range(E)]
    np.testing.assert_allclose(rates, [0.1, 0.02, 0.004, 0.0008], rtol=1e-6)
    lr = np.tile(rates, (2, 1))
    angles = np.array([[np.nan, np.nan, 80, 70, 60], [np.nan, np.nan, 82, 72, 62]])
    stages = network.stage_angles({"lr": lr, "angle_deg": angles}, E)
    assert [s["lr"] for s in stages] == pytest.approx(rates[1:])   # rate 0.1: angle undefined
    assert [s["mean"] for s in stages] == pytest.approx([81, 71, 61])


def _toy_run(name, steps=30, K=5):
    """``steps`` steps of method ``name`` on f(x) = |x - 1|^2 / 2 with a fixed noise sequence;
    returns the peer, its final state and parameters and the iterates."""
    import optax
    peer = optimizers.make(name, lr=0.1, epochs=steps // K, K=K, momentum=0.9,
                           weight_decay=0.0)
    noise = jnp.asarray(np.random.default_rng(5).standard_normal((steps, 3)))

    def step(carry, z):
        x, state = carry
        u, state = peer.tx.update(x - 1.0 + z, state, x, value=jnp.sum((x - 1.0) ** 2) / 2)
        x = optax.apply_updates(x, u)
        return (x, state), x
    x = jnp.zeros(3)
    with jax.numpy_dtype_promotion("standard"):     # optax mixes Python floats and int steps
        # one compiled scan over the steps (the steps as eager calls cost more in dispatch)
        (x, state), iterates = jax.jit(lambda c: jax.lax.scan(step, c, noise))(
            (x, peer.tx.init(x)))
    return peer, state, x, np.asarray(iterates)


def test_schedule_free_is_evaluated_at_its_x_sequence_after_its_warm_up():
    """Evaluated at x (optax's eval-params), which is not y; the rate the study records at
    each epoch's first step: 5% of 30 steps = 2 steps of warm-up from 0, then lr / (1 - beta)
    = 1 (the network study records ``peer.rate(state, e K)``)."""
    import optax
    peer, state, y, _ = _toy_run("schedule_free")
    out = np.asarray(peer.eval_params(state, y))
    np.testing.assert_allclose(out, optax.contrib.schedule_free_eval_params(state, y),
                               rtol=1e-12)
    assert peer.has_estimate and np.abs(out - np.asarray(y)).max() > 1e-3   # x is not y
    with jax.numpy_dtype_promotion("standard"):
        rates = [float(peer.rate(state, jnp.asarray(e * 5))) for e in range(6)]
    np.testing.assert_allclose(rates, [0, 1, 1, 1, 1, 1], atol=1e-6)


def test_averaged_is_evaluated_at_the_mean_of_every_iterate():
    peer, state, x, iterates = _toy_run("averaged")
    np.testing.assert_allclose(peer.eval_params(state, x), iterates.mean(axis=0), rtol=1e-10)


def test_each_network_method_carries_the_registry_metadata():
    """A name the simulator registers is the registry's method (its ``automatic``); the
    network-only names are not registered there."""
    from simulations.methods import REGISTRY
    for name in optimizers.METHODS:
        if name in REGISTRY:
            assert optimizers.automatic(name) == REGISTRY[name].automatic
        else:
            assert name in optimizers.NETWORK_ONLY
    assert not set(optimizers.NETWORK_ONLY) & set(REGISTRY)


def _blocks(autodrop_shift, dropping=8):
    """Synthetic per-seed final accuracies: constant 0.90, wsd 0.93, averaged 0.91, autodrop
    0.93 + shift (seed noise of sd 0.002 shared by all, as paired runs share seeds)."""
    noise = np.random.default_rng(6).normal(0, 0.002, 8)
    means = {"constant": 0.90, "wsd": 0.93, "averaged": 0.91, "autodrop": 0.93 + autodrop_shift}
    blocks = {}
    for name, mu in means.items():
        acc = mu + noise + np.random.default_rng(len(name)).normal(0, 1e-4, 8)
        blocks[f"mlp/{name}"] = {"model": "mlp", "final": {
            "test_accuracy_per_seed": acc.tolist(),
            "seeds_dropping": dropping if name == "autodrop" else 0}}
    return blocks


def test_the_comparison_passes_a_matching_autodrop_and_rejects_a_short_one():
    ok = network.compare(_blocks(0.0), "mlp")
    assert ok["best_manual"] == "wsd"
    np.testing.assert_allclose(ok["manual_gap"]["mean"], 3.0, atol=0.05)
    assert all(ok["autodrop"]["verdicts"].values())
    short = network.compare(_blocks(-0.02, dropping=6), "mlp")["autodrop"]["verdicts"]
    assert not short["within_half_point_of_best_manual"]
    assert not short["drops_on_90pct_of_seeds"] and not short["beats_averaged"]
    assert not short["at_least_half_the_manual_gap"]     # 1 point above constant, gap 3
    near = network.compare(_blocks(-0.01), "mlp")["autodrop"]["verdicts"]
    assert near["at_least_half_the_manual_gap"] and near["beats_averaged"]   # 2 of 3, +1


@pytest.fixture(scope="module")
def small_run(tmp_path_factory, mnist1d_b):
    """One small MNIST-1D run shared by the end-to-end checks (the ``mnist1d_b`` MLP, 2 seeds,
    4 epochs of K = 8 steps; one method, AutoDrop, whose output point is not its parameters:
    one compiled training program).  The variant's generation is the ``mnist1d_b`` fixture's
    (the loader is called, and answers with it)."""
    import contextlib
    import io
    out = tmp_path_factory.mktemp("net")
    argv = ["--dataset", "mnist1d_b", "--epochs", "4", "--seeds", "2", "--models", "mlp",
            "--batch-size", "400", "--methods", "autodrop", "--no-figures", "--out", str(out)]
    calls = []

    def load(variant="mnist1d"):
        calls.append(variant)
        return mnist1d_b[0]
    # optax's schedules mix Python floats with integer step counts, which the suite's strict
    # promotion (conftest) refuses inside third-party code; the package's own code runs strict
    # everywhere else
    text = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(mnist1d, "load", load)
        with jax.numpy_dtype_promotion("standard"), contextlib.redirect_stdout(text):
            assert network.main(argv) == 0
    assert calls == ["mnist1d_b"]
    return out, json.loads((out / "results.json").read_text()), text.getvalue()


def test_command_end_to_end_small(small_run):
    out, r, _ = small_run
    assert r["problem"]["name"] == "network" and r["problem"]["dims"] == {"mlp": 15210}
    assert r["problem"]["dataset"] == "mnist1d_b" and r["problem"]["steps_per_epoch"] == 8
    assert r["problem"]["n_train"] == mnist1d.train_size("mnist1d_b") == 3200
    assert set(r["methods"]) == {"mlp/autodrop"}
    for m in r["methods"].values():
        for key in ("train_loss", "test_loss", "test_accuracy", "angle_deg"):
            assert len(m[key]) == 5
        assert len(m["lr"]) == 4 and len(m["drop_epochs"]) == 2
        f = m["final"]
        lo, hi = f["test_accuracy_ci"]
        assert lo <= f["test_accuracy"] <= hi
        assert f["min_test_error"]["mean"] <= f["test_error"]["mean"] + 1e-12
        assert m["train_loss"][-1] < m["train_loss"][0]          # it trains
        by = m["min_test_error_by_budget"]
        assert by["0.25"]["mean"] >= by["0.5"]["mean"] >= by["1"]["mean"]
    # the rate AutoDrop read from its state at each epoch: lr until a drop, never above it
    assert all(0 < x <= 0.1 * (1 + 1e-6) for x in r["methods"]["mlp/autodrop"]["lr"])
    assert_valid_results(out)


def test_estimates_and_raw_parameters_are_both_reported(small_run):
    """AutoDrop: the output point (the rule's estimate) and the raw parameters, in
    results.json and as two rows of the table (schedule-free's x against y: the toy run
    above; the rows come from ``Peer.has_estimate``, the same for every method)."""
    out, r, text = small_run
    assert "raw_test_accuracy" in r["methods"]["mlp/autodrop"]
    main_table = text.split("the angle AutoDrop measures")[0]
    rows = [line.split()[0] for line in main_table.splitlines() if line.startswith("mlp/")]
    assert rows == ["mlp/autodrop", "mlp/autodrop"]
    # the rule's angle: its level, noise and the effective dimension the noise implies
    sat = text.split("the angle AutoDrop measures")[1].split("paired differences")[0]
    assert "mlp/autodrop" in sat and "effective d" in sat
    assert set(ad_sat := r["methods"]["mlp/autodrop"]["rule_saturation"]) == {
        "level_deg", "change_sd_deg", "share_at_least_90", "effective_dim"}
    assert ad_sat["change_sd_deg"]["mean"] > 0
    assert "mlp/autodrop (raw)" in text
    ad = r["methods"]["mlp/autodrop"]
    assert len(ad["rule_angle_deg"]) == 5 and ad["rule_angle_deg"][1] is None   # nan in JSON
    assert_redraws(out, expected=["training_loss", "test_accuracy", "rate_vs_epoch",
                                  "angle_vs_epoch"])


def test_the_share_of_wide_angles_keeps_its_interval_inside_0_and_1():
    """Per-seed shares near 1 (one seed 0.9, seven at 1): the Student-t interval of their mean
    reaches past 1, the reported one stops at 1 and keeps its lower end; shares in the middle
    keep the t interval as it is (a rule's angles: 95% of epochs of seed 0 at least 90 deg)."""
    from simulations.stats import mean_ci
    shares = np.array([0.9] + [1.0] * 7)
    _, lo, hi = mean_ci(shares)
    assert hi > 1
    got = network._share_ci(shares)
    assert got["ci"] == [lo, 1.0] and got["mean"] == pytest.approx(np.mean(shares))
    middle = np.array([0.4, 0.5, 0.6, 0.55])
    assert network._share_ci(middle)["ci"] == list(mean_ci(middle)[1:])
    angles = 100.0 + np.random.default_rng(0).uniform(-2.0, 2.0, (8, 40))
    angles[0, -1] = 80.0                      # one epoch of 20 in seed 0's second half
    sat = network.rule_saturation(angles)["share_at_least_90"]
    assert sat["mean"] == pytest.approx((0.95 + 7) / 8) and sat["ci"][1] == 1.0


@pytest.mark.parametrize("argv, needle", [
    (["--models", "resnet"], "--models: need distinct names from mlp, cnn"),
    (["--dataset", "cifar"], "--dataset: invalid choice"),
    (["--methods", "autodrop,nope"], "--methods: need distinct names from"),
    (["--batch-size", "5000"], "--batch-size: need batch_size <= n_train"),
    (["--dataset", "digits", "--batch-size", "1500"], "--batch-size: need batch_size <= n_train"),
    (["--momentum", "1.0"], "--momentum: need a number in [0, 1)"),
    (["--lr", "1e-5"], "--lr: autodrop_paper needs lr >= the published min_lr"),
])
def test_bad_input_exits_2(argv, needle, tmp_path, capsys):
    assert_refused(network.main, argv, needle, tmp_path, capsys)
