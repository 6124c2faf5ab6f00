"""The scenario format: pydantic models, validated before any engine runs.

Units: times in seconds, rates in calls per ``per`` (second by default).
Unknown keys are errors everywhere (``extra="forbid"``); numbers must be numbers
(``strict``: a quoted "190" is text), finite, and within the bounds of ``limits``.

Rules that tie fields together are checked here, after the fields, and are not in
the JSON Schema: warm-up shorter than the horizon; the number of reporting
intervals, of slots crossed by a piecewise profile and of per-interval statistics
cells; total agents; total rates and empirical values; unique names; served
call types that exist and call types that someone serves; uniform ``high >= low``;
triangular ``low <= mode <= high``, ``low < high``; mixture weights summing to 1 and
no mixture inside a mixture; periods of the day starting at "00:00", strictly increasing;
a piecewise profile that is not all zeros; a weekly pattern on a daily profile
(a slot dividing a day, rates covering it, weekday factors not all zero, a
profile that repeats; ``start_weekday`` only with ``weekdays``); busyness on a
slot dividing a day, its ``cv`` 0 or at least ``CV_MIN``; empirical ``values``
or ``csv`` with ``column`` (and the CSV file's content); replayed arrivals: ``csv`` or
``times``, times sorted, ``repeat_every`` at least the last time, no busyness or weekdays
(and the CSV file's content, ``replay_csv``); a media schedule (below).

Media: ad-driven arrivals
-------------------------
An airing at time s of a channel with ``calls_per_unit`` r and amount A (its
spend or GRP, per the channel's ``unit``) adds A r f(t - s) to its call type's
arrival intensity, f the density of the channel's response delay (``spike``:
Exponential(mean ``decay``); ``gamma``: ``delay`` + Gamma(``shape``, ``mean`` /
``shape``)). The engines sample this exactly, by order statistics: at time s
they draw N ~ Poisson(A r), then N iid delays from f, and ring a call at each
s + delay before the horizon. Why this is the non-homogeneous Poisson process
of intensity A r f(t - s): for a Poisson process of intensity lambda(t) with
finite integral Lambda, the number of points is Poisson(Lambda) and, given it,
the points are iid with density lambda / Lambda (the order-statistics property,
which characterises the process); here lambda / Lambda = f(t - s). Dropping
points at or after the horizon is restricting the process to [0, horizon).
Airings and the base profile are independent (each channel draws from its own
stream), and a superposition of independent Poisson processes is the Poisson
process of the summed intensity: a call type rings at its base rate plus the
response curves of all its airings, exactly.

Media rules checked here: channel names unique, each channel's call type
defined; an airing's channel defined, its time in [0, horizon) ("airings
outside the horizon" never ring and are refused), spend and grp >= 0, grp
present when its channel counts in grp; a schedule that is not empty, at most
``MAX_AIRINGS`` airings; CSV rows sorted by time. A call type needs arrivals,
or a channel that rings it.
"""
from __future__ import annotations

import math
import numbers
from typing import Annotated, ClassVar, Literal, Optional, Union

from pathlib import Path

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from . import limits as L
from .distributions import Duration, Empirical, PositiveSeconds, Seconds
from .workforce import Workforce, check_workforce
from .hours import Announcement, Callback, Hours, Voicemail, check_hours
from .shifts import Shift, Shrinkage, check_shifts
from .agents import Member, Population, check_agents
from .routing import Routing, check_routing
from .staffing import Staffing, staffed_shifts
from .inbound import Ivr, QueuePool, Retrials, check_inbound
from .transfers import Consult, Transfer, check_transfers
from .funnel import Funnel, check_funnel
from .costs import Costs, check_costs
from .media_csv import read_airings_csv
from .replay_csv import read_replay_csv

Name = Annotated[str, Field(min_length=1, max_length=L.MAX_NAME, pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$",
                            description=f"letters, digits, '_' or '-', starting with a letter or '_' "
                                        f"(1 to {L.MAX_NAME} characters)")]
Fraction = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Rate = Annotated[float, Field(ge=0, le=L.MAX_RATE, allow_inf_nan=False)]
PositiveRate = Annotated[float, Field(gt=0, le=L.MAX_RATE, allow_inf_nan=False)]
GroupFactor = Annotated[float, Field(ge=L.PROFICIENCY_MIN, le=L.PROFICIENCY_MAX, allow_inf_nan=False)]

PER_SECONDS = {"second": 1.0, "minute": 60.0, "hour": 3600.0}


def _whole_number(value):
    # numpy's integers (a count from np.arange) are whole numbers too; strict mode alone refuses them
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, int)):
        return int(value)
    return value


WholeNumber = BeforeValidator(_whole_number)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WeekdayFactor = Annotated[float, Field(ge=0, le=L.WEEKDAY_FACTOR_MAX, allow_inf_nan=False)]


class Busyness(_Model):
    """A random busyness factor per day: doubly stochastic Poisson arrivals.

    On each day d of the horizon ([d*86400, (d+1)*86400) seconds) the call type's
    rates are multiplied by an independent gamma factor of mean 1 and the given
    ``cv``, drawn per replication from the call type's own ``busyness`` stream.
    A day's count then has variance mean + mean^2 cv^2 instead of the mean.
    """

    cv: float = Field(ge=0, le=L.BUSYNESS_CV_MAX, allow_inf_nan=False, description=(
        f"coefficient of variation (std / mean) of the daily factor: 0 (no busyness) or from "
        f"{L.CV_MIN:g} to {L.BUSYNESS_CV_MAX:g}"))


