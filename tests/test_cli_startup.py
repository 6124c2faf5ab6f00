"""``ccsim`` starts fast: heavy libraries load only when a command needs them,
and the local pool's workers never load the command line.

Each check runs the real entry point in a fresh interpreter and lists the
modules it loaded (no timing here: speed is in benchmarks/test_startup.py).
"""
import importlib
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from ccsim.cli import COMMANDS, cli
from ccsim.scenario import load_scenario

HEAVY = ("pandas", "scipy", "pyarrow", "plotly", "dask", "distributed", "rich.progress")
CLI_STACK = ("ccsim.cli", "click", "rich")
# What ``ccsim run`` on a scenario without media, money or extra thresholds does without:
# the heavy libraries, numpy.ma (np.unique's import) and the other commands' modules.
RUN_NEEDS_NONE = (*HEAVY, "numpy.ma", "ccsim.cli.study", "ccsim.cli.check", "ccsim.cli.workforce",
                  "ccsim.experiment", "ccsim.report")
# What neither ``import ccsim`` nor ``ccsim --help`` needs: numpy, the schema, YAML, tables.
HELP_NEEDS_NONE = (*RUN_NEEDS_NONE, "numpy", "pydantic", "yaml", "rich", "ccsim.scenario.schema",
                   "ccsim.cli.run", "ccsim.cli.validate")

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
    assert heavy(loaded_modules(tmp_path, "--help")["main"], HELP_NEEDS_NONE) == []


def test_validate_loads_nothing_heavy(tmp_path, small):
    assert heavy(loaded_modules(tmp_path, "validate", small)["main"], (*RUN_NEEDS_NONE, "rich")) == []


def test_erlang_help_loads_nothing_heavy(tmp_path):
    assert heavy(loaded_modules(tmp_path, "erlang", "staff", "--help")["main"]) == []


@pytest.mark.parametrize("json_mode", [False, True])
def test_small_run_loads_nothing_heavy(tmp_path, small, json_mode):
    modules = loaded_modules(tmp_path, "run", small, *(["--json"] if json_mode else []))["main"]
    # the Student t quantiles are ccsim.student_t's: no scipy at all
    assert heavy(modules, (*RUN_NEEDS_NONE, *(["rich"] if json_mode else []))) == []
    assert "ccsim._core" in modules  # it ran


def _has_media_money_or_thresholds(path: Path) -> bool:
    """A scenario whose run loaded scipy (its airings' expected calls, for the run budget) or
    pandas (the money tables; the service levels at several thresholds) before they were numpy."""
    scenario = load_scenario(path)
    return (scenario.media is not None or scenario.funnel is not None or scenario.costs is not None
            or bool(scenario.service_level.thresholds))


SHIPPED = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml"))
RICH = [path for path in SHIPPED if _has_media_money_or_thresholds(path)]


def test_the_rich_scenarios_are_found():
    assert {path.stem for path in RICH} >= {"media_hotline", "ads_demo", "multiskill"}


@pytest.mark.parametrize("mode", ["tables", "json", "validate"])
@pytest.mark.parametrize("path", RICH, ids=lambda path: path.stem)
def test_runs_with_media_money_or_thresholds_load_nothing_heavy(tmp_path, path, mode):
    """A shipped scenario with media airings, a sales funnel, costs or service levels at several
    thresholds runs (and validates) without pandas, pyarrow or scipy: the budget clears its
    airings without their exact expected calls, the money and service-level tables are numpy."""
    args = ["validate", path] if mode == "validate" else ["run", path, *(["--json"] if mode == "json" else [])]
    modules = loaded_modules(tmp_path, *args)["main"]
    assert heavy(modules, (*RUN_NEEDS_NONE, *(["rich"] if mode != "tables" else []))) == []
    if mode != "validate":
        assert "ccsim._core" in modules  # it ran


def test_check_loads_nothing_heavy(tmp_path, small):
    """``ccsim check``'s sequential intervals use ccsim.student_t's quantiles, as a run's do."""
    modules = loaded_modules(tmp_path, "check", small, "--expect", "asa <= 1e9", "--max-reps", "5")["main"]
    assert heavy(modules, (*HEAVY, "ccsim.cli.run", "ccsim.cli.study")) == []
    assert "ccsim._core" in modules  # it ran


def test_pool_workers_do_not_load_the_command_line(tmp_path, small):
    out = loaded_modules(tmp_path, "sweep", small, "--grid", "agents.team.count=8,9", "--reps", "2",
                         "--workers", "2", "--store", tmp_path / "s.sqlite", "--json")
    assert "ccsim.cli" in out["main"]  # the hook sees what it should
    assert len(out["workers"]) == 2
    # replications ran in the workers (on a busy machine one worker may have taken all four)
    assert any("ccsim._core" in modules for modules in out["workers"])
    for modules in out["workers"]:
        assert heavy(modules, CLI_STACK) == []
        assert heavy(modules, ("pandas", "plotly", "dask", "distributed", "scipy.stats")) == []


