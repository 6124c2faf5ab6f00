"""``ccsim run``'s agent, team/squad and skill views (``ccsim.agent_report``): the summary
parts (``--json``, summary.json) and their terminal tables.

By default the terminal shows a compact per-team table when the scenario has teams (a team
other than its agents' group, or squads) and a per-skill routing table when it has several
call types; ``--agents N`` adds the N best-ranked agents and the squads.
"""
from __future__ import annotations

import numpy as np

from ..report_table import format_value, is_finite

# Columns of the team and squad summaries (every AGENT_SUMS column and the ratios)
TEAM_COLUMNS = ("answered", "talk", "acw", "busy", "idle", "staffed", "break_time", "logged_in", "transfers",
                "occupancy", "aht", "calls_per_hour")
SKILL_COLUMNS = ("offered", "answered", "service_level", "asa", "abandoned", "abandon_rate", "overflowed",
                 "overflow_share", "transferred_in", "transferred_out")
AGENT_COLUMNS = ("answered", "talk", "acw", "idle", "break_time", "logged_in", "staffed", "transfers",
                 "occupancy", "aht", "calls_per_hour")
RATES = ("occupancy", "overflow_share", "service_level", "abandon_rate")
TIMES = ("aht", "asa")
HOURS = ("talk", "acw", "busy", "idle", "staffed", "break_time", "logged_in")


def agent_views_summary(results: list, agents: int = 0) -> dict:
    """{"skills", "teams", "squads"[, "agents"]}: per call type and team (keyed by name) and a
    list of squads (each naming its team and squad: names are any text, so no joined key), each
    column {mean, ci_halfwidth} over replications (Student t; no CI from one), a team's or
    squad's ratios those of the mean sums (as ``agent_report.rollup_summary``), their half-widths
    those of the replications' ratios; with ``agents`` > 0 the ``agents`` best-ranked by calls
    per staffed hour, each total the mean over replications and the ratios those of the means.
    numpy only (no pandas)."""
    from ..agent_report import agent_columns, mean_agent_columns, rollup_columns, skill_columns

    tables = [agent_columns(r) for r in results]
    teams, squads = ([rollup_columns(t, by) for t in tables] for by in ("team", "squad"))
    out = {
        "skills": _rows([skill_columns(r) for r in results], ("call_type",), SKILL_COLUMNS, keep=("threshold",)),
        "teams": _rows(teams, ("team",), TEAM_COLUMNS, ("agents", "leader"), mean_agent_columns(teams)),
        "squads": list(_rows(squads, ("team", "squad"), TEAM_COLUMNS, ("team", "squad", "agents", "leader"),
                             mean_agent_columns(squads)).values()),
    }
    if agents > 0:
        mean = mean_agent_columns(tables)
        score = np.where(np.isfinite(mean["calls_per_hour"]), -mean["calls_per_hour"], np.inf)
        order = np.lexsort((mean["id"].astype(str), score))[:agents]
        out["agents"] = [{"rank": int((score < score[a]).sum()) + 1, "id": str(mean["id"][a]),
                          "group": str(mean["group"][a]), "team": str(mean["team"][a]),
                          "squad": str(mean["squad"][a]), **{c: float(mean[c][a]) for c in AGENT_COLUMNS}}
                         for a in order]
    return out


def _rows(tables: list, keys, columns, keep=(), mean=None) -> dict:
    """{row key (a tuple of the ``keys`` columns' values; one value alone): {kept columns as they
    are, column: {mean, ci_halfwidth}}} of the column dicts of replications; with ``mean`` (the
    replications' mean columns, their ratios of the mean sums) the AGENT_RATIOS' means from it."""
    from ..agent_report import AGENT_RATIOS
    from ..results import ci_cell

    first, out = tables[0], {}
    for i in range(len(first[keys[0]])):
        key = tuple(str(first[k][i]) for k in keys)
        cells = {c: (first[c][i].item() if hasattr(first[c][i], "item") else first[c][i]) for c in keep}
        for column in columns:
            cells[column] = ci_cell([t[column][i] for t in tables])
            if mean is not None and column in AGENT_RATIOS:
                cells[column]["mean"] = float(mean[column][i])
        out[key if len(key) > 1 else key[0]] = cells
    return out


