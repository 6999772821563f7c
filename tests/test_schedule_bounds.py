"""Bounds over a rate sequence (docs/theory.md §2d): each against an independent truth (sympy's
own evaluation of the displayed statement, the exact quadratic recursion, exact finite-sum
second moments, Monte Carlo SGD) and each with a corrupted twin that the same check rejects."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from autodrop_theory import AssumptionError, assumptions, bounds
from autodrop_theory import schedule_bounds as SB
from autodrop_theory import symbols as S
from autodrop_theory.strategies import DrawnRandom
from checks import assert_respects, respects
from proofs import THEOREMS
from test_bounds import sgd_sq_dist, softplus_problem

PROOFS = {p.name: p for p in THEOREMS}
NAMES = list(SB.SCHEDULE_BOUNDS)


def _instance(rng, T, edge=False):  # noqa: N803
    mu = rng.uniform(0.05, 1.0)
    L = mu * rng.uniform(1.0, 10.0)  # noqa: N806
    cap = 2.0 / (mu + L)
    lrs = rng.uniform(0.05, 1.0, T) * cap
    if edge:
        lrs[rng.integers(0, T)] = cap       # a step at the edge eta (mu + L) = 2
    return mu, L, lrs


# ----------------------------------------------------------------- registry contract
@pytest.mark.parametrize("name", NAMES)
def test_contract(name):
    b = SB.SCHEDULE_BOUNDS[name]
    assert isinstance(b, bounds.Bound) and b.reference and b.conditions
    assert all(isinstance(c, sp.core.relational.Relational) for c in b.conditions)
    assert all(a in assumptions.ASSUMPTIONS for a in b.assumptions) and b.assumptions
    assert S.lr_t in b.symbols and "lrs" in b.keywords
    assert not b.expr.atoms(sp.Float) and b.latex()
    if b.proof is not None:
        assert PROOFS[b.proof].bound == name


@pytest.mark.parametrize("name", ["SGD_SCHEDULE", "CONVEX_LAST_ITERATE"])
def test_the_displayed_statement_equals_the_evaluator(name):
    """sympy's exact evaluation of ``expr`` (Product/Sum, doit) against the vectorised one."""
    b = SB.SCHEDULE_BOUNDS[name]
    rng = np.random.default_rng(3)
    for T in (1, 2, 4):  # noqa: N806
        mu, L, lrs = _instance(rng, T)  # noqa: N806
        if name == "SGD_SCHEDULE":
            kw = dict(mu=mu, L=L, sigma_sq=rng.uniform(0, 2), r0_sq=rng.uniform(0, 5))
            first = 0
        else:
            kw = dict(D_sq=rng.uniform(0, 5), G_sq=rng.uniform(0, 2))
            first = 1
        subs = {getattr(S, k): sp.nsimplify(v) for k, v in kw.items() if k in ("mu", "L",
                                                                              "sigma_sq",
                                                                              "r0_sq", "D_sq",
                                                                              "G_sq")}
        exact = b.expr.subs({**subs, S.T: T}).doit().subs(
            {SB.RATES[first + j]: sp.nsimplify(x) for j, x in enumerate(lrs)})
        assert float(b(lrs=lrs, **kw)) == pytest.approx(float(exact), rel=1e-10)
        assert float(b.jax()(jnp.asarray(lrs), **kw)) == pytest.approx(float(exact), rel=1e-10)


