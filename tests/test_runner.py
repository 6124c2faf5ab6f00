"""Running studies: kill -9 and resume, mismatched resumes, sequential stopping."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ccsim.experiment.backends import LocalBackend, SerialBackend
from ccsim.experiment.records import Point
from ccsim.experiment.runner import SequentialStudyData, run_study, run_until
from ccsim.experiment.store import Store, StoreExistsError, StoreMismatchError
from ccsim.results import t_halfwidth
from factories import single_queue


def small(agents=100, horizon=5000):
    return single_queue(agents=agents, horizon=horizon)


POINTS = [Point(0, "100 agents", {}, small(100)), Point(1, "agents.team.count=95", {"agents.team.count": 95}, small(95))]


def content(record) -> tuple:
    """Everything in a record but its wall time, comparable bit for bit."""
    numbers = json.dumps([record.kpis, record.by_call_type, record.groups], default=float)
    return (record.point, record.rep, tuple(record.spawn_key), numbers, record.intervals, record.calls_simulated)


class Counting:
    """A backend that remembers which tasks it was given."""

    def __init__(self, inner):
        self.inner, self.workers, self.tasks = inner, inner.workers, []

    def run(self, tasks):
        tasks = list(tasks)
        self.tasks.extend((t.point, t.rep) for t in tasks)
        return self.inner.run(tasks)


# -- kill -9, then resume -----------------------------------------------------------

CHILD = textwrap.dedent("""
    import json, sys
    from ccsim.experiment.records import Point
    from ccsim.experiment.runner import run_study

    spec = json.load(open(sys.argv[1]))
    points = [Point(**p) for p in spec["points"]]
    run_study(points, spec["reps"], spec["seed"], True, store_path=spec["store"], backend="serial")
""")


def stored(path) -> dict:
    """{(point, rep): finished_at}, read without disturbing a writer."""
    if not os.path.exists(path):
        return {}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return {(p, r): at for p, r, at in db.execute("SELECT point, rep, finished_at FROM replications")}
    except sqlite3.OperationalError:  # the file exists but the schema is not visible yet
        return {}
    finally:
        db.close()


SLOW_POINTS = [Point(0, "slow", {}, small(horizon=1_000_000)), Point(1, "slow, 95", {}, small(95, 1_000_000))]


def kill_a_study(tmp_path, child_script: str, reps: int, seed: int, when_stored: int, before_kill=None):
    """Run a study of SLOW_POINTS in a child process (``child_script``), kill -9 it once
    ``when_stored`` replications are stored (``before_kill(child)`` called just before); its store."""
    path = tmp_path / "study.db"
    spec = {"points": [p.__dict__ for p in SLOW_POINTS], "reps": reps, "seed": seed, "store": str(path)}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    (tmp_path / "child.py").write_text(child_script)
    child = subprocess.Popen([sys.executable, str(tmp_path / "child.py"), str(tmp_path / "spec.json")])
    try:
        deadline = time.monotonic() + 60
        while len(stored(path)) < when_stored and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        if before_kill is not None:
            before_kill(child)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    return path


def test_killed_study_resumes_without_losing_or_repeating_work(tmp_path):
    points, reps, seed = SLOW_POINTS, 14, 99
    path = kill_a_study(tmp_path, CHILD, reps, seed, when_stored=4)
    before = stored(path)
    assert 4 <= len(before) < 2 * reps, "the study was not killed midway"

    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    seen = []
    with LocalBackend(2) as local:
        backend = Counting(local)
        data = run_study(points, reps, seed, True, store_path=path, backend=backend, resume=True,
                         progress=lambda done, total: seen.append((done, total)))

    keys = [(r.point, r.rep) for r in data.records]
    assert keys == sorted((p.point, r) for p in points for r in range(reps))  # all, each once
    assert sorted(backend.tasks) == sorted(set(keys) - set(before))  # nothing done twice
    after = stored(path)
    assert all(after[key] == at for key, at in before.items())  # earlier replications untouched
    assert seen[0] == (len(before), 2 * reps) and seen[-1] == (2 * reps, 2 * reps)
    uninterrupted = run_study(points, reps, seed, True, backend="serial")
    assert [content(r) for r in data.records] == [content(r) for r in uninterrupted.records]


CHILD_POOL = CHILD.replace('backend="serial"', "backend=LocalBackend(2)").replace(
    "from ccsim.experiment.runner import run_study", "from ccsim.experiment.backends import LocalBackend\n"
    "from ccsim.experiment.runner import run_study")


def _children(pid: int) -> dict:
    """{pid: command line} of the processes whose parent is ``pid`` (Linux: /proc)."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out[int(stat.parent.name)] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
    return out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from Linux's /proc")
