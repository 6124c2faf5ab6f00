# Statistics of one run: per-call counters by arrival interval and per-group clock time.
from libc.stdint cimport int32_t, int64_t

# Per-call statistics, by arrival interval; keep in step with results.CALL_FIELDS.
cdef enum:
    F_ARRIVED = 0
    F_BLOCKED = 1
    F_OFFERED = 2
    F_ANSWERED = 3
    F_ABANDONED = 4
    F_ANSWERED_IN_SL = 5
    F_ABANDONED_SHORT = 6
    F_WAIT_ANSWERED = 7
    F_WAIT_ABANDONED = 8
    F_TALK = 9
    F_HANDLE = 10
    F_WAITING_AT_END = 11
    F_RETRIALS = 12
    F_QUEUE_FULL = 13
    F_ROUTED = 14
    F_CLOSED = 15
    F_FORWARDED = 16
    F_CB_OFFERED = 17
    F_CB_ACCEPTED = 18
    F_VOICEMAILS = 19
    F_CB_REQUESTED = 20
    F_CB_DONE = 21
    F_CB_FAILED = 22
    F_CB_DELAY = 23
    F_CB_PENDING_AT_END = 24
    F_TRANSFERRED_OUT = 25
    F_TRANSFERRED_IN = 26
    F_CONSULTS = 27
    F_OVERFLOWED = 28
    F_ORDERS = 29
    F_ORDER_VALUE = 30
    N_CALL_FIELDS = 31

# Per entry, by the interval of the attempt's ring; keep in step with results.ENTRY_FIELDS.
cdef enum:
    E_ARRIVED = 0
    E_RETRIALS = 1
    E_BLOCKED = 2
    E_IVR_HUNG_UP = 3
    E_HANG_UP = 4
    E_SELF_SERVICE = 5
    E_VOICEMAIL = 6
    E_ROUTED = 7
    E_IN_IVR_AT_END = 8
    E_IVR_SECONDS = 9
    E_CLOSED = 10
    N_ENTRY_FIELDS = 11

# Per IVR node, totals; keep in step with results.NODE_FIELDS. The last three are
# also the branch kinds 2..4 (self-service, hang-up, voicemail) plus 3.
cdef enum:
    N_ENTERED = 0
    N_HUNG_UP = 1
    N_TO_NODE = 2
    N_TO_QUEUE = 3
    N_SELF_SERVICE = 4
    N_HANG_UP = 5
    N_VOICEMAIL = 6
    N_NODE_FIELDS = 7

# Per source of callers, totals; keep in step with results.CALLER_FIELDS.
cdef enum:
    C_CALLERS = 0
    C_SERVED = 1
    C_ABANDONED = 2
    C_BLOCKED = 3
    C_IVR_HUNG_UP = 4
    C_HANG_UP = 5
    C_SELF_SERVICE = 6
    C_VOICEMAIL = 7
    C_RETRY_AFTER_HORIZON = 8
    C_IN_SYSTEM_AT_END = 9
    C_CLOSED = 10
    C_CALLBACK_DONE = 11
    C_CALLBACK_FAILED = 12
    C_CALLBACK_PENDING = 13
    C_TIME_IN_CENTER = 14    # a sum of seconds, not a count (count_caller_time)
    N_CALLER_FIELDS = 15

# Per-group statistics; keep in step with results.GROUP_FIELDS.
cdef enum:
    G_ANSWERED = 0       # calls answered (post-warm-up arrivals)
    G_TALK = 1           # their talk time
    G_HANDLE = 2         # their talk + after-call work
    G_BUSY = 3           # clock time busy or in ACW within [warm-up, horizon]
    G_STAFFED = 4        # clock time logged in within [warm-up, horizon]
    N_GROUP_FIELDS = 5

# Per-agent totals (post-warm-up answers; clock time within [warm-up, horizon]); keep in step
# with results.AGENT_FIELDS.
cdef enum:
    A_ANSWERED = 0
    A_TALK = 1
    A_ACW = 2
    A_BUSY = 3
    A_STAFFED = 4
    A_TRANSFERS = 5
    N_AGENT_FIELDS = 6

# Per-interval, per-group clock time; keep in step with results.INTERVAL_GROUP_FIELDS.
cdef enum:
    IG_STAFFED = 0
    IG_BUSY = 1
    N_INTERVAL_GROUP_FIELDS = 2

