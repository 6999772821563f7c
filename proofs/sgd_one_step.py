"""docs/theory.md §2a, one step: E||y_{t+1}||^2 <= (1 - eta mu) E||y_t||^2 + eta^2 sigma^2.

Problem: SC(mu), SM(L), BV(sigma^2), 0 < eta <= 1/L; y_{t+1} = y_t - eta g_t, E[g_t | x_t] =
grad f(x_t).  In expectation over the step's noise, with r = E||y_t||^2, p = E<grad f(x_t), y_t>,
G = E||grad f(x_t)||^2, V = E||g_t - grad f(x_t)||^2:
    E||y_{t+1}||^2 = r - 2 eta p + eta^2 (G + V)                 (expand; unbiasedness)
and the facts p >= G / L (co-coercivity of a convex L-smooth f with grad f(x*) = 0),
p >= mu r (strong convexity), V <= sigma^2 (BV), eta L <= 1.
"""

import sympy as sp

from autodrop_theory import symbols as S
from proofs.checker import Fact, Proof, Step

r, p, G, V, Y1 = sp.symbols("r p G V Y_1", nonnegative=True)
eta, mu, L, s2 = S.lr, S.mu, S.L, S.sigma_sq

PROOF = Proof(
    name="sgd_one_step",
    title="SGD one-step contraction (docs/theory.md §2a)",
    lhs=Y1, relation="<=", rhs=(1 - eta * mu) * r + eta ** 2 * s2,
    facts=(
        Fact("expansion", Y1 - (r - 2 * eta * p + eta ** 2 * (G + V)), "eq",
             "E||y - eta g||^2 = ||y||^2 - 2 eta <grad f, y> + eta^2 (||grad f||^2 + E||g - grad f||^2)",
             role="model"),
        Fact("cocoercive", p - G / L, "ge", "<grad f(x), x - x*> >= ||grad f(x)||^2 / L (SM, convex)"),
        Fact("strongly_convex", p - mu * r, "ge", "<grad f(x), x - x*> >= mu ||x - x*||^2 (SC)",
             role="model"),
        Fact("bounded_variance", s2 - V, "ge", "E||g - grad f||^2 <= sigma^2 (BV)", role="model"),
        Fact("step_size", 1 - eta * L, "ge", "eta <= 1/L", role="hypothesis"),
    ),
    nonneg=("step_size",),
    steps=(
        Step(r - 2 * eta * p + eta ** 2 * G + eta ** 2 * V, "=", "expand the square",
             (("expansion", 1),)),
        Step(r - 2 * eta * p + eta ** 2 * G + eta ** 2 * s2, "<=", "bounded variance",
             (("bounded_variance", eta ** 2),)),
        Step(r - eta * (2 - eta * L) * p + eta ** 2 * s2, "<=", "co-coercivity",
             (("cocoercive", eta ** 2 * L),)),
        Step(r - eta * (2 - eta * L) * mu * r + eta ** 2 * s2, "<=",
             "strong convexity, multiplier eta (2 - eta L) = eta (1 + (1 - eta L)) >= 0",
             (("strongly_convex", eta * (2 - eta * L)),)),
        Step((1 - eta * mu) * r + eta ** 2 * s2 - eta * mu * (1 - eta * L) * r, "=", "regroup"),
        Step((1 - eta * mu) * r + eta ** 2 * s2, "<=", "drop -eta mu (1 - eta L) r <= 0",
             residual=eta * mu * (1 - eta * L) * r),
    ),
    reference="docs/theory.md §2a; the classical argument (e.g. Bottou, Curtis, Nocedal 2018, Thm 4.6).",
    assumptions=(S.Gt(mu, 0), S.Le(mu, L), S.Gt(eta, 0), S.Le(eta * L, 1), S.Ge(s2, 0)),
)
