"""Exact queueing predictions to draw beside a simulated agent-count sweep.

A scenario qualifies when it is the textbook model: one call type, Poisson
arrivals at a constant rate, exponential handle time, no after-call work, no
trunk limit, every agent at proficiency 1, and patience exponential (Erlang A),
absent (Erlang C) or deterministic 0 (Erlang B); none of them given by period of
the day (the formulas are stationary). The service level must use the
"offered" denominator, the one the formulas compute.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from .. import analytic
from ..scenario import Scenario, validate_scenario


@dataclass(frozen=True)
class ErlangModel:
    """The single-queue model of a qualifying scenario (seconds, calls per second)."""

    kind: str  # "A", "B" or "C"
    arrival_rate: float
    mean_handle: float
    mean_patience: Optional[float]  # Erlang A only
    threshold: float

    @property
    def name(self) -> str:
        return f"Erlang {self.kind}"

    def metrics(self, agents: int) -> dict:
        """{service_level, asa, abandon_rate, occupancy} with ``agents`` agents (nan if unstable).

        Patience 0 makes a lost call an abandonment in the simulator, so Erlang B's
        blocking is compared with the abandon rate.
        """
        lam, h = self.arrival_rate, self.mean_handle
        if self.kind == "B":
            r = analytic.erlang_b_metrics(agents, lam, h)
            return {"service_level": r.service_level, "asa": r.asa, "abandon_rate": r.p_block,
                    "occupancy": r.occupancy}
        if self.kind == "C" and lam * h >= agents:
            return {"service_level": math.nan, "asa": math.nan, "abandon_rate": 0.0, "occupancy": 1.0}
        r = analytic.erlang_a_metrics(agents, lam, h, self.mean_patience, self.threshold)
        return {"service_level": r.service_level, "asa": r.asa, "abandon_rate": r.p_abandon,
                "occupancy": r.occupancy}


def erlang_model(scenario) -> Optional[ErlangModel]:
    """The Erlang model of ``scenario`` (a ``Scenario`` or a plain dict), or None."""
    s = scenario if isinstance(scenario, Scenario) else validate_scenario(scenario)
    if len(s.call_types) != 1 or s.lines is not None or s.entries or s.media is not None:
        return None
    call = s.call_types[0]
    sl = s.service_level
    if sl.denominator == "answered" or (sl.denominator != "offered" and sl.short_abandon > 0):
        return None
    if call.retrials is not None or call.queue_capacity is not None or s.queue_pools:
        return None
    # durations by period of the day (no ``dist``) are not the stationary Erlang models
    if call.arrivals.process != "poisson" or getattr(call.handle_time, "dist", None) != "exponential":
        return None
    if call.arrivals.busyness is not None and call.arrivals.busyness.cv > 0:
        return None  # a random rate per day: doubly stochastic, not the Erlang models' Poisson
    if call.after_call_work is not None or any(not g.identical() or g.proficiency != 1.0 for g in s.agents):
        return None
    kind, patience = _patience_kind(call.patience)
    if kind is None:
        return None
    return ErlangModel(kind, call.arrivals.rate_per_second(), call.handle_time.mean, patience, sl.threshold)


def _patience_kind(patience):
    if patience is None:
        return "C", None
    if getattr(patience, "dist", None) == "exponential":
        return "A", patience.mean
    if getattr(patience, "dist", None) == "deterministic" and patience.value == 0:
        return "B", None
    return None, None


def agents_besides(scenario, path: str) -> Optional[int]:
    """Agents of the groups other than the one ``path`` ("agents.<group>.count") sets.

    None when the path is not an agent count of this scenario. The group is named,
    or given by its position ("agents.0.count").
    """
    parts = path.split(".")
    if len(parts) != 3 or parts[0] != "agents" or parts[2] != "count":
        return None
    s = scenario if isinstance(scenario, Scenario) else validate_scenario(scenario)
    names = [g.name for g in s.agents]
    key = parts[1]
    if key in names:
        index = names.index(key)
    elif key.isdigit() and int(key) < len(names):
        index = int(key)
    else:
        return None
    return sum(g.size for i, g in enumerate(s.agents) if i != index)
