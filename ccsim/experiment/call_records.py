"""Per-call records (CDR-like) to Parquet: one file per replication, only when asked for."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..files import atomic_path
from ..results import OUTCOMES


def record_table(records: np.ndarray, call_type_names, group_names):
    """A pyarrow Table of call records with readable call type, outcome and group."""
    import pyarrow as pa

    def names(codes, labels):
        labels = pa.array(list(labels), type=pa.string())
        return pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int32(), mask=codes < 0), labels)

    return pa.table({
        "call_id": pa.array(records["id"]),
        "call_type": names(records["call_type"], call_type_names),
        "arrival": pa.array(records["arrival"]),
        "outcome": names(records["outcome"], OUTCOMES),
        "wait": pa.array(records["wait"]),
        "talk": pa.array(records["talk"]),
        "acw": pa.array(records["acw"]),
        "agent": pa.array(records["agent"], mask=records["agent"] < 0),
        "group": names(records["group"], group_names),
    })


def write_call_records(records: np.ndarray, call_type_names, group_names, path) -> Path:
    """Write the records sorted by arrival to ``path`` atomically (temp file, then rename)."""
    import pyarrow.parquet as pq

    order = np.argsort(records["id"], kind="stable")
    table = record_table(records[order], call_type_names, group_names)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return Path(path)
