"""AutoDrop in real training: small networks on MNIST-1D and digits, every schedule, optax.

    python -m simulations.network [--quick] [--dataset mnist1d|mnist1d_b|digits]
        [--models mlp,cnn] [--methods a,b|all] [--epochs E] [--batch-size B] [--lr LR]
        [--momentum M] [--nesterov] [--weight-decay WD] [--seeds N] [--seed S] [--out DIR]
        [--no-figures] [--x64] [--quiet] [--workers N | --scheduler ADDRESS]
        [--compile-cache DIR|none]

Data (``--dataset``): ``mnist1d`` (the default; :mod:`simulations.nets.mnist1d`, generated:
4,000 training and 1,000 test sequences of 40 points, 10 classes), ``mnist1d_b`` (a second
generated draw, another seed and noise: the TEST data of docs/studies/network.md) and
``digits`` (1,797 images of 8x8 pixels; :mod:`simulations.nets.digits`).  MNIST-1D is the
default because on digits the schedule does not matter: every method reaches 0.97-0.98 test
accuracy within overlapping intervals and a training loss of 0.05 in 4 epochs, so no schedule
can win there.  Models ``mlp`` and ``cnn`` of each dataset's inputs
(:mod:`simulations.nets.models`; on MNIST-1D sized as the dataset's reference MLP and CNN).
Training: SGD with unified momentum 0.9 (heavy ball; the rate inside the buffer,
:mod:`autodrop_theory.momentum`) and weight decay (``optax.add_decayed_weights`` before the
momentum, PyTorch's convention), one pass over a fresh permutation of the training rows per
epoch (K = n_train // B steps; the remainder rows of an epoch are not used).  Each dataset's
setting (:data:`DATASET_DEFAULTS`): MNIST-1D 40 epochs, lr 0.1, B = 100 (K = 40), weight decay
2e-3 (at the published 5e-4 the best manual schedule beats the constant rate by about half a
point, at 2e-3 by 2 to 4 points: the constant rate's noise then limits the test accuracy, the
regime where a schedule matters; docs/studies/network.md); digits 100 epochs, lr 0.1, B = 128,
weight decay 5e-4.  Methods (:mod:`simulations.nets.optimizers`; the same seeds,
initialisations and minibatch orders for all): ``autodrop`` (package defaults),
``autodrop_paper``, ``autodrop_uai``, ``schedule_free``, ``wsd``, ``cosine``, ``step_decay``,
``plateau``, ``averaged``, ``constant``; each evaluated at the point it documents as its output
(AutoDrop at the rule's estimate, :func:`autodrop_theory.optax.autodrop_eval_params`;
schedule-free at its x sequence; ``averaged`` at its iterate average), and those whose output
is not the parameters also at the parameters (``raw_*`` in results.json, "(raw)" rows).
``--quick``: the MLP only, 4 seeds, 16 epochs on MNIST-1D (30 on digits).

Recorded per epoch boundary (E+1 entries), mean over seeds with 95% Student-t intervals: the
training loss and accuracy on the whole training split, the test loss and accuracy; per epoch,
the rate used; the angle between consecutive per-epoch displacements of the parameters (every
method) and, for AutoDrop, the angle its rule measured (on the SGD point under momentum) and
its change |omega_e - omega_{e-1}|, the trigger's statistic.  Per method: the final and the
minimum test error (the paper's Table 2), the minimum test error by 25/50/75/100% of the
budget (its Table 16), the epochs to a training loss of the dataset's target, the angle's level
at each rate of ``step_decay`` and ``constant`` (against the paper's [90, 120] degrees), the
drops; per model, paired differences over seeds (:func:`compare`) of the final test accuracy,
of the minimum test error by each budget fraction (:func:`paired_by_budget`) and of the epochs
to the target loss (a seed that never reaches it censored at the budget,
:func:`paired_epochs_to_target`), each AutoDrop variant against the best manual schedule and
``constant``; and the verdicts on the paper's claims computed from them
(:mod:`simulations.network_claims`, results.json ``claims``).
Prints the tables and writes results.json and the figures ``training_loss``,
``test_accuracy``, ``rate_vs_epoch`` and ``angle_vs_epoch``.
"""

from __future__ import annotations

import time

import numpy as np

from . import cli, executor
from .readings import direction, epochs_reading
from .nets.optimizers import METHODS
# the training itself (a library module: the TUNE search runs it too); re-exported here
from .nets.training import (DATASET_DEFAULTS, DATASETS, METRICS, load, minibatches,
                            rate_dropped, train, train_size)

