"""The HTML report of a workforce study: one or more replications of ``run_periods`` pooled,
one self-contained page.

Per period, each KPI's mean over the replications with its 95 % Student-t CI (bands in the
charts, ± in the table): headcount and tenure mix, true and observed mean conversion, service
level, revenue, cost, turnover, leavers, wrong eliminations and their rate. Over the run: the
rate of wrong eliminations (an eliminated agent whose true conversion was above the median) and
the agreement of the published ranking with the true one, with their CIs; the ledger of people.
For one chosen replication: each agent's true conversion over the periods (a chart) and the last
period's leaderboards (赛马), per team and per agent, with the observed rank beside the true one.
The pooled numbers are embedded as JSON (``<script id="wf-summary">``), the same cells as
``ccsim workforce --json``. Built with the study report's machinery (``page`` style and macros,
``tables.build_table``, plotly charts inlined as in ``html``, bands as in ``figures``).
"""
from __future__ import annotations

import math
from pathlib import Path

import jinja2
import numpy as np
import plotly.graph_objects as go
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from ..files import write_page
from ..jsonio import to_json
from ..report_table import format_halfwidth, format_value, is_finite
from ..workforce.pooled import LEDGER_KEYS, pooled_summary, tenure_keys
from ..workforce.ranking import scores
from . import figures, page
from .html import _chart
from .tables import Column, build_table, percent, text_column

MAX_TRAJECTORIES = 60  # agents drawn in the trajectory chart (evenly picked beyond that)

TEMPLATE = "<!DOCTYPE html>\n" + page.MACROS + """<html lang="en"><head><meta charset="utf-8">
<title>{{ title }}</title><meta name="viewport" content="width=device-width, initial-scale=1">
<style>{{ css }}</style><script type="text/javascript">{{ plotlyjs }}</script>
</head><body><main>
<header><h1>{{ title }}</h1><ul class="meta">
{%- for key, value in meta %}<li><b>{{ key }}</b>{{ value }}</li>{% endfor -%}
</ul></header>
<section id="periods"><h2>Per period</h2>{{ note(ci_note) }}{{ note(notes.periods) }}
<div class="charts">{% for c in charts %}{{ chart(c) }}{% endfor %}</div>
{{ table(periods, "ccsim-table periods") }}</section>
<section id="run"><h2>Over the run</h2>{{ note(notes.run) }}
{{ table(run, "ccsim-table run") }}
<h3>People at the end</h3>{{ table(ledger, "ccsim-table ledger") }}</section>
<section id="trajectories"><h2>Agents' trajectories ({{ shown }})</h2>{{ note(notes.trajectories) }}
{{ chart(trajectories) }}</section>
<section id="leaderboard"><h2>Leaderboard of the last period ({{ shown }})</h2>{{ note(notes.leaderboard) }}
<h3>Teams</h3>{{ table(teams, "ccsim-table leaderboard-teams sortable") }}
<h3>Agents</h3>{{ table(agents, "ccsim-table leaderboard-agents sortable") }}</section>
<script type="application/json" id="wf-summary">{{ summary_json }}</script>
<script>{{ sort_script }}</script>
</main></body></html>
"""

NOTES = {
    "periods": "Headcount: agents on the phones at the period's start; tenure mix: agents on the payroll at its "
               "end by tenure (days). True conversion: the mean true ability of those on the phones at the start; "
               "observed: orders / sales calls answered. Turnover: leavers after the period / headcount. Wrong "
               "eliminations: eliminated with a true conversion above the median of those on the phones; wrong "
               "rate: wrong eliminations / eliminated (periods of a replication without elimination left out).",
    "run": "Per replication, summed over the periods, then the mean over the replications ± the 95 % Student-t "
           "half-width. Rate of wrong eliminations: wrong eliminations / eliminated, over the replications that "
           "eliminated someone. Rank correlation: Spearman's, between the observed and the true rank of the "
           "agents ranked on the last period's leaderboard (1: the published ranking is the true one).",
    "trajectories": "Each agent's true conversion at the end of each period, until it left (at most "
                    f"{MAX_TRAJECTORIES} agents drawn).",
    "leaderboard": "Ranked on the last period's observed KPI (agents with at least one call), over all agents "
                   "and inside each team; the true rank orders the same agents (teams) by their true conversion. "
                   "Click a header to sort.",
}

_ENVIRONMENT = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


def write_workforce_html(results, path, title: str = "ccsim workforce report", replication: int = 0) -> Path:
    """Write the report of ``results`` (a list of ``PeriodRun``, one per replication, or one
    ``PeriodRun``) to ``path`` atomically; returns the path."""
    path = Path(path)
    write_page(path, render_workforce_html(results, title, replication))
    return path


