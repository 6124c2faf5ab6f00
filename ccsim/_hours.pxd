# Opening hours: the week's opening intervals and their binary searches (O(log n)).
# Twin of ccsim.scenario.hours.is_open / next_open: the same comparisons and arithmetic.
from libc.math cimport floor, fmod
from libc.stdint cimport int32_t

cdef struct Week:
    double* opens        # [n] starts of the opening intervals, seconds since Monday 00:00, sorted
    double* closes       # [n] their ends (disjoint intervals)
    int32_t n
    double shift         # time 0 is this far into the week (start_weekday x 86400)
    double period        # the table repeats every this many seconds (604800 for opening hours;
                         # schedule tables: a whole number of weeks, see _shifts.pxd)


cdef inline double week_time(Week* w, double t) noexcept nogil:
    return fmod(t + w.shift, 604800.0)


cdef inline int32_t _upper(Week* w, double x) noexcept nogil:
    """Index of the first opening strictly after x (bisect_right)."""
    cdef int32_t lo = 0, hi = w.n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if x < w.opens[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


cdef inline bint week_open(Week* w, double t) noexcept nogil:
    """Whether the center is open at t."""
    cdef double x = week_time(w, t)
    cdef int32_t i = _upper(w, x) - 1
    return i >= 0 and x < w.closes[i]


cdef inline double week_next_open(Week* w, double t) noexcept nogil:
    """The next opening after t (t a closed time): its own time, the same for every t of one
    closed spell (ccsim.scenario.hours.next_open says why), the same arithmetic."""
    cdef double x = week_time(w, t)
    cdef int32_t i = _upper(w, x)
    cdef double week = floor((t + w.shift - x) / 604800.0 + 0.5)
    cdef double at, near
    if i < w.n:
        at = week * 604800.0 - w.shift + w.opens[i]
        near = t + (w.opens[i] - x)
    else:
        at = (week + 1) * 604800.0 - w.shift + w.opens[0]
        near = t + ((604800.0 - x) + w.opens[0])
    return at if at > t else near
