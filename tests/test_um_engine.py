"""Unified momentum in the simulator (docs/theory.md §6b): s = 0 is the pre-UM heavy-ball engine
bit for bit, s = 1/(1 - beta) is plain SGD at rate lr/(1 - beta), s = 1 is optax's Nesterov
on the same noise, and the exact epoch sampler has the step-level law at s in {0, 1,
1/(1 - beta)} (the second moment against the closed form of the linear recursion)."""

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from autodrop_theory import momentum as um
from autodrop_theory.errors import AssumptionError
from simulations import engine, experiment
from simulations.problems import quadratic

PINNED = json.loads((Path(__file__).parent / "heavy_ball_pinned.json").read_text())


def _pinned_problem():
    p = PINNED["problem"]
    return quadratic(p["hessian_eigs"], p["noise_var"], p["y0"])


def _simulate(problem, names, *, lr, epochs, K, seeds, seed, beta, s=0.0, dtype=jnp.float64,
              sampler="steps"):
    ms = experiment.build_methods(names, experiment.run_context(problem, lr, epochs, K))
    return engine.simulate(problem, ms, epochs=epochs, steps_per_epoch=K,
                           keys=engine.seed_keys(seed, seeds), momentum=beta, um_s=s,
                           dtype=dtype, sampler=sampler)


@pytest.mark.parametrize("dtype, sampler, names", [
    ("float32", "exact", ["constant", "autodrop_paper"]),
    ("float64", "steps", ["inverse_time", "autodrop"])])
@pytest.mark.usefixtures("xla_optimised")
def test_s0_is_the_pre_um_heavy_ball_engine_bit_for_bit(dtype, sampler, names):
    """Against trajectories pinned from the heavy-ball engine before UM (commit 3a42cfe,
    tests/heavy_ball_pinned.json, as float.hex; the same methods in one program, since the
    compiler's rounding choices depend on the whole program, and on XLA's optimisations, hence
    the fixture): every boundary, both samplers, the same bits."""
    P = PINNED
    kw = dict(lr=P["lr"], epochs=P["epochs"], K=P["steps_per_epoch"], seeds=P["seeds"],
              seed=P["seed"], beta=P["momentum"], dtype=getattr(jnp, dtype), sampler=sampler)
    got = _simulate(_pinned_problem(), names, **kw)
    for name, t in got.items():
        for k in ("sq_dist", "angle_deg", "lr"):
            want = np.array([float.fromhex(v) for v in P["arrays"][f"{dtype}/{sampler}/{name}/{k}"]])
            assert np.array_equal(np.ravel(getattr(t, k)).astype(np.float64), want,
                                  equal_nan=True), (name, k)


def test_plain_sgd_s_is_plain_sgd_at_the_scaled_rate():
    """UM at s = 1/(1 - beta) ("sgd": s computed in the run's dtype, so c = 0 exactly) against
    the engine without momentum at the rate fl(s lr).  Not bit for bit: the two are different
    compiled programs (UM also computes the buffer and s lr g), and XLA's CPU backend contracts
    multiply-adds by context, so a step may round differently by an ulp (measured: 1.4e-15
    relative in float64 over these 60 steps).  Tolerance: one rounding of 4 eps per step,
    accumulated over 60 steps of a contraction without amplification, 240 eps of the
    trajectory's scale.  A 1e-6 relative change of s is detected."""
    beta, lr = 0.75, 0.1
    s = float(um.plain_sgd_s(jnp.asarray(beta, jnp.float64)))
    lr_sgd = float(jnp.asarray(s, jnp.float64) * jnp.asarray(lr, jnp.float64))
    p = _pinned_problem()
    kw = dict(epochs=12, K=5, seeds=3, seed=4, names=["constant"])
    a = _simulate(p, lr=lr, beta=beta, s="sgd", **kw)
    b = _simulate(p, lr=lr_sgd, beta=0.0, **kw)
    scale = np.max(b["constant"].sq_dist)
    for name in kw["names"]:
        np.testing.assert_allclose(a[name].sq_dist, b[name].sq_dist, rtol=0,
                                   atol=240 * np.finfo(np.float64).eps * scale)
    c = _simulate(p, lr=lr, beta=beta, s=s * (1 - 1e-6), **kw)
    assert np.max(np.abs(c["constant"].sq_dist - b["constant"].sq_dist)) > 1e-9 * scale


def test_s1_is_optax_nesterov_on_the_same_noise():
    """s = 1 through the engine against ``optax.sgd(lr, momentum=beta, nesterov=True)`` driven
    by the engine's own noise stream (fold_in(seed key, epoch), the problem's gradient oracle)
    at a constant rate: every epoch boundary to 1e-10 relative (float64)."""
    beta, lr, E, K = 0.9, 0.05, 10, 6
    p = _pinned_problem()
    got = _simulate(p, ["constant"], lr=lr, epochs=E, K=K, seeds=2, seed=5, beta=beta, s=1.0)
    kind, data = p.kind, p.data(jnp.float64)
    opt = optax.sgd(lr, momentum=beta, nesterov=True)

    def one(key):
        x = kind.x0(data, jax.random.fold_in(key, engine.INIT_STREAM))

        def epoch(c, e):
            x, st = c
            xi = kind.epoch_noise(data, jax.random.fold_in(key, e), K)

            def step(c, xi_k):
                x, st = c
                u, st = opt.update(kind.grad(data, x, xi_k)[0], st, x)
                return (optax.apply_updates(x, u), st), None
            (x, st), _ = jax.lax.scan(step, (x, st), xi)
            return (x, st), kind.sq_dist(data, x)
        _, sq = jax.lax.scan(epoch, (x, opt.init(x)), jnp.arange(E))
        return jnp.concatenate([kind.sq_dist(data, x)[None], sq])
    ref = np.asarray(jax.jit(jax.vmap(one))(engine.seed_keys(5, 2)))
    np.testing.assert_allclose(got["constant"].sq_dist, ref, rtol=1e-10)
    heavy = _simulate(p, ["constant"], lr=lr, epochs=E, K=K, seeds=2, seed=5, beta=beta)
    assert not np.allclose(heavy["constant"].sq_dist, ref, rtol=1e-3)


