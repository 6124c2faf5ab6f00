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
- Agents: one group serving every call type, ``staffing.required`` = the agents seen serving
  per slot (mean over like days, rounded), turned into shifts when the scenario is read.
"""
from __future__ import annotations

import re

import numpy as np

from .fit import FitResult, TypeFit

SHIFT_LENGTHS = (8, 6, 4)


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
    from ..staffing import roster_from_requirements

    required = [int(v) for v in np.rint(result.staffing.ravel())]
    minutes = result.options.slot // 60
    staffing = {"required": required, "interval_minutes": minutes, "shift_lengths_hours": list(SHIFT_LENGTHS),
                "start_step_minutes": minutes}
    shifts = roster_from_requirements(required, minutes, SHIFT_LENGTHS, minutes) if any(required) else []
    count = max(1, sum(s.agents for s in shifts))
    group = {"name": "agents", "count": count, "serves": [safe_name(n) for n in result.types]}
    if any(required):
        group["staffing"] = staffing
    return group


__all__ = ["fitted_scenario", "safe_name"]
