"""L2-regularised logistic regression as a finite sum, on synthetic or scikit-learn data.

Objective (exactly what is optimised):
    f(x) = (1/n) sum_{i=1}^{n} log(1 + exp(-b_i a_i^T x)) + (l2/2) ||x||^2,
over the n training rows a_i (features standardised with the *training* split's mean and standard
deviation, a zero deviation replaced by 1, then a column of ones appended as the intercept, which
is regularised like every other coordinate) with labels b_i in {-1, +1}; default l2 = 1/n.
Split: ``sklearn.model_selection.train_test_split(test_size=0.2, stratify=y, random_state=seed)``.

Datasets (all shipped with scikit-learn or generated; no download):
- ``synthetic``: n = 1000 rows, p = 20 features (``--dim``) a ~ N(0, I), x_true ~ N(0, I) /
  sqrt(p / 4),
  b = +1 with probability sigmoid(a^T x_true), else -1; drawn by numpy default_rng(seed).
- ``breast_cancer``: 569 x 30; b = +1 for benign (target 1), -1 for malignant (target 0).
- ``digits``: 1797 x 64; b = +1 for the digits 5-9, -1 for 0-4.
- ``wine``: 178 x 13; b = +1 for cultivar 0, -1 for cultivars 1 and 2.

Constants (float64): x* and f* by Newton's method to ||grad f(x*)|| < 1e-12 (reported);
mu = l2; L = l2 + lambda_max(A^T A)/(4 n); the variance at the optimum of one sample's gradient
sigma_*^2 = (1/n) sum_i ||grad f_i(x*)||^2 (FS of docs/theory.md), and of a minibatch of B rows:
sigma_*^2 / B with replacement, sigma_*^2 (n - B) / (B (n - 1)) without.  Each minibatch
function is mu-strongly convex and L_B-smooth with L_B = l2 + max_i ||a_i||^2 / 4.

Sampling: one epoch is K = steps_per_epoch minibatches of B rows; ``reshuffle`` (default) takes
them from a fresh permutation of the training rows each epoch (without replacement, needs
K B <= n), ``replacement`` draws every row uniformly with replacement.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

from autodrop_theory import _validate as v
from autodrop_theory.errors import AssumptionError

from .base import Kind, Problem
from ..choices import DATASETS, SAMPLINGS

__all__ = ["DATASETS", "SAMPLINGS", "Dataset", "prepare", "load", "LogisticModel", "fit",
           "LogisticProblem", "logistic_regression"]



@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    name: str
    A_train: np.ndarray       # standardised, with the intercept column last
    b_train: np.ndarray       # in {-1, +1}
    A_test: np.ndarray
    b_test: np.ndarray


def _raw(name: str, seed: int, features: int = 20):
    if name == "synthetic":
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((1000, features))
        x_true = rng.standard_normal(features) / np.sqrt(features / 4)
        p = 1 / (1 + np.exp(-X @ x_true))
        return X, np.where(rng.uniform(size=1000) < p, 1, -1)
    from sklearn import datasets
    if name == "breast_cancer":
        X, y = datasets.load_breast_cancer(return_X_y=True)
        return X, np.where(y == 1, 1, -1)
    if name == "digits":
        X, y = datasets.load_digits(return_X_y=True)
        return X, np.where(y >= 5, 1, -1)
    if name == "wine":
        X, y = datasets.load_wine(return_X_y=True)
        return X, np.where(y == 0, 1, -1)
    raise AssumptionError(f"dataset: unknown dataset {name!r}; known: {', '.join(DATASETS)}")


def prepare(X, y, seed: int = 0, test_size: float = 0.2, name: str = "user") -> Dataset:
    """The documented split and preprocessing, for any (X, y) with two classes.

    ``X``: (n, p) finite features; ``y``: n labels taking exactly two values (the larger one
    maps to +1, the other to -1; {-1, +1} and {0, 1} keep their meaning).  Stratified split
    ``train_test_split(test_size, stratify=y, random_state=seed)``, standardisation with the
    training split's mean and standard deviation (a zero deviation replaced by 1), then an
    intercept column of ones appended.
    """
    from sklearn.model_selection import train_test_split
    try:
        X = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AssumptionError(f"X: need an array of real numbers ({exc})") from None
    if X.ndim != 2 or X.shape[0] < 4 or X.shape[1] < 1:
        raise AssumptionError(f"X: need a 2-d array with at least 4 rows and 1 column, got "
                              f"shape {X.shape}")
    if not np.isfinite(X).all():
        raise AssumptionError("X: need finite values, got a nan or inf")
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise AssumptionError(f"y: need one label per row of X ({X.shape[0]}), got shape "
                              f"{y.shape}")
    classes = np.unique(y)
    if classes.size != 2:
        raise AssumptionError(f"y: need labels of exactly two classes, got {classes.size} "
                              f"({classes[:5].tolist()}{'...' if classes.size > 5 else ''})")
    v.in_range("test_size", test_size, 0.0, 1.0, lo_open=True, hi_open=True)
    b = np.where(y == classes[1], 1.0, -1.0)
    try:
        X_tr, X_te, b_tr, b_te = train_test_split(X, b, test_size=test_size, stratify=b,
                                                  random_state=seed)
    except ValueError as exc:
        raise AssumptionError(f"y: cannot split stratified ({exc})") from None
    mean, sd = X_tr.mean(axis=0), X_tr.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)

    def prep(M):
        return np.hstack([(M - mean) / sd, np.ones((M.shape[0], 1))])

    return Dataset(name, prep(X_tr), b_tr, prep(X_te), b_te)


def load(name: str, seed: int = 0, features: int = 20) -> Dataset:
    """The documented split and preprocessing of dataset ``name`` (``features``: synthetic only)."""
    v.integer("features", features, lo=1)
    X, b = _raw(name, seed, features)
    return prepare(X, b, seed, name=name)


def _loss_grad_hess(A, b, l2, x):
    z = b * (A @ x)
    loss = np.mean(np.logaddexp(0.0, -z)) + 0.5 * l2 * (x @ x)
    s = 0.5 * (1 - np.tanh(z / 2))                       # sigmoid(-z), stable
    grad = -(A.T @ (b * s)) / A.shape[0] + l2 * x
    w = s * (1 - s)
    hess = (A.T * w) @ A / A.shape[0] + l2 * np.eye(A.shape[1])
    return loss, grad, hess


def _per_sample_grads(A, b, l2, x):
    """grad f_i(x) for every training row i (rows of the result)."""
    s = 0.5 * (1 - np.tanh(b * (A @ x) / 2))           # sigmoid(-b a^T x), stable
    return -(A * (b * s)[:, None]) + l2 * x


@dataclasses.dataclass(frozen=True, eq=False)
class LogisticModel:
    """The fitted problem: data, l2, the optimum and the constants of docs/theory.md §1."""

    data: Dataset
    l2: float
    x_star: np.ndarray
    f_star: float
    grad_norm: float
    newton_iterations: int
    mu: float
    L: float  # noqa: N815
    L_batch: float  # noqa: N815
    sigma_star_sq: float

    @property
    def n_train(self) -> int:
        return int(self.data.A_train.shape[0])

    @property
    def dim(self) -> int:
        return int(self.data.A_train.shape[1])

    def minibatch_factor(self, batch_size: int, sampling: str) -> float:
        """Variance of a minibatch mean over that of one sample: 1/B with replacement,
        (n - B)/(B (n - 1)) without."""
        n, B = self.n_train, batch_size
        return 1.0 / B if sampling == "replacement" else (n - B) / (B * (n - 1))

    def minibatch_sigma_star_sq(self, batch_size: int, sampling: str) -> float:
        return self.sigma_star_sq * self.minibatch_factor(batch_size, sampling)

    def per_sample_grads(self) -> np.ndarray:
        """grad f_i(x*), one row per training sample (their mean is grad f(x*) = 0)."""
        return _per_sample_grads(self.data.A_train, self.data.b_train, self.l2, self.x_star)

    def hessian(self) -> np.ndarray:
        """The Hessian of f at x*."""
        return _loss_grad_hess(self.data.A_train, self.data.b_train, self.l2, self.x_star)[2]

    def objective(self, x) -> float:
        return float(_loss_grad_hess(self.data.A_train, self.data.b_train, self.l2,
                                     np.asarray(x, np.float64))[0])


def fit(data: Dataset, l2=None, tol: float = 1e-12, max_iter: int = 100) -> LogisticModel:
    """Newton's method (with backtracking) in float64 to ||grad f|| < tol."""
    A, b = data.A_train, data.b_train
    n = A.shape[0]
    l2 = 1.0 / n if l2 is None else v.in_range("l2", l2, 0.0, None, lo_open=True)
    x = np.zeros(A.shape[1])
    for it in range(1, max_iter + 1):
        f, g, H = _loss_grad_hess(A, b, l2, x)
        if np.linalg.norm(g) < tol:
            break
        step = np.linalg.solve(H, g)
        t = 1.0
        # backtrack while the decrease is measurable; near x* take full (quadratically
        # convergent) steps, since f no longer resolves the decrease in float64
        while (g @ step > 1e-10 and t > 1e-10
               and _loss_grad_hess(A, b, l2, x - t * step)[0] > f - 0.25 * t * (g @ step)):
            t *= 0.5
        x = x - t * step
    f, g, _ = _loss_grad_hess(A, b, l2, x)
    if not np.linalg.norm(g) < tol:
        raise AssumptionError(f"l2: Newton's method did not reach ||grad f|| < {tol:g} "
                              f"(got {np.linalg.norm(g):.3g}); increase l2")
    per_sample = _per_sample_grads(A, b, l2, x)
    return LogisticModel(
        data=data, l2=l2, x_star=x, f_star=float(f), grad_norm=float(np.linalg.norm(g)),
        newton_iterations=it, mu=l2,
        L=float(l2 + np.linalg.eigvalsh(A.T @ A).max() / (4 * n)),
        L_batch=float(l2 + (A * A).sum(axis=1).max() / 4),
        sigma_star_sq=float(np.mean((per_sample ** 2).sum(axis=1))))


