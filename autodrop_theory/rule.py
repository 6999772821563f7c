"""The AutoDrop rule (docs/theory.md §5) as pure, jit- and vmap-able JAX.

Problem: SGD at a constant learning rate; decide, once per epoch, whether to drop the rate.

Algorithm (math), called at every epoch boundary e with the current parameters x_e (any pytree,
flattened):
    omega_e = (180/pi) arccos(clip(<u, w> / (||u|| ||w|| + eps), -1, 1)),
        u = x_e - x_{e-1}, w = x_{e-1} - x_{e-2}                        (defined from e = 2);
    trigger (sticky):  |omega_e - omega_{e-1}| < theta  and  omega_e >= guard_deg  (from e = 3;
    the guard only where ``update``'s ``epoch_guard``, see :func:`epoch_guard_applies`);
    once triggered at stage epoch n (epochs since the last drop), wait
    W = extra_epochs + ceil(delay_fraction n) more epochs, and longer if needed until the stage
    has lasted stage_growth times the previous stage, accumulating sum_k k x_(k) over the wait's
    snapshots x_(1..E') (with ``confirm_wait`` the wait's middle is at half of this actual wait,
    stage growth included); then
        lr    <- max(min_lr, drop_factor * lr),
        theta <- min(max_threshold_deg, theta / drop_factor),
        x     <- sum_k k x_(k) / (E'(E'+1)/2)          (only if ``tail_average``),
    and clear the trigger and the counter.  ``extra_epochs = 0, tail_average = False`` is the short
    (immediate) form: drop in the very epoch the trigger fires.  With ``confirm_wait`` the drop
    at the wait's end needs the wait's own angle, between its first half's displacement and the
    rest's, to be at least guard_deg as well (else the trigger is cleared, no drop).  With
    ``saturation_average`` the rule also keeps an estimate (:func:`average`): the uniform
    average of the samples (the snapshots, or with ``step_average`` every SGD step's iterate,
    given to :func:`observe`) from the start of the first drop's wait on (the iterates after
    the angle first saturated); with ``early_average``, before that, a polynomial-decay
    average of every sample since the start.

Deviations from the released code (codes/models.py of the authors' repository), stated: (1) the
authors snapshot x_e after the first minibatch step of epoch e; we snapshot at the epoch
boundary (:mod:`autodrop_theory.optax` offers their timing); (2) they evaluate the trigger and
drop one step after the snapshot, and accumulate and average the parameters of that step; (3)
their wait counts the trigger epoch as the first of the ``extra_epochs`` (the drop comes
extra_epochs - 1 epochs after the trigger, the trigger epoch weighted 1), ours starts the epoch
after it; (4) after a tail-average jump they measure the next displacement from the pre-jump
snapshot, we from the averaged point; (5) their cosine is clipped to [-1 + 1e-16, 1 - 1e-16];
(6) their 90-degree guard is commented out (ours is ``guard_deg``, 0 in the published preset).
``num_drops`` counts the firings that lowered the rate; ``num_fires`` counts every firing,
including those that leave ``lr`` at ``min_lr`` (which still tail-average and grow theta).  Momentum (0.9 in the
published runs) belongs to the optimiser, not to the rule, and is not part of this config.

Guarantee: none by itself; docs/theory.md §4c/4f relate the 90-degree guard, the wait and the
stage growth to an O(1/T) rate under Q (isotropic, in expectation).

References: [1] Teng, Wang, Choromanska, "AutoDrop: Training Deep Learning Models with Automatic
Learning Rate Drop", arXiv 2111.15317, and the authors' released code (docs/theory.md §5).

Example:
    >>> import jax.numpy as jnp
    >>> cfg = AutoDropConfig(lr=0.1, threshold_deg=1.0, extra_epochs=0, tail_average=False)
    >>> state = init(jnp.zeros(2), cfg)
    >>> for x in ([1.0, 0.0], [1.0, 1.0], [0.0, 1.0]):   # turns by 90 degrees each epoch
    ...     _, state = update(state, jnp.array(x))
    >>> float(state.angle_deg), int(state.num_drops), round(float(state.lr), 6)
    (90.0, 1, 0.02)
"""

from __future__ import annotations

import dataclasses
import math
import types
from typing import Any, NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from . import _validate as v
from .errors import AssumptionError

__all__ = ["AutoDropConfig", "PACKAGE_DEFAULTS", "PREVIOUS_DEFAULTS", "PREVIOUS_RATE_DROPS",
           "AutoDropHyper", "AutoDropState", "init", "init_from_hyper",
           "update", "observe", "average", "hyperparameters", "angle_deg",
           "calibrated_threshold_deg", "epoch_guard_applies", "check_params", "check_like"]


