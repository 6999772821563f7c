"""How much memory a simulation needs, checked before anything is allocated or compiled.

Importable without any numerical library, so a command refuses an impossible size at once.
The estimate (:func:`estimate`) follows the engine's layout (:mod:`simulations.engine`): per
seed, one epoch's noise (K d numbers: the engine draws an epoch's noise at once; at most 3 d where
every method runs on the exact epoch sampler), each method's
state (about 8 vectors of d numbers: iterate, previous boundary, momentum, the rule's snapshots
and tail average) and its records at the E + 1 boundaries (8 series, held about three times in
float64 on the host: device copy, numpy arrays, statistics).  It is a lower-order estimate,
not a bound: a run refused by it could never fit, a run accepted may still need more.
"""

from __future__ import annotations

import os

from autodrop_theory.errors import AssumptionError

__all__ = ["estimate", "available", "check"]

STATE_VECTORS = 12       # vectors of d numbers per method and seed (AutoDrop: the engine's 3
                         # and the rule's 8, autodrop_theory.rule.AutoDropState)
RECORD_SERIES = 8        # per-boundary series per method and seed
HOST_COPIES = 3          # float64 copies of the records on the host
EXACT_NORMALS = 3        # normals per coordinate and epoch of the exact sampler (at most)


def _per_seed(dim, methods, epochs, steps_per_epoch, itemsize, extra, step_noise) -> dict:
    """Bytes per seed by term, keyed by the sizes that drive it."""
    noise = steps_per_epoch if step_noise else EXACT_NORMALS
    return {"dim, steps_per_epoch": itemsize * noise * dim,                # one epoch's noise
            "dim": itemsize * STATE_VECTORS * methods * dim,               # the states
            "epochs": 8 * HOST_COPIES * RECORD_SERIES * methods * (epochs + 1) + extra}


def estimate(dim: int, methods: int, epochs: int, steps_per_epoch: int, seeds: int,
             itemsize: int = 4, extra: int = 0, step_noise: bool = True) -> int:
    """Bytes a run of ``methods`` methods on ``seeds`` seeds needs, plus ``extra`` bytes per
    seed (e.g. a network run's minibatch indices); ``step_noise`` False: every method runs on
    the exact epoch sampler (a few normals per coordinate and epoch, not K).  Exact integer
    arithmetic: any size, however large, gives a number."""
    return seeds * sum(_per_seed(dim, methods, epochs, steps_per_epoch, itemsize,
                                 extra, step_noise).values())


def available() -> int | None:
    """Bytes of memory available now (Linux ``MemAvailable``; else the physical memory; None
    where neither is known)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def check(dim: int, methods: int, epochs: int, steps_per_epoch: int, seeds: int,
          itemsize: int = 4, extra: int = 0, step_noise: bool = True) -> int:
    """Raise :class:`AssumptionError` where the :func:`estimate` exceeds the memory available,
    naming ``seeds`` and the sizes of the largest term (``dim, steps_per_epoch``: one epoch's
    noise; ``dim``: the states; ``epochs``: the records); return the estimate."""
    nbytes = estimate(dim, methods, epochs, steps_per_epoch, seeds, itemsize, extra, step_noise)
    free = available()
    if free is not None and nbytes > free:
        terms = _per_seed(dim, methods, epochs, steps_per_epoch, itemsize, extra, step_noise)
        raise AssumptionError(
            f"seeds, {max(terms, key=terms.get)}: the run needs about {_gib(nbytes)} of memory "
            f"({seeds} seeds x d = {dim}, {methods} methods, E = {epochs}, "
            f"K = {steps_per_epoch}), more than the {_gib(free)} available; use fewer seeds, "
            "a smaller d, E or K")
    return nbytes


def _gib(nbytes: int) -> str:
    return f"{nbytes / 2 ** 30:.3g} GiB"
