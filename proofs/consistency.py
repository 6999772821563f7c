"""Whether a proof's facts can hold together: a numeric search for a witness point.

A proof whose facts contradict each other proves anything (from -x >= 0 and x >= 1, every step
follows).  :func:`witness` looks for one point at which every fact (``expr >= 0`` or ``= 0``),
every assumption of the statement and every declared domain of a symbol (positive, nonnegative,
integer) hold at once; the checker refuses a proof for which it finds none.

The search: every atom of the facts (a symbol, an applied undefined function such as R(t + 1),
an indexed symbol or a whole sum, each taken as its own unknown: a relaxation, so a witness of
the relaxed system is not a proof of consistency, and the search can only miss contradictions
that involve the inside of a sum or a function) gets a value; positive symbols are exp(z),
nonnegative ones z^2, integers are drawn from small ranges and held fixed; a strict assumption
a < b must hold with margin 1e-6.  ``scipy.optimize.least_squares`` minimises the violations
(min(g, 0) for g >= 0, g for g = 0) from a few seeded starts; a point counts as a witness when
every violation is at most 1e-9 relative to the size of the fact's terms.  Deterministic (fixed
seeds).  Failing to find a witness is not a proof of inconsistency: the real proofs must all
have one (a test), and the adversarial proofs of the tests have none.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

__all__ = ["witness", "STARTS"]

STARTS = 12            # seeded starting points (each with its own draw of the integers)
MARGIN = 1e-6          # a strict inequality must hold by this much
TOL = 1e-9             # relative violation accepted at a witness


def _atoms(exprs):
    """The unknowns: sums and indexed symbols first (they contain symbols of their own), then
    applied functions, then the remaining free symbols."""
    found = []
    for kind in (sp.Sum, sp.Indexed, AppliedUndef):
        for e in exprs:
            for a in sorted(e.atoms(kind), key=str):
                if a not in found:
                    found.append(a)
    rest = set()
    for e in exprs:
        e = e.xreplace({a: sp.Dummy() for a in found})
        rest |= {s for s in e.free_symbols if not isinstance(s, sp.Dummy)}
    return found + sorted(rest, key=str)


def _relations(proof, facts):
    """(expression, kind) with kind 'ge', 'gt' or 'eq': the facts, the assumptions."""
    out = [(f.expr, f.kind) for f in facts]
    for rel in proof.assumptions:
        if isinstance(rel, (sp.GreaterThan, sp.StrictGreaterThan)):
            diff = rel.lhs - rel.rhs
        elif isinstance(rel, (sp.LessThan, sp.StrictLessThan)):
            diff = rel.rhs - rel.lhs
        elif isinstance(rel, sp.Eq):
            out.append((rel.lhs - rel.rhs, "eq"))
            continue
        else:
            continue
        out.append((diff, "gt" if isinstance(rel, (sp.StrictGreaterThan, sp.StrictLessThan))
                    else "ge"))
    return out


def witness(proof, facts) -> dict | None:
    """A point (atom name -> value) at which ``facts`` and ``proof``'s assumptions all hold,
    or None where the search finds none (cached by the relations: proofs that differ only in
    their steps share the search)."""
    found = _search(tuple((sp.sympify(e), kind) for e, kind in _relations(proof, facts)))
    return None if found is None else dict(found)


@functools.lru_cache(maxsize=4096)
def _search(relations):
    from scipy.optimize import least_squares
    if not relations:
        return ()
    exprs = [e for e, _ in relations]
    atoms = _atoms(exprs)
    dummies = [sp.Dummy(f"a{k}") for k in range(len(atoms))]
    swap = dict(zip(atoms, dummies))
    plain = [e.xreplace(swap) for e in exprs]
    funcs = [sp.lambdify(dummies, e, "numpy") for e in plain]
    # each relation's terms in one function (a list of values): one lambdify per relation
    sizes = [sp.lambdify(dummies, list(sp.Add.make_args(sp.expand(e))), "numpy") for e in plain]
    integer = [a.is_integer is True for a in atoms]
    positive = [a.is_positive is True for a in atoms]
    nonneg = [a.is_nonnegative is True and not a.is_positive for a in atoms]
    free = [k for k in range(len(atoms)) if not integer[k]]
    rng = np.random.default_rng(0)

    def point(z, ints):
        vals = np.empty(len(atoms))
        vals[[k for k in range(len(atoms)) if integer[k]]] = ints
        for j, k in enumerate(free):
            vals[k] = np.exp(z[j]) if positive[k] else z[j] ** 2 if nonneg[k] else z[j]
        return vals

    def violations(vals, scaled=False):
        out = []
        with np.errstate(all="ignore"):
            for (_, kind), f, terms in zip(relations, funcs, sizes):
                g = float(f(*vals))
                scale = 1.0 + sum(abs(float(t)) for t in terms(*vals)) if scaled else 1.0
                if not np.isfinite(g):
                    out.append(1e6)
                elif kind == "eq":
                    out.append(g / scale)
                else:
                    out.append(min(g - (MARGIN if kind == "gt" else 0.0), 0.0) / scale)
        return np.array(out)

    for _ in range(STARTS):
        ints = np.array([rng.integers(1 if atoms[k].is_positive else 0, 6)
                         for k in range(len(atoms)) if integer[k]], dtype=float)
        z0 = rng.uniform(-1.5, 1.5, len(free))
        if free:
            fit = least_squares(lambda z: violations(point(z, ints)), z0, bounds=(-6, 6),
                                xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=2000)
            z0 = fit.x
        vals = point(z0, ints)
        if np.all(np.abs(violations(vals, scaled=True)) <= TOL):
            return tuple((str(a), float(v)) for a, v in zip(atoms, vals))
    return None
