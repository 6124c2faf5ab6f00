"""Schedules beyond fixed shifts: break windows, shrinkage, staffing from required counts,
and the schedule errors.

Staffed time is checked exactly against the schedule computed here from the scenario text,
the documented placement rule and the absences drawn (not from the compiled tables); no call
is answered by an agent off duty; the absent share is a binomial proportion; the greedy roster
covers its requirement; both engines bit for bit.
"""
import copy
import math

import numpy as np
import pytest
import yaml
from engine_checks import assert_refused, assert_same_run, run
from test_shifts import ANSWERED, BUSY, DAY, SHIFTS, STAFFED, _clock, on_duty, quiet, scheduled

from ccsim.cli import cli
from ccsim.compile import compile_scenario
from ccsim.scenario import validate_scenario
from ccsim.scenario.hours import WEEKDAYS
from ccsim.scenario.staffing import roster_from_requirements
from ccsim.schedules import absences, period_weeks, with_absences

# SHIFTS with a lunch window staggered over the day shift's agents, shrinkage on a group and
# (overriding it) on one shift, and a longer horizon so that many agent-days are drawn.
WINDOWS = copy.deepcopy(SHIFTS)
WINDOWS["horizon"] = 9 * DAY
WINDOWS["agents"][0]["count"] = 8
WINDOWS["agents"][0]["shrinkage"] = 0.2
WINDOWS["agents"][0]["shifts"][0].update(agents=5, breaks=[
    {"start": "10:00", "minutes": 15}, {"earliest": "11:30", "latest": "13:30", "minutes": 45}])
WINDOWS["agents"][1]["shifts"][1]["shrinkage"] = 0.3


def model_of(scenario):
    return compile_scenario(validate_scenario(scenario))


def drawn(scenario, seed):
    """The absences a replication of ``seed`` runs with, and the period's weeks."""
    m = model_of(scenario)
    return absences(m, seed), period_weeks(m)


# ---------------------------------------------------------------- break windows
def test_window_breaks_are_placed_inside_the_window_and_staggered():
    """The compiled tables of the day shift's five agents: the lunch starts at 11:30, 12:00,
    12:30, 13:00, 13:30 (one agent each), read from the gaps of the tables."""
    s = copy.deepcopy(WINDOWS)
    s["agents"][0]["shrinkage"] = 0.0
    s["agents"][1]["shifts"][1].pop("shrinkage")
    m = model_of(s)
    assert m.sched_plan == ()  # no shrinkage: the weekly tables as compiled
    lunches = []
    for a in range(5):
        t = m.agent_sched[a]
        opens = m.sched_open[m.sched_start[t]:m.sched_start[t + 1]]
        closes = m.sched_close[m.sched_start[t]:m.sched_start[t + 1]]
        gaps = [(c % DAY, o % DAY) for c, o in zip(closes[:-1], opens[1:]) if o - c < 3600]
        lunch = [g for g in gaps if g[1] - g[0] == 45 * 60]
        assert len(lunch) == 7 and len({g for g in lunch}) == 1  # the same every day
        assert _clock("11:30") <= lunch[0][0] <= _clock("13:30")
        lunches.append(lunch[0][0])
    assert lunches == [_clock(t) for t in ("11:30", "12:00", "12:30", "13:00", "13:30")]


def test_without_shrinkage_the_model_is_the_weekly_one():
    m = model_of(SHIFTS)
    assert m.sched_plan == () and m.sched_period == 7 * DAY
    assert with_absences(m, 3) is m


