"""The proof checker and every proof: all pass; mutated copies fail naming the step; each
bound that claims a proof has the proof's statement as its expression."""

import dataclasses

import pytest
import sympy as sp

from autodrop_theory import bounds, schedule_bounds
from autodrop_theory import symbols as S
from proofs import THEOREMS
from proofs.__main__ import main as proofs_main
from proofs.checker import Fact, Proof, Square, Step, check, check_all, visibly_nonnegative
from proofs.render import markdown

from checks import canonical_relations

REGISTRY = {p.name: p for p in THEOREMS}
IDS = [p.name for p in THEOREMS]


def run(proof):
    return check(proof, {**REGISTRY, proof.name: proof})


def test_every_proof_passes_and_the_totals():
    reports = check_all(THEOREMS)
    assert all(r.ok for r in reports), [r.message for r in reports if not r.ok]
    assert len(reports) >= 8 and sum(r.num_steps for r in reports) >= 60
    assert len({p.name for p in THEOREMS}) == len(THEOREMS)


def test_command_output_and_exit_status(capsys, tmp_path):
    """The totals, the rendered files, and (without the -v step lines) exactly the README's
    block of ``python -m proofs`` (docs/proofs.md): the shown proof counts have not drifted."""
    from pathlib import Path

    from simulations import readme
    assert proofs_main(["-v", "--latex", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    block = readme.all_blocks()
    shown = block["proofs"].split("\n")
    assert shown[1].startswith("$ python -m proofs")
    assert [ln for ln in lines if not ln.startswith("    ")] == shown[2:-1]
    n, m = len(THEOREMS), sum(len(p.steps) + len(p.base_steps) for p in THEOREMS)
    assert lines[-1] == f"{n} theorems, {m} steps checked, 0 failed"
    from proofs.checker import stated_lemmas
    assert lines[-2].startswith(f"{len(stated_lemmas(THEOREMS))} facts are stated lemmas")
    assert len(list(tmp_path.glob("*.md"))) == n


def _chains(proof):
    out = [("steps", "main")]
    if proof.induction is not None:
        out.append(("base_steps", "base"))
    return out


def _mutants(proof):
    """(description, mutated proof, the step label the failure must name)."""
    for field, label in _chains(proof):
        steps = getattr(proof, field)
        for k, st in enumerate(steps):
            changed = steps[:k] + (dataclasses.replace(st, expr=st.expr - sp.Rational(1, 997)),) \
                + steps[k + 1:]
            yield (f"{label} step {k + 1}: constant changed",
                   dataclasses.replace(proof, **{field: changed}), f"{label} step")
            for j, (item, mult) in enumerate(st.certificate):
                cert = st.certificate[:j] + ((item, -mult),) + st.certificate[j + 1:]
                yield (f"{label} step {k + 1}: multiplier {j} negated",
                       dataclasses.replace(proof, **{field: steps[:k] + (
                           dataclasses.replace(st, certificate=cert),) + steps[k + 1:]}),
                       f"{label} step {k + 1}")
            if st.certificate or st.residual != 0:
                yield (f"{label} step {k + 1}: deleted",
                       dataclasses.replace(proof, **{field: steps[:k] + steps[k + 1:]}),
                       f"{label} step")


@pytest.mark.parametrize("name", IDS)
def test_mutated_proofs_fail_naming_the_step(name):
    proof = REGISTRY[name]
    count = 0
    for what, mutant, needle in _mutants(proof):
        report = run(mutant)
        assert not report.ok, f"{what} was accepted"
        assert needle in report.message, f"{what}: {report.message}"
        count += 1
    assert count >= len(proof.steps)


@pytest.mark.parametrize("name", [n for n, b in bounds.BOUNDS.items() if b.proof])
def test_bound_statement_is_the_proved_statement(name):
    b = bounds.BOUNDS[name]
    assert b.proof in REGISTRY, f"{name} claims the missing proof {b.proof!r}"
    proof = REGISTRY[b.proof]
    assert proof.bound == name
    stated = proof.rhs.subs(dict(proof.bound_subs), simultaneous=True)
    target = b.term if b.coordinates else b.expr
    assert sp.simplify(stated - target) == 0
    assert sp.simplify(stated - target * sp.Rational(3, 2)) != 0     # the comparison can fail
    # an exact closed form is proved with '=', an upper (or worst-case tight) bound with '<='
    assert proof.relation == ("=" if b.name == "SGD_QUADRATIC_EXACT" else "<=")


def _relations(rels, subs=()):
    """The relations canonically (:func:`checks.canonical_relations`)."""
    return canonical_relations(rels, subs)


def _strict(rel):
    return (sp.StrictGreaterThan if isinstance(rel, sp.GreaterThan) else
            sp.StrictLessThan)(rel.lhs, rel.rhs)


@pytest.mark.parametrize("name", [n for n, b in {**bounds.BOUNDS,
                                                 **schedule_bounds.SCHEDULE_BOUNDS}.items()
                                  if b.proof])
def test_bound_conditions_are_exactly_what_its_proofs_assume(name):
    """A bound's conditions equal its proof's assumptions (after the proof's substitutions),
    except where the proof assumes a condition strictly: there the edge (the condition as an
    equality) has its own proof, whose assumptions are the conditions at the edge and whose
    statement is the bound there.  So the proofs cover every point the bound accepts, and no
    condition is stated that no proof uses or needs."""
    b = {**bounds.BOUNDS, **schedule_bounds.SCHEDULE_BOUNDS}[name]
    main = REGISTRY[b.proof]
    strict = {}
    for edge, proof_name in b.edges:
        gap = sp.expand(edge.lhs - edge.rhs)
        cond = next(c for c in b.conditions if isinstance(c, (sp.GreaterThan, sp.LessThan))
                    and sp.expand(c.lhs - c.rhs) in (gap, -gap))
        strict[cond] = _strict(cond)
        proof = REGISTRY[proof_name]
        assert check_all([proof])[0].ok
        at_edge = {edge.lhs: edge.rhs} if edge.lhs.is_Symbol else {edge.rhs: edge.lhs}
        assert _relations(proof.assumptions) == _relations(b.conditions, at_edge.items()), \
            proof_name
        assert sp.simplify(proof.rhs - b.expr.subs(at_edge)) == 0, proof_name
    expected = [strict.get(c, c) for c in b.conditions]
    assert _relations(main.assumptions, main.bound_subs) == _relations(expected), name


def test_the_conditions_check_sees_a_relaxed_condition():
    """SGD_CONSTANT_STEP's condition lr L <= 1 relaxed to lr L <= 2 (where the bound is false)
    no longer equals its proof's assumptions."""
    b = bounds.SGD_CONSTANT_STEP
    relaxed = tuple(sp.Le(S.lr * S.L, 2) if c == sp.Le(S.lr * S.L, 1) else c
                    for c in b.conditions)
    assert relaxed != b.conditions
    assert _relations(REGISTRY[b.proof].assumptions) == _relations(b.conditions)
    assert _relations(REGISTRY[b.proof].assumptions) != _relations(relaxed)


def test_every_proof_renders_its_statement_and_steps():
    for proof, report in zip(THEOREMS, check_all(THEOREMS)):
        text = markdown(proof, report)
        assert proof.title in text and "checked" in text
        assert text.count(r"\\") >= len(proof.steps) + len(proof.base_steps)


# ---------------------------------------------------------------- the checker itself
x, y = sp.symbols("x y", real=True)
p_ = sp.Symbol("p", nonnegative=True)


def tiny(**changes):
    base = Proof(name="tiny", title="x <= x + y^2", lhs=x, relation="<=", rhs=x + y ** 2,
                 steps=(Step(x + y ** 2, "<=", "add a square", residual=y ** 2),))
    return dataclasses.replace(base, **changes)


def test_checker_accepts_a_correct_tiny_proof_and_rejects_broken_ones():
    assert run(tiny()).ok
    assert not run(tiny(steps=(Step(x + y ** 2, "<=", "", residual=-(y ** 2)),))).ok
    assert "not visibly nonnegative" in run(
        tiny(steps=(Step(x + y, "<=", "", residual=y),), rhs=x + y)).message
    assert "unknown fact" in run(tiny(steps=(Step(x + y ** 2, "<=", "", (("nope", 1),)),))).message
    bad_eq = tiny(facts=(Fact("f", p_, "ge"),), rhs=x,
                  steps=(Step(x, "=", "", (("f", 0),)),), relation="=")
    assert "may use equality facts only" in run(bad_eq).message
    assert "facts never used" in run(tiny(facts=(Fact("g", p_, "ge"),))).message
    assert "does not end" in run(tiny(rhs=x + 2 * y ** 2)).message
    assert "proves '<=' where '=' is claimed" in run(tiny(relation="=")).message


def test_checker_rejects_a_wrong_citation_and_a_cycle():
    cited = Proof(name="a", title="", lhs=x, relation="<=", rhs=x + y ** 2,
                  steps=(Step(x + y ** 2, "<=", "", residual=y ** 2),))
    wrong = Proof(name="b", title="", lhs=x, relation="<=", rhs=x + 2 * y ** 2,
                  facts=(Fact("f", 2 * y ** 2, "ge", cites="a"),),
                  steps=(Step(x + 2 * y ** 2, "<=", "", (("f", 1),)),))
    assert "is not the statement of 'a'" in check(wrong, {"a": cited, "b": wrong}).message
    loop = dataclasses.replace(cited, facts=(Fact("f", y ** 2, "ge", cites="a"),),
                               steps=(Step(x + y ** 2, "<=", "", (("f", 1),)),))
    assert "circular" in check(loop, {"a": loop}).message


def test_square_facts_expand_with_the_gram_symbols():
    r, u, z = sp.symbols("r u z", real=True)
    proof = Proof(name="sq", title="", lhs=-2 * z, relation="<=", rhs=r + u,
                  gram=((r, z), (z, u)),
                  steps=(Step(r + u, "<=", "||y0 + v||^2 >= 0", ((Square((1, 1)), 1),)),))
    assert run(proof).ok
    assert "Gram symbols" in run(dataclasses.replace(proof, gram=None)).message
    assert "Gram symbols" in run(dataclasses.replace(proof, gram=((r,),))).message
    assert not run(dataclasses.replace(proof, lhs=-3 * z)).ok


def test_visibly_nonnegative():
    a, b = sp.symbols("a b", positive=True)
    assert visibly_nonnegative((x - y) ** 2)
    assert visibly_nonnegative(a * b + sp.exp(x))
    assert visibly_nonnegative(2 - a, atoms=(1 - a,))
    assert not visibly_nonnegative(-a)
    assert not visibly_nonnegative(x)
    assert not visibly_nonnegative(a - b)
    assert not visibly_nonnegative(sp.Integer(-1) / 3)


# ------------------------------------------------------------ adversarial proofs (issue: soundness)
# Each proves a false statement by one unsound move; the checker must refuse it and name where.
def _adversarial():
    x = sp.Symbol("x", real=True)
    g = sp.Symbol("g", nonnegative=True)
    b = sp.Symbol("b", positive=True)
    d = sp.Symbol("d", positive=True, integer=True)
    n = sp.Symbol("n", nonnegative=True, integer=True)
    i = sp.Symbol("i", integer=True)
    # (b + 1)**(i pi / log(b + 1)) = exp(i pi) = -1, built unevaluated as a proof could carry it
    disguised_minus_one = sp.Pow(b + 1, sp.I * sp.pi / sp.log(b + 1), evaluate=False)
    return [
        ("a Square (an inequality) inside an '=' step: x = x - g",
         Proof("adv_square_eq", "", x, "=", x - g, gram=((g,),),
               steps=(Step(x - g, "=", "", ((Square((1,)), 1),)),)), "main step 1"),
        ("a negative multiplier on a square: x <= x - g",
         Proof("adv_square_neg", "", x, "<=", x - g, gram=((g,),),
               steps=(Step(x - g, "<=", "", ((Square((1,)), -1),)),)), "main step 1"),
        ("a complex exponent writing -1 as a 'nonnegative' power: 1 <= 0",
         Proof("adv_complex", "", sp.Integer(1), "<=", sp.Integer(0),
               steps=(Step(sp.Integer(0), "<=", "", residual=disguised_minus_one),)),
         "main step 1"),
        ("a sum over a reversed range (sympy: minus a sum): 3 <= d for every d >= 1",
         Proof("adv_sum_limits", "", sp.Integer(3), "<=", d,
               steps=(Step(d, "<=", "", residual=sp.Sum(1, (i, 4, d))),)), "main step 1"),
        ("an induction multiplier undefined at n = 0: 0 <= -n for all n >= 0",
         Proof("adv_induction_mult", "", sp.Integer(0), "<=", -n, induction=n,
               base_steps=(Step(sp.Integer(0), "=", ""),),
               steps=(Step(-n - 1, "<=", "", (("hypothesis", (n + 1) / n),)),)), "main step 1"),
        ("the induction hypothesis of a '<=' theorem used with a negative multiplier "
         "(as if it were an equality): 0 <= (-1)^n for all n >= 0",
         Proof("adv_hypothesis_sign", "", sp.Integer(0), "<=", (-1) ** n, induction=n,
               base_steps=(Step(sp.Integer(1), "=", ""),),
               steps=(Step((-1) ** (n + 1), "<=", "", (("hypothesis", -1),)),)),
         "main step 1"),
        ("a negative multiplier on an inequality fact: x <= 0 from x >= 0",
         Proof("adv_fact_sign", "", x, "<=", sp.Integer(0),
               facts=(Fact("x_nonneg", x, "ge", "x >= 0", role="hypothesis"),),
               assumptions=(sp.Ge(x, 0),),
               steps=(Step(sp.Integer(0), "<=", "", (("x_nonneg", -1),)),)), "main step 1"),
        ("a reduction that is an axiom, not a square root's definition: x = 1",
         Proof("adv_reduction", "", x, "=", sp.Integer(1), reductions=((x, x - 1),),
               steps=(Step(sp.Integer(1), "=", ""),)), "reduction 1"),
        ("a division by an atom known only to be >= 0: 0 <= 1/g for every g >= 0",
         Proof("adv_divisor", "", sp.Integer(0), "<=", 1 / g, assumptions=(sp.Ge(g, 0),),
               steps=(Step(1 / g, "<=", "", residual=1 / g),)), "the denominator g"),
        ("contradictory facts (x >= 1 and -x >= 0) proving 1 <= 0",
         Proof("adv_contradiction", "", sp.Integer(1), "<=", sp.Integer(0),
               facts=(Fact("big", x - 1, "ge", "x >= 1"), Fact("small", -x, "ge", "x <= 0")),
               steps=(Step(sp.Integer(0), "<=", "", (("big", 1), ("small", 1))),)),
         "contradictory"),
        _citation_outside("a citation of sgd_one_step at eta = 3/L, outside its eta L <= 1",
                          lambda one, eta, L: ((eta, 3 / L),),
                          "the citation of 'sgd_one_step' needs"),
        _citation_outside("a citation of sgd_one_step with ||y_0||^2 (declared >= 0) set to -1",
                          lambda one, eta, L: ((sp.Symbol("r", nonnegative=True), -1),),
                          "r is declared nonnegative"),
    ]


def _citation_outside(what, subs_of, where):
    """A proof whose only fact is sgd_one_step's statement under ``subs``, and whose statement
    is that fact: sound only if the substitution satisfies sgd_one_step's hypotheses."""
    one = REGISTRY["sgd_one_step"]
    eta, L = sp.Symbol("lr", positive=True), sp.Symbol("L", positive=True)
    subs = subs_of(one, eta, L)
    lhs, rhs = (one.lhs.subs(dict(subs), simultaneous=True),
                one.rhs.subs(dict(subs), simultaneous=True))
    return (what, Proof("adv_citation", "", lhs, "<=", rhs,
                        facts=(Fact("one", rhs - lhs, "ge", cites="sgd_one_step",
                                    cite_subs=subs),),
                        steps=(Step(rhs, "<=", "", (("one", 1),)),),
                        assumptions=one.assumptions), where)


@pytest.mark.parametrize("what, proof, where", _adversarial(),
                         ids=[a[1].name for a in _adversarial()])
def test_each_unsound_move_is_refused_naming_where(what, proof, where):
    report = run(proof)
    assert not report.ok, f"accepted: {what}"
    assert where in report.message, f"{what}: {report.message}"


def test_the_checker_predicates_refuse_complex_powers_reversed_sums_and_undefined_values():
    b = sp.Symbol("b", positive=True)
    i, d = sp.Symbol("i", integer=True), sp.Symbol("d", positive=True, integer=True)
    assert not visibly_nonnegative(sp.Pow(b + 1, sp.I * sp.pi / sp.log(b + 1), evaluate=False))
    assert not visibly_nonnegative(sp.Sum(1, (i, 4, d)))
    assert visibly_nonnegative(sp.Sum(1, (i, 1, d)))            # d - 1 + 1 = d >= 0
    assert not visibly_nonnegative(sp.zoo) and not visibly_nonnegative(sp.I)
    assert visibly_nonnegative(b ** sp.Rational(1, 3)) and visibly_nonnegative(1 / b)
    z = sp.Symbol("z")                          # no assumptions: complex
    assert not visibly_nonnegative(b ** z) and not visibly_nonnegative(z ** 2)
    assert not visibly_nonnegative(sp.exp(z)) and not visibly_nonnegative(sp.Integer(-1))


def test_a_statement_that_assumes_less_than_its_proof_uses_is_refused():
    """Relaxing sgd_one_step's stated condition eta L <= 1 to eta L <= 2 (where the bound is
    false), or dropping the stage-wise theorem's T > T_0, leaves a hypothesis fact that the
    statement no longer implies: refused, naming the fact."""
    one = REGISTRY["sgd_one_step"]
    eta, L = sp.Symbol("lr", positive=True), sp.Symbol("L", positive=True)
    relaxed = tuple(sp.Le(eta * L, 2) if a == sp.Le(eta * L, 1) else a for a in one.assumptions)
    assert relaxed != one.assumptions
    report = run(dataclasses.replace(one, assumptions=relaxed))
    assert not report.ok and "fact 'step_size': a hypothesis" in report.message
    final = REGISTRY["stagewise"]
    report = run(dataclasses.replace(final, assumptions=final.assumptions[:-1]))
    assert not report.ok and "fact 'budget': a hypothesis" in report.message
    bad_role = dataclasses.replace(one, facts=tuple(
        dataclasses.replace(f, role="axiom") if f.name == "cocoercive" else f for f in one.facts))
    assert "role must be one of" in run(bad_role).message


def test_every_stated_lemma_is_listed_in_the_readme():
    """The lemma block of docs/proofs.md (the output of ``python -m proofs --lemmas``, kept
    current by tests/test_readme.py) names every fact in the role of a stated lemma, with its text."""
    from pathlib import Path

    from proofs.checker import stated_lemmas
    from simulations import readme
    block = readme.all_blocks()
    lemmas = stated_lemmas(THEOREMS)
    assert lemmas and all(f.kind_of_use == "lemma" and f.text for _, f, _ in lemmas)
    listed = [ln for ln in block["lemmas"].split("\n") if ln.startswith("lemma ")]
    assert len(listed) == len(lemmas)
    for (p, f, _), line in zip(lemmas, listed):
        assert line.startswith(f"lemma {p.name}.{f.name} ") and line.endswith(f.text)


def test_paper_command_prints_the_table_and_refuses_bad_flags(capsys):
    """``python -m proofs --paper`` (here, where the proofs' reports are already remembered by
    check_all in this process)."""
    from proofs.__main__ import main
    assert main(["--paper"]) == 0
    out = capsys.readouterr().out
    assert "thm5.2.proof" in out and "holds_corrected" in out
    assert main(["--paper", "--nope"]) == 2
    assert "unrecognized" in capsys.readouterr().err
