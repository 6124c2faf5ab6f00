"""The sales funnel: what an answered sales call earns, followed to collected money.

An answered call of a call type listed under ``funnel.call_types`` ends in an order with
probability p = base x the type's ``factor`` x the caller's media channel factor
(``funnel.channels``, absent = 1) x the wait factor (``funnel.wait_curve``, by the seconds
the caller waited: linear between its points, flat outside), capped at 1. The base is the
answering agent's ``conversion`` ability (a roster member's), else the type's ``conversion``.
Each caller draws one propensity u when it first rings and buys iff u < p, so two policies run
with the same seed give the same caller the same propensity (common random numbers).

An order's life is drawn at once: its value and cross-sell; verification (an attempt after
``delay``: confirm, cancel, or not reached, then another after ``retry_delay`` while attempts
< ``max_attempts`` and the attempt comes within ``deadline_hours`` of the order, else cancelled
unreached); shipment after ``shipping.delay``; a region by its share; delivery after
``delivery.delay``; signed for with probability ``sign_for`` (``by_channel`` overrides it) x the
region's ``sign_factor`` (capped at 1); a signed parcel is collected after
``settlement.delay``, a refused one is back after ``returns.delay``. Orders are followed
``follow_days`` days past the horizon (the cut): a stage later than that is still pending.
Delays are distributions in seconds; values are distributions read as money.
"""
from __future__ import annotations

from typing import Annotated, Optional

from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator
from pydantic_core import PydanticCustomError

from . import limits as L
from .distributions import Deterministic, Distribution

