"""Unified momentum (autodrop_theory.momentum, docs/theory.md §6b): the three named cases are the
methods they name, bit for bit where the docs say so, and the paper's three-sequence form (eq. 9)
is the one-buffer recursion."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from autodrop_theory import momentum as um
from autodrop_theory.errors import AssumptionError

T, D = 60, 7


def _grads(seed=0):
    return jnp.asarray(np.random.default_rng(seed).normal(size=(T, D)))


def _rates():
    # a rate that drops twice: the cases must agree with a varying rate too
    return jnp.asarray(np.repeat([0.1, 0.03, 0.005], T // 3))


def _run_um(grads, lrs, beta, s, x0):
    def body(c, gl):
        x, m = c
        g, lr = gl
        dx, m = um.step(g + 0.5 * x, m, lr, beta, s)       # a gradient that depends on x
        return (x + dx, m), x + dx
    _, xs = jax.lax.scan(body, (x0, um.init(x0)), (grads, lrs))
    return xs


def test_s0_is_the_heavy_ball_step_bit_for_bit():
    grads, lrs, x0, beta = _grads(), _rates(), jnp.ones(D), 0.9

    def body(c, gl):
        x, delta = c
        g, lr = gl
        dx = -lr * (g + 0.5 * x) + beta * delta
        return (x + dx, dx), x + dx
    _, ref = jax.lax.scan(body, (x0, jnp.zeros(D)), (grads, lrs))
    assert np.array_equal(_run_um(grads, lrs, beta, 0.0, x0), ref)


def test_plain_sgd_s_is_plain_sgd_to_rounding():
    """Equal in exact arithmetic, and step by step the same roundings (c = 0 exactly, so the
    buffer term adds an exact zero); XLA's CPU backend may still contract a multiply and an add
    into one fused multiply-add in one program and not the other, so the two trajectories may
    differ by an ulp per step: checked to 1e-14 relative over 60 steps of a contraction."""
    grads, lrs, x0, beta = _grads(1), _rates(), jnp.ones(D), 0.9
    s = um.plain_sgd_s(beta)

    def body(x, gl):
        g, lr = gl
        x = x - (s * lr) * (g + 0.5 * x)
        return x, x
    _, ref = jax.lax.scan(body, x0, (grads, lrs))
    assert float(um.coefficient(beta, s)) == 0.0
    np.testing.assert_allclose(_run_um(grads, lrs, beta, s, x0), ref, rtol=1e-14, atol=1e-15)
    # and the comparison can fail: s off by 1e-6 relative is detectably another method
    assert not np.allclose(_run_um(grads, lrs, beta, s * (1 - 1e-6), x0), ref, rtol=1e-10)


def test_s1_is_optax_nesterov_at_a_constant_rate():
    grads, x0, beta, lr = _grads(2), jnp.ones(D), 0.9, 0.05
    opt = optax.sgd(lr, momentum=beta, nesterov=True)

    def body(c, g):
        x, st = c
        u, st = opt.update(g + 0.5 * x, st, x)
        x = optax.apply_updates(x, u)
        return (x, st), x
    _, ref = jax.lax.scan(body, (x0, opt.init(x0)), grads)
    ours = _run_um(grads, jnp.full(T, lr), beta, 1.0, x0)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("s", [0.0, 0.5, 1.0, 3.0])
def test_the_buffer_form_is_the_papers_three_sequence_form(s):
    """x_{t+1} = y_{t+1} + beta (y^s_{t+1} - y^s_t), y^s_0 = x_0 (eq. 9), with a varying rate."""
    grads, lrs, x0, beta = _grads(3), _rates(), jnp.ones(D), 0.8
    x, ys, ref = x0, x0, []
    for g, lr in zip(grads, lrs):
        g = g + 0.5 * x
        y_new, ys_new = x - lr * g, x - s * lr * g
        x, ys = y_new + beta * (ys_new - ys), ys_new
        ref.append(x)
    np.testing.assert_allclose(_run_um(grads, lrs, beta, s, x0), np.stack(ref), rtol=1e-11,
                               atol=1e-12)
    # and a wrong s is not the paper's form (the comparison can fail)
    assert not np.allclose(_run_um(grads, lrs, beta, s + 0.25, x0), np.stack(ref), rtol=1e-6)


@pytest.mark.parametrize("s", [0.0, 1.0, 2.0])
def test_the_sgd_point_moves_as_plain_sgd_at_a_constant_rate(s):
    beta, lr, x = 0.9, 0.02, jnp.arange(D, dtype=float)
    m = um.init(x)
    z = um.sgd_point(x, m, beta, s)
    for g in _grads(4)[:10]:
        dx, m = um.step(g, m, lr, beta, s)
        x = x + dx
        z_new = um.sgd_point(x, m, beta, s)
        np.testing.assert_allclose(z_new - z, -lr / (1 - beta) * g, rtol=1e-10, atol=1e-12)
        z = z_new


def test_pytrees_and_named_s():
    params = {"w": jnp.ones((2, 3)), "b": jnp.zeros(3)}
    dx, m = um.step(params, um.init(params), 0.1, 0.5, 1.0)
    assert jax.tree_util.tree_structure(dx) == jax.tree_util.tree_structure(params)
    np.testing.assert_allclose(dx["w"], -(0.1 + 0.5 * 0.1) * np.ones((2, 3)))
    assert um.check(0.5, "sgd") == (0.5, 2.0)
    assert um.check(0.9, "nesterov") == (0.9, 1.0)


@pytest.mark.parametrize("beta,s,needle", [
    (1.0, 0.0, "momentum"), (-0.1, 0.0, "momentum"), (0.5, -1.0, "s:"),
    (0.5, float("nan"), "s:"), (0.5, "nesterovv", "s:"), (True, 0.0, "momentum")])
def test_bad_momentum_or_s_is_refused(beta, s, needle):
    with pytest.raises(AssumptionError, match=needle):
        um.check(beta, s)
