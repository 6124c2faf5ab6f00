# The event heap: a 4-ary min-heap of events ordered by (time, kind, sequence).
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t, uintptr_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

cdef extern from *:
    ctypedef unsigned long long uint128_t "unsigned __int128"  # GCC and Clang


cdef struct Event:
    double time
    uint64_t order       # kind << 56 | sequence number: deterministic ties
    int32_t kind
    int32_t target
    uint32_t gen         # call-slot generation, to ignore stale abandonments

cdef struct Heap:        # heap_init allocates, heap_free frees
    Event* data          # inside block, placed so that each node's four children share two cache lines
    void* block          # the malloc'd memory
    int64_t size
    int64_t capacity
    uint64_t sequence    # events pushed so far (the tie-break after kind)


cdef inline Event* _placed(void* block) noexcept nogil:
    """Where the events start in a block of 64 bytes more than they need: 32 bytes past a
    64-byte boundary, so children 4i+1 .. 4i+4 (bytes 128 i + 32 .. 128 i + 160 of the array)
    fill exactly two cache lines. A sift-down then reads two lines per level, not two or three
    (LaMarca and Ladner's aligned d-heap); it matters when the heap is out of the cache."""
    cdef uintptr_t at = (<uintptr_t>block + 63) & ~(<uintptr_t>63)
    return <Event*>(at + 32)


cdef inline int heap_init(Heap* h, int64_t capacity) noexcept nogil:
    """An empty heap with room for ``capacity`` events; -1 when out of memory."""
    h.size = 0
    h.sequence = 0
    h.capacity = capacity if capacity > 0 else 1
    h.block = malloc(h.capacity * sizeof(Event) + 96)
    if h.block == NULL:
        h.data = NULL
        h.capacity = 0
        return -1
    h.data = _placed(h.block)
    return 0


cdef inline void heap_free(Heap* h) noexcept nogil:
    free(h.block)
    h.block = NULL
    h.data = NULL


cdef inline int _heap_grow(Heap* h) noexcept nogil:
    """Double the room (a new aligned block, the events copied); -1 when out of memory."""
    cdef void* block = malloc(2 * h.capacity * sizeof(Event) + 96)
    cdef Event* data
    if block == NULL:
        return -1
    data = _placed(block)
    memcpy(data, h.data, h.size * sizeof(Event))
    free(h.block)
    h.block = block
    h.data = data
    h.capacity *= 2
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


cdef inline int heap_push(Heap* h, double time, int32_t kind, int32_t target, uint32_t gen) noexcept nogil:
    """Add an event; -1 when out of memory (the heap is then unchanged)."""
    cdef int64_t i, parent
    cdef Event ev
    if h.size == h.capacity:
        if _heap_grow(h) != 0:
            return -1
    ev.time = time + 0.0  # -0.0 becomes +0.0 (a negative zero's bits would sort last)
    ev.order = (<uint64_t>kind << 56) | h.sequence
    ev.kind = kind
    ev.target = target
    ev.gen = gen
    h.sequence += 1
    i = h.size
    h.size += 1
    while i > 0:
        parent = (i - 1) >> 2
        if not _before(&ev, &h.data[parent]):
            break
        h.data[i] = h.data[parent]
        i = parent
    h.data[i] = ev
    return 0


cdef inline int64_t _least_child(Heap* h, int64_t child, int64_t n) noexcept nogil:
    """The earliest of the (up to four) children starting at ``child`` (< n)."""
    cdef int64_t best = child, j
    if child + 3 < n:  # all four: a tournament, no branch on the data
        j = child + 2 + _before(&h.data[child + 3], &h.data[child + 2])
        best = child + _before(&h.data[child + 1], &h.data[child])
        if _before(&h.data[j], &h.data[best]):
            best = j
        return best
    for j in range(child + 1, n):
        if _before(&h.data[j], &h.data[best]):
            best = j
    return best


cdef inline void heap_pop(Heap* h, Event* out) noexcept nogil:
    """Remove the earliest event into ``out`` (the heap must not be empty).

    A 4-ary heap (half the levels of a binary one; four 32-byte children fill two cache
    lines). Bottom-up: the hole left at the root goes down to a leaf along the earliest
    children, then the last event sifts up from there, which is short because it is usually
    a late one. Keys are unique, so the order of events is the same as with a textbook heap.
    """
    cdef int64_t i = 0, child, parent, n
    cdef Event last
    out[0] = h.data[0]
    h.size -= 1
    n = h.size
    if n == 0:
        return
    last = h.data[n]
    child = 1
    while child < n:
        child = _least_child(h, child, n)
        h.data[i] = h.data[child]
        i = child
        child = 4 * i + 1
    while i > 0:
        parent = (i - 1) >> 2
        if not _before(&last, &h.data[parent]):
            break
        h.data[i] = h.data[parent]
        i = parent
    h.data[i] = last
