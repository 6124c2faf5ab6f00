"""What a scenario says about how far its results can be trusted, before it runs.

Pure functions of a ``Scenario``: whether its arrivals are stationary (then
batch means within one run give honest confidence intervals; with a daily
profile they would mix peaks and troughs), and which call types are unstable
(offered load at or above the capacity of the agents who can serve them while
callers never hang up: the queue grows without bound and no KPI settles).
"""
from __future__ import annotations

from dataclasses import dataclass

from .scenario.schema import PiecewiseArrivals, ReplayArrivals, Scenario

NONSTATIONARY_NOTE = ("arrivals vary over the day: batch means would mislead; "
                      "run --reps 10 or more for confidence intervals")


def stationary_arrivals(scenario: Scenario) -> bool:
    """True when every call type rings at one constant rate (Poisson, or a
    piecewise profile whose rates, weekday factors included, are all equal),
    without a random busyness factor per day, and no media schedule (airings are peaks) and no
    replayed recorded calls (treated as non-stationary: a recording has its own pattern)."""
    from .scenario.schema import arrival_sources

    if scenario.media is not None:
        return False
    for _, arrivals in arrival_sources(scenario):
        if arrivals.busyness is not None and arrivals.busyness.cv > 0:
            return False  # the rate changes from day to day
        if isinstance(arrivals, ReplayArrivals):
            return False  # recorded calls: their pattern (a day's peaks) is not a constant rate
        if isinstance(arrivals, PiecewiseArrivals):
            rates, slot, repeat = arrivals.profile(scenario.interval, scenario.horizon)
            if len(set(rates)) > 1:
                return False
            # a profile that stops (repeat: false) before the horizon is not constant either
            if not repeat and slot * len(rates) < scenario.horizon:
                return False
    return True


def mean_arrival_rate(scenario: Scenario, index: int) -> float:
    """Calls per second of call type ``index``, averaged over [0, horizon]
    (busyness factors have mean 1 and do not change it); organic calls only, not media."""
    arrivals = scenario.call_types[index].arrivals
    if arrivals is None:
        return 0.0  # only what menus route to it or media channels ring
    if isinstance(arrivals, ReplayArrivals):
        return arrivals.occurrences(scenario.horizon) / scenario.horizon
    if not isinstance(arrivals, PiecewiseArrivals):
        return arrivals.rate_per_second()
    rates, slot, repeat = arrivals.profile(scenario.interval, scenario.horizon)
    horizon = scenario.horizon
    cycle = slot * len(rates)
    calls, start = 0.0, 0.0
    while start < horizon:  # whole cycles, then the part of the last one
        span = min(cycle, horizon - start)
        for i, rate in enumerate(rates):
            calls += rate * max(0.0, min(slot, span - i * slot))
        start += cycle
        if not repeat:
            break
    return calls / horizon


@dataclass(frozen=True)
class Instability:
    """Call types whose offered load (Erlangs) reaches the capacity serving them."""

    call_types: tuple  # names; one name, or every patient call type for the center as a whole
    load: float  # Erlangs: mean arrival rate x (mean handle time + mean after-call work)
    capacity: float  # agents who can serve them, each weighted by 1 / proficiency

    def message(self) -> str:
        which = (f"call type {self.call_types[0]!r}" if len(self.call_types) == 1
                 else f"the center as a whole (call types {', '.join(map(repr, self.call_types))})")
        return (f"unstable: {which} offers {self.load:,.1f} Erl to agents who can serve "
                f"{self.capacity:,.1f} Erl, and its callers never hang up: the queue grows without "
                "bound, waits depend on the horizon and no KPI settles")


def offered_load(scenario: Scenario, index: int) -> float:
    """Erlangs of call type ``index``: mean arrival rate x mean work per call (talk + after-call work).

    A duration by period of the day counts with its time-weighted mean over the day
    (``ByPeriod.mean_value``), not weighted by when the calls come."""
    call_type = scenario.call_types[index]
    work = call_type.handle_time.mean_value()
    if call_type.after_call_work is not None:
        work += call_type.after_call_work.mean_value()
    return mean_arrival_rate(scenario, index) * work


def capacity(scenario: Scenario, names) -> float:
    """Erlangs the groups serving any of ``names`` can carry (proficiency scales handle time)."""
    names = set(names)
    return sum(g.size / _mean_factor(g, names) for g in scenario.agents if names & set(g.serves))


def _mean_factor(group, names: set) -> float:
    """A group's mean handle-time factor for calls of ``names`` (its proficiency for identical
    agents; else the mean over those types it serves of the group's factor times its agents' mean
    own factor: the members' skills, or the population's mean proficiency)."""
    if group.identical():
        return group.proficiency
    served = [n for n in group.serves if n in names]
    own = {n: 1.0 for n in served}
    if group.members is not None:
        own = {n: sum(m.skills.get(n, 1.0) for m in group.members) / len(group.members) for n in served}
    elif group.population is not None:
        draw = group.population.proficiency
        mean = {"constant": lambda: draw.value, "uniform": lambda: (draw.low + draw.high) / 2}.get(
            draw.dist, lambda: draw.mean)()
        own = {n: mean for n in served}
    return sum(group.type_factor(n) * own[n] for n in served) / len(served)


def instabilities(scenario: Scenario) -> list[Instability]:
    """Each patient call type (no patience) whose load reaches its capacity, and
    the patient call types together if they do so only as a whole."""
    patient = [i for i, c in enumerate(scenario.call_types) if c.patience is None]
    found = []
    for i in patient:
        name = scenario.call_types[i].name
        load, cap = offered_load(scenario, i), capacity(scenario, [name])
        if load >= cap:
            found.append(Instability((name,), load, cap))
    if len(patient) > 1 and not found:
        names = tuple(scenario.call_types[i].name for i in patient)
        load = sum(offered_load(scenario, i) for i in patient)
        cap = capacity(scenario, names)
        if load >= cap:
            found.append(Instability(names, load, cap))
    return found


__all__ = ["NONSTATIONARY_NOTE", "Instability", "capacity", "instabilities", "mean_arrival_rate",
           "offered_load", "stationary_arrivals"]
