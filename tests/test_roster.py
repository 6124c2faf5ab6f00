"""Agents as individuals: members, drawn populations, per-(call type, group) and per-(call type,
agent) handle-time factors, per-member shifts, the per-agent table, and bad rosters refused.

The roster is drawn reproducibly from its own streams (roster_seed, group name) and its
moments match the distributions (KS tests, with the power to reject a slightly wrong one);
the factors scale talk time exactly (deterministic handle times) and in the mean (a CI over
many exponential calls); both engines agree bit for bit on a scenario with every roster
feature; scenarios without a roster compile to the arrays of before.
"""
import copy

import numpy as np
import pytest
from engine_checks import assert_cli_refused, assert_refused, assert_same_run, run
from scipy import stats
from test_shifts import SHIFTS

import ccsim
from ccsim.compile import compile_scenario
from ccsim.results import AGENT_FIELDS, OUTCOMES, mean_agents
from ccsim.roster import roster_stream
from ccsim.scenario import validate_scenario
from ccsim.scenario.shifts import Shift, week_on

ANSWERED = OUTCOMES.index("answered")
DAY = 86400.0


def call_type(name, rate, handle, **extra):
    return {"name": name, "arrivals": {"process": "poisson", "rate": rate}, "handle_time": handle,
            "patience": {"dist": "exponential", "mean": 300}, **extra}


# Members (skills, teams, squads, a leader, own shifts), a population (every drawn attribute,
# teams and squads, group shifts), identical agents, a per-type group proficiency; a day from Monday.
ROSTER = {
    "name": "roster", "horizon": DAY, "warmup": 1800, "interval": 900, "roster_seed": 7,
    "call_types": [call_type("sales", 0.02, {"dist": "exponential", "mean": 200},
                             after_call_work={"dist": "exponential", "mean": 30}),
                   call_type("service", 0.015, {"dist": "lognormal", "mean": 240, "cv": 0.8})],
    "agents": [
        {"name": "experts", "serves": ["sales", "service"], "skills": {"sales": 0.9}, "members": [
            {"id": "li", "team": "north", "squad": "n1", "leader": True, "tenure_days": 800,
             "skills": {"sales": 0.8, "service": 1.3}, "acw_factor": 0.7, "conversion": 0.3,
             "qa_fatal": 0.01, "qa_nonfatal": 0.05},
            {"id": "wang", "team": "north", "squad": "n1", "skills": {"service": 0.9},
             "shifts": [{"start": "09:00", "end": "17:00", "breaks": [{"start": "12:00", "minutes": 60}]}]},
            {"id": "zhao", "team": "south", "shifts": [{"start": "06:00", "end": "10:00"},
                                                        {"start": "16:00", "end": "23:00"}]}]},
        {"name": "pool", "serves": ["service", "sales"], "population": {
            "count": 12, "proficiency": {"dist": "lognormal", "mean": 1.1, "cv": 0.25},
            "acw_factor": {"dist": "uniform", "low": 0.8, "high": 1.2},
            "conversion": {"dist": "beta", "mean": 0.2, "sd": 0.05},
            "qa_fatal": {"dist": "beta", "mean": 0.023, "sd": 0.01},
            "qa_nonfatal": {"dist": "uniform", "low": 0.05, "high": 0.1},
            "tenure_days": {"dist": "gamma", "mean": 300, "cv": 0.8},
            "teams": ["north", "south"], "squad_size": 3},
         "shifts": [{"start": "07:00", "end": "15:00", "agents": 6, "breaks": [{"start": "11:00", "minutes": 30}]},
                    {"start": "14:00", "end": "22:00", "agents": 5}]},
        {"name": "basic", "count": 2, "serves": ["service"], "proficiency": 1.1},
    ],
}


def with_(scenario, **changes):
    s = copy.deepcopy(scenario)
    s.update(changes)
    return s


def model_of(scenario):
    return compile_scenario(validate_scenario(scenario))


# ---- the roster drawn ----------------------------------------------------------------------------

def roster_arrays(model):
    return (model.agent_factor, model.agent_acw_factor, model.agent_tenure, model.agent_conversion,
            model.agent_qa_fatal, model.agent_qa_nonfatal)


