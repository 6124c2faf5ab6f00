"""The HTML report: content, self-containment, statistics, and rendering in headless Chromium.

Studies are built from small real simulations. The browser checks need
/usr/bin/chromium and /usr/bin/chromedriver and fail (not skip) without them.
"""
import base64
import json
import math
import re
import shutil
import dataclasses
from html.parser import HTMLParser

import numpy as np
import pytest
from plotly.offline import get_plotlyjs
from scipy import stats as st

import browser
from ccsim import analytic, simulate
from ccsim.errors import UserError
from ccsim.experiment.records import (Point, ReplicationRecord, StudyData, intervals_to_ipc, record_from_result,
                                      run_replication, task_for)
from ccsim.report import figures, goals, stats, theory, write_html
from ccsim.report.page import SORT_SCRIPT
from ccsim.results import CALL_FIELDS, ENTRY_FIELDS, KPI_NAMES, mean_halfwidth
from factories import two_call_types

SEED = 2024
REPS = 3
SWEEP_COUNTS = (90, 95, 100)
COMPARE_SCREENSHOT = "/tmp/ccsim_report_compare.png"
HOSTILE = '<script>alert("pwned")</script>'
# Charts each report must hold: 4 per point (arrivals/staffing, lost calls, SL, ASA),
# 2 more per point by call type when there are several (offered, SL), plus the
# comparison or the sweep figure.
EXPECTED_CHARTS = {"run": 4, "compare": 2 * 4 + 1, "sweep": len(SWEEP_COUNTS) * 4 + 1, "multi": 2 * 6 + 1}


def scenario(agents: int, **call_type) -> dict:
    inbound = {
        "name": "inbound",
        "arrivals": {"process": "poisson", "rate": 0.5},
        "handle_time": {"dist": "exponential", "mean": 180},
        "patience": {"dist": "exponential", "mean": 120},
    }
    inbound.update(call_type)
    inbound = {k: v for k, v in inbound.items() if v is not None}
    return {
        "name": "report_test", "horizon": 7200, "warmup": 900, "interval": 900,
        "service_level": {"threshold": 20, "target": 0.8},
        "call_types": [inbound],
        "agents": [{"name": "team", "count": agents, "serves": ["inbound"]}],
    }


def study(kind: str, points: list, crn: bool = True) -> StudyData:
    records = [run_replication(task_for(p, rep, SEED, crn, "core")) for p in points for rep in range(REPS)]
    return StudyData(name=f"report-{kind}", kind=kind, seed=SEED, crn=crn, engine="core",
                     points=points, records=records)


def sweep_points(**call_type) -> list:
    return [Point(i, f"agents.team.count={n}", {"agents.team.count": n}, scenario(n, **call_type))
            for i, n in enumerate(SWEEP_COUNTS)]


MULTI_POINTS = [Point(0, "few sales", {}, two_call_types(50)), Point(1, f"more sales {HOSTILE}", {}, two_call_types(65))]


@pytest.fixture(scope="module")
def multi_results() -> dict:
    """{(point, rep): Result} of the two-call-type study (the raw counters the tests check against)."""
    return {(p.point, rep): simulate(p.scenario, seed=task_for(p, rep, SEED, True).seed())
            for p in MULTI_POINTS for rep in range(REPS)}


def multi_study(name: str, results: dict, keep_call_type_intervals: bool = True) -> StudyData:
    """The records ``record_from_result`` makes; without ``keep_call_type_intervals``, records
    holding the totals only (as a ``ReplicationRecord`` built without the breakdown)."""
    records = []
    for (point, rep), result in results.items():
        record = record_from_result(point, rep, (rep,), result)
        if not keep_call_type_intervals:
            record = dataclasses.replace(record, intervals_by_call_type=b"")
        records.append(record)
    return StudyData(name=name, kind="compare", seed=SEED, crn=True, engine="core", points=MULTI_POINTS,
                     records=records)


def counter(result, call_type: int, field: str) -> np.ndarray:
    """One raw per-interval call counter of one call type."""
    return result.stats.interval_calls[:, call_type, CALL_FIELDS.index(field)].astype(float)


def after_warmup(result) -> np.ndarray:
    m = result.model
    return np.arange(m.n_intervals) * m.interval >= m.warmup


@pytest.fixture(scope="module")
def studies(multi_results) -> dict:
    compare_points = [Point(0, "A.yaml", {}, scenario(92)), Point(1, "B.yaml", {}, scenario(100))]
    return {
        "run": study("run", [Point(0, "base", {}, scenario(95))]),
        "compare": study("compare", compare_points, crn=True),
        "sweep": study("sweep", sweep_points()),
        "multi": multi_study(f"two call types {HOSTILE}", multi_results),
    }


