"""The ``ccsim`` command line: output structure, files, calculators and errors."""
import csv
import json
import math
import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest

import ccsim
from ccsim.scenario import json_schema
import ccsim.api
import ccsim.cli.run as run_module
from ccsim import analytic
from ccsim.cli import cli
from conftest import strict_json
from factories import SMALL_YAML

SMALL = SMALL_YAML.replace("interval: 900\n", "interval: 900\nservice_level:\n  threshold: 20\n")

REQUIRED_KPIS = ("offered", "answered", "abandoned", "blocked", "service_level", "asa",
                 "abandon_rate", "blocked_rate", "occupancy", "aht")


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path


def run_json(runner, *args):
    result = runner.invoke(cli, ["run", *map(str, args), "--json"])
    assert result.exit_code == 0, result.output
    return strict_json(result.stdout)


def result_text(obj):
    return json.dumps(obj)


def nan_to_none(x):
    return None if isinstance(x, float) and math.isnan(x) else x


# ---------------------------------------------------------------- run --json
def test_run_json_structure(runner, small):
    out = run_json(runner, small)
    for key in ("engine", "reps", "seed", "scenario", "calls_simulated", "wall_seconds", "kpis", "call_types",
                "groups", "service_level_goals", "ci_method", "warnings"):
        assert key in out
    assert "ci95" not in result_text(out)
    assert (out["engine"], out["reps"], out["seed"], out["scenario"]) == ("core", 1, 1, "small")
    assert isinstance(out["calls_simulated"], int) and out["calls_simulated"] > 1000
    assert out["wall_seconds"] > 0
    for name in REQUIRED_KPIS:
        assert set(out["kpis"][name]) == {"mean", "ci_halfwidth"}
    # one replication: batch means within the run give a CI
    assert out["ci_method"] == "batch_means_within_run"
    assert out["kpis"]["service_level"]["ci_halfwidth"] > 0
    assert out["definitions"]["service_level"] == "answered within 20 s / offered"


def test_run_json_is_the_api_summary(runner, small):
    out = run_json(runner, small, "--reps", 3, "--seed", 7)
    results = ccsim.replicate(small, 3, seed=7)
    assert out["calls_simulated"] == sum(r.calls_simulated for r in results)  # warm-up included
    expected = ccsim.summarize(results)
    for name, row in expected.items():
        assert out["kpis"][name]["mean"] == pytest.approx(nan_to_none(row["mean"]), nan_ok=True)
        assert out["kpis"][name]["ci_halfwidth"] == pytest.approx(nan_to_none(row["ci_halfwidth"]))


def test_run_reps_gives_ci_over_replications(runner, small):
    out = run_json(runner, small, "--reps", 3)
    assert out["reps"] == 3
    assert out["ci_method"] == "student_t_over_replications"
    for name in ("offered", "service_level", "asa", "occupancy", "aht"):
        assert out["kpis"][name]["ci_halfwidth"] > 0


def test_run_seed_reproducible_and_matters(runner, small):
    a, b = run_json(runner, small, "--seed", 3), run_json(runner, small, "--seed", 3)
    c = run_json(runner, small, "--seed", 4)
    assert a["kpis"] == b["kpis"]
    assert a["kpis"] != c["kpis"]


def test_nan_becomes_null(runner, tmp_path):
    path = tmp_path / "patient.yaml"
    path.write_text(SMALL.replace("    patience: {dist: exponential, mean: 120}\n", ""))
    result = runner.invoke(cli, ["run", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert "NaN" not in result.stdout
    out = strict_json(result.stdout)
    assert out["kpis"]["abandoned"]["mean"] == 0
    assert out["kpis"]["mean_wait_abandoned"]["mean"] is None  # no abandons: 0 / 0


def test_run_simpy_engine(runner, small):
    out = run_json(runner, small, "--engine", "simpy", "--reps", 2)
    assert out["engine"] == "simpy"
    assert out["calls_simulated"] == sum(r.calls_simulated for r in ccsim.replicate(small, 2, seed=1, engine="simpy"))


def test_progress_callback_sees_every_replication_and_changes_nothing(small):
    scenario = ccsim.load_scenario(small)
    seen = []
    with_bar = ccsim.replicate(scenario, 3, seed=11, progress=lambda done, total: seen.append((done, total)))
    without = ccsim.replicate(scenario, 3, seed=11)
    assert [r.kpis() for r in with_bar] == [r.kpis() for r in without]
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3)]


# ---------------------------------------------------------------- run table
def test_run_table(runner, small):
    result = runner.invoke(cli, ["run", str(small)])
    assert result.exit_code == 0, result.output
    text = result.stdout
    for name in REQUIRED_KPIS:
        assert name in text
    assert "answered within 20 s / offered" in text
    assert "batch means" in text
    assert "calls simulated" in text and "calls/s" in text
    assert "{" not in text  # not the JSON


