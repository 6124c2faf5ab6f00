"""Runs from a start state (ccsim.state): an empty state is a plain run, both engines agree bit for bit,
the state's callers abandon and its calls end as their elapsed times say (conditioned draws), and bad
states are refused with the field's path."""
import json
import math

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from scipy import stats

from ccsim.cli import cli
from ccsim.compile import compile_scenario
from ccsim.engines import ENGINES
from ccsim.results import AGENT_FIELDS, OUTCOMES
from ccsim.scenario import validate_scenario
from ccsim.state.residual import remaining, survival
from ccsim.state.schema import StateError, validate_state
from ccsim.state.start import with_state
from engine_checks import assert_same_run
from factories import single_queue, two_call_types

BUSY_STATE = {
    "clock": 1800,
    "waiting": [{"call_type": "sales", "waited": 100, "count": 30}, {"call_type": "service", "waited": 20, "count": 5},
                {"call_type": "sales", "waited": 400}],
    "busy": [{"group": "all_round", "count": 30, "call_type": "service", "elapsed": 60},
             {"agent": "sales_team-2", "call_type": "sales", "elapsed": 10}],
    "away": [{"group": "sales_team", "count": 4, "remaining": 600}, {"agent": "all_round-40", "remaining": 1e4}],
}


def model_from(scenario, state):
    return with_state(compile_scenario(validate_scenario(scenario)), validate_state(state))


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_an_empty_state_at_time_0_is_the_plain_run(engine):
    scenario = two_call_types(sales_agents=12)
    plain = ENGINES[engine](compile_scenario(validate_scenario(scenario)), 5, call_records=True)
    assert_same_run(ENGINES[engine](model_from(scenario, {"clock": 0}), 5, call_records=True), plain)


@pytest.mark.parametrize("drain", [True, False])
def test_both_engines_make_the_same_run_from_a_state(drain):
    scenario = {**two_call_types(sales_agents=10), "drain": drain, "lines": 120}
    model = model_from(scenario, BUSY_STATE)
    assert_same_run(ENGINES["core"](model, 2, call_records=True), ENGINES["simpy"](model, 2, call_records=True))


def test_arrivals_after_the_clock_are_the_same_whatever_the_state():
    """Common random numbers: the state's draws come from a stream of their own."""
    scenario = two_call_types(sales_agents=10)
    quiet = ENGINES["core"](model_from(scenario, {"clock": 1800}), 4, call_records=True).call_records
    busy = ENGINES["core"](model_from(scenario, BUSY_STATE), 4, call_records=True).call_records
    def new_callers(records):
        first = records[(records["attempt"] == 1) & (records["arrival"] >= 1800)]
        return np.sort(first["arrival"])
    np.testing.assert_array_equal(new_callers(quiet), new_callers(busy))


def no_agent_free(patience, waited, callers=4000):
    """One agent, busy for the whole run; ``callers`` waiting ``waited`` s at clock 1000; almost no arrivals."""
    scenario = single_queue(agents=1, horizon=1e5, rate=1e-9)
    scenario["call_types"][0]["handle_time"] = {"dist": "deterministic", "value": 1e6}
    scenario["call_types"][0]["patience"] = patience
    state = {"clock": 1000, "busy": [{"group": "team", "call_type": "inbound", "elapsed": 0}],
             "waiting": [{"call_type": "inbound", "waited": waited, "count": callers}]}
    records = ENGINES["core"](model_from(scenario, state), 11, call_records=True).call_records
    start = records[records["arrival"] < 1000]
    assert len(start) == callers and (start["outcome"] == OUTCOMES.index("abandoned")).all()
    return start["wait"] - waited  # patience left at the clock time


