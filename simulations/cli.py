"""What every simulation command shares: flags, one-line errors (exit 2), outputs and metadata.

Conventions (docs/cli.md, docs/results.md): invalid input exits with status 2 and prints one line
naming the flag and the violated condition, before anything is written; ``results.json`` is written atomically, after
the figures, and nothing half-written is left in the output folder.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from autodrop_theory.commandline import CliError, OneLineParser, check_out
from autodrop_theory.errors import AssumptionError

from . import choices
from . import methods as registry    # (names only: the registry imports a method on first use)
from .executor import UnitError, progress   # (no Dask import: the bar and the unit error)

__all__ = ["CliError", "make_parser", "parse", "show_defaults", "check_out", "resolve_methods",
           "check_sizes", "flag_error", "finish", "entry_point", "progress", "print_table",
           "add_quadratic_flags", "add_momentum_flags", "momentum_choice", "main",
           "use_compile_cache", "add_study_flags", "study_client",
           "typed", "run_flags"]


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
MAX_INSTANCES = 5000       # the random-instance studies (each instance runs every method)
instance_count = typed(int, lambda v: 1 <= v <= MAX_INSTANCES,
                       f"an integer in [1, {MAX_INSTANCES}] (each instance is a run of every "
                       "method)")
MAX_INSTANCE_START = 10 ** 6
instance_start = typed(int, lambda v: 0 <= v <= MAX_INSTANCE_START,
                       f"an integer in [0, {MAX_INSTANCE_START}]")
# a float flag feeds a float32 simulation: it must be a normal float32 number
F32_MIN, F32_MAX = 1.1754943508222875e-38, 3.4028234663852886e38
positive_float = typed(float, lambda v: F32_MIN <= v <= F32_MAX,
                       "a number in [1.2e-38, 3.4e38] (float32's normal range)")
nonneg_float = typed(float, lambda v: v == 0 or F32_MIN <= v <= F32_MAX,
                     "0 or a number in [1.2e-38, 3.4e38] (float32's normal range)")


def make_parser(prog: str, description: str, omit=()) -> argparse.ArgumentParser:
    """The flags shared by the simulation commands (docs/cli.md), less those in ``omit`` (names
    without dashes, e.g. ``("dim", "lr")`` for a study that sets them itself: a command takes no
    flag it would ignore); defaults of None are filled by :func:`parse` from the command's
    normal or ``--quick`` defaults, and an omitted flag reads as None (False for switches)."""
    p = OneLineParser(prog=prog, description=description)
    shared = [
        ("--quick", dict(action="store_true", help="a small run (under 30 s on 2 cores)")),
        ("--out", dict(type=str, default=None, help="output folder")),
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
        ("--compile-cache", dict(type=str, default="default", metavar="DIR",
                                 help="JAX's persistent compilation cache: a folder, or 'none' "
                                 "(default: $JAX_COMPILATION_CACHE_DIR, else "
                                 "~/.cache/autodrop-theory/jax; docs/performance.md)")),
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
    show_defaults(parser, defaults, quick)
    args = parser.parse_args(argv)
    for key, value in {**defaults, **(quick if args.quick else {})}.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    if getattr(args, "out", None) is not None:
        check_out(args.out)
    use_compile_cache(getattr(args, "compile_cache", "default"))
    return args


def use_compile_cache(where) -> None:
    """``--compile-cache``: set up the persistent compilation cache (:mod:`.compile_cache`) for
    this command and the workers it starts; a folder that cannot be created is a flag error."""
    from . import compile_cache
    if where not in ("default", "none", None):
        try:
            os.makedirs(os.path.expanduser(where), exist_ok=True)
        except OSError as exc:
            raise CliError(f"--compile-cache: need a folder that can be created, got {where!r} "
                           f"({exc.strerror or type(exc).__name__})") from None
    compile_cache.configure(where)


def show_defaults(parser, defaults: dict, quick: dict = None) -> None:
    """Append each flag's default (the command's, else argparse's) and its ``--quick`` value to
    its ``--help`` line; flags without a default (None) or switches say nothing."""
    quick = quick or {}
    for action in parser._actions:      # argparse keeps its flags here (documented in its source)
        if not action.option_strings or action.nargs == 0 or action.help == argparse.SUPPRESS:
            continue
        value = defaults.get(action.dest, action.default)
        if value is None or "(default" in (action.help or ""):
            continue
        text = f"default: {str(value).replace(',', ', ')}"
        if action.dest in quick:
            text += f"; --quick: {quick[action.dest]}"
        action.help = f"{action.help or ''} ({text.replace('%', '%%')})".strip()


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


def check_sizes(dim: int, methods: int, epochs: int, steps_per_epoch: int, seeds: int,
                x64: bool = False, extra: int = 0, step_noise: bool = True) -> None:
    """Refuse, as a one-line flag error, sizes whose arrays cannot fit in memory
    (:func:`simulations.memory.check`), before anything is allocated."""
    from . import memory
    try:
        memory.check(dim, methods, epochs, steps_per_epoch, seeds, 8 if x64 else 4, extra,
                     step_noise)
    except AssumptionError as exc:
        raise flag_error(exc) from None


def flag_error(exc: AssumptionError) -> CliError:
    """Turn an AssumptionError ``name: condition`` (or ``a, b: condition``) into ``--name:
    condition`` (``--a, --b: condition``)."""
    name, _, rest = str(exc).partition(": ")
    names = name.split(", ")
    flag = (", ".join("--" + n.replace("_", "-") for n in names)
            if all(n.isidentifier() for n in names) else name)
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
        from .provenance import metadata
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
    :class:`CliError` on bad input, which becomes one line on stderr and exit status 2; a
    study unit that raised (:class:`.executor.UnitError`) is one line naming it, status 1."""
    try:
        return body(argv)
    except CliError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except UnitError as exc:          # a study's unit raised: which one and why, exit status 1
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1


