"""Problems for the simulator: one module each, one small protocol (:mod:`.base`).  Adding a
problem = one module implementing :class:`~.base.Problem`."""

from .base import Kind, Problem
from .custom import CustomProblem, custom
from .logistic import LogisticProblem, logistic_regression
from .quadratic import QuadraticProblem, Sphere, default_model, default_problem, quadratic

__all__ = ["Kind", "Problem", "QuadraticProblem", "Sphere", "quadratic", "default_model",
           "default_problem", "LogisticProblem", "logistic_regression", "CustomProblem", "custom"]
