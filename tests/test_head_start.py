"""Priority levels with a head start (routing.level_head_start): both engines bit for bit (every
policy, rules that read the queue, a cut run, a start state, a Python router), head starts of 0
are first come first served across levels and head starts wider than any wait are strict
levels, call for call; a hand-checkable small case; bad input refused with its path.

The analytic checks (work conservation in M/M/c, monotone class waits, Cobham in the limit)
are in tests/validation/test_head_start_exact.py."""
import copy

import numpy as np
import pytest
from engine_checks import assert_cli_refused, assert_refused, assert_same_run, run
from factories import priority_pair
from inbound_scenarios import INBOUND

from ccsim.compile import compile_scenario
from ccsim.engines import ENGINES
from ccsim.router import LongestIdle
from ccsim.scenario import validate_scenario
from ccsim.state.schema import validate_state
from ccsim.state.start import with_state


def leveled(queue_selection="priority", head_start=(0, 40, 90)) -> dict:
    """INBOUND with three priority levels (sales from the menu on level 2, complaints on 1, the
    rest on 0), sales also served by the back group after 20 s or while its expected wait is
    over 90 s (rules on a type with two levels: a caller can find others ahead on arrival), and
    the head starts given (None: strict levels)."""
    s = copy.deepcopy(INBOUND)
    s["routing"] = {"agent_selection": "ordered_groups", "queue_selection": queue_selection,
                    "overflow": [{"call_type": "sales", "group": "back", "after": 20, "expected_wait_over": 90}]}
    if queue_selection == "skill_priority":
        s["routing"]["skill_priorities"] = {"front": {"service": 1, "sales": 2}}
    if head_start is not None:
        s["routing"]["level_head_start"] = list(head_start)
    s["agents"][0]["serves"] = ["service", "sales"]
    s["agents"][1]["serves"] = ["complaints", "service", "sales"]
    s["call_types"][1]["groups"] = ["back", "front"]
    s["ivr"][0]["nodes"][0]["branches"][0]["priority"] = 2
    s["ivr"][0]["nodes"][1]["branches"][1]["priority"] = 1
    return s


POLICIES = ("longest_waiting", "priority", "skill_priority", "weighted_wait")


# ---------------------------------------------------------------- both engines, bit for bit
@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("seed", [1, 7])
def test_core_and_simpy_are_bit_identical_with_head_starts(policy, seed):
    assert_same_run(run(leveled(policy), "core", seed), run(leveled(policy), "simpy", seed))


def test_core_and_simpy_are_bit_identical_cut_at_the_horizon():
    s = {**leveled("longest_waiting", (0, 0, 600)), "drain": False}
    assert_same_run(run(s, "core", 3), run(s, "simpy", 3))


def test_core_and_simpy_are_bit_identical_from_a_state():
    """Start callers on every level, some waiting longer than the head starts: the arrival test
    (_queued_ahead) reads their arrivals before the start."""
    state = {"clock": 3600, "waiting": [
        {"call_type": "sales", "waited": 200, "count": 4},
        {"call_type": "sales", "waited": 30, "priority": 2, "count": 3},
        {"call_type": "complaints", "waited": 100, "priority": 1, "count": 2},
        {"call_type": "service", "waited": 10, "count": 2}]}
    model = with_state(compile_scenario(validate_scenario(leveled("longest_waiting"))), validate_state(state))
    assert_same_run(ENGINES["core"](model, 2, call_records=True), ENGINES["simpy"](model, 2, call_records=True))


def test_core_and_simpy_are_bit_identical_with_a_router():
    """A router's view (oldest_arrival, the head an agent takes) follows the head starts."""
    model = compile_scenario(validate_scenario(leveled("longest_waiting", (0, 300, 30))))
    core = ENGINES["core"](model, 4, call_records=True, router=LongestIdle())
    ref = ENGINES["simpy"](model, 4, call_records=True, router=LongestIdle())
    assert_same_run(core, ref)


