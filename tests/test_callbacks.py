"""Opening hours, voicemail callbacks, virtual hold (callback offers) and wait announcements.

Both engines against each other bit for bit on a scenario using every feature, every
caller and every callback item accounted for once, the semantics checked on what the
engines record, and bad hours refused with the path of the bad field.
"""
import copy
import math

import numpy as np
import pytest
import yaml
from engine_checks import RAW_ARRAYS, assert_cli_refused, assert_refused, assert_same_run, fields, run
from inbound_scenarios import CALLBACKS, CALLBACKS_FORWARD, CALLBACKS_MESSAGE, INBOUND, with_
from scipy import stats as sps

import ccsim
from ccsim import _hours as core_hours
from ccsim.cli import cli
from ccsim.results import CALL_FIELDS, CALLER_FIELDS, ENTRY_FIELDS, OUTCOMES
from ccsim.scenario import validate_scenario
from ccsim.scenario.hours import WEEKDAYS, is_open, next_open

OUT = {name: i for i, name in enumerate(OUTCOMES)}


CASES = {
    "voicemail": CALLBACKS,
    "voicemail_cut": with_(CALLBACKS, drain=False),
    "forward": CALLBACKS_FORWARD,
    "forward_cut": with_(CALLBACKS_FORWARD, drain=False),
    "message": CALLBACKS_MESSAGE,
}


# ---------------------------------------------------------------- both engines, bit for bit
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("seed", [1, 7])
def test_core_and_simpy_are_bit_identical(case, seed):
    core, ref = run(CASES[case], "core", seed), run(CASES[case], "simpy", seed)
    assert_same_run(core, ref)


def test_the_scenarios_exercise_every_outcome():
    """So that the bit-for-bit comparison covers what it claims."""
    for case, must in [
        ("voicemail", {"calls": ("closed", "callbacks_offered", "callbacks_accepted", "voicemails",
                                 "callbacks_done", "callbacks_failed", "answered", "abandoned", "retrials"),
                       "callers": ("callback_done", "callback_failed", "served", "abandoned")}),
        ("voicemail_cut", {"calls": ("callbacks_pending_at_end",), "callers": ("callback_pending",)}),
        ("forward", {"calls": ("closed", "forwarded", "answered", "callbacks_done"), "callers": ("served",)}),
        ("message", {"calls": ("closed",), "callers": ("closed", "callback_done")}),
    ]:
        stats = run(CASES[case], "core", 1)
        calls = fields(stats.total_calls.sum(axis=0), CALL_FIELDS)
        callers = fields(stats.callers.sum(axis=0), CALLER_FIELDS)
        for name in must["calls"]:
            assert calls[name] > 0, (case, name)
        for name in must["callers"]:
            assert callers[name] > 0, (case, name)
        assert fields(stats.total_entries.sum(axis=0), ENTRY_FIELDS)["closed"] > 0, case
    records = run(CALLBACKS, "core", 1).call_records
    for outcome in ("callback_requested", "callback_done", "callback_failed", "voicemail", "answered"):
        assert (records["outcome"] == OUT[outcome]).sum() > 0, outcome


def test_overdue_items_are_served_before_live_callers_in_the_shared_scenario():
    """Some items wait past their target (so the overdue rule is exercised there too)."""
    records = run(CALLBACKS, "core", 1).call_records
    done = records[records["outcome"] == OUT["callback_done"]]
    sales = done[done["call_type"] == 0]
    assert (sales["wait"] >= 600).sum() > 0