def test_the_same_roster_seed_draws_the_same_roster_and_another_seed_another():
    a, b = model_of(ROSTER), model_of(ROSTER)
    for x, y in zip(roster_arrays(a), roster_arrays(b)):
        np.testing.assert_array_equal(x, y)
    other = model_of(with_(ROSTER, roster_seed=8))
    pool = slice(int(a.group_start[2]), int(a.group_start[2] + a.group_count[2]))  # groups by name: b, e, p
    assert a.group_names == ("basic", "experts", "pool")
    assert not np.array_equal(a.agent_factor[pool], other.agent_factor[pool])
    # members and identical agents do not depend on the seed
    np.testing.assert_array_equal(a.agent_factor[:5], other.agent_factor[:5])


def test_the_roster_is_the_same_for_every_run_seed_and_leaves_the_other_streams_alone():
    r1, r2 = ccsim.simulate(ROSTER, seed=1), ccsim.simulate(ROSTER, seed=2)
    assert r1.model.roster().equals(r2.model.roster())
    identical = copy.deepcopy(ROSTER)
    identical["agents"][1] = {"name": "pool", "count": 12, "serves": ["service", "sales"]}
    assert model_of(identical).stream_keys == model_of(ROSTER).stream_keys


def test_the_roster_fields_come_from_the_members_and_the_group():
    model = model_of(ROSTER)
    roster = model.roster()
    experts = roster[roster.group == "experts"]
    assert list(experts.id) == ["li", "wang", "zhao"]
    assert list(experts.team) == ["north", "north", "south"] and list(experts.squad) == ["n1", "n1", ""]
    assert list(experts.leader) == [True, False, False]
    li = int(experts.index[0])
    sales, service = model.call_type_names.index("sales"), model.call_type_names.index("service")
    assert model.agent_factor[li, sales] == 0.9 * 0.8 and model.agent_factor[li, service] == 1.3
    assert model.agent_acw_factor[li] == 0.7 and roster.loc[li, "tenure_days"] == 800
    assert roster.loc[li, "conversion"] == 0.3 and roster.loc[li, "qa_fatal"] == 0.01
    assert np.isnan(roster.loc[li + 1, "conversion"])
    basic = roster[roster.group == "basic"]
    assert list(basic.id) == ["basic-1", "basic-2"] and list(basic.team) == ["basic", "basic"]
    np.testing.assert_array_equal(model.agent_factor[basic.index], 1.1)


def test_a_population_is_dealt_to_teams_round_robin_in_squads_led_by_their_first():
    roster = model_of(ROSTER).roster()
    pool = roster[roster.group == "pool"]
    assert list(pool.team) == ["north", "south"] * 6
    for team in ("north", "south"):
        squads = pool[pool.team == team]
        assert list(squads.squad) == [f"pool.{team}.1"] * 3 + [f"pool.{team}.2"] * 3
        assert list(squads.leader) == [True, False, False] * 2


def population(count, **draws):
    s = copy.deepcopy(ROSTER)
    s["agents"][1] = {"name": "pool", "serves": ["service"], "population": {"count": count, **draws}}
    return s


def test_population_draws_follow_their_distributions():
    """KS tests of 4,000 drawn agents against the stated distributions, and the power to reject
    a distribution 4 % off in the mean."""
    n = 4000
    model = model_of(population(n, proficiency={"dist": "lognormal", "mean": 1.2, "cv": 0.3},
                                conversion={"dist": "beta", "mean": 0.25, "sd": 0.08},
                                tenure_days={"dist": "gamma", "mean": 200, "cv": 0.5}))
    first = int(model.group_start[2])
    factor = model.agent_factor[first:first + n, model.call_type_names.index("service")]
    conversion, tenure = model.agent_conversion[first:], model.agent_tenure[first:]

    def lognormal(mean, cv):
        s2 = np.log1p(cv ** 2)
        return stats.lognorm(np.sqrt(s2), scale=mean * np.exp(-s2 / 2)).cdf

    m, v = 0.25, 0.08 ** 2
    total = m * (1 - m) / v - 1
    assert stats.kstest(factor, lognormal(1.2, 0.3)).pvalue > 0.001
    assert stats.kstest(conversion, stats.beta(m * total, (1 - m) * total).cdf).pvalue > 0.001
    assert stats.kstest(tenure, stats.gamma(4.0, scale=50.0).cdf).pvalue > 0.001
    assert stats.kstest(factor, lognormal(1.25, 0.3)).pvalue < 0.001  # power: a wrong mean is seen
    # the draws come from the group's own stream, in DRAWN order
    rng = np.random.Generator(np.random.PCG64(roster_stream(7, "pool")))
    s2 = np.log1p(0.09)
    np.testing.assert_array_equal(factor, rng.lognormal(np.log(1.2) - s2 / 2, np.sqrt(s2), n))


