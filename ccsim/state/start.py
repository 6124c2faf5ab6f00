"""A state checked against a scenario's compiled model, and attached to it (``with_state``).

Semantics (docs/guide/calibration.md, "Intraday what-ifs from a state"):

- the run starts at the state's clock T: arrivals are generated from T on (an ad airing before T
  rings only its calls after T); agents are on duty as their schedules say at T;
- statistics start at T: the model's warm-up becomes max(warm-up, T) (a scenario's warm-up lets an
  empty center fill up; a state is already full, so none is added after T);
- a waiting caller counts as offered in the interval containing T; its waits count from its real
  arrival T - waited; its patience left is drawn conditioned on having waited that long;
- a busy agent's call was answered before T and counts in no call statistic; its talk left is drawn
  conditioned on the talk so far, then its after-call work as usual; the call holds a line;
- an agent away is off duty until T + remaining, then on duty if its schedule says so.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..engines.shifts import schedules
from ..scenario.problems import Problem
from .schema import State, StateError


@dataclass(frozen=True)
class StartState:
    """A state in the model's indices. Callers are sorted by arrival (longest waiting first);
    agents are agent indices. Times in seconds from the scenario's time 0."""

    clock: float
    waiting_type: np.ndarray  # int32 [W]
    waiting_arrival: np.ndarray  # float64 [W]: clock - waited
    waiting_priority: np.ndarray  # int32 [W]
    waiting_channel: np.ndarray  # int32 [W], -1 = organic
    busy_agent: np.ndarray  # int32 [B]
    busy_type: np.ndarray  # int32 [B]
    busy_elapsed: np.ndarray  # float64 [B]: talk so far
    away_agent: np.ndarray  # int32 [A]
    away_until: np.ndarray  # float64 [A]

    def is_empty(self) -> bool:
        return not (len(self.waiting_type) or len(self.busy_agent) or len(self.away_agent))


def with_state(model, state: State, source: str = "<state>"):
    """``model`` starting from ``state`` (checked against it: a ``StateError`` naming ``source`` and
    the field's path), its warm-up raised to the state's clock."""
    start = compile_state(model, state, source)
    return replace(model, state=start, warmup=max(float(model.warmup), start.clock))


def compile_state(model, state: State, source: str = "<state>") -> StartState:
    """The state in the model's indices, every cross-check against the scenario done."""
    def fail(path, message):
        raise StateError(source, [Problem(path, message)])

    clock = state.clock_seconds()
    if not clock < model.horizon:
        fail("clock", f"the clock ({clock:g} s) must be before the horizon ({model.horizon:g} s)")
    if int(np.sum(model.replay_count)) > 0:
        fail("clock", "a scenario with replayed arrivals cannot start from a state")
    on_duty = agents_on_duty(model, clock)
    taken = np.zeros(model.n_agents, dtype=bool)
    busy = _agents(model, state.busy, "busy", on_duty, taken, fail)
    types = _index(model.call_type_names, "call type")
    busy_type, busy_elapsed = [], []
    for i, entry in enumerate(state.busy):
        k = types(entry.call_type, f"busy[{i}].call_type", fail)
        for agent in busy[i]:
            if not model.serves[model.agent_group[agent], k]:
                fail(f"busy[{i}].call_type", f"agent {_agent_id(model, agent)} (group "
                     f"'{model.group_names[model.agent_group[agent]]}') does not serve call type '{entry.call_type}'")
            busy_type.append(k)
            busy_elapsed.append(entry.elapsed)
    away = _agents(model, state.away, "away", on_duty, taken, fail, any_agent=True)
    channels = _index(model.channel_names, "media channel")
    waiting = []
    for i, entry in enumerate(state.waiting):
        k = types(entry.call_type, f"waiting[{i}].call_type", fail)
        if entry.priority >= model.n_priorities:
            fail(f"waiting[{i}].priority", f"priority {entry.priority}: the scenario's queues have levels 0 to "
                 f"{model.n_priorities - 1} (menu branches set them)")
        c = -1 if entry.channel is None else channels(entry.channel, f"waiting[{i}].channel", fail)
        waiting += [(clock - entry.waited, k, entry.priority, c)] * entry.count
    held = len(waiting) + len(busy_type)
    if model.lines >= 0 and held > model.lines:
        fail("waiting", f"{len(waiting)} callers waiting and {len(busy_type)} agents talking hold {held} lines; "
             f"the scenario has {model.lines}")
    if len(waiting) > model.max_pending:
        fail("waiting", f"{len(waiting):,} callers waiting: more than the run budget allows ({model.max_pending:,})")
    waiting.sort(key=lambda w: w[0])  # stable: equal waits keep the file's order
    col = list(zip(*waiting)) or [(), (), (), ()]
    away_agents = [a for group in away for a in group]
    return StartState(
        clock=clock,
        waiting_arrival=np.array(col[0], dtype=np.float64), waiting_type=np.array(col[1], dtype=np.int32),
        waiting_priority=np.array(col[2], dtype=np.int32), waiting_channel=np.array(col[3], dtype=np.int32),
        busy_agent=np.array([a for group in busy for a in group], dtype=np.int32),
        busy_type=np.array(busy_type, dtype=np.int32), busy_elapsed=np.array(busy_elapsed, dtype=np.float64),
        away_agent=np.array(away_agents, dtype=np.int32),
        away_until=np.array([clock + e.remaining for e, group in zip(state.away, away) for _ in group],
                            dtype=np.float64),
    )


