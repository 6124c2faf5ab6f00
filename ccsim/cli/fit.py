"""``ccsim fit``: a call log (CDRs) to a scenario, with a fit report.

Reads LOG through a column mapping (a file, or a shipped one by name: ``bank``), fits
arrivals, handle times, patience (censored), IVR, priorities and staffing
(``ccsim.calllog``), prints the fit report, validates the scenario it made and writes it.
Rows the reader excludes are listed by reason (all of them with ``--exclusions FILE``).
"""
from __future__ import annotations

from pathlib import Path

import click

from ..scenario import limits as L
from .output import check_distinct, check_output_path, input_file
from .params import IntRange


class _Seconds(click.FloatRange):
    """Seconds from 0 to ``MAX_SECONDS``: click's FloatRange lets NaN through (no comparison holds)."""

    def __init__(self):
        super().__init__(min=0.0, max=L.MAX_SECONDS)

    def convert(self, value, param, ctx):
        seconds = super().convert(value, param, ctx)
        if seconds != seconds:
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        return seconds

STRICT_SHOWN = 3  # rows named per reason by --strict


def refuse_bad_rows(log) -> None:
    """``--strict``: a ``UserError`` naming the first rows of each reason, if any real row was excluded."""
    from ..errors import UserError

    bad = log.excluded[log.excluded["reason"] != "phantom call"]
    if not len(bad):
        return
    parts = []
    for reason, rows in bad.groupby("reason", sort=False):
        named = "; ".join(f"row {r.row}: {r.detail}" if r.detail else f"row {r.row}"
                          for r in rows.head(STRICT_SHOWN).itertuples())
        parts.append(f"{len(rows)} {reason} ({named}{', ...' if len(rows) > STRICT_SHOWN else ''})")
    raise UserError(f"log {log.source}: {len(bad)} bad rows (--strict): " + ", ".join(parts))


def _check_fitted(scenario: dict, log_file: Path, out: Path) -> None:
    """The fitted scenario validates, or the error says the log's data made it so (a log whose
    handle times are all equal fits a distribution of no spread): not ``invalid scenario OUT``,
    a file never written."""
    from ..errors import UserError
    from ..scenario import ScenarioError, validate_scenario

    try:
        validate_scenario(scenario, source=str(out), base_dir=str(out.parent))
    except ScenarioError as err:
        problems = "; ".join(f"{p.path}: {p.message}" for p in err.problems[:3])
        raise UserError(f"the scenario fitted from {log_file} is not one ccsim can run ({problems}): the log's "
                        f"data for it is degenerate (all durations equal, or times out of order?); nothing was "
                        f"written to {out}") from None


HANDLE_CHOICES = ("auto", "lognormal", "gamma", "weibull", "empirical")
PATIENCE_CHOICES = ("auto", "exponential", "weibull", "lognormal")


@click.command()
@click.argument("log_file", metavar="LOG", type=click.Path(path_type=Path))
@click.option("--mapping", "mapping_spec", required=True, metavar="M",
              help="Column mapping: a YAML file, or the name of a shipped one (bank).")
@click.option("-o", "--out", "out", required=True, type=click.Path(path_type=Path),
              help="Write the fitted scenario (YAML) here.")
@click.option("--html", type=click.Path(path_type=Path),
              help="Also write the fit report (Q-Q plots, Kaplan-Meier curves, hazards, rates) here.")
@click.option("--slot", type=IntRange(min=60), default=1800, show_default=True,
              help="Seconds per arrival-rate and staffing slot (divides a day).")
@click.option("--profile", type=click.Choice(("auto", "week", "day")), default="auto", show_default=True,
              help="A week of slots from Monday (needs 7 days of log), one day, or auto (a week when possible).")
@click.option("--handle", type=click.Choice(HANDLE_CHOICES), default="auto", show_default=True,
              help="Handle-time family: auto = the smallest AIC of lognormal, gamma and Weibull.")
@click.option("--patience", type=click.Choice(PATIENCE_CHOICES), default="auto", show_default=True,
              help="Patience family (censored MLE): auto = the smallest AIC.")
@click.option("--short-abandon", type=_Seconds(), default=5.0, show_default=True,
              help="An abandon within this many seconds counts as short.")
@click.option("--idle-cap", type=_Seconds(), default=600.0, show_default=True,
              help="Staffing: an agent's idle gap between two calls counts as available up to this many "
                   "seconds (longer: a break), and only while no call waits.")
@click.option("--handle-period", type=IntRange(min=0, max=86400), default=3600, show_default=True,
              help="Fit the handle time per period of the day of this many seconds (whole minutes dividing a "
                   "day; the scenario's by_period); 0 = one distribution for the whole day.")
@click.option("--min-calls", type=IntRange(min=10), default=20, show_default=True,
              help="The fewest values a distribution is fitted from (handle time, patience: also half as many "
                   "abandons, IVR time): a period of the day with fewer served calls takes the whole day's "
                   "handle-time fit (--handle-period).")
@click.option("--exclusions", type=click.Path(path_type=Path),
              help="Write every excluded row (row, reason, detail) to this CSV file.")
@click.option("--name", help="The scenario's name (default: the mapping's name + _fitted).")
@click.option("--strict", is_flag=True,
              help="Refuse the log (exit 2) if any row other than a phantom call is excluded.")
def fit(log_file: Path, mapping_spec: str, out: Path, html, slot, profile, handle, patience, short_abandon, idle_cap,
        handle_period, min_calls, exclusions, name, strict):
    """Fit a scenario to the call log LOG and write it to --out."""
    from ..calllog import read_log
    from ..calllog.fit import FitOptions, fit_log
    from ..calllog.report import html_report, text_report
    from ..files import write_page, write_text_atomic
    from ..scenario.yaml_reader import dump_yaml

    inputs = [(log_file, "call log")] + [(path, "mapping") for path in input_file(mapping_spec)]
    for path, option in ((out, "-o"), (html, "--html"), (exclusions, "--exclusions")):
        if path is not None:
            check_output_path(path, option, inputs=inputs, page=option == "--html")
    check_distinct([("-o", out), ("--html", html), ("--exclusions", exclusions)])
    options = FitOptions(slot=slot, profile=profile, handle=handle, patience=patience, short_abandon=short_abandon,
                         idle_cap=idle_cap, handle_period=handle_period, min_calls=min_calls)
    log = read_log(log_file, mapping_spec)
    if strict:
        refuse_bad_rows(log)
    result = fit_log(log, options)
    scenario = result.scenario(name=name)
    _check_fitted(scenario, log_file, out)
    click.echo(text_report(result))
    write_text_atomic(out, lambda f: f.write(f"# {scenario['description']}\n" + dump_yaml(scenario)))
    click.echo(f"scenario written: {out}")
    if exclusions is not None:
        write_text_atomic(exclusions, lambda f: log.excluded.to_csv(f, index=False))
        click.echo(f"excluded rows written: {exclusions}")
    if html is not None:
        write_page(html, html_report(result, title=f"ccsim fit: {log_file.name}"))
        click.echo(f"report written: {html}")
