"""The suite's own setup (tests/conftest.py): which XLA code generator and optimisations a run
uses, what its last lines say about them, the fixture that compiles optimised code for the tests
that need its bits, and the probe that keeps XLA's default where the installed XLA does not
know the flag (XLA aborts on an unknown flag, so without the probe an older jaxlib would fail
every test); every package module loaded before the first test (hypothesis's examples then do not
depend on the order of the files)."""

import os
import subprocess
import sys
from pathlib import Path

import conftest
import numpy as np

FLAG = conftest.CODEGEN_FLAG


def _never_asked(flag):
    raise AssertionError("the probe ran where the environment had decided")


def test_the_probe_accepts_a_flag_xla_knows_and_refuses_one_it_does_not():
    assert conftest.xla_accepts("--xla_force_host_platform_device_count=1")
    assert not conftest.xla_accepts("--xla_cpu_no_such_flag_for_the_suite_probe=true")


def test_the_choice_follows_the_environment_and_says_why():
    add, says = conftest.codegen_choice({}, lambda flag: flag == FLAG)
    assert add == FLAG and FLAG in says and says.startswith("loop emitters")
    add, says = conftest.codegen_choice({"XLA_FLAGS": "--xla_force_host_platform_device_count=2"},
                                        lambda flag: False)
    assert add is None and "refused" in says and says.startswith("XLA's default")
    add, says = conftest.codegen_choice({conftest.OPT_OUT: "1"}, _never_asked)
    assert add is None and says == f"XLA's default ({conftest.OPT_OUT}=1)"
    # a flag the user set wins over the opt-out and is named as set, whatever its spelling
    for value in ("false", "0", "true"):
        env = {"XLA_FLAGS": f"--xla_dump_to=/tmp/x --xla_cpu_use_fusion_emitters={value}",
               conftest.OPT_OUT: "1"}
        add, says = conftest.codegen_choice(env, _never_asked)
        named = f"--xla_cpu_use_fusion_emitters={value}"
        assert add is None and says == f"as XLA_FLAGS sets it ({named})"


def test_the_optimisation_choice_follows_the_environment_and_says_why():
    assert [conftest.env_flag(v) for v in (None, "1", "true", "On", "0", "false", "no")] == \
        [False, True, True, True, False, False, False]
    try:
        conftest.env_flag("maybe")
    except ValueError as error:
        assert conftest.OPTIMISATIONS in str(error)
    else:
        raise AssertionError("a value JAX refuses was read")
    set_to, says = conftest.optimisation_choice({})
    assert set_to == "1"
    assert says == f"most off ({conftest.OPTIMISATIONS}=1, set by tests/conftest.py)"
    set_to, says = conftest.optimisation_choice({conftest.OPT_OUT: "1"})
    assert set_to is None and says == f"XLA's default ({conftest.OPT_OUT}=1)"
    # a value the user set wins over the opt-out and is named as set, whatever it is
    for value in ("0", "1", "false"):
        set_to, says = conftest.optimisation_choice({conftest.OPTIMISATIONS: value,
                                                     conftest.OPT_OUT: "1"})
        assert set_to is None
        assert says == f"as the environment sets it ({conftest.OPTIMISATIONS}={value})"


def test_the_fixture_compiles_optimised_code_and_restores_the_suites_setting():
    """The suite's setting reached JAX (as JAX reads the environment variable), and what
    ``xla_optimised`` switches is what XLA receives: a program's compile options inside it ask
    for XLA's optimisation level (LLVM -O3 unless XLA_FLAGS says otherwise), outside it for the
    suite's setting, which is restored afterwards, also when the test fails; a program compiled
    before is traced and compiled anew inside and again after (never reused across the two
    settings).  The compile options are read through jax._src.compiler (no public API)."""
    import jax
    import jax.numpy as jnp
    from jax._src import compiler

    def level():
        options = compiler.get_compile_options(num_replicas=1, num_partitions=1)
        return options.executable_build_options.debug_options.xla_backend_optimization_level

    named = [f.split("=")[1] for f in os.environ.get("XLA_FLAGS", "").split()
             if f.startswith("--xla_backend_optimization_level=")]
    optimised = int(named[-1]) if named else 3        # XLA's default: LLVM at -O3
    traced = []

    def listen(event, seconds, **_):
        if event.endswith("jaxpr_trace_duration"):
            traced.append(event)

    suite = jax.config.read("jax_disable_most_optimizations")
    assert suite is conftest.env_flag(os.environ.get(conftest.OPTIMISATIONS))
    outside = level()
    assert outside == (0 if suite else optimised)
    f = jax.jit(lambda x: jnp.sin(x) * 0.4142 + x)
    x = np.ones(3)
    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        f(x)
        f(x)
        assert len(traced) == 1
        with conftest.optimised_compiles():
            assert level() == optimised and not jax.config.read("jax_disable_most_optimizations")
            f(x)
            assert len(traced) == 2
        f(x)
        assert len(traced) == 3
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
    try:
        with conftest.optimised_compiles():
            raise KeyError("a failing test")
    except KeyError:
        pass
    assert jax.config.read("jax_disable_most_optimizations") == suite and level() == outside


def test_every_checkout_module_was_loaded_before_the_first_test():
    """What the hook loaded before the first test (not what this test loads) is every Python
    file of the checkout outside tests/ and docs/, as git lists them: the literals hypothesis
    draws from are those of the whole checkout in every run, whichever test files ran before."""
    root = Path(conftest.__file__).resolve().parent.parent
    listed = subprocess.run(["git", "ls-files", "*.py"], cwd=root, capture_output=True,
                            text=True, check=True).stdout.split()
    parts = [Path(f).with_suffix("").parts for f in listed if Path(f).parts[0] not in
             ("tests", "docs")]
    expected = {".".join(p[1:] if p[0] == "tools" else p).removesuffix(".__init__")
                for p in parts} - set(conftest.PACKAGES)
    assert len(expected) > 100 and "mutation" in expected and "proofs.__main__" in expected
    assert set(conftest.PRELOADED) == expected
    assert all(name in sys.modules for name in expected)
