"""The HTML report of a workforce run: its sections, the period table, the leaderboards (observed
rank beside the true one, team scores pooled from their agents), and that it draws in Chromium;
several replications pooled: each cell the t interval over them, the page showing the JSON it
embeds, the CI shrinking with more replications, one replication without CI."""
import html
import json
import re

import numpy as np
import pytest
from test_workforce import DAY, center

from scipy import stats

from ccsim.jsonio import to_json
from ccsim.report import workforce as wf_report
from ccsim.report.workforce import leaderboard_rows, render_workforce_html
from ccsim.workforce import Attrition, BottomElimination, Learning, pooled_summary, report_html, run_periods
from ccsim.workforce.pooled import rank_correlation, tenure_keys


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


# ---------------------------------------------------------------- replications pooled
def page_table(text: str, css: str) -> tuple[list, list]:
    """(headers, rows of (text, ± text)) of the page's table of class ``css``."""
    part = text.split(f'class="ccsim-table {css}')[1].split("</table>")[0]
    headers = [html.unescape(h) for h in re.findall(r"<th class=[^>]*>(.*?)</th>", part)]
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", part.split("<tbody>")[1]):
        cells = re.findall(r'<td[^>]*>(.*?)(?:<span class="hw">(.*?)</span>)?</td>', tr)
        rows.append([(html.unescape(a), html.unescape(b)) for a, b in cells])
    return headers, rows


def embedded_summary(text: str) -> dict:
    return json.loads(text.split('<script type="application/json" id="wf-summary">')[1].split("</script>")[0])


def shown_number(text: str, rate: bool):
    """(value, half a unit of its last digit) of a cell as printed: rates back to fractions."""
    t = text.replace(",", "").replace("± ", "").replace(" pp", "").replace(" %", "")
    if t == "n/a":
        return None, 0.0
    decimals = len(t.split(".")[1]) if "." in t else 0
    scale = 0.01 if rate else 1.0
    return float(t) * scale, 0.5 * 10.0 ** -decimals * scale


def assert_cell_shows(printed: tuple, cell: dict, rate: bool):
    """The printed mean (± half-width) is the JSON cell's, to the digits shown."""
    mean, tol = shown_number(printed[0], rate)
    if cell["mean"] is None:
        assert mean is None
        return
    assert abs(mean - cell["mean"]) <= tol * 1.0001, (printed, cell)
    if cell["ci_halfwidth"] is None:
        assert printed[1] == ""
    else:
        hw, tol = shown_number(printed[1], rate)
        assert abs(hw - cell["ci_halfwidth"]) <= tol * 1.0001, (printed, cell)


RATE_KEYS = {"true_mean_conversion", "observed_conversion", "service_level", "turnover", "wrong_elimination_rate"}


def period_column_keys(tenure: list) -> dict:
    """{header label: row key} of the period table."""
    out = {"headcount": "headcount", **{f"tenure {wf_report._band(k)}": k for k in tenure}}
    return {**out, **{label: key for key, label, _ in wf_report.PERIOD_COLUMNS}}


def low_volume(n=8, days=4):
    """Few sales calls per agent and period: the ranking is noisy, eliminations go wrong."""
    return center(n=n, horizon=days * DAY, rate=0.006, groups=("north", "south"))


def noisy_policies():
    return [BottomElimination(fraction=0.25, min_calls=2), Attrition(0.05), Learning()]


@pytest.fixture(scope="module")
def pooled():
    """Eight replications of a noisy ranking (seeds 100..107)."""
    return [run_periods(low_volume(), DAY, noisy_policies(), seed=100 + r) for r in range(8)]


def test_pooled_cells_are_the_replications_t_intervals(pooled):
    summary = pooled_summary(pooled)
    assert summary["reps"] == 8 and len(summary["periods"]) == 4
    q = stats.t.ppf(0.975, 7)
    for p, row in enumerate(summary["periods"]):
        for key in ("headcount", "revenue", "true_mean_conversion", "service_level", "tenure_0_30"):
            values = np.array([r.rows[p][key] for r in pooled], dtype=float)
            assert row[key]["mean"] == pytest.approx(values.mean())
            assert row[key]["ci_halfwidth"] == pytest.approx(q * values.std(ddof=1) / np.sqrt(8))
        rates = [r.rows[p]["wrong_eliminations"] / r.rows[p]["eliminated"] for r in pooled if r.rows[p]["eliminated"]]
        if rates:
            assert row["wrong_elimination_rate"]["mean"] == pytest.approx(np.mean(rates))


