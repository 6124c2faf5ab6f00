"""Triangular and mixture distributions, and durations by period of the day.

The Python sampler is checked against each distribution (KS, chi-square, fixed
seeds, 20,000+ draws); the core against the SimPy engine bit for bit; the
engines' behaviour (a zero-patience atom, a period's handle time) by confidence
intervals; bad input by the loader's messages with the field path.
"""
import copy
import math

import numpy as np
import pytest
from scipy import stats

import ccsim
from ccsim import budget, diagnostics
from ccsim.cli import cli
from ccsim.compile import _DistTable, compile_scenario
from ccsim.engines.sampling import draw, period_row
from ccsim.report import theory
from ccsim.results import CALL_FIELDS, OUTCOMES
from ccsim.scenario import ScenarioError, load_scenario, validate_scenario
from ccsim.scenario.distributions import ByPeriod, Mixture, Triangular
from ccsim.scenario.yaml_reader import dump_yaml
from test_simpy_engine import assert_same_stats

DRAWS = 20_000
ALPHA = 1e-3  # a correct sampler fails a test one time in a thousand seeds
Z = 3.29  # two-sided 99.9 % normal quantile


def sampler(spec):
    """(rows, empirical) of one distribution as compile stores it, and its first row."""
    model = validate_scenario(_scenario(handle_time=spec))
    table = _DistTable()
    row = table.add(model.call_types[0].handle_time)
    rows = [(c, *p, w) for c, p, w in zip(table.codes, table.params, table.cum)]
    return rows, table.empirical, row


def draws(spec, n=DRAWS, seed=7):
    rows, empirical, row = sampler(spec)
    rng = np.random.Generator(np.random.PCG64(seed))
    return np.array([draw(rows, row, empirical, rng) for _ in range(n)])


def _scenario(**call_type):
    ct = {"name": "calls", "arrivals": {"process": "poisson", "rate": 0.1},
          "handle_time": {"dist": "exponential", "mean": 60}}
    ct.update(call_type)
    return {"horizon": 3600, "call_types": [ct], "agents": [{"name": "team", "count": 5, "serves": ["calls"]}]}


def tri(low, mode, high):
    return {"dist": "triangular", "low": low, "mode": mode, "high": high}


def mix(*parts):
    return {"dist": "mixture", "components": [{"weight": w, "dist": d} for w, d in parts]}


def exp(mean):
    return {"dist": "exponential", "mean": mean}


def det(value):
    return {"dist": "deterministic", "value": value}


def periods(*parts):
    return {"by_period": [{"start": s, "dist": d} for s, d in parts]}


# ---------------------------------------------------------------- the samplers
@pytest.mark.parametrize("low,mode,high", [(30, 90, 300), (0, 0, 120), (10, 50, 50), (100, 100.5, 101)])
def test_triangular_sampler_ks(low, mode, high):
    x = draws(tri(low, mode, high))
    assert x.min() >= low and x.max() <= high
    c = (mode - low) / (high - low)
    assert stats.kstest(x, stats.triang(c, loc=low, scale=high - low).cdf).pvalue > ALPHA


def test_triangular_sampler_rejects_a_wrong_mode():
    """Power: the same test tells a mode of 90 from one of 110."""
    x = draws(tri(30, 90, 300))
    assert stats.kstest(x, stats.triang((110 - 30) / 270, loc=30, scale=270).cdf).pvalue < ALPHA


def test_mixture_sampler_ks():
    x = draws(mix((0.3, exp(60)), (0.7, tri(100, 200, 400))))
    cdf = lambda v: 0.3 * stats.expon(scale=60).cdf(v) + 0.7 * stats.triang(1 / 3, loc=100, scale=300).cdf(v)
    assert stats.kstest(x, cdf).pvalue > ALPHA


def test_mixture_weights_chi_square():
    weights = [0.1, 0.2, 0.3, 0.25, 0.15]
    x = draws(mix(*[(w, det(i)) for i, w in enumerate(weights)]), n=40_000)
    counts = np.bincount(x.astype(int), minlength=len(weights))
    assert stats.chisquare(counts, np.array(weights) * len(x)).pvalue > ALPHA
    # power: the same counts are far from equal weights
    assert stats.chisquare(counts, np.full(len(weights), len(x) / len(weights))).pvalue < ALPHA


