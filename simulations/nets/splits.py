"""The networks' TUNE/TEST split (docs/studies/network.md): which (dataset, model) pairs a
network preset may be tuned on, and which it is judged on.  ``simulations.tune_network``
searches only the TUNE networks; ``simulations.network_claims`` judges a tuned preset only on
the TEST networks (MNIST-1D's CNN and the ``mnist1d_b`` draw; a network in neither split, e.g.
digits' CNN, whose data the TUNE set used, judges no tuned preset)."""

__all__ = ["TUNE_NETWORKS", "TEST_NETWORKS"]

TUNE_NETWORKS = (("mnist1d", "mlp"), ("digits", "mlp"))
TEST_NETWORKS = (("mnist1d", "cnn"), ("mnist1d_b", "cnn"), ("mnist1d_b", "mlp"))