PROG = "simulations.network"
DEFAULTS = dict(seeds=8, methods="all", models="mlp,cnn", out="results/network")
TARGET_LOSS = 0.05


BUDGET_FRACTIONS = (0.25, 0.5, 0.75, 1.0)   # the Table 16 analogue's checkpoints
MANUAL = ("step_decay", "cosine", "wsd")       # the hand-designed schedules


def _dropping(method) -> bool:
    """Whether the method's drop epochs are reported (a rule, or a step schedule)."""
    from .nets.optimizers import automatic
    return automatic(method) or method == "step_decay"


def _ci(samples) -> dict:
    """Mean and 95% Student-t interval over seeds of per-seed numbers (nan seeds: nan)."""
    from .stats import mean_ci
    m, lo, hi = mean_ci(np.asarray(samples, np.float64))
    return {"mean": float(m), "ci": [float(lo), float(hi)]}


def _share_ci(shares) -> dict:
    """:func:`_ci` of per-seed shares, its interval cut to [0, 1]: a share cannot leave that
    range, so the cut interval covers the true share whenever the Student-t one does (the same
    coverage), without ends past 100% (a t interval of shares near 1 reaches past it)."""
    out = _ci(shares)
    lo, hi = out["ci"]
    out["ci"] = [max(lo, 0.0), min(hi, 1.0)]          # nan (a seed without angles) stays nan
    return out


