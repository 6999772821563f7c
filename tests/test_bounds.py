"""The bounds of autodrop_theory.bounds: a contract over the registry, and property tests
against exact truths (docs/theory.md §2c recursions, exact one-step averages over finite sums) and
Monte Carlo means of real SGD on a non-quadratic strongly convex function."""

import dataclasses
import functools
import math
import zlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from autodrop_theory import AssumptionError, angular, assumptions, bounds
from autodrop_theory import symbols as S
from autodrop_theory.stagewise import stagewise_schedule
from autodrop_theory.strategies import DrawnRandom
from checks import assert_respects, respects

B = bounds


# ----------------------------------------------------------------- samplers inside conditions
def sample(name, rng):
    mu = rng.uniform(0.05, 1.0)
    L = mu * rng.uniform(1.0, 20.0)  # noqa: N806
    lr = rng.uniform(0.05, 1.0) / L
    common = dict(mu=mu, L=L, lr=lr)
    if name == "SGD_CONSTANT_STEP":
        return dict(common, sigma_sq=rng.uniform(0, 2), r0_sq=rng.uniform(0, 10),
                    t=rng.integers(0, 200))
    if name == "SGD_ONE_STEP_FINITE_SUM":
        return dict(common, lr=rng.uniform(0.05, 3.0) / L, sigma_star_sq=rng.uniform(0, 2),
                    r0_sq=rng.uniform(0, 10))
    if name in ("SGD_QUADRATIC_EXACT", "CRAMER_RAO"):
        d = int(rng.integers(1, 6))
        h = rng.uniform(0.1, 1.0, d)
        out = dict(hessian_eigs=h, noise_var=rng.uniform(0, 1, d), t=int(rng.integers(1, 50)))
        if name == "SGD_QUADRATIC_EXACT":
            out.update(y0=rng.standard_normal(d), lr=rng.uniform(0.05, 1.9))
        return out
    stage = dict(common, sigma_sq=rng.uniform(0.1, 2), r0_sq=rng.uniform(0.1, 10),
                 rho=rng.uniform(0.1, 0.9))
    if name == "STAGEWISE":
        t0 = float(sp.N(B.STAGEWISE_FIRST_STAGE.subs(
            {S.mu: mu, S.r0_sq: stage["r0_sq"], S.lr: lr, S.sigma_sq: stage["sigma_sq"]})))
        return dict(stage, T=t0 + rng.uniform(1, 1000))
    if name == "ITERATION_COMPLEXITY_STAGEWISE":
        return dict(stage, eps=rng.uniform(0.01, 1.0))
    if name == "ITERATION_COMPLEXITY_CONSTANT":
        floor = lr * stage["sigma_sq"] / mu
        return dict(common, sigma_sq=stage["sigma_sq"], r0_sq=stage["r0_sq"],
                    eps=floor * rng.uniform(1.01, 3.0))
    raise KeyError(name)


NAMES = list(B.BOUNDS)
SYMBOLS = {v.name for v in vars(S).values() if isinstance(v, sp.Symbol)}


# ----------------------------------------------------------------- registry contract
@pytest.mark.parametrize("name", NAMES)
def test_contract(name):
    b = B.BOUNDS[name]
    assert b.reference and b.conditions and b.kind in ("upper", "lower", "tight")
    assert all(isinstance(cond, sp.core.relational.Relational) for cond in b.conditions), \
        "a condition folded to a constant: it would never be checked"
    assert all(a in assumptions.ASSUMPTIONS for a in b.assumptions) and b.assumptions
    assert {s.name for s in b.symbols} <= SYMBOLS, "undeclared symbol"
    assert not b.expr.atoms(sp.Float), "float literal inside a sympy expression"
    assert isinstance(b.latex(), str) and b.latex()
    rng = np.random.default_rng(zlib.crc32(name.encode()))    # hash() differs per process
    for _ in range(5):
        kw = sample(name, rng)
        value = b(**kw)
        assert np.all(np.isfinite(value))
        # the lambdified numpy value equals sympy's own evaluation
        if not b.coordinates:
            exact = float(sp.N(b.expr.subs({sym: kw[sym.name] for sym in b.symbols}), 30))
            assert float(value) == pytest.approx(exact, rel=1e-10)
        else:
            d = len(kw["hessian_eigs"])
            total = 0.0
            for j in range(d):
                sub = {S.h: kw["hessian_eigs"][j], S.c: kw["noise_var"][j]}
                if "y0" in kw:
                    sub.update({S.y0: kw["y0"][j], S.lr: kw["lr"]})
                sub[S.t] = kw["t"]
                total += float(sp.N(b.term.subs(sub), 30))
            assert float(value) == pytest.approx(total, rel=1e-10)
        # the JAX evaluator agrees with numpy
        assert float(b.jax()(**kw)) == pytest.approx(float(value), rel=1e-9)