class PoissonArrivals(_Model):
    """Poisson arrivals at a constant rate."""

    process: Literal["poisson"]
    rate: PositiveRate = Field(description=f"calls per 'per' (> 0, at most {L.MAX_RATE:g})")
    per: Literal["second", "minute", "hour"] = "second"
    busyness: Optional[Busyness] = Field(default=None, title="Busyness",
                                         description="a random factor per day; absent = none")

    def rate_per_second(self) -> float:
        return self.rate / PER_SECONDS[self.per]

    def profile(self, interval: float, horizon: float) -> tuple[list[float], float, bool]:
        """(rates per second, slot in seconds, repeat) as the engines walk them."""
        return [self.rate_per_second()], horizon, True


class PiecewiseArrivals(_Model):
    """Poisson arrivals whose rate is constant within each of consecutive slots.

    ``rates[i]`` holds in [i*slot, (i+1)*slot); the profile repeats after the
    last slot (a daily profile over a week-long horizon) unless ``repeat`` is false,
    in which case the rate is zero after it. ``slot`` defaults to the scenario's
    reporting ``interval``.

    A weekly pattern: with ``weekdays`` (seven factors, Monday to Sunday) the
    profile is a daily one (``rates`` x ``slot`` = 86,400 s) and day d of the
    horizon rings at its rates times the factor of its weekday, counted from
    ``start_weekday`` at time 0; the week repeats.
    """

    process: Literal["piecewise"]
    rates: list[Rate] = Field(min_length=1, max_length=L.MAX_LIST_VALUES, description=(
        f"calls per 'per' in each slot (each >= 0 and at most {L.MAX_RATE:g}; 1 to {L.MAX_LIST_VALUES:,} slots)"))
    slot: Optional[PositiveSeconds] = Field(default=None, description=(
        f"seconds per rate (> 0); the horizon may cross at most {L.MAX_SLOTS:,} slots; absent = the interval; "
        f"with weekdays or busyness a whole fraction of a day ({L.DAY:,.0f} s / slot a whole number)"))
    per: Literal["second", "minute", "hour"] = "second"
    repeat: bool = Field(default=True, description="the profile repeats after its last slot; false = rate zero "
                                                   "after it (not with weekdays)")
    weekdays: Optional[list[WeekdayFactor]] = Field(default=None, min_length=7, max_length=7, description=(
        f"factors Monday to Sunday multiplying a daily profile (rates x slot = {L.DAY:,.0f} s): 7 numbers, "
        f"each >= 0 and at most {L.WEEKDAY_FACTOR_MAX:g}, not all zero; absent = every day alike"))
    start_weekday: Optional[Literal[WEEKDAYS]] = Field(default=None, description=(
        "weekday of time 0 (monday to sunday; only with weekdays); absent = monday"))
    busyness: Optional[Busyness] = Field(default=None, title="Busyness",
                                         description="a random factor per day; absent = none")

    @model_validator(mode="after")
    def _some_traffic(self):
        if not any(r > 0 for r in self.rates):
            raise ValueError("all rates are zero: the call type would never ring")
        return self

    def rates_per_second(self) -> list[float]:
        return [r / PER_SECONDS[self.per] for r in self.rates]

    def profile(self, interval: float, horizon: float) -> tuple[list[float], float, bool]:
        """(rates per second, slot in seconds, repeat) as the engines walk them: a
        weekly pattern becomes a 7-day profile starting on ``start_weekday``."""
        rates, slot = self.rates_per_second(), self.slot or interval
        if self.weekdays is None:
            return rates, slot, self.repeat
        first = WEEKDAYS.index(self.start_weekday or "monday")
        return [r * self.weekdays[(first + day) % 7] for day in range(7) for r in rates], slot, True