@pytest.fixture(scope="module")
def reports(studies, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("reports")
    return {kind: write_html(data, folder / f"{kind}.html") for kind, data in studies.items()}


# ---------------------------------------------------------------- the file
@pytest.mark.parametrize("kind", ["run", "compare", "sweep", "multi"])
def test_report_is_self_contained(reports, kind):
    text = reports[kind].read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\ssrc=", text), "the report loads a script from elsewhere"
    assert not re.search(r"<link[^>]*href=[\"']https?:", text)
    assert get_plotlyjs()[:200] in text, "plotly.js is not inlined"
    assert text.count('class="ccsim-chart') == EXPECTED_CHARTS[kind]


def test_header_states_study_and_definitions(reports, studies):
    text = reports["compare"].read_text(encoding="utf-8")
    header = text[text.index("<header>"):text.index("</header>")]
    for fact in ("report-compare", "compare", "core", str(SEED), "CRN</b>yes", "replications per point</b>3"):
        assert fact in header
    assert "answered within 20 s / offered" in text
    assert "abandoned / offered" in text


def test_service_level_definition_per_point_when_points_differ(studies, tmp_path):
    data = studies["compare"]
    other = dict(data.points[1].scenario, service_level={"threshold": 30})
    points = [data.points[0], Point(1, "B.yaml", {}, other)]
    path = write_html(StudyData(**{**vars(data), "points": points}), tmp_path / "r.html")
    text = path.read_text(encoding="utf-8")
    assert "A.yaml: answered within 20 s / offered; B.yaml: answered within 30 s / offered" in text


def test_write_is_atomic(studies, tmp_path):
    path = tmp_path / "report.html"
    path.write_text("old report")
    bad = StudyData(**{**vars(studies["run"]), "kind": "bogus"})
    with pytest.raises(ValueError, match="unknown study kind 'bogus'"):
        write_html(bad, path)
    assert path.read_text() == "old report"
    assert write_html(studies["run"], path) == path
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left


def test_write_never_replaces_a_file_that_is_not_a_page(studies, tmp_path):
    """Study.write_html("center.yaml") in Python, where no CLI checks the path: the scenario stays."""
    scenario = tmp_path / "center.yaml"
    scenario.write_text("name: center\n")
    with pytest.raises(ValueError, match=f"{scenario} exists and is not an HTML page"):
        write_html(studies["run"], scenario)
    assert scenario.read_text() == "name: center\n"
    assert [p.name for p in tmp_path.iterdir()] == ["center.yaml"]
    page = tmp_path / "report"  # a report of before, without a suffix, is replaced
    write_html(studies["run"], page)
    assert write_html(studies["compare"], page) == page and "compare" in page.read_text(encoding="utf-8")


# ---------------------------------------------------------------- in the browser
@pytest.mark.browser
@pytest.mark.parametrize("kind", ["run", "compare", "sweep", "multi"])
def test_report_renders_in_chromium(reports, kind, tmp_path):
    facts = browser.open_page(reports[kind], screenshot=tmp_path / f"{kind}.png")
    assert facts.chart_divs == EXPECTED_CHARTS[kind]
    assert facts.rendered_plots == facts.chart_divs == facts.plotly_divs
    assert facts.trace_elements >= facts.chart_divs
    assert facts.trace_elements == facts.traces_in_data
    assert facts.severe == [], f"console errors: {facts.severe}"
    png = facts.screenshot.read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 50_000
    assert facts.page_height > 1000  # the full page, not only the window
    if kind == "compare":
        shutil.copyfile(facts.screenshot, COMPARE_SCREENSHOT)


# ---------------------------------------------------------------- statistics
def test_mean_halfwidth_is_columnwise_t_halfwidth():
    values = np.array([[1.0, 2.0], [2.0, np.nan], [4.0, 7.0], [np.nan, 3.0]])
    mean, hw = mean_halfwidth(values)
    for col in range(2):
        column = values[:, col][np.isfinite(values[:, col])]
        assert mean[col] == pytest.approx(column.mean())
        expected = st.t.ppf(0.975, len(column) - 1) * column.std(ddof=1) / np.sqrt(len(column))
        assert hw[col] == pytest.approx(expected)
    assert math.isnan(mean_halfwidth([3.0])[1])


def test_ci_cell_is_mean_halfwidth_as_a_summary_cell():
    """The {mean, ci_halfwidth} cell of the run, workforce and money summaries: NaN, not an
    error or a warning, without a finite value; no half-width from one."""
    import warnings

    from ccsim.results import ci_cell

    values = [1.0, np.nan, 4.0, 2.5]
    assert ci_cell(values) == dict(zip(("mean", "ci_halfwidth"), mean_halfwidth(values)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        empty = ci_cell([np.nan, np.inf])
        one = ci_cell([3.0])
    assert math.isnan(empty["mean"]) and math.isnan(empty["ci_halfwidth"])
    assert one["mean"] == 3.0 and math.isnan(one["ci_halfwidth"])


def test_report_differences_are_the_analysis_comparison(studies):
    """The report shows the paired (CRN) differences of ccsim.experiment.analysis, not its own."""
    data = studies["compare"]
    base, other = (data.records_of(p.point) for p in data.points)
    d = np.array([b.kpis["service_level"] - a.kpis["service_level"] for a, b in zip(base, other)])
    diff, hw = stats.differences(data, ["service_level"])[data.points[1].point, "service_level"]
    assert diff == pytest.approx(d.mean())
    assert hw == pytest.approx(st.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)))


def test_interval_summary_skips_warmup(studies):
    iv = stats.interval_summary(studies["run"].records_of(0))
    assert iv["start"][0] == 900 and len(iv["start"]) == 7
    mean, hw = iv["staffed_agents"]
    assert np.allclose(mean, 95) and np.all(np.isfinite(iv["service_level"][1]))


def test_group_rows_per_point(studies):
    from ccsim.report.tables import group_rows
    rows = group_rows(studies["sweep"])
    assert [(r["group"], r["agents"][0]) for r in rows] == [("team", n) for n in SWEEP_COUNTS]


# ---------------------------------------------------------------- theory beside sweeps
def _trace_names(fig) -> list:
    return [t.name for t in fig.data if t.name]


def test_sweep_draws_erlang_a_for_textbook_queue(studies):
    fig = figures.sweep_curves(studies["sweep"])
    erlang = [t for t in fig.data if t.name and "Erlang" in t.name]
    assert erlang and all(t.name == "Erlang A (exact)" for t in erlang)
    # the curve is the exact formula at every agent count of the sweep range
    curve = next(t for t in erlang if t.xaxis == "x")  # service level panel
    x = np.asarray(curve.x)
    assert list(x) == list(range(SWEEP_COUNTS[0], SWEEP_COUNTS[-1] + 1))
    exact = analytic.erlang_a_metrics(95, 0.5, 180, 120, 20).service_level
    assert np.asarray(curve.y)[x == 95][0] == pytest.approx(100 * exact)


@pytest.mark.parametrize("patience, kind", [(None, "C"), ({"dist": "deterministic", "value": 0}, "B")])
def test_erlang_c_and_b_qualify(patience, kind):
    model = theory.erlang_model(scenario(95, patience=patience))
    assert model is not None and model.kind == kind


def test_busyness_has_no_erlang_model():
    # A gamma factor per day makes the arrivals doubly stochastic: no Erlang formula holds.
    busy = {"process": "poisson", "rate": 0.5, "busyness": {"cv": 0.2}}
    assert theory.erlang_model(scenario(95, arrivals=busy)) is None
    assert theory.erlang_model(scenario(95, arrivals=dict(busy, busyness={"cv": 0}))) is not None


@pytest.mark.parametrize("change", [
    {"handle_time": {"dist": "lognormal", "mean": 180, "cv": 1.2}},
    {"patience": {"dist": "deterministic", "value": 60}},
    {"arrivals": {"process": "piecewise", "rates": [0.4, 0.6]}},
    {"after_call_work": {"dist": "exponential", "mean": 20}},
])
def test_sweep_has_no_erlang_trace_otherwise(studies, change):
    data = StudyData(**{**vars(studies["sweep"]), "points": sweep_points(**change)})
    names = _trace_names(figures.sweep_curves(data))
    assert "simulated" in names
    assert not any("Erlang" in n for n in names)


def test_sweep_over_a_non_count_override_has_no_erlang_trace(studies):
    points = [Point(i, f"patience={m}", {"call_types.inbound.patience.mean": m},
                    scenario(95, patience={"dist": "exponential", "mean": m}))
              for i, m in enumerate((60, 120, 240))]
    data = StudyData(**{**vars(studies["sweep"]), "points": points})
    fig = figures.sweep_curves(data)
    assert not any("Erlang" in n for n in _trace_names(fig))
    assert fig.layout.xaxis.title.text == "call_types.inbound.patience.mean"


# ---------------------------------------------------------------- page content
class _Tables(HTMLParser):
    """{section id: [table: [row: [(text, half-width line, td class)]]]} of an HTML page."""

    def __init__(self):
        super().__init__()
        self.sections, self.section, self.cell, self.sub = {}, None, None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.section = attrs["id"]
            self.sections[self.section] = []
        elif tag == "table":
            self.sections[self.section].append([])
        elif tag == "tr":
            self.sections[self.section][-1].append([])
        elif tag in ("td", "th"):
            self.cell = ["", "", attrs.get("class", "")]
        elif tag == "span" and self.cell is not None:
            self.sub = True

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.sections[self.section][-1][-1].append(tuple(self.cell))
            self.cell = None
        elif tag == "span":
            self.sub = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[1 if self.sub else 0] += data


def page_tables(path) -> dict:
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.sections


def t_interval(values) -> tuple:
    values = np.asarray(values, dtype=float)
    return values.mean(), st.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))


