"""``ccsim compare``, ``ccsim sweep`` and ``ccsim report``: studies from the command line.

Every finished replication is committed to the study's SQLite store as it
arrives; after Ctrl-C (or a kill) the same command with ``--resume`` continues
without repeating work. Default store: ``results/<kind>-<name>-<hash8>.sqlite``,
hash8 naming the design (points' scenarios, seed, CRN, engine), so two
different studies of one scenario never share a store.
"""
from __future__ import annotations

import hashlib
import math
import shlex
from pathlib import Path

import click

from ..engines import ENGINES
from ..report_table import format_difference, format_halfwidth, format_interval, format_value
from ..results import KPI_NAMES
from .output import (_Amount, budget_options, check_distinct, check_output_path, estimate, note_replaced, progress_bar, show_progress,
                     stdout_console, table)
from .params import IntRange
from .status import ARGV_KEY, GoalNotReached, InputError, Interrupted

# KPIs in the terminal tables (every KPI goes to --json), in KPI_NAMES order
TABLE_KPIS = tuple(k for k in KPI_NAMES if k in (
    "offered", "answered", "abandoned", "blocked", "service_level", "asa", "abandon_rate", "blocked_rate",
    "occupancy", "aht"))


def study_options(func):
    """Options shared by compare and sweep."""
    options = [
        click.option("--reps", type=IntRange(min=2), default=10, show_default=True,
                     help="Replications per point (with --ci-halfwidth: the minimum)."),
        click.option("--seed", type=IntRange(min=0), default=1, show_default=True,
                     help="Root seed; replication r of every point uses child r of SeedSequence(seed)."),
        click.option("--independent", is_flag=True,
                     help="Independent seeds per point instead of common random numbers."),
        click.option("--engine", type=click.Choice(sorted(ENGINES)), default="core", show_default=True),
        click.option("--workers", type=IntRange(min=1), help="Local worker processes (default: all cores)."),
        click.option("--scheduler", metavar="ADDRESS",
                     help="Run on a Dask cluster, e.g. tcp://host:8786 (host:8786 means tcp://host:8786)."),
        click.option("--store", "store_path", type=click.Path(path_type=Path),
                     help="SQLite results store (default: results/<kind>-<name>-<hash8>.sqlite, "
                          "hash8 naming the design)."),
        click.option("--resume", is_flag=True, help="Continue the study in an existing store."),
        click.option("--ci-halfwidth", "ci_halfwidths", multiple=True, metavar="KPI=HALFWIDTH",
                     help="Add replications until this KPI's 95 % CI half-width is at most HALFWIDTH at every "
                          "point, in the KPI's own units: a fraction for rates (0.005 = 0.5 pp), seconds for "
                          "times (repeatable). Not met within --max-reps: exit status 3."),
        click.option("--max-reps", type=IntRange(min=2), default=200, show_default=True,
                     help="Budget of replications per point with --ci-halfwidth."),
        click.option("--call-records", type=click.Path(path_type=Path),
                     help="Write per-call records to Parquet in this folder, one file per replication."),
        click.option("--html", type=click.Path(path_type=Path), help="Write the HTML report here."),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables."),
    ]
    for option in reversed(options):
        func = option(func)
    return budget_options(func)


@click.command()
@click.argument("scenario_files", nargs=-1, required=True, metavar="A.yaml B.yaml [...]",
                type=click.Path(path_type=Path))
@click.option("--from-state", "state_file", type=click.Path(path_type=Path), metavar="STATE.yaml",
              help="Every scenario starts from this state of the center (same state, common random numbers): "
                   "compare actions taken now, e.g. more agents called in.")
