"""Agent schedules: shifts and breaks of an agent group, week after week.

An agent group's ``shifts`` is a list of shifts; each has a ``start`` and an ``end`` time of
day ("HH:MM"; an end earlier than the start is on the next day, "24:00" allowed as an end),
the ``weekdays`` it starts on (default: every day), how many of the group's ``agents`` work it
(default: all of the group), its ``breaks`` (a start time of day inside the shift, or a window
of start times ``earliest``..``latest``, and ``minutes``) and its ``shrinkage`` (absent = the
group's). The group's agents are given to the shifts in order: the first shift's agents are
the group's agents 0..N-1, the next shift's the following ones; agents in no shift never log
in. Weekdays count from ``hours.start_weekday`` at time 0 (Monday without ``hours``).

A window's break is placed per agent by ``placed``: agent k of the shift's n agents starts it
at earliest + (latest - earliest) * k / (n - 1), rounded to a whole second (one agent: at
earliest), so that the shift's agents do not all break at once.

``plan`` turns a shift into its start, weekdays and each agent's on-duty pieces; ``period_on``
turns those into the on-duty intervals (logged in and not on break) over a period of whole
weeks, some days absent (shrinkage: ``ccsim.schedules``); ``week_on`` is one week with nobody
absent, the table both engines read without shrinkage. ``check_shifts`` raises the field-path
errors of bad input, ``check_coverage`` those of a call type no agent can ever serve.
"""
from __future__ import annotations

from typing import Annotated, Optional, Union

from pydantic import Field, model_validator

from . import limits as L
from .hours import WEEK, WEEKDAYS, _clock, _err, _Model, week_table


Shrinkage = Annotated[float, Field(ge=0.0, lt=1.0, allow_inf_nan=False)]


class Break(_Model):
    """A break (lunch is one too): from a fixed time of day inside the shift, or placed by the
    compile inside a window of start times, staggered across the shift's agents."""

    start: Optional[Union[str, int]] = Field(default=None, description=(
        'time of day "HH:MM" the break starts (inside its shift); or give earliest and latest'))
    earliest: Optional[Union[str, int]] = Field(default=None, description=(
        'window: the earliest time of day "HH:MM" the break may start'))
    latest: Optional[Union[str, int]] = Field(default=None, description=(
        'window: the latest time of day "HH:MM" the break may start (the shift\'s agents are spread '
        'evenly from earliest to latest)'))
    minutes: Annotated[float, Field(gt=0.0, le=24 * 60, allow_inf_nan=False)] = Field(
        description="length of the break in minutes")

    @model_validator(mode="after")
    def _start_or_window(self):
        if self.start is not None and (self.earliest is not None or self.latest is not None):
            raise ValueError("give either 'start' (a fixed break) or 'earliest' and 'latest' (a window), not both")
        if self.start is None and (self.earliest is None or self.latest is None):
            raise ValueError("a break needs 'start', or both 'earliest' and 'latest' (a window of start times)")
        return self


class Shift(_Model):
    """A shift worked by some of a group's agents on some weekdays."""

    start: Union[str, int] = Field(description='time of day "HH:MM" the shift starts')
    end: Union[str, int] = Field(description='time of day "HH:MM" it ends ("24:00" allowed; earlier than '
                                             'start = the next day)')
    weekdays: Optional[list[str]] = Field(default=None, min_length=1, max_length=7,
                                          description="weekdays it starts on; absent = every day")
    agents: Optional[Annotated[int, Field(ge=1, le=L.MAX_AGENTS)]] = Field(
        default=None, description="how many of the group's agents work it; absent = all of the group")
    breaks: list[Break] = Field(default_factory=list, max_length=L.MAX_BREAKS, description=(
        f"breaks, by start time or window inside the shift (at most {L.MAX_BREAKS})"))
    shrinkage: Optional[Shrinkage] = Field(default=None, description=(
        "probability that an agent of this shift is absent for a day's instance of it; absent = the group's"))


def _span(shift: Shift, path: str) -> tuple[float, float]:
    """(start, length) of a shift in seconds; a shift crossing midnight ends the next day."""
    start, end = _clock(shift.start, f"{path}.start", False), _clock(shift.end, f"{path}.end", True)
    if end == start:
        raise _err("shifts", f"the shift starts and ends at the same time ({shift.start} to {shift.end}): "
                             "give a shift shorter than 24 hours", path)
    return start, (end - start) if end > start else (end + L.DAY - start)


def _offset(text, start: float, path: str) -> float:
    """Seconds from the shift's start to a time of day (the next one at or after the start)."""
    return (_clock(text, path, False) - start) % L.DAY


