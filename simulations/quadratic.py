"""The main job: AutoDrop and its peers on a quadratic with Gaussian gradient noise.

    python -m simulations.quadratic [--quick] [--methods a,b,c|all] [--dim D] [--epochs E]
        [--steps-per-epoch K] [--lr LR] [--seeds N] [--seed S] [--mu MU] [--L L]
        [--sigma-sq S2] [--out DIR] [--no-figures] [--x64] [--quiet]

Problem: the model Q of THEORY.md section 1 with the documented default instance
(:func:`simulations.problems.default_quadratic_model`: d = 100, eigenvalues log-spaced in
[0.01, 1], isotropic noise of total variance 1, ||y0||^2 = d).  Every method runs on the same
seeds (common random numbers) and budget.  Prints a table, writes results.json (SPEC.md) and the
figures error_vs_iterations, angle_vs_epoch and lr_vs_iterations (PDF and PNG) to DIR.
Theory in results.json: the exact constant-rate E||x_n - x*||^2 (THEORY.md 2c), the bound of
THEORY.md 2a (null where its condition lr <= 1/L fails), the Cramer-Rao limit (3b) and the
predicted angle at the constant rate (section 4).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from autodrop_theory import angular
from autodrop_theory.bounds import CRAMER_RAO, SGD_CONSTANT_STEP
from autodrop_theory.errors import AssumptionError
from autodrop_theory.quadratic import check_stable_lr

from . import cli, controllers, engine, figures
from .problems import default_quadratic_model, quadratic_problem
from .results import cr_ranks, first_drop_text, method_results
from .stats import z_scores

PROG = "simulations.quadratic"
DEFAULTS = dict(seeds=100, dim=100, epochs=300, steps_per_epoch=10, lr=0.5,
                methods="autodrop,autodrop_paper,autodrop_immediate,constant,step_decay", out="results/quadratic")
QUICK = dict(seeds=32, epochs=150)


def make_parser(prog=PROG, doc=None):
    p = cli.make_parser(prog, (doc or __doc__).splitlines()[0])
    p.add_argument("--mu", type=cli.positive_float, default=0.01, help="smallest eigenvalue")
    p.add_argument("--L", type=cli.positive_float, default=1.0, help="largest eigenvalue")
    p.add_argument("--sigma-sq", type=cli.nonneg_float, default=1.0,
                   help="total gradient-noise variance sigma^2 = tr C")
    return p


def setup(argv, parser, defaults, quick, controller_factory=lambda args: controllers.make):
    """Parse and validate everything up front; raise CliError on any bad input.
    ``controller_factory(args)`` gives the ``make(name, ctx)`` to build the methods with."""
    args = cli.parse(parser, argv, defaults, quick)
    names = cli.resolve_methods(args.methods)
    make_controller = controller_factory(args)
    try:
        model = default_quadratic_model(args.dim, args.mu, args.L, args.sigma_sq, args.seed)
        check_stable_lr(model.hessian_eigs, args.lr)
        ctx = controllers.RunContext(lr=args.lr, epochs=args.epochs,
                                     steps_per_epoch=args.steps_per_epoch, mu=model.mu,
                                     L=model.L, dim=model.dim, model=model)
        ctrls = [make_controller(n, ctx) for n in names]
    except AssumptionError as exc:
        raise cli.flag_error(exc) from None
    return args, model, ctrls


def theory(model, lr, epochs, K) -> dict:
    """THEORY.md closed forms for this instance at the constant rate ``lr`` (float64)."""
    t = np.arange(epochs + 1) * K
    lrs = np.full(epochs, lr)
    try:
        cr = [None] + CRAMER_RAO(hessian_eigs=model.hessian_eigs, noise_var=model.noise_var,
                                 t=t[1:]).tolist()
    except AssumptionError:
        cr = None  # a flat direction (h_i = 0): the limit is not defined
    try:
        bound = SGD_CONSTANT_STEP(mu=model.mu, L=model.L, sigma_sq=model.sigma_sq, lr=lr,
                                  r0_sq=float(model.y0 @ model.y0), t=t)
    except AssumptionError:
        bound = None  # lr > 1/L: THEORY.md 2a does not apply
    return {
        "cramer_rao": cr,
        "constant_step_bound": bound,
        "predicted_angle_deg": [None, None] + angular.expected_angles(
            model.hessian_eigs, model.noise_var, model.y0, lrs, K).tolist(),
        "exact_sq_dist_constant": angular.expected_sq_dist(
            model.hessian_eigs, model.noise_var, model.y0, lrs, K),
        "stationary_angle_deg": angular.stationary_angle(model.hessian_eigs, model.noise_var,
                                                         lr, K),
    }


def _fmt(x, spec=".4g"):
    return "n/a" if x is None or not np.isfinite(x) else format(x, spec)


def run(args, model, ctrls, prog=PROG):
    """Simulate every controller on the same seeds; return (methods, trajectories, theory)."""
    dtype = cli.simulation_dtype(args)
    problem = quadratic_problem(model, dtype)
    E, K = args.epochs, args.steps_per_epoch
    keys = engine.seed_keys(args.seed, args.seeds)
    th = theory(model, args.lr, E, K)
    cr_final = th["cramer_rao"][-1] if th["cramer_rao"] else None
    methods, trajs = {}, {}
    for c in cli.progress(ctrls, args.quiet, prog):
        trajs[c.name] = engine.simulate(problem, c, epochs=E, steps_per_epoch=K, keys=keys)
        methods[c.name] = method_results(trajs[c.name], K, c.config, cr_final)
    if "constant" in trajs:  # the simulation against THEORY.md 2c, per boundary
        z = z_scores(trajs["constant"].sq_dist, th["exact_sq_dist_constant"],
                     rtol=1e-9 if args.x64 else 1e-5)
        lo, hi = np.asarray(methods["constant"]["mean_sq_dist_ci"], dtype=float).T
        exact = np.asarray(th["exact_sq_dist_constant"])
        th["constant_agreement"] = {
            "max_abs_z": float(np.max(np.abs(z))), "boundaries": int(z.size),
            "fraction_exact_in_ci": float(np.mean((lo <= exact) & (exact <= hi)))}
    return methods, trajs, th


def report(args, model, methods, th) -> None:
    """The printed table (nothing with --quiet)."""
    if args.quiet:
        return
    E, K = args.epochs, args.steps_per_epoch
    cr_final = th["cramer_rao"][-1] if th["cramer_rao"] else None
    ranks = cr_ranks(methods)
    rows = []
    for name, m in methods.items():
        f = m["final"]
        div = m["diverged_seeds"]
        rows.append([name, _fmt(f["mean_sq_dist"]), f"[{_fmt(f['ci'][0])}, {_fmt(f['ci'][1])}]",
                     _fmt(f["cramer_rao_ratio"], ".3g"), ranks.get(name, "-"),
                     _fmt(f["mean_drops"], ".2f"), first_drop_text(m),
                     _fmt(f["angle_deg"], ".1f"), f"DIVERGED {div}/{args.seeds}" if div else "ok"])
    print(f"quadratic d={model.dim} mu={model.mu:g} L={model.L:g} sigma^2={model.sigma_sq:g}"
          f" lr={args.lr:g} K={K} E={E} seeds={args.seeds}; Cramer-Rao limit at T={E * K}:"
          f" {_fmt(cr_final)}; predicted stationary angle {th['stationary_angle_deg']:.2f} deg")
    cli.print_table(["method", "E||x-x*||^2", "95% CI", "CR ratio", "rank", "drops",
                     "1st drop", "angle", "status"], rows)
    if "oracle" in methods:
        print(f"oracle drops at the end of epochs {methods['oracle']['config']['drop_epochs']}; "
              "'1st drop': mean epoch of the first drop over the seeds that drop (their share)")
    if "constant_agreement" in th:
        a = th["constant_agreement"]
        print(f"constant vs exact theory (THEORY.md 2c): max |z| = {a['max_abs_z']:.2f} over "
              f"{a['boundaries']} boundaries; the 95% CI covers the exact value at "
              f"{100 * a['fraction_exact_in_ci']:.0f}% of them")


def angle_panel(model, methods, trajs, name, K) -> dict:
    """One panel of figures.angle_vs_epoch: simulation of ``name`` and its theory curve."""
    t = trajs[name]
    return {"name": name, "mean": methods[name]["angle_deg"],
            "ci": methods[name]["angle_deg_ci"], "seed0": t.angle_deg[0],
            "drops0": t.drop_epochs()[0],
            "theory": [None, None] + angular.expected_angles(
                model.hessian_eigs, model.noise_var, model.y0, t.lr[0], K).tolist(),
            "levels": [angular.stationary_angle(model.hessian_eigs, model.noise_var, lr, K)
                       for lr in np.unique(t.lr[0])]}


def problem_record(args, model) -> dict:
    small = model.dim <= 2000
    return {"name": "quadratic", "dim": model.dim, "mu": model.mu, "L": model.L,
            "sigma_sq": model.sigma_sq, "steps_per_epoch": args.steps_per_epoch,
            "epochs": args.epochs, "seeds": args.seeds, "lr": args.lr,
            "hessian_eigs": model.hessian_eigs if small else None,
            "noise_var": model.noise_var if small else None,
            "y0": model.y0 if small else None}


def main(argv=None) -> int:
    start = time.perf_counter()
    try:
        args, model, ctrls = setup(argv, make_parser(), DEFAULTS, QUICK)
    except cli.CliError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    methods, trajs, th = run(args, model, ctrls)
    report(args, model, methods, th)
    K = args.steps_per_epoch
    angle_methods = [n for n in methods if n.startswith("autodrop")][:3] or list(methods)[:1]

    def draw(folder):
        return (figures.error_vs_iterations(folder, methods, th)
                + figures.angle_vs_epoch(folder, [angle_panel(model, methods, trajs, n, K)
                                                  for n in angle_methods])
                + figures.lr_vs_iterations(folder, {n: t.lr for n, t in trajs.items()}, K)
                + figures.drop_times(folder, {n: t.drop_epochs() for n, t in trajs.items()},
                                     methods["oracle"]["config"]["drop_epochs"]
                                     if "oracle" in methods else None))

    results = {"problem": problem_record(args, model), "methods": methods, "theory": th}
    return cli.finish(PROG, argv, args, start, results, draw)


if __name__ == "__main__":
    cli.entry_point(main)
