"""The paper's Theorem 3.2 (Wang, Teng, Choromanska, UAI 2024; its proof is the paper's
Appendix 9), on the noisy quadratic model NQM, checked per coordinate (docs/paper.md §2).

NQM, one coordinate: x_{t+1} = x_t - alpha a (x_t - c_t), c_t ~ N(0, sig_sq) independent of the
past, 0 < alpha a < 2 (a contraction: the condition under which the printed proof's fixed point
exists).  v = lim E x_t^2.  Everything below is per coordinate; the theorem's sums over i are
sums of these identities (linearity of expectation and of the limit).

- ``paper_thm32_variance`` (eq. 13): the fixed point of v = (1 - alpha a)^2 v + alpha^2 a^2 sig_sq
  is v = alpha a sig_sq / (2 - alpha a).
- ``paper_thm32_inner`` (eqs. 16-18, hence eq. 4): lim E[s_t s_{t+1}] = -alpha^3 a^3 sig_sq /
  (2 - alpha a), from the two-step expansion (17) with E x_t c_t = E x_t c_{t+1} = E c_t c_{t+1}
  = 0, E c_t^2 = sig_sq (14) and eq. 13.
- ``paper_thm32_step_sq`` (the denominator of eq. 5, which the printed proof does not derive):
  lim E[s_t^2] = 2 alpha^2 a^2 sig_sq / (2 - alpha a).
- ``paper_thm32_eq6`` (eq. 6): with weights W_i = a_i^2 sig_i^2/(2 - alpha a_i) >= 0 (sum > 0),
  the ratio (5) is -(alpha/2) sum a_i W_i / sum W_i >= -alpha a_max / 2.
- ``paper_thm32_range`` (the claimed range, corrected): if moreover alpha a_max <= 1, the ratio is
  >= -1/2 (angle <= 120 degrees).  Under the printed condition (contraction, alpha a_max < 2)
  the range is false: see :data:`proofs.paper_printed.PRINTED`.
"""

import sympy as sp

from autodrop_theory import symbols as S
from proofs.checker import Fact, Proof, Step

a, sig, al = S.p_a, S.p_sig_sq, S.p_alpha
v = sp.Symbol("v", nonnegative=True)                     # lim E x_t^2
EI = sp.Symbol("I_i", real=True)                         # lim E[s_t s_{t+1}], coordinate i
ES = sp.Symbol("S_i", nonnegative=True)                  # lim E[s_t^2], coordinate i
# limits of the second moments of (x_t, c_t, c_{t+1}) entering (17)
m_x0, m_x1, m_01 = sp.symbols("m_xc0 m_xc1 m_c0c1", real=True)
m_xx, m_00 = sp.symbols("m_xx m_c0c0", nonnegative=True)
_CONTRACTION = (S.Gt(al, 0), S.Gt(a, 0), S.Lt(al * a, 2), S.Ge(sig, 0))

V_STAR = al * a * sig / (2 - al * a)                     # eq. (13)
I_STAR = -al ** 3 * a ** 3 * sig / (2 - al * a)          # the summand of eq. (4)
S_STAR = 2 * al ** 2 * a ** 2 * sig / (2 - al * a)       # the summand of eq. (5)'s denominator

_FIXED = Fact("fixed_point", v - (1 - al * a) ** 2 * v - al ** 2 * a ** 2 * sig, "eq",
              "v = lim E x_t^2 solves v = (1 - alpha a)^2 v + alpha^2 a^2 sig_sq (the variance "
              "recursion of the update (15), with c_t independent of x_t)", role="model")

VARIANCE = Proof(
    name="paper_thm32_variance",
    title="Paper eq. (13): lim E x_t^2 = alpha a sig_sq / (2 - alpha a) for 0 < alpha a < 2",
    lhs=v, relation="=", rhs=V_STAR,
    facts=(_FIXED,),
    steps=(
        Step(al ** 2 * a ** 2 * sig / (1 - (1 - al * a) ** 2), "=",
             "solve the fixed point: v (1 - (1 - alpha a)^2) = alpha^2 a^2 sig_sq",
             (("fixed_point", 1 / (1 - (1 - al * a) ** 2)),)),
        Step(V_STAR, "=", "1 - (1 - alpha a)^2 = alpha a (2 - alpha a)"),
    ),
    reference="Wang, Teng, Choromanska (UAI 2024), Appendix 9, eq. (13).",
    assumptions=_CONTRACTION,
)

