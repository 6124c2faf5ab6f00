"""Fuzzing past the validation funnel: every mutated shipped scenario that validates
also runs under a small budget, or is refused by the budget with a message saying
how to proceed (``ccsim.budget.BudgetError``, exit 2 from the CLI) — never another
exception, a hang or a memory blow-up. ``soak_validate.py --run`` does the same by
the thousand; the deadline catches hangs, not slowness."""
from hypothesis import HealthCheck, given, settings, strategies as st

from fuzz_mutations import SHIPPED, check_run, mutate_data

# derandomized: the same examples on every machine, so CI never meets a new one by chance
# (the soak in .ci/run explores fresh seeds)
FUZZ = settings(max_examples=120, deadline=10_000, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.randoms(use_true_random=False))
def test_mutated_scenario_runs_or_is_refused(rnd):
    check_run(mutate_data(rnd))


def _with(data, **top):
    return {**data, **top}


def test_extreme_valid_values_run_or_are_refused_by_the_budget():
    base = SHIPPED[0]
    outcomes = set()
    for horizon in (1.0, 1e6, 1e9):
        for interval in (1.0, 900.0, 1e9):
            data = _with(base, horizon=horizon, interval=min(interval, horizon), warmup=0.0)
            outcomes.add(check_run(data))
    assert "refused" in outcomes and "ran" in outcomes
