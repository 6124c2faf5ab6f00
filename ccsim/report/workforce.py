"""The HTML report of a workforce run (``run_periods``): one self-contained page.

Per period: headcount and tenure mix, true and observed mean conversion, service level, revenue,
cost, turnover, leavers and wrong eliminations (charts and a table); each agent's true conversion
over the periods (a chart); the last period's leaderboards (赛马), per team and per agent, with
the observed rank beside the true one. Built with the study report's machinery (``page`` style and
macros, ``tables.build_table``, plotly charts inlined as in ``html``).
"""
from __future__ import annotations

import math
from pathlib import Path

import jinja2
import numpy as np
import plotly.graph_objects as go
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from ..files import write_text_atomic
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
<section id="periods"><h2>Per period</h2>{{ note(notes.periods) }}
<div class="charts">{% for c in charts %}{{ chart(c) }}{% endfor %}</div>
{{ table(periods, "ccsim-table periods") }}</section>
<section id="trajectories"><h2>Agents' trajectories</h2>{{ note(notes.trajectories) }}
{{ chart(trajectories) }}</section>
<section id="leaderboard"><h2>Leaderboard of the last period</h2>{{ note(notes.leaderboard) }}
<h3>Teams</h3>{{ table(teams, "ccsim-table leaderboard-teams sortable") }}
<h3>Agents</h3>{{ table(agents, "ccsim-table leaderboard-agents sortable") }}</section>
<script>{{ sort_script }}</script>
</main></body></html>
"""

NOTES = {
    "periods": "One replication. Headcount: agents on the phones at the period's start; tenure mix: agents on "
               "the payroll at its end by tenure (days). True conversion: the mean true ability of those on the "
               "phones at the start; observed: orders / sales calls answered. Turnover: leavers after the period "
               "/ headcount. Wrong eliminations: eliminated with a true conversion above the median.",
    "trajectories": "Each agent's true conversion at the end of each period, until it left (at most "
                    f"{MAX_TRAJECTORIES} agents drawn).",
    "leaderboard": "Ranked on the last period's observed KPI (agents with at least one call), over all agents "
                   "and inside each team; the true rank orders the same agents (teams) by their true conversion. "
                   "Click a header to sort.",
}

_ENVIRONMENT = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


def write_workforce_html(result, path, title: str = "ccsim workforce report") -> Path:
    """Write the report of ``result`` (a ``PeriodRun``) to ``path`` atomically; returns the path."""
    path = Path(path)
    text = render_workforce_html(result, title)
    write_text_atomic(path, lambda handle: handle.write(text))
    return path


def render_workforce_html(result, title: str = "ccsim workforce report") -> str:
    """The report of ``result`` (a ``PeriodRun``) as one HTML document."""
    if not result.rows:
        raise ValueError("the run has no period")
    kpi = _kpi(result)
    context = {
        "title": title, "css": Markup(page.CSS), "plotlyjs": Markup(get_plotlyjs()),
        "sort_script": Markup(page.SORT_SCRIPT), "notes": NOTES, "meta": _meta(result, kpi),
        "charts": period_charts(result), "periods": period_table(result),
        "trajectories": _chart(trajectory_figure(result), "trajectories", wide=True),
    }
    context["teams"], context["agents"] = leaderboards(result, kpi)
    return _ENVIRONMENT.from_string(TEMPLATE).render(**context)


def _kpi(result) -> str:
    """The leaderboard's KPI: conversion with a funnel, else calls answered per staffed hour."""
    return "conversion" if result.has_funnel else "answered_per_hour"


def _meta(result, kpi) -> list:
    ledger = result.ledger()
    return [("periods", f"{len(result.rows):,}"), ("agents", f"{len(result.status):,}"),
            ("ranked on", kpi.replace("_", " ")),
            ("ledger", ", ".join(f"{k} {v:,}" for k, v in ledger.items() if k != "in_training"))]


# ---------------------------------------------------------------- per period
def _series(result, key) -> np.ndarray:
    return np.array([row.get(key, np.nan) for row in result.rows], dtype=np.float64)


def _money(x) -> str:
    return "n/a" if not (isinstance(x, (int, float)) and math.isfinite(x)) else f"{x:,.0f}"


def _count(x) -> str:
    return "n/a" if not (isinstance(x, (int, float)) and math.isfinite(x)) else f"{x:,.0f}"


def tenure_keys(result) -> list:
    """The row keys of the tenure mix, in band order."""
    return [k for k in result.rows[0] if k.startswith("tenure_")]


def _band(key: str) -> str:
    lo, hi = key.split("_")[1:]
    return f"{lo}+ d" if hi == "plus" else f"{lo}-{hi} d"


def period_table(result):
    """One row per period: people, KPIs, money and leavers."""
    columns = [Column("period", "period", lambda p: f"{p + 1}"), Column("headcount", "headcount", _count)]
    columns += [Column(k, f"tenure {_band(k)}", _count) for k in tenure_keys(result)]
    columns += [Column("true_mean_conversion", "true conversion", percent),
                Column("observed_conversion", "observed conversion", percent),
                Column("service_level", "service level", percent),
                Column("revenue", "revenue", _money), Column("cost", "cost", _money),
                Column("turnover", "turnover", percent)]
    columns += [Column(k, k.replace("_", " "), _count) for k in ("hired", "eliminated", "quit", "promoted",
                                                                  "wrong_eliminations")]
    return build_table(columns, result.rows)


def _figure(title: str, traces: list, y_title: str, barmode=None) -> go.Figure:
    fig = go.Figure(traces)
    fig.update_xaxes(title_text="period", dtick=1)
    fig.update_yaxes(title_text=y_title)
    if barmode:
        fig.update_layout(barmode=barmode)
    return figures._style(fig, title)


def period_charts(result) -> list:
    """Charts over the periods: people, ability, service level, money, turnover."""
    x = np.arange(1, len(result.rows) + 1)

    def line(key, name, i, factor=1.0):
        return go.Scatter(x=x, y=_series(result, key) * factor, name=name, mode="lines+markers",
                          line={"color": figures.color(i)})

    tenure = [go.Bar(x=x, y=_series(result, k), name=f"tenure {_band(k)}", marker={"color": figures.color(i)})
              for i, k in enumerate(tenure_keys(result))]
    tenure.append(line("headcount", "headcount (start)", 7))
    charts = [
        ("people", _figure("Headcount and tenure mix", tenure, "agents", "stack")),
        ("ability", _figure("True and observed conversion", [line("true_mean_conversion", "true (mean)", 0, 100),
                                                              line("observed_conversion", "observed", 1, 100)], "%")),
        ("service-level", _figure("Service level", [line("service_level", "service level", 2, 100)], "%")),
        ("money", _figure("Revenue and cost", [line("revenue", "revenue", 0), line("cost", "cost", 3)], "money")),
        ("turnover", _figure("Turnover and wrong eliminations", [
            line("turnover", "turnover (%)", 4, 100), line("wrong_eliminations", "wrong eliminations", 3)], "")),
    ]
    return [_chart(fig, f"wf-{name}") for name, fig in charts]


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
