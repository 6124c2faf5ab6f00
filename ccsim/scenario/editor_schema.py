"""The JSON Schema (draft 2020-12) of scenario files, for editors and other tools.

It holds only standard keywords, so an editor enforces what it shows: types
(numbers are numbers, never quoted), bounds, lengths, name patterns, unknown keys
and missing fields. Rules that tie fields together stay with the loader only;
``schema.py``'s docstring lists them (warm-up < horizon, counts of intervals,
slots and statistics, total agents and values, unique and known names,
uniform ``high >= low``), except two expressed here too: a piecewise profile has
a positive rate, and an empirical distribution has ``values`` or ``csv`` with
``column``.
"""
from __future__ import annotations

import copy

from .schema import Scenario

DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Keywords whose value maps names to schemas, holds one schema, or a list of schemas.
_SCHEMA_MAPS = {"$defs", "properties", "patternProperties", "dependentSchemas"}
_ONE_SCHEMA = {"additionalProperties", "items", "contains", "not", "if", "then", "else", "propertyNames",
               "unevaluatedItems", "unevaluatedProperties", "contentSchema"}
_SCHEMA_LISTS = {"allOf", "anyOf", "oneOf", "prefixItems"}
# pydantic's OpenAPI-only keyword: the oneOf already decides by the "dist" / "process" const.
_NOT_JSON_SCHEMA = {"discriminator"}


def json_schema() -> dict:
    """The scenario format as a JSON Schema document (draft 2020-12)."""
    from .. import __version__

    schema = copy.deepcopy(Scenario.model_json_schema(mode="validation"))
    _strip(schema)
    defs = schema["$defs"]
    defs["PiecewiseArrivals"]["properties"]["rates"]["contains"] = {"exclusiveMinimum": 0}
    defs["Empirical"]["oneOf"] = [  # an explicit null counts as absent, as in the loader
        {"required": ["values"], "properties": {"values": {"type": "array"}}},
        {"required": ["csv", "column"], "properties": {"csv": {"type": "string"}, "column": {"type": "string"}}},
    ]
    head = {
        "$schema": DIALECT,
        "$id": f"urn:ccsim:scenario:{__version__}",
        "title": "ccsim scenario",
        "description": "A contact center and how long to simulate it (ccsim scenario file, YAML). "
                       + (schema.pop("description", "") or ""),
    }
    schema.pop("title", None)
    return {**head, **schema}


def _strip(node) -> None:
    """Remove the non-standard keywords from a schema and all schemas inside it."""
    if not isinstance(node, dict):
        return
    for keyword in _NOT_JSON_SCHEMA & node.keys():
        del node[keyword]
    for keyword, value in node.items():
        if keyword in _SCHEMA_MAPS:
            for sub in value.values():
                _strip(sub)
        elif keyword in _ONE_SCHEMA:
            _strip(value)
        elif keyword in _SCHEMA_LISTS:
            for sub in value:
                _strip(sub)