# The package's defaults (docs/theory.md §10; none is a count of epochs or steps), chosen on the
# TUNE split of simulations.instances by python -m simulations.tune_autodrop (docs/rule.md).
PACKAGE_DEFAULTS = types.MappingProxyType(dict(
    drop_factor=0.7, threshold_deg=None, threshold_z=0.25, max_threshold_deg=None,
    extra_epochs=0, delay_fraction=1.0, stage_growth=1.4, tail_average=True, guard_deg=90.0,
    min_lr=0.0, saturation_average=True, observe_sgd_point=True, step_average=True,
    confirm_wait=True, early_average=False, early_power=2.0))
# The previous defaults (tuned on six setups of one quadratic): a 40-epoch delay and a rate
# floor allowing PREVIOUS_RATE_DROPS drops; kept so that the change is measured.
PREVIOUS_DEFAULTS = types.MappingProxyType(dict(
    drop_factor=0.2, threshold_deg=None, threshold_z=0.25, max_threshold_deg=None,
    extra_epochs=40, tail_average=True, guard_deg=90.0))
PREVIOUS_RATE_DROPS = 2


@dataclasses.dataclass(frozen=True)
class AutoDropConfig:
    """Every knob of the rule; validated when built (and on ``dataclasses.replace``).

    Attributes:
        lr: initial learning rate eta_0 > 0.
        drop_factor: rho in (0, 1); the rate is multiplied by it at each drop.
        threshold_deg: theta_0 > 0, the saturation threshold on |omega_e - omega_{e-1}| (degrees);
            None: calibrated from theory at ``init`` (see :func:`calibrated_threshold_deg`):
            theta_0 = threshold_z * sd_ref / sqrt(d), d the number of parameters.
        threshold_z: the calibration's multiple of the reference standard deviation of the
            angle change (> 0); used only when threshold_deg is None.
        max_threshold_deg: theta_max >= theta_0; theta grows by 1/rho per drop up to it; None:
            5 theta_0.
        min_lr: the floor, 0 <= min_lr <= lr.
        extra_epochs: epochs to wait after the trigger before dropping (>= 0).
        tail_average: replace the parameters by the linearly weighted average of the snapshots
            taken while waiting (needs a wait: extra_epochs >= 1 or delay_fraction > 0).
        guard_deg: drop only if also omega_e >= guard_deg, in [0, 180]; 0 disables, 90 is the
            certificate of docs/theory.md §4c.
        eps: the 1e-8 of the released code in the cosine's denominator, >= 0.
        delay_fraction: f >= 0; the wait after a trigger is extra_epochs + ceil(f n), n the
            epochs of the current stage (since the last drop, or the start) at the trigger: a
            delay proportional to the stage's own time scale, not a count of epochs.
        stage_growth: g >= 0; a stage after the first lasts at least g times the previous
            stage's epochs before it may drop (the wait goes on until then), relative to the
            problem's own first stage: a floor on the stages' growth.  Stage-wise theory's
            stages grow like 1/lr, i.e. by 1/drop_factor per drop (docs/theory.md §3a); the
            package's g = 1.4 is just below 1/0.7 = 1.43, and on the isotropic quadratic this
            floor, not the angle, sets most stage lengths (docs/theory.md §10, measured); the
            O(1/T) bound of docs/theory.md §10 needs g drop_factor < 1.
        saturation_average: the rule's estimate (:func:`average`; what the simulator
            evaluates) is the uniform average of every snapshot from the start of the first
            drop's wait on (the iterates after the angle first saturated: Polyak-Ruppert
            averaging without the transient); see :func:`average` for before the first drop.
            The trajectory is unchanged.
        observe_sgd_point: for a driver that runs heavy-ball momentum (the simulator): measure
            the angle on z = x + beta / (1 - beta) (x - x_prev_step) (``update``'s
            ``observed``) rather than on the parameters, and apply the guard to one epoch's
            angle only where :func:`epoch_guard_applies` (docs/theory.md §6).
        step_average: the estimate's averages (the wait's and the one since saturation) sum
            the iterate of every SGD step given to :func:`observe` instead of the epoch
            snapshots: an epoch of K steps adds K samples, not one (the simulator passes every
            step, or the exact epoch sampler's sum of the K iterates).  A loop that never calls
            ``observe`` gets ``params`` as the estimate.
        confirm_wait: at the end of a wait, drop only if the wait confirms the saturation at
            its own time scale: the angle between the displacement over its first half and
            the displacement over the rest is at least guard_deg (a drift too slow to show in
            one epoch's angle keeps the two halves aligned); otherwise clear the trigger and go
            on in the same stage (no drop, no averaging start).  Waits under two epochs are
            not checked.
        early_average: before the first drop the estimate (:func:`average`) is the
            polynomial-decay average of every sample since the start, epoch e (from 1) weighted
            e^early_power (Shamir & Zhang 2013): a horizon-free suffix average for a run that
            ends before the angle saturates.

    The compiled rule reads the resolved numbers (:class:`AutoDropHyper`) as arrays, not this
    object, so changing a value never recompiles.
    """

    lr: float = 0.1
    drop_factor: float = 0.2
    threshold_deg: Optional[float] = 0.01
    max_threshold_deg: Optional[float] = 1.0
    min_lr: float = 1e-4
    extra_epochs: int = 20
    tail_average: bool = True
    guard_deg: float = 0.0
    eps: float = 1e-8
    threshold_z: float = 0.25
    delay_fraction: float = 0.0
    stage_growth: float = 0.0
    saturation_average: bool = False
    observe_sgd_point: bool = False
    step_average: bool = False
    confirm_wait: bool = False
    early_average: bool = False
    early_power: float = 2.0

    def __post_init__(self):
        v.in_range("lr", self.lr, 0.0, None, lo_open=True)
        v.in_range("drop_factor", self.drop_factor, 0.0, 1.0, lo_open=True, hi_open=True)
        # beyond z ~ 4 every saturated epoch fires; 10 is far past any use
        v.in_range("threshold_z", self.threshold_z, 0.0, 10.0, lo_open=True)
        if self.threshold_deg is not None:
            v.in_range("threshold_deg", self.threshold_deg, 0.0, 180.0, lo_open=True)
        if self.max_threshold_deg is not None:
            v.in_range("max_threshold_deg", self.max_threshold_deg,
                       self.threshold_deg if self.threshold_deg is not None else 0.0, 180.0,
                       lo_open=self.threshold_deg is None)
        v.in_range("min_lr", self.min_lr, 0.0, self.lr)
        v.integer("extra_epochs", self.extra_epochs, lo=0)
        if not isinstance(self.tail_average, bool):
            raise AssumptionError(f"tail_average: need a bool, got {self.tail_average!r}")
        v.in_range("guard_deg", self.guard_deg, 0.0, 180.0)
        v.in_range("eps", self.eps, 0.0, None)
        v.in_range("delay_fraction", self.delay_fraction, 0.0, 1e6)
        v.in_range("stage_growth", self.stage_growth, 0.0, 1e6)
        v.in_range("early_power", self.early_power, 0.0, 100.0)
        for name in ("saturation_average", "observe_sgd_point", "step_average", "confirm_wait",
                     "early_average"):
            if not isinstance(getattr(self, name), bool):
                raise AssumptionError(f"{name}: need a bool, got {getattr(self, name)!r}")
        if self.tail_average and self.extra_epochs < 1 and self.delay_fraction <= 0:
            raise AssumptionError("tail_average: needs a wait of at least one epoch "
                                  "(extra_epochs >= 1 or delay_fraction > 0), got extra_epochs "
                                  f"= {self.extra_epochs}, delay_fraction = "
                                  f"{self.delay_fraction}")

    @classmethod
    def published(cls, lr: float = 0.1) -> "AutoDropConfig":
        """The published constants verbatim (docs/theory.md §5): rho = 0.2, theta_0 = 0.01 deg,
        theta_max = 1 deg, min_lr = 1e-4, extra_epochs = 20, tail averaging on, no guard.
        The published CIFAR runs start at lr = 0.1 (the default here)."""
        return cls(lr=lr, drop_factor=0.2, threshold_deg=0.01, max_threshold_deg=1.0,
                   min_lr=1e-4, extra_epochs=20, tail_average=True, guard_deg=0.0, eps=1e-8)

    @classmethod
    def package(cls, lr: float = 0.1, **overrides) -> "AutoDropConfig":
        """The package's defaults (:data:`PACKAGE_DEFAULTS`) starting at ``lr``; ``overrides``
        replace any field."""
        return cls(lr=lr, **{**PACKAGE_DEFAULTS, **overrides})

    @classmethod
    def previous(cls, lr: float = 0.1, **overrides) -> "AutoDropConfig":
        """The previous defaults (:data:`PREVIOUS_DEFAULTS`) starting at ``lr``, with the floor
        lr * drop_factor^PREVIOUS_RATE_DROPS unless ``min_lr`` is given."""
        knobs = {**PREVIOUS_DEFAULTS, **overrides}
        knobs.setdefault("min_lr", lr * knobs["drop_factor"] ** PREVIOUS_RATE_DROPS)
        return cls(lr=lr, **knobs)


