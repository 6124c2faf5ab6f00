"""Opening hours, voicemail callbacks, virtual hold (callback offers) and wait announcements.

``hours`` says when the center is open, week by week: ``open`` maps a weekday to
its opening intervals ("HH:MM" to "HH:MM", end "24:00" allowed; a weekday left
out is closed all day), counted from ``start_weekday`` at time 0. A call that
rings while the center is closed (and finds a free line) gets the ``closed``
action: a message, a voicemail, or a forward to another call type's queue.

``voicemail`` names the call type whose agents call voicemails back. Each
voicemail (a closed-hours one, or an IVR ``exit: voicemail``) becomes a callback
item of that type, available at once when open, else at the next opening.

A call type's ``callback`` offers virtual hold: a caller who would wait longer
than ``offer_after`` (predicted) may leave a callback request instead; its
``announcement`` tells waiting callers the predicted wait, which stretches or
shortens their patience.
"""
from __future__ import annotations

import bisect
import math
import re
from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from . import limits as L

Name = Annotated[str, Field(min_length=1, max_length=L.MAX_NAME, pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")]
Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Secs = Annotated[float, Field(ge=0.0, le=L.MAX_SECONDS, allow_inf_nan=False)]
PositiveSecs = Annotated[float, Field(gt=0.0, le=L.MAX_SECONDS, allow_inf_nan=False)]
Factor = Annotated[float, Field(gt=0.0, le=1000.0, allow_inf_nan=False)]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEK = 7 * L.DAY
_HHMM = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ClosedMessage(_Model):
    """The caller hears a closed message (holding a line), then the call ends."""

    action: Literal["message"]
    message: Secs = Field(description="seconds of the message, on a line")


class ClosedVoicemail(_Model):
    """The caller records a voicemail (holding a line): a callback item of ``voicemail.call_type``."""

    action: Literal["voicemail"]
    duration: Secs = Field(description="seconds of the recording, on a line")


class ClosedForward(_Model):
    """The call goes to another call type's queue (an on-duty group), skipping the menu."""

    action: Literal["forward"]
    call_type: Name = Field(description="the call type whose queue takes calls while closed")


ClosedAction = Annotated[Union[ClosedMessage, ClosedVoicemail, ClosedForward], Field(discriminator="action")]


class Hours(_Model):
    """When the center is open, week after week."""

    start_weekday: Literal[WEEKDAYS] = Field(default="monday", description="weekday of time 0")
    open: dict[str, list[list[Union[str, int]]]] = Field(description=(
        'weekday -> list of ["HH:MM", "HH:MM"] opening intervals (end "24:00" allowed); '
        "a weekday left out is closed all day"))
    closed: ClosedAction = Field(description="what a call ringing while closed gets")


class Voicemail(_Model):
    """Who calls voicemails back."""

    call_type: Name = Field(description="the call type whose agents call voicemails back")


class Callback(_Model):
    """Virtual hold, and how callback items of this call type are dialled."""

    offer_after: Optional[Secs] = Field(default=None, description=(
        "offer a callback when the predicted wait exceeds this (seconds); absent = never offered "
        "(the section then only says how voicemails are called back)"))
    accept: Probability = Field(default=1.0, description="probability that an offered caller accepts")
    answer: Probability = Field(default=1.0, description="probability that the customer answers a callback")
    ring: Secs = Field(default=30.0, description="seconds an agent rings an unanswered callback")
    max_attempts: Annotated[int, Field(ge=1, le=L.MAX_ATTEMPTS)] = Field(
        default=3, description="agent attempts per item at most")
    retry_delay: Secs = Field(default=600.0, description="seconds before an unanswered item is tried again")
    target: Secs = Field(default=3600.0, description=(
        "an item waiting this long (since its request) is overdue: agents take it before live callers"))


class Announcement(_Model):
    """Callers who must wait hear the predicted wait; it scales their patience."""

    threshold: Secs = Field(description="seconds: a longer prediction is 'long'")
    patience_factor_long: Factor = Field(default=1.0, description="patience multiplier after a long prediction")
    patience_factor_short: Factor = Field(default=1.0, description="patience multiplier after a short one")


def _err(kind: str, message: str, path: str):
    return PydanticCustomError(kind, message.replace("{", "{{").replace("}", "}}"), {"path": path})


def _clock(text, path: str, end: bool) -> float:
    if not isinstance(text, str):  # YAML 1.1 reads an unquoted 12:00 as the number 720
        raise _err("hours", f"{text!r} is not a time of day \"HH:MM\": quote the times in YAML "
                            "(\"12:00\"; unquoted, 12:00 is read as the number 720)", path)
    match = _HHMM.match(text)
    if not match or (int(match.group(1)) == 24 and (int(match.group(2)) != 0 or not end)):
        raise _err("hours", f"'{text}' is not a time of day \"HH:MM\" (00:00 to 23:59; 24:00 only as an end)",
                   path)
    return int(match.group(1)) * 3600.0 + int(match.group(2)) * 60.0


def week_table(hours: Hours) -> tuple[list[float], list[float]]:
    """(opens, closes): the opening intervals in seconds since Monday 00:00, sorted, adjacent
    ones merged. Raises the field-path errors of a bad table."""
    spans = []
    for day, intervals in hours.open.items():
        where = f"hours.open.{day}"
        if day not in WEEKDAYS:
            raise _err("hours", f"unknown weekday '{day}' (weekdays: {', '.join(WEEKDAYS)})", where)
        last_end = -1.0
        for i, pair in enumerate(intervals):
            if len(pair) != 2:
                raise _err("hours", "an opening interval is [\"HH:MM\", \"HH:MM\"]", f"{where}[{i}]")
            start, end = _clock(pair[0], f"{where}[{i}][0]", False), _clock(pair[1], f"{where}[{i}][1]", True)
            if end <= start:
                raise _err("hours", f"interval ends ({pair[1]}) at or before it starts ({pair[0]})", f"{where}[{i}]")
            if start < last_end:
                raise _err("hours", "intervals overlap or are not sorted by start time", f"{where}[{i}]")
            last_end = end
            base = WEEKDAYS.index(day) * L.DAY
            spans.append((base + start, base + end))
    if not spans:
        raise _err("hours", "the center is never open: give at least one weekday an interval", "hours.open")
    spans.sort()
    opens, closes = [spans[0][0]], [spans[0][1]]
    for start, end in spans[1:]:
        if start == closes[-1]:
            closes[-1] = end
        else:
            opens.append(start)
            closes.append(end)
    return opens, closes


def week_time(t: float, shift: float) -> float:
    """Seconds since Monday 00:00 of the week time t falls in (time 0 is ``shift`` into the week)."""
    return math.fmod(t + shift, WEEK)


def is_open(opens: list, closes: list, shift: float, t: float) -> bool:
    """Whether the center is open at t (binary search; twin of ``_hours.week_open``)."""
    w = week_time(t, shift)
    i = bisect.bisect_right(opens, w) - 1
    return i >= 0 and w < closes[i]


def next_open(opens: list, closes: list, shift: float, t: float) -> float:
    """The next opening after t, for a t when closed (twin of ``_hours.week_next_open``).

    The opening's own time (its week's start + its offset), the same float for every t of one
    closed spell: t + (offset - week time) rounded differently for each t (up to ~1e-11 s), so
    the callbacks of a night, due at the opening, were ordered by that noise, not by their
    requests. ``t + (offset - week time)`` only where that one lands at or before t."""
    w = week_time(t, shift)
    i = bisect.bisect_right(opens, w)
    week = math.floor((t + shift - w) / WEEK + 0.5)  # whole weeks before t's week
    if i < len(opens):
        at, near = week * WEEK - shift + opens[i], t + (opens[i] - w)
    else:
        at, near = (week + 1) * WEEK - shift + opens[0], t + ((WEEK - w) + opens[0])
    return at if at > t else near


def check_hours(s) -> None:
    """Cross-field rules of hours, voicemail, callbacks and announcements (called by ``Scenario``)."""
    types = {c.name for c in s.call_types}
    if s.hours is not None:
        week_table(s.hours)
        closed = s.hours.closed
        if isinstance(closed, ClosedForward) and closed.call_type not in types:
            raise _err("unknown_call_type", f"closed calls are forwarded to call type '{closed.call_type}', which "
                                            f"is not defined (call types: {', '.join(sorted(types))})",
                       "hours.closed.call_type")
        if isinstance(closed, ClosedVoicemail) and s.voicemail is None:
            raise _err("voicemail", "the closed action 'voicemail' needs a top-level voicemail: {call_type: NAME} "
                                    "section (who calls voicemails back)", "hours.closed")
    if s.voicemail is not None and s.voicemail.call_type not in types:
        raise _err("unknown_call_type", f"voicemails are called back by call type '{s.voicemail.call_type}', which "
                                        f"is not defined (call types: {', '.join(sorted(types))})",
                   "voicemail.call_type")
