"""Trace-driven replay of a call log, one day at a time, through a (fitted) scenario.

``replay_scenario(log, fitted, day)`` is the scenario of one day of the log: the calls that
reached the queue ring it at their recorded queue-entry times (``arrivals: {process:
replay}``: no randomness), each with its call type and its priority (an entry per call type
and priority level whose instant menu sends its callers to the queue at that priority), and
the agents on duty are the staffing observed that day (``observed_staffing``: distinct
agents serving per slot) given as exact shifts (``layered_shifts``: no greedy shift
rounding). Patience comes from the fitted scenario; the handle time either from it
(``service="model"``) or from the day's recorded handle times of that call type
(``service="recorded"``: an empirical distribution of them per hour of the day, by the hour
the call reached the queue, as the fit's handle time per period: the log's handle times
run from 139 s at 07h to 202 s at 09h on the bank log, and one distribution for the day gave
the replay the wrong work in most hours).

Why not each call's own handle time: the engines draw a call's handle time from its call
type's distribution when it reaches the queue; a distribution that hands out recorded
values one per call in order would need a per-distribution counter in both engines (an
engine change, kept for later). The empirical distribution of the hour's recorded values
reproduces their distribution, not the pairing of a value with its call.

IVR hang-ups never reach the queue and are not replayed (their count is reported).
"""
from __future__ import annotations

import copy

import numpy as np

from ..errors import UserError
from .fit import agents_available
from .reader import DAY, CallLog
from .scenario import layered_shifts, minute_staffing, safe_name

SERVICES = ("recorded", "model")
STAFFINGS = ("available", "seen")


class ReplayError(UserError):
    """A log that does not fit the scenario it is replayed through."""


def queue_times(calls) -> np.ndarray:
    """When each call reached the queue (s from the log's origin): its queue entry, else its
    service start (served at once), else its arrival."""
    t = calls["arrival"].to_numpy(dtype=float).copy()
    for field in ("service_start", "queue_entry"):
        if field in calls:
            v = calls[field].to_numpy(dtype=float)
            t = np.where(np.isfinite(v), v, t)
    return t


def reached_queue(calls) -> np.ndarray:
    """Calls that reached the queue (served or abandoned there; not IVR hang-ups)."""
    return calls["outcome"].isin(("served", "abandoned")).to_numpy()


def priority_levels(calls, log: CallLog) -> np.ndarray:
    """ccsim priority level (0-9) of each call, through the mapping's ``priority_levels``."""
    if "priority" not in log.mapping.columns:
        return np.zeros(len(calls), dtype=int)
    return np.array([log.mapping.priority_level(v) for v in calls["priority"].astype(str)], dtype=int)


