"""Recorded arrival times (one row per call) read from a CSV file, for replayed arrivals.

Like ``csv_column``, messages name the file and the line and quote at most the
one offending cell. Times are seconds from the start of the run, each >= 0, in
a column sorted in time order (equal times are several calls at one instant);
``call_type_column`` and ``value`` keep only the rows of one call type.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from . import limits as L
from .csv_column import column_index, cell_text, number_cell, read_rows


def read_replay_csv(path: Path, column: str, call_type_column: Optional[str] = None,
                    value: Optional[str] = None) -> tuple[list[float], list[int]]:
    """(times, CSV line of each time) of the rows kept; ``ValueError`` names the file and line.

    Rows are kept when ``call_type_column`` is absent, or when its cell (stripped)
    equals ``value``. Rows must be sorted by time: the first row out of order is named.
    """
    header, rows = read_rows(path, f"a header row naming column '{column}'")
    index = column_index(path, header, column)
    kind = None if call_type_column is None else column_index(path, header, call_type_column)
    times, lines = [], []
    for line, row in rows:
        if kind is not None and cell_text(path, row, line, kind, call_type_column) != value:
            continue
        if len(times) >= L.MAX_REPLAY_CALLS:
            raise ValueError(f"{path}, line {line}: more than {L.MAX_REPLAY_CALLS:,} recorded calls to "
                             "replay, the limit of one replay")
        t = number_cell(path, row, line, index, column, L.MAX_SECONDS, "a time in seconds",
                        f"a time >= 0 and at most {L.MAX_SECONDS:g} seconds")
        if times and t < times[-1]:
            raise ValueError(f"{path}, line {line}: time {t:g} is earlier than the row before (line "
                             f"{lines[-1]}, {times[-1]:g}); recorded calls must be sorted by time")
        times.append(t)
        lines.append(line)
    if not times:
        which = (f" whose column '{call_type_column}' is {value!r}" if call_type_column is not None
                 else "")
        raise ValueError(f"{path}: no recorded calls to replay: no row{which} after the header row")
    return times, lines


