"""Read a call log (one row per call) through a column mapping into a ``CallLog``.

Everything is vectorised (pandas): the bank log's 33,344 rows read in well under a second.
Each line of the file is one row (a quote is an ordinary character: see ``_table``). No row is
dropped silently: a row that cannot be used is in ``CallLog.excluded`` with its
row number (the line of the file; the header is line 1) and the reason, and
``CallLog.exclusion_summary()`` counts them by reason. A mapping that does not fit the log
(a column it does not have, a time format that parses none of its values) is a
``MappingError`` naming the mapping's field and the first row concerned.

Times become seconds from the midnight of the log's first day (``origin``). With a date
column, a stage time earlier than the call's arrival (by at most 12 hours) belongs to the
next day: a call across midnight.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..scenario import limits as L
from .mapping import SECONDS, TIME_FIELDS, Mapping, format_directives, load_mapping

DAY = 86400.0
# The most days a log may span: the fit keeps a few per-second arrays over the whole span (about
# 1.5 GB at a year); a row dated decades off (a typo) asked for tens of GB.
MAX_LOG_DAYS = L.MAX_LOG_DAYS
# The most days in a row without a call (a week's closure): more is most often a row dated wrong,
# which would make the fit average over the empty days.
MAX_EMPTY_DAYS = 7
# (reason, stage start field, stage end field) for the "ends before it starts" checks
_STAGES = (("ivr", "ivr_entry", "ivr_exit"), ("queue", "queue_entry", "queue_exit"),
           ("service", "service_start", "service_end"))


class LogError(UserError):
    """A log file that cannot be read at all (missing, empty, not a table)."""


@dataclass
class CallLog:
    """The kept calls of a log, the excluded rows and why, and where the times start.

    ``calls`` has one row per kept call: ``row`` (line in the file), ``call_id``,
    ``call_type``, ``priority``, ``agent`` (missing when nobody), ``outcome`` (``served``,
    ``abandoned`` in the queue, or ``ivr_abandoned``: hung up before reaching the queue),
    every mapped time field in seconds from ``origin`` (NaN when the stage did not happen),
    ``day`` (0 = the first day), ``weekday`` (0 = Monday), ``time_of_day`` (s), ``queued``,
    ``wait`` (s in the queue; 0 for a call served at once), ``handle`` and ``ivr_time`` (s).
    ``excluded`` has ``row``, ``reason`` and ``detail``.
    """

    calls: "object"
    excluded: "object"
    origin: "object"            # pandas Timestamp of time 0 (None for a log in plain seconds)
    source: str
    rows: int                   # data rows in the file
    mapping: Mapping
    notes: tuple = ()           # facts worth reporting that are not exclusions

    def exclusion_summary(self) -> dict:
        """Reason -> number of rows excluded for it, largest first."""
        return {k: int(v) for k, v in self.excluded["reason"].value_counts().items()}

    @property
    def days(self) -> int:
        """Days the log covers (from the first day to the last, inclusive)."""
        return int(self.calls["day"].max()) + 1 if len(self.calls) else 0


def read_log(path, mapping) -> CallLog:
    """Read the log file ``path`` with ``mapping`` (a ``Mapping``, a file or a shipped name)."""
    mapping = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    path = Path(path)
    if path.exists() and not path.is_dir() and not path.is_file():  # (reading a FIFO would wait forever)
        raise LogError(f"log {path}: not a regular file (a FIFO, a device or a socket): give the log as a file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LogError(f"log {path}: no such file") from None
    except OSError as err:  # a folder, no permission
        raise LogError(f"log {path}: cannot be read: {err.strerror or err}") from None
    raw, lines = _table(data, mapping.separator, path)
    _check_columns(raw, mapping, path)
    return _build(raw, mapping, str(path), lines)


def _table(data: bytes, separator: str, path):
    """(the log's cells as text, under its header's names; the file line of each row) of the bytes
    of a log file.

    One row per line: a call log has no quoting convention, so a quote is an ordinary character
    (pandas' quoting made two stray quotes swallow every row between them), and a line is never
    joined to the next. Lines end with LF, CRLF or CR; the header is the first line that is not
    empty, and later empty lines are skipped (not rows), keeping every row's line number. A row
    with more cells than the header is refused, unless the extra cells are empty (a separator at
    the end of the line)."""
    import csv
    import io

    import pandas as pd

    data = data[3:] if data.startswith(b"\xef\xbb\xbf") else data  # (a UTF-8 byte order mark)
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise LogError(f"log {path}, line {line}: byte 0x{data[err.start]:02x} is not UTF-8 (save the log as "
                       "UTF-8)") from None
    buf = np.frombuffer(data, np.uint8)
    ends = np.flatnonzero(buf == 10)
    count = len(ends) + (len(data) > 0 and not data.endswith(b"\n"))
    starts = np.concatenate(([0], ends + 1))[:count]
    empty = np.append(ends, len(data))[:count] == starts
    if separator.isascii():
        cuts = np.bincount(np.searchsorted(ends, np.flatnonzero(buf == ord(separator))), minlength=count)[:count]
    else:
        cuts = np.array([line.count(separator) for line in text.split("\n")[:count]], dtype=np.int64)
    del text
    if empty.all():
        raise LogError(f"log {path}: not a table with separator {separator!r}: the file is empty")
    header = int(np.argmax(~empty))
    width = int(cuts.max()) + 1
    try:
        cells = pd.read_csv(io.BytesIO(data), sep=separator, header=None, names=list(range(width)), dtype=str,
                            keep_default_na=False, na_filter=False, quoting=csv.QUOTE_NONE,
                            skip_blank_lines=False, index_col=False, encoding="utf-8",
                            engine="c" if separator.isascii() else "python")  # (c: one byte)
    except (pd.errors.ParserError, ValueError) as err:
        raise LogError(f"log {path}: not a table with separator {separator!r}: {str(err)[:300]}") from None
    cells = cells.fillna("")  # (the python engine pads short rows with NaN)
    if len(cells) != count:  # (one row per line: anything else is a reading this function does not know)
        raise LogError(f"log {path}: not a table with separator {separator!r}: {len(cells):,} rows read from "
                       f"{count:,} lines")
    names = int(cuts[header]) + 1
    keep = ~empty
    keep[:header + 1] = False
    if width > names:
        extra = cells.iloc[:, names:].apply(lambda c: c.str.strip() != "").any(axis=1).to_numpy() & keep
        if extra.any():
            k = int(np.argmax(extra))
            raise LogError(f"log {path}, line {k + 1}: {int(cuts[k]) + 1} cells, but the header (line {header + 1}) "
                           f"has {names}: a separator {separator!r} inside a value, or a column missing from the "
                           "header?")
    raw = cells.iloc[np.flatnonzero(keep), :names].reset_index(drop=True)
    raw.columns = _unique([str(c).strip() for c in cells.iloc[header, :names]])
    return raw, np.flatnonzero(keep) + 1


def _unique(names: list) -> list:
    """Header names, a repeated one numbered as pandas does (``q``, ``q.1``)."""
    seen, out = {}, []
    for name in names:
        k = seen.get(name, 0)
        seen[name] = k + 1
        out.append(name if not k else f"{name}.{k}")
    return out


def _check_columns(raw, mapping: Mapping, path):
    have = list(raw.columns)
    hint = ""
    if len(have) == 1:
        found = [s for s in ("\t", ";", "|", ",") if s in have[0]]
        hint = f"; its header holds {found[0]!r}: set separator" if found else ""
    shown = ", ".join(c[:40] for c in have[:30]) + (f", ... ({len(have)} in all)" if len(have) > 30 else "")
    for field, column in mapping.columns.items():
        if column not in have:
            raise mapping.fail(f"columns.{field}", f"the log {path} has no column {column!r} (its columns: "
                                                   f"{shown[:600]}{hint})")
    if mapping.date_column is not None and mapping.date_column not in have:
        raise mapping.fail("date.column", f"the log {path} has no column {mapping.date_column!r}")


def _build(raw, mapping: Mapping, source: str, rows) -> CallLog:
    import pandas as pd

    n = len(raw)
    reasons = np.full(n, "", dtype=object)
    details = np.full(n, "", dtype=object)

    def exclude(mask, reason, detail=""):
        new = mask & (reasons == "")
        reasons[new] = reason
        details[new] = detail if isinstance(detail, str) else detail[new]

    text = {f: raw[c].str.strip() for f, c in mapping.columns.items() if f not in TIME_FIELDS}
    outcome = _outcomes(text["outcome"].to_numpy(), mapping)
    exclude(outcome == "phantom", "phantom call")
    exclude(outcome == "", "unknown outcome", "outcome " + text["outcome"].to_numpy().astype(object))
    day_seconds, origin = _dates(raw, mapping, exclude, rows)
    values = {f: raw[c].str.strip() for f, c in mapping.columns.items() if f in TIME_FIELDS}
    stamps = _stamps(values, mapping)
    # without a date column every time column counts from one origin: the arrivals' first midnight
    first = None if stamps is None or mapping.date_column is not None else stamps[mapping.arrival].min()
    midnight = None if first is None or pd.isna(first) else first.normalize()
    if midnight is not None:  # (the cells carry the dates: the first day's, hence its weekday)
        origin = midnight
    times = {f: _times(v, f, mapping, rows, exclude, None if stamps is None else stamps[f], midnight)
             for f, v in values.items()}
    times = {f: t + day_seconds for f, t in times.items()}
    arrival = times[mapping.arrival]
    exclude(np.isnan(arrival), "no arrival time", f"{mapping.columns[mapping.arrival]} empty")
    if mapping.date_column is not None:
        _roll_midnight(times, arrival)
    _check_stages(times, exclude, mapping)
    queued = ~np.isnan(times["queue_entry"]) if "queue_entry" in times else np.zeros(n, bool)
    outcome = _ivr_abandons(outcome, queued, mapping)
    _check_outcomes(outcome, times, exclude, mapping)

    keep = reasons == ""
    calls = pd.DataFrame({"row": rows})
    for field in ("call_id", "call_type", "priority", "agent"):
        calls[field] = text[field].to_numpy() if field in text else ""
    if "agent" in text:
        calls["agent"] = calls["agent"].where(~calls["agent"].isin(set(mapping.no_agent) | {""}))
    calls["outcome"] = outcome
    for field, t in times.items():
        calls[field] = t
    calls["arrival"] = arrival
    calls["queued"] = queued
    calls = calls[keep].reset_index(drop=True)
    _check_span(calls, origin, source, mapping)  # (before any day number: a time of 1e308 s overflows it)
    _derive(calls, times, 0 if origin is None else origin.weekday())
    _check_gaps(calls, origin, source)
    excluded = pd.DataFrame({"row": rows[~keep], "reason": reasons[~keep], "detail": details[~keep]})
    return CallLog(calls=calls, excluded=excluded, origin=origin, source=source, rows=n, mapping=mapping,
                   notes=_notes(calls))


def _check_span(calls, origin, source: str, mapping: Mapping) -> None:
    """A log spanning more than MAX_LOG_DAYS days is refused, naming its first and last calls (most
    often a row whose date or time is off by years); so is a stage time that far from the origin
    (a service end of 1e308 s), naming its row and column."""
    if not len(calls):
        return
    arrival = calls["arrival"].to_numpy()
    days = np.floor(arrival.max() / DAY) + 1
    if days > MAX_LOG_DAYS:
        first, last = calls.loc[calls["arrival"].idxmin()], calls.loc[calls["arrival"].idxmax()]
        raise LogError(f"log {source}: its calls span {_count(days)} days, from row {int(first['row'])} "
                       f"({_when(origin, first['arrival'])}) to row {int(last['row'])} "
                       f"({_when(origin, last['arrival'])}): more than {MAX_LOG_DAYS} days; "
                       "a date or time off by years? Fix the row, or fit a shorter stretch of the log")
    for field in TIME_FIELDS:
        if field in calls and field != "arrival":
            t = calls[field].to_numpy()
            far = t > arrival + MAX_LOG_DAYS * DAY  # (NaN: the stage did not happen)
            if far.any():
                i = int(np.argmax(far))
                raise LogError(f"log {source}, row {int(calls['row'].iloc[i])}: {mapping.columns[field]} "
                               f"({_when(origin, t[i])}) is more than {MAX_LOG_DAYS} days after the call's "
                               f"arrival ({_when(origin, arrival[i])}): a time off by years? Fix the row")


def _check_gaps(calls, origin, source: str) -> None:
    """More than MAX_EMPTY_DAYS days in a row without a call is refused, naming the rows on the
    smaller side of the gap: most often a row whose date is off by weeks or months, which made the
    fit average its arrivals and staffing over the empty days (a week's closure is allowed)."""
    if not len(calls):
        return
    days = np.unique(calls["day"].to_numpy())
    empty = np.diff(days) - 1
    if not (empty > MAX_EMPTY_DAYS).any():
        return
    k = int(np.argmax(empty))  # the longest gap
    before, after = calls[calls["day"] <= days[k]], calls[calls["day"] >= days[k + 1]]
    last, first = before.loc[before["arrival"].idxmax()], after.loc[after["arrival"].idxmin()]
    side, where = (after, "after") if len(after) <= len(before) else (before, "before")
    rows = sorted(int(r) for r in side["row"])
    shown = ", ".join(str(r) for r in rows[:5]) + (f", ... ({len(rows):,} rows)" if len(rows) > 5 else "")
    raise LogError(f"log {source}: no call for {int(empty[k]):,} days, from row {int(last['row'])} "
                   f"({_when(origin, last['arrival'])}) to row {int(first['row'])} ({_when(origin, first['arrival'])}); "
                   f"the {len(rows):,} call{'s' if len(rows) != 1 else ''} {where} the gap (row{'s' if len(rows) != 1 else ''} "
                   f"{shown}) dated wrong? A fit averages over every day of the span, so the empty days would dilute "
                   "its arrivals and staffing: fix or remove those rows, or fit each stretch as a log of its own")


def _count(days: float) -> str:
    return f"{days:,.0f}" if days < 1e12 else f"{days:.3g}"


def _when(origin, seconds: float) -> str:
    """A time of the log: its date (with dates), else its seconds from the origin."""
    import pandas as pd

    if origin is not None and abs(seconds) < 1e10:
        try:
            return str((origin + pd.Timedelta(seconds=float(seconds))).date())
        except (OverflowError, ValueError):  # (beyond a timestamp's range: year 2262)
            pass
    return f"{seconds:,.0f} s" if abs(seconds) < 1e15 else f"{seconds:.6g} s"


def _outcomes(values, mapping: Mapping):
    out = np.full(len(values), "", dtype=object)
    for kind, listed in mapping.outcomes.items():
        out[np.isin(values, listed)] = kind
    return out


def _dates(raw, mapping: Mapping, exclude, rows):
    """Seconds from the first day's midnight to each row's midnight, and that first midnight."""
    import pandas as pd

    n = len(raw)
    if mapping.date_column is None:
        return np.zeros(n), None
    values = raw[mapping.date_column].str.strip()
    dates = pd.to_datetime(values, format=mapping.date_format, errors="coerce")
    bad = dates.isna().to_numpy()
    if bad.all() and n:
        raise mapping.fail("date.format", f"{mapping.date_format!r} parses no date of column "
                                          f"{mapping.date_column!r} (row {rows[0]}: {values.iloc[0]!r})")
    exclude(bad, "unparsable date", f"{mapping.date_column} " + values.to_numpy().astype(object))
    origin = dates.min().normalize() if (~bad).any() else None
    seconds = ((dates.dt.normalize() - origin).dt.total_seconds()).to_numpy() if origin is not None else np.zeros(n)
    return np.nan_to_num(seconds), origin


def _stamps(values: dict, mapping: Mapping):
    """Each time column's values as timestamps (NaT where unparsable), or None for plain seconds.

    With UTC offsets (``%z``), which may change within the log (a DST change), every time of a
    call is on the local clock of its arrival: its instant plus the arrival's offset. The arrival
    keeps the time of day the center lived it, and durations are true elapsed times."""
    import pandas as pd

    fmt = mapping.time_format
    if fmt == SECONDS:
        return None
    if "z" not in format_directives(fmt):
        return {f: pd.to_datetime(v, format=fmt, errors="coerce") for f, v in values.items()}
    offset = _utc_offsets(values[mapping.arrival], fmt)
    shift = pd.to_timedelta(np.nan_to_num(offset), unit="s")
    out = {}
    for f, v in values.items():
        instants = pd.to_datetime(v, format=fmt, errors="coerce", utc=True).dt.tz_localize(None)
        out[f] = instants + shift
    out[mapping.arrival] = out[mapping.arrival].where(~np.isnan(offset))
    return out


def _utc_offsets(values, fmt: str):
    """The UTC offset (s) of each value of a time column in format ``fmt`` (with ``%z``); NaN
    where it does not parse."""
    import pandas as pd

    try:
        local = pd.to_datetime(values, format=fmt, errors="coerce")
    except ValueError:  # offsets that differ: each distinct value parsed on its own
        from datetime import datetime

        def offset(text):
            try:
                return datetime.strptime(text, fmt).utcoffset().total_seconds()
            except (ValueError, TypeError, AttributeError):
                return np.nan

        distinct = pd.unique(values)
        known = dict(zip(distinct, map(offset, distinct)))
        return values.map(known).to_numpy(dtype=float, na_value=np.nan)
    if getattr(local.dt, "tz", None) is None:  # (no value parsed)
        return np.full(len(values), np.nan)
    utc = local.dt.tz_convert("UTC").dt.tz_localize(None)
    return (local.dt.tz_localize(None) - utc).dt.total_seconds().to_numpy(dtype=float, na_value=np.nan)


def _times(values, field, mapping: Mapping, rows, exclude, stamps, midnight):
    """A time column in seconds (of the day with a date column, else from ``midnight``, the first
    midnight of the arrivals, shared by every time column; from 0 for plain seconds)."""
    import pandas as pd

    missing = values.isin(set(mapping.missing_times) | {""}).to_numpy()
    if stamps is None:
        parsed = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    elif mapping.date_column is not None:
        parsed = (stamps - stamps.dt.normalize()).dt.total_seconds().to_numpy(dtype=float, na_value=np.nan)
    else:  # (no arrival parses: the arrival column's own check below says so)
        start = stamps.min().normalize() if midnight is None and stamps.notna().any() else midnight
        parsed = (stamps - start).dt.total_seconds().to_numpy(dtype=float, na_value=np.nan) \
            if start is not None else np.full(len(values), np.nan)
    bad = ~np.isfinite(parsed) & ~missing  # "inf" is a number to pandas, not a time
    if bad.any() and bad.sum() == (~missing).sum():
        i = int(np.argmax(bad))
        raise mapping.fail(f"columns.{field}", f"time_format {mapping.time_format!r} parses no value of column "
                                               f"{mapping.columns[field]!r} (row {rows[i]}: {values.iloc[i]!r})")
    column = mapping.columns[field]
    exclude(bad, "unparsable time", f"{column} " + values.to_numpy().astype(object))
    exclude(~np.isnan(parsed) & (parsed < 0), "negative time", f"{column} " + values.to_numpy().astype(object))
    parsed = np.where(missing, np.nan, parsed)
    return parsed


def _roll_midnight(times, arrival):
    """A stage time before the arrival (within 12 h) is on the next day."""
    for field, t in times.items():
        before = t < arrival
        roll = before & (t + DAY - arrival <= DAY / 2)
        t[roll] += DAY


def _check_stages(times, exclude, mapping):
    for stage, start, end in _STAGES:
        if start in times and end in times:
            a, b = times[start], times[end]
            exclude(b < a, "end before start", f"{mapping.columns[end]} before {mapping.columns[start]}")
            exclude(np.isnan(a) != np.isnan(b), "half a stage",
                    f"only one of {mapping.columns[start]}, {mapping.columns[end]}")


def _ivr_abandons(outcome, queued, mapping):
    """An abandon that never reached the queue hung up in the IVR (when the log has queue times)."""
    if "queue_entry" not in mapping.columns:
        return outcome
    outcome = outcome.copy()
    outcome[(outcome == "abandoned") & ~queued] = "ivr_abandoned"
    return outcome


def _check_outcomes(outcome, times, exclude, mapping):
    if "service_start" in times:
        exclude((outcome == "served") & np.isnan(times["service_start"]), "served without a service time",
                f"{mapping.columns['service_start']} empty")
        exclude((outcome != "served") & ~np.isnan(times["service_start"]), "service time on an unserved call",
                f"{mapping.columns['service_start']} given")
    if "queue_exit" in times:
        exclude((outcome == "abandoned") & np.isnan(times["queue_exit"]), "abandoned without a queue exit",
                f"{mapping.columns['queue_exit']} empty")


def _derive(calls, times, first_weekday: int):
    """Day, weekday, time of day, wait, handle and IVR time of the kept calls."""
    arrival = calls["arrival"].to_numpy()
    calls["day"] = (arrival // DAY).astype(int)
    calls["time_of_day"] = arrival - calls["day"] * DAY
    calls["weekday"] = (calls["day"] + first_weekday) % 7  # 0 = Monday (the first day's, without dates)
    wait = np.zeros(len(calls))
    if "queue_entry" in times and "queue_exit" in times:
        q = calls["queued"].to_numpy()
        wait[q] = (calls["queue_exit"] - calls["queue_entry"]).to_numpy()[q]
    elif "service_start" in times:
        wait = np.where(calls["outcome"] == "served", calls["service_start"] - arrival, np.nan)
    calls["wait"] = wait
    if "service_start" in times and "service_end" in times:
        calls["handle"] = calls["service_end"] - calls["service_start"]
    if "ivr_entry" in times and "ivr_exit" in times:
        calls["ivr_time"] = calls["ivr_exit"] - calls["ivr_entry"]


def _notes(calls) -> tuple:
    served = calls["outcome"] == "served"
    nobody = int((served & calls["agent"].isna()).sum()) if "agent" in calls else 0
    notes = (f"{nobody} served calls name no agent (kept: their handle times count, not the staffing)",) \
        if nobody else ()
    return notes + _copies(calls)


def _copies(calls) -> tuple:
    """A note when kept calls are copies of earlier ones, every mapped field alike (a log written
    twice, or pasted into itself, doubled its arrivals and staffing without a word)."""
    copies = calls.drop(columns=["row"]).duplicated(keep="first")
    n = int(copies.sum())
    if not n:
        return ()
    rows = calls.loc[copies, "row"].astype(int).tolist()
    shown = ", ".join(str(r) for r in rows[:5]) + (", ..." if n > 5 else "")
    return (f"{n:,} call{'s are' if n != 1 else ' is'} alike in every field to an earlier one (row{'s' if n != 1 else ''} "
            f"{shown}): a log written twice? Each counts as a call; remove the copies if they are",)


__all__ = ["CallLog", "LogError", "read_log"]
