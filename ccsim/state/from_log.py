"""A state taken from a call log at an instant (``ccsim state LOG --mapping M --at TIME``).

At instant t (seconds from the log's origin): a caller is waiting if it entered the queue at or
before t and left it (answered or hung up) after t; an agent is busy if a call it serves started
at or before t and ends after t. The clock is t's place in the scenario's week (``scenario_clock``:
its weekday counted from the scenario's weekday of time 0, when the horizon reaches it, plus its
time of day; a scenario's time 0 is a midnight).
Busy agents are given to the first group serving their call type (the scenario's routing order):
a log's agent names are not the scenario's agent ids.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import UserError
from ..calllog.replay import priority_levels
from .schema import DAY, MAX_ELAPSED


def instant(log, at: str) -> float:
    """``at`` ("1999-02-11 14:00", or seconds for a log in plain seconds) in the log's seconds."""
    try:
        t = float(at) if log.origin is None else (pd.Timestamp(at) - log.origin).total_seconds()
    except (ValueError, TypeError) as err:
        raise UserError(f"--at {at!r}: not a timestamp of this log ({err})") from None
    if not np.isfinite(t):  # "nan", "" (pandas: NaT), "inf"
        raise UserError(f"--at {at!r}: not a timestamp of this log")
    return t


def scenario_clock(log, t: float, scenario) -> float:
    """Where instant t of the log falls in ``scenario``'s time: t's weekday counted from the
    scenario's weekday of time 0 (``hours.start_weekday``; Monday without hours: the weekday that
    shifts, hours and weekly profiles count from) times a day, plus t's time of day, when the
    horizon reaches that; else (a scenario shorter than that, or a log in plain seconds without
    dates) t's time of day on day 1."""
    from ..scenario.hours import WEEKDAYS

    day_time = float(t - DAY * np.floor(t / DAY))
    if log.origin is None:
        return day_time
    first = WEEKDAYS.index(scenario.hours.start_weekday) if scenario.hours is not None else 0
    weekday = (log.origin + pd.Timedelta(seconds=t)).weekday()
    clock = ((weekday - first) % 7) * DAY + day_time
    return clock if clock < scenario.horizon else day_time


def state_at(log, t: float, groups_of: dict, clock: float = None) -> dict:
    """The state (plain data, a state file's content) of ``log`` at instant t; ``groups_of``: call type
    -> the group its busy agents are given to; ``clock``: the state's clock (default: t's time of day)."""
    calls = log.calls
    if not len(calls) or not calls["arrival"].min() <= t <= calls["arrival"].max() + DAY:
        raise UserError(f"--at: the log has no calls around that instant ({t:g} s from its start)")
    entry = calls["queue_entry"] if "queue_entry" in calls else calls["arrival"]
    leave = calls["queue_exit"] if "queue_exit" in calls else calls.get("service_start", calls["arrival"])
    waiting = calls[(calls["queued"]) & (entry <= t) & (leave > t)]
    out = {"clock": float(t - DAY * np.floor(t / DAY)) if clock is None else float(clock), "waiting": [], "busy": []}
    level = pd.Series(priority_levels(waiting, log), index=waiting.index)  # as fit and replay map them
    for i in np.argsort((t - entry[waiting.index]).to_numpy(), kind="stable")[::-1]:  # longest waiting first
        row = waiting.index[i]
        out["waiting"].append({"call_type": str(waiting.at[row, "call_type"]),
                               "waited": round(float(min(t - entry[row], MAX_ELAPSED)), 3),
                               **({"priority": int(level[row])} if int(level[row]) else {})})
    if "service_start" in calls and "service_end" in calls:
        busy = calls[(calls["service_start"] <= t) & (calls["service_end"] > t)]
        for k, group in busy.groupby("call_type"):
            if str(k) not in groups_of:
                raise UserError(f"--scenario: no group serves the log's call type '{k}'")
            for start in np.sort(group["service_start"].to_numpy()):
                out["busy"].append({"group": groups_of[str(k)], "call_type": str(k),
                                    "elapsed": round(float(min(t - start, MAX_ELAPSED)), 3)})
    return out


def check_staffed(model, data: dict, at: str, scenario_file) -> None:
    """More agents busy in the log at ``at`` than the scenario has on duty at the state's clock
    is an error in the log's terms (the state file it would have been is not the user's;
    ``start.compile_state`` makes the same check, in the state file's terms)."""
    from collections import Counter

    from .start import agents_on_duty

    busy = Counter(entry["group"] for entry in data["busy"])
    on_duty = agents_on_duty(model, data["clock"])
    for g, name in enumerate(model.group_names):
        first, n = int(model.group_start[g]), int(model.group_count[g])
        staffed = int(on_duty[first:first + n].sum())
        if busy[name] > staffed:
            day, rest = divmod(int(data["clock"]), int(DAY))
            raise UserError(
                f"--at {at}: the log has {busy[name]} agents busy on calls that group '{name}' serves, but "
                f"{scenario_file} has only {staffed} of its {n} agents on duty at that time (day {day + 1} of its "
                f"week, {rest // 3600:02d}:{rest % 3600 // 60:02d}). A state cannot have more agents busy than on "
                "duty: staff the scenario for that day and time (a fitted scenario's staffing is a mean over "
                "like days, which a busy day exceeds), or take another instant")
