"""Run a log's replay or its fitted model and compare them with the log, hour by hour.

``replay_log`` replays each day of the log (``replay.replay_scenario``) ``reps`` times;
``validate_fit`` simulates the fitted scenario over as many days as the log covers, starting
on the log's first weekday, ``reps`` times. Both return a ``compare.Comparison`` of the
observed and simulated KPIs per hour of the day. Replication r of root seed S runs on child r
of ``SeedSequence(S)`` (as ``ccsim.replicate``); a day's replay uses the same seeds for every day.
Both take the log's staffed time (the occupancy's denominator) from the staffing estimate
``staffing`` (``replay.log_staffing``: ``available`` by default, the estimate ``ccsim fit``
staffs the model with; the replay is staffed with it too).
"""
from __future__ import annotations

import numpy as np

from .compare import compare, observed_hours, simulated_hours
from .reader import DAY, CallLog
from .replay import ReplayError, check_types, log_staffing, replay_scenario


def _threshold(scenario) -> float:
    return float(scenario.service_level.threshold)


def staffing_name(staffing: str, idle_cap: float) -> str:
    """How the reports name the log's staffed time."""
    if staffing == "seen":
        return "agents seen serving (distinct agents with a service in the slot)"
    return (f"agents available (busy + idle gaps <= {idle_cap:g} s + the typical gap before each stretch's "
            f"first call, with no call waiting)")


def replay_days(log: CallLog, fitted: dict, slot: int, staffing=None) -> list:
    """The days with calls reaching the queue and agents serving (the days a replay can run)."""
    staffing = log_staffing(log, slot, "seen") if staffing is None else staffing
    busy_days = set(log.calls.loc[log.calls["outcome"].isin(("served", "abandoned")), "day"].astype(int))
    return [d for d in range(log.days) if d in busy_days and staffing[d].any()]


def replay_log(log: CallLog, fitted: dict, service: str = "recorded", reps: int = 10, seed: int = 1,
               days=None, source: str = "<scenario>", progress=None, staffing: str = "available",
               idle_cap: float = 600.0):
    """(Comparison, days replayed) of the replay of ``log`` through ``fitted`` (a scenario dict),
    staffed with the log's ``staffing`` estimate (``replay.log_staffing``)."""
    from ..api import replicate
    from ..scenario import validate_scenario

    check_types(log, fitted, source)
    slot = int(fitted.get("interval", 1800))
    staff = log_staffing(log, slot, staffing, idle_cap)
    days = replay_days(log, fitted, slot, staff) if days is None else list(days)
    if not days:
        raise ReplayError(f"log {log.source}: no day with calls reaching the queue and agents serving")
    simulated = np.zeros((reps, len(days), 24, 7))
    threshold = None
    for i, day in enumerate(days):
        scenario = validate_scenario(replay_scenario(log, fitted, day, service, slot, staff), source=source)
        threshold = _threshold(scenario)
        for r, result in enumerate(replicate(scenario, reps, seed=seed)):
            simulated[r, i] = simulated_hours(result, 0, 1)[0]
        if progress is not None:
            progress(day)
    observed = observed_hours(log, threshold, slot, days, staff)
    return compare(observed, simulated, staffing=staffing_name(staffing, idle_cap)), days


def validate_fit(log: CallLog, fitted: dict, reps: int = 10, seed: int = 1, source: str = "<scenario>",
                 staffing: str = "available", idle_cap: float = 600.0):
    """Comparison of the fitted scenario's simulated hours with the log's (all its days); the
    log's staffed time is its ``staffing`` estimate (``replay.log_staffing``)."""
    from ..api import replicate
    from ..scenario import validate_scenario

    check_types(log, fitted, source)
    first = log.origin.weekday() if log.origin is not None else 0
    scenario = dict(fitted, horizon=float((first + log.days) * DAY))
    scenario.pop("warmup", None)
    model = validate_scenario(scenario, source=source)
    simulated = np.stack([simulated_hours(result, first, log.days) for result in replicate(model, reps, seed=seed)])
    slot = int(fitted.get("interval", 1800))
    observed = observed_hours(log, _threshold(model), slot, staffing=log_staffing(log, slot, staffing, idle_cap))
    return compare(observed, simulated, staffing=staffing_name(staffing, idle_cap))


__all__ = ["replay_days", "replay_log", "staffing_name", "validate_fit"]
