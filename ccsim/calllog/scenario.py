"""A ``FitResult`` as a ccsim scenario (plain data, written as YAML by ``ccsim fit``).

- Arrivals: per call type a ``piecewise`` profile (calls per hour, one rate per slot): a week
  from Monday 00:00 when the log covers at least 7 days, else one day; the busyness cv
  makes the days vary as in the log.
- With IVR times in the log, each call type's callers ring an entry ``<type>_line`` whose
  one-node menu lasts the fitted IVR time and then sends them to the queue (one branch per
  priority level, with their shares) or hangs up (the log's IVR hang-up share).
- Handle time and patience: the AIC's choice (or the family asked for; ``empirical`` writes
  the observed handle times); a call type with too few abandons for a fit keeps infinite
  patience and the report says so.
- Agents: one group serving every call type, on duty per slot as many as the agents seen
  serving then (mean over like days, rounded), written as one-agent shifts that give exactly
  that count (``layered_shifts``). An earlier version gave ``staffing.required`` and let the
  greedy shift cover (8, 6 and 4 hour shifts) round it up: on the bank log that put 103
  agents and 49 % occupancy where the log shows about ten agents at the peak.
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
            entries.append({"name": f"{safe_name(fit.name)}_line", "arrivals": _arrivals(fit, result),
                            "ivr": f"{safe_name(fit.name)}_menu"})
            menus.append(_menu(fit))
    scenario["agents"] = [_agents(result)]
    if ivr:
        scenario["entries"] = entries
        scenario["ivr"] = menus
    return scenario


def _description(result: FitResult) -> str:
    log = result.log
    return (f"Fitted by ccsim fit from {log.source}: {len(log.calls):,} calls over {log.days} days "
            f"({len(log.excluded):,} rows excluded), {result.profile}ly profile in slots of "
            f"{result.options.slot} s.")


def _arrivals(fit: TypeFit, result: FitResult) -> dict:
    rates = [float(f"{r:.6g}") for r in fit.arrivals.rate.ravel()]
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
        out["handle_time"] = fit.handle.dist()
    elif fit.handle_values is not None and len(fit.handle_values):
        out["handle_time"] = {"dist": "exponential", "mean": float(f"{max(np.mean(fit.handle_values), 1):.6g}")}
    else:
        out["handle_time"] = {"dist": "exponential", "mean": 180.0}
    if fit.patience is not None:
        out["patience"] = fit.patience.dist()
    return out


def _menu(fit: TypeFit) -> dict:
    reach = fit.reached_queue
    shares = {level: share * reach for level, share in fit.priorities.items() if share * reach > 0}
    branches = [{"p": float(f"{p:.9f}"), "queue": safe_name(fit.name), **({"priority": lv} if lv else {})}
                for lv, p in sorted(shares.items(), reverse=True)]
    hang = 1.0 - sum(b["p"] for b in branches)
    if hang > 1e-9:
        branches.append({"p": float(f"{hang:.9f}"), "exit": "hang_up"})
    else:
        branches[-1]["p"] = float(f"{branches[-1]['p'] + hang:.9f}")
    return {"name": f"{safe_name(fit.name)}_menu",
            "nodes": [{"name": "vru", "duration": fit.ivr.dist(), "branches": branches}]}


def _agents(result: FitResult) -> dict:
    """One group serving every call type, on duty as seen: per weekday (or day) and slot, the
    mean number of agents seen serving, rounded, as exact one-agent shifts (``layered_shifts``)."""
    slot = result.options.slot
    shifts = []
    for g, required in enumerate(result.staffing):
        weekdays = [WEEKDAYS[g]] if result.profile == "week" else None
        shifts += layered_shifts(required, slot, weekdays)
    group = {"name": "agents", "count": max(1, len(shifts)), "serves": [safe_name(n) for n in result.types]}
    if shifts:
        group["shifts"] = shifts
    return group


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


__all__ = ["fitted_scenario", "layered_shifts", "safe_name"]
