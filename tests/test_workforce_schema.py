"""The ``workforce.policies`` entries as pydantic models: each mistake is refused where it is
written with its field path (not by the Python constructors), ``ccsim schema`` documents every
kind and option, and a checked entry builds the same policy as the Python class."""
import copy
import math

import pytest
from pydantic import ValidationError
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


# Options without which a policy's constructor refuses to build (the probed option replaces them).
REQUIRED = {"bottom_elimination": {"k": 1}, "threshold_elimination": {"below": 0.0}, "training": {"k": 1},
            "attrition": {"hazard": 0.1}}


def _bounds_probes():
    """(kind, option, value, inside) at each numeric bound the pydantic models declare: the edge
    (or the next float inside an exclusive one) is inside, the next float (or whole number)
    beyond it is not."""
    from ccsim.scenario.workforce_policies import POLICIES

    out = []
    for model in POLICIES:
        kind = model.model_fields["kind"].annotation.__args__[0]
        for option, spec in model.model_json_schema()["properties"].items():
            spec = next((s for s in [spec] + spec.get("anyOf", []) if s.get("type") in ("number", "integer")), None)
            if spec is None:
                continue
            integer = spec["type"] == "integer"
            for key, sign in (("minimum", -1), ("maximum", 1), ("exclusiveMinimum", -1), ("exclusiveMaximum", 1)):
                if key not in spec:
                    continue
                edge = int(spec[key]) if integer else float(spec[key])
                beyond, within = ((edge + sign, edge - sign) if integer
                                  else (math.nextafter(edge, sign * math.inf), math.nextafter(edge, -sign * math.inf)))
                out += ([(kind, option, edge, True), (kind, option, beyond, False)] if key.startswith("m")
                        else [(kind, option, within, True), (kind, option, edge, False)])
    return out


PROBES = _bounds_probes()


@pytest.mark.parametrize("kind, option, value, inside", PROBES,
                         ids=[f"{k}.{o}={v!r}" for k, o, v, _ in PROBES])
def test_the_constructors_keep_the_schema_bounds(kind, option, value, inside):
    """The Python constructors check the same bounds as the pydantic models (two sets that could
    drift): a value the schema takes builds, a value it refuses raises WorkforceError."""
    from ccsim.scenario.workforce_policies import POLICIES
    from ccsim.workforce import WorkforceError
    from ccsim.workforce.policies import KINDS

    options = {k: v for k, v in REQUIRED.get(kind, {}).items() if option != "fraction"}
    options[option] = value
    model = next(m for m in POLICIES if m.model_fields["kind"].annotation.__args__[0] == kind)
    try:
        model.model_validate({"kind": kind, **options})
        schema_takes = True
    except ValidationError:
        schema_takes = False
    assert schema_takes == inside
    if inside:
        KINDS[kind](**options)
    else:
        with pytest.raises(WorkforceError, match=option):
            KINDS[kind](**options)


def test_the_bounds_probes_cover_every_kind():
    assert {k for k, *_ in PROBES} == set(KIND_NAMES) and len(PROBES) > 100
