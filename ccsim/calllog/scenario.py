"""A ``FitResult`` as a ccsim scenario (plain data, written as YAML by ``ccsim fit``).

- Arrivals: per call type a ``piecewise`` profile (calls per hour, one rate per slot): a week
  from Monday 00:00 when the log covers at least 7 days, else one day; the busyness cv
  makes the days vary as in the log.
- With IVR times in the log, each call type's callers who reach the queue ring an entry
  ``<type>_line`` (their rate per slot) whose one-node menu lasts the fitted IVR time and then
  sends them to the queue (one branch per priority level, with their shares); those who hang
  up in the IVR ring ``<type>_ivr_hangup`` (their own rate per slot) and hang up after the IVR
  time: each slot is thinned by its own hang-up share (``_ivr_entries``).
- Handle time and patience: the AIC's choice (or the family asked for; ``empirical`` writes
  the observed handle times); the handle time per period of the day (``by_period``) when the
  fit has periods; a call type with too few abandons for a fit keeps infinite patience and
  the report says so.
- Agents: one group serving every call type, on duty per weekday (or day) the agents
  available (mean over like days), kept to the minute (``minute_staffing``: each slot's
  fractional agent-time, not rounded to whole agents) and written as one-agent shifts that
  give exactly that count (``layered_shifts``). An earlier version gave ``staffing.required``
  and let the greedy shift cover (8, 6 and 4 hour shifts) round it up: on the bank log that put
  103 agents and 49 % occupancy where the log shows about ten agents at the peak.
- Priority levels: ``routing.level_head_start`` from the fitted head starts (``headstart.py``)
  when every level above 0 the menus use has a finite one; else strict levels.
"""
from __future__ import annotations

import re

import numpy as np

from .fit import WEEKDAYS, FitResult, TypeFit

def safe_name(name: str) -> str:
    """A scenario name (letters, digits, _ and -, not starting with a digit) for a log's value."""
    out = re.sub(r"[^A-Za-z0-9_\-]", "_", str(name)) or "x"
    return out if re.match(r"[A-Za-z_]", out) else f"t_{out}"


def fitted_scenario(result: FitResult, name: str = None, handle: str = None) -> dict:
    """The scenario of ``result`` (see the module's docstring)."""
    options = result.options
    handle = handle or options.handle
    ivr = all(t.ivr is not None for t in result.types.values())
    horizon = 7 * 86400 if result.profile == "week" else 86400
    scenario = {
        "name": name or f"{result.log.mapping.name or 'log'}_fitted",
        "description": _description(result),
        "horizon": horizon,
        "interval": options.slot,
        "call_types": [],
    }
    entries, menus = [], []
    for fit in result.types.values():
        scenario["call_types"].append(_call_type(fit, result, handle, with_arrivals=not ivr))
        if ivr:
            e, m = _ivr_entries(fit, result)
            entries += e
            menus += m
    scenario["agents"] = [_agents(result)]
    starts = head_start_list(result)
    if starts is not None:
        scenario["routing"] = {"level_head_start": starts}
    if ivr:
        scenario["entries"] = entries
        scenario["ivr"] = menus
    return scenario


def _description(result: FitResult) -> str:
    log = result.log
    return (f"Fitted by ccsim fit from {log.source}: {len(log.calls):,} calls over {log.days} days "
            f"({len(log.excluded):,} rows excluded), {result.profile}ly profile in slots of "
            f"{result.options.slot} s.")


def _arrivals(fit: TypeFit, result: FitResult, counts=None) -> dict:
    """A piecewise profile of ``counts`` [profile days, slots] (default: every arrival) per hour."""
    a = fit.arrivals
    if counts is None:
        rate = a.rate
    else:
        hours = a.exposure_days[:, None] * result.options.slot / 3600.0
        rate = np.divide(counts, hours, out=np.zeros(np.shape(counts)), where=hours > 0)
    rates = [float(f"{r:.6g}") for r in np.ravel(rate)]
    out = {"process": "piecewise", "per": "hour", "slot": result.options.slot, "rates": rates}
    if fit.arrivals.busyness_cv > 1e-6:
        out["busyness"] = {"cv": float(f"{fit.arrivals.busyness_cv:.4g}")}
    return out


def _call_type(fit: TypeFit, result: FitResult, handle: str, with_arrivals: bool) -> dict:
    out = {"name": safe_name(fit.name)}
    if with_arrivals:
        out["arrivals"] = _arrivals(fit, result)
    if handle == "empirical" and fit.handle_values is not None and len(fit.handle_values):
        out["handle_time"] = {"dist": "empirical", "values": [float(v) for v in fit.handle_values]}
    elif fit.handle is not None:
        out["handle_time"] = _handle_time(fit)
    elif fit.handle_values is not None and len(fit.handle_values):
        out["handle_time"] = {"dist": "exponential", "mean": float(f"{max(np.mean(fit.handle_values), 1):.6g}")}
    else:
        out["handle_time"] = {"dist": "exponential", "mean": 180.0}
    if fit.patience is not None:
        out["patience"] = fit.patience.dist()
    return out


def head_start_list(result: FitResult):
    """[0, h_1, ..., h_L] (s, to 0.1 s) for the levels the menus use, or None (strict levels) when
    only level 0 is used or some level lacks a finite fitted head start."""
    used = {lv for fit in result.types.values() for lv, share in fit.priorities.items() if share > 0}
    top = max(used, default=0)
    fitted = result.head_starts
    if top == 0 or any(lv not in fitted or not np.isfinite(fitted[lv].estimate) for lv in range(1, top + 1)):
        return None
    return [0.0] + [round(float(fitted[lv].estimate), 1) for lv in range(1, top + 1)]