def calibrated_threshold_deg(dim: int, z: float = 0.25) -> float:
    """The theory-calibrated threshold theta_0 = z * sd_ref / sqrt(dim) (degrees).

    sd_ref / sqrt(d) is the standard deviation of the angle change omega_e - omega_{e-1} at
    stationarity (docs/theory.md §4e, :func:`autodrop_theory.angular.stationary_fluctuations`) in the
    reference case of d identical coordinates with alpha = 0 (epochs long enough to decorrelate
    the iterates), where it scales exactly as 1/sqrt(d): sd_ref = 73.97 degrees.  A saturated
    angle then fires the trigger with probability about P(|N(0, 1)| < z) per epoch (0.20 at
    z = 0.25).  Networks of d ~ 1e7 parameters get theta_0 ~ 0.006 degrees, the order of the
    published 0.01.
    """
    from .angular import stationary_fluctuations
    dim = v.integer("dim", dim, lo=1)
    z = v.in_range("z", z, 0.0, 10.0, lo_open=True)
    ref = stationary_fluctuations([1.0], [1.0], 1.0, 1)["change_sd_deg"]
    return float(min(180.0, z * ref / dim ** 0.5))


class AutoDropHyper(NamedTuple):
    """The rule's numeric hyperparameters as arrays (resolved from an :class:`AutoDropConfig`
    by :func:`hyperparameters`): the compiled rule reads them as data, so one compiled program
    serves every value (a sweep over thresholds, drop factors or rates compiles once).

    lr, drop_factor, theta (theta_0, degrees), theta_max, min_lr, guard_deg, eps,
    delay_fraction, stage_growth, early_power: floats; extra_epochs: int32; tail_average,
    saturation_average, observe_sgd_point, step_average, confirm_wait, early_average: bool.
    """

    lr: Any
    drop_factor: Any
    theta: Any
    theta_max: Any
    min_lr: Any
    extra_epochs: Any
    tail_average: Any
    guard_deg: Any
    eps: Any
    delay_fraction: Any = 0.0
    stage_growth: Any = 0.0
    saturation_average: Any = False
    observe_sgd_point: Any = False
    step_average: Any = False
    confirm_wait: Any = False
    early_average: Any = False
    early_power: Any = 2.0


