"""Agent schedules in the SimPy engine: an agent's cursor over its on-duty table (repeating
every ``period``: a week, or a whole number of weeks with shrinkage).

Twin of ``_shifts.pxd``: the same comparisons and additions, so both engines put every
schedule change at the same time, bit for bit.
"""
from __future__ import annotations

import bisect

from ..scenario.hours import WEEK


class Schedule:
    """Where an agent is in its weekly table (opens, closes: its on-duty intervals since Monday
    00:00; ``shift``: how far into the week time 0 is)."""

    __slots__ = ("opens", "closes", "shift", "period", "base", "cursor")

    def __init__(self, opens, closes, shift, period=WEEK):
        self.opens, self.closes, self.shift, self.period = opens, closes, shift, period
        self.base, self.cursor = -shift, 0

    def start(self):
        """Whether on duty at time 0 (the table is not empty); sets the cursor to the interval
        whose close (on duty) or open (off duty) is the first change."""
        x = self.shift  # period time of time 0
        i = bisect.bisect_right(self.opens, x) - 1
        self.base = -self.shift
        if i >= 0 and x < self.closes[i]:
            self.cursor = i
            return True
        if x + self.period < self.closes[-1]:  # in the last interval, which runs on over the period's end
            self.cursor = len(self.opens) - 1
            self.base -= self.period
            return True
        i += 1
        if i == len(self.opens):
            i = 0
            self.base += self.period
        self.cursor = i
        return False

    def first_change(self, on):
        return self.base + (self.closes[self.cursor] if on else self.opens[self.cursor])

    def advance(self, on, start):
        """Whether on duty at ``start`` (a run from a start state), from ``on`` at time 0: the changes
        at or before ``start`` applied, the cursor on the first change after it (twin of ``sched_at``)."""
        t = self.first_change(on)
        while t <= start:
            on = not on
            t = self.change(on)
        return on

    def change(self, on):
        """The time of the change after the one that made the agent ``on``."""
        if on:
            return self.base + self.closes[self.cursor]
        self.cursor += 1
        if self.cursor == len(self.opens):
            self.cursor = 0
            self.base += self.period
        return self.base + self.opens[self.cursor]


def schedules(model, clock=0.0):
    """(each agent's table index, -1 = on duty all the time; per table its ``Schedule``, started,
    and whether its agents are on duty at time ``clock``: 0, or a start state's clock): the agents of a table change together, one
    event per table. An empty table: never on duty, no change."""
    shifted = model.group_shifted.tolist() if len(model.group_shifted) == model.n_groups else [0] * model.n_groups
    opens, closes, start = model.sched_open.tolist(), model.sched_close.tolist(), model.sched_start.tolist()
    per_agent = []
    for g in range(model.n_groups):
        for a in range(int(model.group_start[g]), int(model.group_start[g] + model.group_count[g])):
            per_agent.append(int(model.agent_sched[a]) if shifted[g] and len(model.agent_sched) else -1)
    tables = []
    for t in range(len(start) - 1):
        schedule = Schedule(opens[start[t]:start[t + 1]], closes[start[t]:start[t + 1]], float(model.sched_shift),
                            float(model.sched_period))
        on = bool(schedule.opens) and schedule.start()
        if schedule.opens and clock > 0.0:
            on = schedule.advance(on, clock)
        tables.append((schedule, on))
    return per_agent, tables