@study_options
def compare(scenario_files, state_file=None, **options):
    """Compare scenarios (policies) with paired differences, CIs and verdicts against the first."""
    from ..experiment.records import Point
    from ..scenario import load_scenario, scenario_to_dict

    if len(scenario_files) < 2:
        raise click.UsageError("compare needs at least two scenario files")
    labels = _labels(scenario_files)
    points = [Point(i, labels[i], {}, scenario_to_dict(load_scenario(f))) for i, f in enumerate(scenario_files)]
    name = "-vs-".join(Path(f).stem for f in scenario_files[:3])
    if state_file is not None:
        from ..state import load_state

        options["state"] = load_state(state_file)
        # the state in the store's default name: another state is another study
        digest = hashlib.sha256(options["state"].model_dump_json().encode()).hexdigest()[:8]
        name += f"-from-{Path(state_file).stem}-{digest}"
    _run_and_show("compare", name, points, options, [*scenario_files, *([state_file] if state_file else [])])


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
    from ..experiment.overrides import apply_and_validate, grid, point_label, point_list
    from ..experiment.records import Point
    from ..scenario import load_scenario, scenario_to_dict

    if bool(assignments) == bool(point_texts):
        raise click.UsageError("give the design as --grid PATH=VALUES (a grid) or as --point ... (a list), one of them")
    base = scenario_to_dict(load_scenario(scenario_file))
    design = grid(list(assignments)) if assignments else point_list(list(point_texts))
    points = [Point(i, point_label(ov), ov, apply_and_validate(base, ov, source=str(scenario_file)))
              for i, ov in enumerate(design)]
    _run_and_show("sweep", Path(scenario_file).stem, points, options, [scenario_file])


@click.command()
@click.argument("store_path", metavar="STUDY", type=click.Path(path_type=Path))
@click.option("--html", type=click.Path(path_type=Path), required=True, help="Where to write the HTML report.")
@click.option("--max-memory", type=_Amount("bytes", units=True), default=None, metavar="SIZE",
              help="Refuse, before reading the replications, a report whose estimated memory exceeds this "
                   "(default 4 GiB; e.g. 500M, 8GiB). The report reads one replication at a time.")
def report(store_path, html, max_memory=None):
    """Write the HTML report of a stored study (STUDY is its .sqlite store)."""
    from ..experiment.store import Store

    if not Path(store_path).is_file():
        raise InputError(f"no study store at {store_path}")
    check_output_path(html, "--html", [store_path], what="study store being read,", page=True)
    try:
        with Store.open(store_path, write=False) as store:
            check_report_budget(store.points(), store.metadata["engine"], max_memory)
            data = store.load()
    except ValueError as err:  # not a ccsim store (the store's own errors are UserErrors)
        raise InputError(str(err)) from None
    if not data.records:
        raise InputError(f"the study in {store_path} has no finished replication yet")
    note_replaced([html])
    _write_html(data, html)
    click.echo(f"wrote {html}", err=True)


# ---------------------------------------------------------------- running
def _run_and_show(kind: str, name: str, points: list, options: dict, inputs) -> None:
    from ..experiment.runner import run_study, run_until
    from ..experiment.store import StoreExistsError

    targets = parse_ci_halfwidths(options["ci_halfwidths"])
    _check_reps(options, targets)
    store_path = options["store_path"] or default_store_path(kind, name, points, options)
    _check_outputs(options, store_path, inputs)
    if store_path.exists() and not options["resume"]:
        raise _store_exists(store_path)
    if options["html"]:  # the report is made after the replications: refused now if it would not fit
        check_report_budget(points, options["engine"], options["max_memory"])
    try:
        store_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"--store: cannot create the folder {store_path.parent}: {err.strerror or err}") from None
    backend = _backend(options)
    common = dict(seed=options["seed"], crn=not options["independent"], engine=options["engine"],
                  store_path=store_path, backend=backend, resume=options["resume"], name=name, kind=kind,
                  call_records_dir=str(options["call_records"]) if options["call_records"] else None,
                  max_calls=options["max_calls"], max_memory=options["max_memory"],
                  **({"state": options["state"]} if options.get("state") is not None else {}))
    try:
        with progress_bar(show_progress(options["as_json"])) as progress:
            if targets:
                data = run_until(points, list(targets), targets, min_reps=options["reps"],
                                 max_reps=options["max_reps"], progress=progress, **common)
            else:
                data = run_study(points, options["reps"], progress=progress, **common)
    except StoreExistsError:
        raise _store_exists(store_path) from None
    except KeyboardInterrupt:
        raise _interrupted(store_path) from None
    finally:
        if hasattr(backend, "close"):
            backend.close()
    payload = study_payload(kind, data, store_path, targets)
    if options["as_json"]:
        from ..jsonio import to_json

        click.echo(to_json(payload))
    else:
        _print_study(kind, data, payload, store_path)
    if options["html"]:
        note_replaced([options["html"]])
        _write_html(data, options["html"])
        click.echo(f"wrote {options['html']}", err=True)
    if targets and not data.target_met:
        raise GoalNotReached(goal_message(payload["ci_halfwidth_missed"], options["max_reps"]))


