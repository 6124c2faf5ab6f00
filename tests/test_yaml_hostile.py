"""Hostile scenario files: each ends in a ScenarioError naming a location (a field path,
or "(file)" / "(top level)" for the whole file) and a line where one exists, both through
``load_scenario`` and through ``ccsim validate`` (exit status 2, no traceback).

A watchdog fails a test that runs for more than 20 s: it catches hangs (the alias bomb
used to run for ever), it does not measure speed.
"""
import signal

import pytest

from ccsim.cli import main
from ccsim.scenario import ScenarioError, load_scenario, parse_scenario, validate_scenario
from ccsim.scenario import limits
from factories import SMALL_YAML

BASE = SMALL_YAML


def mutate(old: str, new: str, text: str = BASE) -> str:
    assert old in text, f"{old!r} not in the base scenario"
    return text.replace(old, new, 1)


def line_of(text: str, marker: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if marker in line)


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """The "billion laughs": each level lists the previous one ``width`` times."""
    rows = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    rows += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(rows) + "\n" + BASE


PASSWD_FIRST_LINE = "root:x:0:0:root:/root:/bin/bash"

# (id, file content, location, words the message must contain, line or None)
HOSTILE = [
    ("NUL byte", mutate("warmup", "war\x00mup").encode(), "(file)", ["NUL byte at byte 30", "binary"], 3),
    ("non-UTF-8 bytes", mutate("small", "sm\xe9ll").encode("latin-1"), "(file)",
     ["not UTF-8", "byte 0xe9 at byte 8"], 1),
    ("binary junk", bytes(range(256)) * 8, "(file)", ["NUL byte at byte 0"], 1),
    ("binary junk without NUL", bytes(range(1, 256)) * 8, "(file)", ["not UTF-8", "byte 0x80 at byte 127"], 2),
    ("control character", mutate("small", "sm\x07all").encode(), "(file)", ["U+0007", "line 1, column 9"], 1),
    ("1,000 nested [", ("deep: " + "[" * 1000 + "]" * 1000 + "\n" + BASE).encode(), "deep[0]",
     ["nesting depth"], 1),
    ("51 nested [", ("deep: " + "[" * 51 + "]" * 51 + "\n" + BASE).encode(), "deep[0][0][0][0][0]… (50 levels down)",
     ["nested deeper than the limit of 50"], 1),
    ("100,000 unclosed [", ("deep: " + "[" * 100_000).encode(), "deep[0]", ["nesting depth"], 1),
    ("recursive alias", ("name: &x [*x]\n" + BASE).encode(), "name[0]", ["recursive alias"], 1),
    ("recursive alias in a mapping", mutate("interval: 900", "interval: 900\nrouting: &r {x: *r}").encode(),
     "routing.x", ["recursive alias"], 5),
    ("undefined alias", mutate("count: 8", "count: *eight").encode(), "agents[0].count",
     ["*eight refers to no anchor"], 12),
    ("complex mapping key", ("? [a, b]\n: 1\n" + BASE).encode(), "(top level)", ["complex key"], 1),
    ("integer key", mutate("interval: 900", "interval: 900\n1: 2").encode(), "(top level)",
     ["key must be a field name", "found 1"], 5),
    ("null key", mutate("interval: 900", "interval: 900\n~: 2").encode(), "(top level)",
     ["key must be a field name", "found null"], 5),
    ("boolean key", mutate("    count: 8", "    count: 8\n    yes: 2").encode(), "agents[0]",
     ["key must be a field name", "found true", "quote it"], 13),
    ("float key in a nested mapping", mutate("rate: 0.1}", "rate: 0.1, 1.5: x}").encode(),
     "call_types[0].arrivals", ["key must be a field name", "found 1.5"], 7),
    ("billion laughs", alias_bomb().encode(), "(top level)", ["alias bomb", "100,000"], 6),
    ("top-level list", b"- horizon: 10\n- interval: 5\n", "(top level)", ["expected a mapping", "found a list"], 1),
    ("top-level scalar", b"just some text\n", "(top level)", ["expected a mapping", "the string 'just some text'"], 1),
    ("python tag at the top", b"!!python/object/apply:os.system ['echo owned']\n", "(top level)",
     ["!!python/object/apply:os.system", "not allowed"], 1),
    ("python tag on a field", mutate("name: small", "name: !!python/name:os.system").encode(), "name",
     ["not allowed"], 1),
    ("local tag", mutate("count: 8", "count: !agents 8").encode(), "agents[0].count", ["'!agents' is not allowed"], 12),
    ("binary tag", mutate("name: small", "name: !!binary aGk=").encode(), "name", ["'!!binary' is not allowed"], 1),
    ("empty file", b"", "(top level)", ["found nothing"], 1),
    ("comment-only file", b"# a scenario\n# to be written\n", "(top level)", ["found nothing"], 1),
    ("two documents", (BASE + "---\n" + BASE).encode(), "(top level)", ["more than one YAML document"],
     BASE.count("\n") + 1),
    ("horizon 1e300", mutate("horizon: 20000", "horizon: 1e300").encode(), "horizon",
     ["less than or equal to 1,000,000,000", "found 1e+300"], 2),
    ("interval 1e-9", mutate("interval: 900", "interval: 1e-9").encode(), "interval",
     ["20,000,000,000,000 reporting intervals", "limit of 1,000,000"], 4),
    ("20 M intervals", mutate("interval: 900", "interval: 0.001").encode(), "interval",
     ["20,000,000 reporting intervals", "limit of 1,000,000"], 4),
    ("piecewise slot 1e-6", mutate("process: poisson, rate: 0.1", "process: piecewise, rates: [1, 2], slot: 1e-6")
     .encode(), "call_types[0].arrivals.slot", ["20,000,000,000 slots", "limit of 1,000,000"], 7),
    ("count 1e9", mutate("count: 8", "count: 1000000000").encode(), "agents[0].count",
     ["less than or equal to 1,000,000", "found 1000000000"], 12),
    ("count 3e9 (beyond int32)", mutate("count: 8", "count: 3000000000").encode(), "agents[0].count",
     ["less than or equal to 1,000,000", "found 3000000000"], 12),
    ("lines 1e12", mutate("interval: 900", "interval: 900\nlines: 1000000000000").encode(), "lines",
     ["less than or equal to 2,147,483,647"], 5),
    ("lognormal cv 1e200", mutate("dist: exponential, mean: 60", "dist: lognormal, mean: 60, cv: 1e200").encode(),
     "call_types[0].handle_time.cv", ["less than or equal to 1,000", "found 1e+200"], 8),
    ("gamma cv 1e-200", mutate("dist: exponential, mean: 60", "dist: gamma, mean: 60, cv: 1e-200").encode(),
     "call_types[0].handle_time.cv", ["greater than or equal to 1e-06", "found 1e-200"], 8),
    ("weibull shape 1e-300", mutate("dist: exponential, mean: 60", "dist: weibull, shape: 1e-300, scale: 60")
     .encode(), "call_types[0].handle_time.shape", ["greater than or equal to 0.02"], 8),
    ("quoted count", mutate("count: 8", 'count: "190"').encode(), "agents[0].count",
     ["expected a number, found the string '190'"], 12),
    ("quoted horizon", mutate("horizon: 20000", "horizon: '20000'").encode(), "horizon",
     ["expected a number, found the string '20000'"], 2),
    ("infinite horizon", mutate("horizon: 20000", "horizon: .inf").encode(), "horizon",
     ["expected a finite number", "inf"], 2),
    ("NaN rate", mutate("rate: 0.1", "rate: .nan").encode(), "call_types[0].arrivals.rate",
     ["expected a finite number", "nan"], 7),
    ("5,000-digit count", mutate("count: 8", "count: " + "9" * 5000).encode(), "agents[0].count",
     ["5,000 digits"], 12),
    ("1,001 call types", None, "call_types", ["expected at most 1,000 entries, found 1,001"], 6),
    ("too many per-interval statistics", None, "interval", ["per-interval statistics", "limit of 4,000,000"], 4),
]


