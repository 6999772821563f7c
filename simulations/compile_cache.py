"""JAX's persistent compilation cache for every command, the API and the Dask workers.

    default_dir() -> str               where the cache lives unless told otherwise
    enable(where="default") -> str|None   switch it on (a folder, "default") or off (None, "none")

Problem: every run compiles its programs again (``compare --quick`` spends most of its time in
XLA), and so does a rerun with another seed, although the programs are the same (problem data,
hyperparameters and keys are arguments of the compiled programs, not constants in them).

Algorithm: JAX's persistent cache (``jax_compilation_cache_dir``) stores each compiled
executable under a hash of the program, the compile options, the backend and the jax/jaxlib
versions; a later process that needs the same program loads it instead of compiling it.  The
folder is, in order: the environment variable ``JAX_COMPILATION_CACHE_DIR`` when set (the test
suite sets a private one), else ``$XDG_CACHE_HOME/autodrop-theory/jax``, else
``~/.cache/autodrop-theory/jax``.  Programs that compile in under :data:`MIN_COMPILE_SECONDS`
are not stored (they cost more to write than to compile).

Guarantee: a loaded executable is the one XLA compiled for the same program, so the numbers are
those of a cold run (measured: ``compare --quick`` writes the same results.json cold and warm,
docs/performance.md); only the time to first result changes.  Removing the folder (``rm -rf ~/.cache/autodrop-theory/jax``) is always safe.

References: docs/performance.md ("Bigger studies"); JAX's documentation, "Persistent
compilation cache".
"""

from __future__ import annotations

import os
import sys

__all__ = ["default_dir", "configure", "enable", "configured", "current", "MIN_COMPILE_SECONDS",
           "ENV"]

ENV = "JAX_COMPILATION_CACHE_DIR"
MIN_COMPILE_SECONDS = 0.1
_STATE = {"dir": None, "set": False}


def default_dir() -> str:
    """``$JAX_COMPILATION_CACHE_DIR``, else ``$XDG_CACHE_HOME/autodrop-theory/jax``, else
    ``~/.cache/autodrop-theory/jax``."""
    if os.environ.get(ENV):
        return os.environ[ENV]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "autodrop-theory", "jax")


def _folder(where):
    if where is None or where == "none":
        return None
    if where == "default":
        if "jax" in sys.modules:          # a folder jax was told to use (user, test suite) stays
            import jax
            if jax.config.jax_compilation_cache_dir:
                return jax.config.jax_compilation_cache_dir
        return default_dir()
    return os.path.abspath(os.path.expanduser(str(where)))


def configure(where="default"):
    """Use the cache in ``where`` (a folder; "default": :func:`default_dir`) or switch it off
    (None or "none") for this process and the worker processes it starts, without importing
    JAX when it is not imported yet (a command's refusals stay fast): then the settings go to
    the environment JAX reads at import.  Returns the folder (None: off)."""
    if "jax" in sys.modules:
        return enable(where)
    folder = _folder(where)
    if folder is None:
        os.environ["JAX_ENABLE_COMPILATION_CACHE"] = "false"
        os.environ.pop(ENV, None)
    else:
        os.environ[ENV] = folder
        os.environ["JAX_ENABLE_COMPILATION_CACHE"] = "true"
        os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS",
                              str(MIN_COMPILE_SECONDS))
    _STATE.update(dir=folder, set=True)
    return folder


def enable(where="default"):
    """Use the persistent compilation cache in ``where`` (a folder, or "default": the folder
    jax.config already names (the user's or the test suite's), else :func:`default_dir`), or
    switch it off (None or "none"), now, in this process (imports JAX).  Returns the folder in
    use (None: off)."""
    import jax
    from jax.experimental.compilation_cache import compilation_cache as cc
    folder = _folder(where)
    if (_STATE["set"] and folder == _STATE["dir"]
            and jax.config.jax_enable_compilation_cache == (folder is not None)
            and folder in (None, jax.config.jax_compilation_cache_dir)):
        return folder
    if folder is not None:
        os.makedirs(folder, exist_ok=True)
        if not os.environ.get("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"):
            jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_SECONDS)
        jax.config.update("jax_compilation_cache_dir", folder)
    jax.config.update("jax_enable_compilation_cache", folder is not None)
    cc.reset_cache()          # the next compilation opens the folder now configured
    _STATE.update(dir=folder, set=True)
    return folder


def configured() -> bool:
    """Whether :func:`configure` or :func:`enable` ran in this process."""
    return _STATE["set"]


def current():
    """The folder set up by this module (None: off, or never set up)."""
    return _STATE["dir"]
