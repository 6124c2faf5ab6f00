"""Collects calls/second of every engine benchmark and prints the ratios at the end."""
import sys
from pathlib import Path

import pytest

# the tests' shared scenarios and grids (tests/factories.py) serve the benchmarks too
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # routing_scenarios

THROUGHPUT: dict = {}


@pytest.fixture
def record_throughput():
    def record(name, calls, seconds):
        THROUGHPUT[name] = calls / seconds
        return THROUGHPUT[name]

    return record


def pytest_terminal_summary(terminalreporter):
    if not THROUGHPUT:
        return
    terminalreporter.section("ccsim throughput (simulated calls per second of engine time)")
    for name, rate in THROUGHPUT.items():
        terminalreporter.write_line(f"{name:32s} {rate:14,.0f} calls/s")
    if "core erlang_a" in THROUGHPUT and "simpy erlang_a" in THROUGHPUT:
        ratio = THROUGHPUT["core erlang_a"] / THROUGHPUT["simpy erlang_a"]
        terminalreporter.write_line(f"{'core / simpy':32s} {ratio:14,.1f} x")
    if "core erlang_a" in THROUGHPUT and "core media_hotline" in THROUGHPUT:
        share = THROUGHPUT["core media_hotline"] / THROUGHPUT["core erlang_a"]
        terminalreporter.write_line(f"{'media_hotline / erlang_a (core)':32s} {100 * share:13,.0f} %")
    if "C reference erlang_a" in THROUGHPUT:
        ratio = THROUGHPUT["core erlang_a (cpu, best)"] / THROUGHPUT["C reference erlang_a"]
        terminalreporter.write_line(f"{'core / C reference (target 0.8)':32s} {ratio:14,.2f} x")
    if "core erlang_a" in THROUGHPUT and "core routing 500x6" in THROUGHPUT:
        share = THROUGHPUT["core routing 500x6"] / THROUGHPUT["core erlang_a"]
        terminalreporter.write_line(f"{'routing 500x6 / erlang_a (core)':32s} {100 * share:13,.0f} %")
    if "core erlang_a" in THROUGHPUT and "core erlang_a python router" in THROUGHPUT:
        share = THROUGHPUT["core erlang_a python router"] / THROUGHPUT["core erlang_a"]
        terminalreporter.write_line(f"{'python router / built-in (core)':32s} {100 * share:13,.1f} %")
