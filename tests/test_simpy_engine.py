"""The SimPy reference engine against the Cython core, and its arrival and sampling helpers.

Both engines implement one semantics on the same random streams, so with the
same seed they must make the same decisions: counters agree exactly, sums to
rounding. The tie rules, which continuous distributions never exercise, are
checked on scripted arrivals.
"""
import copy
import math

import numpy as np
import pytest

import ccsim
from ccsim.compile import DIST_CODES as D, compile_scenario
from ccsim.engines import simpy_engine
from ccsim.engines.arrivals import next_arrival
from ccsim.engines.sampling import sample
from ccsim.results import CALL_FIELDS, GROUP_FIELDS
from ccsim.scenario import validate_scenario

COUNT_FIELDS = {"arrived", "blocked", "offered", "answered", "abandoned", "answered_in_sl",
                "abandoned_short", "waiting_at_end"}

SINGLE_QUEUE = {
    "horizon": 3600, "warmup": 300, "interval": 900,
    "call_types": [{"name": "sales", "arrivals": {"process": "poisson", "rate": 0.5},
                    "handle_time": {"dist": "exponential", "mean": 120},
                    "patience": {"dist": "exponential", "mean": 60}}],
    "agents": [{"name": "a", "count": 50, "serves": ["sales"]}],
}

# Four call types, three groups with overlapping skills and proficiencies, a line
# limit, piecewise arrivals (a zero slot; a profile that does not repeat), ACW,
# a warm-up that is not a multiple of the interval.
SKILLS = {
    "horizon": 7200, "warmup": 1000, "interval": 600, "lines": 44,
    "service_level": {"threshold": 15, "short_abandon": 5},
    "call_types": [
        {"name": "sales", "arrivals": {"process": "piecewise", "rates": [0.1, 0.3, 0.0, 0.2], "slot": 900},
         "handle_time": {"dist": "lognormal", "mean": 180, "cv": 0.8},
         "patience": {"dist": "exponential", "mean": 90},
         "after_call_work": {"dist": "exponential", "mean": 20}},
        {"name": "service", "arrivals": {"process": "poisson", "rate": 0.15},
         "handle_time": {"dist": "gamma", "mean": 150, "cv": 1.3},
         "patience": {"dist": "exponential", "mean": 120},
         "after_call_work": {"dist": "uniform", "low": 5, "high": 30}},
        {"name": "billing", "arrivals": {"process": "piecewise", "rates": [2, 5, 8], "per": "minute",
                                          "slot": 1200, "repeat": False},
         "handle_time": {"dist": "weibull", "shape": 1.5, "scale": 200},
         "patience": {"dist": "exponential", "mean": 60}},
        {"name": "retention", "arrivals": {"process": "poisson", "rate": 3, "per": "minute"},
         "handle_time": {"dist": "uniform", "low": 60, "high": 300},
         "patience": {"dist": "exponential", "mean": 200},
         "after_call_work": {"dist": "exponential", "mean": 45}},
    ],
    "agents": [
        {"name": "generalists", "count": 8, "serves": ["sales", "service", "billing", "retention"],
         "proficiency": 1.2},
        {"name": "sales_team", "count": 14, "serves": ["sales", "retention"], "proficiency": 0.8},
        {"name": "service_team", "count": 16, "serves": ["service", "billing"]},
    ],
}

# Patience zero (never waits) and a horizon that ends inside an interval.
LOSS = {
    "horizon": 4000, "interval": 900, "warmup": 500,
    "call_types": [{"name": "orders", "arrivals": {"process": "poisson", "rate": 0.4},
                    "handle_time": {"dist": "exponential", "mean": 60},
                    "patience": {"dist": "deterministic", "value": 0}}],
    "agents": [{"name": "a", "count": 25, "serves": ["orders"]}],
}

