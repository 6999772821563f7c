"""The stage-level half of the paper's Theorems 5.1 and 5.2 (Wang, Teng, Choromanska, UAI
2024; Appendix 12 eqs. (32)-(41) and Lemma 12.1), corrected and checked (docs/paper.md §3-§4).

- ``paper_harmonic_shifted`` (eq. 32, corrected): sum_{i<n} 1/(i+2) <= log(n+1).  The printed
  bound log(n+1) - log 2 is false for every n >= 1 (proofs.paper_printed).
- ``paper_harmonic`` (eq. 34, corrected): H_{n+1} = sum_{i<=n} 1/(i+1) <= 1 + log(n+1).  The
  printed bound log n is false for every n >= 1.
  Both by induction with the stated lemma log(k+1) - log k >= 1/(k+1) (k >= 1).
- ``paper_thm51_rate``: Theorem 5.1 under condition (10) with explicit constants:
  min_t F_t <= [(1-beta) D/2 + beta alpha_hat_0 (f(x_0) - f*)/(1-beta)
  + (2 s beta + 1)(G^2 + delta^2) kappa_2 H_n/(2 (1-beta))] / (kappa_1 n), with
  H_n <= 1 + log n (``paper_harmonic``): O(log n / n) in the number of stages.
- ``paper_lemma121_kappa1``, ``paper_lemma121_kappa2`` (eq. 35): alpha_hat_i = 1/(i+2) and
  kappa_1/alpha_hat_i <= k_i <= kappa_2/alpha_hat_i give k_i alpha_hat_i >= kappa_1 and
  k_i alpha_hat_i alpha_hat_{i-1} <= kappa_2/(i+1).
- ``paper_lemma121_T_upper``, ``paper_lemma121_T_lower`` (eq. 36): kappa_1 n(n+3)/2 <= T <=
  kappa_2 n(n+3)/2 exactly (no n >> 1 needed), by induction on n.
- ``paper_thm52_k_lower`` (eq. 37): the stage length of Algorithm 2 (before rounding up) is at
  least (sqrt(pi) - 1)/(gamma alpha), alpha = alpha_hat_i.
- ``paper_thm52_k_upper_tau0``, ``paper_thm52_k_upper_half`` (eq. 38, corrected): it is at most
  sqrt(2 pi/(3 tau_0))/(gamma alpha) in both cases of tau_i = min{tau_0, gamma alpha/2}, under
  gamma alpha <= 1, epsilon alpha <= 1/3 and tau_0 <= 1/2 (the printed tau_0 < 2 does not
  suffice, and gamma alpha <= 1 is not stated; proofs.paper_printed).
"""

import sympy as sp

from autodrop_theory import symbols as S
from proofs.checker import Fact, Proof, Step
from proofs.paper_thm51 import BOUND, BOUND_RHS, SAs, Ssum, m as m_min

n = sp.Symbol("n", integer=True, nonnegative=True)
Hs = sp.Function("Hs")                 # sum_{i<n} 1/(i+2)
H = sp.Function("H")                   # sum_{i<n} 1/(i+1)


def _log_lemma(k):
    return Fact("log_increment", sp.log(k + 1) - sp.log(k) - 1 / (k + 1), "ge",
                "log(k+1) - log k >= 1/(k+1) for k >= 1 (log(1+x) >= x/(1+x), x = 1/k)",
                role="lemma")


HARMONIC_SHIFTED = Proof(
    name="paper_harmonic_shifted",
    title="Paper eq. (32), corrected: sum_{i<n} 1/(i+2) <= log(n+1)",
    lhs=Hs(n), relation="<=", rhs=sp.log(n + 1), induction=n,
    facts=(Fact("start", Hs(0), "eq", "the empty sum"),
           Fact("step", Hs(n + 1) - Hs(n) - 1 / (n + 2), "eq", "add the term i = n"),
           _log_lemma(n + 1)),
    base_steps=(Step(sp.Integer(0), "=", "the empty sum", (("start", 1),)),
                Step(sp.log(1), "=", "log 1 = 0"),),
    steps=(Step(Hs(n) + 1 / (n + 2), "=", "add the term i = n", (("step", 1),)),
           Step(sp.log(n + 1) + 1 / (n + 2), "<=", "induction hypothesis",
                (("hypothesis", 1),)),
           Step(sp.log(n + 2), "<=", "log(n+2) - log(n+1) >= 1/(n+2)",
                (("log_increment", 1),))),
    reference="Corrects Wang, Teng, Choromanska (UAI 2024), Appendix 12 eq. (32).",
)