def agents_on_duty(model, clock: float) -> np.ndarray:
    """bool [agents]: on duty at ``clock`` by their schedules (the engines' own computation)."""
    table_of, tables = schedules(model, clock)
    return np.array([t < 0 or tables[t][1] for t in table_of], dtype=bool)


def _index(names, what: str):
    index = {name: i for i, name in enumerate(names)}

    def find(name, path, fail):
        if name not in index:
            fail(path, f"unknown {what} '{name}' (the scenario has: {', '.join(names) or 'none'})")
        return index[name]
    return find


def _agent_id(model, agent: int) -> str:
    return str(model.roster_columns()["id"][agent])


def _agents(model, entries, section: str, on_duty, taken, fail, any_agent: bool = False) -> list:
    """Per entry its agents (indices): the agent named, or the first ``count`` agents of the group
    on duty and not already listed. Busy agents must be on duty (``any_agent``: an agent away may be
    off duty already); no agent is listed twice."""
    ids = {str(a): i for i, a in enumerate(model.roster_columns()["id"])}
    groups = {name: g for g, name in enumerate(model.group_names)}
    out = []
    for i, entry in enumerate(entries):
        if entry.agent is not None:
            if entry.agent not in ids:
                fail(f"{section}[{i}].agent", f"unknown agent '{entry.agent}' (agent ids are the roster's, "
                     f"else GROUP-n, n from 1)")
            agent = ids[entry.agent]
            if taken[agent]:
                fail(f"{section}[{i}].agent", f"agent '{entry.agent}' is listed twice in the state")
            if not any_agent and not on_duty[agent]:
                fail(f"{section}[{i}].agent", f"agent '{entry.agent}' is not on duty at the clock time")
            chosen = [agent]
        else:
            if entry.group not in groups:
                fail(f"{section}[{i}].group", f"unknown group '{entry.group}' (the scenario has: "
                     f"{', '.join(model.group_names)})")
            g = groups[entry.group]
            first, n = int(model.group_start[g]), int(model.group_count[g])
            free = [a for a in range(first, first + n) if on_duty[a] and not taken[a]]
            if entry.how_many > len(free):
                fail(f"{section}[{i}].count", f"{entry.how_many} agents of group '{entry.group}' {section}, but "
                     f"only {len(free)} of its {n} are on duty at the clock time and not listed before")
            chosen = free[:entry.how_many]
        taken[chosen] = True
        out.append(chosen)
    return out
