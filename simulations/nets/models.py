"""Two small networks in plain JAX, as (init, apply) pairs over a dict of arrays.

- ``mlp``: 64 -> 64 (ReLU) -> 10; 4,810 parameters.
- ``cnn``: 8x8x1 -> conv 3x3, 8 channels, SAME, ReLU -> conv 3x3, 16 channels, stride 2, SAME,
  ReLU (4x4x16) -> dense 10; 3,818 parameters.
Weights He-normal (standard deviation sqrt(2 / fan_in)), biases zero.  ``loss`` is the mean
softmax cross-entropy; ``accuracy`` the share of arg-max predictions equal to the label.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["MODELS", "loss", "accuracy", "num_params"]


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


def loss(apply, params, x, y):
    logits = apply(params, x)
    return jnp.mean(jax.nn.logsumexp(logits, axis=-1)
                    - jnp.take_along_axis(logits, y[..., None], axis=-1)[..., 0])


def accuracy(apply, params, x, y):
    return jnp.mean((jnp.argmax(apply(params, x), axis=-1).astype(y.dtype) == y).astype(x.dtype))


def num_params(name: str) -> int:
    init, _ = MODELS[name]
    return sum(a.size for a in jax.tree_util.tree_leaves(init(jax.random.PRNGKey(0),
                                                               jnp.float32)))
