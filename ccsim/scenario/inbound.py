"""The inbound path before the agents: entry numbers, IVR menus, queue limits, retrials.

A call rings an *entry* (a number callers dial, with its own arrivals) or, as
before, a call type directly. An entry's calls take a line, then walk its IVR
tree: each node plays for a drawn duration, then a branch is chosen by its
probability, leading to another node, to the queue of a call type, or to an
exit (self-service completed, the caller hangs up, voicemail). A caller has one
IVR ``patience`` for the whole stay in the menu; when it runs out inside a node
the caller hangs up there.

A caller who is blocked (all lines busy, or the queue full) or who hangs up
while waiting may try again (``retrials``): with a probability, after a drawn
delay, up to ``max_attempts`` attempts in all. A retrial redials: it rings the
same entry (or call type) again, through lines and IVR.
"""
from __future__ import annotations

from typing import Annotated, Literal, Optional

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from . import limits as L
from .distributions import Distribution, Seconds

Name = Annotated[str, Field(min_length=1, max_length=L.MAX_NAME, pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$",
                            description=f"letters, digits, '_' or '-', starting with a letter or '_' "
                                        f"(1 to {L.MAX_NAME} characters)")]
Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]

EXITS = ("self_service", "hang_up", "voicemail")
PROBABILITY_TOLERANCE = 1e-9
# A caller may not be expected to pass through more nodes than this (a menu that loops
# back on itself with a tiny way out would otherwise run a caller for ever).
MAX_EXPECTED_VISITS = 1_000.0


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Branch(_Model):
    """Where a caller goes after a node, with probability ``p``: exactly one of
    ``node`` (another node of the same menu), ``queue`` (a call type) or ``exit``."""

    p: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)] = Field(
        description="probability of this branch (> 0; a node's branches sum to 1)")
    node: Optional[Name] = Field(default=None, description="a node of the same menu")
    queue: Optional[Name] = Field(default=None, description="a call type: the caller joins its queue")
    exit: Optional[Literal[EXITS]] = Field(default=None, description=(
        "self_service (served by the menu), hang_up (the caller chooses to end the call) or voicemail"))
    priority: Annotated[int, Field(ge=0, le=L.MAX_PRIORITY)] = Field(default=0, description=(
        f"with queue: the caller's priority in it (0 to {L.MAX_PRIORITY}; higher is answered first by an agent "
        "freeing up; callers dialling a call type straight have 0)"))

    @model_validator(mode="after")
    def _one_target(self):
        if sum(x is not None for x in (self.node, self.queue, self.exit)) != 1:
            raise ValueError("a branch needs exactly one of 'node', 'queue' or 'exit'")
        if self.priority and self.queue is None:
            raise ValueError("'priority' belongs to a branch to a queue")
        return self


class IvrNode(_Model):
    """One menu step: its message or input takes ``duration`` seconds, then a branch."""

    name: Name
    duration: Distribution = Field(description="seconds the node takes (message and key press)")
    branches: list[Branch] = Field(min_length=1, max_length=L.MAX_BRANCHES,
                                   description=f"1 to {L.MAX_BRANCHES} branches whose p sum to 1")


class Ivr(_Model):
    """A menu tree (loops allowed, as long as every node can reach a way out)."""

    name: Name
    start: Optional[Name] = Field(default=None, description="the first node; absent = the first in the list")
    patience: Optional[Distribution] = Field(default=None, description=(
        "how long a caller stays in the menu at most before hanging up (one draw for the whole stay); "
        "absent = never hangs up in the menu"))
    nodes: list[IvrNode] = Field(min_length=1, max_length=L.MAX_IVR_NODES,
                                 description=f"1 to {L.MAX_IVR_NODES:,} nodes")

    def start_node(self) -> str:
        return self.start or self.nodes[0].name


class Retrials(_Model):
    """Callers who try again, each attempt redialling the same number."""

    blocked: Probability = Field(default=0.0, description="probability that a blocked caller tries again "
                                                          "(all lines busy, or the queue full)")
    abandoned: Probability = Field(default=0.0, description="probability that a caller who hung up while "
                                                            "waiting in the queue tries again")
    delay: Distribution = Field(description="seconds between giving up and the next attempt")
    max_attempts: Annotated[int, Field(ge=1, le=L.MAX_ATTEMPTS)] = Field(
        default=3, description=f"attempts in all, the first included (1 to {L.MAX_ATTEMPTS:,})")


class QueuePool(_Model):
    """Waiting places shared by several call types' queues."""

    name: Name
    capacity: Annotated[int, Field(ge=0, le=L.INT32_MAX)] = Field(description="callers waiting at most, "
                                                                              "all its call types together")
    call_types: list[Name] = Field(min_length=1, max_length=L.MAX_CALL_TYPES)


def _err(kind: str, message: str, path: str):
    return PydanticCustomError(kind, message.replace("{", "{{").replace("}", "}}"), {"path": path})