_EXPANSION = Fact(
    "expansion_17",
    EI - (al ** 2 * a ** 2 * (m_xx - m_x1 - m_x0 + m_01)
          - al ** 3 * a ** 3 * (m_xx - 2 * m_x0 + m_00)), "eq",
    "eq. (17) per coordinate, s_t = -alpha a (x_t - c_t), s_{t+1} = -alpha a (x_t - c_{t+1}) "
    "+ alpha^2 a^2 (x_t - c_t), in expectation (the polynomial identity is re-checked in "
    "tests/test_paper.py)", role="model")

INNER = Proof(
    name="paper_thm32_inner",
    title="Paper eqs. (16)-(18): lim E[s_t s_{t+1}] = -alpha^3 a^3 sig_sq/(2 - alpha a) per "
          "coordinate (summed: eq. (4))",
    lhs=EI, relation="=", rhs=I_STAR,
    facts=(
        _EXPANSION,
        Fact("independent_x_c0", m_x0, "eq", "E x_t c_t = 0 (c_t independent of x_t, mean 0)",
             role="model"),
        Fact("independent_x_c1", m_x1, "eq", "E x_t c_{t+1} = 0", role="model"),
        Fact("independent_c0_c1", m_01, "eq", "E c_t c_{t+1} = 0", role="model"),
        Fact("noise_variance_14", m_00 - sig, "eq", "E c_t^2 = sig_sq (eq. 14)", role="model"),
        Fact("variance_13", V_STAR - m_xx, "eq", "lim E x_t^2 = eq. (13)",
             cites="paper_thm32_variance", cite_subs=((v, m_xx),)),
    ),
    steps=(
        Step(al ** 2 * a ** 2 * (m_xx - m_x1 - m_x0 + m_01)
             - al ** 3 * a ** 3 * (m_xx - 2 * m_x0 + m_00), "=", "eq. (17) in expectation",
             (("expansion_17", 1),)),
        Step(al ** 2 * a ** 2 * (1 - al * a) * m_xx - al ** 3 * a ** 3 * sig, "=",
             "independence and eq. (14): the first line of eq. (18)",
             (("independent_x_c0", -al ** 2 * a ** 2 + 2 * al ** 3 * a ** 3),
              ("independent_x_c1", -al ** 2 * a ** 2), ("independent_c0_c1", al ** 2 * a ** 2),
              ("noise_variance_14", -al ** 3 * a ** 3))),
        Step(al ** 2 * (a ** 2 * (1 - al * a) * V_STAR - al * a ** 3 * sig), "=",
             "eq. (13): the second line of eq. (18)",
             (("variance_13", -al ** 2 * a ** 2 * (1 - al * a)),)),
        Step(al ** 2 * al * a ** 3 * sig * ((1 - al * a) / (2 - al * a) - 1), "=",
             "factor alpha a^3 sig_sq"),
        Step(I_STAR, "=", "(1 - alpha a)/(2 - alpha a) - 1 = -1/(2 - alpha a)"),
    ),
    reference="Wang, Teng, Choromanska (UAI 2024), Theorem 3.2 eq. (4), Appendix 9 eqs. "
              "(16)-(18), checked as printed.",
    assumptions=_CONTRACTION,
)

