# Typed state of the Cython core. Times in seconds; indices are int32, -1 = none.
# The event heap, sampling, arrivals and statistics have their own modules
# (_heap, _random, _arrivals, _stats; _memory grows arrays), cimported by _core.pyx.
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t

# Event kinds; the value is also the tie-break priority at equal times, so an
# agent freed at t takes a caller whose patience ends at t (service first).
cdef enum:
    EV_TALK_END = 0      # target: agent
    EV_ACW_END = 1       # target: agent
    EV_ARRIVAL = 2       # target: call type
    EV_AD_ARRIVAL = 3    # target: airing (one of the calls it scheduled rings)
    EV_ABANDON = 4       # target: call slot (checked against gen)
    EV_AIRING = 5        # target: airing (draws and schedules its calls; last at its instant)

cdef enum:
    CALL_FREE = 0
    CALL_WAITING = 1
    CALL_IN_SERVICE = 2

# Sources of randomness, in compile.ENGINE_SOURCES order; stream = source * n_types + call type,
# then one ("ads") stream per media channel: N_SOURCES * n_types + channel.
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
    ERR_BUDGET = 2       # callers waiting + patience timers (+ ad calls scheduled) reached max_pending
    ERR_AIRING_BUDGET = 3  # an airing's calls would pass max_pending

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
    int32_t channel      # media channel of an ad call, -1 for an organic one
    int32_t airing       # its airing, -1 for an organic call

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
    int32_t channel      # media channel, -1 for an organic call (results.CALL_RECORD_DTYPE)
    int32_t airing       # airing, -1 for an organic call

cdef struct Queue:
    int32_t head
    int32_t tail
    int32_t length

cdef struct IdleList:
    int32_t head         # longest idle first
    int32_t tail
