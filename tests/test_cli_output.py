"""One unit convention and one KPI order in every CLI table; sweeps readable at 80 columns."""
import json
import re

import pytest
import yaml
from click.testing import CliRunner

from ccsim.cli import cli
from ccsim.report_table import format_difference, format_halfwidth, format_interval, format_value
from ccsim.results import KPI_NAMES
from factories import single_queue

BOX = "│┃"


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return str(path)


def invoke(*args):
    result = CliRunner().invoke(cli, list(map(str, args)))
    assert result.exit_code == 0, result.output
    return result.stdout


def cells(line):
    return [c.strip() for c in re.split(f"[{BOX}]", line)[1:-1]]


def test_units():
    assert format_value("service_level", 0.8123) == "81.23 %"
    assert format_halfwidth("service_level", 0.0123) == "± 1.23 pp"
    assert format_difference("abandon_rate", -0.0123) == "-1.23 pp"
    assert format_difference("asa", 2.5) == "+2.50 s"
    assert format_difference("answered", 1234.0) == "+1,234"
    assert format_interval("occupancy", -0.02, 0.01) == "[-2.00, +1.00] pp"
    assert format_interval("aht", 1.0, 2.0) == "[+1.00, +2.00] s"
    assert format_value("offered", 1234567.0) == "1,234,567"
    assert format_value("asa", float("nan")) == "n/a"


@pytest.fixture
def plans(tmp_path):
    a = write(tmp_path, "a.yaml", single_queue(agents=18, horizon=3600, rate=0.1, patience=120))
    b = write(tmp_path, "b.yaml", single_queue(agents=22, horizon=3600, rate=0.1, patience=120))
    return tmp_path, a, b


def test_sweep_table_is_long_and_fits_80_columns(plans):
    tmp_path, a, _ = plans
    args = ["sweep", a, "--grid", "agents.team.count=16..24:4", "--grid", "call_types.inbound.patience.mean=60,120",
            "--reps", "2", "--workers", "1", "--store", tmp_path / "s.sqlite"]
    text = invoke(*args)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    rows = [cells(line) for line in lines if line.startswith("│") and cells(line)[1]]  # not wrapped parts
    # one block of KPI rows per design point, its overrides one per row beside them
    offered = [i for i, r in enumerate(rows) if r[1] == "offered"]
    assert len(offered) == 6
    assert [(rows[i][0], rows[i + 1][0]) for i in offered[:2]] == [
        ("agents.team.count=16", "call_types.inbound.patience.mean=60"),
        ("agents.team.count=16", "call_types.inbound.patience.mean=120")]
    kpis = [r[1] for r in rows]
    block = kpis[: len(kpis) // 6]
    assert kpis == block * 6
    assert block == [k for k in KPI_NAMES if k in block]  # the one KPI order
    out = json.loads(invoke(*args[:-2], "--store", tmp_path / "t.sqlite", "--json"))
    first = out["sweep"][0]
    sl = next(r for r in rows if r[1] == "service_level")
    assert sl[2] == format_value("service_level", first["service_level"])
    assert sl[3] == format_halfwidth("service_level", first["service_level_ci_halfwidth"])
    assert sl[2].endswith(" %") and sl[3].endswith(" pp")
    assert not any(k.endswith("_ci") for k in first)  # one name: ci_halfwidth


def test_comparison_shows_rate_differences_in_pp(plans):
    tmp_path, a, b = plans
    args = ["compare", a, b, "--reps", "4", "--workers", "1"]
    text = invoke(*args, "--store", tmp_path / "c.sqlite")
    assert max(len(line) for line in text.splitlines()) <= 80
    out = json.loads(invoke(*args, "--store", tmp_path / "d.sqlite", "--json"))
    diff = {r["kpi"]: r for r in out["comparison"]}
    rows = {c[0]: c for c in (cells(line) for line in text.splitlines() if line.startswith("│")) if len(c) == 5}
    for kpi, unit in (("service_level", "pp"), ("abandon_rate", "pp"), ("occupancy", "pp"), ("asa", "s")):
        assert rows[kpi][1] == format_difference(kpi, diff[kpi]["diff"])
        assert rows[kpi][1].endswith(" " + unit) and rows[kpi][2].endswith("] " + unit)
    assert [k for k in rows if k in KPI_NAMES] == [k for k in KPI_NAMES if k in rows]


def test_run_tables_use_the_same_units(tmp_path):
    path = write(tmp_path, "s.yaml", single_queue(agents=18, horizon=20000, rate=0.1, patience=120))
    text = invoke("run", path, "--reps", "3")
    out = json.loads(invoke("run", path, "--reps", "3", "--json"))
    row = next(cells(line) for line in text.splitlines() if line.startswith("│ service_level"))
    assert row[1] == format_value("service_level", out["kpis"]["service_level"]["mean"])
    assert row[2] == format_halfwidth("service_level", out["kpis"]["service_level"]["ci_halfwidth"])
    kpi_rows = [cells(line)[0] for line in text.splitlines() if line.startswith("│ ") and cells(line)[0] in KPI_NAMES]
    first_table = kpi_rows[: len(KPI_NAMES)]
    assert first_table == list(KPI_NAMES)


def test_user_text_prints_as_it_is(tmp_path):
    """No rich markup or emoji codes in the terminal: a scenario named "[red]north :phone:" keeps
    its brackets and colons, and so does an expectation of ``ccsim check``."""
    path = write(tmp_path, "s.yaml", single_queue(agents=18, horizon=5000, rate=0.1, name="[red]north :phone:"))
    assert invoke("run", path).splitlines()[0].startswith("[red]north :phone:: core engine")
    text = invoke("check", path, "--expect", "abandon_rate[inbound] <= 0.5", "--min-reps", "3", "--max-reps", "3")
    assert "abandon_rate[inbound] <= 0.5" in text and "\\[" not in text


def _lost_table_rows(output: str) -> list:
    """The labels of the lost-call table's rows in ``output``."""
    part = output.split("Lost calls", 1)[1].split("└", 1)[0]
    return [line.split("│")[1].strip() for line in part.splitlines() if line.startswith("│")]


def test_the_lost_call_table_has_the_rows_the_scenario_can_fill(tmp_path):
    """A single queue with abandonment prints no rows for lines, menus, hours, callbacks or
    retrials it does not have (22 rows of zeros before); one with lines and retrials prints
    those rows, zeros included (an informative 0 stays)."""
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump(single_queue(agents=80, rate=0.5, patience=60)))
    out = CliRunner().invoke(cli, ["run", str(plain)])
    assert out.exit_code == 0, out.output
    assert _lost_table_rows(out.output) == ["attempts", "abandoned in a queue", "lost calls (blocked + abandoned)",
                                            "answered", "callers (unique)", "served", "lost for good"]
    rich = single_queue(agents=80, rate=0.5, patience=60)
    rich["lines"] = 10_000  # never all busy: its row shows 0
    rich["call_types"][0]["retrials"] = {"abandoned": 0.5, "delay": {"dist": "exponential", "mean": 60}}
    path = tmp_path / "rich.yaml"
    path.write_text(yaml.safe_dump(rich))
    out = CliRunner().invoke(cli, ["run", str(path)])
    assert out.exit_code == 0, out.output
    rows = _lost_table_rows(out.output)
    assert {"attempts (first and retrials)", "first attempts", "retrials", "blocked: all lines busy",
            "would retry after the horizon"} <= set(rows)
    assert not {"hung up in the IVR (patience)", "rang while closed (message, voicemail or forward)",
                "callbacks requested"} & set(rows)


