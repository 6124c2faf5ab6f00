"""Service level at several thresholds and per call type against the exact M/M/c (Erlang C).

Two call types, each on its own group of c agents with exponential handle times and infinite
patience: two independent M/M/c queues, whose P(W <= t) = 1 - C(c, a) exp(-(c mu - lambda) t)
(``ccsim.analytic.erlang_c_metrics``). ``service_level.thresholds`` counts every t at once;
type ``zero`` has its own threshold 0 (its service level is P(no wait)), type ``std`` the
scenario-wide one. Replications of the core, t intervals Bonferroni-corrected (assert_in_ci).
"""
import sys
from pathlib import Path

import pytest

import ccsim
from ccsim import analytic

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_inbound_exact import assert_in_ci  # noqa: E402

AGENTS, RATE, HANDLE = 5, 0.04, 100.0  # 4 Erl on 5 agents: P(wait) about 0.55
THRESHOLDS = [0.0, 10.0, 30.0, 60.0, 120.0]
OWN = {"zero": 0.0, "std": 30.0}  # std takes the scenario-wide threshold
REPS = 10


def scenario() -> dict:
    types = [{"name": name, "arrivals": {"process": "poisson", "rate": RATE},
              "handle_time": {"dist": "exponential", "mean": HANDLE}} for name in OWN]
    types[0]["service_level_threshold"] = OWN["zero"]
    return {
        "horizon": 200_000, "warmup": 10_000, "interval": 9_500,
        "service_level": {"threshold": OWN["std"], "thresholds": THRESHOLDS},
        "call_types": types,
        "agents": [{"name": f"{name}_team", "count": AGENTS, "serves": [name]} for name in OWN],
    }


def exact_sl(t: float) -> float:
    return analytic.erlang_c_metrics(AGENTS, RATE, HANDLE, t).service_level


@pytest.fixture(scope="module")
def results():
    return ccsim.replicate(scenario(), REPS, seed=808)


def test_service_level_at_every_threshold_is_erlang_c(results):
    values, want = {}, {}
    for r in results:
        table = r.service_levels()["service_level"]
        for name in OWN:
            for t in THRESHOLDS:
                values.setdefault(f"{name}@{t:g}", []).append(table[(name, t)])
                want[f"{name}@{t:g}"] = exact_sl(t)
    assert_in_ci(values, want)


def test_each_call_type_uses_its_own_threshold(results):
    values = {name: [r.kpis_by_call_type()[name]["service_level"] for r in results] for name in OWN}
    assert_in_ci(values, {name: exact_sl(t) for name, t in OWN.items()})
    for r in results:  # the KPI is the count at the type's own threshold, exactly
        table = r.service_levels()["service_level"]
        for name, t in OWN.items():
            assert r.kpis_by_call_type()[name]["service_level"] == table[(name, t)]


def test_the_check_rejects_the_scenario_wide_threshold_for_zero(results):
    """Power: had ``zero`` kept the scenario-wide 30 s, its service level would be P(W <= 30),
    which the same intervals reject against the P(no wait) it shows."""
    values = {"zero": [r.kpis_by_call_type()["zero"]["service_level"] for r in results]}
    with pytest.raises(AssertionError):
        assert_in_ci(values, {"zero": exact_sl(30.0)})
    assert exact_sl(30.0) - exact_sl(0.0) > 0.05


def test_service_level_table_gives_replication_intervals(results):
    from ccsim.results import mean_halfwidth, service_level_table

    table = service_level_table(results)
    row = table.loc[("all", 60.0)]
    per_rep = [r.service_levels()["service_level"][("all", 60.0)] for r in results]
    assert (row["mean"], row["ci_halfwidth"]) == pytest.approx(mean_halfwidth(per_rep))
    assert 0 < row["ci_halfwidth"] < 0.05
