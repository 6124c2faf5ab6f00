"""The shared vocabulary of distributions (times in seconds).

Every duration in a scenario (handle time, patience, after-call work, and later
IVR nodes, retrial delays, …) is one of these, chosen by its ``dist`` key.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

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


Distribution = Annotated[
    Union[Exponential, Deterministic, Uniform, Lognormal, Gamma, Weibull, Empirical],
    Field(discriminator="dist"),
]

DIST_NAMES = ("exponential", "deterministic", "uniform", "lognormal", "gamma", "weibull", "empirical")
