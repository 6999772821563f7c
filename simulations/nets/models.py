"""Small networks in plain JAX, as (init, apply) pairs over a dict of arrays, per dataset
(:func:`models_for`).

digits (8x8 images; :data:`MODELS`):
- ``mlp``: 64 -> 64 (ReLU) -> 10; 4,810 parameters.
- ``cnn``: 8x8x1 -> conv 3x3, 8 channels, SAME, ReLU -> conv 3x3, 16 channels, stride 2, SAME,
  ReLU (4x4x16) -> dense 10; 3,818 parameters.
MNIST-1D (40 points; :data:`MODELS_1D`), sized as the dataset's reference models (Greydanus &
Kobak 2020, their ``MLP`` and ``ConvBase``):
- ``mlp``: 40 -> 100 (ReLU) -> 100 (ReLU) -> 10; 15,210 parameters.
- ``cnn``: 40x1 -> conv 5, 25 channels, stride 2, padding 1 (19) -> conv 3, 25 channels,
  stride 2, padding 1 (10) -> the same (5), ReLU after each -> dense 10 from 125; 5,210
  parameters.
Weights He-normal (standard deviation sqrt(2 / fan_in)), biases zero.  ``loss`` is the mean
softmax cross-entropy; ``accuracy`` the share of arg-max predictions equal to the label.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["MODELS", "MODELS_1D", "DATASET_MODELS", "models_for", "loss", "accuracy",
           "num_params"]


def _he(key, shape, fan_in, dtype):
    return jax.random.normal(key, shape, dtype) * jnp.sqrt(2.0 / fan_in).astype(dtype)


def _mlp_init(key, dtype):
    k1, k2 = jax.random.split(key)
    return {"w1": _he(k1, (64, 64), 64, dtype), "b1": jnp.zeros(64, dtype),
            "w2": _he(k2, (64, 10), 64, dtype), "b2": jnp.zeros(10, dtype)}


def _mlp_apply(p, x):
    h = jax.nn.relu(x @ p["w1"] + p["b1"])
    return h @ p["w2"] + p["b2"]


def _conv(x, w, stride):
    """A SAME convolution as patches times a matrix (im2col): under ``vmap`` over models with
    their own weights this stays a batched matrix product, which the CPU runs far faster than
    the grouped convolution a vmapped ``conv_general_dilated`` becomes."""
    kh, kw, cin, cout = w.shape
    patches = jax.lax.conv_general_dilated_patches(
        x, (kh, kw), (stride, stride), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))
    # patches: (..., H', W', cin * kh * kw) with the input channel slowest
    return patches @ jnp.transpose(w, (2, 0, 1, 3)).reshape(cin * kh * kw, cout)


def _cnn_init(key, dtype):
    k1, k2, k3 = jax.random.split(key, 3)
    return {"c1": _he(k1, (3, 3, 1, 8), 9, dtype), "d1": jnp.zeros(8, dtype),
            "c2": _he(k2, (3, 3, 8, 16), 72, dtype), "d2": jnp.zeros(16, dtype),
            "w": _he(k3, (256, 10), 256, dtype), "b": jnp.zeros(10, dtype)}


def _cnn_apply(p, x):
    h = x.reshape(x.shape[:-1] + (8, 8, 1))
    h = jax.nn.relu(_conv(h, p["c1"], 1) + p["d1"])
    h = jax.nn.relu(_conv(h, p["c2"], 2) + p["d2"])
    return h.reshape(h.shape[:-3] + (256,)) @ p["w"] + p["b"]


MODELS = {"mlp": (_mlp_init, _mlp_apply), "cnn": (_cnn_init, _cnn_apply)}


def _mlp1d_init(key, dtype):
    k1, k2, k3 = jax.random.split(key, 3)
    return {"w1": _he(k1, (40, 100), 40, dtype), "b1": jnp.zeros(100, dtype),
            "w2": _he(k2, (100, 100), 100, dtype), "b2": jnp.zeros(100, dtype),
            "w3": _he(k3, (100, 10), 100, dtype), "b3": jnp.zeros(10, dtype)}


def _mlp1d_apply(p, x):
    h = jax.nn.relu(x @ p["w1"] + p["b1"])
    h = jax.nn.relu(h @ p["w2"] + p["b2"])
    return h @ p["w3"] + p["b3"]


def _conv1d(x, w, stride, pad):
    """A 1-D convolution (cross-correlation, as the libraries') with ``pad`` zeros each side,
    as strided slices concatenated into patches times a matrix: under ``vmap`` over models
    this is a batched matrix product (measured 7x faster on the CPU than the patches of
    ``conv_general_dilated_patches``)."""
    k, cin, cout = w.shape
    xp = jnp.pad(x, [(0, 0)] * (x.ndim - 2) + [(pad, pad), (0, 0)])
    out = (x.shape[-2] + 2 * pad - k) // stride + 1
    patches = jnp.concatenate([xp[..., j: j + stride * (out - 1) + 1: stride, :]
                               for j in range(k)], axis=-1)     # (..., out, k cin), k slowest
    return patches @ w.reshape(k * cin, cout)


def _cnn1d_init(key, dtype):
    k1, k2, k3, k4 = jax.random.split(key, 4)
    return {"c1": _he(k1, (5, 1, 25), 5, dtype), "d1": jnp.zeros(25, dtype),
            "c2": _he(k2, (3, 25, 25), 75, dtype), "d2": jnp.zeros(25, dtype),
            "c3": _he(k3, (3, 25, 25), 75, dtype), "d3": jnp.zeros(25, dtype),
            "w": _he(k4, (125, 10), 125, dtype), "b": jnp.zeros(10, dtype)}


def _cnn1d_apply(p, x):
    h = x[..., None]
    h = jax.nn.relu(_conv1d(h, p["c1"], 2, 1) + p["d1"])
    h = jax.nn.relu(_conv1d(h, p["c2"], 2, 1) + p["d2"])
    h = jax.nn.relu(_conv1d(h, p["c3"], 2, 1) + p["d3"])
    return h.reshape(h.shape[:-2] + (125,)) @ p["w"] + p["b"]


MODELS_1D = {"mlp": (_mlp1d_init, _mlp1d_apply), "cnn": (_cnn1d_init, _cnn1d_apply)}
# the models of each dataset's inputs (simulations.network --dataset)
DATASET_MODELS = {"digits": MODELS, "mnist1d": MODELS_1D, "mnist1d_b": MODELS_1D}


def models_for(dataset: str) -> dict:
    """The (init, apply) pairs by model name for ``dataset``'s inputs."""
    return DATASET_MODELS[dataset]


def loss(apply, params, x, y):
    logits = apply(params, x)
    return jnp.mean(jax.nn.logsumexp(logits, axis=-1)
                    - jnp.take_along_axis(logits, y[..., None], axis=-1)[..., 0])


def accuracy(apply, params, x, y):
    return jnp.mean((jnp.argmax(apply(params, x), axis=-1).astype(y.dtype) == y).astype(x.dtype))


def num_params(name: str, dataset: str = "digits") -> int:
    """The model's number of parameters, from the shapes ``init`` would give (traced abstractly:
    nothing is drawn or compiled)."""
    init, _ = models_for(dataset)[name]
    shapes = jax.eval_shape(lambda: init(jax.random.PRNGKey(0), jnp.float32))
    return sum(a.size for a in jax.tree_util.tree_leaves(shapes))
