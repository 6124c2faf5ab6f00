"""``ccsim compare``, ``ccsim sweep``, ``ccsim report`` and ``ccsim run --html``."""
import json
import math
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

import ccsim.cli
from ccsim.cli import cli
from factories import single_queue, two_call_types


def scenario(agents=20, horizon=3600, rate=0.1):
    return single_queue(agents=agents, horizon=horizon, rate=rate, patience=120)


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return str(path)


def invoke(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, standalone_mode=False)
    return result


def run_json(*args):
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_compare_with_crn_gives_paired_verdicts(tmp_path):
    a = write(tmp_path, "a.yaml", scenario(agents=18))
    b = write(tmp_path, "b.yaml", scenario(agents=22))
    store = tmp_path / "study.sqlite"
    out = run_json("compare", a, b, "--reps", "12", "--workers", "2", "--store", str(store))
    assert out["crn"] is True and out["reps"] == {"a.yaml": 12, "b.yaml": 12}
    rows = {r["kpi"]: r for r in out["comparison"]}
    assert rows["service_level"]["verdict"] == "better"
    assert rows["service_level"]["ci_low"] > 0
    assert rows["abandon_rate"]["verdict"] == "better"
    assert rows["service_level"]["variance_reduction"] > 1
    with sqlite3.connect(store) as db:
        assert db.execute("select count(*) from replications").fetchone()[0] == 24


def test_independent_seeds_report_no_variance_reduction(tmp_path):
    a = write(tmp_path, "a.yaml", scenario(agents=18))
    b = write(tmp_path, "b.yaml", scenario(agents=22))
    out = run_json("compare", a, b, "--reps", "4", "--independent", "--workers", "1",
                   "--store", str(tmp_path / "s.sqlite"))
    assert out["crn"] is False
    assert all(r["variance_reduction"] is None for r in out["comparison"])