HARMONIC = Proof(
    name="paper_harmonic",
    title="Paper eq. (34), corrected: H_{n+1} = sum_{i<=n} 1/(i+1) <= 1 + log(n+1)",
    lhs=H(n + 1), relation="<=", rhs=1 + sp.log(n + 1), induction=n,
    facts=(Fact("start", H(1) - 1, "eq", "H_1 = 1"),
           Fact("step", H(n + 2) - H(n + 1) - 1 / (n + 2), "eq", "add the term i = n + 1"),
           _log_lemma(n + 1)),
    base_steps=(Step(sp.Integer(1), "=", "H_1 = 1", (("start", 1),)),
                Step(1 + sp.log(1), "=", "log 1 = 0"),),
    steps=(Step(H(n + 1) + 1 / (n + 2), "=", "add the term", (("step", 1),)),
           Step(1 + sp.log(n + 1) + 1 / (n + 2), "<=", "induction hypothesis",
                (("hypothesis", 1),)),
           Step(1 + sp.log(n + 2), "<=", "log(n+2) - log(n+1) >= 1/(n+2)",
                (("log_increment", 1),))),
    reference="Corrects Wang, Teng, Choromanska (UAI 2024), Appendix 12 eq. (34).",
)

beta, s, G2, d2 = S.p_beta, S.p_s, S.p_G_sq, S.p_delta_sq
k1, k2, nn = S.p_kappa1, S.p_kappa2, S.p_n
D0, gap0 = S.p_dist0_sq, S.p_gap0
Hn = sp.Symbol("H_n", positive=True)                     # the harmonic number H_n
al0 = sp.Symbol("alpha_0", positive=True)
one_b = 1 - beta
NUM = (one_b * D0 / 2 + beta * al0 * gap0 / one_b
       + (2 * s * beta + 1) * (G2 + d2) * k2 * Hn / (2 * one_b))
RATE_RHS = NUM / (k1 * nn)

RATE = Proof(
    name="paper_thm51_rate",
    title="Theorem 5.1 under condition (10), explicit: min_t F_t <= [(1-beta) D/2 + beta "
          "alpha_0 gap0/(1-beta) + (2 s beta + 1)(G^2 + delta^2) kappa_2 H_n/(2(1-beta))]/"
          "(kappa_1 n)",
    lhs=m_min, relation="<=", rhs=RATE_RHS,
    facts=(
        Fact("bound", BOUND.rhs - BOUND.lhs, "ge", "paper_thm51_bound",
             cites="paper_thm51_bound"),
        Fact("sum_rates_33", Ssum - k1 * nn, "ge",
             "eq. (33): sum_t alpha_t = sum_i k_i alpha_hat_i >= kappa_1 n (condition (10))",
             role="model"),
        Fact("sum_products_34", k2 * Hn - SAs, "ge",
             "eq. (34): sum_t alpha_t alpha_{t-1} <= sum_i k_i alpha_hat_i alpha_hat_{i-1} "
             "<= kappa_2 sum_i 1/(i+1) = kappa_2 H_n (non-increasing rates, condition (10); "
             "alpha_{-1} = alpha_0 <= alpha_hat_{-1})", role="model"),
        Fact("momentum", one_b, "gt", "beta < 1", role="hypothesis"),
    ),
    nonneg=("momentum",),
    steps=(
        Step(BOUND_RHS, "<=", "paper_thm51_bound", (("bound", 1),)),
        Step(NUM / Ssum, "<=", "eq. (34)",
             (("sum_products_34", (2 * s * beta + 1) * (G2 + d2) / (2 * one_b * Ssum)),)),
        Step(RATE_RHS, "<=", "eq. (33): 1/S <= 1/(kappa_1 n)",
             (("sum_rates_33", NUM / (Ssum * k1 * nn)),)),
    ),
    reference="Wang, Teng, Choromanska (UAI 2024), Theorem 5.1 and eqs. (32)-(34), corrected "
              "in this package (docs/paper.md §3).",
    assumptions=BOUND.assumptions,
)

