"""Scenario files: every bad input is rejected with its path, what was expected,
what was found, and the file and line; valid scenarios compile."""
import copy
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from ccsim.compile import DIST_CODES, ENGINE_SOURCES, compile_scenario
from ccsim.scenario import ScenarioError, load_scenario, parse_scenario, validate_scenario
from ccsim.scenario.yaml_reader import dump_yaml
from factories import SMALL_YAML, single_queue

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))

BASE = SMALL_YAML

SECOND_TYPE = """\
  - name: sales
    arrivals: {process: poisson, rate: 0.05}
    handle_time: {dist: exponential, mean: 90}
"""


WEEKLY = "process: piecewise, rates: [1, 4, 6, 2], slot: 21600, weekdays: {}"


def mutate(old: str, new: str, text: str = BASE) -> str:
    assert old in text, f"{old!r} not in the base scenario"
    return text.replace(old, new, 1)


def line_of(text: str, marker: str) -> int:
    """1-based line of the first line containing ``marker``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if marker in line)


def load_error(tmp_path, text: str, name: str = "center.yaml") -> ScenarioError:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    err = info.value
    assert str(path) in str(err)  # the file is named
    return err


# (id, scenario text, field path, words the message must contain, marker of the expected line)
BAD = [
    ("horizon not a number", mutate("horizon: 20000", 'horizon: "soon"'),
     "horizon", ["expected a number", "found the string 'soon'"], "horizon"),
    ("negative rate", mutate("rate: 0.1", "rate: -1"),
     "call_types[0].arrivals.rate", ["greater than 0", "found -1"], "rate: -1"),
    ("zero rate", mutate("rate: 0.1", "rate: 0"),
     "call_types[0].arrivals.rate", ["greater than 0", "found 0"], "rate: 0"),
    ("rate not a number", mutate("rate: 0.1", "rate: lots"),
     "call_types[0].arrivals.rate", ["expected a number", "found the string 'lots'"], "rate: lots"),
    ("zero patience mean", mutate("mean: 120", "mean: 0"),
     "call_types[0].patience.mean", ["greater than 0", "found 0"], "patience"),
    ("negative patience mean", mutate("mean: 120", "mean: -30"),
     "call_types[0].patience.mean", ["greater than 0", "found -30"], "patience"),
    ("negative handle mean", mutate("mean: 60", "mean: -1.5"),
     "call_types[0].handle_time.mean", ["greater than 0", "found -1.5"], "handle_time"),
    ("unknown distribution", mutate("dist: exponential, mean: 60", "dist: expo, mean: 60"),
     "call_types[0].handle_time", ["unknown distribution 'expo'", "'exponential'", "'lognormal'"], "handle_time"),
    ("distribution without dist", mutate("dist: exponential, mean: 60", "mean: 60"),
     "call_types[0].handle_time", ["missing the key 'dist'"], "handle_time"),
    ("unknown arrival process", mutate("process: poisson", "process: poison"),
     "call_types[0].arrivals", ["unknown arrival process 'poison'", "'poisson'", "'piecewise'"], "arrivals"),
    ("bad rate unit", mutate("rate: 0.1}", "rate: 0.1, per: day}"),
     "call_types[0].arrivals.per", ["'second'", "'hour'", "found the string 'day'"], "arrivals"),
    ("unknown call type served", mutate("serves: [inbound]", "serves: [inbound, sales]"),
     "agents[0].serves[1]", ["'sales'", "not defined", "call types: inbound"], "serves"),
    ("call type nobody serves", mutate("agents:", SECOND_TYPE + "agents:"),
     "call_types[1].name", ["no agent group serves call type 'sales'"], "- name: sales"),
    ("warm-up longer than horizon", mutate("warmup: 1000", "warmup: 30000"),
     "warmup", ["warm-up (30000.0 s)", "shorter than the horizon (20000.0 s)"], "warmup"),
    ("warm-up equal to horizon", mutate("warmup: 1000", "warmup: 20000"),
     "warmup", ["shorter than the horizon"], "warmup"),
    ("empty agent list", BASE.split("agents:")[0] + "agents: []\n",
     "agents", ["expected at least 1 entry", "found an empty list"], "agents"),
    ("agents not a list", BASE.split("agents:")[0] + "agents: {name: team}\n",
     "agents", ["expected a valid list", "found a mapping"], "agents"),
    ("missing horizon", mutate("horizon: 20000\n", ""),
     "horizon", ["required field is missing"], "name: small"),
    ("missing handle time", mutate("    handle_time: {dist: exponential, mean: 60}\n", ""),
     "call_types[0].handle_time", ["required field is missing"], "- name: inbound"),
    ("unknown top-level key", mutate("warmup: 1000", "warmup: 1000\nhorizn: 5"),
     "horizn", ["unknown key", "did you mean 'horizon'?"], "horizn"),
    ("unknown nested key", mutate("count: 8", "count: 8\n    cuont: 3"),
     "agents[0].cuont", ["unknown key", "did you mean 'count'?"], "cuont"),
    ("duplicate key", mutate("warmup: 1000", "warmup: 1000\nhorizon: 5"),
     "horizon", ["key given twice"], "horizon: 5"),
    ("duplicate group name", BASE + "  - name: team\n    count: 2\n    serves: [inbound]\n",
     "agents[1].name", ["name 'team' is used twice in agents", "agents[0]"], "  - name: team\n    count: 2"),
    ("duplicate call type name", mutate("agents:", SECOND_TYPE.replace("sales", "inbound") + "agents:"),
     "call_types[1].name", ["name 'inbound' is used twice in call_types"], "- name: inbound\n    arrivals: {process: poisson, rate: 0.05}"),
    ("zero agents", mutate("count: 8", "count: 0"),
     "agents[0].count", ["greater than or equal to 1", "found 0"], "count"),
    ("fractional agents", mutate("count: 8", "count: 2.5"),
     "agents[0].count", ["expected a whole number", "found 2.5"], "count"),
    ("bad group name", mutate("name: team", "name: 'my team'"),
     "agents[0].name", ["expected a name", "found the string 'my team'"], "my team"),
    ("uniform high below low", mutate("dist: exponential, mean: 60", "dist: uniform, low: 50, high: 10"),
     "call_types[0].handle_time", ["high (10.0) must be at least low (50.0)"], "handle_time"),
    ("negative service-level threshold", mutate("interval: 900", "interval: 900\nservice_level: {threshold: -5}"),
     "service_level.threshold", ["greater than or equal to 0", "found -5"], "service_level"),
    ("all-zero piecewise profile", mutate("process: poisson, rate: 0.1", "process: piecewise, rates: [0, 0]"),
     "call_types[0].arrivals", ["all rates are zero"], "arrivals"),
    ("negative piecewise rate", mutate("process: poisson, rate: 0.1", "process: piecewise, rates: [1, -2]"),
     "call_types[0].arrivals.rates[1]", ["greater than or equal to 0", "found -2"], "arrivals"),
    # weekly patterns (a daily profile of 4 slots of 6 h) and busyness
    ("weekday factors of the wrong length", mutate("process: poisson, rate: 0.1", WEEKLY.format("[1, 1, 1]")),
     "call_types[0].arrivals.weekdays", ["expected at least 7 entries"], "weekdays"),
    ("too many weekday factors", mutate("process: poisson, rate: 0.1", WEEKLY.format("[1, 1, 1, 1, 1, 1, 1, 1]")),
     "call_types[0].arrivals.weekdays", ["expected at most 7 entries", "found 8"], "weekdays"),
    ("negative weekday factor", mutate("process: poisson, rate: 0.1", WEEKLY.format("[1, 1, 1, -1, 1, 1, 1]")),
     "call_types[0].arrivals.weekdays[3]", ["greater than or equal to 0", "found -1"], "weekdays"),
    ("all weekday factors zero", mutate("process: poisson, rate: 0.1", WEEKLY.format("[0, 0, 0, 0, 0, 0, 0]")),
     "call_types[0].arrivals.weekdays", ["all weekday factors are zero", "not all zero"], "weekdays"),
    ("weekly slot that does not divide a day",
     mutate("process: poisson, rate: 0.1", WEEKLY.format("[1, 1, 1, 1, 1, 1, 1]").replace("21600", "25000")),
     "call_types[0].arrivals.slot", ["divides a day", "86,400 s / 25000 s is not a whole number"], "weekdays"),
    ("weekly profile that is not a day",
     mutate("process: poisson, rate: 0.1", WEEKLY.format("[1, 1, 1, 1, 1, 1, 1]").replace("21600", "3600")),
     "call_types[0].arrivals.rates", ["daily profile", "24 rates of 3600 s", "found 4"], "weekdays"),
    ("weekly profile with repeat false",
     mutate("process: poisson, rate: 0.1", WEEKLY.format("[1, 1, 1, 1, 1, 1, 1]") + ", repeat: false"),
     "call_types[0].arrivals.repeat", ["repeat: false is not allowed with weekdays"], "weekdays"),
    ("start weekday without weekdays",
     mutate("process: poisson, rate: 0.1", "process: piecewise, rates: [1, 2], start_weekday: friday"),
     "call_types[0].arrivals.start_weekday", ["only meaningful with weekdays"], "start_weekday"),
    ("unknown start weekday",
     mutate("process: poisson, rate: 0.1", WEEKLY.format("[1, 1, 1, 1, 1, 1, 1]") + ", start_weekday: fri"),
     "call_types[0].arrivals.start_weekday", ["'monday'", "'sunday'", "found the string 'fri'"], "weekdays"),
    ("busyness cv above 10", mutate("rate: 0.1", "rate: 0.1, busyness: {cv: 11}"),
     "call_types[0].arrivals.busyness.cv", ["less than or equal to 10", "found 11"], "busyness"),
    ("negative busyness cv", mutate("rate: 0.1", "rate: 0.1, busyness: {cv: -0.1}"),
     "call_types[0].arrivals.busyness.cv", ["greater than or equal to 0", "found -0.1"], "busyness"),
    ("busyness cv too small for the sampler", mutate("rate: 0.1", "rate: 0.1, busyness: {cv: 1.0e-9}"),
     "call_types[0].arrivals.busyness.cv", ["use 0 (no busyness) or from 1e-06 to 10"], "busyness"),
    ("busyness with a slot that does not divide a day",
     mutate("process: poisson, rate: 0.1", "process: piecewise, rates: [1, 2], slot: 7000, busyness: {cv: 0.1}"),
     "call_types[0].arrivals.slot", ["busyness changes at midnight", "86,400 s / 7000 s"], "busyness"),
    ("busyness with an interval that does not divide a day",
     mutate("process: poisson, rate: 0.1", "process: piecewise, rates: [1, 2], busyness: {cv: 0.1}")
     .replace("interval: 900", "interval: 7000"),
     "interval", ["busyness changes at midnight", "86,400 s / 7000 s"], "interval"),
]


def _line_marker_line(text: str, marker: str) -> int:
    if "\n" in marker:  # a multi-line marker: the line where it starts
        return text[: text.index(marker)].count("\n") + 1
    return line_of(text, marker)


@pytest.mark.parametrize("text, path, words, marker", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_scenario_message(tmp_path, text, path, words, marker):
    err = load_error(tmp_path, text)
    assert len(err.problems) == 1, str(err)
    problem = err.problems[0]
    assert problem.path == path
    message = str(err)
    assert f"{path}: " in message
    for word in words:
        assert word in message
    line = _line_marker_line(text, marker)
    assert problem.line == line
    assert f"line {line}: " in message


def test_every_problem_is_listed(tmp_path):
    text = mutate("mean: 120", "mean: 0", mutate("rate: 0.1", "rate: -1"))
    err = load_error(tmp_path, text)
    paths = [p.path for p in err.problems]
    assert paths == ["call_types[0].arrivals.rate", "call_types[0].patience.mean"]
    assert "2 problems" in str(err)
    assert f"line {line_of(text, 'rate: -1')}: call_types[0].arrivals.rate" in str(err)


@pytest.mark.parametrize("old, new, marker", [
    ("serves: [inbound]", "serves: [inbound", "serves"),  # unclosed flow list
    ("  - name: team", "\t- name: team", "- name: team"),  # a tab
    ("count: 8", "count: : 8", "count"),
])
def test_malformed_yaml_names_the_line(tmp_path, old, new, marker):
    text = mutate(old, new)
    err = load_error(tmp_path, text)
    message = str(err)
    assert "malformed YAML" in message
    problem = err.problems[0]
    assert problem.line is not None and f"line {problem.line}" in message
    # the parser stops at or just after the bad spot; the message points there
    assert line_of(text, marker) <= problem.line <= line_of(text, marker) + 1


def test_malformed_yaml_says_where_the_open_list_started(tmp_path):
    text = mutate("serves: [inbound]", "serves: [inbound")
    message = str(load_error(tmp_path, text))
    assert f"starts on line {line_of(text, 'serves')}" in message


@pytest.mark.parametrize("text, found", [("", "an empty file"), ("- a\n- b\n", "a list"), ("42\n", "found 42")])
def test_top_level_must_be_a_mapping(tmp_path, text, found):
    message = str(load_error(tmp_path, text))
    assert "expected a mapping of scenario fields" in message and found in message


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere" / "center.yaml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(path) in str(info.value)
    assert "file not found" in str(info.value)


def test_folder_is_not_a_file(tmp_path):
    with pytest.raises(ScenarioError, match="not a file"):
        load_scenario(tmp_path)


def test_dict_input_has_paths_but_no_lines():
    data = yaml.safe_load(mutate("mean: 120", "mean: 0"))
    with pytest.raises(ScenarioError) as info:
        validate_scenario(data)
    assert info.value.problems[0].path == "call_types[0].patience.mean"
    assert info.value.problems[0].line is None


# ---------------------------------------------------------------- empirical CSV
def empirical(csv_name: str, column: str = "talk") -> str:
    return mutate("dist: exponential, mean: 60", f"dist: empirical, csv: {csv_name}, column: {column}")


def test_empirical_csv_loads(tmp_path):
    (tmp_path / "talk.csv").write_text("agent,talk\na,10\nb,20.5\nc,30\n")
    path = tmp_path / "center.yaml"
    path.write_text(empirical("talk.csv"))
    scenario = load_scenario(path)  # relative to the scenario's folder
    assert scenario.call_types[0].handle_time.values == [10.0, 20.5, 30.0]


def test_empirical_csv_missing_file(tmp_path):
    text = empirical("nope.csv")
    err = load_error(tmp_path, text)
    assert err.problems[0].path == "call_types[0].handle_time"
    assert err.problems[0].line == line_of(text, "handle_time")
    assert f"CSV file not found: {tmp_path / 'nope.csv'}" in str(err)


def test_empirical_csv_missing_column(tmp_path):
    (tmp_path / "talk.csv").write_text("agent,seconds\na,10\n")
    message = str(load_error(tmp_path, empirical("talk.csv")))
    assert "column 'talk' not in the header row of" in message and "talk.csv" in message
    assert "(2 columns)" in message
    assert "seconds" not in message  # no header cell is echoed unless it is a close match


def test_empirical_csv_non_numeric_cell_names_the_row(tmp_path):
    (tmp_path / "talk.csv").write_text("agent,talk\na,10\nb,20\nc,about a minute\n")
    message = str(load_error(tmp_path, empirical("talk.csv")))
    assert f"{tmp_path / 'talk.csv'}, line 4" in message
    assert "'about a minute'" in message and "expected a number" in message


@pytest.mark.parametrize("cell", ["1_000", "\u0661\u0662", "0x10", "1,5", "12 s"])
def test_empirical_csv_takes_plain_decimals_only(tmp_path, cell):
    """Python's float reads 1_000 and Arabic-Indic digits; a CSV cell holding them is a slip."""
    (tmp_path / "talk.csv").write_text(f'talk\n10\n"{cell}"\n', encoding="utf-8")
    message = str(load_error(tmp_path, empirical("talk.csv")))
    assert f"talk.csv, line 3: column 'talk' holds {cell!r}, expected a number" in message


