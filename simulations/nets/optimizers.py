"""The network study's methods as optax transformations (``python -m simulations.network``).

Problem: train a network with SGD, momentum and weight decay under each schedule or rule, and
evaluate each at the point it documents as its output.

Algorithm: every method but ``schedule_free`` runs unified momentum (UM,
:func:`autodrop_theory.momentum.step`: the rate inside the buffer, as the paper's eq. 9 and
the package's simulator; heavy ball, or Nesterov with ``nesterov``) after
``optax.add_decayed_weights`` (the decay added to the gradient, PyTorch's convention).
A method is a :class:`Peer`: the transformation, the rate of the next step read from its state,
the point to evaluate, and (AutoDrop's) the angle the rule measured.  The methods
(:data:`METHODS`; a name shared with the simulator's registry,
:data:`simulations.methods.REGISTRY`, is the same rule, and whether it decides its drops from
the run is the registry's ``automatic``, :func:`automatic`):
  autodrop        the package's defaults (:meth:`autodrop_theory.rule.AutoDropConfig.package`)
                  through :func:`autodrop_theory.optax.autodrop_sgd`; evaluated at
                  :func:`autodrop_theory.optax.autodrop_eval_params` (the rule's estimate)
  autodrop_net    the rule's ``network`` preset (:meth:`autodrop_theory.rule.AutoDropConfig.network`;
                  not the default): the package's rule with the level-free trend test in
                  place of the calibrated threshold and the 90-degree guard, and a wait of a
                  quarter of the stage; evaluated as ``autodrop``
  autodrop_paper  the published constants verbatim (evaluated at the parameters: the
                  published rule's tail average replaces them at each drop)
  autodrop_uai    the paper's Algorithm 1 (:func:`autodrop_theory.optax_paper.autodrop_uai_sgd`,
                  window k scaled to the epoch); it keeps no average: the parameters
  schedule_free   optax.contrib.schedule_free_sgd, the authors' recommended settings: b1 =
                  momentum, linear warm-up over 5% of the steps, rate lr / (1 - momentum) (the
                  same step per gradient as heavy ball's stationary lr / (1 - beta); the
                  authors' default 1.0 at b1 = 0.9 is 10x classical SGD's 0.1), weight decay
                  inside; evaluated at its x sequence (optax.contrib.schedule_free_eval_params)
  wsd             warm-up-stable-decay: linear warm-up over the first 5% of the steps, constant,
                  linear cool-down to 0 over the last 20% (:func:`wsd_schedule`)
  cosine          optax.cosine_decay_schedule(lr, E K)
  step_decay      x0.2 at 30%, 60% and 80% of the epochs (the paper's CIFAR milestones 60, 120,
                  160 of 200, scaled; the simulator's ``step_decay`` uses the classic 50/75%)
  plateau         optax.contrib.reduce_on_plateau on the epoch's mean minibatch loss (factor
                  0.1, patience 10 epochs), scaling the gradient before the UM step (so the rate
                  sits inside the buffer as for the others)
  averaged        constant rate, evaluated at the uniform average of every step's iterate
  constant        lr throughout

References: Defazio et al., "The Road Less Scheduled" (NeurIPS 2024) for schedule-free SGD;
Hu et al. (MiniCPM, 2024) and Hägele et al. (2024) for warm-up-stable-decay.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional

from autodrop_theory.errors import AssumptionError

__all__ = ["Peer", "METHODS", "NETWORK_ONLY", "automatic", "make", "um_sgd", "with_rule_hyper",
           "iterate_average", "wsd_schedule", "WSD_WARMUP", "WSD_COOLDOWN", "SF_WARMUP",
           "STEP_FRACTIONS", "STEP_FACTOR"]

METHODS = ("autodrop", "autodrop_net", "autodrop_paper", "autodrop_uai", "schedule_free", "wsd",
           "cosine", "step_decay", "plateau", "averaged", "constant")
# the methods the simulator's registry does not hold (network-only schedules), with the
# registry's metadata: whether the method decides its drops from the run
NETWORK_ONLY = {"autodrop_net": True, "schedule_free": False, "wsd": False, "cosine": False}
STEP_FRACTIONS = (0.3, 0.6, 0.8)
STEP_FACTOR = 0.2
WSD_WARMUP, WSD_COOLDOWN = 0.05, 0.2
SF_WARMUP = 0.05


def automatic(name: str) -> bool:
    """Whether ``name`` decides its drops from the run: the registry's metadata where the
    simulator registers the name, else :data:`NETWORK_ONLY`'s."""
    from ..methods import REGISTRY
    return REGISTRY[name].automatic if name in REGISTRY else NETWORK_ONLY[name]


