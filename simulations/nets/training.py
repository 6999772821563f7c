"""Training the network study's models (:mod:`simulations.network`,
:mod:`simulations.tune_network`): the datasets and their settings, the shared minibatch orders,
and :func:`train`, one compiled program per model and method over every seed (and, for an
AutoDrop method, every point of a sweep of its rule's numbers).

Problem: train a small network with a method of :mod:`simulations.nets.optimizers` on every
seed, each method on the same initialisations and minibatches, and record the metrics per epoch
at the point the method documents as its output.

Algorithm: jit(vmap over seeds (and points) of lax.scan over epochs of lax.scan over steps); see
:func:`train`.

References: docs/studies/network.md.
"""

from __future__ import annotations

import numpy as np

from autodrop_theory.errors import AssumptionError

__all__ = ["DATASETS", "DATASET_DEFAULTS", "METRICS", "rate_dropped", "minibatches", "train",
           "train_size", "load"]

DATASETS = ("mnist1d", "mnist1d_b", "digits")
# the training setting of each dataset (flags left unset take these; ``quick``: --quick's)
_DIGITS = dict(epochs=100, lr=0.1, batch_size=128, weight_decay=5e-4, target_loss=0.05,
               quick=dict(seeds=4, epochs=30, models="mlp"))
_MNIST1D = dict(epochs=40, lr=0.1, batch_size=100, weight_decay=2e-3, target_loss=0.3,
                quick=dict(seeds=4, epochs=16, models="mlp"))
DATASET_DEFAULTS = {"digits": _DIGITS, "mnist1d": _MNIST1D, "mnist1d_b": _MNIST1D}
METRICS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")


def minibatches(keys, epochs: int, n: int, batch_size: int):
    """(S, E, K, B) int32 row indices: epoch e of a seed takes the first K B rows of a
    permutation drawn from fold_in(key, e); drawn once and shared by every method (common
    random numbers), in one compiled program."""
    import jax
    K = n // batch_size

    def one(key):
        return jax.vmap(lambda e: jax.random.permutation(jax.random.fold_in(key, e), n)[
            : K * batch_size].reshape(K, batch_size))(jax.numpy.arange(epochs))
    return jax.jit(jax.vmap(one))(keys)


