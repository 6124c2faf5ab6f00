"""Scenario files: the pydantic schema, the YAML loader and its errors.

The names below are imported on first use (PEP 562), so ``ccsim.scenario.limits``
(constants the run budget and the CLI read) does not build the ~90 model classes.
"""
from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import TYPE_CHECKING

# public name -> the submodule that defines it
_EXPORTS = {
    "DIST_NAMES": "distributions", "Distribution": "distributions",
    "json_schema": "editor_schema",
    "Problem": "loader", "ScenarioError": "loader", "load_scenario": "loader", "parse_scenario": "loader",
    "scenario_to_dict": "loader", "validate_scenario": "loader",
    "AgentGroup": "schema", "CallType": "schema", "Scenario": "schema",
}

__all__ = [
    "AgentGroup", "CallType", "DIST_NAMES", "Distribution", "Problem", "Scenario",
    "ScenarioError", "json_schema", "load_scenario", "parse_scenario", "scenario_to_dict", "validate_scenario",
]

if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from .distributions import DIST_NAMES, Distribution
    from .editor_schema import json_schema
    from .loader import Problem, ScenarioError, load_scenario, parse_scenario, scenario_to_dict, validate_scenario
    from .schema import AgentGroup, CallType, Scenario


def __getattr__(name: str):
    """Import a public name on first use and keep it in the package (later uses are plain lookups)."""
    module = _EXPORTS.get(name)
    if module is None:
        return _submodule(name)
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def _submodule(name: str):
    """``ccsim.scenario.schema`` and the like without importing them first, as when this __init__ imported them all."""
    if name.startswith("__") or find_spec(f"{__name__}.{name}") is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return import_module(f".{name}", __name__)


def __dir__():
    return sorted({*globals(), *_EXPORTS})