# ---------------------------------------------------------------- staffed time and answers
@pytest.mark.parametrize("engine", ["core", "simpy"])
@pytest.mark.parametrize("seed", [1, 2])
def test_staffed_hours_are_the_schedule_minus_breaks_and_absences(engine, seed):
    """Without traffic, staffed seconds per interval and group are exactly the on-duty time of
    the text's shifts, with the windows placed by the rule and the drawn agents absent."""
    s = quiet(WINDOWS)
    absent, weeks = drawn(s, seed)
    assert absent["day"].any() and absent["night"].any()
    raw = run(s, engine, seed=seed)
    expected = scheduled(s, on_duty(s, absent, weeks))
    np.testing.assert_array_equal(raw.interval_groups[:, :, STAFFED], expected)
    full = scheduled(s, on_duty(s))
    assert (expected <= full).all() and expected.sum() < full.sum()  # absences removed time


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_no_call_is_answered_by_an_agent_off_shift_on_break_or_absent(engine):
    s = copy.deepcopy(WINDOWS)
    s["drain"] = False
    absent, weeks = drawn(s, 1)
    raw = run(s, engine, seed=1)
    rec = raw.call_records[raw.call_records["outcome"] == ANSWERED]
    assert len(rec) > 1000
    starts = np.cumsum([0] + [g["count"] for g in s["agents"]])
    duty = on_duty(s, absent, weeks)
    checked = 0
    for (g, a), periods in duty.items():
        answer = (rec["arrival"] + rec["wait"])[rec["agent"] == starts[g] + a]
        inside = np.zeros(len(answer), dtype=bool)
        for lo, hi in periods:
            inside |= (answer >= lo) & (answer < hi)
        assert inside.all(), (g, a, answer[~inside][:5])
        checked += len(answer)
    assert checked == len(rec)  # every answering agent is in a shift
    assert raw.interval_groups[:, :, BUSY].sum() > 0


def test_the_absent_share_is_the_shrinkage_probability():
    """40 agents x 56 days of one daily shift: the absent share of the instances, read from the
    staffed time (a whole shift or nothing per agent-day), is inside a 99.9 % binomial
    interval around p, for a group's and a shift's own shrinkage."""
    for where, p in (("group", 0.1), ("shift", 0.35)):
        s = {"name": "shrink", "horizon": 56 * DAY, "interval": 3600,
             "call_types": [{"name": "a", "arrivals": {"process": "piecewise", "rates": [0.0, 1.0],
                                                       "slot": 56 * DAY},
                             "handle_time": {"dist": "exponential", "mean": 60}}],
             "agents": [{"name": "g", "count": 40, "serves": ["a"],
                         "shifts": [{"start": "09:00", "end": "17:00"}]}]}
        if where == "group":
            s["agents"][0]["shrinkage"] = p
        else:
            s["agents"][0]["shifts"][0]["shrinkage"] = p
        raw = run(s, "core", seed=11)
        per_day = raw.interval_groups[:, 0, STAFFED].reshape(56, 24).sum(axis=1) / (8 * 3600.0)
        assert np.allclose(per_day, np.round(per_day))
        n = 40 * 56
        share = 1.0 - per_day.sum() / n
        half = 3.29 * math.sqrt(p * (1 - p) / n)
        assert abs(share - p) < half, (share, p, half)


def test_absences_move_no_other_stream_and_grow_with_p():
    """The callers (arrival times, handle times drawn at arrival) are the same with and without
    shrinkage; a larger p keeps every absence of a smaller one (the same uniforms)."""
    base = copy.deepcopy(WINDOWS)
    base["agents"][0]["shrinkage"] = 0.0
    base["agents"][1]["shifts"][1].pop("shrinkage")
    plain, shrunk = run(base, "core", seed=4), run(WINDOWS, "core", seed=4)
    np.testing.assert_array_equal(np.sort(plain.call_records["arrival"]), np.sort(shrunk.call_records["arrival"]))
    more = copy.deepcopy(WINDOWS)
    more["agents"][0]["shrinkage"] = 0.5
    a, _ = drawn(WINDOWS, 4)
    b, _ = drawn(more, 4)
    assert (b["day"] >= a["day"]).all() and b["day"].sum() > a["day"].sum()
    assert not (drawn(WINDOWS, 5)[0]["day"] == a["day"]).all()  # another seed, other absences


# ---------------------------------------------------------------- staffing from required counts
DAILY = [0] * 14 + [2, 4, 6, 8, 10, 12, 14, 15, 16, 16, 15, 14, 12, 12, 13, 14, 15, 16, 14, 12, 10, 8, 6, 4, 3, 2] \
    + [0] * 8


def staffed_scenario(staffing, count=200, horizon=2 * DAY):
    return {"name": "staffing", "horizon": horizon, "interval": 60 * staffing.get("interval_minutes", 30),
            "call_types": [{"name": "a", "arrivals": {"process": "piecewise", "rates": [0.0, 1.0], "slot": horizon},
                            "handle_time": {"dist": "exponential", "mean": 60}}],
            "agents": [{"name": "g", "count": count, "serves": ["a"], "staffing": staffing}]}


