"""``python -m proofs [-v] [--latex DIR] [--lemmas] [--claims] [--paper]``: check every proof.

One line per theorem (name, number of steps, status); ``-v`` adds one line per step;
``--latex DIR`` writes each proof as Markdown with LaTeX math; ``--lemmas`` lists the facts
stated as known results without proof (role "lemma", :class:`proofs.checker.Fact`), and a line
always says how many there are and how many steps use them.  ``--paper`` prints instead the
verdict on every claim of the AutoDrop paper's Sections 3 and 5 (``autodrop_theory.paper``,
docs/paper.md), after checking the proofs its verdicts cite (exit status 1 if one fails).
Otherwise the last line is exactly ``N theorems, M steps checked, F failed``; the exit status is
0 if and only if F = 0.  ``--claims`` instead prints the ledger of the package's own claims
(autodrop_theory.ledger: id, verdict, evidence), after checking that every piece of evidence
exists (exit 1 if not).
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path

from autodrop_theory.commandline import CliError, OneLineParser, check_out

PROG = "python -m proofs"


def main(argv=None) -> int:
    """Bad flags (or a ``--latex`` folder that cannot be written) exit with status 2 and one
    line, before any proof is checked."""
    parser = OneLineParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="one line per step")
    parser.add_argument("--latex", metavar="DIR", help="write the rendered proofs to DIR")
    parser.add_argument("--lemmas", action="store_true",
                        help="list the facts taken as known results without proof")
    parser.add_argument("--claims", action="store_true",
                        help="print the ledger of the package's claims with their verdicts")
    parser.add_argument("--paper", action="store_true",
                        help="the verdict table of the AutoDrop paper's claims (docs/paper.md)")
    try:
        args = parser.parse_args(argv)
        modes = [f for f in ("--claims", "--paper") if getattr(args, f[2:])]
        if len(modes) > 1:
            raise CliError(f"{', '.join(modes)}: choose one")
        ignored = [f for f, given in (("--verbose", args.verbose), ("--lemmas", args.lemmas),
                                      ("--latex", args.latex is not None)) if given]
        if modes and ignored:          # a table is printed, no proof is checked
            raise CliError(f"{ignored[0]}: not used with {modes[0]} (it checks no proof)")
        if args.latex is not None:
            check_out(args.latex, "--latex")
    except CliError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    if args.claims:
        return _claims()
    from . import THEOREMS
    from .checker import check_all, stated_lemmas
    from .render import markdown
    if args.paper:
        return _paper(THEOREMS)
    reports = check_all(THEOREMS)
    width = max(len(r.name) for r in reports)
    for r in reports:
        if args.lemmas and r.ok:        # --lemmas: the list, failures and the totals only
            continue
        status = "ok" if r.ok else "FAILED: " + r.message
        print(f"{r.name:<{width}}  {r.num_steps:3d} steps  {status}")
        if args.verbose:
            for s in r.steps:
                print(f"    {s.chain:4s} {s.index:2d} {s.relation:2s} "
                      f"{'ok  ' if s.ok else 'FAIL'} {s.message}")
    if args.latex:
        out = Path(args.latex)
        out.mkdir(parents=True, exist_ok=True)
        for proof, r in zip(THEOREMS, reports):
            (out / f"{proof.name}.md").write_text(markdown(proof, r))
    lemmas = stated_lemmas(THEOREMS)
    if args.lemmas:
        for proof, fact, uses in lemmas:
            print(f"lemma {proof.name}.{fact.name} (used in {uses} step{'s' * (uses != 1)}): "
                  f"{fact.text}")
    print(f"{len(lemmas)} facts are stated lemmas (known results taken without proof, "
          f"used by {sum(u for _, _, u in lemmas)} steps; --lemmas lists them)")
    failed = sum(not r.ok for r in reports)
    print(f"{len(reports)} theorems, {sum(r.num_steps for r in reports)} steps checked, "
          f"{failed} failed")
    return 0 if failed == 0 else 1


def _claims() -> int:
    from autodrop_theory import AssumptionError, ledger
    from autodrop_theory.claims import check_ledger, format_table
    try:
        check_ledger(ledger.CLAIMS)
    except AssumptionError as exc:
        print(f"{PROG}: ledger: {exc}", file=sys.stderr)
        return 1
    print(format_table(ledger.CLAIMS))
    counts = collections.Counter(c.verdict for c in ledger.CLAIMS)
    print(f"{len(ledger.CLAIMS)} claims: " + ", ".join(f"{n} {v}" for v, n in counts.items()))
    return 0


def _paper(theorems) -> int:
    """The paper's verdict table; every proof it cites must pass."""
    from autodrop_theory import paper
    table = paper.table()
    cited = {ref.split(":", 1)[1] for c in paper.PAPER_CLAIMS for ref in c.evidence
             if ref.startswith("proof:")}
    from .checker import check_all
    reports = {r.name: r for r in check_all(theorems)}     # remembered within a process
    failed = [name for name in sorted(cited) if not reports[name].ok]
    print(table)
    print(f"{len(paper.PAPER_CLAIMS)} claims; {len(cited)} cited proofs checked, "
          f"{len(failed)} failed{': ' + ', '.join(failed) if failed else ''}")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
