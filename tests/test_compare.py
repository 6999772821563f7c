"""`python -m simulations.compare`: the study end to end (small), and its failure flags."""

import json

from simulations import compare
from checks import assert_redraws, assert_valid_results


def test_failure_flags():
    assert compare.failure("constant", None, 0.0, 5) == ""          # not automatic
    assert compare.failure("pflug", None, 0.0, 5) == "never"
    assert compare.failure("pflug", 10.0, 0.4, 5) == "never"         # most seeds never drop
    assert compare.failure("pflug", 1.0, 1.0, 9) == "early"          # before half the oracle's
    assert compare.failure("autodrop", 30.0, 1.0, 9) == "late"
    assert compare.failure("autodrop", 12.0, 1.0, 9) == ""


def test_compare_command_small(tmp_path):
    argv = ["--quick", "--epochs", "12", "--seeds", "2", "--quiet",
            "--methods", "autodrop,oracle,constant", "--no-figures", "--out", str(tmp_path)]
    assert compare.main(argv) == 0
    r = json.loads((tmp_path / "results.json").read_text())
    assert len(r["rows"]) == 2 * 3
    assert set(r["summary"]) == {"autodrop", "oracle", "constant"}
    # the ratio and its CI are in the same units (one Cramer-Rao limit per setting)
    assert all(row["ci"][0] <= row["cramer_rao_ratio"] <= row["ci"][1] for row in r["rows"])
    assert_redraws(tmp_path, expected=["compare"])
    assert_valid_results(tmp_path)


def test_compare_refuses_flags_it_sets_itself(tmp_path, capsys):
    assert compare.main(["--dim", "5", "--out", str(tmp_path / "x")]) == 2
    assert "unrecognized arguments: --dim" in capsys.readouterr().err
    assert "--dim" not in compare._parser().format_help()       # not offered either
    assert not (tmp_path / "x").exists()
