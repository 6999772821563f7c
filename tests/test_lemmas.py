"""Every stated lemma of the proofs (a fact taken as a known result without a machine-checked
proof, ``python -m proofs --lemmas``), and every model fact and definition that says something
of the model's objects, is spot-checked numerically on concrete instances.

Each lemma's symbols are instantiated from what they mean, computed by independent code: the
gradient quantities (G = ||grad f||^2, p = <grad f, x - x*>, r = ||x - x*||^2) of random strongly
convex smooth functions (quadratics, and quadratics plus a softplus term, which are not
quadratic: the two-point form of each inequality, which at y = x* is the lemma); the stage-wise
schedule's lengths from ``autodrop_theory.stagewise`` (so a wrong stage length in the package
fails here); the expected adaptive-schedule statistic computed exactly under Q; the guard's
angle from ``autodrop_theory.angular``; the guarded rule's stage times from its own recursion.
Scalar lemmas are drawn inside their theorem's assumptions, boundaries included.  A lemma passes
when its expression is >= -1e-9 (relative to the size of its terms) on every instance; the
instance count of each is at least 50.  A test shows that falsified lemmas fail the same check.
"""

import math
import zlib

import numpy as np
import pytest
import sympy as sp
from sympy.core.function import AppliedUndef

from autodrop_theory import angular
from autodrop_theory.stagewise import stagewise_schedule
from proofs import THEOREMS
from proofs.checker import stated_lemmas
from paper_instances import PAPER_LEMMA_INSTANCES, PAPER_MODEL_INSTANCES, PAPER_NAMING
from test_guard_rate import guarded, wait_constants, waited

N = 200
LEMMAS = {(p.name, f.name): f for p, f, _ in stated_lemmas(THEOREMS)}


# ------------------------------------------------------------------ instance generators
def _unit(rng, n, lo=0.0, hi=1.0, edges=True):
    """n draws in [lo, hi], the ends included about one time in ten each."""
    x = rng.uniform(lo, hi, n)
    if edges:
        k = rng.uniform(size=n)
        x = np.where(k < 0.1, lo, np.where(k > 0.9, hi, x))
    return x


def _two_point(rng, n, sc: bool, finite_sum=False):
    """Gradient quantities of random functions f(x) = 1/2 x^T H x + g sum softplus(a_j^T x) with
    H's eigenvalues in [m, M] (mu-strongly convex with mu = m, L-smooth with L = M + g ||A||^2/4;
    convex only when not ``sc``: then m = 0): for points x, y, u = grad f(x) - grad f(y),
    G = ||u||^2, p = <u, x - y>, r = ||x - y||^2 (at y = x*: the lemma's quantities).  With
    ``finite_sum``: 4 functions f_i of one (mu, L), averaged: U = mean ||u_i||^2, p = mean
    <u_i, x - y>."""
    out = {k: [] for k in ("mu", "L", "G", "p", "r", "U", "r0_sq")}
    for _ in range(n):
        d = int(rng.integers(1, 6))
        m = float(rng.uniform(0.05, 1.0)) if sc else 0.0
        M = m + float(rng.choice([0.0, rng.uniform(0.0, 3.0)])) if sc else float(
            rng.uniform(0.1, 3.0))
        g = float(rng.choice([0.0, rng.uniform(0.0, 2.0)]))
        fs = []
        A = rng.normal(size=(3, d))
        L = M + g * np.linalg.norm(A, 2) ** 2 / 4
        for _ in range(4 if finite_sum else 1):
            Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
            eig = rng.uniform(m, M, d)
            eig[:2] = [m, M][:d] if d > 1 else [m]
            H = Q @ np.diag(eig) @ Q.T
            fs.append(lambda z, H=H: H @ z + g * A.T @ (1 / (1 + np.exp(-A @ z))))
        x, y = rng.normal(size=d) * 3, rng.normal(size=d) * 3
        us = [f(x) - f(y) for f in fs]
        out["mu"].append(m)
        out["L"].append(L)
        out["G"].append(float(us[0] @ us[0]))
        out["p"].append(float(np.mean([u @ (x - y) for u in us])))
        out["r"].append(float((x - y) @ (x - y)))
        out["U"].append(float(np.mean([u @ u for u in us])))
        out["r0_sq"].append(out["r"][-1])
    return {k: np.array(v) for k, v in out.items()}


def _cocoercive(rng):
    return _two_point(rng, N, sc=False)


def _interpolation(rng):
    return _two_point(rng, N, sc=True)


def _interpolation_finite_sum(rng):
    q = _two_point(rng, N, sc=True, finite_sum=True)
    keep = q["mu"] < q["L"]                              # the theorem assumes mu < L
    return {k: v[keep] for k, v in q.items()}


