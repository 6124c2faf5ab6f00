"""``ccsim check`` with the scenario's own ``checks:`` section, and the KPIs of the inbound
path (lost_rate, blocked_lines_rate, ivr_hang_up_rate, callers_lost_rate, callers per channel)."""
import copy
import json

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from inbound_scenarios import INBOUND, INBOUND_MEDIA, with_

import ccsim
from ccsim.check import FAIL, PASS, ExpectationError, check
from ccsim.check.expressions import parse_expectation
from ccsim.check.measures import Measure
from ccsim.cli import cli
from ccsim.results import ENTRY_FIELDS, LOST_KPI_DEFINITIONS, LOST_KPI_NAMES
from ccsim.scenario import ScenarioError, json_schema, scenario_to_dict, validate_scenario
from factories import single_queue

EXPECT = ["service_level >= 0.3", "abandon_rate[inbound] <= 0.5", "asa <= 1"]


def center():
    data = single_queue(agents=8, horizon=8000, rate=0.1, handle=60, patience=120, warmup=1000)
    data["service_level"] = {"threshold": 20}
    return data


def with_checks(data, **section):
    out = copy.deepcopy(data)
    out["checks"] = section
    return out


def write(tmp_path, data, name="plan.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def invoke(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


def verdicts(report):
    return [(o.verdict, o.mean, o.low, o.high, o.reps) for o in report.outcomes]


# ---------------------------------------------------------------- the checks: section
def test_section_is_used_like_expect_with_the_same_seed(tmp_path):
    path = write(tmp_path, with_checks(center(), expect=EXPECT))
    own = check(path, seed=5, max_reps=10)
    given = check(center(), EXPECT, seed=5, max_reps=10)
    assert verdicts(own) == verdicts(given)
    assert [o.verdict for o in own.outcomes] == [PASS, PASS, FAIL]
    assert [o.expectation.where for o in own.outcomes] == [f"{path}:{line}: checks.expect[{i}]"
                                                           for i, line in enumerate(_lines(path))]
    result = invoke("check", path, "--seed", 5, "--max-reps", 10)
    assert result.exit_code == 1, result.output
    assert "2 passed, 1 failed" in result.output


def _lines(path):
    """The file lines of the items under checks.expect (as yaml.safe_dump wrote them)."""
    text = path.read_text().splitlines()
    start = text.index("  expect:")
    return [start + 2 + k for k in range(len(EXPECT))]


def test_cli_expectations_add_to_the_section_and_can_leave_it_out(tmp_path):
    path = write(tmp_path, with_checks(center(), expect=["service_level >= 0.3"]))
    result = invoke("check", path, "--expect", "asa <= 1", "--max-reps", 10)
    assert result.exit_code == 1 and "1 passed, 1 failed" in result.output, result.output
    result = invoke("check", path, "--expect", "asa <= 1", "--no-scenario-checks", "--max-reps", 10)
    assert result.exit_code == 1 and "0 passed, 1 failed" in result.output, result.output
    result = invoke("check", path, "--no-scenario-checks")
    assert result.exit_code == 2 and "nothing to check" in result.stderr


def test_section_options_are_defaults_the_cli_overrides(tmp_path):
    path = write(tmp_path, with_checks(center(), expect=["asa >= 0"], alpha=0.1, min_reps=3, max_reps=12))
    report = check(path)
    assert report.alpha == 0.1 and report.looks == [3, 6, 12]
    report = check(path, alpha=0.2, max_reps=6)
    assert report.alpha == 0.2 and report.looks == [3, 6]
    assert check(center(), ["asa >= 0"]).looks == [5, 10, 20, 40, 80]


@pytest.mark.parametrize("bad, words", [
    ("nps >= 3", ["unknown KPI 'nps'"]),
    ("service_level >= 80", ["outside its range"]),
    ("service_level[sales] >= 0.8", ["no call type named 'sales'"]),
])
def test_bad_expression_in_the_section_names_its_index_and_line(tmp_path, bad, words):
    path = write(tmp_path, with_checks(center(), expect=["service_level >= 0.3", bad]))
    line = path.read_text().splitlines().index(f"  - {yaml.safe_dump(bad).splitlines()[0]}") + 1
    for command in ("check", "validate"):  # ccsim validate reads the section as check does (check.md)
        result = invoke(command, path)
        assert result.exit_code == 2, result.output
        assert f"{path}:{line}: checks.expect[1]" in result.stderr, result.stderr
        assert "Traceback" not in result.output
        for word in words:
            assert word in result.stderr
    assert invoke("run", path).exit_code == 0  # run checks the structure only


def test_section_survives_validate_and_run_ignores_it(tmp_path):
    plain = write(tmp_path, center(), "plain.yaml")
    path = write(tmp_path, with_checks(center(), expect=EXPECT, alpha=0.1))
    result = invoke("validate", path)
    assert result.exit_code == 0, result.output
    outputs = []
    for file in (plain, path):
        result = invoke("run", file, "--reps", 2, "--json")
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(result.stdout))
    assert outputs[0]["kpis"] == outputs[1]["kpis"]
    a, b = ccsim.simulate(center(), seed=3), ccsim.simulate(with_checks(center(), expect=EXPECT), seed=3)
    assert a.kpis() == b.kpis()


