"""Closed forms for the angular velocity of SGD under the quadratic model Q (docs/theory.md §4).

Problem and assumptions: Q(H, C) of docs/theory.md §1 in the common eigenbasis (h_i >= 0,
c_i >= 0), SGD run for epochs of K steps, epoch n at rate eta_n with 0 < eta_n h_i < 2.

Algorithm (math): per coordinate, with alpha_n = (1 - eta_n h)^K and
q_n = eta_n^2 c sum_{j<K} (1 - eta_n h)^{2j} (see :func:`autodrop_theory.quadratic.epoch_factors`),
    P_0 = y_0^2,  P_{n+1} = alpha_n^2 P_n + q_n                       (P_n = E[X_n^2]),
    E||s_n||^2      = sum_i (1 - alpha_n)^2 P_n + q_n,
    E<s_n, s_{n-1}> = sum_i (alpha_n - 1) [alpha_{n-1} (alpha_{n-1} - 1) P_{n-1} + q_{n-1}],
where X_n = y_{nK} and s_n = X_{n+1} - X_n.  The deterministic-equivalent angle is
    omega_bar_n = (180/pi) arccos(E<s_n, s_{n-1}> / sqrt(E||s_n||^2 E||s_{n-1}||^2)),  n >= 1.

Guarantee: exact (tight) for the expectations; the angle is the large-d limit of the empirical
angle (docs/theory.md §4).  Derivation: X_{n+1} = alpha_n X_n + xi_n with xi_n independent of
X_n, E xi_n = 0, E xi_n^2 = q_n; so s_n = (alpha_n - 1) X_n + xi_n.

References: [1] docs/theory.md §4 (this project); [2] Teng, Wang, Choromanska, AutoDrop,
arXiv 2111.15317 (the observed rise and saturation).

All functions: float64 numpy in and out; :class:`AssumptionError` on bad input.  Those whose
output is invariant to the noise scale (the angles, their fluctuations, the certificate's
factors, the reset; for the angles of a run, to scaling noise_var and y0^2 together) compute in a
normalised form (:func:`_unit_noise`), so they hold over the whole float64 range.
"""

from __future__ import annotations

import numpy as np

from . import _validate as v
from .errors import AssumptionError
from .quadratic import check_stable_lr, epoch_factors

__all__ = ["expected_sq_dist", "expected_angles", "stationary_angle",
           "stationary_angle_momentum", "stationary_mean_angle"]


_NO_Y0 = object()


def _instance(hessian_eigs, noise_var, y0=_NO_Y0):
    """(h, c) validated, or (h, c, y0) where the caller takes an initial point (then None is
    refused like any other bad y0)."""
    h = v.vector("hessian_eigs", hessian_eigs, nonnegative=True)
    c = v.vector("noise_var", noise_var, nonnegative=True, length=h.size,
                 length_of="hessian_eigs")
    if y0 is _NO_Y0:
        return h, c
    return h, c, v.vector("y0", y0, length=h.size, length_of="hessian_eigs")


