"""The exact epoch sampler of model Q (docs/theory.md §1, §9): an epoch of K SGD steps in one
Gaussian draw per coordinate.

Under Q the gradient is h y + sd xi coordinate by coordinate, so one step is a linear map of the
coordinate's *augmented state* s = (y, [p], [S]) plus Gaussian noise: y the iterate, p the
paper's y^s of unified momentum UM(beta, s) (eq. 9; momentum beta > 0 only; p = y_{t-1}, the
previous iterate, for heavy ball s = 0) and S the running sum of the epoch's iterates (only for
a method that averages them).  With g = h y + sd xi, p' = y - s lr g and y' = y - lr g +
beta (p' - p) (docs/theory.md §6b):

    y' = (1 + beta - lr h (1 + beta s)) y - beta p - lr sd (1 + beta s) xi,
    p' = (1 - s lr h) y - s lr sd xi,      S' = S + y'.

Heavy ball (``s`` None) keeps the p-row (1, 0) and p's zero noise as constants of the program;
a traced s = 0 gives the same numbers in exact arithmetic but the compiler then contracts
multiply-adds differently (an ulp apart), so the simulator passes None for heavy ball
(docs/theory.md §6b).

Writing one step as s' = M s + e xi, the K steps of an epoch are s_K = P s_0 + n with
P = M_{K-1} ... M_0 and n ~ N(0, V), V = sum_j (M_{K-1} ... M_{j+1}) e_j e_j^T (...)^T.  The pair
(P, V) of two consecutive stretches composes as (P2 P1, P2 V1 P2^T + V2); at a rate fixed within
the epoch every step has the same (M, e) and (P, V) after K steps is built by squaring in
log2(K) compositions (each a sum of nonnegative terms on the diagonal: no cancellation where
lr h is tiny, unlike the closed geometric sums), for a rate that varies within the epoch in a way
fixed in advance (``inverse_time``) by a scan over the K steps (arithmetic only, no random
numbers).  The draw is s_K = P s_0 + L z with L the Cholesky factor of V (at most 3 x 3 per
coordinate, written out elementwise) and z standard normals, n per coordinate: O(d) random numbers
per epoch instead of O(K d).  Component order (y first) makes the iterate's noise L_00 z_0 the
same for every method at the same rate, whatever else it tracks: common random numbers.

Everything here works on tuples of arrays of shape (d,) (one entry per matrix element), so it
jit-compiles to elementwise code and vmaps over methods and seeds.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["components", "fixed_rate", "scheduled", "sample", "step_element", "cholesky"]


def components(momentum: bool, average: bool) -> int:
    """The length n of the augmented state (y, [p], [S])."""
    return 1 + int(momentum) + int(average)


def step_element(h, sd, lr, beta, momentum: bool, average: bool, s=None):
    """(M, e) of one step at rate ``lr``: M an n x n tuple of (d,) arrays, e a length-n tuple;
    under momentum, UM's (beta, ``s``), heavy ball with the constant p-row (1, 0) where ``s`` is
    None."""
    general = momentum and s is not None
    if general:
        k = 1.0 + beta * s
        a = 1.0 + beta - lr * (h * k)
    else:
        a = 1.0 + beta - lr * h if momentum else 1.0 - lr * h
    zero, one = jnp.zeros_like(a), jnp.ones_like(a)
    noise = -lr * (sd * k) * one if general else -lr * sd * one
    rows = [[a] + ([-beta * one] if momentum else [])]
    es = [noise]
    if momentum:
        rows.append([one - s * lr * h, zero] if general else [one, zero])
        es.append(-s * lr * sd if general else zero)
    if average:
        rows = [r + [zero] for r in rows]
        rows.append(rows[0][:-1] + [one])        # S' = S + y'
        es.append(noise)
    return tuple(tuple(r) for r in rows), tuple(es)


def _mul(A, B):  # noqa: N803
    n = len(A)
    return tuple(tuple(sum(A[i][k] * B[k][j] for k in range(n)) for j in range(n))
                 for i in range(n))


def _sandwich(P, V):  # noqa: N803
    """P V P^T."""
    return _mul(_mul(P, V), tuple(zip(*P)))


def _add(A, B):  # noqa: N803
    return tuple(tuple(a + b for a, b in zip(ra, rb)) for ra, rb in zip(A, B))


def _compose(first, second):
    """The stretch ``first`` followed by ``second``: (P2 P1, P2 V1 P2^T + V2)."""
    (p1, v1), (p2, v2) = first, second
    return _mul(p2, p1), _add(_sandwich(p2, v1), v2)


def _outer(e):
    return tuple(tuple(a * b for b in e) for a in e)


def _identity(like, n):
    zero, one = jnp.zeros_like(like), jnp.ones_like(like)
    eye = tuple(tuple(one if i == j else zero for j in range(n)) for i in range(n))
    zeros = tuple(tuple(zero for _ in range(n)) for _ in range(n))
    return eye, zeros


def fixed_rate(h, sd, lr, beta, steps: int, momentum: bool, average: bool, s=None):
    """(P, V) of ``steps`` steps at the rate ``lr`` (binary powering: ``steps`` is static)."""
    m, e = step_element(h, sd, lr, beta, momentum, average, s)
    base = (m, _outer(e))
    acc = _identity(m[0][0], len(e))
    k = int(steps)
    while k:
        if k & 1:
            acc = _compose(acc, base)
        k >>= 1
        if k:
            base = _compose(base, base)
    return acc


def scheduled(h, sd, lrs, beta, momentum: bool, average: bool, s=None):
    """(P, V) of the steps at the rates ``lrs`` (shape (K,), fixed in advance), in order."""
    n = components(momentum, average)

    def step(acc, lr):
        m, e = step_element(h, sd, lr, beta, momentum, average, s)
        return _compose(acc, (m, _outer(e))), None

    acc, _ = jax.lax.scan(step, _identity(h, n), lrs)
    return acc


def cholesky(V):  # noqa: N803
    """The lower Cholesky factor of the positive semidefinite V (n <= 3, elementwise), with
    a zero column where a pivot is 0 (a component that is a deterministic function of the
    others, e.g. S = y after one step) and negative rounding clipped to 0."""
    n = len(V)
    L = [[None] * n for _ in range(n)]  # noqa: N806
    for i in range(n):
        for j in range(i + 1):
            s = V[i][j] - sum(L[i][k] * L[j][k] for k in range(j))
            if i == j:
                L[i][i] = jnp.sqrt(jnp.maximum(s, 0.0))
            else:
                piv = L[j][j]
                L[i][j] = jnp.where(piv > 0, s / jnp.where(piv > 0, piv, 1.0), 0.0)
    zero = jnp.zeros_like(V[0][0])
    return tuple(tuple(L[i][j] if j <= i else zero for j in range(n)) for i in range(n))


def sample(P, V, s0, z):  # noqa: N803
    """s_K = P s0 + chol(V) z (``s0``, ``z``: length-n tuples of (d,) arrays)."""
    L = cholesky(V)  # noqa: N806
    n = len(s0)
    return tuple(sum(P[i][k] * s0[k] for k in range(n)) + sum(L[i][k] * z[k] for k in range(i + 1))
                 for i in range(n))
