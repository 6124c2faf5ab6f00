"""The Cython core: reproducibility, invariants and bookkeeping."""
import copy
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

import ccsim
from ccsim.compile import compile_scenario
from ccsim.results import CALL_FIELDS, GROUP_FIELDS
from engine_checks import assert_same_run, run

F = {name: i for i, name in enumerate(CALL_FIELDS)}


def multi_skill(**overrides):
    scenario = {
        "name": "two queues",
        "horizon": 7200,
        "warmup": 600,
        "interval": 900,
        "lines": 60,
        "call_types": [
            {"name": "sales", "arrivals": {"process": "poisson", "rate": 0.25},
             "handle_time": {"dist": "lognormal", "mean": 150, "cv": 0.8},
             "patience": {"dist": "exponential", "mean": 90},
             "after_call_work": {"dist": "exponential", "mean": 20}},
            {"name": "service", "arrivals": {"process": "piecewise", "rates": [0.05, 0.2, 0.1], "slot": 1800},
             "handle_time": {"dist": "gamma", "mean": 200, "cv": 0.5},
             "patience": {"dist": "weibull", "shape": 1.5, "scale": 120}},
        ],
        "agents": [
            {"name": "generalists", "count": 20, "serves": ["sales", "service"], "proficiency": 1.1},
            {"name": "sellers", "count": 25, "serves": ["sales"], "proficiency": 0.9},
            {"name": "helpers", "count": 10, "serves": ["service"]},
        ],
    }
    scenario.update(overrides)
    return scenario


def totals(result):
    s = result.stats
    return (s.total_calls.copy(), s.interval_calls.copy(), s.group_totals.copy(), s.interval_groups.copy(),
            s.calls_simulated)


def assert_identical(a, b):
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_same_seed_is_bit_identical():
    assert_identical(totals(ccsim.simulate(multi_skill(), seed=5)), totals(ccsim.simulate(multi_skill(), seed=5)))


def test_seed_sequence_and_int_seed_agree():
    # an int seed S means replication 0 of S: child (0,) of SeedSequence(S)
    a = ccsim.simulate(multi_skill(), seed=np.random.SeedSequence(5, spawn_key=(0,)))
    assert_identical(totals(a), totals(ccsim.simulate(multi_skill(), seed=5)))


def test_different_seeds_differ():
    a = ccsim.simulate(multi_skill(), seed=1).stats.total_calls
    b = ccsim.simulate(multi_skill(), seed=2).stats.total_calls
    assert not np.array_equal(a, b)


def test_order_of_agent_groups_does_not_matter():
    base = multi_skill()
    shuffled = copy.deepcopy(base)
    shuffled["agents"] = [base["agents"][2], base["agents"][0], base["agents"][1]]
    a, b = ccsim.simulate(base, seed=3), ccsim.simulate(shuffled, seed=3)
    assert_identical(totals(a), totals(b))


def test_streams_are_keyed_by_call_type_name():
    """Adding a call type does not change the callers of another (common random numbers)."""
    base = multi_skill()
    extra = copy.deepcopy(base)
    extra["call_types"].append({"name": "vip", "arrivals": {"process": "poisson", "rate": 0.01},
                                "handle_time": {"dist": "exponential", "mean": 100}})
    extra["agents"].append({"name": "vip_desk", "count": 3, "serves": ["vip"]})
    a, b = ccsim.simulate(base, seed=9), ccsim.simulate(extra, seed=9)
    # sales arrivals are the same callers at the same times
    np.testing.assert_array_equal(a.stats.interval_calls[:, 0, F["arrived"]],
                                  b.stats.interval_calls[:, 0, F["arrived"]])


def conservation_holds(result):
    s = result.stats
    for block in (s.interval_calls, s.total_calls):
        arrived = block[..., F["arrived"]]
        accounted = (block[..., F["answered"]] + block[..., F["abandoned"]] + block[..., F["blocked"]]
                     + block[..., F["waiting_at_end"]])
        np.testing.assert_array_equal(arrived, accounted)
        np.testing.assert_array_equal(block[..., F["offered"]], arrived - block[..., F["blocked"]])
    assert result.calls_simulated == s.interval_calls[..., F["arrived"]].sum()
    assert (s.interval_calls >= 0).all() and (s.group_totals >= 0).all()


def test_conservation_when_the_run_drains_and_when_it_is_cut():
    conservation_holds(ccsim.simulate(multi_skill(), seed=1))
    cut = ccsim.simulate(multi_skill(drain=False), seed=1)
    conservation_holds(cut)
    assert cut.kpis()["waiting_at_end"] >= 0
    assert cut.stats.end_time == 7200


