"""``python -m simulations.paper``: its verdict logic on corrupted inputs, a small in-process run
of its pieces (the saturation agreement on the paper's NQM), its results.json against the
schema (docs/results.schema.json, "the paper study"), and, on the same run's convex part,
Theorem 5.1's corrected bound against simulation (simulations.convex_bound)."""

import copy
import json

import jax.numpy as jnp
import numpy as np
import pytest

from autodrop_theory import AssumptionError
from autodrop_theory.paper import claims as theory_claims
from simulations import convex_bound as convex_study, engine, experiment, paper
from simulations import paper_checks as pc
from simulations.problems import convex
from simulations.results_check import check


@pytest.fixture(scope="module")
def small():
    """The whole study at a small size (8 seeds, 600 iterations; the convex part 6 seeds, 16
    epochs), float32 as by default."""
    return paper.run(seeds=8, iterations=600, seed=3, convex_size=dict(seeds=6, epochs=16))


def test_saturation_check_rejects_a_shifted_level():
    """Synthetic per-iteration angles around 100 deg (sd 5): agreement with 100 passes; the
    same angles shifted by 10 standard errors fail the 4-SE check."""
    rng = np.random.default_rng(0)
    ang = 100 + 5 * rng.standard_normal((16, 400))
    ok = pc.saturation(ang, 200, 100.0, 100.0)
    assert ok["agrees"] and abs(ok["z"]) < 4
    shifted = pc.saturation(ang + 10 * ok["se_deg"], 200, 100.0, 100.0)
    assert not shifted["agrees"] and shifted["z"] > 9
    bad = ang.copy()
    bad[0, 300] = np.nan                       # a diverged seed is not an agreement
    assert not pc.saturation(bad, 200, 100.0, 100.0)["agrees"]
    with pytest.raises(AssumptionError, match="^start: need"):
        pc.saturation(ang, 399, 100.0, 100.0)


def test_model12_fit_recovers_and_rejects():
    """Data drawn from eq. (12) with known gamma, eps give them back within 4 fit SE and are
    described; a curve of another shape (an exponential rise) is not."""
    rng = np.random.default_rng(1)
    t = np.arange(1, 3000, dtype=float)
    se = np.full(t.size, 0.3)
    y = pc.model12(t, 2.0, 4.0, 0.01) + se * rng.standard_normal(t.size)
    fit = pc.fit_model12(t, y, se, 0.01)
    assert abs(fit["gamma"] - 2.0) < 4 * fit["gamma_se"]
    assert abs(fit["eps"] - 4.0) < 4 * fit["eps_se"]
    assert fit["describes"]
    other = 94 * (1 - np.exp(-t / 100)) + se * rng.standard_normal(t.size)
    assert not pc.fit_model12(t, other, se, 0.01)["describes"]


def test_schedule_conditions_report_a_violating_schedule():
    """Lemma 12.1's schedule (alpha_hat_i = 1/(i+2), k_i = ceil(2 (i+2))) satisfies (10) with
    constants that do not grow; a constant rate ending the run (a floor) and a schedule with a
    rate above 1/(i+2) are reported as violating."""
    good = np.concatenate([np.full(int(np.ceil(2 * (i + 2))), 1 / (i + 2)) for i in range(40)])
    g = pc.schedule_conditions(good)
    assert g["full"]["holds"] and g["bounded"] and g["kappa2_growth"] < 1.5
    assert g["full"]["kappa1"] >= 2 - 1e-12
    floor = np.r_[np.full(10, 0.4), np.full(10, 0.2), np.full(2000, 0.1)]
    f = pc.schedule_conditions(floor, floor=0.1)
    assert f["ends_at_floor"] and not f["bounded"] and f["kappa2_growth"] > 1.5
    assert 0 < f["t_star"] < floor.size
    high = np.r_[np.full(5, 0.4), np.full(50, 0.39)]       # alpha_hat_1 = 0.39 > 1/3
    assert not pc.schedule_conditions(high)["full"]["rate_ok"]
    with pytest.raises(AssumptionError, match="^lrs: need"):
        pc.stages_of([0.1, -0.1])


def _levels(shift=0.0):
    lv = {0.06: 118.0, 0.03: 103.0, 0.01: 94.0, 0.001: 90.4 + shift}
    return {a: {"level_deg": v, "se_deg": 0.05, "exact_mean_deg": v} for a, v in lv.items()}


def test_p_verdicts_follow_the_measurements():
    times = {0.06: {"iteration": 5, "ci": [4, 6]}, 0.03: {"iteration": 10, "ci": [9, 11]},
             0.01: {"iteration": 30, "ci": [28, 33]}, 0.001: {"iteration": 300, "ci": [280, 320]}}
    flat = {a: {"before": 0.01, "after": 0.0, "after_se": 1e-6} for a in times}
    v = pc.p_verdicts(_levels(), times, flat, None)
    assert v["nqm.P2.i"][0] == v["nqm.P2.ii"][0] == v["nqm.P2.iii"][0] == v["nqm.P1"][0] == "holds"
    assert v["nqm.P2.iv"][0] == "holds_corrected"            # 90.4 +- 0.05 is not 90
    assert pc.p_verdicts(_levels(-0.4), times, flat, None)["nqm.P2.iv"][0] == "holds"
    probe = {"rate": 0.09, "level_deg": 139.0, "se_deg": 0.05}
    assert pc.p_verdicts(_levels(), times, flat, probe)["nqm.P2.i"][0] == "holds_corrected"
    swapped = times | {0.03: {"iteration": 2, "ci": [1, 3]}}
    assert pc.p_verdicts(_levels(), swapped, flat, None)["nqm.P2.iii"][0] == "false"
    out_of_order = _levels() | {0.01: {"level_deg": 104.0, "se_deg": 0.05}}
    assert pc.p_verdicts(out_of_order, times, flat, None)["nqm.P2.ii"][0] == "false"
    moving = flat | {0.001: {"before": 0.01, "after": -1e-3, "after_se": 1e-5}}
    assert pc.p_verdicts(_levels(), times, moving, None)["nqm.P1"][0] == "false"