def test_run_table_states_other_definitions(runner, tmp_path):
    path = tmp_path / "answered.yaml"
    path.write_text(SMALL.replace("  threshold: 20", "  threshold: 15\n  denominator: answered"))
    result = runner.invoke(cli, ["run", str(path), "--reps", "2"])
    assert result.exit_code == 0, result.output
    assert "answered within 15 s / answered" in result.stdout
    assert "Student t over 2 replications" in result.stdout


# ---------------------------------------------------------------- --out
def test_out_writes_intervals_and_summary(runner, small, tmp_path):
    folder = tmp_path / "results" / "run1"
    result = runner.invoke(cli, ["run", str(small), "--reps", "2", "--json", "--out", str(folder)])
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(folder)) == ["call_type_intervals.csv", "call_types.csv", "group_intervals.csv",
                                          "groups.csv", "intervals.csv", "summary.json"]
    by_type = pd.read_csv(folder / "call_type_intervals.csv")
    for rep, replication in enumerate(ccsim.replicate(small, 2, seed=1)):
        expected = replication.intervals(by="call_type")
        got = by_type[by_type["replication"] == rep].drop(columns="replication").reset_index(drop=True)
        assert list(got.columns) == list(expected.columns)
        assert (got["offered"].to_numpy() == expected["offered"].to_numpy()).all()
        assert (got["call_type"].to_numpy() == expected["call_type"].to_numpy()).all()
    summary = strict_json((folder / "summary.json").read_text())
    assert summary == strict_json(result.stdout)

    with open(folder / "intervals.csv", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    fields = list(ccsim.simulate(small, seed=0).intervals().columns)
    assert reader.fieldnames == ["replication", *fields]
    n_intervals = math.ceil(20000 / 900)
    assert len(rows) == 2 * n_intervals
    assert {r["replication"] for r in rows} == {"0", "1"}
    # the intervals add up to the run: arrivals after the warm-up plus those before it
    results = ccsim.replicate(small, 2, seed=1)
    for i, r in enumerate(results):
        arrivals = sum(float(row["arrivals"]) for row in rows if row["replication"] == str(i))
        assert arrivals == r.calls_simulated


def test_out_failure_leaves_no_partial_file(runner, small, tmp_path, monkeypatch):
    class Broken:
        def to_csv(self, handle, index=False):
            handle.write("replication,start\n0,")
            raise RuntimeError("disk on fire")

    monkeypatch.setattr(run_module, "intervals_frame", lambda results, by=None: Broken())
    folder = tmp_path / "out"
    result = runner.invoke(cli, ["run", str(small), "--out", str(folder)])
    assert result.exit_code == 70
    assert result.stderr.startswith("internal error: RuntimeError: disk on fire")
    assert os.listdir(folder) == []


def test_out_is_a_file(runner, small, tmp_path):
    target = tmp_path / "taken"
    target.write_text("x")
    result = runner.invoke(cli, ["run", str(small), "--out", str(target)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")


# ---------------------------------------------------------------- validate / schema
def test_validate_ok(runner, small):
    result = runner.invoke(cli, ["validate", str(small)])
    assert result.exit_code == 0
    assert result.stdout == "ok: small (1 call type, 8 agents)\n"


def test_validate_fails(runner, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(SMALL.replace("horizon: 20000", 'horizon: "soon"'))
    result = runner.invoke(cli, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert "horizon" in result.stderr and "'soon'" in result.stderr and "line 2" in result.stderr
    assert str(path) in result.stderr


def test_schema_is_json(runner):
    result = runner.invoke(cli, ["schema"])
    assert result.exit_code == 0
    schema = strict_json(result.stdout)
    assert "call_types" in schema["properties"]
    assert schema == json_schema()  # the editor schema: $schema, $id, standard keywords only
    assert schema["$schema"].startswith("https://json-schema.org/draft/2020-12")
    import jsonschema

    bad = {"horizon": 3600, "lines": 0, "call_types": [], "agents": []}
    assert not jsonschema.Draft202012Validator(schema).is_valid(bad)


# ---------------------------------------------------------------- errors
BAD_ARGS = [
    ["run", "{small}", "--reps", "0"],
    ["run", "{small}", "--reps", "many"],
    ["run", "{small}", "--seed", "-1"],
    ["run", "{small}", "--engine", "warp"],
    ["run"],
    ["erlang", "b", "--agents", "0", "--rate", "1", "--aht", "10"],
    ["erlang", "c", "--agents", "5", "--rate", "1", "--aht", "10"],  # unstable: 10 Erl >= 5
    ["erlang", "a", "--agents", "5", "--rate", "1", "--aht", "10", "--patience", "-3"],
    ["erlang", "a", "--agents", "5", "--rate", "1", "--aht", "10"],  # --patience missing
    ["erlang", "c", "--agents", "5", "--rate", "nan", "--aht", "10"],
    ["erlang", "staff", "--rate", "1", "--aht", "10", "--sl-goal", "1.2"],
    ["erlang", "staff", "--rate", "1", "--aht", "10", "--target", "0.8"],  # the old name is gone
    ["erlang", "b", "--agents", "10000001", "--rate", "1", "--aht", "10"],
    ["erlang", "a", "--agents", "5", "--rate", "1e300", "--aht", "10", "--patience", "30"],
    ["erlang", "staff", "--rate", "1", "--aht", "10", "--max-abandon", "0.1"],  # needs --patience
    ["erlang", "b", "--agents", "3", "--rate", "1", "--aht", "10", "--per", "day"],
    ["frobnicate"],
]


@pytest.mark.parametrize("args", BAD_ARGS, ids=[" ".join(a[:4]) for a in BAD_ARGS])
def test_bad_input_exits_2_without_traceback(runner, small, args):
    result = runner.invoke(cli, [a.format(small=small) for a in args])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_bad_option_names_the_option(runner):
    result = runner.invoke(cli, ["erlang", "a", "--agents", "5", "--rate", "1", "--aht", "10",
                                 "--patience", "-3"])
    assert "--patience" in result.stderr and "-3" in result.stderr


@pytest.mark.parametrize("args", [["run", "{small}", "--seed", "abc"], ["run", "{small}", "--reps", "1.5"],
                                  ["compare", "{small}", "{small}", "--seed", "x"],
                                  ["workforce", "{small}", "--reps", "two"]])
def test_a_count_that_is_not_a_whole_number_is_called_so(runner, small, args):
    """Not click's "is not a valid integer range", which reads as if a range were asked for."""
    result = runner.invoke(cli, [a.format(small=small) for a in args])
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{args[-2]}': '{args[-1]}' is not a valid integer." in result.stderr
    assert "range" not in result.stderr


def test_missing_file(runner, tmp_path):
    missing = tmp_path / "nowhere" / "center.yaml"
    for command in ("run", "validate"):
        result = runner.invoke(cli, [command, str(missing)])
        assert result.exit_code == 2
        assert result.stderr.startswith("error: ")
        assert str(missing) in result.stderr


def test_internal_error_exit_70(runner, small, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(ccsim.api, "replicate", explode)
    monkeypatch.delenv("CCSIM_DEBUG", raising=False)
    result = runner.invoke(cli, ["run", str(small)])
    assert result.exit_code == 70  # EX_SOFTWARE: 1 means "a check failed"
    assert result.stderr.startswith("internal error: RuntimeError: boom")
    assert "Traceback" not in result.output

    monkeypatch.setenv("CCSIM_DEBUG", "1")
    result = runner.invoke(cli, ["run", str(small)])
    assert result.exit_code == 70
    assert "Traceback" in result.stderr


# ---------------------------------------------------------------- the installed console script
@pytest.fixture
def ccsim_command():
    path = shutil.which("ccsim")
    assert path is not None, "the ccsim console script is not on PATH (pip install -e .)"
    return path


def console(command, *args):
    return subprocess.run([command, *map(str, args)], capture_output=True, text=True, timeout=120)


def test_console_script_run_json(ccsim_command, small):
    proc = console(ccsim_command, "run", small, "--json")
    assert proc.returncode == 0, proc.stderr
    out = strict_json(proc.stdout)  # exactly one JSON object on stdout
    assert out["scenario"] == "small"
    assert proc.stderr == ""  # no progress bar when stderr is not a terminal


def test_console_script_bad_scenario(ccsim_command, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(SMALL.replace("mean: 120", "mean: -120"))
    proc = console(ccsim_command, "run", path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: ")
    assert "call_types[0].patience.mean" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_console_script_missing_file_and_usage(ccsim_command, tmp_path):
    proc = console(ccsim_command, "validate", tmp_path / "absent.yaml")
    assert proc.returncode == 2
    assert str(tmp_path / "absent.yaml") in proc.stderr
    proc = console(ccsim_command, "run", tmp_path / "absent.yaml", "--reps", "zero")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "--reps" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_console_script_erlang(ccsim_command):
    proc = console(ccsim_command, "erlang", "b", "--agents", 10, "--rate", 0.05, "--aht", 180, "--json")
    assert proc.returncode == 0
    assert strict_json(proc.stdout)["metrics"]["p_block"] == pytest.approx(analytic.erlang_b(10, 9.0))


def test_module_entry_point(small):
    proc = subprocess.run([sys.executable, "-c", "from ccsim.cli import main; main()", "validate", str(small)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert proc.stdout.startswith("ok: small")


@pytest.mark.parametrize("json_mode", [False, True])
def test_progress_bar_only_on_a_terminal(ccsim_command, small, json_mode):
    import pty

    leader, follower = pty.openpty()
    try:
        args = [ccsim_command, "run", str(small), "--reps", "3"] + (["--json"] if json_mode else [])
        proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=follower, timeout=120)
        os.close(follower)
        follower = None
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(leader)
        if follower is not None:
            os.close(follower)
    assert proc.returncode == 0
    assert (b"replications" in seen) != json_mode
    if json_mode:
        strict_json(proc.stdout)
