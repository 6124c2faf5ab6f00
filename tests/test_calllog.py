"""Call logs: the CDR reader (the bank log, hand-made logs with bad rows, wrong mappings),
Kaplan-Meier against a hand computation, the duration MLEs, the busyness estimator, and
``ccsim fit`` end to end on the bank log."""
from __future__ import annotations

import copy
import datetime
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from ccsim import simulate
from ccsim.calllog import MappingError, load_mapping, read_log
from ccsim.calllog.distributions import Z95, fit_family
from ccsim.calllog.fit import FitOptions, busyness, fit_log
from ccsim.calllog.mapping import SHIPPED, mapping_from_dict
from ccsim.calllog.survival import hazard, kaplan_meier
from ccsim.cli import cli
from ccsim.scenario import load_scenario, validate_scenario

BANK = Path("/work/shared/data/anonymous_bank_feb1999.tsv")
if not BANK.exists():  # a checkout next to the shared data folder
    BANK = Path(__file__).resolve().parents[2] / "shared" / "data" / "anonymous_bank_feb1999.tsv"


@pytest.fixture(scope="module")
def bank():
    return read_log(BANK, "bank")


# ---------------------------------------------------------------- the bank log
def test_bank_counts_and_exclusions(bank):
    # the data README: 33,344 rows, 278 phantom calls, 27,162 AGENT and 5,904 HANG rows
    assert bank.rows == 33_344
    assert bank.exclusion_summary() == {"phantom call": 278, "service time on an unserved call": 97,
                                        "served without a service time": 50, "end before start": 23,
                                        "half a stage": 1}
    assert len(bank.calls) + len(bank.excluded) == bank.rows
    outcomes = bank.calls["outcome"].value_counts().to_dict()
    assert outcomes == {"served": 27_162 - 50 - 22, "abandoned": 3_864, "ivr_abandoned": 1_941}
    assert bank.days == 28 and bank.origin.weekday() == 0  # 1 February 1999 was a Monday
    assert sorted(bank.calls["call_type"].unique()) == ["IN", "NE", "NW", "PE", "PS", "TT"]
    assert bank.calls["handle"].min() >= 0 and bank.calls["wait"].min() >= 0


def test_bank_rows_are_file_lines(bank):
    lines = BANK.read_text().splitlines()
    for row in bank.excluded.loc[bank.excluded["reason"] == "phantom call", "row"].head(20):
        assert "\tPHANTOM\t" in lines[row - 1]
    first = bank.calls.iloc[0]
    assert first["row"] == 2 and first["call_id"] == lines[1].split("\t")[1]


def test_bank_midnight_crossing(bank):
    # row 2888 (call 2886 in pandas' count) enters at 23:59:32 and ends service at 0:01:28 the next day
    call = bank.calls[bank.calls["row"] == 2888].iloc[0]
    assert call["handle"] == 105 and call["service_end"] > call["service_start"]


# ---------------------------------------------------------------- hand-made logs
MAPPING = {"name": "toy", "date": {"column": "day", "format": "%Y-%m-%d"}, "time_format": "%H:%M:%S",
           "missing_times": [""],
           "columns": {"call_id": "id", "call_type": "type", "outcome": "result", "agent": "who",
                       "queue_entry": "q_in", "queue_exit": "q_out", "service_start": "s_in",
                       "service_end": "s_out"},
           "arrival": "queue_entry",
           "outcomes": {"served": ["OK"], "abandoned": ["HANG"], "phantom": ["GHOST"]}}

TOY = """id,type,day,q_in,q_out,s_in,s_out,result,who
1,a,2024-03-04,08:00:00,08:00:10,08:00:10,08:03:10,OK,ann
2,a,2024-03-04,08:01:00,08:01:30,,,HANG,
3,a,2024-03-04,08:02:00,08:02:05,08:02:05,08:01:00,OK,bob
4,a,2024-03-04,8:61:00,08:03:00,08:03:00,08:04:00,OK,bob
5,a,2024-03-04,08:05:00,08:05:00,08:05:00,08:06:00,GHOST,
6,a,2024-03-04,08:06:00,08:06:20,08:06:20,08:07:00,LOST,ann
7,a,2024-02-30,08:07:00,08:07:10,08:07:10,08:08:00,OK,ann
8,a,2024-03-04,23:59:50,00:00:05,00:00:05,00:02:05,OK,ann
9,b,2024-03-05,09:00:00,09:00:03,,,OK,ann
"""