def share_ci(rest, x):
    """The share abandoning within x s of the clock time, and its 99.9 % (Wilson) interval."""
    n, k = len(rest), int(np.sum(rest <= x))
    z, p = 3.29, k / n
    centre, half = (p + z * z / (2 * n)) / (1 + z * z / n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_exponential_patience_is_memoryless_from_the_state():
    rest = no_agent_free({"dist": "exponential", "mean": 300}, waited=500)
    lo, hi = share_ci(rest, 200)
    assert lo <= 1 - math.exp(-200 / 300) <= hi


@pytest.mark.parametrize("patience, conditioned, unconditioned", [
    ({"dist": "weibull", "shape": 0.5, "scale": 200},
     lambda w, x: 1 - math.exp(-((w + x) / 200) ** 0.5 + (w / 200) ** 0.5), lambda x: 1 - math.exp(-(x / 200) ** 0.5)),
    ({"dist": "deterministic", "value": 700}, lambda w, x: 1.0 if w + x >= 700 else 0.0, lambda x: 0.0),
])
def test_patience_left_is_conditioned_on_the_wait(patience, conditioned, unconditioned):
    """(F(w+x) - F(w)) / (1 - F(w)) of the snapshot's callers abandon within x; the unconditioned
    F(x) (a fresh draw, ignoring the wait) lies outside the interval."""
    w = 500
    rest = no_agent_free(patience, waited=w)
    for x in (100, 250):
        lo, hi = share_ci(rest, x)
        assert lo <= conditioned(w, x) <= hi, (x, lo, hi)
    assert not lo <= unconditioned(250) <= hi, (lo, hi)  # a fresh draw ignoring the wait is refused


def test_an_unconditioned_draw_fails_the_same_check():
    """Power: fresh Weibull draws (what a start without conditioning would give) are refused."""
    rng = np.random.default_rng(3)
    rest = 200 * rng.weibull(0.5, 4000)
    lo, hi = share_ci(rest, 250)
    assert not lo <= 1 - math.exp(-((750) / 200) ** 0.5 + (500 / 200) ** 0.5) <= hi


DISTS = [(3, 4.5, 0.8, 0.0), (4, 2.0, 90.0, 0.0), (5, 0.7, 150.0, 0.0), (2, 30.0, 400.0, 0.0),
         (7, 10.0, 60.0, 500.0), (0, 120.0, 0.0, 0.0)]


@pytest.mark.parametrize("row", range(len(DISTS)))
def test_remaining_time_has_the_conditional_distribution(row):
    """KS test of X - x given X > x against 1 - S(x + r) / S(x), for each family; an unconditioned
    draw is rejected by the same test (except for the memoryless exponential)."""
    dists = [(c, a, b, d, 0.0) for c, a, b, d in DISTS]
    x, rng = 150.0, np.random.default_rng(row)
    rest = np.array([remaining(dists, row, [], x, rng) for _ in range(3000)])
    s = survival(dists, row, [], x)
    cdf = np.vectorize(lambda r: 1.0 - survival(dists, row, [], x + r) / s if r >= 0 else 0.0)
    assert stats.kstest(rest, cdf).pvalue > 1e-3
    if DISTS[row][0] != 0:
        fresh = np.array([remaining(dists, row, [], 0.0, rng) for _ in range(3000)])
        assert stats.kstest(fresh, cdf).pvalue < 1e-3


def test_mixture_remaining_time():
    dists = [(8, 2.0, 0.0, 0.0, 0.0), (0, 20.0, 0.0, 0.0, 0.6), (3, 5.0, 0.5, 0.0, 1.0)]
    x, rng = 60.0, np.random.default_rng(9)
    rest = np.array([remaining(dists, 0, [], x, rng) for _ in range(3000)])
    s = 0.6 * survival(dists, 1, [], x) + 0.4 * survival(dists, 2, [], x)
    cdf = np.vectorize(lambda r: 1 - (0.6 * survival(dists, 1, [], x + r) + 0.4 * survival(dists, 2, [], x + r)) / s)
    assert stats.kstest(rest, cdf).pvalue > 1e-3


def test_busy_agents_free_at_the_conditioned_talk_left():
    """Agents 120 s into lognormal talks (no after-call work, no callers): each one's busy time from the
    clock time is its talk left, distributed as X - 120 given X > 120."""
    scenario = single_queue(agents=3000, horizon=1e6, rate=1e-9)
    scenario["call_types"][0]["handle_time"] = {"dist": "lognormal", "mean": 180, "cv": 1.5}
    state = {"clock": 100, "busy": [{"group": "team", "count": 3000, "call_type": "inbound", "elapsed": 120}]}
    model = model_from(scenario, state)
    busy = ENGINES["core"](model, 4).agent_totals[:, AGENT_FIELDS.index("busy")]
    row = int(model.period_dist[model.handle_periods[0][0]])
    dists = [(int(c), *map(float, p), float(w)) for c, p, w in zip(model.dist_code, model.dist_param, model.dist_cum)]
    s = survival(dists, row, [], 120.0)
    cdf = np.vectorize(lambda r: 1 - survival(dists, row, [], 120.0 + r) / s)
    assert stats.kstest(busy, cdf).pvalue > 1e-3
    fresh = np.random.default_rng(1).lognormal(dists[row][1], dists[row][2], 3000)
    assert stats.kstest(fresh, cdf).pvalue < 1e-3  # the unconditioned talk fails


@pytest.mark.parametrize("state, path, words", [
    ({"clock": 1e6}, "clock", "before the horizon"),
    ({"clock": "25:00"}, "clock", "HH:MM"),
    ({"clock": 10, "waiting": [{"call_type": "nope", "waited": 1}]}, "waiting[0].call_type", "unknown call type"),
    ({"clock": 10, "waiting": [{"call_type": "sales", "waited": -1}]}, "waiting[0].waited", "greater than or equal"),
    ({"clock": 10, "waiting": [{"call_type": "sales", "waited": float("nan")}]}, "waiting[0].waited", "finite"),
    ({"clock": 10, "waiting": [{"call_type": "sales", "waited": 1e9}]}, "waiting[0].waited", "less than or equal"),
    ({"clock": 10, "waiting": [{"call_type": "sales", "waited": 5, "priority": 3}]}, "waiting[0].priority", "levels"),
    ({"clock": 10, "busy": [{"group": "nope", "call_type": "sales", "elapsed": 1}]}, "busy[0].group", "unknown group"),
    ({"clock": 10, "busy": [{"agent": "x-1", "call_type": "sales", "elapsed": 1}]}, "busy[0].agent", "unknown agent"),
    ({"clock": 10, "busy": [{"group": "sales_team", "count": 11, "call_type": "sales", "elapsed": 1}]},
     "busy[0].count", "only 10"),
    ({"clock": 10, "busy": [{"group": "sales_team", "count": 2, "call_type": "service", "elapsed": 1}]},
     "busy[0].call_type", "does not serve"),
    ({"clock": 10, "busy": [{"agent": "sales_team-1", "call_type": "sales", "elapsed": 1}],
      "away": [{"agent": "sales_team-1", "remaining": 5}]}, "away[0].agent", "listed twice"),
    ({"clock": 10, "away": [{"group": "sales_team", "agent": "sales_team-1", "remaining": 5}]}, "away[0]", "either"),
    ({"clock": 10, "wating": []}, "wating", "Extra inputs"),
    ({"clock": 10, "waiting": [{"call_type": "sales", "waited": 1, "count": 100_000}] * 10_000}, "waiting",
     "1,000,000,000 callers in all, at most 100,000"),  # refused by the schema, before a list is built
])
def test_bad_states_are_refused_with_their_path(state, path, words):
    with pytest.raises(StateError) as err:
        model_from(two_call_types(sales_agents=10), state)
    text = str(err.value)
    assert path in text and words in text, text


def test_busy_agents_must_be_on_duty_at_the_clock_time():
    scenario = two_call_types(sales_agents=10)
    scenario["agents"][0]["shifts"] = [{"start": "08:00", "end": "16:00"}]
    with pytest.raises(StateError, match=r"busy\[0\].count.*only 0 of its 10"):
        model_from(scenario, {"clock": 600, "busy": [{"group": "sales_team", "count": 1, "call_type": "sales",
                                                      "elapsed": 1}]})


def test_cli_run_and_compare_from_a_state(tmp_path):
    a, b, state = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "state.yaml"
    a.write_text(yaml.safe_dump(two_call_types(sales_agents=10, horizon=3600)))
    b.write_text(yaml.safe_dump(two_call_types(sales_agents=14, horizon=3600)))
    state.write_text(yaml.safe_dump(BUSY_STATE))
    out = CliRunner().invoke(cli, ["run", str(a), "--from-state", str(state), "--json"])
    assert out.exit_code == 0, out.output
    out = CliRunner().invoke(cli, ["compare", str(a), str(b), "--from-state", str(state), "--reps", "3",
                                   "--workers", "1", "--store", str(tmp_path / "s.sqlite"), "--json"])
    assert out.exit_code == 0, out.output
    assert '"comparison"' in out.output


def test_a_study_resumes_only_from_the_state_it_started_from(tmp_path):
    """--resume with another start state, or none, into the store of a study from a state stored
    replications of two experiments side by side (exit 0, mixed means). Now refused, naming it;
    the same state resumes, and a study without a state keeps its store's fingerprint."""
    a, b, state = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "state.yaml"
    a.write_text(yaml.safe_dump(two_call_types(sales_agents=10, horizon=3600)))
    b.write_text(yaml.safe_dump(two_call_types(sales_agents=14, horizon=3600)))
    state.write_text(yaml.safe_dump(BUSY_STATE))
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(dict(BUSY_STATE, waiting=BUSY_STATE["waiting"][:1])))

    def compare(store, reps, *extra):
        return CliRunner().invoke(cli, ["compare", str(a), str(b), "--reps", str(reps), "--workers", "1",
                                        "--store", str(tmp_path / store), "--json", *map(str, extra)])

    assert compare("s.sqlite", 2, "--from-state", state).exit_code == 0
    for extra, words in (((), "started from a start state, none is given"),
                         (("--from-state", other), "started from another start state")):
        out = compare("s.sqlite", 3, "--resume", *extra)
        assert out.exit_code == 2, out.output
        assert "was made by a different study (the store's replications " + words in out.output
    assert compare("empty.sqlite", 2).exit_code == 0
    out = compare("empty.sqlite", 3, "--resume", "--from-state", state)
    assert out.exit_code == 2 and "the store records no start state (its replications started empty, or it was " \
        "made by a ccsim that did not record one" in " ".join(out.output.split())
    resumed = compare("s.sqlite", 3, "--resume", "--from-state", state)
    assert resumed.exit_code == 0, resumed.output
    fresh = compare("fresh.sqlite", 3, "--from-state", state)
    assert json.loads(resumed.stdout)["comparison"] == json.loads(fresh.stdout)["comparison"]


