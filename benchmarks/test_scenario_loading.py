"""How fast scenarios are read, validated or refused (run: pytest benchmarks/test_scenario_loading.py).

Hostile inputs must be refused in milliseconds (the alias bomb used to hang); a
scenario at the size limits must still load in seconds.
"""
import pytest

from ccsim.scenario import ScenarioError, parse_scenario
from ccsim.scenario.limits import MAX_LIST_VALUES

SMALL = open("scenarios/erlang_a.yaml").read()
BOMB = "\n".join(["l0: &l0 [" + ", ".join(["lol"] * 9) + "]"]
                 + [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]) + "\n" + SMALL
NESTED = "deep: " + "[" * 1000 + "]" * 1000 + "\n" + SMALL
MILLION = SMALL.replace("{dist: exponential, mean: 180}",
                        "{dist: empirical, values: [" + ", ".join(str(i % 300) for i in range(MAX_LIST_VALUES)) + "]}", 1)


def test_parse_erlang_a(benchmark):
    benchmark(parse_scenario, SMALL)


@pytest.mark.parametrize("text", [BOMB, NESTED], ids=["alias bomb", "1,000 nested lists"])
def test_refuse(benchmark, text):
    def refuse():
        with pytest.raises(ScenarioError):
            parse_scenario(text)

    benchmark(refuse)


def test_a_million_empirical_values(benchmark):
    scenario = benchmark.pedantic(parse_scenario, args=(MILLION,), rounds=3, iterations=1)
    assert len(scenario.call_types[0].handle_time.values) == MAX_LIST_VALUES
