"""The README's API example runs as printed (with a smaller budget and a temporary folder), so
the documented public API cannot drift from the code; the README stays a first page."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
GUIDE = (ROOT / "docs" / "guide.md").read_text()
CLI = (ROOT / "docs" / "cli.md").read_text()


def _python_block(text, heading):
    section = text[text.index(heading):]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_is_a_first_page():
    """At most 150 lines, with the two commands, the three snippets (a quadratic run, your own
    problem, AutoDrop in an optax loop) and a link to every page of docs/."""
    assert README.count("\n") <= 150
    assert "pip install -e . && python -m simulations.quadratic" in README
    assert "pip install -e '.[test]' && pytest" in README
    for heading in ("## AutoDrop in your own training loop", "## Your own problem"):
        assert _python_block(README, heading)
    assert "python -m simulations.quadratic --quick" in README
    pages = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md"))
    unlinked = [p for p in pages if f"]({p}" not in README]
    assert not unlinked, f"docs pages the README does not link: {unlinked}"


def test_every_command_the_readme_shows_answers_help():
    """Every ``python -m MODULE`` the README names is a command that answers --help (exit 0)."""
    import contextlib
    import importlib
    import io
    shown = sorted(set(re.findall(r"python -m ([\w.]+)", README)))
    assert len(shown) >= 11
    for name in shown:
        module = importlib.import_module(name if name != "proofs" else "proofs.__main__")
        with contextlib.redirect_stdout(io.StringIO()), pytest.raises(SystemExit) as exc:
            module.main(["--help"])
        assert exc.value.code == 0, name


def test_every_local_link_resolves():
    """Every relative link of the README and the docs pages names a file that exists."""
    bad = []
    for page in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if not target.startswith(("http://", "https://")) and not (
                    page.parent / target).exists():
                bad.append(f"{page.relative_to(ROOT)}: {target}")
    assert not bad, bad


def test_the_guide_shows_the_readme_api_example():
    """One example, shown twice (the README's first page and the guide): the same code."""
    heading = "## Your own problems and sweeps"
    assert _python_block(GUIDE, heading) == _python_block(README, "## Your own problem")


def test_the_api_example_runs(tmp_path, capsys):
    code = _python_block(README, "## Your own problem")
    small = re.sub(r"epochs=200", "epochs=12", code)
    small = re.sub(r"seeds=64", "seeds=3", small)
    small = small.replace('"results/power_law"', repr(str(tmp_path / "power_law")))
    assert small != code and "results/" not in small          # the substitutions took
    # sim.save draws the figures (tested on every command's results elsewhere); here it writes
    # results.json only, which keeps this test to the API itself
    small = small.replace("sim.save(res, ", "res.save(")
    assert "res.save(" in small
    namespace = {}
    exec(compile(small, "README.md", "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    names = namespace["names"]
    assert len(printed) == len(names) and set(names) <= set(namespace["sim"].methods.available())
    assert (tmp_path / "power_law" / "results.json").exists()
    assert len(namespace["sweep"].methods) == 4
    res = namespace["res"]
    assert set(namespace["again"].methods) == set(res.methods) == set(names)
    # the methods (exact and step-level samplers) run on a user's spectrum without diverging,
    # and the random start lies on the sphere of radius 10 for every seed (every method on a
    # user's problem: tests/test_custom_problem.py)
    assert all(m["diverged_seeds"] == 0 for m in res.methods.values())
    assert res.methods["constant"]["mean_sq_dist"][0] == pytest.approx(100.0, rel=1e-5)
    assert res.problem["y0_distribution"] == {"sphere_radius": 10.0}
    assert {m["sampler"] for m in res.methods.values()} == {"exact", "steps"}


def test_every_generated_block_is_the_stored_output_of_the_command_it_names():
    """The shown numbers: each generated block (in the README or the page of docs/ it belongs
    to) is the rendering of what its commands printed (docs/readme_outputs.json, written by
    ``python -m simulations.readme``), byte for byte; no block is missing, none is unknown,
    none is shown twice or on another page."""
    import json

    from simulations import readme
    stored = json.loads(readme.OUTPUTS.read_text())
    blocks = readme.all_blocks()
    assert set(blocks) == set(readme.BLOCKS) <= set(stored)
    for name, block in readme.BLOCKS.items():
        assert [r["command"] for r in stored[name]["runs"]] == list(block.commands), name
        assert blocks[name] == readme.render(stored[name]), f"block {name!r} edited by hand?"
    proofs_page = (ROOT / readme.BLOCKS["proofs"].page).read_text()
    edited = proofs_page.replace(readme.render(stored["proofs"]).split("\n")[-2], "1 failed")
    assert readme.blocks_in(edited)["proofs"] != readme.render(stored["proofs"])


def test_the_stale_check_sees_a_changed_source_and_not_a_changed_docstring(tmp_path):
    """``--check`` (no rerun): a block's sources are the modules its command imports; changing
    one line of code in one of them changes the hash, changing a docstring does not."""
    import shutil

    from simulations import readme
    block = readme.BLOCKS["quadratic"]
    files = readme.sources("simulations.quadratic")
    assert {"simulations/engine.py", "autodrop_theory/rule.py",
            "simulations/methods/autodrop.py", "simulations/quadratic.py"} <= set(files)
    assert "simulations/network.py" not in files
    for pkg in readme.PACKAGES:
        shutil.copytree(ROOT / pkg, tmp_path / pkg)
    before = readme.sources_hash(block, root=tmp_path)
    assert before == readme.sources_hash(block)
    rule = tmp_path / "autodrop_theory" / "rule.py"
    text = rule.read_text()
    rule.write_text(text.replace('"""The AutoDrop rule', '"""The AutoDrop rule, reworded', 1))
    assert readme.sources_hash(block, root=tmp_path) == before
    rule.write_text(text.replace("rho = hp.drop_factor", "rho = hp.drop_factor * 1.0", 1))
    assert readme.sources_hash(block, root=tmp_path) != before
    stored = {"quadratic": {"sources_sha256": before}}
    assert readme.stale(stored, ["quadratic"]) == []
    assert readme.stale({"quadratic": {"sources_sha256": "0" * 64}}, ["quadratic"]) == [
        "quadratic"]


def test_every_flag_of_every_command_is_documented():
    import contextlib
    import importlib
    import io
    commands = ["simulations.quadratic", "simulations.angular", "simulations.strongly_convex",
                "simulations.compare", "simulations.tune_autodrop", "simulations.tune_network",
                "simulations.paper", "simulations.benchmark",
                "simulations.generalization",
                "simulations.network", "simulations.figures", "simulations.readme",
                "proofs.__main__"]
    for module in commands:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            importlib.import_module(module).main(["--help"])
        flags = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-v)\b", out.getvalue()))
        assert flags, module
        missing = sorted(f for f in flags - {"--help"} if f"`{f}" not in CLI)
        assert not missing, f"{module}: {missing} not in docs/cli.md"
