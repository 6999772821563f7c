"""docs/theory.md §2a, t steps: E||y_t||^2 <= (1 - eta mu)^t ||y_0||^2 + eta sigma^2 / mu.

By induction on t from the one-step contraction (proof ``sgd_one_step``); 1 - eta mu >= 0
because 1 - eta mu = (1 - eta L) + eta (L - mu).
"""

import sympy as sp

from autodrop_theory import symbols as S
from proofs.checker import Fact, Proof, Step
from proofs.sgd_one_step import PROOF as ONE_STEP
from proofs.sgd_one_step import Y1, r

eta, mu, L, s2, r0, t = S.lr, S.mu, S.L, S.sigma_sq, S.r0_sq, S.t
R = sp.Function("R", nonnegative=True)          # R(t) = E||y_t||^2
bound = (1 - eta * mu) ** t * r0 + eta * s2 / mu

PROOF = Proof(
    name="sgd_constant_step",
    title="SGD at a constant rate, t steps (docs/theory.md §2a)",
    lhs=R(t), relation="<=", rhs=bound,
    induction=t,
    facts=(
        Fact("initial", R(0) - r0, "eq", "R(0) = ||y_0||^2"),
        Fact("one_step", ONE_STEP.rhs.subs(r, R(t)) - R(t + 1), "ge",
             "the one-step contraction applied at step t", cites="sgd_one_step",
             cite_subs=((Y1, R(t + 1)), (r, R(t)))),
        Fact("step_size", 1 - eta * L, "ge", "eta <= 1/L", role="hypothesis"),
        Fact("mu_le_L", L - mu, "ge", "mu <= L", role="hypothesis"),
    ),
    nonneg=("step_size", "mu_le_L"),
    base_steps=(
        Step(r0, "=", "initial condition", (("initial", 1),)),
        Step(r0 + eta * s2 / mu, "<=", "add eta sigma^2 / mu >= 0", residual=eta * s2 / mu),
        Step(bound.subs(t, 0), "=", "(1 - eta mu)^0 = 1"),
    ),
    steps=(
        Step((1 - eta * mu) * R(t) + eta ** 2 * s2, "<=", "one step (sgd_one_step)",
             (("one_step", 1),)),
        Step((1 - eta * mu) * bound + eta ** 2 * s2, "<=",
             "induction hypothesis times 1 - eta mu = (1 - eta L) + eta (L - mu) >= 0",
             (("hypothesis", 1 - eta * mu),)),
        Step(bound.subs(t, t + 1), "=", "eta sigma^2/mu (1 - eta mu) + eta^2 sigma^2 = eta sigma^2/mu"),
    ),
    reference="docs/theory.md §2a, unrolled by induction.",
    assumptions=(S.Gt(mu, 0), S.Le(mu, L), S.Gt(eta, 0), S.Le(eta * L, 1), S.Ge(s2, 0)),
    bound="SGD_CONSTANT_STEP",
)
