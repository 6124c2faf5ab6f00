"""Replayed arrivals: recorded call times ring exactly as recorded, in both engines.

The engines ring the recorded times (shift and repetition included, calls
recorded at one instant each ringing), agree bit for bit with each other on a
scenario mixing replay, Poisson and an entry, and a replay of a Poisson run's
own arrival times reproduces that run exactly (the other streams are keyed by
name, and a replay draws no random number). Bad recordings are refused with
the file and the CSV line.
"""
import copy
import math

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st
from engine_checks import assert_same_run
from inbound_scenarios import INBOUND, with_

import ccsim
from ccsim import _arrivals
from ccsim.budget import expected_arrivals
from ccsim.cli import cli
from ccsim.compile import compile_scenario
from ccsim.diagnostics import mean_arrival_rate, stationary_arrivals
from ccsim.engines import ENGINES
from ccsim.engines.arrivals import replay_arrival
from ccsim.scenario import ScenarioError, validate_scenario
from ccsim.scenario import limits as L


# Two call types in one recording; ties at 5 s (three calls of 'sales') and at 30 s.
CALLS_CSV = """time,queue
0,sales
5,service
5,sales
5,sales
5,sales
12.5,sales
30,sales
30,service
30,sales
70,service
"""
SALES = [0.0, 5.0, 5.0, 5.0, 12.5, 30.0, 30.0]


def one_type(arrivals, horizon=200.0, agents=50):
    """One call type rung only by ``arrivals``; plenty of agents (arrivals are what is tested)."""
    return {"horizon": horizon, "interval": 50,
            "call_types": [{"name": "sales", "arrivals": arrivals,
                            "handle_time": {"dist": "exponential", "mean": 3}}],
            "agents": [{"name": "team", "count": agents, "serves": ["sales"]}]}


def write(folder, name, text):
    path = folder / name
    path.write_text(text)
    return path


def first_rings(records, source=0):
    """The first attempts' ring times of ``source``, sorted (call records of one run)."""
    keep = (records["attempt"] == 1) & (records["source"] == source)
    return np.sort(records["arrival"][keep])


# ---------------------------------------------------------------- the engines ring the recorded times

@pytest.mark.parametrize("engine", ["core", "simpy"])
@pytest.mark.parametrize("shift, repeat", [(0.0, None), (2.5, None), (0.0, 40.0), (1.0, 30.0)])
def test_engines_ring_exactly_the_recorded_times(tmp_path, engine, shift, repeat):
    path = write(tmp_path, "calls.csv", CALLS_CSV)
    arrivals = {"process": "replay", "csv": str(path), "column": "time", "call_type_column": "queue",
                "value": "sales", "shift": shift}
    if repeat is not None:
        arrivals["repeat_every"] = repeat
    horizon = 125.0
    cycles = range(math.ceil(horizon / repeat) + 1) if repeat else [0]
    want = sorted(t + shift + c * (repeat or 0.0) for c in cycles for t in SALES)
    want = [t for t in want if t < horizon]
    result = ccsim.simulate(one_type(arrivals, horizon=horizon), engine=engine, call_records=True)
    np.testing.assert_array_equal(first_rings(result.stats.call_records), want)
    assert len(want) > len(SALES) or not repeat  # the repetition is exercised


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_calls_recorded_at_one_instant_each_ring_even_at_time_zero(engine):
    times = [0.0, 0.0, 0.0, 7.0, 7.0, 7.0, 7.0, 199.0, 200.0, 200.0]  # the horizon (200) is excluded
    result = ccsim.simulate(one_type({"process": "replay", "times": times}, agents=3), engine=engine,
                            call_records=True)
    np.testing.assert_array_equal(first_rings(result.stats.call_records), times[:8])


@settings(max_examples=60, deadline=None)
@given(times=st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.0 / 3, 2.0, 7.25]), min_size=1, max_size=12).map(sorted),
       period=st.sampled_from([0.0, 7.25, 8.0, 10.1]), horizon=st.sampled_from([0.5, 5.0, 50.0]))