i = sp.Symbol("i", integer=True, nonnegative=True)
k = sp.Function("k", nonnegative=True)
ahat = 1 / (i + 2)

KAPPA1 = Proof(
    name="paper_lemma121_kappa1",
    title="Lemma 12.1 eq. (35), second condition: k_i alpha_hat_i >= kappa_1",
    lhs=k1, relation="<=", rhs=k(i) * ahat,
    facts=(Fact("length_lower", k(i) - k1 / ahat, "ge", "kappa_1/alpha_hat_i <= k_i",
                role="model"),),
    steps=(Step(k(i) * ahat, "<=", "divide by 1/alpha_hat_i = i + 2 > 0",
                (("length_lower", ahat),)),),
    reference="Wang, Teng, Choromanska (UAI 2024), Lemma 12.1, Appendix 12.2 ii).",
)

KAPPA2 = Proof(
    name="paper_lemma121_kappa2",
    title="Lemma 12.1 eq. (35), third condition: k_i alpha_hat_i alpha_hat_{i-1} <= "
          "kappa_2/(i+1)",
    lhs=k(i) * ahat / (i + 1), relation="<=", rhs=k2 / (i + 1),
    facts=(Fact("length_upper", k2 / ahat - k(i), "ge", "k_i <= kappa_2/alpha_hat_i",
                role="model"),),
    steps=(Step(k2 / (i + 1), "<=", "multiply by alpha_hat_i alpha_hat_{i-1} > 0",
                (("length_upper", ahat / (i + 1)),)),),
    reference="Wang, Teng, Choromanska (UAI 2024), Lemma 12.1, Appendix 12.2 iii).",
)

Tn = sp.Function("T")                   # T_n = sum_{i<n} k_i
_T_FACTS = (Fact("start", Tn(0), "eq", "the empty sum"),
            Fact("step", Tn(n + 1) - Tn(n) - k(n), "eq", "add stage n"))

T_UPPER = Proof(
    name="paper_lemma121_T_upper",
    title="Lemma 12.1 eq. (36), upper: T_n <= kappa_2 n(n+3)/2",
    lhs=Tn(n), relation="<=", rhs=k2 * n * (n + 3) / 2, induction=n,
    facts=_T_FACTS + (Fact("length_upper", k2 * (n + 2) - k(n), "ge",
                           "k_n <= kappa_2/alpha_hat_n = kappa_2 (n+2)", role="model"),),
    base_steps=(Step(sp.Integer(0), "=", "the empty sum", (("start", 1),)),),
    steps=(Step(Tn(n) + k(n), "=", "add stage n", (("step", 1),)),
           Step(k2 * n * (n + 3) / 2 + k(n), "<=", "induction hypothesis",
                (("hypothesis", 1),)),
           Step(k2 * (n + 1) * (n + 4) / 2, "<=", "k_n <= kappa_2 (n+2)",
                (("length_upper", 1),))),
    reference="Wang, Teng, Choromanska (UAI 2024), Lemma 12.1 eq. (36), Appendix 12.2.",
)

T_LOWER = Proof(
    name="paper_lemma121_T_lower",
    title="Lemma 12.1 eq. (36), lower: T_n >= kappa_1 n(n+3)/2",
    lhs=k1 * n * (n + 3) / 2, relation="<=", rhs=Tn(n), induction=n,
    facts=_T_FACTS + (Fact("length_lower", k(n) - k1 * (n + 2), "ge",
                           "k_n >= kappa_1/alpha_hat_n = kappa_1 (n+2)", role="model"),),
    base_steps=(Step(Tn(0), "=", "the empty sum", (("start", -1),)),),
    steps=(Step(k1 * n * (n + 3) / 2 + k1 * (n + 2), "=", "n(n+3)/2 + (n+2) = (n+1)(n+4)/2"),
           Step(Tn(n) + k1 * (n + 2), "<=", "induction hypothesis", (("hypothesis", 1),)),
           Step(Tn(n) + k(n), "<=", "k_n >= kappa_1 (n+2)", (("length_lower", 1),)),
           Step(Tn(n + 1), "=", "add stage n", (("step", -1),))),
    reference="Wang, Teng, Choromanska (UAI 2024), Lemma 12.1 eq. (36), Appendix 12.2.",
)