def render_workforce_html(results, title: str = "ccsim workforce report", replication: int = 0) -> str:
    """The report of ``results`` (a list of ``PeriodRun``, or one) as one HTML document; the
    trajectories and leaderboards are replication ``replication``'s (0-based)."""
    results = list(results) if isinstance(results, (list, tuple)) else [results]
    if not results or not all(r.rows for r in results):
        raise ValueError("the run has no period" if results else "no replication to report")
    if not 0 <= replication < len(results):
        raise ValueError(f"replication {replication + 1} asked for, the report has {len(results)}")
    shown = results[replication]
    summary = pooled_summary(results)
    kpi = leaderboard_kpi(shown)
    context = {
        "title": title, "css": Markup(page.CSS), "plotlyjs": Markup(get_plotlyjs()),
        "sort_script": Markup(page.SORT_SCRIPT), "notes": NOTES, "ci_note": ci_note(len(results)),
        "meta": _meta(results, replication, kpi),
        "shown": f"replication {replication + 1} of {len(results)}",
        "charts": period_charts(summary), "periods": period_table(summary, tenure_keys(results)),
        "run": run_table(summary["run"]), "ledger": ledger_table(summary["run"]["ledger"]),
        "trajectories": _chart(trajectory_figure(shown), "trajectories", wide=True),
        "summary_json": Markup(to_json(summary, indent=None).replace("</", "<\\/")),
    }
    context["teams"], context["agents"] = leaderboards(shown, kpi)
    return _ENVIRONMENT.from_string(TEMPLATE).render(**context)


def ci_note(reps: int) -> str:
    """What the ± and the bands are, or that there are none with one replication."""
    if reps < 2:
        return ("One replication: the values are that replication's, with no confidence interval "
                "(it needs 2 or more replications: --reps).")
    return (f"Mean over {reps} replications; ± and the bands: the 95 % Student-t confidence interval "
            "across replications (rates in %, their half-widths in percentage points).")


def leaderboard_kpi(result) -> str:
    """The leaderboard's KPI: conversion with a funnel, else calls answered per staffed hour."""
    return "conversion" if result.has_funnel else "answered_per_hour"


def _meta(results, replication, kpi) -> list:
    shown = results[replication]
    return [("periods", f"{len(shown.rows):,}"), ("replications", f"{len(results):,}"),
            ("agents", f"{len(shown.status):,}"), ("ranked on", kpi.replace("_", " ")),
            ("trajectories and leaderboards", f"replication {replication + 1}")]


# ---------------------------------------------------------------- cells
def _mean_hw(cell):
    return cell["mean"], cell["ci_halfwidth"]


def rate_cell(cell) -> tuple:
    """A pooled rate: mean in %, ± half-width in pp (none with one replication)."""
    mean, hw = _mean_hw(cell)
    return percent(mean), (format_halfwidth("service_level", hw) if is_finite(mean) and is_finite(hw) else "")


def count_cell(cell) -> tuple:
    """A pooled count: the mean (one decimal unless whole), ± half-width."""
    mean, hw = _mean_hw(cell)
    return format_value("count", mean), (format_halfwidth("count", hw) if is_finite(mean) and is_finite(hw) else "")


def money_cell(cell) -> tuple:
    """A pooled amount of money, whole units."""
    mean, hw = _mean_hw(cell)
    if not is_finite(mean):
        return "n/a", ""
    return f"{mean:,.0f}", (f"± {hw:,.0f}" if is_finite(hw) else "")


def ratio_cell(cell) -> tuple:
    """A pooled correlation, three decimals."""
    mean, hw = _mean_hw(cell)
    if not is_finite(mean):
        return "n/a", ""
    return f"{mean:.3f}", (f"± {hw:.3f}" if is_finite(hw) else "")


def _count(x) -> str:
    return "n/a" if not (isinstance(x, (int, float)) and math.isfinite(x)) else f"{x:,.0f}"


def _band(key: str) -> str:
    lo, hi = key.split("_")[1:]
    return f"{lo}+ d" if hi == "plus" else f"{lo}-{hi} d"


# Per-period columns after the tenure mix: (row key, label, cell format).
PERIOD_COLUMNS = (("true_mean_conversion", "true conversion", rate_cell),
                  ("observed_conversion", "observed conversion", rate_cell),
                  ("service_level", "service level", rate_cell), ("revenue", "revenue", money_cell),
                  ("cost", "cost", money_cell), ("turnover", "turnover", rate_cell), ("hired", "hired", count_cell),
                  ("eliminated", "eliminated", count_cell), ("quit", "quit", count_cell),
                  ("promoted", "promoted", count_cell), ("wrong_eliminations", "wrong eliminations", count_cell),
                  ("wrong_elimination_rate", "wrong rate", rate_cell))


