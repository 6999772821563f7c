"""The steps of the paper's proofs (Wang, Teng, Choromanska, UAI 2024, Appendices 9 and 12) that
the checker refuses, transcribed as printed (docs/paper.md §5).

These proofs are results, not theorems: :data:`PRINTED` maps each to its classification and
``python -m proofs`` does not check them (they are not in ``THEOREMS``); tests/test_paper.py
asserts that the checker refuses each one at the named step and re-checks each counterexample
numerically.  The steps the checker accepts are in the corrected, checked theorems
(proofs.paper_thm32, proofs.paper_thm51, proofs.paper_stages).

Classification: ``false`` (a counterexample, re-checked by a test), ``unjustified`` (the step
needs something the statement does not give), ``misprint`` (the evident intent holds).
"""

import sympy as sp

from autodrop_theory import symbols as S
from proofs.checker import Fact, Proof, Step
from proofs.paper_thm32 import WEIGHTS, RATIO, a, al, amax, sig, v
from proofs.paper_thm51 import Fc, Fp, Nt, d2, gap0

_PRINTED_FIXED = Fact("fixed_point_as_printed", v - (1 - al * a) ** 2 * v - al * a ** 2 * sig,
                      "eq", "Appendix 9 as printed: V = (I - gamma A)^2 V + gamma A^2 Sigma "
                      "(gamma = alpha, not squared)", role="model")

VARIANCE = Proof(
    name="printed_thm32_variance",
    title="Appendix 9 as printed: the variance recursion with gamma A^2 Sigma, solved as "
          "gamma^2 A^2 Sigma / (I - (I - gamma A)^2)",
    lhs=v, relation="=", rhs=al ** 2 * a ** 2 * sig / (1 - (1 - al * a) ** 2),
    facts=(_PRINTED_FIXED,),
    steps=(Step(al ** 2 * a ** 2 * sig / (1 - (1 - al * a) ** 2), "=", "solve the fixed point",
                (("fixed_point_as_printed", 1 / (1 - (1 - al * a) ** 2)),)),),
    reference="Wang, Teng, Choromanska (UAI 2024), Appendix 9, the line before eq. (13).",
    assumptions=(S.Gt(al, 0), S.Gt(a, 0), S.Lt(al * a, 2)),
)

RANGE = Proof(
    name="printed_thm32_range",
    title="Theorem 3.2 as printed: C* >= -1/2 when each coordinate's map is a contraction "
          "(alpha a_max < 2)",
    lhs=sp.Rational(-1, 2), relation="<=", rhs=RATIO,
    facts=(Fact("eq6", RATIO + al * amax / 2, "ge", "eq. (6)", cites="paper_thm32_eq6"),
           Fact("contraction", 2 - al * amax, "gt", "alpha a_max < 2", role="hypothesis"),
           WEIGHTS),
    nonneg=("weights_positive",),
    steps=(Step(-al * amax / 2, "<=", "-1/2 <= -alpha a_max/2 (as printed: unstated)",
                (("contraction", sp.Rational(1, 4)),)),
           Step(RATIO, "<=", "eq. (6)", (("eq6", 1),))),
    reference="Wang, Teng, Choromanska (UAI 2024), Theorem 3.2, the line after eq. (6).",
    assumptions=(S.Gt(al, 0), S.Gt(amax, 0), S.Lt(al * amax, 2)),
)

M1 = sp.Symbol("M_1", nonnegative=True)           # E||delta_t||, the printed noise condition
NOISE = Proof(
    name="printed_thm51_noise",
    title="Appendix 12 as printed: E||delta_t||^2 <= delta^2 from the stated E||delta|| <= "
          "delta^2",
    lhs=Nt, relation="<=", rhs=d2,
    facts=(Fact("noise_as_stated", d2 - M1, "ge", "E||G(x; xi) - E G(x; xi)|| <= delta^2 "
                "(Theorem 5.1's statement)", role="model"),),
    steps=(Step(d2, "<=", "the noise condition", (("noise_as_stated", 1),)),),
    reference="Wang, Teng, Choromanska (UAI 2024), Theorem 5.1 and the display before (29).",
)

