"""Where a study's independent units run: in this process, or on a Dask cluster.

    map_units(fn, units, *, client=None, labels=None, desc="", quiet=True) -> [fn(unit), ...]
    cluster(workers=None, scheduler=None) -> context manager giving a Client (or None)
    progress(iterable, quiet, desc, total=None) -> a progress bar (the commands' too)

The commands' ``--workers`` / ``--scheduler`` flags are :func:`.cli.add_study_flags` and
:func:`.cli.study_client`.

Problem: a study (the generalization study's instances, the TUNE search's instances,
``compare``'s settings, the network study's model/method runs) is a list of independent units;
a big one outgrows one process, or one machine.

Algorithm: the study calls :func:`map_units` with a function and its list of units.  Without a
client, the units run here, one after the other (Dask is not imported).  With a Dask
``distributed.Client`` (``--workers N``: a ``LocalCluster`` of N spawned worker processes with
one thread each and XLA told to use one thread, so N workers use N cores; ``--scheduler
ADDRESS``: an existing cluster, e.g. one started by dask-jobqueue on SLURM), each unit is one
task; the results are gathered in the order of ``units`` whatever order they finish in.  Each
task carries this process's JAX settings that change numbers (x64, dtype promotion) and the
persistent compilation cache folder (:mod:`.compile_cache`), applied on the worker before the
unit runs.

Guarantee: a unit's random numbers depend only on the unit (each study derives its keys from
the run seed and the unit's own index), so the numbers are the same whichever executor and
however many workers run them (tests/test_executor.py compares results.json exactly).  Nothing
is returned before every unit is in: a worker that dies mid-unit has its unit rerun by Dask's
scheduler (at most ``distributed.scheduler.allowed-failures`` times); a unit that raises stops
the study with :class:`UnitError` naming the unit and the cause; a scheduler that cannot be
reached in :data:`CONNECT_TIMEOUT` seconds is an :class:`~autodrop_theory.errors.AssumptionError`.

References: docs/performance.md ("Bigger studies"); Dask distributed's documentation.
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid

from autodrop_theory import _validate as v
from autodrop_theory.errors import AssumptionError

__all__ = ["UnitError", "map_units", "cluster", "progress", "worker_env",
           "CONNECT_TIMEOUT", "JAX_SETTINGS", "MAX_WORKERS"]

CONNECT_TIMEOUT = 5.0
MAX_WORKERS = 512          # local worker processes (--workers); a bigger cluster: --scheduler
# jax.config options that change a unit's numbers: the workers use the caller's values
# (jax_disable_most_optimizations: how XLA compiles, hence the last bits; docs/results.md)
JAX_SETTINGS = ("jax_enable_x64", "jax_numpy_dtype_promotion", "jax_default_matmul_precision",
                "jax_disable_most_optimizations")
# one thread per worker: XLA's CPU backend and the BLAS libraries would otherwise each start a
# thread per core in every worker process
THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false"      # Eigen's kernels on one thread


class UnitError(RuntimeError):
    """A unit of a study raised: which unit (index and label) and why."""

    def __init__(self, index, label, cause):
        self.index, self.label, self.cause = index, label, cause
        super().__init__(f"unit {index} ({label}) failed: {type(cause).__name__}: {cause}")


class _Task:
    """``fn(unit)`` on a worker, after the caller's JAX settings and cache folder are applied
    (a plain class: pickled by reference to this module, no closure)."""

    def __init__(self, fn, settings, cache):
        self.fn, self.settings, self.cache = fn, settings, cache

    def __call__(self, unit):
        import jax

        from . import compile_cache
        for name, value in self.settings.items():
            if _read(jax, name) != value:
                jax.config.update(name, value)
        if self.cache is not False:            # False: leave the worker's own setting
            try:
                compile_cache.enable(self.cache)
            except OSError:                    # a remote worker without the caller's folder:
                compile_cache.enable("default")     # its own default
        return self.fn(unit)


def _read(jax, name):
    """A jax.config option's value: a context-managed setting is an attribute, a plain flag
    (jax_disable_most_optimizations) is read."""
    try:
        return getattr(jax.config, name)
    except AttributeError:
        return jax.config.read(name)


def _settings() -> dict:
    if "jax" not in sys.modules:
        return {}
    import jax
    return {name: _read(jax, name) for name in JAX_SETTINGS}


def progress(iterable, quiet: bool, desc: str, total=None):
    """A tqdm bar on stderr, silent with --quiet or when stderr is not a terminal (``iterable``
    None: a bar of ``total`` steps advanced by ``update()``)."""
    from tqdm.auto import tqdm
    return tqdm(iterable, desc=desc, disable=quiet or not sys.stderr.isatty(), file=sys.stderr,
                leave=False, total=total)


def check_client(client):
    """``client`` as given, if None or a Dask client (duck-typed: ``submit`` and ``cancel``, so
    Dask is not imported to check it); otherwise an AssumptionError naming ``client``."""
    if client is not None and not (callable(getattr(client, "submit", None))
                                   and callable(getattr(client, "cancel", None))):
        raise AssumptionError(f"client: need None or a Dask distributed.Client, got "
                              f"{type(client).__name__}")
    return client


def map_units(fn, units, *, client=None, labels=None, desc: str = "", quiet: bool = True,
              cache="caller") -> list:
    """``[fn(u) for u in units]``, run here (``client`` None) or as one Dask task per unit on
    ``client``'s cluster (the results in the order of ``units``); a progress bar over units
    unless ``quiet``.  ``fn`` and the units must pickle for a cluster (a module-level function,
    or ``functools.partial`` of one).  ``labels``: how the units are named in a
    :class:`UnitError` (default: their index).  ``cache``: the compilation-cache folder the
    workers use ("caller": this process's, :func:`.compile_cache.current`, where set up; None
    switches it off there; False: the workers' own setting; a worker that cannot create the
    folder uses its own default)."""
    check_client(client)
    units = list(units)
    labels = [str(i) for i in range(len(units))] if labels is None else list(labels)
    if len(labels) != len(units):
        raise AssumptionError(f"labels: need one per unit ({len(units)}), got {len(labels)}")
    if client is None:
        out = []
        with progress(None, quiet, desc, len(units)) as bar:
            for i, unit in enumerate(units):
                try:
                    out.append(fn(unit))
                except Exception as exc:       # noqa: BLE001 (named and re-raised)
                    raise UnitError(i, labels[i], exc) from exc
                bar.update()
        return out
    from distributed import as_completed

    from . import compile_cache
    if cache == "caller":
        cache = compile_cache.current() if compile_cache.configured() else False
    task = _Task(fn, _settings(), cache)
    token = uuid.uuid4().hex[:8]
    futures = [client.submit(task, unit, key=f"{desc or 'unit'}-{i}-{token}", pure=False)
               for i, unit in enumerate(units)]
    where = {f.key: i for i, f in enumerate(futures)}
    out = [None] * len(units)
    try:
        with progress(None, quiet, desc, len(units)) as bar:
            for future in as_completed(futures):
                i = where[future.key]
                try:
                    out[i] = future.result()
                except Exception as exc:       # noqa: BLE001 (named and re-raised)
                    raise UnitError(i, labels[i], exc) from exc
                bar.update()
    finally:
        client.cancel([f for f in futures if not f.done()])
    return out


def worker_env() -> dict:
    """The environment of a local worker process: one thread for XLA and BLAS, the caller's
    compilation cache (inherited) and XLA flags plus :data:`XLA_ONE_THREAD`."""
    flags = os.environ.get("XLA_FLAGS", "")
    return THREAD_ENV | {"XLA_FLAGS": (flags + " " + XLA_ONE_THREAD).strip()}


@contextlib.contextmanager
def cluster(workers=None, scheduler=None):
    """A Dask client for ``workers`` local worker processes, or for the cluster at
    ``scheduler``; None (no client: :func:`map_units` runs here) when both are None.  The
    cluster this starts is closed on exit."""
    if workers is not None and scheduler is not None:
        raise AssumptionError("workers, scheduler: give one, not both")
    if workers is None and scheduler is None:
        yield None
        return
    if workers is not None:          # before Dask is imported (a bool is not a count)
        v.integer("workers", workers, lo=1, hi=MAX_WORKERS)
    elif not isinstance(scheduler, str) or not scheduler:
        raise AssumptionError(f"scheduler: need an address (e.g. tcp://host:8786), got "
                              f"{scheduler!r}")
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise AssumptionError("workers, scheduler: need Dask (pip install -e '.[dask]')") \
            from None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise AssumptionError(f"scheduler: cannot reach a Dask scheduler at {scheduler!r} "
                                  f"within {CONNECT_TIMEOUT:g} s ({type(exc).__name__})") \
                from None
        with client:
            yield client
        return
    with dask.config.set({"distributed.worker.multiprocessing-method": "spawn",
                          "distributed.worker.daemon": False}):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None, env=worker_env(),
                          silence_logs=40) as lc, Client(lc) as client:
            yield client
