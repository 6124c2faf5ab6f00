"""The SimPy reference engine: the executable statement of the semantics.

One SimPy process per call type rings the phone, and one process per caller
lives the call: line, queue, talk, after-call work. Agents are plain state that
the callers' processes hand on: the caller whose call ends frees its agent,
who takes the next caller waiting or goes idle. Times are in seconds.

Given the same seed, this engine makes the same decisions as the Cython core
(``_core.pyx``), in the same order, and fills the same ``RawStats``; when the
two disagree, this file says what was meant.
"""
from __future__ import annotations

import heapq
import math
from collections import deque
from functools import partial

import numpy as np
import simpy

from ..budget import airing_overflow_error, overflow_error
from ..compile import (AGENT_SELECTION, BRANCH_KINDS, CLOSED_ACTIONS, QUEUE_SELECTION, CompiledModel, ad_stream,
                       bit_generators)
from .rows import folded
from ..results import (AGENT_FIELDS, CALL_FIELDS, CALL_RECORD_DTYPE, CALLER_FIELDS, CHANNEL_FIELDS, ENTRY_FIELDS, GROUP_FIELDS,
                       INTERVAL_GROUP_FIELDS, NODE_FIELDS, OUTCOMES, RawStats)
from ..scenario.hours import is_open, next_open
from .arrivals import ad_delay, next_arrival, replay_arrival
from .funnel import Funnel
from ..router import RouterError, answer_number, argument, bad_agent, bad_type, timer_tag, timer_time
from .routing import Idle, allows, call_order
from .sampling import draw, period_row
from .shifts import schedules

# Ties at equal times, lower rank first: agents freed (talk end, then end of
# after-call work) before arrivals, before abandonments, so a caller whose
# patience ends as an agent frees up is served. Equal ranks: first scheduled,
# first done. The ranks sit above SimPy's own priorities (0 urgent, 1 normal),
# which it gives to what one event sets off at the same instant (a process
# starting, an event succeeding, a process resuming): everything an event
# causes is done before the next event of the center starts, as in the
# core's loop of one handler per event.
# A schedule change (SHIFT: a login, logout or break) comes after the agents freed at its
# instant, so a call ending as a shift ends is finished, and before the arrivals, so an agent
# logging in at t takes a call ringing at t.
# Airings come last at their instant: an airing only schedules calls, from its channel's
# own stream (see ``air``). A callback item becoming available (CB_READY) comes after the
# arrivals and before the abandonments of its instant.
# A new day (DAY: the agents' calls-today counts start again) comes first at its instant. A
# waiting call reaching a re-routing delay (OVERFLOW) comes just before the abandonments.
# A Python router's timer (ROUTER_TIMER) comes just before those.
# An agent away in a start state coming back (RETURN) comes last (ccsim.state).
(DAY, TALK_END, ACW_END, LINE_FREE, SHIFT, ARRIVAL, AD_ARRIVAL, RETRY, IVR_STEP, CB_READY, ROUTER_TIMER, OVERFLOW,
 ABANDON, AIRING, RETURN) = range(2, 17)
CLOSED = {code: name for name, code in CLOSED_ACTIONS.items()}
CALL = {name: i for i, name in enumerate(CALL_FIELDS)}
ENTRY = {name: i for i, name in enumerate(ENTRY_FIELDS)}
NODE = {name: i for i, name in enumerate(NODE_FIELDS)}
CALLER = {name: i for i, name in enumerate(CALLER_FIELDS)}
BRANCH = {code: name for name, code in BRANCH_KINDS.items()}
GROUP = {name: i for i, name in enumerate(GROUP_FIELDS)}
AGENT = {name: i for i, name in enumerate(AGENT_FIELDS)}
INTERVAL_GROUP = {name: i for i, name in enumerate(INTERVAL_GROUP_FIELDS)}


class CenterClock(simpy.Environment):
    """A SimPy environment whose events carry a tie-break rank."""

    def at(self, time, rank):
        """An event that happens at the absolute ``time`` with tie-break ``rank``.

        Built as ``simpy.Timeout`` is, but pushed at ``time`` itself: SimPy's
        ``now + delay`` with ``delay = time - now`` can miss ``time`` by one bit
        (now = 0.5 + 2**-53, time = 1.5 + 2**-52), and arrival times are absolute.
        """
        event = simpy.Event(self)
        event._ok, event._value = True, None
        heapq.heappush(self._queue, (time, rank, next(self._eid), event))
        return event

    def pending(self):
        """Events scheduled and not yet processed."""
        return len(self._queue)


class Agent:
    """One agent: which group, since when idle or busy, and where in its schedule."""

    __slots__ = ("index", "group", "idle_since", "busy_since", "busy", "table", "on", "off", "on_since",
                 "handled", "gone")

    def __init__(self, index, group, table, on):
        self.index = index
        self.group = group
        self.idle_since = 0.0  # agents on duty at time 0 start idle then
        self.busy_since = 0.0  # start of the current call (talk, then after-call work)
        self.busy = False
        self.table = table  # its schedule table, -1 = on duty all the time
        # on: its schedule says on duty (logged in, not on break); off: it is off duty (no calls,
        # no staffed time; a busy agent goes off when its call ends); on_since: staffed time
        self.on = on
        self.off = not self.on
        self.on_since = 0.0
        self.handled = 0  # calls answered today (fewest_calls)
        self.gone = False  # it has left the center (ContactCenter.leave): off duty for good


class Caller:
    """One caller, over all its attempts (a retrial redials the same number)."""

    __slots__ = ("id", "source", "first", "interval", "counted", "attempt", "channel", "airing", "priority",
                 "propensity")

    def __init__(self, id, source, first, interval, counted, channel, airing):
        self.id = id  # caller number within the run
        self.source = source  # call type it dials, or n_types + entry
        self.first = first  # time of the first attempt
        self.interval = interval  # its interval: the caller's channel statistics go there
        self.counted = counted  # first attempt after the warm-up: counts in the caller totals
        self.attempt = 1
        self.priority = 0  # the current attempt's priority in its queue (a menu branch's; else 0)
        self.channel = channel  # media channel of an ad caller, -1 for an organic one
        self.airing = airing  # its airing, -1 for an organic caller
        self.propensity = 1.0  # with a funnel: its uniform drawn at the first ring (buys iff < the order probability)


class Call:
    """One attempt at a call type's queue, with the durations drawn when it reached it."""

    __slots__ = ("who", "ring", "call_type", "arrival", "interval", "counted", "handle", "acw",
                 "answered", "agent", "talk_end", "ov_step", "transfer_to", "consult")

    def __init__(self, who, ring, call_type, arrival, interval, counted, handle, acw):
        self.who = who
        self.ring = ring  # when this attempt rang
        self.call_type = call_type
        self.arrival = arrival  # when it reached the call type (waits count from here)
        self.interval = interval  # statistics go to the interval of that arrival
        self.counted = counted  # arrived after the warm-up: counts in the totals
        self.handle = handle  # talk time before the agent's proficiency factor
        self.acw = acw  # after-call work
        self.answered = None  # SimPy event, while the caller waits in a queue
        self.agent = None
        self.talk_end = None  # SimPy event, once answered
        self.transfer_to = -1  # the call type its talk end transfers it to, -1 = none (Center.talk_draws)
        self.consult = -1.0  # its consult's duration, -1 = none (Center.talk_draws)


class CallbackItem:
    """A callback request of call type ``call_type`` (virtual hold, or a voicemail): the
    caller's kept durations, and the agent attempts made so far."""

    __slots__ = ("who", "ring", "call_type", "request", "interval", "counted", "handle", "acw", "tries")

    def __init__(self, who, ring, call_type, request, interval, counted, handle, acw):
        self.who = who
        self.ring = ring  # ring of the attempt that asked for it
        self.call_type = call_type
        self.request = request  # when it was asked for: FIFO order, overdue and delay count from here
        self.interval = interval  # its statistics go to the interval of the request
        self.counted = counted
        self.handle = handle
        self.acw = acw
        self.tries = 0


