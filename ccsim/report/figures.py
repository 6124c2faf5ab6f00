"""Figure builders of the HTML report: each returns one plotly Figure.

Rates are drawn in percent (differences in percentage points), times in seconds.
Confidence intervals are Student-t 95 % across replications (``stats``).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..report_table import RATE_KPIS
from . import stats
from .theory import agents_besides, erlang_model

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf")
KPI_LABELS = {
    "service_level": "service level", "asa": "ASA", "abandon_rate": "abandon rate",
    "occupancy": "occupancy", "blocked_rate": "blocked rate", "aht": "AHT",
}
COMPARE_KPIS = ("service_level", "asa", "abandon_rate", "occupancy")
SWEEP_KPIS = ("service_level", "asa", "abandon_rate", "occupancy")
ERLANG_KPIS = ("service_level", "abandon_rate", "asa", "occupancy")
_MAX_CURVE_POINTS = 200  # Erlang evaluations per curve


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def scale(kpi: str) -> float:
    return 100.0 if kpi in RATE_KPIS else 1.0


def unit(kpi: str, difference: bool = False) -> str:
    if kpi in RATE_KPIS:
        return "pp" if difference else "%"
    return "s"


def _style(fig: go.Figure, title: str, height: int = 360, top: int = 80, legend_right: bool = False) -> go.Figure:
    """Common look: title on the first line, legend on the second, both above the plots
    (or the legend in a column on the right, for figures with many series)."""
    legend = {"orientation": "h", "yref": "container", "y": 1 - 38 / height, "yanchor": "top",
              "x": 0.0, "xanchor": "left"}
    if legend_right:
        legend = {"orientation": "v", "yref": "paper", "y": 1.0, "yanchor": "top", "x": 1.02, "xanchor": "left"}
    fig.update_layout(
        template="plotly_white", height=height, hovermode="x unified",
        title={"text": title, "x": 0.01, "xanchor": "left", "yref": "container", "y": 1 - 10 / height,
               "yanchor": "top", "font": {"size": 15}},
        legend=legend, margin={"l": 60, "r": 60, "t": top, "b": 50},
    )
    return fig


def _hours(iv: dict) -> np.ndarray:
    """Interval midpoints in hours since the start of the run."""
    return (iv["start"] + iv["end"]) / 2 / 3600.0


def _width(iv: dict) -> np.ndarray:
    return (iv["end"] - iv["start"]) / 3600.0 * 0.9


def _bounds(kpi: str, mean, hw):
    """The CI mean ± hw cut to the values the KPI can take (rates in [0, 100] %, times >= 0)."""
    upper = np.minimum(mean + hw, 100.0) if kpi in RATE_KPIS else mean + hw
    return np.maximum(mean - hw, 0.0), upper


def _error_bars(kpi: str, mean, hw) -> dict:
    lower, upper = _bounds(kpi, mean, hw)
    return {"type": "data", "symmetric": False, "array": upper - mean, "arrayminus": mean - lower}


# ---------------------------------------------------------------- per interval
def arrivals_staffing(iv: dict, title: str) -> go.Figure:
    """Arrivals per interval (bars) against staffed and busy agents (second axis)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = _hours(iv)
    mean, hw = iv["arrivals"]
    fig.add_trace(go.Bar(x=x, y=mean, width=_width(iv), name="arrivals", marker_color="#9ecae1",
                         error_y={"type": "data", "array": hw, "color": "#6b8fa8", "thickness": 1}),
                  secondary_y=False)
    for name, colour, dash in (("staffed_agents", "#d62728", "solid"), ("busy_agents", "#2ca02c", "dot")):
        fig.add_trace(go.Scatter(x=x, y=iv[name][0], mode="lines+markers", name=name.replace("_", " "),
                                 line={"color": colour, "dash": dash}), secondary_y=True)
    fig.update_yaxes(title_text="arrivals / interval", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="agents", rangemode="tozero", showgrid=False, tickmode="auto",
                     secondary_y=True)
    fig.update_xaxes(title_text="time (h)")
    return _style(fig, title)


