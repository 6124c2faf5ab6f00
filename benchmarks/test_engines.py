"""Engine throughput on scenarios/erlang_a.yaml (run: pytest benchmarks).

The core runs the whole file (about 1,000,000 arrivals); the SimPy reference runs
the same scenario cut to a tenth of the horizon, since only its rate matters.
Both figures are engine time only (compile and result assembly excluded).
"""
import ccsim
from ccsim.api import _run
from ccsim.compile import compile_scenario

SCENARIO = "scenarios/erlang_a.yaml"


def _bench(benchmark, record_throughput, name, scenario, engine, rounds):
    model = compile_scenario(scenario)
    results = []

    def run():
        results.append(_run(scenario, model, len(results), engine))

    benchmark.pedantic(run, rounds=rounds, iterations=1, warmup_rounds=0)
    calls = sum(r.calls_simulated for r in results)
    seconds = sum(r.wall_seconds for r in results)
    rate = record_throughput(name, calls, seconds)
    benchmark.extra_info["calls_per_second"] = rate
    benchmark.extra_info["calls_per_round"] = calls / len(results)


def test_core_erlang_a(benchmark, record_throughput):
    scenario = ccsim.load_scenario(SCENARIO)
    _bench(benchmark, record_throughput, "core erlang_a", scenario, "core", rounds=5)


def test_simpy_erlang_a(benchmark, record_throughput):
    full = ccsim.load_scenario(SCENARIO)
    scenario = full.model_copy(update={"horizon": full.warmup + (full.horizon - full.warmup) / 10})
    _bench(benchmark, record_throughput, "simpy erlang_a", scenario, "simpy", rounds=1)