def test_empirical_csv_reads_every_plain_decimal_form(tmp_path):
    (tmp_path / "talk.csv").write_text("talk\n10\n+2.5\n.5\n3.\n1e2\n 7 \n0E-1\n")
    path = tmp_path / "center.yaml"
    path.write_text(empirical("talk.csv"))
    assert load_scenario(path).call_types[0].handle_time.values == [10.0, 2.5, 0.5, 3.0, 100.0, 7.0, 0.0]


@pytest.mark.parametrize("cell", ["inf", "-Infinity", "nan"])
def test_empirical_csv_infinite_cells_fail_on_the_range(tmp_path, cell):
    (tmp_path / "talk.csv").write_text(f"talk\n{cell}\n")
    message = str(load_error(tmp_path, empirical("talk.csv")))
    assert f"line 2: column 'talk' holds {cell}, expected a finite number >= 0" in message


def test_empirical_csv_negative_cell(tmp_path):
    (tmp_path / "talk.csv").write_text("talk\n10\n-3\n")
    message = str(load_error(tmp_path, empirical("talk.csv")))
    assert "talk.csv, line 3" in message and "-3" in message and ">= 0" in message


def test_empirical_csv_without_column(tmp_path):
    text = mutate("dist: exponential, mean: 60", "dist: empirical, csv: talk.csv")
    assert "'csv' needs 'column'" in str(load_error(tmp_path, text))


