"""``ccsim check`` end to end: verdicts against exact Erlang A values, exit codes,
JUnit XML and Markdown, checks files, baselines (paired CRN) and bad input."""
import dataclasses
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from click.testing import CliRunner

import ccsim.budget
from ccsim import analytic
from ccsim.check import FAIL, PASS, UNDECIDED, ExpectationError, check
from ccsim.cli import cli
from factories import single_queue

# Erlang A: 0.1 calls/s, 60 s handle time, 120 s patience, 8 agents; 20,000 s after a 2,000 s warm-up.
AGENTS = 8


def center(agents=AGENTS, horizon=22000):
    return single_queue(agents=agents, horizon=horizon, rate=0.1, handle=60, patience=120, warmup=2000)


def exact(agents=AGENTS):
    return analytic.erlang_a_metrics(agents, 0.1, 60, 120, 20)


@pytest.fixture
def files(tmp_path):
    import yaml

    paths = {}
    for agents in (7, 8, 9):
        data = center(agents)
        data["service_level"] = {"threshold": 20}
        paths[agents] = tmp_path / f"center{agents}.yaml"
        paths[agents].write_text(yaml.safe_dump(data))
    return paths


def invoke(*args):
    return CliRunner().invoke(cli, ["check", *map(str, args)])


def scenario_with_sl():
    data = center()
    data["service_level"] = {"threshold": 20}
    return data


def test_verdicts_agree_with_the_exact_erlang_a_values():
    # Targets 3 pp (service level) and 1 pp (abandonment) on either side of the exact value.
    truth = exact()
    sl, ab = truth.service_level, truth.p_abandon
    report = check(scenario_with_sl(), [f"service_level >= {sl - 0.03}", f"service_level >= {sl + 0.03}",
                                        f"abandon_rate <= {ab + 0.01}", f"abandon_rate <= {ab - 0.01}",
                                        f"occupancy <= {truth.occupancy + 0.02}"], seed=3)
    assert [o.verdict for o in report.outcomes] == [PASS, FAIL, PASS, FAIL, PASS]
    for o in report.outcomes:
        assert o.low <= o.mean <= o.high and o.reps in report.looks


def test_exit_codes_pass_fail_undecided(files):
    sl = exact().service_level
    first = invoke(files[8], "--expect", f"service_level >= {sl - 0.05}")
    assert first.exit_code == 0, first.output
    result = invoke(files[8], "--expect", f"service_level >= {sl - 0.05}", "--expect", f"asa <= 1")
    assert result.exit_code == 1, result.output
    # Two replications: the interval is far too wide to decide a target at the truth.
    result = invoke(files[8], "--expect", f"service_level >= {sl:.4f}", "--min-reps", 2, "--max-reps", 2)
    assert result.exit_code == 3, result.output
    assert "undecided" in result.output


def test_junit_xml_and_markdown(files, tmp_path):
    sl = exact().service_level
    junit, md = tmp_path / "out" / "check.xml", tmp_path / "check.md"
    # Four replications: far targets are decided, the one at the exact value is not.
    result = invoke(files[8], "--expect", f"service_level >= {sl - 0.15:.3f}", "--expect", "asa <= 0.5",
                    "--expect", f"abandon_rate[inbound] <= {exact().p_abandon:.4f}", "--max-reps", 4,
                    "--min-reps", 4, "--junit-xml", junit, "--markdown", md)
    assert result.exit_code == 1, result.output
    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite" and suite.get("tests") == "3"
    assert suite.get("failures") == "1" and suite.get("skipped") == "1"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [f"service_level >= {sl - 0.15:.3f}", "asa <= 0.5",
                                              f"abandon_rate[inbound] <= {exact().p_abandon:.4f}"]
    assert cases[0].find("failure") is None and cases[0].find("skipped") is None
    failure = cases[1].find("failure")
    assert failure is not None and "asa = " in failure.get("message") and "CI" in failure.get("message")
    assert cases[2].find("skipped") is not None and "undecided" in cases[2].find("skipped").get("message")
    text = md.read_text()
    assert "| expectation | verdict | estimate [CI] | replications |" in text
    assert "❌ fail" in text and "⚠️ undecided" in text and "✅ pass" in text
    assert "abandon_rate[inbound]" in text


