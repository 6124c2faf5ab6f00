"""Staffing from required counts: a roster of shifts made to cover agents required per interval.

An agent group may give ``staffing`` instead of ``shifts``: the agents required on duty in
each interval of ``interval_minutes`` from 00:00 (``required``, a list, or ``csv``, a file with
``interval`` and ``agents`` columns, intervals numbered from 0), over one day (the same
requirement every day, or on ``weekdays`` only) or over a week from Monday 00:00. The
candidate shifts start every ``start_step_minutes`` and last one of ``shift_lengths_hours``;
each has the ``breaks`` that fit in it (at fixed minutes after its start).

The roster is made by a greedy set cover: repeatedly add the candidate shift that covers the
most still-uncovered agent-time (its on-duty time in each interval, up to what that interval
still lacks; ties: the shorter shift, then the earlier start), until every interval has at
least its required agents on duty (on duty = logged in and not on break, averaged over the
interval: the staffed time the reports count). It is a heuristic: its gap to the fewest
agent-hours is not bounded. A daily requirement gives shifts worked every day (or on
``weekdays``), a weekly one shifts worked on one weekday each; days off and weekly tours are
not modelled. The scenario then holds the generated shifts (``shifts``; ``staffing`` is
dropped), so ``ccsim validate --show-shifts`` and every later step see them; the group's
``count`` must be at least the roster's agents.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import numpy as np
from pydantic import Field, ValidationInfo, model_validator

from . import limits as L
from .csv_column import cell_text, column_index, read_rows, shown
from .hours import WEEKDAYS, _Model
from .shifts import Break, Shift

MAX_CANDIDATE_CELLS = 20_000_000  # candidates x intervals of the coverage matrix
MAX_INTERVALS = 7 * 1440  # required counts: a week of one-minute intervals


class StaffingBreak(_Model):
    """A break of every generated shift long enough to hold it."""

    after_minutes: Annotated[int, Field(ge=0, le=24 * 60)] = Field(
        description="minutes after the shift's start the break begins")
    minutes: Annotated[int, Field(ge=1, le=24 * 60)] = Field(description="length of the break in minutes")


class Staffing(_Model):
    """Agents required per interval, and the shapes of the shifts that may cover them."""

    required: Optional[list[Annotated[int, Field(ge=0, le=L.MAX_AGENTS)]]] = Field(
        default=None, max_length=MAX_INTERVALS, description=(
        "agents required on duty per interval from 00:00: one day's intervals (every day) or a week's "
        "(from Monday)"))
    csv: Optional[Annotated[str, Field(min_length=1, max_length=L.MAX_PATH)]] = Field(
        default=None, description="instead of required: a CSV file with columns interval (0, 1, ...) and agents; "
                                  "relative to the scenario's folder")
    interval_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = Field(
        default=30, description="minutes per required count (divides a day)")
    shift_lengths_hours: list[Annotated[float, Field(gt=0.0, lt=24.0, allow_inf_nan=False)]] = Field(
        default_factory=lambda: [8.0], min_length=1, max_length=24, description="lengths of the candidate shifts")
    start_step_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = Field(
        default=30, description="candidate shifts start every this many minutes from 00:00")
    weekdays: Optional[list[str]] = Field(default=None, min_length=1, max_length=7, description=(
        "with a day's requirement: the weekdays the shifts are worked; absent = every day"))
    breaks: list[StaffingBreak] = Field(default_factory=list, max_length=16,
                                        description="breaks of each shift that holds them")

    @model_validator(mode="after")
    def _load(self, info: ValidationInfo):
        if (self.required is None) == (self.csv is None):
            raise ValueError("give either 'required' (a list of agents per interval) or 'csv', not both or neither")
        if self.csv is not None:
            path = Path((info.context or {}).get("base_dir", ".")) / self.csv
            try:
                object.__setattr__(self, "required", read_required(path))
            except ValueError as err:
                raise ValueError(str(err)) from None
            object.__setattr__(self, "csv", None)  # inlined: the model is self-contained
        if 1440 % self.interval_minutes:
            raise ValueError(f"interval_minutes ({self.interval_minutes}) must divide a day (1440 minutes)")
        per_day = 1440 // self.interval_minutes
        if len(self.required) not in (per_day, 7 * per_day):
            raise ValueError(f"required has {len(self.required)} counts: give one day's ({per_day} intervals of "
                             f"{self.interval_minutes} minutes) or a week's ({7 * per_day})")
        if self.weekdays is not None and len(self.required) != per_day:
            raise ValueError("weekdays go with a day's requirement (a week's says each day's already)")
        for j, day in enumerate(self.weekdays or []):
            if day not in WEEKDAYS or day in self.weekdays[:j]:
                raise ValueError(f"weekdays[{j}]: '{day}' is unknown or repeated (weekdays: {', '.join(WEEKDAYS)})")
        spans = sorted((b.after_minutes, b.after_minutes + b.minutes, j) for j, b in enumerate(self.breaks))
        for (_, end, j), (start, _, k) in zip(spans, spans[1:]):
            if start < end:
                raise ValueError(f"breaks[{k}] overlaps breaks[{j}] (minutes after the shift's start)")
        for j, hours in enumerate(self.shift_lengths_hours):
            if abs(hours * 60 - round(hours * 60)) > 1e-9:
                raise ValueError(f"shift_lengths_hours[{j}] ({hours:g}) is not a whole number of minutes")
        return self


def read_required(path: Path) -> list[int]:
    """The agents column of a CSV with columns interval (0, 1, 2, ... in order) and agents;
    ``ValueError`` naming the file and line of a bad row."""
    header, rows = read_rows(path, "a header row with columns interval and agents")
    i, a = column_index(path, header, "interval"), column_index(path, header, "agents")  # (quotes no header cell)
    out = []
    for line, row in rows:
        if len(out) >= MAX_INTERVALS:
            raise ValueError(f"{path}, line {line}: more than {MAX_INTERVALS:,} intervals, a week of one-minute "
                             "intervals")
        interval, agents = cell_text(path, row, line, i, "interval"), cell_text(path, row, line, a, "agents")
        if interval != str(len(out)):
            raise ValueError(f"{path}, line {line}: interval {shown(interval)!r} should be {len(out)} (intervals "
                             "are numbered 0, 1, 2, ... in order)")
        if not (agents.isascii() and agents.isdigit()) or len(agents) > 12 or int(agents) > L.MAX_AGENTS:
            raise ValueError(f"{path}, line {line}: agents {shown(agents)!r} is not a whole number from 0 to "
                             f"{L.MAX_AGENTS:,}")
        out.append(int(agents))
    if not out:
        raise ValueError(f"{path}: no rows after the header")
    return out


def _coverage(starts: np.ndarray, length: float, breaks, width: float, n: int) -> np.ndarray:
    """[len(starts), n]: the fraction of each interval (cyclic over n intervals of ``width``
    seconds) a shift starting at each start (seconds) and lasting ``length`` spends on duty."""
    pieces, at = [], 0.0
    for off, end in sorted(breaks):
        pieces.append((at, off))
        at = end
    pieces.append((at, length))
    total, edges = n * width, np.arange(n + 1) * width
    out = np.zeros((len(starts), n))
    for c, s in enumerate(starts):
        for lo, hi in pieces:
            lo, hi = s + lo, s + hi
            for shift in (0.0, -total):  # a piece past the period's end wraps to its start
                a, b = lo + shift, hi + shift
                out[c] += np.clip(np.minimum(edges[1:], b) - np.maximum(edges[:-1], a), 0.0, None) / width
    return out


def roster_from_requirements(required, interval_minutes: int = 30, shift_lengths_hours=(8.0,),
                             start_step_minutes: int = 30, breaks=(), weekdays=None) -> list[Shift]:
    """The shifts (with ``agents`` counts) of the greedy roster covering ``required`` (agents
    per interval from 00:00, one day's or a week's from Monday); ``breaks`` are (minutes after
    the start, minutes) pairs. See the module's documentation for the rule."""
    required = np.asarray(required, dtype=np.float64)
    width, n = interval_minutes * 60.0, len(required)
    period, step = n * width, start_step_minutes * 60.0
    starts = np.arange(0.0, period, step)
    candidates, blocks = [], []
    lengths = sorted(set(float(h) for h in shift_lengths_hours))  # shorter first: ties go to them
    if len(starts) * len(lengths) * n > MAX_CANDIDATE_CELLS:
        raise ValueError("too many candidate shifts x intervals: use a larger start_step_minutes or interval_minutes")
    for hours in lengths:
        length = round(hours * 60) * 60.0
        fit = [(after * 60.0, after * 60.0 + minutes * 60.0) for after, minutes in breaks
               if (after + minutes) * 60.0 <= length]
        blocks.append(_coverage(starts, length, fit, width, n))
        candidates += [(s, length, fit) for s in starts]
    cover = np.vstack(blocks)
    deficit, counts = required.copy(), np.zeros(len(candidates), dtype=np.int64)
    while (deficit > 1e-9).any():
        short = np.maximum(deficit, 0.0)
        gain = np.minimum(cover, short).sum(axis=1)
        best = int(np.argmax(gain))  # the first of the largest: shorter, then earlier
        if gain[best] <= 1e-12:
            raise ValueError("no candidate shift covers the remaining requirement")
        row = cover[best]
        # copies of the best candidate keep their full gain while each interval they cover lacks
        # at least their share: add them at once (the same roster as one at a time)
        needy = (row > 0) & (deficit > 1e-9)
        copies = max(1, int(np.floor(np.min(deficit[needy] / row[needy]) + 1e-9)))
        counts[best] += copies
        deficit -= copies * row
    return [_shift(candidates[c], int(counts[c]), n * width > L.DAY, weekdays)
            for c in np.flatnonzero(counts)]


def _hhmm(seconds: float) -> str:
    seconds = round(seconds) % int(L.DAY)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _shift(candidate, agents: int, weekly: bool, weekdays) -> Shift:
    start, length, fit = candidate
    days = [WEEKDAYS[int(start // L.DAY)]] if weekly else weekdays
    return Shift(start=_hhmm(start), end=_hhmm(start + length), weekdays=days, agents=agents,
                 breaks=[Break(start=_hhmm(start + lo), minutes=(hi - lo) / 60.0) for lo, hi in fit])


def staffed_shifts(staffing: Staffing) -> list[Shift]:
    """The roster of a group's ``staffing``."""
    return roster_from_requirements(staffing.required, staffing.interval_minutes, staffing.shift_lengths_hours,
                                    staffing.start_step_minutes,
                                    [(b.after_minutes, b.minutes) for b in staffing.breaks], staffing.weekdays)