def test_the_core_replay_chains_as_its_python_twin(times, period, horizon):
    core = _arrivals.replay_times(times, period, horizon, n=10_000)
    twin, t, j = [], 0.0, 0
    while True:
        t = replay_arrival(times, 0, len(times), period, j, t)
        twin.append(t)
        j += 1
        if not t < horizon:
            break
    np.testing.assert_array_equal(core, twin)  # bit for bit, ties and the end included
    assert (np.diff(core) >= 0).all()
    assert sum(1 for t in core if t < horizon) == int(expected_arrivals(compile_scenario(validate_scenario(
        one_type({"process": "replay", "times": times, **({"repeat_every": period} if period else {})},
                 horizon=horizon))))[0])


# ---------------------------------------------------------------- both engines, bit for bit

def mixed(tmp_path):
    """The inbound scenario with 'sales' and the entry replayed from one CSV, 'complaints' Poisson."""
    rng = np.random.default_rng(12)
    sales = np.sort(rng.uniform(0, 14000, 500)).round(-1)  # rounded: ties happen
    hotline = np.sort(rng.uniform(0, 7200, 300)).round(-1) + 0.5
    rows = sorted([(t, "sales") for t in sales] + [(t, "hotline") for t in hotline])
    path = write(tmp_path, "calls.csv", "at,line\n" + "".join(f"{float(t)!r},{who}\n" for t, who in rows))
    replay = {"process": "replay", "csv": str(path), "column": "at", "call_type_column": "line"}
    scenario = copy.deepcopy(INBOUND)
    scenario["call_types"][0]["arrivals"] = {**replay, "value": "sales"}
    scenario["call_types"][2]["arrivals"] = {"process": "poisson", "rate": 0.01}
    scenario["entries"][0]["arrivals"] = {**replay, "value": "hotline", "shift": 600, "repeat_every": 7200}
    assert len(set(sales)) < len(sales) and len(set(hotline)) < len(hotline)
    return scenario


@pytest.mark.parametrize("drain", [True, False])
@pytest.mark.parametrize("seed", [1, 7])
def test_core_and_simpy_are_bit_identical_with_replays(tmp_path, drain, seed):
    model = compile_scenario(validate_scenario(with_(mixed(tmp_path), drain=drain)))
    core, ref = (ENGINES[engine](model, seed, call_records=True) for engine in ("core", "simpy"))
    assert_same_run(core, ref)
    entry = model.n_types  # the entry's first attempts: its recording, shifted and repeated once
    assert len(first_rings(core.call_records, entry)) == int(expected_arrivals(model)[entry])


def test_a_replay_of_a_poisson_runs_own_times_reproduces_that_run(tmp_path):
    # The strong check: the Poisson run's arrival times, written to a CSV and replayed,
    # give the very same run (same callers, same handle times and patience, same statistics):
    # only the arrival stream changes hands, and every other stream is keyed by name.
    poisson = {"horizon": 20000, "warmup": 1000, "interval": 900,
               "call_types": [{"name": "inbound", "arrivals": {"process": "poisson", "rate": 0.1},
                               "handle_time": {"dist": "exponential", "mean": 60},
                               "patience": {"dist": "exponential", "mean": 120}}],
               "agents": [{"name": "team", "count": 7, "serves": ["inbound"]}]}
    seed = np.random.SeedSequence(2026)
    run = ccsim.simulate(poisson, seed=seed, call_records=True)
    times = first_rings(run.stats.call_records)
    assert len(times) > 1500
    path = write(tmp_path, "recorded.csv", "time\n" + "".join(f"{float(t)!r}\n" for t in times))
    replayed = copy.deepcopy(poisson)
    replayed["call_types"][0]["arrivals"] = {"process": "replay", "csv": str(path)}
    again = ccsim.simulate(replayed, seed=seed, call_records=True)
    np.testing.assert_array_equal(again.stats.call_records, run.stats.call_records)
    for name in ("interval_calls", "total_calls", "group_totals", "interval_groups"):
        np.testing.assert_array_equal(getattr(again.stats, name), getattr(run.stats, name), err_msg=name)
    # power: another seed's recording does not reproduce it
    other = first_rings(ccsim.simulate(poisson, seed=np.random.SeedSequence(1), call_records=True)
                        .stats.call_records)
    replayed["call_types"][0]["arrivals"] = {"process": "replay", "times": other.tolist()}
    assert not np.array_equal(ccsim.simulate(replayed, seed=seed).stats.total_calls, run.stats.total_calls)


