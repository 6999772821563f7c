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

__all__ = ["REGISTRY", "DEFAULT_METHODS", "Spec", "make", "available", "automatic", "reference", "Family", "Method",
           "RunContext", "EpochInfo", "StepInfo"]

_BASE = ("EpochInfo", "Family", "Method", "RunContext", "StepInfo", "drop_count", "rate_state")
_MODULES = ("autodrop", "averaged", "base", "distance", "oracle", "paper_rules", "pflug",
            "plateau", "sasa", "schedules")


class Spec(NamedTuple):
    """A registry entry: the factory ``module:function`` and family ``module:NAME`` in this
    package, looked up (and their modules imported) only when used, so that listing and checking
    method names (``--help``, a misspelt ``--methods``) imports no numerical library."""

    factory_at: str
    family_at: str
    needs_model: bool = False
    needs_steps: bool = False     # = not family.epoch_level (a test checks), known unimported
    reference: bool = False       # the constant-rate reference: every run compares the others
                                  # with it and checks it against the exact theory (one entry)

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
    "constant": Spec("schedules:constant", "schedules:EPOCH_SCHEDULE", reference=True),
    "step_decay": Spec("schedules:step_decay", "schedules:EPOCH_SCHEDULE"),
    "inverse_time": Spec("schedules:inverse_time", "schedules:INVERSE_TIME"),
    "averaged": Spec("averaged:averaged", "averaged:FAMILY"),
    "step_decay_gkkn": Spec("schedules:step_decay_gkkn", "schedules:GKKN"),
    "plateau": Spec("plateau:plateau", "plateau:FAMILY", needs_steps=True),
    "pflug": Spec("pflug:pflug", "pflug:FAMILY", needs_steps=True),
    "distance": Spec("distance:distance", "distance:FAMILY", needs_steps=True),
    "sasa": Spec("sasa:sasa", "sasa:FAMILY", needs_steps=True),
    "oracle": Spec("oracle:oracle", "schedules:EPOCH_SCHEDULE", needs_model=True),
    "autodrop_uai": Spec("paper_rules:autodrop_uai", "paper_rules:UAI_FAMILY", needs_steps=True),
    "autodrop_uai_printed": Spec("paper_rules:autodrop_uai_printed", "paper_rules:UAI_FAMILY",
                                 needs_steps=True),
    "autodrop_model": Spec("paper_rules:autodrop_model", "paper_rules:MODEL_FAMILY"),
    "halving": Spec("paper_rules:halving", "paper_rules:HALVING_FAMILY", needs_steps=True),
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

# what simulations.run compares when no methods are named: the package's AutoDrop and the
# constant-rate reference
DEFAULT_METHODS = ("autodrop", "constant")


def reference() -> str:
    """The registry name of the constant-rate reference method (:attr:`Spec.reference`)."""
    names = [n for n, s in REGISTRY.items() if s.reference]
    if len(names) != 1:
        raise AssertionError(f"the registry needs exactly one reference method, has {names}")
    return names[0]
