"""AutoDrop in real training: small networks on scikit-learn's digits, every schedule, optax.

    python -m simulations.network [--quick] [--models mlp,cnn] [--methods a,b|all] [--epochs E]
        [--batch-size B] [--lr LR] [--momentum M] [--nesterov] [--weight-decay WD] [--seeds N]
        [--seed S] [--out DIR] [--no-figures] [--x64] [--quiet] [--workers N | --scheduler ADDRESS]
        [--compile-cache DIR|none]

Data: digits (1797 images of 8x8 pixels, 10 classes; :mod:`simulations.nets.digits`), models
``mlp`` and ``cnn`` (:mod:`simulations.nets.models`).  Training as in the published runs, scaled
to this problem: SGD with momentum 0.9 and weight decay 5e-4 (``optax.add_decayed_weights``
before the momentum, PyTorch's convention), lr 0.1, batch 128, one pass over a fresh permutation
of the training rows per epoch (K = n_train // B steps; the remainder rows of an epoch are not
used).  Methods (the same seeds, initialisations and minibatch orders for all):
  autodrop        the package's AutoDrop (:func:`simulations.methods.autodrop.package_config`,
                  threshold calibrated for the network's d) via
                  :func:`autodrop_theory.optax.autodrop_sgd` (the simulator's code path: the
                  rate inside the momentum buffer, the angle measured on the SGD point; the
                  parameters are evaluated, not the rule's estimate)
  autodrop_paper  the published constants verbatim
  step_decay      x0.2 at 30%, 60% and 80% of the epochs (the paper's CIFAR milestones 60/120/160
                  of 200, scaled to the budget)
  cosine          optax.cosine_decay_schedule(lr, E K)
  plateau         optax.contrib.reduce_on_plateau on the epoch's mean minibatch loss (factor 0.1,
                  patience 10, accumulation over one epoch)
  constant        lr throughout
``--quick``: the MLP only, 30 epochs, 4 seeds (the CNN's program alone takes about 8 s to
compile on 2 cores).  Recorded per epoch boundary (E+1 entries), mean over seeds with 95%
Student-t intervals: the training loss and accuracy on the whole training split, the test loss and accuracy; per epoch,
the rate used; the angle between consecutive per-epoch displacements of the parameters (the
package's convention, every method).  Prints a table (final test accuracy with its CI, final
training loss, epochs to reach a training loss of ``TARGET_LOSS``, drops) and writes
results.json and the figures ``training_loss``, ``test_accuracy`` and ``angle_vs_epoch``.
"""

from __future__ import annotations

import time

import numpy as np

from . import cli, executor
from .nets import digits

PROG = "simulations.network"
DEFAULTS = dict(seeds=8, epochs=100, methods="all", models="mlp,cnn", out="results/network")
QUICK = dict(seeds=4, epochs=30, models="mlp")
METHODS = ("autodrop", "autodrop_paper", "step_decay", "cosine", "plateau", "constant")
DROPPING = ("autodrop", "autodrop_paper", "step_decay", "plateau")   # report their drop epochs
TARGET_LOSS = 0.05
STEP_FRACTIONS = (0.3, 0.6, 0.8)
STEP_FACTOR = 0.2


def transformation(name, *, lr, epochs, K, momentum, weight_decay, nesterov=False):
    """(optax transformation, rate(state, step) -> the rate of the next step) for a method."""
    import jax.numpy as jnp
    import optax

    from autodrop_theory import optax as ado

    from .methods import autodrop as ad
    decay = optax.add_decayed_weights(weight_decay)
    if name in ("autodrop", "autodrop_paper"):
        # the threshold is calibrated at init from the number of parameters (rule.init)
        cfg = ad.package_config(lr) if name == "autodrop" else ad.paper_config(lr)
        tx = optax.chain(decay, ado.autodrop_sgd(cfg, K, momentum=momentum,
                                                         s="nesterov" if nesterov else 0.0))
        return tx, lambda s, t: ado.read(s)["lr"]
    if name == "plateau":
        tx = optax.chain(decay, optax.sgd(lr, momentum=momentum, nesterov=nesterov),
                         optax.contrib.reduce_on_plateau(factor=0.1, patience=10,
                                                         accumulation_size=K))
        return tx, lambda s, t: lr * s[2].scale
    if name == "step_decay":
        schedule = optax.piecewise_constant_schedule(
            lr, {int(f * epochs) * K: STEP_FACTOR for f in STEP_FRACTIONS})
    elif name == "cosine":
        schedule = optax.cosine_decay_schedule(lr, epochs * K)
    elif name == "constant":
        def schedule(t):
            return jnp.asarray(lr)
    else:
        raise cli.CliError(f"--methods: unknown method {name!r}; known: {', '.join(METHODS)}")
    return optax.chain(decay, optax.sgd(schedule, momentum=momentum,
                                                     nesterov=nesterov)), \
        lambda s, t: jnp.asarray(schedule(t))


