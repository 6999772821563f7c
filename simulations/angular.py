"""The paper's phenomenon, predicted: angular velocity across drops, at saturation, and its noise.

    python -m simulations.angular [--quick] [--dim D] [--epochs E] [--steps-per-epoch K]
        [--lr LR] [--seeds N] [--seed S] [--methods a,b] [--out DIR] [--no-figures] [--x64]
        [--quiet] [--mu MU] [--L L] [--sigma-sq S2] [--drop-factor RHO]

Writes DIR/results.json (docs/results.md layout, plus ``stationary_vs_kappa``,
``fluctuations_vs_d`` and ``threshold`` under ``theory``) and the figure ``angular`` (PDF, PNG)
with three panels:
(a) the angle against epochs for a schedule with two drops (``step_decay`` at 1/3 and 2/3 of the
    epochs, by --drop-factor), Monte Carlo mean with 95% band, the deterministic-equivalent
    theory, the 90-degree line and the predicted stationary angle at each rate (4a, 4d);
(b) the stationary angle against kappa = K lr h for isotropic spectra, theory for several K and
    Monte Carlo points (4a);
(c) the standard deviation of the angle change at stationarity against d, delta-method theory
    and Monte Carlo, with the published threshold 0.01 deg and the package's calibrated one (4e).
"""

from __future__ import annotations

import time

import numpy as np

from . import cli

PROG = "simulations.angular"
DEFAULTS = dict(seeds=200, dim=100, epochs=150, steps_per_epoch=10, lr=0.5,
                methods="step_decay", out="results/angular")
QUICK = dict(seeds=48, epochs=90)
KAPPAS = (0.1, 0.3, 1.0, 3.0, 10.0)
DIMS = (10, 30, 100, 300, 1000)
STATIONARY_EPOCHS = 40


def min_drop_factor(x64: bool) -> float:
    """The smallest --drop-factor rho: sqrt(eps) of the run's dtype (3.5e-4 in float32, 1.5e-8
    with --x64).  After the two drops a step is rho^2 lr g; below eps |x| it is lost in the
    rounding of the iterate (lr g is of the order of x where lr h ~ 1), so the simulated angle
    after the second drop would be rounding noise, not the phenomenon of panel (a)."""
    return float(np.sqrt(np.finfo(np.float64 if x64 else np.float32).eps))


def _parser():
    p = cli.add_momentum_flags(cli.add_quadratic_flags(cli.make_parser(
        PROG, __doc__.splitlines()[0])))
    p.add_argument("--drop-factor", type=cli.typed(float, lambda v: 0 < v < 1,
                                                    "a number in (0, 1)"), default=0.2,
                   help="rate factor at each of the two drops of panel (a); at least "
                   f"{min_drop_factor(False):.2g} ({min_drop_factor(True):.2g} with --x64), "
                   "see min_drop_factor")
    return p


def _constant_runs(model, lrs, K, S, seed, dtype, sampler):
    """Constant-rate runs at every rate in ``lrs`` from ``model.y0``, one compiled call."""
    from . import engine
    from .methods import schedules
    from .methods.base import RunContext
    from .problems import QuadraticProblem
    problem = QuadraticProblem(model)
    ctx = RunContext(lr=max(lrs), epochs=STATIONARY_EPOCHS, steps_per_epoch=K, mu=model.mu,
                     L=model.L, dim=model.dim)
    ms = [schedules.epoch_schedule(f"constant[{i}]", RunContext(
        lr=lr, epochs=ctx.epochs, steps_per_epoch=K, mu=model.mu, L=model.L, dim=model.dim),
        np.ones(ctx.epochs), {"lr": lr}) for i, lr in enumerate(lrs)]
    trajs = engine.simulate(problem, ms, epochs=ctx.epochs, steps_per_epoch=K,
                            keys=engine.seed_keys(seed, S), dtype=dtype, sampler=sampler)
    return [trajs[m.name] for m in ms]


