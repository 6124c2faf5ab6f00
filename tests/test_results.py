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
    assert set(one) == set(KPI_NAMES)


def test_summary_has_the_same_kpis_for_a_run_too_short_for_batch_means():
    """Fewer post-warm-up intervals than batches: the same KPI_NAMES (no half-width), not every
    key of kpis() (the money KPIs and time_in_center are summarised elsewhere)."""
    scenario = single_queue(agents=5, horizon=3600, rate=0.02)
    scenario["costs"] = {"agent_hour": 10}
    result = ccsim.simulate(scenario, seed=1)
    assert "total_cost" in result.kpis()
    short = summarize([result])
    assert set(short) == set(KPI_NAMES)
    assert short["answered"]["mean"] == result.kpis()["answered"] and math.isnan(short["answered"]["ci_halfwidth"])


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


# ---------------------------------------------------------------- DataFrames

import pandas as pd

from ccsim.results import CALL_TYPE_KPIS, GROUP_FIELDS

TWO_TYPES = {
    "name": "two types", "horizon": 9000, "warmup": 1800, "interval": 900,
    "service_level": {"threshold": 20, "target": 0.8},
    "call_types": [
        {"name": "sales", "arrivals": {"process": "poisson", "rate": 0.3},
         "handle_time": {"dist": "exponential", "mean": 120}, "patience": {"dist": "exponential", "mean": 60}},
        {"name": "care", "arrivals": {"process": "poisson", "rate": 0.1}, "service_level_target": 0.95,
         "handle_time": {"dist": "gamma", "mean": 200, "cv": 0.5}},
    ],
    "agents": [{"name": "a", "count": 40, "serves": ["sales", "care"]}, {"name": "b", "count": 3, "serves": ["care"]}],
}


@pytest.fixture(scope="module")
def two_types():
    return ccsim.simulate(TWO_TYPES, seed=3)


def test_intervals_frame_has_the_array_columns_and_values(two_types):
    frame, array = two_types.intervals(), two_types.intervals(as_frame=False)
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == list(array.dtype.names)
    assert frame["warmup"].dtype == bool
    for name in array.dtype.names:
        np.testing.assert_array_equal(frame[name].to_numpy(), array[name])


