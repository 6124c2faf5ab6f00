"""``ccsim bench``: engine speed on the shipped scenarios, normalised by a calibration workload.

Times are CPU seconds of the measuring thread. Each round runs a fixed calibration workload (pure Python event loop plus a
numpy sort: nothing of ccsim, so a slower core does not slow it) right before
each scenario; a scenario's *normalised speed* is its calls per second of
engine time multiplied by the calibration's seconds, each from its fastest
round (noise on a shared machine only ever adds time). A machine that is
slower or busier slows both alike, so the ratio travels between machines and
loads far better than calls per second do.

``--gate BASELINE`` fails (exit 1) when a scenario's normalised speed falls more
than the baseline's tolerance below its recorded value, in the first session
and in each of ``--retries`` more (the best speed of each scenario counts: a
burst of load elsewhere passes, a slower core fails every time); ``--record
BASELINE`` writes a new baseline. ``CCSIM_BENCH_SLOWDOWN=0.2`` (read here only) busy-waits
0.2 x each measured engine run inside the timed region: a core 20 % slower, to
show the gate catches one.
"""
from __future__ import annotations

import heapq
import json
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import click

from .params import IntRange
from .status import EXIT_FAIL, EXIT_OK, InputError

# (name, scenario file relative to the project, runs per round): each about 0.1-0.25 s of engine time.
WORKLOADS = (
    ("erlang_a", "scenarios/erlang_a.yaml", 1),
    ("erlang_b", "scenarios/erlang_b.yaml", 1),
    ("erlang_c", "scenarios/erlang_c.yaml", 1),
    ("day_profile", "scenarios/day_profile.yaml", 100),
    ("media_hotline", "scenarios/media_hotline.yaml", 10),  # menus, lines, retrials, ads, callbacks
)
DEFAULT_ROUNDS = 15
# day_profile (100 runs of 5,000 calls a round) is the noisiest under load: -9.7 % in an unchanged run
# while the whole test suite ran; a 20 % slower core puts it at -17 % or below.
WORKLOAD_TOLERANCE = {"day_profile": 0.12}
DEFAULT_TOLERANCE = 0.10  # from the soak: unchanged runs -7 % at worst under heavy load, a 20 % slower core -13 % at best
SLOWDOWN_VARIABLE = "CCSIM_BENCH_SLOWDOWN"


# ---------------------------------------------------------------- measuring
def calibrate() -> float:
    """Seconds of a fixed workload independent of ccsim: a heap-driven M/M/4 queue in pure
    Python (interpreter speed) and a numpy sort (compiled-code and memory speed)."""
    import numpy as np

    rng = np.random.default_rng(12345)
    gaps, services = rng.exponential(1.0, 150_000).tolist(), rng.exponential(3.5, 150_000).tolist()
    values = rng.random(1_500_000)
    started = time.thread_time()
    free, clock, waiting, events = 4, 0.0, 0, []
    for gap, service in zip(gaps, services):
        clock += gap
        while events and events[0] <= clock:
            heapq.heappop(events)
            if waiting:
                waiting -= 1
                heapq.heappush(events, clock + service)
            else:
                free += 1
        if free:
            free -= 1
            heapq.heappush(events, clock + service)
        else:
            waiting += 1
    np.sort(values, kind="quicksort")
    return time.thread_time() - started


def _spin(seconds: float) -> None:
    """Busy-wait ``seconds`` of CPU time (sleeping would not make the work slower)."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def engine_time(model, runs: int, slowdown: float) -> tuple:
    """(calls, CPU seconds of the engine) of ``runs`` core runs of a compiled model.

    CPU time of this thread, not wall time: on a machine shared with other work a
    process waiting for a core is not slower, and wall time would say it is.
    """
    from ..engines import ENGINES

    engine = ENGINES["core"]
    calls, seconds = 0, 0.0
    for _ in range(runs):
        started = time.thread_time()
        stats = engine(model, 1)
        measured = time.thread_time() - started
        if slowdown:
            _spin(slowdown * measured)
            measured = time.thread_time() - started
        calls += stats.calls_simulated
        seconds += measured
    return calls, seconds


@dataclass(frozen=True)
class Speed:
    """One workload's speed over a session of rounds."""

    name: str
    calls_per_second: float  # calls / fastest round's engine CPU seconds
    normalised: float  # calls_per_second x the fastest calibration's CPU seconds
    spread: float  # median / fastest - 1 of the engine times (how noisy the rounds were)


