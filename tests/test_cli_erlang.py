"""``ccsim erlang b|c|a|staff``: the formulas behind the options, names, hostile numbers."""

import pytest

from ccsim import analytic
from ccsim.cli import cli
from conftest import strict_json
from ccsim.report_table import format_value


def erlang_json(runner, *args):
    result = runner.invoke(cli, ["erlang", *map(str, args), "--json"])
    assert result.exit_code == 0, result.output
    return strict_json(result.stdout)


def approx_metrics(got, expected):
    for key, value in vars(expected).items():
        assert got[key] == pytest.approx(value, rel=1e-12), key


def test_erlang_b(runner):
    out = erlang_json(runner, "b", "--agents", 10, "--rate", 0.05, "--aht", 180)
    approx_metrics(out["metrics"], analytic.erlang_b_metrics(10, 0.05, 180))
    assert out["load"] == pytest.approx(9.0)


def test_erlang_c(runner):
    out = erlang_json(runner, "c", "--agents", 11, "--rate", 0.05, "--aht", 180, "--threshold", 30)
    approx_metrics(out["metrics"], analytic.erlang_c_metrics(11, 0.05, 180, 30))


def test_erlang_a(runner):
    out = erlang_json(runner, "a", "--agents", 9, "--rate", 0.05, "--aht", 180,
                      "--patience", 120, "--threshold", 20)
    approx_metrics(out["metrics"], analytic.erlang_a_metrics(9, 0.05, 180, 120, 20))


def test_erlang_rate_units(runner):
    per_hour = erlang_json(runner, "c", "--agents", 11, "--rate", 180, "--per", "hour", "--aht", 180)
    per_minute = erlang_json(runner, "c", "--agents", 11, "--rate", 3, "--per", "minute", "--aht", 180)
    per_second = erlang_json(runner, "c", "--agents", 11, "--rate", 0.05, "--aht", 180)
    assert per_hour["metrics"] == pytest.approx(per_second["metrics"])
    assert per_minute["metrics"] == pytest.approx(per_second["metrics"])


def test_erlang_staff_c_and_a(runner):
    out = erlang_json(runner, "staff", "--rate", 1, "--aht", 180, "--threshold", 20, "--sl-goal", 0.8)
    assert out["model"] == "erlang_c" and out["sl_goal"] == 0.8 and "target" not in out
    assert out["agents"] == analytic.staff_erlang_c(1, 180, 20, 0.8)
    approx_metrics(out["metrics"], analytic.erlang_c_metrics(out["agents"], 1, 180, 20))

    out = erlang_json(runner, "staff", "--rate", 1, "--aht", 180, "--threshold", 20, "--sl-goal", 0.8,
                      "--patience", 300, "--max-abandon", 0.02)
    assert out["model"] == "erlang_a"
    assert out["agents"] == analytic.staff_erlang_a(1, 180, 300, 20, 0.8, 0.02)
    assert out["metrics"]["p_abandon"] <= 0.02 and out["metrics"]["service_level"] >= 0.8


def test_erlang_table_output(runner):
    result = runner.invoke(cli, ["erlang", "c", "--agents", "10", "--rate", "0.05", "--aht", "180"])
    assert result.exit_code == 0
    sl = analytic.erlang_c_metrics(10, 0.05, 180, 20).service_level
    assert format_value("service_level", sl) in result.stdout  # the unit convention of every table
    assert format_value("asa", analytic.erlang_c_metrics(10, 0.05, 180, 20).asa) in result.stdout
    assert "answered within 20 s / offered" in result.stdout
    result = runner.invoke(cli, ["erlang", "staff", "--rate", "1", "--aht", "180"])
    assert f"agents needed: {analytic.staff_erlang_c(1, 180, 20, 0.8)}" in result.stdout



def test_old_staffing_target_option_names_its_successor(runner):
    result = runner.invoke(cli, ["erlang", "staff", "--rate", "1", "--aht", "180", "--target", "0.8"])
    assert result.exit_code == 2
    assert "no such option --target: it is now --sl-goal" in result.stderr
    assert "fraction" in runner.invoke(cli, ["erlang", "staff", "--help"]).stdout


# ---------------------------------------------------------------- hostile numbers in the calculators
def test_erlang_too_many_agents_is_refused_clearly(runner):
    result = runner.invoke(cli, ["erlang", "c", "--agents", "20000000", "--rate", "1", "--aht", "10"])
    assert result.exit_code == 2
    assert "--agents" in result.stderr and "10000000" in result.stderr
    assert "MemoryError" not in result.output and "internal error" not in result.output


@pytest.mark.parametrize("model", [["a", "--agents", "5", "--patience", "30"], ["b", "--agents", "5"],
                                   ["c", "--agents", "5"], ["staff", "--patience", "30"], ["staff"]])
def test_erlang_overflowing_rate_names_rate(runner, model):
    result = runner.invoke(cli, ["erlang", model[0], "--rate", "1e300", "--aht", "10", *model[1:]])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: --rate 1e+300")
    assert "--patience" not in result.stderr.split(";")[0]


def test_analytic_messages_name_options():
    from ccsim.cli.erlang import option_message

    assert option_message("arrival_rate must be positive and finite, got -1") == \
        "--rate must be positive and finite, got -1"
    assert option_message("target_sl must lie strictly between 0 and 1, got 1.2").startswith("--sl-goal ")
    assert "--rate" in option_message("mean_patience = 30 s is too long for this overload: more than 4000000 "
                                      "states needed")