def test_the_pool_workers_of_a_killed_study_exit(tmp_path):
    """kill -9 of a study leaves nobody to stop its loky workers, which do not notice their parent's
    death: they stayed for good (blocked writing results nobody reads, ~95 MB each). Each now
    watches its parent and exits within seconds of its death."""
    workers = set()

    def note_workers(child):
        workers.update(pid for pid, command in _children(child.pid).items() if "popen_loky" in command)
        assert len(workers) == 2, _children(child.pid)

    kill_a_study(tmp_path, CHILD_POOL, 40, 5, when_stored=2, before_kill=note_workers)
    deadline = time.monotonic() + 20
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [pid for pid in workers if Path(f"/proc/{pid}").exists()
            and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]
    assert not left, f"workers {left} outlived their killed study"


# -- resuming the wrong study ------------------------------------------------------------


def test_resume_refuses_another_study(tmp_path):
    path = tmp_path / "s.db"
    run_study(POINTS, 2, 1, True, store_path=path, backend="serial")
    changed = [POINTS[0], Point(1, "agents.team.count=90", {"agents.team.count": 90}, small(90))]
    with pytest.raises(StoreMismatchError, match=r"different study.*point 1.*agents\[0\]\.count: 95 in the store, 90"):
        run_study(changed, 2, 1, True, store_path=path, backend="serial", resume=True)
    with pytest.raises(StoreMismatchError, match="seed 1 in the store, 2 given"):
        run_study(POINTS, 2, 2, True, store_path=path, backend="serial", resume=True)
    with pytest.raises(StoreExistsError, match="pass resume=True"):
        run_study(POINTS, 2, 1, True, store_path=path, backend="serial")
    with Store.open(path) as store:
        assert store.done() == {(p, r) for p in (0, 1) for r in (0, 1)}


def test_resume_of_a_finished_study_runs_nothing(tmp_path):
    path = tmp_path / "s.db"
    first = run_study(POINTS, 3, 4, True, store_path=path, backend="serial")
    backend = Counting(SerialBackend())
    again = run_study(POINTS, 3, 4, True, store_path=path, backend=backend, resume=True)
    assert backend.tasks == []
    assert [content(r) for r in again.records] == [content(r) for r in first.records]


def test_resume_without_a_store_starts_one(tmp_path):
    data = run_study(POINTS, 2, 4, False, store_path=tmp_path / "new.db", backend="serial", resume=True)
    assert len(data.records) == 4 and (tmp_path / "new.db").exists()


# -- in memory -------------------------------------------------------------------------


def test_study_in_memory_is_sorted_and_reports_progress():
    seen = []
    data = run_study(POINTS, 3, 8, False, backend="serial", progress=lambda d, t: seen.append((d, t)),
                     name="trial", kind="sweep")
    assert [(r.point, r.rep) for r in data.records] == [(p, r) for p in (0, 1) for r in range(3)]
    assert (data.name, data.kind, data.seed, data.crn) == ("trial", "sweep", 8, False)
    assert seen == [(i, 6) for i in range(7)]
    assert data.records[0].spawn_key == (0, 0)  # without CRN every point has its own streams


