# Routing structures of the core: idle agents kept in order of a key (the agent-selection
# policies fewest_calls, best_proficiency, best_conversion), a pool of idle agents to draw from
# at random, and the rules of a (call type, group) pair. Twin: ccsim.engines.routing.
#
# A keyed heap holds the idle agents of one group, ordered by (key, idle since, agent index):
# every key is unique, so the top is the same whatever the heap's layout. Each agent knows its
# position in each heap it is in (removal in O(log n) when it is taken through another heap, or
# goes off duty).
#
# Longest idle over many groups: the groups of one class (those serving the same set of call
# types) that have an idle agent are kept in one list ordered by their head's key (idle since,
# head agent index), so that a call type's longest-idle agent is the first of each of its
# classes' lists, not a walk over its groups (ClassOrder). Longest waiting over many types, the
# same way: the types of one class (served by the same set of groups) with callers waiting, by
# their head's (arrival, call type).
from libc.stdint cimport int32_t, int64_t, uint64_t
from libc.string cimport memcpy

cdef extern from *:
    ctypedef unsigned long long uint128_t "unsigned __int128"  # GCC and Clang


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


cdef struct ClassOrder:  # a class's members (groups or types) with a head, by their head's key (smallest first)
    int32_t first        # -1: none
    int32_t last

cdef struct HeadKeys:    # per member (group or call type), for the class orders
    uint128_t* key       # [member]: its head's key (head_key: idle since and agent, arrival and type)
    int32_t* next        # [member]: links within its class's order
    int32_t* prev


cdef inline uint128_t head_key(double time, int32_t index) noexcept nogil:
    """(time, index) as one integer that orders like the pair (time as ``<`` and ``==`` compare
    it, index >= 0): the bits of a non-negative double order like the number; a negative one's
    are inverted, a non-negative one's sign bit set, and -0.0 is taken as +0.0 first."""
    cdef uint64_t bits
    time = time + 0.0  # -0.0 -> +0.0 (== compares them equal); every other value unchanged
    memcpy(&bits, &time, sizeof(double))
    bits ^= (<uint64_t>((<int64_t>bits) >> 63)) | ((<uint64_t>1) << 63)
    return ((<uint128_t>bits) << 64) | <uint64_t>index


cdef inline void _order_link(ClassOrder* o, HeadKeys* h, int32_t g, int32_t before) noexcept nogil:
    """Link group g into the order just before group ``before`` (-1: at the end)."""
    cdef int32_t after = h.prev[before] if before >= 0 else o.last
    h.next[g] = before
    h.prev[g] = after
    if after >= 0:
        h.next[after] = g
    else:
        o.first = g
    if before >= 0:
        h.prev[before] = g
    else:
        o.last = g


cdef inline void order_remove(ClassOrder* o, HeadKeys* h, int32_t g) noexcept nogil:
    """Group g (in the order) out of it."""
    if h.prev[g] >= 0:
        h.next[h.prev[g]] = h.next[g]
    else:
        o.first = h.next[g]
    if h.next[g] >= 0:
        h.prev[h.next[g]] = h.prev[g]
    else:
        o.last = h.prev[g]


cdef inline void order_insert(ClassOrder* o, HeadKeys* h, int32_t g, int32_t near) noexcept nogil:
    """Group g (not in the order, h.key[g] set) into its place, searched from group ``near``
    (in the order; -1: from the end). O(groups passed): a group whose head just became idle
    has the latest key (idle since now) and goes last at once."""
    cdef uint128_t key = h.key[g]
    cdef int32_t at = near if near >= 0 else o.last
    if at >= 0 and h.key[at] > key:  # backwards to the first group before g
        while at >= 0 and h.key[at] > key:
            at = h.prev[at]
        _order_link(o, h, g, h.next[at] if at >= 0 else o.first)
        return
    at = h.next[at] if at >= 0 else o.first  # forwards to the first group after g
    while at >= 0 and h.key[at] < key:
        at = h.next[at]
    _order_link(o, h, g, at)


cdef inline void order_enter(ClassOrder* orders, HeadKeys* h, uint64_t* nonempty, int32_t c, int32_t m,
                             uint128_t key, int32_t near) noexcept nogil:
    """Member m of class c (not in its order) in by ``key``, searched from member ``near`` (-1: from
    the end); c's bit in ``nonempty`` set."""
    h.key[m] = key
    if orders[c].first < 0:
        nonempty[c >> 6] |= (<uint64_t>1) << (c & 63)
    order_insert(&orders[c], h, m, near)


cdef inline int32_t order_leave(ClassOrder* orders, HeadKeys* h, uint64_t* nonempty, int32_t c,
                                int32_t m) noexcept nogil:
    """Member m of class c out of its order (c's bit cleared if that empties it); returns a member
    next to where m was (-1: none), to search from if m comes back with a new key."""
    cdef int32_t near = h.prev[m] if h.prev[m] >= 0 else h.next[m]
    order_remove(&orders[c], h, m)
    if orders[c].first < 0:
        nonempty[c >> 6] &= ~((<uint64_t>1) << (c & 63))
    return near


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
