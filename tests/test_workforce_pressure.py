"""Attrition that rises with elimination pressure: hazard x (1 + k x share eliminated at the start
of the period), against its configured expectation over many agents; its bad input."""
import numpy as np
import pytest
from test_workforce import DAY, center

from ccsim.workforce import Attrition, BottomElimination, WorkforceError, policies_from_spec, run_periods

HAZARD, K = 0.05, 5.0


def quits_against(rows, hazard_of):
    """(quits, expected, variance) over the steps after each period but the last: the agents
    at risk are those on the phones after the eliminations of the same step."""
    quits = expected = variance = 0.0
    for p, row in enumerate(rows[:-1]):
        h = hazard_of(p)
        exposure = row["headcount"] - row["eliminated"]
        quits += row["quit"]
        expected += exposure * h
        variance += exposure * h * (1 - h)
    return quits, expected, variance


def test_attrition_rises_with_elimination_pressure():
    """Bottom 20 % eliminated after each period; quits against Binomial(at risk, hazard x (1 + k
    x share eliminated at the previous step)) summed over steps, within a 99.9 % normal interval;
    the same count is far from the hazard without pressure (the test can tell them apart)."""
    policies = [BottomElimination(fraction=0.2), Attrition(HAZARD, pressure=K)]
    rows = run_periods(center(n=150, horizon=6 * DAY, rate=0.01), DAY, policies, seed=21).rows
    share = [0.0] + [r["eliminated"] / r["headcount"] for r in rows[:-2]]
    assert all(s > 0.1 for s in share[1:])

    quits, expected, variance = quits_against(rows, lambda p: min(1.0, HAZARD * (1 + K * share[p])))
    z = (quits - expected) / np.sqrt(variance)
    assert abs(z) < 3.29, (quits, expected)
    _, flat, flat_var = quits_against(rows, lambda p: HAZARD)
    assert (quits - flat) / np.sqrt(flat_var) > 3.29, (quits, flat)


def test_no_elimination_no_pressure():
    """Without elimination the share is 0: pressure changes nothing (the same quits, draw for draw)."""
    s = center(n=30, horizon=4 * DAY, rate=0.01)
    plain = run_periods(s, DAY, [Attrition(0.1)], seed=3)
    pressed = run_periods(s, DAY, [Attrition(0.1, pressure=50.0)], seed=3)
    assert [r["quit"] for r in plain.rows] == [r["quit"] for r in pressed.rows]
    assert np.array_equal(plain.status, pressed.status)


def test_hazard_is_capped_at_one():
    class Ctx:
        eliminated_share = 0.5

    assert Attrition(0.4, pressure=10).hazard_now(Ctx) == 1.0
    assert Attrition(0.1, pressure=2).hazard_now(Ctx) == pytest.approx(0.2)


@pytest.mark.parametrize("value", [-1, "high", True])
def test_bad_pressure_refused_with_its_path(value):
    with pytest.raises(WorkforceError, match=r"workforce\.policies\[0\]\.pressure"):
        policies_from_spec([{"kind": "attrition", "hazard": 0.1, "pressure": value}])
