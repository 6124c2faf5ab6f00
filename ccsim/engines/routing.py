"""Routing of the SimPy reference engine: twin of the core's ``_routing`` module.

Idle agents of a group: a FIFO (``longest_idle``, ``ordered_groups``), a plain list read by
its minimum key (``fewest_calls``, ``best_proficiency``, ``best_conversion``: keys are unique,
so the minimum is the core heap's top), or the core's swap-remove pool (``random``: the same
positions, so the same draw picks the same agent). ``allows`` is the rule of a (call type,
group) pair, ``pair_allows`` in the core.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from ..compile import AGENT_SELECTION, QUEUE_SELECTION, CompiledModel

LISTED = (AGENT_SELECTION["longest_idle"], AGENT_SELECTION["ordered_groups"])


def allows(after, ewt_over, queue_over, min_idle, now, arrival, waiting, wait_unit, idle) -> bool:
    """Whether a group may take a call of a type it serves (see ``_routing.pair_allows``)."""
    if now < arrival + after and float(waiting) * wait_unit <= ewt_over:
        return False
    if queue_over >= 0 and waiting <= queue_over:
        return False
    return idle > min_idle


class Idle:
    """The idle agents of every group, as the agent-selection policy reads them."""

    def __init__(self, model: CompiledModel, agents):
        self.policy = int(model.agent_selection)
        self.groups = [deque() if self.policy in LISTED else [] for _ in range(model.n_groups)]
        best = self.policy == AGENT_SELECTION["best_proficiency"]
        self.factor = model.agent_factors()[0].tolist() if best else None
        conversion = (np.nan_to_num(np.asarray(model.agent_conversion, dtype=np.float64))
                      if len(model.agent_conversion) == model.n_agents else np.zeros(model.n_agents))
        self.minus_conversion = (-conversion).tolist()
        for agent in agents:
            if agent.on:
                self.add(agent)

    def count(self, g) -> int:
        return len(self.groups[g])

    def add(self, agent):
        self.groups[agent.group].append(agent)

    def remove(self, agent):
        idle = self.groups[agent.group]
        if self.policy == AGENT_SELECTION["random"]:
            i = idle.index(agent)  # the pool's swap-remove: the last agent moves into its place
            last = idle.pop()
            if i < len(idle):
                idle[i] = last
        else:
            idle.remove(agent)

    def key(self, agent, k) -> float:
        """The agent's key for a call of type k (smaller first; 0 for the listed policies)."""
        if self.policy == AGENT_SELECTION["fewest_calls"]:
            return float(agent.handled)
        if self.policy == AGENT_SELECTION["best_proficiency"]:
            return self.factor[agent.index][k]
        if self.policy == AGENT_SELECTION["best_conversion"]:
            return self.minus_conversion[agent.index]
        return 0.0

    def top(self, g, k):
        """Group g's first idle agent for a call of type k."""
        idle = self.groups[g]
        if self.policy in LISTED:
            return idle[0]
        return min(idle, key=lambda a: (self.key(a, k), a.idle_since, a.index))


def call_order(policy, agent_priority, wait_weight, now):
    """The sort key of a candidate (level, position in serves, head call, its arrival as the
    policy reads it: minus its level's head start if there are head starts) for a freed agent
    of queue-selection ``policy`` (smallest first); see ``_core.Simulation._select_call``."""
    if policy == QUEUE_SELECTION["priority"]:
        return lambda c: (-c[0], c[1])
    if policy == QUEUE_SELECTION["skill_priority"]:
        return lambda c: (-c[0], agent_priority[c[2].call_type], c[3], c[2].call_type)
    if policy == QUEUE_SELECTION["weighted_wait"]:
        return lambda c: (-c[0], -((now - c[3]) * wait_weight[c[2].call_type]), c[2].call_type)
    return lambda c: (-c[0], c[3], c[2].call_type)
