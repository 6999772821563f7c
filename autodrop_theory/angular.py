"""Closed forms for the angular velocity of SGD under the quadratic model Q (THEORY.md section 4).

Problem and assumptions: Q(H, C) of THEORY.md section 1 in the common eigenbasis (h_i >= 0,
c_i >= 0), SGD run for epochs of K steps, epoch n at rate eta_n with 0 < eta_n h_i < 2.

Algorithm (math): per coordinate, with alpha_n = (1 - eta_n h)^K and
q_n = eta_n^2 c sum_{j<K} (1 - eta_n h)^{2j} (see :func:`autodrop_theory.quadratic.epoch_factors`),
    P_0 = y_0^2,  P_{n+1} = alpha_n^2 P_n + q_n                       (P_n = E[X_n^2]),
    E||s_n||^2      = sum_i (1 - alpha_n)^2 P_n + q_n,
    E<s_n, s_{n-1}> = sum_i (alpha_n - 1) [alpha_{n-1} (alpha_{n-1} - 1) P_{n-1} + q_{n-1}],
where X_n = y_{nK} and s_n = X_{n+1} - X_n.  The deterministic-equivalent angle is
    omega_bar_n = (180/pi) arccos(E<s_n, s_{n-1}> / sqrt(E||s_n||^2 E||s_{n-1}||^2)),  n >= 1.

Guarantee: exact (tight) for the expectations; the angle is the large-d limit of the empirical
angle (THEORY.md section 4).  Derivation: X_{n+1} = alpha_n X_n + xi_n with xi_n independent of
X_n, E xi_n = 0, E xi_n^2 = q_n; so s_n = (alpha_n - 1) X_n + xi_n.

References: [1] THEORY.md section 4 (this project); [2] Teng, Wang, Choromanska, AutoDrop,
arXiv 2111.15317 (the observed rise and saturation).

All functions: float64 numpy in and out; :class:`AssumptionError` on bad input.
"""

from __future__ import annotations

import numpy as np

from . import _validate as v
from .errors import AssumptionError
from .quadratic import check_stable_lr, epoch_factors

__all__ = ["expected_sq_dist", "expected_angles", "stationary_angle"]


def _instance(hessian_eigs, noise_var, y0=None):
    h = v.vector("hessian_eigs", hessian_eigs, nonnegative=True)
    c = v.vector("noise_var", noise_var, nonnegative=True, length=h.size,
                 length_of="hessian_eigs")
    if y0 is None:
        return h, c
    return h, c, v.vector("y0", y0, length=h.size, length_of="hessian_eigs")


def _schedule(h, lrs, steps_per_epoch):
    K = v.integer("steps_per_epoch", steps_per_epoch, lo=1)
    lrs = v.vector("lrs", lrs)
    for n, lr in enumerate(lrs):
        check_stable_lr(h, lr, name=f"lrs[{n}]")
    return lrs, K


def _moments(hessian_eigs, noise_var, y0, lrs, steps_per_epoch):
    """Per-coordinate alpha_n, q_n (shape (E, d)) and P_n (shape (E+1, d))."""
    h, c, y0 = _instance(hessian_eigs, noise_var, y0)
    lrs, K = _schedule(h, lrs, steps_per_epoch)
    factors = [epoch_factors(h, c, lr, K) for lr in lrs]
    alpha = np.array([f[0] for f in factors])
    q = np.array([f[1] for f in factors])
    P = np.empty((lrs.size + 1, h.size))
    P[0] = y0 ** 2
    for n in range(lrs.size):  # E host-side float64 steps; E is the number of epochs (small)
        P[n + 1] = alpha[n] ** 2 * P[n] + q[n]
    return alpha, q, P


def expected_sq_dist(hessian_eigs, noise_var, y0, lrs, steps_per_epoch) -> np.ndarray:
    """E||X_n||^2 = E||y_{nK}||^2 for n = 0..E, exactly (THEORY.md 2c applied per epoch).

    Args:
        hessian_eigs: h_i >= 0.  noise_var: c_i >= 0.  y0: the initial y = x_0 - x*.
        lrs: eta_n > 0 for each epoch n = 0..E-1, each with eta_n h_i < 2.
        steps_per_epoch: K >= 1.
    Returns:
        shape (E+1,) float64.

    Example:
        >>> expected_sq_dist([1.0], [0.0], [2.0], [0.5], 1)   # (1 - 0.5)^2 * 4
        array([4., 1.])
    """
    _, _, P = _moments(hessian_eigs, noise_var, y0, lrs, steps_per_epoch)
    return P.sum(axis=1)


def expected_angles(hessian_eigs, noise_var, y0, lrs, steps_per_epoch) -> np.ndarray:
    """Deterministic-equivalent angle omega_bar_n in degrees for n = 1..E-1 (shape (E-1,)).

    omega_bar_n is the angle between s_n and s_{n-1}, i.e. at epoch boundary n + 1 in the
    indexing of results.json.  Needs E >= 2 epochs and E||s_n||^2 > 0 (otherwise the angle is
    undefined and AssumptionError is raised).

    Example:
        >>> # alpha = 0, q = 1, P = (0, 1, 1): cos = -1 / sqrt(2 * 1)
        >>> float(np.round(expected_angles([1.0], [1.0], [0.0], [1.0, 1.0, 1.0], 1)[0], 6))
        135.0
    """
    alpha, q, P = _moments(hessian_eigs, noise_var, y0, lrs, steps_per_epoch)
    E = alpha.shape[0]
    if E < 2:
        raise AssumptionError(f"lrs: need at least 2 epochs for an angle, got {E}")
    sq = ((1.0 - alpha) ** 2 * P[:-1] + q).sum(axis=1)              # E||s_n||^2, n = 0..E-1
    inner = ((alpha[1:] - 1.0) * (alpha[:-1] * (alpha[:-1] - 1.0) * P[:-2] + q[:-1])).sum(axis=1)
    if (sq <= 0).any():
        n = int(np.flatnonzero(sq <= 0)[0])
        raise AssumptionError(f"y0, noise_var: E||s_{n}||^2 = 0 (no motion), the angle is undefined")
    cos = inner / np.sqrt(sq[1:] * sq[:-1])
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def stationary_angle(hessian_eigs, noise_var, lr, steps_per_epoch) -> float:
    """The limit of omega_bar_n at a constant rate (THEORY.md 4a), in degrees.

    cos omega_bar_inf = sum_i (alpha_i - 1) q_i / (1 + alpha_i) / (2 sum_i q_i / (1 + alpha_i)),
    which equals -sum v_i (1 - alpha_i)^2 / (2 sum v_i (1 - alpha_i)) with v_i the stationary
    variance; directions with h_i = 0 (alpha_i = 1, diffusing) enter the denominator only.
    The result lies in (90, 180]; in (90, 120] when every alpha_i is in [0, 1).

    Example:
        >>> round(stationary_angle([1.0], [1.0], 1.0, 1), 6)   # alpha = 0: cos = -1/2
        120.0
    """
    h, c = _instance(hessian_eigs, noise_var)
    K = v.integer("steps_per_epoch", steps_per_epoch, lo=1)
    lr = check_stable_lr(h, lr)
    alpha, q = epoch_factors(h, c, lr, K)
    w = q / (1.0 + alpha)
    den = 2.0 * w.sum()
    if den <= 0:
        raise AssumptionError("noise_var: need some c_i > 0 (without noise there is no "
                              "stationary motion and the angle is undefined)")
    cos = float(((alpha - 1.0) * w).sum() / den)
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
