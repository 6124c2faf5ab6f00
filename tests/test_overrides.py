"""Overrides: dotted paths by index and by name, readable errors, grids of assignments."""
import copy
import math
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from ccsim.experiment.overrides import (
    MAX_VALUES,
    OverrideError,
    apply_and_validate,
    apply_overrides,
    grid,
    parse_assignment,
    point_label,
)
from ccsim.scenario import validate_scenario

BASE = {
    "name": "two_groups",
    "horizon": 3600.0,
    "call_types": [
        {
            "name": "inbound",
            "arrivals": {"process": "poisson", "rate": 0.2},
            "handle_time": {"dist": "exponential", "mean": 180},
            "patience": {"dist": "exponential", "mean": 120},
        },
        {
            "name": "orders",
            "arrivals": {"process": "poisson", "rate": 0.1},
            "handle_time": {"dist": "exponential", "mean": 240},
        },
    ],
    "agents": [
        {"name": "sales", "count": 40, "serves": ["orders", "inbound"]},
        {"name": "service", "count": 20, "serves": ["inbound"]},
    ],
}


def error_of(call, *args) -> str:
    with pytest.raises(OverrideError) as info:
        call(*args)
    return str(info.value)


# ---------------------------------------------------------------- apply_overrides


def test_base_scenario_is_valid():
    validate_scenario(BASE)


@pytest.mark.parametrize("path, where", [
    ("agents.0.count", ("agents", 0, "count")),
    ("agents.sales.count", ("agents", 0, "count")),
    ("agents.service.count", ("agents", 1, "count")),
    ("call_types.0.patience.mean", ("call_types", 0, "patience", "mean")),
    ("call_types.inbound.arrivals.rate", ("call_types", 0, "arrivals", "rate")),
    ("call_types.orders.arrivals.rate", ("call_types", 1, "arrivals", "rate")),
    ("horizon", ("horizon",)),
])
def test_override_sets_exactly_that_value(path, where):
    result = apply_overrides(BASE, {path: 77})
    node = result
    for key in where[:-1]:
        node = node[key]
    assert node[where[-1]] == 77
    node[where[-1]] = get(BASE, where)  # everything else is unchanged
    assert result == BASE


def get(data, where):
    for key in where:
        data = data[key]
    return data


def test_several_overrides_apply_together_and_validate():
    overrides = {"agents.sales.count": 45, "call_types.1.handle_time.mean": 200, "lines": 80}
    result = apply_and_validate(BASE, overrides, "base.yaml")
    assert result["agents"][0]["count"] == 45
    assert result["call_types"][1]["handle_time"]["mean"] == 200
    assert result["lines"] == 80  # a new last key is simply set
    validate_scenario(result)


def test_input_is_not_mutated_and_result_shares_nothing():
    before = copy.deepcopy(BASE)
    value = {"dist": "exponential", "mean": 90}
    result = apply_overrides(BASE, {"agents.sales.count": 41, "call_types.orders.patience": value})
    assert BASE == before
    result["agents"][1]["count"] = 999
    result["call_types"][1]["patience"]["mean"] = 1
    assert BASE == before
    assert value == {"dist": "exponential", "mean": 90}


def test_empty_overrides_give_an_equal_copy():
    result = apply_overrides(BASE, {})
    assert result == BASE and result is not BASE and result["agents"] is not BASE["agents"]


def test_missing_section_with_schema_defaults_is_created():
    result = apply_and_validate(BASE, {"routing.agent_selection": "longest_idle",
                                       "service_level.threshold": 30}, "base.yaml")
    assert result["routing"] == {"agent_selection": "longest_idle"}
    assert result["service_level"] == {"threshold": 30}
    assert "routing" not in BASE


def test_whole_item_can_be_replaced_by_name():
    group = {"name": "service", "count": 5, "serves": ["inbound"]}
    result = apply_overrides(BASE, {"agents.service": group})
    assert result["agents"][1] == group


@pytest.mark.parametrize("path, words", [
    ("agents.salse.count",
     ["override agents.salse.count", "no item named 'salse' in agents", "items: sales, service"]),
    ("agents.2.count", ["override agents.2.count", "no item 2 in agents", "2 items: sales, service"]),
    ("call_types.inbound.arivals.rate",
     ["override call_types.inbound.arivals.rate", "no key 'arivals' in call_types.inbound",
      "keys: name, arrivals, handle_time, patience"]),
    ("call_types.orders.patience.mean",  # no patience (infinite) and no default to fill in
     ["override call_types.orders.patience.mean", "no key 'patience' in call_types.orders",
      "keys: name, arrivals, handle_time"]),
    ("routnig.agent_selection", ["override routnig.agent_selection", "no key 'routnig' in the scenario",
                                 "keys: name, horizon, call_types, agents"]),
    ("horizon.value", ["override horizon.value", "horizon is 3600.0", "not a mapping or a list", "'value'"]),
    ("agents..count", ["override agents..count", "empty key"]),
    ("agents.sales.", ["override agents.sales.", "empty key"]),
])
def test_bad_path_errors_name_path_part_and_what_exists(path, words):
    message = error_of(apply_overrides, BASE, {path: 1})
    for word in words:
        assert word in message, (word, message)


