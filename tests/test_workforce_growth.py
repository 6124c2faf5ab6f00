"""Learning, training, QA monitoring and hiring between periods: both engines alike, people
conserved with hiring, learning and QA detection reproducing their configured expectations,
costs in the period report, bad input refused with its field path."""
import math

import numpy as np
import pytest
from engine_checks import assert_same_run
from scipy import stats

from ccsim.workforce import (Attrition, BottomElimination, Hiring, Learning, QAMonitoring, Training, WorkforceError,
                             policies_from_spec, run_periods, with_slots)

DAY = 86400.0


def center(n=10, horizon=6 * DAY, rate=0.03, qa=True):
    """One sales queue, a group of ``n`` agents drawn with abilities, a funnel and costs."""
    population = {"count": n, "conversion": {"dist": "beta", "mean": 0.25, "sd": 0.08},
                  "proficiency": {"dist": "lognormal", "mean": 1.0, "cv": 0.2}}
    if qa:
        population.update(qa_fatal={"dist": "beta", "mean": 0.05, "sd": 0.02},
                          qa_nonfatal={"dist": "beta", "mean": 0.12, "sd": 0.04})
    return {"name": "wf2", "horizon": horizon, "interval": 3600, "roster_seed": 3,
            "call_types": [{"name": "sales", "arrivals": {"process": "poisson", "rate": rate},
                            "handle_time": {"dist": "exponential", "mean": 180},
                            "patience": {"dist": "exponential", "mean": 300}}],
            "agents": [{"name": "sales", "serves": ["sales"], "population": population}],
            "funnel": {"call_types": {"sales": {"conversion": 0.3,
                                                "order_value": {"dist": "deterministic", "value": 100}}}},
            "costs": {"agent_hour": 30}}


def everything():
    return [BottomElimination(fraction=0.2, min_calls=5), Attrition(0.1),
            Training(fraction=0.2, min_calls=5, days=1.5, kpi="conversion", path="t"),
            QAMonitoring(sample=8), Learning(ceiling=0.4, tau_days=20, factor_floor=0.9),
            Hiring(delay_days=0.5, training_days=0.7, conversion={"dist": "beta", "mean": 0.15, "sd": 0.05})]


def test_all_policies_same_on_both_engines():
    core = run_periods(center(), DAY, everything(), seed=2, engine="core", slots={"sales": 6})
    ref = run_periods(center(), DAY, everything(), seed=2, engine="simpy", slots={"sales": 6})
    assert_same_run(core.raw, ref.raw)
    assert core.table().equals(ref.table())
    t = core.table()
    assert t["hired"].sum() > 0 and t["trained"].sum() > 0 and t["qa_scored"].sum() > 0
    assert (t["cost_hiring"] > 0).any() and (t["cost_training"] > 0).any() and (t["cost_qa"] > 0).any()
    assert np.allclose(t["cost"], t[["cost_agents", "cost_hiring", "cost_training", "cost_qa"]].sum(axis=1))


def test_people_are_conserved_with_hiring():
    result = run_periods(center(n=12, horizon=10 * DAY), DAY,
                         [BottomElimination(k=2, min_calls=5), Attrition(0.1), Hiring(delay_days=1, training_days=0.5)],
                         seed=5, slots={"sales": 30})
    ledger = result.ledger()
    assert ledger["hired"] == ledger["active"] + ledger["eliminated"] + ledger["quit"] + ledger["promoted"]
    assert ledger["hired"] == 12 + result.hired - ledger["recruiting"]
    assert result.hired > 5
    # hiring keeps the headcount (on the phones, in training or recruited) at the start's 12
    assert ledger["active"] + ledger["recruiting"] == 12


def test_slots_take_no_call_until_hired():
    plain = run_periods(center(n=8, horizon=3 * DAY), DAY, [], seed=4, slots={"sales": 3})
    assert plain.raw.agent_totals[8:, 0].sum() == 0 and plain.raw.agent_totals[:8, 0].sum() > 0
    assert (plain.status[8:] == "slot").all()


def test_learning_reproduces_its_curve():
    """Every agent's conversion follows c(t) = ceiling - (ceiling - c0) exp(-t / tau) exactly."""
    result = run_periods(center(n=40, horizon=8 * DAY, rate=0.005), DAY, [Learning(ceiling=0.45, tau_days=3)], seed=1)
    from ccsim.compile import compile_scenario
    from ccsim.scenario import validate_scenario

    c0 = np.array(compile_scenario(validate_scenario(center(n=40))).agent_conversion)
    for p, c in enumerate(result.trajectory[:-1]):
        t = p + 1
        expected = np.where(c0 < 0.45, 0.45 - (0.45 - c0) * math.exp(-t / 3), c0)
        assert np.allclose(c, expected, rtol=1e-12)
    # the observed conversion of the last period is near the ceiling's curve (binomial CI)
    rows = result.rows
    last = rows[-1]
    p = last["true_mean_conversion"]
    assert abs(last["observed_conversion"] - p) < 4 * math.sqrt(p * (1 - p) / last["sales_answered"])


