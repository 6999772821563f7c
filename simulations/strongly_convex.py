"""AutoDrop and its peers on L2-regularised logistic regression (a non-quadratic finite sum).

    python -m simulations.strongly_convex [--dataset synthetic|breast_cancer|digits|wine]
        [--batch-size B] [--l2 L2] [--sampling reshuffle|replacement] [--quick] [--seeds N]
        [--seed S] [--methods a,b,c|all] [--epochs E] [--steps-per-epoch K] [--lr LR]
        [--dim D (synthetic only)] [--out DIR] [--no-figures] [--x64] [--quiet]

The objective, data and constants are documented in :mod:`simulations.logistic`.  Defaults:
breast_cancer, B = 16, reshuffling, one pass per epoch (K = n_train // B), lr = 1/L, 100 epochs,
32 seeds, x_0 = 0.  Prints a table per method (final suboptimality with its 95% CI,
||x - x*||^2, test accuracy, drops, the fitted rate exponent of the suboptimality with its 95%
CI over the last half of the epochs) and writes results.json (SPEC.md) and the figures
``suboptimality`` (log-log, CI bands, the bounds of ``theory`` times L/2 overlaid where they are
not vacuous: f - f* <= (L/2) ||x - x*||^2), ``drop_times`` (every seed's drops),
``angle_vs_epoch`` and ``test_accuracy``.

Theory in results.json: ``finite_sum_bound``: the bound of SGD_ONE_STEP_FINITE_SUM iterated over
the steps at the constant rate (valid for sampling with replacement: every minibatch function is
mu-strongly convex and L_B-smooth, and the bound is increasing and concave in ||y||^2, so
Jensen's inequality lets it be iterated in expectation; with reshuffling it is a reference
only; null where it blows up, i.e. is vacuous at this rate); ``constant_step_bound``: THEORY.md
2a with a bounded-variance constant; ``cramer_rao``: the asymptotic local limit tr(H^{-1} C_B H^{-1}) / t (H the Hessian and
C_B the minibatch-gradient covariance at x*), the error of the best unbiased estimator to first
order, used as the yardstick of the CR ratio, and ``cramer_rao_suboptimality`` = tr(C_B H^{-1})
/ (2 t), its counterpart for f - f*.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from scipy import stats

from autodrop_theory.bounds import SGD_CONSTANT_STEP, SGD_ONE_STEP_FINITE_SUM
from autodrop_theory.errors import AssumptionError

from . import cli, controllers, engine, figures, logistic
from .results import cr_ranks, first_drop_text, method_results

PROG = "simulations.strongly_convex"
DEFAULTS = dict(seeds=32, epochs=100, methods="autodrop,autodrop_paper,autodrop_immediate,"
                "constant,step_decay", out="results/strongly_convex")
QUICK = dict(seeds=16, epochs=100)


def _parser():
    p = cli.make_parser(PROG, __doc__.splitlines()[0])
    p.add_argument("--dataset", choices=logistic.DATASETS, default="breast_cancer")
    p.add_argument("--batch-size", type=cli.positive_int, default=16, help="minibatch size B")
    p.add_argument("--l2", type=cli.positive_float, default=None,
                   help="L2 regularisation (default 1 / n_train)")
    p.add_argument("--sampling", choices=logistic.SAMPLINGS, default="reshuffle")
    return p


def _setup(argv):
    args = cli.parse(_parser(), argv, DEFAULTS, QUICK)
    names = cli.resolve_methods(args.methods, exact_model=False)
    if args.dim is not None and args.dataset != "synthetic":
        raise cli.CliError(f"--dim: the dimension of {args.dataset} is fixed by the dataset")
    try:
        data = logistic.load(args.dataset, args.seed, **(
            {"features": args.dim} if args.dim is not None else {}))
        model = logistic.fit(data, args.l2)
        n, B = model.n_train, args.batch_size
        if B > n:
            raise cli.CliError(f"--batch-size: need batch_size <= n_train = {n}, got {B}")
        if args.steps_per_epoch is None:
            args.steps_per_epoch = n // B
        elif args.sampling == "reshuffle" and args.steps_per_epoch * B > n:
            raise cli.CliError(f"--steps-per-epoch: reshuffling needs steps_per_epoch * "
                               f"batch_size <= n_train = {n}, got {args.steps_per_epoch} * {B}")
        if args.lr is None:
            args.lr = 1.0 / model.L
        if args.lr * model.L >= 2:
            raise cli.CliError(f"--lr: need lr * L < 2 (stability), got lr * L = "
                               f"{args.lr * model.L:g}")
        ctx = controllers.RunContext(lr=args.lr, epochs=args.epochs,
                                     steps_per_epoch=args.steps_per_epoch, mu=model.mu,
                                     L=model.L, dim=model.dim)
        ctrls = [controllers.make(nm, ctx) for nm in names]
    except AssumptionError as exc:
        raise cli.flag_error(exc) from None
    return args, model, ctrls


def theory(model, args) -> dict:
    """Upper bounds on E||x - x*||^2 and the asymptotic Cramer-Rao yardstick, per boundary.

    ``finite_sum_bound``: SGD_ONE_STEP_FINITE_SUM with (mu, L_B, minibatch sigma_*^2) iterated
    over the steps (null where it exceeds 1e12 times the start: vacuous at this rate);
    ``constant_step_bound``: SGD_CONSTANT_STEP with the bounded-variance constant
    sigma^2 = sum_i ||a_i||^2 / (n B) (each sample's loss gradient has norm <= ||a_i||), null
    unless lr <= 1/L.  Both hold for sampling with replacement; with reshuffling they are
    references (``bounds_valid``)."""
    B, K, E, lr = args.batch_size, args.steps_per_epoch, args.epochs, args.lr
    A, x = model.data.A_train, model.x_star
    s2 = model.minibatch_sigma_star_sq(B, args.sampling)
    r = r0 = float(x @ x)                                  # x_0 = 0
    constants = dict(mu=model.mu, L=model.L_batch, lr=lr, sigma_star_sq=s2)
    SGD_ONE_STEP_FINITE_SUM(r0_sq=r, **constants)          # checks the conditions once
    step = SGD_ONE_STEP_FINITE_SUM.numpy()
    order = [sym.name for sym in SGD_ONE_STEP_FINITE_SUM.symbols]
    fs = [r]
    for _ in range(E):
        for _ in range(K):
            r = float(step(*[r if n == "r0_sq" else constants[n] for n in order]))
            if not r < 1e12 * max(r0, 1.0):
                break
        fs.append(r)
        if not r < 1e12 * max(r0, 1.0):
            fs = None
            break
    sigma_bv = float((A * A).sum() / (model.n_train * B))
    t = np.arange(E + 1) * K
    try:
        cs = SGD_CONSTANT_STEP(mu=model.mu, L=model.L, sigma_sq=sigma_bv, lr=lr, r0_sq=r0, t=t)
    except AssumptionError:
        cs = None
    G = model.per_sample_grads()                          # grad f_i(x*), mean zero
    C = G.T @ G / model.n_train * model.minibatch_factor(B, args.sampling)
    Hinv = np.linalg.inv(model.hessian())
    cr_unit = float(np.trace(Hinv @ C @ Hinv))
    cr_f_unit = 0.5 * float(np.trace(C @ Hinv))          # the same for f - f* ~ y^T H y / 2
    return {"finite_sum_bound": fs, "constant_step_bound": cs,
            "cramer_rao_suboptimality": [None] + (cr_f_unit / t[1:]).tolist(),
            "bounded_variance_sigma_sq": sigma_bv,
            "bounds_valid": args.sampling == "replacement",
            "cramer_rao": [None] + (cr_unit / t[1:]).tolist(), "predicted_angle_deg": None}


def rate_exponent(iterations, values, last_fraction=0.5) -> dict:
    """Slope of log(values) on log(iterations) over the last part of the run, with its 95% CI."""
    it = np.asarray(iterations, dtype=float)
    y = np.asarray(values, dtype=float)
    keep = (it >= it[-1] * (1 - last_fraction)) & (it > 0) & (y > 0)
    if keep.sum() < 3:
        return {"slope": None, "ci": [None, None]}
    fit = stats.linregress(np.log(it[keep]), np.log(y[keep]))
    half = stats.t.ppf(0.975, keep.sum() - 2) * fit.stderr
    return {"slope": fit.slope, "ci": [fit.slope - half, fit.slope + half]}


def _fmt(x, spec=".3g"):
    return "n/a" if x is None or not np.isfinite(x) else format(x, spec)


def main(argv=None) -> int:
    start = time.perf_counter()
    try:
        args, model, ctrls = _setup(argv)
    except cli.CliError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    dtype = cli.simulation_dtype(args)
    problem = logistic.logistic_problem(model, args.batch_size, args.sampling, dtype)
    E, K = args.epochs, args.steps_per_epoch
    keys = engine.seed_keys(args.seed, args.seeds)
    th = theory(model, args)
    methods, trajs = {}, {}
    for c in cli.progress(ctrls, args.quiet, PROG):
        trajs[c.name] = engine.simulate(problem, c, epochs=E, steps_per_epoch=K, keys=keys)
        m = method_results(trajs[c.name], K, c.config, th["cramer_rao"][-1])
        m["rate_exponent"] = rate_exponent(m["iterations"], m["suboptimality"])
        methods[c.name] = m
    if not args.quiet:
        print(f"{args.dataset}: n_train={model.n_train} n_test={model.data.A_test.shape[0]} "
              f"d={model.dim} l2={model.l2:.3g} mu={model.mu:.3g} L={model.L:.3g} "
              f"f*={model.f_star:.10g} (|grad f(x*)| = {model.grad_norm:.1e}) B={args.batch_size} "
              f"{args.sampling} K={K} E={E} lr={args.lr:.3g} seeds={args.seeds}")
        rows = []
        ranks = cr_ranks(methods)
        for name, m in methods.items():
            f, ci, re = m["final"], m["suboptimality_ci"][-1], m["rate_exponent"]
            rows.append([name, _fmt(f["suboptimality"]), f"[{_fmt(ci[0])}, {_fmt(ci[1])}]",
                         _fmt(f["mean_sq_dist"]), _fmt(f["cramer_rao_ratio"]),
                         ranks.get(name, "-"), _fmt(m["test_accuracy"][-1], ".4f"),
                         _fmt(f["mean_drops"], ".2f"), first_drop_text(m),
                         f"{_fmt(re['slope'], '.2f')} [{_fmt(re['ci'][0], '.2f')}, "
                         f"{_fmt(re['ci'][1], '.2f')}]",
                         f"DIVERGED {m['diverged_seeds']}/{args.seeds}" if m["diverged_seeds"]
                         else "ok"])
        cli.print_table(["method", "f - f*", "95% CI", "||x-x*||^2", "CR ratio", "rank",
                         "test acc", "drops", "1st drop", "rate exponent [95% CI]", "status"],
                        rows)

    def draw(folder):
        tag = "" if th["bounds_valid"] else " (ref.)"
        overlay = [(label + tag, None if th[key] is None else np.asarray(th[key]) * model.L / 2,
                    style) for label, key, style in (
            ("finite-sum bound x L/2", "finite_sum_bound", "k--"),
            ("2a bound x L/2", "constant_step_bound", "k-."))] + [
            ("asymptotic Cramer-Rao", th["cramer_rao_suboptimality"], "k:")]
        panels = [{"name": n, "mean": methods[n]["angle_deg"], "ci": methods[n]["angle_deg_ci"],
                   "seed0": trajs[n].angle_deg[0], "drops0": trajs[n].drop_epochs()[0]}
                  for n in [n for n in methods if n.startswith("autodrop")][:3] or
                  list(methods)[:1]]
        return (figures.error_vs_iterations(folder, methods, th, "suboptimality",
                                            key="suboptimality",
                                            ylabel=r"$\mathbb{E}\,f(x_t) - f^*$",
                                            overlays=overlay, legend_below=True)
                + figures.angle_vs_epoch(folder, panels)
                + figures.curve_vs_epoch(folder, methods, "test_accuracy", "test accuracy",
                                         "test_accuracy")
                + figures.drop_times(folder, {n: t.drop_epochs() for n, t in trajs.items()}))

    results = {
        "problem": {"name": "logistic_regression", "dataset": args.dataset,
                    "n_train": model.n_train, "n_test": int(model.data.A_test.shape[0]),
                    "dim": model.dim, "batch_size": args.batch_size, "sampling": args.sampling,
                    "l2": model.l2, "f_star": model.f_star, "grad_norm_at_x_star":
                    model.grad_norm, "newton_iterations": model.newton_iterations,
                    "mu": model.mu, "L": model.L, "L_batch": model.L_batch,
                    "sigma_star_sq": model.sigma_star_sq,
                    "minibatch_sigma_star_sq": model.minibatch_sigma_star_sq(
                        args.batch_size, args.sampling),
                    "steps_per_epoch": K, "epochs": E, "seeds": args.seeds, "lr": args.lr},
        "methods": methods, "theory": th}
    return cli.finish(PROG, argv, args, start, results, draw)


if __name__ == "__main__":
    cli.entry_point(main)
