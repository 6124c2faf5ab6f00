# The event queue: events ordered by (time, kind, sequence), kept in places that pops merge:
# a 4-ary min-heap (most events), a small 4-ary heap of the arrivals (one pending per source,
# heap_push_arrival), and LANES lanes, FIFOs of events pushed in key order (heap_push_lane:
# events at a constant delay, one lane per kind of delay). Keys are unique, so the order of
# events is the same as with one heap.
# Events due later may wait in a wheel of time buckets first, and enter the main heap when
# their bucket is due: patience timers, which mostly go stale (heap_push_timer: the owner
# moves a bucket's live timers into the main heap, heap_wheel_due and heap_wheel_take, and
# drops the stale ones unpopped), and, in a large center, the ends of talks (heap_push_far:
# the main heap then holds only the next bucket's ends, not one per busy agent).
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t, uintptr_t
from libc.stdlib cimport calloc, free, malloc, realloc
from libc.math cimport NAN
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
    LANES = 2            # lane 0: the ends of after-call work; lane 1: re-routing delays
    WHEEL_BUCKETS = 64   # the timers' wheel (a power of 2)
    BUCKET_KEPT = 256    # a timers' bucket's array is freed after use when it grew past this (a burst)

cdef struct Bucket:      # the events of one bucket of a wheel, in no order
    Event* data
    int64_t size
    int64_t capacity

cdef struct Lane:        # a ring of events in key order
    Event* data          # capacity (a power of 2) events
    int64_t head         # index of the first event
    int64_t size
    int64_t capacity

cdef struct Wheel:       # buckets of ``width`` seconds: bucket number b holds times b w .. (b + 1) w
    Bucket* buckets      # ``mask`` + 1 of them, a power of 2 (NULL: not started)
    int64_t mask
    double width
    int64_t base         # the number of the first bucket not yet taken
    int64_t size         # events in the wheel
    double due           # an event at this time or later waits for the first bucket (NaN: empty)

cdef struct Heap:        # heap_init allocates, heap_free frees
    Tree main            # every event not pushed to one of the places below
    Tree arrivals        # the arrivals' next rings: as many as sources, a heap that stays in L1
    Lane lanes[LANES]
    uint64_t sequence    # events pushed so far (the tie-break after kind)
    Wheel wheel          # patience timers (heap_push_timer)
    Wheel far            # ends of talks in a large center (heap_push_far)


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
    h.wheel.buckets = NULL
    h.wheel.size = 0
    h.wheel.due = NAN
    h.far.buckets = NULL
    h.far.size = 0
    h.far.due = NAN
    cdef int32_t j
    cdef bint lanes_ok = True
    for j in range(LANES):
        h.lanes[j].head = 0
        h.lanes[j].size = 0
        h.lanes[j].capacity = 64
        h.lanes[j].data = <Event*>malloc(64 * sizeof(Event))
        lanes_ok = lanes_ok and h.lanes[j].data != NULL
    if _tree_init(&h.main, capacity) != 0 or _tree_init(&h.arrivals, 16) != 0 or not lanes_ok:
        heap_free(h)
        return -1
    return 0


cdef inline void _wheel_free(Wheel* w) noexcept nogil:
    cdef int64_t b
    if w.buckets != NULL:
        for b in range(w.mask + 1):
            free(w.buckets[b].data)
        free(w.buckets)
        w.buckets = NULL
    w.size = 0
    w.due = NAN


cdef inline void heap_free(Heap* h) noexcept nogil:
    _tree_free(&h.main)
    _tree_free(&h.arrivals)
    _wheel_free(&h.wheel)
    _wheel_free(&h.far)
    cdef int32_t j
    for j in range(LANES):
        free(h.lanes[j].data)
        h.lanes[j].data = NULL
        h.lanes[j].capacity = 0
        h.lanes[j].size = 0


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


cdef inline void heap_replace_arrival(Heap* h, double time, int32_t kind, int32_t target, uint32_t gen) noexcept nogil:
    """Put a new event in the place of the arrivals' root (the arrival being handled, which the
    loop left there instead of popping it): the root's pop and the new event's push in one
    pass, the same keys and so the same order as ``_tree_pop`` then ``heap_push_arrival``."""
    cdef Event ev
    _event(h, &ev, time, kind, target, gen)
    _tree_replace_root(&h.arrivals, &ev)


