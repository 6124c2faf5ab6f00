"""The routing policy library: every agent-selection and queue-selection policy, with
re-routing delays, expected-wait overflow, reservation and queue thresholds, run by both engines
bit for bit; each policy and rule checked for what it promises on call records; bad rules refused.

Exact checks against queueing theory: tests/validation/test_routing_exact.py.
"""
import copy
import dataclasses

import numpy as np
import pytest
from engine_checks import assert_refused, assert_same_run
from inbound_scenarios import EVERYTHING

from ccsim.compile import AGENT_SELECTION, QUEUE_SELECTION, compile_scenario
from ccsim.engines import ENGINES
from ccsim.results import AGENT_FIELDS, CALL_FIELDS, OUTCOMES
from ccsim.scenario import validate_scenario

ANSWERED = OUTCOMES.index("answered")

# Three call types, two specialist groups and a cross-trained one, an IVR-free multi-skill
# center near saturation (queues form, so the call-selection policy matters), with shifts.
CENTER = {
    "name": "routing", "horizon": 4 * 3600.0, "warmup": 600, "interval": 900,
    "call_types": [
        {"name": "sales", "arrivals": {"process": "poisson", "rate": 0.045},
         "handle_time": {"dist": "exponential", "mean": 200}, "patience": {"dist": "exponential", "mean": 240},
         "after_call_work": {"dist": "exponential", "mean": 15}},
        {"name": "service", "arrivals": {"process": "poisson", "rate": 0.035},
         "handle_time": {"dist": "lognormal", "mean": 240, "cv": 0.8}, "patience": {"dist": "exponential", "mean": 300}},
        {"name": "vip", "arrivals": {"process": "poisson", "rate": 0.01},
         "handle_time": {"dist": "exponential", "mean": 180}, "patience": {"dist": "exponential", "mean": 200}},
    ],
    "agents": [
        {"name": "sellers", "count": 6, "serves": ["sales"]},
        {"name": "helpers", "count": 5, "serves": ["service", "vip"]},
        {"name": "cross", "count": 6, "serves": ["vip", "sales", "service"], "proficiency": 1.1,
         "shifts": [{"start": "00:00", "end": "02:30", "agents": 4, "breaks": [{"start": "01:00", "minutes": 15}]},
                    {"start": "01:00", "end": "04:00", "agents": 2}]},
    ],
}

RULES = {
    "overflow": [{"call_type": "sales", "group": "cross", "after": 30},
                 {"call_type": "service", "group": "cross", "after": 60, "expected_wait_over": 120},
                 {"call_type": "vip", "group": "helpers", "expected_wait_over": 45}],
    "reserve": [{"group": "cross", "call_type": "vip", "agents": 1}],
    "thresholds": [{"group": "helpers", "call_type": "service", "queue_over": 1}],
    "skill_priorities": {"cross": {"vip": 1, "service": 2, "sales": 3}},
    "wait_targets": {"vip": 10, "sales": 30, "service": 60},
}


def center(agent, queue, rules=True):
    scenario = copy.deepcopy(CENTER)
    scenario["routing"] = {"agent_selection": agent, "queue_selection": queue, **(copy.deepcopy(RULES) if rules else {})}
    return scenario


def with_agents(model, seed=0):
    """The model with individual agents: a random handle-time factor per (agent, type) and a
    conversion ability per agent (as a roster would give)."""
    rng = np.random.default_rng(seed)
    factor, acw = model.agent_factors()
    return dataclasses.replace(model, agent_factor=factor * rng.uniform(0.7, 1.3, size=factor.shape),
                               agent_acw_factor=rng.uniform(0.8, 1.2, size=acw.shape),
                               agent_conversion=rng.uniform(0.05, 0.3, size=model.n_agents))


def both(scenario, seed, individual=True):
    model = compile_scenario(validate_scenario(scenario))
    if individual:
        model = with_agents(model)
    return (ENGINES["core"](model, seed, call_records=True), ENGINES["simpy"](model, seed, call_records=True))


@pytest.mark.parametrize("queue", list(QUEUE_SELECTION))
@pytest.mark.parametrize("agent", list(AGENT_SELECTION))
def test_every_policy_with_every_rule_identical_in_both_engines(agent, queue):
    core, ref = both(center(agent, queue), seed=7)
    assert_same_run(core, ref)
    assert core.total_calls[:, CALL_FIELDS.index("answered")].sum() > 300


@pytest.mark.parametrize("agent", ["random", "fewest_calls", "best_proficiency"])
def test_policies_on_the_inbound_path_identical_in_both_engines(agent):
    """IVR priorities, retrials, callbacks, voicemail and hours with the new policies."""
    scenario = copy.deepcopy(EVERYTHING)
    scenario["routing"] = {"agent_selection": agent, "queue_selection": "weighted_wait"}
    core, ref = both(scenario, seed=3)
    assert_same_run(core, ref)


