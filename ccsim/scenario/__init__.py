"""Scenario files: the pydantic schema, the YAML loader and its errors."""
from .distributions import DIST_NAMES, Distribution
from .loader import Problem, ScenarioError, load_scenario, parse_scenario, scenario_to_dict, validate_scenario
from .schema import AgentGroup, CallType, Scenario

__all__ = [
    "AgentGroup", "CallType", "DIST_NAMES", "Distribution", "Problem", "Scenario",
    "ScenarioError", "load_scenario", "parse_scenario", "scenario_to_dict", "validate_scenario",
]