def _unit_noise(c, y0=None):
    """``noise_var`` (and ``y0`` with it, as y0^2 scales like c) divided by the power of two
    that brings max(max c_i, max y0_i^2) into [1/4, 1): what these angles, cosines and ratios
    depend on is invariant to that joint scale, and in the normalised form they neither overflow
    (noise variances near 1e308) nor underflow (near 1e-300).  A power of two is exact in
    float64: wherever nothing overflowed or underflowed, every result is bit for bit unchanged."""
    top = np.frexp(c.max())[1]
    if y0 is not None:
        top = max(top, 2 * int(np.frexp(np.abs(y0).max())[1]))
    half = -(-int(top) // 2)                    # an even exponent: y0 scales by its half exactly
    c = np.ldexp(c, -2 * half)
    return c if y0 is None else (c, np.ldexp(y0, -half))


def _schedule(h, lrs, steps_per_epoch):
    K = v.integer("steps_per_epoch", steps_per_epoch, lo=1)
    lrs = v.vector("lrs", lrs)
    _, first = np.unique(lrs, return_index=True)     # schedules repeat: check each value once
    for n in sorted(first):
        check_stable_lr(h, lrs[n], name=f"lrs[{n}]")
    return lrs, K


def _moments(hessian_eigs, noise_var, y0, lrs, steps_per_epoch):
    """Per-coordinate alpha_n, q_n (shape (E, d)) and P_n (shape (E+1, d))."""
    h, c, y0 = _instance(hessian_eigs, noise_var, y0)
    lrs, K = _schedule(h, lrs, steps_per_epoch)
    distinct = {lr: epoch_factors(h, c, lr, K) for lr in np.unique(lrs)}   # schedules repeat
    factors = [distinct[lr] for lr in lrs]
    alpha = np.array([f[0] for f in factors])
    q = np.array([f[1] for f in factors])
    P = np.empty((lrs.size + 1, h.size))
    P[0] = y0 ** 2
    for n in range(lrs.size):  # E host-side float64 steps; E is the number of epochs (small)
        P[n + 1] = alpha[n] ** 2 * P[n] + q[n]
    return alpha, q, P


def _epoch_sums(hessian_eigs, noise_var, y0, lrs, steps_per_epoch):
    """The coordinate sums of :func:`_moments`' recursion, one epoch at a time in O(d) memory
    (no (E, d) arrays: d = 10^7 fits): E||X_n||^2 (n = 0..E), E||s_n||^2 = sum (1 - alpha_n)^2
    P_n + q_n (n = 0..E-1) and E<s_n, s_{n-1}> = sum (alpha_n - 1) (alpha_{n-1} (alpha_{n-1} -
    1) P_{n-1} + q_{n-1}) (n = 1..E-1)."""
    h, c, y0 = _instance(hessian_eigs, noise_var, y0)
    lrs, K = _schedule(h, lrs, steps_per_epoch)
    factors = {}
    for lr in np.unique(lrs):                    # schedules repeat: per distinct rate, once
        alpha, q = epoch_factors(h, c, lr, K)
        factors[lr] = (alpha, q, (1.0 - alpha) ** 2, q.sum(), alpha - 1.0,
                       alpha * (alpha - 1.0), alpha ** 2)
    P = y0 ** 2
    totals, sq, inner, prev = [P.sum()], [], [], None
    for lr in lrs:               # dot products and in-place updates: a few passes over d each
        alpha, q, w, q_sum, a_minus, g, a_sq = factors[lr]
        sq.append(w @ P + q_sum)
        if prev is not None:
            q0, gp0 = prev
            inner.append(a_minus @ gp0 + a_minus @ q0)
        prev = (q, g * P)
        P = a_sq * P
        P += q
        totals.append(P.sum())
    return np.array(totals), np.array(sq), np.array(inner)


def expected_sq_dist(hessian_eigs, noise_var, y0, lrs, steps_per_epoch) -> np.ndarray:
    """E||X_n||^2 = E||y_{nK}||^2 for n = 0..E, exactly (docs/theory.md §2c applied per epoch).

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
    return _epoch_sums(hessian_eigs, noise_var, y0, lrs, steps_per_epoch)[0]


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
    h, c, y0 = _instance(hessian_eigs, noise_var, y0)
    if np.size(lrs) < 2:
        raise AssumptionError(f"lrs: need at least 2 epochs for an angle, got {np.size(lrs)}")
    _, sq, inner = _epoch_sums(h, *_unit_noise(c, y0), lrs, steps_per_epoch)
    if (sq <= 0).any():
        n = int(np.flatnonzero(sq <= 0)[0])
        raise AssumptionError(f"y0, noise_var: E||s_{n}||^2 = 0 (no motion), the angle is undefined")
    cos = inner / np.sqrt(sq[1:] * sq[:-1])
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def stationary_angle(hessian_eigs, noise_var, lr, steps_per_epoch) -> float:
    """The limit of omega_bar_n at a constant rate (docs/theory.md §4a), in degrees.

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
    alpha, q = epoch_factors(h, _unit_noise(c), lr, K)
    w = q / (1.0 + alpha)
    den = 2.0 * w.sum()
    if den <= 0:
        raise AssumptionError("noise_var: need some c_i > 0 (without noise there is no "
                              "stationary motion and the angle is undefined)")
    cos = float(((alpha - 1.0) * w).sum() / den)
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


# ============================================================== 4e: fluctuations at finite d
_CHUNK = 2 ** 18      # coordinates per chunk of the stationary Isserlis sums (memory, not results)
_PAIRS = ((2, 1), (2, 2), (1, 1), (1, 0), (0, 0))   # Z_ab = sum_i s_a s_b over (s_{n-2}, s_{n-1}, s_n)


def _isserlis(mean, cov):
    """Mean (..., 5) and covariance (..., 5, 5) of Z_ab = sum_i s_{a,i} s_{b,i} for the pairs
    in _PAIRS, given per-coordinate Gaussian means (..., d, 3) and covariances (..., d, 3, 3):
    Cov(s_a s_b, s_c s_e) = S_ac S_be + S_ae S_bc + m_a m_c S_be + m_a m_e S_bc + m_b m_c S_ae
    + m_b m_e S_ac (Isserlis' theorem with means), summed over independent coordinates."""
    m, S = mean, cov
    ez = np.stack([(S[..., a, b] + m[..., a] * m[..., b]).sum(-1) for a, b in _PAIRS], -1)
    cz = np.empty(ez.shape + (5,))
    for p, (a, b) in enumerate(_PAIRS):
        for r, (c, e) in enumerate(_PAIRS):
            cz[..., p, r] = (S[..., a, c] * S[..., b, e] + S[..., a, e] * S[..., b, c]
                             + m[..., a] * m[..., c] * S[..., b, e]
                             + m[..., a] * m[..., e] * S[..., b, c]
                             + m[..., b] * m[..., c] * S[..., a, e]
                             + m[..., b] * m[..., e] * S[..., a, c]).sum(-1)
    return ez, cz


def _angle_gradient(A, B, C):
    """d arccos(A / sqrt(B C)) / d(A, B, C), radians."""
    r = A / np.sqrt(B * C)
    k = 1.0 / np.sqrt(np.maximum(1.0 - r * r, 1e-300))
    return np.stack([-k / np.sqrt(B * C), k * r / (2 * B), k * r / (2 * C)], -1)


def _delta_sd(ez, cz):
    """Delta-method standard deviations (degrees) of omega_n and of omega_n - omega_{n-1}, from
    the Isserlis sums (:func:`_isserlis`; sums add over coordinates, so chunks may be added)."""
    g_now = _angle_gradient(ez[..., 0], ez[..., 1], ez[..., 2])     # on (Z21, Z22, Z11)
    g_prev = _angle_gradient(ez[..., 3], ez[..., 2], ez[..., 4])    # on (Z10, Z11, Z00)
    zeros = np.zeros(ez.shape[:-1])
    grad_now = np.stack([g_now[..., 0], g_now[..., 1], g_now[..., 2], zeros, zeros], -1)
    grad_prev = np.stack([zeros, zeros, g_prev[..., 1], g_prev[..., 0], g_prev[..., 2]], -1)
    var = lambda g: np.einsum("...p,...pr,...r->...", g, cz, g)  # noqa: E731
    return (np.degrees(np.sqrt(var(grad_now))), np.degrees(np.sqrt(var(grad_now - grad_prev))))


def _window_moments(alpha, q, y0):
    """Per-coordinate means (E-2, d, 3) and covariances (E-2, d, 3, 3) of (s_{n-2}, s_{n-1}, s_n)
    for n = 2..E-1, from X_{n+1} = alpha_n X_n + xi_n (X_0 = y0, deterministic)."""
    E, d = alpha.shape
    m = np.empty((E + 1, d))
    V = np.empty((E + 1, d))
    m[0], V[0] = y0, 0.0
    for n in range(E):
        m[n + 1] = alpha[n] * m[n]
        V[n + 1] = alpha[n] ** 2 * V[n] + q[n]
    idx = np.arange(2, E)[:, None] + np.arange(-2, 2)[None, :]     # X_{n-2} .. X_{n+1}
    C = np.zeros((E - 2, d, 4, 4))
    for a in range(4):
        C[:, :, a, a] = V[idx[:, a]]
        for b in range(a):                                          # Cov(X_a, X_b), a > b
            prod = np.prod([alpha[idx[:, k]] for k in range(b, a)], axis=0)
            C[:, :, a, b] = C[:, :, b, a] = prod * V[idx[:, b]]
    D = np.array([[-1.0, 1, 0, 0], [0, -1, 1, 0], [0, 0, -1, 1]])
    mean = np.einsum("ij,nkj->nki", D, m[idx].transpose(0, 2, 1))
    cov = np.einsum("ij,nkjl,ml->nkim", D, C, D)
    return mean, cov


def angle_fluctuations(hessian_eigs, noise_var, y0, lrs, steps_per_epoch) -> dict:
    """Finite-d standard deviations (degrees) of the empirical angle and of its change (4e).

    Problem: Q at finite d; the empirical omega_n = arccos(<s_n, s_{n-1}> / (|s_n| |s_{n-1}|)) is
    a smooth function of three sums over independent coordinates, so by the delta method
    sd(omega_n) = |grad g|_Sigma with Sigma the covariance of those sums (Isserlis' theorem for
    the per-coordinate Gaussian (s_{n-2}, s_{n-1}, s_n)); it is O(1/sqrt(d)) when no coordinate
    dominates.  First order in 1/sqrt(d): tests check it within 20% of Monte Carlo from d = 10.

    Returns:
        {"angle_sd_deg": shape (E-2,) for n = 2..E-1, "change_sd_deg": shape (E-2,), the sd of
        omega_n - omega_{n-1} for n = 2..E-1} (boundary n + 1 in results.json indexing).
    """
    h, c, y0 = _instance(hessian_eigs, noise_var, y0)
    c, y0 = _unit_noise(c, y0)
    alpha, q, _ = _moments(h, c, y0, lrs, steps_per_epoch)
    if alpha.shape[0] < 3:
        raise AssumptionError(f"lrs: need at least 3 epochs for an angle change, got "
                              f"{alpha.shape[0]}")
    mean, cov = _window_moments(alpha, q, y0)
    sd, sd_change = _delta_sd(*_isserlis(mean, cov))
    return {"angle_sd_deg": sd, "change_sd_deg": sd_change}


def stationary_fluctuations(hessian_eigs, noise_var, lr, steps_per_epoch) -> dict:
    """The 4e standard deviations at stationarity (constant rate, bias gone), in degrees.

    The stationary displacements are zero-mean with autocovariances, per coordinate,
    gamma(0) = 2 q/(1 + alpha), gamma(1) = -q (1 - alpha)/(1 + alpha), gamma(2) = alpha gamma(1).
    """
    sd, sd_change = _delta_sd(*_stationary_sums(hessian_eigs, noise_var, lr, steps_per_epoch))
    return {"angle_sd_deg": float(sd), "change_sd_deg": float(sd_change)}


def _stationary_sums(hessian_eigs, noise_var, lr, steps_per_epoch):
    """The Isserlis sums (means, covariances) of the stationary displacements' inner products
    (validated inputs; summed over coordinates in chunks: O(chunk) memory)."""
    h, c = _instance(hessian_eigs, noise_var)
    K = v.integer("steps_per_epoch", steps_per_epoch, lo=1)
    lr = check_stable_lr(h, lr)
    alpha, q = epoch_factors(h, _unit_noise(c), lr, K)
    if not (q > 0).any():
        raise AssumptionError("noise_var: need some c_i > 0 (no stationary motion otherwise)")
    sums = None
    for i in range(0, h.size, _CHUNK):
        a, qq = alpha[i:i + _CHUNK], q[i:i + _CHUNK]
        g0, g1 = 2 * qq / (1 + a), -qq * (1 - a) / (1 + a)
        g2 = a * g1
        cov = np.stack([np.stack([g0, g1, g2], -1), np.stack([g1, g0, g1], -1),
                        np.stack([g2, g1, g0], -1)], -2)
        part = _isserlis(np.zeros(a.shape + (3,)), cov)
        sums = part if sums is None else (sums[0] + part[0], sums[1] + part[1])
    return sums


def _angle_hessian(A, B, C):
    """d^2 arccos(A / sqrt(B C)) / d(A, B, C)^2, radians (3 x 3)."""
    q = np.sqrt(B * C)
    r = A / q
    dr = np.array([1.0 / q, -r / (2 * B), -r / (2 * C)])
    d2r = np.array([[0.0, -1.0 / (2 * B * q), -1.0 / (2 * C * q)],
                    [-1.0 / (2 * B * q), 3 * r / (4 * B * B), r / (4 * B * C)],
                    [-1.0 / (2 * C * q), r / (4 * B * C), 3 * r / (4 * C * C)]])
    k = 1.0 - r * r
    return -d2r / np.sqrt(k) - r * np.outer(dr, dr) / k ** 1.5


def stationary_mean_angle(hessian_eigs, noise_var, lr, steps_per_epoch) -> float:
    """E[omega_n] at stationarity to second order in 1/sqrt(d) (4e), in degrees: the
    deterministic-equivalent angle (:func:`stationary_angle`) plus (1/2) tr(g'' Cov Z), g the
    angle as a function of Z = (<s_n, s_{n-1}>, ||s_n||^2, ||s_{n-1}||^2) and Cov Z from
    Isserlis' theorem (as in :func:`stationary_fluctuations`).  The correction is O(1/d) when no
    coordinate dominates (the empirical mean angle of a finite-d run differs from the
    deterministic equivalent by it: -0.07 degree for the paper's NQM at alpha = 0.06); the
    remainder is O(1/d^2)."""
    ez, cz = _stationary_sums(hessian_eigs, noise_var, lr, steps_per_epoch)
    A, B, C = ez[0], ez[1], ez[2]                       # Z21, Z22, Z11 (_PAIRS)
    mean = np.arccos(np.clip(A / np.sqrt(B * C), -1.0, 1.0))
    shift = 0.5 * float(np.sum(_angle_hessian(A, B, C) * cz[:3, :3]))
    return float(np.degrees(mean + shift))


# ============================================================== 4c: the 90-degree certificate
def certificate(hessian_eigs, noise_var, lr, steps_per_epoch) -> dict:
    """What crossing 90 degrees certifies at a constant rate (docs/theory.md §4c).

    With w_i = alpha_i (1 - alpha_i)^2 and P_i = E[X_{n-1,i}^2]:
        E<s_n, s_{n-1}> <= 0   iff   sum_i w_i P_i <= sum_i (1 - alpha_i) q_i
                                iff   sum_i w_i P_i <= F_w * sum_i w_i v_i,
        F_w = sum_i (1 - alpha_i) q_i / sum_i w_i v_i      (v_i the stationary variance),
    so the w-weighted error is within F_w of its floor.  Isotropic (h_i = h, c_i = c):
    F_w = (1 + alpha)/alpha and the condition is E||X_{n-1}||^2 <= ((1 + alpha)/alpha) d v.
    For the plain error, sum_i P_i <= sum_i w_i P_i / min_i w_i gives
    E||X_{n-1}||^2 <= F_plain * sum_i v_i, F_plain = sum_i (1 - alpha_i) q_i / (min_i w_i sum_i v_i).
    Needs every alpha_i in (0, 1) (h_i > 0 and lr h_i < 1 suffice).

    Returns: {"weighted": F_w, "plain": F_plain, "alpha_min", "alpha_max"}.
    """
    h, c = _instance(hessian_eigs, noise_var)
    K = v.integer("steps_per_epoch", steps_per_epoch, lo=1)
    lr = check_stable_lr(h, lr)
    alpha, q = epoch_factors(h, _unit_noise(c), lr, K)
    if not np.all((alpha > 0) & (alpha < 1)):
        raise AssumptionError("lr: the certificate needs every alpha_i = (1 - lr h_i)^K in (0, 1) "
                              f"(h_i > 0 and lr h_i < 1), got alpha in [{alpha.min():g}, "
                              f"{alpha.max():g}]")
    if not (q > 0).any():
        raise AssumptionError("noise_var: need some c_i > 0")
    vst = q / (1 - alpha ** 2)
    w = alpha * (1 - alpha) ** 2
    rhs = ((1 - alpha) * q).sum()
    return {"weighted": float(rhs / (w * vst).sum()), "plain": float(rhs / (w.min() * vst.sum())),
            "alpha_min": float(alpha.min()), "alpha_max": float(alpha.max())}


# ============================================================== 4d: the reset after a drop
def reset_after_drop(hessian_eigs, noise_var, lr, drop_factor, steps_per_epoch,
                     max_epochs: int = 100000) -> dict:
    """The angle after a drop lr -> rho lr taken from stationarity (docs/theory.md §4d).

    Let the new rate start at epoch N (boundary N), with alpha'_i, q'_i the new epoch factors,
    v_i, v'_i the old and new stationary variances and w'_i = alpha'_i (1 - alpha'_i)^2.
    - boundary N+1 (last old vs first new displacement): E<s_N, s_{N-1}> =
      sum_i (alpha'_i - 1) q_i / (1 + alpha_i) < 0: above 90 degrees.
    - boundary N+2+k, k >= 0 (both displacements new): P_{N+k} = v' + alpha'^{2k} (v - v') and
      E<s_{N+k+1}, s_{N+k}> <= 0  iff  sum_i w'_i alpha'^{2k}_i (v_i - v'_i)
                                        <= sum_i (1 - alpha'_i) q'_i / (1 + alpha'_i).
      The left side decreases in k: the angle dips below 90 at boundary N+2 iff the condition
      fails at k = 0, and is back above 90 from boundary N + 2 + k* on, k* the first k where
      it holds.
    Returns {"dips": bool, "recross_offset": k* + 2 (boundaries after N; 2 if no dip),
    "k_star": k*}.
    """
    h, c = _instance(hessian_eigs, noise_var)
    K = v.integer("steps_per_epoch", steps_per_epoch, lo=1)
    lr = check_stable_lr(h, lr)
    rho = v.in_range("drop_factor", drop_factor, 0.0, 1.0, lo_open=True, hi_open=True)
    c = _unit_noise(c)                  # the answer is invariant to the noise scale
    a_old, q_old = epoch_factors(h, c, lr, K)
    a_new, q_new = epoch_factors(h, c, rho * lr, K)
    if not np.all((a_new > 0) & (a_new < 1)) or not np.all(np.abs(a_old) < 1):
        raise AssumptionError("lr: need every new alpha_i in (0, 1) and old |alpha_i| < 1 "
                              "(h_i > 0, lr h_i < 1)")
    v_old, v_new = q_old / (1 - a_old ** 2), q_new / (1 - a_new ** 2)
    w = a_new * (1 - a_new) ** 2 * (v_old - v_new)
    rhs = ((1 - a_new) * q_new / (1 + a_new)).sum()
    k, lhs = 0, w.sum()
    while lhs > rhs:
        k += 1
        if k > max_epochs:
            raise AssumptionError(f"max_epochs: the angle does not re-cross 90 degrees within "
                                  f"{max_epochs} epochs")
        lhs = (w * a_new ** (2 * k)).sum()
    return {"dips": k > 0, "k_star": k, "recross_offset": k + 2}


# ============================================================== section 6: heavy-ball momentum
def _momentum_moments(hessian_eigs, noise_var, y0, lrs, steps_per_epoch, momentum):
    """Per coordinate, the epoch map A_n = M_n^K (d, 2, 2), the epoch noise covariance Q_n and
    the second moments S_n = E[z_n z_n^T] of z_n = (y_{nK}, y_{nK-1}), z_0 = (y_0, y_0)."""
    h, c, y0 = _instance(hessian_eigs, noise_var, y0)
    K = v.integer("steps_per_epoch", steps_per_epoch, lo=1)
    beta = v.in_range("momentum", momentum, 0.0, 1.0, hi_open=True)
    lrs = v.vector("lrs", lrs)
    for n, lr in enumerate(lrs):
        lr = v.in_range(f"lrs[{n}]", lr, 0.0, None, lo_open=True)
        if lr * h.max() >= 2 * (1 + beta):
            raise AssumptionError(f"lrs[{n}]: need lrs[{n}] * h_i < 2 (1 + momentum) for every "
                                  f"h_i (stability), got {lr * h.max():g}")
    d = h.size
    A, Q = [], []
    for lr in lrs:
        M = np.zeros((d, 2, 2))
        M[:, 0, 0], M[:, 0, 1], M[:, 1, 0] = 1 - lr * h + beta, -beta, 1.0
        P, Qn = np.broadcast_to(np.eye(2), (d, 2, 2)).copy(), np.zeros((d, 2, 2))
        for _ in range(K):              # Q_K = sum_{j<K} M^j e1 e1^T M^jT lr^2 c
            col = P[:, :, 0]
            Qn += lr * lr * c[:, None, None] * col[:, :, None] * col[:, None, :]
            P = M @ P
        A.append(P)
        Q.append(Qn)
    S = [np.stack([np.stack([y0 * y0, y0 * y0], -1), np.stack([y0 * y0, y0 * y0], -1)], -2)]
    for n in range(lrs.size):
        S.append(A[n] @ S[n] @ np.swapaxes(A[n], -1, -2) + Q[n])
    return A, Q, S


def expected_sq_dist_momentum(hessian_eigs, noise_var, y0, lrs, steps_per_epoch,
                              momentum) -> np.ndarray:
    """E||X_n||^2, n = 0..E, for heavy-ball SGD y_{t+1} = y_t - eta (h y_t + xi_t)
    + beta (y_t - y_{t-1}) (docs/theory.md §6; y_{-1} = y_0, momentum carried across epochs):
    the 2x2 Lyapunov recursion S_{n+1} = A_n S_n A_n^T + Q_n.  Needs 0 <= beta < 1 and
    eta h_i < 2 (1 + beta).  beta = 0 gives :func:`expected_sq_dist`."""
    _, _, S = _momentum_moments(hessian_eigs, noise_var, y0, lrs, steps_per_epoch, momentum)
    return np.array([s[:, 0, 0].sum() for s in S])


def expected_angles_momentum(hessian_eigs, noise_var, y0, lrs, steps_per_epoch,
                             momentum) -> np.ndarray:
    """The deterministic-equivalent angle (degrees, n = 1..E-1) for heavy-ball SGD:
    E<s_n, s_{n-1}> = e1^T (A_n - I) [A_{n-1} S_{n-1} (A_{n-1} - I)^T + Q_{n-1}] e1,
    E||s_n||^2 = e1^T [(A_n - I) S_n (A_n - I)^T + Q_n] e1, summed over coordinates."""
    h, c, y0 = _instance(hessian_eigs, noise_var, y0)
    A, Q, S = _momentum_moments(h, *_unit_noise(c, y0), lrs, steps_per_epoch, momentum)
    E = len(A)
    if E < 2:
        raise AssumptionError(f"lrs: need at least 2 epochs for an angle, got {E}")
    eye = np.eye(2)
    T = lambda x: np.swapaxes(x, -1, -2)  # noqa: E731
    sq = np.array([((A[n] - eye) @ S[n] @ T(A[n] - eye) + Q[n])[:, 0, 0].sum() for n in range(E)])
    inner = np.array([((A[n] - eye) @ (A[n - 1] @ S[n - 1] @ T(A[n - 1] - eye) + Q[n - 1]))
                      [:, 0, 0].sum() for n in range(1, E)])
    if (sq <= 0).any():
        raise AssumptionError("y0, noise_var: no motion, the angle is undefined")
    cos = inner / np.sqrt(sq[1:] * sq[:-1])
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


MOMENTUM_OBSERVABLES = ("iterate", "sgd_point")


def stationary_angle_momentum(hessian_eigs, noise_var, lr, steps_per_epoch, momentum,
                              observe="sgd_point") -> float:
    """The stationary deterministic-equivalent angle (degrees) of heavy-ball SGD at a constant
    rate (docs/theory.md §6), measured on the iterate x (``observe="iterate"``) or on the point
    z = x + beta / (1 - beta) (x - x_prev) that AutoDrop observes under momentum
    (``"sgd_point"``; x_prev the iterate one step earlier).

    Per coordinate the state s = (y_t, y_{t-1}) follows s' = M s + e (eta sqrt(c) xi) with
    M = [[1 + beta - eta h, -beta], [1, 0]]; over an epoch s_{n+1} = A s_n + noise of covariance
    Q (A = M^K).  The stationary covariance solves the discrete Lyapunov equation
    S = A S A^T + Q, and for the observable w = a^T s (a = (1, 0) or (1 + b, -b),
    b = beta / (1 - beta)):
        E[u_n u_{n-1}] = a^T (A - I)(S - A S) a,   E[u_n^2] = a^T ((A - I) S (A - I)^T + Q) a,
    summed over coordinates; cos omega = the first sum over the second.  z is not plain SGD:
    z_{t+1} = z_t - eta / (1 - beta) g(x_t) with the gradient at x, so this angle can be below
    90 degrees when K (1 - beta) is small (79.2 degrees at h = 1, eta = 0.05, beta = 0.9, K = 2).
    Needs every h_i > 0 (a flat direction has no stationary law), 0 <= beta < 1 and
    eta h_i < 2 (1 + beta); noise_var is normalised first (:func:`_unit_noise`: the angle is
    scale-invariant).

    Example:
        >>> round(stationary_angle_momentum([1.0], [1.0], 0.5, 3, 0.0), 6) == round(
        ...     stationary_angle([1.0], [1.0], 0.5, 3), 6)
        True
    """
    h, c = _instance(hessian_eigs, noise_var)
    if observe not in MOMENTUM_OBSERVABLES:
        raise AssumptionError(f"observe: need one of {MOMENTUM_OBSERVABLES}, got {observe!r}")
    if (h <= 0).any():
        raise AssumptionError(f"hessian_eigs: need every h_i > 0 (a flat direction has no "
                              f"stationary law), got min {h.min():g}")
    if c.max() <= 0:
        raise AssumptionError("noise_var: need some c_i > 0 (without noise there is no "
                              "stationary motion and the angle is undefined)")
    lr = v.in_range("lr", lr, 0.0, None, lo_open=True)
    A, Q, _ = _momentum_moments(h, _unit_noise(c), np.zeros_like(h), [lr], steps_per_epoch,
                                momentum)
    A, Q = A[0], Q[0]
    d = h.size
    lyap = np.eye(4) - np.einsum("nij,nkl->nikjl", A, A).reshape(d, 4, 4)
    S = np.linalg.solve(lyap, Q.reshape(d, 4, 1)).reshape(d, 2, 2)
    b = momentum / (1.0 - momentum)
    a = np.array([1.0, 0.0]) if observe == "iterate" else np.array([1.0 + b, -b])
    D = A - np.eye(2)
    inner = np.einsum("i,nij,j->", a, D @ (S - A @ S), a)
    sq = np.einsum("i,nij,j->", a, D @ S @ np.swapaxes(D, -1, -2) + Q, a)
    return float(np.degrees(np.arccos(np.clip(inner / sq, -1.0, 1.0))))
