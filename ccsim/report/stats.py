"""Across-replication statistics the report needs beyond ``experiment.analysis``.

Per-interval bands, per-call-type and per-group cells, from ``ReplicationRecord``
lists; KPI summaries and differences come from ``ccsim.experiment.analysis``.
"""
from __future__ import annotations

import numpy as np

from ..results import mean_halfwidth

GROUP_COLUMNS = ("agents", "answered", "aht", "occupancy")


def interval_summary(records: list, tables: list | None = None) -> dict:
    """Post-warm-up intervals: {"start", "end": arrays, column: (mean, hw) arrays}.

    ``tables`` are the replications' interval tables (default: each record's
    ``interval_table()``); replications of one point share the interval grid.
    """
    tables = tables if tables is not None else [r.interval_table() for r in records]
    keep = ~tables[0]["warmup"]
    out = {"start": tables[0]["start"][keep], "end": tables[0]["end"][keep]}
    for name in tables[0].dtype.names:
        if name not in ("start", "end", "warmup"):
            out[name] = mean_halfwidth(np.stack([t[name][keep] for t in tables]))
    return out


def call_type_interval_tables(record):
    """{call type: interval table} of one replication, or None when the record cannot tell.

    With one call type the record's interval table is that call type's; with
    several, the record's ``call_type_interval_tables()`` (records made without
    them hold totals over call types only).
    """
    names = list(record.by_call_type)
    if len(names) == 1:
        return {names[0]: record.interval_table()}
    if not record.has_call_type_intervals:
        return None
    return record.call_type_interval_tables()


def call_type_interval_summary(records: list):
    """{call type: ``interval_summary``} over the replications of one point, or None."""
    per_rep = [call_type_interval_tables(r) for r in records]
    if not per_rep or any(t is None for t in per_rep):
        return None
    return {name: interval_summary(records, [t[name] for t in per_rep]) for name in per_rep[0]}


def call_type_summary(records: list, kpis) -> dict:
    """{call type: {kpi: (mean, half-width)}} over the replications of one point."""
    names = list(dict.fromkeys(c for r in records for c in r.by_call_type))
    return {name: {k: mean_halfwidth([r.by_call_type[name].get(k, np.nan) for r in records
                                      if name in r.by_call_type]) for k in kpis}
            for name in names}


def service_level_summary(records: list) -> dict:
    """{call type (then "all"): {threshold: (mean, half-width)}} of the records' service levels
    at the extra thresholds; {} when the records hold none (no thresholds, or read from a store)."""
    if not records or any(not r.service_levels for r in records):
        return {}
    first = records[0].service_levels
    return {name: {t: mean_halfwidth([r.service_levels[name][t] for r in records]) for t in row}
            for name, row in first.items()}


def group_summary(records: list) -> dict:
    """{group: {column: (mean, half-width)}} over the replications of one point."""
    names = list(dict.fromkeys(g for r in records for g in r.groups))
    out = {}
    for name in names:
        rows = [r.groups[name] for r in records if name in r.groups]
        out[name] = {c: mean_halfwidth([row.get(c, np.nan) for row in rows]) for c in GROUP_COLUMNS}
    return out


def point_summaries(data, kpis=None) -> dict:
    """{(point, kpi): (mean, half-width)}: ``analysis.summary_table`` keyed for lookups."""
    from ..experiment import analysis

    frame = analysis.summary_table(data, kpis)
    return {(row.point, row.kpi): (row.mean, row.ci_halfwidth) for row in frame.itertuples()}


def differences(data, kpis) -> dict:
    """{(point, kpi): (difference, half-width)} against the first point, from ``analysis.compare``
    (paired by replication under CRN, Welch otherwise)."""
    from ..experiment import analysis

    frame = analysis.compare(data, baseline=data.points[0].point, kpis=list(kpis))
    return {(row.point, row.kpi): (row.diff, row.ci_high - row.diff) for row in frame.itertuples()}