class ReplayArrivals(_Model):
    """Recorded arrival times replayed as they are: one call rings at each time (< horizon).

    The times (seconds from the start of the run, sorted; equal times are several
    calls at one instant) come from ``column`` of a CSV file, optionally only the rows
    whose ``call_type_column`` holds ``value``; a relative path is taken from the
    scenario file's folder. They are read at validation and inlined (``times``), so
    the validated model is self-contained. ``shift`` is added to every time; with
    ``repeat_every`` P the recorded pattern repeats: time t also rings at t + P,
    t + 2P, ... (P at least the last time). No randomness is drawn for these calls.
    """

    process: Literal["replay"]
    csv: Optional[Annotated[str, Field(min_length=1, max_length=L.MAX_PATH)]] = Field(
        default=None, description="a CSV file with a header row, one row per call; relative to the scenario's "
                                  "folder (read at validation into times)")
    column: Optional[Annotated[str, Field(min_length=1, max_length=256)]] = Field(
        default=None, description="the header of the column of times (seconds, sorted); absent = 'time'")
    call_type_column: Optional[Annotated[str, Field(min_length=1, max_length=256)]] = Field(
        default=None, description="a column naming each row's call type: only rows holding 'value' are replayed")
    value: Optional[Union[Annotated[str, Field(max_length=256)], int]] = Field(
        default=None, description="the call_type_column cell of the rows to replay")
    times: Optional[Annotated[list[Seconds], Field(min_length=1, max_length=L.MAX_REPLAY_CALLS)]] = Field(
        default=None, description=f"or the recorded times inline (seconds, sorted, each >= 0; 1 to "
                                  f"{L.MAX_REPLAY_CALLS:,})")
    shift: Seconds = Field(default=0.0, description="seconds added to every recorded time")
    repeat_every: Optional[PositiveSeconds] = Field(default=None, description=(
        "the recorded pattern repeats every this many seconds (at least the last recorded time); "
        "absent = played once"))
    busyness: ClassVar[None] = None  # a recorded day has no random daily factor

    @model_validator(mode="before")
    @classmethod
    def _no_random_factors(cls, data):
        if isinstance(data, dict):
            for key in ("busyness", "weekdays"):
                if key in data:
                    raise PydanticCustomError(
                        "replay", "{key} is not allowed with replay: recorded times ring exactly as recorded "
                        "(repeat them with repeat_every; use a poisson or piecewise process for {key})",
                        {"key": key})
        return data

    @model_validator(mode="after")
    def _load(self, info: ValidationInfo):
        if (self.times is None) == (self.csv is None):
            raise ValueError("give either 'csv' (a file of recorded times) or 'times' (a list), not both or neither")
        if (self.call_type_column is None) != (self.value is None):
            raise ValueError("'call_type_column' and 'value' go together: the column naming each row's call "
                             "type, and the value of the rows to replay")
        if self.csv is not None:
            self._read(Path((info.context or {}).get("base_dir", ".")) / self.csv)
        elif self.call_type_column is not None or self.column is not None:
            raise ValueError("'column', 'call_type_column' and 'value' are only meaningful with 'csv'")
        else:
            for i in range(1, len(self.times)):
                if self.times[i] < self.times[i - 1]:
                    raise ValueError(f"times[{i}] ({self.times[i]:g}) is earlier than times[{i - 1}] "
                                     f"({self.times[i - 1]:g}): recorded times must be sorted")
            if self.repeat_every is not None and self.repeat_every < self.times[-1]:
                raise ValueError(f"repeat_every ({self.repeat_every:g} s) is shorter than the last recorded time "
                                 f"({self.times[-1]:g} s): the repeated patterns would overlap")
        return self

    def _read(self, path: Path) -> None:
        """Read the CSV's times into ``times`` (the model becomes self-contained)."""
        value = None if self.value is None else str(self.value)
        try:
            times, lines = read_replay_csv(path, self.column or "time", self.call_type_column, value)
        except ValueError as err:
            raise PydanticCustomError("replay", "{message}", {"message": str(err)}) from None
        if self.repeat_every is not None and self.repeat_every < times[-1]:
            raise PydanticCustomError("replay", "{message}", {"message": (
                f"{path}, line {lines[-1]}: the last recorded time ({times[-1]:g} s) is after repeat_every "
                f"({self.repeat_every:g} s): the repeated patterns would overlap")})
        for name, v in (("times", times), ("csv", None), ("column", None), ("call_type_column", None),
                        ("value", None)):
            object.__setattr__(self, name, v)

    def occurrences(self, horizon: float) -> float:
        """Calls rung before ``horizon`` (float: may be huge with a tiny repeat_every)."""
        import bisect
        first = [t + self.shift for t in self.times]
        if self.repeat_every is None:
            return float(bisect.bisect_left(first, horizon))
        cycles = [(horizon - t) / self.repeat_every for t in first if t < horizon]
        return float(sum(math.ceil(n) if n < 2**62 else math.inf for n in cycles))


Arrivals = Annotated[Union[PoissonArrivals, PiecewiseArrivals, ReplayArrivals], Field(discriminator="process")]


def slots_per_day(slot: float) -> int:
    """Slots in a day if ``slot`` divides 86,400 s exactly (in floating point), else 0."""
    n = L.DAY / slot  # a tiny slot gives inf: not a divisor
    return int(n) if math.isfinite(n) and n >= 1 and n == math.floor(n) and math.floor(n) * slot == L.DAY else 0


class CallType(_Model):
    """A kind of call with its own queue, traffic and durations."""

    name: Name
    arrivals: Optional[Arrivals] = Field(default=None, description=(
        "calls dialling this call type straight (no menu); absent = only calls a menu routes or a "
        "media channel rings here"))
    handle_time: Duration = Field(description="a distribution, or one per period of the day (by_period)")
    patience: Optional[Duration] = Field(
        default=None, description="time a caller waits before hanging up (a distribution, or one per period "
                                  "of the day); absent = infinite, 0 = never waits"
    )
    after_call_work: Optional[Duration] = Field(default=None, description="a distribution, or one per period "
                                                                          "of the day; absent = none")
    service_level_target: Optional[Fraction] = Field(
        default=None, description="goal for this call type's service level (fraction, 0.8 = 80 %); "
                                  "absent = the scenario-wide service_level.target")
    service_level_threshold: Optional[Seconds] = Field(
        default=None, description=f"seconds within which an answer counts for this call type's service level "
                                  f"(>= 0, at most {L.MAX_SECONDS:g}); absent = the scenario-wide "
                                  "service_level.threshold")
    queue_capacity: Optional[Annotated[int, Field(ge=0, le=L.INT32_MAX), WholeNumber]] = Field(
        default=None, description="callers waiting at most in this queue (a caller routed to a full queue "
                                  "is blocked); absent = unlimited")
    queue_full_message: Optional[Seconds] = Field(
        default=None, description="seconds of the 'all agents busy' message a caller routed to a full queue "
                                  "hears (holding a line) before the call ends; absent = blocked at once")
    retrials: Optional[Retrials] = Field(default=None, title="Retrials", description=(
        "callers of this call type who try again when blocked or after hanging up; absent = nobody does "
        "(callers reaching it through an entry's menu follow the entry's retrials)"))
    callback: Optional[Callback] = Field(default=None, title="Callback", description=(
        "virtual hold (a callback offered when the predicted wait is long) and how this type's callback "
        "items are dialled; absent = no offer, default dialling"))
    announcement: Optional[Announcement] = Field(default=None, title="Announcement", description=(
        "callers who must wait hear the predicted wait, which scales their patience; absent = none"))
    groups: Optional[list[Name]] = Field(default=None, min_length=1, max_length=L.MAX_GROUPS, description=(
        "the agent groups (agents[].name) serving this call type, in the order routing.agent_selection: "
        "ordered_groups tries them; if given, every group serving the type, each once; absent = the groups "
        "serving it in file order"))
    transfers: list[Transfer] = Field(default=[], max_length=L.MAX_CALL_TYPES, description=(
        "where answered calls of this type go when their talk ends: each {to: a call type, p: probability}; "
        "the caller keeps its identity, channel and line and joins that type's queue (probabilities add up "
        "to at most 1; the same type is allowed; absent = none)"))
    consult: Optional[Consult] = Field(default=None, title="Consult", description=(
        "with probability p an answered call's talk includes a consult of the given duration; absent = none"))


