"""``ccsim replay`` and ``ccsim validate-fit``: a call log against a (fitted) scenario, hour by hour.

``replay`` runs each day of LOG with its own queue arrivals (times, call types, priorities)
and that day's staffing (``--staffing``: the agents available, as ``ccsim fit`` staffs the
model, or the agents seen serving) through the scenario (patience from it; handle times
recorded or the model's); ``validate-fit`` simulates the scenario itself over the log's days.
Both print observed vs simulated service level, ASA, abandonment and occupancy per hour of the
day (``ccsim.calllog.compare``; the log's occupancy against the same staffing estimate),
flag the hours outside the simulated 95 % interval, and optionally write the table as HTML.
"""
from __future__ import annotations

from pathlib import Path

import click

from .fit import _Seconds
from .output import check_output_path, input_file
from .params import IntRange


def _load(log_file: Path, mapping_spec: str, scenario_file: Path):
    """(log, fitted scenario as plain data) — errors are UserErrors naming the file."""
    from ..calllog import read_log
    from ..errors import UserError
    from ..scenario import load_scenario
    from ..scenario.yaml_reader import read_yaml

    load_scenario(scenario_file)  # refuses a bad scenario with its field path
    try:
        data, _ = read_yaml(scenario_file.read_text(encoding="utf-8"), str(scenario_file))
    except OSError as err:
        raise UserError(f"scenario {scenario_file}: {err.strerror}") from None
    log = read_log(log_file, mapping_spec)
    if not len(log.calls):  # (its days, 0, would become the run's horizon: "horizon 0" of the scenario)
        raise UserError(f"log {log_file}: no call to compare with ({log.rows:,} rows, {len(log.excluded):,} "
                        "excluded)")
    return log, data


def _finish(comparison, title, html, **paths):
    from ..calllog.compare import html_table, text_table
    from ..files import write_page

    click.echo(text_table(comparison, title))
    if html is not None:
        write_page(html, html_table(comparison, title))
        click.echo(f"report written: {html}")


_common = [
    click.argument("log_file", metavar="LOG", type=click.Path(path_type=Path)),
    click.option("--mapping", "mapping_spec", required=True, metavar="M",
                 help="Column mapping: a YAML file, or the name of a shipped one (bank)."),
    click.option("--scenario", "scenario_file", required=True, type=click.Path(path_type=Path),
                 help="The (fitted) scenario: its call types, patience, handle times, service-level threshold."),
    click.option("--reps", type=IntRange(min=2), default=10, show_default=True, help="Replications."),
    click.option("--seed", type=IntRange(min=0), default=1, show_default=True, help="Root seed."),
    click.option("--html", type=click.Path(path_type=Path), help="Also write the table as HTML here."),
    click.option("--idle-cap", type=_Seconds(), default=600.0, show_default=True,
                 help="Agents available: an idle gap between two calls counts up to this many seconds "
                      "(as in ccsim fit)."),
]


def common(f):
    for decorator in reversed(_common):
        f = decorator(f)
    return f


@click.command()
@common
@click.option("--service", type=click.Choice(("recorded", "model")), default="recorded", show_default=True,
              help="Handle times: the day's recorded ones of each call type (empirical), or the scenario's.")
@click.option("--staffing", type=click.Choice(("available", "seen")), default="available", show_default=True,
              help="Agents on duty in the replay (and the log's staffed time for occupancy): the agents "
                   "available (busy + short idle gaps with no call waiting: the fitted model's staffing) "
                   "or the distinct agents seen serving in each slot.")
def replay(log_file, mapping_spec, scenario_file, reps, seed, html, idle_cap, service, staffing):
    """Replay LOG's own calls, day by day, through --scenario with the staffing estimated from LOG."""
    from ..calllog.validate import replay_log

    if html is not None:
        check_output_path(html, "--html", inputs=(log_file, scenario_file, *input_file(mapping_spec)), what="input",
                          page=True)
    log, fitted = _load(log_file, mapping_spec, scenario_file)
    comparison, days = replay_log(log, fitted, service, reps, seed, source=str(scenario_file), staffing=staffing,
                                  idle_cap=idle_cap)
    hung = int((log.calls["outcome"] == "ivr_abandoned").sum())
    click.echo(f"replayed {len(days)} days of {log.source} ({service} service times, agents {staffing}; "
               f"{hung} IVR hang-ups not replayed: they never reached the queue)")
    _finish(comparison, f"ccsim replay: {log_file.name} through {scenario_file.name}", html)


@click.command("validate-fit")
@common
@click.option("--staffing", type=click.Choice(("available", "seen")), default="available", show_default=True,
              help="The log's staffed time for its occupancy: the agents available (what ccsim fit staffs "
                   "the model with) or the distinct agents seen serving in each slot.")
def validate_fit(log_file, mapping_spec, scenario_file, reps, seed, html, idle_cap, staffing):
    """Simulate --scenario over LOG's days and compare its KPIs per hour with LOG's."""
    from ..calllog.validate import validate_fit as run

    if html is not None:
        check_output_path(html, "--html", inputs=(log_file, scenario_file, *input_file(mapping_spec)), what="input",
                          page=True)
    log, fitted = _load(log_file, mapping_spec, scenario_file)
    comparison = run(log, fitted, reps, seed, source=str(scenario_file), staffing=staffing, idle_cap=idle_cap)
    click.echo(f"simulated {scenario_file.name} over the {log.days} days of {log.source}")
    _finish(comparison, f"ccsim validate-fit: {scenario_file.name} against {log_file.name}", html)
