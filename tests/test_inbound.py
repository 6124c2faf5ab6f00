"""The inbound path: entries, IVR menus, lines, queue limits and retrials.

Both engines against each other bit for bit, every caller accounted for once,
and bad menus refused with the path of the bad field.
"""
import copy

import numpy as np
import pytest
import yaml
from engine_checks import assert_cli_refused, assert_refused, assert_same_run, fields, run
from factories import priority_pair
from inbound_scenarios import EVERYTHING, INBOUND, INBOUND_MEDIA, with_

import ccsim
from ccsim.cli import cli
from ccsim.results import CALL_FIELDS, CALLER_FIELDS, ENTRY_FIELDS, NODE_FIELDS
from ccsim.scenario import ScenarioError, validate_scenario

def routed() -> dict:
    """INBOUND with the routing tables and queue priority levels: ordered groups (service tries
    back first), strict priority by the groups' serves order (front takes service before sales),
    and menu callers to sales and to complaints on higher levels than the rest."""
    s = copy.deepcopy(INBOUND)
    s["routing"] = {"agent_selection": "ordered_groups", "queue_selection": "priority"}
    s["agents"][0]["serves"] = ["service", "sales"]
    s["call_types"][1]["groups"] = ["back", "front"]
    s["ivr"][0]["nodes"][0]["branches"][0]["priority"] = 2
    s["ivr"][0]["nodes"][1]["branches"][1]["priority"] = 1
    return s


ROUTED = routed()


# ---------------------------------------------------------------- both engines, bit for bit
CASES = {
    "drain": INBOUND,
    "cut": with_(INBOUND, drain=False),
    "no_lines": with_(INBOUND, lines=None),
    "media": INBOUND_MEDIA,
    "media_cut": with_(INBOUND_MEDIA, drain=False),
    "everything": EVERYTHING,
    "everything_cut": with_(EVERYTHING, drain=False),
    "routed": ROUTED,
    "routed_cut": with_(ROUTED, drain=False),
}


COMPARED_SEEDS = (1, 7)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("seed", COMPARED_SEEDS)
def test_core_and_simpy_are_bit_identical(case, seed):
    core, ref = run(CASES[case], "core", seed), run(CASES[case], "simpy", seed)
    assert_same_run(core, ref)


def test_the_shared_scenario_exercises_every_outcome():
    """So that the bit-for-bit comparison covers what it claims (over the seeds it runs)."""
    runs = [run(INBOUND, "core", seed) for seed in COMPARED_SEEDS]
    calls = fields(sum(stats.total_calls for stats in runs), CALL_FIELDS)
    entries = fields(sum(stats.total_entries.sum(axis=0) for stats in runs), ENTRY_FIELDS)
    callers = fields(sum(stats.callers.sum(axis=0) for stats in runs), CALLER_FIELDS)
    for name in ("blocked", "queue_full", "retrials", "routed", "abandoned", "answered"):
        assert calls[name].sum() > 0, name
    assert calls["queue_full"][1] > 0  # the type with the queue-full message
    for name in ("blocked", "retrials", "ivr_hung_up", "hang_up", "self_service", "voicemail", "routed"):
        assert entries[name] > 0, name
    for name in ("served", "abandoned", "blocked", "ivr_hung_up", "retry_after_horizon"):
        assert callers[name] > 0, name
    cut = run(CASES["cut"], "core", 1)
    assert fields(cut.callers.sum(axis=0), CALLER_FIELDS)["in_system_at_end"] > 0


