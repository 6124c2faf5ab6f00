"""The by-interval tables' extra row and the totals after the warm-up derived from them.

Engines count a call in the row of its interval, except a call after the warm-up in the interval
the warm-up ends in, which counts in an extra last row (``_stats.row_at``, ``Tally.row``);
``engines.rows.fold_rows`` then gives the intervals and the totals after the warm-up. The totals and the
intervals are checked here against the per-call records, with a warm-up inside an interval (the
case the extra row exists for), on an interval's edge and at 0, in both engines.
"""
import numpy as np
import pytest

import ccsim
from ccsim.engines.rows import fold_rows
from ccsim.results import CALL_FIELDS, CHANNEL_FIELDS, ENTRY_FIELDS, OUTCOMES

F = {name: i for i, name in enumerate(CALL_FIELDS)}
E = {name: i for i, name in enumerate(ENTRY_FIELDS)}
C = {name: i for i, name in enumerate(CHANNEL_FIELDS)}
INTERVAL = 900.0


def scenario(warmup):
    return {
        "horizon": 7200, "warmup": warmup, "interval": INTERVAL, "lines": 30, "drain": False,
        "entries": [{"name": "hotline", "arrivals": {"process": "poisson", "rate": 0.08}, "ivr": "menu",
                     "retrials": {"blocked": 0.5, "abandoned": 0.5, "delay": {"dist": "exponential", "mean": 300},
                                  "max_attempts": 3}}],
        "ivr": [{"name": "menu", "nodes": [{"name": "welcome", "duration": {"dist": "exponential", "mean": 30},
                                            "branches": [{"p": 0.8, "queue": "care"}, {"p": 0.2, "exit": "hang_up"}]}]}],
        "call_types": [
            {"name": "sales", "arrivals": {"process": "poisson", "rate": 0.12},
             "handle_time": {"dist": "exponential", "mean": 150}, "patience": {"dist": "exponential", "mean": 60},
             "retrials": {"blocked": 0.5, "abandoned": 0.5, "delay": {"dist": "exponential", "mean": 300},
                          "max_attempts": 3}},
            {"name": "care", "handle_time": {"dist": "exponential", "mean": 200},
             "patience": {"dist": "exponential", "mean": 90}},
        ],
        "agents": [{"name": "team", "count": 24, "serves": ["sales", "care"]}],
    }


def test_fold_rows_adds_the_extra_row_to_its_interval_and_the_later_rows_to_the_totals():
    original = np.random.default_rng(1).random((5, 2, 3))  # 4 intervals and the extra row
    for boundary in range(4):
        rows = original.copy()
        intervals, totals = fold_rows(rows, boundary)
        expected = original[:4].copy()
        expected[boundary] = original[boundary] + original[4]
        np.testing.assert_array_equal(intervals, expected)
        total = original[4].copy()  # the extra row first, then the intervals after the boundary in order
        for i in range(boundary + 1, 4):
            total = total + original[i]
        np.testing.assert_array_equal(totals, total)
        assert np.shares_memory(intervals, rows)  # folded in place: no copy of a large table
    empty = np.zeros((5, 2, 0))  # no extra service-level threshold
    assert fold_rows(empty, 1)[1].shape == (2, 0)


@pytest.mark.parametrize("engine", ["core", "simpy"])
@pytest.mark.parametrize("warmup", [1000.0, 1800.0, 0.0])
def test_totals_and_intervals_follow_the_records(engine, warmup):
    result = ccsim.simulate(scenario(warmup), seed=5, engine=engine, call_records=True)
    s, records = result.stats, result.stats.call_records
    n = s.interval_calls.shape[0]
    assert n == 8 and s.total_calls.shape == (2, len(CALL_FIELDS))
    interval = np.minimum((records["arrival"] / INTERVAL).astype(int), n - 1)
    after = records["arrival"] >= warmup
    sales = records["call_type"] == 0  # straight to its queue: it reaches its type as it rings
    for outcome, field in [("answered", "answered"), ("abandoned", "abandoned"), ("blocked", "blocked")]:
        mine = sales & (records["outcome"] == OUTCOMES.index(outcome))
        assert s.total_calls[0, F[field]] == np.count_nonzero(mine & after)
        np.testing.assert_array_equal(s.interval_calls[:, 0, F[field]], np.bincount(interval[mine], minlength=n))
    answered = sales & (records["outcome"] == OUTCOMES.index("answered"))
    assert s.total_calls[0, F["wait_answered"]] == pytest.approx(records["wait"][answered & after].sum())
    assert s.total_calls[0, F["arrived"]] == np.count_nonzero(sales & after)
    # the entry's attempts, by ring (one record each: routed, hung up in the menu, or blocked)
    hotline = records["source"] == 2
    assert np.count_nonzero(hotline & after) > 20 and np.count_nonzero(hotline & ~after) > 20 or warmup == 0
    assert s.total_entries[0, E["arrived"]] == np.count_nonzero(hotline & after)
    np.testing.assert_array_equal(s.interval_entries[:, 0, E["arrived"]], np.bincount(interval[hotline], minlength=n))
    retrials = hotline & (records["attempt"] > 1)
    assert s.total_entries[0, E["retrials"]] == np.count_nonzero(retrials & after) > 0
    # callers (organic channel), by their first ring
    first = records["attempt"] == 1
    assert s.total_channels[0, C["callers"]] == np.count_nonzero(first & after)
    np.testing.assert_array_equal(s.interval_channels[:, 0, C["callers"]], np.bincount(interval[first], minlength=n))
    assert s.callers[:, C["callers"]].sum() == np.count_nonzero(first & after)


def test_engines_agree_bit_for_bit_with_a_warmup_inside_an_interval():
    core = ccsim.simulate(scenario(1000.0), seed=9).stats
    ref = ccsim.simulate(scenario(1000.0), seed=9, engine="simpy").stats
    for name in ["interval_calls", "total_calls", "interval_entries", "total_entries", "interval_channels",
                 "total_channels", "callers", "group_totals"]:
        np.testing.assert_array_equal(getattr(core, name), getattr(ref, name), err_msg=name)
    assert core.total_calls[:, F["answered"]].sum() > 200
