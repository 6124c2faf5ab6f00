"""``ccsim fit``'s time-of-day estimators recover known truths on logs made by ccsim itself.

- Handle time per hour of the day (``FitOptions.handle_period``): the truth is a lognormal
  (cv 0.9) whose mean is 120 s until 10:00, 240 s until 16:00 and 150 s after (``by_period``).
  Over 6 seeds of two days each, at least 85 % of the hourly periods' 95 % intervals of the
  mean must hold the true mean of their hour (144 intervals at most: a correct 95 % interval
  falls below 85 % with probability < 0.1 %), and the same check must fail for a truth 20 %
  off (power), and for the one distribution of the whole day (what the fit wrote before).
- The share of callers reaching the queue per slot (IVR hang-ups thinned per slot): the truth
  sends 5 % of the day's callers and 80 % of the night's to an IVR hang-up. Over 6 seeds of
  three days, at least 85 % of the hourly 95 % Wilson intervals must hold the true share, and
  fewer for a share 0.15 off; the fitted scenario's two entries add up to the arrival rate.
- The staffing written (``minute_staffing``) keeps each slot's fractional agent-time to the
  minute (an exact check).
"""
from __future__ import annotations

import numpy as np
import pytest

from ccsim import simulate
from ccsim.calllog import read_log
from ccsim.calllog.fit import FitOptions, fit_log, reached_by_slot
from ccsim.calllog.mapping import mapping_from_dict
from ccsim.calllog.scenario import layered_shifts, minute_staffing
from ccsim.scenario import validate_scenario
from factories import CALL_LOG_COLUMNS, call_log_mapping, write_call_log

SEEDS = range(1, 7)
RATES = [20, 15, 10, 10, 10, 15, 30, 60, 100, 120, 120, 110, 100, 110, 120, 120, 100, 90, 75, 60,
         50, 40, 30, 25]   # calls per hour, hour by hour
MEANS = [(0, 120.0), (10, 240.0), (16, 150.0)]   # (from hour, true mean handle time)
CV = 0.9
IVR_SECONDS = 10.0


def true_mean(hour: int) -> float:
    return [m for h, m in MEANS if h <= hour][-1]


def reach_share(hour: int) -> float:
    return 0.2 if hour < 7 or hour >= 22 else 0.95


PLAIN = call_log_mapping()
WITH_IVR = mapping_from_dict({"name": "simulated_ivr", "time_format": "seconds",
                              "columns": {**CALL_LOG_COLUMNS, "ivr_entry": "ivr_entry", "ivr_exit": "ivr_exit"},
                              "arrival": "ivr_entry",
                              "outcomes": {"served": ["answered"], "abandoned": ["abandoned", "hang_up"]}},
                             "simulated_ivr.yaml")


# ---------------------------------------------------------------- handle time per hour
HANDLE_TRUTH = {
    "name": "handle_by_hour", "horizon": 2 * 86400, "interval": 3600,
    "call_types": [{"name": "sales",
                    "arrivals": {"process": "piecewise", "per": "hour", "slot": 3600, "rates": RATES},
                    "handle_time": {"by_period": [{"start": f"{h:02d}:00", "dist": {"dist": "lognormal", "mean": m,
                                                                                    "cv": CV}}
                                                  for h, m in MEANS]}}],
    "agents": [{"name": "team", "count": 14, "serves": ["sales"]}],
}


@pytest.fixture(scope="module")
def handle_fits(tmp_path_factory):
    out = []
    for seed in SEEDS:
        path = tmp_path_factory.mktemp(f"handle{seed}") / "log.csv"
        write_call_log(simulate(HANDLE_TRUTH, seed=seed, call_records=True).calls(), path)
        out.append(fit_log(read_log(path, PLAIN), FitOptions(slot=3600, profile="day", handle="lognormal")))
    return out


def _hourly_coverage(fits, scale: float = 1.0) -> float:
    hits = [f.types["sales"].handle_periods[h][1].ci["mean"][0] <= scale * true_mean(h)
            <= f.types["sales"].handle_periods[h][1].ci["mean"][1]
            for f in fits for h in range(24) if f.types["sales"].handle_periods[h][1] is not None]
    assert len(hits) >= 0.8 * 24 * len(fits)   # nearly every hour has the 20 calls a fit needs
    return float(np.mean(hits))


def test_handle_time_per_hour_recovered(handle_fits):
    assert _hourly_coverage(handle_fits) >= 0.85


def test_handle_time_per_hour_rejects_a_truth_off_by_a_fifth(handle_fits):
    assert _hourly_coverage(handle_fits, 1.2) < 0.85
    assert _hourly_coverage(handle_fits, 0.8) < 0.85


def test_one_handle_time_for_the_day_misses_the_hours(handle_fits):
    day = [f.types["sales"].handle.ci["mean"] for f in handle_fits]
    hits = [lo <= true_mean(h) <= hi for lo, hi in day for h in range(24)]
    assert np.mean(hits) < 0.85


def test_the_scenario_writes_the_periods(handle_fits):
    fit = handle_fits[0]
    scenario = fit.scenario()
    validate_scenario(scenario)
    periods = scenario["call_types"][0]["handle_time"]["by_period"]
    assert periods[0]["start"] == "00:00"
    starts = [p["start"] for p in periods]
    assert starts == sorted(set(starts))
    own = {f"{h:02d}:00": f.dist() for h, f in fit.types["sales"].handle_periods if f is not None}
    assert all(p["dist"] == own[p["start"]] for p in periods if p["start"] in own)
    # no period: one distribution
    assert "by_period" not in fit_log(fit.log, FitOptions(slot=3600, profile="day", handle="lognormal",
                                                          handle_period=0)).scenario()["call_types"][0]["handle_time"]