def toy_log(tmp_path, text=TOY, **changes):
    path = tmp_path / "toy.csv"
    path.write_text(text)
    return read_log(path, mapping_from_dict({**MAPPING, **changes}, "toy.yaml"))


def test_bad_rows_are_reported_with_row_and_reason(tmp_path):
    log = toy_log(tmp_path)
    bad = {int(r.row): (r.reason, r.detail) for r in log.excluded.itertuples()}
    # line numbers of the file: the header is line 1, call id k is line k + 1
    assert bad == {4: ("end before start", "s_out before s_in"),
                   5: ("unparsable time", "q_in 8:61:00"),
                   6: ("phantom call", ""),
                   7: ("unknown outcome", "outcome LOST"),
                   8: ("unparsable date", "day 2024-02-30"),
                   10: ("served without a service time", "s_in empty")}
    assert log.exclusion_summary()["phantom call"] == 1
    assert list(log.calls["row"]) == [2, 3, 9]
    kept = log.calls.set_index("row")
    assert kept.loc[2, "wait"] == 10 and kept.loc[2, "handle"] == 180
    assert kept.loc[3, "outcome"] == "abandoned" and kept.loc[3, "wait"] == 30
    assert kept.loc[9, "handle"] == 120 and kept.loc[9, "wait"] == 15   # across midnight
    assert kept.loc[9, "weekday"] == 0  # 4 March 2024 was a Monday


@pytest.mark.parametrize("change, field, words", [
    ({"columns": {**MAPPING["columns"], "queue_exit": "q_exit"}}, "columns.queue_exit", "no column 'q_exit'"),
    ({"columns": {**MAPPING["columns"], "wait": "q_out"}}, "columns.wait", "unknown field"),
    ({"time_format": "%H.%M.%S"}, "columns.queue_entry", "row 2: '08:00:00'"),
    ({"date": {"column": "day", "format": "%d/%m/%Y"}}, "date.format", "row 2"),
    ({"outcomes": {"served": ["OK"], "abandoned": ["OK"]}}, "outcomes.abandoned", "also listed"),
    ({"outcomes": {"served": ["OK"]}}, "outcomes.abandoned", "required"),
    ({"arrival": "service_end_time"}, "arrival", "not a time field"),
    ({"separator": ";;"}, "separator", "one character"),
    ({"colums": {}}, "colums", "unknown field"),
    ({"priority_levels": {"2": 12}}, "priority_levels.2", "0 to 9"),
])
def test_wrong_mapping_names_the_field(tmp_path, change, field, words):
    with pytest.raises(MappingError) as err:
        toy_log(tmp_path, **change)
    assert f"toy.yaml: {field}:" in str(err.value) and words in str(err.value)


HOSTILE_VALUES = [None, [], {}, [[1]], {"a": {"b": 1}}, 2**63, -1, float("nan"), float("inf"), True, "",
                  "x" * 100_000, "%", "\n", '"', [None]]


def mapping_paths(data, path=()):
    """Every key and list index path of a mapping's data."""
    yield path
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        yield from mapping_paths(value, path + (key,))


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=repr)
def test_a_hostile_value_anywhere_in_the_shipped_mapping_is_a_mapping_error(value):
    """Every field of bank.yaml, replaced by each hostile value: a valid mapping or a MappingError
    naming a field, never another exception; a value that is not text nor a number is refused."""
    base = yaml.safe_load((SHIPPED / "bank.yaml").read_text())
    for path in list(mapping_paths(base))[1:]:
        data = copy.deepcopy(base)
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        try:
            mapping = mapping_from_dict(data, "bank.yaml")
        except MappingError as err:
            assert "bank.yaml: " in str(err), str(err)
            continue
        assert mapping.separator not in '"\r\n', path
        texts = [mapping.name, mapping.date_column, *mapping.missing_times, *mapping.no_agent,
                 *(v for values in mapping.outcomes.values() for v in values)]
        assert not any(t == "None" or t == "True" or t[:1] in "[{" for t in texts if t), (path, texts)


