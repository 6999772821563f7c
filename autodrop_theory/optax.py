"""AutoDrop as an optax transformation, for training loops of one's own.

Problem: train with an optax optimizer at a rate that AutoDrop drops when the angular velocity
of the parameter trajectory saturates (docs: "The rule").

Algorithm: the wrapped ``optimizer`` produces unit-rate updates (e.g. ``optax.sgd(1.0,
momentum=0.9)``, PyTorch's momentum convention: the buffer holds gradients, not steps, so it
stays consistent when the rate drops); this transformation multiplies them by the rule's current
rate.  It counts steps and takes a snapshot once per epoch of ``steps_per_epoch`` steps:
``snapshot="boundary"`` (the package's convention: the parameters after the epoch's last step)
or ``"after_first_step"`` (the authors' released code: after the first step of each epoch; the
first such snapshot starts the rule).  Every step's parameters go to
:func:`autodrop_theory.rule.observe` (the samples of the rule's estimate with
``step_average``; :func:`estimate` reads it).  At each snapshot it calls
:func:`autodrop_theory.rule.update`; when the rule replaces the parameters by its tail average,
the emitted update moves them there (``params + update`` is the average up to one rounding).
Put it last in an ``optax.chain`` (e.g. after ``optax.add_decayed_weights``): it needs the
parameters, and a transformation after it would alter the jump.

The state (:class:`AutoDropOptState`) is a pytree: it jits and vmaps; :func:`read` returns the
current rate, angle and drop count from it (also inside a chain's state).

Example:
    >>> import jax, jax.numpy as jnp, optax
    >>> from autodrop_theory.rule import AutoDropConfig
    >>> tx = autodrop(AutoDropConfig(lr=0.1, threshold_deg=1.0, extra_epochs=0,
    ...                              tail_average=False), steps_per_epoch=5)
    >>> params = jnp.ones(3)
    >>> state = tx.init(params)
    >>> updates, state = tx.update(jnp.ones(3), state, params)
    >>> round(float(updates[0]), 6), round(float(read(state)["lr"]), 6)
    (-0.1, 0.1)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from . import _validate as v
from . import rule
from .errors import AssumptionError

__all__ = ["AutoDropOptState", "autodrop", "read", "estimate", "SNAPSHOTS"]

SNAPSHOTS = ("boundary", "after_first_step")


class AutoDropOptState(NamedTuple):
    count: Any        # int32, steps taken
    inner: Any        # the wrapped optimizer's state
    rule: rule.AutoDropState


def autodrop(config: rule.AutoDropConfig, steps_per_epoch: int, optimizer=None, *,
             momentum=None, nesterov: bool = False, snapshot: str = "boundary"):
    """An ``optax.GradientTransformationExtraArgs`` running ``optimizer`` (default
    ``optax.sgd(1.0, momentum, nesterov)``) at the rate AutoDrop chooses; see the module
    docstring.  Raises AssumptionError on a bad argument, naming it."""
    import optax
    if not isinstance(config, rule.AutoDropConfig):
        raise AssumptionError(f"config: need an AutoDropConfig, got {type(config).__name__}")
    K = v.integer("steps_per_epoch", steps_per_epoch, lo=1)
    if snapshot not in SNAPSHOTS:
        raise AssumptionError(f"snapshot: need one of {SNAPSHOTS}, got {snapshot!r}")
    if not isinstance(nesterov, bool):
        raise AssumptionError(f"nesterov: need True or False, got {nesterov!r}")
    if optimizer is None:
        if momentum is not None:
            v.in_range("momentum", momentum, 0.0, 1.0, hi_open=True)
        optimizer = optax.sgd(1.0, momentum=momentum, nesterov=nesterov)
    elif momentum is not None or nesterov:
        raise AssumptionError("momentum: give momentum/nesterov only without an optimizer "
                              "(the optimizer carries its own)")
    if not hasattr(optimizer, "init") or not hasattr(optimizer, "update"):
        raise AssumptionError(f"optimizer: need an optax GradientTransformation, got "
                              f"{optimizer!r}")
    optimizer = optax.with_extra_args_support(optimizer)
    first_step = snapshot == "after_first_step"

    def init(params):
        rule.check_params(params)            # before the wrapped optimizer's init
        return AutoDropOptState(jnp.zeros((), jnp.int32), optimizer.init(params),
                                rule.init(params, config))

    def update(updates, state, params=None, **extra):
        if params is None:
            raise AssumptionError("params: AutoDrop needs the parameters (call "
                                  "update(updates, state, params))")
        if not isinstance(state, AutoDropOptState):
            raise AssumptionError(f"state: need this transformation's state (from its init), "
                                  f"got {type(state).__name__}")
        rule.check_like(state.rule, params)  # all before any JAX work
        if jax.tree_util.tree_structure(updates) != jax.tree_util.tree_structure(params):
            raise AssumptionError("updates: need the pytree structure of params")
        inner, inner_state = optimizer.update(updates, state.inner, params, **extra)
        lr = state.rule.lr
        step = jax.tree_util.tree_map(lambda u: lr.astype(u.dtype) * u, inner)
        new_params = optax.apply_updates(params, step)
        count = state.count + 1
        at = ((count - 1) % K == 0) if first_step else (count % K == 0)

        def snap(args):
            x, rs = args
            if first_step:       # the first snapshot (after step 1) starts the rule
                return jax.lax.cond(count == 1,
                                    lambda a: (a[0], rule.init_from_hyper(a[0], a[1].hyper)),
                                    lambda a: rule.update(a[1], a[0]), (x, rs))
            return rule.update(rs, x)

        observed = rule.observe(state.rule, new_params)     # the estimate's step samples
        x_new, rule_state = jax.lax.cond(at, snap, lambda a: a, (new_params, observed))
        replaced = (rule_state.num_fires > state.rule.num_fires) & rule_state.hyper.tail_average
        out = jax.tree_util.tree_map(lambda s, xn, p: jnp.where(replaced, xn - p, s),
                                     step, x_new, params)
        return out, AutoDropOptState(count, inner_state, rule_state)

    return optax.GradientTransformationExtraArgs(init, update)


def estimate(state, params):
    """The rule's estimate (:func:`autodrop_theory.rule.average`) at the current ``params``,
    from the AutoDrop state inside ``state``: with ``saturation_average``, the average since
    the angle first saturated; else ``params``."""
    s = _require(state)
    rule.check_like(s.rule, params)
    return rule.average(s.rule, params)


def _require(state):
    """The one AutoDrop state inside ``state``, found with optax's tree utilities in any
    container (a chain, ``optax.multi_transform``, ``optax.inject_hyperparams``, dicts)."""
    import optax
    found = optax.tree_utils.tree_get_all_with_path(
        state, "AutoDropOptState", filtering=lambda path, value: isinstance(
            value, AutoDropOptState))
    if not found:
        raise AssumptionError("state: no AutoDrop state found in it")
    if len(found) > 1:
        raise AssumptionError(f"state: {len(found)} AutoDrop states in it (at " + ", ".join(
            jax.tree_util.keystr(path) for path, _ in found) + "): pass the one to read")
    return found[0][1]


def read(state) -> dict:
    """The current ``lr``, ``angle_deg``, ``num_drops`` and ``epoch`` (snapshots taken) of the
    AutoDrop state inside ``state`` (its own, or inside any container of optax's: a chain,
    ``multi_transform``, ``inject_hyperparams``)."""
    s = _require(state)
    return {"lr": s.rule.lr, "angle_deg": s.rule.angle_deg, "num_drops": s.rule.num_drops,
            "epoch": s.rule.snapshots - 1}
