"""docs/theory.md §10: the package's AutoDrop (a wait proportional to the stage, tail averaging,
stage growth, no rate floor) keeps the O(1/T) rate of §4f on the isotropic quadratic.

Problem: as in ``autodrop_guard`` (the quadratic model Q with identical coordinates, epochs of K
steps, stage k at eta_k = eta_0 rho^k, 0 < eta_0 h <= 1, 0 < rho < 1; a_k = 1 - eta_k h,
alpha_k = a_k^K, v_k the floor of 2c, F_k = (1 + alpha_k)/alpha_k).

Algorithm (idealised in expectation, as in §4f): in stage k the trigger is set at the first
boundary where the deterministic-equivalent angle of two displacements of the stage is at least
90 degrees, after n_k epochs; the rule then waits ceil(f n_k) more epochs (f = delay_fraction
>= 0), and longer if needed until the stage has lasted g times the previous stage (g =
stage_growth >= 0), and drops to rho eta_k from the weighted average of the wait's snapshots
(tail averaging; from the last snapshot without it).

Theorems:
- ``wait_drop_error``: any number of epochs after the certificate at the stage's rate, the
  error is still within F_k v_k (the certificate of 4c bounds P; 2c moves P towards v_k <= F_k
  v_k and never past it).
- ``tail_average_error``: the tail average's second moment is within F_k v_k too (Jensen).
- ``stage_growth_bound``: with N_k the steps of stage k and M = max_{k <= J} N_k eta_k,
  M <= (a + b)/(1 - g rho), where a = (1 + f)(l_B/(2h) + 3 K eta_0) + K eta_0 bounds the
  guarded part of a stage (l_B = ln(2 Fbar/rho), §4f) and b = N_0 eta_0; needs g rho < 1.
- ``wait_time``: T - T_0 <= M / ((1 - rho) eta_J), T the steps to the end of stage J >= 1,
  T_0 = N_0.
- ``autodrop_wait_rate``: at the end of stage J, E||X||^2 / d = P <= F_J c (a + b) /
  (h (1 - rho)(1 - g rho)(T - T_0)): O(1/T).  With g rho = 1 the bound on M grows with J and the
  rate is only O(log T / T); with g rho > 1 stages outgrow 1/eta_k and, without the tail
  average, the last iterate's rate is T^(-ln(1/rho)/ln g), slower than 1/T (with it, a wait
  much longer than the relaxation time is Polyak-Ruppert averaging, and the measured rate is
  1/T again: tests/test_guard_rate.py).
- ``wait_confirmation``: for one coordinate at the rate eta, the wait's halves u1 = y_{t+A} -
  y_t and u2 = y_{t+A+B} - y_{t+A} have E[u1 u2] = (1 - q^A)(1 - q^B)(q^A P_0 - (1 + q^A) v),
  q = 1 - eta h, P_0 = E y_t^2: summed over coordinates, the expected inner product of the
  halves is <= 0 iff the error is within the certificate of §4c taken at the halves' time scale
  (weights (1 - q_i^A)(1 - q_i^B) in place of alpha_i (1 - alpha_i)^2; a flat coordinate's
  weight grows as (A eta h_i)(B eta h_i), so the wait sees its excess error (A/K)^2 times more
  strongly than one epoch's angle does).

Lemmas stated with reasons, spot-checked in tests/test_lemmas.py on the exact recursion of the
idealised rule (tests/test_guard_rate.py::waited): the guard as in §4f; 0 <= alpha^{2m} <= 1;
Jensen's inequality for the weighted average; a stage lasts at most max((1 + f) n_k + 1
epochs, g N_{k-1}) with n_k K <= l_B/(2 h eta_k) + 3K (§4f's stage length, since a stage after a
tail average starts within F v of the previous floor by ``tail_average_error``).  Not covered:
finite d (the angle is noisy; the package's estimate, the average since the first saturation,
is not analysed here), anisotropic spectra (as in §4f), momentum.
"""

