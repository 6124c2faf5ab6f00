"""Scenario variants from dotted-path overrides, and grids of them for sweeps.

A path is dot-separated keys; a list is indexed by position (``call_types.0``)
or by the ``name`` of its item (``agents.sales.count``). The last key may be
new (the schema decides later whether it is allowed); a missing key on the way
is an error, except a sub-section the schema defines and the scenario left to
its defaults (``routing.agent_selection`` when there is no ``routing``).
"""
from __future__ import annotations

import copy
import itertools
import re
import typing
from decimal import Decimal

import yaml
from pydantic import BaseModel

from ..errors import UserError
from ..scenario import ScenarioError, validate_scenario
from ..scenario.schema import Scenario

MAX_VALUES = 10_000  # values one assignment may expand to
MAX_POINTS = 100_000  # design points one grid may expand to

_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_INT = re.compile(r"[+-]?\d+")
_RANGE = re.compile(rf"({_NUM})\.\.({_NUM})(?::({_NUM}))?")
_RANGE_START = re.compile(rf"{_NUM}\.\.")


class OverrideError(UserError, ValueError):
    """An override or grid assignment that cannot be applied; the message names it."""


# ---------------------------------------------------------------- applying


def apply_overrides(scenario: dict, overrides: dict[str, object]) -> dict:
    """A deep copy of ``scenario`` with each dotted path set to its value (not validated)."""
    result, _ = _apply(scenario, overrides)
    return result


def apply_and_validate(scenario: dict, overrides: dict[str, object], source: str = "<overrides>") -> dict:
    """``apply_overrides``, then ``validate_scenario``; a rejection names the override(s) to blame."""
    result, located = _apply(scenario, overrides)
    try:
        validate_scenario(result, source=source)
    except ScenarioError as err:
        culprits = _culprits(err, located) or list(overrides)
        named = ", ".join(f"{path}={_format_value(overrides[path])}" for path in culprits)
        word = "override" if len(culprits) == 1 else "overrides"
        raise OverrideError(f"{word} {named}: {err}") from None
    return result


def _apply(scenario: dict, overrides: dict) -> tuple[dict, dict]:
    """The new scenario, and each override's location as (key or index, ...)."""
    if not isinstance(scenario, dict):
        raise OverrideError(f"overrides apply to a scenario mapping, found a {type(scenario).__name__}")
    result = copy.deepcopy(scenario)
    located = {}
    for path, value in overrides.items():
        located[path] = _set(result, path, copy.deepcopy(value))
    return result, located


def _split(path) -> list[str]:
    if not isinstance(path, str) or not path.strip():
        raise OverrideError(f"override path must be a non-empty string of dot-separated keys, found {path!r}")
    keys = path.strip().split(".")
    if any(not k.strip() for k in keys):
        raise OverrideError(f"override {path}: empty key in the path (two dots in a row, or a dot at an end)")
    return [k.strip() for k in keys]


def _set(root: dict, path: str, value) -> tuple:
    keys = _split(path)
    node, model, loc = root, Scenario, []
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        where = ".".join(keys[:depth]) or "the scenario"
        if isinstance(node, dict):
            if key not in node:
                sub = _field_model(model, key)
                if last:
                    node[key] = value
                    return tuple(loc + [key])
                if not (isinstance(sub, type) and issubclass(sub, BaseModel)):
                    keys_there = ", ".join(map(str, node)) or "none"
                    raise OverrideError(f"override {path}: no key '{key}' in {where} (keys: {keys_there})")
                node[key] = {}
            index = key
        elif isinstance(node, list):
            index = _list_index(node, key, path, where)
        else:
            raise OverrideError(
                f"override {path}: {where} is {node!r}, not a mapping or a list, so it has no '{key}'"
            )
        loc.append(index)
        if last:
            node[index] = value
            return tuple(loc)
        model = _field_model(model, index) if isinstance(node, dict) else _item_model(model)
        node = node[index]
    raise AssertionError("unreachable")


def _list_index(items: list, key: str, path: str, where: str) -> int:
    names = [item.get("name") for item in items if isinstance(item, dict) and "name" in item]
    listing = f"items: {', '.join(map(str, names))}" if names else "no named items"
    if key.isascii() and key.isdigit():
        if int(key) < len(items):
            return int(key)
        count = f"{len(items)} item{'' if len(items) == 1 else 's'}"
        named = f": {', '.join(map(str, names))}" if names else ""
        raise OverrideError(f"override {path}: no item {key} in {where} ({count}{named})")
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == key:
            return i
    raise OverrideError(f"override {path}: no item named '{key}' in {where} ({listing})")


