"""Scenario inputs added with agents, routing, transfers, funnel, costs and shifts: a
cross-field check's message says what is wrong and nothing else, every number is a number
(never text or true), and every list and mapping has a bounded length."""
import copy
import math

import pytest

from ccsim.scenario import ScenarioError, limits, validate_scenario
from ccsim.scenario.staffing import MAX_INTERVALS
from factories import single_queue


def problem(data) -> tuple[str, str]:
    """(path, message) of the one problem of ``data``."""
    with pytest.raises(ScenarioError) as info:
        validate_scenario(data)
    assert len(info.value.problems) == 1, str(info.value)
    return info.value.problems[0].path, info.value.problems[0].message


def changed(edit) -> dict:
    data = copy.deepcopy(single_queue())
    edit(data)
    return data


CROSS_FIELD = [
    ("costs.by_group", lambda d: d.update(costs={"by_group": {"nope": 1.0}}), "costs.by_group.nope"),
    ("agents.skills", lambda d: d["agents"][0].update(skills={"nope": 1.0}), "agents[0].skills.nope"),
    ("transfers.to", lambda d: d["call_types"][0].update(transfers=[{"to": "nope", "p": 0.5}]),
     "call_types[0].transfers[0].to"),
    ("service_level.thresholds", lambda d: d.update(service_level={"thresholds": [10, 10]}),
     "service_level.thresholds[1]"),
    ("shifts", lambda d: d["agents"][0].update(shifts=[{"start": "09:00", "end": "09:00"}]), "agents[0].shifts[0]"),
    ("routing.wait_targets", lambda d: d.update(routing={"wait_targets": {"nope": 10.0}}),
     "routing.wait_targets.nope"),
    ("funnel.call_types", lambda d: d.update(funnel={"call_types": {"nope": {
        "conversion": 0.1, "order_value": {"dist": "deterministic", "value": 1}}}}), "funnel.call_types.nope"),
]


@pytest.mark.parametrize("edit, path", [c[1:] for c in CROSS_FIELD], ids=[c[0] for c in CROSS_FIELD])
def test_a_cross_field_message_is_not_followed_by_the_whole_scenario(edit, path):
    """The checks run on the whole scenario: "found a mapping" would describe it, not the field."""
    where, message = problem(changed(edit))
    assert where == path
    assert "found" not in message, message


TEXT_AND_BOOLEANS = [
    ("transfers.p text", lambda d: d["call_types"][0].update(transfers=[{"to": "inbound", "p": "0.5"}]),
     "call_types[0].transfers[0].p"),
    ("transfers.p true", lambda d: d["call_types"][0].update(transfers=[{"to": "inbound", "p": True}]),
     "call_types[0].transfers[0].p"),
    ("consult.p text", lambda d: d["call_types"][0].update(
        consult={"p": "0.5", "duration": {"dist": "exponential", "mean": 30}}), "call_types[0].consult.p"),
]


@pytest.mark.parametrize("edit, path", [c[1:] for c in TEXT_AND_BOOLEANS], ids=[c[0] for c in TEXT_AND_BOOLEANS])
def test_a_probability_is_a_number_not_text_or_a_boolean(edit, path):
    where, message = problem(changed(edit))
    assert where == path
    assert "expected a number" in message, message


def _funnel(**more) -> dict:
    return {"call_types": {"inbound": {"conversion": 0.1, "order_value": {"dist": "deterministic", "value": 1}}},
            **more}


BREAK = {"start": "10:00", "minutes": 1}
TOO_LONG = [
    ("costs.by_group", lambda d: d.update(costs={"by_group": {f"g{i}": 1.0 for i in range(limits.MAX_GROUPS + 1)}}),
     "costs.by_group", limits.MAX_GROUPS),
    ("agents.skills", lambda d: d["agents"][0].update(skills={
        f"t{i}": 1.0 for i in range(limits.MAX_CALL_TYPES + 1)}), "agents[0].skills", limits.MAX_CALL_TYPES),
    ("workforce.slots", lambda d: d.update(workforce={"periods": 2, "slots": {
        f"g{i}": 1 for i in range(limits.MAX_GROUPS + 1)}}), "workforce.slots", limits.MAX_GROUPS),
    ("routing.skill_priorities", lambda d: d.update(routing={"skill_priorities": {
        f"g{i}": {} for i in range(limits.MAX_GROUPS + 1)}}), "routing.skill_priorities", limits.MAX_GROUPS),
    ("routing.skill_priorities.group", lambda d: d.update(routing={"skill_priorities": {
        "team": {f"t{i}": 1 for i in range(limits.MAX_CALL_TYPES + 1)}}}), "routing.skill_priorities.team",
     limits.MAX_CALL_TYPES),
    ("routing.wait_targets", lambda d: d.update(routing={"wait_targets": {
        f"t{i}": 1.0 for i in range(limits.MAX_CALL_TYPES + 1)}}), "routing.wait_targets", limits.MAX_CALL_TYPES),
    ("funnel.channels", lambda d: d.update(funnel=_funnel(channels={
        f"c{i}": 1.0 for i in range(limits.MAX_CHANNELS + 1)})), "funnel.channels", limits.MAX_CHANNELS),
    ("funnel.delivery.by_channel", lambda d: d.update(funnel=_funnel(delivery={"by_channel": {
        f"c{i}": 1.0 for i in range(limits.MAX_CHANNELS + 1)}})), "funnel.delivery.by_channel", limits.MAX_CHANNELS),
    ("shifts.breaks", lambda d: d["agents"][0].update(shifts=[{"start": "09:00", "end": "17:00", "breaks": [
        BREAK] * (limits.MAX_BREAKS + 1)}]), "agents[0].shifts[0].breaks", limits.MAX_BREAKS),
    ("staffing.required", lambda d: d["agents"][0].update(staffing={"required": [1] * (MAX_INTERVALS + 1)}),
     "agents[0].staffing.required", MAX_INTERVALS),
]


