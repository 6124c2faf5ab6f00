"""Experiment execution (run: pytest benchmarks/test_experiments.py).

(a) Replication throughput on scenarios/erlang_a.yaml cut to a 300,000 s horizon:
    one process against a local pool of 2 workers, on the same tasks; the
    speed-up is reported in extra_info and printed.
(b) Per-replication overhead of ``run_study`` with a store (validation, compile,
    result assembly, serialisation, one fsync'd transaction per replication)
    against the engine time of the same replications (their ``wall_seconds``).
"""
import itertools
from pathlib import Path

import pytest
import yaml

from ccsim.experiment.backends import LocalBackend, SerialBackend
from ccsim.experiment.records import Point, task_for
from ccsim.experiment.runner import run_study

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "erlang_a.yaml"
HORIZON = 300_000  # seconds: about 300,000 arrivals a replication
REPS = 16
SECONDS: dict = {}  # "serial" / "local-2" -> best seconds for the REPS replications


def erlang_a(horizon=HORIZON) -> Point:
    scenario = yaml.safe_load(SCENARIO.read_text())
    scenario["horizon"] = horizon
    return Point(0, f"erlang_a horizon={horizon}", {"horizon": horizon}, scenario)


def small() -> Point:
    scenario = {
        "name": "small", "horizon": 5000, "interval": 900,
        "call_types": [{"name": "inbound", "arrivals": {"process": "poisson", "rate": 0.5},
                        "handle_time": {"dist": "exponential", "mean": 180},
                        "patience": {"dist": "exponential", "mean": 300}}],
        "agents": [{"name": "team", "count": 100, "serves": ["inbound"]}],
    }
    return Point(0, "small", {}, scenario)


def _throughput(benchmark, name, backend):
    tasks = [task_for(erlang_a(), r, 2024, True) for r in range(REPS)]
    records = []

    def run():
        records[:] = list(backend.run(tasks))

    benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=0)
    SECONDS[name] = benchmark.stats.stats.min
    calls = sum(r.calls_simulated for r in records)
    benchmark.extra_info["replications"] = REPS
    benchmark.extra_info["calls_per_wall_second"] = calls / SECONDS[name]


def test_throughput_one_process(benchmark):
    _throughput(benchmark, "serial", SerialBackend())


def test_throughput_local_pool(benchmark, capsys):
    with LocalBackend(2) as backend:
        list(backend.run([task_for(small(), r, 1, True) for r in range(4)]))  # start the workers first
        _throughput(benchmark, "local-2", backend)
    if "serial" in SECONDS:
        speedup = SECONDS["serial"] / SECONDS["local-2"]
        benchmark.extra_info["speedup_vs_one_process"] = speedup
        with capsys.disabled():
            print(f"\nLocalBackend(2) vs one process, {REPS} erlang_a replications of {HORIZON:,} s: "
                  f"{SECONDS['serial']:.2f} s / {SECONDS['local-2']:.2f} s = {speedup:.2f}x")


@pytest.mark.parametrize("point", [erlang_a(1_007_200), erlang_a(), small()],
                         ids=["erlang_a_full", "erlang_a_300k", "small_5k"])
def test_store_overhead(benchmark, tmp_path, capsys, point):
    reps = 20
    paths = (tmp_path / f"study{i}.db" for i in itertools.count())
    studies = []

    def run():
        studies.append(run_study([point], reps, 7, True, store_path=next(paths), backend=SerialBackend()))

    benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=1)
    elapsed = benchmark.stats.stats.min
    engine = min(sum(r.wall_seconds for r in data.records) for data in studies)
    overhead = elapsed / engine - 1
    benchmark.extra_info.update(
        replications=reps, engine_seconds=engine, study_seconds=elapsed, overhead_percent=100 * overhead,
        overhead_ms_per_replication=1000 * (elapsed - engine) / reps,
    )
    with capsys.disabled():
        print(f"\nrun_study + store, {reps} x {point.label}: study {elapsed:.3f} s, engine {engine:.3f} s, "
              f"overhead {100 * overhead:.1f} % ({1000 * (elapsed - engine) / reps:.1f} ms a replication)")
