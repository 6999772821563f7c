"""The AutoDrop rule: validation, hand-made trajectories, an independent loop reference, jit/vmap."""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autodrop_theory import AssumptionError
from autodrop_theory.strategies import DrawnRandom
from autodrop_theory.rule import AutoDropConfig, eval_params, init, observe, update


# ------------------------------------------------------------------ configuration validation
@pytest.mark.parametrize("field, value, needle", [
    ("lr", 0.0, "lr: need a value in (0, inf)"),
    ("lr", float("nan"), "lr: need a finite number"),
    ("drop_factor", 1.0, "drop_factor: need a value in (0, 1)"),
    ("drop_factor", 0.0, "drop_factor: need a value in (0, 1)"),
    ("threshold_deg", -1.0, "threshold_deg: need a value in (0, 180]"),
    ("max_threshold_deg", 0.001, "max_threshold_deg: need a value in [0.01, 180]"),
    ("min_lr", 0.5, "min_lr: need a value in [0, 0.1]"),
    ("min_lr", -1e-3, "min_lr: need a value in [0, 0.1]"),
    ("extra_epochs", -1, "extra_epochs: need an integer >= 0, got -1"),
    ("extra_epochs", 2.5, "extra_epochs: need an integer, got 2.5"),
    ("tail_average", 1, "tail_average: need a bool, got 1"),
    ("guard_deg", 200.0, "guard_deg: need a value in [0, 180]"),
    ("eps", -1.0, "eps: need a value in [0, inf)"),
])
def test_config_rejects_bad_field_naming_it(field, value, needle):
    with pytest.raises(AssumptionError) as info:
        dataclasses.replace(AutoDropConfig.published(), **{field: value})
    assert needle in str(info.value)
    assert repr(value) in str(info.value) or str(value) in str(info.value)


def test_tail_average_needs_a_wait():
    with pytest.raises(AssumptionError, match="tail_average: needs a wait of at least one epoch"):
        AutoDropConfig(extra_epochs=0, tail_average=True)
    AutoDropConfig(extra_epochs=0, delay_fraction=0.5, tail_average=True)


def test_published_constants_verbatim():
    c = AutoDropConfig.published()
    assert (c.drop_factor, c.threshold_deg, c.max_threshold_deg, c.min_lr, c.extra_epochs,
            c.tail_average, c.guard_deg, c.eps) == (0.2, 0.01, 1.0, 1e-4, 20, True, 0.0, 1e-8)
    assert AutoDropConfig.published(lr=0.05).lr == 0.05


def test_init_rejects_integer_params_and_wrong_config():
    with pytest.raises(AssumptionError, match="params: need floating-point"):
        init(jnp.zeros(3, jnp.int32), AutoDropConfig())
    with pytest.raises(AssumptionError, match="config: need an AutoDropConfig"):
        init(jnp.zeros(3), {"lr": 0.1})
    with pytest.raises(AssumptionError, match="params: need a pytree with at least one"):
        init(None, AutoDropConfig())


def test_update_rejects_params_unlike_those_at_init():
    from autodrop_theory.rule import update
    state = init(jnp.zeros(3), AutoDropConfig())
    with pytest.raises(AssumptionError, match="params: need 3 parameters of dtype float64"):
        update(state, jnp.zeros(4))
    with pytest.raises(AssumptionError, match="params: need 3 parameters of dtype float64"):
        update(state, jnp.zeros(3, jnp.float32))


# ------------------------------------------------------------------ hand-made trajectories
def path_from_turns(turns_deg, lengths=None):
    """2-d points whose consecutive displacements turn by the given angles (each in [0, 180))."""
    heading, pts = 0.0, [np.zeros(2)]
    lengths = np.ones(len(turns_deg) + 1) if lengths is None else lengths
    for k in range(len(turns_deg) + 1):
        if k:
            heading += math.radians(turns_deg[k - 1])
        pts.append(pts[-1] + lengths[k] * np.array([math.cos(heading), math.sin(heading)]))
    return pts


# one compiled program per argument structure: the hyperparameters are arrays in the state
_update = jax.jit(update)
_average = jax.jit(eval_params)
_observe = jax.jit(observe)


def run(cfg, points):
    state = init(jnp.asarray(points[0]), cfg)
    states, outs = [], []
    for p in points[1:]:
        out, state = _update(state, jnp.asarray(p))
        states.append(state)
        outs.append(np.asarray(out))
    return states, outs