# ---------------------------------------------------------------- reaching the queue per slot
def _reach_truth() -> dict:
    reach = [r * reach_share(h) for h, r in enumerate(RATES)]
    hang = [r - q for r, q in zip(RATES, reach)]
    ivr = {"dist": "deterministic", "value": IVR_SECONDS}
    return {
        "name": "reach_by_hour", "horizon": 3 * 86400, "interval": 3600,
        "call_types": [{"name": "sales", "handle_time": {"dist": "lognormal", "mean": 150.0, "cv": CV}}],
        "entries": [{"name": "line", "ivr": "to_queue",
                     "arrivals": {"process": "piecewise", "per": "hour", "slot": 3600, "rates": reach}},
                    {"name": "hangup", "ivr": "to_hangup",
                     "arrivals": {"process": "piecewise", "per": "hour", "slot": 3600, "rates": hang}}],
        "ivr": [{"name": "to_queue", "nodes": [{"name": "v", "duration": ivr, "branches": [{"p": 1.0, "queue": "sales"}]}]},
                {"name": "to_hangup", "nodes": [{"name": "v", "duration": ivr,
                                                 "branches": [{"p": 1.0, "exit": "hang_up"}]}]}],
        "agents": [{"name": "team", "count": 10, "serves": ["sales"]}],
    }


@pytest.fixture(scope="module")
def reach_fits(tmp_path_factory):
    truth, out = _reach_truth(), []
    for seed in SEEDS:
        path = tmp_path_factory.mktemp(f"reach{seed}") / "log.csv"
        write_call_log(simulate(truth, seed=seed, call_records=True).calls(), path, IVR_SECONDS, call_type="sales")
        log = read_log(path, WITH_IVR)
        assert len(log.excluded) == 0 and (log.calls["outcome"] == "ivr_abandoned").any()
        out.append(fit_log(log, FitOptions(slot=3600, profile="day", handle="lognormal", handle_period=0)))
    return out


def _reach_coverage(fits, shift: float = 0.0) -> float:
    hits = []
    for f in fits:
        _, low, high = reached_by_slot(f.types["sales"])
        hits += [low[0, h] <= min(reach_share(h) + shift, 1.0) <= high[0, h] for h in range(24)]
    return float(np.mean(hits))


def test_share_reaching_the_queue_per_slot_recovered(reach_fits):
    assert _reach_coverage(reach_fits) >= 0.85
    assert _reach_coverage(reach_fits, 0.15) < 0.85 and _reach_coverage(reach_fits, -0.15) < 0.85


def test_the_scenario_thins_each_slot(reach_fits):
    fit = reach_fits[0]
    scenario = fit.scenario()
    validate_scenario(scenario)
    entries = {e["name"]: e for e in scenario["entries"]}
    line, hang = (np.array(entries[n]["arrivals"]["rates"]) for n in ("sales_line", "sales_ivr_hangup"))
    a = fit.types["sales"].arrivals
    np.testing.assert_allclose(line + hang, a.rate.ravel(), rtol=1e-5)
    np.testing.assert_allclose(line, a.queue_counts.ravel() / (a.exposure_days[0]), rtol=1e-5)
    menus = {m["name"]: m for m in scenario["ivr"]}
    assert menus[entries["sales_ivr_hangup"]["ivr"]]["nodes"][0]["branches"] == [{"p": 1.0, "exit": "hang_up"}]
    assert all("queue" in b for b in menus[entries["sales_line"]["ivr"]]["nodes"][0]["branches"])


# ---------------------------------------------------------------- staffing to the minute
@pytest.mark.parametrize("required", [[0, 2.27, 2.66, 3.0, 1.5, 0.1, 0], [4, 4, 4], [0.5], [0, 0]])
def test_minute_staffing_keeps_each_slots_agent_time(required):
    minutes = minute_staffing(required, 1800)
    assert len(minutes) == 30 * len(required)
    per_slot = minutes.reshape(len(required), 30).sum(axis=1)
    np.testing.assert_array_equal(per_slot, np.rint(np.asarray(required) * 30))
    assert minutes.min(initial=0) >= 0 and np.all(np.abs(minutes.reshape(len(required), 30)
                                                         - np.asarray(required)[:, None]) < 1)
    # the one-agent shifts written from it put exactly that many agents on duty each minute
    on = np.zeros(len(minutes), int)
    for shift in layered_shifts(minutes, 60):
        h0, m0 = map(int, shift["start"].split(":"))
        h1, m1 = map(int, shift["end"].split(":"))
        on[h0 * 60 + m0: h1 * 60 + m1] += 1
    np.testing.assert_array_equal(on, minutes)


@pytest.mark.parametrize("width", [7, 90, 7000])
def test_a_handle_period_not_dividing_the_day_in_minutes_is_refused(width):
    """Refused when the options are made, before any log is read."""
    from ccsim.calllog.fit import FitError

    with pytest.raises(FitError, match=rf"--handle-period {width}: .*whole minutes dividing a day"):
        FitOptions(slot=3600, profile="day", handle="lognormal", handle_period=width)


@pytest.mark.parametrize("value", ["-1", "86401", "nan", "hourly", "7", "7000"])
def test_ccsim_fit_handle_period_option_is_bounded(tmp_path, value):
    """Refused before the log is read (there is none here)."""
    from click.testing import CliRunner

    from ccsim.cli import cli

    done = CliRunner().invoke(cli, ["fit", str(tmp_path / "none.csv"), "--mapping", "bank", "-o",
                                    str(tmp_path / "x.yaml"), "--handle-period", value])
    assert done.exit_code == 2 and "--handle-period" in done.output and "Traceback" not in done.output