def test_outputs_never_replace_the_start_state(tmp_path):
    """--from-state state.yaml --html state.yaml replaced the state with the report (and --out a
    state named like one of its files): the state is an input, refused before the run."""
    a, state = tmp_path / "a.yaml", tmp_path / "state.yaml"
    a.write_text(yaml.safe_dump(two_call_types(sales_agents=10, horizon=3600)))
    state.write_text(yaml.safe_dump(BUSY_STATE))
    (tmp_path / "o").mkdir()
    inside = tmp_path / "o" / "intervals.csv"
    inside.write_text(yaml.safe_dump(BUSY_STATE))
    for given, args in ((state, ["--html", state]), (inside, ["--out", tmp_path / "o"])):
        out = CliRunner().invoke(cli, ["run", str(a), "--from-state", str(given), *map(str, args)])
        assert out.exit_code == 2, out.output
        assert f"is the start state {given}; writing there would destroy it" in out.output
        assert yaml.safe_load(given.read_text()) == BUSY_STATE


@pytest.mark.parametrize("clock, words", [
    ("'24:00'", "clock: expected seconds or \"HH:MM\" (00:00 to 23:59), found '24:00'"),  # was "{found!r}"
    ("'{x}'", "found '{x}'"), (".nan", "clock: expected a finite number of seconds >= 0, found nan"),
    (".inf", "found inf"), ("-5", "found -5"), ("true", "clock: expected seconds or \"HH:MM\", found True"),
])
def test_a_bad_clock_is_one_message_naming_the_clock(tmp_path, clock, words):
    """The clock's own message had its placeholder printed as is, at the top level; a NaN clock
    gave pydantic's two messages (one per kind tried); true was read as 1 s."""
    a, state = tmp_path / "a.yaml", tmp_path / "state.yaml"
    a.write_text(yaml.safe_dump(two_call_types(sales_agents=10)))
    state.write_text(f"clock: {clock}\n")
    out = CliRunner().invoke(cli, ["run", str(a), "--from-state", str(state)])
    assert out.exit_code == 2 and "Traceback" not in out.output, out.output
    assert words in out.output and "problems" not in out.output and "(top level)" not in out.output, out.output