def test_section_structure_is_validated():
    for section, path, words in [
        ({"expect": []}, "checks.expect", "at least 1"),
        ({"expect": [3]}, "checks.expect[0]", "expected text"),
        ({"expect": ["asa >= 0"], "alpha": 0.5}, "checks.alpha", "less than 0.5"),
        ({"expect": ["asa >= 0"], "alpha": 0}, "checks.alpha", "greater than or equal to 1e-09"),
        # a look's level 1 - alpha/(2 K m) rounded to 1: an internal error of the t quantile before
        ({"expect": ["asa >= 0"], "alpha": 1e-17}, "checks.alpha", "greater than or equal to 1e-09"),
        ({"expect": ["asa >= 0"], "max_reps": 1}, "checks.max_reps", "greater than or equal to 2"),
        ({"expect": ["asa >= 0"], "min_reps": 10, "max_reps": 6}, "checks.max_reps", "at least min_reps"),
        ({"expect": ["asa >= 0"], "seed": 3}, "checks.seed", "unknown key"),
    ]:
        with pytest.raises(ScenarioError) as info:
            validate_scenario(with_checks(center(), **section))
        assert f"{path}: " in str(info.value) and words in str(info.value), str(info.value)


def test_section_in_the_editor_schema_and_round_trips():
    schema = json_schema()
    assert schema["properties"]["checks"]
    assert set(schema["$defs"]["Checks"]["properties"]) == {"expect", "alpha", "min_reps", "max_reps"}
    data = with_checks(center(), expect=EXPECT, max_reps=20)
    assert validate_scenario(scenario_to_dict(validate_scenario(data))) == validate_scenario(data)


def test_overrides_of_the_section_are_validated_not_crashing():
    from ccsim.experiment.overrides import OverrideError, apply_and_validate

    data = with_checks(center(), expect=EXPECT)
    assert apply_and_validate(data, {"checks.alpha": 0.1})["checks"]["alpha"] == 0.1
    assert apply_and_validate(center(), {"checks.expect": ["asa >= 0"]})["checks"]["expect"] == ["asa >= 0"]
    with pytest.raises(OverrideError, match="checks.alpha"):
        apply_and_validate(data, {"checks.alpha": 2})


def test_compare_accepts_scenarios_with_the_section(tmp_path):
    a = write(tmp_path, with_checks(center(), expect=EXPECT), "a.yaml")
    b = write(tmp_path, center(), "b.yaml")
    result = invoke("compare", a, b, "--reps", 2, "--store", tmp_path / "compare.sqlite")
    assert result.exit_code == 0, result.output


def test_sweep_runs_a_scenario_with_the_section(tmp_path):
    path = write(tmp_path, with_checks(center(), expect=EXPECT))
    result = invoke("sweep", path, "--grid", "agents.team.count=8..9", "--grid", "checks.alpha=[0.05,0.1]",
                    "--reps", 2, "--workers", 1, "--store", tmp_path / "sweep.sqlite", "--json")
    assert result.exit_code == 0, result.output
    result = invoke("sweep", path, "--grid", "checks.alpha=[0.7]", "--reps", 2, "--workers", 1,
                    "--store", tmp_path / "bad.sqlite")
    assert result.exit_code == 2 and "checks.alpha" in result.stderr and "Traceback" not in result.output


def test_baseline_section_is_ignored(tmp_path):
    old = write(tmp_path, with_checks(center(), expect=["asa <= 0.001"]), "old.yaml")
    new = write(tmp_path, center(), "new.yaml")
    result = invoke("check", new, "--baseline", old, "--expect", "service_level: no worse than -0.01")
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------- lost-call KPIs
def measured(expression, data, seed):
    result = ccsim.simulate(data, seed=seed)
    measure = Measure(parse_expectation(expression), result.model, scenario=validate_scenario(data))
    (value,) = measure.values(result)
    return value, result


@pytest.mark.parametrize("seed", [1, 2])
def test_lost_call_kpis_are_the_results_breakdown(seed):
    lost = ccsim.simulate(INBOUND, seed=seed).lost_calls()
    entries = ccsim.simulate(INBOUND, seed=seed).stats.total_entries[:, ENTRY_FIELDS.index("arrived")].sum()
    expected = {
        "lost_rate": lost["lost"] / lost["attempts"],
        "blocked_lines_rate": lost["blocked_lines"] / lost["attempts"],
        "ivr_hang_up_rate": lost["ivr_hung_up"] / entries,
        "callers_lost_rate": lost["callers_lost"] / lost["callers"],
        "callers": lost["callers"],
    }
    assert lost["lost"] == lost["blocked_lines"] + lost["blocked_queue_full"] + lost["abandoned"]
    for kpi, value in expected.items():
        got, _ = measured(f"{kpi} >= 0", INBOUND, seed)
        assert 0 < got and got == pytest.approx(value, rel=1e-12), kpi
    assert set(LOST_KPI_NAMES) == set(expected) == set(LOST_KPI_DEFINITIONS)


