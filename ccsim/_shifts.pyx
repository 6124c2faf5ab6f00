# cython: language_level=3
"""Python-callable test wrapper of the schedule cursor declared in ``_shifts.pxd``."""
import numpy as np

from libc.stdint cimport int32_t

from ccsim._hours cimport Week
from ccsim._shifts cimport sched_change, sched_start


def changes(opens, closes, double shift, int n, double period=604800.0):
    """(on duty at time 0?, the times of the first n schedule changes) with the core's functions."""
    cdef double[::1] o = np.ascontiguousarray(opens, dtype=np.float64)
    cdef double[::1] c = np.ascontiguousarray(closes, dtype=np.float64)
    cdef Week w
    cdef double base = 0.0
    cdef int32_t cursor = 0
    cdef bint on
    w.opens = &o[0]
    w.closes = &c[0]
    w.n = len(o)
    w.shift = shift
    w.period = period
    on = sched_start(&w, &base, &cursor)
    first = on
    out = [base + (w.closes[cursor] if on else w.opens[cursor])]
    for _ in range(n - 1):
        on = not on
        out.append(sched_change(&w, on, &base, &cursor))
    return bool(first), out
