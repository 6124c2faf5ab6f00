# cython: language_level=3
"""Python-callable wrappers of the statistics declared in ``_stats.pxd`` (``add_clock`` for tests)
and the fold of the by-interval tables after a run (``engines.rows.fold_rows``)."""
import numpy as np

from libc.stdint cimport int32_t

from ccsim._stats cimport (
    G_BUSY, G_STAFFED, IG_BUSY, IG_STAFFED, N_CALL_FIELDS, N_CALLER_FIELDS, N_ENTRY_FIELDS, N_GROUP_FIELDS,
    N_INTERVAL_GROUP_FIELDS, N_NODE_FIELDS, Stats, add_clock,
)

CALL_FIELDS_COUNT = N_CALL_FIELDS
ENTRY_FIELDS_COUNT = N_ENTRY_FIELDS
NODE_FIELDS_COUNT = N_NODE_FIELDS
CALLER_FIELDS_COUNT = N_CALLER_FIELDS
GROUP_FIELDS_COUNT = N_GROUP_FIELDS
INTERVAL_GROUP_FIELDS_COUNT = N_INTERVAL_GROUP_FIELDS


def add_clock_many(int n_intervals, int n_groups, double interval, double warmup, double horizon, spans):
    """Add each span (group, start, end, weight, field) with ``add_clock``, in order.

    ``field`` is "busy" or "staffed"; returns (group_totals, interval_groups),
    shaped as in ``RawStats``.
    """
    cdef Stats s
    cdef double[:, ::1] totals = np.zeros((n_groups, N_GROUP_FIELDS))
    cdef double[:, :, ::1] by_interval = np.zeros((n_intervals, n_groups, N_INTERVAL_GROUP_FIELDS))
    fields = {"busy": (G_BUSY, IG_BUSY), "staffed": (G_STAFFED, IG_STAFFED)}
    s.interval_calls = NULL
    s.group_totals = &totals[0, 0]
    s.interval_groups = &by_interval[0, 0, 0]
    s.interval_channels = NULL
    s.airing_calls = NULL
    s.n_channels = 0
    s.n_intervals = n_intervals
    s.n_types = 0
    s.n_groups = n_groups
    s.interval = interval
    s.warmup = warmup
    s.horizon = horizon
    s.boundary = 0
    for g, start, end, weight, field in spans:
        if not 0 <= g < n_groups:
            raise ValueError(f"group {g} out of range")
        total_field, interval_field = fields[field]
        add_clock(&s, g, start, end, weight, total_field, interval_field)
    return np.asarray(totals), np.asarray(by_interval)


def fold_rows_into(double[:, ::1] rows, int32_t boundary, double[::1] totals):
    """``engines.rows.fold_rows`` on a 2-D view (n + 1 rows of m values; totals: m values, a copy of
    the last row): the extra row added to the boundary row, in place, and to the totals each
    row after the boundary, in order. The additions ``fold_rows`` documents, one by one, in C."""
    cdef Py_ssize_t n = rows.shape[0] - 1, m = rows.shape[1], i, j
    if not (0 <= boundary < n and totals.shape[0] == m):
        raise ValueError("fold_rows_into: shapes or boundary out of range")
    with nogil:
        for j in range(m):
            rows[boundary, j] += rows[n, j]
        for i in range(boundary + 1, n):
            for j in range(m):
                totals[j] += rows[i, j]