def test_angles_are_the_turning_angles_and_undefined_before_two_displacements():
    turns = [10.0, 35.0, 90.0, 170.0]
    cfg = AutoDropConfig(lr=1.0, threshold_deg=1e-6, max_threshold_deg=1e-6, min_lr=0.0,
                         extra_epochs=0, tail_average=False, eps=0.0)
    states, _ = run(cfg, path_from_turns(turns, lengths=[1.0, 2.0, 0.5, 3.0, 1.5]))
    assert math.isnan(float(states[0].angle_deg))
    np.testing.assert_allclose([float(s.angle_deg) for s in states[1:]], turns, atol=1e-9)


def immediate(theta=1.0, guard=0.0, rho=0.5, min_lr=0.0, theta_max=100.0):
    return AutoDropConfig(lr=1.0, drop_factor=rho, threshold_deg=theta, min_lr=min_lr,
                          max_threshold_deg=theta_max, extra_epochs=0, tail_average=False,
                          guard_deg=guard, eps=0.0)


def test_trigger_fires_exactly_when_the_change_is_below_theta():
    # angles 30, 32.5 (change 2.5), 33.9 (change 1.4), 34.8 (change 0.9 < 1): fires at update 5
    turns = [30.0, 32.5, 33.9, 34.8, 60.0]
    states, _ = run(immediate(theta=1.0), path_from_turns(turns))
    dropped = [bool(s.dropped) for s in states]
    assert dropped == [False, False, False, False, True, False]
    assert float(states[4].lr) == 0.5 and float(states[5].lr) == 0.5
    assert float(states[4].theta) == 2.0          # theta / rho


def test_change_just_above_theta_does_not_fire():
    states, _ = run(immediate(theta=2.0), path_from_turns([40.0, 42.01, 44.02, 46.03]))
    assert not any(bool(s.dropped) for s in states)
    states, _ = run(immediate(theta=2.0, theta_max=2.0),
                    path_from_turns([40.0, 42.01, 43.99, 46.03]))
    assert [bool(s.dropped) for s in states] == [False, False, False, True, False]


def test_guard_blocks_a_trigger_below_the_guard_angle():
    turns = [50.0, 50.0, 50.0, 95.0, 95.0]
    states, _ = run(immediate(theta=1.0, guard=90.0), path_from_turns(turns))
    assert [bool(s.dropped) for s in states] == [False] * 5 + [True]


def test_delay_and_linearly_weighted_tail_average():
    cfg = AutoDropConfig(lr=1.0, drop_factor=0.1, threshold_deg=1.0, max_threshold_deg=5.0,
                         min_lr=0.0, extra_epochs=3, tail_average=True, eps=0.0)
    pts = path_from_turns([20.0, 20.0, 70.0, 10.0, 80.0, 5.0])   # trigger at update 3
    states, outs = run(cfg, pts)
    assert [bool(s.triggered) for s in states[:3]] == [False, False, True]
    assert [bool(s.dropped) for s in states] == [False] * 5 + [True, False]
    expected = (1 * pts[4] + 2 * pts[5] + 3 * pts[6]) / 6.0
    np.testing.assert_allclose(outs[5], expected, rtol=1e-12)
    np.testing.assert_allclose(outs[4], pts[5], rtol=0)            # unchanged while waiting
    assert float(states[5].lr) == pytest.approx(0.1) and float(states[5].theta) == 5.0


def test_lr_floor_and_theta_cap():
    cfg = immediate(theta=1.0, rho=0.5, min_lr=0.3, theta_max=1.5)
    states, _ = run(cfg, path_from_turns([40.0] * 6))
    lrs = [float(s.lr) for s in states]
    # angles from update 2 on, all 40 degrees: the change is 0 from update 3 on, so it fires at
    # every update from the 3rd; the rate hits the floor 0.3 at the 2nd firing and stays
    assert lrs == [1.0, 1.0, 0.5, 0.3, 0.3, 0.3, 0.3]
    assert int(states[-1].num_drops) == 2
    assert int(states[-1].num_fires) == 5
    assert max(float(s.theta) for s in states) == 1.5


