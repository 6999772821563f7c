"""The networks' TUNE/TEST split (docs/studies/network.md): which (dataset, model) pairs a
network preset may be tuned on.  ``simulations.tune_network`` searches only these;
``simulations.network_claims`` never judges a tuned preset on them.  The TEST networks
(MNIST-1D's CNN, the ``mnist1d_b`` draw) are every other MNIST-1D pair."""

__all__ = ["TUNE_NETWORKS"]

TUNE_NETWORKS = (("mnist1d", "mlp"), ("digits", "mlp"))