def _handle_time(fit: TypeFit):
    """The whole day's fit, or ``by_period`` with each period's own fit (the day's where a
    period had too few calls); neighbouring periods with the same distribution are merged."""
    day = fit.handle.dist()
    periods = []
    for start, own in fit.handle_periods:
        dist = own.dist() if own is not None else day
        if not periods or periods[-1]["dist"] != dist:
            periods.append({"start": _clock(start), "dist": dist})
    return {"by_period": periods} if len(periods) > 1 else (periods[0]["dist"] if periods else day)


def _ivr_entries(fit: TypeFit, result: FitResult) -> tuple:
    """(entries, menus) of a call type: the callers who reach the queue ring ``<type>_line``
    (their rate per slot), whose menu lasts the IVR time and sends them to the queue by
    priority level; those who hang up in the IVR ring ``<type>_ivr_hangup`` (their own rate
    per slot), whose menu lasts the IVR time and hangs up. Thinning each slot by its own
    share keeps the log's time-of-day pattern of IVR hang-ups (nearly every night caller hangs
    up: the bank is closed), which one share for the whole day would send to the queue."""
    name, a = safe_name(fit.name), fit.arrivals
    reach = a.counts if a.queue_counts is None else a.queue_counts
    entries = [{"name": f"{name}_line", "arrivals": _arrivals(fit, result, reach), "ivr": f"{name}_menu"}]
    menus = [_menu(fit, f"{name}_menu", _queue_branches(fit))]
    hung = a.counts - reach
    if hung.sum() > 0:
        entries.append({"name": f"{name}_ivr_hangup", "arrivals": _arrivals(fit, result, hung),
                        "ivr": f"{name}_hangup_menu"})
        menus.append(_menu(fit, f"{name}_hangup_menu", [{"p": 1.0, "exit": "hang_up"}]))
    return entries, menus


def _queue_branches(fit: TypeFit) -> list:
    """One branch per priority level to the call type's queue, with the level's share."""
    shares = {level: share for level, share in fit.priorities.items() if share > 0}
    branches = [{"p": float(f"{p:.9f}"), "queue": safe_name(fit.name), **({"priority": lv} if lv else {})}
                for lv, p in sorted(shares.items(), reverse=True)]
    branches[-1]["p"] = float(f"{1.0 - sum(b['p'] for b in branches[:-1]):.9f}")
    return branches


def _menu(fit: TypeFit, name: str, branches: list) -> dict:
    return {"name": name, "nodes": [{"name": "vru", "duration": _ivr_duration(fit), "branches": branches}]}


def _ivr_duration(fit: TypeFit) -> dict:
    """The fitted IVR time; a fit with no spread (every caller the same time: cv below what a
    scenario accepts) is that time, deterministic."""
    dist = fit.ivr.dist()
    if dist.get("cv", 1.0) < 1e-6:
        return {"dist": "deterministic", "value": dist["mean"]}
    return dist


def _agents(result: FitResult) -> dict:
    """One group serving every call type, on duty per weekday (or day) and minute as the fit's
    staffing says (``minute_staffing``), as exact one-agent shifts (``layered_shifts``)."""
    slot = result.options.slot
    shifts = []
    for g, required in enumerate(result.staffing):
        weekdays = [WEEKDAYS[g]] if result.profile == "week" else None
        shifts += layered_shifts(minute_staffing(required, slot), 60, weekdays)
    group = {"name": "agents", "count": max(1, len(shifts)), "serves": [safe_name(n) for n in result.types]}
    if shifts:
        group["shifts"] = shifts
    return group


def minute_staffing(required, slot: int) -> np.ndarray:
    """Agents on duty per minute that give each slot exactly its (fractional) agent-time,
    to the minute: a slot needing r = n + f agents has n + 1 of them for round(f x slot / 60)
    minutes and n for the rest, the extra minutes at the end of the slot when the next slot
    needs more, else at its start (fewer, longer shifts). Rounding r to whole agents instead
    takes up to half an agent from a quiet hour or gives it one: 2.27 -> 2 is 12 % of its
    capacity, 2.66 -> 3 13 % more."""
    required = np.maximum(np.asarray(required, dtype=float), 0.0)
    per = int(slot // 60)
    out = np.repeat(np.floor(required).astype(int), per)
    for s, r in enumerate(required):
        extra = int(round((r - np.floor(r)) * per))
        if extra == 0:
            continue
        later = s + 1 < len(required) and required[s + 1] > (required[s - 1] if s > 0 else 0.0)
        first = s * per + (per - extra if later else 0)
        out[first: first + extra] += 1
    return out


def layered_shifts(required, slot: int, weekdays=None) -> list:
    """Shifts of one agent each that put exactly ``required[s]`` agents on duty in slot s.

    Agent j (1, 2, ...) works every maximal run of slots where at least j agents are
    required, so an agent stays logged in as long as the count does not drop below its
    level (no greedy rounding to fixed shift lengths). ``weekdays``: the weekday names the
    shifts start on (absent = every day).
    """
    required = np.asarray(np.rint(required), dtype=int)
    shifts = []
    for level in range(1, int(required.max(initial=0)) + 1):
        on = np.concatenate(([False], required >= level, [False]))
        edges = np.flatnonzero(np.diff(on.astype(int)))
        for start, end in zip(edges[::2], edges[1::2]):
            shift = {"start": _clock(start * slot), "end": _clock(end * slot), "agents": 1}
            if weekdays is not None:
                shift["weekdays"] = list(weekdays)
            shifts.append(shift)
    return shifts


def _clock(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


__all__ = ["fitted_scenario", "head_start_list", "layered_shifts", "minute_staffing", "safe_name"]
