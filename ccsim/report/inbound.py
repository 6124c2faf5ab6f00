"""The report's sections of the inbound path and the media schedule, from the records.

Each section is shown only when the scenario has the feature and its records hold
the breakdown (a store of format 2 does not): the lost-call breakdown (lines, queue
limits, retrials or entries), the entry and IVR-node tables (entries), the channel
table and the arrivals-against-the-ad-schedule figure (media). Cells are the mean
over replications ± the 95 % Student-t half-width, formatted as the other tables.
"""
from __future__ import annotations

import math

import numpy as np

from ..report_table import format_value, is_finite
from ..results import LOST_BASE_ROWS, lost_call_rows, mean_halfwidth
from .tables import Column, build_table, mean_ci, text_column

NOTES = {
    "lost_calls": "Lost calls = blocked (all lines busy, or the queue full) + abandoned in a queue; callers "
                  "who hang up in the IVR menu, leave a voicemail or are served by the menu are counted apart. "
                  "Attempts count every ring, first attempts and retrials; callers count each caller once, by "
                  "how their last attempt ended (after the warm-up). Mean over replications ± 95 % half-width.",
    "entries": "Per entry (a number with an IVR menu), attempts that rang after the warm-up and how they left "
               "the menu; 'to a queue' went on to a call type (counted there as arrivals). Mean over "
               "replications ± 95 % half-width.",
    "ivr_nodes": "Per IVR node: attempts that entered it, hung up in it (IVR patience ran out), completed it, "
                 "and where they went next. Mean over replications ± 95 % half-width.",
    "media": "Per source of callers: organic, then each media channel (callers whose first ring came after the "
             "warm-up, each once, by how their last attempt ended). Mean over replications ± 95 % half-width.",
    "media_chart": "Callers per interval by the interval of their first ring, stacked by source (mean over "
                   "replications); each airing is a marker at its time, its height the spend (right axis).",
}

# (key in Result.lost_calls(), label, formatting KPI: counts unless a rate)
LOST_CALL_ROWS = (
    ("attempts", "attempts (first + retrials)"), ("first_attempts", "first attempts"), ("retrials", "retrials"),
    ("blocked_lines", "blocked: all lines busy"), ("blocked_queue_full", "blocked: queue full"),
    ("abandoned", "abandoned in a queue"), ("lost", "lost calls (blocked + abandoned)"),
    ("lost_share", "lost / attempts"),
    ("ivr_hung_up", "hung up in the IVR (patience)"), ("ivr_hang_up", "IVR branch that hangs up"),
    ("self_service", "self-service"), ("voicemail", "voicemail"), ("answered", "answered"),
    ("callers", "callers"), ("callers_served", "callers served"), ("callers_lost", "callers lost"),
    ("callers_retry_after_horizon", "callers who would retry after the horizon"),
    ("closed", "rang while closed (message, voicemail or forward)"), ("voicemail_callbacks", "voicemails to call back"),
    ("callbacks_requested", "callbacks requested"), ("callbacks_done", "called back (answered)"),
    ("callbacks_failed", "callbacks failed"),
)
ENTRY_COLUMNS = (
    ("arrived", "attempts"), ("retrials", "retrials"), ("blocked", "blocked (lines)"),
    ("ivr_hung_up", "hung up in the IVR"), ("hang_up", "hang-up branch"), ("self_service", "self-service"),
    ("voicemail", "voicemail"), ("routed", "to a queue"), ("mean_ivr_time", "mean time in the IVR"),
)
NODE_COLUMNS = (
    ("entered", "entered"), ("hung_up", "hung up"), ("completed", "completed"), ("to_node", "to a node"),
    ("to_queue", "to a queue"), ("self_service", "self-service"), ("hang_up", "hang-up branch"),
    ("voicemail", "voicemail"),
)
CHANNEL_COLUMNS = (
    ("callers", "callers"), ("served", "served"), ("abandoned", "abandoned"), ("blocked", "blocked"),
)
def has_lost_call_features(scenario: dict) -> bool:
    """Whether a scenario (plain data) has lines, queue limits, retrials, entries, hours, voicemail
    or callbacks: lost-call rows beyond the base ones (``results.lost_call_rows``)."""
    return bool(lost_call_rows(scenario) - LOST_BASE_ROWS)


# ---------------------------------------------------------------- statistics
def flat_summary(records: list, field: str) -> dict:
    """{key: (mean, half-width)} of a record's flat dict ``field`` over replications."""
    keys = list(dict.fromkeys(k for r in records for k in getattr(r, field)))
    return {k: mean_halfwidth([getattr(r, field).get(k, np.nan) for r in records]) for k in keys}


def nested_summary(records: list, field: str) -> dict:
    """{row: {column: (mean, half-width)}} of a record's {row: {column: value}} ``field``."""
    rows = list(dict.fromkeys(name for r in records for name in getattr(r, field)))
    out = {}
    for name in rows:
        values = [getattr(r, field)[name] for r in records if name in getattr(r, field)]
        columns = list(dict.fromkeys(c for v in values for c in v))
        out[name] = {c: mean_halfwidth([v.get(c, np.nan) for v in values]) for c in columns}
    return out


def lost_call_summary(records: list) -> dict:
    """``flat_summary`` of the lost-call breakdown, with ``lost_share`` (lost / attempts) per replication."""
    shares = [r.lost_calls["lost"] / r.lost_calls["attempts"] if r.lost_calls.get("attempts") else np.nan
              for r in records]
    return {**flat_summary(records, "lost_calls"), "lost_share": mean_halfwidth(shares)}


