"""The sequential procedure: add replications until every target is decided.

Replications are looked at only at a fixed schedule of counts (``looks``:
``min_reps``, doubling, up to ``max_reps``), K looks in all. At each look every
undecided target gets a Student-t interval whose two tails each have
probability ``alpha / (K * m)`` (m targets, each interval of a per-interval
expectation counted apart). A target is decided when its interval lies
entirely on one side of it: pass on the promised side, fail on the other.

Why the error is bounded: a wrong verdict needs the interval to miss the true
mean on one particular side at some look. By the union bound over K looks and m
targets that has probability at most K * m * alpha / (K * m) = alpha, however
the looks depend on each other and however early the procedure stops. So the
probability that *any* verdict of a check is wrong is at most ``alpha``. (The
t interval is exact for normal replication values and close to it for means
over many calls, which replication KPIs are.)

Except when every replication gives the same value: a rare event (an
abandonment rate of 0.02 % in runs of a few hundred calls) is 0 in most
replications, the sample's spread is 0 and the t interval [0, 0] passed
``abandon_rate <= 0.0001`` at the first look, about half the time. A sample of
n equal values v gets an interval that needs no shape, only the range [lo, hi]
a replication's value can take (``targets``' bounds; [0, 1] for a fraction):
if the mean were above v + (hi - v) * q, a replication would exceed v with
probability above q, and n replications none with probability below (1 - q)^n;
q = 1 - tail^(1/n) makes that the tail. So [v - (v - lo) q, v + (hi - v) q]
misses the mean on a side with probability at most the tail, as the t interval
does; with no bound on a side (a time, a count) that side is infinite and the
target stays undecided that way until replications differ. A target given
without a range (a comparison's paired differences) takes equal values as
exact: a zero-width interval.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..results import mean_halfwidth

PASS, FAIL, UNDECIDED = "pass", "fail", "undecided"


@dataclass(frozen=True)
class Decision:
    """The verdict on one target, with the interval that decided it (or the last one)."""

    verdict: str
    mean: float
    low: float
    high: float
    reps: int  # replications behind the interval
    level: float  # confidence level of the interval (1 - 2 * alpha / (K * m))


def looks(min_reps: int, max_reps: int) -> list[int]:
    """The replication counts at which the procedure looks: min_reps, doubling, ..., max_reps."""
    if min_reps < 2:
        raise ValueError(f"min_reps must be at least 2, got {min_reps}")
    if max_reps < min_reps:
        raise ValueError(f"max_reps ({max_reps}) must be at least min_reps ({min_reps})")
    counts = [min_reps]
    while counts[-1] < max_reps:
        counts.append(min(2 * counts[-1], max_reps))
    return counts


def tail_probability(alpha: float, n_looks: int, n_targets: int) -> float:
    """The probability each tail of each interval is allowed (the union bound's share)."""
    return alpha / (n_looks * n_targets)


def decide(targets: Sequence[tuple], draw: Callable[[int], np.ndarray], alpha: float = 0.05,
           min_reps: int = 5, max_reps: int = 80) -> list[Decision]:
    """Decide every ``(op, target)`` or ``(op, target, lo, hi)`` of ``targets`` from replications
    ``draw`` provides; ``lo`` and ``hi`` bound one replication's value (without them, equal values
    are taken as exact).

    ``draw(k)`` returns the values of the next ``k`` replications, shape
    ``(k, len(targets))`` (non-finite values, e.g. a rate with no calls, are left out).
    Drawing stops at the first look where every target is decided (a target with no value in
    any replication drawn stays undecided, with ``reps`` 0: a rare call type's may get values
    later, so it does not stop the drawing).
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    schedule = looks(min_reps, max_reps)
    m = len(targets)
    tail = tail_probability(alpha, len(schedule), m)
    level = 1 - 2 * tail
    rows = np.empty((0, m))
    decisions: list = [None] * m
    for count in schedule:
        fresh = np.asarray(draw(count - len(rows)), dtype=float).reshape(count - len(rows), m)
        rows = np.vstack([rows, fresh])
        for j, (op, target, *bounds) in enumerate(targets):
            if decisions[j] is None or decisions[j].verdict == UNDECIDED:
                decisions[j] = _look(rows[:, j], op, target, level, *bounds)
        if all(d.verdict != UNDECIDED for d in decisions):
            break
    return decisions


def _look(values: np.ndarray, op: str, target: float, level: float, lo=None, hi=None) -> Decision:
    """The Student-t interval at ``level`` of the finite ``values`` (``results.mean_halfwidth``,
    each tail ``(1 - level) / 2``) and its verdict; undecided with fewer than two values. Equal
    values v with a range [lo, hi]: the interval of the range (module docstring)."""
    mean, halfwidth = mean_halfwidth(values, level)
    finite = values[np.isfinite(values)]
    n = len(finite)
    if n < 2:
        return Decision(UNDECIDED, mean, float("nan"), float("nan"), n, level)
    if lo is not None and finite.min() == finite.max():
        q = 1.0 - ((1.0 - level) / 2) ** (1.0 / n)
        low = mean if mean <= lo else mean - (mean - lo) * q
        high = mean if mean >= hi else mean + (hi - mean) * q
    else:
        low, high = mean - halfwidth, mean + halfwidth
    return Decision(_verdict(op, target, low, high), mean, low, high, n, level)


def _verdict(op: str, target: float, low: float, high: float) -> str:
    """Pass or fail when the interval [low, high] lies on one side of ``target``."""
    if op == ">=":
        return PASS if low >= target else FAIL if high < target else UNDECIDED
    if op == ">":
        return PASS if low > target else FAIL if high <= target else UNDECIDED
    if op == "<=":
        return PASS if high <= target else FAIL if low > target else UNDECIDED
    if op == "<":
        return PASS if high < target else FAIL if low >= target else UNDECIDED
    raise ValueError(f"unknown operator {op!r}")


__all__ = ["Decision", "FAIL", "PASS", "UNDECIDED", "decide", "looks", "tail_probability"]
