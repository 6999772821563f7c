"""The published paper's three rules (:mod:`autodrop_theory.paper_rules`) as optax
transformations: Algorithm 1, Algorithm 2 and the Figure 2 rule (docs/paper.md §9).

Problem: train with any optax optimizer at the rate one of the paper's rules chooses.

Algorithm: ``scale_by_autodrop_uai``, ``scale_by_halving`` and ``scale_by_autodrop_model`` chain
AFTER an optimizer whose updates are already scaled by ``learning_rate`` (``optax.chain(
optax.sgd(lr), scale_by_halving(lr))``): each multiplies the incoming updates by
rule_rate / learning_rate.  The rules that read the trajectory (Algorithm 1, Figure 2) take
the parameters: at call t they first observe x_t (the point the previous step reached; t >= 1),
then scale step t by the rate that observation leaves, as the simulator's methods do.  Put them
last in a chain (a transformation after them would change the displacements they read).

``autodrop_uai_sgd``, ``halving_sgd`` and ``autodrop_model_sgd`` run unified momentum (UM, paper
eq. 9: :func:`autodrop_theory.momentum.step`, ``momentum`` = beta, ``s`` = 0 heavy ball, 1
Nesterov, 1/(1 - beta) plain SGD) at the rule's rate, the rate inside the momentum buffer as in
the paper's form and in the package's simulator (``optax.sgd(momentum=...)`` keeps gradients in
its buffer instead; the two differ after a drop).

The rules keep no average: the point to evaluate is the iterate itself (there is no
``*_eval_params``).  Each state is a NamedTuple (:class:`UaiScaleState`, :class:`HalvingScaleState`,
:class:`ModelScaleState`) found by :func:`read` in any optax container (a chain,
``multi_transform``, ``inject_hyperparams``) with ``optax.tree_utils.tree_get_all_with_path``.

Guarantee: each transformation's trajectory equals the simulator's method of the same name on
the same noise (tests/test_optax_paper.py, float64, plain SGD and heavy ball).

References: Wang, Teng, Choromanska, AutoDrop, UAI 2024, Algorithms 1 and 2, Figure 2;
docs/paper.md §9.

Example:
    >>> import jax.numpy as jnp, optax
    >>> tx = optax.chain(optax.sgd(0.1), scale_by_halving(0.1))
    >>> state = tx.init(jnp.ones(3))
    >>> updates, state = tx.update(jnp.ones(3), state, jnp.ones(3))
    >>> round(float(updates[0]), 6), round(float(read(state)["lr"]), 6)
    (-0.1, 0.1)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree

from . import _validate as v
from . import momentum as um
from . import paper_rules as pr
from .errors import AssumptionError
from .rule import check_params
from .update_checks import check_update

__all__ = ["UaiScaleState", "HalvingScaleState", "ModelScaleState", "scale_by_autodrop_uai",
           "scale_by_halving", "scale_by_autodrop_model", "autodrop_uai_sgd", "halving_sgd",
           "autodrop_model_sgd", "read"]


class UaiScaleState(NamedTuple):
    count: Any        # int32 update calls so far
    rule: pr.UaiState
    buf: Any = None   # the UM buffer (the *_sgd forms), else None


class HalvingScaleState(NamedTuple):
    count: Any
    rule: pr.HalvingState
    buf: Any = None


class ModelScaleState(NamedTuple):
    count: Any
    lr: Any           # the current stage rate
    buf: Any = None


_STATES = (UaiScaleState, HalvingScaleState, ModelScaleState)


def _flat(params):
    if params is None:
        raise AssumptionError("params: this transformation reads the parameters; pass them to "
                              "update(updates, state, params)")
    check_params(params)
    return ravel_pytree(params)[0]


def _observer(hp, init, observe, state_type, size) -> tuple:
    """init/step/check functions of a trajectory-reading rule: step(state, params) -> (state,
    lr); check(updates, state, params, like) refuses bad arguments before any JAX work
    (``size(rule_state)``: the number of parameters seen at init)."""
    def init_fn(params):
        flat = _flat(params)
        return state_type(jnp.zeros((), jnp.int32), init(hp, flat))

    def check(updates, state, params, like=None):
        check_update(updates, state, params, state_type, like=like,
                     size=size(state.rule) if isinstance(state, state_type) else None)

    def step(state, params):
        flat = _flat(params).astype(state.rule.lr.dtype)
        seen = observe(hp, state.rule, flat)
        rule = jax.tree_util.tree_map(lambda a, b: jnp.where(state.count > 0, a, b), seen,
                                      state.rule)
        return state._replace(count=state.count + 1, rule=rule), rule.lr
    return init_fn, step, check


def _scale(lr, init_fn, step, check) -> optax.GradientTransformation:
    lr = _learning_rate(lr)

    def update_fn(updates, state, params=None):
        check(updates, state, params)
        updates = jax.tree_util.tree_map(jnp.asarray, updates)     # Python numbers as arrays
        state, rate = step(state, params)
        factor = rate / lr
        return jax.tree_util.tree_map(lambda u: (factor * u).astype(u.dtype), updates), state
    return optax.GradientTransformation(init_fn, update_fn)


def _sgd(init_fn, step, check, beta, s) -> optax.GradientTransformation:
    beta, s = um.check(beta, s)

    def init(params):
        return init_fn(params)._replace(buf=um.init(params))

    def update_fn(grads, state, params=None):
        check(grads, state, params, getattr(state, "buf", None))
        grads = jax.tree_util.tree_map(jnp.asarray, grads)
        state, rate = step(state, params)
        dx, buf = um.step(grads, state.buf, rate, beta, s)
        return dx, state._replace(buf=buf)
    return optax.GradientTransformation(init, update_fn)


def _learning_rate(lr) -> float:
    return v.in_range("learning_rate", lr, 0.0, None, lo_open=True)


def _uai(learning_rate, window, kw):
    _learning_rate(learning_rate)      # named as the caller named it
    hp = pr.uai_hyper(learning_rate, window, **kw)
    return _observer(hp, pr.uai_init, pr.uai_observe, UaiScaleState,
                     lambda r: r.win_sum.shape[-1])


def _halving(learning_rate, kw):
    _learning_rate(learning_rate)      # named as the caller named it
    hp = pr.halving_hyper(learning_rate, **kw)
    return _observer(hp, pr.halving_init, pr.halving_observe, HalvingScaleState,
                     lambda r: r.x_prev.shape[-1])


def _model(learning_rate, total_steps, kw) -> tuple:
    _learning_rate(learning_rate)      # named as the caller named it
    hp, _ = pr.model_schedule(learning_rate, total_steps, **kw)

    def init_fn(params):
        dt = _flat(params).dtype
        return ModelScaleState(jnp.zeros((), jnp.int32), jnp.asarray(learning_rate, dt))

    def step(state, params):
        rate = pr.model_rate(hp, state.count).astype(state.lr.dtype)
        return state._replace(count=state.count + 1, lr=rate), rate

    def check(updates, state, params, like=None):    # a schedule: params are not read
        check_update(updates, state, params, ModelScaleState, reads_params=False, like=like)
    return init_fn, step, check


def scale_by_autodrop_uai(learning_rate, window, **kw) -> optax.GradientTransformation:
    """Algorithm 1 (``kw``: rho=0.95, m=10, threshold_deg=0.1, min_lr=lr/60, printed=False;
    ``window`` = k steps, e.g. :func:`autodrop_theory.paper_rules.paper_window` of the epoch)."""
    return _scale(learning_rate, *_uai(learning_rate, window, kw))


def scale_by_halving(learning_rate, **kw) -> optax.GradientTransformation:
    """The Figure 2 rule (``kw``: span=20, threshold_deg=0.01, factor=0.5, min_lr=lr/60)."""
    return _scale(learning_rate, *_halving(learning_rate, kw))


def scale_by_autodrop_model(learning_rate, total_steps, *, gamma, **kw
                            ) -> optax.GradientTransformation:
    """Algorithm 2's schedule over ``total_steps`` (``kw``: epsilon=0, tau0=1/2, exponent=2/3);
    after the budget the last stage's rate stays."""
    return _scale(learning_rate, *_model(learning_rate, total_steps, dict(kw, gamma=gamma)))