cdef struct Stats:       # the arrays are borrowed (C order, zeroed by the owner)
    double* interval_calls   # [row, call type, N_CALL_FIELDS]: n_intervals + 1 rows (row_at)
    double* group_totals     # [group, N_GROUP_FIELDS]
    double* interval_groups  # [interval, group, N_INTERVAL_GROUP_FIELDS]
    double* interval_entries # [row, entry, N_ENTRY_FIELDS] (row_at)
    double* node_totals      # [node, N_NODE_FIELDS], post-warm-up rings
    double* callers          # [source, N_CALLER_FIELDS], post-warm-up first attempts
    double* interval_channels  # [row, 1 + channel, N_CALLER_FIELDS], 0 = organic, by first ring (row_at)
    double* airing_calls       # [airing, N_CALLER_FIELDS], post-warm-up first rings
    double* agent_totals       # [agent, N_AGENT_FIELDS]
    double* agent_types        # [agent, call type]: calls answered (post-warm-up arrivals)
    int32_t n_channels
    int32_t n_intervals
    int32_t n_types
    int32_t n_groups
    int32_t n_entries
    double interval          # seconds per reporting interval
    double warmup
    double horizon
    double* interval_within    # [row, call type, threshold]: answers with wait <= thresholds[j] (row_at)
    double* thresholds         # the extra service-level thresholds (CompiledModel.sl_thresholds)
    int32_t n_thresholds       # 0: none (nothing counted)
    int32_t boundary           # interval_of(warm-up): the one interval with calls before and after it


cdef inline int32_t interval_of(Stats* s, double t) noexcept nogil:
    # Bounded in floating point before the cast: a drained call can end far
    # past the horizon, where t / interval no longer fits an int32.
    cdef double i = t / s.interval
    return <int32_t>i if i < s.n_intervals else s.n_intervals - 1


cdef inline int32_t row_at(Stats* s, double t) noexcept nogil:
    """The row of the by-interval tables (``interval_calls``, ``interval_entries``,
    ``interval_channels``, ``interval_within``) where what happens to a call counted at ``t``
    counts: the row of its interval, except after the warm-up in the interval the warm-up ends in
    (``boundary``): the extra last row, n_intervals. Times before the warm-up fall in intervals up
    to the boundary and times after it from the boundary on, so the totals after the warm-up
    are the extra row plus the rows after the boundary: ``engines.rows.fold_rows`` adds them up once,
    after the run, instead of a second counter per call. Twin of ``Tally.row``."""
    cdef int32_t i = interval_of(s, t)
    return s.n_intervals if i == s.boundary and t >= s.warmup else i


cdef extern from *:
    void prefetch_write "__builtin_prefetch" (const void* address, int rw, int locality) noexcept nogil


cdef inline void touch_calls(Stats* s, int32_t interval) noexcept nogil:
    """Write every memory page of an interval's rows in the interval table (each page's first
    value += 0.0, which changes no counter: a sum that starts at +0.0 is never -0.0), so that the
    page faults of its first touch come at once and ``prefetch_calls`` then finds its rows mapped
    (a prefetch of an unmapped page is dropped)."""
    cdef double* row = &s.interval_calls[<int64_t>interval * s.n_types * N_CALL_FIELDS]
    cdef int64_t i, n = <int64_t>s.n_types * N_CALL_FIELDS
    for i in range(0, n, 512):  # 4096-byte pages
        row[i] += 0.0
    row[n - 1] += 0.0


cdef inline void prefetch_calls(Stats* s, int32_t k, double t) noexcept nogil:
    """Ask the CPU for the first fields (F_ARRIVED .. F_HANDLE) of type k's row of the interval of
    ``t`` (``row_at``), where a call of k arriving at ``t`` counts: with many call types each row's first touch
    in an interval missed the caches. Three addresses 40 bytes apart: every cache line the 88 bytes
    span, wherever the row starts. A hint only."""
    cdef double* row = &s.interval_calls[(<int64_t>row_at(s, t) * s.n_types + k) * N_CALL_FIELDS]
    prefetch_write(row, 1, 3)
    prefetch_write(row + 5, 1, 3)
    prefetch_write(row + F_HANDLE, 1, 3)


cdef inline double* call_row(Stats* s, int32_t k, int32_t row) noexcept nogil:
    """Type k's call counters in ``row`` (``row_at``), for a handler that adds to several
    (``r[F_...] += value``, as ``count`` would)."""
    return &s.interval_calls[(<int64_t>row * s.n_types + k) * N_CALL_FIELDS]


cdef inline void count(Stats* s, int32_t k, int32_t row, int field, double value) noexcept nogil:
    """Add to a call counter of type k, in the row of its arrival (``row_at``)."""
    s.interval_calls[(row * s.n_types + k) * N_CALL_FIELDS + field] += value


