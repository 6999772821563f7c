"""The assumption sets of docs/theory.md §1 as objects: symbols, conditions, a numeric check.

Each :class:`Assumption` names the mathematical class it models and holds its conditions as sympy
relations over the symbol table; ``check(**numbers)`` evaluates them and raises
:class:`AssumptionError` naming the violated condition and the received values.

- ``SC``  f is mu-strongly convex (mu > 0).
- ``SM``  grad f is L-Lipschitz, with mu <= L.
- ``BV``  E||g - grad f(x)||^2 <= sigma^2 for every x (sigma^2 >= 0).
- ``FS``  f = (1/n) sum_i f_i, each f_i L-smooth and mu-strongly convex, g = grad f_i with i
          uniform; sigma_*^2 = E||grad f_i(x*)||^2 >= 0.
- ``AD``  an adapted run (the adaptive-schedule theorem of docs/theory.md §2d): the rate is
          predictable, the noise is unbiased with conditional variance <= sigma^2 given the
          past, and eta_t mu <= 1 - delta (integrability).
- ``NQM`` the paper's noisy quadratic model (docs/paper.md §1): Q with h_i = a_i, c_i = a_i^2
          sigma_i^2.
- ``CVX_UM`` the paper's Theorem 5.1 setting (docs/paper.md §3).
- ``Q``   the linear-Gaussian quadratic model (per coordinate h_i >= 0, c_i >= 0);
          :meth:`QuadraticAssumption.instance` builds a validated
          :class:`autodrop_theory.quadratic.QuadraticModel` from numeric spectra.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import sympy as sp

from . import symbols as S
from .symbols import Ge as _Ge, Gt as _Gt, Le as _Le, Lt as _Lt
from .errors import AssumptionError
from .numeric import lambdified
from .quadratic import QuadraticModel

__all__ = ["Assumption", "SC", "SM", "BV", "FS", "Q", "CV", "AD", "NQM", "CVX_UM",
           "ASSUMPTIONS",
           "check_conditions"]


def check_conditions(owner: str, conditions, numbers: dict) -> None:
    """Evaluate sympy ``conditions`` at ``numbers`` (scalars or arrays, broadcast); raise
    AssumptionError naming the first violated condition and the values it saw there."""
    for cond in conditions:
        syms = sorted(cond.free_symbols, key=lambda s: s.name)
        missing = [s.name for s in syms if s.name not in numbers]
        if missing:
            raise AssumptionError(f"{owner}: condition {cond} needs {', '.join(missing)}")
        args = np.broadcast_arrays(*[np.asarray(numbers[s.name], dtype=np.float64)
                                     for s in syms])
        ok = np.broadcast_to(lambdified(syms, cond)(*args), args[0].shape)
        if not np.all(ok):
            where = tuple(np.argwhere(~ok)[0])
            shown = ", ".join(f"{s.name}={a[where].item()!r}" for s, a in zip(syms, args))
            raise AssumptionError(f"{owner}: condition {cond} violated (got {shown})")


@dataclasses.dataclass(frozen=True)
class Assumption:
    name: str
    description: str
    symbols: tuple
    conditions: tuple

    def check(self, **numbers) -> None:
        check_conditions(self.name, self.conditions, numbers)


@dataclasses.dataclass(frozen=True)
class QuadraticAssumption(Assumption):
    def instance(self, hessian_eigs, noise_var, y0) -> QuadraticModel:
        """A validated instance of Q from numeric spectra (shapes, finiteness, signs)."""
        return QuadraticModel(np.asarray(hessian_eigs), np.asarray(noise_var), np.asarray(y0))


SC = Assumption("SC", "f is mu-strongly convex", (S.mu,), (_Gt(S.mu, 0),))
SM = Assumption("SM", "grad f is L-Lipschitz (mu <= L)", (S.L, S.mu),
                (_Gt(S.L, 0), _Le(S.mu, S.L)))
BV = Assumption("BV", "E||g - grad f(x)||^2 <= sigma^2 for every x", (S.sigma_sq,),
                (_Ge(S.sigma_sq, 0),))
FS = Assumption("FS", "finite sum of L-smooth, mu-strongly convex f_i; sigma_*^2 = "
                "E||grad f_i(x*)||^2", (S.L, S.mu, S.sigma_star_sq),
                (_Gt(S.mu, 0), _Le(S.mu, S.L), _Ge(S.sigma_star_sq, 0)))
Q = QuadraticAssumption("Q", "f = 1/2 y^T H y, g = H y + xi, xi ~ N(0, C), H and C commuting",
                        (S.h, S.c), (_Ge(S.h, 0), _Ge(S.c, 0)))

CV = Assumption("CV", "f convex with a minimiser x*; ||x_1 - x*||^2 <= D^2 and E||g_t||^2 <= G^2 "
               "(the convex last-iterate setting)", (S.D_sq, S.G_sq),
               (_Ge(S.D_sq, 0), _Ge(S.G_sq, 0)))

AD = Assumption("AD", "an adapted run: the rate eta_t is known before step t's noise (a function "
                "of x_0 and g_0..g_{t-1}; moves that are not SGD steps happen at stopping "
                "times); given that past, E[g_t] = grad f(x_t) and E||g_t - grad f(x_t)||^2 <= "
                "sigma^2; eta_t mu <= 1 - delta for one delta > 0 (so P_t >= delta^(2t) and Z_t "
                "is integrable); a restart's weights c_k are bounded", (S.sigma_sq, S.lr_t, S.mu),
                (_Ge(S.sigma_sq, 0), _Lt(S.lr_t * S.mu, 1)))


# the paper's settings (Wang, Teng, Choromanska, UAI 2024; docs/paper.md)
NQM = Assumption("NQM", "the paper's noisy quadratic model (Definition 3.1): L(x) = (x - c)^T A "
                 "(x - c)/2, c ~ N(0, Sigma), A = diag(a_i), Sigma = diag(sig_sq_i); the model Q "
                 "with h_i = a_i and c_i = a_i^2 sig_sq_i", (S.p_a, S.p_sig_sq),
                 (_Gt(S.p_a, 0), _Ge(S.p_sig_sq, 0)))
CVX_UM = Assumption(
    "CVX_UM", "Theorem 5.1's setting: f convex with a minimiser x*, every subgradient "
    "||g|| <= G, oracle G(x; xi) = g(x) + delta with E[delta | past] = 0 and E||delta||^2 <= "
    "delta^2 (the printed E||delta|| <= delta^2 read as the second moment its proof uses), UM "
    "(eq. 9) with 0 <= beta < 1 and s >= 0", (S.p_G_sq, S.p_delta_sq, S.p_beta, S.p_s),
    (_Ge(S.p_G_sq, 0), _Ge(S.p_delta_sq, 0), _Ge(S.p_beta, 0), _Lt(S.p_beta, 1),
     _Ge(S.p_s, 0)))

ASSUMPTIONS = {a.name: a for a in (SC, SM, BV, FS, Q, CV, AD, NQM, CVX_UM)}
