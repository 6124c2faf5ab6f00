"""Terminal tables (rich) for KPI summaries and queueing-formula results."""
from __future__ import annotations

import math

from rich.console import Console
from rich.table import Table

from .results import KPI_DEFINITIONS, KPI_NAMES

RATE_KPIS = ("service_level", "abandon_rate", "blocked_rate", "occupancy")
TIME_KPIS = ("asa", "aht", "mean_wait_abandoned")

def service_level_definition(threshold: float, denominator: str, short_abandon: float = 0.0) -> str:
    """The service level in words, e.g. 'answered within 20 s / offered'."""
    if denominator == "offered_excl_short_abandons":
        denominator = f"(offered - abandoned within {short_abandon:g} s)"
    return f"answered within {threshold:g} s / {denominator}"


def kpi_definitions(scenario) -> dict:
    """{kpi: definition} for every KPI, the service level with its T and denominator."""
    out = dict(KPI_DEFINITIONS)
    sl = scenario.service_level
    out["service_level"] = service_level_definition(sl.threshold, sl.denominator, sl.short_abandon)
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


def _with_unit(name: str, x, rate_unit: str) -> str:
    return f"{100 * x:.2f} {rate_unit}" if name in RATE_KPIS else f"{x:,.2f} s"


def kpi_table(summary: dict, definitions: dict, title: str = "") -> Table:
    """KPI | mean | ±95 % CI | definition, one row per KPI of ``summary``."""
    table = Table(title=title or None, title_justify="left")
    table.add_column("KPI", style="bold")
    table.add_column("mean", justify="right")
    table.add_column("± 95 % CI", justify="right")
    table.add_column("definition")
    for name, row in summary.items():
        table.add_row(name, format_value(name, row["mean"]), format_halfwidth(name, row["ci_halfwidth"]),
                      definitions.get(name, ""))
    return table


# Queueing-formula results: (field of ErlangResult, label, kind, definition).
ERLANG_ROWS = (
    ("load", "offered load", "erlang", "arrival rate x mean handle time"),
    ("p_block", "P(blocked)", "rate", "Erlang B: calls finding every agent busy are lost"),
    ("p_wait", "P(wait)", "rate", "arriving call finds all agents busy"),
    ("p_abandon", "abandon rate", "rate", "abandoned / offered"),
    ("service_level", "service level", "rate", "answered within {T} s / offered"),
    ("asa", "ASA", "time", "mean wait of answered calls (zero waits included)"),
    ("mean_wait_all", "mean wait, all calls", "time", "abandoners' waits included"),
    ("occupancy", "occupancy", "rate", "mean busy agents / agents"),
    ("mean_queue", "mean queue length", "number", "mean number of calls waiting"),
)


def _format_metric(kind: str, x) -> str:
    if not is_finite(x):
        return "n/a"
    if kind == "rate":
        return f"{100 * x:.3f} %"
    if kind == "time":
        return f"{x:,.2f} s"
    if kind == "erlang":
        return f"{x:,.3f} Erl"
    return f"{x:,.3f}"


def erlang_table(metrics: dict, threshold, skip=(), meanings=None) -> Table:
    """The metrics of a queueing formula, one row each (names as in ``ccsim.analytic``).

    ``meanings`` overrides the explanation of some rows (e.g. Erlang B's service level).
    """
    meanings = meanings or {}
    table = Table()
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    table.add_column("meaning")
    for key, label, kind, meaning in ERLANG_ROWS:
        if key in metrics and key not in skip:
            text = meanings.get(key) or meaning.format(T=f"{threshold:g}" if threshold is not None else "T")
            table.add_row(label, _format_metric(kind, metrics[key]), text)
    return table


class progress_bar:
    """A rich progress bar on stderr (replications done, elapsed, ETA), or nothing.

    ``with progress_bar(enabled) as update:`` gives ``update(done, total)``, or
    None when disabled, ready to pass as a ``progress`` callback.
    """

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        self.bar = Progress(TextColumn("replications"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            TextColumn("ETA"), TimeRemainingColumn(), console=Console(stderr=True), transient=True)
        self.bar.start()
        task = self.bar.add_task("replications", total=None)

        def update(done, total):
            self.bar.update(task, completed=done, total=total)

        return update

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