class Peer(NamedTuple):
    """One method: ``tx`` (takes ``value=`` the minibatch loss as an extra argument),
    ``rate(state, t)`` the rate of step t, ``eval_params(state, params)`` the point it
    documents as its output, ``rule_angle(state)`` the angle its rule measured (None for
    methods without one), ``has_estimate``: the output point differs from the parameters."""

    tx: Any
    rate: Callable
    eval_params: Callable
    rule_angle: Optional[Callable] = None
    has_estimate: bool = False


def um_sgd(schedule, momentum: float, s: float = 0.0):
    """UM SGD (:func:`autodrop_theory.momentum.step`) at the rate ``schedule(t)`` of step t."""
    import jax.numpy as jnp
    import optax

    from autodrop_theory import momentum as um

    class State(NamedTuple):
        count: Any
        buf: Any

    def init(params):
        return State(jnp.zeros((), jnp.int32), um.init(params))

    def update(grads, state, params=None, **extra):
        del params, extra
        lr = jnp.asarray(schedule(state.count))
        dx, buf = um.step(grads, state.buf, lr, momentum, s)
        return dx, State(state.count + 1, buf)
    return optax.GradientTransformationExtraArgs(init, update)


def with_rule_hyper(state, values: dict):
    """``state`` (an optax state holding AutoDrop's) with the rule's numbers ``values`` (names
    of :class:`autodrop_theory.rule.AutoDropHyper` fields to scalars or traced arrays, one
    point of a vmapped sweep) in place of those it was built with: the compiled rule reads
    them as data, so a sweep compiles once.  The initial rate and the thresholds are refused
    (the state holds working copies of them)."""
    import jax
    import jax.numpy as jnp

    from autodrop_theory.optax import ScaleByAutoDropState
    from autodrop_theory.rule import AutoDropHyper
    bad = sorted(set(values) - set(AutoDropHyper._fields)
                 | set(values) & {"lr", "theta", "theta_max"})
    if bad:
        raise AssumptionError(f"hyper: need fields of AutoDropHyper other than lr, theta and "
                              f"theta_max, got {', '.join(bad)}")

    def swap(s):
        if not isinstance(s, ScaleByAutoDropState):
            return s
        h = s.rule.hyper
        h = h._replace(**{k: jnp.asarray(v, getattr(h, k).dtype) for k, v in values.items()})
        return s._replace(rule=s.rule._replace(hyper=h))
    return jax.tree_util.tree_map(swap, state,
                                  is_leaf=lambda s: isinstance(s, ScaleByAutoDropState))


class AverageState(NamedTuple):
    total: Any        # the sum of the iterates after each step
    count: Any


def iterate_average():
    """Keeps the sum of every step's iterate (put last in a chain: it reads ``params`` and
    the updates that reach it); the updates pass unchanged."""
    import jax
    import jax.numpy as jnp
    import optax

    def init(params):
        return AverageState(jax.tree_util.tree_map(jnp.zeros_like, params),
                            jnp.zeros((), jnp.int32))

    def update(updates, state, params=None, **extra):
        del extra
        x_next = optax.apply_updates(params, updates)
        total = jax.tree_util.tree_map(jnp.add, state.total, x_next)
        return updates, AverageState(total, state.count + 1)
    return optax.GradientTransformationExtraArgs(init, update)


def _average_of(state, params):
    import jax
    import jax.numpy as jnp
    import optax
    avg = optax.tree_utils.tree_get(state, "AverageState", filtering=lambda p, v: isinstance(
        v, AverageState))
    n = avg.count
    return jax.tree_util.tree_map(
        lambda t, p: jnp.where(n > 0, t / jnp.maximum(n, 1).astype(t.dtype), p), avg.total,
        params)