@functools.lru_cache(maxsize=None)
def _kind(n: int, batch_size: int, sampling: str) -> Kind:
    """One kind per (n, B, sampling): these fix the shapes and the sampling code."""
    B = batch_size

    def loss(data, x, A_, b_):
        return jnp.mean(jnp.logaddexp(0.0, -b_ * (A_ @ x))) + 0.5 * data["l2"] * jnp.vdot(x, x)

    def epoch_noise(data, key, steps):
        if sampling == "replacement":
            return jax.random.randint(key, (steps, B), 0, n, jnp.int32)
        return jax.random.permutation(key, n)[: steps * B].reshape(steps, B).astype(jnp.int32)

    def grad(data, x, idx):
        value, g = jax.value_and_grad(loss, argnums=1)(data, x, data["A"][idx], data["b"][idx])
        return g, value

    def metrics(data, x):
        A_te, b_te = data["A_test"], data["b_test"]
        margin = b_te * (A_te @ x)
        return {"test_loss": loss(data, x, A_te, b_te) - 0.5 * data["l2"] * jnp.vdot(x, x),
                "test_accuracy": jnp.mean((margin > 0).astype(x.dtype))}

    def sq_dist(data, x):
        return jnp.vdot(x - data["x_star"], x - data["x_star"])

    def subopt(data, x):
        return loss(data, x, data["A"], data["b"]) - data["f_star"]

    return Kind(f"logistic(n={n},B={B},{sampling})", lambda data, key: data["x0"], epoch_noise,
                grad, sq_dist, subopt, metrics)


