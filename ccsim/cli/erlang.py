"""``ccsim erlang b|c|a|staff``: steady-state queueing formulas and staffing.

``ccsim.analytic`` names its arguments (``arrival_rate``, ``mean_patience``);
here its ValueErrors are reworded to name the options they come from.
"""
from __future__ import annotations

import contextlib
import dataclasses

import click

from ..report_table import service_level_definition
from ..scenario.schema import PER_SECONDS
from .output import erlang_table, stdout_console
from .params import IntRange
from .status import InputError

MAX_AGENTS = 10_000_000  # ccsim.analytic's search limit; beyond it memory, not answers, runs out
MAX_LOAD = float(MAX_AGENTS)  # Erlangs: more traffic than the largest team the formulas size

# ccsim.analytic's argument names -> the options they come from (rates are per second there)
FORMULA_OPTIONS = {
    "agents": "--agents", "arrival_rate": "--rate", "mean_handle": "--aht", "mean_patience": "--patience",
    "threshold": "--threshold", "target_sl": "--sl-goal", "max_abandon": "--max-abandon",
}


@click.group()
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


_AGENTS = click.option("--agents", type=IntRange(1, MAX_AGENTS), required=True,
                       help=f"Number of agents (1 to {MAX_AGENTS:,}).")
_THRESHOLD = click.option("--threshold", type=float, default=20.0, show_default=True,
                          help="Service-level threshold T, seconds.")
_PATIENCE = click.option("--patience", type=float, help="Mean patience, seconds (exponential).")


@contextlib.contextmanager
def formula_input():
    """ccsim.analytic rejects bad numbers with ValueError: report them naming the option."""
    try:
        yield
    except ValueError as err:
        raise InputError(option_message(str(err))) from None


def option_message(message: str) -> str:
    """``message`` with ccsim.analytic's argument names replaced by the options."""
    if message.startswith("mean_patience = ") and "too long for this overload" in message:
        return (f"{message} (the traffic is far beyond the agents' capacity: check --rate, --per and "
                "--aht, or give a shorter --patience)")
    for name, option in FORMULA_OPTIONS.items():
        if message.startswith(name + " "):
            return option + message[len(name):]
    return message.replace("arrival_rate*mean_handle", "--rate x --aht")


def per_second(rate: float, per: str) -> float:
    return rate / PER_SECONDS[per]


def check_load(rate: float, per: str, aht: float) -> None:
    """Refuse traffic no formula can handle (overflow, or more than MAX_LOAD Erlangs), naming --rate."""
    rate_s = per_second(rate, per)
    load = rate_s * aht
    if rate_s > 0 and aht > 0 and not load <= MAX_LOAD:
        raise InputError(
            f"--rate {rate:g} calls/{per} with --aht {aht:g} s is an offered load of {load:g} Erl, beyond the "
            f"{MAX_LOAD:,.0f} Erl the formulas handle; check --rate (calls per --per) and --aht"
        )


def _traffic_title(model: str, agents, rate: float, per: str, aht: float, extra: str = "") -> str:
    head = f"{model}: " + (f"{agents:,} agents, " if agents is not None else "")
    rate_text = f"{rate:g} calls/{per}" + (f" ({per_second(rate, per):.4g} calls/s)" if per != "second" else "")
    return f"{head}{rate_text}, AHT {aht:g} s{extra}"


def _emit(as_json: bool, payload: dict, heading: list, table) -> None:
    if as_json:
        from ..jsonio import to_json

        click.echo(to_json(payload))
        return
    console = stdout_console()
    for line in heading:
        console.print(line)
    console.print(table)


def _payload(model: str, rate_s: float, aht: float, result, **inputs) -> dict:
    return {"model": model, "arrival_rate": rate_s, "aht": aht, **inputs, "load": rate_s * aht,
            "metrics": dataclasses.asdict(result)}


@erlang.command("b")
@_AGENTS
@_traffic_options
def erlang_b(agents, rate, per, aht, as_json):
    """Erlang B (M/M/c/c): callers finding every agent busy are lost."""
    from .. import analytic

    rate_s = per_second(rate, per)
    with formula_input():
        check_load(rate, per, aht)
        result = analytic.erlang_b_metrics(agents, rate_s, aht)
    payload = _payload("erlang_b", rate_s, aht, result, agents=agents)
    table = erlang_table(
        {"load": payload["load"], **payload["metrics"]}, None,
        skip=("p_wait", "p_abandon", "asa", "mean_wait_all", "mean_queue"),
        meanings={"service_level": "answered at once / offered (= 1 - P(blocked))"},
    )
    _emit(as_json, payload, [_traffic_title("Erlang B (M/M/c/c)", agents, rate, per, aht)], table)