def test_kpi_summary_rows_follow_kpi_names(reports):
    table = page_tables(reports["compare"])["kpi-summary"][0]
    assert [row[0][0] for row in table[1:]] == list(KPI_NAMES)


def test_call_type_table_holds_the_records_numbers(reports, studies):
    data = studies["multi"]
    table = page_tables(reports["multi"])["call-types"][0]
    header = [c[0] for c in table[0]]
    assert header[:2] == ["point", "call type"]
    rows = {(r[0][0], r[1][0]): r for r in table[1:]}
    assert set(rows) == {(p.label, c) for p in data.points for c in ("sales", "service")}
    for p in data.points:
        for name in ("sales", "service"):
            row = rows[p.label, name]
            values = [r.by_call_type[name] for r in data.records_of(p.point)]
            mean, hw = t_interval([v["service_level"] for v in values])
            assert row[header.index("service level")][:2] == (f"{100 * mean:.2f} %", f"± {100 * hw:.2f} pp")
            mean, hw = t_interval([v["asa"] for v in values])
            assert row[header.index("ASA")][:2] == (f"{mean:,.2f} s", f"± {hw:,.2f} s")
            mean, _ = t_interval([v["offered"] for v in values])
            assert row[header.index("offered")][0] == (f"{mean:,.0f}" if mean.is_integer() else f"{mean:,.1f}")
    # KPI columns in KPI_NAMES order; occupancy belongs to groups
    assert "occupancy" not in header and "arrivals" in header


