# Typed state of the Cython core. Times in seconds; indices are int32, -1 = none.
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t
from numpy.random cimport bitgen_t

# Event kinds; the value is also the tie-break priority at equal times, so an
# agent freed at t takes a caller whose patience ends at t (service first).
cdef enum:
    EV_TALK_END = 0      # target: agent
    EV_ACW_END = 1       # target: agent
    EV_ARRIVAL = 2       # target: call type
    EV_ABANDON = 3       # target: call slot (checked against gen)

cdef enum:
    CALL_FREE = 0
    CALL_WAITING = 1
    CALL_IN_SERVICE = 2

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
    N_CALL_FIELDS = 12

# Per-group statistics; keep in step with results.GROUP_FIELDS.
cdef enum:
    G_ANSWERED = 0       # calls answered (post-warm-up arrivals)
    G_TALK = 1           # their talk time
    G_HANDLE = 2         # their talk + after-call work
    G_BUSY = 3           # clock time busy or in ACW within [warm-up, horizon]
    G_STAFFED = 4        # clock time logged in within [warm-up, horizon]
    N_GROUP_FIELDS = 5

# Per-interval, per-group clock time; keep in step with results.INTERVAL_GROUP_FIELDS.
cdef enum:
    IG_STAFFED = 0
    IG_BUSY = 1
    N_INTERVAL_GROUP_FIELDS = 2

# Sources of randomness, in compile.ENGINE_SOURCES order; stream = source * n_types + call type.
cdef enum:
    SRC_ARRIVAL = 0
    SRC_HANDLE = 1
    SRC_PATIENCE = 2
    SRC_ACW = 3
    N_SOURCES = 4

# Error codes returned from nogil code (raised once the GIL is back).
cdef enum:
    ERR_NONE = 0
    ERR_NO_MEMORY = 1    # malloc/realloc failed
    ERR_BUDGET = 2       # callers waiting + patience timers reached max_pending

cdef struct Event:
    double time
    uint64_t order       # kind << 56 | sequence number: deterministic ties
    int32_t kind
    int32_t target
    uint32_t gen         # call-slot generation, to ignore stale abandonments

cdef struct Call:
    int64_t id           # arrival number within the run (0, 1, ...)
    double arrival       # arrival time
    double handle        # talk time before the agent's proficiency factor
    double acw           # after-call work
    uint32_t gen         # bumped when the slot is freed
    int32_t call_type
    int32_t interval     # arrival interval
    int32_t prev         # queue links (intrusive doubly linked list)
    int32_t next
    int32_t state        # CallState
    int32_t counted      # 1 when it arrived after the warm-up

cdef struct Agent:
    double idle_since    # when it last became idle (longest-idle routing)
    double busy_since    # when its current call started
    int32_t group
    int32_t prev         # idle-list links within its group
    int32_t next
    double acw           # after-call work of its current call
    int32_t idle         # 1 when in its group's idle list
    int32_t call_type    # call type being handled (talk or ACW), -1 if none

# Outcomes of a call record.
cdef enum:
    OUT_ANSWERED = 0
    OUT_ABANDONED = 1
    OUT_BLOCKED = 2
    OUT_WAITING_AT_END = 3

cdef struct CallRecord:  # one per call, only when records are asked for
    int64_t id           # arrival number within the run
    double arrival
    double wait          # time in queue (seconds)
    double talk          # talk time (answered calls; else 0)
    double acw           # after-call work (answered calls; else 0)
    int32_t call_type
    int32_t outcome      # OUT_*
    int32_t agent        # -1 unless answered
    int32_t group        # -1 unless answered

cdef struct Queue:
    int32_t head
    int32_t tail
    int32_t length

cdef struct IdleList:
    int32_t head         # longest idle first
    int32_t tail

cdef struct Dist:
    int32_t code         # compile.DIST_CODES
    double p0
    double p1
    double p2
    double cum           # a mixture component's cumulative weight (its components follow its row)

cdef struct ArrivalProfile:
    int32_t start        # into rates
    int32_t count
    int32_t repeat
    double slot          # seconds per rate
