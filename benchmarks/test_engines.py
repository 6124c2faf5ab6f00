"""Engine throughput on scenarios/erlang_a.yaml, scenarios/media_hotline.yaml and a 500-agent
multi-skill center (run: pytest benchmarks).

The core runs the whole of erlang_a (about 1,000,000 arrivals); the SimPy reference runs
the same scenario cut to a tenth of the horizon, since only its rate matters. The core
runs media_hotline (a week of the seed's center: ads, an IVR menu, lines, retrials;
about 66,000 attempts) in rounds of 10 replications, and the routing benchmark's center
(``routing_scenarios.center(500, 6)``: 6 skills, specialist teams and a cross-trained team
behind an overflow delay, two shifts a day with breaks; 3 days, about 285,000 calls). All figures are engine time only
(compile and result assembly excluded); "calls" are attempts (first and retrials).
"""
from routing_scenarios import center

import ccsim
from ccsim.api import _run
from ccsim.compile import compile_scenario
from ccsim.router import LongestIdle
from ccsim.scenario import validate_scenario

SCENARIO = "scenarios/erlang_a.yaml"
MEDIA_HOTLINE = "scenarios/media_hotline.yaml"


def _bench(benchmark, record_throughput, name, scenario, engine, rounds, reps=1, router=None):
    model = compile_scenario(scenario)
    results = []

    def run():
        for _ in range(reps):
            results.append(_run(scenario, model, len(results), engine, router=router))

    benchmark.pedantic(run, rounds=rounds, iterations=1, warmup_rounds=0)
    calls = sum(r.calls_simulated for r in results)
    seconds = sum(r.wall_seconds for r in results)
    rate = record_throughput(name, calls, seconds)
    benchmark.extra_info["calls_per_second"] = rate
    benchmark.extra_info["calls_per_round"] = calls * reps / len(results)


def test_core_erlang_a(benchmark, record_throughput):
    scenario = ccsim.load_scenario(SCENARIO)
    _bench(benchmark, record_throughput, "core erlang_a", scenario, "core", rounds=5)


def test_simpy_erlang_a(benchmark, record_throughput):
    full = ccsim.load_scenario(SCENARIO)
    scenario = full.model_copy(update={"horizon": full.warmup + (full.horizon - full.warmup) / 10})
    _bench(benchmark, record_throughput, "simpy erlang_a", scenario, "simpy", rounds=1)


def test_core_media_hotline(benchmark, record_throughput):
    scenario = ccsim.load_scenario(MEDIA_HOTLINE)
    _bench(benchmark, record_throughput, "core media_hotline", scenario, "core", rounds=5, reps=10)


def test_core_routing_500_agents_6_skills(benchmark, record_throughput):
    scenario = validate_scenario(center(500, 6))
    _bench(benchmark, record_throughput, "core routing 500x6", scenario, "core", rounds=5)


def test_core_erlang_a_python_router(benchmark, record_throughput):
    """The core with a Python router (the slow path for new ideas), erlang_a cut to a tenth."""
    full = ccsim.load_scenario(SCENARIO)
    scenario = full.model_copy(update={"horizon": full.warmup + (full.horizon - full.warmup) / 10})
    _bench(benchmark, record_throughput, "core erlang_a python router", scenario, "core", rounds=1,
           router=LongestIdle())
