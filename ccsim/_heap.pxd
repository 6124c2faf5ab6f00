# The event queue: events ordered by (time, kind, sequence), kept in three places that pops
# merge: a 4-ary min-heap (most events), a small 4-ary heap of the arrivals (one pending per
# source, heap_push_arrival), and a lane, a FIFO of events pushed in key order
# (heap_push_lane). Keys are unique, so the order of events is the same as with one heap.
# Timers that mostly go stale (patience) may wait in a wheel of time buckets first
# (heap_push_timer): the owner moves a bucket's live timers into the main heap when the bucket
# is due (heap_wheel_due, heap_wheel_take), and drops the stale ones unpopped.
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t, uintptr_t
from libc.stdlib cimport calloc, free, malloc, realloc
from libc.string cimport memcpy

cdef extern from *:
    ctypedef unsigned long long uint128_t "unsigned __int128"  # GCC and Clang


cdef struct Event:       # 24 bytes: the kind lives in the order's top byte (event_kind)
    double time
    uint64_t order       # kind << 56 | sequence number: deterministic ties
    int32_t target
    uint32_t gen         # call-slot generation, to ignore stale abandonments

cdef struct Tree:        # a 4-ary min-heap of events
    Event* data          # inside block, placed so that each node's four children share two cache lines
    void* block          # the malloc'd memory
    int64_t size
    int64_t capacity

cdef enum:
    WHEEL_BUCKETS = 64   # a power of 2

cdef struct Bucket:      # the timers of one bucket of the wheel, in no order
    Event* data
    int64_t size
    int64_t capacity

cdef struct Heap:        # heap_init allocates, heap_free frees
    Tree main            # every event not pushed to one of the two below
    Tree arrivals        # the arrivals' next rings: as many as sources, a heap that stays in L1
    Event* lane          # ring of lane_capacity (a power of 2) events, in key order
    int64_t lane_head    # index of the lane's first event
    int64_t lane_size
    int64_t lane_capacity
    uint64_t sequence    # events pushed so far (the tie-break after kind)
    Bucket* wheel        # WHEEL_BUCKETS buckets of wheel_width seconds (NULL: no wheel yet)
    double wheel_width
    int64_t wheel_base   # the number of the first bucket not yet taken (bucket b: times b w ..)
    int64_t wheel_size   # timers in the wheel


cdef inline int32_t event_kind(Event* ev) noexcept nogil:
    return <int32_t>(ev.order >> 56)


cdef inline Event* _placed(void* block) noexcept nogil:
    """Where the events start in a block of 128 bytes more than they need: 40 bytes past a
    64-byte boundary, so children 4i+1 .. 4i+4 (bytes 96 i + 24 .. 96 i + 120 of the array,
    i.e. 96 i + 64 .. 96 i + 160 of the block, a multiple of 32 onwards) span exactly two cache
    lines. A sift-down then reads two lines per level, not two or three (LaMarca and Ladner's
    aligned d-heap); it matters when the heap is out of the cache."""
    cdef uintptr_t at = (<uintptr_t>block + 63) & ~(<uintptr_t>63)
    return <Event*>(at + 40)


cdef inline int _tree_init(Tree* t, int64_t capacity) noexcept nogil:
    t.size = 0
    t.capacity = capacity if capacity > 0 else 1
    t.block = malloc(t.capacity * sizeof(Event) + 128)
    if t.block == NULL:
        t.data = NULL
        t.capacity = 0
        return -1
    t.data = _placed(t.block)
    return 0


cdef inline void _tree_free(Tree* t) noexcept nogil:
    free(t.block)
    t.block = NULL
    t.data = NULL


cdef inline int heap_init(Heap* h, int64_t capacity) noexcept nogil:
    """An empty queue with room for ``capacity`` events in its main heap; -1 when out of memory."""
    h.sequence = 0
    h.main.block = NULL
    h.arrivals.block = NULL
    h.wheel = NULL
    h.wheel_size = 0
    h.lane_head = 0
    h.lane_size = 0
    h.lane_capacity = 64
    h.lane = <Event*>malloc(h.lane_capacity * sizeof(Event))
    if _tree_init(&h.main, capacity) != 0 or _tree_init(&h.arrivals, 16) != 0 or h.lane == NULL:
        heap_free(h)
        return -1
    return 0


