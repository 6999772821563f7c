"""Machine-checked proofs of the package's theorems; ``python -m proofs`` checks them all.

Each module holds one theorem (or the parts of one) as data (:class:`proofs.checker.Proof`);
:data:`THEOREMS` lists them in dependency order.
"""

import importlib

__all__ = ["THEOREMS", "check_all"]
_ORDER = (   # dependency order: (module, attribute holding one proof or a tuple of proofs)
    ("sgd_one_step", "PROOF"), ("sgd_constant_step", "PROOF"),
    ("sgd_one_step_finite_sum", "PROOFS"), ("sgd_quadratic_exact", "PROOF"),
    ("sgd_schedule", "PROOFS"), ("stationary_variance", "PROOF"), ("geometric_sums", "PROOFS"),
    ("stagewise", "PROOFS"), ("angle_moments", "PROOFS"), ("stationary_angle", "PROOFS"),
    ("certificate", "PROOFS"), ("autodrop_guard", "PROOFS"), ("autodrop_wait", "PROOFS"),
    ("paper_thm32", "PROOFS"), ("paper_thm51", "PROOFS"), ("paper_stages", "PROOFS"),
)
# The paper's printed proof steps that the checker refuses (results, not theorems) are in
# proofs.paper_printed.PRINTED, outside THEOREMS (docs/paper.md §5).


def __getattr__(name):
    """``THEOREMS`` and ``check_all``, built on first use (they load sympy), so that
    ``python -m proofs --help`` and its refusals of bad flags are immediate."""
    if name == "THEOREMS":
        found = []
        for module, attr in _ORDER:
            value = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
            found += list(value) if attr == "PROOFS" else [value]
        globals()["THEOREMS"] = tuple(found)
        return globals()["THEOREMS"]
    if name == "check_all":
        return importlib.import_module(f"{__name__}.checker").check_all
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
