"""Routing policies written in Python: the ``Router`` protocol.

A ``Router`` replaces the scenario's routing (its ``routing:`` policies and rules) for callers
waiting in queues; callback items keep the built-in choice (the longest-idle agent). Both
engines call it at the same points with the same state, so a router gives bit-identical
results in the core and the SimPy reference engine::

    class Specialists(ccsim.Router):
        def on_arrival(self, center, call_type):
            for g in center.groups_serving(call_type):   # the call type's routing order
                idle = center.idle_agents(g)             # longest idle first
                if idle:
                    return idle[0]
            return None                                  # the caller queues

        def on_agent_free(self, center, agent):
            waiting = [k for k in center.types_served(center.group_of(agent)) if center.waiting(k)]
            return min(waiting, key=center.oldest_arrival) if waiting else None

    result = ccsim.simulate("center.yaml", router=Specialists())

Hooks:

``on_arrival(center, call_type)`` -- a caller reaches ``call_type``'s queue and some group
serving it has an idle agent: return an idle agent of such a group to answer it now, or None
to queue it. An agent left idle is offered the queue again only when it is free anew
(``on_agent_free``), or by a timer (``assign``): a router that queues callers while agents idle
sets a timer to come back to them, else they wait until they hang up.

``on_agent_free(center, agent)`` -- an agent is free (its call and after-call work done, or
just on duty), no callback item is overdue, and callers wait in some call type its group
serves: return one of those call types (the agent takes its longest-waiting caller on the
highest IVR priority level; with ``routing.level_head_start``, the level head with the smallest
arrival - head start), or None to leave the agent idle.

``on_timer(center, tag)`` (optional) -- a timer set by ``center.set_timer(time, tag)`` rings;
``center.assign(agent, call_type)`` gives an idle agent the head of a call type's queue.

``reset()`` (optional) -- called before each run: a router that keeps state of a run (counts,
a rotation) clears it here; one router object routes every replication of ``replicate``.

The state a hook reads (``RoutingState``) is the same in both engines. A router is called
from the engine's loop with Python's interpreter, so a run with one is much slower than the
built-in policies (README: speed); it runs in the calling process (``simulate``,
``replicate``), not in a process pool.
"""
from __future__ import annotations

import dataclasses
import numbers
from typing import Optional, Protocol

import numpy as np

from .errors import UserError


class RouterError(UserError):
    """A router's hook returned something the center cannot do (an agent not idle, a call
    type its group does not serve or without callers)."""


class RoutingState(Protocol):
    """What a router's hooks read (and, in ``on_timer``, do). Agents, groups and call types are
    numbers: ``center.model`` (a ``CompiledModel``) has their names."""

    model: object
    now: float

    def idle_agents(self, group: int) -> list[int]:
        """The idle agents of ``group``, longest idle first."""

    def waiting(self, call_type: int) -> int:
        """Callers waiting in ``call_type``'s queue (all priority levels)."""

    def oldest_arrival(self, call_type: int) -> Optional[float]:
        """When the caller an agent would take from ``call_type`` arrived (None: nobody waits; with
        head starts, that caller's real arrival, not its head-started one)."""

    def groups_serving(self, call_type: int) -> list[int]:
        """The groups serving ``call_type``, in its routing order."""

    def types_served(self, group: int) -> list[int]:
        """The call types ``group`` serves, in its serves order."""

    def group_of(self, agent: int) -> int: ...

    def idle_since(self, agent: int) -> float: ...

    def calls_answered(self, agent: int) -> int:
        """Calls the agent answered since the run's start."""

    def handle_factor(self, agent: int, call_type: int) -> float:
        """The agent's handle-time factor for ``call_type`` (smaller = faster)."""

    def set_timer(self, time: float, tag: int) -> None:
        """``on_timer(center, tag)`` at ``time`` (not before now; ``tag`` an int)."""

    def assign(self, agent: int, call_type: int) -> None:
        """In ``on_timer``: idle ``agent`` takes the head of ``call_type``'s queue."""


class Router:
    """Base class of a Python routing policy: override ``on_arrival`` and ``on_agent_free``,
    and ``on_timer`` if the router sets timers (see the module's documentation)."""

    def on_arrival(self, center: RoutingState, call_type: int) -> Optional[int]:
        return None

    def on_agent_free(self, center: RoutingState, agent: int) -> Optional[int]:
        return None

    def on_timer(self, center: RoutingState, tag: int) -> None:
        return None

    def reset(self) -> None:
        """Called by ``simulate`` and ``replicate`` before each run the router routes (each
        replication of ``replicate``): clear what it keeps of a run here, so that replication k is the same
        run as ``simulate`` of its seed with a fresh router."""
        return None