def _equal_curvature(rng):
    """mu = L: components f_i(x) = mu/2 ||x - c_i||^2 + <b_i, x> with b_i averaging to 0 (each
    mu-strongly convex and mu-smooth): u_i = grad f_i(x_0) - grad f_i(x*), s_i = grad f_i(x*),
    p = mean <u_i, y_0>, U = mean ||u_i||^2, X = mean <u_i, s_i>, Z = mean <s_i, y_0>."""
    out = {k: [] for k in ("mu", "r0_sq", "p", "U", "X", "Z")}
    for _ in range(N):
        d, n, mu = int(rng.integers(1, 5)), int(rng.integers(1, 5)), float(rng.uniform(0.1, 3))
        c, b = rng.normal(size=(n, d)), rng.normal(size=(n, d))
        b -= b.mean(axis=0)
        x_star = c.mean(axis=0)
        x0 = rng.normal(size=d) * 2

        def grad(i, x):
            return mu * (x - c[i]) + b[i]
        y0 = x0 - x_star
        u = [grad(i, x0) - grad(i, x_star) for i in range(n)]
        st = [grad(i, x_star) for i in range(n)]
        vals = (mu, y0 @ y0, np.mean([ui @ y0 for ui in u]), np.mean([ui @ ui for ui in u]),
                np.mean([ui @ si for ui, si in zip(u, st)]), np.mean([si @ y0 for si in st]))
        for k, val in zip(out, vals):
            out[k].append(val)
    return {k: np.array(v) for k, v in out.items()}