def measure(root: Path, rounds: int = DEFAULT_ROUNDS, workloads=WORKLOADS, slowdown: float | None = None) -> list:
    """Interleaved rounds (calibration, workload, calibration, workload, ...); the fastest
    round of each, since noise on a shared machine only ever adds time."""
    from ..compile import compile_scenario
    from ..scenario import load_scenario

    slowdown = _slowdown() if slowdown is None else slowdown
    scenarios = [(name, compile_scenario(load_scenario(root / path)), runs) for name, path, runs in workloads]
    engine_time(scenarios[0][1], 1, 0.0)  # warm caches and imports
    units, times, calls = [], {name: [] for name, _, _ in scenarios}, {}
    for _ in range(rounds):
        for name, model, runs in scenarios:
            units.append(calibrate())
            calls[name], seconds = engine_time(model, runs, slowdown)
            times[name].append(seconds)
    unit = min(units)
    out = []
    for name, seconds in times.items():
        speed = calls[name] / min(seconds)
        out.append(Speed(name, speed, speed * unit, statistics.median(seconds) / min(seconds) - 1))
    return out


def _slowdown() -> float:
    raw = os.environ.get(SLOWDOWN_VARIABLE, "")
    if not raw:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 10:
        raise InputError(f"{SLOWDOWN_VARIABLE}={raw!r} is not a fraction between 0 and 10 (0.2: 20 % slower)")
    return value


# ---------------------------------------------------------------- the gate
@dataclass(frozen=True)
class GateResult:
    name: str
    baseline: float
    measured: float
    change: float  # measured / baseline - 1
    tolerance: float
    passed: bool


def best_speeds(sessions: list) -> dict:
    """{name: the highest normalised speed over sessions}: load on a shared machine only ever
    lowers a speed, and a slower core cannot be measured faster than it is."""
    out = {}
    for session in sessions:
        for s in session:
            out[s.name] = max(out.get(s.name, 0.0), s.normalised)
    return out


def gate(speeds: dict, baseline: dict, tolerance) -> list:
    """Compare normalised speeds ``{name: value}`` with ``baseline``: a workload fails when it
    is more than its tolerance (a fraction, or ``{name: fraction}``) below its baseline, or
    missing from ``speeds``."""
    out = []
    for name, old in baseline.items():
        allowed = tolerance[name] if isinstance(tolerance, dict) else tolerance
        new = speeds.get(name, float("nan"))
        change = new / old - 1
        out.append(GateResult(name, old, new, change, allowed, bool(change >= -allowed)))
    return out


