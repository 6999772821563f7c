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

Known gaps (open): a division by a nonnegative atom is accepted where the theorem's strict
assumptions make it positive, without checking that strictness; a citation's substitution is
not checked against the cited theorem's hypotheses; a contradictory set of facts is not
detected (the one survivor of ``tools/mutation.py``).
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import sympy as sp

__all__ = ["Fact", "Square", "Step", "Proof", "StepResult", "Report", "check",
           "visibly_nonnegative", "visibly_positive", "check_all", "stated_lemmas",
           "assumption_atoms", "ROLES"]


ROLES = ("hypothesis", "model", "definition", "lemma", "citation")


@dataclasses.dataclass(frozen=True)
class Fact:
    """``expr >= 0`` (kind "ge") or ``expr = 0`` (kind "eq"), with its justification.

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


def visibly_positive(expr, atoms=()) -> bool:
    """Whether ``expr`` is strictly positive by its form alone: a positive number or symbol
    (declared positive), a sum of visibly nonnegative terms one of which is visibly positive, a
    product or real power of visibly positive factors, an exponential of a real.  The proof's
    atoms are only nonnegative, so they count in sums, never alone."""
    expr = sp.sympify(expr)
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I):
        return False
    if expr.is_number:
        return expr.is_real is True and bool(expr > 0)
    if expr.is_Symbol or isinstance(expr, sp.Indexed):
        return expr.is_positive is True
    if isinstance(expr, sp.exp):
        return expr.args[0].is_real is True
    if expr.is_Pow:
        return expr.args[1].is_real is True and visibly_positive(expr.args[0], atoms)
    if expr.is_Mul:
        return all(visibly_positive(f, atoms) for f in expr.args)
    if expr.is_Add:
        return (all(visibly_nonnegative(t, atoms) for t in expr.args)
                and any(visibly_positive(t, atoms) for t in expr.args))
    return False


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
        if fact.kind == "ge" and not visibly_nonnegative(mult, atoms):
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
                f.kind == "ge" and visibly_nonnegative(f.expr, atoms, depth=2)):
            out.append(f"fact {f.name!r}: a hypothesis that the statement's assumptions do not "
                       "imply")
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


def check(proof: Proof, registry: Optional[dict] = None, _seen=()) -> Report:
    """Check every step of ``proof``; ``registry`` resolves cited proofs."""
    facts = {f.name: f for f in proof.facts}
    problems = []
    for f in proof.facts:
        if f.kind not in ("ge", "eq"):
            problems.append(f"fact {f.name!r}: kind must be 'ge' or 'eq'")
        if f.cites:
            cited = (registry or {}).get(f.cites)
            if cited is None:
                problems.append(f"fact {f.name!r} cites unknown proof {f.cites!r}")
            elif f.cites in _seen + (proof.name,):
                problems.append(f"fact {f.name!r}: circular citation of {f.cites!r}")
            else:
                sub = check(cited, registry, _seen + (proof.name,))
                if not sub.ok:
                    problems.append(f"fact {f.name!r} cites {f.cites!r}, which fails")
                stmt = (cited.rhs - cited.lhs).subs(dict(f.cite_subs), simultaneous=True)
                if not _is_zero(stmt - f.expr) or (cited.relation == "=") != (f.kind == "eq"):
                    problems.append(f"fact {f.name!r} is not the statement of {f.cites!r}")
    atoms = []
    for name in proof.nonneg:
        if name not in facts or facts[name].kind != "ge":
            problems.append(f"nonnegative atom {name!r} is not an inequality fact")
        else:
            atoms.append(facts[name].expr)
    problems += _reduction_problems(proof, atoms)
    problems += _hypothesis_problems(proof)
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


def check_all(proofs) -> list:
    registry = {p.name: p for p in proofs}
    return [check(p, registry) for p in proofs]
