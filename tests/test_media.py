"""Media schedules (ad-driven arrivals): the scenario format, the sampler, both engines.

An airing of amount A on a channel with r calls per unit and response density f
adds A r f(t - s) to its call type's intensity. Statistical checks decide at a
stated level with fixed seeds: the count per airing against Poisson(A r P(delay <
horizon - s)) (mean and dispersion), the times of one airing against its response
curve (Kolmogorov-Smirnov), counts per interval of a base profile plus airings
against the exact integrated rate, and the time-rescaled gaps of the superposed
process against Exp(1); each with a power check that the same test refuses a
wrong model.
"""
import copy
import math

import numpy as np
import pytest
from click.testing import CliRunner
from engine_checks import assert_cli_refused
from scipy import special, stats

import ccsim
from ccsim import budget as b
from ccsim.budget import BudgetError, airing_expected_calls, check_budget, estimate
from ccsim.cli import cli
from ccsim.compile import compile_scenario, stream_seeds
from ccsim.engines.arrivals import airing_calls
from ccsim.results import CHANNEL_FIELDS
from ccsim.scenario import ScenarioError, validate_scenario

LEVEL = 1e-3  # level of each statistical decision (Bonferroni inside a family)
HOUR = 3600.0
# a channel's callers, each once by how its last attempt ended (the caller fields)
ARRIVED, ANSWERED, ABANDONED, BLOCKED, WAITING = (CHANNEL_FIELDS.index(f) for f in
                                                  ("callers", "served", "abandoned", "blocked", "in_system_at_end"))

TV = {"name": "tv", "call_type": "sales", "calls_per_unit": 0.002, "response": {"kind": "spike", "decay": 600}}
WEB = {"name": "web", "call_type": "orders", "calls_per_unit": 0.5, "unit": "grp",
       "response": {"kind": "gamma", "delay": 120, "mean": 900, "shape": 3}}


def media_scenario(agents=400, handle=5, base=(40, 120, 80, 60), airings=None, horizon=4 * HOUR, **extra):
    """Sales on a base profile (calls/hour per hour) rung also by tv; orders only by web."""
    scenario = {
        "horizon": horizon, "interval": 900,
        "call_types": [
            {"name": "sales", "arrivals": {"process": "piecewise", "per": "hour", "slot": HOUR, "rates": list(base)},
             "handle_time": {"dist": "exponential", "mean": handle},
             "patience": {"dist": "exponential", "mean": 60}},
            {"name": "orders", "handle_time": {"dist": "exponential", "mean": handle},
             "patience": {"dist": "exponential", "mean": 90}},
        ],
        "agents": [{"name": "team", "count": agents, "serves": ["sales", "orders"]}],
        "media": {"channels": [copy.deepcopy(TV), copy.deepcopy(WEB)],
                  "airings": airings if airings is not None else [
                      {"time": 1800, "channel": "tv", "spend": 40000},
                      {"time": 5400, "channel": "tv", "spend": 60000, "grp": 2.5},
                      {"time": 3000, "channel": "web", "spend": 9000, "grp": 300},
                      {"time": 12000, "channel": "web", "spend": 1000, "grp": 200}]},
    }
    scenario.update(extra)
    return scenario


def invalid(data, base_dir="."):
    with pytest.raises(ScenarioError) as err:
        validate_scenario(data, base_dir=base_dir)
    return str(err.value)


def delay_cdf(response, x):
    """P(delay <= x) of a channel's response (spike: exponential; gamma: fixed delay + gamma)."""
    x = np.asarray(x, dtype=float)
    if response["kind"] == "spike":
        return -np.expm1(-np.maximum(x, 0) / response["decay"])
    shape, scale = response["shape"], response["mean"] / response["shape"]
    return special.gammainc(shape, np.maximum(x - response.get("delay", 0), 0) / scale)


def poisson_p(count, mean):
    return min(1.0, 2 * min(stats.poisson.cdf(count, mean), stats.poisson.sf(count - 1, mean)))


# ---------------------------------------------------------------- the scenario format

