"""``ccsim run``: simulate a scenario and report KPIs, per call type and per team.

Confidence intervals: Student t over replications; with one replication,
batch means within the run, but only when arrivals are stationary (see
``ccsim.diagnostics``). The results are printed (and ``--out`` written)
before the HTML report, so a failed report write loses no run.
"""
from __future__ import annotations

import math
from pathlib import Path

import click
import numpy as np

from ..engines import ENGINES
from ..report_table import format_value, is_finite, kpi_definitions
from ..results import ENTRY_FIELDS, KPI_NAMES, NODE_FIELDS, ci_cell, lost_call_rows, unfinished_note
from .output import (budget_options, check_distinct, check_folder_contents, check_output_path, estimate, kpi_table, make_folder,
                     note_replaced, progress_bar, show_progress, stdout_console, table, write_csv, write_json)
from .agent_views import agent_views_summary, has_teams, print_agent_views
from .params import IntRange
from .status import InputError

OUT_FILES = ("intervals.csv", "call_type_intervals.csv", "group_intervals.csv", "call_types.csv", "groups.csv",
             "summary.json")
# and, for a scenario with media, per channel (summary) and per (replication, interval, channel)
MEDIA_FILES = ("channels.csv", "channel_intervals.csv")
GROUP_COLUMNS = ("agents", "answered", "aht", "occupancy")
CHANNEL_COLUMNS = ("airings", "spend", "calls", "answered", "calls_per_1000_spend")
# KPIs of a call type shown in the terminal (all of them go to --json and --out), in KPI_NAMES order
CALL_TYPE_TABLE_KPIS = ("offered", "answered", "abandoned", "service_level", "asa", "abandon_rate", "aht")


@click.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(path_type=Path))
@click.option("--reps", type=IntRange(min=1), default=1, show_default=True,
              help="Replications (one: CIs from batch means within the run, if arrivals are stationary).")
@click.option("--seed", type=IntRange(min=0), default=1, show_default=True,
              help="Root seed; replication r uses child r of SeedSequence(seed) "
                   "(--reps 1 equals ccsim.simulate(SCENARIO, seed=SEED)).")
@click.option("--engine", type=click.Choice(sorted(ENGINES)), default="core", show_default=True,
              help="Cython core or the SimPy reference engine.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the tables.")
@click.option("--out", type=click.Path(path_type=Path),
              help="Folder for intervals.csv, call_types.csv, groups.csv and summary.json (created if needed).")
@click.option("--html", type=click.Path(path_type=Path), help="Write the HTML report here.")
@click.option("--agents", "top_agents", type=IntRange(min=0), default=0, show_default=True, metavar="N",
              help="Also show the N best agents by calls per staffed hour, and the team and squad tables.")
@click.option("--from-state", "state_file", type=click.Path(path_type=Path), metavar="STATE.yaml",
              help="Start from this state of the center (callers waiting, agents busy or away at a clock "
                   "time) and simulate the rest of the horizon; statistics start at the clock time.")
