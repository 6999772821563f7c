"""Test configuration: float64 and strict dtype promotion for every test (theory checks run in
float64; strict promotion turns any accidental float32/float64 mix in the library into an error)."""

import jax
from hypothesis import settings

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_dtype_promotion", "strict")

# Deterministic property tests: the same examples on every run, no deadline flakiness under
# JIT compilation.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60,
                          print_blob=True)
# The thorough search (not derandomized, thousands of examples), one documented command:
#   AUTODROP_PROPERTY_STATS=docs/property_stats.json python -m pytest -o addopts="" \
#       tests/test_properties.py --hypothesis-profile thorough
settings.register_profile("thorough", derandomize=False, deadline=None, max_examples=2000,
                          print_blob=True)
settings.load_profile("ci")
