"""SGD_ONE_STEP_FINITE_SUM against PEPit's performance-estimation SDP (``wc_sgd``: the worst
case of one SGD step over finite sums of L-smooth, mu-strongly convex functions with
E||grad f_i(x*)||^2 <= v^2 and ||x_0 - x*|| <= R), solved numerically by cvxpy's open-source
solver.  The SDP value is an independent computation of the same worst case; the tolerance
1e-4 relative covers the interior-point solver's accuracy (measured 2e-12 to 1.5e-5)."""

import pytest
from PEPit.examples.stochastic_and_randomized_convex_minimization import wc_sgd

from autodrop_theory.bounds import SGD_ONE_STEP_FINITE_SUM

POINTS = [  # (mu, L, eta, v, R): below 1/L, at 1/L, between 1/L and 2/(mu + L), above it
    (0.1, 1.0, 0.5, 0.5, 1.0),
    (0.1, 1.0, 1.0, 1.0, 2.0),
    (0.2, 2.0, 0.3, 1.0, 1.0),
    (0.3, 1.0, 1.8, 0.7, 1.5),
]


@pytest.mark.parametrize("mu, L, eta, v, R", POINTS)
def test_closed_form_equals_the_pepit_worst_case(mu, L, eta, v, R):  # noqa: N803
    sdp, _ = wc_sgd(L=L, mu=mu, gamma=eta, v=v, R=R, n=2, verbose=-1)
    ours = float(SGD_ONE_STEP_FINITE_SUM(mu=mu, L=L, lr=eta, sigma_star_sq=v * v, r0_sq=R * R))
    assert sdp == pytest.approx(ours, rel=1e-4)


def test_a_corrupted_closed_form_is_told_apart_from_the_sdp():
    """The closed form with its square-root term dropped differs from the SDP by far more than
    the tolerance at a point where that term matters."""
    mu, L, eta, v, R = POINTS[1]  # noqa: N806
    sdp, _ = wc_sgd(L=L, mu=mu, gamma=eta, v=v, R=R, n=2, verbose=-1)
    a, b = (1 - eta * mu), (1 - eta * L)
    corrupt = (a * a + b * b) / 2 * R * R + eta * eta * v * v
    assert corrupt != pytest.approx(sdp, rel=1e-4)
