"""``ccsim state``: the state of the center in a call log at an instant, written as a state file
for ``ccsim run --from-state`` and ``ccsim compare --from-state``."""
from __future__ import annotations

from pathlib import Path

import click

from .output import check_output_path


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
    from ..state.from_log import instant, scenario_clock, state_at
    from ..state.schema import validate_state
    from ..state.start import with_state

    check_output_path(out, "-o", [log_file, scenario_file])
    scenario = load_scenario(scenario_file)
    log = read_log(log_file, mapping_spec)
    groups_of = {c.name: routing_order(scenario, c)[0] for c in scenario.call_types}
    t = instant(log, at)
    data = state_at(log, t, groups_of, scenario_clock(log, t, scenario))
    model = compile_scenario(scenario)
    _check_staffed(model, data, at, scenario_file)
    with_state(model, validate_state(data, str(out)), f"{out} (from {log_file} at {at})")
    text = dump_yaml(data)
    write_text_atomic(out, lambda f: f.write(text))
    click.echo(f"wrote {out}: {len(data['waiting'])} callers waiting, {len(data['busy'])} agents busy", err=True)


def _check_staffed(model, data: dict, at: str, scenario_file: Path) -> None:
    """More agents busy in the log at ``at`` than the scenario has on duty at the state's clock
    is an error in the log's terms (the state file it would have been is not the user's)."""
    from collections import Counter

    from ..errors import UserError
    from ..state.start import agents_on_duty

    busy = Counter(entry["group"] for entry in data["busy"])
    on_duty = agents_on_duty(model, data["clock"])
    for g, name in enumerate(model.group_names):
        first, n = int(model.group_start[g]), int(model.group_count[g])
        staffed = int(on_duty[first:first + n].sum())
        if busy[name] > staffed:
            day, rest = divmod(int(data["clock"]), 86400)
            raise UserError(
                f"--at {at}: the log has {busy[name]} agents busy on calls that group '{name}' serves, but "
                f"{scenario_file} has only {staffed} of its {n} agents on duty at that time (day {day + 1} of its "
                f"week, {rest // 3600:02d}:{rest % 3600 // 60:02d}). A state cannot have more agents busy than on "
                "duty: staff the scenario for that day and time (a fitted scenario's staffing is a mean over "
                "like days, which a busy day exceeds), or take another instant")
