# cython: language_level=3
"""The fast engine: one simulation run of a compiled model, loop without the GIL.

State lives in C arrays of the structs declared in ``_core.pxd``; the event
heap (``_heap``), sampling (``_random``), arrivals (``_arrivals``) and statistics
(``_stats``) are ``cdef inline`` functions of their own small modules, cimported
here (STYLE.md "Growing the core"). Calls exist as slots only while they wait
(an answered call's statistics are recorded at answer time), events sit in a
binary heap ordered by (time, kind, sequence), and a queued call's abandonment
is an event checked against the slot's generation, so nothing ever scans a queue.
A media airing is an event too: it draws its calls' count and delays from its
channel's stream (``_arrivals``) and schedules each as an ad arrival, which then
lives as an organic call of the channel's call type (``_arrive``).
"""
from cpython.pycapsule cimport PyCapsule_GetPointer
from libc.math cimport INFINITY
from libc.stdint cimport int32_t, int64_t, uint32_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memcpy, memset

import numpy as np

from .budget import airing_overflow_error, out_of_memory_error, overflow_error

cimport numpy as cnp
from numpy.random cimport bitgen_t

from ccsim._arrivals cimport AdChannel, ArrivalProfile, ad_delay, airing_count, next_arrival
from ccsim._heap cimport Event, Heap, heap_pop, heap_push
from ccsim._memory cimport grow
from ccsim._random cimport Dist, period_dist, sample
from ccsim._stats cimport (
    C_ABANDONED, C_ANSWERED, C_ARRIVED, C_BLOCKED, C_WAITING_AT_END, F_ABANDONED, F_ABANDONED_SHORT,
    F_ANSWERED, F_ANSWERED_IN_SL, F_ARRIVED, F_BLOCKED, F_HANDLE, F_OFFERED, F_TALK, F_WAIT_ABANDONED,
    F_WAIT_ANSWERED, F_WAITING_AT_END, G_ANSWERED, G_BUSY, G_HANDLE, G_STAFFED, G_TALK, IG_BUSY, IG_STAFFED,
    N_CALL_FIELDS, N_CHANNEL_FIELDS, N_GROUP_FIELDS, N_INTERVAL_GROUP_FIELDS, Stats, add_clock, count,
    count_channel, interval_of,
)

cnp.import_array()


CALL_FIELDS_COUNT = N_CALL_FIELDS
GROUP_FIELDS_COUNT = N_GROUP_FIELDS
INTERVAL_GROUP_FIELDS_COUNT = N_INTERVAL_GROUP_FIELDS
CHANNEL_FIELDS_COUNT = N_CHANNEL_FIELDS