def run_flags(args, make_problem, make_methods, lr=None, steps_per_epoch=None):
    """Build the problem and methods from the flags (``make_problem()``; ``make_methods(ctx)``
    -> methods) and prepare the run on the flags' seeds (:func:`.experiment.prepare`: the
    samplers and the memory check, decided once), any AssumptionError becoming a one-line flag
    error before anything is compiled; then run it.  ``lr`` and ``steps_per_epoch`` default to
    the flags'.  Returns Results."""
    import time

    from . import experiment
    start = time.perf_counter()
    beta, s = momentum_choice(args) if hasattr(args, "momentum") else (0.0, 0.0)
    lr = args.lr if lr is None else lr
    K = args.steps_per_epoch if steps_per_epoch is None else steps_per_epoch
    names = args.methods.split(",") if args.methods != "all" else list(registry.REGISTRY)
    sampler = getattr(args, "sampler", None)      # only the quadratic commands have the flag;
    step_noise = (sampler in (None, "steps")     # the others' problems run step by step
                  or any(registry.REGISTRY[n].needs_steps for n in names))
    # the sizes before the problem is built (it allocates d); the run's own check, with the
    # samplers chosen, is experiment.prepare's
    check_sizes(getattr(args, "dim", None) or 1, len(names), args.epochs,
                K if isinstance(K, int) else 1, args.seeds, args.x64, step_noise=step_noise)
    try:
        problem = make_problem()
        lr = lr(problem) if callable(lr) else lr
        K = K(problem) if callable(K) else K
        methods = make_methods(experiment.run_context(problem, lr, args.epochs, K))
        prep = experiment.prepare(problem, methods, lr=lr, epochs=args.epochs,
                                  steps_per_epoch=K, seeds=args.seeds, seed=args.seed,
                                  x64=args.x64, sampler=sampler or "auto", momentum=beta,
                                  um_s=s)
    except AssumptionError as exc:
        raise flag_error(exc) from None
    return experiment.run_prepared(prep, start)