class Entry(_Model):
    """A number callers dial: its own arrivals, a line each, then an IVR menu."""

    name: Name
    arrivals: Arrivals
    ivr: Name = Field(description="the menu (ivr[].name) its callers walk")
    retrials: Optional[Retrials] = Field(default=None, title="Retrials", description=(
        "callers who try again when blocked or after hanging up in a queue; absent = nobody does"))


class AgentGroup(_Model):
    """Agents taking the same call types: ``count`` identical ones, named ``members`` or a drawn
    ``population`` (exactly one; ``scenario/agents.py``), how fast, and when they work."""

    name: Name
    count: Optional[Annotated[int, Field(ge=1, le=L.MAX_AGENTS), WholeNumber]] = Field(
        default=None, description=f"identical agents in the group (1 to {L.MAX_AGENTS:,}; all groups together at "
                                  f"most {L.MAX_AGENTS:,}); or members, or population")
    members: Optional[list[Member]] = Field(default=None, min_length=1, max_length=L.MAX_AGENTS, description=(
        "or the agents one by one (id, team, squad, leader, tenure, skills, abilities, own shifts)"))
    population: Optional[Population] = Field(default=None, title="Population", description=(
        "or agents drawn from distributions (with roster_seed), dealt to teams and squads"))
    serves: list[Name] = Field(min_length=1, max_length=L.MAX_CALL_TYPES, description="names of call types")
    proficiency: GroupFactor = Field(
        default=1.0, description=f"multiplies handle time (0.8 = 20 % faster); from {L.PROFICIENCY_MIN:g} "
                                 f"to {L.PROFICIENCY_MAX:g}")
    skills: dict[str, GroupFactor] = Field(default_factory=dict, max_length=L.MAX_CALL_TYPES, description=(
        "call type -> handle-time factor of the group for that type (types the group serves; absent = 1.0), "
        "times proficiency and each agent's own factor"))
    shifts: Optional[list[Shift]] = Field(default=None, max_length=L.MAX_AGENTS, description=(
        "when the agents work (scenario.shifts): shifts with weekdays, agent counts and breaks, the "
        "group's agents (those members without shifts of their own) given to them in order; absent = "
        "on duty all the time"))
    staffing: Optional[Staffing] = Field(default=None, title="Staffing", description=(
        "instead of shifts: agents required per interval, from which a roster of shifts is made "
        "(scenario.staffing; the scenario then holds the shifts)"))
    shrinkage: Shrinkage = Field(default=0.0, description=(
        "probability (0 <= p < 1) that an agent is absent for a day's shift (a shift's own shrinkage "
        "overrides it); drawn per replication from the group's own stream"))

    @model_validator(mode="after")
    def _roster(self):
        """A group's staffing becomes its roster of shifts (``staffing.staffed_shifts``)."""
        if self.staffing is not None:
            if self.shifts is not None:
                raise ValueError("give either 'shifts' or 'staffing' (required counts a roster is made from), not both")
            shifts = staffed_shifts(self.staffing)
            needed = sum(s.agents for s in shifts)
            if needed > self.size:
                raise ValueError(f"the roster made from staffing needs {needed} agents; the group has {self.size} agents "
                                 f"(give count: {needed} or more)")
            object.__setattr__(self, "shifts", shifts)
            object.__setattr__(self, "staffing", None)
        return self


    @property
    def size(self) -> int:
        """Agents in the group (0 while invalid: none of count, members, population)."""
        if self.members is not None:
            return len(self.members)
        if self.population is not None:
            return self.population.count
        return self.count or 0

    def type_factor(self, call_type: str) -> float:
        """The group's handle-time factor for ``call_type``: proficiency x its skill (float64)."""
        return float(self.proficiency) * float(self.skills.get(call_type, 1.0))

    def identical(self) -> bool:
        """Agents given by count, at one proficiency for every call type (today's identical agents)."""
        return self.count is not None and not self.skills


class ServiceLevel(_Model):
    """Service level: answered within ``threshold`` seconds over a denominator.

    ``offered`` (default): answered within T / offered.
    ``answered``: answered within T / answered.
    ``offered_excl_short_abandons``: answered within T / (offered - abandoned in under ``short_abandon``
    seconds: a wait < short_abandon; answered within T is a wait <= T).

    A call type may have its own T (``call_types[].service_level_threshold``); ``thresholds``
    lists more values of T at which every call type's service level is reported too.
    """

    threshold: Seconds = Field(default=20.0, description=f"seconds (>= 0, at most {L.MAX_SECONDS:g})")
    denominator: Literal["offered", "answered", "offered_excl_short_abandons"] = "offered"
    short_abandon: Seconds = Field(default=0.0, description=f"seconds (>= 0, at most {L.MAX_SECONDS:g})")
    target: Optional[Fraction] = Field(
        default=None, description="goal for every call type's service level (fraction, 0.8 = 80 %); "
                                  "reports say whether it is met, overall and per interval")
    thresholds: list[Seconds] = Field(default=[], max_length=L.MAX_SL_THRESHOLDS, description=(
        f"more thresholds (seconds, distinct, at most {L.MAX_SL_THRESHOLDS}) at which every call type's "
        "service level is also reported (same denominator), e.g. [10, 20, 30, 60]; absent = none"))

    @model_validator(mode="after")
    def _distinct_thresholds(self):
        seen = set()
        for i, t in enumerate(self.thresholds):
            if t in seen:
                raise PydanticCustomError("service_level", f"threshold {t:g} s is listed twice",
                                          {"path": f"service_level.thresholds[{i}]"})
            seen.add(t)
        return self


Amount = Annotated[float, Field(ge=0, le=L.MAX_AMOUNT, allow_inf_nan=False)]