# ---------------------------------------------------------------- the shipped scenarios
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_shipped_scenarios_load_and_compile(path):
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    model = compile_scenario(scenario)
    assert model.n_agents == sum(g.size for g in scenario.agents)


def test_there_are_shipped_scenarios():
    assert SCENARIOS


# ---------------------------------------------------------------- properties
NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,11}", fullmatch=True)
POSITIVE = st.floats(min_value=0.01, max_value=1e4, allow_nan=False, allow_infinity=False)
NONNEG = st.floats(min_value=0.0, max_value=1e4, allow_nan=False, allow_infinity=False)
CV = st.floats(min_value=0.05, max_value=3.0)
PER = st.sampled_from(["second", "minute", "hour"])

DISTRIBUTIONS = st.one_of(
    st.fixed_dictionaries({"dist": st.just("exponential"), "mean": POSITIVE}),
    st.fixed_dictionaries({"dist": st.just("deterministic"), "value": NONNEG}),
    st.tuples(NONNEG, NONNEG).map(sorted).map(lambda lh: {"dist": "uniform", "low": lh[0], "high": lh[1]}),
    st.fixed_dictionaries({"dist": st.just("lognormal"), "mean": POSITIVE, "cv": CV}),
    st.fixed_dictionaries({"dist": st.just("gamma"), "mean": POSITIVE, "cv": CV}),
    st.fixed_dictionaries({"dist": st.just("weibull"), "shape": st.floats(0.3, 10.0), "scale": POSITIVE}),
    st.fixed_dictionaries({"dist": st.just("empirical"), "values": st.lists(NONNEG, min_size=1, max_size=6)}),
)


