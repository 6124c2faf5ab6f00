"""Turn a validated ``Scenario`` into the flat, typed arrays both engines read.

Nothing downstream parses or validates: the engines trust a ``CompiledModel``.
Agent groups are ordered by name so that a result never depends on the order
of groups in the file.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field, replace

import numpy as np

from .budget import HARD_MAX_PENDING, default_max_pending
from .scenario import distributions as d
from .scenario.schema import PiecewiseArrivals, Scenario

# Distribution codes shared by the compiled model and both engines.
DIST_CODES = {
    "infinite": -1,
    "exponential": 0,
    "deterministic": 1,
    "uniform": 2,
    "lognormal": 3,
    "gamma": 4,
    "weibull": 5,
    "empirical": 6,
}
AGENT_SELECTION = {"longest_idle": 0}
QUEUE_SELECTION = {"longest_waiting": 0}
SL_DENOMINATOR = {"offered": 0, "answered": 1, "offered_excl_short_abandons": 2}

INT32_MAX = 2**31 - 1

# Sources of randomness: each (source, call type) pair has its own stream.
SOURCES = ("arrival", "handle", "patience", "after_call_work")


@dataclass(frozen=True)
class CompiledModel:
    """Everything an engine needs, as plain numbers and contiguous arrays."""

    horizon: float
    warmup: float
    interval: float
    n_intervals: int
    drain: bool
    lines: int  # -1 = unlimited
    sl_threshold: float
    short_abandon: float
    agent_selection: int
    queue_selection: int
    call_type_names: tuple
    group_names: tuple
    # arrivals: per call type k, rates[rate_start[k]:rate_start[k]+rate_count[k]] (per second)
    rate_start: np.ndarray
    rate_count: np.ndarray
    rate_slot: np.ndarray  # seconds per rate
    rate_repeat: np.ndarray  # 1 = profile repeats, 0 = rate zero after it
    rates: np.ndarray
    # distributions: one row per distribution, referenced by index
    dist_code: np.ndarray  # int32, DIST_CODES
    dist_param: np.ndarray  # float64 [n, 2]; empirical: (start, count) into empirical
    empirical: np.ndarray
    handle_dist: np.ndarray  # int32 [K]
    patience_dist: np.ndarray  # int32 [K]
    acw_dist: np.ndarray  # int32 [K]
    # agents, grouped: agents of group g are group_start[g] .. group_start[g]+group_count[g]-1
    group_count: np.ndarray  # int64 [G]
    group_start: np.ndarray  # int64 [G]
    group_proficiency: np.ndarray  # float64 [G], multiplies handle time
    serves: np.ndarray  # uint8 [G, K]
    # routing tables (CSR): groups serving type k, and types served by group g
    type_groups_start: np.ndarray
    type_groups: np.ndarray
    group_types_start: np.ndarray
    group_types: np.ndarray
    stream_keys: tuple = field(default=())  # (source, call type name) per stream, in stream order
    # In-run limit on callers waiting + patience timers running (budget.py); set
    # by compile_scenario from the default memory budget, by budget.with_budget otherwise.
    max_pending: int = HARD_MAX_PENDING

    @property
    def n_types(self) -> int:
        return len(self.call_type_names)

    @property
    def n_groups(self) -> int:
        return len(self.group_names)

    @property
    def n_agents(self) -> int:
        return int(self.group_count.sum())


class _DistTable:
    def __init__(self):
        self.codes, self.params, self.empirical = [], [], []

    def add(self, dist) -> int:
        code, p = _encode(dist, self.empirical)
        self.codes.append(code)
        self.params.append(p)
        return len(self.codes) - 1


def _encode(dist, empirical: list) -> tuple[int, tuple[float, float]]:
    if dist is None:
        return DIST_CODES["infinite"], (0.0, 0.0)
    kind = dist.dist
    if isinstance(dist, d.Exponential):
        p = (dist.mean, 0.0)
    elif isinstance(dist, d.Deterministic):
        p = (dist.value, 0.0)
    elif isinstance(dist, d.Uniform):
        p = (dist.low, dist.high - dist.low)
    elif isinstance(dist, d.Lognormal):
        p = dist.log_params()
    elif isinstance(dist, d.Gamma):
        p = dist.shape_scale()
    elif isinstance(dist, d.Weibull):
        p = (dist.shape, dist.scale)
    elif isinstance(dist, d.Empirical):
        p = (float(len(empirical)), float(len(dist.values)))
        empirical.extend(dist.values)
    else:  # pragma: no cover - the schema admits nothing else
        raise TypeError(f"unknown distribution {dist!r}")
    return DIST_CODES[kind], p


def _arrival_profile(arrivals, scenario: Scenario) -> tuple[list[float], float, int]:
    if isinstance(arrivals, PiecewiseArrivals):
        return arrivals.rates_per_second(), arrivals.slot or scenario.interval, int(arrivals.repeat)
    return [arrivals.rate_per_second()], scenario.horizon, 1


def _interval_count(horizon: float, interval: float) -> int:
    """Reporting intervals over the horizon; capped where the budget refuses anyway
    (horizon / interval may overflow to inf for values the schema admits)."""
    count = horizon / interval
    return max(1, math.ceil(count)) if count < 2**62 else 2**62


def _csr(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    start = np.zeros(len(lists) + 1, dtype=np.int32)
    start[1:] = np.cumsum([len(x) for x in lists])
    flat = np.array([i for x in lists for i in x], dtype=np.int32)
    return start, flat


def compile_scenario(scenario: Scenario) -> CompiledModel:
    """Flatten a validated scenario into a ``CompiledModel``."""
    types = scenario.call_types
    type_index = {c.name: k for k, c in enumerate(types)}
    groups = sorted(scenario.agents, key=lambda g: g.name)

    table = _DistTable()
    handle = [table.add(c.handle_time) for c in types]
    patience = [table.add(c.patience) for c in types]
    acw = [table.add(c.after_call_work or d.Deterministic(dist="deterministic", value=0.0)) for c in types]

    rate_start, rate_count, rate_slot, rate_repeat, rates = [], [], [], [], []
    for c in types:
        profile, slot, repeat = _arrival_profile(c.arrivals, scenario)
        rate_start.append(len(rates))
        rate_count.append(len(profile))
        rate_slot.append(slot)
        rate_repeat.append(repeat)
        rates.extend(profile)

    serves = np.zeros((len(groups), len(types)), dtype=np.uint8)
    for g, group in enumerate(groups):
        for name in group.serves:
            serves[g, type_index[name]] = 1
    # int64: a sum of counts the schema admits must not wrap; the budget refuses
    # more agents than the core's int32 indices (and memory) can hold.
    counts = np.array([g.count for g in groups], dtype=np.int64)
    type_groups = _csr([list(np.flatnonzero(serves[:, k])) for k in range(len(types))])
    group_types = _csr([list(np.flatnonzero(serves[g])) for g in range(len(groups))])

    model = CompiledModel(
        horizon=float(scenario.horizon),
        warmup=float(scenario.warmup),
        interval=float(scenario.interval),
        n_intervals=_interval_count(scenario.horizon, scenario.interval),
        drain=bool(scenario.drain),
        # More lines than the core can count is no limit at all.
        lines=-1 if scenario.lines is None or scenario.lines > INT32_MAX else int(scenario.lines),
        sl_threshold=float(scenario.service_level.threshold),
        short_abandon=float(scenario.service_level.short_abandon),
        agent_selection=AGENT_SELECTION[scenario.routing.agent_selection],
        queue_selection=QUEUE_SELECTION[scenario.routing.queue_selection],
        call_type_names=tuple(c.name for c in types),
        group_names=tuple(g.name for g in groups),
        rate_start=np.array(rate_start, dtype=np.int32),
        rate_count=np.array(rate_count, dtype=np.int32),
        rate_slot=np.array(rate_slot, dtype=np.float64),
        rate_repeat=np.array(rate_repeat, dtype=np.int32),
        rates=np.array(rates, dtype=np.float64),
        dist_code=np.array(table.codes, dtype=np.int32),
        dist_param=np.array(table.params, dtype=np.float64).reshape(-1, 2),
        empirical=np.array(table.empirical or [0.0], dtype=np.float64),
        handle_dist=np.array(handle, dtype=np.int32),
        patience_dist=np.array(patience, dtype=np.int32),
        acw_dist=np.array(acw, dtype=np.int32),
        group_count=counts,
        group_start=np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64),
        group_proficiency=np.array([g.proficiency for g in groups], dtype=np.float64),
        serves=serves,
        type_groups_start=type_groups[0],
        type_groups=type_groups[1],
        group_types_start=group_types[0],
        group_types=group_types[1],
        stream_keys=tuple((s, c.name) for s in SOURCES for c in types),
    )
    return replace(model, max_pending=default_max_pending(model))


def stream_seeds(model: CompiledModel, seed) -> list[np.random.SeedSequence]:
    """One SeedSequence per (source, call type), keyed by names, not positions.

    Keys hash the source and call-type name, so adding a call type or reordering
    the file does not shift anyone else's stream (common random numbers).
    """
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    out = []
    for source, name in model.stream_keys:
        key = (SOURCES.index(source), zlib.crc32(name.encode("utf-8")))
        out.append(np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + key))
    return out


def bit_generators(model: CompiledModel, seed) -> list[np.random.PCG64]:
    """The PCG64 bit generators of every stream, in ``stream_keys`` order."""
    return [np.random.PCG64(s) for s in stream_seeds(model, seed)]