def test_sweep_report_and_resume(tmp_path):
    base = write(tmp_path, "base.yaml", scenario())
    store = tmp_path / "sweep.sqlite"
    html = tmp_path / "sweep.html"
    args = ["sweep", base, "--grid", "agents.team.count=16..24:4", "--reps", "3", "--workers", "1",
            "--store", str(store)]
    out = run_json(*args, "--html", str(html))
    assert [p["overrides"] for p in out["points"]] == [{"agents.team.count": n} for n in (16, 20, 24)]
    sl = [r["service_level"] for r in out["sweep"]]
    assert sl == sorted(sl)
    assert html.read_text().count('class="ccsim-chart"') > 0
    # a finished study resumes to the same numbers and runs nothing new
    again = run_json(*args, "--resume")
    assert again["sweep"] == out["sweep"]
    # the stored study renders again
    result = CliRunner().invoke(cli, ["report", str(store), "--html", str(tmp_path / "again.html")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "again.html").stat().st_size > 100_000


def test_run_writes_an_html_report(tmp_path):
    path = write(tmp_path, "s.yaml", scenario())
    html = tmp_path / "run.html"
    result = CliRunner().invoke(cli, ["run", path, "--reps", "2", "--html", str(html)])
    assert result.exit_code == 0, result.output
    text = html.read_text()
    assert "<script src=" not in text and text.count('class="ccsim-chart"') >= 4


def test_run_html_of_two_call_types_draws_the_charts_by_call_type(tmp_path):
    path = write(tmp_path, "two.yaml", two_call_types(horizon=3600))
    html = tmp_path / "two.html"
    with pytest.raises(SystemExit) as caught:
        ccsim.cli.main(["run", path, "--reps", "2", "--html", str(html)])
    assert caught.value.code == 0
    text = html.read_text(encoding="utf-8")
    assert "Offered by call type" in text and "Service level by call type" in text
    assert "chart-p0-service-level-by-call-type" in text
    assert "no per-interval charts by call type" not in text
    assert text.count('class="ccsim-chart"') == 6


def test_sequential_target_stops_when_met(tmp_path):
    a = write(tmp_path, "a.yaml", scenario(agents=18))
    b = write(tmp_path, "b.yaml", scenario(agents=22))
    out = run_json("compare", a, b, "--reps", "3", "--ci-halfwidth", "service_level=0.2", "--max-reps", "30",
                   "--workers", "1", "--store", str(tmp_path / "t.sqlite"))
    assert out["ci_halfwidth_met"] is True and out["reps"]["a.yaml"] == 3
    assert out["ci_halfwidth_missed"] == []
    # not met within --max-reps: the results are printed, the miss is named, exit status 3
    result = CliRunner().invoke(cli, ["compare", a, b, "--reps", "3", "--ci-halfwidth", "asa=1e-6",
                                      "--max-reps", "5", "--workers", "1", "--store", str(tmp_path / "u.sqlite"),
                                      "--json"])
    assert result.exit_code == 3, result.output
    tight = json.loads(result.stdout)
    assert tight["ci_halfwidth_met"] is False and tight["reps"]["a.yaml"] == 5
    assert {m["label"] for m in tight["ci_halfwidth_missed"]} == {"a.yaml", "b.yaml"}
    assert "asa at a.yaml" in result.stderr and "--max-reps 5" in result.stderr
    assert "Traceback" not in result.output


def test_call_records_go_to_parquet(tmp_path):
    a = write(tmp_path, "a.yaml", scenario(agents=18))
    b = write(tmp_path, "b.yaml", scenario(agents=22))
    folder = tmp_path / "calls"
    out = run_json("compare", a, b, "--reps", "2", "--workers", "1", "--store", str(tmp_path / "c.sqlite"),
                   "--call-records", str(folder))
    files = sorted(folder.glob("*.parquet"))
    assert len(files) == 4
    assert sum(pq.read_metadata(f).num_rows for f in files) == out["calls_simulated"]


def fails(args, *phrases):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr
    return result


def test_bad_input_gives_clear_errors(tmp_path):
    base = write(tmp_path, "base.yaml", scenario())
    fails(["sweep", base, "--grid", "agents.tean.count=1..3"], "agents.tean.count", "no item named 'tean'")
    fails(["sweep", base, "--grid", "agents.team.count=[]"], "empty")
    fails(["sweep", base], "--grid")
    fails(["sweep", base, "--grid", "agents.team.count=0"], "agents.team.count", "greater than or equal to 1")
    fails(["compare", base], "at least two")
    fails(["compare", base, base, "--ci-halfwidth", "speed=3"], "--ci-halfwidth")


def test_unreachable_scheduler_fails_fast_and_writes_nothing(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = write(tmp_path, "base.yaml", scenario())
    store = tmp_path / "s.sqlite"
    started = time.monotonic()
    fails(["compare", base, base, "--scheduler", f"tcp://127.0.0.1:{port}", "--store", str(store)],
          f"tcp://127.0.0.1:{port}")
    assert time.monotonic() - started < 10
    assert not list(tmp_path.glob("s.sqlite*"))


def test_resume_with_another_scenario_is_refused(tmp_path):
    a = write(tmp_path, "a.yaml", scenario(agents=18))
    b = write(tmp_path, "b.yaml", scenario(agents=22))
    store = str(tmp_path / "s.sqlite")
    run_json("compare", a, b, "--reps", "2", "--workers", "1", "--store", store)
    fails(["compare", a, b, "--reps", "2", "--store", store], "exists; add --resume to continue it, or --store PATH")
    other = write(tmp_path, "b.yaml", scenario(agents=23))
    fails(["compare", a, other, "--reps", "2", "--store", store, "--resume"], "different study", "agents[0].count")


def test_killed_sweep_resumes_from_the_command_line(tmp_path):
    # about 0.1 s a replication, 24 of them: a wide window to kill the sweep midway
    base = write(tmp_path, "base.yaml", scenario(horizon=2_000_000, rate=0.2))
    store = tmp_path / "sweep.sqlite"
    args = ["sweep", base, "--grid", "agents.team.count=38..42:2", "--reps", "8", "--workers", "1",
            "--store", str(store), "--json"]
    child = subprocess.Popen([sys.executable, "-m", "ccsim.cli", *args], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        done = 0
        while time.monotonic() < deadline and child.poll() is None:
            if store.exists():
                with sqlite3.connect(store) as db:
                    done = db.execute("select count(*) from replications").fetchone()[0]
                if done >= 3:
                    break
            time.sleep(0.05)
        assert child.poll() is None, "the sweep finished before it could be killed; make it longer"
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
    with sqlite3.connect(store) as db:
        before = dict(((p, r), t) for p, r, t in db.execute("select point, rep, finished_at from replications"))
    assert 3 <= len(before) < 24
    out = run_json(*args[:-1], "--resume")
    assert sum(out["reps"].values()) == 24
    with sqlite3.connect(store) as db:
        rows = list(db.execute("select point, rep, finished_at from replications"))
    assert len(rows) == 24 and len({(p, r) for p, r, _ in rows}) == 24
    after = {(p, r): t for p, r, t in rows}
    assert all(after[key] == t for key, t in before.items())  # nothing recomputed
    assert all(math.isfinite(r["service_level"]) for r in out["sweep"])


def test_sweep_over_a_list_of_points(tmp_path):
    base = write(tmp_path, "base.yaml", scenario())
    out = run_json("sweep", base, "--point", "agents.team.count=16;horizon=1800", "--point", "agents.team.count=24",
                   "--reps", "2", "--workers", "1", "--store", str(tmp_path / "p.sqlite"))
    assert [p["overrides"] for p in out["points"]] == [{"agents.team.count": 16, "horizon": 1800},
                                                       {"agents.team.count": 24}]
    fails(["sweep", base, "--point", "agents.team.count=1", "--grid", "horizon=100"], "one of them")


def test_report_of_a_missing_store_is_an_input_error(tmp_path):
    fails(["report", str(tmp_path / "nothing.sqlite"), "--html", str(tmp_path / "r.html")], "no study store")


def test_html_into_a_new_folder(tmp_path):
    path = write(tmp_path, "s.yaml", scenario())
    result = CliRunner().invoke(cli, ["run", path, "--html", str(tmp_path / "new" / "run.html")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "new" / "run.html").is_file()


# ---------------------------------------------------------------- names, exit codes, hints
def test_old_target_option_is_gone(tmp_path):
    base = write(tmp_path, "base.yaml", scenario())
    for args in (["compare", base, base], ["sweep", base, "--grid", "agents.team.count=16,20"]):
        result = CliRunner().invoke(cli, [*args, "--target", "service_level=0.01"])
        assert result.exit_code == 2
        assert "no such option --target: it is now --ci-halfwidth" in result.stderr


def test_reps_above_max_reps_is_a_usage_error(tmp_path):
    base = write(tmp_path, "base.yaml", scenario())
    store = tmp_path / "s.sqlite"
    fails(["compare", base, base, "--reps", "20", "--max-reps", "10", "--store", str(store)],
          "--reps 20 is more than --max-reps 10")
    fails(["compare", base, base, "--reps", "250", "--ci-halfwidth", "asa=1", "--store", str(store)],
          "--reps 250 is more than --max-reps 200")
    assert not store.exists()


def test_default_store_names_follow_the_design(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    base = write(tmp_path, "base.yaml", scenario())
    first = ["sweep", base, "--grid", "agents.team.count=16,20", "--reps", "2", "--workers", "1"]
    second = ["sweep", base, "--grid", "agents.team.count=18,22", "--reps", "2", "--workers", "1"]
    a, b = run_json(*first), run_json(*second)
    assert a["store"] != b["store"]  # two sweeps of one scenario do not collide
    for out in (a, b):
        name = os.path.basename(out["store"])
        assert name.startswith("sweep-base-") and name.endswith(".sqlite") and len(name) == len("sweep-base-") + 15
        assert os.path.dirname(out["store"]) == "results"
    # the same design again: the same store, refused in the CLI's words
    result = fails(first, f"{a['store']} exists; add --resume to continue it, or --store PATH for a new one")
    assert "resume=True" not in result.stderr
    assert run_json(*first, "--resume")["store"] == a["store"]
    # another seed or --independent is another design
    assert run_json(*first, "--seed", "2")["store"] != a["store"]


def test_scheduler_without_scheme_is_taken_as_tcp(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = write(tmp_path, "base.yaml", scenario())
    fails(["compare", base, base, "--scheduler", f"127.0.0.1:{port}", "--store", str(tmp_path / "s.sqlite")],
          f"tcp://127.0.0.1:{port}")
    assert not list(tmp_path.glob("s.sqlite*"))


def test_ctrl_c_says_what_is_stored_and_how_to_continue(tmp_path):
    base = write(tmp_path, "base.yaml", scenario(horizon=2_000_000, rate=0.2))
    args = ["sweep", base, "--grid", "agents.team.count=38..42:2", "--reps", "30", "--workers", "1"]
    # A terminal's process has Ctrl-C's default action, whatever this test process inherited
    # (an ignored SIGINT stays ignored across exec, and Python then installs no handler).
    child = subprocess.Popen([sys.executable, "-m", "ccsim", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, cwd=tmp_path, start_new_session=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60
        stores = []
        while time.monotonic() < deadline and child.poll() is None:
            stores = list((tmp_path / "results").glob("*.sqlite"))
            if stores:
                try:  # never wait on the writer's lock: the sweep would run on meanwhile
                    with sqlite3.connect(stores[0], timeout=0.01) as db:
                        if db.execute("select count(*) from replications").fetchone()[0] >= 2:
                            break
                except sqlite3.OperationalError:
                    pass
            time.sleep(0.05)
        assert child.poll() is None, "the sweep finished before it could be interrupted; make it longer"
        os.killpg(child.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
    assert child.returncode == 130, err
    store = os.path.join("results", stores[0].name)
    with sqlite3.connect(stores[0]) as db:
        stored = db.execute("select count(*) from replications").fetchone()[0]
    assert 2 <= stored < 90
    assert err.startswith(f"interrupted: {stored} replications are stored in {store}; continue with: ccsim ")
    assert "Traceback" not in err
    command = err.split("continue with: ")[1].strip()
    assert command.endswith(" --resume")
    # the suggested command, as given, finishes the study
    proc = subprocess.run([sys.executable, "-m", "ccsim", *shlex_split(command)[1:], "--json"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert sum(json.loads(proc.stdout)["reps"].values()) == 90


def shlex_split(text):
    import shlex

    return shlex.split(text)


def test_study_outputs_never_destroy_inputs_or_devices(tmp_path):
    base = write(tmp_path, "base.yaml", scenario())
    before = open(base).read()
    a_file = tmp_path / "taken.txt"
    a_file.write_text("keep")
    fails(["compare", base, base, "--store", base], f"--store {base} is the input scenario")
    fails(["sweep", base, "--grid", "agents.team.count=16,20", "--store", "/dev/null"], "--store /dev/null",
          "not a regular file")
    fails(["compare", base, base, "--store", str(tmp_path)], "is a folder")
    fails(["compare", base, base, "--store", str(tmp_path / "s.sqlite"), "--call-records", str(a_file)],
          f"--call-records {a_file} exists and is not a folder")
    fails(["compare", base, base, "--store", str(tmp_path / "s.sqlite"), "--html", "/dev/full"],
          "--html /dev/full is not a regular file")
    fails(["compare", base, base, "--store", str(tmp_path / "s.sqlite"), "--html", base], "is the input scenario")
    assert open(base).read() == before and a_file.read_text() == "keep"
    assert not (tmp_path / "s.sqlite").exists()  # refused before any work
    store = tmp_path / "t.sqlite"
    run_json("compare", base, base, "--reps", "2", "--workers", "1", "--store", str(store))
    fails(["report", str(store), "--html", str(store)], f"--html {store} is the study store being read")
    fails(["report", str(base), "--html", str(tmp_path / "r.html")], str(base))  # not a study store


def test_a_study_refuses_outputs_on_one_path_before_it_runs(tmp_path):
    """--html c.html --call-records c.html ran the whole study, then failed: 'c.html is a folder'
    (the records' folder ccsim had made). A report over the store named the store 'the input
    scenario'."""
    a, b = write(tmp_path, "a.yaml", scenario()), write(tmp_path, "b.yaml", scenario(agents=21))
    store = tmp_path / "s.sqlite"
    base = ["compare", a, b, "--reps", "2", "--workers", "1", "--store", str(store)]
    result = CliRunner().invoke(cli, [*base, "--html", str(tmp_path / "c.html"),
                                      "--call-records", str(tmp_path / "c.html")])
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"error: --call-records {tmp_path / 'c.html'} is also where --html writes; give "
                             "each output its own path\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "b.yaml"]  # nothing run, nothing made
    result = CliRunner().invoke(cli, [*base, "--html", str(store)])
    assert result.exit_code == 2
    assert f"--html {store} is the study store {store}; writing there would destroy it" in result.stderr


def test_the_report_of_one_replication_has_the_terminals_batch_means_intervals(tmp_path):
    """ccsim run (one replication, stationary arrivals) printed service_level ± 4.16 pp from batch
    means; its HTML showed no interval, and a note saying intervals need 2 replications."""
    import re

    from ccsim.report_table import format_halfwidth

    path = write(tmp_path, "s.yaml", scenario(horizon=43200, rate=0.2, agents=40))
    html = tmp_path / "one.html"
    result = CliRunner().invoke(cli, ["run", path, "--json", "--html", str(html)])
    assert result.exit_code == 0, result.output
    kpis = json.loads(result.stdout)["kpis"]
    text = html.read_text(encoding="utf-8")
    assert "One replication: 95 % CIs from batch means of the post-warm-up intervals within the run." in text
    row = re.search(r"<td[^>]*>service_level</td>(.*?)</tr>", text, re.S).group(1)
    assert format_halfwidth("service_level", kpis["service_level"]["ci_halfwidth"]) in row
    profile = write(tmp_path, "day.yaml", {**scenario(horizon=7200), "call_types": [{
        "name": "inbound", "arrivals": {"process": "piecewise", "rates": [5, 9], "per": "minute", "slot": 3600},
        "handle_time": {"dist": "exponential", "mean": 60}}]})
    assert CliRunner().invoke(cli, ["run", profile, "--html", str(html)]).exit_code == 0
    assert "No CI: arrivals vary over the day" in html.read_text(encoding="utf-8")
    short = write(tmp_path, "short.yaml", scenario(horizon=3600))  # stationary, 4 intervals: no batches
    assert CliRunner().invoke(cli, ["run", short, "--html", str(html)]).exit_code == 0
    assert "too few post-warm-up intervals for batch means" in html.read_text(encoding="utf-8")


def test_workers_beyond_the_bound_are_refused_before_anything(tmp_path):
    """--workers 100000 hung (killed after 60 s), leaked loky's semaphores and left a store."""
    from ccsim.experiment.backends import max_workers

    a = write(tmp_path, "a.yaml", scenario(agents=18))
    b = write(tmp_path, "b.yaml", scenario(agents=22))
    store = tmp_path / "s.sqlite"
    result = CliRunner().invoke(cli, ["compare", a, b, "--reps", "2", "--workers", "100000", "--store", str(store)])
    assert result.exit_code == 2, result.output
    assert "--workers" in result.output and f"at most {max_workers():,}" in result.output
    assert "Traceback" not in result.output and not store.exists()
