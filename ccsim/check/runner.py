"""``check``: run a scenario (and a baseline) until every expectation is decided.

Replication r uses child r of ``SeedSequence(seed)`` for the scenario and, with
a baseline, for the baseline too: common random numbers, so a comparison is a
paired one (the two versions of the center see the same callers).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from ..scenario import limits as L
from .checks_file import scenario_checks as scenario_checks_of
from .expressions import Expectation, ExpectationError, parse_expectation
from .measures import Measure
from .sequential import FAIL, PASS, UNDECIDED, Decision, decide, looks

DEFAULT_ALPHA, DEFAULT_MIN_REPS, DEFAULT_MAX_REPS = L.CHECK_ALPHA, L.CHECK_MIN_REPS, L.CHECK_MAX_REPS


@dataclass(frozen=True)
class Outcome:
    """The verdict on one expectation. For a window: the worst interval's figures, and every interval's."""

    expectation: Expectation
    verdict: str
    mean: float
    low: float
    high: float
    reps: int
    level: float
    label: str  # what the figures are of (the KPI, or the worst interval)
    parts: tuple = ()  # (label, Decision) of every interval of a window


@dataclass
class CheckReport:
    """Every expectation's outcome, and how they were reached."""

    scenario: str
    outcomes: list
    alpha: float
    seed: int
    looks: list  # the replication counts looked at (the schedule)
    reps: int  # replications run
    baseline: Optional[str] = None
    engine: str = "core"
    extra: dict = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """fail if any fails; else undecided if any is; else pass."""
        verdicts = {o.verdict for o in self.outcomes}
        return FAIL if FAIL in verdicts else UNDECIDED if UNDECIDED in verdicts else PASS

    def counts(self) -> dict:
        return {v: sum(o.verdict == v for o in self.outcomes) for v in (PASS, FAIL, UNDECIDED)}


def check(scenario, expectations=(), baseline=None, seed: int = 1, alpha=None, min_reps=None, max_reps=None,
          engine: str = "core", progress=None, scenario_checks: bool = True, max_calls=None,
          max_memory=None) -> CheckReport:
    """Decide ``expectations`` (``Expectation``s or their text) on ``scenario`` at level ``alpha``.

    ``scenario`` and ``baseline`` are paths, dicts or ``Scenario``s; 'no worse
    than' expectations compare ``scenario`` with ``baseline``, replication by
    replication with the same seeds. With ``scenario_checks`` the scenario's own
    ``checks.expect`` come first, then ``expectations``; ``alpha``, ``min_reps`` and
    ``max_reps`` left None are the section's, or the defaults (0.05, 5, 80). The
    baseline's section is ignored. ``progress(done, planned)`` is called after
    each replication. ``max_calls``, ``max_memory``: each replication's run budget
    (``ccsim.simulate``'s). The probability that any verdict is wrong is at most ``alpha``.
    """
    from ..api import as_scenario, replication_seeds, simulate
    from ..compile import compile_scenario

    new, source, lines = _scenario_and_lines(scenario)
    given = [e if isinstance(e, Expectation) else parse_expectation(e) for e in expectations]
    expectations = (scenario_checks_of(new, source, lines) if scenario_checks else []) + given
    if not expectations:
        raise ExpectationError("nothing to check: give at least one expectation (--expect or --checks), or "
                               "list them in the scenario's checks: section (checks: {expect: [...]})")
    alpha, min_reps, max_reps = _options(new, alpha, min_reps, max_reps)
    schedule = _schedule(min_reps, max_reps, alpha)
    old = as_scenario(baseline) if baseline is not None else None
    comparisons = [e for e in expectations if e.comparison]
    if comparisons and old is None:
        raise ExpectationError(f"{comparisons[0].where}: the expectation {comparisons[0].text!r} compares with "
                               "a baseline, but none was given (--baseline OLD.yaml)")
    new_model = compile_scenario(new)
    old_model = compile_scenario(old) if comparisons else None
    measures = []
    for e in expectations:
        measure = Measure(e, new_model, "the scenario", new)
        if e.comparison:
            Measure(e, old_model, "the baseline", old)  # the same call type / team must exist there
        measures.append(measure)
    targets = [(m.expectation.op, m.expectation.target, *(m.bounds or ())) for m in measures for _ in range(m.size)]
    seeds = replication_seeds(seed, schedule[-1])
    done = []

    def draw(k: int) -> np.ndarray:
        rows = []
        for _ in range(k):
            child = seeds[len(done)]
            result = simulate(new, seed=child, engine=engine, max_calls=max_calls, max_memory=max_memory)
            before = (simulate(old, seed=child, engine=engine, max_calls=max_calls, max_memory=max_memory)
                      if comparisons else None)
            rows.append(np.concatenate([
                m.values(result) - m.values(before) if m.expectation.comparison else m.values(result)
                for m in measures]))
            done.append(child)
            if progress is not None:
                progress(len(done), schedule[-1])
        return np.array(rows).reshape(k, len(targets))

    decisions = decide(targets, draw, alpha, schedule[0], schedule[-1])
    outcomes, start = [], 0
    for m in measures:
        parts = tuple(zip(m.labels, decisions[start:start + m.size]))
        start += m.size
        outcomes.append(_outcome(m.expectation, parts))
    return CheckReport(scenario=new.name, outcomes=outcomes, alpha=alpha, seed=seed, looks=schedule,
                       reps=len(done), baseline=old.name if old is not None else None, engine=engine)