class Tally:
    """The ``RawStats`` counters, added to in the order the core adds to them."""

    def __init__(self, model: CompiledModel):
        self.model = model
        n, k, g = model.n_intervals, model.n_types, model.n_groups
        # by-interval tables of n + 1 rows: the last for calls after the warm-up in its interval (row)
        self.boundary = self.interval_of(model.warmup)
        self.interval_calls = np.zeros((n + 1, k, len(CALL_FIELDS)))
        self.group_totals = np.zeros((g, len(GROUP_FIELDS)))
        self.interval_groups = np.zeros((n, g, len(INTERVAL_GROUP_FIELDS)))
        self.interval_entries = np.zeros((n + 1, model.n_entries, len(ENTRY_FIELDS)))
        self.node_totals = np.zeros((model.n_nodes, len(NODE_FIELDS)))
        self.callers = np.zeros((model.n_sources, len(CALLER_FIELDS)))
        self.interval_channels = np.zeros((n + 1, model.n_channels + 1, len(CHANNEL_FIELDS)))
        self.airing_calls = np.zeros((model.n_airings, len(CHANNEL_FIELDS)))
        self.agent_totals = np.zeros((model.n_agents, len(AGENT_FIELDS)))
        self.agent_types = np.zeros((model.n_agents, k))
        self.thresholds = list(getattr(model, "sl_thresholds", ()))  # floats
        self.interval_within = np.zeros((n + 1, k, len(self.thresholds)))
        shifted = list(getattr(model, "group_shifted", ()))
        shifted = shifted if len(shifted) == g else [0] * g
        for group in range(g):
            if not shifted[group]:  # a group with shifts counts it as its agents log in and out
                self.clock(group, 0.0, model.horizon, float(model.group_count[group]), "staffed")
                for a in range(int(model.group_start[group]), int(model.group_start[group] + model.group_count[group])):
                    self.agent_clock(a, "staffed", 0.0, model.horizon)

    def interval_of(self, t):
        """Reporting interval of time t; the last one also takes times after the horizon."""
        return min(int(t / self.model.interval), self.model.n_intervals - 1)

    def row(self, interval, counted):
        """The row of the by-interval tables a call of ``interval`` counts in (twin of
        ``_stats.row_at``, which the core's handlers carry instead of the interval): its
        interval's, or the extra last one for a call after the warm-up in the interval the
        warm-up ends in. ``rows.fold_rows`` derives the totals after the
        warm-up from the rows, which needs calls before the warm-up in intervals up to that one
        and calls after it from that one on: checked here at every count."""
        if counted:
            if interval < self.boundary:
                raise AssertionError(f"a call after the warm-up counted in interval {interval} < {self.boundary}")
            return self.model.n_intervals if interval == self.boundary else interval
        if interval > self.boundary:
            raise AssertionError(f"a call before the warm-up counted in interval {interval} > {self.boundary}")
        return interval

    def count(self, call, field, value=1.0):
        """Add to a call counter, in the row of its arrival interval (``row``)."""
        self.interval_calls[self.row(call.interval, call.counted), call.call_type, CALL[field]] += value

    def entry(self, e, interval, counted, field, value=1.0):
        """Add to an attempt counter of entry e, in the row of the interval of its ring."""
        self.interval_entries[self.row(interval, counted), e, ENTRY[field]] += value

    def node(self, j, counted, field):
        if counted:
            self.node_totals[j, NODE[field]] += 1.0

    def caller(self, who, field):
        """Count a caller (once per caller and field): by source, and by media channel (0 =
        organic) in the interval of its first ring and, with an airing, by airing."""
        f = CALLER[field]
        self.interval_channels[self.row(who.interval, who.counted), who.channel + 1, f] += 1.0
        if who.counted:
            self.callers[who.source, f] += 1.0
            if who.airing >= 0:
                self.airing_calls[who.airing, f] += 1.0

    def caller_add(self, who, field, value):
        """Add ``value`` to a caller field, where ``caller`` counts."""
        f = CALLER[field]
        self.interval_channels[self.row(who.interval, who.counted), who.channel + 1, f] += value
        if who.counted:
            self.callers[who.source, f] += value
            if who.airing >= 0:
                self.airing_calls[who.airing, f] += value

    def group_answered(self, group, talk, handle):
        self.group_totals[group, GROUP["answered"]] += 1.0
        self.group_totals[group, GROUP["talk"]] += talk
        self.group_totals[group, GROUP["handle"]] += handle

    def answered_by(self, agent, k, talk, acw):
        """A post-warm-up call of type k answered by ``agent`` (an index): its per-agent totals."""
        row = self.agent_totals[agent]
        row[AGENT["answered"]] += 1.0
        row[AGENT["talk"]] += talk
        row[AGENT["acw"]] += acw
        self.agent_types[agent, k] += 1.0

    def answered_within(self, call, wait):
        """Count an answer after ``wait`` seconds at each extra threshold it meets."""
        for j, threshold in enumerate(self.thresholds):
            if wait <= threshold:
                self.interval_within[self.row(call.interval, call.counted), call.call_type, j] += 1.0

    def agent_clock(self, agent, field, start, end):
        """Add the agent's clock time [start, end) within [warm-up, horizon] to its ``field``."""
        end = min(end, self.model.horizon)
        start = max(start, self.model.warmup)
        if end > start:
            self.agent_totals[agent, AGENT[field]] += end - start

    def clock(self, group, start, end, weight, field):
        """Add ``weight`` x clock time [start, end), cut at the horizon, to a group's ``field``.

        The group total keeps only [warm-up, horizon]; the per-interval clock is
        split at interval boundaries.
        """
        m = self.model
        end = min(end, m.horizon)
        if end <= start:
            return
        lo = max(start, m.warmup)
        if end > lo:
            self.group_totals[group, GROUP[field]] += weight * (end - lo)
        i = self.interval_of(start)
        while i < m.n_intervals:
            lo = i * m.interval
            hi = lo + m.interval
            lo, hi = max(lo, start), min(hi, end)
            if hi > lo:
                self.interval_groups[i, group, INTERVAL_GROUP[field]] += weight * (hi - lo)
            if (i + 1) * m.interval >= end:
                break
            i += 1