def break_starts(shift: Shift, start: float, length: float, path: str) -> list[tuple[float, float]]:
    """Per break (earliest, latest) start offset from the shift start (equal for a fixed break);
    every placement inside the shift."""
    out = []
    for j, brk in enumerate(shift.breaks):
        where = f"{path}.breaks[{j}]"
        if brk.start is not None:
            lo = hi = _offset(brk.start, start, f"{where}.start")
            said = f"the break at {brk.start}"
        else:
            lo, hi = _offset(brk.earliest, start, f"{where}.earliest"), _offset(brk.latest, start, f"{where}.latest")
            said = f"the break window {brk.earliest} to {brk.latest}"
            if hi < lo:
                raise _err("shifts", f"{said}: the latest start is before the earliest inside the shift "
                                     f"({shift.start} to {shift.end})", where)
        if hi + brk.minutes * 60.0 > length:
            raise _err("shifts", f"{said} ({brk.minutes:g} minutes) is not inside its shift "
                                 f"({shift.start} to {shift.end})", where)
        out.append((lo, hi))
    return out


def placed(windows: list[tuple[float, float]], k: int, n: int) -> list[float]:
    """Break start offsets of agent k of a shift's n agents: a fixed break where it is; a
    window's start spread evenly over its span, the first agent at the earliest start, the last
    at the latest (whole seconds, rounded half to even), so that not everyone breaks at once."""
    return [lo if hi == lo or n == 1 else lo + round((hi - lo) * k / (n - 1)) for lo, hi in windows]


def _breaks(shift: Shift, starts: list[float], path: str) -> list[tuple[float, float]]:
    """The breaks starting at ``starts`` as (offset from the shift start, end offset), sorted;
    none overlapping another."""
    out = []
    for j, (brk, offset) in enumerate(zip(shift.breaks, starts)):
        end = offset + brk.minutes * 60.0
        for k, (o, e) in enumerate(out):
            if offset < e and o < end:
                what = f"the break at {brk.start}" if brk.start is not None else "the break placed in its window"
                raise _err("shifts", f"{what} overlaps breaks[{k}] of the same shift (at "
                                     f"{_hhmm(starts[k], shift, path)})", f"{path}.breaks[{j}]")
        out.append((offset, end))
    return sorted(out)


def _hhmm(offset: float, shift: Shift, path: str) -> str:
    t = (_clock(shift.start, f"{path}.start", False) + offset) % L.DAY
    return f"{int(t // 3600):02d}:{int(t % 3600 // 60):02d}" + (f":{int(t % 60):02d}" if t % 60 else "")


def _pieces(breaks: list[tuple[float, float]], length: float) -> tuple[tuple[float, float], ...]:
    """On-duty (offset, end offset) pieces of a shift of ``length`` seconds with ``breaks``."""
    pieces, at = [], 0.0
    for offset, end in breaks:
        if offset > at:
            pieces.append((at, offset))
        at = max(at, end)
    if at < length:
        pieces.append((at, length))
    return tuple(pieces)


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


def plan(shift: Shift, n: int, path: str = "shift") -> tuple[float, tuple[int, ...], list[tuple]]:
    """(start time of day, weekdays, per agent k of the shift's ``n`` its on-duty pieces):
    everything the schedule tables are made of. Raises the field-path errors of a bad shift,
    including breaks overlapping once placed (checked for every agent)."""
    start, length = _span(shift, path)
    windows = break_starts(shift, start, length, path)
    days = tuple(_weekdays(shift, path))
    fixed = all(lo == hi for lo, hi in windows)
    pieces = []
    for k in range(1 if fixed else n):
        pieces.append(_pieces(_breaks(shift, placed(windows, k, n), path), length))
    return start, days, pieces * n if fixed else pieces


def period_on(start: float, days, pieces, weeks: int = 1, absent=None) -> tuple[list[float], list[float]]:
    """(opens, closes): when a shift's agent is on duty over a period of ``weeks`` weeks, in
    seconds since Monday 00:00 of its first week, sorted, disjoint, touching ones merged. The
    shift starts at ``start`` on its ``days`` (weekday numbers) of every week, except the period
    days d (counted from that Monday) with ``absent[d]`` true; ``pieces`` are its on-duty
    offsets from its start. A piece past the period's end wraps to its start, except that time
    on duty running on over the period's end is one interval, the last, whose close is past the
    period."""
    period = weeks * WEEK
    spans = []
    for week in range(weeks):
        for weekday in days:
            day = week * 7 + weekday
            if absent is not None and absent[day]:
                continue
            base = day * L.DAY + start
            for lo, hi in pieces:
                lo, hi = base + lo, base + hi
                if lo >= period:
                    spans.append((lo - period, hi - period))
                elif hi > period:
                    spans += [(lo, period), (0.0, hi - period)]
                else:
                    spans.append((lo, hi))
    spans.sort()
    opens, closes = [], []
    for lo, hi in spans:
        if closes and lo <= closes[-1]:
            closes[-1] = max(closes[-1], hi)
        else:
            opens.append(lo)
            closes.append(hi)
    if len(opens) > 1 and opens[0] == 0.0 and closes[-1] == period:  # on duty across the period's end:
        closes[-1] = period + closes.pop(0)  # one interval, its close past the period
        opens.pop(0)
    return opens, closes


