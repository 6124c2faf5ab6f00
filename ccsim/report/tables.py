"""The report's tables as data: rows of formatted cells, rendered by the page template.

``build_table`` takes rows (dicts) and column specs, so per-agent and per-team
leaderboards are the same call with other rows, a ``sort_by`` and ``rank=True``.
Units follow ``ccsim.report_table``: rates in %, their half-widths and differences
in percentage points (pp), times in s, counts with thousands separators, NaN as "n/a".
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional

from ..report_table import RATE_KPIS, format_halfwidth, format_value, is_finite
from ..results import KPI_NAMES
from . import goals, stats
from .figures import COMPARE_KPIS, KPI_LABELS

# Per call type every KPI but occupancy, which belongs to agents, not calls.
CALL_TYPE_KPIS = tuple(k for k in KPI_NAMES if k != "occupancy")


@dataclass(frozen=True)
class Cell:
    """A table cell: ``text``, a smaller second line ``sub`` (a half-width), a CSS class."""

    text: str
    sub: str = ""
    numeric: bool = True  # right-aligned
    css: str = ""


@dataclass(frozen=True)
class Table:
    headers: tuple  # ((label, numeric), ...)
    rows: tuple  # (tuple of Cell, ...)


@dataclass(frozen=True)
class Column:
    """A table column: ``format`` turns a cell value into text, or (text, smaller text)."""

    key: str
    label: str
    format: Callable = str
    numeric: bool = True  # right-aligned
    css: Optional[Callable] = None  # value -> CSS class of the cell


def build_table(columns: list, rows: list, sort_by: Optional[str] = None, descending: bool = True,
                rank: bool = False) -> Table:
    """A ``Table``; ``sort_by`` a column key (a (mean, hw) cell sorts by its mean); ``rank`` adds
    a "#" column, ties on ``sort_by`` sharing the better rank."""
    if sort_by is not None:
        rows = sorted(rows, key=lambda r: _sort_key(r.get(sort_by)), reverse=descending)
    headers = ((("#", True),) if rank else ()) + tuple((c.label, c.numeric) for c in columns)
    body, place, previous = [], 0, None
    for i, row in enumerate(rows, start=1):
        if rank:  # rows tied on the sort column share the better rank (as agent_report.rank)
            key = _sort_key(row.get(sort_by)) if sort_by is not None else i
            place = place if i > 1 and key == previous else i
            previous = key
        cells = (Cell(f"{place:,}"),) if rank else ()
        body.append(cells + tuple(_cell(c, row.get(c.key)) for c in columns))
    return Table(headers, tuple(body))


def _sort_key(value) -> float:
    x = value[0] if isinstance(value, tuple) else value
    try:
        x = float(x)
    except (TypeError, ValueError):
        return -math.inf
    return x if math.isfinite(x) else -math.inf


def _cell(column: Column, value) -> Cell:
    text = column.format(value) if value is not None else ""
    main, sub = text if isinstance(text, tuple) else (text, "")
    css = column.css(value) if column.css and value is not None else ""
    return Cell(main, sub, column.numeric, css)


def mean_ci(kpi: str) -> Callable:
    """Formatter of a (mean, half-width) cell; the half-width is left out when undefined
    (one replication)."""
    def fmt(value):
        mean, hw = value
        return format_value(kpi, mean), (format_halfwidth(kpi, hw) if is_finite(mean) and is_finite(hw) else "")
    return fmt


def percent(x) -> str:
    """A fraction in %, like a rate KPI."""
    return format_value("service_level", x)


def text_column(key: str, label: str) -> Column:
    return Column(key, label, numeric=False)


# ---------------------------------------------------------------- KPIs
def kpi_summary_table(data) -> Table:
    """KPIs (rows, in ``KPI_NAMES`` order) by point (columns): mean ± 95 % half-width."""
    columns = [text_column("kpi", "KPI")]
    rows = [{"kpi": k} for k in KPI_NAMES]
    summary = stats.point_summaries(data, KPI_NAMES)
    if getattr(data, "batch_means", None) and len(data.points) == 1:  # one replication: as the terminal
        point = data.points[0].point
        summary.update({(point, k): (cell["mean"], cell["ci_halfwidth"]) for k, cell in data.batch_means.items()
                        if k in KPI_NAMES})
    for p in data.points:
        key = f"p{p.point}"
        columns.append(Column(key, p.label, lambda v: v))
        for row in rows:
            row[key] = mean_ci(row["kpi"])(summary[p.point, row["kpi"]])
    return build_table(columns, rows)


def call_type_rows(data) -> list:
    """One row per (point, call type): {point, call_type, sl_threshold, kpi: (mean, half-width)}."""
    rows = []
    for p in data.points:
        own = _own_thresholds(p.scenario)
        for name, cells in stats.call_type_summary(data.records_of(p.point), CALL_TYPE_KPIS).items():
            rows.append({"point": p.label, "call_type": name, "sl_threshold": own.get(name), **cells})
    return rows


def _own_thresholds(scenario: dict) -> dict:
    """{call type: its service-level threshold (s)}: its own, else the scenario-wide one."""
    default = (scenario.get("service_level") or {}).get("threshold", 20.0)
    out = {}
    for c in scenario.get("call_types", ()):
        own = c.get("service_level_threshold")
        out[c["name"]] = default if own is None else own
    return out


def call_type_table(data) -> Table:
    """KPIs per call type (columns in ``KPI_NAMES`` order, occupancy left out), the service
    level with the type's own threshold."""
    columns = [text_column("point", "point"), text_column("call_type", "call type"),
               Column("sl_threshold", "SL within", lambda t: f"{t:g} s")]
    columns += [Column(k, KPI_LABELS.get(k, k.replace("_", " ")), mean_ci(k)) for k in CALL_TYPE_KPIS]
    return build_table(columns, call_type_rows(data))


