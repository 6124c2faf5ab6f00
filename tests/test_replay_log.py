"""Replay of a call log and validation of a fitted model against it (ccsim replay, validate-fit).

A log made by ccsim itself (its per-call records written as a CDR file) is replayed through
the scenario that made it, with the staffing seen in the log: with the model's service times
and the same seed, the replay reproduces the run's queue outcomes call for call (a replay
draws no random number; the handle and patience streams are keyed by call type, so each
call meets the same draws). With the recorded service times (an empirical distribution of
them: the engines have no per-call handle replay), the run's outcomes lie inside the
replications' prediction interval. Bad input is refused naming the row, exit 2.

Occupancy is compared like with like: the log's busy time over the staffing estimate the
model is given (the agents available): on five-day logs of a center near capacity the true
model passes (at most 5 of 24 hour comparisons outside) and a model with one agent too many
fails (at least 12 of 24).
"""
import copy

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

import ccsim
from ccsim.calllog import read_log
from ccsim.calllog.compare import COUNTS, observed_hours, simulated_hours, text_table
from ccsim.calllog.mapping import mapping_from_dict
from ccsim.calllog.replay import ReplayError, layered_shifts, observed_staffing, replay_scenario
from ccsim.calllog.validate import replay_log, validate_fit
from ccsim.cli import cli
from ccsim.scenario import validate_scenario
from ccsim.scenario.yaml_reader import dump_yaml

AGENTS = 6
MAPPING = {"name": "ccsim", "time_format": "seconds",
           "columns": {"call_id": "id", "call_type": "type", "agent": "agent", "outcome": "outcome",
                       "queue_entry": "q_in", "queue_exit": "q_out", "service_start": "s_in", "service_end": "s_out"},
           "arrival": "queue_entry", "outcomes": {"served": ["answered"], "abandoned": ["abandoned"]}}


def center():
    """8:00-12:00, one call type overloading six agents (every agent serves in every slot)."""
    return {"name": "own", "horizon": 43200, "interval": 1800,
            "call_types": [{"name": "sales",
                            "arrivals": {"process": "piecewise", "per": "hour", "slot": 3600,
                                         "rates": [0] * 8 + [150] * 4},
                            "handle_time": {"dist": "lognormal", "mean": 170, "cv": 0.7},
                            "patience": {"dist": "exponential", "mean": 150}}],
            "agents": [{"name": "agents", "count": AGENTS, "serves": ["sales"],
                        "shifts": [{"start": "08:00", "end": "12:00"}]}]}


def write_log(records, path):
    """ccsim's per-call records as a CDR file (times as exact floats)."""
    served = records["outcome"] == "answered"
    start = records["arrival"] + records["wait"]
    frame = pd.DataFrame({"id": records["call_id"], "type": records["call_type"], "outcome": records["outcome"],
                          "agent": np.where(served, "a" + records["agent"].astype(str), ""),
                          "q_in": records["arrival"].map(repr), "q_out": start.map(repr),
                          "s_in": np.where(served, start.map(repr), ""),
                          "s_out": np.where(served, (start + records["talk"]).map(repr), "")})
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    folder = tmp_path_factory.mktemp("own")
    result = ccsim.simulate(center(), seed=7, call_records=True)
    records = result.calls()
    assert set(records["outcome"]) <= {"answered", "abandoned"}
    path = write_log(records, folder / "own.csv")
    return result, records, read_log(path, mapping_from_dict(MAPPING)), path, folder


def test_layered_shifts_put_exactly_the_required_agents_on_duty():
    required = [0, 2, 3, 1, 0, 2]
    shifts = layered_shifts(required, 1800)
    scenario = center()
    scenario["agents"][0].update(count=len(shifts), shifts=shifts)
    scenario["call_types"][0]["arrivals"]["rates"] = [0] * 12
    scenario["call_types"][0]["arrivals"]["rates"][0] = 1
    staffed = ccsim.simulate(scenario).intervals()["staffed_agents"].to_numpy()
    assert list(staffed[:6]) == required and staffed[6:].sum() == 0


def test_replay_of_ccsims_own_log_reproduces_its_queue_outcomes(own):
    result, records, log, _, _ = own
    staffing = observed_staffing(log, 1800)[0]
    assert list(staffing[16:24]) == [AGENTS] * 8 and staffing[:16].sum() == staffing[24:].sum() == 0
    replayed = ccsim.simulate(validate_scenario(replay_scenario(log, center(), 0, "model", staffing="seen")),
                              seed=7, call_records=True).calls()
    assert len(replayed) == len(records)
    for column in ("arrival", "outcome", "wait", "talk", "agent"):
        assert list(replayed[column]) == list(records[column]), column
    # and the hour tables of the replay equal the log's own, queue count for count (agent time: an
    # agent finishing a call after its shift counts as staffed in the engine, not in the log)
    observed = observed_hours(log, 20.0, 1800, staffing=observed_staffing(log, 1800))
    simulated = simulated_hours(ccsim.simulate(validate_scenario(replay_scenario(log, center(), 0, "model",
                                                                                 staffing="seen")), seed=7), 0, 1)
    for i, name in enumerate(COUNTS):
        if name not in ("busy", "staffed"):  # the queue counts
            assert np.allclose(observed[..., i], simulated[..., i]), name


