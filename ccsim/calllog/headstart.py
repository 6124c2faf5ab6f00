"""The head start of each priority level, from the order in which a log's waiting callers were
served (the scenario's ``routing.level_head_start``).

Under a head start h for level l (over level 0), an agent freed at time t takes the level-l
caller at the head of its level (queued since a_l) before the level-0 head (queued since a_0)
exactly when a_l - h < a_0, that is when d = a_l - a_0 < h. Each *service event* of the log
gives one observation: a caller of a call type is taken off its queue at t (it waited) while,
of that call type, a level-l caller and a level-0 caller wait (both heads queued before t and
still waiting after t, or taken at t); d is the heads' difference of queue-entry times and y
whether the caller taken was on level l. Events whose caller is on another level are left out.

The estimate is the maximum-likelihood change point of a two-rate model: P(y = 1) = p_in when
d < h and p_out (<= p_in) when d >= h, independent events (the real ACD does not follow its
rule every time: skills, agents' own choices). The profile likelihood is flat between two
consecutive observed d, so h is the midpoint of the best gap (cut at 0; a log that follows
the rule exactly, as ccsim's own, puts the truth inside that gap). The 95 % interval is a
percentile bootstrap over days (a day's events resampled together: events of a day share
their callers; a fixed seed, so a fit is reproducible): from the 2.5 % point of the
resamples' gap starts to the 97.5 % point of their gap ends, so a log in whole seconds gives
at least the second that holds the change. A best gap beyond every observed d is strict
priority as far as the log can tell (estimate inf: the scenario keeps strict levels).
``HeadStart.p_in`` / ``p_out`` say how sharply the log follows the rule.

Assumes a level's head is its longest-waiting caller (FIFO within a level), one queue per
call type, and queue entry and exit times in the log (``queue_entry``, ``queue_exit``).
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

BOOTSTRAP = 200        # bootstrap resamples of the days
MIN_EVENTS = 20        # fewer service events with both heads waiting: no estimate


@dataclass(frozen=True)
class HeadStart:
    """The fitted head start of one level over level 0 (seconds) and how the log supports it."""

    level: int
    estimate: float
    ci: tuple
    events: int          # service events with a level-l and a level-0 caller waiting
    p_in: float          # share of them taking the level-l caller when d < estimate
    p_out: float         # ... when d >= estimate
    d: np.ndarray = None  # the events' d (s) and y, for the report's chart
    y: np.ndarray = None


def service_events(calls, levels: np.ndarray) -> dict:
    """{level l >= 1: (d, y, day)} over every call type of ``calls`` (see the module's
    docstring); ``levels`` is each call's ccsim priority level."""
    entry = calls["queue_entry"].to_numpy(dtype=float)
    leave = calls["queue_exit"].to_numpy(dtype=float)
    waited = np.isfinite(entry) & np.isfinite(leave) & (leave > entry)
    served = (calls["outcome"] == "served").to_numpy()
    types = calls["call_type"].astype(str).to_numpy()
    day = calls["day"].to_numpy()
    out = {}
    for k in np.unique(types[waited]):
        mine = np.nonzero(waited & (types == k))[0]
        for level, d, y, i in _events(mine, entry, leave, served, levels):
            out.setdefault(level, []).append((d, y, day[i]))
    return {level: tuple(np.array(col) for col in zip(*rows)) for level, rows in sorted(out.items())}


def _events(mine, entry, leave, served, levels):
    """(level l, d, y, call) of each service event among the calls ``mine`` (one call type):
    a sweep in time with a heap of queue entries per level (calls gone are dropped lazily)."""
    arrivals = mine[np.argsort(entry[mine], kind="stable")]
    taken = mine[served[mine]]
    taken = taken[np.argsort(leave[taken], kind="stable")]
    heaps, p = {}, 0
    for i in taken:
        t = leave[i]
        while p < len(arrivals) and entry[arrivals[p]] < t:
            j = arrivals[p]
            heapq.heappush(heaps.setdefault(int(levels[j]), []), (entry[j], j))
            p += 1
        heads = {lv: _head(h, leave, t, i) for lv, h in heaps.items()}
        if heads.get(0) is None:
            continue
        own = int(levels[i])
        for lv, a in heads.items():
            if lv > 0 and a is not None and own in (0, lv):
                yield lv, a - heads[0], own == lv, i


