"""The study store: round trips, insert-once, mismatches, no overwrite, atomic creation."""
import dataclasses
import errno
import json
import math
import os
import sqlite3
import stat

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

import ccsim
from ccsim import files
from ccsim.errors import UserError
from ccsim.experiment.records import Point, ReplicationRecord, run_replication, task_for
from ccsim.experiment.store import (Store, StoreExistsError, StoreMismatchError, StoreNotFoundError,
                                   StoreWriteError, RESULTS_REVISION, fingerprint)
from factories import single_queue, two_call_types
from inbound_scenarios import INBOUND_MEDIA


def small(agents=100, horizon=5000):
    return single_queue(agents=agents, horizon=horizon)


# Point 1 is overstaffed: nobody abandons, so mean_wait_abandoned is NaN.
POINTS = [
    Point(0, "100 agents", {}, small(100)),
    Point(1, "agents.team.count=200", {"agents.team.count": 200}, small(200)),
]


def create(path, points=POINTS, seed=7, crn=True, engine="core"):
    return Store.create(path, name="study", kind="compare", seed=seed, crn=crn, engine=engine, points=points)


def records(reps=3, seed=7, crn=True):
    return [run_replication(task_for(p, r, seed, crn)) for r in range(reps) for p in POINTS]


def same_numbers(a, b) -> bool:
    """Equal dicts, NaN equal to NaN, values compared bit for bit."""
    return json.dumps(a, sort_keys=True, default=float) == json.dumps(b, sort_keys=True, default=float)


def assert_same_record(a, b):
    assert (a.point, a.rep, a.spawn_key) == (b.point, b.rep, tuple(b.spawn_key))
    assert list(a.kpis) == list(b.kpis)  # KPI order is kept
    assert same_numbers(a.kpis, b.kpis)
    assert same_numbers(a.by_call_type, b.by_call_type)
    assert same_numbers(a.groups, b.groups)
    assert a.intervals == b.intervals
    assert a.intervals_by_call_type == b.intervals_by_call_type
    assert (a.calls_simulated, a.wall_seconds) == (b.calls_simulated, b.wall_seconds)
    assert_same_inbound(a, b)


def assert_same_inbound(a, b):
    """The inbound and media fields (store format 3) are equal, NaN equal to NaN."""
    for name in ("lost_calls", "entries", "ivr_nodes", "channels"):
        assert list(getattr(a, name)) == list(getattr(b, name))
        assert same_numbers(getattr(a, name), getattr(b, name)), name
    assert (a.airings, a.intervals_by_channel) == (b.airings, b.intervals_by_channel)
    assert a.intervals_attempts == b.intervals_attempts
    assert_same_agents(a, b)


def assert_same_agents(a, b):
    """The agent views (store format 4) are equal, NaN equal to NaN."""
    assert a.agents == b.agents
    assert list(a.skills) == list(b.skills) and same_numbers(a.skills, b.skills)


def test_round_trip(tmp_path):
    made = records()
    assert math.isnan(made[1].kpis["mean_wait_abandoned"])  # the NaN case is exercised
    with create(tmp_path / "s.db") as store:
        assert all(store.add(r) for r in reversed(made))
    with Store.open(tmp_path / "s.db") as store:
        data = store.load()
    assert (data.name, data.kind, data.seed, data.crn, data.engine) == ("study", "compare", 7, True, "core")
    assert data.points == POINTS
    assert [(r.point, r.rep) for r in data.records] == sorted((r.point, r.rep) for r in made)
    by_key = {(r.point, r.rep): r for r in made}
    for loaded in data.records:
        original = by_key[(loaded.point, loaded.rep)]
        assert_same_record(original, loaded)
        np.testing.assert_array_equal(
            loaded.interval_table().view(np.uint8), original.interval_table().view(np.uint8)
        )
    assert type(data.records[0].groups["team"]["answered"]) is float  # numpy scalars become floats


