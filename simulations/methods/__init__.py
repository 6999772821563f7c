"""The one registry of methods.  Adding a method = one module (or one factory in an existing
family module) + one line in :data:`REGISTRY`.

Each entry is a :class:`Spec`: the factory ``(RunContext) -> Method``, the family it builds
(so the metadata lives on the family: ``automatic``, ``per_step``), whether it needs the
exact quadratic model (``needs_model``) and whether it needs the step-level simulator
(``needs_steps``: the exact epoch sampler cannot run it; stated here so that a command can size
a run without importing JAX, and checked against the family by a test).
"""

from __future__ import annotations

import importlib
from typing import NamedTuple

from autodrop_theory.errors import AssumptionError

__all__ = ["REGISTRY", "Spec", "make", "available", "automatic", "Family", "Method",
           "RunContext", "EpochInfo", "StepInfo"]

_BASE = ("EpochInfo", "Family", "Method", "RunContext", "StepInfo", "drop_count", "rate_state")
_MODULES = ("autodrop", "averaged", "base", "distance", "oracle", "pflug", "plateau", "sasa",
            "schedules")


class Spec(NamedTuple):
    """A registry entry: the factory ``module:function`` and family ``module:NAME`` in this
    package, looked up (and their modules imported) only when used, so that listing and checking
    method names (``--help``, a misspelt ``--methods``) imports no numerical library."""

    factory_at: str
    family_at: str
    needs_model: bool = False
    needs_steps: bool = False     # = not family.epoch_level (a test checks), known unimported

    @property
    def factory(self):
        return _attr(self.factory_at)

    @property
    def family(self):
        return _attr(self.family_at)

    @property
    def automatic(self) -> bool:
        return self.family.automatic

    @property
    def per_step(self) -> bool:
        return self.family.per_step


def _attr(where: str):
    module, _, name = where.partition(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __getattr__(name):
    """The interface types of base.py and the family modules, imported on first use."""
    if name in _BASE:
        return getattr(importlib.import_module(f"{__name__}.base"), name)
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


REGISTRY = {
    "autodrop": Spec("autodrop:autodrop", "autodrop:PACKAGE_FAMILY"),
    "autodrop_paper": Spec("autodrop:autodrop_paper", "autodrop:PAPER_FAMILY"),
    "autodrop_immediate": Spec("autodrop:autodrop_immediate", "autodrop:IMMEDIATE_FAMILY"),
    "autodrop_v1": Spec("autodrop:autodrop_v1", "autodrop:V1_FAMILY"),
    "constant": Spec("schedules:constant", "schedules:EPOCH_SCHEDULE"),
    "step_decay": Spec("schedules:step_decay", "schedules:EPOCH_SCHEDULE"),
    "inverse_time": Spec("schedules:inverse_time", "schedules:INVERSE_TIME"),
    "averaged": Spec("averaged:averaged", "averaged:FAMILY"),
    "step_decay_gkkn": Spec("schedules:step_decay_gkkn", "schedules:GKKN"),
    "plateau": Spec("plateau:plateau", "plateau:FAMILY", needs_steps=True),
    "pflug": Spec("pflug:pflug", "pflug:FAMILY", needs_steps=True),
    "distance": Spec("distance:distance", "distance:FAMILY", needs_steps=True),
    "sasa": Spec("sasa:sasa", "sasa:FAMILY", needs_steps=True),
    "oracle": Spec("oracle:oracle", "schedules:EPOCH_SCHEDULE", needs_model=True),
}


def available(exact_model: bool = True) -> list:
    """The registered method names; without an exact quadratic model, those that need it are
    left out."""
    return [n for n, s in REGISTRY.items() if exact_model or not s.needs_model]


def automatic() -> list:
    """The methods that decide their drops from the run (their failures are flagged)."""
    return [n for n, s in REGISTRY.items() if s.automatic]


def make(name: str, ctx: RunContext) -> Method:
    """Build the registered method ``name`` for the run ``ctx``."""
    if name not in REGISTRY:
        raise AssumptionError(f"methods: unknown method {name!r}; known: {', '.join(REGISTRY)}")
    return REGISTRY[name].factory(ctx)
