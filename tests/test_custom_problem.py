"""problems.custom: a valid oracle given with only the required arguments runs every method
that can run on it and draws only what it defines (a malformed oracle is refused at
construction: tests/test_library_refusals.py)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import simulations as sim
from autodrop_theory import AssumptionError
from simulations import problems
from simulations.methods import REGISTRY


def grad(x, xi):                      # f(x) = |x|^2 / 2, additive noise
    return x + xi


def noise(key, K):                    # noqa: N803  (float32, as the runs here)
    return 0.1 * jax.random.normal(key, (K, 3), jnp.float32)


BUDGET = dict(lr=0.2, epochs=6, steps_per_epoch=3, seeds=2)


def test_only_the_required_arguments_run_every_method_that_can_run(tmp_path):
    """No x_star, loss, f_star or mu: every method runs except the three that need what is
    missing (the oracle needs the exact model, plateau loss samples, inverse_time mu: each
    refused by name); the
    undefined errors are null, not an overflow; the saved run draws no error figure."""
    p = problems.custom(grad, noise, np.ones(3))
    assert p.reports == () and not p.loss_samples
    names = [n for n in REGISTRY if n not in ("oracle", "plateau", "inverse_time",
                                              "autodrop_model")]
    res = sim.run(p, names, **BUDGET)
    assert list(res.methods) == names
    for n, m in res.methods.items():
        assert m["diverged_seeds"] == 0 and m["overflowed_seeds"] == 0, n
        assert np.all(np.isnan(np.asarray(m["mean_sq_dist"], float))), n
        assert np.all(np.isfinite(np.asarray(m["lr"], float))), n
        assert np.all(np.isfinite(np.asarray(m["angle_deg"], float)[2:])), n
    for method, needle in (("oracle", "^methods: oracle needs the exact"),
                           ("plateau", "^methods: plateau reads the stochastic loss"),
                           ("inverse_time", "^methods: inverse_time needs the problem's mu"),
                           ("autodrop_model", "^gamma: autodrop_model needs gamma > 0")):
        with pytest.raises(AssumptionError, match=needle):
            sim.run(p, [method], **BUDGET)
    written = sorted(q.name for q in sim.save(res, tmp_path))
    assert written == sorted(["results.json"] + [f"{s}.{e}" for s in (
        "angle_vs_epoch", "lr_vs_iterations", "drop_times") for e in ("pdf", "png")])
    assert sim.Results.load(tmp_path).problem["reports"] == []


def test_loss_samples_mu_and_f_without_x_star():
    """A (gradient, loss) oracle gives plateau its samples, mu lets inverse_time run, loss and
    f_star without x_star report f - f* (the key of the error figure) but not the distance."""
    from simulations.results_check import error_key
    p = problems.custom(lambda x, xi: (x + xi, jnp.vdot(x, x) / 2), noise, np.ones(3),
                        loss=lambda x: jnp.vdot(x, x) / 2, f_star=0.0, mu=1.0)
    assert p.loss_samples and p.reports == ("subopt",)
    res = sim.run(p, ["plateau", "inverse_time"], **BUDGET)
    for m in res.methods.values():
        assert m["diverged_seeds"] == 0 and m["overflowed_seeds"] == 0
        assert m["suboptimality"][0] == pytest.approx(1.5)
        assert m["mean_sq_dist"][0] is None or np.isnan(m["mean_sq_dist"][0])
    assert error_key(res.problem, res.theory) == "suboptimality"
