"""The README's API example runs as printed (with a smaller budget and a temporary folder), so
the documented public API cannot drift from the code."""

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_the_api_example_runs(tmp_path, capsys):
    section = README[README.index("## Your own problems and sweeps"):]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
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
    assert len(printed) == len(namespace["sim"].methods.available())
    assert (tmp_path / "power_law" / "results.json").exists()
    assert len(namespace["sweep"].methods) == 4
    res = namespace["res"]
    assert set(namespace["again"].methods) == set(res.methods) == set(
        namespace["sim"].methods.available())
    # every method (exact and step-level samplers) runs on a user's spectrum without diverging,
    # and the random start lies on the sphere of radius 10 for every seed
    assert all(m["diverged_seeds"] == 0 for m in res.methods.values())
    assert res.methods["constant"]["mean_sq_dist"][0] == pytest.approx(100.0, rel=1e-5)
    assert res.problem["y0_distribution"] == {"sphere_radius": 10.0}
    assert {m["sampler"] for m in res.methods.values()} == {"exact", "steps"}


def test_every_generated_block_is_the_stored_output_of_the_command_it_names():
    """The README's numbers: each generated block is the rendering of what its commands printed
    (docs/readme_outputs.json, written by ``python -m simulations.readme``), byte for byte; no
    block is missing, none is unknown."""
    import json

    from simulations import readme
    stored = json.loads(readme.OUTPUTS.read_text())
    blocks = readme.blocks_in(README)
    assert set(blocks) == set(readme.BLOCKS) <= set(stored)
    for name, block in readme.BLOCKS.items():
        assert [r["command"] for r in stored[name]["runs"]] == list(block.commands), name
        assert blocks[name] == readme.render(stored[name]), f"block {name!r} edited by hand?"
    edited = README.replace(readme.render(stored["proofs"]).split("\n")[-2], "1 failed")
    assert readme.blocks_in(edited)["proofs"] != readme.render(stored["proofs"])


def test_every_flag_of_every_command_is_documented():
    import contextlib
    import importlib
    import io
    commands = ["simulations.quadratic", "simulations.angular", "simulations.strongly_convex",
                "simulations.compare", "simulations.tune_autodrop", "simulations.benchmark",
                "simulations.generalization",
                "simulations.network", "simulations.figures", "simulations.readme",
                "proofs.__main__"]
    for module in commands:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            importlib.import_module(module).main(["--help"])
        flags = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-v)\b", out.getvalue()))
        assert flags, module
        missing = sorted(f for f in flags - {"--help"} if f"`{f}" not in README)
        assert not missing, f"{module}: {missing} not in the README"
