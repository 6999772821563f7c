"""Convergence bounds as small frozen objects: a sympy expression, its conditions, its source.

A :class:`Bound` holds ``expr`` (sympy, exact rationals), ``conditions`` (sympy relations that
every evaluation enforces), ``assumptions`` (names of the assumption sets of THEORY.md section 1),
``kind`` (``"upper"``, ``"lower"`` or ``"tight"``), ``rate_exponent`` (the power of t in the
bound's decay, None where it does not decay to 0) and ``reference``.  ``bound(**numbers)`` checks
the conditions first and raises :class:`AssumptionError` naming the violated one.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np
import sympy as sp

from . import symbols as S
from .errors import AssumptionError

__all__ = ["Bound", "SGD_CONSTANT_STEP"]


@dataclasses.dataclass(frozen=True)
class Bound:
    name: str
    expr: sp.Expr
    conditions: tuple
    assumptions: tuple
    kind: str
    rate_exponent: Optional[float]
    reference: str

    @property
    def keywords(self) -> tuple:
        """The free symbols' names, sorted: the keywords ``__call__`` takes."""
        syms = set(self.expr.free_symbols)
        for c in self.conditions:
            syms |= c.free_symbols
        return tuple(sorted(s.name for s in syms))

    def latex(self) -> str:
        return sp.latex(self.expr, symbol_names=S.LATEX_NAMES)

    def __call__(self, **numbers):
        """Evaluate at scalar or numpy-array keywords (broadcast); conditions are checked first."""
        names = set(self.keywords)
        missing, extra = names - set(numbers), set(numbers) - names
        if missing or extra:
            raise AssumptionError(f"{self.name}: need keywords {sorted(names)}, "
                                  f"missing {sorted(missing)}, unexpected {sorted(extra)}")
        arrays = {k: np.asarray(v, dtype=np.float64) for k, v in numbers.items()}
        for k, a in arrays.items():
            if not np.all(np.isfinite(a)):
                raise AssumptionError(f"{k}: need finite values, got {a!r}")
        symbols = sorted(self.expr.free_symbols | set().union(
            *[c.free_symbols for c in self.conditions]), key=lambda s: s.name)
        args = [arrays[s.name] for s in symbols]
        for cond in self.conditions:
            ok = sp.lambdify(symbols, cond, "numpy")(*args)
            if not np.all(ok):
                raise AssumptionError(
                    f"{self.name}: condition {cond} violated "
                    f"(got {', '.join(f'{s.name}={numbers[s.name]!r}' for s in sorted(cond.free_symbols, key=lambda s: s.name))})")
        return sp.lambdify(symbols, self.expr, "numpy")(*args)


SGD_CONSTANT_STEP = Bound(
    name="SGD_CONSTANT_STEP",
    expr=(1 - S.lr * S.mu) ** S.t * S.r0_sq + S.lr * S.sigma_sq / S.mu,
    conditions=(sp.Le(S.mu, S.L), sp.Le(S.lr * S.L, 1), sp.Ge(S.t, 0)),
    assumptions=("SC", "SM", "BV"),
    kind="upper",
    rate_exponent=None,
    reference="THEORY.md 2a: E||y_t||^2 <= (1 - eta mu)^t ||y_0||^2 + eta sigma^2 / mu "
              "for 0 < eta <= 1/L (unrolls the one-step contraction).",
)