def check_inbound(s) -> None:
    """Cross-field rules of entries, menus, pools and retrials (called by ``Scenario``)."""
    types = {c.name for c in s.call_types}
    trees = {}
    for i, tree in enumerate(s.ivr):
        where = f"ivr[{i}]"
        if tree.name in trees:
            raise _err("duplicate_name", f"menu name '{tree.name}' is used twice in ivr", f"{where}.name")
        trees[tree.name] = tree
        _check_tree(tree, where, types)
    entry_names = set()
    for i, entry in enumerate(s.entries):
        where = f"entries[{i}]"
        if entry.name in entry_names:
            raise _err("duplicate_name", f"entry name '{entry.name}' is used twice in entries", f"{where}.name")
        if entry.name in types:
            raise _err("duplicate_name", f"entry name '{entry.name}' is also a call type's name: entries and "
                                         "call types share one namespace (their callers are counted by name)",
                       f"{where}.name")
        entry_names.add(entry.name)
        if entry.ivr not in trees:
            raise _err("unknown_ivr", f"entry '{entry.name}' uses menu '{entry.ivr}', which is not defined "
                                      f"(menus: {', '.join(sorted(trees)) or 'none'})", f"{where}.ivr")
    used = {e.ivr for e in s.entries}
    for i, tree in enumerate(s.ivr):
        if tree.name not in used:
            raise _err("unused_ivr", f"menu '{tree.name}' is not used by any entry", f"ivr[{i}].name")
    pooled = {}
    for i, pool in enumerate(s.queue_pools):
        for j, name in enumerate(pool.call_types):
            where = f"queue_pools[{i}].call_types[{j}]"
            if name not in types:
                raise _err("unknown_call_type", f"queue pool '{pool.name}' names call type '{name}', which is "
                                                "not defined", where)
            if name in pooled:
                raise _err("pool_twice", f"call type '{name}' is in two queue pools ('{pooled[name]}' and "
                                         f"'{pool.name}'): a queue draws on one pool at most", where)
            pooled[name] = pool.name
    names = [p.name for p in s.queue_pools]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise _err("duplicate_name", f"queue pool name '{name}' is used twice", f"queue_pools[{i}].name")


def _check_tree(tree: Ivr, where: str, types: set) -> None:
    index = {}
    for j, node in enumerate(tree.nodes):
        if node.name in index:
            raise _err("duplicate_name", f"node name '{node.name}' is used twice in menu '{tree.name}'",
                       f"{where}.nodes[{j}].name")
        index[node.name] = j
    if tree.start is not None and tree.start not in index:
        raise _err("unknown_node", f"start node '{tree.start}' is not a node of menu '{tree.name}'",
                   f"{where}.start")
    for j, node in enumerate(tree.nodes):
        total = sum(b.p for b in node.branches)
        if abs(total - 1.0) > PROBABILITY_TOLERANCE:
            raise _err("branch_probabilities", f"the branches of node '{node.name}' have probabilities "
                                               f"summing to {total:.12g}, not 1", f"{where}.nodes[{j}].branches")
        for b, branch in enumerate(node.branches):
            path = f"{where}.nodes[{j}].branches[{b}]"
            if branch.node is not None and branch.node not in index:
                raise _err("unknown_node", f"branch to node '{branch.node}', which is not a node of menu "
                                           f"'{tree.name}' (nodes: {', '.join(sorted(index))})", f"{path}.node")
            if branch.queue is not None and branch.queue not in types:
                raise _err("unknown_call_type", f"branch to the queue of call type '{branch.queue}', which is "
                                                "not defined", f"{path}.queue")
    visits = expected_visits(tree)
    reachable = _reachable(tree, index)
    for j, node in enumerate(tree.nodes):
        if j in reachable and not np.isfinite(visits[j]):
            raise _err("ivr_loop", f"node '{node.name}' of menu '{tree.name}' is in a loop with no way out: "
                                   "no branch from it ever reaches a queue or an exit", f"{where}.nodes[{j}]")
    total = float(np.sum(visits[np.isfinite(visits)]))
    if total > MAX_EXPECTED_VISITS:
        raise _err("ivr_loop", f"a caller of menu '{tree.name}' would pass through {total:,.0f} nodes on "
                               f"average, more than the limit of {MAX_EXPECTED_VISITS:,.0f}: a loop's way out "
                               "is too unlikely", f"{where}.nodes")


def _reachable(tree: Ivr, index: dict) -> set:
    start = index[tree.start_node()]
    seen, stack = {start}, [start]
    while stack:
        for branch in tree.nodes[stack.pop()].branches:
            if branch.node is not None and index[branch.node] not in seen:
                seen.add(index[branch.node])
                stack.append(index[branch.node])
    return seen


def expected_visits(tree: Ivr) -> np.ndarray:
    """Expected visits of each node by a caller who starts at the menu's start node and
    never hangs up (inf for a node in a loop with no way out that the start reaches)."""
    index = {n.name: j for j, n in enumerate(tree.nodes)}
    n = len(tree.nodes)
    # nodes that can reach a way out (a queue or an exit), by reverse search
    can_exit = {j for j, node in enumerate(tree.nodes) if any(b.node is None for b in node.branches)}
    changed = True
    while changed:
        changed = False
        for j, node in enumerate(tree.nodes):
            if j not in can_exit and any(b.node is not None and index[b.node] in can_exit for b in node.branches):
                can_exit.add(j)
                changed = True
    reachable = _reachable(tree, index)
    visits = np.full(n, np.inf)
    good = sorted(j for j in reachable if j in can_exit)
    if any(j not in can_exit for j in reachable):
        return np.where([j in reachable and j not in can_exit for j in range(n)], np.inf, 0.0)
    pos = {j: i for i, j in enumerate(good)}
    q = np.zeros((len(good), len(good)))
    for j in good:
        for branch in tree.nodes[j].branches:
            if branch.node is not None:
                q[pos[j], pos[index[branch.node]]] += branch.p
    start = np.zeros(len(good))
    start[pos[index[tree.start_node()]]] = 1.0
    try:
        v = np.linalg.solve((np.eye(len(good)) - q).T, start)
    except np.linalg.LinAlgError:
        return visits
    visits[:] = 0.0
    visits[good] = v
    return visits