def add_quadratic_flags(p):
    """The instance flags of the quadratic commands (docs: the default problem)."""
    p.add_argument("--mu", type=positive_float, default=0.01, help="smallest eigenvalue")
    p.add_argument("--L", type=positive_float, default=1.0, help="largest eigenvalue")
    p.add_argument("--sigma-sq", type=positive_float, default=1.0,
                   help="total gradient-noise variance sigma^2 = tr C (> 0: without noise the "
                   "stationary angle and the Cramer-Rao limit are undefined)")
    p.add_argument("--sampler", choices=choices.SAMPLERS, default="auto",
                   help="how an epoch is simulated: step by step, or in one exact Gaussian draw "
                   "per coordinate (docs/theory.md §9; methods that read every step or the "
                   "loss run step by step); auto: exact wherever it applies")
    return p


momentum_flag = typed(float, lambda v: 0 <= v < 1, "a number in [0, 1)")
um_s_flag = typed(float, lambda v: 0 <= v <= F32_MAX, "a number >= 0 (UM's s; 0 heavy ball, 1 "
                  "Nesterov, 1/(1 - momentum) plain SGD)")


def add_momentum_flags(p, default: float = 0.0, general_s: bool = True):
    """--momentum BETA and UM's choice of s (docs/theory.md §6b): --nesterov (s = 1) or
    --um-s S (``general_s``), mutually exclusive, both needing --momentum > 0 (checked by
    :func:`momentum_choice`)."""
    p.add_argument("--momentum", type=momentum_flag, default=default,
                   help="momentum beta in [0, 1) (unified momentum UM, docs/theory.md §6b; "
                   "heavy ball unless --nesterov or --um-s)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--nesterov", action="store_true",
                       help="Nesterov momentum (UM with s = 1; needs --momentum > 0)")
    if general_s:
        group.add_argument("--um-s", type=um_s_flag, default=None,
                           help="UM's s >= 0 (0 heavy ball, 1 Nesterov, 1/(1 - momentum) plain "
                           "SGD; needs --momentum > 0)")
    return p


def momentum_choice(args) -> tuple:
    """(beta, s) from the momentum flags, s a number or "nesterov"; a one-line CliError where
    --nesterov or a nonzero --um-s comes without --momentum > 0."""
    s = getattr(args, "um_s", None)
    beta = args.momentum
    if args.nesterov:
        s = "nesterov"
    if beta == 0 and (args.nesterov or (s or 0.0) != 0.0):
        flag = "--nesterov" if args.nesterov else "--um-s"
        raise CliError(f"{flag}: needs --momentum > 0 (without momentum every s is plain SGD)")
    return beta, (0.0 if s is None else s)


def entry_point(main) -> None:
    """``sys.exit(main())``, quietly when stdout is closed early (``... | head``)."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)


def add_study_flags(parser):
    """``--workers N`` or ``--scheduler ADDRESS``: where a study's units run
    (:mod:`.executor`; docs/performance.md, "Bigger studies")."""
    from .executor import MAX_WORKERS
    g = parser.add_mutually_exclusive_group()
    g.add_argument("--workers", type=typed(int, lambda v: 1 <= v <= MAX_WORKERS,
                                           f"an integer in [1, {MAX_WORKERS}]"), default=None,
                   help="run the study's units on a local Dask cluster of N worker processes "
                   "(one thread each; needs the dask extra)")
    g.add_argument("--scheduler", type=typed(str, lambda v: bool(v.strip()),
                                             "a scheduler address such as tcp://host:8786"),
                   default=None, metavar="ADDRESS",
                   help="run the study's units on the Dask cluster whose scheduler is at "
                   "ADDRESS (e.g. tcp://host:8786)")
    return parser


@contextlib.contextmanager
def study_client(args):
    """:func:`.executor.cluster` from ``--workers`` / ``--scheduler`` (a Dask client, or None:
    in-process); a refusal (Dask missing, the scheduler unreachable) is a one-line flag
    error."""
    from .executor import cluster
    with contextlib.ExitStack() as stack:
        try:
            client = stack.enter_context(cluster(getattr(args, "workers", None),
                                                 getattr(args, "scheduler", None)))
        except AssumptionError as exc:
            raise flag_error(exc) from None
        yield client


def print_table(header: list, rows: list, file=None):
    cells = [[str(c) for c in row] for row in [header] + rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    print("\n".join(lines), file=file or sys.stdout)
