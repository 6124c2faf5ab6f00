"""Agent schedules: shifts and breaks.

Staffed time checked exactly against the schedule computed here from the scenario (not from
the compiled tables), no call answered by an agent off duty, a busy agent finishing its call
past its shift end, both engines bit for bit, scenarios without shifts unchanged, and bad
shifts refused with the path of the bad field.
"""
import copy
import math

import numpy as np
import pytest
from engine_checks import RAW_ARRAYS, assert_cli_refused, assert_refused, assert_same_run, run
from inbound_scenarios import EVERYTHING, with_

from ccsim.compile import compile_scenario
from ccsim.results import GROUP_FIELDS, INTERVAL_GROUP_FIELDS, OUTCOMES
from ccsim.scenario import validate_scenario
from ccsim.scenario.hours import WEEKDAYS

STAFFED = INTERVAL_GROUP_FIELDS.index("staffed")
BUSY = INTERVAL_GROUP_FIELDS.index("busy")
ANSWERED = OUTCOMES.index("answered")
DAY = 86400.0

# Two groups, three days from a Saturday: overlapping shifts, one crossing midnight (and the
# week's end, Sunday to Monday), breaks (one just after midnight), weekday lists, agents in no
# shift, and traffic around the clock.
SHIFTS = {
    "name": "shifts", "horizon": 3 * DAY, "warmup": 3600, "interval": 900,
    "hours": {"start_weekday": "saturday", "open": {d: [["00:00", "24:00"]] for d in WEEKDAYS},
              "closed": {"action": "message", "message": 5}},
    "call_types": [
        {"name": "sales", "arrivals": {"process": "piecewise", "rates": [0.004, 0.02, 0.03, 0.01], "slot": 21600,
                                       "repeat": True},
         "handle_time": {"dist": "exponential", "mean": 240}, "patience": {"dist": "exponential", "mean": 600},
         "after_call_work": {"dist": "exponential", "mean": 20}},
        {"name": "service", "arrivals": {"process": "poisson", "rate": 0.008},
         "handle_time": {"dist": "lognormal", "mean": 300, "cv": 0.7}, "patience": {"dist": "exponential", "mean": 900}},
    ],
    "agents": [
        {"name": "day", "count": 6, "serves": ["sales", "service"], "shifts": [
            {"start": "08:00", "end": "16:30", "agents": 3,
             "breaks": [{"start": "10:00", "minutes": 15}, {"start": "12:00", "minutes": 45}]},
            {"start": "12:00", "end": "20:00", "agents": 2, "weekdays": ["saturday", "monday", "tuesday"],
             "breaks": [{"start": "15:30", "minutes": 30}]}]},
        {"name": "night", "count": 3, "serves": ["service", "sales"], "proficiency": 1.2, "shifts": [
            {"start": "19:00", "end": "07:00", "agents": 2, "weekdays": ["friday", "sunday", "monday"],
             "breaks": [{"start": "00:30", "minutes": 30}]},
            {"start": "06:00", "end": "24:00", "agents": 1}]},
    ],
}


def quiet(scenario):
    """The scenario with no call before its horizon (its rates start after it)."""
    s = copy.deepcopy(scenario)
    for c in s["call_types"]:
        c["arrivals"] = {"process": "piecewise", "rates": [0.0, 1.0], "slot": s["horizon"]}
    return s


def _clock(text):
    h, m = text.split(":")
    return int(h) * 3600.0 + int(m) * 60.0


def placement(brk, shift_start, k, n):
    """Break start of agent k of n, seconds after 00:00 of the shift's day (the documented rule:
    evenly from earliest to latest, first agent at the earliest)."""
    if "start" in brk:
        return (_clock(brk["start"]) - shift_start) % DAY + shift_start
    lo = (_clock(brk["earliest"]) - shift_start) % DAY
    hi = (_clock(brk["latest"]) - shift_start) % DAY
    return shift_start + (lo if n == 1 else lo + round((hi - lo) * k / (n - 1)))


