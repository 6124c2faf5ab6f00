"""Hostile stores: every damaged or foreign file is a StoreError naming the file; a full disk
while storing is a clear error and the study resumes afterwards."""
import errno
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from ccsim.errors import UserError
from ccsim.experiment.records import Point
from ccsim.experiment.runner import run_study
from ccsim.experiment.store import (Store, StoreDamagedError, StoreError, StoreFormatError, StoreWriteError,
                                   FORMAT_VERSION)
from factories import single_queue

REPO = Path(__file__).resolve().parent.parent
POINTS = [Point(0, "100", {}, single_queue(100, 5000)), Point(1, "90", {"agents.team.count": 90}, single_queue(90, 5000))]


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("good") / "study.sqlite"
    run_study(POINTS, 3, 5, True, store_path=path, backend="serial")
    assert not Path(f"{path}-wal").exists() or os.path.getsize(f"{path}-wal") == 0  # all in the main file
    return path


@pytest.fixture
def copy(good, tmp_path) -> Path:
    target = tmp_path / "copy.sqlite"
    shutil.copyfile(good, target)
    return target


def read_all(path):
    with Store.open(path) as store:
        return store.load()


def sql(path, statement, *args):
    db = sqlite3.connect(path)
    db.execute(statement, args)
    db.commit()
    db.close()


def assert_store_error(path, *patterns):
    with pytest.raises(StoreError) as caught:
        read_all(path)
    message = str(caught.value)
    assert isinstance(caught.value, UserError)
    assert str(path) in message and "\n" not in message
    for pattern in patterns:
        assert pattern in message, message
    return message


def test_the_good_store_reads(good):
    assert len(read_all(good).records) == 6


