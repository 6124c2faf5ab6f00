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