def merge_spans(spans: list[tuple[float, float]], period: float = WEEK) -> tuple[list[float], list[float]]:
    """(opens, closes) of the union of ``spans`` (pieces of the period in [0, period]): sorted,
    disjoint, touching ones merged, and time on duty across the period's end one interval, the
    last, whose close is past the period."""
    opens, closes = [], []
    for lo, hi in sorted(spans):
        if closes and lo <= closes[-1]:
            closes[-1] = max(closes[-1], hi)
        else:
            opens.append(lo)
            closes.append(hi)
    if len(opens) > 1 and opens[0] == 0.0 and closes[-1] == period:
        closes[-1] = period + closes.pop(0)
        opens.pop(0)
    return opens, closes


def week_on(shift: Shift, path: str = "shift", k: int = 0, n: int = 1) -> tuple[list[float], list[float]]:
    """(opens, closes): when agent k of the shift's n agents is on duty (logged in, not on
    break) over a week (``period_on`` of one week, nobody absent). Raises the field-path errors
    of a bad shift."""
    start, days, pieces = plan(shift, n, path)
    return period_on(start, days, pieces[k])


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
            n = count if shift.agents is None else shift.agents
            plan(shift, n, f"agents[{i}].shifts[{j}]")
            total += n
        if total > count:
            own = " without shifts of their own" if count < group.size else ""
            raise _err("shifts", f"the shifts of group '{group.name}' need {total} agents; the group has "
                                 f"{count}{own} (agents: N of each shift, absent = all of the group)",
                       f"agents[{i}].shifts")
    check_coverage(s)


def _group_on(group) -> list[tuple[float, float]]:
    """When at least one of the group's agents is on duty in the week (before absences), as
    (start, end) spans in seconds since Monday 00:00 (within the week); [(0, WEEK)] while some of
    its agents have no shifts at all (the group's, or a member's own)."""
    count = group_shift_agents(group)
    if group.shifts is None and count > 0:
        return [(0.0, WEEK)]
    spans = []

    def add(opens, closes):
        nonlocal spans
        for lo, hi in zip(opens, closes):
            spans += [(lo, min(hi, WEEK))] + ([(0.0, hi - WEEK)] if hi > WEEK else [])

    for shift in group.shifts or ():
        n = count if shift.agents is None else shift.agents
        if n == 0:
            continue
        start, days, pieces = plan(shift, n)
        for own in set(pieces):
            add(*period_on(start, days, own))
    for member in group.members or ():
        if member.shifts is not None:
            add(*week_on_all(member.shifts, "member"))
    return spans


def check_coverage(s) -> None:
    """Every call type has a serving agent on duty at some time its calls can wait: while the
    center is open (``hours``; all week without them, and for the call types that take work
    while closed: the one closed calls are forwarded to, the voicemail call type, and a call
    type offering callbacks, whose items wait for an agent whenever it comes)."""
    known = {c.name for c in s.call_types}
    if not all(name in known for g in s.agents for name in g.serves):
        return  # an unknown call type is reported by the schema with its own path
    if s.hours is not None:
        opens, closes = week_table(s.hours)
    always = {getattr(s.hours.closed, "call_type", None) if s.hours else None,
              s.voicemail.call_type if s.voicemail else None}
    on = {g.name: _group_on(g) for g in s.agents}
    for i, call_type in enumerate(s.call_types):
        groups = [g for g in s.agents if call_type.name in g.serves]
        spans = [span for g in groups for span in on[g.name]]
        if not groups:
            continue  # no serving group: the schema's own error
        names = ", ".join(f"'{g.name}'" for g in groups)
        if not spans:
            raise _err("shifts", f"no agent can ever serve call type '{call_type.name}': the groups serving it "
                                 f"({names}) have no agent in any shift", f"call_types[{i}].name")
        offers = call_type.callback is not None and call_type.callback.offer_after is not None
        if s.hours is None or call_type.name in always or offers:
            continue
        if not any(lo < c and o < hi for lo, hi in spans for o, c in zip(opens, closes)):
            raise _err("shifts", f"no agent can ever serve call type '{call_type.name}': the shifts of the groups "
                                 f"serving it ({names}) never cover the opening hours (hours.open)",
                       f"call_types[{i}].name")