def many_types(n: int, interval: float = 900, horizon: float = 20000) -> str:
    types = "".join(f"  - {{name: t{i}, arrivals: {{process: poisson, rate: 0.1}}, "
                    f"handle_time: {{dist: exponential, mean: 60}}}}\n" for i in range(n))
    serves = ", ".join(f"t{i}" for i in range(min(n, 1000)))
    return (f"name: many\nhorizon: {horizon}\nwarmup: 0\ninterval: {interval}\ncall_types:\n{types}"
            f"agents:\n  - name: team\n    count: 8\n    serves: [{serves}]\n")


GENERATED = {
    "1,001 call types": lambda: many_types(1001),
    "too many per-interval statistics": lambda: many_types(1000, interval=100, horizon=1e6),
}


@pytest.fixture(autouse=True)
def watchdog():
    """Fail a test that hangs (not a speed check: the limit is far above any normal run)."""
    def expire(signum, frame):
        raise TimeoutError("hostile input was not refused within 20 s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, 20.0)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def content_of(case_id: str, content):
    return GENERATED[case_id]().encode() if content is None else content


def check_problem(err: ScenarioError, where: str, words: list[str], line) -> None:
    assert len(err.problems) == 1, str(err)
    problem = err.problems[0]
    assert problem.path == where, str(err)
    assert problem.message
    message = str(err)
    for word in words:
        assert word in message, message
    assert problem.line == line, message
    if line is not None:
        assert f"line {line}: " in message


CASES = [pytest.param(*case[1:], id=case[0]) for case in HOSTILE]


@pytest.mark.parametrize("content, where, words, line", CASES)
def test_load_scenario_refuses(tmp_path, request, content, where, words, line):
    path = tmp_path / "hostile.yaml"
    path.write_bytes(content_of(request.node.callspec.id, content))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(path) in str(info.value)
    check_problem(info.value, where, words, line)


@pytest.mark.parametrize("content, where, words, line", CASES)
def test_parse_scenario_refuses_bytes_and_text(request, content, where, words, line):
    data = content_of(request.node.callspec.id, content)
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, source="hostile.yaml")
    check_problem(info.value, where, words, line)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return  # only bytes can be invalid UTF-8
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source="hostile.yaml")
    problem = info.value.problems[0]
    assert problem.path == where and problem.line == line, str(info.value)


