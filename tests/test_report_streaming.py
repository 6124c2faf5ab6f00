"""Study reports read one replication at a time: the per-interval bands are streamed over the
replications (``stats.Bands``) and give ``mean_halfwidth`` of the stacked tables to the last bit;
records loaded from a store keep their interval tables in the file; the report's memory is
budgeted before any work."""
import weakref

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

import ccsim.budget as budget
from ccsim.budget import BudgetError, check_budget
from ccsim.cli import cli
from ccsim.compile import compile_scenario
from ccsim.experiment.records import Point, ReplicationRecord
from ccsim.experiment.runner import run_study
from ccsim.experiment.store import Store
from ccsim.report import goals, inbound, stats
from ccsim.results import mean_halfwidth
from ccsim.scenario import validate_scenario
from factories import two_call_types

REPS = 6


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A two-call-type study of 6 replications a point, in a store (short intervals: many of them)."""
    path = tmp_path_factory.mktemp("streaming") / "study.sqlite"
    a = {**two_call_types(sales_agents=6, horizon=7200), "interval": 300}
    b = {**two_call_types(sales_agents=9, horizon=7200), "interval": 300}
    points = [Point(0, "a", {}, a), Point(1, "b", {}, b)]
    run_study(points, REPS, 3, True, store_path=path, backend="serial")
    with Store.open(path, write=False) as store:
        return store.load()


def stacked(tables: list) -> dict:
    """The summary as it was computed before streaming: every replication's table stacked."""
    keep = ~tables[0]["warmup"]
    out = {"start": tables[0]["start"][keep], "end": tables[0]["end"][keep]}
    for name in tables[0].dtype.names:
        if name not in ("start", "end", "warmup"):
            out[name] = mean_halfwidth(np.stack([t[name][keep] for t in tables]))
    return out


def assert_identical(streamed: dict, expected: dict) -> None:
    assert streamed.keys() == expected.keys()
    for name, value in expected.items():
        pairs = zip(value, streamed[name]) if isinstance(value, tuple) else [(value, streamed[name])]
        for want, got in pairs:
            want, got = np.asarray(want), np.asarray(got)
            assert got.shape == want.shape, name
            # bit for bit: the same floats, NaN where NaN
            assert np.array_equal(want.view(np.uint64), got.view(np.uint64)), name


def test_streamed_bands_are_the_stacked_ones_to_the_last_bit(stored):
    for point in stored.points:
        records = stored.records_of(point.point)
        assert len(records) == REPS
        per_rep = [r.call_type_interval_tables() for r in records]
        by_type = stats.call_type_interval_summary(records)
        assert set(by_type) == {"sales", "service"}
        for name in by_type:
            expected = stacked([t[name] for t in per_rep])
            assert len(expected["start"]) > 10 and np.isfinite(expected["service_level"][1]).any()
            assert_identical(by_type[name], expected)
        assert_identical(stats.interval_summary(records), stacked([r.interval_table() for r in records]))
        assert_identical(stats.interval_summary(records, [r.interval_table() for r in records]),
                         stacked([r.interval_table() for r in records]))


def test_streamed_bands_leave_out_non_finite_values_as_mean_halfwidth_does():
    rng = np.random.default_rng(7)
    dtype = [("start", float), ("end", float), ("warmup", bool), ("x", float)]
    tables = []
    for _ in range(9):
        t = np.zeros(12, dtype=dtype)
        t["start"], t["end"] = np.arange(12) * 60.0, np.arange(1, 13) * 60.0
        t["warmup"][:2] = True
        t["x"] = rng.normal(1e6, 1e-3, 12)  # a small spread on a large mean: rounding shows
        t["x"][rng.integers(0, 12, 4)] = np.nan
        t["x"][rng.integers(0, 12, 1)] = np.inf
        tables.append(t)
    tables[0]["x"][5:] = np.nan
    for t in tables[1:]:
        t["x"][6] = np.nan  # one finite value: no half-width
    assert_identical(stats.interval_summary([None] * 9, tables), stacked(tables))


class Tracked:
    """A record whose decoded interval tables are counted while alive."""

    live = 0  # decoded tables alive
    most = 0

    def __init__(self, record):
        self.record, self.by_call_type = record, record.by_call_type
        self.has_call_type_intervals = record.has_call_type_intervals
        self.kpis, self.point, self.rep = record.kpis, record.point, record.rep

    def _track(self, tables):
        Tracked.most = max(Tracked.most, Tracked.live)  # the ones still alive at a new decode
        for t in tables:
            Tracked.live += 1
            weakref.finalize(t, Tracked.dead)

    @staticmethod
    def dead():
        Tracked.live -= 1

    def call_type_interval_tables(self):
        out = self.record.call_type_interval_tables()
        self._track(out.values())
        return out

    def interval_table(self):
        out = self.record.interval_table()
        self._track([out])
        return out


