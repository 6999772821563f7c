"""Every command refuses every bad value of every flag the same way: exit status 2, exactly one
line on stderr (``PROG: error: ...``) naming the flag, no traceback, nothing written, and nothing
computed (the entry points of the computation are replaced by a function that fails the test,
so a refusal that comes late, after a simulation started, cannot pass).

The table is built from value classes (negative, zero, nan, inf, huge, tiny, text, empty,
unknown name, bad path, plus each flag's own edge such as ``--seeds 1``); for each flag it lists
the classes that are outside the flag's domain (``--seed 0`` is valid, so "zero" is not listed
for ``--seed``).  Each case runs in-process, in an empty working folder.
"""

import contextlib
import io
import json
import time

import pytest
from checks import DAMAGES, RESULTS_RUN, damaged_results

NEG, ZERO, NAN, INF, TEXT, EMPTY = "-3", "0", "nan", "inf", "abc", ""
NEG_INF, FRACTION = "-inf", "2.5"
HUGE_FLOAT, TINY_FLOAT = "1e300", "1e-300"
HUGE_SIZE, HUGE_INT = "1000000000000", "99999999999999999999"   # memory; beyond int64
NUMERIC = {"negative": NEG, "zero": ZERO, "nan": NAN, "inf": INF, "-inf": NEG_INF,
           "text": TEXT, "empty": EMPTY}
INT_AT_LEAST_1 = NUMERIC | {"fraction": FRACTION, "huge": HUGE_SIZE, "beyond int64": HUGE_INT}
POSITIVE_FLOAT = NUMERIC | {"huge": HUGE_FLOAT, "tiny": TINY_FLOAT}
NONNEG_FLOAT = {k: v for k, v in POSITIVE_FLOAT.items() if k != "zero"}
SEEDS = INT_AT_LEAST_1 | {"one": "1"}
EPOCHS = INT_AT_LEAST_1 | {"two": "2"}
SEED = {k: v for k, v in INT_AT_LEAST_1.items() if k not in ("zero", "huge")} | {
    "2**32": str(2 ** 32)}
FRACTION_01 = {k: v for k, v in NUMERIC.items()} | {"one": "1", "huge": HUGE_FLOAT}
NAME = {"unknown name": "bogus", "empty": EMPTY, "text": "a,,b"}
PATHS = {"empty": EMPTY, "bad path": "/proc/x", "a file": "{file}", "under a file": "{file}/sub"}

SHARED = {"--seeds": SEEDS, "--seed": SEED, "--methods": NAME | {"twice": "constant,constant"},
          "--dim": INT_AT_LEAST_1, "--epochs": EPOCHS, "--steps-per-epoch": INT_AT_LEAST_1,
          "--lr": POSITIVE_FLOAT, "--out": PATHS, "--compile-cache": PATHS}
# unified momentum (docs/theory.md §6b): --momentum in [0, 1), --um-s a number >= 0 in float32's
# range (0 and tiny values are valid s)
MOMENTUM = {"--momentum": {k: v for k, v in FRACTION_01.items() if k != "zero"},
            "--um-s": {k: v for k, v in NONNEG_FLOAT.items() if k != "tiny"}}
# the studies run their units on Dask with --workers N (bounded) or --scheduler ADDRESS
WORKERS = INT_AT_LEAST_1 | {"beyond the bound": "513"}
STUDY = {"--workers": WORKERS, "--scheduler": {"empty": EMPTY}}
QUADRATIC = {"--mu": POSITIVE_FLOAT, "--L": POSITIVE_FLOAT, "--sigma-sq": POSITIVE_FLOAT,
             "--sampler": NAME}
