"""Test configuration: float64 and strict dtype promotion for every test (theory checks run in
float64; strict promotion turns any accidental float32/float64 mix in the library into an error),
how XLA compiles (its code generator and optimisations), one compilation cache for the run,
every package module loaded before the first test (hypothesis's examples), and the end-of-run
summary lines."""

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# How XLA compiles the suite's programs on the CPU: with the loop emitters that preceded XLA's
# fusion emitters (--xla_cpu_use_fusion_emitters=false) and with most of its optimisations off
# (JAX_DISABLE_MOST_OPTIMIZATIONS=1: LLVM at -O0, no expensive passes).  About half of the
# suite's CPU time is XLA compiling; both compile faster and run slower, which at the suite's
# sizes is a net gain.  They change the last bits of float results against XLA's default, which
# the commands, the API and the stored results use.  docs/performance.md, "The test suite", has
# the measurements and what the suite then checks only as compiled this way; a test whose claim
# is the bits of optimised code, or whose programs run long, takes the fixture ``xla_optimised``.
# AUTODROP_TEST_DEFAULT_CODEGEN=1 runs the suite with XLA's defaults; an XLA_FLAGS that names the
# emitter flag, or a JAX_DISABLE_MOST_OPTIMIZATIONS already set, decides instead (except in the
# fixture's tests and the sharded test's subprocess, which runs XLA's defaults); an XLA that
# does not know the emitter flag (it aborts on an unknown one) keeps its default.  The xdist
# controller (or the only process) decides once, and its workers and the subprocesses they start
# inherit the setting; the end of every run says what was used.
CODEGEN_FLAG = "--xla_cpu_use_fusion_emitters=false"
OPTIMISATIONS = "JAX_DISABLE_MOST_OPTIMIZATIONS"
OPT_OUT = "AUTODROP_TEST_DEFAULT_CODEGEN"


def _with_flag(flag: str) -> str:
    """This process's XLA_FLAGS with ``flag`` added."""
    return f"{os.environ.get('XLA_FLAGS', '')} {flag}".strip()


