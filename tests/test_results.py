"""KPIs from counters, per-interval tables, batch means and summaries."""
import math

import numpy as np
import pytest

import ccsim
from ccsim.results import CALL_FIELDS, KPI_NAMES, compute_kpis, summarize, t_halfwidth
from factories import single_queue


def counters(**values):
    row = np.zeros(len(CALL_FIELDS))
    for name, value in values.items():
        row[CALL_FIELDS.index(name)] = value
    return row


def test_kpi_definitions_and_service_level_denominators():
    row = counters(arrived=110, blocked=10, offered=100, answered=80, abandoned=20, answered_in_sl=60,
                   abandoned_short=5, wait_answered=400, wait_abandoned=300, talk=14000, handle=16000)
    k = compute_kpis(row, busy=50.0, staffed=100.0)
    assert k["service_level"] == 0.6 and k["abandon_rate"] == 0.2 and k["blocked_rate"] == 10 / 110
    assert k["asa"] == 5.0 and k["aht"] == 200.0 and k["occupancy"] == 0.5 and k["mean_wait_abandoned"] == 15
    assert compute_kpis(row, 1, 1, "answered")["service_level"] == 0.75
    assert compute_kpis(row, 1, 1, "offered_excl_short_abandons")["service_level"] == 60 / 95


def test_empty_denominators_give_nan_not_errors():
    k = compute_kpis(counters(), busy=0.0, staffed=0.0)
    assert all(math.isnan(k[name]) for name in ("service_level", "asa", "abandon_rate", "occupancy", "aht"))


def test_t_halfwidth_matches_the_textbook_formula():
    values = [1.0, 2.0, 4.0, 7.0]
    from scipy import stats

    expected = stats.t.ppf(0.975, 3) * np.std(values, ddof=1) / 2
    assert t_halfwidth(values) == pytest.approx(expected)
    assert math.isnan(t_halfwidth([1.0]))


def test_interval_table_adds_up_to_the_totals():
    result = ccsim.simulate(single_queue(agents=40, horizon=20_000, rate=0.2, warmup=1800), seed=2)
    table = result.intervals()
    assert len(table) == result.model.n_intervals
    after = ~table["warmup"]
    assert table["arrivals"][after].sum() == result.kpis()["arrivals"]  # warm-up is a whole number of intervals
    assert np.allclose(table["staffed_agents"], 40)
    assert (table["busy_agents"] <= 40 + 1e-9).all()


def test_summary_uses_replications_or_batch_means():
    results = ccsim.replicate(single_queue(agents=40, horizon=40_000, rate=0.2), reps=5, seed=1)
    many = summarize(results)
    assert set(many) == set(KPI_NAMES)
    values = [r.kpis()["service_level"] for r in results]
    assert many["service_level"]["mean"] == pytest.approx(np.mean(values))
    assert many["service_level"]["ci_halfwidth"] == pytest.approx(t_halfwidth(values))
    one = summarize(results[:1])
    assert one["service_level"]["mean"] == results[0].kpis()["service_level"]
    assert 0 < one["service_level"]["ci_halfwidth"] < 0.2


def test_batch_means_interval_covers_the_exact_value_most_of_the_time():
    """One run's batch-means CI for Erlang A service level covers the exact value in most seeds."""
    from ccsim.analytic import erlang_a_metrics

    exact = erlang_a_metrics(20, 0.1, 180, 300, 20).service_level
    scenario = single_queue(agents=20, horizon=200_000, rate=0.1, warmup=9000)
    covered = 0
    for seed in range(20):
        estimate, halfwidth = ccsim.simulate(scenario, seed=seed).batch_means()["service_level"]
        covered += abs(estimate - exact) <= halfwidth
    assert covered >= 15  # nominal 95 %: 19 of 20; 15 leaves room for batch correlation
