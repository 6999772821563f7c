"""Every public function refuses input outside its domain with an AssumptionError that names the
argument, whatever the bad value (hypothesis draws them): negative, zero where excluded, nan,
inf, booleans, strings, None, wrong shapes.  A function that returned a number (a negative
variance, a NaN) or raised from inside numpy or JAX fails here.

Each row: (function, valid keyword arguments, the argument to corrupt, a strategy of values
outside its domain).  The valid call itself is checked to succeed, so a row cannot pass by a
refusal of something else.
"""

import json
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from checks import DAMAGES, RESULTS_RUN, damaged_results, no_compilation
from hypothesis import given, settings, strategies as st

from autodrop_theory import angular, paper_rules, quadratic, rule, stagewise
from autodrop_theory.errors import AssumptionError

H = np.geomspace(0.01, 1.0, 5)
C = np.full(5, 0.2)
Y0 = np.ones(5)

not_a_number = st.sampled_from([None, "0.5", True, False, [0.5], {"a": 1}])
not_a_vector = st.sampled_from([None, "0.5", True, {"a": 1}])
nan_inf = st.sampled_from([np.nan, np.inf, -np.inf])
negative = st.floats(max_value=-1e-12, allow_nan=False, allow_infinity=False, width=64)
nonpositive = st.one_of(negative, st.just(0.0))
bad_real = st.one_of(not_a_number, nan_inf, negative)
bad_positive = st.one_of(not_a_number, nan_inf, nonpositive)
bad_count = st.one_of(not_a_number, nan_inf, st.integers(max_value=0), st.just(2.5))
bad_values = st.one_of(                  # a vector whose values are outside the domain
    not_a_vector, st.just(np.array([1.0, np.nan, 1.0, 1.0, 1.0])),
    st.just(-np.ones(5)), st.just(np.ones((5, 1))), st.just(np.array([])))
bad_vector = st.one_of(bad_values, st.just(np.ones(4)))    # ... or of another length
unstable_lr = st.floats(min_value=2.0, max_value=1e300, allow_nan=False, width=64)

