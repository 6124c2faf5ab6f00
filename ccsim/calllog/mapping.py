"""The column mapping of a call log: which of the log's columns holds which of ccsim's fields.

A mapping is a small YAML file (the format: docs/guide/calibration.md); ``bank`` names the
shipped mapping of the Anonymous Bank log (``ccsim/calllog/mappings/bank.yaml``). Every
problem is a ``MappingError`` naming the mapping's field (``columns.queue_entry``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Optional

from ..errors import UserError
from ..scenario import limits as L

SHIPPED = Path(__file__).resolve().parent / "mappings"

# ccsim's fields a log column may hold; the times among them
TIME_FIELDS = ("arrival", "ivr_entry", "ivr_exit", "queue_entry", "queue_exit", "service_start", "service_end")
TEXT_FIELDS = ("call_id", "call_type", "priority", "agent", "outcome")
FIELDS = TIME_FIELDS + TEXT_FIELDS
OUTCOME_KINDS = ("served", "abandoned", "phantom")
SECONDS = "seconds"  # time_format of times written as seconds (from the date's midnight, or from 0)
_TOP = {"name", "separator", "date", "time_format", "missing_times", "columns", "arrival", "outcomes",
        "no_agent", "priority_levels"}


class MappingError(UserError):
    """A mapping that cannot be used: the message names the mapping file and field."""


@dataclass(frozen=True)
class Mapping:
    """A validated column mapping (see the module's docstring)."""

    source: str                       # the file it came from (for messages)
    columns: dict                     # ccsim field -> log column
    outcomes: dict                    # served/abandoned/phantom -> list of the log's values
    time_format: str = "%H:%M:%S"
    date_column: Optional[str] = None
    date_format: str = "%Y-%m-%d"
    separator: str = ","
    missing_times: tuple = ()
    arrival: str = "arrival"          # the time field that is the call's arrival
    no_agent: tuple = ()
    name: str = ""
    priority_levels: dict = field(default_factory=dict)  # the log's priority -> ccsim's level (0-9)

    def priority_level(self, value) -> int:
        """ccsim's level (0-9) of the log's priority ``value``: its ``priority_levels`` entry,
        else the value itself when it is a whole number from 0 to 9 (ASCII digits), else 0."""
        text = str(value)
        if text in self.priority_levels:
            return self.priority_levels[text]
        if text.isascii() and text.isdigit() and len(text.lstrip("0")) <= 1:
            return int(text)
        return 0

    def fail(self, where: str, message: str) -> MappingError:
        """A ``MappingError`` naming this mapping and ``where`` (a field path)."""
        return MappingError(f"mapping {self.source}: {where}: {message}")


def load_mapping(spec) -> Mapping:
    """The mapping in file ``spec``, or the shipped one of that name (``"bank"``)."""
    path = Path(spec)
    if not path.is_file() and spec and (SHIPPED / f"{spec}.yaml").exists():  # (a folder named bank: the shipped one)
        path = SHIPPED / f"{spec}.yaml"
    if not path.exists():
        shipped = ", ".join(sorted(p.stem for p in SHIPPED.glob("*.yaml")))
        raise MappingError(f"mapping {spec}: no such file, and no shipped mapping of that name ({shipped})")
    from ..scenario.yaml_reader import read_yaml

    if path.is_dir():
        raise MappingError(f"mapping {spec or path}: a folder, not a mapping file")
    if not path.is_file():  # (reading a FIFO would wait forever)
        raise MappingError(f"mapping {path}: not a regular file (a FIFO, a device or a socket)")
    try:
        data, _lines = read_yaml(path.read_text(encoding="utf-8"), str(path))
    except UserError as err:  # malformed YAML (a ScenarioError of the reader: its problems, not "invalid scenario")
        problems = getattr(err, "problems", None)
        text = "; ".join((f"line {p.line}: " if p.line else "") + f"{p.path}: {p.message}" for p in problems) \
            if problems else str(err)
        raise MappingError(f"mapping {path}: {text}") from None
    except UnicodeDecodeError as err:
        raise MappingError(f"mapping {path}: not a text file in UTF-8 (byte {err.start} cannot be read)") from None
    except OSError as err:
        raise MappingError(f"mapping {path}: cannot be read: {err.strerror or err}") from None
    return mapping_from_dict(data, source=str(path))


def mapping_from_dict(data, source: str = "<mapping>") -> Mapping:
    """Validate a mapping given as plain data (what its YAML file holds)."""
    def fail(where, message):
        return MappingError(f"mapping {source}: {where}: {message}")

    if not isinstance(data, dict):
        raise fail("(top)", f"expected a mapping of fields, found {type(data).__name__}")
    unknown = sorted(set(data) - _TOP)
    if unknown:
        raise fail(unknown[0], f"unknown field (expected one of {', '.join(sorted(_TOP))})")
    columns = _columns(data.get("columns"), fail)
    arrival = data.get("arrival", "arrival" if "arrival" in columns else None)
    if arrival is None:
        arrival = next((f for f in ("ivr_entry", "queue_entry", "service_start") if f in columns), None)
    if arrival not in TIME_FIELDS or arrival not in columns:
        raise fail("arrival", f"{arrival!r} is not a time field given in columns "
                              f"(one of {', '.join(f for f in TIME_FIELDS if f in columns) or 'none'})")
    if "outcome" not in columns:
        raise fail("columns.outcome", "required: the column saying whether a call was served or abandoned")
    outcomes = _outcomes(data.get("outcomes"), fail)
    date = data.get("date")
    if date is not None and (not isinstance(date, dict) or set(date) - {"column", "format"}
                             or not isinstance(date.get("column"), str) or not date["column"]):
        raise fail("date", "expected {column: NAME, format: STRFTIME} (format default %Y-%m-%d)")
    time_format = data.get("time_format", "%H:%M:%S")
    _check_format(time_format, "time_format", fail, allow_seconds=True)
    if date is not None:
        _check_format(date.get("format", "%Y-%m-%d"), "date.format", fail)
    elif time_format != SECONDS and not _has_day(time_format):
        raise fail("time_format", f"{time_format[:80]!r} has no date (no %d, %j, %x or %c) and the mapping has no "
                                  "date column: every call would fall on one day. Give the log's date column "
                                  "(date: {column: NAME, format: ...}), a time_format with the date "
                                  "('%Y-%m-%d %H:%M:%S'), or 'seconds'")
    separator = data.get("separator", ",")
    if not isinstance(separator, str) or len(separator) != 1 or separator in '"\r\n':
        raise fail("separator", f"expected one character (not a quote or a line break), found {separator!r}")
    name = data.get("name", "")
    if isinstance(name, str) and len(name) > L.MAX_LABEL:  # (it names the fitted scenario: not a page of text)
        raise fail("name", f"at most {L.MAX_LABEL} characters, found {len(name):,}")
    if not isinstance(name, str):
        raise fail("name", f"expected text, found {name!r}")
    return Mapping(source=source, columns=columns, outcomes=outcomes, time_format=time_format,
                   date_column=None if date is None else str(date["column"]),
                   date_format=(date or {}).get("format", "%Y-%m-%d"), separator=separator,
                   missing_times=tuple(str(v) for v in _list(data.get("missing_times", []), "missing_times", fail)),
                   arrival=arrival, no_agent=tuple(str(v) for v in _list(data.get("no_agent", []), "no_agent", fail)),
                   name=name, priority_levels=_levels(data.get("priority_levels", {}), fail))


def _levels(levels, fail) -> dict:
    """The log's priority values -> ccsim priority levels 0..9 (higher goes first)."""
    if not isinstance(levels, dict):
        raise fail("priority_levels", f"expected a mapping of the log's values to levels 0-9, found {levels!r}")
    for key, value in levels.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 9:
            raise fail(f"priority_levels.{key}", f"expected a level from 0 to 9, found {value!r}")
    return {str(k): v for k, v in levels.items()}


def _columns(columns, fail) -> dict:
    if not isinstance(columns, dict) or not columns:
        raise fail("columns", "required: a mapping of ccsim fields to the log's column names")
    for key, value in columns.items():
        if key not in FIELDS:
            raise fail(f"columns.{key}", f"unknown field (expected one of {', '.join(FIELDS)})")
        if not isinstance(value, str) or not value:
            raise fail(f"columns.{key}", f"expected a column name, found {value!r}")
    return dict(columns)


def _outcomes(outcomes, fail) -> dict:
    if not isinstance(outcomes, dict):
        raise fail("outcomes", "required: {served: [...], abandoned: [...], phantom: [...]} (the log's values)")
    for key in outcomes:
        if key not in OUTCOME_KINDS:
            raise fail(f"outcomes.{key}", f"unknown outcome (expected one of {', '.join(OUTCOME_KINDS)})")
    for key in ("served", "abandoned"):
        if key not in outcomes:
            raise fail(f"outcomes.{key}", "required: the log's values meaning this outcome")
    result = {k: [str(v) for v in _list(outcomes.get(k, []), f"outcomes.{k}", fail)] for k in OUTCOME_KINDS}
    if not result["served"]:  # (every row would be excluded as an unknown outcome, or none served)
        raise fail("outcomes.served", "list at least one of the log's values meaning a served call")
    seen = {}
    for kind, values in result.items():
        for value in values:
            if value in seen:
                raise fail(f"outcomes.{kind}", f"{value!r} is also listed under outcomes.{seen[value]}")
            seen[value] = kind
    return result


def _list(value, where, fail) -> list:
    """The log's values: one value or a list of them, each text or a number as written."""
    values = [value] if isinstance(value, (str, int, float)) else value
    if not isinstance(values, list):
        raise fail(where, f"expected a list of values, found {value!r}")
    for j, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise fail(f"{where}[{j}]", f"expected a value of the log (text or a number), found {v!r}")
    return values


def format_directives(fmt: str) -> set:
    """The letters of a strftime format's directives (``%%`` is a literal percent sign)."""
    return {d for d in re.findall(r"%(.)", fmt) if d != "%"}


def _has_day(fmt: str) -> bool:
    """Whether a strftime format says the day (not only the time, the month or the year)."""
    have = format_directives(fmt)
    weekday = bool(have & {"a", "A", "w", "u"})
    return bool(have & {"d", "j", "x", "c"}) or (weekday and bool(have & {"U", "W", "V"}))


def _check_format(fmt, where, fail, allow_seconds=False):
    if allow_seconds and fmt == SECONDS:
        return
    if not isinstance(fmt, str) or "%" not in fmt:
        hint = " or 'seconds'" if allow_seconds else ""
        raise fail(where, f"expected a strftime format such as '%H:%M:%S'{hint}, found {fmt!r}")
    try:  # a format Python cannot read would fail deep in pandas
        datetime.strptime("", fmt)
    except ValueError as err:
        if "does not match format" not in str(err):
            raise fail(where, f"{fmt[:80]!r} is not a strftime format: {err}") from None
    except re.error:
        raise fail(where, f"{fmt[:80]!r} is not a strftime format: a directive is given twice") from None


__all__ = ["FIELDS", "Mapping", "MappingError", "SECONDS", "TIME_FIELDS", "format_directives", "load_mapping",
           "mapping_from_dict"]