import sympy as sp

from autodrop_theory import symbols as S
from proofs.autodrop_guard import STAGE, F, K, Pj, alpha, c, eta, h, rho, v
from proofs.checker import Fact, Proof, Step
from proofs.geometric_sums import G, n as n_geo

eta0 = S.lr
A = sp.Symbol("A", nonnegative=True)                 # alpha^{2m}, m >= 0 epochs
P_wait, P_out, P_bar = sp.symbols("P_wait P_out P_bar", nonnegative=True)

WAIT_ERROR = Proof(
    name="wait_drop_error",
    title="Any number of epochs after the guard's certificate, the error is within F of the "
          "floor",
    lhs=P_wait, relation="<=", rhs=F(eta) * v(eta),
    facts=(
        Fact("wait_epochs", P_wait - (v(eta) + A * (Pj - v(eta))), "eq",
             "2c over the m >= 0 epochs after the certified P_n, A = alpha^{2m}", role="model"),
        Fact("guard", F(eta) * v(eta) - Pj, "ge",
             "the guard passed: E<s_{n+1}, s_n> <= 0 iff P_n <= F v (certificate_isotropic)"),
        Fact("A_le_1", 1 - A, "ge", "A = alpha^{2m} with 0 <= alpha <= 1"),
        Fact("step", 1 - eta * h, "ge", "eta h <= 1", role="hypothesis"),
    ),
    nonneg=("A_le_1", "step"),
    steps=(
        Step(v(eta) + A * (Pj - v(eta)), "=", "m epochs of 2c", (("wait_epochs", 1),)),
        Step(v(eta) + A * (F(eta) * v(eta) - v(eta)), "<=", "the guard", (("guard", A),)),
        Step(v(eta) + v(eta) / alpha(eta), "<=", "A <= 1 (F - 1 = 1/alpha)",
             residual=(1 - A) * v(eta) / alpha(eta)),
        Step(F(eta) * v(eta), "=", "collect"),
    ),
    reference="This project (docs/theory.md §10).",
    assumptions=STAGE,
)

AVERAGE_ERROR = Proof(
    name="tail_average_error",
    title="The tail average of the wait's snapshots is within F of the floor",
    lhs=P_out, relation="<=", rhs=F(eta) * v(eta),
    facts=(
        Fact("jensen", P_bar - P_out, "ge",
             "E||sum_j w_j X_j||^2 <= sum_j w_j E||X_j||^2 = P_bar for weights w_j >= 0 "
             "summing to 1 (the square is convex)"),
        Fact("each", F(eta) * v(eta) - P_bar, "ge",
             "P_bar is a weighted mean of the wait's P_j, each <= F v (wait_drop_error)"),
    ),
    steps=(
        Step(P_bar, "<=", "Jensen", (("jensen", 1),)),
        Step(F(eta) * v(eta), "<=", "each snapshot within F v", (("each", 1),)),
    ),
    reference="This project (docs/theory.md §10); Jensen's inequality.",
    assumptions=STAGE,
)

g = sp.Symbol("g", nonnegative=True)                 # stage_growth
a_c, b_c = sp.symbols("a b", nonnegative=True)
Mx = sp.Symbol("M", nonnegative=True)
GROWTH = Proof(
    name="stage_growth_bound",
    title="M = max_k N_k eta_k <= (a + b)/(1 - g rho) when g rho < 1",
    lhs=Mx, relation="<=", rhs=(a_c + b_c) / (1 - g * rho),
    facts=(
        Fact("recursion", a_c + b_c + g * rho * Mx - Mx, "ge",
             "N_k eta_k <= a + g rho N_{k-1} eta_{k-1} for k >= 1 (a stage lasts at most "
             "max((1 + f) n_k K + K, g N_{k-1}) steps, n_k K <= l_B/(2 h eta_k) + 3K, and "
             "eta_k <= eta_0, eta_k = rho eta_{k-1}); N_0 eta_0 = b; so every N_k eta_k <= "
             "a + b + g rho M"),
        Fact("contracting", 1 - g * rho, "gt", "g rho < 1", role="hypothesis"),
    ),
    nonneg=("contracting",),
    steps=(
        Step((a_c + b_c) / (1 - g * rho), "<=", "solve M <= a + b + g rho M for M",
             (("recursion", 1 / (1 - g * rho)),)),
    ),
    reference="This project (docs/theory.md §10).",
    assumptions=(S.Gt(rho, 0), S.Lt(rho, 1), S.Lt(g * rho, 1)),
)