def test_outside_the_conditions_every_schedule_bound_raises():
    with pytest.raises(AssumptionError, match=r"lr_t\*\(L \+ mu\) <= 2"):
        SB.SGD_SCHEDULE(mu=0.5, L=1.0, sigma_sq=0.1, r0_sq=1.0, lrs=[1.0, 1.34])
    with pytest.raises(AssumptionError, match="lr_t > 0"):
        SB.CONVEX_LAST_ITERATE(D_sq=1.0, G_sq=1.0, lrs=[0.1, 0.0])
    with pytest.raises(AssumptionError, match=r"lr_t\*mu < 1"):
        SB.SGD_ADAPTIVE_SCHEDULE(mu=1.0, L=1.0, sigma_sq=0.1, r0_sq=1.0, lrs=[1.0])
    with pytest.raises(AssumptionError, match=r"h\*lr_t < 2"):
        SB.SGD_QUADRATIC_SCHEDULE(hessian_eigs=[1.0, 3.0], noise_var=[0.1, 0.1], y0=[1.0, 1.0],
                                 lrs=[0.5, 0.7])
    with pytest.raises(AssumptionError, match="lrs: need a non-empty"):
        SB.SGD_SCHEDULE(mu=0.5, L=1.0, sigma_sq=0.1, r0_sq=1.0, lrs=[])
    with pytest.raises(AssumptionError, match="mu: need a real number"):
        SB.SGD_SCHEDULE(mu=True, L=1.0, sigma_sq=0.1, r0_sq=1.0, lrs=[0.5])
    with pytest.raises(AssumptionError, match="missing"):
        SB.SGD_SCHEDULE(mu=0.5, sigma_sq=0.1, r0_sq=1.0, lrs=[0.5])


# ----------------------------------------------------------------- a sequence fixed in advance
def _quadratic_truth(rng, mu, L, lrs, sigma_sq):  # noqa: N803
    d = int(rng.integers(1, 6))
    h = np.concatenate([[mu, L], rng.uniform(mu, L, d)])
    w = rng.uniform(0.0, 1.0, h.size) + 1e-3
    c = w / w.sum() * sigma_sq                  # noise split over the coordinates
    y0 = rng.standard_normal(h.size)
    truth = SB.SGD_QUADRATIC_SCHEDULE(hessian_eigs=h, noise_var=c, y0=y0, lrs=lrs)
    return truth, float(y0 @ y0)


@given(data=st.data(), T=st.integers(1, 40), edge=st.booleans())  # noqa: N803
def test_schedule_bound_holds_on_exact_quadratic_truths(data, T, edge):  # noqa: N803
    rng = DrawnRandom(data)
    mu, L, lrs = _instance(rng, T, edge)  # noqa: N806
    s2 = rng.uniform(0, 2)
    truth, r0 = _quadratic_truth(rng, mu, L, lrs, s2)
    bound = SB.SGD_SCHEDULE(mu=mu, L=L, sigma_sq=s2, r0_sq=r0, lrs=lrs)
    assert truth <= bound * (1 + 1e-10)


def test_schedule_bound_is_attained_by_an_isotropic_quadratic_and_a_corrupt_one_is_caught():
    """h_i = mu = L: the truth equals the bound; with its noise term halved, the truth is
    above it."""
    rng = np.random.default_rng(1)
    lrs = rng.uniform(0.1, 1.0, 30)
    d, s2 = 4, 0.8
    truth = SB.SGD_QUADRATIC_SCHEDULE(hessian_eigs=np.full(d, 0.7), noise_var=np.full(d, s2 / d),
                                     y0=np.ones(d), lrs=lrs)
    kw = dict(mu=0.7, L=0.7, r0_sq=float(d), lrs=lrs)
    assert SB.SGD_SCHEDULE(sigma_sq=s2, **kw) == pytest.approx(truth, rel=1e-12)
    assert not respects("upper", SB.SGD_SCHEDULE(sigma_sq=s2 / 2, **kw), truth)