def test_round_trip_keeps_the_per_call_type_interval_tables(tmp_path):
    points = [Point(0, "two types", {}, two_call_types())]
    made = run_replication(task_for(points[0], 0, 7, True))
    plain = dataclasses.replace(made, rep=1, intervals_by_call_type=b"")  # a record built without them
    with create(tmp_path / "s.db", points=points) as store:
        assert store.add(made) and store.add(plain)
        loaded, loaded_plain = store.load().records
    assert_same_record(made, loaded)
    assert loaded_plain.intervals_by_call_type == b"" and not loaded_plain.has_call_type_intervals
    tables = loaded.call_type_interval_tables()
    assert list(tables) == ["sales", "service"]
    np.testing.assert_array_equal(tables["sales"]["offered"] + tables["service"]["offered"],
                                  loaded.interval_table()["offered"])
    assert loaded.call_type_interval_frame().equals(made.call_type_interval_frame())


def test_metadata_and_pragmas(tmp_path):
    with create(tmp_path / "s.db") as store:
        meta = store.metadata
    assert meta["ccsim_version"] == ccsim.__version__
    assert meta["fingerprint"] == fingerprint(POINTS, 7, True, "core")
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_fingerprint_ignores_key_order_but_not_values():
    reordered = [Point(p.point, p.label, p.overrides, dict(reversed(list(p.scenario.items())))) for p in POINTS]
    assert fingerprint(reordered, 7, True, "core") == fingerprint(POINTS, 7, True, "core")
    changed = [POINTS[0], Point(1, "x", {}, small(201))]
    assert fingerprint(changed, 7, True, "core") != fingerprint(POINTS, 7, True, "core")
    assert fingerprint(POINTS, 8, True, "core") != fingerprint(POINTS, 7, True, "core")


def test_json_is_standard_and_queryable(tmp_path):
    with create(tmp_path / "s.db") as store:
        store.add(records(1)[1])
    db = sqlite3.connect(tmp_path / "s.db")
    value, answered = db.execute(
        "SELECT json_extract(kpis, '$.mean_wait_abandoned'), json_extract(kpis, '$.answered') FROM replications"
    ).fetchone()
    db.close()
    assert value is None and answered > 0  # NaN is stored as null


def test_insert_once(tmp_path):
    first = records(1)[0]
    other = dataclasses.replace(first, kpis={**first.kpis, "asa": -1.0}, wall_seconds=99.0)
    with create(tmp_path / "s.db") as store:
        assert store.add(first) is True
        assert store.add(first) is False
        assert store.add(other) is False  # the first copy is kept
        assert store.done() == {(0, 0)}
        (kept,) = store.load().records
    assert_same_record(first, kept)


def test_unknown_point_is_refused(tmp_path):
    record = dataclasses.replace(records(1)[0], point=5)
    with create(tmp_path / "s.db") as store, pytest.raises(ValueError, match="point 5"):
        store.add(record)


finite_or_not = hs.floats(allow_nan=True, allow_infinity=True) | hs.sampled_from([0.0, -0.0, math.nan])


def test_numbers_survive_bit_for_bit(tmp_path):
    reps = iter(range(10**6))
    intervals = records(1)[0].intervals

    @settings(max_examples=60, deadline=None)
    @given(kpis=hs.dictionaries(hs.sampled_from(ccsim.results.KPI_NAMES), finite_or_not, min_size=1),
           groups=hs.dictionaries(hs.text(min_size=1, max_size=8),
                                  hs.dictionaries(hs.text(max_size=5), finite_or_not)))
    def check(kpis, groups):
        rep = next(reps)
        store.add(ReplicationRecord(0, rep, (rep,), kpis, {"inbound": kpis}, groups, intervals, 1, 0.5))
        loaded = next(r for r in store.load().records if r.rep == rep)
        for original, back in ((kpis, loaded.kpis), (groups, loaded.groups)):
            assert json.dumps(original) == json.dumps(back)  # repr of every float, NaN and -0.0 included

    with create(tmp_path / "s.db") as store:
        check()


def test_mismatch_names_what_differs(tmp_path):
    with create(tmp_path / "s.db") as store:
        store.check_matches(POINTS, 7, True, "core")  # the same design passes
        with pytest.raises(StoreMismatchError, match=r"different study.*seed 7 in the store, 8 given"):
            store.check_matches(POINTS, 8, True, "core")
        changed = [POINTS[0], Point(1, "more agents", {}, small(250))]
        with pytest.raises(ValueError, match=r"point 1 .*scenario differs at agents\[0\]\.count: 200 in the store, 250"):
            store.check_matches(changed, 7, True, "core")
        with pytest.raises(StoreMismatchError, match="crn True in the store, False given"):
            store.check_matches(POINTS, 7, False, "core")


