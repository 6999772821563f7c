"""The reading of a paired interval over seeds: below 0, above 0, or not resolved (it contains
0), and the same for times with censored seeds.  Used by the network study's comparisons
(:mod:`simulations.network`) and the verdicts computed from them
(:mod:`simulations.network_claims`)."""

from __future__ import annotations

__all__ = ["direction", "epochs_reading"]


def direction(c: dict) -> str:
    """A paired interval's reading: "lower" (entirely below 0), "higher" (above 0) or "not
    resolved" (it contains 0)."""
    lo, hi = c["ci"]
    return "lower" if hi < 0 else "higher" if lo > 0 else "not resolved"


def epochs_reading(d: dict, censored_method: int, censored_other: int) -> str:
    """:func:`direction` of a paired epochs-to-target interval whose seeds that never reach the
    target count the budget (:func:`simulations.network.paired_epochs_to_target`): "lower" only
    when the method has no censored seed, "higher" only when the comparator has none; else
    "not resolved"."""
    reading = direction(d)
    if (reading == "lower" and censored_method) or (reading == "higher" and censored_other):
        return "not resolved"
    return reading