class ContactCenter:
    """One run: the clock, the agents, the queues, and the callers' processes."""

    def __init__(self, model: CompiledModel, seed, call_records: bool = False, router=None):
        self.model = model
        self.router = router  # a ccsim.router.Router replacing the routing of callers, or None
        self.router_state = RouterState(self) if router is not None else None
        self.records = [] if call_records else None  # per-call records, when asked for
        self.start_time = model.state.clock if model.state is not None else 0.0  # a start state's clock
        self.env = CenterClock(initial_time=self.start_time)
        self.tally = Tally(model)
        # Streams in compile's stream_keys order; stream_base gives where each source starts. Every
        # one created (skip=False), even those the core skips as never drawn from: a wrong skip
        # makes the core draw from a stand-in and the twins differ.
        streams = [np.random.Generator(b) for b in bit_generators(model, seed, skip=False)]
        base, n, s = model.stream_base, model.n_types, model.n_sources
        m = model
        self.rng = {"arrival": streams[:s], "retrial": streams[base["retrial"]:base["retrial"] + s],
                    "ivr": streams[base["ivr"]:base["ivr"] + model.n_trees]}
        for source in ("handle", "patience", "after_call_work"):
            self.rng[source] = streams[base[source]:base[source] + n]
        # a retrial's or a transfer leg's durations, a retrial's menu walk (compile.LEG_SOURCE)
        self.rng["leg"] = streams[base["leg"]:base["ivr_retrial"]]
        self.rng["ivr_retrial"] = streams[base["ivr_retrial"]:base["leg_transfer"]]
        self.rng["leg_transfer"] = streams[base["leg_transfer"]:base["end"]]
        self.ad_rng = [streams[ad_stream(model, c)] for c in range(model.n_channels)]
        self.rates = model.rates.tolist()
        self.replay_times = model.replay_times.tolist()
        self.profiles = [(int(model.rate_start[k]), int(model.rate_count[k]), float(model.rate_slot[k]),
                          bool(model.rate_repeat[k])) for k in range(s)]
        self.dists = [(int(code), float(p0), float(p1), float(p2), float(cum))
                      for code, (p0, p1, p2), cum in zip(model.dist_code, model.dist_param, model.dist_cum)]
        self.period_start = model.period_start.tolist()
        self.period_dist = model.period_dist.tolist()
        self.periods = {"handle": model.handle_periods.tolist(), "patience": model.patience_periods.tolist(),
                        "after_call_work": model.acw_periods.tolist()}
        self.empirical = model.empirical.tolist()
        # handle-time factor per (agent, call type) and ACW factor per agent; identical agents: the
        # group's proficiency and 1
        self.per_agent = model.has_agent_factors
        self.proficiency = model.group_proficiency.tolist()
        self.factor = model.agent_factor.tolist() if self.per_agent else None
        self.acw_factor = model.agent_acw_factor.tolist() if self.per_agent else None
        self.sl_threshold = model.type_thresholds().tolist()  # [call type]: its service-level threshold
        self.groups_serving = [_row(model.type_groups, model.type_groups_start, k) for k in range(n)]
        self.types_served = [_row(model.group_types, model.group_types_start, g) for g in range(model.n_groups)]
        table_of, self.tables = schedules(model, self.start_time)  # per table: (engines.shifts.Schedule, on duty)
        self.table_on = [on for _, on in self.tables]
        self.agents = [Agent(a, g, table_of[a], table_of[a] < 0 or self.table_on[table_of[a]])
                       for g in range(model.n_groups)
                       for a in range(model.group_start[g], model.group_start[g] + model.group_count[g])]
        shifted = model.group_shifted.tolist() if len(model.group_shifted) == model.n_groups else []
        self.shifted = [bool(shifted and shifted[a.group]) for a in self.agents]  # staffed time counted per agent
        self.idle = Idle(model, self.agents)
        self.routing_rng = streams[base["routing"]] if base["transfer"] > base["routing"] else None
        self.agent_priority = model.agent_priority.tolist()
        self.wait_weight = model.wait_weight.tolist()
        self.backup = model.backup.tolist() if model.backup.size else None
        self.wait_unit = model.wait_unit.tolist()
        self.type_rules = model.type_rules.tolist()
        self.delays = [model.type_delays[model.type_delay_start[k]:model.type_delay_start[k + 1]].tolist()
                       for k in range(n)]
        # the rules of each (type, group) pair, along each type's groups and each group's types
        tg = (model.tg_after.tolist(), model.tg_ewt_over.tolist(), model.tg_queue_over.tolist(),
              model.tg_min_idle.tolist())
        gt = (model.gt_after.tolist(), model.gt_ewt_over.tolist(), model.gt_queue_over.tolist(),
              model.gt_min_idle.tolist())
        self.type_rules_of = [[tuple(col[i] for col in tg) for i in range(model.type_groups_start[k],
                                                                          model.type_groups_start[k + 1])]
                              for k in range(n)]
        self.group_rules_of = [[tuple(col[i] for col in gt) for i in range(model.group_types_start[g],
                                                                           model.group_types_start[g + 1])]
                               for g in range(model.n_groups)]
        # waiting callers per (call type k, priority level l), FIFO: queues[k * levels + l]
        self.levels = int(model.n_priorities)
        # seconds of head start per level (routing.level_head_start); None = strict levels
        self.level_start = model.level_head_start.tolist() if model.level_head_start.size else None
        self.queues = [deque() for _ in range(n * self.levels)]
        self.type_waiting = [0] * n  # callers waiting per call type, all levels
        self.pool_waiting = [0] * model.n_pools  # callers waiting in each pool's queues
        self.in_ivr = {}  # callers in a menu, in the order they entered it: Caller -> (entry, ring)
        # Callback items: available ones per call type, a heap of (request time, listing order,
        # item); those waiting to become available (an opening, a retry), in the order they
        # were scheduled.
        self.cb_items = [[] for _ in range(n)]
        self.cb_seq = 0
        self.cb_later = {}
        self.cb_rng = streams[base["callback"]:base["callback"] + n]
        # transfers per call type: [(cumulative probability, call type), ...], drawn from its own stream
        start, cum, to = model.transfer_table()
        self.transfers = [list(zip(cum[start[k]:start[k + 1]].tolist(), to[start[k]:start[k + 1]].tolist()))
                          for k in range(n)]
        self.transfer_rng = streams[base["transfer"]:base["transfer"] + n]
        self.consult_p, self.consult_dist = (a.tolist() for a in model.consult_table())
        self.talk_extra = model.talk_extra().tolist()  # 1: draws its consult and transfer as it reaches the type
        self.transferring = {}  # agent index -> the caller it talks to and will transfer
        # the sales funnel (ccsim.engines.funnel): a propensity per caller, orders at answers
        self.funnel = Funnel(model, self.dists, self.empirical) if model.has_funnel else None
        if self.funnel is not None:
            self.propensity_rng = streams[base["propensity"]:base["propensity"] + s]
            self.order_rng = streams[base["order"]:base["order"] + n]
        self.week = (None if m.closed_action < 0 else (m.hours_open.tolist(), m.hours_close.tolist(),
                                                         float(m.hours_shift)))
        self.lines_busy = 0  # calls in the menu, waiting, talking, or hearing the queue-full message
        # Run budget, counted as the core counts it: callers waiting, patience timers set and
        # not yet run out (whether or not their caller was answered), callers in a menu and
        # callers between attempts.
        self.waiting = 0
        self.timers = 0
        self.pending_other = 0  # in a menu or between attempts
        self.scheduled = 0  # ad calls scheduled by an airing and not yet rung
        self.calls_simulated = 0  # attempts
        self.n_callers = 0
        self.last_event = 0.0  # clock of the last event of the center (end_time of a drained run, as the core's)
        self.shift_events = 0  # schedule changes scheduled and not yet done
        self.started = False  # run_until has scheduled the first events
        if model.state is not None:  # a start state (ccsim.state): its durations drawn for this run
            from ..state.draws import start_draws

            self.start_draws = start_draws(model, seed)

    # ---- the run ------------------------------------------------------------------

    def start(self):
        """The first events: each source's arrivals, the airings, the schedule changes."""
        m, env = self.model, self.env
        self.started = True
        for k in range(m.n_sources):
            env.process(self.phone_rings(k))
        for i, time in enumerate(m.airing_time.tolist()):
            if time < self.start_time:  # aired before the start state: its calls after it ring
                self.air(i, None)
            else:
                env.at(time, AIRING).callbacks.append(partial(self.air, i))
        self.table_agents = [[] for _ in self.tables]  # each table's agents, in index order
        for agent in self.agents:
            if agent.table >= 0:
                self.table_agents[agent.table].append(agent)
        for t, (schedule, on) in enumerate(self.tables):
            if schedule.opens and self.table_agents[t]:
                self.schedule_change(t, schedule.first_change(on))
        midnight = 86400.0 * (int(self.start_time / 86400.0) + 1)  # the first after the start
        if m.agent_selection == AGENT_SELECTION["fewest_calls"] and midnight < m.horizon:
            env.at(midnight, DAY).callbacks.append(self.new_day)
        if m.state is not None:
            self.inject(self.start_draws)

    # ---- a start state (ccsim.state) ---------------------------------------------------

    def inject(self, draws):
        """The start state, before any event: busy agents, agents away, then the waiting callers
        (longest waiting first; each a process, started in this order before any event at the
        clock time). Twin of the core's ``Simulation.inject``."""
        env = self.env
        for agent, k, talk, acw in zip(draws.busy_agent.tolist(), draws.busy_type.tolist(), draws.busy_talk.tolist(),
                                       draws.busy_acw.tolist()):
            agent = self.agents[agent]
            self.idle.remove(agent)
            agent.busy, agent.busy_since = True, env.now
            self.lines_busy += 1
            env.at(env.now + talk, TALK_END).callbacks.append(partial(self.talk_at_start_ends, agent, acw))
        for agent, until in zip(draws.away_agent.tolist(), draws.away_until.tolist()):
            self.leave(agent)
            if until < math.inf:
                self.shift_events += 1  # ends like a schedule change (a drained run stops before it)
                env.at(until, RETURN).callbacks.append(partial(self.back, agent))
        for i in range(len(draws.waiting_type)):
            env.process(self.caller_at_start(draws, i))

    def talk_at_start_ends(self, agent, acw, _event):
        """A busy agent's call of the start state ends: its line is freed, then after-call work."""
        self.lines_busy -= 1
        self.call_back_ends(agent, acw, _event)

    def back(self, index, _event):
        """An agent away in the start state is back (on duty if its schedule says so)."""
        self.shift_events -= 1
        self.rejoin(index)

    def caller_at_start(self, draws, i):
        """Process: waiting caller i of the start state (the core's ``_caller_at_start``): offered in
        the clock time's interval, answered at once or queued with its patience left, then as any
        caller (retrials included)."""
        m, env, tally = self.model, self.env, self.tally
        now, k = env.now, int(draws.waiting_type[i])
        arrival, priority = float(draws.waiting_arrival[i]), int(draws.waiting_priority[i])
        who = Caller(self.n_callers, k, arrival, tally.interval_of(now), now >= m.warmup,
                     int(draws.waiting_channel[i]), -1)
        who.priority, who.propensity = priority, float(draws.waiting_propensity[i])
        self.n_callers += 1
        tally.caller(who, "callers")
        self.calls_simulated += 1
        call = Call(who, arrival, k, arrival, tally.interval_of(now), now >= m.warmup,
                    float(draws.waiting_handle[i]), float(draws.waiting_acw[i]))
        call.consult, call.transfer_to = float(draws.waiting_consult[i]), int(draws.waiting_transfer[i])
        tally.count(call, "arrived")
        tally.count(call, "offered")
        self.lines_busy += 1
        if self.type_rules[k] and self.queued_ahead(k, priority, arrival):
            agent = None
        else:
            agent = self.take_idle_agent(k, arrival, self.type_waiting[k] + 1)
        if agent is None and self.waiting + self.timers + self.pending_other + self.scheduled >= m.max_pending:
            raise overflow_error(m, k, now, self.waiting, self.timers + self.pending_other, self.scheduled)
        retry_at = yield from self.served(call, agent, float(draws.waiting_patience[i]), arrival)
        yield from self.retrials(who, retry_at)

    def advance(self, until=math.inf, to_end=True):
        """Process events until the run's end, or (``to_end`` false) only those at times <= until.

        The end: past the horizon, a cut run stops (events at exactly the horizon still happen);
        a drained one goes on while calls are still to finish (schedule changes go on past the
        horizon too) and stops when only schedule changes are left, or past ``drain_end`` at the
        latest (what is in the center then counts as at the end, as in a cut run)."""
        m, env = self.model, self.env
        if not self.started:
            self.start()
        drain_end = m.drain_end
        while env.peek() < math.inf:
            if env.peek() > m.horizon and (not m.drain or env.peek() > drain_end
                                           or env.pending() == self.shift_events):
                break
            if not to_end and env.peek() > until:
                break
            env.step()

    def run_until(self, t):
        """Process the events at times <= t, then return with the run paused (twin of the core's
        ``Simulation.run_until``): ``tally`` holds the cumulative counts so far."""
        self.advance(t, to_end=False)

    def leave(self, index):
        """Agent ``index`` leaves the center now, never to come back: an idle agent at once, a
        busy one when its call ends; off duty at every later schedule change (twin of the core's
        ``Simulation.leave``)."""
        if not 0 <= index < len(self.agents):
            raise IndexError(f"no agent {index}")
        agent = self.agents[index]
        if agent.gone:
            return
        agent.gone = True
        if agent.off:
            return
        agent.on = False
        if not agent.busy:  # idle
            self.idle.remove(agent)
            self.go_off(agent)

    def set_ability(self, index, factor_row=None, acw=None, conversion=None):
        """Change agent ``index``'s abilities now (twin of the core's ``Simulation.set_ability``)."""
        if not 0 <= index < len(self.agents):
            raise IndexError(f"no agent {index}")
        if (factor_row is not None or acw is not None) and not self.per_agent:
            raise ValueError("the model has no per-agent handle-time factors (populations or a roster)")
        if conversion is not None and self.funnel is None:
            raise ValueError("the model has no funnel: there is no conversion ability to set")
        if factor_row is not None:
            row = np.asarray(factor_row, dtype=np.float64)
            if row.shape != (len(self.factor[index]),):
                raise ValueError(f"factor_row: expected {len(self.factor[index])} factors, found shape {row.shape}")
            self.factor[index] = row.tolist()
        if acw is not None:
            self.acw_factor[index] = float(acw)
        if conversion is not None:
            self.funnel.agent_conversion[index] = float(conversion)

    def rejoin(self, index):
        """Agent ``index``, gone, joins again now (twin of the core's ``Simulation.rejoin``)."""
        if not 0 <= index < len(self.agents):
            raise IndexError(f"no agent {index}")
        agent = self.agents[index]
        if not agent.gone:
            return
        if not agent.off:
            raise ValueError(f"agent {index} has left but is still on a call: it cannot rejoin yet")
        agent.gone = False
        agent.on = agent.table < 0 or self.table_on[agent.table]
        if not agent.on:
            return
        if not self.shifted[agent.index]:  # always on duty: its staffed time counted to the horizon
            now, m = self.env.now, self.model
            self.tally.clock(agent.group, now, m.horizon, 1.0, "staffed")
            lo = max(now, m.warmup)
            if m.horizon > lo:
                self.tally.agent_totals[agent.index, AGENT["staffed"]] += m.horizon - lo
        agent.off = False
        agent.on_since = self.env.now
        self.next_work(agent)

    def run(self) -> RawStats:
        """Simulate to the end (from where ``run_until`` left the run) and close."""
        m = self.model
        self.advance()
        # Not env.now: it has run on through the patience timers of callers
        # answered long before, which are not events of the center.
        end_time = self.last_event if m.drain else m.horizon
        self.close()
        t = self.tally
        return RawStats(
            **folded(vars(t), t.boundary),
            group_totals=t.group_totals, interval_groups=t.interval_groups,
            calls_simulated=self.calls_simulated, end_time=float(end_time),
            call_records=None if self.records is None else np.array(self.records, dtype=CALL_RECORD_DTYPE),
            node_totals=t.node_totals, callers=t.callers,
            airing_calls=t.airing_calls,
            agent_totals=t.agent_totals, agent_types=t.agent_types,
            **(self.funnel.stats() if self.funnel is not None else {}),
        )

    def close(self):
        """Cut at the horizon: count callers still waiting or in a menu; close busy time of agents on a call."""
        for queue in self.queues:
            for call in queue:
                self.tally.count(call, "waiting_at_end")
                self.tally.caller(call.who, "in_system_at_end")
                self.record(call.who, call.ring, "waiting_at_end", self.model.horizon - call.arrival, call=call)
        for who, (e, ring) in self.in_ivr.items():
            self.tally.entry(e, self.tally.interval_of(ring), ring >= self.model.warmup, "in_ivr_at_end")
            self.tally.caller(who, "in_system_at_end")
            self.record(who, ring, "in_ivr_at_end", 0.0)
        oldest_first = [heapq.heappop(items)[2] for items in self.cb_items for _ in range(len(items))]
        for item in oldest_first + list(self.cb_later):
            self.tally.count(item, "callbacks_pending_at_end")
            self.tally.caller(item.who, "callback_pending")
            self.record(item.who, item.ring, "callback_pending", self.model.horizon - item.request, call=item)
        for agent in self.agents:
            if agent.index in self.transferring:  # talking, to be transferred: not served yet
                self.tally.caller(self.transferring[agent.index], "in_system_at_end")
            if agent.busy:
                self.tally.clock(agent.group, agent.busy_since, self.model.horizon, 1.0, "busy")
                self.tally.agent_clock(agent.index, "busy", agent.busy_since, self.model.horizon)
            if self.shifted[agent.index] and not agent.off:
                self.tally.clock(agent.group, agent.on_since, self.model.horizon, 1.0, "staffed")
                self.tally.agent_clock(agent.index, "staffed", agent.on_since, self.model.horizon)

    # ---- processes ----------------------------------------------------------------

    def phone_rings(self, k):
        """Process: the first attempts of source k (a call type or an entry), until the horizon."""
        if self.model.replay_count[k] > 0:
            yield from self.replay_rings(k)
            return
        rng, horizon = self.rng["arrival"][k], self.model.horizon
        start, count, slot, repeat = self.profiles[k]
        t = next_arrival(rng, self.rates, start, count, slot, repeat, horizon, self.start_time)
        while t < horizon:
            yield self.env.at(t, ARRIVAL)
            # The caller's process starts at once, before any other event at this instant.
            self.env.process(self.caller(k))
            t = next_arrival(rng, self.rates, start, count, slot, repeat, horizon, t)

    def replay_rings(self, k):
        """Process: the recorded calls of replay source k, call j after call j - 1 (calls recorded
        at one instant each ring), until the horizon; no random number drawn."""
        m = self.model
        times, start, count = self.replay_times, int(m.replay_start[k]), int(m.replay_count[k])
        period, j = float(m.replay_period[k]), 0
        t = replay_arrival(times, start, count, period, j, 0.0)
        while t < m.horizon:
            yield self.env.at(t, ARRIVAL)
            self.env.process(self.caller(k))
            j += 1
            t = replay_arrival(times, start, count, period, j, t)

    def air(self, i, _event):
        """Airing i: N ~ Poisson(amount x calls per unit) calls, each at the airing's time plus
        a response delay, rung if before the horizon; all drawn from the channel's stream.

        The order-statistics construction of the airing's Poisson process of intensity
        amount x r x f(t - s) (see ``scenario.schema``)."""
        m = self.model
        c = int(m.airing_channel[i])
        rng, s = self.ad_rng[c], float(m.airing_time[i])
        delay, shape, scale = float(m.channel_delay[c]), float(m.channel_shape[c]), float(m.channel_scale[c])
        n = int(rng.poisson(float(m.airing_mean[i])))
        for _ in range(n):
            t = s + ad_delay(rng, delay, shape, scale)
            if t < m.horizon and t >= self.start_time:  # the limit counts the calls scheduled
                pending = self.waiting + self.timers + self.pending_other + self.scheduled
                if pending + 1 > m.max_pending:
                    raise airing_overflow_error(m, i, s, n, pending)
                self.scheduled += 1
                self.env.at(t, AD_ARRIVAL).callbacks.append(partial(self.ad_rings, c, i))

    def ad_rings(self, c, i, _event):
        """An ad call of channel c (airing i) rings: a first attempt at the channel's call type or entry."""
        self.scheduled -= 1
        self.env.process(self.caller(int(self.model.channel_source[c]), c, i))

    def caller(self, k, channel=-1, airing=-1):
        """Process: one caller of source k, attempt after attempt, until the last one ends."""
        now = self.env.now
        who = Caller(self.n_callers, k, now, self.tally.interval_of(now), now >= self.model.warmup, channel, airing)
        if self.funnel is not None:
            who.propensity = self.propensity_rng[k].random()
        self.n_callers += 1
        self.tally.caller(who, "callers")
        retry_at = yield from self.attempt(who)
        yield from self.retrials(who, retry_at)

    def retrials(self, who, retry_at):
        """The rest of a caller's process after an attempt: it tries again at ``retry_at`` (None:
        that attempt was its last), attempt after attempt, then departs."""
        while retry_at is not None:
            self.pending_other += 1
            yield self.env.at(retry_at, RETRY)
            self.pending_other -= 1
            who.attempt += 1
            who.priority = 0
            retry_at = yield from self.attempt(who)
        self.last_event = self.env.now

    def attempt(self, who):
        """One attempt: through the lines (and the menu of an entry) to a queue. Returns the
        time of the caller's next attempt, or None when it is done."""
        m, env = self.model, self.env
        self.calls_simulated += 1
        # a ring is an event of the center, which the core's end_time counts, even that of a caller
        # still waiting when a drained run stops (only schedule changes left); so are a menu's steps
        # and the end of a talk that transfers the caller
        self.last_event = env.now
        if who.source < m.n_types:
            return (yield from self.reach_type(who, who.source, env.now, has_line=False))
        e, ring = who.source - m.n_types, env.now
        interval, counted = self.tally.interval_of(ring), ring >= m.warmup
        self.tally.entry(e, interval, counted, "arrived")
        if who.attempt > 1:
            self.tally.entry(e, interval, counted, "retrials")
        if m.lines >= 0 and self.lines_busy >= m.lines:
            self.tally.entry(e, interval, counted, "blocked")
            self.record(who, ring, "blocked", 0.0)
            return self.lost(who, "blocked")
        if self.closed_now():
            self.tally.entry(e, interval, counted, "closed")
            return (yield from self.closed(who, ring))
        if self.waiting + self.timers + self.pending_other + self.scheduled >= m.max_pending:
            raise overflow_error(m, who.source, ring, self.waiting, self.timers + self.pending_other, self.scheduled)
        self.lines_busy += 1
        return (yield from self.menu(who, e, ring, interval, counted))

    def menu(self, who, e, ring, interval, counted):
        """Walk entry e's IVR menu: node after node until a queue or an exit."""
        m, env, tally = self.model, self.env, self.tally
        tree = int(m.entry_tree[e])
        rng = self.rng["ivr" if who.attempt == 1 else "ivr_retrial"][tree]  # a retrial's walk: its own stream
        deadline = ring + self.draw(m.tree_patience_dist[tree], rng)
        j = int(m.tree_start[tree])
        self.in_ivr[who] = (e, ring)
        self.pending_other += 1
        while True:
            tally.node(j, counted, "entered")
            end = env.now + self.draw(m.node_dist[j], rng)
            # a node that ends as patience runs out is completed (the menu before the hang-up)
            yield env.at(deadline if deadline < end else end, IVR_STEP)
            self.last_event = env.now  # an event of the center (as attempt's ring)
            if env.now < end:
                del self.in_ivr[who]
                self.pending_other -= 1
                tally.node(j, counted, "hung_up")
                tally.entry(e, interval, counted, "ivr_hung_up")
                tally.entry(e, interval, counted, "ivr_seconds", env.now - ring)
                self.lines_busy -= 1
                self.record(who, ring, "ivr_hung_up", 0.0)
                tally.caller(who, "ivr_hung_up")
                return None
            u = rng.random()
            b = int(m.node_branch_start[j])
            while u >= m.branch_cum[b]:
                b += 1
            kind, target = BRANCH[int(m.branch_kind[b])], int(m.branch_target[b])
            if kind == "node":
                tally.node(j, counted, "to_node")
                j = target
                continue
            del self.in_ivr[who]
            self.pending_other -= 1
            tally.entry(e, interval, counted, "ivr_seconds", env.now - ring)
            if kind == "queue":
                tally.node(j, counted, "to_queue")
                tally.entry(e, interval, counted, "routed")
                who.priority = int(m.branch_priority[b])
                return (yield from self.reach_type(who, target, ring, has_line=True))
            tally.node(j, counted, kind)
            tally.entry(e, interval, counted, kind)
            self.lines_busy -= 1
            self.record(who, ring, kind, 0.0)
            if kind == "voicemail" and m.voicemail_type >= 0:
                self.voicemail(who, ring)
            else:
                tally.caller(who, kind)
            return None

    def reach_type(self, who, k, ring, has_line, forwarded=False, transferred=False):
        """The attempt reaches call type k's queue (straight from its ring, or routed by a menu or
        forwarded while closed, holding a line): blocked, closed, lost, a callback request, or
        answered at once or after queueing. Returns the time of the caller's next attempt, or None."""
        m, env, tally = self.model, self.env, self.tally
        # Every call draws all its durations when it reaches its call type, even if blocked:
        # with common random numbers, the i-th first attempt at a type has the same needs whatever
        # happens to the others; a retrial or a transfer leg (which one policy makes and another
        # not) draws from the type's leg stream.
        now = env.now
        leg = who.attempt > 1 or transferred
        handle = self.draw_duration("handle", k, now, leg)
        patience = self.draw_duration("patience", k, now, leg)
        acw = self.draw_duration("after_call_work", k, now, leg)
        call = Call(who, ring, k, now, tally.interval_of(now), now >= m.warmup, handle, acw)
        if self.talk_extra[k]:  # its consult and transfer, if answered (a type without either draws none)
            self.talk_draws(call, self.rng["leg_transfer"][k] if leg else self.transfer_rng[k])
        tally.count(call, "arrived")
        if forwarded:
            tally.count(call, "forwarded")
        elif transferred:
            tally.count(call, "transferred_in")
        elif has_line:
            tally.count(call, "routed")
        elif who.attempt > 1:
            tally.count(call, "retrials")
        if not has_line and m.lines >= 0 and self.lines_busy >= m.lines:
            tally.count(call, "blocked")
            self.record(who, ring, "blocked", 0.0, call=call)
            return self.lost(who, "blocked")
        if not has_line and self.closed_now():
            tally.count(call, "closed")
            return (yield from self.closed(who, ring))
        if self.type_rules[k] and self.queued_ahead(k, who.priority, now):
            agent = None  # callers ahead: a group this call makes eligible takes the head (dispatch)
        else:
            agent = self.take_idle_agent(k, now, self.type_waiting[k] + 1)
        if agent is None:
            if patience <= 0.0:  # never waits (Erlang B): lost, no queue
                tally.count(call, "offered")
                if has_line:
                    self.lines_busy -= 1
                self.record_abandon(call, 0.0)
                return self.lost(who, "abandoned")
            if self.queue_full(k):
                tally.count(call, "blocked")
                tally.count(call, "queue_full")
                self.record(who, ring, "queue_full", 0.0, call=call)
                message = float(m.full_message[k])
                if message < 0.0:
                    if has_line:
                        self.lines_busy -= 1
                    return self.lost(who, "blocked")
                if not has_line:
                    self.lines_busy += 1
                env.at(now + message, LINE_FREE).callbacks.append(self.free_line)
                return self.lost(who, "blocked", now + message)
            if self.waiting + self.timers + self.pending_other + self.scheduled >= m.max_pending:
                raise overflow_error(m, k, now, self.waiting, self.timers + self.pending_other, self.scheduled)
            predicted = float(self.type_waiting[k] + 1) * float(m.wait_unit[k])
            if self.accepts_callback(call, predicted):
                if has_line:
                    self.lines_busy -= 1
                self.record(who, ring, "callback_requested", 0.0, call=call)
                self.request_callback(CallbackItem(who, ring, k, now, call.interval, call.counted, handle, acw))
                return None
            patience = self.announced(k, predicted, patience)
        tally.count(call, "offered")
        if not has_line:
            self.lines_busy += 1  # a line is held while waiting and talking
        return (yield from self.served(call, agent, patience, ring))

    def served(self, call, agent, patience, ring):
        """An offered call holding a line: answered by ``agent`` now, or queued until answered or its
        patience runs out; then its talk. Returns as ``reach_type``."""
        env, who = self.env, call.who
        if agent is not None:
            self.answer(agent, call)
        elif not (yield from self.wait(call, patience)):
            return self.lost(who, "abandoned")
        yield call.talk_end
        if call.transfer_to >= 0:
            return (yield from self.transfer(call, ring))
        self.lines_busy -= 1
        if call.acw > 0.0:
            yield env.at(env.now + call.acw, ACW_END)
        self.agent_free(call.agent)
        return None

    def transfer(self, call, ring):
        """The talk ends with a transfer: the agent goes on to its after-call work (or its next work),
        then the caller, keeping its line, reaches the new call type. Returns as ``reach_type``."""
        agent = call.agent
        self.last_event = self.env.now  # the talk's end, an event of the center (as attempt's ring)
        del self.transferring[agent.index]
        if call.acw > 0.0:
            self.env.at(self.env.now + call.acw, ACW_END).callbacks.append(partial(self.call_back_done, agent))
        else:
            self.agent_free(agent)
        return (yield from self.reach_type(call.who, call.transfer_to, ring, has_line=True, transferred=True))

    def talk_draws(self, call, rng):
        """What ``call``'s talk holds if it is answered, drawn from ``rng`` (its type's transfer
        stream, or for a retrial or a transfer leg its leg_transfer stream) as it reaches its type, so that the
        i-th caller's are the same whichever callers a policy answers (common random numbers):
        its consult (one uniform against the consult probability, then its duration; -1 for
        none) and where its talk end transfers it (one uniform against the cumulative
        probabilities; -1 for nowhere)."""
        k = call.call_type
        if self.consult_p[k] > 0.0 and rng.random() < self.consult_p[k]:
            call.consult = self.draw(self.consult_dist[k], rng)
        if self.transfers[k]:
            u = rng.random()
            for cum, to in self.transfers[k]:
                if u < cum:
                    call.transfer_to = to
                    break

    # ---- opening hours, callbacks and announcements ----------------------------------------

    def closed_now(self):
        """Whether the center is closed now (never without hours)."""
        return self.week is not None and not is_open(*self.week, self.env.now)

    def closed(self, who, ring):
        """The attempt rang while closed (a free line found): the closed action. Returns the time
        of the caller's next attempt, or None."""
        m, env = self.model, self.env
        action = CLOSED[m.closed_action]
        self.lines_busy += 1  # the message, the recording or the forwarded call holds a line
        if action == "forward":
            return (yield from self.reach_type(who, m.closed_forward, ring, has_line=True, forwarded=True))
        self.record(who, ring, "closed" if action == "message" else "voicemail", 0.0)
        env.at(env.now + m.closed_seconds, LINE_FREE).callbacks.append(self.free_line)
        if action == "message":
            self.tally.caller(who, "closed")
        else:
            self.voicemail(who, ring)
        return None

    def voicemail(self, who, ring):
        """A voicemail: a callback item of the voicemail call type, with durations drawn now from
        its streams, available at once if open, else at the next opening."""
        m, now, k = self.model, self.env.now, self.model.voicemail_type
        leg = who.attempt > 1  # a retrial's voicemail: the leg stream (as reach_type)
        handle = self.draw_duration("handle", k, now, leg)
        self.draw_duration("patience", k, now, leg)  # drawn as for any call reaching the type (CRN)
        acw = self.draw_duration("after_call_work", k, now, leg)
        item = CallbackItem(who, ring, k, now, self.tally.interval_of(now), now >= m.warmup, handle, acw)
        self.tally.count(item, "voicemails")
        self.request_callback(item, None if not self.closed_now() else next_open(*self.week, now))

    def accepts_callback(self, call, predicted):
        """Virtual hold: offered when the predicted wait exceeds offer_after; one uniform of the
        call type's callback stream decides acceptance."""
        m, k = self.model, call.call_type
        if not predicted > float(m.cb_offer_after[k]):
            return False
        self.tally.count(call, "callbacks_offered")
        if self.cb_rng[k].random() < float(m.cb_accept[k]):
            self.tally.count(call, "callbacks_accepted")
            return True
        return False

    def announced(self, k, predicted, patience):
        """A caller about to wait hears the predicted wait: its patience, scaled."""
        m = self.model
        if not m.ann_on[k]:
            return patience
        return patience * float(m.ann_long[k] if predicted > float(m.ann_threshold[k]) else m.ann_short[k])

    def request_callback(self, item, available_at=None):
        """A new callback item: available now (``available_at`` None) or at an event then."""
        self.tally.count(item, "callbacks_requested")
        self.pending_other += 1
        if available_at is None:
            self.item_available(item)
        else:
            self.later(item, available_at)

    def later(self, item, t):
        self.cb_later[item] = None
        self.env.at(t, CB_READY).callbacks.append(partial(self.item_ready, item))

    def item_ready(self, item, _event):
        self.last_event = self.env.now
        del self.cb_later[item]
        self.item_available(item)

    def item_available(self, item):
        """An item goes at once to an idle agent able to take it, else to its type's heap
        (oldest request first; ties: first listed first)."""
        agent = self.take_idle_agent(item.call_type, item.request, 0, rules=False)
        if agent is None:
            heapq.heappush(self.cb_items[item.call_type], (item.request, self.cb_seq, item))
            self.cb_seq += 1
        else:
            self.call_back(agent, item)

    def call_back(self, agent, item):
        """``agent`` calls the customer back (no line: outbound trunks). One uniform of the
        type's callback stream decides whether the customer answers."""
        m, env, tally, k = self.model, self.env, self.tally, item.call_type
        now = env.now
        agent.busy, agent.busy_since = True, now
        item.tries += 1
        if self.cb_rng[k].random() < float(m.cb_answer[k]):
            talk = item.handle * self.talk_factor(agent, k)
            acw = item.acw * self.acw_factor[agent.index] if self.per_agent else item.acw
            tally.count(item, "callbacks_done")
            tally.count(item, "callback_delay", now - item.request)
            tally.caller(item.who, "callback_done")
            self.record(item.who, item.ring, "callback_done", now - item.request, talk, acw, agent, item)
            self.pending_other -= 1
            env.at(now + talk, TALK_END).callbacks.append(partial(self.call_back_ends, agent, acw))
            return
        ring = float(m.cb_ring[k])
        env.at(now + ring, TALK_END).callbacks.append(partial(self.call_back_ends, agent, 0.0))
        if item.tries < int(m.cb_max_attempts[k]):
            self.later(item, now + ring + float(m.cb_retry_delay[k]))
            return
        tally.count(item, "callbacks_failed")
        tally.caller(item.who, "callback_failed")
        self.record(item.who, item.ring, "callback_failed", now - item.request, call=item)
        self.pending_other -= 1

    def call_back_ends(self, agent, acw, _event):
        """The callback's talk (or unanswered ring) ends: after-call work, then the agent is free."""
        env = self.env
        self.last_event = env.now
        if acw > 0.0:
            env.at(env.now + acw, ACW_END).callbacks.append(partial(self.call_back_done, agent))
        else:
            self.agent_free(agent)

    def call_back_done(self, agent, _event):
        self.last_event = self.env.now
        self.agent_free(agent)

    def oldest_items(self, group):
        """(oldest overdue item, oldest item) among the types ``group`` serves (tie: lower type)."""
        now, target = self.env.now, self.model.cb_target
        heads = [self.cb_items[k][0][2] for k in self.types_served[group] if self.cb_items[k]]
        overdue = [i for i in heads if now - i.request >= float(target[i.call_type])]
        key = lambda i: (i.request, i.call_type)  # noqa: E731
        return (min(overdue, key=key) if overdue else None), (min(heads, key=key) if heads else None)

    def queue_full(self, k):
        """Whether call type k's queue, or its pool, has no waiting place left."""
        m = self.model
        cap, pool = int(m.queue_capacity[k]), int(m.queue_pool[k])
        if cap >= 0 and self.type_waiting[k] >= cap:
            return True
        return pool >= 0 and self.pool_waiting[pool] >= int(m.pool_capacity[pool])

    def lost(self, who, cause, start=None):
        """The attempt ended without service (``cause`` "blocked" or "abandoned"): the time of
        the caller's next attempt if it tries again before the horizon, else None (its outcome
        counted). The delay runs from ``start`` (the end of a queue-full message), else now."""
        m, s = self.model, who.source
        p = float(m.retry_blocked[s] if cause == "blocked" else m.retry_abandoned[s])
        if who.attempt < int(m.max_attempts[s]) and p > 0.0:
            rng = self.rng["retrial"][s]
            if rng.random() < p:
                t = (self.env.now if start is None else start) + self.draw(m.retry_delay_dist[s], rng)
                if t < m.horizon:
                    if self.waiting + self.timers + self.pending_other + self.scheduled >= m.max_pending:
                        raise overflow_error(m, s, self.env.now, self.waiting, self.timers + self.pending_other, self.scheduled)
                    return t
                self.tally.caller(who, "retry_after_horizon")
                return None
        self.tally.caller(who, cause)
        return None

    def free_line(self, _event):
        self.lines_busy -= 1
        self.last_event = self.env.now

    def wait(self, call, patience):
        """Wait in the queue; True once answered, False after hanging up."""
        env = self.env
        queue = self.queue_of(call)
        queue.append(call)
        self.type_waiting[call.call_type] += 1
        self.waiting += 1
        pool = int(self.model.queue_pool[call.call_type])
        if pool >= 0:
            self.pool_waiting[pool] += 1
        call.answered = env.event()  # succeeded by the agent who takes the call
        timer = None
        if patience < math.inf:
            # An agent freed at the very instant patience ends has answered already:
            # the ABANDON rank comes after every other event then.
            timer = env.at(env.now + patience, ABANDON)
            self.timers += 1
            timer.callbacks.append(self.timer_ran_out)
        call.ov_step = 0
        self.first_delays(call)
        if self.type_rules[call.call_type]:
            self.dispatch(call.call_type)
        if timer is None:
            yield call.answered
            return True
        yield call.answered | timer
        if call.answered.triggered:
            return True
        call.ov_step = -1  # gone: a re-routing delay still scheduled is stale
        queue.remove(call)
        self.dequeued(call)
        self.lines_busy -= 1
        self.record_abandon(call, env.now - call.arrival)
        return False

    def dequeued(self, call):
        self.waiting -= 1
        self.type_waiting[call.call_type] -= 1
        pool = int(self.model.queue_pool[call.call_type])
        if pool >= 0:
            self.pool_waiting[pool] -= 1

    # ---- agents and routing -----------------------------------------------------------

    def answer(self, agent, call):
        """``agent`` takes ``call`` now: its statistics are recorded at once; talk starts."""
        now, tally = self.env.now, self.tally
        wait = now - call.arrival
        talk = call.handle * self.talk_factor(agent, call.call_type)
        if call.consult >= 0.0:
            talk += call.consult
            tally.count(call, "consults")
        if self.funnel is not None and self.funnel.sells[call.call_type]:
            talk = talk * self.sell(agent, call, wait)
        if self.per_agent:
            call.acw = call.acw * self.acw_factor[agent.index]
        acw = call.acw
        agent.busy, agent.busy_since = True, now
        agent.handled += 1
        tally.count(call, "answered")
        if self.backup is not None and self.backup[call.call_type][agent.group]:
            tally.count(call, "overflowed")
        tally.count(call, "wait_answered", wait)
        if wait <= self.sl_threshold[call.call_type]:
            tally.count(call, "answered_in_sl")
        tally.answered_within(call, wait)
        tally.count(call, "talk", talk)
        tally.count(call, "handle", talk + acw)
        if call.counted:
            tally.group_answered(agent.group, talk, talk + acw)
            tally.answered_by(agent.index, call.call_type, talk, acw)
        if call.transfer_to < 0:  # served: its time in the center ends with this talk
            tally.caller(call.who, "served")
            tally.caller_add(call.who, "time_in_center", now + talk - call.ring)
        else:  # served at its last leg
            tally.count(call, "transferred_out")
            if call.counted:
                tally.agent_totals[agent.index, AGENT["transfers"]] += 1.0
            self.transferring[agent.index] = call.who
        call.agent = agent
        self.record(call.who, call.ring, "answered", wait, talk, acw, agent, call)
        call.talk_end = self.env.at(now + talk, TALK_END)

    def sell(self, agent, call, wait):
        """The funnel at an answer of a type that sells: counts the order, if any; the talk factor."""
        k = call.call_type
        value, factor = self.funnel.sell(self.order_rng[k], call.who, k, agent.index, wait, self.env.now,
                                         call.counted)
        if value is not None:
            self.tally.count(call, "orders")
            self.tally.count(call, "order_value", value)
        return factor

    def agent_free(self, agent):
        """The agent has finished its call (talk and after-call work): its next work."""
        self.tally.clock(agent.group, agent.busy_since, self.env.now, 1.0, "busy")
        self.tally.agent_clock(agent.index, "busy", agent.busy_since, self.env.now)
        agent.busy = False
        self.next_work(agent)

    def next_work(self, agent):
        """A free agent (its call done, or just on duty): off duty if its schedule says so (a
        logout or break that came during the call), else an overdue callback item, else the
        longest-waiting caller, else the oldest item, else idle."""
        now = self.env.now
        if not agent.on:
            self.go_off(agent)
            return
        overdue, oldest = self.oldest_items(agent.group)
        call = None if overdue is not None else self.select_call(agent)
        if call is None:
            item = overdue or oldest
            if item is not None:
                heapq.heappop(self.cb_items[item.call_type])  # the head of its heap
                self.call_back(agent, item)
                return
            agent.idle_since = now
            self.idle.add(agent)
            return
        self.answer_waiting(agent, call)

    def talk_factor(self, agent, k):
        """The handle-time factor of ``agent`` for a call of type k."""
        return self.factor[agent.index][k] if self.per_agent else self.proficiency[agent.group]

    def answer_waiting(self, agent, call):
        """``agent`` takes the waiting ``call`` off its queue."""
        queue = self.queue_of(call)
        if queue[0] is call:
            queue.popleft()
        else:
            queue.remove(call)
        self.dequeued(call)
        self.answer(agent, call)
        call.answered.succeed()

    def schedule_change(self, table, t):
        """Schedule table ``table``'s next change, at t (past the horizon too: see ``run``)."""
        self.shift_events += 1
        self.env.at(t, SHIFT).callbacks.append(partial(self.on_shift, table))

    def on_shift(self, table, _event):
        """A table's schedule changes, for each of its agents in index order. Off: an idle agent
        logs out (or starts its break) now, a busy one when its call ends. On: an agent off duty
        logs in (or is back from its break) and takes its next work at once; a busy one just goes on."""
        self.shift_events -= 1
        on = self.table_on[table] = not self.table_on[table]
        self.schedule_change(table, self.tables[table][0].change(on))
        for agent in self.table_agents[table]:
            if agent.gone:
                continue  # it has left the center
            agent.on = on
            if not on:
                if not agent.busy and not agent.off:  # idle
                    self.idle.remove(agent)
                    self.go_off(agent)
            elif agent.off:
                agent.off = False
                agent.on_since = self.env.now
                self.next_work(agent)

    def go_off(self, agent):
        """The agent logs out or starts a break: its staffed time since it came on duty is counted."""
        agent.off = True
        if not self.shifted[agent.index]:  # it leaves (gone): its staffed time was counted to the horizon
            now, m = self.env.now, self.model
            self.tally.clock(agent.group, now, m.horizon, -1.0, "staffed")
            lo = max(now, m.warmup)
            if m.horizon > lo:
                self.tally.agent_totals[agent.index, AGENT["staffed"]] -= m.horizon - lo
            return
        self.tally.clock(agent.group, agent.on_since, self.env.now, 1.0, "staffed")
        self.tally.agent_clock(agent.index, "staffed", agent.on_since, self.env.now)

    def take_idle_agent(self, k, arrival, waiting, rules=True):
        """An idle agent for a call of type k that arrived at ``arrival`` (taken off the idle
        structures), or None: among the groups serving k that the rules of (k, group) allow (with
        ``waiting`` callers of k counting the call; ``rules`` False: every serving group), the one
        the agent-selection policy picks (see ``_core.Simulation._take_idle_agent``)."""
        m, now, idle = self.model, self.env.now, self.idle
        if self.router is not None and rules:
            return self.router_arrival(k)
        groups = []
        for g, rule in zip(self.groups_serving[k], self.type_rules_of[k]):
            if idle.count(g) and (not rules or allows(*rule, now, arrival, waiting, self.wait_unit[k], idle.count(g))):
                groups.append(g)
        if not groups:
            return None
        policy = int(m.agent_selection)
        if policy == AGENT_SELECTION["random"]:
            total = sum(idle.count(g) for g in groups)
            r = int(self.routing_rng.random() * total) if total > 1 else 0
            for g in groups:
                if r < idle.count(g):
                    agent = idle.groups[g][r]
                    break
                r -= idle.count(g)
        elif policy == AGENT_SELECTION["ordered_groups"]:
            agent = idle.top(groups[0], k)
        else:
            agent = min((idle.top(g, k) for g in groups), key=lambda a: (idle.key(a, k), a.idle_since, a.index))
        idle.remove(agent)
        return agent

    def queue_of(self, call):
        """The FIFO of a call's type and priority level."""
        return self.queues[call.call_type * self.levels + call.who.priority]

    def queued_ahead(self, k, level, arrival):
        """Whether callers of type k wait ahead of one arriving at ``arrival`` on ``level``: on that
        level or higher; with head starts, one whose arrival - head start is earlier, or equal on a
        level as high (see ``_core.Simulation._queued_ahead``)."""
        if self.level_start is None:
            return any(self.queues[k * self.levels + lv] for lv in range(level, self.levels))
        start, key = self.level_start, arrival - self.level_start[level]
        return any((q[0].arrival - start[lv] < key or (q[0].arrival - start[lv] == key and lv >= level))
                   for lv in range(self.levels) for q in [self.queues[k * self.levels + lv]] if q)

    def started_head(self, k, after):
        """With head starts: among the heads of type k's levels that have waited ``after`` seconds,
        the one with the smallest arrival - its level's head start (tie: the higher level), or None."""
        now, heads = self.env.now, []
        for level in reversed(range(self.levels)):
            queue = self.queues[k * self.levels + level]
            if queue and not now < queue[0].arrival + after:
                heads.append((queue[0].arrival - self.level_start[level], -level, queue[0]))
        return min(heads, key=lambda h: h[:2])[2] if heads else None

    def select_call(self, agent):
        """The caller a freed ``agent`` takes next, or None (see ``_core.Simulation._select_call``):
        per queue its group serves that the rules allow, the head of the highest level that may be
        taken; among those the highest level, then the queue-selection policy."""
        now, g = self.env.now, agent.group
        if self.router is not None:
            return self.router_free(agent)
        heads = []  # (level, position in serves order, head, its arrival for the policy) per queue that may be taken
        for position, (k, rule) in enumerate(zip(self.types_served[g], self.group_rules_of[g])):
            after, ewt_over, queue_over, min_idle = rule
            waiting = self.type_waiting[k]
            if waiting == 0 or (queue_over >= 0 and waiting <= queue_over) or self.idle.count(g) + 1 <= min_idle:
                continue
            over = float(waiting) * self.wait_unit[k] > ewt_over
            if self.level_start is not None:  # head starts: levels do not go first
                head = self.started_head(k, -math.inf if over else after)
                if head is not None:
                    heads.append((0, position, head, head.arrival - self.level_start[head.who.priority]))
                continue
            for level in reversed(range(self.levels)):
                queue = self.queues[k * self.levels + level]
                if queue and (over or now >= queue[0].arrival + after):
                    heads.append((level, position, queue[0], queue[0].arrival))
                    break
        if not heads:
            return None
        policy = int(self.model.queue_selection)
        priority = self.agent_priority[agent.index] if policy == QUEUE_SELECTION["skill_priority"] else None
        order = call_order(policy, priority, self.wait_weight, now)
        return min(heads, key=order)[2]

    # ---- a Python router (ccsim.router) ----------------------------------------------

    def router_arrival(self, k):
        """The router's agent for a caller of type k (taken off the idle list), or None."""
        if not any(self.idle.count(g) for g in self.groups_serving[k]):
            return None
        agent = self.router_agent(self.router.on_arrival(self.router_state, k), k)
        if agent is not None:
            self.idle.remove(agent)
        return agent

    def router_agent(self, answer, k):
        """``on_arrival``'s answer checked (see ``_core.Simulation._router_agent``)."""
        if answer is None:
            return None
        a = answer_number(answer)
        n = self.model.n_agents
        if a is None or not 0 <= a < n:
            raise bad_agent("on_arrival", answer, f"which is not an agent number (0 to {n - 1})")
        agent = self.agents[a]
        if agent.busy or agent.off or agent not in self.idle.groups[agent.group]:
            raise bad_agent("on_arrival", answer, "which is not idle")
        if not self.model.serves[agent.group, k]:
            raise bad_agent("on_arrival", answer, f"whose group does not serve call type {k}")
        return agent

    def router_free(self, agent):
        """The caller a freed agent takes by the router's choice of call type, or None."""
        if not any(self.type_waiting[k] for k in self.types_served[agent.group]):
            return None
        k = self.router_type(self.router.on_agent_free(self.router_state, agent.index), agent.group, "on_agent_free")
        return None if k is None else self.head(k)

    def router_type(self, answer, g, hook):
        """A hook's call type checked (see ``_core.Simulation._router_type``)."""
        if answer is None:
            return None
        k = answer_number(answer)
        n = self.model.n_types
        if k is None or not 0 <= k < n:
            raise bad_type(hook, answer, f"which is not a call type number (0 to {n - 1})")
        if not self.model.serves[g, k]:
            raise bad_type(hook, answer, f"which group {g} does not serve")
        if self.type_waiting[k] == 0:
            raise bad_type(hook, answer, "which has no caller waiting")
        return k

    def head(self, k):
        """The caller an agent takes from type k: the head of its highest non-empty level (with
        head starts: ``started_head``)."""
        if self.level_start is not None:
            return self.started_head(k, -math.inf)
        for level in reversed(range(self.levels)):
            queue = self.queues[k * self.levels + level]
            if queue:
                return queue[0]
        return None

    def router_timer(self, tag, _event):
        self.last_event = self.env.now
        state = self.router_state
        state.in_timer = True
        try:
            self.router.on_timer(state, tag)
        finally:
            state.in_timer = False

    def dispatch(self, k):
        """After a call of type k queued behind others: a group it made eligible takes the head of
        k's highest level it may take (see ``_core.Simulation._dispatch``); with head starts the
        level heads by arrival - head start (tie: the higher level)."""
        levels = reversed(range(self.levels))
        if self.level_start is not None:
            levels = sorted(levels, key=lambda lv: (self.queues[k * self.levels + lv][0].arrival - self.level_start[lv]
                                                    if self.queues[k * self.levels + lv] else 0.0, -lv))
        for level in levels:
            queue = self.queues[k * self.levels + level]
            if queue:
                agent = self.take_idle_agent(k, queue[0].arrival, self.type_waiting[k])
                if agent is not None:
                    self.answer_waiting(agent, queue[0])
                    return

    def next_delay(self, call):
        """Schedule the waiting call's next re-routing delay, if its type has one more."""
        delays = self.delays[call.call_type]
        if call.ov_step < len(delays):
            t = call.arrival + delays[call.ov_step]
            call.ov_step += 1
            self.env.at(t, OVERFLOW).callbacks.append(partial(self.overflow, call))

    def first_delays(self, call):
        """A call starting to wait: its next re-routing delay scheduled; a start state's caller
        (ccsim.state), waiting since before now, skips the delays already past and is checked once
        now (the core's ``_delays_at_start``; a call arriving now skips none)."""
        delays, now = self.delays[call.call_type], self.env.now
        passed = False
        while call.ov_step < len(delays) and call.arrival + delays[call.ov_step] < now:
            call.ov_step += 1
            passed = True
        if passed:
            self.env.at(now, OVERFLOW).callbacks.append(partial(self.overflow, call))
        else:
            self.next_delay(call)

    def overflow(self, call, _event):
        """A waiting call reached a re-routing delay: an idle agent of a group it may now go to
        takes it; else its next delay is scheduled."""
        if call.answered.triggered or call.ov_step < 0:
            return  # answered, or gone
        self.last_event = self.env.now
        k = call.call_type
        agent = self.take_idle_agent(k, call.arrival, self.type_waiting[k])
        if agent is None:
            self.next_delay(call)
        else:
            self.answer_waiting(agent, call)

    def new_day(self, _event):
        """Midnight: every agent's calls-today count starts again."""
        for agent in self.agents:
            agent.handled = 0
        if self.env.now + 86400.0 < self.model.horizon:
            self.env.at(self.env.now + 86400.0, DAY).callbacks.append(self.new_day)

    # ---- helpers ------------------------------------------------------------------------

    def timer_ran_out(self, _event):
        self.timers -= 1

    def draw(self, row, rng):
        """A draw of distribution ``row`` from ``rng``."""
        return draw(self.dists, int(row), self.empirical, rng)

    def draw_duration(self, source, k, now, leg=False):
        """A draw of call type k's ``source`` duration, in the period of the day ``now`` falls in,
        from its ``source`` stream, or its leg stream for a retrial or a transfer leg."""
        first, count = self.periods[source][k]
        row = period_row(self.period_start, self.period_dist, first, count, now)
        return draw(self.dists, row, self.empirical, self.rng["leg" if leg else source][k])

    def record_abandon(self, call, wait):
        self.tally.count(call, "abandoned")
        self.tally.count(call, "wait_abandoned", wait)
        if wait < self.model.short_abandon:
            self.tally.count(call, "abandoned_short")
        self.record(call.who, call.ring, "abandoned", wait, call=call)

    def record(self, who, ring, outcome, wait, talk=0.0, acw=0.0, agent=None, call=None):
        """One per-call record (only when asked for), in the core's layout."""
        if self.records is not None:
            self.records.append((who.id, ring, wait, talk, acw, -1 if call is None else call.call_type,
                                 OUTCOMES.index(outcome), -1 if agent is None else agent.index,
                                 -1 if agent is None else agent.group, who.source, who.attempt, who.channel,
                                 who.airing))