def test_a_store_of_an_earlier_results_revision_is_not_resumed(tmp_path):
    """A store made by a ccsim whose engines drew otherwise (RESULTS_REVISION) holds replications
    this one would not make: resuming it would mix the two."""
    path = tmp_path / "s.db"
    with create(path):
        pass
    db = sqlite3.connect(path)
    db.execute("UPDATE study SET fingerprint = ?", (fingerprint(POINTS, 7, True, "core", revision=1),))
    db.commit()
    db.close()
    assert RESULTS_REVISION > 1
    with Store.open(path) as store:
        with pytest.raises(StoreMismatchError, match=r"earlier ccsim.*results revision 1, this ccsim's "
                                                     rf"{RESULTS_REVISION}\); run the study again into a new store"):
            store.check_matches(POINTS, 7, True, "core")
        with pytest.raises(StoreMismatchError, match="seed 7 in the store, 8 given"):  # what differs comes first
            store.check_matches(POINTS, 8, True, "core")
        assert len(store.load().records) == 0  # still readable


def test_refuses_to_overwrite(tmp_path):
    path = tmp_path / "s.db"
    with create(path) as store:
        store.add(records(1)[0])
    before = path.read_bytes()
    with pytest.raises(StoreExistsError, match="resume"):
        create(path, seed=8)
    assert path.read_bytes() == before
    with Store.open(path) as store:
        assert store.done() == {(0, 0)}


def test_creation_is_atomic(tmp_path, monkeypatch):
    def fail(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files, "_publish_new", fail)
    with pytest.raises(StoreWriteError, match=r"could not create the study store .*s\.db: no space left on device"):
        create(tmp_path / "s.db")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("failure, advice", [
    (OSError(errno.ENOSPC, "No space left on device"), "free some disk space or choose another folder"),
    (PermissionError(errno.EACCES, "Permission denied"), "make the folder writable or choose another folder"),
    (OSError(errno.EROFS, "Read-only file system"), "make the folder writable or choose another folder"),
    (sqlite3.OperationalError("disk I/O error"), "free some disk space or make the folder writable"),
])
def test_a_failed_creation_says_what_to_do_about_its_cause(tmp_path, monkeypatch, failure, advice):
    """A folder one may not write is not cured by disk space (nor a full disk by permissions)."""
    def fail(*args):
        raise failure

    monkeypatch.setattr(files, "_publish_new", fail)
    with pytest.raises(StoreWriteError) as caught:
        create(tmp_path / "s.db")
    assert advice in str(caught.value)
    assert ("disk space" in str(caught.value)) == ("space" in advice)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_store_files_follow_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        with create(tmp_path / "s.db") as store:
            store.add(records(1)[0])
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "s.db").st_mode) == 0o666 & ~umask


def test_failure_while_writing_leaves_nothing(tmp_path):
    bad = [Point(0, "bad", {"x": object()}, small())]  # not JSON: fails after the schema is written
    with pytest.raises(TypeError, match="cannot store"):
        create(tmp_path / "s.db", points=bad)
    assert list(tmp_path.iterdir()) == []


def test_open_checks_the_file(tmp_path):
    with pytest.raises(StoreNotFoundError, match="no study store at .*missing.db") as caught:
        Store.open(tmp_path / "missing.db")
    assert isinstance(caught.value, FileNotFoundError) and isinstance(caught.value, UserError)


def test_a_store_is_readable_without_ccsim(tmp_path):
    """sqlite3 + pyarrow alone: JSON KPIs and Arrow IPC interval tables."""
    import pyarrow as pa

    made = records(2)
    with create(tmp_path / "s.db") as store:
        for r in made:
            store.add(r)
    db = sqlite3.connect(tmp_path / "s.db")
    rows = db.execute("SELECT point, rep, kpis, intervals FROM replications ORDER BY point, rep").fetchall()
    (label,) = db.execute("SELECT label FROM points WHERE point = 1").fetchone()
    db.close()
    assert label == "agents.team.count=200" and len(rows) == len(made)
    by_key = {(r.point, r.rep): r for r in made}
    for point, rep, kpis, blob in rows:
        original = by_key[(point, rep)]
        frame = pa.ipc.open_stream(blob).read_all().to_pandas()
        expected = original.interval_table()
        assert list(frame.columns) == list(expected.dtype.names)
        assert frame["warmup"].dtype == bool
        np.testing.assert_array_equal(frame["arrivals"].to_numpy(), expected["arrivals"])
        assert json.loads(kpis)["answered"] == original.kpis["answered"]