def test_checks_file_and_its_line_aware_errors(files, tmp_path):
    good = tmp_path / "checks.yaml"
    good.write_text("expect:\n  - service_level >= 0.5\n  - abandon_rate[inbound] <= 0.2\n")
    assert invoke(files[8], "--checks", good).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("expect:\n  - service_level >= 0.5\n  - nps >= 3\n")
    result = invoke(files[8], "--checks", bad)
    assert result.exit_code == 2
    assert f"{bad}:3" in result.stderr and "unknown KPI 'nps'" in result.stderr
    assert "Traceback" not in result.output
    bad.write_text("expect:\n  - service_level >= 0.5\n  - 0.8\n")
    result = invoke(files[8], "--checks", bad)
    assert result.exit_code == 2 and f"{bad}:3" in result.stderr and "not text" in result.stderr
    bad.write_text("expectations:\n  - service_level >= 0.5\n")
    result = invoke(files[8], "--checks", bad)
    assert result.exit_code == 2 and f"{bad}:1" in result.stderr and "'expect'" in result.stderr


@pytest.mark.parametrize("expr, words", [
    ("nps >= 3", ["unknown KPI 'nps'", "service_level"]),
    ("service_level >= 80", ["outside its range"]),
    ("service_level >= 0.8 +", ["not of the form"]),
    ("service_level[sales] >= 0.8", ["no call type named 'sales'", "'inbound'"]),
    ("occupancy[team=B] <= 0.9", ["no team (agent group) named 'B'", "'team'"]),
    ("service_level: no worse than -0.01", ["baseline", "--baseline"]),
    ("service_level >= 0.8 every interval 23:00-23:10", ["no reporting interval"]),
])
def test_bad_input_exits_2_with_one_paragraph(files, expr, words):
    result = invoke(files[8], "--expect", expr)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and "Traceback" not in result.output
    for word in words:
        assert word in result.stderr, (word, result.stderr)


def test_nothing_to_check_and_bad_alpha(files):
    result = invoke(files[8])
    assert result.exit_code == 2 and "nothing to check" in result.stderr
    result = invoke(files[8], "--expect", "service_level >= 0.5", "--alpha", "0.7")
    assert result.exit_code == 2 and "--alpha" in result.stderr
    result = invoke(files[8], "--expect", "service_level >= 0.5", "--alpha", "1e-17")  # an internal error before
    assert result.exit_code == 2 and "--alpha must be from 1e-09 to below 0.5" in result.stderr


def test_output_may_not_overwrite_an_input(files):
    result = invoke(files[8], "--expect", "service_level >= 0.5", "--markdown", files[8])
    assert result.exit_code == 2 and "destroy" in result.stderr


def test_baseline_paired_comparison(files):
    expect = "service_level: no worse than -0.01"
    # One agent less: service level drops by about 11 pp, far beyond the 1 pp margin.
    assert exact(8).service_level - exact(7).service_level > 0.1
    result = invoke("--baseline", files[8], files[7], "--expect", expect)
    assert result.exit_code == 1, result.output
    # One agent more: better, so no worse than 1 pp below.
    assert invoke("--baseline", files[8], files[9], "--expect", expect).exit_code == 0
    # Plain expectations apply to the new version at the same time.
    result = invoke("--baseline", files[8], files[9], "--expect", expect, "--expect", "service_level >= 0.99")
    assert result.exit_code == 1


def test_baseline_uses_common_random_numbers():
    # The same center against itself: with the same seeds every paired difference is 0,
    # so the comparison passes at the first look with a zero-width interval.
    report = check(center(), ["service_level: no worse than -0.001", "asa[inbound]: no worse than 0.01"],
                   baseline=center())
    assert report.reps == report.looks[0]
    for o in report.outcomes:
        assert o.verdict == PASS and o.mean == o.low == o.high == 0.0


def test_every_interval_window():
    data = center(horizon=2000 + 86400)
    data["interval"] = 3600
    report = check(data, ["service_level >= 0.5 every interval 09:00-21:00",
                          "service_level >= 0.99 every interval 09:00-21:00",
                          "occupancy[team=team] <= 0.99 every interval 09:00-12:00"], max_reps=10)
    window, strict, team = report.outcomes
    assert len(window.parts) == 12 and len(team.parts) == 3
    assert window.verdict == PASS and all(d.verdict == PASS for _, d in window.parts)
    assert strict.verdict == FAIL and strict.label.startswith("service_level ")
    labels = [label for label, _ in window.parts]
    assert labels[0] == "service_level 09:00" and labels[-1] == "service_level 20:00"


def test_window_values_are_the_interval_table():
    # The per-interval measure reads the same numbers as Result.intervals().
    import ccsim
    from ccsim.check.expressions import parse_expectation
    from ccsim.check.measures import Measure

    data = center(horizon=2000 + 86400)
    data["interval"] = 3600
    result = ccsim.simulate(data, seed=4)
    measure = Measure(parse_expectation("service_level >= 0.5 every interval 09:00-21:00"), result.model)
    table = result.intervals()
    np.testing.assert_array_equal(measure.values(result), table["service_level"][measure.intervals])
    assert [t % 86400 for t in table["start"][measure.intervals]] == [h * 3600.0 for h in range(9, 21)]