# ----------------------------------------------- the exact sampler against the step level, in law
H = np.array([0.05, 0.3, 1.0, 1.6])
C = np.array([0.5, 0.2, 0.3, 0.1])
Y0 = np.array([2.0, -1.0, 1.0, 0.5])
BETA, LR, E, K, SEEDS = 0.9, 0.1, 6, 4, 400


def _second_moment_um(s, beta=BETA):
    """E||x_n||^2 at the epoch boundaries n = 0..E for UM on Q(H, C) at a constant rate, from
    the linear recursion of (x, y^s) per coordinate: mean and covariance propagated exactly
    (numpy, float64, step by step): x' = x - a g + beta (y' - y), y' = x - s a g,
    g = h x + sqrt(c) xi, y_0 = x_0."""
    out = [float(Y0 @ Y0)]
    mean = np.stack([Y0, Y0])                      # (2, d): E x, E y
    cov = np.zeros((2, 2, H.size))
    k = 1 + beta * s
    M = np.array([[1 + beta - LR * H * k, -beta * np.ones_like(H)],
                  [1 - s * LR * H, np.zeros_like(H)]])           # (2, 2, d)
    e = np.array([-LR * np.sqrt(C) * k, -s * LR * np.sqrt(C)])   # (2, d)
    for t in range(E * K):
        mean = np.einsum("ijd,jd->id", M, mean)
        cov = np.einsum("ijd,jkd,lkd->ild", M, cov, M) + np.einsum("id,jd->ijd", e, e)
        if (t + 1) % K == 0:
            out.append(float(np.sum(mean[0] ** 2 + cov[0, 0])))
    return np.array(out)


@pytest.fixture(scope="module")
def law_runs():
    """The exact sampler at the three named s (two compiled programs: heavy ball, and UM for
    s = 1 and 1/(1 - beta)), and the step level at s = 1 (the step level is tied to the other
    two by the identity tests above)."""
    p = quadratic(H, C, Y0)
    out = {}
    for label, s, sampler in (("heavy_ball", 0.0, "exact"), ("nesterov", 1.0, "exact"),
                              ("sgd", "sgd", "exact"), ("nesterov", 1.0, "steps")):
        out[label, sampler] = _simulate(p, ["constant"], lr=LR, epochs=E, K=K, seeds=SEEDS,
                                        seed=11 if sampler == "steps" else 12, beta=BETA, s=s,
                                        sampler=sampler)["constant"].sq_dist
    return out


@pytest.mark.parametrize("label, s, sampler", [
    ("heavy_ball", 0.0, "exact"), ("nesterov", 1.0, "exact"), ("sgd", 1 / (1 - BETA), "exact"),
    ("nesterov", 1.0, "steps")])
def test_exact_sampler_has_the_step_level_law(law_runs, label, s, sampler):
    """The mean ||x_n||^2 over 400 seeds against the closed-form second moment of the UM
    recursion at every boundary: |z| < 4.5, the z-score from the seeds' standard error (max
    over 6 boundaries x 4 runs: a 4.5-sigma miss has probability about 2e-4 across them);
    the second moment of another s (plain SGD's for heavy ball and Nesterov, heavy ball's for
    plain SGD) is rejected by the same check (|z| > 4.5 somewhere)."""
    from simulations.stats import z_scores
    want = _second_moment_um(s)
    wrong = _second_moment_um(1 / (1 - BETA) if s != 1 / (1 - BETA) else 0.0)
    z = z_scores(law_runs[label, sampler], want)
    assert np.max(np.abs(z)) < 4.5, z
    assert np.max(np.abs(z_scores(law_runs[label, sampler], wrong))) > 4.5


def test_um_arguments_are_refused_in_one_line():
    p = _pinned_problem()
    for beta, s, word in [(0.0, 1.0, "um_s"), (0.5, -1.0, "um_s"), (0.5, "nesterow", "um_s"),
                          (0.5, float("nan"), "um_s"), (1.0, 0.0, "momentum"),
                          (0.0, "nesterov", "um_s")]:
        with pytest.raises(AssumptionError, match=f"^{word}: "):
            _simulate(p, ["constant"], lr=0.1, epochs=3, K=2, seeds=2, seed=0, beta=beta, s=s)
        with pytest.raises(AssumptionError, match=f"^{word}: "):
            experiment.run(p, ["constant"], lr=0.1, epochs=3, steps_per_epoch=2, seeds=2,
                           momentum=beta, um_s=s)


def test_runs_at_several_s_compile_once():
    p = _pinned_problem()
    _simulate(p, ["constant"], lr=0.1, epochs=3, K=2, seeds=2, seed=0, beta=0.5, s=1.0)
    before = engine.traces()
    for s in (0.5, 2.0, "sgd"):
        _simulate(p, ["constant"], lr=0.1, epochs=3, K=2, seeds=2, seed=0, beta=0.5, s=s)
    assert engine.traces() == before
