"""A small proof checker: a proof is data, every step is checked exactly by sympy.

A :class:`Proof` states ``lhs (=|<=) rhs`` under named :class:`Fact` s and proves it by a chain
of :class:`Step` s e_0 = lhs, e_1, ..., e_m = rhs, each related to the previous one by ``=`` or
``<=``:

- an ``=`` step holds when e_{k-1} - e_k - sum_f m_f g_f simplifies to exactly 0, where the g_f
  are equality facts (g_f = 0) with arbitrary multipliers m_f;
- a ``<=`` step (e_{k-1} <= e_k) holds when e_k - e_{k-1} = sum_f m_f g_f + residual exactly,
  every multiplier of an inequality fact (g_f >= 0) is *visibly* nonnegative, and so is the
  residual: built from nonnegative real numbers, symbols declared nonnegative, the proof's
  declared nonnegative atoms (each an inequality fact), even powers, real powers of such bases
  (a complex exponent is refused: (b+1)**(i pi/log(b+1)) is -1), exponentials of reals, sums over
  ranges whose length is visibly nonnegative (sympy reads a reversed range as minus a sum),
  sums and products of such (see :func:`visibly_nonnegative`); nothing undefined, infinite or
  complex is ever nonnegative.
- a :class:`Square` in a certificate stands for the fact E||sum_k a_k v_k||^2 >= 0 over vectors
  whose Gram entries are symbols (``gram``), which the checker expands itself; being an
  inequality, it may appear in ``<=`` steps only, with a visibly nonnegative multiplier.

Identities may reduce modulo ``reductions`` (S, S**2 - E): each must be the definition
S = sqrt(E) of a symbol S declared nonnegative, with E visibly nonnegative (so the root exists);
anything else would be an axiom and is refused.  Proofs by induction (``induction`` = the
variable n) check a base chain at n = 0 and a step chain from lhs(n+1) to rhs(n+1) with the
hypothesis ``rhs(n) - lhs(n) >= 0`` (or ``= 0``) added by the checker itself; every multiplier,
residual and expression of both chains, and the statement, must be defined for every integer
n >= 0 (a denominator involving n must be visibly positive: (n+1)/n is refused).
A fact may cite another proof (``cites``): the checker requires that proof to pass and its
statement to match the fact.  A fact in the role of a hypothesis must follow from the
statement's ``assumptions`` (checked); model facts and stated lemmas are taken as given and
listed (:func:`stated_lemmas`).  No step is accepted on numeric evidence.  :func:`check` returns
a structured :class:`Report`; the command only formats it.

A citation's substitution must satisfy the cited theorem's assumptions and the declared
domains of the symbols it replaces, implied by the citing statement's assumptions and atoms
(checked).  Every denominator (statement, expressions, multipliers, residuals) must be visibly
positive under the statement's strict assumptions (checked: a division by an atom known only
to be >= 0 is refused).  The facts, the induction hypothesis and the assumptions must admit a
common point (:mod:`proofs.consistency`: a numeric witness search over a relaxation in which
sums and applied functions are free unknowns; a contradiction hidden inside a sum or a function
escapes it).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Optional

import sympy as sp

from .consistency import witness

__all__ = ["Fact", "Square", "Step", "Proof", "StepResult", "Report", "check",
           "visibly_nonnegative", "visibly_positive", "check_all", "stated_lemmas",
           "assumption_atoms", "strict_atoms", "ROLES"]


ROLES = ("hypothesis", "model", "definition", "lemma", "citation")


@dataclasses.dataclass(frozen=True)
class Fact:
    """``expr >= 0`` (kind "ge"), ``expr > 0`` (kind "gt": also usable as a divisor that is
    not zero) or ``expr = 0`` (kind "eq"), with its justification.

    ``role`` says why it may be used: "hypothesis" (a condition on the parameters, which the
    statement's ``assumptions`` must imply: the checker proves it), "model" (what the model or
    an assumption set of docs/theory.md §1 says of its objects, e.g. SC's inequality), a
    "definition" of a symbol, a "citation" of another proof (checked), or a "lemma": a known
    result stated without proof here (listed by ``python -m proofs --lemmas``).  Default: a
    citation if ``cites``, else a definition for "eq", else a lemma."""

    name: str
    expr: sp.Expr
    kind: str = "ge"
    text: str = ""
    cites: Optional[str] = None          # name of a proof whose statement this fact is
    cite_subs: tuple = ()                # substitutions applied to that statement
    role: Optional[str] = None

    @property
    def kind_of_use(self) -> str:
        return self.role or ("citation" if self.cites else
                             "definition" if self.kind == "eq" else "lemma")


@dataclasses.dataclass(frozen=True)
class Square:
    """E|| sum_k coeffs[k] * vectors[k] ||^2 >= 0, expanded with the proof's Gram symbols."""

    coeffs: tuple


@dataclasses.dataclass(frozen=True)
class Step:
    expr: sp.Expr
    relation: str = "="                  # "=" or "<="
    reason: str = ""
    certificate: tuple = ()              # ((fact name | Square, multiplier), ...)
    residual: sp.Expr = sp.Integer(0)


@dataclasses.dataclass(frozen=True)
class Proof:
    name: str
    title: str
    lhs: sp.Expr
    relation: str
    rhs: sp.Expr
    steps: tuple
    facts: tuple = ()
    nonneg: tuple = ()                   # names of ge-facts usable as nonnegative atoms
    reference: str = ""
    assumptions: tuple = ()              # sympy relations, for the reader and the rendering
    induction: Optional[sp.Symbol] = None
    base_steps: tuple = ()
    gram: Optional[tuple] = None         # gram[i][j] = <v_i, v_j> symbols for Square facts
    reductions: tuple = ()               # ((S, S**2 - E), ...) algebraic definitions
    bound: Optional[str] = None          # the autodrop_theory.bounds name it establishes
    bound_subs: tuple = ()               # substitutions turning rhs into the bound's expression
    notes: str = ""


@dataclasses.dataclass(frozen=True)
class StepResult:
    index: int
    chain: str                           # "base" or "main"
    relation: str
    ok: bool
    message: str


@dataclasses.dataclass(frozen=True)
class Report:
    name: str
    ok: bool
    steps: tuple
    message: str

    @property
    def num_steps(self) -> int:
        return len(self.steps)


# --------------------------------------------------------------------------------- helpers
def _exactly_nonzero_somewhere(expr, reductions=()) -> bool:
    """A quick exact counterexample: expr at a rational point (integers for integer symbols) is
    a nonzero rational.  Only ever used to *reject*; skipped when the proof has algebraic
    reductions (a rational value for S would break S**2 = E)."""
    if reductions:
        return False
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    point = {s: (sp.Integer(3 + k % 4) if s.is_integer else sp.Rational(2 * k + 3, 7 * k + 29))
             for k, s in enumerate(syms)}
    try:
        value = expr.subs(point)
    except (ZeroDivisionError, TypeError, ValueError):
        return False
    return bool(value.is_Rational) and value != 0


@functools.lru_cache(maxsize=200_000)
def _is_zero(expr, reductions=()) -> bool:
    if _exactly_nonzero_somewhere(expr, reductions):
        return False
    expr = sp.together(sp.expand(expr))
    if expr == 0:
        return True
    num = sp.numer(expr)
    num = sp.expand(num)
    for sym, rel in reductions:
        if num.has(sym):
            num = sp.rem(sp.Poly(num, sym), sp.Poly(rel, sym)).as_expr()
    if sp.expand(num) == 0:
        return True
    return sp.simplify(num) == 0


def visibly_nonnegative(expr, atoms=(), depth: int = 3) -> bool:
    """Whether ``expr`` is nonnegative by its form alone (see the module docstring).

    A sum that is not term-by-term nonnegative is also accepted when it factors into visibly
    nonnegative factors, or when subtracting one atom leaves a visibly nonnegative rest (up to
    ``depth`` atoms), e.g. 1 - eta mu = (1 - eta L) + eta (L - mu).
    """
    expr = sp.sympify(expr)
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I):
        return False                    # undefined, infinite or complex: never nonnegative
    if expr.is_number:
        return expr.is_real is True and bool(expr >= 0)
    if any(_is_zero(expr - a) for a in atoms):
        return True
    if expr.is_Symbol or isinstance(expr, sp.Indexed):
        return expr.is_nonnegative is True
    if isinstance(expr, sp.exp):
        return expr.args[0].is_real is True
    if expr.is_Pow:
        base, e = expr.args
        if e.is_integer and e.is_even:
            return base.is_real is True
        if e.is_real is not True:       # b**(I pi / log b) = -1: a complex exponent is refused
            return False
        # (1/b with b >= 0 is accepted: where b is a proof's atom, the theorem's strict
        # assumptions make it positive; that strictness is not checked here, except in the
        # induction variable, see _undefined_in)
        return visibly_nonnegative(base, atoms, depth)
    if expr.is_Mul:
        if all(visibly_nonnegative(f, atoms, depth) for f in expr.args):
            return True
        coeff, rest = expr.as_coeff_Mul()       # -x (rho - 1): the sign moves to one factor
        if coeff.is_negative and depth > 0:
            factors = sp.Mul.make_args(rest)
            return any(f.is_Add and visibly_nonnegative(sp.expand(coeff * f), atoms, depth - 1)
                       and all(visibly_nonnegative(g, atoms, depth)
                               for j, g in enumerate(factors) if j != i)
                       for i, f in enumerate(factors))
        return False
    if isinstance(expr, sp.Sum):        # sympy reads a reversed range as minus a sum
        return visibly_nonnegative(expr.function, atoms, depth) and all(
            visibly_nonnegative(hi - lo + 1, atoms, depth) for _, lo, hi in expr.limits)
    if expr.is_Add:
        if all(visibly_nonnegative(t, atoms, depth) for t in expr.args):
            return True
        factored = sp.factor(expr)
        if not factored.is_Add and visibly_nonnegative(factored, atoms, depth):
            return True
        if depth > 0:
            return any(visibly_nonnegative(sp.expand(expr - a), atoms, depth - 1) for a in atoms)
    return False


