"""The state file: a snapshot of the center at a clock time (YAML, checked before any run).

::

    clock: "14:00"            # or seconds from the scenario's time 0
    waiting:                  # callers in queue: their elapsed waits
      - {call_type: sales, waited: 95, count: 12}
      - {call_type: service, waited: 30, priority: 1}
    busy:                     # agents talking: the elapsed talk time of their call
      - {group: sales_team, count: 20, call_type: sales, elapsed: 60}
      - {agent: sales_team-3, call_type: sales, elapsed: 400}
    away:                     # agents on a break or away: the time left
      - {group: sales_team, count: 5, remaining: 1800}

Everything else is as the scenario's schedules say at that clock time (agents on duty and not
listed are idle). The checks against a scenario are in ``start``.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..scenario import limits as L
from ..scenario.problems import FILE, Problem, ScenarioError, format_path
from ..scenario.yaml_reader import decode, read_yaml

DAY = 86400.0
MAX_ELAPSED = DAY  # a wait, a talk or an absence longer than a day is a mistake in the file
MAX_COUNT = 100_000  # callers or agents in one entry, and callers waiting in all
HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

Elapsed = Annotated[float, Field(ge=0.0, le=MAX_ELAPSED, allow_inf_nan=False, strict=False)]
Count = Annotated[int, Field(ge=1, le=MAX_COUNT, strict=True)]
Name = Annotated[str, Field(min_length=1, max_length=L.MAX_LABEL)]


class StateError(ScenarioError):
    """A state file that cannot be used (on its own, or with the scenario it starts)."""

    kind = "state"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Waiting(_Model):
    """Callers waiting in a queue at the clock time."""

    call_type: Name = Field(description="the call type they wait for")
    waited: Elapsed = Field(description="seconds waited so far (their patience is conditioned on it)")
    count: Count = Field(default=1, description="callers with this wait")
    priority: Annotated[int, Field(ge=0, le=99, strict=True)] = Field(default=0, description=(
        "their priority level in the queue (a menu branch's priority); 0 = none"))
    channel: Optional[Name] = Field(default=None, description="media channel they came from; absent = organic")


class _Agents(_Model):
    """One agent (``agent``: its id, a roster member's or GROUP-n) or ``count`` agents of ``group``."""

    agent: Optional[Name] = None
    group: Optional[Name] = None
    count: Optional[Count] = None

    @model_validator(mode="after")
    def _one_way(self):
        if (self.agent is None) == (self.group is None):
            raise PydanticCustomError("agents", "give either agent (an agent id) or group (with count)")
        if self.agent is not None and self.count is not None:
            raise PydanticCustomError("agents", "count goes with group, not with agent (one agent)")
        return self

    @property
    def how_many(self) -> int:
        return 1 if self.agent is not None else (self.count or 1)


class Busy(_Agents):
    """Agents talking at the clock time."""

    call_type: Name = Field(description="the call type of the call they talk on")
    elapsed: Elapsed = Field(description="seconds of talk so far (the rest is conditioned on it)")


class Away(_Agents):
    """Agents on a break or away at the clock time; back (if on duty then) after ``remaining``."""

    remaining: Elapsed = Field(description="seconds until they are back")


class State(_Model):
    """A snapshot of the center (see the module docstring)."""

    clock: Union[Annotated[float, Field(ge=0.0, allow_inf_nan=False, strict=False)], str] = Field(description=(
        "the clock time of the snapshot: seconds from the scenario's time 0, or \"HH:MM\" on day 1"))
    waiting: list[Waiting] = Field(default=[], max_length=10_000)
    busy: list[Busy] = Field(default=[], max_length=10_000)
    away: list[Away] = Field(default=[], max_length=10_000)

    @field_validator("clock", mode="before")
    @classmethod
    def _clock_value(cls, clock):
        """One message for a clock of the wrong kind (not pydantic's two, one per kind it tried)."""
        if isinstance(clock, bool) or not isinstance(clock, (int, float, str)):
            raise PydanticCustomError("clock", "expected seconds or \"HH:MM\", found {found}",
                                      {"found": repr(clock)[:40]})
        if not isinstance(clock, str) and not (math.isfinite(clock) and clock >= 0):
            raise PydanticCustomError("clock", "expected a finite number of seconds >= 0, found {found}",
                                      {"found": repr(clock)})
        return clock

    @field_validator("clock")
    @classmethod
    def _clock_text(cls, clock):
        if isinstance(clock, str) and not HHMM.match(clock.strip()):
            raise PydanticCustomError("clock", "expected seconds or \"HH:MM\" (00:00 to 23:59), found {found}",
                                      {"found": repr(clock[:40])})  # (pydantic fills {name} only)
        return clock

    @model_validator(mode="after")
    def _waiting_total(self):
        """The callers waiting in all (10,000 entries of 100,000 would be a billion callers to list)."""
        total = sum(w.count for w in self.waiting)
        if total > MAX_COUNT:
            raise PydanticCustomError("waiting", "waiting: {total} callers in all, at most {most}",
                                      {"total": f"{total:,}", "most": f"{MAX_COUNT:,}"})
        return self

    def clock_seconds(self) -> float:
        """The clock in seconds from time 0 ("HH:MM" on day 1)."""
        if isinstance(self.clock, str):
            hours, minutes = HHMM.match(self.clock.strip()).groups()
            return 3600.0 * int(hours) + 60.0 * int(minutes)
        return float(self.clock)


def validate_state(data, source: str = "<dict>") -> State:
    """A ``State`` from plain data; a ``ScenarioError`` naming ``source`` and each bad field's path."""
    if not isinstance(data, dict):
        raise StateError(source, [Problem("(top level)", f"a state is a mapping (clock, waiting, busy, away), "
                                             f"found {type(data).__name__}")])
    try:
        return State.model_validate(data)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and ("[" in p or p in ("str", "float"))))
            problems.append(Problem(format_path(loc) or "(top level)", e["msg"]))
        raise StateError(source, problems[:10]) from None


def parse_state(text: str, source: str = "<string>") -> State:
    try:
        data, _ = read_yaml(text, source)
    except ScenarioError as err:  # malformed YAML: an invalid state file, not scenario
        raise StateError(err.source, err.problems) from None
    return validate_state(data, source)


def load_state(path) -> State:
    """Read and check a state file (no scenario yet: ``start.with_state`` checks it against one)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise StateError(str(path), [Problem(FILE, f"cannot read the state file: {err.strerror or err}")]) from None
    try:
        text = decode(data, str(path))
    except ScenarioError as err:  # not UTF-8 text: an invalid state file, not scenario
        raise StateError(err.source, err.problems) from None
    return parse_state(text, str(path))
