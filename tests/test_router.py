"""The Python router API: routers that re-implement built-in policies give bit-identical runs
to them, in the core and in the SimPy engine; timers; a router's bad answers are refused."""
import copy

import numpy as np
import pytest
from engine_checks import assert_same_run
from test_routing_policies import CENTER

import ccsim
from ccsim.compile import compile_scenario
from ccsim.engines import ENGINES
from ccsim.router import LongestIdle, OrderedPriority, answer_number
from ccsim.results import OUTCOMES
from ccsim.scenario import validate_scenario

ANSWERED = OUTCOMES.index("answered")


class Backup(ccsim.Router):
    """Group 'cross' (index 0 after compile's sorting) takes sales only after 30 s, by a timer."""

    def __init__(self, model):
        self.cross = model.group_names.index("cross")
        self.sales = model.call_type_names.index("sales")

    def allowed(self, center, g, k, arrival):
        return g != self.cross or k != self.sales or center.now >= arrival + 30.0

    def on_arrival(self, center, call_type):
        for g in center.groups_serving(call_type):
            idle = center.idle_agents(g)
            if idle and self.allowed(center, g, call_type, center.now):
                return idle[0]
        if call_type == self.sales:
            center.set_timer(center.now + 30.0, 1)
        return None

    def on_agent_free(self, center, agent):
        g = center.group_of(agent)
        heads = [(center.oldest_arrival(k), k) for k in center.types_served(g)
                 if center.waiting(k) and self.allowed(center, g, k, center.oldest_arrival(k))]
        return min(heads)[1] if heads else None

    def on_timer(self, center, tag):
        idle = center.idle_agents(self.cross)
        if idle and center.waiting(self.sales) and center.now >= center.oldest_arrival(self.sales) + 30.0:
            center.assign(idle[0], self.sales)


def scenario(agent, queue):
    s = copy.deepcopy(CENTER)
    s["routing"] = {"agent_selection": agent, "queue_selection": queue}
    return s


@pytest.mark.parametrize("router, agent, queue", [(LongestIdle, "longest_idle", "longest_waiting"),
                                                  (OrderedPriority, "ordered_groups", "priority")])
@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_a_router_reimplementing_a_builtin_policy_gives_the_same_run(router, agent, queue, engine):
    model = compile_scenario(validate_scenario(scenario(agent, queue)))
    builtin = ENGINES["core"](model, 4, call_records=True)
    routed = ENGINES[engine](model, 4, call_records=True, router=router())
    assert_same_run(builtin, routed)
    assert builtin.call_records.size > 1000


def test_a_router_with_timers_gives_the_same_run_in_both_engines():
    model = compile_scenario(validate_scenario(scenario("longest_idle", "longest_waiting")))
    core = ENGINES["core"](model, 9, call_records=True, router=Backup(model))
    ref = ENGINES["simpy"](model, 9, call_records=True, router=Backup(model))
    assert_same_run(core, ref)
    rec = core.call_records
    cross = (rec["outcome"] == ANSWERED) & (rec["group"] == model.group_names.index("cross")) \
        & (rec["call_type"] == model.call_type_names.index("sales"))
    assert cross.sum() > 10
    assert rec["wait"][cross].min() >= 30.0 - 1e-9


def test_simulate_and_replicate_take_a_router():
    s = scenario("ordered_groups", "priority")
    a = ccsim.simulate(s, seed=2, router=OrderedPriority())
    b = ccsim.simulate(s, seed=2)
    assert a.kpis() == b.kpis()
    reps = ccsim.replicate(s, 2, seed=2, router=OrderedPriority())
    assert [r.kpis() for r in reps] == [r.kpis() for r in ccsim.replicate(s, 2, seed=2)]


class Busy(ccsim.Router):
    def on_arrival(self, center, call_type):
        return 10 ** 6


class WrongType(ccsim.Router):
    def on_arrival(self, center, call_type):
        return None

    def on_agent_free(self, center, agent):
        served = center.types_served(center.group_of(agent))
        return next((k for k in range(center.model.n_types) if k not in served), center.model.n_types)


class Raises(ccsim.Router):
    def on_arrival(self, center, call_type):
        raise KeyError("my bug")


@pytest.mark.parametrize("engine", ["core", "simpy"])
@pytest.mark.parametrize("router, error, words", [
    (Busy(), ccsim.RouterError, "router.on_arrival returned agent 1000000, which is not an agent number"),
    (WrongType(), ccsim.RouterError, "router.on_agent_free returned call type"),
    (Raises(), KeyError, "my bug"),
])
def test_a_routers_bad_answer_or_error_stops_the_run_with_it(engine, router, error, words):
    model = compile_scenario(validate_scenario(scenario("longest_idle", "longest_waiting")))
    with pytest.raises(error, match=words.replace("(", r"\(")):
        ENGINES[engine](model, 1, router=router)