# Theorem 5.2: the stage length of Algorithm 2.  u = gamma alpha_hat_i; v'(t) = tau_i at
# t = k* = (X - 1)/u with X = sqrt(pi (1 + eps alpha) u/(2 tau_i)).
u, tau, tau0 = sp.Symbol("u", positive=True), sp.Symbol("tau_i", positive=True), S.p_tau0
eps, alpha = S.p_eps, sp.Symbol("alpha_i", positive=True)
X = sp.Symbol("X", positive=True)
Y = sp.Symbol("Y", positive=True)                        # sqrt(2 pi / (3 tau_0))
PI_ROOT = sp.sqrt(sp.pi)
_X_DEF = lambda t: (X, X ** 2 - sp.pi * (1 + eps * alpha) * u / (2 * t))  # noqa: E731

K_LOWER = Proof(
    name="paper_thm52_k_lower",
    title="Paper eq. (37): k* = (X - 1)/u >= (sqrt(pi) - 1)/u when tau_i <= gamma alpha/2",
    lhs=(PI_ROOT - 1) / u, relation="<=", rhs=(X - 1) / u,
    facts=(Fact("threshold", u - 2 * tau, "ge", "tau_i <= gamma alpha_hat_i / 2",
                role="hypothesis"),),
    nonneg=("threshold",),
    reductions=(_X_DEF(tau),),
    steps=(Step((X - 1) / u, "<=", "X^2 - pi = pi (eps alpha u + u - 2 tau_i)/(2 tau_i) >= 0",
                residual=sp.pi * (eps * alpha * u + (u - 2 * tau)) / (2 * tau * u * (X + PI_ROOT))),),
    reference="Wang, Teng, Choromanska (UAI 2024), proof of Theorem 5.2, eq. (37).",
    assumptions=(S.Le(2 * tau, u),),
)


_EPS_SMALL = Fact("eps_small", sp.Rational(1, 3) - eps * alpha, "ge",
                  "eps alpha_hat_i <= 1/3 (eps < 1/(3 alpha_hat_0), alpha_hat_i <= alpha_hat_0)",
                  role="hypothesis")

K_UPPER_TAU0 = Proof(
    name="paper_thm52_k_upper_tau0",
    title="Paper eq. (38), corrected (tau_i = tau_0): k* = (X - 1)/u <= sqrt(2 pi/(3 tau_0))/u "
          "when gamma alpha_hat_i <= 1",
    lhs=(X - 1) / u, relation="<=", rhs=Y / u,
    facts=(_EPS_SMALL,
           Fact("u_small", 1 - u, "ge", "gamma alpha_hat_i <= 1", role="hypothesis")),
    nonneg=("eps_small", "u_small"),
    reductions=(_X_DEF(tau0), (Y, Y ** 2 - 2 * sp.pi / (3 * tau0))),
    steps=(Step(X / u, "<=", "drop the -1/u", residual=1 / u),
           Step(Y / u, "<=", "Y^2 - X^2 = pi/(2 tau_0) [(1/3 - eps alpha) + (1 + eps alpha)"
                             "(1 - u)] >= 0",
                (("eps_small", sp.pi / (2 * tau0 * u * (X + Y))),
                 ("u_small", sp.pi * (1 + eps * alpha) / (2 * tau0 * u * (X + Y)))))),
    reference="Corrects Wang, Teng, Choromanska (UAI 2024), proof of Theorem 5.2, eq. (38): "
              "the step (gamma alpha)^(-1/2) <= (gamma alpha)^(-1) needs gamma alpha <= 1.",
    assumptions=(S.Le(eps * alpha, sp.Rational(1, 3)), S.Le(u, 1)),
)

