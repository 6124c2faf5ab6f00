"""The shared vocabulary of distributions (times in seconds).

Every duration in a scenario (handle time, patience, after-call work, and later
IVR nodes, retrial delays, …) is one of these, chosen by its ``dist`` key.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Annotated, Literal, Optional, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PositiveFloat,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

def _not_bool(value):
    # YAML's true/false must not pass for 1/0 where a number is meant
    if isinstance(value, bool):
        raise PydanticCustomError("bool_not_number", "expected a number, found {found}", {"found": str(value).lower()})
    return value


NoBool = BeforeValidator(_not_bool)
NonNegativeFloat = Annotated[float, Field(ge=0, allow_inf_nan=False), NoBool]
Positive = Annotated[PositiveFloat, Field(allow_inf_nan=False), NoBool]


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def mean_value(self) -> float:
        """The distribution's mean, in seconds."""
        raise NotImplementedError


class Exponential(_Dist):
    """Exponential with the given mean."""

    dist: Literal["exponential"]
    mean: Positive

    def mean_value(self) -> float:
        return self.mean


class Deterministic(_Dist):
    """Always the same value (zero allowed: e.g. patience 0 = never waits)."""

    dist: Literal["deterministic"]
    value: NonNegativeFloat

    def mean_value(self) -> float:
        return self.value


class Uniform(_Dist):
    """Uniform on [low, high]."""

    dist: Literal["uniform"]
    low: NonNegativeFloat
    high: NonNegativeFloat

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
    mean: Positive
    cv: Positive

    def mean_value(self) -> float:
        return self.mean

    def log_params(self) -> tuple[float, float]:
        """(mu, sigma) of the underlying normal."""
        sigma2 = math.log1p(self.cv**2)
        return math.log(self.mean) - 0.5 * sigma2, math.sqrt(sigma2)


class Gamma(_Dist):
    """Gamma given by its mean and coefficient of variation (shape = 1/cv^2)."""

    dist: Literal["gamma"]
    mean: Positive
    cv: Positive

    def mean_value(self) -> float:
        return self.mean

    def shape_scale(self) -> tuple[float, float]:
        shape = 1.0 / self.cv**2
        return shape, self.mean / shape


class Weibull(_Dist):
    """Weibull with shape k and scale lambda (mean = scale * Gamma(1 + 1/k))."""

    dist: Literal["weibull"]
    shape: Positive
    scale: Positive

    def mean_value(self) -> float:
        return self.scale * math.gamma(1.0 + 1.0 / self.shape)


class Empirical(_Dist):
    """Resampling of observed values: a list, or a numeric column of a CSV file.

    A relative ``csv`` path is taken from the scenario file's folder.
    """

    dist: Literal["empirical"]
    values: Optional[list[NonNegativeFloat]] = None
    csv: Optional[str] = None
    column: Optional[str] = None

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


def read_csv_column(path: Path, column: str) -> list[float]:
    """The non-negative numbers of one CSV column; errors name the file and row."""
    if not path.is_file():
        raise ValueError(f"CSV file not found: {path}")
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or column not in reader.fieldnames:
            raise ValueError(
                f"column '{column}' not in {path} (columns: {', '.join(reader.fieldnames or [])})"
            )
        values = []
        for row in reader:
            text = (row[column] or "").strip()
            try:
                value = float(text)
            except ValueError:
                raise ValueError(
                    f"{path}, line {reader.line_num}: column '{column}' holds {text!r}, expected a number"
                ) from None
            if not math.isfinite(value) or value < 0:
                raise ValueError(
                    f"{path}, line {reader.line_num}: column '{column}' holds {value}, expected a finite number >= 0"
                )
            values.append(value)
    return values


Distribution = Annotated[
    Union[Exponential, Deterministic, Uniform, Lognormal, Gamma, Weibull, Empirical],
    Field(discriminator="dist"),
]

DIST_NAMES = ("exponential", "deterministic", "uniform", "lognormal", "gamma", "weibull", "empirical")