cdef inline void heap_free(Heap* h) noexcept nogil:
    cdef int64_t b
    _tree_free(&h.main)
    _tree_free(&h.arrivals)
    if h.wheel != NULL:
        for b in range(WHEEL_BUCKETS):
            free(h.wheel[b].data)
        free(h.wheel)
        h.wheel = NULL
    h.wheel_size = 0
    free(h.lane)
    h.lane = NULL
    h.lane_capacity = 0
    h.lane_size = 0


cdef inline int _tree_grow(Tree* t) noexcept nogil:
    """Double the room (a new aligned block, the events copied); -1 when out of memory."""
    cdef void* block = malloc(2 * t.capacity * sizeof(Event) + 128)
    cdef Event* data
    if block == NULL:
        return -1
    data = _placed(block)
    memcpy(data, t.data, t.size * sizeof(Event))
    free(t.block)
    t.block = block
    t.data = data
    t.capacity *= 2
    return 0


cdef inline uint64_t _bits(double time) noexcept nogil:
    """The bit pattern of ``time``: for non-negative doubles (+0.0 to +inf) it orders like
    the numbers, so the heap compares times as integers (cheaper than two double compares)."""
    cdef uint64_t bits
    memcpy(&bits, &time, sizeof(double))
    return bits


cdef inline bint _before(Event* a, Event* b) noexcept nogil:
    # one 128-bit comparison of (time bits, order): no branch for the CPU to mispredict in
    # the heap, and fewer instructions than comparing the two words apart (callgrind: -13 %
    # in the loop on erlang_a)
    return (((<uint128_t>_bits(a.time)) << 64) | a.order) < (((<uint128_t>_bits(b.time)) << 64) | b.order)


cdef inline bint event_before(Event* a, Event* b) noexcept nogil:
    """Whether event a comes before event b."""
    return _before(a, b)


cdef inline void _event(Heap* h, Event* ev, double time, int32_t kind, int32_t target, uint32_t gen) noexcept nogil:
    """Fill in an event to push: its key takes the next sequence number."""
    ev.time = time + 0.0  # -0.0 becomes +0.0 (a negative zero's bits would sort last)
    ev.order = (<uint64_t>kind << 56) | h.sequence
    ev.target = target
    ev.gen = gen
    h.sequence += 1


cdef inline int _tree_push(Tree* t, Event* ev) noexcept nogil:
    """Add ``ev`` to a heap; -1 when out of memory (the heap is then unchanged)."""
    cdef int64_t i, parent
    if t.size == t.capacity:
        if _tree_grow(t) != 0:
            return -1
    i = t.size
    t.size += 1
    while i > 0:
        parent = (i - 1) >> 2
        if not _before(ev, &t.data[parent]):
            break
        t.data[i] = t.data[parent]
        i = parent
    t.data[i] = ev[0]
    return 0


cdef inline int heap_push(Heap* h, double time, int32_t kind, int32_t target, uint32_t gen) noexcept nogil:
    """Add an event to the main heap; -1 when out of memory."""
    cdef Event ev
    _event(h, &ev, time, kind, target, gen)
    return _tree_push(&h.main, &ev)


cdef inline int heap_push_arrival(Heap* h, double time, int32_t kind, int32_t target, uint32_t gen) noexcept nogil:
    """Add an event to the arrivals' heap: for kinds with one event pending per source at most,
    so that heap stays small (its pushes and pops do not walk the main heap); -1 when out of memory."""
    cdef Event ev
    _event(h, &ev, time, kind, target, gen)
    return _tree_push(&h.arrivals, &ev)


cdef inline int heap_wheel_start(Heap* h, double width, double now) noexcept nogil:
    """Start the wheel with buckets of ``width`` seconds, the first holding ``now``; 0 when
    started, 1 when the width does not suit (not positive and finite, or times too many widths
    away for bucket numbers), -1 when out of memory."""
    if not (width > 0.0 and width < 1e300) or now / width > 4e18:
        return 1
    h.wheel = <Bucket*>calloc(WHEEL_BUCKETS, sizeof(Bucket))
    if h.wheel == NULL:
        return -1
    h.wheel_width = width
    h.wheel_base = <int64_t>(now / width)
    return 0