distributions = hs.sampled_from([
    {"dist": "exponential", "mean": 60},
    {"dist": "deterministic", "value": 45},
    {"dist": "uniform", "low": 10, "high": 100},
    {"dist": "lognormal", "mean": 80, "cv": 1.2},
    {"dist": "gamma", "mean": 70, "cv": 0.7},
    {"dist": "weibull", "shape": 0.8, "scale": 50},
    {"dist": "empirical", "values": [5, 30, 30, 200]},
])


@hs.composite
def scenarios(draw):
    n_types = draw(hs.integers(1, 3))
    types = []
    for k in range(n_types):
        patience = draw(hs.one_of(hs.none(), hs.just({"dist": "deterministic", "value": 0}), distributions))
        call_type = {"name": f"t{k}", "arrivals": {"process": "poisson", "rate": draw(hs.floats(0.01, 0.3))},
                     "handle_time": draw(distributions)}
        if patience is not None:
            call_type["patience"] = patience
        if draw(hs.booleans()):
            call_type["after_call_work"] = draw(distributions)
        types.append(call_type)
    groups = []
    for g in range(draw(hs.integers(1, 3))):
        serves = draw(hs.lists(hs.sampled_from([t["name"] for t in types]), min_size=1, unique=True))
        groups.append({"name": f"g{g}", "count": draw(hs.integers(1, 6)), "serves": serves,
                       "proficiency": draw(hs.floats(0.5, 2.0))})
    unserved = {t["name"] for t in types} - {n for g in groups for n in g["serves"]}
    if unserved:
        groups.append({"name": "rest", "count": 1, "serves": sorted(unserved)})
    horizon = draw(hs.floats(600, 5000))
    scenario = {"horizon": horizon, "warmup": draw(hs.floats(0, horizon / 2)), "interval": draw(hs.floats(100, 1000)),
                "drain": draw(hs.booleans()), "call_types": types, "agents": groups}
    if draw(hs.booleans()):
        scenario["lines"] = draw(hs.integers(1, 10))
    return scenario


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=hs.integers(0, 2**32 - 1))
def test_conservation_and_sanity_property(scenario, seed):
    result = ccsim.simulate(scenario, seed=seed)
    conservation_holds(result)
    g = result.stats.group_totals
    busy, staffed = g[:, GROUP_FIELDS.index("busy")], g[:, GROUP_FIELDS.index("staffed")]
    assert (busy <= staffed + 1e-6).all()  # one call per agent at a time
    k = result.kpis()
    assert k["asa"] != k["asa"] or k["asa"] >= 0  # nan or non-negative waits
    if "lines" not in scenario:
        assert k["blocked"] == 0
    per_interval = result.stats.interval_groups
    assert (per_interval[..., 1] <= per_interval[..., 0] + 1e-6).all()


# distributions on a coarse grid of times (deterministic, empirical with repeated values), so
# that events of different kinds and places of the event queue fall at the very same instant
tied = hs.sampled_from([
    {"dist": "deterministic", "value": 10},
    {"dist": "deterministic", "value": 30},
    {"dist": "empirical", "values": [0, 10, 10, 20, 40]},
    {"dist": "empirical", "values": [5, 5, 600]},
    {"dist": "exponential", "mean": 60},
])


@hs.composite
def tied_scenarios(draw):
    """Small centers whose arrivals, talks, after-call work and patience often tie: the event
    queue's places (main heap, arrivals, the after-call work lane, the patience wheel) must
    give the order one heap gives, which the SimPy twin follows."""
    n_types = draw(hs.integers(1, 3))
    types = [{"name": f"t{k}",
              "arrivals": {"process": "poisson", "rate": draw(hs.floats(0.05, 0.5))},
              "handle_time": draw(tied), "patience": draw(tied), "after_call_work": draw(tied)}
             for k in range(n_types)]
    groups = [{"name": f"g{g}", "count": draw(hs.integers(1, 4)),
               "serves": draw(hs.lists(hs.sampled_from([t["name"] for t in types]), min_size=1, unique=True))}
              for g in range(draw(hs.integers(1, 3)))]
    unserved = {t["name"] for t in types} - {n for g in groups for n in g["serves"]}
    if unserved:
        groups.append({"name": "rest", "count": 1, "serves": sorted(unserved)})
    return {"horizon": draw(hs.sampled_from([600, 3000, 7200])), "interval": 300, "drain": draw(hs.booleans()),
            "call_types": types, "agents": groups}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=tied_scenarios(), seed=hs.integers(0, 2**32 - 1))
