"""``ccsim fit`` recovers known truths: simulate a center with per-call records, write the
records as a call log, read it back through a mapping and fit it.

Truth: Poisson arrivals (a day profile of 24 hourly rates), lognormal handle times (mean
180 s, cv 0.9), Weibull patience (shape 1.5, scale 150 s; mean 135.4 s), 9 agents for about
9 Erlangs, so that about a third of the callers who wait abandon and the rest are censored.
Over 8 seeds (two days each), every 95 % interval must hold the true value in at least 6
seeds (a correct 95 % interval misses 3 or more of 8 with probability 0.6 %); the hourly
rates, 48 intervals per seed, must hold it in at least 85 % of the 384 (a correct interval
falls below with probability < 0.1 %). The naive estimate, the abandoners' patience fitted
alone, must miss the truth, below it, in every seed.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from ccsim import simulate
from ccsim.calllog import read_log
from ccsim.calllog.distributions import fit_family
from ccsim.calllog.fit import FitOptions, fit_log, patience_data
from ccsim.scenario import validate_scenario
from factories import call_log_mapping, write_call_log

SEEDS = range(1, 9)
RATES = [40, 30, 20, 20, 20, 30, 60, 120, 200, 240, 240, 220, 200, 220, 240, 240, 200, 180, 150, 120,
         100, 80, 60, 50]   # calls per hour, hour by hour
SHAPE, SCALE = 1.5, 150.0
TRUE_PATIENCE_MEAN = SCALE * math.gamma(1 + 1 / SHAPE)
HANDLE = {"mean": 180.0, "cv": 0.9}
MAPPING = call_log_mapping()

SCENARIO = {
    "name": "truth", "horizon": 2 * 86400, "interval": 3600,
    "call_types": [{"name": "sales",
                    "arrivals": {"process": "piecewise", "per": "hour", "slot": 3600, "rates": RATES},
                    "handle_time": {"dist": "lognormal", **HANDLE},
                    "patience": {"dist": "weibull", "shape": SHAPE, "scale": SCALE}}],
    "agents": [{"name": "team", "count": 9, "serves": ["sales"]}],
}


@pytest.fixture(scope="module")
def fits(tmp_path_factory):
    out = []
    for seed in SEEDS:
        calls = simulate(SCENARIO, seed=seed, call_records=True).calls()
        path = tmp_path_factory.mktemp(f"seed{seed}") / "log.csv"
        write_call_log(calls, path)
        log = read_log(path, MAPPING)
        assert len(log.excluded) == 0
        out.append(fit_log(log, FitOptions(slot=3600, profile="day", handle="lognormal", patience="weibull")))
    return out


def covered(ci, truth) -> bool:
    return ci[0] <= truth <= ci[1]


def test_arrival_rates_recovered(fits):
    hits = [covered((a.low[0, s], a.high[0, s]), RATES[s])
            for a in (f.types["sales"].arrivals for f in fits) for s in range(24)]
    assert np.mean(hits) >= 0.85, f"{np.mean(hits):.1%} of the hourly rate intervals hold the truth"


def test_handle_time_recovered(fits):
    for key, truth in HANDLE.items():
        hits = sum(covered(f.types["sales"].handle.ci[key], truth) for f in fits)
        assert hits >= 6, f"handle {key}: {hits} of {len(fits)}"


def test_patience_recovered_from_censored_waits(fits):
    share = np.mean([f.types["sales"].abandoned / f.types["sales"].patience.n for f in fits])
    assert 0.1 < share < 0.6  # a real mix of abandons (events) and served callers (censored)
    for key, truth in (("shape", SHAPE), ("scale", SCALE)):
        hits = sum(covered(f.types["sales"].patience.ci[key], truth) for f in fits)
        assert hits >= 6, f"patience {key}: {hits} of {len(fits)}"
    # Kaplan-Meier's pointwise band holds the true survival at 60 s and 120 s
    for t in (60.0, 120.0):
        truth = math.exp(-(t / SCALE) ** SHAPE)
        hits = 0
        for f in fits:
            km = f.types["sales"].km
            i = np.searchsorted(km.times, t, side="right") - 1
            low, high = km.ci()
            hits += covered((low[i], high[i]), truth)
        assert hits >= 6, f"KM at {t:g} s: {hits} of {len(fits)}"


def test_the_coverage_checks_reject_a_truth_off_by_a_tenth(fits):
    """Power: the same coverage checks fail for values 10 % off the truth (hourly rates 20 %
    off), so they hold the fit to the truth, not to any interval wide enough."""
    hits = [covered((a.low[0, s], a.high[0, s]), 1.2 * RATES[s])
            for a in (f.types["sales"].arrivals for f in fits) for s in range(24)]
    assert np.mean(hits) < 0.85
    for part, key, truth in (("handle", "mean", HANDLE["mean"]), ("handle", "cv", HANDLE["cv"]),
                             ("patience", "shape", SHAPE), ("patience", "scale", SCALE)):
        hits = sum(covered(getattr(f.types["sales"], part).ci[key], 1.1 * truth) for f in fits)
        assert hits < 6, f"{part} {key}: {hits} of {len(fits)} hold a wrong value"


def test_patience_from_abandoners_alone_is_biased(fits):
    for f in fits:
        log = f.log
        t, events = patience_data(log.calls, log)
        naive = fit_family("weibull", t[events])  # abandoners only, as if complete
        mean = naive.frozen().mean()
        assert mean < 0.8 * TRUE_PATIENCE_MEAN
        assert f.types["sales"].naive_patience_mean < 0.8 * TRUE_PATIENCE_MEAN
        # while the censored fit's mean is close to the truth
        assert f.types["sales"].patience.frozen().mean() == pytest.approx(TRUE_PATIENCE_MEAN, rel=0.15)


def test_staffing_seen_and_the_fitted_scenario(fits):
    for f in fits:
        assert f.staffing.max() <= 9 and f.agents_seen.max() == 9
        scenario = f.scenario()
        validate_scenario(scenario)
        assert scenario["call_types"][0]["patience"]["dist"] == "weibull"