class LongestIdle(Router):
    """The built-in ``longest_idle`` + ``longest_waiting`` policy written as a router (an example,
    and the reference the tests and the benchmark compare the built-in with)."""

    def on_arrival(self, center, call_type):
        # each group's longest idle (its list's head: agents idle since one instant in the order
        # they became idle), then across groups the longest idle, the lower agent index on a tie
        heads = [(center.idle_since(idle[0]), idle[0]) for g in center.groups_serving(call_type)
                 if (idle := center.idle_agents(g))]
        return min(heads)[1] if heads else None

    def on_agent_free(self, center, agent):
        heads = [(center.oldest_arrival(k), k) for k in center.types_served(center.group_of(agent))
                 if center.waiting(k)]
        return min(heads)[1] if heads else None


class OrderedPriority(Router):
    """The built-in ``ordered_groups`` + ``priority`` policy written as a router."""

    def on_arrival(self, center, call_type):
        for g in center.groups_serving(call_type):
            idle = center.idle_agents(g)
            if idle:
                return idle[0]
        return None

    def on_agent_free(self, center, agent):
        for k in center.types_served(center.group_of(agent)):
            if center.waiting(k):
                return k
        return None


def router_model(model):
    """The model a run with a router simulates: the scenario's routing rules off (the router
    decides), idle agents kept longest idle first."""
    n, k = model.n_groups, model.n_types
    return dataclasses.replace(
        model, agent_selection=0, queue_selection=0,
        tg_after=np.zeros(len(model.type_groups)), tg_ewt_over=np.full(len(model.type_groups), np.inf),
        tg_queue_over=np.full(len(model.type_groups), -1, dtype=np.int32),
        tg_min_idle=np.zeros(len(model.type_groups), dtype=np.int32),
        gt_after=np.zeros(len(model.group_types)), gt_ewt_over=np.full(len(model.group_types), np.inf),
        gt_queue_over=np.full(len(model.group_types), -1, dtype=np.int32),
        gt_min_idle=np.zeros(len(model.group_types), dtype=np.int32),
        type_delay_start=np.zeros(k + 1, dtype=np.int32), type_delays=np.zeros(0),
        type_rules=np.zeros(k, dtype=np.int32)) if n else model


def answer_number(answer) -> Optional[int]:
    """A hook's answer (not None) as an agent or call-type number: an integer (Python's or
    numpy's), as ``argument`` takes them; None for anything else (a float, even 3.0, is not
    rounded; a bool is not agent 1; a string is not parsed)."""
    if type(answer) is int:  # the common answer, without the ABC check (a router's calls are per call)
        return answer
    if isinstance(answer, numbers.Integral) and not isinstance(answer, bool):
        return int(answer)
    return None


def timer_time(time, now: float) -> float:
    """When a router's timer goes off: a real number (not a bool or a string), not before now."""
    if not isinstance(time, numbers.Real) or isinstance(time, bool):
        raise RouterError(f"center.set_timer: time {time!r} is not a number of seconds")
    time = float(time)
    if not time >= now:
        raise RouterError(f"router set a timer at {time!r}, before now ({now!r})")
    return time


def argument(value, count: int, what: str, method: str) -> int:
    """An agent, group or call-type number a router passed to ``center.<method>``, checked the
    same way in both engines: an integer (Python's or numpy's; not a bool, a float or a string),
    0 to ``count`` - 1 (a negative index is not the last one; the core reads C arrays: out of
    range, it crashed)."""
    number = int(value) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else None
    if number is None or not 0 <= number < count:
        article = "an" if what[0] in "aeiou" else "a"
        raise RouterError(f"center.{method}: {what} {value!r} is not {article} {what} number (0 to {count - 1})")
    return number


def timer_tag(tag) -> int:
    """A timer's tag: an integer of 32 bits (the core keeps it in its event)."""
    number = int(tag) if isinstance(tag, numbers.Integral) and not isinstance(tag, bool) else None
    if number is None or not -2**31 <= number < 2**31:
        raise RouterError(f"center.set_timer: tag {tag!r} is not an int from -2**31 to 2**31 - 1")
    return number


def bad_agent(hook: str, agent, why: str) -> RouterError:
    return RouterError(f"router.{hook} returned agent {agent!r}, {why}")


def bad_type(hook: str, call_type, why: str) -> RouterError:
    return RouterError(f"router.{hook} returned call type {call_type!r}, {why}")