K_UPPER_HALF = Proof(
    name="paper_thm52_k_upper_half",
    title="Paper eq. (38), corrected (tau_i = gamma alpha_hat_i/2): k* = (X - 1)/u <= "
          "sqrt(2 pi/(3 tau_0))/u when tau_0 <= 1/2",
    lhs=(X - 1) / u, relation="<=", rhs=Y / u,
    facts=(_EPS_SMALL,
           Fact("tau0_small", sp.Rational(1, 2) - tau0, "ge", "tau_0 <= 1/2",
                role="hypothesis")),
    nonneg=("eps_small", "tau0_small"),
    reductions=(_X_DEF(u / 2), (Y, Y ** 2 - 2 * sp.pi / (3 * tau0))),
    steps=(Step(X / u, "<=", "drop the -1/u", residual=1 / u),
           Step(Y / u, "<=", "Y^2 - X^2 = (4 pi/(3 tau_0))(1/2 - tau_0) + pi (1/3 - eps alpha)",
                (("tau0_small", 4 * sp.pi / (3 * tau0 * u * (X + Y))),
                 ("eps_small", sp.pi / (u * (X + Y)))))),
    reference="Corrects Wang, Teng, Choromanska (UAI 2024), proof of Theorem 5.2, eq. (38): "
              "max{sqrt(2 pi/(3 tau_0)), sqrt(4 pi/3)} = sqrt(2 pi/(3 tau_0)) needs tau_0 <= 1/2.",
    assumptions=(S.Le(eps * alpha, sp.Rational(1, 3)), S.Le(tau0, sp.Rational(1, 2))),
)

# eq. (41): the number of stages from the total number of steps (Lemma 12.1's eq. (36))
Tt = sp.Symbol("T", positive=True)
nr = sp.Symbol("n", positive=True)
Xq = sp.Symbol("X", positive=True)                       # sqrt(2 T / kappa_2)
Yq = sp.Symbol("Y", positive=True)                       # sqrt(2 T / kappa_1)

N_LOWER = Proof(
    name="paper_thm52_eq41_lower",
    title="Paper eq. (41), left: T <= kappa_2 n(n+3)/2 gives n >= sqrt(2 T/kappa_2) - 3",
    lhs=Xq - 3, relation="<=", rhs=nr,
    facts=(Fact("eq36_upper", k2 * nr * (nr + 3) / 2 - Tt, "ge",
                "eq. (36): T <= kappa_2 n(n+3)/2 (paper_lemma121_T_upper)", role="model"),),
    reductions=((Xq, Xq ** 2 - 2 * Tt / k2),),
    steps=(Step(nr, "<=", "(n+3)^2 - X^2 >= n(n+3) - 2T/kappa_2 + 3(n+3) >= 0",
                (("eq36_upper", 2 / (k2 * (nr + 3 + Xq))),),
                residual=3 * (nr + 3) / (nr + 3 + Xq)),),
    reference="Wang, Teng, Choromanska (UAI 2024), proof of Theorem 5.2, eq. (41).",
)

N_UPPER = Proof(
    name="paper_thm52_eq41_upper",
    title="Paper eq. (41), right: T >= kappa_1 n(n+3)/2 gives n <= sqrt(2 T/kappa_1)",
    lhs=nr, relation="<=", rhs=Yq,
    facts=(Fact("eq36_lower", Tt - k1 * nr * (nr + 3) / 2, "ge",
                "eq. (36): T >= kappa_1 n(n+3)/2 (paper_lemma121_T_lower)", role="model"),),
    reductions=((Yq, Yq ** 2 - 2 * Tt / k1),),
    steps=(Step(Yq, "<=", "Y^2 - n^2 >= n(n+3) - n^2 = 3 n >= 0",
                (("eq36_lower", 2 / (k1 * (Yq + nr))),), residual=3 * nr / (Yq + nr)),),
    reference="Wang, Teng, Choromanska (UAI 2024), proof of Theorem 5.2, eq. (41).",
)

