"""What every command of the package (``python -m simulations.*``, ``python -m proofs``)
promises on bad input: one line on stderr naming the flag and the violated condition, exit status
2, nothing written, nothing computed.  Light on purpose: no numerical library is imported, so a
refusal (and ``--help``) is immediate."""

from __future__ import annotations

import argparse
import os
import tempfile

__all__ = ["CliError", "OneLineParser", "check_out"]


class CliError(Exception):
    """Bad command-line input: the command prints the message as one line and returns 2."""


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors raise :class:`CliError` (argparse would print the usage
    and a second line, then exit)."""

    def error(self, message):
        raise CliError(message)

    def parse_known_args(self, args=None, namespace=None):
        """As argparse, except that a value after a flag may start with a dash (``--lr -inf``,
        ``--lr -1e3``: argparse alone reads them as flags and says "expected one argument"):
        such a pair is read as ``--lr=-inf``, so the flag's own check names the bad value."""
        import sys
        args = list(sys.argv[1:] if args is None else args)
        takes_value = {s for a in self._actions if a.option_strings and a.nargs is None
                       for s in a.option_strings}
        merged, i = [], 0
        while i < len(args):
            if (args[i] in takes_value and i + 1 < len(args) and args[i + 1].startswith("-")
                    and _is_number(args[i + 1])):
                merged.append(f"{args[i]}={args[i + 1]}")
                i += 2
            else:
                merged.append(args[i])
                i += 1
        return super().parse_known_args(merged, namespace)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_out(out: str, flag: str = "--out") -> None:
    """``out`` must name a folder that exists or can be created and written: not empty, not
    an existing file, below a folder where a probe folder can be made (and is removed at once:
    a later refusal of another flag leaves no trace)."""
    if not out.strip():
        raise CliError(f"{flag}: need a folder name, got ''")
    path = os.path.abspath(out)
    if os.path.exists(path) and not os.path.isdir(path):
        raise CliError(f"{flag}: {out!r} exists and is not a folder")
    probe = path
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise CliError(f"{flag}: cannot create a folder under {probe!r}, which is a file")
    try:                        # a real probe (permissions alone mislead root, e.g. on /proc)
        os.rmdir(tempfile.mkdtemp(prefix=".probe-", dir=probe))
    except OSError as exc:
        raise CliError(f"{flag}: cannot write under {probe!r} ({exc.strerror})") from None
