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


# (label, numerator, denominator, scale, format): a line of the summary when both were measured
RATIOS = (
    ("core / simpy", "core erlang_a", "simpy erlang_a", 1, "{:14,.1f} x"),
    ("media_hotline / erlang_a (core)", "core media_hotline", "core erlang_a", 100, "{:13,.0f} %"),
    ("core / C reference (target 0.8)", "core erlang_a (cpu, best)", "C reference erlang_a", 1, "{:14,.2f} x"),
    ("routing 500x6 / erlang_a (core)", "core routing 500x6", "core erlang_a", 100, "{:13,.0f} %"),
    ("python router / built-in (core)", "core erlang_a python router", "core erlang_a", 100, "{:13,.1f} %"),
)


def pytest_terminal_summary(terminalreporter):
    if not THROUGHPUT:
        return
    terminalreporter.section("ccsim throughput (simulated calls per second of engine time)")
    for name, rate in THROUGHPUT.items():
        terminalreporter.write_line(f"{name:32s} {rate:14,.0f} calls/s")
    for label, top, bottom, scale, fmt in RATIOS:
        if top in THROUGHPUT and bottom in THROUGHPUT:
            terminalreporter.write_line(f"{label:32s} " + fmt.format(scale * THROUGHPUT[top] / THROUGHPUT[bottom]))
