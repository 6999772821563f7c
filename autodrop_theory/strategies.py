"""Hypothesis strategies generated from the conditions of a bound, and instances of the model.

:func:`inside` draws keyword arguments that satisfy every condition of a
:class:`~autodrop_theory.bounds.Bound` (or a :class:`~autodrop_theory.schedule_bounds.ScheduleBound`,
or any tuple of sympy relations); :func:`outside` draws points that violate exactly one chosen
condition.  Symbols are drawn one at a time in :data:`ORDER`; each condition is solved for the
last of its symbols to be drawn (it must be linear in that symbol, which holds for every
condition of the package), which gives an interval.  From the interval a value is drawn from
three branches that hypothesis picks about equally often, so boundaries are hit:
  * the boundary: a closed end exactly, an open end approached to 1e-9 relative;
  * round numbers inside the interval (hypothesis shrinks towards these: 1, 0.5, 2, ...);
  * a general value (log-uniform over the interval, or over [lo, lo + 10^6 scale] when open).
Counts (t, T, K, d and the lengths of arrays) are integers and shrink towards small values.

Instances of model Q (:func:`quadratic_instances`) and rate sequences (:func:`rate_sequences`)
shrink towards d = 1, few steps and round numbers.  Users can call these on their own bounds:

    >>> from hypothesis import given
    >>> from autodrop_theory import bounds, strategies
    >>> @given(strategies.inside(bounds.SGD_CONSTANT_STEP))
    ... def test_nonnegative(kw):
    ...     assert bounds.SGD_CONSTANT_STEP(**kw) >= 0
    >>> test_nonnegative()

Requires ``hypothesis`` (the package's test extra).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import sympy as sp

from .errors import AssumptionError
from .numeric import lambdified

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised only without the test extra
    raise ImportError("autodrop_theory.strategies needs hypothesis: pip install "
                      "'autodrop-theory[test]'") from exc

__all__ = ["ORDER", "inside", "outside", "interval", "quadratic_instances", "rate_sequences",
           "stepwise_schedules", "ROUND", "DrawnRandom"]

ORDER = ("mu", "L", "sigma_sq", "sigma_star_sq", "r0_sq", "rho", "lr", "eps", "D_sq", "G_sq",
         "t", "T", "K", "d", "h", "c", "y0", "lr_t")
COUNTS = {"t", "T", "K", "d"}
ROUND = (1.0, 0.5, 2.0, 0.1, 10.0, 0.25, 4.0, 0.01, 100.0)
MAX_COUNT = 10 ** 5
MAX_LENGTH = 12                      # coordinates or steps of an array argument
# intervals and value strategies remembered per process (about 1.5 KiB each: at most ~15 MB);
# written from MAX_COUNT because hypothesis mixes the source's literals into what it draws
_MEMO = MAX_COUNT // 10
_REL = {sp.StrictGreaterThan: ">", sp.GreaterThan: ">=", sp.StrictLessThan: "<",
        sp.LessThan: "<="}


def _conditions(target):
    return tuple(getattr(target, "conditions", target))


def _array_keywords(target) -> dict:
    """symbol name -> keyword for per-coordinate and per-step symbols."""
    out = {sym.name: kw for kw, sym in getattr(target, "coordinates", ())}
    out.update({sym.name: kw for kw, sym in getattr(target, "per_coordinate", ())})
    if any(s.name == "lr_t" for c in _conditions(target) for s in c.free_symbols):
        out["lr_t"] = "lrs"
    return out


def _symbols(target) -> list:
    syms = set()
    for cond in _conditions(target):
        syms |= cond.free_symbols
    for _, sym in tuple(getattr(target, "coordinates", ())) + tuple(
            getattr(target, "per_coordinate", ())):
        syms.add(sym)
    unknown = [s.name for s in syms if s.name not in ORDER]
    if unknown:
        raise AssumptionError(f"target: symbols {unknown} are not in strategies.ORDER")
    return sorted(syms, key=lambda s: ORDER.index(s.name))


def interval(cond, sym, values: dict):
    """(lo, lo_open, hi, hi_open) that ``cond`` imposes on ``sym`` once the symbols in
    ``values`` (name -> number) are fixed: the whole line where it then holds whatever ``sym``
    is, an empty interval where it cannot hold; raises AssumptionError where ``cond`` is not
    linear in ``sym``."""
    # draws repeat values (the round numbers, the edges): remembered by the values that enter
    # ``cond``, with their types (sympy reads 2 and 2.0 differently) and signs (-0.0 == 0.0)
    key = tuple((s.name, type(v).__name__, v, math.copysign(1.0, v) if isinstance(v, float)
                 else 0.0) for s in sorted(cond.free_symbols, key=lambda s: s.name)
                if s.name in values for v in (values[s.name],))
    try:
        return _interval(cond, sym, key)
    except TypeError as exc:           # an unhashable value: computed, not remembered
        if "unhashable" not in str(exc):
            raise
        return _interval.__wrapped__(cond, sym, key)


@functools.lru_cache(maxsize=_MEMO)
def _interval(cond, sym, key):
    values = {name: v for name, _, v, _ in key}
    op = _REL[type(cond)]
    expr = sp.sympify(cond.lhs - cond.rhs)
    expr = sp.expand(expr.subs({s: values[s.name] for s in expr.free_symbols
                                if s.name in values}))
    if not expr.has(sym):
        holds = {">": expr > 0, ">=": expr >= 0, "<": expr < 0, "<=": expr <= 0}[op]
        return (-math.inf, True, math.inf, True) if bool(holds) else (math.inf, True, -math.inf,
                                                                      True)
    # a sym + b, read off the expanded sum (sympy's Poly would build a real-number domain on
    # every call: most of the property tests' time)
    a, b = expr.coeff(sym, 1), expr.coeff(sym, 0)
    if a.has(sym) or b.has(sym) or sp.expand(a * sym + b - expr) != 0:
        raise AssumptionError(f"condition {cond}: not linear in {sym}")
    a, b = float(a), float(b)
    edge = -b / a
    strict = op in (">", "<")
    lower = (op in (">", ">=")) == (a > 0)       # a s + b > 0 with a > 0: s > edge
    return (edge, strict, math.inf, True) if lower else (-math.inf, True, edge, strict)


def _domain(sym):
    if sym.is_positive:
        return 0.0, True, math.inf, True
    if sym.is_nonnegative:
        return 0.0, False, math.inf, True
    return -math.inf, True, math.inf, True


def _meet(a, b):
    lo, lo_open = max((a[0], a[1]), (b[0], b[1]), key=lambda x: (x[0], x[1]))
    hi, hi_open = min((a[2], not a[3]), (b[2], not b[3]), key=lambda x: (x[0], x[1]))
    return lo, lo_open, hi, not hi_open


def _values(lo, lo_open, hi, hi_open, count):
    """The strategy of one value in the interval (see the module docstring); strategies are
    immutable, so each interval's is built and validated once (remembered with the signs of
    its ends: -0.0 == 0.0)."""
    return _values_of(lo, lo_open, hi, hi_open, count, math.copysign(1.0, lo),
                      math.copysign(1.0, hi))


@functools.lru_cache(maxsize=_MEMO)
def _values_of(lo, lo_open, hi, hi_open, count, *_signs):
    if count:
        if lo > MAX_COUNT:
            return st.nothing()
        # an unbounded-below count only arises from a violated condition (t < 0): allow it
        first = -10 if not math.isfinite(lo) else max(
            0, math.floor(lo) + 1 if lo_open or lo != math.floor(lo) else int(lo))
        last = MAX_COUNT if not math.isfinite(hi) else min(
            MAX_COUNT, math.ceil(hi) - 1 if hi_open or hi != math.ceil(hi) else int(hi))
        if first > last:
            return st.nothing()
        special = sorted({first, min(first + 1, last), last} | {v for v in (1, 2, 10, 100)
                                                                 if first <= v <= last})
        return st.one_of(st.sampled_from(special), st.integers(first, last))
    if hi < lo or (hi == lo and (lo_open or hi_open)) or lo > 1e150 or hi < -1e150:
        return st.nothing()
    if lo == hi:
        return st.just(float(lo))

    def ok(v):
        return math.isfinite(v) and (v > lo if lo_open else v >= lo) and (
            v < hi if hi_open else v <= hi)
    inside = [v for v in ROUND + tuple(-v for v in ROUND) + (0.0,) if ok(v)]
    edges = [e for e in ((lo + 1e-9 * max(abs(lo), 1.0) if lo_open else lo),
                         (hi - 1e-9 * max(abs(hi), 1.0) if hi_open else hi)) if ok(e)]
    if math.isfinite(lo) and math.isfinite(hi):
        # open ends are approached to 1e-12 of the interval's scale, not to the last float
        pad = 1e-12 * max(abs(lo), abs(hi), 1e-300)
        a, b = (lo + pad if lo_open else lo), (hi - pad if hi_open else hi)
        general = st.floats(a, b, allow_nan=False, allow_subnormal=False) if a < b else \
            st.just((lo + hi) / 2)
    elif math.isfinite(lo):
        general = st.floats(-4.0, 4.0).map(lambda e: lo + max(abs(lo), 1.0) * 10.0 ** e)
    elif math.isfinite(hi):
        general = st.floats(-4.0, 4.0).map(lambda e: hi - max(abs(hi), 1.0) * 10.0 ** e)
    else:
        general = st.floats(-1e3, 1e3, allow_nan=False)
    branches = [st.sampled_from(inside)] if inside else []
    if edges:
        branches.append(st.sampled_from(edges))
    branches.append(general.filter(ok))
    return st.one_of(*branches)


def _plan(target, symbols):
    """Each condition assigned to the last of its symbols in ORDER."""
    plan = {s.name: [] for s in symbols}
    for k, cond in enumerate(_conditions(target)):
        last = max(cond.free_symbols, key=lambda s: ORDER.index(s.name))
        plan[last.name].append((k, cond))
    return plan


def _family(name):
    return "steps" if name == "lr_t" else "coordinates"


def _box(cond, sym, values, arrays, j):
    """The interval ``cond`` imposes on element j of ``sym`` (a scalar: j = 0): other arrays
    of the same family (coordinates, steps) enter by their element j, arrays of the other family
    by every element (the condition must hold for every pair)."""
    others = [s.name for s in cond.free_symbols if s.name in arrays and s != sym
              and s.name in values]
    cross = [n for n in others if sym.name not in arrays or _family(n) != _family(sym.name)]
    fixed = {n: (v[j] if n in others and n not in cross else v) for n, v in values.items()
             if n not in cross}
    box = (-math.inf, True, math.inf, True)
    grids = [values[n] for n in cross]
    for combo in (zip(*grids) if grids else [()]):
        box = _meet(box, interval(cond, sym, {**fixed, **dict(zip(cross, combo))}))
    return box


def _draw_point(draw, target, violate=None, max_length=MAX_LENGTH):
    symbols = _symbols(target)
    arrays = _array_keywords(target)
    plan = _plan(target, symbols)
    values, out = {}, {}
    lengths = {"coordinates": draw(st.integers(1, max_length), label="coordinates"),
               "steps": draw(st.integers(1, max_length), label="steps")}
    for sym in symbols:
        name = sym.name
        length = lengths[_family(name)] if name in arrays else None
        elems = []
        for j in range(length or 1):
            violated_here = j == 0 and any(k == violate for k, _ in plan[name])
            # a violation may leave the symbol's sympy domain (lr <= 0 must be refused too)
            box = (-math.inf, True, math.inf, True) if violated_here else _domain(sym)
            for k, cond in plan[name]:
                try:
                    iv = _box(cond, sym, values, arrays, j)
                except (TypeError, ValueError):
                    # undefined after an earlier violation (log of mu <= 0): unconstrained;
                    # the violated condition is refused first
                    if violate is None:
                        raise
                    continue
                if k == violate and j == 0:
                    lo, lo_open, hi, hi_open = iv     # its complement (one side of it)
                    iv = (-math.inf, True, lo, not lo_open) if math.isfinite(lo) else \
                        (hi, not hi_open, math.inf, True)
                box = _meet(box, iv)
            elems.append(draw(_values(*box, name in COUNTS), label=name))
        if length is None:
            values[name] = out[name] = elems[0]
        else:
            values[name] = np.asarray(elems, dtype=np.float64)
            out[arrays[name]] = values[name]
    # the drawn point, checked as the bound checks it (rounding at an edge can flip a condition)
    holds = [_holds(cond, values, arrays) for cond in _conditions(target)]
    assume(all(holds) if violate is None else not holds[violate])
    return out


def _holds(cond, values, arrays) -> bool:
    syms = sorted(cond.free_symbols, key=lambda s: s.name)
    args = []
    for s in syms:
        a = np.asarray(values[s.name], dtype=np.float64)
        if s.name in arrays:
            a = a[:, None] if _family(s.name) == "steps" else a[None, :]
        args.append(a)
    with np.errstate(all="ignore"):
        ok = lambdified(syms, cond)(*np.broadcast_arrays(*args))
    return bool(np.all(ok))


def inside(target, max_length: int = MAX_LENGTH):
    """Keyword arguments (as the bound's ``__call__`` takes them) satisfying every condition of
    ``target`` (a Bound, a ScheduleBound, or a tuple of sympy relations)."""
    _plan(target, _symbols(target))                    # fail fast on unknown symbols
    return st.composite(lambda draw: _draw_point(draw, target, None, max_length))()


def outside(target, index: int, max_length: int = MAX_LENGTH):
    """Points that violate condition ``index`` of ``target`` (just beyond its boundary, or
    anywhere on the wrong side) and satisfy the conditions solved before it; the bound must
    refuse them."""
    conds = _conditions(target)
    if not 0 <= index < len(conds):
        raise AssumptionError(f"index: need 0 <= index < {len(conds)}, got {index}")

    return st.composite(lambda draw: _draw_point(draw, target, index, max_length))()


@st.composite
def quadratic_instances(draw, max_dim: int = 8, flat: bool = False, max_eig: float = 1.0,
                        min_noise: float = 0.0):
    """(h, c, y0) of model Q: d in [1, max_dim] (shrinks to 1), eigenvalues in (0, max_eig]
    (round values and max_eig itself drawn often), noise variances in [min_noise, min_noise + 2]
    (exactly min_noise often), y0 anywhere in [-5, 5]^d (round values often); ``flat`` also
    draws instances with one eigenvalue exactly 0 (a diffusing direction)."""
    d = draw(st.integers(1, max_dim), label="d")
    unit = st.one_of(st.sampled_from([1.0, 0.5, 0.1, 0.01]), st.floats(1e-3, 1.0))
    h = np.array([draw(unit, label="h") for _ in range(d)]) * max_eig
    if flat and d > 1 and draw(st.booleans(), label="flat"):
        h[draw(st.integers(0, d - 1), label="flat index")] = 0.0
    c = min_noise + np.array([draw(st.one_of(st.sampled_from([0.0, 1.0, 0.1]),
                                             st.floats(0.0, 2.0)), label="c")
                              for _ in range(d)])
    y0 = np.array([draw(st.one_of(st.sampled_from([1.0, -1.0, 0.0]), st.floats(-5.0, 5.0)),
                        label="y0") for _ in range(d)])
    return h, c, y0


def rate_sequences(cap: float, min_size: int = 1, max_size: int = MAX_LENGTH,
                   open_cap: bool = False):
    """Sequences of rates in (0, cap] (or (0, cap) with ``open_cap``), the cap itself and
    round fractions of it drawn often; shrinks towards short constant sequences."""
    frac = st.one_of(st.sampled_from([1.0, 0.5, 0.1]), st.floats(1e-3, 1.0))
    seq = st.lists(frac, min_size=min_size, max_size=max_size)
    if open_cap:
        seq = seq.map(lambda fs: [min(f, 1.0 - 1e-9) for f in fs])
    return seq.map(lambda fs: np.asarray(fs, dtype=np.float64) * cap)


@st.composite
def stepwise_schedules(draw, max_stages: int = 4, max_length: int = 12, cap: float = 1.0):
    """Non-increasing piecewise-constant per-step rates (the schedules of the paper's Theorem
    5.1, docs/paper.md §3): 1..max_stages stages of 1..max_length steps, the first rate in
    (0, cap], each next one the previous times a factor in (0, 1] (1, 1/2, 1/10 drawn often).
    Shrinks towards one short stage at rate ``cap``."""
    first = draw(st.one_of(st.sampled_from([1.0, 0.5, 0.1]), st.floats(1e-2, 1.0))) * cap
    stages = draw(st.integers(1, max_stages))
    rates, lrs = [first], []
    for j in range(stages):
        if j:
            rates.append(rates[-1] * draw(st.one_of(st.sampled_from([1.0, 0.5, 0.1]),
                                                    st.floats(0.05, 1.0))))
        lrs += [rates[-1]] * draw(st.integers(1, max_length))
    return np.asarray(lrs, dtype=np.float64)


class DrawnRandom:
    """A stand-in for ``numpy.random.Generator`` whose numbers hypothesis draws (and shrinks:
    uniforms towards their lower end, normals towards 0, integers towards ``low``), for code
    that builds random instances from a generator: ``DrawnRandom(data)`` with
    ``data = st.data()``.  Normals are drawn in [-4, 4]."""

    def __init__(self, data):
        self._data = data

    def _floats(self, lo, hi, size):
        n = 1 if size is None else int(np.prod(size))
        vals = self._data.draw(st.lists(st.floats(lo, hi, allow_subnormal=False),
                                        min_size=n, max_size=n))
        return vals[0] if size is None else np.asarray(vals, dtype=np.float64).reshape(size)

    def uniform(self, low=0.0, high=1.0, size=None):
        return self._floats(float(low), float(high), size)

    def standard_normal(self, size=None):
        return self._floats(-4.0, 4.0, size)

    def integers(self, low, high=None):
        low, high = (0, low) if high is None else (low, high)
        return self._data.draw(st.integers(int(low), int(high) - 1))

    def permutation(self, n):
        return np.asarray(self._data.draw(st.permutations(range(int(n)))))
