"""One finished replication, as stored and as shipped between processes.

``run_replication`` is the unit of work every backend executes: a pure function
of (scenario, seed), so a replication computed twice (a worker died after
finishing) is the same record and the store keeps it once.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from ..api import _run
from ..budget import with_budget
from ..compile import compile_scenario
from ..scenario import validate_scenario


@dataclass(frozen=True)
class Task:
    """Replication ``rep`` of design point ``point`` (a scenario given as a plain dict)."""

    point: int
    rep: int
    scenario: dict
    entropy: int  # root SeedSequence entropy of the study
    spawn_key: tuple  # spawn key of this replication's SeedSequence
    engine: str = "core"
    call_records_dir: Optional[str] = None  # write per-call records to Parquet here
    label: str = ""  # the point's label (named in the call records' metadata)
    max_calls: Optional[float] = None  # run budget (ccsim.budget); None = default
    max_memory: Optional[float] = None

    def seed(self) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key)


@dataclass(frozen=True)
class ReplicationRecord:
    point: int
    rep: int
    spawn_key: tuple
    kpis: dict  # KPI name -> float (totals after warm-up)
    by_call_type: dict  # call type -> KPI dict
    groups: dict  # group -> {agents, answered, aht, occupancy}
    intervals: bytes  # Result.intervals() as an Arrow IPC stream (see intervals_to_ipc)
    calls_simulated: int
    wall_seconds: float

    def interval_table(self) -> np.ndarray:
        """The per-interval table as a numpy structured array."""
        table = ipc_to_table(self.intervals)
        out = np.zeros(table.num_rows, dtype=[(f.name, np.bool_ if f.type == "bool" else np.float64)
                                              for f in table.schema])
        for name in table.column_names:
            out[name] = table.column(name).to_numpy(zero_copy_only=False)
        return out

    def interval_frame(self):
        """The per-interval table as a pandas DataFrame."""
        return ipc_to_table(self.intervals).to_pandas()


def intervals_to_ipc(table: np.ndarray) -> bytes:
    """A structured array as an Arrow IPC stream with zstd-compressed buffers.

    Self-describing: ``pyarrow.ipc.open_stream(blob).read_all()`` reads it back
    without ccsim (column names and types travel with the data).
    """
    import pyarrow as pa

    arrow = pa.table({name: table[name] for name in table.dtype.names})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, arrow.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as writer:
        writer.write_table(arrow)
    return sink.getvalue().to_pybytes()


def ipc_to_table(blob: bytes):
    """The pyarrow Table of an Arrow IPC stream (raises ``pyarrow.ArrowInvalid`` on junk)."""
    import pyarrow as pa

    return pa.ipc.open_stream(pa.py_buffer(blob)).read_all()


def call_records_name(point: int, rep: int) -> str:
    return f"calls_point{point:03d}_rep{rep:04d}.parquet"


def run_replication(task: Task) -> ReplicationRecord:
    """Execute one task (on any worker) and return its record."""
    scenario = validate_scenario(task.scenario)
    keep = task.call_records_dir is not None
    model = with_budget(compile_scenario(scenario), task.max_calls, task.max_memory, engine=task.engine,
                        call_records=keep)
    result = _run(scenario, model, task.seed(), task.engine, call_records=keep)
    if keep:
        from .call_records import provenance, write_call_records

        write_call_records(result.stats.call_records, result.model.call_type_names, result.model.group_names,
                           Path(task.call_records_dir) / call_records_name(task.point, task.rep),
                           point=task.point, replication=task.rep,
                           metadata=provenance(task.scenario, task.point, task.rep, task.seed(), task.label))
    return record_from_result(task.point, task.rep, task.spawn_key, result)


def record_from_result(point: int, rep: int, spawn_key: tuple, result) -> ReplicationRecord:
    """The storable record of a finished ``Result``."""
    return ReplicationRecord(
        point=point,
        rep=rep,
        spawn_key=tuple(spawn_key),
        kpis=result.kpis(),
        by_call_type=result.kpis_by_call_type(),
        groups={g: {k: float(v) for k, v in row.items()} for g, row in result.group_table().items()},
        intervals=intervals_to_ipc(result.intervals(as_frame=False)),
        calls_simulated=int(result.calls_simulated),
        wall_seconds=float(result.wall_seconds),
    )


@dataclass(frozen=True)
class Point:
    """A design point of a study: a scenario variant with its label and overrides."""

    point: int
    label: str  # e.g. "A.yaml" or "agents.team.count=180"
    overrides: dict  # dotted path -> value applied to the base scenario ({} for none)
    scenario: dict  # the full scenario after overrides (plain data, validated)


@dataclass
class StudyData:
    """Everything a report or an analysis needs about a study."""

    name: str
    kind: str  # "run" | "compare" | "sweep"
    seed: int
    crn: bool  # True: replication r of every point shares its seed (common random numbers)
    engine: str
    points: list  # [Point]
    records: list  # [ReplicationRecord], any order

    def records_of(self, point: int) -> list:
        return sorted((r for r in self.records if r.point == point), key=lambda r: r.rep)


def task_for(point: Point, rep: int, seed: int, crn: bool, engine: str = "core",
             call_records_dir: Optional[str] = None) -> Task:
    """The task of replication ``rep`` at ``point``.

    With CRN the spawn key is ``(rep,)`` for every point, the same seed that
    ``ccsim.replicate(scenario, reps, seed)`` gives replication ``rep`` (and ``ccsim.simulate`` replication 0); without
    CRN each point gets its own key ``(rep, point)``.
    """
    key = (rep,) if crn else (rep, point.point)
    return Task(point=point.point, rep=rep, scenario=point.scenario, entropy=int(seed), spawn_key=key,
                engine=engine, call_records_dir=call_records_dir, label=point.label)
