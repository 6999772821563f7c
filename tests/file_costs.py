"""The order in which the xdist workers take the test files: the costliest first.

xdist (``--dist loadfile``) hands each worker one file at a time, with one more queued, in the
order of the collection (``--no-loadscope-reorder``; its default order is by the number of
tests, which says little about a file's time here: about 1000 fuzz cases take 5 s, one study
fixture 12 s).  A costly file taken late leaves the other worker idle at the end of the run;
taking the files longest first (the LPT rule of list scheduling) leaves only small ones for the
end.  Each
file's cost is its tests' summed wall time (setup, call, teardown) in a recorded run,
``tests/file_costs.json``, written by ``python -m pytest --record-file-costs``.  The table only
orders the files: a stale or missing entry costs time, never a result.  A file the table does not
name goes first (a new file may be a heavy one).  The order of the tests within a file is kept.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

TABLE = Path(__file__).with_name("file_costs.json")


def file_of(nodeid: str) -> str:
    """The test file of a node id, as the table names it (relative to the repository)."""
    return nodeid.split("::", 1)[0]


def load(path: Path = TABLE) -> dict:
    """File -> seconds from the recorded table (empty where there is none or it is damaged:
    the order is then the collected one)."""
    try:
        return {str(f): float(s) for f, s in json.loads(path.read_text())["seconds"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def costliest_first(nodeids, costs: dict) -> list:
    """The indices of ``nodeids`` in the order the workers should take them: files by
    decreasing cost (unknown files first), each file's tests in their collected order."""
    return sorted(range(len(nodeids)),
                  key=lambda i: -costs.get(file_of(nodeids[i]), math.inf))


def table(durations: dict, command: str) -> dict:
    """The JSON document for ``durations`` (file -> summed seconds of one run)."""
    return {"about": ("each test file's summed test wall time (s) in one run; orders the files "
                      "for the xdist workers, costliest first (tests/file_costs.py)"),
            "recorded_with": command,
            "seconds": {f: round(s, 1) for f, s in
                        sorted(durations.items(), key=lambda kv: (-kv[1], kv[0]))}}
