"""The sequential procedure's error rate and power, on replications whose truth is known.

Thousands of checks run through ``ccsim.check.sequential.decide`` on synthetic
replication values (normal, binomial) whose mean is known; the count of wrong
verdicts must not exceed the stated level ``alpha`` by more than a one-sided
binomial test at 0.001 allows. A naive procedure (an uncorrected interval at
each look) is caught by the same test, so the test can fail.
"""
import numpy as np
import pytest
from scipy import stats

from ccsim.check.sequential import FAIL, PASS, UNDECIDED, decide, looks, tail_probability

ALPHA = 0.05
CHECKS = 3000


def too_many(wrong: int, checks: int, alpha: float) -> bool:
    """True when ``wrong`` verdicts in ``checks`` show a rate above ``alpha`` (one-sided binomial test, 0.001)."""
    return stats.binom.sf(wrong - 1, checks, alpha) < 0.001


def run_checks(sample, targets, rng, checks=CHECKS, alpha=ALPHA, min_reps=5, max_reps=80):
    """The decisions of ``checks`` independent checks; ``sample(rng, k, m)`` gives k replications of m values."""
    out = []
    for _ in range(checks):
        out.append(decide(targets, lambda k: sample(rng, k, len(targets)), alpha, min_reps, max_reps))
    return out


def normal(mean, sd):
    return lambda rng, k, m: rng.normal(mean, sd, size=(k, m))


def test_schedule_doubles_up_to_the_budget():
    assert looks(5, 80) == [5, 10, 20, 40, 80]
    assert looks(5, 30) == [5, 10, 20, 30]
    assert looks(4, 4) == [4]
    assert tail_probability(0.05, 5, 2) == pytest.approx(0.005)
    with pytest.raises(ValueError):
        looks(1, 10)


def test_truth_on_the_target_gives_few_wrong_verdicts():
    # The hardest case: the mean is exactly the target, so every interval straddles it
    # as often as chance allows and only "fail" is wrong for '>=' (only "fail" for '<=').
    rng = np.random.default_rng(1)
    for op in (">=", "<="):
        decisions = run_checks(normal(0.8, 0.02), [(op, 0.8)], rng)
        wrong = sum(d[0].verdict == FAIL for d in decisions)
        assert not too_many(wrong, CHECKS, ALPHA), (op, wrong)


def test_family_of_targets_keeps_the_family_error():
    # Three targets per check, all on the boundary: a check is wrong if any verdict is.
    rng = np.random.default_rng(2)
    targets = [(">=", 0.0), ("<=", 0.0), (">=", 0.0)]
    decisions = run_checks(normal(0.0, 1.0), targets, rng)
    wrong = sum(any(x.verdict == FAIL for x in d) for d in decisions)
    assert not too_many(wrong, CHECKS, ALPHA), wrong


def test_binomial_replications_small_samples():
    # Service level from 60 calls a replication: skewed, discrete values.
    rng = np.random.default_rng(3)
    sample = lambda rng, k, m: rng.binomial(60, 0.85, size=(k, m)) / 60  # noqa: E731
    decisions = run_checks(sample, [(">=", 0.85)], rng)
    wrong = sum(d[0].verdict == FAIL for d in decisions)
    assert not too_many(wrong, CHECKS, ALPHA), wrong


def test_naive_looks_are_caught_by_the_same_test():
    # Without the correction (each look at the full alpha) the error rate is well above
    # alpha: the test above would fail for such a procedure.
    rng = np.random.default_rng(4)
    n_looks = len(looks(5, 80))
    decisions = run_checks(normal(0.8, 0.02), [(">=", 0.8)], rng, alpha=ALPHA * n_looks)
    wrong = sum(d[0].verdict == FAIL for d in decisions)
    assert too_many(wrong, CHECKS, ALPHA), wrong


@pytest.mark.parametrize("shift, expected, least", [(+1.0, PASS, 0.99), (-1.0, FAIL, 0.99),
                                                    (+0.5, PASS, 0.9), (-0.5, FAIL, 0.9)])
def test_power_when_the_truth_is_far_from_the_target(shift, expected, least):
    # One replication standard deviation from the target is decided right in nearly every
    # check within the default budget (80 replications); half of one in most (about 98 %).
    rng = np.random.default_rng(5)
    decisions = run_checks(normal(0.8 + shift * 0.02, 0.02), [(">=", 0.8)], rng, checks=1000)
    right = sum(d[0].verdict == expected for d in decisions)
    assert right >= least * 1000, right


def test_decided_early_when_far_and_stops_drawing():
    drawn = []

    def draw(k):
        drawn.append(k)
        return np.random.default_rng(len(drawn)).normal(10.0, 0.1, size=(k, 1))

    (decision,) = decide([(">=", 5.0)], draw, 0.05, 5, 80)
    assert decision.verdict == PASS and decision.reps == 5
    assert drawn == [5]


