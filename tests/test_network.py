"""`python -m simulations.network`: the models' gradients against finite differences (float64),
the command end to end on a small budget (results.json fields, figures redrawn from it), bad
input refused."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from checks import assert_redraws, assert_refused, assert_valid_results
from simulations import network
from simulations.nets import digits, models as nets


@pytest.mark.parametrize("model", list(nets.MODELS))
def test_gradient_matches_central_differences_in_float64(model):
    """jax.grad of the loss against central differences (h = 1e-6) at 40 random coordinates
    spread over every parameter array (one compiled loss, evaluated at each perturbed point)."""
    from jax.flatten_util import ravel_pytree
    X, y, _, _ = digits.load(0)
    x, t = jnp.asarray(X[:16]), jnp.asarray(y[:16])
    init, apply = nets.MODELS[model]
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
    assert nets.num_params(model) == flat.size


def test_im2col_convolution_equals_the_library_convolution():
    rng = np.random.default_rng(2)
    x = jnp.asarray(rng.standard_normal((3, 8, 8, 4)))
    w = jnp.asarray(rng.standard_normal((3, 3, 4, 5)))
    for stride in (1, 2):
        ref = jax.lax.conv_general_dilated(x, w, (stride, stride), "SAME",
                                           dimension_numbers=("NHWC", "HWIO", "NHWC"))
        np.testing.assert_allclose(nets._conv(x, w, stride), ref, rtol=1e-12, atol=1e-12)


def test_command_end_to_end_small(tmp_path):
    argv = ["--quick", "--epochs", "4", "--seeds", "2", "--quiet", "--models", "mlp",
            "--methods", "autodrop,step_decay", "--no-figures", "--out", str(tmp_path)]
    # optax's schedules mix Python floats with integer step counts, which the suite's strict
    # promotion (conftest) refuses inside third-party code; the package's own code runs strict
    # everywhere else
    with jax.numpy_dtype_promotion("standard"):
        assert network.main(argv) == 0
    r = json.loads((tmp_path / "results.json").read_text())
    assert r["problem"]["name"] == "network" and r["problem"]["dims"] == {"mlp": 4810}
    assert set(r["methods"]) == {"mlp/autodrop", "mlp/step_decay"}
    for m in r["methods"].values():
        for key in ("train_loss", "test_loss", "test_accuracy", "angle_deg"):
            assert len(m[key]) == 5
        assert len(m["lr"]) == 4 and len(m["drop_epochs"]) == 2
        lo, hi = m["final"]["test_accuracy_ci"]
        assert lo <= m["final"]["test_accuracy"] <= hi
        assert m["train_loss"][-1] < m["train_loss"][0]          # it trains
    # step decay at 30%, 60%, 80% of 4 epochs: milestones 1, 2, 3 (first epochs at the new rate)
    sd = r["methods"]["mlp/step_decay"]
    np.testing.assert_allclose(sd["lr"], [0.1, 0.02, 0.004, 0.0008], rtol=1e-6)
    assert sd["drop_epochs"] == [[0, 1, 2], [0, 1, 2]]
    assert_redraws(tmp_path, expected=["training_loss", "test_accuracy", "angle_vs_epoch"])
    assert_valid_results(tmp_path)


@pytest.mark.parametrize("argv, needle", [
    (["--models", "resnet"], "--models: need distinct names from mlp, cnn"),
    (["--methods", "autodrop,nope"], "--methods: need distinct names from"),
    (["--batch-size", "5000"], "--batch-size: need batch_size <= n_train"),
    (["--momentum", "1.0"], "--momentum: need a number in [0, 1)"),
    (["--lr", "1e-5"], "--lr: autodrop_paper needs lr >= the published min_lr"),
])
def test_bad_input_exits_2(argv, needle, tmp_path, capsys):
    assert_refused(network.main, argv, needle, tmp_path, capsys)
