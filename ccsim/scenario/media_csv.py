"""A media schedule (airings) read from a CSV file with columns time, channel, spend and grp.

Like ``csv_column``, messages name the file and the line and quote at most the
one offending cell. ``grp`` is optional (a column that may be absent, or a cell
that may be empty); rows must be sorted by time, as a media plan exported from
a spreadsheet is, so that a shuffled export is caught rather than silently used.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

from . import limits as L
from .csv_column import column_index, cell_text, number_cell, read_rows

REQUIRED = ("time", "channel", "spend")


def read_airings_csv(path: Path, channels: dict, start_count: int = 0) -> list[tuple[dict, int]]:
    """The airings of a CSV file as (fields, line) pairs; ``ValueError`` names the file and line.

    ``channels``: channel name -> unit ("spend" or "grp"), to check each row's
    channel and that a GRP channel's row has its grp. ``start_count``: airings
    already given inline (the cap ``MAX_AIRINGS`` is on all of them together).
    """
    header, data = read_rows(path, "a header row: time, channel, spend, grp")
    index = {name: column_index(path, header, name) for name in REQUIRED}
    names = [h.strip() for h in header]
    grp_index = names.index("grp") if "grp" in names else None
    rows, previous = [], -math.inf
    for line, row in data:
        if start_count + len(rows) >= L.MAX_AIRINGS:
            raise ValueError(f"{path}, line {line}: more than {L.MAX_AIRINGS:,} airings in the schedule "
                             "(inline and CSV together), the limit")
        fields = _row(path, row, line, index, grp_index, channels)
        if fields["time"] < previous:
            raise ValueError(f"{path}, line {line}: time {fields['time']:g} is earlier than the row before "
                             f"({previous:g}); airings must be sorted by time")
        previous = fields["time"]
        rows.append((fields, line))
    if not rows:
        raise ValueError(f"{path}: no airings (only the header row): an empty schedule")
    return rows


def _row(path, row, line, index, grp_index, channels) -> dict:
    channel = cell_text(path, row, line, index["channel"], "channel")
    if channel not in channels:
        shown = channel if len(channel) <= 40 else channel[:40] + "…"
        raise ValueError(f"{path}, line {line}: channel {shown!r} is not defined in media.channels "
                         f"(channels: {', '.join(sorted(channels))})")
    fields = {"time": number_cell(path, row, line, index["time"], "time", L.MAX_SECONDS),
              "channel": channel,
              "spend": number_cell(path, row, line, index["spend"], "spend", L.MAX_AMOUNT)}
    grp: Optional[float] = None
    if grp_index is not None and grp_index < len(row) and row[grp_index].strip():
        grp = number_cell(path, row, line, grp_index, "grp", L.MAX_AMOUNT)
    if grp is None and channels[channel] == "grp":
        raise ValueError(f"{path}, line {line}: channel '{channel}' counts in grp, so its airings need a grp "
                         "(the column is missing or the cell is empty)")
    if grp is not None:
        fields["grp"] = grp
    return fields