@pytest.mark.parametrize("summary", [
    stats.call_type_interval_summary,
    stats.interval_summary,
    lambda records: goals.share_meeting((r.interval_table() for r in records), 0.5),
], ids=["by call type", "totals", "goal shares"])
def test_a_summary_holds_one_replication_s_tables_at_a_time(stored, summary):
    """Before: every replication's per-call-type tables of a point were decoded at once (37 MiB a
    replication of a 180-day, 20-type study)."""
    records = [Tracked(r) for r in stored.records_of(0)]
    Tracked.most = 0
    Tracked.live = 0
    summary(records)
    assert Tracked.most <= 2  # the last one read (its call types' tables), never all of them


def test_goal_checks_hold_one_replication_at_a_time(stored, monkeypatch):
    data = type(stored)(**{**vars(stored), "records": [Tracked(r) for r in stored.records]})
    Tracked.most = 0
    Tracked.live = 0
    checks = goals.goal_checks(data)
    assert {c.call_type for c in checks} >= {"sales", "service"}
    assert Tracked.most <= 2
    assert checks == goals.goal_checks(stored)


def test_stored_records_keep_their_tables_in_the_file(stored, tmp_path):
    """Before: ``Store.load`` read every replication's blobs into memory."""
    record = stored.records[0]
    held = sum(len(v) for v in vars(record).values() if isinstance(v, (bytes, bytearray)))
    assert held == 0
    assert len(record.intervals) > 0 and record.has_call_type_intervals
    plain = record.in_memory()
    assert type(plain) is ReplicationRecord and plain == record and record == plain
    assert np.array_equal(plain.interval_table()["offered"], record.interval_table()["offered"])
    import pickle

    again = pickle.loads(pickle.dumps(record))
    assert (again.point, again.rep, again.intervals) == (record.point, record.rep, record.intervals)
    assert again.intervals_by_call_type == record.intervals_by_call_type  # read from the file again


def test_channel_means_are_np_mean_of_the_stacked_tables():
    dtype = [("start", float), ("end", float), ("warmup", bool), ("channel", "U8"), ("callers", float)]
    rng = np.random.default_rng(3)

    class R:
        def __init__(self, t):
            self.t = t

        def channel_interval_table(self):
            return self.t

    tables = []
    for _ in range(7):
        t = np.zeros(10, dtype=dtype)
        t["start"] = np.repeat(np.arange(5) * 60.0, 2)
        t["end"] = t["start"] + 60
        t["warmup"][:2] = True
        t["channel"] = ["organic", "tv"] * 5
        t["callers"] = rng.random(10) * 1e3
        tables.append(t)
    out = inbound.channel_interval_summary([R(t) for t in tables])
    for name in ("organic", "tv"):
        rows = (tables[0]["channel"] == name) & ~tables[0]["warmup"]
        want = np.mean([t["callers"][rows] for t in tables], axis=0)
        assert np.array_equal(out[name], want)


# ---------------------------------------------------------------- the report's budget
def long_types(types: int = 8, days: float = 4.0, agents: int = 8) -> dict:
    names = [f"t{i}" for i in range(types)]
    return {"name": "long", "horizon": int(days * 86400), "interval": 900, "service_level": {"threshold": 20},
            "call_types": [{"name": n, "arrivals": {"process": "poisson", "rate": 0.002},
                            "handle_time": {"dist": "exponential", "mean": 180},
                            "patience": {"dist": "exponential", "mean": 120}} for n in names],
            "agents": [{"name": "team", "count": agents, "serves": names}]}


def between(scenarios: list) -> float:
    """A memory budget a replication of every point fits in and the study's report does not."""
    models = [compile_scenario(validate_scenario(s)) for s in scenarios]
    run = max(check_budget(m).memory for m in models)
    report = sum(budget.study_report_estimate(models).values())
    assert report > 2 * run
    return (run + report) / 2


