"""Theorem 5.1's corrected bound against simulation (:mod:`simulations.convex_bound`).

    python -m simulations.convex_study [--quick] [--seeds N] [--seed S] [--x64] [--quiet]
        [--out DIR] [--no-figures]

Writes DIR/results.json (the study's rows, tightest ratio and configuration) and the figure
``convex_bound`` (E[f(x_t)] - f* with CI bands and the corrected bound, per problem and s).
"""

from __future__ import annotations

import time

from autodrop_theory.errors import AssumptionError

from . import cli
from .convex_bound import DEFAULTS, QUICK, draw, run

__all__ = ["main"]

PROG = "simulations.convex_study"


# ---------------------------------------------------------------------------------- command line
def _body(argv) -> int:
    start = time.perf_counter()
    p = cli.make_parser(PROG, __doc__.splitlines()[0],
                        omit=("methods", "dim", "epochs", "steps_per_epoch", "lr"))
    args = cli.parse(p, argv, {"seeds": DEFAULTS["seeds"], "out": "results/convex_study"},
                     {"seeds": QUICK["seeds"]})
    try:
        results = run(quick=args.quick, seeds=args.seeds, seed=args.seed, x64=args.x64,
                      quiet=args.quiet)
    except AssumptionError as exc:
        raise cli.flag_error(exc) from None
    from .provenance import metadata
    from .results import write_outputs
    meta = metadata(results["config"], args.seed, args.x64, time.perf_counter() - start)
    meta["command"] = " ".join(["python -m " + PROG] + list(argv or []))
    out = dict(results) | {"meta": meta}
    figures = None if args.no_figures else (lambda folder: draw(out, folder))
    paths = write_outputs(args.out, out, figures)
    if not args.quiet:
        cli.print_table(["problem", "method", "s", "min E f - f*", "95% CI hi", "bound",
                         "ratio", "holds", "exponent"],
                        [[r["problem"], r["method"], r["um_s_name"],
                          _fmt(r["min_gap"]), _fmt(r["min_gap_ci"] and r["min_gap_ci"][1]),
                          _fmt(r["bound"]), _fmt(r["ratio"]), "yes" if r["holds"] else "NO",
                          _fmt(r["rate_exponent"])] for r in results["rows"]])
        print(f"tightest ratio (CI upper end / bound): {results['tightest_ratio']:.3g}; "
              f"{'every row holds' if results['all_hold'] else 'A ROW FAILS'}")
        print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.3g}"


def main(argv=None) -> int:
    return cli.main(PROG, _body, argv)


if __name__ == "__main__":
    cli.entry_point(main)
