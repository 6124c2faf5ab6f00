"""A durable store of a study's replications: one SQLite file per study.

Every finished replication is committed in its own transaction (WAL journal,
``synchronous=FULL``), so a killed process or a power loss costs at most the
replication in flight. Replications are keyed by ``(point, rep)`` and inserted
once: a replication computed twice is stored once.

KPI dictionaries are stored as standard JSON (readable with SQLite's
``json_extract``): NaN is written as ``null`` and infinities as the strings
``"Infinity"``/``"-Infinity"``; reading turns them back into floats.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import sqlite3
import tempfile
import struct
import zlib
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..errors import UserError
from .records import Point, ReplicationRecord, StudyData

FORMAT_VERSION = 1  # PRAGMA user_version of a ccsim store

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
    intervals BLOB NOT NULL,     -- zstd of the numpy .npy bytes of the interval table (see _pack)
    calls_simulated INTEGER NOT NULL,
    wall_seconds REAL NOT NULL,
    finished_at TEXT NOT NULL,   -- ISO 8601, UTC, when the replication was stored
    PRIMARY KEY (point, rep)
);
"""

INSERT = """INSERT OR IGNORE INTO replications
    (point, rep, spawn_key, kpis, by_call_type, "groups", intervals, calls_simulated, wall_seconds, finished_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""


class StoreExistsError(UserError, FileExistsError):
    """A store file is already at the path and the caller did not ask to resume it."""


class StoreMismatchError(UserError, ValueError):
    """A store was made by a different study (scenario, seed, CRN or engine)."""


class Store:
    """One study's replications in one SQLite file. Create with ``Store.create``."""

    def __init__(self, path: Path, connection: sqlite3.Connection):
        self.path = path
        self._db = connection
        self._point_ids = {row[0] for row in self._db.execute("SELECT point FROM points")}

    # -- opening -----------------------------------------------------------------

    @classmethod
    def create(cls, path, name: str, kind: str, seed: int, crn: bool, engine: str, points: list) -> "Store":
        """A new store for a study; refuses to replace an existing file.

        The database is written to a temporary file in the same folder and
        published under ``path`` only when complete, so a failure leaves nothing.
        """
        path = Path(path)
        if path.exists():
            raise _exists(path)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".creating")
        os.close(handle)
        try:
            db = sqlite3.connect(temporary, isolation_level=None)
            try:
                _write_study(db, name, kind, seed, crn, engine, points)
            finally:
                db.close()
            _fsync(temporary)
            _publish(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return cls.open(path)

    @classmethod
    def open(cls, path) -> "Store":
        """An existing store (raises FileNotFoundError, or ValueError for another kind of file)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no study store at {path}")
        db = sqlite3.connect(path, isolation_level=None, timeout=30)
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version != FORMAT_VERSION or db.execute("SELECT count(*) FROM study").fetchone()[0] != 1:
                raise ValueError(f"{path} is not a ccsim study store (format {version}, expected {FORMAT_VERSION})")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
        except sqlite3.DatabaseError as err:
            db.close()
            raise ValueError(f"{path} is not a ccsim study store: {err}") from None
        except BaseException:
            db.close()
            raise
        return cls(path, db)

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
        cursor = self._db.execute(
            "SELECT name, kind, seed, crn, engine, created, ccsim_version, fingerprint FROM study"
        )
        meta = dict(zip([c[0] for c in cursor.description], cursor.fetchone()))
        meta.update(seed=int(meta["seed"]), crn=bool(meta["crn"]))
        return meta

    def points(self) -> list:
        rows = self._db.execute("SELECT point, label, overrides, scenario FROM points ORDER BY point")
        return [Point(p, label, json.loads(o), json.loads(s)) for p, label, o, s in rows]

    def check_matches(self, points: list, seed: int, crn: bool, engine: str) -> None:
        """Raise ``StoreMismatchError`` unless this store was made by the same design."""
        meta = self.metadata
        if meta["fingerprint"] == fingerprint(points, seed, crn, engine):
            return
        found = _differences(meta, self.points(), points, int(seed), bool(crn), engine)
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
            int(record.point), int(record.rep), _dumps([int(k) for k in record.spawn_key]),
            _dumps_numbers(record.kpis), _dumps_numbers(record.by_call_type), _dumps_numbers(record.groups),
            _pack(record.intervals),
            int(record.calls_simulated), float(record.wall_seconds),
            _now(),
        )
        self._db.execute("BEGIN IMMEDIATE")
        try:
            inserted = self._db.execute(INSERT, row).rowcount == 1
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        return inserted

    def done(self) -> set:
        """``{(point, rep)}`` of the stored replications."""
        return set(self._db.execute("SELECT point, rep FROM replications"))

    def kpis(self) -> dict:
        """``{(point, rep): kpis}`` without reading the interval tables."""
        rows = self._db.execute("SELECT point, rep, kpis FROM replications")
        return {(p, r): _loads_numbers(k) for p, r, k in rows}

    def load(self) -> StudyData:
        """The whole study, records sorted by ``(point, rep)``."""
        meta = self.metadata
        rows = self._db.execute(
            'SELECT point, rep, spawn_key, kpis, by_call_type, "groups", intervals, calls_simulated, '
            "wall_seconds FROM replications ORDER BY point, rep"
        )
        records = [
            ReplicationRecord(
                point=p, rep=r, spawn_key=tuple(json.loads(key)), kpis=_loads_numbers(kpis),
                by_call_type=_loads_numbers(by_type), groups=_loads_numbers(groups),
                intervals=_unpack(intervals), calls_simulated=calls, wall_seconds=wall,
            )
            for p, r, key, kpis, by_type, groups, intervals, calls, wall in rows
        ]
        return StudyData(
            name=meta["name"], kind=meta["kind"], seed=meta["seed"], crn=meta["crn"],
            engine=meta["engine"], points=self.points(), records=records,
        )


def fingerprint(points: list, seed: int, crn: bool, engine: str) -> str:
    """SHA-256 of the canonical JSON of what determines the replications."""
    design = {
        "points": [{"point": p.point, "overrides": p.overrides, "scenario": p.scenario} for p in points],
        "seed": int(seed), "crn": bool(crn), "engine": engine,
    }
    return hashlib.sha256(_dumps(design, canonical=True).encode()).hexdigest()


# -- creation helpers ------------------------------------------------------------


def _write_study(db, name, kind, seed, crn, engine, points) -> None:
    from .. import __version__

    db.executescript(SCHEMA)
    db.execute(f"PRAGMA user_version = {FORMAT_VERSION}")
    db.execute("BEGIN")
    db.execute(
        "INSERT INTO study VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
        (name, kind, str(int(seed)), int(bool(crn)), engine, _now(), __version__,
         fingerprint(points, seed, crn, engine)),
    )
    db.executemany(
        "INSERT INTO points VALUES (?, ?, ?, ?)",
        [(int(p.point), p.label, _dumps(p.overrides), _dumps(p.scenario)) for p in points],
    )
    db.execute("COMMIT")


def _publish(temporary: str, path: Path) -> None:
    """Give the finished file its name without ever replacing someone else's."""
    try:
        os.link(temporary, path)  # fails if path exists: no overwrite race
    except FileExistsError:
        raise _exists(path) from None
    except OSError:  # a file system without hard links
        if path.exists():
            raise _exists(path) from None
        os.replace(temporary, path)
    _fsync_dir(path.parent)


def _exists(path: Path) -> StoreExistsError:
    return StoreExistsError(
        f"{path} already exists and holds an earlier study; pass resume=True (--resume on the command line) to continue it "
        "(or choose another store path)"
    )


def _fsync(filename) -> None:
    with open(filename, "rb+") as f:
        os.fsync(f.fileno())


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not possible on every platform
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


# -- JSON ------------------------------------------------------------------------


def _plain(value):
    """numpy scalars and arrays as JSON-able Python values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot store a {type(value).__name__} in a study store: {value!r}")


def _dumps(value, canonical: bool = False) -> str:
    """Compact JSON keeping key order; ``canonical`` sorts keys (for fingerprints)."""
    return json.dumps(value, sort_keys=canonical, separators=(",", ":"), ensure_ascii=False, default=_plain)


_INFINITIES = {"Infinity": math.inf, "-Infinity": -math.inf}


def _finite_json(value):
    """Numbers made standard-JSON: NaN -> None, ±inf -> "Infinity"/"-Infinity"."""
    if isinstance(value, dict):
        return {str(k): _finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def _numbers(value):
    """Inverse of ``_finite_json``."""
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    if value is None:
        return math.nan
    return _INFINITIES.get(value, value) if isinstance(value, str) else value


def _dumps_numbers(value) -> str:
    return json.dumps(_finite_json(value), separators=(",", ":"), allow_nan=False, default=_plain)


def _loads_numbers(text: str):
    return _numbers(json.loads(text))


# -- explaining a mismatch -------------------------------------------------------


def _differences(meta: dict, stored: list, points: list, seed: int, crn: bool, engine: str) -> list:
    found = []
    for field, given in (("seed", seed), ("crn", crn), ("engine", engine)):
        if meta[field] != given:
            found.append(f"{field} {meta[field]!r} in the store, {given!r} given")
    stored_ids, given_ids = [p.point for p in stored], [p.point for p in points]
    if stored_ids != given_ids:
        found.append(f"points {stored_ids} in the store, {given_ids} given")
    by_id = {p.point: p for p in stored}
    for p in points:
        old = by_id.get(p.point)
        if old is None:
            continue
        for part in ("scenario", "overrides"):
            paths = _paths_differing(json.loads(_dumps(getattr(old, part))), json.loads(_dumps(getattr(p, part))))
            if paths:
                found.append(f"point {p.point} ({p.label}): {part} differs at {', '.join(paths)}")
    return found or ["the design fingerprints differ"]


def _paths_differing(old, new, path: str = "", limit: int = 3) -> list:
    """Dotted paths where two JSON values differ, with both values (at most ``limit``)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            sub = f"{path}.{key}" if path else str(key)
            if key not in old or key not in new:
                out.append(f"{sub} ({'absent' if key not in old else 'present'} in the store)")
            else:
                out.extend(_paths_differing(old[key], new[key], sub, limit))
            if len(out) >= limit:
                return out[:limit]
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for i, (a, b) in enumerate(zip(old, new)):
            out.extend(_paths_differing(a, b, f"{path}[{i}]", limit))
            if len(out) >= limit:
                return out[:limit]
        return out
    if old == new:
        return []
    return [f"{path or '<top>'}: {_short(old)} in the store, {_short(new)} given"]


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


_ZSTD = b"ZSTD"


def _pack(data: bytes) -> bytes:
    """Compress an interval table: zstd through pyarrow (5x faster than zlib, smaller),
    behind a tag and the raw length, which zstd needs back."""
    import pyarrow as pa

    return _ZSTD + struct.pack("<Q", len(data)) + pa.compress(data, codec="zstd", asbytes=True)


def _unpack(blob: bytes) -> bytes:
    import pyarrow as pa

    if not blob.startswith(_ZSTD):
        return zlib.decompress(blob)  # stores written before zstd
    (size,) = struct.unpack("<Q", blob[4:12])
    return pa.decompress(blob[12:], decompressed_size=size, codec="zstd", asbytes=True)
