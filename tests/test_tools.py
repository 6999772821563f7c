"""The measurement tools run: the tuning study behind AutoDrop's defaults and the benchmark
(a smoke test; the benchmark's timings are reported, never asserted)."""

import json
import math
import os

import conftest
import jaxlib
import pytest

from checks import assert_valid_results
from simulations import benchmark, tune_autodrop


def test_tune_autodrop_quick_ranks_candidates_on_tune_only(tmp_path, monkeypatch):
    """The quick search on one TUNE instance (two candidates, one reference, the previous
    round's defaults): the ranking is sorted by the geometric mean of the CR ratio recomputed
    from the rows, and the row is a TUNE instance."""
    monkeypatch.setattr(tune_autodrop, "QUICK_GRID", dict(
        drop_factor=(0.5, 0.7), stage_growth=(1.0,), threshold_z=(0.5,), delay_fraction=(1.0,)))
    assert tune_autodrop.main(["--quick", "--instances", "0", "--out", str(tmp_path / "x")]) == 2
    monkeypatch.setattr(tune_autodrop, "REFERENCE", ("constant",))
    # the previous round's row with every-step averaging: the candidates' compiled program
    monkeypatch.setattr(tune_autodrop, "PREVIOUS", ("autodrop_round1", dict(confirm_wait=False)))
    assert tune_autodrop.main(["--quick", "--instances", "1", "--seeds", "2", "--quiet",
                               "--out", str(tmp_path)]) == 0
    assert_valid_results(tmp_path)
    r = json.loads((tmp_path / "results.json").read_text())
    assert [row["instance"]["split"] for row in r["rows"]] == ["tune"]
    geo = [math.exp(math.log(r["rows"][0]["methods"][x["method"]]["cr_ratio"]))
           for x in r["ranking"]]
    assert geo == pytest.approx([x["geo_mean_cr_ratio"] for x in r["ranking"]], rel=1e-12)
    assert geo == sorted(geo) and len(geo) == 4
    assert tune_autodrop.PREVIOUS[0] in {x["method"] for x in r["ranking"]}


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
    # how XLA compiled is provenance too (the suite sets both: tests/conftest.py)
    assert record["meta"]["xla_flags"] == os.environ.get("XLA_FLAGS")
    assert record["meta"]["jax_disable_most_optimizations"] is conftest.env_flag(
        os.environ.get(conftest.OPTIMISATIONS))
    assert record["meta"]["jaxlib_version"] == jaxlib.__version__
    assert benchmark.main(["--dim", "0"]) == 2
    assert benchmark.main(["--lr", "5", "--out", str(tmp_path)]) == 2   # unstable: refused


def test_every_mutant_still_applies_to_the_code_it_names():
    """Each curated mutant's ``old`` text occurs exactly once in its file (tools/mutants.py):
    a mutant whose code moved would silently stop being checked.  And the check itself refuses
    a mutant whose text is gone."""
    from mutation import check_applies      # tools/ is on sys.path (tests/conftest.py)
    from mutants import MUTANTS
    assert MUTANTS and [m.id for m in MUTANTS if check_applies(m)] == []
    gone = MUTANTS[0]._replace(old="this text is in no file")
    assert "occurs 0 times" in check_applies(gone)
