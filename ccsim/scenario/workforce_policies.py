"""The policies of a scenario's ``workforce:`` section, one pydantic model per ``kind``.

``Policy`` is a discriminated union on ``kind``: each entry is checked where it is written
(strict numbers, bounds, unknown options refused), so ``ccsim schema`` documents every option
and a mistake carries its field path (``workforce.policies[1].fraction``) the way the rest of
the scenario does. ``build`` turns a checked entry into its ``ccsim.workforce`` policy object
(whose constructor keeps its own checks for Python users; the scenario never relies on them
for a message). Defaults are the Python classes' defaults.
"""
from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import BeforeValidator, Discriminator, Field, Tag, model_validator
from pydantic_core import PydanticCustomError
from typing_extensions import Annotated

from . import limits as L
from .hours import _Model

MAX_DAYS = L.MAX_SECONDS / L.DAY
TAU_MIN_DAYS = 1e-3  # as ccsim.workforce.growth.TAU_MIN_DAYS
KPI_NAMES = ("conversion", "revenue", "aht", "answered_per_hour", "qa_score")  # ccsim.workforce.ranking.KPIS

Name = Annotated[str, Field(min_length=1, max_length=L.MAX_NAME, pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")]
Count = Annotated[int, Field(ge=0, le=L.INT32_MAX, strict=True)]
Every = Annotated[int, Field(ge=1, le=L.INT32_MAX, strict=True, description=(
    "acts after every n-th period (1: each period; 3 with monthly periods: each quarter)"))]
Probability = Annotated[float, Field(ge=0.0, le=1.0, strict=True, allow_inf_nan=False)]
Amount = Annotated[float, Field(ge=0.0, le=L.MAX_AMOUNT, strict=True, allow_inf_nan=False)]
Days = Annotated[float, Field(ge=0.0, le=MAX_DAYS, strict=True, allow_inf_nan=False)]
HoursADay = Annotated[float, Field(ge=0.0, le=24.0, strict=True, allow_inf_nan=False)]


class _Beta(_Model):
    """Beta on [0, 1] of the given mean and standard deviation (sd^2 < mean (1 - mean))."""

    dist: Literal["beta"]
    mean: Annotated[float, Field(gt=0.0, lt=1.0, strict=True, allow_inf_nan=False)]
    sd: Annotated[float, Field(gt=0.0, lt=0.5, strict=True, allow_inf_nan=False)]

    @model_validator(mode="after")
    def _spread(self):
        if not self.sd ** 2 < self.mean * (1 - self.mean):
            raise PydanticCustomError("workforce", "a beta needs sd^2 < mean (1 - mean)")
        return self


class _Uniform(_Model):
    """A uniform's bounds in order (the subclasses give ``low`` and ``high`` their ranges)."""

    @model_validator(mode="after")
    def _order(self):
        if self.low > self.high:
            raise PydanticCustomError("workforce", "a uniform needs low <= high")
        return self


class _FractionUniform(_Uniform):
    """Uniform on [low, high], inside [0, 1]."""

    dist: Literal["uniform"]
    low: Probability
    high: Probability


class _FractionLognormal(_Model):
    """Lognormal of the given mean and coefficient of variation (std / mean), capped at 1."""

    dist: Literal["lognormal"]
    mean: Annotated[float, Field(gt=0.0, le=1.0, strict=True, allow_inf_nan=False)]
    cv: Annotated[float, Field(ge=0.0, le=L.CV_MAX, strict=True, allow_inf_nan=False)]


class _DaysUniform(_Uniform):
    """Uniform on [low, high] days."""

    dist: Literal["uniform"]
    low: Annotated[float, Field(ge=TAU_MIN_DAYS, le=MAX_DAYS, strict=True, allow_inf_nan=False)]
    high: Annotated[float, Field(ge=TAU_MIN_DAYS, le=MAX_DAYS, strict=True, allow_inf_nan=False)]


class _DaysLognormal(_Model):
    """Lognormal of the given mean (days) and coefficient of variation (clipped to its range)."""

    dist: Literal["lognormal"]
    mean: Annotated[float, Field(ge=TAU_MIN_DAYS, le=MAX_DAYS, strict=True, allow_inf_nan=False)]
    cv: Annotated[float, Field(ge=0.0, le=L.CV_MAX, strict=True, allow_inf_nan=False)]


def _number_or_draw(value):
    return "draw" if isinstance(value, dict) or isinstance(value, _Model) else "number"


# A fraction each agent draws: a number (everyone alike) or a beta, uniform or lognormal draw.
FractionDraw = Annotated[Union[
    Annotated[Probability, Tag("number")],
    Annotated[Annotated[Union[_Beta, _FractionUniform, _FractionLognormal], Field(discriminator="dist")], Tag("draw")],
], Discriminator(_number_or_draw)]
# A time constant in days each agent draws: a number or a uniform or lognormal draw.
DaysDraw = Annotated[Union[
    Annotated[Annotated[float, Field(ge=TAU_MIN_DAYS, le=MAX_DAYS, strict=True, allow_inf_nan=False)], Tag("number")],
    Annotated[Annotated[Union[_DaysUniform, _DaysLognormal], Field(discriminator="dist")], Tag("draw")],
], Discriminator(_number_or_draw)]


class _Policy(_Model):
    every: Every = 1

    def options(self) -> dict:
        """The options as the policy's Python constructor takes them."""
        return self.model_dump(exclude={"kind"}, exclude_none=True)


class _Ranked(_Policy):
    kpi: Literal[KPI_NAMES] = Field(default="conversion", description=(
        "the ranking's score: conversion (orders per sales call answered), revenue (order value per sales call "
        "answered), aht (minus the mean handle time), answered_per_hour, qa_score (1 - QA errors found per call "
        "scored; needs a qa policy listed before)"))
    window: Annotated[int, Field(ge=1, le=L.INT32_MAX, strict=True)] = Field(default=1, description=(
        "periods pooled for the ranking"))
    min_calls: Amount = Field(default=0.0, description="agents with fewer calls behind the KPI are not ranked")
    min_per_group: Optional[Count] = Field(default=None, description=(
        "agents kept in each group; absent: a group left empty without hiring is an error"))
    groups: Optional[list[Name]] = Field(default=None, max_length=L.MAX_GROUPS, description=(
        "rank only the agents of these agent groups; absent = all"))


class _KOrFraction(_Ranked):
    k: Optional[Count] = Field(default=None, description="this many agents (or give fraction)")
    fraction: Optional[Probability] = Field(default=None, description=(
        "this share of the agents ranked, rounded down (or give k)"))

    @model_validator(mode="after")
    def _one(self):
        if (self.k is None) == (self.fraction is None):
            raise PydanticCustomError("workforce", "give exactly one of k (agents) and fraction (of those ranked)")
        return self


class BottomEliminationPolicy(_KOrFraction):
    """末位淘汰: the bottom k agents, or the bottom fraction of those ranked, are eliminated."""

    kind: Literal["bottom_elimination"]


class ThresholdEliminationPolicy(_Ranked):
    """Agents ranked whose score is below a threshold are eliminated."""

    kind: Literal["threshold_elimination"]
    below: Annotated[float, Field(ge=-L.MAX_AMOUNT, le=L.MAX_AMOUNT, strict=True, allow_inf_nan=False)] = Field(
        description="the score under which an agent is eliminated (aht scores are minus seconds)")


class PromotionPolicy(_Ranked):
    """能者上: the top k of the ranking become team leaders and leave the phones."""

    kind: Literal["promotion"]
    k: Count = Field(default=1, description="agents promoted each time")


class AttritionPolicy(_Policy):
    """Voluntary attrition: each agent on the phones quits with a probability per period."""

    kind: Literal["attrition"]
    hazard: Probability = Field(description="probability that an agent quits after a period")
    pressure: Amount = Field(default=0.0, description=(
        "k: the hazard becomes hazard x (1 + k x the share eliminated at the start of the period), at most 1"))


class LearningPolicy(_Policy):
    """Abilities improve with tenure toward a ceiling, with optional per-agent draws and noise."""

    kind: Literal["learning"]
    ceiling: FractionDraw = Field(default=0.35, description=(
        "the conversion the curve tends to: a number, or a draw (beta, uniform, lognormal) of each agent's own"))
    tau_days: DaysDraw = Field(default=90.0, description=(
        "the curve's time constant in days: a number, or a draw (uniform, lognormal) of each agent's own"))
    factor_floor: Optional[Amount] = Field(default=None, description=(
        "handle-time factors above it move toward it the same way; absent = they do not learn"))
    noise_cv: Annotated[float, Field(ge=0.0, le=10.0, strict=True, allow_inf_nan=False)] = Field(
        default=0.0, description="coefficient of variation of the lognormal shock (mean 1) around the curve; 0 = none")
    noise_persistence: Annotated[float, Field(ge=0.0, lt=1.0, strict=True, allow_inf_nan=False)] = Field(
        default=0.0, description="the shock's lag-one correlation from one period to the next (0: a fresh shock)")


class FatiguePolicy(_Policy):
    """Occupancy above a threshold builds fatigue (lower conversion, slower calls), recovered off duty."""

    kind: Literal["fatigue"]
    threshold: Annotated[float, Field(ge=0.0, lt=1.0, strict=True, allow_inf_nan=False)] = Field(
        default=0.85, description="occupancy (busy / staffed in the period) above which fatigue builds")
    conversion_drop: Probability = Field(default=0.2, description="conversion x (1 - this x fatigue)")
    factor_rise: Annotated[float, Field(ge=0.0, le=100.0, strict=True, allow_inf_nan=False)] = Field(
        default=0.0, description="handle-time factors x (1 + this x fatigue); needs per-agent factors")
    recovery_hours: Annotated[float, Field(gt=0.0, le=L.MAX_AMOUNT, strict=True, allow_inf_nan=False)] = Field(
        default=12.0, description="fatigue falls by exp(-hours off / this)")


class TrainingPolicy(_KOrFraction):
    """The bottom of the ranking goes on a training programme, off the phones, and comes back better."""

    kind: Literal["training"]
    days: Days = Field(default=5.0, description="days off the phones")
    conversion_gain: Probability = Field(default=0.03, description="added to the trainee's conversion")
    ceiling: Probability = Field(default=0.6, description="training raises conversion up to this")
    qa_gain: Probability = Field(default=0.2, description="QA error rates x (1 - this)")
    cost: Amount = Field(default=500.0, description="money per trainee, besides the paid hours")
    hours_per_day: HoursADay = Field(default=8.0, description="paid hours a training day")


class QAPolicy(_Policy):
    """监听: a sample of each agent's calls is scored; coaching after errors."""

    kind: Literal["qa"]
    sample: Annotated[int, Field(ge=1, le=L.INT32_MAX, strict=True)] = Field(
        default=10, description="calls scored per agent and period (all if fewer)")
    detect_fatal: Probability = Field(default=0.9, description="probability a fatal error is found")
    detect_nonfatal: Probability = Field(default=0.6, description="probability a non-fatal error is found")
    coaching: Probability = Field(default=0.2, description="an agent with an error found: rates x (1 - this)")
    minutes_per_call: Amount = Field(default=12.0, description="analyst minutes per call scored")
    analyst_hour: Amount = Field(default=50.0, description="money per analyst hour")


class HiringPolicy(_Policy):
    """Keeps each group's headcount by hiring into its slots."""

    kind: Literal["hiring"]
    target: Optional[dict[Name, Count]] = Field(default=None, max_length=L.MAX_GROUPS, description=(
        "agent group -> headcount to keep; absent = each group's headcount at the start"))
    delay_days: Days = Field(default=14.0, description="days of recruitment (not paid)")
    training_days: Days = Field(default=10.0, description="days of new-hire training (paid, off the phones)")
    cost: Amount = Field(default=3000.0, description="money per hire")
    hours_per_day: HoursADay = Field(default=8.0, description="paid hours a training day")
    conversion: Optional[FractionDraw] = Field(default=None, description=(
        "a new hire's conversion: a number or a draw; absent = the slot's own"))
    factor: Annotated[float, Field(gt=0.0, le=L.PROFICIENCY_MAX, strict=True, allow_inf_nan=False)] = Field(
        default=1.15, description="a new hire's handle-time factors: this x its group's mean at the start")
    qa_fatal: FractionDraw = Field(default=0.04, description="a new hire's fatal QA error rate")
    qa_nonfatal: FractionDraw = Field(default=0.12, description="a new hire's non-fatal QA error rate")


POLICIES = (BottomEliminationPolicy, ThresholdEliminationPolicy, PromotionPolicy, AttritionPolicy, LearningPolicy,
            FatiguePolicy, TrainingPolicy, QAPolicy, HiringPolicy)
KIND_NAMES = tuple(p.model_fields["kind"].annotation.__args__[0] for p in POLICIES)


def _known_kinds(items):
    """Each entry's ``kind`` is one of KIND_NAMES, else a located 'unknown policy' (pydantic's
    own message for a bad tag would call it a response, and a mapping as a tag is unhashable)."""
    if not isinstance(items, list):
        return items
    for i, item in enumerate(items):
        if isinstance(item, dict) and "kind" in item and not (isinstance(item["kind"], str)
                                                               and item["kind"] in KIND_NAMES):
            kind = item["kind"]
            shown = repr(kind) if isinstance(kind, str) and len(kind) <= 40 else type(kind).__name__
            raise PydanticCustomError("workforce", "unknown policy {kind}: expected one of {known}",
                                      {"path": f"workforce.policies[{i}].kind", "kind": shown,
                                       "known": ", ".join(KIND_NAMES)})
    return items


Policy = Annotated[Union[POLICIES], Field(discriminator="kind")]
PolicyList = Annotated[list[Policy], BeforeValidator(_known_kinds)]


def build(policy, index: int):
    """The ``ccsim.workforce`` policy object of checked entry ``policy`` (the ``index``-th)."""
    from ..workforce.policies import KINDS
    from ..workforce import growth  # noqa: F401 - registers the growth kinds

    return KINDS[policy.kind](path=f"workforce.policies[{index}]", **policy.options())
