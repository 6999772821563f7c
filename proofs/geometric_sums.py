"""Two facts about G(n) = sum_{k=1}^{n} rho^{-k}, 0 < rho < 1, used by the stage-wise rate.

``geometric_sum``:   (1 - rho) G(n) = rho^{-n} - 1        (induction on n)
``geometric_count``: n <= G(n)                             (each term rho^{-k} >= 1)
"""

import sympy as sp

from autodrop_theory import symbols as S
from proofs.checker import Fact, Proof, Step

rho = S.rho
n = sp.Symbol("n", integer=True, nonnegative=True)
G = sp.Function("G")

_definition = (
    Fact("G_empty", G(0), "eq", "G(0) = 0 (empty sum)"),
    Fact("G_next", G(n + 1) - G(n) - rho ** (-(n + 1)), "eq", "G(n+1) = G(n) + rho^{-(n+1)}"),
)

GEOMETRIC_SUM = Proof(
    name="geometric_sum",
    title="Geometric sum of inverse powers",
    lhs=(1 - rho) * G(n), relation="=", rhs=rho ** (-n) - 1,
    induction=n,
    facts=_definition,
    base_steps=(Step(sp.Integer(0), "=", "G(0) = 0", (("G_empty", 1 - rho),)),),
    steps=(
        Step((1 - rho) * G(n) + (1 - rho) * rho ** (-(n + 1)), "=", "definition of G(n+1)",
             (("G_next", 1 - rho),)),
        Step(rho ** (-n) - 1 + (1 - rho) * rho ** (-(n + 1)), "=", "induction hypothesis",
             (("hypothesis", -1),)),
        Step(rho ** (-(n + 1)) - 1, "=", "rho^{-n} = rho * rho^{-(n+1)}"),
    ),
    reference="Elementary.",
    assumptions=(S.Gt(rho, 0), S.Lt(rho, 1)),
)

GEOMETRIC_COUNT = Proof(
    name="geometric_count",
    title="G(n) >= n",
    lhs=n, relation="<=", rhs=G(n),
    induction=n,
    facts=_definition + (
        Fact("inverse_power", rho ** (-(n + 1)) - 1, "ge",
             "rho^{-(n+1)} >= 1 for 0 < rho < 1 and n >= 0"),),
    nonneg=("inverse_power",),
    base_steps=(Step(G(0), "=", "G(0) = 0", (("G_empty", -1),)),),
    steps=(
        Step(G(n) + 1, "<=", "induction hypothesis", (("hypothesis", 1),)),
        Step(G(n) + rho ** (-(n + 1)), "<=", "rho^{-(n+1)} >= 1", residual=rho ** (-(n + 1)) - 1),
        Step(G(n + 1), "=", "definition of G(n+1)", (("G_next", -1),)),
    ),
    reference="Elementary.",
    assumptions=(S.Gt(rho, 0), S.Lt(rho, 1)),
)

PROOFS = (GEOMETRIC_SUM, GEOMETRIC_COUNT)