class LogisticProblem(Problem):
    """The simulator's problem: minibatch gradients from the sampled rows; test loss and
    accuracy recorded at every epoch boundary.  x0 defaults to 0."""

    def __init__(self, model: LogisticModel, batch_size: int = 16, sampling: str = "reshuffle",
                 x0=None):
        n = model.n_train
        B = v.integer("batch_size", batch_size, lo=1)
        if B > n:
            raise AssumptionError(f"batch_size: need batch_size <= n_train = {n}, got {B}")
        if sampling not in SAMPLINGS:
            raise AssumptionError(f"sampling: need one of {SAMPLINGS}, got {sampling!r}")
        self.model, self.batch_size, self.sampling = model, B, sampling
        self.x0 = (np.zeros(model.dim) if x0 is None else
                   v.vector("x0", x0, length=model.dim, length_of="the parameters"))
        self.kind = _kind(n, B, sampling)
        self.mu, self.L = model.mu, model.L

    @property
    def dim(self) -> int:
        return self.model.dim

    def check_steps(self, steps_per_epoch: int) -> None:
        n, B = self.model.n_train, self.batch_size
        if self.sampling == "reshuffle" and steps_per_epoch * B > n:
            raise AssumptionError(f"steps_per_epoch: reshuffling needs steps_per_epoch * "
                                  f"batch_size <= n_train = {n}, got {steps_per_epoch} * {B}")

    def check_lr(self, lr: float) -> None:
        if lr * self.model.L >= 2:
            raise AssumptionError(f"lr: need lr * L < 2 (stability), got lr * L = "
                                  f"{lr * self.model.L:g}")

    def data(self, dtype):
        m = self.model
        return {"A": jnp.asarray(m.data.A_train, dtype), "b": jnp.asarray(m.data.b_train, dtype),
                "A_test": jnp.asarray(m.data.A_test, dtype),
                "b_test": jnp.asarray(m.data.b_test, dtype), "l2": jnp.asarray(m.l2, dtype),
                "x_star": jnp.asarray(m.x_star, dtype), "f_star": jnp.asarray(m.f_star, dtype),
                "x0": jnp.asarray(self.x0, dtype)}

    def _minibatch_covariance(self):
        G = self.model.per_sample_grads()                     # grad f_i(x*), mean zero
        return G.T @ G / self.model.n_train * self.model.minibatch_factor(self.batch_size,
                                                                          self.sampling)

    def cramer_rao(self, t):
        """The asymptotic local limit tr(H^{-1} C_B H^{-1}) / t (H the Hessian and C_B the
        minibatch-gradient covariance at x*): the error of the best unbiased estimator to first
        order, the yardstick of the CR ratio."""
        Hinv = np.linalg.inv(self.model.hessian())
        C = self._minibatch_covariance()
        return float(np.trace(Hinv @ C @ Hinv)) / np.asarray(t, dtype=np.float64)

    def theory(self, lr: float, epochs: int, steps_per_epoch: int) -> dict:
        """Upper bounds on E||x - x*||^2 and the asymptotic Cramer-Rao yardsticks, per boundary.

        ``finite_sum_bound``: SGD_SCHEDULE_FINITE_SUM (SGD_ONE_STEP_FINITE_SUM with (mu, L_B,
        minibatch sigma_*^2) iterated over the steps) at the constant rate (valid for sampling
        with replacement: every minibatch function is mu-strongly convex and L_B-smooth, and the
        bound is increasing and concave in ||y||^2, so Jensen's inequality lets it be iterated in
        expectation; null where it exceeds 1e12 times the start: vacuous at this rate);
        ``constant_step_bound``:
        SGD_CONSTANT_STEP with the bounded-variance constant sigma^2 = sum_i ||a_i||^2 / (n B)
        (each sample's loss gradient has norm <= ||a_i||), null unless lr <= 1/L.  Both hold
        for sampling with replacement; with reshuffling they are references (``bounds_valid``).
        ``cramer_rao_suboptimality`` = tr(C_B H^{-1}) / (2 t), the counterpart for f - f*."""
        from autodrop_theory.bounds import SGD_CONSTANT_STEP
        from autodrop_theory.schedule_bounds import SGD_SCHEDULE_FINITE_SUM
        model, B, K, E = self.model, self.batch_size, steps_per_epoch, epochs
        x = model.x_star
        s2 = model.minibatch_sigma_star_sq(B, self.sampling)
        r = r0 = float(x @ x - 2 * x @ self.x0 + self.x0 @ self.x0)
        constants = dict(mu=model.mu, L=model.L_batch, sigma_star_sq=s2)
        epoch = np.full(K, lr)
        SGD_SCHEDULE_FINITE_SUM(r0_sq=r, lrs=epoch, **constants)   # checks the conditions once
        iterate = SGD_SCHEDULE_FINITE_SUM.numpy()
        fs = [r]
        for _ in range(E):      # one epoch of the iterated one-step bound at a time
            r = float(iterate(epoch, r0_sq=r, **constants))
            fs.append(r)
            if not r < 1e12 * max(r0, 1.0):
                fs = None
                break
        sigma_bv = self._sigma_bv()
        t = np.arange(E + 1) * K
        try:
            cs = SGD_CONSTANT_STEP(mu=model.mu, L=model.L, sigma_sq=sigma_bv, lr=lr, r0_sq=r0,
                                   t=t)
        except AssumptionError:
            cs = None
        cr_f_unit = 0.5 * float(np.trace(self._minibatch_covariance()
                                         @ np.linalg.inv(model.hessian())))
        return {"finite_sum_bound": fs, "constant_step_bound": cs,
                "cramer_rao_suboptimality": [None] + (cr_f_unit / t[1:]).tolist(),
                "bounded_variance_sigma_sq": sigma_bv,
                "bounds_valid": self.sampling == "replacement",
                "cramer_rao": [None] + self.cramer_rao(t[1:]).tolist(),
                "predicted_angle_deg": None}

    def _sigma_bv(self) -> float:
        """BV's sigma^2 = sum_i ||a_i||^2 / (n B): each sample's loss gradient has norm at
        most ||a_i||, and a minibatch of B rows drawn with replacement divides the variance."""
        A = self.model.data.A_train
        return float((A * A).sum() / (self.model.n_train * self.batch_size))

    def bv_constants(self) -> dict:
        covered = self.sampling == "replacement"
        return {"mu": self.model.mu, "L": self.model.L, "sigma_sq": self._sigma_bv(),
                "covered": covered,
                "why": None if covered else "reshuffling: a step's gradient noise is not "
                "unbiased given the past (sampling without replacement)"}

    def record(self) -> dict:
        m = self.model
        return {"name": "logistic_regression", "dataset": m.data.name, "n_train": m.n_train,
                "n_test": int(m.data.A_test.shape[0]), "dim": m.dim,
                "batch_size": self.batch_size, "sampling": self.sampling, "l2": m.l2,
                "f_star": m.f_star, "grad_norm_at_x_star": m.grad_norm,
                "newton_iterations": m.newton_iterations, "mu": m.mu, "L": m.L,
                "L_batch": m.L_batch, "sigma_star_sq": m.sigma_star_sq,
                "minibatch_sigma_star_sq": m.minibatch_sigma_star_sq(self.batch_size,
                                                                     self.sampling)}


def logistic_regression(X, y, *, l2=None, batch_size: int = 16, sampling: str = "reshuffle",
             seed: int = 0, test_size: float = 0.2) -> LogisticProblem:
    """Logistic regression on a user's (X, y): :func:`prepare`, :func:`fit`, the problem."""
    return LogisticProblem(fit(prepare(X, y, seed, test_size), l2), batch_size, sampling)
