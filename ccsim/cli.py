"""The ``ccsim`` command: run scenarios, check them, and Erlang calculators.

Exit status: 0 success, 2 bad input (scenario, option value, usage), 1 internal
error. Errors are one paragraph on stderr starting with "error: "; a traceback
is shown only with ``CCSIM_DEBUG=1``.
"""
from __future__ import annotations

import contextlib
import csv
import dataclasses
import json
import math
import os
import sys
import traceback
from pathlib import Path

import click
from rich.console import Console

from . import analytic
from .api import replicate
from .engines import ENGINES
from .files import write_text_atomic
from .jsonio import to_json
from .report_table import (erlang_table, is_finite, kpi_definitions, kpi_table, progress_bar,
                           service_level_definition)
from .results import summarize
from .scenario import Scenario, ScenarioError, load_scenario
from .scenario.schema import PER_SECONDS

EXIT_INPUT = 2  # bad scenario, option value or usage
EXIT_INTERNAL = 1
# click >= 8.2 raises this for a group called without a command (older ones exit 0 themselves)
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


class InputError(click.ClickException):
    """A value the user gave cannot be used (exit status 2)."""

    exit_code = EXIT_INPUT


# ---------------------------------------------------------------- entry point
class _Cli(click.Group):
    """A group whose ``main`` turns every failure into a one-paragraph message."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)
            code = rv if isinstance(rv, int) else 0
        except _NO_ARGS_IS_HELP as err:  # ``ccsim`` or ``ccsim erlang`` alone
            click.echo(err.ctx.get_help())
            code = EXIT_INPUT
        except click.UsageError as err:
            hint = f" (see '{err.ctx.command_path} --help')" if err.ctx else ""
            code = _fail(f"error: {err.format_message()}{hint}", err.exit_code)
        except click.ClickException as err:
            code = _fail(f"error: {err.format_message()}", err.exit_code)
        except (ScenarioError, *_user_errors()) as err:
            code = _fail(f"error: {err}", EXIT_INPUT)
        except click.Abort:
            code = _fail("aborted", 130)
        except Exception as err:  # noqa: BLE001 - last resort: a message, the traceback only on request
            debug = os.environ.get("CCSIM_DEBUG") == "1"
            if debug:
                traceback.print_exc()
            hint = "" if debug else " (set CCSIM_DEBUG=1 for the traceback)"
            code = _fail(f"internal error: {type(err).__name__}: {err}{hint}", EXIT_INTERNAL)
        if standalone_mode:
            sys.exit(code)
        return code


def _user_errors() -> tuple:
    """Exceptions that mean bad input from the user (exit 2), not a bug."""
    from .experiment.backends import BackendError
    from .experiment.overrides import OverrideError
    from .experiment.store import StoreError

    return (OverrideError, BackendError, StoreError)


def _fail(message: str, code: int) -> int:
    click.echo(message, err=True)
    return code


def _stdout_console() -> Console:
    """Rich console on stdout; wide enough for the definitions when piped."""
    piped = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    return Console(highlight=False, width=120 if piped else None)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ccsim", prog_name="ccsim")
def cli():
    """Contact-center simulator: run scenarios, check them, size teams with Erlang formulas."""


def main(argv=None) -> None:
    """Console-script entry point (``ccsim``)."""
    cli.main(args=argv, prog_name="ccsim")


# ---------------------------------------------------------------- run
@cli.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(path_type=Path))
@click.option("--reps", type=click.IntRange(min=1), default=1, show_default=True,
              help="Independent replications (one replication: CIs from batch means within the run).")
@click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True,
              help="Root seed; replication i uses SeedSequence(seed).spawn(reps)[i].")
@click.option("--engine", type=click.Choice(sorted(ENGINES)), default="core", show_default=True,
              help="Cython core or the SimPy reference engine.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for intervals.csv and summary.json (created if needed).")
@click.option("--html", type=click.Path(dir_okay=False, path_type=Path), help="Write the HTML report here.")
def run(scenario_file: Path, reps: int, seed: int, engine: str, as_json: bool, out, html):
    """Simulate SCENARIO (a YAML file) and report KPIs with 95 % confidence intervals."""
    scenario = load_scenario(scenario_file)
    if out is not None:
        _make_folder(out)
    with progress_bar(enabled=not as_json and sys.stderr.isatty()) as progress:
        results = replicate(scenario, reps, seed=seed, engine=engine, progress=progress)
    summary = build_summary(scenario, scenario_file, results, reps, seed, engine)
    if out is not None:
        _write_outputs(out, results, summary)
    if html is not None:
        _write_run_report(html, scenario, scenario_file, results, seed, engine)
    if as_json:
        click.echo(to_json(summary))
    else:
        _print_run(scenario, summary)
    if out is not None:
        click.echo(f"wrote {out / 'intervals.csv'} and {out / 'summary.json'}", err=True)
    if html is not None:
        click.echo(f"wrote {html}", err=True)


def _write_run_report(path: Path, scenario: Scenario, scenario_file, results: list, seed: int, engine: str) -> None:
    from .experiment.records import Point, StudyData, record_from_result
    from .report import write_html
    from .scenario import scenario_to_dict

    label = Path(scenario_file).name
    point = Point(0, label, {}, scenario_to_dict(scenario))
    records = [record_from_result(0, rep, (rep,), r) for rep, r in enumerate(results)]
    data = StudyData(name=scenario.name or Path(scenario_file).stem, kind="run", seed=seed, crn=True,
                     engine=engine, points=[point], records=records)
    write_html(data, path)


def build_summary(scenario: Scenario, scenario_file, results: list, reps: int, seed: int, engine: str) -> dict:
    """The object printed by ``--json`` and written to summary.json."""
    return {
        "engine": engine,
        "reps": reps,
        "seed": seed,
        "scenario": scenario.name or Path(scenario_file).stem,
        "scenario_file": str(scenario_file),
        "calls_simulated": int(sum(r.calls_simulated for r in results)),
        "wall_seconds": float(sum(r.wall_seconds for r in results)),
        "ci_method": "student_t_over_replications" if reps > 1 else "batch_means_within_run",
        "definitions": kpi_definitions(scenario),
        "kpis": summarize(results),
    }


def _print_run(scenario: Scenario, summary: dict) -> None:
    console = _stdout_console()
    reps = summary["reps"]
    title = (f"{summary['scenario']}: {summary['engine']} engine, "
             f"{reps} replication{'s' if reps > 1 else ''}, seed {summary['seed']}")
    console.print(kpi_table(summary["kpis"], summary["definitions"], title=title))
    if reps > 1:
        console.print(f"95 % CI: Student t over {reps} replications.")
    elif all(not is_finite(row["ci_halfwidth"]) for row in summary["kpis"].values()):
        console.print("One replication, too few post-warm-up intervals for batch means: "
                      "no CI (use --reps 2 or more).")
    else:
        console.print("One replication: 95 % CIs from batch means of the post-warm-up "
                      "intervals within the run.")
    console.print(f"Totals over calls arriving after the warm-up ({scenario.warmup:g} s); a call counts "
                  "in the interval it arrived in.")
    calls, wall = summary["calls_simulated"], summary["wall_seconds"]
    speed = f"{calls / wall:,.0f} calls/s" if wall > 0 else "n/a calls/s"
    console.print(f"calls simulated: {calls:,} (warm-up included) · engine wall time {wall:.3f} s · {speed}")


# ---------------------------------------------------------------- output files
def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create output folder {folder}: {err.strerror or err}") from None


def _write_outputs(folder: Path, results: list, summary: dict) -> None:
    try:
        write_text_atomic(folder / "intervals.csv", lambda handle: write_intervals_csv(handle, results))
        write_text_atomic(folder / "summary.json", lambda handle: handle.write(to_json(summary) + "\n"))
    except OSError as err:
        raise InputError(f"cannot write to {folder}: {err.strerror or err}") from None


def write_intervals_csv(handle, results: list) -> None:
    """Every replication's per-interval table, with a ``replication`` column (0-based)."""
    writer = csv.writer(handle)
    header = None
    for i, result in enumerate(results):
        table = result.intervals(as_frame=False)
        if header is None:
            header = list(table.dtype.names)
            writer.writerow(["replication", *header])
        for row in table:
            writer.writerow([i, *(_csv_cell(row[name]) for name in header)])


