"""Per-call-type service-level thresholds and extra thresholds reported at once: the scenario
fields, both engines (bit-identical), the counts against the call records, and the tables."""
import copy

import numpy as np
import pytest
from engine_checks import RAW_ARRAYS, assert_refused, assert_same_run, run
from factories import two_call_types

import ccsim
from ccsim.compile import compile_scenario
from ccsim.results import CALL_FIELDS, service_level_table
from ccsim.scenario import validate_scenario

THRESHOLDS = [30, 0, 10, 60, 5]


def with_thresholds(sales_threshold=0.0, thresholds=THRESHOLDS) -> dict:
    s = two_call_types(sales_agents=50, horizon=3600)
    s["service_level"]["thresholds"] = thresholds
    s["call_types"][0]["service_level_threshold"] = sales_threshold
    return s


def test_compiled_thresholds():
    m = compile_scenario(validate_scenario(with_thresholds(5.0)))
    assert m.type_thresholds().tolist() == [5.0, 20.0]  # service keeps the scenario-wide 20 s
    assert m.sl_thresholds.tolist() == [0.0, 5.0, 10.0, 30.0, 60.0]  # ascending
    plain = compile_scenario(validate_scenario(two_call_types()))
    assert plain.type_thresholds().tolist() == [20.0, 20.0] and len(plain.sl_thresholds) == 0


@pytest.mark.parametrize("change, path, words", [
    (lambda s: s["service_level"].update(thresholds=[10, 20, 10]), "service_level.thresholds[2]", "threshold 10 s is listed twice"),
    (lambda s: s["service_level"].update(thresholds=list(range(9))), "service_level.thresholds", "at most 8"),
    (lambda s: s["service_level"].update(thresholds=[-1]), "service_level.thresholds[0]", "greater than or equal"),
    (lambda s: s["call_types"][1].update(service_level_threshold=-5), "call_types[1].service_level_threshold",
     "greater than or equal"),
])
def test_bad_thresholds_are_refused_with_their_path(change, path, words):
    s = two_call_types()
    change(s)
    assert_refused(s, path, words)


def test_engines_agree_bit_for_bit_with_thresholds():
    core, ref = run(with_thresholds(), "core"), run(with_thresholds(), "simpy")
    assert_same_run(core, ref)
    assert core.total_within.shape == (2, 5) and core.interval_within.shape == (4, 2, 5)
    assert core.total_within[:, -1].sum() > core.total_within[:, 0].sum() > 0


def test_counts_match_the_call_records():
    """answered_in_sl at each type's own threshold and answered_within at every extra one are the
    answered calls (post-warm-up arrivals) with wait <= that threshold."""
    stats = run(with_thresholds(5.0), "core")
    calls = stats.call_records
    answered = calls[(calls["outcome"] == 0) & (calls["arrival"] >= 900)]
    thresholds = sorted(THRESHOLDS)
    for k, own in enumerate([5.0, 20.0]):
        waits = answered["wait"][answered["call_type"] == k]
        assert stats.total_calls[k, CALL_FIELDS.index("answered_in_sl")] == (waits <= own).sum()
        assert stats.total_within[k].tolist() == [(waits <= t).sum() for t in thresholds]
    # per interval, the same counts summed over the post-warm-up intervals (interval 900 s)
    np.testing.assert_array_equal(stats.interval_within[1:].sum(axis=0), stats.total_within)


def test_without_the_new_fields_nothing_changes():
    """A type's own threshold equal to the scenario-wide one, or extra thresholds, change no
    other counter: the run is the one without them."""
    plain = run(two_call_types(sales_agents=50, horizon=3600), "core")
    same = copy.deepcopy(two_call_types(sales_agents=50, horizon=3600))
    same["call_types"][0]["service_level_threshold"] = 20
    same["service_level"]["thresholds"] = [20, 45]
    other = run(same, "core")
    for name in RAW_ARRAYS:
        if name not in ("interval_within", "total_within"):
            np.testing.assert_array_equal(getattr(plain, name), getattr(other, name), err_msg=name)
    assert plain.total_within.shape == (2, 0)
    sl = CALL_FIELDS.index("answered_in_sl")
    assert other.total_within[:, 0].tolist() == plain.total_calls[:, sl].tolist()