def test_cli_refuses_a_bad_state_with_exit_2(tmp_path):
    a, state = tmp_path / "a.yaml", tmp_path / "state.yaml"
    a.write_text(yaml.safe_dump(two_call_types(sales_agents=10)))
    state.write_text("clock: 100\nbusy:\n  - {group: ghosts, call_type: sales, elapsed: 3}\n")
    out = CliRunner().invoke(cli, ["run", str(a), "--from-state", str(state)])
    assert out.exit_code == 2 and "busy[0].group" in out.output and "Traceback" not in out.output, out.output


LOG = """id,type,day,q_in,q_out,s_in,s_out,result,who
1,a,2024-03-04,08:00:00,08:00:10,08:00:10,08:09:00,OK,ann
2,a,2024-03-04,08:04:00,08:05:30,,,HANG,
3,a,2024-03-04,08:04:30,08:06:00,08:06:00,08:08:00,OK,bob
4,b,2024-03-04,08:01:00,08:01:00,08:01:00,08:04:59,OK,cy
5,b,2024-03-04,08:03:00,08:05:01,08:05:01,08:07:00,OK,cy
6,a,2024-03-04,08:05:00,08:05:00,08:05:00,08:06:00,OK,dee
"""
LOG_MAPPING = {"name": "toy", "date": {"column": "day", "format": "%Y-%m-%d"}, "time_format": "%H:%M:%S",
               "missing_times": [""],
               "columns": {"call_id": "id", "call_type": "type", "outcome": "result", "agent": "who",
                           "queue_entry": "q_in", "queue_exit": "q_out", "service_start": "s_in",
                           "service_end": "s_out"},
               "arrival": "queue_entry", "outcomes": {"served": ["OK"], "abandoned": ["HANG"]}}