def stage_angles(traj, epochs) -> list:
    """The angle's level at each rate of a step schedule: per stage of constant rate (from seed
    0's rates; the schedule is the same on every seed), the mean over seeds of the per-seed
    mean angle over the stage's second half, with its 95% interval, and the rate."""
    lr = traj["lr"][0]
    edges = [0] + [e + 1 for e in np.flatnonzero(lr[1:] != lr[:-1])] + [epochs]
    out = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        # boundary n ends epoch n - 1; the stage's epochs lo..hi-1 end at boundaries lo+1..hi
        first = max(lo + 1 + (hi - lo) // 2, 2)
        if first > hi:
            continue
        per_seed = np.nanmean(traj["angle_deg"][:, first:hi + 1], axis=1)
        out.append({"lr": float(lr[lo]), "epochs": [int(lo), int(hi)]} | _ci(per_seed))
    return out


def rule_saturation(rule_angle) -> dict:
    """Why a rule does or does not trigger: over the second half of the run (per seed, then
    mean and 95% interval over seeds), the level of the angle the rule measured, the standard
    deviation of its epoch-to-epoch change omega_e - omega_{e-1} (the trigger's statistic;
    docs/theory.md §4e predicts 73.97 deg / sqrt(d) for d identical decorrelated coordinates),
    the share of epochs whose angle is at least 90 degrees (the package's guard; its interval
    cut to [0, 1], :func:`_share_ci`), and the effective dimension (73.97 / sd)^2 that the
    measured noise implies."""
    from autodrop_theory.rule import calibrated_threshold_deg
    ra = np.asarray(rule_angle, np.float64)
    half = ra[:, ra.shape[1] // 2:]
    sd = np.nanstd(np.diff(half, axis=1), axis=1, ddof=1)
    ref = calibrated_threshold_deg(1, 1.0)            # 73.97 deg: the change's sd at d = 1
    return {"level_deg": _ci(np.nanmean(half, axis=1)), "change_sd_deg": _ci(sd),
            "share_at_least_90": _share_ci(np.nanmean(half >= 90, axis=1)),
            "effective_dim": _ci((ref / sd) ** 2)}


def summarize(traj, method, epochs, target_loss=None):
    """The method's block of results.json from its per-seed arrays.  The epochs to the target
    training loss are the first boundary n with a loss at most the target; a seed that never
    reaches it within the E epochs is censored at the budget: it counts E epochs in
    ``censored`` (a lower bound on its time) and None in ``per_seed``."""
    from .stats import mean_band
    target_loss = TARGET_LOSS if target_loss is None else target_loss
    block = {}
    keys = [k for k in traj if k.split("raw_")[-1] in METRICS] + ["angle_deg"] + (
        ["rule_angle_deg"] if "rule_angle_deg" in traj else [])
    for key in keys:
        block[key], block[key + "_ci"] = mean_band(traj[key])
    lr = traj["lr"]
    drops = ([np.flatnonzero(row).tolist() for row in rate_dropped(lr)]
             if _dropping(method) else [[] for _ in lr])
    reached = [int(np.argmax(row <= target_loss)) if (row <= target_loss).any() else None
               for row in traj["train_loss"]]
    hit = [r for r in reached if r is not None]
    censored = [epochs if r is None else r for r in reached]     # never reached: the budget
    err = 1 - traj["test_accuracy"]
    by_budget = {}
    for f in BUDGET_FRACTIONS:
        per_seed = err[:, :int(round(f * epochs)) + 1].min(axis=1)
        by_budget[f"{f:g}"] = _ci(per_seed) | {"per_seed": per_seed.tolist()}
    acc = _ci(traj["test_accuracy"][:, -1])
    final = {"test_accuracy": acc["mean"], "test_accuracy_ci": acc["ci"],
             "test_error": _ci(err[:, -1]), "min_test_error": by_budget["1"],
             "train_loss": float(traj["train_loss"][:, -1].mean()),
             "mean_drops": float(np.mean([len(d) for d in drops])),
             "seeds_dropping": int(sum(bool(d) for d in drops)),
             "test_accuracy_per_seed": traj["test_accuracy"][:, -1].tolist()}
    if "raw_test_accuracy" in traj:
        raw = _ci(traj["raw_test_accuracy"][:, -1])
        final["raw_test_accuracy"], final["raw_test_accuracy_ci"] = raw["mean"], raw["ci"]
        final["raw_test_accuracy_per_seed"] = traj["raw_test_accuracy"][:, -1].tolist()
        final["raw_min_test_error"] = _ci((1 - traj["raw_test_accuracy"]).min(axis=1))
    extra = {}
    if "rule_angle_deg" in traj:
        ra = traj["rule_angle_deg"]
        change = np.abs(np.diff(ra, axis=1))          # |omega_e - omega_{e-1}|, the trigger's
        extra["rule_angle_change"], extra["rule_angle_change_ci"] = mean_band(
            np.concatenate([np.full((ra.shape[0], 1), np.nan), change], axis=1))
        extra["seed0_rule_angle_deg"] = ra[0]
        extra["rule_saturation"] = rule_saturation(ra)
    if method in ("step_decay", "constant"):
        extra["stage_angles"] = stage_angles(traj, epochs)
    return block | extra | {
        "lr": lr.mean(axis=0), "lr_q10": np.quantile(lr, 0.1, axis=0),
        "lr_q90": np.quantile(lr, 0.9, axis=0),
        "drop_epochs": drops, "seed0": {"angle_deg": traj["angle_deg"][0], "lr": lr[0]},
        "epochs_to_target_loss": {"target": target_loss,
                                  "mean": float(np.mean(hit)) if hit else None,
                                  "fraction_of_seeds": len(hit) / len(reached),
                                  "per_seed": reached, "censored_at": epochs,
                                  "censored": _ci(censored)},
        "min_test_error_by_budget": by_budget, "final": final}


def compare(blocks: dict, model: str) -> dict:
    """Paired comparisons of the final test accuracy over seeds (every method ran on the same
    seeds, initialisations and minibatches), in accuracy points x 100: the best manual
    schedule (:data:`MANUAL`, highest mean) against ``constant``, and each AutoDrop variant
    (at its output point) against the best manual schedule, ``constant`` and ``averaged``,
    with 95% Student-t intervals of the per-seed differences; and the verdicts of the issue's
    bar: within 0.5 points of the best manual schedule (the interval's lower end above -0.5),
    at least constant + half the manual gap (the mean), above ``averaged`` (the interval above
    0), dropping on at least 90% of the seeds."""
    acc = {n.split("/", 1)[1]: np.asarray(b["final"]["test_accuracy_per_seed"])
           for n, b in blocks.items() if b["model"] == model}
    out = {}
    manual = [m for m in MANUAL if m in acc]
    if not manual or "constant" not in acc:
        return out
    best = max(manual, key=lambda m: acc[m].mean())
    diff = paired
    out["best_manual"] = best
    out["manual_gap"] = diff(acc[best], acc["constant"])
    for name in acc:
        if not name.startswith("autodrop"):
            continue
        b = blocks[f"{model}/{name}"]["final"]
        c = {"vs_best_manual": diff(acc[name], acc[best]),
             "vs_constant": diff(acc[name], acc["constant"]),
             "seeds_dropping": b["seeds_dropping"], "seeds": len(acc[name])}
        if "averaged" in acc:
            c["vs_averaged"] = diff(acc[name], acc["averaged"])
        if "raw_test_accuracy_per_seed" in b:
            c["raw_vs_best_manual"] = diff(np.asarray(b["raw_test_accuracy_per_seed"]),
                                           acc[best])
        c["verdicts"] = {
            "drops_on_90pct_of_seeds": c["seeds_dropping"] >= 0.9 * c["seeds"],
            "within_half_point_of_best_manual": c["vs_best_manual"]["ci"][0] > -0.5,
            "at_least_half_the_manual_gap": (c["vs_constant"]["mean"]
                                             >= 0.5 * out["manual_gap"]["mean"]),
            "beats_averaged": "vs_averaged" in c and c["vs_averaged"]["ci"][0] > 0}
        others = {"best_manual": blocks[f"{model}/{best}"],
                  "constant": blocks[f"{model}/constant"]}
        if all("min_test_error_by_budget" in b for b in (blocks[f"{model}/{name}"],
                                                        *others.values())):
            c["min_test_error_by_budget"] = paired_by_budget(blocks[f"{model}/{name}"], others)
            c["epochs_to_target_loss"] = paired_epochs_to_target(blocks[f"{model}/{name}"],
                                                                 others)
        out[name] = c
    return out


def paired(a, b, scale: float = 100.0) -> dict:
    """The paired difference a - b over seeds (the same seeds, initialisations and minibatches
    for both), times ``scale`` (100: accuracy or error points), with its 95% Student-t
    interval."""
    return _ci(scale * (np.asarray(a, np.float64) - np.asarray(b, np.float64)))


def paired_by_budget(block: dict, others: dict) -> dict:
    """The Table 16 analogue, paired: per budget fraction, the method's minimum test error by
    that fraction of the budget minus each other method's (points; negative: the method is
    lower), with :func:`direction` of each interval."""
    out = {}
    for frac, own in block["min_test_error_by_budget"].items():
        out[frac] = {}
        for key, other in others.items():
            d = paired(own["per_seed"], other["min_test_error_by_budget"][frac]["per_seed"])
            out[frac]["vs_" + key] = d | {"reading": direction(d)}
    return out


def paired_epochs_to_target(block: dict, others: dict) -> dict:
    """Epochs to the target training loss, paired: the method's minus each other method's
    (negative: the method is faster), every seed counted, a seed that never reaches the target
    censored at the budget E (:func:`summarize`, a lower bound on its time).  A censored
    method's time is understated and a censored comparator's too, so "lower" (faster) is read
    only when the method reaches the target on every seed and "higher" (slower) only when the
    comparator does; else the reading is "not resolved".  ``censored``: the censored seeds
    of each run."""
    def counted(b):
        t = b["epochs_to_target_loss"]
        return [t["censored_at"] if e is None else e for e in t["per_seed"]]

    def n_censored(b):
        return sum(e is None for e in b["epochs_to_target_loss"]["per_seed"])
    out = {"censored": {"method": n_censored(block)} | {
        k: n_censored(b) for k, b in others.items()}}
    for key, other in others.items():
        d = paired(counted(block), counted(other), scale=1.0)
        out["vs_" + key] = d | {"reading": epochs_reading(d, out["censored"]["method"],
                                                          out["censored"][key])}
    return out


def _parser():
    p = cli.make_parser(PROG, __doc__.splitlines()[0], omit=("dim", "steps_per_epoch",
                                                                    "methods"))
    p.add_argument("--dataset", default="mnist1d", choices=DATASETS,
                   help="the data: " + ", ".join(DATASETS) + " (default mnist1d)")
    p.add_argument("--methods", default=None,
                   help=f"comma-separated, or 'all'; known: {', '.join(METHODS)}")
    p.add_argument("--models", default=None,
                   help="comma-separated: mlp, cnn (default both; --quick: mlp)")
    p.add_argument("--batch-size", type=cli.positive_int, default=None,
                   help="minibatch size B (default: the dataset's, see the module docstring)")
    # unified momentum (the rate inside the buffer): --nesterov is UM's s = 1
    cli.add_momentum_flags(p, default=0.9, general_s=False)
    p.add_argument("--weight-decay", type=cli.nonneg_float, default=None,
                   help="weight decay (default: the dataset's)")
    return cli.add_study_flags(p)


def _train_unit(unit, data, seed, seeds, x64, **kwargs):
    """One unit of the study: ``unit`` = (model, method) trained on every seed of run ``seed``
    (keys and minibatches derived here from ``seed`` alone, so any executor gives the same
    numbers)."""
    from .engine import seed_keys
    from .experiment import dtype_for
    model, method = unit
    dtype = dtype_for(x64)
    keys = seed_keys(seed, seeds)
    batches = minibatches(keys, kwargs["epochs"], data[0].shape[0], kwargs["batch_size"])
    return train(model, method, data, keys=keys, dtype=dtype, batches=batches, **kwargs)


def _names(text, known, flag):
    names = list(known) if text == "all" else [m for m in text.split(",") if m]
    bad = [m for m in names if m not in known]
    if bad or not names or len(set(names)) != len(names):
        raise cli.CliError(f"{flag}: need distinct names from {', '.join(known)} (or 'all'), "
                           f"got {text!r}")
    return names


def _body(argv) -> int:
    start = time.perf_counter()
    # the defaults depend on --dataset: parse first, then fill every unset flag from the
    # dataset's setting (and its --quick values over it)
    args = cli.parse(_parser(), argv, {}, {})
    setting = DATASET_DEFAULTS[args.dataset]
    for key, value in {**DEFAULTS, **setting, **(setting["quick"] if args.quick else {})
                       }.items():
        if key not in ("quick", "target_loss") and getattr(args, key, None) is None:
            setattr(args, key, value)
    cli.check_out(args.out)
    methods = _names(args.methods, METHODS, "--methods")
    cli.momentum_choice(args)       # --nesterov needs --momentum > 0
    from .nets import models as nets
    models = _names(args.models, tuple(nets.models_for(args.dataset)), "--models")
    n = train_size(args.dataset)          # every check before the data is generated
    if args.batch_size > n:
        raise cli.CliError(f"--batch-size: need batch_size <= n_train = {n}, "
                           f"got {args.batch_size}")
    # per seed: the E x n minibatch indices (int32), the parameters, the records
    cli.check_sizes(max(nets.num_params(m, args.dataset) for m in models), len(methods),
                    args.epochs, 1, args.seeds, args.x64, extra=4 * args.epochs * n)
    if args.lr < 1e-4 and "autodrop_paper" in methods:
        raise cli.CliError(f"--lr: autodrop_paper needs lr >= the published min_lr 0.0001, "
                           f"got {args.lr}")
    data = load(args.dataset, args.seed)
    import functools

    from .results import Results
    units = [(model, method) for model in models for method in methods]
    with cli.study_client(args) as client:     # one unit per model and method
        trained = executor.map_units(
            functools.partial(_train_unit, data=data, seed=args.seed, seeds=args.seeds,
                              x64=args.x64, epochs=args.epochs, batch_size=args.batch_size,
                              lr=args.lr, momentum=args.momentum,
                              weight_decay=args.weight_decay, nesterov=args.nesterov,
                              dataset=args.dataset),
            units, client=client, labels=[f"{m}/{n}" for m, n in units], desc=PROG,
            quiet=args.quiet)
    blocks, dims = {}, {}
    target = setting["target_loss"]
    for (model, method), (traj, K, dims[model]) in zip(units, trained):
        blocks[f"{model}/{method}"] = summarize(traj, method, args.epochs, target) | {
            "model": model, "method": method}
    results = Results({
        "problem": {"name": "network", "dataset": args.dataset,
                    "n_train": int(data[0].shape[0]),
                    "n_test": int(data[2].shape[0]), "models": models, "dims": dims,
                    "batch_size": args.batch_size, "steps_per_epoch": K,
                    "epochs": args.epochs, "seeds": args.seeds, "lr": args.lr,
                    "momentum": args.momentum, "nesterov": args.nesterov,
                    "weight_decay": args.weight_decay,
                    "target_loss": target},
        "methods": blocks, "comparisons": {m: compare(blocks, m) for m in models},
        "theory": {}})
    from . import network_claims
    results.blocks["claims"] = network_claims.claims([results.blocks])
    if not args.quiet:
        _table(results)
    return cli.finish(PROG, argv, args, start, results)


def _table(results):
    from autodrop_theory.rule import calibrated_threshold_deg

    from .methods.autodrop import DEFAULTS as AD
    from .tables import fmt
    p = results.problem
    print(f"{p['dataset']}: n_train={p['n_train']} n_test={p['n_test']} B={p['batch_size']} "
          f"K={p['steps_per_epoch']} E={p['epochs']} lr={p['lr']:g} momentum={p['momentum']:g} "
          f"wd={p['weight_decay']:g} seeds={p['seeds']}; calibrated AutoDrop threshold: "
          + ", ".join(f"{m} (d={d}) {calibrated_threshold_deg(d, AD['threshold_z']):.3f} deg"
                      for m, d in p["dims"].items()))

    def ci(c, scale=1.0, digits=2):
        return f"{scale * c['mean']:.{digits}f} [{scale * c['ci'][0]:.{digits}f}, " \
               f"{scale * c['ci'][1]:.{digits}f}]"
    rows = []
    for name, m in results.methods.items():
        f, tl = m["final"], m["epochs_to_target_loss"]
        reach = ("-" if tl["mean"] is None else f"{tl['mean']:.1f}"
                 + ("" if tl["fraction_of_seeds"] == 1 else
                    f" ({100 * tl['fraction_of_seeds']:.0f}%)"))
        by = m["min_test_error_by_budget"]
        ends = [f"{100 * by[k]['mean']:.1f}" for k in ("0.25", "0.5", "0.75")]
        acc = {"mean": f["test_accuracy"], "ci": f["test_accuracy_ci"]}
        rows.append([name, ci(acc, 100), ci(f["min_test_error"], 100), *ends,
                     fmt(f["train_loss"], ".3g"), reach,
                     f"{f['seeds_dropping']}/{p['seeds']}",
                     " ".join(str(e) for e in m["drop_epochs"][0][:6]) or "-",
                     fmt(m["angle_deg"][-1], ".1f")])
        if "raw_test_accuracy" in f:
            raw = {"mean": f["raw_test_accuracy"], "ci": f["raw_test_accuracy_ci"]}
            rows.append([f"{name} (raw)", ci(raw, 100),
                         ci(f["raw_min_test_error"], 100), "", "", "", "", "", "", "", ""])
    cli.print_table(["model/method", "test acc % [95% CI]", "min test err %",
                     "@25%", "@50%", "@75%", "train loss",
                     f"epochs to loss {p['target_loss']:g}", "drop seeds",
                     "drop epochs (seed 0)", "angle"], rows)
    rows = []
    for model, c in results.blocks.get("comparisons", {}).items():
        if not c:
            continue
        rows.append([f"{model}: {c['best_manual']} - constant", ci(c["manual_gap"]),
                     "", "", ""])
        for name, d in c.items():
            if not isinstance(d, dict) or "vs_constant" not in d:
                continue
            rows.append([f"{model}: {name}", ci(d["vs_best_manual"]), ci(d["vs_constant"]),
                         ci(d["vs_averaged"]) if "vs_averaged" in d else "-",
                         ci(d["raw_vs_best_manual"]) if "raw_vs_best_manual" in d else "-"])
    sat = [[name, ci(m["rule_saturation"]["level_deg"], 1, 1),
            ci(m["rule_saturation"]["change_sd_deg"], 1, 2),
            f"{calibrated_threshold_deg(p['dims'][m['model']], AD['threshold_z']):.3f}",
            ci(m["rule_saturation"]["share_at_least_90"], 100, 0),
            f"{m['rule_saturation']['effective_dim']['mean']:.0f}"]
           for name, m in results.methods.items() if "rule_saturation" in m]
    if sat:
        print("the angle AutoDrop measures (on the SGD point), second half of the run:")
        cli.print_table(["model/method", "level (deg)", "sd of change (deg)",
                         "package threshold", "% epochs >= 90 deg", "effective d"], sat)
    if rows:
        print("paired differences of the final test accuracy (points, 95% CI over seeds):")
        cli.print_table(["comparison", "- best manual", "- constant", "- averaged",
                         "raw - best manual"], rows)
    _paired_table(results, ci)
    claims = results.blocks.get("claims")
    if claims:
        print("verdicts (simulations.network_claims, from the paired intervals above; each "
              "network's interval and reading in full):")
        cli.print_table(["claim", "verdict"], [[c["id"], c["verdict"]] for c in claims])
        for c in claims:
            print(f"  {c['id']}: {c['note']}")


def _paired_table(results, ci):
    """The Table 16 analogue and the epochs to the target loss, paired over seeds: each
    AutoDrop variant minus the best manual schedule and minus ``constant``."""
    p = results.problem
    rows = []
    for model, c in results.blocks.get("comparisons", {}).items():
        for name, d in c.items():
            if not isinstance(d, dict) or "min_test_error_by_budget" not in d:
                continue
            by, ep = d["min_test_error_by_budget"], d["epochs_to_target_loss"]
            for key, other in (("best_manual", c["best_manual"]), ("constant", "constant")):
                rows.append([f"{model}: {name} - {other}",
                             *(ci(by[f"{f:g}"]["vs_" + key]) for f in BUDGET_FRACTIONS),
                             ci(ep["vs_" + key], 1, 1),
                             f"{ep['censored']['method']}/{ep['censored'][key]}"])
    if rows:
        print(f"paired differences of the minimum test error by 25/50/75/100% of the budget "
              f"(points) and of the epochs to a training loss of {p['target_loss']:g} (a seed "
              f"that never reaches it counts the budget, {p['epochs']} epochs; censored seeds: "
              f"method/other), 95% CI over seeds:")
        cli.print_table(["comparison", "@25%", "@50%", "@75%", "@100%", "epochs to loss",
                         "censored"], rows)


def network_figures(results, folder) -> list:
    """``simulations.network``: training loss (log) and test accuracy against epochs, one panel
    per model, mean over seeds with 95% bands; the angle of every method against epochs, one
    panel per model (with seed 0's drops of the AutoDrop methods)."""
    # plotting is imported only when drawing (--help imports no plotting library)
    from .figures import STYLE, plt, save_figure, legend_below, color, linestyle
    p = results.problem
    models = p["models"]
    by_model = {m: {n.split("/", 1)[1]: b for n, b in results.methods.items()
                    if b["model"] == m} for m in models}
    paths = []
    for key, ylabel, stem, log in (("train_loss", "training loss", "training_loss", True),
                                   ("test_accuracy", "test accuracy", "test_accuracy", False),
                                   ("lr", "rate (10-90% of seeds)", "rate_vs_epoch", True),
                                   ("angle_deg", "angle (deg)", "angle_vs_epoch", False)):
        order = _colour_order()
        with plt.rc_context(STYLE):
            fig, axes = plt.subplots(len(models), 1, sharex=True, squeeze=False,
                                     figsize=(3.4, 0.9 + 1.6 * len(models)))
            for ax, model in zip(axes[:, 0], models):
                for name, m in by_model[model].items():
                    y = np.asarray(m[key], dtype=float)
                    if key == "lr":     # the rate of epoch e, drawn at boundaries e, e + 1
                        n = np.arange(y.size + 1)
                        y, lo, hi = (np.append(np.asarray(m[k], float), m[k][-1])
                                     for k in ("lr", "lr_q10", "lr_q90"))
                    else:
                        n = np.arange(y.size)
                        lo, hi = np.asarray(m[key + "_ci"], dtype=float).T
                    step = "post" if key == "lr" else None
                    ax.fill_between(n, lo, hi, color=color(name, order), alpha=0.25,
                                    lw=0, step=step)
                    ax.plot(n, y, color=color(name, order), ls=linestyle(name, order),
                            label=name, drawstyle="steps-post" if step else "default")
                    if key == "angle_deg":
                        for e in m["drop_epochs"][0]:
                            ax.axvline(e + 1, color=color(name, order), lw=0.6, ls="-.")
                if key == "angle_deg":
                    ax.axhline(90, color="k", lw=0.5)
                if log:
                    ax.set_yscale("log")
                ax.set_ylabel(ylabel)
                ax.set_title(f"{model} (d = {p['dims'][model]})", fontsize=7, pad=2)
            axes[-1, 0].set_xlabel("epoch boundary $n$")
            legend_below(fig, ncol=3)
            paths += save_figure(fig, folder, stem)
    return paths


def _colour_order() -> list:
    """The registry's order, then this study's own methods (the optax schedules)."""
    from .methods import REGISTRY
    return list(REGISTRY) + [m for m in METHODS if m not in REGISTRY]


def draw_figures(results, folder) -> list:
    """This study's figures from a saved run (:func:`simulations.figures.draw` calls it)."""
    return network_figures(results, folder)


def main(argv=None) -> int:
    return cli.main(PROG, _body, argv)


if __name__ == "__main__":
    cli.entry_point(main)