@given(data=st.data())
def test_for_rates_below_one_over_L_it_implies_the_familiar_form(data):
    """(1 - eta mu)^2 <= 1 - eta mu: SGD_SCHEDULE <= the bound with factors 1 - eta_t mu."""
    rng = DrawnRandom(data)
    mu = rng.uniform(0.05, 1.0)
    L = mu * rng.uniform(1.0, 10.0)  # noqa: N806
    lrs = rng.uniform(0.01, 1.0, int(rng.integers(1, 50))) / L
    s2, r0 = rng.uniform(0, 2), rng.uniform(0, 5)
    f = 1 - lrs * mu
    suffix = np.concatenate([np.cumprod(f[::-1])[::-1], [1.0]])
    familiar = suffix[0] * r0 + s2 * np.sum(lrs ** 2 * suffix[1:])
    assert SB.SGD_SCHEDULE(mu=mu, L=L, sigma_sq=s2, r0_sq=r0, lrs=lrs) <= familiar * (1 + 1e-12)


def test_schedule_bound_holds_for_sgd_on_a_non_quadratic_function():
    """A decaying sequence on the softplus function: the Monte Carlo mean of ||x_T - x*||^2
    (2000 seeds) is below SGD_SCHEDULE at every prefix, within 4 SE."""
    grad, x_star, x0, mu, L = softplus_problem()  # noqa: N806
    rates = (2.0 / (mu + L)) / (1.0 + 0.1 * np.arange(60))
    sq = sgd_sq_dist(grad, x_star, x0, rates, 0.5)
    r0 = float(jnp.sum((x0 - x_star) ** 2))
    bound = [SB.SGD_SCHEDULE(mu=mu, L=L, sigma_sq=0.5, r0_sq=r0, lrs=rates[:t])
             for t in range(1, 61)]
    assert_respects("upper", np.array(bound), sq.mean(axis=0),
                    se=sq.std(axis=0, ddof=1) / math.sqrt(sq.shape[0]))


# ----------------------------------------------------------------- predictable sequences
def _adaptive_run(h, sigma_scale=1.0, seeds=4000, T=40):  # noqa: N803
    """SGD on the quadratic with Hessian eigenvalues ``h`` under an adversarial predictable
    rate: 0.2/L while ||y_t||^2 is above the stationary level, 0.06/L below it.  Returns the
    per-seed scaled statistic of SGD_ADAPTIVE_SCHEDULE and the rates used."""
    rng = np.random.default_rng(0)
    h = np.asarray(h)
    mu, L, d, s2 = h.min(), h.max(), h.size, 0.6  # noqa: N806
    hi, lo = 0.2 / L, 0.06 / L
    y = np.tile(np.linspace(1.5, -0.5, d), (seeds, 1))
    r0, level = float(y[0] @ y[0]), hi * s2 / (2 * mu)
    lrs = np.empty((seeds, T))
    for t in range(T):     # a 40-step reference simulation, vectorised over seeds
        lrs[:, t] = lr = np.where(np.sum(y * y, axis=1) > level, hi, lo)
        xi = rng.standard_normal((seeds, d)) * np.sqrt(s2 / d) * sigma_scale
        y = y - lr[:, None] * (h * y + xi)
    end = np.sum(y * y, axis=1)
    stats = SB.adaptive_statistic(mu=mu, L=L, sigma_sq=s2, lrs=lrs, sq_dist_start=r0,
                                  sq_dist_end=end, lr_ref=hi)
    return stats, lrs


@pytest.mark.parametrize("h", [[0.4, 0.7, 1.0], [0.5, 0.5, 0.5]])
def test_adaptive_statement_holds_for_an_adversarial_predictable_rate(h):
    """E S <= 0 within 4 SE although the rate reacts to the trajectory (both rates are used
    often); on the isotropic quadratic (where the statement is an equality) the same check
    fails once the simulator's noise variance is doubled."""
    stats, lrs = _adaptive_run(h)
    assert 0.2 < np.mean(lrs == lrs.max()) < 0.95
    se = stats.std(ddof=1) / math.sqrt(stats.size)
    assert_respects("upper", 0.0, stats.mean(), se, what="E S <= 0")
    if len(set(h)) == 1:
        bad, _ = _adaptive_run(h, sigma_scale=math.sqrt(2.0))
        assert not respects("upper", 0.0, bad.mean(), bad.std(ddof=1) / math.sqrt(bad.size))


