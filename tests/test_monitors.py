"""The engine's monitors (simulations.monitors): each one's shortcuts agree with its per-step
definition, and the finiteness monitor catches a non-finite iterate."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from simulations.monitors import MONITORS, Boundary, Finite, ScheduleCheck

CONSTS = {"mu": jnp.asarray(0.01), "sigma_sq": jnp.asarray(1.0), "lr_ref": jnp.asarray(0.5),
          "total": jnp.asarray(3000.0)}


@pytest.mark.parametrize("lr", [0.5, 0.1, 1e-6])
def test_the_checks_closed_form_equals_k_steps(lr):
    mon = ScheduleCheck()
    s0 = mon.init(CONSTS, jnp.asarray(4.0))._replace(acc=jnp.asarray(0.3), d=jnp.asarray(0.2))
    fast = mon.steps(CONSTS, s0, jnp.asarray(lr), 37)
    slow = mon.each(CONSTS, s0, jnp.full(37, lr))
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    # and a wrong count is caught by the same comparison
    wrong = mon.steps(CONSTS, s0, jnp.asarray(lr), 36)
    assert not all(np.allclose(a, b, rtol=1e-9, atol=0) for a, b in zip(wrong, slow))


def test_a_restart_closes_the_segment_only_where_x_moved():
    mon = ScheduleCheck()
    s = mon.step(CONSTS, mon.init(CONSTS, jnp.asarray(4.0)), jnp.asarray(0.5))
    t = jnp.asarray(1, jnp.int32)
    kept = mon.boundary(CONSTS, s, Boundary(t, jnp.asarray(3.0), jnp.asarray(3.0), False, None))
    assert all(np.array_equal(a, b) for a, b in zip(kept, s))
    moved = mon.boundary(CONSTS, s, Boundary(t, jnp.asarray(3.0), jnp.asarray(1.0), True, None))
    assert float(moved.d) == 0.0 and float(moved.acc) == 0.0
    assert float(moved.stat) == pytest.approx(float(ScheduleCheck._term(CONSTS, s, t, 3.0)))


def test_the_finiteness_monitor_keeps_a_lost_iterate_lost():
    mon = Finite()
    s = mon.init(CONSTS, jnp.asarray(1.0))
    s = mon.boundary(CONSTS, s, Boundary(0, 0, 0, False, jnp.asarray([1.0, jnp.nan])))
    s = mon.boundary(CONSTS, s, Boundary(0, 0, 0, False, jnp.asarray([1.0, 2.0])))
    assert not bool(mon.finish(CONSTS, s, 0, 0.0)["x_finite"])


def test_every_monitor_output_is_a_trajectories_field():
    from simulations.engine import Trajectories
    outs = set()
    for mon in MONITORS:
        state = mon.init(CONSTS, jnp.asarray(1.0))
        outs |= set(jax.eval_shape(lambda s, mon=mon: mon.finish(
            CONSTS, s, jnp.asarray(1, jnp.int32), jnp.asarray(1.0)), state))
    assert outs <= set(Trajectories._fields)
