"""What the commands print and write: console, tables, progress bar, output files.

rich is imported inside the functions that draw (``ccsim --help`` needs none
of it); values are formatted by ``ccsim.report_table``, the same formatter as
the HTML report's tables.
"""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import click

from ..files import holds_other_than_html, not_a_page
from ..report_table import format_halfwidth, format_value, is_finite
from .status import InputError


def stdout_console():
    """Rich console on stdout; 80 columns when piped (readable anywhere). Text prints as it is:
    no markup and no emoji codes, so a scenario named "[red]north :phone:" keeps its brackets and
    colons (and the tables skip rich's markup parse of every cell)."""
    from rich.console import Console

    piped = not sys.stdout.isatty() and "COLUMNS" not in os.environ
    return Console(highlight=False, markup=False, emoji=False, width=80 if piped else None)


def table(title: str = "", columns=(), right=(), no_wrap=("KPI",)):
    """A rich table with ``columns``; those in ``right`` are right-aligned, those
    in ``no_wrap`` never wrapped (KPI names stay whole)."""
    from rich.table import Table

    out = Table(title=title or None, title_justify="left")
    for name in columns:
        out.add_column(name, justify="right" if name in right else "left", no_wrap=name in no_wrap)
    return out


def estimate(kpi: str, mean, ci_halfwidth) -> str:
    """'96.69 % ± 0.34 pp', or the mean alone when there is no CI."""
    if not is_finite(ci_halfwidth):
        return format_value(kpi, mean)
    return f"{format_value(kpi, mean)} {format_halfwidth(kpi, ci_halfwidth)}"


def kpi_table(summary: dict, definitions: dict, title: str = ""):
    """KPI | mean | ±95 % CI | definition, one row per KPI of ``summary``."""
    out = table(title, ("KPI", "mean", "± 95 % CI", "definition"), right=("mean", "± 95 % CI"))
    for name, row in summary.items():
        out.add_row(name, format_value(name, row["mean"]), format_halfwidth(name, row["ci_halfwidth"]),
                    definitions.get(name, ""))
    return out


# Queueing-formula results: (field of ErlangResult, label, kind, definition).
ERLANG_ROWS = (
    ("load", "offered load", "erlang", "arrival rate x mean handle time"),
    ("p_block", "P(blocked)", "rate", "Erlang B: calls finding every agent busy are lost"),
    ("p_wait", "P(wait)", "rate", "arriving call finds all agents busy"),
    ("p_abandon", "abandon rate", "rate", "abandoned / offered"),
    ("service_level", "service level", "rate", "answered within {T} s / offered"),
    ("asa", "ASA", "time", "mean wait of answered calls (zero waits included)"),
    ("mean_wait_all", "mean wait, all calls", "time", "abandoners' waits included"),
    ("occupancy", "occupancy", "rate", "mean busy agents / agents"),
    ("mean_queue", "mean queue length", "number", "mean number of calls waiting"),
)


def _format_metric(kind: str, x) -> str:
    """Rates in %, times in s, as in every KPI table; loads in Erlangs."""
    if not is_finite(x):
        return "n/a"
    if kind == "rate":
        return format_value("service_level", x)
    if kind == "time":
        return format_value("asa", x)
    if kind == "erlang":
        return f"{x:,.3f} Erl"
    return f"{x:,.3f}"


def erlang_table(metrics: dict, threshold, skip=(), meanings=None):
    """The metrics of a queueing formula, one row each (names as in ``ccsim.analytic``).

    ``meanings`` overrides the explanation of some rows (e.g. Erlang B's service level).
    """
    meanings = meanings or {}
    out = table("", ("metric", "value", "meaning"), right=("value",))
    for key, label, kind, meaning in ERLANG_ROWS:
        if key in metrics and key not in skip:
            text = meanings.get(key) or meaning.format(T=f"{threshold:g}" if threshold is not None else "T")
            out.add_row(label, _format_metric(kind, metrics[key]), text)
    return out


class progress_bar:
    """A rich progress bar on stderr (replications done, elapsed, ETA), or nothing.

    ``with progress_bar(enabled) as update:`` gives ``update(done, total)``, or
    None when disabled, ready to pass as a ``progress`` callback.
    """

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        self.bar = Progress(TextColumn("replications"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            TextColumn("ETA"), TimeRemainingColumn(), console=Console(stderr=True), transient=True)
        self.bar.start()
        task = self.bar.add_task("replications", total=None)

        def update(done, total):
            self.bar.update(task, completed=done, total=total)

        return update

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()


def show_progress(as_json: bool) -> bool:
    """A bar only for people watching a terminal, never into JSON output."""
    return not as_json and sys.stderr.isatty()


# ---------------------------------------------------------------- output files
def check_output_path(path: Path, option: str, inputs=(), folder: bool = False, what: str = "input scenario",
                      page: bool = False) -> None:
    """Refuse an output path that would destroy something: an input file of this
    run, or an existing thing that is not a regular file (a device, a folder
    where a file is meant; a file where a folder is meant); for an HTML report
    (``page``), an existing file that is not an HTML page.
    """
    path = Path(path)
    for source in inputs:  # a path, or (path, what it is)
        source, kind = source if isinstance(source, tuple) else (source, what)
        if _same_file(path, source):
            raise InputError(f"{option} {path} is the {kind} {source}; writing there would destroy it. "
                             "Choose another path.")
    if not os.path.lexists(path):
        _check_parent(path, option)
        return
    mode = os.stat(path).st_mode if os.path.exists(path) else 0
    if folder:
        if not stat.S_ISDIR(mode):
            raise InputError(f"{option} {path} exists and is not a folder; give a folder path (it is created "
                             "if needed)")
        return
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a device, a pipe or a broken link)"
        raise InputError(f"{option} {path} is {kind}; give the path of a file to write")
    if page and holds_other_than_html(path):
        raise InputError(f"{option} {not_a_page(path)}")


