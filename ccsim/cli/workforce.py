"""``ccsim workforce``: run a scenario's ``workforce:`` section (periods and policies).

Replication r runs with the same seed as ``ccsim run``'s replication r (the same callers), the
policies built afresh. Prints the per-period report (mean over replications, ± the 95 % Student-t
half-width with 2 or more), the rate of wrong eliminations over the run and the ledger of people;
``--json`` prints it as one JSON object with every replication's rows; ``--html`` writes the report
of the replications pooled (each KPI's mean and 95 % CI per period, the rate of wrong eliminations;
the trajectories and leaderboards of one replication, ``--html-rep``), the same cells as --json.
"""
from __future__ import annotations

import math
from pathlib import Path

import click

from ..engines import ENGINES
from ..errors import UserError
from ..workforce.pooled import pooled_periods, pooled_run
from .output import budget_options, check_output_path, note_replaced, stdout_console, table
from .params import IntRange

# Per-period columns, two tables: (row key, label, format of the mean).
PEOPLE = (("headcount", "headcount", "{:,.1f}"), ("hired", "hired", "{:,.1f}"), ("eliminated", "elim.", "{:,.1f}"),
          ("quit", "quit", "{:,.1f}"), ("promoted", "prom.", "{:,.1f}"), ("turnover", "turnover", "pct"),
          ("wrong_eliminations", "wrong elim.", "{:,.1f}"))
RESULTS = (("true_mean_conversion", "true conv.", "pct"), ("observed_conversion", "observed conv.", "pct"),
           ("service_level", "service level", "pct"), ("revenue", "revenue", "{:,.0f}"),
           ("collected", "collected", "{:,.0f}"), ("cost", "cost", "{:,.0f}"), ("profit", "profit", "{:,.0f}"))
COLUMNS = PEOPLE + RESULTS


@click.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(path_type=Path))
@click.option("--reps", type=IntRange(min=1), default=1, show_default=True, help="Replications.")
@click.option("--seed", type=IntRange(min=0), default=1, show_default=True,
              help="Root seed (replication r gets the same callers as in ccsim run).")
@click.option("--engine", type=click.Choice(sorted(ENGINES)), default="core", show_default=True,
              help="Simulation engine.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the tables.")
@click.option("--html", type=click.Path(path_type=Path),
              help="Write the HTML report of the replications pooled (mean and 95 % CI per period) here.")
@click.option("--html-rep", type=IntRange(min=1), default=1, show_default=True,
              help="The replication whose trajectories and leaderboards the --html report shows.")
@budget_options
def workforce(scenario_file: Path, reps: int, seed: int, engine: str, as_json: bool, html, html_rep: int,
              max_calls=None, max_memory=None):
    """Run SCENARIO's workforce section: periods with policies between them (elimination,
    promotion, attrition, learning, training, QA, hiring); report each period and the people."""
    from ..scenario import load_scenario

    scenario = load_scenario(scenario_file)
    if scenario.workforce is None:
        raise UserError(f"{scenario_file}: workforce: the scenario has no workforce section "
                        "(period or periods, policies, slots)")
    if html is not None:
        check_output_path(html, "--html", [scenario_file], page=True)
    if html_rep > reps:
        raise UserError(f"--html-rep: replication {html_rep} asked for, only {reps} run (--reps)")
    results = run_workforce(scenario, reps, seed, engine, max_calls, max_memory)
    summary = build_summary(scenario_file, results, seed, engine)
    if as_json:
        from ..jsonio import to_json

        click.echo(to_json(summary))
    else:
        print_summary(summary)
    if html is not None:
        note_replaced([html])
        from ..workforce import report_html

        report_html(results, html, title=f"ccsim workforce: {scenario.name or scenario_file.stem}",
                    replication=html_rep - 1)
        click.echo(f"wrote {html}", err=True)


def run_workforce(scenario, reps: int, seed: int, engine: str, max_calls=None, max_memory=None) -> list:
    """``reps`` PeriodRuns of the scenario's workforce section (each within the run budget,
    the ``reps`` held at once)."""
    from ..api import replication_seeds
    from ..scenario import scenario_to_dict
    from ..workforce import run_periods

    w = scenario.workforce
    data = scenario_to_dict(scenario)
    period = w.period_seconds(scenario.horizon)
    return [run_periods(data, period, w.build_policies(), seed=child, engine=engine, slots=dict(w.slots) or None,
                        max_calls=max_calls, max_memory=max_memory, kept=reps)
            for child in replication_seeds(seed, reps)]


def build_summary(scenario_file, results: list, seed: int, engine: str) -> dict:
    """Per period, each column's mean and half-width over replications (``pooled_periods``:
    the terminal's columns, the tenure mix, the rate of wrong eliminations); over the run
    (``pooled_run``); the ledgers; the rows."""
    return {"scenario": str(scenario_file), "reps": len(results), "seed": seed, "engine": engine,
            "periods": pooled_periods(results), "run": pooled_run(results),
            "ledgers": [r.ledger() for r in results], "replications": [r.rows for r in results]}


def _format(fmt: str, cell: dict) -> str:
    mean, hw = cell["mean"], cell["ci_halfwidth"]
    if not math.isfinite(mean):
        return "n/a"
    if fmt == "pct":
        return f"{100 * mean:.1f} %" + (f" ±{100 * hw:.1f}" if math.isfinite(hw) else "")
    return fmt.format(mean) + (" ±" + fmt.format(hw) if math.isfinite(hw) else "")


def print_summary(summary: dict) -> None:
    """The per-period tables (people; results) and the first replication's ledger."""
    console = stdout_console()
    ci = "" if summary["reps"] < 2 else ", ± 95 % half-width"
    for name, columns in (("People", PEOPLE), ("Results", RESULTS)):
        labels = [label for _, label, _ in columns]
        out = table(f"{name} per period: mean over {summary['reps']} replication(s){ci}", ["period"] + labels,
                    right=["period"] + labels)
        for row in summary["periods"]:
            out.add_row(str(row["period"]), *(_format(fmt, row[key]) for key, _, fmt in columns))
        console.print(out)
    run = summary["run"]
    rate = run["wrong_elimination_rate"]
    console.print(f"Wrong eliminations over the run: {_format('pct', rate)} of the eliminated "
                  f"({rate['replications']} replication(s) with an elimination); rank correlation observed vs "
                  f"true, last period: {_format('{:.3f}', run['rank_correlation'])}")
    ledger = summary["ledgers"][0]
    console.print("People at the end (replication 1): " + ", ".join(f"{k} {v:,}" for k, v in ledger.items()))
