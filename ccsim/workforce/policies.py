"""Workforce policies: small objects with one hook, ``between(ctx)``, run between periods.

Each policy returns the agents who leave the phones now and why (``reason``: eliminated,
promoted, quit); ``run_periods`` makes them leave (``PausedRun.leave``) and keeps the ledger.
A policy acts after every ``every``-th period (1: each period; 3 with monthly periods: each
quarter). Its random draws (ties in a ranking, who quits) come from its own stream, keyed by
the run's seed, the policy's name and the period (``PeriodContext.rng``), so a policy never
shifts the callers or another policy's draws.

Policies are built in Python or from a list of dicts (``policies_from_spec``, as a
``workforce: policies:`` list would be written in a scenario file); bad values raise
``WorkforceError`` naming the field path.
"""
from __future__ import annotations

import math

import numpy as np

from ..scenario import limits as L
from .errors import WorkforceError
from .ranking import KPIS, bottom_k, qa_score, scores, top_k

REASONS = ("eliminated", "quit", "promoted")


class Policy:
    """One policy: acts after every ``every``-th period; ``between`` returns the agents who leave."""

    reason = "eliminated"
    name = "policy"

    def __init__(self, every: int = 1, path: str = "workforce.policies[0]"):
        self.path = path
        self.every = _positive_int(every, f"{path}.every")

    def acts_after(self, period: int) -> bool:
        """Whether the policy acts after period ``period`` (0-based)."""
        return (period + 1) % self.every == 0

    def between(self, ctx) -> np.ndarray:  # pragma: no cover - the interface
        raise NotImplementedError


class _Ranked(Policy):
    """A policy acting on a ranking: ``kpi`` over the last ``window`` periods, agents with at
    least ``min_calls`` calls (the KPI's calls: sales calls for conversion and revenue), of the
    agent groups ``groups`` (default: all)."""

    def __init__(self, kpi="conversion", window=1, min_calls=0, every=1, min_per_group=None, groups=None,
                 path="workforce.policies[0]"):
        super().__init__(every, path)
        if groups is not None and (not isinstance(groups, (list, tuple))
                                   or not all(isinstance(g, str) for g in groups)):
            raise WorkforceError(f"{path}.groups", f"expected a list of agent group names, found {groups!r}")
        self.groups = None if groups is None else tuple(groups)
        if kpi not in KPIS:
            raise WorkforceError(f"{path}.kpi", f"unknown KPI {kpi!r}: expected one of {', '.join(KPIS)}")
        self.kpi = kpi
        self.window = _positive_int(window, f"{path}.window")
        self.min_calls = _non_negative(min_calls, f"{path}.min_calls")
        self.min_per_group = None if min_per_group is None else _non_negative_int(min_per_group,
                                                                                  f"{path}.min_per_group")

    def ranked(self, ctx):
        """(score, eligible) over the window: active agents with enough calls."""
        agents, funnel = ctx.window(self.window)
        if KPIS[self.kpi][1] and not ctx.has_funnel:
            raise WorkforceError(f"{self.path}.kpi", f"KPI {self.kpi!r} needs the scenario's funnel")
        if self.kpi == "qa_score":
            qa = ctx.qa_window(self.window)
            if qa is None:
                raise WorkforceError(f"{self.path}.kpi",
                                     "KPI 'qa_score' needs a qa (QAMonitoring) policy listed before it")
            score, calls = qa_score(qa)
        else:
            score, calls = scores(self.kpi, agents, funnel)
        return score, ctx.active & (calls >= self.min_calls) & (calls > 0) & self.in_groups(ctx)

    def in_groups(self, ctx) -> np.ndarray:
        """[agent] bool: in one of ``groups`` (all agents without that option)."""
        if self.groups is None:
            return np.ones(len(ctx.group), dtype=bool)
        for i, g in enumerate(self.groups):
            if g not in ctx.group_names:
                raise WorkforceError(f"{self.path}.groups[{i}]",
                                     f"unknown agent group {g!r}: expected one of {', '.join(ctx.group_names)}")
        return np.isin(np.asarray(ctx.group_names)[ctx.group], self.groups)

    def guarded(self, chosen, ctx) -> np.ndarray:
        """``chosen`` (in ranking order) less those whose group would fall below
        ``min_per_group``; without that option, a group left with no agent is an error unless
        a hiring policy refills it."""
        left = ctx.headcount_by_group()
        kept = []
        for a in chosen:
            g = ctx.group[a]
            floor = (0 if ctx.hiring else 1) if self.min_per_group is None else self.min_per_group
            if left[g] - 1 < floor:
                if self.min_per_group is None:
                    raise WorkforceError(self.path, f"eliminating after period {ctx.period + 1} would leave group "
                                         f"{ctx.group_names[g]!r} with no agent and there is no hiring: "
                                         "set min_per_group (agents kept in each group)")
                continue
            left[g] -= 1
            kept.append(a)
        return np.array(kept, dtype=np.int64)


