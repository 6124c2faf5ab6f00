"""Call logs that are damaged or unusual (from an audit of the readers): every one is either read
right or refused with a message naming the file, the line and the field, never read wrong in
silence, never an internal error nor a hang. The logs are small and built here (tmp_path)."""
from __future__ import annotations

import datetime as dt

import pytest
import yaml
from click.testing import CliRunner
from factories import SMALL_YAML

from ccsim.calllog import LogError, MappingError, read_log
from ccsim.calllog.mapping import mapping_from_dict
from ccsim.cli import cli

HEADER = "id,type,arrival,start,end,outcome,agent"
DT = {"name": "gen", "separator": ",", "time_format": "%Y-%m-%d %H:%M:%S", "missing_times": [""],
      "columns": {"call_id": "id", "call_type": "type", "arrival": "arrival", "service_start": "start",
                  "service_end": "end", "outcome": "outcome", "agent": "agent"},
      "outcomes": {"served": ["AGENT"], "abandoned": ["HANG"]}}
MONDAY = dt.datetime(2024, 3, 4)


def make_calls(days=3, per_day=12, first=MONDAY, hang_days=()):
    """Calls of ``days`` days from ``first``: (id, arrival, wait, handle, served); every fourth one,
    and every call of a day in ``hang_days``, hangs up."""
    out = []
    for d in range(days):
        for k in range(per_day):
            arrival = first + dt.timedelta(days=d, hours=8, minutes=37 * k)
            served = k % 4 != 3 and d not in hang_days
            out.append((len(out) + 1, arrival, 10 + k, 60 + 11 * k, served))
    return out


def write_log(path, calls, fmt="%Y-%m-%d %H:%M:%S", offset=None):
    """``calls`` as a CSV log of full timestamps in ``fmt``; ``offset(arrival) -> '+0200'`` appends
    each call's UTC offset to its three times."""
    def stamp(t, arrival):
        return t.strftime(fmt) + (offset(arrival) if offset else "")

    lines = [HEADER]
    for i, arrival, wait, handle, served in calls:
        start = arrival + dt.timedelta(seconds=wait)
        end = start + dt.timedelta(seconds=handle)
        times = [stamp(arrival, arrival), stamp(start, arrival) if served else "",
                 stamp(end, arrival) if served else ""]
        lines.append(",".join([str(i), "a", *times, "AGENT" if served else "HANG", f"ag{i % 3}" if served else ""]))
    path.write_text("\n".join(lines) + "\n")
    return path


def read(path, **changes):
    return read_log(path, mapping_from_dict({**DT, **changes}, "gen.yaml"))


def fit_cli(tmp_path, log, mapping=None, *extra):
    """``ccsim fit LOG --mapping M -o out.yaml`` (M: DT written to a file): (result, out path)."""
    if mapping is None:
        mapping = tmp_path / "gen.yaml"
        mapping.write_text(yaml.safe_dump(DT))
    out = tmp_path / "out.yaml"
    done = CliRunner().invoke(cli, ["fit", str(log), "--mapping", str(mapping), "-o", str(out), *extra])
    return done, out


# ---------------------------------------------------------------- one origin for every time column
def test_time_columns_share_the_arrivals_origin(tmp_path):
    """Without a date column each time column counted from the midnight of its own earliest value:
    a log whose first day's callers all hung up had its service times a day early (waits of -86,384 s)."""
    calls = make_calls(days=3, hang_days=(0,))
    log = read(write_log(tmp_path / "log.csv", calls))
    served = log.calls[log.calls["outcome"] == "served"].set_index("call_id")
    assert len(served) == sum(c[4] for c in calls) > 0
    for i, arrival, wait, handle, ok in calls:
        if ok:
            assert served.loc[str(i), "wait"] == wait and served.loc[str(i), "handle"] == handle
    assert (served["service_start"] >= served["arrival"]).all()
    assert log.calls["day"].min() == 0 and log.calls["day"].max() == 2


# ---------------------------------------------------------------- UTC offsets (%z) across a DST change
def dst_offset(arrival):
    """Central Europe, 2024: +0100 until 31 March 02:00, then +0200."""
    return "+0100" if arrival < dt.datetime(2024, 3, 31, 2) else "+0200"


