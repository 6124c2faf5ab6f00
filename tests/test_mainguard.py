"""A script that starts a study without `if __name__ == "__main__":` gets told what to do."""
import subprocess
import sys
import textwrap

import pytest

from ccsim.experiment import mainguard

HEADER = textwrap.dedent("""
    from ccsim.experiment import compare, mainguard

    def center(agents):
        return {"horizon": 1800, "interval": 900, "agents": [{"name": "team", "count": agents, "serves": ["inbound"]}],
                "call_types": [{"name": "inbound", "arrivals": {"process": "poisson", "rate": 0.05},
                                "handle_time": {"dist": "exponential", "mean": 120}}]}
""")
STUDY = 'study = compare([center(10), center(12)], reps=2, store_path="ab.sqlite")\nprint("rows", len(study.differences()))\n'


def run_script(tmp_path, body):
    script = tmp_path / "study.py"
    script.write_text(HEADER + body)
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300)


def test_unguarded_script_is_told_to_add_the_guard(tmp_path):
    done = run_script(tmp_path, STUDY)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ccsim.experiment.backends.UnguardedScriptError:")
    assert f"{tmp_path / 'study.py'}, line 8," in last and 'if __name__ == "__main__":' in last
    assert "died" not in done.stderr
    assert not (tmp_path / "ab.sqlite").exists()  # refused before anything was created


def test_a_worker_rerunning_the_script_is_explained_too(tmp_path):
    """The parent's check is switched off in the parent only: the workers' check catches it."""
    bypass = 'if __name__ == "__main__":\n    mainguard.unguarded_call = lambda: None\n'
    done = run_script(tmp_path, bypass + STUDY)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ccsim.experiment.backends.UnguardedScriptError:") and "__main__" in last
    assert "died" not in done.stderr


def test_guarded_script_runs(tmp_path):
    done = run_script(tmp_path, 'if __name__ == "__main__":\n' + textwrap.indent(STUDY, "    "))
    assert done.returncode == 0, done.stderr
    assert "rows 13" in done.stdout and (tmp_path / "ab.sqlite").exists()


@pytest.mark.parametrize("source, line, guarded", [
    ('x = 1\nif __name__ == "__main__":\n    run()\n', 3, True),
    ('if "__main__" == __name__:\n    run()\n', 2, True),
    ('if __name__ == "__main__" and True:\n    main()\n', 2, True),
    ('run()\nif __name__ == "__main__":\n    pass\n', 1, False),
    ('def main():\n    run()\n\nmain()\n', 4, False),
    ('if DEBUG:\n    run()\n', 2, False),
])
def test_guard_detection(tmp_path, source, line, guarded):
    path = tmp_path / "s.py"
    path.write_text(source)
    assert mainguard._guarded(str(path), line) is guarded


def test_unreadable_script_is_given_the_benefit_of_the_doubt(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("def (:\n")
    assert mainguard._guarded(str(path), 1) is True