def test_shipped_mapping_by_name_and_unknown_name():
    assert load_mapping("bank").columns["queue_entry"] == "q_start"
    with pytest.raises(MappingError, match="no shipped mapping"):
        load_mapping("no_such_mapping")


# ---------------------------------------------------------------- Kaplan-Meier, MLE
def test_kaplan_meier_hand_case():
    # times 1 2 2+ 3 4+ 5 (+ censored); at t=2 the censored caller is still at risk
    km = kaplan_meier([1, 2, 2, 3, 4, 5], [1, 1, 0, 1, 0, 1])
    assert list(km.times) == [1, 2, 3, 5]
    assert list(km.at_risk) == [6, 5, 3, 1] and list(km.events) == [1, 1, 1, 1]
    expected = [5 / 6, 5 / 6 * 4 / 5, 5 / 6 * 4 / 5 * 2 / 3, 0.0]
    assert km.survival == pytest.approx(expected, rel=1e-15, abs=1e-15)
    # Greenwood: var S(t) = S(t)^2 sum d / (n (n - d))
    assert km.se[0] == pytest.approx(5 / 6 * math.sqrt(1 / 30), rel=1e-14)
    assert km.se[1] == pytest.approx(2 / 3 * math.sqrt(1 / 30 + 1 / 20), rel=1e-14)
    assert km.se[2] == pytest.approx(4 / 9 * math.sqrt(1 / 30 + 1 / 20 + 1 / 6), rel=1e-14)
    assert km.at([0.5, 1, 2.5, 4.9, 6]) == pytest.approx([1, 5 / 6, 2 / 3, 4 / 9, 0])
    assert km.median() == 3


def test_kaplan_meier_without_censoring_is_the_empirical_survival():
    t = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
    km = kaplan_meier(t, np.ones(len(t), bool))
    assert km.survival == pytest.approx([np.mean(t > x) for x in km.times], abs=1e-15)


def test_censored_exponential_is_the_closed_form():
    t = np.array([10.0, 20, 30, 40, 50, 60])
    events = np.array([1, 0, 1, 0, 1, 1], bool)
    fit = fit_family("exponential", t, events)
    assert fit.params["mean"] == pytest.approx(t.sum() / 4, rel=1e-12)
    low, high = fit.ci["mean"]  # Fisher information of log(mean): the number of events
    assert low == pytest.approx(t.sum() / 4 * math.exp(-Z95 / 2), rel=1e-5)
    assert high == pytest.approx(t.sum() / 4 * math.exp(Z95 / 2), rel=1e-5)


@pytest.mark.parametrize("family, truth, draw", [
    ("lognormal", {"mean": 180.0, "cv": 0.9}, lambda r, n: r.lognormal(np.log(180 / math.sqrt(1.81)),
                                                                       math.sqrt(math.log(1.81)), n)),
    ("gamma", {"mean": 240.0, "cv": 0.7}, lambda r, n: r.gamma(1 / 0.49, 240 * 0.49, n)),
    ("weibull", {"shape": 1.4, "scale": 200.0}, lambda r, n: 200 * r.weibull(1.4, n)),
])
def test_complete_mle_covers_the_truth_and_aic_picks_the_family(family, truth, draw):
    from ccsim.calllog.distributions import HANDLE_FAMILIES, fit_best

    rng = np.random.default_rng(11)
    hits, picked = 0, 0
    for _ in range(20):
        best, fits = fit_best(draw(rng, 3000), HANDLE_FAMILIES)
        fit = fits[family]
        hits += all(fit.ci[k][0] <= v <= fit.ci[k][1] for k, v in truth.items())
        picked += best.family == family
    # each CI is 95 %: both parameters inside in at least 15 of 20 samples (P(fail) < 1 %
    # even if the two were independent); AIC picks the true family most of the time
    assert hits >= 15 and picked >= 15


