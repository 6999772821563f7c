"""The exact epoch sampler (simulations/exact.py, docs/theory.md §9) against closed forms, against
the step-level simulator, and a corrupted one; the random streams of the engine.

Tolerances.  Closed forms: float64, the squaring against sums written out (no statistics):
relative 1e-10.  Monte Carlo: a mean over S independent seeds against an exact value, or two
independent means against each other, as a z-score (difference / its standard error); |z| <= 4
has a false-alarm probability of 6.3e-5 per comparison under the central limit theorem (at most
2e-3 over the comparisons of one test, union bound).  Seeds are fixed: the tests are
deterministic.  Stream correlations: the sample correlation of n independent pairs has standard
error 1/sqrt(n); |r| <= 4/sqrt(n).
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from autodrop_theory import angular
from simulations import engine, exact, experiment
from simulations.problems import QuadraticProblem, default_model
from simulations.stats import z_scores

Z_MAX = 4.0
H = np.array([0.003, 0.05, 0.4, 1.0, 1.7])      # lr h from 0.0015 to 1.7 at lr = 1 (a < 0 too)
SD = np.array([0.3, 1.0, 0.5, 2.0, 0.1])


def _matrices(pair):
    p, v = pair
    return (np.array([[np.asarray(c) for c in row] for row in p]),
            np.array([[np.asarray(c) for c in row] for row in v]))


def _moments_step_by_step(h, sd, lrs, beta, momentum, average):
    """Mean map and covariance of the augmented state after the steps at ``lrs``, written out
    as sums over the steps (numpy, float64): P = prod M_t, V = sum_j (prod_{t>j} M_t) e_j e_j^T
    (prod_{t>j} M_t)^T."""
    n = exact.components(momentum, average)
    out_p, out_v = [], []
    for i in range(h.size):
        ms, es = [], []
        for lr in lrs:
            a = 1.0 + beta - lr * h[i] if momentum else 1.0 - lr * h[i]
            m = np.zeros((n, n))
            e = np.zeros(n)
            m[0, 0], e[0] = a, -lr * sd[i]
            if momentum:
                m[0, 1], m[1, 0] = -beta, 1.0
            if average:
                m[-1] = m[0]
                m[-1, -1] = 1.0
                e[-1] = e[0]
            ms.append(m)
            es.append(e)
        p = np.eye(n)
        for m in ms:
            p = m @ p
        v = np.zeros((n, n))
        for j, e in enumerate(es):
            tail = np.eye(n)
            for m in ms[j + 1:]:
                tail = m @ tail
            v += np.outer(tail @ e, tail @ e)
        out_p.append(p)
        out_v.append(v)
    return np.moveaxis(np.array(out_p), 0, -1), np.moveaxis(np.array(out_v), 0, -1)


@pytest.mark.parametrize("momentum, average", [(False, False), (False, True), (True, False),
                                               (True, True)])
@pytest.mark.parametrize("steps", [1, 2, 7, 64])
def test_squaring_equals_the_sums_over_steps(momentum, average, steps):
    beta = 0.6 if momentum else 0.0
    got = _matrices(exact.fixed_rate(jnp.asarray(H), jnp.asarray(SD), 1.0, beta, steps,
                                     momentum, average))
    want = _moments_step_by_step(H, SD, np.ones(steps), beta, momentum, average)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


def test_varying_rates_scan_equals_the_sums_over_steps():
    lrs = 1.0 / (0.3 * (np.arange(9) + 4.0))      # an inverse-time schedule inside an epoch
    for momentum, average in [(False, True), (True, False)]:
        got = _matrices(exact.scheduled(jnp.asarray(H), jnp.asarray(SD), jnp.asarray(lrs), 0.5,
                                        momentum, average))
        want = _moments_step_by_step(H, SD, lrs, 0.5 if momentum else 0.0, momentum, average)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


def test_fixed_rate_moments_equal_the_geometric_closed_forms():
    """Without momentum, a = 1 - lr h, v = lr^2 c, G1 = sum_{m<K} a^m, G2 = sum_{m<K} a^2m:
    y_K = a^K y_0 + N(0, v G2); the epoch's iterate sum S has mean a G1 y_0, Cov(y_K, S) =
    v (G1 - a G2) / (1 - a) and Var S = v (K - 2 a G1 + a^2 G2) / (1 - a)^2."""
    lr, K = 0.8, 13
    a, v = 1.0 - lr * H, (lr * SD) ** 2
    g1, g2 = (1 - a ** K) / (1 - a), (1 - a ** (2 * K)) / (1 - a ** 2)
    p, cov = _matrices(exact.fixed_rate(jnp.asarray(H), jnp.asarray(SD), lr, 0.0, K, False, True))
    np.testing.assert_allclose(p[0, 0], a ** K, rtol=1e-12)
    np.testing.assert_allclose(p[1, 0], a * g1, rtol=1e-12)
    np.testing.assert_allclose(cov[0, 0], v * g2, rtol=1e-10)
    np.testing.assert_allclose(cov[0, 1], v * (g1 - a * g2) / (1 - a), rtol=1e-10)
    np.testing.assert_allclose(cov[1, 1], v * (K - 2 * a * g1 + a * a * g2) / (1 - a) ** 2,
                               rtol=1e-10)


def test_momentum_second_moment_equals_the_lyapunov_recursion_of_the_theory():
    """E||y_K||^2 from (P, V) against autodrop_theory.angular.expected_sq_dist_momentum (§6),
    written independently as a 2x2 Lyapunov recursion."""
    lr, K, beta = 0.7, 11, 0.5
    y0 = np.linspace(-1.0, 2.0, H.size)
    p, cov = _matrices(exact.fixed_rate(jnp.asarray(H), jnp.asarray(SD), lr, beta, K, True,
                                        False))
    mean = p[0, 0] * y0 + p[0, 1] * y0          # y_{-1} = y_0
    got = float(np.sum(mean ** 2 + cov[0, 0]))
    want = angular.expected_sq_dist_momentum(H, SD ** 2, y0, [lr], K, beta)[1]
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_cholesky_reproduces_singular_covariances():
    """K = 1 with averaging (S = y: a singular 2x2 covariance) and momentum (p = y_0, no noise):
    L L^T = V, no nan."""
    for momentum, average in [(False, True), (True, True)]:
        _, v = exact.fixed_rate(jnp.asarray(H), jnp.asarray(SD), 0.9, 0.3 if momentum else 0.0,
                                1, momentum, average)
        chol = np.array([[np.asarray(c) for c in row] for row in exact.cholesky(v)])
        vv = np.array([[np.asarray(c) for c in row] for row in v])
        assert np.all(np.isfinite(chol))
        np.testing.assert_allclose(np.einsum("ikd,jkd->ijd", chol, chol), vv, atol=1e-14)


# --------------------------------------------------------------- against the step level
MODEL = default_model(dim=8, mu=0.05, L=1.0, sigma_sq=1.0, seed=3)
# every test below that runs the exact sampler on MODEL runs all of these (one compiled program
# for the file, and its optimised compile for the test of common random numbers; a test reads
# the methods it checks), except the corrupted sampler's own copy
EPOCH_LEVEL = ["autodrop", "constant", "step_decay", "averaged", "inverse_time", "oracle",
               "autodrop_immediate"]
E, K, S = 30, 6, 1500


def _run(sampler, seed, momentum=0.0, noise_scale=1.0, names=EPOCH_LEVEL):
    problem = QuadraticProblem(MODEL, noise_scale=noise_scale)
    ctx = experiment.run_context(problem, 0.6, E, K)
    return engine.simulate(problem, experiment.build_methods(names, ctx), epochs=E,
                           steps_per_epoch=K, keys=engine.seed_keys(seed, S),
                           dtype=jnp.float64, momentum=momentum, sampler=sampler)


def _two_sample_z(a, b):
    return (a.mean() - b.mean()) / np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)


@pytest.mark.parametrize("momentum, names", [(0.0, EPOCH_LEVEL),
                                             (0.5, ["constant", "averaged"])])
def test_every_epoch_level_method_has_the_same_errors_on_both_samplers(momentum, names):
    """Independent seeds on the two samplers: at boundaries E/3 and E the mean error and the
    mean rate of every epoch-level method agree within 4 standard errors (an automatic method's
    drops depend on the path, so its rate is compared too).  With momentum: the sampler's
    largest augmented state (y, p, S) and its smallest (its varying-rate and squaring paths
    are checked exactly against the sums over steps above)."""
    steps = _run("steps", 11, momentum, names=names)
    fast = _run("exact", 12, momentum, names=names)
    assert {t.sampler for t in fast.values()} == {"exact"}
    assert {t.sampler for t in steps.values()} == {"steps"}
    for name in names:
        for n in (E // 3, E):
            z = _two_sample_z(steps[name].sq_dist[:, n], fast[name].sq_dist[:, n])
            assert abs(z) <= Z_MAX, (name, n, z)
        lr_a, lr_b = steps[name].lr[:, -1], fast[name].lr[:, -1]
        if lr_a.std() + lr_b.std() > 0:
            assert abs(_two_sample_z(lr_a, lr_b)) <= Z_MAX, name
        else:
            np.testing.assert_allclose(lr_a, lr_b, rtol=1e-12)


def test_exact_sampler_matches_the_exact_theory_and_a_corrupted_one_does_not():
    """constant: mean ||x_n||^2 against §2c at every boundary; a noise variance 1.2 times too
    large (noise_scale sqrt(1.2)) is rejected by the same check."""
    want = angular.expected_sq_dist(MODEL.hessian_eigs, MODEL.noise_var, MODEL.y0,
                                    np.full(E, 0.6), K)
    good = _run("exact", 4)["constant"]
    bad = _run("exact", 4, noise_scale=np.sqrt(1.2))["constant"]
    assert np.max(np.abs(z_scores(good.sq_dist, want))) <= Z_MAX
    assert np.max(np.abs(z_scores(bad.sq_dist, want))) > Z_MAX


def test_a_wrong_variance_factor_in_the_sampler_is_caught(monkeypatch):
    """A sampler whose step noise is 1.2 times too large in variance (a wrong factor in its
    covariance) fails the squaring check and the Monte Carlo check."""
    honest = exact.step_element

    def corrupted(h, sd, lr, beta, momentum, average, s=None):
        return honest(h, sd * np.sqrt(1.2), lr, beta, momentum, average, s)

    monkeypatch.setattr(exact, "step_element", corrupted)
    got = _matrices(exact.fixed_rate(jnp.asarray(H), jnp.asarray(SD), 1.0, 0.0, 7, False, False))
    want = _moments_step_by_step(H, SD, np.ones(7), 0.0, False, False)
    assert not np.allclose(got[1], want[1], rtol=1e-3)
    # a copy of the family is a new compiled program (families key the cache by identity), so
    # the engine traces the corrupted sampler without disturbing any other compiled program
    problem = QuadraticProblem(MODEL)
    ctx = experiment.run_context(problem, 0.6, E, K)
    method = experiment.build_methods(["constant"], ctx)[0]
    method = method._replace(family=dataclasses.replace(method.family))
    bad = engine.simulate(problem, [method], epochs=E, steps_per_epoch=K,
                          keys=engine.seed_keys(4, S), dtype=jnp.float64,
                          sampler="exact")["constant"]
    monkeypatch.undo()
    ref = angular.expected_sq_dist(MODEL.hessian_eigs, MODEL.noise_var, MODEL.y0,
                                   np.full(E, 0.6), K)
    assert np.max(np.abs(z_scores(bad.sq_dist, ref))) > Z_MAX


@pytest.mark.usefixtures("xla_optimised")
def test_exact_methods_share_their_random_numbers():
    """Common random numbers on the exact sampler: step_decay equals constant bit for bit until
    its first milestone, and autodrop_immediate (which evaluates its iterate, not an average)
    until its first drop.  Bit for bit as XLA's optimisations compile the program (with most of
    them off, the methods' equal arithmetic rounds differently by an ulp: the fixture)."""
    runs = _run("exact", 5)
    c = runs["constant"].sq_dist
    first = E // 2        # step_decay's first milestone: the rate changes after epoch E/2 - 1
    np.testing.assert_array_equal(runs["step_decay"].sq_dist[:, :first + 1], c[:, :first + 1])
    assert not np.array_equal(runs["step_decay"].sq_dist[:, -1], c[:, -1])
    ad = runs["autodrop_immediate"]
    assert any(ad.drop_epochs()), "no seed dropped: the comparison would not reach a drop"
    for row, drops in zip(range(S), ad.drop_epochs()):
        stop = drops[0] + 1 if drops else E + 1
        np.testing.assert_array_equal(ad.sq_dist[row, :stop], c[row, :stop])