def observed_staffing(log: CallLog, slot: int) -> np.ndarray:
    """[days, slots]: agents on duty in each slot as the log shows them: the distinct agents
    who start a service in the slot or serve through all of it. (An agent only finishing a
    call begun earlier, e.g. after its shift ended, is not counted: ``fit.agents_serving``
    counts every overlap.)"""
    calls = log.calls
    days, slots = log.days, int(DAY // slot)
    served = calls[(calls["outcome"] == "served") & calls["agent"].notna()]
    if "service_start" not in served or not len(served):
        return np.zeros((days, slots))
    start = served["service_start"].to_numpy(dtype=float)
    end = np.maximum(served["service_end"].to_numpy(dtype=float), start)
    first = (start // slot).astype(np.int64)
    span = np.maximum((end // slot).astype(np.int64) - first + 1, 1)
    ids = np.repeat(first, span) + (np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span))
    s0, e0 = np.repeat(start, span), np.repeat(end, span)
    keep = (ids == np.repeat(first, span)) | ((s0 <= ids * slot) & (e0 >= (ids + 1) * slot))
    codes = np.repeat(served["agent"].astype("category").cat.codes.to_numpy().astype(np.int64), span)
    width = int(codes.max()) + 1
    pairs = np.unique(ids[keep] * width + codes[keep])
    cells = pairs // width
    cells = cells[cells < days * slots]
    return np.bincount(cells, minlength=days * slots).reshape(days, slots).astype(float)


def log_staffing(log: CallLog, slot: int, how: str = "available", idle_cap: float = 600.0) -> np.ndarray:
    """[days, slots]: the agents on duty per slot of each day by the estimate ``how``:
    ``available`` (``fit.agents_available`` with ``idle_cap``, fractional) or ``seen``
    (``observed_staffing``, whole agents)."""
    if how not in STAFFINGS:
        raise ReplayError(f"staffing must be one of {', '.join(STAFFINGS)}, got {how!r}")
    if how == "seen":
        return observed_staffing(log, slot)
    return agents_available(log.calls, log.days, slot, idle_cap)


def _type_names(fitted: dict) -> dict:
    return {ct["name"]: ct for ct in fitted.get("call_types", [])}


def check_types(log: CallLog, fitted: dict, source: str) -> None:
    """Every call type of the log must be one of the scenario's (by its ``safe_name``)."""
    names = _type_names(fitted)
    calls = log.calls
    for value in calls["call_type"].astype(str).unique():
        if safe_name(value) not in names:
            row = int(calls.loc[calls["call_type"].astype(str) == value, "row"].iloc[0])
            raise ReplayError(f"log {log.source}, row {row}: call type {value!r} is not in the scenario {source} "
                              f"(its call types: {', '.join(names) or 'none'}); fit the scenario on this log")


def replay_scenario(log: CallLog, fitted: dict, day: int, service: str = "recorded", slot: int = None,
                    staffing="available") -> dict:
    """The scenario replaying ``day`` of ``log`` through ``fitted`` (see the module's docstring).
    ``staffing``: ``available`` or ``seen`` (``log_staffing``), or a [days, slots] array of it."""
    if service not in SERVICES:
        raise ReplayError(f"service must be one of {', '.join(SERVICES)}, got {service!r}")
    slot = int(slot or fitted.get("interval", 1800))
    calls = log.calls
    today = calls[(calls["day"] == day) & reached_queue(calls)]
    times = queue_times(today) - day * DAY
    levels = priority_levels(today, log)
    types = today["call_type"].astype(str).map(safe_name).to_numpy()
    horizon = max(DAY, float(times.max(initial=0.0)) + 1.0)
    scenario = {key: copy.deepcopy(value) for key, value in fitted.items()
                if key not in ("entries", "ivr", "agents", "horizon", "warmup", "description", "name")}
    scenario.update(name=f"{fitted.get('name', 'log')}_replay_day{day}", horizon=horizon, interval=slot)
    scenario["call_types"] = [ct for ct in scenario["call_types"] if ct["name"] in set(types)]
    if not scenario["call_types"]:
        raise ReplayError(f"log {log.source}: day {day} has no call reaching the queue: nothing to replay")
    for ct in scenario["call_types"]:
        ct.pop("arrivals", None)
        if service == "recorded":
            _recorded_handle(ct, today, calls, day)
    entries, menus = [], []
    for name in sorted(set(types)):
        for level in sorted(set(levels[types == name])):
            pick = (types == name) & (levels == level)
            tag = f"{name}_p{level}"
            entries.append({"name": f"{tag}_replay", "ivr": f"{tag}_route",
                            "arrivals": {"process": "replay", "times": [float(t) for t in np.sort(times[pick])]}})
            branch = {"p": 1.0, "queue": name, **({"priority": int(level)} if level else {})}
            menus.append({"name": f"{tag}_route", "nodes": [
                {"name": "to_queue", "duration": {"dist": "deterministic", "value": 0.0}, "branches": [branch]}]})
    if entries:
        scenario["entries"], scenario["ivr"] = entries, menus
    scenario["agents"] = [_agents(log, day, slot, [ct["name"] for ct in scenario["call_types"]], staffing)]
    return scenario


def _recorded_handle(ct: dict, today, calls, day: int, period: int = 3600, min_values: int = 20) -> None:
    """Call type ``ct``'s handle time: the day's recorded handle times of its calls, per hour of
    the day by the time the call reached the queue (``by_period``; an hour with fewer than
    ``min_values`` served calls takes the day's), else the log's when the day has none."""
    if "handle" not in calls:
        return
    for frame in (today, calls):
        mine = frame[(frame["outcome"] == "served") & (frame["call_type"].astype(str).map(safe_name) == ct["name"])]
        values = mine["handle"].to_numpy(dtype=float)
        keep = np.isfinite(values)
        if not keep.any():
            continue
        whole = {"dist": "empirical", "values": [float(v) for v in values[keep]]}
        if frame is not today:
            ct["handle_time"] = whole
            return
        hour = ((queue_times(mine) - day * DAY) // period).astype(int)[keep]
        periods = []
        for h in range(int(DAY // period)):
            own = values[keep][hour == h]
            dist = {"dist": "empirical", "values": [float(v) for v in own]} if len(own) >= min_values else whole
            if not periods or periods[-1]["dist"] != dist:
                periods.append({"start": f"{h * period // 3600:02d}:{h * period % 3600 // 60:02d}", "dist": dist})
        ct["handle_time"] = {"by_period": periods} if len(periods) > 1 else whole
        return


def _agents(log: CallLog, day: int, slot: int, serves: list, staffing="available") -> dict:
    """The day's agents, each slot's (fractional) agent-time kept to the minute."""
    if isinstance(staffing, str):
        staffing = log_staffing(log, slot, staffing)
    shifts = layered_shifts(minute_staffing(staffing[day], slot), 60)
    if not shifts:
        raise ReplayError(f"log {log.source}: day {day} has no agent serving: nothing to replay it with")
    return {"name": "agents", "serves": serves, "count": len(shifts), "shifts": shifts}


__all__ = ["ReplayError", "SERVICES", "STAFFINGS", "check_types", "layered_shifts", "log_staffing",
           "observed_staffing", "priority_levels",
           "queue_times", "reached_queue", "replay_scenario"]
