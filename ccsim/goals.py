"""Service-level goals: which goal a call type has, and whether an estimate meets it.

One place for the terminal, the results tables and the HTML report, so they never
disagree. Light on purpose (no pandas, no plotly): the command line imports it.
"""
from __future__ import annotations

import math
from typing import Optional

MET, NOT_MET, UNDECIDED = "met", "not met", "undecided"


def goal_of(scenario, call_type: str) -> Optional[float]:
    """A call type's goal (a fraction): its own target, else the scenario-wide one, else None."""
    own = next(c for c in scenario.call_types if c.name == call_type).service_level_target
    return own if own is not None else scenario.service_level.target


def decide(mean: float, halfwidth: float, goal: float) -> tuple:
    """(verdict, reason) for an estimate ``mean ± halfwidth`` against ``goal``:
    met when the whole 95 % CI is at or above it, not met when below, else undecided."""
    if not math.isfinite(mean):
        return UNDECIDED, "no estimate (no calls offered)"
    if not math.isfinite(halfwidth):
        return UNDECIDED, "no confidence interval (needs 2 or more replications)"
    if mean - halfwidth >= goal:
        return MET, ""
    if mean + halfwidth < goal:
        return NOT_MET, ""
    return UNDECIDED, "the 95 % CI straddles the goal"
