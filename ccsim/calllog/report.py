"""The fit report: a terminal summary and a self-contained HTML page (plotly, as ccsim's reports).

Both state every estimate with its 95 % interval, the criterion that chose each family (AIC)
and its goodness of fit (KS distance), and the rows excluded from the log by reason.
"""
from __future__ import annotations

import html

import numpy as np

from .fit import WEEKDAYS, FitResult, TypeFit

SHOW_BAD_ROWS = 5  # rows listed per exclusion reason in the terminal


def _ci(value, ci, fmt="{:.4g}") -> str:
    return f"{fmt.format(value)} [{fmt.format(ci[0])}, {fmt.format(ci[1])}]"


def fit_line(fit) -> str:
    """``gamma mean 184.8 [182.3, 187.3], cv 0.96 [...] (AIC 1234, KS 0.058)``."""
    params = ", ".join(f"{k} {_ci(v, fit.ci[k])}" for k, v in fit.params.items())
    return f"{fit.family} {params} (AIC {fit.aic:,.1f}, KS {fit.ks:.3f}, n {fit.n:,})"


def text_report(result: FitResult) -> str:
    """The terminal report."""
    log, lines = result.log, []
    lines.append(f"log {log.source}: {log.rows:,} rows, {len(log.calls):,} calls kept over {log.days} days, "
                 f"{len(log.excluded):,} excluded")
    for reason, count in log.exclusion_summary().items():
        rows = log.excluded.loc[log.excluded["reason"] == reason, "row"].head(SHOW_BAD_ROWS).tolist()
        more = ", ..." if count > SHOW_BAD_ROWS else ""
        lines.append(f"  excluded {count:>6,}  {reason} (rows {', '.join(map(str, rows))}{more})")
    lines += [f"  note: {n}" for n in log.notes]
    lines.append(f"profile: {result.profile}ly, slots of {result.options.slot} s; 95 % intervals in brackets; "
                 "families chosen by AIC (smallest); KS = largest gap between fitted and empirical CDF")
    for fit in result.types.values():
        lines += _type_lines(fit, result)
    seen = _profile_peaks(result, result.agents_seen)
    lines.append("agents seen serving (distinct agents with a call in the slot, mean over like days): peak " + seen)
    login = " + the typical gap before each stretch's first call" if result.options.login_idle else ""
    lines.append(f"agents available (busy + idle gaps <= {result.options.idle_cap:g} s{login}, with no call "
                 "waiting, mean over the slot and like days; the scenario's staffing): peak "
                 + _profile_peaks(result, None))
    lines += _head_start_lines(result)
    return "\n".join(lines)


def _head_start_lines(result: FitResult) -> list:
    """Each level's fitted head start over level 0, its support, and what the scenario does."""
    from .scenario import head_start_list

    if not result.head_starts:
        return []
    out = []
    for lv, h in result.head_starts.items():
        value = (f"{h.estimate:.1f} s [{h.ci[0]:.1f}, {h.ci[1]:.1f}]" if np.isfinite(h.estimate)
                 else "beyond every observed gap (strict priority as far as the log shows; interval from "
                 f"{h.ci[0]:.1f} s)")
        out.append(f"head start of priority level {lv} over level 0: {value} (change point of {h.events:,} service "
                   f"events with both levels waiting, bootstrap over days; level {lv} taken first in {h.p_in:.1%} "
                   f"of them when its head joined less than the head start after level 0's, {h.p_out:.1%} when "
                   "later)")
    starts = head_start_list(result)
    out.append(f"  the scenario's routing.level_head_start: {starts}" if starts is not None else
               "  the scenario keeps strict priority levels (a level without a finite fitted head start)")
    return out


def _profile_peaks(result: FitResult, per_day) -> str:
    """The peak per weekday (or of the day) of ``per_day`` [days, slots] averaged over like
    days, or of the scenario's staffing when ``per_day`` is None."""
    from .fit import _profile_mean

    profile = result.staffing if per_day is None else _profile_mean(per_day, result.log, result.profile)
    peak = profile.max(axis=1)
    if result.profile == "week":
        return "per weekday " + ", ".join(f"{d[:3]} {p:.1f}" for d, p in zip(WEEKDAYS, peak))
    return f"of the day {peak[0]:.1f}"