COMMANDS = {
    "simulations.quadratic": SHARED | QUADRATIC | MOMENTUM | {
        "--lr": POSITIVE_FLOAT | {"unstable": "2.5"}},
    "simulations.angular": SHARED | QUADRATIC | MOMENTUM | {"--drop-factor": FRACTION_01 | {
        "tiny": TINY_FLOAT, "below sqrt(eps) of float32": "3e-4"}},
    "simulations.strongly_convex": SHARED | MOMENTUM | {
        "--dim": INT_AT_LEAST_1, "--dataset": NAME, "--sampling": NAME,
        "--batch-size": INT_AT_LEAST_1 | {"above n_train": "100000"}, "--l2": POSITIVE_FLOAT,
        "--methods": SHARED["--methods"] | {"needs the model": "oracle"}},
    "simulations.compare": {k: SHARED[k] for k in ("--seeds", "--seed", "--methods", "--epochs",
                                                   "--steps-per-epoch", "--out",
                                                   "--compile-cache")} | STUDY,
    "simulations.tune_autodrop": {k: SHARED[k] for k in ("--seeds", "--seed", "--out",
                                                         "--compile-cache")} | {
        "--instances": INT_AT_LEAST_1} | STUDY,
    "simulations.tune_network": {k: SHARED[k] for k in ("--seeds", "--seed", "--out",
                                                        "--compile-cache")} | STUDY | {
        "--networks": NAME | {"a TEST network": "mnist1d/cnn"}},
    "simulations.generalization": {k: SHARED[k] for k in ("--seeds", "--seed", "--methods",
                                                          "--out", "--compile-cache")} | STUDY | {
        "--instances": INT_AT_LEAST_1, "--split": NAME,
        "--start": {k: v for k, v in INT_AT_LEAST_1.items() if k != "zero"}},
    "simulations.benchmark": {k: SHARED[k] for k in ("--seeds", "--seed", "--dim", "--epochs",
                                                     "--steps-per-epoch", "--lr", "--out",
                                                     "--compile-cache")},
    "simulations.network": {k: SHARED[k] for k in ("--seeds", "--seed", "--epochs", "--lr",
                                                   "--out", "--compile-cache")} | STUDY | {
        "--methods": NAME, "--models": NAME, "--dataset": NAME,
        "--batch-size": INT_AT_LEAST_1,
        "--momentum": {k: v for k, v in FRACTION_01.items() if k != "zero"},
        "--weight-decay": NONNEG_FLOAT},
    "simulations.paper": {k: SHARED[k] for k in ("--seeds", "--seed", "--out",
                                                 "--compile-cache")} | STUDY | {
        "--network": PATHS},
    "simulations.convex_study": {k: SHARED[k] for k in ("--seeds", "--seed", "--out",
                                                        "--compile-cache")},
    # the optax benchmark: step counts are int32 in the transformations, --dim bounded by memory
    # (--repeats has no bound: any count runs)
    "simulations.benchmark_optax": {
        "--dim": INT_AT_LEAST_1, "--steps": INT_AT_LEAST_1 | {"beyond int32": str(2 ** 31)},
        "--steps-per-epoch": INT_AT_LEAST_1 | {"beyond int32": str(2 ** 31)},
        "--repeats": {k: v for k, v in INT_AT_LEAST_1.items() if k not in ("huge",
                                                                          "beyond int64")},
        "--momentum": {k: v for k, v in FRACTION_01.items() if k != "zero"}, "--out": PATHS},
    "proofs.__main__": {"--latex": PATHS},
    "simulations.readme": {"--only": NAME},
}
# flags a command does not take (it would ignore them) and switches given a value
FOREIGN = {"simulations.compare": ["--dim", "--lr"], "simulations.tune_autodrop":
           ["--methods", "--dim", "--epochs", "--lr", "--no-figures"],
           "simulations.tune_network": ["--methods", "--dim", "--epochs", "--lr",
                                        "--no-figures"],
           "simulations.generalization": ["--dim", "--epochs", "--steps-per-epoch", "--lr"],
           "simulations.benchmark": ["--methods", "--x64", "--no-figures"],
           "simulations.network": ["--dim", "--steps-per-epoch", "--um-s"],
           "simulations.paper": ["--methods", "--dim", "--epochs", "--steps-per-epoch", "--lr"],
           "simulations.convex_study": ["--methods", "--dim", "--epochs", "--steps-per-epoch",
                                        "--lr"],
           "simulations.benchmark_optax": ["--seeds", "--seed", "--methods", "--epochs", "--lr",
                                           "--x64", "--compile-cache", "--workers"]}
PROG = {"proofs.__main__": "python -m proofs"}
WITHOUT_QUICK = ("proofs.__main__", "simulations.readme")


