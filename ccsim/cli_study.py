"""``ccsim compare``, ``ccsim sweep`` and ``ccsim report``: studies from the command line.

Every finished replication is committed to the study's SQLite store as it
arrives; ``--resume`` continues an interrupted study without repeating work.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from .engines import ENGINES
from .experiment import analysis
from .experiment.backends import LocalBackend
from .experiment.overrides import apply_and_validate, grid, point_label, point_list
from .experiment.records import Point
from .experiment.runner import run_study, run_until
from .experiment.store import Store
from .report_table import format_halfwidth, format_value, progress_bar
from .scenario import load_scenario, scenario_to_dict

class StudyInputError(click.ClickException):
    """Bad input to a study command (exit status 2, like every input error)."""

    exit_code = 2


TABLE_KPIS = ("service_level", "asa", "abandon_rate", "blocked_rate", "occupancy", "aht", "answered", "abandoned")


def study_options(func):
    """Options shared by compare and sweep."""
    options = [
        click.option("--reps", type=click.IntRange(min=2), default=10, show_default=True,
                     help="Replications per point (with --target: the minimum)."),
        click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True, help="Root seed of the study."),
        click.option("--independent", is_flag=True,
                     help="Independent seeds per point instead of common random numbers."),
        click.option("--engine", type=click.Choice(sorted(ENGINES)), default="core", show_default=True),
        click.option("--workers", type=click.IntRange(min=1), help="Local worker processes (default: all cores)."),
        click.option("--scheduler", metavar="ADDRESS", help="Run on a Dask cluster, e.g. tcp://host:8786."),
        click.option("--store", "store_path", type=click.Path(dir_okay=False, path_type=Path),
                     help="SQLite results store (default: results/<kind>-<name>-seed<seed>.sqlite)."),
        click.option("--resume", is_flag=True, help="Continue the study in an existing store."),
        click.option("--target", "targets", multiple=True, metavar="KPI=HALFWIDTH",
                     help="Add replications until this KPI's 95 % CI half-width is reached (repeatable)."),
        click.option("--max-reps", type=click.IntRange(min=2), default=200, show_default=True,
                     help="Budget of replications per point with --target."),
        click.option("--call-records", type=click.Path(file_okay=False, path_type=Path),
                     help="Write per-call records to Parquet in this folder, one file per replication."),
        click.option("--html", type=click.Path(dir_okay=False, path_type=Path), help="Write the HTML report here."),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.command()
@click.argument("scenario_files", nargs=-1, required=True, metavar="A.yaml B.yaml [...]",
                type=click.Path(path_type=Path))
@study_options
def compare(scenario_files, **options):
    """Compare scenarios (policies) with paired differences, CIs and verdicts against the first."""
    if len(scenario_files) < 2:
        raise click.UsageError("compare needs at least two scenario files")
    labels = _labels(scenario_files)
    points = [Point(i, labels[i], {}, scenario_to_dict(load_scenario(f))) for i, f in enumerate(scenario_files)]
    name = "-vs-".join(Path(f).stem for f in scenario_files[:3])
    _run_and_show("compare", name, points, options)


@click.command()
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(path_type=Path))
@click.option("--grid", "assignments", multiple=True, metavar="PATH=VALUES",
              help="e.g. agents.team.count=180..200:5 or routing.agent_selection=[longest_idle] (repeatable; "
                   "the points are the cartesian product).")
@click.option("--point", "point_texts", multiple=True, metavar="PATH=VALUE[;PATH=VALUE]",
              help="One explicit design point (repeatable), instead of a grid.")
@study_options
def sweep(scenario_file, assignments, point_texts, **options):
    """Run SCENARIO at every point of a grid (or a list) of overrides."""
    if bool(assignments) == bool(point_texts):
        raise click.UsageError("give the design as --grid PATH=VALUES (a grid) or as --point ... (a list), one of them")
    base = scenario_to_dict(load_scenario(scenario_file))
    design = grid(list(assignments)) if assignments else point_list(list(point_texts))
    points = [Point(i, point_label(ov), ov, apply_and_validate(base, ov, source=str(scenario_file)))
              for i, ov in enumerate(design)]
    _run_and_show("sweep", Path(scenario_file).stem, points, options)


@click.command()
@click.argument("store_path", metavar="STUDY", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--html", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the HTML report.")
def report(store_path, html):
    """Write the HTML report of a stored study (STUDY is its .sqlite store)."""
    from .report import write_html

    if not Path(store_path).is_file():
        raise StudyInputError(f"no study store at {store_path}")
    with Store.open(store_path) as store:
        data = store.load()
    if not data.records:
        raise StudyInputError(f"the study in {store_path} has no finished replication yet")
    write_html(data, html)
    click.echo(f"wrote {html}", err=True)


# ---------------------------------------------------------------- running
def _run_and_show(kind: str, name: str, points: list, options: dict) -> None:
    store_path = options["store_path"] or Path("results") / f"{kind}-{name}-seed{options['seed']}.sqlite"
    store_path.parent.mkdir(parents=True, exist_ok=True)
    backend = _backend(options)
    common = dict(seed=options["seed"], crn=not options["independent"], engine=options["engine"],
                  store_path=store_path, backend=backend, resume=options["resume"], name=name, kind=kind,
                  call_records_dir=str(options["call_records"]) if options["call_records"] else None)
    try:
        with progress_bar(enabled=not options["as_json"] and sys.stderr.isatty()) as progress:
            if options["targets"]:
                targets = _parse_targets(options["targets"])
                data = run_until(points, list(targets), targets, min_reps=options["reps"],
                                 max_reps=max(options["max_reps"], options["reps"]), progress=progress, **common)
            else:
                data = run_study(points, options["reps"], progress=progress, **common)
    finally:
        if hasattr(backend, "close"):
            backend.close()
    if options["html"]:
        from .report import write_html

        write_html(data, options["html"])
    payload = _payload(kind, data, store_path)
    if options["as_json"]:
        from .jsonio import to_json

        click.echo(to_json(payload))
    else:
        _print_study(kind, data, payload, store_path)
    if options["html"]:
        click.echo(f"wrote {options['html']}", err=True)


def _backend(options):
    if options["scheduler"]:
        if options["workers"]:
            raise click.UsageError("--workers sets the local pool; with --scheduler the cluster decides")
        return options["scheduler"]
    if options["workers"]:
        return LocalBackend(workers=options["workers"])
    return None


def _parse_targets(texts) -> dict:
    from .results import KPI_NAMES

    targets = {}
    for text in texts:
        kpi, sep, value = text.partition("=")
        if not sep or kpi not in KPI_NAMES:
            raise click.BadParameter(f"{text!r}: expected KPI=HALFWIDTH with a KPI among {', '.join(KPI_NAMES)}",
                                     param_hint="--target")
        try:
            targets[kpi] = float(value)
        except ValueError:
            raise click.BadParameter(f"{text!r}: the half-width {value!r} is not a number", param_hint="--target")
        if not targets[kpi] > 0:
            raise click.BadParameter(f"{text!r}: the half-width must be positive", param_hint="--target")
    return targets


def _labels(files) -> list:
    names = [Path(f).name for f in files]
    return [n if names.count(n) == 1 else str(f) for n, f in zip(names, files)]


# ---------------------------------------------------------------- output
def _payload(kind: str, data, store_path) -> dict:
    summary = analysis.summary_table(data)
    payload = {
        "kind": kind, "name": data.name, "store": str(store_path), "seed": data.seed, "crn": data.crn,
        "engine": data.engine, "reps": {p.label: len(data.records_of(p.point)) for p in data.points},
        "calls_simulated": int(sum(r.calls_simulated for r in data.records)),
        "wall_seconds": float(sum(r.wall_seconds for r in data.records)),
        "points": [{"point": p.point, "label": p.label, "overrides": p.overrides} for p in data.points],
        "summary": summary.to_dict(orient="records"),
    }
    if hasattr(data, "target_met"):
        payload["target_met"] = data.target_met
    if kind == "compare":
        payload["comparison"] = analysis.compare(data, baseline=data.points[0].point).to_dict(orient="records")
    if kind == "sweep":
        payload["sweep"] = analysis.sweep_table(data).to_dict(orient="records")
    return payload


def _print_study(kind: str, data, payload: dict, store_path) -> None:
    from .cli import _stdout_console

    console = _stdout_console()
    summary = analysis.summary_table(data)
    table = Table(title=f"{kind} {data.name}: mean ± 95 % half-width "
                        f"({'common random numbers' if data.crn else 'independent seeds'})")
    table.add_column("KPI")
    for p in data.points:
        table.add_column(p.label, justify="right")
    for kpi in TABLE_KPIS:
        rows = summary[summary["kpi"] == kpi].set_index("point")
        cells = []
        for p in data.points:
            row = rows.loc[p.point] if p.point in rows.index else None
            cells.append("-" if row is None else f"{format_value(kpi, row['mean'])} {format_halfwidth(kpi, row['ci_halfwidth'])}")
        table.add_row(kpi, *cells)
    console.print(table)
    if kind == "compare":
        _print_comparison(console, data)
    total_reps = sum(payload["reps"].values())
    console.print(f"{total_reps} replications, {payload['calls_simulated']:,} calls simulated, "
                  f"engine time {payload['wall_seconds']:.2f} s; store: {store_path}")
    if "target_met" in payload:
        console.print("target half-widths " + ("met" if payload["target_met"] else "NOT met within --max-reps"))


def _print_comparison(console, data) -> None:
    frame = analysis.compare(data, baseline=data.points[0].point)
    table = Table(title=f"difference vs {data.points[0].label} (95 % CI; verdict at 5 %)")
    for column in ("point", "KPI", "difference", "95 % CI", "verdict", "variance reduction"):
        table.add_column(column, justify="left" if column in ("point", "KPI", "verdict") else "right")
    for row in frame.itertuples():
        if row.kpi not in TABLE_KPIS:
            continue
        vr = "" if not math.isfinite(row.variance_reduction) else f"{row.variance_reduction:.1f}×"
        table.add_row(row.label, row.kpi, format_value(row.kpi, row.diff),
                      f"[{format_value(row.kpi, row.ci_low)}, {format_value(row.kpi, row.ci_high)}]",
                      row.verdict, vr)
    console.print(table)