def attempts_staffing(iv: dict, attempts: dict, title: str) -> go.Figure:
    """Attempts per interval, first attempts and retrials stacked (bars), against staffed and
    busy agents (second axis): the arrivals chart of a scenario with entries or retrials.

    ``attempts``: an ``interval_summary`` of the records' attempt tables (first_attempts, retrials).
    """
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = _hours(iv)
    for name, label, colour in (("first_attempts", "first attempts", "#9ecae1"), ("retrials", "retrials", "#fdae6b")):
        mean, hw = attempts[name]
        fig.add_trace(go.Bar(x=_hours(attempts), y=mean, width=_width(attempts), name=label, marker_color=colour,
                             customdata=hw, hovertemplate=f"{label}: %{{y:,.1f}} ± %{{customdata:,.1f}}<extra></extra>"),
                      secondary_y=False)
    for name, colour, dash in (("staffed_agents", "#d62728", "solid"), ("busy_agents", "#2ca02c", "dot")):
        fig.add_trace(go.Scatter(x=x, y=iv[name][0], mode="lines+markers", name=name.replace("_", " "),
                                 line={"color": colour, "dash": dash}), secondary_y=True)
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="attempts / interval", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="agents", rangemode="tozero", showgrid=False, tickmode="auto", secondary_y=True)
    fig.update_xaxes(title_text="time (h)")
    return _style(fig, title)


def goal_line(x, goal: float, name: str = "goal", colour: str = "#333") -> go.Scatter:
    """A service-level goal (a fraction) drawn as a dashed horizontal line in %, over ``x``."""
    x = np.asarray(x, dtype=float)
    return go.Scatter(x=[x.min(), x.max()], y=[100 * goal] * 2, mode="lines", name=f"{name} {100 * goal:g} %",
                      line={"color": colour, "dash": "dash", "width": 1.5},
                      hovertemplate=f"{name}: {100 * goal:g} %<extra></extra>")


def kpi_band(iv: dict, kpi: str, title: str, colour: str = PALETTE[0], goal=None) -> go.Figure:
    """Mean of ``kpi`` per interval with its 95 % band across replications, and the
    service-level ``goal`` (a fraction) when given."""
    x = _hours(iv)
    mean, hw = (v * scale(kpi) for v in iv[kpi])
    lower, upper = _bounds(kpi, mean, hw)
    fig = go.Figure()
    if np.isfinite(hw).any():
        fig.add_trace(go.Scatter(x=x, y=upper, mode="lines", line={"width": 0}, showlegend=False,
                                 hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=x, y=lower, mode="lines", line={"width": 0}, fill="tonexty",
                                 fillcolor=_rgba(colour, 0.2), name="95 % CI", hoverinfo="skip"))
    label = KPI_LABELS.get(kpi, kpi)
    fig.add_trace(go.Scatter(x=x, y=mean, mode="lines+markers", name=f"{label} (mean)",
                             line={"color": colour}, customdata=hw,
                             hovertemplate=f"%{{y:.2f}} ± %{{customdata:.2f}} {unit(kpi)}<extra></extra>"))
    if goal is not None and len(x):
        fig.add_trace(goal_line(x, goal))
    fig.update_yaxes(title_text=f"{label} ({unit(kpi)})", rangemode="tozero")
    fig.update_xaxes(title_text="time (h)")
    return _style(fig, title)


def service_level_band(iv: dict, title: str, goal=None) -> go.Figure:
    return kpi_band(iv, "service_level", title, PALETTE[0], goal)


def asa_band(iv: dict, title: str) -> go.Figure:
    return kpi_band(iv, "asa", title, PALETTE[1])


def lost_calls(iv: dict, title: str) -> go.Figure:
    """Lost calls per interval: abandoned and blocked, stacked."""
    x = _hours(iv)
    fig = go.Figure()
    for name, colour in (("abandoned", "#ff7f0e"), ("blocked", "#7f7f7f")):
        fig.add_trace(go.Bar(x=x, y=iv[name][0], width=_width(iv), name=name, marker_color=colour))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="calls / interval", rangemode="tozero")
    fig.update_xaxes(title_text="time (h)")
    return _style(fig, title)


# ---------------------------------------------------------------- media
AIRING_SYMBOLS = ("triangle-down", "diamond", "square", "star", "circle", "cross")


