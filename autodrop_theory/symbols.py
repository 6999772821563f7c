"""One symbol table, with the paper's names and sympy assumptions, reused by every bound and proof.

Positivity assumptions are declared here so that sympy simplifications are valid.
"""

import sympy as sp

mu = sp.Symbol("mu", positive=True)            # strong-convexity constant
L = sp.Symbol("L", positive=True)              # smoothness constant
sigma_sq = sp.Symbol("sigma_sq", nonnegative=True)  # gradient-noise variance bound sigma^2
lr = sp.Symbol("lr", positive=True)            # learning rate eta (keyword "lr")
r0_sq = sp.Symbol("r0_sq", nonnegative=True)   # ||y_0||^2
t = sp.Symbol("t", integer=True, nonnegative=True)  # number of SGD steps

# How each symbol prints in LaTeX (the paper's notation); keywords use the Python names.
LATEX_NAMES = {mu: r"\mu", L: "L", sigma_sq: r"\sigma^{2}", lr: r"\eta",
               r0_sq: r"\|y_0\|^{2}", t: "t"}

__all__ = ["mu", "L", "sigma_sq", "lr", "r0_sq", "t", "LATEX_NAMES"]