class Answers(ccsim.Router):
    """Answers ``value`` to every hook."""

    def __init__(self, value):
        self.value = value

    def on_arrival(self, center, call_type):
        return self.value

    def on_agent_free(self, center, agent):
        return self.value


@pytest.mark.parametrize("engine", ["core", "simpy"])
@pytest.mark.parametrize("value", [0.0, np.float64(0.0), np.float32(0.0), "zero", "0", False, True, object(), [0]])
def test_an_answer_that_is_no_whole_number_is_refused_by_both_engines(engine, value):
    model = compile_scenario(validate_scenario(scenario("longest_idle", "longest_waiting")))
    with pytest.raises(ccsim.RouterError, match="router.on_arrival returned agent .*which is not an agent number"):
        ENGINES[engine](model, 1, router=Answers(value))


def test_answer_number_takes_integers_only():
    """A bool was agent 1 (or 0), a string was parsed, np.float32(3.0) was agent 3: an answer is
    taken as the center's methods take their arguments (router.argument)."""
    assert [answer_number(v) for v in (3, np.int64(3), np.int32(3), np.uint8(3))] == [3, 3, 3, 3]
    assert [answer_number(v) for v in (3.0, np.float64(3.0), np.float32(3.0), "3", "3.5", True, False, None,
                                       [3])] == [None] * 9


class Timer(ccsim.Router):
    """Sets one timer at ``time`` at the first arrival."""

    def __init__(self, time):
        self.time = time

    def on_arrival(self, center, call_type):
        self.__dict__.setdefault("set", center.set_timer(self.time, 0))


@pytest.mark.parametrize("engine", ["core", "simpy"])
@pytest.mark.parametrize("time", ["10", True, None, [5.0]])
def test_a_timer_at_no_number_is_a_router_error_in_both_engines(engine, time):
    """The core raised Cython's bare TypeError ('must be real number, not str'), the SimPy twin
    took "10" as 10.0."""
    model = compile_scenario(validate_scenario(scenario("longest_idle", "longest_waiting")))
    with pytest.raises(ccsim.RouterError, match=r"center.set_timer: time .* is not a number of seconds"):
        ENGINES[engine](model, 1, router=Timer(time))


def test_assign_outside_a_timer_is_refused():
    class Early(ccsim.Router):
        def on_arrival(self, center, call_type):
            center.assign(0, call_type)

    model = compile_scenario(validate_scenario(scenario("longest_idle", "longest_waiting")))
    for engine in ("core", "simpy"):
        with pytest.raises(ccsim.RouterError, match="only be called from on_timer"):
            ENGINES[engine](model, 1, router=Early())


CALLS = {"horizon": 100, "call_types": [{"name": "a", "arrivals": {"process": "replay", "times": [1, 2]},
                                         "handle_time": {"dist": "deterministic", "value": 10}}],
         "agents": [{"name": "g", "count": 2, "serves": ["a"]}]}


