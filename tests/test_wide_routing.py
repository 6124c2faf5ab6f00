"""Wide routing (``CompiledModel.wide_routing``, ``idle_classes``, ``waiting_classes``): a call
type served by many groups finds its longest-idle agent through classes of groups, and a group
serving many types its caller through classes of types (or the types with callers waiting).
All are shortcuts through a total order, so a run must be the same as with the plain scans, and
the same as the SimPy engine's, ties included."""
import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from ccsim import compile as compile_module
from engine_checks import assert_same_run, run

N = 20  # types and groups: above compile.WIDE_ROUTING (16)


def flat(queue_selection="longest_waiting", agent_selection="longest_idle", n=N, per_group=3, horizon=4000,
         head_start=None):
    """n call types, n groups of ``per_group`` agents each serving every type (in a rotated order),
    loaded to about 97 % so queues form, plus an IVR entry that puts callers on priority level 1 of
    a random type's queue."""
    agents = n * per_group
    rate = agents * 0.97 / 120.0
    types = [f"t{i}" for i in range(n)]
    s = {
        "name": "flat", "horizon": horizon, "interval": 500,
        "call_types": [{"name": t, "arrivals": {"process": "poisson", "rate": 0.8 * rate / n},
                        "handle_time": {"dist": "exponential", "mean": 120 * (1 + (i % 3) / 4)},
                        "patience": {"dist": "exponential", "mean": 200}} for i, t in enumerate(types)],
        "agents": [{"name": f"g{j}", "count": per_group, "serves": types[j:] + types[:j]} for j in range(n)],
        "entries": [{"name": "vip", "arrivals": {"process": "poisson", "rate": 0.2 * rate}, "ivr": "menu"}],
        "ivr": [{"name": "menu", "nodes": [{"name": "pick", "duration": {"dist": "deterministic", "value": 5},
                                            "branches": [{"p": 1 / n, "queue": t, "priority": 1}
                                                         for t in types]}]}],
        "routing": {"queue_selection": queue_selection, "agent_selection": agent_selection},
    }
    if head_start is not None:
        s["routing"]["level_head_start"] = [0, head_start]
    if queue_selection == "skill_priority":
        s["routing"]["skill_priorities"] = {f"g{j}": {t: 1 + (i + j) % 4 for i, t in enumerate(types)}
                                            for j in range(n)}
    if queue_selection == "weighted_wait":
        s["routing"]["wait_targets"] = {t: 10.0 + 7 * i for i, t in enumerate(types)}
    return s


def test_the_center_routes_wide():
    """The test center takes the wide paths (else the tests below compare a path with itself)."""
    from ccsim.scenario import validate_scenario

    model = compile_module.compile_scenario(validate_scenario(flat()))
    type_wide, group_wide, group_bits = model.wide_routing
    assert type_wide.all() and group_wide.all()
    assert group_bits.shape == (N, 1)
    assert all(int(w) == (1 << N) - 1 for w in group_bits[:, 0])


@pytest.mark.parametrize("queue_selection", ["longest_waiting", "skill_priority", "weighted_wait", "priority"])
@pytest.mark.parametrize("agent_selection, head_start", [("longest_idle", None), ("fewest_calls", None),
                                                         ("longest_idle", 30)])
def test_wide_routing_makes_the_plain_scans_run(monkeypatch, queue_selection, agent_selection, head_start):
    scenario = flat(queue_selection, agent_selection, head_start=head_start)
    wide = run(scenario, "core")
    monkeypatch.setattr(compile_module, "WIDE_ROUTING", 10**6)  # no type or group is wide
    monkeypatch.setattr(compile_module, "WIDE_ROUTING_WORDS", -1)  # and no classes
    plain = run(scenario, "core")
    assert_same_run(wide, plain)
    records = wide.call_records
    assert (records["wait"] > 0).mean() > 0.3  # queues formed: the choices among them mattered
    assert len(np.unique(records["source"])) == N + 1


