"""A state taken from a call log at an instant (``ccsim state LOG --mapping M --at TIME``).

At instant t (seconds from the log's origin): a caller is waiting if it entered the queue at or
before t and left it (answered or hung up) after t; an agent is busy if a call it serves started
at or before t and ends after t. The clock is t's time of day (a scenario's time 0 is a midnight).
Busy agents are given to the first group serving their call type (the scenario's routing order):
a log's agent names are not the scenario's agent ids.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import UserError
from .schema import DAY, MAX_ELAPSED


def instant(log, at: str) -> float:
    """``at`` ("1999-02-11 14:00", or seconds for a log in plain seconds) in the log's seconds."""
    try:
        if log.origin is None:
            return float(at)
        return (pd.Timestamp(at) - log.origin).total_seconds()
    except (ValueError, TypeError) as err:
        raise UserError(f"--at {at!r}: not a timestamp of this log ({err})") from None


def state_at(log, t: float, groups_of: dict) -> dict:
    """The state (plain data, a state file's content) of ``log`` at instant t; ``groups_of``: call type
    -> the group its busy agents are given to."""
    calls = log.calls
    if not len(calls) or not calls["arrival"].min() <= t <= calls["arrival"].max() + DAY:
        raise UserError(f"--at: the log has no calls around that instant ({t:g} s from its start)")
    entry = calls["queue_entry"] if "queue_entry" in calls else calls["arrival"]
    leave = calls["queue_exit"] if "queue_exit" in calls else calls.get("service_start", calls["arrival"])
    waiting = calls[(calls["queued"]) & (entry <= t) & (leave > t)]
    out = {"clock": float(t - DAY * np.floor(t / DAY)), "waiting": [], "busy": []}
    level = (pd.to_numeric(waiting["priority"], errors="coerce").fillna(0).astype(int) if "priority" in waiting
             else pd.Series(0, index=waiting.index))
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
