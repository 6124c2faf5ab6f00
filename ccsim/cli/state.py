"""``ccsim state``: the state of the center in a call log at an instant, written as a state file
for ``ccsim run --from-state`` and ``ccsim compare --from-state``."""
from __future__ import annotations

from pathlib import Path

import click

from .output import check_output_path, input_file


@click.command("state")
@click.argument("log_file", metavar="LOG", type=click.Path(path_type=Path))
@click.option("--mapping", "mapping_spec", required=True, metavar="M",
              help="Column mapping: a YAML file, or the name of a shipped one (bank).")
@click.option("--at", "at", required=True, metavar="TIME", help='The instant, e.g. "1999-02-11 14:00".')
@click.option("--scenario", "scenario_file", required=True, type=click.Path(path_type=Path),
              help="The scenario the state is for (its groups take the busy agents; the state is checked "
                   "against it before it is written).")
@click.option("-o", "--out", "out", required=True, type=click.Path(path_type=Path), help="The state file to write.")
def state(log_file, mapping_spec, at, scenario_file, out):
    """Write the state of LOG at TIME: callers in queue and agents in service then. The state's
    clock is TIME's weekday and time of day in the scenario's week (its day 1 is the weekday of
    its time 0: hours.start_weekday, else Monday), or TIME's time of day on day 1 when the
    horizon is shorter."""
    from ..calllog import read_log
    from ..compile import compile_scenario
    from ..files import write_text_atomic
    from ..scenario import load_scenario
    from ..scenario.schema import routing_order
    from ..scenario.yaml_reader import dump_yaml
    from ..state.from_log import check_staffed, instant, scenario_clock, state_at
    from ..state.schema import validate_state
    from ..state.start import with_state

    check_output_path(out, "-o", [(log_file, "call log"), (scenario_file, "input scenario"), *input_file(mapping_spec)],
                      what="mapping")
    scenario = load_scenario(scenario_file)
    log = read_log(log_file, mapping_spec)
    groups_of = {c.name: routing_order(scenario, c)[0] for c in scenario.call_types}
    t = instant(log, at)
    data = state_at(log, t, groups_of, scenario_clock(log, t, scenario))
    model = compile_scenario(scenario)
    check_staffed(model, data, at, scenario_file)
    with_state(model, validate_state(data, str(out)), f"{out} (from {log_file} at {at})")
    text = dump_yaml(data)
    write_text_atomic(out, lambda f: f.write(text))
    click.echo(f"wrote {out}: {len(data['waiting'])} callers waiting, {len(data['busy'])} agents busy", err=True)