def test_group_table_holds_the_records_numbers(reports, studies):
    data = studies["multi"]
    table = page_tables(reports["multi"])["agent-groups"][0]
    header = [c[0] for c in table[0]]
    assert header == ["point", "group", "agents", "answered", "AHT", "occupancy"]
    rows = {(r[0][0], r[1][0]): r for r in table[1:]}
    for p in data.points:
        for group in ("sales_team", "all_round"):
            records = data.records_of(p.point)
            row = rows[p.label, group]
            assert row[2][0] == f"{records[0].groups[group]['agents']:,.0f}"
            answered = [r.groups[group]["answered"] for r in records]
            assert re.fullmatch(r"\d{1,3}(,\d{3})*(\.\d)?", row[3][0])  # thousands separators
            assert row[3][0] == (f"{np.mean(answered):,.0f}" if np.mean(answered).is_integer()
                                 else f"{np.mean(answered):,.1f}")
            mean, hw = t_interval([r.groups[group]["occupancy"] for r in records])
            assert row[5][:2] == (f"{100 * mean:.2f} %", f"± {100 * hw:.2f} pp")


def test_difference_table_in_percentage_points_and_seconds(reports, studies):
    data = studies["compare"]
    table = page_tables(reports["compare"])["comparison"][0]
    assert [c[0] for c in table[0]] == ["point", "Δ service level", "Δ ASA", "Δ abandon rate", "Δ occupancy"]
    diffs = stats.differences(data, figures.COMPARE_KPIS)
    row = table[1]
    diff, hw = diffs[1, "service_level"]
    assert row[1][:2] == (f"{100 * diff:+.2f} pp", f"± {100 * hw:.2f} pp")
    diff, hw = diffs[1, "asa"]
    assert row[2][:2] == (f"{diff:+,.2f} s", f"± {hw:,.2f} s")


def test_user_text_is_escaped(reports, studies):
    text = reports["multi"].read_text(encoding="utf-8")
    assert "pwned" in text and HOSTILE not in text
    assert '&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;' in text  # title, header, table cells
    assert "<script>alert" not in text
    # every <script> on the page is plotly.js, a plotly chart or the agent table's sorting
    assert 'id="agents"' in text and text.count(f"<script>{SORT_SCRIPT}</script>") == 1
    assert text.count("<script") == 1 + EXPECTED_CHARTS["multi"] + 1


def test_one_replication_has_no_ci_and_leaves_goals_undecided(studies, tmp_path):
    data = studies["run"]
    one = StudyData(**{**vars(data), "records": data.records_of(0)[:1]})
    tables_ = page_tables(write_html(one, tmp_path / "one.html"))
    summary = tables_["kpi-summary"][0]
    assert all(cell[1] == "" for row in summary[1:] for cell in row[1:])  # no half-width line
    goal_row = tables_["service-level-goals"][0][1]
    assert goal_row[4][:2] == ("undecided", "no confidence interval (needs 2 or more replications)")


# ---------------------------------------------------------------- service-level goals
def record(point: int, rep: int, service_levels: dict, interval_sl=None) -> ReplicationRecord:
    """A hand-made record: the given service level per call type (and per interval: the first
    interval is the warm-up)."""
    by_type = {name: {k: (sl if k == "service_level" else 1000.0) for k in KPI_NAMES}
               for name, sl in service_levels.items()}
    sl_per_interval = interval_sl if interval_sl is not None else [0.5, 0.5]
    n = len(sl_per_interval)
    dtype = [("start", float), ("end", float), ("warmup", bool), ("staffed_agents", float),
             ("busy_agents", float)] + [(k, float) for k in KPI_NAMES]
    table = np.zeros(n, dtype=dtype)
    table["start"], table["end"] = np.arange(n) * 900.0, np.arange(1, n + 1) * 900.0
    table["warmup"][0] = True
    table["service_level"] = sl_per_interval
    totals = {k: 1000.0 for k in KPI_NAMES} | {"service_level": float(np.mean(list(service_levels.values())))}
    return ReplicationRecord(point, rep, (rep,), totals, by_type, {"team": {"agents": 10, "answered": 900.0,
                             "aht": 180.0, "occupancy": 0.8}}, intervals_to_ipc(table), 1000, 0.1)


def goal_scenario(call_types: dict, target=None) -> dict:
    """{name: service_level_target or None} -> a valid scenario dict."""
    return {
        "name": "goals", "horizon": 3600, "interval": 900,
        "service_level": {"threshold": 20, **({"target": target} if target is not None else {})},
        "call_types": [{"name": n, "arrivals": {"process": "poisson", "rate": 0.1},
                        "handle_time": {"dist": "exponential", "mean": 60},
                        **({"service_level_target": g} if g is not None else {})} for n, g in call_types.items()],
        "agents": [{"name": "team", "count": 10, "serves": list(call_types)}],
    }


