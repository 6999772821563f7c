"""docs/theory.md §4: the second moments behind the angle, derived from the model.

One coordinate of Q: X_{n+1} = alpha_n X_n + xi_n, xi_n zero-mean with variance q_n, independent of
X_n and of earlier noise (docs/theory.md §4; alpha_n = (1 - eta_n h)^K, q_n from 2c).  The
expectation of each polynomial is taken by ``autodrop_theory.derivations.expect`` (independent
zero-mean factors vanish, squares become second moments); the checker then verifies the closed
forms used by ``autodrop_theory.angular``:
- ``epoch_second_moment``:  P_n = alpha_{n-1}^2 P_{n-1} + q_{n-1}
- ``displacement_sq``:      E[s_n^2] = (1 - alpha_n)^2 P_n + q_n
- ``displacement_inner``:   E[s_n s_{n-1}] = (alpha_n - 1)(alpha_{n-1}(alpha_{n-1} - 1) P_{n-1} + q_{n-1})
"""

import sympy as sp

from autodrop_theory import derivations as D
from proofs.checker import Fact, Proof, Step

P_now, SQ, INNER = sp.symbols("P_n E_sq E_inner", real=True)
_model = "X_{n+1} = alpha_n X_n + xi_n, xi independent and zero-mean (Q)"
_P = D.alpha_prev ** 2 * D.P_prev + D.q_prev


def _proof(name, title, lhs, moment, closed, steps_between=()):
    return Proof(
        name=name, title=title, lhs=lhs, relation="=", rhs=closed,
        facts=(Fact("model", lhs - D.expect(moment), "eq",
                    f"expectation under the model: {_model}", role="model"),),
        steps=(Step(D.expect(moment), "=", "expectation of the model polynomial",
                    (("model", 1),)),) + steps_between + (
            Step(closed, "=", "collect"),),
        reference="docs/theory.md §4 (derived here).",
    )


EPOCH = _proof("epoch_second_moment", "P_n = alpha_{n-1}^2 P_{n-1} + q_{n-1}",
               P_now, D.X_now ** 2, _P)
SQ_PROOF = _proof("displacement_sq", "E[s_n^2] = (1 - alpha_n)^2 P_n + q_n",
                  SQ, D.s_now ** 2, (1 - D.alpha) ** 2 * _P + D.q,
                  (Step((1 - D.alpha) ** 2 * D.expect(D.X_now ** 2) + D.q, "=",
                        "s_n = (alpha_n - 1) X_n + xi_n"),))
INNER_PROOF = _proof("displacement_inner",
                     "E[s_n s_{n-1}] = (alpha_n - 1)(alpha_{n-1}(alpha_{n-1} - 1) P_{n-1} + q_{n-1})",
                     INNER, D.s_now * D.s_prev,
                     (D.alpha - 1) * (D.alpha_prev * (D.alpha_prev - 1) * D.P_prev + D.q_prev),
                     (Step((D.alpha - 1) * (D.alpha_prev * (D.alpha_prev - 1) * D.P_prev
                                            + D.q_prev), "=",
                           "xi_n is independent of s_{n-1}: E[s_n s_{n-1}] = (alpha_n - 1) "
                           "E[X_n s_{n-1}]"),))

PROOFS = (EPOCH, SQ_PROOF, INNER_PROOF)
