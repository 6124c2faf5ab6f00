"""Routing policies against exact results, decided by confidence intervals over replications.

- ``queue_selection: priority`` on one group of c agents serving two call types with the same
  exponential handle time and infinite patience is the M/M/c non-preemptive priority queue:
  Cobham's mean wait per class (``ccsim.markov.priority_queue``; its class 0 is the group's
  first served type). The longest-waiting policy's class waits are rejected (power).
- ``agent_selection: ordered_groups`` (specialists first, then the cross-trained group) with
  ``queue_selection: priority`` (the cross-trained group serves type 0 first) is exactly the
  routing of ``ccsim.markov.multiskill_chain``: P(wait), mean wait and abandonment per type.
  The same intervals reject the other serves order and longest_idle (power).

The core runs them (the SimPy engine is the same call for call: tests/test_simpy_engine.py).
Each family of comparisons is Bonferroni-corrected to a family-wise 0.1 % (assert_in_ci).
"""
import sys
from pathlib import Path

import numpy as np
import pytest

import ccsim
from ccsim import markov
from ccsim.results import CALL_FIELDS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_inbound_exact import assert_in_ci  # noqa: E402

REPS = 12


def per_type(result) -> list[dict]:
    """Post-warm-up totals of each call type, by field name."""
    return [dict(zip(CALL_FIELDS, row)) for row in result.stats.total_calls]


# ---- M/M/c non-preemptive priority (Cobham) ----------------------------------------------

COBHAM = dict(agents=5, handle=100.0, rates={"low": 0.025, "high": 0.015})  # load 4 Erl on 5 agents


def cobham_scenario(queue_selection: str) -> dict:
    """Call types in file order low, high; the group serves high first (class 0 of the formula)."""
    return {
        "horizon": 600_000, "warmup": 20_000, "interval": 290_000,
        "routing": {"queue_selection": queue_selection},
        "call_types": [{"name": name, "arrivals": {"process": "poisson", "rate": rate},
                        "handle_time": {"dist": "exponential", "mean": COBHAM["handle"]}}  # infinite patience
                       for name, rate in COBHAM["rates"].items()],
        "agents": [{"name": "pool", "count": COBHAM["agents"], "serves": ["high", "low"]}],
    }


def class_waits(results) -> dict:
    """Mean wait of each class over answered calls (everyone is answered: infinite patience)."""
    values = {"wait_high": [], "wait_low": []}
    for r in results:
        low, high = per_type(r)
        for name, f in (("wait_high", high), ("wait_low", low)):
            assert f["answered"] == f["offered"] > 1000
            values[name].append(f["wait_answered"] / f["answered"])
    return values


def cobham_exact() -> dict:
    rates = COBHAM["rates"]
    exact = markov.priority_queue([rates["high"], rates["low"]], 1.0 / COBHAM["handle"], COBHAM["agents"])
    return {"wait_high": exact.mean_wait[0], "wait_low": exact.mean_wait[1]}


def test_priority_queue_selection_gives_cobhams_class_waits():
    results = ccsim.replicate(cobham_scenario("priority"), REPS, seed=81)
    assert_in_ci(class_waits(results), cobham_exact())


def test_cobham_check_rejects_longest_waiting():
    """Power: first come first served gives both classes the M/M/c mean wait, which the
    same intervals reject (Cobham: about 16 s and 185 s, FCFS about 55 s for both)."""
    results = ccsim.replicate(cobham_scenario("longest_waiting"), REPS, seed=81)
    with pytest.raises(AssertionError):
        assert_in_ci(class_waits(results), cobham_exact())


# ---- two types, specialists and a cross-trained group (multiskill_chain) ------------------

# type 0 'orders', type 1 'service'; (arrival rate /s, mean handle s, mean patience s)
SKILL_TYPES = {"orders": (0.02, 120.0, 180.0), "service": (0.015, 90.0, 120.0)}
SKILL_GROUPS = (2, 1, 2)  # specialists of orders, of service, cross-trained