def _row(flat, start, i):
    """Row i of a CSR routing table, as a list."""
    return flat[start[i]:start[i + 1]].tolist()


class RouterState:
    """What a router's hooks read and do (``ccsim.router.RoutingState``; the core's twin is the
    ``Simulation`` itself)."""

    def __init__(self, center):
        self.center = center
        self.model = center.model
        self.in_timer = False

    @property
    def now(self):
        return self.center.env.now

    def _arg(self, value, what: str, method: str) -> int:
        """A number a router passed, checked as the core checks it (``ccsim.router.argument``)."""
        count = {"agent": self.model.n_agents, "group": self.model.n_groups, "call type": self.model.n_types}[what]
        return argument(value, count, what, method)

    def idle_agents(self, group):
        return [a.index for a in self.center.idle.groups[self._arg(group, "group", "idle_agents")]]

    def waiting(self, call_type):
        return self.center.type_waiting[self._arg(call_type, "call type", "waiting")]

    def oldest_arrival(self, call_type):
        head = self.center.head(self._arg(call_type, "call type", "oldest_arrival"))
        return None if head is None else head.arrival

    def groups_serving(self, call_type):
        return list(self.center.groups_serving[self._arg(call_type, "call type", "groups_serving")])

    def types_served(self, group):
        return list(self.center.types_served[self._arg(group, "group", "types_served")])

    def group_of(self, agent):
        return self.center.agents[self._arg(agent, "agent", "group_of")].group

    def idle_since(self, agent):
        return self.center.agents[self._arg(agent, "agent", "idle_since")].idle_since

    def calls_answered(self, agent):
        return self.center.agents[self._arg(agent, "agent", "calls_answered")].handled

    def handle_factor(self, agent, call_type):
        agent, call_type = self._arg(agent, "agent", "handle_factor"), self._arg(call_type, "call type", "handle_factor")
        return self.center.talk_factor(self.center.agents[agent], call_type)

    def set_timer(self, time, tag):
        center = self.center
        time = timer_time(time, center.env.now)
        center.env.at(time, ROUTER_TIMER).callbacks.append(partial(center.router_timer, timer_tag(tag)))

    def assign(self, agent, call_type):
        center = self.center
        if not self.in_timer:
            raise RouterError("center.assign may only be called from on_timer")
        a, k = self._arg(agent, "agent", "assign"), self._arg(call_type, "call type", "assign")
        if center.agents[a] not in center.idle.groups[center.agents[a].group]:
            raise bad_agent("assign", agent, "which is not idle")
        a = center.agents[a]
        center.router_type(k, a.group, "assign")
        center.idle.remove(a)
        center.answer_waiting(a, center.head(k))


def run(model: CompiledModel, seed, call_records: bool = False, router=None) -> RawStats:
    """Simulate one replication of ``model`` with the streams derived from ``seed`` (routing
    callers by ``router``, a ``ccsim.router.Router``, if given)."""
    return ContactCenter(model, seed, call_records, router).run()