ROWS = [
    (quadratic.check_stable_lr, dict(hessian_eigs=H, lr=0.5), "lr",
     st.one_of(bad_positive, unstable_lr)),
    (quadratic.check_stable_lr, dict(hessian_eigs=H, lr=0.5), "hessian_eigs", bad_values),
    (quadratic.epoch_factors, dict(hessian_eigs=H, noise_var=C, lr=0.5, steps_per_epoch=3),
     "lr", st.one_of(bad_positive, unstable_lr)),
    (quadratic.epoch_factors, dict(hessian_eigs=H, noise_var=C, lr=0.5, steps_per_epoch=3),
     "steps_per_epoch", bad_count),
    (quadratic.epoch_factors, dict(hessian_eigs=H, noise_var=C, lr=0.5, steps_per_epoch=3),
     "noise_var", bad_vector),
    (angular.stationary_angle, dict(hessian_eigs=H, noise_var=C, lr=0.5, steps_per_epoch=3),
     "lr", st.one_of(bad_positive, unstable_lr)),
    (angular.stationary_angle, dict(hessian_eigs=H, noise_var=C, lr=0.5, steps_per_epoch=3),
     "steps_per_epoch", bad_count),
    (angular.stationary_angle, dict(hessian_eigs=H, noise_var=C, lr=0.5, steps_per_epoch=3),
     "hessian_eigs", bad_values),
    (angular.expected_sq_dist, dict(hessian_eigs=H, noise_var=C, y0=Y0, lrs=[0.5, 0.1],
                                    steps_per_epoch=3), "y0",
     st.one_of(not_a_vector, st.just(np.ones(4)), st.just(np.full(5, np.inf)))),
    (angular.expected_sq_dist, dict(hessian_eigs=H, noise_var=C, y0=Y0, lrs=[0.5, 0.1],
                                    steps_per_epoch=3), "lrs",
     st.one_of(not_a_vector, st.just([0.5, np.nan]), st.just([0.5, -0.1]), st.just([3.0]))),
    (angular.stationary_fluctuations, dict(hessian_eigs=H, noise_var=C, lr=0.5,
                                           steps_per_epoch=3), "noise_var", bad_vector),
    (stagewise.first_stage_length, dict(mu=0.1, sigma_sq=1.0, lr=0.5, r0_sq=10.0), "mu",
     bad_positive),
    (stagewise.first_stage_length, dict(mu=0.1, sigma_sq=1.0, lr=0.5, r0_sq=10.0), "r0_sq",
     bad_real),
    (stagewise.first_stage_length, dict(mu=1e-200, sigma_sq=1.0, lr=0.5, r0_sq=10.0), "lr",
     st.floats(1e-300, 1e-200)),      # lr mu below float64's range: was a ZeroDivisionError
    (rule.calibrated_threshold_deg, dict(dim=100, z=0.25), "dim", bad_count),
    (rule.calibrated_threshold_deg, dict(dim=100, z=0.25), "z", bad_positive),
    # the paper's rules (autodrop_theory.paper_rules): every hyperparameter, by name
    (paper_rules.uai_hyper, dict(lr=0.1, window=4), "window", bad_count),
    (paper_rules.uai_hyper, dict(lr=0.1, window=4), "rho",
     st.one_of(bad_positive, st.just(1.0), st.just(1.5))),
    (paper_rules.uai_hyper, dict(lr=0.1, window=4), "m", st.one_of(bad_count, st.just(1))),
    (paper_rules.uai_hyper, dict(lr=0.1, window=4), "threshold_deg", bad_positive),
    (paper_rules.uai_hyper, dict(lr=0.1, window=4), "min_lr",     # None: the default lr/60
     st.one_of(nan_inf, negative, st.sampled_from(["0.5", True, [0.5]]), st.just(0.2))),
    (paper_rules.uai_hyper, dict(lr=0.1, window=4), "printed",
     st.sampled_from([None, "yes", 1, 0.0])),
    (paper_rules.halving_hyper, dict(lr=0.1), "span", st.one_of(bad_count, st.just(10 ** 6))),
    (paper_rules.halving_hyper, dict(lr=0.1), "factor",
     st.one_of(bad_positive, st.just(1.0))),
    (paper_rules.halving_hyper, dict(lr=0.1), "threshold_deg", bad_positive),
    (paper_rules.halving_hyper, dict(lr=0.1), "lr", bad_positive),
    (paper_rules.model_schedule, dict(lr=0.1, total_steps=100, gamma=1.0), "gamma",
     bad_positive),
    (paper_rules.model_schedule, dict(lr=0.1, total_steps=100, gamma=1.0), "total_steps",
     bad_count),
    (paper_rules.model_schedule, dict(lr=0.1, total_steps=100, gamma=1.0), "tau0",
     bad_positive),
    (paper_rules.model_schedule, dict(lr=0.1, total_steps=100, gamma=1.0), "epsilon", bad_real),
    (paper_rules.model_schedule, dict(lr=0.1, total_steps=100, gamma=1.0), "exponent",
     bad_positive),
    (paper_rules.paper_window, dict(steps_per_epoch=10), "steps_per_epoch", bad_count),
]


def _id(row):
    return f"{row[0].__module__.split('.')[-1]}.{row[0].__name__}:{row[2]}"


@pytest.mark.parametrize("row", ROWS, ids=[_id(r) for r in ROWS])
def test_out_of_domain_arguments_are_refused_by_name(row):
    fn, valid, arg, bad = row
    fn(**valid)                                  # the valid call works

    @settings(max_examples=25, deadline=None)
    @given(bad)
    def refused(value):
        with pytest.raises(AssumptionError, match=rf"^{arg}\b"):
            fn(**(valid | {arg: value}))
    refused()


def test_the_rule_refuses_a_snapshot_of_another_size_or_dtype():
    """(The rule works on the flattened parameters: a snapshot is compared by its number of
    parameters and dtype, not by its pytree structure.)"""
    state = rule.init(jnp.zeros(3), rule.AutoDropConfig(lr=0.1))
    for bad in (jnp.zeros(4), jnp.zeros(3, jnp.int32), {"w": jnp.zeros(2)}, None):
        with pytest.raises(AssumptionError, match=r"^params\b"):
            rule.update(state, bad)
    with pytest.raises(AssumptionError, match=r"^params\b"):
        rule.init(None, rule.AutoDropConfig(lr=0.1))


