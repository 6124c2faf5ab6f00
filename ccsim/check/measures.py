"""What an expectation measures in one replication: one value, or one per interval.

A ``Measure`` is built from the compiled model (so a call type, a team, a
channel or a window the scenario does not have, or a lost-call KPI it cannot
have, is an error before any run) and reads a ``Result``: ``Result.kpis()``,
``lost_call_kpis()``, ``money()``, ``funnel(by="channel")``, ``kpis_by_call_type()``, ``group_table()``,
``channel_kpis()``, or for a window the raw per-interval counters
(``stats.interval_calls``) through ``ccsim.results.compute_kpis``.
"""
from __future__ import annotations

import numpy as np

from ..money import MONEY_FRACTIONS, MONEY_KPI_NAMES
from ..report_table import RATE_KPIS
from ..results import INTERVAL_GROUP_FIELDS, LOST_KPI_NAMES, ORGANIC, center_calls, compute_kpis
from .expressions import CHANNEL_MONEY_KPIS, Expectation, ExpectationError

DAY = 86400.0
# KPIs whose value in one replication lies in [0, 1]; every other KPI is >= 0, except profit
FRACTION_KPIS = frozenset((*RATE_KPIS, *MONEY_FRACTIONS))
SIGNED_KPIS = frozenset(("profit",))


class Measure:
    """The values of ``expectation`` in one replication of a scenario compiled to ``model``."""

    def __init__(self, expectation: Expectation, model, what: str = "the scenario", scenario=None):
        self.expectation = expectation
        e = expectation
        self.call_type = _index(e, e.call_type, model.call_type_names, "call type", what)
        self.team = _index(e, e.team, model.group_names, "team (agent group)", what)
        self.channel = _index(e, e.channel, (ORGANIC, *model.channel_names), "media channel", what)
        if e.kpi in LOST_KPI_NAMES and e.channel is None:
            _check_possible(e, model, scenario, what)
        if e.kpi in MONEY_KPI_NAMES + CHANNEL_MONEY_KPIS:
            _check_money(e, scenario, what)
        self.intervals = None
        self.labels = [e.subject]
        if e.window is not None:
            if e.team is not None and e.kpi != "occupancy":
                raise _error(e, f"per interval, a team has only occupancy ({e.kpi} per team is a total)")
            self.intervals = _intervals_in(model, e.window)
            if not len(self.intervals):
                raise _error(e, f"{what} has no reporting interval (after the warm-up) inside the window "
                                f"{_clock(e.window[0])}-{_clock(e.window[1])}")
            self.labels = [f"{e.subject} {_clock(i * model.interval % DAY)}" for i in self.intervals]

    @property
    def size(self) -> int:
        return len(self.labels)

    @property
    def bounds(self):
        """(lowest, highest) value one replication can give: [0, 1] for a fraction, [0, inf) for a
        count, a time or an amount (profit: unbounded): what a sample of equal values can say
        about the mean (``sequential``). None for a comparison: a paired difference of 0 in every
        replication is taken as exact (under common random numbers a change that never moved the
        KPI in the pairs did not touch it; docs/guide/check.md says so)."""
        kpi = self.expectation.kpi
        if self.expectation.comparison:
            return None
        if kpi in FRACTION_KPIS:
            return (0.0, 1.0)
        return (-np.inf, np.inf) if kpi in SIGNED_KPIS else (0.0, np.inf)

    def values(self, result) -> np.ndarray:
        """The KPI of ``result`` (one value, or one per interval of the window)."""
        e = self.expectation
        if self.intervals is not None:
            return self._per_interval(result)
        if self.team is not None:
            return np.array([result.group_table()[e.team][e.kpi]], dtype=float)
        if self.channel is not None and e.kpi in CHANNEL_MONEY_KPIS:
            return np.array([result.funnel(by="channel")[e.kpi].iloc[self.channel]], dtype=float)
        if self.channel is not None:
            return np.array([result.channel_kpis()[e.channel][e.kpi]], dtype=float)
        if e.kpi in MONEY_KPI_NAMES:
            return np.array([result.money()[e.kpi]], dtype=float)
        if e.kpi in LOST_KPI_NAMES:
            return np.array([result.lost_call_kpis()[e.kpi]], dtype=float)
        if self.call_type is not None:
            return np.array([result.kpis_by_call_type()[e.call_type][e.kpi]], dtype=float)
        return np.array([result.kpis()[e.kpi]], dtype=float)

    def _per_interval(self, result) -> np.ndarray:
        stats, rows = result.stats, self.intervals
        calls = stats.interval_calls[rows]
        calls = (calls[:, self.call_type] if self.call_type is not None
                 else center_calls(calls.sum(axis=1), stats.interval_entries[rows].sum(axis=1)))
        clock = stats.interval_groups[rows]
        clock = clock[:, self.team] if self.team is not None else clock.sum(axis=1)
        staffed = clock[:, INTERVAL_GROUP_FIELDS.index("staffed")]
        busy = clock[:, INTERVAL_GROUP_FIELDS.index("busy")]
        kpis = compute_kpis(calls, busy, staffed, result.sl_denominator)
        return np.asarray(kpis[self.expectation.kpi], dtype=float)


