"""The measurement behind the network preset ``AutoDropConfig.network`` (docs/studies/network.md,
"Tuning").

    python -m simulations.tune_network [--quick] [--networks D/M,D/M] [--seeds N] [--seed S]
        [--out DIR] [--x64] [--quiet] [--workers N | --scheduler ADDRESS]
        [--compile-cache DIR|none]

On the TUNE networks only (:data:`TUNE_NETWORKS`: MNIST-1D's MLP and digits' MLP; the TEST
networks, MNIST-1D's CNN and the ``mnist1d_b`` draw, are never looked at here), each in its
dataset's default setting of ``python -m simulations.network`` (:data:`simulations.nets.training.
DATASET_DEFAULTS`: epochs, rate, batch, weight decay; UM momentum 0.9), runs ``autodrop_net``
(the package's rule with the trend test) at every point of :data:`GRID` on the same seeds,
initialisations and minibatches: the grid's numbers are arrays of the rule's state
(:func:`simulations.nets.optimizers.with_rule_hyper`), so each network is one compiled program
for every point and seed (one unit per network through :mod:`simulations.executor`).  Recorded
per point and network: the seeds with at least one drop, and the final test accuracy at the
rule's estimate (the point the method documents as its output), mean and standard error over
seeds.

Selection criterion (:func:`select`; fixed before this command's first run and applied
mechanically, but written after an earlier script had run the same grid and picked the first
preset, so it was written knowing that grid's outcome: docs/studies/network.md):
among the points that drop on at least 90% of the seeds on every TUNE network, the one with
the highest mean over the TUNE networks of the mean final test accuracy at the estimate; an
exact tie goes to the earlier point of :data:`GRID` (its order puts the package's values, rho
= 0.7 and a wait of the stage's length, first).  The command prints the grid, the choice, and
whether the preset :meth:`autodrop_theory.rule.AutoDropConfig.network` is that choice; it
never changes the preset.  Writes DIR/results.json.
"""

from __future__ import annotations

import functools
import itertools
import time

import numpy as np

from autodrop_theory.errors import AssumptionError

from . import cli, executor
from .nets.splits import TUNE_NETWORKS

PROG = "simulations.tune_network"
# the rule's numbers searched (AutoDropHyper fields); drop_factor and delay_fraction list the
# package's values first (the package has no trend test, so trend_z has no package value)
GRID = dict(trend_z=(2.0, 1.0, 0.5), drop_factor=(0.7, 0.2), delay_fraction=(1.0, 0.25))
QUICK_GRID = dict(trend_z=(2.0, 0.5), drop_factor=(0.7,), delay_fraction=(1.0,))
MIN_DROPPING = 0.9               # the share of seeds that must drop on every TUNE network
METHOD = "autodrop_net"


def points(grid: dict) -> list:
    """The grid's points in order (the last knob varying fastest)."""
    return [dict(zip(grid, values)) for values in itertools.product(*grid.values())]


def preset_point(grid: dict) -> dict:
    """The values of :meth:`autodrop_theory.rule.AutoDropConfig.network` for the grid's knobs."""
    from autodrop_theory.rule import AutoDropConfig
    cfg = AutoDropConfig.network()
    return {k: float(getattr(cfg, k)) for k in grid}