def test_mixture_draws_the_component_from_the_same_stream():
    """One uniform picks the component, then the component draws: two draws a call."""
    rows, empirical, row = sampler(mix((0.5, exp(10)), (0.5, exp(1000))))
    rng, twin = np.random.Generator(np.random.PCG64(3)), np.random.Generator(np.random.PCG64(3))
    for _ in range(50):
        got = draw(rows, row, empirical, rng)
        u = twin.random()
        assert got == (10.0 if u < 0.5 else 1000.0) * twin.standard_exponential()


def test_period_row_picks_the_period_of_the_time_of_day():
    starts, rows = [0.0, 28800.0, 64800.0], [5, 6, 7]
    assert period_row([0.0], [9], 0, 1, 1e9) == 9
    cases = {0.0: 5, 28799.999: 5, 28800.0: 6, 64799.0: 6, 64800.0: 7, 86399.9: 7, 86400.0: 5,
             86400.0 + 28800.0: 6, 3 * 86400.0 + 70000.0: 7}
    for t, want in cases.items():
        assert period_row(starts, rows, 0, 3, t) == want, t
    # a table inside a longer one: (first, count) = (1, 2) of [x, 0, 43200, y]
    assert period_row([99.0, 0.0, 43200.0, 7.0], [0, 1, 2, 3], 1, 2, 50000.0) == 2


# ---------------------------------------------------------------- core = SimPy
DAY_SCENARIO = {
    "horizon": 129600, "warmup": 1800, "interval": 1800,
    "service_level": {"threshold": 20, "short_abandon": 5},
    "call_types": [
        {"name": "sales", "arrivals": {"process": "piecewise", "per": "hour", "slot": 21600,
                                       "rates": [20, 110, 140, 60]},
         "handle_time": periods(("00:00", exp(150)), ("08:00", tri(60, 120, 600)),
                                ("18:00", {"dist": "lognormal", "mean": 240, "cv": 1.0})),
         "patience": periods(("00:00", mix((0.05, det(0)), (0.95, exp(120)))),
                             ("09:30", tri(10, 40, 200)),
                             ("17:15", mix((0.2, det(0)), (0.5, exp(30)), (0.3, {"dist": "uniform", "low": 5,
                                                                                  "high": 90})))),
         "after_call_work": tri(0, 10, 60)},
        {"name": "service", "arrivals": {"process": "poisson", "rate": 40, "per": "hour"},
         "handle_time": mix((0.6, {"dist": "gamma", "mean": 100, "cv": 0.8}),
                            (0.4, {"dist": "empirical", "values": [200, 260, 300, 410]})),
         "patience": exp(90),
         "after_call_work": periods(("00:00", det(0)), ("12:00", exp(20)))},
    ],
    "agents": [{"name": "front", "count": 9, "serves": ["sales", "service"], "proficiency": 0.9},
               {"name": "back", "count": 4, "serves": ["service"]}],
}


@pytest.mark.parametrize("drain", [True, False])
def test_core_and_simpy_agree_bit_for_bit(drain):
    scenario = dict(copy.deepcopy(DAY_SCENARIO), drain=drain)
    core = ccsim.simulate(scenario, seed=11, engine="core", call_records=True).stats
    ref = ccsim.simulate(scenario, seed=11, engine="simpy", call_records=True).stats
    assert_same_stats(core, ref)
    assert np.array_equal(core.call_records, ref.call_records)  # every call's times, bit for bit
    records = core.call_records
    answered = records["outcome"] == OUTCOMES.index("answered")
    assert answered.sum() > 1000 and (records["outcome"] == OUTCOMES.index("abandoned")).sum() > 100
    assert ((records["outcome"] == OUTCOMES.index("abandoned")) & (records["wait"] == 0)).sum() > 10


# ---------------------------------------------------------------- behaviour
def test_five_percent_hang_up_at_once_when_all_agents_are_busy():
    """A mixture patience with a 5 % atom at 0: of the callers who find every agent
    busy, a binomial 5 % are lost at once (the rest's exponential patience is > 0)."""
    scenario = _scenario(arrivals={"process": "poisson", "rate": 1.0}, patience=mix((0.05, det(0)), (0.95, exp(30))))
    scenario.update(horizon=25_000)
    records = ccsim.simulate(scenario, seed=5, call_records=True).stats.call_records
    answered_at_once = (records["outcome"] == OUTCOMES.index("answered")) & (records["wait"] == 0)
    found_busy = ~answered_at_once
    lost_at_once = (records["outcome"] == OUTCOMES.index("abandoned")) & (records["wait"] == 0)
    n, k = int(found_busy.sum()), int(lost_at_once.sum())
    assert n > 20_000
    assert stats.binomtest(k, n, 0.05).pvalue > ALPHA, (k, n)
    assert stats.binomtest(k, n, 0.06).pvalue < ALPHA  # power: 5 % is told from 6 %