def test_scenarios_without_a_roster_compile_to_no_roster():
    model = model_of(SHIFTS)
    assert model.agent_factor.shape == (0, 0) and model.agent_ids == () and len(model.agent_acw_factor) == 0
    np.testing.assert_array_equal(model.group_proficiency, [1.0, 1.2])


# ---- the factors at work -------------------------------------------------------------------------

EXACT = {
    "name": "exact", "horizon": 20000, "interval": 900,
    "call_types": [call_type("sales", 0.03, {"dist": "deterministic", "value": 100},
                             after_call_work={"dist": "deterministic", "value": 10}),
                   call_type("service", 0.02, {"dist": "deterministic", "value": 50})],
    "agents": [{"name": "mixed", "serves": ["sales", "service"], "skills": {"sales": 1.5},
                "members": [{"id": "a", "skills": {"sales": 2.0}, "acw_factor": 1.5},
                            {"id": "b", "skills": {"service": 0.5}},
                            {"id": "c"}]}],
}


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_each_answered_call_talks_its_handle_time_times_the_agents_factor(engine):
    raw = run(EXACT, engine, seed=4)
    model = model_of(EXACT)
    rec = raw.call_records[raw.call_records["outcome"] == ANSWERED]
    expected = {(0, 0): 300.0, (0, 1): 50.0, (1, 0): 150.0, (1, 1): 25.0, (2, 0): 150.0, (2, 1): 50.0}
    for (agent, k), talk in expected.items():
        mine = (rec["agent"] == agent) & (rec["call_type"] == k)
        assert mine.sum() > 10
        np.testing.assert_array_equal(rec["talk"][mine], talk)
        assert model.agent_factor[agent, k] * 100.0 / (2.0 if k else 1.0) == talk
    np.testing.assert_array_equal(rec["acw"][(rec["agent"] == 0) & (rec["call_type"] == 0)], 15.0)
    np.testing.assert_array_equal(rec["acw"][(rec["agent"] == 1) & (rec["call_type"] == 0)], 10.0)


def test_a_factor_of_two_doubles_the_mean_talk():
    """Agent 'slow' (factor 2) talks twice the exponential mean: a 99.9 % CI over its calls."""
    s = {"name": "double", "horizon": 2000000, "interval": 3600,
         "call_types": [call_type("a", 0.004, {"dist": "exponential", "mean": 60})],
         "agents": [{"name": "g", "serves": ["a"], "members": [{"id": "slow", "skills": {"a": 2.0}}]}]}
    rec = ccsim.simulate(s, seed=3, call_records=True).calls()
    talk = rec[rec.outcome == "answered"].talk.to_numpy()
    assert len(talk) > 5000
    half = stats.t.ppf(0.9995, len(talk) - 1) * talk.std(ddof=1) / np.sqrt(len(talk))
    assert abs(talk.mean() - 120.0) < half
    assert abs(talk.mean() - 60.0 * 1.8) > half  # power: a factor 10 % off is told apart


# ---- per-member shifts ---------------------------------------------------------------------------

def test_a_members_own_shifts_are_its_own_table():
    model = model_of(ROSTER)
    roster = model.roster()
    wang, zhao = (int(roster.index[roster.id == name][0]) for name in ("wang", "zhao"))
    assert model.group_shifted.tolist() == [0, 1, 1]  # basic, experts, pool (compiled order)

    def table(agent):
        t = model.agent_sched[agent]
        lo, hi = model.sched_start[t], model.sched_start[t + 1]
        return model.sched_open[lo:hi].tolist(), model.sched_close[lo:hi].tolist()

    shift = ROSTER["agents"][0]["members"][1]["shifts"][0]
    assert table(wang) == tuple(week_on(Shift(**shift)))
    early, late = (week_on(Shift(start=a, end=b)) for a, b in (("06:00", "10:00"), ("16:00", "23:00")))
    assert table(zhao) == (sorted(early[0] + late[0]), sorted(early[1] + late[1]))
    assert model.agent_sched[int(roster.index[roster.id == "li"][0])] == -1  # no shifts: always on duty
    pool = roster.index[roster.group == "pool"]
    assert len({int(model.agent_sched[a]) for a in pool[:6]}) == 1 and model.agent_sched[pool[-1]] != \
        model.agent_sched[pool[0]]


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_members_answer_only_on_their_own_shifts(engine):
    raw = run(ROSTER, engine, seed=2)
    model = model_of(ROSTER)
    roster = model.roster()
    rec = raw.call_records[raw.call_records["outcome"] == ANSWERED]
    for name, spans in (("wang", [(9, 12), (13, 17)]), ("zhao", [(6, 10), (16, 23)])):
        agent = int(roster.index[roster.id == name][0])
        answered = (rec["arrival"] + rec["wait"])[rec["agent"] == agent] / 3600.0
        assert len(answered) > 3
        assert all(any(lo <= t <= hi for lo, hi in spans) for t in answered), (name, answered)
    li = int(roster.index[roster.id == "li"][0])  # always on duty: staffed all the run after the warm-up
    assert raw.agent_totals[li, AGENT_FIELDS.index("staffed")] == pytest.approx(DAY - 1800)


