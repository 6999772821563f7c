"""Convergence bounds as small frozen objects: a sympy expression, its conditions, its source.

A :class:`Bound` holds
    ``expr``          the bound (sympy, exact rationals); for a per-coordinate bound of the
                      quadratic model, a ``Sum`` over coordinates i of ``term``;
    ``conditions``    sympy relations that every evaluation enforces (for per-coordinate symbols,
                      at every coordinate);
    ``assumptions``   names of the assumption sets of docs/theory.md §1 (see ``assumptions``);
    ``kind``          ``"upper"``, ``"lower"`` or ``"tight"`` (attained by some instance);
    ``rate_exponent`` and ``rate_variable``: the bound behaves like rate_variable ** rate_exponent
                      as rate_variable -> infinity (T, t) or -> 0 (eps); None where it does not
                      decay like a power;
    ``reference``     where it comes from, with a theorem locator;
    ``proof``         the name of the machine-checked proof in ``proofs`` that establishes it.
Bounds over a rate sequence (one rate per step) are in :mod:`autodrop_theory.schedule_bounds`.
``bound(**numbers)`` checks the conditions first and raises :class:`AssumptionError` naming the
violated one; ``bound.numpy()`` and ``bound.jax()`` give unchecked evaluators (lambdify).

Example:
    >>> float(SGD_CONSTANT_STEP(mu=0.5, L=1.0, sigma_sq=0.0, lr=1.0, r0_sq=4.0, t=2))
    1.0
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Optional

import numpy as np
import sympy as sp

from . import symbols as S
from .symbols import Ge as _Ge, Gt as _Gt, Le as _Le, Lt as _Lt
from .assumptions import ASSUMPTIONS, check_conditions
from .errors import AssumptionError
from .numeric import lambdified

__all__ = ["Bound", "SGD_CONSTANT_STEP", "SGD_ONE_STEP_FINITE_SUM", "SGD_QUADRATIC_EXACT",
           "STAGEWISE", "STAGEWISE_FIRST_STAGE", "ITERATION_COMPLEXITY",
           "ITERATION_COMPLEXITY_CONSTANT", "ITERATION_COMPLEXITY_STAGEWISE", "CRAMER_RAO",
           "STAGEWISE_CONSTANT", "BOUNDS"]

KINDS = ("upper", "lower", "tight")
_CHUNK_NUMBERS = 10 ** 7      # numbers per chunk when a per-coordinate bound is evaluated


@dataclasses.dataclass(frozen=True)
class Bound:
    name: str
    expr: sp.Expr
    conditions: tuple
    assumptions: tuple
    kind: str
    rate_exponent: Optional[float]
    rate_variable: Optional[sp.Symbol]
    reference: str
    proof: Optional[str] = None          # None: no machine-checked proof is claimed
    # per-coordinate bounds (model Q): keyword -> symbol of the summand, and the summand
    coordinates: tuple = ()
    term: Optional[sp.Expr] = None
    # a numerically stable evaluator of the summand (or the bound), (xp, **symbol values),
    # where the lambdified expression cancels catastrophically; equal to it in exact arithmetic
    stable: Optional[Callable] = None
    # points of the conditions that ``proof`` does not reach (its assumptions make a condition
    # strict), each proved separately: ((the edge as an equality, proof name), ...)
    edges: tuple = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise AssumptionError(f"kind: need one of {KINDS}, got {self.kind!r}")
        unknown = [a for a in self.assumptions if a not in ASSUMPTIONS]
        if unknown:
            raise AssumptionError(f"assumptions: unknown assumption set {unknown[0]!r}")
        if bool(self.coordinates) != (self.term is not None):
            raise AssumptionError("coordinates and term go together")

    # -- the symbols and keywords ------------------------------------------------------------
    @property
    def _body(self) -> sp.Expr:
        return self.term if self.term is not None else self.expr

    @property
    def symbols(self) -> tuple:
        """The symbols of the evaluated expression and its conditions, sorted by name."""
        syms = set(self._body.free_symbols)
        for cond in self.conditions:
            syms |= cond.free_symbols
        return tuple(sorted(syms, key=lambda s: s.name))

    @property
    def keywords(self) -> tuple:
        """The keywords ``__call__`` takes (coordinate arrays under their keyword names)."""
        coord = dict((sym.name, kw) for kw, sym in self.coordinates)
        return tuple(sorted(coord.get(s.name, s.name) for s in self.symbols))

    def latex(self) -> str:
        return sp.latex(self.expr, symbol_names=S.LATEX_NAMES)

    # -- evaluation -----------------------------------------------------------------------------
    def _check_keywords(self, numbers: dict) -> None:
        names = set(self.keywords)
        missing, extra = names - set(numbers), set(numbers) - names
        if missing or extra:
            raise AssumptionError(f"{self.name}: need keywords {sorted(names)}; missing "
                                  f"{sorted(missing)}, unexpected {sorted(extra)}")

    def _arguments(self, numbers: dict) -> dict:
        self._check_keywords(numbers)
        coord = dict(self.coordinates)
        args = {}
        for key, value in numbers.items():
            if isinstance(value, (bool, np.bool_)) or np.asarray(value).dtype == bool:
                raise AssumptionError(f"{key}: need a number, got a bool {value!r}")
            a = np.asarray(value, dtype=np.float64)
            if not np.all(np.isfinite(a)):
                raise AssumptionError(f"{key}: need finite values, got {value!r}")
            if key in coord:
                if a.ndim != 1 or a.size == 0:
                    raise AssumptionError(f"{key}: need a non-empty 1-d array, got shape "
                                          f"{a.shape}")
                args[coord[key].name] = a
            else:
                args[key] = a
        if self.coordinates:
            sizes = {args[s.name].size for _, s in self.coordinates}
            if len(sizes) > 1:
                raise AssumptionError(f"{self.name}: coordinate arrays "
                                      f"{[kw for kw, _ in self.coordinates]} differ in length")
            coord_names = {s.name for _, s in self.coordinates}
            # scalars (or arrays of scalars) broadcast against the coordinate axis (last)
            args = {k: (a if k in coord_names else a[..., None]) for k, a in args.items()}
        return args

    def __call__(self, **numbers):
        """Evaluate after checking every condition; numpy arrays broadcast."""
        args = self._arguments(numbers)
        check_conditions(self.name, self.conditions, args)
        return self._evaluate(self.numpy(), args)

    def _evaluate(self, fn, args):
        if not self.coordinates:
            return fn(*[args[s.name] for s in self.symbols])
        # a per-coordinate bound sums over the last axis; it is evaluated over chunks of the
        # coordinates, so that other arguments' shapes (e.g. t for every epoch) times d never
        # materialise at once (d = 10^7 and 100 values of t would be 8 GB)
        coord = {s.name for _, s in self.coordinates}
        d = args[next(iter(coord))].shape[-1]
        step = max(1, _CHUNK_NUMBERS // max(1, int(np.prod(np.broadcast_shapes(
            *(np.shape(a)[:-1] for a in args.values()))))))
        return sum(np.sum(fn(*[args[s.name][..., i:i + step] if s.name in coord
                               else args[s.name] for s in self.symbols]), axis=-1)
                   for i in range(0, d, step))

    def numpy(self):
        """Unchecked numpy evaluator of the summand (or the bound) in ``self.symbols`` order."""
        return self._lambdify("numpy")

    def _lambdify(self, module):
        if self.stable is None:
            return lambdified(self.symbols, self._body, module)
        xp = np if module == "numpy" else __import__("jax.numpy", fromlist=["numpy"])
        names = [s.name for s in self.symbols]
        return lambda *args: self.stable(xp, **dict(zip(names, args)))

    def jax(self):
        """Unchecked ``jax.numpy`` evaluator, keyword arguments as in ``__call__``; traceable."""
        import jax.numpy as jnp
        fn = self._lambdify("jax")
        coord = dict((sym.name, kw) for kw, sym in self.coordinates)

        def evaluate(**numbers):
            vals = []
            for s in self.symbols:
                a = jnp.asarray(numbers[coord.get(s.name, s.name)])
                vals.append(a if (s.name in coord or not self.coordinates) else a[..., None])
            out = fn(*vals)
            return jnp.sum(out, axis=-1) if self.coordinates else out
        return evaluate


def _coordinate_sum(term: sp.Expr, coordinates) -> sp.Expr:
    """sum_{i=1}^{d} term(h_i, c_i, ...), written with indexed symbols for display."""
    sub = {sym: sp.IndexedBase(sym.name)[S.i] for _, sym in coordinates}
    return sp.Sum(term.subs(sub), (S.i, 1, S.d))


# ------------------------------------------------------------------ docs/theory.md §2a
SGD_CONSTANT_STEP = Bound(
    name="SGD_CONSTANT_STEP",
    expr=(1 - S.lr * S.mu) ** S.t * S.r0_sq + S.lr * S.sigma_sq / S.mu,
    conditions=(_Gt(S.mu, 0), _Le(S.mu, S.L), _Gt(S.lr, 0), _Le(S.lr * S.L, 1),
                _Ge(S.sigma_sq, 0), _Ge(S.r0_sq, 0), _Ge(S.t, 0)),
    assumptions=("SC", "SM", "BV"),
    kind="upper",
    rate_exponent=None, rate_variable=S.t,
    reference="docs/theory.md §2a: E||y_{t+1}||^2 <= (1 - eta mu) E||y_t||^2 + eta^2 sigma^2 for "
              "0 < eta <= 1/L (expand the square; co-coercivity; strong convexity), unrolled.",
    proof="sgd_constant_step",
)

# ------------------------------------------------------------------ docs/theory.md §2b
_a, _b = (1 - S.lr * S.mu), (1 - S.lr * S.L)
SGD_ONE_STEP_FINITE_SUM = Bound(
    name="SGD_ONE_STEP_FINITE_SUM",
    expr=(_a ** 2 + _b ** 2) / 2 * S.r0_sq + S.lr ** 2 * S.sigma_star_sq
    + (S.L - S.mu) * S.lr * sp.sqrt((2 - S.lr * (S.mu + S.L)) ** 2 * S.r0_sq ** 2 / 4
                                    + S.lr ** 2 * S.sigma_star_sq * S.r0_sq),
    conditions=(_Gt(S.mu, 0), _Le(S.mu, S.L), _Gt(S.lr, 0), _Ge(S.sigma_star_sq, 0),
                _Ge(S.r0_sq, 0)),
    assumptions=("FS",),
    kind="tight",
    rate_exponent=None, rate_variable=None,
    reference="docs/theory.md §2b. The same closed form, for every eta, is the 'empirically "
              "tight' guarantee of one SGD step reported with the performance-estimation "
              "toolboxes (PESTO, Taylor, Hendrickx, Glineur 2017; PEPit's SGD example wc_sgd; "
              "Taylor & Bach, COLT 2019), found there by solving the SDP numerically; this "
              "package adds its proof (a machine-checked S-lemma certificate) and an instance "
              "attaining it, and tests it against PEPit's SDP value.  "
              "The exact worst case of E||y_1||^2 over all finite "
              "sums of L-smooth, mu-strongly convex f_i with variance sigma_*^2 at x*, for every "
              "step size eta > 0.  Derivation: the two-point interpolation condition of each f_i "
              "(<u_i, y_0> >= mu L/(mu+L) ||y_0||^2 + ||u_i||^2/(mu+L), u_i = grad f_i(x_0) - "
              "grad f_i(x*)) with multiplier lambda, the mean-zero condition E<grad f_i(x*), y_0> "
              "= 0 with a free multiplier, and the S-lemma; minimising over lambda in closed form "
              "gives this value.  It is attained by two quadratic components in dimension 2 "
              "(tests search for the worst instance and meet it to 1e-9).  At sigma_* = 0 it is "
              "max((1 - eta mu)^2, (1 - eta L)^2) ||y_0||^2, the exact rate of gradient descent; "
              "for eta <= 1/L it is below the usual bound (1 - 2 eta mu (1 - eta L)) ||y_0||^2 + "
              "2 eta^2 sigma_*^2 from ||a + b||^2 <= 2||a||^2 + 2||b||^2 (as in Gower et al., "
              "'SGD: general analysis and improved rates', ICML 2019), by up to a factor 2.",
    proof="sgd_one_step_finite_sum",
    edges=((sp.Eq(S.L, S.mu), "sgd_one_step_finite_sum_equal"),
           (sp.Eq(S.r0_sq, 0), "sgd_one_step_finite_sum_origin")),
)

# ------------------------------------------------------------------ docs/theory.md §2c
_q = 1 - S.lr * S.h
_term_exact = _q ** (2 * S.t) * S.y0 ** 2 + S.lr ** 2 * S.c * (1 - _q ** (2 * S.t)) / (1 - _q ** 2)
_coords_exact = (("hessian_eigs", S.h), ("noise_var", S.c), ("y0", S.y0))


def _exact_stable(xp, *, h, c, y0, lr, t):
    """The §2c summand without cancellation: q^{2t} = exp(2t log|q|) and
    (1 - q^{2t})/(1 - q^2) = -expm1(2t log|q|)/(h lr (2 - h lr)), q = 1 - h lr (the naive form
    is 0/0 once h lr < 1e-16)."""
    x = h * lr
    small = x < 0.5
    log_abs_q = xp.where(small, xp.log1p(-xp.where(small, x, 0.0)),
                         xp.log(xp.maximum(xp.abs(1.0 - x), 1e-300)))   # q = 0: q^{2t} = 0
    e = 2.0 * t * log_abs_q
    # sum_{j<t} q^{2j}; its limit t where h lr underflows to 0
    geo = xp.where(x > 0.0, -xp.expm1(e) / xp.where(x > 0.0, x * (2.0 - x), 1.0), t)
    return xp.exp(e) * y0 ** 2 + lr ** 2 * c * geo
SGD_QUADRATIC_EXACT = Bound(
    name="SGD_QUADRATIC_EXACT",
    expr=_coordinate_sum(_term_exact, _coords_exact),
    conditions=(_Gt(S.h, 0), _Lt(S.lr * S.h, 2), _Gt(S.lr, 0), _Ge(S.c, 0),
                _Ge(S.t, 0)),
    assumptions=("Q",),
    kind="tight",
    rate_exponent=None, rate_variable=S.t,
    reference="docs/theory.md §2c: E||y_t||^2 = sum_i a_i^{2t} y_{0,i}^2 "
              "+ eta^2 c_i (1 - a_i^{2t}) / (1 - a_i^2), a_i = 1 - eta h_i (exact; h_i > 0 here, see angular.expected_sq_dist "
              "for h_i = 0).",
    proof="sgd_quadratic_exact",
    coordinates=_coords_exact, term=_term_exact, stable=_exact_stable,
)

# ------------------------------------------------------------------ docs/theory.md §3a
STAGEWISE_CONSTANT = 2 * (sp.log(2 / S.rho) + S.lr * S.mu) / (1 - S.rho)
STAGEWISE_FIRST_STAGE = sp.ceiling(
    sp.Max(0, sp.log(S.mu * S.r0_sq / (S.lr * S.sigma_sq))) / (S.lr * S.mu))
STAGEWISE = Bound(
    name="STAGEWISE",
    expr=STAGEWISE_CONSTANT * S.sigma_sq / (S.mu ** 2 * (S.T - STAGEWISE_FIRST_STAGE)),
    conditions=(_Gt(S.mu, 0), _Le(S.mu, S.L), _Gt(S.lr, 0), _Le(S.lr * S.L, 1),
                _Gt(S.sigma_sq, 0), _Gt(S.r0_sq, 0), _Gt(S.rho, 0), _Lt(S.rho, 1),
                _Gt(S.T, STAGEWISE_FIRST_STAGE)),
    assumptions=("SC", "SM", "BV"),
    kind="upper",
    rate_exponent=-1.0, rate_variable=S.T,
    reference="This project (docs/theory.md §3a): for the schedule of autodrop_theory.stagewise "
              "(eta_k = eta_0 rho^k; T_0 = ceil(max(0, ln(mu r_0/(eta_0 sigma^2)))/(eta_0 mu)), "
              "T_k = ceil(ln(2/rho)/(eta_k mu))), at every stage end T > T_0: E||y_T||^2 <= "
              "C sigma^2 / (mu^2 (T - T_0)), C = 2 (ln(2/rho) + eta_0 mu)/(1 - rho).  Stage "
              "invariant r_k <= 2 eta_{k-1} sigma^2/mu from 2a, summed geometric stage lengths.  "
              "Proved at stage ends; between them it holds for every SC/SM/BV instance, "
              "measured (not proved) on 2d's sharp recursion, which bounds every instance and "
              "is attained: tests/test_stagewise_midstage.py.",
    proof="stagewise",
)

# ------------------------------------------------------------------ iteration complexity
_floor = S.lr * S.sigma_sq / S.mu


def _complexity_stable(xp, *, mu, L, sigma_sq, r0_sq, lr, eps):  # noqa: N803
    """-log(1 - lr mu) as -log1p(-lr mu): the naive form is 0 once lr mu < 1e-16 (and the
    bound would claim 0 steps).  log(r_0/(eps - floor)) as log r_0 - log(eps - floor) only where
    the quotient could overflow (eps - floor < 2^-1000 r_0: a log above 693, which the
    difference gives to full relative precision; the quotient overflowed to inf with eps - floor
    subnormal); elsewhere as the log of the quotient, since the difference of two logs loses the
    digits of a ratio near 1 (r_0 = 1e20 + 393216, eps = 1e20, floor 0.5, lr mu = 0.5 gave 0
    steps, not 1)."""
    gap = eps - lr * sigma_sq / mu
    far = gap < r0_sq * 2.0 ** -1000
    log_ratio = xp.where(far, xp.log(r0_sq) - xp.log(gap),
                         xp.log(r0_sq / xp.where(far, r0_sq, gap)))
    return xp.ceil(xp.maximum(0.0, log_ratio / (-xp.log1p(-lr * mu))))


ITERATION_COMPLEXITY_CONSTANT = Bound(
    name="ITERATION_COMPLEXITY_CONSTANT",
    expr=sp.ceiling(sp.Max(0, sp.log(S.r0_sq / (S.eps - _floor)) / (-sp.log(1 - S.lr * S.mu)))),
    conditions=(_Gt(S.mu, 0), _Le(S.mu, S.L), _Gt(S.lr, 0), _Le(S.lr * S.L, 1),
                _Ge(S.sigma_sq, 0), _Gt(S.r0_sq, 0), _Gt(S.eps, _floor),
                _Lt(S.lr * S.mu, 1)),
    assumptions=("SC", "SM", "BV"),
    kind="upper",
    rate_exponent=None, rate_variable=S.eps,
    reference="docs/theory.md §2a inverted: at a constant rate eta, "
              "t >= ln(r_0/(eps - eta sigma^2/mu)) / (-ln(1 - eta mu)) steps give E||y_t||^2 <= eps (needs eps > eta sigma^2/mu).",
    proof=None,
    stable=_complexity_stable,
)
ITERATION_COMPLEXITY_STAGEWISE = Bound(
    name="ITERATION_COMPLEXITY_STAGEWISE",
    expr=STAGEWISE_FIRST_STAGE + STAGEWISE_CONSTANT * S.sigma_sq / (S.rho * S.mu ** 2 * S.eps),
    conditions=STAGEWISE.conditions[:-1] + (_Gt(S.eps, 0),),
    assumptions=("SC", "SM", "BV"),
    kind="upper",
    rate_exponent=-1.0, rate_variable=S.eps,
    reference="docs/theory.md §3a inverted: the first stage end of the stage-wise schedule with "
              "E||y||^2 <= eps comes after at most T_0 + C sigma^2/(rho mu^2 eps) steps (the "
              "1/rho pays for stopping at a stage end).",
    proof=None,
)


@dataclasses.dataclass(frozen=True)
class _Complexity:
    constant: Bound
    stagewise: Bound


ITERATION_COMPLEXITY = _Complexity(ITERATION_COMPLEXITY_CONSTANT, ITERATION_COMPLEXITY_STAGEWISE)

# ------------------------------------------------------------------ docs/theory.md §3b
_coords_cr = (("hessian_eigs", S.h), ("noise_var", S.c))
_term_cr = S.c / (S.h ** 2 * S.t)
CRAMER_RAO = Bound(
    name="CRAMER_RAO",
    expr=_coordinate_sum(_term_cr, _coords_cr),
    conditions=(_Gt(S.h, 0), _Ge(S.c, 0), _Ge(S.t, 1)),
    assumptions=("Q",),
    kind="lower",
    rate_exponent=-1.0, rate_variable=S.t,
    reference="docs/theory.md §3b: any unbiased estimator of x* from t gradient observations "
              "under Q has E||x_hat - x*||^2 >= (1/t) sum_i c_i / h_i^2 (Cramer-Rao; the Fisher "
              "information of t observations of H x* + xi is t H C^{-1} H).",
    proof=None,
    coordinates=_coords_cr, term=_term_cr,
)

BOUNDS = {b.name: b for b in (SGD_CONSTANT_STEP, SGD_ONE_STEP_FINITE_SUM, SGD_QUADRATIC_EXACT,
                               STAGEWISE, ITERATION_COMPLEXITY_CONSTANT,
                               ITERATION_COMPLEXITY_STAGEWISE, CRAMER_RAO)}