@pytest.mark.parametrize("queue_selection, head_start", [("longest_waiting", None), ("weighted_wait", None),
                                                         ("longest_waiting", 30)])
def test_wide_routing_matches_the_simpy_engine(queue_selection, head_start):
    scenario = flat(queue_selection, horizon=1500, head_start=head_start)
    assert_same_run(run(scenario, "core"), run(scenario, "simpy"))


def test_a_rule_on_a_pair_keeps_its_group_and_type_on_the_plain_scans(monkeypatch):
    """A group or type with a rule on one of its pairs is not wide (the shortcut ignores rules);
    the others still are, and the run is the plain scans' run."""
    from ccsim.scenario import validate_scenario

    scenario = flat()
    scenario["routing"]["overflow"] = [{"call_type": "t3", "group": "g5", "after": 20}]
    model = compile_module.compile_scenario(validate_scenario(copy.deepcopy(scenario)))
    type_wide, group_wide, _ = model.wide_routing
    assert not type_wide[model.call_type_names.index("t3")] and not group_wide[model.group_names.index("g5")]
    assert type_wide.sum() == N - 1 and group_wide.sum() == N - 1
    wide = run(scenario, "core")
    monkeypatch.setattr(compile_module, "WIDE_ROUTING", 10**6)
    monkeypatch.setattr(compile_module, "WIDE_ROUTING_WORDS", -1)
    assert_same_run(wide, run(scenario, "core"))


def test_masks_too_large_for_their_word_budget_fall_back_to_the_plain_scans(monkeypatch):
    from ccsim.scenario import validate_scenario

    monkeypatch.setattr(compile_module, "WIDE_ROUTING_WORDS", 10)
    model = compile_module.compile_scenario(validate_scenario(flat()))
    _, group_wide, group_bits = model.wide_routing
    assert not group_wide.any() and group_bits.size == 0
    monkeypatch.setattr(compile_module, "WIDE_ROUTING_WORDS", 19)  # one class each way: 20 words
    model = compile_module.compile_scenario(validate_scenario(flat()))
    _, class_bits, type_classed = model.idle_classes
    _, type_class_bits, group_classed = model.waiting_classes
    assert not type_classed.any() and not group_classed.any() and class_bits.size == type_class_bits.size == 0


# Classes of groups (CompiledModel.idle_classes): the groups serving the same set of types keep one
# order of their idle lists' heads. Agents become idle at the very same instant when shifts and
# breaks start together or equal talks end together; among heads idle since the same time the
# lower agent index goes first, while within a group the list keeps push order. Classes of types
# (CompiledModel.waiting_classes) the same way for queue heads: callers of several types that
# arrive at the same instant (replayed times on a grid), the lower call type first.
tied_durations = hs.sampled_from([
    {"dist": "deterministic", "value": 60},
    {"dist": "deterministic", "value": 120},
    {"dist": "empirical", "values": [30, 30, 90]},
])
shift_menu = hs.sampled_from([
    None,
    [{"start": "00:10", "end": "01:30"}],
    [{"start": "00:10", "end": "01:30", "breaks": [{"start": "00:30", "minutes": 10}]}],
    [{"start": "00:00", "end": "00:40", "agents": 1}, {"start": "00:20", "end": "01:30"}],  # the rest
    [{"start": "00:20", "end": "01:30",
      "breaks": [{"start": "00:40", "minutes": 10}, {"start": "01:00", "minutes": 5}]}],
])