def _some_traffic(rates: list) -> list:
    return rates if any(r > 0 for r in rates) else rates[:-1] + [1.0]


ARRIVALS = st.one_of(
    st.fixed_dictionaries({"process": st.just("poisson"), "rate": POSITIVE}, optional={"per": PER}),
    st.fixed_dictionaries(
        {"process": st.just("piecewise"), "rates": st.lists(NONNEG, min_size=1, max_size=8).map(_some_traffic)},
        optional={"slot": POSITIVE, "per": PER, "repeat": st.booleans()},
    ),
)


@st.composite
def valid_scenarios(draw) -> dict:
    type_names = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    call_types = []
    for name in type_names:
        call_type = {"name": name, "arrivals": draw(ARRIVALS), "handle_time": draw(DISTRIBUTIONS)}
        if draw(st.booleans()):
            call_type["patience"] = draw(DISTRIBUTIONS)
        if draw(st.booleans()):
            call_type["after_call_work"] = draw(DISTRIBUTIONS)
        call_types.append(call_type)
    agents = []
    for name in draw(st.lists(NAMES, min_size=1, max_size=3, unique=True)):
        group = {"name": name, "count": draw(st.integers(1, 50)),
                 "serves": draw(st.lists(st.sampled_from(type_names), min_size=1, unique=True))}
        if draw(st.booleans()):
            group["proficiency"] = draw(st.floats(0.2, 3.0))
        agents.append(group)
    unserved = [n for n in type_names if not any(n in g["serves"] for g in agents)]
    agents[draw(st.integers(0, len(agents) - 1))]["serves"].extend(unserved)

    horizon = draw(st.floats(10.0, 1e6))
    for call_type in call_types:  # keep slots within the horizon under the limit
        if "slot" in call_type["arrivals"]:
            call_type["arrivals"]["slot"] = max(call_type["arrivals"]["slot"], horizon / 1e5)
    scenario = {
        "name": draw(st.text(st.characters(categories=("L", "N", "P", "Zs")), max_size=12)),
        "horizon": horizon,
        "warmup": horizon * draw(st.floats(0.0, 0.9)),
        "call_types": call_types,
        "agents": agents,
    }
    if draw(st.booleans()):
        scenario["interval"] = max(draw(st.floats(1.0, 5000.0)), horizon / 1e5)
    if draw(st.booleans()):
        scenario["lines"] = draw(st.integers(1, 500))
    if draw(st.booleans()):
        scenario["drain"] = draw(st.booleans())
    if draw(st.booleans()):
        scenario["service_level"] = draw(st.fixed_dictionaries({}, optional={
            "threshold": NONNEG, "short_abandon": NONNEG,
            "denominator": st.sampled_from(["offered", "answered", "offered_excl_short_abandons"])}))
    return scenario


PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(valid_scenarios())
def test_valid_scenarios_validate_and_compile(data):
    scenario = validate_scenario(copy.deepcopy(data))
    assert parse_scenario(dump_yaml(data)) == scenario  # YAML gives the same model
    model = compile_scenario(scenario)
    k, g = len(data["call_types"]), len(data["agents"])

    assert model.n_types == k and model.n_groups == g
    assert model.group_names == tuple(sorted(a["name"] for a in data["agents"]))
    assert model.n_intervals == max(1, math.ceil(scenario.horizon / scenario.interval))
    for name in ("rate_start", "rate_count", "rate_slot", "rate_repeat"):
        assert getattr(model, name).shape == (k,), name
    for name in ("handle_periods", "patience_periods", "acw_periods"):
        assert getattr(model, name).shape == (k, 2), name
        assert (getattr(model, name)[:, 1] == 1).all(), name  # a plain distribution: one period
    assert model.rates.shape == (model.rate_count.sum(),)
    assert np.array_equal(model.rate_start, np.concatenate([[0], np.cumsum(model.rate_count)[:-1]]))
    assert np.all(model.rates >= 0) and np.all(model.rate_slot > 0)

    n_dists = len(model.dist_code)
    assert model.dist_param.shape == (n_dists, 3) and n_dists == 3 * k
    assert np.array_equal(model.period_start, np.zeros(3 * k))
    for index in model.period_dist:
        assert 0 <= index < n_dists
    assert set(model.dist_code) <= set(DIST_CODES.values())
    empirical = [d for c in data["call_types"] for key in ("handle_time", "patience", "after_call_work")
                 if (d := c.get(key)) and d["dist"] == "empirical"]
    assert len(model.empirical) == max(1, sum(len(d["values"]) for d in empirical))
    for code, (start, count, _) in zip(model.dist_code, model.dist_param):
        if code == DIST_CODES["empirical"]:
            assert 0 <= start and start + count <= len(model.empirical)
    for i, c in enumerate(data["call_types"]):
        patience_code = model.dist_code[model.period_dist[model.patience_periods[i, 0]]]
        assert (patience_code == DIST_CODES["infinite"]) == ("patience" not in c)

    assert model.group_count.shape == model.group_start.shape == model.group_proficiency.shape == (g,)
    assert model.n_agents == sum(a["count"] for a in data["agents"])
    assert np.array_equal(model.group_start, np.concatenate([[0], np.cumsum(model.group_count)[:-1]]))
    assert model.serves.shape == (g, k)
    assert model.serves.sum(axis=0).min() >= 1  # every call type has a group
    assert model.type_groups_start.shape == (k + 1,) and model.group_types_start.shape == (g + 1,)
    assert len(model.type_groups) == len(model.group_types) == model.serves.sum()
    group_index = {name: i for i, name in enumerate(model.group_names)}
    for t in range(k):
        served_by = model.type_groups[model.type_groups_start[t]:model.type_groups_start[t + 1]]
        assert sorted(served_by) == list(np.flatnonzero(model.serves[:, t]))
        # the routing order: the file order of the agents list (no call type lists its groups here)
        name = data["call_types"][t]["name"]
        assert list(served_by) == [group_index[a["name"]] for a in data["agents"] if name in a["serves"]]
    for grp in range(g):
        types = model.group_types[model.group_types_start[grp]:model.group_types_start[grp + 1]]
        assert sorted(types) == list(np.flatnonzero(model.serves[grp]))
        serves = next(a["serves"] for a in data["agents"] if a["name"] == model.group_names[grp])
        assert list(types) == [model.call_type_names.index(n) for n in dict.fromkeys(serves)]  # serves order
    # per call type: arrival, handle, patience, after-call work, retrial and callback streams (no entries,
    # menus, random routing, transfers or funnel here: their streams exist only when used)
    assert len(model.stream_keys) == model.stream_base["end"] == (len(ENGINE_SOURCES) + 2) * k
    assert {name for _, name in model.stream_keys} == set(model.call_type_names)