def check_report_budget(points: list, engine: str, max_memory) -> None:
    """Refuse (``BudgetError``) a study report that would need more than ``max_memory``
    (``ccsim.budget.check_study_report_budget``), before any work."""
    from ..budget import check_study_report_budget
    from ..compile import compile_scenario
    from ..scenario import validate_scenario

    models = [compile_scenario(validate_scenario(p.scenario)) for p in points]
    check_study_report_budget(models, max_memory, engine)


def parse_ci_halfwidths(texts) -> dict:
    """{kpi: half-width} from ``KPI=HALFWIDTH`` texts (the KPI's own units)."""
    targets = {}
    for text in texts:
        kpi, sep, value = text.partition("=")
        if not sep or kpi not in KPI_NAMES:
            raise click.BadParameter(f"{text!r}: expected KPI=HALFWIDTH with a KPI among {', '.join(KPI_NAMES)}",
                                     param_hint="--ci-halfwidth")
        try:
            targets[kpi] = float(value)
        except ValueError:
            raise click.BadParameter(f"{text!r}: the half-width {value!r} is not a number",
                                     param_hint="--ci-halfwidth") from None
        if not 0 < targets[kpi] < math.inf:
            raise click.BadParameter(f"{text!r}: the half-width must be a positive number",
                                     param_hint="--ci-halfwidth")
    return targets


def _check_reps(options: dict, targets: dict) -> None:
    ctx = click.get_current_context()
    explicit = ctx.get_parameter_source("max_reps") is not click.core.ParameterSource.DEFAULT
    if (targets or explicit) and options["reps"] > options["max_reps"]:
        raise click.UsageError(f"--reps {options['reps']} is more than --max-reps {options['max_reps']}; "
                               "--reps is the least number of replications, --max-reps the most")


def default_store_path(kind: str, name: str, points: list, options: dict) -> Path:
    """results/<kind>-<name>-<hash8>.sqlite, hash8 from the study's design."""
    from ..experiment.store import fingerprint

    digest = fingerprint(points, options["seed"], not options["independent"], options["engine"])
    return Path("results") / f"{kind}-{name}-{digest[:8]}.sqlite"


def _check_outputs(options: dict, store_path: Path, inputs) -> None:
    check_output_path(store_path, "--store", inputs)
    store = (store_path, "study store")
    if options["html"]:
        check_output_path(options["html"], "--html", [*inputs, store], page=True)
    if options["call_records"]:
        check_output_path(options["call_records"], "--call-records", [*inputs, store], folder=True)
    check_distinct([("--store", store_path), ("--html", options["html"]),
                    ("--call-records", options["call_records"])])


def _store_exists(path: Path) -> InputError:
    return InputError(f"the study store {path} exists; add --resume to continue it, or --store PATH for a new one")


def _interrupted(store_path: Path) -> Interrupted:
    """Ctrl-C: how many replications are safe, and the command that continues."""
    ctx = click.get_current_context()
    root = ctx.find_root()
    argv = list(root.meta.get(ARGV_KEY, []))
    if "--resume" not in argv:
        argv.append("--resume")
    stored = _stored_count(store_path)
    return Interrupted(f"interrupted: {stored} replications are stored in {store_path}; "
                       f"continue with: {root.info_name or 'ccsim'} {shlex.join(argv)}")