@budget_options
def run(scenario_file: Path, reps: int, seed: int, engine: str, as_json: bool, out, html, top_agents, max_calls,
        max_memory, state_file=None):
    """Simulate SCENARIO (a YAML file) and report KPIs with 95 % confidence intervals."""
    from ..api import replicate
    from ..diagnostics import instabilities
    from ..scenario import load_scenario

    scenario = load_scenario(scenario_file)
    state = None
    if state_file is not None:
        from ..state import load_state

        load_state(state_file)  # a bad state file fails now; replicate reads it again, naming it
        state = state_file
    inputs = [scenario_file] + ([(state_file, "start state")] if state_file is not None else [])
    if html is not None:  # every output checked before any is made
        check_output_path(html, "--html", inputs, page=True)
    if out is not None:
        check_output_path(out, "--out", inputs, folder=True)
        check_folder_contents(out, out_files(scenario), "--out", inputs)
    check_distinct([("--html", html)] + [(f"--out (file {name})", out / name)
                                         for name in (out_files(scenario) if out is not None else ())])
    if out is not None:
        make_folder(out, "--out")  # an unusable folder fails now, not after the run
    if html is not None or out is not None:  # what they build from the results counts too (after the replications)
        from ..budget import check_budget
        from ..compile import compile_scenario

        check_budget(compile_scenario(scenario), max_calls, max_memory, engine=engine, kept=reps, report=True)
    warnings = [w.message() for w in instabilities(scenario)]
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    with progress_bar(show_progress(as_json)) as progress:
        results = replicate(scenario, reps, seed=seed, engine=engine, progress=progress, max_calls=max_calls,
                            max_memory=max_memory, state=state)
    unfinished = unfinished_note(results)
    if unfinished is not None:
        click.echo(f"warning: {unfinished}", err=True)
        warnings.append(unfinished)
    summary = build_summary(scenario, scenario_file, results, reps, seed, engine, warnings, top_agents)
    if as_json:
        from ..jsonio import to_json

        click.echo(to_json(summary))
    else:
        print_run(scenario, summary, top_agents > 0, has_teams(results))
    if out is not None:
        write_outputs(out, results, summary)
        click.echo(f"wrote {', '.join(str(out / name) for name in out_files(scenario))}", err=True)
    if html is not None:
        note_replaced([html])
        write_run_report(html, scenario, scenario_file, results, seed, engine, summary["money"],
                         ci_sentence(summary))
        click.echo(f"wrote {html}", err=True)


def ci_sentence(summary: dict) -> str:
    """How the summary's confidence intervals were made (or why there are none), one sentence:
    the terminal's, and the HTML report's of the same run."""
    if summary["ci_method"] == "student_t_over_replications":
        return f"95 % CI: Student t over {summary['reps']} replications."
    if summary["ci_method"] == "none":
        return f"No CI: {summary['ci_note']}."
    if all(not is_finite(row["ci_halfwidth"]) for row in summary["kpis"].values()):
        return "One replication, too few post-warm-up intervals for batch means: no CI (use --reps 2 or more)."
    return "One replication: 95 % CIs from batch means of the post-warm-up intervals within the run."


# ---------------------------------------------------------------- the summary
def build_summary(scenario, scenario_file, results: list, reps: int, seed: int, engine: str,
                  warnings=(), top_agents: int = 0) -> dict:
    """The object printed by ``--json`` and written to summary.json."""
    from ..diagnostics import NONSTATIONARY_NOTE, stationary_arrivals
    from ..results import summarize

    kpis = summarize(results)  # (one replication of varying arrivals: no half-widths, NaN -> null in JSON)
    if reps > 1:
        method, note = "student_t_over_replications", ""
    elif stationary_arrivals(scenario):
        method, note = "batch_means_within_run", ""
    else:
        method, note = "none", NONSTATIONARY_NOTE
    call_types = call_type_summary(results)
    return {
        "engine": engine,
        "reps": reps,
        "seed": seed,
        "scenario": scenario.name or Path(scenario_file).stem,
        "scenario_file": str(scenario_file),
        "calls_simulated": int(sum(r.calls_simulated for r in results)),
        "wall_seconds": float(sum(r.wall_seconds for r in results)),
        "ci_method": method,
        "ci_note": note,
        "definitions": kpi_definitions(scenario),
        "kpis": kpis,
        "call_types": call_types,
        "groups": group_summary(results),
        "lost_calls": lost_call_summary(results),
        "entries": _table_summary(results, "entry_names", "total_entries", ENTRY_FIELDS),
        "ivr_nodes": _table_summary(results, "node_names", "node_totals", NODE_FIELDS),
        "service_level_goals": service_level_goals(scenario, results, call_types),
        "service_level_thresholds": {c.name: float(t) for c, t in
                                     zip(scenario.call_types, results[0].model.type_thresholds())},
        "service_levels": service_level_summary(results, with_ci=method != "none"),
        "channels": channel_summary(results) if scenario.media is not None else {},
        "money": money_summary(results),
        "agent_views": agent_views_summary(results, top_agents),
        "warnings": list(warnings),
    }


