"""The README's Python example saved as a script works with or without a main guard
(the local pool's loky workers do not re-run the parent's script)."""
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from ccsim.results import KPI_NAMES

SCRIPT = textwrap.dedent("""
    import os
    from ccsim.experiment import compare

    def center(agents):
        return {"horizon": 1800, "interval": 900, "agents": [{"name": "team", "count": agents, "serves": ["inbound"]}],
                "call_types": [{"name": "inbound", "arrivals": {"process": "poisson", "rate": 0.05},
                                "handle_time": {"dist": "exponential", "mean": 120}}]}

    print("top level ran in", os.getpid(), flush=True)
""")
STUDY = 'study = compare([center(10), center(12)], reps=3, seed=4, store_path="ab.sqlite")\nprint("rows", len(study.differences()))\n'


@pytest.mark.parametrize("guarded", [False, True])
def test_readme_example_as_a_script(tmp_path, guarded):
    body = 'if __name__ == "__main__":\n' + textwrap.indent(STUDY, "    ") if guarded else STUDY
    (tmp_path / "study.py").write_text(SCRIPT + body)
    done = subprocess.run([sys.executable, "study.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("top level ran in") == 1  # no worker re-ran the script
    assert done.stdout.count(f"rows {len(KPI_NAMES) + 1}") == 1  # every KPI, and time in center
    db = sqlite3.connect(tmp_path / "ab.sqlite")
    assert db.execute("SELECT count(*) FROM replications").fetchone()[0] == 6
    db.close()