def _var_sample(name):
    """A sample with rate_variable swept over a long geometric range."""
    b = B.BOUNDS[name]
    kw = sample(name, np.random.default_rng(7))
    var = b.rate_variable.name
    if var == "eps":
        grid = np.geomspace(1e-6, 1e-4, 20)
    else:
        grid = np.geomspace(1e6, 1e8, 20)
    kw[var] = grid
    return kw, grid


@pytest.mark.parametrize("name", [n for n in NAMES if B.BOUNDS[n].rate_exponent is not None])
def test_declared_rate_exponent_matches_regression(name):
    kw, grid = _var_sample(name)
    values = B.BOUNDS[name](**kw)
    slope = np.polyfit(np.log(grid), np.log(values), 1)[0]
    assert slope == pytest.approx(B.BOUNDS[name].rate_exponent, abs=0.01)


@pytest.mark.parametrize("mu, L, rho", [(1.0, 1.0, 0.5), (0.1, 1.0, 0.3), (0.5, 2.0, 0.7)])
def test_stagewise_rate_is_the_rate_of_the_exact_truth(mu, L, rho):
    """The test above compares STAGEWISE's declared exponent with its own formula; this one with
    the truth: the exact E||y_T||^2 of SGD on Q with the package's stage-wise schedule
    (autodrop_theory.stagewise; per coordinate and stage m <- a^(2 T_k) (m - v) + v, written out
    here) decays with the declared exponent (log-log slope over the last 8 stage ends within
    0.05), and lies below the bound at every stage end after the first.  Coordinates at mu and
    at L (the worst and the best conditioned)."""
    from autodrop_theory.stagewise import stagewise_schedule
    h, c = np.array([mu, L]), np.array([0.5, 0.5])
    lr, r0 = 0.9 / L, 50.0
    rates, lengths = stagewise_schedule(mu, L, c.sum(), lr, rho, r0, 14)
    m, T, ends = np.full(2, r0 / 2), 0, []
    for eta, n in zip(rates, lengths):
        a2, v = (1 - eta * h) ** 2, eta * c / (h * (2 - eta * h))
        m = a2 ** n * (m - v) + v
        T += int(n)
        ends.append((T, m.sum()))
    ends = np.array(ends, dtype=float)
    late = ends[-8:]
    slope = np.polyfit(np.log(late[:, 0]), np.log(late[:, 1]), 1)[0]
    assert slope == pytest.approx(B.STAGEWISE.rate_exponent, abs=0.05)
    bound = B.STAGEWISE(mu=mu, L=L, sigma_sq=c.sum(), lr=lr, rho=rho, r0_sq=r0,
                        T=ends[1:, 0])
    assert np.all(ends[1:, 1] <= bound)


@pytest.mark.parametrize("name", ["SGD_CONSTANT_STEP", "SGD_QUADRATIC_EXACT"])
def test_bounds_without_a_rate_level_off_at_a_positive_floor(name):
    b = B.BOUNDS[name]
    kw = sample(name, np.random.default_rng(3))
    if name == "SGD_CONSTANT_STEP":
        kw["sigma_sq"] = 1.0
    else:
        kw["noise_var"] = kw["noise_var"] + 0.1
    kw["t"] = np.array([1e4, 1e5])
    a, c = b(**kw)
    assert c > 0 and a == pytest.approx(c, rel=1e-9)


@pytest.mark.parametrize("name, change, needle", [
    ("SGD_CONSTANT_STEP", dict(lr=1.5), "L*lr <= 1"),
    ("SGD_CONSTANT_STEP", dict(mu=2.0), "mu <= L"),
    ("SGD_CONSTANT_STEP", dict(sigma_sq=-1.0), "sigma_sq >= 0"),
    ("SGD_CONSTANT_STEP", dict(t=-1), "t >= 0"),
    ("SGD_ONE_STEP_FINITE_SUM", dict(lr=-0.1), "lr > 0"),
    ("SGD_ONE_STEP_FINITE_SUM", dict(sigma_star_sq=-1.0), "sigma_star_sq >= 0"),
    ("SGD_QUADRATIC_EXACT", dict(lr=2.5), "h*lr < 2"),
    ("SGD_QUADRATIC_EXACT", dict(hessian_eigs=[0.0, 1.0]), "h > 0"),
    ("STAGEWISE", dict(rho=1.0), "rho < 1"),
    ("STAGEWISE", dict(T=1.0, r0_sq=1e6), "T >"),
    ("STAGEWISE", dict(sigma_sq=0.0), "sigma_sq > 0"),
    ("ITERATION_COMPLEXITY_CONSTANT", dict(eps=1e-9), "eps >"),
    ("CRAMER_RAO", dict(t=0.5), "t >= 1"),
    ("CRAMER_RAO", dict(noise_var=[-1.0, 1.0]), "c >= 0"),
])
def test_outside_the_conditions_every_bound_raises(name, change, needle):
    base = dict(mu=0.1, L=1.0, lr=0.5, sigma_sq=1.0, sigma_star_sq=1.0, r0_sq=1.0, t=10, T=1e4,
                rho=0.5, eps=1.0, hessian_eigs=[0.5, 1.0], noise_var=[1.0, 1.0],
                y0=[1.0, 1.0])
    kw = {k: v for k, v in {**base, **change}.items() if k in B.BOUNDS[name].keywords}
    with pytest.raises(AssumptionError) as info:
        B.BOUNDS[name](**kw)
    assert needle in str(info.value) and name in str(info.value)


