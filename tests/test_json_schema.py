"""The scenario's JSON Schema: standard draft 2020-12 only, accepts the shipped and
generated valid scenarios, and rejects what the loader rejects for reasons a JSON
Schema can express (types, bounds, unknown keys, missing fields, quoted numbers)."""
import copy
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import ccsim
from ccsim.scenario import ScenarioError, json_schema, validate_scenario
from ccsim.scenario.yaml_reader import read_yaml
from factories import SMALL_YAML, single_queue
from fuzz_mutations import mutate_data
from test_scenario import valid_scenarios

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))

# The draft 2020-12 vocabularies: core, applicator, unevaluated, validation, meta-data,
# format-annotation, content.
KEYWORDS = {
    "$schema", "$id", "$ref", "$defs", "$anchor", "$dynamicRef", "$dynamicAnchor", "$vocabulary", "$comment",
    "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas", "prefixItems", "items",
    "contains", "properties", "patternProperties", "additionalProperties", "propertyNames",
    "unevaluatedItems", "unevaluatedProperties",
    "type", "const", "enum", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxContains", "minContains",
    "maxProperties", "minProperties", "required", "dependentRequired",
    "title", "description", "default", "deprecated", "readOnly", "writeOnly", "examples",
    "format", "contentEncoding", "contentMediaType", "contentSchema",
}
SCHEMA_MAPS = {"$defs", "properties", "patternProperties", "dependentSchemas"}
ONE_SCHEMA = {"additionalProperties", "items", "contains", "not", "if", "then", "else", "propertyNames",
              "unevaluatedItems", "unevaluatedProperties", "contentSchema"}
SCHEMA_LISTS = {"allOf", "anyOf", "oneOf", "prefixItems"}


def keywords_outside_vocabulary(node, where="#") -> list[str]:
    """Every key used as a keyword (not as a property name or data) that 2020-12 does not define."""
    if isinstance(node, bool):
        return []
    assert isinstance(node, dict), f"{where} is not a schema"
    bad = [f"{where}/{k}" for k in node if k not in KEYWORDS]
    for keyword, value in node.items():
        if keyword in SCHEMA_MAPS:
            for name, sub in value.items():
                bad += keywords_outside_vocabulary(sub, f"{where}/{keyword}/{name}")
        elif keyword in ONE_SCHEMA:
            bad += keywords_outside_vocabulary(value, f"{where}/{keyword}")
        elif keyword in SCHEMA_LISTS:
            for i, sub in enumerate(value):
                bad += keywords_outside_vocabulary(sub, f"{where}/{keyword}/{i}")
    return bad


@pytest.fixture(scope="module")
def validator():
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_document_says_what_it_is():
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"urn:ccsim:scenario:{ccsim.__version__}"
    assert schema["title"] and schema["description"]
    assert schema["additionalProperties"] is False


def test_only_json_schema_keywords():
    assert keywords_outside_vocabulary(json_schema()) == []


def test_the_vocabulary_walk_finds_a_stray_keyword():
    schema = json_schema()
    schema["properties"]["lines"]["anyOf"][0]["ge"] = 1
    schema["$defs"]["Exponential"]["discriminator"] = {"propertyName": "dist"}
    assert sorted(keywords_outside_vocabulary(schema)) == ["#/$defs/Exponential/discriminator",
                                                           "#/properties/lines/anyOf/0/ge"]


def test_every_field_has_a_title_and_every_model_a_description():
    schema = json_schema()
    for name, model in schema["$defs"].items():
        assert model.get("description"), name
        for field, sub in model.get("properties", {}).items():
            assert sub.get("title"), f"{name}.{field}"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_shipped_scenarios_are_valid(validator, path):
    data, _ = read_yaml(path.read_text(), str(path))
    assert list(validator.iter_errors(data)) == []


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_scenarios())
def test_generated_valid_scenarios_are_valid(validator, data):
    validate_scenario(copy.deepcopy(data))
    assert list(validator.iter_errors(data)) == []


def base() -> dict:
    data, _ = read_yaml(SMALL_YAML, "small")
    return data


def at(data: dict, path: str):
    """The container and key of a dotted path (``agents.0.count``)."""
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    for key in keys[:-1]:
        data = data[key]
    return data, keys[-1]


def setting(path: str, value):
    def change(data):
        container, key = at(data, path)
        container[key] = value
    return change


def deleting(path: str):
    def change(data):
        container, key = at(data, path)
        del container[key]
    return change


def many_call_types(data):
    data["call_types"] = [dict(data["call_types"][0], name=f"t{i}") for i in range(1001)]