def _field_model(model, key):
    """The schema type at ``model.key``: a model class, ``list[...]``, or None if unknown."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    field = model.model_fields.get(key)
    if field is None:
        return None
    annotation = field.annotation
    if typing.get_origin(annotation) is typing.Union:  # Optional[Model] counts as Model
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = options[0] if len(options) == 1 else None
    return annotation


def _item_model(list_type):
    if typing.get_origin(list_type) is list:
        (item,) = typing.get_args(list_type)
        return item
    return None


def _culprits(err: ScenarioError, located: dict) -> list[str]:
    """Overrides whose location contains, or lies inside, a reported problem."""
    blamed = []
    for path, loc in located.items():
        for problem in err.problems:
            found = _parse_problem_path(problem.path)
            n = min(len(found), len(loc))
            if found and found[:n] == loc[:n]:
                blamed.append(path)
                break
    return blamed


def _parse_problem_path(text: str) -> tuple:
    """``agents[0].serves[1]`` -> ("agents", 0, "serves", 1)."""
    return tuple(int(t[1:-1]) if t.startswith("[") else t for t in re.findall(r"\[\d+\]|[^.\[\]]+", text))


# ---------------------------------------------------------------- grids


def parse_assignment(text: str) -> tuple[str, list]:
    """``path=spec`` -> (path, values).

    spec: ``40..80:5`` (inclusive range with step; step 1 without ``:``),
    ``[a,b]`` or ``a,b`` (a list), or one value. Values are read as YAML
    scalars, so ``40`` is a number and ``longest_idle`` a string.
    """
    if not isinstance(text, str) or "=" not in text:
        raise OverrideError(f"assignment {text!r}: expected path=values, e.g. agents.sales.count=40..80:5")
    path, spec = (part.strip() for part in text.split("=", 1))
    if not path:
        raise OverrideError(f"assignment {text!r}: the path before '=' is empty")
    _split(path)
    if not spec:
        raise OverrideError(f"assignment {text!r}: no value after '='")
    values = _parse_values(text, spec)
    if len(values) > MAX_VALUES:
        raise OverrideError(f"assignment {text!r}: {len(values):,} values, more than the limit of {MAX_VALUES:,}")
    return path, values


def _parse_values(text: str, spec: str) -> list:
    match = _RANGE.fullmatch(spec)
    if match:
        return _range(text, *match.groups())
    if _RANGE_START.match(spec):
        raise OverrideError(f"assignment {text!r}: malformed range; expected start..stop or start..stop:step")
    if spec.startswith("["):
        values = _yaml(text, spec)
        if not isinstance(values, list):
            raise OverrideError(f"assignment {text!r}: expected a list like [a,b,c]")
        if not values:
            raise OverrideError(f"assignment {text!r}: the list is empty")
        return [_numeric(v) for v in values]
    if spec.startswith("{"):  # one mapping, e.g. a distribution
        return [_yaml(text, spec)]
    if "," in spec:
        items = [item.strip() for item in spec.split(",")]
        if any(not item for item in items):
            raise OverrideError(f"assignment {text!r}: empty item in the comma-separated list")
        return [_numeric(_yaml(text, item)) for item in items]
    return [_numeric(_yaml(text, spec))]


def _range(text: str, start: str, stop: str, step) -> list:
    integer = all(_INT.fullmatch(s) for s in (start, stop, step or "1"))
    a, b, s = Decimal(start), Decimal(stop), Decimal(step or "1")
    if s <= 0:
        raise OverrideError(f"assignment {text!r}: the step must be positive, found {step}")
    if b < a:
        raise OverrideError(f"assignment {text!r}: the range is reversed ({start} > {stop})")
    count = int((b - a) / s) + 1  # Decimal arithmetic: 0.1..0.3:0.1 has 3 values
    if count > MAX_VALUES:
        raise OverrideError(f"assignment {text!r}: {count:,} values, more than the limit of {MAX_VALUES:,}")
    kind = int if integer else float
    return [kind(a + i * s) for i in range(count)]


def _yaml(text: str, spec: str):
    try:
        return yaml.safe_load(spec)
    except yaml.YAMLError as err:
        problem = getattr(err, "problem", None) or "cannot parse"
        raise OverrideError(f"assignment {text!r}: cannot read {spec!r} as YAML ({problem})") from None


def _numeric(value):
    """PyYAML reads ``1e3`` as a string; make such values numbers."""
    if isinstance(value, str) and re.fullmatch(_NUM, value.strip()):
        return int(value) if _INT.fullmatch(value.strip()) else float(value)
    return value


def grid(assignments: list[str]) -> list[dict]:
    """The cartesian product of assignments as override dicts (the first varies slowest)."""
    if not assignments:
        raise OverrideError("empty grid: give at least one assignment path=values")
    axes = []
    for text in assignments:
        path, values = parse_assignment(text)
        if any(path == seen for seen, _ in axes):
            raise OverrideError(f"assignment {text!r}: the path {path} is assigned twice in the grid")
        axes.append((path, values))
    size = 1
    for _, values in axes:
        size *= len(values)
    if size > MAX_POINTS:
        raise OverrideError(f"the grid has {size:,} points, more than the limit of {MAX_POINTS:,}")
    paths = [path for path, _ in axes]
    return [dict(zip(paths, combo)) for combo in itertools.product(*(values for _, values in axes))]


def point_list(points: list[str]) -> list[dict]:
    """Explicit design points, each ``path=value;path=value`` (one value per path)."""
    if not points:
        raise OverrideError("empty list of points: give at least one point path=value[;path=value...]")
    out = []
    for text in points:
        overrides = {}
        for piece in (p.strip() for p in text.split(";")):
            if not piece:
                continue
            path, values = parse_assignment(piece)
            if len(values) != 1:
                raise OverrideError(f"point {text!r}: {path} has {len(values)} values; a point takes one value "
                                    "per path (use a grid for ranges and lists)")
            if path in overrides:
                raise OverrideError(f"point {text!r}: the path {path} is assigned twice")
            overrides[path] = values[0]
        if not overrides:
            raise OverrideError(f"point {text!r} assigns nothing")
        out.append(overrides)
    if len(out) > MAX_POINTS:
        raise OverrideError(f"{len(out):,} points, more than the limit of {MAX_POINTS:,}")
    return out


def point_label(overrides: dict) -> str:
    """``agents.sales.count=40, routing.agent_selection=longest_idle``; ``base`` for none."""
    if not overrides:
        return "base"
    return ", ".join(f"{path}={_format_value(value)}" for path, value in overrides.items())


def _format_value(value) -> str:
    if hasattr(value, "item") and not isinstance(value, (dict, list)):  # numpy scalar
        value = value.item()
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, type(None), dict, list)):
        return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("\n...").strip()
    return repr(value)
