"""Results: the per-method blocks of results.json computed from trajectories, and the
:class:`Results` object that holds a whole run, writes results.json (docs/results.md) atomically
and loads it back.  Figures are drawn from a :class:`Results` alone (:mod:`.figures`), so any
saved run can be redrawn: ``python -m simulations.figures DIR/results.json``
(:func:`simulations.figures.save` writes a run with its figures).

Beyond the per-boundary means, each method block keeps what the figures need: every seed's drop
epochs, seed 0's angle and rate per epoch (``seed0``), the 10% and 90% quantiles of the rate
across seeds (``lr_q10``, ``lr_q90``) and, where the problem has an angle theory, the
deterministic-equivalent angle for seed 0's schedule (``angle_theory_seed0``) and the stationary
angle at each rate it used (``stationary_levels_deg``).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from autodrop_theory.errors import AssumptionError

from .engine import Trajectories
from .stats import mean_band

__all__ = ["Results", "method_results", "cr_ranks", "first_drop_text", "to_json",
           "write_outputs"]


def method_results(traj: Trajectories, steps_per_epoch: int, config: dict,
                   cramer_rao_final=None) -> dict:
    """Means over seeds with 95% Student-t intervals (also for the problem's extra metrics,
    under their own names); a diverged seed is reported, not hidden:
    its non-finite values make the affected means null in results.json and ``diverged_seeds``
    counts it; ``overflowed_seeds`` counts seeds whose iterate stayed finite while a diagnostic
    overflowed the run's dtype."""
    epochs = traj.lr.shape[1]
    sq, sq_ci = mean_band(traj.sq_dist)
    sub, sub_ci = mean_band(traj.subopt)
    angle, angle_ci = mean_band(traj.angle_deg)     # boundaries 0 and 1 have no angle: nan
    final_ratio = (float(sq[-1] / cramer_rao_final) if cramer_rao_final else None)
    extra = {}
    for key, values in traj.extra.items():   # the problem's further metrics, e.g. test accuracy
        extra[key], extra[key + "_ci"] = mean_band(values)
    firsts = [row[0] for row in traj.drop_epochs() if row]
    first_drop = {"mean": float(np.mean(firsts)) if firsts else None,
                  "fraction_of_seeds": len(firsts) / traj.dropped.shape[0]}
    lr = np.asarray(traj.lr, dtype=np.float64)
    return extra | {
        "first_drop_epoch": first_drop,
        "iterations": (np.arange(epochs + 1) * steps_per_epoch).tolist(),
        "lr": traj.lr.mean(axis=0),
        "lr_q10": np.quantile(lr, 0.1, axis=0),
        "lr_q90": np.quantile(lr, 0.9, axis=0),
        "mean_sq_dist": sq,
        "mean_sq_dist_ci": sq_ci,
        "suboptimality": sub,
        "suboptimality_ci": sub_ci,
        "angle_deg": angle,
        "angle_deg_ci": angle_ci,
        "drop_epochs": traj.drop_epochs(),
        "seed0": {"angle_deg": traj.angle_deg[0], "lr": lr[0]},
        "diverged_seeds": int(traj.diverged.sum()),
        "overflowed_seeds": int(traj.overflowed.sum()),
        "config": config,
        "final": {"mean_sq_dist": sq[-1], "ci": [sq_ci[-1, 0], sq_ci[-1, 1]], "suboptimality": sub[-1],
                  "cramer_rao_ratio": final_ratio,
                  "mean_drops": float(traj.dropped.sum(axis=1).mean()),
                  "angle_deg": angle[-1]},
    }


def cr_ranks(methods: dict) -> dict:
    """name -> rank (1 = lowest final Cramer-Rao ratio); methods without a ratio, and methods
    with a diverged or overflowed seed (their mean is not over every seed), get none."""
    ratios = {n: m["final"]["cramer_rao_ratio"] for n, m in methods.items()
              if not m.get("diverged_seeds") and not m.get("overflowed_seeds")}
    order = sorted((n for n, r in ratios.items() if r is not None and np.isfinite(r)),
                   key=ratios.get)
    return {n: i + 1 for i, n in enumerate(order)}


