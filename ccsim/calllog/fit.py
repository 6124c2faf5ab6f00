"""Estimate a scenario's inputs from a ``CallLog``, each with its uncertainty.

``fit_log(log)`` gives a ``FitResult``: per call type the arrival rates per slot of the day
and weekday (exact Poisson 95 % CIs) and the day-to-day variation beyond Poisson (the
busyness cv, chi-square CI), the handle-time fits (lognormal, gamma, Weibull by maximum
likelihood, chosen by AIC, with KS distances and Fisher CIs; the chosen family refitted per
period of the day, ``handle_periods``), patience from censored waits
(Kaplan-Meier, censored MLE of exponential, Weibull and lognormal, the hazard), the IVR time
and the share of callers reaching the queue (overall, and per slot: ``Arrivals.queue_counts``,
``reached_by_slot``), the priority shares and the share of short
abandons; for the center the head start of each priority level over level 0, from the order
in which waiting callers were served (``headstart.py``; the scenario's
``routing.level_head_start``); and the agents seen serving per slot and the agents available per slot
(``agents_available``: busy time plus short idle gaps with no call waiting), which the
scenario staffs. ``FitResult.scenario()`` turns
them into a ccsim scenario (``scenario.py``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..errors import UserError
from .distributions import HANDLE_FAMILIES, PATIENCE_FAMILIES, Fit, fit_best, positive
from .reader import DAY, CallLog
from .survival import Hazard, KaplanMeier, hazard, kaplan_meier, naive_abandoner_mean

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class FitError(UserError):
    """A log that cannot support a fit (no calls of a kind the fit needs)."""


@dataclass(frozen=True)
class FitOptions:
    """Choices of a fit: slot width (s), weekly or daily profile, families, short-abandon limit."""

    slot: int = 1800
    profile: str = "auto"            # "week" (needs 7 days), "day", or "auto" (week when >= 7 days)
    handle: str = "auto"             # "auto" (AIC), a family, or "empirical"
    patience: str = "auto"           # "auto" (AIC) or a family
    short_abandon: float = 5.0       # an abandon within this many seconds is "short"
    min_calls: int = 20              # below this many values a distribution is not fitted
    idle_cap: float = 600.0          # an agent's idle gap longer than this (s) is off the phones
    login_idle: bool = True          # staffing: count the typical idle gap before a stretch's first call
    handle_period: int = 3600        # handle time fitted per period of the day of this many s (0: one)

    def __post_init__(self):
        """The widths are checked here, before a log is read: a ``FitError`` naming the option."""
        if DAY % self.slot:
            raise FitError(f"slot {self.slot} s does not divide a day")
        width = int(self.handle_period)
        if width and (DAY % width or width % 60):
            raise FitError(f"--handle-period {width}: a period of the day must be whole minutes dividing a day "
                           "(e.g. 1800 or 3600), or 0 for one distribution")


@dataclass
class Arrivals:
    """Arrival rates (calls per hour) per weekday and slot with 95 % CIs, and the busyness."""

    counts: np.ndarray               # [profile days, slots] calls
    exposure_days: np.ndarray        # [profile days] days observed of each
    rate: np.ndarray                 # [profile days, slots] calls per hour
    low: np.ndarray
    high: np.ndarray
    daily: np.ndarray                # calls on each day of the log
    busyness_cv: float
    busyness_ci: tuple
    queue_counts: np.ndarray = None  # [profile days, slots] of ``counts``: calls not hung up in the IVR


@dataclass
class TypeFit:
    """Everything fitted for one call type."""

    name: str
    calls: int
    arrivals: Arrivals
    handle: Optional[Fit] = None
    handle_fits: dict = field(default_factory=dict)
    handle_values: np.ndarray = None
    handle_periods: list = field(default_factory=list)  # [(start s of day, Fit or None = the day's fit)]
    patience: Optional[Fit] = None
    patience_fits: dict = field(default_factory=dict)
    km: Optional[KaplanMeier] = None
    hazard: Optional[Hazard] = None
    naive_patience_mean: float = float("nan")
    queued: int = 0
    abandoned: int = 0
    short_abandons: int = 0
    ivr: Optional[Fit] = None
    reached_queue: float = 1.0       # share of arrivals not hanging up in the IVR
    reached_ci: tuple = (1.0, 1.0)
    priorities: dict = field(default_factory=dict)   # ccsim level -> share of queued/served calls


@dataclass
class FitResult:
    """The fit of a whole log."""

    log: CallLog
    options: FitOptions
    profile: str                     # "week" or "day"
    types: dict                      # call type -> TypeFit
    agents_seen: np.ndarray          # [days, slots] distinct agents serving
    staffing: np.ndarray             # [profile days, slots] mean agents available (what the scenario uses)
    agents_available: np.ndarray = None   # [days, slots] mean agents available (``agents_available``)
    head_starts: dict = field(default_factory=dict)  # level >= 1 -> headstart.HeadStart (over level 0)

    @property
    def slots_per_day(self) -> int:
        return int(DAY // self.options.slot)

    def scenario(self, **kwargs) -> dict:
        """The fitted model as a ccsim scenario (plain data; ``ccsim.calllog.scenario``)."""
        from .scenario import fitted_scenario

        return fitted_scenario(self, **kwargs)


def fit_log(log: CallLog, options: FitOptions = FitOptions()) -> FitResult:
    """Fit every call type of ``log`` (see the module's docstring)."""
    calls = log.calls
    if not len(calls):
        raise FitError(f"log {log.source}: no call left to fit after the exclusions ({log.exclusion_summary()})")
    if not (calls["outcome"] == "served").any():  # no handle time, no agent: a scenario of nothing
        raise FitError(f"log {log.source}: no call left after the exclusions was served by an agent (outcomes "
                       f"mapped as served: {', '.join(log.mapping.outcomes.get('served', ())) or 'none'}), so "
                       "handle times and staffing cannot be estimated; check the mapping's outcomes.served")
    profile = options.profile if options.profile != "auto" else ("week" if log.days >= 7 else "day")
    if profile == "week" and log.days < 7:
        raise FitError(f"a weekly profile needs at least 7 days of log; this one covers {log.days}")
    types = {}
    for name, group in calls.groupby("call_type", sort=True, observed=True):
        types[str(name)] = _fit_type(str(name), group, log, profile, options)
    seen = agents_serving(calls, log.days, options.slot)
    available = agents_available(calls, log.days, options.slot, options.idle_cap, options.login_idle)
    return FitResult(log, options, profile, types, seen, _profile_mean(available, log, profile), available,
                     _head_starts(calls, log))


def _head_starts(calls, log: CallLog) -> dict:
    """The head start of each priority level (``headstart.fit_head_starts``); {} when the log
    maps no priority or no queue entry and exit times."""
    from .headstart import fit_head_starts

    if not {"priority", "queue_entry", "queue_exit"} <= set(log.mapping.columns):
        return {}
    levels = calls["priority"].astype(str).map(log.mapping.priority_level).to_numpy(dtype=int)
    return fit_head_starts(calls, levels)


def _fit_type(name, calls, log, profile, options) -> TypeFit:
    fit = TypeFit(name=name, calls=len(calls), arrivals=arrivals(calls, log, profile, options))
    _fit_handle(fit, calls, options)
    _fit_patience(fit, calls, log, options)
    _fit_ivr(fit, calls, log, options)
    fit.priorities = _priorities(calls, log)
    return fit


# ---------------------------------------------------------------- arrivals
def _weekday_of_day(log: CallLog, days: int) -> np.ndarray:
    first = log.origin.weekday() if log.origin is not None else 0
    return (np.arange(days) + first) % 7


def arrivals(calls, log: CallLog, profile: str, options: FitOptions) -> Arrivals:
    """Rates per (weekday or day) and slot, exact Poisson CIs, and the busyness cv."""
    from scipy import stats

    slots = int(DAY // options.slot)
    days = log.days
    day = calls["day"].to_numpy()
    slot = (calls["time_of_day"].to_numpy() // options.slot).astype(int)
    per_day = np.bincount(day * slots + slot, minlength=days * slots).reshape(days, slots)
    group = _weekday_of_day(log, days) if profile == "week" else np.zeros(days, int)
    k = 7 if profile == "week" else 1
    counts = np.vstack([per_day[group == g].sum(axis=0) for g in range(k)])
    exposure = np.bincount(group, minlength=k).astype(float)
    hours = exposure[:, None] * options.slot / 3600.0
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = counts / hours
        low = stats.chi2.ppf(0.025, 2 * counts) / 2 / hours
        high = stats.chi2.ppf(0.975, 2 * counts + 2) / 2 / hours
    daily = per_day.sum(axis=1)
    cv, ci = busyness(daily, group)
    reach = (calls["outcome"] != "ivr_abandoned").to_numpy()
    per_day_reach = np.bincount((day * slots + slot)[reach], minlength=days * slots).reshape(days, slots)
    queue_counts = np.vstack([per_day_reach[group == g].sum(axis=0) for g in range(k)])
    return Arrivals(counts, exposure, rate, np.nan_to_num(low), high, daily, cv, ci, queue_counts)


def busyness(daily, group) -> tuple:
    """The cv of a day's rate factor (a gamma-mixed Poisson) from the daily counts, with a 95 % CI.

    Within a group of k like days (the same weekday) with mean count m, a day's count has
    variance m + m^2 cv^2 and the sample variance s^2 (divisor k - 1) is unbiased for it, so
    cv^2 = sum (k-1)(s^2 - m) / sum (k-1) m^2 over the groups, cut at 0. The CI inverts the
    pivot sum (k-1) s^2 / (m + m^2 cv^2) ~ chi-square(sum (k-1)) (daily counts near normal:
    tens of calls a day or more).
    """
    from scipy import optimize, stats

    daily = np.asarray(daily, float)
    groups = [daily[group == g] for g in np.unique(group)]
    groups = [v for v in groups if len(v) >= 2 and v.mean() > 0]
    if not groups:
        return 0.0, (0.0, float("inf"))
    df = np.array([len(v) - 1 for v in groups], float)
    s2 = np.array([v.var(ddof=1) for v in groups])
    m = np.array([v.mean() for v in groups])
    cv = float(np.sqrt(max(np.sum(df * (s2 - m)), 0.0) / np.sum(df * m * m)))

    def pivot(c, q):
        return np.sum(df * s2 / (m + m * m * c * c)) - stats.chi2.ppf(q, df.sum())

    def bound(q):
        if pivot(0.0, q) <= 0:
            return 0.0
        top = 1.0
        while pivot(top, q) > 0 and top < 1e3:
            top *= 2
        return float(optimize.brentq(pivot, 0.0, top, args=(q,)))

    return cv, (bound(0.975), bound(0.025))


# ---------------------------------------------------------------- durations
def _fit_handle(fit: TypeFit, calls, options: FitOptions):
    if "handle" not in calls:
        return
    values = calls.loc[calls["outcome"] == "served", "handle"].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    fit.handle_values = values
    if len(values) < options.min_calls:
        return
    families = HANDLE_FAMILIES if options.handle in ("auto", "empirical") else (options.handle,)
    fit.handle, fit.handle_fits = fit_best(values, families)
    fit.handle_periods = handle_periods(calls, fit.handle.family, options)


def handle_periods(calls, family: str, options: FitOptions) -> list:
    """[(start s of the day, Fit or None)]: the handle time of the calls reaching the queue in
    each period of ``options.handle_period`` seconds of the day (all days pooled), by maximum
    likelihood in the whole day's family; None where fewer than ``options.min_calls`` calls were
    served (the whole day's fit stands in). Assumes the handle time depends on the time of day
    (the mix of requests, the agents on shift) but not on the weekday nor on the load, and that
    calls are independent within a period; the engines pick a call's distribution by the time
    of day it reaches the queue. ``[]`` when ``handle_period`` is 0 (one distribution)."""
    from .distributions import fit_family
    from .replay import queue_times

    width = int(options.handle_period)
    if not width:
        return []
    served = calls[calls["outcome"] == "served"]
    values = served["handle"].to_numpy(dtype=float)
    when = ((queue_times(served) - served["day"].to_numpy() * DAY) % DAY) // width
    ok = np.isfinite(values)
    out = []
    for p in range(int(DAY // width)):
        mine = values[ok & (when == p)]
        out.append((p * width, fit_family(family, mine) if len(mine) >= options.min_calls else None))
    return out


def patience_data(calls, log: CallLog) -> tuple:
    """(waits, abandoned?) of the callers who waited: abandoners are events, served callers
    are censored at their wait. A caller served at once (wait 0) says nothing and is left out."""
    served = calls["outcome"].to_numpy() == "served"
    abandoned = calls["outcome"].to_numpy() == "abandoned"
    wait = calls["wait"].to_numpy(dtype=float)
    use = (served | abandoned) & np.isfinite(wait) & ~(served & (wait <= 0))
    if "queue_entry" in log.mapping.columns:
        use &= calls["queued"].to_numpy()
    return wait[use], abandoned[use]


def _fit_patience(fit: TypeFit, calls, log, options: FitOptions):
    t, events = patience_data(calls, log)
    fit.queued = int(calls["queued"].sum()) if "queue_entry" in log.mapping.columns else len(t)
    fit.abandoned = int(events.sum())
    fit.short_abandons = int((events & (t < options.short_abandon)).sum())
    if fit.abandoned < options.min_calls // 2 or len(t) < options.min_calls:
        return
    fit.km = kaplan_meier(positive(t), events)
    fit.hazard = hazard(t, events)
    fit.naive_patience_mean = naive_abandoner_mean(t, events)
    families = PATIENCE_FAMILIES if options.patience == "auto" else (options.patience,)
    fit.patience, fit.patience_fits = fit_best(t, families, events)


def _fit_ivr(fit: TypeFit, calls, log, options: FitOptions):
    if "ivr_time" not in calls:
        return
    values = calls["ivr_time"].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if len(values) >= options.min_calls:
        fit.ivr, _ = fit_best(values, HANDLE_FAMILIES)
    hung = int((calls["outcome"] == "ivr_abandoned").sum())
    fit.reached_queue = 1.0 - hung / len(calls)
    fit.reached_ci = _wilson(len(calls) - hung, len(calls))


def reached_by_slot(fit: TypeFit) -> tuple:
    """(share, low, high) [profile days, slots]: the share of a slot's arrivals that reached the
    queue (did not hang up in the IVR), with 95 % Wilson intervals; nan where no call arrived.
    Assumes each caller hangs up in the IVR independently with a probability that depends on
    the weekday and slot (not on the day); the scenario thins each slot's arrivals by it."""
    a = fit.arrivals
    reach = a.counts if a.queue_counts is None else a.queue_counts
    share, low, high = (np.full(a.counts.shape, np.nan) for _ in range(3))
    for i in zip(*np.nonzero(a.counts)):
        share[i] = reach[i] / a.counts[i]
        low[i], high[i] = _wilson(int(reach[i]), int(a.counts[i]))
    return share, low, high


def _wilson(k: int, n: int) -> tuple:
    """The 95 % Wilson score interval of the proportion k / n (scipy's)."""
    from scipy.stats import binomtest

    if n == 0:
        return (0.0, 1.0)
    ci = binomtest(k, n).proportion_ci(0.95, method="wilson")
    return (float(ci.low), float(ci.high))


def _priorities(calls, log: CallLog) -> dict:
    """Share of each ccsim priority level among the calls reaching the queue."""
    if "priority" not in log.mapping.columns:
        return {0: 1.0}
    reached = calls[calls["outcome"] != "ivr_abandoned"]["priority"].astype(str)
    mapped = reached.map(log.mapping.priority_level)
    shares = mapped.value_counts(normalize=True).sort_index()
    return {int(k): float(v) for k, v in shares.items()} or {0: 1.0}


# ---------------------------------------------------------------- staffing
def agents_serving(calls, days: int, slot: int) -> np.ndarray:
    """[days, slots]: distinct named agents with a service overlapping each slot."""
    slots = int(DAY // slot)
    served = calls[(calls["outcome"] == "served") & calls["agent"].notna()]
    if "service_start" not in served or not len(served):
        return np.zeros((days, slots))
    start = served["service_start"].to_numpy(dtype=float)
    end = np.maximum(served["service_end"].to_numpy(dtype=float), start)
    first = (start // slot).astype(np.int64)
    last = np.maximum(np.ceil(end / slot).astype(np.int64) - 1, first)
    span = last - first + 1
    slot_ids = np.repeat(first, span) + (np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span))
    codes = served["agent"].astype("category").cat.codes.to_numpy().astype(np.int64)
    width = int(codes.max()) + 1
    pairs = np.unique(slot_ids * width + np.repeat(codes, span))
    total = days * slots
    ids = pairs // width
    ids = ids[ids < total]
    return np.bincount(ids, minlength=total).reshape(days, slots).astype(float)


def agents_available(calls, days: int, slot: int, idle_cap: float = 600.0, login_idle: bool = True) -> np.ndarray:
    """[days, slots]: mean number of agents available to the queue in each slot.

    An agent counts as available while serving, and while idle between two consecutive
    services of its own (sorted by start) when the gap is at most ``idle_cap`` seconds and
    no call is waiting in the queue (any call type). The estimator assumes what the model
    assumes: a work-conserving ACD routes a waiting call to an available idle agent at once,
    so an agent idle while a call waits was not available (after-call work, other tasks);
    a gap longer than ``idle_cap`` is a break or the end of a shift. Time is on a one-second
    grid (the log's resolution). Agents named "nobody" (missing) are not counted.

    ``login_idle``: an agent also counts as available, idle, before the first call of each of
    its stretches of work (its shift's first call, and its first after a gap longer than the
    cap) for the typical idle gap at that time of day (``login_gaps``), only while no call
    waits. The assumption: an agent logging in waits for its first call as long as an agent
    who has just finished a call waits for its next one (both join the idle agents; the
    model's ACD treats them alike). Without it the estimate misses that idle time (a low bias
    where shifts open with an empty queue). Agents logging in together at an empty queue wait
    longer (the k-th for the k-th call): there a low bias remains.
    """
    slots = int(DAY // slot)
    served = calls[(calls["outcome"] == "served") & calls["agent"].notna()]
    if "service_start" not in served or not len(served):
        return np.zeros((days, slots))
    served = served.sort_values(["agent", "service_start"], kind="stable")
    start = served["service_start"].to_numpy(dtype=float)
    end = np.maximum(served["service_end"].to_numpy(dtype=float), start)
    agent = served["agent"].astype(str).to_numpy()
    size = days * int(DAY) + int(DAY)           # a day more for services past the last midnight
    busy = _occupancy(start, end, size)
    gap = start[1:] - end[:-1]
    same = agent[1:] == agent[:-1]
    use = same & (gap > 0) & (gap <= idle_cap)
    idle_from, idle_to = end[:-1][use], start[1:][use]
    if login_idle:
        login, first = login_gaps(start, end, same, gap, slot, idle_cap)
        idle_from, idle_to = np.concatenate((idle_from, login)), np.concatenate((idle_to, start[first]))
    idle = _occupancy(idle_from, idle_to, size)
    waiting = _occupancy(*_waits(calls), size) > 0
    per_second = busy + np.where(waiting, 0.0, idle)
    return per_second[: days * int(DAY)].reshape(days, slots, slot).mean(axis=2)


def login_gaps(start, end, same, gap, slot: int, idle_cap: float, min_gaps: int = 20) -> tuple:
    """(estimated logins, indexes of the first calls they precede) of the services ``start``,
    ``end`` sorted by agent and start (``same``: row i + 1 is row i's agent; ``gap``: the idle
    from row i's end to row i + 1's start). A stretch of work starts at an agent's first call
    and at its first after a gap over ``idle_cap``; its login is that call's start minus the
    mean idle gap (0 to ``idle_cap``, between two calls of one agent) that began in the same
    slot of the day, pooled over the days and agents (the mean of all gaps when that slot has
    fewer than ``min_gaps``). It is never before the agent's previous call's end: that call
    ended more than ``idle_cap`` earlier, and the typical gap is at most ``idle_cap``."""
    inside = same & (gap <= idle_cap)                # overlapping calls (gap < 0) are one stretch
    first = np.flatnonzero(np.concatenate(([True], ~inside)))
    slots = int(DAY // slot)
    idle = inside & (gap >= 0)
    gap_slot = ((end[:-1][idle] % DAY) // slot).astype(np.int64)
    counts = np.bincount(gap_slot, minlength=slots)
    sums = np.bincount(gap_slot, weights=gap[idle], minlength=slots)
    overall = sums.sum() / counts.sum() if counts.sum() else 0.0
    typical = np.where(counts >= min_gaps, sums / np.maximum(counts, 1), overall)
    return start[first] - typical[((start[first] % DAY) // slot).astype(np.int64)], first


def _waits(calls) -> tuple:
    """(queue entries, queue exits) of the calls that waited in the queue."""
    if "queue_entry" not in calls or "queue_exit" not in calls:
        return np.zeros(0), np.zeros(0)
    entry = calls["queue_entry"].to_numpy(dtype=float)
    leave = calls["queue_exit"].to_numpy(dtype=float)
    waited = np.isfinite(entry) & np.isfinite(leave) & (leave > entry)
    return entry[waited], leave[waited]


def _occupancy(start, end, size: int) -> np.ndarray:
    """[size] how many of the intervals [start, end) cover each second (times in whole
    seconds after rounding; an interval shorter than half a second covers none)."""
    a = np.clip(np.rint(start), 0, size).astype(np.int64)
    b = np.clip(np.rint(end), 0, size).astype(np.int64)
    delta = np.bincount(a, minlength=size + 1) - np.bincount(b, minlength=size + 1)
    return np.cumsum(delta[:size]).astype(float)


def _profile_mean(seen, log: CallLog, profile: str) -> np.ndarray:
    group = _weekday_of_day(log, len(seen)) if profile == "week" else np.zeros(len(seen), int)
    k = 7 if profile == "week" else 1
    return np.vstack([seen[group == g].mean(axis=0) if (group == g).any() else np.zeros(seen.shape[1])
                      for g in range(k)])


__all__ = ["Arrivals", "FitError", "FitOptions", "FitResult", "TypeFit", "WEEKDAYS", "agents_serving",
           "agents_available", "arrivals", "busyness", "fit_log", "handle_periods", "patience_data",
           "reached_by_slot"]
