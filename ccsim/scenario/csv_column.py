"""One numeric column of a CSV file, for empirical distributions.

Messages name the file, the column and the row, and quote at most the one
offending cell: a scenario may point at any file (``/etc/passwd``), and an error
must not become a way to read it.
"""
from __future__ import annotations

import csv
import difflib
import io
import math
import re
from pathlib import Path

from . import limits as L

MAX_CSV_BYTES = 64 * 1024 * 1024
_NAME_LIKE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_ .\-]{0,63}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SPECIAL = re.compile(r"[+-]?(?:inf|infinity|nan)", re.IGNORECASE)  # numbers, out of every range


def read_csv_column(path: Path, column: str) -> list[float]:
    """The numbers of one CSV column (each >= 0 and at most ``MAX_SECONDS``); ``ValueError`` names the row."""
    header, rows = read_rows(path, f"a header row naming column '{column}'")
    index = column_index(path, header, column)
    values = []
    for line, row in rows:
        if len(values) >= L.MAX_LIST_VALUES:
            raise ValueError(f"{path}: column '{column}' has more than {L.MAX_LIST_VALUES:,} values, "
                             "the limit of an empirical distribution")
        values.append(_cell(path, column, row, index, line))
    if not values:
        raise ValueError(f"{path}: column '{column}' has no values (only the header row)")
    return values


def read_rows(path: Path, expected: str):
    """(header, rows) of the CSV file at ``path``: ``rows`` yields (line, cells) of each row that
    is not blank. Every problem (missing, unreadable, binary, not CSV, empty) is a ``ValueError``
    naming the file and line; ``expected`` says what the header row should hold."""
    reader = csv.reader(io.StringIO(_read_text(path), newline=""))
    try:
        header = next(reader, None)
    except csv.Error as err:
        raise ValueError(f"{path}, line {reader.line_num}: not readable as CSV ({err})") from None
    if header is None:
        raise ValueError(f"{path}: the CSV file is empty (expected {expected})")
    return header, _data_rows(path, reader, len(header))


def _data_rows(path: Path, reader, width: int):
    """The rows that are not blank; a row with more cells than the header (``width``) is refused,
    unless the extra cells are empty: ``12,5`` (a decimal comma) or ``1,234`` (a thousands
    separator) would otherwise be read as 12 and 1."""
    try:
        for row in reader:
            if len(row) > width and any(cell.strip() for cell in row[width:]):
                raise ValueError(f"{path}, line {reader.line_num}: {len(row)} cells, but the header row has "
                                 f"{width}: a decimal comma (12,5) or a thousands separator (1,234)? Write numbers "
                                 "with a decimal point and no separator")
            if row:  # not a blank line
                yield reader.line_num, row
    except csv.Error as err:
        raise ValueError(f"{path}, line {reader.line_num}: not readable as CSV ({err})") from None


def shown(text: str) -> str:
    """A cell's text for a message: at most 40 characters."""
    return text if len(text) <= 40 else text[:40] + "…"


def cell_text(path: Path, row: list[str], line: int, index: int, column: str) -> str:
    """The stripped text of a row's cell; ``ValueError`` if the row is too short for it."""
    if index >= len(row):
        raise ValueError(f"{path}, line {line}: column '{column}' is missing (the row has {len(row)} "
                         f"cell{'s' if len(row) != 1 else ''})")
    return row[index].strip()


def _read_text(path: Path) -> str:
    if not path.exists():
        raise ValueError(f"CSV file not found: {path}")
    if not path.is_file():
        raise ValueError(f"CSV path {path} is not a file")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CSV_BYTES + 1)
    except OSError as err:
        raise ValueError(f"cannot read the CSV file {path} ({err.strerror or type(err).__name__})") from None
    if len(data) > MAX_CSV_BYTES:
        raise ValueError(f"CSV file {path} is larger than the limit of {MAX_CSV_BYTES:,} bytes")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise ValueError(f"{path} is not a CSV text file: binary data (a NUL byte at byte {nul}, line {line})")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise ValueError(f"{path} is not a CSV text file: byte {err.start} (line {line}) is not valid UTF-8") from None


def column_index(path: Path, header: list[str], column: str) -> int:
    """The index of ``column`` in ``header``; else a ``ValueError`` that quotes no header cell but a
    close name (the file may be any file)."""
    names = [h.strip() for h in header]
    if column in names:
        return names.index(column)
    # Quote no header cell, except one that looks like a column name and like what was asked for.
    close = [n for n in difflib.get_close_matches(column, names, n=1, cutoff=0.6) if _NAME_LIKE.fullmatch(n)]
    hint = f"; did you mean '{close[0]}'?" if close else ""
    count = f"{len(names)} column{'s' if len(names) != 1 else ''}"
    raise ValueError(f"column '{column}' not in the header row of {path} ({count}){hint}")


def number_cell(path: Path, row: list[str], line: int, index: int, column: str, high: float,
                what: str = "a number", bounds: str = "") -> float:
    """A cell's number, >= 0 and at most ``high``; ``ValueError`` naming the file, line and column.

    Plain decimal notation only (``12``, ``-3.5``, ``.5``, ``1e3``; ``inf`` and ``nan`` fail on
    the range): Python's ``float`` also takes ``1_000`` and digits of other scripts (``١٢``), which
    no spreadsheet writes and which are more likely a slip than a number."""
    text = cell_text(path, row, line, index, column)
    if not (_DECIMAL.fullmatch(text) or _SPECIAL.fullmatch(text)):
        raise ValueError(f"{path}, line {line}: column '{column}' holds {shown(text)!r}, expected {what}")
    value = float(text)
    if not (math.isfinite(value) and 0 <= value <= high):
        raise ValueError(f"{path}, line {line}: column '{column}' holds {shown(text)}, expected "
                         + (bounds or f"a finite number >= 0 and at most {high:g}"))
    return value


def _cell(path: Path, column: str, row: list[str], index: int, line: int) -> float:
    return number_cell(path, row, line, index, column, L.MAX_SECONDS,
                       bounds=f"a finite number >= 0 and at most {L.MAX_SECONDS:g} (seconds)")