def _body(argv) -> int:
    start = time.perf_counter()
    args = cli.parse(_parser(), argv, DEFAULTS, QUICK)
    if args.drop_factor < min_drop_factor(args.x64):
        raise cli.CliError(f"--drop-factor: need a number in [{min_drop_factor(args.x64):.2g}, "
                           f"1) (sqrt(eps) of the run's dtype: a smaller factor's steps are lost "
                           f"in rounding), got {args.drop_factor!r}")
    names = cli.resolve_methods(args.methods)
    # the largest of its runs: the fluctuation study at d = max(DIMS), 4 S seeds
    cli.check_sizes(max(args.dim, max(DIMS)), max(len(names), len(KAPPAS)),
                    max(args.epochs, STATIONARY_EPOCHS), args.steps_per_epoch,
                    4 * max(8, args.seeds // 4) + args.seeds, args.x64)
    from scipy import stats

    from autodrop_theory import angular
    from autodrop_theory.quadratic import QuadraticModel
    from autodrop_theory.rule import AutoDropConfig, calibrated_threshold_deg

    from . import experiment, tables
    from .methods import autodrop, schedules
    from .problems import default_model, default_problem
    results = cli.run_flags(
        args, lambda: default_problem(args.dim, args.mu, args.L, args.sigma_sq, args.seed),
        lambda ctx: [schedules.step_decay(ctx, fractions=(1 / 3, 2 / 3), factor=args.drop_factor)
                     if n == "step_decay" else experiment.build_methods(n, ctx)[0]
                     for n in names])
    model = default_model(args.dim, args.mu, args.L, args.sigma_sq, args.seed)  # validated
    if not args.quiet:
        tables.quadratic_table(results)
    dtype = experiment.dtype_for(args.x64)
    K, S = args.steps_per_epoch, max(8, args.seeds // 4)

    # (b) stationary angle against kappa = K lr h (isotropic, h = 1, lr = kappa / K)
    d_iso = 100
    kappa_grid = np.geomspace(0.03, 30, 60)
    curves = {k: [angular.stationary_angle([1.0], [1.0], kap / k, k)
                  if kap / k < 2 else np.nan for kap in kappa_grid] for k in (1, 10, 100)}
    iso = QuadraticModel(np.ones(d_iso), np.full(d_iso, 1.0 / d_iso), np.zeros(d_iso))
    points = []
    for kap, t in zip(KAPPAS, _constant_runs(iso, [kap / K for kap in KAPPAS], K, S, args.seed,
                                             dtype, args.sampler)):
        per_seed = t.angle_deg[:, STATIONARY_EPOCHS // 2:].mean(axis=1)
        points.append({"kappa": kap, "mean": float(per_seed.mean()),
                       "se": float(per_seed.std(ddof=1) / np.sqrt(S)),
                       "theory": angular.stationary_angle(iso.hessian_eigs, iso.noise_var,
                                                          kap / K, K)})

    # (c) sd of the angle change at stationarity against d (default spectrum, y0 = 0)
    fluct = []
    for d in DIMS:
        md = default_model(dim=d, mu=args.mu, L=args.L, sigma_sq=args.sigma_sq)
        md = QuadraticModel(md.hessian_eigs, md.noise_var, np.zeros(d))
        t, = _constant_runs(md, [args.lr], K, 4 * S, args.seed, dtype, args.sampler)
        change = np.diff(t.angle_deg[:, 20:], axis=1)
        pred = angular.stationary_fluctuations(md.hessian_eigs, md.noise_var, args.lr, K)
        fluct.append({"dim": d, "change_sd_deg": float(change.std(ddof=1)),
                      "angle_sd_deg": float(t.angle_deg[:, 21:].std(ddof=1)),
                      "theory_change_sd_deg": pred["change_sd_deg"],
                      "theory_angle_sd_deg": pred["angle_sd_deg"]})

    # the threshold: probability that a saturated angle fires the trigger in one epoch
    sd_here = angular.stationary_fluctuations(model.hessian_eigs, model.noise_var, args.lr,
                                              K)["change_sd_deg"]
    fire = lambda theta: float(2 * stats.norm.cdf(theta / sd_here) - 1)  # noqa: E731
    published = AutoDropConfig.published().threshold_deg
    z = autodrop.DEFAULTS["threshold_z"]
    calibrated = calibrated_threshold_deg(model.dim, z)
    th = results.theory
    th.update(stationary_vs_kappa={"K": K, "dim": d_iso, "points": points,
                                   "kappa_grid": kappa_grid, "curves": curves},
              fluctuations_vs_d=fluct,
              threshold={"change_sd_deg": sd_here, "published_deg": published,
                         "published_fire_probability_per_epoch": fire(published),
                         "calibrated_z": z, "calibrated_deg": calibrated,
                         "calibrated_fire_probability_per_epoch": fire(calibrated),
                         "certificate": angular.certificate(model.hessian_eigs,
                                                            model.noise_var, args.lr, K)})
    if not args.quiet:
        thr = th["threshold"]
        print(f"stationary angle {th['stationary_angle_deg']:.2f} deg; sd of the angle change "
              f"{sd_here:.2f} deg at d={model.dim}; P(|change| < theta) per epoch: published "
              f"{published} deg -> {thr['published_fire_probability_per_epoch']:.2e}, "
              f"calibrated {calibrated:.3g} deg -> "
              f"{thr['calibrated_fire_probability_per_epoch']:.3f}")
        cert = thr["certificate"]
        print(f"90-degree certificate (4c): once the angle crosses 90 deg the weighted error is "
              f"within F_w = {cert['weighted']:.3g} of its floor, the plain error within "
              f"{cert['plain']:.3g} (alpha_i in [{cert['alpha_min']:.3g}, "
              f"{cert['alpha_max']:.3g}])")
        cli.print_table(["d", "sd change (MC)", "sd change (4e)", "sd angle (MC)",
                         "sd angle (4e)"],
                        [[f["dim"], f"{f['change_sd_deg']:.3f}",
                          f"{f['theory_change_sd_deg']:.3f}", f"{f['angle_sd_deg']:.3f}",
                          f"{f['theory_angle_sd_deg']:.3f}"] for f in fluct])
    return cli.finish(PROG, argv, args, start, results)


def angular_phenomenon(folder, panel, kappa_grid, curves, points, fluct, published_deg, z,
                       stem="angular") -> list:
    """Three stacked panels (one column): (a) the angle across two drops, simulation with its
    95% band and theory; (b) the stationary angle against K lr h, theory curves per K and Monte
    Carlo points (+-2 SE); (c) the sd of the angle change against d, theory and Monte Carlo,
    with the published threshold and the calibrated one."""
    # plotting is imported only when drawing (--help imports no plotting library)
    from .figures import STYLE, plt, OKABE_ITO, DASHES, MIN_FONT_PT, save_figure, color
    from autodrop_theory.rule import calibrated_threshold_deg
    with plt.rc_context(STYLE):
        fig, (ax, bx, cx) = plt.subplots(3, 1, figsize=(3.4, 8.0))
        n = np.arange(len(panel["seed0"]))
        lo, hi = np.asarray(panel["ci"], dtype=float).T
        ax.fill_between(n, lo, hi, color=OKABE_ITO[0], alpha=0.3, lw=0, label="Monte Carlo, 95% CI")
        ax.plot(n, np.asarray(panel["mean"], dtype=float), color=OKABE_ITO[0], lw=0.9)
        ax.plot(n, np.asarray(panel["theory"], dtype=float), "k--", lw=0.8, label="theory")
        for i, e in enumerate(panel["drops0"]):
            ax.axvline(e + 1, color="0.3", lw=0.6, ls="-.", label="drop" if i == 0 else None)
        for i, level in enumerate(panel["levels"]):
            ax.axhline(level, color="0.5", lw=0.6, ls=":",
                       label="stationary (4a)" if i == 0 else None)
        ax.axhline(90, color="k", lw=0.5)
        ax.set_xlabel("epoch boundary $n$")
        ax.set_ylabel("angle (deg)")
        ax.set_title("(a) rise, saturation, reset after each drop", fontsize=7, pad=2)

        for i, (k, curve) in enumerate(curves.items()):
            bx.plot(kappa_grid, curve, color=OKABE_ITO[i + 1], ls=DASHES[i], label=f"theory, K={k}")
        kap = [p["kappa"] for p in points]
        bx.errorbar(kap, [p["mean"] for p in points], yerr=[2 * p["se"] for p in points],
                    fmt="o", ms=2.5, color="k", lw=0.8, label="Monte Carlo, K=10")
        bx.axhline(120, color="0.5", lw=0.6, ls=":")
        bx.axhline(90, color="k", lw=0.5)
        bx.set_xscale("log")
        bx.set_xlabel(r"$\kappa = K \eta h$")
        bx.set_ylabel("stationary angle (deg)")
        bx.set_title("(b) saturation level (isotropic)", fontsize=7, pad=2)

        dims = np.array([f["dim"] for f in fluct])
        dd = np.geomspace(dims.min(), dims.max() * 1e4, 50)
        cx.plot(dims, [f["theory_change_sd_deg"] for f in fluct], "k--", lw=0.8,
                label=r"sd of $\Delta\omega$, theory (4e)")
        cx.plot(dims, [f["change_sd_deg"] for f in fluct], "o", ms=2.5, color=OKABE_ITO[1],
                label="Monte Carlo")
        cx.plot(dd, [calibrated_threshold_deg(int(x), z) for x in dd], color=OKABE_ITO[2],
                label=f"calibrated threshold (z={z:g})")
        cx.axhline(published_deg, color=OKABE_ITO[3], ls=":", label="published threshold")
        cx.set_xscale("log")
        cx.set_yscale("log")
        cx.set_xlabel("dimension $d$")
        cx.set_ylabel("degrees")
        cx.set_title("(c) noise of the angle change vs. the threshold", fontsize=7, pad=2)
        for panel in (ax, bx, cx):          # each panel's legend under it, off its data
            panel.legend(frameon=False, fontsize=MIN_FONT_PT, ncol=2, loc="upper center",
                         bbox_to_anchor=(0.5, -0.3))
        return save_figure(fig, folder, stem)


def draw_figures(results, folder) -> list:
    """This study's figure from a saved run (:func:`simulations.figures.draw` calls it)."""
    from .figures import angle_panel
    th = results.theory
    panel = angle_panel(*next(iter(results.methods.items())))
    sk = th["stationary_vs_kappa"]
    return angular_phenomenon(folder, panel, sk["kappa_grid"],
                              {int(k): c for k, c in sk["curves"].items()}, sk["points"],
                              th["fluctuations_vs_d"], th["threshold"]["published_deg"],
                              th["threshold"]["calibrated_z"])


def main(argv=None) -> int:
    return cli.main(PROG, _body, argv)


if __name__ == "__main__":
    cli.entry_point(main)
