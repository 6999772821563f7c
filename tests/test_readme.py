"""The README's API example runs as printed (with a smaller budget and a temporary folder), so
the documented public API cannot drift from the code."""

import re
from pathlib import Path

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_the_api_example_runs(tmp_path, capsys):
    section = README[README.index("## Your own problems and sweeps"):]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    small = re.sub(r"epochs=200", "epochs=12", code)
    small = re.sub(r"seeds=64", "seeds=3", small)
    small = small.replace('"results/power_law"', repr(str(tmp_path / "power_law")))
    assert small != code and "results/" not in small          # the substitutions took
    namespace = {}
    exec(compile(small, "README.md", "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == len(namespace["sim"].methods.available())
    assert (tmp_path / "power_law" / "results.json").exists()
    assert len(namespace["sweep"].methods) == 4
    assert set(namespace["again"].methods) == set(namespace["res"].methods)