@pytest.mark.parametrize("engine", ["core", "simpy"])
@pytest.mark.parametrize("call, words", [
    ("center.group_of(-1)", "center.group_of: agent -1 is not an agent number (0 to 1)"),
    ("center.calls_answered(99)", "center.calls_answered: agent 99 is not an agent number (0 to 1)"),
    ("center.idle_since(2)", "center.idle_since: agent 2 is not an agent number (0 to 1)"),
    ("center.waiting(7)", "center.waiting: call type 7 is not a call type number (0 to 0)"),
    ("center.waiting(-1)", "center.waiting: call type -1 is not a call type number (0 to 0)"),
    ("center.oldest_arrival(3)", "center.oldest_arrival: call type 3 is not a call type number (0 to 0)"),
    ("center.idle_agents(1_000_000)", "center.idle_agents: group 1000000 is not a group number (0 to 0)"),
    ("center.groups_serving(9)", "center.groups_serving: call type 9 is not a call type number (0 to 0)"),
    ("center.types_served(-5)", "center.types_served: group -5 is not a group number (0 to 0)"),
    ("center.handle_factor(9, 0)", "center.handle_factor: agent 9 is not an agent number (0 to 1)"),
    ("center.handle_factor(0, 0.0)", "center.handle_factor: call type 0.0 is not a call type number (0 to 0)"),
    ("center.set_timer(5, 2**33)", "center.set_timer: tag 8589934592 is not an int from -2**31 to 2**31 - 1"),
    ("center.set_timer(5, 0.5)", "center.set_timer: tag 0.5 is not an int from -2**31 to 2**31 - 1"),
    ("center.group_of(np.float32(0.7))", "center.group_of: agent np.float32(0.7) is not an agent number (0 to 1)"),
    ("center.group_of('1')", "center.group_of: agent '1' is not an agent number (0 to 1)"),
    ("center.group_of(True)", "center.group_of: agent True is not an agent number (0 to 1)"),
])
def test_what_a_router_passes_to_the_center_is_checked_alike_in_both_engines(engine, call, words):
    """The core read its C arrays at any index a router passed: group_of(-1) returned garbage,
    handle_factor(9, 0) and idle_agents(1_000_000) crashed the process (segmentation fault);
    the twin raised IndexError, or wrapped -1 to the last. Both raise the same RouterError."""
    class Probe(ccsim.Router):
        def on_arrival(self, center, call_type):
            eval(call)

    with pytest.raises(ccsim.RouterError) as caught:
        ccsim.simulate(CALLS, engine=engine, router=Probe())
    assert str(caught.value) == words


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_assign_checks_its_numbers_alike_in_both_engines(engine):
    """assign(0.7, 0.9) was truncated to (0, 0) by the core, a TypeError in the twin; 2**33 an
    OverflowError in the core, 'not idle' in the twin."""
    for args, words in (((0.7, 0), "center.assign: agent 0.7 is not an agent number (0 to 1)"),
                        ((0, 0.9), "center.assign: call type 0.9 is not a call type number (0 to 0)"),
                        ((2**33, 0), "center.assign: agent 8589934592 is not an agent number (0 to 1)")):
        class Late(ccsim.Router):
            def on_arrival(self, center, call_type):
                center.set_timer(center.now + 0.5, 1)

            def on_timer(self, center, tag):
                center.assign(*args)

        with pytest.raises(ccsim.RouterError) as caught:
            ccsim.simulate(CALLS, engine=engine, router=Late())
        assert str(caught.value) == words


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_longest_idle_ties_within_a_group_follow_the_order_agents_became_idle(engine):
    """Agents 0 and 1 free at t=100, agent 1's talk end scheduled first: the call at 200 goes to
    agent 1 (the documented rule: in the order they became idle), and the LongestIdle router,
    which took the lower index among all idle agents, now gives the built-in's run."""
    data = {"horizon": 1000, "routing": {"agent_selection": "longest_idle"},
            "call_types": [{"name": n, "arrivals": {"process": "replay", "times": [t]},
                            "handle_time": {"dist": "deterministic", "value": h}}
                           for n, t, h in (("a", 0, 50), ("b", 1, 99), ("c", 60, 40), ("d", 200, 10))],
            "agents": [{"name": "g", "count": 2, "serves": ["a", "b", "c", "d"]}]}
    built_in = ccsim.simulate(data, engine=engine, call_records=True)
    routed = ccsim.simulate(data, engine=engine, call_records=True, router=LongestIdle())
    calls = built_in.calls()
    assert int(calls.loc[calls["call_type"] == "d", "agent"].iloc[0]) == 1
    np.testing.assert_array_equal(built_in.stats.call_records, routed.stats.call_records)


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_numpy_integers_are_numbers_the_center_takes(engine):
    class Numpy(ccsim.Router):
        def on_arrival(self, center, call_type):
            assert center.group_of(np.int64(1)) == center.group_of(1) == 0
            assert center.waiting(np.int32(0)) == center.waiting(0)
            return None

    ccsim.simulate(CALLS, engine=engine, router=Numpy())


class Rotation(ccsim.Router):
    """Answers with the idle agent at a rotating position: state kept over a run."""

    def __init__(self, reset=True):
        self.turn, self.resets = 0, reset

    def reset(self):
        if self.resets:
            self.turn = 0

    def on_arrival(self, center, call_type):
        idle = [a for g in center.groups_serving(call_type) for a in center.idle_agents(g)]
        self.turn += 1
        return idle[self.turn % len(idle)]

    def on_agent_free(self, center, agent):
        waiting = [k for k in center.types_served(center.group_of(agent)) if center.waiting(k)]
        return waiting[0] if waiting else None


def test_replicate_resets_a_router_before_each_replication():
    """One router object routes every replication: its state of replication 0 changed
    replication 1 (ASA 12.90 against 11.95 with a fresh router); reset() is called before each."""
    data = scenario("longest_idle", "longest_waiting")
    runs = ccsim.replicate(data, 3, seed=5, router=Rotation())
    for rep, result in enumerate(runs):
        alone = ccsim.simulate(data, seed=ccsim.replication_seed(5, rep), router=Rotation())
        assert result.kpis() == alone.kpis()
    kept = ccsim.replicate(data, 3, seed=5, router=Rotation(reset=False))  # the test can fail
    assert [r.kpis() for r in kept[1:]] != [r.kpis() for r in runs[1:]]
