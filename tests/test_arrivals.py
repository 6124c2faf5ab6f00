"""Arrival processes: weekly patterns and daily busyness, sampled by ``engines/arrivals.py``
and its twin in the core.

Statistical checks decide at a stated level with fixed seeds (deterministic in CI):
exact Poisson tests of counts per day and per slot against the integrated rate,
a Kolmogorov-Smirnov test of time-rescaled inter-arrival times against Exp(1),
and the doubly stochastic variance of daily counts; each with a power check
that the same test rejects a wrong model.
"""
import copy
import math

import numpy as np
import pytest
from scipy import stats

import ccsim
from ccsim.compile import busyness_factors, compile_scenario, stream_seeds, with_busyness
from ccsim.engines.arrivals import next_arrival
from ccsim.results import CALL_FIELDS

DAY = 86_400.0
ARRIVED = CALL_FIELDS.index("arrived")
LEVEL = 1e-3  # family-wise level of each statistical decision (Bonferroni inside a family)

DAILY = [20.0, 90.0, 140.0, 50.0]  # calls per hour in four 6-hour slots: a night, a morning peak, ...
WEEKDAYS = [1.4, 1.1, 1.0, 1.0, 1.2, 0.7, 0.3]  # busier Monday, quiet Sunday


def week(weekdays=WEEKDAYS, start_weekday=None, busyness=None, horizon=7 * DAY, interval=DAY, **arrivals):
    """A week of one call type (short calls, plenty of agents: arrivals are what is tested)."""
    spec = {"process": "piecewise", "rates": DAILY, "per": "hour", "slot": 21600, **arrivals}
    if weekdays is not None:
        spec["weekdays"] = weekdays
    if start_weekday is not None:
        spec["start_weekday"] = start_weekday
    if busyness is not None:
        spec["busyness"] = busyness
    return {"horizon": horizon, "interval": interval,
            "call_types": [{"name": "sales", "arrivals": spec,
                            "handle_time": {"dist": "exponential", "mean": 10},
                            "patience": {"dist": "deterministic", "value": 0}}],
            "agents": [{"name": "team", "count": 20, "serves": ["sales"]}]}


def arrived(results, k=0) -> np.ndarray:
    """Arrivals per interval, one row per replication."""
    return np.array([r.stats.interval_calls[:, k, ARRIVED] for r in results])


def poisson_p(count: float, mean: float) -> float:
    """Two-sided exact p-value of ``count`` under Poisson(``mean``)."""
    return min(1.0, 2 * min(stats.poisson.cdf(count, mean), stats.poisson.sf(count - 1, mean)))


def expected_per_slot(weekdays, start=0, days=7, daily=DAILY) -> np.ndarray:
    """Integrated rate of each 6-hour slot of each day (calls)."""
    return np.array([[r / 3600 * 21600 * weekdays[(start + d) % 7] for r in daily] for d in range(days)])


# ---------------------------------------------------------------- the weekly pattern, compiled

def test_weekly_pattern_compiles_to_a_seven_day_profile_from_the_start_weekday():
    model = compile_scenario(ccsim.as_scenario(week(start_weekday="saturday")))
    rates = model.rates[:model.rate_count[0]].reshape(7, 4)  # per second
    factors = [WEEKDAYS[(5 + d) % 7] for d in range(7)]  # saturday, sunday, monday, ...
    np.testing.assert_array_equal(rates, [[r / 3600 * f for r in DAILY] for f in factors])
    assert (model.rate_slot[0], model.rate_repeat[0]) == (21600, 1)


def test_weekly_pattern_with_equal_factors_is_the_daily_profile_repeated():
    plain = ccsim.simulate(week(weekdays=None), seed=4).stats
    flat = ccsim.simulate(week(weekdays=[1] * 7), seed=4).stats
    np.testing.assert_array_equal(plain.interval_calls, flat.interval_calls)


# ---------------------------------------------------------------- counts against the integrated rate

@pytest.fixture(scope="module")
def weekly_counts():
    """Arrivals per 6-hour slot, per replication: 300 weeks starting on a wednesday."""
    results = ccsim.replicate(week(start_weekday="wednesday", interval=21600), 300, seed=11)
    return arrived(results)


def test_counts_per_day_and_slot_lie_in_their_exact_ci(weekly_counts):
    # Summed over replications, a slot's count is Poisson(reps x integrated rate) exactly.
    reps = len(weekly_counts)
    want = expected_per_slot(WEEKDAYS, start=2)
    slots = weekly_counts.sum(axis=0).reshape(7, 4)
    p_slots = [poisson_p(c, reps * m) for c, m in zip(slots.ravel(), want.ravel())]
    p_days = [poisson_p(c, reps * m) for c, m in zip(slots.sum(axis=1), want.sum(axis=1))]
    assert min(p_slots) > LEVEL / len(p_slots), p_slots
    assert min(p_days) > LEVEL / len(p_days), p_days


