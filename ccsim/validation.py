"""Statistical validation of an engine against the exact Erlang B, C and A results.

Each case is a single-queue scenario with Poisson arrivals and exponential
handle times; the simulated KPIs of ``reps`` replications give Student-t
confidence intervals that must contain the exact value. The family of all
comparisons is held at one error level by Bonferroni: each interval has level
``1 - alpha / comparisons``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
from scipy import stats as st

from . import analytic
from .api import replicate

MEAN_HANDLE = 180.0  # seconds, as in the center (AHT about 3 minutes)


@dataclass(frozen=True)
class ErlangCase:
    """One parameter set: ``kind`` is "B" (patience 0), "C" (no abandonment) or "A"."""

    name: str
    kind: str
    agents: int
    load: float  # Erlangs
    patience: Optional[float] = None  # mean seconds, model A only
    threshold: float = 20.0
    arrivals: int = 1_000_000  # measured arrivals per replication
    warmup_handles: float = 50.0  # warm-up length in mean handle times

    @property
    def rate(self) -> float:
        return self.load / MEAN_HANDLE

    def scenario(self) -> dict:
        horizon_measured = self.arrivals / self.rate
        warmup = self.warmup_handles * MEAN_HANDLE
        horizon = warmup + horizon_measured
        call_type = {
            "name": "inbound",
            "arrivals": {"process": "poisson", "rate": self.rate},
            "handle_time": {"dist": "exponential", "mean": MEAN_HANDLE},
        }
        if self.kind == "B":
            call_type["patience"] = {"dist": "deterministic", "value": 0}
        elif self.kind == "A":
            call_type["patience"] = {"dist": "exponential", "mean": self.patience}
        return {
            "name": self.name,
            "horizon": horizon,
            "warmup": warmup,
            "interval": horizon / 200,  # intervals do not matter here; keep the table small
            "service_level": {"threshold": self.threshold},
            "call_types": [call_type],
            "agents": [{"name": "team", "count": self.agents, "serves": ["inbound"]}],
        }

    def exact(self) -> dict:
        """The exact values of the KPIs this case checks, named as the simulator names them."""
        if self.kind == "B":
            r = analytic.erlang_b_metrics(self.agents, self.rate, MEAN_HANDLE)
            return {"abandon_rate": r.p_block, "occupancy": r.occupancy}
        if self.kind == "C":
            r = analytic.erlang_c_metrics(self.agents, self.rate, MEAN_HANDLE, self.threshold)
            return {"service_level": r.service_level, "asa": r.asa, "occupancy": r.occupancy}
        r = analytic.erlang_a_metrics(self.agents, self.rate, MEAN_HANDLE, self.patience, self.threshold)
        return {"service_level": r.service_level, "asa": r.asa, "abandon_rate": r.p_abandon,
                "occupancy": r.occupancy}


# Small teams (1-5), medium and large (500+), light load and heavy traffic
# (load/agents >= 0.97), short and long patience. Heavy traffic with a small team
# mixes too slowly for steady state in a test's budget, so heavy traffic is
# checked with medium and large teams and with abandonment (which is stable).
ERLANG_GRID = (
    ErlangCase("B-1-light", "B", agents=1, load=0.5, arrivals=300_000),
    ErlangCase("B-5", "B", agents=5, load=3.0, arrivals=300_000),
    ErlangCase("B-50", "B", agents=50, load=45.0),
    ErlangCase("B-190", "B", agents=190, load=180.0),
    ErlangCase("B-600-heavy", "B", agents=600, load=590.0),
    ErlangCase("C-1-light", "C", agents=1, load=0.3, arrivals=300_000),
    ErlangCase("C-3", "C", agents=3, load=2.4, arrivals=600_000, warmup_handles=200),
    ErlangCase("C-20", "C", agents=20, load=15.0),
    ErlangCase("C-200", "C", agents=200, load=180.0, arrivals=2_000_000),
    ErlangCase("C-100-heavy", "C", agents=100, load=97.0, arrivals=2_000_000, warmup_handles=300),
    ErlangCase("C-600-heavy", "C", agents=600, load=585.0, arrivals=2_000_000, warmup_handles=100),
    ErlangCase("A-1-overload-short", "A", agents=1, load=1.2, patience=60, arrivals=300_000),
    ErlangCase("A-2-short", "A", agents=2, load=1.0, patience=10, arrivals=300_000),
    ErlangCase("A-4-critical", "A", agents=4, load=4.0, patience=300, arrivals=600_000, warmup_handles=200),
    ErlangCase("A-50-critical-long", "A", agents=50, load=50.0, patience=600),
    ErlangCase("A-100-heavy-verylong", "A", agents=100, load=97.0, patience=1800, warmup_handles=200),
    ErlangCase("A-190", "A", agents=190, load=180.0, patience=300, arrivals=2_000_000),
    ErlangCase("A-500-overload-short", "A", agents=500, load=520.0, patience=120),
)


@dataclass(frozen=True)
class Check:
    case: str
    kpi: str
    exact: float
    mean: float
    halfwidth: float
    level: float

    @property
    def inside(self) -> bool:
        return abs(self.mean - self.exact) <= self.halfwidth

    @property
    def relative_width(self) -> float:
        return self.halfwidth / abs(self.exact) if self.exact else float("inf")

    @property
    def narrow(self) -> bool:
        """Narrow enough to mean something: within 15 % of the value (or tiny in absolute terms)."""
        floor = 0.05 if self.kpi == "asa" else 0.002
        return self.halfwidth <= max(0.15 * abs(self.exact), floor)


def comparisons(grid=ERLANG_GRID) -> int:
    return sum(len(case.exact()) for case in grid)


def check_case(case: ErlangCase, reps: int, seed, level: float, engine: str = "core") -> list[Check]:
    """Simulate ``reps`` replications of one case and compare each KPI with its exact value."""
    results = replicate(case.scenario(), reps=reps, seed=seed, engine=engine)
    out = []
    for kpi, exact in case.exact().items():
        values = np.array([r.kpis()[kpi] for r in results])
        q = st.t.ppf(0.5 + level / 2, reps - 1)
        halfwidth = float(q * values.std(ddof=1) / np.sqrt(reps))
        out.append(Check(case.name, kpi, float(exact), float(values.mean()), halfwidth, level))
    return out


def run_grid(grid=ERLANG_GRID, reps: int = 10, seed: int = 20261128, alpha: float = 0.01,
             engine: str = "core") -> list[Check]:
    """Every case of the grid, each interval at the Bonferroni level 1 - alpha/m."""
    level = 1.0 - alpha / comparisons(grid)
    seeds = np.random.SeedSequence(seed).spawn(len(grid))
    checks = []
    for case, case_seed in zip(grid, seeds):
        checks.extend(check_case(case, reps, case_seed, level, engine))
    return checks
