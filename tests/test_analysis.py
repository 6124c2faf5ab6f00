"""Study analysis: summaries, paired (CRN) and Welch comparisons, verdicts, sweeps."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import ccsim
from ccsim.experiment.analysis import (
    HIGHER_IS_BETTER,
    compare,
    halfwidths_met,
    summary_table,
    sweep_table,
)
from ccsim.experiment.records import Point, ReplicationRecord, StudyData, run_replication, task_for
from ccsim.results import KPI_NAMES, t_halfwidth


def record(point: int, rep: int, kpis: dict) -> ReplicationRecord:
    return ReplicationRecord(point=point, rep=rep, spawn_key=(rep,), kpis=kpis, by_call_type={}, groups={},
                             intervals=b"", calls_simulated=0, wall_seconds=0.0)


def study(columns: dict, crn: bool = True, overrides: dict | None = None) -> StudyData:
    """columns: {point: {kpi: values by rep}}; the records are shuffled (any order is allowed)."""
    points, records = [], []
    for p, kpis in columns.items():
        over = (overrides or {}).get(p, {})
        points.append(Point(point=p, label=f"point {p}", overrides=over, scenario={}))
        n = len(next(iter(kpis.values())))
        records += [record(p, r, {k: float(v[r]) for k, v in kpis.items()}) for r in range(n)]
    order = np.random.default_rng(0).permutation(len(records))
    return StudyData(name="synthetic", kind="compare", seed=1, crn=crn, engine="core", points=points,
                     records=[records[i] for i in order])


def row(table: pd.DataFrame, point: int, kpi: str) -> pd.Series:
    found = table[(table["point"] == point) & (table["kpi"] == kpi)]
    assert len(found) == 1
    return found.iloc[0]


def crn_pair(rng, n=20, spread=0.2, delta=0.01, noise=0.002):
    """Replications dominated by a shared random effect: large marginal, tiny paired variance."""
    common = 0.6 + spread * rng.standard_normal(n)
    return common + noise * rng.standard_normal(n), common + delta + noise * rng.standard_normal(n)


# ---------------------------------------------------------------- directions


def test_every_kpi_has_a_direction():
    assert set(KPI_NAMES) <= set(HIGHER_IS_BETTER)
    assert HIGHER_IS_BETTER["service_level"] is True and HIGHER_IS_BETTER["answered"] is True
    for kpi in ("asa", "abandon_rate", "blocked_rate", "abandoned", "blocked", "aht"):
        assert HIGHER_IS_BETTER[kpi] is False
    assert HIGHER_IS_BETTER["occupancy"] is None


# ---------------------------------------------------------------- summary_table


def test_summary_table_is_mean_t_halfwidth_and_std_per_point_and_kpi():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0.8, 0.05, 12), rng.normal(0.7, 0.1, 12)
    data = study({0: {"service_level": a, "asa": a * 100}, 1: {"service_level": b, "asa": b * 100}})
    table = summary_table(data)
    assert list(table.columns) == ["point", "label", "kpi", "reps", "mean", "ci_halfwidth", "std"]
    assert len(table) == 4
    assert list(table["kpi"]) == ["service_level", "asa"] * 2  # KPI_NAMES order
    r = row(table, 1, "service_level")
    assert r["label"] == "point 1" and r["reps"] == 12
    assert r["mean"] == pytest.approx(b.mean())
    assert r["std"] == pytest.approx(b.std(ddof=1))
    assert r["ci_halfwidth"] == pytest.approx(stats.t.ppf(0.975, 11) * b.std(ddof=1) / math.sqrt(12))
    assert row(summary_table(data, kpis=["asa"], level=0.9), 0, "asa")["ci_halfwidth"] == \
        pytest.approx(t_halfwidth(a * 100, 0.9))


def test_summary_table_drops_nan_replications():
    values = np.array([10.0, np.nan, 14.0, 12.0])
    r = row(summary_table(study({0: {"asa": values}})), 0, "asa")
    assert r["reps"] == 3 and r["mean"] == pytest.approx(12.0)


def test_unknown_kpi_is_an_error():
    with pytest.raises(ValueError, match="unknown KPI servce_level"):
        summary_table(study({0: {"service_level": [0.1, 0.2]}}), kpis=["servce_level"])


# ---------------------------------------------------------------- compare


def test_crn_detects_a_small_difference_that_independent_seeds_miss():
    a, b = crn_pair(np.random.default_rng(2))
    columns = {0: {"service_level": a}, 1: {"service_level": b}}
    paired = row(compare(study(columns, crn=True)), 1, "service_level")
    assert paired["verdict"] == "better"
    assert paired["diff"] == pytest.approx((b - a).mean())
    assert paired["mean"] - paired["baseline_mean"] == pytest.approx(paired["diff"])
    assert paired["ci_low"] > 0
    assert paired["p_value"] == pytest.approx(stats.ttest_rel(b, a).pvalue)
    ci = stats.ttest_rel(b, a).confidence_interval(0.95)
    assert (paired["ci_low"], paired["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-9)
    assert paired["variance_reduction"] == pytest.approx((a.var(ddof=1) + b.var(ddof=1)) / (b - a).var(ddof=1))
    assert paired["variance_reduction"] > 100
    assert paired["reps"] == 20
    unpaired = row(compare(study(columns, crn=False)), 1, "service_level")
    assert unpaired["verdict"] == "no significant difference"
    assert math.isnan(unpaired["variance_reduction"])


def test_compare_columns_and_rows():
    a, b = crn_pair(np.random.default_rng(3))
    data = study({0: {"service_level": a, "occupancy": a}, 1: {"service_level": b, "occupancy": b},
                  2: {"service_level": a, "occupancy": a}})
    table = compare(data)
    assert list(table.columns) == ["point", "label", "kpi", "baseline_mean", "mean", "diff", "ci_low", "ci_high",
                                   "p_value", "verdict", "variance_reduction", "reps", "baseline_reps"]
    assert list(zip(table["point"], table["kpi"])) == [
        (1, "service_level"), (1, "occupancy"), (2, "service_level"), (2, "occupancy")]
    against_1 = compare(data, baseline=1, kpis=["service_level"])
    assert list(against_1["point"]) == [0, 2]
    assert set(against_1["verdict"]) == {"worse"}
    with pytest.raises(ValueError, match="baseline point 7"):
        compare(data, baseline=7)


def test_identical_means_are_no_significant_difference():
    rng = np.random.default_rng(4)
    a = rng.normal(0.7, 0.1, 15)
    noise = rng.normal(0, 0.02, 15)
    b = a + (noise - noise.mean())  # paired differences average exactly zero
    for crn in (True, False):
        r = row(compare(study({0: {"service_level": a}, 1: {"service_level": b}}, crn=crn)), 1, "service_level")
        assert r["verdict"] == "no significant difference"
        assert r["diff"] == pytest.approx(0, abs=1e-12)
        assert r["ci_low"] < 0 < r["ci_high"]
        assert r["p_value"] == pytest.approx(1.0)


def test_identical_replications_are_no_significant_difference():
    a = np.random.default_rng(5).normal(0.7, 0.1, 10)
    r = row(compare(study({0: {"service_level": a}, 1: {"service_level": a.copy()}})), 1, "service_level")
    assert r["verdict"] == "no significant difference"
    assert r["diff"] == 0 and r["p_value"] == 1.0


def test_lower_asa_is_better_and_higher_is_worse():
    rng = np.random.default_rng(6)
    asa = rng.normal(40, 10, 20)
    data = study({0: {"asa": asa, "occupancy": asa / 100},
                  1: {"asa": asa - 5 + rng.normal(0, 0.5, 20), "occupancy": asa / 100 - 0.05},
                  2: {"asa": asa + 5 + rng.normal(0, 0.5, 20), "occupancy": asa / 100 + 0.05}})
    table = compare(data)
    assert row(table, 1, "asa")["verdict"] == "better"
    assert row(table, 2, "asa")["verdict"] == "worse"
    assert row(table, 1, "asa")["diff"] < 0
    assert row(table, 1, "occupancy")["verdict"] == "lower"  # neutral KPI: no better or worse
    assert row(table, 2, "occupancy")["verdict"] == "higher"


def test_without_crn_the_welch_interval_is_used():
    rng = np.random.default_rng(7)
    base = {r: v for r, v in enumerate(rng.normal(0.70, 0.03, 12))}
    other = {r: v for r, v in enumerate(rng.normal(0.74, 0.09, 9))}  # unequal variances and counts
    records = [record(0, r, {"service_level": v}) for r, v in base.items()]
    records += [record(1, r, {"service_level": v}) for r, v in other.items()]
    points = [Point(0, "A", {}, {}), Point(1, "B", {}, {})]
    data = StudyData("welch", "compare", 1, False, "core", points, records)
    r = row(compare(data), 1, "service_level")
    a, b = np.array(list(base.values())), np.array(list(other.values()))
    welch = stats.ttest_ind(b, a, equal_var=False)
    assert r["p_value"] == pytest.approx(welch.pvalue, rel=1e-9)
    ci = welch.confidence_interval(0.95)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-9)
    assert r["p_value"] != pytest.approx(stats.ttest_ind(b[:9], a[:9], equal_var=True).pvalue, rel=1e-3)
    assert (r["reps"], r["baseline_reps"]) == (9, 12)
    assert math.isnan(r["variance_reduction"])


def test_nan_kpis_drop_their_pairs():
    asa_a = np.array([30.0, np.nan, 32.0, 31.0, 29.0, 33.0])
    asa_b = np.array([20.0, 21.0, np.nan, 22.0, 19.0, 23.0])
    r = row(compare(study({0: {"asa": asa_a}, 1: {"asa": asa_b}})), 1, "asa")
    kept = [0, 3, 4, 5]
    assert r["reps"] == 4 and r["baseline_reps"] == 4
    assert r["diff"] == pytest.approx((asa_b[kept] - asa_a[kept]).mean())
    assert r["baseline_mean"] == pytest.approx(asa_a[kept].mean())
    assert r["p_value"] == pytest.approx(stats.ttest_rel(asa_b[kept], asa_a[kept]).pvalue)
    assert r["verdict"] == "better"
    welch = row(compare(study({0: {"asa": asa_a}, 1: {"asa": asa_b}}, crn=False)), 1, "asa")
    assert (welch["reps"], welch["baseline_reps"]) == (5, 5)


def test_too_few_usable_replications_give_no_verdict():
    asa_a = np.array([30.0, np.nan, 32.0])
    asa_b = np.array([20.0, 21.0, np.nan])
    r = row(compare(study({0: {"asa": asa_a}, 1: {"asa": asa_b}})), 1, "asa")
    assert r["reps"] == 1 and r["verdict"] == "insufficient data"
    assert math.isnan(r["ci_low"]) and math.isnan(r["p_value"])


@pytest.mark.parametrize("crn", [True, False])
def test_interval_covers_the_true_difference_95_percent_of_the_time(crn):
    rng = np.random.default_rng(20240601 + crn)
    trials, n, delta = 2000, 8, 0.3
    covered = 0
    for _ in range(trials):
        if crn:
            common = rng.normal(5, 2, n)
            a, b = common + rng.normal(0, 0.5, n), common + delta + rng.normal(0, 0.5, n)
        else:  # unequal variances, where a pooled interval would be wrong
            a, b = rng.normal(5, 0.5, n), rng.normal(5 + delta, 2, n)
        r = compare(study({0: {"aht": a}, 1: {"aht": b}}, crn=crn)).iloc[0]
        covered += r["ci_low"] <= delta <= r["ci_high"]
    low, high = stats.binom.interval(0.999, trials, 0.95)
    assert low <= covered <= high, covered


# ---------------------------------------------------------------- halfwidths_met and sweep_table


def test_halfwidths_met():
    rng = np.random.default_rng(8)
    sl = rng.normal(0.8, 0.05, 10)
    data = study({0: {"service_level": sl, "asa": sl * 100}, 1: {"service_level": sl, "asa": sl * 50}})
    hw_sl, hw_asa = t_halfwidth(sl), t_halfwidth(sl * 100)
    assert halfwidths_met(data, ["service_level"], hw_sl * 1.01)
    assert not halfwidths_met(data, ["service_level"], hw_sl * 0.99)
    assert not halfwidths_met(data, ["service_level", "asa"], hw_sl * 1.01)
    assert halfwidths_met(data, None, {"service_level": hw_sl * 1.01, "asa": hw_asa * 1.01})
    assert not halfwidths_met(data, None, {"service_level": hw_sl * 1.01, "asa": hw_asa * 0.99})
    assert halfwidths_met(data, "service_level", 1.0)
    with pytest.raises(ValueError, match="asa"):
        halfwidths_met(data, ["service_level", "asa"], {"service_level": 1.0})


def test_halfwidths_need_two_replications_at_every_point():
    data = study({0: {"service_level": [0.8, 0.81, 0.79]}, 1: {"service_level": [0.5]}})
    assert not halfwidths_met(data, ["service_level"], 10.0)


def test_undefined_kpi_does_not_hold_back_halfwidths():
    nan = float("nan")
    data = study({0: {"service_level": [0.8, 0.81, 0.79], "asa": [nan, nan, nan]}})
    assert halfwidths_met(data, ["service_level", "asa"], 0.1)


def test_sweep_table_has_overrides_and_kpi_columns():
    rng = np.random.default_rng(9)
    values = {p: rng.normal(0.5 + 0.1 * p, 0.05, 6) for p in range(3)}
    overrides = {0: {"agents.sales.count": 40, "routing.agent_selection": "longest_idle"},
                 1: {"agents.sales.count": 45, "routing.agent_selection": "longest_idle"},
                 2: {"agents.sales.count": 50, "routing.agent_selection": "longest_idle"}}
    data = study({p: {"service_level": v, "asa": 100 * v} for p, v in values.items()}, overrides=overrides)
    table = sweep_table(data, kpis=["service_level", "asa"])
    assert list(table.columns) == ["point", "label", "agents.sales.count", "routing.agent_selection", "reps",
                                   "service_level", "service_level_ci", "asa", "asa_ci"]
    assert list(table["agents.sales.count"]) == [40, 45, 50]
    assert list(table["reps"]) == [6, 6, 6]
    for p, v in values.items():
        assert table.loc[p, "service_level"] == pytest.approx(v.mean())
        assert table.loc[p, "service_level_ci"] == pytest.approx(t_halfwidth(v))
    assert list(sweep_table(data).columns[5:7]) == ["service_level", "service_level_ci"]


# ---------------------------------------------------------------- end to end with the simulator


def small_center(agents: int) -> dict:
    return {
        "name": f"center_{agents}",
        "horizon": 3600.0,
        "call_types": [{
            "name": "inbound",
            "arrivals": {"process": "poisson", "rate": 0.3},
            "handle_time": {"dist": "exponential", "mean": 180},
            "patience": {"dist": "exponential", "mean": 300},
        }],
        "agents": [{"name": "team", "count": agents, "serves": ["inbound"]}],
    }


def test_more_agents_is_better_with_common_random_numbers():
    seed, reps = 2024, 30
    points = [Point(0, "60 agents", {"agents.team.count": 60}, small_center(60)),
              Point(1, "66 agents", {"agents.team.count": 66}, small_center(66))]
    records = [run_replication(task_for(p, r, seed, crn=True)) for p in points for r in range(reps)]
    for p in points:  # same seed as ccsim.replicate: replication r sees the same callers at both points
        direct = ccsim.replicate(p.scenario, reps, seed=seed)
        np.testing.assert_equal([rec.kpis for rec in records if rec.point == p.point],
                                [res.kpis() for res in direct])  # NaN (no abandons) equals NaN
    arrivals = [[rec.kpis["arrivals"] for rec in records if rec.point == p.point] for p in points]
    assert arrivals[0] == arrivals[1]
    data = StudyData("staffing", "compare", seed, True, "core", points, records)
    table = compare(data, kpis=["service_level", "asa", "occupancy"])
    sl = row(table, 1, "service_level")
    assert sl["verdict"] == "better" and sl["diff"] > 0
    assert sl["variance_reduction"] > 1
    assert row(table, 1, "asa")["verdict"] == "better"
    assert row(table, 1, "occupancy")["verdict"] == "lower"
