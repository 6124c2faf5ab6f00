"""Start-up of the ``ccsim`` command (run: pytest benchmarks/test_startup.py).

Wall and CPU time of ``ccsim --help``, ``ccsim validate scenarios/erlang_a.yaml``, a
small ``ccsim run`` (one replication, about 2,000 calls), the whole
``ccsim run scenarios/erlang_a.yaml`` (about a million calls) beside the engine
time it prints (issue #13's target: the whole process within 1.5 x the engine), and
the whole runs of ``media_hotline.yaml`` (media airings, a sales funnel, costs) and
``multiskill.yaml`` (a funnel, costs, service levels at several thresholds), which
load no scipy or pandas either,
each in a fresh interpreter as a user runs them, plus the cumulative import
time Python reports for the ``ccsim`` package tree with ``-X importtime`` (in
extra_info and printed at the end).

The commands run with bytecode caching on (``PYTHONDONTWRITEBYTECODE`` dropped
from their environment): an installed package has its ``.pyc`` files, and
compiling ccsim's sources at every start would add about 0.15 s that no user pays.
The warm-up round writes them.
"""
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from factories import SMALL_YAML

ROOT = Path(__file__).resolve().parent.parent
SMALL = SMALL_YAML  # tests/factories.py (on sys.path through benchmarks/conftest.py)
FIGURES: dict = {}  # command -> (best wall seconds, best CPU seconds, import seconds)
ENGINE: dict = {}  # command -> (best engine wall seconds, best whole wall / engine wall of one round)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENGINE_LINE = re.compile(rb"engine wall time ([0-9.]+) s")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("startup") / "small.yaml"
    path.write_text(SMALL)
    return path


def _ccsim():
    path = shutil.which("ccsim")
    assert path is not None, "the ccsim console script is not on PATH (pip install -e .)"
    return path


def import_seconds(args) -> float:
    """Cumulative import time of everything the command imported (-X importtime, top-level entries)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", _ccsim(), *args], capture_output=True,
                          text=True, timeout=300, env=ENV)
    assert proc.returncode == 0, proc.stderr
    total = 0
    for line in proc.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if match and not match.group(2).startswith(" "):  # top level: not nested in another import
            total += int(match.group(1))
    return total / 1e6


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _bench(benchmark, name, args, engine_ratio=False):
    command = [_ccsim(), *args]
    cpu, rounds = [], []

    def run():
        before = _children_cpu()
        started = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, timeout=300, env=ENV)
        wall = time.perf_counter() - started
        cpu.append(_children_cpu() - before)  # CPU time: less sensitive than wall time to a busy machine
        assert proc.returncode == 0, proc.stderr
        engine = ENGINE_LINE.search(proc.stdout)
        if engine and engine_ratio:
            rounds.append((float(engine.group(1)), wall))

    benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)
    imports = import_seconds(args)
    benchmark.extra_info["import_seconds"] = imports
    benchmark.extra_info["cpu_seconds"] = min(cpu)
    if rounds:
        rounds = rounds[1:]  # not the warm-up's
        ENGINE[name] = (min(e for e, _ in rounds), min(w / e for e, w in rounds))
        benchmark.extra_info["engine_seconds"], benchmark.extra_info["whole_over_engine"] = ENGINE[name]
    if benchmark.stats is not None:  # None with --benchmark-disable
        FIGURES[name] = (benchmark.stats.stats.min, min(cpu), imports)


def test_help(benchmark):
    _bench(benchmark, "ccsim --help", ["--help"])


def test_validate(benchmark):
    _bench(benchmark, "ccsim validate erlang_a.yaml", ["validate", str(ROOT / "scenarios" / "erlang_a.yaml")])


def test_small_run(benchmark, small):
    _bench(benchmark, "ccsim run small.yaml", ["run", str(small)])


def test_small_run_json(benchmark, small):
    _bench(benchmark, "ccsim run small.yaml --json", ["run", str(small), "--json"])


def test_erlang_a_run(benchmark):
    """The whole run as a user types it: start-up, a million calls, the tables."""
    _bench(benchmark, "ccsim run erlang_a.yaml", ["run", str(ROOT / "scenarios" / "erlang_a.yaml")],
           engine_ratio=True)


@pytest.mark.parametrize("name", ["media_hotline", "multiskill"])
def test_run_with_media_and_money(benchmark, name):
    """A whole run of a scenario with media airings or a sales funnel and costs."""
    _bench(benchmark, f"ccsim run {name}.yaml", ["run", str(ROOT / "scenarios" / f"{name}.yaml")])


@pytest.fixture(scope="module", autouse=True)
def print_figures(request):
    """Print the figures after the benchmark table (at unconfigure, when output is no longer captured)."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")

    def show():
        if FIGURES and reporter is not None:
            reporter.write_sep("-", "ccsim start-up (best of 5: wall time, CPU time; cumulative import time)")
            for name, (wall, cpu, imports) in FIGURES.items():
                reporter.write_line(f"{name:30s} {wall:6.3f} s wall {cpu:6.3f} s CPU {imports:6.3f} s imports")
            for name, (engine, ratio) in ENGINE.items():
                reporter.write_line(f"{name:30s} engine {engine:6.3f} s; whole process / engine {ratio:5.2f} x "
                                    "(best round; issue #13's target: 1.5 x)")

    request.config.add_cleanup(show)
    yield