# ---------------------------------------------------------------- per period
def period_table(summary: dict, tenure: list):
    """One row per period: people, KPIs, money and leavers, each the mean ± its half-width."""
    columns = [Column("period", "period", lambda p: f"{p}"), Column("headcount", "headcount", count_cell)]
    columns += [Column(k, f"tenure {_band(k)}", count_cell) for k in tenure]
    columns += [Column(k, label, fmt) for k, label, fmt in PERIOD_COLUMNS]
    return build_table(columns, summary["periods"])


def _series(summary: dict, key: str):
    """(mean, half-width) arrays over the periods."""
    cells = [row[key] for row in summary["periods"]]
    return (np.array([c["mean"] for c in cells], dtype=np.float64),
            np.array([c["ci_halfwidth"] for c in cells], dtype=np.float64))


def band_traces(x, mean, hw, name: str, colour: str, rate: bool) -> list:
    """A mean line with its 95 % band (drawn when a half-width exists), as in ``figures.kpi_band``;
    rates in %, the band cut to the values the KPI can take."""
    factor = 100.0 if rate else 1.0
    mean, hw = mean * factor, hw * factor
    traces = []
    if np.isfinite(hw).any():
        lower, upper = figures._bounds("service_level" if rate else "count", mean, hw)
        traces += [go.Scatter(x=x, y=upper, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip",
                              legendgroup=name),
                   go.Scatter(x=x, y=lower, mode="lines", line={"width": 0}, fill="tonexty", legendgroup=name,
                              fillcolor=figures._rgba(colour, 0.2), name=f"{name}: 95 % CI", hoverinfo="skip")]
    unit = " %" if rate else ""
    traces.append(go.Scatter(x=x, y=mean, mode="lines+markers", name=name, line={"color": colour}, legendgroup=name,
                             customdata=hw, hovertemplate=f"{name}: %{{y:,.2f}} ± %{{customdata:,.2f}}{unit}"
                                                          "<extra></extra>"))
    return traces


def _figure(title: str, traces: list, y_title: str, barmode=None) -> go.Figure:
    fig = go.Figure(traces)
    fig.update_xaxes(title_text="period", dtick=1)
    fig.update_yaxes(title_text=y_title)
    if barmode:
        fig.update_layout(barmode=barmode)
    return figures._style(fig, title)


def period_charts(summary: dict) -> list:
    """Charts over the periods, each KPI's mean with its band: people, ability, service level,
    money, turnover, wrong eliminations."""
    x = np.arange(1, len(summary["periods"]) + 1)

    def line(key, name, i, rate=False):
        return band_traces(x, *_series(summary, key), name, figures.color(i), rate)

    tenure = [k for k in summary["periods"][0] if k.startswith("tenure_")]
    people = [go.Bar(x=x, y=_series(summary, k)[0], name=f"tenure {_band(k)}", marker={"color": figures.color(i)})
              for i, k in enumerate(tenure)] + line("headcount", "headcount (start)", 7)
    charts = [
        ("people", _figure("Headcount and tenure mix (means)", people, "agents", "stack")),
        ("ability", _figure("True and observed conversion", line("true_mean_conversion", "true (mean)", 0, True)
                            + line("observed_conversion", "observed", 1, True), "%")),
        ("service-level", _figure("Service level", line("service_level", "service level", 2, True), "%")),
        ("money", _figure("Revenue and cost", line("revenue", "revenue", 0) + line("cost", "cost", 3), "money")),
        ("turnover", _figure("Turnover", line("turnover", "turnover", 4, True), "%")),
        ("wrong", _figure("Wrong eliminations", line("wrong_elimination_rate", "share of the eliminated", 3, True),
                          "% of the eliminated")),
    ]
    return [_chart(fig, f"wf-{name}") for name, fig in charts]


# ---------------------------------------------------------------- over the run
def run_table(run: dict):
    """Eliminated, wrong eliminations, their rate and the rank correlation over the run."""
    rate = run["wrong_elimination_rate"]
    rows = [{"what": "eliminated", "value": count_cell(run["eliminated"])},
            {"what": "wrong eliminations", "value": count_cell(run["wrong_eliminations"])},
            {"what": f"rate of wrong eliminations ({rate['replications']} replication(s) with an elimination)",
             "value": rate_cell(rate)},
            {"what": "rank correlation, observed vs true (last period)", "value": ratio_cell(run["rank_correlation"])}]
    return build_table([text_column("what", "over the run"), Column("value", "mean", lambda v: v)], rows)


def ledger_table(ledger: dict):
    """The people at the end: hired = active + eliminated + quit + promoted (means)."""
    columns = [Column(k, k.replace("_", " "), count_cell) for k in LEDGER_KEYS]
    return build_table(columns, [ledger])