def wsd_schedule(lr: float, total_steps: int, warmup: float = WSD_WARMUP,
                 cooldown: float = WSD_COOLDOWN):
    """Warm-up-stable-decay: W = round(warmup T) steps of lr (t + 1) / W, then lr, then over
    the last C = round(cooldown T) steps lr (T - t) / C (the last step at lr / C)."""
    import jax.numpy as jnp
    T = int(total_steps)
    W, C = max(1, round(warmup * T)), max(1, round(cooldown * T))

    def schedule(t):
        t = jnp.asarray(t, jnp.float32)
        return lr * jnp.clip(jnp.minimum((t + 1) / W, (T - t) / C), 0.0, 1.0)
    return schedule


def make(name, *, lr, epochs, K, momentum, weight_decay, nesterov=False) -> Peer:
    """The :class:`Peer` of method ``name`` for a run of ``epochs`` epochs of K steps."""
    import jax.numpy as jnp
    import optax

    from autodrop_theory import optax as ado
    from autodrop_theory import optax_paper as adp
    from autodrop_theory import paper_rules as pr
    from autodrop_theory.rule import AutoDropConfig

    from ..methods import autodrop as ad
    s = 1.0 if nesterov else 0.0
    decay = optax.add_decayed_weights(weight_decay)
    params_itself = lambda state, params: params  # noqa: E731
    T = epochs * K
    if name in ("autodrop", "autodrop_net", "autodrop_paper"):
        # the threshold is calibrated at init from the number of parameters (rule.init)
        cfg = {"autodrop": AutoDropConfig.package, "autodrop_net": AutoDropConfig.network,
               "autodrop_paper": ad.paper_config}[name](lr)     # the library's presets
        tx = optax.chain(decay, ado.autodrop_sgd(cfg, K, momentum=momentum, s=s))
        return Peer(tx, lambda st, t: ado.read(st)["lr"], ado.autodrop_eval_params,
                    lambda st: ado.read(st)["angle_deg"], cfg.saturation_average)
    if name == "autodrop_uai":
        tx = optax.chain(decay, adp.autodrop_uai_sgd(lr, pr.paper_window(K), momentum=momentum,
                                                     s=s))
        return Peer(tx, lambda st, t: adp.read(st)["lr"], params_itself)
    if name == "schedule_free":
        tx = optax.contrib.schedule_free_sgd(lr / (1 - momentum), max(1, round(SF_WARMUP * T)),
                                             b1=momentum, weight_decay=weight_decay)
        warm = optax.warmup_constant_schedule(0.0, lr / (1 - momentum),
                                              max(1, round(SF_WARMUP * T)))
        return Peer(tx, lambda st, t: jnp.asarray(warm(t)),
                    optax.contrib.schedule_free_eval_params, None, True)
    if name == "plateau":
        tx = optax.chain(decay, optax.contrib.reduce_on_plateau(factor=0.1, patience=10,
                                                                accumulation_size=K),
                         um_sgd(lambda t: jnp.asarray(lr), momentum, s))
        return Peer(tx, lambda st, t: lr * st[1].scale, params_itself)
    if name == "step_decay":
        schedule = optax.piecewise_constant_schedule(
            lr, {int(f * epochs) * K: STEP_FACTOR for f in STEP_FRACTIONS})
    elif name == "cosine":
        schedule = optax.cosine_decay_schedule(lr, T)
    elif name == "wsd":
        schedule = wsd_schedule(lr, T)
    elif name in ("constant", "averaged"):
        def schedule(t):
            return jnp.asarray(lr)
    else:
        raise ValueError(f"unknown network method {name!r}; known: {', '.join(METHODS)}")
    rate = lambda st, t: jnp.asarray(schedule(t))  # noqa: E731
    if name == "averaged":
        tx = optax.chain(decay, um_sgd(schedule, momentum, s), iterate_average())
        return Peer(tx, rate, _average_of, None, True)
    return Peer(optax.chain(decay, um_sgd(schedule, momentum, s)), rate, params_itself)