def test_override_error_is_a_value_error():
    assert issubclass(OverrideError, ValueError)


@pytest.mark.parametrize("overrides, words", [
    ({"agents.sales.count": 0}, ["override agents.sales.count=0", "base.yaml", "agents[0].count",
                                 "greater than or equal to 1"]),
    ({"agents.sales.cuont": 3, "horizon": 7200},
     ["override agents.sales.cuont=3:", "agents[0].cuont", "unknown key", "did you mean 'count'"]),
    ({"routing.agent_selection": "best_converter"},
     ["override routing.agent_selection=best_converter", "routing.agent_selection", "longest_idle"]),
    ({"agents.service.serves": ["inbound", "refunds"]},
     ["override agents.service.serves=[inbound, refunds]", "'refunds'", "not defined"]),
])
def test_invalid_result_names_the_override(overrides, words):
    message = error_of(apply_and_validate, BASE, overrides, "base.yaml")
    for word in words:
        assert word in message, (word, message)
    if len(overrides) > 1:  # only the culprit is blamed
        assert "horizon=7200" not in message


def test_problem_at_the_overridden_path_blames_that_override():
    message = error_of(apply_and_validate, BASE, {"warmup": 5000, "agents.sales.count": 41}, "base.yaml")
    assert message.startswith("override warmup=5000: ") and "shorter than the horizon" in message


def test_cross_field_problem_names_all_overrides():
    with_warmup = apply_overrides(BASE, {"warmup": 1000})
    message = error_of(apply_and_validate, with_warmup, {"horizon": 600, "agents.sales.count": 41}, "base.yaml")
    assert message.startswith("overrides horizon=600, agents.sales.count=41: ")
    assert "shorter than the horizon" in message


# ---------------------------------------------------------------- parse_assignment


@pytest.mark.parametrize("text, path, values", [
    ("agents.sales.count=40..80:5", "agents.sales.count", [40, 45, 50, 55, 60, 65, 70, 75, 80]),
    ("agents.sales.count=40..43", "agents.sales.count", [40, 41, 42, 43]),
    ("x=40..42:5", "x", [40]),
    ("x=-2..2:2", "x", [-2, 0, 2]),
    ("x=0.1..0.3:0.1", "x", [0.1, 0.2, 0.3]),
    ("x=1..2:0.25", "x", [1.0, 1.25, 1.5, 1.75, 2.0]),
    ("routing.agent_selection=[longest_idle,best_converter]", "routing.agent_selection",
     ["longest_idle", "best_converter"]),
    ("x=[1, 2.5, abc]", "x", [1, 2.5, "abc"]),
    ("x=3", "x", [3]),
    ("x=2.5", "x", [2.5]),
    ("x=1e3", "x", [1000.0]),
    ("x=longest_idle", "x", ["longest_idle"]),
    ("x=1,2,3", "x", [1, 2, 3]),
    ("x = 1, b ", "x", [1, "b"]),
    ("call_types.0.patience={dist: exponential, mean: 60}", "call_types.0.patience",
     [{"dist": "exponential", "mean": 60}]),
])
def test_parse_assignment(text, path, values):
    got_path, got = parse_assignment(text)
    assert got_path == path
    assert got == values
    assert [type(v) for v in got] == [type(v) for v in values]


@pytest.mark.parametrize("text, words", [
    ("agents.sales.count", ["'agents.sales.count'", "expected path=values"]),
    ("=40", ["'=40'", "path before '=' is empty"]),
    ("  =40", ["path before '=' is empty"]),
    ("x=", ["'x='", "no value"]),
    ("x=[]", ["'x=[]'", "list is empty"]),
    ("x=40..80:0", ["'x=40..80:0'", "step must be positive", "found 0"]),
    ("x=40..80:-5", ["step must be positive", "found -5"]),
    ("x=80..40", ["'x=80..40'", "reversed", "80 > 40"]),
    ("x=1..10001", ["'x=1..10001'", "10,001 values", "limit of 10,000"]),
    ("x=0..1:0.00001", ["100,001 values", "limit of 10,000"]),
    (f"x=[{','.join(['1'] * (MAX_VALUES + 1))}]", ["10,001 values"]),
    ("x=40..", ["malformed range"]),
    ("x=1,,2", ["empty item"]),
    ("x=[1,", ["cannot read '[1,' as YAML"]),
    ("a..b=1", ["override a..b", "empty key"]),
])
def test_parse_assignment_errors(text, words):
    message = error_of(parse_assignment, text)
    for word in words:
        assert word in message, (word, message)


