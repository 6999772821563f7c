"""A mutation check of the theory, the rule, the proof checker and the bounds.

    python tools/mutation.py [--only ID,ID] [--jobs N] [--report docs/mutation.md]

Each mutant in :data:`tools.mutants.MUTANTS` is one meaningful edit (a constant, a factor, a
condition, a comparison, a checker rule): ``old`` must occur exactly once in ``file`` and is
replaced by ``new`` in a private copy of the repository (the tracked files), where the mutant's
tests run (``python -m pytest -x -q -n 0``, the copy first on the path).  A mutant is *killed*
when a test fails, *survives* when all pass; a mutant marked ``equivalent`` (with the reason)
is expected to survive.  The report (``docs/mutation.md``, from ``docs/mutation.json``) lists
the score and every mutant's status; ``--only`` reruns some mutants and updates their rows.
Not part of the CI suite: a full run takes several minutes per worker.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from mutants import MUTANTS  # noqa: E402


def _copy_repo(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def check_applies(m) -> str:
    """'' if the mutant's ``old`` occurs exactly once in its file, else why not."""
    text = (ROOT / m.file).read_text()
    n = text.count(m.old)
    return "" if n == 1 else f"{m.id}: 'old' occurs {n} times in {m.file}"


def run_one(m, work: Path, timeout: int) -> tuple:
    """Apply ``m`` in the copy ``work``, run its tests, restore the file; (status, seconds)."""
    path = work / m.file
    original = path.read_text()
    path.write_text(original.replace(m.old, m.new, 1))
    env = dict(os.environ, PYTHONPATH=str(work), JAX_PLATFORMS="cpu")
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-n", "0",
                               "-p", "no:cacheprovider", *m.tests], cwd=work, env=env,
                              capture_output=True, text=True, timeout=timeout)
        status = ("survived" if proc.returncode == 0 else
                  "killed" if proc.returncode == 1 else f"error ({proc.returncode})")
    except subprocess.TimeoutExpired:
        status = "killed (timeout)"
    finally:
        path.write_text(original)
    return status, time.perf_counter() - start


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="tools/mutation.py", description=__doc__.splitlines()[0])
    p.add_argument("--only", default=None, help="comma-separated mutant ids")
    p.add_argument("--jobs", type=int, default=2, help="parallel workers (a copy each)")
    p.add_argument("--timeout", type=int, default=600, help="seconds per mutant")
    p.add_argument("--report", default=str(ROOT / "docs" / "mutation.md"))
    args = p.parse_args(argv)
    chosen = [m for m in MUTANTS if args.only is None or m.id in args.only.split(",")]
    problems = [why for why in map(check_applies, chosen) if why]
    if problems or not chosen:
        print("\n".join(problems) or "no mutant chosen", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        works = []
        for j in range(max(1, args.jobs)):
            works.append(Path(tmp) / f"w{j}")
            _copy_repo(works[-1])
        results = {}
        with concurrent.futures.ThreadPoolExecutor(len(works)) as pool:
            free = list(works)
            pending = {}
            queue = list(chosen)
            while queue or pending:
                while queue and free:
                    m, w = queue.pop(0), free.pop()
                    pending[pool.submit(run_one, m, w, args.timeout)] = (m, w)
                done, _ = concurrent.futures.wait(pending, return_when="FIRST_COMPLETED")
                for fut in done:
                    m, w = pending.pop(fut)
                    free.append(w)
                    results[m.id] = fut.result()
                    print(f"{m.id:32s} {results[m.id][0]:18s} {results[m.id][1]:6.1f} s",
                          flush=True)
    store = Path(args.report).with_suffix(".json")
    merged = json.loads(store.read_text()) if store.exists() and args.only else {}
    merged.update({k: status for k, (status, _) in results.items()})
    merged = {m.id: merged[m.id] for m in MUTANTS if m.id in merged}
    store.write_text(json.dumps(merged, indent=1) + "\n")
    Path(args.report).write_text(report(merged))
    unexpected = [m for m in chosen if results[m.id][0] == "survived" and not m.equivalent]
    errors = [m for m in chosen if results[m.id][0].startswith("error")]
    print(report(merged).splitlines()[2])
    return 0 if not unexpected and not errors else 1


def report(statuses: dict) -> str:
    """docs/mutation.md from {id: status} (every mutant of the list; not run = 'not run')."""
    status = {m.id: statuses.get(m.id, "not run") for m in MUTANTS}
    killed = sum(s.startswith("killed") for s in status.values())
    survivors = [m for m in MUTANTS if status[m.id] == "survived"]
    equivalent = [m for m in survivors if m.equivalent]
    lines = ["# Mutation check (`python tools/mutation.py`)", "",
             f"{len(MUTANTS)} mutants, {killed} killed, {len(survivors)} survived "
             f"({len(equivalent)} marked equivalent, {len(survivors) - len(equivalent)} not), "
             f"{sum(s.startswith('error') for s in status.values())} errors, "
             f"{sum(s == 'not run' for s in status.values())} not run; updated "
             f"{time.strftime('%Y-%m-%d')}.", "",
             "| id | class | file | status | equivalent because |", "|---|---|---|---|---|"]
    lines += [f"| `{m.id}` | {m.kind} | `{m.file}` | {status[m.id]} | {m.equivalent or ''} |"
              for m in MUTANTS]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
