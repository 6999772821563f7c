"""Convex Lipschitz problems without smoothness or strong convexity: the setting of the paper's
Theorem 5.1 (docs/paper.md §3), with its constants G (every subgradient has norm <= G) and
delta^2 (the noise's second moment, E||G(x; xi) - g(x)||^2 <= delta^2, the corrected reading).

Problems:
- :func:`abs_sum`: f(x) = sum_i w_i |x_i - c_i| (w_i > 0), the subgradient g(x) = w * sign(x - c)
  (sign(0) = 0, a subgradient) plus Gaussian noise N(0, sd^2 I).  Unique minimiser x* = c,
  f* = 0; G = ||w||_2 (every subgradient w * u, |u_i| <= 1); delta^2 = d sd^2 exactly.
  Instance: w_i uniform in [0.5, 1.5], c ~ N(0, I), x0 = c + N(0, I) (numpy default_rng(seed)).
- :func:`lad`: least-absolute-deviation regression f(x) = (1/n) sum_i |a_i^T x - b_i| on
  scikit-learn's diabetes data (442 rows, 10 standardised features plus an intercept column;
  the target standardised), minibatch subgradients of B rows drawn with replacement,
  (1/B) sum_j sign(a_j^T x - b_j) a_j.  f* and a minimiser x* by the linear programme
  min (1/n) sum_i (u_i + v_i), A x - b = u - v, u, v >= 0 (scipy.optimize.linprog, HiGHS dual
  simplex); x* need not be unique (an LP's solution set may be a face), so ||x - x*||^2 is not
  reported; the bound holds with any minimiser, and uses this one.  G = max_i ||a_i|| (f's
  subgradients are averages of vectors s_i a_i with |s_i| <= 1); delta^2 = mean_i ||a_i||^2 / B
  (the variance of a mean of B independent draws is at most the second moment of one over B).
  x0 = 0.

Every problem reports f - f* at the epoch boundaries, and ``constants()``: G, noise (delta^2),
f_star, dist0_sq, gap0 (the arguments of :func:`autodrop_theory.paper.stepwise_bound`).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from autodrop_theory import _validate as v
from autodrop_theory.errors import AssumptionError

from .base import Kind, Problem

__all__ = ["AbsSumProblem", "LadProblem", "abs_sum", "lad", "lad_solution"]


# ------------------------------------------------------------------ sum of weighted |x_i - c_i|
def _abs_noise(data, key, steps):
    return jax.random.normal(key, (steps,) + data["c"].shape, data["c"].dtype)


def _abs_grad(data, x, xi):
    r = x - data["c"]
    return data["w"] * jnp.sign(r) + data["sd"] * xi, jnp.sum(data["w"] * jnp.abs(r))


def _abs_sq_dist(data, x):
    return jnp.vdot(x - data["c"], x - data["c"])


def _abs_subopt(data, x):
    return jnp.sum(data["w"] * jnp.abs(x - data["c"]))


ABS_SUM = Kind("abs_sum", lambda data, key: data["x0"], _abs_noise, _abs_grad, _abs_sq_dist,
               _abs_subopt)


class AbsSumProblem(Problem):
    """f(x) = sum_i w_i |x_i - c_i| with Gaussian subgradient noise (module docstring)."""

    kind = ABS_SUM

    def __init__(self, w, c, x0, sd: float):
        self.w = v.vector("w", w)
        if (self.w <= 0).any():
            raise AssumptionError("w: need every weight > 0 (a unique minimiser)")
        self.c = v.vector("c", c, length=self.w.size, length_of="w")
        self.x0 = v.vector("x0", x0, length=self.w.size, length_of="w")
        self.sd = v.in_range("sd", sd, 0.0, None)

    @property
    def dim(self) -> int:
        return int(self.w.size)

    def data(self, dtype):
        return {"w": jnp.asarray(self.w, dtype), "c": jnp.asarray(self.c, dtype),
                "x0": jnp.asarray(self.x0, dtype), "sd": jnp.asarray(self.sd, dtype)}

    def objective(self, x) -> float:
        return float(np.sum(self.w * np.abs(np.asarray(x, np.float64) - self.c)))

    def constants(self) -> dict:
        r = self.x0 - self.c
        return {"G": float(np.linalg.norm(self.w)), "noise": float(self.dim * self.sd ** 2),
                "f_star": 0.0, "dist0_sq": float(r @ r), "gap0": self.objective(self.x0),
                "minimiser_unique": True}

    def record(self) -> dict:
        return {"name": "abs_sum", "dim": self.dim, "sd": self.sd} | self.constants()


def abs_sum(dim: int = 20, sd: float = 1.0, seed: int = 0) -> AbsSumProblem:
    """The documented random instance (module docstring)."""
    dim = v.integer("dim", dim, lo=1)
    from .. import memory
    free, nbytes = memory.available(), 3 * 8 * dim         # w, c and x0 in float64
    if free is not None and nbytes > free:
        raise AssumptionError(f"dim: the problem's 3 vectors of d = {dim} numbers need "
                              f"{nbytes / 2 ** 30:.3g} GiB, more than the "
                              f"{free / 2 ** 30:.3g} GiB available")
    rng = np.random.default_rng(v.integer("seed", seed, lo=0))
    w = rng.uniform(0.5, 1.5, dim)
    c = rng.standard_normal(dim)
    return AbsSumProblem(w, c, c + rng.standard_normal(dim), sd)


# ---------------------------------------------------------- least-absolute-deviation regression
@functools.lru_cache(maxsize=None)
def _lad_kind(n: int, batch_size: int) -> Kind:
    B = batch_size

    def epoch_noise(data, key, steps):
        return jax.random.randint(key, (steps, B), 0, n, jnp.int32)

    def grad(data, x, idx):
        A, b = data["A"][idx], data["b"][idx]
        r = A @ x - b
        return A.T @ jnp.sign(r) / B, jnp.mean(jnp.abs(r))

    def subopt(data, x):
        return jnp.mean(jnp.abs(data["A"] @ x - data["b"])) - data["f_star"]

    def sq_dist(data, x):
        return jnp.asarray(jnp.nan, x.dtype)      # x* is not unique in general: not reported

    return Kind(f"lad(n={n},B={B})", lambda data, key: data["x0"], epoch_noise, grad, sq_dist,
                subopt)


def lad_solution(A, b, method: str = "highs-ds") -> tuple:
    """(x*, f*) of min_x (1/n) sum_i |a_i^T x - b_i| by the linear programme of the module
    docstring (scipy.optimize.linprog with ``method``)."""
    from scipy.optimize import linprog
    n, p = A.shape
    cost = np.concatenate([np.zeros(p), np.full(2 * n, 1.0 / n)])
    eq = np.hstack([A, -np.eye(n), np.eye(n)])
    bounds = [(None, None)] * p + [(0, None)] * (2 * n)
    res = linprog(cost, A_eq=eq, b_eq=b, bounds=bounds, method=method)
    if res.status != 0:
        raise AssumptionError(f"lad: the linear programme failed ({res.message})")
    x = res.x[:p]
    return x, float(np.mean(np.abs(A @ x - b)))


class LadProblem(Problem):
    """Least-absolute-deviation regression with minibatch subgradients (module docstring)."""

    reports = ("subopt",)

    def __init__(self, A, b, batch_size: int = 8, name: str = "diabetes"):
        self.A = np.asarray(A, np.float64)
        self.b = np.asarray(b, np.float64)
        n = self.A.shape[0]
        # a minibatch is at most the data set (its rows are drawn with replacement)
        self.batch_size = v.integer("batch_size", batch_size, lo=1, hi=n)
        self.name = name
        self.x_star, self.f_star = lad_solution(self.A, self.b)
        self.x0 = np.zeros(self.A.shape[1])
        self.kind = _lad_kind(n, self.batch_size)

    @property
    def dim(self) -> int:
        return int(self.A.shape[1])

    def data(self, dtype):
        return {"A": jnp.asarray(self.A, dtype), "b": jnp.asarray(self.b, dtype),
                "f_star": jnp.asarray(self.f_star, dtype), "x0": jnp.asarray(self.x0, dtype)}

    def objective(self, x) -> float:
        return float(np.mean(np.abs(self.A @ np.asarray(x, np.float64) - self.b)))

    def constants(self) -> dict:
        norms_sq = np.sum(self.A ** 2, axis=1)
        r = self.x0 - self.x_star
        return {"G": float(np.sqrt(norms_sq.max())),
                "noise": float(norms_sq.mean() / self.batch_size), "f_star": self.f_star,
                "dist0_sq": float(r @ r), "gap0": self.objective(self.x0) - self.f_star,
                "minimiser_unique": False}

    def record(self) -> dict:
        n, p = self.A.shape
        return {"name": "lad", "dataset": self.name, "n": int(n), "dim": int(p),
                "batch_size": self.batch_size} | self.constants()


def lad(batch_size: int = 8) -> LadProblem:
    """LAD regression on scikit-learn's diabetes data (bundled, nothing downloaded)."""
    from sklearn.datasets import load_diabetes
    X, y = load_diabetes(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    return LadProblem(A, (y - y.mean()) / y.std(), batch_size)
