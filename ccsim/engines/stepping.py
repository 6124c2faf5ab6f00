"""A run in steps: simulate to a time, change the roster, go on (multi-period runs).

``paused_run(model, seed, engine)`` starts one replication on either engine and returns a
``PausedRun``: ``run_until(t)`` processes the events at times <= t; between calls the
cumulative per-agent statistics can be read (``agent_totals``, ``funnel_agents``: live arrays
the engine keeps adding to -- copy them to keep a period's values) and agents can leave
(``leave``); ``finish()`` runs to the end and returns the RawStats. Run in steps with no roster
change, a run is bit for bit the single ``run`` of the same model and seed (the engines pause
between events, they never restart).

Abilities change between periods with ``set_ability`` (learning, training): the core reads
``agent_factor`` / ``agent_acw_factor`` and the funnel's ``agent_conversion`` through pointers,
the SimPy engine and its funnel keep list copies; the setter writes both, so the engines stay
bit-identical. The run works on copies of those arrays (``paused_run``): the caller's model is
never changed. Hiring uses pre-allocated slots: an agent made to ``leave`` before the run starts
joins later with ``rejoin`` (on duty at once if its schedule says so, else at its next shift).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..compile import with_busyness
from ..results import AGENT_FIELDS
from ..schedules import with_absences


def paused_run(model, seed, engine: str = "core", call_records: bool = False):
    """A ``PausedRun`` of one replication of ``model`` (seed ``seed``) on ``engine``."""
    if engine not in ("core", "simpy"):
        raise ValueError(f"unknown engine {engine!r}: 'core' or 'simpy'")
    model = with_absences(with_busyness(model, seed), seed)
    model = dataclasses.replace(model, agent_factor=np.array(model.agent_factor, dtype=np.float64),
                                agent_acw_factor=np.array(model.agent_acw_factor, dtype=np.float64),
                                agent_conversion=np.array(model.agent_conversion, dtype=np.float64))
    return PausedRun(model, seed, engine, call_records)


class PausedRun:
    """One replication run in steps on one engine (see the module's docstring)."""

    def __init__(self, model, seed, engine: str, call_records: bool = False):
        self.model = model
        self.engine = engine
        self.now = 0.0  # the time run_until last ran to
        self._finished = False
        if engine == "core":
            from .core import simulation

            self._sim = simulation(model, seed, call_records)
        else:
            from .simpy_engine import ContactCenter

            self._sim = ContactCenter(model, seed, call_records)

    def run_until(self, t: float) -> None:
        """Process the events at times <= t."""
        if self._finished:
            raise RuntimeError("the run has finished")
        if t < self.now:
            raise ValueError(f"run_until({t}): the run is already at {self.now}")
        self._sim.run_until(float(t))
        self.now = float(t)

    def leave(self, agent: int) -> None:
        """Agent ``agent`` leaves now, for good (idle: at once; busy: when its call ends)."""
        self._sim.leave(int(agent))

    def set_ability(self, agent: int, factor_row=None, acw=None, conversion=None) -> None:
        """Agent ``agent``'s abilities from now: handle-time factors ``factor_row`` (one per call
        type), after-call-work factor ``acw``, conversion ``conversion``; None keeps one."""
        self._sim.set_ability(int(agent), factor_row, acw, conversion)

    def rejoin(self, agent: int) -> None:
        """Agent ``agent`` (gone, off the phone) joins again now: a hire into a slot."""
        self._sim.rejoin(int(agent))

    def gone(self, agent: int) -> bool:
        """Whether ``agent`` has left (and not rejoined)."""
        if self.engine == "core":
            return self._sim.gone(int(agent))
        return self._sim.agents[int(agent)].gone

    @property
    def agent_totals(self) -> np.ndarray:
        """[agent, AGENT_FIELDS]: cumulative so far (a live array: copy it to keep it). Note that
        an agent of a group without shifts has its staffed time counted to the horizon from the
        start (``agent_totals_now`` corrects it), and busy time is counted as each call ends."""
        if self.engine == "core":
            return self._sim.stats["agent_totals"]
        return self._sim.tally.agent_totals

    def agent_totals_now(self) -> np.ndarray:
        """A copy of ``agent_totals`` whose staffed time is the time staffed up to ``now``: an
        agent of a group without shifts still on duty has the time from now to the horizon
        (counted in advance) taken off."""
        out = np.array(self.agent_totals, dtype=np.float64, copy=True)
        m = self.model
        shifted = np.asarray(m.group_shifted) if len(m.group_shifted) == m.n_groups else np.zeros(m.n_groups)
        ahead = max(m.horizon - max(self.now, m.warmup), 0.0)
        staffed = AGENT_FIELDS.index("staffed")
        for g in np.flatnonzero(shifted == 0):
            for a in range(int(m.group_start[g]), int(m.group_start[g]) + int(m.group_count[g])):
                if not self._off(a):
                    out[a, staffed] -= ahead
        return out

    def off(self, agent: int) -> bool:
        """Whether ``agent`` is off duty now (logged out, on a break, or gone and off the phone)."""
        return self._off(int(agent))

    def _off(self, agent: int) -> bool:
        if self.engine == "core":
            return self._sim.off(agent)
        return self._sim.agents[agent].off

    @property
    def funnel_agents(self):
        """[agent, FUNNEL_FIELDS]: cumulative so far (live), or None without a funnel."""
        if self.engine == "core":
            return self._sim.stats.get("funnel_agents")
        return None if self._sim.funnel is None else self._sim.funnel.agents

    def finish(self):
        """Run to the end; the run's RawStats."""
        if self._finished:
            raise RuntimeError("the run has finished")
        self._finished = True
        if self.engine == "core":
            from .core import raw_stats

            return raw_stats(self._sim)
        return self._sim.run()