T, T0 = sp.Symbol("T", positive=True), sp.Symbol("T_0", nonnegative=True)
J = sp.Symbol("J", integer=True, positive=True)
eta_J = eta0 * rho ** J
TIME = Proof(
    name="wait_time",
    title="T - T_0 <= M / ((1 - rho) eta_J)",
    lhs=T - T0, relation="<=", rhs=Mx / ((1 - rho) * eta_J),
    facts=(
        Fact("lengths", Mx / eta0 * G(J) - (T - T0), "ge",
             "stage k lasts N_k <= M / eta_k steps; 1/eta_k = rho^{-k}/eta_0 summed over "
             "k = 1..J"),
        Fact("geometric", (rho ** (-J) - 1) - (1 - rho) * G(J), "eq", "geometric_sum at n = J",
             cites="geometric_sum", cite_subs=((n_geo, J),)),
        Fact("rho_lt_1", 1 - rho, "ge", "rho < 1", role="hypothesis"),
    ),
    nonneg=("rho_lt_1",),
    steps=(
        Step(Mx / eta0 * G(J), "<=", "sum of the stage lengths", (("lengths", 1),)),
        Step(Mx / eta0 * (rho ** (-J) - 1) / (1 - rho), "=", "geometric sum",
             (("geometric", -Mx / (eta0 * (1 - rho))),)),
        Step(Mx / eta0 * rho ** (-J) / (1 - rho), "<=", "drop -1",
             residual=Mx / (eta0 * (1 - rho))),
        Step(Mx / ((1 - rho) * eta_J), "=", "eta_J = eta_0 rho^J"),
    ),
    reference="This project (docs/theory.md §10).",
    assumptions=(S.Gt(eta0, 0), S.Gt(rho, 0), S.Lt(rho, 1)),
)

P_end = sp.Symbol("P_end", nonnegative=True)
budget = T - T0
RATE = Proof(
    name="autodrop_wait_rate",
    title="The package's AutoDrop: O(1/T) on the isotropic quadratic (docs/theory.md §10)",
    lhs=P_end, relation="<=",
    rhs=F(eta_J) * c * (a_c + b_c) / (h * (1 - rho) * (1 - g * rho) * budget),
    facts=(
        Fact("drop", F(eta_J) * v(eta_J) - P_end, "ge", "tail_average_error at stage J",
             cites="tail_average_error", cite_subs=((P_out, P_end), (eta, eta_J))),
        Fact("floor", eta_J * c / h - v(eta_J), "ge", "2 - eta_J h >= 1, so v_J <= eta_J c / h"),
        Fact("time", Mx / ((1 - rho) * eta_J) - budget, "ge", "wait_time", cites="wait_time"),
        Fact("max", (a_c + b_c) / (1 - g * rho) - Mx, "ge", "stage_growth_bound",
             cites="stage_growth_bound"),
        Fact("budget", budget, "gt", "T > T_0", role="hypothesis"),
        Fact("step", 1 - eta_J * h, "gt",
             "eta_J h = eta_0 h rho^J < 1 (eta_0 h <= 1, 0 < rho < 1, J >= 1)"),
        Fact("contracting", 1 - g * rho, "gt", "g rho < 1", role="hypothesis"),
        Fact("rho_lt_1", 1 - rho, "gt", "rho < 1", role="hypothesis"),
    ),
    nonneg=("step", "budget", "contracting", "rho_lt_1"),
    steps=(
        Step(F(eta_J) * v(eta_J), "<=", "error at the last drop", (("drop", 1),)),
        Step(F(eta_J) * eta_J * c / h, "<=", "v_J <= eta_J c / h", (("floor", F(eta_J)),)),
        Step(F(eta_J) * c / h * Mx / ((1 - rho) * budget), "<=",
             "eta_J <= M / ((1 - rho)(T - T_0))",
             (("time", F(eta_J) * c / h * eta_J / budget),)),
        Step(F(eta_J) * c * (a_c + b_c) / (h * (1 - rho) * (1 - g * rho) * budget), "<=",
             "M <= (a + b)/(1 - g rho)",
             (("max", F(eta_J) * c / (h * (1 - rho) * budget)),)),
    ),
    reference="This project (docs/theory.md §10).",
    assumptions=(S.Gt(h, 0), S.Gt(eta0, 0), S.Le(eta0 * h, 1), S.Gt(rho, 0), S.Lt(rho, 1),
                 S.Ge(c, 0), S.Gt(T, T0), S.Lt(g * rho, 1)),
)

