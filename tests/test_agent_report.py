"""The agent, team/squad and skill views (ccsim.agent_report): rollups are the sums of their
agents, the skill table is the per-type counters, idle + busy = staffed, logged-in >= staffed,
and break time matches a schedule worked out by hand (warm-up cuts, break windows, absences)."""
import copy

import numpy as np
import pytest
from test_roster import ROSTER

import ccsim
from ccsim.agent_report import (AGENT_SUMS, agent_columns, mean_agent_columns, mean_agent_table, rollup,
                                rollup_columns, rollup_summary, skill_summary, skill_table)
from ccsim.compile import compile_scenario
from ccsim.results import CALL_FIELDS, ArgumentError
from ccsim.scenario import validate_scenario
from ccsim.schedules import absences

DAY = 86400.0

# Two days from a Monday, warm-up one hour. Agent 0 works 00:00-08:00 with a break 00:30-01:30
# (the first day's is cut to 30 minutes by the warm-up); agent 1 works 09:00-17:00 with a 30-minute
# lunch placed in the window 12:00..13:00 (one agent: at 12:00); agent 2 is in no shift.
HAND = {
    "name": "hand", "horizon": 2 * DAY, "warmup": 3600, "interval": 900,
    "call_types": [{"name": "sales", "arrivals": {"process": "piecewise", "rates": [0.0, 1.0], "slot": 2 * DAY},
                    "handle_time": {"dist": "exponential", "mean": 200}}],
    "agents": [{"name": "a", "count": 3, "serves": ["sales"], "shifts": [
        {"start": "00:00", "end": "08:00", "agents": 1, "breaks": [{"start": "00:30", "minutes": 60}]},
        {"start": "09:00", "end": "17:00", "agents": 1,
         "breaks": [{"earliest": "12:00", "latest": "13:00", "minutes": 30}]}]}],
}


@pytest.fixture(scope="module")
def roster_run():
    return ccsim.simulate(ROSTER, seed=4)


def test_break_and_logged_in_time_of_a_quiet_schedule_by_hand():
    table = ccsim.simulate(HAND, seed=1).agent_table().sort_index()
    np.testing.assert_allclose(table["break_time"], [1800 + 3600, 2 * 1800, 0])
    # no calls: logged in = the shifts' time inside [warm-up, horizon], staffed = that minus breaks
    np.testing.assert_allclose(table["logged_in"], [7 * 3600 + 8 * 3600, 2 * 8 * 3600, 0])
    np.testing.assert_allclose(table["staffed"], table["logged_in"] - table["break_time"])
    assert (table["answered"] == 0).all() and table["calls_per_hour"].iloc[:2].eq(0).all()


def test_break_time_counts_only_the_days_an_agent_is_present():
    s = copy.deepcopy(HAND)
    s["horizon"], s["warmup"] = 14 * DAY, 0
    s["agents"][0]["shifts"][1]["shrinkage"] = 0.5
    s["call_types"][0]["arrivals"]["slot"] = s["horizon"]  # still quiet
    result = ccsim.simulate(s, seed=9)
    absent = absences(result.model, result.seed)["a"]
    present = int((~absent[1, :14]).sum())
    assert 2 <= present <= 12  # the draws do absent it some days, not all
    table = result.agent_table().sort_index()
    assert table["break_time"].iloc[1] == pytest.approx(1800.0 * present)
    assert table["logged_in"].iloc[1] == pytest.approx(8 * 3600.0 * present)  # quiet: exactly its shifts
    assert table["break_time"].iloc[0] == pytest.approx(14 * 3600.0)


def test_idle_busy_staffed_and_logged_in(roster_run):
    table = roster_run.agent_table()
    np.testing.assert_allclose(table["idle"] + table["busy"], table["staffed"], rtol=1e-12, atol=1e-6)
    assert (table["logged_in"] >= table["staffed"]).all()
    # wang (09-17, one hour's break) and the pool's early shift (30 minutes) have breaks; li none
    by_id = table.set_index("id")
    assert by_id.loc["wang", "break_time"] == pytest.approx(3600.0)
    assert by_id.loc["li", "break_time"] == 0.0 and by_id.loc["li", "logged_in"] == by_id.loc["li", "staffed"]
    assert sorted(table["break_time"][table["group"] == "pool"]) == [0.0] * 6 + [1800.0] * 6
    assert table["answered"].sum() > 100