cdef inline int heap_push_timer(Heap* h, double now, double time, int32_t kind, int32_t target,
                                uint32_t gen) noexcept nogil:
    """Add a timer set at ``now`` (no event before it is left): to its bucket of the wheel when
    the wheel has started and the bucket is one of the next WHEEL_BUCKETS not yet taken, else to
    the main heap; -1 when out of memory. An empty wheel first moves on to ``now``'s bucket (after
    a quiet spell, a night without callers waiting, its buckets would all lie in the past)."""
    cdef Event ev
    cdef double x
    cdef int64_t b
    cdef Bucket* bucket
    cdef Event* grown
    _event(h, &ev, time, kind, target, gen)
    if h.wheel != NULL:
        if h.wheel_size == 0:
            b = <int64_t>(now / h.wheel_width)
            if b > h.wheel_base:
                h.wheel_base = b
        x = ev.time / h.wheel_width
        if x < <double>(h.wheel_base + WHEEL_BUCKETS):
            b = <int64_t>x
            if b >= h.wheel_base:
                bucket = &h.wheel[b & (WHEEL_BUCKETS - 1)]
                if bucket.size == bucket.capacity:
                    grown = <Event*>realloc(bucket.data, (2 * bucket.capacity + 8) * sizeof(Event))
                    if grown == NULL:
                        return -1
                    bucket.data = grown
                    bucket.capacity = 2 * bucket.capacity + 8
                bucket.data[bucket.size] = ev
                bucket.size += 1
                h.wheel_size += 1
                return 0
    return _tree_push(&h.main, &ev)


cdef inline bint heap_wheel_due(Heap* h, Event* first) noexcept nogil:
    """Whether the wheel's first bucket must be taken before ``first``, the earliest event
    elsewhere (NULL: none), is popped: it holds timers and may hold one as early as ``first``
    (its times are at least b w, less a margin for the rounding of time / w)."""
    if h.wheel_size == 0:
        return False
    return first == NULL or (h.wheel_base * h.wheel_width) * (1.0 - 1e-12) <= first.time


cdef inline int64_t heap_wheel_take(Heap* h, Event** events) noexcept nogil:
    """Take the wheel's first bucket: its timers (in ``events``, valid until heap_wheel_done or
    the next push to the wheel) and their number; the next bucket becomes the first."""
    cdef Bucket* bucket = &h.wheel[h.wheel_base & (WHEEL_BUCKETS - 1)]
    cdef int64_t n = bucket.size
    events[0] = bucket.data
    bucket.size = 0
    h.wheel_size -= n
    h.wheel_base += 1
    return n


cdef inline void heap_wheel_done(Heap* h) noexcept nogil:
    """After the timers of heap_wheel_take are dealt with: free the bucket's array when it grew
    beyond 256 events (a burst), so that the 64 buckets keep at most 6 kB each between uses,
    not every burst they have seen."""
    cdef Bucket* bucket = &h.wheel[(h.wheel_base - 1) & (WHEEL_BUCKETS - 1)]
    if bucket.capacity > 256:
        free(bucket.data)
        bucket.data = NULL
        bucket.capacity = 0


cdef inline int heap_push_event(Heap* h, Event* ev) noexcept nogil:
    """Put an event taken from the wheel into the main heap, its key unchanged; -1 when out of memory."""
    return _tree_push(&h.main, ev)


cdef inline int _lane_grow(Heap* h) noexcept nogil:
    """Double the lane's ring (unwrapped into a new one); -1 when out of memory."""
    cdef Event* lane = <Event*>malloc(2 * h.lane_capacity * sizeof(Event))
    cdef int64_t j, mask = h.lane_capacity - 1
    if lane == NULL:
        return -1
    for j in range(h.lane_size):
        lane[j] = h.lane[(h.lane_head + j) & mask]
    free(h.lane)
    h.lane = lane
    h.lane_head = 0
    h.lane_capacity *= 2
    return 0


