"""docs/theory.md §2c: the exact second moment of SGD on one coordinate of the quadratic model Q.

Problem: y_{t+1} = a y_t - eta xi_t with a = 1 - eta h, xi_t zero-mean with variance c and
independent of y_t (Q), eta h != 0, |a| != 1 excluded only where the closed form divides by
1 - a^2 (h > 0, 0 < eta h < 2).  Statement: P_t = E[y_t^2] = a^{2t} y_0^2
+ eta^2 c (1 - a^{2t}) / (1 - a^2); summed over coordinates it is SGD_QUADRATIC_EXACT.
Proof: by induction on t with P_{t+1} = a^2 P_t + eta^2 c (expand the square; E[y_t xi_t] = 0).
"""

import sympy as sp

from autodrop_theory import symbols as S
from autodrop_theory.bounds import SGD_QUADRATIC_EXACT
from proofs.checker import Fact, Proof, Step

eta, h, c, y0, t = S.lr, S.h, S.c, S.y0, S.t
a = 1 - eta * h
P = sp.Function("P")
closed = SGD_QUADRATIC_EXACT.term

PROOF = Proof(
    name="sgd_quadratic_exact",
    title="SGD on the quadratic model: exact second moment (docs/theory.md §2c)",
    lhs=P(t), relation="=", rhs=closed,
    induction=t,
    facts=(
        Fact("initial", P(0) - y0 ** 2, "eq", "P_0 = y_0^2"),
        Fact("recursion", P(t + 1) - (a ** 2 * P(t) + eta ** 2 * c), "eq",
             "E(a y - eta xi)^2 = a^2 E y^2 + eta^2 E xi^2 (E[y xi] = 0)", role="model"),
    ),
    base_steps=(
        Step(y0 ** 2, "=", "initial condition", (("initial", 1),)),
        Step(closed.subs(t, 0), "=", "a^0 = 1: the noise term vanishes"),
    ),
    steps=(
        Step(a ** 2 * P(t) + eta ** 2 * c, "=", "one SGD step", (("recursion", 1),)),
        Step(a ** 2 * closed + eta ** 2 * c, "=", "induction hypothesis",
             (("hypothesis", -a ** 2),)),
        Step(a ** (2 * t + 2) * y0 ** 2 + eta ** 2 * c * (a ** 2 - a ** (2 * t + 2) + 1 - a ** 2)
             / (1 - a ** 2), "=", "collect over the common denominator 1 - a^2"),
        Step(closed.subs(t, t + 1), "=", "a^2 - a^2 cancels"),
    ),
    reference="docs/theory.md §2c.",
    assumptions=(S.Gt(h, 0), S.Gt(eta, 0), S.Lt(eta * h, 2), S.Ge(c, 0)),
    bound="SGD_QUADRATIC_EXACT",
)