def test_fewest_calls_days_identical_in_both_engines():
    """Over three days the calls-today counts start again each midnight."""
    scenario = center("fewest_calls", "longest_waiting", rules=False)
    scenario["horizon"] = 3 * 86400.0
    for c in scenario["call_types"]:
        c["arrivals"]["rate"] /= 4
    scenario["agents"][2].pop("shifts")
    core, ref = both(scenario, seed=5)
    assert_same_run(core, ref)


def _records(scenario, seed=7, individual=True):
    model = compile_scenario(validate_scenario(scenario))
    if individual:
        model = with_agents(model)
    return model, ENGINES["core"](model, seed, call_records=True)


def answered_by(model, rec, group, call_type):
    """The call records' mask of ``call_type`` calls answered by ``group`` (names)."""
    return ((rec["outcome"] == ANSWERED) & (rec["group"] == model.group_names.index(group))
            & (rec["call_type"] == model.call_type_names.index(call_type)))


def test_overflow_delay_holds_the_backup_group_back():
    """cross takes a sales call only once it waited 30 s; sellers take any."""
    model, stats = _records(center("longest_idle", "longest_waiting"))
    rec = stats.call_records
    mine = answered_by(model, rec, "cross", "sales")
    assert mine.sum() > 20
    assert rec["wait"][mine].min() >= 30.0 - 1e-9
    # service goes to cross after 60 s, or earlier only while its expected wait is over 120 s
    late = answered_by(model, rec, "cross", "service")
    early = late & (rec["wait"] < 60)
    assert late.sum() > 0 and early.sum() < late.sum()


def test_best_proficiency_picks_the_fastest_idle_agent():
    """With every agent idle at the start, the first call of each type goes to the agent with the
    smallest handle-time factor for it among the groups serving it."""
    scenario = center("best_proficiency", "longest_waiting", rules=False)
    scenario["agents"][2].pop("shifts")
    model, stats = _records(scenario)
    factor, _ = model.agent_factors()
    rec = stats.call_records
    group_of = model.agent_group
    for k, name in enumerate(model.call_type_names):
        first = np.flatnonzero((rec["call_type"] == k) & (rec["outcome"] == ANSWERED))[0]
        serving = [g for g in range(model.n_groups) if model.serves[g, k]]
        able = np.isin(group_of, serving)
        assert rec["agent"][first] == np.flatnonzero(able)[np.argmin(factor[able, k])], name


def test_best_conversion_gives_more_calls_to_better_converters():
    """Performance-based routing: within a group, calls per staffed hour rise with conversion."""
    scenario = center("best_conversion", "longest_waiting", rules=False)
    for c in scenario["call_types"]:
        c["arrivals"]["rate"] *= 0.5  # idle agents to choose among
    model, stats = _records(scenario)
    answered = stats.agent_totals[:, AGENT_FIELDS.index("answered")]
    sellers = np.flatnonzero(model.agent_group == model.group_names.index("sellers"))
    order = np.argsort(-model.agent_conversion[sellers])
    assert answered[sellers][order[0]] > answered[sellers][order[-1]]


def test_random_spreads_calls_evenly():
    """random among the free: in a lightly loaded single group each agent answers about equally
    (chi-square test of uniformity)."""
    from scipy import stats as st
    scenario = {"name": "r", "horizon": 200000.0, "routing": {"agent_selection": "random"},
                "call_types": [{"name": "a", "arrivals": {"process": "poisson", "rate": 0.01},
                                "handle_time": {"dist": "exponential", "mean": 100}}],
                "agents": [{"name": "g", "count": 8, "serves": ["a"]}]}
    model = compile_scenario(validate_scenario(scenario))
    answered = ENGINES["core"](model, 2).agent_totals[:, AGENT_FIELDS.index("answered")]
    assert answered.sum() > 1500
    assert st.chisquare(answered).pvalue > 0.001
    # longest idle, by contrast, is a strict rotation when all are idle: also even; random must
    # differ from it call by call
    rot = ENGINES["core"](compile_scenario(validate_scenario({**scenario, "routing": {}})), 2, call_records=True)
    rnd = ENGINES["core"](model, 2, call_records=True)
    assert not np.array_equal(rot.call_records["agent"], rnd.call_records["agent"])


def test_threshold_serves_a_type_only_while_its_queue_is_long():
    """helpers take service only while more than one service caller waits: never a service
    caller who found nobody waiting ahead and was answered at once."""
    scenario = center("longest_idle", "longest_waiting")
    model, stats = _records(scenario)
    rec = stats.call_records
    mine = answered_by(model, rec, "helpers", "service")
    assert mine.sum() > 0
    assert np.all(rec["wait"][mine] > 0.0)
    # power: without the threshold, helpers answer service callers at once
    del scenario["routing"]["thresholds"]
    model, stats = _records(scenario)
    rec = stats.call_records
    assert np.sum(rec["wait"][answered_by(model, rec, "helpers", "service")] == 0.0) > 10