def visibly_positive(expr, atoms=(), positive=(), depth: int = 2) -> bool:
    """Whether ``expr`` is strictly positive by its form alone: a positive number or symbol
    (declared positive), one of the expressions ``positive`` (known > 0, e.g. b - a from a
    strict assumption a < b), a sum of visibly nonnegative terms one of which is visibly
    positive, a product or real power of visibly positive factors, an exponential of a real.
    The proof's ``atoms`` are only nonnegative, so they count in sums, never alone (a sum is
    also positive when subtracting one atom leaves a positive rest: 2 - eta h = (1 - eta h) + 1,
    up to ``depth`` atoms)."""
    return _positive(sp.sympify(expr), tuple(atoms), tuple(positive), depth)


@functools.lru_cache(maxsize=100_000)
def _positive(expr, atoms, positive, depth) -> bool:
    """:func:`visibly_positive`, cached (the checker asks about the same expressions often)."""
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I):
        return False
    if expr.is_number:
        return expr.is_real is True and bool(expr > 0)
    if any(sp.expand(expr - a) == 0 for a in positive):
        return True
    if expr.is_Symbol or isinstance(expr, sp.Indexed):
        return expr.is_positive is True
    if isinstance(expr, sp.exp):
        return expr.args[0].is_real is True
    if expr.is_Pow:
        return expr.args[1].is_real is True and visibly_positive(expr.args[0], atoms, positive,
                                                                  depth)
    if expr.is_Mul:
        coeff, rest = expr.as_coeff_Mul()
        if coeff.is_negative:          # -x (rho - 1) = x (1 - rho): the sign moves to one sum
            factors = sp.Mul.make_args(rest)
            return any(f.is_Add and visibly_positive(sp.expand(coeff * f), atoms, positive, depth)
                       and all(visibly_positive(g, atoms, positive, depth)
                               for j, g in enumerate(factors) if j != k)
                       for k, f in enumerate(factors))
        return all(visibly_positive(f, atoms, positive, depth) for f in expr.args)
    if expr.is_Add:
        if (all(visibly_nonnegative(t, atoms + positive) for t in expr.args)
                and any(visibly_positive(t, atoms, positive, depth) for t in expr.args)):
            return True
        if depth > 0 and any(visibly_positive(sp.expand(expr - a), atoms, positive, depth - 1)
                             for a in atoms + positive):
            return True
        if depth == 0:
            return False
        factored = sp.factor(expr)           # depth - 1: -(a - b) expands back to b - a
        return not factored.is_Add and visibly_positive(factored, atoms, positive, depth - 1)
    return False