def minibatches(keys, epochs: int, n: int, batch_size: int):
    """(S, E, K, B) int32 row indices: epoch e of a seed takes the first K B rows of a
    permutation drawn from fold_in(key, e); drawn once and shared by every method (common
    random numbers), in one compiled program."""
    import jax
    K = n // batch_size

    def one(key):
        return jax.vmap(lambda e: jax.random.permutation(jax.random.fold_in(key, e), n)[
            : K * batch_size].reshape(K, batch_size))(jax.numpy.arange(epochs))
    return jax.jit(jax.vmap(one))(keys)


def train(model, method, data, *, epochs, batch_size, lr, momentum, weight_decay, keys,
          dtype, batches=None, nesterov=False):
    """Train ``model`` with ``method`` for every key (one seed each; initialisation from
    fold_in(key, 2**31 - 1), minibatches from :func:`minibatches` unless given).  Returns numpy
    arrays with leading axis seeds: train_loss, train_accuracy, test_loss, test_accuracy
    (E+1), lr (E), angle_deg (E+1, nan at boundaries 0 and 1); and K and the parameter count."""
    import jax
    import jax.numpy as jnp
    import optax
    from jax.flatten_util import ravel_pytree

    from autodrop_theory.rule import angle_deg

    from .nets import models as nets
    init, apply = nets.MODELS[model]
    X, y, Xt, yt = (jnp.asarray(a, dtype) if a.dtype.kind == "f" else jnp.asarray(a)
                    for a in data)
    n, B = X.shape[0], batch_size
    K = n // B
    if batches is None:
        batches = minibatches(keys, epochs, n, B)
    dim = nets.num_params(model)
    tx, rate = transformation(method, lr=lr, epochs=epochs, K=K, momentum=momentum,
                              weight_decay=weight_decay, nesterov=nesterov)

    def one(key, idx_all, X, y, Xt, yt):
        params = init(jax.random.fold_in(key, 2 ** 31 - 1), dtype)
        flat0 = ravel_pytree(params)[0]

        def evaluate(params):
            return (nets.loss(apply, params, X, y), nets.accuracy(apply, params, X, y),
                    nets.loss(apply, params, Xt, yt), nets.accuracy(apply, params, Xt, yt))

        def epoch(carry, xs):
            params, state, prev, prev_disp = carry
            e, idx = xs
            r = rate(state, e * K)

            def step(c, i):
                params, state = c
                value, g = jax.value_and_grad(
                    lambda p: nets.loss(apply, p, X[i], y[i]))(params)
                u, state = tx.update(g, state, params, value=value)
                return (optax.apply_updates(params, u), state), None

            (params, state), _ = jax.lax.scan(step, (params, state), idx)
            flat = ravel_pytree(params)[0]
            disp = flat - prev
            ang = jnp.where(e >= 1, angle_deg(disp, prev_disp), jnp.nan).astype(dtype)
            return (params, state, flat, disp), evaluate(params) + (r.astype(dtype), ang)

        carry = (params, tx.init(params), flat0, jnp.zeros_like(flat0))
        _, (trl, tra, tel, tea, lrs, ang) = jax.lax.scan(epoch, carry,
                                                         (jnp.arange(epochs), idx_all))
        first = evaluate(params)
        cat = lambda a0, a: jnp.concatenate([jnp.reshape(a0, (1,)).astype(dtype), a])  # noqa
        return (cat(first[0], trl), cat(first[1], tra), cat(first[2], tel), cat(first[3], tea),
                lrs, cat(jnp.nan, ang))

    out = jax.device_get(jax.jit(jax.vmap(one, in_axes=(0, 0, None, None, None, None)))(
        keys, batches, X, y, Xt, yt))
    names = ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr", "angle_deg")
    return dict(zip(names, (np.asarray(a, np.float64) for a in out))), K, dim


