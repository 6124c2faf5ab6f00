"""The C reference simulator of the speed benchmark (benchmarks/erlang_a_ref.c) is right:
its abandonment rate, ASA and service level on scenarios/erlang_a.yaml's model agree with
the exact Erlang A results (``ccsim.analytic``), so the core is compared with a correct
simulator. Student-t intervals over independent replications (fixed seeds), Bonferroni
over the three KPIs at 99 % family-wise; the check must also reject 189 agents."""
import sys
from pathlib import Path

import numpy as np
import pytest

import ccsim
from ccsim.analytic import erlang_a_metrics
from ccsim.results import mean_halfwidth

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import c_reference  # noqa: E402

REPS = 30
HORIZON = 200_000.0  # measured seconds per replication (about 200,000 calls)
LEVEL = 1.0 - 0.01 / 3
KPIS = ("p_abandon", "asa", "service_level")


@pytest.fixture(scope="module")
def replications():
    params = c_reference.scenario_parameters(ccsim.load_scenario("scenarios/erlang_a.yaml"))
    params["horizon"] = params["warmup"] + HORIZON
    runs = [c_reference.run(**params, seed=seed) for seed in range(1, REPS + 1)]
    return params, {kpi: mean_halfwidth([getattr(r, kpi) for r in runs], LEVEL) for kpi in KPIS}


def _exact(params, agents):
    return erlang_a_metrics(agents, params["rate"], params["mean_handle"], params["mean_patience"],
                            params["threshold"])


def test_c_reference_matches_erlang_a(replications):
    params, estimates = replications
    exact = _exact(params, params["agents"])
    for kpi, (mean, hw) in estimates.items():
        assert hw < 0.1 * getattr(exact, kpi) or kpi == "service_level" and hw < 0.005, f"{kpi}: ±{hw} too wide"
        assert abs(mean - getattr(exact, kpi)) <= hw, f"{kpi}: exact {getattr(exact, kpi):.6g} outside {mean:.6g} ± {hw:.3g}"


def test_the_check_rejects_one_agent_less(replications):
    params, estimates = replications
    wrong = _exact(params, params["agents"] - 1)
    assert any(abs(mean - getattr(wrong, kpi)) > hw for kpi, (mean, hw) in estimates.items())


def test_c_reference_counts_every_call(replications):
    params, _ = replications
    run = c_reference.run(**params, seed=99)
    assert run.offered == run.answered + run.abandoned
    assert run.calls >= run.offered and run.within <= run.answered
    assert np.isfinite(run.cpu_seconds) and run.cpu_seconds > 0
