"""The study executor (simulations.executor) and the compilation cache (simulations.compile_cache):
a study gives the same numbers in-process and on a real Dask LocalCluster, survives a worker
killed mid-study, names a unit that raises, refuses an unreachable scheduler in one line, and
the cache folder is the one documented (never the user's home folder during the tests).

Sizes: two small TEST instances (1 and 2: d K E = 588 and 13568), two seeds, two methods of
small programs (constant on the exact sampler, distance step by step; each instance has its
own shapes, so its own programs).  The workers compile with one XLA thread (a
compile option, so their programs are cached apart from the in-process run's), and their
numbers equal the in-process run's bit for bit.
"""

import contextlib
import functools
import io
import json
import os
import sys
import threading
import time

import distributed  # the dask extra is part of the test extra (pyproject)
import pytest

from autodrop_theory.errors import AssumptionError
from simulations import compile_cache, executor, generalization, instance_study, instances


ARGS = ["--quick", "--start", "1", "--instances", "2", "--seeds", "2", "--methods",
        "constant,distance", "--no-figures", "--quiet"]


def _run(argv):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = generalization.main(argv)
    return code, err.getvalue()


@pytest.fixture(scope="module")
def in_process(tmp_path_factory):
    out = tmp_path_factory.mktemp("in_process")
    assert _run(ARGS + ["--out", str(out)])[0] == 0
    return json.loads((out / "results.json").read_text())


@pytest.fixture(scope="module")
def client():
    with executor.cluster(workers=2) as c:
        yield c


def test_a_study_on_two_workers_writes_the_numbers_of_the_in_process_run(client, in_process,
                                                                       monkeypatch, tmp_path):
    """``--workers 2`` asks :func:`executor.cluster` for two local workers; the cluster it gets
    is the module's real two-worker LocalCluster (started by the same function, so its workers
    and their compiled programs serve the tests below too)."""
    asked = []

    @contextlib.contextmanager
    def the_module_cluster(workers=None, scheduler=None):
        asked.append((workers, scheduler))
        yield client
    monkeypatch.setattr(executor, "cluster", the_module_cluster)
    with distributed.get_task_stream(client=client) as stream:
        code, err = _run(ARGS + ["--workers", "2", "--out", str(tmp_path)])
    assert code == 0, err
    assert asked == [(2, None)]
    assert len(stream.data) == 2              # the two instances ran as tasks on the workers
    dask = json.loads((tmp_path / "results.json").read_text())
    assert [r["instance"]["index"] for r in dask["rows"]] == [1, 2]       # the fixed order
    for key in ("problem", "rows", "summary", "names"):
        assert dask[key] == in_process[key], key                          # bit for bit
    # the comparison can fail: one changed digit of one number is seen
    damaged = json.loads(json.dumps(dask["rows"]))
    damaged[1]["methods"]["distance"]["cr_ratio"] *= 1 + 2 ** -40
    assert damaged != in_process["rows"]


def _slow_row(inst, delay, starts, **kwargs):
    import uuid
    open(os.path.join(starts, f"{inst.index}-{uuid.uuid4().hex}"), "w").close()  # a start
    time.sleep(delay)
    return instance_study._row(inst, **kwargs)


def _fails_on_one(unit):
    if unit == 1:
        raise ValueError("no good")
    return unit * 10


def test_a_worker_killed_mid_study_loses_and_duplicates_no_unit(client, in_process, tmp_path):
    import cloudpickle
    cloudpickle.register_pickle_by_value(sys.modules[__name__])   # the workers lack tests/
    insts = instances.instances("test", 2, 1)
    kw = dict(methods=in_process["names"], seeds=2, seed=0, x64=False)
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("rows", executor.map_units(
        functools.partial(_slow_row, delay=1.0, starts=str(tmp_path), **kw), insts,
        client=client, desc="kill")))
    thread.start()
    deadline = time.monotonic() + 60
    busy = {}
    while not busy and time.monotonic() < deadline:   # both units started (one per worker):
        if len(list(tmp_path.iterdir())) == 2:        # the victim is in the middle of one
            busy = {w: ks for w, ks in client.processing().items() if ks}
        time.sleep(0.02)
    assert busy, "no unit reached a worker"
    victim = next(iter(busy))
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, 9)
    thread.join(120)
    assert not thread.is_alive()
    assert victim not in client.scheduler_info()["workers"]    # it did die (the nanny restarts
    assert box["rows"] == in_process["rows"]                   # a new one): every unit, once
    starts = sorted(p.name.split("-")[0] for p in tmp_path.iterdir())
    assert len(starts) == 3 and set(starts) == {"1", "2"}      # the killed unit ran again


