"""The scenario's workforce section and ``ccsim workforce``: a run from the command line equals
the same run in Python, the outputs (tables, JSON, HTML), bad input refused with its field path."""
import copy
import json

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from test_workforce import DAY, center

from ccsim.api import replication_seeds
from ccsim.cli import cli
from ccsim.report.workforce import leaderboard_rows
from ccsim.scenario import ScenarioError, validate_scenario
from ccsim.workforce import Attrition, BottomElimination, Hiring, run_periods

POLICIES = [{"kind": "bottom_elimination", "fraction": 0.1, "min_calls": 5},
            {"kind": "attrition", "hazard": 0.05},
            {"kind": "hiring", "delay_days": 1, "training_days": 0}]


def scenario(**workforce):
    s = center(n=8, horizon=4 * DAY)
    s["costs"] = {"agent_hour": 30}
    s["workforce"] = {"period": DAY, "slots": {"north": 2, "south": 2}, "policies": copy.deepcopy(POLICIES),
                      **workforce}
    return s


@pytest.fixture
def runner():
    return CliRunner()


def write(tmp_path, s):
    path = tmp_path / "wf.yaml"
    path.write_text(yaml.safe_dump(s, sort_keys=False))
    return str(path)


def test_command_line_run_is_the_python_run(runner, tmp_path):
    out = runner.invoke(cli, ["workforce", write(tmp_path, scenario()), "--reps", "2", "--seed", "5", "--json"])
    assert out.exit_code == 0, out.output
    summary = json.loads(out.output)
    assert summary["reps"] == 2 and len(summary["periods"]) == 4
    plain = scenario()
    del plain["workforce"]
    for r, child in enumerate(replication_seeds(5, 2)):
        policies = [BottomElimination(fraction=0.1, min_calls=5), Attrition(0.05),
                    Hiring(delay_days=1, training_days=0)]
        expected = run_periods(plain, DAY, policies, seed=child, slots={"north": 2, "south": 2})
        got = summary["replications"][r]
        assert [row["eliminated"] for row in got] == [row["eliminated"] for row in expected.rows]
        assert [row["revenue"] for row in got] == pytest.approx([row["revenue"] for row in expected.rows])
        assert summary["ledgers"][r] == expected.ledger()
    mean = np.mean([summary["replications"][r][0]["revenue"] for r in range(2)])
    assert summary["periods"][0]["revenue"]["mean"] == pytest.approx(mean)


