"""docs/theory.md §2d: SGD with a rate that changes from step to step, chosen in advance or
adaptively.

Six theorems, under SC(mu), SM(L), BV(sigma^2) (AD for the adaptive ones: the rate known
before the step's noise, the noise conditionally unbiased with conditional variance <= sigma^2)
and y_{t+1} = y_t - eta_t g_t with E[g_t | past] = grad f(x_t):

- ``sgd_one_step_sharp``: for 0 < eta (mu + L) <= 2,
      E||y_{t+1}||^2 <= (1 - eta mu)^2 E||y_t||^2 + eta^2 sigma^2,
  from the interpolation inequality of an L-smooth mu-strongly convex f (Nesterov 2004,
  Thm 2.1.12 at y = x*): <grad f(x), y> >= mu L/(mu + L) ||y||^2 + ||grad f(x)||^2/(mu + L),
  and ||grad f(x)|| >= mu ||y|| (strong convexity).  For eta <= 1/L it is sharper than §2a's
  factor 1 - eta mu, and it holds up to eta = 2/(mu + L).
- ``sgd_schedule``: a rate sequence fixed in advance, eta_t (mu + L) <= 2: E||y_t||^2 <= B(t)
  with B(0) = ||y_0||^2, B(t+1) = (1 - eta_t mu)^2 B(t) + sigma^2 eta_t^2 (induction on t).
  Unrolled, B(T) = P_T ||y_0||^2 + sigma^2 sum_t eta_t^2 P_T / P_{t+1}, P_t = prod_{s<t}
  (1 - eta_s mu)^2 (``autodrop_theory.schedule_bounds.SGD_SCHEDULE``; the unrolling is an
  identity of the recursion, checked numerically in the tests).
- ``sgd_adaptive_step``: a *predictable* rate (eta_t a function of everything observed before
  step t: the AutoDrop rule, plateau, every peer), with eta_t (mu + L) <= 2 and eta_t mu < 1.
  Let P_t = prod_{s<t} (1 - eta_s mu)^2 (known at time t) and
      Z_t = ||y_t||^2 / P_t - sigma^2 sum_{s<t} eta_s^2 / P_{s+1}.
  Conditionally on the past, E_t Z_{t+1} <= Z_t: Z is a supermartingale.  The step is the
  conditional form of ``sgd_one_step_sharp`` (its facts hold conditionally on the past, with
  eta_t, P_t and the sum known) divided by P_{t+1} = (1 - eta_t mu)^2 P_t > 0.
- ``sgd_adaptive_schedule``: E Z_T <= ||y_0||^2 for every T, i.e.
      E[ ||y_T||^2 / P_T - sigma^2 sum_{t<T} eta_t^2 / P_{t+1} ] <= ||y_0||^2.
  By induction on T, with the tower property E Z_{t+1} = E[E_t Z_{t+1}] <= E Z_t (a stated
  step: it turns the conditional theorem into one about expectations; Z_t is integrable since
  the rates are bounded and P_t >= prod (1 - eta_max mu)^2 > 0).
- ``sgd_adaptive_segment_step``: a weight w >= 0 known at time t keeps the step,
  E_t[w Z_{t+1}] <= w Z_t (``sgd_adaptive_step`` times w).
- ``sgd_adaptive_restart``: moves outside SGD at stopping times tau_k, each segment's Z^k
  restarted at the moved point and weighted by a bounded c_k >= 0 known at tau_k:
  E[sum_k c_k (Z^k_{tau_{k+1}} - ||y^+_{tau_k}||^2)] <= 0, by induction on the stopped sum M_t
  of the weighted increments (the tower property again a stated step).
"""

import sympy as sp

from autodrop_theory import symbols as S
from proofs.checker import Fact, Proof, Step
from proofs.sgd_one_step import PROOF as ONE_STEP
from proofs.sgd_one_step import G, V, Y1, p, r

_SHARED = {f.name: f for f in ONE_STEP.facts}      # the expansion and BV, as in §2a
P = sp.Symbol("P", positive=True)                # P_t > 0
Acc = sp.Symbol("A", nonnegative=True)           # sum_{s<t} eta_s^2 / P_{s+1}
eta, mu, L, s2, r0, t = S.lr, S.mu, S.L, S.sigma_sq, S.r0_sq, S.t
q = (1 - eta * mu) ** 2