def test_replay_with_recorded_service_times_lies_in_the_prediction_interval(own):
    result, records, log, _, _ = own
    reps = 40
    comparison, days = replay_log(log, center(), "recorded", reps=reps, seed=3)
    assert days == [0]
    # the run's own pooled 8-12 abandonment and ASA against a 99 % prediction interval of the replays
    offered = records[records["outcome"].isin(["answered", "abandoned"])]
    rate = (offered["outcome"] == "abandoned").mean()
    asa = offered.loc[offered["outcome"] == "answered", "wait"].mean()
    sims = []
    for r in ccsim.replicate(validate_scenario(replay_scenario(log, center(), 0, "recorded")), reps, seed=3):
        k = r.kpis()
        sims.append((k["abandon_rate"], k["asa"]))
    sims = np.array(sims)
    t = stats.t.ppf(0.995, reps - 1)
    for value, column in ((rate, sims[:, 0]), (asa, sims[:, 1])):
        half = t * column.std(ddof=1) * np.sqrt(1 + 1 / reps)
        assert abs(value - column.mean()) <= half
    assert comparison.share_inside("abandon_rate")[1] == 4


def hours_outside(comparison) -> int:
    """How many (hour, KPI) comparisons fall outside their band."""
    return sum(b - a for k in ("service_level", "asa", "abandon_rate", "occupancy")
               for a, b in [comparison.share_inside(k)])


def test_validate_fit_on_the_true_model_flags_few_hours(own):
    _, _, log, _, _ = own
    comparison = validate_fit(log, center(), reps=40, seed=5)
    outside = hours_outside(comparison)
    compared = sum(comparison.share_inside(k)[1] for k in ("service_level", "asa", "abandon_rate", "occupancy"))
    assert compared == 16
    # each comparison is outside with probability about 5 %: more than 5 of 16 has p < 0.001
    assert outside <= 5


def test_validate_fit_flags_a_wrong_model(own):
    """Power: a fitted handle time of 100 s for the true 170 s puts more than 5 of the 16 hour
    comparisons outside (the bound the true model must keep)."""
    _, _, log, _, _ = own
    wrong = center()
    wrong["call_types"][0]["handle_time"]["mean"] = 100
    comparison = validate_fit(log, wrong, reps=40, seed=5)
    outside = hours_outside(comparison)
    assert outside > 5


def test_a_call_type_the_scenario_lacks_names_the_row(own):
    _, _, log, _, _ = own
    other = center()
    other["call_types"][0]["name"] = "service"
    other["agents"][0]["serves"] = ["service"]
    with pytest.raises(ReplayError, match=r"row 2: call type 'sales' is not in the scenario"):
        replay_log(log, other, reps=2)


@pytest.mark.parametrize("command", ["replay", "validate-fit"])
def test_cli_runs_and_refuses_a_mismatch_with_exit_2(own, command):
    _, _, _, path, folder = own
    mapping = folder / "m.yaml"
    mapping.write_text(dump_yaml(MAPPING))
    good = folder / "own.yaml"
    good.write_text(dump_yaml(center()))
    html = folder / f"{command}.html"
    out = CliRunner().invoke(cli, [command, str(path), "--mapping", str(mapping), "--scenario", str(good),
                                   "--reps", "3", "--html", str(html)])
    assert out.exit_code == 0, out.output
    assert "inside: service_level" in out.output and html.read_text().startswith("<!doctype html>")
    assert "the log's staffed time: agents available" in out.output
    out = CliRunner().invoke(cli, [command, str(path), "--mapping", str(mapping), "--scenario", str(good),
                                   "--reps", "2", "--staffing", "seen", "--idle-cap", "300"])
    assert out.exit_code == 0 and "the log's staffed time: agents seen" in out.output, out.output
    other = center()
    other["call_types"][0]["name"] = "service"
    other["agents"][0]["serves"] = ["service"]
    bad = folder / "other.yaml"
    bad.write_text(dump_yaml(other))
    out = CliRunner().invoke(cli, [command, str(path), "--mapping", str(mapping), "--scenario", str(bad)])
    assert out.exit_code == 2 and "row 2" in out.output and "Traceback" not in out.output
    out = CliRunner().invoke(cli, [command, str(path), "--mapping", "bank", "--scenario", str(good)])
    assert out.exit_code == 2 and "columns." in out.output and "Traceback" not in out.output