def _sd_triangular(a, c, b):
    return math.sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18.0)


def test_calls_take_the_handle_time_of_their_arrival_period():
    """Per reporting interval (an hour, inside one period), the mean talk of the
    calls arriving in it lies in the CI of its period's mean; the day repeats."""
    spec = [("00:00", exp(100), 100.0, 100.0),
            ("08:00", {"dist": "lognormal", "mean": 200, "cv": 0.5}, 200.0, 100.0),
            ("18:00", tri(30, 60, 150), 80.0, _sd_triangular(30, 60, 150))]
    scenario = _scenario(arrivals={"process": "poisson", "rate": 0.25},
                         handle_time=periods(*[(s, d) for s, d, _, _ in spec]))
    scenario.update(horizon=2 * 86400, interval=3600)
    scenario["agents"][0]["count"] = 120  # nobody waits long; patience infinite: every call answered
    calls = ccsim.simulate(scenario, seed=9).stats.interval_calls[:, 0, :]
    talk, answered = calls[:, CALL_FIELDS.index("talk")], calls[:, CALL_FIELDS.index("answered")]
    assert np.array_equal(answered, calls[:, CALL_FIELDS.index("arrived")])
    z = stats.norm.ppf(1 - 0.001 / (2 * len(talk)))  # 99.9 % for the 48 intervals together
    starts = [int(s[:2]) for s, _, _, _ in spec] + [24]
    for (_, _, mean, sd), begin, end in zip(spec, starts, starts[1:]):
        for hour in [h + day * 24 for day in (0, 1) for h in range(begin, end)]:
            n = answered[hour]
            assert abs(talk[hour] / n - mean) <= z * sd / math.sqrt(n), (hour, talk[hour] / n, mean)
    # power: the evening's mean (80 s) is far outside the day's CI (200 s)
    evening = slice(18, 24)
    n = answered[evening].sum()
    assert abs(talk[evening].sum() / n - 200.0) > Z * 100.0 / math.sqrt(n)


def test_period_means_where_one_mean_is_needed():
    """Budget, diagnostics: the time-weighted mean over the day; theory: no Erlang model."""
    by_period = periods(("00:00", exp(100)), ("06:00", exp(300)))  # 1/4 of the day at 100, 3/4 at 300
    scenario = validate_scenario(_scenario(handle_time=by_period, after_call_work=periods(("00:00", tri(0, 30, 60)))))
    assert scenario.call_types[0].handle_time.mean_value() == pytest.approx(250.0)
    model = compile_scenario(scenario)
    assert budget.duration_mean(model, model.handle_periods, 0) == pytest.approx(250.0)
    assert budget.duration_mean(model, model.acw_periods, 0) == pytest.approx(30.0)
    assert diagnostics.offered_load(scenario, 0) == pytest.approx(0.1 * 280.0)
    assert theory.erlang_model(_scenario(handle_time=by_period)) is None
    assert theory.erlang_model(_scenario(patience=periods(("00:00", exp(60))))) is None
    assert theory.erlang_model(_scenario(patience=exp(60))) is not None
    mixed = compile_scenario(validate_scenario(_scenario(patience=mix((0.25, det(0)), (0.75, exp(40))))))
    assert budget.duration_mean(mixed, mixed.patience_periods, 0) == pytest.approx(30.0)
    assert Mixture.model_validate(mix((0.5, exp(10)), (0.5, tri(0, 3, 6)))).mean_value() == pytest.approx(6.5)
    assert Triangular.model_validate(tri(0, 3, 6)).mean_value() == 3.0
    assert ByPeriod.model_validate(by_period).durations() == [21600.0, 64800.0]