cdef inline int heap_push_lane(Heap* h, double time, int32_t kind, int32_t target, uint32_t gen) noexcept nogil:
    """Add an event that is likely to come after every event pushed so far this way (an
    after-call work of constant length, a timer of constant delay): it goes at the end of the
    lane, in O(1), when its key is after the lane's last, and into the main heap otherwise.
    The lane stays in key order and pops merge it with the heaps, so the order of events is
    the same whatever is pushed here. -1 when out of memory."""
    cdef Event ev
    cdef Event* last
    _event(h, &ev, time, kind, target, gen)
    if h.lane_size > 0:
        last = &h.lane[(h.lane_head + h.lane_size - 1) & (h.lane_capacity - 1)]
        if not _before(last, &ev):
            return _tree_push(&h.main, &ev)
    if h.lane_size == h.lane_capacity:
        if _lane_grow(h) != 0:
            return -1
    h.lane[(h.lane_head + h.lane_size) & (h.lane_capacity - 1)] = ev
    h.lane_size += 1
    return 0


cdef inline int64_t heap_count(Heap* h) noexcept nogil:
    """Events waiting, in the heaps, the lane and the wheel."""
    return h.main.size + h.arrivals.size + h.lane_size + h.wheel_size


cdef inline Event* heap_first(Heap* h) noexcept nogil:
    """The earliest event outside the wheel (the earliest of the main heap's root, the
    arrivals' root and the lane's first); NULL when there is none. Unless heap_wheel_due, the
    earliest of all."""
    cdef Event* best = NULL
    if h.main.size > 0:
        best = &h.main.data[0]
    if h.arrivals.size > 0 and (best == NULL or _before(&h.arrivals.data[0], best)):
        best = &h.arrivals.data[0]
    if h.lane_size > 0 and (best == NULL or _before(&h.lane[h.lane_head], best)):
        best = &h.lane[h.lane_head]
    return best


cdef inline int64_t _least_child(Tree* t, int64_t child, int64_t n) noexcept nogil:
    """The earliest of the (up to four) children starting at ``child`` (< n)."""
    cdef int64_t best = child, j
    if child + 3 < n:  # all four: a tournament, no branch on the data
        j = child + 2 + _before(&t.data[child + 3], &t.data[child + 2])
        best = child + _before(&t.data[child + 1], &t.data[child])
        if _before(&t.data[j], &t.data[best]):
            best = j
        return best
    for j in range(child + 1, n):
        if _before(&t.data[j], &t.data[best]):
            best = j
    return best


cdef inline void heap_pop(Heap* h, Event* first, Event* out) noexcept nogil:
    """Remove ``first`` (as heap_first gave it, nothing pushed since) into ``out``."""
    if first == &h.main.data[0]:
        _tree_pop(&h.main, out)
    elif first == &h.arrivals.data[0]:
        _tree_pop(&h.arrivals, out)
    else:
        out[0] = first[0]
        h.lane_head = (h.lane_head + 1) & (h.lane_capacity - 1)
        h.lane_size -= 1


cdef inline void _tree_pop(Tree* t, Event* out) noexcept nogil:
    """Remove a heap's root into ``out`` (the heap must not be empty).

    A 4-ary heap (half the levels of a binary one; four 24-byte children span two cache
    lines). Bottom-up: the hole left at the root goes down to a leaf along the earliest
    children, then the last event sifts up from there, which is short because it is usually
    a late one. Keys are unique, so the order of events is the same as with a textbook heap.
    """
    cdef int64_t i = 0, child, parent, n
    cdef Event last
    out[0] = t.data[0]
    t.size -= 1
    n = t.size
    if n == 0:
        return
    last = t.data[n]
    child = 1
    while child < n:
        child = _least_child(t, child, n)
        t.data[i] = t.data[child]
        i = child
        child = 4 * i + 1
    while i > 0:
        parent = (i - 1) >> 2
        if not _before(&last, &t.data[parent]):
            break
        t.data[i] = t.data[parent]
        i = parent
    t.data[i] = last