def test_the_event_queue_keeps_the_twins_order_under_ties(scenario, seed):
    assert_same_run(run(scenario, "core", seed), run(scenario, "simpy", seed))


@hs.composite
def large_scenarios(draw):
    """Centers of 512 agents or more, where the core keeps the ends of talks in its far wheel,
    with re-routing delays (the core's delay lane; different delays per type push out of its
    order, into the main heap), shifts that start and end together mid-run and often tied
    durations: the order of events must be the one heap's, which the SimPy twin follows."""
    n_types = draw(hs.integers(1, 3))
    names = [f"t{k}" for k in range(n_types)]
    agents = draw(hs.integers(560, 800))  # 512 or more in all, whatever the split
    load = draw(hs.sampled_from([0.8, 1.0, 1.3]))
    types = [{"name": n, "arrivals": {"process": "poisson", "rate": load * agents / 2 / 120.0 / n_types},
              "handle_time": draw(hs.sampled_from([{"dist": "exponential", "mean": 120},
                                                   {"dist": "empirical", "values": [60, 60, 240]}])),
              "patience": draw(tied)} for n in names]
    cross = draw(hs.integers(20, 100))
    half = (agents - cross) // (2 * n_types)  # each specialist group: two shifts of ``half`` agents
    groups = [{"name": f"g{k}", "count": 2 * half, "serves": [names[k]],
               "shifts": [{"start": "00:00", "end": "00:40", "agents": half},
                          {"start": "00:25", "end": "01:30", "agents": half}]}
              for k in range(n_types)]
    groups.append({"name": "cross", "count": cross, "serves": names})
    delays = draw(hs.lists(hs.sampled_from([5, 10, 30]), min_size=1, max_size=2, unique=True))
    overflow = [{"call_type": n, "group": "cross", "after": delays[k % len(delays)]} for k, n in enumerate(names)]
    return {"horizon": 3600, "interval": 600, "drain": draw(hs.booleans()), "call_types": types,
            "agents": groups, "routing": {"overflow": overflow}}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=large_scenarios(), seed=hs.integers(0, 2**32 - 1))
def test_a_large_center_keeps_the_twins_order(scenario, seed):
    assert_same_run(run(scenario, "core", seed), run(scenario, "simpy", seed))


def test_no_waiting_with_patience_zero():
    result = ccsim.simulate(
        {**multi_skill(), "call_types": [
            {"name": "sales", "arrivals": {"process": "poisson", "rate": 0.5},
             "handle_time": {"dist": "exponential", "mean": 100}, "patience": {"dist": "deterministic", "value": 0}}],
         "agents": [{"name": "a", "count": 40, "serves": ["sales"]}], "lines": None}, seed=2)
    k = result.kpis()
    assert k["asa"] == 0.0 and k["mean_wait_abandoned"] == 0.0
    assert k["abandoned"] > 0


def test_line_limit_blocks_calls():
    result = ccsim.simulate(multi_skill(lines=5), seed=4)
    k = result.kpis()
    assert k["blocked"] > 0 and 0 < k["blocked_rate"] < 1


def test_piecewise_profile_shapes_arrivals():
    scenario = multi_skill(horizon=5400 * 40, warmup=0, interval=1800)
    result = ccsim.simulate(scenario, seed=6)
    arrived = result.stats.interval_calls[:, 1, F["arrived"]].reshape(-1, 3).mean(axis=0)
    expected = np.array([0.05, 0.2, 0.1]) * 1800
    assert np.all(np.abs(arrived - expected) < 5 * np.sqrt(expected / 40))


def test_model_is_compiled_with_groups_sorted_by_name():
    model = compile_scenario(ccsim.as_scenario(multi_skill()))
    assert model.group_names == ("generalists", "helpers", "sellers")
    assert model.n_agents == 55


@pytest.mark.parametrize("calls", [100_000, 2_000_000])
def test_memory_does_not_grow_with_calls(calls):
    """Peak RSS of a run in a fresh process stays within a few MB whatever the call count."""
    code = f"""
import resource, ccsim
s = ccsim.load_scenario('scenarios/erlang_a.yaml').model_copy(update={{'horizon': 7200 + {calls}}})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
r = ccsim.simulate(s, seed=1)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(after - before)
"""
    grown_kb = int(subprocess.check_output([sys.executable, "-c", code], text=True).strip())
    assert grown_kb < 20_000