# Infinite patience, two groups sharing one of two types, empirical ACW.
PATIENT = {
    "horizon": 5400, "warmup": 450, "interval": 900,
    "call_types": [
        {"name": "orders", "arrivals": {"process": "poisson", "rate": 0.3},
         "handle_time": {"dist": "gamma", "mean": 90, "cv": 0.7},
         "after_call_work": {"dist": "empirical", "values": [0, 5, 12, 30]}},
        {"name": "complaints", "arrivals": {"process": "piecewise", "rates": [0.05, 0.2], "slot": 1800},
         "handle_time": {"dist": "lognormal", "mean": 240, "cv": 1.5}},
    ],
    "agents": [{"name": "front", "count": 30, "serves": ["orders", "complaints"], "proficiency": 0.9},
               {"name": "back", "count": 8, "serves": ["complaints"]}],
}

# A weekly pattern (starting on a sunday) with busyness, and a busy Poisson type:
# the rates a replication's factors give, read alike by both engines; the horizon
# ends inside the second day.
WEEK_BUSY = {
    "horizon": 129600, "warmup": 3600, "interval": 3600,
    "call_types": [
        {"name": "sales", "arrivals": {"process": "piecewise", "per": "hour", "slot": 21600,
                                       "rates": [20, 90, 140, 50], "weekdays": [1.4, 1.1, 1, 1, 1.2, 0.7, 0.3],
                                       "start_weekday": "sunday", "busyness": {"cv": 0.2}},
         "handle_time": {"dist": "exponential", "mean": 180},
         "patience": {"dist": "exponential", "mean": 60}},
        {"name": "service", "arrivals": {"process": "poisson", "rate": 30, "per": "hour", "busyness": {"cv": 0.5}},
         "handle_time": {"dist": "lognormal", "mean": 240, "cv": 0.8},
         "patience": {"dist": "exponential", "mean": 120}},
    ],
    "agents": [{"name": "front", "count": 6, "serves": ["sales", "service"]},
               {"name": "back", "count": 3, "serves": ["service"], "proficiency": 1.1}],
}


def with_(scenario, **changes):
    out = copy.deepcopy(scenario)
    out.update(changes)
    return out


# SKILLS with the routing tables switched on: sales and retention try their team first, then the
# generalists; service names the generalists first; billing takes the file order (generalists,
# service_team); the generalists serve in an order of their own (strict priority by call type).
ROUTED = copy.deepcopy(with_(
    SKILLS, routing={"agent_selection": "ordered_groups", "queue_selection": "priority"},
    agents=[dict(SKILLS["agents"][0], serves=["retention", "billing", "service", "sales"]), *SKILLS["agents"][1:]],
    call_types=[dict(c, groups=order) if order else c for c, order in zip(SKILLS["call_types"], (
        ["sales_team", "generalists"], ["generalists", "service_team"], None, ["sales_team", "generalists"]))]))

# (scenario, totals that must be > 0 so the comparison exercises what it claims)
CASES = {
    "single_queue_drain": (SINGLE_QUEUE, {"answered", "abandoned"}),
    "single_queue_cut": (with_(SINGLE_QUEUE, drain=False), {"answered", "abandoned"}),
    "skills_drain": (SKILLS, {"blocked", "abandoned", "abandoned_short", "answered_in_sl"}),
    "skills_cut": (with_(SKILLS, drain=False), {"blocked", "abandoned", "waiting_at_end"}),
    "routed_drain": (ROUTED, {"blocked", "abandoned", "abandoned_short", "answered_in_sl"}),
    "routed_cut": (with_(ROUTED, drain=False), {"blocked", "abandoned", "waiting_at_end"}),
    "loss": (LOSS, {"answered", "abandoned"}),
    "patient_drain": (PATIENT, {"answered", "answered_in_sl"}),
    "patient_cut": (with_(PATIENT, drain=False), {"answered", "waiting_at_end"}),
    "week_busy_drain": (WEEK_BUSY, {"answered", "abandoned", "answered_in_sl"}),
}


