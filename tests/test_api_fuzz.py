"""The API fuzz table: every public entry point that takes a user's argument (the optax
transformations, autodrop_sgd's unified momentum, the paper's optax transformations,
momentum.check, problems.custom and problems.abs_sum, simulations.run and sweep, the convex
study's run, the paper study's run (its client), the executor's cluster and map_units) called
with bad arguments, one row per (function, argument, bad value): each call must raise
AssumptionError whose message starts with the argument's name, before JAX compiles anything
(checks.no_compilation; a row's setup, e.g. a transformation's init, runs outside the check).
The theory functions' own refusals are drawn by hypothesis in tests/test_library_refusals.py;
this table lists explicit cases so that its size is a number (reported at the end of the run by
tests/conftest.py).

Shapes here are odd sizes (d = 5, 7, 11) that the other tests do not compile for, so a
refusal that came after a compilation would show.
"""

import jax.numpy as jnp
import numpy as np
import optax
import pytest
from checks import no_compilation

import autodrop_theory.optax as ado
from autodrop_theory import momentum as um
from autodrop_theory import optax_paper as op
from autodrop_theory.errors import AssumptionError
from autodrop_theory.rule import AutoDropConfig

CASES = []
NAN, INF = float("nan"), float("inf")


def rows(fn, arg, values, *args, **kwargs):
    """One row per value: ``fn(*args, **kwargs | {arg: value})`` must be refused naming
    ``arg`` (``name`` in kwargs: the argument the refusal names, when not ``arg``)."""
    named = kwargs.pop("name", arg)
    for value in values:
        CASES.append(pytest.param(lambda v=value: lambda: fn(*args, **kwargs | {arg: v}), named,
                                  id=f"{fn.__module__.split('.')[-1]}.{fn.__name__}:{arg}="
                                     f"{value!r:.20}"))


def case(label, named, make):
    """A row whose setup is ``make()`` (run outside the check), returning the call."""
    CASES.append(pytest.param(make, named, id=label))


CFG = AutoDropConfig(lr=0.1)
BAD_COUNT = [0, -1, 2.5, True, None, NAN, "4"]
BAD_MOMENTUM = [NAN, 1.0, -0.1, "0.5", True, INF, None]
BAD_S = ["yes", -1.0, INF, NAN, None]
BAD_LR = [0.0, -1.0, NAN, INF, "0.1", True, None]

# ---------------------------------------------------------------- autodrop_theory.optax
for ctor in (ado.scale_by_autodrop, ado.autodrop_sgd):
    rows(ctor, "config", [None, {"lr": 0.1}, 0.1], steps_per_epoch=4)
    rows(ctor, "steps_per_epoch", BAD_COUNT + [2 ** 31], CFG)
    rows(ctor, "momentum", BAD_MOMENTUM, CFG, 4)
rows(ado.scale_by_autodrop, "snapshot", ["x", None, 1], CFG, 4)
rows(ado.autodrop_sgd, "s", BAD_S, CFG, 4, momentum=0.5)
rows(AutoDropConfig, "lr", BAD_LR)

P5 = {"w": np.ones(5, np.float32), "b": np.ones(2, np.float32)}
TRANSFORMS = {"scale": lambda: ado.scale_by_autodrop(CFG, 4),
              "sgd": lambda: ado.autodrop_sgd(CFG, 4),
              "sgd_momentum": lambda: ado.autodrop_sgd(CFG, 4, momentum=0.5)}
BAD_PARAMS = {"an integer leaf": {"w": np.ones(5, np.float32), "n": np.arange(2)},
              "a bool leaf": {"w": np.ones(5, np.float32), "n": np.array([True])},
              "a complex leaf": {"w": np.ones(5, np.complex64)}, "no leaf": {}, "None": None,
              "a text leaf": {"w": "abc"}}


