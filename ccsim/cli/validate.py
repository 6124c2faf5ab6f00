"""``ccsim validate`` and ``ccsim schema``: check a scenario, export the format."""
from __future__ import annotations

from pathlib import Path

import click

from ..scenario import load_scenario  # here, not in the command: the models are built before gc.freeze


@click.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(path_type=Path))
@click.option("--show-shifts", is_flag=True, help="also print every group's shifts as YAML (the rosters "
                                                  "made from staffing included)")
def validate(scenario_file: Path, show_shifts: bool):
    """Check SCENARIO against the schema (nothing is simulated).

    Its checks: section too, as ccsim check reads it: each expectation's form, and the call
    type, team, window and KPI it names."""
    scenario = load_scenario(scenario_file)
    if scenario.checks is not None:
        check_expectations(scenario_file, scenario)
    n_types = len(scenario.call_types)
    n_agents = sum(g.size for g in scenario.agents)
    name = scenario.name or scenario_file.stem
    click.echo(f"ok: {name} ({n_types} call type{'s' if n_types != 1 else ''}, "
               f"{n_agents} agent{'s' if n_agents != 1 else ''})")
    if show_shifts:
        import yaml

        shifts = {g.name: [x.model_dump(exclude_none=True, exclude_defaults=True) for x in g.shifts]
                  for g in scenario.agents if g.shifts is not None}
        click.echo(yaml.safe_dump(shifts, sort_keys=False, allow_unicode=True).rstrip() if shifts
                   else "no group has shifts")


def check_expectations(scenario_file: Path, scenario) -> None:
    """The scenario's ``checks.expect`` as ``ccsim check`` reads them: each one's form, and
    whether the scenario has what it names (a call type, a team, a window, a KPI it can have);
    an ``ExpectationError`` names the line. A 'no worse than' needs a baseline: its form only."""
    from ..check.checks_file import scenario_checks
    from ..check.measures import Measure
    from ..compile import compile_scenario
    from ..scenario.loader import load_scenario_with_lines

    _, lines = load_scenario_with_lines(scenario_file)
    expectations = scenario_checks(scenario, str(scenario_file), lines)
    model = compile_scenario(scenario)
    for e in expectations:
        Measure(e, model, "the scenario", scenario)


@click.command()
def schema():
    """Print the JSON Schema of scenario files (for editors)."""
    import json

    from ..scenario import json_schema

    click.echo(json.dumps(json_schema(), indent=2))
