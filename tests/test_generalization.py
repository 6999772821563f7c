"""The generalization study: the instance generator keeps its documented ranges and split, the
per-instance numbers agree with the exact theory, the summary statistics are what they say,
and the command runs end to end (small)."""

import json
import math

import numpy as np
import pytest

from autodrop_theory import AssumptionError, angular
from checks import assert_valid_results
from simulations import generalization, instance_study, instances


@pytest.fixture(scope="module")
def drawn():
    return {s: instances.instances(s, 150) for s in ("tune", "test")}


def test_instances_are_reproducible_and_refuse_bad_arguments():
    a, b = instances.draw("test", 7), instances.draw("test", 7)
    assert a.record() == b.record() and np.array_equal(a.y0, b.y0)
    with pytest.raises(AssumptionError, match="split"):
        instances.draw("train", 0)
    with pytest.raises(AssumptionError, match="index"):
        instances.draw("test", -1)


def test_instances_keep_their_documented_ranges_and_split(drawn):
    for split, insts in drawn.items():
        spectra, noises, inits = instances.SPLITS[split]
        for i in insts:
            assert i.spectrum in spectra and i.noise in noises and i.init in inits
            assert 2 <= i.dim <= 10 ** 4 and 1 <= i.steps_per_epoch <= 400
            assert 20 <= i.epochs <= 2000 and 0.05 <= i.lr <= 1.9
            assert i.dim * i.steps_per_epoch * i.epochs <= instances.STEP_BUDGET
            h, c = i.hessian_eigs, i.noise_var
            assert h.max() == pytest.approx(1.0) and h.min() > 0 and c.sum() == pytest.approx(1.0)
            # the flattest direction's budget: mu from tau, clipped, as documented
            lr_t = i.lr / (1 - i.momentum) * i.epochs * i.steps_per_epoch
            assert 5 <= i.tau <= 500
            assert i.mu_target == pytest.approx(min(0.1, max(1e-5, i.tau / lr_t)))
            if i.spectrum == "logspaced" and i.dim > 1:
                assert h.min() == pytest.approx(i.mu_target)
            elif i.spectrum == "powerlaw":
                assert h.min() >= i.mu_target * (1 - 1e-12)
            else:     # 10% log-normal jitter, renormalised to max 1 (at small d the flat
                assert h.min() >= 0.3 * i.mu_target     # cluster can be empty)
            floor = np.sum(i.lr * c / (h * (2 - i.lr * h)))
            assert 10 * (1 - 1e-9) <= (i.y0 @ i.y0) / floor <= 1e4 * (1 + 1e-9)
            support = np.flatnonzero(i.y0)
            order = np.argsort(h, kind="stable")
            n = max(1, i.dim // 10)
            if i.init == "flat":
                assert set(support) <= set(order[:n])
            elif i.init == "stiff":
                assert set(support) <= set(order[-n:])
    # power-law spectra and low-rank noise are seen only on TEST, and TEST does see them
    test = drawn["test"]
    assert {i.spectrum for i in test} == set(instances.SPECTRA)
    assert {i.noise for i in test} == set(instances.NOISES)
    assert {i.momentum for i in test} == {0.0, instances.MOMENTUM}


def test_constant_cr_ratio_agrees_with_the_exact_theory():
    """run_instance's CR ratio for ``constant`` on a TEST instance against docs/theory.md §2c
    (the exact E||x_T||^2 over the same Cramer-Rao limit): within 4 standard errors of the mean
    over 64 seeds (the SE from the seeds' spread)."""
    inst = next(i for i in instances.instances("test", 40)
                if i.momentum == 0 and i.dim * i.epochs <= 2e5)
    # with the oracle (one family with constant) and in float64: the program of the command
    # run in test_command_end_to_end below, on the same instance
    out = instance_study.run_instance(inst, ["constant", "oracle"], seeds=64, seed=0, x64=True)
    cr, _ = instance_study.limits(inst)
    exact = angular.expected_sq_dist(inst.hessian_eigs, inst.noise_var, inst.y0,
                                     [inst.lr] * inst.epochs, inst.steps_per_epoch)[-1] / cr
    sd = out["constant"]["cr_ratio_sd"]
    assert abs(out["constant"]["cr_ratio"] - exact) <= 4 * sd / math.sqrt(64), (out, exact)
    # the check has power: twice the noise (four times the floor's share) is far outside
    assert exact > 0 and 4 * sd / math.sqrt(64) < 0.5 * exact


def _rows(a, avg, oracle, inits):
    return [{"instance": {"init": init},
             "methods": {"a": {"cr_ratio": x, "f_ratio": x, "diverged": 0},
                         "averaged": {"cr_ratio": y, "f_ratio": y, "diverged": 0},
                         "oracle": {"cr_ratio": z, "f_ratio": z, "diverged": 0},
                         "peer": {"cr_ratio": 2 * y, "f_ratio": 2 * y, "diverged": 0}}}
            for x, y, z, init in zip(a, avg, oracle, inits)]


def test_summary_statistics_are_what_they_say():
    rng = np.random.default_rng(1)
    avg = rng.uniform(1, 10, 40)
    inits = ["flat" if k % 2 else "isotropic" for k in range(40)]
    rows = _rows(avg / 2, avg, avg, inits)
    s = instance_study.summarize(rows, ["a", "averaged", "oracle", "peer"],
                                 {"peer": True, "a": False, "averaged": False, "oracle": False})
    a = s["methods"]["a"]
    assert s["best_peer"] == "peer" and s["flat_instances"] == 20
    assert a["cr_median"] == pytest.approx(np.median(avg / 2))
    assert a["cr_p90"] == pytest.approx(np.quantile(avg / 2, 0.9))
    lo, hi = a["cr_median_ci"]
    assert lo <= a["cr_median"] <= hi and lo < hi
    assert a["wins_vs_averaged"] == 1.0 and a["wins_vs_best_peer"] == 1.0
    assert a["flat_gain_vs_averaged"] == pytest.approx(2.0)
    assert a["within_1.5_oracle"] == 1.0 and s["methods"]["peer"]["within_1.5_oracle"] == 0.0
    # a diverged run is an infinite ratio: a loss, never a win
    rows[0]["methods"]["a"]["cr_ratio"] = math.inf
    s = instance_study.summarize(rows, ["a", "averaged", "oracle"], {})
    assert s["methods"]["a"]["wins_vs_averaged"] == pytest.approx(39 / 40)


def test_command_end_to_end(tmp_path):
    assert generalization.main(["--instances", "0", "--out", str(tmp_path / "x")]) == 2
    assert generalization.main(["--split", "train", "--out", str(tmp_path / "x")]) == 2
    # constant and the oracle are one method family: one compiled program (AutoDrop's runs in
    # tests/test_tools.py and the README's block); instance 1 with 64 seeds in float64 is the
    # run of test_constant_cr_ratio_agrees_with_the_exact_theory, so that program is reused
    assert generalization.main(["--quick", "--instances", "1", "--start", "1", "--seeds", "64",
                                "--x64", "--methods", "constant,oracle", "--quiet",
                                "--out", str(tmp_path)]) == 0
    assert_valid_results(tmp_path)
    r = json.loads((tmp_path / "results.json").read_text())
    assert [row["instance"]["index"] for row in r["rows"]] == [1]
    assert {row["instance"]["split"] for row in r["rows"]} == {"test"}
    assert set(r["summary"]["methods"]) == {"constant", "oracle"}
    assert (tmp_path / "generalization.pdf").exists() and (tmp_path / "generalization.png").exists()