def test_goals_met_not_met_undecided_on_a_constructed_study(tmp_path):
    levels = {"met": [0.90, 0.91, 0.92], "missed": [0.50, 0.55, 0.60], "straddles": [0.70, 0.90, 0.80],
              "default_missed": [0.1, 0.2, 0.3], "default_met": [0.80, 0.81, 0.82]}
    scenario_ = goal_scenario({"met": 0.8, "missed": 0.8, "straddles": 0.8, "default_missed": None,
                               "default_met": None}, target=0.75)
    records = [record(0, r, {name: v[r] for name, v in levels.items()}) for r in range(3)]
    data = StudyData("goals", "run", 1, True, "core", [Point(0, "plan", {}, scenario_)], records)
    checks = {c.call_type: c for c in goals.goal_checks(data)}
    totals = t_interval([r.kpis["service_level"] for r in records])
    assert {k: c.verdict for k, c in checks.items()} == {
        "met": "met", "missed": "not met", "straddles": "undecided", "default_missed": "not met",
        "default_met": "met", "all call types": goals.decide(*totals, 0.75)[0]}
    assert checks["straddles"].reason == "the 95 % CI straddles the goal"
    assert checks["default_met"].goal == 0.75 and checks["met"].goal == 0.8  # the call type's own goal wins
    assert checks["met"].intervals_meeting is None  # several call types, no per-type intervals stored
    rows = page_tables(write_html(data, tmp_path / "goals.html"))["service-level-goals"][0]
    shown = {r[1][0]: (r[2][0], r[4][0], r[4][2], r[5][:2]) for r in rows[1:]}
    assert shown["met"] == ("80.00 %", "met", "text verdict-met", ("n/a", "not stored per call type"))
    assert shown["missed"][1:3] == ("not met", "text verdict-not-met")
    assert shown["straddles"][1:3] == ("undecided", "text verdict-undecided")
    assert shown["default_met"][0] == "75.00 %"


def test_decide_boundaries():
    # binary-exact values, so the bounds fall exactly on the goal
    assert goals.decide(0.875, 0.125, 0.75) == ("met", "")  # lower bound on the goal: met
    assert goals.decide(0.5, 0.125, 0.75) == ("not met", "")
    assert goals.decide(0.625, 0.125, 0.75)[0] == "undecided"  # upper bound on the goal
    assert goals.decide(math.nan, 0.01, 0.8)[0] == "undecided"
    assert goals.decide(0.9, math.nan, 0.8)[0] == "undecided"


def test_share_of_intervals_meeting_the_goal(tmp_path):
    # interval 0 is the warm-up (left out); nan = no calls offered (left out)
    per_rep = [[0.0, 0.9, 0.7, math.nan, 0.85], [1.0, 0.6, 0.8, 0.95, 0.5], [0.0, 0.8, 0.8, 0.8, 0.79]]
    records = [record(0, r, {"inbound": 0.8}, sl) for r, sl in enumerate(per_rep)]
    data = StudyData("share", "run", 1, True, "core", [Point(0, "plan", {}, goal_scenario({"inbound": 0.8}))],
                     records)
    (check,) = goals.goal_checks(data)
    expected = t_interval([2 / 3, 2 / 4, 3 / 4])
    assert check.intervals_meeting == pytest.approx(expected)
    rows = page_tables(write_html(data, tmp_path / "share.html"))["service-level-goals"][0]
    assert rows[1][5][:2] == (f"{100 * expected[0]:.2f} %", f"± {100 * expected[1]:.2f} pp")


def test_nan_shows_as_na(tmp_path):
    nan_record = record(0, 0, {"inbound": math.nan})
    nan_record.kpis["asa"] = math.nan
    data = StudyData("nan", "run", 1, True, "core", [Point(0, "plan", {}, goal_scenario({"inbound": 0.8}))],
                     [nan_record])
    found = page_tables(write_html(data, tmp_path / "nan.html"))
    summary = {row[0][0]: row[1][0] for row in found["kpi-summary"][0][1:]}
    assert summary["asa"] == "n/a"
    call_type_row = found["call-types"][0][1]
    assert call_type_row[[c[0] for c in found["call-types"][0][0]].index("service level")][0] == "n/a"
    assert found["service-level-goals"][0][1][4][:2] == ("undecided", "no estimate (no calls offered)")


def test_no_goal_says_so(tmp_path, studies):
    points = [Point(0, "plan", {}, goal_scenario({"inbound": None}))]
    data = StudyData("none", "run", 1, True, "core", points, [record(0, 0, {"inbound": 0.5})])
    text = write_html(data, tmp_path / "none.html").read_text(encoding="utf-8")
    assert "No service-level goal is set" in text
    assert page_tables(tmp_path / "none.html")["service-level-goals"] == []


# ---------------------------------------------------------------- charts by call type and goal lines
def _decode(value):
    """Plotly's JSON arrays, plain or base64 typed arrays ({"dtype", "bdata"})."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).tolist()
    return value


def _traces(path) -> dict:
    """{chart div id: [trace dict]} parsed back from the page's Plotly.newPlot calls."""
    text = path.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    out = {}
    for m in re.finditer(r'Plotly\.newPlot\(\s*"(chart-[^"]+)-plot",\s*', text):
        data, _ = decoder.raw_decode(text, m.end())
        out[m.group(1)] = [{k: _decode(v) for k, v in trace.items()} for trace in data]
    return out