def test_adaptive_statistic_refuses_rates_outside_the_conditions():
    with pytest.raises(AssumptionError, match="lr_t"):
        SB.adaptive_statistic(mu=0.5, L=1.0, sigma_sq=1.0, lrs=[1.5], sq_dist_start=1.0,
                              sq_dist_end=1.0, lr_ref=1.0)
    with pytest.raises(AssumptionError, match="lr_ref"):
        SB.adaptive_statistic(mu=0.5, L=1.0, sigma_sq=1.0, lrs=[0.5], sq_dist_start=1.0,
                              sq_dist_end=1.0, lr_ref=2.0)


# ----------------------------------------------------------------- finite sums
def finite_sum_quadratics(rng, n=3, d=2):
    """f = mean_i 1/2 (x - c_i)^T A_i (x - c_i): (A_i, grad f_i(x*), constants, y_0)."""
    A = []  # noqa: N806
    for _ in range(n):
        q, _ = np.linalg.qr(rng.standard_normal((d, d)))
        A.append(q @ np.diag(rng.uniform(0.3, 1.0, d)) @ q.T)
    c = rng.standard_normal((n, d))
    x_star = np.linalg.solve(sum(A) / n, sum(a @ ci for a, ci in zip(A, c)) / n)
    g_star = [a @ (x_star - ci) for a, ci in zip(A, c)]       # mean zero
    consts = dict(mu=min(np.linalg.eigvalsh(a).min() for a in A),
                  L=max(np.linalg.eigvalsh(a).max() for a in A),
                  sigma_star_sq=float(np.mean([g @ g for g in g_star])))
    return A, g_star, consts, rng.standard_normal(d)


def finite_sum_moment(A, g_star, y0, lrs):  # noqa: N803
    """Exact E||y_T||^2 of SGD sampling one f_i uniformly with replacement per step: y <-
    (I - eta A_i) y - eta grad f_i(x*); the mean and the second-moment matrix are linear."""
    eye, n = np.eye(y0.size), len(A)
    m, M = y0.copy(), np.outer(y0, y0)  # noqa: N806
    for lr in lrs:
        terms = []
        for a, g in zip(A, g_star):
            f = eye - lr * a
            terms.append(f @ M @ f.T - lr * (np.outer(f @ m, g) + np.outer(g, f @ m))
                         + lr ** 2 * np.outer(g, g))
        m, M = sum(eye - lr * a for a in A) @ m / n, sum(terms) / n  # noqa: N806
    return float(np.trace(M))


@given(data=st.data(), T=st.integers(1, 12))  # noqa: N803
def test_finite_sum_schedule_bound_holds_on_exact_finite_sum_moments(data, T):  # noqa: N803
    rng = DrawnRandom(data)
    A, g_star, consts, y0 = finite_sum_quadratics(rng)  # noqa: N806
    lrs = rng.uniform(0.05, 2.5, T) / consts["L"]
    truth = finite_sum_moment(A, g_star, y0, lrs)
    bound = SB.SGD_SCHEDULE_FINITE_SUM(lrs=lrs, r0_sq=float(y0 @ y0), **consts)
    assert truth <= bound * (1 + 1e-9)


def test_finite_sum_schedule_bound_one_step_jax_and_its_iteration_premises():
    """One step is SGD_ONE_STEP_FINITE_SUM; the JAX evaluator agrees; the one-step map is
    nondecreasing and concave in r (what lets it be iterated in expectation)."""
    kw = dict(mu=0.3, L=1.2, sigma_star_sq=0.4)
    one = bounds.SGD_ONE_STEP_FINITE_SUM(lr=0.9, r0_sq=2.0, **kw)
    assert SB.SGD_SCHEDULE_FINITE_SUM(lrs=[0.9], r0_sq=2.0, **kw) == pytest.approx(one, rel=1e-14)
    lrs = np.array([0.9, 0.4, 1.5, 0.2])
    assert float(SB.SGD_SCHEDULE_FINITE_SUM.jax()(jnp.asarray(lrs), r0_sq=2.0, **kw)) == \
        pytest.approx(SB.SGD_SCHEDULE_FINITE_SUM(lrs=lrs, r0_sq=2.0, **kw), rel=1e-12)
    r = np.linspace(0.0, 50.0, 2001)
    for lr in (0.1, 0.9, 1.6, 3.0):
        phi = bounds.SGD_ONE_STEP_FINITE_SUM(lr=lr, r0_sq=r, **kw)
        assert np.all(np.diff(phi) >= -1e-12) and np.all(np.diff(phi, 2) <= 1e-9)


