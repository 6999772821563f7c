"""docs/theory.md §4 derived in sympy, per coordinate (reused by ``proofs``).

Model (one coordinate of Q): X_{n+1} = alpha_n X_n + xi_n with xi_n zero-mean, variance q_n,
independent of X_n and of earlier noise; P_n = E[X_n^2].  Expectations of polynomials in these
variables are taken by :func:`expect` (Gaussian moment rules restricted to degree 2, which is all
that second moments need), so every closed form below is *derived*, not typed in.

Identities (each a pair lhs, rhs that sympy must show equal):
- ``epoch_noise``: sum_{j<K} a^{2j} = (1 - a^{2K}) / (1 - a^2) (the epoch noise q of 2c).
- ``P_step``: P_n = alpha_{n-1}^2 P_{n-1} + q_{n-1}.
- ``sq_step``, ``inner_step``: E[s_n^2] = (1 - alpha_n)^2 P_n + q_n and E[s_n s_{n-1}] from the
  model equal the closed forms used by :mod:`autodrop_theory.angular`.
- ``stationary_P``: P = alpha^2 P + q has the solution q / (1 - alpha^2).
- ``stationary_ratio``: at stationarity E[s_n s_{n-1}] / E[s_n^2] = (alpha - 1)/2 per coordinate,
  so cos omega_inf is a weighted mean of (alpha_i - 1)/2 with weights E[s_{n,i}^2] (4a).
- ``certificate``: E[s_n s_{n-1}] = alpha (1 - alpha)^2 (P_{n-1} - (1 + alpha) v / alpha) at a
  constant rate, v = q / (1 - alpha^2): the 90-degree certificate of 4c.
"""

from __future__ import annotations

import sympy as sp

__all__ = ["alpha", "alpha_prev", "q", "q_prev", "P", "P_prev", "a", "K", "expect",
           "IDENTITIES", "verify"]

alpha, alpha_prev = sp.symbols("alpha_n alpha_nm1", real=True)
q, q_prev = sp.symbols("q_n q_nm1", nonnegative=True)
P, P_prev = sp.symbols("P_n P_nm1", nonnegative=True)
a = sp.Symbol("a", positive=True)
K = sp.Symbol("K", positive=True, integer=True)
j = sp.Symbol("j", integer=True, nonnegative=True)

# random variables of one coordinate: X_{n-1}, xi_{n-1}, xi_n
X_prev, xi_prev, xi_now = sp.symbols("X_nm1 xi_nm1 xi_n", real=True)
_SECOND_MOMENTS = {X_prev ** 2: P_prev, xi_prev ** 2: q_prev, xi_now ** 2: q}
_RANDOM = (X_prev, xi_prev, xi_now)


def expect(expr: sp.Expr) -> sp.Expr:
    """E[expr] for a polynomial of degree <= 2 in X_{n-1}, xi_{n-1}, xi_n: mutually independent,
    the xi zero-mean; only squares survive (cross terms and linear terms in xi vanish).  Terms
    linear in X_{n-1} alone are refused (its mean is not a second moment)."""
    poly = sp.Poly(sp.expand(expr), *_RANDOM)
    out = sp.Integer(0)
    for monom, coeff in poly.terms():
        degree = sum(monom)
        if degree == 0:
            out += coeff
        elif degree == 2 and max(monom) == 2:
            var = _RANDOM[monom.index(2)]
            out += coeff * _SECOND_MOMENTS[var ** 2]
        elif degree == 1 and monom[0] == 1:
            raise ValueError("expect: a term linear in X_{n-1} needs its mean")
        elif degree > 2:
            raise ValueError("expect: degree > 2 is not needed for second moments")
        # any other monomial has an independent zero-mean factor: expectation 0
    return out


# the model, one coordinate
X_now = alpha_prev * X_prev + xi_prev                # X_n
X_next = alpha * X_now + xi_now                       # X_{n+1}
s_now, s_prev = X_next - X_now, X_now - X_prev        # s_n, s_{n-1}

_v = q / (1 - alpha ** 2)
IDENTITIES = {
    "epoch_noise": (sp.Sum(a ** (2 * j), (j, 0, K - 1)).doit(), (1 - a ** (2 * K)) / (1 - a ** 2)),
    "P_step": (expect(X_now ** 2), alpha_prev ** 2 * P_prev + q_prev),
    "sq_step": (expect(s_now ** 2), (1 - alpha) ** 2 * (alpha_prev ** 2 * P_prev + q_prev) + q),
    "inner_step": (expect(s_now * s_prev),
                   (alpha - 1) * (alpha_prev * (alpha_prev - 1) * P_prev + q_prev)),
    "stationary_P": (alpha ** 2 * _v + q, _v),
    "stationary_ratio": (((alpha - 1) * (alpha * (alpha - 1) * _v + q))
                         / ((1 - alpha) ** 2 * _v + q), (alpha - 1) / 2),
    "certificate": (((alpha - 1) * (alpha * (alpha - 1) * P_prev + q)),
                    alpha * (1 - alpha) ** 2 * (P_prev - (1 + alpha) * _v / alpha)),
}


def _equal(lhs, rhs) -> bool:
    diff = sp.simplify(sp.piecewise_fold(lhs - rhs))
    if isinstance(diff, sp.Piecewise):
        # sum_{j<K} a^{2j} comes back as Piecewise((K, a^2 = 1), (..., True)); the closed form
        # is claimed for a^2 != 1 only, so branches whose condition is an equation are set aside
        return all(sp.simplify(expr) == 0 for expr, cond in diff.args
                   if not isinstance(cond, sp.Eq))
    return diff == 0


def verify() -> dict:
    """{name: True/False}: whether sympy proves each identity exactly."""
    return {name: _equal(lhs, rhs) for name, (lhs, rhs) in IDENTITIES.items()}