def assert_same_stats(core, ref):
    """Counters equal, sums equal to relative 1e-9, in every array."""
    assert ref.calls_simulated == core.calls_simulated
    for name in ("interval_calls", "total_calls"):
        for i, field in enumerate(CALL_FIELDS):
            got, want = getattr(ref, name)[..., i], getattr(core, name)[..., i]
            if field in COUNT_FIELDS:
                np.testing.assert_array_equal(got, want, err_msg=f"{name}.{field}")
            else:
                np.testing.assert_allclose(got, want, rtol=1e-9, atol=0, err_msg=f"{name}.{field}")
    for i, field in enumerate(GROUP_FIELDS):
        got, want = ref.group_totals[:, i], core.group_totals[:, i]
        if field == "answered":
            np.testing.assert_array_equal(got, want, err_msg=f"group_totals.{field}")
        else:
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=0, err_msg=f"group_totals.{field}")
    np.testing.assert_allclose(ref.interval_groups, core.interval_groups, rtol=1e-9, atol=0,
                               err_msg="interval_groups")
    assert ref.end_time == core.end_time


def test_routed_skills_differ_from_the_default_routing():
    """The routing policies change who answers what: the bit-identity check above exercises them."""
    answered = GROUP_FIELDS.index("answered")
    routed = ccsim.simulate(ROUTED, seed=1, engine="core").stats
    for policy in ({"agent_selection": "longest_idle"}, {"queue_selection": "longest_waiting"}):
        other = ccsim.simulate(with_(ROUTED, routing=dict(ROUTED["routing"], **policy)), seed=1, engine="core").stats
        assert not np.array_equal(other.group_totals[:, answered], routed.group_totals[:, answered]), policy


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("seed", [1, 2024])
def test_engines_agree(case, seed):
    scenario, exercised = CASES[case]
    core = ccsim.simulate(scenario, seed=seed, engine="core").stats
    ref = ccsim.simulate(scenario, seed=seed, engine="simpy").stats
    assert_same_stats(core, ref)
    totals = dict(zip(CALL_FIELDS, ref.total_calls.sum(axis=0)))
    assert all(totals[f] > 0 for f in exercised), totals
    assert (ref.group_totals[:, GROUP_FIELDS.index("answered")] > 0).all()


def test_comparison_tells_runs_apart():
    core = ccsim.simulate(SKILLS, seed=1, engine="core").stats
    ref = ccsim.simulate(SKILLS, seed=2, engine="simpy").stats
    with pytest.raises(AssertionError):
        assert_same_stats(core, ref)


def test_drained_end_time_is_when_the_last_call_is_done():
    # Long patience: callers answered near the end leave patience timers far beyond
    # the last call; they are not events of the center and must not set end_time.
    scenario = with_(SINGLE_QUEUE, call_types=[
        dict(SINGLE_QUEUE["call_types"][0], patience={"dist": "exponential", "mean": 3000})])
    core = ccsim.simulate(scenario, seed=1, engine="core").stats
    ref = ccsim.simulate(scenario, seed=1, engine="simpy").stats
    assert ref.end_time == core.end_time
    assert SINGLE_QUEUE["horizon"] < ref.end_time < SINGLE_QUEUE["horizon"] + 3000


def _late_shift(serves):
    """A group of one agent whose daily shift starts after a 1 s horizon: a caller reaching it waits."""
    return {"name": "late", "count": 1, "serves": serves, "shifts": [{"start": "00:16", "end": "00:46"}]}


STUCK = {
    # a ring at 0.5 s, its caller still waiting when the drained run stops (only the shift is left)
    "ring": ({"horizon": 1.0,
              "call_types": [{"name": "t0", "handle_time": {"dist": "deterministic", "value": 10.0},
                              "arrivals": {"process": "replay", "times": [0.5]}}],
              "agents": [_late_shift(["t0"])]}, 0.5),
    # a menu step ending at 0.75 s sends the caller to that queue
    "menu step": ({"horizon": 1.0,
                   "call_types": [{"name": "t0", "handle_time": {"dist": "deterministic", "value": 1.0}}],
                   "agents": [_late_shift(["t0"])],
                   "entries": [{"name": "e0", "arrivals": {"process": "replay", "times": [0.25]}, "ivr": "m0"}],
                   "ivr": [{"name": "m0", "nodes": [{"name": "n0", "duration": {"dist": "deterministic", "value": 0.5},
                                                     "branches": [{"queue": "t0", "p": 1.0}]}]}]}, 0.75),
    # a talk ending at 0.5 s transfers the caller to a type only the late group serves
    "transfer": ({"horizon": 1.0,
                  "call_types": [{"name": "a", "handle_time": {"dist": "deterministic", "value": 0.4},
                                  "arrivals": {"process": "replay", "times": [0.1]},
                                  "transfers": [{"to": "b", "p": 1.0}]},
                                 {"name": "b", "handle_time": {"dist": "deterministic", "value": 1.0}}],
                  "agents": [{"name": "now", "count": 1, "serves": ["a"]}, _late_shift(["b"])]}, 0.5),
}