def xla_accepts(flag: str) -> bool:
    """Whether this XLA starts a CPU client with ``flag`` added to XLA_FLAGS (a fresh process,
    about 0.2 s: XLA aborts on a flag it does not know; a jaxlib without this entry point also
    answers no)."""
    try:
        probe = subprocess.run([sys.executable, "-c",
                                "from jaxlib import xla_client; xla_client.make_cpu_client()"],
                               env=dict(os.environ, XLA_FLAGS=_with_flag(flag)),
                               capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        return False
    return probe.returncode == 0


def codegen_choice(env, accepts=xla_accepts) -> tuple:
    """(the flag to add to XLA_FLAGS, or None; what the run's last lines say was used), from the
    environment ``env`` and the probe ``accepts``."""
    named = [f for f in env.get("XLA_FLAGS", "").split() if "xla_cpu_use_fusion_emitters" in f]
    if named:
        return None, f"as XLA_FLAGS sets it ({' '.join(named)})"
    if env.get(OPT_OUT) == "1":
        return None, f"XLA's default ({OPT_OUT}=1)"
    if not accepts(CODEGEN_FLAG):
        return None, (f"XLA's default (this XLA refused {CODEGEN_FLAG}; the suite takes about "
                      "30% longer)")
    return CODEGEN_FLAG, f"loop emitters ({CODEGEN_FLAG}, set by tests/conftest.py)"


def env_flag(value) -> bool:
    """An environment variable's value read as JAX reads its boolean ones (unset: False)."""
    if value is None:
        return False
    if value.lower() in ("y", "yes", "t", "true", "on", "1"):
        return True
    if value.lower() in ("n", "no", "f", "false", "off", "0"):
        return False
    raise ValueError(f"{OPTIMISATIONS}={value!r}: not a value JAX reads as true or false")


def optimisation_choice(env) -> tuple:
    """(the value to give JAX_DISABLE_MOST_OPTIMIZATIONS, or None; what the run's last lines
    say was used), from the environment ``env``."""
    if OPTIMISATIONS in env:
        return None, f"as the environment sets it ({OPTIMISATIONS}={env[OPTIMISATIONS]})"
    if env.get(OPT_OUT) == "1":
        return None, f"XLA's default ({OPT_OUT}=1)"
    return "1", f"most off ({OPTIMISATIONS}=1, set by tests/conftest.py)"


if "PYTEST_XDIST_WORKER" in os.environ:
    CODEGEN = OPTIMISED = "decided by the xdist controller"
else:
    _ADD, CODEGEN = codegen_choice(os.environ)
    if _ADD:
        os.environ["XLA_FLAGS"] = _with_flag(_ADD)
    _SET, OPTIMISED = optimisation_choice(os.environ)
    if _SET:
        os.environ[OPTIMISATIONS] = _SET


@contextlib.contextmanager
def optimised_compiles():
    """Compile with XLA's optimisations whatever the suite's setting, from an empty in-memory
    cache, and drop those programs afterwards, so that no other test reuses a program compiled
    the other way (the persistent cache keys on the setting); the setting is restored even when
    the body fails."""
    import jax
    was = jax.config.read("jax_disable_most_optimizations")
    jax.config.update("jax_disable_most_optimizations", False)
    jax.clear_caches()
    try:
        yield
    finally:
        jax.config.update("jax_disable_most_optimizations", was)
        jax.clear_caches()


@pytest.fixture
def xla_optimised():
    """For a test whose claim is the bits of XLA's optimised code (an identity that holds only
    as XLA's optimisations compile the programs, or trajectories pinned from optimised code),
    or whose programs run long enough that optimised code pays for its compile.  It covers the
    test's own process (and the Dask workers it starts, which take the caller's JAX settings),
    not a subprocess it starts (which compiles as the environment says), nor a module- or
    session-scoped fixture computed before it."""
    with optimised_compiles():
        yield


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


def pytest_unconfigure(config):
    if _OWNED:
        shutil.rmtree(os.environ["JAX_COMPILATION_CACHE_DIR"], ignore_errors=True)


def _xdist_controller(config) -> bool:
    """Whether this process hands the tests to xdist workers and runs none itself (xdist's own
    test: not a worker, not only collecting, a distribution mode and workers to start)."""
    return (not hasattr(config, "workerinput") and not config.getoption("collectonly")
            and config.getoption("dist", "no") != "no" and bool(config.getoption("tx", None)))


@pytest.hookimpl(tryfirst=True)     # before hypothesis's plugin loads a --hypothesis-profile
def pytest_configure(config):
    """JAX and hypothesis settings where tests run: in the xdist workers or the only process,
    not in an xdist controller, which runs none (it would import both for nothing, about 1.8 s
    before the workers start)."""
    if _xdist_controller(config):
        return
    import jax
    from hypothesis import settings
    jax.config.update("jax_compilation_cache_dir", os.environ["JAX_COMPILATION_CACHE_DIR"])
    jax.config.update("jax_persistent_cache_min_compile_time_secs",
                      float(os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"]))
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_numpy_dtype_promotion", "strict")
    # JAX reads JAX_DISABLE_MOST_OPTIMIZATIONS when it is first imported: set it again for a
    # process that imported JAX before this file set the variable (pytest.main from a session)
    if OPTIMISATIONS in os.environ:
        jax.config.update("jax_disable_most_optimizations", env_flag(os.environ[OPTIMISATIONS]))
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


# Hypothesis draws some values from the literals of the checkout's modules loaded at the time
# (its "local constants": every module in sys.modules from this checkout, test files excepted).
# Which modules a test finds loaded depends on which test files ran before it in the same
# process, so the same derandomized test would try different examples in different orders of
# the files, or alone.  Every Python module of the checkout outside tests/ and docs/ (the three
# packages, and the scripts in tools/ that tests import by module name) is imported once before
# the first test: each property test then tries the same examples in every run of one checkout,
# alone or in the suite.  docs/ holds only scripts the tests run in a subprocess.
PACKAGES = ("autodrop_theory", "simulations", "proofs")
TOOLS = Path(__file__).resolve().parent.parent / "tools"
PRELOADED: list = []


def import_every_checkout_module() -> list:
    """Import each module of PACKAGES (their ``__main__`` modules run nothing on import) and
    each script of tools/ (as its module name: tools/ goes on sys.path, for the tests that
    import them too); the names imported."""
    import importlib
    import pkgutil
    names = []
    for package in PACKAGES:
        root = importlib.import_module(package)
        names += [info.name for info in pkgutil.walk_packages(root.__path__, package + ".")]
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    names += sorted(p.stem for p in TOOLS.glob("*.py"))
    for name in names:
        importlib.import_module(name)
    return names


def pytest_collection_finish(session):
    if not _xdist_controller(session.config):
        PRELOADED[:] = import_every_checkout_module()


# The fuzz tables' sizes and how many of their cases ran clean, printed at the end of every run
# that ran them (with or without -s, with or without xdist: counted from the test reports).
FUZZ_TABLES = {
    "CLI fuzz table (tests/test_cli_fuzz.py)":
        "::test_bad_input_is_refused_in_one_line_before_anything_runs[",
    "API fuzz table (tests/test_api_fuzz.py)":
        "::test_a_bad_argument_is_refused_by_name_before_anything_compiles[",
}


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"XLA CPU code generator: {CODEGEN}; optimisations: {OPTIMISED}")
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
