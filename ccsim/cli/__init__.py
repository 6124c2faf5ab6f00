"""The ``ccsim`` command: run scenarios, check them, Erlang calculators, studies.

Exit status: 0 success, 1 a check failed (``ccsim check``), 2 bad input (any
``ccsim.errors.UserError``, usage), 3 a goal not reached or a check undecided,
130 interrupted, 70 internal error. Errors are one
paragraph on stderr starting with "error: "; a traceback is shown only with
``CCSIM_DEBUG=1``. Each command group lives in a module of its own and imports
heavy libraries (scipy, pandas, plotly, pyarrow, dask) only when it runs.
"""
from __future__ import annotations

import gc
import os
import sys
import traceback
from importlib import import_module

import click

from ..errors import UserError
from .status import ARGV_KEY, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, GoalNotReached, Interrupted

# Garbage-collector thresholds while the command's imports run (``_settle_imports``)
IMPORT_THRESHOLDS = (100_000, 50, 100)
# click >= 8.2 raises this for a group called without a command (older ones exit 0 themselves)
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


# name -> (module of ccsim.cli, the command's help as ``ccsim --help`` lists it). A command's module is
# imported only when the command runs (or is listed with its options), so ``ccsim run`` loads none of
# the others' imports and ``ccsim --help`` none at all; tests/test_cli_startup.py checks each line
# against the command's own help.
COMMANDS = {
    "bench": ("bench", "Calls per second of the Cython core on the shipped scenarios, and each one normalised "
                       "by a calibration workload measured in the same rounds (a ratio a slower or busier "
                       "machine does not change)."),
    "check": ("check", "Check SCENARIO against KPI targets with statistically honest verdicts."),
    "compare": ("study", "Compare scenarios (policies) with paired differences, CIs and verdicts against the "
                         "first."),
    "erlang": ("erlang", "Steady-state queueing formulas (Erlang B, C, A) and staffing."),
    "fit": ("fit", "Fit a scenario to the call log LOG and write it to --out."),
    "replay": ("replay", "Replay LOG's own calls, day by day, through --scenario with the staffing estimated "
                         "from LOG."),
    "report": ("study", "Write the HTML report of a stored study (STUDY is its .sqlite store)."),
    "run": ("run", "Simulate SCENARIO (a YAML file) and report KPIs with 95 % confidence intervals."),
    "schema": ("validate", "Print the JSON Schema of scenario files (for editors)."),
    "state": ("state", "Write the state of LOG at TIME: callers in queue and agents in service then."),
    "sweep": ("study", "Run SCENARIO at every point of a grid (or a list) of overrides."),
    "validate": ("validate", "Check SCENARIO against the schema (nothing is simulated)."),
    "validate-fit": ("replay", "Simulate --scenario over LOG's days and compare its KPIs per hour with LOG's."),
    "workforce": ("workforce", "Run SCENARIO's workforce section: periods with policies between them "
                               "(elimination, promotion, attrition, learning, training, QA, hiring); report "
                               "each period and the people."),
}