def test_rank_by_calls_per_hour_and_by_another_column(roster_run):
    table = roster_run.agent_table()
    assert list(table["rank"]) == sorted(table["rank"]) and table["rank"].iloc[0] == 1
    worked = table[table["staffed"] > 0]
    assert table["calls_per_hour"].iloc[0] == worked["calls_per_hour"].max()
    by_aht = roster_run.agent_table(rank_by="aht")
    assert by_aht["aht"].iloc[0] == by_aht["aht"].min()  # lower is better for handle time
    by_answered = roster_run.agent_table(rank_by="answered", ascending=True)
    assert by_answered["answered"].iloc[0] == by_answered["answered"].min()
    with pytest.raises(ArgumentError, match="cannot rank agents by 'team'"):
        roster_run.agent_table(rank_by="team")


@pytest.mark.parametrize("by", ["team", "squad"])
def test_rollups_are_the_sums_of_their_agents(roster_run, by):
    agents, table = roster_run.agent_table(), roster_run.rollup(by)
    keys = ["team"] if by == "team" else ["team", "squad"]
    members = agents if by == "team" else agents[agents["squad"] != ""]
    sums = [*AGENT_SUMS, *(c for c in agents.columns if c.startswith("answered_"))]
    expected = members.groupby(keys)[sums].sum()
    np.testing.assert_allclose(table[sums].to_numpy(float), expected.loc[table.index].to_numpy(float))
    np.testing.assert_allclose(table["occupancy"], table["busy"] / table["staffed"])
    np.testing.assert_allclose(table["aht"], (table["talk"] + table["acw"]) / table["answered"])
    assert table["agents"].sum() == len(members)
    if by == "team":
        assert set(table.index) == {"north", "south", "basic"}
        assert table.loc["north", "leader"].startswith("li")
    else:
        assert table.loc[("north", "n1"), "leader"] == "li"


def test_skill_table_is_the_per_type_counters(roster_run):
    table, totals = roster_run.skills(), roster_run.stats.total_calls
    for k, name in enumerate(roster_run.model.call_type_names):
        for column in ("offered", "answered", "abandoned", "overflowed", "transferred_in", "transferred_out"):
            assert table.loc[name, column] == totals[k, CALL_FIELDS.index(column)]
        kpis = roster_run.kpis_by_call_type()[name]
        assert table.loc[name, "service_level"] == kpis["service_level"]
        assert table.loc[name, "asa"] == kpis["asa"]
    assert list(table["threshold"]) == list(roster_run.model.type_thresholds())


def test_summaries_over_replications_average_and_give_intervals():
    results = ccsim.replicate(ROSTER, 3, seed=2)
    tables = [r.agent_table() for r in results]
    mean = mean_agent_table(tables).sort_index()
    np.testing.assert_allclose(mean["answered"], np.mean([t.sort_index()["answered"] for t in tables], axis=0))
    teams = rollup_summary(tables, "team")
    np.testing.assert_allclose(teams["answered"], np.mean([rollup(t)["answered"] for t in tables], axis=0))
    assert np.isfinite(teams["occupancy_ci"]).all() and (teams["occupancy_ci"] > 0).all()
    skills = skill_summary([skill_table(r) for r in results])
    assert np.isfinite(skills["service_level_ci"]).all()
    one = rollup_summary(tables[:1])
    assert one["occupancy_ci"].isna().all()
    # the numpy mean (the CLI's and the report's top agents): sums averaged, ratios of the means
    columns = mean_agent_columns([agent_columns(r) for r in results])
    for name in ("answered", "staffed", "break_time", "occupancy", "aht", "calls_per_hour"):
        np.testing.assert_allclose(columns[name], mean[name].to_numpy(), err_msg=name)
    busy = np.mean([t.sort_index()["busy"] for t in tables], axis=0)
    staffed = np.mean([t.sort_index()["staffed"] for t in tables], axis=0)
    worked = staffed > 0  # an agent in no shift has no occupancy
    assert worked.any() and np.isnan(columns["occupancy"][~worked]).all()
    np.testing.assert_allclose(columns["occupancy"][worked], busy[worked] / staffed[worked])


