"""What every result records about where it came from: versions, git commit, configuration."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

__all__ = ["git_commit", "metadata", "PRNG_IMPL"]

# JAX's PRNG implementation of every simulation's keys (engine.seed_keys), chosen by measurement
# (python -m simulations.benchmark prints the per-number cost of each implementation):
# philox4x32 draws normals about 4x faster than the default threefry2x32 on CPU.
PRNG_IMPL = "philox4x32"


def git_commit():
    """(commit, dirty) of the checkout this package runs from, or (None, None)."""
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


def metadata(config: dict, seed: int, x64: bool, wall: float, command=None) -> dict:
    """The ``meta`` block of results.json.  ``xla_flags``: this process's XLA_FLAGS (None when
    unset), and ``jax_disable_most_optimizations``: JAX's setting of that name (XLA's LLVM at
    -O0 when true), which can change how XLA compiles a program and so the last bits of its
    numbers (docs/performance.md, "The test suite")."""
    import jax
    import jaxlib
    import numpy as np
    import scipy

    import autodrop_theory
    commit, dirty = git_commit()
    return {"package_version": autodrop_theory.__version__, "git_commit": commit,
            "git_dirty": dirty, "jax_version": jax.__version__,
            "jaxlib_version": jaxlib.__version__, "xla_flags": os.environ.get("XLA_FLAGS"),
            "jax_disable_most_optimizations":
                bool(jax.config.read("jax_disable_most_optimizations")),
            "numpy_version": np.__version__,
            "scipy_version": scipy.__version__, "python_version": platform.python_version(),
            "jax_backend": jax.default_backend(), "prng_impl": PRNG_IMPL, "x64": bool(x64),
            "seed": seed,
            "wall_seconds": wall, "command": command, "config": config}
