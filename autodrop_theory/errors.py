"""The one exception every public function raises on input outside its assumptions."""

__all__ = ["AssumptionError"]


class AssumptionError(ValueError):
    """Input violates an assumption of the called function.

    The message always names the parameter, the condition it must satisfy and the value that was
    received, e.g. ``lr: need 0 < lr * h_i < 2 for every h_i > 0 (stability), got lr * L = 2.5``.
    """