def test_sampler_exact_refuses_a_step_level_method():
    with pytest.raises(Exception, match=r"^sampler: .*pflug.*reads every step"):
        _run("exact", 0, names=["constant", "pflug"])
    with pytest.raises(Exception, match=r"^sampler: .*plateau.*mean stochastic loss"):
        _run("exact", 0, names=["plateau"])


# --------------------------------------------------------------- the random streams
def _stream_correlation(draws):
    """The largest |sample correlation| between two seeds' draws, and its 4-SE tolerance."""
    flat = np.asarray(draws).reshape(draws.shape[0], -1)
    r = np.corrcoef(flat)
    off = np.abs(r[~np.eye(len(r), dtype=bool)])
    return float(off.max()), Z_MAX / np.sqrt(flat.shape[1])


def _engine_draws(keys, e=3):
    """What the engine draws for epoch e of each seed, under vmap as it does: the step noise and
    the exact sampler's normals."""
    problem = QuadraticProblem(MODEL)
    data = problem.data(jnp.float64)

    def one(key):
        key_e = jax.random.fold_in(key, e)
        return (problem.kind.epoch_noise(data, key_e, 500),
                jax.random.normal(jax.random.fold_in(key_e, engine.EXACT_STREAM), (500, 8)))

    return jax.jit(jax.vmap(one))(keys)


def test_seed_streams_are_uncorrelated_under_vmap_and_the_check_sees_shared_streams():
    """The engine's per-seed streams (philox keys, vmapped as in the engine): every pair of
    seeds' draws correlates within 4 SE of 0.  The same check on keys that all equal the first
    key (the failure JAX documents for vmap over rbg keys) reports correlation 1."""
    keys = engine.seed_keys(0, 6)
    assert str(jax.random.key_impl(keys)) == "philox4x32"
    for draws in _engine_draws(keys):
        worst, tol = _stream_correlation(draws)
        assert worst <= tol, (worst, tol)
    shared = jnp.stack([keys[0]] * 6)
    worst, tol = _stream_correlation(_engine_draws(shared)[0])
    assert worst > 1 - 1e-12 > tol