def test_shifted_groups_follow_the_compiled_group_order():
    """A group with shifts listed before one without (names in the other order)."""
    s = with_(ROSTER, agents=[{"name": "zz", "count": 2, "serves": ["sales", "service"],
                               "shifts": [{"start": "08:00", "end": "12:00"}]},
                              {"name": "aa", "count": 2, "serves": ["sales", "service"]}])
    model = model_of(s)
    assert model.group_names == ("aa", "zz") and model.group_shifted.tolist() == [0, 1]
    raw = run(s, "core", seed=1, records=False)
    staffed = raw.agent_totals[:, AGENT_FIELDS.index("staffed")]
    np.testing.assert_allclose(staffed[:2], DAY - 1800)
    assert np.all(staffed[2:] < 5 * 3600)


# ---- both engines --------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [1, 9])
def test_core_and_simpy_are_bit_identical_on_a_roster(seed):
    assert_same_run(run(ROSTER, "core", seed=seed), run(ROSTER, "simpy", seed=seed))


def test_shrinkage_with_members_own_shifts():
    """A group with shrinkage whose members have shifts of their own, or none: both engines bit
    for bit; members answer only on their own shifts; a member without shifts is always on duty;
    some member days are absent (fewer staffed hours than the shifts)."""
    s = copy.deepcopy(ROSTER)
    s["horizon"] = 4 * DAY
    s["agents"][0]["shrinkage"] = 0.4
    core, ref = run(s, "core", seed=3), run(s, "simpy", seed=3)
    assert_same_run(core, ref)
    roster = model_of(s).roster()
    rec = core.call_records[core.call_records["outcome"] == ANSWERED]
    for name, spans in (("wang", [(9, 12), (13, 17)]), ("zhao", [(6, 10), (16, 23)])):
        agent = int(roster.index[roster.id == name][0])
        hours = ((rec["arrival"] + rec["wait"])[rec["agent"] == agent] % DAY) / 3600.0
        assert len(hours) > 3 and all(any(lo <= t <= hi for lo, hi in spans) for t in hours), name
    staffed = core.agent_totals[:, AGENT_FIELDS.index("staffed")]
    li, wang = (int(roster.index[roster.id == n][0]) for n in ("li", "wang"))
    assert staffed[li] == pytest.approx(4 * DAY - 1800)
    # wang's absences, drawn independently here from the group's absence stream: on duty 7 h on
    # each day present (a call may run up to a few minutes past a break or the shift's end)
    from ccsim.schedules import absences
    model = model_of(s)
    group_first = int(model.group_start[model.group_names.index("experts")])
    absent = absences(model, 3)["experts"][wang - group_first][:4]
    present = 4 - int(absent.sum())
    assert present * 7 * 3600 <= staffed[wang] <= present * 7 * 3600 + 1800, (present, staffed[wang])


# ---- the per-agent table -------------------------------------------------------------------------

def test_result_agents_joins_the_roster_and_the_agents_statistics():
    results = ccsim.replicate(ROSTER, 2, seed=5)
    frame = results[0].agents()
    raw = results[0].stats
    assert list(frame.id[:2]) == ["basic-1", "basic-2"] and len(frame) == 17
    for i, name in enumerate(AGENT_FIELDS):
        np.testing.assert_array_equal(frame[name], raw.agent_totals[:, i])
    np.testing.assert_array_equal(frame.occupancy, frame.busy / frame.staffed)
    np.testing.assert_array_equal(frame.aht, (frame.talk + frame.acw) / frame.answered)
    assert frame.answered_sales.sum() + frame.answered_service.sum() == frame.answered.sum()
    assert frame.answered.sum() == results[0].kpis()["answered"]
    mean = mean_agents(results)
    np.testing.assert_array_equal(mean.talk, (results[0].agents().talk + results[1].agents().talk) / 2)
    np.testing.assert_array_equal(mean.occupancy, mean.busy / mean.staffed)
    assert list(mean.team) == list(frame.team)


