"""``ccsim`` starts fast: heavy libraries load only when a command needs them,
and the local pool's workers never load the command line.

Each check runs the real entry point in a fresh interpreter and lists the
modules it loaded (no timing here: speed is in benchmarks/test_startup.py).
"""
import json
import os
import subprocess
import sys

import pytest


HEAVY = ("pandas", "scipy", "pyarrow", "plotly", "dask", "distributed", "rich.progress")
CLI_STACK = ("ccsim.cli", "click", "rich")

# The console script's own body (pip writes ``from ccsim.__main__ import main``).
WRAPPER = """\
import sys

from ccsim.__main__ import main
if __name__ == "__main__":
    sys.argv[0] = "ccsim"
    sys.exit(main())
"""

# A hook every Python process of the invocation imports at start-up (``sitecustomize``
# on PYTHONPATH): at exit it writes the modules it loaded, the parent's (its
# ``__main__`` is the wrapper) and each local-pool worker's (a loky worker, whose
# ``__main__`` is loky's ``popen_loky_posix``); helper processes write nothing.
HOOK = """\
import atexit, json, os, sys

def _dump():
    main = sys.modules.get("__main__")
    spec = getattr(getattr(main, "__spec__", None), "name", "") or ""
    if getattr(main, "__file__", None) == {script!r}:
        role = "main"
    elif spec.startswith("loky.backend.popen_loky"):
        role = "worker"
    else:
        return
    with open(os.path.join({folder!r}, f"{{role}}-{{os.getpid()}}.json"), "w") as handle:
        json.dump(sorted(sys.modules), handle)

atexit.register(_dump)
"""


def loaded_modules(tmp_path, *args):
    """{"main": modules, "workers": [modules, ...]} of one ``ccsim`` invocation."""
    folder = tmp_path / "modules"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    script = tmp_path / "ccsim_wrapper.py"
    script.write_text(WRAPPER)
    hook = tmp_path / "hook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(HOOK.format(script=str(script), folder=str(folder)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, str(script), *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, env=env)
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