def _check_possible(e: Expectation, model, scenario, what: str) -> None:
    """A lost-call KPI that ``what`` can never have (always 0 by construction) is an error, not a verdict."""
    if e.kpi == "blocked_lines_rate" and model.lines < 0:
        raise _error(e, f"{what} has unlimited lines (no 'lines:'), so no call is ever blocked by lines; "
                        f"{e.kpi} needs lines")
    if e.kpi == "ivr_hang_up_rate":
        if not model.entry_names:
            raise _error(e, f"{what} has no entries (numbers with an IVR menu), so nobody can hang up in a "
                            f"menu; {e.kpi} needs entries")
        if scenario is not None:
            used = {entry.ivr for entry in scenario.entries}
            if not any(menu.patience is not None for menu in scenario.ivr if menu.name in used):
                raise _error(e, f"no IVR menu of {what}'s entries has a patience, so nobody hangs up in a menu "
                                f"by patience; {e.kpi} needs ivr[].patience")


def _check_money(e: Expectation, scenario, what: str) -> None:
    """A money KPI needs a sales funnel or costs (without both it is NaN or 0 by construction);
    every one but total_cost needs the funnel (without it no order is taken: roi, orders,
    collected_revenue are 0 or NaN in every run, which no number of replications can weigh)."""
    if scenario is None:
        return
    if getattr(scenario, "funnel", None) is None and getattr(scenario, "costs", None) is None:
        raise _error(e, f"{what} has neither a sales funnel (funnel:) nor costs (costs:), so {e.kpi} "
                        "means nothing; add them to the scenario")
    if getattr(scenario, "funnel", None) is None and e.kpi != "total_cost":
        raise _error(e, f"{what} has costs but no sales funnel (funnel:): no order is ever taken, so {e.kpi} "
                        "is the same (0 or undefined) in every run; add a funnel, or check total_cost")


def _intervals_in(model, window: tuple) -> np.ndarray:
    """Reporting intervals after the warm-up lying wholly inside ``window`` (seconds of the day), every day."""
    start = np.arange(model.n_intervals) * model.interval
    end = np.minimum(start + model.interval, model.horizon)
    day_start = start % DAY
    inside = (start >= model.warmup) & (day_start >= window[0]) & (day_start + (end - start) <= window[1])
    return np.flatnonzero(inside)


def _index(e: Expectation, name, names, what: str, source: str):
    if name is None:
        return None
    if name not in names:
        raise _error(e, f"{source} has no {what} named {name!r}; it has {', '.join(map(repr, names))}")
    return names.index(name)


def _clock(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _error(e: Expectation, problem: str) -> ExpectationError:
    return ExpectationError(f"{e.where}: the expectation {e.text!r} cannot be used: {problem}.")


__all__ = ["Measure"]
