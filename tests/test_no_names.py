"""Generic code names no method and no study: the engine, the runner and the figures take what
they need from the registry's metadata (Spec.reference, Family.angle_threshold) and from the
study that wrote a run (its ``draw_figures``), so renaming a method or adding a study never
silently switches a check off."""

import ast
from pathlib import Path

import pytest

from simulations.methods import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
GENERIC = ("simulations/engine.py", "simulations/experiment.py", "simulations/figures.py")
# the runnable studies: every module of simulations/ with a main() over cli.main
STUDIES = sorted(p.stem for p in (ROOT / "simulations").glob("*.py")
                 if "def main(" in p.read_text() and "cli.main(" in p.read_text())


def named(path: Path, names) -> list:
    """The string literals of ``path`` (docstrings aside) equal to one of ``names``, or a
    prefix test (``startswith``) against one."""
    tree = ast.parse(path.read_text())
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef))
                  and n.body and isinstance(n.body[0], ast.Expr)
                  and isinstance(n.body[0].value, ast.Constant)}
    hits = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in docstrings and node.value in names):
            hits.append(f"{path.name}:{node.lineno} {node.value!r}")
    return hits


def test_the_studies_are_found():
    assert {"quadratic", "compare", "network", "generalization", "angular"} <= set(STUDIES)


@pytest.mark.parametrize("rel", GENERIC)
def test_generic_code_names_no_method_and_no_study(rel):
    names = set(REGISTRY) | set(STUDIES) | {"cosine"}
    assert not named(ROOT / rel, names)


def test_the_check_finds_a_planted_name(tmp_path):
    planted = tmp_path / "x.py"
    planted.write_text('"""The constant method."""\nA = "constant"\nB = n.startswith("autodrop")\n')
    assert named(planted, set(REGISTRY)) == ["x.py:2 'constant'", "x.py:3 'autodrop'"]


def test_the_registry_has_one_reference_and_angle_rules_carry_their_threshold():
    from simulations import methods as registry
    assert registry.reference() in REGISTRY
    assert set(registry.DEFAULT_METHODS) <= set(REGISTRY)
    angle_rules = {n for n, s in REGISTRY.items() if s.family.angle_threshold is not None}
    assert angle_rules == {"autodrop", "autodrop_paper", "autodrop_immediate", "autodrop_v1",
                           "autodrop_uai", "autodrop_uai_printed", "halving"}