def test_truncated_file(copy):
    size = os.path.getsize(copy)
    with open(copy, "r+b") as handle:
        handle.truncate(size // 2)
    assert_store_error(copy, "damaged", "run the study again")


def test_foreign_sqlite_file(tmp_path):
    path = tmp_path / "other.sqlite"
    sql(path, "CREATE TABLE customers (id INTEGER, name TEXT)")
    assert_store_error(path, "an SQLite database but not a ccsim study store")


@pytest.mark.parametrize("content", [b"", os.urandom(4096), b"SQLite format 3\x00" + b"\xff" * 200])
def test_junk_bytes(tmp_path, content):
    path = tmp_path / "junk.sqlite"
    path.write_bytes(content)
    with pytest.raises(StoreError) as caught:
        read_all(path)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == content  # looking at it changes nothing


def test_a_scenario_file_is_not_a_store(tmp_path):
    path = REPO / "scenarios" / "erlang_a.yaml"
    message = assert_store_error(path, "not a ccsim study store (not an SQLite database)", "ccsim compare")
    assert "scenario" in message


def test_ccsim_report_on_a_yaml_file_exits_2_without_a_traceback(tmp_path):
    from ccsim.cli import cli

    result = CliRunner().invoke(cli, ["report", str(REPO / "scenarios" / "erlang_a.yaml"),
                                      "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 2, result.output
    assert "not a ccsim study store" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "r.html").exists()


def test_old_format_is_refused(copy):
    sql(copy, "PRAGMA user_version = 1")
    message = assert_store_error(copy, "older ccsim", f"store format 1; this ccsim reads formats 2 to {FORMAT_VERSION}")
    with pytest.raises(StoreFormatError):
        read_all(copy)
    assert "Run the study again into a new store" in message


def test_newer_format_is_refused(copy):
    sql(copy, f"PRAGMA user_version = {FORMAT_VERSION + 1}")
    assert_store_error(copy, "newer ccsim")


def test_deleted_study_row(copy):
    sql(copy, "DELETE FROM study")
    assert_store_error(copy, "damaged", "study row is missing")


def test_dropped_table(copy):
    sql(copy, "DROP TABLE points")
    assert_store_error(copy, "damaged", "points")


@pytest.mark.parametrize("value, says", [("not json {", "kpis of replication 1 of point 0"),
                                         ("[1, 2]", "not an object"), ('{"asa": "fast"}', "not a number")])
def test_bad_kpi_column(copy, value, says):
    sql(copy, "UPDATE replications SET kpis = ? WHERE point = 0 AND rep = 1", value)
    assert_store_error(copy, "damaged", says)


def test_bad_kpi_column_stops_a_resume_too(copy):
    sql(copy, "UPDATE replications SET kpis = 'oops' WHERE point = 1 AND rep = 0")
    with pytest.raises(StoreDamagedError, match="kpis of replication 0 of point 1"):
        run_study(POINTS, 3, 5, True, store_path=copy, backend="serial", resume=True)


def test_bad_group_table(copy):
    sql(copy, """UPDATE replications SET "groups" = '{"team": 3}' WHERE point = 1 AND rep = 2""")
    assert_store_error(copy, "groups table of replication 2 of point 1")


@pytest.mark.parametrize("corrupt", [lambda blob: b"\x00\x11\x22\x33", lambda blob: blob[: len(blob) // 2],
                                     lambda blob: "text, not a blob"])
def test_corrupt_interval_blob(copy, corrupt):
    db = sqlite3.connect(copy)
    (blob,) = db.execute("SELECT intervals FROM replications WHERE point = 1 AND rep = 1").fetchone()
    db.execute("UPDATE replications SET intervals = ? WHERE point = 1 AND rep = 1", (corrupt(blob),))
    db.commit()
    db.close()
    assert_store_error(copy, "interval table of replication 1 of point 1")


@pytest.mark.parametrize("corrupt", [lambda blob, totals: b"\x00\x11\x22\x33",
                                     lambda blob, totals: blob[: len(blob) // 2],
                                     lambda blob, totals: "text, not a blob",
                                     lambda blob, totals: totals],  # an Arrow stream without call types
                         ids=["junk", "truncated", "text", "no call types"])
def test_corrupt_call_type_interval_blob(copy, corrupt):
    db = sqlite3.connect(copy)
    blob, totals = db.execute("SELECT intervals_by_call_type, intervals FROM replications "
                              "WHERE point = 0 AND rep = 2").fetchone()
    db.execute("UPDATE replications SET intervals_by_call_type = ? WHERE point = 0 AND rep = 2",
               (corrupt(blob, totals),))
    db.commit()
    db.close()
    assert_store_error(copy, "damaged", "per-call-type interval table of replication 2 of point 0")


@pytest.mark.parametrize("column, value, says", [
    ("lost_calls", "not json {", "lost-call breakdown of replication 1 of point 0"),
    ("lost_calls", '{"lost": "many"}', "not a number"),
    ("channels", '{"tv": 3}', "channels table of replication 1 of point 0"),
    ("entries", "[1]", "entries table of replication 1 of point 0"),
    ("ivr_nodes", "nope", "ivr_nodes table of replication 1 of point 0"),
    ("airings", b"\x00\x11\x22", "airings table of replication 1 of point 0"),
    ("intervals_by_channel", "text, not a blob", "intervals_by_channel table of replication 1 of point 0"),
    ("intervals_attempts", b"junk", "intervals_attempts table of replication 1 of point 0")])
def test_bad_inbound_columns(copy, column, value, says):
    sql(copy, f"UPDATE replications SET {column} = ? WHERE point = 0 AND rep = 1", value)
    assert_store_error(copy, "damaged", says)


def test_bad_design_point(copy):
    sql(copy, "UPDATE points SET scenario = 'nope' WHERE point = 1")
    assert_store_error(copy, "design points")


# -- a full disk while storing -------------------------------------------------------------


@pytest.mark.parametrize("failure", [OSError(errno.ENOSPC, "No space left on device"),
                                     sqlite3.OperationalError("database or disk is full")])
def test_full_disk_is_a_clear_error_and_the_study_resumes(tmp_path, monkeypatch, failure):
    path = tmp_path / "study.sqlite"
    real = Store._insert
    calls = []

    def insert(self, row):
        calls.append(row[:2])
        if len(calls) > 3:
            raise failure
        return real(self, row)

    monkeypatch.setattr(Store, "_insert", insert)
    with pytest.raises(StoreWriteError) as caught:
        run_study(POINTS, 3, 5, True, store_path=path, backend="serial")
    message = str(caught.value)
    assert str(path) in message and "--resume" in message
    assert ("no space left on device" in message) or ("disk is full" in message)
    monkeypatch.setattr(Store, "_insert", real)

    with Store.open(path) as store:
        assert len(store.done()) == 3  # what was stored before the failure is intact
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    resumed = run_study(POINTS, 3, 5, True, store_path=path, backend="serial", resume=True)
    fresh = run_study(POINTS, 3, 5, True, backend="serial")
    assert [(r.point, r.rep, json.dumps(r.kpis), r.intervals) for r in resumed.records] == \
           [(r.point, r.rep, json.dumps(r.kpis), r.intervals) for r in fresh.records]


@pytest.mark.parametrize("statement, what", [
    ("UPDATE replications SET intervals = x'deadbeef'", "the interval table of replication"),  # pyarrow's OSError
    ("UPDATE replications SET wall_seconds = 'abc'", "the call count and wall time of replication"),
    ("UPDATE study SET kind = 'frobnicate'", "the study's kind and points"),
    ("DELETE FROM points", "the study's kind and points"),
])
def test_edited_contents_are_a_damaged_store(copy, statement, what):
    """Each was an internal error of ccsim report (an OSError of pyarrow's, the report's own
    ValueErrors about the kind and the points) or a bare "could not convert string to float"."""
    from ccsim.cli import cli

    sql(copy, statement)
    assert_store_error(copy, "is damaged", what)
    out = CliRunner().invoke(cli, ["report", str(copy), "--html", str(copy.parent / "r.html")])
    assert out.exit_code == 2 and "Traceback" not in out.output and what in out.output, out.output


# ---------------------------------------------------------------- read-only disks
class _FailingPragma:
    """A connection whose write-ahead-log pragma fails, as on a read-only disk (SQLite cannot
    make the -shm file): 'unable to open database file'."""

    def __init__(self, db):
        self._db = db

    def execute(self, statement, *args):
        if statement.startswith("PRAGMA journal_mode"):
            raise sqlite3.OperationalError("unable to open database file")
        return self._db.execute(statement, *args)

    def __getattr__(self, name):
        return getattr(self._db, name)


def test_a_store_on_a_read_only_disk_is_read_and_never_called_damaged(copy, monkeypatch):
    """A healthy store on a read-only mount read as 'damaged ... run the study again' (ccsim
    report exit 2): SQLite opened it for writing and could not make its log files. Read: mode=ro,
    else immutable (no -wal left); written: refused as read-only. Checked on a real read-only
    bind mount too (the note of the change)."""
    import ccsim.experiment.store as store_module

    expected = read_all(copy)
    monkeypatch.setattr(store_module, "_writable", lambda path: False)
    with Store.open(copy, write=False) as store:
        assert store.load().records == expected.records
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store._db.execute("DELETE FROM replications")
    connect = sqlite3.connect

    def no_read_only_mode(target, *args, **kwargs):
        if "mode=ro" in str(target):
            raise sqlite3.OperationalError("unable to open database file")
        return connect(target, *args, **kwargs)

    monkeypatch.setattr(store_module.sqlite3, "connect", no_read_only_mode)
    with Store.open(copy, write=False) as store:  # the immutable file
        assert len(store.load().records) == len(expected.records)
    Path(f"{copy}-wal").write_bytes(b"\0" * 64)  # a log SQLite would have to merge: not read without it
    with pytest.raises(StoreWriteError, match="unfinished write-ahead log beside it"):
        Store.open(copy, write=False)
    Path(f"{copy}-wal").unlink()
    monkeypatch.setattr(store_module.sqlite3, "connect", lambda *a, **k: _FailingPragma(connect(*a, **k)))
    with pytest.raises(StoreWriteError) as caught:
        Store.open(copy)  # to resume
    assert str(caught.value) == (f"the study store {copy} cannot be written (unable to open database file: the "
                                 "file or its folder is read-only); to add replications, copy it (with any -wal "
                                 "file beside it) to a folder you may write to and run from there")


def test_resuming_a_store_that_cannot_be_written_is_refused_before_any_replication(copy, monkeypatch):
    """On a read-only mount, --resume computed replications, then failed at the first insert:
    Store.open(write=True) set its PRAGMAs on the healthy file and never tried to write."""
    import ccsim.experiment.store as store_module

    monkeypatch.setattr(store_module, "_writable", lambda path: False)
    with pytest.raises(StoreWriteError, match="cannot be written .*read-only"):
        Store.open(copy)
    with Store.open(copy, write=False) as store:  # a report still reads it
        assert len(store.load().records) == 6

    class Counting:
        runs = []

        def run(self, tasks):
            Counting.runs.append(list(tasks))
            return iter(())

    with pytest.raises(StoreWriteError, match="cannot be written"):
        run_study(POINTS, 5, 5, True, store_path=copy, backend=Counting(), resume=True)
    assert Counting.runs == []


def test_a_store_sqlite_cannot_lock_for_writing_is_refused_at_open(copy, monkeypatch):
    """The file looks writable but SQLite cannot take the write lock (a read-only mount that
    access() does not see, a file SQLite opened read-only): refused at open, as read-only."""
    import ccsim.experiment.store as store_module

    connect = sqlite3.connect

    class ReadOnly(_FailingPragma):
        def execute(self, statement, *args):
            if statement.startswith("BEGIN IMMEDIATE"):
                raise sqlite3.OperationalError("attempt to write a readonly database")
            return self._db.execute(statement, *args)

    monkeypatch.setattr(store_module.sqlite3, "connect", lambda *a, **k: ReadOnly(connect(*a, **k)))
    with pytest.raises(StoreWriteError, match="attempt to write a readonly database.*read-only"):
        Store.open(copy)