def money_summary(results: list) -> dict:
    """``ccsim.money.money_report`` when the scenario has a sales funnel or costs, else {}."""
    from ..money import has_money, money_report

    return money_report(results) if has_money(results[0]) else {}


def call_type_summary(results: list) -> dict:
    """{call type: {kpi: {mean, ci_halfwidth}}} across replications."""
    per_rep = [r.kpis_by_call_type() for r in results]
    names = list(per_rep[0])
    return {name: {k: ci_cell([rep[name][k] for rep in per_rep]) for k in KPI_NAMES} for name in names}


def lost_call_summary(results: list) -> dict:
    """{item: {mean, ci_halfwidth}} of ``Result.lost_calls()`` across replications."""
    per_rep = [r.lost_calls() for r in results]
    return {k: ci_cell([rep[k] for rep in per_rep]) for k in per_rep[0]}


def _table_summary(results: list, names: str, array: str, columns) -> dict:
    """{row: {column: {mean, ci_halfwidth}}} of a per-entry or per-node totals array across
    replications (numpy only: a small run imports no pandas)."""
    rows = getattr(results[0].model, names)
    values = np.stack([getattr(r.stats, array) for r in results])  # [rep, row, column]
    return {row: {col: ci_cell(values[:, i, j]) for j, col in enumerate(columns)}
            for i, row in enumerate(rows)}


def group_summary(results: list) -> dict:
    """{group: {agents, answered, aht, occupancy: {mean, ci_halfwidth}}} across replications."""
    per_rep = [r.group_table() for r in results]
    return {name: {k: ci_cell([rep[name][k] for rep in per_rep]) for k in GROUP_COLUMNS}
            for name in per_rep[0]}


def channel_summary(results: list) -> dict:
    """{channel (organic first): {airings, spend, calls (unique callers), answered (callers served):
    {mean, ci_halfwidth}, calls_per_1000_spend: {mean, ci_halfwidth}}} across replications, callers
    whose first ring came after the warm-up."""
    tables = [r.channel_rows() for r in results]
    columns = {"calls": "callers", "answered": "served", "calls_per_1000_spend": "calls_per_1000_spend"}
    out = {}
    for name, row in tables[0].items():
        out[name] = {"airings": None if math.isnan(row["airings"]) else int(row["airings"]),
                     "spend": None if math.isnan(row["spend"]) else float(row["spend"])}
        out[name].update({key: ci_cell([t[name][column] for t in tables]) for key, column in columns.items()})
    return out


def service_level_goals(scenario, results: list, call_types: dict) -> dict:
    """Per call type with a goal: the goal, the estimate, met / not met / undecided,
    and the share of post-warm-up intervals (with calls offered) meeting it."""
    from ..goals import decide, goal_of

    goals = {}
    for call_type in scenario.call_types:
        goal = goal_of(scenario, call_type.name)
        if goal is None:
            continue
        row = call_types[call_type.name]["service_level"]
        verdict, reason = decide(row["mean"], row["ci_halfwidth"], goal)
        goals[call_type.name] = {
            "goal": goal, "mean": row["mean"], "ci_halfwidth": row["ci_halfwidth"],
            "verdict": f"{verdict}: {reason}" if reason else verdict,
            "intervals_meeting": _interval_share(results, call_type.name),
        }
    return goals