def test_periods_count_cuts_the_horizon(runner, tmp_path):
    s = scenario(periods=2)
    del s["workforce"]["period"]
    out = runner.invoke(cli, ["workforce", write(tmp_path, s), "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)["replications"][0]
    assert [r["end"] for r in rows] == [2 * DAY, 4 * DAY]


def test_tables_and_html(runner, tmp_path):
    html = tmp_path / "wf.html"
    out = runner.invoke(cli, ["workforce", write(tmp_path, scenario()), "--html", str(html)])
    assert out.exit_code == 0, out.output
    assert "People per period" in out.output and "Results per period" in out.output
    assert "People at the end" in out.output
    assert 'id="leaderboard"' in html.read_text()


def test_html_pools_the_replications_json_shows(runner, tmp_path):
    """--html --json in one run: the page's period table and its embedded summary are the JSON
    summary's cells; the leaderboard is --html-rep's replication."""
    from test_workforce_report import assert_cell_shows, embedded_summary, page_table, period_column_keys, RATE_KEYS

    html = tmp_path / "wf.html"
    out = runner.invoke(cli, ["workforce", write(tmp_path, scenario()), "--reps", "3", "--seed", "4", "--json",
                              "--html", str(html), "--html-rep", "2"])
    assert out.exit_code == 0, out.output
    summary = json.loads(out.stdout)
    text = html.read_text()
    embedded = embedded_summary(text)
    assert embedded["periods"] == summary["periods"] and embedded["run"] == summary["run"]
    assert embedded["reps"] == summary["reps"] == 3
    headers, rows = page_table(text, "periods")
    keys = period_column_keys([k for k in summary["periods"][0] if k.startswith("tenure_")])
    for row, cells in zip(summary["periods"], rows):
        for label, printed in zip(headers[1:], cells[1:]):
            assert_cell_shows(printed, row[keys[label]], keys[label] in RATE_KEYS)
    revenue = [summary["replications"][r][0]["revenue"] for r in range(3)]
    assert summary["periods"][0]["revenue"]["mean"] == pytest.approx(np.mean(revenue))
    assert "Leaderboard of the last period (replication 2 of 3)" in text
    plain = scenario()
    del plain["workforce"]
    second = run_periods(plain, DAY, [BottomElimination(fraction=0.1, min_calls=5), Attrition(0.05),
                                      Hiring(delay_days=1, training_days=0)],
                         seed=replication_seeds(4, 3)[1], slots={"north": 2, "south": 2})
    expected = sorted(leaderboard_rows(second, "conversion")[1], key=lambda r: r["observed_rank"])
    _, agents = page_table(text, "leaderboard-agents")
    assert [row[4][0] for row in agents] == [r["id"] for r in expected]


def test_html_with_one_replication_and_a_replication_not_run(runner, tmp_path):
    html = tmp_path / "one.html"
    out = runner.invoke(cli, ["workforce", write(tmp_path, scenario()), "--html", str(html)])
    assert out.exit_code == 0, out.output
    text = html.read_text()
    assert "One replication" in text and "(replication 1 of 1)" in text
    assert "Wrong eliminations over the run" in out.output
    out = runner.invoke(cli, ["workforce", write(tmp_path, scenario()), "--reps", "2", "--html", str(html),
                              "--html-rep", "3"])
    assert out.exit_code == 2 and "--html-rep" in out.output and "Traceback" not in out.output


def _set(s, path, value):
    *head, last = path
    for key in head:
        s = s[key]
    if value is KeyError:
        del s[last]
    else:
        s[last] = value


BAD = [
    (("workforce", "policies", 1, "hazard"), -0.2, "workforce.policies[1].hazard", "greater than or equal to 0"),
    (("workforce", "policies", 0, "kpi"), "smiles", "workforce.policies[0].kpi", "expected 'conversion'"),
    (("workforce", "policies", 0, "groups"), ["north", "west"], "workforce.policies[0].groups[1]", "west"),
    (("workforce", "policies", 2, "kind"), "clone", "workforce.policies[2].kind", "unknown policy"),
    (("workforce", "slots", "east"), 3, "workforce.slots.east", "unknown agent group"),
    (("workforce", "slots", "north"), -1, "workforce.slots.north", ""),
    (("workforce", "period"), -5, "workforce.period", ""),
    (("workforce", "periods"), 4, "workforce", "exactly one"),
    (("workforce", "colour"), "red", "workforce.colour", ""),
    (("workforce", "policies", 0, "kpi"), "qa_score", "workforce.policies[0].kpi", "qa policy"),
    (("funnel",), KeyError, "workforce.policies[0].kpi", "funnel"),
    # a run of 100,000 periods hung, of a million (or of 1 s periods) exhausted memory
    (("workforce", "period"), 1.0, "workforce.period", "periods, more than the limit of 1,000"),
    (("workforce", "period"), 1e-3, "workforce.period", "periods, more than the limit of 1,000"),
    # refused later, as "invalid scenario <dict>: agents[0].population.count"
    (("workforce", "slots", "north"), 10**9, "workforce.slots.north", "less than or equal to 1,000,000"),
]


@pytest.mark.parametrize("path, value, where, words", BAD, ids=[b[2] + "-" + str(b[1]) for b in BAD])
def test_bad_workforce_section_is_refused_with_its_path(runner, tmp_path, path, value, where, words):
    s = scenario()
    _set(s, path, value)
    with pytest.raises(ScenarioError) as err:
        validate_scenario(s)
    assert where in str(err.value) and words in str(err.value)
    out = runner.invoke(cli, ["workforce", write(tmp_path, s)])
    assert out.exit_code == 2, out.output
    assert where in out.output and "Traceback" not in out.output and "found a mapping" not in out.output


def test_no_workforce_section_and_an_empty_group_exit_2(runner, tmp_path):
    s = scenario()
    del s["workforce"]
    out = runner.invoke(cli, ["workforce", write(tmp_path, s)])
    assert out.exit_code == 2 and "no workforce section" in out.output
    s = scenario(slots={}, policies=[{"kind": "bottom_elimination", "k": 8}])
    out = runner.invoke(cli, ["workforce", write(tmp_path, s)])  # would empty a group, no hiring
    assert out.exit_code == 2 and "min_per_group" in out.output and "Traceback" not in out.output


def test_ccsim_workforce_runs_within_the_run_budget(tmp_path):
    """ccsim workforce never checked the budget: a million calls a second over a year was
    accepted (ccsim run refuses it), and its per-period tables grew with periods x agents
    unbudgeted. It is checked before the run, with --max-calls and --max-memory."""
    import yaml

    data = {"horizon": 365 * 86400, "interval": 86400,
            "call_types": [{"name": "sales", "arrivals": {"process": "poisson", "rate": 1e6},
                            "handle_time": {"dist": "exponential", "mean": 180},
                            "patience": {"dist": "deterministic", "value": 0}}],
            "agents": [{"name": "north", "count": 10, "serves": ["sales"]}],
            "workforce": {"period": 86400, "policies": [{"kind": "attrition", "hazard": 0.02}]}}
    path = tmp_path / "wf.yaml"
    path.write_text(yaml.safe_dump(data))
    done = CliRunner().invoke(cli, ["workforce", str(path)])
    assert done.exit_code == 2 and "run budget: the scenario asks for about 3.15e+13 calls" in done.output
    data["call_types"][0]["arrivals"]["rate"] = 0.01
    path.write_text(yaml.safe_dump(data))
    done = CliRunner().invoke(cli, ["workforce", str(path), "--max-memory", "1M"])
    assert done.exit_code == 2 and "for the workforce periods" in done.output, done.output
    assert CliRunner().invoke(cli, ["workforce", str(path), "--max-memory", "50M"]).exit_code == 0
