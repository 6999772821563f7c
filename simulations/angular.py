"""The paper's phenomenon, predicted: angular velocity across drops, at saturation, and its noise.

    python -m simulations.angular [--quick] [--dim D] [--epochs E] [--steps-per-epoch K]
        [--lr LR] [--seeds N] [--seed S] [--methods a,b] [--out DIR] [--no-figures] [--x64]
        [--quiet] [--mu MU] [--L L] [--sigma-sq S2] [--drop-factor RHO]

Writes DIR/results.json (SPEC.md layout, plus ``stationary_vs_kappa``, ``fluctuations_vs_d`` and
``threshold``) and the figure ``angular`` (PDF, PNG) with three panels:
(a) the angle against epochs for a schedule with two drops (at 1/3 and 2/3 of the epochs, by
    --drop-factor), Monte Carlo mean with 95% band, the deterministic-equivalent theory, the
    90-degree line and the predicted stationary angle at each rate (THEORY.md 4a, 4d);
(b) the stationary angle against kappa = K lr h for isotropic spectra, theory for several K and
    Monte Carlo points (4a);
(c) the standard deviation of the angle change at stationarity against d, delta-method theory
    and Monte Carlo, with the published threshold 0.01 deg and the package's calibrated one (4e).
"""

from __future__ import annotations

import sys
import time

import jax.numpy as jnp
import numpy as np
from scipy import stats

from autodrop_theory import angular
from autodrop_theory.quadratic import QuadraticModel
from autodrop_theory.rule import AutoDropConfig, calibrated_threshold_deg

from . import cli, controllers, engine, figures, quadratic
from .problems import default_quadratic_model, quadratic_problem

PROG = "simulations.angular"
DEFAULTS = dict(seeds=200, dim=100, epochs=150, steps_per_epoch=10, lr=0.5,
                methods="step_decay", out="results/angular")
QUICK = dict(seeds=48, epochs=90)
KAPPAS = (0.1, 0.3, 1.0, 3.0, 10.0)
DIMS = (10, 30, 100, 300, 1000)


def _parser():
    p = quadratic.make_parser(PROG, __doc__)
    p.add_argument("--drop-factor", type=cli.typed(float, lambda v: 0 < v < 1,
                                                    "a number in (0, 1)"), default=0.2,
                   help="rate factor at each of the two drops of panel (a)")
    return p


def _two_drop_factory(drop_factor):
    def make(name, ctx):
        if name == "step_decay":   # two drops, at 1/3 and 2/3 of the epochs
            return controllers.step_decay(ctx, fractions=(1 / 3, 2 / 3), factor=drop_factor)
        return controllers.make(name, ctx)
    return make


def _stationary_mean_angle(model, lr, K, E, S, seed, dtype):
    """Mean (and its standard error) of the angle over the last half of E epochs, from y0."""
    ctx = controllers.RunContext(lr=lr, epochs=E, steps_per_epoch=K, mu=model.mu, L=model.L,
                                 dim=model.dim)
    t = engine.simulate(quadratic_problem(model, dtype), controllers.make("constant", ctx),
                        epochs=E, steps_per_epoch=K, keys=engine.seed_keys(seed, S))
    per_seed = t.angle_deg[:, E // 2:].mean(axis=1)
    return float(per_seed.mean()), float(per_seed.std(ddof=1) / np.sqrt(S)), t


def main(argv=None) -> int:
    start = time.perf_counter()
    try:
        args, model, ctrls = quadratic.setup(argv, _parser(), DEFAULTS, QUICK,
                                             lambda a: _two_drop_factory(a.drop_factor))
    except cli.CliError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    methods, trajs, th = quadratic.run(args, model, ctrls, PROG)
    quadratic.report(args, model, methods, th)
    dtype = jnp.float64 if args.x64 else jnp.float32
    K, S = args.steps_per_epoch, max(8, args.seeds // 4)

    # (b) stationary angle against kappa = K lr h (isotropic, h = 1, lr = kappa / K)
    d_iso = 100
    kappa_grid = np.geomspace(0.03, 30, 60)
    curves = {k: [angular.stationary_angle([1.0], [1.0], kap / k, k)
                  if kap / k < 2 else np.nan for kap in kappa_grid] for k in (1, 10, 100)}
    points = []
    for kap in KAPPAS:
        iso = QuadraticModel(np.ones(d_iso), np.full(d_iso, 1.0 / d_iso), np.zeros(d_iso))
        m, se, _ = _stationary_mean_angle(iso, kap / K, K, 40, S, args.seed, dtype)
        points.append({"kappa": kap, "mean": m, "se": se,
                       "theory": angular.stationary_angle(iso.hessian_eigs, iso.noise_var,
                                                          kap / K, K)})

    # (c) sd of the angle change at stationarity against d (default spectrum, y0 = 0)
    fluct = []
    for d in DIMS:
        md = default_quadratic_model(dim=d, mu=args.mu, L=args.L, sigma_sq=args.sigma_sq)
        md = QuadraticModel(md.hessian_eigs, md.noise_var, np.zeros(d))
        _, _, t = _stationary_mean_angle(md, args.lr, K, 40, 4 * S, args.seed, dtype)
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
    calibrated = calibrated_threshold_deg(model.dim, controllers.AUTODROP_DEFAULTS["threshold_z"])
    threshold = {"change_sd_deg": sd_here, "published_deg": published,
                 "published_fire_probability_per_epoch": fire(published),
                 "calibrated_deg": calibrated,
                 "calibrated_fire_probability_per_epoch": fire(calibrated),
                 "certificate": angular.certificate(model.hessian_eigs, model.noise_var,
                                                    args.lr, K)}
    th.update(stationary_vs_kappa={"K": K, "dim": d_iso, "points": points},
              fluctuations_vs_d=fluct, threshold=threshold)
    if not args.quiet:
        print(f"stationary angle {th['stationary_angle_deg']:.2f} deg; sd of the angle change "
              f"{sd_here:.2f} deg at d={model.dim}; P(|change| < theta) per epoch: published "
              f"{published} deg -> {threshold['published_fire_probability_per_epoch']:.2e}, "
              f"calibrated {calibrated:.3g} deg -> "
              f"{threshold['calibrated_fire_probability_per_epoch']:.3f}")
        cli.print_table(["d", "sd change (MC)", "sd change (4e)", "sd angle (MC)",
                         "sd angle (4e)"],
                        [[f["dim"], f"{f['change_sd_deg']:.3f}",
                          f"{f['theory_change_sd_deg']:.3f}", f"{f['angle_sd_deg']:.3f}",
                          f"{f['theory_angle_sd_deg']:.3f}"] for f in fluct])

    first = next(iter(methods))

    def draw(folder):
        return figures.angular_phenomenon(
            folder, quadratic.angle_panel(model, methods, trajs, first, K),
            kappa_grid, curves, points, fluct, published,
            controllers.AUTODROP_DEFAULTS["threshold_z"])

    results = {"problem": quadratic.problem_record(args, model), "methods": methods,
               "theory": th}
    return cli.finish(PROG, argv, args, start, results, draw)


if __name__ == "__main__":
    cli.entry_point(main)
