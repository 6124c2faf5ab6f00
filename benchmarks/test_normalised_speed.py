"""The speed gate's workloads as pytest-benchmark results (``pytest benchmarks --benchmark-json FILE``).

Each shipped scenario's core runs are timed by pytest-benchmark; ``extra_info``
adds the figures the gate compares: calls per second of engine CPU time and the
speed normalised by the calibration workload measured in the same session
(``ccsim.cli.bench``), beside the committed baseline's value. The gate itself is
``ccsim bench --gate benchmarks/speed_baseline.json`` (run by ``.ci/run``).
"""
from pathlib import Path

import pytest

from ccsim.cli import bench
from ccsim.compile import compile_scenario
from ccsim.engines import ENGINES
from ccsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE, TOLERANCE = bench.read_baseline(ROOT / "benchmarks" / "speed_baseline.json")


@pytest.mark.parametrize("name, path, runs", bench.WORKLOADS, ids=[w[0] for w in bench.WORKLOADS])
def test_normalised_speed(benchmark, record_throughput, name, path, runs):
    model = compile_scenario(load_scenario(ROOT / path))
    calls = []

    def run():
        calls.append(sum(ENGINES["core"](model, 1).calls_simulated for _ in range(runs)))

    benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)
    (speed,) = bench.measure(ROOT, rounds=5, workloads=[(name, path, runs)], slowdown=0.0)
    record_throughput(f"core {name} (gate workload)", calls[-1], benchmark.stats.stats.min)
    benchmark.extra_info.update(calls_per_round=calls[-1], calls_per_second=speed.calls_per_second,
                                normalised=speed.normalised, baseline_normalised=BASELINE[name],
                                change=speed.normalised / BASELINE[name] - 1, tolerance=TOLERANCE[name])