@hs.composite
def tied_classes(draw):
    """Small centers with few type sets over several groups (their types are served through
    classes, and their groups serve classes of types), shifts and breaks starting together, tied
    talk times, and arrivals on a grid of times shared by the types."""
    n_types = draw(hs.integers(1, 3))
    names = [f"t{k}" for k in range(n_types)]
    types = [{"name": t, "arrivals": draw(hs.one_of(
                  hs.builds(lambda rate: {"process": "poisson", "rate": rate}, hs.floats(0.05, 0.4)),
                  hs.builds(lambda ts: {"process": "replay", "times": sorted(ts), "repeat_every": 1800},
                            hs.lists(hs.sampled_from(range(0, 1800, 30)), min_size=1, max_size=60)))),
              "handle_time": draw(tied_durations),
              "patience": draw(hs.sampled_from([{"dist": "deterministic", "value": 600},
                                                {"dist": "exponential", "mean": 120}]))}
             for t in names]
    sets = draw(hs.lists(hs.lists(hs.sampled_from(names), min_size=1, unique=True), min_size=1, max_size=2))
    groups = []
    for g in range(draw(hs.integers(2, 6))):
        group = {"name": f"g{g}", "count": draw(hs.integers(1, 3)), "serves": draw(hs.sampled_from(sets))}
        shifts = copy.deepcopy(draw(shift_menu))
        if shifts is not None and len(shifts) == 2:
            group["count"] += 1
            shifts[1]["agents"] = group["count"] - 1
        if shifts is not None:
            group["shifts"] = shifts
        groups.append(group)
    unserved = set(names) - {t for g in groups for t in g["serves"]}
    if unserved:
        groups.append({"name": "rest", "count": 1, "serves": sorted(unserved)})
    return {"horizon": 5400, "interval": 600, "call_types": types, "agents": groups}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=tied_classes(), seed=hs.integers(0, 2**32 - 1))
def test_classes_pick_the_plain_scans_agent_under_ties(scenario, seed):
    classed = run(scenario, "core", seed)
    assert_same_run(classed, run(scenario, "simpy", seed))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compile_module, "WIDE_ROUTING_WORDS", -1)  # no classes: the plain scans
        assert_same_run(classed, run(scenario, "core", seed))


def test_the_tied_centers_use_classes():
    """Groups sharing a set of types make a class, and their types go through it; types served by
    the same groups make a class, and groups serving fewer classes than types go through them
    (else the test above compares a path with itself)."""
    from ccsim.scenario import validate_scenario

    scenario = {"horizon": 600, "call_types": [{"name": t, "arrivals": {"process": "poisson", "rate": 0.1},
                                                "handle_time": {"dist": "deterministic", "value": 60}}
                                               for t in ("a", "b")],
                "agents": [{"name": "g0", "count": 2, "serves": ["a", "b"]},
                           {"name": "g1", "count": 1, "serves": ["b"]},
                           {"name": "g2", "count": 2, "serves": ["b", "a"]}]}
    group_class, class_bits, type_classed = compile_module.compile_scenario(validate_scenario(scenario)).idle_classes
    assert group_class.tolist() == [0, 1, 0]
    assert class_bits[:, 0].tolist() == [0b01, 0b11]
    assert type_classed.tolist() == [1, 1]  # a: one class over two groups; b: two classes over three
    type_class, type_bits, group_classed = compile_module.compile_scenario(validate_scenario(scenario)).waiting_classes
    assert type_class.tolist() == [0, 1]  # a: served by g0, g2; b: by all three
    assert type_bits[:, 0].tolist() == [0b11, 0b10, 0b11]
    assert group_classed.tolist() == [0, 0, 0]  # each group serves as many classes as types
    scenario["agents"][1]["serves"] = ["a", "b"]  # every group serves both: one class of two types
    type_class, _, group_classed = compile_module.compile_scenario(validate_scenario(scenario)).waiting_classes
    assert type_class.tolist() == [0, 0] and group_classed.tolist() == [1, 1, 1]


def test_many_types_match_the_simpy_engine():
    """40 types (the core prefetches rows of the interval table past 33 types) and 40 groups,
    every group serving every type: one class each way. No IVR entry (a menu has at most 32 branches)."""
    from ccsim.scenario import validate_scenario

    scenario = flat(n=40, per_group=2, horizon=1500)
    del scenario["entries"], scenario["ivr"]
    model = compile_module.compile_scenario(validate_scenario(copy.deepcopy(scenario)))
    assert model.idle_classes[2].all() and model.waiting_classes[2].all()
    assert_same_run(run(scenario, "core"), run(scenario, "simpy"))
