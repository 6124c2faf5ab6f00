"""A durable store of a study's replications: one SQLite file per study.

Every finished replication is committed in its own transaction (WAL journal,
``synchronous=FULL``), so a killed process or a power loss costs at most the
replication in flight. Replications are keyed by ``(point, rep)`` and inserted
once: a replication computed twice is stored once.

The file describes itself, so pandas, DuckDB or plain ``sqlite3`` + ``pyarrow``
read it without ccsim: KPI dictionaries are standard JSON (SQLite's
``json_extract`` works; NaN is written as ``null`` and infinities as the strings
``"Infinity"``/``"-Infinity"``), and each interval table (``intervals``, the totals;
``intervals_by_call_type``, one row per interval and call type; ``intervals_by_channel``
and ``airings``, the media schedule's callers) is an Arrow IPC stream
(``pyarrow.ipc.open_stream(blob).read_all()``).

Format 3 adds the lost-call breakdown and the entry, IVR-node and media-channel tables
of each replication; a format-2 store still opens (those read as empty), and
replications added to it are stored in its own format, without them. Format 4 adds the
agent views the same way: ``agents`` (the per-agent table, an Arrow IPC stream: roster,
totals, idle, break and logged-in time, ratios) and ``skills`` (JSON, per call type); a
format-2 or -3 store reads them as empty. Format 5 adds the table ``decided``: the replications
per point the last finished study command decided on (``--ci-halfwidth`` may compute more in its
last batch, depending on the workers; they stay stored), which ``load`` returns; an older store
records none and loads every replication.

A file that is not such a store, or a damaged one, raises a ``StoreError``
(a ``UserError``) naming the file and what to do, never an internal error.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import math
import sqlite3
from dataclasses import fields
from datetime import datetime, timezone
from pathlib import Path


from ..errors import UserError
from ..files import atomic_path, os_reason, write_advice
from .design_diff import NO_DIFFERENCE, differences
from .records import STUDY_KINDS, Point, ReplicationRecord, StudyData, ipc_to_table
from .store_json import dumps, dumps_numbers, numbers

FORMAT_VERSION = 5  # PRAGMA user_version of a ccsim store (1: interval tables as zstd'd numpy .npy;
# 2: without the inbound and media columns; 3: without the agent views; 4: without the decided counts)
READABLE_VERSIONS = (2, 3, 4, 5)
SQLITE_HEADER = b"SQLite format 3\x00"

SCHEMA = """
CREATE TABLE study (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    seed TEXT NOT NULL,          -- decimal: SeedSequence entropy may exceed 64 bits
    crn INTEGER NOT NULL,
    engine TEXT NOT NULL,
    created TEXT NOT NULL,       -- ISO 8601, UTC
    ccsim_version TEXT NOT NULL,
    fingerprint TEXT NOT NULL    -- SHA-256 of the canonical JSON of the design
);
CREATE TABLE points (
    point INTEGER PRIMARY KEY,
    label TEXT NOT NULL,
    overrides TEXT NOT NULL,     -- JSON
    scenario TEXT NOT NULL       -- JSON, the full scenario after overrides
);
CREATE TABLE replications (
    point INTEGER NOT NULL REFERENCES points (point),
    rep INTEGER NOT NULL,
    spawn_key TEXT NOT NULL,     -- JSON list
    kpis TEXT NOT NULL,          -- JSON
    by_call_type TEXT NOT NULL,  -- JSON
    "groups" TEXT NOT NULL,      -- JSON
    intervals BLOB NOT NULL,     -- the interval table: an Arrow IPC stream (zstd-compressed buffers)
    intervals_by_call_type BLOB NOT NULL,  -- per (interval, call type), long format, the same encoding;
                                           -- an empty blob for a record made without it
    calls_simulated INTEGER NOT NULL,
    wall_seconds REAL NOT NULL,
    finished_at TEXT NOT NULL,   -- ISO 8601, UTC, when the replication was stored
    lost_calls TEXT NOT NULL,    -- JSON, the lost-call breakdown (format 3 on)
    entries TEXT NOT NULL,       -- JSON, {entry: counts}; {} without entries
    ivr_nodes TEXT NOT NULL,     -- JSON, {"menu.node": counts}; {} without IVR menus
    channels TEXT NOT NULL,      -- JSON, {organic / channel: airings, spend, caller counts}; {} without media
    airings BLOB NOT NULL,       -- Arrow IPC stream, one row per airing; empty without media
    intervals_by_channel BLOB NOT NULL,  -- Arrow IPC stream, per (interval, channel); empty without media
    intervals_attempts BLOB NOT NULL,    -- Arrow IPC stream, first attempts and retrials per interval;
                                         -- empty without entries or retrials
    agents BLOB NOT NULL,        -- Arrow IPC stream, one row per agent (format 4 on); empty without agents
    skills TEXT NOT NULL,        -- JSON, {call type: threshold, service level, ASA, overflow, transfers}
    PRIMARY KEY (point, rep)
);
CREATE TABLE decided (           -- format 5 on: the replications per point the last finished study
    point INTEGER PRIMARY KEY REFERENCES points (point),  -- command decided on (its --reps, or the
    reps INTEGER NOT NULL        -- count --ci-halfwidth stopped at); none while one runs
);
"""

# The replication columns of each readable format; format 3 adds the inbound and media ones.
COLUMNS_V2 = ("point", "rep", "spawn_key", "kpis", "by_call_type", '"groups"', "intervals",
              "intervals_by_call_type", "calls_simulated", "wall_seconds")
INBOUND_COLUMNS = ("lost_calls", "entries", "ivr_nodes", "channels", "airings", "intervals_by_channel",
                   "intervals_attempts")
# What a format-2 store reads as in their place
INBOUND_DEFAULTS = ("'{}'", "'{}'", "'{}'", "'{}'", "X''", "X''", "X''")
# Format 4 adds the agent views; what a format-2 or -3 store reads as in their place
AGENT_COLUMNS = ("agents", "skills")
AGENT_DEFAULTS = ("X''", "'{}'")


def insert_statement(version: int) -> str:
    """The INSERT of one replication into a store of format ``version``."""
    columns = (COLUMNS_V2 + ("finished_at",) + (INBOUND_COLUMNS if version >= 3 else ())
               + (AGENT_COLUMNS if version >= 4 else ()))
    return (f"INSERT OR IGNORE INTO replications ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})")


def select_statement(version: int) -> str:
    """The SELECT of every replication of a store of format ``version``, in format-4 column order."""
    extra = INBOUND_COLUMNS if version >= 3 else (f"{d} AS {c}" for d, c in zip(INBOUND_DEFAULTS, INBOUND_COLUMNS))
    agents = AGENT_COLUMNS if version >= 4 else (f"{d} AS {c}" for d, c in zip(AGENT_DEFAULTS, AGENT_COLUMNS))
    return f"SELECT {', '.join(COLUMNS_V2 + tuple(extra) + tuple(agents))} FROM replications ORDER BY point, rep"


class StoreError(UserError, ValueError):
    """A study store that cannot be used; the message names the file and what to do."""


class StoreNotFoundError(StoreError, FileNotFoundError):
    """No file at the store path."""


class StoreExistsError(StoreError, FileExistsError):
    """A store file is already at the path and the caller did not ask to resume it."""


class StoreMismatchError(StoreError):
    """A store was made by a different study (scenario, seed, CRN or engine)."""


class StoreFormatError(StoreError):
    """Not a ccsim store, or one written in another format version."""


class StoreDamagedError(StoreError):
    """A ccsim store whose content cannot be read back (truncated, edited, corrupt)."""


class StoreWriteError(StoreError):
    """The store could not be written (disk full, permissions); what is stored stays safe."""


class Store:
    """One study's replications in one SQLite file. Create with ``Store.create``."""

    def __init__(self, path: Path, connection: sqlite3.Connection):
        self.path = path
        self._db = connection
        with _reading(path, "its format"):
            self.version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        with _reading(path, "its points"):
            self._point_ids = {row[0] for row in self._db.execute("SELECT point FROM points")}

    # -- opening -----------------------------------------------------------------

    @classmethod
    def create(cls, path, name: str, kind: str, seed: int, crn: bool, engine: str, points: list,
               state=None) -> "Store":
        """A new store for a study; refuses to replace an existing file. ``state``: the start state
        (plain data) every replication starts from, part of the design's fingerprint.

        The database is written to a temporary file in the same folder and
        published under ``path`` only when complete, so a failure leaves nothing.
        """
        path = Path(path)
        _not_a_folder(path)
        if path.exists():
            raise _exists(path)
        try:
            with atomic_path(path, replace=False) as temporary:
                db = sqlite3.connect(temporary, isolation_level=None)
                try:
                    _write_study(db, name, kind, seed, crn, engine, points, state)
                finally:
                    db.close()
        except FileExistsError:
            raise _exists(path) from None
        except (OSError, sqlite3.OperationalError) as err:
            raise StoreWriteError(f"could not create the study store {path}: {os_reason(err)}; "
                                  f"{write_advice(err)} or choose another folder (--store)") from None
        return cls.open(path)

    @classmethod
    def open(cls, path, write: bool = True) -> "Store":
        """An existing store; a missing, foreign, old or damaged file raises a ``StoreError``.

        ``write=False`` (a report of a finished study) reads a store on a read-only disk or folder
        too, where SQLite cannot make the files its write-ahead log needs; to write into one (to
        resume) is refused as what it is, not as damage."""
        path = Path(path)
        _not_a_folder(path)
        if not path.is_file():
            raise StoreNotFoundError(f"no study store at {path}")
        _check_header(path)
        if not write and not _writable(path):
            return cls._open_read_only(path)
        db = sqlite3.connect(path, isolation_level=None, timeout=30)
        try:
            with _reading(path, "its format"):
                try:
                    _check_format(path, db)
                    db.execute("PRAGMA journal_mode=WAL")
                    db.execute("PRAGMA synchronous=FULL")
                except sqlite3.OperationalError as err:
                    if not _writable(path):
                        raise _read_only(path, os_reason(err)) from None
                    raise
            if write:  # to add replications: find out now, not at the first one's insert after computing it
                _check_writable(path, db)
            return cls(path, db)
        except BaseException:
            db.close()
            raise

    @classmethod
    def _open_read_only(cls, path: Path) -> "Store":
        """Read a store SQLite cannot write beside: ``mode=ro``, else, with no write-ahead log left
        beside it (the study's last connection closed it), as an immutable file."""
        from urllib.parse import quote

        uri = f"file:{quote(str(path.resolve()))}"
        wal = path.with_name(path.name + "-wal")
        for query in ("?mode=ro", "?immutable=1"):
            if query == "?immutable=1" and wal.exists() and wal.stat().st_size > 0:
                raise StoreWriteError(
                    f"the study store {path} is on a read-only disk or folder with an unfinished write-ahead "
                    f"log beside it ({wal.name}) that SQLite cannot merge there; copy both files to a folder "
                    "you may write to and read it from there")
            try:
                db = sqlite3.connect(uri + query, uri=True, isolation_level=None, timeout=30)
            except sqlite3.OperationalError:
                if query == "?mode=ro":
                    continue
                raise StoreDamagedError(f"the study store {path} cannot be opened on this read-only disk or "
                                        "folder; copy it to a folder you may write to") from None
            try:
                with _reading(path, "its format"):
                    _check_format(path, db)
                return cls(path, db)
            except StoreDamagedError:
                db.close()
                if query == "?immutable=1":
                    raise
            except BaseException:
                db.close()
                raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the study ---------------------------------------------------------------

    @property
    def metadata(self) -> dict:
        """The study row: name, kind, seed, crn, engine, created, ccsim_version, fingerprint."""
        with _reading(self.path, "the study row"):
            cursor = self._db.execute(
                "SELECT name, kind, seed, crn, engine, created, ccsim_version, fingerprint FROM study"
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError("the study row is missing")
            meta = dict(zip([c[0] for c in cursor.description], row))
            meta.update(seed=int(meta["seed"]), crn=bool(meta["crn"]))
        return meta

    def points(self) -> list:
        with _reading(self.path, "the design points"):
            rows = self._db.execute("SELECT point, label, overrides, scenario FROM points ORDER BY point").fetchall()
            return [Point(p, label, _json_dict(o), _json_dict(s)) for p, label, o, s in rows]

    def check_matches(self, points: list, seed: int, crn: bool, engine: str, state=None) -> None:
        """Raise ``StoreMismatchError`` unless this store was made by the same design (the same
        start state too: a study resumed from another state, or none, mixes two experiments)."""
        meta = self.metadata
        if meta["fingerprint"] == fingerprint(points, seed, crn, engine, state):
            return
        found = differences(meta, self.points(), points, int(seed), bool(crn), engine)
        earlier = _earlier_revision(meta["fingerprint"], points, seed, crn, engine, state)
        if found == [NO_DIFFERENCE] and earlier:
            found = [f"its replications were made by an earlier ccsim, whose engines give other results for the same "
                     f"design and seed (results revision {earlier}, this ccsim's {RESULTS_REVISION}); run the study "
                     "again into a new store"]
        elif found == [NO_DIFFERENCE]:  # the points, seed and engine agree: the start state does not
            empty = meta["fingerprint"] == fingerprint(points, seed, crn, engine)
            found = ["the store records no start state (its replications started empty, or it was made by a "
                     "ccsim that did not record one, before 2026-11-30), a start state is given; resume it "
                     "without --from-state if it started empty, else run the study into a new store" if empty else
                     "the store's replications started from another start state" if state is not None else
                     "the store's replications started from a start state, none is given"]
        raise StoreMismatchError(
            f"the store {self.path} was made by a different study ({'; '.join(found)}); "
            "resuming would mix incomparable replications. Use a new store path, "
            "or run with the store's original scenario and seed."
        )

    # -- replications ------------------------------------------------------------

    def add(self, record: ReplicationRecord) -> bool:
        """Store one replication durably; False if ``(point, rep)`` was already stored."""
        if record.point not in self._point_ids:
            raise ValueError(f"replication of point {record.point}, which the study {self.path} does not have")
        row = (
            int(record.point), int(record.rep), dumps([int(k) for k in record.spawn_key]),
            dumps_numbers(record.kpis), dumps_numbers(record.by_call_type), dumps_numbers(record.groups),
            bytes(record.intervals), bytes(record.intervals_by_call_type),
            int(record.calls_simulated), float(record.wall_seconds),
            _now(),
        )
        if self.version >= 3:
            row += (dumps_numbers(record.lost_calls), dumps_numbers(record.entries), dumps_numbers(record.ivr_nodes),
                    dumps_numbers(record.channels), bytes(record.airings), bytes(record.intervals_by_channel),
                    bytes(record.intervals_attempts))
        if self.version >= 4:
            row += (bytes(record.agents), dumps_numbers(record.skills))
        try:
            return self._insert(row)
        except (OSError, sqlite3.OperationalError, sqlite3.DatabaseError) as err:
            raise StoreWriteError(
                f"could not store replication {record.rep} of point {record.point} in {self.path}: "
                f"{os_reason(err)}. The replications stored before it are safe: {write_advice(err)}, "
                "then run the same study again with --resume "
                "(resume=True) to continue where it stopped"
            ) from None

    def _insert(self, row: tuple) -> bool:
        """One committed transaction (the disk write a full disk makes fail)."""
        with self._transaction():
            return self._db.execute(insert_statement(self.version), row).rowcount == 1

    @contextlib.contextmanager
    def _transaction(self):
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
            raise

    def decided(self) -> dict:
        """{point: replications} the last finished study command decided on (format 5 on; {} for an
        older store, or while a command runs or after one was interrupted)."""
        if self.version < 5:
            return {}
        with _reading(self.path, "the decided replication counts"):
            rows = self._db.execute("SELECT point, reps FROM decided").fetchall()
            return {int(p): int(r) for p, r in rows}

    def set_decided(self, reps: dict | None) -> None:
        """Record ``{point: replications}`` a study decided on (None: forget it, as a study command
        starts). An older store (format 2 to 4) records nothing: its reports show every replication."""
        if self.version < 5:
            return
        try:
            with self._transaction():
                self._db.execute("DELETE FROM decided")
                if reps:
                    self._db.executemany("INSERT INTO decided VALUES (?, ?)",
                                         [(int(p), int(r)) for p, r in sorted(reps.items())])
        except (OSError, sqlite3.OperationalError, sqlite3.DatabaseError) as err:
            raise StoreWriteError(f"could not write to the study store {self.path}: {os_reason(err)}; "
                                  f"{write_advice(err)}. Its replications are safe") from None

    def done(self) -> set:
        """``{(point, rep)}`` of the stored replications."""
        with _reading(self.path, "the stored replications"):
            return set(self._db.execute("SELECT point, rep FROM replications"))

    def kpis(self) -> dict:
        """``{(point, rep): kpis}`` without reading the interval tables."""
        with _reading(self.path, "the stored KPIs"):
            rows = self._db.execute("SELECT point, rep, kpis FROM replications").fetchall()
        out = {}
        for p, r, k in rows:
            with _reading(self.path, f"the kpis of replication {r} of point {p}"):
                out[(p, r)] = _kpi_dict(k)
        return out

    def load(self, every: bool = False) -> StudyData:
        """The whole study, records sorted by ``(point, rep)``; every field is checked. The
        replications of each point the last finished study command decided on (``decided``: with
        ``--ci-halfwidth``, those of the count it stopped at, not those its last batch computed
        beyond, which stay stored), or, with ``every`` (or no decision recorded), every one stored.

        The records' interval tables and other blobs stay in the file (``StoredRecord``): each is
        read back when asked for, so a study of many long replications loads in the memory of
        one (the check reads the replications one at a time)."""
        meta = self.metadata
        reader = BlobReader(self.path, self.version, (meta["fingerprint"], meta["created"]))
        records = []
        decided = {} if every else self.decided()
        with _reading(self.path, "the stored replications"):
            cursor = self._db.execute(select_statement(self.version))
            while True:
                with _reading(self.path, "the stored replications"):
                    row = cursor.fetchone()
                if row is None:
                    break
                record = _record(self.path, row)
                if record.rep < decided.get(record.point, math.inf):  # beyond: computed, stored, not decided on
                    records.append(StoredRecord.of(record, reader))
                del row, record
        points = self.points()
        with _reading(self.path, "the study's kind and points"):
            if meta["kind"] not in STUDY_KINDS:
                raise ValueError(f"kind {meta['kind']!r} is none of {', '.join(STUDY_KINDS)}")
            if not points:
                raise ValueError("no design point")
        return StudyData(
            name=meta["name"], kind=meta["kind"], seed=meta["seed"], crn=meta["crn"],
            engine=meta["engine"], points=points, records=records,
        )


# The blob columns of a replication (its interval tables, airings and agent table), which a
# loaded record reads back from the file when asked for (``StoredRecord``)
BLOB_COLUMNS = ("intervals", "intervals_by_call_type", "airings", "intervals_by_channel", "intervals_attempts",
                "agents")


class BlobReader:
    """Reads one replication's blob from a store file when a ``StoredRecord`` asks for it, through
    a reading connection of its own (opened at the first blob asked for, then kept: the records
    outlive the ``Store`` that loaded them; one per thread). The file must stay where it is while
    its records are read. Pickled without the connection."""

    def __init__(self, path: Path, version: int, study: tuple = ()):
        import threading

        self.path, self.version, self.study = Path(path), int(version), tuple(study)
        self._local = threading.local()

    def _connection(self):
        store = getattr(self._local, "store", None)
        if store is None:
            store = Store.open(self.path, write=False)
            meta = store.metadata
            if self.study and (meta["fingerprint"], meta["created"]) != self.study:  # another study now
                store.close()
                raise StoreMismatchError(
                    f"the store {self.path} now holds another study than the one these records were loaded from "
                    "(their interval tables are read from the file when asked for): load it again")
            self._local.store = store
        return store._db

    def get(self, point: int, rep: int, column: str) -> bytes:
        if column not in BLOB_COLUMNS:
            raise KeyError(column)
        if (column in INBOUND_COLUMNS and self.version < 3) or (column in AGENT_COLUMNS and self.version < 4):
            return b""
        where = f"the {column} table of replication {rep} of point {point}"
        with _reading(self.path, where):
            row = self._connection().execute(f"SELECT {column} FROM replications WHERE point = ? AND rep = ?",
                                             (int(point), int(rep))).fetchone()
            if row is None:
                raise ValueError("the replication is no longer in the store")
            return _blob(row[0])

    def close(self) -> None:
        store = getattr(self._local, "store", None)
        if store is not None:
            self._local.store = None
            store.close()

    def __getstate__(self) -> dict:
        return {"path": self.path, "version": self.version, "study": self.study}

    def __setstate__(self, state: dict) -> None:
        import threading

        self.path, self.version, self.study = state["path"], state["version"], state.get("study", ())
        self._local = threading.local()


def _stored_blob(column: str) -> property:
    def get(self) -> bytes:
        return self.__dict__["_reader"].get(self.point, self.rep, column)

    return property(get, doc=f"The record's ``{column}`` blob, read from the store file when asked for.")


class StoredRecord(ReplicationRecord):
    """A ``ReplicationRecord`` read from a store (``Store.load``): its KPI tables in memory, its
    blobs (``BLOB_COLUMNS``: the interval tables, airings, agent table) read from the file each
    time they are asked for, so that the records of a study take the memory of their KPIs, not
    of their interval tables. Equal to the ``ReplicationRecord`` with the same fields."""

    @classmethod
    def of(cls, record: ReplicationRecord, reader: BlobReader) -> "StoredRecord":
        out = object.__new__(cls)
        values = {f.name: getattr(record, f.name) for f in fields(ReplicationRecord) if f.name not in BLOB_COLUMNS}
        out.__dict__.update(values, _reader=reader,
                            _blob_sizes={c: len(getattr(record, c)) for c in BLOB_COLUMNS})
        return out

    @property
    def has_call_type_intervals(self) -> bool:
        return bool(self.__dict__["_blob_sizes"]["intervals_by_call_type"])

    def in_memory(self) -> ReplicationRecord:
        """The plain record, every blob read into memory."""
        return ReplicationRecord(**{f.name: getattr(self, f.name) for f in fields(ReplicationRecord)})

    def __eq__(self, other):
        if not isinstance(other, ReplicationRecord):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in fields(ReplicationRecord))

    def __hash__(self):
        return hash((self.point, self.rep, self.spawn_key))

    def __repr__(self) -> str:
        return f"StoredRecord(point={self.point}, rep={self.rep}, store={str(self.__dict__['_reader'].path)!r})"

    def __reduce__(self):
        return _rebuild_stored, (dict(self.__dict__),)