def test_range_of_exactly_the_limit_is_allowed():
    assert len(parse_assignment(f"x=1..{MAX_VALUES}")[1]) == MAX_VALUES


@settings(max_examples=200, deadline=None)
@given(start=st.integers(-1000, 1000), length=st.integers(0, 300), step=st.integers(1, 50),
       slack=st.integers(0, 49))
def test_integer_range_is_the_arithmetic_sequence(start, length, step, slack):
    stop = start + length * step + min(slack, step - 1)  # a stop between two terms is not reached
    _, values = parse_assignment(f"x={start}..{stop}:{step}")
    assert values == list(range(start, stop + 1, step))
    assert all(type(v) is int for v in values)


@settings(max_examples=200, deadline=None)
@given(start=st.integers(-10_000, 10_000), count=st.integers(1, 200), step=st.integers(1, 500))
def test_decimal_range_is_the_arithmetic_sequence(start, count, step):
    a, s = Decimal(start) / 100, Decimal(step) / 100  # two decimals, e.g. 0.05
    b = a + (count - 1) * s
    _, values = parse_assignment(f"x={a:.2f}..{b:.2f}:{s:.2f}")
    assert values == [float(a + i * s) for i in range(count)]
    assert len(values) == count


# ---------------------------------------------------------------- grid and labels


def test_grid_is_the_product_with_first_assignment_slowest():
    points = grid(["agents.sales.count=40..50:5", "routing.agent_selection=[longest_idle,best_converter]"])
    assert points == [
        {"agents.sales.count": 40, "routing.agent_selection": "longest_idle"},
        {"agents.sales.count": 40, "routing.agent_selection": "best_converter"},
        {"agents.sales.count": 45, "routing.agent_selection": "longest_idle"},
        {"agents.sales.count": 45, "routing.agent_selection": "best_converter"},
        {"agents.sales.count": 50, "routing.agent_selection": "longest_idle"},
        {"agents.sales.count": 50, "routing.agent_selection": "best_converter"},
    ]
    assert list(points[0]) == ["agents.sales.count", "routing.agent_selection"]


def test_grid_of_one_assignment():
    assert grid(["horizon=3600"]) == [{"horizon": 3600}]


def test_grid_errors():
    assert "empty grid" in error_of(grid, [])
    message = error_of(grid, ["agents.sales.count=40..50", "x=1", "agents.sales.count=[1,2]"])
    assert "agents.sales.count" in message and "assigned twice" in message


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=4))
def test_grid_size_is_the_product_of_sizes(sizes):
    assignments = [f"p{i}=1..{n}" for i, n in enumerate(sizes)]
    points = grid(assignments)
    assert len(points) == math.prod(sizes)
    assert len({tuple(p.items()) for p in points}) == len(points)  # all distinct
    assert points[-1] == {f"p{i}": n for i, n in enumerate(sizes)}


def test_grid_points_apply_to_a_scenario():
    for overrides in grid(["agents.sales.count=40..42", "call_types.inbound.patience.mean=[60,120]"]):
        scenario = apply_and_validate(BASE, overrides, "base.yaml")
        assert scenario["agents"][0]["count"] == overrides["agents.sales.count"]


def test_point_label():
    assert point_label({}) == "base"
    assert point_label({"agents.sales.count": 40, "routing.agent_selection": "longest_idle"}) == \
        "agents.sales.count=40, routing.agent_selection=longest_idle"
    assert point_label({"x": 0.5, "drain": False, "p": {"dist": "exponential", "mean": 60}}) == \
        "x=0.5, drain=false, p={dist: exponential, mean: 60}"


def test_label_round_trips_through_parse_assignment():
    for overrides in grid(["a=1..3", "b=[x,y]", "c=0.5"]):
        parsed = dict(parse_assignment(part) for part in point_label(overrides).split(", "))
        assert parsed == {k: [v] for k, v in overrides.items()}


def test_point_list_gives_explicit_points():
    from ccsim.experiment.overrides import OverrideError, point_list

    assert point_list(["agents.team.count=40;horizon=3600", "agents.team.count=50"]) == [
        {"agents.team.count": 40, "horizon": 3600}, {"agents.team.count": 50}]
    for bad, phrase in [(["agents.team.count=1..3"], "one value per path"), ([], "empty list"),
                        (["a=1;a=2"], "assigned twice"), ([";"], "assigns nothing")]:
        with pytest.raises(OverrideError, match=phrase):
            point_list(bad)
