"""The staffing estimate of ``ccsim fit``: agents available per slot (``fit.agents_available``).

Login idle (the opening-slot correction): on a center whose agents log in at an empty queue
(two together at 07:00, one at 07:40, two at 08:20, below capacity), over 20 seeds the
corrected estimate is never above the truth by more than 5 % in any slot, the mean error of
the slots with one login at a time (07:30, 08:00) lies within 3 % (95 % t interval), and at
the simultaneous 07:00 opening the correction removes a significant part of the low bias
(paired interval) and leaves it within 12 % (agents logging in together wait longer than a
typical gap: the k-th waits for the k-th call).

On a log made by ccsim itself, whose staffing is known per slot, the estimate recovers it:
in every slot but the opening one, of every seed, within 4 % of the true agents on duty (the
engine's staffed agents), and over the seeds the mean error of each such slot within 1.5 %.
The opening slot is biased low (up to 13 % here, 15 % without the login idle): four agents
log in together near capacity, and the typical gap counted before each first call is shorter
than the wait of the k-th of them for the k-th call (after its last call nothing is counted);
the test bounds that bias (below 25 %, never above the truth). A hand-made log checks the
rules: a short idle gap counts, a gap longer than the cap does not, neither does idle time
while a call waits, and a stretch after a gap over the cap is preceded by the typical gap.
"""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import ccsim
from ccsim.calllog import read_log
from ccsim.calllog.fit import agents_available
from ccsim.calllog.mapping import mapping_from_dict
from test_replay_log import MAPPING, write_log

SEEDS = range(1, 7)


def center():
    """8:00-12:00: 4 agents, 7 between 9:00 and 11:00, loaded near capacity (short idle gaps)."""
    return {"name": "staffing", "horizon": 43200, "interval": 1800,
            "call_types": [{"name": "sales",
                            "arrivals": {"process": "piecewise", "per": "hour", "slot": 3600,
                                         "rates": [0] * 8 + [85, 150, 150, 85]},
                            "handle_time": {"dist": "lognormal", "mean": 170, "cv": 0.7},
                            "patience": {"dist": "exponential", "mean": 200}}],
            "agents": [{"name": "agents", "count": 7, "serves": ["sales"],
                        "shifts": [{"start": "08:00", "end": "12:00", "agents": 4},
                                   {"start": "09:00", "end": "11:00", "agents": 3}]}]}


@pytest.fixture(scope="module")
def estimates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("staffing")
    truth, estimated = None, []
    for seed in SEEDS:
        result = ccsim.simulate(center(), seed=seed, call_records=True)
        log = read_log(write_log(result.calls(), folder / f"log{seed}.csv"), mapping_from_dict(MAPPING))
        estimated.append(agents_available(log.calls, log.days, 1800)[0, 16:24])
        truth = result.intervals()["staffed_agents"].to_numpy()[16:24]
    return truth, np.array(estimated)


def test_true_staffing_follows_the_schedule(estimates):
    truth, _ = estimates  # the engine's staffed agents: the schedule, plus agents finishing a call past 11:00
    assert truth[:6].tolist() == [4, 4, 7, 7, 7, 7] and (truth[6:] >= 4).all() and (truth[6:] < 4.5).all()


def test_agents_available_recover_the_known_staffing(estimates):
    truth, estimated = estimates
    relative = estimated / truth - 1
    opening, rest = relative[:, 0], relative[:, 1:]
    assert np.abs(rest).max() < 0.04, rest.round(3)
    assert np.abs(rest.mean(axis=0)).max() < 0.015, rest.mean(axis=0).round(3)
    # the opening slot: agents idle before their first call (the queue empty) are not counted
    assert (opening <= 0).all() and (opening > -0.25).all(), opening.round(3)


def _calls(rows):
    frame = pd.DataFrame(rows, columns=["agent", "service_start", "service_end", "queue_entry", "queue_exit"])
    frame["outcome"] = np.where(frame["agent"].notna(), "served", "abandoned")
    return frame


