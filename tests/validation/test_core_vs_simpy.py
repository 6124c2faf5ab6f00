"""The core against the SimPy reference where no formula exists: two-sample tests.

Independent seeds for the two engines; Welch's t-test on replication values of
each KPI, Bonferroni over all comparisons at a family-wise 1 %. (With the same
seed the two engines agree call for call: tests/test_simpy_engine.py.)
"""
import numpy as np
import pytest
from scipy import stats as st

import ccsim

KPIS = ("service_level", "asa", "abandon_rate", "blocked_rate", "occupancy", "aht")
REPS = 20
ALPHA = 0.01

FEATURES = {
    "name": "every feature the theory does not cover",
    "horizon": 5400, "warmup": 900, "interval": 900, "lines": 45,
    "call_types": [
        {"name": "sales", "arrivals": {"process": "piecewise", "rates": [0.08, 0.2, 0.12], "slot": 1800},
         "handle_time": {"dist": "lognormal", "mean": 150, "cv": 1.1},
         "patience": {"dist": "weibull", "shape": 0.7, "scale": 80},
         "after_call_work": {"dist": "uniform", "low": 5, "high": 25}},
        {"name": "care", "arrivals": {"process": "poisson", "rate": 3.6, "per": "minute"},
         "handle_time": {"dist": "gamma", "mean": 240, "cv": 0.6},
         "patience": {"dist": "empirical", "values": [0, 15, 40, 90, 240]}},
        {"name": "vip", "arrivals": {"process": "poisson", "rate": 0.01},
         "handle_time": {"dist": "deterministic", "value": 200}},
    ],
    "agents": [
        {"name": "generalists", "count": 14, "serves": ["sales", "care", "vip"], "proficiency": 1.2},
        {"name": "sellers", "count": 12, "serves": ["sales"], "proficiency": 0.85},
        {"name": "carers", "count": 10, "serves": ["care", "vip"]},
    ],
}
ERLANG_A_SMALL = {
    "horizon": 20000, "warmup": 2000, "interval": 1000,
    "call_types": [{"name": "inbound", "arrivals": {"process": "poisson", "rate": 0.1},
                    "handle_time": {"dist": "exponential", "mean": 180},
                    "patience": {"dist": "exponential", "mean": 120}}],
    "agents": [{"name": "team", "count": 18, "serves": ["inbound"]}],
}
CUT = {**ERLANG_A_SMALL, "drain": False, "lines": 20}
SCENARIOS = {"features": FEATURES, "erlang_a_small": ERLANG_A_SMALL, "cut_with_lines": CUT}
M = len(SCENARIOS) * len(KPIS)


def kpi_values(scenario, engine, seed):
    return {k: np.array([r.kpis()[k] for r in ccsim.replicate(scenario, REPS, seed=seed, engine=engine)])
            for k in KPIS}


def welch_p(a, b):
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.std() == 0 and b.std() == 0:
        return 1.0 if a.mean() == b.mean() else 0.0
    return st.ttest_ind(a, b, equal_var=False).pvalue


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_core_and_simpy_agree_statistically(name):
    core = kpi_values(SCENARIOS[name], "core", seed=101)
    ref = kpi_values(SCENARIOS[name], "simpy", seed=202)
    rejected = {k: welch_p(core[k], ref[k]) for k in KPIS if welch_p(core[k], ref[k]) < ALPHA / M}
    assert not rejected, f"{name}: engines differ on {rejected}"


def test_the_comparison_detects_one_agent_less():
    """Power: the same test rejects when the reference runs a slightly different center."""
    fewer = {**ERLANG_A_SMALL, "agents": [{"name": "team", "count": 17, "serves": ["inbound"]}]}
    core = kpi_values(ERLANG_A_SMALL, "core", seed=101)
    ref = kpi_values(fewer, "simpy", seed=202)
    assert welch_p(core["occupancy"], ref["occupancy"]) < ALPHA / M