def test_qa_detection_rates_within_binomial_cis():
    """Errors found per scored call = true rate x detection probability (agent rates fixed:
    coaching 0), checked over all agents' scored calls with a 99.9 % binomial CI."""
    qa = QAMonitoring(sample=30, detect_fatal=0.8, detect_nonfatal=0.5, coaching=0.0)
    result = run_periods(center(n=60, horizon=5 * DAY, rate=0.06), DAY, [qa], seed=3)
    from ccsim.compile import compile_scenario
    from ccsim.scenario import validate_scenario

    model = compile_scenario(validate_scenario(center(n=60)))
    t = result.table().iloc[:-1]
    scored = t["qa_scored"].sum()
    assert scored > 5000
    # expected found = sum over agents of scored_a x rate_a x detect: per-period sample is min(30, answered)
    for column, rate, detect in (("qa_fatal_found", model.agent_qa_fatal, 0.8),
                                 ("qa_nonfatal_found", model.agent_qa_nonfatal, 0.5)):
        p = float(np.mean(rate)) * detect  # every agent answers > 30 calls a day here: equal samples
        lo, hi = stats.binom.interval(0.999, int(scored), p)
        assert lo <= t[column].sum() <= hi, (column, t[column].sum(), lo, hi)


def test_coaching_lowers_error_rates():
    coached = run_periods(center(n=30, horizon=5 * DAY), DAY, [QAMonitoring(sample=20, coaching=0.5)], seed=3)
    plain = run_periods(center(n=30, horizon=5 * DAY), DAY, [QAMonitoring(sample=20, coaching=0.0)], seed=3)
    t1, t0 = coached.table(), plain.table()
    assert t1["qa_fatal_found"].iloc[-2] + t1["qa_nonfatal_found"].iloc[-2] < \
        t0["qa_fatal_found"].iloc[-2] + t0["qa_nonfatal_found"].iloc[-2]


def test_training_takes_agents_off_the_phones_and_raises_them():
    result = run_periods(center(n=10, horizon=4 * DAY), DAY,
                         [Training(k=3, min_calls=5, days=1.0, conversion_gain=0.1, ceiling=0.9)], seed=6)
    t = result.table()
    assert t["trained"].iloc[0] == 3 and t["in_training"].iloc[0] == 3
    before, after = result.trajectory[0], result.trajectory[2]
    raised = np.flatnonzero(after > before + 1e-12)
    assert len(raised) >= 3
    assert np.allclose(after[raised] - before[raised], 0.1) or (after[raised] <= 0.9).all()


@pytest.mark.parametrize("spec, path, words", [
    ([{"kind": "learning", "ceiling": 1.5}], "workforce.policies[0].ceiling", "[0, 1]"),
    ([{"kind": "learning", "tau_days": 0}], "workforce.policies[0].tau_days", "[0.001,"),
    ([{"kind": "qa", "detect_fatal": -0.2}], "workforce.policies[0].detect_fatal", "[0, 1]"),
    ([{"kind": "qa", "sample": 0}], "workforce.policies[0].sample", ">= 1"),
    ([{"kind": "hiring", "cost": -5}], "workforce.policies[0].cost", "from 0 to"),
    ([{"kind": "hiring", "conversion": {"dist": "beta", "mean": 0.2, "sd": 0.5}}], "workforce.policies[0].conversion",
     "sd^2"),
    ([{"kind": "hiring", "target": {"sales": -1}}], "workforce.policies[0].target.sales", ">= 0"),
    ([{"kind": "training", "days": 2}], "workforce.policies[0]", "exactly one"),
    ([{"kind": "training", "k": 2, "kpi": "smiles"}], "workforce.policies[0].kpi", "unknown KPI"),
])
def test_bad_growth_policies_refused_with_their_path(spec, path, words):
    with pytest.raises(WorkforceError) as err:
        policies_from_spec(spec)
    assert err.value.path == path and words in str(err.value)