def test_a_sweep_on_a_cluster_gives_each_points_own_numbers(client):
    """sim.sweep(client=...): one unit per grid point, gathered in the grid's order.  Every
    method block equals that point's own in-process run bit for bit (the executor changes no
    number); against the one-program sweep, whose program XLA rounds differently, the float32
    curves agree to 1e-5 relative (float32's eps 1.2e-7 times the 48 steps' worst-case
    accumulation is 6e-6).  The constant rate at two rates (the smallest program), d = 6."""
    import numpy as np

    import simulations as sim
    from simulations import engine, experiment, problems
    p = problems.default_problem(dim=6, seed=1)
    kw = dict(lr=0.5, epochs=12, steps_per_epoch=4, seeds=3)
    there = sim.sweep(p, "constant", {"lr": [0.3, 0.5]}, client=client, **kw)
    names = ["constant[lr=0.3]", "constant[lr=0.5]"]
    assert list(there.methods) == names and there["meta"]["config"]["units"] == 2
    one = sim.sweep(p, "constant", {"lr": [0.3, 0.5]}, **kw)
    for name, rate in zip(names, (0.3, 0.5)):
        m = sim.methods.make("constant", experiment.run_context(p, rate, 12, 4))
        alone = sim.run(p, [m._replace(name=name)], **kw)
        assert json.dumps(there.to_json()["methods"][name]) == json.dumps(
            alone.to_json()["methods"][name])
        assert there["theory"]["schedule_check"][name] == alone["theory"]["schedule_check"][name]
        np.testing.assert_allclose(there.methods[name]["mean_sq_dist"],
                                   one.methods[name]["mean_sq_dist"], rtol=1e-5)
    with pytest.raises(AssumptionError, match="^client: "):
        sim.sweep(p, "constant", {"lr": [0.3]}, client=client, mesh=engine.seed_mesh(), **kw)
    # every point is checked with the others before any unit runs (each unit alone could not
    # see that two points share a name, and the merge would keep one of them)
    with pytest.raises(AssumptionError, match="given twice"):
        sim.sweep(p, "constant", {"lr": [0.3, 0.3]}, client=client, **kw)


def test_a_unit_that_raises_is_named_here_and_on_a_cluster(client, monkeypatch):
    import cloudpickle
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    assert executor.map_units(_fails_on_one, [0, 2], client=client) == [0, 20]
    for where in (None, client):
        with pytest.raises(executor.UnitError, match=r"unit 1 \(b\) failed: ValueError: no good"):
            executor.map_units(_fails_on_one, [0, 1, 2], client=where, labels=["a", "b", "c"])
    # in-process, Dask is never imported
    monkeypatch.setitem(sys.modules, "distributed", None)
    assert executor.map_units(_fails_on_one, [3, 0], labels=["x", "y"]) == [30, 0]
    with pytest.raises(AssumptionError, match="labels"):
        executor.map_units(_fails_on_one, [3, 0], labels=["x"])


def _settings_seen(name):
    import jax
    return executor._read(jax, name)


def test_a_worker_takes_the_callers_jax_settings_flags_included():
    """What a worker applies before a unit: every setting of JAX_SETTINGS as the caller had it,
    the plain flag jax_disable_most_optimizations included (read, not an attribute); run here
    on a worker's task in this process, the caller's values changed and then restored."""
    import jax
    name = "jax_disable_most_optimizations"
    was = executor._settings()
    assert set(was) == set(executor.JAX_SETTINGS) and was[name] == jax.config.read(name)
    task = executor._Task(_settings_seen, dict(was, **{name: not was[name]}), cache=False)
    try:
        assert task(name) is (not was[name])
    finally:
        jax.config.update(name, was[name])
    assert executor._settings() == was


def test_an_unreachable_scheduler_is_refused_fast_in_one_line(monkeypatch, tmp_path):
    monkeypatch.setattr(executor, "CONNECT_TIMEOUT", 1.0)
    start = time.perf_counter()
    code, err = _run(ARGS + ["--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "o")])
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith("simulations.generalization: error: --scheduler: cannot reach"), err
    assert time.perf_counter() - start < 10
    assert not (tmp_path / "o").exists()
    with pytest.raises(AssumptionError, match="workers, scheduler"):
        with executor.cluster(workers=2, scheduler="tcp://127.0.0.1:9"):
            pass


def test_the_cache_folder_is_the_documented_one(monkeypatch, tmp_path):
    import jax
    # the suite's private folder (tests/conftest.py), not the user's home
    assert jax.config.jax_compilation_cache_dir == os.environ[compile_cache.ENV]
    assert not os.environ[compile_cache.ENV].startswith(os.path.expanduser("~/.cache"))
    monkeypatch.delenv(compile_cache.ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert compile_cache.default_dir() == str(tmp_path / "xdg" / "autodrop-theory" / "jax")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert compile_cache.default_dir() == str(tmp_path / "home" / ".cache" / "autodrop-theory"
                                              / "jax")
    monkeypatch.setenv(compile_cache.ENV, str(tmp_path / "env"))
    assert compile_cache.default_dir() == str(tmp_path / "env")


def test_compile_cache_flag_switches_the_cache_off_and_to_a_folder(tmp_path):
    import jax
    suite = jax.config.jax_compilation_cache_dir
    least = jax.config.jax_persistent_cache_min_compile_time_secs
    try:
        assert compile_cache.enable("none") is None
        assert not jax.config.jax_enable_compilation_cache
        assert compile_cache.enable(tmp_path / "c") == str(tmp_path / "c")
        assert jax.config.jax_enable_compilation_cache
        assert jax.config.jax_compilation_cache_dir == str(tmp_path / "c")
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.jit(lambda x: jax.numpy.sin(x) * 3.0 + jax.numpy.cos(x) ** 2)(
            jax.numpy.arange(7.0)).block_until_ready()
        assert any((tmp_path / "c").iterdir())              # the program was stored there
    finally:
        jax.config.update("jax_persistent_cache_min_compile_time_secs", least)
        compile_cache.enable(suite)
    assert jax.config.jax_compilation_cache_dir == suite and jax.config.jax_enable_compilation_cache
