"""Read a scenario file and turn every problem into a readable ``ScenarioError``.

Each problem names the field path (``call_types[0].patience.mean``), what was
expected, what was found, and the file and line the YAML parser saw it on.
"""
from __future__ import annotations

import difflib
import hashlib
import os
import pickle
import re
import types
import typing
import weakref
from pathlib import Path
from typing import Any, Optional

from pydantic import BaseModel, Tag, ValidationError

from .problems import FILE, TOP, Problem, ScenarioError, format_path, show
from .schema import Scenario
from .yaml_reader import MAX_BYTES, Lines, decode, read_yaml

_VALIDATOR_NAME = re.compile(r"(function|model)-(after|before|wrap|plain)\[")
_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_\-]*$"  # schema.Name, described in words

__all__ = ["Problem", "ScenarioError", "load_scenario", "load_scenario_with_lines", "parse_scenario", "scenario_to_dict", "validate_scenario"]


def load_scenario(path) -> Scenario:
    """Parse and validate a YAML scenario file."""
    return load_scenario_with_lines(path)[0]


def load_scenario_with_lines(path) -> tuple:
    """``(Scenario, Lines)``: the validated scenario of a YAML file, and where each value was written
    (``lines.line_of(("checks", "expect", 2))``), for messages about values read after validation."""
    if not isinstance(path, (str, os.PathLike)):
        from ..errors import ArgumentError

        raise ArgumentError(f"load_scenario takes the path of a YAML file, got {type(path).__name__}"
                        + (" (a dict is validated by ccsim.as_scenario)" if isinstance(path, dict) else ""))
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(str(path), [Problem(FILE, "file not found" if not path.exists() else "not a file")])
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ScenarioError(str(path), [Problem(FILE, f"the file has {size:,} bytes, more than the limit of "
                                                      f"{MAX_BYTES:,}")])
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)  # never more than the limit, whatever the file
    except OSError as err:
        raise ScenarioError(str(path), [Problem(FILE, f"cannot read the file ({err.strerror or err})")]) from None
    text = decode(data, str(path))
    document, lines = read_yaml(text, str(path))
    return validate_scenario(document, source=str(path), base_dir=path.parent, lines=lines), lines


def parse_scenario(text, source: str = "<string>", base_dir=".") -> Scenario:
    """Parse and validate scenario YAML given as text (``str``, or ``bytes`` in UTF-8)."""
    if isinstance(text, (bytes, bytearray)):
        text = decode(bytes(text), source)
    data, lines = read_yaml(text, source)
    return validate_scenario(data, source=source, base_dir=base_dir, lines=lines)


def validate_scenario(data: Any, source: str = "<dict>", base_dir=".", lines=None) -> Scenario:
    """Validate already-parsed data (a dict) into a ``Scenario``.

    ``lines``: where each value was written (a ``Lines`` from the YAML reader, or a
    dict of path tuples to line numbers), so that problems name their line.
    """
    if not isinstance(data, dict):
        found = "nothing (an empty file, or only comments)" if data is None else show(data)
        line = lines.line if isinstance(lines, Lines) else 1
        raise ScenarioError(source, [Problem(TOP, f"expected a mapping of scenario fields (key: value) at the "
                                                  f"top level, found {found}", line)])
    bad_key = next((k for k in data if not isinstance(k, str)), None) if len(data) else None
    if bad_key is not None:
        raise ScenarioError(source, [Problem(TOP, f"a key must be a field name (text), found {show(bad_key)}")])
    try:
        return _validated(Scenario.model_validate(data, context={"base_dir": str(base_dir)}))
    except ValidationError as err:
        problems = [_problem(e, lines) for e in err.errors()]
        raise ScenarioError(source, problems) from None
    except RecursionError:
        raise ScenarioError(source, [Problem(TOP, "nested too deeply to validate")]) from None


# The Scenario objects validation made, by id, with the digest of their data then:
# ``ccsim.as_scenario`` takes them as they are and validates any other (a copy edited with
# pydantic's model_copy(update=...), which does not validate) or any edited since in place (a
# Scenario is frozen, its lists and dicts are not: ``s.agents[0] = ...``).
_VALIDATED: dict = {}


def _validated(scenario: Scenario, digest: str | None = None) -> Scenario:
    key = id(scenario)
    _VALIDATED[key] = (weakref.ref(scenario, lambda _ref, key=key: _VALIDATED.pop(key, None)),
                       digest or _digest(_pickled(scenario)))
    return scenario