def test_call_records_are_written_for_the_replications_run(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    from ccsim.experiment.records import call_records_name

    monkeypatch.chdir(tmp_path)
    data = run_study(POINTS, 2, 8, True, backend="serial", call_records_dir="calls")
    for r in data.records:
        table = pq.read_table(tmp_path / "calls" / call_records_name(r.point, r.rep))
        assert table.num_rows == r.calls_simulated
    plain = run_study(POINTS, 2, 8, True, backend="serial")
    assert [content(r) for r in plain.records] == [content(r) for r in data.records]


def test_crn_gives_every_point_the_same_callers():
    data = run_study(POINTS, 2, 8, True, backend="serial")
    a, b = data.records_of(0), data.records_of(1)
    assert [r.kpis["arrivals"] for r in a] == [r.kpis["arrivals"] for r in b]
    assert [r.kpis["asa"] for r in a] != [r.kpis["asa"] for r in b]


def test_bad_arguments_fail_before_any_work(tmp_path):
    with pytest.raises(ValueError, match="reps must be at least 1"):
        run_study(POINTS, 0, 1, True, backend="serial")
    with pytest.raises(ValueError, match="unknown engine"):
        run_study(POINTS, 1, 1, True, engine="turbo", backend="serial")
    with pytest.raises(ValueError, match="unique"):
        run_study([POINTS[0], POINTS[0]], 1, 1, True, backend="serial")
    bad = Point(0, "bad", {}, {**small(), "horizon": -5})
    with pytest.raises(ValueError, match="horizon"):
        run_study([bad], 1, 1, True, store_path=tmp_path / "s.db", backend="serial")
    assert list(tmp_path.iterdir()) == []


# -- sequential replications --------------------------------------------------------------

TARGET = {"service_level": 0.02, "asa": 2.0}


def test_run_until_stops_at_the_first_count_meeting_the_target():
    data = run_until(POINTS, list(TARGET), TARGET, 3, True, backend="serial", min_reps=3, max_reps=60, batch=4)
    assert isinstance(data, SequentialStudyData) and data.target_met
    assert 3 < data.reps < 60
    assert len(data.records) == 2 * data.reps
    for p in (0, 1):
        values = {k: [r.kpis[k] for r in data.records_of(p)] for k in TARGET}
        for k, target in TARGET.items():
            assert t_halfwidth(values[k]) == data.halfwidths[p][k] <= target
    one_fewer = [t_halfwidth([r.kpis[k] for r in data.records_of(p)][:-1]) for p in (0, 1) for k in TARGET]
    assert not all(w <= TARGET[k] for w, k in zip(one_fewer, list(TARGET) * 2))


def test_run_until_does_not_depend_on_batch(tmp_path):
    one = run_until(POINTS, list(TARGET), TARGET, 3, True, backend="serial", min_reps=3, max_reps=60, batch=1)
    path = tmp_path / "s.db"
    seven = run_until(POINTS, list(TARGET), TARGET, 3, True, backend="serial", min_reps=3, max_reps=60, batch=7,
                      store_path=path)
    assert one.reps == seven.reps
    assert [content(r) for r in one.records] == [content(r) for r in seven.records]
    with Store.open(path) as store:  # the last batch may have run further; those stay stored
        assert len(store.done()) >= 2 * seven.reps


def test_run_until_respects_max_reps_for_an_impossible_target():
    data = run_until(POINTS, ["asa"], 1e-9, 3, True, backend="serial", min_reps=3, max_reps=8, batch=2)
    assert not data.target_met
    assert data.reps == 8 and len(data.records) == 16
    assert data.halfwidths[0]["asa"] > 1e-9


def test_run_until_checks_its_arguments():
    with pytest.raises(ValueError, match="unknown KPI 'speed'"):
        run_until(POINTS, ["speed"], 0.1, 1, True, backend="serial")
    with pytest.raises(ValueError, match="no target half-width for asa"):
        run_until(POINTS, ["asa", "service_level"], {"service_level": 0.1}, 1, True, backend="serial")
    with pytest.raises(ValueError, match="min_reps must be at least 2"):
        run_until(POINTS, ["asa"], 0.1, 1, True, backend="serial", min_reps=1)