class SpikeResponse(_Model):
    """Calls start at the airing and decay: delay ~ Exponential(mean ``decay``)."""

    kind: Literal["spike"]
    decay: PositiveSeconds = Field(description="mean delay from the airing to a call (seconds, > 0)")

    def delay_params(self) -> tuple[float, float, float]:
        """(fixed delay, shape, scale) of the engines' sampler; shape 0 = exponential."""
        return 0.0, 0.0, float(self.decay)


class GammaResponse(_Model):
    """Calls after a fixed ``delay`` plus a Gamma(``shape``, ``mean`` / ``shape``) time."""

    kind: Literal["gamma"]
    delay: Seconds = Field(default=0.0, description="fixed delay before the response starts (seconds)")
    mean: PositiveSeconds = Field(description="mean of the gamma part (seconds, > 0)")
    shape: float = Field(ge=L.RESPONSE_SHAPE_MIN, le=L.RESPONSE_SHAPE_MAX, allow_inf_nan=False, description=(
        f"gamma shape (from {L.RESPONSE_SHAPE_MIN:g} to {L.RESPONSE_SHAPE_MAX:g}; 1 = exponential)"))

    def delay_params(self) -> tuple[float, float, float]:
        return float(self.delay), float(self.shape), self.mean / self.shape


Response = Annotated[Union[SpikeResponse, GammaResponse], Field(discriminator="kind")]


class Channel(_Model):
    """A media channel: the call type its airings ring, how many calls a unit brings, and when."""

    name: Name
    call_type: Optional[Name] = Field(default=None, description="the call type its calls ring straight")
    entry: Optional[Name] = Field(default=None, description=(
        "or the entry (a number with an IVR menu) its calls ring; give exactly one of call_type and entry"))
    calls_per_unit: float = Field(ge=0, le=L.MAX_CALLS_PER_UNIT, allow_inf_nan=False, description=(
        f"expected calls per unit of an airing's amount (>= 0, at most {L.MAX_CALLS_PER_UNIT:g})"))
    unit: Literal["spend", "grp"] = Field(default="spend", description="what an airing's amount is: spend or grp")
    response: Response


    @model_validator(mode="after")
    def _one_target(self):
        if (self.call_type is None) == (self.entry is None):
            raise ValueError("a channel rings exactly one of 'call_type' or 'entry'")
        return self

    def target(self) -> str:
        """The name of the call type or entry its calls ring."""
        return self.call_type if self.call_type is not None else self.entry


class Airing(_Model):
    """One airing: when, on which channel, its spend and (optional) GRP."""

    time: Seconds = Field(description="seconds from the start of the run (>= 0, before the horizon)")
    channel: Name
    spend: Amount = Field(description=f"money spent on the airing (>= 0, at most {L.MAX_AMOUNT:g})")
    grp: Optional[Amount] = Field(default=None, description="gross rating points (needed if the channel's unit "
                                                            "is grp)")


class AiringsCsv(_Model):
    """A CSV file of airings: columns time, channel, spend and (optional) grp, rows sorted by time."""

    path: Annotated[str, Field(min_length=1, max_length=L.MAX_PATH)] = Field(
        description="relative to the scenario's folder")


class Media(_Model):
    """Ad-driven arrivals: channels and the airings of a media schedule.

    An airing of amount A (spend or GRP) on a channel adds A x ``calls_per_unit`` x
    f(t - s) to the channel's call type's arrival rate, f the density of its
    response delay; the engines sample it exactly (a Poisson count, then its delays).
    CSV airings are read at validation and appended after the inline ones (the
    airing index of the reports is this order); the model is then
    self-contained (``airings_csv`` cleared), wherever it runs.
    """

    channels: list[Channel] = Field(min_length=1, max_length=L.MAX_CHANNELS,
                                    description=f"1 to {L.MAX_CHANNELS:,} channels")
    airings: Optional[list[Airing]] = Field(default=None, min_length=1, max_length=L.MAX_AIRINGS, description=(
        f"inline airings (1 to {L.MAX_AIRINGS:,}, with the CSV ones)"))
    airings_csv: Optional[AiringsCsv] = Field(default=None, title="Airings CSV")
    # (file, line) of each airing read from CSV, by airing index; None for inline ones
    _origins: list = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _schedule(self, info: ValidationInfo):
        _unique(self.channels, "media.channels")
        units = {c.name: c.unit for c in self.channels}
        inline = list(self.airings or [])
        if not inline and self.airings_csv is None:
            raise PydanticCustomError("media", "an empty schedule: give airings (a list) or airings_csv "
                                      "(a CSV file), or leave media out", {"path": "media"})
        for j, airing in enumerate(inline):
            where = f"media.airings[{j}]"
            if airing.channel not in units:
                raise PydanticCustomError("media", "channel '{name}' is not defined in media.channels (channels: "
                                          "{known})", {"path": f"{where}.channel", "name": airing.channel,
                                                       "known": ", ".join(sorted(units))})
            if units[airing.channel] == "grp" and airing.grp is None:
                raise PydanticCustomError("media", "channel '{name}' counts in grp, so this airing needs a grp",
                                          {"path": f"{where}.grp", "name": airing.channel})
        origins = [None] * len(inline)
        if self.airings_csv is not None:
            path = Path((info.context or {}).get("base_dir", ".")) / self.airings_csv.path
            try:
                rows = read_airings_csv(path, units, len(inline))
            except ValueError as err:
                raise PydanticCustomError("media", "{message}", {"path": "media.airings_csv.path",
                                                                 "message": str(err)}) from None
            inline += [Airing.model_construct(**fields) for fields, _ in rows]
            origins += [(str(path), line) for _, line in rows]
            object.__setattr__(self, "airings", inline)
            object.__setattr__(self, "airings_csv", None)
        self._origins = origins
        return self

    def amount(self, airing: Airing, channel: Channel) -> float:
        """The airing's amount in its channel's unit."""
        return float(airing.grp if channel.unit == "grp" else airing.spend)