@pytest.mark.parametrize("content, where, words, line", CASES)
def test_ccsim_validate_exits_2(tmp_path, capsys, request, content, where, words, line):
    path = tmp_path / "hostile.yaml"
    path.write_bytes(content_of(request.node.callspec.id, content))
    with pytest.raises(SystemExit) as info:
        main(["validate", str(path)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert str(path) in err and f"{where}: " in err
    assert "internal error" not in err and "Traceback" not in err
    if line is not None:
        assert f"line {line}: " in err


# ---------------------------------------------------------------- what must still load
def test_a_merge_key_and_aliases_still_work():
    text = mutate(
        "    handle_time: {dist: exponential, mean: 60}\n    patience: {dist: exponential, mean: 120}",
        "    handle_time: &talk {dist: exponential, mean: 60}\n    patience: {<<: *talk, mean: 120}")
    scenario = parse_scenario(text)
    assert scenario.call_types[0].patience.mean == 120.0
    assert scenario.call_types[0].patience.dist == "exponential"


def test_yaml_12_exponent_floats_are_numbers():
    scenario = parse_scenario(mutate("rate: 0.1", "rate: 1e-1"))
    assert scenario.call_types[0].arrivals.rate == 0.1


def test_a_million_empirical_values_load():
    values = ", ".join(str(i % 300) for i in range(limits.MAX_LIST_VALUES))
    scenario = parse_scenario(mutate("dist: exponential, mean: 60", f"dist: empirical, values: [{values}]"))
    assert len(scenario.call_types[0].handle_time.values) == limits.MAX_LIST_VALUES


def test_more_empirical_values_than_the_limit_are_refused():
    data = parse_scenario(BASE).model_dump(mode="json", exclude_none=True)
    data["call_types"][0]["handle_time"] = {"dist": "empirical", "values": [1.0] * (limits.MAX_LIST_VALUES + 1)}
    with pytest.raises(ScenarioError) as info:
        validate_scenario(data)
    assert info.value.problems[0].path == "call_types[0].handle_time.values"
    assert "expected at most 1,000,000 entries, found 1,000,001" in str(info.value)


def test_a_thousand_call_types_are_valid():
    scenario = parse_scenario(many_types(1000))
    assert len(scenario.call_types) == 1000


def test_total_agents_are_capped():
    text = BASE + "".join(f"  - {{name: g{i}, count: 1000000, serves: [inbound]}}\n" for i in range(2))
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text)
    assert info.value.problems[0].path == "agents"
    assert "2,000,008 agents in all groups together, more than the limit of 1,000,000" in str(info.value)


def test_oversized_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as handle:
        handle.write(BASE.encode())
        handle.write(b"#" * (10 * 1024 * 1024))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.problems[0].path == "(file)"
    assert "more than the limit of 10,485,760" in str(info.value)


# ---------------------------------------------------------------- empirical CSV files
def empirical_csv(path) -> str:
    return mutate("dist: exponential, mean: 60", f"dist: empirical, csv: '{path}', column: talk")


def csv_error(tmp_path, csv_bytes: bytes) -> str:
    csv_path = tmp_path / "data.csv"
    csv_path.write_bytes(csv_bytes)
    path = tmp_path / "center.yaml"
    path.write_text(empirical_csv(csv_path))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    problem = info.value.problems[0]
    assert problem.path == "call_types[0].handle_time" and problem.line == 8
    assert str(csv_path) in str(info.value)
    return str(info.value)


def test_a_csv_that_is_not_a_csv_is_not_echoed(tmp_path):
    message = csv_error(tmp_path, (PASSWD_FIRST_LINE + "\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n").encode())
    assert "column 'talk' not in the header row" in message and "(1 column)" in message
    assert "root:x" not in message and "/bin/bash" not in message and "daemon" not in message


def test_etc_passwd_is_not_echoed(tmp_path):
    path = tmp_path / "center.yaml"
    path.write_text(empirical_csv("/etc/passwd"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert "/etc/passwd" in str(info.value) and "root:" not in str(info.value)


def test_a_close_column_name_is_suggested(tmp_path):
    message = csv_error(tmp_path, b"agent,talk_time\na,10\n")
    assert "did you mean 'talk_time'?" in message


def test_a_binary_csv_is_a_clear_error(tmp_path):
    message = csv_error(tmp_path, b"talk\n10\n\x00\x01\x02")
    assert "is not a CSV text file: binary data (a NUL byte at byte 8, line 3)" in message


def test_a_non_utf8_csv_is_a_clear_error(tmp_path):
    message = csv_error(tmp_path, b"talk\n10\n\xff\xfe\n")
    assert "is not a CSV text file" in message and "line 3" in message and "UTF-8" in message


def test_a_bad_cell_is_the_only_content_quoted(tmp_path):
    message = csv_error(tmp_path, b"agent,talk\nsecret-agent,10\nother,about a minute\n")
    assert "line 3: column 'talk' holds 'about a minute', expected a number" in message
    assert "secret-agent" not in message and "other" not in message and "agent," not in message


def test_a_short_row_names_the_row(tmp_path):
    message = csv_error(tmp_path, b"agent,talk\na,10\nb\n")
    assert "line 3: column 'talk' is missing (the row has 1 cell)" in message


def test_a_cell_beyond_the_bound_is_refused(tmp_path):
    message = csv_error(tmp_path, b"talk\n10\n1e12\n")
    assert "line 3: column 'talk' holds 1e12" in message and "at most 1e+09" in message


def test_an_empty_csv_names_the_file(tmp_path):
    message = csv_error(tmp_path, b"")
    assert "the CSV file is empty" in message


def test_oversized_text_is_refused():
    with pytest.raises(ScenarioError) as info:
        parse_scenario(BASE + "#" * (10 * 1024 * 1024))
    assert info.value.problems[0].path == "(file)"
    assert "larger than the limit of 10,485,760 bytes" in str(info.value)


def test_a_csv_with_only_a_header_names_the_file(tmp_path):
    message = csv_error(tmp_path, b"agent,talk\n")
    assert "column 'talk' has no values (only the header row)" in message


def use_pure_python_yaml(monkeypatch) -> None:
    """Run the reader on PyYAML's pure-Python parser, as where PyYAML was built without libyaml."""
    import yaml

    from ccsim.scenario import yaml_reader

    class PurePythonLoader(yaml.SafeLoader):
        pass

    PurePythonLoader.add_implicit_resolver("tag:yaml.org,2002:float", yaml_reader._EXPONENT_FLOAT,
                                           list("-+0123456789."))
    monkeypatch.setattr(yaml_reader, "_Loader", PurePythonLoader)


@pytest.mark.parametrize("content, where, words, line", CASES)
def test_the_pure_python_parser_refuses_too(monkeypatch, request, content, where, words, line):
    use_pure_python_yaml(monkeypatch)
    with pytest.raises(ScenarioError) as info:
        parse_scenario(content_of(request.node.callspec.id, content), source="hostile.yaml")
    problem = info.value.problems[0]
    assert problem.path and problem.message and (line is None or problem.line), str(info.value)


def test_the_pure_python_parser_reads_the_same(monkeypatch):
    texts = [BASE, open("scenarios/day_profile.yaml").read(), many_types(50)]
    with_libyaml = [parse_scenario(text) for text in texts]
    use_pure_python_yaml(monkeypatch)
    assert [parse_scenario(text) for text in texts] == with_libyaml


def test_a_key_with_brackets_in_a_cross_field_error_is_named_not_a_crash():
    """Found by the soak: an opening-hours weekday written 'wednesday[' (a cross-field check
    names it in its path) gave a ValueError inside the loader."""
    from ccsim.scenario import ScenarioError, parse_scenario
    text = SMALL_HOURS.replace("monday:", "wednesday[:")
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text)
    assert "wednesday[" in str(err.value)


SMALL_HOURS = """\
horizon: 3600
call_types:
  - name: a
    arrivals: {process: poisson, rate: 0.01}
    handle_time: {dist: exponential, mean: 60}
agents:
  - {name: t, count: 1, serves: [a]}
hours:
  open:
    monday: [["08:00", "20:00"]]
  closed: {action: message, message: 10}
"""


def test_a_staffing_csv_is_not_echoed_either(tmp_path):
    """The staffing reader listed the whole header of the file it was given (``/etc/passwd``'s
    first line, 5 KB of a binary file); it quotes no header cell now, as the other CSV readers."""
    import yaml

    csv_path = tmp_path / "staff.csv"
    csv_path.write_bytes((PASSWD_FIRST_LINE + "\n").encode())
    path = tmp_path / "center.yaml"
    path.write_text(yaml.safe_dump({
        "horizon": 3600, "interval": 900,
        "call_types": [{"name": "a", "arrivals": {"process": "poisson", "rate": 0.1},
                        "handle_time": {"dist": "exponential", "mean": 60}}],
        "agents": [{"name": "team", "serves": ["a"], "staffing": {"csv": str(csv_path)}}]}))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "column 'interval' not in the header row" in message and str(csv_path) in message
    assert "root:x" not in message and "/bin/bash" not in message


def test_a_log_with_a_binary_header_gives_a_short_message(tmp_path):
    """A call log of random bytes gave a 200 KB message, its header listed whole."""
    from ccsim.calllog import MappingError, read_log

    log = tmp_path / "log.tsv"
    log.write_bytes(b"D" * 100_000 + b"\t" + b"E" * 100_000 + b"\n1\t2\n")
    with pytest.raises(MappingError) as info:
        read_log(log, "bank")
    assert len(str(info.value)) < 1_000 and "has no column" in str(info.value)