def paid_hours(shifts):
    return sum(s.agents * ((_clock(s.end) - _clock(s.start)) % DAY) / 3600.0 for s in shifts)


@pytest.mark.parametrize("breaks", [[], [{"after_minutes": 120, "minutes": 15}, {"after_minutes": 240, "minutes": 30}]])
def test_a_daily_roster_covers_the_requirement_with_few_agent_hours(breaks):
    """Staffed time per interval (no traffic, both days) is at least the requirement, and the
    roster's paid hours are within 1.5 x the lower bound sum(required) x interval."""
    staffing = {"required": DAILY, "shift_lengths_hours": [8, 6], "breaks": breaks}
    s = staffed_scenario(staffing)
    raw = run(s, "core")
    on = raw.interval_groups[:, 0, STAFFED] / 1800.0
    required = np.tile(DAILY, 2)
    assert (on >= required - 1e-9).all(), np.flatnonzero(on < required)
    shifts = validate_scenario(s).agents[0].shifts
    bound = sum(DAILY) / 2.0
    assert bound <= paid_hours(shifts) <= 1.5 * bound
    assert validate_scenario(s).agents[0].staffing is None  # the scenario holds the shifts


def test_a_weekly_roster_covers_each_day_and_a_csv_gives_the_same_roster(tmp_path):
    week = [c if day < 5 else c // 2 for day in range(7) for c in DAILY]
    s = staffed_scenario({"required": week, "shift_lengths_hours": [8, 4]}, count=600, horizon=7 * DAY)
    raw = run(s, "core")
    on = raw.interval_groups[:, 0, STAFFED] / 1800.0
    assert (on >= np.array(week) - 1e-9).all()
    shifts = validate_scenario(s).agents[0].shifts
    assert all(len(x.weekdays) == 1 for x in shifts)
    assert paid_hours(shifts) <= 1.5 * sum(week) / 2.0
    (tmp_path / "need.csv").write_text("interval,agents\n" + "".join(f"{i},{c}\n" for i, c in enumerate(week)))
    by_file = staffed_scenario({"csv": "need.csv", "shift_lengths_hours": [8, 4]}, count=600, horizon=7 * DAY)
    from ccsim.scenario import load_scenario
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(by_file))
    assert load_scenario(path).agents[0].shifts == shifts


def test_the_roster_function_adds_whole_batches_like_one_at_a_time():
    """The batched greedy equals the plain one-shift-at-a-time greedy on a small profile."""
    required = [1, 3, 3, 2, 5, 1, 0, 2]
    shifts = roster_from_requirements(required, 180, [6, 9], 60)
    # the plain greedy, here: cyclic day of 8 three-hour intervals, starts every hour
    starts = np.arange(0, 24 * 3600, 3600.0)
    cands = []
    for hours in (6.0, 9.0):
        for st in starts:
            cov = np.zeros(8)
            for i in range(8):
                for shift in (0.0, DAY):
                    lo, hi = max(st, i * 10800 + shift), min(st + hours * 3600, (i + 1) * 10800 + shift)
                    cov[i] += max(0.0, hi - lo) / 10800
            cands.append(((st, hours), cov))
    deficit, chosen = np.array(required, float), {}
    while (deficit > 1e-9).any():
        gains = [np.minimum(c, np.maximum(deficit, 0)).sum() for _, c in cands]
        best = int(np.argmax(gains))
        chosen[cands[best][0]] = chosen.get(cands[best][0], 0) + 1
        deficit -= cands[best][1]
    got = {(_clock(x.start), (_clock(x.end) - _clock(x.start)) % DAY / 3600): x.agents for x in shifts}
    assert got == chosen