def test_the_simulated_interval_of_an_hour_counts_only_its_replications_with_a_value():
    """An hour where one replication offered no call (its service level undefined): the mean and
    t half-width use the replications with a value, t on their count - 1 (scipy, from scratch)."""
    from ccsim.calllog.compare import compare

    rng = np.random.default_rng(5)
    reps = 5
    simulated = np.zeros((reps, 1, 24, len(COUNTS)))
    offered = rng.integers(20, 40, size=reps).astype(float)
    simulated[:, 0, 9, COUNTS.index("offered")] = offered
    simulated[:, 0, 9, COUNTS.index("within")] = np.floor(offered * rng.uniform(0.5, 0.9, size=reps))
    simulated[0, 0, 9, :] = 0.0  # replication 0: no call in that hour
    observed = simulated[1].copy()
    result = compare(observed, simulated)
    sl = simulated[1:, 0, 9, COUNTS.index("within")] / offered[1:]
    half = stats.t.ppf(0.975, len(sl) - 1) * sl.std(ddof=1) / np.sqrt(len(sl))
    assert result.mean["service_level"][9] == pytest.approx(sl.mean(), rel=1e-12)
    assert result.halfwidth["service_level"][9] == pytest.approx(half, rel=1e-12)


# ---------------------------------------------------------------- occupancy, like with like
def days_of(scenario, days=5):
    """``scenario`` (a 12-hour day) repeated over ``days`` days (its profile and shifts are daily)."""
    out = copy.deepcopy(scenario)
    out["horizon"] = days * 86400
    out["call_types"][0]["arrivals"]["rates"] += [0] * 12
    return out


@pytest.fixture(scope="module")
def five_day_logs(tmp_path_factory):
    """Logs of five days of ``test_fit_staffing.center`` (4 agents 8-12, 3 more 9-11, near capacity)."""
    from test_fit_staffing import center as loaded

    folder = tmp_path_factory.mktemp("occupancy")
    logs = []
    for seed in OCCUPANCY_SEEDS:
        result = ccsim.simulate(days_of(loaded()), seed=seed, call_records=True)
        logs.append(read_log(write_log(result.calls(), folder / f"log{seed}.csv"), mapping_from_dict(MAPPING)))
    return loaded, logs


OCCUPANCY_SEEDS = range(1, 7)


def occupancy_outside(logs, model) -> tuple:
    """(hour comparisons of occupancy outside the simulated 95 % interval, compared) over the logs."""
    outside = compared = 0
    for seed, log in zip(OCCUPANCY_SEEDS, logs):
        inside, total = validate_fit(log, model, reps=40, seed=100 + seed).share_inside("occupancy")
        outside += total - inside
        compared += total
    return outside, compared


def test_occupancy_against_the_models_staffing_estimate_passes_the_true_model(five_day_logs):
    """The log's occupancy is its busy time over its agents available (the staffing estimate the
    fitted model is given): for the true model each of the 24 hour comparisons falls outside with
    probability about 5 % (a little more: the estimate's low bias at 08:00), so more than 5 has
    p < 0.01 under 5 %."""
    loaded, logs = five_day_logs
    outside, compared = occupancy_outside(logs, loaded())
    assert compared == 4 * len(OCCUPANCY_SEEDS)
    assert outside <= 5


def test_occupancy_flags_a_wrong_staffing(five_day_logs):
    """Power: the model staffed with one agent too many from 8 to 12 (5 + 3 instead of 4 + 3)
    has a lower occupancy than the log's: at least half of the 24 hour comparisons fall outside."""
    loaded, logs = five_day_logs
    wrong = loaded()
    wrong["agents"][0]["shifts"][0]["agents"] = 5
    wrong["agents"][0]["count"] = 8
    outside, compared = occupancy_outside(logs, wrong)
    assert outside >= compared // 2


def test_the_reports_name_the_logs_staffed_time(own):
    _, _, log, _, _ = own
    available = validate_fit(log, center(), reps=2)
    seen = validate_fit(log, center(), reps=2, staffing="seen")
    assert "agents available" in available.staffing and "agents seen" in seen.staffing
    assert "the log's staffed time: agents available" in text_table(available, "t")
    # the replay staffs with the estimate it names, and refuses an unknown one naming the choices
    assert replay_log(log, center(), reps=2, staffing="seen")[0].staffing == seen.staffing
    with pytest.raises(ReplayError, match="staffing must be one of available, seen, got 'present'"):
        replay_log(log, center(), reps=2, staffing="present")