def test_short_gaps_count_long_gaps_and_gaps_with_a_waiting_call_do_not():
    # agent a: busy 0-100, idle 100-400 (a call waits 200-250), busy 400-500, idle 500-1400 (> cap 600), busy 1400-1500
    calls = _calls([("a", 0, 100, np.nan, np.nan), ("a", 400, 500, np.nan, np.nan),
                    ("a", 1400, 1500, np.nan, np.nan), (None, np.nan, np.nan, 200, 250)])
    per_slot = agents_available(calls, 1, 1800, idle_cap=600, login_idle=False)[0]
    # busy 300 s + idle 300 - 50 s in the first slot of 1800 s
    assert per_slot[0] == pytest.approx((300 + 250) / 1800)
    assert per_slot[1:].sum() == 0
    assert agents_available(calls, 1, 1800, idle_cap=1000, login_idle=False)[0, 0] == pytest.approx(
        (300 + 250 + 900) / 1800)
    # login idle: the stretch starting at 1400 (after a gap over the cap) is preceded by the
    # typical gap (the log's one gap under the cap, 300 s: too few for the slot's own), from
    # 1100; the first call's, at 0, would begin before the log
    assert agents_available(calls, 1, 1800, idle_cap=600)[0, 0] == pytest.approx((300 + 250 + 300) / 1800)


OPENING_SEEDS = range(1, 21)


def opening():
    """Agents logging in at an empty queue, below capacity: 2 at 07:00, 1 at 07:40, 2 at 08:20."""
    return {"name": "opening", "horizon": 43200, "interval": 1800,
            "call_types": [{"name": "sales",
                            "arrivals": {"process": "piecewise", "per": "hour", "slot": 3600,
                                         "rates": [0] * 7 + [40, 70, 70]},
                            "handle_time": {"dist": "lognormal", "mean": 160, "cv": 0.8},
                            "patience": {"dist": "exponential", "mean": 300}}],
            "agents": [{"name": "agents", "count": 5, "serves": ["sales"],
                        "shifts": [{"start": "07:00", "end": "10:00", "agents": 2},
                                   {"start": "07:40", "end": "10:00", "agents": 1},
                                   {"start": "08:20", "end": "10:00", "agents": 2}]}]}


@pytest.fixture(scope="module")
def openings(tmp_path_factory):
    """Relative errors [seeds, slots 07:00-10:00] of the estimate with and without login idle."""
    folder = tmp_path_factory.mktemp("opening")
    corrected, plain = [], []
    for seed in OPENING_SEEDS:
        result = ccsim.simulate(opening(), seed=seed, call_records=True)
        log = read_log(write_log(result.calls(), folder / f"log{seed}.csv"), mapping_from_dict(MAPPING))
        truth = result.intervals()["staffed_agents"].to_numpy()[14:20]
        corrected.append(agents_available(log.calls, 1, 1800)[0, 14:20] / truth - 1)
        plain.append(agents_available(log.calls, 1, 1800, login_idle=False)[0, 14:20] / truth - 1)
    return np.array(corrected), np.array(plain)


def _interval(values):
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return values.mean() - half, values.mean() + half


def test_login_idle_never_overshoots_the_truth(openings):
    corrected, plain = openings
    assert (corrected >= plain - 1e-12).all()          # it only adds idle time
    assert corrected.max() < 0.05, corrected.max(axis=0).round(3)


def test_login_idle_recovers_the_staffing_of_one_login_at_a_time(openings):
    corrected, _ = openings
    for slot in (1, 2):                                  # 07:30 (login at 07:40), 08:00 (at 08:20)
        low, high = _interval(corrected[:, slot])
        assert -0.03 < low and high < 0.03, (slot, low, high)


def test_login_idle_reduces_the_opening_bias(openings):
    corrected, plain = openings
    low, _ = _interval(corrected[:, 0] - plain[:, 0])
    assert low > 0                                       # a significant part of the bias removed
    low, high = _interval(corrected[:, 0])
    assert -0.12 < low and high < 0.0, (low, high)      # what is left: agents logging in together
