"""How KPI values read, the same in every table (terminal and HTML report).

Rates in %, their half-widths and differences in percentage points (pp),
times in s, counts with thousands separators. No rich, no pandas: the CLI
imports this at start-up.
"""
from __future__ import annotations

import math

from .results import KPI_DEFINITIONS, KPI_NAMES

RATE_KPIS = ("service_level", "abandon_rate", "blocked_rate", "occupancy", "lost_rate", "blocked_lines_rate",
             "ivr_hang_up_rate", "callers_lost_rate")
TIME_KPIS = ("asa", "aht", "mean_wait_abandoned")


def service_level_definition(threshold: float, denominator: str, short_abandon: float = 0.0) -> str:
    """The service level in words, e.g. 'answered within 20 s / offered'."""
    if denominator == "offered_excl_short_abandons":
        denominator = f"(offered - abandoned in under {short_abandon:g} s)"
    return f"answered within {threshold:g} s / {denominator}"


def kpi_definitions(scenario) -> dict:
    """{kpi: definition} for every KPI, the service level with its T and denominator."""
    out = dict(KPI_DEFINITIONS)
    sl = scenario.service_level
    out["service_level"] = service_level_definition(sl.threshold, sl.denominator, sl.short_abandon)
    own = [f"{c.name} {c.service_level_threshold:g} s" for c in scenario.call_types
           if c.service_level_threshold is not None]
    if own:
        out["service_level"] += f" (own thresholds: {', '.join(own)})"
    return {name: out.get(name, "") for name in KPI_NAMES}


def is_finite(x) -> bool:
    """A real number, not None, NaN or infinite."""
    return x is not None and math.isfinite(x)


def format_value(name: str, x) -> str:
    """A KPI value for people: rates in %, times in s, counts with separators."""
    if not is_finite(x):
        return "n/a"
    if name in RATE_KPIS or name in TIME_KPIS:
        return _with_unit(name, x, "%")
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def format_halfwidth(name: str, x) -> str:
    """A CI half-width: rates in percentage points, times in s."""
    if not is_finite(x):
        return "n/a"
    return "± " + (_with_unit(name, x, "pp") if name in RATE_KPIS or name in TIME_KPIS else f"{x:,.1f}")


def format_difference(name: str, x) -> str:
    """A signed difference of two KPI values: rates in pp, times in s, counts plain."""
    if not is_finite(x):
        return "n/a"
    if name in RATE_KPIS:
        return f"{100 * x:+.2f} pp"
    if name in TIME_KPIS:
        return f"{x:+,.2f} s"
    return f"{x:+,.0f}" if float(x).is_integer() else f"{x:+,.1f}"


def format_interval(name: str, low, high) -> str:
    """A CI of a difference with its unit once: '[+1.20, +3.40] pp'."""
    if not (is_finite(low) and is_finite(high)):
        return "n/a"
    if name in RATE_KPIS:
        return f"[{100 * low:+.2f}, {100 * high:+.2f}] pp"
    if name in TIME_KPIS:
        return f"[{low:+,.2f}, {high:+,.2f}] s"
    return f"[{low:+,.1f}, {high:+,.1f}]"


def _with_unit(name: str, x, rate_unit: str) -> str:
    return f"{100 * x:.2f} {rate_unit}" if name in RATE_KPIS else f"{x:,.2f} s"
