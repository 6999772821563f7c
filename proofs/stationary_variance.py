"""docs/theory.md §2c: the stationary variance v = eta c / (h (2 - eta h)) of one coordinate of Q.

Statement: the closed form of 2c approaches v geometrically, P_t - v = a^{2t} (y_0^2 - v)
(a = 1 - eta h, 0 < eta h < 2, so |a| < 1 and P_t -> v; at t = 1 this says v = a^2 v + eta^2 c,
the fixed point of the recursion).
"""

from autodrop_theory import symbols as S
from proofs.checker import Proof, Step
from proofs.sgd_quadratic_exact import closed

eta, h, c, y0, t = S.lr, S.h, S.c, S.y0, S.t
a = 1 - eta * h
v = eta * c / (h * (2 - eta * h))

PROOF = Proof(
    name="stationary_variance",
    title="Stationary variance and the geometric approach to it (docs/theory.md §2c)",
    lhs=closed - v, relation="=", rhs=a ** (2 * t) * (y0 ** 2 - v),
    steps=(
        Step(a ** (2 * t) * y0 ** 2 + eta ** 2 * c / (1 - a ** 2) * (1 - a ** (2 * t)) - v, "=",
             "the closed form of 2c"),
        Step(a ** (2 * t) * y0 ** 2 + v * (1 - a ** (2 * t)) - v, "=",
             "eta^2 c / (1 - a^2) = eta^2 c / (eta h (2 - eta h)) = v"),
        Step(a ** (2 * t) * (y0 ** 2 - v), "=", "collect"),
    ),
    reference="docs/theory.md §2c.",
    assumptions=(S.Gt(h, 0), S.Gt(eta, 0), S.Lt(eta * h, 2), S.Ge(c, 0)),
)
