"""The elimination study (experiments/elimination_study.py) with few replications over two
months: its paired CIs are the t intervals of the per-replication differences, the arms do what
they say, and the report is written."""
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "experiments"))

import elimination_study as study  # noqa: E402


@pytest.fixture(scope="module")
def data():
    return study.study(reps=3, months=2, seed=11)


def test_paired_cis_are_the_t_intervals_of_the_differences(data):
    s = study.summary(data)
    for name in study.POLICIES:
        for k in study.KPIS:
            d = np.subtract(data[name][k], data["none"][k])
            mean, hw, dmean, dhw = s[name][k]
            assert dmean == pytest.approx(d.mean()) and mean == pytest.approx(np.mean(data[name][k]))
            assert dhw == pytest.approx(stats.t.ppf(0.975, 2) * d.std(ddof=1) / np.sqrt(3), abs=1e-12)
    assert all(s["none"][k][2] == 0 and s["none"][k][3] == 0 for k in study.KPIS)


def test_arms_do_what_they_say(data):
    assert sum(data["none"]["eliminated"]) == 0 and sum(data["training"]["eliminated"]) == 0
    assert min(data["monthly"]["eliminated"]) > 0
    # the quarterly arm acts after month 3 only: none in two months
    assert sum(data["quarterly"]["eliminated"]) == 0
    for name in study.POLICIES:
        assert all(w <= e for w, e in zip(data[name]["wrong_eliminations"], data[name]["eliminated"]))
        assert all(0 < sl <= 1 for sl in data[name]["service_level"])
    # CRN: two months without elimination or training equal themselves whatever the seed's arm order
    again = study.one_run("none", 2, 11)
    assert again["revenue"] == data["none"]["revenue"][0]


def test_report_has_every_policy(data):
    text = study.markdown(study.summary(data), 3, 2)
    assert all(f"| {name} |" in text for name in study.POLICIES) and "Highest profit" in text


def test_wrong_eliminations_fall_with_the_calls_behind_the_ranking():
    """The noise table: with 25 calls the ranking is about half noise (the normal approximation
    of the bottom-10 % selection gives ~12-15 % of the eliminated above the median); with 250
    calls almost none; each rate's 95 % CI decides."""
    rates = study.wrong_rate_by_calls(calls=(25, 250), draws=2000, seed=5)
    (m25, hw25), (m250, hw250) = rates[25], rates[250]
    assert m25 - hw25 > m250 + hw250
    assert 0.09 < m25 < 0.2 and m250 < 0.01


def test_window_run_eliminates_the_bottom_of_the_sales_agents_once():
    one = study.window_run(2, 0.25, seed=3)
    assert one["eliminated"] >= 4 and 0 <= one["wrong"] <= one["eliminated"]
    # two days of a quarter of the calls: about 2 x 26 sales calls per ranked agent
    assert 35 < one["calls"] < 70


def test_simulated_wrong_eliminations_fall_with_window_and_volume():
    """In the simulated center: a one-day window at a quarter of the calls (about 26 sales
    calls an agent) eliminates agents above the median; ten days (about 250) almost never.
    The two cells' 95 % CIs over 20 replications decide."""
    cells = study.window_study(windows=(1, 10), volumes=(0.25,), reps=20, seed=40)
    (short, short_hw), (long, long_hw) = cells[1, 0.25]["rate"], cells[10, 0.25]["rate"]
    assert short - short_hw > long + long_hw
    assert cells[10, 0.25]["calls"][0] > 8 * cells[1, 0.25]["calls"][0]
    text = study.window_markdown(cells, 20)
    assert "\n| 1 | 25% |" in text and "\n| 10 | 25% |" in text