# Numeric fields where zero is valid (negative still is not); every other number must be > 0.
ZERO_ALLOWED = {"warmup", "threshold", "short_abandon", "value", "low", "high", "rates", "values"}


def numeric_fields(data, path=()):
    """(path, zero allowed) of every number in a scenario dict."""
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return []
    out = []
    for key, value in items:
        here = path + (key,)
        if isinstance(value, (dict, list)):
            out.extend(numeric_fields(value, here))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            owner = key if isinstance(key, str) else path[-1]  # list items: the list's name
            out.append((here, owner in ZERO_ALLOWED))
    return out


def format_path(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + part
    return out


def set_at(data, path, value):
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


@st.composite
def corrupted_scenarios(draw):
    data = draw(valid_scenarios())
    path, zero_ok = draw(st.sampled_from(numeric_fields(data)))
    original = data
    for part in path:
        original = original[part]
    kinds = ["negative", "text"] + ([] if zero_ok else ["zero"])
    kind = draw(st.sampled_from(kinds))
    bad = {"negative": -(abs(original) + draw(st.sampled_from([1, 0.5, 1e3]))),
           "zero": 0,
           "text": draw(st.sampled_from(["soon", "ten", "n/a", "12 s"]))}[kind]
    data = copy.deepcopy(data)
    set_at(data, path, bad)
    return data, format_path(path)


@PROPERTY_SETTINGS
@given(corrupted_scenarios())
def test_one_bad_number_is_reported_at_its_path(case):
    data, path = case
    with pytest.raises(ScenarioError) as info:
        validate_scenario(copy.deepcopy(data))
    assert path in str(info.value)
    assert [p.path for p in info.value.problems] == [path]

    with pytest.raises(ScenarioError) as info:  # the same through YAML, with a line number
        parse_scenario(dump_yaml(data), source="generated.yaml")
    problem = info.value.problems[0]
    assert problem.path == path and problem.line is not None
    assert f"line {problem.line}: {path}: " in str(info.value)


@pytest.mark.parametrize("old,new,path", [
    ("count: 190", "count: true", "agents[0].count"),
    ("horizon: 1007200", "horizon: yes", "horizon"),
])
def test_booleans_are_not_numbers(old, new, path):
    text = Path("scenarios/erlang_a.yaml").read_text().replace(old, new)
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, "x.yaml")
    assert path in str(err.value) and "expected a number, found true" in str(err.value)


