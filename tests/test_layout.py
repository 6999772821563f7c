"""The package's layout: no import circle, no command imported as a library, no private name
imported across modules.  Checked on the source with ``ast`` (every import, including those
inside functions), so a lazy import cannot hide a circle."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autodrop_theory", "simulations", "proofs")


def _modules():
    mods = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join(parts)] = path
    return mods


def _imports(name, path, mods):
    """(imported module, imported names) for every import in the module."""
    tree = ast.parse(path.read_text())
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = base[: len(base) - node.level + 1]
                target = ".".join(parent + ([node.module] if node.module else []))
            else:
                target = node.module
            for a in node.names:        # "from pkg import submodule" imports the submodule
                sub = f"{target}.{a.name}"
                out.append((sub, []) if sub in mods else (target, [a.name]))
    return [(t, names) for t, names in out if t in mods]


def _graph():
    mods = _modules()
    return mods, {m: _imports(m, p, mods) for m, p in mods.items()}


def _is_command(path):
    return "PROG = " in path.read_text() and path.name != "__init__.py"


def test_no_import_circle():
    mods, graph = _graph()
    edges = {m: {t for t, _ in imps if t != m and not m.startswith(t + ".")}
             for m, imps in graph.items()}   # a module importing its own package is not a circle
    state, stack = {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for t in sorted(edges[m]):
            if state.get(t) == "open":
                raise AssertionError("import circle: " + " -> ".join(stack[stack.index(t):]
                                                                      + [t]))
            if t not in state:
                visit(t)
        stack.pop()
        state[m] = "done"

    for m in sorted(edges):
        if m not in state:
            visit(m)


def test_no_command_imported_as_a_library_and_no_private_names_across_modules():
    mods, graph = _graph()
    commands = {m for m, p in mods.items() if _is_command(p)}
    assert {"simulations.quadratic", "simulations.compare", "simulations.angular"} <= commands
    for m, imps in graph.items():
        for target, names in imps:
            assert target not in commands, f"{m} imports the command {target}"
            private = [n for n in names if n.startswith("_")]
            assert not private, f"{m} imports private {private} from {target}"


def test_the_checker_sees_a_circle_and_a_private_import(tmp_path):
    """The two checks above can fail: a planted circle and a planted private import."""
    mods = {"a": tmp_path / "a.py", "b": tmp_path / "b.py"}
    mods["a"].write_text("from b import f\n")
    mods["b"].write_text("def f():\n    from a import _g\n")
    assert _imports("a", mods["a"], mods) == [("b", ["f"])]
    assert _imports("b", mods["b"], mods) == [("a", ["_g"])]
