"""The ``workforce.policies`` entries as pydantic models: each mistake is refused where it is
written with its field path (not by the Python constructors), ``ccsim schema`` documents every
kind and option, and a checked entry builds the same policy as the Python class."""
import copy

import pytest
from test_workforce import DAY, center

from ccsim.scenario import ScenarioError, validate_scenario
from ccsim.scenario.editor_schema import json_schema
from ccsim.scenario.workforce_policies import KIND_NAMES
from ccsim.workforce import Fatigue, Learning


def with_policies(*policies):
    s = copy.deepcopy(center(n=4))
    s["workforce"] = {"period": DAY, "policies": list(policies)}
    return s


def problem(*policies):
    with pytest.raises(ScenarioError) as err:
        validate_scenario(with_policies(*policies))
    assert len(err.value.problems) == 1, str(err.value)
    return err.value.problems[0].path, err.value.problems[0].message


BAD = [
    ({"kind": "bottom_elimination", "k": 1, "fraction": 0.1}, "workforce.policies[0]", "exactly one"),
    ({"kind": "training"}, "workforce.policies[0]", "exactly one"),
    ({"kind": "promotion", "k": 1, "colour": "red"}, "workforce.policies[0].colour", "unknown key"),
    ({"kind": "attrition"}, "workforce.policies[0].hazard", "required"),
    ({"kind": "attrition", "hazard": "0.1"}, "workforce.policies[0].hazard", "expected a number"),
    ({"kind": "qa", "sample": 2.5}, "workforce.policies[0].sample", "whole number"),
    ({"kind": "learning", "ceiling": {"dist": "beta", "mean": 0.3, "sd": 0.49}}, "workforce.policies[0].ceiling",
     "sd^2"),
    ({"kind": "learning", "ceiling": {"dist": "normal", "mean": 0.3, "sd": 0.1}}, "workforce.policies[0].ceiling",
     "unknown distribution"),
    ({"kind": "learning", "tau_days": {"dist": "uniform", "low": 5, "high": 2}}, "workforce.policies[0].tau_days",
     "low <= high"),
    ({"kind": "learning", "ceiling": {"dist": "uniform", "low": 0.4, "high": 0.2}}, "workforce.policies[0].ceiling",
     "low <= high"),
    ({"kind": "learning", "tau_days": 0}, "workforce.policies[0].tau_days", "greater than or equal to 0.001"),
    ({"kind": "learning", "noise_persistence": 1}, "workforce.policies[0].noise_persistence", "less than 1"),
    ({"kind": "fatigue", "threshold": 1.0}, "workforce.policies[0].threshold", "less than 1"),
    ({"kind": "fatigue", "recovery_hours": 0}, "workforce.policies[0].recovery_hours", "greater than 0"),
    ({"kind": "fatigue", "conversion_drop": True}, "workforce.policies[0].conversion_drop", "expected a number"),
    ({"kind": "hiring", "conversion": {"dist": "uniform", "low": 0.1, "high": 1.5}},
     "workforce.policies[0].conversion.high", "less than or equal to 1"),
    ({"kind": "hiring", "target": {"nobody": 2}}, "workforce.policies[0].target.nobody", "unknown agent group"),
    ({"kind": "training", "k": 1, "hours_per_day": 30}, "workforce.policies[0].hours_per_day", "24"),
    ({"kind": "sack_everyone"}, "workforce.policies[0].kind", "unknown policy"),
]


@pytest.mark.parametrize("policy, path, words", BAD, ids=[f"{b[1]}:{b[2]}" for b in BAD])
def test_a_bad_policy_is_refused_at_its_path(policy, path, words):
    where, message = problem({"kind": "attrition", "hazard": 0.01}, policy)
    assert where == path.replace("[0]", "[1]", 1) and words in message, (where, message)


def test_the_schema_documents_every_kind_and_option():
    schema = json_schema()
    defs = schema.get("$defs", {})
    kinds = {d["properties"]["kind"].get("const") or d["properties"]["kind"]["enum"][0]
             for d in defs.values() if "kind" in d.get("properties", {}) and "every" in d["properties"]}
    assert kinds == set(KIND_NAMES)
    for name, d in defs.items():
        if "kind" in d.get("properties", {}) and "every" in d["properties"]:
            assert d.get("additionalProperties") is False, name
            for option, spec in d["properties"].items():
                if option not in ("kind", "every"):
                    assert spec.get("description"), (name, option)


def test_a_checked_entry_builds_the_python_policy():
    s = validate_scenario(with_policies(
        {"kind": "learning", "ceiling": {"dist": "beta", "mean": 0.3, "sd": 0.05}, "tau_days": 20, "noise_cv": 0.1},
        {"kind": "fatigue", "threshold": 0.7, "conversion_drop": 0.3}))
    learning, fatigue = s.workforce.build_policies()
    assert isinstance(learning, Learning) and learning.ceiling == {"dist": "beta", "mean": 0.3, "sd": 0.05}
    assert learning.tau == 20 and learning.noise_cv == 0.1 and learning.path == "workforce.policies[0]"
    assert isinstance(fatigue, Fatigue) and fatigue.threshold == 0.7 and fatigue.drop == 0.3
    # a scenario round trip keeps the policies
    from ccsim.scenario import scenario_to_dict

    assert validate_scenario(scenario_to_dict(s)).workforce == s.workforce