def test_a_model_without_shifts_has_no_breaks():
    model = compile_scenario(validate_scenario(ROSTER))
    assert len(model.shift_plan) == 6 + 5 + 1 + 2  # the pool's shifts, wang's, zhao's two
    result = ccsim.simulate("scenarios/erlang_c.yaml", seed=1)
    table = result.agent_table()
    assert (table["break_time"] == 0).all() and (table["logged_in"] == table["staffed"]).all()


# ---- the command line and the HTML report ----------------------------------------------------------

@pytest.fixture(scope="module")
def roster_file(tmp_path_factory):
    import yaml

    path = tmp_path_factory.mktemp("roster") / "roster.yaml"
    path.write_text(yaml.safe_dump(ROSTER))
    return path


def invoke(*args) -> str:
    from click.testing import CliRunner

    from ccsim.cli import cli

    done = CliRunner().invoke(cli, [str(a) for a in args], env={"COLUMNS": "80"})
    assert done.exit_code == 0, done.output
    return done.output


def test_run_json_has_the_views_of_the_results(roster_file):
    import json

    out = json.loads(invoke("run", roster_file, "--reps", "2", "--seed", "3", "--agents", "4", "--json"))
    views = out["agent_views"]
    results = ccsim.replicate(ROSTER, 2, seed=3)
    teams = [r.rollup("team") for r in results]
    assert list(views["teams"]) == ["basic", "north", "south"]
    for team in views["teams"]:
        assert views["teams"][team]["answered"]["mean"] == pytest.approx(np.mean([t.loc[team, "answered"]
                                                                                  for t in teams]))
    # ratios are of the mean sums, as rollup_summary (not the mean of each replication's ratio)
    summary = rollup_summary([r.agent_table() for r in results], "team")
    for team in views["teams"]:
        for ratio in ("aht", "occupancy", "calls_per_hour"):
            assert views["teams"][team][ratio]["mean"] == pytest.approx(summary.loc[team, ratio], rel=1e-12)
    squads = {(row["team"], row["squad"]): row for row in views["squads"]}  # a list: names are any text
    assert squads[("north", "n1")]["leader"] == "li"
    by_squad = rollup_summary([r.agent_table() for r in results], "squad")
    assert squads[("north", "n1")]["aht"]["mean"] == pytest.approx(by_squad.loc[("north", "n1"), "aht"])
    best = mean_agent_table([r.agent_table() for r in results])
    assert [a["id"] for a in views["agents"]] == list(best["id"][:4])
    assert [a["rank"] for a in views["agents"]] == [1, 2, 3, 4]
    skills = [r.skills() for r in results]
    assert views["skills"]["sales"]["overflowed"]["mean"] == np.mean([s.loc["sales", "overflowed"] for s in skills])
    assert views["skills"]["sales"]["threshold"] == 20


def test_run_shows_teams_and_skills_by_default_and_agents_on_request(roster_file):
    text = invoke("run", roster_file, "--seed", "2")
    assert "Per team" in text and "Per skill" in text and "Per squad" not in text and "Top " not in text
    more = invoke("run", roster_file, "--seed", "2", "--agents", "3")
    assert "Per squad" in more and "Top 3 agents by calls per staffed hour" in more
    assert max(len(line) for line in more.splitlines()) <= 80
    plain = invoke("run", "scenarios/erlang_c.yaml", "--seed", "2")
    assert "Per team" not in plain and "Per skill" not in plain  # no teams, one call type


def test_html_report_has_the_agent_sections(roster_file, tmp_path):
    import re

    invoke("run", roster_file, "--reps", "2", "--html", tmp_path / "r.html")
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    section = text[text.index('<section id="agents">'):]
    section = section[:section.index("</section>")]
    assert '<table class="ccsim-table agents sortable">' in section
    for heading in ("Teams", "Squads", "Agents, ranked", "Skills"):
        assert f">{heading}</h3>" in section
    agents = section[section.index("ccsim-table agents"):section.index("ccsim-table skills")]
    rows = re.findall(r"<tr>(.*?)</tr>", agents, re.S)
    assert len(rows) == 1 + 17  # header, every agent
    assert ">li</td>" in section and ">pool.north.1</td>" in section