def has_teams(results: list) -> bool:
    """Whether the roster names teams of its own (a team other than the group) or squads."""
    roster = results[0].model.roster_columns()
    return bool((roster["team"] != roster["group"]).any() or (roster["squad"] != "").any())


# ---------------------------------------------------------------- the terminal
def cell(column: str, mean) -> str:
    """A value of these tables: rates in %, times in s, clock totals in hours, calls per hour."""
    if not is_finite(mean):
        return "n/a"
    if column in RATES:
        return format_value("occupancy", mean)
    if column in TIMES:
        return f"{mean:,.1f} s"
    if column in HOURS:
        return f"{mean / 3600:,.1f} h"
    if column == "calls_per_hour":
        return f"{mean:,.2f}"
    return format_value(column, mean)


def print_agent_views(console, summary: dict, show_agents: bool, show_teams: bool) -> None:
    """The team table (when ``show_teams``), the squads and top agents (``show_agents``), and
    the per-skill table (several call types); columns that would be all zero (no leaders, no
    overflow, no transfers) left out, so that 80 columns hold them."""
    from .output import table

    views = summary.get("agent_views")
    if not views:
        return
    note = "means over replications" if summary["reps"] > 1 else "one replication"
    if show_teams or show_agents:
        _print_rollup(console, table, f"Per team ({note}):", "team", views["teams"])
    if show_agents and views["squads"]:
        _print_rollup(console, table, f"Per squad ({note}):", "squad", views["squads"])
    if show_agents and views.get("agents"):
        _print_top_agents(console, table, views["agents"], note)
    if len(views["skills"]) > 1:
        _print_skills(console, table, views["skills"], note)


def _print_rollup(console, table, title: str, key: str, rows: dict) -> None:
    listed = list(rows.values()) if isinstance(rows, dict) else rows
    leaders = key != "team" and any(row["leader"] for row in listed)  # a team's: its squads'

    columns = ("answered", "occupancy", "aht", "calls_per_hour", "break_time")
    labels = ("calls", "occ.", "AHT", "calls/h", "breaks")
    console.print(title)
    out = table("", (key, "agents", *(("leader",) if leaders else ()), *labels), right=("agents", *labels),
                no_wrap=(key, *labels))
    for name, row in (rows.items() if isinstance(rows, dict) else ((row[key], row) for row in rows)):
        out.add_row(row.get(key, name), f"{row['agents']:g}", *((row["leader"] or "-",) if leaders else ()),
                    *(cell(c, row[c]["mean"]) for c in columns))
    console.print(out)


def _print_top_agents(console, table, agents: list, note: str) -> None:
    columns = ("calls_per_hour", "answered", "occupancy", "aht", "break_time")
    labels = ("calls/h", "answered", "occ.", "AHT", "breaks")
    console.print(f"Top {len(agents)} agents by calls per staffed hour ({note}):")
    out = table("", ("rank", "agent", "team", *labels), right=("rank", *labels), no_wrap=("agent",))
    for row in agents:
        out.add_row(str(row["rank"]), row["id"], row["team"], *(cell(c, row[c]) for c in columns))
    console.print(out)


def _print_skills(console, table, skills: dict, note: str) -> None:
    def used(*names):
        return any(row[n]["mean"] for row in skills.values() for n in names)

    columns = [("service_level", "SL"), ("asa", "ASA"), ("abandon_rate", "aband.")]
    if used("overflowed"):
        columns += [("overflowed", "overflow"), ("overflow_share", "ovfl %")]
    if used("transferred_in", "transferred_out"):
        columns += [("transferred_in", "xfer in"), ("transferred_out", "xfer out")]
    labels = tuple(label for _, label in columns)
    console.print(f"Per skill, each at its own service-level threshold T ({note}):")
    out = table("", ("call type", "T", *labels), right=("T", *labels))
    for name, row in skills.items():
        out.add_row(name, f"{row['threshold']:g} s", *(cell(c, row[c]["mean"]) for c, _ in columns))
    console.print(out)