def test_missing_or_extra_keyword_and_mismatched_coordinates():
    with pytest.raises(AssumptionError, match="missing"):
        B.SGD_CONSTANT_STEP(mu=0.1, L=1.0)
    with pytest.raises(AssumptionError, match="unexpected"):
        B.CRAMER_RAO(hessian_eigs=[1.0], noise_var=[1.0], t=1, lr=0.1)
    with pytest.raises(AssumptionError, match="differ in length"):
        B.CRAMER_RAO(hessian_eigs=[1.0, 2.0], noise_var=[1.0], t=1)
    with pytest.raises(AssumptionError, match="t: need finite"):
        B.CRAMER_RAO(hessian_eigs=[1.0], noise_var=[1.0], t=np.inf)


# ----------------------------------------------------------------- exact truths under Q
def q_instance(rng, isotropic=False):
    d = int(rng.integers(1, 8))
    h = np.full(d, rng.uniform(0.05, 1.0)) if isotropic else rng.uniform(0.05, 1.0, d)
    c = rng.uniform(0.0, 1.0, d)
    y0 = rng.standard_normal(d) * rng.uniform(0.1, 5)
    return h, c, y0


def constant_step_worst(bound_fn, seeds, isotropic_share=True):
    """Smallest slack bound - exact over random Q instances at lr <= 1/L, relative."""
    worst = np.inf
    for seed in seeds:
        rng = np.random.default_rng(seed)
        h, c, y0 = q_instance(rng, isotropic=isotropic_share and seed % 2 == 0)
        lr = rng.uniform(0.01, 1.0) / h.max()
        t = np.arange(0, 60)
        exact = angular.expected_sq_dist(h, c, y0, np.full(t[-1], lr), 1)
        bound = bound_fn(mu=h.min(), L=h.max(), sigma_sq=c.sum(), lr=lr, r0_sq=y0 @ y0, t=t)
        worst = min(worst, float(np.min((bound - exact) / np.maximum(exact, 1e-300))))
    return worst


def test_constant_step_bound_holds_on_exact_quadratic_truths():
    assert constant_step_worst(B.SGD_CONSTANT_STEP, range(200)) >= -1e-12


def test_corrupted_constant_step_bound_is_caught():
    """Halving the noise floor: the same check rejects it (isotropic instances near the floor)."""
    bad = dataclasses.replace(
        B.SGD_CONSTANT_STEP,
        expr=(1 - S.lr * S.mu) ** S.t * S.r0_sq + S.lr * S.sigma_sq / (2 * S.mu))
    assert constant_step_worst(bad, range(200)) < -1e-3


