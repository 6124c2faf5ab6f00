"""experiments/routing_study.py with a few replications: it writes its report, and every
confidence interval is the paired (CRN) one, computed from the per-replication differences."""

import numpy as np
import pytest
from scipy import stats

from factories import load_experiment


REPS = 4


study = load_experiment("routing_study")


@pytest.fixture(scope="module")
def ran():
    return study.run(REPS, seed=11, workers=1)


def _direct(base, other, level=0.95):
    """The paired t interval, computed here from scratch: d_r = other_r - base_r."""
    d = np.array(other) - np.array(base)
    half = stats.t.ppf(0.5 + level / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


def test_the_study_is_paired_with_every_policy_scope_and_kpi(ran):
    data, rows = ran
    assert data.crn and [p.label for p in data.points] == list(study.POLICIES)
    scopes = ["all", "sales", "order_status", "after_sales", "complaints"]
    assert len(study.POLICIES) == 4 and "best_conversion + longest_waiting" in study.POLICIES
    cells = {(s, k) for s in scopes for k in study.KPIS} | {("all", k) for k in study.MONEY}
    assert len(rows) == (len(study.POLICIES) - 1) * len(cells)
    assert {(r["policy"], r["scope"], r["kpi"]) for r in rows} == {
        (p, s, k) for p in list(study.POLICIES)[1:] for s, k in cells}
    assert all(r["reps"] == REPS for r in rows)


def test_every_interval_comes_from_the_paired_differences(ran):
    data, rows = ran
    for row in rows:
        point = next(p.point for p in data.points if p.label == row["policy"])
        pick = (lambda r: r.kpis[row["kpi"]]) if row["scope"] == "all" else \
            (lambda r: r.by_call_type[row["scope"]][row["kpi"]])
        base = [pick(r) for r in sorted(data.records_of(0), key=lambda r: r.rep)]
        other = [pick(r) for r in sorted(data.records_of(point), key=lambda r: r.rep)]
        diff, low, high = _direct(base, other)
        assert row["diff"] == pytest.approx(diff, rel=1e-12, abs=1e-12)  # rel: revenue is in millions
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), rel=1e-9, abs=1e-9), row
        assert row["policy_mean"] == pytest.approx(np.mean(other), rel=1e-12, abs=1e-12)


def test_routing_sales_to_the_best_converters_raises_conversion(ran):
    """The gold sellers and the best of the sales teams take more sales calls: over the same
    callers (their buying propensity is common), conversion rises in every replication."""
    data, rows = ran
    row = next(r for r in rows if r["policy"] == "best_conversion + longest_waiting" and r["kpi"] == "conversion")
    assert row["ci_low"] > 0, row
    money = next(r for r in rows if r["policy"] == "best_conversion + longest_waiting"
                 and r["kpi"] == "collected_revenue")
    assert np.isfinite(money["diff"]) and money["baseline_mean"] > 0


def test_the_command_line_writes_the_markdown_report(tmp_path, capsys):
    study.main(["--reps", "2", "--seed", "3", "--workers", "1", "--out", str(tmp_path)])
    text = (tmp_path / "routing_study.md").read_text()
    assert text in capsys.readouterr().out
    for words in ("# Routing study on multiskill.yaml", "## best_proficiency + skill_priority",
                  "## ordered_groups + priority", "## best_conversion + longest_waiting",
                  "| sales | service level |", "| complaints | abandonment |", "| all | conversion |",
                  "| all | collected revenue |"):
        assert words in text, words
    with pytest.raises(SystemExit):
        study.main(["--reps", "1", "--out", str(tmp_path)])