# -- the inbound and media fields (format 3), and format-2 stores ------------------------------

MEDIA_POINTS = [Point(0, "media", {}, INBOUND_MEDIA)]


def test_a_media_study_stores_and_resumes_its_breakdowns(tmp_path):
    from ccsim.experiment.runner import run_study

    path = tmp_path / "media.sqlite"
    run_study(MEDIA_POINTS, 2, 11, True, store_path=path, backend="serial")
    resumed = run_study(MEDIA_POINTS, 3, 11, True, store_path=path, backend="serial", resume=True)
    with Store.open(path) as store:
        loaded = store.load().records
    assert [r.rep for r in loaded] == [0, 1, 2] == [r.rep for r in resumed.records]
    for record in loaded:
        fresh = run_replication(task_for(MEDIA_POINTS[0], record.rep, 11, True))
        assert_same_record(dataclasses.replace(fresh, wall_seconds=record.wall_seconds), record)
        assert record.lost_calls["lost"] == (record.lost_calls["blocked_lines"] + record.lost_calls["blocked_queue_full"]
                                             + record.lost_calls["abandoned"]) > 0
        assert list(record.channels) == ["organic", "tv", "web"] and record.channels["tv"]["callers"] > 0
        assert list(record.entries) == ["hotline"] and "main.support" in record.ivr_nodes
        assert list(record.airing_table()["channel"]) == ["tv", "web", "tv"]
        assert set(record.channel_interval_table()["channel"]) == {"organic", "tv", "web"}
        attempts = record.attempt_interval_table()
        after = ~attempts["warmup"]
        assert attempts["first_attempts"][after].sum() == record.lost_calls["first_attempts"]
        assert attempts["retrials"][after].sum() == record.lost_calls["retrials"]


def test_a_plain_record_has_a_breakdown_but_no_inbound_tables(tmp_path):
    record = run_replication(task_for(POINTS[0], 0, 7, True))
    assert record.lost_calls["lost"] == record.kpis["abandoned"] + record.kpis["blocked"]
    assert (record.entries, record.ivr_nodes, record.channels) == ({}, {}, {})
    assert (record.airings, record.intervals_by_channel, record.intervals_attempts) == (b"", b"", b"")
    assert len(record.airing_table()) == 0 and len(record.attempt_interval_table()) == 0 and len(record.channel_interval_table()) == 0


def make_format_2(path) -> None:
    """Turn a store into the layout of store format 2: no inbound columns, user_version 2."""
    make_format_3(path)
    db = sqlite3.connect(path)
    for column in ("lost_calls", "entries", "ivr_nodes", "channels", "airings", "intervals_by_channel",
                   "intervals_attempts"):
        db.execute(f"ALTER TABLE replications DROP COLUMN {column}")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()


def make_format_3(path) -> None:
    """Turn a store into the layout of store format 3: no agent views, user_version 3."""
    db = sqlite3.connect(path)
    for column in ("agents", "skills"):
        db.execute(f"ALTER TABLE replications DROP COLUMN {column}")
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()


def old_store_and_resumed(path, make_format, version):
    """A two-replication store of MEDIA_POINTS turned into ``version`` by ``make_format``: its
    records paired with fresh runs of the same replications, then its records after resuming to
    three (the store keeps its own format)."""
    from ccsim.experiment.runner import run_study

    run_study(MEDIA_POINTS, 2, 11, True, store_path=path, backend="serial")
    make_format(path)
    with Store.open(path) as store:
        assert store.version == version
        old = store.load().records
    assert [r.rep for r in old] == [0, 1]
    pairs = [(record, run_replication(task_for(MEDIA_POINTS[0], record.rep, 11, True))) for record in old]
    data = run_study(MEDIA_POINTS, 3, 11, True, store_path=path, backend="serial", resume=True)
    assert [r.rep for r in data.records] == [0, 1, 2]
    with Store.open(path) as store:
        assert store.version == version
        again = store.load().records
    assert [r.rep for r in again] == [0, 1, 2]
    assert same_numbers(again[2].kpis, run_replication(task_for(MEDIA_POINTS[0], 2, 11, True)).kpis)
    return pairs, again