@given(data=st.data(), stages=st.integers(2, 4))
def test_stagewise_bound_holds_at_every_stage_end_on_exact_quadratic_truths(data, stages):
    rng = DrawnRandom(data)
    h, c, y0 = q_instance(rng)
    assume(y0 @ y0 > 0)
    c = c + 0.05
    mu, L, s2 = h.min(), h.max(), c.sum()  # noqa: N806
    lr, rho = rng.uniform(0.2, 1.0) / L, rng.uniform(0.1, 0.9)
    rates, lengths = stagewise_schedule(mu, L, s2, lr, rho, y0 @ y0, stages)
    # exact E||y||^2 at the stage ends, one constant-rate closed form (§2c) per stage
    p, at_ends = y0 ** 2, []
    for rate, length in zip(rates, lengths):
        p = B.SGD_QUADRATIC_EXACT.stable(np, h=h, c=c, y0=np.sqrt(p), lr=rate, t=length)
        at_ends.append(p.sum())
    exact = np.array(at_ends[1:])
    ends = np.cumsum(lengths)[1:]
    bound = B.STAGEWISE(mu=mu, L=L, sigma_sq=s2, lr=lr, rho=rho, r0_sq=y0 @ y0, T=ends)
    assert_respects("upper", bound, exact, what="STAGEWISE")
    # the invariant behind it, stage by stage: r_k <= 2 eta_{k-1} sigma^2 / mu
    assert_respects("upper", 2 * rates[:-1] * s2 / mu, exact, what="stage invariant")
    # and the iteration complexity: the first stage end whose invariant certifies eps comes
    # within the declared number of steps (eps = the last end's certified level, so there is
    # always such an end: the assertion runs in every example)
    eps = float(2 * rates[-2] * s2 / mu)
    needed = B.ITERATION_COMPLEXITY.stagewise(mu=mu, L=L, sigma_sq=s2, lr=lr, rho=rho,
                                              r0_sq=y0 @ y0, eps=eps)
    first_certified = ends[np.flatnonzero(2 * rates[:-1] * s2 / mu <= eps)]
    assert first_certified.size and first_certified[0] <= needed


@given(data=st.data())
def test_constant_rate_iteration_complexity_reaches_eps(data):
    rng = DrawnRandom(data)
    h, c, y0 = q_instance(rng)
    assume(y0 @ y0 > 0)
    lr = rng.uniform(0.05, 1.0) / h.max()
    floor = lr * c.sum() / h.min()
    assume(floor > 0 and lr * h.min() < 1)      # the bound's conditions (lr mu = 1 is excluded)
    eps = floor * rng.uniform(1.05, 3.0)
    t = int(B.ITERATION_COMPLEXITY.constant(mu=h.min(), L=h.max(), sigma_sq=c.sum(), lr=lr,
                                            r0_sq=y0 @ y0, eps=eps))
    exact = angular.expected_sq_dist(h, c, y0, np.full(max(t, 1), lr), 1)
    assert exact[t] <= eps


def _complexity_cases():
    """(mu, L, sigma_sq, lr, r0_sq, eps) across float64: r_0 from 1e-300 to 1e300, ratios
    r_0/(eps - floor) 1 to 3 ulps above 1 (where a difference of two logs loses every digit),
    1e5, and as large as float64 allows (eps - floor near the smallest subnormal: the quotient
    itself overflows); lr mu = 0.5 and 1e-12; with and without a noise floor."""
    cases = []
    for e in range(-300, 301, 60):
        for lr in (0.5, 1e-12):
            for noisy in (False, True):
                gap = 10.0 ** e
                sigma_sq = gap if noisy else 0.0          # floor = lr sigma^2 / mu
                eps = gap + lr * sigma_sq
                gap_f = eps - lr * sigma_sq
                for r0 in (np.nextafter(gap_f, np.inf), gap_f * (1 + 3 * 2.0 ** -52), gap_f * 1e5):
                    cases.append((1.0, 1.0, sigma_sq, lr, float(r0), eps))
    tiny = 2.2250738585072014e-308                         # eps - floor = 0.25 tiny, subnormal
    for r0 in (1.0, 1e-20, 1e300):
        cases.append((1.0, 1.0, tiny, 0.25, r0, 2 * 0.25 * tiny))
    return cases


def test_constant_rate_iteration_complexity_equals_its_expression_across_float64():
    """The stable evaluator against the bound's symbolic expression evaluated exactly (the
    floats as rationals, 50 digits) on every case of :func:`_complexity_cases`.  Two defects it
    catches: the quotient r_0/(eps - floor) overflowed to inf (2468 steps suffice on the
    thorough profile's instance), and log r_0 - log(eps - floor) said 0 steps where 1 is right."""
    names = ("mu", "L", "sigma_sq", "lr", "r0_sq", "eps")
    wrong, cases = [], _complexity_cases()
    for case in cases:
        values = dict(zip(names, case))
        t = B.ITERATION_COMPLEXITY.constant(**values)
        exact = int(B.ITERATION_COMPLEXITY_CONSTANT.expr.subs(
            {getattr(S, k): sp.Rational(v) for k, v in values.items()}).evalf(50))
        if t != exact:
            wrong.append((values, t, exact))
    assert len(cases) > 100 and not wrong, wrong[:3]


