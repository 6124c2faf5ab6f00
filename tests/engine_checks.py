"""Checks the engine tests share: run a scenario, compare the two engines bit for bit,
read a counter array by field name, and expect a scenario to be refused with its path
(by validation, and by `ccsim run` with exit 2)."""
import dataclasses

import numpy as np
import pytest

from ccsim.compile import compile_scenario
from ccsim.engines import ENGINES
from ccsim.results import RawStats
from ccsim.scenario import ScenarioError, validate_scenario

# every statistics array of a run (call records are compared apart: they exist only when asked for)
RAW_ARRAYS = tuple(f.name for f in dataclasses.fields(RawStats)
                   if f.name not in ("calls_simulated", "end_time", "call_records"))


def run(scenario, engine, seed=1, records=True):
    """The RawStats of one replication of ``scenario`` (a dict) on ``engine``."""
    return ENGINES[engine](compile_scenario(validate_scenario(scenario)), seed, call_records=records)


def fields(array, names):
    """{field name: array over the other axes} of a counter array whose last axis is ``names``."""
    return dict(zip(names, np.moveaxis(array, -1, 0)))


def assert_same_run(core, ref):
    """Both engines made the same run: every statistics array, the call records, the counts."""
    assert core.calls_simulated == ref.calls_simulated
    assert core.end_time == ref.end_time
    for name in RAW_ARRAYS:
        np.testing.assert_array_equal(getattr(core, name), getattr(ref, name), err_msg=name)
    np.testing.assert_array_equal(core.call_records, ref.call_records)


def assert_refused(scenario, path, words):
    """Validation refuses ``scenario`` with a message naming ``path`` and saying ``words``."""
    with pytest.raises(ScenarioError) as err:
        validate_scenario(scenario)
    text = str(err.value)
    assert path in text and words in text, text


def assert_cli_refused(tmp_path, scenario, path, words=""):
    """`ccsim run` on ``scenario`` (a dict) exits 2 with a message naming ``path`` and saying
    ``words``, and no traceback: a bad scenario is the user's error, said in one paragraph."""
    import yaml
    from click.testing import CliRunner

    from ccsim.cli import cli

    file = tmp_path / "bad.yaml"
    file.write_text(yaml.safe_dump(scenario))
    out = CliRunner().invoke(cli, ["run", str(file)])
    assert out.exit_code == 2, out.output
    assert path in out.output and words in out.output and "Traceback" not in out.output, out.output
