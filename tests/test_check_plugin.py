"""The pytest plugin: a center's test suite uses the ``ccsim_check`` fixture (loaded by entry point)."""
import subprocess
import sys

import yaml

from ccsim import analytic
from factories import single_queue

CENTER_TESTS = '''
def test_plan_meets_targets(ccsim_check):
    ccsim_check("plan.yaml").expect("service_level >= {good}", "abandon_rate <= 0.2")

def test_plan_misses_a_target(ccsim_check):
    ccsim_check("plan.yaml").expect("service_level >= {bad}")

def test_plan_undecided_is_skipped_on_request(ccsim_check):
    ccsim_check("plan.yaml", max_reps=2, min_reps=2, undecided="skip").expect("service_level >= {truth}")

def test_plan_against_baseline(ccsim_check):
    ccsim_check("plan.yaml", baseline="plan.yaml").expect("service_level: no worse than -0.01")
'''


def test_fixture_pass_fail_skip(tmp_path):
    data = single_queue(agents=8, horizon=22000, rate=0.1, handle=60, patience=120, warmup=2000)
    data["service_level"] = {"threshold": 20}
    center = tmp_path / "center"
    center.mkdir()
    (center / "plan.yaml").write_text(yaml.safe_dump(data))
    truth = analytic.erlang_a_metrics(8, 0.1, 60, 120, 20).service_level
    (center / "test_center.py").write_text(CENTER_TESTS.format(good=truth - 0.1, bad=truth + 0.1, truth=truth))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "-o", "addopts=",
                           "test_center.py"], cwd=center, capture_output=True, text=True)
    out = done.stdout
    assert done.returncode == 1, out  # one test failed
    assert "PASSED test_center.py::test_plan_meets_targets" in out
    assert "FAILED test_center.py::test_plan_misses_a_target" in out
    assert "SKIPPED" in out and "undecided" in out
    assert "PASSED test_center.py::test_plan_against_baseline" in out
    assert "fail: service_level >= " in out and "CI" in out