def train(model, method, data, *, epochs, batch_size, lr, momentum, weight_decay, keys,
          dtype, batches=None, nesterov=False, dataset="digits", hyper=None):
    """Train ``model`` (of ``dataset``'s inputs) with ``method`` for every key (one seed each;
    initialisation from fold_in(key, 2**31 - 1), minibatches from :func:`minibatches` unless
    given). ``hyper`` (AutoDrop methods only): a dict of the rule's numbers
    (:class:`autodrop_theory.rule.AutoDropHyper` fields, e.g. trend_z, drop_factor,
    delay_fraction) to arrays of P values, a sweep of P points run in the same compiled program
    on the same seeds (:func:`simulations.nets.optimizers.with_rule_hyper`); the arrays then
    lead with axes (P, seeds). Returns numpy arrays with leading axis seeds: train_loss,
    train_accuracy, test_loss, test_accuracy (E+1) at the point the method documents as its
    output (:class:`simulations.nets.optimizers.Peer`), the same four at the raw parameters
    (``raw_*``, only where that point differs), lr (E), angle_deg (E+1, nan at boundaries 0 and
    1; the angle between consecutive epoch displacements of the parameters) and, for a rule that
    measures its own angle, rule_angle_deg (E+1, the rule's, nan where undefined); and K and the
    parameter count."""
    import jax
    import jax.numpy as jnp
    import optax
    from jax.flatten_util import ravel_pytree

    from autodrop_theory.rule import angle_deg

    from . import models as nets
    from . import optimizers
    init, apply = nets.models_for(dataset)[model]
    X, y, Xt, yt = (jnp.asarray(a, dtype) if a.dtype.kind == "f" else jnp.asarray(a)
                    for a in data)
    n, B = X.shape[0], batch_size
    K = n // B
    if batches is None:
        batches = minibatches(keys, epochs, n, B)
    dim = nets.num_params(model, dataset)
    peer = optimizers.make(method, lr=lr, epochs=epochs, K=K, momentum=momentum,
                           weight_decay=weight_decay, nesterov=nesterov)
    tx = peer.tx
    nan = jnp.asarray(jnp.nan, dtype)

    def one(key, idx_all, X, y, Xt, yt, h):
        params = init(jax.random.fold_in(key, 2 ** 31 - 1), dtype)
        flat0 = ravel_pytree(params)[0]

        def metrics(params):
            return (nets.loss(apply, params, X, y), nets.accuracy(apply, params, X, y),
                    nets.loss(apply, params, Xt, yt), nets.accuracy(apply, params, Xt, yt))

        def evaluate(state, params):
            out = metrics(peer.eval_params(state, params))
            return out + (metrics(params) if peer.has_estimate else ())

        def epoch(carry, xs):
            params, state, prev, prev_disp = carry
            e, idx = xs
            r = peer.rate(state, e * K)

            def step(c, i):
                params, state = c
                value, g = jax.value_and_grad(
                    lambda p: nets.loss(apply, p, X[i], y[i]))(params)
                u, state = tx.update(g, state, params, value=value)
                return (optax.apply_updates(params, u), state), None

            (params, state), _ = jax.lax.scan(step, (params, state), idx)
            flat = ravel_pytree(params)[0]
            disp = flat - prev
            ang = jnp.where(e >= 1, angle_deg(disp, prev_disp), jnp.nan).astype(dtype)
            rule = (nan if peer.rule_angle is None else peer.rule_angle(state).astype(dtype))
            return (params, state, flat, disp), evaluate(state, params) + (
                jnp.asarray(r).astype(dtype), ang, rule)

        state0 = tx.init(params)
        if h is not None:
            state0 = optimizers.with_rule_hyper(state0, h)
        carry = (params, state0, flat0, jnp.zeros_like(flat0))
        _, recs = jax.lax.scan(epoch, carry, (jnp.arange(epochs), idx_all))
        first = evaluate(state0, params)
        cat = lambda a0, a: jnp.concatenate([jnp.reshape(a0, (1,)).astype(dtype), a])  # noqa
        return tuple(cat(f, a) for f, a in zip(first, recs)) + (
            recs[-3], cat(nan, recs[-2]), cat(nan, recs[-1]))

    seeds_map = jax.vmap(one, in_axes=(0, 0, None, None, None, None, None))
    if hyper is None:
        out = jax.device_get(jax.jit(seeds_map)(keys, batches, X, y, Xt, yt, None))
    else:
        if peer.rule_angle is None:
            raise AssumptionError(f"hyper: only an AutoDrop method's rule has numbers to "
                                  f"sweep, got method {method!r}")
        hyper = {k: jnp.asarray(v, dtype) for k, v in hyper.items()}
        points = jax.vmap(seeds_map, in_axes=(None, None, None, None, None, None, 0))
        out = jax.device_get(jax.jit(points)(keys, batches, X, y, Xt, yt, hyper))
    names = METRICS + (tuple("raw_" + m for m in METRICS) if peer.has_estimate else ()) + (
        "lr", "angle_deg", "rule_angle_deg")
    traj = dict(zip(names, (np.asarray(a, np.float64) for a in out)))
    if peer.rule_angle is None:
        del traj["rule_angle_deg"]
    return traj, K, dim


def train_size(dataset: str) -> int:
    """The number of training rows of ``dataset``, without generating MNIST-1D."""
    if dataset == "digits":
        return int(load("digits")[0].shape[0])
    from . import mnist1d
    return mnist1d.train_size(dataset)


def load(dataset: str, seed: int = 0):
    """(X_train, y_train, X_test, y_test) of ``dataset`` (digits: split by ``seed``; the
    MNIST-1D variants are fixed draws)."""
    if dataset == "digits":
        from . import digits
        return digits.load(seed)
    from . import mnist1d
    return mnist1d.load(dataset)


def rate_dropped(lr):
    """Where the per-epoch rate ``lr`` (..., E) fell from one epoch to the next: a boolean
    array (..., E - 1), a fall of more than a relative 1e-6 (float rounding of a constant rate
    is not a drop)."""
    lr = np.asarray(lr)
    return lr[..., 1:] < lr[..., :-1] * (1 - 1e-6)
