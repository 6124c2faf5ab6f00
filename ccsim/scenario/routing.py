"""Routing: how the ACD picks an agent for a call and a call for a freed agent, and when a
group may take a call type at all (overflow delays, expected-wait overflow, reservation,
queue-length thresholds).

Agent selection, for a call of type k finding idle agents in the groups allowed to take it:
``longest_idle`` -- the agent idle longest (tie: lowest agent index);
``ordered_groups`` -- the first group in k's routing order (``call_types[].groups``, absent =
the serving groups in file order) with an idle agent allowed, its longest-idle one;
``fewest_calls`` -- the agent who answered the fewest calls today (days from time 0), then the
longest idle, then the lowest index;
``best_proficiency`` -- the agent with the smallest handle-time factor for k (the fastest),
then the longest idle, then the lowest index;
``best_conversion`` -- the agent with the highest conversion ability (performance-based
routing; agents without one count as 0), then the longest idle, then the lowest index;
``random`` -- uniformly at random among the idle agents allowed (one uniform of the ``routing``
stream per choice among two or more).

Call selection, for a freed agent of group g (callers on a higher IVR priority level always go
first, unless ``level_head_start`` is given; an overdue callback item before any caller, as
always), among the heads of the queues g serves that g may take now:
``longest_waiting`` -- the caller who arrived first (tie: lower call type index);
``priority`` -- the first queue in g's ``serves`` order (strict priority by call type);
``skill_priority`` -- the agent's skill priority for the call type (``skill_priorities``, 1 =
first; absent = the serves order), then the caller who arrived first;
``weighted_wait`` -- the largest wait / the call type's wait target (``wait_targets``, absent =
the service-level threshold), tie: lower call type index.

Rules on a (call type, group) pair, which must be a pair the group serves:
``overflow`` -- the group may take a call of the type only once it has waited ``after``
seconds (a backup group: the call is re-routed to a wider set of groups after the delay), or
while the type's expected wait (callers waiting x the type's wait unit) exceeds
``expected_wait_over`` (either suffices when both are given); with ``queue_selection:
priority`` an ``after`` delay is a minimum head-of-queue wait before the group takes that
lower class;
``reserve`` -- the group keeps ``agents`` idle agents for ``call_type``: it gives an agent to a
call of any other type only if at least that many of its agents stay idle;
``thresholds`` -- the group takes ``call_type`` only while more than ``queue_over`` callers of
it wait (a lower-priority type served only when its queue is long).
"""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field

from . import limits as L
from .distributions import Seconds
from .hours import Name, _err, _Model

AGENT_POLICIES = ("longest_idle", "ordered_groups", "fewest_calls", "best_proficiency", "best_conversion", "random")
QUEUE_POLICIES = ("longest_waiting", "priority", "skill_priority", "weighted_wait")


class Overflow(_Model):
    """When a group may take a call type it serves: after a delay, or while the expected wait is long."""

    call_type: Name
    group: Name
    after: Optional[Seconds] = Field(default=None, description="seconds a call must have waited before the "
                                                               "group may take it")
    expected_wait_over: Optional[Seconds] = Field(
        default=None, description="the group takes the type's calls while its expected wait (callers waiting "
                                  "x its wait unit) exceeds this many seconds")



class Reserve(_Model):
    """A group keeps some idle agents for one call type."""

    group: Name
    call_type: Name
    agents: Annotated[int, Field(ge=1, le=L.MAX_AGENTS)] = Field(
        description="idle agents of the group kept for this call type")


class Threshold(_Model):
    """A group takes a call type only while its queue is long."""

    group: Name
    call_type: Name
    queue_over: Annotated[int, Field(ge=0, le=L.INT32_MAX)] = Field(
        description="the group takes the type's calls only while more than this many wait")