def test_bad_slots_refused_with_their_path():
    with pytest.raises(WorkforceError) as err:
        with_slots(center(), {"nobody": 2})
    assert err.value.path == "workforce.slots.nobody"
    with pytest.raises(WorkforceError) as err:
        with_slots(center(), {"sales": -1})
    assert err.value.path == "workforce.slots.sales"
    with pytest.raises(WorkforceError) as err:
        run_periods(center(horizon=2 * DAY), DAY, [BottomElimination(k=1, groups=["sales", "ghosts"])], seed=1)
    assert err.value.path == "workforce.policies[0].groups[1]" and "unknown agent group" in str(err.value)
    hiring = Hiring(target={"ghosts": 3})
    with pytest.raises(WorkforceError) as err:
        run_periods(center(horizon=2 * DAY), DAY, [hiring], seed=1, slots={"sales": 2})
    assert err.value.path == "workforce.policies[0].target.ghosts"


def test_training_of_zero_days_waits_for_the_call_to_end():
    """An agent sent to a training of 0 days while on a call comes back once the call has ended
    (the run retries a minute later), on both engines alike."""
    policies = [Training(k=4, min_calls=1, days=0.0)]
    core = run_periods(center(n=6, horizon=3 * DAY, rate=0.05), DAY, policies, seed=8, engine="core")
    ref = run_periods(center(n=6, horizon=3 * DAY, rate=0.05), DAY, policies, seed=8, engine="simpy")
    assert_same_run(core.raw, ref.raw)
    assert (core.status == "active").all()


def test_qa_score_ranking_eliminates_the_agents_with_most_errors_found():
    """Ranked on QA: with 40 calls scored an agent and fatal rates spread 0.01-0.3 (detection
    1), the agents eliminated have a higher true error rate than those kept."""
    s = center(n=30, horizon=3 * DAY, rate=0.05)
    s["agents"][0]["population"]["qa_fatal"] = {"dist": "uniform", "low": 0.01, "high": 0.3}
    policies = [QAMonitoring(sample=40, detect_fatal=1.0, detect_nonfatal=1.0, coaching=0.0),
                BottomElimination(k=5, kpi="qa_score", min_calls=20, path="workforce.policies[1]")]
    result = run_periods(s, DAY, policies, seed=4)
    from ccsim.compile import compile_scenario
    from ccsim.scenario import validate_scenario

    fatal = np.asarray(compile_scenario(validate_scenario(s)).agent_qa_fatal)
    gone = result.status == "eliminated"
    assert gone.sum() == 10
    assert fatal[gone].mean() > fatal[~gone].mean() + 0.05


def test_qa_score_without_qa_monitoring_is_refused():
    with pytest.raises(WorkforceError) as err:
        run_periods(center(horizon=2 * DAY), DAY, [BottomElimination(k=1, kpi="qa_score")], seed=1)
    assert err.value.path == "workforce.policies[0].kpi" and "QAMonitoring" in str(err.value)


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_a_hire_joining_at_a_period_start_is_in_that_periods_headcount(engine):
    """Hires decided after day 0 with delay 2 + training 1 days join at day 4's start exactly, and
    work the whole day; the table left them out of every period's headcount (the join was
    processed after the count). Headcount: agents on the phones at the start, those staffed all
    day with no one leaving between."""
    from ccsim.results import AGENT_FIELDS

    result = run_periods(center(n=10, horizon=6 * DAY, qa=False), DAY,
                         [BottomElimination(k=2, min_calls=5), Hiring(delay_days=2, training_days=1)],
                         seed=7, engine=engine, slots={"sales": 12})
    table = result.table()
    staffed = AGENT_FIELDS.index("staffed")
    for p, counts in enumerate(result.agent_counts):
        whole_day = int((counts[:, staffed] > DAY - 60).sum())
        assert table["headcount"][p] == whole_day, (p, table["headcount"][p], whole_day)
    day0, day4 = result.agent_counts[0][:, staffed], result.agent_counts[4][:, staffed]
    assert ((day0 == 0) & (day4 > DAY - 60)).sum() == 2  # the two hires of day 0, all of day 4


def test_the_workforce_report_never_replaces_a_file_that_is_not_a_page(tmp_path):
    """PeriodRun.report_html('center.yaml') replaced the scenario (no check in Python)."""
    from ccsim.workforce import report_html

    result = run_periods(center(n=6, horizon=2 * DAY, qa=False), DAY, [], seed=1)
    scenario = tmp_path / "center.yaml"
    scenario.write_text("name: center\n")
    for write in (lambda path: result.report_html(path), lambda path: report_html([result], path)):
        with pytest.raises(ValueError, match="exists and is not an HTML page"):
            write(scenario)
        assert scenario.read_text() == "name: center\n"
    page = result.report_html(tmp_path / "wf.html")
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
