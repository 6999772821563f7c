"""The suite's own setup (tests/conftest.py): the probe that decides the XLA code generator keeps
XLA's default where the installed XLA does not know the flag (XLA aborts on an unknown flag, so
without the probe an older jaxlib would fail every test).  Its other answer, that this XLA
accepts the suite's flag, is printed at the end of every run ("XLA CPU code generator: ...")."""

import conftest


def test_the_probe_refuses_a_flag_this_xla_does_not_know():
    assert not conftest.xla_accepts("--xla_cpu_no_such_flag_for_the_suite_probe=true")
