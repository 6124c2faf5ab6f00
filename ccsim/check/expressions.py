"""Expectations on KPIs, as users write them: ``service_level[sales] >= 0.8``.

Grammar (spaces optional around operators)::

    KPI[SCOPE] OP TARGET [every interval HH:MM-HH:MM]
    KPI[SCOPE]: no worse than MARGIN            (with --baseline: new vs old)

SCOPE is a call type (``[sales]``), a team (``[team=A]``, agent group KPIs:
answered, aht, occupancy) or a media channel (``[channel=tv]``, or
``[channel=organic]``: callers, callers_lost_rate); without it the KPI covers
the whole center. The lost-call KPIs (``ccsim.results.LOST_KPI_NAMES``: lost_rate,
blocked_lines_rate, ivr_hang_up_rate, callers_lost_rate, callers) and the money KPIs
(``ccsim.money.MONEY_KPI_NAMES``: conversion, roi, collected_revenue, ...) are the
center's only, totals over the run (no call type, no window). OP is
one of ``>=``, ``<=``, ``>``, ``<``. Only the syntax and the KPI's range are
checked here; names of call types, teams and channels, and whether the scenario
can have a lost-call KPI at all, are checked against the scenario
(``ccsim.check.measures``).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Optional

from ..errors import UserError
from ..experiment.analysis import HIGHER_IS_BETTER as _ANALYSIS_HIGHER_IS_BETTER
from ..money import MONEY_FRACTIONS, MONEY_KPI_NAMES
from ..results import KPI_NAMES, LOST_KPI_NAMES

# KPIs of an agent group (Result.group_table()).
TEAM_KPIS = ("answered", "aht", "occupancy")
# KPIs of a media channel (Result.channel_kpis(); the money ones: Result.funnel(by="channel")).
CHANNEL_MONEY_KPIS = ("orders", "conversion", "collected_revenue", "roas")
CHANNEL_KPIS = ("callers", "callers_lost_rate") + CHANNEL_MONEY_KPIS
# KPIs of the whole center: Result.kpis(), Result.lost_call_kpis() and Result.money().
CENTER_KPIS = KPI_NAMES + LOST_KPI_NAMES + MONEY_KPI_NAMES
# KPIs of the whole run only: no call type, no window.
RUN_KPIS = LOST_KPI_NAMES + MONEY_KPI_NAMES
# KPIs that are fractions; every other one is a count, a time or money (>= 0, but SIGNED).
FRACTIONS = ("service_level", "abandon_rate", "blocked_rate", "occupancy", "lost_rate", "blocked_lines_rate",
             "ivr_hang_up_rate", "callers_lost_rate") + MONEY_FRACTIONS
SIGNED = ("profit",)
# True: higher is better; False: lower is better: a comparison's verdict's judgement (the KPIs
# with a direction of ccsim.experiment.analysis.HIGHER_IS_BETTER).
HIGHER_IS_BETTER = {kpi: better for kpi, better in _ANALYSIS_HIGHER_IS_BETTER.items()
                    if better is not None and kpi in CENTER_KPIS + CHANNEL_KPIS + TEAM_KPIS}
OPERATORS = (">=", "<=", ">", "<")


class ExpectationError(UserError):
    """An expectation that cannot be read or cannot be checked (exit 2)."""


@dataclass(frozen=True)
class Expectation:
    """One KPI target. ``margin`` is set (and ``op``/``target`` derived) for a baseline comparison."""

    text: str  # as written, for messages and reports
    kpi: str
    op: str  # ">=", "<=", ">" or "<"
    target: float
    call_type: Optional[str] = None
    team: Optional[str] = None
    window: Optional[tuple] = None  # (from, to) seconds of the day: every interval inside
    comparison: bool = False  # new - old against the margin
    where: str = "--expect"  # where it was written (option, or file:line)
    channel: Optional[str] = None  # a media channel, or "organic"

    @property
    def higher_passes(self) -> bool:
        return self.op in (">=", ">")

    @property
    def subject(self) -> str:
        """The KPI and its scope, as in the expression (``occupancy[team=A]``)."""
        scope = (f"[team={self.team}]" if self.team else f"[channel={self.channel}]" if self.channel
                 else f"[{self.call_type}]" if self.call_type else "")
        return self.kpi + scope


_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?%?"
_SUBJECT = rf"(?P<kpi>{_NAME})\s*(?:\[\s*(?P<scope>[^\]]*?)\s*\])?"
_TARGET = re.compile(rf"^\s*{_SUBJECT}\s*(?P<op>>=|<=|>|<|==|=|!=)\s*(?P<target>[^\s<>=!]\S*)"
                     rf"(?:\s+every\s+interval\s+(?P<window>\S+))?\s*$", re.IGNORECASE)
_MARGIN = re.compile(rf"^\s*{_SUBJECT}\s*:\s*no\s+worse\s+than\s+(?P<margin>\S+)\s*$", re.IGNORECASE)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_expectation(text: str, where: str = "--expect") -> Expectation:
    """The ``Expectation`` written in ``text``; an ``ExpectationError`` naming ``where`` if it is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise _error(where, text, "it is empty; write e.g. 'service_level >= 0.8'")
    match = _MARGIN.match(text)
    if match:
        return _comparison(text, where, match)
    match = _TARGET.match(text)
    if match is None:
        raise _error(where, text, "it is not of the form 'KPI >= TARGET', 'KPI[call type] <= TARGET', "
                                  "'KPI[team=NAME] >= TARGET', 'callers[channel=NAME] >= TARGET', "
                                  "'... every interval 09:00-21:00' or "
                                  "'KPI: no worse than MARGIN'")
    op = match.group("op")
    if op in ("=", "==", "!="):
        raise _error(where, text, f"the operator {op!r} cannot be decided by a confidence interval; "
                                  "use one of >=, <=, >, <")
    kpi, call_type, team, channel = _subject(text, where, match)
    target = _number(text, where, match.group("target"), "target")
    _check_range(text, where, kpi, target)
    window = _window(text, where, match.group("window")) if match.group("window") else None
    if window is not None and (kpi in RUN_KPIS or channel is not None):
        raise _error(where, text, f"{kpi} is a total over the run, with no per-interval values; "
                                  "drop 'every interval'")
    return Expectation(text.strip(), kpi, op, target, call_type, team, window, False, where, channel)


