"""One finished replication, as stored and as shipped between processes.

``run_replication`` is the unit of work every backend executes: a pure function
of (scenario, seed), so a replication computed twice (a worker died after
finishing) is the same record and the store keeps it once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from ..api import _run
from ..budget import with_budget
from ..compile import compile_scenario
from ..errors import UserError
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
    state: Optional[dict] = None  # a start state every point starts from (ccsim.state), as plain data

    def seed(self) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key)


class CallTypeIntervalsNotKeptError(UserError, LookupError):
    """A record made without the per-call-type interval table was asked for it."""


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
    # Result.intervals(by="call_type") as an Arrow IPC stream (long format, a string
    # ``call_type`` column); b"" for a record made without it
    intervals_by_call_type: bytes = b""
    # The inbound and media breakdowns (store format 3; empty in records read from a format-2
    # store). ``lost_calls``: Result.lost_calls(). ``entries``: {entry: ENTRY_FIELDS totals};
    # ``ivr_nodes``: {"menu.node": entered, hung_up, completed, where callers went};
    # ``channels``: {organic, then each channel: airings, spend, CHANNEL_FIELDS counts,
    # calls_per_1000_spend} -- each {} when the scenario has no entries, menus or media.
    lost_calls: dict = field(default_factory=dict)
    entries: dict = field(default_factory=dict)
    ivr_nodes: dict = field(default_factory=dict)
    channels: dict = field(default_factory=dict)
    # Result.airings() and Result.intervals(by="channel") as Arrow IPC streams (a string
    # ``channel`` column); b"" without media
    airings: bytes = b""
    intervals_by_channel: bytes = b""
    # Per interval, attempts by the interval of their ring: first_attempts and retrials (call
    # types dialled straight and entries), an Arrow IPC stream; b"" without entries or retrials
    intervals_attempts: bytes = b""
    # Result.service_levels(): {call type, then "all": {threshold (s, a string): service level}};
    # {} without service_level.thresholds. Not kept by the store (any format): {} when read back.
    service_levels: dict = field(default_factory=dict)
    # The agent views (store format 4; empty in records of older stores): ``agents``, the per-agent
    # table of ``ccsim.agent_report.agent_columns`` (roster, totals, idle, break_time, logged_in,
    # ratios, answered_<type>; agent order) as an Arrow IPC stream; ``skills``: {call type:
    # {threshold, offered, ..., transferred_out}} (``agent_report.skill_columns``).
    agents: bytes = b""
    skills: dict = field(default_factory=dict)

    def agent_columns(self) -> dict:
        """The per-agent table as {column: numpy array} (text columns as object arrays); {} for a
        record without it. ``ccsim.agent_report.rollup_columns`` sums it per team or squad."""
        if not self.agents:
            return {}
        table = ipc_to_table(self.agents)
        return {name: np.asarray(table.column(name).to_pylist(),
                                 dtype=object if str(table.schema.field(name).type) == "string" else None)
                for name in table.column_names}

    def airing_table(self) -> np.ndarray:
        """The airings (time, channel, spend, expected_calls, caller counts) as a structured
        array; empty without media."""
        return _structured(ipc_to_table(self.airings)) if self.airings else np.zeros(0)

    def channel_interval_table(self) -> np.ndarray:
        """The per-(interval, channel) caller counts as a structured array (long format);
        empty without media."""
        return _structured(ipc_to_table(self.intervals_by_channel)) if self.intervals_by_channel else np.zeros(0)

    def attempt_interval_table(self) -> np.ndarray:
        """Per interval: start, end, warmup, first_attempts, retrials; empty without entries or retrials."""
        return _structured(ipc_to_table(self.intervals_attempts)) if self.intervals_attempts else np.zeros(0)

    def interval_table(self) -> np.ndarray:
        """The per-interval table as a numpy structured array."""
        return _structured(ipc_to_table(self.intervals))

    def interval_frame(self):
        """The per-interval table as a pandas DataFrame."""
        return ipc_to_table(self.intervals).to_pandas()

    @property
    def has_call_type_intervals(self) -> bool:
        """Whether the record keeps the per-call-type interval table."""
        return bool(self.intervals_by_call_type)

    def call_type_interval_table(self) -> np.ndarray:
        """The per-(interval, call type) table as a numpy structured array (long format)."""
        return _structured(ipc_to_table(self._call_type_blob()))

    def call_type_interval_frame(self):
        """The per-(interval, call type) table as a pandas DataFrame (long format)."""
        return ipc_to_table(self._call_type_blob()).to_pandas()

    def call_type_interval_tables(self) -> dict:
        """{call type: its interval table (structured array, no ``call_type`` column)}, in
        ``by_call_type`` order; raises ``ValueError`` when the table holds other call types."""
        table = self.call_type_interval_table()
        names = table["call_type"]
        if set(names.tolist()) != set(self.by_call_type):
            raise ValueError(f"the per-call-type interval table holds call types {sorted(set(names.tolist()))}, "
                             f"the record {sorted(self.by_call_type)}")
        columns = [n for n in table.dtype.names if n != "call_type"]
        out = {name: np.ascontiguousarray(table[names == name][columns]) for name in self.by_call_type}
        if len({len(t) for t in out.values()}) > 1:
            raise ValueError("the call types of the per-call-type interval table have different interval counts")
        return out

    def _call_type_blob(self) -> bytes:
        if not self.intervals_by_call_type:
            raise CallTypeIntervalsNotKeptError(
                f"replication {self.rep} of point {self.point} was stored without its per-call-type interval "
                "table; run the study again with this ccsim version to get it")
        return self.intervals_by_call_type


def _structured(table) -> np.ndarray:
    """A pyarrow Table as a numpy structured array: bool, str or float64 columns."""
    import pyarrow as pa

    columns = {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}
    dtypes = []
    for field in table.schema:
        if pa.types.is_boolean(field.type):
            dtypes.append((field.name, np.bool_))
        elif pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            dtypes.append((field.name, np.asarray(columns[field.name], dtype=str).dtype))
        else:
            dtypes.append((field.name, np.float64))
    out = np.zeros(table.num_rows, dtype=dtypes)
    for name, values in columns.items():
        out[name] = values
    return out


def intervals_to_ipc(table: np.ndarray) -> bytes:
    """A structured array as an Arrow IPC stream with zstd-compressed buffers.

    Self-describing: ``pyarrow.ipc.open_stream(blob).read_all()`` reads it back
    without ccsim (column names and types travel with the data).
    """
    import pyarrow as pa

    names = list(table.dtype.names)
    arrow = pa.Table.from_arrays([_arrow_array(table[name]) for name in names], names=names)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, arrow.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as writer:
        writer.write_table(arrow)
    return sink.getvalue().to_pybytes()


def _arrow_array(values: np.ndarray):
    """A bool, unicode or float column as a pyarrow Array, built from its buffers
    (``pa.array`` would import pandas, which replication workers do not otherwise load)."""
    import pyarrow as pa

    n = len(values)
    if values.dtype == np.bool_:
        bits = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), n, [None, pa.py_buffer(bits)])
    if values.dtype.kind == "U":
        encoded = [str(v).encode("utf-8") for v in values]
        offsets = np.concatenate([[0], np.cumsum([len(e) for e in encoded])]).astype(np.int32)
        return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))])
    data = np.ascontiguousarray(values, dtype=np.float64)
    return pa.Array.from_buffers(pa.float64(), n, [None, pa.py_buffer(data)])


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
    if task.state is not None:
        from ..state.schema import validate_state
        from ..state.start import with_state

        model = with_state(model, validate_state(task.state, "the start state"), "the start state")
    result = _run(scenario, model, task.seed(), task.engine, call_records=keep)
    if keep:
        from .call_records import provenance, write_call_records

        write_call_records(result.stats.call_records, result.model.call_type_names, result.model.group_names,
                           Path(task.call_records_dir) / call_records_name(task.point, task.rep),
                           point=task.point, replication=task.rep,
                           metadata=provenance(task.scenario, task.point, task.rep, task.seed(), task.label),
                           source_names=result.model.source_names, channel_names=result.model.channel_names)
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
        intervals_by_call_type=intervals_to_ipc(result.intervals(by="call_type", as_frame=False)),
        **inbound_fields(result),
        service_levels=service_level_dict(result),
        **agent_fields(result),
    )


def agent_fields(result) -> dict:
    """The record fields of the agent views: the per-agent table (an Arrow IPC stream) and the
    per-skill table, without pandas (workers do not load it)."""
    from ..agent_report import agent_columns, skill_columns
    from ..interval_tables import to_structured

    skills = skill_columns(result)
    names = skills.pop("call_type")
    return {"agents": intervals_to_ipc(to_structured(agent_columns(result))) if result.model.n_agents else b"",
            "skills": {str(n): {c: float(v[i]) for c, v in skills.items()} for i, n in enumerate(names)}}


def service_level_dict(result) -> dict:
    """``Result.service_levels()`` as {call type, then "all": {"T": value}}, without pandas."""
    from ..results import ALL_TYPES

    values = result.service_level_values()
    names = (*result.model.call_type_names, ALL_TYPES)
    return {name: {f"{t:g}": float(v) for t, v in zip(result.model.sl_thresholds, row)}
            for name, row in zip(names, values) if len(row)}


def _table(names, values, columns) -> dict:
    """{name: {column: float}} of the rows of a 2-d array."""
    return {str(n): {c: float(v) for c, v in zip(columns, row)} for n, row in zip(names, values)}


def attempt_intervals(result) -> np.ndarray:
    """Per interval: first attempts and retrials that rang in it (call types dialled straight,
    then entries; a call a menu routes counts at its entry), as a structured array."""
    from ..interval_tables import _span, to_structured
    from ..results import CALL_FIELDS, ENTRY_FIELDS, center_calls

    s = result.stats
    calls, entries = s.interval_calls.sum(axis=1), s.interval_entries.sum(axis=1)
    retrials = calls[:, CALL_FIELDS.index("retrials")] + entries[:, ENTRY_FIELDS.index("retrials")]
    attempts = center_calls(calls, entries)[:, CALL_FIELDS.index("arrived")]  # the rings, as kpis()["arrivals"]
    return to_structured({**_span(result.model), "first_attempts": attempts - retrials, "retrials": retrials})


def _node_table(result) -> dict:
    """``Result.ivr_nodes()`` as {node: {column: float}}, without pandas (workers do not load it)."""
    from ..results import NODE_FIELDS

    totals = result.stats.node_totals
    columns = list(NODE_FIELDS)
    completed = totals[:, columns.index("entered")] - totals[:, columns.index("hung_up")]
    values = np.insert(totals, 2, completed, axis=1)
    return _table(result.model.node_names, values, columns[:2] + ["completed"] + columns[2:])


def _channel_table(result) -> dict:
    """``Result.channels()`` as {source: {column: float}}, without pandas."""
    from ..results import CALLER_COUNTS, ORGANIC

    m, totals = result.model, result.stats.total_channels[:, :len(CALLER_COUNTS)]  # the counts
    airings = np.concatenate([[np.nan], np.bincount(m.airing_channel, minlength=m.n_channels)])
    spend = np.concatenate([[np.nan], np.bincount(m.airing_channel, weights=m.airing_spend,
                                                    minlength=m.n_channels)])
    callers = totals[:, CALLER_COUNTS.index("callers")]
    with np.errstate(divide="ignore", invalid="ignore"):
        per_spend = np.where(spend > 0, 1000.0 * callers / np.where(spend > 0, spend, 1.0), np.nan)
    values = np.column_stack([airings, spend, totals, per_spend])
    columns = ["airings", "spend", *CALLER_COUNTS, "calls_per_1000_spend"]
    return _table((ORGANIC, *m.channel_names), values, columns)


def _airing_table(result) -> np.ndarray:
    """``Result.airings()`` as a structured array (channel names as text), without pandas."""
    from ..budget import airing_expected_calls
    from ..interval_tables import to_structured
    from ..results import CALLER_COUNTS

    m = result.model
    columns = {"time": m.airing_time, "channel": np.array(m.channel_names, dtype=object)[m.airing_channel],
               "spend": m.airing_spend, "expected_calls": airing_expected_calls(m)}
    columns.update((name, result.stats.airing_calls[:, i]) for i, name in enumerate(CALLER_COUNTS))
    return to_structured(columns)


def inbound_fields(result) -> dict:
    """The record fields of the inbound path and the media schedule: the lost-call breakdown
    always, per-interval attempts with entries or retrials, entries, IVR nodes and channels
    (with their airings and per-interval callers) when the scenario has them."""
    from ..results import ENTRY_FIELDS

    m = result.model
    out = {"lost_calls": result.lost_calls()}
    if len(m.entry_names) or (m.max_attempts > 1).any():
        out["intervals_attempts"] = intervals_to_ipc(attempt_intervals(result))
    if len(m.entry_names):
        out["entries"] = _table(m.entry_names, result.stats.total_entries, ENTRY_FIELDS)
    if len(m.node_names):
        out["ivr_nodes"] = _node_table(result)
    if m.n_channels:
        out["channels"] = _channel_table(result)
        out["airings"] = intervals_to_ipc(_airing_table(result))
        out["intervals_by_channel"] = intervals_to_ipc(result.intervals(by="channel", as_frame=False))
    return out


@dataclass(frozen=True)
class Point:
    """A design point of a study: a scenario variant with its label and overrides."""

    point: int
    label: str  # e.g. "A.yaml" or "agents.team.count=180"
    overrides: dict  # dotted path -> value applied to the base scenario ({} for none)
    scenario: dict  # the full scenario after overrides (plain data, validated)


STUDY_KINDS = ("run", "compare", "sweep")  # what a study is (a store holds, a report draws)


@dataclass
class StudyData:
    """Everything a report or an analysis needs about a study."""

    name: str
    kind: str  # one of STUDY_KINDS
    seed: int
    crn: bool  # True: replication r of every point shares its seed (common random numbers)
    engine: str
    points: list  # [Point]
    records: list  # [ReplicationRecord], any order
    # a run of one replication (ccsim run --html): its KPIs' batch-means intervals within the run
    # ({kpi: {"mean", "ci_halfwidth"}}, results.summarize; NaN half-widths for varying arrivals)
    batch_means: Optional[dict] = None
    batch_note: str = ""  # how they were made, or why there are none (ccsim run's sentence)

    def records_of(self, point: int) -> list:
        return sorted((r for r in self.records if r.point == point), key=lambda r: r.rep)


def task_for(point: Point, rep: int, seed: int, crn: bool, engine: str = "core",
             call_records_dir: Optional[str] = None, max_calls=None, max_memory=None, state=None) -> Task:
    """The task of replication ``rep`` at ``point``.

    With CRN the spawn key is ``(rep,)`` for every point, the same seed that
    ``ccsim.replicate(scenario, reps, seed)`` gives replication ``rep`` (and ``ccsim.simulate`` replication 0); without
    CRN each point gets its own key ``(rep, point)``.
    """
    key = (rep,) if crn else (rep, point.point)
    return Task(point=point.point, rep=rep, scenario=point.scenario, entropy=int(seed), spawn_key=key,
                engine=engine, call_records_dir=call_records_dir, label=point.label, max_calls=max_calls,
                max_memory=max_memory, state=state)