def select(rows: list, networks: list) -> dict:
    """The choice of the criterion (module docstring) among ``rows`` (one per point, in grid
    order: {"point": {...}, "networks": {"D/M": {"seeds", "seeds_dropping",
    "accuracy_mean", "accuracy_se"}}}), every row with every network of ``networks``.
    Returns {"index", "point", "score"}; refuses (AssumptionError) a row with a missing
    network, a non-finite or out-of-range accuracy, dropping seeds outside [0, seeds], or a
    grid in which no point qualifies."""
    if not rows:
        raise AssumptionError("rows: need at least one grid point")
    best, best_score = None, -np.inf
    for i, row in enumerate(rows):
        nets = row.get("networks", {})
        for net in networks:
            r = nets.get(net)
            if r is None:
                raise AssumptionError(f"rows[{i}].networks.{net}: missing")
            acc, n, k = r.get("accuracy_mean"), r.get("seeds"), r.get("seeds_dropping")
            if not (isinstance(acc, (int, float)) and np.isfinite(acc) and 0 <= acc <= 1):
                raise AssumptionError(f"rows[{i}].networks.{net}.accuracy_mean: need a "
                                      f"finite number in [0, 1], got {acc!r}")
            if not (isinstance(n, int) and n >= 1 and isinstance(k, int) and 0 <= k <= n):
                raise AssumptionError(f"rows[{i}].networks.{net}: need 0 <= seeds_dropping "
                                      f"<= seeds, seeds >= 1, got {k!r} of {n!r}")
        if not _eligible(nets, networks):
            continue
        score = _score(nets, networks)
        if score > best_score:             # strict: an exact tie keeps the earlier point
            best, best_score = i, score
    if best is None:
        raise AssumptionError(f"rows: no grid point drops on at least {MIN_DROPPING:.0%} of "
                              "the seeds on every TUNE network")
    return {"index": best, "point": dict(rows[best]["point"]), "score": best_score}


def _epochs(dataset: str, quick: bool) -> int:
    """The TUNE network's budget: its dataset's default setting (or ``--quick``'s)."""
    from .nets.training import DATASET_DEFAULTS
    setting = DATASET_DEFAULTS[dataset]
    return setting["quick"]["epochs"] if quick else setting["epochs"]


def _eligible(nets: dict, networks) -> bool:
    """The criterion's first part: the point drops on >= MIN_DROPPING of every network's seeds."""
    return all(nets[n]["seeds_dropping"] >= MIN_DROPPING * nets[n]["seeds"] for n in networks)


def _score(nets: dict, networks) -> float:
    """The criterion's score: the mean over the networks of the mean final test accuracy."""
    return float(np.mean([nets[n]["accuracy_mean"] for n in networks]))


def _unit(network, *, grid_points, seeds, seed, x64, quick):
    """One TUNE network: every grid point on every seed, one compiled program."""
    from .nets import training as study
    from .engine import seed_keys
    from .experiment import dtype_for
    dataset, model = network
    setting = study.DATASET_DEFAULTS[dataset]
    epochs = _epochs(dataset, quick)
    data = study.load(dataset, seed)
    keys = seed_keys(seed, seeds)
    batches = study.minibatches(keys, epochs, data[0].shape[0], setting["batch_size"])
    hyper = {k: np.array([p[k] for p in grid_points]) for k in grid_points[0]}
    traj, _, dim = study.train(model, METHOD, data, epochs=epochs,
                               batch_size=setting["batch_size"], lr=setting["lr"],
                               momentum=0.9, weight_decay=setting["weight_decay"], keys=keys,
                               dtype=dtype_for(x64), batches=batches, dataset=dataset,
                               hyper=hyper)
    acc = traj["test_accuracy"][:, :, -1]                     # (points, seeds)
    lr = traj["lr"]
    dropping = study.rate_dropped(lr).any(axis=2).sum(axis=1)
    return {"epochs": epochs, "dim": dim, "per_point": [
        {"seeds": int(seeds), "seeds_dropping": int(dropping[i]),
         "accuracy_mean": float(acc[i].mean()),
         "accuracy_se": float(acc[i].std(ddof=1) / np.sqrt(seeds)),
         "accuracy_per_seed": acc[i].tolist()} for i in range(len(grid_points))]}


def _parser():
    p = cli.make_parser(PROG, __doc__.splitlines()[0], omit=(
        "methods", "dim", "epochs", "steps_per_epoch", "lr", "no_figures"))
    p.add_argument("--networks", default=None,
                   help="comma-separated dataset/model of the TUNE set (default all: "
                        + ", ".join(f"{d}/{m}" for d, m in TUNE_NETWORKS) + ")")
    return cli.add_study_flags(p)


