"""Pooling: two single-skill groups against one pooled group on symmetric traffic.

Two call types with the same Poisson arrivals and exponential handle times (and, in the
Erlang A case, exponential patience). (a) Each type has its own group of c agents: two
independent M/M/c(+M) queues, each matching Erlang C (A) for c agents and its own load.
(b) One group of 2c agents serves both: one M/M/2c(+M) queue with twice the load, matching
Erlang C (A) for 2c agents (the types are alike, so each type's measures are the pooled ones).
Both run on the same seeds (common random numbers: the same callers), so the pooled ASA is
below the separate one by a paired difference whose t interval excludes 0.
Replications of the core; intervals Bonferroni-corrected (assert_in_ci).
"""
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.stats as st

import ccsim
from ccsim import analytic
from ccsim.results import CALL_FIELDS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_inbound_exact import assert_in_ci  # noqa: E402

C, RATE, HANDLE, T = 4, 0.03, 100.0, 20.0  # 3 Erl on 4 agents per type
TYPES = ("east", "west")
REPS = 10
PATIENCE = {"erlang_c": None, "erlang_a": 200.0}


def scenario(pooled: bool, patience) -> dict:
    types = []
    for name in TYPES:
        c = {"name": name, "arrivals": {"process": "poisson", "rate": RATE},
             "handle_time": {"dist": "exponential", "mean": HANDLE}}
        if patience is not None:
            c["patience"] = {"dist": "exponential", "mean": patience}
        types.append(c)
    agents = ([{"name": "pool", "count": 2 * C, "serves": list(TYPES)}] if pooled else
              [{"name": f"{name}_team", "count": C, "serves": [name]} for name in TYPES])
    return {"horizon": 200_000, "warmup": 10_000, "interval": 9_500,
            "service_level": {"threshold": 0, "thresholds": [T]},  # threshold 0: answered at once
            "call_types": types, "agents": agents}


def measures(results) -> dict:
    """Per type and replication: P(wait), service level within T, ASA, abandonment."""
    out = {}
    for r in results:
        within = r.service_levels()["service_level"]
        for k, name in enumerate(TYPES):
            f = dict(zip(CALL_FIELDS, r.stats.total_calls[k]))
            assert f["answered"] + f["abandoned"] == f["offered"] > 1000  # the run drains
            for key, value in (("p_wait", 1.0 - f["answered_in_sl"] / f["offered"]),
                               ("service_level", within[(name, T)]),
                               ("asa", f["wait_answered"] / f["answered"]),
                               ("abandon_rate", f["abandoned"] / f["offered"])):
                out.setdefault(f"{name}.{key}", []).append(value)
    return out


def exact(agents: int, rate: float, patience) -> dict:
    e = analytic.erlang_a_metrics(agents, rate, HANDLE, patience, T)
    one = {"p_wait": e.p_wait, "service_level": e.service_level, "asa": e.asa, "abandon_rate": e.p_abandon}
    return {f"{name}.{key}": v for name in TYPES for key, v in one.items()}


def drop_zero_abandonment(values: dict, want: dict) -> None:
    """Without patience nobody abandons: those measures are exactly 0, not a t interval."""
    for key in [k for k in values if k.endswith("abandon_rate")]:
        if want[key] == 0.0:
            assert not any(values.pop(key)) and want.pop(key) == 0.0


@pytest.mark.parametrize("model", list(PATIENCE))
def test_pooling_matches_erlang_and_lowers_asa(model):
    patience = PATIENCE[model]
    separate = ccsim.replicate(scenario(False, patience), REPS, seed=2024)
    pooled = ccsim.replicate(scenario(True, patience), REPS, seed=2024)
    for results, agents, rate in ((separate, C, RATE), (pooled, 2 * C, 2 * RATE)):
        values, want = measures(results), exact(agents, rate, patience)
        drop_zero_abandonment(values, want)
        assert_in_ci(values, want)
    # the paired (CRN) difference of the overall ASA: pooled - separate, a t interval below 0
    diff = np.array([p.kpis()["asa"] - s.kpis()["asa"] for p, s in zip(pooled, separate)])
    half = st.t.ppf(0.975, REPS - 1) * diff.std(ddof=1) / np.sqrt(REPS)
    assert diff.mean() + half < 0, f"pooled - separate ASA {diff.mean():.3g} ± {half:.3g} s"


def test_the_check_rejects_the_wrong_pool_size():
    """Power: the pooled system's measures are not Erlang C for c agents and its own load per type."""
    values = measures(ccsim.replicate(scenario(True, None), REPS, seed=2024))
    want = exact(C, RATE, None)
    drop_zero_abandonment(values, want)
    with pytest.raises(AssertionError):
        assert_in_ci(values, want)
