"""Bounds for a rate that changes from step to step (docs/theory.md §2d).

A :class:`ScheduleBound` is a :class:`~autodrop_theory.bounds.Bound` whose input includes a rate
sequence ``lrs`` = (eta_0, ..., eta_{T-1}), one rate per step; conditions on the per-step
symbol ``lr_t`` are enforced at every step.  ``expr`` shows the statement with indexed rates
(sympy ``Product``/``Sum``; ``doit()`` evaluates it for a short concrete sequence), and the
numbers come from a vectorised evaluator (``numpy()``, ``jax()``).

- :data:`SGD_SCHEDULE`: any sequence fixed in advance, SC + SM + BV, eta_t (mu + L) <= 2:
  E||y_T||^2 <= P_T ||y_0||^2 + sigma^2 sum_t eta_t^2 P_T / P_{t+1}, P_t = prod_{s<t}
  (1 - eta_s mu)^2.  For eta_t <= 1/L it implies the familiar form with factors 1 - eta_t mu.
- :data:`SGD_ADAPTIVE_SCHEDULE`: a predictable sequence (eta_t chosen from what was observed
  before step t): E[ ||y_T||^2/P_T - sigma^2 sum_t eta_t^2/P_{t+1} ] <= ||y_0||^2.  Its value
  is the right side; :func:`adaptive_statistic` computes the left side of one run, scaled.
- :data:`SGD_SCHEDULE_FINITE_SUM`: the tight one-step finite-sum bound (§2b) iterated with each
  step's own rate (sampling with replacement).
- :data:`SGD_QUADRATIC_SCHEDULE`: the exact E||y_T||^2 under Q for any sequence (§2c).
- :data:`CONVEX_LAST_ITERATE`: mu = 0, the last iterate of SGD with any sequence (Defazio,
  Cutkosky, Mehta, Mishchenko 2023, Thm 10; the bound Schaipp et al., ICML 2025, evaluate).

Example:
    >>> float(SGD_SCHEDULE(mu=0.5, L=1.0, sigma_sq=0.0, r0_sq=4.0, lrs=[1.0, 1.0]))
    0.25
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Callable, Optional

import numpy as np
import sympy as sp

from . import _validate as v
from . import symbols as S
from .assumptions import check_conditions
from .bounds import SGD_ONE_STEP_FINITE_SUM, Bound
from .errors import AssumptionError
from .symbols import Ge as _Ge, Gt as _Gt, Le as _Le, Lt as _Lt

__all__ = ["ScheduleBound", "SGD_SCHEDULE", "SGD_ADAPTIVE_SCHEDULE", "SGD_SCHEDULE_FINITE_SUM",
           "SGD_QUADRATIC_SCHEDULE", "CONVEX_LAST_ITERATE", "SCHEDULE_BOUNDS",
           "adaptive_statistic", "RATES"]


@dataclasses.dataclass(frozen=True)
class ScheduleBound(Bound):
    """A bound whose input is a rate sequence ``lrs`` plus scalars (and, under Q, per-coordinate
    arrays ``per_coordinate``: keyword -> symbol).  ``evaluator(xp, lrs, **rest)`` computes it
    with the array module ``xp`` (numpy or jax.numpy); None where only numpy serves."""

    evaluator: Optional[Callable] = None
    jax_ready: bool = True
    per_coordinate: tuple = ()

    @property
    def symbols(self) -> tuple:
        syms = set()
        for cond in self.conditions:
            syms |= cond.free_symbols
        return tuple(sorted(syms, key=lambda s: s.name))

    @property
    def keywords(self) -> tuple:
        coord = dict((sym.name, kw) for kw, sym in self.per_coordinate)
        names = {coord.get(s.name, s.name) for s in self.symbols if s is not S.lr_t}
        return tuple(sorted(names | {"lrs"} | {kw for kw, _ in self.per_coordinate}))

    def __call__(self, **numbers):
        self._check_keywords(numbers)
        lrs = v.vector("lrs", numbers["lrs"])
        coord = dict(self.per_coordinate)
        args, checks = {}, {S.lr_t.name: lrs[:, None] if coord else lrs}
        for key, value in numbers.items():
            if key == "lrs":
                continue
            if key in coord:
                a = v.vector(key, value)
                checks[coord[key].name] = a[None, :]
            else:
                a = v.real_scalar(key, value)
                checks[key] = a
            args[key] = a
        if coord and len({args[k].size for k in coord}) > 1:
            raise AssumptionError(f"{self.name}: coordinate arrays {sorted(coord)} differ in "
                                  "length")
        check_conditions(self.name, self.conditions, checks)
        return self.evaluator(np, lrs, **args)

    def numpy(self):
        """Unchecked numpy evaluator: ``fn(lrs, **scalars)``."""
        return functools.partial(self.evaluator, np)

    def jax(self):
        """Unchecked ``jax.numpy`` evaluator (traceable), keywords as in ``__call__``."""
        if not self.jax_ready:
            raise AssumptionError(f"{self.name}: evaluated on the host in float64 only; use "
                                  "numpy()")
        import jax.numpy as jnp
        return functools.partial(self.evaluator, jnp)


# indexed notation for the displayed statements: RATES[t] is eta_t
RATES = sp.IndexedBase("eta")
_eta = RATES
_s, _t, _k = (sp.Symbol(n, integer=True, nonnegative=True) for n in ("s", "t", "k"))


def _suffix_log(xp, logq):
    """suffix[t] = sum_{s >= t} logq[s] for t = 0..T (suffix[T] = 0)."""
    rev = xp.cumsum(logq[::-1])[::-1]
    return xp.concatenate([rev, xp.zeros((1,), rev.dtype)])


def _log_contraction(xp, lrs, mu):
    # |1 - lr mu| = 0 (lr = 1/mu = 1/L) contracts to 0: log 0 as a very negative finite number
    return 2.0 * xp.log(xp.maximum(xp.abs(1.0 - lrs * mu), 1e-300))


# ------------------------------------------------------------------ any fixed sequence
def _schedule(xp, lrs, *, mu, L, sigma_sq, r0_sq):  # noqa: N803
    suffix = _suffix_log(xp, _log_contraction(xp, xp.asarray(lrs), mu))
    return xp.exp(suffix[0]) * r0_sq + sigma_sq * xp.sum(xp.asarray(lrs) ** 2
                                                           * xp.exp(suffix[1:]))


_q_s = (1 - _eta[_s] * S.mu) ** 2
_sched_conditions = (_Gt(S.mu, 0), _Le(S.mu, S.L), _Gt(S.lr_t, 0), _Le(S.lr_t * (S.mu + S.L), 2),
                     _Ge(S.sigma_sq, 0), _Ge(S.r0_sq, 0))
SGD_SCHEDULE = ScheduleBound(
    name="SGD_SCHEDULE",
    expr=sp.Product(_q_s, (_s, 0, S.T - 1)) * S.r0_sq
    + S.sigma_sq * sp.Sum(_eta[_t] ** 2 * sp.Product(_q_s, (_s, _t + 1, S.T - 1)),
                          (_t, 0, S.T - 1)),
    conditions=_sched_conditions,
    assumptions=("SC", "SM", "BV"),
    kind="upper", rate_exponent=None, rate_variable=None,
    reference="docs/theory.md §2d: the sharp one-step contraction E||y_{t+1}||^2 <= (1 - eta_t "
              "mu)^2 E||y_t||^2 + eta_t^2 sigma^2 (eta_t (mu + L) <= 2; interpolation "
              "inequality, Nesterov 2004 Thm 2.1.12) applied at every step, unrolled.",
    proof="sgd_schedule",
    evaluator=_schedule,
)


# ------------------------------------------------------------------ predictable sequences
def _adaptive(xp, lrs, *, mu, L, sigma_sq, r0_sq):  # noqa: N803
    return xp.asarray(r0_sq)


SGD_ADAPTIVE_SCHEDULE = ScheduleBound(
    name="SGD_ADAPTIVE_SCHEDULE",
    expr=S.r0_sq,
    conditions=_sched_conditions + (_Lt(S.lr_t * S.mu, 1),),
    assumptions=("SC", "SM", "AD"),
    kind="upper", rate_exponent=None, rate_variable=None,
    reference="This project (docs/theory.md §2d): under AD (the rate known before the step's "
              "noise, the noise unbiased with conditional variance <= sigma^2 given the past, "
              "eta_t mu <= 1 - delta), Z_t = ||y_t||^2/P_t - sigma^2 sum_{s<t} eta_s^2/P_{s+1} "
              "(P_t = prod_{s<t} (1 - eta_s mu)^2) is a supermartingale, so E Z_T <= "
              "||y_0||^2; the value of this bound is that right side, and "
              "adaptive_statistic computes one run's left side.",
    proof="sgd_adaptive_schedule",
    evaluator=_adaptive,
)


def adaptive_statistic(*, mu, L, sigma_sq, lrs, sq_dist_start, sq_dist_end,  # noqa: N803
                       lr_ref, total_steps=None, start_step=0):
    """One segment's scaled left side minus right side of :data:`SGD_ADAPTIVE_SCHEDULE`:
        c (Z_T - ||y_start||^2) = c ||y_end||^2/P_T - sigma^2 sum_t eta_t^2 c/P_{t+1}
                                  - c ||y_start||^2,
    with the deterministic scale c = (1 - lr_ref mu)^(2 (total_steps - start_step)) that keeps
    every term finite (c/P_t <= 1 while eta_t <= lr_ref).  Its expectation is <= 0 for every
    predictable sequence inside the conditions; a run of several segments (the rate rule
    moved x outside an SGD step, e.g. AutoDrop's jump to a tail average) adds one such term per
    segment, each restarted at its first point (docs/theory.md §2d).  ``total_steps`` defaults
    to the end of this segment.  Vectorised over runs: ``lrs`` of shape (runs, T) with
    ``sq_dist_end`` of shape (runs,) gives one value per run."""
    lrs = np.asarray(lrs, dtype=np.float64)
    if lrs.ndim not in (1, 2) or lrs.shape[-1] == 0:
        raise AssumptionError(f"lrs: need shape (T,) or (runs, T) with T >= 1, got {lrs.shape}")
    SGD_ADAPTIVE_SCHEDULE(mu=mu, L=L, sigma_sq=sigma_sq, r0_sq=sq_dist_start,
                          lrs=lrs.reshape(-1))
    end = np.asarray(sq_dist_end, dtype=np.float64)
    if end.shape != lrs.shape[:-1] or not np.all(np.isfinite(end) & (end >= 0)):
        raise AssumptionError(f"sq_dist_end: need finite values >= 0 of shape {lrs.shape[:-1]}")
    lr_ref = v.in_range("lr_ref", lr_ref, 0.0, 1.0 / mu, lo_open=True, hi_open=True)
    steps = lrs.shape[-1] if total_steps is None else \
        v.integer("total_steps", total_steps) - v.integer("start_step", start_step, lo=0)
    log_c = 2.0 * np.log1p(-lr_ref * mu) * steps
    logp = np.cumsum(_log_contraction(np, lrs, mu), axis=-1)
    w = np.exp(log_c - logp)                      # c / P_t, t = 1..T
    return (w[..., -1] * end - sigma_sq * np.sum(lrs ** 2 * w, axis=-1)
            - np.exp(log_c) * sq_dist_start)


# ------------------------------------------------------------------ finite sums
def _iterate_finite_sum(xp, lrs, *, mu, L, sigma_star_sq, r0_sq):  # noqa: N803
    """r_{t+1} = phi_{eta_t}(r_t): a host loop over the steps in numpy, a scan in JAX."""
    if xp is np:
        fn = SGD_ONE_STEP_FINITE_SUM.numpy()
        vals = dict(mu=mu, L=L, sigma_star_sq=sigma_star_sq)
        order = [sym.name for sym in SGD_ONE_STEP_FINITE_SUM.symbols]
        r = np.float64(r0_sq)            # numpy scalars: a vacuous bound overflows to inf
        with np.errstate(over="ignore", invalid="ignore"):
            for lr in np.asarray(lrs, dtype=np.float64):
                vals.update(r0_sq=r, lr=lr)
                r = np.float64(fn(*[vals[n] for n in order]))
        return float(r)
    import jax
    step = SGD_ONE_STEP_FINITE_SUM.jax()

    def body(r, lr):
        return step(mu=mu, L=L, sigma_star_sq=sigma_star_sq, r0_sq=r, lr=lr), None
    return jax.lax.scan(body, xp.asarray(r0_sq, xp.asarray(lrs).dtype), xp.asarray(lrs))[0]


SGD_SCHEDULE_FINITE_SUM = ScheduleBound(
    name="SGD_SCHEDULE_FINITE_SUM",
    expr=sp.Function("Phi_T")(S.r0_sq),       # phi_{eta_{T-1}} o ... o phi_{eta_0}
    conditions=(_Gt(S.mu, 0), _Le(S.mu, S.L), _Gt(S.lr_t, 0), _Ge(S.sigma_star_sq, 0),
                _Ge(S.r0_sq, 0)),
    assumptions=("FS",),
    kind="upper", rate_exponent=None, rate_variable=None,
    reference="docs/theory.md §2d: SGD_ONE_STEP_FINITE_SUM (§2b) composed over the steps, "
              "r_{t+1} = phi_{eta_t}(r_t), phi the one-step worst case as a function of "
              "r = E||y_t||^2.  Valid for sampling with replacement: phi is nondecreasing and "
              "concave in r, so E phi(||y_t||^2) <= phi(E||y_t||^2) (Jensen) <= phi(r_t).",
    proof=None,
    evaluator=_iterate_finite_sum,
)


# ------------------------------------------------------------------ model Q, exact
def _quadratic(xp, lrs, *, hessian_eigs, noise_var, y0):
    from .angular import expected_sq_dist
    return float(expected_sq_dist(hessian_eigs, noise_var, y0, np.asarray(lrs), 1)[-1])


_a_s = (1 - _eta[_s] * S.h)
SGD_QUADRATIC_SCHEDULE = ScheduleBound(
    name="SGD_QUADRATIC_SCHEDULE",
    expr=sp.Sum(sp.Product(_a_s ** 2, (_s, 0, S.T - 1)) * sp.IndexedBase("y0")[S.i] ** 2
                + sp.IndexedBase("c")[S.i] * sp.Sum(
                    _eta[_t] ** 2 * sp.Product(_a_s ** 2, (_s, _t + 1, S.T - 1)),
                    (_t, 0, S.T - 1)), (S.i, 1, S.d)),
    conditions=(_Gt(S.h, 0), _Lt(S.lr_t * S.h, 2), _Gt(S.lr_t, 0), _Ge(S.c, 0)),
    assumptions=("Q",),
    kind="tight", rate_exponent=None, rate_variable=None,
    reference="docs/theory.md §2c for any sequence: per coordinate y <- (1 - eta_t h_i) y - "
              "eta_t xi_i, so the second moment follows the linear recursion exactly "
              "(angular.expected_sq_dist with one step per epoch).",
    proof=None,
    evaluator=_quadratic, jax_ready=False,
    per_coordinate=(("hessian_eigs", S.h), ("noise_var", S.c), ("y0", S.y0)),
)


# ------------------------------------------------------------------ convex, last iterate
def _convex_last(xp, lrs, *, D_sq, G_sq):  # noqa: N803
    lrs = xp.asarray(lrs)
    total = xp.sum(lrs)
    tail = total - xp.cumsum(lrs) + lrs              # beta_k = sum_{t >= k} eta_t
    sq_tail = xp.cumsum((lrs ** 2)[::-1])[::-1]      # sum_{t >= k} eta_t^2
    after = tail[1:]                                 # alpha_k = sum_{t > k} eta_t, k < T-1
    refine = 0.5 * G_sq * xp.sum(lrs[:-1] / after * sq_tail[:-1] / tail[:-1])
    return (D_sq + G_sq * xp.sum(lrs ** 2)) / (2.0 * total) + refine


CONVEX_LAST_ITERATE = ScheduleBound(
    name="CONVEX_LAST_ITERATE",
    expr=(S.D_sq + S.G_sq * sp.Sum(_eta[_t] ** 2, (_t, 1, S.T)))
    / (2 * sp.Sum(_eta[_t], (_t, 1, S.T)))
    + S.G_sq / 2 * sp.Sum(
        _eta[_k] / sp.Sum(_eta[_t], (_t, _k + 1, S.T))
        * sp.Sum(_eta[_t] ** 2, (_t, _k, S.T)) / sp.Sum(_eta[_t], (_t, _k, S.T)),
        (_k, 1, S.T - 1)),
    conditions=(_Gt(S.lr_t, 0), _Ge(S.D_sq, 0), _Ge(S.G_sq, 0)),
    assumptions=("CV",),
    kind="upper", rate_exponent=None, rate_variable=None,
    reference="Defazio, Cutkosky, Mehta, Mishchenko, 'Optimal linear decay learning rate "
              "schedules and further refinements' (arXiv 2310.07831, 2023), Thm 10; evaluated "
              "for schedules by Schaipp, Hagele, Taylor, Simsekli, Bach, 'The surprising "
              "agreement between convex optimization theory and learning-rate scheduling for "
              "large model training' (ICML 2025).  f convex with a minimiser x*, ||x_1 - x*||^2 "
              "<= D^2, E||g_t||^2 <= G^2; x_{t+1} = x_t - eta_t g_t; the bound is on "
              "E f(x_T) - f*, x_T the point reached after T - 1 steps (eta_T weighs it in the "
              "regret sum; it is never applied).",
    proof=None,
    evaluator=_convex_last,
)

SCHEDULE_BOUNDS = {b.name: b for b in (SGD_SCHEDULE, SGD_ADAPTIVE_SCHEDULE,
                                        SGD_SCHEDULE_FINITE_SUM, SGD_QUADRATIC_SCHEDULE,
                                        CONVEX_LAST_ITERATE)}