def service_level_summary(results: list, with_ci: bool = True) -> dict:
    """{call type (then "all"): {threshold in s (a string key): {mean, ci_halfwidth}}} at each
    of ``service_level.thresholds`` (``results.service_level_estimates``; no pandas); {} without them."""
    if not results or not len(results[0].model.sl_thresholds):
        return {}  # no extra thresholds: nothing to tabulate
    from ..results import ALL_TYPES, service_level_estimates

    model = results[0].model
    mean, half = service_level_estimates(results)
    out = {}
    for i, name in enumerate([*model.call_type_names, ALL_TYPES]):
        for j, threshold in enumerate(model.sl_thresholds):
            out.setdefault(name, {})[f"{float(threshold):g}"] = {
                "mean": float(mean[i, j]), "ci_halfwidth": float(half[i, j]) if with_ci else None}
    return out


def _interval_share(results: list, call_type: str) -> float:
    """Share of post-warm-up intervals, pooled over replications, meeting the call
    type's goal (``Result.attainment_rows``; intervals with no call left out)."""
    rows = [r.attainment_rows()[call_type] for r in results]
    judged = sum(int(row["intervals"]) for row in rows)
    return sum(int(row["met"]) for row in rows) / judged if judged else math.nan


# ---------------------------------------------------------------- the terminal
def print_run(scenario, summary: dict, show_agents: bool = False, show_teams: bool = False) -> None:
    console = stdout_console()
    reps = summary["reps"]
    title = (f"{summary['scenario']}: {summary['engine']} engine, "
             f"{reps} replication{'s' if reps > 1 else ''}, seed {summary['seed']}")
    console.print(kpi_table(summary["kpis"], summary["definitions"], title=title))
    console.print(ci_sentence(summary))
    console.print(f"Totals over calls arriving after the warm-up ({scenario.warmup:g} s); a call counts "
                  "in the interval it arrived in.")
    _print_call_types(console, summary)
    _print_groups(console, summary)
    print_agent_views(console, summary, show_agents, show_teams)
    _print_lost_calls(console, summary, scenario)
    _print_channels(console, summary)
    _print_money(console, summary)
    _print_goals(console, summary)
    calls, wall = summary["calls_simulated"], summary["wall_seconds"]
    speed = f"{calls / wall:,.0f} calls/s" if wall > 0 else "n/a calls/s"
    console.print(f"calls simulated: {calls:,} (warm-up included) · engine wall time {wall:.3f} s · {speed}")


def _ci_title(summary: dict) -> str:
    return "mean ± 95 % CI over replications" if summary["reps"] > 1 else "one replication, no CI"


def _print_call_types(console, summary: dict) -> None:
    names = list(summary["call_types"])
    console.print(f"Per call type ({_ci_title(summary)}):")
    out = table("", ("KPI", *names), right=names)
    thresholds = summary["service_level_thresholds"]
    for kpi in CALL_TYPE_TABLE_KPIS:
        out.add_row(kpi, *(estimate(kpi, **summary["call_types"][n][kpi]) for n in names))
        if kpi == "service_level":
            out.add_row("  within (s)", *(f"{thresholds[n]:g} s" for n in names))
    console.print(out)
    _print_service_levels(console, summary)


def _print_service_levels(console, summary: dict) -> None:
    """Service level of each call type (and all together) at each of service_level.thresholds."""
    levels = summary["service_levels"]
    if not levels:
        return
    thresholds = list(next(iter(levels.values())))
    columns = tuple(f"within {t} s" for t in thresholds)
    console.print(f"Service level at several thresholds ({_ci_title(summary)}):")
    out = table("", ("call type", *columns), right=columns)
    for name, row in levels.items():
        out.add_row(name, *(estimate("service_level", **row[t]) for t in thresholds))
    console.print(out)


def _print_groups(console, summary: dict) -> None:
    console.print(f"Per agent group ({_ci_title(summary)}):")
    out = table("", ("group", *GROUP_COLUMNS), right=GROUP_COLUMNS)
    for name, row in summary["groups"].items():
        out.add_row(name, format_value("agents", row["agents"]["mean"]),
                    *(estimate(k, **row[k]) for k in GROUP_COLUMNS[1:]))
    console.print(out)


