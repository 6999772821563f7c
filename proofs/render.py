"""Readable renderings of a proof, generated from the same data the checker checks."""

from __future__ import annotations

import sympy as sp

from autodrop_theory.symbols import LATEX_NAMES

from .checker import Proof, Report, Square

_REL = {"=": "=", "<=": r"\le"}


def _tex(expr) -> str:
    return sp.latex(expr, symbol_names=LATEX_NAMES)


def _certificate(step) -> str:
    """The certificate in math mode: multiplier times fact name, and the residual."""
    parts = []
    for item, mult in step.certificate:
        name = "square" if isinstance(item, Square) else item.replace("_", r"\_")
        parts.append(rf"{_tex(mult)}\cdot\mathrm{{{name}}}")
    if step.residual != 0:
        parts.append(rf"\mathrm{{residual}}\;{_tex(step.residual)}")
    return r",\; ".join(parts)


def _chain(start, steps) -> list:
    lines = [f"$$\\begin{{aligned}} & {_tex(start)} \\\\"]
    for st in steps:
        cert = _certificate(st)
        note = "\\text{(" + st.reason.replace("_", r"\_") + ")}" + (f"\\; [{cert}]" if cert else "")
        lines.append(f"{_REL[st.relation]} \\; & {_tex(st.expr)} && {note} \\\\")
    lines.append("\\end{aligned}$$")
    return lines


def markdown(proof: Proof, report: Report) -> str:
    """Markdown with LaTeX math: statement, assumptions, facts, each step with its certificate."""
    out = [f"# {proof.title}", "", f"`{proof.name}` — {'checked' if report.ok else 'FAILED'}, "
           f"{report.num_steps} steps. {proof.reference}", "",
           f"**Statement.** $${_tex(proof.lhs)} \\;{_REL[proof.relation]}\\; {_tex(proof.rhs)}$$"]
    if proof.assumptions:
        out += ["", "**Assumptions.** " + ", ".join(f"${_tex(a)}$" for a in proof.assumptions)]
    if proof.facts:
        out += ["", "**Facts.**", ""]
        for f in proof.facts:
            rel = {"eq": "= 0", "gt": "> 0"}.get(f.kind, r"\ge 0")
            cite = f" (proved in `{f.cites}`)" if f.cites else ""
            out.append(f"- `{f.name}`: ${_tex(f.expr)} {rel}$ — {f.text}{cite}")
    if proof.induction is not None:
        n = proof.induction
        out += ["", f"**Base case** (${_tex(n)} = 0$):", ""]
        out += _chain(proof.lhs.subs(n, 0), proof.base_steps)
        out += ["", f"**Induction step** (hypothesis at ${_tex(n)}$):", ""]
        out += _chain(proof.lhs.subs(n, n + 1), proof.steps)
    else:
        out += ["", "**Proof.**", ""] + _chain(proof.lhs, proof.steps)
    if not report.ok:
        out += ["", f"**Check failed:** {report.message}"]
    return "\n".join(out) + "\n"
