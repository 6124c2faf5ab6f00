"""Fixtures shared by the command-line tests (a module's own fixture of the same name wins)."""
import json

import pytest
from click.testing import CliRunner

from factories import SMALL_YAML

import ccsim.experiment.records as records
from ccsim.engines import ENGINES


@pytest.fixture
def small(tmp_path):
    """``factories.SMALL_YAML`` written to a file."""
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_YAML)
    return path


@pytest.fixture
def runner():
    return CliRunner()


def strict_json(text):
    """json.loads that refuses NaN / Infinity (not valid JSON)."""
    def refuse(name):
        raise ValueError(f"not valid JSON: {name}")
    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def no_engine(monkeypatch):
    """Every engine (and a study's replication runner) fails the test if called:
    a refusal must come before the run."""
    def boom(*args, **kwargs):
        raise AssertionError("the engine ran: the budget should have refused the run first")
    for name in list(ENGINES):
        monkeypatch.setitem(ENGINES, name, boom)
    monkeypatch.setattr(records, "_run", boom)