@pytest.mark.parametrize("case", sorted(STUCK))
def test_a_caller_left_waiting_by_a_drained_run_counts_in_its_end_time(case):
    """end_time is the clock of the center's last event: the ring, menu step or transfer that left a
    caller waiting when only schedule changes are left (the run stops; the caller is waiting at the
    end) is one, in both engines (the SimPy twin counted only departures: 0.0 or the ring before)."""
    scenario, when = STUCK[case]
    core = ccsim.simulate(scenario, seed=1, engine="core").stats
    ref = ccsim.simulate(scenario, seed=1, engine="simpy").stats
    assert core.end_time == ref.end_time == when
    assert_same_stats(core, ref)
    assert core.total_calls[:, CALL_FIELDS.index("waiting_at_end")].sum() == 1


def _one_shift_center(handle, patience=None):
    call_type = {"name": "t0", "arrivals": {"process": "poisson", "rate": 1.0}, "handle_time": handle}
    if patience is not None:
        call_type["patience"] = patience
    return {"horizon": 10.0, "call_types": [call_type],
            "agents": [{"name": "g0", "count": 1, "serves": ["t0"], "shifts": [{"start": "00:00", "end": "12:00"}]}]}


@pytest.mark.parametrize("case, scenario", [
    # a Weibull of shape 0.02: talks of up to ~1e14 s; both engines hung (killed after hours)
    ("talks of years", _one_shift_center({"dist": "weibull", "shape": 0.02, "scale": 1.0})),
    # talks of 1e9 s (the scenario's limit) by one agent on a daily shift: 1.7 s on the core,
    # over 120 s on the SimPy twin, to an end time of 7e9 s
    ("the longest talks allowed", _one_shift_center({"dist": "deterministic", "value": 1e9})),
    # patience timers of callers answered long ago (stale), beyond the drain end: the core drops
    # them from its wheel, the twin pops them; both stop at the same place
    ("patience of years", _one_shift_center({"dist": "deterministic", "value": 1.0},
                                            {"dist": "deterministic", "value": 9e8})),
])
def test_a_drained_run_stops_at_its_drain_end(case, scenario):
    """A drained run with shifts went on through every day's schedule changes until its last talk
    ended, years on. It now stops past ``drain_end`` (one horizon after the horizon, at least 30
    days) at the latest, the same way in both engines, and counts what is still in the center as
    a cut run does."""
    from ccsim.engines import ENGINES

    model = compile_scenario(validate_scenario(scenario))
    assert model.drain_end == 10.0 + 30 * 86400.0
    core, ref = ENGINES["core"](model, 1, call_records=True), ENGINES["simpy"](model, 1, call_records=True)
    assert core.end_time == ref.end_time <= model.drain_end
    assert_same_stats(core, ref)
    np.testing.assert_array_equal(core.call_records, ref.call_records)


def test_the_drain_end_cuts_like_the_horizon():
    """Past drain_end what is still in the center counts as at the end: callers waiting behind a
    talk of 1e9 s are waiting at the end, the first caller is served, the end time is the last
    event before drain_end (a ring before the horizon)."""
    scenario = _one_shift_center({"dist": "deterministic", "value": 1e9})
    scenario["agents"][0].pop("shifts")  # the same cut without schedule changes
    for engine in ("core", "simpy"):
        stats = ccsim.simulate(scenario, seed=1, engine=engine).stats
        calls = dict(zip(CALL_FIELDS, stats.total_calls.sum(axis=0)))
        assert calls["answered"] == 1 and calls["waiting_at_end"] == calls["offered"] - 1 > 0
        assert stats.end_time < 10.0