# the wait's confirmation: one coordinate y of Q at the rate eta (q = 1 - eta h, 0 <= q <= 1),
# from a boundary t with E y_t^2 = P_0; the wait's halves u1 = y_{t+A} - y_t and
# u2 = y_{t+A+B} - y_{t+A} (A, B >= 1 steps)
Q_A, Q_B = sp.symbols("Q_A Q_B", nonnegative=True)            # q^A, q^B
P_0 = sp.Symbol("P_0", nonnegative=True)
M_AB, M_AA, M_0AB, M_0A = sp.symbols("M_AB M_AA M_0AB M_0A")
CONFIRM = Proof(
    name="wait_confirmation",
    title="The wait's two halves: E[u1 u2] = (1 - q^A)(1 - q^B)(q^A P_0 - (1 + q^A) v)",
    lhs=M_AB - M_AA - M_0AB + M_0A, relation="=",
    rhs=(1 - Q_A) * (1 - Q_B) * (Q_A * P_0 - (1 + Q_A) * v(eta)),
    facts=(
        Fact("mid_moment", M_AA - (Q_A ** 2 * P_0 + (1 - Q_A ** 2) * v(eta)), "eq",
             "2c over the A steps of the first half: E y_{t+A}^2 moves to the floor v by q^{2A}",
             role="model"),
        Fact("second_half", M_AB - Q_B * M_AA, "eq",
             "y_{t+A+B} = q^B y_{t+A} + noise of zero mean independent of y_{t+A}",
             role="model"),
        Fact("across", M_0AB - Q_A * Q_B * P_0, "eq",
             "y_{t+A+B} = q^{A+B} y_t + noise of zero mean independent of y_t", role="model"),
        Fact("first_half", M_0A - Q_A * P_0, "eq",
             "y_{t+A} = q^A y_t + noise of zero mean independent of y_t", role="model"),
    ),
    steps=(
        Step(Q_B * M_AA - M_AA - Q_A * Q_B * P_0 + Q_A * P_0, "=", "the cross moments",
             (("second_half", 1), ("across", -1), ("first_half", 1))),
        Step((Q_B - 1) * (Q_A ** 2 * P_0 + (1 - Q_A ** 2) * v(eta)) + Q_A * (1 - Q_B) * P_0, "=",
             "the middle's second moment", (("mid_moment", Q_B - 1),)),
        Step((1 - Q_A) * (1 - Q_B) * (Q_A * P_0 - (1 + Q_A) * v(eta)), "=", "factor"),
    ),
    reference="This project (docs/theory.md §10); the 90-degree certificate of §4c at the time "
              "scale of the wait's halves.",
    assumptions=STAGE,
)

PROOFS = (WAIT_ERROR, AVERAGE_ERROR, GROWTH, TIME, RATE, CONFIRM)