def test_csv_airings_are_inlined_after_the_inline_ones(tmp_path):
    (tmp_path / "plan.csv").write_text("time,channel,spend,grp\n100,tv,10,\n200,web,5,1.5\n")
    data = media_scenario()
    data["media"]["airings_csv"] = {"path": "plan.csv"}
    s = validate_scenario(data, base_dir=tmp_path)
    assert [(a.time, a.channel, a.spend, a.grp) for a in s.media.airings[-2:]] == [
        (100, "tv", 10, None), (200, "web", 5, 1.5)]
    assert s.media.airings_csv is None  # self-contained: a worker re-validates it anywhere
    again = validate_scenario(ccsim.scenario.scenario_to_dict(s))
    assert again.media.airings == s.media.airings
    model = compile_scenario(s)
    assert model.airing_mean[-1] == 1.5 * 0.5 and model.airing_mean[-2] == 10 * 0.002  # grp and spend units
    ads = model.stream_base["ads"]
    assert model.stream_keys[ads:ads + 2] == (("ads", "tv"), ("ads", "web"))


@pytest.mark.parametrize("change, path, words", [
    (lambda d: d["media"]["airings"][0].update(channel="radio"), "media.airings[0].channel", "not defined"),
    (lambda d: d["media"]["channels"][0].update(call_type="nope"), "media.channels[0].call_type", "not defined"),
    (lambda d: d["media"]["airings"][0].update(time=4 * HOUR), "media.airings[0].time", "outside the horizon"),
    (lambda d: d["media"]["airings"][0].update(time=-1), "media.airings[0].time", "greater than or equal to 0"),
    (lambda d: d["media"]["airings"][1].update(spend=-5), "media.airings[1].spend", "greater than or equal to 0"),
    (lambda d: d["media"]["airings"][2].update(grp=-1), "media.airings[2].grp", "greater than or equal to 0"),
    (lambda d: d["media"]["airings"][2].pop("grp"), "media.airings[2].grp", "needs a grp"),
    (lambda d: d["media"].update(airings=[]), "media.airings", "at least 1"),
    (lambda d: d["media"].pop("airings"), "media", "an empty schedule"),
    (lambda d: d["media"]["channels"][1].update(name="tv"), "media.channels[1].name", "used twice"),
    (lambda d: d["media"]["channels"][0].update(response={"kind": "flat"}), "media.channels[0].response",
     "unknown response"),
    (lambda d: d["media"]["channels"].pop(1), "media.airings[2].channel", "not defined"),
])
def test_bad_media_names_the_field(change, path, words):
    data = media_scenario()
    change(data)
    message = invalid(data)
    assert f"{path}:" in message and words in message, message


def test_a_call_type_needs_arrivals_or_a_channel():
    data = media_scenario()
    data["media"]["channels"].pop(1)
    data["media"]["airings"] = data["media"]["airings"][:2]
    message = invalid(data)
    assert "call_types[1].arrivals:" in message and "no arrivals, no media channel rings it" in message


@pytest.mark.parametrize("text, words", [
    ("time,channel,spend\n100,tv,1\n50,tv,1\n", "line 3: time 50 is earlier than the row before"),
    ("time,channel,spend\n100,tv,1\nsoon,tv,1\n", "line 3: column 'time' holds 'soon', expected a number"),
    ("time,channel,spend\n100,tv,1_000\n", "line 2: column 'spend' holds '1_000', expected a number"),
    ("time,channel,spend\n100,radio,1\n", "line 2: channel 'radio' is not defined"),
    ("time,channel,spend\n100,tv,-3\n", "line 2: column 'spend' holds -3"),
    ("time,channel,spend,grp\n100,web,3,\n", "line 2: channel 'web' counts in grp"),
    ("time,channel,spend\n", "no airings (only the header row)"),
    ("time,channel\n1,tv\n", "column 'spend' not in the header row"),
    ("time,channel,spend\n100,tv,1\n20000,tv,1\n", "line 3) is not before the horizon"),
])
def test_bad_airings_csv_names_the_file_and_row(tmp_path, text, words):
    (tmp_path / "plan.csv").write_text(text)
    data = media_scenario()
    data["media"]["airings_csv"] = {"path": "plan.csv"}
    message = invalid(data, base_dir=tmp_path)
    assert "media.airings_csv.path:" in message and str(tmp_path / "plan.csv") in message, message
    assert words in message, message