STEP_SQ = Proof(
    name="paper_thm32_step_sq",
    title="lim E[s_t^2] = 2 alpha^2 a^2 sig_sq/(2 - alpha a) per coordinate (eq. (5)'s "
          "denominator, up to the factor 2 alpha)",
    lhs=ES, relation="=", rhs=S_STAR,
    facts=(
        Fact("expansion", ES - al ** 2 * a ** 2 * (m_xx - 2 * m_x0 + m_00), "eq",
             "s_t = -alpha a (x_t - c_t), squared, in expectation", role="model"),
        Fact("independent_x_c0", m_x0, "eq", "E x_t c_t = 0", role="model"),
        Fact("noise_variance_14", m_00 - sig, "eq", "E c_t^2 = sig_sq (eq. 14)", role="model"),
        Fact("variance_13", V_STAR - m_xx, "eq", "lim E x_t^2 = eq. (13)",
             cites="paper_thm32_variance", cite_subs=((v, m_xx),)),
    ),
    steps=(
        Step(al ** 2 * a ** 2 * (m_xx - 2 * m_x0 + m_00), "=", "expand", (("expansion", 1),)),
        Step(al ** 2 * a ** 2 * (V_STAR + sig), "=", "independence, eqs. (13) and (14)",
             (("independent_x_c0", -2 * al ** 2 * a ** 2), ("noise_variance_14", al ** 2 * a ** 2),
              ("variance_13", -al ** 2 * a ** 2))),
        Step(S_STAR, "=", "alpha a/(2 - alpha a) + 1 = 2/(2 - alpha a)"),
    ),
    reference="This package (docs/paper.md §2): the denominator of eq. (5), which Appendix 9 "
              "does not derive.",
    assumptions=_CONTRACTION,
)

# eq. (6): a weighted mean of the a_i is at most their maximum
i = sp.Idx("i")
d = sp.Symbol("d", integer=True, positive=True)
W = sp.IndexedBase("W", nonnegative=True)                # W_i = a_i^2 sig_i^2/(2 - alpha a_i)
A = sp.IndexedBase("a", positive=True)
amax = S.p_amax
Wsum = sp.Sum(W[i], (i, 1, d))
RATIO = -al / 2 * sp.Sum(A[i] * W[i], (i, 1, d)) / Wsum   # eq. (5) with the weights W_i
WEIGHTS = Fact("weights_positive", Wsum, "gt",
                "sum_i a_i^2 sig_i^2/(2 - alpha a_i) > 0 (some coordinate has noise; "
                "2 - alpha a_i > 0)", role="model")
_MAX = Fact("max_definition", sp.Sum((amax - A[i]) * W[i], (i, 1, d)), "ge",
            "a_max = max_i a_i, so sum_i (a_max - a_i) W_i >= 0 (W_i >= 0)", role="definition")

EQ6 = Proof(
    name="paper_thm32_eq6",
    title="Paper eq. (6): C* = -(alpha/2) sum a_i W_i / sum W_i >= -alpha a_max/2",
    lhs=-al * amax / 2, relation="<=", rhs=RATIO,
    facts=(WEIGHTS, _MAX),
    nonneg=("weights_positive",),
    steps=(
        Step(-al * amax / 2 + al / (2 * Wsum) * sp.Sum((amax - A[i]) * W[i], (i, 1, d)), "<=",
             "add (alpha / (2 sum W)) sum (a_max - a_i) W_i >= 0",
             (("max_definition", al / (2 * Wsum)),)),
        Step(RATIO, "=", "linearity of the sum: a_max sum W_i - sum (a_max - a_i) W_i = "
                         "sum a_i W_i"),
    ),
    reference="Wang, Teng, Choromanska (UAI 2024), Theorem 3.2 eq. (6) (no proof printed).",
    assumptions=(S.Gt(al, 0), S.Gt(amax, 0)),
)

RANGE = Proof(
    name="paper_thm32_range",
    title="Theorem 3.2's range, corrected: alpha a_max <= 1 gives C* >= -1/2 (limit angle <= "
          "120 degrees)",
    lhs=sp.Rational(-1, 2), relation="<=", rhs=RATIO,
    facts=(
        Fact("eq6", RATIO + al * amax / 2, "ge", "eq. (6)", cites="paper_thm32_eq6"),
        Fact("rate_small", 1 - al * amax, "ge", "alpha a_max <= 1", role="hypothesis"),
        WEIGHTS,
    ),
    nonneg=("weights_positive",),
    steps=(
        Step(-al * amax / 2, "<=", "alpha a_max <= 1", (("rate_small", sp.Rational(1, 2)),)),
        Step(RATIO, "<=", "eq. (6)", (("eq6", 1),)),
    ),
    reference="This package (docs/paper.md §2): the condition alpha max_i a_i <= 1 that the "
              "printed range needs.",
    assumptions=(S.Gt(al, 0), S.Gt(amax, 0), S.Le(al * amax, 1)),
)

PROOFS = (VARIANCE, INNER, STEP_SQ, EQ6, RANGE)