def summarize(traj, method, epochs):
    """The method's block of results.json from its per-seed arrays."""
    from .stats import mean_band
    block = {}
    for key in ("train_loss", "train_accuracy", "test_loss", "test_accuracy"):
        block[key], block[key + "_ci"] = mean_band(traj[key])
    ang = traj["angle_deg"]
    angle, angle_ci = mean_band(ang)
    lr = traj["lr"]
    drops = ([np.flatnonzero(row[1:] < row[:-1] * (1 - 1e-6)).tolist() for row in lr]
             if method in DROPPING else [[] for _ in lr])
    reached = [int(np.argmax(row <= TARGET_LOSS)) if (row <= TARGET_LOSS).any() else None
               for row in traj["train_loss"]]
    hit = [r for r in reached if r is not None]
    acc = traj["test_accuracy"][:, -1]
    acc_ci = block["test_accuracy_ci"][-1]
    return block | {
        "lr": lr.mean(axis=0), "lr_q10": np.quantile(lr, 0.1, axis=0),
        "lr_q90": np.quantile(lr, 0.9, axis=0), "angle_deg": angle, "angle_deg_ci": angle_ci,
        "drop_epochs": drops, "seed0": {"angle_deg": ang[0], "lr": lr[0]},
        "epochs_to_target_loss": {"target": TARGET_LOSS,
                                  "mean": float(np.mean(hit)) if hit else None,
                                  "fraction_of_seeds": len(hit) / len(reached)},
        "final": {"test_accuracy": float(acc.mean()),
                  "test_accuracy_ci": [float(acc_ci[0]), float(acc_ci[1])],
                  "train_loss": float(traj["train_loss"][:, -1].mean()),
                  "mean_drops": float(np.mean([len(d) for d in drops]))}}


def _parser():
    p = cli.make_parser(PROG, __doc__.splitlines()[0], omit=("dim", "steps_per_epoch",
                                                                    "methods"))
    p.add_argument("--methods", default=None,
                   help=f"comma-separated, or 'all'; known: {', '.join(METHODS)}")
    p.add_argument("--models", default=None,
                   help="comma-separated: mlp, cnn (default both; --quick: mlp)")
    p.add_argument("--batch-size", type=cli.positive_int, default=128)
    # optax's momentum convention (the buffer holds gradients): --nesterov is optax's
    # nesterov=True; a general UM s needs the rate-inside-the-buffer form (docs/theory.md §6b)
    cli.add_momentum_flags(p, default=0.9, general_s=False)
    p.add_argument("--weight-decay", type=cli.nonneg_float, default=5e-4)
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
    args = cli.parse(_parser(), argv, DEFAULTS | {"lr": 0.1}, QUICK)
    methods = _names(args.methods, METHODS, "--methods")
    cli.momentum_choice(args)       # --nesterov needs --momentum > 0
    from .nets import models as nets
    models = _names(args.models, tuple(nets.MODELS), "--models")
    data = digits.load(args.seed)
    if args.batch_size > data[0].shape[0]:
        raise cli.CliError(f"--batch-size: need batch_size <= n_train = {data[0].shape[0]}, "
                           f"got {args.batch_size}")
    n = data[0].shape[0]
    # per seed: the E x n minibatch indices (int32), the parameters, the records
    cli.check_sizes(max(nets.num_params(m) for m in models), len(methods), args.epochs, 1,
                    args.seeds, args.x64, extra=4 * args.epochs * n)
    if args.lr < 1e-4 and "autodrop_paper" in methods:
        raise cli.CliError(f"--lr: autodrop_paper needs lr >= the published min_lr 0.0001, "
                           f"got {args.lr}")
    import functools

    from .results import Results
    units = [(model, method) for model in models for method in methods]
    with cli.study_client(args) as client:     # one unit per model and method
        trained = executor.map_units(
            functools.partial(_train_unit, data=data, seed=args.seed, seeds=args.seeds,
                              x64=args.x64, epochs=args.epochs, batch_size=args.batch_size,
                              lr=args.lr, momentum=args.momentum,
                              weight_decay=args.weight_decay),
            units, client=client, labels=[f"{m}/{n}" for m, n in units], desc=PROG,
            quiet=args.quiet)
    blocks, dims = {}, {}
    for (model, method), (traj, K, dims[model]) in zip(units, trained):
        blocks[f"{model}/{method}"] = summarize(traj, method, args.epochs) | {
            "model": model, "method": method}
    results = Results({
        "problem": {"name": "network", "dataset": "digits", "n_train": int(data[0].shape[0]),
                    "n_test": int(data[2].shape[0]), "models": models, "dims": dims,
                    "batch_size": args.batch_size, "steps_per_epoch": K,
                    "epochs": args.epochs, "seeds": args.seeds, "lr": args.lr,
                    "momentum": args.momentum, "nesterov": args.nesterov,
                    "weight_decay": args.weight_decay,
                    "target_loss": TARGET_LOSS},
        "methods": blocks, "theory": {}})
    if not args.quiet:
        _table(results)
    return cli.finish(PROG, argv, args, start, results)