def log_scenario(horizon=86400) -> dict:
    """The log's call types a and b, served by 5 agents."""
    return {"name": "toy", "horizon": horizon, "interval": 900,
            "call_types": [{"name": n, "arrivals": {"process": "poisson", "rate": 0.001},
                            "handle_time": {"dist": "exponential", "mean": 100},
                            "patience": {"dist": "exponential", "mean": 100}} for n in ("a", "b")],
            "agents": [{"name": "team", "count": 5, "serves": ["a", "b"]}]}


def test_state_from_a_log_matches_a_hand_count(tmp_path):
    """At 08:05:00: waiting are call 2 (60 s), 3 (30 s) and 5 (120 s); busy are call 1 (290 s) and
    call 6 (0 s: it starts at that instant); call 4 ended at 08:04:59."""
    log, mapping = tmp_path / "log.csv", tmp_path / "m.yaml"
    log.write_text(LOG)
    mapping.write_text(yaml.safe_dump(LOG_MAPPING))
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(log_scenario()))
    out = tmp_path / "state.yaml"
    res = CliRunner().invoke(cli, ["state", str(log), "--mapping", str(mapping), "--at", "2024-03-04 08:05:00",
                                   "--scenario", str(tmp_path / "s.yaml"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    state = yaml.safe_load(out.read_text())
    assert state["clock"] == 8 * 3600 + 300
    assert sorted((w["call_type"], w["waited"]) for w in state["waiting"]) == [("a", 30), ("a", 60), ("b", 120)]
    assert sorted((b["call_type"], b["elapsed"]) for b in state["busy"]) == [("a", 0), ("a", 290)]
    res = CliRunner().invoke(cli, ["run", str(tmp_path / "s.yaml"), "--from-state", str(out), "--json"])
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize("agents, refused", [(1, True), (2, False)])
def test_more_agents_busy_in_the_log_than_on_duty_is_refused_in_the_logs_terms(tmp_path, agents, refused):
    """At 08:05:00 the log has 2 agents busy (calls 1 and 6): a scenario with one agent on duty
    is refused naming both counts, the group and the instant, and nothing is written; with two
    the state is written."""
    log, mapping = tmp_path / "log.csv", tmp_path / "m.yaml"
    log.write_text(LOG)
    mapping.write_text(yaml.safe_dump(LOG_MAPPING))
    scenario = log_scenario()
    scenario["agents"][0]["count"] = agents
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(scenario))
    out = tmp_path / "state.yaml"
    res = CliRunner().invoke(cli, ["state", str(log), "--mapping", str(mapping), "--at", "2024-03-04 08:05:00",
                                   "--scenario", str(tmp_path / "s.yaml"), "-o", str(out)])
    if not refused:
        assert res.exit_code == 0, res.output
        assert len(yaml.safe_load(out.read_text())["busy"]) == 2
        return
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert "--at 2024-03-04 08:05:00: the log has 2 agents busy on calls that group 'team' serves" in res.output
    assert "only 1 of its 1 agents on duty at that time (day 1 of its week, 08:05)" in res.output
    assert not out.exists()


@pytest.mark.parametrize("at", ["not a time", "nan", "", "NaT", "2024-03-04 08:05:00+05:00", "99999-01-01"])
def test_state_from_a_log_refuses_a_bad_instant_and_writes_nothing(tmp_path, at):
    log, mapping = tmp_path / "log.csv", tmp_path / "m.yaml"
    log.write_text(LOG)
    mapping.write_text(yaml.safe_dump(LOG_MAPPING))
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(two_call_types()))
    out = tmp_path / "state.yaml"
    res = CliRunner().invoke(cli, ["state", str(log), "--mapping", str(mapping), "--at", at,
                                   "--scenario", str(tmp_path / "s.yaml"), "-o", str(out)])
    assert res.exit_code == 2 and "--at" in res.output and "Traceback" not in res.output, res.output
    assert not out.exists()


def test_the_shipped_state_examples_fit_their_scenario():
    """Each state in scenarios/states/ names its scenario in its first line and is accepted by it
    (every check against the scenario passes: types, groups on duty, lines)."""
    from pathlib import Path

    from ccsim.scenario import load_scenario
    from ccsim.state.schema import load_state

    root = Path(__file__).resolve().parent.parent / "scenarios"
    states = sorted((root / "states").glob("*.yaml"))
    assert states
    for path in states:
        scenario_file = path.read_text(encoding="utf-8").split()[5]  # "# A start state for X at ..."
        model = compile_scenario(load_scenario(root.parent / scenario_file))
        started = with_state(model, load_state(path), str(path))
        assert started.state.clock > 0 and not started.state.is_empty()


@pytest.mark.parametrize("hours, horizon, clock", [
    (None, 86400, 8 * 3600 + 300),                         # one day: the time of day
    (None, 7 * 86400, 8 * 3600 + 300),                     # a week from Monday: 2024-03-04 is a Monday
    ("saturday", 7 * 86400, 2 * 86400 + 8 * 3600 + 300),  # a week from Saturday: its third day
    ("saturday", 2 * 86400, 8 * 3600 + 300),               # too short to reach that Monday: the time of day
])
def test_a_state_from_a_log_falls_on_its_weekday_in_the_scenario(tmp_path, hours, horizon, clock):
    """The log's Monday 08:05 is where the scenario's week has that Monday (shifts, hours and
    weekly profiles count their weekdays from time 0's weekday); the priority column is mapped to
    levels as fit and replay map it (here "7" -> level 1)."""
    log, mapping = tmp_path / "log.csv", tmp_path / "m.yaml"
    log.write_text(LOG.replace("id,type,", "id,prio,type,").replace("\n1,", "\n1,0,").replace("\n2,", "\n2,7,")
                   .replace("\n3,", "\n3,0,").replace("\n4,", "\n4,0,").replace("\n5,", "\n5,0,")
                   .replace("\n6,", "\n6,0,"))
    mapped = dict(LOG_MAPPING, columns=dict(LOG_MAPPING["columns"], priority="prio"), priority_levels={"7": 1})
    mapping.write_text(yaml.safe_dump(mapped))
    scenario = {**log_scenario(horizon),
                "entries": [{"name": "vip", "arrivals": {"process": "poisson", "rate": 0.001}, "ivr": "menu"}],
                "ivr": [{"name": "menu", "nodes": [{"name": "n", "duration": {"dist": "deterministic", "value": 1},
                                                    "branches": [{"p": 1, "queue": "a", "priority": 1}]}]}]}
    if hours:
        scenario["hours"] = {"start_weekday": hours, "closed": {"action": "message", "message": 5},
                             "open": {d: [["00:00", "24:00"]] for d in ("monday", "tuesday", "wednesday", "thursday",
                                                                        "friday", "saturday", "sunday")}}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(scenario))
    out = tmp_path / "state.yaml"
    res = CliRunner().invoke(cli, ["state", str(log), "--mapping", str(mapping), "--at", "2024-03-04 08:05:00",
                                   "--scenario", str(tmp_path / "s.yaml"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    state = yaml.safe_load(out.read_text())
    assert state["clock"] == clock
    assert [w.get("priority", 0) for w in sorted(state["waiting"], key=lambda w: w["waited"])] == [0, 1, 0]
