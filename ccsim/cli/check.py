"""``ccsim check``: fail a CI job when a scenario no longer meets its KPI targets.

Replications are added at a fixed schedule of looks until each expectation's
confidence interval lies on one side of its target (pass or fail), or the
budget runs out (undecided). Exit status: 0 all pass, 1 some fail, 3 none fail
but some undecided, 2 bad input.
"""
from __future__ import annotations

from pathlib import Path

import click

from ..check.runner import DEFAULT_ALPHA, DEFAULT_MAX_REPS, DEFAULT_MIN_REPS
from ..engines import ENGINES
from .output import budget_options, check_distinct, check_output_path, note_replaced, progress_bar, stdout_console, table
from .params import IntRange
from .status import EXIT_FAIL, EXIT_OK, EXIT_UNDECIDED, InputError

EXIT_FOR = {"pass": EXIT_OK, "fail": EXIT_FAIL, "undecided": EXIT_UNDECIDED}


@click.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(path_type=Path))
@click.option("--expect", "expects", multiple=True, metavar="EXPR",
              help="An expectation (repeatable): 'service_level >= 0.8', 'abandon_rate[sales] <= 0.05', "
                   "'occupancy[team=A] <= 0.9', 'service_level >= 0.8 every interval 09:00-21:00', or with "
                   "--baseline 'service_level: no worse than -0.01'.")
@click.option("--checks", "checks_file", type=click.Path(path_type=Path),
              help="A YAML file listing expectations under 'expect:' (added to --expect).")
@click.option("--scenario-checks/--no-scenario-checks", default=True, show_default=True,
              help="Check the expectations of SCENARIO's own 'checks:' section too (first, then --expect, "
                   "then --checks); --no-scenario-checks leaves them out.")
@click.option("--baseline", type=click.Path(path_type=Path),
              help="The old version of the center: 'no worse than' expectations compare SCENARIO with it, "
                   "paired replication by replication (common random numbers).")
@click.option("--alpha", type=float, default=None, show_default=f"checks.alpha, else {DEFAULT_ALPHA}",
              help="The chance that any verdict of the check is wrong is at most this.")
@click.option("--min-reps", type=IntRange(min=2), default=None,
              show_default=f"checks.min_reps, else {DEFAULT_MIN_REPS}", help="Replications at the first look.")
@click.option("--max-reps", type=IntRange(min=2), default=None,
              show_default=f"checks.max_reps, else {DEFAULT_MAX_REPS}",
              help="The budget: replications at the last look (looks double from --min-reps).")
@click.option("--seed", type=IntRange(min=0), default=1, show_default=True,
              help="Root seed; replication r uses child r of SeedSequence(seed) (the baseline too).")
@click.option("--engine", type=click.Choice(sorted(ENGINES)), default="core", show_default=True,
              help="Cython core or the SimPy reference engine.")
@click.option("--junit-xml", "junit_path", type=click.Path(path_type=Path),
              help="Write a JUnit XML report (one test case per expectation) here.")
@click.option("--markdown", "markdown_path", type=click.Path(path_type=Path),
              help="Write a Markdown summary (for a pull-request comment) here.")
@budget_options
def check(scenario_file: Path, expects, checks_file, scenario_checks, baseline, alpha, min_reps, max_reps, seed, engine,
          junit_path, markdown_path, max_calls=None, max_memory=None):
    """Check SCENARIO against KPI targets with statistically honest verdicts.

    Each expectation gets pass, fail or undecided. Replications are looked at
    after --min-reps, then doubling up to --max-reps (K looks); at each look
    every undecided expectation (each interval of an 'every interval' one
    counted apart, m in all) gets a Student-t interval whose tails each have
    probability alpha/(K*m). It passes or fails when the interval lies on one
    side of its target. By the union bound the chance that any verdict is
    wrong is at most --alpha (0.05 by default).

    Expectations come from SCENARIO's own 'checks:' section, --expect and
    --checks, all together; the section's alpha, min_reps and max_reps are
    the defaults of the options of the same names.

    Exit status: 0 all pass, 1 some expectation fails, 3 none fails but some
    are undecided (the budget ran out), 2 bad input.
    """
    from ..check import parse_expectation
    from ..check.checks_file import read_checks
    from ..check.reports import junit_xml, markdown
    from ..check.runner import check as run_check
    from ..scenario import load_scenario

    inputs = [p for p in (scenario_file, baseline, checks_file) if p is not None]
    for path, option in ((junit_path, "--junit-xml"), (markdown_path, "--markdown")):
        if path is not None:
            check_output_path(path, option, inputs, what="input file")
    check_distinct([("--junit-xml", junit_path), ("--markdown", markdown_path)])
    expectations = [parse_expectation(text, f"--expect #{i + 1}") for i, text in enumerate(expects)]
    if checks_file is not None:
        expectations += read_checks(checks_file)
    old = load_scenario(baseline) if baseline is not None else None
    with progress_bar(_show_progress()) as progress:
        report = run_check(scenario_file, expectations, baseline=old, seed=seed, alpha=alpha, min_reps=min_reps,
                           max_reps=max_reps, engine=engine, progress=progress, scenario_checks=scenario_checks,
                           max_calls=max_calls, max_memory=max_memory)
    _print(report)
    for path, render in ((junit_path, junit_xml), (markdown_path, markdown)):
        if path is not None:
            _write(path, render(report))
    return EXIT_FOR[report.verdict]


def _show_progress() -> bool:
    import sys

    return sys.stderr.isatty()


def _print(report) -> None:
    from ..check.reports import MARK, estimate_text

    out = table("", ("expectation", "verdict", "estimate [CI]", "reps"), right=("reps",),
                no_wrap=("verdict",))
    for o in report.outcomes:
        where = f"\n(worst: {o.label})" if o.parts else ""
        out.add_row(o.expectation.text, MARK[o.verdict], estimate_text(o) + where, str(o.reps))
    console = stdout_console()
    console.print(out)
    counts = report.counts()
    level = f"{1 - report.alpha:.0%}" if (100 * report.alpha).is_integer() else f"1 - {report.alpha:g}"
    console.print(f"{report.verdict}: {counts['pass']} passed, {counts['fail']} failed, "
                  f"{counts['undecided']} undecided; {report.reps} replications (looks at "
                  f"{', '.join(map(str, report.looks))}); all verdicts right with probability >= {level}")


def _write(path: Path, text: str) -> None:
    from ..files import write_text_atomic

    note_replaced([path])
    try:
        write_text_atomic(path, lambda handle: handle.write(text))
    except OSError as err:  # a WriteError naming the path and what to do
        raise InputError(str(err)) from None
    click.echo(f"wrote {path}", err=True)
