"""The shared vocabulary of distributions (times in seconds).

Every duration in a scenario (handle time, patience, after-call work, and later
IVR nodes, retrial delays, …) is one of these, chosen by its ``dist`` key.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Literal, Optional, Union

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, ValidationInfo,
                      field_validator, model_validator)

from . import limits as L
from .csv_column import read_csv_column

# Numbers must be YAML numbers (the models are strict: "190" in quotes is text), finite and bounded.
Seconds = Annotated[float, Field(ge=0, le=L.MAX_SECONDS, allow_inf_nan=False)]
PositiveSeconds = Annotated[float, Field(gt=0, le=L.MAX_SECONDS, allow_inf_nan=False)]
CV = Annotated[float, Field(ge=L.CV_MIN, le=L.CV_MAX, allow_inf_nan=False, description=(
    f"coefficient of variation (std / mean), from {L.CV_MIN:g} to {L.CV_MAX:g}: within these bounds "
    "sigma^2 = ln(1 + cv^2) (lognormal) and shape = 1/cv^2 (gamma) are finite and non-zero"))]

_MEAN = f"mean, seconds (> 0, at most {L.MAX_SECONDS:g})"


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    def mean_value(self) -> float:
        """The distribution's mean, in seconds."""
        raise NotImplementedError


class Exponential(_Dist):
    """Exponential with the given mean."""

    dist: Literal["exponential"]
    mean: PositiveSeconds = Field(description=_MEAN)

    def mean_value(self) -> float:
        return self.mean


class Deterministic(_Dist):
    """Always the same value (zero allowed: e.g. patience 0 = never waits)."""

    dist: Literal["deterministic"]
    value: Seconds = Field(description=f"seconds (>= 0, at most {L.MAX_SECONDS:g})")

    def mean_value(self) -> float:
        return self.value


class Uniform(_Dist):
    """Uniform on [low, high]."""

    dist: Literal["uniform"]
    low: Seconds = Field(description=f"seconds (>= 0, at most {L.MAX_SECONDS:g})")
    high: Seconds = Field(description=f"seconds (>= low, at most {L.MAX_SECONDS:g})")

    @model_validator(mode="after")
    def _ordered(self):
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be at least low ({self.low})")
        return self

    def mean_value(self) -> float:
        return 0.5 * (self.low + self.high)


class Lognormal(_Dist):
    """Lognormal given by its mean and coefficient of variation (std / mean)."""

    dist: Literal["lognormal"]
    mean: PositiveSeconds = Field(description=_MEAN)
    cv: CV

    def mean_value(self) -> float:
        return self.mean

    def log_params(self) -> tuple[float, float]:
        """(mu, sigma) of the underlying normal."""
        sigma2 = math.log1p(self.cv**2)
        return math.log(self.mean) - 0.5 * sigma2, math.sqrt(sigma2)


class Gamma(_Dist):
    """Gamma given by its mean and coefficient of variation (shape = 1/cv^2)."""

    dist: Literal["gamma"]
    mean: PositiveSeconds = Field(description=_MEAN)
    cv: CV

    def mean_value(self) -> float:
        return self.mean

    def shape_scale(self) -> tuple[float, float]:
        shape = 1.0 / self.cv**2
        return shape, self.mean / shape


class Weibull(_Dist):
    """Weibull with shape k and scale lambda (mean = scale * Gamma(1 + 1/k))."""

    dist: Literal["weibull"]
    shape: Annotated[float, Field(ge=L.WEIBULL_SHAPE_MIN, le=L.WEIBULL_SHAPE_MAX, allow_inf_nan=False)] = Field(
        description=f"shape k, from {L.WEIBULL_SHAPE_MIN:g} to {L.WEIBULL_SHAPE_MAX:g}: within these bounds "
                    "the mean and variance (Gamma(1 + 2/k)) are finite")
    scale: PositiveSeconds = Field(description=f"scale, seconds (> 0, at most {L.MAX_SECONDS:g})")

    def mean_value(self) -> float:
        return self.scale * math.gamma(1.0 + 1.0 / self.shape)