def hyperparameters(config: AutoDropConfig, dim: int) -> AutoDropHyper:
    """Resolve ``config`` for ``dim`` parameters (the calibrated threshold and its cap) into
    host numbers (float, int, bool); raises AssumptionError where the cap is below theta_0."""
    if not isinstance(config, AutoDropConfig):
        raise AssumptionError(f"config: need an AutoDropConfig, got {type(config).__name__}")
    theta = (config.threshold_deg if config.threshold_deg is not None
             else calibrated_threshold_deg(dim, config.threshold_z))
    theta_max = (config.max_threshold_deg if config.max_threshold_deg is not None
                 else 5.0 * theta)
    if theta_max < theta:
        raise AssumptionError(f"max_threshold_deg: need >= the calibrated threshold {theta:g}, "
                              f"got {theta_max!r}")
    return AutoDropHyper(lr=float(config.lr), drop_factor=float(config.drop_factor),
                         theta=float(theta), theta_max=float(theta_max),
                         min_lr=float(config.min_lr), extra_epochs=int(config.extra_epochs),
                         tail_average=bool(config.tail_average),
                         guard_deg=float(config.guard_deg), eps=float(config.eps),
                         delay_fraction=float(config.delay_fraction),
                         stage_growth=float(config.stage_growth),
                         saturation_average=bool(config.saturation_average),
                         observe_sgd_point=bool(config.observe_sgd_point),
                         step_average=bool(config.step_average),
                         confirm_wait=bool(config.confirm_wait),
                         early_average=bool(config.early_average),
                         early_power=float(config.early_power))