cdef inline void heap_drop_arrival(Heap* h) noexcept nogil:
    """Remove the arrivals' root (the arrival being handled, when its source has no next one)."""
    cdef Event out
    _tree_pop(&h.arrivals, &out)


cdef inline int _wheel_start(Wheel* w, double width, int64_t buckets, double now) noexcept nogil:
    """Start a wheel of ``buckets`` (a power of 2) buckets of ``width`` seconds, the first
    holding ``now``; 0 when started, 1 when the width does not suit (not positive and finite,
    or times too many widths away for bucket numbers), -1 when out of memory."""
    if not (width > 0.0 and width < 1e300) or now / width > 4e18:
        return 1
    w.buckets = <Bucket*>calloc(buckets, sizeof(Bucket))
    if w.buckets == NULL:
        return -1
    w.mask = buckets - 1
    w.width = width
    w.base = <int64_t>(now / width)
    w.due = NAN
    return 0


cdef inline void _wheel_set_due(Wheel* w) noexcept nogil:
    """``due``: the first bucket's start b w, less a margin for the rounding of time / w (its
    events may be that early), or NaN when the wheel is empty (no time compares at or after
    it, not even inf)."""
    w.due = (w.base * w.width) * (1.0 - 1e-12) if w.size > 0 else NAN


cdef inline int _wheel_push(Heap* h, Wheel* w, double now, Event* ev) noexcept nogil:
    """Add an event set at ``now`` (no event before it is left): to its bucket of wheel w when
    the wheel has started and the bucket is one of its next buckets not yet taken, else to the
    main heap; -1 when out of memory. An empty wheel first moves on to ``now``'s bucket (after
    a quiet spell, a night without callers waiting, its buckets would all lie in the past)."""
    cdef double x
    cdef int64_t b
    cdef Bucket* bucket
    cdef Event* grown
    if w.buckets != NULL:
        if w.size == 0:
            x = now / w.width
            if x < 4e18:  # a bucket number (a clock past it keeps the wheel where it is)
                b = <int64_t>x
                if b > w.base:
                    w.base = b
        x = ev.time / w.width
        if x < <double>(w.base + w.mask + 1):
            b = <int64_t>x
            if b >= w.base:
                bucket = &w.buckets[b & w.mask]
                if bucket.size == bucket.capacity:
                    grown = <Event*>realloc(bucket.data, (2 * bucket.capacity + 8) * sizeof(Event))
                    if grown == NULL:
                        return -1
                    bucket.data = grown
                    bucket.capacity = 2 * bucket.capacity + 8
                bucket.data[bucket.size] = ev[0]
                bucket.size += 1
                w.size += 1
                if w.size == 1:
                    _wheel_set_due(w)
                return 0
    return _tree_push(&h.main, ev)


cdef inline bint _wheel_due(Wheel* w, Event* first) noexcept nogil:
    """Whether wheel w's first bucket must be taken before ``first``, the earliest event
    elsewhere (NULL: none), is popped: it holds events and may hold one as early as ``first``."""
    if first == NULL:
        return w.size > 0
    return w.due <= first.time


cdef inline int64_t _wheel_take(Wheel* w, Event** events) noexcept nogil:
    """Take wheel w's first bucket: its events (in ``events``, valid until _wheel_done or the
    next push to the wheel) and their number; the next bucket becomes the first."""
    cdef Bucket* bucket = &w.buckets[w.base & w.mask]
    cdef int64_t n = bucket.size
    events[0] = bucket.data
    bucket.size = 0
    w.size -= n
    w.base += 1
    _wheel_set_due(w)
    return n


cdef inline void _wheel_done(Wheel* w, int64_t kept) noexcept nogil:
    """After the events of _wheel_take are dealt with: free the bucket's array when it grew
    beyond ``kept`` events."""
    cdef Bucket* bucket = &w.buckets[(w.base - 1) & w.mask]
    if bucket.capacity > kept:
        free(bucket.data)
        bucket.data = NULL
        bucket.capacity = 0


