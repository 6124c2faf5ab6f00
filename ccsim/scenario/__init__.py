"""Scenario files: the pydantic schema, the YAML loader and its errors.

The names below are imported on first use (PEP 562), so ``ccsim.scenario.limits``
(constants the run budget and the CLI read) does not build the ~90 model classes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _lazy

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


__getattr__, __dir__ = _lazy.lazy_exports(__name__, _EXPORTS, globals())