def strict_atoms(proof) -> list:
    """The statement's strict assumptions as expressions that are > 0 (a < b: b - a)."""
    out = []
    for rel in proof.assumptions:
        if isinstance(rel, sp.StrictGreaterThan):
            out.append(rel.lhs - rel.rhs)
        elif isinstance(rel, sp.StrictLessThan):
            out.append(rel.rhs - rel.lhs)
    return out


def _positive_atoms(proof, without=None) -> list:
    """Everything a step may take as > 0: the strict assumptions and the facts of kind "gt"
    (but the fact ``without``: a citation may not vouch for its own hypotheses)."""
    return strict_atoms(proof) + [f.expr for f in proof.facts
                                  if f.kind == "gt" and f.name != without]


def _denominator_problems(proof, atoms) -> list:
    """Every denominator in the statement and in the steps' expressions, multipliers and
    residuals must be visibly positive, or visibly negative, under the statement's strict
    assumptions (a division by an atom that is only known to be >= 0 may divide by zero)."""
    positive = tuple(_positive_atoms(proof))
    atoms = tuple(atoms) + tuple(assumption_atoms(proof))
    out, seen = [], set()
    chains = (("main", proof.steps), ("base", proof.base_steps))
    terms = [("the statement", proof.lhs), ("the statement", proof.rhs)]
    for label, chain in chains:
        for k, st in enumerate(chain, 1):
            terms += [(f"{label} step {k}", t) for t in
                      [m for _, m in st.certificate] + [st.residual, st.expr]]
    for where, term in terms:
        for f in _denominator_factors(sp.sympify(term)):
            base = f.args[0] if f.is_Pow and f.args[1].is_positive else f
            if base in seen or base.is_number and base != 0:
                continue
            seen.add(base)
            if not (visibly_positive(base, atoms, positive)
                    or visibly_positive(sp.expand(-base), atoms, positive)):
                out.append(f"{where}: the denominator {base} is not visibly nonzero (positive "
                           "or negative) under the statement's strict assumptions")
    return out