def _modules_after(code: str) -> list:
    proc = subprocess.run([sys.executable, "-c", f"{code}; import json, sys; print(json.dumps(sorted(sys.modules)))"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_importing_the_cli_loads_no_command():
    modules = _modules_after("import ccsim.cli")
    assert heavy(modules, HELP_NEEDS_NONE) == []
    assert not [m for m in modules if m.startswith("ccsim.cli.") and m != "ccsim.cli.status"]


def test_importing_ccsim_loads_nothing_until_used():
    assert heavy(_modules_after("import ccsim"), HELP_NEEDS_NONE) == []
    assert heavy(_modules_after("import ccsim.budget, ccsim.scenario.limits"), ("pydantic", "ccsim.scenario.schema")) == []
    modules = _modules_after("import ccsim; ccsim.simulate")
    assert "ccsim.api" in modules and "ccsim.scenario.schema" in modules
    # a submodule as an attribute, as when ccsim/__init__.py imported them all
    assert "ccsim.results" in _modules_after("import ccsim; assert ccsim.results.KPI_NAMES")
    assert "ccsim.scenario.hours" in _modules_after("import ccsim.scenario as s; assert s.hours.WEEK")


def test_the_lazy_package_keeps_its_public_names():
    import ccsim
    import ccsim.scenario

    for package in (ccsim, ccsim.scenario):
        for name in package.__all__:
            assert getattr(package, name) is not None, name
        assert set(package.__all__) <= set(dir(package))
        with pytest.raises(AttributeError, match=f"module '{package.__name__}' has no attribute 'nothing'"):
            package.nothing  # noqa: B018
        with pytest.raises(AttributeError):
            package.__wrapped__  # noqa: B018  (a dunder is never looked up as a submodule)
    # a public name, once imported, is kept in its package (later uses are plain lookups)
    assert vars(ccsim.scenario)["load_scenario"] is ccsim.scenario.loader.load_scenario
    assert vars(ccsim)["Scenario"] is ccsim.scenario.schema.Scenario


@pytest.mark.parametrize("limit", [30, 45, 74, 500])
def test_the_listed_help_is_each_command_s_own(limit):
    """``ccsim --help`` lists COMMANDS' lines without importing the commands: each is its command's."""
    ctx = click.Context(cli)
    for name, (module, text) in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command.callback.__module__ == f"ccsim.cli.{module}", name
        assert click.Command(name, help=text).get_short_help_str(limit) == command.get_short_help_str(limit), name


def test_every_command_is_listed():
    """A command added to a module of ccsim.cli must be added to COMMANDS too."""
    import ccsim.cli

    commands, nested = set(), set()
    for info in pkgutil.iter_modules(ccsim.cli.__path__):
        if info.name == "__main__":  # runs the command line when imported
            continue
        module = importlib.import_module(f"ccsim.cli.{info.name}")
        for value in vars(module).values():
            if isinstance(value, click.Command) and value.callback.__module__ == module.__name__:
                commands.add(value)
                nested |= set(value.commands.values()) if isinstance(value, click.Group) else set()
    assert {command.name for command in commands - nested} == set(COMMANDS)


def test_the_command_runs_with_one_blas_thread(small):
    """numpy's OpenBLAS starts no thread pool in ``ccsim``, unless the user asks for one."""
    code = ("import os, sys; from ccsim.cli import main\n"
            "try:\n    main(['validate', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
            "import numpy\n"  # loaded by the command: its OpenBLAS is up
            "print(os.environ['OPENBLAS_NUM_THREADS'], len(os.listdir('/proc/self/task')))")

    def run(given):
        env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
        env.update({"OPENBLAS_NUM_THREADS": given} if given else {})
        proc = subprocess.run([sys.executable, "-c", code, str(small)], capture_output=True, text=True,
                              timeout=300, env=env)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.split()[-2:]

    assert run(None) == ["1", "1"]  # the main thread alone
    assert run("2")[0] == "2"  # the user's choice stands (threads then: as many as OpenBLAS sees cores for)


def test_the_command_spares_pydantic_its_plugin_search(small):
    """pydantic reads no package's entry points for plugins in ``ccsim``, unless the user asks."""
    code = ("import importlib.metadata as md, os, sys\n"
            "groups, real = [], md.entry_points\n"
            "md.entry_points = lambda **kw: groups.append(kw.get('group')) or real(**kw)\n"
            "from ccsim.cli import main\n"
            "try:\n    main(['validate', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
            "import pydantic\n"  # loaded by the command: its models validated the scenario
            "print(repr(os.environ['PYDANTIC_DISABLE_PLUGINS']), 'pydantic' in groups)")

    def run(given):
        env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
        env.update({"PYDANTIC_DISABLE_PLUGINS": given} if given is not None else {})
        proc = subprocess.run([sys.executable, "-c", code, str(small)], capture_output=True, text=True,
                              timeout=300, env=env)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.split()[-2:]

    assert run(None) == ["'__all__'", "False"]
    assert run("") == ["''", "True"]  # the user's choice stands: pydantic looks for its plugins
