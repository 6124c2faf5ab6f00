"""Fixtures shared by the command-line tests (a module's own fixture of the same name wins)."""
import json

import pytest
from click.testing import CliRunner

from factories import SMALL_YAML


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