def test_api_errors_are_user_errors():
    with pytest.raises(ExpectationError, match="nothing to check"):
        check(center(), [])
    with pytest.raises(ExpectationError, match="max"):
        check(center(), ["service_level >= 0.5"], min_reps=10, max_reps=5)
    assert UNDECIDED == "undecided"


def test_replication_r_uses_child_r_of_the_seed():
    # The same replications as ccsim.api.replicate with the same seed (one seed meaning everywhere).
    from ccsim.api import replicate

    report = check(center(), ["asa >= 0"], seed=7, min_reps=5, max_reps=5)
    (outcome,) = report.outcomes
    values = [r.kpis()["asa"] for r in replicate(center(), 5, seed=7)]
    assert outcome.reps == 5 and outcome.mean == pytest.approx(np.mean(values), rel=1e-12)


@pytest.mark.parametrize("name", ["center` — ✅ pass\n<!--", "``a``", "x\n\n### ✅ all good", "` lead", "<b>bold</b>"])
def test_markdown_keeps_any_scenario_name_inside_its_code_span(name):
    """A name holding a backtick and a newline closed the heading's code span and opened an HTML
    comment: rendered (CommonMark, as a pull-request comment is), a failing check read
    '✅ pass' and its table was hidden. The name is one code span on the heading's line."""
    import markdown_it

    from ccsim.check.reports import markdown

    report = check(center(), ["asa <= 0.0001"], max_reps=2, min_reps=2)
    assert report.verdict == FAIL
    text = markdown(dataclasses.replace(report, scenario=name))
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(text)
    heading = html.split("\n")[0]
    assert heading.startswith("<h3>ccsim check: <code>") and heading.endswith("</code> — ❌ fail</h3>"), heading
    assert html.count("<h3>") == 1 and "<!--" not in html and "<b>" not in html
    assert "<table>" in html and "asa &lt;= 0.0001" in html


def test_intervals_nobody_called_in_are_left_out_of_a_window():
    """Night intervals with no calls have no service level in any replication: the window stayed
    undecided whatever the budget ('raise --max-reps'). At the last look they are left out of
    the verdict (listed, reps 0); a window of only such intervals is undecided, saying why."""
    from ccsim.check.reports import explanation

    data = {"name": "night_zero", "horizon": 86400, "interval": 1800, "service_level": {"threshold": 20},
            "call_types": [{"name": "inbound", "arrivals": {"process": "piecewise", "per": "hour", "slot": 1800,
                                                             "rates": [0.0] * 12 + [60.0] * 36},
                            "handle_time": {"dist": "exponential", "mean": 30}}],
            "agents": [{"name": "team", "count": 4, "serves": ["inbound"]}]}
    report = check(data, ["service_level >= 0.5 every interval 00:00-12:00"], max_reps=40)
    (outcome,) = report.outcomes
    assert outcome.verdict == PASS and report.reps == 40  # was undecided at any budget
    empty = [label for label, d in outcome.parts if d.reps == 0]
    assert len(empty) == 12 and empty[0] == "service_level 00:00" and len(outcome.parts) == 24
    night = check(data, ["service_level >= 0.5 every interval 00:00-06:00"], max_reps=40)
    (outcome,) = night.outcomes
    assert outcome.verdict == UNDECIDED and night.reps == 40
    assert explanation(outcome).endswith("no interval of the window had a value in any replication (nobody called)")


def test_a_target_without_values_yet_keeps_the_drawing_going():
    """A rare call type: no call in the first replications, so no service level. The drawing
    went on to later looks, where values come (a change stopped it at the first look)."""
    from ccsim.check.sequential import decide

    values = iter([np.full((5, 1), np.nan), np.array([[0.9], [1.0], [0.8], [0.95], [1.0]])])
    (decision,) = decide([(">=", 0.5, 0.0, 1.0)], lambda k: next(values), 0.05, 5, 20)
    assert decision.verdict == PASS and decision.reps == 5  # the five of the second look


def test_check_takes_the_run_budget_its_refusals_name():
    """A refused replication said 'raise the budget with --max-memory', which ccsim check did not
    take ('No such option'). It takes --max-calls and --max-memory, for every replication."""
    result = CliRunner().invoke(cli, ["check", "scenarios/erlang_c.yaml", "--expect", "asa <= 20",
                                      "--max-calls", "1000"])
    assert result.exit_code == 2 and "run budget" in result.stderr and "--max-calls" in result.stderr
    with pytest.raises(ccsim.budget.BudgetError):
        check("scenarios/erlang_c.yaml", ["asa <= 20"], max_calls=1000)