# ---- tie rules, on scripted arrivals -------------------------------------------------------

def scripted(times_by_start):
    """A stand-in for ``next_arrival``: call type with ``rate_start`` s rings at times_by_start[s]."""
    def next_scripted(rng, rates, start, count, slot, repeat, horizon, t):
        return min((x for x in times_by_start[start] if x > t), default=math.inf)
    return next_scripted


def scripted_run(monkeypatch, times, handle, patience, acw=None, lines=None, agents=None,
                 drain=True, types=("x",)):
    """The SimPy engine with every call type ringing at ``times``, durations deterministic.

    ``patience`` None is infinite patience. Returns the stats and the first type's totals.
    """
    call_types = []
    for name in types:
        call_type = {"name": name, "arrivals": {"process": "poisson", "rate": 1.0},
                     "handle_time": {"dist": "deterministic", "value": handle}}
        if patience is not None:
            call_type["patience"] = {"dist": "deterministic", "value": patience}
        if acw is not None:
            call_type["after_call_work"] = {"dist": "deterministic", "value": acw}
        call_types.append(call_type)
    scenario = {"horizon": 1000, "interval": 500, "lines": lines, "drain": drain,
                "call_types": call_types,
                "agents": agents or [{"name": "a", "count": 1, "serves": list(types)}]}
    monkeypatch.setattr(simpy_engine, "next_arrival", scripted({k: times for k in range(len(types))}))
    stats = simpy_engine.run(compile_scenario(ccsim.as_scenario(scenario)), seed=0)
    return stats, dict(zip(CALL_FIELDS, stats.total_calls[0]))


@pytest.mark.parametrize("handle, acw", [(30, None), (20, 10)])
def test_agent_freed_as_patience_ends_serves_the_caller(monkeypatch, handle, acw):
    # A rings at 10 and is answered; B rings at 20 and would hang up at 40, when the
    # agent frees up (talk end, or end of after-call work): B is served, waiting 20 s.
    stats, calls = scripted_run(monkeypatch, [10, 20], handle=handle, patience=20, acw=acw)
    assert (calls["answered"], calls["abandoned"], calls["wait_answered"]) == (2, 0, 20)
    assert calls["answered_in_sl"] == 2  # a wait of exactly the threshold (20 s) is within it
    assert stats.end_time == 70  # drained: B's call ends at 40 + 30


def test_arrival_comes_before_abandonment(monkeypatch):
    # Two lines: A talks, B waits until 30; C rings at 30 while B still holds a line.
    _, calls = scripted_run(monkeypatch, [10, 20, 30], handle=100, patience=10, lines=2)
    assert (calls["answered"], calls["abandoned"], calls["blocked"]) == (1, 1, 1)


def test_talk_end_comes_before_arrival(monkeypatch):
    # A never-waiting caller ringing as the only agent hangs up from a call is answered.
    _, calls = scripted_run(monkeypatch, [10, 30], handle=20, patience=0)
    assert (calls["answered"], calls["abandoned"]) == (2, 0)


def test_events_at_the_horizon_still_happen(monkeypatch):
    # Cut at 1000: A's talk ends at exactly 1000, so B (waiting since 980) is answered.
    stats, calls = scripted_run(monkeypatch, [960, 980], handle=40, patience=None, drain=False)
    assert (calls["answered"], calls["waiting_at_end"], stats.end_time) == (2, 0, 1000)


def test_freed_agent_takes_the_earliest_caller_lower_type_on_ties(monkeypatch):
    # Types x and y both ring at 10 and 20, one agent serves both. x@10 is answered at
    # once; at 40 the earliest caller waiting is y@10 (30 s); at 70, x@20 and y@20 tie
    # on arrival and x, the lower type, goes first (50 s); y@20 at 100 (80 s).
    stats, _ = scripted_run(monkeypatch, [10, 20], handle=30, patience=None, types=("x", "y"))
    waits = stats.total_calls[:, CALL_FIELDS.index("wait_answered")]
    assert waits.tolist() == [50, 110]