def _rebuild_stored(state: dict) -> StoredRecord:
    out = object.__new__(StoredRecord)
    out.__dict__.update(state)
    return out


for _column in BLOB_COLUMNS:
    setattr(StoredRecord, _column, _stored_blob(_column))
del _column


# The engines' results revision: bumped when the same design and seed give other replications
# (a draw taken from another stream, a figure stored with another meaning), so that a study
# resumed by a ccsim of another revision is refused rather than mixing two. 1: stores made
# before 2026-11-30; 2: a retrial or a transfer leg draws from streams of its own, a call's consult
# and transfer are drawn as it reaches its type (a start state's callers': from the state's
# stream) — common random numbers —, and the stored arrivals and blocked count the rings of
# menus' entries.
RESULTS_REVISION = 2


def fingerprint(points: list, seed: int, crn: bool, engine: str, state=None, revision: int = RESULTS_REVISION) -> str:
    """SHA-256 of the canonical JSON of what determines the replications (a start state, plain
    data, only when there is one: the stores of studies without one keep their fingerprint), and
    the engines' results revision from 2 on (``RESULTS_REVISION``)."""
    design = {
        "points": [{"point": p.point, "overrides": p.overrides, "scenario": p.scenario} for p in points],
        "seed": int(seed), "crn": bool(crn), "engine": engine,
    }
    if state is not None:
        design["state"] = state
    if revision > 1:
        design["revision"] = int(revision)
    return hashlib.sha256(dumps(design, canonical=True).encode()).hexdigest()


