"""The AutoDrop rule (docs/theory.md §5) as pure, jit- and vmap-able JAX.

Problem: SGD at a constant learning rate; decide, once per epoch, whether to drop the rate.

Algorithm (math), called at every epoch boundary e with the current parameters x_e (any pytree,
flattened):
    omega_e = (180/pi) arccos(clip(<u, w> / (||u|| ||w|| + eps), -1, 1)),
        u = x_e - x_{e-1}, w = x_{e-1} - x_{e-2}                        (defined from e = 2);
    trigger (sticky):  |omega_e - omega_{e-1}| < theta  and  omega_e >= guard_deg  (from e = 3;
    the guard only where ``update``'s ``epoch_guard``, see :func:`epoch_guard_applies`);
    with ``trend_test`` the first condition is instead the angle's smoothed change measured
    against its own noise: over the stage's last 2w angles (w = clip(ceil(trend_window n), 3,
    TREND_MAX_WINDOW), n the stage's epochs), |mean of the last w - mean of the w before| <
    trend_z s sqrt(2 / w), s the pooled standard deviation of the angle within the two windows
    (a level-free saturation test: no 90-degree level, no threshold from d);
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
    ``saturation_average`` the rule also keeps an estimate (:func:`eval_params`): the uniform
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
           "NETWORK_DEFAULTS", "TREND_MAX_WINDOW",
           "FEATURES", "Features", "AutoDropHyper", "AutoDropState", "features", "split", "init",
           "init_from_hyper", "epoch_end", "update", "observe", "eval_params", "hyperparameters",
           "angle_deg", "calibrated_threshold_deg", "epoch_guard_applies", "check_params",
           "check_like"]


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
# The network preset (AutoDropConfig.network; not the default): the trend test replaces the
# calibrated threshold and the 90-degree guard (and so the wait's confirmation, which reads the
# same level), with a quarter of the stage's wait; the choice of python -m
# simulations.tune_network's stated criterion on the networks' TUNE set (MNIST-1D's MLP and
# digits), judged on their TEST set (MNIST-1D's CNN and a second MNIST-1D draw):
# docs/studies/network.md.
NETWORK_DEFAULTS = types.MappingProxyType(dict(
    trend_test=True, trend_z=1.0, trend_window=0.25, delay_fraction=0.25, guard_deg=0.0,
    confirm_wait=False))
# the most epochs in each of the trend test's two windows (its buffer holds twice as many)
TREND_MAX_WINDOW = 16


def _knob(default, role: str, hyper: Optional[str] = None):
    """A field of :class:`AutoDropConfig` with its role, the one record of what the rule does
    with it: ``"feature"`` (a bool that decides which parts of the rule and of its state
    exist: static, one compiled program per combination), ``"float"`` / ``"int"`` (a number the
    compiled rule reads as an array, named ``hyper`` in :class:`AutoDropHyper` where that name
    differs), or ``"resolve"`` (read once, by :func:`hyperparameters`, to resolve another)."""
    return dataclasses.field(default=default, metadata={"role": role, "hyper": hyper})


@dataclasses.dataclass(frozen=True)
class AutoDropConfig:
    """Every knob of the rule; validated when built (and on ``dataclasses.replace``).

    The flat keyword form is the user's (``AutoDropConfig(lr=..., drop_factor=...)``, the
    presets :meth:`package`, :meth:`previous`, :meth:`published`); it splits into the static
    :class:`Features` and the array :class:`AutoDropHyper` (:func:`split`): each field's role is
    declared once, here, and every list of fields is derived from these declarations.

    Attributes:
        lr: initial learning rate eta_0 > 0.
        drop_factor: rho in (0, 1); the rate is multiplied by it at each drop.
        threshold_deg: theta_0 > 0, the saturation threshold on |omega_e - omega_{e-1}| (degrees);
            None: calibrated from theory at ``init`` (see :func:`calibrated_threshold_deg`):
            theta_0 = threshold_z * sd_ref / sqrt(d), d the number of parameters.
        threshold_z: the calibration's multiple of the reference standard deviation of the
            angle change (> 0); used only when threshold_deg is None.
        max_threshold_deg: theta_max >= theta_0; theta grows by 1/rho per drop up to it; None:
            5 theta_0.  Where theta_0 is calibrated above it (d < 342 with the default 1
            degree), theta stays at theta_0 (the cap never undoes the calibration).
        min_lr: the floor, 0 <= min_lr <= lr.
        extra_epochs: epochs to wait after the trigger before dropping (>= 0).
        tail_average: (feature) replace the parameters by the linearly weighted average of the
            snapshots taken while waiting (needs a wait: extra_epochs >= 1 or delay_fraction > 0).
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
        saturation_average: (feature) the rule's estimate (:func:`eval_params`; what the
            simulator evaluates) is the uniform average of every sample from the start of the
            first drop's wait on (the iterates after the angle first saturated: Polyak-Ruppert
            averaging without the transient); see :func:`eval_params` for before the first
            drop.  The trajectory is unchanged.
        observe_sgd_point: (feature) for a driver that runs momentum (the simulator,
            :mod:`autodrop_theory.optax`): measure the angle on the point z of
            :func:`autodrop_theory.momentum.sgd_point` (``epoch_end``'s ``sgd_point``) rather
            than on the parameters, and apply the guard to one epoch's angle only where
            :func:`epoch_guard_applies` (docs/theory.md §6).
        step_average: (feature) the estimate's averages sum the iterate of every SGD step
            given to :func:`observe` instead of the epoch snapshots: an epoch of K steps adds
            K samples, not one (the simulator passes every step, or the exact epoch sampler's
            sum of the K iterates).  A loop that never calls ``observe`` gets ``params`` as
            the estimate.
        confirm_wait: (feature) at the end of a wait, drop only if the wait confirms the
            saturation at its own time scale: the angle between the displacement over its
            first half and the displacement over the rest is at least guard_deg (a drift too
            slow to show in one epoch's angle keeps the two halves aligned); otherwise clear the
            trigger and go on in the same stage (no drop, no averaging start).  Waits under two
            epochs are not checked.
        early_average: (feature) before the first drop the estimate (:func:`eval_params`) is
            the polynomial-decay average of every sample since the start, epoch e (from 1)
            weighted e^early_power (Shamir & Zhang 2013): a horizon-free suffix average for a
            run that ends before the angle saturates.
        trend_test: (feature) the trigger's saturation test is the angle's smoothed change
            against its own measured noise (the module docstring) instead of
            |omega_e - omega_{e-1}| < theta: docs/theory.md §4e's calibration (a threshold of z
            standard deviations of the change) with the standard deviation measured on the run
            rather than predicted from d identical coordinates (on MNIST-1D's networks the
            angle's noise is 7 to 12 times the prediction, docs/studies/network.md), and no
            level: the guard is ``guard_deg`` (0 in the ``network`` preset).
        trend_z: z > 0 of the trend test (a larger z fires sooner).
        trend_window: the trend test's window as a fraction of the stage's epochs, in (0, 0.5]
            (clipped to [3, TREND_MAX_WINDOW] epochs).

    The compiled rule reads the numbers as arrays (:class:`AutoDropHyper`), so changing a value
    never recompiles; the features are static (:class:`Features`): a state field exists only
    when its feature is on.
    """

    lr: float = _knob(0.1, "float")
    drop_factor: float = _knob(0.2, "float")
    threshold_deg: Optional[float] = _knob(0.01, "float", "theta")
    max_threshold_deg: Optional[float] = _knob(1.0, "float", "theta_max")
    min_lr: float = _knob(1e-4, "float")
    extra_epochs: int = _knob(20, "int")
    tail_average: bool = _knob(True, "feature")
    guard_deg: float = _knob(0.0, "float")
    eps: float = _knob(1e-8, "float")
    threshold_z: float = _knob(0.25, "resolve")
    delay_fraction: float = _knob(0.0, "float")
    stage_growth: float = _knob(0.0, "float")
    saturation_average: bool = _knob(False, "feature")
    observe_sgd_point: bool = _knob(False, "feature")
    step_average: bool = _knob(False, "feature")
    confirm_wait: bool = _knob(False, "feature")
    early_average: bool = _knob(False, "feature")
    early_power: float = _knob(2.0, "float")
    trend_test: bool = _knob(False, "feature")
    trend_z: float = _knob(1.0, "float")
    trend_window: float = _knob(0.25, "float")

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
        v.in_range("guard_deg", self.guard_deg, 0.0, 180.0)
        v.in_range("eps", self.eps, 0.0, None)
        v.in_range("delay_fraction", self.delay_fraction, 0.0, 1e6)
        v.in_range("stage_growth", self.stage_growth, 0.0, 1e6)
        v.in_range("early_power", self.early_power, 0.0, 100.0)
        v.in_range("trend_z", self.trend_z, 0.0, 100.0, lo_open=True)
        v.in_range("trend_window", self.trend_window, 0.0, 0.5, lo_open=True)
        for name in FEATURES:
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
    def network(cls, lr: float = 0.1, **overrides) -> "AutoDropConfig":
        """The ``network`` preset (:data:`NETWORK_DEFAULTS`; not the default): the package's
        rule with the level-free trend test in place of the calibrated threshold and the
        90-degree guard, chosen on the networks' TUNE set by ``python -m
        simulations.tune_network``'s stated criterion (docs/studies/network.md)."""
        return cls(lr=lr, **{**PACKAGE_DEFAULTS, **NETWORK_DEFAULTS, **overrides})

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


def _fields(*roles):
    return tuple(f for f in dataclasses.fields(AutoDropConfig) if f.metadata["role"] in roles)


# The derived lists of fields (the roles are declared once, on AutoDropConfig's fields).
FEATURES = tuple(f.name for f in _fields("feature"))
_NUMBERS = tuple((f.name, f.metadata["hyper"] or f.name, f.metadata["role"])
                 for f in _fields("float", "int"))


@jax.tree_util.register_static
@dataclasses.dataclass(frozen=True)
class Features:
    """Which parts of the rule exist (static: hashed into the compiled program; a pytree with
    no leaves).  One bool per feature field of :class:`AutoDropConfig` (:data:`FEATURES`):
    tail_average, saturation_average, observe_sgd_point, step_average, confirm_wait,
    early_average, trend_test.  The state's parameter-sized fields follow from them
    (:meth:`vectors`); ``trend_test`` adds the buffer of recent angles (``angles``)."""

    tail_average: bool = True
    saturation_average: bool = False
    observe_sgd_point: bool = False
    step_average: bool = False
    confirm_wait: bool = False
    early_average: bool = False
    trend_test: bool = False

    @property
    def step_samples(self) -> bool:
        """Whether :func:`observe` does anything: the estimate averages every step."""
        return self.step_average and (self.saturation_average or self.early_average)

    @property
    def early(self) -> bool:
        """The polynomial-decay early average exists (it is read only by the estimate)."""
        return self.early_average and self.saturation_average

    def vectors(self) -> tuple:
        """The names of the state's parameter-sized fields under these features."""
        return (("x_prev", "x_prev2") + (("accum",) if self.tail_average else ())
                + (("avg_sum",) if self.saturation_average else ())
                + (("early_mean",) if self.early else ())
                + (("x_trig", "x_mid") if self.confirm_wait else ()))


assert tuple(f.name for f in dataclasses.fields(Features)) == FEATURES   # one list of features

AutoDropHyper = NamedTuple("AutoDropHyper", [(name, Any) for _, name, _ in _NUMBERS])
AutoDropHyper.__doc__ = (
    """The rule's numbers (the non-feature fields of :class:`AutoDropConfig`, resolved by
    :func:`hyperparameters`; theta and theta_max are threshold_deg and max_threshold_deg after
    the calibration): the compiled rule reads them as data, so one compiled program serves
    every value (a sweep over thresholds, drop factors or rates compiles once).  Fields:
    """ + ", ".join(name for _, name, _ in _NUMBERS) + "; extra_epochs int32, the rest floats.")


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


def features(config: AutoDropConfig) -> Features:
    """The static part of ``config``."""
    if not isinstance(config, AutoDropConfig):
        raise AssumptionError(f"config: need an AutoDropConfig, got {type(config).__name__}")
    return Features(**{name: getattr(config, name) for name in FEATURES})


def hyperparameters(config: AutoDropConfig, dim: int) -> AutoDropHyper:
    """Resolve the numbers of ``config`` for ``dim`` parameters (the calibrated threshold and
    its cap) into host numbers (float, int)."""
    if not isinstance(config, AutoDropConfig):
        raise AssumptionError(f"config: need an AutoDropConfig, got {type(config).__name__}")
    calibrated = config.threshold_deg is None
    theta = (calibrated_threshold_deg(dim, config.threshold_z) if calibrated
             else config.threshold_deg)
    cap = config.max_threshold_deg if config.max_threshold_deg is not None else 5.0 * theta
    resolved = dict(threshold_deg=theta, max_threshold_deg=max(cap, theta))
    cast = {"float": float, "int": int}
    return AutoDropHyper(*(cast[role](resolved.get(field, getattr(config, field)))
                           for field, _, role in _NUMBERS))


def split(config: AutoDropConfig, dim: int) -> tuple:
    """(:class:`Features`, :class:`AutoDropHyper`) of ``config`` for ``dim`` parameters."""
    return features(config), hyperparameters(config, dim)


class AutoDropState(NamedTuple):
    """The rule's state; every field is an array (or None where its feature is off), so it
    jits and vmaps.

    Attributes:
        lr: the rate to use in the coming epoch.
        theta: the current threshold (degrees).
        theta_max: its cap (degrees; resolved at ``init`` when calibrated).
        angle_deg: omega_e of the last boundary (nan until defined).
        prev_angle_deg: omega_{e-1}.
        num_drops: int32 count of firings that lowered the rate.
        num_fires: int32 count of all firings.
        dropped: bool, whether the last update lowered the rate.
        triggered: bool, the sticky flag.
        wait: int32 epochs waited since the trigger.
        snapshots: int32 number of snapshots seen (x_0 counts).
        stage_epochs: int32 epochs since the last drop (or the start; while triggered, the
            trigger's stage epoch is stage_epochs - wait).
        prev_stage_epochs: int32, the previous stage's (0 in the first).
        cos_sum: the sum of cos(omega) over the wait.
        avg_n: the number of samples in ``avg_sum`` (0 without ``saturation_average``).
        early_w: the early average's total weight (0 without it).
        x_prev, x_prev2: (d,) the observed points of boundaries e-1, e-2 (flat; ``update``'s
            ``observed``, moved with a tail-average jump).
        accum: (d,) sum_k k x_(k) over the wait (``tail_average``; else None).
        avg_sum: (d,) with ``saturation_average`` (else None): before the first drop, the sum
            of the current wait's samples (its snapshots, or with ``step_average`` its steps);
            from the first drop on, of every sample since that drop's wait began (the wait's
            sum is never needed after the first drop, so the two share one vector).
        early_mean: (d,) the polynomial-decay average of every sample (``early_average`` with
            ``saturation_average``; else None).
        x_trig, x_mid: (d,) the observed points at the trigger and at the middle of its wait
            (``confirm_wait``; else None).
        angles: (2 TREND_MAX_WINDOW,) the last angles, newest last, nan where none
            (``trend_test``; else None).
        hyper: the :class:`AutoDropHyper` as arrays of the parameters' dtype (extra_epochs
            int32; lr and theta there are the initial values).
        features: the static :class:`Features`.
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
    stage_epochs: Any
    prev_stage_epochs: Any
    cos_sum: Any
    avg_n: Any
    early_w: Any
    x_prev: Any
    x_prev2: Any
    accum: Any
    avg_sum: Any
    early_mean: Any
    x_trig: Any
    x_mid: Any
    angles: Any
    hyper: AutoDropHyper
    features: Features


def angle_deg(u, w, eps=0.0):
    """Angle in degrees between flat vectors u and w: arccos(clip(<u,w>/(|u||w| + eps), -1, 1)).

    With eps = 0 and a zero vector the angle is undefined and the result is nan.
    """
    cos = jnp.vdot(u, w) / (jnp.linalg.norm(u) * jnp.linalg.norm(w) + eps)
    return jnp.degrees(jnp.arccos(jnp.clip(cos, -1.0, 1.0)))


def init(params, config: AutoDropConfig) -> AutoDropState:
    """Start the rule at the initial parameters x_0 (any pytree of float arrays)."""
    ft = features(config)
    flat = _flat_params(params)
    return init_from_hyper(flat, hyperparameters(config, flat.size), ft)


def check_params(params, name: str = "params"):
    """The dtype the flattened ``params`` will have, checked without any JAX computation (the
    leaves' shapes and dtypes only): at least one leaf, every leaf floating-point (one integer
    leaf among float ones would be promoted by the flattening and then never move: refused,
    naming the leaf's path).  ``name``: the argument named by a refusal (``updates`` for a
    pytree of gradients or updates)."""
    leaves = jax.tree_util.tree_leaves_with_path(params)
    why = ("an integer parameter would never move" if name == "params" else
           "a rate cast to an integer would be 0")
    if not leaves:
        raise AssumptionError(f"{name}: need a pytree with at least one array leaf, got "
                              f"{params!r}")
    dtypes = []
    for path, leaf in leaves:
        try:
            dt = np.dtype(leaf.dtype) if hasattr(leaf, "dtype") else np.result_type(leaf)
        except TypeError:
            dt = None
        where = jax.tree_util.keystr(path) or "the leaf"
        if dt is None:
            raise AssumptionError(f"{name}: need array leaves, got {type(leaf).__name__} at "
                                  f"{where}")
        if not jnp.issubdtype(dt, jnp.floating):
            raise AssumptionError(f"{name}: need floating-point leaves, got dtype {dt} at "
                                  f"{where} ({why})")
        dtypes.append(jax.dtypes.canonicalize_dtype(dt))
    return jnp.result_type(*dtypes)           # as ravel_pytree's


def _flat_params(params):
    check_params(params)
    flat, _ = ravel_pytree(params)
    return flat


def init_from_hyper(params, hyper: AutoDropHyper, features: Features) -> AutoDropState:
    """:func:`init` from resolved numbers (host numbers or traced arrays, e.g. one point of a
    vmapped sweep) and static ``features``; no validation: build them with :func:`split`."""
    if not isinstance(features, Features):
        raise AssumptionError(f"features: need a rule.Features, got {type(features).__name__}")
    flat, _ = ravel_pytree(params)
    dt = flat.dtype
    h = AutoDropHyper(*(jnp.asarray(getattr(hyper, name), jnp.int32 if role == "int" else dt)
                        for _, name, role in _NUMBERS))
    zero, count = jnp.zeros((), dt), jnp.zeros((), jnp.int32)
    vec = dict(x_prev=flat, x_prev2=flat, accum=jnp.zeros_like(flat),
               avg_sum=jnp.zeros_like(flat), early_mean=flat, x_trig=flat, x_mid=flat)
    on = features.vectors()
    return AutoDropState(
        lr=h.lr, theta=h.theta, theta_max=h.theta_max,
        angle_deg=jnp.asarray(jnp.nan, dt), prev_angle_deg=jnp.asarray(jnp.nan, dt),
        num_drops=count, num_fires=count, dropped=jnp.zeros((), bool),
        triggered=jnp.zeros((), bool), wait=count, snapshots=jnp.ones((), jnp.int32),
        stage_epochs=count, prev_stage_epochs=count, cos_sum=zero, avg_n=zero, early_w=zero,
        **{k: (a if k in on else None) for k, a in vec.items()},
        angles=(jnp.full((2 * TREND_MAX_WINDOW,), jnp.nan, dt) if features.trend_test
                else None), hyper=h, features=features)


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


def epoch_end(state: AutoDropState, params, sgd_point=None, epoch_guard=True):
    """The epoch boundary as every driver calls it (the simulator's method family and
    :mod:`autodrop_theory.optax`): :func:`update` at ``params``, measuring the angle on
    ``sgd_point`` (the point of :func:`autodrop_theory.momentum.sgd_point` under momentum; None
    without momentum) with the guard ``epoch_guard`` (:func:`epoch_guard_applies`) where the
    feature ``observe_sgd_point`` is on, on ``params`` with the guard everywhere else."""
    if sgd_point is None or not state.features.observe_sgd_point:
        return update(state, params)
    return update(state, params, sgd_point, epoch_guard)


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
    guard.  Drivers call it through :func:`epoch_end`.
    """
    hp, ft = state.hyper, state.features
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
    extra = {}
    if ft.trend_test:
        angles = jnp.concatenate([state.angles[1:], angle[None]])
        steady = _trend_steady(angles, stage_epochs, hp)
        extra["angles"] = angles
    else:
        steady = jnp.abs(angle - state.prev_angle_deg) < state.theta
    fires = ((snapshots >= 4) & steady
             & ((angle >= hp.guard_deg) | ~jnp.asarray(epoch_guard, bool)))
    waiting = state.triggered                             # triggered at an earlier boundary
    wait = jnp.where(waiting, state.wait + 1, state.wait)
    cos_sum = jnp.where(waiting, state.cos_sum + jnp.cos(jnp.radians(angle)), state.cos_sum)
    # the wait a trigger needs: extra_epochs + ceil(f n), n the stage's epochs at the trigger
    # (wait counts the epochs since, and is 0 until a trigger)
    n = (stage_epochs - wait).astype(dt)
    target = hp.extra_epochs + jnp.ceil(hp.delay_fraction * n).astype(jnp.int32)
    triggered = state.triggered | fires
    long_enough = stage_epochs.astype(dt) >= hp.stage_growth * state.prev_stage_epochs.astype(dt)
    due = triggered & (wait >= target) & long_enough
    vectors = {}
    if ft.confirm_wait:       # the wait's own angle: its first half's displacement against the rest's
        x_trig = jnp.where(fires & ~state.triggered, obs, state.x_trig)
        # its middle: half of the wait the drop will actually take, stage growth included (the
        # stage must reach g times the previous one, so the wait is at least ceil(g prev - n))
        grown = jnp.ceil(hp.stage_growth * state.prev_stage_epochs.astype(dt) - n).astype(
            jnp.int32)
        x_mid = jnp.where(waiting & (wait == jnp.maximum((jnp.maximum(target, grown) + 1) // 2,
                                                         1)), obs, state.x_mid)
        confirmed = (angle_deg(obs - x_mid, x_mid - x_trig, hp.eps) >= hp.guard_deg) | (wait < 2)
        drop = due & confirmed
        vectors.update(x_trig=x_trig, x_mid=x_mid)
    else:
        drop = due
    clear = due                                           # a drop, or a wait not confirmed
    x_new = x
    if ft.tail_average:
        accum = jnp.where(waiting, state.accum + wait.astype(dt) * x, state.accum)
        # sum_{k'=1}^{wait} k', in the parameters' dtype: in int32, wait (wait + 1) overflows
        # once a wait passes 46,340 epochs (stages that long come after some 20 drops)
        w = wait.astype(dt)
        weights = jnp.maximum(w * (w + 1) / 2, 1)
        x_new = jnp.where(drop, accum / weights, x)
        vectors["accum"] = jnp.where(clear, jnp.zeros_like(accum), accum)
    rho = hp.drop_factor
    min_lr = hp.min_lr
    # A rate within 4 ulps of the floor is at the floor (rho * rho * lr need not round to min_lr).
    at_floor = state.lr <= min_lr * jnp.asarray(1 + 4 * jnp.finfo(dt).eps, dt)
    lowered = drop & ~at_floor
    lr = jnp.where(lowered, jnp.maximum(min_lr, rho * state.lr), state.lr)
    saturated = state.num_fires > 0           # the samples since the first drop's wait began
    avg_sum, avg_n = state.avg_sum, state.avg_n
    if ft.saturation_average:
        snap = not ft.step_average            # the averages sample the snapshots
        if snap:  # before the first drop the wait's snapshots, from it on every snapshot
            add = waiting | saturated
            avg_sum = jnp.where(add, avg_sum + x, avg_sum)
            avg_n = jnp.where(add, avg_n + 1, avg_n)
            alone = drop & ~saturated & (avg_n == 0)       # a first drop without a wait
            avg_sum = jnp.where(alone, x, avg_sum)
            avg_n = jnp.where(alone, 1, avg_n)
        # a wait cleared before the first drop starts over; the first drop keeps it
        restart = clear & ~drop & ~saturated
        vectors["avg_sum"] = jnp.where(restart, jnp.zeros_like(avg_sum), avg_sum)
        avg_n = jnp.where(restart, jnp.zeros_like(avg_n), avg_n)
    early = _early(state, x, 1, snapshots - 1, not ft.step_average)
    vectors.update(early)
    new = state._replace(
        lr=lr,
        theta=jnp.where(drop, jnp.minimum(state.theta_max, state.theta / rho), state.theta),
        angle_deg=angle, prev_angle_deg=angle,
        num_drops=state.num_drops + lowered.astype(jnp.int32),
        num_fires=state.num_fires + drop.astype(jnp.int32), dropped=lowered,
        triggered=triggered & ~clear,
        wait=jnp.where(clear, jnp.zeros_like(wait), wait),
        cos_sum=jnp.where(clear, jnp.zeros_like(cos_sum), cos_sum),
        stage_epochs=jnp.where(drop, jnp.zeros_like(stage_epochs), stage_epochs),
        prev_stage_epochs=jnp.where(drop, stage_epochs, state.prev_stage_epochs),
        avg_n=avg_n, **vectors, **extra,
        snapshots=snapshots, x_prev=obs + (x_new - x), x_prev2=state.x_prev)
    return unravel(x_new), new


def _trend_steady(angles, stage_epochs, hp):
    """The trend test on the angle buffer (newest last) at a boundary ending the stage's
    ``stage_epochs``-th epoch: windows of w = clip(ceil(trend_window n), 3, TREND_MAX_WINDOW)
    angles, both inside the stage (the stage's first angle spans the drop and is left out:
    2 w <= n - 1, and the buffer holds them); steady when the two windows' means differ by less
    than trend_z times the standard error sqrt(2 / w) s of that difference, s pooled from the
    windows' own scatter (sample variances, w - 1 degrees of freedom each)."""
    M = angles.shape[0]
    dt = angles.dtype
    n = stage_epochs.astype(dt)
    w = jnp.clip(jnp.ceil(hp.trend_window * n), 3, M // 2).astype(jnp.int32)
    idx = jnp.arange(M, dtype=jnp.int32)
    new = idx >= M - w
    old = (idx >= M - 2 * w) & ~new
    wf = w.astype(dt)

    def mean(mask):
        return jnp.sum(jnp.where(mask, angles, 0.0)) / wf

    m_new, m_old = mean(new), mean(old)
    ss = jnp.sum(jnp.where(new, (angles - m_new) ** 2, 0.0)
                 + jnp.where(old, (angles - m_old) ** 2, 0.0))
    sd = jnp.sqrt(ss / (2 * wf - 2))
    room = 2 * w <= stage_epochs - 1
    # a nan in the windows (angles not yet defined) makes the comparison false
    return room & (jnp.abs(m_new - m_old) < hp.trend_z * sd * jnp.sqrt(2 / wf))


def _early(state, x_sum, count, epoch, on: bool) -> dict:
    """The polynomial-decay average's fields after adding ``count`` samples summing to
    ``x_sum`` from epoch ``epoch`` (from 1), weight epoch^p each, where ``on`` (static) and
    the feature exists; else no fields."""
    if not (on and state.features.early):
        return {}
    hp = state.hyper
    dt = x_sum.dtype
    w = jnp.asarray(count, dt) * epoch.astype(dt) ** hp.early_power
    total = state.early_w + w
    mean = state.early_mean + (w / total) * (x_sum / jnp.asarray(count, dt) - state.early_mean)
    return dict(early_mean=mean, early_w=total)


def observe(state: AutoDropState, params, count=1) -> AutoDropState:
    """Give the rule one SGD step's iterate ``params`` (or the sum of ``count`` iterates, e.g.
    an epoch's): with ``step_average`` it joins the wait's average while the trigger is set
    and the average since saturation once a drop has happened; otherwise the state is
    returned unchanged (nothing is computed).  Call it after every step, between the epoch
    boundaries' ``update``s (a step's iterate belongs to the epoch it ends in).  Per step this
    is one accumulation into a parameter-sized vector (two with ``early_average``)."""
    check_like(state, params)
    ft = state.features
    if not ft.step_samples:
        return state
    x, _ = ravel_pytree(params)
    new = {}
    if ft.saturation_average:
        add = state.triggered | (state.num_fires > 0)
        new["avg_sum"] = jnp.where(add, state.avg_sum + x, state.avg_sum)
        new["avg_n"] = jnp.where(add, state.avg_n + jnp.asarray(count, x.dtype), state.avg_n)
    new.update(_early(state, x, count, state.snapshots, True))
    return state._replace(**new)


def eval_params(state: AutoDropState, params):
    """The rule's estimate, the point to evaluate, at ``params`` (the current parameters): with
    ``saturation_average``, the uniform average of the samples (snapshots, or with
    ``step_average`` steps) since the first drop's wait began; before the first drop, the
    average of the current wait's samples while the wait's angles agree that the iterates are
    saturated (the mean of cos(omega) over its epochs at most cos(guard_deg)), else, with
    ``early_average``, the polynomial-decay average of every sample since the start, else
    ``params`` itself.  Without ``saturation_average``, ``params``.  (The simulator's
    ``Family.report`` and :func:`autodrop_theory.optax.autodrop_eval_params` call it.)"""
    if not state.features.saturation_average:
        return params
    x, unravel = ravel_pytree(params)
    hp = state.hyper
    mean = state.avg_sum / jnp.maximum(state.avg_n, 1)
    wait = state.wait.astype(x.dtype)
    provisional = (state.triggered & (state.wait > 0)
                   & (state.cos_sum <= jnp.cos(jnp.radians(hp.guard_deg)) * wait))
    early = (jnp.where(state.early_w > 0, state.early_mean, x) if state.features.early else x)
    use = ((state.num_fires > 0) | provisional) & (state.avg_n > 0)
    return unravel(jnp.where(use, mean, early))
