"""The scenario format: pydantic models, validated before any engine runs.

Units: times in seconds, rates in calls per ``per`` (second by default).
Unknown keys are errors everywhere (``extra="forbid"``).
"""
from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from .distributions import Distribution, NoBool, NonNegativeFloat, Positive

Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")]

Fraction = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False), NoBool]

PER_SECONDS = {"second": 1.0, "minute": 60.0, "hour": 3600.0}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PoissonArrivals(_Model):
    """Poisson arrivals at a constant rate."""

    process: Literal["poisson"]
    rate: Positive
    per: Literal["second", "minute", "hour"] = "second"

    def rate_per_second(self) -> float:
        return self.rate / PER_SECONDS[self.per]


class PiecewiseArrivals(_Model):
    """Poisson arrivals whose rate is constant within each of consecutive slots.

    ``rates[i]`` holds in [i*slot, (i+1)*slot); the profile repeats after the
    last slot (a daily profile over a week-long horizon) unless ``repeat`` is false,
    in which case the rate is zero after it. ``slot`` defaults to the scenario's
    reporting ``interval``.
    """

    process: Literal["piecewise"]
    rates: list[NonNegativeFloat] = Field(min_length=1)
    slot: Optional[Positive] = None
    per: Literal["second", "minute", "hour"] = "second"
    repeat: bool = True

    @model_validator(mode="after")
    def _some_traffic(self):
        if not any(r > 0 for r in self.rates):
            raise ValueError("all rates are zero: the call type would never ring")
        return self

    def rates_per_second(self) -> list[float]:
        return [r / PER_SECONDS[self.per] for r in self.rates]


Arrivals = Annotated[Union[PoissonArrivals, PiecewiseArrivals], Field(discriminator="process")]


class CallType(_Model):
    """A kind of call with its own queue, traffic and durations."""

    name: Name
    arrivals: Arrivals
    handle_time: Distribution
    patience: Optional[Distribution] = Field(
        default=None, description="time a caller waits before hanging up; absent = infinite, 0 = never waits"
    )
    after_call_work: Optional[Distribution] = Field(default=None, description="absent = none")
    service_level_target: Optional[Fraction] = Field(
        default=None, description="goal for this call type's service level (fraction, 0.8 = 80 %); "
                                  "absent = the scenario-wide service_level.target")


class AgentGroup(_Model):
    """Identical agents: how many, which call types they take, how fast."""

    name: Name
    count: Annotated[int, NoBool] = Field(ge=1)
    serves: list[Name] = Field(min_length=1)
    proficiency: Positive = Field(default=1.0, description="multiplies handle time (0.8 = 20 % faster)")


class ServiceLevel(_Model):
    """Service level: answered within ``threshold`` seconds over a denominator.

    ``offered`` (default): answered within T / offered.
    ``answered``: answered within T / answered.
    ``offered_excl_short_abandons``: answered within T / (offered - abandoned within ``short_abandon``).
    """

    threshold: NonNegativeFloat = 20.0
    denominator: Literal["offered", "answered", "offered_excl_short_abandons"] = "offered"
    short_abandon: NonNegativeFloat = 0.0
    target: Optional[Fraction] = Field(
        default=None, description="goal for every call type's service level (fraction, 0.8 = 80 %); "
                                  "reports say whether it is met, overall and per interval")


class Routing(_Model):
    """How the ACD picks an agent for a call and a call for a freed agent."""

    agent_selection: Literal["longest_idle"] = "longest_idle"
    queue_selection: Literal["longest_waiting"] = "longest_waiting"


class Scenario(_Model):
    """A whole contact center and how long to simulate it."""

    name: str = ""
    description: str = ""
    horizon: Positive = Field(description="arrivals stop here (seconds)")
    warmup: NonNegativeFloat = Field(default=0.0, description="statistics of calls arriving before are discarded")
    interval: Positive = Field(default=900.0, description="reporting interval (seconds)")
    drain: bool = Field(default=True, description="let calls in system at the horizon finish")
    lines: Optional[Annotated[int, NoBool]] = Field(default=None, ge=1, description="trunks; absent = unlimited")
    service_level: ServiceLevel = ServiceLevel()
    routing: Routing = Routing()
    call_types: list[CallType] = Field(min_length=1)
    agents: list[AgentGroup] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self):
        if self.warmup >= self.horizon:
            raise PydanticCustomError(
                "warmup_too_long",
                "warm-up ({warmup} s) must be shorter than the horizon ({horizon} s)",
                {"path": "warmup", "warmup": self.warmup, "horizon": self.horizon},
            )
        _unique(self.call_types, "call_types")
        _unique(self.agents, "agents")
        known = {c.name for c in self.call_types}
        for i, group in enumerate(self.agents):
            for j, name in enumerate(group.serves):
                if name not in known:
                    raise PydanticCustomError(
                        "unknown_call_type",
                        "agent group '{group}' serves call type '{name}', which is not defined "
                        "(call types: {known})",
                        {"path": f"agents[{i}].serves[{j}]", "group": group.name, "name": name,
                         "known": ", ".join(sorted(known))},
                    )
        served = {n for g in self.agents for n in g.serves}
        for i, call_type in enumerate(self.call_types):
            if call_type.name not in served:
                raise PydanticCustomError(
                    "unserved_call_type",
                    "no agent group serves call type '{name}'",
                    {"path": f"call_types[{i}].name", "name": call_type.name},
                )
        return self

    def call_type_index(self) -> dict[str, int]:
        return {c.name: i for i, c in enumerate(self.call_types)}


def _unique(items, field):
    seen = {}
    for i, item in enumerate(items):
        if item.name in seen:
            raise PydanticCustomError(
                "duplicate_name",
                "name '{name}' is used twice in {field} (also at {field}[{first}])",
                {"path": f"{field}[{i}].name", "name": item.name, "field": field, "first": seen[item.name]},
            )
        seen[item.name] = i