def _csv_cell(value) -> str:
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


# ---------------------------------------------------------------- validate / schema
@cli.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(path_type=Path))
def validate(scenario_file: Path):
    """Check SCENARIO against the schema (nothing is simulated)."""
    scenario = load_scenario(scenario_file)
    n_types = len(scenario.call_types)
    n_agents = sum(g.count for g in scenario.agents)
    name = scenario.name or scenario_file.stem
    click.echo(f"ok: {name} ({n_types} call type{'s' if n_types != 1 else ''}, "
               f"{n_agents} agent{'s' if n_agents != 1 else ''})")


@cli.command()
def schema():
    """Print the JSON Schema of scenario files (for editors)."""
    click.echo(json.dumps(Scenario.model_json_schema(), indent=2))


# ---------------------------------------------------------------- erlang
@cli.group()
def erlang():
    """Steady-state queueing formulas (Erlang B, C, A) and staffing."""


def _traffic_options(func):
    options = (
        click.option("--rate", type=float, required=True, help="Arrival rate, calls per --per."),
        click.option("--per", type=click.Choice(list(PER_SECONDS)), default="second", show_default=True,
                     help="Time unit of --rate."),
        click.option("--aht", type=float, required=True, help="Mean handle time, seconds."),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table."),
    )
    for option in reversed(options):
        func = option(func)
    return func