def test_a_study_keeps_the_agent_views_per_replication():
    from ccsim.experiment.study import compare

    small = copy.deepcopy(ROSTER)
    small["horizon"] = DAY / 2
    more = copy.deepcopy(small)
    more["agents"][2]["count"] = 4
    study = compare([small, more], reps=2, seed=5, backend="serial")
    agents, teams, skills = study.agents(), study.teams(), study.skills()
    assert len(agents) == 2 * 17 + 2 * 19 and set(agents["replication"]) == {0, 1}
    summed = agents.groupby(["point", "replication", "team"])["answered"].sum()
    np.testing.assert_allclose(teams.set_index(["point", "replication", "team"])["answered"], summed)
    assert len(study.teams("squad")) == 4 * 5 and len(skills) == 4 * 2
    # the same replication as ccsim.replicate's (common random numbers): the same agent table
    direct = ccsim.replicate(small, 2, seed=5)[1].agent_table().sort_index()
    mine = agents[(agents.point == 0) & (agents.replication == 1)]
    np.testing.assert_allclose(mine["break_time"], direct["break_time"])
    np.testing.assert_array_equal(mine["answered"], direct["answered"])


def test_squads_whose_names_hold_a_slash_stay_apart(tmp_path):
    """Team 'north/east' squad 's1' and team 'north' squad 'east/s1' were both keyed 'north/east/s1'
    in --json: one squad's numbers were lost. Squads are a list, each naming its team and squad."""
    import json

    import yaml

    data = {"name": "slash", "horizon": 3600, "interval": 900,
            "call_types": [{"name": "IN", "arrivals": {"process": "poisson", "rate": 60, "per": "hour"},
                            "handle_time": {"dist": "exponential", "mean": 180}}],
            "agents": [{"name": "grp", "serves": ["IN"],
                        "members": [{"id": "x1", "team": "north/east", "squad": "s1"},
                                    {"id": "x2", "team": "north", "squad": "east/s1"},
                                    {"id": "x3", "team": "north"}, {"id": "x4", "team": "north"}]}]}
    path = tmp_path / "slash.yaml"
    path.write_text(yaml.safe_dump(data))
    views = json.loads(invoke("run", path, "--reps", "2", "--json"))["agent_views"]
    assert sorted((row["team"], row["squad"]) for row in views["squads"]) == [("north", "east/s1"),
                                                                             ("north/east", "s1")]
    squad = next(row for row in views["squads"] if row["team"] == "north/east")  # its team's one agent
    assert squad["answered"] == views["teams"]["north/east"]["answered"] and squad["answered"]["mean"] > 0


def test_the_html_ranks_tied_agents_alike_and_rolls_up_ratios_of_means():
    """The report numbered ranked rows 1, 2, 3 where --json gave tied agents the same rank; its
    squad and team AHT was the mean of each replication's AHT, not the ratio of the mean sums."""
    from ccsim.report.agents import _rollup_table
    from ccsim.report.tables import Column, build_table
    from ccsim.report_table import format_value

    rows = [{"x": (15.5, 0.1)}, {"x": (17.0, 0.1)}, {"x": (15.5, 0.2)}, {"x": (9.0, 0.1)}, {"x": None}]
    table = build_table([Column("x", "x", str)], rows, sort_by="x", rank=True)
    assert [r[0].text for r in table.rows] == ["1", "2", "2", "4", "5"]
    results = ccsim.replicate(ROSTER, 2, seed=3)
    per_rep = [rollup_columns(agent_columns(r), "team") for r in results]
    html = _rollup_table(per_rep, "team")
    summary = rollup_summary([r.agent_table() for r in results], "team")
    header = [h for h, _ in html.headers]
    for row in html.rows:
        team = row[header.index("team")].text
        assert row[header.index("AHT")].text == format_value("asa", summary.loc[team, "aht"]), team
        assert row[header.index("occupancy")].text == format_value("occupancy", summary.loc[team, "occupancy"])
