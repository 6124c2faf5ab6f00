# cython: language_level=3
"""Python-callable test wrapper of the event heap declared in ``_heap.pxd``."""
from libc.stdint cimport int32_t, int64_t
from ccsim._heap cimport Event, Heap, heap_count, heap_first, heap_free, heap_init, heap_pop, heap_push, heap_push_arrival, heap_push_lane


def heap_order(times, kinds, pops=None, lanes=None):
    """Push event i = (times[i], kinds[i]) in index order; return the indices as popped.

    ``lanes[i]`` (optional) picks how event i is pushed: 0 (or false) ``heap_push``, 1 (or
    true) ``heap_push_lane`` (the lane when its key follows the lane's last, else the main
    heap), 2 ``heap_push_arrival`` (the arrivals' heap); the order must be the same either way.
    Before each pop, ``heap_first`` must be the event popped.

    ``pops[i]`` (optional) events are popped right after event i is pushed (as
    many as the heap holds), so pushes and pops interleave as in a run; what
    is left is popped at the end. The heap starts with room for one event, so
    it grows on the way.
    """
    cdef Heap h
    cdef int64_t i, j, n = len(times)
    cdef int err
    if len(kinds) != n or (pops is not None and len(pops) != n) or (lanes is not None and len(lanes) != n):
        raise ValueError("times, kinds (and pops, lanes) must have the same length")
    if heap_init(&h, 1) != 0:
        raise MemoryError()
    order = []
    try:
        for i in range(n):
            if lanes is not None and lanes[i] == 2:
                err = heap_push_arrival(&h, times[i], kinds[i], <int32_t>i, 0)
            elif lanes is not None and lanes[i]:
                err = heap_push_lane(&h, times[i], kinds[i], <int32_t>i, 0)
            else:
                err = heap_push(&h, times[i], kinds[i], <int32_t>i, 0)
            if err != 0:
                raise MemoryError()
            for j in range(0 if pops is None else pops[i]):
                if heap_count(&h) == 0:
                    break
                order.append(_pop(&h))
        while heap_count(&h) > 0:
            order.append(_pop(&h))
    finally:
        heap_free(&h)
    return order


cdef int32_t _pop(Heap* h) except -2:
    """Pop the earliest event; its index, after checking that ``heap_first`` named it."""
    cdef Event ev
    cdef int32_t first = heap_first(h).target
    heap_pop(h, &ev)
    if ev.target != first:
        raise AssertionError(f"heap_first gave event {first}, heap_pop event {ev.target}")
    return ev.target