class _Cli(click.Group):
    """A group whose ``main`` turns every failure into a one-paragraph message and an exit status,
    and whose commands (``COMMANDS``) are imported when first asked for."""

    # the collector's thresholds before ``main`` raised them for the imports (None: not raised)
    start_thresholds = None

    def list_commands(self, ctx):
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx, cmd_name):
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module = import_module(f".{COMMANDS[cmd_name][0]}", __name__)
            self.add_command(getattr(module, cmd_name.replace("-", "_")), cmd_name)
            if self.start_thresholds is not None:
                _settle_imports(self.start_thresholds)
                self.start_thresholds = None
        return self.commands.get(cmd_name)

    def format_commands(self, ctx, formatter):
        """The commands' one-line helps, worded as click words them, importing none of them."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        with formatter.section("Commands"):
            formatter.write_dl([(name, self._short_help(name, limit)) for name in names])

    def _short_help(self, name: str, limit: int) -> str:
        command = self.commands.get(name) or click.Command(name, help=COMMANDS[name][1])
        return command.get_short_help_str(limit)

    def make_context(self, info_name, args, parent=None, **extra):
        argv = list(args)
        ctx = super().make_context(info_name, args, parent=parent, **extra)
        ctx.meta[ARGV_KEY] = argv
        return ctx

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)
            code = rv if isinstance(rv, int) else 0
        except _NO_ARGS_IS_HELP as err:  # ``ccsim`` or ``ccsim erlang`` alone
            click.echo(err.ctx.get_help())
            code = EXIT_INPUT
        except click.UsageError as err:
            hint = f" (see '{err.ctx.command_path} --help')" if err.ctx else ""
            code = _fail(f"error: {_renamed(err) or err.format_message()}{hint}", EXIT_INPUT)
        except click.ClickException as err:
            code = _fail(f"error: {err.format_message()}", err.exit_code)
        except UserError as err:
            code = _fail(f"error: {err}", EXIT_INPUT)
        except (GoalNotReached, Interrupted) as err:
            code = _fail(str(err), err.exit_code)
        except (click.Abort, KeyboardInterrupt):
            code = _fail("interrupted", EXIT_INTERRUPTED)
        except Exception as err:  # noqa: BLE001 - last resort: a message, the traceback only on request
            debug = os.environ.get("CCSIM_DEBUG") == "1"
            if debug:
                traceback.print_exc()
            hint = "" if debug else " (set CCSIM_DEBUG=1 for the traceback)"
            code = _fail(f"internal error: {type(err).__name__}: {err}{hint}", EXIT_INTERNAL)
        if standalone_mode:
            sys.exit(code)
        return code


# Options that were renamed: (command, old) -> new, so an old script gets told what to write now.
RENAMED = {("staff", "--target"): "--sl-goal", ("compare", "--target"): "--ci-halfwidth",
           ("sweep", "--target"): "--ci-halfwidth"}


def _renamed(err: click.UsageError):
    if not isinstance(err, click.NoSuchOption) or err.ctx is None:
        return None
    new = RENAMED.get((err.ctx.info_name, err.option_name))
    return f"no such option {err.option_name}: it is now {new}" if new else None


def _fail(message: str, code: int) -> int:
    click.echo(message, err=True)
    return code


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ccsim", prog_name="ccsim")
def cli():
    """Contact-center simulator: run scenarios, check them, size teams with Erlang formulas,
    compare policies and sweep parameters.

    Exit status: 0 ok, 1 a check failed, 2 bad input, 3 a goal not reached (or a check
    undecided), 130 interrupted, 70 internal error.
    """


def main(argv=None) -> None:
    """Console-script entry point (``ccsim``)."""
    _one_blas_thread()
    _no_pydantic_plugins()
    cli.start_thresholds = gc.get_threshold()
    gc.set_threshold(*IMPORT_THRESHOLDS)
    cli.main(args=argv, prog_name="ccsim")


def _settle_imports(thresholds) -> None:
    """Hide what the imports built from the garbage collector, then collect as before.

    A command's imports (numpy, pydantic and the ~90 scenario models, click) create
    some 60,000 objects that live as long as the process; each collection of the old
    generations during the run would walk them all again (about 30 ms of ``ccsim run``),
    and the frequent young collections during the imports find nothing to free.
    ``gc.freeze`` moves them to a generation that is never collected.
    """
    gc.freeze()
    gc.set_threshold(*thresholds)


def _one_blas_thread() -> None:
    """Keep numpy's OpenBLAS to the calling thread, unless the user chose otherwise.

    OpenBLAS starts its thread pool when numpy is imported, and the new threads spin
    before they sleep: about 40 ms of every command's start-up and as much CPU on
    another core. ccsim's commands multiply small matrices and vectors only (a run of
    erlang_a.yaml calls no BLAS routine at all), and pool workers inherit the setting,
    so two workers on two cores do not start two pools. Must run before numpy's import.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _no_pydantic_plugins() -> None:
    """Spare pydantic its search for plugins, unless the user chose otherwise.

    On its first validator pydantic reads the entry points of every installed package
    for plugins (about 4 ms of every command that loads a scenario, more with many
    packages); ccsim uses none. ``PYDANTIC_DISABLE_PLUGINS`` (pydantic's documented
    setting) skips the search; a user who wants a plugin in ccsim sets it to "" or to the
    plugins to leave out. Pool workers inherit it. ``import ccsim`` leaves it alone.
    """
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


__all__ = ["cli", "main"]
