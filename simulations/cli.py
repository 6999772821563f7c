"""What every simulation command shares: flags, one-line errors (exit 2), outputs and metadata.

Conventions (SPEC.md): invalid input exits with status 2 and prints one line naming the flag and
the violated condition, before anything is written; ``results.json`` is written atomically, after
the figures, and nothing half-written is left in the output folder.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from autodrop_theory.errors import AssumptionError

from . import controllers

__all__ = ["CliError", "make_parser", "parse", "resolve_methods", "flag_error", "metadata",
           "to_json", "write_outputs", "simulation_dtype", "finish", "entry_point", "progress", "print_table"]


class CliError(Exception):
    """Bad command-line input: main() prints the message as one line and returns 2."""


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print usage and exit; we want one line, exit 2
        raise CliError(message)


def typed(kind, cond, desc):
    def convert(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"need {desc}, got {text!r}") from None
        if not cond(value):
            raise argparse.ArgumentTypeError(f"need {desc}, got {text!r}")
        return value
    return convert


positive_int = typed(int, lambda v: v >= 1, "an integer >= 1")
nonneg_int = typed(int, lambda v: v >= 0, "an integer >= 0")
positive_float = typed(float, lambda v: math.isfinite(v) and v > 0, "a finite number > 0")
nonneg_float = typed(float, lambda v: math.isfinite(v) and v >= 0, "a finite number >= 0")


def make_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """The flags shared by the simulation commands (SPEC.md); defaults of None are filled by
    :func:`parse` from the command's normal or ``--quick`` defaults."""
    p = _OneLineParser(prog=prog, description=description)
    p.add_argument("--quick", action="store_true", help="a small run (under 30 s on 2 cores)")
    p.add_argument("--out", type=str, default=None, help="output folder (default results/<exp>/)")
    p.add_argument("--seeds", type=typed(int, lambda v: v >= 2, "an integer >= 2 (a "
                   "confidence interval needs two seeds)"), default=None, help="number of seeds")
    p.add_argument("--seed", type=nonneg_int, default=0, help="base seed (instance and noise)")
    p.add_argument("--methods", type=str, default=None,
                   help=f"comma-separated, or 'all'; known: {', '.join(controllers.available())}")
    p.add_argument("--dim", type=positive_int, default=None, help="dimension d")
    p.add_argument("--epochs", type=typed(int, lambda v: v >= 3, "an integer >= 3 (an angle "
                   "change needs three epochs)"), default=None, help="number of epochs E")
    p.add_argument("--steps-per-epoch", type=positive_int, default=None, help="K, steps per epoch")
    p.add_argument("--lr", type=positive_float, default=None, help="initial learning rate")
    p.add_argument("--no-figures", action="store_true", help="write results.json only")
    p.add_argument("--x64", action="store_true", help="simulate in float64 (default float32)")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no table")
    return p


def parse(parser, argv, defaults: dict, quick: dict):
    """Parse ``argv``; fill unset flags from ``quick`` (with --quick) over ``defaults``."""
    args = parser.parse_args(argv)
    for key, value in {**defaults, **(quick if args.quick else {})}.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    return args


def resolve_methods(text: str, exact_model: bool = True) -> list:
    """``a,b,c`` or ``all`` (every registered method; the oracle only with an exact model)."""
    names = (controllers.available(exact_model) if text == "all"
             else [m for m in text.split(",") if m])
    unknown = [m for m in names if m not in controllers.REGISTRY]
    if unknown or not names:
        raise CliError(f"--methods: unknown method {unknown[0] if unknown else text!r}; "
                       f"known: {', '.join(controllers.available())} or 'all'")
    if len(set(names)) != len(names):
        raise CliError(f"--methods: a method is listed twice in {text!r}")
    return names


def flag_error(exc: AssumptionError) -> CliError:
    """Turn an AssumptionError ``name: condition`` into ``--name: condition``."""
    name, _, rest = str(exc).partition(": ")
    flag = "--" + name.replace("_", "-") if name.isidentifier() else name
    return CliError(f"{flag}: {rest}" if rest else str(exc))


def _git_commit():
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], check=True,
                                capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain",
                                "--untracked-files=no"], check=True, capture_output=True,
                               text=True, timeout=10).stdout.strip() != ""
        return commit, dirty
    except (OSError, subprocess.SubprocessError):
        return None, None


def metadata(prog: str, argv, args, wall_seconds: float) -> dict:
    import jax
    import scipy

    import autodrop_theory
    commit, dirty = _git_commit()
    return {
        "package_version": autodrop_theory.__version__, "git_commit": commit,
        "git_dirty": dirty, "jax_version": jax.__version__, "numpy_version": np.__version__,
        "scipy_version": scipy.__version__, "python_version": platform.python_version(),
        "jax_backend": jax.default_backend(), "x64": bool(args.x64), "seed": args.seed,
        "wall_seconds": wall_seconds,
        "command": " ".join(["python -m " + prog] + list(sys.argv[1:] if argv is None else argv)),
        "config": {k: v for k, v in vars(args).items()},
    }


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


def write_outputs(out_dir, results: dict, figures=None) -> list:
    """Write the figures (``figures(tmpdir) -> [paths]``) and results.json into ``out_dir``.

    Everything is written into a temporary folder inside ``out_dir`` first and moved in with
    ``os.replace`` once complete, results.json last, so a failure leaves no partial output.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=out))
    try:
        names = [Path(p).name for p in (figures(tmp) if figures else [])]
        with open(tmp / "results.json", "w") as fh:
            json.dump(to_json(results), fh, indent=1, allow_nan=False)
            fh.flush()
            os.fsync(fh.fileno())
        for name in names + ["results.json"]:
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [out / n for n in names + ["results.json"]]


def simulation_dtype(args):
    """float64 with --x64 (enabling JAX's x64 mode), else float32."""
    import jax
    if args.x64:
        jax.config.update("jax_enable_x64", True)
        return jax.numpy.float64
    return jax.numpy.float32


def finish(prog: str, argv, args, start: float, results: dict, draw) -> int:
    """Add the metadata, write the figures (unless --no-figures) and results.json, say where."""
    import time
    results["meta"] = metadata(prog, argv, args, time.perf_counter() - start)
    paths = write_outputs(args.out, results, None if args.no_figures else draw)
    if not args.quiet:
        print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0


def entry_point(main) -> None:
    """``sys.exit(main())``, quietly when stdout is closed early (``... | head``)."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)


def progress(iterable, quiet: bool, desc: str):
    """A tqdm bar on stderr, silent with --quiet or when stderr is not a terminal."""
    from tqdm.auto import tqdm
    return tqdm(iterable, desc=desc, disable=quiet or not sys.stderr.isatty(), file=sys.stderr,
                leave=False)


def print_table(header: list, rows: list, file=None):
    cells = [[str(c) for c in row] for row in [header] + rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    print("\n".join(lines), file=file or sys.stdout)
