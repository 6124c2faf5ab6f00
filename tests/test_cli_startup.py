"""``ccsim`` starts fast: heavy libraries load only when a command needs them,
and the local pool's workers never load the command line.

Each check runs the real entry point in a fresh interpreter and lists the
modules it loaded (no timing here: speed is in benchmarks/test_startup.py).
"""
import json
import subprocess
import sys

import pytest

from factories import SMALL_YAML

HEAVY = ("pandas", "scipy", "pyarrow", "plotly", "dask", "distributed", "rich.progress")
CLI_STACK = ("ccsim.cli", "click", "rich")

# The console script's own body (pip writes ``from ccsim.__main__ import main``),
# plus a hook that writes the modules each process loaded, the parent's and
# every spawned worker's (a spawned worker re-runs this file as __mp_main__).
WRAPPER = """\
import atexit, json, os, sys

def _dump():
    role = "worker" if __name__ == "__mp_main__" else "main"
    with open(os.path.join({folder!r}, f"{{role}}-{{os.getpid()}}.json"), "w") as handle:
        json.dump(sorted(sys.modules), handle)

atexit.register(_dump)
from ccsim.__main__ import main
if __name__ == "__main__":
    sys.argv[0] = "ccsim"
    sys.exit(main())
"""


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_YAML)
    return path


def loaded_modules(tmp_path, *args):
    """{"main": modules, "workers": [modules, ...]} of one ``ccsim`` invocation."""
    folder = tmp_path / "modules"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    script = tmp_path / "ccsim_wrapper.py"
    script.write_text(WRAPPER.format(folder=str(folder)))
    proc = subprocess.run([sys.executable, str(script), *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = {"main": None, "workers": []}
    for path in sorted(folder.iterdir()):
        modules = set(json.loads(path.read_text()))
        if path.name.startswith("main"):
            out["main"] = modules
        else:
            out["workers"].append(modules)
    return out


def heavy(modules, names=HEAVY):
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_help_loads_nothing_heavy(tmp_path):
    assert heavy(loaded_modules(tmp_path, "--help")["main"]) == []


def test_validate_loads_nothing_heavy(tmp_path, small):
    assert heavy(loaded_modules(tmp_path, "validate", small)["main"]) == []


def test_erlang_help_loads_nothing_heavy(tmp_path):
    assert heavy(loaded_modules(tmp_path, "erlang", "staff", "--help")["main"]) == []


@pytest.mark.parametrize("json_mode", [False, True])
def test_small_run_loads_only_the_t_quantile(tmp_path, small, json_mode):
    modules = loaded_modules(tmp_path, "run", small, *(["--json"] if json_mode else []))["main"]
    # scipy.special gives the Student t quantile; scipy.stats (0.5 s more) is not needed
    assert heavy(modules, ("pandas", "pyarrow", "plotly", "dask", "distributed", "rich.progress",
                           "scipy.stats")) == []


def test_pool_workers_do_not_load_the_command_line(tmp_path, small):
    out = loaded_modules(tmp_path, "sweep", small, "--grid", "agents.team.count=8,9", "--reps", "2",
                         "--workers", "2", "--store", tmp_path / "s.sqlite", "--json")
    assert "ccsim.cli" in out["main"]  # the hook sees what it should
    assert len(out["workers"]) == 2
    for modules in out["workers"]:
        assert "ccsim._core" in modules  # it ran replications
        assert heavy(modules, CLI_STACK) == []
        assert heavy(modules, ("pandas", "plotly", "dask", "distributed", "scipy.stats")) == []


def test_importing_the_cli_loads_nothing_heavy():
    code = "import json, sys; import ccsim.cli; print(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    modules = json.loads(proc.stdout)
    assert "ccsim.cli.study" in modules  # every command is registered
    assert heavy(modules) == []
