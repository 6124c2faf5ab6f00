"""Scenario files: the pydantic schema, the YAML loader and its errors."""
from .distributions import DIST_NAMES, Distribution
from .editor_schema import json_schema
from .loader import Problem, ScenarioError, load_scenario, parse_scenario, scenario_to_dict, validate_scenario
from .schema import AgentGroup, CallType, Scenario

__all__ = [
    "AgentGroup", "CallType", "DIST_NAMES", "Distribution", "Problem", "Scenario",
    "ScenarioError", "json_schema", "load_scenario", "parse_scenario", "scenario_to_dict", "validate_scenario",
]