def _update(kind, updates, params, state=None, table=TRANSFORMS):
    """A row's setup: the transformation ``table[kind]``, its state (init on P5 unless
    ``state``); the call: its update."""
    def make():
        tx = table[kind]()
        s = tx.init(P5) if state is None else state
        return lambda: tx.update(updates, s, params)
    return make


for kind, make_tx in TRANSFORMS.items():
    for what, bad in BAD_PARAMS.items():
        case(f"optax.{kind}.init:{what}", "params", lambda m=make_tx, b=bad: lambda: m().init(b))
    w7 = {"w": np.ones(7, np.float32), "b": np.ones(2, np.float32)}
    for label, named, updates, params, state in (
            ("no params", "params", P5, None, None),
            ("another optimizer's state", "state", P5, P5, optax.sgd(0.1).init(P5)),
            ("state None", "state", P5, P5, ()),
            ("integer updates", "updates", {"w": np.ones(5, np.int32), "b": np.ones(2, np.int32)},
             P5, None),
            ("updates of another shape", "updates", {"w": np.ones(7, np.float32),
                                                     "b": np.ones(2, np.float32)}, P5, None),
            ("updates of another structure", "updates", {"v": np.ones(5, np.float32),
                                                         "b": np.ones(2, np.float32)}, P5, None),
            ("Python-number updates", "updates", {"w": 1.0, "b": 1.0}, P5, None),
            ("more parameters than at init", "params", w7, w7, None),
            ("parameters in float16", "params", {k: x.astype(np.float16) for k, x in P5.items()},
             {k: x.astype(np.float16) for k, x in P5.items()}, None)):
        case(f"optax.{kind}.update:{label}", named, _update(kind, updates, params, state))
case("optax.sgd_momentum.update:params of another structure", "params",
     _update("sgd_momentum", {"v": np.ones(7, np.float32)}, {"v": np.ones(7, np.float32)}))
for label, state in (("None", None), ("no AutoDrop state", ()), ("two states", "two")):
    def make(state=state):
        s = TRANSFORMS["scale"]().init(P5)
        return lambda: ado.read((s, s) if state == "two" else state)
    case(f"optax.read:{label}", "state", make)
case("optax.autodrop_eval_params:another size", "params",
     lambda: (lambda s: lambda: ado.autodrop_eval_params(s, {"w": np.ones(11, np.float32)}))(
         TRANSFORMS["scale"]().init(P5)))
case("optax.autodrop_eval_params:integer parameters", "params",
     lambda: (lambda s: lambda: ado.autodrop_eval_params(s, {"w": np.ones(5, np.int32),
                                                            "b": np.ones(2, np.int32)}))(
         TRANSFORMS["scale"]().init(P5)))

# ---------------------------------------------------------------- autodrop_theory.momentum
rows(um.check, "beta", BAD_MOMENTUM, s=0.0, name="momentum")
rows(um.check, "s", BAD_S, 0.5)

# ---------------------------------------------------------------- the paper's transformations
PAPER = {"scale_by_autodrop_uai": lambda **kw: op.scale_by_autodrop_uai(0.1, 4, **kw),
         "scale_by_halving": lambda **kw: op.scale_by_halving(0.1, **kw),
         "scale_by_autodrop_model": lambda **kw: op.scale_by_autodrop_model(0.1, 100, gamma=1.0,
                                                                            **kw),
         "autodrop_uai_sgd": lambda **kw: op.autodrop_uai_sgd(0.1, 4, **kw),
         "halving_sgd": lambda **kw: op.halving_sgd(0.1, **kw),
         "autodrop_model_sgd": lambda **kw: op.autodrop_model_sgd(0.1, 100, gamma=1.0, **kw)}
rows(op.scale_by_autodrop_uai, "learning_rate", BAD_LR[:4], window=4)
rows(op.scale_by_halving, "learning_rate", BAD_LR[:4])
rows(op.scale_by_autodrop_model, "learning_rate", BAD_LR[:4], total_steps=100, gamma=1.0)
rows(op.autodrop_uai_sgd, "window", [0, 2.5, 2 ** 40, None], 0.1)
for arg, values in (("rho", [1.0, 0.0]), ("m", [1, 2.5]), ("threshold_deg", [0.0, NAN]),
                    ("min_lr", [1.0, -0.1]), ("printed", ["yes", 1])):
    rows(op.scale_by_autodrop_uai, arg, values, 0.1, 4)