def _earlier_revision(stored: str, points: list, seed: int, crn: bool, engine: str, state) -> int | None:
    """The earlier results revision whose fingerprint of this design (with the start state given,
    or none) is the ``stored`` one, or None."""
    for revision in range(1, RESULTS_REVISION):
        for given in (state, None) if state is not None else (None,):
            if stored == fingerprint(points, seed, crn, engine, given, revision):
                return revision
    return None


# -- creation helpers ------------------------------------------------------------


def _write_study(db, name, kind, seed, crn, engine, points, state=None) -> None:
    from .. import __version__

    db.executescript(SCHEMA)
    db.execute(f"PRAGMA user_version = {FORMAT_VERSION}")
    db.execute("BEGIN")
    db.execute(
        "INSERT INTO study VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
        (name, kind, str(int(seed)), int(bool(crn)), engine, _now(), __version__,
         fingerprint(points, seed, crn, engine, state)),
    )
    db.executemany(
        "INSERT INTO points VALUES (?, ?, ?, ?)",
        [(int(p.point), p.label, dumps(p.overrides), dumps(p.scenario)) for p in points],
    )
    db.execute("COMMIT")


def _not_a_folder(path: Path) -> None:
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a study store: give the store a file name "
                         f"(e.g. {path / 'study.sqlite'})")