# ---------------------------------------------------------------- conservation
@pytest.mark.parametrize("engine", ["core", "simpy"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_caller_and_item_is_accounted_for_once(engine, case):
    stats = run(CASES[case], engine, 3, records=False)
    callers = stats.callers
    np.testing.assert_array_equal(callers[:, 0], callers[:, 1:-1].sum(axis=1))  # per source
    for table in (stats.interval_channels, stats.total_channels, stats.airing_calls):  # per media channel
        np.testing.assert_array_equal(table[..., 0], table[..., 1:-1].sum(axis=-1))
    for array in (stats.interval_calls, stats.total_calls):
        c = fields(array, CALL_FIELDS)
        np.testing.assert_array_equal(c["arrived"], c["blocked"] + c["offered"] + c["closed"]
                                      + c["callbacks_accepted"])
        np.testing.assert_array_equal(c["offered"], c["answered"] + c["abandoned"] + c["waiting_at_end"])
        np.testing.assert_array_equal(c["callbacks_requested"], c["callbacks_accepted"] + c["voicemails"])
        np.testing.assert_array_equal(c["callbacks_requested"], c["callbacks_done"] + c["callbacks_failed"]
                                      + c["callbacks_pending_at_end"])
        assert (c["callbacks_accepted"] <= c["callbacks_offered"]).all()
    for array in (stats.interval_entries, stats.total_entries):
        e = fields(array, ENTRY_FIELDS)
        ended = (e["blocked"] + e["ivr_hung_up"] + e["hang_up"] + e["self_service"] + e["voicemail"]
                 + e["routed"] + e["in_ivr_at_end"] + e["closed"])
        np.testing.assert_array_equal(e["arrived"], ended)
    caller = fields(stats.callers.sum(axis=0), CALLER_FIELDS)
    calls = fields(stats.total_calls.sum(axis=0), CALL_FIELDS)
    # warm-up 0: each item's caller outcome is its item's
    assert caller["callback_done"] == calls["callbacks_done"]
    assert caller["callback_failed"] == calls["callbacks_failed"]
    assert caller["callback_pending"] == calls["callbacks_pending_at_end"]
    assert caller["voicemail"] == 0  # with a voicemail call type, a voicemail's outcome is its callback's
    if CASES[case].get("drain", True):
        assert caller["callback_pending"] == 0  # drained: every item called back or given up
    elif case == "voicemail_cut":
        assert caller["callback_pending"] > 0  # Friday evening's voicemails wait for Saturday


# ---------------------------------------------------------------- semantics
def _week(s):
    from ccsim.scenario.hours import week_table
    hours = validate_scenario(s).hours
    return week_table(hours) + (WEEKDAYS.index(hours.start_weekday) * 86400.0,)


@pytest.mark.parametrize("case", ["voicemail", "message", "forward"])
def test_no_call_is_answered_while_closed_unless_forwarded(case):
    s = CASES[case]
    opens, closes, shift = _week(s)
    records = run(s, "core", 2).call_records
    answered = records[records["outcome"] == OUT["answered"]]
    closed = np.array([not is_open(opens, closes, shift, t) for t in answered["arrival"]], dtype=bool)
    if case == "forward":
        oncall = validate_scenario(s).call_type_index()["oncall"]
        assert closed.sum() > 0
        assert (answered["call_type"][closed] == oncall).all()
        assert (answered["call_type"][~closed] != oncall).all()
    else:
        assert closed.sum() == 0
        assert len(answered) > 0
    # the calls that rang while closed were counted as such, never as an IVR walk
    rang = records[records["attempt"] >= 1]
    in_menu = np.isin(rang["outcome"], [OUT["ivr_hung_up"], OUT["hang_up"], OUT["self_service"]])
    assert not any(not is_open(opens, closes, shift, t) for t in rang["arrival"][in_menu])


def _priority_scenario(target):
    """One agent, deterministic 100 s calls: 'cb' callers who must wait all leave a callback
    request (always answered), 'live' callers wait for ever. Load 0.8."""
    return {
        "name": "priority", "horizon": 40000, "interval": 3600,
        "call_types": [
            {"name": "cb", "arrivals": {"process": "poisson", "rate": 0.004},
             "handle_time": {"dist": "deterministic", "value": 100},
             "callback": {"offer_after": 0, "accept": 1.0, "answer": 1.0, "target": target}},
            {"name": "live", "arrivals": {"process": "poisson", "rate": 0.004},
             "handle_time": {"dist": "deterministic", "value": 100}}],
        "agents": [{"name": "a", "count": 1, "serves": ["cb", "live"]}],
    }


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_an_overdue_item_is_taken_before_a_waiting_live_caller(engine):
    target = 150.0
    records = run(_priority_scenario(target), engine, 4).call_records
    items = records[records["outcome"] == OUT["callback_done"]]
    live = records[(records["outcome"] == OUT["answered"]) & (records["call_type"] == 1)]
    item_start = items["arrival"] + items["wait"]  # request = ring (straight call type)
    live_start = live["arrival"] + live["wait"]
    overdue_first = 0
    for start, ring in zip(item_start, items["arrival"]):
        waiting_live = ((live["arrival"] < start) & (live_start > start)).any()
        if start - ring < target:
            assert not waiting_live, "an item that is not overdue went before a waiting caller"
        elif waiting_live:
            overdue_first += 1
    for start in live_start:
        overdue = ((items["arrival"] <= start - target) & (item_start > start)).any()
        assert not overdue, "a live caller went before an overdue item"
    assert overdue_first > 0  # the rule was put to the test
    assert len(items) > 50 and len(live) > 50


def test_items_wait_in_request_order_for_a_lone_agent():
    """Without overdue items (huge target), items of one type are called back in request order."""
    records = run(_priority_scenario(1e9), "core", 5).call_records
    items = records[records["outcome"] == OUT["callback_done"]]
    starts = items["arrival"] + items["wait"]
    order = np.argsort(starts, kind="stable")
    assert (np.diff(items["arrival"][order]) >= 0).all()


def _naive_open(days, start, t):
    """Open at t by the weekday's own intervals (the definition, no week table)."""
    day = int(t // 86400)
    weekday = WEEKDAYS[(day + start) % 7]
    tod = t - day * 86400
    return any(a <= tod < b for a, b in days.get(weekday, []))


def _random_hours(rng):
    days, spec = {}, {}
    for weekday in WEEKDAYS:
        if rng.random() < 0.25:
            continue
        cuts = np.sort(rng.choice(np.arange(0, 1441, 30), size=2 * rng.integers(1, 4), replace=False))
        pairs = [(int(cuts[i]), int(cuts[i + 1])) for i in range(0, len(cuts), 2)]
        hhmm = lambda m: f"{m // 60:02d}:{m % 60:02d}"  # noqa: E731
        spec[weekday] = [[hhmm(a), hhmm(b)] for a, b in pairs]
        days[weekday] = [(a * 60.0, b * 60.0) for a, b in pairs]
    return days, spec


def test_open_and_next_opening_match_a_reference_on_random_weeks():
    rng = np.random.default_rng(11)
    for _ in range(60):
        days, spec = _random_hours(rng)
        if not spec:
            continue
        start = int(rng.integers(7))
        s = with_(INBOUND, hours={"start_weekday": WEEKDAYS[start], "open": spec,
                                  "closed": {"action": "message", "message": 5}})
        opens, closes, shift = _week(s)
        times = np.concatenate([rng.uniform(0, 5e6, 200),
                                np.array([a for v in days.values() for a, _ in v]) + 86400.0 * 7])
        core_open, core_next = core_hours.lookup(opens, closes, shift, times)
        for t, o, nxt in zip(times, core_open, core_next):
            assert o == _naive_open(days, start, t) == is_open(opens, closes, shift, t)
            if o:
                continue
            assert nxt == next_open(opens, closes, shift, t)  # the twins, bit for bit
            assert nxt > t and _naive_open(days, start, nxt + 1e-6)
            # nothing opens in between: the first start after t (whole minutes) is nxt
            probe = np.arange(math.floor(t / 60) * 60 + 60, nxt - 1, 60.0)
            assert not any(_naive_open(days, start, p) for p in probe)


def test_unused_sections_cost_nothing():
    """Callbacks never offered, announcements absent, always open: bit for bit the same run."""
    s = copy.deepcopy(INBOUND)
    for c in s["call_types"]:
        c["callback"] = {"offer_after": 1e9, "accept": 0.5}
    s["hours"] = {"open": {d: [["00:00", "24:00"]] for d in WEEKDAYS}, "closed": {"action": "message", "message": 5}}
    for engine in ("core", "simpy"):
        a, b = run(INBOUND, engine, 3), run(s, engine, 3)
        for name in RAW_ARRAYS:
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        np.testing.assert_array_equal(a.call_records, b.call_records)
        assert a.end_time == b.end_time


def test_the_shared_scenario_announces_long_and_short_waits(monkeypatch):
    """Both announcement branches run in the shared scenario (so the bit-for-bit test covers them)."""
    from ccsim.engines import simpy_engine

    seen = []
    original = simpy_engine.ContactCenter.announced

    def spy(self, k, predicted, patience):
        if self.model.ann_on[k]:
            seen.append(predicted > self.model.ann_threshold[k])
        return original(self, k, predicted, patience)

    monkeypatch.setattr(simpy_engine.ContactCenter, "announced", spy)
    run(CALLBACKS, "simpy", 1, records=False)
    assert sum(seen) > 0 and len(seen) - sum(seen) > 0


def test_the_accept_fraction_is_binomial():
    """Accepted among offered: Binomial(offered, accept) (each offer one uniform of its own stream)."""
    s = with_(CALLBACKS, horizon=1_000_000)
    calls = fields(run(s, "core", 21, records=False).total_calls[0], CALL_FIELDS)
    n, k = int(calls["callbacks_offered"]), int(calls["callbacks_accepted"])
    assert n > 4000
    assert sps.binomtest(k, n, 0.6).pvalue > 1e-3
    assert sps.binomtest(k, n, 0.65).pvalue < 1e-3  # and the test has the power to see 5 points


def test_announcements_scale_patience():
    """A long announced wait with factor 0.1 makes callers abandon sooner than factor 10."""
    base = copy.deepcopy(INBOUND)
    waits = {}
    for factor in (0.1, 10.0):
        s = copy.deepcopy(base)
        s["call_types"][0]["announcement"] = {"threshold": 0, "patience_factor_long": factor,
                                              "patience_factor_short": factor}
        c = fields(run(s, "core", 2, records=False).total_calls[0], CALL_FIELDS)
        waits[factor] = c["wait_abandoned"] / c["abandoned"]
    assert waits[0.1] < 0.5 * waits[10.0]


def test_lost_call_breakdown_and_cli(tmp_path, runner):
    result = ccsim.simulate(CALLBACKS_MESSAGE, seed=2)
    lost = result.lost_calls()
    assert lost["closed"] > 0 and lost["callbacks_requested"] > 0
    assert lost["callbacks_requested"] == lost["callbacks_done"] + lost["callbacks_failed"]
    assert lost["callers"] == lost["first_attempts"]  # no warm-up
    path = tmp_path / "hours.yaml"
    path.write_text(yaml.safe_dump(CALLBACKS_MESSAGE))
    out = runner.invoke(cli, ["run", str(path)])
    assert out.exit_code == 0, out.output
    assert "rang while closed" in out.output and "callbacks requested" in out.output


# ---------------------------------------------------------------- bad input
def _hours(**changes):
    s = copy.deepcopy(CALLBACKS)
    s["hours"].update(changes)
    return s


BAD = {
    "overlap": (_hours(open={"monday": [["08:00", "12:00"], ["11:00", "13:00"]]}), "hours.open.monday[1]", "overlap"),
    "unsorted": (_hours(open={"monday": [["13:00", "14:00"], ["08:00", "12:00"]]}), "hours.open.monday[1]",
                 "not sorted"),
    "end_before_start": (_hours(open={"monday": [["12:00", "08:00"]]}), "hours.open.monday[0]", "at or before"),
    "bad_time": (_hours(open={"monday": [["8h", "12:00"]]}), "hours.open.monday[0][0]", "HH:MM"),
    "unquoted_yaml_time": (_hours(open={"monday": [["08:00", 720]]}), "hours.open.monday[0][1]", "quote"),
    "24_as_start": (_hours(open={"monday": [["24:00", "24:00"]]}), "hours.open.monday[0][0]", "HH:MM"),
    "weekday": (_hours(open={"funday": [["08:00", "12:00"]]}), "hours.open.funday", "unknown weekday"),
    "never_open": (_hours(open={}), "hours.open", "never open"),
    "forward": (_hours(closed={"action": "forward", "call_type": "nobody"}), "hours.closed.call_type", "'nobody'"),
    "voicemail_call_type": (with_(CALLBACKS, voicemail={"call_type": "nobody"}), "voicemail.call_type", "'nobody'"),
    "no_voicemail_section": ({k: v for k, v in CALLBACKS.items() if k != "voicemail"}, "hours.closed",
                             "voicemail"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_hours_are_refused_with_the_path(case):
    scenario, path, words = BAD[case]
    assert_refused(scenario, path, words)


def test_cli_refuses_bad_hours_with_exit_2(tmp_path):
    assert_cli_refused(tmp_path, BAD["overlap"][0], "hours.open.monday[1]")


def test_the_lost_call_breakdown_states_the_mean_callback_delay(runner, tmp_path):
    result = ccsim.simulate(CALLBACKS, seed=3)
    lost = result.lost_calls()
    totals = dict(zip(CALL_FIELDS, result.stats.total_calls.sum(axis=0)))
    assert totals["callbacks_done"] > 0
    assert lost["callback_mean_delay"] == totals["callback_delay"] / totals["callbacks_done"] > 0
    path = tmp_path / "callbacks.yaml"
    path.write_text(yaml.safe_dump(CALLBACKS))
    out = runner.invoke(cli, ["run", str(path)])
    assert out.exit_code == 0 and "mean delay, request to call back" in out.output


def test_the_nights_voicemails_are_called_back_oldest_first_at_the_opening():
    """Each voicemail's callback became due at 'the next opening' computed as t + (opening -
    week time), which rounds differently for each request t (up to ~1e-11 s): at 08:00 the 50
    idle agents called back 50 items picked by that noise (ranks 7, 11, ..., 268), not the 50
    oldest. The opening is now one float per closed spell: oldest first, in both engines."""
    import ccsim

    data = {"horizon": 86400, "interval": 3600,
            "call_types": [{"name": "s", "arrivals": {"process": "poisson", "rate": 0.005},
                            "handle_time": {"dist": "exponential", "mean": 60}}],
            "agents": [{"name": "t", "count": 50, "serves": ["s"]}],
            "hours": {"start_weekday": "friday", "open": {"friday": [["08:00", "24:00"]]},
                      "closed": {"action": "voicemail", "duration": 30}},
            "voicemail": {"call_type": "s"}}
    answered = {}
    for engine in ("core", "simpy"):
        calls = ccsim.simulate(data, seed=3, engine=engine, call_records=True).calls()
        done = calls[calls["outcome"] == "callback_done"].sort_values("arrival")
        answered[engine] = (done["arrival"] + done["wait"]).to_numpy()  # by request order
        assert len(done) > 100
    np.testing.assert_array_equal(answered["core"], answered["simpy"])
    at = answered["core"]
    assert (at[:50] == 28800.0).all() and (at[50:] > 28800.0).all()  # the 50 oldest at the opening
    assert (np.diff(at) >= 0).all()  # and every later one in request order