# ----------------------------------------------------------------- model Q, any sequence
def test_quadratic_schedule_equals_the_per_step_recursion():
    """Against a direct loop over steps and coordinates (independent of angular)."""
    rng = np.random.default_rng(2)
    h, c, y0 = rng.uniform(0.1, 1.0, 4), rng.uniform(0, 0.5, 4), rng.standard_normal(4)
    lrs = rng.uniform(0.1, 1.9, 25)
    p = y0 ** 2
    for lr in lrs:
        p = (1 - lr * h) ** 2 * p + lr ** 2 * c
    assert SB.SGD_QUADRATIC_SCHEDULE(hessian_eigs=h, noise_var=c, y0=y0, lrs=lrs) == \
        pytest.approx(p.sum(), rel=1e-12)
    with pytest.raises(AssumptionError, match="numpy"):
        SB.SGD_QUADRATIC_SCHEDULE.jax()


# ----------------------------------------------------------------- convex, last iterate
def _last_iterate_mc(lrs, a=1.0, s=0.7, D=2.0, seeds=20000, d=3):  # noqa: N803
    """E f(x_T) - f* for f(x) = a ||x||_1 with subgradient noise N(0, s^2 I / d):
    G^2 = a^2 d + s^2, x_1 at distance D from x* = 0; x_T after T - 1 steps."""
    rng = np.random.default_rng(11)
    x = np.tile(np.full(d, D / math.sqrt(d)), (seeds, 1))
    for lr in lrs[:-1]:
        x = x - lr * (a * np.sign(x) + rng.standard_normal(x.shape) * s / math.sqrt(d))
    f = a * np.abs(x).sum(axis=1)
    return f.mean(), f.std(ddof=1) / math.sqrt(seeds), dict(D_sq=D ** 2, G_sq=a * a * d + s * s)


@pytest.mark.parametrize("shape", ["constant", "linear_decay", "cosine", "step"])
def test_convex_last_iterate_bound_holds_for_sgd_on_a_nonsmooth_convex_function(shape):
    T = 60  # noqa: N806
    u = np.arange(T) / T
    lrs = 0.2 * {"constant": np.ones(T), "linear_decay": 1 - u + 1 / T,
                 "cosine": 0.5 * (1 + np.cos(math.pi * u)) + 1e-3,
                 "step": np.where(u < 0.5, 1.0, 0.1)}[shape]
    mean, se, kw = _last_iterate_mc(lrs)
    assert_respects("upper", SB.CONVEX_LAST_ITERATE(lrs=lrs, **kw), mean, se)


def test_convex_last_iterate_bound_is_tight_at_one_step_and_a_corrupt_one_is_caught():
    """T = 1, eta = D/G, f = G |x| without noise: f(x_1) - f* = G D = the bound; with its D^2
    term halved the bound is below the truth."""
    G, D = 1.5, 2.0  # noqa: N806
    assert SB.CONVEX_LAST_ITERATE(lrs=[D / G], D_sq=D * D, G_sq=G * G) == pytest.approx(G * D)
    corrupt = SB.CONVEX_LAST_ITERATE.numpy()(np.array([D / G]), D_sq=D * D / 2, G_sq=G * G)
    assert not respects("upper", corrupt, G * D)