def _stored_count(store_path: Path) -> int:
    from ..experiment.store import Store

    try:
        with Store.open(store_path, write=False) as store:
            return len(store.done())
    except Exception:  # noqa: BLE001 - the count is a courtesy; the message must still come
        return 0


def _backend(options):
    if options["scheduler"]:
        if options["workers"]:
            raise click.UsageError("--workers sets the local pool; with --scheduler the cluster decides")
        return scheduler_address(options["scheduler"])
    if options["workers"]:
        from ..experiment.backends import BackendError, LocalBackend

        try:
            return LocalBackend(workers=options["workers"])
        except BackendError as err:  # the bound of a local pool, said once (backends.max_workers)
            raise click.BadParameter(str(err), param_hint="--workers") from None
    return None


def scheduler_address(text: str) -> str:
    """A Dask scheduler address; ``host:port`` without a scheme means ``tcp://host:port``."""
    text = text.strip()
    if not text:
        raise click.BadParameter("empty address; expected e.g. tcp://host:8786", param_hint="--scheduler")
    return text if "://" in text else f"tcp://{text}"


def _labels(files) -> list:
    names = [Path(f).name for f in files]
    return [n if names.count(n) == 1 else str(f) for n, f in zip(names, files)]


def _write_html(data, path: Path) -> None:
    from ..report import write_html

    try:
        write_html(data, path)
    except OSError as err:
        raise InputError(f"--html: cannot write {path}: {err.strerror or err}") from None


# ---------------------------------------------------------------- output
def study_payload(kind: str, data, store_path, targets: dict) -> dict:
    """The object printed by ``--json``."""
    from ..experiment import analysis

    summary = analysis.summary_table(data)
    payload = {
        "kind": kind, "name": data.name, "store": str(store_path), "seed": data.seed, "crn": data.crn,
        "engine": data.engine, "reps": {p.label: len(data.records_of(p.point)) for p in data.points},
        "calls_simulated": int(sum(r.calls_simulated for r in data.records)),
        "wall_seconds": float(sum(r.wall_seconds for r in data.records)),
        "points": [{"point": p.point, "label": p.label, "overrides": p.overrides} for p in data.points],
        "summary": summary.to_dict(orient="records"),
    }
    if targets:
        payload["ci_halfwidth_targets"] = targets
        payload["ci_halfwidth_met"] = bool(data.target_met)
        payload["ci_halfwidth_missed"] = missed_targets(data, targets)
    if kind == "compare":
        payload["comparison"] = analysis.compare(data, baseline=data.points[0].point).to_dict(orient="records")
    if kind == "sweep":
        frame = analysis.sweep_table(data)
        frame = frame.rename(columns={c: f"{c}_halfwidth" for c in frame.columns if c.endswith("_ci")})
        payload["sweep"] = frame.to_dict(orient="records")
    return payload


def missed_targets(data, targets: dict) -> list:
    """[{point, label, kpi, ci_halfwidth, target}] for every target not met at the last count."""
    labels = {p.point: p.label for p in data.points}
    missed = []
    for point, widths in sorted(getattr(data, "halfwidths", {}).items()):
        for kpi, width in widths.items():
            if not width <= targets[kpi]:  # NaN (too few finite values) misses too
                missed.append({"point": point, "label": labels.get(point, str(point)), "kpi": kpi,
                               "ci_halfwidth": width, "target": targets[kpi]})
    return missed


def goal_message(missed: list, max_reps: int) -> str:
    """Which point/KPI missed its --ci-halfwidth target, in the KPI's units."""
    parts = [f"{m['kpi']} at {m['label']}: {format_halfwidth(m['kpi'], m['ci_halfwidth'])} "
             f"(target {format_halfwidth(m['kpi'], m['target'])})" for m in missed]
    return (f"--ci-halfwidth not met within --max-reps {max_reps}: " + "; ".join(parts or ["(no detail)"])
            + ". Raise --max-reps, or continue the study with --resume and a larger --max-reps.")