LOST_ROWS = (  # (summary key, label): attempts, then callers
    ("attempts", "attempts (first and retrials)"), ("first_attempts", "  first attempts"),
    ("retrials", "  retrials"), ("blocked_lines", "blocked: all lines busy"),
    ("blocked_queue_full", "blocked: queue full"), ("abandoned", "abandoned in a queue"),
    ("lost", "lost calls (blocked + abandoned)"), ("ivr_hung_up", "hung up in the IVR (patience)"),
    ("ivr_hang_up", "IVR branch 'hang up'"), ("self_service", "self-served in the IVR"),
    ("voicemail", "voicemail"), ("answered", "answered"), ("closed", "rang while closed (message, voicemail or forward)"),
    ("voicemail_callbacks", "voicemails to call back"), ("callbacks_requested", "callbacks requested"),
    ("callbacks_done", "  called back (answered)"), ("callbacks_failed", "  callbacks failed"),
    ("callback_mean_delay", "  mean delay, request to call back"),
    ("callers", "callers (unique)"), ("callers_served", "  served"), ("callers_lost", "  lost for good"),
    ("callers_retry_after_horizon", "  would retry after the horizon"),
)


def _print_lost_calls(console, summary: dict, scenario=None) -> None:
    """The lost-call table, when anything was lost: the rows the scenario's features allow, and
    any other row that is not 0 (a feature missed here must not hide a count)."""
    lost = summary["lost_calls"]
    if not any(lost[k]["mean"] for k in ("blocked_lines", "blocked_queue_full", "abandoned", "ivr_hung_up",
                                         "ivr_hang_up", "retrials", "voicemail", "self_service", "closed",
                                         "callbacks_requested")):
        return
    if scenario is not None:
        from ..scenario import scenario_to_dict

        shown = lost_call_rows(scenario_to_dict(scenario))
    else:
        shown = {key for key, _ in LOST_ROWS}
    console.print(f"Lost calls ({_ci_title(summary)}):")
    out = table("", ("", "calls", "share of attempts"), right=("calls", "share of attempts"))
    attempts = lost["attempts"]["mean"]
    for key, label in LOST_ROWS:
        row = lost[key]
        if key not in shown and (key == "first_attempts" or not (is_finite(row["mean"]) and row["mean"] != 0)):
            continue  # (without retrials, first attempts are the attempts)
        if key == "attempts" and "retrials" not in shown and not lost["retrials"]["mean"]:
            label = "attempts"
        if key.endswith("_delay"):  # seconds, not calls
            if is_finite(row["mean"]):
                out.add_row(label, estimate("asa", row["mean"], row["ci_halfwidth"]), "")
            continue
        share = row["mean"] / attempts if attempts and not key.startswith("callers") else math.nan
        out.add_row(label, estimate("arrivals", row["mean"], row["ci_halfwidth"]),
                    "" if not is_finite(share) else f"{100 * share:.2f} %")
    console.print(out)


# the headers of the terminal's table of callers by media channel (named in the README; the
# --out file's columns are CHANNEL_COLUMNS)
CHANNEL_HEADERS = ("channel", "airings", "spend", "callers", "served", "callers per 1,000 spend")


def _print_channels(console, summary: dict) -> None:
    channels = summary.get("channels")
    if not channels:
        return
    columns = CHANNEL_HEADERS
    console.print(f"Callers by media channel ({_ci_title(summary)}; organic = the base arrival profiles; "
                  "each caller once, retrials included):")
    out = table("", columns, right=columns[1:])
    for name, row in channels.items():
        out.add_row(name, "" if row["airings"] is None else f"{row['airings']:,}",
                    "" if row["spend"] is None else f"{row['spend']:,.0f}",
                    estimate("arrivals", **row["calls"]), estimate("answered", **row["answered"]),
                    "" if row["spend"] is None else _per_thousand(row["calls_per_1000_spend"]))
    console.print(out)


