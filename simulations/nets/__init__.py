"""Small networks in plain JAX for :mod:`simulations.network` (models and the digits data)."""
