"""Test configuration: float64 and strict dtype promotion for every test (theory checks run in
float64; strict promotion turns any accidental float32/float64 mix in the library into an error)."""

import os
import shutil
import subprocess
import sys
import tempfile

# XLA's CPU code generator for the suite: the loop emitters that preceded XLA's fusion emitters
# (--xla_cpu_use_fusion_emitters=false).  The suite's time is mostly XLA compiling some 80
# simulator programs; this generator compiles them faster and runs them slower (six programs
# measured: 13-49% less compile time, up to 1.5x the run time, which is small at the suite's
# sizes); one cold run on 2 cores, 260 -> 201 s, 507 -> 385 CPU-s (docs/performance.md, "The
# test suite").  It changes float rounding (where XLA fuses a multiply and an add), not what is
# computed: every test passes under both generators.  The
# commands and the API use XLA's default generator (the stored results were computed with it);
# AUTODROP_TEST_DEFAULT_CODEGEN=1 runs the suite with it too.  The xdist controller (or the
# only process) decides once and its workers and subprocesses inherit the setting; an XLA that
# does not know the flag (it aborts on an unknown one) keeps its default.
CODEGEN_FLAG = "--xla_cpu_use_fusion_emitters=false"


def xla_accepts(flag: str) -> bool:
    """Whether this XLA starts a CPU client with ``flag`` added to XLA_FLAGS (a fresh process,
    about 0.2 s: XLA aborts on a flag it does not know; a jaxlib without this entry point also
    answers no, and the suite keeps XLA's default)."""
    flags = f"{os.environ.get('XLA_FLAGS', '')} {flag}".strip()
    probe = subprocess.run([sys.executable, "-c",
                            "from jaxlib import xla_client; xla_client.make_cpu_client()"],
                           env=dict(os.environ, XLA_FLAGS=flags), capture_output=True)
    return probe.returncode == 0


def _use_loop_emitters() -> bool:
    if (os.environ.get("AUTODROP_TEST_DEFAULT_CODEGEN") == "1" or "PYTEST_XDIST_WORKER" in
            os.environ or "xla_cpu_use_fusion_emitters" in os.environ.get("XLA_FLAGS", "")):
        return False
    return xla_accepts(CODEGEN_FLAG)


if _use_loop_emitters():
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {CODEGEN_FLAG}".strip()

import jax  # noqa: E402  (after XLA_FLAGS: XLA reads it when its CPU backend starts)
from hypothesis import settings  # noqa: E402

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
    codegen = ("loop emitters (" + CODEGEN_FLAG + ")" if CODEGEN_FLAG in
               os.environ.get("XLA_FLAGS", "").split() else "XLA's default")
    terminalreporter.write_line(f"XLA CPU code generator: {codegen}")
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
