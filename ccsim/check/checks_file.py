"""A checks file: the expectations of a center, kept beside its scenario.

    # checks.yaml
    expect:
      - service_level >= 0.80
      - abandon_rate <= 0.05
      - service_level[sales] >= 0.7 every interval 09:00-21:00

(a bare list of expectations works too). Every error names the file and line.

A scenario may keep the same list in its own ``checks:`` section
(``scenario_checks``); its errors name ``checks.expect[i]`` and, when the
scenario was read from a file, the file and line.
"""
from __future__ import annotations

from pathlib import Path

from ..scenario.problems import ScenarioError
from ..scenario.yaml_reader import decode, read_yaml
from .expressions import ExpectationError, parse_expectation


def read_checks(path) -> list:
    """The ``Expectation``s of a checks file, each knowing its file and line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ExpectationError(f"--checks {path}: cannot read the file: {err.strerror or err}") from None
    try:
        text = decode(data, str(path))
        document, lines = read_yaml(text, str(path))
    except ScenarioError as err:  # not UTF-8, malformed YAML: an invalid checks file, not scenario
        raise ScenarioError(err.source, err.problems, kind="checks file") from None
    items, prefix = document, ()
    if isinstance(document, dict):
        unknown = sorted(set(document) - {"expect"})
        if unknown:
            raise ExpectationError(f"{path}:{_key_line(text, unknown[0])}: unknown key {unknown[0]!r}; "
                                   "a checks file has one key, 'expect', holding a list of expectations")
        items, prefix = document.get("expect"), ("expect",)
    if not isinstance(items, list) or not items:
        raise ExpectationError(f"{path}: expected a list of expectations under 'expect:' (e.g. "
                               "'- service_level >= 0.8'), found " + ("nothing" if not items else type(items).__name__))
    out = []
    for i, item in enumerate(items):
        where = f"{path}:{lines.line_of((*prefix, i))}"
        if not isinstance(item, str):
            raise ExpectationError(f"{where}: expectation {i + 1} is not text; write it as one line, "
                                   "e.g. 'service_level >= 0.8' (quote it if it starts with a special character)")
        out.append(parse_expectation(item, where))
    return out


def scenario_checks(scenario, source=None, lines=None) -> list:
    """The ``Expectation``s of a scenario's ``checks.expect`` (none without the section).

    ``source`` and ``lines`` (the YAML reader's ``Lines``) place each one in its file:
    ``plan.yaml:12: checks.expect[2]``.
    """
    section = getattr(scenario, "checks", None)
    if section is None:
        return []
    out = []
    for i, text in enumerate(section.expect):
        path = f"checks.expect[{i}]"
        line = lines.line_of(("checks", "expect", i)) if lines is not None else None
        where = f"{source}:{line}: {path}" if source and line else f"{source}: {path}" if source else path
        out.append(parse_expectation(text, where))
    return out


def _key_line(text: str, key) -> int:
    """The line where a top-level ``key:`` is written (the reader keeps lines of values only)."""
    for number, line in enumerate(text.splitlines(), 1):
        if line.split(":", 1)[0].strip().strip("'\"") == str(key) and ":" in line:
            return number
    return 1


__all__ = ["read_checks", "scenario_checks"]
