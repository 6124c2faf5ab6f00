"""A pytest plugin (entry point ``pytest11``): a center's own tests can check its scenario.

    def test_plan(ccsim_check):
        ccsim_check("plan.yaml").expect("service_level >= 0.8", "abandon_rate <= 0.05")

``expect()`` with no expectations decides the scenario's own ``checks:``
section (with its alpha / min_reps / max_reps unless given). The expectations
of one ``expect`` call are decided together (the chance that
any of their verdicts is wrong is at most ``alpha``). A failed expectation fails
the test with the estimates and intervals; an undecided one fails it too
(``undecided="skip"`` skips instead), since a CI gate must not pass on no evidence.
"""
from __future__ import annotations

from pathlib import Path

import pytest


class ScenarioCheck:
    """Expectations on one scenario (and optionally a baseline), decided by ``ccsim.check.check``."""

    def __init__(self, scenario, baseline=None, undecided: str = "fail", **options):
        if undecided not in ("fail", "skip"):
            raise ValueError(f"undecided must be 'fail' or 'skip', got {undecided!r}")
        self.scenario, self.baseline, self.undecided, self.options = scenario, baseline, undecided, options
        self.reports = []

    def expect(self, *expectations: str) -> "ScenarioCheck":
        """Decide ``expectations`` together (none: the scenario's ``checks:`` section); fail (or skip)
        the test unless all pass. Chainable."""
        from . import FAIL, UNDECIDED, check
        from .reports import explanation

        options = {"scenario_checks": not expectations, **self.options}
        report = check(self.scenario, expectations, baseline=self.baseline, **options)
        self.reports.append(report)
        lines = [f"{o.verdict}: {o.expectation.text}: {explanation(o)}" for o in report.outcomes
                 if o.verdict != "pass"]
        if report.verdict == FAIL or (report.verdict == UNDECIDED and self.undecided == "fail"):
            pytest.fail(f"ccsim check of {self.scenario}:\n" + "\n".join(lines), pytrace=False)
        if report.verdict == UNDECIDED:
            pytest.skip(f"ccsim check of {self.scenario} undecided:\n" + "\n".join(lines))
        return self


@pytest.fixture
def ccsim_check(request):
    """``ccsim_check(scenario, baseline=None, seed=1, alpha=0.05, max_reps=80, undecided="fail")``.

    Relative paths are looked up beside the test file first, then from the working folder.
    """
    here = Path(str(request.node.fspath)).parent

    def make(scenario, baseline=None, **options) -> ScenarioCheck:
        return ScenarioCheck(_near(here, scenario), _near(here, baseline) if baseline is not None else None,
                             **options)

    return make


def _near(folder: Path, path):
    if isinstance(path, (str, Path)) and not Path(path).is_absolute() and (folder / path).exists():
        return folder / path
    return path