SHARP = Proof(
    name="sgd_one_step_sharp",
    title="SGD one step, eta (mu + L) <= 2: E||y_{t+1}||^2 <= (1 - eta mu)^2 E||y_t||^2 "
          "+ eta^2 sigma^2 (docs/theory.md §2d)",
    lhs=Y1, relation="<=", rhs=q * r + eta ** 2 * s2,
    facts=(
        _SHARED["expansion"],
        Fact("interpolation", p - mu * L / (mu + L) * r - G / (mu + L), "ge",
             "<grad f(x), x - x*> >= mu L/(mu+L) ||x - x*||^2 + ||grad f(x)||^2/(mu+L) "
             "(SC + SM; Nesterov 2004, Thm 2.1.12)"),
        Fact("gradient_lower", G - mu ** 2 * r, "ge",
             "||grad f(x)|| >= mu ||x - x*|| (SC), squared"),
        _SHARED["bounded_variance"],
        Fact("step_size", 2 - eta * (mu + L), "ge", "eta <= 2/(mu + L)", role="hypothesis"),
    ),
    nonneg=("step_size",),
    steps=(
        Step(r - 2 * eta * p + eta ** 2 * G + eta ** 2 * V, "=", "expand the square",
             (("expansion", 1),)),
        Step(r - 2 * eta * p + eta ** 2 * G + eta ** 2 * s2, "<=", "bounded variance",
             (("bounded_variance", eta ** 2),)),
        Step(r - 2 * eta * mu * L / (mu + L) * r - 2 * eta / (mu + L) * G + eta ** 2 * G
             + eta ** 2 * s2, "<=", "interpolation inequality, multiplier 2 eta",
             (("interpolation", 2 * eta),)),
        Step(r - 2 * eta * mu * L / (mu + L) * r - eta * (2 - eta * (mu + L)) / (mu + L)
             * mu ** 2 * r + eta ** 2 * s2, "<=",
             "||grad f||^2 >= mu^2 ||y||^2 with multiplier eta (2 - eta (mu + L))/(mu + L) >= 0",
             (("gradient_lower", eta * (2 - eta * (mu + L)) / (mu + L)),)),
        Step(q * r + eta ** 2 * s2, "=",
             "1 - 2 eta mu L/(mu+L) - 2 eta mu^2/(mu+L) + eta^2 mu^2 = (1 - eta mu)^2"),
    ),
    reference="docs/theory.md §2d; the contraction of a gradient step on an L-smooth mu-strongly "
              "convex function (Nesterov 2004, Thm 2.1.15) plus the noise of BV.",
    assumptions=(S.Gt(mu, 0), S.Le(mu, L), S.Gt(eta, 0), S.Le(eta * (mu + L), 2),
                 S.Ge(s2, 0)),
)

R = sp.Function("R", nonnegative=True)            # R(t) = E||y_t||^2
B = sp.Function("B")                               # the recursion of the bound
rate = sp.Function("eta", positive=True)           # the deterministic sequence eta_t


def _one_step_at(name, y_next, y_now, step_rate, text):
    """SHARP's statement at step t, citing it with the step's own rate."""
    subs = ((Y1, y_next), (r, y_now), (eta, step_rate))
    expr = (SHARP.rhs - SHARP.lhs).subs(dict(subs), simultaneous=True)
    return Fact(name, expr, "ge", text, cites="sgd_one_step_sharp", cite_subs=subs)


def _qt(x):
    return (1 - x * mu) ** 2