def read_baseline(path: Path) -> tuple:
    """({name: normalised speed}, {name: tolerance}) of a baseline file (a benchmark's own
    "tolerance", else the file's)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        speeds = {name: float(row["normalised"]) for name, row in data["benchmarks"].items()}
        default = float(data["tolerance"])
        tolerance = {name: float(row.get("tolerance", default)) for name, row in data["benchmarks"].items()}
    except OSError as err:
        raise InputError(f"--gate {path}: cannot read the baseline: {err.strerror or err}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise InputError(f"--gate {path}: not a ccsim bench baseline (expected {{\"tolerance\": 0.1, "
                         f"\"benchmarks\": {{NAME: {{\"normalised\": ...}}}}}}): {err}") from None
    if not speeds or not all(0 < t < 1 for t in tolerance.values()) or not all(v > 0 for v in speeds.values()):
        raise InputError(f"--gate {path}: the baseline needs at least one positive speed and a tolerance "
                         "between 0 and 1")
    return speeds, tolerance


def median_speeds(sessions: list) -> list:
    """One ``Speed`` per workload: the median over sessions (a baseline neither lucky nor unlucky)."""
    out = []
    for i, first in enumerate(sessions[0]):
        rows = [session[i] for session in sessions]
        out.append(Speed(first.name, statistics.median(r.calls_per_second for r in rows),
                         statistics.median(r.normalised for r in rows), max(r.spread for r in rows)))
    return out


def baseline_document(speeds: list, tolerance: float, rounds: int, sessions: int = 1) -> dict:
    return {
        "about": "ccsim bench baseline: normalised speed = calls per second of engine CPU time x CPU seconds of "
                 "the calibration workload, each from its fastest round, median over sessions; the gate fails "
                 "below (1 - tolerance) x normalised. Update on purpose with: "
                 "ccsim bench --record benchmarks/speed_baseline.json --sessions 5",
        "tolerance": tolerance,
        "rounds": rounds,
        "sessions": sessions,
        "benchmarks": {s.name: {"normalised": round(s.normalised, 1), "calls_per_second": round(s.calls_per_second),
                                "spread": round(s.spread, 4),
                                **({"tolerance": WORKLOAD_TOLERANCE[s.name]} if s.name in WORKLOAD_TOLERANCE else {})}
                       for s in speeds},
    }


# ---------------------------------------------------------------- the command
@click.command()
@click.option("--rounds", type=IntRange(min=1), default=DEFAULT_ROUNDS, show_default=True,
              help="Rounds; the fastest round of each workload counts.")
@click.option("--gate", "gate_path", type=click.Path(path_type=Path),
              help="Compare with this baseline; exit 1 when a scenario is slower than its tolerance allows.")
@click.option("--record", "record_path", type=click.Path(path_type=Path),
              help="Write the measured speeds as a new baseline here (on purpose: after a change known to be "
                   "slower or faster).")
@click.option("--sessions", type=IntRange(min=1), default=1, show_default=True,
              help="Measure this many sessions of --rounds and use the median of each speed (e.g. 5 with --record).")
@click.option("--tolerance", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=DEFAULT_TOLERANCE, show_default=True, help="With --record: the tolerance written (day_profile, the noisiest, gets 12 %).")
@click.option("--retries", type=IntRange(min=0), default=2, show_default=True,
              help="With --gate: when a scenario fails, measure up to this many more sessions and judge the "
                   "best speed of each (a burst of load elsewhere passes; a slower core fails every time).")
@click.option("--root", type=click.Path(path_type=Path, file_okay=False), default=".", show_default=True,
              help="The project folder holding scenarios/.")
def bench(rounds, gate_path, record_path, sessions, tolerance, retries, root):
    """Calls per second of the Cython core on the shipped scenarios, and each one normalised
    by a calibration workload measured in the same rounds (a ratio a slower or busier
    machine does not change). Exit status with --gate: 0 no slowdown, 1 slower than allowed.
    """
    baseline = read_baseline(gate_path) if gate_path is not None else None
    for _, path, _ in WORKLOADS:
        if not (root / path).is_file():
            raise InputError(f"--root {root}: {path} is missing; run in the ccsim project folder or give --root")
    slowdown = _slowdown()
    if slowdown:
        click.echo(f"note: {SLOWDOWN_VARIABLE}={slowdown:g}: every engine run is made {slowdown:.0%} slower "
                   "by a busy-wait inside the timed region", err=True)
    speeds = median_speeds([measure(root, rounds, slowdown=slowdown) for _ in range(sessions)])
    click.echo(f"{'scenario':14s} {'calls/s':>14s} {'normalised':>12s} {'spread':>8s}")
    for s in speeds:
        click.echo(f"{s.name:14s} {s.calls_per_second:14,.0f} {s.normalised:12,.0f} {s.spread:8.1%}")
    if record_path is not None:
        from ..files import write_text_atomic

        document = baseline_document(speeds, tolerance, rounds, sessions)
        write_text_atomic(record_path, lambda handle: handle.write(json.dumps(document, indent=2) + "\n"))
        click.echo(f"wrote {record_path}", err=True)
    if baseline is None:
        return EXIT_OK
    old, allowed = baseline
    measured = [speeds]
    results = gate(best_speeds(measured), old, allowed)
    while not all(r.passed for r in results) and len(measured) <= retries:
        slower = ", ".join(r.name for r in results if not r.passed)
        click.echo(f"note: {slower} below the tolerance; measuring again ({len(measured) + 1} of "
                   f"{retries + 1}) and judging the best of each", err=True)
        measured.append(measure(root, rounds, slowdown=slowdown))
        results = gate(best_speeds(measured), old, allowed)
    for r in results:
        click.echo(f"gate {r.name:14s} baseline {r.baseline:12,.0f} now {r.measured:12,.0f} "
                   f"{r.change:+7.1%} {'ok' if r.passed else 'SLOWER than -' + format(r.tolerance, '.0%')}")
    failed = [r.name for r in results if not r.passed]
    sessions_note = f" in each of {len(measured)} sessions" if len(measured) > 1 else ""
    if failed:
        click.echo(f"speed gate: FAIL: {', '.join(failed)} more than its tolerance below the baseline"
                   f"{sessions_note}", err=True)
        return EXIT_FAIL
    limits = ", ".join(f"{r.name} {r.tolerance:.0%}" for r in results)
    click.echo(f"speed gate: ok (tolerances: {limits})", err=True)
    return EXIT_OK
