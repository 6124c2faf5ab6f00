"""``ccsim run``: per-call-type and per-group results, service-level goals,
honest confidence intervals, and output paths that cannot destroy anything."""
import errno
import json
import math
import os

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from scipy import stats

import ccsim
import ccsim.files
from ccsim.cli import cli
from ccsim.results import CALL_FIELDS, KPI_NAMES

TWO_TYPES = {
    "name": "two", "horizon": 40000, "warmup": 2000, "interval": 900,
    "service_level": {"threshold": 20, "target": 0.8},
    "call_types": [
        {"name": "sales", "arrivals": {"process": "poisson", "rate": 0.05},
         "handle_time": {"dist": "exponential", "mean": 120},
         "patience": {"dist": "exponential", "mean": 200}, "service_level_target": 0.995},
        {"name": "service", "arrivals": {"process": "poisson", "rate": 0.03},
         "handle_time": {"dist": "exponential", "mean": 100},
         "patience": {"dist": "exponential", "mean": 200}},
    ],
    "agents": [
        {"name": "sales_team", "count": 7, "serves": ["sales"]},
        {"name": "service_team", "count": 5, "serves": ["service", "sales"]},
    ],
}


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture
def two(tmp_path):
    return write(tmp_path, "two.yaml", TWO_TYPES)


def invoke(*args):
    return CliRunner().invoke(cli, list(map(str, args)))