def _table(results):
    from autodrop_theory.rule import calibrated_threshold_deg

    from .methods.autodrop import DEFAULTS as AD
    from .tables import fmt
    p = results.problem
    print(f"digits: n_train={p['n_train']} n_test={p['n_test']} B={p['batch_size']} "
          f"K={p['steps_per_epoch']} E={p['epochs']} lr={p['lr']:g} momentum={p['momentum']:g} "
          f"wd={p['weight_decay']:g} seeds={p['seeds']}; calibrated AutoDrop threshold: "
          + ", ".join(f"{m} (d={d}) {calibrated_threshold_deg(d, AD['threshold_z']):.3f} deg"
                      for m, d in p["dims"].items()))
    rows = []
    for name, m in results.methods.items():
        f, tl = m["final"], m["epochs_to_target_loss"]
        reach = ("-" if tl["mean"] is None else f"{tl['mean']:.1f}"
                 + ("" if tl["fraction_of_seeds"] == 1 else
                    f" ({100 * tl['fraction_of_seeds']:.0f}%)"))
        rows.append([name, f"{f['test_accuracy']:.4f}",
                     f"[{f['test_accuracy_ci'][0]:.4f}, {f['test_accuracy_ci'][1]:.4f}]",
                     fmt(f["train_loss"], ".3g"), reach, f"{f['mean_drops']:.2f}",
                     " ".join(str(e) for e in m["drop_epochs"][0]) or "-",
                     fmt(m["angle_deg"][-1], ".1f")])
    cli.print_table(["model/method", "test acc", "95% CI", "train loss",
                     f"epochs to loss {TARGET_LOSS:g}", "drops", "drop epochs (seed 0)",
                     "angle"], rows)


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
                                   ("angle_deg", "angle (deg)", "angle_vs_epoch", False)):
        order = _colour_order()
        with plt.rc_context(STYLE):
            fig, axes = plt.subplots(len(models), 1, sharex=True, squeeze=False,
                                     figsize=(3.4, 0.9 + 1.6 * len(models)))
            for ax, model in zip(axes[:, 0], models):
                for name, m in by_model[model].items():
                    y = np.asarray(m[key], dtype=float)
                    n = np.arange(y.size)
                    lo, hi = np.asarray(m[key + "_ci"], dtype=float).T
                    ax.fill_between(n, lo, hi, color=color(name, order), alpha=0.25,
                                    lw=0)
                    ax.plot(n, y, color=color(name, order), ls=linestyle(name, order), label=name)
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
