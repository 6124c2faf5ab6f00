"""Routing tables: the call types' group orders and the groups' serves orders, validated,
compiled in that order, and followed by both engines (exact checks: tests/validation/
test_routing_exact.py; core and SimPy call for call: tests/test_simpy_engine.py)."""
import numpy as np
import pytest

import ccsim
from ccsim.compile import AGENT_SELECTION, QUEUE_SELECTION, compile_scenario
from ccsim.results import GROUP_FIELDS
from ccsim.scenario import ScenarioError, load_scenario, validate_scenario

BASE = """\
horizon: 3600
routing: {agent_selection: ordered_groups, queue_selection: priority}
call_types:
  - name: orders
    arrivals: {process: poisson, rate: 0.05}
    handle_time: {dist: exponential, mean: 60}
    groups: [team, cross]
  - name: service
    arrivals: {process: poisson, rate: 0.05}
    handle_time: {dist: exponential, mean: 60}
agents:
  - name: team
    count: 2
    serves: [orders]
  - name: cross
    count: 2
    serves: [service, orders]
"""


def load_error(tmp_path, text: str) -> ScenarioError:
    path = tmp_path / "center.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(path) in str(info.value)
    return info.value


BAD = [
    ("unknown group", "groups: [team, cross]", "groups: [team, crosss]", "call_types[0].groups[1]",
     ["group 'crosss' is not defined in agents", "cross, team"], "groups: [team, crosss]"),
    ("group not serving", "groups: [team, cross]\n  - name: service",
     "groups: [team, cross]\n  - name: service\n    groups: [team, cross]", "call_types[1].groups[0]",
     ["group 'team' does not serve call type 'service'"], "groups: [team, cross]\n    arrivals"),
    ("group missing", "groups: [team, cross]", "groups: [cross]", "call_types[0].groups",
     ["every group serving call type 'orders'", "missing team"], "groups: [cross]"),
    ("group twice", "groups: [team, cross]", "groups: [team, cross, team]", "call_types[0].groups[2]",
     ["group 'team' is listed twice"], "groups: [team, cross, team]"),
    ("unknown agent selection", "agent_selection: ordered_groups", "agent_selection: best_converter",
     "routing.agent_selection", ["'longest_idle'", "'ordered_groups'", "best_converter"], "routing:"),
    ("unknown queue selection", "queue_selection: priority", "queue_selection: fifo",
     "routing.queue_selection", ["'longest_waiting'", "'priority'", "fifo"], "routing:"),
]


@pytest.mark.parametrize("old, new, path, words, marker", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_routing_is_refused_with_its_field_path(tmp_path, old, new, path, words, marker):
    assert old in BASE
    text = BASE.replace(old, new, 1)
    err = load_error(tmp_path, text)
    assert len(err.problems) == 1, str(err)
    assert err.problems[0].path == path
    message = str(err)
    assert f"{path}: " in message
    for word in words:
        assert word in message, message
    assert "found a mapping" not in message  # the message says what is wrong, nothing else
    line = text[:text.index(marker)].count("\n") + 1
    assert err.problems[0].line == line


def test_tables_follow_the_routing_orders(tmp_path):
    """Groups are indexed by name (cross 0, team 1); the tables keep the orders of the file."""
    path = tmp_path / "center.yaml"
    path.write_text(BASE)
    model = compile_scenario(load_scenario(path))
    assert model.group_names == ("cross", "team")
    assert model.agent_selection == AGENT_SELECTION["ordered_groups"]
    assert model.queue_selection == QUEUE_SELECTION["priority"]

    def row(start, flat, i):
        return list(flat[start[i]:start[i + 1]])

    assert row(model.type_groups_start, model.type_groups, 0) == [1, 0]  # orders: team, then cross
    assert row(model.type_groups_start, model.type_groups, 1) == [0]  # service: cross
    assert row(model.group_types_start, model.group_types, 0) == [1, 0]  # cross serves service first
    assert row(model.group_types_start, model.group_types, 1) == [0]


def test_absent_groups_mean_file_order():
    data = {"horizon": 100, "call_types": [{"name": "a", "arrivals": {"process": "poisson", "rate": 0.1},
                                            "handle_time": {"dist": "exponential", "mean": 5}}],
            "agents": [{"name": "zeta", "count": 1, "serves": ["a", "a"]},
                       {"name": "alpha", "count": 1, "serves": ["a"]}]}
    model = compile_scenario(validate_scenario(data))
    assert list(model.type_groups) == [1, 0]  # zeta (index 1 by name) first, as in the file
    assert list(model.group_types) == [0, 0]  # a duplicate in serves counts once


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_ordered_groups_fills_the_first_group_first(engine):
    """Calls one at a time (deterministic gaps longer than any handle time): every call finds all
    agents idle, so ordered_groups gives each to the first group of its order, longest_idle
    spreads them over both groups."""
    def scenario(policy):
        calls = {"name": "a", "arrivals": {"process": "replay", "times": list(range(0, 10_000, 100))},
                 "handle_time": {"dist": "uniform", "low": 10, "high": 50}, "groups": ["zeta", "alpha"]}
        return {"horizon": 10_000, "routing": {"agent_selection": policy}, "call_types": [calls],
                "agents": [{"name": "alpha", "count": 2, "serves": ["a"]},
                           {"name": "zeta", "count": 2, "serves": ["a"]}]}
    answered = GROUP_FIELDS.index("answered")
    ordered = ccsim.simulate(scenario("ordered_groups"), seed=1, engine=engine).stats.group_totals[:, answered]
    assert list(ordered) == [0, 100]  # alpha (index 0) never, zeta every call
    spread = ccsim.simulate(scenario("longest_idle"), seed=1, engine=engine).stats.group_totals[:, answered]
    assert spread.sum() == 100 and spread.min() > 0
