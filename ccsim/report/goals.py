"""Service-level goals: which goal applies, and whether a study meets it.

A call type's goal is its ``service_level_target``, else the scenario-wide
``service_level.target`` (fractions; None = no goal). A goal is *met* when the
whole 95 % CI of the service level lies at or above it, *not met* when the whole
CI lies below it, and *undecided* when the CI straddles it or cannot be formed
(one replication, no offered calls).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ..goals import MET, NOT_MET, UNDECIDED, decide, goal_of  # noqa: F401 - the verdicts, re-exported
from ..results import mean_halfwidth
from ..scenario import Scenario, validate_scenario
from . import stats

ALL_CALL_TYPES = "all call types"


@dataclass(frozen=True)
class GoalCheck:
    """One goal of one design point, decided from the replications."""

    point: int
    label: str  # the point's label
    call_type: str  # a call type, or ALL_CALL_TYPES for the scenario-wide goal on the totals
    goal: float  # fraction
    service_level: tuple  # (mean, half-width) across replications
    verdict: str  # MET, NOT_MET or UNDECIDED
    reason: str  # why undecided ("" otherwise)
    intervals_meeting: Optional[tuple]  # (mean, half-width) share of post-warm-up intervals; None = not stored


def _scenario(scenario) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else validate_scenario(scenario)


def call_type_goals(scenario) -> dict:
    """{call type: goal or None}: its own target, else the scenario-wide one."""
    s = _scenario(scenario)
    return {c.name: goal_of(s, c.name) for c in s.call_types}


def overall_goal(scenario) -> Optional[float]:
    """The goal of the totals' service level: the scenario-wide target, or the goal of
    the only call type."""
    s = _scenario(scenario)
    if s.service_level.target is not None or len(s.call_types) > 1:
        return s.service_level.target
    return call_type_goals(s)[s.call_types[0].name]


def share_meeting(tables, goal: float) -> tuple:
    """(mean, half-width) across replications of the share of post-warm-up intervals whose
    service level reaches ``goal``; intervals without a service level (no calls) are left out.
    ``tables``: an iterable of interval tables (read one at a time)."""
    return mean_halfwidth([interval_share(table, goal) for table in tables])


def interval_share(table, goal: float) -> float:
    """The share of one replication's post-warm-up intervals (with a service level) reaching ``goal``."""
    sl = table["service_level"][~table["warmup"]]
    sl = sl[np.isfinite(sl)]
    return float(np.mean(sl >= goal)) if len(sl) else math.nan


def goal_checks(data) -> list:
    """Every goal of every point of ``data`` (a ``StudyData``), in point and call-type order.

    The shares of intervals meeting a goal are computed replication by replication (one
    replication's interval tables decoded at a time)."""
    checks = []
    for p in data.points:
        records = data.records_of(p.point)
        if not records:
            continue
        per_type = stats.call_type_summary(records, ["service_level"])
        have_tables = all(stats.has_call_type_tables(r) for r in records)
        s = _scenario(p.scenario)
        wanted = {name: goal for name, goal in call_type_goals(s).items() if goal is not None and name in per_type}
        overall = s.service_level.target if s.service_level.target is not None and len(s.call_types) > 1 else None
        shares = {name: [] for name in wanted} if have_tables else {}
        overall_shares = []
        for r in records:
            if shares:
                tables = stats.call_type_interval_tables(r)
                for name, goal in wanted.items():
                    shares[name].append(interval_share(tables[name], goal))
                del tables
            if overall is not None:
                overall_shares.append(interval_share(r.interval_table(), overall))
        for name, goal in wanted.items():
            share = mean_halfwidth(shares[name]) if have_tables else None
            checks.append(_check(p, name, goal, per_type[name]["service_level"], share))
        if overall is not None:
            total = mean_halfwidth([r.kpis["service_level"] for r in records])
            checks.append(_check(p, ALL_CALL_TYPES, overall, total, mean_halfwidth(overall_shares)))
    return checks


def _check(point, call_type: str, goal: float, service_level: tuple, share) -> GoalCheck:
    verdict, reason = decide(*service_level, goal)
    return GoalCheck(point.point, point.label, call_type, goal, service_level, verdict, reason, share)
