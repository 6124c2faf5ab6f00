"""The speed gate's logic on synthetic measurements (the real soak is benchmarks/soak_speed_gate.py)."""
import json
import math

import pytest
from click.testing import CliRunner

import ccsim.cli.bench as bench
from ccsim.cli import cli


def test_gate_fails_only_beyond_the_tolerance():
    baseline = {"erlang_a": 500_000.0, "erlang_b": 600_000.0}
    results = bench.gate({"erlang_a": 455_000.0, "erlang_b": 650_000.0}, baseline, 0.10)
    assert [r.passed for r in results] == [True, True]
    assert results[0].change == pytest.approx(-0.09)
    results = bench.gate({"erlang_a": 445_000.0, "erlang_b": 600_000.0}, baseline, 0.10)
    assert [r.passed for r in results] == [False, True]


def test_a_missing_benchmark_fails():
    (result,) = bench.gate({}, {"erlang_a": 1.0}, 0.1)
    assert not result.passed and math.isnan(result.measured)


def test_a_20_percent_slower_core_is_caught_by_the_tolerance():
    # 20 % more time per call is 1/1.2 of the speed: 16.7 % below, beyond the shipped tolerance.
    speeds, tolerances = bench.read_baseline("benchmarks/speed_baseline.json")
    slower = {name: value / 1.2 for name, value in speeds.items()}
    assert not any(r.passed for r in bench.gate(slower, speeds, tolerances))
    assert all(t < 1 - 1 / 1.2 for t in tolerances.values())


class FakeClock:
    """thread_time() that advances 1 s in an engine run and 1 ms per reading."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        self.now += 0.001
        return self.now


def test_injected_slowdown_makes_each_measured_run_20_percent_longer(monkeypatch):
    clock = FakeClock()

    class Stats:
        calls_simulated = 1000

    def engine(model, seed):
        clock.now += 1.0
        return Stats()

    monkeypatch.setattr(bench.time, "thread_time", clock)
    monkeypatch.setitem(__import__("ccsim.engines", fromlist=["ENGINES"]).ENGINES, "core", engine)
    calls, plain = bench.engine_time(None, 2, 0.0)
    calls_slow, slowed = bench.engine_time(None, 2, 0.2)
    assert calls == calls_slow == 2000
    assert slowed / plain == pytest.approx(1.2, rel=0.01)


def test_slowdown_variable_is_checked(monkeypatch):
    monkeypatch.setenv(bench.SLOWDOWN_VARIABLE, "fast")
    result = CliRunner().invoke(cli, ["bench"])
    assert result.exit_code == 2 and bench.SLOWDOWN_VARIABLE in result.stderr


def fake_session(factor):
    return lambda root, rounds, slowdown=None: [
        bench.Speed("erlang_a", 4e6 * factor, 500_000.0 * factor, 0.02),
        bench.Speed("day_profile", 4e6 * factor, 480_000.0 * factor, 0.03)]


def test_record_then_gate(monkeypatch, tmp_path):
    baseline = tmp_path / "baseline.json"
    monkeypatch.setattr(bench, "measure", fake_session(1.0))
    result = CliRunner().invoke(cli, ["bench", "--record", str(baseline), "--sessions", "3", "--tolerance", "0.12"])
    assert result.exit_code == 0, result.output
    data = json.loads(baseline.read_text())
    assert data["tolerance"] == 0.12 and data["benchmarks"]["erlang_a"]["normalised"] == 500_000.0
    monkeypatch.setattr(bench, "measure", fake_session(0.95))
    result = CliRunner().invoke(cli, ["bench", "--gate", str(baseline)])
    assert result.exit_code == 0 and "speed gate: ok" in result.stderr
    monkeypatch.setattr(bench, "measure", fake_session(1 / 1.2))
    result = CliRunner().invoke(cli, ["bench", "--gate", str(baseline)])
    assert result.exit_code == 1 and "FAIL: erlang_a, day_profile" in result.stderr


def test_a_benchmark_may_have_its_own_tolerance(tmp_path):
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"tolerance": 0.1, "benchmarks": {"a": {"normalised": 100.0},
                                                                "b": {"normalised": 100.0, "tolerance": 0.12}}}))
    speeds, tolerances = bench.read_baseline(path)
    assert tolerances == {"a": 0.1, "b": 0.12}
    results = bench.gate({"a": 89.0, "b": 89.0}, speeds, tolerances)
    assert [r.passed for r in results] == [False, True]


@pytest.mark.parametrize("text", ["not json", '{"benchmarks": {}}', '{"tolerance": 2, "benchmarks": {"a": '
                                                                      '{"normalised": 1}}}'])
def test_bad_baseline_is_input_error(tmp_path, text):
    path = tmp_path / "baseline.json"
    path.write_text(text)
    result = CliRunner().invoke(cli, ["bench", "--gate", str(path)])
    assert result.exit_code == 2 and str(path) in result.stderr and "Traceback" not in result.output


def test_median_of_sessions():
    sessions = [fake_session(f)(None, 1) for f in (0.9, 1.0, 1.3)]
    speeds = bench.median_speeds(sessions)
    assert [s.normalised for s in speeds] == [500_000.0, 480_000.0]


def test_gate_measures_again_and_judges_the_best(monkeypatch, tmp_path):
    baseline = tmp_path / "baseline.json"
    monkeypatch.setattr(bench, "measure", fake_session(1.0))
    CliRunner().invoke(cli, ["bench", "--record", str(baseline)])
    # A burst of load in the first session only: measured again, the best speed passes.
    sessions = iter([fake_session(0.85), fake_session(0.99)])
    monkeypatch.setattr(bench, "measure", lambda *a, **k: next(sessions)(*a, **k))
    result = CliRunner().invoke(cli, ["bench", "--gate", str(baseline)])
    assert result.exit_code == 0 and "measuring again (2 of 3)" in result.stderr
    # A slower core: every session is slow, so the gate fails after all retries.
    calls = []
    monkeypatch.setattr(bench, "measure", lambda *a, **k: calls.append(1) or fake_session(1 / 1.2)(*a, **k))
    result = CliRunner().invoke(cli, ["bench", "--gate", str(baseline), "--retries", "2"])
    assert result.exit_code == 1 and len(calls) == 3 and "in each of 3 sessions" in result.stderr


def test_best_speeds():
    best = bench.best_speeds([fake_session(0.9)(None, 1), fake_session(1.1)(None, 1), fake_session(1.0)(None, 1)])
    assert best == {"erlang_a": pytest.approx(550_000.0), "day_profile": pytest.approx(528_000.0)}