def test_the_small_run_agrees_with_the_exact_levels_and_keeps_every_claim_id(small):
    stationary = 0
    for sigma, block in small["nqm"].items():
        for rate, r in block["rates"].items():
            sat = r["saturation"]
            if sat["transient_gap_deg"] < 0.25 * sat["se_deg"]:   # the window is stationary
                assert sat["agrees"], (sigma, rate, sat)
                stationary += 1
            else:                # 600 iterations: alpha = 0.001 is still rising (exact theory)
                assert float(rate) == 0.001
    assert stationary >= 8
    ids = [c["id"] for c in small["claims"]]
    assert set(c["id"] for c in theory_claims()) <= set(ids) and len(ids) == len(set(ids))
    fields = set(theory_claims()[0])
    assert all(fields <= set(c) for c in small["claims"])
    assert max(small["methods"]["autodrop_uai_printed"]["drops"]) == 0
    # Theorem 5.1's corrected bound on the convex problems: every step-wise method, three s
    rows = small["convex"]["rows"]
    assert {r["method"] for r in rows} == set(paper.CONVEX_METHODS)
    assert len({r["um_s_name"] for r in rows}) == 3
    sim = next(c for c in small["claims"] if c["id"] == "thm5.1.simulated")
    assert sim["verdict"] == ("holds" if all(r["holds"] for r in rows) else "false")


def test_results_json_validates_and_a_corrupted_one_is_refused(small, tmp_path):
    from simulations.provenance import metadata
    from simulations.results import Results
    blocks = dict(small)
    blocks["meta"] = metadata(blocks.pop("config"), 3, False, 0.0)
    from checks import assert_redraws
    Results(blocks).save(tmp_path)     # results.json only: the figures are drawn once, below
    doc = json.loads((tmp_path / "results.json").read_text())
    check(doc)
    # every figure the study draws (Figures 1 per Sigma, 2, 4, 5), from results.json alone,
    # house style
    assert_redraws(tmp_path, ["paper_fig1_identity", "paper_fig1_inverse_a", "paper_fig2",
                              "paper_fig4", "paper_fig5"])
    for damage, field in ((lambda d: d["claims"][0].update(verdict="maybe"), "claims.0"),
                          (lambda d: d["nqm"]["identity"].pop("rates"), "nqm.identity"),
                          (lambda d: d["methods"].pop("halving"), "methods"),
                          (lambda d: d["convex"].pop("rows"), "convex")):
        bad = copy.deepcopy(doc)
        damage(bad)
        with pytest.raises(AssumptionError, match="^" + field.replace(".", r"\.")):
            check(bad)


# ------------------------------------------------- the convex part (simulations.convex_bound)
@pytest.fixture(scope="module")
def study(small):
    """Theorem 5.1's corrected bound on the convex problems: the convex part of the small run
    (6 seeds, 16 epochs; the same blocks ``python -m simulations.convex_study`` writes)."""
    return small["convex"]


def test_the_corrected_bound_holds_on_every_problem_method_and_s(study):
    rows = study["rows"]
    assert {(r["problem"], r["method"], r["um_s_name"]) for r in rows} == {
        (p, m, s) for p in convex_study.SETUPS for m in convex_study.STEPWISE
        for s, _ in convex_study.S_VALUES}
    for r in rows:
        assert not r["diverged"] and r["holds"], r
        assert r["ratio"] == r["min_gap_ci"][1] / r["bound"]
        assert r["covered_by_theorem"] == (r["method"] not in convex_study.ADAPTIVE)
    assert study["tightest_ratio"] == max(r["ratio"] for r in rows) < 1


def test_a_corrupted_bound_is_rejected_by_the_same_check(study):
    """The bound divided by 100, or evaluated with G / 10 and no noise, fails on some row."""
    rows = study["rows"]
    assert not all(convex_study.check_row(r["min_gap_ci"][1], r["bound"] / 100) for r in rows)
    p = convex.abs_sum()
    setup = convex_study.SETUPS["abs_sum"]
    ms = experiment.build_methods(["constant"], experiment.run_context(p, setup["lr"], 16,
                                                                        setup["K"]))
    traj = engine.simulate(p, ms, epochs=16, steps_per_epoch=setup["K"],
                           keys=engine.seed_keys(0, 6), momentum=convex_study.BETA,
                           um_s="nesterov", dtype=jnp.float64)["constant"]
    honest = convex_study.rows_for("abs_sum", p.constants(), traj, "constant", "nesterov", 1.0,
                                   setup["K"])
    wrong = convex_study.rows_for("abs_sum", p.constants() | {"G": p.constants()["G"] / 10,
                                                              "noise": 0.0},
                                  traj, "constant", "nesterov", 1.0, setup["K"])
    assert honest["holds"] and not wrong["holds"]


def test_the_figure_is_drawn_from_the_results_alone(study, tmp_path):
    import json
    again = json.loads(json.dumps(study))             # what results.json holds
    paths = convex_study.draw(again, tmp_path)
    assert [p.suffix for p in paths] == [".pdf", ".png"] and all(p.stat().st_size for p in paths)