def test_a_lost_call_row_that_is_not_zero_is_never_hidden():
    """Should a feature be missed by the table's choice of rows, a count other than 0 still shows."""
    from rich.console import Console

    from ccsim.cli.run import LOST_ROWS, _print_lost_calls
    from ccsim.scenario import validate_scenario

    scenario = validate_scenario(single_queue())
    lost = {key: {"mean": 0.0, "ci_halfwidth": 0.0} for key, _ in LOST_ROWS}
    lost.update(attempts={"mean": 100.0, "ci_halfwidth": 0.0}, abandoned={"mean": 5.0, "ci_halfwidth": 0.0},
                voicemail={"mean": 3.0, "ci_halfwidth": 0.0})  # a voicemail without a menu or hours
    console = Console(record=True, width=100)
    _print_lost_calls(console, {"lost_calls": lost, "reps": 1}, scenario)
    rows = _lost_table_rows(console.export_text())
    assert "voicemail" in rows and "abandoned in a queue" in rows and "callbacks requested" not in rows


def test_every_output_is_checked_before_any_is_written(tmp_path):
    """An output under a regular file (a typo) was an internal FileExistsError after the outputs
    before it had been written (ccsim fit, ccsim check); each command now refuses it first."""
    scenario, blocker = tmp_path / "s.yaml", tmp_path / "afile"
    scenario.write_text(yaml.safe_dump(single_queue(agents=30, horizon=3600, rate=0.1)))
    blocker.write_text("not a folder")
    out = CliRunner().invoke(cli, ["check", str(scenario), "--expect", "service_level >= 0.5", "--max-reps", "5",
                                   "--junit-xml", str(tmp_path / "o" / "j.xml"),
                                   "--markdown", str(blocker / "m.md")])
    assert out.exit_code == 2 and "Traceback" not in out.output, out.output
    assert f"--markdown {blocker / 'm.md'}: {blocker} is a file, not a folder" in out.output
    assert not (tmp_path / "o").exists()
    out = CliRunner().invoke(cli, ["run", str(scenario), "--out", str(tmp_path / "o"),
                                   "--html", str(blocker / "deeper" / "r.html")])
    assert out.exit_code == 2 and f"{blocker} is a file, not a folder" in out.output
    assert not (tmp_path / "o").exists()


def test_a_malformed_yaml_file_is_named_for_what_it_is(tmp_path):
    """The YAML reader is the scenario's: a key given twice in a checks file, a state file or a
    mapping was reported as 'invalid scenario'."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump(single_queue(agents=30, horizon=3600, rate=0.1)))
    checks, state, mapping = tmp_path / "checks.yaml", tmp_path / "state.yaml", tmp_path / "m.yaml"
    checks.write_text("expect:\n  - service_level >= 0.5\nexpect:\n  - asa <= 20\n")
    state.write_text("clock: 100\nclock: 200\n")
    mapping.write_text("name: x\nname: y\n")
    for args, words in [(["check", str(scenario), "--checks", str(checks)], f"invalid checks file {checks}: line 3"),
                        (["run", str(scenario), "--from-state", str(state)], f"invalid state {state}: line 2"),
                        (["fit", str(scenario), "--mapping", str(mapping), "-o", str(tmp_path / "o.yaml")],
                         f"mapping {mapping}: line 2: name: key given twice")]:
        out = CliRunner().invoke(cli, args)
        assert out.exit_code == 2 and words in out.output, out.output
        assert "invalid scenario" not in out.output
