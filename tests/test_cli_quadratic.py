"""`python -m simulations.quadratic` end to end: results.json per docs/results.md, and bad input."""

import json
import subprocess
import sys

import numpy as np
import pytest

from simulations import methods, quadratic
from checks import assert_redraws, assert_refused, assert_valid_results

# Every method through main() at the budget, shapes and dtype of tests/test_methods.py's
# every-method run (d = 20, E = 40, K = 10, 8 seeds, float64): one compiled program serves both
# files (the float32 default is checked on the real entry point below).
SMALL = ["--quick", "--epochs", "40", "--seeds", "8", "--dim", "20", "--x64", "--quiet"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("quad")
    assert quadratic.main(SMALL + ["--out", str(out), "--methods", "all"]) == 0
    return out


def test_results_json_follows_the_spec(run_dir):
    r = json.loads((run_dir / "results.json").read_text())
    assert set(r) == {"problem", "methods", "theory", "meta"}
    p = r["problem"]
    E, K, S = p["epochs"], p["steps_per_epoch"], p["seeds"]
    assert (E, S, p["dim"]) == (40, 8, 20)
    for key in ("name", "mu", "L", "hessian_eigs", "noise_var", "y0"):
        assert key in p
    assert len(p["hessian_eigs"]) == len(p["noise_var"]) == len(p["y0"]) == 20
    assert set(r["methods"]) == set(methods.available())
    for name, m in r["methods"].items():
        assert m["iterations"] == [n * K for n in range(E + 1)]
        assert len(m["lr"]) == E
        assert len(m["mean_sq_dist"]) == len(m["suboptimality"]) == len(m["angle_deg"]) == E + 1
        assert m["angle_deg"][:2] == [None, None]
        if name in ("autodrop", "constant", "step_decay"):     # rates that keep the iterate moving
            assert None not in m["angle_deg"][2:]
        lo, hi = np.array(m["mean_sq_dist_ci"], dtype=float).T
        assert np.all(lo <= np.array(m["mean_sq_dist"])) and np.all(np.array(m["mean_sq_dist"]) <= hi)
        assert len(m["drop_epochs"]) == S
        assert set(m["final"]) >= {"mean_sq_dist", "ci", "suboptimality", "cramer_rao_ratio"}
        # the ratio is the final error over the Cramer-Rao limit at T that the theory reports
        assert m["final"]["cramer_rao_ratio"] == pytest.approx(
            m["final"]["mean_sq_dist"] / r["theory"]["cramer_rao"][-1], rel=1e-9)
    t = r["theory"]
    assert len(t["cramer_rao"]) == len(t["constant_step_bound"]) == E + 1
    assert t["cramer_rao"][0] is None
    assert len(t["predicted_angle_deg"]) == E + 1 and t["predicted_angle_deg"][:2] == [None, None]
    meta = r["meta"]
    for key in ("package_version", "git_commit", "jax_version", "x64", "seed", "wall_seconds",
                "command"):
        assert key in meta
    assert meta["x64"] is True and meta["seed"] == 0
    assert_valid_results(run_dir)


def test_figures_written_as_pdf_and_png_and_redrawn_from_results(run_dir):
    for stem in ("error_vs_iterations", "angle_vs_epoch", "lr_vs_iterations", "drop_times"):
        assert (run_dir / f"{stem}.pdf").stat().st_size > 1000
        assert (run_dir / f"{stem}.png").stat().st_size > 1000
    assert not [p for p in run_dir.iterdir() if p.name.startswith(".partial")]
    assert_redraws(run_dir)


def test_same_seed_reproduces_the_numbers(run_dir, tmp_path):
    assert quadratic.main(SMALL + ["--out", str(tmp_path), "--methods", "all",
                                   "--no-figures"]) == 0
    a = json.loads((run_dir / "results.json").read_text())["methods"]
    b = json.loads((tmp_path / "results.json").read_text())["methods"]
    assert a == b


@pytest.mark.parametrize("argv, needle", [
    (["--dim", "-3"], "--dim: need an integer >= 1, got '-3'"),
    (["--lr", "2.5"], "--lr: need lr * h_i < 2 for every Hessian eigenvalue"),
    (["--lr", "nan"], "--lr: need a number in [1.2e-38, 3.4e38]"),
    (["--seeds", "1"], "--seeds: need an integer >= 2"),
    (["--epochs", "2"], "--epochs: need an integer >= 3"),
    (["--methods", "autodrop,nope"], "--methods: unknown method 'nope'"),
    (["--mu", "2", "--L", "1"], "--mu: need mu <= L = 1, got 2"),
    (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["--seed", "18446744073709551616"], "--seed: need an integer in [0, 2**32)"),
    (["--out", ""], "--out: need a folder name"),
    (["--out", "/proc/x"], "--out: cannot write under '/proc'"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(argv, needle, tmp_path, capsys):
    assert_refused(quadratic.main, argv, needle, tmp_path, capsys)


def test_module_runs_as_a_command(tmp_path):
    """The real entry point, as a user types it (quick mode, smaller to keep the suite short):
    exit status, the table and results.json.  One method family (constant): the process
    compiles its own program (it runs without the suite's x64 mode, so the programs of the
    in-process runs are not its), and every method's run through main() is checked on
    ``run_dir``."""
    proc = subprocess.run([sys.executable, "-m", "simulations.quadratic", "--quick", "--epochs",
                           "12", "--seeds", "4", "--dim", "8", "--methods", "constant",
                           "--no-figures", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "CR ratio" in proc.stdout and (tmp_path / "results.json").exists()
    r = json.loads((tmp_path / "results.json").read_text())
    assert r["meta"]["x64"] is False                  # float32 unless --x64
    bad = subprocess.run([sys.executable, "-m", "simulations.quadratic", "--lr", "-1"],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_out_naming_a_file_is_refused_before_running(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    for out in (f, f / "sub"):
        assert quadratic.main(["--out", str(out)]) == 2
        assert "--out:" in capsys.readouterr().err
    assert f.read_text() == "x"


def test_a_diverged_method_is_marked_where_its_curve_ends(run_dir, tmp_path):
    """A method whose seeds diverged (its mean becomes null in results.json from the divergence
    on) ends in a cross, and its legend entry says how many seeds diverged."""
    from simulations import figures
    from simulations.results import Results
    from checks import checked_figures
    res = Results.load(run_dir)
    m = res.methods["constant"]
    E = len(m["mean_sq_dist"]) - 1
    m["diverged_seeds"] = 3
    m["mean_sq_dist"] = m["mean_sq_dist"][:E // 2] + [None] * (E + 1 - E // 2)
    m["mean_sq_dist_ci"] = m["mean_sq_dist_ci"][:E // 2] + [[None, None]] * (E + 1 - E // 2)
    with checked_figures() as captured:
        figures.error_vs_iterations(tmp_path, res.methods, res.theory,
                                    seeds=res.problem["seeds"])
    fig, problems = captured["error_vs_iterations"]
    assert problems == []
    labels = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert "constant (diverged 3/8)" in labels
    ax = fig.axes[0]
    crosses = [ln for ln in ax.lines if ln.get_marker() == "X"]
    assert len(crosses) == 1
    it = np.asarray(m["iterations"], float)
    assert crosses[0].get_xdata()[0] == it[E // 2 - 1]      # the last finite mean


def test_the_figure_checker_finds_small_text_a_legend_over_data_and_overlapping_labels():
    import matplotlib.pyplot as plt
    from checks import figure_problems
    fig, ax = plt.subplots(layout="constrained")
    ax.plot(np.arange(10), np.arange(10), label="data")
    assert figure_problems(fig) == []
    ax.legend(loc="center")                         # over the line through the middle
    ax.set_title("tiny", fontsize=4.5)
    ax.text(2, 2, "first label")
    ax.text(2.1, 2.05, "second label")
    found = " | ".join(figure_problems(fig))
    assert "legend over the data" in found and "'tiny' at 4.5 pt" in found
    assert "'first label' and 'second label' overlap" in found
    plt.close(fig)