# ---------------------------------------------------------------- bad input
BAD = [
    ("weights do not sum to 1", {"patience": mix((0.05, det(0)), (0.9, exp(120)))},
     "call_types[0].patience.components", ["sum to 0.95", "must sum to 1", "not normalised"]),
    ("nested mixture", {"patience": mix((0.5, det(0)), (0.5, mix((0.5, exp(1)), (0.5, exp(2)))))},
     "call_types[0].patience.components[1].dist", ["cannot itself be a mixture"]),
    ("one component", {"patience": mix((1.0, exp(10)))},
     "call_types[0].patience.components", ["at least 2"]),
    ("zero weight", {"patience": mix((0.0, exp(10)), (1.0, exp(5)))},
     "call_types[0].patience.components[0].weight", ["greater than 0"]),
    ("mode above high", {"handle_time": tri(10, 500, 300)},
     "call_types[0].handle_time", ["mode (500) must lie within [low, high] = [10, 300]"]),
    ("mode below low", {"after_call_work": tri(10, 5, 300)},
     "call_types[0].after_call_work", ["mode (5) must lie within"]),
    ("low equals high", {"handle_time": tri(10, 10, 10)},
     "call_types[0].handle_time", ["high (10) must be greater than low (10)"]),
    ("triangular negative", {"handle_time": tri(-1, 10, 20)},
     "call_types[0].handle_time.low", ["greater than or equal to 0"]),
    ("periods unsorted", {"handle_time": periods(("00:00", exp(1)), ("18:00", exp(2)), ("08:00", exp(3)))},
     "call_types[0].handle_time.by_period", ["strictly increasing", "by_period[2]", "'08:00'"]),
    ("periods repeated", {"handle_time": periods(("00:00", exp(1)), ("00:00", exp(2)))},
     "call_types[0].handle_time.by_period", ["strictly increasing"]),
    ("not from midnight", {"patience": periods(("06:00", exp(1)), ("18:00", exp(2)))},
     "call_types[0].patience.by_period", ['must start at "00:00"', "'06:00'"]),
    ("past 24 h", {"handle_time": periods(("00:00", exp(1)), ("24:30", exp(2)))},
     "call_types[0].handle_time.by_period[1].start", ["past 24 h"]),
    ("not a clock time", {"handle_time": periods(("00:00", exp(1)), ("6pm", exp(2)))},
     "call_types[0].handle_time.by_period[1].start", ['"HH:MM"']),
    ("bad distribution in a period", {"handle_time": periods(("00:00", exp(-5)))},
     "call_types[0].handle_time.by_period[0].dist.mean", ["greater than 0"]),
    ("unknown key beside by_period", {"handle_time": dict(periods(("00:00", exp(5))), mean=3)},
     "call_types[0].handle_time.mean", ["unknown key"]),
]


@pytest.mark.parametrize("case", BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_field(tmp_path, case):
    _, change, path, words = case
    file = tmp_path / "center.yaml"
    file.write_text(dump_yaml(_scenario(**change)))
    with pytest.raises(ScenarioError) as info:
        load_scenario(file)
    problems = info.value.problems
    assert len(problems) == 1, problems
    assert problems[0].path == path
    for word in words:
        assert word in problems[0].message, problems[0].message
    assert problems[0].line is not None


def test_unquoted_time_says_to_quote_it(tmp_path):
    """YAML 1.1 reads an unquoted 18:00 as 1080 (base 60): the message says so."""
    text = dump_yaml(_scenario(handle_time=periods(("00:00", exp(1)), ("18:00", exp(2)))))
    file = tmp_path / "center.yaml"
    file.write_text(text.replace("'18:00'", "18:00"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(file)
    assert info.value.problems[0].path == "call_types[0].handle_time.by_period[1].start"
    assert "found the number 1080" in info.value.problems[0].message


def test_cli_refuses_bad_weights(runner, tmp_path):
    file = tmp_path / "bad.yaml"
    file.write_text(dump_yaml(_scenario(patience=mix((0.5, det(0)), (0.6, exp(120))))))
    result = runner.invoke(cli, ["validate", str(file)])
    assert result.exit_code == 2
    assert "call_types[0].patience.components" in result.stderr and "sum to 1.1" in result.stderr


def test_valid_yaml_round_trip(tmp_path):
    file = tmp_path / "ok.yaml"
    file.write_text(dump_yaml(DAY_SCENARIO))
    assert load_scenario(file) == validate_scenario(copy.deepcopy(DAY_SCENARIO))
