"""Every number in the README and the docs comes from a command they name: this command reruns
them.

    python -m simulations.readme [--check | --verify | --render] [--only NAME,NAME]

The README and the pages of docs/ hold generated blocks between ``<!-- readme:NAME -->`` and
``<!-- /readme:NAME -->`` (:data:`BLOCKS` [NAME].page says which file): each shows the block's
command lines and what they printed, verbatim, with their wall time on the machine that ran
them.  Without flags, every block's commands run (as subprocesses, exactly as shown, with their
outputs into a temporary folder), their outputs are stored in ``docs/readme_outputs.json`` (with
the git commit, the machine, the date and a hash of the sources that produced them), the figures
the docs show are copied into ``docs/figures/``, and the blocks are rewritten where they live.

``--check`` reruns nothing: it reports the blocks whose sources changed since their numbers were
produced (stale) and exits with status 1 if there is one.  A block's sources are the Python
modules of this repository that its command's module imports, directly or through others
(:func:`sources`, read from their syntax trees, lazy imports inside functions included); their
hash ignores docstrings and comments, so a change of wording is not a change of numbers.
``--verify`` reruns and exits with status 1 if a block's numbers would change (wall times
aside); ``--render`` only rewrites the blocks from the stored outputs; ``--only`` limits the
blocks.  The test suite checks that every block is the rendering of the stored outputs, so a
number edited by hand, or an output stored without its block, fails.

Runs take well over an hour on 2 cores (the generalization and tuning studies are the longest).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from autodrop_theory.commandline import CliError, OneLineParser

PROG = "simulations.readme"
ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PACKAGES = ("autodrop_theory", "simulations", "proofs")
OUTPUTS = ROOT / "docs" / "readme_outputs.json"
FIGURES = ROOT / "docs" / "figures"


class Block(NamedTuple):
    commands: tuple            # command lines, as a user types them (``--out`` is added)
    figures: tuple = ()        # (file written by the last command, name in docs/figures/)
    writes: bool = True        # the commands take --out
    repeatable: bool = True    # the same numbers on every run (a benchmark's timings are not)
    page: str = "README.md"    # the file (relative to the repository) that shows the block


BLOCKS = {
    "quadratic": Block(("python -m simulations.quadratic",),
                       (("angle_vs_epoch.png", "angle_vs_epoch.png"),
                        ("error_vs_iterations.png", "error_vs_iterations.png")),
                       page="docs/guide.md"),
    "quadratic-quick": Block(("python -m simulations.quadratic --quick --no-figures",)),
    "quadratic-all": Block(("python -m simulations.quadratic --methods all --no-figures",),
                           page="docs/methods.md"),
    "compare": Block(("python -m simulations.compare",), (("compare.png", "compare.png"),),
                     page="docs/studies/compare.md"),
    "tune": Block(("python -m simulations.tune_autodrop",), page="docs/rule.md"),
    "generalization": Block(("python -m simulations.generalization",),
                            (("generalization.png", "generalization.png"),),
                            page="docs/studies/generalization.md"),
    "generalization-fresh": Block(("python -m simulations.generalization --start 64 "
                                   "--no-figures",), page="docs/studies/generalization.md"),
    "angular": Block(("python -m simulations.angular",), (("angular.png", "angular.png"),),
                     page="docs/studies/angular.md"),
    "strongly-convex": Block(tuple(f"python -m simulations.strongly_convex --dataset {d} "
                                   "--no-figures"
                                   for d in ("synthetic", "breast_cancer", "digits", "wine")),
                             page="docs/studies/strongly_convex.md"),
    "network": Block(("python -m simulations.network --dataset mnist1d_b --models cnn --methods "
                      "autodrop,autodrop_net,schedule_free,wsd,cosine,step_decay,averaged,constant "
                      "--no-figures",
                      "python -m simulations.network",),
                     (("angle_vs_epoch.png", "network_angle.png"),
                      ("test_accuracy.png", "network_test_accuracy.png"),
                      ("rate_vs_epoch.png", "network_rate.png")),
                     page="docs/studies/network.md"),
    "network-tune": Block(("python -m simulations.tune_network",),
                          page="docs/studies/network.md"),
    "benchmark": Block(("python -m simulations.benchmark",), repeatable=False,
                       page="docs/performance.md"),
    "large-d": Block(("python -m simulations.quadratic --methods autodrop,constant --dim 10000000 "
                      "--steps-per-epoch 391 --seeds 4 --epochs 100 --no-figures",),
                     page="docs/performance.md"),
    "paper": Block(("python -m simulations.paper --quick --no-figures",), page="docs/paper.md"),
    "proofs": Block(("python -m proofs",), writes=False, page="docs/proofs.md"),
    "lemmas": Block(("python -m proofs --lemmas",), writes=False, page="docs/proofs.md"),
}
_WALL = re.compile(r"\(\d+(\.\d+)? s\)")


def _module_file(name: str, root: Path = ROOT):
    """The file of module ``name`` of this repository (a package's __init__.py), or None."""
    if name.split(".")[0] not in PACKAGES:
        return None
    base = root.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports(name: str, path: Path, text: str):
    """The module names ``text`` (module ``name`` at ``path``) imports, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(text)
    if path.name == "__init__.py" and "import_module" in text:
        # a package that imports its modules by name on first use (a registry): every string
        # constant naming one of its modules counts as an import
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and node.value.isidentifier() and (
                        (path.parent / f"{node.value}.py").is_file()
                        or (path.parent / node.value / "__init__.py").is_file())):
                yield f"{name}.{node.value}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def sources(module: str, read=None, root: Path = ROOT) -> dict:
    """Relative path -> text of every module of this repository that ``module`` imports,
    directly or through others (and the packages above each), itself included.  ``read(path)``
    gives a file's text (default: the working tree)."""
    read = read or (lambda path: path.read_text())
    seen, todo = {}, [module]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for k in range(1, len(parts) + 1):          # the packages above it run first
            todo_name = ".".join(parts[:k])
            path = _module_file(todo_name, root)
            if path is None:
                continue
            rel = str(path.relative_to(root))
            if rel in seen:
                continue
            try:
                text = read(path)
            except (OSError, KeyError):
                continue
            seen[rel] = text
            todo.extend(_imports(todo_name, path, text))
    return seen


@functools.lru_cache(maxsize=512)
def _code(text: str) -> str:
    """A module's code without docstrings and comments (its syntax tree, dumped; cached by
    text: ``--check`` hashes the same modules for every block)."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def sources_hash(block: "Block", read=None, root: Path = ROOT) -> str:
    """A hash of the code of every module the block's commands import (:func:`sources`)."""
    files = {}
    for line in block.commands:
        files.update(sources(_command_module(line), read, root))
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(rel.encode() + b"\0" + _code(files[rel]).encode() + b"\0")
    return h.hexdigest()


def _command_module(line: str) -> str:
    """``python -m X ...`` -> X (a package runs its __main__)."""
    words = line.split()
    if words[:2] != ["python", "-m"] or len(words) < 3:
        raise ValueError(f"not a 'python -m MODULE' command: {line!r}")
    name = words[2]
    return f"{name}.__main__" if _module_file(f"{name}.__main__") else name


def stale(stored: dict, names) -> list:
    """The blocks whose stored sources hash differs from the working tree's (or is missing)."""
    return [n for n in names if stored.get(n, {}).get("sources_sha256")
            != sources_hash(BLOCKS[n])]


def page_text(page: str) -> str:
    return (ROOT / page).read_text()


def all_blocks() -> dict:
    """NAME -> the text between its markers, over every page that holds blocks (a block shown
    twice, or on a page other than its own, is an error)."""
    found = {}
    for page in sorted({b.page for b in BLOCKS.values()} | {"README.md"}):
        for name, body in blocks_in(page_text(page)).items():
            if name in found:
                raise CliError(f"{page}: block {name!r} shown twice")
            if name in BLOCKS and BLOCKS[name].page != page:
                raise CliError(f"{page}: block {name!r} belongs in {BLOCKS[name].page}")
            found[name] = body
    return found


def run_block(name: str, copy_figures: bool = True) -> dict:
    """Run a block's commands; its record for docs/readme_outputs.json (and, unless
    ``copy_figures`` is False, the README's figures copied into docs/figures/)."""
    block, parts = BLOCKS[name], []
    with tempfile.TemporaryDirectory() as tmp:
        for i, line in enumerate(block.commands):
            argv = line.split()[1:] + (["--out", f"{tmp}/{i}"] if block.writes else [])
            start = time.perf_counter()
            proc = subprocess.run([sys.executable] + argv, capture_output=True, text=True,
                                  cwd=ROOT)
            wall = time.perf_counter() - start
            if proc.returncode != 0:
                raise RuntimeError(f"{line} failed ({proc.returncode}): {proc.stderr[-2000:]}")
            parts.append({"command": line, "stdout": proc.stdout, "wall_seconds": wall})
        for src, dst in block.figures if copy_figures else ():
            shutil.copyfile(f"{tmp}/{len(block.commands) - 1}/{src}", FIGURES / dst)
    return {"runs": parts, "git_commit": _commit(), "cpus": os.cpu_count(),
            "date": time.strftime("%Y-%m-%d"), "sources_sha256": sources_hash(block)}


def render(record: dict) -> str:
    """A block's text: each command line with its wall time, then what it printed."""
    lines = ["```"]
    for run in record["runs"]:
        lines.append(f"$ {run['command']}    ({run['wall_seconds']:.0f} s)")
        lines += [ln for ln in run["stdout"].rstrip("\n").split("\n") if not ln.startswith(
            "wrote ")]
    return "\n".join(lines + ["```"])


def blocks_in(text: str) -> dict:
    """NAME -> the text between the README's markers."""
    found = re.findall(r"<!-- readme:([\w-]+) -->\n(.*?)<!-- /readme:\1 -->", text, re.S)
    return {name: body.removesuffix("\n") for name, body in found}


def rewrite(text: str, records: dict) -> str:
    """``text`` with the blocks of ``records`` (every one must be in it) rewritten."""
    for name, record in records.items():
        pattern = re.compile(rf"(<!-- readme:{re.escape(name)} -->\n).*?(<!-- /readme:"
                             rf"{re.escape(name)} -->)", re.S)
        if not pattern.search(text):
            raise CliError(f"{BLOCKS[name].page}: no block {name!r} (add <!-- readme:{name} --> "
                           f"and <!-- /readme:{name} -->)")
        text = pattern.sub(lambda m: m.group(1) + render(record) + "\n" + m.group(2), text)
    return text


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def _numbers(text: str) -> str:
    """A block without its wall times (which vary from run to run)."""
    return _WALL.sub("", text)


def main(argv=None) -> int:
    p = OneLineParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true",
                   help="rerun nothing; exit 1 if a block's sources changed since its numbers "
                        "were produced (stale)")
    p.add_argument("--verify", action="store_true",
                   help="rerun and exit 1 if a block's numbers would change")
    p.add_argument("--render", action="store_true",
                   help="rewrite the blocks from docs/readme_outputs.json without running")
    p.add_argument("--only", default=None, help="comma-separated block names (default: all)")
    try:
        args = p.parse_args(argv)
        names = list(BLOCKS) if args.only is None else [n for n in args.only.split(",") if n]
        unknown = [n for n in names if n not in BLOCKS]
        if unknown or not names:
            raise CliError(f"--only: unknown block {unknown[0] if unknown else args.only!r}; "
                           f"known: {', '.join(BLOCKS)}")
        chosen = [f for f in ("--check", "--verify", "--render")
                  if getattr(args, f[2:])]
        if len(chosen) > 1:
            raise CliError(f"{', '.join(chosen)}: choose one")
        stored = json.loads(OUTPUTS.read_text()) if OUTPUTS.exists() else {}
        if args.render:
            missing = [n for n in names if n not in stored]
            if missing:
                raise CliError(f"--render: no stored output for {missing[0]!r}; run without "
                               "--render first")
    except CliError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        old = stale(stored, names)
        print("no stale block" if not old else
              "stale (sources changed since their numbers were produced): " + ", ".join(old))
        return 1 if old else 0
    records = {n: stored[n] for n in names} if args.render else {}
    for n in names if not args.render else []:
        print(f"running {n}: {'; '.join(BLOCKS[n].commands)}", file=sys.stderr)
        records[n] = run_block(n, copy_figures=not args.verify)
    if args.verify:
        now = all_blocks()
        drift = [n for n in names if BLOCKS[n].repeatable
                 and _numbers(now.get(n, "")) != _numbers(render(records[n]))]
        print("no drift" if not drift else f"drifted: {', '.join(drift)}")
        return 1 if drift else 0
    stored.update(records)
    OUTPUTS.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n")
    pages = sorted({BLOCKS[n].page for n in records})
    for page in pages:
        mine = {n: r for n, r in records.items() if BLOCKS[n].page == page}
        (ROOT / page).write_text(rewrite(page_text(page), mine))
    print(f"rewrote {len(records)} blocks in {', '.join(pages)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
