# cython: language_level=3
"""Python-callable test wrapper of the event heap declared in ``_heap.pxd``."""
from libc.stdint cimport int32_t, int64_t
from ccsim._heap cimport Event, Heap, heap_free, heap_init, heap_pop, heap_push


def heap_order(times, kinds, pops=None):
    """Push event i = (times[i], kinds[i]) in index order; return the indices as popped.

    ``pops[i]`` (optional) events are popped right after event i is pushed (as
    many as the heap holds), so pushes and pops interleave as in a run; what
    is left is popped at the end. The heap starts with room for one event, so
    it grows on the way.
    """
    cdef Heap h
    cdef Event ev
    cdef int64_t i, j, n = len(times)
    if len(kinds) != n or (pops is not None and len(pops) != n):
        raise ValueError("times, kinds (and pops) must have the same length")
    if heap_init(&h, 1) != 0:
        raise MemoryError()
    order = []
    try:
        for i in range(n):
            if heap_push(&h, times[i], kinds[i], <int32_t>i, 0) != 0:
                raise MemoryError()
            for j in range(0 if pops is None else pops[i]):
                if h.size == 0:
                    break
                heap_pop(&h, &ev)
                order.append(ev.target)
        while h.size > 0:
            heap_pop(&h, &ev)
            order.append(ev.target)
    finally:
        heap_free(&h)
    return order