def _check_parent(path: Path, option: str) -> None:
    """A path to be created: the nearest thing above it that exists must be a folder this process
    may write into (checked before any output is written, so nothing is left half done)."""
    above = Path(os.path.abspath(path)).parent
    while not os.path.lexists(above) and above != above.parent:
        above = above.parent
    if not os.path.isdir(above):
        raise InputError(f"{option} {path}: {above} is a file, not a folder; give a path under a folder")
    try:  # the only sure test (access() says yes to root on a read-only mount): an unnamed file
        import tempfile

        tempfile.TemporaryFile(dir=above).close()
    except OSError as err:
        raise InputError(f"{option} {path}: the folder {above} cannot be written ({err.strerror or err}); "
                         "give a path under a folder you may write to") from None


def check_distinct(outputs) -> None:
    """Refuse two outputs of one command at one path (``outputs``: (option, path or None) pairs; a
    folder option's files as their own pairs): the second write would destroy the first, or, for
    a folder, fail after the work. Checked before the work, as ``check_output_path``."""
    seen = {}
    for option, path in outputs:
        if path is None:
            continue
        key = os.path.abspath(path)
        if key in seen:
            raise InputError(f"{option} {path} is also where {seen[key]} writes; give each output its own path")
        seen[key] = option


def input_file(spec) -> list:
    """``[Path(spec)]`` when ``spec`` (an option naming a file or a shipped name, as --mapping)
    is an existing file, else ``[]``: the inputs an output must not replace."""
    return [Path(spec)] if spec is not None and os.path.isfile(spec) else []


def check_folder_contents(folder: Path, names, option: str, inputs=()) -> None:
    """``check_output_path`` for each file a command writes into ``folder``."""
    for name in names:
        check_output_path(Path(folder) / name, f"{option} (file {name})", inputs)


def note_replaced(paths) -> None:
    """Say on stderr which existing files are about to be replaced."""
    for path in paths:
        if os.path.isfile(path):
            click.echo(f"note: replacing the existing {path}", err=True)


def make_folder(folder: Path, option: str) -> None:
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"{option}: cannot create the folder {folder}: {err.strerror or err}") from None


def write_csv(path: Path, frame, option: str) -> None:
    """A DataFrame as CSV (pandas), atomically; a failed write names the path and the option."""
    _write(path, lambda handle: frame.to_csv(handle, index=False), option)


def write_json(path: Path, obj, option: str) -> None:
    """``obj`` as strict JSON (NaN becomes null), atomically."""
    from ..jsonio import to_json

    _write(path, lambda handle: handle.write(to_json(obj) + "\n"), option)


def _write(path: Path, write, option: str) -> None:
    from ..files import write_text_atomic

    try:
        write_text_atomic(path, write)
    except OSError as err:  # read-only folder, full disk: a WriteError naming the path and what to do
        raise InputError(f"{option}: {err}") from None


def _same_file(a, b) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


# ---------------------------------------------------------------- run budget
_SIZE_UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
               "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


class _Amount(click.ParamType):
    """A positive number, optionally with a size unit (memory) — ``2e8``, ``500M``, ``8GiB``."""

    def __init__(self, name: str, units: bool):
        self.name, self.units = name, units

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)):
            return value
        text = str(value).strip()
        number = text.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        unit = text[len(number):].strip().lower()
        try:
            amount = float(number.replace("_", "").replace(",", ""))
        except ValueError:
            amount = float("nan")
        if (unit and (not self.units or unit not in _SIZE_UNITS)) or not amount > 0 or amount == float("inf"):
            hint = " with an optional unit (500M, 8G, 4GiB)" if self.units else ""
            self.fail(f"{value!r} is not a positive number{hint}", param, ctx)
        return amount * _SIZE_UNITS[unit]


def budget_options(func):
    """--max-calls and --max-memory: the run budget of each replication (``ccsim.budget``)."""
    from ..budget import DEFAULT_MAX_CALLS, DEFAULT_MAX_MEMORY

    options = [
        click.option("--max-calls", type=_Amount("calls", units=False), default=None, metavar="N",
                     help=f"Refuse a replication expected to simulate more calls than this "
                          f"(default {DEFAULT_MAX_CALLS:,}), before it starts."),
        click.option("--max-memory", type=_Amount("bytes", units=True), default=None, metavar="SIZE",
                     help=f"Refuse a run whose estimated memory exceeds this (a replication; with the "
                          f"replications it keeps and its reports where it keeps them), and stop one whose queue "
                          f"grows past it (default {DEFAULT_MAX_MEMORY / 2**30:g} GiB; e.g. 500M, 8GiB)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func
