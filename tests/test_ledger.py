"""The package's ledger of claims (autodrop_theory.ledger) against docs/theory.md.

A *unit* of docs/theory.md is a paragraph together with the displays (indented blocks) inside
it and the prose that continues after them; a unit makes a headline statement when it uses one
of the words of HEADLINE (a bound, an exact or tight result, an O(.) rate, a proof, a theorem,
a certificate, an agreement).  Each such unit must carry a marker ``[claim ID]`` naming a ledger
entry; each marker must name an entry; each entry placed in docs/theory.md must be marked there;
every entry's evidence must exist (:func:`autodrop_theory.claims.check_ledger`).
"""

import dataclasses
import re
from pathlib import Path

import pytest

from autodrop_theory import ledger
from autodrop_theory.claims import VERDICTS, Claim, check_ledger
from autodrop_theory.errors import AssumptionError

THEORY = Path(__file__).resolve().parent.parent / "docs" / "theory.md"
# a statement that claims something: a result, a rate, a comparison, a universal
STRONG = (r"exact(ly)?|tight|attain\w*|O\(1/T\)|O\(log|prov\w*|proofs?|theorem|certif\w*|"
          r"agrees?|holds?|converge\w*|never|always|lemmas?|equality")
HEADLINE = re.compile(rf"(?<!\w)({STRONG}|bounds?|rate|decay\w*|at least|at most|equals?|<=|>=)"
                      r"(?!\w)", re.I)
STRONG_RE = re.compile(rf"(?<!\w)({STRONG})(?!\w)", re.I)
MARKER = re.compile(r"\[claim ([\w.\-]+)\]")
DEFINITION = "[definition]"
SECTION = re.compile(r"^#+ §(\d+[a-z]?)\b", re.M)


def units(text):
    """The units of a Markdown text (see the module docstring)."""
    return [u for u, _ in sections(text)]


def sections(text):
    """(unit, section) pairs: the section is the last heading's § number, or "intro"."""
    out, joined, section = [], False, "intro"
    for block in re.split(r"\n\s*\n|\n(?=- )", text):
        if not block.strip():
            continue
        heading = SECTION.search(block)
        if heading:
            section = heading.group(1)
        display = block.startswith("    ")
        if out and (display or joined):
            out[-1] = (out[-1][0] + "\n\n" + block, out[-1][1])
        else:
            out.append((block, section))
        joined = display
    return out


def unmarked_headlines(text):
    """The units that make a headline statement without a claim marker: a unit that only
    defines (marked [definition]) may use the weaker words (a bound, a rate, <=) but none of
    the strong ones (exact, proved, holds, O(1/T), ...); a heading alone is not a statement."""
    bad = []
    for u in units(text):
        body = MARKER.sub("", u).replace(DEFINITION, "")
        if "\n" not in u.strip() and u.lstrip().startswith("#"):
            continue
        if not HEADLINE.search(body) or MARKER.search(u):
            continue
        if DEFINITION in u and not STRONG_RE.search(body):
            continue
        bad.append(u)
    return bad


def misplaced_markers(text, claims):
    """Markers whose entry does not name the section they stand in (``where``)."""
    where = {c.id: c.where for c in claims}
    out = []
    for u, sec in sections(text):
        for cid in MARKER.findall(u):
            tag = "(intro)" if sec == "intro" else f"§{sec}"
            if cid in where and not re.search(rf"{re.escape(tag)}(?![\w])", where[cid]):
                out.append((cid, tag))
    return out


def test_every_headline_statement_of_theory_md_has_a_ledger_entry():
    text = THEORY.read_text()
    missing = unmarked_headlines(text)
    assert not missing, "\n---\n".join(u[:160] for u in missing)
    ids = {c.id for c in ledger.CLAIMS}
    marked = set(MARKER.findall(text))
    assert marked <= ids, marked - ids
    placed = {c.id for c in ledger.CLAIMS if c.where.startswith("docs/theory.md")}
    assert placed <= marked, placed - marked
    assert not misplaced_markers(text, ledger.CLAIMS)


def test_the_ledger_is_valid_and_every_evidence_exists():
    check_ledger(ledger.CLAIMS)
    rows = ledger.claims(check=True)
    assert len(rows) == len(ledger.CLAIMS) >= 40
    assert {r["verdict"] for r in rows} <= set(VERDICTS)
    # the refereeing found and recorded false and corrected statements
    assert {"false", "holds_corrected", "unchecked"} <= {r["verdict"] for r in rows}


def test_the_checks_reject_a_corrupted_ledger_and_an_unmarked_statement():
    good = ledger.CLAIMS[0]
    for bad, match in [
        (dataclasses.replace(good, evidence=("test:tests/test_rule.py::test_not_there",)),
         "defines no test"),
        (dataclasses.replace(good, evidence=("proof:no_such_theorem",)), "no theorem"),
        (dataclasses.replace(good, evidence=good.evidence + ("object:autodrop_theory.rule.nothing",)),
         "cannot import"),
        (dataclasses.replace(good, verdict="probably"), "verdict must be"),
        (dataclasses.replace(good, evidence=("object:autodrop_theory.rule.update",)),
         "needs a proof: or test:"),
        (Claim("x", "s", "unchecked"), "needs a note"),
    ]:
        with pytest.raises(AssumptionError, match=match):
            check_ledger([bad])
    with pytest.raises(AssumptionError, match="repeated"):
        check_ledger([good, good])
    text = THEORY.read_text()
    stripped = MARKER.sub("", text, count=1)
    assert len(unmarked_headlines(stripped)) == 1
    assert unmarked_headlines("A new result holds exactly.\n") == ["A new result holds exactly.\n"]
    for slipped in ("The last iterate decays like 1/T on every problem.",
                    "The guard never blocks a saturated angle.",
                    "It converges at rate 1/sqrt(T).",
                    "Defined here; it is always at least 90 degrees. [definition]"):
        assert unmarked_headlines(slipped + "\n"), slipped
    # a marker must name an entry of its own section
    moved = "## §9 X\nA result holds. [claim 2a.constant_step]\n"
    assert misplaced_markers(moved, ledger.CLAIMS) == [("2a.constant_step", "§9")]


def test_proofs_claims_prints_every_entry_and_its_verdict():
    import contextlib
    import io

    from proofs.__main__ import main
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--claims"]) == 0
    text = out.getvalue()
    for c in ledger.CLAIMS:
        assert re.search(rf"^{re.escape(c.id)}\s+{c.verdict}\s", text, re.M), c.id
    assert f"{len(ledger.CLAIMS)} claims: " in text.splitlines()[-1]