def skills_scenario(patience: bool) -> dict:
    """The chain's routing: orders tries its specialists, then the cross-trained group (file order
    of the agents list); service names its order explicitly. The group names sort differently
    (cross < orders_team < service_team), so neither order is the group index order."""
    n0, n1, nx = SKILL_GROUPS
    types = []
    for name, (rate, handle, mean_patience) in SKILL_TYPES.items():
        c = {"name": name, "arrivals": {"process": "poisson", "rate": rate},
             "handle_time": {"dist": "exponential", "mean": handle}}
        if patience:
            c["patience"] = {"dist": "exponential", "mean": mean_patience}
        types.append(c)
    types[1]["groups"] = ["service_team", "cross"]
    return {
        "horizon": 1_000_000, "warmup": 20_000, "interval": 490_000,
        "service_level": {"threshold": 0},  # answered within 0 s = never waited
        "routing": {"agent_selection": "ordered_groups", "queue_selection": "priority"},
        "call_types": types,
        "agents": [{"name": "orders_team", "count": n0, "serves": ["orders"]},
                   {"name": "cross", "count": nx, "serves": ["orders", "service"]},
                   {"name": "service_team", "count": n1, "serves": ["service"]}],
    }


def skills_check(scenario: dict, patience: bool) -> None:
    """P(wait), mean wait and abandonment per type of ``scenario``'s replications against the chain."""
    exact = markov.multiskill_chain([v[0] for v in SKILL_TYPES.values()], [1.0 / v[1] for v in SKILL_TYPES.values()],
                                    SKILL_GROUPS, [1.0 / v[2] for v in SKILL_TYPES.values()] if patience else None)
    results = ccsim.replicate(scenario, REPS, seed=17)
    values, want = {}, {}
    for k in range(2):
        values.update({f"p_wait_{k}": [], f"mean_wait_{k}": [], f"p_abandon_{k}": []})
        want.update({f"p_wait_{k}": exact.p_wait[k], f"mean_wait_{k}": exact.mean_wait[k],
                     f"p_abandon_{k}": exact.p_abandon[k]})
    for r in results:
        for k, f in enumerate(per_type(r)):
            assert f["answered"] + f["abandoned"] == f["offered"] > 1000  # the run drains
            values[f"p_wait_{k}"].append(1.0 - f["answered_in_sl"] / f["offered"])
            # the chain's mean wait counts every offered call, abandoners up to their hang-up
            values[f"mean_wait_{k}"].append((f["wait_answered"] + f["wait_abandoned"]) / f["offered"])
            values[f"p_abandon_{k}"].append(f["abandoned"] / f["offered"])
    if not patience:  # nobody abandons: those columns are exactly zero
        for k in range(2):
            assert not any(values.pop(f"p_abandon_{k}")) and want.pop(f"p_abandon_{k}") == 0.0
    assert min(exact.p_wait) > 0.1  # the routing matters: calls wait often enough
    assert_in_ci(values, want)


@pytest.mark.parametrize("patience", [False, True], ids=["patient", "exponential_patience"])
def test_ordered_groups_and_priority_reproduce_the_multiskill_chain(patience):
    skills_check(skills_scenario(patience), patience)


def test_multiskill_check_rejects_the_other_priority():
    """Power: the cross-trained group serving service first (its serves order reversed) is a
    different routing, and the same intervals reject it (orders wait about twice as long)."""
    scenario = skills_scenario(False)
    scenario["agents"][1]["serves"] = ["service", "orders"]
    with pytest.raises(AssertionError):
        skills_check(scenario, False)


def test_multiskill_check_rejects_longest_idle():
    """Power for the agent selection: longest_idle sends some calls to an idle cross-trained
    agent while a specialist is idle too, so service calls wait more often (P(wait) of
    service about 0.41 against the chain's 0.39, with abandonment)."""
    scenario = skills_scenario(True)
    scenario["routing"]["agent_selection"] = "longest_idle"
    with pytest.raises(AssertionError, match="p_wait_1"):
        skills_check(scenario, True)