def test_wrong_elimination_rate_over_the_run(pooled):
    run = pooled_summary(pooled)["run"]
    per_rep = [sum(r["wrong_eliminations"] for r in x.rows) / sum(r["eliminated"] for r in x.rows) for x in pooled]
    assert run["wrong_elimination_rate"]["replications"] == 8
    assert run["wrong_elimination_rate"]["mean"] == pytest.approx(np.mean(per_rep))
    assert run["wrong_elimination_rate"]["ci_halfwidth"] == pytest.approx(
        stats.t.ppf(0.975, 7) * np.std(per_rep, ddof=1) / np.sqrt(8))
    assert 0 < run["wrong_elimination_rate"]["mean"] < 1  # the noisy ranking gets some wrong
    assert run["eliminated"]["mean"] == pytest.approx(np.mean([x.ledger()["eliminated"] for x in pooled]))
    # the rank correlation is Spearman's between the last period's observed and true ranks
    for x in pooled[:2]:
        agents = leaderboard_rows(x, "conversion")[1]
        rho = stats.spearmanr([a["observed_rank"] for a in agents], [a["true_rank"] for a in agents]).statistic
        assert rank_correlation(x) == pytest.approx(rho)


def test_ci_shrinks_with_more_replications(pooled):
    """With 8 replications the half-widths are smaller than with the first 3 of them: the
    expected ratio is t(2)/sqrt(3) / (t(7)/sqrt(8)) = 2.95 (times s3/s8). A single cell can
    go the other way by chance (s3 below s8 / 2.95: about 6 %), so the median ratio over every
    cell with a spread decides: it falls below 1 only if half the cells did (probability < 1e-6)."""
    few, many = pooled_summary(pooled[:3])["periods"], pooled_summary(pooled)["periods"]
    ratios = [a[k]["ci_halfwidth"] / b[k]["ci_halfwidth"] for a, b in zip(few, many) for k in a
              if k != "period" and b[k]["ci_halfwidth"] > 0 and np.isfinite(a[k]["ci_halfwidth"])]
    assert len(ratios) >= 20
    assert np.median(ratios) > 1.0


def test_pooled_page_shows_the_summary_it_embeds(pooled):
    text = render_workforce_html(pooled, title="pooled", replication=2)
    summary = embedded_summary(text)
    assert summary == json.loads(to_json(pooled_summary(pooled)))
    headers, rows = page_table(text, "periods")
    keys = period_column_keys(tenure_keys(pooled))
    assert len(rows) == 4 and set(headers) == {"period"} | set(keys)
    for row, cells in zip(summary["periods"], rows):
        for label, printed in zip(headers, cells):
            if label != "period":
                assert_cell_shows(printed, row[keys[label]], keys[label] in RATE_KEYS)
    _, run_rows = page_table(text, "run")
    assert_cell_shows(run_rows[2][1], summary["run"]["wrong_elimination_rate"], rate=True)
    assert "Mean over 8 replications" in text and "95 % CI" in text  # the bands' legend
    # trajectories and leaderboards: the chosen replication's, and said so
    assert "Leaderboard of the last period (replication 3 of 8)" in text
    _, agents = page_table(text, "leaderboard-agents")
    expected = sorted(leaderboard_rows(pooled[2], "conversion")[1], key=lambda r: r["observed_rank"])
    assert [row[4][0] for row in agents] == [r["id"] for r in expected]


def test_one_replication_page_has_no_ci(pooled, tmp_path):
    path = report_html(pooled[:1], tmp_path / "one.html")
    text = path.read_text()
    assert "One replication" in text and "no confidence interval" in text
    assert "95 % CI" not in text.split('id="trajectories"')[0]  # no band in the charts
    _, rows = page_table(text, "periods")
    assert all(sub == "" for row in rows for _, sub in row)
    summary = embedded_summary(text)
    assert all(cell["ci_halfwidth"] is None for row in summary["periods"] for k, cell in row.items() if k != "period")
    assert summary["periods"][0]["revenue"]["mean"] == pytest.approx(pooled[0].rows[0]["revenue"])
    with pytest.raises(ValueError, match="replication 2 asked for"):
        render_workforce_html(pooled[:1], replication=1)


@pytest.mark.browser
def test_pooled_workforce_report_renders_in_chromium(pooled, tmp_path):
    import browser

    path = report_html(pooled, tmp_path / "pooled.html", replication=1)
    facts = browser.open_page(path, screenshot=tmp_path / "pooled.png")
    assert facts.chart_divs == facts.rendered_plots == facts.plotly_divs == 7
    assert facts.severe == [], f"console errors: {facts.severe}"
    for name in ("people", "ability", "service-level", "money", "turnover", "wrong"):
        box = facts.boxes[f"chart-wf-{name}"]
        assert box["visible"] and box["width"] > 300
    assert facts.boxes["chart-trajectories"]["visible"] and facts.boxes["chart-trajectories"]["width"] > 600