def _scenario_and_lines(scenario) -> tuple:
    """(Scenario, file name or None, Lines or None): a file keeps its lines, for messages."""
    from ..api import as_scenario
    from ..scenario.loader import load_scenario_with_lines

    if isinstance(scenario, (str, Path)):
        new, lines = load_scenario_with_lines(scenario)
        return new, str(scenario), lines
    return as_scenario(scenario), None, None


def _options(scenario, alpha, min_reps, max_reps) -> tuple:
    """alpha, min_reps, max_reps: as given, else the scenario's checks section, else the defaults."""
    section = scenario.checks

    def pick(given, name, default):
        if given is not None:
            return given
        value = getattr(section, name) if section is not None else None
        return value if value is not None else default

    return (pick(alpha, "alpha", DEFAULT_ALPHA), pick(min_reps, "min_reps", DEFAULT_MIN_REPS),
            pick(max_reps, "max_reps", DEFAULT_MAX_REPS))


def _schedule(min_reps, max_reps, alpha) -> list:
    if not L.MIN_CHECK_ALPHA <= alpha < 0.5:
        raise ExpectationError(f"--alpha must be from {L.MIN_CHECK_ALPHA:g} to below 0.5 (e.g. 0.05), got {alpha:g}")
    try:
        return looks(int(min_reps), int(max_reps))
    except ValueError as err:
        raise ExpectationError(f"--min-reps / --max-reps: {err}") from None


def _outcome(e: Expectation, parts: tuple) -> Outcome:
    """One outcome from its parts: fail if any fails, pass if all pass; figures of the worst part.
    A window's intervals with no value in any replication (nobody called: no service level) are
    left out of its verdict and kept in ``parts``; a window with none else is undecided."""
    judged = tuple((label, d) for label, d in parts if d.reps > 0) if e.window is not None else parts
    verdicts = [d.verdict for _, d in judged] or [UNDECIDED]
    verdict = FAIL if FAIL in verdicts else UNDECIDED if UNDECIDED in verdicts else PASS
    candidates = [(label, d) for label, d in (judged or parts) if d.verdict == verdict]
    label, d = min(candidates, key=lambda item: _slack(e, item[1]))
    return Outcome(e, verdict, d.mean, d.low, d.high, d.reps, d.level, label,
                   parts if e.window is not None else ())


def _slack(e: Expectation, d: Decision) -> float:
    """How far the estimate is on the promised side of the target (smallest = worst)."""
    if not np.isfinite(d.mean):
        return -np.inf
    return d.mean - e.target if e.higher_passes else e.target - d.mean


__all__ = ["CheckReport", "DEFAULT_ALPHA", "DEFAULT_MAX_REPS", "DEFAULT_MIN_REPS", "Outcome", "check"]