def _type_lines(fit: TypeFit, result: FitResult) -> list:
    a = fit.arrivals
    days = np.maximum(a.exposure_days, 1)
    per_day = a.counts.sum(axis=1) / days
    out = [f"call type {fit.name}: {fit.calls:,} calls"]
    if result.profile == "week":
        out.append("  calls per day: " + ", ".join(f"{d[:3]} {v:,.0f}" for d, v in zip(WEEKDAYS, per_day)))
    else:
        out.append(f"  calls per day: {per_day[0]:,.1f}")
    g, s = np.unravel_index(np.argmax(a.rate), a.rate.shape)
    when = f"{WEEKDAYS[g]} " if result.profile == "week" else ""
    out.append(f"  peak rate: {_ci(a.rate[g, s], (a.low[g, s], a.high[g, s]), '{:.1f}')} calls/hour "
               f"({when}{int(s * result.options.slot // 3600):02d}:{int(s * result.options.slot % 3600 // 60):02d})")
    out.append(f"  busyness (day-to-day cv beyond Poisson): {_ci(a.busyness_cv, a.busyness_ci, '{:.3f}')}")
    if fit.handle is not None:
        out.append(f"  handle time: {fit_line(fit.handle)}")
        others = ", ".join(f"{f.family} AIC {f.aic:,.1f} KS {f.ks:.3f}" for f in fit.handle_fits.values()
                           if f is not fit.handle)
        out.append(f"    others: {others}")
        out += _period_lines(fit)
    if fit.patience is not None:
        out.append(f"  patience (censored: {fit.abandoned:,} abandons of {fit.patience.n:,} "
                   f"who waited): {fit_line(fit.patience)}")
        median = fit.km.median()
        median = f"{median:.0f} s" if np.isfinite(median) else "beyond the longest wait"
        out.append(f"    Kaplan-Meier median {median}; S(60 s) {fit.km.at(60.0):.3f}; "
                   f"abandoners' mean wait {fit.naive_patience_mean:.0f} s (biased low: not an estimate)")
    else:
        out.append(f"  patience: not fitted ({fit.abandoned} abandons); the scenario's callers wait "
                   "as long as it takes")
    if fit.abandoned:
        out.append(f"  short abandons (< {result.options.short_abandon:g} s): {fit.short_abandons:,} "
                   f"({fit.short_abandons / fit.abandoned:.1%} of abandons)")
    if fit.ivr is not None:
        out.append(f"  IVR time: {fit_line(fit.ivr)}")
        out.append(f"  reached the queue: {_ci(fit.reached_queue, fit.reached_ci, '{:.3f}')} "
                   "(the rest hung up in the IVR)")
    if fit.ivr is not None:
        out.append(_reach_line(fit, result))
    if len(fit.priorities) > 1:
        out.append("  priority levels: " + ", ".join(f"{k}: {v:.1%}" for k, v in fit.priorities.items()))
    return out


def _period_lines(fit: TypeFit) -> list:
    """The handle time per period of the day (the scenario's ``by_period``): the lowest and
    highest mean with their intervals, and how many periods fell back on the day's fit."""
    own = [(start, f) for start, f in fit.handle_periods if f is not None]
    if not own:
        return []
    low = min(own, key=lambda p: p[1].frozen().mean())
    high = max(own, key=lambda p: p[1].frozen().mean())
    width = fit.handle_periods[1][0] if len(fit.handle_periods) > 1 else 86400

    def mean(p):
        f = p[1]
        value = _ci(f.frozen().mean(), f.ci["mean"], "{:.0f}") if "mean" in f.ci else f"{f.frozen().mean():.0f}"
        return f"{value} s at {_clock(p[0])}"

    rest = len(fit.handle_periods) - len(own)
    return [f"    per {width // 60} min of the day ({fit.handle.family} by ML in each, calls by the time they "
            f"reached the queue; the scenario's by_period): mean from {mean(low)} to {mean(high)}"
            + (f"; {rest} periods with fewer calls than --min-calls take the day's fit" if rest else "")]


def _reach_line(fit: TypeFit, result: FitResult) -> str:
    """The lowest and highest share of a slot's callers reaching the queue (the scenario thins
    each slot by its own share)."""
    from .fit import reached_by_slot

    share, low, high = reached_by_slot(fit)
    busy = fit.arrivals.counts >= result.options.min_calls
    if not busy.any():
        return "    reached the queue per slot: no slot with enough calls to show"
    masked = np.where(busy, share, np.nan)
    lo, hi = np.unravel_index(np.nanargmin(masked), share.shape), np.unravel_index(np.nanargmax(masked), share.shape)

    def at(i):
        day = f"{WEEKDAYS[i[0]][:3]} " if result.profile == "week" else ""
        return f"{_ci(share[i], (low[i], high[i]), '{:.3f}')} ({day}{_clock(i[1] * result.options.slot)})"

    return (f"    reached the queue per slot (slots with {result.options.min_calls}+ calls; the scenario thins "
            f"each slot by its own share): from {at(lo)} to {at(hi)}")


