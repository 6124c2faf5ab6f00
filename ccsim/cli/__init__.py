"""The ``ccsim`` command: run scenarios, check them, Erlang calculators, studies.

Exit status: 0 success, 1 a check failed (``ccsim check``), 2 bad input (any
``ccsim.errors.UserError``, usage), 3 a goal not reached or a check undecided,
130 interrupted, 70 internal error. Errors are one
paragraph on stderr starting with "error: "; a traceback is shown only with
``CCSIM_DEBUG=1``. Each command group lives in a module of its own and imports
heavy libraries (scipy, pandas, plotly, pyarrow, dask) only when it runs.
"""
from __future__ import annotations

import os
import sys
import traceback

import click

from ..errors import UserError
from .status import ARGV_KEY, EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, GoalNotReached, Interrupted

# click >= 8.2 raises this for a group called without a command (older ones exit 0 themselves)
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


class _Cli(click.Group):
    """A group whose ``main`` turns every failure into a one-paragraph message and an exit status."""

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
    cli.main(args=argv, prog_name="ccsim")


def _register() -> None:
    from .bench import bench
    from .check import check
    from .erlang import erlang
    from .fit import fit
    from .replay import replay, validate_fit
    from .run import run
    from .state import state
    from .study import compare, report, sweep
    from .validate import schema, validate
    from .workforce import workforce

    for command in (run, check, validate, schema, erlang, compare, sweep, report, bench, fit, replay, validate_fit,
                    workforce, state):
        cli.add_command(command)


_register()

__all__ = ["cli", "main"]