for arg, values in (("span", [0, 10 ** 6]), ("factor", [1.0, 0.0]), ("threshold_deg", [-1.0])):
    rows(op.halving_sgd, arg, values, 0.1)
rows(op.autodrop_model_sgd, "total_steps", [0, 2 ** 40, 2.5], 0.1, gamma=1.0)
rows(op.scale_by_autodrop_model, "gamma", [0.0, NAN, None], 0.1, 100)
rows(op.scale_by_autodrop_model, "tau0", [0.0, -1.0], 0.1, 100, gamma=1.0)
rows(op.scale_by_autodrop_model, "exponent", [0.0, INF], 0.1, 100, gamma=1.0)
for name in ("autodrop_uai_sgd", "halving_sgd", "autodrop_model_sgd"):
    case(f"optax_paper.{name}:momentum=1.0", "momentum",
         lambda n=name: lambda: PAPER[n](momentum=1.0))
    case(f"optax_paper.{name}:s=-1", "s", lambda n=name: lambda: PAPER[n](momentum=0.5, s=-1.0))


def _paper_update(name, updates, params, state=None):
    return _update(name, updates, params, state, PAPER)


for name in PAPER:
    case(f"optax_paper.{name}.update:another optimizer's state", "state",
         _paper_update(name, P5, P5, optax.sgd(0.1).init(P5)))
    case(f"optax_paper.{name}.update:integer updates", "updates",
         _paper_update(name, {"w": np.ones(5, np.int32), "b": np.ones(2, np.int32)}, P5))
    case(f"optax_paper.{name}.update:updates of another shape", "updates",
         _paper_update(name, {"w": np.ones(11, np.float32), "b": np.ones(2, np.float32)}, P5))
    case(f"optax_paper.{name}.update:updates of another structure", "updates",
         _paper_update(name, {"v": np.ones(5, np.float32), "b": np.ones(2, np.float32)}, P5))
    if "model" not in name:
        case(f"optax_paper.{name}.update:no params", "params", _paper_update(name, P5, None))
        w11 = {"w": np.ones(11, np.float32), "b": np.ones(2, np.float32)}
        case(f"optax_paper.{name}.update:more parameters than at init", "params",
             _paper_update(name, w11, w11))
for label, state in (("None", None), ("no paper-rule state", optax.EmptyState())):
    case(f"optax_paper.read:{label}", "state", lambda s=state: lambda: op.read(s))


# ---------------------------------------------------------------- problems
def _grad(x, xi):
    return x + xi


def _noise(key, K):               # noqa: N803
    import jax
    return jax.random.normal(key, (K, 5), jnp.float32)


def _custom(**kw):
    from simulations import problems
    return problems.custom(**({"grad": _grad, "noise": _noise, "x0": np.ones(5)} | kw))


for arg, values in (("x0", [None, "abc", [[1.0, 2.0]], [], [NAN, 1.0]]),
                    ("x_star", [np.ones(4), [INF] * 5, "abc"]),
                    ("grad", [3, None]), ("noise", ["f", None]), ("loss", ["f"]),
                    ("metrics", [3]), ("mu", [-1.0, NAN, 0.0]), ("L", [0.0, -2.0])):
    rows(_custom, arg, values)
case("problems.custom:f_star without loss", "f_star", lambda: lambda: _custom(f_star=0.0))
case("problems.custom:L below mu", "L", lambda: lambda: _custom(mu=2.0, L=1.0))


def _abs_sum(**kw):
    from simulations.problems import convex
    return convex.abs_sum(**kw)


rows(_abs_sum, "dim", [0, True, 2.5, 10 ** 15])
rows(_abs_sum, "sd", [-1.0, NAN])
rows(_abs_sum, "seed", [-1, "0"])


