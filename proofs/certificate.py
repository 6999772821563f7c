"""docs/theory.md §4c: what crossing 90 degrees certifies, isotropic and anisotropic.

At a constant rate (alpha_n = alpha_{n-1} = alpha in (0, 1)), per coordinate
``certificate_isotropic``: E[s_n s_{n-1}] = alpha (1 - alpha)^2 (P_{n-1} - ((1 + alpha)/alpha) v),
so with identical coordinates E<s_n, s_{n-1}> <= 0 iff E||X_{n-1}||^2 <= ((1 + alpha)/alpha) d v.
``certificate_anisotropic``: summed over coordinates with w_i = alpha_i (1 - alpha_i)^2 >= 0,
E<s_n, s_{n-1}> = sum_i w_i P_{n-1,i} - sum_i (1 - alpha_i) q_i, so E<s_n, s_{n-1}> <= 0 iff
sum_i w_i P_{n-1,i} <= sum_i (1 - alpha_i) q_i = F_w sum_i w_i v_i
(autodrop_theory.angular.certificate).
"""

import sympy as sp

from autodrop_theory import derivations as D
from autodrop_theory import symbols as S
from proofs.checker import Proof, Step

alpha, q, P = D.alpha, D.q, D.P_prev
v = q / (1 - alpha ** 2)
i = sp.Idx("i")
d = sp.Symbol("d", integer=True, positive=True)
Ai, Qi, Pi = sp.IndexedBase("alpha"), sp.IndexedBase("q"), sp.IndexedBase("P")

ISOTROPIC = Proof(
    name="certificate_isotropic",
    title="E[s_n s_{n-1}] = alpha (1 - alpha)^2 (P_{n-1} - ((1 + alpha)/alpha) v)",
    lhs=(alpha - 1) * (alpha * (alpha - 1) * P + q), relation="=",
    rhs=alpha * (1 - alpha) ** 2 * (P - (1 + alpha) / alpha * v),
    steps=(
        Step(alpha * (1 - alpha) ** 2 * P - (1 - alpha) * q, "=", "expand"),
        Step(alpha * (1 - alpha) ** 2 * P - alpha * (1 - alpha) ** 2 * (1 + alpha) / alpha * v,
             "=", "(1 - alpha) q = alpha (1 - alpha)^2 ((1 + alpha)/alpha) v"),
        Step(alpha * (1 - alpha) ** 2 * (P - (1 + alpha) / alpha * v), "=", "factor"),
    ),
    reference="docs/theory.md §4c (displacement_inner at a constant rate).",
    assumptions=(S.Gt(alpha, 0), S.Lt(alpha, 1)),
)

ANISOTROPIC = Proof(
    name="certificate_anisotropic",
    title="E<s_n, s_{n-1}> = sum_i w_i P_{n-1,i} - sum_i (1 - alpha_i) q_i",
    lhs=sp.Sum((Ai[i] - 1) * (Ai[i] * (Ai[i] - 1) * Pi[i] + Qi[i]), (i, 1, d)), relation="=",
    rhs=sp.Sum(Ai[i] * (1 - Ai[i]) ** 2 * Pi[i], (i, 1, d))
    - sp.Sum((1 - Ai[i]) * Qi[i], (i, 1, d)),
    steps=(
        Step(sp.Sum(Ai[i] * (1 - Ai[i]) ** 2 * Pi[i] - (1 - Ai[i]) * Qi[i], (i, 1, d)), "=",
             "expand each term"),
        Step(sp.Sum(Ai[i] * (1 - Ai[i]) ** 2 * Pi[i], (i, 1, d))
             - sp.Sum((1 - Ai[i]) * Qi[i], (i, 1, d)), "=", "linearity of the sum"),
    ),
    reference="This project (docs/theory.md §4c, anisotropic).",
)

PROOFS = (ISOTROPIC, ANISOTROPIC)
