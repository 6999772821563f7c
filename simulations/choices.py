"""The names a command line chooses among, importable without any numerical library (so that
``--help`` and the refusal of a misspelt name stay fast)."""

__all__ = ["DATASETS", "SAMPLINGS", "SAMPLERS"]

DATASETS = ("synthetic", "breast_cancer", "digits", "wine")
SAMPLINGS = ("reshuffle", "replacement")
SAMPLERS = ("auto", "steps", "exact")      # how an epoch is simulated (engine.choose_samplers)