def test_count_check_rejects_the_week_without_its_factors(weekly_counts):
    # Power: the same decision refuses every day alike, and a week started on monday.
    reps = len(weekly_counts)
    days = weekly_counts.sum(axis=0).reshape(7, 4).sum(axis=1)
    for wrong in (expected_per_slot([1.0] * 7), expected_per_slot(WEEKDAYS, start=0)):
        p_days = [poisson_p(c, reps * m) for c, m in zip(days, wrong.sum(axis=1))]
        assert min(p_days) < LEVEL / len(p_days)


# ---------------------------------------------------------------- time rescaling: Kolmogorov-Smirnov

def cumulative_rate(rates, slot):
    """Lambda(t) of a piecewise-constant rate (per second) over one cycle of the profile."""
    edges = np.concatenate([[0.0], np.cumsum(np.asarray(rates) * slot)])

    def integral(t):
        i = np.minimum((t // slot).astype(int), len(rates) - 1)
        return edges[i] + np.asarray(rates)[i] * (t - i * slot)
    return integral


def arrival_times(model, seed) -> np.ndarray:
    """One replication's arrival times of call type 0, from ``engines.arrivals.next_arrival``."""
    rng = np.random.Generator(np.random.PCG64(seed))
    start, count = int(model.rate_start[0]), int(model.rate_count[0])
    rates = model.rates.tolist()
    times, t = [], 0.0
    while True:
        t = next_arrival(rng, rates, start, count, float(model.rate_slot[0]), bool(model.rate_repeat[0]),
                         model.horizon, t)
        if math.isinf(t):
            return np.array(times)
        times.append(t)


def rescaled_gaps(times, rates, slot) -> np.ndarray:
    lam = cumulative_rate(rates, slot)(times)
    return np.diff(np.concatenate([[0.0], lam]))


@pytest.fixture(scope="module")
def weekly_model():
    return compile_scenario(ccsim.as_scenario(week(start_weekday="thursday")))


def test_rescaled_inter_arrival_times_are_unit_exponential(weekly_model):
    times = arrival_times(weekly_model, seed=2026)
    rates = weekly_model.rates[:weekly_model.rate_count[0]]
    assert len(times) > 5000
    assert stats.kstest(rescaled_gaps(times, rates, 21600.0), "expon").pvalue > 0.01  # level 1 %


def test_rescaling_with_a_wrong_profile_is_rejected(weekly_model):
    # Power, at the same level: the week started on monday instead of thursday, and a
    # flat rate of the same weekly total. (Gaps are rescaled locally, so a wrong
    # rate must differ over stretches longer than a gap to be seen.)
    times = arrival_times(weekly_model, seed=2026)
    monday_first = compile_scenario(ccsim.as_scenario(week())).rates[:28]
    flat = np.full(28, weekly_model.rates[:28].mean())
    for wrong in (monday_first, flat):
        assert stats.kstest(rescaled_gaps(times, wrong, 21600.0), "expon").pvalue < 0.01


def test_the_core_rings_at_the_same_times_as_the_reference_sampler():
    # The arrival stream of (arrival, "sales"): the core's call records against next_arrival.
    scenario = week(start_weekday="thursday", horizon=2 * DAY)
    model = compile_scenario(ccsim.as_scenario(scenario))
    records = ccsim.simulate(scenario, seed=np.random.SeedSequence(5), call_records=True).stats.call_records
    rng = np.random.Generator(np.random.PCG64(stream_seeds(model, np.random.SeedSequence(5))[0]))
    times, t = [], 0.0
    while not math.isinf(t := next_arrival(rng, model.rates.tolist(), 0, int(model.rate_count[0]), 21600.0, True,
                                           model.horizon, t)):
        times.append(t)
    np.testing.assert_array_equal(np.sort(records["arrival"]), times)


# ---------------------------------------------------------------- busyness: doubly stochastic Poisson

def test_busyness_scales_each_day_by_its_own_factor():
    model = compile_scenario(ccsim.as_scenario(week(busyness={"cv": 0.3}, horizon=10 * DAY)))
    busy = with_busyness(model, 8)
    # ten days of four slots unrolled, and the first slot past the horizon (day 10)
    assert busy.rate_count[0] == 41 and busy.rate_repeat[0] == 0
    factors = busyness_factors(model, 8, 0, 11)
    base = np.tile(model.rates[:28], 2)[:41]  # the weekly profile over ten days and a slot
    np.testing.assert_array_equal(busy.rates, base * np.repeat(factors, 4)[:41])
    plain = compile_scenario(ccsim.as_scenario(week()))
    assert with_busyness(plain, 8) is plain  # no busy call type: the model as compiled


@pytest.mark.parametrize("weekdays", [None, WEEKDAYS])
def test_busyness_cv_zero_changes_nothing(weekdays):
    for process in ("piecewise", "poisson"):
        plain, busy = week(weekdays=weekdays), week(weekdays=weekdays, busyness={"cv": 0})
        if process == "poisson":
            for s in (plain, busy):
                s["call_types"][0]["arrivals"] = {"process": "poisson", "rate": 60, "per": "hour",
                                                  **({"busyness": {"cv": 0}} if s is busy else {})}
        for engine in ("core", "simpy"):
            a = ccsim.simulate(plain, seed=6, engine=engine).stats
            b = ccsim.simulate(busy, seed=6, engine=engine).stats
            np.testing.assert_array_equal(a.interval_calls, b.interval_calls)
            assert a.calls_simulated == b.calls_simulated > 0


def variance_ci(x: np.ndarray, level: float) -> tuple[float, float]:
    """Asymptotic CI of a variance from i.i.d. samples: s^2 +- z sqrt((m4 - s^4) / n)."""
    n, s2 = len(x), x.var(ddof=1)
    m4 = ((x - x.mean()) ** 4).mean()
    half = stats.norm.ppf(1 - level / 2) * math.sqrt((m4 - s2 * s2) / n)
    return s2 - half, s2 + half


@pytest.mark.parametrize("process", ["poisson", "piecewise"])
def test_daily_count_has_the_doubly_stochastic_variance(process):
    # Day counts of a busy call type: mean lam, variance lam + lam^2 cv^2 (Poisson alone: lam).
    cv, reps, days = 0.3, 50, 20
    scenario = week(weekdays=None, busyness={"cv": cv}, horizon=days * DAY)
    if process == "poisson":
        scenario["call_types"][0]["arrivals"] = {"process": "poisson", "rate": 10, "per": "hour",
                                                 "busyness": {"cv": cv}}
        lam = 10 * 24
    else:
        lam = sum(DAILY) * 6
    counts = arrived(ccsim.replicate(scenario, reps, seed=21)).ravel()  # reps x days i.i.d. day counts
    assert len(counts) == reps * days
    low, high = variance_ci(counts, LEVEL)
    assert low < lam + lam * lam * cv * cv < high, (low, high)
    assert not low < lam < high  # power: the variance of a plain Poisson process is refused
    half = stats.norm.ppf(1 - LEVEL / 2) * counts.std(ddof=1) / math.sqrt(len(counts))
    assert abs(counts.mean() - lam) < half  # the factors have mean 1


def test_busyness_on_one_call_type_leaves_the_other_ones_arrivals_alone():
    scenario = week(horizon=3 * DAY)
    other = copy.deepcopy(scenario["call_types"][0])
    other["name"] = "service"
    other["arrivals"] = {"process": "poisson", "rate": 40, "per": "hour"}
    scenario["call_types"].append(other)
    scenario["agents"][0]["serves"].append("service")
    busy = copy.deepcopy(scenario)
    busy["call_types"][0]["arrivals"]["busyness"] = {"cv": 0.5}
    for engine in ("core", "simpy"):
        plain = ccsim.simulate(scenario, seed=9, engine=engine, call_records=True).stats.call_records
        changed = ccsim.simulate(busy, seed=9, engine=engine, call_records=True).stats.call_records
        times = [np.sort(r["arrival"][r["call_type"] == 1]) for r in (plain, changed)]
        np.testing.assert_array_equal(*times)
        assert len(times[0]) > 0
        sales = [np.sort(r["arrival"][r["call_type"] == 0]) for r in (plain, changed)]
        assert len(sales[0]) != len(sales[1]) or not np.array_equal(*sales)  # type A did change


def test_every_path_that_runs_a_replication_applies_the_busyness():
    # simulate, replicate and a study's run_replication (any worker) run the same busy rates.
    from ccsim.experiment import records
    busy, calm = week(busyness={"cv": 2.0}, horizon=3 * DAY), week(busyness={"cv": 0}, horizon=3 * DAY)
    arrivals = {name: [ccsim.simulate(s, seed=3).kpis()["arrivals"],
                       ccsim.replicate(s, 1, seed=3)[0].kpis()["arrivals"],
                       records.run_replication(records.Task(point=0, rep=0, scenario=s, entropy=3,
                                                            spawn_key=(0,))).kpis["arrivals"]]
                for name, s in (("busy", busy), ("calm", calm))}
    assert len(set(arrivals["busy"])) == 1 and len(set(arrivals["calm"])) == 1
    assert arrivals["busy"][0] != arrivals["calm"][0]  # cv 2: three days' factors, not all 1
