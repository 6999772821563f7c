"""Random instances of the quadratic model Q for the generalization study
(docs/studies/generalization.md; docs/theory.md §10).

    draw(split, index) -> Instance          one instance, reproducible from (split, index)
    instances(split, n) -> [Instance]       the first n instances of a split

An instance is a quadratic Q(H, C) with x* = 0, L = 1 (every problem is rescaled to it), an
initial point, a budget and a rate.  Each is drawn from a *family* (spectrum shape, noise shape,
where the initial error sits) and from ranges that span what users run:

- spectrum: ``logspaced`` (h log-spaced in [mu, 1]), ``powerlaw`` (h_i = max(i^-a, mu),
  a ~ U(0.5, 2)), ``clustered`` (two clusters at 1 and mu, 10% log-normal jitter, the stiff
  cluster a U(0.1, 0.9) share); the flattest direction is resolvable in the budget:
  mu = tau / (lr_eff T), tau log-uniform in [5, 500] (lr_eff = lr / (1 - momentum), T = E K),
  clipped to [1e-5, 0.1] (so a budget too short for kappa = 10 leaves its flattest direction
  unresolved; the clustered jitter lowers it by up to about 2x more).  Without this,
  directions that no method can move within T dominate the Cramer-Rao yardstick (every
  method's ratio is then ||y_0||^2 on those directions over a vanishing limit, and "never
  drop" wins it); f - f* is reported as well;
- noise (total variance sigma^2 = 1): ``isotropic`` (c_i = 1/d), ``hessian`` (c_i proportional
  to h_i), ``lowrank`` (1/r on r = ceil(d/10) random coordinates, 0 elsewhere);
- initial error y_0 (a Gaussian direction on its support): ``isotropic`` (every coordinate),
  ``flat`` (the 10% smallest h_i, at least one), ``stiff`` (the 10% largest); its size
  ||y_0||^2 = s * sum_i v_i(lr), s log-uniform in [10, 1e4], i.e. 10 to 10^4 times the noise
  floor of the initial rate (v_i(lr) = lr c_i / (h_i (2 - lr h_i)), docs/theory.md §2c);
- d log-uniform in [2, 1e4], K (steps per epoch) in [1, 400], E (epochs) in [20, 2000], each an
  integer; the product d K E at most :data:`STEP_BUDGET` (redrawn otherwise: the step-level
  peers must run every step of every seed);
- lr L log-uniform in [0.05, 1.9]; heavy-ball momentum 0.9 with probability 1/4, else none.

The split is fixed.  TUNE draws its families from the logspaced and clustered spectra with
isotropic or Hessian-proportional noise (every initial-error placement); TEST draws from all 27
families, so power-law spectra and low-rank noise are seen only on TEST; the two splits use
different numpy streams (``SPLIT_SEEDS``), so no instance is shared.  Defaults are chosen on
TUNE only.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from autodrop_theory.errors import AssumptionError

__all__ = ["Instance", "draw", "instances", "SPECTRA", "NOISES", "INITS", "SPLITS",
           "STEP_BUDGET", "SPLIT_SEEDS"]

SPECTRA = ("logspaced", "powerlaw", "clustered")
NOISES = ("isotropic", "hessian", "lowrank")
INITS = ("isotropic", "flat", "stiff")
SPLITS = {"tune": (("logspaced", "clustered"), ("isotropic", "hessian"), INITS),
          "test": (SPECTRA, NOISES, INITS)}
SPLIT_SEEDS = {"tune": 20261130, "test": 7340155}
STEP_BUDGET = 3 * 10 ** 7
MOMENTUM = 0.9


@dataclasses.dataclass(frozen=True)
class Instance:
    """One drawn problem with its budget; ``problem()`` builds it."""

    split: str
    index: int
    spectrum: str
    noise: str
    init: str
    dim: int
    steps_per_epoch: int
    epochs: int
    lr: float
    momentum: float
    tau: float          # the flattest direction's budget lr_eff mu T before the clip to mu's range
    mu_target: float    # mu = clip(tau / (lr_eff T), 1e-5, 0.1), before the clustered jitter
    hessian_eigs: np.ndarray
    noise_var: np.ndarray
    y0: np.ndarray

    @property
    def family(self) -> str:
        return f"{self.spectrum}/{self.noise}/{self.init}"

    def problem(self):
        from .problems import quadratic
        return quadratic(self.hessian_eigs, self.noise_var, self.y0)

    def record(self) -> dict:
        return {"split": self.split, "index": self.index, "spectrum": self.spectrum,
                "noise": self.noise, "init": self.init, "dim": self.dim,
                "steps_per_epoch": self.steps_per_epoch, "epochs": self.epochs, "lr": self.lr,
                "momentum": self.momentum, "tau": self.tau, "mu_target": self.mu_target,
                "mu": float(self.hessian_eigs.min()),
                "y0_sq": float(self.y0 @ self.y0)}


def _log_uniform(rng, lo, hi):
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def _log_int(rng, lo, hi):
    return int(round(_log_uniform(rng, lo, hi)))


def _spectrum(rng, kind, d, mu):
    if kind == "logspaced":
        h = np.geomspace(mu, 1.0, d) if d > 1 else np.ones(1)
    elif kind == "powerlaw":
        h = np.maximum(np.arange(1, d + 1, dtype=float) ** -rng.uniform(0.5, 2.0), mu)
    else:
        stiff = rng.random(d) < rng.uniform(0.1, 0.9)
        stiff[np.argmax(rng.random(d))] = True                  # at least one at the top
        h = np.where(stiff, 1.0, mu) * np.exp(0.1 * rng.standard_normal(d))
    return np.sort(h / h.max())


def _noise(rng, kind, h):
    d = h.size
    if kind == "isotropic":
        return np.full(d, 1.0 / d)
    if kind == "hessian":
        return h / h.sum()
    r = math.ceil(d / 10)
    c = np.zeros(d)
    c[rng.choice(d, r, replace=False)] = 1.0 / r
    return c


def _initial(rng, kind, h, c, lr):
    d = h.size
    support = np.zeros(d, bool)
    n = max(1, d // 10)
    if kind == "isotropic":
        support[:] = True
    elif kind == "flat":
        support[np.argsort(h, kind="stable")[:n]] = True
    else:
        support[np.argsort(h, kind="stable")[-n:]] = True
    z = np.where(support, rng.standard_normal(d), 0.0)
    floor = float(np.sum(lr * c / (h * (2.0 - lr * h))))
    size = _log_uniform(rng, 10.0, 1e4) * floor
    return z * math.sqrt(size) / np.linalg.norm(z)


def draw(split: str, index: int) -> Instance:
    """Instance number ``index`` of ``split`` ("tune" or "test"); the same arguments give the
    same instance on every machine (numpy's PCG64 seeded by (split seed, index))."""
    if split not in SPLITS:
        raise AssumptionError(f"split: need one of {', '.join(SPLITS)}, got {split!r}")
    if not isinstance(index, int) or index < 0:
        raise AssumptionError(f"index: need an integer >= 0, got {index!r}")
    rng = np.random.default_rng([SPLIT_SEEDS[split], index])
    spectra, noises, inits = SPLITS[split]
    spectrum, noise, init = (str(rng.choice(spectra)), str(rng.choice(noises)),
                             str(rng.choice(inits)))
    while True:
        d, K, E = _log_int(rng, 2, 1e4), _log_int(rng, 1, 400), _log_int(rng, 20, 2000)
        if d * K * E <= STEP_BUDGET:
            break
    lr = _log_uniform(rng, 0.05, 1.9)
    momentum = MOMENTUM if rng.random() < 0.25 else 0.0
    tau = _log_uniform(rng, 5.0, 500.0)
    mu = min(0.1, max(1e-5, tau * (1.0 - momentum) / (lr * K * E)))
    h = _spectrum(rng, spectrum, d, mu)
    c = _noise(rng, noise, h)
    y0 = _initial(rng, init, h, c, lr)
    return Instance(split, index, spectrum, noise, init, d, K, E, lr, momentum, tau, mu, h, c,
                    y0)


def instances(split: str, n: int, start: int = 0) -> list:
    """``n`` instances of ``split`` from index ``start`` on (each is drawn from its own
    (split, index), so a later range is as fresh as the first)."""
    return [draw(split, i) for i in range(start, start + n)]
