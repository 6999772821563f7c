"""Independent dense references for the quadratic model, sharing no code with the library.

The instance is rotated by a random orthogonal Q (H = Q diag(h) Q^T, C = Q diag(c) Q^T), and
moments are propagated with full matrices, step by step:
    m_{t+1} = A m_t,  S_{t+1} = A S_t A^T + eta^2 C  (A = I - eta H),   E||y||^2 = tr S + |m|^2,
and cross-moments E[X_j X_i^T] = A^{K(j - i)} E[X_i X_i^T] (products over epochs) for j >= i.
"""

import numpy as np


def rotated(h, c, y0, seed=0):
    d = len(h)
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    return q @ np.diag(h) @ q.T, q @ np.diag(c) @ q.T, q @ np.asarray(y0, float)


def boundary_moments(H, C, y0, lrs, K):
    """Second moments M[n] = E[X_n X_n^T] and epoch maps B[n] = A_n^K (dense)."""
    d = H.shape[0]
    m, S = np.array(y0, float), np.zeros((d, d))
    Ms, Bs = [np.outer(m, m)], []
    for lr in lrs:
        A = np.eye(d) - lr * H
        for _ in range(K):
            m = A @ m
            S = A @ S @ A.T + lr * lr * C
        Ms.append(S + np.outer(m, m))
        Bs.append(np.linalg.matrix_power(A, K))
    return Ms, Bs


def sq_dist(H, C, y0, lrs, K):
    Ms, _ = boundary_moments(H, C, y0, lrs, K)
    return np.array([np.trace(M) for M in Ms])


def angles(H, C, y0, lrs, K):
    """Deterministic-equivalent angles (degrees), n = 1..E-1, from dense cross-moments."""
    Ms, Bs = boundary_moments(H, C, y0, lrs, K)

    def cross(j, i):  # E[<X_j, X_i>] for j >= i
        P = np.eye(H.shape[0])
        for n in range(i, j):
            P = Bs[n] @ P
        return np.trace(P @ Ms[i])

    def inner(a, b):  # E<s_a, s_b> with s_n = X_{n+1} - X_n, a >= b
        x = lambda j, i: cross(max(j, i), min(j, i))  # noqa: E731
        return x(a + 1, b + 1) - x(a + 1, b) - x(a, b + 1) + x(a, b)

    E = len(lrs)
    out = []
    for n in range(1, E):
        cos = inner(n, n - 1) / np.sqrt(inner(n, n) * inner(n - 1, n - 1))
        out.append(np.degrees(np.arccos(np.clip(cos, -1, 1))))
    return np.array(out)