def test_params_pytree_roundtrip():
    cfg = immediate(theta=1.0)
    params = {"w": jnp.zeros((2, 2)), "b": jnp.zeros(3)}
    state = init(params, cfg)
    out, state = update(state, {"w": jnp.ones((2, 2)), "b": jnp.ones(3)})
    assert jax.tree_util.tree_structure(out) == jax.tree_util.tree_structure(params)
    assert out["w"].shape == (2, 2)


# ------------------------------------------------------------------ independent reference
def _angle(u, w, eps):
    c = u @ w / (np.linalg.norm(u) * np.linalg.norm(w) + eps)
    return math.degrees(math.acos(min(1.0, max(-1.0, c))))


def reference_rule(cfg, points, observed=None, steps=None, epoch_guard=True):
    """A plain-Python transcription of docs/theory.md §5 and §10 (the wait proportional to the
    stage, stage growth, the wait's confirmation, the estimate averaged since saturation over
    the snapshots or, with ``steps`` (per epoch, its steps' iterates), over the steps, the
    early polynomial-decay average, the observed point, the guard on one epoch's angle only
    with ``epoch_guard``), written without the library.
    Returns per boundary (lr, theta, returned x, estimate)."""
    observed = points if observed is None else observed
    lr, theta = cfg.lr, cfg.threshold_deg
    hist = [np.asarray(points[0], float)]        # init sees the parameters (no velocity yet)
    omegas, triggered, wait, acc, wait_sum, wait_n, cos_sum = [], False, 0, 0.0, 0.0, 0, 0.0
    stage, prev_stage, target, need, fired, sat_sum, sat_n = 0, 0, 0, 0, False, 0.0, 0
    early_sum, early_w, x_trig, x_mid = 0.0, 0.0, None, None
    out = []
    for e, (p, q) in enumerate(zip(points[1:], observed[1:]), start=1):
        weight = float(e) ** cfg.early_power
        if cfg.step_average:
            for xs in steps[e - 1]:
                xs = np.asarray(xs, float)
                if triggered:
                    wait_sum, wait_n = wait_sum + xs, wait_n + 1
                if fired:
                    sat_sum, sat_n = sat_sum + xs, sat_n + 1
                early_sum, early_w = early_sum + weight * xs, early_w + weight
        x, obs = np.asarray(p, float), np.asarray(q, float)
        raw = x.copy()
        stage += 1
        omega = _angle(obs - hist[-1], hist[-1] - hist[-2], cfg.eps) if len(hist) >= 2 else math.nan
        if triggered:
            wait += 1
            acc = acc + wait * x
            if not cfg.step_average:
                wait_sum, wait_n = wait_sum + x, wait_n + 1
            cos_sum += math.cos(math.radians(omega))
            if wait == max((need + 1) // 2, 1):      # half of the wait actually taken
                x_mid = obs
        elif len(omegas) >= 1 and not math.isnan(omegas[-1]) and not math.isnan(omega) and \
                abs(omega - omegas[-1]) < theta and (omega >= cfg.guard_deg or not epoch_guard):
            triggered, x_trig = True, obs
            target = cfg.extra_epochs + math.ceil(cfg.delay_fraction * stage)
            need = max(target, math.ceil(cfg.stage_growth * prev_stage - stage))
        if fired and not cfg.step_average:
            sat_sum, sat_n = sat_sum + raw, sat_n + 1
        if not cfg.step_average:
            early_sum, early_w = early_sum + weight * raw, early_w + weight
        if triggered and wait >= target and stage >= cfg.stage_growth * prev_stage:
            if (not cfg.confirm_wait or wait < 2
                    or _angle(obs - x_mid, x_mid - x_trig, cfg.eps) >= cfg.guard_deg):
                if not fired:
                    if wait_n:
                        sat_sum, sat_n = wait_sum, wait_n
                    elif not cfg.step_average:
                        sat_sum, sat_n = raw, 1
                    fired = True
                if lr > cfg.min_lr * (1 + 4 * np.finfo(float).eps):
                    lr = max(cfg.min_lr, cfg.drop_factor * lr)
                theta = min(cfg.max_threshold_deg, theta / cfg.drop_factor)
                if cfg.tail_average:
                    x = acc / (wait * (wait + 1) / 2)
                prev_stage, stage = stage, 0
            triggered, wait, acc, wait_sum, wait_n, cos_sum = False, 0, 0.0, 0.0, 0, 0.0
        if not cfg.saturation_average:
            est = x
        elif sat_n:
            est = sat_sum / sat_n
        elif triggered and wait > 0 and wait_n and \
                cos_sum <= math.cos(math.radians(cfg.guard_deg)) * wait:
            est = wait_sum / wait_n
        elif cfg.early_average and early_w > 0:
            est = early_sum / early_w
        else:
            est = x
        omegas.append(omega)
        hist.append(obs + (x - raw))
        out.append((lr, theta, x.copy(), np.array(est, float)))
    return out


@given(data=st.data(), extra=st.integers(0, 4), tail=st.booleans(),
       guard=st.sampled_from([0.0, 60.0, 90.0]), theta=st.sampled_from([2.0, 10.0, 30.0]),
       delay=st.sampled_from([0.0, 0.5, 1.0]), growth=st.sampled_from([0.0, 1.4]),
       averaging=st.booleans(), observe=st.booleans(), per_step=st.booleans(),
       confirm=st.booleans(), early=st.booleans(), epoch_guard=st.booleans())
def test_rule_matches_independent_reference(data, extra, tail, guard, theta, delay, growth,
                                            averaging, observe, per_step, confirm, early,
                                            epoch_guard):
    """The trajectory's steps are drawn (and shrunk) by hypothesis; with ``observe`` the angle
    is measured on a second drawn sequence (the momentum-corrected point); with ``per_step``
    the averages see three drawn step iterates per epoch (through ``observe``, the last one
    called with the sum of two)."""
    tail = tail and (extra > 0 or delay > 0)
    cfg = AutoDropConfig(lr=1.0, drop_factor=0.5, threshold_deg=theta, max_threshold_deg=60.0,
                         min_lr=0.1, extra_epochs=extra, tail_average=tail, guard_deg=guard,
                         delay_fraction=delay, stage_growth=growth, saturation_average=averaging,
                         step_average=per_step, confirm_wait=confirm, early_average=early,
                         early_power=1.5)
    draw = DrawnRandom(data)
    pts = list(np.cumsum(draw.standard_normal((18, 3)), axis=0))
    obs = [p + 0.5 * n for p, n in zip(pts, draw.standard_normal((18, 3)))] if observe else None
    steps = [p + draw.standard_normal((3, 3)) for p in pts[1:]]
    _check_against_reference(cfg, pts, obs, steps, epoch_guard)


def _check_against_reference(cfg, pts, obs, steps, epoch_guard=True):
    """Run the library over the boundaries (each epoch's steps through ``observe``: the first
    alone, the other two as one sum) and compare with :func:`reference_rule` at every one."""
    state = init(jnp.asarray(pts[0]), cfg)
    ref = reference_rule(cfg, pts, obs, steps, epoch_guard)
    guard_flag = jnp.asarray(epoch_guard)
    for k, (lr, th, x, est) in enumerate(ref):
        state = _observe(state, jnp.asarray(steps[k][0]), 1)
        state = _observe(state, jnp.asarray(steps[k][1] + steps[k][2]), 2)
        seen = None if obs is None else jnp.asarray(obs[k + 1])
        got, state = _update(state, jnp.asarray(pts[k + 1]), seen, guard_flag)
        assert float(state.lr) == pytest.approx(lr, rel=1e-12)
        assert float(state.theta) == pytest.approx(th, rel=1e-12)
        np.testing.assert_allclose(got, x, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(_average(state, got), est, rtol=1e-10, atol=1e-12)
    return ref


def test_rule_matches_the_reference_on_random_walks_where_the_confirmation_matters():
    """Seeded random walks (whose wait halves are independent, so about half the waits fail
    the 60-degree confirmation) with every averaging knob on: the library equals the reference
    at every boundary, and the confirmation changes the rate path on some of the walks (so the
    comparison covers a refused drop)."""
    rng = np.random.default_rng(12)
    cfg = AutoDropConfig(lr=1.0, drop_factor=0.5, threshold_deg=30.0, max_threshold_deg=60.0,
                         min_lr=0.1, extra_epochs=0, delay_fraction=1.0, tail_average=True,
                         guard_deg=60.0, saturation_average=True, step_average=True,
                         confirm_wait=True, early_average=True, early_power=2.0)
    unconfirmed = dataclasses.replace(cfg, confirm_wait=False)
    changed = 0
    for _ in range(12):
        pts = list(np.cumsum(rng.standard_normal((25, 3)), axis=0))
        steps = [p + rng.standard_normal((3, 3)) for p in pts[1:]]
        ref = _check_against_reference(cfg, pts, None, steps)
        free = reference_rule(unconfirmed, pts, None, steps)
        changed += [r[0] for r in ref] != [r[0] for r in free]
    assert changed >= 3, changed


@given(data=st.data(), lr=st.sampled_from([1.0, 0.5, 3.0]), rho=st.floats(0.05, 0.95),
       theta=st.floats(0.5, 40.0), cap=st.floats(1.0, 4.0), floor=st.floats(0.0, 0.9),
       extra=st.integers(0, 3), tail=st.booleans(), guard=st.sampled_from([0.0, 90.0]))
def test_rule_invariants_on_drawn_configurations_and_trajectories(data, lr, rho, theta, cap,
                                                                   floor, extra, tail, guard):
    """Whatever the configuration and trajectory: the rate never increases and never goes
    below min_lr; it changes only when a drop is reported (a firing); theta never decreases
    and stays within [theta_0, theta_max]; the returned point is the input, except at a firing
    with tail averaging (at the floor too), where it is the linearly weighted mean of the last
    extra_epochs inputs."""
    tail = tail and extra > 0
    cfg = AutoDropConfig(lr=lr, drop_factor=rho, threshold_deg=theta,
                         max_threshold_deg=theta * cap, min_lr=lr * floor, extra_epochs=extra,
                         tail_average=tail, guard_deg=guard)
    pts = list(np.cumsum(DrawnRandom(data).standard_normal((20, 2)), axis=0))
    states, outs = run(cfg, pts)
    lrs = [lr] + [float(s.lr) for s in states]
    thetas = [theta] + [float(s.theta) for s in states]
    assert all(b <= a for a, b in zip(lrs, lrs[1:]))
    assert min(lrs) >= cfg.min_lr * (1 - 1e-12)
    assert all(b >= a for a, b in zip(thetas, thetas[1:]))
    assert max(thetas) <= cfg.max_threshold_deg * (1 + 1e-12)
    weights = np.arange(1, extra + 1) / (extra * (extra + 1) / 2)
    fires = [0] + [int(s.num_fires) for s in states]
    for k, (s, out) in enumerate(zip(states, outs)):
        if lrs[k + 1] != lrs[k]:
            assert bool(s.dropped) and fires[k + 1] == fires[k] + 1
        if fires[k + 1] > fires[k] and tail:      # a firing (a drop, or at the floor) jumps
            np.testing.assert_allclose(out, weights @ np.array(pts[k + 2 - extra:k + 2]),
                                       rtol=1e-10, atol=1e-12)
        else:
            np.testing.assert_array_equal(out, pts[k + 1])


# ------------------------------------------------------------------ jit / vmap
def test_jit_and_vmap_agree_with_eager():
    cfg = AutoDropConfig(lr=1.0, drop_factor=0.5, threshold_deg=20.0, max_threshold_deg=60.0,
                         min_lr=0.0, extra_epochs=2, tail_average=True, guard_deg=0.0)
    rng = np.random.default_rng(3)
    paths = np.cumsum(rng.standard_normal((4, 15, 5)), axis=1)          # 4 seeds
    jupdate = jax.jit(update)
    # eager, per seed
    eager = []
    for path in paths:
        s = init(jnp.asarray(path[0]), cfg)
        for p in path[1:]:
            _, s = update(s, jnp.asarray(p))
        eager.append(s)
    # jit + vmap over seeds
    s = jax.vmap(lambda x: init(x, cfg))(jnp.asarray(paths[:, 0]))
    step = jax.jit(jax.vmap(update))
    for k in range(1, paths.shape[1]):
        _, s = step(s, jnp.asarray(paths[:, k]))
    for i, e in enumerate(eager):
        for field in ("lr", "theta", "angle_deg", "num_drops", "num_fires", "x_prev"):
            np.testing.assert_allclose(np.asarray(getattr(s, field))[i],
                                       np.asarray(getattr(e, field)), rtol=1e-12)
    assert any(int(e.num_drops) > 0 for e in eager), "the test trajectory must exercise a drop"
    # a jitted single update equals the eager one, in every field of the state and the point
    s0 = init(jnp.asarray(paths[0, 0]), cfg)
    a = jupdate(s0, jnp.asarray(paths[0, 1]))
    b = update(s0, jnp.asarray(paths[0, 1]))
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-12)
    assert len(jax.tree_util.tree_leaves(a)) >= 10


def test_float32_params_keep_float32_state():
    s = init(jnp.zeros(3, jnp.float32), AutoDropConfig())
    _, s = update(s, jnp.ones(3, jnp.float32))
    assert s.lr.dtype == jnp.float32 and s.x_prev.dtype == jnp.float32
    assert s.num_drops.dtype == jnp.int32


# ---------------------------------------------- edge semantics, pinned at exact ties (docstring)
def _run_hyper(cfg, points, **changes):
    """The rule from ``cfg`` with some resolved hyperparameters replaced by exact values."""
    from autodrop_theory.rule import init_from_hyper, split, update
    features, hyper = split(cfg, 2)
    state = init_from_hyper(jnp.asarray(points[0]), hyper._replace(**changes), features)
    states = []
    for p in points[1:]:
        _, state = update(state, jnp.asarray(p))
        states.append(state)
    return states


def test_at_an_exact_tie_the_trigger_is_strict_and_the_guard_is_not():
    """|omega_e - omega_{e-1}| < theta fires, = theta does not; omega_e >= guard passes, a guard
    one ulp above omega_e blocks (the first update that may fire is the third)."""
    pts = path_from_turns([40.0, 42.0, 50.0, 62.0])          # changes 2, 8, 12: only 2 can tie
    angles = [float(s.angle_deg) for s in run(immediate(theta=1e-9), pts)[0]]
    change = abs(angles[2] - angles[1])
    fired = [bool(s.dropped) for s in _run_hyper(immediate(), pts, theta=change)]
    assert fired == [False] * 5
    above = np.nextafter(change, np.inf)
    fired = [bool(s.dropped) for s in _run_hyper(immediate(), pts, theta=above)]
    assert fired == [False, False, True, False, False]
    pts = path_from_turns([95.0, 95.0, 60.0, 60.0])     # only the 3rd update can pass
    angle = [float(s.angle_deg) for s in run(immediate(theta=1e-9), pts)[0]][2]
    fired = [bool(s.dropped) for s in _run_hyper(immediate(theta=1.0), pts, guard_deg=angle)]
    assert fired[2] and sum(fired) == 1
    fired = [bool(s.dropped) for s in _run_hyper(immediate(theta=1.0), pts,
                                                 guard_deg=np.nextafter(angle, np.inf))]
    assert not any(fired)


def test_at_the_floor_a_firing_tail_averages_and_grows_theta_but_is_not_a_drop():
    """``dropped`` and ``num_drops`` report lowerings only; ``num_fires`` every firing; theta
    grows on every firing; a rate within 4 ulps of min_lr is at the floor, 8 ulps above is not."""
    eps = np.finfo(np.float64).eps
    pts = path_from_turns([40.0] * 4)                          # fires at the 3rd update on
    for lr, lowered in ((0.3 * (1 + 2 * eps), False), (0.3 * (1 + 8 * eps), True)):
        states = _run_hyper(immediate(rho=0.5, min_lr=0.3, theta=1.0, theta_max=100.0), pts,
                            lr=lr)
        s = states[2]
        assert bool(s.dropped) is lowered and int(s.num_drops) == int(lowered)
        assert int(s.num_fires) == 1 and float(s.theta) == 2.0       # theta / rho either way
        assert float(s.lr) == (0.3 if lowered else lr)


def test_a_wait_longer_than_int32_can_square_still_averages_correctly():
    """A wait of 50,000 epochs: its weights sum_k k = W (W + 1)/2 exceed int32 (W (W + 1)
    overflows from W = 46,341), which once turned the tail average into garbage at long
    horizons (a run of 4e5 epochs diverged after its 22nd drop).  Constant snapshots c: every
    angle is 90 degrees (zero displacements, eps > 0), the trigger fires at the fourth snapshot,
    and the drop 50,000 epochs later must land on c."""
    W = 50_000
    cfg = AutoDropConfig(lr=1.0, drop_factor=0.5, threshold_deg=1.0, max_threshold_deg=1.0,
                         min_lr=0.0, extra_epochs=W, tail_average=True, guard_deg=0.0)
    c = jnp.array([3.0, -2.0])

    def step(state, _):
        x, state = update(state, c)
        return state, (x, state.num_drops)

    _, (xs, drops) = jax.lax.scan(step, init(c, cfg), None, length=W + 5)
    first = int(np.argmax(np.asarray(drops) > 0))
    assert np.asarray(drops)[-1] == 1 and first == W + 2
    np.testing.assert_allclose(np.asarray(xs)[first], np.asarray(c), rtol=1e-12)


def test_a_calibrated_threshold_above_the_default_cap_starts_without_growth():
    """AutoDropConfig(threshold_deg=None) keeps the default cap of 1 degree, below the
    calibrated theta_0 for d < 342: init works, theta stays at theta_0 (the cap never undoes
    the calibration); a cap above theta_0 is kept."""
    from autodrop_theory.rule import calibrated_threshold_deg
    theta = calibrated_threshold_deg(10)
    assert theta > 1.0
    s = init(jnp.zeros(10), AutoDropConfig(threshold_deg=None))
    assert float(s.theta) == pytest.approx(theta) and float(s.theta_max) == pytest.approx(theta)
    s = init(jnp.zeros(10), AutoDropConfig(threshold_deg=None, max_threshold_deg=50.0))
    assert float(s.theta_max) == 50.0
    s = init(jnp.zeros(400), AutoDropConfig(threshold_deg=None))
    assert float(s.theta_max) == 1.0 and float(s.theta) < 1.0


# ------------------------------------------------------------------ the trend test (network preset)
def _trend(angles, n, z=1.0, window=0.25):
    """The trend test on a buffer of angles (newest last) at stage epoch n."""
    from autodrop_theory import rule
    cfg = rule.AutoDropConfig.network(0.1, trend_z=z, trend_window=window)
    _, hp = rule.split(cfg, 10)
    buf = np.full(2 * rule.TREND_MAX_WINDOW, np.nan)
    buf[-len(angles):] = angles
    return bool(rule._trend_steady(jnp.asarray(buf), jnp.asarray(n, jnp.int32),
                                   jax.tree_util.tree_map(jnp.asarray, hp)))


def test_trend_test_passes_a_flat_noisy_angle_at_its_t_rate_and_refuses_a_rise():
    """At stage epoch 40 the windows hold w = 10 angles each; a flat angle with Gaussian noise
    (any level: 40 or 110 degrees) passes with the probability P(|T_18| < z) of the pooled
    two-sample t statistic (200 draws, tolerance 4 binomial standard errors); a rise of 2
    degrees per epoch (a mean difference of 20 degrees against a standard error of 1.8) never
    passes."""
    from scipy import stats
    rng = np.random.default_rng(7)
    for level in (40.0, 110.0):
        hits = [_trend(level + 4.0 * rng.standard_normal(20), 40) for _ in range(200)]
        p = 2 * stats.t.cdf(1.0, 18) - 1
        assert abs(np.mean(hits) - p) <= 4 * np.sqrt(p * (1 - p) / 200)
    rising = [_trend(80 + 2.0 * np.arange(20) + 4.0 * rng.standard_normal(20), 40)
              for _ in range(50)]
    assert not any(rising)


def test_trend_test_refuses_undefined_angles_and_windows_outside_the_stage():
    flat = 110 + np.tile([1.0, -1.0], 10)           # exactly flat means: steady when defined
    assert _trend(flat, 40)
    corrupted = flat.copy()
    corrupted[5] = np.nan                           # an undefined angle inside the windows
    assert not _trend(corrupted, 40)
    assert not _trend(flat[-6:], 6)                 # 2 w = 6 > n - 1 = 5: the drop's angle
    assert _trend(flat[-6:], 7)


def test_network_preset_is_not_the_default_and_its_knobs_are_checked():
    from autodrop_theory import rule
    assert not rule.features(rule.AutoDropConfig.package()).trend_test
    assert rule.features(rule.AutoDropConfig.network()).trend_test
    for bad in (dict(trend_window=0.6), dict(trend_z=0.0)):
        with pytest.raises(AssumptionError, match=next(iter(bad))):
            rule.AutoDropConfig.network(0.1, **bad)