def test_the_run_api_refuses_bad_arguments_by_name():
    import simulations as sim
    from simulations import problems
    p = problems.quadratic(H, C, Y0)
    ok = dict(lr=0.5, epochs=5, steps_per_epoch=2, seeds=2)
    for arg, value in (("lr", -1.0), ("lr", 2.5), ("epochs", 2), ("epochs", True),
                       ("steps_per_epoch", 0), ("seeds", 1), ("seed", -1), ("seed", 2 ** 32),
                       ("momentum", 1.0), ("seeds", 10 ** 18)):
        with pytest.raises(AssumptionError, match=rf"^{arg}\b"):
            sim.run(p, ["constant"], **(ok | {arg: value}))
    with pytest.raises(AssumptionError, match=r"^methods\b"):
        sim.run(p, ["bogus"], **ok)
    with pytest.raises(AssumptionError, match=r"^noise_var\b"):
        problems.quadratic(H, -C, Y0)
    with pytest.raises(AssumptionError, match=r"^problem\b"):     # 1e300 is inf in float32
        sim.run(problems.quadratic(H, np.full(5, 1e300), Y0), ["constant"], **ok)


def test_the_stability_edge_lr_h_equal_to_two_is_refused():
    """lr h < 2 is strict (at lr h = 2 the iterate oscillates without contracting)."""
    quadratic.check_stable_lr(np.array([1.0]), np.nextafter(2.0, 0.0))
    with pytest.raises(AssumptionError, match="lr: need lr \\* h_i < 2"):
        quadratic.check_stable_lr(np.array([1.0]), 2.0)


@pytest.mark.parametrize("name", list(DAMAGES))
def test_a_damaged_results_document_is_refused_by_its_first_bad_field(name, tmp_path):
    """Results.load (and so ``python -m simulations.figures``) refuses what the figures could
    not draw, naming the first bad field (simulations.results_check)."""
    from simulations.results import Results
    assert list(Results.load(RESULTS_RUN).methods) == ["autodrop", "constant"]   # undamaged
    path = tmp_path / "results.json"
    path.write_text(json.dumps(damaged_results(name)))
    field = DAMAGES[name][1]
    with pytest.raises(AssumptionError, match="^" + re.escape(field) + ":"):
        Results.load(path)


def test_the_studies_checked_as_such_are_those_that_draw_their_own_figures():
    """results_check.STUDIES (the kinds a document is validated as) is the set of the package's
    modules with a ``draw_figures`` (the kinds simulations.figures.draw draws)."""
    import importlib
    import pkgutil

    import simulations
    from simulations.results_check import STUDIES
    drawing = {m.name for m in pkgutil.iter_modules(simulations.__path__) if callable(getattr(
        importlib.import_module(f"simulations.{m.name}"), "draw_figures", None))}
    assert set(STUDIES) == drawing


def test_run_and_sweep_refuse_every_bad_argument_before_any_jax_work():
    """momentum (nan, 1, negative), x64, a duplicated method name, the seeds: refused by name
    before the engine traces anything and before JAX compiles anything (13 seeds and d = 7:
    shapes no other test compiles, so a late refusal would show as a compilation)."""
    import simulations as sim
    from simulations import engine, problems
    p = problems.quadratic(np.geomspace(0.01, 1.0, 7), np.full(7, 0.2), np.ones(7))
    ok = dict(lr=0.5, epochs=5, steps_per_epoch=2, seeds=13)
    run, sweep = (lambda **kw: sim.run(p, ["constant"], **(ok | kw)),
                  lambda **kw: sim.sweep(p, "autodrop", {"threshold_z": [0.5, 1.0]}, **(ok | kw)))
    cases = [(run, {"momentum": np.nan}, "momentum"), (run, {"momentum": 1.0}, "momentum"),
             (run, {"momentum": -0.1}, "momentum"), (run, {"momentum": "0.5"}, "momentum"),
             (run, {"x64": "yes"}, "x64"), (run, {"seeds": 13.0}, "seeds"),
             (run, {"mesh": "cpu"}, "mesh"),
             (sweep, {"momentum": np.nan}, "momentum"), (sweep, {"seed": -1}, "seed"),
             (sweep, {"seeds": 1}, "seeds")]
    before = engine.traces()
    for call, kw, arg in cases:
        with no_compilation(), pytest.raises(AssumptionError, match=rf"^{arg}\b"):
            call(**kw)
    for methods in (["constant", "constant"], ["autodrop", "constant", "autodrop"]):
        with no_compilation(), pytest.raises(AssumptionError, match=r"^methods: 'constant'|"
                                                                     r"^methods: 'autodrop'"):
            sim.run(p, methods, **ok)
    with no_compilation(), pytest.raises(AssumptionError, match=r"^methods: .* given twice"):
        sim.sweep(p, "autodrop", {"threshold_z": [0.5, 0.5]}, **ok)
    assert engine.traces() == before


