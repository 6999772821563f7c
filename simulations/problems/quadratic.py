"""The model Q(H, C) of docs/theory.md §1 as a simulator problem, with its exact theory.

f(x) = 1/2 y^T H y in the Hessian's eigenbasis with x* = 0 (so x = y); one step draws
xi ~ N(0, diag(c)) and returns g = h * y + xi and the loss sample 1/2 sum h y^2 + <xi, y>
(unbiased for f, with gradient g).  The initial point is fixed (``y0`` an array) or drawn per
seed uniformly on a sphere (``y0 = Sphere(radius)``), from that seed's initial-point stream.

Theory (float64, :mod:`autodrop_theory`): the exact E||x_n||^2 at a constant rate (2c), the
bound 2a where lr <= 1/L, the Cramer-Rao limit (3b), the deterministic-equivalent angle for any
schedule (section 4) and the stationary angle (4a).  Closed forms depend on y0 only through
y0_i^2, so a random y0 enters through E[y0_i^2] exactly.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from autodrop_theory import _validate as v
from autodrop_theory import angular
from autodrop_theory.bounds import CRAMER_RAO, SGD_CONSTANT_STEP
from autodrop_theory.errors import AssumptionError
from autodrop_theory.quadratic import QuadraticModel, check_stable_lr

from .base import Kind, Problem

__all__ = ["QuadraticProblem", "Sphere", "quadratic", "default_model", "default_problem"]


@dataclasses.dataclass(frozen=True)
class Sphere:
    """A random initial point, uniform on the sphere ||y0|| = radius (E[y0_i^2] = radius^2/d)."""

    radius: float

    def __post_init__(self):
        v.in_range("y0.radius", self.radius, 0.0, None, lo_open=True)


def _noise(data, key, steps):
    """The normals are drawn in float32 and cast: a float64 (--x64) run sees the same noise as
    the float32 run of the same seed, so the two differ only by arithmetic precision."""
    sd = data["sd"]
    return sd * jax.random.normal(key, (steps, sd.shape[0]), jnp.float32).astype(sd.dtype)


def _grad(data, x, xi):
    h = data["h"]
    return h * x + xi, 0.5 * jnp.vdot(h * x, x) + jnp.vdot(xi, x)


def _sq_dist(data, x):
    return jnp.vdot(x, x)


def _subopt(data, x):
    return 0.5 * jnp.vdot(data["h"] * x, x)


def _x0_fixed(data, key):
    return data["y0"]


def _x0_sphere(data, key):
    z = jax.random.normal(key, data["h"].shape, jnp.float32).astype(data["h"].dtype)
    return data["radius"] * z / jnp.linalg.norm(z)


def _linear_gaussian(data):
    return data["h"], data["sd"]


FIXED = Kind("quadratic", _x0_fixed, _noise, _grad, _sq_dist, _subopt,
             linear_gaussian=_linear_gaussian)
SPHERE = Kind("quadratic_sphere", _x0_sphere, _noise, _grad, _sq_dist, _subopt,
              linear_gaussian=_linear_gaussian)


class QuadraticProblem(Problem):
    """Q(H, C) with a fixed or random initial point.  ``model`` is the exact model used by the
    theory and the oracle (for a random y0: y0_i = sqrt(E[y0_i^2])).  ``noise_scale`` multiplies
    the noise standard deviation in the *simulation only*: it exists so that tests can build a
    deliberately corrupted simulator and show that the theory-agreement checks reject it."""

    def __init__(self, model: QuadraticModel, y0_distribution: Sphere | None = None,
                 noise_scale: float = 1.0):
        if not isinstance(model, QuadraticModel):
            raise AssumptionError(f"model: need a QuadraticModel, got {type(model).__name__}")
        self.exact_model = model
        self.y0_distribution = y0_distribution
        self.noise_scale = v.in_range("noise_scale", noise_scale, 0.0, None)
        self.kind = FIXED if y0_distribution is None else SPHERE
        self.mu, self.L = model.mu, model.L

    @property
    def dim(self) -> int:
        return self.exact_model.dim

    def data(self, dtype):
        m = self.exact_model
        d = {"h": jnp.asarray(m.hessian_eigs, dtype),
             "sd": jnp.asarray(self.noise_scale * np.sqrt(m.noise_var), dtype)}
        if self.y0_distribution is None:
            d["y0"] = jnp.asarray(m.y0, dtype)
        else:
            d["radius"] = jnp.asarray(self.y0_distribution.radius, dtype)
        return d

    def check_lr(self, lr: float) -> None:
        check_stable_lr(self.exact_model.hessian_eigs, lr)

    def cramer_rao(self, t):
        m = self.exact_model
        if m.mu <= 0 or m.sigma_sq == 0:
            return None       # a flat direction (undefined), or no noise (0: no yardstick)
        return CRAMER_RAO(hessian_eigs=m.hessian_eigs, noise_var=m.noise_var, t=t)

    def theory(self, lr: float, epochs: int, steps_per_epoch: int) -> dict:
        """Closed forms for this instance at the constant rate ``lr`` (float64)."""
        m, K = self.exact_model, steps_per_epoch
        t = np.arange(epochs + 1) * K
        lrs = np.full(epochs, lr)
        cr = self.cramer_rao(t[1:])
        try:
            bound = SGD_CONSTANT_STEP(mu=m.mu, L=m.L, sigma_sq=m.sigma_sq, lr=lr,
                                      r0_sq=float(m.y0 @ m.y0), t=t)
        except AssumptionError:
            bound = None  # lr > 1/L: docs/theory.md §2a does not apply
        return {
            "cramer_rao": None if cr is None else [None] + np.asarray(cr).tolist(),
            "constant_step_bound": bound,
            "predicted_angle_deg": [None, None] + angular.expected_angles(
                m.hessian_eigs, m.noise_var, m.y0, lrs, K).tolist(),
            "exact_sq_dist_constant": angular.expected_sq_dist(
                m.hessian_eigs, m.noise_var, m.y0, lrs, K),
            "stationary_angle_deg": (angular.stationary_angle(m.hessian_eigs, m.noise_var, lr, K)
                                     if m.sigma_sq > 0 else None),   # no noise: no stationarity
            "stationary_change_sd_deg": (angular.stationary_fluctuations(
                m.hessian_eigs, m.noise_var, lr, K)["change_sd_deg"] if m.sigma_sq > 0 else None),
        }

    def angle_theory(self, lrs, steps_per_epoch: int):
        """(deterministic-equivalent angle per boundary for the schedule ``lrs``, the stationary
        angle at each distinct rate); None where a rate underflowed to 0 (float32 halvings)."""
        m = self.exact_model
        lrs = np.asarray(lrs, np.float64)
        if not np.all(lrs > 0):
            return None
        angles = [None, None] + angular.expected_angles(m.hessian_eigs, m.noise_var, m.y0, lrs,
                                                        steps_per_epoch).tolist()
        levels = [angular.stationary_angle(m.hessian_eigs, m.noise_var, lr, steps_per_epoch)
                  for lr in np.unique(lrs)] if m.sigma_sq > 0 else []
        return angles, levels

    def bv_constants(self) -> dict:
        m = self.exact_model
        return {"mu": m.mu, "L": m.L, "sigma_sq": m.sigma_sq, "covered": m.mu > 0,
                "why": None if m.mu > 0 else "a flat direction (mu = 0): not strongly convex"}

    def record(self) -> dict:
        m = self.exact_model
        small = m.dim <= 2000
        return {"name": "quadratic", "dim": m.dim, "mu": m.mu, "L": m.L,
                "sigma_sq": m.sigma_sq,
                "hessian_eigs": m.hessian_eigs if small else None,
                "noise_var": m.noise_var if small else None,
                "y0": m.y0 if small and self.y0_distribution is None else None,
                "y0_distribution": (None if self.y0_distribution is None else
                                    {"sphere_radius": self.y0_distribution.radius})}


def quadratic(hessian_eigs, noise_var, y0) -> QuadraticProblem:
    """A user's quadratic: eigenvalues h_i > 0, noise variances c_i >= 0 (same length), and
    ``y0`` an array of that length (fixed) or :class:`Sphere` (random per seed)."""
    h = v.vector("hessian_eigs", hessian_eigs)
    if (h <= 0).any():
        i = int(np.flatnonzero(h <= 0)[0])
        raise AssumptionError(f"hessian_eigs: need every eigenvalue > 0, got {h[i]!r} at "
                              f"index {i}")
    c = v.vector("noise_var", noise_var, nonnegative=True, length=h.size,
                 length_of="hessian_eigs")
    if isinstance(y0, Sphere):
        second = np.full(h.size, y0.radius / np.sqrt(h.size))
        return QuadraticProblem(QuadraticModel(h, c, second), y0)
    return QuadraticProblem(QuadraticModel(h, c, y0))


def default_model(dim: int = 100, mu: float = 0.01, L: float = 1.0,  # noqa: N803
                  sigma_sq: float = 1.0, seed: int = 0) -> QuadraticModel:
    """The documented default instance of Q.

    Hessian eigenvalues log-spaced in [mu, L] (mu at index 0); isotropic noise c_i = sigma^2 / d
    (total variance sigma^2); y0 uniformly random on the sphere of radius sqrt(d), so that
    ||y0||^2 = d, drawn by ``numpy.random.default_rng(seed)``.
    """
    dim = v.integer("dim", dim, lo=1)
    mu = v.in_range("mu", mu, 0.0, None, lo_open=True)
    L = v.in_range("L", L, 0.0, None, lo_open=True)  # noqa: N806
    if mu > L:
        raise AssumptionError(f"mu: need mu <= L = {L:g}, got {mu:g}")
    sigma_sq = v.in_range("sigma_sq", sigma_sq, 0.0, None)
    h = np.geomspace(mu, L, dim) if dim > 1 else np.array([mu])
    z = np.random.default_rng(seed).standard_normal(dim)
    y0 = z * np.sqrt(dim) / np.linalg.norm(z)
    return QuadraticModel(h, np.full(dim, sigma_sq / dim), y0)


def default_problem(dim: int = 100, mu: float = 0.01, L: float = 1.0,  # noqa: N803
                    sigma_sq: float = 1.0, seed: int = 0) -> QuadraticProblem:
    """:func:`default_model` as a problem."""
    return QuadraticProblem(default_model(dim, mu, L, sigma_sq, seed))