# ---------------------------------------------------------------- did you mean
@pytest.mark.parametrize("old, new, path, hint", [
    ("interval: 900", "interval: 900\nservice_level: {targt: 0.8}", "service_level.targt", "target"),
    ("interval: 900", "interval: 900\nservice_level: {agnts: 0.8}", "service_level.agnts", None),
    ("mean: 60}", "meen: 60}", "call_types[0].handle_time.meen", "mean"),
    ("dist: exponential, mean: 60", "dist: weibull, shap: 2, scale: 60", "call_types[0].handle_time.shap", "shape"),
    ("rate: 0.1}", "rate: 0.1, pre: hour}", "call_types[0].arrivals.pre", "per"),
    ("rate: 0.1}", "rate: 0.1, agent: 3}", "call_types[0].arrivals.agent", None),
    ("count: 8", "count: 8\n    serve: [inbound]", "agents[0].serve", "serves"),
    ("warmup: 1000", "warmup: 1000\ncall_type: []", "call_type", "call_types"),
])
def test_did_you_mean_offers_only_fields_valid_there(old, new, path, hint):
    with pytest.raises(ScenarioError) as info:
        parse_scenario(mutate(old, new))
    problem = next(p for p in info.value.problems if p.path == path or p.message.startswith("unknown key"))
    assert problem.message.startswith("unknown key"), str(info.value)
    if hint is None:
        assert "did you mean" not in problem.message, problem.message
    else:
        assert problem.message == f"unknown key (did you mean '{hint}'?)"