def _networks(text):
    known = [f"{d}/{m}" for d, m in TUNE_NETWORKS]
    if text is None:
        return list(TUNE_NETWORKS)
    names = [n for n in text.split(",") if n]
    if not names or len(set(names)) != len(names) or any(n not in known for n in names):
        raise cli.CliError(f"--networks: need distinct TUNE networks from {', '.join(known)}, "
                           f"got {text!r}")
    return [tuple(n.split("/")) for n in names]


def _body(argv) -> int:
    start = time.perf_counter()
    args = cli.parse(_parser(), argv, dict(seeds=8, out="results/tune_network"), dict(seeds=4))
    cli.check_out(args.out)
    networks = _networks(args.networks)
    grid = QUICK_GRID if args.quick else GRID
    pts = points(grid)
    from .nets import training as study
    from .nets import models as nets
    for dataset, model in networks:
        epochs = _epochs(dataset, args.quick)
        cli.check_sizes(nets.num_params(model, dataset), len(pts), epochs, 1, args.seeds,
                        args.x64, extra=4 * epochs * study.train_size(dataset))
    labels = [f"{d}/{m}" for d, m in networks]
    with cli.study_client(args) as client:     # one unit per TUNE network
        units = executor.map_units(
            functools.partial(_unit, grid_points=pts, seeds=args.seeds, seed=args.seed,
                              x64=args.x64, quick=args.quick),
            networks, client=client, labels=labels, desc=PROG, quiet=args.quiet)
    rows = [{"point": p, "networks": {lab: u["per_point"][i] for lab, u in zip(labels, units)}}
            for i, p in enumerate(pts)]
    choice = select(rows, labels)
    preset = preset_point(grid)
    matches = choice["point"] == preset
    if not args.quiet:
        _print(rows, labels, choice, preset, matches)
    from .results import Results
    results = Results({
        "problem": {"name": "tune_network", "networks": labels, "seeds": args.seeds,
                    "method": METHOD,
                    "settings": {lab: {"epochs": u["epochs"], "dim": u["dim"]}
                                 for lab, u in zip(labels, units)}},
        "grid": {k: list(v) for k, v in grid.items()},
        "criterion": {"min_dropping": MIN_DROPPING,
                      "score": "mean over the TUNE networks of the mean final test accuracy "
                               "at the rule's estimate; exact ties to the earlier grid point"},
        "rows": rows, "choice": choice, "preset": preset, "preset_matches": matches,
        "methods": {}})
    return cli.finish(PROG, argv, args, start, results, figures=False)


def _print(rows, labels, choice, preset, matches):
    knobs = list(rows[0]["point"])
    table = []
    for i, r in enumerate(rows):
        nets = r["networks"]
        ok, score = _eligible(nets, labels), _score(nets, labels)
        table.append([f"{r['point'][k]:g}" for k in knobs] + [
            f"{nets[n]['seeds_dropping']}/{nets[n]['seeds']}  "
            f"{100 * nets[n]['accuracy_mean']:.2f} +- {100 * nets[n]['accuracy_se']:.2f}"
            for n in labels] + [f"{100 * score:.2f}", ("yes" if ok else "no")
                                + (" <- chosen" if i == choice["index"] else "")])
    cli.print_table(knobs + [f"{n}: drops, acc % +- SE" for n in labels]
                    + ["mean acc %", "eligible"], table)
    text = ", ".join(f"{k}={v:g}" for k, v in choice["point"].items())
    print(f"chosen: {text} (criterion: drops on >= {MIN_DROPPING:.0%} of seeds on every TUNE "
          f"network, then the highest mean test accuracy at the estimate)")
    print("AutoDropConfig.network: " + ", ".join(f"{k}={v:g}" for k, v in preset.items())
          + (" -- equals the choice" if matches else " -- DIFFERS from the choice (the preset "
                                                     "is not changed by this command)"))


def main(argv=None) -> int:
    return cli.main(PROG, _body, argv)


if __name__ == "__main__":
    cli.entry_point(main)
