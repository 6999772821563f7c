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
sigma_*^2 = (1/n) sum_i ||grad f_i(x*)||^2 (FS of THEORY.md), and of a minibatch of B rows:
sigma_*^2 / B with replacement, sigma_*^2 (n - B) / (B (n - 1)) without.  Each minibatch
function is mu-strongly convex and L_B-smooth with L_B = l2 + max_i ||a_i||^2 / 4.

Sampling: one epoch is K = steps_per_epoch minibatches of B rows; ``reshuffle`` (default) takes
them from a fresh permutation of the training rows each epoch (without replacement, needs
K B <= n), ``replacement`` draws every row uniformly with replacement.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from autodrop_theory import _validate as v
from autodrop_theory.errors import AssumptionError

from .problems import Problem

__all__ = ["DATASETS", "Dataset", "load", "LogisticModel", "fit", "logistic_problem"]

DATASETS = ("synthetic", "breast_cancer", "digits", "wine")
SAMPLINGS = ("reshuffle", "replacement")


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


def load(name: str, seed: int = 0, features: int = 20) -> Dataset:
    """The documented split and preprocessing of dataset ``name`` (``features``: synthetic only)."""
    from sklearn.model_selection import train_test_split
    v.integer("features", features, lo=1)
    X, b = _raw(name, seed, features)
    X_tr, X_te, b_tr, b_te = train_test_split(X.astype(np.float64), b, test_size=0.2,
                                              stratify=b, random_state=seed)
    mean, sd = X_tr.mean(axis=0), X_tr.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)

    def prep(M):
        return np.hstack([(M - mean) / sd, np.ones((M.shape[0], 1))])

    return Dataset(name, prep(X_tr), b_tr.astype(np.float64), prep(X_te), b_te.astype(np.float64))


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
    """The fitted problem: data, l2, the optimum and the constants of THEORY.md section 1."""

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


def logistic_problem(model: LogisticModel, batch_size: int, sampling: str = "reshuffle",
                     dtype=jnp.float32, x0=None) -> Problem:
    """The engine's Problem: minibatch gradients from the sampled rows; test loss and accuracy
    recorded at every epoch boundary (``metrics``).  x0 defaults to 0."""
    n = model.n_train
    B = v.integer("batch_size", batch_size, lo=1)
    if B > n:
        raise AssumptionError(f"batch_size: need batch_size <= n_train = {n}, got {B}")
    if sampling not in SAMPLINGS:
        raise AssumptionError(f"sampling: need one of {SAMPLINGS}, got {sampling!r}")
    A = jnp.asarray(model.data.A_train, dtype)
    b = jnp.asarray(model.data.b_train, dtype)
    A_te = jnp.asarray(model.data.A_test, dtype)
    b_te = jnp.asarray(model.data.b_test, dtype)
    l2 = jnp.asarray(model.l2, dtype)
    x_star = jnp.asarray(model.x_star, dtype)
    f_star = jnp.asarray(model.f_star, dtype)
    half = jnp.asarray(0.5, dtype)

    def loss(x, A_, b_):
        return jnp.mean(jnp.logaddexp(0.0, -b_ * (A_ @ x))) + half * l2 * jnp.vdot(x, x)

    def epoch_noise(key, steps):
        if sampling == "replacement":
            return jax.random.randint(key, (steps, B), 0, n, jnp.int32)
        if steps * B > n:
            raise AssumptionError(f"steps_per_epoch: reshuffling needs steps_per_epoch * "
                                  f"batch_size <= n_train = {n}, got {steps} * {B}")
        return jax.random.permutation(key, n)[: steps * B].reshape(steps, B).astype(jnp.int32)

    def grad(x, idx):
        value, g = jax.value_and_grad(loss)(x, A[idx], b[idx])
        return g, value

    def metrics(x):
        margin = b_te * (A_te @ x)
        return {"test_loss": loss(x, A_te, b_te) - half * l2 * jnp.vdot(x, x),
                "test_accuracy": jnp.mean((margin > 0).astype(dtype))}

    x_init = jnp.zeros(model.dim, dtype) if x0 is None else jnp.asarray(x0, dtype)
    return Problem(x_init, epoch_noise, grad, lambda x: jnp.vdot(x - x_star, x - x_star),
                   lambda x: loss(x, A, b) - f_star, metrics)