def test_undecided_when_the_budget_runs_out():
    # Values -1, +1, -1, ... around a target of 0: the interval always straddles it.
    draw = lambda k: np.resize([-1.0, 1.0], k).reshape(k, 1)  # noqa: E731
    (decision,) = decide([(">=", 0.0)], draw, 0.05, 4, 10)
    assert decision.verdict == UNDECIDED and decision.reps == 10
    assert decision.low < 0.0 < decision.high


def test_non_finite_values_are_left_out():
    # A rate with no calls in a replication (nan) is not a value; two finite values are needed.
    values = iter([np.array([[np.nan]] * 5), np.array([[np.nan]] * 5)])
    (decision,) = decide([(">=", 0.5)], lambda k: next(values), 0.05, 5, 10)
    assert decision.verdict == UNDECIDED and decision.reps == 0


def test_equal_values_get_the_interval_of_their_range():
    """Every replication 0: the t interval was [0, 0] and passed '<= 0' at the first look. Now, for
    a target with a range [lo, hi] one replication's value lies in, n equal values v get
    [v - (v - lo) q, v + (hi - v) q], q = 1 - tail^(1/n); without a bound on a side, that side
    is infinite. Without a range (a comparison's differences) equal values are exact."""
    zeros = lambda k: np.zeros((k, 1))  # noqa: E731
    (decision,) = decide([("<=", 0.0, -np.inf, np.inf)], zeros, 0.05, 5, 80)  # no bound: nothing to say
    assert decision.verdict == UNDECIDED and decision.reps == 80
    assert (decision.low, decision.high) == (-np.inf, np.inf)
    (decision,) = decide([("<=", 0.0)], zeros, 0.05, 5, 80)  # no range given (a comparison): exact
    assert decision.verdict == PASS and decision.low == decision.high == 0.0 and decision.reps == 5
    (decision,) = decide([("<=", 0.0, 0.0, np.inf)], zeros, 0.05, 5, 80)  # a count: never above
    assert decision.verdict == UNDECIDED and (decision.low, decision.high) == (0.0, np.inf)
    (decision,) = decide([("<", 0.0, 0.0, np.inf)], zeros, 0.05, 5, 80)  # ... and never below 0
    assert decision.verdict == FAIL and decision.reps == 5
    # a fraction, 0 in every replication: '<= 0.5' passes once (1 - q)^n <= tail, at the second look
    tail = tail_probability(0.05, len(looks(5, 80)), 1)
    (decision,) = decide([("<=", 0.5, 0.0, 1.0)], zeros, 0.05, 5, 80)
    assert decision.verdict == PASS and decision.reps == 10
    assert decision.high == pytest.approx(1 - tail ** (1 / 10)) and decision.low == 0.0
    assert 1 - tail ** (1 / 5) > 0.5  # not at the first
    ones = lambda k: np.ones((k, 1))  # noqa: E731
    (decision,) = decide([(">=", 0.9, 0.0, 1.0)], ones, 0.05, 5, 80)  # a service level of 1 every time
    assert decision.verdict == PASS and decision.low == pytest.approx(tail ** (1 / decision.reps))


def test_a_rare_event_zero_in_most_replications_is_not_passed_wrongly():
    """Replications of an abandonment rate of 2.5e-4 (a few hundred calls each): 0 in about 89 %
    of them, else a few 1e-3. '<= 1e-4' is false; the t interval of five zeros passed it in
    about half the checks. With the range of a fraction it must stay within alpha."""
    rng = np.random.default_rng(3)

    def draw(k):
        hit = rng.random(k) < 0.11
        return np.where(hit, rng.choice([0.002, 0.0025, 0.003, 0.005], size=k), 0.0).reshape(k, 1)

    wrong = sum(decide([("<=", 1e-4, 0.0, 1.0)], draw, 0.05, 5, 80)[0].verdict == PASS for _ in range(400))
    assert wrong <= 4  # at most 1 % seen; binomial(400, 0.05) would be about 20


def test_each_look_is_the_student_t_interval_of_the_union_bound():
    """A look's interval: mean ± t(1 - alpha / (K m), n - 1) · sd / √n of the finite values
    (scipy's quantile here; the procedure uses ccsim.student_t's, as every summary does)."""
    rng = np.random.default_rng(7)
    values = rng.normal(10.0, 3.0, size=(40, 2))
    values[3, 1] = np.nan  # left out
    rows = iter([values[:5], values[5:10], values[10:20], values[20:40]])
    decisions = decide([(">=", -1e9), ("<=", 1e9)], lambda k: next(rows), 0.05, 5, 40)
    tail = tail_probability(0.05, len(looks(5, 40)), 2)
    for j, decision in enumerate(decisions):
        v = values[:5, j]  # both decided at the first look
        v = v[np.isfinite(v)]
        half = stats.t.ppf(1 - tail, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
        assert decision.reps == len(v) and decision.level == pytest.approx(1 - 2 * tail)
        assert (decision.low, decision.high) == pytest.approx((v.mean() - half, v.mean() + half), rel=1e-12)