Name = Annotated[str, Field(min_length=1, max_length=L.MAX_NAME, pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")]
Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Factor = Annotated[float, Field(ge=0.0, le=1e6, allow_inf_nan=False)]
_Number = Annotated[float, Strict()]
WaitPoint = Annotated[tuple[_Number, _Number], Strict(False)]  # a YAML [wait, factor] list of two numbers
MAX_FOLLOW_DAYS = 3_650
MAX_WAIT_POINTS = 1_000
TOLERANCE = 1e-9  # region shares adding up to 1 within this
_NOW = Deterministic(dist="deterministic", value=0.0)


def _err(message: str, path: str):
    return PydanticCustomError("funnel", message.replace("{", "{{").replace("}", "}}"), {"path": path})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # "190" is text, not a number


class CrossSell(_Model):
    """A second product sold on the same call."""

    p: Probability = Field(description="probability that an order also has a cross-sell")
    value: Distribution = Field(description="the cross-sell's value (money), a distribution")


class SalesCallType(_Model):
    """How answered calls of one call type sell."""

    conversion: Probability = Field(description=(
        "order probability when the answering agent has no conversion ability of its own"))
    factor: Factor = Field(default=1.0, description="multiplies every base probability of this type (>= 0)")
    order_value: Distribution = Field(description="the order's value (money), a distribution")
    cross_sell: Optional[CrossSell] = Field(default=None, title="Cross Sell", description="absent = no cross-sell")
    order_talk_factor: float = Field(default=1.0, gt=0.0, le=1e3, allow_inf_nan=False, description=(
        "the talk time of a call that ends in an order is multiplied by this (> 0)"))


class Verification(_Model):
    """Order verification (核单): attempts to reach the customer, who confirms or cancels."""

    delay: Distribution = Field(default=_NOW, description="seconds from the order to the first attempt")
    confirm: Probability = Field(default=1.0, description="probability that an attempt confirms the order")
    cancel: Probability = Field(default=0.0, description="probability that an attempt cancels it (customer)")
    retry_delay: Distribution = Field(default=_NOW, description="seconds from a failed attempt to the next")
    max_attempts: int = Field(default=3, ge=1, le=L.MAX_ATTEMPTS, description="attempts at most")
    deadline_hours: float = Field(default=48.0, ge=0.0, le=L.MAX_SECONDS / 3600, allow_inf_nan=False, description=(
        "no attempt later than this many hours after the order: the order is then cancelled unreached"))

    @model_validator(mode="after")
    def _outcomes(self):
        if self.confirm + self.cancel > 1.0 + TOLERANCE:
            raise _err(f"confirm ({self.confirm:g}) + cancel ({self.cancel:g}) is more than 1: they are the "
                       "probabilities of two outcomes of one attempt", "funnel.verification.confirm")
        return self


class Stage(_Model):
    """A stage of the order's life that only takes time."""

    delay: Distribution = Field(default=_NOW, description="seconds the stage takes")


class Region(_Model):
    """A delivery region: its share of parcels and how it changes the sign-for probability."""

    name: Name
    share: Probability = Field(description="share of parcels delivered here (shares add up to 1)")
    sign_factor: Factor = Field(default=1.0, description="multiplies the sign-for probability (capped at 1)")


class Delivery(_Model):
    """Delivery and sign-for (签收): cash on delivery, a refused parcel goes back."""

    delay: Distribution = Field(default=_NOW, description="seconds from shipment to delivery")
    sign_for: Probability = Field(default=1.0, description="probability the customer signs for the parcel")
    by_channel: dict[str, Probability] = Field(default={}, max_length=L.MAX_CHANNELS, description=(
        "sign-for probability of a media channel's customers (media.channels[].name), instead of sign_for"))
    regions: list[Region] = Field(default=[], max_length=L.MAX_CHANNELS, description=(
        "delivery regions, shares adding up to 1; absent = one region with factor 1"))

    @model_validator(mode="after")
    def _shares(self):
        names = [r.name for r in self.regions]
        for j, name in enumerate(names):
            if name in names[:j]:
                raise _err(f"region '{name}' is listed twice", f"funnel.delivery.regions[{j}].name")
        total = sum(r.share for r in self.regions)
        if self.regions and abs(total - 1.0) > TOLERANCE:
            raise _err(f"the region shares add up to {total:g}, not 1", "funnel.delivery.regions")
        return self


class Funnel(_Model):
    """The sales funnel: conversion of answered calls and each order's life up to the money."""

    follow_days: float = Field(default=30.0, ge=0.0, le=MAX_FOLLOW_DAYS, allow_inf_nan=False, description=(
        f"orders are followed this many days past the horizon (0 to {MAX_FOLLOW_DAYS:,})"))
    call_types: dict[str, SalesCallType] = Field(min_length=1, max_length=L.MAX_CALL_TYPES, description=(
        "the call types that sell (call_types[].name); the others have no funnel"))
    channels: dict[str, Factor] = Field(default={}, max_length=L.MAX_CHANNELS, description=(
        "conversion factor of each media channel's callers (media.channels[].name); absent = 1"))
    wait_curve: list[WaitPoint] = Field(default=[], max_length=MAX_WAIT_POINTS, description=(
        "[[wait seconds, conversion factor], ...], waits increasing: linear between points, flat "
        "outside; absent = 1"))
    verification: Optional[Verification] = Field(default=None, title="Verification", description=(
        "order verification (核单); absent = every order confirmed at once"))
    shipping: Optional[Stage] = Field(default=None, title="Shipping", description="from verification to shipment; "
                                                                           "absent = at once")
    delivery: Optional[Delivery] = Field(default=None, title="Delivery", description=(
        "from shipment to delivery, and sign-for (签收); absent = delivered at once and always signed for"))
    settlement: Optional[Stage] = Field(default=None, title="Settlement", description=(
        "from sign-for to collected money (回款); absent = at once"))
    returns: Optional[Stage] = Field(default=None, title="Returns", description=(
        "from a refused delivery to the parcel back at the warehouse; absent = at once"))

    @model_validator(mode="after")
    def _curve(self):
        last = None
        for j, (wait, factor) in enumerate(self.wait_curve):
            if not (0.0 <= wait <= L.MAX_SECONDS):
                raise _err(f"a wait of {wait:g} s: expected 0 to {L.MAX_SECONDS:g} seconds", f"funnel.wait_curve[{j}][0]")
            if not (0.0 <= factor <= 1e6):
                raise _err(f"a conversion factor of {factor:g}: expected 0 to 1e6", f"funnel.wait_curve[{j}][1]")
            if last is not None and wait <= last:
                raise _err(f"waits must increase: {wait:g} s comes after {last:g} s", f"funnel.wait_curve[{j}][0]")
            last = wait
        return self


def stages(f: Funnel) -> tuple:
    """(verification, shipping, delivery, settlement, returns) of ``f``, the defaults where absent."""
    return (f.verification or Verification(), f.shipping or Stage(), f.delivery or Delivery(),
            f.settlement or Stage(), f.returns or Stage())


def check_funnel(s) -> None:
    """The funnel's call types exist and its channels are media channels (called by ``Scenario``)."""
    f = s.funnel
    if f is None:
        return
    types = {c.name for c in s.call_types}
    for name in f.call_types:
        if name not in types:
            raise _err(f"funnel call type '{name}' is not defined (call types: {', '.join(sorted(types))})",
                       f"funnel.call_types.{name}")
    channels = {c.name for c in s.media.channels} if s.media is not None else set()
    by_channel = f.delivery.by_channel if f.delivery is not None else {}
    for where, names in (("funnel.channels", f.channels), ("funnel.delivery.by_channel", by_channel)):
        for name in names:
            if name not in channels:
                known = ", ".join(sorted(channels)) or "none: the scenario has no media"
                raise _err(f"channel '{name}' is not a media channel (media.channels: {known})", f"{where}.{name}")