def test_hazard_of_exponential_patience_is_flat():
    rng = np.random.default_rng(5)
    patience, wait = rng.exponential(100, 20000), rng.exponential(80, 20000)
    h = hazard(np.minimum(patience, wait), patience <= wait, width=30, horizon=180)
    assert np.all((h.low <= 0.01) & (0.01 <= h.high))


# ---------------------------------------------------------------- busyness
def test_busyness_ci_covers_the_truth():
    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(7), 4)   # four weeks
    mean = np.array([1500, 1600, 1550, 1400, 500, 200, 1500], float)
    hits = 0
    for _ in range(100):
        factor = rng.gamma(1 / 0.15 ** 2, 0.15 ** 2, len(groups))
        counts = rng.poisson(mean[groups] * factor)
        _, (low, high) = busyness(counts, groups)
        hits += low <= 0.15 <= high
    assert hits >= 88  # a 95 % interval: P(88 or fewer of 100) < 1 %


def test_busyness_of_poisson_days_is_small():
    rng = np.random.default_rng(4)
    groups = np.repeat(np.arange(7), 4)
    cv, (low, _) = busyness(rng.poisson(1000, len(groups)), groups)
    assert low == 0.0 and cv < 0.05


# ---------------------------------------------------------------- fit and ccsim fit on the bank log
@pytest.fixture(scope="module")
def bank_fit(bank):
    return fit_log(bank, FitOptions())


def test_bank_fit_scenario_validates_and_runs(bank_fit):
    scenario = bank_fit.scenario()
    model = validate_scenario(scenario)
    assert {t.name for t in model.call_types} == {"IN", "NE", "NW", "PE", "PS", "TT"}
    assert len(scenario["call_types"][0]["patience"]) >= 2
    short = {**scenario, "horizon": 86400}
    result = simulate(short, seed=3)
    assert result.kpis()["offered"] > 500


def test_bank_fit_facts(bank_fit):
    ps = bank_fit.types["PS"]
    # the log's own counts: calls per type and a week profile of 7 x 48 slots
    assert ps.calls == 21_152 and ps.arrivals.rate.shape == (7, 48)
    assert ps.arrivals.counts.sum() == ps.calls and list(ps.arrivals.exposure_days) == [4] * 7
    # a censored patience estimate is far above the abandoners' mean wait (the naive, biased one)
    assert ps.patience.ci["mean"][0] > 3 * ps.naive_patience_mean
    assert ps.priorities[1] == pytest.approx(0.36, abs=0.01)
    assert 5 <= bank_fit.staffing.max() <= 25  # the bank had about ten agents on duty at the peak


def test_ccsim_fit_end_to_end(tmp_path):
    out, page, rows = tmp_path / "bank.yaml", tmp_path / "fit.html", tmp_path / "excluded.csv"
    done = CliRunner().invoke(cli, ["fit", str(BANK), "--mapping", "bank", "-o", str(out), "--html", str(page),
                                    "--exclusions", str(rows)])
    assert done.exit_code == 0, done.output
    assert "phantom call (rows 109, 553" in done.output and "Kaplan-Meier median" in done.output
    scenario = load_scenario(out)
    # per call type an entry for the callers reaching the queue and one for the IVR hang-ups
    assert sorted(e.name for e in scenario.entries)[:2] == ["IN_ivr_hangup", "IN_line"]
    assert len(scenario.entries) == 12 and scenario.agents[0].shifts
    html = page.read_text()
    assert "patience survival" in html and "Q-Q" in html
    assert len(rows.read_text().splitlines()) == 1 + 449
    run = CliRunner().invoke(cli, ["validate", str(out)])
    assert run.exit_code == 0 and "6 call types" in run.output