def _cases():
    cases = []
    for module, flags in COMMANDS.items():
        for flag, values in flags.items():
            cases += [pytest.param(module, [flag, value], flag, id=f"{module}:{flag}:{cls}")
                      for cls, value in values.items()]
        cases.append(pytest.param(module, ["--bogus"], "--bogus", id=f"{module}:unknown flag"))
        cases += [pytest.param(module, [flag] if flag in ("--x64", "--quiet", "--no-figures")
                               else [flag, "1"], flag, id=f"{module}:{flag}:not taken")
                  for flag in FOREIGN.get(module, [])]
    cases += [pytest.param("simulations.quadratic", ["--mu", "2", "--L", "1"], "--mu",
                           id="quadratic:mu above L"),
              pytest.param("simulations.quadratic", ["--quiet", "extra"], "extra",
                           id="quadratic:stray argument"),
              pytest.param("simulations.quadratic", ["--sampler", "exact", "--methods",
                                                     "constant,pflug"], "--sampler",
                           id="quadratic:exact sampler with a step-level method"),
              pytest.param("simulations.quadratic", ["--sampler", "exact", "--methods",
                                                     "plateau"], "--sampler",
                           id="quadratic:exact sampler with a loss-reading method"),
              pytest.param("proofs.__main__", ["-v", "yes"], "yes", id="proofs:-v with a value"),
              pytest.param("simulations.network", ["--momentum", "0", "--nesterov"],
                           "--nesterov", id="network:--nesterov without momentum")]
    for module in ("simulations.quadratic", "simulations.angular",
                   "simulations.strongly_convex"):
        cases += [pytest.param(module, ["--nesterov"], "--nesterov",
                               id=f"{module}:--nesterov without momentum"),
                  pytest.param(module, ["--um-s", "1"], "--um-s",
                               id=f"{module}:--um-s without momentum"),
                  pytest.param(module, ["--momentum", "0.5", "--nesterov", "--um-s", "1"],
                               "--um-s", id=f"{module}:--nesterov with --um-s")]
    cases += [
              pytest.param("simulations.figures", ["{file}"], "results", id="figures:not json"),
              pytest.param("simulations.figures", ["{missing}"], "results",
                           id="figures:missing"),
              pytest.param("simulations.figures", [], "results", id="figures:no argument"),
              pytest.param("simulations.figures", ["{valid}", "{valid}"], "unrecognized",
                           id="figures:two results"),
              pytest.param("simulations.benchmark_optax", ["--quick", "yes"], "yes",
                           id="benchmark_optax:--quick with a value")]
    # modes that exclude each other (readme), flags a mode would ignore (python -m proofs:
    # --claims and --paper print a table and check no proof), stray arguments
    cases += [pytest.param(module, argv, flag, id=f"{module}:{' '.join(argv)}")
              for module, argv, flag in (
                  ("simulations.readme", ["--check", "--render"], "--check"),
                  ("simulations.readme", ["--check", "--verify"], "--check"),
                  ("simulations.readme", ["--verify", "--render"], "--verify"),
                  ("simulations.readme", ["--only", ","], "--only"),
                  ("simulations.readme", ["--check", "extra"], "extra"),
                  ("proofs.__main__", ["--claims", "--paper"], "--claims"),
                  ("proofs.__main__", ["--claims", "-v"], "--verbose"),
                  ("proofs.__main__", ["--paper", "--lemmas"], "--lemmas"),
                  ("proofs.__main__", ["--paper", "--latex", "x"], "--latex"),
                  ("proofs.__main__", ["--claims", "--latex", "x"], "--latex"),
                  ("proofs.__main__", ["--lemmas", "yes"], "yes"))]
    cases.append(pytest.param("simulations.angular", ["--x64", "--drop-factor", "1e-8"],
                              "--drop-factor",
                              id="angular:--drop-factor below sqrt(eps) of float64"))
    # a damaged results.json: the first bad field is named (tests/checks.py DAMAGES)
    cases += [pytest.param("simulations.figures", ["{damaged}/" + name + ".json", "--out", "out"],
                           field, id=f"figures:{name}") for name, (_, field) in DAMAGES.items()]
    cases += [pytest.param("simulations.figures", ["{valid}", "--out", value], "--out",
                           id=f"figures:--out:{cls}") for cls, value in PATHS.items()]
    return cases


class Computed(AssertionError):
    """Raised where a refused command would have started computing."""


@pytest.fixture
def no_computation(monkeypatch):
    import proofs.checker
    import simulations.readme
    import simulations.benchmark
    import simulations.engine
    import simulations.figures
    import simulations.benchmark_optax
    import simulations.network

    def fail(*args, **kwargs):
        raise Computed("the command started computing before refusing its input")
    for module, name in ((simulations.engine, "simulate"), (simulations.network, "train"),
                         (simulations.benchmark, "numpy_baseline"), (proofs.checker, "check_all"),
                         (simulations.readme, "run_block"),
                         (simulations.figures, "draw"),
                         (simulations.benchmark_optax, "measure")):
        monkeypatch.setattr(module, name, fail)