def media_arrivals(channels: dict, airings: np.ndarray, title: str) -> go.Figure:
    """Callers per interval by source (stacked areas: organic, then each channel) against the
    ad schedule on one time axis: each airing a marker at its time, its height the spend
    (right axis), hover: channel and spend.

    ``channels``: {"start", "end": interval bounds (s), source: mean callers per interval};
    ``airings``: structured array with time (s), channel and spend.
    """
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = _hours(channels)
    sources = [k for k in channels if k not in ("start", "end")]
    for i, name in enumerate(sources):
        fig.add_trace(go.Scatter(x=x, y=channels[name], mode="lines", name=name, stackgroup="callers",
                                 line={"color": color(i), "width": 1.5}, fillcolor=_rgba(color(i), 0.35),
                                 hovertemplate=f"{name}: %{{y:,.1f}} callers<extra></extra>"),
                      secondary_y=False)
    lines = []
    for i, name in enumerate(sources[1:], start=1):
        mine = airings[airings["channel"] == name] if len(airings) else airings
        if not len(mine):
            continue
        fig.add_trace(go.Scatter(
            x=mine["time"] / 3600.0, y=mine["spend"], mode="markers", name=f"{name} airings",
            legendgroup=name, marker={"color": color(i), "size": 12, "symbol": AIRING_SYMBOLS[(i - 1) % 6],
                                      "line": {"color": "#333", "width": 1}},
            customdata=np.stack([mine["time"] / 3600.0, mine["spend"]], axis=-1),
            hovertemplate=f"{name} airing at %{{customdata[0]:.2f}} h: spend %{{customdata[1]:,.0f}}<extra></extra>",
        ), secondary_y=True)
        # one dotted line per airing, as layout shapes set at once: add_vline per airing costs
        # O(shapes so far) each (a year of 500 airings took 93 s to draw; 20,000 never ended)
        lines += [{"type": "line", "xref": "x", "yref": "paper", "x0": float(t) / 3600.0, "x1": float(t) / 3600.0,
                   "y0": 0, "y1": 1, "opacity": 0.6, "line": {"color": color(i), "width": 1, "dash": "dot"}}
                  for t in mine["time"]]
    fig.update_layout(shapes=[*fig.layout.shapes, *lines])
    fig.update_yaxes(title_text="callers / interval", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text="spend per airing", rangemode="tozero", showgrid=False, secondary_y=True)
    fig.update_xaxes(title_text="time (h)")
    fig = _style(fig, title, height=420)
    fig.update_layout(hovermode="closest")
    return fig


# ---------------------------------------------------------------- per interval and call type
def call_type_offered(ivs: dict, title: str) -> go.Figure:
    """Offered calls per interval, one trace per call type (mean, 95 % CI error bars)."""
    fig = go.Figure()
    for i, (name, iv) in enumerate(ivs.items()):
        mean, hw = iv["offered"]
        fig.add_trace(go.Scatter(x=_hours(iv), y=mean, mode="lines+markers", name=name, line={"color": color(i)},
                                 error_y=_error_bars("offered", mean, hw), customdata=hw,
                                 hovertemplate=f"{name}: %{{y:,.1f}} ± %{{customdata:,.1f}}<extra></extra>"))
    fig.update_yaxes(title_text="offered / interval", rangemode="tozero")
    fig.update_xaxes(title_text="time (h)")
    return _style(fig, title)


def call_type_service_level(ivs: dict, goals: dict, title: str) -> go.Figure:
    """Service level per interval, one trace per call type, each with its goal (dashed, same colour)."""
    fig = go.Figure()
    for i, (name, iv) in enumerate(ivs.items()):
        x = _hours(iv)
        mean, hw = (v * 100.0 for v in iv["service_level"])
        fig.add_trace(go.Scatter(x=x, y=mean, mode="lines+markers", name=name, line={"color": color(i)},
                                 error_y=_error_bars("service_level", mean, hw), customdata=hw,
                                 hovertemplate=f"{name}: %{{y:.2f}} ± %{{customdata:.2f}} %<extra></extra>"))
        if goals.get(name) is not None and len(x):
            fig.add_trace(goal_line(x, goals[name], f"{name} goal", color(i)))
    fig.update_yaxes(title_text="service level (%)", rangemode="tozero")
    fig.update_xaxes(title_text="time (h)")
    return _style(fig, title)