_AGENTS = click.option("--agents", type=int, required=True, help="Number of agents.")
_THRESHOLD = click.option("--threshold", type=float, default=20.0, show_default=True,
                          help="Service-level threshold T, seconds.")
_PATIENCE = click.option("--patience", type=float, help="Mean patience, seconds (exponential).")


@contextlib.contextmanager
def _formula_input():
    """ccsim.analytic rejects bad numbers with ValueError: report them as input errors."""
    try:
        yield
    except ValueError as err:
        message = str(err)
        for name, option in _FORMULA_OPTIONS.items():
            if message.startswith(name + " "):
                message = option + message[len(name):]
                break
        raise InputError(message) from None


# ccsim.analytic's argument names -> the options they come from (rates are per second there)
_FORMULA_OPTIONS = {
    "agents": "--agents", "arrival_rate": "--rate", "mean_handle": "--aht", "mean_patience": "--patience",
    "threshold": "--threshold", "target_sl": "--target", "max_abandon": "--max-abandon",
}


def _per_second(rate: float, per: str) -> float:
    return rate / PER_SECONDS[per]


def _traffic_title(model: str, agents, rate: float, per: str, aht: float, extra: str = "") -> str:
    head = f"{model}: " + (f"{agents} agents, " if agents is not None else "")
    rate_text = f"{rate:g} calls/{per}" + (f" ({_per_second(rate, per):.4g} calls/s)" if per != "second" else "")
    return f"{head}{rate_text}, AHT {aht:g} s{extra}"


def _emit_formula(as_json: bool, payload: dict, heading: list, table) -> None:
    if as_json:
        click.echo(to_json(payload))
        return
    console = _stdout_console()
    for line in heading:
        console.print(line)
    console.print(table)


def _formula_payload(model: str, rate_s: float, aht: float, result, **inputs) -> dict:
    return {"model": model, "arrival_rate": rate_s, "aht": aht, **inputs, "load": rate_s * aht,
            "metrics": dataclasses.asdict(result)}


@erlang.command("b")
@_AGENTS
@_traffic_options
def erlang_b(agents, rate, per, aht, as_json):
    """Erlang B (M/M/c/c): callers finding every agent busy are lost."""
    rate_s = _per_second(rate, per)
    with _formula_input():
        result = analytic.erlang_b_metrics(agents, rate_s, aht)
    payload = _formula_payload("erlang_b", rate_s, aht, result, agents=agents)
    table = erlang_table(
        {"load": payload["load"], **payload["metrics"]}, None,
        skip=("p_wait", "p_abandon", "asa", "mean_wait_all", "mean_queue"),
        meanings={"service_level": "answered at once / offered (= 1 - P(blocked))"},
    )
    _emit_formula(as_json, payload, [_traffic_title("Erlang B (M/M/c/c)", agents, rate, per, aht)], table)


