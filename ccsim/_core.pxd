# Typed state of the Cython core. Times in seconds; indices are int32, -1 = none.
# The event heap, sampling, arrivals and statistics have their own modules
# (_heap, _random, _arrivals, _stats; _memory grows arrays), cimported by _core.pyx.
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t

# Event kinds; the value is also the tie-break priority at equal times, so an
# agent freed at t takes a caller whose patience ends at t (service first), and a
# line freed at t is free for a call ringing at t.
cdef enum:
    EV_DAY = 0           # a new day: the agents' calls-today counts start again (fewest_calls)
    EV_TALK_END = 1      # target: agent
    EV_ACW_END = 2       # target: agent
    EV_LINE_FREE = 3     # a queue-full message ends (no target)
    EV_SHIFT = 4         # target: schedule table (its agents' schedule changes: log in / back from a break, or log
                         # out / a break); after agents freed at t, before arrivals at t
    EV_ARRIVAL = 5       # target: source (call type, or n_types + entry)
    EV_AD_ARRIVAL = 6    # target: airing (one of the calls it scheduled rings)
    EV_RETRY = 7         # target: call slot of a caller between attempts
    EV_IVR = 8           # target: call slot in a menu (its node ends, or its IVR patience)
    EV_CB_READY = 9      # target: call slot of a callback item that becomes available (an opening, a retry)
    EV_ROUTER_TIMER = 10  # target: the tag of a Python router's timer
    EV_OVERFLOW = 11     # target: call slot (checked against gen): it has waited a delay after which
                         # more groups may take it; before its patience ends at the same instant
    EV_ABANDON = 12      # target: call slot (checked against gen)
    EV_AIRING = 13       # target: airing (draws and schedules its calls; last at its instant)
    EV_RETURN = 14       # target: agent away in a start state (ccsim.state): back now (Simulation.inject)

cdef enum:
    CALL_FREE = 0
    CALL_WAITING = 1
    CALL_IVR = 2         # in a menu
    CALL_ORBIT = 3       # between attempts
    CALL_CB_LISTED = 4   # a callback item available, in its type's callback heap
    CALL_CB_LATER = 5    # a callback item waiting to become available (in the cb_later list)
    CALL_TALKING = 6     # a caller talking who will be transferred at its talk end (Agent.transfer)

# How an attempt was lost, for the retrial decision (Caller outcomes C_BLOCKED, C_ABANDONED).
cdef enum:
    LOST_BLOCKED = 0
    LOST_ABANDONED = 1

# Where an IVR branch leads (compile.BRANCH_KINDS).
cdef enum:
    BRANCH_NODE = 0
    BRANCH_QUEUE = 1
    BRANCH_SELF_SERVICE = 2
    BRANCH_HANG_UP = 3
    BRANCH_VOICEMAIL = 4

# Error codes returned from nogil code (raised once the GIL is back).
cdef enum:
    ERR_NONE = 0
    ERR_NO_MEMORY = 1    # malloc/realloc failed
    ERR_BUDGET = 2       # callers waiting, in menus or between attempts + patience timers (+ ad calls
                         # scheduled) reached max_pending
    ERR_AIRING_BUDGET = 3  # an airing's calls would pass max_pending
    ERR_ROUTER = 4       # a Python router raised, or returned what the center cannot do

cdef struct Caller:      # who is calling, over all its attempts
    int64_t id           # caller number within the run (0, 1, ...)
    double first         # ring of its first attempt
    double ring          # ring of the current attempt
    int32_t source       # call type it dials, or n_types + entry
    int32_t attempt      # 1, 2, ...
    int32_t counted      # first attempt after the warm-up: counts in the caller totals
    int32_t row          # row of the by-interval tables of its first ring (_stats.row_at; channel statistics)
    int32_t ring_row     # row of the current attempt's ring
    int32_t priority     # the current attempt's priority in its queue (a menu branch's; else 0)
    int32_t channel      # media channel of an ad caller, -1 for an organic one
    int32_t airing       # its airing, -1 for an organic caller
    int32_t transferring  # 1 from its transfer until it reaches the new call type (counted there)
    double propensity    # with a funnel: its uniform drawn at the first ring (buys iff < the order probability)