class AutoDropState(NamedTuple):
    """The rule's state; every field is an array, so it jits and vmaps.

    lr: the rate to use in the coming epoch.  theta: the current threshold (degrees).
    theta_max: its cap (degrees; resolved at ``init`` when calibrated).
    angle_deg: omega_e of the last boundary (nan until defined).  prev_angle_deg: omega_{e-1}.
    num_drops: int32 count of firings that lowered the rate.  num_fires: int32 count of all
    firings.  dropped: whether the last update lowered the rate.
    triggered: the sticky flag.  wait: int32 epochs waited since the trigger.
    snapshots: int32 number of snapshots seen (x_0 counts).  x_prev, x_prev2: the observed
    points of boundaries e-1, e-2 (flat; ``update``'s ``observed``, moved with a tail-average
    jump).  accum: sum_k k x_(k) (flat).  stage_epochs: int32 epochs since the last drop (or
    the start; while triggered, the trigger's stage epoch is stage_epochs - wait);
    prev_stage_epochs: the previous stage's (0 in the first).  cos_sum: the sum of cos(omega)
    over the wait.  wait_sum, wait_n: the sum (flat) and number of the wait's samples (its
    snapshots, or with ``step_average`` its steps).  sat_sum, sat_n: the same for the samples
    since the first drop's wait began.  early_mean, early_w: the polynomial-decay average of
    every sample and its total weight.  x_trig, x_mid: the observed points at the trigger and
    at the middle of its wait (``confirm_wait``).  hyper: the
    :class:`AutoDropHyper` as arrays of the parameters' dtype (lr and theta there are the
    initial values).
    """

    lr: Any
    theta: Any
    theta_max: Any
    angle_deg: Any
    prev_angle_deg: Any
    num_drops: Any
    num_fires: Any
    dropped: Any
    triggered: Any
    wait: Any
    snapshots: Any
    x_prev: Any
    x_prev2: Any
    accum: Any
    stage_epochs: Any
    prev_stage_epochs: Any
    cos_sum: Any
    wait_sum: Any
    wait_n: Any
    sat_sum: Any
    sat_n: Any
    early_mean: Any
    early_w: Any
    x_trig: Any
    x_mid: Any
    hyper: AutoDropHyper


def angle_deg(u, w, eps=0.0):
    """Angle in degrees between flat vectors u and w: arccos(clip(<u,w>/(|u||w| + eps), -1, 1)).

    With eps = 0 and a zero vector the angle is undefined and the result is nan.
    """
    cos = jnp.vdot(u, w) / (jnp.linalg.norm(u) * jnp.linalg.norm(w) + eps)
    return jnp.degrees(jnp.arccos(jnp.clip(cos, -1.0, 1.0)))


def init(params, config: AutoDropConfig) -> AutoDropState:
    """Start the rule at the initial parameters x_0 (any pytree of float arrays)."""
    if not isinstance(config, AutoDropConfig):
        raise AssumptionError(f"config: need an AutoDropConfig, got {type(config).__name__}")
    flat = _flat_params(params)
    return init_from_hyper(flat, hyperparameters(config, flat.size))


def check_params(params):
    """The dtype the flattened ``params`` will have, checked without any JAX computation (the
    leaves' shapes and dtypes only): at least one leaf, every leaf floating-point (one integer
    leaf among float ones would be promoted by the flattening and then never move: refused,
    naming the leaf's path)."""
    leaves = jax.tree_util.tree_leaves_with_path(params)
    if not leaves:
        raise AssumptionError(f"params: need a pytree with at least one array leaf, got "
                              f"{params!r}")
    dtypes = []
    for path, leaf in leaves:
        try:
            dt = np.dtype(leaf.dtype) if hasattr(leaf, "dtype") else np.result_type(leaf)
        except TypeError:
            dt = None
        where = jax.tree_util.keystr(path) or "the leaf"
        if dt is None:
            raise AssumptionError(f"params: need array leaves, got {type(leaf).__name__} at "
                                  f"{where}")
        if not jnp.issubdtype(dt, jnp.floating):
            raise AssumptionError(f"params: need floating-point leaves, got dtype {dt} at "
                                  f"{where} (an integer parameter would never move)")
        dtypes.append(jax.dtypes.canonicalize_dtype(dt))
    return jnp.result_type(*dtypes)           # as ravel_pytree's


def _flat_params(params):
    check_params(params)
    flat, _ = ravel_pytree(params)
    return flat