def test_replays_of_poisson_samples_give_the_erlang_c_waiting_probability():
    # M/M/3 at 2 Erlangs: each replication replays its own Poisson sample (drawn here, not by
    # the engine) with its own seed; P(wait) per replication, a Student-t interval over them at
    # 99.9 % must hold Erlang C's C(3, 2) = 4/9, and must not hold C(4, 2) (power).
    from scipy import stats

    from ccsim.analytic import erlang_c
    from ccsim.results import CALL_FIELDS
    rate, handle, horizon, reps = 0.02, 100.0, 60_000.0, 30
    answered, in_sl = CALL_FIELDS.index("answered"), CALL_FIELDS.index("answered_in_sl")
    p_wait = []
    for rep in range(reps):
        gaps = np.random.default_rng([2026, rep]).exponential(1 / rate, int(rate * horizon * 1.5))
        times = np.cumsum(gaps)
        scenario = {"horizon": horizon, "warmup": 6000, "interval": 6000, "service_level": {"threshold": 0},
                    "call_types": [{"name": "inbound", "arrivals": {"process": "replay",
                                                                    "times": times[times < horizon].tolist()},
                                    "handle_time": {"dist": "exponential", "mean": handle}}],
                    "agents": [{"name": "team", "count": 3, "serves": ["inbound"]}]}
        total = ccsim.simulate(scenario, seed=np.random.SeedSequence([7, rep])).stats.total_calls[0]
        p_wait.append(1.0 - total[in_sl] / total[answered])
    mean, half = np.mean(p_wait), stats.t.ppf(1 - 0.0005, reps - 1) * np.std(p_wait, ddof=1) / math.sqrt(reps)
    assert abs(mean - erlang_c(3, rate * handle)) <= half, (mean, half)
    assert abs(mean - erlang_c(4, rate * handle)) > half


# ---------------------------------------------------------------- what the rest of ccsim sees

def test_the_validated_scenario_is_self_contained(tmp_path):
    path = write(tmp_path, "calls.csv", CALLS_CSV)
    scenario = validate_scenario(one_type({"process": "replay", "csv": "calls.csv", "call_type_column": "queue",
                                           "value": "sales", "repeat_every": 60}), base_dir=tmp_path)
    arrivals = scenario.call_types[0].arrivals
    assert arrivals.times == SALES and arrivals.csv is None and arrivals.value is None
    path.unlink()
    assert validate_scenario(scenario.model_dump()) == scenario  # no file needed any more


def test_budget_counts_and_diagnostics_treat_replay_as_non_stationary():
    times = [0.0, 10.0, 10.0, 50.0]
    scenario = validate_scenario(one_type({"process": "replay", "times": times, "repeat_every": 60, "shift": 5},
                                          horizon=185.0))
    # 5, 15, 15, 55 | 65, 75, 75, 115 | 125, 135, 135, 175 | 185 (the horizon: not rung)
    assert expected_arrivals(compile_scenario(scenario)).tolist() == [12.0]
    assert mean_arrival_rate(scenario, 0) == 12.0 / 185.0
    assert not stationary_arrivals(scenario)


# ---------------------------------------------------------------- bad recordings

