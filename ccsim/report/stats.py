"""Across-replication statistics the report needs beyond ``experiment.analysis``.

Per-interval bands and per-group cells, from ``ReplicationRecord`` lists; KPI
summaries and differences come from ``ccsim.experiment.analysis``.
"""
from __future__ import annotations

import numpy as np

from ..results import mean_halfwidth

GROUP_COLUMNS = ("agents", "answered", "aht", "occupancy")


def interval_summary(records: list) -> dict:
    """Post-warm-up intervals: {"start", "end": arrays, column: (mean, hw) arrays}.

    Replications of one point share the interval grid (same scenario).
    """
    tables = [r.interval_table() for r in records]
    keep = ~tables[0]["warmup"]
    out = {"start": tables[0]["start"][keep], "end": tables[0]["end"][keep]}
    for name in tables[0].dtype.names:
        if name not in ("start", "end", "warmup"):
            out[name] = mean_halfwidth(np.stack([t[name][keep] for t in tables]))
    return out


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
