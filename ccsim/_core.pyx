# cython: language_level=3
"""The fast engine: one simulation run of a compiled model, loop without the GIL.

State lives in C arrays of the structs declared in ``_core.pxd``; the event
heap (``_heap``), sampling (``_random``), arrivals (``_arrivals``) and statistics
(``_stats``) are ``cdef inline`` functions of their own small modules, cimported
here (STYLE.md "Growing the core"). Calls exist as slots only while they wait
(an answered call's statistics are recorded at answer time), events sit in a
binary heap ordered by (time, kind, sequence), and a queued call's abandonment
is an event checked against the slot's generation, so nothing ever scans a queue.
"""
cimport cython
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.pycapsule cimport PyCapsule_GetPointer
from libc.math cimport INFINITY
from numpy.random.c_distributions cimport random_standard_uniform
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy, memset

cdef extern from *:
    int lowest_bit "__builtin_ctzll" (unsigned long long word) noexcept nogil  # index of the lowest set bit


cdef struct Pick:  # the caller a freed agent takes so far (Simulation._consider)
    int32_t slot   # -1: none yet
    int32_t level
    int32_t k
    int32_t prio
    double arrival
    double score


cdef inline void pick_init(Pick* p) noexcept nogil:
    p.slot = -1
    p.level = -1
    p.k = -1
    p.prio = 0
    p.arrival = INFINITY
    p.score = 0.0

import numpy as np

from .budget import airing_overflow_error, out_of_memory_error, overflow_error

cimport numpy as cnp
from numpy.random cimport bitgen_t

from ccsim._arrivals cimport AdChannel, ArrivalProfile, ad_delay, airing_count, next_arrival
from ccsim._heap cimport (Event, Heap, event_before, event_kind, heap_count, heap_first, heap_free, heap_init, heap_pop, heap_push,
                         heap_push_arrival, heap_push_event, heap_push_far, heap_push_lane, heap_push_timer,
                         heap_drop_arrival, heap_replace_arrival,
                         heap_far_due, heap_far_start, heap_far_take, heap_wheel_done, heap_wheel_due,
                         heap_wheel_start, heap_wheel_take)
from ccsim._hours cimport Week, week_next_open, week_open
from ccsim._memory cimport grow
from ccsim._routing cimport (
    AgentHeap, AgentPool, ClassOrder, HeadKeys, IdleKeys, agent_heap_build, agent_heap_push, agent_heap_remove,
    head_key, order_enter, order_leave, pair_allows, pool_add, pool_remove, uint128_t,
)
from ccsim._shifts cimport sched_at, sched_change, sched_start
from ccsim._funnel cimport Funnel, Order, count_order, count_sale, funnel_init, order_life, order_probability
from ccsim._random cimport Dist, fill_dists, period_dist, sample
from ccsim._stats cimport (
    C_ABANDONED, C_BLOCKED, C_CALLBACK_DONE, C_CALLBACK_FAILED, C_CALLBACK_PENDING, C_CALLERS, C_CLOSED,
    E_CLOSED, F_CB_ACCEPTED, F_CB_DELAY, F_CB_DONE, F_CB_FAILED, F_CB_OFFERED, F_CB_PENDING_AT_END,
    F_CB_REQUESTED, F_CLOSED, F_FORWARDED, F_VOICEMAILS, C_HANG_UP, C_IN_SYSTEM_AT_END, C_IVR_HUNG_UP, C_RETRY_AFTER_HORIZON,
    C_SELF_SERVICE, C_SERVED, C_VOICEMAIL, E_ARRIVED, E_BLOCKED, E_HANG_UP, E_IN_IVR_AT_END, E_IVR_HUNG_UP,
    E_IVR_SECONDS, E_RETRIALS, E_ROUTED, E_SELF_SERVICE, E_VOICEMAIL, F_ABANDONED, F_ABANDONED_SHORT,
    F_ANSWERED, F_ANSWERED_IN_SL, F_ARRIVED, F_BLOCKED, F_HANDLE, F_OFFERED, F_QUEUE_FULL, F_RETRIALS,
    F_ROUTED, F_TALK, F_WAIT_ABANDONED, F_WAIT_ANSWERED, F_WAITING_AT_END, G_ANSWERED, G_BUSY, G_HANDLE,
    G_STAFFED, G_TALK, IG_BUSY, IG_STAFFED, A_BUSY, A_STAFFED, N_AGENT_FIELDS, agent_clock, count_answer, N_CALL_FIELDS, N_CALLER_FIELDS, N_ENTERED, N_ENTRY_FIELDS,
    N_GROUP_FIELDS, N_HANG_UP, N_HUNG_UP, N_INTERVAL_GROUP_FIELDS, N_NODE_FIELDS, N_SELF_SERVICE,
    N_TO_NODE, N_TO_QUEUE, N_VOICEMAIL, Stats, add_clock, count, count_caller, count_entry, count_node,
    interval_of, row_at, count_served, F_OVERFLOWED, A_TRANSFERS, C_TIME_IN_CENTER, F_CONSULTS, F_TRANSFERRED_IN, F_TRANSFERRED_OUT, add_caller,
)
from ccsim._stats cimport call_row, count_within, F_ORDERS, F_ORDER_VALUE, prefetch_calls, touch_calls

cnp.import_array()


cdef struct TypeDraws:  # what a call of one type draws as it reaches the type, side by side
    Dist* handle          # the type's one distribution of each; NULL: it has periods (_draw_dist)
    Dist* patience
    Dist* acw
    bitgen_t* handle_rng  # streams[base_handle + k] and so on
    bitgen_t* patience_rng
    bitgen_t* acw_rng
    bitgen_t* leg_rng     # streams[base_leg + k]: a retrial's or transfer leg's three (compile.LEG_SOURCE)


CALL_FIELDS_COUNT = N_CALL_FIELDS
GROUP_FIELDS_COUNT = N_GROUP_FIELDS
INTERVAL_GROUP_FIELDS_COUNT = N_INTERVAL_GROUP_FIELDS
ENTRY_FIELDS_COUNT = N_ENTRY_FIELDS
NODE_FIELDS_COUNT = N_NODE_FIELDS
CALLER_FIELDS_COUNT = N_CALLER_FIELDS
CHANNEL_FIELDS_COUNT = N_CALLER_FIELDS  # a media channel's callers: the caller fields

# compile.CLOSED_ACTIONS
# Routing policies (compile.AGENT_SELECTION, compile.QUEUE_SELECTION).
cdef enum:
    AGENT_LONGEST_IDLE = 0
    AGENT_ORDERED_GROUPS = 1
    AGENT_FEWEST_CALLS = 2
    AGENT_BEST_PROFICIENCY = 3
    AGENT_BEST_CONVERSION = 4
    AGENT_RANDOM = 5
    QUEUE_LONGEST_WAITING = 0
    QUEUE_PRIORITY = 1
    QUEUE_SKILL_PRIORITY = 2
    QUEUE_WEIGHTED_WAIT = 3

# The far wheel of the ends of talks (Simulation._push_talk_end): centers of FAR_AGENTS agents
# or more; buckets sized to hold about FAR_ENDS ends with every agent busy.
# The heap's lanes (_heap.heap_push_lane): one per kind of constant delay.
cdef enum:
    LANE_ACW = 0
    LANE_DELAY = 1

cdef enum:
    FAR_AGENTS = 512
    FAR_ENDS = 64

cdef enum:
    CLOSED_MESSAGE = 0
    CLOSED_VOICEMAIL = 1
    CLOSED_FORWARD = 2

# Where a menu exit is counted: (node field, entry field, caller field, record outcome) by branch kind.
cdef int[5] NODE_EXIT = [N_TO_NODE, N_TO_QUEUE, N_SELF_SERVICE, N_HANG_UP, N_VOICEMAIL]
cdef int[5] ENTRY_EXIT = [0, E_ROUTED, E_SELF_SERVICE, E_HANG_UP, E_VOICEMAIL]
cdef int[5] CALLER_EXIT = [0, 0, C_SELF_SERVICE, C_HANG_UP, C_VOICEMAIL]
cdef int[5] OUT_EXIT = [0, 0, OUT_SELF_SERVICE, OUT_HANG_UP, OUT_VOICEMAIL]


