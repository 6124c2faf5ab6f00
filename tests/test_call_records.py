"""Per-call records: consistent with the streamed counters, and written to Parquet."""
import numpy as np
import pyarrow.parquet as pq
import pytest

import ccsim
from ccsim.experiment.records import Point, call_records_name, run_replication, task_for
from ccsim.results import CALL_FIELDS, OUTCOMES

F = {name: i for i, name in enumerate(CALL_FIELDS)}

SCENARIO = {
    "horizon": 7200, "warmup": 0, "interval": 900, "lines": 40, "drain": False,
    "call_types": [
        {"name": "sales", "arrivals": {"process": "poisson", "rate": 0.3},
         "handle_time": {"dist": "exponential", "mean": 120}, "patience": {"dist": "exponential", "mean": 60},
         "after_call_work": {"dist": "deterministic", "value": 10}},
        {"name": "care", "arrivals": {"process": "poisson", "rate": 0.1},
         "handle_time": {"dist": "gamma", "mean": 200, "cv": 0.5}},
    ],
    "agents": [{"name": "a", "count": 20, "serves": ["sales", "care"]}, {"name": "b", "count": 5, "serves": ["care"]}],
}


def test_records_match_the_counters():
    result = ccsim.simulate(SCENARIO, seed=3, call_records=True)
    records = result.stats.call_records
    totals = result.stats.total_calls
    assert len(records) == result.calls_simulated
    assert np.array_equal(np.sort(records["id"]), np.arange(len(records)))
    for k in range(2):
        mine = records[records["call_type"] == k]
        counts = np.bincount(mine["outcome"], minlength=4)
        assert counts[OUTCOMES.index("answered")] == totals[k, F["answered"]]
        assert counts[OUTCOMES.index("abandoned")] == totals[k, F["abandoned"]]
        assert counts[OUTCOMES.index("blocked")] == totals[k, F["blocked"]]
        assert counts[OUTCOMES.index("waiting_at_end")] == totals[k, F["waiting_at_end"]]
        answered = mine[mine["outcome"] == 0]
        assert answered["wait"].sum() == pytest.approx(totals[k, F["wait_answered"]])
        assert (answered["talk"] + answered["acw"]).sum() == pytest.approx(totals[k, F["handle"]])
        assert (answered["agent"] >= 0).all() and (mine[mine["outcome"] != 0]["agent"] == -1).all()
    # records do not change the run
    plain = ccsim.simulate(SCENARIO, seed=3)
    np.testing.assert_array_equal(plain.stats.total_calls, totals)


def test_agent_serves_one_call_at_a_time():
    records = ccsim.simulate(SCENARIO, seed=4, call_records=True).stats.call_records
    answered = records[records["outcome"] == 0]
    for agent in np.unique(answered["agent"]):
        mine = answered[answered["agent"] == agent]
        start = mine["arrival"] + mine["wait"]
        order = np.argsort(start)
        end = (start + mine["talk"] + mine["acw"])[order]
        assert (start[order][1:] >= end[:-1] - 1e-9).all()


def test_parquet_file_per_replication(tmp_path):
    point = Point(0, "base", {}, SCENARIO)
    for rep in range(2):
        record = run_replication(task_for(point, rep, 11, True, call_records_dir=str(tmp_path)))
        table = pq.read_table(tmp_path / call_records_name(0, rep)).to_pandas()
        assert len(table) == record.calls_simulated
        assert set(table["call_type"].unique()) <= {"sales", "care"}
        assert (table["outcome"] == "answered").sum() == record.kpis["answered"]
    assert not list(tmp_path.glob("*.tmp"))


def test_both_engines_write_the_same_records():
    core = ccsim.simulate(SCENARIO, seed=8, call_records=True).stats.call_records
    ref = ccsim.simulate(SCENARIO, seed=8, engine="simpy", call_records=True).stats.call_records
    assert core.dtype == ref.dtype and len(core) == len(ref) > 100
    np.testing.assert_array_equal(np.sort(core, order="id"), np.sort(ref, order="id"))


def test_parquet_is_self_describing(tmp_path):
    """Readable with pandas/pyarrow alone: nullable agents, point and replication, provenance."""
    import hashlib
    import json

    import pandas as pd

    point = Point(2, "agents.a.count=20", {}, SCENARIO)
    task = task_for(point, 1, 11, True, call_records_dir=str(tmp_path))
    record = run_replication(task)
    path = tmp_path / call_records_name(2, 1)
    frame = pd.read_parquet(path)
    assert list(frame.columns[:3]) == ["point", "replication", "call_id"]
    assert (frame["point"] == 2).all() and (frame["replication"] == 1).all()
    assert str(frame["agent"].dtype) == "Int32"
    answered = frame["outcome"] == "answered"
    assert answered.sum() == record.kpis["answered"]  # warm-up 0: every call counts
    assert frame["agent"][answered].notna().all() and frame["agent"][~answered].isna().all()
    assert frame["group"][~answered].isna().all() and frame["group"][answered].notna().all()
    assert (frame["call_id"].diff().dropna() > 0).all()  # sorted by call id

    meta = json.loads(pq.read_schema(path).metadata[b"ccsim"])
    canonical = json.dumps(SCENARIO, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert meta["scenario"] == {"name": "", "sha256": hashlib.sha256(canonical.encode()).hexdigest()}
    assert meta["seed"] == {"entropy": 11, "spawn_key": [1]}
    assert (meta["point"], meta["replication"], meta["label"]) == (2, 1, "agents.a.count=20")
    assert meta["ccsim_version"] == ccsim.__version__
    # the seed written is the one that reproduces the run
    again = ccsim.simulate(SCENARIO, seed=np.random.SeedSequence(meta["seed"]["entropy"],
                                                               spawn_key=tuple(meta["seed"]["spawn_key"])))
    assert again.kpis()["answered"] == record.kpis["answered"]


def test_a_full_disk_while_writing_records_is_a_clear_error(tmp_path, monkeypatch):
    import errno

    import pyarrow.parquet

    from ccsim.errors import UserError
    from ccsim.experiment.call_records import CallRecordsError

    def full(table, where, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pyarrow.parquet, "write_table", full)
    task = task_for(Point(0, "base", {}, SCENARIO), 0, 11, True, call_records_dir=str(tmp_path))
    with pytest.raises(CallRecordsError, match=r"could not write the call records .*calls_point000_rep0000\.parquet: "
                                               "no space left on device") as caught:
        run_replication(task)
    assert isinstance(caught.value, UserError)
    assert list(tmp_path.iterdir()) == []  # no half-written file
    import pickle

    assert str(pickle.loads(pickle.dumps(caught.value))) == str(caught.value)  # crosses process boundaries
