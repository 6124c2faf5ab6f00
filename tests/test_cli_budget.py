"""``--max-calls`` / ``--max-memory``: the run budget from the command line.

A run or a study over its budget is refused before anything runs or is written
(exit 2, the estimate and the option to raise in the message); within it, it runs.
"""
import pytest

from ccsim.cli import cli


def test_run_over_the_call_budget_is_refused_before_anything_is_written(runner, small, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(cli, ["run", str(small), "--max-calls", "10", "--out", str(out), "--html",
                                 str(tmp_path / "r.html")])
    assert result.exit_code == 2, result.output
    assert "run budget" in result.stderr and "--max-calls" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "r.html").exists()
    assert not out.exists() or not any(out.iterdir())


def test_run_over_the_memory_budget_is_refused(runner, small):
    result = runner.invoke(cli, ["run", str(small), "--max-memory", "1K"])
    assert result.exit_code == 2
    assert "--max-memory" in result.stderr and "1000 B" in result.stderr


@pytest.mark.parametrize("option, value", [("--max-calls", "many"), ("--max-calls", "0"), ("--max-calls", "-5"),
                                           ("--max-calls", "5M"), ("--max-memory", "8 parsecs"),
                                           ("--max-memory", "inf"), ("--max-memory", "nan")])
def test_bad_budget_values_are_usage_errors(runner, small, option, value):
    result = runner.invoke(cli, ["run", str(small), option, value])
    assert result.exit_code == 2
    assert option in result.stderr and "Traceback" not in result.output


def test_memory_units_are_understood(runner, small):
    for value in ("2G", "2GiB", "2e9", "1500M"):
        result = runner.invoke(cli, ["run", str(small), "--max-memory", value, "--max-calls", "1e7", "--json"])
        assert result.exit_code == 0, (value, result.output)


def test_study_over_budget_leaves_no_store(runner, small, tmp_path):
    store = tmp_path / "s.sqlite"
    result = runner.invoke(cli, ["sweep", str(small), "--grid", "agents.team.count=8,9", "--reps", "2",
                                 "--workers", "1", "--max-calls", "10", "--store", str(store)])
    assert result.exit_code == 2, result.output
    assert "run budget" in result.stderr
    assert not store.exists()


def test_study_within_budget_runs(runner, small, tmp_path):
    result = runner.invoke(cli, ["compare", str(small), str(small), "--reps", "2", "--workers", "1",
                                 "--max-calls", "1e7", "--max-memory", "1G", "--store", str(tmp_path / "c.sqlite"),
                                 "--json"])
    assert result.exit_code == 0, result.output
