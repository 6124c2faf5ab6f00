# cython: language_level=3
"""Python-callable test wrapper of the opening-hours lookups declared in ``_hours.pxd``."""
import numpy as np

from ccsim._hours cimport Week, week_next_open, week_open


def lookup(opens, closes, double shift, times):
    """(open at t?, next opening after t or nan when open) for each t, with the core's functions."""
    cdef double[::1] o = np.ascontiguousarray(opens, dtype=np.float64)
    cdef double[::1] c = np.ascontiguousarray(closes, dtype=np.float64)
    cdef Week w
    w.opens = &o[0]
    w.closes = &c[0]
    w.n = len(o)
    w.shift = shift
    w.period = 604800.0
    out_open, out_next = [], []
    for t in times:
        is_open = week_open(&w, t)
        out_open.append(bool(is_open))
        out_next.append(float("nan") if is_open else week_next_open(&w, t))
    return out_open, out_next
