"""The core against the exact Erlang B, C and A results (statistical, family-wise).

Every interval has level 1 - 0.01/m (Bonferroni over all m comparisons), so the
whole family holds at 99 %. Seeds are fixed once for the grid (never chosen per
case), which keeps the suite deterministic.
"""
import numpy as np
import pytest

from ccsim.validation import ERLANG_GRID, ErlangCase, check_case, comparisons

REPS = 20
ALPHA = 0.01
LEVEL = 1.0 - ALPHA / comparisons()
SEEDS = dict(zip((c.name for c in ERLANG_GRID), np.random.SeedSequence(20261128).spawn(len(ERLANG_GRID))))


def test_grid_covers_what_the_theory_offers():
    kinds = {c.kind for c in ERLANG_GRID}
    assert kinds == {"A", "B", "C"}
    assert len(ERLANG_GRID) >= 15
    assert any(c.agents <= 5 for c in ERLANG_GRID)
    assert any(c.agents >= 500 for c in ERLANG_GRID)
    assert any(c.load / c.agents >= 0.97 for c in ERLANG_GRID)
    patience = [c.patience for c in ERLANG_GRID if c.kind == "A"]
    assert min(patience) <= 30 and max(patience) >= 1800


@pytest.mark.parametrize("case", ERLANG_GRID, ids=lambda c: c.name)
def test_core_matches_exact_erlang(case):
    checks = check_case(case, REPS, SEEDS[case.name], LEVEL)
    for c in checks:
        assert c.narrow, f"{case.name} {c.kpi}: interval too wide to mean anything (±{c.halfwidth:.4g})"
    failures = [
        f"{c.kpi}: exact {c.exact:.6g} outside {c.mean:.6g} ± {c.halfwidth:.3g}" for c in checks if not c.inside
    ]
    assert not failures, f"{case.name}: " + "; ".join(failures)


def test_the_check_has_power_against_a_wrong_model():
    """One agent too few in the formula must be detected: the test can fail."""
    case = ErlangCase("A-190", "A", agents=190, load=180.0, patience=300, arrivals=1_000_000)
    wrong = ErlangCase("A-189", "A", agents=189, load=180.0, patience=300)
    checks = check_case(case, 10, np.random.SeedSequence(7), LEVEL)
    exact_wrong = wrong.exact()
    rejected = [c.kpi for c in checks if abs(c.mean - exact_wrong[c.kpi]) > c.halfwidth]
    assert "occupancy" in rejected and "abandon_rate" in rejected
