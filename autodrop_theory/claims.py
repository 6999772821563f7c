"""Claims with verdicts: the one record shape of every ledger in the package.

A :class:`Claim` is a statement (the package's own, ``autodrop_theory.ledger``; or the paper's,
``autodrop_theory.paper``) with a verdict and the evidence that re-checks it:

    verdict   ``holds`` (proved or measured as stated), ``holds_corrected`` (holds after a stated
              correction; the corrected form's evidence is given), ``false`` (a counterexample a
              test re-checks), ``unchecked`` (nothing here checks it; ``note`` says why);
    evidence  references that must exist: ``proof:NAME`` (a theorem of ``python -m proofs``),
              ``test:tests/FILE.py::NAME`` (a test function or class in that file),
              ``object:module.attr`` (an importable object: a bound, a function);
    where     the document and section that states it (``docs/theory.md §2d``);
    note      numbers, a counterexample, or why it is unchecked.

:func:`check_ledger` refuses a ledger whose ids repeat, whose verdict is unknown, whose
non-``unchecked`` claim has no proof or test behind it, or whose evidence does not resolve.

Example:
    >>> c = Claim("x.1", "1 + 1 = 2", "holds", ("object:autodrop_theory.claims.Claim",))
    >>> c.as_dict()["verdict"]
    'holds'
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
from pathlib import Path

from .errors import AssumptionError

__all__ = ["VERDICTS", "Claim", "resolve", "check_ledger", "format_table"]

VERDICTS = ("holds", "holds_corrected", "false", "unchecked")
KINDS = ("proof", "test", "object")
_ROOT = Path(__file__).resolve().parent.parent


@dataclasses.dataclass(frozen=True)
class Claim:
    id: str
    statement: str
    verdict: str
    evidence: tuple = ()
    where: str = ""
    note: str = ""

    def as_dict(self) -> dict:
        """The record as JSON-ready data: ``evidence`` as one string (references and note),
        ``refs`` as the list of references."""
        text = "; ".join(self.evidence)
        if self.note:
            text = f"{text}; {self.note}" if text else self.note
        return {"id": self.id, "verdict": self.verdict, "evidence": text,
                "refs": list(self.evidence), "statement": self.statement, "where": self.where,
                "note": self.note}


def _test_names(path: Path) -> set:
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def resolve(ref: str) -> None:
    """Raise AssumptionError unless the evidence reference ``ref`` exists."""
    kind, _, target = ref.partition(":")
    if kind not in KINDS or not target:
        raise AssumptionError(f"evidence: need one of {', '.join(k + ':...' for k in KINDS)}, "
                              f"got {ref!r}")
    if kind == "proof":
        from proofs import THEOREMS
        if target not in {p.name for p in THEOREMS}:
            raise AssumptionError(f"evidence: no theorem named {target!r} in python -m proofs")
    elif kind == "test":
        file, _, name = target.partition("::")
        path = _ROOT / file
        if not (file.startswith("tests/") and path.is_file()):
            raise AssumptionError(f"evidence: no test file {file!r}")
        if name.split("::")[0] not in _test_names(path):
            raise AssumptionError(f"evidence: {file} defines no test {name!r}")
    else:
        module, _, attr = target.rpartition(".")
        try:
            owner = importlib.import_module(module)
        except ImportError:
            owner = None
        if owner is None or not hasattr(owner, attr):
            raise AssumptionError(f"evidence: cannot import {target!r}")


def check_ledger(claims) -> None:
    """Refuse (AssumptionError, naming the claim) an inconsistent or unsupported ledger."""
    seen = set()
    for c in claims:
        if not isinstance(c, Claim):
            raise AssumptionError(f"claims: need Claim records, got {type(c).__name__}")
        if c.id in seen:
            raise AssumptionError(f"claim {c.id}: id repeated")
        seen.add(c.id)
        if c.verdict not in VERDICTS:
            raise AssumptionError(f"claim {c.id}: verdict must be one of {VERDICTS}, got "
                                  f"{c.verdict!r}")
        if c.verdict == "unchecked":
            if not c.note:
                raise AssumptionError(f"claim {c.id}: an unchecked claim needs a note saying "
                                      "why")
        elif not any(r.startswith(("proof:", "test:")) for r in c.evidence):
            raise AssumptionError(f"claim {c.id}: verdict {c.verdict!r} needs a proof: or "
                                  "test: reference")
        for ref in c.evidence:
            try:
                resolve(ref)
            except AssumptionError as exc:
                raise AssumptionError(f"claim {c.id}: {exc}") from None


def format_table(claims) -> str:
    """One line per claim: id, verdict, evidence (the references, then the note)."""
    rows = [c.as_dict() for c in claims]
    wid = max([len(r["id"]) for r in rows] + [2])
    wv = max(len(v) for v in VERDICTS)
    lines = [f"{'id':<{wid}}  {'verdict':<{wv}}  evidence", "-" * (wid + wv + 12)]
    lines += [f"{r['id']:<{wid}}  {r['verdict']:<{wv}}  {r['evidence']}" for r in rows]
    return "\n".join(lines)