def test_calls_go_to_the_longest_idle_agent(monkeypatch):
    # Groups a (talk 30 s) and b (talk 60 s), one agent each, both idle since 0.
    # 10: tie, lowest index -> a (idle again at 40); 100: b, idle since 0;
    # 200: a, idle since 40 (b since 160).
    agents = [{"name": "b", "count": 1, "serves": ["x"], "proficiency": 2.0},
              {"name": "a", "count": 1, "serves": ["x"]}]
    stats, _ = scripted_run(monkeypatch, [10, 100, 200], handle=30, patience=0, agents=agents)
    answered = stats.group_totals[:, GROUP_FIELDS.index("answered")]
    assert answered.tolist() == [2, 1]  # groups in name order: a, b


# ---- next_arrival --------------------------------------------------------------------------

def all_arrivals(rng, rates, slot, repeat, horizon):
    out, t = [], 0.0
    while True:
        t = next_arrival(rng, rates, 0, len(rates), slot, repeat, horizon, t)
        if not t < horizon:
            return np.array(out)
        out.append(t)


def test_constant_rate_is_exponential_gaps():
    rng = np.random.Generator(np.random.PCG64(5))
    twin = np.random.Generator(np.random.PCG64(5))
    # A single slot over the horizon: the next arrival is t + E / rate, exactly.
    assert next_arrival(rng, [9.0, 0.5], 1, 1, 1e6, True, 1e6, 3.0) == 3.0 + twin.standard_exponential() / 0.5
    gaps = np.diff(all_arrivals(rng, [0.5], 1e6, True, 1e6), prepend=0.0)
    se = 2.0 / math.sqrt(len(gaps))  # mean 1/rate, sd 1/rate
    assert abs(gaps.mean() - 2.0) < 5 * se


def test_zero_rate_slots_have_no_arrivals():
    times = all_arrivals(np.random.Generator(np.random.PCG64(6)), [0.2, 0.0, 0.3], 100.0, True, 3000.0)
    slot_index = (times // 100).astype(int) % 3
    assert (slot_index != 1).all()
    assert (slot_index == 0).sum() > 0 and (slot_index == 2).sum() > 0
    assert times.max() > 2000  # the profile repeats


def test_profile_without_repeat_stops_after_its_last_slot():
    rng = np.random.Generator(np.random.PCG64(7))
    times = all_arrivals(rng, [0.5, 0.1], 100.0, False, 10_000.0)
    assert len(times) > 20 and times.max() < 200
    assert next_arrival(rng, [0.5, 0.1], 0, 2, 100.0, False, 10_000.0, 200.0) == math.inf
    repeated = all_arrivals(np.random.Generator(np.random.PCG64(7)), [0.5, 0.1], 100.0, True, 10_000.0)
    assert repeated.max() > 9000


# ---- sample ----------------------------------------------------------------------------------

def test_sample_draws_as_documented():
    rng, twin = (np.random.Generator(np.random.PCG64(8)) for _ in range(2))
    assert sample(D["exponential"], 120.0, 0.0, [], rng) == 120.0 * twin.standard_exponential()
    assert sample(D["uniform"], 5.0, 25.0, [], rng) == 5.0 + 25.0 * twin.random()
    assert sample(D["lognormal"], 4.0, 0.5, [], rng) == twin.lognormal(4.0, 0.5)
    assert sample(D["gamma"], 2.0, 30.0, [], rng) == 30.0 * twin.standard_gamma(2.0)
    assert sample(D["weibull"], 1.5, 200.0, [], rng) == 200.0 * twin.weibull(1.5)
    assert sample(D["deterministic"], 7.0, 0.0, [], rng) == 7.0  # draws nothing ...
    assert sample(D["infinite"], 0.0, 0.0, [], rng) == math.inf
    assert rng.random() == twin.random()  # ... so the streams are still in step
    values = [1.0, 2.0, 3.0, 4.0, 5.0]  # the distribution owns values[1:4]
    assert {sample(D["empirical"], 1.0, 3.0, values, rng) for _ in range(200)} == {2.0, 3.0, 4.0}
