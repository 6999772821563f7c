"""The measurement tools run: the tuning study behind AutoDrop's defaults and the benchmark
(a smoke test; the benchmark's timings are reported, never asserted)."""

import json

from checks import assert_valid_results
from simulations import benchmark, tune_autodrop


def test_tune_autodrop_quick_ranks_candidates(tmp_path, monkeypatch):
    monkeypatch.setattr(tune_autodrop, "QUICK_SETUPS", [(10, 5, 60)])
    assert tune_autodrop.main(["--quick", "--lr", "1e9", "--out", str(tmp_path / "x")]) == 2
    assert tune_autodrop.main(["--quick", "--seeds", "4", "--quiet", "--out", str(tmp_path)]) == 0
    assert_valid_results(tmp_path)
    r = json.loads((tmp_path / "results.json").read_text())
    ratios = [sum(c["cr_ratios"]) for c in r["candidates"]]
    assert ratios == sorted(ratios) and len(r["candidates"]) == 4
    assert set(r["baselines"]["d=10,K=5,E=60"]) == {"constant", "step_decay"}


def test_benchmark_runs(capsys):
    assert benchmark.main(["--dim", "5", "--seeds", "3", "--epochs", "4",
                           "--steps-per-epoch", "3"]) == 0
    out = capsys.readouterr().out
    assert "speed ratio numpy / jax" in out
    assert benchmark.main(["--dim", "0"]) == 2
    assert benchmark.main(["--lr", "5"]) == 2          # unstable: refused, not a nan timing