def _exists(path: Path) -> StoreExistsError:
    return StoreExistsError(
        f"{path} already exists and holds an earlier study; pass resume=True (--resume on the command line) to continue it "
        "(or choose another store path)"
    )


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


# -- reading, checked --------------------------------------------------------------


def _check_header(path: Path) -> None:
    """Refuse a file that is not SQLite at all before SQLite sees it (an empty
    file would otherwise open as a new, empty database)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except OSError as err:
        raise StoreError(f"cannot read the study store {path}: {os_reason(err)}") from None
    if head != SQLITE_HEADER:
        what = "an empty file" if not head else "not an SQLite database"
        raise StoreFormatError(
            f"{path} is not a ccsim study store ({what}); give the .sqlite file that "
            "ccsim compare / ccsim sweep wrote (by default under results/), not a scenario or another file"
        )


def _check_format(path: Path, db) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if version == 0 and not {"study", "points", "replications"} <= tables:
        raise StoreFormatError(
            f"{path} is an SQLite database but not a ccsim study store (it has no ccsim tables); "
            "give the .sqlite file that ccsim compare / ccsim sweep wrote"
        )
    if version not in READABLE_VERSIONS:
        age = "an older" if version < FORMAT_VERSION else "a newer"
        raise StoreFormatError(
            f"{path} was written by {age} ccsim (store format {version}; this ccsim reads formats "
            f"{READABLE_VERSIONS[0]} to {FORMAT_VERSION}). Run the study again into a new store, or read this one with the "
            "ccsim version that wrote it"
        )
    missing = {"study", "points", "replications"} - tables
    if missing:
        raise ValueError(f"table {', '.join(sorted(missing))} is missing")
    if db.execute("SELECT count(*) FROM study").fetchone()[0] != 1:
        raise ValueError("the study row is missing")


def _read_only(path: Path, reason: str) -> StoreWriteError:
    return StoreWriteError(
        f"the study store {path} cannot be written ({reason}: the file or its folder is "
        "read-only); to add replications, copy it (with any -wal file beside it) to a folder you may "
        "write to and run from there")


def _check_writable(path: Path, db) -> None:
    """A ``StoreWriteError`` unless the store may be written: the file and its folder writable, and
    SQLite able to take the write lock (a read-only mount, a file SQLite opened read-only)."""
    if not _writable(path):
        raise _read_only(path, "permission denied or a read-only file system")
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("ROLLBACK")
    except sqlite3.OperationalError as err:
        if db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
        if "locked" in str(err) or "busy" in str(err):
            raise StoreWriteError(f"the study store {path} is locked by another process writing to it "
                                  f"({os_reason(err)}); wait for it to finish, or use another store") from None
        raise _read_only(path, os_reason(err)) from None


def _writable(path: Path) -> bool:
    """Whether SQLite may write the store and make its journal files beside it."""
    import os

    return os.access(path, os.W_OK) and os.access(path.resolve().parent, os.W_OK)


@contextlib.contextmanager
def _reading(path: Path, what: str):
    """Turn whatever a damaged file makes SQLite, JSON or Arrow raise into a ``StoreDamagedError``."""
    import pyarrow as pa

    try:
        yield
    except StoreError:
        raise
    except (sqlite3.DatabaseError, ValueError, TypeError, KeyError, AttributeError, pa.ArrowException,
            OSError) as err:  # (pyarrow reads a damaged stream in memory as an OSError)
        raise StoreDamagedError(
            f"the study store {path} is damaged: reading {what} failed ({os_reason(err)}). "
            "If it was copied or downloaded, copy it again; otherwise run the study again into a new store "
            "(every replication can be recomputed from the scenario and seed)"
        ) from None


def _record(path: Path, row: tuple) -> ReplicationRecord:
    p, r, key, kpis, by_type, groups, intervals, by_type_intervals, calls, wall = row[:10]
    where = f"replication {r} of point {p}"
    with _reading(path, f"the spawn_key of {where}"):
        spawn_key = tuple(int(k) for k in json.loads(key))
    with _reading(path, f"the kpis of {where}"):
        kpis = _kpi_dict(kpis)
    with _reading(path, f"the by_call_type table of {where}"):
        by_type = _nested_dict(by_type)
    with _reading(path, f"the groups table of {where}"):
        groups = _nested_dict(groups)
    with _reading(path, f"the interval table of {where}"):
        _blob(intervals)
        ipc_to_table(intervals)
    with _reading(path, f"the call count and wall time of {where}"):
        calls, wall = int(calls), float(wall)
    record = ReplicationRecord(point=p, rep=r, spawn_key=spawn_key, kpis=kpis, by_call_type=by_type, groups=groups,
                               intervals=intervals, calls_simulated=calls, wall_seconds=wall,
                               intervals_by_call_type=by_type_intervals, **_inbound(path, where, row[10:17]),
                               **_agents(path, where, row[17:]))
    with _reading(path, f"the per-call-type interval table of {where}"):
        if _blob(by_type_intervals):
            record.call_type_interval_tables()  # an Arrow stream holding the record's call types
    return record


def _inbound(path: Path, where: str, values: tuple) -> dict:
    """The format-3 fields of a record (JSON and Arrow blobs), checked."""
    lost, entries, nodes, channels, airings, by_channel, attempts = values
    out = {}
    with _reading(path, f"the lost-call breakdown of {where}"):
        out["lost_calls"] = _kpi_dict(lost)
    for name, text in (("entries", entries), ("ivr_nodes", nodes), ("channels", channels)):
        with _reading(path, f"the {name} table of {where}"):
            out[name] = _nested_dict(text)
    for name, blob in (("airings", airings), ("intervals_by_channel", by_channel), ("intervals_attempts", attempts)):
        with _reading(path, f"the {name} table of {where}"):
            if _blob(blob):
                ipc_to_table(blob)
            out[name] = blob
    return out


def _agents(path: Path, where: str, values: tuple) -> dict:
    """The format-4 fields of a record (the agent table's Arrow blob, the skills' JSON), checked."""
    agents, skills = values
    with _reading(path, f"the agents table of {where}"):
        if _blob(agents):
            ipc_to_table(agents)
    with _reading(path, f"the skills table of {where}"):
        skills = _nested_dict(skills)
    return {"agents": agents, "skills": skills}


def _blob(value) -> bytes:
    if not isinstance(value, bytes):
        raise TypeError(f"a {type(value).__name__}, not a blob")
    return value


def _json_dict(text) -> dict:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise TypeError(f"a JSON {type(value).__name__}, not an object")
    return value


def _kpi_dict(text) -> dict:
    value = numbers(_json_dict(text))
    bad = [k for k, v in value.items() if not isinstance(v, (int, float))]
    if bad:
        raise TypeError(f"KPI {bad[0]!r} is not a number")
    return value


def _nested_dict(text) -> dict:
    value = numbers(_json_dict(text))
    if not all(isinstance(v, dict) for v in value.values()):
        raise TypeError("a row is not a JSON object")
    return value

