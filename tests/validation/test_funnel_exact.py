"""The sales funnel against its closed form: with Poisson traffic, plenty of agents (no waiting)
and known probabilities, mean orders, signed orders and collected revenue per replication lie
inside their confidence intervals (99.9 %) around the expectations, over core replications."""
import sys
from pathlib import Path

import numpy as np

from ccsim.compile import compile_scenario
from ccsim.engines import ENGINES
from ccsim.results import FUNNEL_FIELDS
from ccsim.scenario import validate_scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from engine_checks import fields  # noqa: E402

DAY = 86400.0


def exp(mean):
    return {"dist": "exponential", "mean": mean}


RATE, HORIZON, P = 0.05, 4 * 3600.0, 0.3
CONFIRM, CANCEL, ATTEMPTS, SIGN = 0.6, 0.1, 3, 0.8
VALUE, CROSS_P, CROSS = 300.0, 0.25, 80.0


def poisson_funnel():
    """Plenty of agents (no waiting), known probabilities, delays short against the cut."""
    return {
        "name": "poisson_funnel", "horizon": HORIZON, "interval": 3600,
        "call_types": [{"name": "sales", "arrivals": {"process": "poisson", "rate": RATE},
                        "handle_time": exp(180)}],
        "agents": [{"name": "team", "count": 200, "serves": ["sales"]}],
        "funnel": {"follow_days": 30, "call_types": {"sales": {
            "conversion": P, "order_value": {"dist": "gamma", "mean": VALUE, "cv": 0.5},
            "cross_sell": {"p": CROSS_P, "value": exp(CROSS)}}},
            "verification": {"delay": exp(3600), "confirm": CONFIRM, "cancel": CANCEL, "retry_delay": exp(3600),
                             "max_attempts": ATTEMPTS, "deadline_hours": 1e5},
            "shipping": {"delay": exp(DAY)}, "settlement": {"delay": exp(DAY)},
            "returns": {"delay": exp(DAY)}, "delivery": {"delay": exp(DAY), "sign_for": SIGN}},
    }


def _inside(values, expected, what):
    values = np.asarray(values, dtype=float)
    half = 3.29 * values.std(ddof=1) / np.sqrt(len(values))  # 99.9 %
    assert abs(values.mean() - expected) < half, f"{what}: mean {values.mean():.2f} +- {half:.2f}, expected {expected:.2f}"
    return half


def test_orders_signed_and_revenue_match_the_closed_form():
    model = compile_scenario(validate_scenario(poisson_funnel()))
    reps = [ENGINES["core"](model, seed) for seed in range(60)]
    f = [fields(r.funnel_types[0], FUNNEL_FIELDS) for r in reps]
    calls = RATE * HORIZON
    fail = 1.0 - CONFIRM - CANCEL
    verified = CONFIRM * sum(fail ** i for i in range(ATTEMPTS))
    orders = calls * P
    _inside([x["sales_answered"] for x in f], calls, "answered")
    half = _inside([x["orders"] for x in f], orders, "orders")
    _inside([x["signed"] for x in f], orders * verified * SIGN, "signed")
    _inside([x["collected_value"] for x in f], orders * verified * SIGN * (VALUE + CROSS_P * CROSS), "revenue")
    _inside([x["cancelled_unreached"] for x in f], orders * fail ** ATTEMPTS, "unreached")
    # power: a conversion 10 % off lies outside the interval
    assert abs(np.mean([x["orders"] for x in f]) - 1.1 * orders) > half


def test_conversion_from_agent_abilities_and_channels():
    """Each agent's conversion ability replaces the type's; orders per agent follow it."""
    s = poisson_funnel()
    s["agents"] = [{"name": "team", "serves": ["sales"], "members": [
        {"id": f"a{i}", "conversion": 0.1 * (i % 5)} for i in range(40)]}]
    model = compile_scenario(validate_scenario(s))
    answered, orders = np.zeros(40), np.zeros(40)
    for seed in range(20):
        r = ENGINES["core"](model, seed)
        answered += r.funnel_agents[:, FUNNEL_FIELDS.index("sales_answered")]
        orders += r.funnel_agents[:, FUNNEL_FIELDS.index("orders")]
    p = model.agent_conversion
    expected = answered * p
    z = (orders.reshape(8, 5).sum(axis=0) - expected.reshape(8, 5).sum(axis=0)) / np.sqrt(
        (answered * p * (1 - p)).reshape(8, 5).sum(axis=0) + 1e-12)
    assert orders[p == 0].sum() == 0
    assert (np.abs(z) < 3.5).all(), z


