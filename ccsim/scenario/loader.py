"""Read a scenario file and turn every problem into a readable ``ScenarioError``.

Each problem names the field path (``call_types[0].patience.mean``), what was
expected, what was found, and the file and line the YAML parser saw it on.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import yaml
from pydantic import ValidationError

from ..errors import UserError
from .distributions import DIST_NAMES
from .schema import Scenario

_TAGS = set(DIST_NAMES) | {"poisson", "piecewise"}
_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_\-]*$"  # schema.Name, described in words


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    line: Optional[int] = None


class ScenarioError(UserError, ValueError):
    """A scenario that cannot be run; ``problems`` lists what is wrong and where."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        super().__init__(self._render())

    def _render(self) -> str:
        head = f"invalid scenario {self.source}: "
        parts = []
        for p in self.problems:
            where = f"line {p.line}: " if p.line else ""
            field = f"{p.path}: " if p.path else ""
            parts.append(f"{where}{field}{p.message}")
        if len(parts) == 1:
            return head + parts[0]
        return head + f"{len(parts)} problems\n" + "\n".join(f"  - {p}" for p in parts)


def load_scenario(path) -> Scenario:
    """Parse and validate a YAML scenario file."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(str(path), [Problem("", "file not found" if not path.exists() else "not a file")])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(str(path), [Problem("", f"cannot read the file ({err})")]) from None
    return parse_scenario(text, source=str(path), base_dir=path.parent)


def parse_scenario(text: str, source: str = "<string>", base_dir=".") -> Scenario:
    """Parse and validate scenario YAML given as text."""
    data, lines = _parse_yaml(text, source)
    return validate_scenario(data, source=source, base_dir=base_dir, lines=lines)


def validate_scenario(data: Any, source: str = "<dict>", base_dir=".", lines=None) -> Scenario:
    """Validate already-parsed data (a dict) into a ``Scenario``."""
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(source, [Problem("", f"expected a mapping of scenario fields at the top level, found {found}", 1)])
    try:
        return Scenario.model_validate(data, context={"base_dir": str(base_dir)})
    except ValidationError as err:
        problems = [_problem(e, lines or {}) for e in err.errors()]
        raise ScenarioError(source, problems) from None


def _parse_yaml(text: str, source: str):
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        lines: dict[tuple, int] = {}
        _index_lines(node, (), lines, source)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        raise ScenarioError(source, [Problem("", f"malformed YAML: {_yaml_what(err, line)}", line)]) from None
    except yaml.YAMLError as err:
        raise ScenarioError(source, [Problem("", f"malformed YAML: {err}")]) from None
    finally:
        loader.dispose()


def _index_lines(node, path: tuple, lines: dict, source: str) -> None:
    """Record the 1-based line of every value, keyed by its path; reject duplicate keys."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise ScenarioError(source, [Problem(_format_path(path + (key,)), "key given twice",
                                                     key_node.start_mark.line + 1)])
            seen.add(key)
            _index_lines(value_node, path + (key,), lines, source)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, path + (i,), lines, source)


def _yaml_what(err: yaml.MarkedYAMLError, line) -> str:
    """The parser's problem, then what it was reading and where that started."""
    what = err.problem or err.context or "cannot parse"
    if err.problem and err.context:
        start = err.context_mark.line + 1 if err.context_mark else None
        where = f" that starts on line {start}" if start and start != line else ""
        what += f" ({err.context}{where})"
    return what


def _format_path(loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _clean_loc(loc) -> tuple:
    """Drop pydantic's union tags and validator names from an error location."""
    return tuple(p for p in loc if not (isinstance(p, str) and (p in _TAGS or "[" in p)))


def _problem(error: dict, lines: dict) -> Problem:
    ctx = error.get("ctx") or {}
    loc = _clean_loc(error["loc"])
    if "path" in ctx:  # cross-field checks carry their own path
        loc = _parse_path(ctx["path"])
    return Problem(_format_path(loc), _describe(error, loc), _line_of(loc, lines))


def _parse_path(text: str) -> tuple:
    loc: list = []
    for piece in text.replace("]", "").split("."):
        name, *indices = piece.split("[")
        loc.append(name)
        loc.extend(int(i) for i in indices)
    return tuple(loc)


def _line_of(loc: tuple, lines: dict) -> Optional[int]:
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
        hint = difflib.get_close_matches(str(loc[-1]), _known_fields(), n=1)
        return "unknown key" + (f" (did you mean '{hint[0]}'?)" if hint else "")
    if kind == "union_tag_invalid":
        what = "distribution" if ctx.get("discriminator") == "'dist'" else "arrival process"
        return f"unknown {what} {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return f"missing the key {ctx.get('discriminator')} that says which kind this is"
    if kind in ("warmup_too_long", "unknown_call_type", "unserved_call_type", "duplicate_name", "bool_not_number"):
        return msg
    if kind == "too_short":
        n = ctx.get("min_length")
        return f"expected at least {n} {'entry' if n == 1 else 'entries'}, found {_show(found)}"
    if kind in ("float_parsing", "float_type"):
        return f"expected a number, found {_show(found)}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"expected a whole number, found {_show(found)}"
    if kind == "bool_parsing":
        return f"expected true or false, found {_show(found)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping of fields (key: value), found {_show(found)}"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == _NAME_PATTERN:
        return f"expected a name of letters, digits, '_' or '-' that starts with a letter or '_', found {_show(found)}"
    if msg.startswith("String should have "):
        msg = "expected " + msg[len("String should have "):]
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        msg = "Input should be a number " + msg[len("Input should be "):]
    if msg.startswith("Value error, "):
        return msg[len("Value error, "):]
    if msg.startswith("Input should be "):
        msg = "expected " + msg[len("Input should be "):]
    return f"{msg}, found {_show(found)}"


def _show(value) -> str:
    if isinstance(value, (dict, list)) and not value:
        return f"an empty {'mapping' if isinstance(value, dict) else 'list'}"
    if isinstance(value, (dict, list)):
        return f"a {'mapping' if isinstance(value, dict) else 'list'}"
    return repr(value)


def _known_fields() -> list[str]:
    from . import distributions, schema

    names = set()
    for module in (schema, distributions):
        for obj in vars(module).values():
            fields = getattr(obj, "model_fields", None)
            if isinstance(fields, dict):
                names.update(fields)
    return sorted(names)


def scenario_to_dict(scenario: Scenario) -> dict:
    """Plain, self-contained data of a validated scenario (empirical CSV values inlined).

    ``validate_scenario(scenario_to_dict(s)) == s``: what experiments ship to workers and store.
    """
    return scenario.model_dump(mode="json", exclude_none=True)