def first_drop_text(method: dict) -> str:
    """Mean epoch of the first drop over the seeds that drop, with their share if not all."""
    fd = method["first_drop_epoch"]
    if fd["mean"] is None:
        return "-"
    share = fd["fraction_of_seeds"]
    return f"{fd['mean']:.1f}" + ("" if share == 1 else f" ({100 * share:.0f}%)")


def to_json(obj):
    """numpy -> Python; non-finite floats -> None (JSON has no nan)."""
    if isinstance(obj, dict):
        return {str(k): to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_json(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer, int)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        return float(obj) if math.isfinite(obj) else None
    return obj


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:       # exists, owned by someone else
        return True
    return True


def remove_stale_staging(out: Path) -> list:
    """Remove ``.partial-PID-*`` folders of processes that are gone; return what was removed."""
    removed = []
    for p in Path(out).glob(".partial-*"):
        parts = p.name.split("-")
        pid = int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else None
        if p.is_dir() and (pid is None or not _alive(pid)):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def write_outputs(out_dir, results: dict | None, figures=None) -> list:
    """Write the figures (``figures(tmpdir) -> [paths]``) and results.json (none if ``results``
    is None: a redraw) into ``out_dir``.

    Everything is written into a temporary folder inside ``out_dir`` first and moved in with
    ``os.replace`` once complete, results.json last, so a failure leaves no partial output.
    The folder is named after the writing process (``.partial-PID-*``); one left behind by a
    process that no longer exists (killed with -9) is removed by the next write.  An output
    folder this call created is removed again when the write fails (no empty folder is left).
    """
    out = Path(out_dir)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".partial-{os.getpid()}-", dir=out))
    try:
        names = [Path(p).name for p in (figures(tmp) if figures else [])]
        if results is not None:
            with open(tmp / "results.json", "w") as fh:
                json.dump(to_json(results), fh, indent=1, allow_nan=False)
                fh.flush()
                os.fsync(fh.fileno())
            names.append("results.json")
        for name in names:
            os.replace(tmp / name, out / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if created and not any(out.iterdir()):
            out.rmdir()
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [out / n for n in names]


class Results:
    """A run: ``problem``, ``methods``, ``theory`` and ``meta`` blocks of results.json (plus any
    further top-level blocks a study adds), as Python and numpy objects."""

    def __init__(self, blocks: dict):
        if not isinstance(blocks, dict) or "methods" not in blocks:
            raise AssumptionError("results: need a dict with a 'methods' block")
        self.blocks = blocks

    def __getitem__(self, key):
        return self.blocks[key]

    def __contains__(self, key):
        return key in self.blocks

    @property
    def methods(self) -> dict:
        return self.blocks["methods"]

    @property
    def problem(self) -> dict:
        return self.blocks.get("problem", {})

    @property
    def theory(self) -> dict:
        return self.blocks.get("theory", {})

    def to_json(self) -> dict:
        """The JSON document (numpy -> lists, nan -> null)."""
        return to_json(self.blocks)

    def save(self, out_dir, draw=None) -> list:
        """Write results.json (and, with ``draw(results, folder) -> paths``, the figures)
        atomically; :func:`simulations.figures.save` draws every figure the run supports."""
        return write_outputs(out_dir, self.blocks, (lambda d: draw(self, d)) if draw else None)

    @classmethod
    def load(cls, path) -> "Results":
        """Read a results.json written by :meth:`save` (or by any command); a damaged or
        foreign document is refused (AssumptionError naming its first bad field,
        :func:`.results_check.check`) before anything reads it."""
        from .results_check import check
        p = Path(path)
        if p.is_dir():
            p = p / "results.json"
        try:
            blocks = json.loads(p.read_text())
        except (OSError, ValueError) as exc:
            raise AssumptionError(f"path: cannot read results from {str(p)!r} ({exc})") from None
        check(blocks)
        return cls(blocks)
