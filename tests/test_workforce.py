"""Workforce policies over periods: no policy is the single run, people are conserved, the
ranking's noise matches its exact probability, attrition its hazard, CRN, bad input refused."""
import numpy as np
import pytest
from engine_checks import assert_same_run, run
from scipy import stats

from ccsim.workforce import (Attrition, BottomElimination, Promotion, ThresholdElimination, WorkforceError,
                             bottom_k, policies_from_spec, run_periods)

DAY = 86400.0


def exp(mean):
    return {"dist": "exponential", "mean": mean}


def center(n=20, horizon=4 * DAY, rate=0.05, groups=("north", "south")):
    """One sales queue, groups of ``n`` agents drawn with conversion abilities, a funnel."""
    return {"name": "wf", "horizon": horizon, "interval": 3600, "roster_seed": 3,
            "call_types": [{"name": "sales", "arrivals": {"process": "poisson", "rate": rate},
                            "handle_time": exp(180), "patience": exp(120)}],
            "agents": [{"name": g, "serves": ["sales"], "population": {
                "count": n, "conversion": {"dist": "beta", "mean": 0.25, "sd": 0.08}}} for g in groups],
            "funnel": {"call_types": {"sales": {"conversion": 0.3,
                                                "order_value": {"dist": "deterministic", "value": 100}}}}}


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_no_policy_is_the_single_long_run(engine):
    from test_funnel import FULL

    result = run_periods(FULL, 5 * 3600.0, [], seed=4, engine=engine)
    assert len(result.rows) == 5
    assert_same_run(result.raw, run(FULL, engine, seed=4, records=False))


def test_policies_same_on_both_engines():
    policies = [BottomElimination(fraction=0.2, min_calls=5), Attrition(0.05), Promotion(k=1, kpi="revenue")]
    core = run_periods(center(n=6), DAY, policies, seed=2, engine="core")
    ref = run_periods(center(n=6), DAY, policies, seed=2, engine="simpy")
    assert_same_run(core.raw, ref.raw)
    assert core.rows == ref.rows
    assert core.ledger()["eliminated"] > 0


def test_people_are_conserved_every_period():
    policies = [BottomElimination(k=2, min_calls=5, min_per_group=1), Attrition(0.08),
                Promotion(k=1, every=2), ThresholdElimination(below=0.15, min_calls=30, min_per_group=1)]
    result = run_periods(center(n=15, horizon=8 * DAY), DAY, policies, seed=5)
    rows = result.rows
    for before, after in zip(rows, rows[1:]):
        assert after["headcount"] == before["headcount"] - before["eliminated"] - before["quit"] - before["promoted"]
    ledger = result.ledger()
    assert ledger["hired"] == ledger["active"] + ledger["eliminated"] + ledger["quit"] + ledger["promoted"]
    assert ledger["eliminated"] == sum(r["eliminated"] for r in rows)
    assert ledger["promoted"] == sum(r["promoted"] for r in rows) and ledger["promoted"] > 0
    assert ledger["active"] == rows[-1]["headcount"]


def test_gone_agents_take_no_call_after_the_period_they_left():
    result = run_periods(center(n=8), DAY, [BottomElimination(k=3, min_calls=5)], seed=7)
    last = result.raw.agent_totals[:, 0]
    gone_early = result.left_after == 0
    assert gone_early.sum() == 3
    # their calls are those of day 1 (and at most the one they were on)
    first_day = run_periods(center(n=8, horizon=DAY), DAY, [], seed=7).raw.agent_totals[:, 0]
    assert (last[gone_early] <= first_day[gone_early] + 1).all()


def test_same_callers_whatever_the_policy():
    """CRN: arrivals (no retrials in this center) do not depend on who was eliminated."""
    plain = run_periods(center(), DAY, [], seed=9).raw
    culled = run_periods(center(), DAY, [BottomElimination(fraction=0.3, min_calls=5)], seed=9).raw
    arrived = lambda raw: raw.interval_calls[..., 0]  # noqa: E731
    np.testing.assert_array_equal(arrived(plain), arrived(culled))


def exact_bottom_one(p, n):
    """P(agent i is ranked last of all) with Binomial(n, p_i) sales each and uniform random
    tie-breaks: sum over x of P(X_i = x) E[1/(1+T) 1{nobody below x}], T the others tied at x."""
    out = np.zeros(len(p))
    for i in range(len(p)):
        for x in range(n + 1):
            poly = np.array([1.0])  # coefficients in z: z^t = t others tied
            for j in range(len(p)):
                if j != i:
                    above, tie = stats.binom.sf(x, n, p[j]), stats.binom.pmf(x, n, p[j])
                    poly = np.convolve(poly, [above, tie])
            out[i] += stats.binom.pmf(x, n, p[i]) * sum(c / (t + 1) for t, c in enumerate(poly))
    return out