FUNNEL_ROWS = (  # (funnel field, label): the stages of an order, then the money
    ("sales_answered", "answered sales calls"), ("orders", "orders"), ("cross_sells", "  with a cross-sell"),
    ("verified", "verified"), ("cancelled_by_customer", "  cancelled by the customer"),
    ("cancelled_unreached", "  cancelled, customer unreached"), ("pending_verification", "  pending verification"),
    ("shipped", "shipped"), ("signed", "signed for"), ("refused", "refused"), ("in_transit", "  in transit"),
    ("returned", "  returned to the warehouse"), ("collected", "collected"),
)
MONEY_ROWS = ("conversion", "cross_sell_rate", "verification_rate", "sign_for_rate", "gross_sales",
              "collected_revenue", "total_cost", "cost_per_order", "revenue_per_agent_hour", "roi", "profit",
              "lost_sales_calls", "lost_revenue")


def _money(cell: dict, digits: int = 0) -> str:
    if not is_finite(cell["mean"]):
        return "n/a"
    half = f" ± {cell['ci_halfwidth']:,.{digits}f}" if is_finite(cell["ci_halfwidth"]) else ""
    return f"{cell['mean']:,.{digits}f}{half}"


def _percent(cell: dict) -> str:
    """A money fraction (conversion, ...) as the other rates read: % with a half-width in pp."""
    if not is_finite(cell["mean"]):
        return "n/a"
    half = f" ± {100 * cell['ci_halfwidth']:.1f} pp" if is_finite(cell["ci_halfwidth"]) else ""
    return f"{100 * cell['mean']:.1f} %{half}"


def _print_money(console, summary: dict) -> None:
    """The funnel (stages, money KPIs and costs) and the ROI per channel, when there is money."""
    money = summary.get("money")
    if not money:
        return
    funnel = money["funnel"]
    if funnel["sales_answered"]["mean"]:
        console.print(f"Sales funnel ({_ci_title(summary)}; orders of calls after the warm-up, by the state "
                      "they reached at the cut):")
        out = table("", ("stage", "orders", "share of orders"), right=("orders", "share of orders"))
        orders = funnel["orders"]["mean"]
        for key, label in FUNNEL_ROWS:
            share = funnel[key]["mean"] / orders if orders and key != "sales_answered" else math.nan
            out.add_row(label, _money(funnel[key]), f"{100 * share:.1f} %" if is_finite(share) else "")
        console.print(out)
    from ..money import COST_ITEMS, MONEY_FRACTIONS

    console.print(f"Money ({_ci_title(summary)}; definitions: docs/reference/kpis.md, or --json):")
    out = table("", ("KPI", "value"), right=("value",))
    for key in MONEY_ROWS:
        cell = money["kpis"][key]
        out.add_row(key, _percent(cell) if key in MONEY_FRACTIONS else _money(cell, 3 if key == "roi" else 0))
    for key in COST_ITEMS:
        out.add_row(f"  cost: {key}", _money(money["costs"][key]))
    console.print(out)
    if len(money["channels"]) > 1:
        columns = ("channel", "callers", "orders", "conversion", "collected revenue", "spend", "ROAS")
        console.print(f"ROI per ad channel ({_ci_title(summary)}; ROAS = collected revenue / spend):")
        out = table("", columns, right=columns[1:])
        for row in money["channels"]:
            out.add_row(row["channel"], _money(row["callers"]), _money(row["orders"]),
                        _percent(row["conversion"]), _money(row["collected_revenue"]),
                        _money(row["spend"]) if is_finite(row["spend"]["mean"]) else "",
                        _money(row["roas"], 2) if is_finite(row["roas"]["mean"]) else "")
        console.print(out)


def _per_thousand(cell: dict) -> str:
    if not is_finite(cell["mean"]):
        return "n/a"
    half = f" ± {cell['ci_halfwidth']:.2f}" if is_finite(cell["ci_halfwidth"]) else ""
    return f"{cell['mean']:.2f}{half}"