CheckReps = Annotated[int, Field(ge=2, le=L.MAX_CHECK_REPS), WholeNumber]


class Checks(_Model):
    """The center's KPI targets for ``ccsim check`` (``ccsim run`` ignores them).

    Only the structure is checked here; ``ccsim check`` reads each expectation
    (``ccsim.check.expressions``) and names ``checks.expect[i]`` and its line.
    The options are defaults: ``ccsim check``'s own options override them.
    """

    expect: list[Annotated[str, Field(min_length=1, max_length=L.MAX_TEXT)]] = Field(
        min_length=1, max_length=L.MAX_CHECKS, description=(
            f"1 to {L.MAX_CHECKS:,} expectations, e.g. 'service_level >= 0.80', 'abandon_rate[sales] <= 5%', "
            "'service_level >= 0.7 every interval 09:00-21:00' (see the guide to ccsim check)"))
    alpha: Optional[Annotated[float, Field(ge=L.MIN_CHECK_ALPHA, lt=0.5, allow_inf_nan=False)]] = Field(
        default=None, description=f"the chance that any verdict is wrong is at most this ({L.MIN_CHECK_ALPHA:g} "
                                  f"to < 0.5); "
                                  f"absent = {L.CHECK_ALPHA:g}")
    min_reps: Optional[CheckReps] = Field(default=None, description=(
        f"replications at the first look (2 to {L.MAX_CHECK_REPS:,}); absent = {L.CHECK_MIN_REPS}"))
    max_reps: Optional[CheckReps] = Field(default=None, description=(
        f"replications at the last look (2 to {L.MAX_CHECK_REPS:,}, at least min_reps); "
        f"absent = {L.CHECK_MAX_REPS}"))

    @model_validator(mode="after")
    def _budget(self):
        low = self.min_reps if self.min_reps is not None else L.CHECK_MIN_REPS
        if self.max_reps is not None and self.max_reps < low:
            raise PydanticCustomError("checks", "max_reps ({high}) must be at least min_reps ({low})",
                                      {"path": "checks.max_reps", "high": self.max_reps, "low": low})
        return self


class Scenario(_Model):
    """A whole contact center and how long to simulate it."""

    name: str = Field(default="", max_length=L.MAX_TEXT, description=f"free text, at most {L.MAX_TEXT:,} characters")
    description: str = Field(default="", max_length=L.MAX_TEXT,
                             description=f"free text, at most {L.MAX_TEXT:,} characters")
    horizon: PositiveSeconds = Field(description=f"arrivals stop here (seconds, > 0, at most {L.MAX_SECONDS:g})")
    warmup: Seconds = Field(default=0.0, description="statistics of calls arriving before are discarded "
                                                     "(seconds, >= 0, shorter than the horizon)")
    interval: PositiveSeconds = Field(default=900.0, description=(
        f"reporting interval (seconds, > 0); the horizon holds at most {L.MAX_INTERVALS:,} intervals"))
    drain: bool = Field(default=True, description="let calls in system at the horizon finish (for at most one horizon, at least 30 days, past it)")
    lines: Optional[Annotated[int, Field(ge=1, le=L.INT32_MAX), WholeNumber]] = Field(
        default=None, description=f"trunks (1 to {L.INT32_MAX:,}); absent = unlimited")
    service_level: ServiceLevel = ServiceLevel()
    routing: Routing = Routing()
    call_types: list[CallType] = Field(min_length=1, max_length=L.MAX_CALL_TYPES,
                                       description=f"1 to {L.MAX_CALL_TYPES:,} call types")
    agents: list[AgentGroup] = Field(min_length=1, max_length=L.MAX_GROUPS,
                                     description=f"1 to {L.MAX_GROUPS:,} agent groups")
    entries: list[Entry] = Field(default=[], max_length=L.MAX_CALL_TYPES, description=(
        "numbers callers dial, each with arrivals and an IVR menu (call types keep their own arrivals too)"))
    ivr: list[Ivr] = Field(default=[], max_length=L.MAX_CALL_TYPES, description="IVR menus used by entries")
    queue_pools: list[QueuePool] = Field(default=[], max_length=L.MAX_CALL_TYPES, description=(
        "waiting places shared by several call types' queues"))
    media: Optional[Media] = Field(default=None, title="Media", description=(
        "ad-driven arrivals: channels and a schedule of airings; absent = none"))
    hours: Optional[Hours] = Field(default=None, title="Hours", description=(
        "opening hours and what a call ringing while closed gets; absent = always open"))
    voicemail: Optional[Voicemail] = Field(default=None, title="Voicemail", description=(
        "the call type whose agents call voicemails back; absent = voicemails are only counted"))
    roster_seed: Annotated[int, Field(ge=0, le=2**63 - 1), WholeNumber] = Field(default=0, description=(
        "the seed the agent populations are drawn from (one stream per group, keyed by its name): the "
        "roster is part of the scenario, the same for every replication and run seed"))
    funnel: Optional[Funnel] = Field(default=None, title="Funnel", description=(
        "the sales funnel: conversion of answered sales calls, orders, verification, delivery, sign-for "
        "and collected money; absent = none"))
    checks: Optional[Checks] = Field(default=None, title="Checks", description=(
        "KPI targets for ccsim check (expect, and optional alpha, min_reps, max_reps); "
        "ccsim run ignores them; absent = none"))
    costs: Optional[Costs] = Field(default=None, title="Costs", description=(
        "unit costs (agent hour, telecom minute, per order) for the money KPIs; absent = none"))
    workforce: Optional[Workforce] = Field(default=None, title="Workforce", description=(
        "a run in periods with workforce policies between them (elimination, promotion, attrition, "
        "learning, training, QA, hiring), run by ccsim workforce; other commands ignore it; absent = none"))

    @model_validator(mode="after")
    def _consistent(self):
        if self.warmup >= self.horizon:
            raise PydanticCustomError(
                "warmup_too_long",
                "warm-up ({warmup} s) must be shorter than the horizon ({horizon} s)",
                {"path": "warmup", "warmup": self.warmup, "horizon": self.horizon},
            )
        _unique(self.agents, "agents")
        check_agents(self)
        _check_arrivals(self)
        _check_sizes(self)
        check_inbound(self)
        check_hours(self)
        check_shifts(self)
        _unique(self.call_types, "call_types")
        known = {c.name for c in self.call_types}
        _check_media(self, known)
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
        _check_routing_orders(self)
        check_routing(self)
        check_transfers(self)
        check_funnel(self)
        check_costs(self)
        check_workforce(self)
        return self

    def call_type_index(self) -> dict[str, int]:
        return {c.name: i for i, c in enumerate(self.call_types)}


