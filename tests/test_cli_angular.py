"""`python -m simulations.angular` end to end, and the calibrated threshold."""

import json

import numpy as np
import pytest

from autodrop_theory import AssumptionError, angular
from autodrop_theory.rule import AutoDropConfig, calibrated_threshold_deg, init
from simulations import angular as angular_cli
from checks import assert_redraws, assert_valid_results

import jax.numpy as jnp


def test_angular_command_writes_results_and_figure(tmp_path, monkeypatch):
    monkeypatch.setattr(angular_cli, "DIMS", (10, 100))     # two dims keep it short
    # 40 epochs and 32 seeds: the main run has the shapes of the fluctuation study at d = 100
    # (STATIONARY_EPOCHS, 4 x 8 seeds), so the command compiles one program fewer
    assert angular_cli.STATIONARY_EPOCHS == 40
    argv = ["--quick", "--epochs", "40", "--seeds", "32", "--quiet", "--no-figures",
            "--out", str(tmp_path)]
    assert angular_cli.main(argv) == 0
    r = json.loads((tmp_path / "results.json").read_text())
    th = r["theory"]
    assert [f["dim"] for f in th["fluctuations_vs_d"]] == list(angular_cli.DIMS)
    for p in th["stationary_vs_kappa"]["points"]:
        assert abs(p["mean"] - p["theory"]) <= 4 * p["se"]   # z-test, 4 standard errors
    t = th["threshold"]
    assert t["published_fire_probability_per_epoch"] < 1e-2 < t["calibrated_fire_probability_per_epoch"]
    # milestones int(40/3) = 13 and int(80/3) = 26: the drops come at the end of 12 and 25
    assert r["methods"]["step_decay"]["drop_epochs"][0] == [12, 25]
    assert_redraws(tmp_path, expected=["angular"])
    assert_valid_results(tmp_path)


def test_angular_command_rejects_bad_drop_factor(tmp_path, capsys):
    assert angular_cli.main(["--drop-factor", "1.5", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "--drop-factor: need a number in (0, 1)" in err and err.count("\n") == 1
    assert not (tmp_path / "x").exists()


def test_calibrated_threshold_is_the_4e_reference_scaled_by_one_over_sqrt_d():
    ref = angular.stationary_fluctuations(np.ones(400), np.ones(400), 1.0, 1)["change_sd_deg"]
    assert calibrated_threshold_deg(400, 1.0) == pytest.approx(ref, rel=1e-12)
    assert calibrated_threshold_deg(100, 0.25) == pytest.approx(0.25 * ref * 2, rel=1e-12)
    with pytest.raises(AssumptionError, match="z: need a value in"):
        calibrated_threshold_deg(10, 0.0)


def test_calibrated_config_resolves_at_init():
    cfg = AutoDropConfig(lr=0.1, threshold_deg=None, max_threshold_deg=None, threshold_z=0.5)
    s = init(jnp.zeros(64), cfg)
    assert float(s.theta) == pytest.approx(calibrated_threshold_deg(64, 0.5))
    assert float(s.theta_max) == pytest.approx(5 * float(s.theta))
    # a cap below the calibrated theta_0 leaves theta at theta_0 (no growth), no error
    s = init(jnp.zeros(4), AutoDropConfig(threshold_deg=None, max_threshold_deg=0.1))
    assert float(s.theta_max) == float(s.theta) == pytest.approx(calibrated_threshold_deg(4))
    with pytest.raises(AssumptionError, match="threshold_z"):
        AutoDropConfig(threshold_deg=None, threshold_z=-1.0)