@erlang.command("c")
@_AGENTS
@_traffic_options
@_THRESHOLD
def erlang_c(agents, rate, per, aht, as_json, threshold):
    """Erlang C (M/M/c): callers wait as long as it takes."""
    from .. import analytic

    rate_s = per_second(rate, per)
    with formula_input():
        check_load(rate, per, aht)
        result = analytic.erlang_c_metrics(agents, rate_s, aht, threshold)
    payload = _payload("erlang_c", rate_s, aht, result, agents=agents, threshold=threshold)
    table = erlang_table({"load": payload["load"], **payload["metrics"]}, threshold,
                         skip=("p_block", "p_abandon"))
    title = _traffic_title("Erlang C (M/M/c)", agents, rate, per, aht, f", T = {threshold:g} s")
    _emit(as_json, payload, [title], table)


@erlang.command("a")
@_AGENTS
@_traffic_options
@click.option("--patience", type=float, required=True, help="Mean patience, seconds (exponential).")
@_THRESHOLD
def erlang_a(agents, rate, per, aht, as_json, patience, threshold):
    """Erlang A (M/M/c+M): callers hang up after an exponential patience."""
    from .. import analytic

    rate_s = per_second(rate, per)
    with formula_input():
        check_load(rate, per, aht)
        result = analytic.erlang_a_metrics(agents, rate_s, aht, patience, threshold)
    payload = _payload("erlang_a", rate_s, aht, result, agents=agents, threshold=threshold, patience=patience)
    title = _traffic_title("Erlang A (M/M/c+M)", agents, rate, per, aht,
                           f", patience {patience:g} s, T = {threshold:g} s")
    table = erlang_table({"load": payload["load"], **payload["metrics"]}, threshold, skip=("p_block",))
    _emit(as_json, payload, [title], table)


@erlang.command("staff")
@_traffic_options
@_THRESHOLD
@click.option("--sl-goal", type=float, default=0.8, show_default=True,
              help="Service-level goal, a fraction between 0 and 1 (0.8 = 80 % answered within T / offered).")
@_PATIENCE
@click.option("--max-abandon", type=float, help="Highest abandon rate allowed, a fraction (needs --patience).")
def erlang_staff(rate, per, aht, as_json, threshold, sl_goal, patience, max_abandon):
    """Fewest agents meeting the service-level goal (Erlang A with --patience, else Erlang C)."""
    from .. import analytic

    if max_abandon is not None and patience is None:
        raise InputError("--max-abandon needs --patience: without abandonment (Erlang C) nobody abandons")
    rate_s = per_second(rate, per)
    with formula_input():
        check_load(rate, per, aht)
        if patience is None:
            model = "erlang_c"
            agents = analytic.staff_erlang_c(rate_s, aht, threshold, sl_goal)
            result = analytic.erlang_c_metrics(agents, rate_s, aht, threshold)
        else:
            model = "erlang_a"
            agents = analytic.staff_erlang_a(rate_s, aht, patience, threshold, sl_goal, max_abandon)
            result = analytic.erlang_a_metrics(agents, rate_s, aht, patience, threshold)
    payload = _payload(model, rate_s, aht, result, threshold=threshold, sl_goal=sl_goal,
                       patience=patience, max_abandon=max_abandon, agents=agents)
    goal = f"service level >= {100 * sl_goal:g} % ({service_level_definition(threshold, 'offered')})"
    if max_abandon is not None:
        goal += f", abandon rate <= {100 * max_abandon:g} %"
    name = "Erlang A staffing" if patience is not None else "Erlang C staffing"
    extra = f", patience {patience:g} s" if patience is not None else ""
    heading = [_traffic_title(name, None, rate, per, aht, extra), f"goal: {goal}",
               f"agents needed: {agents}", f"with {agents} agents:"]
    table = erlang_table({"load": payload["load"], **payload["metrics"]}, threshold,
                         skip=("p_block",) + (("p_abandon",) if patience is None else ()))
    _emit(as_json, payload, heading, table)