def test_constant_rate_iteration_complexity_at_the_bottom_of_float64():
    """eps - floor subnormal (the instance the thorough profile found): that many steps reach
    eps by the exact recursion."""
    h, c, y0, lr = np.array([1.0, 1.0]), np.array([0.0, 2.2250738585072014e-308]), \
        np.array([0.0, 1.0]), 0.25
    values = dict(mu=1.0, L=1.0, sigma_sq=c.sum(), lr=lr, r0_sq=1.0, eps=2 * lr * c.sum())
    t = int(B.ITERATION_COMPLEXITY.constant(**values))
    assert 2000 < t < 3000
    assert angular.expected_sq_dist(h, c, y0, np.full(t, lr), 1)[t] <= values["eps"]


def test_cramer_rao_is_attained_by_the_unbiased_least_squares_estimator():
    """x_hat = -H^{-1} mean(g(0)) from t observations at x = 0 is unbiased with exactly the
    Cramer-Rao variance: a Monte Carlo check of the kind 'tight' within 4 standard errors."""
    rng = np.random.default_rng(0)
    h, c = rng.uniform(0.2, 1.0, 4), rng.uniform(0.1, 1.0, 4)
    x_star, t, n = rng.standard_normal(4), 25, 20000
    g = -(h * x_star) + np.sqrt(c) * rng.standard_normal((n, t, 4))
    err = ((-g.mean(axis=1) / h - x_star) ** 2).sum(axis=1)
    cr = B.CRAMER_RAO(hessian_eigs=h, noise_var=c, t=t)
    assert_respects("tight", cr, err.mean(), se=err.std(ddof=1) / math.sqrt(n))
    assert_respects("lower", cr, err.mean(), se=err.std(ddof=1) / math.sqrt(n))


# ----------------------------------------------------------------- finite sums (docs/theory.md §2b)
def softplus(z):
    return np.logaddexp(0.0, z)


def sigmoid(z):
    return 0.5 * (1 + np.tanh(z / 2))


def finite_sum_instance(rng, n, d, mu, L):  # noqa: N803
    """f_i(x) = 1/2 x^T A_i x + w_i softplus(b_i . x) + s_i . x with every f_i mu-strongly convex
    and L-smooth (spec(A_i) in [mu, L - w_i |b_i|^2 / 4]); returns callables and x*.  The softplus
    term uses half of the room; a b_i shorter than 0.1 gets none (w_i grows like 1/|b_i|^2: a
    drawn |b_i| of 1e-160 made it infinite)."""
    comps = []
    for _ in range(n):
        b = rng.standard_normal(d)
        u = rng.uniform(0, 1)
        w = u * (L - mu) * 2 / (b @ b) if b @ b > 0.01 else 0.0
        top = L - w * (b @ b) / 4
        q, _ = np.linalg.qr(rng.standard_normal((d, d)))
        A = q @ np.diag(rng.uniform(mu, top, d)) @ q.T
        comps.append((A, b, w, rng.standard_normal(d) * rng.uniform(0, 2)))

    def grad_i(k, x):
        A, b, w, s = comps[k]
        return A @ x + w * sigmoid(b @ x) * b + s

    def hess(x):
        out = 0
        for A, b, w, _ in comps:
            z = sigmoid(b @ x)
            out = out + A + w * z * (1 - z) * np.outer(b, b)
        return out / n

    x = np.zeros(d)
    for _ in range(100):                       # Newton on f = mean f_i
        g = sum(grad_i(k, x) for k in range(n)) / n
        if np.linalg.norm(g) < 1e-14:
            break
        x = x - np.linalg.solve(hess(x), g)
    return grad_i, x


@given(data=st.data(), n=st.integers(1, 5), d=st.integers(1, 4))
def test_one_step_finite_sum_bound_holds_exactly_on_random_finite_sums(data, n, d):
    rng = DrawnRandom(data)
    mu = rng.uniform(0.05, 1.0)
    L = mu * rng.uniform(1.0, 10.0)  # noqa: N806
    grad_i, x_star = finite_sum_instance(rng, n, d, mu, L)
    sigma_star_sq = np.mean([grad_i(k, x_star) @ grad_i(k, x_star) for k in range(n)])
    x0 = x_star + rng.standard_normal(d) * rng.uniform(0.1, 3)
    assume((x0 - x_star) @ (x0 - x_star) > 1e-12)    # x* is known to ~1e-14 (Newton)
    for lr in (0.3 / L, 1.0 / L, 2.0 / (mu + L), 1.9 / L, 3.0 / L):
        exact = np.mean([np.sum((x0 - lr * grad_i(k, x0) - x_star) ** 2) for k in range(n)])
        bound = B.SGD_ONE_STEP_FINITE_SUM(mu=mu, L=L, lr=lr, sigma_star_sq=sigma_star_sq,
                                          r0_sq=(x0 - x_star) @ (x0 - x_star))
        # rounding of the exact average is relative to its terms, not to the (possibly 0) value
        terms = np.mean([np.sum((x0 - x_star) ** 2) + lr ** 2 * grad_i(k, x0) @ grad_i(k, x0)
                         for k in range(n)])
        assert_respects("upper", bound, exact, se=1e-13 * terms, rtol=1e-9, what=f"lr={lr}")