@pytest.mark.parametrize("module, argv, names", _cases())
def test_bad_input_is_refused_in_one_line_before_anything_runs(module, argv, names, tmp_path,
                                                               monkeypatch, no_computation):
    import importlib
    work, fixtures = tmp_path / "work", tmp_path / "fixtures"
    work.mkdir()
    fixtures.mkdir()
    (fixtures / "a_file").write_text("not json")
    if module == "simulations.figures":
        (fixtures / "valid.json").write_text(RESULTS_RUN.read_text())
        for name in DAMAGES:
            (fixtures / f"{name}.json").write_text(json.dumps(damaged_results(name)))
    argv = [a.format(file=fixtures / "a_file", missing=fixtures / "missing.json",
                     valid=fixtures / "valid.json", damaged=fixtures) for a in argv]
    if module not in WITHOUT_QUICK and module != "simulations.figures":
        argv = ["--quick"] + argv
        if "--out" not in argv:
            argv += ["--out", str(work / "out")]
    monkeypatch.chdir(work)
    main = importlib.import_module(module).main
    err = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    elapsed = time.perf_counter() - start
    line = err.getvalue()
    prog = PROG.get(module, module)
    assert code == 2, (argv, code, line)
    assert line.count("\n") == 1 and line.startswith(f"{prog}: error: "), (argv, line)
    assert names in line, (argv, line)
    assert "Traceback" not in line
    assert list(work.iterdir()) == [], (argv, list(work.iterdir()))   # nothing written
    assert elapsed < 15.0, (argv, elapsed)                              # fail fast


def test_the_table_has_at_least_300_cases():
    """(Its size and the number of cases that ran clean are printed at the end of the run:
    tests/conftest.py.)"""
    cases = _cases()
    print(f"CLI fuzz table: {len(cases)} cases over {len({c.values[0] for c in cases})} "
          "commands")
    assert len(cases) >= 300, len(cases)


HEAVY = ("jax", "scipy", "sympy")


def test_help_shows_defaults_and_loads_no_numerical_library():
    """``--help`` (and so every refusal at parse time) runs without importing JAX, scipy or
    sympy: it answers at once; the shared flags show their defaults and ``--quick`` values.
    One fresh process runs every command's --help in turn and reports, after each, which heavy
    library had been imported (none may be)."""
    import json
    import subprocess
    import sys
    modules = list(COMMANDS) + ["simulations.figures"]
    code = ("import contextlib, importlib, io, json, sys\n"
            "out = {}\n"
            f"for name in {modules!r}:\n"
            "    buf = io.StringIO()\n"
            "    with contextlib.redirect_stdout(buf):\n"
            "        try:\n"
            "            importlib.import_module(name).main(['--help'])\n"
            "        except SystemExit as e:\n"
            "            assert e.code == 0, name\n"
            f"    out[name] = [buf.getvalue(), sorted(m for m in {HEAVY!r} if m in sys.modules)]\n"
            "print(json.dumps(out))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    for module, (text, loaded) in json.loads(proc.stdout).items():
        assert loaded == [], f"{module} --help imported {loaded}"
        if module not in ("proofs.__main__", "simulations.figures", "simulations.readme"):
            assert "(default: " in text and "--quick: " in " ".join(text.split()), module


@pytest.mark.parametrize("x64", [False, True])
def test_the_drop_factor_bound_admits_its_edge(x64, tmp_path, monkeypatch, no_computation):
    """simulations.angular's --drop-factor at its bound (sqrt(eps) of the run's dtype) is
    accepted: the command goes on to compute (stopped here before it switches JAX to x64)."""
    from simulations import angular, experiment

    def stop(*args, **kwargs):
        raise Computed("reached the simulation")
    monkeypatch.setattr(experiment, "dtype_for", stop)
    edge = angular.min_drop_factor(x64)
    assert edge == pytest.approx(3.45e-4 if not x64 else 1.49e-8, rel=1e-2)
    argv = ["--quick", "--quiet", "--out", str(tmp_path / "out"), "--drop-factor", repr(edge)]
    with pytest.raises(Computed):
        angular.main(argv + (["--x64"] if x64 else []))