# ---------------------------------------------------------------- both engines
def test_windows_shrinkage_and_staffing_are_bit_identical_in_both_engines():
    s = copy.deepcopy(WINDOWS)
    s["horizon"] = 3 * DAY
    s["agents"].append({"name": "staffed", "count": 30, "serves": ["sales"], "shrinkage": 0.15,
                        "staffing": {"required": [c // 4 for c in DAILY], "shift_lengths_hours": [8, 6],
                                     "breaks": [{"after_minutes": 180, "minutes": 30}]}})
    for case in (s, dict(s, drain=False)):
        for seed in (1, 2):
            assert_same_run(run(case, "core", seed=seed), run(case, "simpy", seed=seed))


def test_the_period_cursor_is_its_twin_over_two_weeks():
    from ccsim import _shifts
    from ccsim.engines.shifts import Schedule
    from ccsim.scenario.shifts import Shift, plan, period_on

    shift = Shift.model_validate({"start": "22:00", "end": "06:00", "breaks": [{"start": "02:00", "minutes": 30}]})
    start, days, pieces = plan(shift, 1)
    absent = np.zeros(14, dtype=bool)
    absent[[0, 3, 13]] = True  # Sunday of the last week: its night wraps to the period's start
    opens, closes = period_on(start, days, pieces[0], 2, absent)
    for shift0 in (0.0, 5 * DAY):
        on, core = _shifts.changes(opens, closes, shift0, 60, 14 * DAY)
        twin = Schedule(opens, closes, shift0, 14 * DAY)
        twin_on = twin.start()
        ref = [twin.first_change(twin_on)]
        for i in range(59):
            ref.append(twin.change(twin_on if i % 2 else not twin_on))
        assert (on, core) == (twin_on, ref)
        bounds = sorted(t - shift0 + w * 14 * DAY for t in opens + closes for w in (0, 1, 2))
        assert core[-1] > 14 * DAY and set(core) <= set(bounds)  # past the period: it repeats


# ---------------------------------------------------------------- errors
def _one(**shift):
    s = copy.deepcopy(SHIFTS)
    s["agents"][0]["shifts"][0].update(shift)
    return s


def _with(fn):
    s = copy.deepcopy(SHIFTS)
    fn(s)
    return s


NEVER = _with(lambda s: s.update(hours={"start_weekday": "monday", "open": {d: [["09:00", "17:00"]] for d in WEEKDAYS},
                                        "closed": {"action": "message", "message": 5}}) or
              s["call_types"].append({"name": "late", "arrivals": {"process": "poisson", "rate": 0.001},
                                      "handle_time": {"dist": "exponential", "mean": 60}}) or
              s["agents"].append({"name": "owls", "count": 2, "serves": ["late"],
                                  "shifts": [{"start": "18:00", "end": "23:00"}]}))
EMPTY = _with(lambda s: s["call_types"].append({"name": "late", "arrivals": {"process": "poisson", "rate": 0.001},
                                                "handle_time": {"dist": "exponential", "mean": 60}}) or
              s["agents"].append({"name": "owls", "count": 2, "serves": ["late"], "shifts": []}))

BAD = {
    "zero_length": (_one(start="08:00", end="08:00"), "agents[0].shifts[0]", "starts and ends at the same time"),
    "break_outside": (_one(breaks=[{"start": "16:20", "minutes": 15}]), "agents[0].shifts[0].breaks[0]",
                      "is not inside its shift"),
    "window_outside": (_one(breaks=[{"earliest": "15:00", "latest": "16:20", "minutes": 15}]),
                       "agents[0].shifts[0].breaks[0]", "is not inside its shift"),
    "window_backwards": (_one(breaks=[{"earliest": "13:00", "latest": "11:00", "minutes": 15}]),
                         "agents[0].shifts[0].breaks[0]", "latest start is before the earliest"),
    "window_and_start": (_one(breaks=[{"start": "10:00", "earliest": "11:00", "latest": "12:00", "minutes": 5}]),
                         "agents[0].shifts[0].breaks[0]", "not both"),
    "window_half": (_one(breaks=[{"earliest": "11:00", "minutes": 5}]), "agents[0].shifts[0].breaks[0]",
                    "both 'earliest' and 'latest'"),
    "fixed_overlap": (_one(breaks=[{"start": "10:00", "minutes": 30}, {"start": "10:15", "minutes": 15}]),
                      "agents[0].shifts[0].breaks[1]", "overlaps breaks[0]"),
    # the third agent's lunch is placed at 12:30, over the fixed break at 12:40
    "placed_overlap": (_one(breaks=[{"earliest": "11:00", "latest": "14:00", "minutes": 30},
                                    {"start": "12:40", "minutes": 10}]),
                       "agents[0].shifts[0].breaks[1]", "overlaps breaks[0]"),
    "never_in_hours": (NEVER, "call_types[2].name", "never cover the opening hours"),
    "no_agent_in_a_shift": (EMPTY, "call_types[2].name", "no agent in any shift"),
    "shrinkage_one": (_with(lambda s: s["agents"][0].update(shrinkage=1.0)), "agents[0].shrinkage", "less than 1"),
    "shrinkage_negative": (_one(shrinkage=-0.1), "agents[0].shifts[0].shrinkage", "greater than or equal to 0"),
    "staffing_and_shifts": (_with(lambda s: s["agents"][0].update(staffing={"required": DAILY})), "agents[0]",
                            "not both"),
    "staffing_short": (_with(lambda s: (s["agents"][0].pop("shifts"), s["agents"][0].update(
        staffing={"required": DAILY}))), "agents[0]", "the roster made from staffing needs"),
    "staffing_length": (_with(lambda s: (s["agents"][0].pop("shifts"), s["agents"][0].update(
        staffing={"required": DAILY[:40]}))), "agents[0].staffing", "give one day's (48 intervals"),
    "staffing_break_overlap": (_with(lambda s: (s["agents"][0].pop("shifts"), s["agents"][0].update(
        staffing={"required": DAILY, "breaks": [{"after_minutes": 60, "minutes": 30},
                                                {"after_minutes": 80, "minutes": 10}]}))),
        "agents[0].staffing", "overlaps"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_schedules_are_refused_with_the_path(case):
    scenario, path, words = BAD[case]
    assert_refused(scenario, path, words)


@pytest.mark.parametrize("case", ["placed_overlap", "never_in_hours", "shrinkage_one", "staffing_short"])
def test_the_cli_refuses_bad_schedules_with_exit_2_and_no_traceback(tmp_path, runner, case):
    scenario, path, words = BAD[case]
    file = tmp_path / "bad.yaml"
    file.write_text(yaml.safe_dump(scenario))
    out = runner.invoke(cli, ["validate", str(file)])
    assert out.exit_code == 2 and path in out.output and words in out.output
    assert "Traceback" not in out.output


def test_a_bad_requirement_csv_names_its_file_and_line(tmp_path, runner):
    (tmp_path / "need.csv").write_text("interval,agents\n0,1\n1,x\n")
    s = staffed_scenario({"csv": "need.csv"})
    file = tmp_path / "s.yaml"
    file.write_text(yaml.safe_dump(s))
    out = runner.invoke(cli, ["validate", str(file)])
    assert out.exit_code == 2 and "need.csv, line 3" in out.output and "Traceback" not in out.output


def test_validate_shows_the_shifts_made_from_staffing(tmp_path, runner):
    from ccsim.staffing import roster_from_requirements as public

    s = staffed_scenario({"required": DAILY, "shift_lengths_hours": [8, 6]})
    file = tmp_path / "s.yaml"
    file.write_text(yaml.safe_dump(s))
    out = runner.invoke(cli, ["validate", "--show-shifts", str(file)])
    assert out.exit_code == 0, out.output
    shown = yaml.safe_load(out.output.split("\n", 1)[1])["g"]
    made = public(DAILY, 30, [8, 6])
    assert [(x["start"], x["end"], x["agents"]) for x in shown] == [(x.start, x.end, x.agents) for x in made]


def test_schedule_tables_store_each_distinct_table_once_and_no_table_for_always_on():
    from ccsim.compile import ScheduleTables

    tables = ScheduleTables(100.0)
    assert [tables.index([], []), tables.index([1.0], [2.0]), tables.index([0.0], [100.0]),
            tables.index([1.0], [2.0]), tables.index([0.0], [50.0])] == [0, 1, -1, 1, 2]
    fields = tables.fields()
    assert fields["sched_start"].tolist() == [0, 0, 1, 2]
    assert fields["sched_open"].tolist() == [1.0, 0.0] and fields["sched_close"].tolist() == [2.0, 50.0]
