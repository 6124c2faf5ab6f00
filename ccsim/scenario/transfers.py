"""Transfers: at the end of its talk, a call may be transferred to another call type's queue.

A call type's ``transfers`` lists where its answered calls go when their talk ends:
``{to: after_sales, p: 0.1}`` sends 10 % of them to ``after_sales``'s queue. The
caller keeps its identity (caller number, attempt, source, media channel), its line,
and its retrial settings; the new leg draws its own handle time, patience and
after-call work as any call reaching that type does. The probabilities of one call
type add up to at most 1 (the rest end after their talk). A transfer to the same
call type is allowed (a second agent of the same skill). A set of call types whose
transfers are certain (they add up to 1) and lead only among themselves would pass
a served caller on forever: refused.

A call type's ``consult`` lengthens some talks: with probability ``p`` the agent consults
(a colleague, a supervisor, a system) and the talk gets an extra ``duration``, drawn from
its own distribution (not scaled by the agent's proficiency).
"""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from . import limits as L
from .distributions import Distribution

Name = Annotated[str, Field(min_length=1, max_length=L.MAX_NAME, pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")]
Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
# Probabilities of one call type adding up to 1 within this are "certain" (a loop check);
# more than 1 + this is refused.
TOLERANCE = 1e-9


class Transfer(BaseModel):
    """Where a share of a call type's answered calls goes when their talk ends."""

    model_config = ConfigDict(extra="forbid", strict=True)  # "0.5" is text and true is not 1

    to: Name = Field(description="the call type (call_types[].name) whose queue takes the transferred caller")
    p: Probability = Field(description="probability that an answered call of this type is transferred there")


class Consult(BaseModel):
    """Some talks of this call type include a consult, which lengthens them."""

    model_config = ConfigDict(extra="forbid", strict=True)  # "0.5" is text and true is not 1

    p: Probability = Field(description="probability that an answered call includes a consult")
    duration: Distribution = Field(description="the consult's extra talk time (seconds), a distribution")


def _err(message: str, path: str):
    return PydanticCustomError("transfers", message.replace("{", "{{").replace("}", "}}"), {"path": path})


def check_transfers(s) -> None:
    """Every ``to`` names a call type, each call type's probabilities add up to at most 1, and
    no caller can be transferred forever (called by ``Scenario``)."""
    index = {c.name: k for k, c in enumerate(s.call_types)}
    for i, c in enumerate(s.call_types):
        for j, t in enumerate(c.transfers):
            if t.to not in index:
                raise _err(f"call type '{c.name}' transfers to '{t.to}', which is not defined "
                           f"(call types: {', '.join(sorted(index))})", f"call_types[{i}].transfers[{j}].to")
        total = sum(t.p for t in c.transfers)
        if total > 1.0 + TOLERANCE:
            raise _err(f"the transfer probabilities of call type '{c.name}' add up to {total:g}, more than 1",
                       f"call_types[{i}].transfers")
    endless = _endless(s, index)
    if endless:
        names = [s.call_types[k].name for k in endless]
        raise _err(f"call types {', '.join(names)} transfer every answered call (probabilities adding up to 1) "
                   "only among themselves: a served caller would be transferred forever; lower a probability",
                   f"call_types[{endless[0]}].transfers")


def _endless(s, index: dict) -> list[int]:
    """The call types from which a caller served at every leg is transferred forever: those that
    cannot reach (through transfers of positive probability) a type whose calls may end."""
    n = len(s.call_types)
    targets = [[index[t.to] for t in c.transfers if t.p > 0.0] for c in s.call_types]
    can_end = [sum(t.p for t in c.transfers) < 1.0 - TOLERANCE for c in s.call_types]
    changed = True
    while changed:  # at most n rounds: each adds a type
        changed = False
        for k in range(n):
            if not can_end[k] and any(can_end[j] for j in targets[k]):
                can_end[k] = changed = True
    return [k for k in range(n) if not can_end[k]]