def test_call_type_interval_charts_show_the_stored_breakdown(reports, studies, multi_results):
    data = studies["multi"]
    charts = _traces(reports["multi"])
    for p in data.points:
        results = [multi_results[(p.point, r.rep)] for r in data.records_of(p.point)]
        offered = charts[f"chart-p{p.point}-offered-by-call-type"]
        sl = charts[f"chart-p{p.point}-service-level-by-call-type"]
        assert [t["name"] for t in offered] == ["sales", "service"]
        assert [t["name"] for t in sl] == ["sales", "sales goal 90 %", "service", "service goal 70 %"]
        keep = after_warmup(results[0])
        for k, name in enumerate(("sales", "service")):
            offered_counts = np.stack([counter(r, k, "offered")[keep] for r in results])
            in_sl = np.stack([counter(r, k, "answered_in_sl")[keep] for r in results])
            assert (offered_counts > 0).all()  # every interval has a service level to average
            assert np.allclose(offered[k]["y"], offered_counts.mean(axis=0))
            assert np.allclose(sl[2 * k]["y"], 100 * (in_sl / offered_counts).mean(axis=0))
    goal_trace = charts["chart-p0-service-level"][-1]
    assert goal_trace["name"] == "goal 70 %" and goal_trace["y"] == [70, 70]


def test_share_of_intervals_meeting_each_call_types_goal(studies, multi_results, tmp_path):
    data = studies["multi"]
    checks = {(c.point, c.call_type): c for c in goals.goal_checks(data)}
    for p in data.points:
        results = [multi_results[(p.point, r.rep)] for r in data.records_of(p.point)]
        keep = after_warmup(results[0])
        for k, (name, goal) in enumerate((("sales", 0.9), ("service", 0.7))):
            shares = []
            for r in results:
                offered, in_sl = counter(r, k, "offered")[keep], counter(r, k, "answered_in_sl")[keep]
                judged = offered > 0
                shares.append(np.mean(in_sl[judged] / offered[judged] >= goal))
            expected = t_interval(shares)
            assert checks[(p.point, name)].goal == goal
            assert checks[(p.point, name)].intervals_meeting == pytest.approx(expected, nan_ok=True)
    rows = page_tables(write_html(data, tmp_path / "multi.html"))["service-level-goals"][0]
    assert all(row[5][0] != "n/a" for row in rows[1:])  # every goal shows its share of intervals


def test_records_keep_the_breakdown_of_their_result(studies, multi_results):
    for record in studies["multi"].records:
        result = multi_results[(record.point, record.rep)]
        tables_ = record.call_type_interval_tables()
        assert list(tables_) == list(record.by_call_type) == ["sales", "service"]
        for k, name in enumerate(tables_):
            assert np.array_equal(tables_[name]["offered"], counter(result, k, "offered"))
            assert np.array_equal(tables_[name]["warmup"], ~after_warmup(result))
        frame = record.call_type_interval_frame()
        assert frame.equals(result.intervals(by="call_type"))
        # the breakdown adds up to the totals the record stores
        total = record.interval_table()["offered"]
        assert np.array_equal(tables_["sales"]["offered"] + tables_["service"]["offered"], total)


def test_a_record_without_the_breakdown_says_so_when_asked(studies):
    plain = dataclasses.replace(studies["multi"].records[0], intervals_by_call_type=b"")
    assert not plain.has_call_type_intervals
    with pytest.raises(UserError, match="replication 0 of point 0 was stored without its per-call-type"):
        plain.call_type_interval_frame()
    assert stats.call_type_interval_tables(plain) is None


def test_records_without_the_breakdown_say_so(tmp_path, multi_results):
    data = multi_study("plain records", multi_results, keep_call_type_intervals=False)
    text = write_html(data, tmp_path / "plain.html").read_text(encoding="utf-8")
    assert "no per-interval charts by call type" in text
    assert text.count('class="ccsim-chart') == 2 * 4 + 1
    checks = goals.goal_checks(data)
    assert [c.intervals_meeting for c in checks if c.call_type != "all call types"] == [None] * 4
    assert all(c.intervals_meeting is not None for c in checks if c.call_type == "all call types")


def test_sweep_and_interval_charts_draw_the_goal(reports, studies):
    fig = figures.sweep_curves(studies["sweep"], goal=0.8)
    goal = [t for t in fig.data if t.name == "goal 80 %"]
    assert len(goal) == 1 and list(goal[0].y) == [80, 80] and list(goal[0].x) == [SWEEP_COUNTS[0], SWEEP_COUNTS[-1]]
    assert goal[0].xaxis == "x"  # the service-level panel
    charts = _traces(reports["sweep"])
    assert any(t["name"] == "goal 80 %" for t in charts["chart-sweep"])
    assert charts["chart-p0-service-level"][-1]["name"] == "goal 80 %"


# ---------------------------------------------------------------- inbound path and media
INBOUND_REPS = 3


def _yaml_scenario(name: str, **changes) -> dict:
    from ccsim.scenario import load_scenario, scenario_to_dict

    return {**scenario_to_dict(load_scenario(f"scenarios/{name}.yaml")), **changes}


