"""The one-call Python API for studies (ccsim.experiment.compare / sweep)."""
import numpy as np
import pandas as pd
import pytest

from ccsim.experiment import compare, sweep
from ccsim.experiment.backends import LocalBackend, SerialBackend
from factories import single_queue


def test_compare_returns_dataframes_with_paired_verdicts(tmp_path):
    a, b = single_queue(agents=18, horizon=3600, rate=0.1), single_queue(agents=22, horizon=3600, rate=0.1)
    study = compare([a, b], reps=15, seed=4, labels=["18", "22"], backend="serial",
                    store_path=tmp_path / "s.sqlite")
    diff = study.differences()
    assert isinstance(diff, pd.DataFrame)
    row = diff[diff["kpi"] == "service_level"].iloc[0]
    assert row["label"] == "22" and row["verdict"] == "better" and row["variance_reduction"] > 1
    summary = study.summary(["service_level"])
    assert list(summary["label"]) == ["18", "22"] and (summary["reps"] == 15).all()


def test_sweep_is_the_same_on_every_backend():
    base = single_queue(agents=20, horizon=3600, rate=0.1)
    serial = sweep(base, "agents.team.count=18..22:2", reps=3, seed=9, backend="serial").table()
    with LocalBackend(2) as pool:
        local = sweep(base, ["agents.team.count=18..22:2"], reps=3, seed=9, backend=pool).table()
    pd.testing.assert_frame_equal(serial, local)
    assert list(serial["agents.team.count"]) == [18, 20, 22]


def test_sequential_compare_stops_at_the_target():
    a, b = single_queue(agents=18, horizon=3600, rate=0.1), single_queue(agents=22, horizon=3600, rate=0.1)
    study = compare([a, b], reps=3, seed=1, backend=SerialBackend(), ci_halfwidth={"service_level": 0.3})
    assert study.data.target_met and study.data.reps == 3


def test_compare_needs_two_scenarios():
    with pytest.raises(ValueError, match="at least two"):
        compare([single_queue()], reps=2)


def test_replications_and_intervals_as_long_frames():
    import ccsim

    a, b = single_queue(agents=18, horizon=3600, rate=0.1), single_queue(agents=22, horizon=3600, rate=0.1)
    study = compare([a, b], reps=2, seed=6, labels=["18", "22"], backend="serial")
    reps = study.replications()
    assert list(reps[["point", "replication"]].itertuples(index=False, name=None)) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert list(reps["label"]) == ["18", "18", "22", "22"]
    alone = ccsim.simulate(b, seed=6)  # replication 0 of seed 6 at point 1
    row = reps[(reps["point"] == 1) & (reps["replication"] == 0)].iloc[0]
    assert row["service_level"] == alone.kpis()["service_level"] and row["calls_simulated"] == alone.calls_simulated

    long = study.intervals()
    assert list(long.columns[:2]) == ["point", "replication"] and len(long) == 4 * 4  # 4 intervals of 900 s
    mine = long[(long["point"] == 1) & (long["replication"] == 0)].drop(columns=["point", "replication"])
    pd.testing.assert_frame_equal(mine.reset_index(drop=True), alone.intervals())


def test_a_media_study_reports_lost_calls_and_channels_per_replication():
    import ccsim
    from inbound_scenarios import INBOUND_MEDIA

    more_lines = {**INBOUND_MEDIA, "lines": 30}
    study = compare([INBOUND_MEDIA, more_lines], reps=2, seed=5, labels=["18", "30"], backend="serial")
    lost = study.lost_calls()
    assert list(lost[["point", "replication"]].itertuples(index=False, name=None)) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    channels = study.channels()
    assert list(channels["channel"][:3]) == ["organic", "tv", "web"] and len(channels) == 12
    for (point, scenario), rep in ((p, r) for p in enumerate([INBOUND_MEDIA, more_lines]) for r in range(2)):
        result = ccsim.replicate(scenario, 2, seed=5)[rep]
        row = lost[(lost["point"] == point) & (lost["replication"] == rep)].iloc[0]
        np.testing.assert_equal({k: float(row[k]) for k in result.lost_calls()}, result.lost_calls())  # nan == nan
        mine = channels[(channels["point"] == point) & (channels["replication"] == rep)].set_index("channel")
        pd.testing.assert_frame_equal(mine.drop(columns=["point", "replication"]), result.channels(),
                                      check_names=False)
