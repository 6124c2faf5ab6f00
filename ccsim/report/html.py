"""The study report as one self-contained HTML file (plotly.js inlined, no network).

The page is rendered from ``page.TEMPLATE`` (Jinja2, autoescaped). Every chart
sits in its own ``<div class="ccsim-chart" id="chart-...">``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
import plotly.io as pio
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from ..budget import REPORT_INTERVAL_POINTS
from ..experiment.records import STUDY_KINDS
from ..files import write_page
from ..report_table import kpi_definitions
from ..scenario import validate_scenario
from . import agents, figures, goals, inbound, page, stats, tables
from . import money as money_section

KINDS = STUDY_KINDS
MAX_INTERVAL_POINTS = REPORT_INTERVAL_POINTS  # points that get per-interval charts (the budget counts them)
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}

# Autoescaped: every user text (study name, labels) reaches the page escaped.
_ENVIRONMENT = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)

NOTES = {
    "definitions": "Statistics of a call belong to the interval of its arrival; calls arriving during the warm-up "
                   "are left out of every KPI and chart. Confidence intervals: Student t, 95 %, across "
                   "replications. Rates in %, their half-widths and differences in percentage points (pp), "
                   "times in seconds.",
    "summary": "Totals over calls arriving after the warm-up: mean over replications, "
               "± the 95 % Student-t half-width (needs 2 or more replications).",
    "goals": "Goal per call type: its service_level_target, else the scenario-wide service_level.target. "
             "Met: the whole 95 % CI of the service level lies at or above the goal; not met: the whole CI lies "
             "below it; undecided: the CI straddles the goal or cannot be formed (one replication). "
             "Intervals meeting the goal: share of post-warm-up intervals (with calls offered) whose service "
             "level reaches it, mean over replications ± 95 % half-width.",
    "no_goals": "No service-level goal is set (service_level.target or call_types[].service_level_target).",
    "sweep": "Dashed: exact steady-state Erlang prediction, drawn when the swept override is an agent count "
             "of a single Poisson/exponential queue.",
    "call_types": "Per call type, mean over replications ± 95 % half-width. Occupancy belongs to agent groups.",
    "service_levels": "Service level of each call type (all: every call type together) at each of "
                      "service_level.thresholds, with the scenario's denominator: mean over replications "
                      "± 95 % half-width. The call-type table's service level uses each type's own threshold.",
    "groups": "Per group, mean over replications ± 95 % half-width.",
    "intervals": "Per reporting interval after the warm-up; bands and error bars are 95 % CIs across "
                 "replications.",
    "one_call_type": "One call type: the charts above are its own.",
    "not_stored": "The records hold per-interval totals over all call types only, so there are no per-interval "
                  "charts by call type here (the charts above are the totals).",
}


@dataclass(frozen=True)
class Chart:
    id: str
    markup: Markup  # plotly's div and script
    wide: bool = False


def write_html(data, path, title=None, money=None) -> Path:
    """Write the report of ``data`` (a ``StudyData``) to ``path``; returns the path.
    ``money``: ``ccsim.money.money_report`` of a run (the money section), or None.

    Written to a temporary file in the same folder, then renamed over ``path``,
    so a reader never sees a half-written report.
    """
    path = Path(path)
    write_page(path, render_html(data, title, money))
    return path


def render_html(data, title=None, money=None) -> str:
    """The report of ``data`` as one HTML document."""
    if data.kind not in KINDS:
        raise ValueError(f"unknown study kind {data.kind!r}; expected one of {', '.join(KINDS)}")
    if not data.points:
        raise ValueError(f"study {data.name!r} has no design points")
    template = _ENVIRONMENT.from_string(page.TEMPLATE)
    return template.render(**page_context(data, title or f"ccsim report: {data.name}", money))


def _summary_note(data) -> str:
    """How the summary's intervals were made: across replications, or (one replication of
    stationary arrivals) from batch means within the run, as ``ccsim run`` prints them."""
    if not getattr(data, "batch_means", None):
        return NOTES["summary"]
    return "Totals over calls arriving after the warm-up. " + (data.batch_note or "One replication.")


def page_context(data, title: str, money=None) -> dict:
    """Everything the page template shows, as plain data."""
    goal_table = tables.goal_table(data)
    context = {
        "title": title, "css": Markup(page.CSS), "plotlyjs": Markup(get_plotlyjs()),
        "meta": _meta(data), "definitions": _definitions(data), "definitions_note": NOTES["definitions"],
        "kpi_summary": tables.kpi_summary_table(data), "summary_note": _summary_note(data),
        "goal_table": goal_table, "goals_note": NOTES["goals"] if goal_table else NOTES["no_goals"],
        "comparison": None, "sweep": None,
        "call_type_table": tables.call_type_table(data), "call_types_note": NOTES["call_types"],
        "service_level_table": tables.service_level_table(data), "service_levels_note": NOTES["service_levels"],
        "group_table": tables.group_table(data), "groups_note": NOTES["groups"],
        "intervals_note": _intervals_note(data), "interval_blocks": [_interval_block(data, p)
                                                                     for p in data.points[:MAX_INTERVAL_POINTS]],
    }
    context.update(inbound.sections(data, _chart, MAX_INTERVAL_POINTS))
    context["money"] = money_section.section(money, _chart)
    context.update(agents.sections(data), sort_script=Markup(page.SORT_SCRIPT))
    if data.kind == "compare" and len(data.points) > 1:
        context["comparison"] = {"chart": _chart(figures.compare_differences(data), "compare", wide=True),
                                 "table": tables.difference_table(data)}
    if data.kind == "sweep":
        fig = figures.sweep_curves(data, _common_goal(data.points))
        context["sweep"] = {"chart": _chart(fig, "sweep", wide=True), "note": NOTES["sweep"]}
    return context


def _chart(fig, name: str, wide: bool = False) -> Chart:
    chart_id = f"chart-{name}"
    inner = pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id=f"{chart_id}-plot",
                        config=PLOTLY_CONFIG, default_width="100%")
    return Chart(chart_id, Markup(inner), wide)


def _meta(data) -> list:
    reps = sorted({len(data.records_of(p.point)) for p in data.points})
    reps_text = str(reps[0]) if len(reps) == 1 else f"{reps[0]}–{reps[-1]}"
    return [("study", data.name), ("kind", data.kind), ("engine", data.engine), ("seed", data.seed),
            ("CRN", "yes" if data.crn else "no"), ("points", len(data.points)),
            ("replications per point", reps_text)]


def _definitions(data) -> list:
    """KPI definitions as used; the service level per point when the points differ."""
    per_point = [(p.label, kpi_definitions(validate_scenario(p.scenario))) for p in data.points]
    definitions = dict(per_point[0][1])
    sl = {label: d["service_level"] for label, d in per_point}
    if len(set(sl.values())) > 1:
        definitions["service_level"] = "; ".join(f"{label}: {text}" for label, text in sl.items())
    return [(k, v) for k, v in definitions.items() if v]


def _common_goal(points: list):
    """The service-level goal of the totals when every point has the same one, else None."""
    found = {goals.overall_goal(p.scenario) for p in points}
    return found.pop() if len(found) == 1 else None


def _intervals_note(data) -> str:
    note = NOTES["intervals"]
    shown = min(len(data.points), MAX_INTERVAL_POINTS)
    if len(data.points) > shown:
        note += f" Showing the first {shown} of {len(data.points)} points."
    return note


def _arrivals_figure(records: list, iv: dict):
    """Arrivals and staffing; attempts (first and retrials) instead when every record holds them."""
    if all(r.intervals_attempts for r in records):
        attempts = stats.interval_summary(records, lambda r: r.attempt_interval_table())  # streamed
        return figures.attempts_staffing(iv, attempts, "Attempts (first and retrials) and staffing")
    return figures.arrivals_staffing(iv, "Arrivals and staffing")


def _interval_block(data, point) -> dict:
    """The per-interval charts of one point: totals, then per call type when stored."""
    records = data.records_of(point.point)
    if not records:
        return {"label": point.label, "note": "no finished replications", "charts": []}
    iv = stats.interval_summary(records)
    name = f"p{point.point}"
    charts = [
        _chart(_arrivals_figure(records, iv), f"{name}-arrivals"),
        _chart(figures.lost_calls(iv, "Lost calls (abandoned + blocked)"), f"{name}-lost"),
        _chart(figures.service_level_band(iv, "Service level", goals.overall_goal(point.scenario)),
               f"{name}-service-level"),
        _chart(figures.asa_band(iv, "Average speed of answer"), f"{name}-asa"),
    ]
    if len(records[0].by_call_type) == 1:
        return {"label": point.label, "note": NOTES["one_call_type"], "charts": charts}
    by_type = stats.call_type_interval_summary(records)
    if by_type is None:
        return {"label": point.label, "note": NOTES["not_stored"], "charts": charts}
    charts += [
        _chart(figures.call_type_offered(by_type, "Offered by call type"), f"{name}-offered-by-call-type"),
        _chart(figures.call_type_service_level(by_type, goals.call_type_goals(point.scenario),
                                               "Service level by call type"), f"{name}-service-level-by-call-type"),
    ]
    return {"label": point.label, "note": "", "charts": charts}