def inbound_scenarios() -> dict:
    from inbound_scenarios import INBOUND, INBOUND_MEDIA

    return {"inbound_media": INBOUND_MEDIA, "inbound": INBOUND, "ads_demo": _yaml_scenario("ads_demo"),
            "erlang_a": _yaml_scenario("erlang_a", horizon=10800.0, warmup=900.0)}


@pytest.fixture(scope="module")
def inbound_runs(tmp_path_factory) -> dict:
    """{name: (Results, HTML report written by ``ccsim run --html``)} of the inbound and media
    scenarios, and of Erlang A (none of the features)."""
    import yaml
    from click.testing import CliRunner

    import ccsim
    from ccsim.cli import cli

    folder = tmp_path_factory.mktemp("inbound_reports")
    out = {}
    for name, data in inbound_scenarios().items():
        path = folder / f"{name}.yaml"
        path.write_text(yaml.safe_dump(data))
        html = folder / f"{name}.html"
        result = CliRunner().invoke(cli, ["run", str(path), "--reps", str(INBOUND_REPS), "--seed", str(SEED),
                                          "--html", str(html)])
        assert result.exit_code == 0, result.output
        out[name] = (ccsim.replicate(data, INBOUND_REPS, seed=SEED), html)
    return out


SECTIONS = {"inbound_media": {"lost-calls", "ivr", "media"}, "inbound": {"lost-calls", "ivr"},
            "ads_demo": {"media"}, "erlang_a": set()}


@pytest.mark.parametrize("name", list(SECTIONS))
def test_inbound_sections_appear_exactly_with_the_feature(inbound_runs, name):
    _, html = inbound_runs[name]
    sections = set(page_tables(html))
    assert sections & {"lost-calls", "ivr", "media"} == SECTIONS[name]
    charts = _traces(html)
    assert ("chart-p0-media" in charts) == ("media" in SECTIONS[name])
    assert len(charts) == 4 + (2 if name in ("inbound", "inbound_media", "ads_demo") else 0) + (
        "media" in SECTIONS[name])  # several call types: 2 charts by call type


def test_plain_studies_have_no_inbound_sections(reports):
    for path in reports.values():
        assert not set(page_tables(path)) & {"lost-calls", "ivr", "media"}


def _count_cell(values) -> tuple:
    """A count's mean ± half-width as the report writes it."""
    mean, hw = t_interval(values)
    return (f"{mean:,.0f}" if float(mean).is_integer() else f"{mean:,.1f}"), f"± {hw:,.1f}"


def _rows(table) -> dict:
    """{first cell text (or first two): row cells} of a page table, and its header."""
    header = [c[0] for c in table[0]]
    return header, table[1:]


def test_lost_call_table_holds_the_results_numbers(inbound_runs):
    results, html = inbound_runs["inbound_media"]
    header, rows = _rows(page_tables(html)["lost-calls"][0])
    assert header == ["", "inbound_media.yaml"]
    by_label = {r[0][0]: r[1][:2] for r in rows}
    lost = [r.lost_calls() for r in results]
    for key, label in (("attempts", "attempts (first + retrials)"), ("retrials", "retrials"),
                       ("blocked_lines", "blocked: all lines busy"), ("blocked_queue_full", "blocked: queue full"),
                       ("abandoned", "abandoned in a queue"), ("lost", "lost calls (blocked + abandoned)"),
                       ("ivr_hung_up", "hung up in the IVR (patience)"), ("callers", "callers"),
                       ("callers_lost", "callers lost")):
        assert by_label[label] == _count_cell([x[key] for x in lost]), label
    mean, hw = t_interval([x["lost"] / x["attempts"] for x in lost])
    assert by_label["lost / attempts"] == (f"{100 * mean:.2f} %", f"± {100 * hw:.2f} pp")
    for x in lost:  # the sentence of the section holds
        assert x["lost"] == x["blocked_lines"] + x["blocked_queue_full"] + x["abandoned"]
    assert "Lost calls = blocked (all lines busy, or the queue full) + abandoned" in html.read_text()


def test_entry_and_node_tables_hold_the_results_numbers(inbound_runs):
    results, html = inbound_runs["inbound_media"]
    entries, nodes = page_tables(html)["ivr"]
    header, rows = _rows(entries)
    assert [r[1][0] for r in rows] == ["hotline"]
    for column, label in (("arrived", "attempts"), ("ivr_hung_up", "hung up in the IVR"), ("routed", "to a queue"),
                          ("voicemail", "voicemail")):
        assert rows[0][header.index(label)][:2] == _count_cell([r.entries().loc["hotline", column] for r in results])
    header, rows = _rows(nodes)
    assert [r[1][0] for r in rows] == ["main.welcome", "main.support"]
    for row in rows:
        for column, label in (("entered", "entered"), ("hung_up", "hung up"), ("completed", "completed"),
                              ("to_node", "to a node"), ("to_queue", "to a queue")):
            expected = _count_cell([r.ivr_nodes().loc[row[1][0], column] for r in results])
            assert row[header.index(label)][:2] == expected, (row[1][0], label)