class Empirical(_Dist):
    """Resampling of observed values: a list, or a numeric column of a CSV file.

    A relative ``csv`` path is taken from the scenario file's folder.
    """

    dist: Literal["empirical"]
    values: Optional[Annotated[list[Seconds], Field(min_length=1, max_length=L.MAX_LIST_VALUES)]] = Field(
        default=None, description=f"observed values, seconds (each >= 0 and at most {L.MAX_SECONDS:g}; "
                                  f"1 to {L.MAX_LIST_VALUES:,} of them)")
    csv: Optional[Annotated[str, Field(min_length=1, max_length=L.MAX_PATH)]] = Field(
        default=None, description="a CSV file with a header row; relative to the scenario's folder")
    column: Optional[Annotated[str, Field(min_length=1, max_length=256)]] = Field(
        default=None, description="the header of the CSV column to read")

    @model_validator(mode="after")
    def _load(self, info: ValidationInfo):
        if (self.values is None) == (self.csv is None):
            raise ValueError("give either 'values' (a list) or 'csv' with 'column', not both or neither")
        if self.csv is not None:
            if self.column is None:
                raise ValueError("'csv' needs 'column' (the header of the column to read)")
            base = Path((info.context or {}).get("base_dir", "."))
            object.__setattr__(self, "values", read_csv_column(base / self.csv, self.column))
            # the values are inlined: the model is self-contained wherever it runs
            object.__setattr__(self, "csv", None)
            object.__setattr__(self, "column", None)
        if not self.values:
            raise ValueError("empirical distribution has no values")
        return self

    def mean_value(self) -> float:
        return math.fsum(self.values) / len(self.values)


class Triangular(_Dist):
    """Triangular on [low, high] with its peak at ``mode`` (sampled by inversion of one uniform)."""

    dist: Literal["triangular"]
    low: Seconds = Field(description=f"seconds (>= 0, at most {L.MAX_SECONDS:g})")
    mode: Seconds = Field(description=f"the most likely value, seconds (low <= mode <= high)")
    high: Seconds = Field(description=f"seconds (> low, at most {L.MAX_SECONDS:g})")

    @model_validator(mode="after")
    def _ordered(self):
        if not self.low < self.high:
            raise ValueError(f"high ({self.high:g}) must be greater than low ({self.low:g})")
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"mode ({self.mode:g}) must lie within [low, high] = [{self.low:g}, {self.high:g}]")
        return self

    def mean_value(self) -> float:
        return (self.low + self.mode + self.high) / 3.0


# Every distribution but the mixture: what a mixture's components may be.
SIMPLE_DISTS = (Exponential, Deterministic, Uniform, Lognormal, Gamma, Weibull, Empirical, Triangular)
SimpleDistribution = Annotated[Union[SIMPLE_DISTS], Field(discriminator="dist")]

MIN_COMPONENTS, MAX_COMPONENTS = 2, 16
WEIGHT_TOLERANCE = 1e-9


