"""The published paper's three rate rules as pure JAX: Algorithm 1, Algorithm 2 and the
Figure 2 rule (docs/paper.md §9).  The simulator's methods
(:mod:`simulations.methods.paper_rules`) and the optax transformations
(:mod:`autodrop_theory.optax_paper`) both run these functions.

Problem: choose the rate of SGD (any momentum; the rules read only the iterates x_t, so the UM
parameter s of :mod:`autodrop_theory.momentum` never enters) from the angle between successive
displacements (Wang, Teng, Choromanska, UAI 2024, Definitions 1.1 and 3.3).

Algorithm (each rule: a ``*_hyper`` host constructor that validates, an ``init`` and an
``observe(hyper, state, x_new)`` that sees the iterate after every step; the state carries
``lr`` (the rate of the next step) and ``num_drops`` (how many times the rate went down)):

- Algorithm 1 (:func:`uai_hyper`, :func:`uai_init`, :func:`uai_observe`): every ``window`` = k
  steps the mean of the window's iterates y_i; omega_i = angle(y_i - y_{i-1}, y_{i-1} - y_{i-2})
  appended to a buffer B; once B holds :data:`BUFFER_LEN` = 10 angles: sigma = min(std(B),
  m/2), C_i = the Gaussian smoothing of B at its newest entry over the m/2 entries before it,
  the oldest entry leaves B, and the test C_i - C_{i-1} < 0.1 (C_{i-1}: the previous smoothed
  value since the last test fired) drops the rate and empties B.  Two variants, chosen by
  data (``printed``):
    printed (``autodrop_uai_printed``): the pseudo-code as printed: the kernel
      exp(+(x* - x_t)^2 / (2 sigma^2)), the weighted value x_t (so C_i = x_t sum K / Z: the raw
      newest angle, or nan where the growing kernel overflows), the signed test, and the update
      alpha <- max{alpha, rho alpha}, which never lowers the rate (``tests_fired`` counts the
      tests that pass; ``num_drops`` stays 0);
    intent (``autodrop_uai``): the kernel exp(-(x* - x_t)^2 / (2 sigma^2)) (a kernel that
      decays with the distance), the weighted values x_{t+i}, the test on |C_i - C_{i-1}| (the
      smoothed angle has stopped changing; the signed test also fires on a falling angle,
      e.g. right after a drop) and alpha <- max{alpha_min, rho alpha}.  sigma = min(std(B),
      m/2) is kept as printed, with m/2 read in degrees (the kernel compares angles; m is a
      count elsewhere, so the cap mixes the two scales: docs/paper.md §9).
- Algorithm 2 (:func:`model_schedule`, :func:`model_rate`): stage i runs at alpha_hat_i =
  alpha_0 (i + 1)^(-p) (Theorem 5.2: p = 2/3) for the k_i steps after which the model (12)'s
  derivative falls below tau_i (:func:`autodrop_theory.paper.algorithm2_stage_lengths`); the
  schedule is fixed by (alpha_0, gamma, eps, tau_0) before the run.
- Figure 2 (:func:`halving_hyper`, :func:`halving_init`, :func:`halving_observe`): the per-step
  angle omega_t = angle(x_{t+1} - x_t, x_t - x_{t-1}); its mean over the last ``span`` = 20
  angles changes between consecutive steps by (omega_t - omega_{t-span}) / span; when that is
  below 0.01 degree in absolute value, alpha <- max{alpha_min, alpha / 2} and the 20-angle window
  refills before the next test (our choice: the paper's sentence says nothing of a reset, and
  without one the test is re-run at once on angles of the previous rate).

Guarantee: none is claimed by the paper for Algorithm 1 or the Figure 2 rule; Algorithm 2's
schedule is the object of Theorem 5.2 (corrected: :func:`autodrop_theory.paper.thm52_bound`).
``python -m simulations.paper`` measures what each does on the paper's NQM and checks the
schedules against condition (10).

References: Wang, Teng, Choromanska, AutoDrop, UAI 2024 (PMLR 244:3603-3629), Definitions 1.1 and
3.3, Algorithms 1 and 2, Section 4, Figure 2, eq. (12), Theorem 5.2; docs/paper.md §9.

Example:
    >>> import jax.numpy as jnp
    >>> hp = halving_hyper(0.06, min_lr=0.001)
    >>> s = halving_init(hp, jnp.zeros(3))
    >>> round(float(halving_observe(hp, s, jnp.ones(3)).lr), 6)
    0.06
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp
import numpy as np

from . import _validate as v
from .errors import AssumptionError
from .paper import algorithm2_stage_lengths
from .rule import angle_deg

__all__ = ["BUFFER_LEN", "MAX_SPAN", "PAPER_WINDOW", "PAPER_STEPS_PER_EPOCH", "paper_window",
           "UaiHyper", "UaiState", "uai_hyper", "uai_init", "uai_observe",
           "HalvingHyper", "HalvingState", "halving_hyper", "halving_init", "halving_observe",
           "ModelHyper", "model_schedule", "model_rate", "model_stage"]

MAX_SPAN = 256                  # the Figure 2 rule's ring of angles (static size; span <= it)
BUFFER_LEN = 10                 # Algorithm 1: smoothing starts once len(B) >= 10
PAPER_WINDOW = 64               # Algorithm 1's k on CIFAR ...
PAPER_STEPS_PER_EPOCH = 391     # ... whose epoch is ceil(50000 / 128) steps


def paper_window(steps_per_epoch: int) -> int:
    """k scaled to an epoch of ``steps_per_epoch`` steps as the paper's k = 64 is to CIFAR's
    391-step epoch (ImageNet's k = 640 over 5005 steps, ratio 0.128, is within 22% of 0.164):
    round(64 K / 391), at least 1."""
    K = v.integer("steps_per_epoch", steps_per_epoch, lo=1)
    return max(1, round(PAPER_WINDOW * K / PAPER_STEPS_PER_EPOCH))


# ================================================================== Algorithm 1
class UaiHyper(NamedTuple):
    lr: Any            # alpha_0
    window: Any        # int32 k
    rho: Any
    min_lr: Any        # alpha_min (unused by the printed update)
    threshold: Any     # degrees (0.1)
    half_width: Any    # int32 m // 2: smoothing neighbours before the newest entry
    sigma_cap: Any     # m / 2 (read as degrees)
    printed: Any       # bool: the printed pseudo-code instead of the evident intent


class UaiState(NamedTuple):
    lr: Any
    num_drops: Any     # int32: rate decreases
    tests_fired: Any   # int32: passed drop tests (the printed update ignores them)
    steps: Any         # int32 steps in the current window
    win_sum: Any       # (d,) sum of the window's iterates
    means: Any         # (2, d) the two previous window means y_{i-2}, y_{i-1}
    n_means: Any       # int32, saturates at 2
    buf: Any           # (BUFFER_LEN,) angles, first n_buf valid
    n_buf: Any         # int32
    c_prev: Any        # previous smoothed value
    has_prev: Any      # bool: c_prev is since the last test fired


def uai_hyper(lr, window, *, rho=0.95, m=10, threshold_deg=0.1, min_lr=None,
              printed=False) -> UaiHyper:
    """Validated hyperparameters (host numbers); ``min_lr`` defaults to lr / 60, the ratio
    alpha_min / alpha_0 = 0.001 / 0.06 of the paper's Figure 2 setting (Algorithm 1's runs do
    not state alpha_min)."""
    lr = v.in_range("lr", lr, 0.0, None, lo_open=True)
    window = v.integer("window", window, lo=1, hi=v.INT32_MAX)   # int32 steps
    rho = v.in_range("rho", rho, 0.0, 1.0, lo_open=True, hi_open=True)
    m = v.integer("m", m, lo=2)
    threshold = v.in_range("threshold_deg", threshold_deg, 0.0, None, lo_open=True)
    min_lr = lr / 60.0 if min_lr is None else v.in_range("min_lr", min_lr, 0.0, lr)
    if not isinstance(printed, bool):
        raise AssumptionError(f"printed: need True or False, got {printed!r}")
    return UaiHyper(lr, window, rho, min_lr, threshold, m // 2, m / 2.0, printed)


def uai_init(hp: UaiHyper, x0) -> UaiState:
    dt = x0.dtype
    i0 = jnp.zeros((), jnp.int32)
    return UaiState(jnp.asarray(hp.lr, dt), i0, i0, i0, jnp.zeros_like(x0),
                    jnp.zeros((2,) + x0.shape, dt), i0, jnp.zeros(BUFFER_LEN, dt), i0,
                    jnp.zeros((), dt), jnp.zeros((), bool))


def _smoothed(hp: UaiHyper, buf):
    """C = the kernel-weighted value at the newest entry of a full buffer."""
    dt = buf.dtype
    idx = jnp.arange(BUFFER_LEN, dtype=jnp.int32)
    newest = BUFFER_LEN - 1
    near = idx >= newest - hp.half_width
    sigma = jnp.minimum(jnp.std(buf), jnp.asarray(hp.sigma_cap, dt))
    d2 = (buf[newest] - buf) ** 2
    z = jnp.where(d2 == 0, 0.0, d2 / (2.0 * sigma ** 2))
    kernel = jnp.where(near, jnp.exp(jnp.where(hp.printed, z, -z)), 0.0)
    values = jnp.where(hp.printed, buf[newest], buf)        # printed: x_t, not x_{t+i}
    return jnp.sum(values * kernel) / jnp.sum(kernel)


def uai_observe(hp: UaiHyper, s: UaiState, x_new) -> UaiState:
    """Algorithm 1 after one step that ended at ``x_new``."""
    dt = s.lr.dtype
    win_sum, steps = s.win_sum + x_new, s.steps + 1
    full = steps >= hp.window
    y = win_sum / jnp.asarray(hp.window, dt)
    omega = angle_deg(y - s.means[1], s.means[1] - s.means[0])
    have = full & (s.n_means >= 2)
    means = jnp.where(full, jnp.stack([s.means[1], y]), s.means)
    buf = jnp.where(have, s.buf.at[s.n_buf].set(omega), s.buf)
    n_buf = s.n_buf + have.astype(jnp.int32)
    ready = have & (n_buf >= BUFFER_LEN)
    c = _smoothed(hp, buf)
    buf = jnp.where(ready, jnp.roll(buf, -1), buf)
    n_buf = jnp.where(ready, n_buf - 1, n_buf)
    change = c - s.c_prev
    change = jnp.where(hp.printed, change, jnp.abs(change))
    test = ready & s.has_prev & (change < hp.threshold)
    lowered = jnp.where(hp.printed, jnp.maximum(s.lr, hp.rho * s.lr),
                        jnp.maximum(jnp.asarray(hp.min_lr, dt), hp.rho * s.lr))
    lr = jnp.where(test, lowered, s.lr)
    return UaiState(lr, s.num_drops + (lr < s.lr).astype(jnp.int32),
                    s.tests_fired + test.astype(jnp.int32),
                    jnp.where(full, 0, steps), jnp.where(full, jnp.zeros_like(win_sum), win_sum),
                    means, jnp.minimum(s.n_means + full.astype(jnp.int32), 2),
                    buf, jnp.where(test, 0, n_buf), jnp.where(ready, c, s.c_prev),
                    jnp.where(test, False, s.has_prev | ready))


# ================================================================== Figure 2
class HalvingHyper(NamedTuple):
    lr: Any
    span: Any          # int32 (20)
    threshold: Any     # degrees (0.01)
    factor: Any        # 0.5
    min_lr: Any


class HalvingState(NamedTuple):
    lr: Any
    num_drops: Any
    x_prev: Any        # (d,) the previous iterate
    d_prev: Any        # (d,) the previous displacement
    steps: Any         # int32 steps seen
    ring: Any          # (MAX_SPAN,) the last span angles in its first span slots
    n_angles: Any      # int32 angles since the start or the last halving
    angle: Any         # the last per-step angle (nan before the second step)


def halving_hyper(lr, *, span=20, threshold_deg=0.01, factor=0.5, min_lr=None) -> HalvingHyper:
    """Validated hyperparameters; ``min_lr`` defaults to lr / 60 (Figure 2: 0.001 / 0.06)."""
    lr = v.in_range("lr", lr, 0.0, None, lo_open=True)
    span = v.integer("span", span, lo=1)
    if span > MAX_SPAN:
        raise AssumptionError(f"span: need an integer <= {MAX_SPAN}, got {span}")
    threshold = v.in_range("threshold_deg", threshold_deg, 0.0, None, lo_open=True)
    factor = v.in_range("factor", factor, 0.0, 1.0, lo_open=True, hi_open=True)
    min_lr = lr / 60.0 if min_lr is None else v.in_range("min_lr", min_lr, 0.0, lr)
    return HalvingHyper(lr, span, threshold, factor, min_lr)


def halving_init(hp: HalvingHyper, x0) -> HalvingState:
    dt = x0.dtype
    i0 = jnp.zeros((), jnp.int32)
    return HalvingState(jnp.asarray(hp.lr, dt), i0, x0, jnp.zeros_like(x0), i0,
                        jnp.zeros(MAX_SPAN, dt), i0, jnp.asarray(jnp.nan, dt))


def halving_observe(hp: HalvingHyper, s: HalvingState, x_new) -> HalvingState:
    """The Figure 2 rule after one step that ended at ``x_new``."""
    dt = s.lr.dtype
    d = x_new - s.x_prev
    have = s.steps >= 1
    omega = angle_deg(d, s.d_prev)
    span = hp.span
    slot = s.n_angles % span
    # the change of the mean of the last span angles between steps t - 1 and t
    change = (omega - s.ring[slot]) / jnp.asarray(span).astype(dt)
    fire = have & (s.n_angles >= span) & (jnp.abs(change) < hp.threshold)
    lr = jnp.where(fire, jnp.maximum(jnp.asarray(hp.min_lr, dt), hp.factor * s.lr), s.lr)
    ring = jnp.where(have, s.ring.at[slot].set(omega), s.ring)
    n_angles = jnp.where(fire, 0, s.n_angles + have.astype(jnp.int32))
    return HalvingState(lr, s.num_drops + (lr < s.lr).astype(jnp.int32), x_new, d,
                        s.steps + 1, ring, n_angles, jnp.where(have, omega, s.angle))


# ================================================================== Algorithm 2
class ModelHyper(NamedTuple):
    starts: Any        # (P,) int32 first step of each stage, padded with a step never reached
    rates: Any         # (P,) the stage rates (padding repeats the last)


def model_schedule(lr, total_steps, *, gamma, epsilon=0.0, tau0=0.5, exponent=2 / 3,
                   pad_to=None) -> tuple:
    """Algorithm 2's schedule for ``total_steps`` steps: (ModelHyper of float64 numpy arrays,
    stage lengths k_0..k_{n-1} (the last one cut at the budget)).  alpha_hat_i = lr (i+1)^-p;
    k_i from :func:`autodrop_theory.paper.algorithm2_stage_lengths` (eq. 12 with gamma, eps,
    tau_0).  ``pad_to`` (default: the number of stages; ``total_steps`` is an upper bound on
    it since every k_i >= 1): the length of the arrays, so that schedules of one budget stack.
    ``total_steps`` is at most 2^31 - 1 (the steps are counted in int32)."""
    lr = v.in_range("lr", lr, 0.0, None, lo_open=True)
    total = v.integer("total_steps", total_steps, lo=1, hi=v.INT32_MAX)
    exponent = v.in_range("exponent", exponent, 0.0, None, lo_open=True)
    pad = None if pad_to is None else v.integer("pad_to", pad_to, lo=1)
    gamma = v.in_range("gamma", gamma, 0.0, None, lo_open=True)
    n, lengths = 16, None
    while True:                           # double the candidate stage count until T is covered
        rates = lr * np.arange(1, n + 1, dtype=np.float64) ** (-exponent)
        lengths = algorithm2_stage_lengths(rates, gamma=gamma, epsilon=epsilon, tau0=tau0)
        lengths = np.maximum(lengths, 1.0)      # k*_i <= 0 (tiny gamma alpha): one step
        if lengths.sum() >= total or n >= total:
            break
        n *= 2
    ends = np.cumsum(lengths)
    stages = int(np.searchsorted(ends, total) + 1)          # stages that start before T
    stages = min(stages, n)
    rates, lengths = rates[:stages], lengths[:stages].copy()
    lengths[-1] = total - (ends[stages - 2] if stages > 1 else 0)
    pad = stages if pad is None else pad
    if stages > pad:
        raise AssumptionError(f"pad_to: need >= the {stages} stages, got {pad}")
    starts = np.full(pad, np.iinfo(np.int32).max, np.int32)
    starts[:stages] = np.r_[0, np.cumsum(lengths)[:-1]]
    padded = np.full(pad, rates[-1])
    padded[:stages] = rates
    return ModelHyper(starts, padded), lengths


def model_stage(hp: ModelHyper, t):
    """The stage index of global step ``t`` (int32)."""
    starts = jnp.asarray(hp.starts, jnp.int32)
    return (jnp.searchsorted(starts, jnp.asarray(t, jnp.int32), side="right") - 1
            ).astype(jnp.int32)


def model_rate(hp: ModelHyper, t):
    """alpha_t of step ``t`` under Algorithm 2's schedule."""
    return jnp.asarray(hp.rates)[model_stage(hp, t)]