def test_the_report_budget_counts_intervals_types_and_points():
    one = compile_scenario(validate_scenario(long_types(4, 2.0)))
    more_types = compile_scenario(validate_scenario(long_types(8, 2.0)))
    longer = compile_scenario(validate_scenario(long_types(4, 4.0)))
    charts = lambda models: budget.study_report_estimate(models)["report charts and tables"]  # noqa: E731
    assert charts([one, one]) == 2 * charts([one])
    assert charts([longer]) == pytest.approx(2 * charts([one]), rel=0.01)
    assert charts([more_types]) == pytest.approx(charts([one]) * 9 / 5)
    assert charts([one] * 10) == charts([one] * 6)  # only the first points get per-interval charts
    with pytest.raises(BudgetError, match="report budget: the study's HTML report needs about"):
        budget.check_study_report_budget([one, one], charts([one, one]) / 2)


def test_a_study_whose_report_would_not_fit_is_refused_before_it_runs(tmp_path):
    a, b = long_types(agents=8), long_types(agents=9)
    paths = []
    for name, s in (("a.yaml", a), ("b.yaml", b)):
        (tmp_path / name).write_text(yaml.safe_dump(s))
        paths.append(str(tmp_path / name))
    limit = str(int(between([a, b])))
    store, html = tmp_path / "s.sqlite", tmp_path / "r.html"
    result = CliRunner().invoke(cli, ["compare", *paths, "--reps", "2", "--workers", "1", "--store", str(store),
                                      "--html", str(html), "--max-memory", limit])
    assert result.exit_code == 2, result.output
    assert "report budget" in result.output and "--max-memory" in result.output
    assert "Traceback" not in result.output and not store.exists() and not html.exists()
    # without the report it runs; ccsim report then refuses the same budget, and makes it with a larger one
    result = CliRunner().invoke(cli, ["compare", *paths, "--reps", "2", "--workers", "1", "--store", str(store),
                                      "--max-memory", limit, "--json"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["report", str(store), "--html", str(html), "--max-memory", limit])
    assert result.exit_code == 2 and "report budget" in result.output and not html.exists()
    result = CliRunner().invoke(cli, ["report", str(store), "--html", str(html)])
    assert result.exit_code == 0, result.output
    assert html.exists()


def test_records_of_a_replaced_store_refuse_to_read_the_other_study(tmp_path):
    """The records read their tables from the file by (point, rep): once another study was written
    at the same path, they read its tables under their own KPIs (from a review)."""
    from ccsim.experiment.store import StoreMismatchError

    path = tmp_path / "s.sqlite"
    points = [Point(0, "a", {}, two_call_types(sales_agents=6, horizon=3600)),
              Point(1, "b", {}, two_call_types(sales_agents=9, horizon=3600))]
    run_study(points, 2, 3, True, store_path=path, backend="serial")
    with Store.open(path, write=False) as store:
        old = store.load()
    path.unlink()
    run_study(points, 2, 4, True, store_path=path, backend="serial")  # another seed, same path
    with pytest.raises(StoreMismatchError, match="now holds another study than the one these records were loaded "
                                                 "from.*load it again"):
        old.records[0].intervals


def test_a_python_study_is_self_contained(tmp_path):
    """compare(..., store_path=...) gave records that read the store file: with the file deleted,
    study.data's tables and write_html failed (StoreNotFoundError); python-api.md says study.data
    holds everything stored."""
    from ccsim.experiment import compare

    path = tmp_path / "keep" / "s.sqlite"
    path.parent.mkdir()
    centers = [two_call_types(sales_agents=6, horizon=3600), two_call_types(sales_agents=9, horizon=3600)]
    study = compare(centers, reps=2, seed=1, store_path=path, backend="serial")
    # the same study held in memory (no table of the stored one read before the file goes)
    expected = [record.interval_table()["offered"] for record in
                compare(centers, reps=2, seed=1, backend="serial").data.records]
    import shutil

    shutil.rmtree(path.parent)  # the store, its -wal and -shm
    assert all(np.array_equal(record.interval_table()["offered"], want)
               for record, want in zip(study.data.records, expected))
    study.write_html(tmp_path / "page.html")
    assert (tmp_path / "page.html").stat().st_size > 0


@pytest.mark.parametrize("value", ["abc", "-5", "0", "nan", "1e400GiB"])
def test_report_max_memory_takes_only_a_size(tmp_path, value):
    """ccsim report's --max-memory (new at this stop) has the bounds of the run budget's."""
    result = CliRunner().invoke(cli, ["report", str(tmp_path / "none.sqlite"), "--html", str(tmp_path / "r.html"),
                                      "--max-memory", value])
    assert result.exit_code == 2 and "--max-memory" in result.output, result.output
    assert "Traceback" not in result.output and not (tmp_path / "r.html").exists()