BAD = [
    ("unknown group", {"overflow": [{"call_type": "sales", "group": "nobody", "after": 5}]},
     "routing.overflow[0].group", "'nobody' is not defined"),
    ("unknown type", {"thresholds": [{"call_type": "salez", "group": "cross", "queue_over": 2}]},
     "routing.thresholds[0].call_type", "'salez' is not defined"),
    ("pair not served", {"overflow": [{"call_type": "sales", "group": "helpers", "after": 5}]},
     "routing.overflow[0]", "does not serve call type 'sales'"),
    ("no condition", {"overflow": [{"call_type": "sales", "group": "cross"}]},
     "routing.overflow[0]", "give after"),
    ("twice", {"overflow": [{"call_type": "sales", "group": "cross", "after": 5},
                            {"call_type": "sales", "group": "cross", "after": 9}]},
     "routing.overflow[1]", "second overflow rule"),
    ("reserve single", {"reserve": [{"call_type": "sales", "group": "sellers", "agents": 1}]},
     "routing.reserve[0]", "changes nothing"),
    ("priority of unserved", {"skill_priorities": {"sellers": {"vip": 1}}},
     "routing.skill_priorities.sellers.vip", "does not serve call type 'vip'"),
    ("unknown policy", {"agent_selection": "best_looking"}, "routing.agent_selection", "best_looking"),
    ("wait target zero", {"wait_targets": {"vip": 0}}, "routing.wait_targets.vip", "greater than 0"),
]


@pytest.mark.parametrize("routing, path, words", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_routing_rules_are_refused_with_their_path(routing, path, words):
    scenario = copy.deepcopy(CENTER)
    scenario["routing"] = routing
    assert_refused(scenario, path, words)


def test_overflowed_counts_the_answers_of_backup_groups():
    """'overflowed' per call type = the answered calls whose group an overflow rule held back
    (cross for sales and service, helpers for vip), call for call against the records."""
    model, stats = _records(center("longest_idle", "longest_waiting"))
    rec = stats.call_records
    answered = rec["outcome"] == ANSWERED
    backup = {("sales", "cross"), ("service", "cross"), ("vip", "helpers")}
    expected = np.zeros(model.n_types)
    for k, name in enumerate(model.call_type_names):
        for g, group in enumerate(model.group_names):
            if (name, group) in backup:
                expected[k] += np.sum(answered & (rec["call_type"] == k) & (rec["group"] == g)
                                      & (rec["arrival"] >= model.warmup))
    got = stats.total_calls[:, CALL_FIELDS.index("overflowed")]
    np.testing.assert_array_equal(got, expected)
    assert got.sum() > 20
    no_rules = ENGINES["core"](compile_scenario(validate_scenario(center("longest_idle", "longest_waiting", False))), 7)
    assert no_rules.total_calls[:, CALL_FIELDS.index("overflowed")].sum() == 0


def test_members_skill_priorities_override_the_groups():
    """queue_selection skill_priority with members ranking the call types their own way: in an
    overloaded center (both queues rarely empty) each member takes mostly its first type; both
    engines bit for bit."""
    scenario = {
        "name": "prio", "horizon": 20000.0, "warmup": 1000,
        "routing": {"queue_selection": "skill_priority", "skill_priorities": {"duo": {"sales": 1, "vip": 2}}},
        "call_types": [
            {"name": "sales", "arrivals": {"process": "poisson", "rate": 0.02},
             "handle_time": {"dist": "exponential", "mean": 100}, "patience": {"dist": "exponential", "mean": 600}},
            {"name": "vip", "arrivals": {"process": "poisson", "rate": 0.02},
             "handle_time": {"dist": "exponential", "mean": 100}, "patience": {"dist": "exponential", "mean": 600}}],
        "agents": [{"name": "duo", "serves": ["sales", "vip"], "members": [
            {"id": "ana", "skill_priorities": {"vip": 1, "sales": 2}},
            {"id": "bo"}]}],  # bo follows the group: sales first
    }
    model = compile_scenario(validate_scenario(scenario))
    assert model.agent_priority.tolist() == [[2, 1], [1, 2]]
    core, ref = ENGINES["core"](model, 3, call_records=True), ENGINES["simpy"](model, 3, call_records=True)
    assert_same_run(core, ref)
    answered = core.agent_types  # [agent, call type]
    assert answered.sum() > 200
    assert answered[0, 1] / answered[0].sum() > 0.9  # ana: vip
    assert answered[1, 0] / answered[1].sum() > 0.9  # bo: sales
    bad = copy.deepcopy(scenario)
    bad["agents"][0]["members"][1]["skill_priorities"] = {"complaints": 1}
    assert_refused(bad, "agents[0].members[1].skill_priorities.complaints", "is not a call type")