def test_threshold_zero_is_answered_at_once():
    result = ccsim.simulate(with_thresholds(0.0), seed=3)
    f = dict(zip(CALL_FIELDS, result.stats.total_calls[0]))
    calls = ccsim.simulate(with_thresholds(0.0), seed=3, call_records=True).stats.call_records
    at_once = ((calls["outcome"] == 0) & (calls["wait"] == 0) & (calls["call_type"] == 0)
               & (calls["arrival"] >= 900)).sum()
    assert result.kpis_by_call_type()["sales"]["service_level"] == at_once / f["offered"]


def test_service_level_tables():
    results = ccsim.replicate(with_thresholds(), 3, seed=5)
    frame = results[0].service_levels()
    assert list(frame.index.get_level_values("call_type").unique()) == ["sales", "service", "all"]
    assert list(frame.index.get_level_values("threshold").unique()) == [0.0, 5.0, 10.0, 30.0, 60.0]
    s = results[0].stats
    offered = s.total_calls[:, CALL_FIELDS.index("offered")]
    assert frame.loc[("all", 10.0), "service_level"] == s.total_within[:, 2].sum() / offered.sum()
    table = service_level_table(results)
    assert list(table.columns) == ["mean", "ci_halfwidth"] and table["ci_halfwidth"].notna().all()
    assert results[0].service_levels().shape == (15, 1)
    assert ccsim.simulate(two_call_types()).service_levels().empty


def test_answered_denominator_applies():
    s = with_thresholds()
    s["service_level"]["denominator"] = "answered"
    r = ccsim.simulate(s, seed=2)
    answered = r.stats.total_calls[1, CALL_FIELDS.index("answered")]
    assert r.service_levels().loc[("service", 60.0), "service_level"] == r.stats.total_within[1, 4] / answered


def test_cli_run_shows_thresholds_and_the_multi_threshold_table(tmp_path):
    import json

    import yaml
    from click.testing import CliRunner

    from ccsim.cli import cli

    path = tmp_path / "thr.yaml"
    path.write_text(yaml.safe_dump(with_thresholds(5.0)))
    out = CliRunner().invoke(cli, ["run", str(path), "--reps", "2"])
    assert out.exit_code == 0, out.output
    assert "own thresholds: sales 5 s" in out.stdout and "within 60 s" in out.stdout
    summary = json.loads(CliRunner().invoke(cli, ["run", str(path), "--reps", "2", "--json"]).stdout)
    assert summary["service_level_thresholds"] == {"sales": 5.0, "service": 20.0}
    results = ccsim.replicate(with_thresholds(5.0), 2, seed=1)
    cell = summary["service_levels"]["all"]["30"]
    want = service_level_table(results).loc[("all", 30.0)]
    assert (cell["mean"], cell["ci_halfwidth"]) == pytest.approx((want["mean"], want["ci_halfwidth"]))
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump(two_call_types()))
    out = CliRunner().invoke(cli, ["run", str(plain)])
    assert out.exit_code == 0 and "several thresholds" not in out.stdout


def test_html_report_shows_own_thresholds_and_the_multi_threshold_table():
    from ccsim.experiment.records import Point, StudyData, record_from_result
    from ccsim.report.html import render_html
    from ccsim.scenario import scenario_to_dict

    scenario = validate_scenario(with_thresholds(5.0))
    results = ccsim.replicate(scenario, 2, seed=4)
    records = [record_from_result(0, rep, (rep,), r) for rep, r in enumerate(results)]
    assert records[0].service_levels["all"]["60"] == results[0].service_levels().loc[("all", 60.0), "service_level"]
    data = StudyData(name="thr", kind="run", seed=4, crn=True, engine="core",
                     points=[Point(0, "thr", {}, scenario_to_dict(scenario))], records=records)
    page = render_html(data)
    assert 'id="service-levels"' in page and "within 60 s" in page and "SL within" in page
    assert "own thresholds: sales 5 s" in page
    plain = [record_from_result(0, 0, (0,), ccsim.simulate(two_call_types()))]
    data = StudyData(name="plain", kind="run", seed=1, crn=True, engine="core",
                     points=[Point(0, "plain", {}, scenario_to_dict(validate_scenario(two_call_types())))],
                     records=plain)
    assert 'id="service-levels"' not in render_html(data)
