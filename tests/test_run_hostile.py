"""Scenarios the schema admits that once crashed or exhausted the machine.

Each is run in process through ``ccsim.simulate`` (or, for a model edited past the schema, the
same steps without its validation: ``run_unchecked``) with the default budget (or a
small one) and must end in a ``BudgetError`` that names the figures, or run; a
``MemoryError``, an ``OverflowError`` or a wrapped index is a bug. Refusals are
asserted to happen before the engine starts (``no_engine``), not timed.
"""
import math

import pytest

import ccsim
from ccsim.budget import DEFAULT_MAX_CALLS, BudgetError
from ccsim.compile import INT32_MAX, compile_scenario
from ccsim.scenario import ScenarioError
from factories import single_queue


def unchecked(scenario, **fields):
    """``scenario`` validated, then top-level ``fields`` set without validation: the
    budget must hold even where the schema (which may tighten) lets a value through."""
    return ccsim.as_scenario(scenario).model_copy(update=fields)


def unchecked_arrivals(scenario, **fields):
    """``scenario`` validated, then its first call type's arrival ``fields`` set without validation."""
    model = ccsim.as_scenario(scenario)
    call_type = model.call_types[0]
    call_type = call_type.model_copy(update={"arrivals": call_type.arrivals.model_copy(update=fields)})
    return model.model_copy(update={"call_types": [call_type, *model.call_types[1:]]})


def schema_refuses(scenario) -> None:
    """Today's schema refuses it too (the budget is the second line of defence)."""
    with pytest.raises(ScenarioError):
        ccsim.as_scenario(scenario)


def with_agents(scenario, *counts):
    model = ccsim.as_scenario(scenario)
    groups = [model.agents[0].model_copy(update={"name": f"g{i}", "count": n}) for i, n in enumerate(counts)]
    return model.model_copy(update={"agents": groups})


def run_unchecked(scenario, engine="core", max_calls=None, max_memory=None):
    """``ccsim.simulate(scenario, seed=1)`` without validating a Scenario again (simulate does:
    these tests reach the compiler and the budget, the lines behind the schema, with models the
    schema would refuse, as a Python user calling compile_scenario on an edited copy would)."""
    from ccsim.api import _run, replication_seed
    from ccsim.budget import with_budget

    scenario = scenario if isinstance(scenario, ccsim.Scenario) else ccsim.as_scenario(scenario)
    model = with_budget(compile_scenario(scenario), max_calls, max_memory, engine=engine)
    return _run(scenario, model, replication_seed(1, 0), engine)


def refused(scenario, **budget):
    with pytest.raises(BudgetError) as err:
        run_unchecked(scenario, **budget)
    return str(err.value)


def patient(scenario):
    del scenario["call_types"][0]["patience"]
    return scenario


def many_types(n, rate, horizon):
    scenario = single_queue(horizon=horizon, agents=50)
    base = scenario["call_types"][0]
    scenario["call_types"] = [dict(base, name=f"t{i:04d}", arrivals={"process": "poisson", "rate": rate})
                              for i in range(n)]
    scenario["agents"][0]["serves"] = [c["name"] for c in scenario["call_types"]]
    return scenario


def test_rate_of_a_trillion_calls_per_second(no_engine):
    schema_refuses(single_queue(rate=1e12))
    message = refused(unchecked_arrivals(single_queue(rate=1.0), rate=1e12))
    assert "5e+15 calls" in message and "5e+08 calls" in message and "1e+12 calls/s" in message


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_overload_with_infinite_patience(no_engine, engine):
    # 100,000 calls/s on 190 agents: 3.6e8 calls within the call budget, but they pile up.
    message = refused(patient(single_queue(agents=190, rate=1e5, horizon=3600)), engine=engine)
    assert "waiting callers" in message and "never hang up" in message
    assert "1.8e+07 Erlangs against 190 agents" in message and "4 GiB" in message


@pytest.mark.parametrize("horizon, calls", [(2e9, "1e+09"), (2e18, "1e+18"), (1e300, "5e+299")])
def test_horizons_asking_billions_of_calls_and_more(no_engine, horizon, calls):
    schema_refuses(single_queue(rate=0.5, horizon=horizon))
    message = refused(unchecked(single_queue(rate=0.5), horizon=horizon))
    assert f"{calls} calls" in message