def test_an_unknown_key_that_is_a_union_tag_keeps_its_path():
    with pytest.raises(ScenarioError) as info:
        parse_scenario(mutate("warmup: 1000", "warmup: 1000\nexponential: 1"))
    assert [p.path for p in info.value.problems] == ["exponential"]


def test_an_empty_key_is_quoted_in_the_path():
    with pytest.raises(ScenarioError) as info:
        parse_scenario(mutate("warmup: 1000", "warmup: 1000\n'': 1"))
    assert [p.path for p in info.value.problems] == ["['']"]


def test_numpy_integers_are_whole_numbers_and_quoted_numbers_are_not():
    data = single_queue(agents=np.int64(12))
    data["lines"] = np.int32(40)
    scenario = validate_scenario(data)
    assert scenario.agents[0].count == 12 and type(scenario.agents[0].count) is int
    assert scenario.lines == 40 and type(scenario.lines) is int
    with pytest.raises(ScenarioError, match=r"agents\[0\].count: expected a number, found the string '12'"):
        validate_scenario(single_queue(agents="12"))
    with pytest.raises(ScenarioError, match=r"agents\[0\].count: expected a number, found true"):
        validate_scenario(single_queue(agents=True))


@pytest.mark.parametrize("slot", [5e-324, 1e-300])
def test_a_tiny_slot_with_busyness_is_an_error_not_an_overflow(slot):
    # found by the soak (tests/soak_validate.py --run, seed 31119): 86,400 / slot overflowed to inf
    data = single_queue()
    data["call_types"][0]["arrivals"] = {"process": "piecewise", "rates": [1.0], "slot": slot,
                                         "busyness": {"cv": 0.1}}
    with pytest.raises(ScenarioError) as err:
        validate_scenario(data)
    assert "call_types[0].arrivals" in str(err.value)
