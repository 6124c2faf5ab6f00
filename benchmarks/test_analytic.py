"""Erlang A in closed form over the 189-case grid (run: pytest benchmarks).

1 to 50,000 agents, loads 0.01-1.5 x agents, patience 1 ms to 10^9 s, thresholds
up to 10^7 s, a case the truncated birth-death chain answers slowly or refuses.
"""
from ccsim.analytic import erlang_a_metrics
from factories import ERLANG_A_GRID as GRID


def test_erlang_a_grid(benchmark):
    def run():
        return [erlang_a_metrics(c, f * c / 180.0, 180.0, patience, t) for c, f, patience, t in GRID]

    results = benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=0)
    benchmark.extra_info["cases"] = len(results)
