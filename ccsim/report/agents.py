"""The report's agent, team/squad and skill section, from the records (store format 4).

Per design point: the teams (组) and squads (队) (the agents' sums per replication, averaged,
ratios with their 95 % Student-t half-widths), the ranked agent table (means over replications,
ranked by calls per staffed hour; its columns sort on a click) and the per-skill table (each call
type at its own threshold). Shown only when the records hold the agent views (a store of format
2 or 3 does not).
"""
from __future__ import annotations

import numpy as np

from ..agent_report import AGENT_RATIOS, mean_agent_columns, rollup_columns
from ..report_table import format_value, is_finite
from ..results import mean_halfwidth
from .tables import Column, build_table, mean_ci, text_column

NOTES = {
    "agents": "Per team (组) and squad (队): the agents' totals summed in each replication (post-warm-up calls; "
              "clock time in [warm-up, horizon]), occupancy = busy / staffed, AHT = (talk + ACW) / answered, "
              "calls per staffed hour; break time is the planned breaks inside the agents' shifts, logged-in "
              "time = staffed + breaks (a call running into a break counts in both). Mean over replications "
              "± 95 % half-width.",
    "ranked": "Agents ranked by calls per staffed hour (means over replications; ratios of the means). "
              "Click a column header to sort by it.",
    "skills": "Per skill (call type), each at its own service-level threshold T: service level, ASA, "
              "abandonment, calls answered by a backup group (overflow) and transfers. Mean over "
              "replications ± 95 % half-width.",
}
MAX_AGENTS = 200  # rows of the ranked agent table per point

# (key, label, formatting kind) of the team and squad tables
ROLLUP_COLUMNS = (("answered", "answered", "count"), ("occupancy", "occupancy", "rate"), ("aht", "AHT", "time"),
                  ("calls_per_hour", "calls / staffed h", "number"), ("idle", "idle (h)", "hours"),
                  ("break_time", "breaks (h)", "hours"), ("logged_in", "logged in (h)", "hours"),
                  ("transfers", "transfers", "count"))
AGENT_TABLE_COLUMNS = (("calls_per_hour", "calls / staffed h", "number"), ("answered", "answered", "count"),
                       ("occupancy", "occupancy", "rate"), ("aht", "AHT", "time"), ("talk", "talk (h)", "hours"),
                       ("acw", "ACW (h)", "hours"), ("idle", "idle (h)", "hours"),
                       ("break_time", "breaks (h)", "hours"),
                       ("logged_in", "logged in (h)", "hours"), ("transfers", "transfers", "count"))
SKILL_TABLE_COLUMNS = (("service_level", "service level", "rate"), ("asa", "ASA", "time"),
                       ("abandon_rate", "abandoned", "rate"), ("offered", "offered", "count"),
                       ("overflowed", "overflowed", "count"), ("overflow_share", "overflow share", "rate"),
                       ("transferred_in", "transferred in", "count"), ("transferred_out", "transferred out", "count"))
KIND_KPI = {"count": "answered", "rate": "occupancy", "time": "asa"}


def _format(kind: str):
    """A formatter of a (mean, half-width) cell or of a plain mean."""
    def plain(x) -> str:
        if not is_finite(x):
            return "n/a"
        if kind == "hours":
            return f"{x / 3600:,.1f}"
        if kind == "number":
            return f"{x:,.2f}"
        return format_value(KIND_KPI[kind], x)

    def fmt(value):
        if not isinstance(value, tuple):
            return plain(value)
        if kind in KIND_KPI:
            return mean_ci(KIND_KPI[kind])(value)
        mean, hw = value
        scale = 3600 if kind == "hours" else 1
        return plain(mean), (f"± {hw / scale:,.2f}" if is_finite(mean) and is_finite(hw) else "")
    return fmt


def _columns(spec) -> list:
    return [Column(key, label, _format(kind)) for key, label, kind in spec]


def sections(data) -> dict:
    """{"agent_views": {"note", "points": [{label, teams, squads, agents, skills}]}} or None when no
    record holds the agent views."""
    blocks = []
    for point in data.points:
        records = [r for r in data.records_of(point.point) if r.agents]
        if records:
            blocks.append(_point_block(point.label, records))
    if not blocks:
        return {"agent_views": None}
    return {"agent_views": {"notes": NOTES, "points": blocks, "several": len(data.points) > 1}}


def _point_block(label: str, records: list) -> dict:
    tables = [r.agent_columns() for r in records]
    squads = [rollup_columns(t, "squad") for t in tables]
    return {
        "label": label,
        "teams": _rollup_table([rollup_columns(t, "team") for t in tables], "team"),
        "squads": _rollup_table(squads, "squad") if len(squads[0]["team"]) else None,
        "agents": _agent_table(tables),
        "skills": _skill_table(records),
    }


def _mean_rows(per_rep: list, keys) -> list:
    """{key: (mean, half-width)} per row of column dicts of replications."""
    rows = []
    for i in range(len(per_rep[0][keys[0]])):
        row = {}
        for key in keys:
            row[key] = mean_halfwidth(np.array([t[key][i] for t in per_rep], dtype=float))  # NaN without values
        rows.append(row)
    return rows


def _rollup_table(per_rep: list, by: str):
    """Teams or squads: sums' means, ratios of the mean sums (agent_report.rollup_summary), each
    with the half-width over the replications (of their ratios)."""
    keys = [key for key, _, _ in ROLLUP_COLUMNS]
    rows = _mean_rows(per_rep, keys)
    mean = mean_agent_columns(per_rep)
    first = per_rep[0]
    for i, row in enumerate(rows):
        for key in AGENT_RATIOS:
            if key in row:
                row[key] = (float(mean[key][i]), row[key][1])
        row.update(team=str(first["team"][i]), agents=f"{first['agents'][i]:g}", leader=str(first["leader"][i]) or "-")
        if by == "squad":
            row["squad"] = str(first["squad"][i])
    names = [text_column("team", "team")] + ([text_column("squad", "squad")] if by == "squad" else [])
    return build_table(names + [Column("agents", "agents", str), text_column("leader", "leader")]
                       + _columns(ROLLUP_COLUMNS), rows)


def _agent_table(per_rep: list):
    """The ranked agents of a point: means over replications, ratios of the means."""
    mean = mean_agent_columns(per_rep)
    rows = [{"id": str(mean["id"][a]), "group": str(mean["group"][a]), "team": str(mean["team"][a]),
             "squad": str(mean["squad"][a]), **{key: float(mean[key][a]) for key, _, _ in AGENT_TABLE_COLUMNS}}
            for a in range(len(mean["id"]))]
    columns = [text_column("id", "agent"), text_column("group", "group"), text_column("team", "team"),
               text_column("squad", "squad"), *_columns(AGENT_TABLE_COLUMNS)]
    table = build_table(columns, rows, sort_by="calls_per_hour", rank=True)
    return table if len(rows) <= MAX_AGENTS else type(table)(table.headers, table.rows[:MAX_AGENTS])


def _skill_table(records: list):
    names = list(records[0].skills)
    per_rep = [{key: [r.skills[n][key] for n in names] for key, _, _ in SKILL_TABLE_COLUMNS} for r in records]
    rows = _mean_rows(per_rep, [key for key, _, _ in SKILL_TABLE_COLUMNS])
    for name, row in zip(names, rows):
        row.update(call_type=name, threshold=f"{records[0].skills[name]['threshold']:g} s")
    return build_table([text_column("call_type", "call type"), Column("threshold", "T", str),
                        *_columns(SKILL_TABLE_COLUMNS)], rows)