@erlang.command("c")
@_AGENTS
@_traffic_options
@_THRESHOLD
def erlang_c(agents, rate, per, aht, as_json, threshold):
    """Erlang C (M/M/c): callers wait as long as it takes."""
    rate_s = _per_second(rate, per)
    with _formula_input():
        result = analytic.erlang_c_metrics(agents, rate_s, aht, threshold)
    payload = _formula_payload("erlang_c", rate_s, aht, result, agents=agents, threshold=threshold)
    table = erlang_table({"load": payload["load"], **payload["metrics"]}, threshold,
                         skip=("p_block", "p_abandon"))
    title = _traffic_title("Erlang C (M/M/c)", agents, rate, per, aht, f", T = {threshold:g} s")
    _emit_formula(as_json, payload, [title], table)


@erlang.command("a")
@_AGENTS
@_traffic_options
@click.option("--patience", type=float, required=True, help="Mean patience, seconds (exponential).")
@_THRESHOLD
def erlang_a(agents, rate, per, aht, as_json, patience, threshold):
    """Erlang A (M/M/c+M): callers hang up after an exponential patience."""
    rate_s = _per_second(rate, per)
    with _formula_input():
        result = analytic.erlang_a_metrics(agents, rate_s, aht, patience, threshold)
    payload = _formula_payload("erlang_a", rate_s, aht, result, agents=agents, threshold=threshold,
                               patience=patience)
    title = _traffic_title("Erlang A (M/M/c+M)", agents, rate, per, aht,
                           f", patience {patience:g} s, T = {threshold:g} s")
    table = erlang_table({"load": payload["load"], **payload["metrics"]}, threshold, skip=("p_block",))
    _emit_formula(as_json, payload, [title], table)


@erlang.command("staff")
@_traffic_options
@_THRESHOLD
@click.option("--target", type=float, default=0.8, show_default=True,
              help="Service-level target, a fraction (answered within T / offered).")
@_PATIENCE
@click.option("--max-abandon", type=float, help="Highest abandon rate allowed, a fraction (needs --patience).")
def erlang_staff(rate, per, aht, as_json, threshold, target, patience, max_abandon):
    """Fewest agents meeting the service-level target (Erlang A with --patience, else Erlang C)."""
    if max_abandon is not None and patience is None:
        raise InputError("--max-abandon needs --patience: without abandonment (Erlang C) nobody abandons")
    rate_s = _per_second(rate, per)
    with _formula_input():
        if patience is None:
            model = "erlang_c"
            agents = analytic.staff_erlang_c(rate_s, aht, threshold, target)
            result = analytic.erlang_c_metrics(agents, rate_s, aht, threshold)
        else:
            model = "erlang_a"
            agents = analytic.staff_erlang_a(rate_s, aht, patience, threshold, target, max_abandon)
            result = analytic.erlang_a_metrics(agents, rate_s, aht, patience, threshold)
    payload = _formula_payload(model, rate_s, aht, result, threshold=threshold, target=target,
                               patience=patience, max_abandon=max_abandon, agents=agents)
    goal = f"service level >= {100 * target:g} % ({service_level_definition(threshold, 'offered')})"
    if max_abandon is not None:
        goal += f", abandon rate <= {100 * max_abandon:g} %"
    name = "Erlang A staffing" if patience is not None else "Erlang C staffing"
    extra = f", patience {patience:g} s" if patience is not None else ""
    heading = [_traffic_title(name, None, rate, per, aht, extra), f"goal: {goal}",
               f"agents needed: {agents}", f"with {agents} agents:"]
    table = erlang_table({"load": payload["load"], **payload["metrics"]}, threshold,
                         skip=("p_block",) + (("p_abandon",) if patience is None else ()))
    _emit_formula(as_json, payload, heading, table)


# ---------------------------------------------------------------- studies
from .cli_study import compare, report, sweep  # noqa: E402 - they use the helpers above

cli.add_command(compare)
cli.add_command(sweep)
cli.add_command(report)


if __name__ == "__main__":  # pragma: no cover
    main()
