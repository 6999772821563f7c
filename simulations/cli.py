"""What every simulation command shares: flags, one-line errors (exit 2), outputs and metadata.

Conventions (README, docs/results.md): invalid input exits with status 2 and prints one line
naming the flag and the violated condition, before anything is written; ``results.json`` is written atomically, after
the figures, and nothing half-written is left in the output folder.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile

from autodrop_theory.errors import AssumptionError

from . import methods as registry
from .provenance import metadata

__all__ = ["CliError", "make_parser", "parse", "resolve_methods", "flag_error",
           "finish", "entry_point", "progress", "print_table", "add_quadratic_flags", "main",
           "typed", "run_flags"]


class CliError(Exception):
    """Bad command-line input: main() prints the message as one line and returns 2."""


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print usage and exit; we want one line, exit 2
        raise CliError(message)


def typed(kind, cond, desc):
    def convert(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"need {desc}, got {text!r}") from None
        if not cond(value):
            raise argparse.ArgumentTypeError(f"need {desc}, got {text!r}")
        return value
    return convert


positive_int = typed(int, lambda v: v >= 1, "an integer >= 1")
nonneg_int = typed(int, lambda v: v >= 0, "an integer >= 0")
positive_float = typed(float, lambda v: math.isfinite(v) and v > 0, "a finite number > 0")
nonneg_float = typed(float, lambda v: math.isfinite(v) and v >= 0, "a finite number >= 0")


def make_parser(prog: str, description: str, omit=()) -> argparse.ArgumentParser:
    """The flags shared by the simulation commands (README), less those in ``omit`` (names
    without dashes, e.g. ``("dim", "lr")`` for a study that sets them itself: a command takes no
    flag it would ignore); defaults of None are filled by :func:`parse` from the command's
    normal or ``--quick`` defaults, and an omitted flag reads as None (False for switches)."""
    p = _OneLineParser(prog=prog, description=description)
    shared = [
        ("--quick", dict(action="store_true", help="a small run (under 30 s on 2 cores)")),
        ("--out", dict(type=str, default=None, help="output folder (default results/<exp>/)")),
        ("--seeds", dict(type=typed(int, lambda v: v >= 2, "an integer >= 2 (a confidence "
                                    "interval needs two seeds)"), default=None,
                         help="number of seeds")),
        ("--seed", dict(type=typed(int, lambda v: 0 <= v < 2 ** 32, "an integer in [0, 2**32)"),
                        default=0, help="base seed (instance and noise)")),
        ("--methods", dict(type=str, default=None, help="comma-separated, or 'all'; known: "
                           f"{', '.join(registry.available())}")),
        ("--dim", dict(type=positive_int, default=None, help="dimension d")),
        ("--epochs", dict(type=typed(int, lambda v: v >= 3, "an integer >= 3 (an angle change "
                                     "needs three epochs)"), default=None,
                          help="number of epochs E")),
        ("--steps-per-epoch", dict(type=positive_int, default=None, help="K, steps per epoch")),
        ("--lr", dict(type=positive_float, default=None, help="initial learning rate")),
        ("--no-figures", dict(action="store_true", help="write results.json only")),
        ("--x64", dict(action="store_true", help="simulate in float64 (default float32)")),
        ("--quiet", dict(action="store_true", help="no progress bar, no table")),
    ]
    for flag, kwargs in shared:
        dest = flag[2:].replace("-", "_")
        if dest in omit:
            p.set_defaults(**{dest: False if kwargs.get("action") == "store_true" else None})
        else:
            p.add_argument(flag, **kwargs)
    return p


def parse(parser, argv, defaults: dict, quick: dict):
    """Parse ``argv``; fill unset flags from ``quick`` (with --quick) over ``defaults``; check
    that ``--out`` can be written before anything runs."""
    args = parser.parse_args(argv)
    for key, value in {**defaults, **(quick if args.quick else {})}.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    if getattr(args, "out", None) is not None:
        check_out(args.out)
    return args


def check_out(out: str) -> None:
    """``--out`` must name a folder that exists or can be created and written: not empty, not
    an existing file, below a folder where a probe folder can be made (and is removed at once:
    a later refusal of another flag leaves no trace)."""
    if not out.strip():
        raise CliError("--out: need a folder name, got ''")
    path = os.path.abspath(out)
    if os.path.exists(path) and not os.path.isdir(path):
        raise CliError(f"--out: {out!r} exists and is not a folder")
    probe = path
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise CliError(f"--out: cannot create a folder under {probe!r}, which is a file")
    try:                        # a real probe (permissions alone mislead root, e.g. on /proc)
        os.rmdir(tempfile.mkdtemp(prefix=".probe-", dir=probe))
    except OSError as exc:
        raise CliError(f"--out: cannot write under {probe!r} ({exc.strerror})") from None


def resolve_methods(text: str, exact_model: bool = True) -> list:
    """``a,b,c`` or ``all`` (every registered method; the oracle only with an exact model)."""
    names = (registry.available(exact_model) if text == "all"
             else [m for m in text.split(",") if m])
    unknown = [m for m in names if m not in registry.REGISTRY]
    if unknown or not names:
        raise CliError(f"--methods: unknown method {unknown[0] if unknown else text!r}; "
                       f"known: {', '.join(registry.available())} or 'all'")
    needs = [m for m in names if registry.REGISTRY[m].needs_model and not exact_model]
    if needs:
        raise CliError(f"--methods: {needs[0]} needs the exact quadratic model (quadratic "
                       "problems only)")
    if len(set(names)) != len(names):
        raise CliError(f"--methods: a method is listed twice in {text!r}")
    return names


def flag_error(exc: AssumptionError) -> CliError:
    """Turn an AssumptionError ``name: condition`` into ``--name: condition``."""
    name, _, rest = str(exc).partition(": ")
    flag = "--" + name.replace("_", "-") if name.isidentifier() else name
    return CliError(f"{flag}: {rest}" if rest else str(exc))


def finish(prog: str, argv, args, start: float, results, figures: bool = True) -> int:
    """Record the command line and the whole configuration in the metadata, write the figures
    (unless --no-figures) and results.json, say where."""
    import time

    from .results import Results
    if not isinstance(results, Results):
        results = Results(results)
    meta = results.blocks.setdefault("meta", {})
    if "git_commit" not in meta:
        meta.update(metadata({}, args.seed, args.x64, 0.0))
    meta["wall_seconds"] = time.perf_counter() - start
    meta["command"] = " ".join(["python -m " + prog] + list(sys.argv[1:] if argv is None
                                                            else argv))
    meta["config"] = dict(meta.get("config") or {}) | {"cli": dict(vars(args))}
    draw = None
    if figures and not args.no_figures:
        from .figures import draw
    paths = results.save(args.out, draw)
    if not args.quiet:
        print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0


def main(prog: str, body, argv=None) -> int:
    """The skeleton of every command: ``body(argv)`` returns an exit status and raises
    :class:`CliError` on bad input, which becomes one line on stderr and exit status 2."""
    try:
        return body(argv)
    except CliError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2


def run_flags(args, make_problem, make_methods, lr=None, steps_per_epoch=None):
    """Build the problem and methods from the flags (``make_problem()``; ``make_methods(ctx)``
    -> methods), any AssumptionError becoming a one-line flag error, then run them on the
    flags' seeds; ``lr`` and ``steps_per_epoch`` default to the flags'.  Returns Results."""
    from . import experiment
    lr = args.lr if lr is None else lr
    K = args.steps_per_epoch if steps_per_epoch is None else steps_per_epoch
    try:
        problem = make_problem()
        lr = lr(problem) if callable(lr) else lr
        K = K(problem) if callable(K) else K
        methods = make_methods(experiment.run_context(problem, lr, args.epochs, K))
    except AssumptionError as exc:
        raise flag_error(exc) from None
    return experiment.run(problem, methods, lr=lr, epochs=args.epochs, steps_per_epoch=K,
                          seeds=args.seeds, seed=args.seed, x64=args.x64)


def add_quadratic_flags(p):
    """The instance flags of the quadratic commands (docs: the default problem)."""
    p.add_argument("--mu", type=positive_float, default=0.01, help="smallest eigenvalue")
    p.add_argument("--L", type=positive_float, default=1.0, help="largest eigenvalue")
    p.add_argument("--sigma-sq", type=nonneg_float, default=1.0,
                   help="total gradient-noise variance sigma^2 = tr C")
    return p


def entry_point(main) -> None:
    """``sys.exit(main())``, quietly when stdout is closed early (``... | head``)."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)


def progress(iterable, quiet: bool, desc: str):
    """A tqdm bar on stderr, silent with --quiet or when stderr is not a terminal."""
    from tqdm.auto import tqdm
    return tqdm(iterable, desc=desc, disable=quiet or not sys.stderr.isatty(), file=sys.stderr,
                leave=False)


def print_table(header: list, rows: list, file=None):
    cells = [[str(c) for c in row] for row in [header] + rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    print("\n".join(lines), file=file or sys.stdout)