cdef inline int heap_wheel_start(Heap* h, double width, double now) noexcept nogil:
    """Start the timers' wheel: WHEEL_BUCKETS buckets of ``width`` seconds (``_wheel_start``)."""
    return _wheel_start(&h.wheel, width, WHEEL_BUCKETS, now)


cdef inline int heap_push_timer(Heap* h, double now, double time, int32_t kind, int32_t target,
                                uint32_t gen) noexcept nogil:
    """Add a timer set at ``now``: to the timers' wheel (``_wheel_push``) or the main heap; -1
    when out of memory."""
    cdef Event ev
    _event(h, &ev, time, kind, target, gen)
    return _wheel_push(h, &h.wheel, now, &ev)


cdef inline bint heap_wheel_due(Heap* h, Event* first) noexcept nogil:
    """Whether the timers' first bucket must be taken before ``first`` (``_wheel_due``)."""
    return _wheel_due(&h.wheel, first)


cdef inline int64_t heap_wheel_take(Heap* h, Event** events) noexcept nogil:
    """Take the timers' first bucket (``_wheel_take``): the owner puts the live ones into the
    main heap (heap_push_event), then calls heap_wheel_done."""
    return _wheel_take(&h.wheel, events)


cdef inline void heap_wheel_done(Heap* h) noexcept nogil:
    """After the timers of heap_wheel_take are dealt with: free the bucket's array when it grew
    beyond BUCKET_KEPT events (a burst), so that the 64 buckets keep at most 6 kB each between
    uses, not every burst they have seen."""
    _wheel_done(&h.wheel, BUCKET_KEPT)


cdef inline int heap_far_start(Heap* h, double width, int64_t buckets, double now) noexcept nogil:
    """Start the far wheel (``_wheel_start``): ``buckets`` a power of 2."""
    return _wheel_start(&h.far, width, buckets, now)


cdef inline int heap_push_far(Heap* h, double now, double time, int32_t kind, int32_t target,
                              uint32_t gen) noexcept nogil:
    """Add an event set at ``now`` to the far wheel (``_wheel_push``) or the main heap; -1 when
    out of memory. For events that never go stale (the ends of talks): a bucket, when due,
    goes into the main heap whole (heap_far_take)."""
    cdef Event ev
    _event(h, &ev, time, kind, target, gen)
    return _wheel_push(h, &h.far, now, &ev)


cdef inline bint heap_far_due(Heap* h, Event* first) noexcept nogil:
    """Whether the far wheel's first bucket must be taken before ``first`` (``_wheel_due``)."""
    return _wheel_due(&h.far, first)


cdef inline int heap_far_take(Heap* h) noexcept nogil:
    """Move the far wheel's first bucket into the main heap, keys unchanged (so the order of
    events is as if they had been there all along); -1 when out of memory. The bucket's array
    is freed: its next use starts far ahead with few events, and the wheel's memory stays in
    proportion to the events it holds, not to its buckets' past peaks (a wheel of thousands of
    buckets)."""
    cdef Event* events
    cdef int64_t i, n = _wheel_take(&h.far, &events)
    for i in range(n):
        if _tree_push(&h.main, &events[i]) != 0:
            return -1
    _wheel_done(&h.far, 0)
    return 0


cdef inline int heap_push_event(Heap* h, Event* ev) noexcept nogil:
    """Put an event taken from the wheel into the main heap, its key unchanged; -1 when out of memory."""
    return _tree_push(&h.main, ev)


cdef inline int _lane_grow(Lane* lane) noexcept nogil:
    """Double a lane's ring (unwrapped into a new one); -1 when out of memory."""
    cdef Event* data = <Event*>malloc(2 * lane.capacity * sizeof(Event))
    cdef int64_t j, mask = lane.capacity - 1
    if data == NULL:
        return -1
    for j in range(lane.size):
        data[j] = lane.data[(lane.head + j) & mask]
    free(lane.data)
    lane.data = data
    lane.head = 0
    lane.capacity *= 2
    return 0


