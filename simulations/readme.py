"""Every number in the README comes from a command it names: this command reruns them.

    python -m simulations.readme [--check] [--only NAME,NAME] [--render]

The README holds generated blocks between ``<!-- readme:NAME -->`` and ``<!-- /readme:NAME -->``:
each shows the command lines of :data:`BLOCKS` [NAME] and what they printed, verbatim, with
their wall time on the machine that ran them.  Without flags, every block's commands run (as
subprocesses, exactly as shown, with their outputs into a temporary folder), their outputs are
stored in ``docs/readme_outputs.json`` (with the git commit, the machine and the date), the
figures the README shows are copied into ``docs/figures/``, and the blocks are rewritten.
``--check`` reruns and exits with status 1 if a block's numbers would change (wall times
aside); ``--render`` only rewrites the blocks from the stored outputs; ``--only`` limits the
blocks.  The test suite checks that the README's blocks are the rendering of the stored outputs,
so a number edited by hand, or an output stored without its block, fails.

Runs take about a quarter of an hour on 2 cores (the network study is the longest).
"""

from __future__ import annotations

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
OUTPUTS = ROOT / "docs" / "readme_outputs.json"
FIGURES = ROOT / "docs" / "figures"


class Block(NamedTuple):
    commands: tuple            # command lines, as a user types them (``--out`` is added)
    figures: tuple = ()        # (file written by the last command, name in docs/figures/)
    writes: bool = True        # the commands take --out
    repeatable: bool = True    # the same numbers on every run (a benchmark's timings are not)


BLOCKS = {
    "quadratic": Block(("python -m simulations.quadratic",),
                       (("angle_vs_epoch.png", "angle_vs_epoch.png"),
                        ("error_vs_iterations.png", "error_vs_iterations.png"))),
    "quadratic-quick": Block(("python -m simulations.quadratic --quick --no-figures",)),
    "quadratic-all": Block(("python -m simulations.quadratic --methods all --no-figures",)),
    "compare": Block(("python -m simulations.compare",), (("compare.png", "compare.png"),)),
    "tune": Block(("python -m simulations.tune_autodrop",)),
    "generalization": Block(("python -m simulations.generalization",),
                            (("generalization.png", "generalization.png"),)),
    "generalization-fresh": Block(("python -m simulations.generalization --start 64 "
                                   "--no-figures",)),
    "angular": Block(("python -m simulations.angular",), (("angular.png", "angular.png"),)),
    "strongly-convex": Block(tuple(f"python -m simulations.strongly_convex --dataset {d} "
                                   "--no-figures"
                                   for d in ("synthetic", "breast_cancer", "digits", "wine"))),
    "network": Block(("python -m simulations.network",),
                     (("angle_vs_epoch.png", "network_angle.png"),)),
    "benchmark": Block(("python -m simulations.benchmark",), repeatable=False),
    "large-d": Block(("python -m simulations.quadratic --methods autodrop,constant --dim 10000000 "
                      "--steps-per-epoch 391 --seeds 4 --epochs 100 --no-figures",)),
    "paper": Block(("python -m simulations.paper --quick --no-figures",)),
    "proofs": Block(("python -m proofs",), writes=False),
    "lemmas": Block(("python -m proofs --lemmas",), writes=False),
}
_WALL = re.compile(r"\(\d+(\.\d+)? s\)")


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
            "date": time.strftime("%Y-%m-%d")}


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
    for name, record in records.items():
        pattern = re.compile(rf"(<!-- readme:{re.escape(name)} -->\n).*?(<!-- /readme:"
                             rf"{re.escape(name)} -->)", re.S)
        if not pattern.search(text):
            raise CliError(f"README.md: no block {name!r} (add <!-- readme:{name} --> "
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
        if args.check and args.render:
            raise CliError("--check, --render: choose one")
        stored = json.loads(OUTPUTS.read_text()) if OUTPUTS.exists() else {}
        if args.render:
            missing = [n for n in names if n not in stored]
            if missing:
                raise CliError(f"--render: no stored output for {missing[0]!r}; run without "
                               "--render first")
    except CliError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    records = {n: stored[n] for n in names} if args.render else {}
    for n in names if not args.render else []:
        print(f"running {n}: {'; '.join(BLOCKS[n].commands)}", file=sys.stderr)
        records[n] = run_block(n, copy_figures=not args.check)
    text = README.read_text()
    if args.check:
        now = blocks_in(text)
        drift = [n for n in names if BLOCKS[n].repeatable
                 and _numbers(now.get(n, "")) != _numbers(render(records[n]))]
        print("no drift" if not drift else f"drifted: {', '.join(drift)}")
        return 1 if drift else 0
    stored.update(records)
    OUTPUTS.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n")
    README.write_text(rewrite(text, records))
    print(f"rewrote {len(records)} blocks of README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