def test_the_head_starts_change_the_run():
    """So that the comparisons above are not of runs the head starts leave alone."""
    strict = run(leveled("longest_waiting", None), "core", 1).call_records
    started = run(leveled("longest_waiting"), "core", 1).call_records
    assert not np.array_equal(strict["wait"], started["wait"])


# ---------------------------------------------------------------- the two limits, call for call
def one_level(s: dict) -> dict:
    """``s`` with every menu caller on level 0 and no head starts: first come, first served."""
    s = copy.deepcopy(s)
    s["routing"].pop("level_head_start", None)
    for node in s["ivr"][0]["nodes"]:
        for branch in node["branches"]:
            branch.pop("priority", None)
    return s


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_head_starts_of_zero_are_first_come_first_served(engine, policy):
    s = leveled(policy, (0, 0, 0))
    assert_same_run(run(s, engine, 5), run(one_level(s), engine, 5))


@pytest.mark.parametrize("engine", ["core", "simpy"])
@pytest.mark.parametrize("seed", [2, 9])
def test_head_starts_wider_than_any_wait_are_strict_levels(engine, seed):
    """longest_waiting (the policy that compares levels across queues by arrival): head starts
    1e8 s apart (the run lasts 4 h) order every pair of levels as strict levels do."""
    big = leveled("longest_waiting", (0, 1e8, 2e8))
    assert_same_run(run(big, engine, seed), run(leveled("longest_waiting", None), engine, seed))


def test_a_head_start_decides_who_goes_first_by_hand():
    """One agent busy until t = 10; a level-0 caller waits from t = 1, a level-1 caller from
    t = 3 (menu of 1 s from t = 2). Head start 1.5 s: 3 - 1.5 = 1.5 > 1, the level-0 caller
    goes first; 2.5 s: 0.5 < 1, the level-1 caller does; 2 s: a tie, the higher level."""
    for start, vip_first in ((1.5, False), (2.5, True), (2.0, True)):
        s = priority_pair()
        s["routing"] = {"level_head_start": [0, start]}
        for engine in ("core", "simpy"):
            records = run(s, engine).call_records
            waits = {(int(r["source"]), float(r["arrival"])): float(r["wait"]) for r in records}
            if vip_first:
                assert waits[(1, 2.0)] == 7.0 and waits[(0, 1.0)] == 19.0, (start, engine, waits)
            else:
                assert waits[(0, 1.0)] == 9.0 and waits[(1, 2.0)] == 17.0, (start, engine, waits)


def test_the_compiled_head_starts_are_per_level_in_use():
    model = compile_scenario(validate_scenario(leveled("priority", (0, 40, 90, 500))))
    assert model.n_priorities == 3 and model.level_head_start.tolist() == [0.0, 40.0, 90.0]
    assert compile_scenario(validate_scenario(leveled("priority", None))).level_head_start.size == 0


# ---------------------------------------------------------------- bad input
BAD = [
    ([0, -5, 90], "routing.level_head_start[1]", "greater than or equal to 0"),
    ([0, float("nan"), 90], "routing.level_head_start[1]", "finite"),
    ([0, float("inf"), 90], "routing.level_head_start[1]", "finite"),
    ([0, 2e9, 90], "routing.level_head_start[1]", "less than or equal to"),
    ([0, "soon", 90], "routing.level_head_start[1]", "number"),
    ([0, True, 90], "routing.level_head_start[1]", "found true"),
    ([0, 40], "routing.level_head_start", "priority 2: give one entry per level"),
    ([], "routing.level_head_start", "at least 1"),
    ([0] * 11, "routing.level_head_start", "at most 10"),
    (90, "routing.level_head_start", "list"),
]


@pytest.mark.parametrize("value, path, words", BAD)
def test_bad_head_starts_are_refused_with_their_path(value, path, words):
    s = leveled("priority")
    s["routing"]["level_head_start"] = value
    assert_refused(s, path, words)


def test_the_cli_refuses_bad_head_starts_with_exit_2(tmp_path):
    s = leveled("priority")
    s["routing"]["level_head_start"] = [0, 40]
    assert_cli_refused(tmp_path, s, "routing.level_head_start", "give one entry per level")