def test_ccsim_fit_bad_mapping_is_exit_2(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("separator: \"\\t\"\ncolumns: {outcome: outcome, arrival: q_strat}\n"
                       "date: {column: date, format: '%y%m%d'}\noutcomes: {served: [AGENT], abandoned: [HANG]}\n")
    done = CliRunner().invoke(cli, ["fit", str(BANK), "--mapping", str(mapping), "-o", str(tmp_path / "x.yaml")])
    assert done.exit_code == 2
    assert "columns.arrival" in done.output and "'q_strat'" in done.output and "Traceback" not in done.output
    assert not (tmp_path / "x.yaml").exists()


def test_ccsim_fit_never_writes_over_its_mapping_or_one_output_over_another(tmp_path):
    """-o m.yaml, where m.yaml is the --mapping file, replaced the mapping with the fitted scenario;
    -o and --html at one path wrote the page over the scenario. Both refused before the fit."""
    mapping = tmp_path / "m.yaml"
    text = "separator: \"\\t\"\ncolumns: {outcome: outcome}\n"
    mapping.write_text(text)
    done = CliRunner().invoke(cli, ["fit", str(BANK), "--mapping", str(mapping), "-o", str(mapping)])
    assert done.exit_code == 2 and f"-o {mapping} is the mapping {mapping}; writing there" in done.output
    assert mapping.read_text() == text
    both = tmp_path / "fit.html"
    done = CliRunner().invoke(cli, ["fit", str(BANK), "--mapping", "bank", "-o", str(both), "--html", str(both)])
    assert done.exit_code == 2 and f"--html {both} is also where -o writes" in done.output, done.output
    assert not both.exists()


def test_ccsim_fit_min_calls_is_the_fewest_values_a_period_is_fitted_from(tmp_path):
    """The option the report names: fewer --min-calls, fewer periods of the day take the day's fit."""
    import re

    def periods_on_the_day_fit(*option) -> dict:
        """Per call type fitted by the hour, how many hours take the day's fit."""
        done = CliRunner().invoke(cli, ["fit", str(BANK), "--mapping", "bank", "-o", str(tmp_path / "x.yaml"),
                                        *option])
        assert done.exit_code == 0, done.output
        out = {}
        for section in re.split(r"^call type ", done.output, flags=re.M)[1:]:
            n = re.search(r"(\d+) periods with fewer calls than --min-calls", section)
            if n:
                out[section.split(":")[0]] = int(n.group(1))
        return out

    default, fewer, more = periods_on_the_day_fit(), periods_on_the_day_fit("--min-calls", "10"), \
        periods_on_the_day_fit("--min-calls", "40")
    both = set(default) & set(fewer) & set(more)
    assert len(both) >= 4
    assert all(fewer[k] <= default[k] <= more[k] for k in both)
    assert sum(fewer[k] for k in both) < sum(default[k] for k in both) < sum(more[k] for k in both)
    assert default == periods_on_the_day_fit("--min-calls", "20")  # its default, as --help says
    done = CliRunner().invoke(cli, ["fit", str(BANK), "--mapping", "bank", "-o", str(tmp_path / "y.yaml"),
                                    "--min-calls", "3"])
    assert done.exit_code == 2 and "--min-calls" in done.output and not (tmp_path / "y.yaml").exists()


@pytest.mark.parametrize("option", ["--short-abandon", "--idle-cap"])
@pytest.mark.parametrize("value", ["nan", "inf", "-1", "1e10", "soon"])
def test_ccsim_fit_seconds_options_are_finite_and_bounded(tmp_path, option, value):
    done = CliRunner().invoke(cli, ["fit", str(BANK), "--mapping", "bank", "-o", str(tmp_path / "x.yaml"),
                                    option, value])
    assert done.exit_code == 2 and option in done.output and "Traceback" not in done.output, done.output
    assert not (tmp_path / "x.yaml").exists()


def test_ccsim_fit_strict_names_the_bad_rows(tmp_path):
    import yaml

    log, mapping = tmp_path / "toy.csv", tmp_path / "toy.yaml"
    log.write_text(TOY)
    mapping.write_text(yaml.safe_dump(MAPPING))
    done = CliRunner().invoke(cli, ["fit", str(log), "--mapping", str(mapping), "-o", str(tmp_path / "x.yaml"),
                                    "--strict"])
    assert done.exit_code == 2 and "Traceback" not in done.output
    assert "1 unparsable time (row 5: q_in 8:61:00)" in done.output
    assert "1 end before start (row 4: s_out before s_in)" in done.output
    assert "phantom" not in done.output


def test_log_file_errors(tmp_path):
    from ccsim.calllog import LogError

    with pytest.raises(LogError, match="no such file"):
        read_log(tmp_path / "none.csv", mapping_from_dict(MAPPING))
    (tmp_path / "semi.csv").write_text(TOY.replace(",", ";"))
    with pytest.raises(MappingError, match="its header holds ';': set separator"):
        read_log(tmp_path / "semi.csv", mapping_from_dict(MAPPING))
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(LogError, match="not a table"):
        read_log(tmp_path / "empty.csv", mapping_from_dict(MAPPING))


def test_a_day_of_log_cannot_make_a_week(tmp_path):
    from ccsim.calllog.fit import FitError

    with pytest.raises(FitError, match="at least 7 days"):
        fit_log(toy_log(tmp_path), FitOptions(profile="week"))
    with pytest.raises(FitError, match="does not divide a day"):
        fit_log(toy_log(tmp_path), FitOptions(slot=7000))


@pytest.mark.parametrize("value, level", [
    ("vip", 7), ("3", 3), ("09", 9), ("0", 0), ("10", 0), ("", 0), ("gold", 0),
    ("²", 0), ("٣", 0), ("1" * 5000, 0), ("-1", 0), (" 2", 0),
])
def test_a_logs_priority_maps_to_a_level_without_crashing_on_odd_digits(value, level):
    """The mapping's priority_levels first, else a whole number 0-9 in ASCII digits, else 0: a
    superscript or non-Latin digit ("²".isdigit() is true, int("²") raises) or a 5000-digit value
    (past Python's int() limit) is a level 0, not a ValueError."""
    mapping = mapping_from_dict({**MAPPING, "priority_levels": {"vip": 7}}, "toy.yaml")
    assert mapping.priority_level(value) == level


def test_a_log_with_odd_priority_values_fits_and_replays(tmp_path):
    """The fit's priority shares and the replay's per-call levels read the same mapping: a
    superscript digit in the log's priority column is level 0 in both (it raised ValueError)."""
    from ccsim.calllog.fit import _priorities
    from ccsim.calllog.replay import priority_levels

    rows = TOY.splitlines()
    text = "\n".join([rows[0] + ",prio"] + [row + ("," + ("²", "vip", "3")[i % 3]) for i, row in
                                            enumerate(rows[1:])]) + "\n"
    log = toy_log(tmp_path, text, columns={**MAPPING["columns"], "priority": "prio"}, priority_levels={"vip": 7})
    levels = priority_levels(log.calls, log)
    expected = [{"²": 0, "vip": 7, "3": 3}[p] for p in log.calls["priority"]]
    assert list(levels) == expected and set(levels) <= {0, 3, 7}
    shares = _priorities(log.calls, log)
    assert sum(shares.values()) == pytest.approx(1.0) and set(shares) <= {0, 3, 7}


@pytest.mark.parametrize("n", [1, 7, 250])
def test_reached_queue_interval_is_wilsons(n):
    """The share of callers reaching the queue gets the Wilson score interval: at k = n its
    low end is n / (n + z^2), at k = 0 its high end z^2 / (n + z^2) (closed forms)."""
    from ccsim.calllog.fit import _wilson

    z2 = Z95 ** 2
    assert _wilson(n, n) == pytest.approx((n / (n + z2), 1.0), rel=1e-12)
    assert _wilson(0, n) == pytest.approx((0.0, z2 / (n + z2)), rel=1e-12, abs=1e-15)
    low, high = _wilson(n // 2, n)
    assert low < (n // 2) / n < high or n == 1


def test_a_log_spanning_years_is_refused_naming_its_first_and_last_rows(tmp_path):
    """A row dated decades off (a typo) made the fit allocate per-second arrays over the whole span:
    16 GiB for one row in 2068, a MemoryError. A log may span MAX_LOG_DAYS days."""
    from ccsim.calllog import LogError
    from ccsim.calllog.reader import MAX_LOG_DAYS

    text = TOY.replace("2,a,2024-03-04,", "2,a,2068-12-31,")  # the abandoned call 2, on line 3
    with pytest.raises(LogError) as caught:
        toy_log(tmp_path, text)
    message = str(caught.value)
    assert f"more than {MAX_LOG_DAYS} days" in message
    assert "from row 2 (2024-03-04) to row 3 (2068-12-31)" in message, message
    # 2024 is a leap year: day 366 (a call a week through the year: a lone row a year off is refused
    # for its gap, tests/test_calllog_hostile.py)
    weekly = "".join(f"{100 + k},b,{datetime.date(2024, 3, 4) + datetime.timedelta(days=7 * k)},09:00:00,"
                     "09:00:03,09:00:03,09:01:00,OK,ann\n" for k in range(1, 53))
    within = TOY.replace("2,a,2024-03-04,", "2,a,2025-03-04,") + weekly
    assert MAX_LOG_DAYS == 366 and toy_log(tmp_path, within).days == 366


def test_an_infinite_time_is_an_unparsable_time(tmp_path):
    """In a log of plain seconds "inf" is a number to pandas: it reached the fit's arrays (a
    ValueError about negative repeats); it is an excluded row now."""
    mapping = {"name": "sec", "time_format": "seconds", "missing_times": [""],
               "columns": {"call_id": "id", "call_type": "type", "outcome": "result", "queue_entry": "q_in",
                           "service_start": "s_in", "service_end": "s_out"},
               "arrival": "queue_entry", "outcomes": {"served": ["OK"], "abandoned": ["HANG"]}}
    text = "id,type,q_in,s_in,s_out,result\n1,a,10,12,100,OK\n2,a,20,25,inf,OK\n3,a,30,31,90,OK\n"
    (tmp_path / "sec.csv").write_text(text)
    log = read_log(tmp_path / "sec.csv", mapping_from_dict(mapping, "sec.yaml"))
    assert list(log.calls["row"]) == [2, 4]
    assert list(log.excluded["reason"]) == ["unparsable time"] and list(log.excluded["row"]) == [3]


@pytest.mark.parametrize("field, value, words", [
    ("time_format", "%Q%!", "'%Q%!' is not a strftime format: 'Q' is a bad directive"),
    ("time_format", "%", "is not a strftime format: stray %"),
    ("time_format", "%H%H:%M", "is not a strftime format: a directive is given twice"),
    ("date", {"column": "day", "format": "%Q"}, "date.format: '%Q' is not a strftime format"),
])
def test_a_format_python_cannot_read_is_refused_with_the_mapping(field, value, words):
    """These failed deep in pandas' date parser (an internal ValueError or re.error)."""
    from ccsim.calllog import MappingError

    with pytest.raises(MappingError) as caught:
        mapping_from_dict({**MAPPING, field: value}, "m.yaml")
    assert words in str(caught.value), str(caught.value)


def test_unreadable_mapping_and_log_files_are_user_errors(tmp_path, monkeypatch):
    """A mapping not in UTF-8, a folder given as the mapping or the log: internal errors before."""
    from ccsim.calllog import LogError, MappingError, load_mapping

    bad = tmp_path / "m.yaml"
    bad.write_bytes(b"name: x\xe9\n")
    with pytest.raises(MappingError, match="not a text file in UTF-8"):
        load_mapping(bad)
    with pytest.raises(MappingError, match="a folder, not a mapping file"):
        load_mapping(tmp_path)
    with pytest.raises(LogError, match="cannot be read"):
        read_log(tmp_path, mapping_from_dict(MAPPING))
    (tmp_path / "bank").mkdir()  # a folder named like a shipped mapping does not hide it
    monkeypatch.chdir(tmp_path)
    assert load_mapping("bank").name == load_mapping(Path(__file__).parents[1] / "ccsim" / "calllog" / "mappings"
                                                     / "bank.yaml").name


def test_a_degenerate_log_is_blamed_not_the_output_file(tmp_path):
    """A log whose handle times are all equal fits a distribution of no spread, which the scenario
    refuses: the message blamed 'invalid scenario OUT' (a file never written) and named no log."""
    mapping = {"name": "sec", "time_format": "seconds", "missing_times": [""],
               "columns": {"call_id": "id", "call_type": "type", "outcome": "result", "queue_entry": "q_in",
                           "service_start": "s_in", "service_end": "s_out"},
               "arrival": "queue_entry", "outcomes": {"served": ["OK"], "abandoned": ["HANG"]}}
    rows = "".join(f"{i},a,{100 * i},{100 * i + 5},{100 * i + 65},OK\n" for i in range(1, 60))
    (tmp_path / "log.csv").write_text("id,type,q_in,s_in,s_out,result\n" + rows)
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(mapping))
    out = tmp_path / "s.yaml"
    done = CliRunner().invoke(cli, ["fit", str(tmp_path / "log.csv"), "--mapping", str(tmp_path / "m.yaml"),
                                    "-o", str(out)])
    assert done.exit_code == 2 and "Traceback" not in done.output, done.output
    assert f"the scenario fitted from {tmp_path / 'log.csv'} is not one ccsim can run" in done.output
    assert "handle_time" in done.output and "degenerate" in done.output and not out.exists()
    assert "invalid scenario" not in done.output


@pytest.mark.parametrize("command", ["replay", "validate-fit"])
def test_a_log_with_no_call_to_compare_with_is_refused(tmp_path, command):
    """A header-only log became a run of horizon 0: 'invalid scenario bank_fitted.yaml: horizon'
    (a field the file does not have)."""
    header = BANK.read_text().splitlines()[0]
    (tmp_path / "log.tsv").write_text(header + "\n")
    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "bank_fitted.yaml"
    done = CliRunner().invoke(cli, [command, str(tmp_path / "log.tsv"), "--mapping", "bank", "--scenario",
                                    str(scenario), "--reps", "2"])
    assert done.exit_code == 2 and "no call to compare with (0 rows, 0 excluded)" in done.output, done.output
    assert "invalid scenario" not in done.output


def test_a_mapping_name_is_a_name(tmp_path):
    """It names the fitted scenario: 200,000 characters were refused as the output's name field."""
    from ccsim.calllog import MappingError

    with pytest.raises(MappingError, match="name: at most 200 characters, found 200,000"):
        mapping_from_dict({**MAPPING, "name": "n" * 200_000}, "m.yaml")


def test_a_mapping_with_no_served_value_is_refused():
    """served: [] was accepted: no row could be a served call."""
    with pytest.raises(MappingError, match="outcomes.served: list at least one"):
        mapping_from_dict({**MAPPING, "outcomes": {"served": [], "abandoned": ["HANG"]}}, "m.yaml")


def test_a_log_where_no_call_was_served_is_refused_not_fitted_to_nobody(tmp_path):
    """A log of abandoned calls only (or a mapping whose served outcomes match nothing) gave a
    scenario of 0 agents available and no handle time, silently (exit 0)."""
    import pandas as pd

    raw = pd.read_csv(BANK, sep="\t", dtype=str, nrows=20000)
    log = tmp_path / "hang.tsv"
    raw[raw["outcome"] == "HANG"].to_csv(log, sep="\t", index=False)
    out = tmp_path / "x.yaml"
    done = CliRunner().invoke(cli, ["fit", str(log), "--mapping", "bank", "-o", str(out)])
    assert done.exit_code == 2, done.output
    assert "no call left after the exclusions was served by an agent (outcomes mapped as served: AGENT)" in done.output
    assert not out.exists() and "Traceback" not in done.output