# ---------------------------------------------------------------- compare
def compare_differences(data) -> go.Figure:
    """KPI differences of each point against the first, with 95 % CI error bars.

    Paired by replication under CRN, Welch otherwise.
    """
    diffs = stats.differences(data, COMPARE_KPIS)
    titles = [f"Δ {KPI_LABELS[k]} ({unit(k, True)})" for k in COMPARE_KPIS]
    fig = make_subplots(rows=2, cols=2, subplot_titles=titles, vertical_spacing=0.16, horizontal_spacing=0.1)
    for i, point in enumerate(data.points[1:], start=1):
        for j, kpi in enumerate(COMPARE_KPIS):
            diff, hw = (v * scale(kpi) for v in diffs[point.point, kpi])
            fig.add_trace(go.Scatter(
                x=[point.label], y=[diff], mode="markers", name=point.label, legendgroup=point.label,
                showlegend=j == 0, marker={"color": color(i), "size": 12, "symbol": "diamond"},
                error_y={"type": "data", "array": [hw], "color": color(i), "thickness": 2, "width": 10},
                hovertemplate=f"{point.label}: %{{y:.3f}} ± {hw:.3f} {unit(kpi, True)}<extra></extra>",
            ), row=j // 2 + 1, col=j % 2 + 1)
    fig.add_hline(y=0, line={"color": "#555", "width": 1}, row="all", col="all")
    method = "paired by replication (CRN)" if data.crn else "Welch (independent replications)"
    title = f"Difference vs {data.points[0].label}: mean ± 95 % CI, {method}"
    fig.update_xaxes(type="category")
    fig = _style(fig, title, height=600, top=90, legend_right=True)
    fig.update_layout(hovermode="closest")
    return fig


# ---------------------------------------------------------------- sweep
def _numeric(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def sweep_parameter(points: list):
    """The override a sweep varies: the first numeric one that varies, else the first numeric; or None."""
    keys = [k for k in points[0].overrides if all(_numeric(p.overrides.get(k)) for p in points)]
    varying = [k for k in keys if len({p.overrides[k] for p in points}) > 1]
    return (varying or keys or [None])[0]


def _short(path: str) -> str:
    """The last two parts of a dotted override path ("patience.mean")."""
    return ".".join(path.split(".")[-2:])


def sweep_series(points: list, path: str) -> list:
    """[(label, points sorted by the swept value)], one series per setting of the other overrides."""
    others = [k for k in points[0].overrides if k != path]
    series = {}
    for p in points:
        key = ", ".join(f"{_short(k)}={p.overrides.get(k)}" for k in others
                        if len({repr(q.overrides.get(k)) for q in points}) > 1)
        series.setdefault(key, []).append(p)
    return [(label, sorted(ps, key=lambda p: p.overrides[path])) for label, ps in series.items()]


def erlang_curve(points: list, path: str):
    """(model, x, {kpi: y}) of the exact prediction along an agent-count sweep, or None."""
    model = erlang_model(points[0].scenario)
    besides = agents_besides(points[0].scenario, path)
    if model is None or besides is None:
        return None
    if any(erlang_model(p.scenario) != model or agents_besides(p.scenario, path) != besides for p in points[1:]):
        return None
    lo, hi = int(points[0].overrides[path]), int(points[-1].overrides[path])
    x = np.unique(np.linspace(lo, hi, min(hi - lo + 1, _MAX_CURVE_POINTS)).round().astype(int))
    x = x[x + besides >= 1]
    rows = [model.metrics(int(n + besides)) for n in x]
    return model, x, {k: np.array([r[k] for r in rows]) for k in ERLANG_KPIS}


def sweep_curves(data, goal=None) -> go.Figure:
    """KPIs against the swept override with 95 % CI error bars, the exact Erlang A/C/B
    prediction when the override is an agent count of a textbook queue, and the
    service-level ``goal`` (a fraction) when given."""
    path = sweep_parameter(data.points)
    summary = stats.point_summaries(data, SWEEP_KPIS)
    titles = [f"{KPI_LABELS[k]} ({unit(k)})" for k in SWEEP_KPIS]
    fig = make_subplots(rows=2, cols=2, subplot_titles=titles, vertical_spacing=0.16, horizontal_spacing=0.1)
    for i, (label, points) in enumerate(sweep_series(data.points, path) if path else []):
        prefix = f"{label}: " if label else ""
        curve = erlang_curve(points, path) if path.endswith(".count") else None
        x = [p.overrides[path] for p in points]
        for j, kpi in enumerate(SWEEP_KPIS):
            cell = {"row": j // 2 + 1, "col": j % 2 + 1}
            summaries = [summary[p.point, kpi] for p in points]
            mean = np.array([m for m, _ in summaries]) * scale(kpi)
            hw = np.array([h for _, h in summaries]) * scale(kpi)
            fig.add_trace(go.Scatter(
                x=x, y=mean, mode="lines+markers", name=f"{prefix}simulated", legendgroup=f"sim{i}",
                showlegend=j == 0, line={"color": color(i)}, error_y=_error_bars(kpi, mean, hw),
                customdata=hw, hovertemplate=f"%{{y:.3f}} ± %{{customdata:.3f}} {unit(kpi)}<extra></extra>",
            ), **cell)
            if curve is not None:
                model, cx, cy = curve
                fig.add_trace(go.Scatter(
                    x=cx, y=cy[kpi] * scale(kpi), mode="lines", name=f"{prefix}{model.name} (exact)",
                    legendgroup=f"erlang{i}", showlegend=j == 0, line={"color": color(i), "dash": "dash"},
                    opacity=0.7, hovertemplate=f"{model.name}: %{{y:.3f}} {unit(kpi)}<extra></extra>",
                ), **cell)
    if goal is not None and path:
        fig.add_trace(goal_line([p.overrides[path] for p in data.points], goal), row=1, col=1)
    fig.update_xaxes(title_text=path or "no numeric override")
    fig = _style(fig, f"Sweep over {path}: mean ± 95 % CI" if path else "Sweep", height=640, top=90,
                 legend_right=True)
    fig.update_layout(hovermode="closest")
    return fig