def autodrop_uai_sgd(learning_rate, window, *, momentum=0.0, s=0.0, **kw):
    """UM at Algorithm 1's rate."""
    return _sgd(*_uai(learning_rate, window, kw), momentum, s)


def halving_sgd(learning_rate, *, momentum=0.0, s=0.0, **kw):
    """UM at the Figure 2 rule's rate."""
    return _sgd(*_halving(learning_rate, kw), momentum, s)


def autodrop_model_sgd(learning_rate, total_steps, *, gamma, momentum=0.0, s=0.0, **kw):
    """UM at Algorithm 2's rate."""
    return _sgd(*_model(learning_rate, total_steps, dict(kw, gamma=gamma)), momentum, s)


def read(state) -> dict:
    """The rule's current ``lr``, ``num_drops`` (None for Algorithm 2, a schedule) and
    ``steps`` (update calls) from the one paper-rule state inside ``state``."""
    found = [hit for cls in _STATES for hit in optax.tree_utils.tree_get_all_with_path(
        state, cls.__name__, filtering=lambda path, value, cls=cls: isinstance(value, cls))]
    if len(found) != 1:
        raise AssumptionError(f"state: need exactly one paper-rule state in it, found "
                              f"{len(found)}")
    s = found[0][1]
    if isinstance(s, ModelScaleState):
        return {"lr": s.lr, "num_drops": None, "steps": s.count}
    return {"lr": s.rule.lr, "num_drops": s.rule.num_drops, "steps": s.count}