@cython.final  # no subclass: method calls are direct C calls, which the compiler may inline
cdef class Simulation:
    """One run of one compiled model with one set of random streams.

    Construct with the model and the PCG64 bit generators (one per stream, in
    ``CompiledModel.stream_keys`` order), call ``run()`` once, then read the
    statistic arrays.
    """

    # settings
    cdef double horizon, warmup, interval, short_abandon
    cdef double drain_end           # a drained run stops at the latest here (CompiledModel.drain_end)
    cdef double start               # clock of the start state (ccsim.state), 0 for a run from empty
    cdef int32_t n_intervals, n_types, n_groups, n_agents, lines, drain, n_sources, n_entries
    cdef int32_t n_channels, n_airings
    # first stream of each source of randomness (CompiledModel.stream_base)
    cdef int32_t base_handle, base_patience, base_acw, base_retrial, base_ivr, base_ads, base_leg, base_ivr_retrial
    cdef int32_t base_leg_transfer
    # transfers and consults per call type (CompiledModel.transfer_table, consult_table, talk_extra),
    # and their streams
    cdef int32_t base_transfer
    cdef int32_t* talk_extra
    cdef double* consult_p
    cdef int32_t* consult_dist
    cdef int32_t* transfer_start
    cdef double* transfer_cum
    cdef int32_t* transfer_to
    # model tables (borrowed from numpy arrays kept alive below)
    cdef double* rates
    cdef double* empirical
    cdef double* agent_factor       # [agent, call type]: multiplies handle time (CompiledModel.agent_factor)
    cdef double* acw_factor         # [agent]: multiplies after-call work
    cdef double* proficiency        # [group]: the factor when agents are identical (no agent_factor)
    cdef bint per_agent             # 1: agent_factor and acw_factor; 0: proficiency, ACW factor 1
    cdef double* period_start       # durations by period of the day (compile.CompiledModel)
    cdef int32_t* period_dist
    cdef int32_t* handle_periods     # [K, 2]: (first, count)
    cdef int32_t* patience_periods
    cdef int32_t* acw_periods
    cdef int32_t* type_groups_start
    cdef int32_t* type_groups
    cdef int32_t* group_types_start
    cdef int32_t* group_types
    cdef int32_t agent_selection    # compile.AGENT_SELECTION: 0 longest idle, 1 ordered groups
    cdef int32_t queue_selection    # compile.QUEUE_SELECTION: 0 longest waiting, 1 priority by serves order
    # routing rules per (type, group) pair along type_groups (tg_*) and group_types (gt_*), the
    # re-routing delays per type, and the policy tables (CompiledModel: tg_*, gt_*, type_*, ...)
    cdef double* tg_after
    cdef double* tg_ewt_over
    cdef int32_t* tg_queue_over
    cdef int32_t* tg_min_idle
    cdef int32_t* tg_pos
    cdef double* gt_after
    cdef double* gt_ewt_over
    cdef int32_t* gt_queue_over
    cdef int32_t* gt_min_idle
    cdef int32_t* type_delay_start
    cdef double* type_delays
    cdef int32_t* type_rules
    cdef double* wait_weight
    cdef int32_t* agent_priority
    cdef int32_t* backup            # [type, group]: 1 = a backup pair (answers count as overflowed)
    cdef bint has_backup
    cdef int32_t base_routing
    # idle agents: per group a FIFO list (longest_idle, ordered_groups), keyed heaps (one per group,
    # or per (group, type it serves) for best_proficiency: heaps[g * keys.stride + slot]), or a
    # pool (random); idle_count per group in every case
    cdef bint keyed
    cdef bint listed                # idle agents in FIFO lists (longest_idle, ordered_groups)
    cdef int32_t* type_plain        # [type]: 1 when no rule of any pair of the type can hold a group back
    # wide routing (CompiledModel.wide_routing): bit masks over types (kw words)
    cdef int32_t kw
    cdef int32_t* group_wide        # [group]: 1 = scan only its types with callers waiting
    cdef uint64_t* group_type_bits  # [group, kw]: the types it serves
    cdef uint64_t* waiting_bits     # [kw]: types with callers waiting (type_waiting > 0)
    # longest idle through classes of groups (CompiledModel.idle_classes): per class the order of
    # its groups with an idle agent by their head's key, bit masks over classes (cw words)
    cdef bint classed               # longest_idle and some type finds its agent through its classes
    cdef int32_t cw
    cdef int32_t* type_classed      # [type]: 1 = its longest-idle agent is the first of a class order
    cdef uint64_t* type_class_bits  # [type, cw]: the classes serving it
    cdef uint64_t* class_idle_bits  # [cw]: classes with an idle agent (order not empty)
    cdef int32_t* group_class       # [group]
    cdef ClassOrder* orders         # [class]
    cdef HeadKeys heads
    # longest waiting through classes of call types (CompiledModel.waiting_classes), the same way:
    # per class the order of its types with callers waiting by their head's (arrival, type)
    cdef bint queue_classed         # longest_waiting, one level, no head start, some group classed
    cdef int32_t qw
    cdef int32_t* group_classed     # [group]: 1 = its caller is the first of a class order
    cdef uint64_t* group_type_classes  # [group, qw]: the classes of types it serves
    cdef uint64_t* type_class_waiting  # [qw]: classes with callers waiting (order not empty)
    cdef int32_t* type_class        # [type]
    cdef ClassOrder* type_orders    # [class of types]
    cdef HeadKeys type_heads
    cdef AgentHeap* heaps
    cdef IdleKeys keys
    cdef AgentPool* pools
    cdef int32_t* pool_where
    cdef int32_t* idle_count
    # a Python router (ccsim.router.Router) replacing the routing of callers, if any
    cdef object router
    cdef bint has_router
    cdef bint in_timer
    cdef object router_exc
    cdef object _serves
    cdef object _agent_sched
    # entries and menus (CompiledModel: entry_tree, tree_*, node_*, branch_*)
    cdef int32_t* entry_tree
    cdef int32_t* tree_start
    cdef int32_t* tree_patience_dist
    cdef int32_t* node_tree
    cdef int32_t* node_dist
    cdef int32_t* node_branch_start
    cdef double* branch_cum
    cdef int32_t* branch_kind
    cdef int32_t* branch_target
    cdef int32_t* branch_priority
    cdef int32_t n_levels        # queue priority levels: queue of (type k, level l) is queues[k * n_levels + l]
    cdef bint head_started       # routing.level_head_start given: callers rank by arrival - level_start[level]
    cdef double* level_start     # [level]: seconds of head start (CompiledModel.level_head_start)
    cdef int32_t* type_waiting   # callers waiting per call type, all levels
    # retrials per source; queue limits per call type and pool
    cdef double* retry_blocked
    cdef double* retry_abandoned
    cdef int32_t* retry_delay_dist
    cdef int32_t* max_attempts
    cdef int32_t* queue_capacity
    cdef int32_t* queue_pool
    cdef int32_t* pool_capacity
    cdef int32_t* pool_waiting
    cdef double* full_message
    # opening hours (closed_action -1: none), voicemail call type, callbacks and announcements
    # per call type (CompiledModel: closed_*, hours_*, voicemail_type, cb_*, wait_unit, ann_*)
    cdef Week week
    cdef int32_t closed_action, closed_forward, voicemail_type, base_callback
    cdef double closed_seconds
    cdef double* cb_offer_after
    cdef double* cb_accept
    cdef double* cb_answer
    cdef double* cb_ring
    cdef int32_t* cb_max_attempts
    cdef double* cb_retry_delay
    cdef double* cb_target
    cdef double* wait_unit
    cdef int32_t* ann_on
    cdef double* ann_threshold
    cdef double* ann_long
    cdef double* ann_short
    cdef SlotHeap* cb_heaps      # available callback items per call type: a heap by (request, cb_seq)
    cdef Queue cb_later          # items waiting to become available, in the order scheduled
    cdef int64_t n_cb_listed     # items in all cb_heaps
    cdef int64_t cb_seq          # items listed so far
    cdef ArrivalProfile* profiles
    # agent schedules: the weekly on-duty tables (CompiledModel.sched_*), and per group 1 when it
    # has shifts (its staffed time counted per agent)
    cdef Week* schedules
    cdef int32_t n_schedules
    cdef int32_t* group_shifted
    cdef int64_t n_shift_events  # schedule changes in the heap (a drained run ends when only they are left)
    # per schedule table: where its agents are in it (they change together: one event per table),
    # and its agents, in index order: table_agents[table_first[t]:table_first[t + 1]]
    cdef double* table_base
    cdef int32_t* table_cursor
    cdef int32_t* table_on
    cdef int32_t* table_first
    cdef int32_t* table_agents
    # media: per channel the source it rings (AdChannel.call_type) and its delay; per airing
    cdef AdChannel* channels
    cdef double* airing_time
    cdef double* airing_mean
    cdef int32_t* airing_channel
    cdef Dist* dists
    cdef bitgen_t** streams
    cdef TypeDraws* draws           # [type]: the three draws' 48 bytes side by side (the period
                                    # arrays and streams spread them over a dozen lines in a large center)
    # dynamic state (owned, freed in __dealloc__)
    cdef Heap heap
    cdef Call* calls
    cdef int32_t* free_slots
    cdef int32_t n_free, calls_capacity
    cdef Agent* agents
    cdef Queue* queues
    cdef IdleList* idle
    cdef Queue in_menu           # callers in a menu, in the order they entered it
    cdef int32_t lines_busy
    cdef int64_t n_callers
    cdef double now
    # run budget: callers waiting, in a menu or between attempts (n_other) + patience
    # timers running may not pass max_pending
    cdef int64_t max_pending, n_waiting, n_timers, n_other, n_scheduled
    cdef double timer_delays        # sum of the first patience timers' delays (the wheel's width)
    cdef Event dropped_max          # the latest (by key) stale timer dropped from the wheel
    cdef bint has_dropped
    cdef int32_t timers_seen
    cdef double talk_delays         # sum of the first talks' lengths (the far wheel's width)
    cdef int32_t talks_seen
    cdef int32_t overflow_type   # call type (or source) of the caller refused by the budget
    cdef int32_t overflow_airing  # airing whose calls the budget refused, and how many it drew
    cdef int64_t overflow_calls
    cdef int error               # ERR_* of the first failure inside the loop
    # statistics (arrays borrowed from the numpy arrays in _stats)
    cdef Stats stats
    # with many call types (an interval's rows over two pages) the row a call type's next arrival
    # counts in is prefetched when it is drawn, its interval's pages touched first (_on_arrival)
    cdef bint prefetching
    cdef int32_t touched         # the last interval whose rows of interval_calls touch_calls wrote
    cdef CallRecord* records
    cdef int64_t n_records, records_capacity
    cdef bint keep_records
    cdef public long long calls_simulated
    cdef public double end_time
    cdef object _keep
    cdef object _skipped            # the stand-ins of streams never drawn from (compile.SkippedStream)
    cdef object _model
    cdef object _stats
    cdef bint _done
    cdef bint _started              # run_until has done the setup (the first events pushed)
    cdef double _last_time          # time of the last event of the center's calls (end_time)
    cdef double* sl_type_threshold  # [call type]: its service-level threshold (CompiledModel.type_thresholds)
    cdef bint has_funnel            # the sales funnel (_funnel): propensities drawn, orders followed
    cdef Funnel funnel
    cdef int32_t base_propensity, base_order

    def __cinit__(self, model, bit_generators, bint call_records=False, router=None):
        cdef int32_t k, g, i, a, n
        self._keep = []
        self._skipped = []
        self._model = model
        self.max_pending = model.max_pending
        self.horizon = model.horizon
        self.warmup = model.warmup
        self.start = model.state.clock if model.state is not None else 0.0
        self.interval = model.interval
        self.short_abandon = model.short_abandon
        self.n_intervals = model.n_intervals
        self.n_types = model.n_types
        self.n_groups = model.n_groups
        self.n_agents = model.n_agents
        self.lines = model.lines
        self.drain = model.drain
        self.drain_end = model.drain_end
        self.n_sources = model.n_sources
        self.n_entries = model.n_entries
        base = model.stream_base
        if len(bit_generators) != base["end"]:
            raise ValueError(f"expected {base['end']} bit generators, got {len(bit_generators)}")
        self.base_handle = base["handle"]
        self.base_patience = base["patience"]
        self.base_acw = base["after_call_work"]
        self.base_retrial = base["retrial"]
        self.base_ivr = base["ivr"]
        self.base_leg = base["leg"]
        self.base_ivr_retrial = base["ivr_retrial"]
        self.base_leg_transfer = base["leg_transfer"]
        self.base_ads = base["ads"]
        self.base_transfer = base["transfer"]
        transfer_start, transfer_cum, transfer_to = model.transfer_table()
        self.transfer_start = self._int_ptr(transfer_start)
        self.transfer_cum = self._double_ptr(transfer_cum)
        self.transfer_to = self._int_ptr(transfer_to)
        consult_p, consult_dist = model.consult_table()
        self.consult_p = self._double_ptr(consult_p)
        self.consult_dist = self._int_ptr(consult_dist)
        self.talk_extra = self._int_ptr(model.talk_extra())
        self.n_channels = model.n_channels
        self.n_airings = model.n_airings

        self.rates = self._double_ptr(model.rates)
        self.empirical = self._double_ptr(model.empirical)
        self.per_agent = model.has_agent_factors
        self.proficiency = self._double_ptr(model.group_proficiency)
        self.agent_factor = self._double_ptr(model.agent_factor if self.per_agent else np.zeros(1))
        self.acw_factor = self._double_ptr(model.agent_acw_factor if self.per_agent else np.zeros(1))
        self.period_start = self._double_ptr(model.period_start)
        self.period_dist = self._int_ptr(model.period_dist)
        self.handle_periods = self._int_ptr(model.handle_periods)
        self.patience_periods = self._int_ptr(model.patience_periods)
        self.acw_periods = self._int_ptr(model.acw_periods)
        self.type_groups_start = self._int_ptr(model.type_groups_start)
        self.type_groups = self._int_ptr(model.type_groups)
        self.group_types_start = self._int_ptr(model.group_types_start)
        self.group_types = self._int_ptr(model.group_types)
        self.agent_selection = model.agent_selection
        self.queue_selection = model.queue_selection
        self.base_routing = base["routing"]
        self.router = router
        self.has_router = router is not None
        self._serves = np.asarray(model.serves, dtype=bool) if router is not None else None
        self._routing_tables(model)
        self.entry_tree = self._int_ptr(model.entry_tree)
        self.tree_start = self._int_ptr(model.tree_start)
        self.tree_patience_dist = self._int_ptr(model.tree_patience_dist)
        self.node_tree = self._int_ptr(model.node_tree)
        self.node_dist = self._int_ptr(model.node_dist)
        self.node_branch_start = self._int_ptr(model.node_branch_start)
        self.branch_cum = self._double_ptr(model.branch_cum)
        self.branch_kind = self._int_ptr(model.branch_kind)
        self.branch_target = self._int_ptr(model.branch_target)
        self.branch_priority = self._int_ptr(model.branch_priority)
        self.n_levels = model.n_priorities
        self.head_started = model.level_head_start.size > 0
        self.level_start = self._double_ptr(model.level_head_start)
        self.type_waiting = self._int_ptr(np.zeros(max(self.n_types, 1), dtype=np.int32))
        self.retry_blocked = self._double_ptr(model.retry_blocked)
        self.retry_abandoned = self._double_ptr(model.retry_abandoned)
        self.retry_delay_dist = self._int_ptr(model.retry_delay_dist)
        self.max_attempts = self._int_ptr(model.max_attempts)
        self.queue_capacity = self._int_ptr(model.queue_capacity)
        self.queue_pool = self._int_ptr(model.queue_pool)
        self.pool_capacity = self._int_ptr(model.pool_capacity)
        self.pool_waiting = self._int_ptr(np.zeros(max(model.n_pools, 1), dtype=np.int32))
        self.full_message = self._double_ptr(model.full_message)
        self.in_menu.head = -1
        self.in_menu.tail = -1
        self.cb_later.head = -1
        self.cb_later.tail = -1
        self.closed_action = model.closed_action
        self.closed_forward = model.closed_forward
        self.closed_seconds = model.closed_seconds
        self.voicemail_type = model.voicemail_type
        self.base_callback = base["callback"]
        self.week.opens = self._double_ptr(model.hours_open)
        self.week.closes = self._double_ptr(model.hours_close)
        self.week.n = len(model.hours_open)
        self.week.shift = model.hours_shift
        self.week.period = 604800.0
        self.cb_offer_after = self._double_ptr(model.cb_offer_after)
        self.cb_accept = self._double_ptr(model.cb_accept)
        self.cb_answer = self._double_ptr(model.cb_answer)
        self.cb_ring = self._double_ptr(model.cb_ring)
        self.cb_max_attempts = self._int_ptr(model.cb_max_attempts)
        self.cb_retry_delay = self._double_ptr(model.cb_retry_delay)
        self.cb_target = self._double_ptr(model.cb_target)
        self.wait_unit = self._double_ptr(model.wait_unit)
        self.ann_on = self._int_ptr(model.ann_on)
        self.ann_threshold = self._double_ptr(model.ann_threshold)
        self.ann_long = self._double_ptr(model.ann_long)
        self.ann_short = self._double_ptr(model.ann_short)

        n = len(model.dist_code)
        self.dists = <Dist*>self._alloc(n * sizeof(Dist))
        fill_dists(self.dists, model)
        self.profiles = <ArrivalProfile*>self._alloc(self.n_sources * sizeof(ArrivalProfile))
        for k in range(self.n_sources):
            self.profiles[k].start = model.rate_start[k]
            self.profiles[k].count = model.rate_count[k]
            self.profiles[k].repeat = model.rate_repeat[k]
            self.profiles[k].slot = model.rate_slot[k]
            self.profiles[k].times = self._double_ptr(model.replay_times) + <int64_t>model.replay_start[k]
            self.profiles[k].n_times = model.replay_count[k]
            self.profiles[k].period = model.replay_period[k]
            self.profiles[k].cursor = 0
        self.channels = <AdChannel*>self._alloc(self.n_channels * sizeof(AdChannel))
        for i in range(self.n_channels):
            self.channels[i].call_type = model.channel_source[i]  # a source: call type, or n_types + entry
            self.channels[i].delay = model.channel_delay[i]
            self.channels[i].shape = model.channel_shape[i]
            self.channels[i].scale = model.channel_scale[i]
        self.airing_time = self._double_ptr(model.airing_time)
        self.airing_mean = self._double_ptr(model.airing_mean)
        self.airing_channel = self._int_ptr(model.airing_channel)
        self.streams = <bitgen_t**>self._alloc(len(bit_generators) * sizeof(bitgen_t*))
        plain = np.random.PCG64
        for i, bit_generator in enumerate(bit_generators):
            self._keep.append(bit_generator)
            self.streams[i] = <bitgen_t*>PyCapsule_GetPointer(bit_generator.capsule, "BitGenerator")
            if type(bit_generator) is not plain and hasattr(bit_generator, "check") and not any(
                    b is bit_generator for b in self._skipped):
                self._skipped.append(bit_generator)  # compile.SkippedStream: checked after the run
        self.draws = <TypeDraws*>self._alloc(self.n_types * sizeof(TypeDraws))
        for k in range(self.n_types):
            self.draws[k].handle = self._one_dist(self.handle_periods, k)
            self.draws[k].patience = self._one_dist(self.patience_periods, k)
            self.draws[k].acw = self._one_dist(self.acw_periods, k)
            self.draws[k].handle_rng = self.streams[self.base_handle + k]
            self.draws[k].patience_rng = self.streams[self.base_patience + k]
            self.draws[k].acw_rng = self.streams[self.base_acw + k]
            # leg streams exist when some source retries or some type transfers (else never drawn)
            self.draws[k].leg_rng = self.streams[self.base_leg + k] if self.base_ivr_retrial > self.base_leg else NULL

        self._schedule_tables(model)
        self.agents = <Agent*>self._alloc(max(self.n_agents, 1) * sizeof(Agent))
        self.idle = <IdleList*>self._alloc(self.n_groups * sizeof(IdleList))
        self._idle_structures(model)
        self.queues = <Queue*>self._alloc(self.n_types * self.n_levels * sizeof(Queue))
        self.cb_heaps = <SlotHeap*>self._alloc(self.n_types * sizeof(SlotHeap))
        for k in range(self.n_types * self.n_levels):
            self.queues[k].head = -1
            self.queues[k].tail = -1
            self.queues[k].length = 0
        for k in range(self.n_types):
            self.cb_heaps[k].capacity = 16
            self.cb_heaps[k].data = <int32_t*>self._alloc(16 * sizeof(int32_t))
        self._table_agents(model)
        for g in range(self.n_groups):
            self.idle[g].head = -1
            self.idle[g].tail = -1
            for a in range(model.group_start[g], model.group_start[g] + model.group_count[g]):
                self.agents[a].group = g
                self.agents[a].call_type = -1
                self.agents[a].idle = 0
                self.agents[a].idle_since = 0.0
                self.agents[a].transfer = -1
                self._start_schedule(a, self._agent_sched[a])

        self.keep_records = call_records
        if call_records:
            self.records_capacity = 4096
            self.records = <CallRecord*>self._alloc(self.records_capacity * sizeof(CallRecord))
        if heap_init(&self.heap, 1024 + 2 * <int64_t>self.n_agents + self.n_airings) != 0:
            raise out_of_memory_error("core")
        self.calls_capacity = 1024
        self.calls = <Call*>self._alloc(self.calls_capacity * sizeof(Call))
        self.free_slots = <int32_t*>self._alloc(self.calls_capacity * sizeof(int32_t))
        self.n_free = self.calls_capacity
        for i in range(self.calls_capacity):
            self.free_slots[i] = self.calls_capacity - 1 - i
            self.calls[i].gen = 0
            self.calls[i].state = CALL_FREE

        rows = self.n_intervals + 1  # the extra row: calls after the warm-up in its interval (_stats.row_at)
        stats = {
            "interval_calls": np.zeros((rows, self.n_types, N_CALL_FIELDS)),
            "group_totals": np.zeros((self.n_groups, N_GROUP_FIELDS)),
            "interval_groups": np.zeros((self.n_intervals, self.n_groups, N_INTERVAL_GROUP_FIELDS)),
            "interval_entries": np.zeros((rows, self.n_entries, N_ENTRY_FIELDS)),
            "node_totals": np.zeros((model.n_nodes, N_NODE_FIELDS)),
            "callers": np.zeros((self.n_sources, N_CALLER_FIELDS)),
            "interval_channels": np.zeros((rows, self.n_channels + 1, N_CALLER_FIELDS)),
            "airing_calls": np.zeros((self.n_airings, N_CALLER_FIELDS)),
            "agent_totals": np.zeros((self.n_agents, N_AGENT_FIELDS)),
            "agent_types": np.zeros((self.n_agents, self.n_types)),
            "interval_within": np.zeros((rows, self.n_types, len(model.sl_thresholds))),
        }
        self._stats = stats
        self.touched = -1
        self.prefetching = self.n_types * N_CALL_FIELDS * sizeof(double) > 8192
        self.stats.interval_calls = self._double_ptr(stats["interval_calls"])
        self.stats.group_totals = self._double_ptr(stats["group_totals"])
        self.stats.interval_groups = self._double_ptr(stats["interval_groups"])
        self.stats.interval_entries = self._stat_ptr(stats, "interval_entries")
        self.stats.node_totals = self._stat_ptr(stats, "node_totals")
        self.stats.callers = self._stat_ptr(stats, "callers")
        self.stats.n_entries = self.n_entries
        self.stats.interval_channels = self._stat_ptr(stats, "interval_channels")
        self.stats.airing_calls = self._stat_ptr(stats, "airing_calls")
        self.stats.agent_totals = self._stat_ptr(stats, "agent_totals")
        self.stats.agent_types = self._stat_ptr(stats, "agent_types")
        self.stats.n_channels = self.n_channels
        self.stats.n_intervals = self.n_intervals
        self.stats.n_types = self.n_types
        self.stats.n_groups = self.n_groups
        self.stats.interval = self.interval
        self.stats.warmup = self.warmup
        self.stats.horizon = self.horizon
        self.stats.boundary = interval_of(&self.stats, self.warmup)
        self.sl_type_threshold = self._double_ptr(model.type_thresholds())
        self.stats.interval_within = self._stat_ptr(stats, "interval_within")
        self.stats.thresholds = self._double_ptr(model.sl_thresholds)
        self.stats.n_thresholds = len(model.sl_thresholds)
        self.has_funnel = model.has_funnel
        if self.has_funnel:
            from ._funnel import funnel_stats
            from .funnel_tables import funnel_arrays
            stats.update(funnel_stats(model))
            funnel_init(&self.funnel, funnel_arrays(model), stats, model, self._keep)
            self.funnel.dists = self.dists
            self.funnel.empirical = self.empirical
            self.base_propensity = base["propensity"]
            self.base_order = base["order"]
        for g in range(self.n_groups):
            if not self.group_shifted[g]:  # a group with shifts counts it as its agents log in and out
                add_clock(&self.stats, g, 0.0, self.horizon, <double>model.group_count[g], G_STAFFED, IG_STAFFED)
                for a in range(model.group_start[g], model.group_start[g] + model.group_count[g]):
                    agent_clock(&self.stats, a, A_STAFFED, 0.0, self.horizon)

    cdef int _schedule_tables(self, model) except -1:
        """The weekly on-duty tables as ``Week`` structs over the model's arrays."""
        cdef int32_t t
        cdef double* opens = self._double_ptr(model.sched_open)
        cdef double* closes = self._double_ptr(model.sched_close)
        starts = model.sched_start
        self.n_schedules = len(starts) - 1
        self.schedules = <Week*>self._alloc(max(self.n_schedules, 1) * sizeof(Week))
        for t in range(self.n_schedules):
            self.schedules[t].opens = opens + <int64_t>starts[t]
            self.schedules[t].closes = closes + <int64_t>starts[t]
            self.schedules[t].n = starts[t + 1] - starts[t]
            self.schedules[t].shift = model.sched_shift
            self.schedules[t].period = model.sched_period
        shifted = model.group_shifted if len(model.group_shifted) == self.n_groups else np.zeros(self.n_groups)
        self.group_shifted = self._int_ptr(shifted)
        return 0

    cdef int _routing_tables(self, model) except -1:
        """The routing rules and policy tables over the model's arrays."""
        self.tg_after = self._double_ptr(model.tg_after)
        self.tg_ewt_over = self._double_ptr(model.tg_ewt_over)
        self.tg_queue_over = self._int_ptr(model.tg_queue_over)
        self.tg_min_idle = self._int_ptr(model.tg_min_idle)
        self.tg_pos = self._int_ptr(model.tg_pos)
        self.gt_after = self._double_ptr(model.gt_after)
        self.gt_ewt_over = self._double_ptr(model.gt_ewt_over)
        self.gt_queue_over = self._int_ptr(model.gt_queue_over)
        self.gt_min_idle = self._int_ptr(model.gt_min_idle)
        self.type_delay_start = self._int_ptr(model.type_delay_start)
        self.type_delays = self._double_ptr(model.type_delays)
        self.type_rules = self._int_ptr(model.type_rules)
        self.type_plain = self._int_ptr(model.type_plain)
        self._wide_tables(model)
        self.wait_weight = self._double_ptr(model.wait_weight)
        self.agent_priority = self._int_ptr(model.agent_priority)
        self.has_backup = model.backup.size > 0
        self.backup = self._int_ptr(model.backup)
        return 0

    cdef int _wide_tables(self, model) except -1:
        """The masks of wide routing (``CompiledModel.wide_routing``) and the one kept up to date
        in the run (types with callers waiting); then the classes (``_class_tables``)."""
        _, group_wide, group_bits = model.wide_routing
        self.kw = (self.n_types + 63) // 64
        self.group_wide = self._int_ptr(group_wide)
        self.group_type_bits = self._bits_ptr(group_bits)
        self.waiting_bits = self._bits_ptr(np.zeros(self.kw, dtype=np.uint64))
        return self._class_tables(model)

    cdef int _class_tables(self, model) except -1:
        """The classes of groups for longest idle (``CompiledModel.idle_classes``) and of call types
        for longest waiting (``waiting_classes``), their orders empty."""
        group_class, class_bits, type_classed = model.idle_classes
        n_classes = int(group_class.max()) + 1 if len(group_class) else 1
        self.cw = (n_classes + 63) // 64
        self.classed = self.agent_selection == AGENT_LONGEST_IDLE and bool(type_classed.any())
        self.type_classed = self._int_ptr(type_classed)
        self.type_class_bits = self._bits_ptr(class_bits)
        self.class_idle_bits = self._bits_ptr(np.zeros(self.cw, dtype=np.uint64))
        self.group_class = self._int_ptr(group_class)
        self.orders = self._class_orders(n_classes, self.n_groups, &self.heads)
        type_class, class_bits, group_classed = model.waiting_classes
        n_classes = int(type_class.max()) + 1 if len(type_class) else 1
        self.qw = (n_classes + 63) // 64
        self.queue_classed = (self.queue_selection == QUEUE_LONGEST_WAITING and model.n_priorities == 1
                              and model.level_head_start.size == 0 and bool(group_classed.any()))
        self.group_classed = self._int_ptr(group_classed)
        self.group_type_classes = self._bits_ptr(class_bits)
        self.type_class_waiting = self._bits_ptr(np.zeros(self.qw, dtype=np.uint64))
        self.type_class = self._int_ptr(type_class)
        self.type_orders = self._class_orders(n_classes, self.n_types, &self.type_heads)
        return 0

    cdef ClassOrder* _class_orders(self, int32_t n_classes, int32_t n_members, HeadKeys* heads) except NULL:
        """``n_classes`` empty class orders (freed by ``__dealloc__``), and the head keys and links
        of ``n_members`` members (groups or call types) set up in ``heads``."""
        cdef int32_t c
        cdef ClassOrder* orders = <ClassOrder*>self._alloc(n_classes * sizeof(ClassOrder))
        for c in range(n_classes):
            orders[c].first = -1
            orders[c].last = -1
        heads.key = <uint128_t*>self._alloc(max(n_members, 1) * sizeof(uint128_t))
        heads.next = self._int_ptr(np.zeros(max(n_members, 1), dtype=np.int32))
        heads.prev = self._int_ptr(np.zeros(max(n_members, 1), dtype=np.int32))
        return orders

    cdef int _idle_structures(self, model) except -1:
        """Idle counts, and the keyed heaps or the random pools the agent-selection policy reads.
        Keys: fewest_calls the calls answered today (set as the agent becomes idle),
        best_proficiency the handle-time factor for each type the group serves, best_conversion
        minus the conversion ability (absent: 0)."""
        cdef int32_t g, j, n, a, stride = 1, first
        cdef int32_t policy = self.agent_selection
        self.idle_count = self._int_ptr(np.zeros(max(self.n_groups, 1), dtype=np.int32))
        self.keyed = policy in (AGENT_FEWEST_CALLS, AGENT_BEST_PROFICIENCY, AGENT_BEST_CONVERSION)
        self.listed = policy in (AGENT_LONGEST_IDLE, AGENT_ORDERED_GROUPS)
        if self.keyed:
            served = np.diff(np.asarray(model.group_types_start))
            if policy == AGENT_BEST_PROFICIENCY:
                stride = max(int(served.max()) if len(served) else 1, 1)
            key = np.zeros((max(self.n_agents, 1), stride))
            # best_proficiency reads the agents' own factors when they have them, else the group's
            # proficiency (no [agent, call type] table is built for identical agents)
            factor = model.agent_factor if (policy == AGENT_BEST_PROFICIENCY and model.has_agent_factors) else None
            conversion = np.nan_to_num(np.asarray(model.agent_conversion, dtype=np.float64)) \
                if len(model.agent_conversion) == self.n_agents else np.zeros(self.n_agents)
            for g in range(self.n_groups):
                first = model.group_start[g]
                n = model.group_count[g]
                types = model.group_types[model.group_types_start[g]:model.group_types_start[g + 1]]
                if policy == AGENT_BEST_PROFICIENCY:
                    for j in range(len(types)):
                        key[first:first + n, j] = (factor[first:first + n, types[j]] if factor is not None
                                                   else model.group_proficiency[g])
                elif policy == AGENT_BEST_CONVERSION:
                    key[first:first + n, 0] = -conversion[first:first + n]
            self.keys.key = self._double_ptr(key)
            self.keys.since = self._double_ptr(np.zeros(max(self.n_agents, 1)))
            self.keys.pos = self._int_ptr(np.zeros(max(self.n_agents, 1) * stride, dtype=np.int32))
            self.keys.stride = stride
            self.heaps = <AgentHeap*>self._alloc(self.n_groups * stride * sizeof(AgentHeap))
            for g in range(self.n_groups):
                for j in range(stride):
                    self.heaps[g * stride + j].data = self._int_ptr(np.zeros(max(model.group_count[g], 1),
                                                                             dtype=np.int32))
                    self.heaps[g * stride + j].slot = j
        elif policy == AGENT_RANDOM:
            self.pools = <AgentPool*>self._alloc(self.n_groups * sizeof(AgentPool))
            self.pool_where = self._int_ptr(np.zeros(max(self.n_agents, 1), dtype=np.int32))
            for g in range(self.n_groups):
                self.pools[g].data = self._int_ptr(np.zeros(max(model.group_count[g], 1), dtype=np.int32))
        return 0

    cdef int _table_agents(self, model) except -1:
        """Each schedule table's agents (in index order) and its state at time 0 (its agents all
        change together, so one event per table moves them: the heap holds a schedule change per
        table, not per agent)."""
        cdef int32_t t
        sched, first, agents = model.schedule_agents
        self.table_agents = self._int_ptr(agents)
        self.table_first = self._int_ptr(first)
        self.table_base = self._double_ptr(np.zeros(max(self.n_schedules, 1)))
        self.table_cursor = self._int_ptr(np.zeros(max(self.n_schedules, 1), dtype=np.int32))
        self.table_on = self._int_ptr(np.zeros(max(self.n_schedules, 1), dtype=np.int32))
        for t in range(self.n_schedules):
            if self.schedules[t].n > 0:
                self.table_on[t] = sched_start(&self.schedules[t], &self.table_base[t], &self.table_cursor[t])
                if self.start > 0.0:
                    self.table_on[t] = sched_at(&self.schedules[t], self.table_on[t], &self.table_base[t],
                                                &self.table_cursor[t], self.start)
        self._agent_sched = sched
        return 0

    cdef void _start_schedule(self, int32_t agent, int32_t sched) noexcept:
        """Agent state at time 0: on duty (idle) unless its table says otherwise; its table's first
        schedule change is pushed by ``_run``."""
        cdef Agent* a = &self.agents[agent]
        a.sched = sched
        a.on = 1 if sched < 0 else self.table_on[sched]
        a.off = not a.on
        a.on_since = 0.0
        if a.on:
            self._idle_push(agent)

    def __dealloc__(self):
        free(self.dists)
        free(self.draws)
        free(self.profiles)
        free(self.channels)
        free(self.streams)
        free(self.agents)
        free(self.schedules)
        free(self.idle)
        free(self.orders)
        free(self.heads.key)
        free(self.type_orders)
        free(self.type_heads.key)
        free(self.heaps)
        free(self.pools)
        free(self.queues)
        if self.cb_heaps != NULL:
            for k in range(self.n_types):
                free(self.cb_heaps[k].data)
        free(self.cb_heaps)
        heap_free(&self.heap)
        free(self.calls)
        free(self.free_slots)
        free(self.records)

    cdef Dist* _one_dist(self, int32_t* periods, int32_t k):
        """Call type k's distribution when it has one period (``periods``: (first, count) per
        type), else NULL."""
        if periods[2 * k + 1] != 1:
            return NULL
        return &self.dists[self.period_dist[periods[2 * k]]]

    cdef void* _alloc(self, size_t size) except NULL:
        cdef void* p = malloc(size if size > 0 else 1)
        if p == NULL:
            raise out_of_memory_error("core")
        memset(p, 0, size)
        return p

    cdef void* _kept(self, array, dtype) except NULL:
        """The buffer of ``array`` as a C-contiguous ``dtype`` array (one element of 0 if
        empty), kept alive as long as the simulation."""
        cdef cnp.ndarray arr = np.ascontiguousarray(array, dtype=dtype)
        if arr.size == 0:
            arr = np.zeros(1, dtype=dtype)
        self._keep.append(arr)
        return cnp.PyArray_DATA(arr)

    cdef double* _double_ptr(self, array) except NULL:
        return <double*>self._kept(array, np.float64)

    cdef double* _stat_ptr(self, dict stats, str name) except NULL:
        """The buffer of statistics array ``name`` (written in place: never a copy)."""
        cdef cnp.ndarray arr = stats[name]
        return <double*>cnp.PyArray_DATA(arr) if arr.size else self._double_ptr(np.zeros(1))

    cdef uint64_t* _bits_ptr(self, array) except NULL:
        return <uint64_t*>self._kept(array, np.uint64)

    cdef int32_t* _int_ptr(self, array) except NULL:
        return <int32_t*>self._kept(array, np.int32)

    def run(self):
        """Simulate to the end; returns the statistic arrays (a dict of numpy arrays). After
        ``run_until`` calls it goes on from where they stopped."""
        cdef int error
        if self._done:
            raise RuntimeError("a Simulation runs once; build a new one")
        self._done = True
        with nogil:
            error = self._run()
        self._raise(error)
        for skipped in self._skipped:
            skipped.check()  # no draw from a stream skipped as never drawn from (compile.bit_generators)
        if self.keep_records:
            self._stats["call_records"] = self._records_array()
        return self._stats

    def run_until(self, double t):
        """Process the events at times <= t (the first call pushes the first events), then
        return to Python with the run paused: its statistic arrays (``stats``) hold the
        cumulative counts so far, and agents may leave (``leave``) before the next call. ``run()``
        then finishes the run: ``run_until`` in steps and ``run`` give the same run bit for bit."""
        cdef int error
        if self._done:
            raise RuntimeError("the run has finished")
        with nogil:
            error = self._advance(t, False)
        self._raise(error)

    @property
    def stats(self):
        """The statistic arrays, cumulative so far (written in place as the run goes on). The
        by-interval tables have an extra last row, which ``engines.rows.fold_rows`` folds into the
        warm-up's interval and the totals after the warm-up (``engines.core.raw_stats``)."""
        return self._stats

    def leave(self, int32_t agent):
        """Agent ``agent`` leaves the center now, never to come back: an idle agent at once, a
        busy one when its call ends (its after-call work done); off duty at every later schedule
        change. Its staffed time stops when it goes (an agent always on duty had it counted to
        the horizon at the start: the rest is taken back). Twin of ``ContactCenter.leave``."""
        cdef Agent* a
        if agent < 0 or agent >= self.n_agents:
            raise IndexError(f"no agent {agent}")
        a = &self.agents[agent]
        if a.gone:
            return
        a.gone = 1
        if a.off:
            return
        a.on = 0
        if a.idle:
            self._idle_remove(agent)
            self._go_off(agent)

    def set_ability(self, int32_t agent, factor_row=None, acw=None, conversion=None):
        """Change ``agent``'s abilities now (between ``run_until`` calls): its handle-time factors
        (``factor_row``, one per call type), its after-call-work factor (``acw``) and its
        conversion ability (``conversion``, NaN = the type's); None leaves one as it is. Calls
        answered later use them. Writes the arrays the run reads through pointers (a copy of the
        model's, see ``stepping.paused_run``). Twin of ``ContactCenter.set_ability``."""
        cdef int32_t k
        if agent < 0 or agent >= self.n_agents:
            raise IndexError(f"no agent {agent}")
        if (factor_row is not None or acw is not None) and not self.per_agent:
            raise ValueError("the model has no per-agent handle-time factors (populations or a roster)")
        if conversion is not None and not self.has_funnel:
            raise ValueError("the model has no funnel: there is no conversion ability to set")
        if factor_row is not None:
            row = np.asarray(factor_row, dtype=np.float64)
            if row.shape != (self.n_types,):
                raise ValueError(f"factor_row: expected {self.n_types} factors, found shape {row.shape}")
            for k in range(self.n_types):
                self.agent_factor[agent * self.n_types + k] = row[k]
        if acw is not None:
            self.acw_factor[agent] = float(acw)
        if conversion is not None:
            self.funnel.agent_conversion[agent] = float(conversion)

    def rejoin(self, int32_t agent):
        """Agent ``agent``, gone (``leave``), joins again now (a hire into a pre-allocated slot):
        on duty at once if its schedule says so (or it has none), else at its next shift. Its
        staffed time counts from now. Twin of ``ContactCenter.rejoin``."""
        cdef Agent* a
        cdef int error
        if agent < 0 or agent >= self.n_agents:
            raise IndexError(f"no agent {agent}")
        a = &self.agents[agent]
        if not a.gone:
            return
        if not a.off:
            raise ValueError(f"agent {agent} has left but is still on a call: it cannot rejoin yet")
        with nogil:
            error = self._come_back(agent)
        self._raise(error)

    cdef int _come_back(self, int32_t agent) noexcept nogil:
        """A gone agent, off duty, joins again now (``rejoin``; the end of an absence of a start
        state): on duty if its schedule says so, its staffed time counted from now."""
        cdef Agent* a = &self.agents[agent]
        cdef double lo
        a.gone = 0
        a.on = 1 if a.sched < 0 else self.table_on[a.sched]
        if not a.on:
            return 0
        if not self.group_shifted[a.group]:  # always on duty: its staffed time counted to the horizon
            add_clock(&self.stats, a.group, self.now, self.horizon, 1.0, G_STAFFED, IG_STAFFED)
            lo = self.now if self.now > self.stats.warmup else self.stats.warmup
            if self.horizon > lo:
                self.stats.agent_totals[agent * N_AGENT_FIELDS + A_STAFFED] += self.horizon - lo
        a.off = 0
        a.on_since = self.now
        return self._next_work(agent)

    def gone(self, int32_t agent):
        """Whether ``agent`` has left (``leave``)."""
        if agent < 0 or agent >= self.n_agents:
            raise IndexError(f"no agent {agent}")
        return bool(self.agents[agent].gone)

    def off(self, int32_t agent):
        """Whether ``agent`` is off duty now (logged out, on a break, or gone and off the phone)."""
        if agent < 0 or agent >= self.n_agents:
            raise IndexError(f"no agent {agent}")
        return bool(self.agents[agent].off)

    # ---- a start state (ccsim.state) ------------------------------------------------

    def inject(self, draws):
        """Start the run from a state (``ccsim.state.draws.StartDraws``, drawn for this run): the
        first events from the state's clock, then its busy agents, its agents away, and its waiting
        callers (longest waiting first), all before any event. Once, before ``run``. Twin of
        ``ContactCenter.inject``."""
        cdef int32_t i
        cdef int error
        if self._started:
            raise RuntimeError("a start state is injected before the run starts")
        with nogil:
            error = self._setup()
        self._raise(error)
        for i in range(len(draws.busy_agent)):
            if self._busy_at_start(draws.busy_agent[i], draws.busy_type[i], draws.busy_talk[i],
                                   draws.busy_acw[i]) != 0:
                self._raise(self.error)
        for i in range(len(draws.away_agent)):
            self.leave(draws.away_agent[i])
            if draws.away_until[i] < INFINITY:
                self.n_shift_events += 1  # ends like a schedule change (a drained run stops before it)
                if self._push(draws.away_until[i], EV_RETURN, draws.away_agent[i], 0) != 0:
                    self._raise(self.error)
        for i in range(len(draws.waiting_type)):
            if self._caller_at_start(draws.waiting_type[i], draws.waiting_arrival[i], draws.waiting_priority[i],
                                     draws.waiting_channel[i], draws.waiting_propensity[i], draws.waiting_handle[i],
                                     draws.waiting_patience[i], draws.waiting_acw[i], draws.waiting_consult[i],
                                     draws.waiting_transfer[i]) != 0:
                self._raise(self.error)

    cdef int _busy_at_start(self, int32_t agent, int32_t k, double talk, double acw) noexcept nogil:
        """Idle ``agent`` is talking to a type-k caller answered before the start: ``talk`` seconds
        left, then ``acw`` (its factor applied). Its call holds a line; it counts in no statistic."""
        cdef Agent* a = &self.agents[agent]
        self._idle_remove(agent)
        a.busy_since = self.now
        a.call_type = k
        a.acw = acw
        a.callback = 0
        self.lines_busy += 1
        return self._push_talk_end(agent, talk)

    cdef int _caller_at_start(self, int32_t k, double arrival, int32_t priority, int32_t channel,
                              double propensity, double handle, double patience, double acw, double consult,
                              int32_t to) noexcept nogil:
        """A caller of type k waiting since ``arrival`` (before the start), ``patience`` seconds of
        patience left: offered in the start's interval, answered now by an idle agent able to take
        it, else queued (its waits count from ``arrival``)."""
        cdef Caller who
        cdef int32_t row = row_at(&self.stats, self.now), agent, slot
        cdef bint counted = self.now >= self.warmup
        self._new_caller(&who, k, arrival, priority, channel, -1, propensity)
        count(&self.stats, k, row, F_ARRIVED, 1.0)
        count(&self.stats, k, row, F_OFFERED, 1.0)
        self.lines_busy += 1
        if self.type_rules[k] and self._queued_ahead(k, priority, arrival):
            agent = -1
        else:
            agent = self._take_idle_agent(k, arrival, self.type_waiting[k] + 1, True)
        if agent >= 0:
            return self._answer(agent, &who, arrival, k, row, counted, self.now - arrival, handle, acw, consult, to)
        if self._over_budget(k):
            return self._fail(ERR_BUDGET)
        slot = self._wait_in_queue(&who, -1, k, arrival, row, counted, handle, acw, patience, consult, to)
        if slot < 0 or self._delays_at_start(slot) != 0:
            return -1
        if self.type_rules[k]:
            return self._dispatch(k)
        return 0

    cdef int _delays_at_start(self, int32_t slot) noexcept nogil:
        """A start caller's re-routing delays: those already past are skipped, and checked once now
        (an overflow event at the start); else its next one is scheduled as usual."""
        cdef Call* c = &self.calls[slot]
        cdef int32_t first = self.type_delay_start[c.call_type], end = self.type_delay_start[c.call_type + 1]
        cdef bint passed = False
        while first + c.ov_step < end and c.arrival + self.type_delays[first + c.ov_step] < self.now:
            c.ov_step += 1
            passed = True
        if passed:
            return self._push(self.now, EV_OVERFLOW, slot, c.gen)
        return self._next_delay(slot)

    cdef int _raise(self, int error) except -1:
        """Raise the error the loop stopped on, if any."""
        if error == ERR_BUDGET:
            raise overflow_error(self._model, self.overflow_type, self.now, self.n_waiting,
                                 self.n_timers + self.n_other, self.n_scheduled)
        if error == ERR_AIRING_BUDGET:
            raise airing_overflow_error(self._model, self.overflow_airing, self.now, self.overflow_calls,
                                        self.n_waiting + self.n_timers + self.n_other + self.n_scheduled)
        if error == ERR_ROUTER:
            raise self.router_exc
        if error != ERR_NONE:
            raise out_of_memory_error("core")
        return 0

    cdef object _records_array(self):
        from .results import CALL_RECORD_DTYPE as dtype
        assert dtype.itemsize == sizeof(CallRecord)
        out = np.empty(self.n_records, dtype=dtype)
        cdef char* dst = <char*>cnp.PyArray_DATA(out)
        memcpy(dst, self.records, self.n_records * sizeof(CallRecord))
        return out

    # ---- the event loop -------------------------------------------------------

    cdef int _run(self) noexcept nogil:
        """The whole run (from where ``run_until`` left it), then the close."""
        if self._advance(INFINITY, True) != 0:
            return self.error
        self.end_time = self._last_time if self.drain else self.horizon
        if self._close() != 0:
            return self.error
        return ERR_NONE

    cdef int _setup(self) noexcept nogil:
        """The first events: each source's first arrival, the airings, the schedule changes."""
        cdef int32_t k
        cdef double t
        self._started = True
        self.calls_simulated = 0
        self._last_time = 0.0
        for k in range(self.n_sources):
            t = self._next_arrival(k, self.start)
            if t < self.horizon and self._push_arrival(t, k) != 0:
                return self.error
        for k in range(self.n_airings):
            if self.airing_time[k] < self.start:  # aired before the start state: its calls after it ring
                self.now = self.airing_time[k]
                if self._on_airing(k) != 0:
                    return self.error
            elif self._push(self.airing_time[k], EV_AIRING, k, 0) != 0:
                return self.error
        self.now = self.start
        for k in range(self.n_schedules):
            if self._first_shift(k) != 0:
                return self.error
        t = 86400.0 * (<int64_t>(self.start / 86400.0) + 1)  # the first midnight after the start
        if self.agent_selection == AGENT_FEWEST_CALLS and t < self.horizon:
            if self._push(t, EV_DAY, -1, 0) != 0:
                return self.error
        return ERR_NONE

    cdef int _advance(self, double until, bint to_end) noexcept nogil:
        """Process events until the run's end, or (``to_end`` false) only those at times <= until."""
        cdef Event ev
        cdef Event* first
        cdef int handled, kind
        if not self._started and self._setup() != 0:
            return self.error
        # stale timers may be dropped from the wheel up to here: no later than where this call
        # may stop, so that it stops where (and at the clock) it would with them popped
        cdef double bound = self.drain_end if self.drain else self.horizon
        if not to_end and until < bound:
            bound = until
        while True:
            first = heap_first(&self.heap)
            if heap_wheel_due(&self.heap, first):
                if self._take_timers(bound) != 0:
                    return self.error
                continue
            if heap_far_due(&self.heap, first):
                if heap_far_take(&self.heap) != 0:
                    self._fail(ERR_NO_MEMORY)
                    return self.error
                continue
            if first == NULL:  # no event left (the wheels are empty: not due)
                break
            # after the horizon: cut, or drained until only schedule changes are left (and the
            # stale timers dropped: they would still be there, before the last of them), or
            # until drain_end at the latest
            if first.time > self.horizon and (not self.drain or first.time > self.drain_end or (
                    heap_count(&self.heap) == self.n_shift_events and self._dropped_before(first))):
                break
            if not to_end and first.time > until:
                break
            kind = event_kind(first)
            if kind != EV_ARRIVAL:
                heap_pop(&self.heap, first, &ev)
                self.now = ev.time
            if kind == EV_ARRIVAL:  # the arrivals' root (every arrival is there), left for _on_arrival to replace
                self.now = first.time
                handled = self._on_arrival(first.target)
            elif kind == EV_TALK_END:
                handled = self._on_talk_end(ev.target)
            elif kind == EV_ACW_END:
                handled = self._on_agent_free(ev.target)
            elif kind == EV_SHIFT:
                self.n_shift_events -= 1
                if self._on_shift(ev.target) != 0:
                    return self.error
                continue  # not an event of the center's calls (end_time)
            elif kind == EV_ABANDON:
                self.n_timers -= 1  # this patience timer has run out, answered or not
                handled = self._on_abandon(ev.target, ev.gen)
                if handled == 1:
                    handled = 0
                elif handled == 0:
                    continue  # a stale abandonment is not an event of the center
            elif kind == EV_IVR:
                handled = self._on_menu_step(ev.target)
            elif kind == EV_RETRY:
                handled = self._on_retry(ev.target)
            elif kind == EV_AD_ARRIVAL:
                handled = self._on_ad_arrival(ev.target)
            elif kind == EV_CB_READY:
                handled = self._on_cb_ready(ev.target)
            elif kind == EV_ROUTER_TIMER:
                handled = self._on_router_timer(ev.target)
            elif kind == EV_OVERFLOW:
                handled = self._on_overflow(ev.target, ev.gen)
                if handled == 1:
                    handled = 0
                elif handled == 0:
                    continue  # stale: the call was answered or has gone
            elif kind == EV_DAY:
                if self._on_day() != 0:
                    return self.error
                continue  # not an event of the center's calls (end_time)
            elif kind == EV_AIRING:
                if self._on_airing(ev.target) != 0:
                    return self.error
                continue  # it only schedules calls: not an event of the center (end_time)
            elif kind == EV_RETURN:
                self.n_shift_events -= 1
                if self._come_back(ev.target) != 0:
                    return self.error
                continue  # like a schedule change
            else:  # EV_LINE_FREE
                self.lines_busy -= 1
                handled = 0
            if handled != 0 or (self.has_router and self.error != ERR_NONE):
                return self.error
            self._last_time = self.now
        if self.has_dropped and self.dropped_max.time > self.now:
            self.now = self.dropped_max.time  # the clock where the dropped timers would have left it
        return ERR_NONE

    cdef inline bint _dropped_before(self, Event* first) noexcept nogil:
        """Whether every stale timer dropped from the wheel comes before ``first`` (as they would
        all have been popped by now)."""
        return not self.has_dropped or event_before(&self.dropped_max, first)

    cdef int _fail(self, int error) noexcept nogil:
        """Note why the loop must stop; -1, for the handler to return."""
        self.error = error
        return -1

    cdef inline bint _over_budget(self, int32_t who) noexcept nogil:
        """Whether one more caller pending (waiting, in a menu or between attempts) would pass
        the run budget; notes ``who`` (a call type or source) for the message."""
        if self.n_waiting + self.n_timers + self.n_other + self.n_scheduled >= self.max_pending:
            self.overflow_type = who
            return True
        return False

    # ---- a caller's attempts -------------------------------------------------------

    cdef int _on_arrival(self, int32_t s) noexcept nogil:
        """A first attempt of source s (a call type, or n_types + entry). Its event is still the
        arrivals' root (``_advance`` does not pop it): the source's next arrival takes its place
        (``heap_replace_arrival``: one pass instead of a pop and a push, the same keys), or it
        goes when the source has none, before anything else can push an event."""
        cdef double t = self.now
        cdef double t_next = self._next_arrival(s, t)
        cdef int32_t interval
        if t_next < self.horizon:
            if self.prefetching and s < self.n_types:  # its row of the interval table, fetched while other events run
                interval = interval_of(&self.stats, t_next)
                if interval > self.touched:  # the first arrival drawn into that interval
                    touch_calls(&self.stats, interval)
                    self.touched = interval
                prefetch_calls(&self.stats, s, t_next)
            heap_replace_arrival(&self.heap, t_next, EV_ARRIVAL, s, 0)
        else:
            heap_drop_arrival(&self.heap)
        return self._first_attempt(s, -1, -1)

    cdef int _on_ad_arrival(self, int32_t i) noexcept nogil:
        """A call that airing i scheduled rings: a first attempt at its channel's source."""
        cdef int32_t c = self.airing_channel[i]
        self.n_scheduled -= 1
        return self._first_attempt(self.channels[c].call_type, c, i)

    cdef int _on_airing(self, int32_t i) noexcept nogil:
        """Airing i: N ~ Poisson(its mean) calls, each at its time + a response delay, those
        before the horizon scheduled; all from its channel's stream. Twin of the SimPy ``air``."""
        cdef int32_t c = self.airing_channel[i]
        cdef bitgen_t* rng = self.streams[self.base_ads + c]
        cdef int64_t j, n = airing_count(self.airing_mean[i], rng)
        cdef double t
        for j in range(n):
            t = self.now + ad_delay(&self.channels[c], rng)
            if t < self.horizon and t >= self.start:
                # the limit counts the calls scheduled (those after the horizon or before a start
                # state are not): an airing whose calls all fall past the horizon is no overflow
                if self.n_waiting + self.n_timers + self.n_other + self.n_scheduled + 1 > self.max_pending:
                    self.overflow_airing = i
                    self.overflow_calls = n
                    return self._fail(ERR_AIRING_BUDGET)
                self.n_scheduled += 1
                if self._push(t, EV_AD_ARRIVAL, i, 0) != 0:
                    return -1
        return 0

    cdef inline void _new_caller(self, Caller* who, int32_t s, double first, int32_t priority, int32_t channel,
                                 int32_t airing, double propensity) noexcept nogil:
        """A new caller of source s who first rang at ``first`` (now, or before a start state),
        counted now: in the interval of now, after the warm-up if now is."""
        who.id = self.n_callers
        who.first = first
        who.ring = first
        who.source = s
        who.attempt = 1
        who.priority = priority
        who.counted = self.now >= self.warmup
        who.row = row_at(&self.stats, self.now)
        who.ring_row = who.row
        who.channel = channel
        who.airing = airing
        who.transferring = 0
        who.propensity = propensity
        self.n_callers += 1
        self._count_caller(who, C_CALLERS)
        self.calls_simulated += 1

    cdef int _first_attempt(self, int32_t s, int32_t channel, int32_t airing) noexcept nogil:
        """A new caller of source s (organic: channel and airing -1) rings now."""
        cdef Caller who
        self._new_caller(&who, s, self.now, 0, channel, airing,
                         random_standard_uniform(self.streams[self.base_propensity + s]) if self.has_funnel else 1.0)
        if s < self.n_types:
            return self._reach_type(&who, s, -1, False, False)
        return self._enter_menu(&who, -1)

    cdef int _on_retry(self, int32_t slot) noexcept nogil:
        """A caller between attempts tries again (it keeps its slot)."""
        cdef Caller* who = &self.calls[slot].who
        self.n_other -= 1
        who.attempt += 1
        who.ring = self.now
        who.priority = 0
        who.ring_row = row_at(&self.stats, self.now)
        self.calls_simulated += 1
        if who.source < self.n_types:
            return self._reach_type(who, who.source, slot, False, False)
        return self._enter_menu(who, slot)

    cdef int _reach_type(self, Caller* who, int32_t k, int32_t slot, bint has_line, bint forwarded) noexcept nogil:
        """The attempt reaches call type k (straight from its ring, or routed by a menu or forwarded
        while closed, holding a line). ``slot``: the caller's slot, or -1 (``who`` is then on the stack)."""
        cdef double t = self.now
        # straight from its ring (now), or routed by a menu later
        cdef int32_t row = row_at(&self.stats, t) if has_line else who.ring_row
        cdef bint counted = t >= self.warmup
        cdef TypeDraws* draws = &self.draws[k]
        # a retrial or a transfer leg draws from the type's leg stream, a first attempt from its own
        # three (common random numbers: compile.LEG_SOURCE)
        cdef bint leg = who.attempt > 1 or who.transferring
        cdef double handle = sample(self._draw_dist(draws.handle, self.handle_periods, k, t),
                                    draws.leg_rng if leg else draws.handle_rng, self.empirical)
        cdef double patience = sample(self._draw_dist(draws.patience, self.patience_periods, k, t),
                                      draws.leg_rng if leg else draws.patience_rng, self.empirical)
        cdef double acw = sample(self._draw_dist(draws.acw, self.acw_periods, k, t),
                                 draws.leg_rng if leg else draws.acw_rng, self.empirical)
        cdef double message, predicted, consult = -1.0
        cdef int32_t agent, to = -1
        if self.talk_extra[k]:  # its consult and transfer, if answered (a type without either draws none)
            to = self._talk_draws(k, self.streams[(self.base_leg_transfer if leg else self.base_transfer) + k], &consult)
        count(&self.stats, k, row, F_ARRIVED, 1.0)
        if forwarded:
            count(&self.stats, k, row, F_FORWARDED, 1.0)
        elif has_line:
            if who.transferring:  # a transfer at the end of a talk (``_transfer``)
                who.transferring = 0
                count(&self.stats, k, row, F_TRANSFERRED_IN, 1.0)
            else:
                count(&self.stats, k, row, F_ROUTED, 1.0)
        elif who.attempt > 1:
            count(&self.stats, k, row, F_RETRIALS, 1.0)
        if not has_line and self.lines >= 0 and self.lines_busy >= self.lines:
            count(&self.stats, k, row, F_BLOCKED, 1.0)
            if self._record(who, 0.0, 0.0, 0.0, k, OUT_BLOCKED, -1) != 0:
                return -1
            return self._lost(who, slot, LOST_BLOCKED, t)
        if not has_line and self._closed_now():
            count(&self.stats, k, row, F_CLOSED, 1.0)
            return self._closed(who, slot)
        if self.type_rules[k] and self._queued_ahead(k, who.priority, t):
            agent = -1  # callers ahead: a group this call makes eligible takes the head (_dispatch)
        else:
            agent = self._take_idle_agent(k, t, self.type_waiting[k] + 1, True)
        if agent < 0:
            if patience <= 0.0:  # never waits (Erlang B): lost, no queue
                count(&self.stats, k, row, F_OFFERED, 1.0)
                if has_line:
                    self.lines_busy -= 1
                if self._record_abandon(who, k, row, 0.0) != 0:
                    return -1
                return self._lost(who, slot, LOST_ABANDONED, t)
            if self._queue_full(k):
                count(&self.stats, k, row, F_BLOCKED, 1.0)
                count(&self.stats, k, row, F_QUEUE_FULL, 1.0)
                if self._record(who, 0.0, 0.0, 0.0, k, OUT_QUEUE_FULL, -1) != 0:
                    return -1
                message = self.full_message[k]
                if message < 0.0:
                    if has_line:
                        self.lines_busy -= 1
                    return self._lost(who, slot, LOST_BLOCKED, t)
                if not has_line:
                    self.lines_busy += 1
                if self._push(t + message, EV_LINE_FREE, -1, 0) != 0:
                    return -1
                return self._lost(who, slot, LOST_BLOCKED, t + message)
            if self._over_budget(k):
                return self._fail(ERR_BUDGET)
            predicted = (<double>(self.type_waiting[k] + 1)) * self.wait_unit[k]
            if predicted > self.cb_offer_after[k]:  # virtual hold: a callback offered
                count(&self.stats, k, row, F_CB_OFFERED, 1.0)
                if random_standard_uniform(self.streams[self.base_callback + k]) < self.cb_accept[k]:
                    count(&self.stats, k, row, F_CB_ACCEPTED, 1.0)
                    if has_line:
                        self.lines_busy -= 1
                    if self._record(who, 0.0, 0.0, 0.0, k, OUT_CALLBACK_REQUESTED, -1) != 0:
                        return -1
                    slot = self._item(who, slot, k, t, handle, acw)
                    if slot < 0:
                        return -1
                    return self._request_callback(slot, True, 0.0)
            if self.ann_on[k]:  # the announced wait scales the caller's patience
                patience *= self.ann_long[k] if predicted > self.ann_threshold[k] else self.ann_short[k]
        count(&self.stats, k, row, F_OFFERED, 1.0)
        if not has_line:
            self.lines_busy += 1  # a line is held while waiting and talking
        if agent >= 0:
            if self._answer(agent, who, t, k, row, counted, 0.0, handle, acw, consult, to) != 0:
                return -1
            if slot >= 0:
                self._free_call(slot)
            return 0
        slot = self._wait_in_queue(who, slot, k, t, row, counted, handle, acw, patience, consult, to)
        if slot < 0 or self._next_delay(slot) != 0:
            return -1
        if self.type_rules[k]:
            return self._dispatch(k)
        return 0

    cdef inline bint _queued_ahead(self, int32_t k, int32_t level, double arrival) noexcept nogil:
        """Whether callers of type k wait ahead of one arriving at ``arrival`` on priority level
        ``level``: on that level or higher (strict levels); with head starts, one whose arrival -
        head start is earlier, or equal on a level as high."""
        cdef int32_t l, head
        cdef double key
        if self.head_started:
            key = arrival - self.level_start[level]
            for l in range(self.n_levels):
                head = self.queues[k * self.n_levels + l].head
                if head >= 0 and (self.calls[head].arrival - self.level_start[l] < key or (
                        self.calls[head].arrival - self.level_start[l] == key and l >= level)):
                    return True
            return False
        for l in range(level, self.n_levels):
            if self.queues[k * self.n_levels + l].head >= 0:
                return True
        return False

    cdef inline bint _queue_full(self, int32_t k) noexcept nogil:
        """Whether call type k's queue, or its pool, has no waiting place left."""
        cdef int32_t cap = self.queue_capacity[k], pool = self.queue_pool[k]
        if cap >= 0 and self.type_waiting[k] >= cap:
            return True
        return pool >= 0 and self.pool_waiting[pool] >= self.pool_capacity[pool]

    cdef int _lost(self, Caller* who, int32_t slot, int cause, double start) noexcept nogil:
        """The attempt ended without service: the caller tries again (a retrial at
        ``start`` + its delay, before the horizon) or its outcome is counted."""
        cdef int32_t s = who.source
        cdef double p = self.retry_blocked[s] if cause == LOST_BLOCKED else self.retry_abandoned[s]
        cdef bitgen_t* rng
        cdef double t
        if who.attempt < self.max_attempts[s] and p > 0.0:
            rng = self.streams[self.base_retrial + s]
            if random_standard_uniform(rng) < p:
                t = start + sample(&self.dists[self.retry_delay_dist[s]], rng, self.empirical)
                if t < self.horizon:
                    if self._over_budget(s):
                        return self._fail(ERR_BUDGET)
                    slot = self._own_slot(who, slot)
                    if slot < 0:
                        return -1
                    self.calls[slot].state = CALL_ORBIT
                    self.n_other += 1
                    return self._push(t, EV_RETRY, slot, self.calls[slot].gen)
                self._count_caller(who, C_RETRY_AFTER_HORIZON)
                if slot >= 0:
                    self._free_call(slot)
                return 0
        self._count_caller(who, C_BLOCKED if cause == LOST_BLOCKED else C_ABANDONED)
        if slot >= 0:
            self._free_call(slot)
        return 0

    # ---- menus -----------------------------------------------------------------------

    cdef int _enter_menu(self, Caller* who, int32_t slot) noexcept nogil:
        """An attempt rings an entry: a line, then the entry's menu from its start node."""
        cdef int32_t e = who.source - self.n_types
        cdef double t = self.now
        cdef int32_t row = row_at(&self.stats, t)
        cdef bint counted = t >= self.warmup
        cdef int32_t tree = self.entry_tree[e]
        cdef Call* c
        count_entry(&self.stats, e, row, E_ARRIVED, 1.0)
        if who.attempt > 1:
            count_entry(&self.stats, e, row, E_RETRIALS, 1.0)
        if self.lines >= 0 and self.lines_busy >= self.lines:
            count_entry(&self.stats, e, row, E_BLOCKED, 1.0)
            if self._record(who, 0.0, 0.0, 0.0, -1, OUT_BLOCKED, -1) != 0:
                return -1
            return self._lost(who, slot, LOST_BLOCKED, t)
        if self._closed_now():
            count_entry(&self.stats, e, row, E_CLOSED, 1.0)
            return self._closed(who, slot)
        if self._over_budget(who.source):
            return self._fail(ERR_BUDGET)
        self.lines_busy += 1
        slot = self._own_slot(who, slot)
        if slot < 0:
            return -1
        c = &self.calls[slot]
        c.state = CALL_IVR
        c.entry_row = row
        c.entry_counted = counted
        c.deadline = t + sample(&self.dists[self.tree_patience_dist[tree]], self._menu_rng(tree, who.attempt),
                                self.empirical)
        self.n_other += 1
        self._list_append(&self.in_menu, slot)
        return self._enter_node(slot, self.tree_start[tree])

    cdef inline bitgen_t* _menu_rng(self, int32_t tree, int32_t attempt) noexcept nogil:
        """The stream of a walk of menu ``tree``: its own for first attempts, its retrial stream for
        later ones (common random numbers: compile.IVR_RETRIAL_SOURCE)."""
        if attempt > 1:
            return self.streams[self.base_ivr_retrial + tree]
        return self.streams[self.base_ivr + tree]

    cdef int _enter_node(self, int32_t slot, int32_t j) noexcept nogil:
        """The caller in ``slot`` starts node j: it ends after its duration, unless the
        caller's IVR patience runs out first (a node ending just then is completed)."""
        cdef Call* c = &self.calls[slot]
        cdef double end
        count_node(&self.stats, j, c.entry_counted, N_ENTERED)
        c.node = j
        end = self.now + sample(&self.dists[self.node_dist[j]], self._menu_rng(self.node_tree[j], c.who.attempt),
                                self.empirical)
        c.node_end = end
        return self._push(c.deadline if c.deadline < end else end, EV_IVR, slot, c.gen)

    cdef int _on_menu_step(self, int32_t slot) noexcept nogil:
        """A node ends (a branch is taken) or the caller's IVR patience runs out inside it."""
        cdef Call* c = &self.calls[slot]
        cdef int32_t j = c.node, e = c.who.source - self.n_types, b, kind, target
        cdef double u
        cdef bint counted = c.entry_counted
        if self.now < c.node_end:  # hung up inside the node
            self._list_remove(&self.in_menu, slot)
            self.n_other -= 1
            count_node(&self.stats, j, counted, N_HUNG_UP)
            count_entry(&self.stats, e, c.entry_row, E_IVR_HUNG_UP, 1.0)
            count_entry(&self.stats, e, c.entry_row, E_IVR_SECONDS, self.now - c.who.ring)
            self.lines_busy -= 1
            if self._record(&c.who, 0.0, 0.0, 0.0, -1, OUT_IVR_HUNG_UP, -1) != 0:
                return -1
            self._count_caller(&c.who, C_IVR_HUNG_UP)
            self._free_call(slot)
            return 0
        u = random_standard_uniform(self._menu_rng(self.node_tree[j], c.who.attempt))
        b = self.node_branch_start[j]
        while u >= self.branch_cum[b]:
            b += 1
        kind = self.branch_kind[b]
        target = self.branch_target[b]
        count_node(&self.stats, j, counted, NODE_EXIT[kind])
        if kind == BRANCH_NODE:
            return self._enter_node(slot, target)
        self._list_remove(&self.in_menu, slot)
        self.n_other -= 1
        count_entry(&self.stats, e, c.entry_row, E_IVR_SECONDS, self.now - c.who.ring)
        count_entry(&self.stats, e, c.entry_row, ENTRY_EXIT[kind], 1.0)
        if kind == BRANCH_QUEUE:
            c.who.priority = self.branch_priority[b]
            return self._reach_type(&c.who, target, slot, True, False)
        self.lines_busy -= 1
        if self._record(&c.who, 0.0, 0.0, 0.0, -1, OUT_EXIT[kind], -1) != 0:
            return -1
        if kind == BRANCH_VOICEMAIL and self.voicemail_type >= 0:
            return self._voicemail(&c.who, slot)
        self._count_caller(&c.who, CALLER_EXIT[kind])
        self._free_call(slot)
        return 0

    # ---- agents ------------------------------------------------------------------------

    cdef inline void _count_caller(self, Caller* who, int field) noexcept nogil:
        count_caller(&self.stats, who.source, who.channel, who.airing, who.row, who.counted, field)

    cdef inline Dist* _draw_dist(self, Dist* one, int32_t* periods, int32_t k, double t) noexcept nogil:
        """``one`` (TypeDraws: the type's only distribution), else the one of t's period."""
        if one != NULL:
            return one
        return period_dist(self.dists, self.period_start, self.period_dist, periods, k, t)

    cdef int _answer(self, int32_t agent, Caller* who, double arrival, int32_t k, int32_t row,
                     bint counted, double wait, double handle, double acw, double consult, int32_t to) noexcept nogil:
        """``agent`` takes the caller now, with the needs drawn as it reached type k (``consult``:
        its duration, -1 for none; ``to``: the type its talk transfers it to, -1 none)."""
        cdef Agent* a = &self.agents[agent]
        cdef double talk = handle * self._factor(agent, k)
        cdef double* g
        cdef double* r
        if consult >= 0.0:
            talk += consult
            count(&self.stats, k, row, F_CONSULTS, 1.0)
        if self.has_funnel and self.funnel.sells[k]:
            talk = talk * self._sell(agent, who, k, row, counted, wait)
        if self.per_agent:
            acw = acw * self.acw_factor[agent]
        a.busy_since = self.now
        a.call_type = k
        a.acw = acw
        a.handled += 1
        r = call_row(&self.stats, k, row)
        r[F_ANSWERED] += 1.0
        if self.has_backup and self.backup[k * self.n_groups + a.group]:
            r[F_OVERFLOWED] += 1.0
        r[F_WAIT_ANSWERED] += wait
        if wait <= self.sl_type_threshold[k]:
            r[F_ANSWERED_IN_SL] += 1.0
        if self.stats.n_thresholds:
            count_within(&self.stats, k, row, wait)
        r[F_TALK] += talk
        r[F_HANDLE] += talk + acw
        if counted:
            g = &self.stats.group_totals[a.group * N_GROUP_FIELDS]
            g[G_ANSWERED] += 1.0
            g[G_TALK] += talk
            g[G_HANDLE] += talk + acw
            count_answer(&self.stats, agent, k, talk, acw)
        if to < 0:  # served: its time in the center ends with this talk
            count_served(&self.stats, who.source, who.channel, who.airing, who.row, who.counted,
                         self.now + talk - who.ring)
        else:  # served at its last leg
            count(&self.stats, k, row, F_TRANSFERRED_OUT, 1.0)
            if counted:
                self.stats.agent_totals[agent * N_AGENT_FIELDS + A_TRANSFERS] += 1.0
        if self.keep_records:
            if self._record(who, wait, talk, acw, k, OUT_ANSWERED, agent) != 0:
                return -1
        if to >= 0 and self._hold_transfer(agent, who, to) != 0:
            return -1
        return self._push_talk_end(agent, talk)

    cdef double _sell(self, int32_t agent, Caller* who, int32_t k, int32_t row, bint counted,
                      double wait) noexcept nogil:
        """A type-k call answered by ``agent``: an order iff the caller's propensity is below the
        order probability; its life drawn and counted (_funnel). Returns the talk factor."""
        cdef Order o
        if counted:
            count_sale(&self.funnel, k, who.channel, who.airing, agent)
        if who.propensity >= order_probability(&self.funnel, k, agent, who.channel, wait):
            return 1.0
        order_life(&self.funnel, self.streams[self.base_order + k], k, who.channel, self.now, &o)
        count(&self.stats, k, row, F_ORDERS, 1.0)
        count(&self.stats, k, row, F_ORDER_VALUE, o.value)
        if counted:
            count_order(&self.funnel, &o, k, who.channel, who.airing, agent)
        return self.funnel.talk_factor[k]

    cdef inline double _factor(self, int32_t agent, int32_t k) noexcept nogil:
        """The handle-time factor of ``agent`` for a call of type k."""
        if self.per_agent:
            return self.agent_factor[agent * self.n_types + k]
        return self.proficiency[self.agents[agent].group]

    # ---- transfers ---------------------------------------------------------------------

    cdef int32_t _talk_draws(self, int32_t k, bitgen_t* rng, double* consult) noexcept nogil:
        """What a type-k call's talk holds if it is answered, drawn from ``rng`` (its ("transfer",
        k) stream, or for a retrial or a transfer leg its leg_transfer one) as it reaches the type, so that
        the i-th caller's are the same whichever callers a policy answers (common random
        numbers): its consult (one uniform against the consult probability, then its duration,
        in ``consult``; -1 for none) and where its talk end transfers it (one uniform against the
        cumulative probabilities; returned, -1 for nowhere)."""
        cdef double u
        cdef int32_t j
        consult[0] = -1.0
        if self.consult_p[k] > 0.0 and random_standard_uniform(rng) < self.consult_p[k]:
            consult[0] = sample(&self.dists[self.consult_dist[k]], rng, self.empirical)
        if self.transfer_start[k + 1] == self.transfer_start[k]:
            return -1
        u = random_standard_uniform(rng)
        for j in range(self.transfer_start[k], self.transfer_start[k + 1]):
            if u < self.transfer_cum[j]:
                return self.transfer_to[j]
        return -1

    cdef int _hold_transfer(self, int32_t agent, Caller* who, int32_t to) noexcept nogil:
        """The caller ``agent`` talks to keeps a slot (only a caller to transfer does) until its
        talk ends; -1 when out of memory."""
        cdef Caller w = who[0]  # ``who`` may point into the slots, which a new slot may move
        cdef int32_t slot = self._new_call()
        if slot < 0:
            return -1
        self.calls[slot].who = w
        self.calls[slot].call_type = to
        self.calls[slot].state = CALL_TALKING
        self.agents[agent].transfer = slot
        return 0

    cdef int _transfer(self, int32_t agent, int32_t slot) noexcept nogil:
        """The talk ends with a transfer: the agent goes on to its after-call work (or its next
        work), then the caller, keeping its line, reaches the new call type."""
        cdef int32_t k = self.calls[slot].call_type
        cdef double acw = self.agents[agent].acw
        self.agents[agent].transfer = -1
        if acw > 0.0:
            if self._push_acw_end(agent, acw) != 0:
                return -1
        elif self._on_agent_free(agent) != 0:
            return -1
        self.calls[slot].who.transferring = 1  # after the agent's next work: it may have moved the slots
        return self._reach_type(&self.calls[slot].who, k, slot, True, False)

    cdef int _on_talk_end(self, int32_t agent) noexcept nogil:
        cdef double acw = self.agents[agent].acw
        if self.agents[agent].transfer >= 0:
            return self._transfer(agent, self.agents[agent].transfer)
        if not self.agents[agent].callback:  # a callback is dialled on outbound trunks
            self.lines_busy -= 1
        if acw > 0.0:
            return self._push_acw_end(agent, acw)
        return self._on_agent_free(agent)

    cdef int _on_agent_free(self, int32_t agent) noexcept nogil:
        """The agent is done with its call (talk and after-call work): its next work."""
        cdef Agent* a = &self.agents[agent]
        add_clock(&self.stats, a.group, a.busy_since, self.now, 1.0, G_BUSY, IG_BUSY)
        agent_clock(&self.stats, agent, A_BUSY, a.busy_since, self.now)
        a.call_type = -1
        a.callback = 0
        return self._next_work(agent)

    cdef int _next_work(self, int32_t agent) noexcept nogil:
        """A free agent (its call done, or just on duty): off duty if its schedule says so (a
        logout or break that came during the call), else an overdue callback item, else the
        longest-waiting eligible caller, else the oldest callback item, else idle."""
        cdef Agent* a = &self.agents[agent]
        cdef int32_t slot, k, overdue = -1, oldest = -1
        cdef Call* c
        if not a.on:
            self._go_off(agent)
            return 0
        if self.n_cb_listed > 0:
            self._oldest_items(a.group, &overdue, &oldest)
        slot = self._select_call(agent) if overdue < 0 else -1
        if slot < 0 and (overdue >= 0 or oldest >= 0):
            slot = self._cb_pop(self.calls[overdue if overdue >= 0 else oldest].call_type)
            return self._call_back(agent, slot)
        if slot < 0:
            a.idle_since = self.now
            self._idle_push(agent)
            return 0
        return self._answer_waiting(agent, slot)

    cdef int _on_shift(self, int32_t t) noexcept nogil:
        """Table t's schedule changes, for each of its agents in index order. Off: an idle agent
        logs out (or starts its break) now, a busy one when its call ends. On: an agent off duty
        logs in (or is back from its break) and takes its next work at once; a busy one just goes
        on (its break or logout never happened)."""
        cdef int32_t i, agent
        cdef bint on = not self.table_on[t]
        cdef Agent* a
        self.table_on[t] = on
        if self._push_shift(sched_change(&self.schedules[t], on, &self.table_base[t], &self.table_cursor[t]), t) != 0:
            return -1
        for i in range(self.table_first[t], self.table_first[t + 1]):
            agent = self.table_agents[i]
            a = &self.agents[agent]
            if a.gone:
                continue  # it has left the center
            a.on = on
            if not on:
                if a.idle:
                    self._idle_remove(agent)
                    self._go_off(agent)
            elif a.off:
                a.off = 0
                a.on_since = self.now
                if self._next_work(agent) != 0:
                    return -1
        return 0

    cdef int _first_shift(self, int32_t t) noexcept nogil:
        """Schedule table t's first change (none for an empty table, or one no agent has)."""
        cdef Week* w = &self.schedules[t]
        if w.n == 0 or self.table_first[t + 1] == self.table_first[t]:
            return 0
        return self._push_shift(self.table_base[t] + (w.closes[self.table_cursor[t]] if self.table_on[t]
                                                      else w.opens[self.table_cursor[t]]), t)

    cdef inline int _push_shift(self, double time, int32_t t) noexcept nogil:
        """Schedule table t's next change (changes go on past the horizon while a drained run has
        calls to finish: an agent logs in to take them, and out when its shift ends)."""
        self.n_shift_events += 1
        return self._push(time, EV_SHIFT, t, 0)

    cdef inline void _go_off(self, int32_t agent) noexcept nogil:
        """The agent logs out or starts a break: its staffed time since it came on duty is counted."""
        cdef Agent* a = &self.agents[agent]
        cdef double lo
        a.off = 1
        if not self.group_shifted[a.group]:  # it leaves (gone): its staffed time was counted to the horizon
            add_clock(&self.stats, a.group, self.now, self.horizon, -1.0, G_STAFFED, IG_STAFFED)
            lo = self.now if self.now > self.stats.warmup else self.stats.warmup
            if self.horizon > lo:
                self.stats.agent_totals[agent * N_AGENT_FIELDS + A_STAFFED] -= self.horizon - lo
            return
        add_clock(&self.stats, a.group, a.on_since, self.now, 1.0, G_STAFFED, IG_STAFFED)
        agent_clock(&self.stats, agent, A_STAFFED, a.on_since, self.now)

    cdef int _on_abandon(self, int32_t slot, uint32_t gen) noexcept nogil:
        """A queued caller's patience ran out; 1 if it was still waiting, 0 if stale, -1 on failure."""
        cdef Call* c = &self.calls[slot]
        if c.gen != gen or c.state != CALL_WAITING:
            return 0  # answered (or slot reused) before its patience ran out
        self._dequeue(c.call_type, slot)
        self.lines_busy -= 1
        if self._record_abandon(&c.who, c.call_type, c.row, self.now - c.arrival) != 0:
            return -1
        if self._lost(&c.who, slot, LOST_ABANDONED, self.now) != 0:
            return -1
        return 1

    cdef int _record_abandon(self, Caller* who, int32_t k, int32_t row, double wait) noexcept nogil:
        count(&self.stats, k, row, F_ABANDONED, 1.0)
        count(&self.stats, k, row, F_WAIT_ABANDONED, wait)
        if wait < self.short_abandon:
            count(&self.stats, k, row, F_ABANDONED_SHORT, 1.0)
        return self._record(who, wait, 0.0, 0.0, k, OUT_ABANDONED, -1)

    cdef int _record(self, Caller* who, double wait, double talk, double acw, int32_t k, int32_t outcome,
                     int32_t agent) noexcept nogil:
        """Append one per-attempt record (only when asked for); -1 when out of memory."""
        cdef CallRecord* r
        if not self.keep_records:
            return 0
        if self.n_records == self.records_capacity:
            if grow(<void**>&self.records, &self.records_capacity, sizeof(CallRecord)) != 0:
                return self._fail(ERR_NO_MEMORY)
        r = &self.records[self.n_records]
        self.n_records += 1
        r.id = who.id
        r.arrival = who.ring
        r.wait = wait
        r.talk = talk
        r.acw = acw
        r.call_type = k
        r.outcome = outcome
        r.agent = agent
        r.group = self.agents[agent].group if agent >= 0 else -1
        r.source = who.source
        r.attempt = who.attempt
        r.channel = who.channel
        r.airing = who.airing
        return 0

    cdef int _close(self) noexcept nogil:
        """Cut at the horizon: count callers still waiting or in a menu; close agents' busy time."""
        cdef int32_t k, q, slot, agent
        cdef Call* c
        for q in range(self.n_types * self.n_levels):  # by call type, then priority level
            k = q // self.n_levels
            slot = self.queues[q].head
            while slot >= 0:
                c = &self.calls[slot]
                count(&self.stats, k, c.row, F_WAITING_AT_END, 1.0)
                self._count_caller(&c.who, C_IN_SYSTEM_AT_END)
                if self._record(&c.who, self.horizon - c.arrival, 0.0, 0.0, k, OUT_WAITING_AT_END, -1) != 0:
                    return -1
                slot = c.next
        slot = self.in_menu.head
        while slot >= 0:
            c = &self.calls[slot]
            count_entry(&self.stats, c.who.source - self.n_types, c.entry_row,
                        E_IN_IVR_AT_END, 1.0)
            self._count_caller(&c.who, C_IN_SYSTEM_AT_END)
            if self._record(&c.who, 0.0, 0.0, 0.0, -1, OUT_IN_IVR_AT_END, -1) != 0:
                return -1
            slot = c.next
        for k in range(self.n_types):  # callback items: available ones by type, oldest first
            while self.cb_heaps[k].size > 0:
                if self._item_pending(self._cb_pop(k)) != 0:
                    return -1
        slot = self.cb_later.head  # then those not yet available, in the order scheduled
        while slot >= 0:
            if self._item_pending(slot) != 0:
                return -1
            slot = self.calls[slot].next
        for agent in range(self.n_agents):
            if self.agents[agent].transfer >= 0:  # talking, to be transferred: not served yet
                self._count_caller(&self.calls[self.agents[agent].transfer].who, C_IN_SYSTEM_AT_END)
            if self.agents[agent].call_type >= 0:
                add_clock(&self.stats, self.agents[agent].group, self.agents[agent].busy_since,
                                self.horizon, 1.0, G_BUSY, IG_BUSY)
                agent_clock(&self.stats, agent, A_BUSY, self.agents[agent].busy_since, self.horizon)
            if self.group_shifted[self.agents[agent].group] and not self.agents[agent].off:
                add_clock(&self.stats, self.agents[agent].group, self.agents[agent].on_since,
                          self.horizon, 1.0, G_STAFFED, IG_STAFFED)
                agent_clock(&self.stats, agent, A_STAFFED, self.agents[agent].on_since, self.horizon)
        return 0

    # ---- opening hours and callbacks ---------------------------------------------

    cdef inline bint _closed_now(self) noexcept nogil:
        return self.closed_action >= 0 and not week_open(&self.week, self.now)

    cdef int _closed(self, Caller* who, int32_t slot) noexcept nogil:
        """The attempt rang while closed (a free line found): the closed action."""
        self.lines_busy += 1  # the message, the recording or the forwarded call holds a line
        if self.closed_action == CLOSED_FORWARD:
            return self._reach_type(who, self.closed_forward, slot, True, True)
        if self._record(who, 0.0, 0.0, 0.0, -1, OUT_CLOSED if self.closed_action == CLOSED_MESSAGE
                        else OUT_VOICEMAIL, -1) != 0:
            return -1
        if self._push(self.now + self.closed_seconds, EV_LINE_FREE, -1, 0) != 0:
            return -1
        if self.closed_action == CLOSED_VOICEMAIL:
            return self._voicemail(who, slot)
        self._count_caller(who, C_CLOSED)
        if slot >= 0:
            self._free_call(slot)
        return 0

    cdef int _voicemail(self, Caller* who, int32_t slot) noexcept nogil:
        """A voicemail: a callback item of the voicemail call type (durations drawn now from its
        streams), available at once if open, else at the next opening."""
        cdef int32_t k = self.voicemail_type
        cdef double t = self.now, handle, acw
        cdef TypeDraws* draws = &self.draws[k]
        cdef bint leg = who.attempt > 1  # a retrial's voicemail: the leg stream (as _reach_type)
        handle = sample(self._draw_dist(draws.handle, self.handle_periods, k, t),
                        draws.leg_rng if leg else draws.handle_rng, self.empirical)
        sample(self._draw_dist(draws.patience, self.patience_periods, k, t),
               draws.leg_rng if leg else draws.patience_rng, self.empirical)
        acw = sample(self._draw_dist(draws.acw, self.acw_periods, k, t),
                     draws.leg_rng if leg else draws.acw_rng, self.empirical)
        slot = self._item(who, slot, k, t, handle, acw)
        if slot < 0:
            return -1
        count(&self.stats, k, self.calls[slot].row, F_VOICEMAILS, 1.0)
        if self._closed_now():
            return self._request_callback(slot, False, week_next_open(&self.week, t))
        return self._request_callback(slot, True, 0.0)

    cdef int32_t _item(self, Caller* who, int32_t slot, int32_t k, double t, double handle,
                       double acw) noexcept nogil:
        """The caller's slot (a new one if -1) made a callback item of type k requested at t."""
        slot = self._hold(who, slot, k, t, row_at(&self.stats, t), t >= self.warmup, handle, acw)
        if slot >= 0:
            self.calls[slot].tries = 0
        return slot

    cdef inline int32_t _own_slot(self, Caller* who, int32_t slot) noexcept nogil:
        """The caller's slot: ``slot``, or if -1 a new one holding a copy of ``who`` (on the stack
        until then); -1 when out of memory."""
        if slot < 0:
            slot = self._new_call()
            if slot >= 0:
                self.calls[slot].who = who[0]
        return slot

    cdef int32_t _wait_in_queue(self, Caller* who, int32_t slot, int32_t k, double arrival, int32_t row,
                                bint counted, double handle, double acw, double patience, double consult,
                                int32_t to) noexcept nogil:
        """The caller waits in type k's queue from now (``_hold`` with ``arrival``; its patience timer,
        ``patience`` seconds from now, pushed; its re-routing delays not yet): its slot, or -1 when
        out of memory."""
        cdef Call* c
        slot = self._hold(who, slot, k, arrival, row, counted, handle, acw)
        if slot < 0:
            return -1
        c = &self.calls[slot]
        c.state = CALL_WAITING
        c.consult = consult
        c.transfer_to = to
        self._enqueue(k, slot)
        if patience < INFINITY:
            self.n_timers += 1
            if self._push_timer(self.now + patience, slot, c.gen) != 0:
                return -1
        c.ov_step = 0
        return slot

    cdef int32_t _hold(self, Caller* who, int32_t slot, int32_t k, double t, int32_t row, bint counted,
                       double handle, double acw) noexcept nogil:
        """The caller's slot (a new one, holding a copy of ``who``, if -1) as a call of type k that
        reached it at t with its drawn durations; -1 when out of memory."""
        cdef Call* c
        slot = self._own_slot(who, slot)
        if slot < 0:
            return -1
        c = &self.calls[slot]
        c.arrival = t
        c.handle = handle
        c.acw = acw
        c.call_type = k
        c.row = row
        c.counted = counted
        return slot

    cdef int _request_callback(self, int32_t slot, bint at_once, double t) noexcept nogil:
        """A new callback item: available now, or at an event at t."""
        cdef Call* c = &self.calls[slot]
        count(&self.stats, c.call_type, c.row, F_CB_REQUESTED, 1.0)
        self.n_other += 1
        if at_once:
            return self._item_available(slot)
        return self._later(slot, t)

    cdef int _later(self, int32_t slot, double t) noexcept nogil:
        self.calls[slot].state = CALL_CB_LATER
        self._list_append(&self.cb_later, slot)
        return self._push(t, EV_CB_READY, slot, self.calls[slot].gen)

    cdef int _on_cb_ready(self, int32_t slot) noexcept nogil:
        self._list_remove(&self.cb_later, slot)
        return self._item_available(slot)

    cdef int _item_pending(self, int32_t slot) noexcept nogil:
        """Count an item still pending at the cut."""
        cdef Call* c = &self.calls[slot]
        count(&self.stats, c.call_type, c.row, F_CB_PENDING_AT_END, 1.0)
        self._count_caller(&c.who, C_CALLBACK_PENDING)
        return self._record(&c.who, self.horizon - c.arrival, 0.0, 0.0, c.call_type, OUT_CALLBACK_PENDING, -1)

    cdef int _item_available(self, int32_t slot) noexcept nogil:
        """An item goes at once to an idle agent able to take it, else into its type's heap
        (by request time; ties: first listed first)."""
        cdef Call* c = &self.calls[slot]
        cdef int32_t agent = self._take_idle_agent(c.call_type, c.arrival, 0, False)
        if agent >= 0:
            return self._call_back(agent, slot)
        c.state = CALL_CB_LISTED
        c.cb_seq = self.cb_seq
        self.cb_seq += 1
        return self._cb_push(c.call_type, slot)

    cdef inline bint _item_before(self, int32_t a, int32_t b) noexcept nogil:
        cdef Call* x = &self.calls[a]
        cdef Call* y = &self.calls[b]
        return x.arrival < y.arrival or (x.arrival == y.arrival and x.cb_seq < y.cb_seq)

    cdef int _cb_push(self, int32_t k, int32_t slot) noexcept nogil:
        """Add an item to type k's heap (O(log n)); -1 when out of memory."""
        cdef SlotHeap* h = &self.cb_heaps[k]
        cdef int64_t i, parent
        if h.size == h.capacity:
            if grow(<void**>&h.data, &h.capacity, sizeof(int32_t)) != 0:
                return self._fail(ERR_NO_MEMORY)
        i = h.size
        h.size += 1
        while i > 0:
            parent = (i - 1) >> 1
            if not self._item_before(slot, h.data[parent]):
                break
            h.data[i] = h.data[parent]
            i = parent
        h.data[i] = slot
        self.n_cb_listed += 1
        return 0

    cdef int32_t _cb_pop(self, int32_t k) noexcept nogil:
        """Remove and return type k's oldest item (the heap must not be empty; O(log n))."""
        cdef SlotHeap* h = &self.cb_heaps[k]
        cdef int32_t top = h.data[0], last
        cdef int64_t i = 0, child
        h.size -= 1
        self.n_cb_listed -= 1
        if h.size == 0:
            return top
        last = h.data[h.size]
        while True:
            child = 2 * i + 1
            if child >= h.size:
                break
            if child + 1 < h.size and self._item_before(h.data[child + 1], h.data[child]):
                child += 1
            if not self._item_before(h.data[child], last):
                break
            h.data[i] = h.data[child]
            i = child
        h.data[i] = last
        return top

    cdef void _oldest_items(self, int32_t g, int32_t* overdue, int32_t* oldest) noexcept nogil:
        """The oldest overdue item and the oldest item among the types group g serves (-1: none)."""
        cdef int32_t i, k, head, best_k = -1, best_over_k = -1
        cdef double r, best_over = INFINITY, best = INFINITY
        for i in range(self.group_types_start[g], self.group_types_start[g + 1]):
            k = self.group_types[i]  # in serves order: ties go to the lower type explicitly
            if self.cb_heaps[k].size == 0:
                continue
            head = self.cb_heaps[k].data[0]
            r = self.calls[head].arrival
            if r < best or (r == best and k < best_k):
                best = r
                best_k = k
                oldest[0] = head
            if self.now - r >= self.cb_target[k] and (r < best_over or (r == best_over and k < best_over_k)):
                best_over = r
                best_over_k = k
                overdue[0] = head

    cdef int _call_back(self, int32_t agent, int32_t slot) noexcept nogil:
        """``agent`` calls item ``slot`` back (no line: outbound trunks); one uniform of the
        type's callback stream decides whether the customer answers."""
        cdef Agent* a = &self.agents[agent]
        cdef Call* c = &self.calls[slot]
        cdef int32_t k = c.call_type
        cdef double talk, ring
        a.busy_since = self.now
        a.call_type = k
        a.callback = 1
        c.tries += 1
        if random_standard_uniform(self.streams[self.base_callback + k]) < self.cb_answer[k]:
            talk = c.handle * self._factor(agent, k)
            count(&self.stats, k, c.row, F_CB_DONE, 1.0)
            count(&self.stats, k, c.row, F_CB_DELAY, self.now - c.arrival)
            self._count_caller(&c.who, C_CALLBACK_DONE)
            a.acw = c.acw * self.acw_factor[agent] if self.per_agent else c.acw
            if self._record(&c.who, self.now - c.arrival, talk, a.acw, k, OUT_CALLBACK_DONE, agent) != 0:
                return -1
            self.n_other -= 1
            self._free_call(slot)
            return self._push_talk_end(agent, talk)
        ring = self.cb_ring[k]
        a.acw = 0.0
        if self._push_talk_end(agent, ring) != 0:
            return -1
        if c.tries < self.cb_max_attempts[k]:
            return self._later(slot, self.now + ring + self.cb_retry_delay[k])
        count(&self.stats, k, c.row, F_CB_FAILED, 1.0)
        self._count_caller(&c.who, C_CALLBACK_FAILED)
        if self._record(&c.who, self.now - c.arrival, 0.0, 0.0, k, OUT_CALLBACK_FAILED, -1) != 0:
            return -1
        self.n_other -= 1
        self._free_call(slot)
        return 0

    # ---- routing --------------------------------------------------------------

    cdef int32_t _take_idle_agent(self, int32_t k, double arrival, int32_t waiting, bint rules) noexcept nogil:
        """An idle agent for a call of type k that arrived at ``arrival`` (removed from the idle
        structures), or -1: among the groups serving k that the rules of (k, group) allow (with
        ``waiting`` callers of k counting the call; ``rules`` 0: every serving group, as for a
        callback item), the agent the agent-selection policy picks. O(groups of k) (+ O(log n)
        for the keyed heaps)."""
        cdef int32_t i, g, cand, best = -1, slot = 0
        cdef int64_t total = 0, r
        cdef double key, best_key = INFINITY, since, best_since = INFINITY
        cdef int32_t policy = self.agent_selection
        if self.has_router and rules:
            return self._router_arrival(k)
        if self.type_plain[k]:
            if policy == AGENT_LONGEST_IDLE:
                return self._take_longest_idle(k)
            rules = False  # no rule of k's pairs can hold a group back
        for i in range(self.type_groups_start[k], self.type_groups_start[k + 1]):
            g = self.type_groups[i]
            if not self._group_may(i, k, g, arrival, waiting, rules):
                continue
            if policy == AGENT_RANDOM:
                total += self.idle_count[g]
                continue
            if self.keyed:
                slot = self.tg_pos[i] if policy == AGENT_BEST_PROFICIENCY else 0
                cand = self.heaps[g * self.keys.stride + slot].data[0]
                key = self.keys.key[cand * self.keys.stride + slot]
            else:
                cand = self.idle[g].head
                key = 0.0
            if policy == AGENT_ORDERED_GROUPS:
                best = cand
                break
            since = self.agents[cand].idle_since
            if key < best_key or (key == best_key and (since < best_since or (since == best_since and cand < best))):
                best = cand
                best_key = key
                best_since = since
        if policy == AGENT_RANDOM and total > 0:
            r = 0
            if total > 1:
                r = <int64_t>(random_standard_uniform(self.streams[self.base_routing]) * total)
            for i in range(self.type_groups_start[k], self.type_groups_start[k + 1]):
                g = self.type_groups[i]
                if not self._group_may(i, k, g, arrival, waiting, rules):
                    continue
                if r < self.idle_count[g]:
                    best = self.pools[g].data[r]
                    break
                r -= self.idle_count[g]
        if best >= 0:
            self._idle_remove(best)
        return best

    cdef inline bint _group_may(self, int32_t i, int32_t k, int32_t g, double arrival, int32_t waiting,
                                bint rules) noexcept nogil:
        """Whether group g (pair i of type k's groups) has an idle agent it may give to a type-k
        call that arrived at ``arrival`` (``_routing.pair_allows``; ``rules`` 0: any idle agent)."""
        if self.idle_count[g] == 0:
            return False
        return not rules or pair_allows(self.tg_after[i], self.tg_ewt_over[i], self.tg_queue_over[i],
                                        self.tg_min_idle[i], self.now, arrival, waiting, self.wait_unit[k],
                                        self.idle_count[g])

    cdef inline int32_t _take_longest_idle(self, int32_t k) noexcept nogil:
        """longest_idle without rules (the common case, kept tight): the longest idle among the
        groups serving k (tie: lower agent index), off its idle list; or -1. A type served through
        classes (``type_classed``) reads the first group of each of its classes' orders."""
        cdef int32_t i, head, best = -1, w
        cdef double best_since = INFINITY
        cdef uint64_t bits
        cdef uint128_t key, best_key = ~(<uint128_t>0)
        if self.type_classed[k]:  # the first group of each of k's classes with an idle agent
            for w in range(self.cw):
                bits = self.type_class_bits[k * self.cw + w] & self.class_idle_bits[w]
                while bits:
                    key = self.heads.key[self.orders[64 * w + lowest_bit(bits)].first]
                    bits &= bits - 1
                    best_key = key if key < best_key else best_key
            if best_key != ~(<uint128_t>0):
                best = <int32_t>(<uint64_t>best_key)
        else:
            for i in range(self.type_groups_start[k], self.type_groups_start[k + 1]):
                head = self.idle[self.type_groups[i]].head
                if head >= 0 and (self.agents[head].idle_since < best_since or
                                  (self.agents[head].idle_since == best_since and head < best)):
                    best = head
                    best_since = self.agents[head].idle_since
        if best >= 0:
            self._idle_remove(best)
        return best

    cdef int32_t _select_call(self, int32_t agent) noexcept nogil:
        """The caller a freed agent of group g takes next, or -1. Per queue g serves (that the
        rules of (type, g) allow): the head of its highest priority level that may be taken
        (one that waited its re-routing delay, or any while the expected wait is over its
        bound). Among those the highest level first, then the queue-selection policy:
        longest_waiting the one who arrived first (tie: lower call type), priority the first in
        g's serves order, skill_priority the agent's skill priority then the one who arrived
        first, weighted_wait the largest wait x the type's weight (tie: lower call type).
        With head starts: per queue the head ``_started_head`` picks, levels do not go first,
        and the policy reads its arrival - head start as its arrival. O(types of g x levels)."""
        cdef int32_t g = self.agents[agent].group
        cdef int32_t s, k, level, head, waiting
        cdef double arrival
        cdef bint ewt_over
        cdef Pick pick
        if self.has_router:
            return self._router_free(agent)
        if self.queue_classed and self.group_classed[g]:
            return self._select_classed(g)
        if self.group_wide[g] and self.queue_selection != QUEUE_PRIORITY:
            return self._select_wide(agent, g)
        pick_init(&pick)
        for s in range(self.group_types_start[g], self.group_types_start[g + 1]):
            k = self.group_types[s]
            waiting = self.type_waiting[k]
            if waiting == 0:
                continue
            if self.gt_queue_over[s] >= 0 and waiting <= self.gt_queue_over[s]:
                continue
            if self.idle_count[g] + 1 <= self.gt_min_idle[s]:
                continue
            ewt_over = <double>waiting * self.wait_unit[k] > self.gt_ewt_over[s]
            if self.head_started:
                head = self._started_head(k, -INFINITY if ewt_over else self.gt_after[s])
                if head < 0:
                    continue
                level = 0
                arrival = self.calls[head].arrival - self.level_start[self.calls[head].who.priority]
            else:
                level = self.n_levels - 1
                head = -1
                while level >= 0:
                    head = self.queues[k * self.n_levels + level].head
                    if head >= 0 and (ewt_over or self.now >= self.calls[head].arrival + self.gt_after[s]):
                        break
                    head = -1
                    level -= 1
                if head < 0:
                    continue
                arrival = self.calls[head].arrival
            self._consider(&pick, agent, k, head, level, arrival)
        return pick.slot

    cdef int32_t _select_wide(self, int32_t agent, int32_t g) noexcept nogil:
        """``_select_call`` for a wide group (``CompiledModel.wide_routing``: no rule on its pairs,
        a policy other than priority): the same caller, visiting only the types g serves that
        have callers waiting (``_consider``'s order is total; with head starts it reads
        arrival - head start, as there)."""
        cdef int32_t w, k, level, head
        cdef double arrival
        cdef uint64_t bits
        cdef Pick pick
        pick_init(&pick)
        for w in range(self.kw):
            bits = self.group_type_bits[g * self.kw + w] & self.waiting_bits[w]
            while bits:
                k = 64 * w + lowest_bit(bits)
                bits &= bits - 1
                if self.head_started:  # as _select_call: levels do not go first
                    head = self._started_head(k, -INFINITY)
                    level = 0
                    arrival = self.calls[head].arrival - self.level_start[self.calls[head].who.priority]
                else:
                    level = self.n_levels - 1
                    head = self.queues[k * self.n_levels + level].head
                    while head < 0:  # a type with callers waiting has a non-empty level
                        level -= 1
                        head = self.queues[k * self.n_levels + level].head
                    arrival = self.calls[head].arrival
                self._consider(&pick, agent, k, head, level, arrival)
        return pick.slot

    cdef int32_t _select_classed(self, int32_t g) noexcept nogil:
        """``_select_call`` for a group whose types go through classes (``queue_classed``: longest
        waiting, one level, no head start; no rule on its pairs): the head of the first type of
        each of its classes' orders with the smallest (arrival, type), as ``_consider`` picks."""
        cdef int32_t w
        cdef uint64_t bits
        cdef uint128_t key, best_key = ~(<uint128_t>0)
        for w in range(self.qw):
            bits = self.group_type_classes[g * self.qw + w] & self.type_class_waiting[w]
            while bits:
                key = self.type_heads.key[self.type_orders[64 * w + lowest_bit(bits)].first]
                bits &= bits - 1
                best_key = key if key < best_key else best_key
        if best_key == ~(<uint128_t>0):
            return -1
        return self.queues[<int32_t>(<uint64_t>best_key)].head

    cdef inline void _consider(self, Pick* p, int32_t agent, int32_t k, int32_t head, int32_t level,
                               double arrival) noexcept nogil:
        """The head of type k's queue (on ``level``, ``arrival`` as the policy reads it) becomes the
        pick if it beats it: the higher level first, then the queue-selection policy (priority:
        the first considered, in g's serves order; skill_priority: the agent's priority for k, then
        the earlier arrival; weighted_wait: the larger wait x weight; longest_waiting: the earlier
        arrival), then the lower call type."""
        cdef int32_t policy = self.queue_selection, prio = 0
        cdef double score = 0.0
        if level < p.level:
            return
        if level == p.level:
            if policy == QUEUE_PRIORITY:
                return
            elif policy == QUEUE_SKILL_PRIORITY:
                prio = self.agent_priority[agent * self.n_types + k]
                if not (prio < p.prio or (prio == p.prio and (
                        arrival < p.arrival or (arrival == p.arrival and k < p.k)))):
                    return
            elif policy == QUEUE_WEIGHTED_WAIT:
                score = (self.now - arrival) * self.wait_weight[k]
                if not (score > p.score or (score == p.score and k < p.k)):
                    return
            elif not (arrival < p.arrival or (arrival == p.arrival and k < p.k)):
                return
        p.slot = head
        p.level = level
        p.arrival = arrival
        p.k = k
        if policy == QUEUE_SKILL_PRIORITY:
            p.prio = self.agent_priority[agent * self.n_types + k]
        elif policy == QUEUE_WEIGHTED_WAIT:
            p.score = (self.now - arrival) * self.wait_weight[k]

    # ---- a Python router (ccsim.router) ------------------------------------------------

    cdef int32_t _router_arrival(self, int32_t k) noexcept nogil:
        """The router's agent for a caller of type k (taken off the idle list), or -1."""
        cdef int32_t i, agent = -1
        cdef bint any_idle = False
        for i in range(self.type_groups_start[k], self.type_groups_start[k + 1]):
            if self.idle_count[self.type_groups[i]] > 0:
                any_idle = True
                break
        if not any_idle or self.error != ERR_NONE:
            return -1
        with gil:
            try:
                agent = self._router_agent(self.router.on_arrival(self, k), k)
            except BaseException as exc:
                self.router_exc = exc
                self.error = ERR_ROUTER
                agent = -1
        if agent >= 0:
            self._idle_remove(agent)
        return agent

    cdef int32_t _router_agent(self, answer, int32_t k) except? -2:
        """``on_arrival``'s answer checked: an idle agent of a group serving k, or -1 (None)."""
        from .router import answer_number, bad_agent
        if answer is None:
            return -1
        agent = answer_number(answer)
        if agent is None or not 0 <= agent < self.n_agents:
            raise bad_agent("on_arrival", answer, f"which is not an agent number (0 to {self.n_agents - 1})")
        if not self.agents[agent].idle:
            raise bad_agent("on_arrival", answer, "which is not idle")
        if not self._serves[self.agents[agent].group, k]:
            raise bad_agent("on_arrival", answer, f"whose group does not serve call type {k}")
        return agent

    cdef int32_t _router_free(self, int32_t agent) noexcept nogil:
        """The caller a freed agent takes by the router's choice of call type, or -1."""
        cdef int32_t s, g = self.agents[agent].group, k = -1
        cdef bint any_waiting = False
        for s in range(self.group_types_start[g], self.group_types_start[g + 1]):
            if self.type_waiting[self.group_types[s]] > 0:
                any_waiting = True
                break
        if not any_waiting or self.error != ERR_NONE:
            return -1
        with gil:
            try:
                k = self._router_type(self.router.on_agent_free(self, agent), g, "on_agent_free")
            except BaseException as exc:
                self.router_exc = exc
                self.error = ERR_ROUTER
                k = -1
        return self._head(k) if k >= 0 else -1

    cdef int32_t _router_type(self, answer, int32_t g, str hook) except? -2:
        """A hook's call type checked: one group g serves with callers waiting, or -1 (None)."""
        from .router import answer_number, bad_type
        if answer is None:
            return -1
        k = answer_number(answer)
        if k is None or not 0 <= k < self.n_types:
            raise bad_type(hook, answer, f"which is not a call type number (0 to {self.n_types - 1})")
        if not self._serves[g, k]:
            raise bad_type(hook, answer, f"which group {g} does not serve")
        if self.type_waiting[k] == 0:
            raise bad_type(hook, answer, "which has no caller waiting")
        return k

    cdef inline int32_t _head(self, int32_t k) noexcept nogil:
        """The caller an agent takes from type k: the head of its highest non-empty level (with
        head starts: ``_started_head``), or -1."""
        cdef int32_t level = self.n_levels - 1, head
        if self.head_started:
            return self._started_head(k, -INFINITY)
        while level >= 0:
            head = self.queues[k * self.n_levels + level].head
            if head >= 0:
                return head
            level -= 1
        return -1

    cdef int32_t _started_head(self, int32_t k, double after) noexcept nogil:
        """With head starts: among the heads of type k's levels that have waited ``after`` seconds,
        the one with the smallest arrival - its level's head start (tie: the higher level), or -1."""
        cdef int32_t level, head, best = -1
        cdef double key, best_key = INFINITY
        for level in range(self.n_levels - 1, -1, -1):
            head = self.queues[k * self.n_levels + level].head
            if head < 0 or self.now < self.calls[head].arrival + after:
                continue
            key = self.calls[head].arrival - self.level_start[level]
            if key < best_key:
                best = head
                best_key = key
        return best

    cdef int _on_router_timer(self, int32_t tag) noexcept nogil:
        with gil:
            self.in_timer = True
            try:
                self.router.on_timer(self, tag)
            except BaseException as exc:
                self.router_exc = exc
                self.error = ERR_ROUTER
            self.in_timer = False
        return 0

    # the state a router reads (ccsim.router.RoutingState)

    @property
    def model(self):
        return self._model

    @property
    def now(self):
        return self.now

    @property
    def boundary(self):
        """The interval the warm-up ends in, whose calls after it count in the by-interval
        tables' extra last row (``_stats.row_at``, ``engines.rows.fold_rows``)."""
        return self.stats.boundary

    cdef int32_t _arg(self, object value, int32_t count, str what, str method) except -1:
        """A number a router passed (``ccsim.router.argument``: the same check as the twin's; an
        index out of range read outside the C arrays); a plain int in range without a call."""
        cdef int overflow = 0
        cdef long long v
        if type(value) is int:
            v = PyLong_AsLongLongAndOverflow(value, &overflow)
            if overflow == 0 and 0 <= v < count:
                return <int32_t>v
        from .router import argument
        return <int32_t>argument(value, count, what, method)

    def idle_agents(self, group):
        """The idle agents of ``group``, longest idle first."""
        out = []
        cdef int32_t a = self.idle[self._arg(group, self.n_groups, "group", "idle_agents")].head
        while a >= 0:
            out.append(a)
            a = self.agents[a].next
        return out

    def waiting(self, call_type):
        return self.type_waiting[self._arg(call_type, self.n_types, "call type", "waiting")]

    def oldest_arrival(self, call_type):
        cdef int32_t head = self._head(self._arg(call_type, self.n_types, "call type", "oldest_arrival"))
        return None if head < 0 else self.calls[head].arrival

    def groups_serving(self, call_type):
        cdef int32_t k = self._arg(call_type, self.n_types, "call type", "groups_serving")
        return [self.type_groups[i] for i in range(self.type_groups_start[k], self.type_groups_start[k + 1])]

    def types_served(self, group):
        cdef int32_t g = self._arg(group, self.n_groups, "group", "types_served")
        return [self.group_types[s] for s in range(self.group_types_start[g], self.group_types_start[g + 1])]

    def group_of(self, agent):
        return self.agents[self._arg(agent, self.n_agents, "agent", "group_of")].group

    def idle_since(self, agent):
        return self.agents[self._arg(agent, self.n_agents, "agent", "idle_since")].idle_since

    def calls_answered(self, agent):
        return self.agents[self._arg(agent, self.n_agents, "agent", "calls_answered")].handled

    def handle_factor(self, agent, call_type):
        return self._factor(self._arg(agent, self.n_agents, "agent", "handle_factor"),
                            self._arg(call_type, self.n_types, "call type", "handle_factor"))

    def set_timer(self, time, tag):
        """``on_timer(center, tag)`` at ``time``."""
        from .router import timer_tag, timer_time
        cdef double at = timer_time(time, self.now)
        if self._push(at, EV_ROUTER_TIMER, <int32_t>timer_tag(tag), 0) != 0:
            raise MemoryError

    def assign(self, agent, call_type):
        """In ``on_timer``: idle ``agent`` takes the head of ``call_type``'s queue."""
        from .router import RouterError, bad_agent
        if not self.in_timer:
            raise RouterError("center.assign may only be called from on_timer")
        cdef int32_t a = self._arg(agent, self.n_agents, "agent", "assign")
        cdef int32_t k = self._arg(call_type, self.n_types, "call type", "assign")
        if not self.agents[a].idle:
            raise bad_agent("assign", agent, "which is not idle")
        self._router_type(k, self.agents[a].group, "assign")
        self._idle_remove(a)
        if self._answer_waiting(a, self._head(k)) != 0:
            raise MemoryError

    cdef int _dispatch(self, int32_t k) noexcept nogil:
        """After a call of type k queued behind others (a type whose rules depend on its queue
        or on idle agents): a group it made eligible takes the head of k's highest level it may
        take (at most one call: taking it undoes what made the group eligible); with head starts
        the level heads in ``_started_head``'s order."""
        cdef int32_t level, head, agent
        if self.head_started:
            return self._dispatch_started(k)
        for level in range(self.n_levels - 1, -1, -1):
            head = self.queues[k * self.n_levels + level].head
            if head < 0:
                continue
            agent = self._take_idle_agent(k, self.calls[head].arrival, self.type_waiting[k], True)
            if agent >= 0:
                return self._answer_waiting(agent, head)
        return 0

    cdef int _dispatch_started(self, int32_t k) noexcept nogil:
        """``_dispatch`` with head starts: the level heads tried by arrival - head start (tie: the
        higher level). O(levels^2), levels <= 10."""
        cdef int32_t level, head, agent, best, best_level, n
        cdef uint32_t tried = 0
        cdef double key, best_key
        for n in range(self.n_levels):
            best = -1
            best_level = -1
            best_key = INFINITY
            for level in range(self.n_levels - 1, -1, -1):
                head = self.queues[k * self.n_levels + level].head
                if head < 0 or (tried >> level) & 1:
                    continue
                key = self.calls[head].arrival - self.level_start[level]
                if key < best_key:
                    best, best_level, best_key = head, level, key
            if best < 0:
                return 0
            tried |= (<uint32_t>1) << best_level
            agent = self._take_idle_agent(k, self.calls[best].arrival, self.type_waiting[k], True)
            if agent >= 0:
                return self._answer_waiting(agent, best)
        return 0

    cdef int _answer_waiting(self, int32_t agent, int32_t slot) noexcept nogil:
        """``agent`` takes the waiting caller in ``slot`` off its queue."""
        cdef Call* c = &self.calls[slot]
        self._dequeue(c.call_type, slot)
        if self._answer(agent, &c.who, c.arrival, c.call_type, c.row, c.counted, self.now - c.arrival,
                        c.handle, c.acw, c.consult, c.transfer_to) != 0:
            return -1
        self._free_call(slot)
        return 0

    cdef int _on_overflow(self, int32_t slot, uint32_t gen) noexcept nogil:
        """A waiting call reached its type's next re-routing delay: an idle agent of a group it may
        now go to takes it; else its next delay is scheduled. 1 if it was still waiting, 0 if stale,
        -1 on failure."""
        cdef Call* c = &self.calls[slot]
        cdef int32_t k, agent
        if c.gen != gen or c.state != CALL_WAITING:
            return 0
        k = c.call_type
        agent = self._take_idle_agent(k, c.arrival, self.type_waiting[k], True)
        if agent >= 0:
            return 1 if self._answer_waiting(agent, slot) == 0 else -1
        return 1 if self._next_delay(slot) == 0 else -1

    cdef inline int _next_delay(self, int32_t slot) noexcept nogil:
        """Schedule the waiting call's next re-routing delay, if its type has one more."""
        cdef Call* c = &self.calls[slot]
        cdef int32_t i = self.type_delay_start[c.call_type] + c.ov_step
        if i >= self.type_delay_start[c.call_type + 1]:
            return 0
        return self._push_delay(slot, i)

    cdef int _push_delay(self, int32_t slot, int32_t i) noexcept nogil:
        """Schedule re-routing delay i (of ``type_delays``) of the waiting call in ``slot``,
        through the heap's delay lane (``heap_push_lane``: a type's first delay is pushed as the
        call arrives, so with one delay for all types the events come in time order and skip
        the heap)."""
        cdef Call* c = &self.calls[slot]
        c.ov_step += 1
        if heap_push_lane(&self.heap, LANE_DELAY, c.arrival + self.type_delays[i], EV_OVERFLOW, slot, c.gen) != 0:
            return self._fail(ERR_NO_MEMORY)
        return 0

    cdef int _on_day(self) noexcept nogil:
        """Midnight: every agent's calls-today count starts again (fewest_calls heaps re-ordered)."""
        cdef int32_t a, g
        for a in range(self.n_agents):
            self.agents[a].handled = 0
            self.keys.key[a * self.keys.stride] = 0.0
        for g in range(self.n_groups):
            agent_heap_build(&self.heaps[g * self.keys.stride], &self.keys)
        if self.now + 86400.0 < self.horizon:
            return self._push(self.now + 86400.0, EV_DAY, -1, 0)
        return 0

    cdef inline void _idle_push(self, int32_t agent) noexcept nogil:
        cdef Agent* a = &self.agents[agent]
        cdef IdleList* lst = &self.idle[a.group]
        a.idle = 1
        self.idle_count[a.group] += 1
        if self.listed:  # longest_idle, ordered_groups: a FIFO list per group
            a.next = -1
            a.prev = lst.tail
            if lst.tail >= 0:
                self.agents[lst.tail].next = agent
            else:
                lst.head = agent
                if self.classed:  # the group's head: into its class's order
                    self._head_in(a.group, -1)
            lst.tail = agent
            return
        self._idle_push_other(agent)

    cdef void _idle_push_other(self, int32_t agent) noexcept nogil:
        """An idle agent into the keyed heaps or the random pool."""
        cdef Agent* a = &self.agents[agent]
        cdef int32_t j, n
        if self.keyed:
            self.keys.since[agent] = a.idle_since
            if self.agent_selection == AGENT_FEWEST_CALLS:
                self.keys.key[agent * self.keys.stride] = a.handled
            n = self.group_types_start[a.group + 1] - self.group_types_start[a.group] \
                if self.agent_selection == AGENT_BEST_PROFICIENCY else 1
            for j in range(n):
                agent_heap_push(&self.heaps[a.group * self.keys.stride + j], &self.keys, agent)
            return
        pool_add(&self.pools[a.group], self.pool_where, agent)

    cdef inline void _idle_remove(self, int32_t agent) noexcept nogil:
        cdef Agent* a = &self.agents[agent]
        cdef IdleList* lst = &self.idle[a.group]
        a.idle = 0
        self.idle_count[a.group] -= 1
        if self.listed:
            if a.prev >= 0:
                self.agents[a.prev].next = a.next
            else:
                lst.head = a.next
                if self.classed:  # the group's head changed: out of its class's order, back by its new head
                    self._head_out(a.group)
            if a.next >= 0:
                self.agents[a.next].prev = a.prev
            else:
                lst.tail = a.prev
            return
        self._idle_remove_other(agent)

    cdef void _head_in(self, int32_t g, int32_t near) noexcept nogil:
        """Group g (its idle list's head just set) into its class's order, searched from group
        ``near`` (-1: from the end)."""
        cdef int32_t head = self.idle[g].head
        order_enter(self.orders, &self.heads, self.class_idle_bits, self.group_class[g], g,
                    head_key(self.agents[head].idle_since, head), near)

    cdef void _head_out(self, int32_t g) noexcept nogil:
        """Group g's head left its idle list (already unlinked): g out of its class's order, and
        back in by its next agent if it has one (searched from its old place)."""
        cdef int32_t near = order_leave(self.orders, &self.heads, self.class_idle_bits, self.group_class[g], g)
        if self.idle[g].head >= 0:
            self._head_in(g, near)

    cdef void _queue_head_in(self, int32_t k, int32_t near) noexcept nogil:
        """Call type k (its queue's head just set) into its class's order, searched from type
        ``near`` (-1: from the end)."""
        cdef int32_t head = self.queues[k].head
        order_enter(self.type_orders, &self.type_heads, self.type_class_waiting, self.type_class[k], k,
                    head_key(self.calls[head].arrival, k), near)

    cdef void _queue_head_out(self, int32_t k) noexcept nogil:
        """Type k's head left its queue (already unlinked): k out of its class's order, and back in
        by its next caller if it has one."""
        cdef int32_t near = order_leave(self.type_orders, &self.type_heads, self.type_class_waiting,
                                        self.type_class[k], k)
        if self.queues[k].head >= 0:
            self._queue_head_in(k, near)

    cdef void _idle_remove_other(self, int32_t agent) noexcept nogil:
        """An agent out of the keyed heaps or the random pool."""
        cdef Agent* a = &self.agents[agent]
        cdef int32_t j, n
        if self.keyed:
            n = self.group_types_start[a.group + 1] - self.group_types_start[a.group] \
                if self.agent_selection == AGENT_BEST_PROFICIENCY else 1
            for j in range(n):
                agent_heap_remove(&self.heaps[a.group * self.keys.stride + j], &self.keys, agent)
            return
        pool_remove(&self.pools[a.group], self.pool_where, agent)

    # ---- queues and call slots -----------------------------------------------

    cdef void _enqueue(self, int32_t k, int32_t slot) noexcept nogil:
        self._list_append(&self.queues[k * self.n_levels + self.calls[slot].who.priority], slot)
        if self.queue_classed and self.calls[slot].prev < 0:  # the queue's head: into its class's order
            self._queue_head_in(k, -1)
        self.type_waiting[k] += 1
        if self.type_waiting[k] == 1:
            self.waiting_bits[k >> 6] |= (<uint64_t>1) << (k & 63)
        self.n_waiting += 1
        if self.queue_pool[k] >= 0:
            self.pool_waiting[self.queue_pool[k]] += 1

    cdef void _dequeue(self, int32_t k, int32_t slot) noexcept nogil:
        cdef bint head = self.calls[slot].prev < 0
        self._list_remove(&self.queues[k * self.n_levels + self.calls[slot].who.priority], slot)
        if self.queue_classed and head:
            self._queue_head_out(k)
        self.type_waiting[k] -= 1
        if self.type_waiting[k] == 0:
            self.waiting_bits[k >> 6] &= ~((<uint64_t>1) << (k & 63))
        self.n_waiting -= 1
        if self.queue_pool[k] >= 0:
            self.pool_waiting[self.queue_pool[k]] -= 1

    cdef inline void _list_append(self, Queue* q, int32_t slot) noexcept nogil:
        self.calls[slot].next = -1
        self.calls[slot].prev = q.tail
        if q.tail >= 0:
            self.calls[q.tail].next = slot
        else:
            q.head = slot
        q.tail = slot
        q.length += 1

    cdef inline void _list_remove(self, Queue* q, int32_t slot) noexcept nogil:
        cdef Call* c = &self.calls[slot]
        if c.prev >= 0:
            self.calls[c.prev].next = c.next
        else:
            q.head = c.next
        if c.next >= 0:
            self.calls[c.next].prev = c.prev
        else:
            q.tail = c.prev
        q.length -= 1

    cdef int32_t _new_call(self) noexcept nogil:
        cdef int32_t i, old = self.calls_capacity, new = 2 * self.calls_capacity
        cdef Call* grown
        cdef int32_t* grown_free
        if self.n_free == 0:
            grown = <Call*>realloc(self.calls, new * sizeof(Call))
            if grown == NULL:
                return self._fail(ERR_NO_MEMORY)
            self.calls = grown
            grown_free = <int32_t*>realloc(self.free_slots, new * sizeof(int32_t))
            if grown_free == NULL:
                return self._fail(ERR_NO_MEMORY)
            self.free_slots = grown_free
            for i in range(old, new):
                self.calls[i].gen = 0
                self.calls[i].state = CALL_FREE
                self.free_slots[self.n_free] = new - 1 - (i - old)
                self.n_free += 1
            self.calls_capacity = new
        self.n_free -= 1
        return self.free_slots[self.n_free]

    cdef void _free_call(self, int32_t slot) noexcept nogil:
        self.calls[slot].state = CALL_FREE
        self.calls[slot].gen += 1
        self.free_slots[self.n_free] = slot
        self.n_free += 1

    # ---- arrivals ---------------------------------------------------------------

    cdef inline double _next_arrival(self, int32_t k, double t) noexcept nogil:
        """Next first attempt of source k after t (``_arrivals.next_arrival`` on its stream; a replay
        source's next recorded call)."""
        return next_arrival(&self.profiles[k], self.rates, self.streams[k], t, self.horizon)

    # ---- event heap -------------------------------------------------------------

    cdef int _push(self, double time, int32_t kind, int32_t target, uint32_t gen) noexcept nogil:
        """Schedule an event (``_heap.heap_push``); -1 when out of memory."""
        if heap_push(&self.heap, time, kind, target, gen) != 0:
            return self._fail(ERR_NO_MEMORY)
        return 0

    cdef int _push_arrival(self, double time, int32_t source) noexcept nogil:
        """Schedule a source's next arrival in the queue's arrivals heap (one per source)."""
        if heap_push_arrival(&self.heap, time, EV_ARRIVAL, source, 0) != 0:
            return self._fail(ERR_NO_MEMORY)
        return 0

    cdef int _push_timer(self, double time, int32_t slot, uint32_t gen) noexcept nogil:
        """Schedule a patience timer. Most go stale (the caller is answered first): they wait
        in the heap's wheel, and a bucket's timers whose call slot has been freed since
        (another generation) are dropped when it is taken (``_take_timers``), never entering
        the heap. The wheel starts after 32 timers, its buckets an eighth of their mean delay."""
        cdef int started
        if self.heap.wheel.buckets == NULL and self.timers_seen < 32:
            self.timer_delays += time - self.now
            self.timers_seen += 1
            if self.timers_seen == 32:
                started = heap_wheel_start(&self.heap, self.timer_delays / 256.0, self.now)
                if started < 0:
                    return self._fail(ERR_NO_MEMORY)
        if heap_push_timer(&self.heap, self.now, time, EV_ABANDON, slot, gen) != 0:
            return self._fail(ERR_NO_MEMORY)
        return 0

    cdef int _take_timers(self, double bound) noexcept nogil:
        """Move the wheel's due bucket into the heap: its timers, keys unchanged (so the order of
        events is as if they had been there all along). A timer whose call slot has been freed
        since it was set can only be stale when it runs out (``_on_abandon``): one due by
        ``bound`` (where ``_advance`` may stop) is dropped instead, its key kept as
        ``dropped_max`` if the latest, so that the loop stops where and when it would have
        (a popped stale timer moves the clock, and a drained run ends only after the last)."""
        cdef Event* events
        cdef Event* ev
        cdef int64_t i, n = heap_wheel_take(&self.heap, &events)
        for i in range(n):
            ev = &events[i]
            if self.calls[ev.target].gen != ev.gen and ev.time <= bound:
                self.n_timers -= 1  # a stale timer, gone
                if not self.has_dropped or event_before(&self.dropped_max, ev):
                    self.dropped_max = ev[0]
                    self.has_dropped = True
            elif heap_push_event(&self.heap, ev) != 0:
                return self._fail(ERR_NO_MEMORY)
        heap_wheel_done(&self.heap)
        return 0

    cdef inline int _push_talk_end(self, int32_t agent, double talk) noexcept nogil:
        """Schedule the end of an agent's talk of ``talk`` seconds. In a center of FAR_AGENTS
        agents or more, through the heap's far wheel (``heap_push_far``), so that the main heap
        holds the next buckets' ends, not one per busy agent (``_start_far`` starts it)."""
        if self.heap.far.buckets != NULL:
            return self._push_far(agent, talk)
        if self.n_agents >= FAR_AGENTS and self.talks_seen < 32 and self._start_far(talk) != 0:
            return -1
        return self._push(self.now + talk, EV_TALK_END, agent, 0)

    cdef int _push_far(self, int32_t agent, double talk) noexcept nogil:
        """``_push_talk_end`` through the far wheel (out of line: the small center's path stays short)."""
        if heap_push_far(&self.heap, self.now, self.now + talk, EV_TALK_END, agent, 0) != 0:
            return self._fail(ERR_NO_MEMORY)
        return 0

    cdef int _start_far(self, double talk) noexcept nogil:
        """Count a talk toward the far wheel's width; after 32, start it: buckets of FAR_ENDS x
        their mean length / agents seconds (about FAR_ENDS ends each when every agent is busy),
        agents / 4 of them (16 mean lengths: the ends beyond, which wait in the main heap, are
        few). The order of events is the heap's either way."""
        cdef int64_t buckets = 64
        self.talk_delays += talk
        self.talks_seen += 1
        if self.talks_seen == 32:
            while buckets < self.n_agents // 4 and buckets < (1 << 20):
                buckets *= 2
            if heap_far_start(&self.heap, self.talk_delays / 32.0 * FAR_ENDS / self.n_agents, buckets,
                              self.now) < 0:
                return self._fail(ERR_NO_MEMORY)
        return 0

    cdef int _push_acw_end(self, int32_t agent, double acw) noexcept nogil:
        """Schedule the end of an after-call work through the heap's lane: with a constant
        length the ends come in time order and skip the heap (``heap_push_lane``); the order
        of events is the heap's either way."""
        if heap_push_lane(&self.heap, LANE_ACW, self.now + acw, EV_ACW_END, agent, 0) != 0:
            return self._fail(ERR_NO_MEMORY)
        return 0


def struct_sizes():
    """Bytes of the core's per-caller and per-agent structs (``ccsim.budget`` prices a waiting
    caller and an agent with them; tests/test_budget.py keeps its numbers in step)."""
    return {"Call": sizeof(Call), "Agent": sizeof(Agent)}