def test_a_format_3_store_still_loads_and_resumes(tmp_path):
    pairs, again = old_store_and_resumed(tmp_path / "v3.sqlite", make_format_3, 3)
    for record, fresh in pairs:
        assert same_numbers(record.kpis, fresh.kpis) and same_numbers(record.lost_calls, fresh.lost_calls)
        assert (record.agents, record.skills, record.agent_columns()) == (b"", {}, {})
    assert again[2].agents == b"" and again[2].lost_calls  # its own format: inbound fields, no agents


def test_agent_views_survive_the_store(tmp_path):
    """The per-agent table and the per-skill one round-trip and are the Result's tables."""
    from test_roster import ROSTER

    from ccsim.agent_report import agent_columns, rollup_columns

    point = Point(0, "roster", {}, ROSTER)
    made = run_replication(task_for(point, 0, 5, True))
    with create(tmp_path / "a.sqlite", points=[point]) as store:
        assert store.add(made)
    with Store.open(tmp_path / "a.sqlite") as store:
        loaded = store.load().records[0]
    assert_same_agents(made, loaded)
    columns = loaded.agent_columns()
    expected = agent_columns(ccsim.simulate(ROSTER, seed=np.random.SeedSequence(5, spawn_key=(0,))))
    assert list(columns) == list(expected)
    for name, values in expected.items():
        if values.dtype == object:
            assert list(columns[name]) == list(values), name
        else:
            np.testing.assert_array_equal(columns[name], values, err_msg=name)
    teams = rollup_columns(columns, "team")
    assert list(teams["team"]) == ["basic", "north", "south"] and teams["answered"].sum() == columns["answered"].sum()
    assert set(loaded.skills) == {"sales", "service"}
    assert loaded.skills["sales"]["answered"] == made.by_call_type["sales"]["answered"]


def test_a_format_2_store_still_loads_and_resumes(tmp_path):
    pairs, again = old_store_and_resumed(tmp_path / "old.sqlite", make_format_2, 2)
    for record, fresh in pairs:
        assert same_numbers(record.kpis, fresh.kpis) and record.intervals == fresh.intervals
        assert (record.lost_calls, record.entries, record.ivr_nodes, record.channels) == ({}, {}, {}, {})
        assert (record.airings, record.intervals_by_channel, record.intervals_attempts) == (b"", b"", b"")
    assert again[2].lost_calls == {}  # its own format: the new replication without the new fields


def test_a_format_2_store_makes_a_report(tmp_path):
    from ccsim.experiment.runner import run_study
    from ccsim.report import render_html

    path = tmp_path / "old.sqlite"
    run_study(MEDIA_POINTS, 2, 11, True, store_path=path, backend="serial")
    make_format_2(path)
    with Store.open(path) as store:
        html = render_html(store.load())
    assert "KPI summary" in html and 'id="lost-calls"' not in html


def test_inbound_fields_are_the_results_tables():
    result = ccsim.simulate(INBOUND_MEDIA, seed=3)
    record = run_replication(task_for(MEDIA_POINTS[0], 0, 3, True))
    for name, frame in (("entries", result.entries()), ("ivr_nodes", result.ivr_nodes()),
                        ("channels", result.channels())):
        assert same_numbers(getattr(record, name), {str(k): {c: float(v) for c, v in row.items()}
                                                    for k, row in frame.iterrows()}), name
        assert list(next(iter(getattr(record, name).values()))) == list(frame.columns)
    airings = result.airings()
    table = record.airing_table()
    assert list(table.dtype.names) == list(airings.columns)
    assert list(table["channel"]) == list(airings["channel"].astype(str))
    for column in airings.columns.drop("channel"):
        np.testing.assert_array_equal(table[column], airings[column].to_numpy(dtype=float))


def test_a_media_replication_does_not_load_pandas(tmp_path):
    """Workers run replications without pandas (start-up time); so do inbound and media ones."""
    import subprocess
    import sys

    code = ("import json, sys; sys.path.insert(0, 'tests'); from inbound_scenarios import INBOUND_MEDIA; "
            "from ccsim.experiment.records import Point, run_replication, task_for; "
            "r = run_replication(task_for(Point(0, 'm', {}, INBOUND_MEDIA), 0, 3, True)); "
            "assert r.channels and r.ivr_nodes and r.airings; print('pandas' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