def _print_goals(console, summary: dict) -> None:
    goals = summary["service_level_goals"]
    if not goals:
        return
    columns = ("call type", "goal", "service level", "verdict", "intervals meeting it")
    console.print("Service-level goals (met: the whole 95 % CI at or above the goal):")
    out = table("", columns, right=("goal", "service level", "intervals meeting it"))
    for name, row in goals.items():
        share = row["intervals_meeting"]
        out.add_row(name, format_value("service_level", row["goal"]),
                    estimate("service_level", row["mean"], row["ci_halfwidth"]), row["verdict"],
                    "n/a" if not is_finite(share) else f"{100 * share:.1f} %")
    console.print(out)


# ---------------------------------------------------------------- files
def out_files(scenario) -> tuple:
    """The files ``--out`` writes for ``scenario``."""
    return OUT_FILES + (MEDIA_FILES if scenario.media is not None else ())


def write_outputs(folder: Path, results: list, summary: dict) -> None:
    """The per-interval tables (all, by call type, by group; by channel with media), the
    per-call-type, per-group (and per-channel) summaries and summary.json, each written atomically."""
    frames = {
        "intervals.csv": intervals_frame(results),
        "call_type_intervals.csv": intervals_frame(results, by="call_type"),
        "group_intervals.csv": intervals_frame(results, by="group"),
        "call_types.csv": _wide(summary["call_types"], "call_type", KPI_NAMES, summary["reps"]),
        "groups.csv": _wide(summary["groups"], "group", GROUP_COLUMNS, summary["reps"]),
    }
    if summary["channels"]:
        frames["channels.csv"] = _wide(summary["channels"], "channel", CHANNEL_COLUMNS, summary["reps"])
        frames["channel_intervals.csv"] = intervals_frame(results, by="channel")
    note_replaced(folder / name for name in (*frames, "summary.json"))
    for name, frame in frames.items():
        write_csv(folder / name, frame, "--out")
    write_json(folder / "summary.json", summary, "--out")


def intervals_frame(results: list, by=None):
    """Every replication's per-interval table (``Result.intervals(by)``), with a
    ``replication`` column (0-based) first."""
    import pandas as pd

    frames = []
    for i, result in enumerate(results):
        frame = result.intervals(by=by)
        frame.insert(0, "replication", i)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _wide(rows: dict, key: str, columns, reps: int):
    """One row per call type (or group, or channel): reps, then each column's mean and
    ci_halfwidth (a plain value, such as a channel's spend, has no CI column)."""
    import pandas as pd

    records = []
    for name, values in rows.items():
        record = {key: name, "reps": reps}
        for column in columns:
            if not isinstance(values[column], dict):
                record[column] = values[column]
                continue
            record[column] = values[column]["mean"]
            record[f"{column}_ci_halfwidth"] = values[column]["ci_halfwidth"]
        records.append(record)
    return pd.DataFrame(records)


def write_run_report(path: Path, scenario, scenario_file, results: list, seed: int, engine: str,
                     money=None, ci_note: str = "") -> None:
    from ..experiment.records import Point, StudyData, record_from_result
    from ..report import write_html
    from ..results import summarize
    from ..scenario import scenario_to_dict

    label = Path(scenario_file).name
    point = Point(0, label, {}, scenario_to_dict(scenario))
    records = [record_from_result(0, rep, (rep,), r) for rep, r in enumerate(results)]
    batch = summarize(results) if len(results) == 1 else None  # the terminal's batch-means intervals
    data = StudyData(name=scenario.name or Path(scenario_file).stem, kind="run", seed=seed, crn=True,
                     engine=engine, points=[point], records=records, batch_means=batch,
                     batch_note=ci_note if batch is not None else "")
    try:
        write_html(data, path, money=money if money is not None else money_summary(results))
    except OSError as err:  # a WriteError naming the path and what to do
        raise InputError(f"--html: {err}; the results above are complete (and --out, if given, was "
                         "written)") from None
