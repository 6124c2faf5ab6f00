"""HTML tables of the report: a generic row table plus the KPI, group and difference tables.

``html_table`` takes rows (dicts) and column specs, so per-agent and per-team
leaderboards are the same call with other rows, a ``sort_by`` and ``rank=True``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Callable, Optional

from ..report_table import RATE_KPIS, format_halfwidth, format_value
from ..results import KPI_NAMES
from . import stats
from .figures import COMPARE_KPIS


@dataclass(frozen=True)
class Column:
    """A table column: ``format`` turns a cell value into text, or (text, smaller text)."""

    key: str
    label: str
    format: Callable = str
    numeric: bool = True  # right-aligned


def html_table(columns: list, rows: list, caption: str = "", sort_by: Optional[str] = None,
               descending: bool = True, rank: bool = False, css_class: str = "ccsim-table") -> str:
    """One <table>; ``sort_by`` a column key (a (mean, hw) cell sorts by its mean)."""
    if sort_by is not None:
        rows = sorted(rows, key=lambda r: _sort_key(r.get(sort_by)), reverse=descending)
    head = ("<th>#</th>" if rank else "") + "".join(
        f'<th class="{"num" if c.numeric else "text"}">{escape(c.label)}</th>' for c in columns)
    body = []
    for i, row in enumerate(rows, start=1):
        cells = [f'<td class="num">{i}</td>'] if rank else []
        cells += [_cell(c, row.get(c.key)) for c in columns]
        body.append(f"<tr>{''.join(cells)}</tr>")
    caption_html = f"<caption>{escape(caption)}</caption>" if caption else ""
    return (f'<div class="table-wrap"><table class="{css_class}">{caption_html}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _sort_key(value) -> float:
    x = value[0] if isinstance(value, tuple) else value
    try:
        x = float(x)
    except (TypeError, ValueError):
        return -math.inf
    return x if math.isfinite(x) else -math.inf


def _cell(column: Column, value) -> str:
    text = column.format(value) if value is not None else ""
    if isinstance(text, tuple):
        main, sub = text
        text_html = escape(main) + (f'<span class="hw">{escape(sub)}</span>' if sub else "")
    else:
        text_html = escape(text)
    return f'<td class="{"num" if column.numeric else "text"}">{text_html}</td>'


def mean_ci(kpi: str) -> Callable:
    """Formatter of a (mean, half-width) cell; the half-width is left out when undefined."""
    def fmt(value):
        mean, hw = value
        return format_value(kpi, mean), (format_halfwidth(kpi, hw) if math.isfinite(hw) else "")
    return fmt


def kpi_summary_table(data) -> str:
    """KPIs (rows) by point (columns): mean ± 95 % half-width across replications."""
    columns = [Column("kpi", "KPI", numeric=False)]
    rows = [{"kpi": k} for k in KPI_NAMES]
    summary = stats.point_summaries(data, KPI_NAMES)
    for p in data.points:
        key = f"p{p.point}"
        columns.append(Column(key, p.label, lambda v: v))
        for row in rows:
            row[key] = mean_ci(row["kpi"])(summary[p.point, row["kpi"]])
    return html_table(columns, rows)


GROUP_TABLE_COLUMNS = [
    Column("point", "point", numeric=False),
    Column("group", "group", numeric=False),
    Column("agents", "agents", mean_ci("agents")),
    Column("answered", "answered", mean_ci("answered")),
    Column("aht", "AHT", mean_ci("aht")),
    Column("occupancy", "occupancy", mean_ci("occupancy")),
]


def group_rows(data) -> list:
    """One row per (point, agent group): {point, group, agents, answered, aht, occupancy}."""
    rows = []
    for p in data.points:
        for group, cells in stats.group_summary(data.records_of(p.point)).items():
            rows.append({"point": p.label, "group": group, **cells})
    return rows


def group_table(data) -> str:
    return html_table(GROUP_TABLE_COLUMNS, group_rows(data))


def difference_table(data) -> str:
    """Each point against the first: difference ± 95 % half-width of the compared KPIs."""
    diffs = stats.differences(data, COMPARE_KPIS)
    columns = [Column("point", "point", numeric=False)] + [
        Column(k, f"Δ {k}", _difference_format(k)) for k in COMPARE_KPIS]
    rows = [{"point": p.label, **{k: diffs[p.point, k] for k in COMPARE_KPIS}} for p in data.points[1:]]
    return html_table(columns, rows)


def _difference_format(kpi: str) -> Callable:
    def fmt(value):
        diff, hw = value
        if not math.isfinite(diff):
            return "n/a", ""
        text = f"{100 * diff:+.2f} pp" if kpi in RATE_KPIS else f"{diff:+,.2f} s"
        return text, (format_halfwidth(kpi, hw) if math.isfinite(hw) else "")
    return fmt
