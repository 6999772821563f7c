"""The repository stands alone: every citation of the theory points at a section that exists in
docs/theory.md, and nothing cites a document outside the repository."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CITE = re.compile(r"docs/theory\.md §(\d[a-f]?)")
BARE = re.compile(r"§(\d[a-f]?)")


def sections(text):
    return set(re.findall(r"^#+ §(\d[a-f]?)\b", text, flags=re.M))


def dangling(text, known, bare=False):
    found = (BARE if bare else CITE).findall(text)
    return sorted({s for s in found if s not in known})


def tracked():
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True,
                         check=True).stdout.split()
    return [ROOT / f for f in out if f.endswith((".py", ".md")) and (ROOT / f).exists()]


def test_every_theory_citation_has_its_section():
    known = sections((ROOT / "docs" / "theory.md").read_text())
    assert {"1", "2a", "2b", "2c", "3a", "3b", "4", "4a", "4c", "4e", "4f", "5", "6"} <= known
    bad = {}
    for path in tracked():
        if path.name == "test_docs.py":        # its own planted citations below
            continue
        text = path.read_text()
        missing = dangling(text, known, bare=path.suffix == ".md" and path.name != "paper.md")
        if missing:
            bad[str(path.relative_to(ROOT))] = missing
    assert not bad, f"citations of sections docs/theory.md does not have: {bad}"


def test_nothing_cites_a_document_outside_the_repository():
    outside = re.compile(r"THEORY\.md|SPEC\.md|STYLE\.md|\.\./shared")
    bad = [str(p.relative_to(ROOT)) for p in tracked()
           if p.name != "test_docs.py" and outside.search(p.read_text())]
    assert not bad


def test_the_checker_catches_a_dangling_citation():
    known = sections("# x\n## §1 Model\n### §2a One\n")
    assert known == {"1", "2a"}
    assert dangling("see docs/theory.md §2a and docs/theory.md §7e", known) == ["7e"]
    assert dangling("the certificate (§4c)", known, bare=True) == ["4c"]


def test_the_results_schema_rejects_a_corrupted_document(tmp_path):
    """A run's results.json validates; without a method's ``final`` block, with a mean that is
    text, or with an unknown failure flag in a study's rows, it does not."""
    import copy
    import json

    import jsonschema
    import simulations as sim
    from simulations import problems
    schema = json.loads((ROOT / "docs" / "results.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    res = sim.run(problems.default_problem(dim=5), ["constant"], lr=0.5, epochs=4,
                  steps_per_epoch=2, seeds=2)
    doc = json.loads(json.dumps(res.to_json()))
    jsonschema.validate(doc, schema)
    for corrupt in (lambda d: d["methods"]["constant"].pop("final"),
                    lambda d: d["methods"]["constant"]["mean_sq_dist"].__setitem__(0, "big"),
                    lambda d: d.pop("meta")):
        bad = copy.deepcopy(doc)
        corrupt(bad)
        try:
            jsonschema.validate(bad, schema)
        except jsonschema.ValidationError:
            continue
        raise AssertionError("a corrupted results.json validated")