cdef inline int heap_push_lane(Heap* h, int32_t which, double time, int32_t kind, int32_t target,
                               uint32_t gen) noexcept nogil:
    """Add an event that is likely to come after every event pushed so far to lane ``which``
    (an after-call work of constant length, a re-routing delay): it goes at the end of the
    lane, in O(1), when its key is after the lane's last, and into the main heap otherwise.
    The lanes stay in key order and pops merge them with the heaps, so the order of events is
    the same whatever is pushed here. -1 when out of memory."""
    cdef Event ev
    cdef Lane* lane = &h.lanes[which]
    cdef Event* last
    _event(h, &ev, time, kind, target, gen)
    if lane.size > 0:
        last = &lane.data[(lane.head + lane.size - 1) & (lane.capacity - 1)]
        if not _before(last, &ev):
            return _tree_push(&h.main, &ev)
    if lane.size == lane.capacity:
        if _lane_grow(lane) != 0:
            return -1
    lane.data[(lane.head + lane.size) & (lane.capacity - 1)] = ev
    lane.size += 1
    return 0


cdef inline int64_t heap_count(Heap* h) noexcept nogil:
    """Events waiting, in the heaps, the lanes and the wheels."""
    cdef int64_t n = h.main.size + h.arrivals.size + h.wheel.size + h.far.size
    cdef int32_t j
    for j in range(LANES):
        n += h.lanes[j].size
    return n


cdef inline Event* heap_first(Heap* h) noexcept nogil:
    """The earliest event outside the wheels (the earliest of the main heap's root, the
    arrivals' root and the lanes' first); NULL when there is none. Unless heap_wheel_due or
    heap_far_due, the earliest of all."""
    cdef Event* best = NULL
    if h.main.size > 0:
        best = &h.main.data[0]
    if h.arrivals.size > 0 and (best == NULL or _before(&h.arrivals.data[0], best)):
        best = &h.arrivals.data[0]
    cdef int32_t j
    for j in range(LANES):
        if h.lanes[j].size > 0 and (best == NULL or _before(&h.lanes[j].data[h.lanes[j].head], best)):
            best = &h.lanes[j].data[h.lanes[j].head]
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
    cdef int32_t j
    cdef Lane* lane
    if first == &h.main.data[0]:
        _tree_pop(&h.main, out)
    elif first == &h.arrivals.data[0]:
        _tree_pop(&h.arrivals, out)
    else:
        out[0] = first[0]
        for j in range(LANES):
            lane = &h.lanes[j]
            if lane.size > 0 and first == &lane.data[lane.head]:
                lane.head = (lane.head + 1) & (lane.capacity - 1)
                lane.size -= 1
                return


cdef inline void _tree_replace_root(Tree* t, Event* ev) noexcept nogil:
    """Replace a heap's root (the heap must not be empty) by ``ev``, bottom-up: the hole left at
    the root goes down along the earliest children to a leaf, then ``ev`` sifts up from there
    (short when it is a late one: a source's next arrival, or ``_tree_pop``'s last event). The
    sift-up is ``_tree_push``'s loop written out: as one shared function, +1.4 % instructions in
    erlang_a's loop (callgrind), and still +1.5 % with setup.py's larger inline budget (1.491 ->
    1.513 G; the 200-type center 531 -> 538 M), so not a matter of what GCC had left to inline."""
    cdef int64_t i = 0, child = 1, parent, n = t.size
    while child < n:
        child = _least_child(t, child, n)
        t.data[i] = t.data[child]
        i = child
        child = 4 * i + 1
    while i > 0:
        parent = (i - 1) >> 2
        if not _before(ev, &t.data[parent]):
            break
        t.data[i] = t.data[parent]
        i = parent
    t.data[i] = ev[0]


cdef inline void _tree_pop(Tree* t, Event* out) noexcept nogil:
    """Remove a heap's root into ``out`` (the heap must not be empty).

    A 4-ary heap (half the levels of a binary one; four 24-byte children span two cache
    lines). Bottom-up: the hole left at the root goes down to a leaf along the earliest
    children, then the last event sifts up from there, which is short because it is usually
    a late one. Keys are unique, so the order of events is the same as with a textbook heap.
    """
    cdef Event last
    out[0] = t.data[0]
    t.size -= 1
    if t.size == 0:
        return
    last = t.data[t.size]
    _tree_replace_root(t, &last)
