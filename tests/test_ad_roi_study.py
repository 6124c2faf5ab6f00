"""experiments/ad_roi.py with a few replications: the budget shift moves exactly the stated
share of spend, the study is paired, every confidence interval is the paired (CRN) one computed
from the per-replication differences, and the command line writes its report."""

import numpy as np
import pytest
from scipy import stats

from factories import load_experiment

from ccsim import load_scenario
from ccsim.scenario import scenario_to_dict

REPS = 4


study = load_experiment("ad_roi")


@pytest.fixture(scope="module")
def ran():
    return study.run(REPS, seed=11, workers=1)


def _spend(airings, channel):
    return sum(a["spend"] for a in airings if a["channel"] == channel)


def test_the_budget_shift_moves_the_share_and_keeps_the_total():
    base = scenario_to_dict(load_scenario(study.SCENARIO))
    airings, moved = study.shifted_airings(base, "tv", "online", 0.2)
    old = base["media"]["airings"]
    assert moved == pytest.approx(0.2 * _spend(old, "tv"))
    assert _spend(airings, "tv") == pytest.approx(0.8 * _spend(old, "tv"))
    assert _spend(airings, "online") == pytest.approx(_spend(old, "online") + moved)
    assert sum(a["spend"] for a in airings) == pytest.approx(sum(a["spend"] for a in old))
    assert [(a["time"], a["channel"]) for a in airings] == [(a["time"], a["channel"]) for a in old]
    with pytest.raises(ValueError, match="no airing"):
        study.shifted_airings({"media": {"airings": old}}, "tv", "radio", 0.2)


def test_the_study_is_paired_with_every_change_and_kpi(ran):
    data, rows, moved, expected = ran
    assert data.crn and len(data.points) == 3
    assert data.points[2].scenario["routing"]["agent_selection"] == "best_conversion"
    kpis = list(study.KPIS) + ["callers_tv", "callers_online"]
    assert [(r["label"], r["kpi"]) for r in rows] == [(p.label, k) for p in data.points[1:] for k in kpis]
    assert all(r["reps"] == REPS for r in rows)
    assert expected == pytest.approx({"tv": -moved * 0.006, "online": moved * 0.008})


def _direct(base, other, level=0.95):
    """The paired t interval, computed here from scratch: d_r = other_r - base_r."""
    d = np.array(other) - np.array(base)
    half = stats.t.ppf(0.5 + level / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


def _values(data, point, kpi):
    records = sorted(data.records_of(point), key=lambda r: r.rep)
    if kpi == "callers":
        return [sum(row["callers"] for row in r.channels.values()) for r in records]
    if kpi.startswith("callers_"):
        return [r.channels[kpi[len("callers_"):]]["callers"] for r in records]
    return [r.kpis[kpi] for r in records]


def test_every_interval_comes_from_the_paired_differences(ran):
    data, rows, _, _ = ran
    for row in rows:
        point = next(p.point for p in data.points if p.label == row["label"])
        base, other = _values(data, 0, row["kpi"]), _values(data, point, row["kpi"])
        diff, low, high = _direct(base, other)
        assert row["diff"] == pytest.approx(diff, abs=1e-9)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=1e-6), row
        assert row["mean"] == pytest.approx(np.mean(other), abs=1e-9)


def test_the_money_kpis_are_those_of_the_runs(ran):
    """The records' money KPIs are Result.money() of the same replication (CRN: replication r
    of every point is replication r of ccsim.replicate with the study's seed), re-run here."""
    import ccsim

    data, _, _, _ = ran
    record = next(r for r in data.records_of(1) if r.rep == 0)
    result = ccsim.replicate(data.points[1].scenario, 1, seed=11)[0]
    for kpi in ("orders", "collected_revenue", "total_cost", "roi"):
        assert record.kpis[kpi] == pytest.approx(result.money()[kpi], rel=1e-12), kpi


def test_the_command_line_writes_the_markdown_report(tmp_path, capsys):
    study.main(["--reps", "2", "--seed", "3", "--workers", "1", "--out", str(tmp_path)])
    text = (tmp_path / "ad_roi.md").read_text()
    assert text in capsys.readouterr().out
    for words in ("# Ad ROI study on media_hotline.yaml", "## 20 % of tv budget to online",
                  "## sales to the best converters", "| ROI |", "| collected revenue |", "| tv callers |",
                  "Expected change of the channels' callers"):
        assert words in text, words
    for bad in (["--reps", "1"], ["--share", "1.5"]):
        with pytest.raises(SystemExit):
            study.main([*bad, "--out", str(tmp_path)])