@pytest.mark.parametrize("edit, path, limit", [c[1:] for c in TOO_LONG], ids=[c[0] for c in TOO_LONG])
def test_every_new_list_and_mapping_has_a_bounded_length(edit, path, limit):
    where, message = problem(changed(edit))
    assert where == path
    assert f"expected at most {limit:,} entries" in message, message


def staffed(tmp_path, text: str) -> dict:
    (tmp_path / "need.csv").write_text(text)
    return changed(lambda d: d["agents"][0].update(staffing={"csv": str(tmp_path / "need.csv")}))


def test_a_requirement_csv_longer_than_a_week_of_minutes_stops_at_the_row_past_it(tmp_path):
    rows = "".join(f"{i},1\n" for i in range(MAX_INTERVALS + 5))
    where, message = problem(staffed(tmp_path, "interval,agents\n" + rows))
    assert where == "agents[0].staffing"
    assert f"line {MAX_INTERVALS + 2}: more than {MAX_INTERVALS:,} intervals" in message, message


@pytest.mark.parametrize("cell", ["\u00b2", "\u0661", "-1", "1.0", "2000000"])
def test_a_requirement_csv_count_is_an_ascii_whole_number(tmp_path, cell):
    where, message = problem(staffed(tmp_path, f"interval,agents\n0,{cell}\n"))
    assert where == "agents[0].staffing"
    assert "line 2: agents" in message and "is not a whole number from 0 to" in message, message


WORKFORCE_NUMBERS = [  # (kind, option, a valid policy's other options)
    ("bottom_elimination", "k", {}), ("bottom_elimination", "window", {"k": 1}),
    ("bottom_elimination", "min_calls", {"k": 1}), ("bottom_elimination", "fraction", {}),
    ("threshold_elimination", "below", {"kpi": "aht"}), ("attrition", "hazard", {}),
    ("attrition", "pressure", {"hazard": 0.1}), ("learning", "tau_days", {}), ("qa", "sample", {}),
    ("qa", "minutes_per_call", {}), ("hiring", "delay_days", {}), ("hiring", "cost", {}), ("hiring", "factor", {}),
]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 10**400, 2**63, True], ids=repr)
@pytest.mark.parametrize("kind, option, others", WORKFORCE_NUMBERS, ids=[f"{k}.{o}" for k, o, _ in WORKFORCE_NUMBERS])
def test_a_workforce_policy_number_is_finite_and_bounded(kind, option, others, value):
    """NaN, infinities, ints too big for a float or an int64, and booleans: refused at the option's path."""
    data = changed(lambda d: d.update(workforce={"periods": 2, "policies": [{"kind": kind, **others,
                                                                               option: value}]}))
    where, message = problem(data)
    assert where == f"workforce.policies[0].{option}", message
    assert "expected" in message, message


def test_a_hiring_target_is_a_bounded_whole_number():
    data = changed(lambda d: d.update(workforce={"periods": 2, "policies": [{"kind": "hiring",
                                                                               "target": {"team": 2**63}}]}))
    assert problem(data)[0] == "workforce.policies[0].target.team"


@pytest.mark.parametrize("kind", [{"a": 1}, ["hiring"], None, 3], ids=repr)
def test_a_workforce_policy_kind_that_is_not_a_name_is_refused_at_its_path(kind):
    """The soak found a kind given as a mapping or a list raised TypeError (unhashable) instead of
    a located error."""
    data = changed(lambda d: d.update(workforce={"periods": 2, "policies": [{"kind": kind}]}))
    where, message = problem(data)
    assert where == "workforce.policies[0].kind" and "unknown policy" in message, (where, message)
