"""What a results.json must hold before :func:`simulations.figures.draw` reads it.

:func:`check` refuses a damaged or foreign document with one :class:`AssumptionError` naming
the first bad field by its path (``methods.constant.lr: ...``): for each kind of document the
figures draw (a run, the angular study, the network experiment, the comparison grid, the
generalization study) the fields they read exist, are numbers (``null`` stands for a
non-finite mean and is accepted where the figures draw a gap), finite where they must be, and
of consistent lengths (every per-boundary series as long as ``iterations``, the rates one
shorter), and ``methods`` is a non-empty object.  Where jsonschema is installed and
docs/results.schema.json is at hand (a source checkout), the document is then validated
against the schema too; the shape checks alone hold without either.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from autodrop_theory.errors import AssumptionError

__all__ = ["STUDIES", "check", "error_key", "study"]

SCHEMA = Path(__file__).resolve().parent.parent / "docs" / "results.schema.json"


def _bad(path: str, what: str, value) -> AssumptionError:
    text = json.dumps(value, default=repr)
    shown = text[:60] + "..." if len(text) > 63 else text
    return AssumptionError(f"{path}: need {what}, got {shown}")


def _obj(path: str, value, nonempty: bool = False) -> dict:
    if not isinstance(value, dict) or (nonempty and not value):
        raise _bad(path, "a non-empty JSON object" if nonempty else "a JSON object", value)
    return value


def _key(parent: dict, path: str, key: str):
    if key not in parent:
        raise AssumptionError(f"{path}.{key}: missing (the figures read it)")
    return parent[key]


def _is_num(x, finite: bool) -> bool:
    if x is None:
        return not finite
    return not isinstance(x, bool) and isinstance(x, (int, float)) and (
        math.isfinite(x) or not finite)


def _number(path: str, value, *, positive: bool = False, integer: bool = False):
    ok = _is_num(value, True) and (not integer or isinstance(value, int)) and (
        not positive or value > 0)
    if not ok:
        raise _bad(path, ("a positive " if positive else "a finite ") +
                   ("integer" if integer else "number"), value)
    return value


def _series(path: str, value, length: int | None = None, *, finite: bool = False,
            width: int | None = None, integer: bool = False, nonempty: bool = True) -> list:
    """A list of numbers (or of ``width``-lists of numbers); ``null`` only unless ``finite``;
    of ``length`` entries when given."""
    what = f"a list of {'pairs of ' if width == 2 else ''}{'integers' if integer else 'numbers'}"
    if not isinstance(value, list) or (nonempty and not value):
        raise _bad(path, ("a non-empty " if nonempty else "a ") + what[2:], value)
    if length is not None and len(value) != length:
        raise AssumptionError(f"{path}: need {length} entries (as the other series), got "
                              f"{len(value)}")
    for i, x in enumerate(value):
        if width is not None and (not isinstance(x, list) or len(x) != width):
            raise _bad(f"{path}[{i}]", f"a list of {width} numbers", x)
        for y in (x if width is not None else [x]):
            if not _is_num(y, finite or integer) or (integer and not isinstance(y, int)):
                raise _bad(f"{path}[{i}]", "an integer" if integer else
                           "a finite number" if finite else "a number or null", y)
    return value


def _drops(path: str, value) -> list:
    """Every seed's drop epochs (at least seed 0's row)."""
    if not isinstance(value, list) or not value:
        raise _bad(path, "a non-empty list of lists of epochs", value)
    for i, row in enumerate(value):
        _series(f"{path}[{i}]", row, integer=True, nonempty=False)
    return value


def _angle_fields(path: str, m: dict, n: int, theory_needed: bool) -> None:
    _series(f"{path}.angle_deg", _key(m, path, "angle_deg"), n)
    _series(f"{path}.angle_deg_ci", _key(m, path, "angle_deg_ci"), n, width=2)
    seed0 = _obj(f"{path}.seed0", _key(m, path, "seed0"))
    _series(f"{path}.seed0.angle_deg", _key(seed0, f"{path}.seed0", "angle_deg"), n)
    _drops(f"{path}.drop_epochs", _key(m, path, "drop_epochs"))
    theory = _key(m, path, "angle_theory_seed0") if theory_needed else m.get("angle_theory_seed0")
    if theory is not None or theory_needed:
        _series(f"{path}.angle_theory_seed0", theory, n)
    levels = _key(m, path, "stationary_levels_deg") if theory_needed else m.get(
        "stationary_levels_deg", [])
    _series(f"{path}.stationary_levels_deg", levels, finite=True, nonempty=False)


def error_key(problem: dict, theory: dict):
    """The error a run's first figure draws: f - f* for a data problem (with its bounds), else
    ||x - x*||^2, or f - f* where the problem defines only that (``problem.reports``, a custom
    problem without x_star), or None where it defines neither (no error figure)."""
    if "finite_sum_bound" in theory:
        return "suboptimality"
    reports = problem.get("reports", ["sq_dist", "subopt"])
    return "mean_sq_dist" if "sq_dist" in reports else (
        "suboptimality" if "subopt" in reports else None)


def _run(doc: dict, angular: bool) -> None:
    """A run (simulations.run, quadratic, strongly_convex) or the angular study."""
    methods = _obj("methods", _key(doc, "results", "methods"), nonempty=True)
    problem = _obj("problem", _key(doc, "results", "problem"))
    theory = _obj("theory", doc.get("theory", {}))
    data = "finite_sum_bound" in theory
    reports = problem.get("reports", [])
    if not isinstance(reports, list) or not set(reports) <= {"sq_dist", "subopt"}:
        raise _bad("problem.reports", "a list of 'sq_dist', 'subopt'", reports)
    key = error_key(problem, theory)
    accuracy = all(isinstance(m, dict) and "test_accuracy" in m for m in methods.values())
    n = None
    for name, m in methods.items():
        path = f"methods.{name}"
        m = _obj(path, m)
        if angular:
            length = len(_series(f"{path}.angle_deg", _key(m, path, "angle_deg"), n))
            _angle_fields(path, m, length, True)
            n = length
            continue
        its = _series(f"{path}.iterations", _key(m, path, "iterations"), n, integer=True)
        if len(its) < 2:
            raise _bad(f"{path}.iterations", "at least two boundaries", its)
        n = len(its)
        if key is not None:
            _series(f"{path}.{key}", _key(m, path, key), n)
            if m.get(key + "_ci") is not None:
                _series(f"{path}.{key}_ci", m[key + "_ci"], n, width=2)
        _angle_fields(path, m, n, False)
        if accuracy:
            for k in ("test_accuracy", "test_accuracy_ci"):
                _series(f"{path}.{k}", _key(m, path, k), n, width=2 if k.endswith("ci") else None)
        else:
            for k in ("lr", "lr_q10", "lr_q90"):
                _series(f"{path}.{k}", _key(m, path, k), n - 1)
        for k in ("diverged_seeds", "overflowed_seeds"):
            if k in m and (not isinstance(m[k], int) or isinstance(m[k], bool) or m[k] < 0):
                raise _bad(f"{path}.{k}", "a count >= 0", m[k])
        config = _obj(f"{path}.config", m.get("config", {}))
        if "drop_epochs" in config:
            _series(f"{path}.config.drop_epochs", config["drop_epochs"], integer=True,
                    nonempty=False)
    if angular:
        _angular_theory(theory)
        return
    _number("problem.steps_per_epoch", _key(problem, "problem", "steps_per_epoch"),
            positive=True, integer=True)
    if data:
        _number("problem.L", _key(problem, "problem", "L"), positive=True)
    for k in (("finite_sum_bound", "constant_step_bound", "cramer_rao_suboptimality") if data
              else ("exact_sq_dist_constant", "cramer_rao")):
        if theory.get(k) is not None:
            _series(f"theory.{k}", theory[k], n)


def _records(path: str, value, fields) -> list:
    """A non-empty list of objects, each with finite numbers at ``fields``."""
    if not isinstance(value, list) or not value:
        raise _bad(path, "a non-empty list of objects", value)
    for i, r in enumerate(value):
        r = _obj(f"{path}[{i}]", r)
        for f in fields:
            _number(f"{path}[{i}].{f}", _key(r, f"{path}[{i}]", f))
    return value


def _angular_theory(theory: dict) -> None:
    sk = _obj("theory.stationary_vs_kappa", _key(theory, "theory", "stationary_vs_kappa"))
    grid = _series("theory.stationary_vs_kappa.kappa_grid",
                   _key(sk, "theory.stationary_vs_kappa", "kappa_grid"), finite=True)
    curves = _obj("theory.stationary_vs_kappa.curves",
                  _key(sk, "theory.stationary_vs_kappa", "curves"), nonempty=True)
    for k, c in curves.items():
        if not k.isdigit():
            raise _bad("theory.stationary_vs_kappa.curves", "steps per epoch as keys", k)
        _series(f"theory.stationary_vs_kappa.curves.{k}", c, len(grid))
    _records("theory.stationary_vs_kappa.points", _key(sk, "theory.stationary_vs_kappa",
                                                       "points"), ("kappa", "mean", "se"))
    _records("theory.fluctuations_vs_d", _key(theory, "theory", "fluctuations_vs_d"),
             ("dim", "theory_change_sd_deg", "change_sd_deg"))
    th = _obj("theory.threshold", _key(theory, "theory", "threshold"))
    for k in ("published_deg", "calibrated_z"):
        _number(f"theory.threshold.{k}", _key(th, "theory.threshold", k))


def _names(doc: dict) -> list:
    names = _key(doc, "results", "names")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise _bad("names", "a non-empty list of method names", names)
    return names


def _network(doc: dict) -> None:
    problem = _obj("problem", _key(doc, "results", "problem"))
    models = _key(problem, "problem", "models")
    if not isinstance(models, list) or not models or not all(isinstance(x, str) for x in models):
        raise _bad("problem.models", "a non-empty list of model names", models)
    dims = _obj("problem.dims", _key(problem, "problem", "dims"))
    for model in models:
        _number(f"problem.dims.{model}", _key(dims, "problem.dims", model), positive=True)
    methods = _obj("methods", _key(doc, "results", "methods"), nonempty=True)
    for name, m in methods.items():
        path = f"methods.{name}"
        m = _obj(path, m)
        if "/" not in name:
            raise _bad("methods", "names of the form model/method", name)
        if _key(m, path, "model") not in models:
            raise _bad(f"{path}.model", f"one of problem.models {models}", m["model"])
        for k in ("train_loss", "test_accuracy", "angle_deg"):     # each against its band
            n = len(_series(f"{path}.{k}", _key(m, path, k)))
            _series(f"{path}.{k}_ci", _key(m, path, k + "_ci"), n, width=2)
        _drops(f"{path}.drop_epochs", _key(m, path, "drop_epochs"))


def _compare(doc: dict) -> None:
    names = _names(doc)
    settings = _key(doc, "results", "settings")
    if not isinstance(settings, list) or not settings:
        raise _bad("settings", "a non-empty list of [dim, kappa, sigma_sq]", settings)
    for i, s in enumerate(settings):
        _series(f"settings[{i}]", s, 3, finite=True)
    keys = [tuple(s) for s in settings]
    rows = _records("rows", _key(doc, "results", "rows"), ("dim", "kappa", "sigma_sq"))
    for i, r in enumerate(rows):
        if r.get("method") not in names:
            raise _bad(f"rows[{i}].method", "one of names", r.get("method"))
        if (r["dim"], r["kappa"], r["sigma_sq"]) not in keys:
            raise _bad(f"rows[{i}]", "dim, kappa, sigma_sq of one of settings",
                       [r["dim"], r["kappa"], r["sigma_sq"]])
        _number(f"rows[{i}].cramer_rao_ratio", _key(r, f"rows[{i}]", "cramer_rao_ratio"),
                positive=True)
        if _key(r, f"rows[{i}]", "failure") not in ("", "never", "early", "late"):
            raise _bad(f"rows[{i}].failure", "'', 'never', 'early' or 'late'", r["failure"])


def _generalization(doc: dict) -> None:
    names = _names(doc)
    rows = _key(doc, "results", "rows")
    if not isinstance(rows, list) or not rows:
        raise _bad("rows", "a non-empty list of instances", rows)
    for i, r in enumerate(rows):
        ms = _obj(f"rows[{i}].methods", _key(_obj(f"rows[{i}]", r), f"rows[{i}]", "methods"))
        for n in names:
            path = f"rows[{i}].methods.{n}"
            m = _obj(path, _key(ms, f"rows[{i}].methods", n))
            for k in ("cr_ratio", "first_drop"):
                if not _is_num(_key(m, path, k), False):
                    raise _bad(f"{path}.{k}", "a number or null", m[k])


# the branch of docs/results.schema.json's oneOf that each kind of document must satisfy (by
# the start of its title), so that an error names the field, not "no branch matched"
_BRANCH = {None: "a run", "angular": "a run", "network": "the network experiment",
           "compare": "the comparison study", "generalization": "the generalization study",
           "paper": "the paper study"}


def _schema(doc: dict, kind) -> None:
    """Validate against docs/results.schema.json where jsonschema and the schema are here: its
    common part and the branch of ``kind`` (:func:`study`)."""
    try:
        import jsonschema
    except ImportError:
        return
    if not SCHEMA.is_file():
        return
    schema = json.loads(SCHEMA.read_text())
    branch = next(b for b in schema["oneOf"] if b.get("title", "").startswith(_BRANCH[kind]))
    schema = {k: v for k, v in schema.items() if k != "oneOf"} | {"allOf": [branch]}
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "results"
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = next(k for k in error.validator_value if k not in error.instance)
            raise AssumptionError(f"{where}.{missing}: missing (docs/results.schema.json)")
        raise AssumptionError(f"{where}: {error.message[:120]} (docs/results.schema.json)")


# the studies that draw their own figures (a module of this package with ``draw_figures``)
STUDIES = ("angular", "compare", "generalization", "network", "paper")


def study(doc: dict):
    """The study whose ``draw_figures`` draws ``doc`` (one of :data:`STUDIES`), or None for a
    run: the module of its recorded command (``meta.command``, ``python -m simulations.NAME
    ...``), else the study named by its problem (a study run in-process records no command).
    :func:`check` validates a document as the kind this names, and
    :func:`simulations.figures.draw` draws it so."""
    meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else {}
    problem = doc.get("problem") if isinstance(doc.get("problem"), dict) else {}
    words = str(meta.get("command") or "").split()
    names = [words[2]] if words[:2] == ["python", "-m"] and len(words) > 2 else []
    names.append(f"simulations.{problem.get('name')}")
    for name in names:
        package, _, module = name.partition(".")
        if package == "simulations" and module in STUDIES:
            return module
    return None


def check(doc) -> None:
    """Refuse (AssumptionError naming the first bad field) a document the figures cannot
    draw from; see the module docstring.  The kind is the one :func:`study` names, as
    :func:`simulations.figures.draw` draws it."""
    doc = _obj("results", doc)
    kind = study(doc)
    if kind == "paper":
        _obj("methods", _key(doc, "results", "methods"), nonempty=True)   # the schema does
    elif kind == "network":                                           # the rest
        _network(doc)
    elif kind == "generalization":
        _generalization(doc)
    elif kind == "compare":
        _compare(doc)
    else:
        _run(doc, angular=kind == "angular")
    _schema(doc, kind)
