"""Per-interval tables of a ``Result``: one row per interval, or per (interval,
call type) or (interval, agent group), as columns of numpy arrays.

Call statistics belong to the interval of the call's arrival; staffing is clock
time within the interval divided by its length (agents on average).
"""
from __future__ import annotations

import numpy as np

from .results import (CALLER_COUNTS, CALL_FIELDS, CALL_TYPE_KPIS, CHANNEL_FIELDS, ENTRY_FIELDS, INTERVAL_GROUP_FIELDS, ORGANIC,
                      _ratio, center_calls, compute_kpis)

# Counts of the inbound path in the per-(interval, call type) table, after the KPIs.
CALL_TYPE_COUNTS = ("retrials", "routed", "queue_full")


def _span(model) -> dict:
    start = np.arange(model.n_intervals) * model.interval
    end = np.minimum(start + model.interval, model.horizon)
    return {"start": start, "end": end, "warmup": start < model.warmup}


def _all_columns(result) -> dict:
    """One row per interval, every call type and group together."""
    m, s = result.model, result.stats
    columns = _span(m)
    length = columns["end"] - columns["start"]
    staffed = s.interval_groups[:, :, INTERVAL_GROUP_FIELDS.index("staffed")].sum(axis=1)
    busy = s.interval_groups[:, :, INTERVAL_GROUP_FIELDS.index("busy")].sum(axis=1)
    columns.update(staffed_agents=staffed / length, busy_agents=busy / length)
    calls = center_calls(s.interval_calls.sum(axis=1), s.interval_entries.sum(axis=1))
    columns.update(compute_kpis(calls, busy, staffed, result.sl_denominator))
    columns.update(_sales(result, s.interval_calls, lambda x: x.sum(axis=1)))
    return columns


def _sales(result, calls: np.ndarray, fold) -> dict:
    """With a sales funnel: ``orders``, ``order_value`` and ``conversion`` (orders / answered
    calls of the call types with a funnel, as the money KPI, by the interval of the call's
    arrival) of ``calls`` ([interval, call type, CALL_FIELDS]) folded by ``fold`` over the call
    types (summed, or kept per type); {} without a funnel."""
    from .money import has_funnel, selling_types

    if not has_funnel(result):
        return {}
    selling = selling_types(result)
    orders = fold(calls[:, :, CALL_FIELDS.index("orders")])
    answered = fold(np.where(selling[None, :], calls[:, :, CALL_FIELDS.index("answered")], 0.0))
    return {"orders": orders, "order_value": fold(calls[:, :, CALL_FIELDS.index("order_value")]),
            "conversion": _ratio(orders, answered)}


def _long(model, names: tuple) -> dict:
    """Interval columns repeated for each name (interval-major), plus the name column."""
    span = _span(model)
    columns = {k: np.repeat(v, len(names)) for k, v in span.items()}
    columns["name"] = np.tile(np.array(names, dtype=object), model.n_intervals)
    return columns


def _call_type_columns(result) -> dict:
    """One row per (interval, call type)."""
    m, s = result.model, result.stats
    columns = _long(m, m.call_type_names)
    columns["call_type"] = columns.pop("name")
    calls = s.interval_calls.reshape(-1, s.interval_calls.shape[-1])
    kpis = compute_kpis(calls, np.nan, np.nan, result.sl_denominator)
    columns.update((k, kpis[k]) for k in CALL_TYPE_KPIS)
    columns.update((k, calls[:, CALL_FIELDS.index(k)]) for k in CALL_TYPE_COUNTS)
    columns.update(_sales(result, s.interval_calls, lambda x: x.reshape(-1)))  # NaN conversion: no funnel
    return columns


def _entry_columns(result) -> dict:
    """One row per (interval, entry): the ENTRY_FIELDS of the attempts that rang in the interval."""
    m, s = result.model, result.stats
    columns = _long(m, m.entry_names)
    columns["entry"] = columns.pop("name")
    counts = s.interval_entries.reshape(-1, len(ENTRY_FIELDS))
    columns.update((name, counts[:, i]) for i, name in enumerate(ENTRY_FIELDS))
    return columns


def _group_columns(result) -> dict:
    """One row per (interval, agent group): staffing and occupancy."""
    m, s = result.model, result.stats
    columns = _long(m, m.group_names)
    columns["group"] = columns.pop("name")
    length = columns["end"] - columns["start"]
    staffed = s.interval_groups[:, :, INTERVAL_GROUP_FIELDS.index("staffed")].ravel()
    busy = s.interval_groups[:, :, INTERVAL_GROUP_FIELDS.index("busy")].ravel()
    columns.update(staffed_agents=staffed / length, busy_agents=busy / length, occupancy=_ratio(busy, staffed))
    return columns


def _channel_columns(result) -> dict:
    """One row per (interval, source of calls: ``organic``, then the media channels): the
    caller counts (CALLER_COUNTS) of the calls that arrived in the interval."""
    m, s = result.model, result.stats
    columns = _long(m, (ORGANIC, *m.channel_names))
    columns["channel"] = columns.pop("name")
    counts = s.interval_channels.reshape(-1, len(CHANNEL_FIELDS))
    columns.update((name, counts[:, i]) for i, name in enumerate(CALLER_COUNTS))  # the counts
    return columns


BREAKDOWNS = {None: _all_columns, "call_type": _call_type_columns, "group": _group_columns,
              "channel": _channel_columns, "entry": _entry_columns}


def to_frame(columns: dict):
    """Columns as a pandas DataFrame."""
    import pandas as pd

    return pd.DataFrame(columns)


def to_structured(columns: dict) -> np.ndarray:
    """Columns as a numpy structured array: names become fixed-width unicode."""
    def dtype(values):
        values = np.asarray(values)
        if values.dtype == object:
            return np.asarray(values, dtype=str).dtype
        return np.bool_ if values.dtype == np.bool_ else np.float64

    n = len(next(iter(columns.values())))
    table = np.zeros(n, dtype=[(k, dtype(v)) for k, v in columns.items()])
    for k, v in columns.items():
        table[k] = v
    return table