@functools.lru_cache(maxsize=100_000)
def _denominator_factors(term) -> tuple:
    """The factors of ``term``'s denominator (cached: a mutated proof has the original's
    terms)."""
    return sp.Mul.make_args(sp.factor(sp.denom(sp.together(term))))


def _undefined_in(expr, n) -> bool:
    """Whether ``expr`` may be undefined for some integer n >= 0: a denominator factor that
    involves n and is not visibly positive (e.g. (n + 1)/n at n = 0)."""
    den = sp.denom(sp.together(sp.sympify(expr)))
    return any(f.has(n) and not visibly_positive(f) for f in sp.Mul.make_args(sp.factor(den)))


def _square(sq: Square, gram) -> sp.Expr:
    n = len(sq.coeffs)
    if gram is None or len(gram) != n:
        raise ValueError("a Square needs the proof's Gram symbols of matching size")
    return sp.expand(sum(sq.coeffs[i] * sq.coeffs[j] * gram[i][j]
                         for i in range(n) for j in range(n)))


def _check_step(proof, prev, step, facts, atoms) -> str:
    """'' if the step holds, else why not."""
    cert = sp.Integer(0)
    for item, mult in step.certificate:
        if isinstance(item, Square):
            if step.relation == "=":
                return "an '=' step may use equality facts only, got a Square (an inequality)"
            if not visibly_nonnegative(mult, atoms):
                return f"multiplier {mult} of a square is not visibly nonnegative"
            try:
                cert += mult * _square(item, proof.gram)
            except ValueError as exc:
                return str(exc)
            continue
        if item not in facts:
            return f"unknown fact {item!r}"
        fact = facts[item]
        if step.relation == "=" and fact.kind != "eq":
            return f"an '=' step may use equality facts only, got {item!r}"
        if fact.kind in ("ge", "gt") and not visibly_nonnegative(mult, atoms):
            return f"multiplier {mult} of fact {item!r} is not visibly nonnegative"
        cert += mult * fact.expr
    if step.relation == "=":
        if step.residual != 0:
            return "an '=' step has no residual"
        if not _is_zero(prev - step.expr - cert, proof.reductions):
            return "the identity does not hold"
        return ""
    if step.relation != "<=":
        return f"unknown relation {step.relation!r}"
    if not visibly_nonnegative(step.residual, atoms):
        return f"residual {step.residual} is not visibly nonnegative"
    if not _is_zero(step.expr - prev - cert - step.residual, proof.reductions):
        return "the certificate does not add up (rhs - lhs != sum of multiplier * fact + residual)"
    return ""