cdef class Simulation:
    """One run of one compiled model with one set of random streams.

    Construct with the model and the PCG64 bit generators (one per stream, in
    ``CompiledModel.stream_keys`` order), call ``run()`` once, then read the
    statistic arrays.
    """

    # settings
    cdef double horizon, warmup, interval, sl_threshold, short_abandon
    cdef int32_t n_intervals, n_types, n_groups, n_agents, lines, drain, n_channels, n_airings
    # model tables (borrowed from numpy arrays kept alive below)
    cdef double* rates
    cdef double* empirical
    cdef double* proficiency
    cdef double* period_start       # durations by period of the day (compile.CompiledModel)
    cdef int32_t* period_dist
    cdef int32_t* handle_periods     # [K, 2]: (first, count)
    cdef int32_t* patience_periods
    cdef int32_t* acw_periods
    cdef int32_t* type_groups_start
    cdef int32_t* type_groups
    cdef int32_t* group_types_start
    cdef int32_t* group_types
    cdef ArrivalProfile* profiles
    cdef AdChannel* channels
    cdef double* airing_time
    cdef double* airing_mean
    cdef int32_t* airing_channel
    cdef Dist* dists
    cdef bitgen_t** streams
    # dynamic state (owned, freed in __dealloc__)
    cdef Heap heap
    cdef Call* calls
    cdef int32_t* free_slots
    cdef int32_t n_free, calls_capacity
    cdef Agent* agents
    cdef Queue* queues
    cdef IdleList* idle
    cdef int32_t lines_busy
    cdef double now
    # run budget: callers waiting + patience timers running may not pass max_pending
    # (+ ad calls scheduled by airings and not yet rung)
    cdef int64_t max_pending, n_waiting, n_timers, n_scheduled
    cdef int32_t overflow_type   # call type of the caller refused by the budget
    cdef int32_t overflow_airing  # airing whose calls the budget refused, and how many it drew
    cdef int64_t overflow_calls
    cdef int error               # ERR_* of the first failure inside the loop
    # statistics (arrays borrowed from the numpy arrays in _stats)
    cdef Stats stats
    cdef CallRecord* records
    cdef int64_t n_records, records_capacity
    cdef bint keep_records
    cdef public long long calls_simulated
    cdef public double end_time
    cdef object _keep
    cdef object _model
    cdef object _stats
    cdef bint _done

    def __cinit__(self, model, bit_generators, bint call_records=False):
        cdef int32_t k, g, i, a, n
        self._keep = []
        self._model = model
        self.max_pending = model.max_pending
        self.horizon = model.horizon
        self.warmup = model.warmup
        self.interval = model.interval
        self.sl_threshold = model.sl_threshold
        self.short_abandon = model.short_abandon
        self.n_intervals = model.n_intervals
        self.n_types = model.n_types
        self.n_groups = model.n_groups
        self.n_agents = model.n_agents
        self.lines = model.lines
        self.drain = model.drain
        self.n_channels = model.n_channels
        self.n_airings = model.n_airings
        if len(bit_generators) != N_SOURCES * self.n_types + self.n_channels:
            raise ValueError(f"expected {N_SOURCES * self.n_types + self.n_channels} bit generators, "
                             f"got {len(bit_generators)}")

        self.rates = self._double_ptr(model.rates)
        self.empirical = self._double_ptr(model.empirical)
        self.proficiency = self._double_ptr(model.group_proficiency)
        self.period_start = self._double_ptr(model.period_start)
        self.period_dist = self._int_ptr(model.period_dist)
        self.handle_periods = self._int_ptr(model.handle_periods)
        self.patience_periods = self._int_ptr(model.patience_periods)
        self.acw_periods = self._int_ptr(model.acw_periods)
        self.type_groups_start = self._int_ptr(model.type_groups_start)
        self.type_groups = self._int_ptr(model.type_groups)
        self.group_types_start = self._int_ptr(model.group_types_start)
        self.group_types = self._int_ptr(model.group_types)

        n = len(model.dist_code)
        self.dists = <Dist*>self._alloc(n * sizeof(Dist))
        for i in range(n):
            self.dists[i].code = model.dist_code[i]
            self.dists[i].p0 = model.dist_param[i, 0]
            self.dists[i].p1 = model.dist_param[i, 1]
            self.dists[i].p2 = model.dist_param[i, 2]
            self.dists[i].cum = model.dist_cum[i]
        self.profiles = <ArrivalProfile*>self._alloc(self.n_types * sizeof(ArrivalProfile))
        for k in range(self.n_types):
            self.profiles[k].start = model.rate_start[k]
            self.profiles[k].count = model.rate_count[k]
            self.profiles[k].repeat = model.rate_repeat[k]
            self.profiles[k].slot = model.rate_slot[k]
        self.channels = <AdChannel*>self._alloc(self.n_channels * sizeof(AdChannel))
        for i in range(self.n_channels):
            self.channels[i].call_type = model.channel_type[i]
            self.channels[i].delay = model.channel_delay[i]
            self.channels[i].shape = model.channel_shape[i]
            self.channels[i].scale = model.channel_scale[i]
        self.airing_time = self._double_ptr(model.airing_time)
        self.airing_mean = self._double_ptr(model.airing_mean)
        self.airing_channel = self._int_ptr(model.airing_channel)
        self.streams = <bitgen_t**>self._alloc(len(bit_generators) * sizeof(bitgen_t*))
        for i, bit_generator in enumerate(bit_generators):
            self._keep.append(bit_generator)
            self.streams[i] = <bitgen_t*>PyCapsule_GetPointer(bit_generator.capsule, "BitGenerator")

        self.agents = <Agent*>self._alloc(max(self.n_agents, 1) * sizeof(Agent))
        self.idle = <IdleList*>self._alloc(self.n_groups * sizeof(IdleList))
        self.queues = <Queue*>self._alloc(self.n_types * sizeof(Queue))
        for k in range(self.n_types):
            self.queues[k].head = -1
            self.queues[k].tail = -1
            self.queues[k].length = 0
        for g in range(self.n_groups):
            self.idle[g].head = -1
            self.idle[g].tail = -1
            for a in range(model.group_start[g], model.group_start[g] + model.group_count[g]):
                self.agents[a].group = g
                self.agents[a].call_type = -1
                self.agents[a].idle = 0
                self.agents[a].idle_since = 0.0
                self._idle_push(a)

        self.keep_records = call_records
        if call_records:
            self.records_capacity = 4096
            self.records = <CallRecord*>self._alloc(self.records_capacity * sizeof(CallRecord))
        self.heap.capacity = 1024 + 2 * self.n_agents + self.n_airings
        self.heap.data = <Event*>self._alloc(self.heap.capacity * sizeof(Event))
        self.calls_capacity = 1024
        self.calls = <Call*>self._alloc(self.calls_capacity * sizeof(Call))
        self.free_slots = <int32_t*>self._alloc(self.calls_capacity * sizeof(int32_t))
        self.n_free = self.calls_capacity
        for i in range(self.calls_capacity):
            self.free_slots[i] = self.calls_capacity - 1 - i
            self.calls[i].gen = 0
            self.calls[i].state = CALL_FREE

        stats = {
            "interval_calls": np.zeros((self.n_intervals, self.n_types, N_CALL_FIELDS)),
            "total_calls": np.zeros((self.n_types, N_CALL_FIELDS)),
            "group_totals": np.zeros((self.n_groups, N_GROUP_FIELDS)),
            "interval_groups": np.zeros((self.n_intervals, self.n_groups, N_INTERVAL_GROUP_FIELDS)),
            "interval_channels": np.zeros((self.n_intervals, self.n_channels + 1, N_CHANNEL_FIELDS)),
            "total_channels": np.zeros((self.n_channels + 1, N_CHANNEL_FIELDS)),
            "airing_calls": np.zeros((self.n_airings, N_CHANNEL_FIELDS)),
        }
        self._stats = stats
        self.stats.interval_calls = self._double_ptr(stats["interval_calls"])
        self.stats.total_calls = self._double_ptr(stats["total_calls"])
        self.stats.group_totals = self._double_ptr(stats["group_totals"])
        self.stats.interval_groups = self._double_ptr(stats["interval_groups"])
        self.stats.interval_channels = self._double_ptr(stats["interval_channels"])
        self.stats.total_channels = self._double_ptr(stats["total_channels"])
        self.stats.airing_calls = self._double_ptr(stats["airing_calls"])
        self.stats.n_channels = self.n_channels
        self.stats.n_intervals = self.n_intervals
        self.stats.n_types = self.n_types
        self.stats.n_groups = self.n_groups
        self.stats.interval = self.interval
        self.stats.warmup = self.warmup
        self.stats.horizon = self.horizon
        for g in range(self.n_groups):
            add_clock(&self.stats, g, 0.0, self.horizon, <double>model.group_count[g], G_STAFFED, IG_STAFFED)

    def __dealloc__(self):
        free(self.dists)
        free(self.profiles)
        free(self.channels)
        free(self.streams)
        free(self.agents)
        free(self.idle)
        free(self.queues)
        free(self.heap.data)
        free(self.calls)
        free(self.free_slots)
        free(self.records)

    cdef void* _alloc(self, size_t size) except NULL:
        cdef void* p = malloc(size if size > 0 else 1)
        if p == NULL:
            raise out_of_memory_error("core")
        memset(p, 0, size)
        return p

    cdef double* _double_ptr(self, array) except NULL:
        cdef cnp.ndarray arr = np.ascontiguousarray(array, dtype=np.float64)
        self._keep.append(arr)
        return <double*>cnp.PyArray_DATA(arr)

    cdef int32_t* _int_ptr(self, array) except NULL:
        cdef cnp.ndarray arr = np.ascontiguousarray(array, dtype=np.int32)
        if arr.size == 0:
            arr = np.zeros(1, dtype=np.int32)
        self._keep.append(arr)
        return <int32_t*>cnp.PyArray_DATA(arr)

    def run(self):
        """Simulate to the end; returns the statistic arrays (a dict of numpy arrays)."""
        cdef int error
        if self._done:
            raise RuntimeError("a Simulation runs once; build a new one")
        self._done = True
        with nogil:
            error = self._run()
        if error == ERR_BUDGET:
            raise overflow_error(self._model, self.overflow_type, self.now, self.n_waiting, self.n_timers,
                                 self.n_scheduled)
        if error == ERR_AIRING_BUDGET:
            raise airing_overflow_error(self._model, self.overflow_airing, self.now, self.overflow_calls,
                                        self.n_waiting + self.n_timers + self.n_scheduled)
        if error != ERR_NONE:
            raise out_of_memory_error("core")
        if self.keep_records:
            self._stats["call_records"] = self._records_array()
        return self._stats

    cdef object _records_array(self):
        from .results import CALL_RECORD_DTYPE as dtype
        assert dtype.itemsize == sizeof(CallRecord)
        out = np.empty(self.n_records, dtype=dtype)
        cdef char* dst = <char*>cnp.PyArray_DATA(out)
        memcpy(dst, self.records, self.n_records * sizeof(CallRecord))
        return out

    # ---- the event loop -------------------------------------------------------

    cdef int _run(self) noexcept nogil:
        cdef Event ev
        cdef int32_t k
        cdef int handled
        cdef double t, last_time = 0.0
        self.calls_simulated = 0
        for k in range(self.n_types):
            t = self._next_arrival(k, 0.0)
            if t < self.horizon and self._push(t, EV_ARRIVAL, k, 0) != 0:
                return self.error
        for k in range(self.n_airings):
            if self._push(self.airing_time[k], EV_AIRING, k, 0) != 0:
                return self.error
        while self.heap.size > 0:
            if not self.drain and self.heap.data[0].time > self.horizon:
                break
            heap_pop(&self.heap, &ev)
            self.now = ev.time
            if ev.kind == EV_ARRIVAL:
                if self._on_arrival(ev.target) != 0:
                    return self.error
            elif ev.kind == EV_TALK_END:
                if self._on_talk_end(ev.target) != 0:
                    return self.error
            elif ev.kind == EV_ACW_END:
                if self._on_agent_free(ev.target) != 0:
                    return self.error
            elif ev.kind == EV_AD_ARRIVAL:
                self.n_scheduled -= 1
                k = self.airing_channel[ev.target]
                if self._arrive(self.channels[k].call_type, k, ev.target) != 0:
                    return self.error
            elif ev.kind == EV_AIRING:
                if self._on_airing(ev.target) != 0:
                    return self.error
                continue  # it only schedules calls: not an event of the center (end_time)
            else:
                self.n_timers -= 1  # this patience timer has run out, answered or not
                handled = self._on_abandon(ev.target, ev.gen)
                if handled < 0:
                    return self.error
                if handled == 0:
                    continue  # a stale abandonment is not an event of the center
            last_time = self.now
        self.end_time = last_time if self.drain else self.horizon
        if self._close() != 0:
            return self.error
        return ERR_NONE

    cdef int _fail(self, int error) noexcept nogil:
        """Note why the loop must stop; -1, for the handler to return."""
        self.error = error
        return -1

    cdef int _on_arrival(self, int32_t k) noexcept nogil:
        """An organic call of type k rings: schedule the type's next arrival, then the call."""
        cdef double t_next = self._next_arrival(k, self.now)
        if t_next < self.horizon and self._push(t_next, EV_ARRIVAL, k, 0) != 0:
            return -1
        return self._arrive(k, -1, -1)

    cdef int _on_airing(self, int32_t i) noexcept nogil:
        """Airing i: N ~ Poisson(its mean) calls, each at its time + a response delay, those
        before the horizon scheduled; all from its channel's stream. Twin of the SimPy ``air``."""
        cdef int32_t c = self.airing_channel[i]
        cdef bitgen_t* rng = self.streams[N_SOURCES * self.n_types + c]
        cdef int64_t j, n = airing_count(self.airing_mean[i], rng)
        cdef double t
        if self.n_waiting + self.n_timers + self.n_scheduled + n > self.max_pending:
            self.overflow_airing = i
            self.overflow_calls = n
            return self._fail(ERR_AIRING_BUDGET)
        for j in range(n):
            t = self.now + ad_delay(&self.channels[c], rng)
            if t < self.horizon:
                self.n_scheduled += 1
                if self._push(t, EV_AD_ARRIVAL, i, 0) != 0:
                    return -1
        return 0

    cdef int _arrive(self, int32_t k, int32_t channel, int32_t airing) noexcept nogil:
        """A call of type k rings now (organic: channel and airing -1): line, agent or queue."""
        cdef Call call
        cdef int32_t agent, slot
        cdef uint32_t gen
        cdef double patience
        call.id = self.calls_simulated
        call.arrival = self.now
        call.call_type = k
        call.channel = channel
        call.airing = airing
        call.interval = interval_of(&self.stats, self.now)
        call.counted = self.now >= self.warmup
        call.handle = sample(self._dist_at(self.handle_periods, k, self.now), self.streams[SRC_HANDLE * self.n_types + k], self.empirical)
        patience = sample(self._dist_at(self.patience_periods, k, self.now), self.streams[SRC_PATIENCE * self.n_types + k], self.empirical)
        call.acw = sample(self._dist_at(self.acw_periods, k, self.now), self.streams[SRC_ACW * self.n_types + k], self.empirical)
        self.calls_simulated += 1
        self._count(&call, F_ARRIVED, C_ARRIVED, 1.0)
        if self.lines >= 0 and self.lines_busy >= self.lines:
            self._count(&call, F_BLOCKED, C_BLOCKED, 1.0)
            return self._record(&call, 0.0, 0.0, OUT_BLOCKED, -1)
        self._count(&call, F_OFFERED, -1, 1.0)
        agent = self._take_idle_agent(k)
        if agent >= 0:
            self.lines_busy += 1
            return self._answer(agent, &call, 0.0)
        if patience <= 0.0:
            return self._record_abandon(&call, 0.0)
        if self.n_waiting + self.n_timers + self.n_scheduled >= self.max_pending:
            self.overflow_type = k
            return self._fail(ERR_BUDGET)
        slot = self._new_call()
        if slot < 0:
            return -1
        gen = self.calls[slot].gen
        self.calls[slot] = call
        self.calls[slot].gen = gen
        self.calls[slot].state = CALL_WAITING
        self._enqueue(k, slot)
        self.lines_busy += 1
        if patience < INFINITY:
            self.n_timers += 1
            return self._push(self.now + patience, EV_ABANDON, slot, gen)
        return 0

    cdef inline Dist* _dist_at(self, int32_t* periods, int32_t k, double t) noexcept nogil:
        return period_dist(self.dists, self.period_start, self.period_dist, periods, k, t)

    cdef int _answer(self, int32_t agent, Call* c, double wait) noexcept nogil:
        """``agent`` takes call c now: its statistics are recorded at once; talk starts."""
        cdef Agent* a = &self.agents[agent]
        cdef double talk = c.handle * self.proficiency[a.group]
        cdef double acw = c.acw
        cdef double* g
        a.busy_since = self.now
        a.call_type = c.call_type
        a.acw = acw
        self._count(c, F_ANSWERED, C_ANSWERED, 1.0)
        self._count(c, F_WAIT_ANSWERED, -1, wait)
        if wait <= self.sl_threshold:
            self._count(c, F_ANSWERED_IN_SL, -1, 1.0)
        self._count(c, F_TALK, -1, talk)
        self._count(c, F_HANDLE, -1, talk + acw)
        if c.counted:
            g = &self.stats.group_totals[a.group * N_GROUP_FIELDS]
            g[G_ANSWERED] += 1.0
            g[G_TALK] += talk
            g[G_HANDLE] += talk + acw
        if self.keep_records:
            if self._record(c, wait, talk, OUT_ANSWERED, agent) != 0:
                return -1
        return self._push(self.now + talk, EV_TALK_END, agent, 0)

    cdef int _on_talk_end(self, int32_t agent) noexcept nogil:
        cdef double acw = self.agents[agent].acw
        self.lines_busy -= 1
        if acw > 0.0:
            return self._push(self.now + acw, EV_ACW_END, agent, 0)
        return self._on_agent_free(agent)

    cdef int _on_agent_free(self, int32_t agent) noexcept nogil:
        """The agent is done with its call: take the longest-waiting eligible caller or go idle."""
        cdef Agent* a = &self.agents[agent]
        cdef int32_t slot, k
        cdef Call* c
        add_clock(&self.stats, a.group, a.busy_since, self.now, 1.0, G_BUSY, IG_BUSY)
        a.call_type = -1
        slot = self._longest_waiting(a.group)
        if slot < 0:
            a.idle_since = self.now
            self._idle_push(agent)
            return 0
        c = &self.calls[slot]
        k = c.call_type
        self._dequeue(k, slot)
        if self._answer(agent, c, self.now - c.arrival) != 0:
            return -1
        self._free_call(slot)
        return 0

    cdef int _on_abandon(self, int32_t slot, uint32_t gen) noexcept nogil:
        """A queued caller's patience ran out; returns 1 if it was still waiting."""
        cdef Call* c = &self.calls[slot]
        if c.gen != gen or c.state != CALL_WAITING:
            return 0  # answered (or slot reused) before its patience ran out
        self._dequeue(c.call_type, slot)
        self.lines_busy -= 1
        if self._record_abandon(c, self.now - c.arrival) != 0:
            return -1
        self._free_call(slot)
        return 1

    cdef int _record_abandon(self, Call* c, double wait) noexcept nogil:
        self._count(c, F_ABANDONED, C_ABANDONED, 1.0)
        self._count(c, F_WAIT_ABANDONED, -1, wait)
        if wait < self.short_abandon:
            self._count(c, F_ABANDONED_SHORT, -1, 1.0)
        return self._record(c, wait, 0.0, OUT_ABANDONED, -1)

    cdef int _record(self, Call* c, double wait, double talk, int32_t outcome, int32_t agent) noexcept nogil:
        """Append one per-call record (only when asked for); -1 when out of memory.

        Talk and after-call work are an answered call's, 0 otherwise."""
        cdef CallRecord* r
        if not self.keep_records:
            return 0
        if self.n_records == self.records_capacity:
            if grow(<void**>&self.records, &self.records_capacity, sizeof(CallRecord)) != 0:
                return self._fail(ERR_NO_MEMORY)
        r = &self.records[self.n_records]
        self.n_records += 1
        r.id = c.id
        r.arrival = c.arrival
        r.wait = wait
        r.talk = talk
        r.acw = c.acw if outcome == OUT_ANSWERED else 0.0
        r.call_type = c.call_type
        r.outcome = outcome
        r.agent = agent
        r.group = self.agents[agent].group if agent >= 0 else -1
        r.channel = c.channel
        r.airing = c.airing
        return 0

    cdef int _close(self) noexcept nogil:
        """Cut at the horizon: count callers still waiting; close agents' busy time."""
        cdef int32_t k, slot, agent
        cdef Call* c
        for k in range(self.n_types):
            slot = self.queues[k].head
            while slot >= 0:
                c = &self.calls[slot]
                self._count(c, F_WAITING_AT_END, C_WAITING_AT_END, 1.0)
                if self._record(c, self.horizon - c.arrival, 0.0, OUT_WAITING_AT_END, -1) != 0:
                    return -1
                slot = c.next
        for agent in range(self.n_agents):
            if self.agents[agent].call_type >= 0:
                add_clock(&self.stats, self.agents[agent].group, self.agents[agent].busy_since,
                                self.horizon, 1.0, G_BUSY, IG_BUSY)
        return 0

    # ---- routing --------------------------------------------------------------

    cdef int32_t _take_idle_agent(self, int32_t k) noexcept nogil:
        """Longest-idle agent among the groups serving call type k, or -1."""
        cdef int32_t i, g, head, best = -1
        cdef double best_since = INFINITY
        for i in range(self.type_groups_start[k], self.type_groups_start[k + 1]):
            g = self.type_groups[i]
            head = self.idle[g].head
            if head >= 0 and (self.agents[head].idle_since < best_since or
                              (self.agents[head].idle_since == best_since and head < best)):
                best = head
                best_since = self.agents[head].idle_since
        if best >= 0:
            self._idle_remove(best)
        return best

    cdef int32_t _longest_waiting(self, int32_t g) noexcept nogil:
        """Head call of the queue (among those group g serves) that has waited longest, or -1."""
        cdef int32_t i, k, head, best = -1
        cdef double best_arrival = INFINITY
        for i in range(self.group_types_start[g], self.group_types_start[g + 1]):
            k = self.group_types[i]
            head = self.queues[k].head
            if head >= 0 and self.calls[head].arrival < best_arrival:
                best = head
                best_arrival = self.calls[head].arrival
        return best

    cdef void _idle_push(self, int32_t agent) noexcept nogil:
        cdef Agent* a = &self.agents[agent]
        cdef IdleList* lst = &self.idle[a.group]
        a.idle = 1
        a.next = -1
        a.prev = lst.tail
        if lst.tail >= 0:
            self.agents[lst.tail].next = agent
        else:
            lst.head = agent
        lst.tail = agent

    cdef void _idle_remove(self, int32_t agent) noexcept nogil:
        cdef Agent* a = &self.agents[agent]
        cdef IdleList* lst = &self.idle[a.group]
        if a.prev >= 0:
            self.agents[a.prev].next = a.next
        else:
            lst.head = a.next
        if a.next >= 0:
            self.agents[a.next].prev = a.prev
        else:
            lst.tail = a.prev
        a.idle = 0

    # ---- queues and call slots -----------------------------------------------

    cdef void _enqueue(self, int32_t k, int32_t slot) noexcept nogil:
        cdef Queue* q = &self.queues[k]
        self.calls[slot].next = -1
        self.calls[slot].prev = q.tail
        if q.tail >= 0:
            self.calls[q.tail].next = slot
        else:
            q.head = slot
        q.tail = slot
        q.length += 1
        self.n_waiting += 1

    cdef void _dequeue(self, int32_t k, int32_t slot) noexcept nogil:
        cdef Queue* q = &self.queues[k]
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
        self.n_waiting -= 1

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

    # ---- statistics -------------------------------------------------------------

    cdef inline void _count(self, Call* c, int field, int channel_field, double value) noexcept nogil:
        """Add to call counter ``field`` of c's type (``_stats.count``) and, unless
        ``channel_field`` is -1, to that counter of c's source and airing (``count_channel``)."""
        count(&self.stats, c.call_type, c.interval, c.counted, field, value)
        if channel_field >= 0:
            count_channel(&self.stats, c.channel, c.airing, c.interval, c.counted, channel_field, value)

    # ---- arrivals ---------------------------------------------------------------

    cdef inline double _next_arrival(self, int32_t k, double t) noexcept nogil:
        """Next arrival of call type k after t (``_arrivals.next_arrival`` on its stream)."""
        return next_arrival(&self.profiles[k], self.rates, self.streams[SRC_ARRIVAL * self.n_types + k],
                            t, self.horizon)

    # ---- event heap -------------------------------------------------------------

    cdef int _push(self, double time, int32_t kind, int32_t target, uint32_t gen) noexcept nogil:
        """Schedule an event (``_heap.heap_push``); -1 when out of memory."""
        if heap_push(&self.heap, time, kind, target, gen) != 0:
            return self._fail(ERR_NO_MEMORY)
        return 0