# ---- bad rosters ---------------------------------------------------------------------------------

def _bad(change, group=0):
    s = copy.deepcopy(ROSTER)
    change(s["agents"][group])
    return s


def _set(path_value):
    def change(group):
        *keys, value = path_value
        target = group
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return change


def _pop(key):
    return lambda group: group["population"].pop(key)


BAD = {
    "skill_unknown_type": (_bad(_set(("members", 0, "skills", {"billing": 1.2}))),
                           "agents[0].members[0].skills.billing", "'billing' is not a call type group"),
    "skill_not_served": (_bad(lambda g: (g.pop("count"), g.update(members=[{"id": "x", "skills": {"sales": 0.9}}])),
                              group=2), "agents[2].members[0].skills.sales",
                         "'sales' is not a call type group 'basic' serves"),
    "group_skill_not_served": (_bad(_set(("skills", {"sales": 0.9})), group=2),
                               "agents[2].skills.sales", "is not a call type group 'basic' serves"),
    "duplicate_member_id": (_bad(_set(("members", 2, "id", "li"))), "agents[0].members[2].id",
                            "agent id 'li' is used twice"),
    "id_of_another_group": (_bad(_set(("members", 2, "id", "basic-2"))), "agents[0].members[2].id",
                            "it is also agent 2 of group 'basic'"),
    "squad_in_two_teams": (_bad(_set(("members", 2, "squad", "n1"))), "agents[0].members[2].squad",
                           "a squad belongs to one team"),
    "two_leaders": (_bad(_set(("members", 1, "leader", True))), "agents[0].members[1].leader",
                    "squad 'n1' has two leaders"),
    "leader_without_squad": (_bad(_set(("members", 2, "leader", True))), "agents[0].members[2].leader",
                             "a leader leads a squad"),
    "count_with_members": (_bad(_set(("count", 3))), "agents[0].members",
                           "give exactly one of count, members and population (found count and members)"),
    "no_agents": (_bad(lambda g: g.pop("members")), "agents[0].count", "found none"),
    "normal_factor": (_bad(_set(("population", "proficiency", {"dist": "normal", "mean": 1, "sd": 0.3})), group=1),
                      "agents[1].population.proficiency", "a normal distribution can draw a proficiency outside"),
    "uniform_below_zero": (_bad(_set(("population", "acw_factor", {"dist": "uniform", "low": -0.1, "high": 1})),
                                group=1), "agents[1].population.acw_factor", "can draw a acw_factor outside"),
    "lognormal_fraction": (_bad(_set(("population", "conversion", {"dist": "lognormal", "mean": 0.2, "cv": 1})),
                                group=1), "agents[1].population.conversion", "use beta"),
    "beta_too_wide": (_bad(_set(("population", "qa_fatal", {"dist": "beta", "mean": 0.1, "sd": 0.4})), group=1),
                      "agents[1].population.qa_fatal.sd", "sd^2 < mean (1 - mean)"),
    "beta_sd_underflows": (_bad(_set(("population", "qa_fatal", {"dist": "beta", "mean": 0.1, "sd": 1e-302})),
                                group=1), "agents[1].population.qa_fatal.sd", "greater than or equal to 1e-06"),
    "constant_out_of_range": (_bad(_set(("population", "conversion", {"dist": "constant", "value": 1.5})),
                                   group=1), "agents[1].population.conversion.value", "outside [0, 1]"),
    "team_twice": (_bad(_set(("population", "teams", ["a", "a"])), group=1), "agents[1].population.teams[1]",
                   "listed twice"),
    "member_shift_agents": (_bad(_set(("members", 1, "shifts", 0, "agents", 2))),
                            "agents[0].members[1].shifts[0].agents", "'agents' is for a group's shifts"),
    "member_shift_bad": (_bad(_set(("members", 1, "shifts", 0, "breaks", 0, "start", "18:00"))),
                         "agents[0].members[1].shifts[0].breaks[0]", "not inside its shift"),
    "group_shifts_too_many": (_bad(_set(("shifts", [{"start": "08:00", "end": "12:00", "agents": 2}]))),
                              "agents[0].shifts", "the group has 1 without shifts of their own"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_rosters_are_refused_with_the_path(case):
    scenario, path, words = BAD[case]
    assert_refused(scenario, path, words)


def test_cli_refuses_a_bad_roster_with_exit_2(tmp_path):
    assert_cli_refused(tmp_path, BAD["two_leaders"][0], "agents[0].members[1].leader")