cdef inline void count_within(Stats* s, int32_t k, int32_t row, double wait) noexcept nogil:
    """An answer after ``wait`` seconds, at each extra threshold it meets (ascending: stops at
    the first it misses). Twin of ``Tally.answered_within``."""
    cdef int32_t j = s.n_thresholds - 1
    cdef int64_t at = (<int64_t>row * s.n_types + k) * s.n_thresholds
    while j >= 0 and wait <= s.thresholds[j]:
        s.interval_within[at + j] += 1.0
        j -= 1


cdef inline void count_entry(Stats* s, int32_t e, int32_t row, int field, double value) noexcept nogil:
    """Add to an attempt counter of entry e, in the row of its ring (``row_at``)."""
    s.interval_entries[(row * s.n_entries + e) * N_ENTRY_FIELDS + field] += value


cdef inline void count_node(Stats* s, int32_t j, bint counted, int field) noexcept nogil:
    if counted:
        s.node_totals[j * N_NODE_FIELDS + field] += 1.0


cdef inline void count_caller(Stats* s, int32_t source, int32_t channel, int32_t airing, int32_t row,
                              bint counted, int field) noexcept nogil:
    """Count a caller (once per caller and field): by source, and by media channel (``channel``
    -1: organic) in the row of its first ring (``row_at``) and, with an airing (-1: none), by
    airing; by source and airing only after the warm-up (``counted``)."""
    add_caller(s, source, channel, airing, row, counted, field, 1.0)


cdef inline void add_caller(Stats* s, int32_t source, int32_t channel, int32_t airing, int32_t row,
                            bint counted, int field, double value) noexcept nogil:
    """Add ``value`` to a caller field, where ``count_caller`` counts."""
    s.interval_channels[(row * (s.n_channels + 1) + channel + 1) * N_CALLER_FIELDS + field] += value
    if counted:
        s.callers[source * N_CALLER_FIELDS + field] += value
        if airing >= 0:
            s.airing_calls[airing * N_CALLER_FIELDS + field] += value


cdef inline void count_served(Stats* s, int32_t source, int32_t channel, int32_t airing, int32_t row,
                              bint counted, double time) noexcept nogil:
    """A caller served: 1 to C_SERVED and its time in the center to C_TIME_IN_CENTER, in the rows
    ``count_caller`` counts in (one pass: ``add_caller`` twice, fused)."""
    cdef double* r = &s.interval_channels[(row * (s.n_channels + 1) + channel + 1) * N_CALLER_FIELDS]
    r[C_SERVED] += 1.0
    r[C_TIME_IN_CENTER] += time
    if counted:
        r = &s.callers[source * N_CALLER_FIELDS]
        r[C_SERVED] += 1.0
        r[C_TIME_IN_CENTER] += time
        if airing >= 0:
            r = &s.airing_calls[airing * N_CALLER_FIELDS]
            r[C_SERVED] += 1.0
            r[C_TIME_IN_CENTER] += time


cdef inline void count_answer(Stats* s, int32_t agent, int32_t k, double talk, double acw) noexcept nogil:
    """An answer of a post-warm-up call by ``agent``: its per-agent totals."""
    cdef double* a = &s.agent_totals[agent * N_AGENT_FIELDS]
    a[A_ANSWERED] += 1.0
    a[A_TALK] += talk
    a[A_ACW] += acw
    s.agent_types[agent * s.n_types + k] += 1.0


cdef inline void agent_clock(Stats* s, int32_t agent, int field, double start, double end) noexcept nogil:
    """Add the agent's clock time [start, end) within [warm-up, horizon] to its ``field``."""
    if end > s.horizon:
        end = s.horizon
    if start < s.warmup:
        start = s.warmup
    if end > start:
        s.agent_totals[agent * N_AGENT_FIELDS + field] += end - start


cdef inline void add_clock(Stats* s, int32_t g, double start, double end, double weight,
                           int total_field, int interval_field) noexcept nogil:
    """Spread clock time [start, end) over the intervals; the total keeps [warm-up, horizon].

    Twin of ``Tally.clock`` in ``ccsim.engines.simpy_engine``.
    """
    cdef int32_t i
    cdef double lo, hi
    if end > s.horizon:
        end = s.horizon
    if end <= start:
        return
    lo = start if start > s.warmup else s.warmup
    if end > lo:
        s.group_totals[g * N_GROUP_FIELDS + total_field] += weight * (end - lo)
    i = interval_of(s, start)
    while i < s.n_intervals:
        lo = i * s.interval
        hi = lo + s.interval
        if lo < start:
            lo = start
        if hi > end:
            hi = end
        if hi > lo:
            s.interval_groups[(i * s.n_groups + g) * N_INTERVAL_GROUP_FIELDS + interval_field] += weight * (hi - lo)
        if (i + 1) * s.interval >= end:
            break
        i += 1
