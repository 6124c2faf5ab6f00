"""A --ci-halfwidth study's store records the replications it decided on: reports of the store show
them whatever the last batch (the number of workers) computed beyond; those stay stored."""
import sqlite3

import pytest
from click.testing import CliRunner

from ccsim.cli import cli
from ccsim.experiment.records import Point
from ccsim.experiment.runner import run_study, run_until
from ccsim.experiment.store import FORMAT_VERSION, Store
from factories import single_queue

POINTS = [Point(0, "18", {}, single_queue(18, 3600, rate=0.1, patience=120)),
          Point(1, "21", {"agents.team.count": 21}, single_queue(21, 3600, rate=0.1, patience=120))]
MIN, MAX = 3, 40


def sequential(path, batch):
    return run_until(POINTS, ["service_level"], 0.05, seed=4, crn=True, min_reps=MIN, max_reps=MAX, batch=batch,
                     store_path=path, backend="serial")


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    folder = tmp_path_factory.mktemp("decided")
    one, wide = folder / "batch1.sqlite", folder / "wide.sqlite"
    return sequential(one, 1), sequential(wide, MAX), one, wide


def stored_rows(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM replications").fetchone()[0]


def test_the_store_shows_the_decided_count_whatever_the_batch(stores):
    """Before: the wide batch's store loaded (and reported) every replication it computed."""
    one, wide, one_path, wide_path = stores
    assert one.reps == wide.reps and MIN < one.reps < MAX  # the same decision, overshoot possible
    assert stored_rows(one_path) == 2 * one.reps
    assert stored_rows(wide_path) == 2 * MAX  # the overshoot stays stored: nothing lost
    for path in (one_path, wide_path):
        with Store.open(path, write=False) as store:
            assert store.version == FORMAT_VERSION == 5
            assert store.decided() == {0: one.reps, 1: one.reps}
            data = store.load()
            assert {p.point: len(data.records_of(p.point)) for p in data.points} == {0: one.reps, 1: one.reps}
            assert len(store.load(every=True).records) == stored_rows(path)


def test_reports_of_the_two_stores_are_the_same_page(stores, tmp_path):
    _one, _wide, one_path, wide_path = stores
    pages = []
    for path in (one_path, wide_path):
        html = tmp_path / f"{path.stem}.html"
        result = CliRunner().invoke(cli, ["report", str(path), "--html", str(html)])
        assert result.exit_code == 0, result.output
        pages.append(html.read_text())
    assert pages[0] == pages[1]


def test_a_study_run_again_with_more_replications_decides_again(stores, tmp_path):
    """A resumed study decides anew: undecided (every replication shown) while it runs, then its count."""
    one, _wide, one_path, _ = stores
    path = tmp_path / "again.sqlite"
    path.write_bytes(one_path.read_bytes())
    data = run_study(POINTS, one.reps + 2, 4, True, store_path=path, backend="serial", resume=True)
    assert len(data.records) == 2 * (one.reps + 2)
    with Store.open(path) as store:
        assert store.decided() == {0: one.reps + 2, 1: one.reps + 2}
        store.set_decided(None)
        assert store.decided() == {} and len(store.load().records) == 2 * (one.reps + 2)


def test_an_older_store_records_no_decision_and_shows_every_replication(stores, tmp_path):
    _one, _wide, _, wide_path = stores
    path = tmp_path / "v4.sqlite"
    path.write_bytes(wide_path.read_bytes())
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE decided")
        db.execute("PRAGMA user_version = 4")
    with Store.open(path) as store:
        assert store.version == 4 and store.decided() == {}
        store.set_decided({0: 3, 1: 3})  # nothing to record it in
        assert len(store.load().records) == 2 * MAX
