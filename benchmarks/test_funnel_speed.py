"""What the sales funnel costs the core: scenarios/media_hotline.yaml with and without a funnel
(the full one of tests/test_funnel.py: cross-sell, verification retries, regions, every delay
random), run alternately in the same benchmark so that both see the same machine load.

Target (issue 9): the funnel costs at most 15 % of the core's calls per second. The ratio is
reported (extra_info and the throughput summary), not asserted: benchmarks are not tests.
"""
import copy
import time

import yaml
from test_funnel import FUNNEL

from ccsim.compile import compile_scenario
from ccsim.engines import ENGINES
from ccsim.scenario import validate_scenario

MEDIA_HOTLINE = "scenarios/media_hotline.yaml"


def _models():
    with open(MEDIA_HOTLINE) as handle:
        plain = yaml.safe_load(handle)
    plain.pop("funnel", None)  # the shipped file may carry one: compare against none
    funnel = copy.deepcopy(plain)
    funnel["funnel"] = copy.deepcopy(FUNNEL)
    return compile_scenario(validate_scenario(plain)), compile_scenario(validate_scenario(funnel))


def test_core_media_hotline_funnel_cost(benchmark, record_throughput):
    plain, funnel = _models()
    seconds, calls = {"plain": 0.0, "funnel": 0.0}, {"plain": 0, "funnel": 0}
    seed = [0]

    def run():
        for name, model in (("plain", plain), ("funnel", funnel)):
            for _ in range(5):
                start = time.perf_counter()
                stats = ENGINES["core"](model, seed[0])
                seconds[name] += time.perf_counter() - start
                calls[name] += stats.calls_simulated
                seed[0] += 1

    benchmark.pedantic(run, rounds=4, iterations=1, warmup_rounds=1)
    rate = {name: record_throughput(f"core media_hotline {name}", calls[name], seconds[name]) for name in seconds}
    cost = 1.0 - rate["funnel"] / rate["plain"]
    benchmark.extra_info["calls_per_second"] = rate
    benchmark.extra_info["funnel_cost"] = cost
    print(f"\nfunnel cost on media_hotline: {100 * cost:.1f} % of the core's calls per second "
          f"({rate['plain']:,.0f} -> {rate['funnel']:,.0f} calls/s)")
