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


def test_benchmark_runs(capsys, tmp_path, monkeypatch):
    """One tiny setting: the table and benchmark.json, every timing positive, the three
    simulations of one experiment agreeing (z of the final mean error), one compilation for
    the sweep (shrunk here to keep the test short)."""
    monkeypatch.setattr(benchmark, "PRNG_IMPLS", ("philox4x32",))
    monkeypatch.setattr(benchmark, "sweep_compile", lambda seed: {
        "points": 0, "first_call_s": 0.0, "second_call_s": 0.0, "compiled_programs": 1})
    assert benchmark.main(["--dim", "5", "--seeds", "40", "--epochs", "4",
                           "--steps-per-epoch", "3", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "numpy/steps" in out and "steps/rng" in out
    record = json.loads((tmp_path / "benchmark.json").read_text())
    (row,) = record["settings"]
    assert (row["dim"], row["steps_per_epoch"], row["seeds"], row["epochs"]) == (5, 3, 40, 4)
    assert all(row[k] > 0 for k in ("numpy_s", "steps_s", "exact_s", "rng_s"))
    assert abs(row["steps_vs_numpy_z"]) <= 4 and abs(row["exact_vs_numpy_z"]) <= 4
    assert record["meta"]["prng_impl"] == "philox4x32"
    assert benchmark.main(["--dim", "0"]) == 2
    assert benchmark.main(["--lr", "5", "--out", str(tmp_path)]) == 2   # unstable: refused