def entry_summary(records: list) -> dict:
    """``nested_summary`` of the entries, with the mean time in the menu of callers who left it."""
    left = ("ivr_hung_up", "hang_up", "self_service", "voicemail", "routed")
    out = nested_summary(records, "entries")
    for name in out:
        times = []
        for r in records:
            row = r.entries.get(name)
            n = sum(row[k] for k in left) if row else 0
            times.append(row["ivr_seconds"] / n if n else np.nan)
        out[name]["mean_ivr_time"] = mean_halfwidth(times)
    return out


def channel_interval_summary(records: list) -> dict:
    """Post-warm-up intervals of the channels' callers: {"start", "end": arrays, channel: mean callers}.

    Streamed: one replication's table is decoded at a time; the running sums add the
    replications in order, so the means are those of ``np.mean`` over the stacked tables."""
    out, sums, names, keep = {}, {}, None, None
    for r in records:
        table = r.channel_interval_table()
        if names is None:
            keep = ~table["warmup"]
            names = list(dict.fromkeys(table["channel"].tolist()))
            for name in names:
                rows = (table["channel"] == name) & keep
                out.setdefault("start", table["start"][rows])
                out.setdefault("end", table["end"][rows])
        for name in names:
            values = np.asarray(table["callers"][(table["channel"] == name) & keep], dtype=float)
            if name in sums:
                sums[name] += values
            else:
                sums[name] = values.copy()
    for name, total in sums.items():
        out[name] = total / len(records)
    return out


# ---------------------------------------------------------------- tables
def ratio_ci(value) -> tuple:
    """A mean ± half-width of a ratio (callers per 1,000 spend), two decimals."""
    mean, hw = value
    if not is_finite(mean):
        return "n/a", ""
    return f"{mean:,.2f}", (f"± {hw:,.2f}" if is_finite(hw) else "")


def schedule_value(value) -> str:
    """Airings and spend: fixed by the scenario, so no half-width; organic callers have none."""
    mean = value[0]
    return "—" if not is_finite(mean) else format_value("count", mean)


def lost_call_table(data, points: list):
    """The lost-call breakdown (rows) by point (columns)."""
    columns = [text_column("what", "")]
    rows = [{"what": label, "key": key} for key, label in LOST_CALL_ROWS]
    for p in points:
        summary = lost_call_summary(data.records_of(p.point))
        key = f"p{p.point}"
        columns.append(Column(key, p.label, lambda v: v))
        for row in rows:
            kpi = "blocked_rate" if row["key"] == "lost_share" else row["key"]
            row[key] = mean_ci(kpi)(summary.get(row["key"], (math.nan, math.nan)))
    return build_table(columns, rows)


def _per_point_table(data, points: list, summarize, name_column: tuple, columns: tuple, formats=None):
    """One row per (point, name) of ``summarize(records)``, the given columns formatted."""
    formats = formats or {}
    specs = [text_column("point", "point"), text_column(*name_column)]
    specs += [Column(key, label, formats.get(key, mean_ci(key))) for key, label in columns]
    rows = []
    for p in points:
        for name, cells in summarize(data.records_of(p.point)).items():
            rows.append({"point": p.label, name_column[0]: name, **cells})
    return build_table(specs, rows)


def entry_table(data, points: list):
    return _per_point_table(data, points, entry_summary, ("entry", "entry"), ENTRY_COLUMNS,
                            {"mean_ivr_time": mean_ci("asa")})


def node_table(data, points: list):
    return _per_point_table(data, points, lambda rs: nested_summary(rs, "ivr_nodes"), ("node", "IVR node"),
                            NODE_COLUMNS)


def channel_table(data, points: list):
    columns = (("airings", "airings"), ("spend", "spend")) + CHANNEL_COLUMNS + (
        ("calls_per_1000_spend", "callers per 1,000 spend"),)
    formats = {"airings": schedule_value, "spend": schedule_value, "calls_per_1000_spend": ratio_ci}
    return _per_point_table(data, points, lambda rs: nested_summary(rs, "channels"), ("channel", "source"),
                            columns, formats)


# ---------------------------------------------------------------- page context
def _points_with(data, field: str, scenario_test=None) -> list:
    """The points whose records all hold ``field`` (and whose scenario passes ``scenario_test``)."""
    out = []
    for p in data.points:
        records = data.records_of(p.point)
        if records and all(getattr(r, field) for r in records) and (scenario_test is None or scenario_test(p.scenario)):
            out.append(p)
    return out


def sections(data, chart, max_points: int) -> dict:
    """{"lost_calls", "ivr", "media"}: each None, or the data its page section shows.

    ``chart(fig, name, wide)`` turns a figure into the page's chart markup.
    """
    from . import figures

    lost = _points_with(data, "lost_calls", has_lost_call_features)
    entries, nodes = _points_with(data, "entries"), _points_with(data, "ivr_nodes")
    media = _points_with(data, "channels")
    out = {"lost_calls": None, "ivr": None, "media": None}
    if lost:
        out["lost_calls"] = {"note": NOTES["lost_calls"], "table": lost_call_table(data, lost)}
    if entries or nodes:
        out["ivr"] = {"entries_note": NOTES["entries"], "entries": entry_table(data, entries) if entries else None,
                      "nodes_note": NOTES["ivr_nodes"], "nodes": node_table(data, nodes) if nodes else None}
    if media:
        charts = []
        for p in media[:max_points]:
            records = data.records_of(p.point)
            fig = figures.media_arrivals(channel_interval_summary(records), records[0].airing_table(),
                                         f"Arrivals and the ad schedule: {p.label}")
            charts.append(chart(fig, f"p{p.point}-media", True))
        out["media"] = {"note": NOTES["media"], "table": channel_table(data, media),
                        "chart_note": NOTES["media_chart"], "charts": charts}
    return out

