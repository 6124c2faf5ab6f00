"""The SimPy reference engine: the executable statement of the semantics.

One SimPy process per call type rings the phone, and one process per caller
lives the call: line, queue, talk, after-call work. A media airing is an event
at its time that schedules its calls (``air``); each rings as an organic call of
its channel's call type would. Agents are plain state that
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
from ..compile import ENGINE_SOURCES, CompiledModel, ad_stream, bit_generators
from ..results import (CALL_FIELDS, CALL_RECORD_DTYPE, CHANNEL_FIELDS, GROUP_FIELDS, INTERVAL_GROUP_FIELDS, OUTCOMES,
                       RawStats)
from .arrivals import ad_delay, next_arrival
from .sampling import draw, period_row

# Ties at equal times, lower rank first: agents freed (talk end, then end of
# after-call work) before arrivals (organic, then ad calls), before abandonments,
# so a caller whose patience ends as an agent frees up is served; airings last
# (an airing only schedules calls, from its channel's own stream). Equal ranks: first scheduled,
# first done. The ranks sit above SimPy's own priorities (0 urgent, 1 normal),
# which it gives to what one event sets off at the same instant (a process
# starting, an event succeeding, a process resuming): everything an event
# causes is done before the next event of the center starts, as in the
# core's loop of one handler per event.
TALK_END, ACW_END, ARRIVAL, AD_ARRIVAL, ABANDON, AIRING = 2, 3, 4, 5, 6, 7

CALL = {name: i for i, name in enumerate(CALL_FIELDS)}
GROUP = {name: i for i, name in enumerate(GROUP_FIELDS)}
INTERVAL_GROUP = {name: i for i, name in enumerate(INTERVAL_GROUP_FIELDS)}
CHANNEL = {name: i for i, name in enumerate(CHANNEL_FIELDS)}


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


class Agent:
    """One agent: which group, and since when idle or busy."""

    __slots__ = ("index", "group", "idle_since", "busy_since", "busy")

    def __init__(self, index, group):
        self.index = index
        self.group = group
        self.idle_since = 0.0  # all agents start idle at time 0
        self.busy_since = 0.0  # start of the current call (talk, then after-call work)
        self.busy = False


class Call:
    """One caller, with the durations drawn when it rang."""

    __slots__ = ("id", "call_type", "channel", "airing", "arrival", "interval", "counted", "handle", "acw",
                 "answered", "agent", "talk_end")

    def __init__(self, id, call_type, channel, airing, arrival, interval, counted, handle, acw):
        self.id = id  # arrival number within the run
        self.call_type = call_type
        self.channel = channel  # media channel of an ad call, -1 for an organic one
        self.airing = airing  # its airing, -1 for an organic call
        self.arrival = arrival
        self.interval = interval  # statistics go to the interval of the arrival
        self.counted = counted  # arrived after the warm-up: counts in the totals
        self.handle = handle  # talk time before the agent's proficiency factor
        self.acw = acw  # after-call work
        self.answered = None  # SimPy event, while the caller waits in a queue
        self.agent = None
        self.talk_end = None  # SimPy event, once answered


class Tally:
    """The ``RawStats`` counters, added to in the order the core adds to them."""

    def __init__(self, model: CompiledModel):
        self.model = model
        n, k, g = model.n_intervals, model.n_types, model.n_groups
        self.interval_calls = np.zeros((n, k, len(CALL_FIELDS)))
        self.total_calls = np.zeros((k, len(CALL_FIELDS)))
        self.group_totals = np.zeros((g, len(GROUP_FIELDS)))
        self.interval_groups = np.zeros((n, g, len(INTERVAL_GROUP_FIELDS)))
        self.interval_channels = np.zeros((n, model.n_channels + 1, len(CHANNEL_FIELDS)))
        self.total_channels = np.zeros((model.n_channels + 1, len(CHANNEL_FIELDS)))
        self.airing_calls = np.zeros((model.n_airings, len(CHANNEL_FIELDS)))
        for group in range(g):
            self.clock(group, 0.0, model.horizon, float(model.group_count[group]), "staffed")

    def interval_of(self, t):
        """Reporting interval of time t; the last one also takes times after the horizon."""
        return min(int(t / self.model.interval), self.model.n_intervals - 1)

    def count(self, call, field, value=1.0):
        """Add to a call counter, by arrival interval and, after the warm-up, to the totals."""
        self.interval_calls[call.interval, call.call_type, CALL[field]] += value
        if call.counted:
            self.total_calls[call.call_type, CALL[field]] += value
        if field in CHANNEL:  # and by source: organic (0) or media channel (1 + index), and airing
            self.interval_channels[call.interval, call.channel + 1, CHANNEL[field]] += value
            if call.counted:
                self.total_channels[call.channel + 1, CHANNEL[field]] += value
                if call.airing >= 0:
                    self.airing_calls[call.airing, CHANNEL[field]] += value

    def group_answered(self, group, talk, handle):
        self.group_totals[group, GROUP["answered"]] += 1.0
        self.group_totals[group, GROUP["talk"]] += talk
        self.group_totals[group, GROUP["handle"]] += handle

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

    def __init__(self, model: CompiledModel, seed, call_records: bool = False):
        self.model = model
        self.records = [] if call_records else None  # per-call records, when asked for
        self.env = CenterClock()
        self.tally = Tally(model)
        # One stream per (source, call type): stream index = source * n_types + call type.
        n = model.n_types
        streams = [np.random.Generator(b) for b in bit_generators(model, seed)]
        self.rng = {source: streams[s * n:(s + 1) * n] for s, source in enumerate(ENGINE_SOURCES)}
        self.ad_rng = [streams[ad_stream(model, c)] for c in range(model.n_channels)]
        self.rates = model.rates.tolist()
        self.profiles = [(int(model.rate_start[k]), int(model.rate_count[k]), float(model.rate_slot[k]),
                          bool(model.rate_repeat[k])) for k in range(n)]
        self.dists = [(int(code), float(p0), float(p1), float(p2), float(cum))
                      for code, (p0, p1, p2), cum in zip(model.dist_code, model.dist_param, model.dist_cum)]
        self.period_start = model.period_start.tolist()
        self.period_dist = model.period_dist.tolist()
        self.periods = {"handle": model.handle_periods.tolist(), "patience": model.patience_periods.tolist(),
                        "after_call_work": model.acw_periods.tolist()}
        self.empirical = model.empirical.tolist()
        self.proficiency = model.group_proficiency.tolist()
        self.groups_serving = [_row(model.type_groups, model.type_groups_start, k) for k in range(n)]
        self.types_served = [_row(model.group_types, model.group_types_start, g) for g in range(model.n_groups)]
        self.agents = [Agent(a, g) for g in range(model.n_groups)
                       for a in range(model.group_start[g], model.group_start[g] + model.group_count[g])]
        self.idle = [deque(a for a in self.agents if a.group == g)  # longest idle first
                     for g in range(model.n_groups)]
        self.queues = [deque() for _ in range(n)]  # waiting callers per call type, FIFO
        self.lines_busy = 0  # calls waiting or talking
        # Run budget, counted as the core counts it: callers waiting, and patience
        # timers set and not yet run out (whether or not their caller was answered).
        self.waiting = 0
        self.timers = 0
        self.scheduled = 0  # ad calls scheduled by an airing and not yet rung
        self.calls_simulated = 0
        self.last_departure = 0.0

    # ---- the run ------------------------------------------------------------------

    def run(self) -> RawStats:
        m, env = self.model, self.env
        for k in range(m.n_types):
            env.process(self.phone_rings(k))
        for i, time in enumerate(m.airing_time.tolist()):
            env.at(time, AIRING).callbacks.append(partial(self.air, i))
        if m.drain:
            env.run()
            # Not env.now: it has run on through the patience timers of callers
            # answered long before, which are not events of the center.
            end_time = self.last_departure
        else:
            while env.peek() <= m.horizon:  # events at exactly the horizon still happen
                env.step()
            end_time = m.horizon
        self.close()
        t = self.tally
        return RawStats(
            interval_calls=t.interval_calls, total_calls=t.total_calls,
            group_totals=t.group_totals, interval_groups=t.interval_groups,
            calls_simulated=self.calls_simulated, end_time=float(end_time),
            call_records=None if self.records is None else np.array(self.records, dtype=CALL_RECORD_DTYPE),
            interval_channels=t.interval_channels, total_channels=t.total_channels, airing_calls=t.airing_calls,
        )

    def close(self):
        """Cut at the horizon: count callers still waiting; close busy time of agents on a call."""
        for queue in self.queues:
            for call in queue:
                self.tally.count(call, "waiting_at_end")
                self.record(call, "waiting_at_end", self.model.horizon - call.arrival)
        for agent in self.agents:
            if agent.busy:
                self.tally.clock(agent.group, agent.busy_since, self.model.horizon, 1.0, "busy")

    # ---- processes ----------------------------------------------------------------

    def phone_rings(self, k):
        """Process: the arrivals of call type k, each starting a caller, until the horizon."""
        rng, horizon = self.rng["arrival"][k], self.model.horizon
        start, count, slot, repeat = self.profiles[k]
        t = next_arrival(rng, self.rates, start, count, slot, repeat, horizon, 0.0)
        while t < horizon:
            yield self.env.at(t, ARRIVAL)
            # The caller's process starts at once, before any other event at this instant.
            self.env.process(self.caller(k))
            t = next_arrival(rng, self.rates, start, count, slot, repeat, horizon, t)

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
        pending = self.waiting + self.timers + self.scheduled
        if pending + n > m.max_pending:
            raise airing_overflow_error(m, i, s, n, pending)
        for _ in range(n):
            t = s + ad_delay(rng, delay, shape, scale)
            if t < m.horizon:
                self.scheduled += 1
                self.env.at(t, AD_ARRIVAL).callbacks.append(partial(self.ad_rings, c, i))

    def ad_rings(self, c, i, _event):
        """An ad call of channel c (airing i) rings: a caller of the channel's call type."""
        self.scheduled -= 1
        self.env.process(self.caller(int(self.model.channel_type[c]), c, i))

    def caller(self, k, channel=-1, airing=-1):
        """Process: one caller of type k, from its ring to hanging up."""
        yield from self.call(k, channel, airing)
        self.last_departure = self.env.now

    def call(self, k, channel, airing):
        """The call's course: blocked, lost, or answered (at once or after queueing) and done."""
        m, env, tally = self.model, self.env, self.tally
        # Every caller draws all its durations, even if blocked: with common random
        # numbers, caller i has the same needs whatever happens to the others.
        now = env.now
        handle = self.draw("handle", k, now)
        patience = self.draw("patience", k, now)
        acw = self.draw("after_call_work", k, now)
        call = Call(self.calls_simulated, k, channel, airing, now, tally.interval_of(now), now >= m.warmup, handle, acw)
        self.calls_simulated += 1
        tally.count(call, "arrived")
        if m.lines >= 0 and self.lines_busy >= m.lines:
            tally.count(call, "blocked")
            self.record(call, "blocked", 0.0)
            return
        tally.count(call, "offered")
        agent = self.take_idle_agent(k)
        if agent is None and patience <= 0.0:
            self.record_abandon(call, 0.0)  # never waits (Erlang B): lost, no line, no queue
            return
        if agent is None and self.waiting + self.timers + self.scheduled >= m.max_pending:
            raise overflow_error(m, k, now, self.waiting, self.timers, self.scheduled)
        self.lines_busy += 1  # a line is held while waiting and talking
        if agent is not None:
            self.answer(agent, call)
        elif not (yield from self.wait(call, patience)):
            return
        yield call.talk_end
        self.lines_busy -= 1
        if call.acw > 0.0:
            yield env.at(env.now + call.acw, ACW_END)
        self.agent_free(call.agent)

    def wait(self, call, patience):
        """Wait in the queue; True once answered, False after hanging up."""
        env = self.env
        queue = self.queues[call.call_type]
        queue.append(call)
        self.waiting += 1
        call.answered = env.event()  # succeeded by the agent who takes the call
        if patience == math.inf:
            yield call.answered
            return True
        # An agent freed at the very instant patience ends has answered already:
        # the ABANDON rank comes after every talk end, ACW end and arrival then.
        timer = env.at(env.now + patience, ABANDON)
        self.timers += 1
        timer.callbacks.append(self.timer_ran_out)
        yield call.answered | timer
        if call.answered.triggered:
            return True
        queue.remove(call)
        self.waiting -= 1
        self.lines_busy -= 1
        self.record_abandon(call, env.now - call.arrival)
        return False

    # ---- agents and routing -----------------------------------------------------------

    def answer(self, agent, call):
        """``agent`` takes ``call`` now: its statistics are recorded at once; talk starts."""
        now, tally = self.env.now, self.tally
        wait = now - call.arrival
        talk = call.handle * self.proficiency[agent.group]
        agent.busy, agent.busy_since = True, now
        tally.count(call, "answered")
        tally.count(call, "wait_answered", wait)
        if wait <= self.model.sl_threshold:
            tally.count(call, "answered_in_sl")
        tally.count(call, "talk", talk)
        tally.count(call, "handle", talk + call.acw)
        if call.counted:
            tally.group_answered(agent.group, talk, talk + call.acw)
        call.agent = agent
        self.record(call, "answered", wait, talk, call.acw, agent)
        call.talk_end = self.env.at(now + talk, TALK_END)

    def agent_free(self, agent):
        """The agent has finished its call (talk and after-call work): next caller, or idle."""
        now = self.env.now
        self.tally.clock(agent.group, agent.busy_since, now, 1.0, "busy")
        agent.busy = False
        call = self.longest_waiting(agent.group)
        if call is None:
            agent.idle_since = now
            self.idle[agent.group].append(agent)
            return
        self.queues[call.call_type].popleft()  # the head of its queue
        self.waiting -= 1
        self.answer(agent, call)
        call.answered.succeed()

    def take_idle_agent(self, k):
        """The longest-idle agent among the groups serving type k (tie: lowest index), or None."""
        heads = [self.idle[g][0] for g in self.groups_serving[k] if self.idle[g]]
        if not heads:
            return None
        agent = min(heads, key=lambda a: (a.idle_since, a.index))
        self.idle[agent.group].popleft()
        return agent

    def longest_waiting(self, group):
        """The head caller, among the queues ``group`` serves, who arrived first (tie: lower type)."""
        heads = [self.queues[k][0] for k in self.types_served[group] if self.queues[k]]
        return min(heads, key=lambda c: (c.arrival, c.call_type)) if heads else None

    # ---- helpers ------------------------------------------------------------------------

    def timer_ran_out(self, _event):
        self.timers -= 1

    def draw(self, source, k, now):
        """A draw of call type k's ``source`` duration, in the period of the day ``now`` falls in."""
        first, count = self.periods[source][k]
        row = period_row(self.period_start, self.period_dist, first, count, now)
        return draw(self.dists, row, self.empirical, self.rng[source][k])

    def record_abandon(self, call, wait):
        self.tally.count(call, "abandoned")
        self.tally.count(call, "wait_abandoned", wait)
        if wait < self.model.short_abandon:
            self.tally.count(call, "abandoned_short")
        self.record(call, "abandoned", wait)

    def record(self, call, outcome, wait, talk=0.0, acw=0.0, agent=None):
        """One per-call record (only when asked for), in the core's layout."""
        if self.records is not None:
            self.records.append((call.id, call.arrival, wait, talk, acw, call.call_type, OUTCOMES.index(outcome),
                                 -1 if agent is None else agent.index, -1 if agent is None else agent.group,
                                 call.channel, call.airing))


def _row(flat, start, i):
    """Row i of a CSR routing table, as a list."""
    return flat[start[i]:start[i + 1]].tolist()


def run(model: CompiledModel, seed, call_records: bool = False) -> RawStats:
    """Simulate one replication of ``model`` with the streams derived from ``seed``."""
    return ContactCenter(model, seed, call_records).run()