def _clock(seconds) -> str:
    return f"{int(seconds // 3600):02d}:{int(seconds % 3600 // 60):02d}"


# ---------------------------------------------------------------- HTML
def html_report(result: FitResult, title: str = "ccsim fit") -> str:
    """A self-contained page: the text report, Q-Q plots of handle times, KM curves, hazards."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    from ..report.page import CSS

    charts = []
    for fit in result.types.values():
        for fig in (_qq(fit), _km(fit), _hazard(fit), _rates(fit, result)):
            if fig is not None:
                charts.append(pio.to_html(fig, include_plotlyjs=False, full_html=False, default_width="100%"))
    body = "".join(f'<div class="ccsim-chart">{c}</div>' for c in charts)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style><script>{get_plotlyjs()}</script></head><body><main>"
            f"<h1>{html.escape(title)}</h1><h2>Estimates</h2><pre>{html.escape(text_report(result))}</pre>"
            f"<h2>Charts</h2><div class='charts'>{body}</div></main></body></html>")


def _qq(fit: TypeFit):
    import plotly.graph_objects as go

    if fit.handle is None or fit.handle_values is None:
        return None
    x = np.sort(fit.handle_values)
    q = (np.arange(1, len(x) + 1) - 0.5) / len(x)
    pick = np.unique(np.linspace(0, len(x) - 1, min(len(x), 400)).astype(int))
    fig = go.Figure()
    for f in fit.handle_fits.values():
        fig.add_trace(go.Scatter(x=f.frozen().ppf(q[pick]), y=x[pick], mode="markers", name=f.family,
                                 marker={"size": 4}))
    top = float(x[pick][-1])
    fig.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", name="y = x", line={"color": "#333"}))
    fig.update_layout(title=f"{fit.name}: handle time Q-Q (fitted vs observed quantiles, s)", height=360)
    return fig


def _km(fit: TypeFit):
    import plotly.graph_objects as go

    if fit.km is None:
        return None
    low, high = fit.km.ci()
    t = np.concatenate([[0.0], fit.km.times])
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=t, y=np.concatenate([[1.0], high]), line={"width": 0, "shape": "hv"},
                             showlegend=False))
    fig.add_trace(go.Scatter(x=t, y=np.concatenate([[1.0], low]), fill="tonexty", line={"width": 0, "shape": "hv"},
                             name="95 % band"))
    fig.add_trace(go.Scatter(x=t, y=np.concatenate([[1.0], fit.km.survival]), line={"shape": "hv"},
                             name="Kaplan-Meier"))
    grid = np.linspace(0, float(t[-1]), 200)
    for f in fit.patience_fits.values():
        fig.add_trace(go.Scatter(x=grid, y=f.frozen().sf(grid), name=f.family, line={"dash": "dot"}))
    fig.update_layout(title=f"{fit.name}: patience survival P(patience > t)", height=360,
                      xaxis_title="wait (s)")
    return fig


def _hazard(fit: TypeFit):
    import plotly.graph_objects as go

    if fit.hazard is None:
        return None
    h = fit.hazard
    mid = (h.edges[:-1] + h.edges[1:]) / 2
    fig = go.Figure(go.Scatter(x=mid, y=h.rate * 60, mode="lines+markers", name="hazard",
                               error_y={"type": "data", "symmetric": False, "array": (h.high - h.rate) * 60,
                                        "arrayminus": (h.rate - h.low) * 60}))
    fig.update_layout(title=f"{fit.name}: abandonment hazard (per minute waited)", height=360,
                      xaxis_title="wait (s)")
    return fig


def _rates(fit: TypeFit, result: FitResult):
    import plotly.graph_objects as go

    a = fit.arrivals
    hours = np.arange(a.rate.size) * result.options.slot / 3600.0
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=hours, y=a.high.ravel(), line={"width": 0, "shape": "hv"}, showlegend=False))
    fig.add_trace(go.Scatter(x=hours, y=a.low.ravel(), fill="tonexty", line={"width": 0, "shape": "hv"},
                             name="95 % CI"))
    fig.add_trace(go.Scatter(x=hours, y=a.rate.ravel(), line={"shape": "hv"}, name="rate"))
    start = "Monday 00:00" if result.profile == "week" else "00:00"
    fig.update_layout(title=f"{fit.name}: arrivals (calls per hour)", height=360,
                      xaxis_title=f"hours from {start}")
    return fig


__all__ = ["fit_line", "html_report", "text_report"]