def test_channel_table_holds_the_results_numbers(inbound_runs):
    results, html = inbound_runs["inbound_media"]
    header, rows = _rows(page_tables(html)["media"][0])
    assert [r[1][0] for r in rows] == ["organic", "tv", "web"]
    frames = [r.channels() for r in results]
    for row in rows:
        name = row[1][0]
        for column in ("callers", "served", "abandoned", "blocked"):
            assert row[header.index(column)][:2] == _count_cell([f.loc[name, column] for f in frames])
        if name == "organic":
            assert row[header.index("airings")][0] == row[header.index("spend")][0] == "—"
            continue
        assert row[header.index("airings")][0] == f"{frames[0].loc[name, 'airings']:,.0f}"
        assert row[header.index("spend")][0] == f"{frames[0].loc[name, 'spend']:,.0f}"
        mean, hw = t_interval([f.loc[name, "calls_per_1000_spend"] for f in frames])
        assert row[header.index("callers per 1,000 spend")][:2] == (f"{mean:,.2f}", f"± {hw:,.2f}")


@pytest.mark.parametrize("name", ["inbound_media", "ads_demo"])
def test_media_figure_draws_channel_series_and_one_marker_per_airing(inbound_runs, name):
    results, html = inbound_runs[name]
    traces = _traces(html)["chart-p0-media"]
    frames = [r.intervals(by="channel") for r in results]
    frames = [f[~f["warmup"]] for f in frames]
    sources = ["organic", *results[0].model.channel_names]
    series = [t for t in traces if t.get("stackgroup")]
    assert [t["name"] for t in series] == sources
    for trace, source in zip(series, sources):
        expected = np.mean([f[f["channel"] == source]["callers"].to_numpy() for f in frames], axis=0)
        np.testing.assert_allclose(trace["y"], expected)
        first = frames[0][frames[0]["channel"] == source]
        np.testing.assert_allclose(trace["x"], (first["start"] + first["end"]) / 2 / 3600)
    markers = [t for t in traces if t.get("mode") == "markers"]
    airings = results[0].airings()
    assert sum(len(t["x"]) for t in markers) == len(airings)
    for trace in markers:
        channel = trace["name"].removesuffix(" airings")
        mine = airings[airings["channel"] == channel]
        np.testing.assert_allclose(trace["x"], mine["time"] / 3600)
        np.testing.assert_allclose(trace["y"], mine["spend"])
        assert channel in trace["hovertemplate"] and "spend" in trace["hovertemplate"]
    assert {t["name"] for t in markers} == {f"{c} airings" for c in set(airings["channel"])}


def test_a_study_report_shows_the_lost_calls_per_point(tmp_path):
    from inbound_scenarios import INBOUND

    points = [Point(0, "18 lines", {}, INBOUND), Point(1, "24 lines", {"lines": 24}, {**INBOUND, "lines": 24})]
    data = study("compare", points)
    header, rows = _rows(page_tables(write_html(data, tmp_path / "c.html"))["lost-calls"][0])
    assert header == ["", "18 lines", "24 lines"]
    blocked = {r[0][0]: r for r in rows}["blocked: all lines busy"]
    for i, p in enumerate(points, start=1):
        assert blocked[i][:2] == _count_cell([r.lost_calls["blocked_lines"] for r in data.records_of(p.point)])


@pytest.mark.browser
def test_media_and_ivr_report_renders_in_chromium(inbound_runs, tmp_path):
    _, html = inbound_runs["inbound_media"]
    facts = browser.open_page(html, screenshot=tmp_path / "inbound_media.png")
    assert facts.chart_divs == facts.rendered_plots == facts.plotly_divs == 7
    assert facts.trace_elements == facts.traces_in_data
    assert facts.severe == [], f"console errors: {facts.severe}"
    box = facts.boxes["chart-p0-media"]
    assert box["width"] > 600 and box["height"] > 300 and box["visible"]
    assert box["markers"] == 3  # one marker per airing drawn


@pytest.mark.parametrize("name, attempts", [("inbound_media", True), ("inbound", True), ("ads_demo", False),
                                            ("erlang_a", False)])
def test_arrivals_chart_shows_attempts_with_entries(inbound_runs, name, attempts):
    results, html = inbound_runs[name]
    traces = _traces(html)["chart-p0-arrivals"]
    bars = [t for t in traces if t["type"] == "bar"]
    if not attempts:
        assert [t["name"] for t in bars] == ["arrivals"]
        return
    assert [t["name"] for t in bars] == ["first attempts", "retrials"]
    keep = [after_warmup(r) for r in results]
    for trace, column in zip(bars, ("first", "retrials")):
        per_rep = []
        for r, k in zip(results, keep):
            calls, entries = r.stats.interval_calls.sum(axis=1), r.stats.interval_entries.sum(axis=1)
            retrials = calls[:, CALL_FIELDS.index("retrials")] + entries[:, ENTRY_FIELDS.index("retrials")]
            rings = (calls[:, CALL_FIELDS.index("arrived")] - calls[:, CALL_FIELDS.index("routed")]
                     + entries[:, ENTRY_FIELDS.index("arrived")])
            per_rep.append((rings - retrials if column == "first" else retrials)[k])
        np.testing.assert_allclose(trace["y"], np.mean(per_rep, axis=0))
    # the totals over intervals after the warm-up are the lost-call breakdown's
    total = sum(np.sum(t["y"]) for t in bars)
    assert total == pytest.approx(np.mean([r.lost_calls()["attempts"] for r in results]))