def _head(heap, leave, t, taken):
    """The earliest queue entry of a caller still waiting at t (leaving after t, or ``taken``
    now), or None; callers who left before t are popped for good, those leaving at t besides
    ``taken`` are set aside for this event only."""
    while heap and leave[heap[0][1]] < t:
        heapq.heappop(heap)
    aside = []
    while heap and leave[heap[0][1]] == t and heap[0][1] != taken:
        aside.append(heapq.heappop(heap))
    head = heap[0][0] if heap else None
    for item in aside:
        heapq.heappush(heap, item)
    return head


def change_point(d: np.ndarray, y: np.ndarray) -> tuple:
    """(low, high, p_in, p_out): the maximum-likelihood change point of P(y) = p_in for d < h,
    p_out for d >= h (p_in >= p_out) is any h in the gap (low, high] between two consecutive
    distinct d (high = inf: beyond every d, strict priority as far as the log shows), both
    ends cut at 0; the rates are those of the split. Splits of equal likelihood (a log whose
    level-l caller always goes first fits p_out = 1 anywhere) go to the one the deterministic
    rule gets least wrong."""
    order = np.argsort(d, kind="stable")
    d, y = np.asarray(d, float)[order], np.asarray(y, float)[order]
    n = len(d)
    ones = np.concatenate([[0.0], np.cumsum(y)])
    cut = np.nonzero(np.r_[True, d[1:] > d[:-1], True])[0]  # splits between distinct values
    k = cut.astype(float)
    inside, outside = ones[cut], ones[-1] - ones[cut]
    loglik = _bernoulli(inside, k) + _bernoulli(outside, n - k)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_in, p_out = inside / k, outside / (n - k)
    loglik[np.nan_to_num(p_in, nan=1.0) < np.nan_to_num(p_out, nan=0.0)] = -np.inf
    wrong = (k - inside) + outside  # events the rule "level l first iff d < h" gets wrong
    best = np.flatnonzero(loglik == loglik.max())
    c = cut[best[np.argmin(wrong[best])]]  # equal likelihood (e.g. y always 1): the fewest wrong
    low = d[c - 1] if c > 0 else -np.inf
    high = d[c] if c < n else np.inf
    return max(float(low), 0.0), max(float(high), 0.0), float(p_in[cut == c][0]), float(p_out[cut == c][0])


def midpoint(low: float, high: float) -> float:
    """The point estimate in a gap: its middle (inf when the gap is unbounded above)."""
    return (low + high) / 2.0 if np.isfinite(high) else float("inf")


def _bernoulli(ones, n):
    """The maximised Bernoulli log-likelihood of ``ones`` successes in ``n`` (0 log 0 = 0)."""
    zeros = n - ones
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.where(ones > 0, ones * np.log(ones / n), 0.0)
                + np.where(zeros > 0, zeros * np.log(zeros / n), 0.0))


def fit_head_starts(calls, levels: np.ndarray, seed: int = 0) -> dict:
    """{level l >= 1: HeadStart} for every level with at least ``MIN_EVENTS`` service events."""
    rng = np.random.default_rng(seed)
    out = {}
    for level, (d, y, day) in service_events(calls, levels).items():
        if len(d) < MIN_EVENTS:
            continue
        low, high, p_in, p_out = change_point(d, y)
        days = np.unique(day)
        rows = [np.nonzero(day == x)[0] for x in days]
        lows, highs = [], []
        for _ in range(BOOTSTRAP):
            pick = np.concatenate([rows[j] for j in rng.integers(0, len(days), len(days))])
            gap = change_point(d[pick], y[pick])
            lows.append(gap[0])
            highs.append(gap[1])
        # the inverted empirical CDF (no interpolation: an inf gap end stays inf)
        ci = (float(np.quantile(lows, 0.025, method="inverted_cdf")),
              float(np.quantile(highs, 0.975, method="inverted_cdf")))
        out[level] = HeadStart(level, midpoint(low, high), ci, len(d), p_in, p_out, d, y.astype(bool))
    return out


__all__ = ["BOOTSTRAP", "HeadStart", "MIN_EVENTS", "change_point", "fit_head_starts", "midpoint", "service_events"]
