"""Crash safety of the outputs (simulations.results.write_outputs): a run killed with -9 at any
point leaves no results.json of its own, and the staging folder it leaves behind is removed by
the next write into the same folder."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

from simulations.results import remove_stale_staging, write_outputs

WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from simulations.results import write_outputs

    def figures(tmp):
        paths = []
        for k in range(6):                     # a slow figure writer: 6 files, 0.15 s apart
            p = Path(tmp) / f"fig{k}.png"
            p.write_bytes(b"x" * 1000)
            paths.append(p)
            time.sleep(0.15)
        return paths

    print("ready", flush=True)
    write_outputs(sys.argv[1], {"meta": {"done": True}}, figures)
""")


def _dead_pid():
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid += 1


def test_a_stale_staging_folder_is_removed_by_the_next_write(tmp_path):
    stale = tmp_path / f".partial-{_dead_pid()}-abc"
    stale.mkdir()
    (stale / "results.json").write_text("{")
    live = tmp_path / f".partial-{os.getpid()}-def"     # a live writer's folder stays
    live.mkdir()
    write_outputs(tmp_path, {"meta": {}})
    assert not stale.exists() and live.exists()
    assert json.loads((tmp_path / "results.json").read_text()) == {"meta": {}}
    assert remove_stale_staging(tmp_path) == []


def test_killed_at_random_points_leaves_no_results_and_the_next_run_cleans_up(tmp_path):
    """Three kills at uniformly random times inside the ~0.9 s write (fixed seed)."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent.parent))
    staged = 0
    for k, delay in enumerate(np.random.default_rng(0).uniform(0.05, 0.8, 3)):
        out = tmp_path / f"run{k}"
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(out)], env=env,
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not (out / "results.json").exists(), f"kill at {delay:.2f} s left results.json"
        left = list(out.glob(".partial-*"))
        staged += bool(left)
        write_outputs(out, {"meta": {"next": k}})
        assert not list(out.glob(".partial-*")), f"{left} survived the next write"
        assert json.loads((out / "results.json").read_text()) == {"meta": {"next": k}}
    assert staged >= 2, "the kills must land while the run is staging its outputs"


def test_a_redraw_moves_its_figures_in_only_when_every_one_is_drawn(tmp_path, monkeypatch):
    """``python -m simulations.figures`` draws into a staging folder (write_outputs): a redraw
    that fails at its third figure leaves nothing (not even the output folder it created); a
    complete one fills it."""
    import pytest
    from checks import RESULTS_RUN

    from simulations import figures
    out = tmp_path / "out"

    def broken(*args, **kwargs):
        raise OSError("disk full")
    real = figures.lr_vs_iterations
    monkeypatch.setattr(figures, "lr_vs_iterations", broken)
    with pytest.raises(OSError, match="disk full"):
        figures.main([str(RESULTS_RUN), "--out", str(out)])
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(figures, "lr_vs_iterations", real)
    assert figures.main([str(RESULTS_RUN), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{stem}.{ext}" for stem in ("error_vs_iterations", "angle_vs_epoch",
                                     "lr_vs_iterations", "drop_times") for ext in ("pdf", "png"))