def _run_chain(proof, start, end, steps, facts, atoms, chain):
    results, prev, rel = [], start, "="
    for k, step in enumerate(steps, 1):
        why = _check_step(proof, prev, step, facts, atoms)
        results.append(StepResult(k, chain, step.relation, not why,
                                  why or step.reason or "ok"))
        prev = step.expr
        if step.relation == "<=":
            rel = "<="
    ok_end = _is_zero(prev - end, proof.reductions)
    return results, ok_end, rel


def _chain(proof, start, end, steps, facts, atoms, label, problems) -> list:
    """Check one chain; append to ``problems`` if it misses the rhs or is weaker than claimed."""
    results, ok_end, rel = _run_chain(proof, start, end, steps, facts, atoms, label)
    if not ok_end:
        problems.append(f"{label} step {len(steps)} (the last): the chain does not end at the "
                        "statement's rhs")
    if rel == "<=" and proof.relation == "=":
        problems.append(f"the {label} chain proves '<=' where '=' is claimed")
    return results


def assumption_atoms(proof) -> list:
    """The statement's assumptions as expressions that are >= 0 (a <= b, a < b: b - a)."""
    out = []
    for rel in proof.assumptions:
        if isinstance(rel, (sp.GreaterThan, sp.StrictGreaterThan)):
            out.append(rel.lhs - rel.rhs)
        elif isinstance(rel, (sp.LessThan, sp.StrictLessThan)):
            out.append(rel.rhs - rel.lhs)
    return out


def _hypothesis_problems(proof) -> list:
    """Each fact in the role of a hypothesis must follow from the statement's assumptions (a
    statement that assumes less than its proof uses is refused: e.g. eta L <= 2 stated, 1 - eta
    L >= 0 used)."""
    out, atoms = [], assumption_atoms(proof)
    for f in proof.facts:
        if f.kind_of_use not in ROLES:
            out.append(f"fact {f.name!r}: role must be one of {', '.join(ROLES)}")
        elif f.kind_of_use == "hypothesis" and not (
                f.kind == "ge" and visibly_nonnegative(f.expr, atoms, depth=2)
                or f.kind == "gt" and visibly_positive(f.expr, atoms, strict_atoms(proof))):
            out.append(f"fact {f.name!r}: a hypothesis that the statement's assumptions do not "
                       "imply")
    return out


def _implied(rel, known, positive=()) -> bool:
    """Whether the relation ``rel`` (a >= b, a > b, a <= b, a < b, or a sympy truth value)
    follows from the expressions ``known`` to be >= 0: its difference visibly nonnegative (for a
    strict relation, visibly positive), or so by sympy's own assumptions on the symbols (e.g.
    K - 1 >= 0 for a positive integer K)."""
    if rel is sp.true:
        return True
    if rel is sp.false or not isinstance(rel, sp.core.relational.Relational):
        return False
    diff = (rel.lhs - rel.rhs if isinstance(rel, (sp.GreaterThan, sp.StrictGreaterThan))
            else rel.rhs - rel.lhs)
    if isinstance(rel, (sp.StrictGreaterThan, sp.StrictLessThan)):
        return diff.is_positive is True or visibly_positive(diff, known, positive)
    everything = tuple(known) + tuple(positive)
    return (diff.is_nonnegative is True or any(sp.expand(diff - a) == 0 for a in everything)
            or any(visibly_nonnegative(diff, everything, depth=k) for k in (0, 2)))


