"""The sales funnel (``scenario/funnel.py``) as ``CompiledModel.fn_*`` fields, and the arrays
both engines read from them (``funnel_arrays``).

A model without a funnel has empty ``fn_*`` fields: nothing is drawn, nothing counted.
Distribution rows (values, delays) go into the model's distribution table like any duration.
"""
from __future__ import annotations

import numpy as np

from .scenario.funnel import stages

# Rows of CompiledModel.fn_stage_dist: the delays of the order's life, in this order.
STAGES = ("verification", "retry", "shipping", "delivery", "settlement", "returns")
DAY = 86400.0


def funnel_tables(scenario, table) -> dict:
    """The ``fn_*`` fields of ``scenario``'s funnel ({} without one); ``table`` is compile's
    distribution table (``_DistTable``), which takes the value and delay distributions."""
    f = scenario.funnel
    if f is None:
        return {}
    types = scenario.call_types
    channels = [c.name for c in scenario.media.channels] if scenario.media is not None else []
    sales = [f.call_types.get(c.name) for c in types]
    v, shipping, dl, settlement, returns = stages(f)
    sign = [dl.sign_for] + [dl.by_channel.get(name, dl.sign_for) for name in channels]
    regions = dl.regions or []
    cum = np.cumsum([r.share for r in regions]) if regions else np.ones(1)
    cum[-1] = 1.0  # a uniform always finds its region (shares add up to 1 within rounding)
    return {
        "fn_cut": float(scenario.horizon) + f.follow_days * DAY,
        "fn_sells": np.array([s is not None for s in sales], dtype=np.int32),
        "fn_conversion": np.array([s.conversion if s else 0.0 for s in sales], dtype=np.float64),
        "fn_type_factor": np.array([s.factor if s else 1.0 for s in sales], dtype=np.float64),
        "fn_talk_factor": np.array([s.order_talk_factor if s else 1.0 for s in sales], dtype=np.float64),
        "fn_value_dist": np.array([table.add(s.order_value) if s else -1 for s in sales], dtype=np.int32),
        "fn_cross_p": np.array([s.cross_sell.p if s and s.cross_sell else 0.0 for s in sales], dtype=np.float64),
        "fn_cross_dist": np.array([table.add(s.cross_sell.value) if s and s.cross_sell else -1 for s in sales],
                                  dtype=np.int32),
        "fn_channel_factor": np.array([f.channels.get(name, 1.0) for name in channels], dtype=np.float64),
        "fn_wait": np.array([w for w, _ in f.wait_curve], dtype=np.float64),
        "fn_wait_factor": np.array([x for _, x in f.wait_curve], dtype=np.float64),
        "fn_stage_dist": np.array([table.add(delay) for delay in (v.delay, v.retry_delay, shipping.delay, dl.delay,
                                                                  settlement.delay, returns.delay)],
                                  dtype=np.int32),
        "fn_confirm": float(v.confirm),
        "fn_cancel": float(v.cancel),
        "fn_max_attempts": int(v.max_attempts),
        "fn_deadline": float(v.deadline_hours) * 3600.0,
        "fn_sign": np.array(sign, dtype=np.float64),
        "fn_region_cum": np.asarray(cum, dtype=np.float64),
        "fn_region_factor": np.array([r.sign_factor for r in regions] or [1.0], dtype=np.float64),
        "fn_region_names": tuple(r.name for r in regions),
    }


def funnel_arrays(model) -> dict:
    """What the engines read: the ``fn_*`` arrays as contiguous numpy arrays, and
    ``agent_conversion`` per agent (NaN = the agent has no ability: the type's conversion)."""
    conversion = np.asarray(model.agent_conversion, dtype=np.float64)
    if len(conversion) != model.n_agents:
        conversion = np.full(model.n_agents, np.nan)
    out = {"agent_conversion": np.ascontiguousarray(conversion)}
    for name in ("fn_conversion", "fn_type_factor", "fn_talk_factor", "fn_cross_p", "fn_channel_factor",
                 "fn_wait", "fn_wait_factor", "fn_sign", "fn_region_cum", "fn_region_factor"):
        out[name] = np.ascontiguousarray(getattr(model, name), dtype=np.float64)
    for name in ("fn_sells", "fn_value_dist", "fn_cross_dist", "fn_stage_dist"):
        out[name] = np.ascontiguousarray(getattr(model, name), dtype=np.int32)
    return out


def funnel_days(model) -> int:
    """Days of ``RawStats.funnel_days``: those up to the cut (0 without a funnel)."""
    if not model.has_funnel:
        return 0
    return max(1, int(np.ceil(model.fn_cut / DAY)))
