"""Backends: the same records on every backend, completion order, dead workers, dead schedulers.

The Dask tests run a real scheduler and two single-thread workers, each a
separate process listening on loopback.
"""
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time

import distributed
import pytest

from ccsim.experiment.backends import BackendError, DaskBackend, LocalBackend, SerialBackend
from ccsim.experiment.records import Point, task_for
from ccsim.experiment.runner import run_study
from ccsim.experiment.store import Store
from factories import single_queue



def small(agents=100, horizon=5000):
    return single_queue(agents=agents, horizon=horizon)


POINTS = [Point(0, "100 agents", {}, small(100)), Point(1, "95 agents", {}, small(95))]
SLOW = Point(0, "slow", {}, small(horizon=1_200_000))  # about 0.15 s a replication
SLOWER = Point(0, "slower", {}, small(horizon=3_000_000))  # about 0.35 s


def tasks(points=POINTS, reps=4, seed=11, crn=False):
    return [task_for(p, r, seed, crn) for r in range(reps) for p in points]


def content(record) -> tuple:
    """Everything in a record but its wall time, comparable bit for bit."""
    numbers = json.dumps([record.kpis, record.by_call_type, record.groups], default=float)
    return (record.point, record.rep, tuple(record.spawn_key), numbers, record.intervals, record.calls_simulated)


def by_key(records) -> list:
    return [content(r) for r in sorted(records, key=lambda r: (r.point, r.rep))]


