# Routing structures of the core: idle agents kept in order of a key (the agent-selection
# policies fewest_calls, best_proficiency, best_conversion), a pool of idle agents to draw from
# at random, and the rules of a (call type, group) pair. Twin: ccsim.engines.routing.
#
# A keyed heap holds the idle agents of one group, ordered by (key, idle since, agent index):
# every key is unique, so the top is the same whatever the heap's layout. Each agent knows its
# position in each heap it is in (removal in O(log n) when it is taken through another heap, or
# goes off duty).
from libc.stdint cimport int32_t


cdef struct AgentHeap:
    int32_t* data        # agent indices; capacity = the group's agents (the owner allocates)
    int32_t size
    int32_t slot         # this heap's key column: keys.key[agent * keys.stride + slot]

cdef struct IdleKeys:
    double* key          # [agent * stride + slot]: smaller first
    double* since        # [agent]: when it became idle (ties: the longest idle first)
    int32_t* pos         # [agent * stride + slot]: its position in that heap
    int32_t stride

cdef struct AgentPool:   # idle agents of one group, drawn from uniformly (swap-remove array)
    int32_t* data
    int32_t size


cdef inline bint agent_before(IdleKeys* k, int32_t slot, int32_t a, int32_t b) noexcept nogil:
    """Whether idle agent a comes before b in a heap of key column ``slot``."""
    cdef double x = k.key[a * k.stride + slot], y = k.key[b * k.stride + slot]
    if x != y:
        return x < y
    if k.since[a] != k.since[b]:
        return k.since[a] < k.since[b]
    return a < b


cdef inline void _place(AgentHeap* h, IdleKeys* k, int32_t i, int32_t a) noexcept nogil:
    h.data[i] = a
    k.pos[a * k.stride + h.slot] = i


cdef inline void _sift_up(AgentHeap* h, IdleKeys* k, int32_t i, int32_t a) noexcept nogil:
    cdef int32_t parent
    while i > 0:
        parent = (i - 1) >> 1
        if not agent_before(k, h.slot, a, h.data[parent]):
            break
        _place(h, k, i, h.data[parent])
        i = parent
    _place(h, k, i, a)


cdef inline void _sift_down(AgentHeap* h, IdleKeys* k, int32_t i, int32_t a) noexcept nogil:
    cdef int32_t child
    while True:
        child = 2 * i + 1
        if child >= h.size:
            break
        if child + 1 < h.size and agent_before(k, h.slot, h.data[child + 1], h.data[child]):
            child += 1
        if not agent_before(k, h.slot, h.data[child], a):
            break
        _place(h, k, i, h.data[child])
        i = child
    _place(h, k, i, a)


cdef inline void agent_heap_push(AgentHeap* h, IdleKeys* k, int32_t a) noexcept nogil:
    h.size += 1
    _sift_up(h, k, h.size - 1, a)


cdef inline void agent_heap_remove(AgentHeap* h, IdleKeys* k, int32_t a) noexcept nogil:
    """Take agent a (in the heap) out of it, wherever it is."""
    cdef int32_t i = k.pos[a * k.stride + h.slot], last
    h.size -= 1
    if i == h.size:
        return
    last = h.data[h.size]
    if i > 0 and agent_before(k, h.slot, last, h.data[(i - 1) >> 1]):
        _sift_up(h, k, i, last)
    else:
        _sift_down(h, k, i, last)


cdef inline void agent_heap_build(AgentHeap* h, IdleKeys* k) noexcept nogil:
    """Restore the heap order after its keys changed (bottom-up heapify)."""
    cdef int32_t i = h.size // 2 - 1
    while i >= 0:
        _sift_down(h, k, i, h.data[i])
        i -= 1


cdef inline void pool_add(AgentPool* p, int32_t* where, int32_t a) noexcept nogil:
    where[a] = p.size
    p.data[p.size] = a
    p.size += 1


cdef inline void pool_remove(AgentPool* p, int32_t* where, int32_t a) noexcept nogil:
    """Take agent a out: the last agent of the pool moves into its place."""
    cdef int32_t i = where[a], last
    p.size -= 1
    last = p.data[p.size]
    p.data[i] = last
    where[last] = i


cdef inline bint pair_allows(double after, double ewt_over, int32_t queue_over, int32_t min_idle, double now,
                             double arrival, int32_t waiting, double wait_unit, int32_t idle) noexcept nogil:
    """Whether a group may take a call (of a type it serves) that arrived at ``arrival``, with
    ``waiting`` callers of that type counting the call, ``idle`` of its agents idle counting the
    one that would take it: the call waited ``after`` seconds or the expected wait is over
    ``ewt_over``; more than ``queue_over`` wait (-1: no threshold); more than ``min_idle`` idle."""
    if now < arrival + after and <double>waiting * wait_unit <= ewt_over:
        return False
    if queue_over >= 0 and waiting <= queue_over:
        return False
    return idle > min_idle
