"""``ccsim fit`` recovers a known head start (``ccsim.calllog.headstart``): simulate a center
whose level-1 callers have a 60 s head start, write its records as a call log with a priority
column, fit it.

ccsim follows its rule exactly, so every service event of its log is consistent with the true
head start: the best gap of the change point must hold 60 s in every one of 6 seeds (5 days
each), the estimate (its midpoint) lie within 5 s of it, and the bootstrap interval hold it.
Power: the same seeds with head start 0 (first come, first served across levels) and with
strict levels give estimates the 60 s check rejects (below 5 s; beyond every gap, or above
the longest waits' scale). A noisy log (the level-1 caller taken first with probability 0.85
inside the head start, 0.02 beyond it, as on the bank log) is checked on the change point
alone: the estimate within 5 s of the truth in at least 18 of 20 seeds.
"""
from __future__ import annotations

import numpy as np
import pytest

from ccsim import simulate
from ccsim.calllog import read_log
from ccsim.calllog.fit import FitOptions, fit_log
from ccsim.calllog.headstart import change_point, midpoint
from factories import call_log_mapping, write_call_log

TRUTH = 60.0
SEEDS = range(1, 7)
DAYS = 5
MAPPING = call_log_mapping(priority="priority")


def center(head_start) -> dict:
    """10 agents, about 9.6 Erlangs, a third of the callers on level 1 (menus that take no time,
    so a caller's record arrival is its queue entry); head_start None: strict levels."""
    instant = {"dist": "deterministic", "value": 0}
    return {
        "name": "truth", "horizon": DAYS * 86400, "interval": 3600,
        "routing": {} if head_start is None else {"level_head_start": [0.0, head_start]},
        "call_types": [{"name": "sales", "handle_time": {"dist": "exponential", "mean": 180},
                        "patience": {"dist": "exponential", "mean": 600}}],
        "agents": [{"name": "team", "count": 10, "serves": ["sales"]}],
        "entries": [{"name": name, "arrivals": {"process": "poisson", "rate": rate}, "ivr": f"to_{name}"}
                    for name, rate in (("plain", 0.0355), ("vip", 0.0178))],
        "ivr": [{"name": f"to_{name}", "nodes": [{"name": "route", "duration": instant, "branches": [
            {"p": 1, "queue": "sales", **({"priority": level} if level else {})}]}]}
            for level, name in enumerate(("plain", "vip"))],
    }


def fitted(head_start, seed, tmp_path):
    calls = simulate(center(head_start), seed=seed, call_records=True).calls()
    path = tmp_path / f"log_{head_start}_{seed}.csv"
    write_call_log(calls, path, priority=(calls["source"].astype(str) == "vip").astype(int))  # level from the entry
    log = read_log(path, MAPPING)
    assert len(log.excluded) == 0
    return fit_log(log, FitOptions(slot=3600, profile="day", handle="exponential", patience="exponential"))


@pytest.mark.parametrize("seed", SEEDS)
def test_the_fit_recovers_a_known_head_start(seed, tmp_path):
    result = fitted(TRUTH, seed, tmp_path)
    h = result.head_starts[1]
    assert h.events > 500
    low, high, p_in, p_out = change_point(h.d, h.y)
    assert low < TRUTH <= high and (p_in, p_out) == (1.0, 0.0)  # ccsim's log follows its rule exactly
    assert abs(h.estimate - TRUTH) <= 5.0 and h.ci[0] <= TRUTH <= h.ci[1], (h.estimate, h.ci)
    assert result.scenario()["routing"] == {"level_head_start": [0.0, round(h.estimate, 1)]}


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_the_fit_tells_other_disciplines_apart(seed, tmp_path):
    """Power: first come first served fits a head start near 0, strict levels one far beyond 60 s
    (or none finite); both intervals exclude the truth of the test above."""
    fcfs = fitted(0.0, seed, tmp_path).head_starts[1]
    assert fcfs.estimate < 5.0 and fcfs.ci[1] < TRUTH
    strict = fitted(None, seed, tmp_path)
    h = strict.head_starts[1]
    assert h.estimate > 5 * TRUTH and h.ci[0] > TRUTH, (h.estimate, h.ci)
    if not np.isfinite(h.estimate):
        assert "routing" not in strict.scenario()


def test_the_change_point_of_a_noisy_log():
    """The bank log's noise (p_in 0.85, p_out 0.02) around a 90 s head start, 2,000 events with
    d spread as there (-200 s to 300 s): the estimate within 5 s of 90 s in >= 18 of 20 seeds."""
    hits = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        d = np.round(rng.uniform(-200, 300, 2000))
        y = rng.random(2000) < np.where(d < 90.0, 0.85, 0.02)
        low, high, _, _ = change_point(d, y)
        hits += abs(midpoint(low, high) - 90.0) <= 5.0
    assert hits >= 18
