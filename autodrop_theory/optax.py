"""AutoDrop as optax transformations, for training loops of one's own.

Problem: train with an optax optimizer at a rate that AutoDrop drops when the angular velocity
of the parameter trajectory saturates (docs/optax.md; the rule: :mod:`autodrop_theory.rule`).

Algorithm: two transformations share one code path (:func:`_autodrop`):

- :func:`scale_by_autodrop` chains after any optimizer, as optax's ``scale_by_*``
  transformations do: it multiplies the incoming updates by lr_t / lr_0, the rule's current
  rate relative to its initial rate ``config.lr`` (a unitless factor, 1 until the first drop,
  so the optimizer before it keeps its own rate and schedule, e.g.
  ``optax.chain(optax.sgd(0.1, momentum=0.9), scale_by_autodrop(AutoDropConfig.package(0.1),
  K, momentum=0.9))``, or after ``optax.adam``).  ``momentum`` tells it the heavy-ball
  momentum of the optimizer before it, whose SGD point it measures the angle on (the buffer is
  recovered from the displacement: m = -(x_{t+1} - x_t)).
- :func:`autodrop_sgd` is SGD with unified momentum (:mod:`autodrop_theory.momentum`, the
  paper's form: the rate inside the buffer) at the rule's rate; it is the optimizer the
  simulator runs (``simulations.engine``), step for step.

Per step: the rate's multiplication (or the momentum step), the step count, and, only where
the estimate averages every step (``step_average``), one accumulation into a parameter-sized
vector (:func:`autodrop_theory.rule.observe`).  Once per epoch of ``steps_per_epoch`` steps,
in a loop of one iteration (none between boundaries): the snapshot and :func:`autodrop_theory.rule.epoch_end` (the angle, the
trigger, the drop and, with tail averaging, the jump: the emitted update then moves the
parameters to the average, ``params + update`` equal to it up to one rounding).  Snapshots:
``"boundary"`` (the package's convention: the parameters after the epoch's last step) or
``"after_first_step"`` (the authors' released code; the first such snapshot starts the rule).
Put it last in a chain: it needs ``params``, and a transformation after it would alter the
jump.

The state (:class:`ScaleByAutoDropState`) is a pytree of arrays: it jits and vmaps;
:func:`read` returns the current rate, angle and drop count and
:func:`autodrop_eval_params` the point to evaluate (the rule's estimate), from the state of
the transformation alone or of any optax container around it (a chain,
``optax.multi_transform``, ``optax.inject_hyperparams``), found with optax's tree utilities.

References: [1] Wang, Teng, Choromanska, "AutoDrop: Training Deep Learning Models with
Automatic Learning Rate Drop", arXiv 2111.15317 (UAI 2024); optax's ``scale_by_schedule``
and ``contrib.schedule_free_eval_params`` for the conventions followed.

Example:
    >>> import jax.numpy as jnp, optax
    >>> from autodrop_theory.rule import AutoDropConfig
    >>> cfg = AutoDropConfig(lr=0.1, threshold_deg=1.0, extra_epochs=0, tail_average=False)
    >>> tx = optax.chain(optax.sgd(0.1), scale_by_autodrop(cfg, steps_per_epoch=5))
    >>> params = jnp.ones(3)
    >>> state = tx.init(params)
    >>> updates, state = tx.update(jnp.ones(3), state, params)
    >>> round(float(updates[0]), 6), round(float(read(state)["lr"]), 6)
    (-0.1, 0.1)
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

import jax
import jax.numpy as jnp

from . import _validate as v
from . import momentum as um
from . import rule
from .errors import AssumptionError
from .update_checks import check_update

__all__ = ["ScaleByAutoDropState", "scale_by_autodrop", "autodrop_sgd", "autodrop_eval_params",
           "read", "SNAPSHOTS"]

SNAPSHOTS = ("boundary", "after_first_step")


class ScaleByAutoDropState(NamedTuple):
    """The state of :func:`scale_by_autodrop` and :func:`autodrop_sgd`.

    Attributes:
        count: int32, the steps taken.
        momentum: the unified-momentum buffer m_t, shaped like the parameters
            (:func:`autodrop_sgd` with momentum > 0), else None (no leaves).
        rule: the rule's :class:`autodrop_theory.rule.AutoDropState` (its parameter-sized
            fields exist only for the config's features).
    """

    count: jax.Array
    momentum: Optional[Any]
    rule: rule.AutoDropState


def scale_by_autodrop(config: rule.AutoDropConfig, steps_per_epoch: int, *,
                      momentum: float = 0.0, snapshot: str = "boundary"):
    """Scale the incoming updates by the AutoDrop rate factor lr_t / lr_0.

    Args:
        config: the rule's :class:`~autodrop_theory.rule.AutoDropConfig`; ``config.lr`` is the
            initial rate of the optimizer before it (only lr_t / config.lr and the floor
            min_lr / config.lr act here).
        steps_per_epoch: K >= 1, the steps between two snapshots.
        momentum: beta in [0, 1), the heavy-ball momentum of the optimizer before it (optax's
            ``sgd(momentum=beta)``); with ``config.observe_sgd_point`` the angle is measured on
            the SGD point x + beta / (1 - beta) (x_{t+1} - x_t), as the simulator does.  For
            Nesterov or other unified momentum use :func:`autodrop_sgd` (its point needs the
            buffer).
        snapshot: one of :data:`SNAPSHOTS`.

    Returns:
        An ``optax.GradientTransformationExtraArgs``; its ``update(updates, state, params)``
        needs ``params``.

    Raises AssumptionError on a bad argument, naming it, before any computation.
    """
    beta, _ = um.check(momentum, 0.0)
    return _autodrop(config, steps_per_epoch, beta, 0.0, snapshot, "scale")


def autodrop_sgd(config: rule.AutoDropConfig, steps_per_epoch: int, *, momentum: float = 0.0,
                 s=0.0, snapshot: str = "boundary"):
    """SGD with unified momentum at the AutoDrop rate (the simulator's optimizer).

    x_{t+1} = x_t - (s lr_t g_t + c m_t), m_t = beta m_{t-1} + lr_t g_t, c = 1 - s (1 - beta)
    (:func:`autodrop_theory.momentum.step`; the rate inside the buffer, as in the paper).

    Args:
        config: the rule's :class:`~autodrop_theory.rule.AutoDropConfig`; ``config.lr`` is
            the initial rate.
        steps_per_epoch: K >= 1, the steps between two snapshots.
        momentum: beta in [0, 1).
        s: the unified-momentum parameter, a number >= 0 or one of
            :data:`autodrop_theory.momentum.NAMED_S`: 0 or ``"heavy_ball"`` (default), 1 or
            ``"nesterov"``, ``"sgd"`` (1 / (1 - beta)).
        snapshot: one of :data:`SNAPSHOTS`.

    Returns:
        An ``optax.GradientTransformationExtraArgs`` taking gradients and ``params``.

    Raises AssumptionError on a bad argument, naming it, before any computation.
    """
    beta, s = um.check(momentum, s)
    return _autodrop(config, steps_per_epoch, beta, s, snapshot, "sgd")


def _autodrop(config, steps_per_epoch, beta, s, snapshot, kind):
    """The one implementation of both transformations (see the module docstring): ``kind``
    "scale" multiplies incoming updates by the rate factor, "sgd" takes gradients."""
    import optax
    if not isinstance(config, rule.AutoDropConfig):
        raise AssumptionError(f"config: need an AutoDropConfig, got {type(config).__name__}")
    K = v.integer("steps_per_epoch", steps_per_epoch, lo=1, hi=v.INT32_MAX)  # noqa: N806
    if snapshot not in SNAPSHOTS:
        raise AssumptionError(f"snapshot: need one of {SNAPSHOTS}, got {snapshot!r}")
    first_step = snapshot == "after_first_step"
    with_buffer = kind == "sgd" and beta > 0

    def init(params):
        rule.check_params(params)
        buf = um.init(params) if with_buffer else None
        return ScaleByAutoDropState(jnp.zeros((), jnp.int32), buf, rule.init(params, config))

    def update(updates, state, params=None, **extra):
        del extra
        check_update(updates, state, params, ScaleByAutoDropState,      # all before any JAX
                     like=getattr(state, "momentum", None))           # work
        rule.check_like(state.rule, params)
        updates = jax.tree_util.tree_map(jnp.asarray, updates)     # Python numbers as arrays
        rs = state.rule
        buf = None
        if with_buffer:
            dx, buf = um.step(updates, state.momentum, rs.lr, beta, s)
        elif kind == "sgd":     # plain SGD, as the simulator's step x - lr g
            dx = jax.tree_util.tree_map(lambda g: -(rs.lr.astype(g.dtype) * g), updates)
        else:
            factor = rs.lr / rs.hyper.lr
            dx = jax.tree_util.tree_map(lambda u: factor.astype(u.dtype) * u, updates)
        rs = rule.observe(rs, optax.apply_updates(params, dx))   # nothing unless step_average
        count = state.count + 1
        at = ((count - 1) % K == 0) if first_step else (count % K == 0)

        def boundary(op):
            dx, rs = op
            x_next = optax.apply_updates(params, dx)
            if first_step:
                started = lambda r: rule.init_from_hyper(x_next, r.hyper, r.features)  # noqa
                return jax.lax.cond(count == 1, lambda o: (o[0], started(o[1])),
                                    lambda o: _boundary(o[0], o[1], x_next), op)
            return _boundary(dx, rs, x_next)

        def _boundary(dx, rs, x_next):
            point, guard = None, True
            if beta > 0 and rs.features.observe_sgd_point:
                m = buf if with_buffer else jax.tree_util.tree_map(jnp.negative, dx)
                point = um.sgd_point(x_next, m, beta, s)
                guard = rule.epoch_guard_applies(beta, K)
            x_new, new = rule.epoch_end(rs, x_next, point, guard)
            if rs.features.tail_average:     # the jump to the tail average
                jumped = new.num_fires > rs.num_fires
                dx = jax.tree_util.tree_map(
                    lambda d, xn, p: jnp.where(jumped, (xn - p).astype(d.dtype), d),
                    dx, x_new, params)
            return dx, new

        # the boundary as a loop of 0 or 1 iterations, not lax.cond: on the CPU a cond inside
        # the training loop's scan copies every parameter-sized operand it passes through at
        # each step (measured: 4x the step of plain SGD at d = 10^6), a while loop that does
        # not run leaves its carry in place (python -m simulations.benchmark_optax)
        dx, rs = jax.lax.fori_loop(0, at.astype(jnp.int32), lambda _, op: boundary(op), (dx, rs))
        return dx, ScaleByAutoDropState(count, buf, rs)

    return optax.GradientTransformationExtraArgs(init, update)


def _require(state) -> ScaleByAutoDropState:
    """The one AutoDrop state inside ``state``, found with optax's tree utilities in any
    container (a chain, ``optax.multi_transform``, ``optax.inject_hyperparams``, dicts)."""
    import optax
    found = optax.tree_utils.tree_get_all_with_path(
        state, "ScaleByAutoDropState", filtering=lambda path, value: isinstance(
            value, ScaleByAutoDropState))
    if not found:
        raise AssumptionError("state: no AutoDrop state found in it")
    if len(found) > 1:
        raise AssumptionError(f"state: {len(found)} AutoDrop states in it (at " + ", ".join(
            jax.tree_util.keystr(path) for path, _ in found) + "): pass the one to read")
    return found[0][1]


def autodrop_eval_params(state, params):
    """The parameters to evaluate: the rule's estimate at the current ``params``
    (:func:`autodrop_theory.rule.eval_params`: with ``saturation_average``, the average since
    the angle first saturated; else ``params``), as optax's ``schedule_free_eval_params``.

    Args:
        state: the transformation's state, or the state of any optax container holding it.
        params: the current parameters.

    Returns:
        A pytree shaped like ``params``.
    """
    s = _require(state)
    rule.check_like(s.rule, params)
    return rule.eval_params(s.rule, params)


def read(state) -> dict:
    """The current ``lr`` (the rule's rate; the factor applied by :func:`scale_by_autodrop` is
    lr / config.lr), ``angle_deg``, ``num_drops`` and ``epoch`` (snapshots taken) of the
    AutoDrop state inside ``state`` (its own, or inside any optax container)."""
    s = _require(state)
    return {"lr": s.rule.lr, "angle_deg": s.rule.angle_deg, "num_drops": s.rule.num_drops,
            "epoch": s.rule.snapshots - 1}