def test_callers_per_channel_are_the_channels_table():
    channels = ccsim.simulate(INBOUND_MEDIA, seed=4).channels()
    for name in ("organic", "tv", "web"):
        got, _ = measured(f"callers[channel={name}] >= 0", INBOUND_MEDIA, 4)
        assert got == channels.loc[name, "callers"] > 0
    row = channels.loc["tv"]
    lost = row[["abandoned", "blocked", "ivr_hung_up", "hang_up", "retry_after_horizon", "closed",
                "callback_failed"]].sum()
    got, _ = measured("callers_lost_rate[channel=tv] <= 1", INBOUND_MEDIA, 4)
    assert got == pytest.approx(lost / row["callers"], rel=1e-12)


def test_sequential_verdicts_decide_the_lost_call_kpis():
    # Each KPI is well inside (0, 1) on INBOUND (between 2 % and 35 % in a run): targets of 0.001
    # and 0.95 lie far on either side of every mean.
    kpis = ("lost_rate", "blocked_lines_rate", "ivr_hang_up_rate", "callers_lost_rate")
    report = check(INBOUND, [f"{k} <= 0.95" for k in kpis] + [f"{k} <= 0.001" for k in kpis]
                   + ["callers[channel=organic] >= 10", "lost_rate: no worse than +0.01"],
                   baseline=INBOUND, seed=2, max_reps=20)
    assert [o.verdict for o in report.outcomes] == [PASS] * 4 + [FAIL] * 4 + [PASS, PASS]
    assert all(o.reps in report.looks and o.low <= o.mean <= o.high for o in report.outcomes)


@pytest.mark.parametrize("data, expression, words", [
    (center(), "blocked_lines_rate <= 0.1", ["blocked_lines_rate", "unlimited lines"]),
    (center(), "ivr_hang_up_rate <= 0.1", ["ivr_hang_up_rate", "no entries"]),
    (with_(INBOUND, ivr=[{k: v for k, v in INBOUND["ivr"][0].items() if k != "patience"}]),
     "ivr_hang_up_rate <= 0.1", ["ivr_hang_up_rate", "patience"]),
    (center(), "callers[channel=tv] >= 1", ["no media channel named 'tv'", "'organic'"]),
])
def test_a_kpi_the_scenario_cannot_have_exits_2(tmp_path, data, expression, words):
    result = invoke("check", write(tmp_path, data), "--expect", expression)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.stderr, (word, result.stderr)
    with pytest.raises(ExpectationError):
        check(data, [expression])


@pytest.mark.parametrize("text, words", [
    ("lost_rate[sales] <= 0.1", ["whole center", "without [sales]"]),
    ("lost_rate <= 0.1 every interval 09:00-12:00", ["no per-interval values"]),
    ("lost_rate <= 10", ["fraction between 0 and 1"]),
    ("asa[channel=tv] <= 10", ["unknown KPI 'asa' for a media channel", "callers"]),
    ("callers: no worse than 1", ["no better direction"]),
])
def test_lost_call_expression_errors(text, words):
    with pytest.raises(ExpectationError) as info:
        parse_expectation(text)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_channel_scope_and_direction():
    e = parse_expectation("callers[channel=tv] >= 100")
    assert (e.kpi, e.channel, e.subject) == ("callers", "tv", "callers[channel=tv]")
    e = parse_expectation("callers_lost_rate: no worse than +0.02")
    assert (e.op, e.target) == ("<=", 0.02)
    assert np.isfinite(parse_expectation("lost_rate <= 5%").target)


def test_plugin_expect_without_arguments_checks_the_section(tmp_path):
    from ccsim.check.plugin import ScenarioCheck

    good = write(tmp_path, with_checks(center(), expect=EXPECT[:2], max_reps=10), "good.yaml")
    (report,) = ScenarioCheck(good).expect().reports
    assert [o.expectation.text for o in report.outcomes] == EXPECT[:2] and report.looks == [5, 10]
    # Given expectations are decided alone (the section is not repeated in every expect call).
    (report,) = ScenarioCheck(good).expect("asa >= 0").reports
    assert [o.expectation.text for o in report.outcomes] == ["asa >= 0"]
    bad = write(tmp_path, with_checks(center(), expect=EXPECT), "bad.yaml")
    with pytest.raises(pytest.fail.Exception, match="asa <= 1"):
        ScenarioCheck(bad).expect()