# Mistakes the loader rejects and a JSON Schema can express.
SCHEMA_EXPRESSIBLE = [
    ("horizon is text", setting("horizon", "soon")),
    ("quoted horizon", setting("horizon", "20000")),
    ("quoted count", setting("agents.0.count", "190")),
    ("quoted rate", setting("call_types.0.arrivals.rate", "0.1")),
    ("boolean count", setting("agents.0.count", True)),
    ("boolean horizon", setting("horizon", True)),
    ("fractional count", setting("agents.0.count", 2.5)),
    ("text drain", setting("drain", "yes")),
    ("serves is text", setting("agents.0.serves", "inbound")),
    ("agents is a mapping", setting("agents", {"name": "team"})),
    ("lines 0", setting("lines", 0)),
    ("lines beyond int32", setting("lines", 2**31)),
    ("count 0", setting("agents.0.count", 0)),
    ("count 1e9", setting("agents.0.count", 10**9)),
    ("horizon 1e300", setting("horizon", 1e300)),
    ("negative warm-up", setting("warmup", -1)),
    ("interval 0", setting("interval", 0)),
    ("negative rate", setting("call_types.0.arrivals.rate", -1)),
    ("rate 1e300", setting("call_types.0.arrivals.rate", 1e300)),
    ("patience mean 0", setting("call_types.0.patience.mean", 0)),
    ("lognormal cv 1e200", setting("call_types.0.handle_time", {"dist": "lognormal", "mean": 60, "cv": 1e200})),
    ("gamma cv 1e-200", setting("call_types.0.handle_time", {"dist": "gamma", "mean": 60, "cv": 1e-200})),
    ("weibull shape 1e-3", setting("call_types.0.handle_time", {"dist": "weibull", "shape": 1e-3, "scale": 60})),
    ("proficiency 0", setting("agents.0.proficiency", 0)),
    ("threshold -5", setting("service_level", {"threshold": -5})),
    ("target 1.5", setting("service_level", {"target": 1.5})),
    ("call-type target -0.1", setting("call_types.0.service_level_target", -0.1)),
    ("negative piecewise rate", setting("call_types.0.arrivals", {"process": "piecewise", "rates": [1, -2]})),
    ("all-zero piecewise profile", setting("call_types.0.arrivals", {"process": "piecewise", "rates": [0, 0]})),
    ("negative empirical value", setting("call_types.0.handle_time", {"dist": "empirical", "values": [1, -1]})),
    ("empty empirical list", setting("call_types.0.handle_time", {"dist": "empirical", "values": []})),
    ("empirical with values and csv", setting("call_types.0.handle_time",
                                              {"dist": "empirical", "values": [1], "csv": "a.csv", "column": "x"})),
    ("empirical csv without column", setting("call_types.0.handle_time", {"dist": "empirical", "csv": "a.csv"})),
    ("empirical with neither", setting("call_types.0.handle_time", {"dist": "empirical"})),
    ("unknown top-level key", setting("horizn", 5)),
    ("unknown nested key", setting("agents.0.cuont", 3)),
    ("unknown key in a distribution", setting("call_types.0.handle_time.meen", 3)),
    ("unknown key in service_level", setting("service_level", {"targt": 0.8})),
    ("missing horizon", deleting("horizon")),
    ("missing handle time", deleting("call_types.0.handle_time")),
    ("missing group name", deleting("agents.0.name")),
    ("missing dist", deleting("call_types.0.handle_time.dist")),
    ("unknown distribution", setting("call_types.0.handle_time.dist", "expo")),
    ("unknown arrival process", setting("call_types.0.arrivals.process", "poison")),
    ("unknown rate unit", setting("call_types.0.arrivals.per", "day")),
    ("unknown denominator", setting("service_level", {"denominator": "everyone"})),
    ("empty agent list", setting("agents", [])),
    ("bad group name", setting("agents.0.name", "my team")),
    ("65-character name", setting("agents.0.name", "a" * 65)),
    ("1,001 call types", many_call_types),
    ("name is a number", setting("name", 5)),
    ("horizon is a list", setting("horizon", [1])),
]


@pytest.mark.parametrize("change", [c[1] for c in SCHEMA_EXPRESSIBLE], ids=[c[0] for c in SCHEMA_EXPRESSIBLE])
def test_the_schema_rejects_what_the_loader_rejects(validator, change):
    data = base()
    assert list(validator.iter_errors(data)) == []
    change(data)
    with pytest.raises(ScenarioError):
        validate_scenario(copy.deepcopy(data))
    assert not validator.is_valid(data)


def test_an_explicit_null_counts_as_absent(validator, tmp_path):
    (tmp_path / "talk.csv").write_text("talk\n10\n")
    data = base()
    data["call_types"][0]["handle_time"] = {"dist": "empirical", "values": None, "csv": "talk.csv", "column": "talk"}
    data["call_types"][0]["patience"] = None
    assert validate_scenario(copy.deepcopy(data), base_dir=tmp_path).call_types[0].handle_time.values == [10.0]
    assert list(validator.iter_errors(data)) == []


def test_cross_field_rules_are_the_loaders_alone(validator):
    """Documented as loader-only: the JSON Schema accepts these, the loader does not."""
    data = single_queue(horizon=1000, warmup=2000)
    assert validator.is_valid(data)
    with pytest.raises(ScenarioError, match="warm-up"):
        validate_scenario(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_the_schema_is_never_stricter_than_the_loader(validator, rnd):
    """Whatever mutated scenario the loader accepts, an editor must accept too."""
    data = mutate_data(rnd)
    try:
        validate_scenario(copy.deepcopy(data))
    except ScenarioError:
        return
    assert list(validator.iter_errors(data)) == []