def test_horizon_and_interval_whose_ratio_overflows(no_engine):
    scenario = unchecked(single_queue(rate=1e-290), horizon=1e300, interval=1e-10)
    model = compile_scenario(scenario)  # no OverflowError from inf intervals
    assert model.n_intervals >= 2**62
    assert "reporting intervals" in refused(scenario, max_calls=1e15, max_memory=1e300)


def test_thousand_call_types_beyond_the_call_budget(no_engine):
    message = refused(many_types(1000, rate=1.0, horizon=1e6))
    assert "1e+09 calls" in message and "spread over 1,000 call types" in message


def test_thousand_call_types_within_the_budget_run():
    result = ccsim.simulate(many_types(1000, rate=0.001, horizon=2000), seed=1)
    assert result.stats.total_calls.shape[0] == 1000 and result.calls_simulated > 0


def test_millisecond_intervals_over_twenty_thousand_seconds(no_engine):
    message = refused(unchecked(single_queue(horizon=20000), interval=0.001))
    assert "interval tables" in message and "2e+07 reporting intervals of 0.001 s" in message
    assert "longer interval" in message


def test_tiny_rate_slots_are_work_too(no_engine):
    scenario = single_queue(horizon=1e6)
    scenario["call_types"][0]["arrivals"] = {"process": "piecewise", "rates": [1, 0], "slot": 1e-6}
    schema_refuses(scenario)
    scenario["call_types"][0]["arrivals"]["slot"] = 1.0
    assert "step through 1e+12 slots" in refused(unchecked_arrivals(scenario, slot=1e-6))


def test_long_finite_patience_on_an_overloaded_center(no_engine):
    scenario = single_queue(agents=190, rate=1e3, horizon=20000, patience=1e9)
    assert "mean patience is 1e+09 s" in refused(scenario)


def test_an_overload_the_estimate_misses_stops_cleanly_during_the_run():
    # A one-hour peak at 200x capacity, then nothing: on average below capacity, so the
    # estimate lets it start; the backlog of the peak (~72,000 callers) hits the in-run limit.
    scenario = patient(single_queue(agents=10, handle=100, horizon=1_000_000))
    scenario["call_types"][0]["arrivals"] = {"process": "piecewise", "rates": [20.0, 0.0], "slot": 3600,
                                             "repeat": False}
    for engine in ("core", "simpy"):
        message = refused(scenario, engine=engine, max_memory=2**22)
        assert "would join the queue" in message and "'inbound' rings at 20 calls/s then" in message


def test_the_largest_int32_agent_count(no_engine):
    scenario = with_agents(single_queue(), INT32_MAX)
    assert compile_scenario(scenario).n_agents == INT32_MAX
    assert "agents" in refused(scenario)  # memory: ~112 B an agent


@pytest.mark.parametrize("counts", [(3_000_000_000,), (2**30 + 7, 2**30 + 7)])
def test_agent_counts_whose_sum_passes_int32_do_not_wrap(no_engine, counts):
    scenario = with_agents(single_queue(), *counts)
    model = compile_scenario(scenario)
    assert model.n_agents == sum(counts)  # int64: no wrap to a negative count
    assert model.group_start.tolist() == [0, counts[0]][:len(counts)]
    assert f"more than the {INT32_MAX:,}" in refused(scenario, max_memory=1e15)


def test_more_lines_than_int32_is_no_limit():
    scenario = unchecked(single_queue(horizon=2000), lines=2**40)
    assert compile_scenario(scenario).lines == -1
    assert run_unchecked(scenario).kpis()["blocked_rate"] == 0
    with pytest.raises(ScenarioError, match="lines"):  # simulate validates an edited copy again
        ccsim.simulate(scenario, seed=1)


def test_a_call_budget_beyond_what_the_core_can_count():
    with pytest.raises(BudgetError, match="56 bits"):
        ccsim.simulate(single_queue(), max_calls=1e16)


def test_default_budget_admits_the_shipped_scenarios():
    for name in ("erlang_a", "erlang_b", "erlang_c", "day_profile"):
        model = compile_scenario(ccsim.load_scenario(f"scenarios/{name}.yaml"))
        from ccsim.budget import check_budget
        est = check_budget(model)
        assert est.calls < DEFAULT_MAX_CALLS / 100 and math.isfinite(est.memory)
