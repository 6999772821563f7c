"""The suite's own setup (tests/conftest.py): the probe that decides the XLA code generator keeps
XLA's default where the installed XLA does not know the flag (XLA aborts on an unknown flag, so
without the probe an older jaxlib would fail every test).  Which generator a run used is printed
at its end ("XLA CPU code generator: ...")."""

import conftest


def test_the_probe_accepts_a_flag_xla_knows_and_refuses_one_it_does_not():
    assert conftest.xla_accepts("--xla_force_host_platform_device_count=1")
    assert not conftest.xla_accepts("--xla_cpu_no_such_flag_for_the_suite_probe=true")