def _citation_problems(proof, fact, cited, atoms) -> list:
    """A citation's substitution must satisfy the cited theorem's hypotheses: each of its
    assumptions, after the substitution, follows from the citing statement's assumptions and
    nonnegative atoms; a substituted symbol's declared domain (positive, nonnegative, integer)
    holds for its new value."""
    known = assumption_atoms(proof) + list(atoms)
    positive = _positive_atoms(proof, without=fact.name)
    subs = dict(fact.cite_subs)
    out = []
    for rel in cited.assumptions:
        new = rel.subs(subs, simultaneous=True)
        if not _implied(new, known, positive):
            out.append(f"fact {fact.name!r}: the citation of {cited.name!r} needs {new} "
                       f"(its assumption {rel}), which {proof.name}'s assumptions do not imply")
    for sym, value in subs.items():
        value = sp.sympify(value)
        need = ([sp.StrictGreaterThan(value, 0, evaluate=False)] if sym.is_positive
                else [sp.GreaterThan(value, 0, evaluate=False)] if sym.is_nonnegative else [])
        if sym.is_integer and value.is_integer is not True:
            out.append(f"fact {fact.name!r}: {sym} is an integer in {cited.name!r}, {value} "
                       "is not")
        for rel in need:
            if not _implied(rel, known, positive):
                out.append(f"fact {fact.name!r}: {sym} is declared "
                           f"{'positive' if sym.is_positive else 'nonnegative'} in "
                           f"{cited.name!r}, and {value} is not so under {proof.name}'s "
                           "assumptions")
    return out


def stated_lemmas(proofs) -> list:
    """(theorem, fact, steps using it) for every fact taken as a known result without proof."""
    out = []
    for p in proofs:
        for f in p.facts:
            if f.kind_of_use == "lemma":
                uses = sum(any(item == f.name for item, _ in st.certificate)
                           for st in tuple(p.steps) + tuple(p.base_steps))
                out.append((p, f, uses + (f.name in p.nonneg)))
    return out


def _reduction_problems(proof, atoms) -> list:
    """A reduction (S, S**2 - E) is the definition S = sqrt(E): S a symbol declared nonnegative,
    E free of S and visibly nonnegative with the proof's ``atoms`` (so the root exists); anything
    else is an axiom."""
    out = []
    for k, (sym, rel) in enumerate(proof.reductions, 1):
        root = sym ** 2 - rel if isinstance(sym, sp.Symbol) else None
        if (root is None or sym.is_nonnegative is not True or root.has(sym)
                or not visibly_nonnegative(root, atoms)):
            out.append(f"reduction {k}: ({sym}, {rel}) is not a definition S = sqrt(E) with S "
                       "declared nonnegative and E visibly nonnegative")
    return out


