"""Across-replication statistics the report needs beyond ``experiment.analysis``.

Per-interval bands, per-call-type and per-group cells, from ``ReplicationRecord``
lists; KPI summaries and differences come from ``ccsim.experiment.analysis``.
"""
from __future__ import annotations

import numpy as np

from ..results import mean_halfwidth
from ..student_t import t_quantiles

GROUP_COLUMNS = ("agents", "answered", "aht", "occupancy")


def interval_summary(records: list, tables=None) -> dict:
    """Post-warm-up intervals: {"start", "end": arrays, column: (mean, hw) arrays}.

    ``tables``: how to get each replication's interval table, ``table(record)`` (default: the
    record's ``interval_table()``), or a list of the tables in ``records`` order; replications
    of one point share the interval grid. Streamed: one replication's table is decoded at a
    time (``Bands``), so the memory does not grow with the replications.
    """
    if tables is None:
        tables = _interval_table
    if callable(tables):
        table_of = tables
        return _single(Bands.of(lambda: ({None: table_of(r)} for r in records)))
    tables = list(tables)
    return _single(Bands.of(lambda: ({None: t} for t in tables)))


def _interval_table(record):
    return record.interval_table()


def _single(summaries):
    return summaries[None]


class Bands:
    """Per-interval mean and 95 % Student-t half-width of every column across replications,
    streamed: ``mean_halfwidth`` of the stacked tables without stacking them.

    ``of(source)``: ``source()`` yields, per replication, {key: interval table} (keys: call
    types, or None); it is called twice (two passes: the sums, then the squared deviations from
    the mean), so one replication's tables are in memory at a time. The sums run over the
    replications in order, as numpy's reduction over the first axis of the stacked array does,
    so the figures are ``mean_halfwidth``'s to the last bit (a table of one interval aside,
    where numpy sums pairwise: there to rounding).
    """

    SKIP = ("start", "end", "warmup")

    @classmethod
    def of(cls, source, level: float = 0.95) -> dict:
        """{key: {"start", "end": arrays, column: (mean, hw) arrays}} over the replications."""
        grid, counts, sums = {}, {}, {}
        for tables in source():
            for key, table in tables.items():
                if key not in grid:
                    keep = ~table["warmup"]
                    grid[key] = (keep, table["start"][keep], table["end"][keep])
                keep = grid[key][0]
                for name in table.dtype.names:
                    if name in cls.SKIP:
                        continue
                    finite, clean = _clean(table[name], keep)
                    _add(counts, (key, name), finite.astype(np.intp))
                    _add(sums, (key, name), clean)
        if not grid:
            raise ValueError("no replication to summarize")
        means = {}
        with np.errstate(divide="ignore", invalid="ignore"):
            for k, total in sums.items():
                n = counts[k]
                means[k] = np.where(n > 0, total / np.maximum(n, 1), np.nan)
        squares = {}
        for tables in source():
            for key, table in tables.items():
                keep = grid[key][0]
                for name in table.dtype.names:
                    if name in cls.SKIP:
                        continue
                    finite, clean = _clean(table[name], keep)
                    _add(squares, (key, name), np.where(finite, (clean - means[(key, name)]) ** 2, 0.0))
        out = {key: {"start": start, "end": end} for key, (_keep, start, end) in grid.items()}
        for (key, name), mean in means.items():
            n = counts[(key, name)]
            with np.errstate(divide="ignore", invalid="ignore"):
                sd = np.sqrt(squares[(key, name)] / np.maximum(n - 1, 1))
                q = t_quantiles(np.maximum(n - 1, 1), 0.5 + level / 2)
                hw = np.where(n >= 2, q * sd / np.sqrt(np.maximum(n, 1)), np.nan)
            out[key][name] = (mean, hw)
        return out


def _clean(column, keep) -> tuple:
    values = np.asarray(column[keep], dtype=float)
    finite = np.isfinite(values)
    return finite, np.where(finite, values, 0.0)


def _add(totals: dict, key, values) -> None:
    """Running sum in replication order (the first replication's values as they are, as numpy's
    reduction starts from the first row)."""
    if key in totals:
        total = totals[key]
        if total.shape != values.shape:
            raise ValueError(f"replications of one point have different interval counts "
                             f"({len(total)} and {len(values)})")
        total += values
    else:
        totals[key] = np.array(values, copy=True)


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
    """{call type: ``interval_summary``} over the replications of one point, or None; streamed
    (``Bands``): one replication's tables are decoded at a time."""
    if not records or any(not has_call_type_tables(r) for r in records):
        return None
    return Bands.of(lambda: (call_type_interval_tables(r) for r in records))


def has_call_type_tables(record) -> bool:
    """Whether ``call_type_interval_tables(record)`` gives tables (without decoding them)."""
    return len(record.by_call_type) == 1 or record.has_call_type_intervals


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