class BottomElimination(_Ranked):
    """末位淘汰: the bottom ``k`` agents, or the bottom ``fraction`` of those ranked (rounded
    down), of the ranking leave."""

    name = "bottom_elimination"

    def __init__(self, k=None, fraction=None, **kw):
        super().__init__(**kw)
        if (k is None) == (fraction is None):
            raise WorkforceError(self.path, "give exactly one of k (agents) and fraction (of those ranked)")
        self.k = None if k is None else _non_negative_int(k, f"{self.path}.k")
        if fraction is not None and not _finite(fraction, 1.0):
            raise WorkforceError(f"{self.path}.fraction", f"expected a number in [0, 1], found {fraction!r}")
        self.fraction = fraction

    def between(self, ctx) -> np.ndarray:
        score, eligible = self.ranked(ctx)
        k = self.k if self.k is not None else math.floor(self.fraction * int(eligible.sum()) + 1e-9)
        return self.guarded(bottom_k(score, eligible, k, ctx.rng(self.name)), ctx)


class ThresholdElimination(_Ranked):
    """Agents ranked whose score is below ``below`` leave (AHT scores are minus seconds)."""

    name = "threshold_elimination"

    def __init__(self, below, **kw):
        super().__init__(**kw)
        if not _finite(below, L.MAX_AMOUNT, allow_negative=True):
            raise WorkforceError(f"{self.path}.below", f"expected a finite number, found {below!r}")
        self.below = float(below)

    def between(self, ctx) -> np.ndarray:
        score, eligible = self.ranked(ctx)
        under = eligible & (np.nan_to_num(score, nan=np.inf) < self.below)
        order = bottom_k(score, under, int(under.sum()), ctx.rng(self.name))
        return self.guarded(order, ctx)


class Promotion(_Ranked):
    """能者上: the top ``k`` of the ranking become team leaders and leave the phones."""

    name = "promotion"
    reason = "promoted"

    def __init__(self, k=1, **kw):
        super().__init__(**kw)
        self.k = _non_negative_int(k, f"{self.path}.k")

    def between(self, ctx) -> np.ndarray:
        score, eligible = self.ranked(ctx)
        return self.guarded(top_k(score, eligible, self.k, ctx.rng(self.name)), ctx)


class Attrition(Policy):
    """Voluntary attrition: each active agent quits with probability ``hazard`` per period
    (independent draws, one per agent whether active or not, from the policy's stream). With
    ``pressure`` k > 0 the hazard rises with elimination pressure: hazard x (1 + k x s), capped at
    1, where s is the share of the agents on the phones eliminated at the start of the period just
    ended (``PeriodContext.eliminated_share``; 0 after the first period)."""

    name = "attrition"
    reason = "quit"

    def __init__(self, hazard, pressure=0.0, every=1, path="workforce.policies[0]"):
        super().__init__(every, path)
        if not _finite(hazard, 1.0):
            raise WorkforceError(f"{path}.hazard", f"expected a probability in [0, 1], found {hazard!r}")
        self.hazard = float(hazard)
        self.pressure = float(_non_negative(pressure, f"{path}.pressure"))

    def hazard_now(self, ctx) -> float:
        """This period's quit probability: hazard x (1 + pressure x share eliminated), at most 1."""
        return min(1.0, self.hazard * (1.0 + self.pressure * ctx.eliminated_share))

    def between(self, ctx) -> np.ndarray:
        u = ctx.rng(self.name).random(len(ctx.active))
        return np.flatnonzero(ctx.active & (u < self.hazard_now(ctx)))


KINDS = {"bottom_elimination": BottomElimination, "threshold_elimination": ThresholdElimination,
         "promotion": Promotion, "attrition": Attrition}


def policies_from_spec(spec, path: str = "workforce.policies") -> list:
    """Policies from a list of dicts, each with ``kind`` (one of KINDS) and its options."""
    if not isinstance(spec, list):
        raise WorkforceError(path, f"expected a list of policies, found {type(spec).__name__}")
    out = []
    for i, item in enumerate(spec):
        where = f"{path}[{i}]"
        if not isinstance(item, dict) or "kind" not in item:
            raise WorkforceError(where, "expected a mapping with a 'kind'")
        options = dict(item)
        kind = options.pop("kind")
        if not isinstance(kind, str) or kind not in KINDS:
            raise WorkforceError(f"{where}.kind", f"unknown policy {kind!r}: expected one of {', '.join(KINDS)}")
        try:
            out.append(KINDS[kind](path=where, **options))
        except TypeError as err:
            raise WorkforceError(where, f"bad option for {kind}: {err}") from None
    return out


def _finite(value, high: float, allow_negative: bool = False) -> bool:
    """``value`` is a number (not a boolean) in [0, high] (or [-high, high]): finite, and never an
    int too large for a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return (-high if allow_negative else 0) <= value <= high  # False for NaN


def _positive_int(value, path):
    if not isinstance(value, int) or not _finite(value, L.INT32_MAX) or value < 1:
        raise WorkforceError(path, f"expected a whole number >= 1 and at most {L.INT32_MAX:,}, found {value!r}")
    return value


def _non_negative_int(value, path):
    if not isinstance(value, int) or not _finite(value, L.INT32_MAX):
        raise WorkforceError(path, f"expected a whole number >= 0 and at most {L.INT32_MAX:,}, found {value!r}")
    return value


def _non_negative(value, path):
    """``value`` if it is a finite number from 0 to ``MAX_AMOUNT`` (money, days, hours, counts)."""
    if not _finite(value, L.MAX_AMOUNT):
        raise WorkforceError(path, f"expected a finite number from 0 to {L.MAX_AMOUNT:g}, found {value!r}")
    return value