def check(proof: Proof, registry: Optional[dict] = None, _seen=(), _done=None) -> Report:
    """Check every step of ``proof``; ``registry`` resolves cited proofs (each cited proof is
    checked once per call: ``_done`` holds their reports)."""
    _done = {} if _done is None else _done
    facts = {f.name: f for f in proof.facts}
    problems = []
    for f in proof.facts:
        if f.kind not in ("ge", "gt", "eq"):
            problems.append(f"fact {f.name!r}: kind must be 'ge', 'gt' or 'eq'")
        if f.cites:
            cited = (registry or {}).get(f.cites)
            if cited is None:
                problems.append(f"fact {f.name!r} cites unknown proof {f.cites!r}")
            elif f.cites in _seen + (proof.name,):
                problems.append(f"fact {f.name!r}: circular citation of {f.cites!r}")
            else:
                if f.cites not in _done:
                    _done[f.cites] = _cited_report(cited, registry, _seen + (proof.name,), _done)
                sub = _done[f.cites]
                if not sub.ok:
                    problems.append(f"fact {f.name!r} cites {f.cites!r}, which fails")
                stmt = (cited.rhs - cited.lhs).subs(dict(f.cite_subs), simultaneous=True)
                if not _is_zero(stmt - f.expr) or (cited.relation == "=") != (f.kind == "eq"):
                    problems.append(f"fact {f.name!r} is not the statement of {f.cites!r}")
    atoms = []
    for name in proof.nonneg:
        if name not in facts or facts[name].kind not in ("ge", "gt"):
            problems.append(f"nonnegative atom {name!r} is not an inequality fact")
        else:
            atoms.append(facts[name].expr)
    for f in proof.facts:
        cited = (registry or {}).get(f.cites) if f.cites else None
        if cited is not None:      # its hypotheses, from everything but the citation itself
            others = [facts[n].expr for n in proof.nonneg
                      if n in facts and n != f.name and facts[n].kind in ("ge", "gt")]
            problems += _citation_problems(proof, f, cited, others)
    problems += _reduction_problems(proof, atoms)
    problems += _hypothesis_problems(proof)
    problems += _denominator_problems(proof, atoms)
    results = []
    if proof.induction is not None:
        n = proof.induction
        for label, chain in (("base", proof.base_steps), ("main", proof.steps)):
            for k, st in enumerate(chain, 1):
                terms = [m for _, m in st.certificate] + [st.residual, st.expr]
                if any(_undefined_in(t, n) for t in terms):
                    problems.append(f"{label} step {k}: a multiplier, residual or expression "
                                    f"may be undefined for some {n} >= 0 (a denominator in "
                                    f"{n} that is not visibly positive)")
        if any(_undefined_in(side, n) for side in (proof.lhs, proof.rhs)):
            problems.append(f"the statement may be undefined for some {n} >= 0")
        base_lhs, base_rhs = proof.lhs.subs(n, 0), proof.rhs.subs(n, 0)
        results += _chain(proof, base_lhs, base_rhs, proof.base_steps, facts, atoms, "base",
                          problems)
        hyp = Fact("hypothesis", proof.rhs - proof.lhs,
                   "eq" if proof.relation == "=" else "ge", "induction hypothesis at n")
        facts = {**facts, "hypothesis": hyp}
        start, end = proof.lhs.subs(n, n + 1), proof.rhs.subs(n, n + 1)
    else:
        start, end = proof.lhs, proof.rhs
    results += _chain(proof, start, end, proof.steps, facts, atoms, "main", problems)
    if witness(proof, list(facts.values())) is None:
        problems.append("the facts (with the induction hypothesis, if any) and the statement's "
                        "assumptions are contradictory: no point satisfies them all "
                        "(proofs/consistency.py)")
    if proof.relation not in ("=", "<="):
        problems.append(f"unknown statement relation {proof.relation!r}")
    if not proof.steps:
        problems.append("no steps")
    used = {item for st in tuple(proof.steps) + tuple(proof.base_steps)
            for item, _ in st.certificate if isinstance(item, str)} | set(proof.nonneg)
    unused = [f.name for f in proof.facts if f.name not in used]
    if unused:
        problems.append(f"facts never used: {', '.join(unused)}")
    bad = [s for s in results if not s.ok]
    problems += [f"{s.chain} step {s.index}: {s.message}" for s in bad]
    return Report(proof.name, not problems, tuple(results), "; ".join(problems) or "ok")


_CITED: dict = {}


def _cited_report(cited, registry, seen, done) -> Report:
    """The report of a cited proof, remembered per (proof, registry) across calls: a proof
    cited by many others (and by every variant a test builds of them) is checked once."""
    deps, todo = {}, [cited]
    while todo:                            # the registry entries the cited proof depends on
        for f in todo.pop().facts:
            if f.cites and f.cites not in deps:
                deps[f.cites] = (registry or {}).get(f.cites)
                if deps[f.cites] is not None:
                    todo.append(deps[f.cites])
    try:
        key = (cited, tuple(sorted(deps.items(), key=lambda kv: kv[0])), seen)
        if key in _CITED:
            return _CITED[key]
    except TypeError:                     # something unhashable in a hand-built proof
        return check(cited, registry, seen, done)
    if len(_CITED) > 512:
        _CITED.clear()
    _CITED[key] = check(cited, registry, seen, done)
    return _CITED[key]


def check_all(proofs) -> list:
    """Check every proof (each cited proof once); the same tuple of proofs is checked once per
    process (the reports are data)."""
    return list(_check_all(tuple(proofs)))


@functools.lru_cache(maxsize=8)
def _check_all(proofs) -> tuple:
    registry, done = {p.name: p for p in proofs}, {}
    out = []
    for p in proofs:
        report = done.get(p.name) or check(p, registry, (), done)
        done[p.name] = report
        out.append(report)
    return tuple(out)
