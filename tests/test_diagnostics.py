"""ccsim.diagnostics: stationary arrivals and unstable call types, from the scenario alone."""
import pytest

from ccsim.diagnostics import (capacity, instabilities, mean_arrival_rate, offered_load,
                               stationary_arrivals)
from ccsim.scenario import validate_scenario


def center(call_types, agents, horizon=86400, interval=1800):
    return validate_scenario({"name": "c", "horizon": horizon, "interval": interval,
                              "call_types": call_types, "agents": agents})


def call_type(name, arrivals, handle=180, patience=None, acw=None):
    out = {"name": name, "arrivals": arrivals, "handle_time": {"dist": "exponential", "mean": handle}}
    if patience is not None:
        out["patience"] = {"dist": "exponential", "mean": patience}
    if acw is not None:
        out["after_call_work"] = {"dist": "deterministic", "value": acw}
    return out


POISSON = {"process": "poisson", "rate": 0.1}


def team(count, serves, proficiency=1.0, name="team"):
    return {"name": name, "count": count, "serves": serves, "proficiency": proficiency}


def test_stationary_arrivals():
    assert stationary_arrivals(center([call_type("a", POISSON)], [team(30, ["a"])]))
    flat = {"process": "piecewise", "rates": [5, 5, 5], "per": "minute"}
    assert stationary_arrivals(center([call_type("a", flat)], [team(30, ["a"])]))
    day = {"process": "piecewise", "rates": [5, 6, 5], "per": "minute"}
    assert not stationary_arrivals(center([call_type("a", POISSON), call_type("b", day)], [team(30, ["a", "b"])]))
    # equal rates that stop before the horizon are not constant over the run
    stops = {"process": "piecewise", "rates": [5, 5], "per": "minute", "repeat": False}
    assert not stationary_arrivals(center([call_type("a", stops)], [team(30, ["a"])]))


def test_weekly_patterns_and_busyness_are_not_stationary():
    flat = {"process": "piecewise", "rates": [5], "slot": 86400, "per": "minute"}
    one = [team(30, ["a"])]
    assert stationary_arrivals(center([call_type("a", dict(flat, weekdays=[2] * 7))], one, horizon=7 * 86400))
    week = dict(flat, weekdays=[1, 1, 1, 1, 1, 0.5, 0.2])
    assert not stationary_arrivals(center([call_type("a", week)], one, horizon=7 * 86400))
    assert not stationary_arrivals(center([call_type("a", dict(POISSON, busyness={"cv": 0.1}))], one))
    assert not stationary_arrivals(center([call_type("a", dict(flat, busyness={"cv": 0.1}))], one))
    assert stationary_arrivals(center([call_type("a", dict(POISSON, busyness={"cv": 0}))], one))


def test_mean_arrival_rate_counts_weekday_factors():
    # 1 call/s on a monday start at factor 1, then 0.5 ...: two days average 0.75 calls/s
    week = {"process": "piecewise", "rates": [1], "slot": 86400, "weekdays": [1, 0.5, 0, 0, 0, 0, 0]}
    assert mean_arrival_rate(center([call_type("a", week)], [team(1, ["a"])], horizon=2 * 86400), 0) == 0.75
    sunday = dict(week, start_weekday="sunday")  # sunday (0), monday (1)
    assert mean_arrival_rate(center([call_type("a", sunday)], [team(1, ["a"])], horizon=2 * 86400), 0) == 0.5


def test_mean_arrival_rate_over_the_horizon():
    profile = {"process": "piecewise", "rates": [1, 3], "slot": 100}
    assert mean_arrival_rate(center([call_type("a", profile)], [team(1, ["a"])], horizon=400), 0) == 2
    assert mean_arrival_rate(center([call_type("a", profile)], [team(1, ["a"])], horizon=300), 0) == \
        pytest.approx(5 / 3)
    once = dict(profile, repeat=False)
    assert mean_arrival_rate(center([call_type("a", once)], [team(1, ["a"])], horizon=400), 0) == 1
    assert mean_arrival_rate(center([call_type("a", POISSON)], [team(1, ["a"])]), 0) == 0.1


def test_load_includes_after_call_work_and_capacity_proficiency():
    scenario = center([call_type("a", POISSON, handle=180, acw=20)],
                      [team(10, ["a"], proficiency=0.8, name="fast"), team(4, ["a"], proficiency=2.0, name="slow")])
    assert offered_load(scenario, 0) == pytest.approx(20.0)
    assert capacity(scenario, ["a"]) == pytest.approx(10 / 0.8 + 4 / 2.0)


def test_unstable_call_type_is_named():
    scenario = center([call_type("sales", POISSON), call_type("care", POISSON, patience=60)],
                      [team(18, ["sales"], name="s"), team(5, ["care"], name="c")])
    found = instabilities(scenario)
    assert [f.call_types for f in found] == [("sales",)]  # care abandons: it cannot grow without bound
    assert found[0].load == pytest.approx(18) and found[0].capacity == 18
    assert "call type 'sales' offers 18.0 Erl to agents who can serve 18.0 Erl" in found[0].message()
    stable = center([call_type("sales", POISSON)], [team(19, ["sales"])])
    assert instabilities(stable) == []


def test_unstable_only_as_a_whole():
    # 18 Erl each: either alone fits the shared team, both together (36 Erl) must fit too
    two = [call_type("a", POISSON), call_type("b", POISSON)]
    found = instabilities(center(two, [team(30, ["a", "b"])]))
    assert [f.call_types for f in found] == [("a", "b")]
    assert (found[0].load, found[0].capacity) == (pytest.approx(36), 30)
    assert "the center as a whole (call types 'a', 'b') offers 36.0 Erl" in found[0].message()
    assert len(instabilities(center(two, [team(36, ["a", "b"])]))) == 1  # at capacity: unstable too
    assert instabilities(center(two, [team(37, ["a", "b"])])) == []
    # a patient call type beside an impatient one: only the patient one counts
    mixed = [call_type("a", POISSON), call_type("b", POISSON, patience=30)]
    assert instabilities(center(mixed, [team(30, ["a", "b"])])) == []