def routing_order(s: Scenario, call_type: CallType) -> list[str]:
    """The names of the groups serving ``call_type``, in the order ``ordered_groups`` tries them:
    its ``groups`` list, else the serving groups in file order."""
    if call_type.groups is not None:
        return list(call_type.groups)
    return [g.name for g in s.agents if call_type.name in g.serves]


def _check_routing_orders(s: Scenario) -> None:
    """A call type's ``groups`` lists each group serving it exactly once, and no other."""
    by_name = {g.name: g for g in s.agents}
    for i, call_type in enumerate(s.call_types):
        if call_type.groups is None:
            continue
        seen = {}
        for j, name in enumerate(call_type.groups):
            path = f"call_types[{i}].groups[{j}]"
            if name not in by_name:
                raise PydanticCustomError(
                    "routing_order", "group '{name}' is not defined in agents (groups: {known})",
                    {"path": path, "name": name, "known": ", ".join(sorted(by_name))})
            if call_type.name not in by_name[name].serves:
                raise PydanticCustomError(
                    "routing_order", "group '{name}' does not serve call type '{type}' (add it to the "
                    "group's serves, or remove it from this list)", {"path": path, "name": name,
                                                                     "type": call_type.name})
            if name in seen:
                raise PydanticCustomError(
                    "routing_order", "group '{name}' is listed twice (also at groups[{first}])",
                    {"path": path, "name": name, "first": seen[name]})
            seen[name] = j
        missing = [g.name for g in s.agents if call_type.name in g.serves and g.name not in seen]
        if missing:
            raise PydanticCustomError(
                "routing_order", "groups must list every group serving call type '{type}': missing {missing} "
                "(leave groups out to try the serving groups in file order)",
                {"path": f"call_types[{i}].groups", "type": call_type.name, "missing": ", ".join(missing)})


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


def _too_big(path: str, message: str):
    return PydanticCustomError("too_big", message, {"path": path})


def _check_sizes(s: Scenario) -> None:
    """Counts that cost time or memory in a run: intervals, slots, statistics, agents, values."""
    intervals = s.horizon / s.interval  # may be inf for an absurd ratio: compare, never ceil
    if intervals > L.MAX_INTERVALS:
        raise _too_big("interval", f"the horizon ({s.horizon:g} s) holds {intervals:,.0f} reporting intervals of "
                                   f"{s.interval:g} s, more than the limit of {L.MAX_INTERVALS:,}; "
                                   "use a longer interval")
    channels = len(s.media.channels) if s.media else 0
    cells = max(1, math.ceil(intervals)) * (len(s.call_types) + len(s.entries) + len(s.agents) + channels)
    if cells > L.MAX_STAT_CELLS:
        media = f" + {channels} media channels" if channels else ""
        raise _too_big("interval", f"{math.ceil(intervals):,} reporting intervals x ({len(s.call_types)} call types "
                                   f"+ {len(s.agents)} agent groups{media}) = {cells:,} per-interval statistics, "
                                   f"more than the limit of {L.MAX_STAT_CELLS:,}; use a longer interval")
    values = 0
    for where, arrivals in arrival_sources(s):
        if isinstance(arrivals, PiecewiseArrivals):
            slot = arrivals.slot or s.interval
            slots = s.horizon / slot
            if slots > L.MAX_SLOTS:
                raise _too_big(where + (".slot" if arrivals.slot else ""),
                               f"the horizon ({s.horizon:g} s) crosses {slots:,.0f} slots of {slot:g} s, "
                               f"more than the limit of {L.MAX_SLOTS:,}; use a longer slot")
            values += len(arrivals.rates) * (7 if arrivals.weekdays else 1)
        if isinstance(arrivals, ReplayArrivals):
            values += len(arrivals.times)
        if arrivals.busyness and arrivals.busyness.cv > 0:
            slot = getattr(arrivals, "slot", None) or (s.interval if isinstance(arrivals, PiecewiseArrivals)
                                                       else L.DAY)
            values += math.ceil(s.horizon / slot) + 1
    for d in all_distributions(s):
        if isinstance(d, Empirical):
            values += len(d.values)
    if values > L.MAX_TOTAL_VALUES:
        raise _too_big("call_types", f"the profiles, replayed times and empirical distributions hold {values:,} "
                                     "numbers in all "
                                     "(a weekly pattern counts 7 days of rates, busyness one rate per slot of "
                                     f"the horizon), more than the limit of {L.MAX_TOTAL_VALUES:,}")
    agents = sum(g.size for g in s.agents)
    if agents > L.MAX_AGENTS:
        raise _too_big("agents", f"{agents:,} agents in all groups together, more than the limit of "
                                 f"{L.MAX_AGENTS:,}")


