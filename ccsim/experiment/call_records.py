"""Per-call records (CDR-like) to Parquet: one file per replication, only when asked for.

Each file says where it comes from without ccsim: the Parquet key-value
metadata ``ccsim`` holds JSON naming the scenario (its name and the SHA-256 of
its canonical JSON), the point, the replication, its seed and the ccsim
version. Agent and group are nullable (a call nobody answered has neither),
and read back as pandas ``Int32`` / categories with missing values.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..files import atomic_path, os_reason, write_advice
from ..results import ORGANIC, OUTCOMES

METADATA_KEY = b"ccsim"


class CallRecordsError(UserError, OSError):
    """Per-call records could not be written (disk full, permissions); the message names the file."""


def record_frame(records: np.ndarray, call_type_names, group_names, point=None, replication=None,
                 source_names=None, channel_names=()):
    """A pandas DataFrame of call records (one per attempt) sorted by caller id (first
    arrival order), a caller's attempts in order.

    Call type, outcome, group, source and channel (``organic``, then the media channels)
    are categories (a call type is missing for an attempt that ended in a menu); agent is
    a nullable ``Int32``; airing is the index of an ad call's airing, -1 for an organic call.
    ``point`` and ``replication``, when given, become constant columns.
    """
    import pandas as pd

    records = records[np.argsort(records["id"], kind="stable")]
    columns = {}
    if point is not None:
        columns["point"] = np.full(len(records), point, dtype=np.int32)
    if replication is not None:
        columns["replication"] = np.full(len(records), replication, dtype=np.int32)
    columns.update({
        "call_id": records["id"],
        "call_type": pd.Categorical.from_codes(records["call_type"], categories=list(call_type_names)),
        "arrival": records["arrival"],
        "outcome": pd.Categorical.from_codes(records["outcome"], categories=list(OUTCOMES)),
        "wait": records["wait"],
        "talk": records["talk"],
        "acw": records["acw"],
        "agent": pd.arrays.IntegerArray(records["agent"].astype(np.int32), records["agent"] < 0),
        "group": pd.Categorical.from_codes(records["group"], categories=list(group_names)),
        "source": pd.Categorical.from_codes(records["source"], categories=list(source_names or call_type_names)),
        "attempt": records["attempt"],
        "channel": pd.Categorical.from_codes(records["channel"] + 1, categories=[ORGANIC, *channel_names]),
        "airing": records["airing"],
    })
    return pd.DataFrame(columns)


def scenario_digest(scenario: dict) -> str:
    """SHA-256 of the scenario's canonical JSON (sorted keys): equal scenarios, equal digests."""
    text = json.dumps(scenario, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def provenance(scenario: dict, point: int, replication: int, seed: np.random.SeedSequence, label: str = "") -> dict:
    """What a call-records file says about where it comes from."""
    from .. import __version__

    return {
        "scenario": {"name": scenario.get("name", ""), "sha256": scenario_digest(scenario)},
        "point": int(point), "label": label, "replication": int(replication),
        "seed": {"entropy": int(seed.entropy), "spawn_key": [int(k) for k in seed.spawn_key]},
        "ccsim_version": __version__,
    }


def write_call_records(records: np.ndarray, call_type_names, group_names, path, point: int = 0,
                       replication: int = 0, metadata: dict | None = None, source_names=None,
                       channel_names=()) -> Path:
    """Write the records sorted by call id to ``path`` atomically (temp file, then rename).

    ``metadata`` (JSON-able, e.g. ``provenance(...)``) is stored under the key ``ccsim``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = record_frame(records, call_type_names, group_names, point=point, replication=replication,
                         source_names=source_names, channel_names=channel_names)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if metadata is not None:
        table = table.replace_schema_metadata({**table.schema.metadata, METADATA_KEY: json.dumps(metadata)})
    try:
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp)
    except OSError as err:
        raise CallRecordsError(f"could not write the call records {path}: {os_reason(err)}; {write_advice(err)} or "
                               "choose another folder (--call-records), then resume the study") from None
    return Path(path)


def read_provenance(path) -> dict:
    """The ``ccsim`` metadata of a call-records file (an empty dict if it has none)."""
    import pyarrow.parquet as pq

    metadata = pq.read_schema(path).metadata or {}
    return json.loads(metadata[METADATA_KEY]) if METADATA_KEY in metadata else {}