# ---------------------------------------------------------------- simulations.run, sweep
def _problem():
    from simulations import problems
    return problems.quadratic(np.geomspace(0.01, 1.0, 11), np.full(11, 0.2), np.ones(11))


OK = dict(lr=0.5, epochs=5, steps_per_epoch=2, seeds=3)


def _run(**kw):
    import simulations as sim
    problem = kw.pop("problem", None) or _problem()
    methods = kw.pop("methods", ["constant"])
    return sim.run(problem, methods, **(OK | kw))


def _sweep(**kw):
    import simulations as sim
    method, grid = kw.pop("method", "autodrop"), kw.pop("grid", {"threshold_z": [0.5, 1.0]})
    return sim.sweep(_problem(), method, grid, **(OK | kw))


for arg, values in (("lr", [NAN, -0.5, 2.5, "0.5"]), ("epochs", [0, 2, 2.5, True]),
                    ("steps_per_epoch", [0, True, 2.5]), ("seeds", [1, None, 3.0, 10 ** 18]),
                    ("seed", [-1, 2 ** 32, True]), ("momentum", [1.0, NAN, -0.1]),
                    ("um_s", [-1.0, "bogus"]), ("x64", ["yes", 1]), ("mesh", ["cpu"])):
    rows(_run, arg, values)
rows(_run, "methods", [[], [3], ["bogus"], ["constant", "constant"], "bogus"])
for arg, values in (("method", ["bogus", 3]), ("grid", [{}, {"threshold_z": []}, [1]]),
                    ("seeds", [1]), ("momentum", [NAN]), ("client", ["tcp://x:1", 3])):
    rows(_sweep, arg, values)
case("simulations.sweep:a point given twice", "methods",
     lambda: lambda: _sweep(grid={"threshold_z": [0.5, 0.5]}))


def _lad(**kw):
    from simulations.problems import convex
    return convex.lad(**kw)


rows(_lad, "batch_size", [0, 443, 10 ** 6, 2.5, True])


# ---------------------------------------------------------------- the convex study, executor
def _convex_run(**kw):
    from simulations import convex_bound
    return convex_bound.run(**kw)


for arg, values in (("methods", [["bogus"], [], ["constant", "constant"], 3]),
                    ("quick", ["yes"]), ("seeds", [1, 2.5]), ("seed", [-1]), ("x64", ["yes"]),
                    ("epochs", [2, True])):
    rows(_convex_run, arg, values)


def _cluster(**kw):
    from simulations import executor
    with executor.cluster(**kw):
        pass


rows(_cluster, "workers", [0, True, 513, 2.5, "2"])
rows(_cluster, "scheduler", ["", 3])
case("executor.cluster:both", "workers, scheduler",
     lambda: lambda: _cluster(workers=1, scheduler="tcp://x:1"))


def _map_units(**kw):
    from simulations import executor
    return executor.map_units(abs, [1, 2], **kw)


rows(_map_units, "labels", [["a"], ["a", "b", "c"]])
rows(_map_units, "client", ["tcp://x:1", 3, object()])


def _paper_run(**kw):
    from simulations import paper
    return paper.run(**(dict(seeds=2, iterations=10) | kw))


rows(_paper_run, "client", ["tcp://x:1", 3])


@pytest.mark.parametrize("make, named", CASES)
def test_a_bad_argument_is_refused_by_name_before_anything_compiles(make, named):
    call = make()
    with no_compilation(), pytest.raises(AssumptionError) as info:
        call()
    head = str(info.value).split(": ")[0]         # "name: ..." or "name, other: ..."
    assert head == named or named in head.split(", "), str(info.value)


def test_the_api_table_has_at_least_150_cases():
    """(Its size and the number of cases that ran clean are printed at the end of the run:
    tests/conftest.py.)"""
    print(f"API fuzz table: {len(CASES)} cases")
    assert len(CASES) >= 150, len(CASES)