def arrival_sources(s: Scenario):
    """(field path, arrivals) of every source of first attempts: call types, then entries."""
    for i, c in enumerate(s.call_types):
        if c.arrivals is not None:
            yield f"call_types[{i}].arrivals", c.arrivals
    for i, e in enumerate(s.entries):
        yield f"entries[{i}].arrivals", e.arrivals


def all_distributions(s: Scenario):
    """Every distribution of the scenario, those of periods and mixture components included
    (None for an absent optional one)."""
    from .distributions import Mixture, periods_of

    def leaves(duration):
        for _, dist in periods_of(duration) if duration is not None else [(0.0, None)]:
            if isinstance(dist, Mixture):
                yield from (c.dist for c in dist.components)
            else:
                yield dist

    for c in s.call_types:
        for duration in (c.handle_time, c.patience, c.after_call_work):
            yield from leaves(duration)
        if c.retrials is not None:
            yield from leaves(c.retrials.delay)
    for e in s.entries:
        if e.retrials is not None:
            yield from leaves(e.retrials.delay)
    for tree in s.ivr:
        yield from leaves(tree.patience)
        for node in tree.nodes:
            yield from leaves(node.duration)


def _check_arrivals(s: Scenario) -> None:
    """Weekly patterns and busyness: day-based profiles, factors that let the phone ring."""
    for where, a in arrival_sources(s):
        busy = a.busyness is not None and a.busyness.cv > 0
        if a.busyness is not None and 0 < a.busyness.cv < L.CV_MIN:
            raise PydanticCustomError("busyness_cv", f"busyness cv {a.busyness.cv:g} is too small for the gamma "
                                      f"sampler: use 0 (no busyness) or from {L.CV_MIN:g} to {L.BUSYNESS_CV_MAX:g}",
                                      {"path": f"{where}.busyness.cv"})
        if not isinstance(a, PiecewiseArrivals):
            continue
        slot = a.slot or s.interval
        slot_path = f"{where}.slot" if a.slot else "interval"
        if a.weekdays is None:
            if a.start_weekday is not None:
                raise PydanticCustomError("weekly", "start_weekday is only meaningful with weekdays (7 factors, "
                                          "Monday to Sunday)", {"path": f"{where}.start_weekday"})
        else:
            if not any(f > 0 for f in a.weekdays):
                raise PydanticCustomError("weekly", "all weekday factors are zero: the call type would never ring "
                                          "(7 factors, each >= 0, not all zero)", {"path": f"{where}.weekdays"})
            if not a.repeat:
                raise PydanticCustomError("weekly", "a weekly pattern repeats every week: repeat: false is not "
                                          "allowed with weekdays", {"path": f"{where}.repeat"})
            n = slots_per_day(slot)
            if not n:
                raise PydanticCustomError("weekly", f"a weekly pattern needs a slot that divides a day: "
                                          f"{L.DAY:,.0f} s / {slot:g} s is not a whole number", {"path": slot_path})
            if len(a.rates) != n:
                raise PydanticCustomError("weekly", f"a weekly pattern needs a daily profile: {n} rates of "
                                          f"{slot:g} s (one day), found {len(a.rates)}", {"path": f"{where}.rates"})
        if busy and not slots_per_day(slot):
            raise PydanticCustomError("busyness_slot", f"busyness changes at midnight, so the slot must divide a "
                                      f"day: {L.DAY:,.0f} s / {slot:g} s is not a whole number", {"path": slot_path})


def _check_media(s: Scenario, known: set) -> None:
    """Channels ring call types or entries that exist; airings lie in [0, horizon); every call
    type rings (its own arrivals, a media channel, a menu routing to it, or a transfer)."""
    rung = {b.queue for tree in s.ivr for node in tree.nodes for b in node.branches if b.queue}
    if s.hours is not None and s.hours.closed.action == "forward":
        rung.add(s.hours.closed.call_type)  # takes the calls of closed hours
    if s.voicemail is not None:
        rung.add(s.voicemail.call_type)  # has voicemails to call back
    rung.update(t.to for c in s.call_types for t in c.transfers if t.p > 0)  # takes transferred callers
    entries = {e.name for e in s.entries}
    if s.media is not None:
        for i, channel in enumerate(s.media.channels):
            if channel.call_type is not None and channel.call_type not in known:
                raise PydanticCustomError(
                    "unknown_call_type", "channel '{channel}' rings call type '{name}', which is not defined "
                    "(call types: {known})", {"path": f"media.channels[{i}].call_type", "channel": channel.name,
                                              "name": channel.call_type, "known": ", ".join(sorted(known))})
            if channel.entry is not None and channel.entry not in entries:
                raise PydanticCustomError(
                    "unknown_entry", "channel '{channel}' rings entry '{name}', which is not defined "
                    "(entries: {known})", {"path": f"media.channels[{i}].entry", "channel": channel.name,
                                           "name": channel.entry, "known": ", ".join(sorted(entries)) or "none"})
            rung.add(channel.call_type)
        for j, airing in enumerate(s.media.airings):
            if airing.time < s.horizon:
                continue
            origin = s.media._origins[j] if j < len(s.media._origins) else None
            where = f" ({origin[0]}, line {origin[1]})" if origin else ""
            raise PydanticCustomError(
                "media", "airings outside the horizon: an airing at {time} s{where} is not before the horizon "
                "({horizon} s), so it could never ring", {"path": "media.airings_csv.path" if origin else
                                                          f"media.airings[{j}].time", "time": f"{airing.time:g}",
                                                          "where": where, "horizon": f"{s.horizon:g}"})
    for i, call_type in enumerate(s.call_types):
        if call_type.arrivals is None and call_type.name not in rung:
            raise PydanticCustomError(
                "no_arrivals", "call type '{name}' has no arrivals, no media channel rings it, no menu "
                "routes calls to it and no call type transfers to it: give it arrivals, a channel in "
                "media.channels or a menu branch with queue: {name}", {"path": f"call_types[{i}].arrivals", "name": call_type.name})
