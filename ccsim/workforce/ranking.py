"""Ranking agents (赛马) on a period's observed statistics.

A KPI maps the per-agent counts of a window of periods to a score (higher is better) and to
the number of calls it rests on; agents with fewer than ``min_calls`` are not ranked. Ties are
broken at random (a draw from the policy's own stream), so two agents with the same record
have the same chance of being ranked lower.
"""
from __future__ import annotations

import numpy as np

from ..results import AGENT_FIELDS, FUNNEL_FIELDS

_A = {name: i for i, name in enumerate(AGENT_FIELDS)}
_F = {name: i for i, name in enumerate(FUNNEL_FIELDS)}


def _ratio(num, den):
    out = np.full(len(num), np.nan)
    ok = den > 0
    out[ok] = num[ok] / den[ok]
    return out


def _conversion(agents, funnel):
    """Orders per sales call answered."""
    return _ratio(funnel[:, _F["orders"]], funnel[:, _F["sales_answered"]]), funnel[:, _F["sales_answered"]]


def _revenue(agents, funnel):
    """Order value per sales call answered."""
    return _ratio(funnel[:, _F["order_value"]], funnel[:, _F["sales_answered"]]), funnel[:, _F["sales_answered"]]


def _aht(agents, funnel):
    """Minus the mean handle time (talk + after-call work) of the calls answered: shorter is better."""
    handle = agents[:, _A["talk"]] + agents[:, _A["acw"]]
    return -_ratio(handle, agents[:, _A["answered"]]), agents[:, _A["answered"]]


def _answered(agents, funnel):
    """Calls answered per staffed hour."""
    return _ratio(agents[:, _A["answered"]] * 3600.0, agents[:, _A["staffed"]]), agents[:, _A["answered"]]


def qa_score(qa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(1 - errors found per call scored, calls scored) of QA counts [agent, (scored, fatal
    found, non-fatal found)] (``QAMonitoring``): the ``qa_score`` KPI."""
    return 1.0 - _ratio(qa[:, 1] + qa[:, 2], qa[:, 0]), qa[:, 0]


# name -> (function of (agent counts, funnel counts) -> (score, calls), needs the funnel);
# qa_score is scored from QA monitoring's counts instead (a QAMonitoring policy listed before).
KPIS = {"conversion": (_conversion, True), "revenue": (_revenue, True), "aht": (_aht, False),
        "answered_per_hour": (_answered, False), "qa_score": (None, False)}


def scores(kpi: str, agents: np.ndarray, funnel) -> tuple[np.ndarray, np.ndarray]:
    """(score [agent], calls [agent]) of ``kpi`` over summed counts ``agents`` [agent,
    AGENT_FIELDS] and ``funnel`` [agent, FUNNEL_FIELDS] (None without a funnel)."""
    fn, needs_funnel = KPIS[kpi]
    if fn is None:
        raise ValueError(f"KPI {kpi!r} is scored from QA monitoring's counts (qa_score), not from call counts")
    if needs_funnel and funnel is None:
        funnel = np.zeros((len(agents), len(FUNNEL_FIELDS)))
    return fn(agents, funnel)


def bottom_k(score: np.ndarray, eligible: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """The k lowest-scoring eligible agents (fewer if fewer are eligible), lowest first; ties
    in a random order drawn from ``rng`` (one uniform per agent, drawn for every agent so the
    draws do not depend on who is eligible)."""
    tie = rng.random(len(score))
    idx = np.flatnonzero(eligible & ~np.isnan(score))
    order = np.lexsort((tie[idx], score[idx]))
    return idx[order[:max(k, 0)]]


def top_k(score: np.ndarray, eligible: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """The k highest-scoring eligible agents, highest first (ties at random)."""
    return bottom_k(-score, eligible, k, rng)