def _pickled(scenario: Scenario) -> bytes:
    """A scenario's bytes: any edit changes them (1.3 ms for multiskill, 57 ms with a replay of a
    million calls, where its JSON takes a second)."""
    return pickle.dumps(scenario, protocol=pickle.HIGHEST_PROTOCOL)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def was_validated(scenario) -> bool:
    """Whether ``scenario`` is an object ``validate_scenario`` made, unchanged since."""
    return validated_copy(scenario, copy=False) is not None


def validated_copy(scenario, copy: bool = True):
    """A private copy of ``scenario`` (itself with ``copy=False``), known as validated, if it is
    an object validation made, unchanged since; else None. A copy is what a ``Result`` keeps, so
    that editing the caller's object afterwards changes no result."""
    held = _VALIDATED.get(id(scenario))
    if held is None or held[0]() is not scenario:
        return None
    try:
        data = _pickled(scenario)
    except Exception:  # noqa: BLE001 - an edit that cannot even be pickled: not what validation made
        return None
    if _digest(data) != held[1]:
        return None
    return _validated(pickle.loads(data)) if copy else scenario  # (its own bytes: sets pickle in another order)


def unknown_attributes(model, data, path: str = "") -> list:
    """(path, value) of attributes a model holds that are not its fields (pydantic's
    ``model_copy(update=...)`` adds a misspelt key without validating it, and the dump drops it),
    through nested models, lists and dicts, where ``data`` (its dump) has them too."""
    found = []
    if isinstance(model, BaseModel):
        fields = type(model).model_fields
        found += [(f"{path}.{key}" if path else key, value) for key, value in vars(model).items()
                  if key not in fields]
        for key in fields:
            if isinstance(data, dict) and key in data:
                found += unknown_attributes(getattr(model, key), data[key], f"{path}.{key}" if path else key)
    elif isinstance(model, (list, tuple)) and isinstance(data, list) and len(model) == len(data):
        for i, (item, sub) in enumerate(zip(model, data)):
            found += unknown_attributes(item, sub, f"{path}[{i}]")
    elif isinstance(model, dict) and isinstance(data, dict):
        for key, item in model.items():
            if key in data:
                found += unknown_attributes(item, data[key], f"{path}.{key}" if path else str(key))
    return found


def _format_path(loc) -> str:
    return format_path(loc) or TOP


def _clean_loc(raw) -> tuple:
    """The user's keys and indices in pydantic's error location (without union tags and validator names)."""
    loc, here = [], Scenario
    for part in raw:
        if isinstance(part, str) and _VALIDATOR_NAME.match(part):
            continue
        union = here is not None and typing.get_origin(_unwrap(here)) in (typing.Union, types.UnionType)
        here = _step(here, part) if here is not None else None
        if union and here is not None:
            continue  # the tag pydantic adds to say which member of a union it tried
        loc.append(part)
    return tuple(loc)


def _problem(error: dict, lines) -> Problem:
    ctx = error.get("ctx") or {}
    loc = _clean_loc(error["loc"])
    if "path" in ctx:  # cross-field checks carry their own path
        loc = _parse_path(ctx["path"])
    return Problem(_format_path(loc), _describe(error, loc), _line_of(loc, lines))


def _parse_path(text: str) -> tuple:
    """A cross-field check's path ("ivr[0].nodes[2].branches") as a location tuple. A piece
    whose brackets hold no index is a key as written (a user's key may contain "[")."""
    loc: list = []
    for piece in text.split("."):
        name, *indices = piece.replace("]", "").split("[")
        if all(i.isdigit() for i in indices):
            loc.append(name)
            loc.extend(int(i) for i in indices)
        else:
            loc.append(piece)
    return tuple(loc)