# -- a real cluster on loopback ----------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, workers=2):
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        self.scheduler = subprocess.Popen(
            [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
             "--no-dashboard"], **quiet)
        self.workers = []
        try:
            self._wait_for_port(30)
            # --no-nanny: the process started here is the worker itself, so killing it kills the worker.
            self.workers = [subprocess.Popen(
                [sys.executable, "-m", "dask", "worker", self.address, "--nworkers", "1", "--nthreads", "1",
                 "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"], **quiet) for _ in range(workers)]
            with distributed.Client(self.address, timeout=30, set_as_default=False) as client:
                client.wait_for_workers(workers, timeout=60)
                client.run(__import__, "ccsim.experiment.records")  # import ccsim before timing anything
        except BaseException:
            self.stop()
            raise

    def _wait_for_port(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the Dask scheduler did not start at {self.address}")

    def stop(self):
        for group in (self.workers, [self.scheduler]):  # workers first: they would wait for a lost scheduler
            for process in group:
                process.terminate()
            for process in group:
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@pytest.fixture(scope="module")
def cluster():
    running = Cluster()
    yield running
    running.stop()


# -- the same records everywhere -------------------------------------------------------


def test_every_backend_gives_the_same_records(cluster):
    expected = by_key(SerialBackend().run(tasks()))
    with LocalBackend(2) as local:
        assert by_key(local.run(tasks())) == expected
    with DaskBackend(cluster.address) as dask:
        assert dask.workers == 2
        assert by_key(dask.run(tasks())) == expected
    assert len({c[3] for c in expected}) == len(expected)  # the replications really differ


def test_stores_agree_across_backends(cluster, tmp_path):
    """Through the store: identical KPIs and interval tables (Arrow IPC bytes)."""
    studies = {}
    for name, backend in (("serial", "serial"), ("local", LocalBackend(2)), ("dask", cluster.address)):
        run_study(POINTS, 3, seed=5, crn=True, store_path=tmp_path / f"{name}.db", backend=backend)
        if isinstance(backend, LocalBackend):
            backend.close()
        db = __import__("sqlite3").connect(tmp_path / f"{name}.db")
        rows = db.execute('SELECT point, rep, spawn_key, kpis, by_call_type, "groups", intervals, '
                          "calls_simulated FROM replications ORDER BY point, rep").fetchall()
        db.close()
        studies[name] = rows
    assert len(studies["serial"]) == 6
    assert studies["serial"] == studies["local"] == studies["dask"]


def test_a_client_can_be_passed_and_stays_open(cluster):
    with distributed.Client(cluster.address, set_as_default=False) as client:
        data = run_study(POINTS, 2, seed=5, crn=True, backend=client)
        assert client.status == "running"
    assert by_key(data.records) == by_key(SerialBackend().run(tasks(reps=2, seed=5, crn=True)))


def long_first():
    """One long replication, then quick ones: completion order differs from submission order."""
    return [task_for(SLOWER, 0, 3, True)] + tasks(reps=3)


@pytest.mark.parametrize("kind", ["local", "dask"])
def test_results_stream_in_completion_order(cluster, kind):
    backend = LocalBackend(2) if kind == "local" else DaskBackend(cluster.address)
    with backend:
        if kind == "local":
            list(backend.run(tasks(reps=1)))  # start the pool's processes first
        order = [(r.point, r.rep, r.calls_simulated > 100_000) for r in backend.run(long_first())]
    assert len(order) == 7
    # The long one, submitted first, comes after the quick ones (Dask may queue
    # one quick task behind it on the same worker).
    assert order.index((0, 0, True)) >= 5


def test_local_backend_submits_lazily_and_can_stop_early():
    pulled = []

    def source():
        for task in tasks(reps=200):
            pulled.append(task)
            yield task

    with LocalBackend(2) as backend:
        stream = backend.run(source())
        first = [next(stream) for _ in range(3)]
        assert len(pulled) <= 3 + 2 * backend.workers  # the 400 tasks are not all submitted
        stream.close()  # cancels what is queued
        again = list(backend.run(tasks(reps=1)))  # the pool is still usable
    assert len(first) == 3 and len(again) == 2


def test_local_backend_survives_a_killed_worker():
    slow = [task_for(SLOW, r, 3, True) for r in range(8)]
    expected = by_key(SerialBackend().run(slow[:3]))
    with LocalBackend(2) as backend:
        records = []
        for record in backend.run(slow):
            records.append(record)
            if len(records) == 1:
                victim = multiprocessing.active_children()[0]
                os.kill(victim.pid, signal.SIGKILL)
    assert sorted((r.point, r.rep) for r in records) == [(0, r) for r in range(8)]
    assert by_key(records)[:3] == expected


def test_local_workers_default_to_usable_cores():
    assert LocalBackend().workers == len(os.sched_getaffinity(0))
    with pytest.raises(ValueError, match="at least 1"):
        LocalBackend(0)


def test_workers_are_bounded_by_the_machine():
    """--workers 100000 started 100,000 processes for 4 replications and hung (killed after 60 s)."""
    from ccsim.experiment.backends import max_workers

    cores = len(os.sched_getaffinity(0))
    assert max_workers() == max(8, 4 * cores)
    assert LocalBackend(max_workers()).workers == max_workers()
    for bad in (max_workers() + 1, 100_000, 10**30):
        with pytest.raises(BackendError, match=f"at most {max_workers():,}"):
            LocalBackend(bad)
    for bad in (2.5, "4", True):
        with pytest.raises(BackendError, match="whole number"):
            LocalBackend(bad)


def test_the_pool_starts_no_more_processes_than_tasks():
    """A pool of 6 workers started 6 processes (30 MiB each, idle) for 2 replications."""
    with LocalBackend(6) as backend:
        records = list(backend.run(tasks(reps=1)))  # 2 tasks
        assert len(records) == 2
        assert len(backend._pool._executor._processes) <= 2
        records = list(backend.run(tasks(reps=3)))  # 6 tasks: the pool grows to 6
        assert by_key(records) == by_key(list(SerialBackend().run(tasks(reps=3))))
        assert backend._pool.width == 6


# -- an unreachable scheduler --------------------------------------------------------


def test_unreachable_scheduler_fails_fast_and_leaves_no_store(tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(BackendError, match=f"no Dask scheduler answers at {address}"):
        DaskBackend(address)
    with pytest.raises(BackendError, match=address):
        run_study(POINTS, 2, seed=1, crn=True, store_path=tmp_path / "s.db", backend=address)
    assert list(tmp_path.iterdir()) == []


def test_a_port_that_is_not_a_scheduler_times_out(tmp_path):
    with socket.socket() as silent:  # accepts connections, never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(BackendError, match=f"could not connect to the Dask scheduler at {address}"):
            DaskBackend(address, connect_timeout=1)


def test_bad_addresses_are_explained():
    with pytest.raises(BackendError, match="expected tcp://host:port"):
        DaskBackend("tcp://localhost")
    with pytest.raises(ValueError, match="unknown backend"):
        run_study(POINTS, 1, seed=1, crn=True, backend="threads")


# -- a worker killed mid-study ---------------------------------------------------------


def test_study_survives_a_killed_dask_worker(tmp_path):
    cluster = Cluster()
    try:
        victim = cluster.workers[1]
        killed_after = []

        def kill_one(done, total):
            if done == 6 and not killed_after:
                os.kill(victim.pid, signal.SIGKILL)
                killed_after.append(done)

        data = run_study([SLOW], 40, seed=21, crn=True, store_path=tmp_path / "s.db",
                         backend=cluster.address, progress=kill_one)
        assert killed_after and victim.wait(10) == -signal.SIGKILL
    finally:
        cluster.stop()
    keys = [(r.point, r.rep) for r in data.records]
    assert keys == [(0, r) for r in range(40)]  # every replication, each once
    with Store.open(tmp_path / "s.db") as store:
        assert len(store.done()) == 40
    assert by_key(data.records) == by_key(SerialBackend().run(task_for(SLOW, r, 21, True) for r in range(40)))


def test_a_lost_scheduler_is_an_error_naming_it_and_the_store_keeps_what_was_done(tmp_path):
    """The scheduler killed mid-study: every future is cancelled ('scheduler-connection-lost'), a
    FutureCancelledError, which came out as an internal error (exit 70) with distributed's
    tracebacks. It is the backend's error now, and the store holds the replications done."""
    cluster = Cluster()
    try:
        def kill_scheduler(done, total):
            if done == 4:
                os.kill(cluster.scheduler.pid, signal.SIGKILL)

        with pytest.raises(BackendError, match=f"lost the Dask scheduler at {cluster.address}"):
            run_study([SLOW], 200, seed=21, crn=True, store_path=tmp_path / "s.db", backend=cluster.address,
                      progress=kill_scheduler)
    finally:
        cluster.stop()
    with Store.open(tmp_path / "s.db") as store:
        assert 4 <= len(store.done()) < 200


def test_local_backend_survives_repeated_kills():
    """Workers killed again and again (possibly mid-send of a record): no hang, every task once."""
    tasks = [task_for(SLOW, r, 5, True) for r in range(12)]
    records = []
    with LocalBackend(2, max_restarts=6) as backend:
        for record in backend.run(tasks):
            records.append(record)
            if len(records) in (1, 3, 5):
                for child in multiprocessing.active_children()[:1]:
                    os.kill(child.pid, signal.SIGKILL)
    assert sorted((r.point, r.rep) for r in records) == [(0, r) for r in range(12)]
    assert by_key(records) == by_key(SerialBackend().run(tasks))


def test_local_backend_gives_up_after_too_many_deaths():
    tasks = [task_for(SLOW, r, 5, True) for r in range(6)]
    with LocalBackend(1, max_restarts=1) as backend:
        with pytest.raises(BackendError, match="died 2 times"):
            for _ in backend.run(tasks):
                for child in multiprocessing.active_children():
                    os.kill(child.pid, signal.SIGKILL)


# -- without the optional distributed package; addresses without a scheme ---------------


def test_a_scheduler_without_distributed_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now fails
    for spec in ("tcp://127.0.0.1:8786", "127.0.0.1:8786"):
        with pytest.raises(BackendError, match=r"optional package 'distributed'.*pip install 'ccsim\[dask\]'") as caught:
            run_study(POINTS, 1, seed=1, crn=True, store_path=tmp_path / "s.db", backend=spec)
        assert "pip install -e '.[dask]'" in str(caught.value)
    assert list(tmp_path.iterdir()) == []
    assert len(run_study(POINTS, 1, seed=1, crn=True, backend="serial").records) == 2  # the rest still works


def test_host_port_without_scheme_is_tcp(cluster):
    bare = cluster.address.removeprefix("tcp://")
    assert bare != cluster.address
    with DaskBackend(bare) as backend:
        assert backend.address == cluster.address
    data = run_study(POINTS, 1, seed=3, crn=True, backend=bare)
    assert by_key(data.records) == by_key(SerialBackend().run(task_for(p, 0, 3, True) for p in POINTS))


def test_unreachable_host_port_is_named_with_its_scheme():
    port = free_port()
    with pytest.raises(BackendError, match=f"no Dask scheduler answers at tcp://127.0.0.1:{port}"):
        run_study(POINTS, 1, seed=1, crn=True, backend=f"127.0.0.1:{port}")