BAD = {
    "missing column": ("when,queue\n1,sales\n", {}, "column 'time' not in the header row"),
    "missing type column": ("time\n1\n", {"call_type_column": "queue", "value": "sales"},
                            "column 'queue' not in the header row"),
    "not a number": ("time\n1\n2\nsoon\n", {}, "line 4: column 'time' holds 'soon', expected a time in seconds"),
    "underscore": ("time\n1\n2_0\n", {}, "line 3: column 'time' holds '2_0', expected a time in seconds"),
    "negative": ("time\n1\n-2\n", {}, "line 3: column 'time' holds -2, expected a time >= 0"),
    "not sorted": ("time\n1\n4\n4\n3\n9\n", {}, "line 5: time 3 is earlier than the row before (line 4, 4)"),
    "no matching row": (CALLS_CSV, {"call_type_column": "queue", "value": "billing"},
                        "no row whose column 'queue' is 'billing'"),
    "repeat too short": ("time\n1\n30\n", {"repeat_every": 20},
                         "line 3: the last recorded time (30 s) is after repeat_every (20 s)"),
    "short row": ("time,queue\n1,sales\n2\n", {"call_type_column": "queue", "value": "sales"},
                  "line 3: column 'queue' is missing"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_recordings_name_the_file_and_line(tmp_path, case):
    text, extra, message = BAD[case]
    path = write(tmp_path, "calls.csv", text)
    with pytest.raises(ScenarioError) as err:
        validate_scenario(one_type({"process": "replay", "csv": "calls.csv", **extra}), base_dir=tmp_path)
    assert str(path) in str(err.value) and message in str(err.value)
    assert err.value.problems[0].path == "call_types[0].arrivals"


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ScenarioError, match=f"CSV file not found: {tmp_path / 'nowhere.csv'}"):
        validate_scenario(one_type({"process": "replay", "csv": "nowhere.csv"}), base_dir=tmp_path)


def test_too_many_rows_are_refused_at_the_first_row_past_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(L, "MAX_REPLAY_CALLS", 3)
    path = write(tmp_path, "calls.csv", "time\n1\n2\n3\n4\n5\n")
    with pytest.raises(ScenarioError, match=f"{path}, line 5: more than 3 recorded calls"):
        validate_scenario(one_type({"process": "replay", "csv": str(path)}))


def test_replayed_times_count_in_the_scenarios_total_of_values(monkeypatch):
    monkeypatch.setattr(L, "MAX_TOTAL_VALUES", 5)
    validate_scenario(one_type({"process": "replay", "times": [1.0, 2.0, 3.0, 4.0, 5.0]}))
    with pytest.raises(ScenarioError, match="replayed times and empirical distributions hold 6 numbers"):
        validate_scenario(one_type({"process": "replay", "times": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}))


@pytest.mark.parametrize("arrivals, message", [
    ({"times": [1, 5, 2]}, "times[2] (2) is earlier than times[1] (5)"),
    ({"times": [1, 50]}, "repeat_every"),
    ({"times": [1], "busyness": {"cv": 0.2}}, "busyness is not allowed with replay"),
    ({"times": [1], "weekdays": [1] * 7}, "weekdays is not allowed with replay"),
    ({}, "give either 'csv'"),
    ({"times": [1], "csv": "x.csv"}, "give either 'csv'"),
    ({"times": [1], "column": "time"}, "only meaningful with 'csv'"),
    ({"csv": "x.csv", "value": "sales"}, "'call_type_column' and 'value' go together"),
])
def test_bad_inline_replays_are_refused(arrivals, message):
    spec = {"process": "replay", **arrivals}
    if "repeat_every" in message:
        spec["repeat_every"] = 20
    with pytest.raises(ScenarioError) as err:
        validate_scenario(one_type(spec))
    assert message in str(err.value)
    assert err.value.problems[0].path.startswith("call_types[0].arrivals")


def test_the_cli_refuses_a_bad_recording_without_a_traceback(tmp_path):
    write(tmp_path, "calls.csv", "time\n1\n4\n3\n")
    scenario = write(tmp_path, "replay.yaml", yaml.safe_dump(one_type({"process": "replay", "csv": "calls.csv"})))
    result = CliRunner().invoke(cli, ["run", str(scenario)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"{tmp_path / 'calls.csv'}, line 4: time 3 is earlier than the row before" in result.stderr


def test_the_budgets_overflow_message_quotes_a_replays_mean_rate():
    from ccsim.budget import rate_at
    model = compile_scenario(validate_scenario(one_type({"process": "replay", "times": [0.0, 1.0, 1.0, 3.0]},
                                                        horizon=2.0)))
    assert rate_at(model, 0, 1.0) == 3 / 2.0  # 0, 1, 1 ring before the horizon
