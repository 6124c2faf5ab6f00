# Agent schedules: an agent's cursor over its on-duty table (a _hours.Week: the intervals when it
# is logged in and not on break), repeating every ``period`` seconds (a whole number of weeks). The next change is found from the cursor in O(1)
# (O(log n) once, at time 0); times are the period's Monday 00:00 (``base``) + a table entry, so
# both engines compute them with the same additions. Twin of ccsim.engines.shifts.
from libc.stdint cimport int32_t

from ccsim._hours cimport Week, _upper


cdef inline bint sched_start(Week* w, double* base, int32_t* cursor) noexcept nogil:
    """Whether on duty at time 0; sets ``base`` and ``cursor`` to the interval whose close (on
    duty) or open (off duty) is the first change. The table must not be empty."""
    cdef double x = w.shift  # period time of time 0
    cdef int32_t i = _upper(w, x) - 1
    base[0] = -w.shift
    if i >= 0 and x < w.closes[i]:
        cursor[0] = i
        return True
    if x + w.period < w.closes[w.n - 1]:  # in the last interval, which runs on over the period's end
        cursor[0] = w.n - 1
        base[0] -= w.period
        return True
    i += 1
    if i == w.n:
        i = 0
        base[0] += w.period
    cursor[0] = i
    return False


cdef inline double sched_change(Week* w, bint on, double* base, int32_t* cursor) noexcept nogil:
    """The time of the change after the one that made the agent ``on`` (on: its interval's close;
    off: the next interval's open, moving the cursor on)."""
    if on:
        return base[0] + w.closes[cursor[0]]
    cursor[0] += 1
    if cursor[0] == w.n:
        cursor[0] = 0
        base[0] += w.period
    return base[0] + w.opens[cursor[0]]


cdef inline bint sched_at(Week* w, bint on, double* base, int32_t* cursor, double start) noexcept nogil:
    """Whether on duty at ``start`` (a run starting from a state, ccsim.state), from the state at
    time 0 (``sched_start``): the changes at or before ``start`` applied, the cursor left on the
    first change after it. Twin of ``ccsim.engines.shifts.Schedule.advance``."""
    cdef double t = base[0] + (w.closes[cursor[0]] if on else w.opens[cursor[0]])
    while t <= start:
        on = not on
        t = sched_change(w, on, base, cursor)
    return on