def on_duty(scenario, absent=None, weeks=1):
    """Per agent (group, index in the group) its on-duty periods over the run from the text:
    each shift on each of its weekdays (from the day before time 0) unless the agent is absent
    that day (``absent[group name][agent, day of the period]``), minus its placed breaks."""
    first = WEEKDAYS.index(scenario["hours"]["start_weekday"]) if "hours" in scenario else 0
    days = int(scenario["horizon"] // DAY) + 1
    out = {}
    for g, group in enumerate(scenario["agents"]):
        n = 0
        for shift in group.get("shifts", []):
            start, end = _clock(shift["start"]), _clock(shift["end"])
            length = end - start if end > start else end + DAY - start
            count = shift.get("agents", group["count"])
            for a in range(n, n + count):
                periods = []
                for d in range(-1, days):
                    if WEEKDAYS[(first + d) % 7] not in shift.get("weekdays", WEEKDAYS):
                        continue
                    if absent and group["name"] in absent and absent[group["name"]][a, (first + d) % (7 * weeks)]:
                        continue
                    t0 = d * DAY + start
                    cuts = sorted((d * DAY + placement(b, start, a - n, count),
                                   d * DAY + placement(b, start, a - n, count) + b["minutes"] * 60.0)
                                  for b in shift.get("breaks", []))
                    at = t0
                    for lo, hi in cuts:
                        periods.append((at, lo))
                        at = hi
                    periods.append((at, t0 + length))
                out[g, a] = [(max(lo, 0.0), hi) for lo, hi in periods if hi > 0.0 and hi > lo]
            n += count
    return out


def scheduled(scenario, duty):
    """Staffed seconds per (interval, group) of on-duty periods, cut at the horizon."""
    n, width, horizon = int(np.ceil(scenario["horizon"] / scenario["interval"])), scenario["interval"], scenario["horizon"]
    out = np.zeros((n, len(scenario["agents"])))
    for (g, _), periods in duty.items():
        for lo, hi in periods:
            for i in range(int(lo // width), min(n, int(math.ceil(hi / width)))):
                a, b = max(lo, i * width), min(hi, (i + 1) * width, horizon)
                if b > a:
                    out[i, g] += b - a
    return out


# ---------------------------------------------------------------- staffed time
@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_staffed_hours_are_the_schedule_minus_breaks_without_traffic(engine):
    raw = run(quiet(SHIFTS), engine)
    expected = scheduled(SHIFTS, on_duty(SHIFTS))
    assert expected.sum() > 0
    np.testing.assert_array_equal(raw.interval_groups[:, :, STAFFED], expected)
    assert raw.calls_simulated == 0


@pytest.mark.parametrize("engine", ["core", "simpy"])
@pytest.mark.parametrize("drain", [True, False])
def test_staffed_hours_with_traffic_are_the_schedule_plus_calls_finished_after_it(engine, drain):
    """Logins are on time; a logout or break coming during a call waits for its end: staffed
    time is the schedule plus, for each call running at the end of an on-duty period, the time
    from that end to the call's end (or to the next period's start), exactly."""
    scenario = with_(SHIFTS, drain=drain)
    raw = run(scenario, engine)
    extra = np.zeros_like(raw.interval_groups[:, :, STAFFED])
    width, horizon = scenario["interval"], scenario["horizon"]
    agent_start = np.cumsum([0] + [g["count"] for g in scenario["agents"]])
    duty = on_duty(scenario)
    rec = raw.call_records[raw.call_records["outcome"] == ANSWERED]
    late = 0
    for (g, a), periods in duty.items():
        mine = rec[rec["agent"] == agent_start[g] + a]
        answer = mine["arrival"] + mine["wait"]
        done = answer + mine["talk"] + mine["acw"]
        for j, (_, hi) in enumerate(periods):
            if hi >= horizon:
                continue
            running = (answer < hi) & (done > hi)
            if running.any():
                nxt = periods[j + 1][0] if j + 1 < len(periods) else np.inf
                end = min(done[running].max(), nxt, horizon)
                late += 1
                for i in range(extra.shape[0]):
                    lo_i, hi_i = max(hi, i * width), min(end, (i + 1) * width)
                    if hi_i > lo_i:
                        extra[i, g] += hi_i - lo_i
    assert late > 5  # the scenario has calls running over the end of a shift or a break start
    staffed = raw.interval_groups[:, :, STAFFED]
    np.testing.assert_allclose(staffed, scheduled(scenario, duty) + extra, rtol=0, atol=1e-6)
    assert (raw.interval_groups[:, :, BUSY] <= staffed + 1e-6).all()


# ---------------------------------------------------------------- who answers, when
def answered_on_duty(raw, scenario):
    """Every answer at a time its agent is on duty by the schedule."""
    agent_start = np.cumsum([0] + [g["count"] for g in scenario["agents"]])
    duty = on_duty(scenario)
    rec = raw.call_records[raw.call_records["outcome"] == ANSWERED]
    assert len(rec) > 100
    for r in rec:
        g = int(r["group"])
        periods = duty.get((g, int(r["agent"]) - agent_start[g]), [])
        t = r["arrival"] + r["wait"]
        assert any(lo <= t < hi for lo, hi in periods), (r, periods)


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_no_call_is_answered_off_shift_or_on_a_break(engine):
    answered_on_duty(run(SHIFTS, engine), SHIFTS)


ONE = {"name": "one", "horizon": 7200, "interval": 900,
       "call_types": [{"name": "a", "arrivals": {"process": "poisson", "rate": 0.05},
                       "handle_time": {"dist": "deterministic", "value": 3000},
                       "after_call_work": {"dist": "deterministic", "value": 100}}],
       "agents": [{"name": "solo", "count": 2, "serves": ["a"],
                   "shifts": [{"start": "00:00", "end": "01:00", "agents": 1}]}]}


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_a_busy_agent_finishes_its_call_past_its_shift_end(engine):
    """One agent on 00:00-01:00 (the other never logs in), calls of 3000 s + 100 s of after-call
    work: it answers the first caller at once and the next at 3100 s, inside its shift, finishes
    that call at 6200 s, and logs out then: staffed 6200 s, no call answered after 3600 s."""
    raw = run(ONE, engine)
    rec = raw.call_records[raw.call_records["outcome"] == ANSWERED]
    answer = rec["arrival"] + rec["wait"]
    assert len(rec) == 2 and (rec["agent"] == 0).all()
    assert answer[1] == answer[0] + 3100.0 and answer[1] < 3600.0
    assert raw.group_totals[0, GROUP_FIELDS.index("staffed")] == answer[1] + 3100.0
    assert raw.interval_groups[:, 0, STAFFED].sum() == answer[1] + 3100.0


# ---------------------------------------------------------------- both engines, bit for bit
@pytest.mark.parametrize("drain", [True, False])
@pytest.mark.parametrize("seed", [1, 7])
def test_core_and_simpy_are_bit_identical(drain, seed):
    scenario = with_(SHIFTS, drain=drain)
    core, ref = run(scenario, "core", seed), run(scenario, "simpy", seed)
    assert_same_run(core, ref)


def test_shifts_on_the_everything_scenario_are_bit_identical():
    """Shifts with menus, retrials, queue limits and lines (the inbound scenario's groups)."""
    s = copy.deepcopy(EVERYTHING)
    s["agents"][0]["shifts"] = [{"start": "00:00", "end": "02:00", "agents": 5,
                                 "breaks": [{"start": "01:00", "minutes": 10}]},
                                {"start": "01:30", "end": "04:00", "agents": 9}]
    s["agents"][0]["count"] = 14
    for case in (s, with_(s, drain=False)):
        core, ref = run(case, "core"), run(case, "simpy")
        for name in RAW_ARRAYS:
            np.testing.assert_array_equal(getattr(core, name), getattr(ref, name), err_msg=name)
        np.testing.assert_array_equal(core.call_records, ref.call_records)


def test_a_shift_all_week_long_is_no_schedule():
    s = copy.deepcopy(ONE)
    s["agents"][0]["shifts"] = [{"start": "00:00", "end": "24:00"}]
    m = compile_scenario(validate_scenario(s))
    assert (m.agent_sched == -1).all() and m.group_shifted.tolist() == [1]
    raw = run(s, "core")
    assert raw.group_totals[0, GROUP_FIELDS.index("staffed")] == 2 * 7200.0


# ---------------------------------------------------------------- bad input
def _shift(**changes):
    s = copy.deepcopy(SHIFTS)
    s["agents"][0]["shifts"][0].update(changes)
    return s


BAD = {
    "same_start_end": (_shift(end="08:00"), "agents[0].shifts[0]", "same time"),
    "break_overlap": (_shift(breaks=[{"start": "10:00", "minutes": 30}, {"start": "10:15", "minutes": 15}]),
                      "agents[0].shifts[0].breaks[1]", "overlaps"),
    "break_outside": (_shift(breaks=[{"start": "07:00", "minutes": 15}]), "agents[0].shifts[0].breaks[0]",
                      "not inside"),
    "break_past_end": (_shift(breaks=[{"start": "16:00", "minutes": 45}]), "agents[0].shifts[0].breaks[0]",
                       "not inside"),
    "too_many_agents": (_shift(agents=5), "agents[0].shifts", "need 7 agents"),
    "bad_time": (_shift(start="8:00"), "agents[0].shifts[0].start", "not a time of day"),
    "bad_end": (_shift(end="24:30"), "agents[0].shifts[0].end", "not a time of day"),
    "unquoted_time": (_shift(start=480), "agents[0].shifts[0].start", "quote the times"),
    "bad_break_time": (_shift(breaks=[{"start": "25:00", "minutes": 5}]), "agents[0].shifts[0].breaks[0].start",
                       "not a time of day"),
    "no_weekday": (_shift(weekdays=[]), "agents[0].shifts[0].weekdays", "at least 1"),
    "unknown_weekday": (_shift(weekdays=["monday", "funday"]), "agents[0].shifts[0].weekdays[1]",
                        "unknown weekday 'funday'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_shifts_are_refused_with_the_path(case):
    scenario, path, words = BAD[case]
    assert_refused(scenario, path, words)


def test_cli_refuses_a_bad_shift_with_exit_2(tmp_path):
    assert_cli_refused(tmp_path, BAD["break_overlap"][0], "agents[0].shifts[0].breaks[1]")


LATE = {"name": "late", "horizon": 9000, "interval": 900,
        "call_types": [{"name": "a", "arrivals": {"process": "poisson", "rate": 0.05},
                        "handle_time": {"dist": "deterministic", "value": 1800}}],
        "agents": [{"name": "solo", "count": 1, "serves": ["a"],
                    "shifts": [{"start": "01:00", "end": "01:30"}]}]}


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_a_login_takes_a_waiting_caller_and_a_call_ending_at_the_logout_frees_the_agent_first(engine):
    """Callers wait from time 0; the agent logs in at 3600 s and answers the first at once; that
    call ends at 5400 s, the shift's end: the agent freed first (the logout comes after it at
    equal times) takes the next caller, and logs out when that call ends at 7200 s."""
    raw = run(LATE, engine)
    rec = raw.call_records[raw.call_records["outcome"] == ANSWERED]
    answer = rec["arrival"] + rec["wait"]
    assert answer.tolist() == [3600.0, 5400.0]
    assert rec["arrival"][0] < rec["arrival"][1] < 3600.0
    assert raw.group_totals[0, GROUP_FIELDS.index("staffed")] == 3600.0
    np.testing.assert_array_equal(raw.interval_groups[:, 0, STAFFED], [0, 0, 0, 0, 900, 900, 900, 900, 0, 0])


# ---------------------------------------------------------------- the schedule cursor
def _merged(periods):
    out = []
    for lo, hi in sorted(periods):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


@pytest.mark.parametrize("weekday", ["monday", "saturday", "sunday"])
def test_the_core_schedule_cursor_is_its_twin_and_the_schedule(weekday):
    """``_shifts`` (core) and ``engines.shifts.Schedule`` give the same change times, bit for
    bit, and they are the on/off boundaries of the schedule computed from the text."""
    from ccsim import _shifts
    from ccsim.engines.shifts import Schedule
    from ccsim.scenario.shifts import Shift, week_on

    shift0 = WEEKDAYS.index(weekday) * DAY
    for group in SHIFTS["agents"]:
        for shift in group["shifts"]:
            opens, closes = week_on(Shift.model_validate(shift))
            on, core = _shifts.changes(opens, closes, shift0, 40)
            twin = Schedule(opens, closes, shift0)
            twin_on = twin.start()
            ref = [twin.first_change(twin_on)]
            for i in range(39):
                ref.append(twin.change(twin_on if i % 2 else not twin_on))
            assert (on, core) == (twin_on, ref)
            text = {"horizon": 21 * DAY, "hours": {"start_weekday": weekday},
                    "agents": [{"count": 1, "shifts": [dict(shift, agents=1)]}]}
            periods = _merged(on_duty(text)[0, 0])
            bounds = [t for lo, hi in periods for t in (lo, hi) if t > 0.0]
            assert on == (periods[0][0] == 0.0)
            n = min(40, sum(t < 20 * DAY for t in bounds))
            assert core[:n] == bounds[:n]