def test_mixed_utc_offsets_read_on_each_calls_local_clock(tmp_path):
    """Offsets changing within the log (a DST change) crashed (exit 70, 'Mixed timezones detected').
    Each call is now on the local clock of its arrival (its time of day as the center lives it) and
    its durations are true elapsed times, also for a call whose times straddle the change."""
    calls = make_calls(days=4, first=dt.datetime(2024, 3, 29))
    path = write_log(tmp_path / "log.csv", calls, offset=dst_offset)
    # a call at 01:59 (+0100), answered 90 s later, which is 03:00:30 (+0200), for 60 s
    with path.open("a") as f:
        f.write("999,a,2024-03-31 01:59:00+0100,2024-03-31 03:00:30+0200,2024-03-31 03:01:30+0200,AGENT,ag1\n")
    log = read(path, time_format="%Y-%m-%d %H:%M:%S%z")
    assert len(log.excluded) == 0 and len(log.calls) == len(calls) + 1
    kept = log.calls.set_index("call_id")
    for i, arrival, wait, handle, served in calls:
        call = kept.loc[str(i)]
        assert call["time_of_day"] == arrival.hour * 3600 + arrival.minute * 60  # the local wall clock
        assert call["day"] == (arrival.date() - dt.date(2024, 3, 29)).days
        if served:
            assert call["wait"] == wait and call["handle"] == handle
    straddle = kept.loc["999"]
    assert straddle["time_of_day"] == 3600 + 59 * 60 and straddle["wait"] == 90 and straddle["handle"] == 60


def test_one_utc_offset_reads_as_the_local_clock(tmp_path):
    calls = make_calls(days=2)
    plain = read(write_log(tmp_path / "plain.csv", calls))
    aware = read(write_log(tmp_path / "aware.csv", calls, offset=lambda a: "-0500"),
                 time_format="%Y-%m-%d %H:%M:%S%z")
    for column in ("arrival", "service_start", "service_end", "time_of_day", "day", "wait"):
        assert plain.calls[column].equals(aware.calls[column]), column


def test_mixed_utc_offsets_with_a_date_column(tmp_path):
    calls = make_calls(days=4, first=dt.datetime(2024, 3, 29))
    lines = ["id,type,day,arrival,start,end,outcome,agent"]
    for i, arrival, wait, handle, served in calls:
        start = arrival + dt.timedelta(seconds=wait)
        z = dst_offset(arrival)
        times = [arrival.strftime("%H:%M:%S") + z] + ([start.strftime("%H:%M:%S") + z,
                 (start + dt.timedelta(seconds=handle)).strftime("%H:%M:%S") + z] if served else ["", ""])
        lines.append(",".join([str(i), "a", arrival.strftime("%Y-%m-%d"), *times, "AGENT" if served else "HANG", "x"]))
    (tmp_path / "log.csv").write_text("\n".join(lines) + "\n")
    log = read(tmp_path / "log.csv", time_format="%H:%M:%S%z", date={"column": "day", "format": "%Y-%m-%d"})
    assert len(log.calls) == len(calls)
    kept = log.calls.set_index("call_id")
    for i, arrival, wait, handle, served in calls:
        assert kept.loc[str(i), "time_of_day"] == arrival.hour * 3600 + arrival.minute * 60
        if served:
            assert kept.loc[str(i), "wait"] == wait and kept.loc[str(i), "handle"] == handle


# ---------------------------------------------------------------- huge times
SECONDS_LOG = "id,type,arrival,start,end,outcome,agent\n" + "".join(
    f"{i},a,{3600 * i},{3600 * i + 20},{3600 * i + 200},AGENT,ag\n" for i in range(1, 40))


