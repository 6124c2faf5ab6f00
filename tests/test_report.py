"""The HTML report: content, self-containment, statistics, and rendering in headless Chromium.

Studies are built from small real simulations. The browser checks need
/usr/bin/chromium and /usr/bin/chromedriver and fail (not skip) without them.
"""
import math
import re
import shutil

import numpy as np
import pytest
from plotly.offline import get_plotlyjs
from scipy import stats as st

import browser
from ccsim import analytic
from ccsim.experiment.records import Point, StudyData, run_replication, task_for
from ccsim.report import figures, stats, theory, write_html
from ccsim.results import mean_halfwidth

SEED = 2024
REPS = 3
SWEEP_COUNTS = (90, 95, 100)
COMPARE_SCREENSHOT = "/tmp/ccsim_report_compare.png"
# Charts each report must hold: 4 per point (arrivals/staffing, lost calls, SL, ASA)
# plus the comparison or the sweep figure.
EXPECTED_CHARTS = {"run": 4, "compare": 2 * 4 + 1, "sweep": len(SWEEP_COUNTS) * 4 + 1}


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
        "service_level": {"threshold": 20},
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


@pytest.fixture(scope="module")
def studies() -> dict:
    compare_points = [Point(0, "A.yaml", {}, scenario(92)), Point(1, "B.yaml", {}, scenario(100))]
    return {
        "run": study("run", [Point(0, "base", {}, scenario(95))]),
        "compare": study("compare", compare_points, crn=True),
        "sweep": study("sweep", sweep_points()),
    }


@pytest.fixture(scope="module")
def reports(studies, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("reports")
    return {kind: write_html(data, folder / f"{kind}.html") for kind, data in studies.items()}


# ---------------------------------------------------------------- the file
@pytest.mark.parametrize("kind", ["run", "compare", "sweep"])
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


# ---------------------------------------------------------------- in the browser
@pytest.mark.browser
@pytest.mark.parametrize("kind", ["run", "compare", "sweep"])
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
