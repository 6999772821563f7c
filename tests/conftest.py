"""Test configuration: float64 and strict dtype promotion for every test (theory checks run in
float64; strict promotion turns any accidental float32/float64 mix in the library into an error)."""

import os
import shutil
import tempfile

import jax
from hypothesis import settings

# One persistent compilation cache for the whole run, shared by the xdist workers and by the
# subprocesses the tests start (they inherit the environment): a program compiled by one test is
# loaded, not recompiled, by a later test that needs the same program.  The process that creates
# the folder (the xdist controller, or the only process) removes it at the end of the run; a
# folder the user set in JAX_COMPILATION_CACHE_DIR is used as is and kept.  Every program is
# stored, however quickly it compiles: the small ones (a sweep's helpers, the key splits, the
# optax steps) recur across the workers and subprocesses (one pair of runs: 495 -> 475 s of CPU
# against storing only those over 0.2 s).
_OWNED = "JAX_COMPILATION_CACHE_DIR" not in os.environ
if _OWNED:
    os.environ["JAX_COMPILATION_CACHE_DIR"] = tempfile.mkdtemp(prefix="autodrop-jax-cache-")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
jax.config.update("jax_compilation_cache_dir", os.environ["JAX_COMPILATION_CACHE_DIR"])
jax.config.update("jax_persistent_cache_min_compile_time_secs",
                  float(os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"]))


def pytest_unconfigure(config):
    if _OWNED:
        shutil.rmtree(os.environ["JAX_COMPILATION_CACHE_DIR"], ignore_errors=True)


jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_dtype_promotion", "strict")

# Deterministic property tests: the same examples on every run, no deadline flakiness under
# JIT compilation.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60,
                          print_blob=True)
# The thorough search (not derandomized, thousands of examples), one documented command:
#   AUTODROP_PROPERTY_STATS=docs/property_stats.json python -m pytest -o addopts="" \
#       tests/test_properties.py --hypothesis-profile thorough
settings.register_profile("thorough", derandomize=False, deadline=None, max_examples=2000,
                          print_blob=True)
settings.load_profile("ci")


# The fuzz tables' sizes and how many of their cases ran clean, printed at the end of every run
# that ran them (with or without -s, with or without xdist: counted from the test reports).
FUZZ_TABLES = {
    "CLI fuzz table (tests/test_cli_fuzz.py)":
        "::test_bad_input_is_refused_in_one_line_before_anything_runs[",
    "API fuzz table (tests/test_api_fuzz.py)":
        "::test_a_bad_argument_is_refused_by_name_before_anything_compiles[",
}


def pytest_terminal_summary(terminalreporter):
    reports = [r for key in ("passed", "failed", "error", "skipped")
               for r in terminalreporter.stats.get(key, []) if hasattr(r, "nodeid")]
    for title, test in FUZZ_TABLES.items():
        ran = {r.nodeid for r in reports if test in r.nodeid}
        if not ran:
            continue
        bad = {r.nodeid for r in reports if test in r.nodeid and not r.passed}
        clean = {r.nodeid for r in reports if test in r.nodeid and r.passed
                 and r.when == "call"} - bad
        terminalreporter.write_line(f"{title}: {len(ran)} cases run, {len(clean)} clean")
