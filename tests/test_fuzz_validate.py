"""Fuzzing the one validation funnel: mutated shipped scenarios (as data and as YAML
text) end in a valid, compilable ``Scenario`` or in a ``ScenarioError`` whose problems
name a location, never in another exception. ``soak_validate.py`` runs the same
mutations by the thousand; the deadline below catches hangs, not slowness."""
import copy
import math

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ccsim.scenario import ScenarioError, validate_scenario
from fuzz_mutations import SHIPPED, check_data, check_text, mutate_data, mutate_text, node_paths

FUZZ = settings(max_examples=150, deadline=5000, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.randoms(use_true_random=False))
def test_mutated_data_is_valid_or_a_scenario_error(rnd):
    check_data(mutate_data(rnd))


@FUZZ
@given(st.randoms(use_true_random=False))
def test_mutated_yaml_text_is_valid_or_a_scenario_error(rnd):
    check_text(mutate_text(rnd))


def numbers_of(data) -> list[tuple]:
    out = []
    for path in node_paths(data):
        node = data
        for part in path:
            node = node[part]
        if isinstance(node, (int, float)) and not isinstance(node, bool):
            out.append(path)
    return out


EXTREME_NUMBERS = [0, -1, 1e-300, -1e-300, 1e300, math.nan, math.inf, -math.inf, 2**31, 2**63, 10**400, "190"]


def distinct_numbers(data, limit: int = 400) -> list[tuple]:
    """Every number of ``data``; past ``limit`` of them (a generated scenario such as
    bank_fitted.yaml, thousands of rates and shift times) the first and last number of each
    path shape (list indices as *): numbers at one shape meet the same validator."""
    paths = numbers_of(data)
    if len(paths) <= limit:
        return paths
    shapes = {}
    for path in paths:
        shapes.setdefault(tuple("*" if isinstance(part, int) else part for part in path), []).append(path)
    return [p for group in shapes.values() for p in dict.fromkeys((group[0], group[-1]))]


@pytest.mark.parametrize("scenario", range(len(SHIPPED)))
@pytest.mark.parametrize("value", EXTREME_NUMBERS, ids=repr)
def test_every_number_of_every_shipped_scenario_takes_every_extreme(scenario, value):
    """Exhaustive over numbers (not sampled) for the hand-written scenarios: each extreme, at each
    number, is handled; a generated one, at each shape of number (``distinct_numbers``)."""
    for path in distinct_numbers(SHIPPED[scenario]):
        data = copy.deepcopy(SHIPPED[scenario])
        node = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
        outcome = check_data(data)
        if isinstance(value, str) or value != value or value in (math.inf, -math.inf, 10**400):
            assert outcome == "rejected", (path, value)  # text, NaN, infinities are never numbers here


def rung_by_media(source: dict, path: tuple) -> bool:
    """``call_types[i].arrivals`` of a call type a media channel rings: optional, not required."""
    if len(path) != 3 or path[0] != "call_types" or path[2] != "arrivals":
        return False
    rung = {c.get("call_type") for c in (source.get("media") or {}).get("channels", [])}
    return source["call_types"][path[1]].get("name") in rung


@settings(max_examples=60, deadline=5000)
@given(st.sampled_from(range(len(SHIPPED))), st.data())
def test_deleting_a_required_key_names_it(scenario, data):
    source = SHIPPED[scenario]
    required = [p for p in node_paths(source)
                if p and isinstance(p[-1], str) and p[-1] in {"horizon", "handle_time", "count", "serves", "name",
                                                              "arrivals", "dist", "process"}
                and not (len(p) == 1 and p[0] == "name") and not rung_by_media(source, p)]
    path = data.draw(st.sampled_from(required))
    mutated = copy.deepcopy(source)
    node = mutated
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    with pytest.raises(ScenarioError) as info:
        validate_scenario(mutated)
    parent = ".".join(str(p) for p in path[:-1])
    assert any(problem.path.replace("[", ".").replace("]", "").startswith(parent) for problem in info.value.problems)
