"""Sympy expressions and relations as numeric functions, built once per expression.

``sympy.lambdify`` writes and compiles Python source and builds its module namespaces on every
call (tens of milliseconds); the bounds, the assumptions' conditions and the property tests'
strategies evaluate the same few expressions many times, so the functions are cached by
(symbols, expression, module).  A cached function is the one ``lambdify`` returns: the same
numbers.
"""

from __future__ import annotations

import functools

import sympy as sp

__all__ = ["lambdified"]


@functools.lru_cache(maxsize=4096)
def _cached(symbols: tuple, expr, module: str):
    return sp.lambdify(symbols, expr, module)


def lambdified(symbols, expr, module: str = "numpy"):
    """``sympy.lambdify(symbols, expr, module)``, cached (``symbols`` a sequence of sympy
    symbols; ``module`` a lambdify module name such as "numpy" or "jax")."""
    return _cached(tuple(symbols), expr, module)
