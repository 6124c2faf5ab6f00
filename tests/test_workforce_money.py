"""Collected cash and every cost in the period rows: with no policy, the rows add up to the
single long run's money report (``ccsim.money``), and each row's profit is collected cash
minus all its costs."""
import copy

import numpy as np
import pytest
from test_funnel import FULL

from ccsim.api import simulate
from ccsim.money import cost_breakdown, money_kpis
from ccsim.workforce import run_periods

COSTS = {"agent_hour": 30, "by_group": {"stars": 45}, "telecom_minute": 0.12, "fulfilment_per_order": 6,
         "shipping_per_order": 9, "return_per_order": 4}


def priced():
    s = copy.deepcopy(FULL)
    s["costs"] = COSTS
    s["agents"][0]["members"][1]["cost_per_hour"] = 60
    return s


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_no_policy_rows_add_up_to_the_single_runs_money(engine):
    periods = run_periods(priced(), 5 * 3600.0, [], seed=4, engine=engine)
    whole = simulate(priced(), seed=np.random.SeedSequence(4), engine=engine)
    t = periods.table()
    money, cost = money_kpis(whole), cost_breakdown(whole)
    assert money["collected_revenue"] > 0 and t["collected"].sum() == pytest.approx(money["collected_revenue"],
                                                                                    rel=1e-12)
    assert t["revenue"].sum() == pytest.approx(whole.stats.funnel_types[:, 2].sum(), rel=1e-12)
    for item in ("agents", "telecom", "fulfilment", "shipping", "returns", "ads"):
        assert cost[item] > 0, item
        assert t[f"cost_{item}"].sum() == pytest.approx(cost[item], rel=1e-9), item
    assert t["cost"].sum() == pytest.approx(money["total_cost"], rel=1e-9)
    assert t["profit"].sum() == pytest.approx(money["profit"], rel=1e-9)
    np.testing.assert_allclose(t["profit"], t["collected"] - t["cost"])