@pytest.mark.parametrize("column, value", [(2, "1e25"), (2, "1e308"), (2, "3.2e7"), (4, "1e308"), (3, "1e25")])
def test_a_time_far_beyond_the_log_is_refused_naming_its_row(tmp_path, column, value):
    """An arrival of 1e25 s overflowed the day number: fit exited 70, replay and validate-fit went on
    with garbage; a service end of 1e308 s was a handle time of 1e308 s, fitted in silence."""
    lines = SECONDS_LOG.splitlines()
    cells = lines[5].split(",")  # line 6 of the file
    cells[column] = value
    if column == 3:
        cells[4] = str(float(value) + 100)
    lines[5] = ",".join(cells)
    (tmp_path / "log.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(LogError) as err:
        read(tmp_path / "log.csv", time_format="seconds")
    assert "row 6" in str(err.value), str(err.value)
    mapping = tmp_path / "sec.yaml"
    mapping.write_text(yaml.safe_dump({**DT, "time_format": "seconds"}))
    (tmp_path / "small.yaml").write_text(SMALL_YAML)
    for command in (["fit", "-o", str(tmp_path / "out.yaml")], ["replay", "--scenario", str(tmp_path / "small.yaml")],
                    ["validate-fit", "--scenario", str(tmp_path / "small.yaml")]):
        done = CliRunner().invoke(cli, [command[0], str(tmp_path / "log.csv"), "--mapping", str(mapping), *command[1:]])
        assert done.exit_code == 2 and "Traceback" not in done.output, (command, done.output)
        assert "row 6" in done.output and not (tmp_path / "out.yaml").exists(), done.output


# ---------------------------------------------------------------- not a regular file
def _unblocked(fifo, call):
    """call() in a thread; a reader blocked on the FIFO is released (a writer opens and closes it)."""
    import os
    import threading

    outcome = {}

    def run():
        try:
            outcome["value"] = call()
        except Exception as err:  # noqa: BLE001 (the test inspects it)
            outcome["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    hung = thread.is_alive()
    if hung:
        try:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
        thread.join(10)
    assert not hung, "it waited on the FIFO"
    return outcome


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no FIFOs here")
def test_a_fifo_as_the_log_or_the_mapping_is_refused_not_waited_on(tmp_path):
    import os

    fifo = tmp_path / "log.fifo"
    os.mkfifo(fifo)
    mapping = tmp_path / "gen.yaml"
    mapping.write_text(yaml.safe_dump(DT))
    out = _unblocked(fifo, lambda: read_log(fifo, str(mapping)))
    assert isinstance(out.get("error"), LogError) and "not a regular file" in str(out["error"]), out
    out = _unblocked(fifo, lambda: read_log(write_log(tmp_path / "log.csv", make_calls()), str(fifo)))
    assert isinstance(out.get("error"), MappingError) and "not a regular file" in str(out["error"]), out


# ---------------------------------------------------------------- every line is a row, numbered as in the file
def rows_are_lines(log, path):
    """Every non-blank line after the header is one kept or excluded row, numbered by its line."""
    lines = path.read_text().split("\n")
    numbers = sorted(list(log.calls["row"]) + list(log.excluded["row"]))
    assert numbers == [k + 1 for k, text in enumerate(lines) if text and k > 0]
    for call in log.calls.itertuples():
        assert lines[call.row - 1].startswith(f"{call.call_id},")


@pytest.mark.parametrize("quoted", [(5,), (5, 9), (4, 5, 6, 11)])
def test_stray_quotes_are_ordinary_characters(tmp_path, quoted):
    """Two stray '"' swallowed every row between them into one cell (pandas' quoting), silently; one
    gave an error naming the wrong row. A call log has no quoting convention: a quote is text."""
    calls = make_calls(days=1)
    path = write_log(tmp_path / "log.csv", calls)
    lines = path.read_text().split("\n")
    for line in quoted:
        lines[line - 1] = lines[line - 1].replace(",a,", ',"a,')
    path.write_text("\n".join(lines))
    log = read(path)
    assert len(log.calls) == len(calls) and len(log.excluded) == 0
    rows_are_lines(log, path)
    types = dict(zip(log.calls["row"], log.calls["call_type"]))
    assert sorted(row for row, kind in types.items() if kind == '"a') == sorted(quoted)


def test_row_numbers_are_file_lines_after_blank_lines_and_a_broken_cell(tmp_path):
    """Rows were numbered 2, 3, ... in pandas' count: a blank line, or a quoted cell running over
    two lines, made every later exclusion name the wrong line."""
    calls = make_calls(days=1)
    path = write_log(tmp_path / "log.csv", calls)
    lines = path.read_text().split("\n")
    lines[3] = lines[3].replace(",ag", ',"ag\nX"')   # a value across two lines: lines 4 and 5 now
    lines.insert(7, "")                             # a blank line 9
    lines.insert(7, "")                             # and 10
    lines[10] = lines[10].replace(":", ";", 1)      # a bad arrival on line 12
    path.write_text("\n".join(lines))
    log = read(path)
    rows_are_lines(log, path)
    bad = dict(zip(log.excluded["row"], log.excluded["reason"]))
    assert bad == {5: "unknown outcome", 12: "unparsable time"}
    assert log.calls.set_index("row").loc[4, "agent"] == '"ag'
    assert log.rows == len(path.read_text().split("\n")) - 1 - 2 - 1  # header, 2 blank lines, the last newline


def test_a_trailing_separator_on_every_row_keeps_the_columns(tmp_path):
    """A separator at the end of every data row made pandas take the first column as the index:
    every column shifted by one."""
    calls = make_calls(days=2)
    plain = read(write_log(tmp_path / "log.csv", calls))
    text = (tmp_path / "log.csv").read_text().split("\n")
    (tmp_path / "trailing.csv").write_text("\n".join([text[0]] + [t + "," for t in text[1:] if t]) + "\n")
    log = read(tmp_path / "trailing.csv")
    for column in ("row", "call_id", "agent", "arrival", "service_end", "outcome"):
        assert plain.calls[column].equals(log.calls[column]), column


def test_a_row_with_more_cells_than_the_header_is_refused_naming_its_line(tmp_path):
    path = write_log(tmp_path / "log.csv", make_calls())
    lines = path.read_text().split("\n")
    lines[6] += ",extra"
    path.write_text("\n".join(lines))
    with pytest.raises(LogError, match=r"line 7: 8 cells, but the header \(line 1\) has 7"):
        read(path)


@pytest.mark.parametrize("eol", ["\r\n", "\r"])
def test_line_endings_do_not_change_the_rows(tmp_path, eol):
    calls = make_calls(days=2)
    plain = read(write_log(tmp_path / "log.csv", calls))
    text = (tmp_path / "log.csv").read_text().split("\n")
    text.insert(5, "")
    (tmp_path / "eol.csv").write_bytes(eol.join(text).encode())
    log = read(tmp_path / "eol.csv")
    assert list(log.calls["row"]) == [r + (r >= 6) for r in plain.calls["row"]]
    assert log.calls["arrival"].equals(plain.calls["arrival"])


def test_an_undecodable_byte_is_named_by_its_line(tmp_path):
    path = write_log(tmp_path / "log.csv", make_calls())
    data = path.read_bytes().split(b"\n")
    data[8] = data[8].replace(b",a,", b",\xe9,", 1)
    path.write_bytes(b"\r\n".join(data))
    with pytest.raises(LogError, match=r"line 9: byte 0xe9 is not UTF-8"):
        read(path)


# ---------------------------------------------------------------- the days of a log without a date column
@pytest.mark.parametrize("time_format", ["%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%Y-%m %H:%M:%S", "%%d %H:%M:%S"])
def test_a_time_format_without_the_day_and_no_date_column_is_refused(time_format):
    """Times of day alone, with no date column, put a month of calls on one day (exit 0, 'kept over
    1 days'): a mapping like that is refused, naming time_format."""
    with pytest.raises(MappingError, match=r"gen.yaml: time_format: .*no date"):
        mapping_from_dict({**DT, "time_format": time_format}, "gen.yaml")
    with pytest.raises(MappingError, match=r"gen.yaml: time_format: .*no date"):
        mapping_from_dict({key: value for key, value in DT.items() if key != "time_format"}, "gen.yaml")
    for fine in ({"time_format": "seconds"}, {"time_format": "%d/%m/%Y %H:%M"}, {"time_format": "%j %H:%M"},
                 {"time_format": time_format, "date": {"column": "day"}}):
        mapping_from_dict({**DT, **fine}, "gen.yaml")


@pytest.mark.parametrize("first", [dt.datetime(2024, 3, 10), dt.datetime(2024, 3, 7), MONDAY])
def test_the_weekdays_come_from_the_datetimes_without_a_date_column(tmp_path, first):
    """Without a date column the first day was taken for a Monday even when every cell said its date:
    a log starting on a Sunday had its Sundays fitted as Mondays."""
    from ccsim.state.from_log import instant

    log = read(write_log(tmp_path / "log.csv", make_calls(days=8, first=first)))
    assert log.origin == first
    assert list(log.calls.groupby("day")["weekday"].first()) == [(first + dt.timedelta(days=d)).weekday()
                                                                 for d in range(8)]
    assert instant(log, (first + dt.timedelta(days=2, hours=9)).isoformat()) == 2 * 86400 + 9 * 3600


# ---------------------------------------------------------------- a row far from the others
def add_rows(path, rows):
    with path.open("a") as f:
        f.write("".join(rows))


@pytest.mark.parametrize("days_later", [9, 40, 300])
def test_a_row_weeks_after_the_others_is_refused_naming_it(tmp_path, days_later):
    """One row dated months after the rest made the log span those months: the fit averaged its
    arrivals and staffing over the empty days (up to 92 % too few calls) with only 'kept over 366
    days' printed."""
    calls = make_calls(days=10)
    path = write_log(tmp_path / "log.csv", calls)
    late = MONDAY + dt.timedelta(days=9 + days_later, hours=10)
    add_rows(path, [f"777,a,{late:%Y-%m-%d %H:%M:%S},,,HANG,\n"])
    with pytest.raises(LogError) as err:
        read(path)
    message = str(err.value)
    assert f"no call for {days_later - 1} days" in message and f"row {len(calls) + 2}" in message, message
    assert f"{late:%Y-%m-%d}" in message
    done, out = fit_cli(tmp_path, path)
    assert done.exit_code == 2 and "Traceback" not in done.output and not out.exists()
    assert f"row {len(calls) + 2}" in done.output


def test_a_week_with_no_call_is_allowed(tmp_path):
    """A center closed for a week (7 days without a call) is a log, not a typo."""
    calls = make_calls(days=5) + make_calls(days=5, first=MONDAY + dt.timedelta(days=12))
    calls = [(k + 1, *call[1:]) for k, call in enumerate(calls)]
    log = read(write_log(tmp_path / "log.csv", calls))
    assert log.days == 17 and len(log.calls) == len(calls)
    early = [(k + 1, *call[1:]) for k, call in enumerate(make_calls(days=1, first=MONDAY - dt.timedelta(days=9))
                                                         + calls)]
    with pytest.raises(LogError, match="no call for 8 days"):
        read(write_log(tmp_path / "early.csv", early))


# ---------------------------------------------------------------- the scenario's CSV files
@pytest.mark.parametrize("text, line", [("v\n30\n12,5\n60\n", 3), ("v\n30\n45\n1,234\n", 4), ("v,w\n1,2\n3,4,5\n", 3)])
def test_a_csv_row_with_more_cells_than_its_header_is_refused(tmp_path, text, line):
    """'12,5' (a decimal comma) was read as 12 and '1,234' (a thousands separator) as 1, silently:
    the extra cell was dropped. Empirical columns, replayed arrivals and staffing 'required' alike."""
    from pathlib import Path

    from ccsim.scenario.csv_column import read_csv_column
    from ccsim.scenario.replay_csv import read_replay_csv
    from ccsim.scenario.staffing import read_required

    path = tmp_path / "v.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=rf"v.csv, line {line}: \d cells, but the header row has \d"):
        read_csv_column(Path(path), "v")
    with pytest.raises(ValueError, match=rf"v.csv, line {line}: \d cells, but the header row has \d"):
        read_replay_csv(Path(path), "v")
    path.write_text("interval,agents\n0,2\n1,3,5\n")
    with pytest.raises(ValueError, match=r"v.csv, line 3: 3 cells, but the header row has 2"):
        read_required(Path(path))


def test_csv_rows_ending_with_empty_cells_still_read(tmp_path):
    from ccsim.scenario.csv_column import read_csv_column

    (tmp_path / "v.csv").write_text("v\n30,\n45,,\n")
    assert read_csv_column(tmp_path / "v.csv", "v") == [30.0, 45.0]


def test_the_staffing_csv_quotes_at_most_40_characters_of_a_cell(tmp_path):
    from ccsim.scenario.staffing import read_required

    for row in ("0," + "9" * 100_000, "1" * 100_000 + ",2"):
        (tmp_path / "r.csv").write_text("interval,agents\n" + row + "\n")
        with pytest.raises(ValueError) as err:
            read_required(tmp_path / "r.csv")
        assert len(str(err.value)) < 300 and "…" in str(err.value), str(err.value)[:300]


@pytest.mark.parametrize("separator", ["§", ";", "\t"])
def test_any_one_character_separator_reads_the_same_log(tmp_path, separator):
    calls = make_calls(days=2)
    plain = read(write_log(tmp_path / "log.csv", calls))
    text = (tmp_path / "log.csv").read_text().replace(",", separator).split("\n")
    text.insert(3, "")
    text[6] = text[6].replace(f"{separator}a{separator}", f'{separator}"a{separator}')
    (tmp_path / "other.csv").write_text("\n".join(text))
    log = read(tmp_path / "other.csv", separator=separator)
    assert list(log.calls["row"]) == [r + (r >= 4) for r in plain.calls["row"]]
    for column in ("call_id", "agent", "arrival", "service_end"):
        assert plain.calls[column].equals(log.calls[column]), column


def test_a_log_written_twice_is_noted_with_its_copied_rows(tmp_path):
    """The whole log pasted twice doubled the fitted arrivals and staffing without a word (the
    bank log has no two calls alike in every field; its call ids repeat, so ids alone prove
    nothing)."""
    calls = make_calls(days=3)
    once = read(write_log(tmp_path / "once.csv", calls))
    assert not any("alike in every field" in note for note in once.notes)
    twice = read(write_log(tmp_path / "twice.csv", calls + calls))
    note = next(note for note in twice.notes if "alike in every field" in note)
    first_copy = len(calls) + 2  # the header is line 1
    assert note.startswith(f"{len(once.calls)} calls are alike in every field to an earlier one (rows {first_copy}, ")
    done, _ = fit_cli(tmp_path, tmp_path / "twice.csv")
    assert done.exit_code == 0 and "a log written twice?" in done.output