STAGE = Proof(
    name="printed_thm51_stage_decrease",
    title="Appendix 12 as printed: E f(x_{t_i}) - E f(x_{t_{i+1}}) <= f(x_0) - f* for every "
          "stage i",
    lhs=Fp - Fc, relation="<=", rhs=gap0,
    facts=(Fact("gap_nonneg", Fc, "ge", "E f(x_{t_{i+1}}) - f* >= 0", role="model"),),
    nonneg=("gap_nonneg",),
    steps=(Step(Fp, "<=", "drop -F_{t_{i+1}} <= 0", residual=Fc),
           Step(gap0, "<=", "as printed: 'always upper-bounded by f(x_0) - f(x*)'")),
    reference="Wang, Teng, Choromanska (UAI 2024), Appendix 12, the step before eq. (31).",
)

n = sp.Symbol("n", integer=True, positive=True)
j = sp.Symbol("j", integer=True, nonnegative=True)
EQ32 = Proof(
    name="printed_thm51_eq32",
    title="Appendix 12 eq. (32) as printed: sum_{i<n} 1/(i+2) = log(n+1) - log 2",
    lhs=sp.Sum(1 / (j + 2), (j, 0, n - 1)), relation="<=", rhs=sp.log(n + 1) - sp.log(2),
    steps=(Step(sp.log(n + 1) - sp.log(2), "=", "the sum read as the integral from 0 to n-1"),),
    reference="Wang, Teng, Choromanska (UAI 2024), Appendix 12 eq. (32).",
)
EQ34 = Proof(
    name="printed_thm51_eq34",
    title="Appendix 12 eq. (34) as printed: sum_{i<n} 1/(i+1) = log n",
    lhs=sp.Sum(1 / (j + 1), (j, 0, n - 1)), relation="<=", rhs=sp.log(n),
    steps=(Step(sp.log(n), "=", "the sum read as the integral from 0 to n-1"),),
    reference="Wang, Teng, Choromanska (UAI 2024), Appendix 12 eq. (34).",
)

u = sp.Symbol("u", positive=True)                 # gamma alpha_hat_i
ROOT = Proof(
    name="printed_thm52_eq38_root",
    title="Proof of Theorem 5.2, eq. (38) as printed: (gamma alpha)^(-1/2) <= (gamma alpha)^(-1)",
    lhs=1 / sp.sqrt(u), relation="<=", rhs=1 / u,
    steps=(Step(1 / u, "<=", "as printed (gamma alpha <= 1 is not assumed)"),),
    reference="Wang, Teng, Choromanska (UAI 2024), proof of Theorem 5.2, part ii).",
)
tau0 = S.p_tau0
MAX = Proof(
    name="printed_thm52_eq38_max",
    title="Proof of Theorem 5.2, eq. (38) as printed: sqrt(4 pi/3) <= sqrt(2 pi/(3 tau_0)) "
          "for tau_0 < 2",
    lhs=4 * sp.pi / 3, relation="<=", rhs=2 * sp.pi / (3 * tau0),
    facts=(Fact("tau0_below_2", 2 - tau0, "gt", "tau_0 < 2", role="hypothesis"),),
    steps=(Step(2 * sp.pi / (3 * tau0), "<=", "as printed, from tau_0 < 2",
                (("tau0_below_2", sp.pi / (3 * tau0)),)),),
    reference="Wang, Teng, Choromanska (UAI 2024), proof of Theorem 5.2, the end of part ii).",
    assumptions=(S.Lt(tau0, 2),),
)
i = sp.Symbol("i", integer=True, nonnegative=True)
EQ39 = Proof(
    name="printed_thm52_eq39",
    title="Proof of Theorem 5.2, eq. (39) as printed: alpha_hat_i = (i+1)^(-2/3) <= (i+2)^(-1)",
    lhs=(i + 1) ** sp.Rational(-2, 3), relation="<=", rhs=1 / (i + 2),
    steps=(Step(1 / (i + 2), "<=", "Lemma 12.1 applied to alpha_hat_i = (i+1)^(-2/3)"),),
    reference="Wang, Teng, Choromanska (UAI 2024), Theorem 5.2 and eq. (39).",
)

