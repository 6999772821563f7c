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
        text = path.read_text()
        missing = dangling(text, known, bare=path.name in ("README.md", "theory.md"))
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