def _line_of(loc: tuple, lines) -> Optional[int]:
    if lines is None:
        return None
    if isinstance(lines, Lines):
        return lines.line_of(loc)
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _describe(error: dict, loc: tuple) -> str:
    kind, msg, ctx = error["type"], error["msg"], error.get("ctx") or {}
    found = error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        hint = difflib.get_close_matches(str(loc[-1]), _fields_at(error["loc"][:-1]), n=1) if loc else []
        return "unknown key" + (f" (did you mean '{hint[0]}'?)" if hint else "")
    if kind == "union_tag_invalid":
        what = {"'dist'": "distribution", "'kind'": "response"}.get(ctx.get("discriminator"), "arrival process")
        tag = ctx.get("tag")
        shown = repr(tag) if isinstance(tag, str) and len(tag) <= 40 else show(tag)
        return f"unknown {what} {shown}; expected one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return f"missing the key {ctx.get('discriminator')} that says which kind this is"
    if kind in _OWN_MESSAGES or "path" in ctx:  # a cross-field check's message says it all
        return msg
    if kind == "too_short":
        n = ctx.get("min_length")
        return f"expected at least {n} {'entry' if n == 1 else 'entries'}, found {show(found)}"
    if kind == "too_long":
        n = ctx.get("max_length")
        actual = ctx.get("actual_length")  # None for a mapping (pydantic 2)
        return f"expected at most {n:,} entries, found {len(found) if actual is None else actual:,}"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
        whole = kind.startswith("int") and not isinstance(found, (str, bool))
        expected = "a whole number" if whole else "a number"
        hint = " (write numbers without quotes)" if isinstance(found, str) and _looks_numeric(found) else ""
        return f"expected {expected}, found {show(found)}{hint}"
    if kind == "finite_number":
        return f"expected a finite number, found {show(found)}"
    if kind in ("bool_parsing", "bool_type"):
        return f"expected true or false, found {show(found)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping of fields (key: value), found {show(found)}"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == _NAME_PATTERN:
        return f"expected a name of letters, digits, '_' or '-' that starts with a letter or '_', found {show(found)}"
    if kind == "string_type":
        return f"expected text, found {show(found)}"
    if msg.startswith("String should have "):
        msg = "expected " + msg[len("String should have "):]
    if kind in _BOUNDS:
        words, key = _BOUNDS[kind]
        return f"expected a number {words} {_number(ctx.get(key))}, found {show(found)}"
    if msg.startswith("Value error, "):
        return msg[len("Value error, "):]
    if msg.startswith("Input should be "):
        msg = "expected " + msg[len("Input should be "):]
    return f"{msg}, found {show(found)}"


_BOUNDS = {"greater_than": ("greater than", "gt"), "greater_than_equal": ("greater than or equal to", "ge"),
           "less_than": ("less than", "lt"), "less_than_equal": ("less than or equal to", "le")}


def _number(bound) -> str:
    """A limit as people write it: 1,000,000 or 0.02 or 1e-06."""
    if isinstance(bound, (int, float)) and float(bound).is_integer() and abs(bound) < 1e16:
        return f"{int(bound):,}"
    return f"{bound:g}" if isinstance(bound, float) else str(bound)


_OWN_MESSAGES = {"warmup_too_long", "unknown_call_type", "unserved_call_type", "duplicate_name", "too_big",
                 "media", "no_arrivals", "replay", "checks", "routing_order",
                 "workforce"}


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _fields_at(raw_loc) -> list[str]:
    """Names of the fields valid where an unknown key was found (``raw_loc``: pydantic's, with union tags)."""
    here = Scenario
    for part in raw_loc:
        here = _step(here, part)
        if here is None:
            return []
    here = _unwrap(here)
    return list(here.model_fields) if _is_model(here) else []


def _step(annotation, part):
    """The type found at ``part`` (a field, a list index, or a union's tag) inside ``annotation``."""
    annotation = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    if origin is list and isinstance(part, int):
        return typing.get_args(annotation)[0]
    if origin in (typing.Union, types.UnionType):
        for member in typing.get_args(annotation):
            if _tag(member) == part:  # a union told apart by a function (``Duration``)
                return member
        for member in map(_unwrap, typing.get_args(annotation)):
            if _is_model(member) and any(typing.get_origin(f.annotation) is typing.Literal
                                         and part in typing.get_args(f.annotation)
                                         for f in member.model_fields.values()):
                return member
        return None
    if _is_model(annotation) and isinstance(part, str) and part in annotation.model_fields:
        return annotation.model_fields[part].annotation
    return None


def _tag(annotation):
    """The ``Tag`` of a union member, or None."""
    if typing.get_origin(annotation) is typing.Annotated:
        for extra in annotation.__metadata__:
            if isinstance(extra, Tag):
                return extra.tag
    return None


def _unwrap(annotation):
    """Strip ``Annotated`` and ``Optional`` around a type."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(options) == 1:
                annotation = options[0]
                continue
        return annotation


def _is_model(annotation) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def scenario_to_dict(scenario: Scenario) -> dict:
    """Plain, self-contained data of a validated scenario (empirical CSV values inlined).

    ``validate_scenario(scenario_to_dict(s)) == s``: what experiments ship to workers and store.
    """
    return scenario.model_dump(mode="json", exclude_none=True, warnings=False)  # (a bad value is validation's to name)