class Routing(_Model):
    __doc__ = __doc__

    agent_selection: Literal[AGENT_POLICIES] = "longest_idle"
    queue_selection: Literal[QUEUE_POLICIES] = "longest_waiting"
    overflow: list[Overflow] = Field(default_factory=list, max_length=L.MAX_GROUPS * 4, description=(
        "per (call type, group it serves): take the type's calls only after a wait, or while the "
        "expected wait is long"))
    reserve: list[Reserve] = Field(default_factory=list, max_length=L.MAX_GROUPS * 4, description=(
        "idle agents a group keeps for one call type"))
    thresholds: list[Threshold] = Field(default_factory=list, max_length=L.MAX_GROUPS * 4, description=(
        "per (call type, group it serves): take the type's calls only while its queue is longer"))
    skill_priorities: dict[Name, Annotated[dict[Name, Annotated[int, Field(ge=1, le=99)]],
                                           Field(max_length=L.MAX_CALL_TYPES)]] = Field(
        default_factory=dict, max_length=L.MAX_GROUPS, description=(
            "per group, per call type it serves: 1 = taken first (queue_selection: skill_priority); "
            "absent = the serves order"))
    level_head_start: Optional[list[Seconds]] = Field(
        default=None, min_length=1, max_length=L.MAX_PRIORITY + 1, description=(
            "seconds of head start per IVR priority level (entry l for level l): a waiting caller ranks "
            "by its arrival minus its level's head start; absent = strict levels (a higher level first)"))
    wait_targets: dict[Name, Annotated[float, Field(gt=0, le=L.MAX_SECONDS, allow_inf_nan=False)]] = Field(
        default_factory=dict, max_length=L.MAX_CALL_TYPES, description=(
            "per call type, seconds (queue_selection: weighted_wait); absent = the service-level threshold"))


def check_routing(s) -> None:
    """Every rule names a call type and a group that serves it, once per pair and kind."""
    r = s.routing
    groups = {g.name: g for g in s.agents}
    types = {c.name for c in s.call_types}

    def pair(rule, path):
        if rule.group not in groups:
            raise _err("routing", f"group '{rule.group}' is not defined in agents (groups: "
                                  f"{', '.join(sorted(groups))})", f"{path}.group")
        if rule.call_type not in types:
            raise _err("routing", f"call type '{rule.call_type}' is not defined (call types: "
                                  f"{', '.join(sorted(types))})", f"{path}.call_type")
        if rule.call_type not in groups[rule.group].serves:
            raise _err("routing", f"group '{rule.group}' does not serve call type '{rule.call_type}' (add it "
                                  "to the group's serves first)", path)

    for i, rule in enumerate(r.overflow):
        if rule.after is None and rule.expected_wait_over is None:
            raise _err("routing", "give after (seconds waited) or expected_wait_over (seconds), or both",
                       f"routing.overflow[{i}]")
    for kind in ("overflow", "reserve", "thresholds"):
        seen = {}
        for i, rule in enumerate(getattr(r, kind)):
            path = f"routing.{kind}[{i}]"
            pair(rule, path)
            key = (rule.call_type, rule.group)
            if key in seen:
                raise _err("routing", f"a second {kind} rule for call type '{rule.call_type}' and group "
                                      f"'{rule.group}' (also at routing.{kind}[{seen[key]}])", path)
            seen[key] = i
    for i, rule in enumerate(r.reserve):
        if len(set(groups[rule.group].serves)) < 2:
            raise _err("routing", f"group '{rule.group}' serves only '{rule.call_type}': keeping its agents for "
                                  "that type changes nothing", f"routing.reserve[{i}]")
    for name, priorities in r.skill_priorities.items():
        path = f"routing.skill_priorities.{name}"
        if name not in groups:
            raise _err("routing", f"group '{name}' is not defined in agents", path)
        for k in priorities:
            if k not in groups[name].serves:
                raise _err("routing", f"group '{name}' does not serve call type '{k}'", f"{path}.{k}")
    for k in r.wait_targets:
        if k not in types:
            raise _err("routing", f"call type '{k}' is not defined", f"routing.wait_targets.{k}")
    _check_head_starts(s)


def _check_head_starts(s) -> None:
    """routing.level_head_start gives an entry for every priority level a menu branch sets."""
    starts = s.routing.level_head_start
    if starts is None:
        return
    for t, tree in enumerate(s.ivr):
        for j, node in enumerate(tree.nodes):
            for b, branch in enumerate(node.branches):
                if branch.priority >= len(starts):
                    raise _err("routing", f"{len(starts)} head start(s) (levels 0 to {len(starts) - 1}), but "
                                          f"ivr[{t}].nodes[{j}].branches[{b}] sends callers to priority "
                                          f"{branch.priority}: give one entry per level", "routing.level_head_start")