def test_the_number_of_airings_is_capped(monkeypatch, tmp_path):
    from ccsim.scenario import limits
    monkeypatch.setattr(limits, "MAX_AIRINGS", 5)
    (tmp_path / "plan.csv").write_text("time,channel,spend\n" + "".join(f"{i},tv,1\n" for i in range(2)))
    data = media_scenario()  # four inline airings, two in the CSV
    data["media"]["airings_csv"] = {"path": "plan.csv"}
    assert "more than 5 airings" in invalid(data, base_dir=tmp_path)


def test_cli_refuses_a_bad_schedule_without_a_traceback(tmp_path):
    data = media_scenario()
    data["media"]["airings"][0]["channel"] = "radio"
    assert_cli_refused(tmp_path, data, "media.airings[0].channel")


# ---------------------------------------------------------------- the budget

def test_expected_calls_of_an_airing_are_cut_at_the_horizon():
    model = compile_scenario(ccsim.as_scenario(media_scenario()))
    want = [40000 * 0.002 * delay_cdf(TV["response"], 4 * HOUR - 1800),
            60000 * 0.002 * delay_cdf(TV["response"], 4 * HOUR - 5400),
            300 * 0.5 * delay_cdf(WEB["response"], 4 * HOUR - 3000),
            200 * 0.5 * delay_cdf(WEB["response"], 4 * HOUR - 12000)]
    np.testing.assert_allclose(airing_expected_calls(model), want, rtol=1e-12)


def test_absurd_spend_is_refused_before_the_run():
    data = media_scenario(airings=[{"time": 0, "channel": "tv", "spend": 1e12}])
    with pytest.raises(BudgetError, match="calls"):
        check_budget(compile_scenario(ccsim.as_scenario(data)))


def verdict(judge, *args, **kwargs):
    """(refused?, message, the model's in-run limit) of a budget check."""
    try:
        out = judge(*args, **kwargs)
    except BudgetError as err:
        return True, str(err), None
    return False, "", getattr(out, "max_pending", None)


# a tv airing 300 s before the horizon: 39 % of its 120 calls ring before it
LATE_TV = [{"time": 1800, "channel": "tv", "spend": 40000}, {"time": 4 * HOUR - 300, "channel": "tv", "spend": 60000},
           {"time": 3000, "channel": "web", "spend": 9000, "grp": 300}]


@pytest.mark.parametrize("agents, handle, airings, steady", [(400, 5, None, True), (1, 40, None, False),
                                                             (1, 52, None, True), (1, 31, LATE_TV, False)])