def trajectory_figure(result) -> go.Figure:
    """Each agent's true conversion at the end of each period (NaN after it left)."""
    traj = np.array(result.trajectory, dtype=np.float64)  # [period, agent]
    worked = np.flatnonzero(sum(c[:, 0] for c in result.agent_counts) > 0)
    shown = worked if len(worked) <= MAX_TRAJECTORIES else worked[
        np.linspace(0, len(worked) - 1, MAX_TRAJECTORIES).round().astype(int)]
    x = np.arange(1, traj.shape[0] + 1)
    fig = go.Figure()
    for a in shown:
        y = traj[:, a] * 100.0
        if result.left_after[a] >= 0:
            y[result.left_after[a] + 1:] = np.nan
        g = int(result.group[a])
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=str(result.ids[a]), legendgroup=str(g),
                                 line={"color": figures.color(g), "width": 1}, opacity=0.7,
                                 hovertemplate=f"{result.ids[a]} ({result.group_names[g]}): %{{y:.1f}} %"))
    fig.update_layout(showlegend=False)
    fig.update_xaxes(title_text="period", dtick=1)
    fig.update_yaxes(title_text="true conversion (%)")
    return figures._style(fig, "True conversion per agent", height=420)


# ---------------------------------------------------------------- leaderboards
def _ranks(values: np.ndarray) -> np.ndarray:
    """1 = highest; NaN stays unranked (0)."""
    out = np.zeros(len(values), dtype=np.int64)
    ok = np.flatnonzero(~np.isnan(values))
    out[ok[np.argsort(-values[ok], kind="stable")]] = np.arange(1, len(ok) + 1)
    return out


def leaderboard_rows(result, kpi: str) -> tuple[list, list]:
    """(team rows, agent rows) of the last period: observed KPI and rank, true conversion and rank."""
    agents, funnel = result.agent_counts[-1], result.funnel_counts[-1]
    score, calls = scores(kpi, agents, funnel if result.has_funnel else None)
    ranked = np.flatnonzero(calls > 0)
    true = np.asarray(result.trajectory[-1])  # no policy acts after the last period
    obs_rank, true_rank = _ranks(score[ranked]), _ranks(true[ranked])
    agent_rows = [dict(id=str(result.ids[a]), team=result.group_names[result.group[a]], calls=float(calls[a]),
                       observed=float(score[a]), observed_rank=int(obs_rank[i]), true=float(true[a]),
                       true_rank=int(true_rank[i]) or None, status=str(result.status[a]))
                  for i, a in enumerate(ranked)]
    for g in range(len(result.group_names)):  # the ranks inside each team
        mine = np.flatnonzero(result.group[ranked] == g)
        for key, values in (("observed_team_rank", score), ("true_team_rank", true)):
            for i, r in zip(mine, _ranks(values[ranked[mine]])):
                agent_rows[i][key] = int(r) or None
    team_rows = []
    for g, name in enumerate(result.group_names):
        mine = ranked[result.group[ranked] == g]
        if not len(mine):
            continue
        s, c = scores(kpi, agents[mine].sum(0, keepdims=True), funnel[mine].sum(0, keepdims=True)
                      if result.has_funnel else None)
        team_rows.append(dict(team=name, agents=len(mine), calls=float(c[0]), observed=float(s[0]),
                              true=float(np.nanmean(true[mine])) if (~np.isnan(true[mine])).any() else np.nan))
    obs_t, true_t = (_ranks(np.array([r[k] for r in team_rows])) for k in ("observed", "true"))
    for r, o, t in zip(team_rows, obs_t, true_t):
        r.update(observed_rank=int(o), true_rank=int(t) or None)
    return team_rows, agent_rows


def leaderboards(result, kpi: str):
    """(team table, agent table) of the last period, in observed rank order."""
    team_rows, agent_rows = leaderboard_rows(result, kpi)
    fmt = percent if kpi == "conversion" else (lambda v: "n/a" if not math.isfinite(v) else f"{v:,.1f}")
    label = kpi.replace("_", " ")
    rank = [Column("observed_rank", "observed rank", _count), Column("true_rank", "true rank", _count)]
    values = [Column("calls", "calls", _count), Column("observed", f"observed {label}", fmt),
              Column("true", "true conversion", percent)]
    teams = build_table(rank + [text_column("team", "team"), Column("agents", "agents", _count)] + values,
                        sorted(team_rows, key=lambda r: r["observed_rank"]))
    in_team = [Column("observed_team_rank", "rank in team", _count),
               Column("true_team_rank", "true rank in team", _count)]
    agents = build_table(rank + in_team + [text_column("id", "agent"), text_column("team", "team")] + values
                         + [text_column("status", "status")],
                         sorted(agent_rows, key=lambda r: r["observed_rank"]))
    return teams, agents
