"""Staffing from required counts: ``roster_from_requirements`` makes the greedy roster of shifts
a group's ``staffing`` becomes (see ``ccsim.scenario.staffing`` for the rule)."""
from .scenario.staffing import roster_from_requirements

__all__ = ["roster_from_requirements"]
