"""Agent schedules: shifts and breaks of an agent group, week after week.

An agent group's ``shifts`` is a list of shifts; each has a ``start`` and an ``end`` time of
day ("HH:MM"; an end earlier than the start is on the next day, "24:00" allowed as an end),
the ``weekdays`` it starts on (default: every day), how many of the group's ``agents`` work it
(default: all of the group) and its ``breaks`` (a start time of day inside the shift and
``minutes``). The group's agents are given to the shifts in order: the first shift's agents
are the group's agents 0..N-1, the next shift's the following ones; agents in no shift never
log in. Weekdays count from ``hours.start_weekday`` at time 0 (Monday without ``hours``).

``week_on`` turns a shift into the week's on-duty intervals (logged in and not on break),
the table both engines read; ``check_shifts`` raises the field-path errors of bad input.
"""
from __future__ import annotations

from typing import Annotated, Optional, Union

from pydantic import Field

from . import limits as L
from .hours import WEEK, WEEKDAYS, _clock, _err, _Model


class Break(_Model):
    """A break: from a time of day inside the shift, for some minutes."""

    start: Union[str, int] = Field(description='time of day "HH:MM" the break starts (inside its shift)')
    minutes: Annotated[float, Field(gt=0.0, le=24 * 60, allow_inf_nan=False)] = Field(
        description="length of the break in minutes")


class Shift(_Model):
    """A shift worked by some of a group's agents on some weekdays."""

    start: Union[str, int] = Field(description='time of day "HH:MM" the shift starts')
    end: Union[str, int] = Field(description='time of day "HH:MM" it ends ("24:00" allowed; earlier than '
                                             'start = the next day)')
    weekdays: Optional[list[str]] = Field(default=None, min_length=1, max_length=7,
                                          description="weekdays it starts on; absent = every day")
    agents: Optional[Annotated[int, Field(ge=1, le=L.MAX_AGENTS)]] = Field(
        default=None, description="how many of the group's agents work it; absent = all of the group")
    breaks: list[Break] = Field(default_factory=list, description="breaks, by start time inside the shift")


def _span(shift: Shift, path: str) -> tuple[float, float]:
    """(start, length) of a shift in seconds; a shift crossing midnight ends the next day."""
    start, end = _clock(shift.start, f"{path}.start", False), _clock(shift.end, f"{path}.end", True)
    if end == start:
        raise _err("shifts", f"the shift starts and ends at the same time ({shift.start} to {shift.end}): "
                             "give a shift shorter than 24 hours", path)
    return start, (end - start) if end > start else (end + L.DAY - start)


def _breaks(shift: Shift, start: float, length: float, path: str) -> list[tuple[float, float]]:
    """The breaks as (offset from the shift start, end offset), sorted; each inside the shift,
    none overlapping another."""
    out = []
    for j, brk in enumerate(shift.breaks):
        where = f"{path}.breaks[{j}]"
        offset = (_clock(brk.start, f"{where}.start", False) - start) % L.DAY
        end = offset + brk.minutes * 60.0
        if end > length:
            raise _err("shifts", f"the break at {brk.start} ({brk.minutes:g} minutes) is not inside its shift "
                                 f"({shift.start} to {shift.end})", where)
        for k, (o, e) in enumerate(out):
            if offset < e and o < end:
                raise _err("shifts", f"the break at {brk.start} overlaps breaks[{k}] of the same shift", where)
        out.append((offset, end))
    return sorted(out)


def _weekdays(shift: Shift, path: str) -> list[int]:
    if shift.weekdays is None:
        return list(range(7))
    days = []
    for j, day in enumerate(shift.weekdays):
        if day not in WEEKDAYS:
            raise _err("shifts", f"unknown weekday '{day}' (weekdays: {', '.join(WEEKDAYS)})",
                       f"{path}.weekdays[{j}]")
        if WEEKDAYS.index(day) in days:
            raise _err("shifts", f"weekday '{day}' is listed twice", f"{path}.weekdays[{j}]")
        days.append(WEEKDAYS.index(day))
    return days


def week_on(shift: Shift, path: str = "shift") -> tuple[list[float], list[float]]:
    """(opens, closes): when the shift's agents are on duty (logged in, not on break), in seconds
    since Monday 00:00, sorted, disjoint, touching ones merged; a piece past the week's end wraps
    to its start, except that time on duty running on over the week's end is one interval, the
    last, whose close is past WEEK. Raises the field-path errors of a bad shift."""
    start, length = _span(shift, path)
    breaks = _breaks(shift, start, length, path)
    pieces, at = [], 0.0
    for offset, end in breaks:
        if offset > at:
            pieces.append((at, offset))
        at = max(at, end)
    if at < length:
        pieces.append((at, length))
    spans = []
    for day in _weekdays(shift, path):
        base = day * L.DAY + start
        for lo, hi in pieces:
            lo, hi = base + lo, base + hi
            if lo >= WEEK:
                spans.append((lo - WEEK, hi - WEEK))
            elif hi > WEEK:
                spans += [(lo, WEEK), (0.0, hi - WEEK)]
            else:
                spans.append((lo, hi))
    return merge_spans(spans)


def merge_spans(spans: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """(opens, closes) of the union of ``spans`` (pieces of the week in [0, WEEK]): sorted,
    disjoint, touching ones merged, and time on duty across the week's end one interval, the
    last, whose close is past WEEK."""
    spans = sorted(spans)
    opens, closes = [], []
    for lo, hi in spans:
        if closes and lo <= closes[-1]:
            closes[-1] = max(closes[-1], hi)
        else:
            opens.append(lo)
            closes.append(hi)
    if len(opens) > 1 and opens[0] == 0.0 and closes[-1] == WEEK:  # on duty across the week's end:
        closes[-1] = WEEK + closes.pop(0)  # one interval, its close past WEEK
        opens.pop(0)
    return opens, closes


def week_on_all(shifts: list[Shift], path: str) -> tuple[list[float], list[float]]:
    """(opens, closes) of an agent working several shifts: on duty in any of them."""
    spans = []
    for j, shift in enumerate(shifts):
        for lo, hi in zip(*week_on(shift, f"{path}[{j}]")):
            spans += [(lo, WEEK), (0.0, hi - WEEK)] if hi > WEEK else [(lo, hi)]
    return merge_spans(spans)


def group_shift_agents(group) -> int:
    """Agents the group's shifts are given to: its agents, except members with shifts of their own."""
    return group.size - sum(1 for m in group.members or () if m.shifts is not None)


def check_shifts(s) -> None:
    """Every group's and member's shifts are well formed; a group's give out at most its agents
    (those without shifts of their own)."""
    for i, group in enumerate(s.agents):
        for j, member in enumerate(group.members or ()):
            if member.shifts is not None:
                week_on_all(member.shifts, f"agents[{i}].members[{j}].shifts")
        if group.shifts is None:
            continue
        total, count = 0, group_shift_agents(group)
        for j, shift in enumerate(group.shifts):
            week_on(shift, f"agents[{i}].shifts[{j}]")
            total += count if shift.agents is None else shift.agents
        if total > count:
            own = " without shifts of their own" if count < group.size else ""
            raise _err("shifts", f"the shifts of group '{group.name}' need {total} agents; the group has "
                                 f"{count}{own} (agents: N of each shift, absent = all of the group)",
                       f"agents[{i}].shifts")
