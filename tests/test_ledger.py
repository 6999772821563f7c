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
HEADLINE = re.compile(r"(?<!\w)(exact(ly)?|tight|attain\w*|O\(1/T\)|O\(log|prov\w*|proofs?|"
                      r"theorem|bounds?|certif\w*|agrees?|holds?)(?!\w)", re.I)
MARKER = re.compile(r"\[claim ([\w.\-]+)\]")


def units(text):
    """The units of a Markdown text (see the module docstring)."""
    out = []
    joined = False
    for block in re.split(r"\n\s*\n|\n(?=- )", text):
        if not block.strip():
            continue
        display = block.startswith("    ")
        if out and (display or joined):
            out[-1] += "\n\n" + block
        else:
            out.append(block)
        joined = display
    return out


def unmarked_headlines(text):
    """The units that make a headline statement without a marker."""
    return [u for u in units(text) if HEADLINE.search(MARKER.sub("", u)) and not MARKER.search(u)]


def test_every_headline_statement_of_theory_md_has_a_ledger_entry():
    text = THEORY.read_text()
    missing = unmarked_headlines(text)
    assert not missing, "\n---\n".join(u[:160] for u in missing)
    ids = {c.id for c in ledger.CLAIMS}
    marked = set(MARKER.findall(text))
    assert marked <= ids, marked - ids
    placed = {c.id for c in ledger.CLAIMS if c.where.startswith("docs/theory.md")}
    assert placed <= marked, placed - marked


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
