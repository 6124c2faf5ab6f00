"""Across-replication statistics for reports: means with Student-t 95 % half-widths.

Everything here works on ``ReplicationRecord`` lists, so a report needs nothing
but a ``StudyData``. A half-width needs two finite values; with fewer it is nan.
"""
from __future__ import annotations

import numpy as np
from scipy import stats as st

from ..results import KPI_NAMES

LEVEL = 0.95
GROUP_COLUMNS = ("agents", "answered", "aht", "occupancy")


def mean_halfwidth(values, level: float = LEVEL):
    """Mean and t half-width over axis 0, ignoring non-finite values (arrays or floats)."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    n = finite.sum(axis=0)
    clean = np.where(finite, values, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, clean.sum(axis=0) / np.maximum(n, 1), np.nan)
        squares = np.where(finite, (clean - mean) ** 2, 0.0).sum(axis=0)
        sd = np.sqrt(squares / np.maximum(n - 1, 1))
        hw = np.where(n >= 2, st.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)) * sd / np.sqrt(n), np.nan)
    return mean, hw


def kpi_values(records: list, kpi: str) -> np.ndarray:
    """One KPI of each replication, in record order."""
    return np.array([r.kpis.get(kpi, np.nan) for r in records], dtype=float)


def point_summary(records: list) -> dict:
    """{kpi: (mean, half-width)} over the replications of one point."""
    out = {}
    for kpi in KPI_NAMES:
        mean, hw = mean_halfwidth(kpi_values(records, kpi))
        out[kpi] = (float(mean), float(hw))
    return out


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


def difference(base: list, other: list, kpi: str, paired: bool):
    """(other - base) mean difference and its half-width.

    paired: replication r of both points shares its seed (CRN), so the
    half-width comes from the per-replication differences; otherwise Welch.
    """
    if paired:
        a = {r.rep: r.kpis.get(kpi, np.nan) for r in base}
        d = [r.kpis.get(kpi, np.nan) - a[r.rep] for r in other if r.rep in a]
        mean, hw = mean_halfwidth(d)
        return float(mean), float(hw)
    return welch(kpi_values(base, kpi), kpi_values(other, kpi))


def welch(a, b, level: float = LEVEL):
    """Difference of means b - a with the Welch-Satterthwaite t half-width."""
    a, b = (np.asarray(x, dtype=float) for x in (a, b))
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) == 0 or len(b) == 0:
        return float("nan"), float("nan")
    diff = float(b.mean() - a.mean())
    if len(a) < 2 or len(b) < 2:
        return diff, float("nan")
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se2 = va + vb
    if se2 == 0:
        return diff, 0.0
    df = se2**2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return diff, float(st.t.ppf(0.5 + level / 2, df) * np.sqrt(se2))


def group_summary(records: list) -> dict:
    """{group: {column: (mean, half-width)}} over the replications of one point."""
    names = list(dict.fromkeys(g for r in records for g in r.groups))
    out = {}
    for name in names:
        rows = [r.groups[name] for r in records if name in r.groups]
        out[name] = {c: tuple(float(x) for x in mean_halfwidth([row.get(c, np.nan) for row in rows]))
                     for c in GROUP_COLUMNS}
    return out
