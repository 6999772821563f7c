"""Stochastic problems for the simulator: what one SGD step needs, as pure JAX functions.

A :class:`Problem` is a NamedTuple of pure functions and arrays:
    x0                     initial parameters (flat array; its dtype is the simulation's dtype)
    epoch_noise(key, K)    the randomness of one epoch, a pytree with leading axis K
    grad(x, noise_k)       (stochastic gradient, stochastic loss sample) for one step
    sq_dist(x)             ||x - x*||^2
    subopt(x)              f(x) - f*
    metrics(x)             optional: a dict of further scalars recorded at every epoch boundary
                           (e.g. test loss and accuracy of a data problem)
The simulator draws one epoch of noise at a time, so no randomness is generated per step on the
host and all seeds share the same stream structure (common random numbers across methods).
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np

from autodrop_theory import _validate as v
from autodrop_theory.quadratic import QuadraticModel

__all__ = ["Problem", "quadratic_problem", "default_quadratic_model"]


class Problem(NamedTuple):
    x0: Any
    epoch_noise: Callable
    grad: Callable
    sq_dist: Callable
    subopt: Callable
    metrics: Optional[Callable] = None


def quadratic_problem(model: QuadraticModel, dtype=jnp.float32, noise_scale: float = 1.0
                      ) -> Problem:
    """The model Q(H, C) in the Hessian's eigenbasis, with x* = 0 (so x = y).

    One step draws xi ~ N(0, diag(c)) and returns g = h * y + xi and the loss sample
    1/2 sum h y^2 + <xi, y> (unbiased for f, with gradient g).  ``noise_scale`` multiplies the
    noise standard deviation; it exists so that tests can build a deliberately corrupted
    simulator and show that the theory-agreement check rejects it.
    """
    h = jnp.asarray(model.hessian_eigs, dtype)
    sd = jnp.asarray(noise_scale * np.sqrt(model.noise_var), dtype)
    half = jnp.asarray(0.5, dtype)

    def epoch_noise(key, steps):
        return sd * jax.random.normal(key, (steps, h.shape[0]), dtype)

    def grad(x, xi):
        return h * x + xi, half * jnp.vdot(h * x, x) + jnp.vdot(xi, x)

    def sq_dist(x):
        return jnp.vdot(x, x)

    def subopt(x):
        return half * jnp.vdot(h * x, x)

    return Problem(jnp.asarray(model.y0, dtype), epoch_noise, grad, sq_dist, subopt)


def default_quadratic_model(dim: int = 100, mu: float = 0.01, L: float = 1.0,  # noqa: N803
                            sigma_sq: float = 1.0, seed: int = 0) -> QuadraticModel:
    """The documented default instance of Q.

    Hessian eigenvalues log-spaced in [mu, L] (mu at index 0); isotropic noise c_i = sigma^2 / d
    (total variance sigma^2); y0 uniformly random on the sphere of radius sqrt(d), so that
    ||y0||^2 = d, drawn by ``numpy.random.default_rng(seed)``.
    """
    dim = v.integer("dim", dim, lo=1)
    mu = v.in_range("mu", mu, 0.0, None, lo_open=True)
    L = v.in_range("L", L, mu, None)  # noqa: N806
    sigma_sq = v.in_range("sigma_sq", sigma_sq, 0.0, None)
    h = np.geomspace(mu, L, dim) if dim > 1 else np.array([mu])
    z = np.random.default_rng(seed).standard_normal(dim)
    y0 = z * np.sqrt(dim) / np.linalg.norm(z)
    return QuadraticModel(h, np.full(dim, sigma_sq / dim), y0)