def two_component_worst_instance(mu, L, lr, r0_sq, s2):  # noqa: N803
    """The worst finite sum found by the derivation, built explicitly and evaluated exactly.

    Two quadratics f_i(y) = 1/2 y^T A_i y + (-1)^{i+1} sigma e_2 . y in dimension 2, with
    A_{1,2} = [[p, +-q], [+-q, mu + L - p]] (eigenvalues exactly mu and L, so each f_i is
    mu-strongly convex and L-smooth), q = sqrt((p - mu)(L - p)), y_0 = sqrt(r0) e_1; x* = 0 and
    sigma_*^2 = sigma^2.  E||y_1||^2 is computed directly from the two components and maximised
    over p in [mu, L] (a concave function of p)."""
    y0, sig = np.array([math.sqrt(r0_sq), 0.0]), math.sqrt(s2)

    def value(p):
        q = math.sqrt(max((p - mu) * (L - p), 0.0))
        out = 0.0
        for sign in (1.0, -1.0):
            A = np.array([[p, sign * q], [sign * q, mu + L - p]])
            assert np.allclose(np.linalg.eigvalsh(A), [mu, L])
            y1 = y0 - lr * (A @ y0 + sign * sig * np.array([0.0, 1.0]))
            out += y1 @ y1 / 2
        return out

    res = minimize_scalar(lambda p: -value(p), bounds=(mu, L), method="bounded",
                          options=dict(xatol=1e-12))
    return max(-res.fun, value(mu), value(L))


@pytest.mark.parametrize("mu, L, lr, r0_sq, s2", [
    (0.1, 1.0, 1.0, 1.0, 1.0), (0.5, 1.0, 1.5, 2.0, 0.1), (0.2, 1.0, 0.1, 1.0, 2.0),
    (0.1, 1.0, 1.9, 1.0, 0.5), (0.3, 3.0, 0.2, 5.0, 0.0), (0.01, 1.0, 2.5, 1.0, 3.0)])
def test_one_step_finite_sum_bound_is_tight(mu, L, lr, r0_sq, s2):
    """An explicit two-component quadratic finite sum attains the bound, and so exceeds a
    corrupted bound (the eta^2 sigma_*^2 term halved) wherever sigma_* > 0."""
    found = two_component_worst_instance(mu, L, lr, r0_sq, s2)
    value = float(B.SGD_ONE_STEP_FINITE_SUM(mu=mu, L=L, lr=lr, sigma_star_sq=s2, r0_sq=r0_sq))
    assert_respects("upper", value, found, rtol=1e-9)
    assert found == pytest.approx(value, rel=1e-9)
    if s2 > 0:
        assert not respects("upper", value - lr ** 2 * s2 / 2, found)


def test_one_step_bound_improves_the_young_inequality_bound():
    rng = np.random.default_rng(1)
    for _ in range(200):
        mu = rng.uniform(0.01, 1)
        L, s2, r = mu * rng.uniform(1, 50), rng.uniform(0, 5), rng.uniform(0, 5)  # noqa: N806
        lr = rng.uniform(0.01, 1) / L
        young = (1 - 2 * lr * mu * (1 - lr * L)) * r + 2 * lr ** 2 * s2
        assert B.SGD_ONE_STEP_FINITE_SUM(mu=mu, L=L, lr=lr, sigma_star_sq=s2, r0_sq=r) \
            <= young * (1 + 1e-12)


