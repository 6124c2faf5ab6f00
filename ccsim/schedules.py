"""Shrinkage: which agents are absent for which days' shifts, drawn once per replication.

An agent of a shift with shrinkage p skips each day's instance of that shift (the whole
shift, breaks and all) with probability p, independently. The draws come from one stream per
agent group, ``("absence", group name)`` of the replication's seed (the seed ``ccsim run
--seed S`` gives replication 0; ``replicate`` gives replication r its own child), drawn
before the run like the busyness factors: no other stream moves, the same seed gives the same
absences under every routing or staffing policy compared (common random numbers), and the
uniforms do not depend on p, so a larger shrinkage only adds absences.

The group's stream draws a matrix of uniforms, one per (agent of the group, day of the
period); the agent skips the instance starting on that day when its uniform is below p.
Absences break the weekly repetition of the tables: ``with_absences`` remakes them over a
period of whole weeks covering the horizon plus one day (so that the instance wrapping from
the period's end to its start begins after the horizon, and no instance within the run is
used twice); past the period (a drained run finishing its calls) the period repeats.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .compile import CompiledModel, ScheduleTables, _keyed, _root
from .scenario.hours import WEEK
from .scenario.limits import DAY
from .scenario.shifts import merge_spans, period_on


def period_weeks(model: CompiledModel) -> int:
    """Weeks in the schedule period with shrinkage: from the Monday before time 0 to one day
    past the horizon."""
    return max(1, math.ceil((float(model.sched_shift) + float(model.horizon) + DAY) / WEEK))


def absences(model: CompiledModel, seed) -> dict[str, np.ndarray]:
    """Per shrunk group name, a boolean matrix [agent of the group, day of the period]: True =
    absent from the shift instance starting that day (days counted from the Monday before time
    0; only days a shift of the agent starts on matter). Empty without shrinkage."""
    days = 7 * period_weeks(model)
    out = {}
    for at, n, group, first, p, *_ in model.sched_plan:
        if group not in out:
            rng = np.random.Generator(np.random.PCG64(_keyed(_root(seed), "absence", group)))
            count = int(model.group_count[list(model.group_names).index(group)])
            out[group] = [rng.random((count, days)), np.zeros((count, days), dtype=bool)]
        uniforms, absent = out[group]
        absent[at - first:at - first + n] = uniforms[at - first:at - first + n] < p
    return {group: absent for group, (_, absent) in out.items()}


def with_absences(model: CompiledModel, seed) -> CompiledModel:
    """The model one replication runs: every shifted agent's table remade over the period with
    its absences (``absences``); unchanged without shrinkage. Identical tables are stored once."""
    if not model.sched_plan:
        return model
    weeks = period_weeks(model)
    absent = absences(model, seed)
    period = weeks * WEEK
    tables = ScheduleTables(period)
    tables.index([], [])  # table 0: empty (never on duty)
    # agents of a shifted group in no shift: never on duty (table 0); members of one without shifts
    # of their own, always on duty (-1) as before; the others remade below
    agent_sched = np.where(np.asarray(model.agent_sched) < 0, -1, 0).astype(np.int32)
    duty = {}  # agent -> its tables, one per shift it works (several: a member's own shifts)
    for at, n, group, first, p, begin, days, pieces in model.sched_plan:
        for k in range(n):
            duty.setdefault(at + k, []).append(period_on(begin, days, pieces[k], weeks, absent[group][at - first + k]))
    for agent, parts in duty.items():
        agent_sched[agent] = tables.index(*(parts[0] if len(parts) == 1 else _union(parts, period)))
    return replace(model, **tables.fields(), agent_sched=agent_sched, sched_period=period)


def _union(parts, period: float) -> tuple[list[float], list[float]]:
    """(opens, closes) of an agent on duty in any of ``parts`` (tables of the same period)."""
    spans = []
    for opens, closes in parts:
        for lo, hi in zip(opens, closes):
            spans += [(lo, period), (0.0, hi - period)] if hi > period else [(lo, hi)]
    return merge_spans(spans, period)
