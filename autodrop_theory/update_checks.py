"""The arguments of an optax ``update`` call, checked before any JAX work.

Problem: an optax transformation's ``update(updates, state, params)`` is called with whatever
the training loop holds; a state of another transformation, integer updates, updates or
parameters of other shapes than at ``init`` would otherwise end in a JAX error from inside
the step (or, for integer updates, in a rate cast to an integer: a silent zero step).

Algorithm: from the pytrees' structures and the leaves' shapes and dtypes alone (nothing is
computed): the state's type; the parameters, where the transformation reads them; the
updates' leaves floating-point (:func:`autodrop_theory.rule.check_params`), with the
structure and shapes of ``params``; ``params`` with the structure and shapes of a pytree kept
from ``init`` (a momentum buffer) and the number of parameters seen at ``init``.

Guarantee: each refusal is an AssumptionError naming the argument (``state``, ``params``,
``updates``) and the condition; a call that passes reaches the step with arguments of the
shapes and dtypes it was traced for.

References: optax's GradientTransformation protocol (``init``/``update``).
"""

from __future__ import annotations

import jax
import numpy as np

from .errors import AssumptionError
from .rule import check_params

__all__ = ["check_update"]


def _shapes_match(name: str, tree, ref, ref_name: str) -> None:
    if jax.tree_util.tree_structure(tree) != jax.tree_util.tree_structure(ref):
        raise AssumptionError(f"{name}: need the pytree structure of {ref_name}")
    for (path, a), b in zip(jax.tree_util.tree_leaves_with_path(tree),
                            jax.tree_util.tree_leaves(ref)):
        if np.shape(a) != np.shape(b):
            raise AssumptionError(f"{name}: need the shapes of {ref_name}, got "
                                  f"{np.shape(a)} at {jax.tree_util.keystr(path) or 'the leaf'}"
                                  f" ({ref_name}: {np.shape(b)})")


def check_update(updates, state, params, state_types, *, reads_params: bool = True,
                 like=None, size: int | None = None) -> None:
    """Refuse an ``update(updates, state, params)`` call (see the module docstring): ``state``
    an instance of ``state_types``; ``params`` given where ``reads_params``; ``updates``
    floating-point, shaped as ``params`` (where given); ``params`` shaped as ``like`` (a
    pytree kept from init, e.g. the momentum buffer) and of ``size`` numbers, where given."""
    if not isinstance(state, state_types):
        raise AssumptionError(f"state: need this transformation's state (from its init), got "
                              f"{type(state).__name__}")
    if params is None and reads_params:
        raise AssumptionError("params: this transformation reads the parameters (call "
                              "update(updates, state, params))")
    check_params(updates, "updates")
    if params is None:
        return
    check_params(params)
    _shapes_match("updates", updates, params, "params")
    if like is not None:
        _shapes_match("params", params, like, "the parameters at init")
    n = sum(int(np.size(leaf)) for leaf in jax.tree_util.tree_leaves(params))
    if size is not None and n != size:
        raise AssumptionError(f"params: need {size} parameters (as at init), got {n}")