cdef struct Call:        # a slot: a caller waiting in a queue, in a menu, or between attempts
    Caller who
    double arrival       # when it reached its call type (waits count from here)
    double handle        # talk time before the agent's proficiency factor
    double acw           # after-call work
    double deadline      # in a menu: when its IVR patience runs out
    double node_end      # in a menu: when its node ends
    uint32_t gen         # bumped when the slot is freed
    int32_t call_type
    int32_t row          # row of the by-interval tables of its arrival at the call type (_stats.row_at)
    int32_t prev         # queue or menu-list links (intrusive doubly linked list)
    int32_t next
    int32_t state        # CALL_*
    int32_t counted      # 1 when it reached the call type after the warm-up
    int32_t node         # in a menu: the node it is in
    int32_t entry_row    # in a menu: row of its ring
    int32_t entry_counted   # in a menu: rang after the warm-up
    int32_t tries        # a callback item: agent attempts so far
    int64_t cb_seq       # a listed callback item: the order it was listed in (ties of request time)
    int32_t ov_step      # waiting: the index of its type's next re-routing delay (CompiledModel.type_delays)
    int32_t transfer_to  # waiting: where its talk will transfer it, -1 nowhere (drawn as it reached its type)
    double consult       # waiting: its consult's duration, -1 for none (drawn as it reached its type)

cdef struct Agent:
    double idle_since    # when it last became idle (longest-idle routing)
    double busy_since    # when its current call started
    int32_t group
    int32_t prev         # idle-list links within its group
    int32_t next
    double acw           # after-call work of its current call
    int32_t idle         # 1 when in its group's idle list
    int32_t call_type    # call type being handled (talk or ACW), -1 if none
    int32_t callback     # 1 when that work is a callback (no line to free)
    int32_t sched        # its weekly on-duty table (compile.CompiledModel.agent_sched), -1 = always on
    int32_t on           # 1 when its schedule says on duty (logged in and not on break)
    int32_t off          # 1 when off duty (logged out or on break: no calls, no staffed time)
    double on_since      # when it last came on duty (staffed time)
    int32_t handled      # calls answered today (fewest_calls)
    int32_t transfer     # slot (CALL_TALKING, call_type = where to) of the caller it transfers at its talk end, -1 = none
    int32_t gone         # 1 once it has left the center (Simulation.leave): off duty for good

# Outcomes of a call record; keep in step with results.OUTCOMES.
cdef enum:
    OUT_ANSWERED = 0
    OUT_ABANDONED = 1
    OUT_BLOCKED = 2
    OUT_WAITING_AT_END = 3
    OUT_QUEUE_FULL = 4
    OUT_IVR_HUNG_UP = 5
    OUT_HANG_UP = 6
    OUT_SELF_SERVICE = 7
    OUT_VOICEMAIL = 8
    OUT_IN_IVR_AT_END = 9
    OUT_CLOSED = 10
    OUT_CALLBACK_REQUESTED = 11
    OUT_CALLBACK_DONE = 12
    OUT_CALLBACK_FAILED = 13
    OUT_CALLBACK_PENDING = 14

cdef struct CallRecord:  # one per attempt, only when records are asked for
    int64_t id           # caller number within the run
    double arrival       # ring of the attempt
    double wait          # time in queue (seconds)
    double talk          # talk time (answered calls; else 0)
    double acw           # after-call work (answered calls; else 0)
    int32_t call_type    # -1 for an attempt that ended in a menu
    int32_t outcome      # OUT_*
    int32_t agent        # -1 unless answered
    int32_t group        # -1 unless answered
    int32_t source       # call type, or n_types + entry
    int32_t attempt
    int32_t channel      # media channel, -1 for an organic caller (results.CALL_RECORD_DTYPE)
    int32_t airing       # airing, -1 for an organic caller

cdef struct Queue:
    int32_t head
    int32_t tail
    int32_t length

cdef struct SlotHeap:    # a binary min-heap of call slots (callback items by request time, then cb_seq)
    int32_t* data
    int64_t size
    int64_t capacity

cdef struct IdleList:
    int32_t head         # longest idle first
    int32_t tail
