"""One decision for service-level goals, shared by the terminal, results and report."""
import math

import ccsim
from ccsim.goals import MET, NOT_MET, UNDECIDED, decide, goal_of
from factories import two_call_types


def test_decide_by_the_whole_interval():
    assert decide(0.85, 0.02, 0.8)[0] == MET
    assert decide(0.75, 0.02, 0.8)[0] == NOT_MET
    assert decide(0.81, 0.02, 0.8)[0] == UNDECIDED
    assert decide(0.80, 0.0, 0.8)[0] == MET  # at the goal counts as met
    # one replication, no CI: the estimate alone never decides (it once said "met (no CI)" in the terminal)
    assert decide(0.99, math.nan, 0.8) == (UNDECIDED, "no confidence interval (needs 2 or more replications)")
    assert decide(math.nan, 0.01, 0.8)[0] == UNDECIDED


def test_a_call_types_own_goal_wins_over_the_scenario_wide_one():
    data = two_call_types()
    data["service_level"] = {"target": 0.7}
    data["call_types"][0]["service_level_target"] = 0.9
    scenario = ccsim.as_scenario(data)
    first, second = (c.name for c in scenario.call_types)
    assert goal_of(scenario, first) == 0.9 and goal_of(scenario, second) == 0.7
    del data["service_level"]
    assert goal_of(ccsim.as_scenario(data), second) is None