def _adaptive_paths(rng, T, isotropic=False, peek=False, jumps=False, cap=0.9,
                    peek_weight=False):
    """Every path of SGD on f = sum_i h_i y_i^2 / 2 with Rademacher noise (g = H y + xi, xi_i =
    +-s_i with probability 1/2 each, independent of the past: unbiased, conditional variance
    exactly sigma^2 = sum s_i^2), d in {1, 2}, up to T steps, with an *adaptive* rate: eta_t is
    hi while ||y_t||^2 > thr and lo below (predictable: known before the step's noise).  With
    ``peek`` the rate is chosen after seeing the step's noise, whichever of lo and hi makes
    Z_{t+1} larger (not predictable).  With ``jumps`` the path moves outside SGD at a stopping
    time (the first t with ||y_t||^2 <= thr: y <- a y, a in (0, 1)), and the statistic restarts
    there with a weight c_k = 1 / (1 + ||y^+||^2) known at the move.  Negative control:
    ``peek_weight`` scales each increment by 2 or 1/2 after seeing whether it is positive (a
    weight that is not known at the start of the step).  (A move decided on step t's noise at
    time t + 1 is still at a stopping time, and the lemma holds for it.)  Returns per t = 0..T
    the
    exact expectations over paths of Z_t (no jumps) or of M_t (the segments' weighted sum,
    docs/theory.md §2d), and (mu, L, sigma^2)."""
    d = int(rng.integers(1, 3))
    h = np.full(d, rng.uniform(0.1, 2.0)) if isotropic else rng.uniform(0.1, 2.0, d)
    mu, L = h.min(), h.max()
    s = rng.uniform(0.0, 1.0, d)
    s2 = float((s * s).sum())
    # eta mu <= cap (0.5 with moves: M sums differences of Z, where 1/P_t magnifies rounding)
    lo, hi = np.sort(_unit(rng, 2, 1e-3, min(2 / (mu + L), (0.5 if jumps else cap) / mu)))
    y = rng.normal(size=(1, d))
    thr = float(rng.uniform(0.1, 1.5)) * float((y * y).sum())
    a_jump = float(rng.uniform(0.2, 0.9))
    prob = np.ones(1)
    P, acc, c_k, m, moved = np.ones(1), np.zeros(1), np.ones(1), np.zeros(1), np.zeros(1, bool)
    start = (y * y).sum(-1)                                  # ||y^+_{tau_k}||^2
    z = lambda yy, PP, aa: (yy * yy).sum(-1) / PP - s2 * aa  # noqa: E731
    out = [float((prob * (m if jumps else z(y, P, acc))).sum())]
    signs = np.array(np.meshgrid(*[[-1.0, 1.0]] * d, indexing="ij")).reshape(d, -1).T
    for _ in range(T):
        n = signs.shape[0]
        y, P, acc, c_k, m, moved, start = (np.repeat(a, n, axis=0) for a in
                                           (y, P, acc, c_k, m, moved, start))
        prob = np.repeat(prob, n) / n
        xi = np.tile(signs * s, (len(prob) // n, 1))
        z_now = z(y, P, acc)

        def after(lr):
            q = (1 - lr * mu) ** 2
            y1 = y - lr[:, None] * (h * y + xi)
            return y1, P * q, acc + lr ** 2 / (P * q)

        if peek:
            cand = [after(np.full(len(prob), r)) for r in (lo, hi)]
            pick = z(*cand[1]) > z(*cand[0])
            y1, P1, acc1 = (np.where(pick[:, None] if k == 0 else pick, cand[1][k], cand[0][k])
                            for k in range(3))
        else:
            y1, P1, acc1 = after(np.where((y * y).sum(-1) > thr, hi, lo))
        inc = z(y1, P1, acc1) - z_now
        m = m + c_k * inc * (np.where(inc > 0, 2.0, 0.5) if peek_weight else 1.0)
        y, P, acc = y1, P1, acc1
        if jumps:                                            # a move at a stopping time
            go = ~moved & ((y * y).sum(-1) <= thr)
            y = np.where(go[:, None], a_jump * y, y)
            moved |= go
            P, acc = np.where(go, 1.0, P), np.where(go, 0.0, acc)
            c_k = np.where(go, 1.0 / (1.0 + (y * y).sum(-1)), c_k)
        out.append(float((prob * (m if jumps else z(y, P, acc))).sum()))
    return np.array(out), (mu, L, s2)


def _supermartingale(rng, isotropic=False, peek=False, cap=0.9):
    """E Z_t and E Z_{t+1} of §2d, exactly (every path enumerated), for adaptive predictable
    rates inside the conditions (eta_t (mu + L) <= 2, eta_t mu <= 0.9 < 1; nearer to 1, P_t
    underflows relative to the terms of Z_t and the exact differences drown in rounding)."""
    now, nxt = [], []
    for _ in range(N):
        T = int(rng.integers(1, 7))
        ez, _ = _adaptive_paths(rng, T, isotropic, peek, cap=cap)
        t = int(rng.integers(0, T))
        now.append(ez[t])
        nxt.append(ez[t + 1])
    return {"EZ(t)": np.array(now), "EZ(t + 1)": np.array(nxt), "t": np.zeros(N)}


def _restart(rng, **controls):
    """E M_t and E M_{t+1} of the restarted statistic, exactly, with a move at a stopping time
    and the weights of §2d (or a negative control of :func:`_adaptive_paths`)."""
    now, nxt = [], []
    for _ in range(N):
        T = int(rng.integers(1, 7))
        em, _ = _adaptive_paths(rng, T, jumps=True, **controls)
        t = int(rng.integers(0, T))
        now.append(em[t])
        nxt.append(em[t + 1])
    return {"EM(t)": np.array(now), "EM(t + 1)": np.array(nxt), "t": np.zeros(N)}


def test_the_supermartingale_lemma_is_an_equality_when_isotropic_and_catches_a_peeking_rule():
    """On the isotropic model (mu = L) the sharp one step is an equality, so for a predictable
    rate E Z_{t+1} = E Z_t exactly (to rounding); a rule that chooses its rate after seeing the
    step's noise breaks the lemma (E Z_{t+1} > E Z_t) on the same instances."""
    key = ("sgd_adaptive_schedule", "supermartingale")
    # eta mu <= 0.5: 1/P_t <= 4^6, so rounding stays far below the 1e-9 compared
    fair = _supermartingale(_rng(key), isotropic=True, cap=0.5)
    gap = fair["EZ(t + 1)"] - fair["EZ(t)"]
    assert np.max(np.abs(gap)) <= 1e-9 * np.max(np.abs(fair["EZ(t)"]))
    peeking = _supermartingale(_rng(key), isotropic=True, peek=True, cap=0.5)
    assert violations(LEMMAS[key], peeking) > N / 4
    key = ("sgd_adaptive_restart", "increment")
    moved = _restart(_rng(key))
    assert np.any(moved["EM(t + 1)"] != 0)              # the restarted statistic is exercised
    # a weight that reads the step's noise breaks the restart's lemma
    broken = _restart(_rng(key), isotropic=True, peek_weight=True)
    assert violations(LEMMAS[key], broken) > N / 4


def _inverse_power(rng):
    return {"rho": _unit(rng, N, 1e-3, 1 - 1e-9), "n": rng.integers(0, 30, N).astype(float)}


def _stagewise(rng, n=N):
    """Instances of the §3a schedule from autodrop_theory.stagewise, one stage k + 1 each."""
    keys = ("mu", "L", "lr", "rho", "sigma_sq", "r0_sq", "k", "E_stage(0)", "T_stage(0)",
            "E_stage(k + 1)", "T_stage(k + 1)", "K", "T", "T_0", "ell", "G(K - 1)")
    out = {k: [] for k in keys}
    for _ in range(n):
        mu = float(rng.uniform(0.01, 1.0))
        L = mu * float(rng.choice([1.0, rng.uniform(1.0, 20.0)]))
        lr = float(_unit(rng, 1, 1e-3, 1.0 / L)[0])
        rho = float(_unit(rng, 1, 0.05, 0.95, edges=False)[0])
        s2, r0 = float(rng.uniform(0.01, 2.0)), float(10 ** rng.uniform(-3, 3))
        stages = int(rng.integers(2, 7))
        rates, lengths = stagewise_schedule(mu, L, s2, lr, rho, r0, stages)
        k = int(rng.integers(0, stages - 1))
        vals = dict(mu=mu, L=L, lr=lr, rho=rho, sigma_sq=s2, r0_sq=r0, k=k,
                    K=stages, T=float(lengths.sum()), T_0=float(lengths[0]),
                    ell=math.log(2 / rho), **{"G(K - 1)": (rho ** -(stages - 1) - 1) / (1 - rho)})
        vals["T_stage(0)"] = float(lengths[0])
        vals["E_stage(0)"] = math.exp(-rates[0] * mu * lengths[0])
        vals["T_stage(k + 1)"] = float(lengths[k + 1])
        vals["E_stage(k + 1)"] = math.exp(-rates[k + 1] * mu * lengths[k + 1])
        for key in keys:
            out[key].append(vals[key])
    return {k: np.array(v, dtype=float) for k, v in out.items()}


def _guard_scalars(rng, n=N):
    """h > 0, eta > 0 with eta h <= 1 (the boundary included), c >= 0, K >= 1, rho in (0, 1),
    J >= 1, lr with h lr <= 1."""
    h = 10 ** rng.uniform(-2, 1, n)
    eta = _unit(rng, n, 1e-4, 1.0) / h
    return {"h": h, "eta": eta, "lr": eta, "c": _unit(rng, n, 0.0, 2.0),
            "K": rng.integers(1, 400, n).astype(float), "rho": _unit(rng, n, 1e-3, 0.999),
            "J": rng.integers(1, 20, n).astype(float)}


def _guard(rng):
    """The guard passes (the deterministic-equivalent angle between s_1 and s_0 is >= 90
    degrees, angular.expected_angles) at an initial second moment P_0 = y0^2 drawn around F v;
    the instances where it passes."""
    out = {k: [] for k in ("h", "eta", "c", "K", "P_n")}
    while len(out["h"]) < N:
        h = float(10 ** rng.uniform(-1, 1))
        eta = float(rng.uniform(0.01, 1.0)) / h
        c, K = float(rng.uniform(0.01, 2.0)), int(rng.integers(1, 30))
        a = (1 - eta * h) ** K
        if a < 1e-8:
            continue
        fv = (1 + a) / a * eta * c / (h * (2 - eta * h))
        p0 = fv * float(10 ** rng.uniform(-1, 0.3))
        angle = angular.expected_angles([h], [c], [math.sqrt(p0)], [eta, eta], K)[0]
        if angle >= 90.0:
            for k, val in zip(out, (h, eta, c, K, p0)):
                out[k].append(val)
    return {k: np.array(v, dtype=float) for k, v in out.items()}


def _fbar(rng):
    g = _guard_scalars(rng)
    eta0, k = g["eta"], rng.integers(1, 10, N)
    alpha0 = (1 - eta0 * g["h"]) ** g["K"]
    keep = alpha0 > 1e-12                      # alpha_0 > 0: Fbar finite
    return {"h": g["h"][keep], "K": g["K"][keep], "eta": (eta0 * g["rho"] ** (k - 1))[keep],
            "Fbar": 1 + 1 / alpha0[keep]}


def _guard_time(rng):
    """T and T_0' from the guarded rule's own recursion (tests/test_guard_rate.py), ell_B =
    ln(2 Fbar / rho), G(J) = sum_{k=1}^J rho^-k."""
    out = {k: [] for k in ("h", "lr", "K", "J", "T", "T_0'", "ell_B", "G(J)")}
    while len(out["h"]) < 50:
        h, c = 1.0, float(10 ** rng.uniform(-3, -1))
        eta0, rho = float(rng.uniform(0.05, 1.0)), float(rng.uniform(0.1, 0.9))
        K, J = int(rng.integers(1, 20)), int(rng.integers(1, 6))
        if (1 - eta0 * h) ** K < 1e-8:
            continue
        stages = guarded(h, c, float(10 ** rng.uniform(0, 2)), eta0, rho, K, J)
        fbar = 1 + 1 / (1 - eta0 * h) ** K
        vals = (h, eta0, K, J, stages[J][0], stages[0][0], math.log(2 * fbar / rho),
                (rho ** -J - 1) / (1 - rho))
        for k, val in zip(out, vals):
            out[k].append(val)
    return {k: np.array(v, dtype=float) for k, v in out.items()}


def _wait_factor(rng):
    """A = alpha^{2m} for m = 0..60 epochs, alpha = (1 - eta h)^K (eta h <= 1)."""
    g = _guard_scalars(rng)
    return {"A": ((1 - g["eta"] * g["h"]) ** g["K"]) ** (2 * rng.integers(0, 61, N))}


def _waited_runs(rng, n=60):
    """Runs of the package's rule idealised in expectation (tests/test_guard_rate.py::waited)
    with g rho < 1: per run the constants of stage_growth_bound and the stage times of
    wait_time; per stage with a wait, the tail average's exact second moment and the weighted
    mean of the wait's P_j."""
    runs = {k: [] for k in ("a", "b", "M", "g", "rho", "lr", "J", "G(J)", "T", "T_0")}
    stages = {k: [] for k in ("h", "eta", "c", "K", "P_out", "P_bar")}
    while len(runs["a"]) < n:
        h, c = 1.0, float(10 ** rng.uniform(-3, -1))
        eta0, rho = float(rng.uniform(0.05, 1.0)), float(rng.uniform(0.1, 0.9))
        K, J, f = int(rng.integers(1, 12)), int(rng.integers(1, 5)), float(rng.uniform(0, 2))
        g = float(rng.uniform(0, 0.99 / rho))
        if (1 - eta0 * h) ** K < 1e-8:
            continue
        out = waited(h, c, float(10 ** rng.uniform(0, 2)), eta0, rho, K, J, f, g)
        a, b, M = wait_constants(h, eta0, rho, K, f, out)
        for key, val in zip(runs, (a, b, M, g, rho, eta0, J, (rho ** -J - 1) / (1 - rho),
                                   out[J][0], out[0][0])):
            runs[key].append(val)
        for T, P, k, N_k, P_bar, m in out:
            if N_k > K * m:                        # a wait: the drop is from the tail average
                for key, val in zip(stages, (h, eta0 * rho ** k, c, K, P, P_bar)):
                    stages[key].append(val)
    return ({k: np.array(v, float) for k, v in runs.items()},
            {k: np.array(v, float) for k, v in stages.items()})


def _wait_epochs(rng):
    """P after m = 0..30 epochs of 2c from P_n, the per-epoch recursion P <- alpha^2 P + q
    iterated (q = v (1 - alpha^2)), with A = alpha^{2m}."""
    g = _guard_scalars(rng)
    g["K"] = np.minimum(g["K"], 40)
    alpha = (1 - g["eta"] * g["h"]) ** g["K"]
    v = g["eta"] * g["c"] / (g["h"] * (2 - g["eta"] * g["h"]))
    m = rng.integers(0, 31, N)
    p_n = rng.uniform(0, 5, N)
    p = p_n.copy()
    for epoch in range(int(m.max())):
        p = np.where(epoch < m, alpha ** 2 * p + v * (1 - alpha ** 2), p)
    return {"P_n": p_n, "P_wait": p, "A": alpha ** (2 * m),
            **{k: g[k] for k in ("c", "eta", "h")}}


# ------------------------------------------------------------------ model facts and definitions
def _finite_noise(rng, d, n=4):
    """n noise vectors of zero mean (a finite distribution, uniform over its points)."""
    xi = rng.normal(size=(n, d))
    return xi - xi.mean(axis=0)


def _sgd_expansion(rng):
    """E||y - eta g||^2 with g = grad f + xi, xi of zero mean, computed over xi's points."""
    out = {k: [] for k in ("Y_1", "lr", "p", "r", "G", "V")}
    for _ in range(N):
        d = int(rng.integers(1, 5))
        y, grad, xi = rng.normal(size=d), rng.normal(size=d), _finite_noise(rng, d)
        lr = float(rng.uniform(0.01, 2.0))
        steps = y - lr * (grad + xi)
        vals = (np.mean((steps ** 2).sum(axis=1)), lr, grad @ y, y @ y, grad @ grad,
                np.mean((xi ** 2).sum(axis=1)))
        for k, v in zip(out, vals):
            out[k].append(v)
    return {k: np.array(v) for k, v in out.items()}


def _finite_sum_pieces(rng, at_optimum=False):
    """A finite sum of n random mu-strongly convex quadratics f_i(x) = 1/2 x^T H_i x - b_i^T x:
    x* solves sum H_i x = sum b_i; u_i = grad f_i(x_0) - grad f_i(x*), s_i = grad f_i(x*);
    the averaged Gram entries and E||y_1||^2 for one step from x_0 (x_0 = x* if asked)."""
    out = {k: [] for k in ("Y_1", "lr", "p", "U", "X", "Z", "r0_sq", "sigma_star_sq")}
    for _ in range(N):
        d, n = int(rng.integers(1, 4)), int(rng.integers(2, 5))
        hs = [(lambda a: a @ a.T + 0.1 * np.eye(d))(rng.normal(size=(d, d))) for _ in range(n)]
        bs = rng.normal(size=(n, d))
        x_star = np.linalg.solve(sum(hs), bs.sum(axis=0))
        x0 = x_star if at_optimum else rng.normal(size=d) * 2
        y0, lr = x0 - x_star, float(rng.uniform(0.01, 1.0))
        u = np.array([h @ x0 - b - (h @ x_star - b) for h, b in zip(hs, bs)])
        st = np.array([h @ x_star - b for h, b in zip(hs, bs)])
        y1 = y0 - lr * (u + st)                       # one step with component i, i uniform
        vals = (np.mean((y1 ** 2).sum(axis=1)), lr, np.mean(u @ y0), np.mean((u ** 2).sum(1)),
                np.mean((u * st).sum(1)), np.mean(st @ y0), y0 @ y0, np.mean((st ** 2).sum(1)))
        for k, v in zip(out, vals):
            out[k].append(v)
    return {k: np.array(v) for k, v in out.items()}


def _two_point_law(rng, n):
    """n independent two-point distributions: values (2,) and probabilities (2,)."""
    vals = rng.normal(size=(n, 2)) * 2
    prob = rng.uniform(0.1, 0.9, n)
    return vals, np.stack([prob, 1 - prob], axis=1)


def _epoch_moments(rng):
    """X_n = alpha_{n-1} X_{n-1} + xi_{n-1}, X_{n+1} = alpha_n X_n + xi_n with X_{n-1} of any
    two-point law and xi's independent, of zero mean: E X_n^2, E s_n^2 and E s_n s_{n-1}
    (s_n = X_{n+1} - X_n) enumerated over the 8 joint outcomes."""
    (xv, xp), out = _two_point_law(rng, N), {k: [] for k in (
        "P_n", "P_nm1", "alpha_nm1", "alpha_n", "q_nm1", "q_n", "E_sq", "E_inner")}
    for i in range(N):
        a0, a1 = rng.uniform(-1, 1.5, 2)
        q0, q1 = rng.uniform(0, 2, 2)
        moments = np.zeros(3)
        for x, px in zip(xv[i], xp[i]):
            for e0 in (-1, 1):
                for e1 in (-1, 1):
                    xn = a0 * x + e0 * np.sqrt(q0)
                    xn1 = a1 * xn + e1 * np.sqrt(q1)
                    w = px / 4
                    moments += w * np.array([xn ** 2, (xn1 - xn) ** 2, (xn1 - xn) * (xn - x)])
        vals = dict(P_n=moments[0], P_nm1=xp[i] @ xv[i] ** 2, alpha_nm1=a0, alpha_n=a1,
                    q_nm1=q0, q_n=q1, E_sq=moments[1], E_inner=moments[2])
        for k in out:
            out[k].append(vals[k])
    return {k: np.array(v) for k, v in out.items()}


def _quadratic_step(rng):
    """E(a y - eta xi)^2 over a two-point y and a symmetric two-point xi (independent)."""
    (yv, yp) = _two_point_law(rng, N)
    h, lr, c = rng.uniform(0.1, 2, N), rng.uniform(0.01, 1.0, N), rng.uniform(0, 2, N)
    a = 1 - lr * h
    nxt = sum(yp[:, j] * 0.5 * ((a * yv[:, j] - lr * s * np.sqrt(c)) ** 2)
              for j in range(2) for s in (-1, 1))
    return {"P(t)": (yp * yv ** 2).sum(1), "P(t + 1)": nxt, "h": h, "lr": lr, "c": c,
            "t": np.zeros(N)}


def _two_epochs(rng):
    """2K steps of the per-coordinate recursion m <- (1 - eta h)^2 m + eta^2 c, written out."""
    g = _guard_scalars(rng)
    g["K"] = np.minimum(g["K"], 40)
    p_n = rng.uniform(0, 5, N)
    m = p_n.copy()
    for step in range(int(2 * g["K"].max())):
        live = step < 2 * g["K"]
        m = np.where(live, (1 - g["eta"] * g["h"]) ** 2 * m + g["eta"] ** 2 * g["c"], m)
    return {"P_n": p_n, "P_drop": m, **{k: g[k] for k in ("K", "c", "eta", "h")}}


def _wait_halves(rng):
    """One coordinate y_{k+1} = q y_k - eta xi_k (E xi^2 = c, q = 1 - eta h) from E y_t^2 = P_0:
    the cross moments of y_t, y_{t+A}, y_{t+A+B} iterated step by step (E[y_j y_{k+1}] =
    q E[y_j y_k] for j <= k, E y_{k+1}^2 = q^2 E y_k^2 + eta^2 c)."""
    g = _guard_scalars(rng)
    q = 1 - g["eta"] * g["h"]
    A, B = rng.integers(1, 40, N), rng.integers(1, 40, N)
    p0 = rng.uniform(0, 5, N)
    m_0a, m_aa = p0.copy(), p0.copy()
    for step in range(int(A.max())):
        live = step < A
        m_0a = np.where(live, q * m_0a, m_0a)
        m_aa = np.where(live, q ** 2 * m_aa + g["eta"] ** 2 * g["c"], m_aa)
    m_0ab, m_ab = m_0a.copy(), m_aa.copy()
    for step in range(int(B.max())):
        live = step < B
        m_0ab, m_ab = np.where(live, q * m_0ab, m_0ab), np.where(live, q * m_ab, m_ab)
    return {"P_0": p0, "M_0A": m_0a, "M_AA": m_aa, "M_0AB": m_0ab, "M_AB": m_ab,
            "Q_A": q ** A, "Q_B": q ** B, **{k: g[k] for k in ("c", "eta", "h")}}


def _geometric_definition(rng):
    """G(n) = sum_{j=1}^n rho^-j, summed term by term."""
    rho, n = _unit(rng, N, 0.05, 0.95), rng.integers(0, 20, N)
    g = np.array([sum(r ** -j for j in range(1, k + 1)) for r, k in zip(rho, n)])
    return {"rho": rho, "n": n.astype(float), "G(n)": g, "G(n + 1)": g + rho ** -(n + 1.0),
            "G(0)": np.zeros(N)}


MODEL_INSTANCES = {
    ("sgd_one_step", "expansion"): _sgd_expansion,
    ("sgd_one_step_sharp", "expansion"): _sgd_expansion,
    ("sgd_one_step", "strongly_convex"): _interpolation,
    ("sgd_one_step_finite_sum", "expansion"): _finite_sum_pieces,
    ("sgd_one_step_finite_sum_equal", "expansion"): _finite_sum_pieces,
    ("sgd_one_step_finite_sum_origin", "expansion"): lambda r: _finite_sum_pieces(r, True),
    ("sgd_one_step_finite_sum", "mean_zero"): _finite_sum_pieces,
    ("sgd_one_step_finite_sum_equal", "mean_zero"): _finite_sum_pieces,
    ("sgd_one_step_finite_sum_origin", "mean_zero"): lambda r: _finite_sum_pieces(r, True),
    ("sgd_one_step_finite_sum_origin", "p_zero"): lambda r: _finite_sum_pieces(r, True),
    ("sgd_one_step_finite_sum_origin", "u_zero"): lambda r: _finite_sum_pieces(r, True),
    ("sgd_one_step_finite_sum_origin", "X_zero"): lambda r: _finite_sum_pieces(r, True),
    ("sgd_quadratic_exact", "recursion"): _quadratic_step,
    ("epoch_second_moment", "model"): _epoch_moments,
    ("displacement_sq", "model"): _epoch_moments,
    ("displacement_inner", "model"): _epoch_moments,
    ("guard_drop_error", "two_epochs"): _two_epochs,
    ("wait_drop_error", "wait_epochs"): _wait_epochs,
    ("wait_confirmation", "mid_moment"): _wait_halves,
    ("wait_confirmation", "second_half"): _wait_halves,
    ("wait_confirmation", "across"): _wait_halves,
    ("wait_confirmation", "first_half"): _wait_halves,
    ("geometric_sum", "G_empty"): _geometric_definition,
    ("geometric_sum", "G_next"): _geometric_definition,
    ("geometric_count", "G_empty"): _geometric_definition,
    ("geometric_count", "G_next"): _geometric_definition,
    **PAPER_MODEL_INSTANCES,            # the paper's proofs (tests/paper_instances.py)
}
# facts that are an assumption set of docs/theory.md §1 itself, or give a name to a quantity:
# nothing to compute them from
NAMING = {
    ("sgd_one_step", "bounded_variance"): "BV itself: sigma^2 bounds the noise variance",
    ("sgd_one_step_sharp", "bounded_variance"): "BV itself",
    ("stagewise_invariant", "R_nonneg"): "a second moment is >= 0",
    ("stationary_angle_lower", "weights_positive"): "the statement's case: some noise",
    ("stationary_angle_upper", "weights_positive"): "the statement's case: some noise",
    ("sgd_constant_step", "initial"): "names R(0) = ||y_0||^2",
    ("sgd_quadratic_exact", "initial"): "names P(0) = y_0^2",
    ("sgd_schedule", "initial"): "names R(0) = ||y_0||^2",
    ("sgd_schedule", "definition_start"): "defines B(0)",
    ("sgd_schedule", "definition_step"): "defines B(t + 1) (the bound's recursion)",
    ("sgd_adaptive_schedule", "initial"): "names E Z_0 = ||y_0||^2 (P_0 = 1, an empty sum)",
    ("sgd_adaptive_restart", "initial"): "names E M_0 = 0 (no increment yet)",
    **PAPER_NAMING,
}
MODEL_FACTS = {(p.name, f.name): f for p in THEOREMS for f in p.facts
               if f.kind_of_use in ("model", "definition")}


INSTANCES = {
    ("sgd_one_step", "cocoercive"): _cocoercive,
    ("sgd_one_step_finite_sum", "interpolation"): _interpolation_finite_sum,
    ("sgd_one_step_finite_sum_equal", "p_equal"): _equal_curvature,
    ("sgd_one_step_finite_sum_equal", "U_equal"): _equal_curvature,
    ("sgd_one_step_finite_sum_equal", "X_equal"): _equal_curvature,
    ("sgd_one_step_sharp", "interpolation"): _interpolation,
    ("sgd_one_step_sharp", "gradient_lower"): _interpolation,
    ("sgd_adaptive_schedule", "supermartingale"): _supermartingale,
    ("sgd_adaptive_restart", "increment"): _restart,
    ("geometric_count", "inverse_power"): _inverse_power,
    ("stagewise_invariant", "exp_0"): _stagewise,
    ("stagewise_invariant", "exp_k"): _stagewise,
    ("stagewise_invariant", "first_stage"): _stagewise,
    ("stagewise_invariant", "stage_length"): _stagewise,
    ("stagewise_invariant", "rate_k"): _stagewise,
    ("stagewise_time", "ceil_sum"): _stagewise,
    ("guard_drop_error", "guard"): _guard,
    ("guard_drop_error", "contraction"): _guard_scalars,
    ("guard_stage_ratio", "Fbar"): _fbar,
    ("guard_stage_ratio", "alpha_le_1"): _guard_scalars,
    ("guard_time", "lengths"): _guard_time,
    ("autodrop_guard_rate", "floor"): _guard_scalars,
    ("autodrop_guard_rate", "step"): _guard_scalars,
    ("wait_drop_error", "guard"): _guard,
    ("wait_drop_error", "A_le_1"): _wait_factor,
    ("tail_average_error", "jensen"): lambda r: _waited_runs(r)[1],
    ("tail_average_error", "each"): lambda r: _waited_runs(r)[1],
    ("stage_growth_bound", "recursion"): lambda r: _waited_runs(r)[0],
    ("wait_time", "lengths"): lambda r: _waited_runs(r)[0],
    ("autodrop_wait_rate", "floor"): _guard_scalars,
    ("autodrop_wait_rate", "step"): _guard_scalars,
    **PAPER_LEMMA_INSTANCES,
}


# ------------------------------------------------------------------ the check
def evaluate(expr: sp.Expr, values: dict):
    """(value, scale) of ``expr`` at every instance: its atoms (symbols and applied functions,
    by their printed names) replaced by the instance's numbers; scale = the sum of the absolute
    values of its additive terms (for a relative tolerance)."""
    atoms = sorted(expr.free_symbols | expr.atoms(AppliedUndef), key=str)
    missing = [str(a) for a in atoms if str(a) not in values]
    assert not missing, f"no values for {missing}"
    dummies = [sp.Dummy() for _ in atoms]
    plain = expr.xreplace(dict(zip(atoms, dummies)))
    args = [np.asarray(values[str(a)], dtype=float) for a in atoms]
    f = sp.lambdify(dummies, plain, "numpy")
    terms = sp.Add.make_args(sp.expand(plain))
    scale = sum(np.abs(sp.lambdify(dummies, t, "numpy")(*args)) for t in terms)
    with np.errstate(all="ignore"):
        return np.broadcast_to(f(*args), np.shape(scale)), np.asarray(scale, dtype=float)


def violations(fact, values) -> int:
    value, scale = evaluate(fact.expr, values)
    bad = ~np.isfinite(value) | (value < -1e-9 * np.maximum(scale, 1.0))
    if fact.kind == "gt":
        bad |= value <= 0
    if fact.kind == "eq":
        bad |= np.abs(value) > 1e-9 * np.maximum(scale, 1.0)
    return int(bad.sum())


def test_every_stated_lemma_has_instances():
    assert set(INSTANCES) == set(LEMMAS), (set(LEMMAS) ^ set(INSTANCES))


def _rng(key):
    return np.random.default_rng(zlib.crc32("/".join(key).encode()))


@pytest.mark.parametrize("key", sorted(INSTANCES), ids="-".join)
def test_stated_lemma_holds_on_instances(key):
    values = INSTANCES[key](_rng(key))
    count = len(next(iter(values.values())))
    assert count >= 50, count
    assert violations(LEMMAS[key], values) == 0


def test_every_model_fact_and_definition_is_checked_or_names_a_quantity():
    assert set(MODEL_INSTANCES) | set(NAMING) == set(MODEL_FACTS)
    assert not set(MODEL_INSTANCES) & set(NAMING)


@pytest.mark.parametrize("key", sorted(MODEL_INSTANCES), ids="-".join)
def test_model_fact_holds_on_instances_computed_from_the_model(key):
    """What a model fact or definition says of the model's objects, against those objects
    computed here: expectations over finite distributions (exact), two-point inequalities of
    random strongly convex functions, recursions written out step by step, sums term by term."""
    values = MODEL_INSTANCES[key](_rng(key))
    assert len(next(iter(values.values()))) >= 50
    assert violations(MODEL_FACTS[key], values) == 0


def test_falsified_model_facts_fail_the_same_check():
    """A model fact with its noise term dropped, a coefficient doubled, or two epochs read as
    one, is caught on the same instances."""
    for key, make in _FALSE_MODEL.items():
        f = MODEL_FACTS[key]
        false = f.__class__(f.name, make(f), f.kind, f.text)
        assert violations(false, MODEL_INSTANCES[key](_rng(key))) > 0, key


_FALSE_MODEL = {
    # E||y - eta g||^2 without the noise's eta^2 V
    ("sgd_one_step", "expansion"): lambda f: f.expr + _sym(f, "lr") ** 2 * _sym(f, "V"),
    # the finite-sum step with the cross term 2 X dropped
    ("sgd_one_step_finite_sum", "expansion"): lambda f: f.expr + 2 * _sym(f, "lr") ** 2 * _sym(
        f, "X"),
    # E s_n s_{n-1} with the noise term counted twice
    ("displacement_inner", "model"): lambda f: f.expr - _sym(f, "q_nm1") * (_sym(f, "alpha_n")
                                                                            - 1),
    # two epochs of 2c read as one: alpha^2 instead of alpha^4
    ("guard_drop_error", "two_epochs"): lambda f: f.expr.replace(
        lambda e: e.is_Pow and e.exp == 4 * _sym(f, "K"),
        lambda e: e.base ** (2 * _sym(f, "K"))),
    # the exact one-step recursion with the noise's lr^2 as lr
    ("sgd_quadratic_exact", "recursion"): lambda f: f.expr + _sym(f, "c") * _sym(f, "lr") ** 2
    - _sym(f, "c") * _sym(f, "lr"),
}


def test_falsified_lemmas_fail_the_same_check():
    """A lemma made stronger than true (a constant changed, see _FALSE_VARIANTS) is caught on
    the same instances."""
    for key, make in _FALSE_VARIANTS.items():
        assert violations(make(LEMMAS[key]), INSTANCES[key](_rng(key))) > 0, key


def _stronger(fact, extra):
    """The fact ``expr >= 0`` made stronger: ``expr - extra >= 0``."""
    return fact.__class__(fact.name, fact.expr - extra, fact.kind, fact.text)


def _sym(fact, name):
    return next(s for s in fact.expr.free_symbols | fact.expr.atoms(AppliedUndef)
                if str(s) == name)


_FALSE_VARIANTS = {
    # co-coercivity with the constant 1/L doubled: <g, x - x*> >= 2 ||g||^2 / L
    ("sgd_one_step", "cocoercive"): lambda f: _stronger(f, _sym(f, "G") / _sym(f, "L")),
    # ||grad f||^2 >= 2 mu^2 ||x - x*||^2
    ("sgd_one_step_sharp", "gradient_lower"): lambda f: _stronger(
        f, _sym(f, "mu") ** 2 * _sym(f, "r")),
    # a stage contracts the error to rho/4, not rho/2 (the stage length ln(2/rho) is too short)
    ("stagewise_invariant", "stage_length"): lambda f: _stronger(f, _sym(f, "rho") / 4),
    # the guard certifies P_n <= F v / 2
    ("guard_drop_error", "guard"): lambda f: _stronger(f, (f.expr + _sym(f, "P_n")) / 2),
    # rho^-(n+1) >= 1 + (1 - rho) (n + 2): too strong at n = 0
    ("geometric_count", "inverse_power"): lambda f: _stronger(
        f, (1 - _sym(f, "rho")) * (_sym(f, "n") + 2)),
}