N_SHARP = Proof(
    name="paper_thm52_stages_from_T",
    title="From eq. (36), sharper than (41): T <= kappa_2 n(n+3)/2 gives n >= sqrt(2 T/kappa_2 "
          "+ 9/4) - 3/2",
    lhs=Xq - sp.Rational(3, 2), relation="<=", rhs=nr,
    facts=(Fact("eq36_upper", k2 * nr * (nr + 3) / 2 - Tt, "ge",
                "eq. (36): T <= kappa_2 n(n+3)/2 (paper_lemma121_T_upper)", role="model"),),
    reductions=((Xq, Xq ** 2 - 2 * Tt / k2 - sp.Rational(9, 4)),),
    steps=(Step(nr, "<=", "(n + 3/2)^2 - X^2 = n(n+3) - 2T/kappa_2 >= 0",
                (("eq36_upper", 2 / (k2 * (nr + sp.Rational(3, 2) + Xq))),)),),
    reference="This package (docs/paper.md §4), in place of the printed (41)'s left side.",
)

# Theorem 5.2 corrected: the bound of paper_thm51_rate at n stages, H_n <= 1 + log n, and
# (c_0 + c_1 (1 + log n))/n non-increasing in n, evaluated at any n_T with 1 <= n_T <= n.
nT = sp.Symbol("n_T", positive=True)
Ln, LT = sp.Symbol("L_n", real=True), sp.Symbol("L_T", real=True)     # log n, log n_T
C0 = one_b * D0 / 2 + beta * al0 * gap0 / one_b
C1 = (2 * s * beta + 1) * (G2 + d2) * k2 / (2 * one_b)
THM52 = Proof(
    name="paper_thm52_rate",
    title="Theorem 5.2 corrected: min_t F_t <= [c_0 + c_1 (1 + log n_T)]/(kappa_1 n_T) for "
          "any 1 <= n_T <= n (n stages; n_T from T by paper_thm52_stages_from_T)",
    lhs=m_min, relation="<=", rhs=(C0 + C1 * (1 + LT)) / (k1 * nT),
    facts=(
        Fact("rate", RATE.rhs - RATE.lhs, "ge", "paper_thm51_rate", cites="paper_thm51_rate"),
        Fact("harmonic", 1 + Ln - Hn, "ge", "H_n <= 1 + log n (paper_harmonic), L_n = log n",
             role="model"),
        Fact("log_ratio", nn / nT - 1 - Ln + LT, "ge",
             "log(n/n_T) <= n/n_T - 1 (log x <= x - 1), L_n = log n, L_T = log n_T",
             role="lemma"),
        Fact("log_nT_nonneg", LT, "ge", "log n_T >= 0 (n_T >= 1)", role="model"),
        Fact("stages", nn - nT, "ge", "n_T <= n", role="hypothesis"),
        Fact("momentum", one_b, "gt", "beta < 1", role="hypothesis"),
    ),
    nonneg=("momentum", "log_nT_nonneg"),
    steps=(
        Step(RATE_RHS, "<=", "paper_thm51_rate", (("rate", 1),)),
        Step((C0 + C1 * (1 + Ln)) / (k1 * nn), "<=", "H_n <= 1 + log n",
             (("harmonic", C1 / (k1 * nn)),)),
        Step((C0 + C1 * (1 + LT)) / (k1 * nT), "<=",
             "(c_0 + c_1 + c_1 log n)/n is non-increasing: n (c_1 log n_T) - n_T (c_1 log n) "
             ">= -c_1 (n - n_T) + c_1 (n - n_T) log n_T",
             (("log_ratio", C1 / (k1 * nn)), ("stages", (C0 + C1 * LT) / (k1 * nn * nT)))),
    ),
    reference="This package (docs/paper.md §4): Wang, Teng, Choromanska (UAI 2024), Theorem 5.2 "
              "with alpha_hat_i = 1/(i+2), gamma <= 2, tau_0 <= 1/2; paper.thm52_bound.",
    assumptions=RATE.assumptions + (S.Le(nT, nn), S.Ge(nT, 1)),
)

PROOFS = (HARMONIC_SHIFTED, HARMONIC, RATE, KAPPA1, KAPPA2, T_UPPER, T_LOWER, K_LOWER,
          K_UPPER_TAU0, K_UPPER_HALF, N_LOWER, N_UPPER, N_SHARP, THM52)
