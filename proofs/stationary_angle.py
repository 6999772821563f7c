"""docs/theory.md §4a: the stationary angle and its range.

At a constant rate and stationarity (P = v = q / (1 - alpha^2), |alpha| < 1), per coordinate
``stationary_ratio``: E[s_n s_{n-1}] = ((alpha - 1)/2) E[s_n^2], with E[s_n^2] = 2 q / (1 + alpha).
Summing over coordinates, cos omega_inf = sum_i W_i (alpha_i - 1)/2 / sum_i W_i with weights
W_i = E[s_{n,i}^2] >= 0: a weighted mean of (alpha_i - 1)/2 in [-1, 0).
``stationary_angle_lower``: if every alpha_i >= 0, cos omega_inf >= -1/2 (omega <= 120 degrees).
``stationary_angle_upper``: with beta_i = 1 - alpha_i >= 0, cos omega_inf <= 0, with equality only
if every W_i beta_i = 0, i.e. no noise or no contraction (omega > 90 degrees otherwise).
"""

import sympy as sp

from autodrop_theory import derivations as D
from autodrop_theory import symbols as S
from proofs.checker import Fact, Proof, Step

alpha, q = D.alpha, D.q
v = q / (1 - alpha ** 2)
i = sp.Idx("i")
d = sp.Symbol("d", integer=True, positive=True)
W = sp.IndexedBase("W", nonnegative=True)
A = sp.IndexedBase("alpha", nonnegative=True)
B = sp.IndexedBase("beta", nonnegative=True)
Wsum = sp.Sum(W[i], (i, 1, d))
cos_alpha = sp.Sum(W[i] * (A[i] - 1) / 2, (i, 1, d)) / Wsum
cos_beta = sp.Sum(-W[i] * B[i] / 2, (i, 1, d)) / Wsum

RATIO = Proof(
    name="stationary_ratio",
    title="At stationarity E[s_n s_{n-1}] = ((alpha - 1)/2) E[s_n^2]",
    lhs=(alpha - 1) * (alpha * (alpha - 1) * v + q), relation="=",
    rhs=(alpha - 1) / 2 * ((1 - alpha) ** 2 * v + q),
    steps=(
        Step((alpha - 1) * q * (1 - alpha / (1 + alpha)), "=", "alpha (alpha - 1) v = -alpha q/(1 + alpha)"),
        Step((alpha - 1) * q / (1 + alpha), "=", "1 - alpha/(1 + alpha) = 1/(1 + alpha)"),
        Step((alpha - 1) / 2 * (2 * q / (1 + alpha)), "=", "factor out (alpha - 1)/2"),
        Step((alpha - 1) / 2 * ((1 - alpha) ** 2 * v + q), "=",
             "(1 - alpha)^2 v + q = q (1 - alpha)/(1 + alpha) + q = 2 q/(1 + alpha)"),
    ),
    reference="docs/theory.md §4a, from displacement_inner and displacement_sq at P = v.",
    assumptions=(S.Gt(alpha, -1), S.Lt(alpha, 1)),
)

LOWER = Proof(
    name="stationary_angle_lower",
    title="cos omega_inf >= -1/2 when every alpha_i >= 0 (omega_inf <= 120 degrees)",
    lhs=sp.Rational(-1, 2), relation="<=", rhs=cos_alpha,
    facts=(Fact("weights_positive", Wsum, "gt", "sum_i E[s_{n,i}^2] > 0 (some noise)",
                role="model"),),
    nonneg=("weights_positive",),
    steps=(
        Step(sp.Rational(-1, 2) + sp.Sum(W[i] * A[i], (i, 1, d)) / (2 * Wsum), "<=",
             "add sum_i W_i alpha_i / (2 sum_i W_i) >= 0",
             residual=sp.Sum(W[i] * A[i], (i, 1, d)) / (2 * Wsum)),
        Step(cos_alpha, "=", "linearity of the sum"),
    ),
    reference="docs/theory.md §4a.",
)

UPPER = Proof(
    name="stationary_angle_upper",
    title="cos omega_inf <= 0 (omega_inf >= 90 degrees; > 90 when some W_i beta_i > 0)",
    lhs=cos_beta, relation="<=", rhs=sp.Integer(0),
    facts=(Fact("weights_positive", Wsum, "gt", "sum_i E[s_{n,i}^2] > 0 (some noise)",
                role="model"),),
    nonneg=("weights_positive",),
    steps=(Step(sp.Integer(0), "<=", "add sum_i W_i beta_i / (2 sum_i W_i) >= 0",
                residual=sp.Sum(W[i] * B[i], (i, 1, d)) / (2 * Wsum)),),
    reference="docs/theory.md §4a.",
)

PROOFS = (RATIO, LOWER, UPPER)
