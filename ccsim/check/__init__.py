"""``ccsim check``: statistically honest verdicts on KPI targets, for CI.

``check(scenario, ["service_level >= 0.8"])`` adds replications until each
expectation is decided (pass / fail) at the stated error level, or the budget
runs out (undecided). See ``sequential`` for the guarantee.
"""
from .expressions import Expectation, ExpectationError, parse_expectation
from .runner import CheckReport, Outcome, check
from .sequential import FAIL, PASS, UNDECIDED

__all__ = ["CheckReport", "Expectation", "ExpectationError", "FAIL", "Outcome", "PASS", "UNDECIDED", "check",
           "parse_expectation"]