# ----------------------------------------------------------------- Monte Carlo, non-quadratic
@functools.lru_cache(maxsize=None)      # computed once per process
def softplus_problem(seed=5, d=6, m=4):
    """f(x) = 1/2 sum a_i x_i^2 + sum_j w_j softplus(b_j . x): mu = min a, L = max eig of
    diag(a) + 1/4 sum w_j b_j b_j^T (softplus'' <= 1/4); x* by Newton's method."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.2, 1.0, d)
    bmat = rng.standard_normal((m, d))
    w = rng.uniform(0.2, 1.0, m)
    L = np.linalg.eigvalsh(np.diag(a) + 0.25 * (bmat.T * w) @ bmat).max()  # noqa: N806

    def grad(x):
        return a * x + bmat.T @ (w * jax.nn.sigmoid(bmat @ x))

    hessian = jax.hessian(lambda z: 0.5 * jnp.sum(a * z * z) + jnp.sum(
        w * jax.nn.softplus(bmat @ z)))
    newton = jax.jit(lambda x: x - jnp.linalg.solve(hessian(x), grad(x)))   # one compilation
    x = jnp.zeros(d)
    for _ in range(60):
        x = newton(x)
    x0 = x + jnp.asarray(rng.standard_normal(d)) * 2.0
    return grad, x, x0, float(a.min()), float(L)


def sgd_sq_dist(grad, x_star, x0, rates, sigma_sq, seeds=2000):
    """||x_t - x*||^2, t = 1..len(rates), of SGD with gradient noise N(0, sigma^2/d I) (BV),
    one row per seed."""
    d = x0.shape[0]

    def run(key):
        def step(x, inp):
            k, lr = inp
            x = x - lr * (grad(x) + jax.random.normal(k, (d,)) * jnp.sqrt(sigma_sq / d))
            return x, jnp.sum((x - x_star) ** 2)
        return jax.lax.scan(step, x0, (jax.random.split(key, len(rates)),
                                       jnp.asarray(rates)))[1]

    return np.asarray(jax.jit(jax.vmap(run))(jax.random.split(jax.random.PRNGKey(0), seeds)))


def test_constant_step_bound_holds_for_sgd_on_a_non_quadratic_function():
    """Mean over 2000 seeds of ||x_t - x*||^2 below SGD_CONSTANT_STEP within 4 SE at every t."""
    grad, x_star, x0, mu, L = softplus_problem()  # noqa: N806
    lr, sigma_sq = 0.8 / L, 0.5
    sq = sgd_sq_dist(grad, x_star, x0, np.full(80, lr), sigma_sq)
    bound = B.SGD_CONSTANT_STEP(mu=mu, L=L, sigma_sq=sigma_sq, lr=lr,
                                r0_sq=float(jnp.sum((x0 - x_star) ** 2)), t=np.arange(1, 81))
    assert_respects("upper", bound, sq.mean(axis=0), se=sq.std(axis=0, ddof=1) / math.sqrt(2000))


def test_stagewise_bound_holds_for_sgd_on_a_non_quadratic_function():
    """The stage-wise schedule on the same function: the mean at every stage end is below
    STAGEWISE (and the stage invariant 2 eta_{k-1} sigma^2 / mu) within 4 SE."""
    grad, x_star, x0, mu, L = softplus_problem()  # noqa: N806
    sigma_sq, rho, lr = 0.5, 0.5, 1.0 / L
    r0 = float(jnp.sum((x0 - x_star) ** 2))
    rates, lengths = stagewise_schedule(mu, L, sigma_sq, lr, rho, r0, 4)
    sq = sgd_sq_dist(grad, x_star, x0, np.repeat(rates, lengths), sigma_sq)
    ends = np.cumsum(lengths)[1:]
    mean, se = sq.mean(axis=0)[ends - 1], sq.std(axis=0, ddof=1)[ends - 1] / math.sqrt(2000)
    bound = B.STAGEWISE(mu=mu, L=L, sigma_sq=sigma_sq, lr=lr, rho=rho, r0_sq=r0, T=ends)
    assert_respects("upper", bound, mean, se, what="STAGEWISE")
    assert_respects("upper", 2 * rates[:-1] * sigma_sq / mu, mean, se, what="invariant")


# ----------------------------------------------------------------- structural properties
@given(data=st.data())
def test_monotone_in_time_and_noise_and_deterministic_at_zero_noise(data):
    rng = DrawnRandom(data)
    kw = sample("SGD_CONSTANT_STEP", rng)
    t = np.arange(0, 50)
    v = B.SGD_CONSTANT_STEP(**dict(kw, t=t))
    assert np.all(np.diff(v) <= 1e-12 * np.abs(v[:-1]))
    lo = B.SGD_CONSTANT_STEP(**dict(kw, sigma_sq=0.0))
    hi = B.SGD_CONSTANT_STEP(**dict(kw, sigma_sq=kw["sigma_sq"] + 1))
    assert lo <= hi
    assert lo == pytest.approx((1 - kw["lr"] * kw["mu"]) ** kw["t"] * kw["r0_sq"], rel=1e-12)

    ks = sample("SGD_ONE_STEP_FINITE_SUM", rng)
    det = B.SGD_ONE_STEP_FINITE_SUM(**dict(ks, sigma_star_sq=0.0))
    gd = max((1 - ks["lr"] * ks["mu"]) ** 2, (1 - ks["lr"] * ks["L"]) ** 2) * ks["r0_sq"]
    assert det == pytest.approx(gd, rel=1e-10, abs=1e-14)
    assert det <= B.SGD_ONE_STEP_FINITE_SUM(**ks) + 1e-14

    kst = sample("STAGEWISE", rng)
    T = kst["T"] + np.array([0.0, 10.0, 1000.0])  # noqa: N806
    assert np.all(np.diff(B.STAGEWISE(**dict(kst, T=T))) < 0)


@given(data=st.data(), power=st.integers(-7, 7))
def test_scaling_f_by_c_and_the_rate_by_one_over_c_changes_nothing(data, power):
    """f -> c f: mu -> c mu, L -> c L, gradient noise variance -> c^2 sigma^2, eta -> eta / c.
    c is a power of two, so the scaled instance meets the conditions exactly when the drawn one
    does (another c can move an instance on the boundary across it by rounding: L = 2.84375,
    lr = 1/L, c = 3 give c L * lr / c = 1 + 2.2e-16 > 1)."""
    scale = 2.0 ** power
    rng = DrawnRandom(data)
    for name in ("SGD_CONSTANT_STEP", "SGD_ONE_STEP_FINITE_SUM", "STAGEWISE"):
        kw = sample(name, rng)
        scaled = dict(kw, mu=kw["mu"] * scale, L=kw["L"] * scale, lr=kw["lr"] / scale)
        for noise in ("sigma_sq", "sigma_star_sq"):
            if noise in kw:
                scaled[noise] = kw[noise] * scale ** 2
        assert B.BOUNDS[name](**scaled) == pytest.approx(B.BOUNDS[name](**kw), rel=1e-9)
    h, c, y0 = q_instance(rng)
    lr = rng.uniform(0.1, 1.9) / h.max()
    a = B.SGD_QUADRATIC_EXACT(hessian_eigs=h, noise_var=c, y0=y0, lr=lr, t=7)
    b = B.SGD_QUADRATIC_EXACT(hessian_eigs=h * scale, noise_var=c * scale ** 2, y0=y0,
                              lr=lr / scale, t=7)
    assert b == pytest.approx(a, rel=1e-9)
    # permuting coordinates changes nothing either
    p = rng.permutation(h.size)
    assert B.SGD_QUADRATIC_EXACT(hessian_eigs=h[p], noise_var=c[p], y0=y0[p], lr=lr, t=7) \
        == pytest.approx(a, rel=1e-12)


def test_quadratic_exact_bound_equals_the_closed_form_module():
    rng = np.random.default_rng(2)
    h, c, y0 = q_instance(rng)
    lr = 1.2 / h.max()
    t = np.arange(0, 30)
    np.testing.assert_allclose(
        B.SGD_QUADRATIC_EXACT(hessian_eigs=h, noise_var=c, y0=y0, lr=lr, t=t),
        angular.expected_sq_dist(h, c, y0, np.full(29, lr), 1), rtol=1e-10)


def test_respects_helper_rejects_violations():
    assert not respects("upper", 1.0, 1.1)
    assert respects("upper", 1.0, 1.1, se=0.03)
    assert not respects("lower", 1.0, 0.8, se=0.01)
    with pytest.raises(AssertionError, match="not respected"):
        assert_respects("tight", 1.0, 1.5)


# ----------------------------------------------------------------- assumption sets
def test_assumption_sets_check_their_conditions():
    assumptions.SC.check(mu=0.1)
    with pytest.raises(AssumptionError, match=r"SC: condition mu > 0 violated \(got mu=-1.0\)"):
        assumptions.SC.check(mu=-1.0)
    with pytest.raises(AssumptionError, match="SM: condition mu <= L violated"):
        assumptions.SM.check(mu=2.0, L=1.0)
    with pytest.raises(AssumptionError, match="BV: condition sigma_sq >= 0"):
        assumptions.BV.check(sigma_sq=-0.5)
    with pytest.raises(AssumptionError, match="FS: condition sigma_star_sq >= 0"):
        assumptions.FS.check(mu=0.1, L=1.0, sigma_star_sq=-1.0)
    with pytest.raises(AssumptionError, match="Q: condition c >= 0 violated"):
        assumptions.Q.check(h=np.array([1.0, 2.0]), c=np.array([1.0, -2.0]))
    with pytest.raises(AssumptionError, match="needs mu"):
        assumptions.SC.check()
    m = assumptions.Q.instance([1.0, 0.5], [0.1, 0.1], [1.0, 1.0])
    assert (m.mu, m.L) == (0.5, 1.0)
    with pytest.raises(AssumptionError, match="noise_var: need the same length"):
        assumptions.Q.instance([1.0, 0.5], [0.1], [1.0, 1.0])
    for a in assumptions.ASSUMPTIONS.values():
        assert all(isinstance(c, sp.core.relational.Relational) for c in a.conditions)