def init_from_hyper(params, hyper: AutoDropHyper) -> AutoDropState:
    """:func:`init` from resolved hyperparameters (host numbers or traced arrays, e.g. one
    point of a vmapped sweep); no validation: build ``hyper`` with :func:`hyperparameters`."""
    flat, _ = ravel_pytree(params)
    dt = flat.dtype
    nan = jnp.asarray(jnp.nan, dt)
    h = AutoDropHyper(*(jnp.asarray(getattr(hyper, f), dt) for f in (
        "lr", "drop_factor", "theta", "theta_max", "min_lr")),
        extra_epochs=jnp.asarray(hyper.extra_epochs, jnp.int32),
        tail_average=jnp.asarray(hyper.tail_average, bool),
        guard_deg=jnp.asarray(hyper.guard_deg, dt), eps=jnp.asarray(hyper.eps, dt),
        delay_fraction=jnp.asarray(hyper.delay_fraction, dt),
        stage_growth=jnp.asarray(hyper.stage_growth, dt),
        saturation_average=jnp.asarray(hyper.saturation_average, bool),
        observe_sgd_point=jnp.asarray(hyper.observe_sgd_point, bool),
        step_average=jnp.asarray(hyper.step_average, bool),
        confirm_wait=jnp.asarray(hyper.confirm_wait, bool),
        early_average=jnp.asarray(hyper.early_average, bool),
        early_power=jnp.asarray(hyper.early_power, dt))
    return AutoDropState(
        lr=h.lr, theta=h.theta, theta_max=h.theta_max,
        angle_deg=nan, prev_angle_deg=nan,
        num_drops=jnp.zeros((), jnp.int32), num_fires=jnp.zeros((), jnp.int32),
        dropped=jnp.zeros((), bool),
        triggered=jnp.zeros((), bool), wait=jnp.zeros((), jnp.int32),
        snapshots=jnp.ones((), jnp.int32),
        x_prev=flat, x_prev2=flat, accum=jnp.zeros_like(flat),
        stage_epochs=jnp.zeros((), jnp.int32), prev_stage_epochs=jnp.zeros((), jnp.int32),
        cos_sum=jnp.zeros((), dt), wait_sum=jnp.zeros_like(flat), wait_n=jnp.zeros((), dt),
        sat_sum=jnp.zeros_like(flat), sat_n=jnp.zeros((), dt),
        early_mean=flat, early_w=jnp.zeros((), dt), x_trig=flat, x_mid=flat, hyper=h)


def check_like(state, params) -> None:
    """Refuse ``params`` unless shaped as at ``init`` (the number of parameters and the
    flattened dtype), from the leaves' shapes and dtypes alone: before any JAX work."""
    dt = check_params(params)
    size = sum(int(np.size(leaf)) for leaf in jax.tree_util.tree_leaves(params))
    if size != state.x_prev.shape[-1] or dt != state.x_prev.dtype:
        raise AssumptionError(f"params: need {state.x_prev.shape[-1]} parameters of dtype "
                              f"{state.x_prev.dtype} (as at init), got {size} of {dt}")


def _flat_like(state, params):
    """``params`` flattened (with its unravel), refused unless shaped as at ``init``."""
    check_like(state, params)
    return ravel_pytree(params)


def epoch_guard_applies(momentum, steps_per_epoch):
    """Whether one epoch's angle can certify saturation (the trigger's guard) under heavy-ball
    momentum ``momentum`` with epochs of ``steps_per_epoch`` steps: when K (1 - beta) >= 1.

    Exact theory (:func:`autodrop_theory.angular.stationary_angle_momentum`, docs/theory.md §6):
    the stationary angle of the observed point z is at least 90 degrees at every eta h in
    (0, 1] wherever K (1 - beta) >= 1 (checked on a grid of beta and K by the tests; sufficient,
    not sharp: the measured threshold is about 0.75-0.8), and falls below 90 degrees for
    clearly shorter epochs (79.2 at eta h = 0.05, beta = 0.9, K = 2), where a 90-degree guard
    on one epoch's angle is blocked in expectation.  There the guard is left to
    the wait's confirmation, whose halves span more steps.  Plain SGD (beta = 0): always.
    Host numbers or traced arrays."""
    beta = jnp.asarray(momentum)
    eps = jnp.finfo(beta.dtype if jnp.issubdtype(beta.dtype, jnp.floating) else float).eps
    # 1 - beta carries a rounding error up to eps, K (1 - beta) up to about K eps: 10 (1 - 0.9)
    # rounds below 1 in float64, 1000 (1 - 0.999) to 0.99998 in float32
    return steps_per_epoch * (1 - beta) >= 1 - 4 * steps_per_epoch * eps