# ---------------------------------------------------------------- conservation
@pytest.mark.parametrize("engine", ["core", "simpy"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_caller_is_accounted_for_once(engine, case):
    stats = run(CASES[case], engine, 3)
    callers = stats.callers
    np.testing.assert_array_equal(callers[:, 0], callers[:, 1:-1].sum(axis=1))
    assert callers[:, 0].sum() > 0


@pytest.mark.parametrize("engine", ["core", "simpy"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_attempt_is_accounted_for_once(engine, case):
    stats = run(CASES[case], engine, 5)
    for array in (stats.interval_calls, stats.total_calls):
        c = fields(array, CALL_FIELDS)
        # closed: dialled straight while closed (messaged, voicemail, or forwarded and counted again
        # at the on-duty type); callbacks accepted left the queue for a callback
        np.testing.assert_array_equal(c["arrived"], c["blocked"] + c["offered"] + c["closed"]
                                      + c["callbacks_accepted"])
        np.testing.assert_array_equal(c["offered"], c["answered"] + c["abandoned"] + c["waiting_at_end"])
    for array in (stats.interval_entries, stats.total_entries):
        e = fields(array, ENTRY_FIELDS)
        ended = (e["blocked"] + e["ivr_hung_up"] + e["hang_up"] + e["self_service"] + e["voicemail"]
                 + e["routed"] + e["in_ivr_at_end"] + e["closed"])
        np.testing.assert_array_equal(e["arrived"], ended)
    # what menus route to the call types is what the call types receive from menus
    assert stats.total_entries[:, ENTRY_FIELDS.index("routed")].sum() == \
        stats.total_calls[:, CALL_FIELDS.index("routed")].sum()


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_media_callers_are_attributed_through_menus_and_retrials(engine):
    stats = run(INBOUND_MEDIA, engine, 3)
    for table in (stats.interval_channels, stats.total_channels, stats.airing_calls):
        np.testing.assert_array_equal(table[..., 0], table[..., 1:-1].sum(axis=-1))  # each caller once
    # the channels split the callers of the sources they ring (counts exactly; the time in center,
    # summed in another order, to rounding)
    by_channel, by_source = stats.total_channels.sum(axis=0), stats.callers.sum(axis=0)
    np.testing.assert_array_equal(by_channel[:-1], by_source[:-1])
    assert CALLER_FIELDS[-1] == "time_in_center"
    np.testing.assert_allclose(by_channel[-1], by_source[-1], rtol=1e-12)
    tv = stats.total_channels[1]
    assert tv[CALLER_FIELDS.index("ivr_hung_up")] > 0 and tv[CALLER_FIELDS.index("served")] > 0
    records = stats.call_records
    tv_attempts = records[records["channel"] == 0]
    assert (tv_attempts["source"] == 3).all() and tv_attempts["attempt"].max() > 1  # the hotline, retrials


def test_node_counts_add_up():
    stats = run(INBOUND, "core", 2)
    n = fields(stats.node_totals, NODE_FIELDS)
    left = n["hung_up"] + n["to_node"] + n["to_queue"] + n["self_service"] + n["hang_up"] + n["voicemail"]
    np.testing.assert_array_equal(n["entered"], left)
    # every visit of 'support' comes from 'welcome'; warm-up: entries counted by their ring
    assert n["entered"][1] <= n["to_node"][0]


# ---------------------------------------------------------------- semantics
def test_lines_are_held_through_the_menu():
    """With one line and a long menu, a second caller during the first one's menu is blocked."""
    s = with_(INBOUND, lines=1)
    stats = run(s, "core", 1)
    assert fields(stats.total_entries.sum(axis=0), ENTRY_FIELDS)["blocked"] > 0


def test_retrials_stop_at_max_attempts():
    s = copy.deepcopy(INBOUND)
    s["call_types"][0]["retrials"]["max_attempts"] = 1
    s["entries"][0]["retrials"]["max_attempts"] = 1
    stats = run(s, "core", 1)
    assert stats.total_calls[:, CALL_FIELDS.index("retrials")].sum() == 0
    assert stats.total_entries[:, ENTRY_FIELDS.index("retrials")].sum() == 0
    records = stats.call_records
    assert records["attempt"].max() == 1
    s["call_types"][0]["retrials"]["max_attempts"] = 2
    records = run(s, "core", 1).call_records
    assert records["attempt"].max() == 2


def test_records_number_callers_and_attempts():
    records = run(INBOUND, "simpy", 4).call_records
    ids = records["id"]
    for caller in np.unique(ids[records["attempt"] > 1])[:50]:
        attempts = records["attempt"][ids == caller]
        assert sorted(attempts) == list(range(1, len(attempts) + 1))
        assert len(set(records["source"][ids == caller])) == 1


def test_result_tables_and_lost_call_breakdown():
    result = ccsim.simulate(INBOUND, seed=2)
    lost = result.lost_calls()
    assert lost["lost"] == lost["blocked_lines"] + lost["blocked_queue_full"] + lost["abandoned"]
    assert lost["attempts"] == lost["first_attempts"] + lost["retrials"]
    # after a warm-up, some retrials belong to callers who first rang before it; without one,
    # the callers are exactly the first attempts
    assert lost["callers"] < lost["first_attempts"] + lost["retrials"]
    whole = ccsim.simulate(with_(INBOUND, warmup=0), seed=2).lost_calls()
    assert whole["callers"] == whole["first_attempts"]
    assert whole["callers_lost"] + whole["callers_served"] + whole["callers_self_service"] + \
        whole["callers_voicemail"] == whole["callers"]
    nodes = result.ivr_nodes()
    assert list(nodes.index) == ["main.welcome", "main.support"]
    assert (nodes["completed"] == nodes["entered"] - nodes["hung_up"]).all()
    assert list(result.entries().index) == ["hotline"]
    callers = result.callers()
    assert list(callers.index) == ["sales", "service", "complaints", "hotline"]
    assert (callers["callers"] == callers.drop(columns="callers").sum(axis=1)).all()


def test_cli_prints_the_lost_call_breakdown(tmp_path, runner):
    path = tmp_path / "inbound.yaml"
    path.write_text(yaml.safe_dump(INBOUND))
    out = runner.invoke(cli, ["run", str(path)])
    assert out.exit_code == 0, out.output
    assert "Lost calls" in out.output
    assert "blocked: all lines busy" in out.output
    assert "hung up in the IVR" in out.output


# ---------------------------------------------------------------- bad input
def _tree(**changes):
    s = copy.deepcopy(INBOUND)
    s["ivr"][0]["nodes"][0].update(changes)
    return s


BAD = {
    "probabilities": (_tree(branches=[{"p": 0.5, "queue": "sales"}, {"p": 0.4, "exit": "voicemail"}]),
                      "ivr[0].nodes[0].branches", "summing to 0.9"),
    "missing_node": (_tree(branches=[{"p": 1.0, "node": "nowhere"}]),
                     "ivr[0].nodes[0].branches[0].node", "'nowhere'"),
    "unknown_queue": (_tree(branches=[{"p": 1.0, "queue": "billing"}]),
                      "ivr[0].nodes[0].branches[0].queue", "'billing'"),
    "two_targets": (_tree(branches=[{"p": 1.0, "queue": "sales", "exit": "voicemail"}]),
                    "ivr[0].nodes[0].branches[0]", "exactly one of"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_menus_are_refused_with_the_path(case):
    scenario, path, words = BAD[case]
    assert_refused(scenario, path, words)


def test_a_loop_with_no_way_out_is_refused():
    s = copy.deepcopy(INBOUND)
    s["ivr"][0]["nodes"].append({"name": "limbo", "duration": {"dist": "deterministic", "value": 5},
                                 "branches": [{"p": 1.0, "node": "limbo2"}]})
    s["ivr"][0]["nodes"].append({"name": "limbo2", "duration": {"dist": "deterministic", "value": 5},
                                 "branches": [{"p": 1.0, "node": "limbo"}]})
    s["ivr"][0]["nodes"][1]["branches"] = [{"p": 0.6, "queue": "service"}, {"p": 0.3, "queue": "complaints"},
                                           {"p": 0.1, "node": "limbo"}]
    with pytest.raises(ScenarioError) as err:
        validate_scenario(s)
    assert "ivr[0].nodes[2]" in str(err.value) and "no way out" in str(err.value)


def test_a_loop_whose_way_out_is_too_unlikely_is_refused():
    s = _tree(branches=[{"p": 1 - 1e-6, "node": "welcome"}, {"p": 1e-6, "exit": "voicemail"}])
    with pytest.raises(ScenarioError) as err:
        validate_scenario(s)
    assert "ivr[0].nodes" in str(err.value) and "too unlikely" in str(err.value)


@pytest.mark.parametrize("change, path, words", [
    (lambda s: s["entries"][0].update(ivr="other"), "entries[0].ivr", "'other'"),
    (lambda s: s["entries"][0].update(name="sales"), "entries[0].name", "also a call type"),
    (lambda s: s["call_types"][2].update(arrivals=None) or s["ivr"][0]["nodes"][1].update(
        branches=[{"p": 1.0, "queue": "service"}]), "call_types[2].arrivals", "no menu routes"),
    (lambda s: s["queue_pools"].append({"name": "x", "capacity": 1, "call_types": ["service"]}),
     "queue_pools[1].call_types[0]", "two queue pools"),
    (lambda s: s["ivr"].append(copy.deepcopy(s["ivr"][0]) | {"name": "spare"}), "ivr[1].name", "not used"),
    (lambda s: s["ivr"][0].update(start="nowhere"), "ivr[0].start", "'nowhere'"),
])
def test_bad_entries_pools_and_menus(change, path, words):
    s = copy.deepcopy(INBOUND)
    change(s)
    s["call_types"] = [{k: v for k, v in c.items() if v is not None} for c in s["call_types"]]
    with pytest.raises(ScenarioError) as err:
        validate_scenario(s)
    assert path in str(err.value) and words in str(err.value), str(err.value)


def test_cli_refuses_a_bad_menu_with_exit_2(tmp_path):
    assert_cli_refused(tmp_path, BAD["probabilities"][0], "ivr[0].nodes[0].branches", "line")


def test_the_shipped_media_hotline_prints_lost_calls_and_channels(runner):
    out = runner.invoke(cli, ["run", "scenarios/media_hotline.yaml", "--reps", "2"])
    assert out.exit_code == 0, out.output
    for words in ("Lost calls", "blocked: all lines busy", "hung up in the IVR", "retrials",
                  "Callers by media channel", "tv", "online", "organic"):
        assert words in out.output, words


def test_interval_tables_by_entry_and_the_inbound_counts_by_call_type():
    result = ccsim.simulate(INBOUND, seed=6)
    by_entry = result.intervals(by="entry")
    assert list(by_entry["entry"].unique()) == ["hotline"]
    first = int(np.ceil(INBOUND["warmup"] / INBOUND["interval"]))
    after = by_entry[by_entry["start"] >= INBOUND["warmup"]]
    assert first > 0 and after["arrived"].sum() == result.entries().loc["hotline", "arrived"]
    by_type = result.intervals(by="call_type")
    totals = dict(zip(CALL_FIELDS, result.stats.total_calls.sum(axis=0)))
    kept = by_type[by_type["start"] >= INBOUND["warmup"]]
    for name in ("retrials", "routed", "queue_full"):
        assert kept[name].sum() == totals[name] > 0, name


@pytest.mark.parametrize("engine", ["core", "simpy"])
@pytest.mark.parametrize("priority, first", [(1, "vip"), (0, "sales")])
def test_a_higher_priority_caller_is_answered_first(engine, priority, first):
    """One agent busy until t = 10; a straight caller waits from t = 1, a menu caller from t = 3:
    with priority 1 the menu caller goes first, with 0 the longest-waiting one does."""
    s = priority_pair(priority)
    records = run(s, engine).call_records
    answered = records[records["outcome"] == 0]
    assert len(answered) == 3
    waits = {("sales" if r["source"] == 0 else "vip", r["arrival"]): r["wait"] for r in answered}
    if first == "vip":
        assert waits[("vip", 2.0)] == 7.0 and waits[("sales", 1.0)] == 19.0
    else:
        assert waits[("sales", 1.0)] == 9.0 and waits[("vip", 2.0)] == 17.0


def test_priority_belongs_to_a_queue_branch():
    s = priority_pair()
    s["ivr"][0]["nodes"][0]["branches"] = [{"p": 1, "exit": "self_service", "priority": 2}]
    with pytest.raises(ScenarioError) as err:
        validate_scenario(s)
    assert "ivr[0].nodes[0].branches[0]" in str(err.value) and "priority" in str(err.value)