def test_the_budget_judges_runs_with_media_as_the_exact_estimate_does(monkeypatch, agents, handle, airings, steady):
    """``with_budget`` (every run) clears a run without the airings' exact expected calls (scipy's
    incomplete gamma) only where they cannot change the verdict: limits around the exact estimate,
    from far to a relative 1e-12, give check_budget's verdict and message, and the same in-run
    limit. Mean rates against what the agents answer (sales 0.021 calls/s without ads, 0.035 with
    all of them; orders 0 and 0.017): 400 agents of 5 s take both; one agent of 40 s (0.025/s) is
    overloaded by sales only with the ads, where the callers waiting jump (not ``steady``); one
    of 52 s (0.019/s) by sales with or without them, never by orders. One of 31 s (0.032/s) with
    LATE_TV is overloaded only with all the ads, not with the calls expected before the horizon
    (0.030/s): there the estimate with all the ads holds fewer callers waiting than the exact one,
    and only the rate check keeps the budget from clearing a run over its memory limit."""
    model = compile_scenario(ccsim.as_scenario(media_scenario(agents=agents, handle=handle, airings=airings)))
    exact = estimate(model)
    exact_calls = b.airing_expected_calls
    used = []
    monkeypatch.setattr(b, "airing_expected_calls", lambda m: used.append(1) or exact_calls(m))
    cleared = 0
    for calls_factor in (None, 1 - 1e-12, 1 + 1e-12, 1 + 1e-6, 2.0):
        for memory_factor in (None, 0.5, 1 - 1e-12, 1 + 1e-12, 1 + 1e-6, 2.0):
            limits = {"max_calls": None if calls_factor is None else exact.calls * calls_factor,
                      "max_memory": None if memory_factor is None else exact.memory * memory_factor}
            used.clear()
            fast = verdict(b.with_budget, model, **limits)
            cleared += not used
            want = verdict(check_budget, model, **limits)
            assert fast[:2] == want[:2], limits
            assert fast[2] == want[2], limits
    assert b.clearly_within_budget(model, 1e12, 1e15) is steady
    assert (cleared > 0) is steady  # far from the limits the exact calls are not computed


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_an_airing_beyond_the_in_run_limit_stops_the_run(engine):
    # 2,000 expected calls against room for 1,500 pending: the airing draws more and is refused.
    data = media_scenario(airings=[{"time": 100, "channel": "tv", "spend": 1e6}])
    model = compile_scenario(ccsim.as_scenario(data))
    from dataclasses import replace

    from ccsim.engines import ENGINES
    with pytest.raises(BudgetError, match="airing 0 of channel 'tv' draws"):
        ENGINES[engine](replace(model, max_pending=1500), 1)


# ---------------------------------------------------------------- the sampler alone

SAMPLER_CASES = {  # (mean, response, time of the airing, horizon)
    "spike_cut": (30.0, TV["response"], 3000.0, 3900.0),
    "gamma_cut": (25.0, WEB["response"], 0.0, 1500.0),
}


def sampled(case, reps=4000, seed=7):
    mean, response, time, horizon = SAMPLER_CASES[case]
    if response["kind"] == "spike":
        params = (0.0, 0.0, float(response["decay"]))
    else:
        params = (float(response["delay"]), float(response["shape"]), response["mean"] / response["shape"])
    rng = np.random.Generator(np.random.PCG64(seed))
    draws = [airing_calls(rng, mean, *params, time, horizon) for _ in range(reps)]
    counts = np.array([len(times) for _, times in draws])
    delays = np.concatenate([np.array(times) - time for _, times in draws])
    return counts, delays, mean * delay_cdf(response, horizon - time), response, horizon - time


@pytest.mark.parametrize("case", SAMPLER_CASES)
def test_count_per_airing_is_poisson_of_the_thinned_mean(case):
    counts, _, mean, _, _ = sampled(case)
    n = len(counts)
    assert poisson_p(counts.sum(), n * mean) > LEVEL / 2  # the sum of n Poisson(mean) is Poisson(n mean)
    # dispersion: (n - 1) s^2 / mean ~ chi2(n - 1) for Poisson counts
    d = (n - 1) * counts.var(ddof=1) / mean
    assert stats.chi2.cdf(d, n - 1) > LEVEL / 4 and stats.chi2.sf(d, n - 1) > LEVEL / 4, d
    # power: the same test refuses the mean without the cut at the horizon
    full = SAMPLER_CASES[case][0]
    assert poisson_p(counts.sum(), n * full) < LEVEL / 2


@pytest.mark.parametrize("case", SAMPLER_CASES)
def test_times_of_one_airing_follow_its_response_curve(case):
    _, delays, _, response, room = sampled(case)
    assert len(delays) > 20000 and delays.max() < room

    def truncated(x):  # given a call before the horizon
        return delay_cdf(response, x) / delay_cdf(response, room)
    assert stats.kstest(delays, truncated).pvalue > LEVEL
    wrong = dict(response, **({"decay": 700} if response["kind"] == "spike" else {"shape": 2.5}))
    assert stats.kstest(delays, lambda x: delay_cdf(wrong, x) / delay_cdf(wrong, room)).pvalue < LEVEL