SCHEDULE = Proof(
    name="sgd_schedule",
    title="SGD with a rate sequence fixed in advance: E||y_t||^2 <= B(t) (docs/theory.md §2d)",
    lhs=R(t), relation="<=", rhs=B(t),
    induction=t,
    facts=(
        Fact("initial", R(0) - r0, "eq", "R(0) = ||y_0||^2"),
        Fact("definition_start", B(0) - r0, "eq", "B(0) = ||y_0||^2"),
        Fact("definition_step", B(t + 1) - _qt(rate(t)) * B(t) - s2 * rate(t) ** 2, "eq",
             "B(t+1) = (1 - eta_t mu)^2 B(t) + sigma^2 eta_t^2"),
        _one_step_at("one_step", R(t + 1), R(t), rate(t),
                     "sgd_one_step_sharp at step t with the rate eta_t (eta_t (mu+L) <= 2)"),
    ),
    base_steps=(
        Step(r0, "=", "initial condition", (("initial", 1),)),
        Step(B(0), "=", "definition of B(0)", (("definition_start", -1),)),
    ),
    steps=(
        Step(_qt(rate(t)) * R(t) + s2 * rate(t) ** 2, "<=", "one step at rate eta_t",
             (("one_step", 1),)),
        Step(_qt(rate(t)) * B(t) + s2 * rate(t) ** 2, "<=",
             "induction hypothesis times (1 - eta_t mu)^2 >= 0", (("hypothesis", _qt(rate(t))),)),
        Step(B(t + 1), "=", "definition of B(t+1)", (("definition_step", -1),)),
    ),
    reference="docs/theory.md §2d, unrolled by induction.",
    # every eta_t (t is free: for all t) satisfies the conditions; SGD_SCHEDULE states them
    # for its per-step symbol lr_t
    assumptions=(S.Gt(mu, 0), S.Le(mu, L), S.Gt(rate(t), 0), S.Le(rate(t) * (mu + L), 2),
                 S.Ge(s2, 0), S.Ge(r0, 0)),
    bound="SGD_SCHEDULE",
    bound_subs=((rate(t), S.lr_t),),
)

_z_now = r / P - s2 * Acc
_z_next = Y1 / (q * P) - s2 * (Acc + eta ** 2 / (q * P))

ADAPTIVE_STEP = Proof(
    name="sgd_adaptive_step",
    title="A predictable rate: E_t Z_{t+1} <= Z_t, Z_t = ||y_t||^2/P_t - sigma^2 sum_{s<t} "
          "eta_s^2/P_{s+1} (docs/theory.md §2d)",
    lhs=_z_next, relation="<=", rhs=_z_now,
    facts=(
        Fact("one_step", SHARP.rhs - SHARP.lhs, "ge",
             "sgd_one_step_sharp conditionally on the past (r = ||y_t||^2 and the rate eta = "
             "eta_t are known at time t; Y_1 = E_t ||y_{t+1}||^2)", cites="sgd_one_step_sharp"),
    ),
    steps=(
        Step((q * r + eta ** 2 * s2) / (q * P) - s2 * (Acc + eta ** 2 / (q * P)), "<=",
             "one step, divided by P_{t+1} = (1 - eta_t mu)^2 P_t > 0",
             (("one_step", 1 / (q * P)),)),
        Step(_z_now, "=", "cancel (1 - eta_t mu)^2 (eta_t mu < 1) and the noise terms"),
    ),
    reference="This project (docs/theory.md §2d): the one-step contraction made a "
              "supermartingale by the predictable normalisation P_{t+1}.",
    assumptions=(S.Gt(mu, 0), S.Le(mu, L), S.Gt(eta, 0), S.Le(eta * (mu + L), 2),
                 S.Lt(eta * mu, 1), S.Ge(s2, 0)),
)

EZ = sp.Function("EZ")                             # E Z_t

ADAPTIVE = Proof(
    name="sgd_adaptive_schedule",
    title="A predictable rate: E[||y_T||^2/P_T - sigma^2 sum_t eta_t^2/P_{t+1}] <= ||y_0||^2 "
          "(docs/theory.md §2d)",
    lhs=EZ(t), relation="<=", rhs=r0,
    induction=t,
    facts=(
        Fact("initial", EZ(0) - r0, "eq", "Z_0 = ||y_0||^2 / P_0 - 0 = ||y_0||^2 (P_0 = 1)"),
        Fact("supermartingale", EZ(t) - EZ(t + 1), "ge",
             "E Z_{t+1} = E[E_t Z_{t+1}] <= E Z_t: the tower property applied to "
             "sgd_adaptive_step (a stated step)"),
    ),
    base_steps=(Step(r0, "=", "initial condition", (("initial", 1),)),),
    steps=(
        Step(EZ(t), "<=", "supermartingale step", (("supermartingale", 1),)),
        Step(r0, "<=", "induction hypothesis", (("hypothesis", 1),)),
    ),
    reference="This project (docs/theory.md §2d): optional stopping for the supermartingale Z.",
    assumptions=(S.Gt(mu, 0), S.Le(mu, L), S.Gt(S.lr_t, 0), S.Le(S.lr_t * (mu + L), 2),
                 S.Lt(S.lr_t * mu, 1), S.Ge(s2, 0), S.Ge(r0, 0)),
    bound="SGD_ADAPTIVE_SCHEDULE",
)