# name -> (proof, classification, the step the checker refuses, one line on what is wrong)
PRINTED = {
    "printed_thm32_variance": (
        VARIANCE, "misprint", "main step 1",
        "the recursion has gamma A^2 Sigma where gamma^2 A^2 Sigma is meant (the next line "
        "uses it); with it, eq. (13) holds (paper_thm32_variance)"),
    "printed_thm32_range": (
        RANGE, "false", "main step 1",
        "C* in [-1/2, 0] needs alpha max a_i <= 1, not the contraction alpha max a_i < 2: "
        "a = 1.5, alpha = 1 gives C* = -0.75 (138.6 degrees); corrected: paper_thm32_range"),
    "printed_thm51_noise": (
        NOISE, "unjustified",
        "main step 1",
        "the stated condition bounds E||delta||, the proof uses E||delta||^2 <= delta^2; "
        "delta = +-M with probability 1/(2M) each has E||delta|| = 1, E||delta||^2 = M"),
    "printed_thm51_stage_decrease": (
        STAGE, "false", "main step 2",
        "a stage can raise f: f = |x|, x_0 = 0 = x*, subgradient 1 at 0, heavy ball beta = 1/2, "
        "rate 1/2: f(x_1) - f(x_2) = 1/4 > 0 = f(x_0) - f*; the sum it feeds holds by "
        "summation by parts (paper_thm51_abel)"),
    "printed_thm51_eq32": (
        EQ32, "false", "main step 1",
        "sum_{i<n} 1/(i+2) > log(n+1) - log 2 for every n >= 1 (n = 2: 0.833 > 0.405); "
        "corrected: <= log(n+1) (paper_harmonic_shifted)"),
    "printed_thm51_eq34": (
        EQ34, "false", "main step 1",
        "H_n > log n for every n >= 1 (n = 1: 1 > 0); corrected: H_n <= 1 + log n "
        "(paper_harmonic)"),
    "printed_thm52_eq38_root": (
        ROOT, "false", "main step 1",
        "(gamma alpha)^(-1/2) <= (gamma alpha)^(-1) only if gamma alpha <= 1, which Theorem 5.2 "
        "does not assume: gamma alpha_0 = 100, tau_0 = 0.1 gives k*_0 alpha_0 = 0.386 (k_0 = 1) "
        "> kappa_2 = 0.046"),
    "printed_thm52_eq38_max": (
        MAX, "false", "main step 1",
        "max{sqrt(2 pi/(3 tau_0)), sqrt(4 pi/3)} = sqrt(2 pi/(3 tau_0)) only if tau_0 <= 1/2; "
        "tau_0 = 1.99, gamma alpha_0 = 1, eps alpha_0 = 0.33: k_0 gamma alpha_0 >= 1.044 > "
        "1.026 = kappa_2 gamma"),
    "printed_thm52_eq39": (
        EQ39, "false", "main step 1",
        "Theorem 5.2's rates (i+1)^(-2/3) violate condition (10) (i = 0: 1 > 1/2; alpha_hat_{-1} "
        "= 0^(-2/3) is undefined), so neither Lemma 12.1 nor Theorem 5.1 applies; corrected "
        "with alpha_hat_i = 1/(i+2) (docs/paper.md §4)"),
}

PROOFS = tuple(entry[0] for entry in PRINTED.values())