def test_bottom_ranking_noise_matches_its_exact_probability():
    """Five agents of known true conversion with 40 sales calls each: how often each is ranked
    last, over 20 000 simulated periods, within a Bonferroni 99.9 % interval of the exact value."""
    p = np.array([0.18, 0.20, 0.22, 0.25, 0.30])
    n, reps = 40, 20000
    rng = np.random.default_rng(11)
    last = np.zeros(len(p))
    eligible = np.ones(len(p), dtype=bool)
    for _ in range(reps):
        orders = rng.binomial(n, p)
        last[bottom_k(orders / n, eligible, 1, rng)[0]] += 1
    exact = exact_bottom_one(p, n)
    assert exact.sum() == pytest.approx(1.0)
    z = stats.norm.ppf(1 - 0.001 / (2 * len(p)))
    half = z * np.sqrt(exact * (1 - exact) / reps)
    assert (np.abs(last / reps - exact) < half).all(), (last / reps, exact)
    # with power: the best agent is still ranked last often (the noise of small samples)
    assert exact[-1] > 0.02


def test_attrition_reproduces_its_hazard():
    """Quits over periods: Binomial(active at the start, hazard) each period; the total against
    its expectation given the exposure, within a 99.9 % normal interval."""
    hazard = 0.12
    result = run_periods(center(n=150, horizon=6 * DAY, rate=0.01), DAY, [Attrition(hazard)], seed=13)
    rows = result.rows[:-1]  # no policy after the last period
    exposure = sum(r["headcount"] for r in rows)
    quits = sum(r["quit"] for r in rows)
    z = (quits - hazard * exposure) / np.sqrt(hazard * (1 - hazard) * exposure)
    assert abs(z) < 3.29, (quits, exposure)
    assert exposure > 1000


@pytest.mark.parametrize("spec, path, words", [
    ([{"kind": "attrition", "hazard": -0.1}], "workforce.policies[0].hazard", "probability"),
    ([{"kind": "bottom_elimination", "k": 1, "kpi": "smiles"}], "workforce.policies[0].kpi", "unknown KPI"),
    ([{"kind": "bottom_elimination", "k": 1}, {"kind": "fire_everyone"}], "workforce.policies[1].kind", "unknown policy"),
    ([{"kind": "bottom_elimination", "k": 1, "fraction": 0.1}], "workforce.policies[0]", "exactly one"),
    ([{"kind": "bottom_elimination", "fraction": 1.5}], "workforce.policies[0].fraction", "[0, 1]"),
    ([{"kind": "bottom_elimination", "k": 1, "window": 0}], "workforce.policies[0].window", ">= 1"),
    ([{"kind": "threshold_elimination", "below": 0.2, "min_calls": -3}], "workforce.policies[0].min_calls", "from 0 to"),
    ([{"kind": "promotion", "k": 1, "colour": "red"}], "workforce.policies[0]", "bad option"),
])
def test_bad_policies_refused_with_their_path(spec, path, words):
    with pytest.raises(WorkforceError) as err:
        policies_from_spec(spec)
    assert err.value.path == path and words in str(err.value), str(err.value)


def test_elimination_emptying_a_group_without_hiring_is_refused():
    policies = policies_from_spec([{"kind": "bottom_elimination", "k": 5, "min_calls": 0}])
    with pytest.raises(WorkforceError) as err:
        run_periods(center(n=2), DAY, policies, seed=1)
    assert "workforce.policies[0]" in str(err.value) and "no agent" in str(err.value)
    kept = run_periods(center(n=2), DAY, policies_from_spec(
        [{"kind": "bottom_elimination", "k": 5, "min_per_group": 1}]), seed=1)
    assert kept.ledger()["active"] == 2


def test_funnel_kpi_without_a_funnel_is_refused():
    s = center(n=3)
    del s["funnel"]
    with pytest.raises(WorkforceError, match="needs the scenario's funnel"):
        run_periods(s, DAY, [BottomElimination(k=1)], seed=1)
    result = run_periods(s, DAY, [BottomElimination(k=1, kpi="aht")], seed=1)
    assert result.ledger()["eliminated"] == 3


@pytest.mark.parametrize("policy, field", [
    ({"kind": "hiring", "cost": float("inf")}, "cost"),
    ({"kind": "hiring", "cost": float("nan")}, "cost"),
    ({"kind": "hiring", "delay_days": 1e300}, "delay_days"),
    ({"kind": "training", "fraction": 0.1, "days": float("inf")}, "days"),
    ({"kind": "qa", "analyst_hour": float("nan")}, "analyst_hour"),
    ({"kind": "hiring", "conversion": {"dist": "uniform", "low": float("nan"), "high": 1}}, "conversion.low"),
    ({"kind": "hiring", "conversion": {"dist": "lognormal", "mean": float("inf"), "cv": 0.2}}, "conversion.mean"),
])
def test_non_finite_or_huge_policy_numbers_are_refused_when_the_scenario_is_read(policy, field):
    """A .nan or .inf (valid YAML) in a policy's money, days or draw is refused with its path
    when the scenario is read (it was accepted and ran into NaN costs or never-ending absences)."""
    import yaml

    from ccsim.scenario import ScenarioError, validate_scenario
    from ccsim.scenario.yaml_reader import read_yaml

    scenario = {**center(), "workforce": {"period": DAY, "policies": [policy]}}
    data, _ = read_yaml(yaml.safe_dump(scenario), "wf.yaml")
    with pytest.raises(ScenarioError) as err:
        validate_scenario(data)
    assert f"workforce.policies[0].{field}: expected a" in str(err.value), str(err.value)