def test_the_core_draws_an_airing_as_the_reference_sampler():
    from ccsim import _arrivals
    for seed in range(5):
        # Poisson means on both sides of numpy's switch of method at 10; spike and gamma delays
        for mean, params in ((40.0, (0.0, 0.0, 600.0)), (15.0, (120.0, 3.0, 300.0)), (3.5, (0.0, 0.5, 80.0)),
                             (0.0, (0.0, 0.0, 1.0))):
            want = airing_calls(np.random.Generator(np.random.PCG64(seed)), mean, *params, 100.0, 2000.0)
            got = _arrivals.airing_calls(np.random.PCG64(seed), mean, *params, 100.0, 2000.0)
            assert got[0] == want[0]
            np.testing.assert_array_equal(got[1], want[1])


# ---------------------------------------------------------------- base profile + airings, in the engines

def cumulative_intensity(data):
    """Lambda(t) of sales, exactly: the base profile's integral plus each tv airing's mean x CDF."""
    rates = np.array(data["call_types"][0]["arrivals"]["rates"]) / HOUR
    edges = np.concatenate([[0.0], np.cumsum(rates * HOUR)])
    tv = [a for a in data["media"]["airings"] if a["channel"] == "tv"]

    def lam(t):
        t = np.asarray(t, dtype=float)
        i = np.minimum((t // HOUR).astype(int), len(rates) - 1)
        out = edges[i] + rates[i] * (t - i * HOUR)
        for a in tv:
            out = out + a["spend"] * TV["calls_per_unit"] * delay_cdf(TV["response"], t - a["time"])
        return out
    return lam


@pytest.fixture(scope="module")
def superposed():
    data = media_scenario()
    results = [ccsim.simulate(data, seed=s, call_records=True) for s in np.random.SeedSequence(3).spawn(200)]
    return data, results


def test_counts_per_interval_lie_in_the_ci_of_the_integrated_rate(superposed):
    data, results = superposed
    lam = cumulative_intensity(data)
    edges = np.arange(0, data["horizon"] + 1, 900.0)
    want = np.diff(lam(edges))
    got = np.array([r.stats.interval_calls[:, 0, 0] for r in results]).sum(axis=0)
    reps = len(results)
    p = [poisson_p(c, reps * m) for c, m in zip(got, want)]
    assert min(p) > LEVEL / len(p), p
    # power: the base profile alone is refused
    base_only = media_scenario(airings=[{"time": 3000, "channel": "web", "spend": 1, "grp": 1}])
    flat = np.diff(cumulative_intensity(base_only)(edges))
    assert min(poisson_p(c, reps * m) for c, m in zip(got, flat)) < LEVEL / len(p)


def test_time_rescaled_gaps_of_the_superposed_process_are_unit_exponential(superposed):
    data, results = superposed
    lam = cumulative_intensity(data)
    gaps, gaps_without_ads = [], []
    base_only = cumulative_intensity(media_scenario(airings=[{"time": 3000, "channel": "web", "spend": 1,
                                                               "grp": 1}]))
    for r in results[:40]:
        records = r.stats.call_records
        times = np.sort(records["arrival"][records["call_type"] == 0])
        gaps.append(np.diff(np.concatenate([[0.0], lam(times)])))
        gaps_without_ads.append(np.diff(np.concatenate([[0.0], base_only(times)])))
    gaps = np.concatenate(gaps)
    assert len(gaps) > 10000
    assert stats.kstest(gaps, "expon").pvalue > LEVEL
    assert stats.kstest(np.concatenate(gaps_without_ads), "expon").pvalue < LEVEL  # power


def test_ad_calls_carry_their_channel_and_airing(superposed):
    data, results = superposed
    records = results[0].stats.call_records
    organic = records["channel"] == -1
    assert (records["airing"][organic] == -1).all()
    tv, web = records["channel"] == 0, records["channel"] == 1
    assert (records["call_type"][tv] == 0).all() and (records["call_type"][web] == 1).all()
    assert set(records["airing"][tv]) <= {0, 1} and set(records["airing"][web]) <= {2, 3}
    airing_time = np.array([a["time"] for a in data["media"]["airings"]])
    assert (records["arrival"][~organic] >= airing_time[records["airing"][~organic]]).all()
    frame = results[0].calls()
    assert list(frame["channel"].cat.categories) == ["organic", "tv", "web"]
    # per-airing and per-channel totals add up to the records (no warm-up here)
    airings = results[0].airings()
    np.testing.assert_array_equal(airings["callers"], np.bincount(records["airing"][~organic], minlength=4))
    channels = results[0].channels()
    assert channels.loc["tv", "callers"] == tv.sum() and channels.loc["organic", "callers"] == organic.sum()
    assert channels.loc["tv", "spend"] == 100000 and channels.loc["web", "airings"] == 2
    by_interval = results[0].intervals(by="channel")
    assert len(by_interval) == 3 * results[0].model.n_intervals
    np.testing.assert_array_equal(by_interval.groupby("channel", sort=False)["callers"].sum().to_numpy(),
                                  channels["callers"].to_numpy())


# ---------------------------------------------------------------- both engines, and conservation

def busy_center(tmp_path, drain=True):
    """Two channels, inline and CSV airings, a line limit, a warm-up: every outcome happens."""
    (tmp_path / "plan.csv").write_text("time,channel,spend,grp\n2000,web,10,40\n6500,tv,30000,\n9000,web,5,60\n14200,tv,60000,\n")
    data = media_scenario(agents=6, handle=120, lines=14, warmup=900, drain=drain)
    data["media"]["airings_csv"] = {"path": "plan.csv"}
    return validate_scenario(data, base_dir=tmp_path)


@pytest.mark.parametrize("drain", [True, False])
@pytest.mark.parametrize("seed", [1, 99])
def test_core_and_simpy_are_bit_identical(tmp_path, drain, seed):
    scenario = busy_center(tmp_path, drain)
    core = ccsim.simulate(scenario, seed=seed, engine="core", call_records=True).stats
    ref = ccsim.simulate(scenario, seed=seed, engine="simpy", call_records=True).stats
    for name in ("interval_calls", "total_calls", "group_totals", "interval_groups", "interval_channels",
                 "total_channels", "airing_calls", "call_records"):
        np.testing.assert_array_equal(getattr(core, name), getattr(ref, name), err_msg=name)
    assert (core.calls_simulated, core.end_time) == (ref.calls_simulated, ref.end_time)
    totals = ref.total_channels.sum(axis=0)
    assert all(totals[f] > 0 for f in (ARRIVED, ANSWERED, ABANDONED, BLOCKED))
    assert (ref.airing_calls[:, ARRIVED] > 0).sum() >= 5  # ad calls of most airings
    assert drain or totals[WAITING] > 0


@pytest.mark.parametrize("engine", ["core", "simpy"])
@pytest.mark.parametrize("drain", [True, False])
def test_calls_conserve_per_channel_and_airing(tmp_path, engine, drain):
    stats_ = ccsim.simulate(busy_center(tmp_path, drain), seed=5, engine=engine).stats
    for table in (stats_.interval_channels, stats_.total_channels, stats_.airing_calls):
        np.testing.assert_array_equal(table[..., ARRIVED], table[..., 1:-1].sum(axis=-1))  # each caller once
    # channels split the call types' arrivals: organic + tv = sales, web = orders
    np.testing.assert_array_equal(stats_.interval_channels[:, :, ARRIVED].sum(axis=1),
                                  stats_.interval_calls[:, :, 0].sum(axis=1))
    np.testing.assert_array_equal(stats_.total_channels[1:, ARRIVED].sum(), stats_.airing_calls[:, ARRIVED].sum())


def test_ads_leave_the_organic_callers_alone():
    # Common random numbers: adding airings does not shift the base arrivals (own streams).
    plain = media_scenario(airings=[{"time": 100, "channel": "web", "spend": 0, "grp": 0}])
    with_ads = media_scenario()
    a = ccsim.simulate(plain, seed=4, call_records=True).stats.call_records
    b = ccsim.simulate(with_ads, seed=4, call_records=True).stats.call_records
    np.testing.assert_array_equal(np.sort(a["arrival"][a["channel"] == -1]),
                                  np.sort(b["arrival"][b["channel"] == -1]))
    assert (b["channel"] >= 0).sum() > 100


def test_the_demo_scenario_runs_and_prints_its_channel_table(tmp_path):
    import pandas as pd
    result = CliRunner().invoke(cli, ["run", "scenarios/ads_demo.yaml", "--reps", "2", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Callers by media channel" in result.output and "online" in result.output
    channels = pd.read_csv(tmp_path / "channels.csv", index_col="channel")
    assert list(channels.index) == ["organic", "tv", "online"]
    assert channels.loc["tv", "spend"] == 170000 and channels.loc["tv", "airings"] == 3
    by_interval = pd.read_csv(tmp_path / "channel_intervals.csv")
    sums = by_interval.groupby("channel")["callers"].sum() / 2  # mean over the two replications
    np.testing.assert_allclose(sums[channels.index], channels["calls"])  # no warm-up: every call counts


def test_a_study_on_a_media_scenario_stores_and_resumes(tmp_path):
    # The scenario a worker receives is self-contained (CSV airings inlined), and a
    # resumed study runs only the missing replications, which equal a fresh run's.
    from ccsim.experiment.records import Point
    from ccsim.experiment.runner import run_study
    from ccsim.scenario import load_scenario, scenario_to_dict

    scenario = scenario_to_dict(load_scenario("scenarios/ads_demo.yaml"))
    points = [Point(0, "ads_demo", {}, scenario)]
    store = tmp_path / "study.sqlite"
    first = run_study(points, 2, seed=3, crn=True, store_path=store, backend="serial")
    seen = []
    resumed = run_study(points, 3, seed=3, crn=True, store_path=store, backend="serial", resume=True,
                        progress=lambda done, total: seen.append(done))
    assert seen[0] == 2 and len(resumed.records) == 3
    fresh = ccsim.replicate(load_scenario("scenarios/ads_demo.yaml"), 3, seed=3)
    by_rep = {r.rep: r for r in resumed.records}
    for rep, result in enumerate(fresh):
        assert by_rep[rep].kpis == result.kpis()
    assert {r.rep: r.kpis for r in first.records} == {rep: by_rep[rep].kpis for rep in (0, 1)}


def test_a_sweep_can_set_a_channel_by_name_and_an_airing_by_index():
    from ccsim.experiment.overrides import apply_and_validate
    from ccsim.scenario import load_scenario, scenario_to_dict

    base = scenario_to_dict(load_scenario("scenarios/ads_demo.yaml"))
    changed = apply_and_validate(base, {"media.channels.tv.calls_per_unit": 0.008, "media.airings.0.spend": 1000})
    model = compile_scenario(validate_scenario(changed))
    assert model.airing_mean[0] == 1000 * 0.008 and model.airing_mean[1] == 80000 * 0.008
    with pytest.raises(Exception, match="media.airings"):
        apply_and_validate(base, {"media.airings.0.time": 86400})  # outside the horizon


def test_the_media_chart_marks_every_airing_with_one_line():
    """The airings' dotted lines are layout shapes set at once (add_vline per airing made a
    year of 20,000 airings undrawable); each at its airing's time in hours, in its channel's
    colour."""
    from ccsim.report.figures import color, media_arrivals

    start = np.arange(0, 10 * 3600.0, 3600.0)
    channels = {"start": start, "end": start + 3600.0, "organic": np.ones(10), "tv": np.ones(10), "web": np.ones(10)}
    airings = np.zeros(5, dtype=[("time", float), ("channel", "U8"), ("spend", float)])
    airings["time"], airings["channel"], airings["spend"] = [0, 3600, 7200, 9000, 18000], \
        ["tv", "web", "tv", "tv", "web"], 100.0
    shapes = media_arrivals(channels, airings, "x").layout.shapes
    assert [(s.x0, s.x1, s.line.color) for s in shapes] == [
        (0.0, 0.0, color(1)), (2.0, 2.0, color(1)), (2.5, 2.5, color(1)), (1.0, 1.0, color(2)), (5.0, 5.0, color(2))]
    assert all(s.yref == "paper" and (s.y0, s.y1) == (0, 1) for s in shapes)
