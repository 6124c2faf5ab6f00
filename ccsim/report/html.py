"""The study report as one self-contained HTML file (plotly.js inlined, no network).

Every chart sits in its own ``<div class="ccsim-chart" id="chart-...">``.
"""
from __future__ import annotations

from html import escape
from pathlib import Path

import plotly.io as pio
from plotly.offline import get_plotlyjs

from ..files import write_text_atomic
from ..report_table import kpi_definitions
from ..scenario import validate_scenario
from . import figures, stats, tables

KINDS = ("run", "compare", "sweep")
MAX_INTERVAL_POINTS = 6  # points that get per-interval charts
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #222;
       background: #f6f7f9; }
main { max-width: 1360px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { margin: 8px 0 4px; font-size: 26px; }
h2 { margin: 32px 0 8px; font-size: 20px; border-bottom: 2px solid #dde1e6; padding-bottom: 4px; }
h3 { margin: 20px 0 8px; font-size: 16px; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 24px; margin: 8px 0; padding: 0; list-style: none; }
.meta li b { color: #555; font-weight: 600; margin-right: 4px; }
.note { color: #555; font-size: 13px; margin: 4px 0 8px; }
.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 12px; }
.ccsim-chart { background: #fff; border: 1px solid #e3e6ea; border-radius: 6px; padding: 4px; min-width: 0; }
.ccsim-chart.wide { grid-column: 1 / -1; }
table { border-collapse: collapse; font-size: 13px; }
.table-wrap { display: inline-block; max-width: 100%; overflow-x: auto; vertical-align: top; background: #fff;
              border: 1px solid #e3e6ea; border-radius: 6px; margin: 8px 0; }
th, td { padding: 5px 10px; border-bottom: 1px solid #eef0f2; white-space: nowrap; }
th { background: #f0f2f5; text-align: left; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.text { text-align: left; }
td.definition { white-space: normal; }
.hw { display: block; color: #777; font-size: 11px; }
tbody tr:hover { background: #f7fafd; }
"""


def write_html(data, path, title=None) -> Path:
    """Write the report of ``data`` (a ``StudyData``) to ``path``; returns the path.

    Written to a temporary file in the same folder, then renamed over ``path``,
    so a reader never sees a half-written report.
    """
    path = Path(path)
    text = render_html(data, title)
    write_text_atomic(path, lambda handle: handle.write(text))
    return path


def render_html(data, title=None) -> str:
    """The report of ``data`` as one HTML document."""
    if data.kind not in KINDS:
        raise ValueError(f"unknown study kind {data.kind!r}; expected one of {', '.join(KINDS)}")
    if not data.points:
        raise ValueError(f"study {data.name!r} has no design points")
    title = title or f"ccsim report: {data.name}"
    sections = [_header(data, title), _definitions(data), _section("KPI summary", tables.kpi_summary_table(data),
                note="Totals over calls arriving after the warm-up: mean over replications, "
                     "± the 95 % Student-t half-width (needs 2 or more replications).")]
    if data.kind == "compare" and len(data.points) > 1:
        sections.append(_section("Comparison", _chart(figures.compare_differences(data), "compare", wide=True)
                                 + tables.difference_table(data)))
    if data.kind == "sweep":
        sections.append(_section("Sweep", _chart(figures.sweep_curves(data), "sweep", wide=True),
                                 note="Dashed: exact steady-state Erlang prediction, drawn when the swept "
                                      "override is an agent count of a single Poisson/exponential queue."))
    sections.append(_intervals(data))
    sections.append(_section("Agent groups", tables.group_table(data),
                             note="Per group, mean over replications ± 95 % half-width."))
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<style>{CSS}</style>\n<script type="text/javascript">{get_plotlyjs()}</script>\n</head>'
            f'<body><main>{"".join(sections)}</main></body></html>\n')


def _section(heading: str, body: str, note: str = "", section_id: str = "") -> str:
    anchor = section_id or heading.lower().replace(" ", "-")
    note_html = f'<p class="note">{escape(note)}</p>' if note else ""
    return f'<section id="{escape(anchor)}"><h2>{escape(heading)}</h2>{note_html}{body}</section>'


def _chart(fig, name: str, wide: bool = False) -> str:
    chart_id = f"chart-{name}"
    inner = pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id=f"{chart_id}-plot",
                        config=PLOTLY_CONFIG, default_width="100%")
    return f'<div class="ccsim-chart{" wide" if wide else ""}" id="{escape(chart_id)}">{inner}</div>'


def _header(data, title: str) -> str:
    reps = sorted({len(data.records_of(p.point)) for p in data.points})
    reps_text = str(reps[0]) if len(reps) == 1 else f"{reps[0]}–{reps[-1]}"
    meta = (("study", data.name), ("kind", data.kind), ("engine", data.engine), ("seed", data.seed),
            ("CRN", "yes" if data.crn else "no"), ("points", len(data.points)),
            ("replications per point", reps_text))
    items = "".join(f"<li><b>{escape(k)}</b>{escape(str(v))}</li>" for k, v in meta)
    return f'<header><h1>{escape(title)}</h1><ul class="meta">{items}</ul></header>'


def _definitions(data) -> str:
    """KPI definitions as used; the service level per point when the points differ."""
    per_point = [(p.label, kpi_definitions(validate_scenario(p.scenario))) for p in data.points]
    definitions = dict(per_point[0][1])
    sl = {label: d["service_level"] for label, d in per_point}
    if len(set(sl.values())) > 1:
        definitions["service_level"] = "; ".join(f"{label}: {text}" for label, text in sl.items())
    rows = "".join(f'<tr><td class="text"><b>{escape(k)}</b></td><td class="definition">{escape(v)}</td></tr>'
                   for k, v in definitions.items() if v)
    table = f'<div class="table-wrap"><table><tbody>{rows}</tbody></table></div>'
    note = ("Statistics of a call belong to the interval of its arrival; calls arriving during the warm-up "
            "are left out of every KPI and chart. Confidence intervals: Student t, 95 %, across replications.")
    return _section("KPI definitions", table, note=note)


def _intervals(data) -> str:
    shown = data.points[:MAX_INTERVAL_POINTS]
    note = "Per reporting interval after the warm-up; bands and error bars are 95 % CIs across replications."
    if len(data.points) > len(shown):
        note += f" Showing the first {len(shown)} of {len(data.points)} points."
    parts = []
    for p in shown:
        records = data.records_of(p.point)
        if not records:
            parts.append(f"<h3>{escape(p.label)}</h3><p class=\"note\">no finished replications</p>")
            continue
        iv = stats.interval_summary(records)
        charts = (
            _chart(figures.arrivals_staffing(iv, "Arrivals and staffing"), f"p{p.point}-arrivals"),
            _chart(figures.lost_calls(iv, "Lost calls (abandoned + blocked)"), f"p{p.point}-lost"),
            _chart(figures.service_level_band(iv, "Service level"), f"p{p.point}-service-level"),
            _chart(figures.asa_band(iv, "Average speed of answer"), f"p{p.point}-asa"),
        )
        parts.append(f'<h3>{escape(p.label)}</h3><div class="charts">{"".join(charts)}</div>')
    return _section("Per interval", "".join(parts), note=note)