# problems.custom: the oracle's outputs, checked by jax.eval_shape at construction
BAD_ORACLES = [
    (dict(grad=lambda x, xi: jnp.ones(4)), r"^grad: need a float gradient of shape \(3,\)"),
    (dict(grad=lambda x, xi: jnp.ones(3, jnp.int32)), r"^grad: need a float gradient"),
    (dict(grad=lambda x, xi: (x, x)), r"^grad: need a float gradient"),
    (dict(grad=lambda x, xi: x + xi[:2]), r"^grad: fails on abstract input"),
    (dict(grad=lambda x, xi: x @ jnp.ones((4, 4))), r"^grad: fails on abstract input"),
    (dict(noise=lambda key, K: jax.random.normal(key, (3,))), r"^noise: need a pytree of arrays "
                                                              r"with leading axis K"),
    (dict(noise=lambda key, K: None), r"^noise: need"),
    (dict(noise=lambda key: 0.0), r"^noise: fails on abstract input"),
    (dict(loss=lambda x: x, f_star=0.0), r"^loss: need a float scalar"),
    (dict(metrics=lambda x: x.sum()), r"^metrics: need a non-empty dict of float scalars"),
    (dict(metrics=lambda x: {"a": x}), r"^metrics: need a non-empty dict"),
]


@pytest.mark.parametrize("bad, needle", BAD_ORACLES)
def test_a_malformed_oracle_is_refused_by_name_before_anything_compiles(bad, needle):
    from simulations import engine, problems

    def grad(x, xi):
        return x + xi

    def noise(key, K):                    # noqa: N803
        return jax.random.normal(key, (K, 3), jnp.float32)
    kwargs = dict(grad=grad, noise=noise, x0=np.ones(3)) | bad
    before = engine.traces()
    with no_compilation(), pytest.raises(AssumptionError, match=needle):
        problems.custom(**kwargs)
    assert engine.traces() == before


def test_mixed_integer_and_float_parameters_are_refused_before_any_compilation():
    """An integer leaf would be promoted by the flattening and never move: refused at init,
    naming params and the leaf; a wrong parameter count or structure at update is refused
    before the wrapped optimizer runs (no compilation: odd sizes no other test uses)."""
    import optax

    import autodrop_theory.optax as ado
    with pytest.raises(AssumptionError, match="^s: need a number >= 0 or one of"):
        ado.autodrop_sgd(rule.AutoDropConfig(lr=0.5), 5, momentum=0.9, s="yes")
    tx = ado.scale_by_autodrop(rule.AutoDropConfig(lr=0.5), 5)
    mixed = {"w": jnp.ones(3), "n": jnp.ones(2, jnp.int32)}
    for bad in (mixed, [1.0, 2]):
        with no_compilation(), pytest.raises(AssumptionError, match=r"^params: need floating"):
            tx.init(bad)
    state = tx.init(jnp.ones(7907))
    ok, other = jnp.ones(7907), optax.sgd(0.1).init(jnp.ones(7907))
    cases = ((jnp.ones(7919), jnp.ones(7919), "params"),
             (jnp.ones(7907, jnp.float16), jnp.ones(7907, jnp.float16), "params"),
             ({"a": ok}, ok, "updates"))
    short = jnp.ones(7901)
    for updates, params, arg in cases:         # the arguments are made outside the check
        with no_compilation(), pytest.raises(AssumptionError, match=rf"^{arg}\b"):
            tx.update(updates, state, params)
    with no_compilation(), pytest.raises(AssumptionError, match=r"^params: need 7907"):
        ado.autodrop_eval_params(state, short)
    with no_compilation(), pytest.raises(AssumptionError, match=r"^state: need"):
        tx.update(ok, other, ok)