w = sp.Symbol("w", nonnegative=True)             # c_k 1{tau_k <= t < tau_{k+1}}, known at t

SEGMENT_STEP = Proof(
    name="sgd_adaptive_segment_step",
    title="A nonnegative weight known at time t keeps the supermartingale step: "
          "E_t[w Z_{t+1}] <= w Z_t (docs/theory.md §2d)",
    lhs=w * _z_next, relation="<=", rhs=w * _z_now,
    facts=(
        Fact("step", _z_now - _z_next, "ge", "sgd_adaptive_step (E_t Z_{t+1} <= Z_t; a weight "
             "known at time t comes out of E_t)", cites="sgd_adaptive_step"),
        Fact("weight", w, "ge", "w = c_k 1{tau_k <= t < tau_{k+1}} >= 0",
             role="hypothesis"),
    ),
    nonneg=("weight",),
    steps=(Step(w * _z_now, "<=", "the step times the weight w >= 0", (("step", w),)),),
    reference="This project (docs/theory.md §2d): the increment of a segment's statistic.",
    assumptions=(S.Gt(mu, 0), S.Le(mu, L), S.Gt(eta, 0), S.Le(eta * (mu + L), 2),
                 S.Lt(eta * mu, 1), S.Ge(s2, 0), S.Ge(w, 0)),
)

EM = sp.Function("EM")                             # E M_t

RESTART = Proof(
    name="sgd_adaptive_restart",
    title="Moves that are not SGD steps, at stopping times: E[sum_k c_k (Z^k_end - "
          "||y^+_{tau_k}||^2)] <= 0 (docs/theory.md §2d)",
    lhs=EM(t), relation="<=", rhs=sp.Integer(0),
    induction=t,
    facts=(
        Fact("initial", EM(0), "eq", "M_0 = 0: no increment has been added"),
        Fact("increment", EM(t) - EM(t + 1), "ge",
             "M_{t+1} - M_t = w_t (Z^{k(t)}_{t+1} - Z^{k(t)}_t) with w_t = c_k 1{tau_k <= t < "
             "tau_{k+1}} known at time t (the move times tau_k are stopping times and c_k is "
             "known at tau_k); E[w_t Z_{t+1}] = E[E_t(w_t Z_{t+1})] <= E[w_t Z_t] by "
             "sgd_adaptive_segment_step and the tower property (a stated step)"),
    ),
    base_steps=(Step(sp.Integer(0), "=", "initial condition", (("initial", 1),)),),
    steps=(
        Step(EM(t), "<=", "increment step", (("increment", 1),)),
        Step(sp.Integer(0), "<=", "induction hypothesis", (("hypothesis", 1),)),
    ),
    reference="This project (docs/theory.md §2d): the segments' statistic is a stopped sum of "
              "supermartingale increments; at a horizon T after the last move, M_T = sum_k c_k "
              "(Z^k_{tau_{k+1}} - ||y^+_{tau_k}||^2), and E M_T <= 0.",
    assumptions=(S.Gt(mu, 0), S.Le(mu, L), S.Gt(S.lr_t, 0), S.Le(S.lr_t * (mu + L), 2),
                 S.Lt(S.lr_t * mu, 1), S.Ge(s2, 0)),
)

PROOFS = (SHARP, SCHEDULE, ADAPTIVE_STEP, ADAPTIVE, SEGMENT_STEP, RESTART)