def _comparison(text: str, where: str, match) -> Expectation:
    kpi, call_type, team, channel = _subject(text, where, match)
    better = HIGHER_IS_BETTER.get(kpi)
    if better is None:
        raise _error(where, text, f"{kpi} has no better direction (higher is not better or worse), so "
                                  "'no worse than' means nothing for it; KPIs with a direction: "
                                  f"{', '.join(HIGHER_IS_BETTER)}")
    margin = _number(text, where, match.group("margin"), "margin")
    if margin != 0 and (margin > 0) == better and match.group("margin")[0] in "+-":
        sign = "-" if better else "+"
        raise _error(where, text, f"the margin is how much worse the new version may be; for {kpi} "
                                  f"({'higher' if better else 'lower'} is better) worse is "
                                  f"{'lower' if better else 'higher'}: write {sign}{abs(margin):g}")
    # new - old must stay above -|margin| (higher is better) or below +|margin| (lower is better)
    op, target = (">=", -abs(margin)) if better else ("<=", abs(margin))
    return Expectation(text.strip(), kpi, op, target, call_type, team, None, True, where, channel)


def _subject(text: str, where: str, match) -> tuple:
    kpi, scope = match.group("kpi"), match.group("scope")
    call_type = team = channel = None
    if scope is not None:
        if not scope:
            raise _error(where, text, "the brackets are empty; write [CALL_TYPE], [team=NAME] or [channel=NAME]")
        key, eq, value = scope.partition("=")
        if eq:
            if key.strip() not in ("team", "channel") or not value.strip():
                raise _error(where, text, f"the scope [{scope}] is neither [CALL_TYPE] nor [team=NAME] "
                                          "nor [channel=NAME]")
            team, channel = (value.strip(), None) if key.strip() == "team" else (None, value.strip())
        else:
            call_type = scope
    if call_type and kpi in RUN_KPIS:
        raise _error(where, text, f"{kpi} is a KPI of the whole center, not split by call type; "
                                  f"write it without [{call_type}]")
    known = (TEAM_KPIS if team else CHANNEL_KPIS if channel
             else tuple(k for k in KPI_NAMES if k != "occupancy") if call_type else CENTER_KPIS)
    if kpi not in known:
        whose = "a team" if team else "a media channel" if channel else "a call type" if call_type else "the center"
        raise _error(where, text, f"unknown KPI {kpi!r} for {whose}; known KPIs: {', '.join(known)}")
    return kpi, call_type, team, channel


def _number(text: str, where: str, raw: str, what: str) -> float:
    if not re.fullmatch(_NUMBER, raw):
        raise _error(where, text, f"the {what} {raw!r} is not a number")
    value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    if not math.isfinite(value):
        raise _error(where, text, f"the {what} {raw!r} is not a finite number")
    return value


def _check_range(text: str, where: str, kpi: str, target: float) -> None:
    if kpi in FRACTIONS and not 0.0 <= target <= 1.0:
        hint = f" (did you mean {target / 100:g}, or {target:g}%?)" if 1 < target <= 100 else ""
        raise _error(where, text, f"{kpi} is a fraction between 0 and 1, so the target {target:g} is outside "
                                  f"its range{hint}")
    if target < 0 and kpi not in SIGNED:
        raise _error(where, text, f"{kpi} is never negative, so the target {target:g} is outside its range")


def _window(text: str, where: str, raw: str) -> tuple:
    start, dash, end = raw.partition("-")
    if not dash:
        raise _error(where, text, f"the interval window {raw!r} is not of the form HH:MM-HH:MM")
    bounds = tuple(_clock(text, where, part) for part in (start, end))
    if bounds[0] >= bounds[1]:
        raise _error(where, text, f"the interval window {raw!r} ends before it starts; "
                                  "it is a span within one day (end 24:00 for midnight)")
    return bounds


def _clock(text: str, where: str, raw: str) -> float:
    match = _CLOCK.match(raw)
    hours, minutes = (int(match.group(1)), int(match.group(2))) if match else (-1, -1)
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or hours * 60 + minutes > 24 * 60:
        raise _error(where, text, f"{raw!r} is not a time of day HH:MM between 00:00 and 24:00")
    return hours * 3600.0 + minutes * 60.0


def _error(where: str, text, problem: str) -> ExpectationError:
    shown = text if not isinstance(text, str) or len(text) <= 200 else text[:200] + f"... ({len(text):,} characters)"
    return ExpectationError(f"{where}: the expectation {shown!r} cannot be used: {problem[:2000]}.")


__all__ = ["Expectation", "ExpectationError", "parse_expectation"]