def service_level_table(data) -> Optional[Table]:
    """Per (point, call type, then all): the service level at each extra threshold, mean ±
    95 % half-width; None when no point holds them (no thresholds, or records from a store)."""
    rows, thresholds = [], []
    for p in data.points:
        for name, cells in stats.service_level_summary(data.records_of(p.point)).items():
            rows.append({"point": p.label, "call_type": name, **cells})
            thresholds += [t for t in cells if t not in thresholds]
    if not rows:
        return None
    columns = [text_column("point", "point"), text_column("call_type", "call type")]
    columns += [Column(t, f"within {t} s", mean_ci("service_level")) for t in thresholds]
    return build_table(columns, rows)


# ---------------------------------------------------------------- agent groups
GROUP_TABLE_COLUMNS = [
    text_column("point", "point"),
    text_column("group", "group"),
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


def group_table(data) -> Table:
    return build_table(GROUP_TABLE_COLUMNS, group_rows(data))


# ---------------------------------------------------------------- goals
def _share(value) -> tuple:
    if value == "not stored":
        return "n/a", "not stored per call type"
    return mean_ci("service_level")(value)


GOAL_TABLE_COLUMNS = [
    text_column("point", "point"),
    text_column("call_type", "call type"),
    Column("goal", "goal", percent),
    Column("service_level", "service level", mean_ci("service_level")),
    Column("verdict", "goal met?", lambda v: v, numeric=False,
           css=lambda v: "verdict-" + v[0].replace(" ", "-")),
    Column("intervals_meeting", "intervals meeting the goal", _share),
]


def goal_rows(checks: list) -> list:
    return [{"point": c.label, "call_type": c.call_type, "goal": c.goal, "service_level": c.service_level,
             "verdict": (c.verdict, c.reason),
             "intervals_meeting": c.intervals_meeting if c.intervals_meeting is not None else "not stored"}
            for c in checks]


def goal_table(data) -> Optional[Table]:
    """Each service-level goal with the estimate, the verdict and the share of intervals
    meeting it; None when no point sets a goal."""
    checks = goals.goal_checks(data)
    return build_table(GOAL_TABLE_COLUMNS, goal_rows(checks)) if checks else None


# ---------------------------------------------------------------- compare
def difference_table(data) -> Table:
    """Each point against the first: difference ± 95 % half-width of the compared KPIs."""
    diffs = stats.differences(data, COMPARE_KPIS)
    columns = [text_column("point", "point")] + [
        Column(k, f"Δ {KPI_LABELS.get(k, k)}", difference_format(k)) for k in COMPARE_KPIS]
    rows = [{"point": p.label, **{k: diffs[p.point, k] for k in COMPARE_KPIS}} for p in data.points[1:]]
    return build_table(columns, rows)


def difference_format(kpi: str) -> Callable:
    """A difference and its half-width: rates in percentage points, times in s."""
    def fmt(value):
        diff, hw = value
        if not is_finite(diff):
            return "n/a", ""
        text = f"{100 * diff:+.2f} pp" if kpi in RATE_KPIS else f"{diff:+,.2f} s"
        return text, (format_halfwidth(kpi, hw) if is_finite(hw) else "")
    return fmt
