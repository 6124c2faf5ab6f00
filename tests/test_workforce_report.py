"""The HTML report of a workforce run: its sections, the period table, the leaderboards (observed
rank beside the true one, team scores pooled from their agents), and that it draws in Chromium."""
import re

import numpy as np
import pytest
from test_workforce import DAY, center

from ccsim.report.workforce import leaderboard_rows, render_workforce_html
from ccsim.workforce import Attrition, BottomElimination, Learning, run_periods


@pytest.fixture(scope="module")
def result():
    policies = [BottomElimination(fraction=0.2, min_calls=5), Attrition(0.05), Learning()]
    return run_periods(center(n=8, horizon=4 * DAY, groups=("north", "south")), DAY, policies, seed=2)


def test_report_has_its_sections_and_escapes_the_title(result):
    text = render_workforce_html(result, title="wf <run>")
    for section in ("periods", "trajectories", "leaderboard"):
        assert f'<section id="{section}">' in text
    for chart in ("wf-people", "wf-ability", "wf-service-level", "wf-money", "wf-turnover", "trajectories"):
        assert f'id="chart-{chart}"' in text
    assert "<title>wf &lt;run&gt;</title>" in text
    periods = text.split('class="ccsim-table periods"')[1].split("</table>")[0]
    assert periods.count("<tr>") == len(result.rows) + 1  # header + one per period
    assert "wrong eliminations" in periods and "tenure 0-30 d" in periods


def test_leaderboard_ranks_observed_beside_true(result):
    teams, agents = leaderboard_rows(result, "conversion")
    last_agents, last_funnel = result.agent_counts[-1], result.funnel_counts[-1]
    sales = last_funnel[:, 0]  # sales_answered
    assert len(agents) == int((sales > 0).sum())
    # observed ranks are 1..n in decreasing observed conversion; true ranks a permutation of 1..n
    by_obs = sorted(agents, key=lambda r: r["observed_rank"])
    assert [r["observed_rank"] for r in by_obs] == list(range(1, len(agents) + 1))
    assert all(a["observed"] >= b["observed"] for a, b in zip(by_obs, by_obs[1:]))
    assert sorted(r["true_rank"] for r in agents) == list(range(1, len(agents) + 1))
    by_true = sorted(agents, key=lambda r: r["true_rank"])
    assert all(a["true"] >= b["true"] for a, b in zip(by_true, by_true[1:]))
    # inside each team, the ranks are 1..n in the same order as the overall ones
    for name in ("north", "south"):
        mine = sorted((r for r in agents if r["team"] == name), key=lambda r: r["observed_rank"])
        assert [r["observed_team_rank"] for r in mine] == list(range(1, len(mine) + 1))
        mine.sort(key=lambda r: r["true_rank"])
        assert [r["true_team_rank"] for r in mine] == list(range(1, len(mine) + 1))
    # a team's observed conversion is its agents' orders pooled over their sales calls
    for team in teams:
        mine = [r for r in agents if r["team"] == team["team"]]
        assert team["agents"] == len(mine)
        orders = sum(r["observed"] * r["calls"] for r in mine)
        assert team["observed"] == pytest.approx(orders / sum(r["calls"] for r in mine))
        assert team["true"] == pytest.approx(np.mean([r["true"] for r in mine]))
    assert sorted(t["observed_rank"] for t in teams) == [1, 2]


def test_report_html_writes_the_file(result, tmp_path):
    path = result.report_html(tmp_path / "wf.html")
    text = path.read_text()
    rows = re.findall(r"<tr>", text.split('leaderboard-agents')[1].split("</table>")[0])
    assert len(rows) == len(leaderboard_rows(result, "conversion")[1]) + 1


@pytest.mark.browser
def test_workforce_report_renders_in_chromium(result, tmp_path):
    import browser

    path = result.report_html(tmp_path / "wf.html")
    facts = browser.open_page(path, screenshot=tmp_path / "wf.png")
    assert facts.chart_divs == facts.rendered_plots == facts.plotly_divs == 7
    assert facts.severe == [], f"console errors: {facts.severe}"
    assert facts.boxes["chart-trajectories"]["visible"] and facts.boxes["chart-trajectories"]["width"] > 600