def run_json(*args):
    result = invoke("run", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def student_t(values):
    """Mean and 95 % half-width, written out independently of ccsim."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    return values.mean(), stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n)


# ---------------------------------------------------------------- per call type and per group
def test_json_has_call_types_and_groups_across_replications(two):
    out = run_json(two, "--reps", "4", "--seed", "5")
    results = ccsim.replicate(two, 4, seed=5)
    assert set(out["call_types"]) == {"sales", "service"}
    for name in ("sales", "service"):
        assert list(out["call_types"][name]) == list(KPI_NAMES)
        for kpi in ("offered", "service_level", "asa", "abandon_rate"):
            mean, hw = student_t([r.kpis_by_call_type()[name][kpi] for r in results])
            assert out["call_types"][name][kpi]["mean"] == pytest.approx(mean, rel=1e-12)
            assert out["call_types"][name][kpi]["ci_halfwidth"] == pytest.approx(hw, rel=1e-9)
        assert out["call_types"][name]["occupancy"]["mean"] is None  # not split by call type
    assert set(out["groups"]) == {"sales_team", "service_team"}
    assert out["groups"]["sales_team"]["agents"]["mean"] == 7
    mean, hw = student_t([r.group_table()["service_team"]["occupancy"] for r in results])
    assert out["groups"]["service_team"]["occupancy"] == pytest.approx({"mean": mean, "ci_halfwidth": hw})
    # the call types add up to the total
    total = sum(out["call_types"][n]["offered"]["mean"] for n in ("sales", "service"))
    assert total == pytest.approx(out["kpis"]["offered"]["mean"])


def test_terminal_shows_call_types_groups_and_goals(two):
    result = invoke("run", two, "--reps", "3")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Per call type" in text and "Per agent group" in text and "Service-level goals" in text
    for name in ("sales", "service", "sales_team", "service_team"):
        assert name in text
    assert "99.50 %" in text and "80.00 %" in text  # the goals, in %


def interval_share(results, k, goal):
    """Share of post-warm-up intervals with calls whose service level meets ``goal`` (by hand)."""
    met = counted = 0
    offered, in_sl = CALL_FIELDS.index("offered"), CALL_FIELDS.index("answered_in_sl")
    for r in results:
        for i in range(r.model.n_intervals):
            if i * r.model.interval < r.model.warmup:
                continue
            row = r.stats.interval_calls[i, k]
            if row[offered] > 0:
                counted += 1
                met += row[in_sl] / row[offered] >= goal
    return met / counted


def test_service_level_goals_per_call_type(two):
    out = run_json(two, "--reps", "4")
    results = ccsim.replicate(two, 4, seed=1)
    goals = out["service_level_goals"]
    assert goals["sales"]["goal"] == 0.995  # its own goal
    assert goals["service"]["goal"] == 0.8  # the scenario-wide one
    for k, name in enumerate(("sales", "service")):
        row = goals[name]
        assert row["mean"] == out["call_types"][name]["service_level"]["mean"]
        low, high = row["mean"] - row["ci_halfwidth"], row["mean"] + row["ci_halfwidth"]
        expected = "met" if low >= row["goal"] else "not met" if high < row["goal"] else "undecided"
        assert row["verdict"].split(":")[0] == expected  # a reason may follow an undecided verdict
        assert row["intervals_meeting"] == pytest.approx(interval_share(results, k, row["goal"]))
    assert goals["sales"]["verdict"] == "not met"  # 99.5 % is out of reach for this team


def test_one_replication_leaves_goals_undecided_as_the_report_does(two):
    out = run_json(two)  # one replication: no CI for a call type
    for row in out["service_level_goals"].values():
        assert row["verdict"] == "undecided: no confidence interval (needs 2 or more replications)"


def test_no_goal_no_goal_table(tmp_path):
    data = dict(TWO_TYPES, service_level={"threshold": 20})
    data["call_types"] = [dict(c) for c in TWO_TYPES["call_types"]]
    del data["call_types"][0]["service_level_target"]
    path = write(tmp_path, "nogoal.yaml", data)
    assert run_json(path)["service_level_goals"] == {}
    assert "Service-level goals" not in invoke("run", path).stdout


def test_out_writes_per_call_type_and_group_csvs(two, tmp_path):
    folder = tmp_path / "out"
    out = run_json(two, "--reps", "2", "--out", folder)
    types = pd.read_csv(folder / "call_types.csv")
    assert list(types["call_type"]) == ["sales", "service"]
    assert types.loc[0, "service_level"] == pytest.approx(out["call_types"]["sales"]["service_level"]["mean"])
    assert "service_level_ci_halfwidth" in types.columns
    groups = pd.read_csv(folder / "groups.csv")
    assert list(groups["group"]) == ["sales_team", "service_team"]
    assert list(groups["agents"]) == [7, 5]
    intervals = pd.read_csv(folder / "intervals.csv")
    assert sorted(intervals["replication"].unique()) == [0, 1]


# ---------------------------------------------------------------- honest CIs, stability
PROFILE = {
    "name": "day", "horizon": 86400, "interval": 1800,
    "call_types": [{"name": "sales", "arrivals": {"process": "piecewise", "per": "hour", "slot": 21600,
                                                  "rates": [20, 200, 300, 60]},
                    "handle_time": {"dist": "exponential", "mean": 180},
                    "patience": {"dist": "exponential", "mean": 120}}],
    "agents": [{"name": "team", "count": 18, "serves": ["sales"]}],
}


def test_one_replication_of_a_daily_profile_prints_no_ci(tmp_path):
    path = write(tmp_path, "day.yaml", PROFILE)
    out = run_json(path)
    assert out["ci_method"] == "none"
    assert all(row["ci_halfwidth"] is None for row in out["kpis"].values())
    text = invoke("run", path).stdout
    assert "arrivals vary over the day: batch means would mislead; run --reps 10 or more" in " ".join(text.split())
    assert " pp" not in text.split("Per call type")[0]  # no half-width in the KPI table
    assert run_json(path, "--reps", "3")["ci_method"] == "student_t_over_replications"


def test_one_replication_of_a_flat_profile_uses_batch_means(tmp_path):
    flat = dict(PROFILE, call_types=[dict(PROFILE["call_types"][0])])
    flat["call_types"][0]["arrivals"] = dict(PROFILE["call_types"][0]["arrivals"], rates=[150, 150, 150, 150])
    flat["agents"] = [dict(PROFILE["agents"][0], count=9)]
    out = run_json(write(tmp_path, "flat.yaml", flat))
    assert out["ci_method"] == "batch_means_within_run"
    assert out["kpis"]["service_level"]["ci_halfwidth"] > 0


def test_unstable_scenario_warns_with_load_and_capacity(tmp_path):
    data = {"name": "overload", "horizon": 5000, "interval": 900,
            "call_types": [{"name": "billing", "arrivals": {"process": "poisson", "rate": 0.1},
                            "handle_time": {"dist": "exponential", "mean": 100}}],
            "agents": [{"name": "team", "count": 9, "serves": ["billing"]}]}
    result = invoke("run", write(tmp_path, "overload.yaml", data), "--json")
    assert result.exit_code == 0
    assert "warning: unstable: call type 'billing' offers 10.0 Erl to agents who can serve 9.0 Erl" in result.stderr
    assert json.loads(result.stdout)["warnings"] == [result.stderr.splitlines()[0][len("warning: "):]]
    data["agents"][0]["count"] = 11
    result = invoke("run", write(tmp_path, "fine.yaml", data), "--json")
    assert "warning" not in result.stderr



@pytest.mark.parametrize("drain", [True, False])
def test_a_drained_run_that_could_not_finish_its_calls_says_so(tmp_path, drain):
    """drain: true promises that the calls at the horizon finish. Behind a talk of 1e9 s (past
    the drain's end) and with nobody on duty after a shift (infinite patience) they do not: the
    run warns, with the count of callers left, which is waiting_at_end; a drain: false run, whose
    waiting_at_end is what it asked for, does not."""
    data = {"name": "stuck", "horizon": 600, "interval": 300, "drain": drain,
            "call_types": [{"name": "a", "arrivals": {"process": "poisson", "rate": 0.05},
                            "handle_time": {"dist": "deterministic", "value": 1e9}}],
            "agents": [{"name": "team", "count": 1, "serves": ["a"]}]}
    shift = dict(data, call_types=[dict(data["call_types"][0], handle_time={"dist": "deterministic",
                                                                            "value": 10})],
                 agents=[{"name": "team", "count": 1, "serves": ["a"],
                          "shifts": [{"start": "00:00", "end": "00:02"}]}])
    for case, scenario in (("talk", data), ("shift", shift)):
        result = invoke("run", write(tmp_path, f"{case}.yaml", scenario), "--json", "--reps", "2")
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)
        waiting = summary["kpis"]["waiting_at_end"]["mean"] * 2
        assert waiting > 0
        notes = [w for w in summary["warnings"] if w.startswith("drain: true")]
        if not drain:
            assert notes == [] and "drain: true" not in result.stderr
            continue
        assert notes == [f"drain: true, yet {waiting:,.0f} caller(s) were still in the center when 2 of 2 "
                         "replications ended: waiting with nobody left on duty, or behind talks or timers "
                         "running past the drain's end (the horizon plus max(horizon, 30 days)); they count "
                         "as waiting_at_end (in system at the end), not as answered or abandoned"]
        assert f"warning: {notes[0]}" in result.stderr
    # a drained run that finishes its calls: no such warning
    result = invoke("run", write(tmp_path, "fine.yaml", dict(shift, agents=[dict(shift["agents"][0],
                                                                                shifts=None)])), "--json")
    assert "drain: true" not in result.stdout + result.stderr


# ---------------------------------------------------------------- output safety
def test_outputs_never_overwrite_the_scenario(two):
    before = two.read_text()
    for option in ("--html", "--out"):
        result = invoke("run", two, option, two)
        assert result.exit_code == 2, result.output
        assert f"{option} {two} is the input scenario" in result.stderr
    result = invoke("run", two, "--out", two.parent, "--reps", "1")  # a folder holding the scenario is fine
    assert result.exit_code == 0, result.output
    assert two.read_text() == before


@pytest.mark.parametrize("option", ["--html", "--out"])
def test_outputs_refuse_devices_and_wrong_kinds(two, tmp_path, option):
    if option == "--html":
        targets = ["/dev/full", "/dev/null", str(tmp_path)]  # devices, and a folder where a file is meant
    else:
        (tmp_path / "file").write_text("x")
        targets = [str(tmp_path / "file")]
        (tmp_path / "o").mkdir()
        os.mkdir(tmp_path / "o" / "summary.json")  # a folder where --out writes a file
        targets.append(str(tmp_path / "o"))
    for target in targets:
        result = invoke("run", two, option, target)
        assert result.exit_code == 2, (target, result.output)
        assert result.stderr.startswith(f"error: {option}") and target in result.stderr
        assert result.stdout == ""  # refused before the run
    assert (tmp_path / "file").read_text() == "x" if option == "--out" else True


def test_the_report_never_replaces_a_file_that_is_not_a_page(two, tmp_path):
    """--html notes.txt (a slip for notes.html): the file holds a scenario, not a report; refused
    before the run. A page, or any file named .html, is replaced (the note below)."""
    for name, text in (("notes.txt", "name: notes\n"), ("plan.csv", "time,agents\n0,3\n"),
                       ("data", "\ufeff  {}")):
        target = tmp_path / name
        target.write_text(text, encoding="utf-8")
        result = invoke("run", two, "--html", target)
        assert result.exit_code == 2, result.output
        assert result.stderr == (f"error: --html {target} exists and is not an HTML page; writing the report "
                                 "there would destroy it: give another path, or delete the file first\n")
        assert result.stdout == "" and target.read_text(encoding="utf-8") == text
    for name, text in (("page.txt", "\n <!DOCTYPE html><html></html>"), ("empty", ""), ("old.htm", "old")):
        result = invoke("run", two, "--html", tmp_path / name)
        assert result.exit_code == 0, result.output
        assert (tmp_path / name).read_text().startswith("<!DOCTYPE html>")


def test_two_outputs_of_one_run_never_share_a_path(two, tmp_path):
    """--out o --html o/summary.json: the report replaced the summary just written; refused first."""
    result = invoke("run", two, "--out", tmp_path / "o", "--html", tmp_path / "o" / "summary.json")
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"error: --out (file summary.json) {tmp_path / 'o' / 'summary.json'} is also where "
                             "--html writes; give each output its own path\n")
    assert result.stdout == "" and not (tmp_path / "o").exists()


def test_replacing_an_output_says_so(two, tmp_path):
    html = tmp_path / "r.html"
    html.write_text("old")
    result = invoke("run", two, "--html", html)
    assert result.exit_code == 0, result.output
    assert f"note: replacing the existing {html}" in result.stderr
    assert html.read_text() != "old"
    fresh = invoke("run", two, "--html", tmp_path / "new.html")
    assert "note: replacing" not in fresh.stderr


def test_unwritable_report_folder_is_refused_before_the_run(two, tmp_path):
    # /sys is read-only for every user, root included: refused before anything runs or is written
    target = "/sys/ccsim-report.html"
    out = tmp_path / "out"
    result = invoke("run", two, "--html", target, "--out", out)
    assert result.exit_code == 2
    assert f"error: --html {target}: the folder /sys cannot be written (" in result.stderr
    assert "Traceback" not in result.output and "Per call type" not in result.stdout
    assert not out.exists()


def test_a_report_failing_at_the_end_keeps_the_results(two, tmp_path, monkeypatch):
    import ccsim.report.html
    from ccsim.files import WriteError

    def full(path, text):
        raise WriteError(f"cannot write {path}: No space left on device; free some disk space or choose another path")

    monkeypatch.setattr(ccsim.report.html, "write_page", full)
    target, out = tmp_path / "r.html", tmp_path / "out"
    result = invoke("run", two, "--html", target, "--out", out)
    assert result.exit_code == 2
    assert f"error: --html: cannot write {target}: No space left on device" in result.stderr
    assert "Traceback" not in result.output
    assert "Per call type" in result.stdout  # printed before the report was tried
    assert (out / "summary.json").is_file()  # and --out written


def test_full_disk_names_the_file(two, tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(ccsim.files.tempfile, "mkstemp", full)
    result = invoke("run", two, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert f"error: --out: cannot write {tmp_path / 'out'}" in result.stderr
    assert "no space left on device; free some disk space" in result.stderr
