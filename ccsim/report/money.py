"""The report's money section: the funnel chart, the cumulative money chart, the money KPIs,
the ROI per channel and per airing, and orders / conversion / revenue per team and agent.

Built from ``ccsim.money.money_report`` (cells {mean, ci_halfwidth} across replications),
which ``ccsim run --html`` hands to ``write_html``; a study's report has no money section.
"""
from __future__ import annotations

import math

import plotly.graph_objects as go

from ..report_table import is_finite
from .figures import PALETTE, _style
from .tables import Column, build_table, text_column

NOTES = {
    "money": "Orders of calls answered after the warm-up, followed to the cut (horizon + the funnel's follow "
             "days), each counted by the state it reached; costs as defined in the KPI reference. Mean over "
             "replications ± 95 % half-width.",
    "channels": "ROI per source of callers: ROAS = collected revenue / the channel's ad spend (airings at or "
                "after the warm-up). The rows add up to the totals.",
    "agents": "Per team and per agent: answered calls, orders, conversion = orders / answered sales calls, "
              "collected revenue of the orders taken, and the cost of the staffed hours (each agent at its rate).",
}
FUNNEL_STAGES = (("sales_answered", "answered sales calls"), ("orders", "orders"), ("verified", "verified"),
                 ("shipped", "shipped"), ("signed", "signed for"), ("collected", "collected"))
KPI_ROWS = ("orders", "conversion", "cross_sell_rate", "verification_rate", "sign_for_rate", "gross_sales",
            "collected_revenue", "total_cost", "cost_per_order", "revenue_per_agent_hour", "roi", "profit",
            "lost_sales_calls", "lost_revenue")
RATES = ("conversion", "cross_sell_rate", "verification_rate", "sign_for_rate")


def number(digits: int = 0, percent: bool = False):
    """Formatter of a {mean, ci_halfwidth} cell: (text, ± half-width)."""
    def fmt(cell):
        mean, hw = cell["mean"], cell["ci_halfwidth"]
        if not is_finite(mean):
            return "n/a", ""
        scale, suffix = (100.0, " %") if percent else (1.0, "")
        main = f"{scale * mean:,.{digits}f}{suffix}"
        return main, (f"± {scale * hw:,.{digits}f}{' pp' if percent else ''}" if is_finite(hw) else "")
    return fmt


def _kpi_format(kpi: str):
    return number(1, percent=True) if kpi in RATES else number(2 if kpi == "roi" else 0)


def kpi_table(money: dict):
    rows = [{"kpi": k, "definition": money["definitions"][k], "value": money["kpis"][k]} for k in KPI_ROWS]
    rows += [{"kpi": f"cost: {k}", "definition": "", "value": v} for k, v in money["costs"].items()
             if k not in ("total", "agent_hours", "line_minutes")]
    columns = [text_column("kpi", "KPI"), Column("value", "value", lambda v: v), text_column("definition",
                                                                                          "definition")]
    for row in rows:
        row["value"] = _kpi_format(row["kpi"])(row["value"])
    return build_table(columns, rows)


def channel_table(rows: list):
    columns = [text_column("channel", "channel"), Column("callers", "callers", number()),
               Column("orders", "orders", number()), Column("conversion", "conversion", number(1, True)),
               Column("gross_sales", "gross sales", number()),
               Column("collected_revenue", "collected revenue", number()),
               Column("spend", "spend", number()), Column("roas", "ROAS", number(2))]
    return build_table(columns, rows)


def airing_table(rows: list):
    columns = [Column("time", "time (h)", lambda c: f"{c['mean'] / 3600:.2f}"), text_column("channel", "channel"),
               Column("spend", "spend", number()), Column("callers", "callers", number()),
               Column("orders", "orders", number()), Column("collected_revenue", "collected revenue", number()),
               Column("roas", "ROAS", number(2))]
    return build_table(columns, rows)


def agent_table(rows: list, key: str):
    """Per team (``key`` "team") or agent ("id"), best revenue first."""
    columns = [text_column(key, key if key == "team" else "agent"), Column("answered", "answered", number()),
               Column("orders", "orders", number()), Column("conversion", "conversion", number(1, True)),
               Column("collected_revenue", "collected revenue", number()), Column("cost", "cost", number())]
    rows = sorted(rows, key=lambda r: _sort_value(r["collected_revenue"]), reverse=True)
    return build_table(columns, rows, rank=key != "team")


def _sort_value(cell) -> float:
    value = cell["mean"]
    return value if is_finite(value) else -math.inf


def funnel_figure(money: dict) -> go.Figure:
    """The funnel's stages, mean over replications (hover: share of orders)."""
    stages = [(label, money["funnel"][key]["mean"]) for key, label in FUNNEL_STAGES]
    fig = go.Figure(go.Funnel(y=[s[0] for s in stages], x=[s[1] for s in stages], textinfo="value+percent initial",
                              marker={"color": PALETTE[0]}))
    return _style(fig, "Sales funnel (orders by the state reached at the cut)")


def cumulative_figure(money: dict) -> go.Figure:
    """Cumulative collected revenue and cumulative cost by day, with their 95 % bands."""
    days = money["days"]
    x = [row["day"] + 1 for row in days]
    fig = go.Figure()
    for i, (key, name) in enumerate((("cum_revenue", "collected revenue"), ("cum_cost", "cost"))):
        mean = [row[key]["mean"] for row in days]
        hw = [row[key]["ci_halfwidth"] if is_finite(row[key]["ci_halfwidth"]) else 0.0 for row in days]
        colour = PALETTE[i]
        fig.add_trace(go.Scatter(x=x + x[::-1], y=[m + h for m, h in zip(mean, hw)] +
                                 [m - h for m, h in zip(mean, hw)][::-1], fill="toself", line={"width": 0},
                                 fillcolor=colour, opacity=0.2, hoverinfo="skip", showlegend=False))
        fig.add_trace(go.Scatter(x=x, y=mean, mode="lines+markers", name=name, line={"color": colour}))
    fig.update_xaxes(title_text="day")
    fig.update_yaxes(title_text="money (cumulative)", rangemode="tozero")
    return _style(fig, "Cumulative collected revenue and cost")


def section(money: dict, chart) -> dict | None:
    """The page's money section, or None without money."""
    if not money:
        return None
    charts = []
    if money["funnel"]["sales_answered"]["mean"]:
        charts.append(chart(funnel_figure(money), "money-funnel"))
    if money["days"]:
        charts.append(chart(cumulative_figure(money), "money-cumulative"))
    return {
        "note": NOTES["money"], "kpis": kpi_table(money), "charts": charts,
        "channels_note": NOTES["channels"],
        "channels": channel_table(money["channels"]) if len(money["channels"]) > 1 else None,
        "airings": airing_table(money["airings"]) if money["airings"] else None,
        "agents_note": NOTES["agents"], "teams": agent_table(money["teams"], "team"),
        "agents": agent_table(money["agents"], "id"),
    }


__all__ = ["section", "funnel_figure", "cumulative_figure"]