def test_intervals_by_call_type_add_up_to_the_intervals_and_the_totals(two_types):
    long = two_types.intervals(by="call_type")
    n = two_types.model.n_intervals
    assert len(long) == 2 * n and list(long["call_type"][:2]) == ["sales", "care"]
    assert "occupancy" not in long.columns
    overall = two_types.intervals()
    for count in ("arrivals", "offered", "answered", "abandoned"):
        summed = long.groupby("start", sort=True)[count].sum().to_numpy()
        np.testing.assert_array_equal(summed, overall[count].to_numpy())
    after = long[~long["warmup"]]
    by_type = two_types.kpis_by_call_type()
    for name in ("sales", "care"):
        mine = after[after["call_type"] == name]
        assert mine["offered"].sum() == by_type[name]["offered"]
        # a ratio per (interval, call type) from the raw counters, independently
        k = two_types.model.call_type_names.index(name)
        raw = two_types.stats.interval_calls[:, k, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            asa = raw[:, CALL_FIELDS.index("wait_answered")] / raw[:, CALL_FIELDS.index("answered")]
        np.testing.assert_allclose(long[long["call_type"] == name]["asa"].to_numpy(), asa, equal_nan=True)


def test_intervals_by_group_staffing_and_occupancy(two_types):
    per_group = two_types.intervals(by="group")
    assert list(per_group["group"][:2]) == ["a", "b"]
    overall = two_types.intervals()
    summed = per_group.groupby("start", sort=True)[["staffed_agents", "busy_agents"]].sum()
    np.testing.assert_allclose(summed["staffed_agents"].to_numpy(), overall["staffed_agents"].to_numpy())
    np.testing.assert_allclose(summed["busy_agents"].to_numpy(), overall["busy_agents"].to_numpy())
    b = per_group[per_group["group"] == "b"]
    assert np.allclose(b["staffed_agents"], 3)
    np.testing.assert_allclose(b["occupancy"], b["busy_agents"] / b["staffed_agents"])
    # warm-up is whole intervals: the post-warm-up clock equals the group totals
    after = per_group[~per_group["warmup"]]
    length = after["end"] - after["start"]
    groups = two_types.group_table()
    for name in ("a", "b"):
        mine = after["group"] == name
        busy = (after["busy_agents"] * length)[mine].sum()
        staffed = (after["staffed_agents"] * length)[mine].sum()
        assert busy / staffed == pytest.approx(groups[name]["occupancy"], rel=1e-9)


def test_intervals_by_unknown_breakdown_is_refused(two_types):
    with pytest.raises(ccsim.ArgumentError, match="by must be one of"):
        two_types.intervals(by="agent")


def test_call_types_and_groups_are_the_dicts_as_frames(two_types):
    frame = two_types.call_types()
    assert frame.index.name == "call_type" and list(frame.index) == ["sales", "care"]
    assert list(frame.columns) == list(CALL_TYPE_KPIS)
    for name, row in two_types.kpis_by_call_type().items():
        for kpi in CALL_TYPE_KPIS:
            assert frame.loc[name, kpi] == row[kpi] or (math.isnan(row[kpi]) and math.isnan(frame.loc[name, kpi]))
    groups = two_types.groups()
    assert groups.index.name == "group" and list(groups.columns) == ["agents", "answered", "aht", "occupancy"]
    assert groups.loc["b", "agents"] == 3
    assert groups.loc["a", "answered"] == two_types.stats.group_totals[0, GROUP_FIELDS.index("answered")]


def test_repr_is_short_and_names_the_run(two_types):
    text = repr(two_types)
    assert len(text) < 200 and "\n" not in text
    assert "engine core" in text and "seed 3, replication 0" in text
    assert f"{two_types.calls_simulated:,} calls" in text
    assert f"service_level {two_types.kpis()['service_level']:.4g}" in text


def test_service_level_attainment_per_call_type(two_types):
    table = two_types.service_level_attainment()
    assert list(table.index) == ["sales", "care"]
    assert table.loc["sales", "goal"] == 0.8 and table.loc["care", "goal"] == 0.95  # own target wins
    first = int(TWO_TYPES["warmup"] / TWO_TYPES["interval"])
    for k, name in enumerate(("sales", "care")):
        raw = two_types.stats.interval_calls[first:, k, :]
        offered = raw[:, CALL_FIELDS.index("offered")]
        judged = offered > 0
        level = raw[judged, CALL_FIELDS.index("answered_in_sl")] / offered[judged]
        goal = table.loc[name, "goal"]
        assert table.loc[name, "intervals"] == judged.sum()
        assert table.loc[name, "met"] == (level >= goal).sum()
        assert table.loc[name, "share"] == pytest.approx((level >= goal).mean())
    everyone = two_types.service_level_attainment(goal=0.0)
    assert (everyone["share"] == 1.0).all()
    for bad in (80, -0.1, "0.8"):
        with pytest.raises(ccsim.ArgumentError, match="goal must be a service level between 0 and 1"):
            two_types.service_level_attainment(goal=bad)


def test_service_level_attainment_without_a_goal_is_nan():
    result = ccsim.simulate(single_queue(agents=20, horizon=3600, rate=0.1), seed=1)
    table = result.service_level_attainment()
    assert math.isnan(table.loc["inbound", "goal"]) and math.isnan(table.loc["inbound", "share"])
    assert table.loc["inbound", "intervals"] == 4


def test_calls_frame_has_nullable_agents():
    result = ccsim.simulate(TWO_TYPES, seed=2, call_records=True)
    calls = result.calls()
    assert len(calls) == result.calls_simulated and str(calls["agent"].dtype) == "Int32"
    answered = calls["outcome"] == "answered"
    assert calls["agent"][answered].notna().all() and calls["agent"][~answered].isna().all()
    assert calls["group"][~answered].isna().all()
    assert set(calls["group"][answered]) <= {"a", "b"}
    with pytest.raises(ValueError, match="call_records=True"):
        ccsim.simulate(TWO_TYPES, seed=2).calls()


class _Kpis:
    """A replication as summarize sees it: its kpis() only."""

    def __init__(self, **values):
        self.values = {k: values.get(k, 1.0) for k in KPI_NAMES}

    def kpis(self):
        return self.values


def test_summary_across_replications_leaves_out_a_kpi_a_replication_lacks():
    """A rate with no calls in one replication (NaN) is not a value: the mean and the t half-width
    are of the others (the rule of every summary cell, ``ci_cell``); none at all: both NaN."""
    from scipy import stats

    reps = [_Kpis(asa=1.0, mean_wait_abandoned=math.nan), _Kpis(asa=math.nan, mean_wait_abandoned=math.nan),
            _Kpis(asa=3.0, mean_wait_abandoned=math.nan)]
    out = summarize(reps)
    assert out["asa"]["mean"] == 2.0
    assert out["asa"]["ci_halfwidth"] == pytest.approx(stats.t.ppf(0.975, 1) * np.std([1, 3], ddof=1) / math.sqrt(2))
    assert math.isnan(out["mean_wait_abandoned"]["mean"]) and math.isnan(out["mean_wait_abandoned"]["ci_halfwidth"])
    assert out["answered"] == {"mean": 1.0, "ci_halfwidth": 0.0}


# ---------------------------------------------------------------- the center's rings
RINGS = {  # six rings by hand: two lines; at t=12 rings 1 and 2 hold both lines, so ring 5 is blocked
    "name": "rings", "horizon": 100, "interval": 50, "lines": 2, "service_level": {"threshold": 5},
    "call_types": [{"name": "a", "arrivals": {"process": "replay", "times": [60]},
                    "handle_time": {"dist": "deterministic", "value": 20},
                    "transfers": [{"to": "b", "p": 1.0}]},
                   {"name": "b", "handle_time": {"dist": "deterministic", "value": 5}}],
    "agents": [{"name": "team", "count": 2, "serves": ["a", "b"]}],
    "entries": [{"name": "e1", "arrivals": {"process": "replay", "times": [0]}, "ivr": "m1"},
                {"name": "e2", "arrivals": {"process": "replay", "times": [5]}, "ivr": "m2"},
                {"name": "e3", "arrivals": {"process": "replay", "times": [40]}, "ivr": "m3"},
                {"name": "e4", "arrivals": {"process": "replay", "times": [55]}, "ivr": "m3"},
                {"name": "e5", "arrivals": {"process": "replay", "times": [12]}, "ivr": "m1"}],
    "ivr": [{"name": "m1", "nodes": [{"name": "n1", "duration": {"dist": "deterministic", "value": 10},
                                      "branches": [{"p": 1.0, "queue": "a"}]}]},
            {"name": "m2", "patience": {"dist": "deterministic", "value": 15},
             "nodes": [{"name": "n1", "duration": {"dist": "deterministic", "value": 10},
                        "branches": [{"p": 1.0, "node": "n2"}]},
                       {"name": "n2", "duration": {"dist": "deterministic", "value": 10},
                        "branches": [{"p": 1.0, "queue": "a"}]}]},
            {"name": "m3", "nodes": [{"name": "n1", "duration": {"dist": "deterministic", "value": 10},
                                      "branches": [{"p": 1.0, "exit": "self_service"}]}]}],
}


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_headline_counts_each_ring_once_where_it_rang(engine):
    """Rings of IVR numbers are arrivals, and their blocked attempts blocked: the headline
    arrivals, blocked and blocked_rate read 2, 0 and 0 % here (the call types' counters alone).
    Ring 1 is routed to a and transferred to b, ring 6 dialled a straight and transferred: two
    rings, four queue arrivals (a and b twice); ring 2 hangs up in its menu, 3 and 4 are served
    by theirs, 5 is blocked. The lost-call table's attempts are the same rings."""
    result = ccsim.simulate(RINGS, seed=1, engine=engine)
    k = result.kpis()
    assert (k["arrivals"], k["blocked"], k["blocked_rate"]) == (6, 1, 1 / 6)
    assert (k["offered"], k["answered"]) == (4, 4)  # queue arrivals: a and b, twice
    assert result.lost_calls()["attempts"] == 6 and result.lost_calls()["blocked_lines"] == 1
    by_type = result.kpis_by_call_type()
    assert (by_type["a"]["arrivals"], by_type["b"]["arrivals"]) == (2, 2)
    frame = result.intervals()  # the same rings per interval: [0, 50) has 1, 2, 3 and 5
    assert frame["arrivals"].tolist() == [4, 2] and frame["blocked"].tolist() == [1, 0]
    from ccsim.experiment.records import attempt_intervals

    attempts = attempt_intervals(result)  # the stored per-interval attempts (the report's chart): the rings
    assert (attempts["first_attempts"] + attempts["retrials"]).tolist() == [4, 2]
    batches = result.batch_means(batches=2)
    assert batches["arrivals"][0] == 6 and batches["blocked_rate"][0] == 1 / 6


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_short_abandons_are_waits_under_the_limit_as_the_label_says(engine):
    """Waits 0, 9, 0 answered and two callers hanging up at exactly 9 s, short_abandon 9: those
    two are not short (a wait < 9 is), so the service level within 9 s is 3 / 5, and the label
    says 'in under', where 'within T' is a wait <= T (an audit read 'within' both ways)."""
    from ccsim.report_table import kpi_definitions
    from ccsim.scenario import validate_scenario

    data = {"name": "s2", "horizon": 100, "interval": 50,
            "service_level": {"threshold": 9, "denominator": "offered_excl_short_abandons", "short_abandon": 9},
            "call_types": [{"name": "a", "arrivals": {"process": "replay", "times": [0, 1, 2, 3, 25]},
                            "handle_time": {"dist": "deterministic", "value": 10},
                            "patience": {"dist": "deterministic", "value": 9}}],
            "agents": [{"name": "team", "count": 1, "serves": ["a"]}]}
    k = ccsim.simulate(data, seed=1, engine=engine).kpis()
    assert (k["answered"], k["abandoned"], k["service_level"]) == (3, 2, 3 / 5)
    label = kpi_definitions(validate_scenario(data))["service_level"]
    assert label == "answered within 9 s / (offered - abandoned in under 9 s)"


def test_call_type_counts_are_the_counters_the_kpis_are_made_of():
    """inbound.md listed closed, forwarded, callbacks_... as call-type columns; no table had
    them (only stats.total_calls). call_type_counts() has every CALL_FIELDS counter."""
    result = ccsim.simulate(RINGS, seed=1)
    counts = result.call_type_counts()
    assert list(counts.columns) == list(CALL_FIELDS) and list(counts.index) == ["a", "b"]
    assert counts.loc["a", "routed"] == 1 and counts.loc["b", "transferred_in"] == 2
    by_type = result.call_types()
    assert (counts["answered"] == by_type["answered"]).all() and (counts["arrived"] == by_type["arrivals"]).all()