class Component(BaseModel):
    """One part of a mixture: with probability ``weight``, a draw of ``dist``."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    weight: float = Field(gt=0, le=1, allow_inf_nan=False, description="probability of this component (> 0, <= 1)")
    dist: "Distribution" = Field(description="a distribution other than a mixture")

    @field_validator("dist", mode="before")
    @classmethod
    def _not_nested(cls, value):
        # before the component is validated, so that this is the one message about it
        if isinstance(value, Mixture) or (isinstance(value, dict) and value.get("dist") == "mixture"):
            raise ValueError("a mixture's component cannot itself be a mixture: list all its parts in one mixture")
        return value


class Mixture(_Dist):
    """A random choice among components: with probability ``weight``, a draw of that component.

    One uniform draw picks the component (first one whose cumulative weight exceeds
    it, in the order written), then the component draws from the same stream. E.g.
    patience: 5 % hang up at once (deterministic 0), the rest wait an exponential time.
    """

    dist: Literal["mixture"]
    components: list[Component] = Field(min_length=MIN_COMPONENTS, max_length=MAX_COMPONENTS, description=(
        f"{MIN_COMPONENTS} to {MAX_COMPONENTS} components; weights > 0 summing to 1 (within {WEIGHT_TOLERANCE:g}; "
        "they are not normalised); a component may not be a mixture"))

    @field_validator("components")
    @classmethod
    def _weights_sum_to_one(cls, components):
        total = math.fsum(c.weight for c in components)
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            raise ValueError(f"the weights sum to {total:.12g}; they must sum to 1 (within {WEIGHT_TOLERANCE:g}), "
                             "and are not normalised for you")
        return components

    def mean_value(self) -> float:
        return math.fsum(c.weight * c.dist.mean_value() for c in self.components)


Distribution = Annotated[Union[SIMPLE_DISTS + (Mixture,)], Field(discriminator="dist")]
Component.model_rebuild()

DIST_NAMES = ("exponential", "deterministic", "uniform", "lognormal", "gamma", "weibull", "empirical",
              "triangular", "mixture")


# ---- behaviour by period of the day ----------------------------------------------

_HHMM = re.compile(r"^([0-9]{2}):([0-9]{2})$")


def _time_of_day_text(value):
    # YAML 1.1 reads an unquoted 18:00 as the base-60 number 1080: say so instead of "expected text"
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f"expected a time of day as text \"HH:MM\" in quotes, found the number {value} "
                         "(unquoted, YAML reads 18:00 as 1080: write start: \"18:00\")")
    return value


def seconds_of_day(text: str) -> float:
    """Seconds since midnight of "HH:MM"."""
    hours, minutes = _HHMM.match(text).groups()
    return float(int(hours) * 3600 + int(minutes) * 60)


class Period(BaseModel):
    """One period of the day: from ``start`` ("HH:MM") until the next period's start (the last: until midnight)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    start: Annotated[str, BeforeValidator(_time_of_day_text)] = Field(description=(
        'time of day "HH:MM" (24-hour clock, in quotes), 00:00 to 23:59; the first period starts at "00:00"'))
    dist: Distribution = Field(description="the distribution of calls arriving in this period")

    @field_validator("start")
    @classmethod
    def _clock_time(cls, value):
        m = _HHMM.match(value)
        if m is None:
            raise ValueError(f"expected a time of day \"HH:MM\" (e.g. \"18:00\"), found {value!r}")
        if int(m.group(1)) > 23 or int(m.group(2)) > 59:
            raise ValueError(f"{value!r} is past 24 h or not a clock time: a period starts from \"00:00\" "
                             "to \"23:59\" (the last one lasts until midnight)")
        return value


MAX_PERIODS = 96


class ByPeriod(BaseModel):
    """A distribution by period of the day, chosen by the call's arrival time of day
    (arrival mod 86,400 s); the pattern repeats every day."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    by_period: list[Period] = Field(min_length=1, max_length=MAX_PERIODS, description=(
        f'1 to {MAX_PERIODS} periods, the first starting at "00:00", starts strictly increasing'))

    @field_validator("by_period")
    @classmethod
    def _day_covered(cls, periods):
        if periods[0].start != "00:00":
            raise ValueError(f'the first period must start at "00:00" (found {periods[0].start!r}), '
                             "so that every time of day has a distribution")
        for i in range(1, len(periods)):
            if seconds_of_day(periods[i].start) <= seconds_of_day(periods[i - 1].start):
                raise ValueError(f"period starts must be strictly increasing: by_period[{i}] starts at "
                                 f"{periods[i].start!r}, not after by_period[{i - 1}] ({periods[i - 1].start!r})")
        return periods

    def starts(self) -> list[float]:
        """Seconds since midnight of each period's start."""
        return [seconds_of_day(p.start) for p in self.by_period]

    def durations(self) -> list[float]:
        """Seconds each period lasts within a day."""
        starts = self.starts()
        return [b - a for a, b in zip(starts, starts[1:] + [L.DAY])]

    def mean_value(self) -> float:
        """The time-weighted mean over a day (each period's mean weighted by its length;
        not weighted by traffic, which the distribution does not know)."""
        return math.fsum(w * p.dist.mean_value() for w, p in zip(self.durations(), self.by_period)) / L.DAY


def _duration_kind(value):
    if isinstance(value, dict):
        return "by_period" if "by_period" in value else "dist"
    return "by_period" if isinstance(value, ByPeriod) else "dist"


# A call type's handle time, patience or after-call work: one distribution, or one per period of the day.
Duration = Annotated[
    Union[Annotated[Distribution, Tag("dist")], Annotated[ByPeriod, Tag("by_period")]],
    Discriminator(_duration_kind),
]


def periods_of(duration) -> list[tuple[float, object]]:
    """[(start seconds of day, distribution)] of a ``Duration``: one period for a plain distribution."""
    if isinstance(duration, ByPeriod):
        return list(zip(duration.starts(), (p.dist for p in duration.by_period)))
    return [(0.0, duration)]
