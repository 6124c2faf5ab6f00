"""The by-interval tables both engines fill with one extra last row, folded after a run into the
``RawStats`` intervals and totals after the warm-up (twins: ``_stats.row_at`` in the core,
``Tally.row`` in the SimPy engine)."""
from __future__ import annotations

import math

import numpy as np

from .._stats import fold_rows_into  # the loops in C: a Python loop over the rows cost short runs 5 %

# The by-interval tables an engine fills with one extra last row (``_stats.row_at``), and the
# totals after the warm-up that ``fold_rows`` derives from each.
FOLDED_TABLES = (("interval_calls", "total_calls"), ("interval_entries", "total_entries"),
                 ("interval_channels", "total_channels"), ("interval_within", "total_within"))


def fold_rows(rows: np.ndarray, boundary: int):
    """(by interval, totals after the warm-up) of an engine's by-interval table ``rows``, folded
    in place: the by-interval part is a view of ``rows``, whose boundary row has the extra row
    added (an engine's table is its run's result, folded once; copying it cost a 200-type
    center 5 % of its calls per second).

    Engines count a call in the row of its interval, except a call after the warm-up in the
    interval the warm-up ends in (``boundary``), which counts in the extra last row. Calls before
    the warm-up fall in intervals up to the boundary and calls after it from the boundary on, so
    the totals are that extra row plus the rows after the boundary, added in interval order, and
    the boundary interval is its row plus the extra one. Both engines fold with this one function
    (one order of floating-point additions, so their results stay bit-identical)."""
    n, rest = rows.shape[0] - 1, rows.shape[1:]
    if rows.dtype != np.float64 or not rows.flags.c_contiguous:
        raise ValueError("fold_rows: an engine's table is a C-contiguous float64 array")
    flat = rows.reshape(n + 1, math.prod(rest))
    totals = flat[n].copy()
    fold_rows_into(flat, boundary, totals)
    return rows[:n], totals.reshape(rest)


def folded(tables: dict, boundary: int) -> dict:
    """``fold_rows`` of each of FOLDED_TABLES in ``tables`` (an engine's arrays by name), as the
    RawStats fields: by interval and totals."""
    out = {}
    for rows, totals in FOLDED_TABLES:
        out[rows], out[totals] = fold_rows(tables[rows], boundary)
    return out
