"""The adaptive-schedule check of every simulated run (docs/theory.md §2d,
simulations/schedule_check.py): the engine's per-seed statistic equals the library's
``adaptive_statistic`` on the realised schedule, the check is consistent on a correct
simulator, and it fails when the simulator's noise is wrong."""

import math

import jax.numpy as jnp
import numpy as np

import simulations as sim
from autodrop_theory import schedule_bounds as SB
from simulations import engine, experiment, problems
from simulations.schedule_check import Z_MAX

ISO = dict(d=50, h=0.5, sigma_sq=0.4)
BUDGET = dict(lr=0.3, epochs=12, steps_per_epoch=8)


def _isotropic(noise_scale=1.0):
    d, h, s2 = ISO["d"], ISO["h"], ISO["sigma_sq"]
    model = problems.default_model(dim=d, mu=h, L=h, sigma_sq=s2, seed=1)
    return problems.QuadraticProblem(model, noise_scale=noise_scale)


def _constant_and_step_decay(problem):
    """constant and step_decay at BUDGET, 64 seeds, float64, the run's rate as the check's
    reference (one compiled program, shared by the tests that run it on ISO's shapes)."""
    ctx = experiment.run_context(problem, BUDGET["lr"], BUDGET["epochs"],
                                 BUDGET["steps_per_epoch"])
    return engine.simulate(problem, experiment.build_methods(["constant", "step_decay"], ctx),
                           epochs=BUDGET["epochs"], steps_per_epoch=BUDGET["steps_per_epoch"],
                           keys=engine.seed_keys(0, 64), dtype=jnp.float64,
                           lr_ref=BUDGET["lr"])


def test_engine_statistic_equals_the_library_on_the_realised_schedule():
    """constant and step_decay never move x outside an SGD step (one segment): the engine's
    in-program float64 accumulation equals adaptive_statistic evaluated on each seed's rates
    (on the default anisotropic quadratic of ISO's dimension)."""
    problem = problems.default_problem(dim=ISO["d"], seed=3)
    out = _constant_and_step_decay(problem)
    m = problem.exact_model
    for name, traj in out.items():
        lrs = np.repeat(traj.lr, BUDGET["steps_per_epoch"], axis=1)
        host = SB.adaptive_statistic(mu=m.mu, L=m.L, sigma_sq=m.sigma_sq, lrs=lrs,
                                     sq_dist_start=float(m.y0 @ m.y0),
                                     sq_dist_end=traj.sq_dist[:, -1], lr_ref=BUDGET["lr"])
        np.testing.assert_allclose(traj.schedule_stat, host, rtol=1e-9, atol=1e-12)
    assert not np.allclose(out["constant"].schedule_stat, out["step_decay"].schedule_stat)


def test_check_is_consistent_on_a_correct_simulator_and_fails_on_a_noisier_one():
    """On the isotropic quadratic the statement is an equality (E S = 0), so doubling the
    simulator's noise variance moves the mean up by a fixed share of the noise budget.  The
    check flags constant, step_decay and autodrop (z > Z_MAX); autodrop_immediate drops early to
    rates whose steps weigh little in the scaled statistic, so the test only requires its z to
    rise by 2 (its power at 64 seeds is lower: measured z 2.4-5.6 across budgets)."""
    names = ["autodrop", "autodrop_immediate", "constant", "step_decay"]
    good = sim.run(_isotropic(), names, seeds=64, **BUDGET).theory["schedule_check"]
    bad = sim.run(_isotropic(math.sqrt(2.0)), names, seeds=64, **BUDGET).theory[
        "schedule_check"]
    for name in names:
        assert good[name]["covered"] and good[name]["consistent"], good[name]
        assert bad[name]["z"] > good[name]["z"] + 2, (good[name], bad[name])
        if name != "autodrop_immediate":
            assert not bad[name]["consistent"], bad[name]


def test_check_says_why_a_run_is_not_covered():
    res = sim.run(_isotropic(), ["constant"], seeds=3, momentum=0.5, **BUDGET)
    c = res.theory["schedule_check"]["constant"]
    assert not c["covered"] and "momentum" in c["why"]
    # lr above 2/(mu + L) = 2 on this problem is unstable, so use an anisotropic one
    res = sim.run(problems.quadratic([0.1, 1.0], [0.1, 0.1], [1.0, 1.0]), ["constant"],
                  seeds=3, lr=1.9, epochs=5, steps_per_epoch=3)
    c = res.theory["schedule_check"]["constant"]
    assert not c["covered"] and "above 2/(mu + L)" in c["why"]


def test_logistic_reshuffling_is_reported_as_not_covered():
    data = problems.logistic.load("wine", 0)
    fit = problems.logistic.fit(data)
    for sampling, covered in (("reshuffle", False), ("replacement", True)):
        p = problems.LogisticProblem(fit, 8, sampling)
        res = sim.run(p, ["constant"], lr=1.0 / p.L, epochs=4, steps_per_epoch=10, seeds=8)
        c = res.theory["schedule_check"]["constant"]
        assert c["covered"] is covered and ("reshuffling" in (c["why"] or "")) != covered
        assert c["consistent"] and c["mean"] < 0


def test_a_corrupted_bound_is_caught():
    """The theorem's noise term halved, evaluated on a correct simulation of the isotropic
    quadratic (where the true statement is an equality): the mean is far above 0."""
    problem = _isotropic()
    traj = _constant_and_step_decay(problem)["constant"]
    m = problem.exact_model
    kw = dict(mu=m.mu, L=m.L, lrs=np.repeat(traj.lr, BUDGET["steps_per_epoch"], axis=1),
              sq_dist_start=float(m.y0 @ m.y0), sq_dist_end=traj.sq_dist[:, -1],
              lr_ref=BUDGET["lr"])
    for scale, ok in ((1.0, True), (0.5, False)):
        s = SB.adaptive_statistic(sigma_sq=m.sigma_sq * scale, **kw)
        assert bool(s.mean() / (s.std(ddof=1) / math.sqrt(s.size)) <= Z_MAX) is ok
