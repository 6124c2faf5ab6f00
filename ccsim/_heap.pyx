# cython: language_level=3
"""Python-callable test wrapper of the event heap declared in ``_heap.pxd``."""
from libc.stdint cimport int32_t, int64_t
from ccsim._heap cimport (Event, Heap, heap_count, heap_far_due, heap_far_start, heap_far_take, heap_first,
                         heap_drop_arrival, heap_free, heap_init, heap_pop, heap_push, heap_push_arrival,
                         heap_push_event, heap_replace_arrival,
                         heap_push_far, heap_push_lane, heap_push_timer, heap_wheel_due, heap_wheel_done,
                         heap_wheel_start, heap_wheel_take)


def heap_order(times, kinds, pops=None, places=None, wheel_width=None, stale=None, far_width=None, far_buckets=64,
               main_sizes=None):
    """Push event i = (times[i], kinds[i]) in index order; return the indices as popped.

    ``places[i]`` (optional) picks how event i is pushed: 0 (or false) ``heap_push``, 1 (or
    true) ``heap_push_lane`` to lane 0 (the lane when its key follows the lane's last, else
    the main heap), 5 the same to lane 1, 2 ``heap_push_arrival`` (the arrivals' heap), 3
    ``heap_push_timer`` (the timers' wheel, started at time 0 with buckets of ``wheel_width``
    seconds when given, else the main heap; set at the last popped event's time), 4
    ``heap_push_far`` (the far wheel of ``far_buckets`` buckets of ``far_width`` seconds when
    given, else the main heap; set at the last popped event's time); the order must be the
    same either way. Before each pop, the wheels' due buckets are taken as the core takes
    them: their events go to the main heap, but the timers' with a true ``stale[i]`` are
    dropped (they are missing from the order). ``main_sizes`` (a list, optional) gets the main
    heap's size at each pop.

    ``pops[i]`` (optional) events are popped right after event i is pushed (as
    many as the heap holds), so pushes and pops interleave as in a run; what
    is left is popped at the end. The heap starts with room for one event, so
    it grows on the way.
    """
    cdef Heap h
    cdef double now = 0.0  # the last popped event's time (a run's clock)
    cdef int64_t i, j, n = len(times)
    cdef int err
    if len(kinds) != n or (pops is not None and len(pops) != n) or (places is not None and len(places) != n):
        raise ValueError("times, kinds (and pops, places) must have the same length")
    if heap_init(&h, 1) != 0:
        raise MemoryError()
    order = []
    try:
        if wheel_width is not None and heap_wheel_start(&h, wheel_width, 0.0) != 0:
            raise ValueError(f"no wheel of width {wheel_width}")
        if far_width is not None and heap_far_start(&h, far_width, far_buckets, 0.0) != 0:
            raise ValueError(f"no far wheel of width {far_width}")
        for i in range(n):
            if places is not None and places[i] == 4:
                err = heap_push_far(&h, now, times[i], kinds[i], <int32_t>i, 0)
            elif places is not None and places[i] == 3:
                err = heap_push_timer(&h, now, times[i], kinds[i], <int32_t>i, 1 if stale is not None and stale[i] else 0)
            elif places is not None and places[i] == 2:
                err = heap_push_arrival(&h, times[i], kinds[i], <int32_t>i, 0)
            elif places is not None and places[i] == 5:
                err = heap_push_lane(&h, 1, times[i], kinds[i], <int32_t>i, 0)
            elif places is not None and places[i]:
                err = heap_push_lane(&h, 0, times[i], kinds[i], <int32_t>i, 0)
            else:
                err = heap_push(&h, times[i], kinds[i], <int32_t>i, 0)
            if err != 0:
                raise MemoryError()
            for j in range(0 if pops is None else pops[i]):
                if heap_count(&h) == 0:
                    break
                _pop(&h, order, &now, main_sizes)
        while heap_count(&h) > 0:
            _pop(&h, order, &now, main_sizes)
    finally:
        heap_free(&h)
    return order


cdef int _pop(Heap* h, list order, double* now, list main_sizes) except -1:
    """Pop the earliest event (``heap_first``, then ``heap_pop``) and append its index to
    ``order``, after taking the wheels' due buckets as the core does (a timer of gen 1: stale,
    dropped)."""
    cdef Event ev
    cdef Event* events
    cdef Event* first = heap_first(h)
    cdef int64_t i, n
    while True:
        if heap_wheel_due(h, first):
            n = heap_wheel_take(h, &events)
            for i in range(n):
                if events[i].gen == 0 and heap_push_event(h, &events[i]) != 0:
                    raise MemoryError()
            heap_wheel_done(h)
        elif heap_far_due(h, first):
            if heap_far_take(h) != 0:
                raise MemoryError()
        else:
            break
        if heap_count(h) == 0:
            return 0
        first = heap_first(h)
    if main_sizes is not None:
        main_sizes.append(h.main.size)
    heap_pop(h, first, &ev)
    now[0] = ev.time
    order.append(ev.target)
    return 0


def arrivals_replaced_order(first_times, next_times, other_times):
    """Pop events as the core's loop does with arrivals: source s's first arrival at
    ``first_times[s]`` goes to the arrivals' heap (kind 5, pushed in source order), then the
    events ``other_times`` to the main heap (kind 0); at each step the earliest event is taken,
    and when it is an arrival of source s it is not popped but replaced in place by s's next
    arrival (the next of ``next_times[s]``, ``heap_replace_arrival``), or dropped when s has
    none left (``heap_drop_arrival``). Returns the (kind, source or event index) taken, in order."""
    cdef Heap h
    cdef Event ev
    cdef Event* first
    cdef int32_t s
    cdef int64_t i
    if heap_init(&h, 1) != 0:
        raise MemoryError()
    taken = []
    left = [list(times) for times in next_times]
    try:
        for i in range(len(first_times)):
            if heap_push_arrival(&h, first_times[i], 5, <int32_t>i, 0) != 0:
                raise MemoryError()
        for i in range(len(other_times)):
            if heap_push(&h, other_times[i], 0, <int32_t>i, 0) != 0:
                raise MemoryError()
        while True:
            first = heap_first(&h)
            if first == NULL:
                break
            if first == &h.arrivals.data[0]:
                s = first.target
                taken.append((5, s))
                if left[s]:
                    heap_replace_arrival(&h, left[s].pop(0), 5, s, 0)
                else:
                    heap_drop_arrival(&h)
            else:
                heap_pop(&h, first, &ev)
                taken.append((0, ev.target))
    finally:
        heap_free(&h)
    return taken