def _print_study(kind: str, data, payload: dict, store_path) -> None:
    from ..experiment import analysis

    console = stdout_console()
    summary = analysis.summary_table(data)
    seeds = "common random numbers" if data.crn else "independent seeds"
    if kind == "sweep":
        console.print(sweep_table(data, summary, f"sweep {data.name}: mean ± 95 % CI ({seeds})"))
    else:
        console.print(points_table(data, summary, f"{kind} {data.name}: mean ± 95 % CI ({seeds})"))
    if kind == "compare":
        for out in comparison_tables(data, analysis.compare(data, baseline=data.points[0].point)):
            console.print(out)
    total_reps = sum(payload["reps"].values())
    console.print(f"{total_reps:,} replications, {payload['calls_simulated']:,} calls simulated, "
                  f"engine time {payload['wall_seconds']:.2f} s; store: {store_path}")
    if "ci_halfwidth_met" in payload:
        console.print("--ci-halfwidth targets " + ("met" if payload["ci_halfwidth_met"] else "NOT met within --max-reps"))


def _rows(summary, point: int) -> dict:
    rows = summary[summary["point"] == point]
    return {row.kpi: row for row in rows.itertuples()}


def points_table(data, summary, title: str):
    """KPI rows, one column per point (a comparison has few points)."""
    labels = [p.label for p in data.points]
    out = table(title, ("KPI", *labels), right=labels)
    rows = {p.point: _rows(summary, p.point) for p in data.points}
    for kpi in TABLE_KPIS:
        cells = [estimate(kpi, r.mean, r.ci_halfwidth) if (r := rows[p.point].get(kpi)) is not None else "-"
                 for p in data.points]
        out.add_row(kpi, *cells)
    return out


def sweep_table(data, summary, title: str):
    """Long format: one block of KPI rows per design point (fits 80 columns)."""
    out = table(title, ("point", "KPI", "mean", "± 95 % CI"), right=("mean", "± 95 % CI"))
    for p in sorted(data.points, key=lambda p: p.point):
        rows = _rows(summary, p.point)
        # the point's overrides one per row beside its KPIs (the last row takes any left over)
        parts = [f"{path}={value}" for path, value in p.overrides.items()] or [p.label]
        names = parts[:len(TABLE_KPIS) - 1] + [", ".join(parts[len(TABLE_KPIS) - 1:])]
        for i, kpi in enumerate(TABLE_KPIS):
            row = rows.get(kpi)
            mean, width = (row.mean, row.ci_halfwidth) if row is not None else (math.nan, math.nan)
            out.add_row(names[i] if i < len(names) else "", kpi, format_value(kpi, mean),
                        format_halfwidth(kpi, width), end_section=i == len(TABLE_KPIS) - 1)
    return out


def comparison_tables(data, frame) -> list:
    """One table per compared point: its differences against the first point
    (rates in pp, times in s), 95 % CI, verdict and CRN's variance reduction."""
    base = data.points[0].label
    order = {k: i for i, k in enumerate(KPI_NAMES)}
    tables = []
    for point in data.points[1:]:
        rows = sorted((r for r in frame.itertuples() if r.point == point.point and r.kpi in TABLE_KPIS),
                      key=lambda r: order[r.kpi])
        columns = ("KPI", "diff", "95 % CI", "verdict", "CRN gain")
        out = table(f"{point.label} minus {base} (verdict at 5 %; CRN gain = variance reduction)", columns,
                    right=("diff", "95 % CI", "CRN gain"), no_wrap=("KPI", "95 % CI", "verdict"))
        for row in rows:
            gain = "" if not math.isfinite(row.variance_reduction) else f"{row.variance_reduction:.1f}×"
            verdict = "not significant" if row.verdict == "no significant difference" else row.verdict
            out.add_row(row.kpi, format_difference(row.kpi, row.diff),
                        format_interval(row.kpi, row.ci_low, row.ci_high), verdict, gain)
        tables.append(out)
    return tables