def update(state: AutoDropState, params, observed=None, epoch_guard=True):
    """One epoch boundary: take the snapshot ``params``; return (params, new state).

    The returned params equal the input unless this update drops with tail averaging.
    ``observed``: the point whose displacements the angle measures (default ``params``).  With
    heavy-ball momentum beta pass z = x + beta / (1 - beta) (x - x_prev_step): z moves by
    -lr / (1 - beta) times each stochastic gradient (taken at x, not z, so z is not plain SGD),
    and its displacements are less correlated over an epoch than the iterate's
    (docs/theory.md §6).  ``epoch_guard`` (bool, may be traced): whether the trigger requires
    the epoch's angle to pass ``guard_deg``; under momentum pass
    :func:`epoch_guard_applies` (false for epochs shorter than 1 / (1 - beta) steps, where
    the stationary angle is below 90 degrees), and the wait's confirmation alone applies the
    guard.
    """
    hp = state.hyper
    x, unravel = _flat_like(state, params)
    dt = x.dtype
    obs = x if observed is None else ravel_pytree(observed)[0]
    if obs.shape != x.shape or obs.dtype != dt:
        raise AssumptionError(f"observed: need the shape and dtype of params, got {obs.size} "
                              f"of {obs.dtype}")
    snapshots = state.snapshots + 1                       # x_e is snapshot number e + 1
    stage_epochs = state.stage_epochs + 1
    angle = jnp.where(snapshots >= 3,
                      angle_deg(obs - state.x_prev, state.x_prev - state.x_prev2, hp.eps),
                      jnp.asarray(jnp.nan, dt))
    # A nan angle (undefined) compares false: it never triggers.
    fires = ((snapshots >= 4) & (jnp.abs(angle - state.prev_angle_deg) < state.theta)
             & ((angle >= hp.guard_deg) | ~jnp.asarray(epoch_guard, bool)))
    waiting = state.triggered                             # triggered at an earlier boundary
    wait = jnp.where(waiting, state.wait + 1, state.wait)
    accum = jnp.where(waiting, state.accum + wait.astype(dt) * x, state.accum)
    cos_sum = jnp.where(waiting, state.cos_sum + jnp.cos(jnp.radians(angle)), state.cos_sum)
    snap = ~hp.step_average                               # the averages sample the snapshots
    wait_sum = jnp.where(waiting & snap, state.wait_sum + x, state.wait_sum)
    wait_n = jnp.where(waiting & snap, state.wait_n + 1, state.wait_n)
    # the wait a trigger needs: extra_epochs + ceil(f n), n the stage's epochs at the trigger
    # (wait counts the epochs since, and is 0 until a trigger)
    n = (stage_epochs - wait).astype(dt)
    target = hp.extra_epochs + jnp.ceil(hp.delay_fraction * n).astype(jnp.int32)
    triggered = state.triggered | fires
    long_enough = stage_epochs.astype(dt) >= hp.stage_growth * state.prev_stage_epochs.astype(dt)
    due = triggered & (wait >= target) & long_enough
    # the wait's own angle: its first half's displacement against the rest's
    x_trig = jnp.where(fires & ~state.triggered, obs, state.x_trig)
    # its middle: half of the wait the drop will actually take, stage growth included (the
    # stage must reach g times the previous one, so the wait is at least ceil(g prev - n))
    grown = jnp.ceil(hp.stage_growth * state.prev_stage_epochs.astype(dt) - n).astype(jnp.int32)
    x_mid = jnp.where(waiting & (wait == jnp.maximum((jnp.maximum(target, grown) + 1) // 2, 1)),
                      obs, state.x_mid)
    confirmed = (angle_deg(obs - x_mid, x_mid - x_trig, hp.eps) >= hp.guard_deg) | (wait < 2)
    drop = due & (confirmed | ~hp.confirm_wait)
    clear = due                                           # a drop, or a wait not confirmed
    # sum_{k'=1}^{wait} k', in the parameters' dtype: in int32, wait (wait + 1) overflows once a
    # wait passes 46,340 epochs (stages that long come after some 20 drops at long horizons)
    w = wait.astype(dt)
    weights = jnp.maximum(w * (w + 1) / 2, 1)
    x_new = jnp.where(drop & hp.tail_average, accum / weights, x)
    rho = hp.drop_factor
    min_lr = hp.min_lr
    # A rate within 4 ulps of the floor is at the floor (rho * rho * lr need not round to min_lr).
    at_floor = state.lr <= min_lr * jnp.asarray(1 + 4 * jnp.finfo(dt).eps, dt)
    lowered = drop & ~at_floor
    lr = jnp.where(lowered, jnp.maximum(min_lr, rho * state.lr), state.lr)
    # the samples since the first drop's wait began (that wait's own, then every one)
    saturated = state.num_fires > 0
    first = drop & ~saturated
    alone = first & (wait_n == 0) & snap                              # no wait: this snapshot
    sat_sum = jnp.where(first, jnp.where(alone, x, wait_sum),
                        jnp.where(saturated & snap, state.sat_sum + x, state.sat_sum))
    sat_n = jnp.where(first, jnp.where(alone, 1, wait_n),
                      jnp.where(saturated & snap, state.sat_n + 1, state.sat_n))
    new = state._replace(
        lr=lr,
        theta=jnp.where(drop, jnp.minimum(state.theta_max, state.theta / rho), state.theta),
        angle_deg=angle, prev_angle_deg=angle,
        num_drops=state.num_drops + lowered.astype(jnp.int32),
        num_fires=state.num_fires + drop.astype(jnp.int32), dropped=lowered,
        triggered=triggered & ~clear,
        wait=jnp.where(clear, jnp.zeros_like(wait), wait),
        accum=jnp.where(clear, jnp.zeros_like(accum), accum),
        cos_sum=jnp.where(clear, jnp.zeros_like(cos_sum), cos_sum),
        wait_sum=jnp.where(clear, jnp.zeros_like(wait_sum), wait_sum),
        wait_n=jnp.where(clear, jnp.zeros_like(wait_n), wait_n),
        stage_epochs=jnp.where(drop, jnp.zeros_like(stage_epochs), stage_epochs),
        prev_stage_epochs=jnp.where(drop, stage_epochs, state.prev_stage_epochs),
        sat_sum=sat_sum, sat_n=sat_n, x_trig=x_trig, x_mid=x_mid,
        **_early(state, x, 1, snapshots - 1, snap),
        snapshots=snapshots, x_prev=obs + (x_new - x), x_prev2=state.x_prev)
    return unravel(x_new), new


def _early(state, x_sum, count, epoch, on):
    """The polynomial-decay average's fields after adding ``count`` samples summing to
    ``x_sum`` from epoch ``epoch`` (from 1), weight epoch^p each, where ``on``."""
    hp = state.hyper
    dt = x_sum.dtype
    w = jnp.asarray(count, dt) * epoch.astype(dt) ** hp.early_power
    total = state.early_w + w
    on = on & hp.early_average
    mean = state.early_mean + (w / total) * (x_sum / jnp.asarray(count, dt) - state.early_mean)
    return dict(early_mean=jnp.where(on, mean, state.early_mean),
                early_w=jnp.where(on, total, state.early_w))


def observe(state: AutoDropState, params, count=1) -> AutoDropState:
    """Give the rule one SGD step's iterate ``params`` (or the sum of ``count`` iterates, e.g.
    an epoch's): with ``step_average`` it joins the wait's average while the trigger is set
    and the average since saturation once a drop has happened; otherwise the state is
    returned unchanged.  Call it after every step, between the epoch boundaries' ``update``s
    (a step's iterate belongs to the epoch it ends in)."""
    x, _ = _flat_like(state, params)
    hp = state.hyper
    n = jnp.asarray(count, x.dtype)
    waiting = hp.step_average & state.triggered
    saturated = hp.step_average & (state.num_fires > 0)
    return state._replace(
        wait_sum=jnp.where(waiting, state.wait_sum + x, state.wait_sum),
        wait_n=jnp.where(waiting, state.wait_n + n, state.wait_n),
        sat_sum=jnp.where(saturated, state.sat_sum + x, state.sat_sum),
        sat_n=jnp.where(saturated, state.sat_n + n, state.sat_n),
        **_early(state, x, count, state.snapshots, hp.step_average))


def average(state: AutoDropState, params):
    """The rule's estimate at ``params`` (the current parameters): with ``saturation_average``,
    the uniform average of the samples (snapshots, or with ``step_average`` steps) since the
    first drop's wait began; before the first drop, the average of the current wait's samples
    while the wait's angles agree that the iterates are saturated (the mean of cos(omega) over
    its epochs at most cos(guard_deg)), else, with ``early_average``, the polynomial-decay
    average of every sample since the start, else ``params`` itself.  Without
    ``saturation_average``, ``params``."""
    x, unravel = ravel_pytree(params)
    hp = state.hyper
    sat = state.sat_sum / jnp.maximum(state.sat_n, 1)
    wait = state.wait.astype(x.dtype)
    provisional = (state.triggered & (state.wait > 0) & (state.wait_n > 0)
                   & (state.cos_sum <= jnp.cos(jnp.radians(hp.guard_deg)) * wait))
    pending = state.wait_sum / jnp.maximum(state.wait_n, 1)
    early = jnp.where(hp.early_average & (state.early_w > 0), state.early_mean, x)
    est = jnp.where(state.sat_n > 0, sat, jnp.where(provisional, pending, early))
    return unravel(jnp.where(hp.saturation_average, est, x))
