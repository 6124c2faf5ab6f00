"""Mutations of the shipped scenarios, as data and as YAML text, for fuzzing validation.

Shared by ``test_fuzz_validate.py`` (hypothesis drives the ``random.Random``) and
``soak_validate.py`` (thousands of seeded mutations). The outcome of a mutated
scenario must be a valid ``Scenario`` that compiles, or a ``ScenarioError`` whose
problems each name a location and say what is wrong: never another exception.
"""
from __future__ import annotations

import copy
import math
import random
from pathlib import Path

from ccsim.compile import compile_scenario
from ccsim.scenario import ScenarioError, parse_scenario, validate_scenario
from ccsim.scenario.yaml_reader import dump_yaml, read_yaml

# the shipped scenarios, and seeds holding the inputs none of them has (tests/fuzz_seeds)
SCENARIO_FILES = (sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))
                  + sorted((Path(__file__).parent / "fuzz_seeds").glob("*.yaml")))
SHIPPED_TEXT = [p.read_text() for p in SCENARIO_FILES]
SHIPPED = [read_yaml(text, str(p))[0] for p, text in zip(SCENARIO_FILES, SHIPPED_TEXT)]

EXTREMES = [
    0, -1, 1, 0.0, -0.0, 1e-300, -1e-300, 1e300, -1e300, 5e-324, 1.7976931348623157e308,
    math.nan, math.inf, -math.inf, 2**31 - 1, 2**31, 2**32, 2**63, -(2**63), 10**30, 10**300,
    True, False, None, "", "190", "0.5", "1e3", "soon", "inf", "nan", "exponential", "poisson",
    "inbound", "team", "x" * 300, [], {}, [1], [0], {"dist": "exponential"}, {"process": "poisson"},
]
SYNTAX = list("[]{}:,-&*!|>#%@`\"'\t\n? ") + ["\x00", "\x07", "\xff", "\u2028", "<<: *a", "&a ", "*a", "!!str ", "---\n"]


def random_value(rnd: random.Random):
    """A value of any kind, often an extreme one."""
    kind = rnd.randrange(9)
    if kind <= 2:
        return copy.deepcopy(rnd.choice(EXTREMES))
    if kind == 3:
        return rnd.uniform(-1e4, 1e4)
    if kind == 4:
        return rnd.choice([1, -1]) * 10.0 ** rnd.uniform(-308, 308)
    if kind == 5:
        return rnd.randint(-(2**40), 2**40)
    if kind == 6:
        return "".join(chr(rnd.choice([rnd.randint(32, 126), rnd.randint(0, 0x2FFF)])) for _ in range(rnd.randint(0, 12)))
    if kind == 7:
        value = rnd.choice(EXTREMES[:20])
        for _ in range(rnd.randint(1, 60)):  # nesting, sometimes beyond the depth limit
            value = [value] if rnd.random() < 0.5 else {"k": value}
        return value
    return [rnd.uniform(0, 100) for _ in range(rnd.randint(0, 5))]


def node_paths(data) -> list[tuple]:
    """The path of every value in ``data`` (the root is ``()``), without recursion."""
    out, todo = [], [((), data)]
    while todo:
        path, node = todo.pop()
        out.append(path)
        if isinstance(node, dict):
            todo.extend((path + (k,), v) for k, v in node.items())
        elif isinstance(node, list):
            todo.extend((path + (i,), v) for i, v in enumerate(node))
    return out


def _get(data, path):
    for part in path:
        data = data[part]
    return data


def _set(data, path, value):
    if not path:
        return value
    _get(data, path[:-1])[path[-1]] = value
    return data


def _delete(rnd, data, path):
    if not path:
        return None
    del _get(data, path[:-1])[path[-1]]
    return data


def _replace(rnd, data, path):
    return _set(data, path, random_value(rnd))


def _swap_shape(rnd, data, path):
    """A list becomes a mapping and a mapping a list."""
    node = _get(data, path)
    if isinstance(node, list):
        return _set(data, path, {str(i): v for i, v in enumerate(node)})
    if isinstance(node, dict):
        return _set(data, path, list(node.values()))
    return _set(data, path, [node])


def _wrap(rnd, data, path):
    node = _get(data, path)
    return _set(data, path, [node] if rnd.random() < 0.5 else {"value": node})


def _extra_key(rnd, data, path):
    node = _get(data, path)
    if isinstance(node, dict):
        node[rnd.choice(["horizn", "cuont", "meen", "targt", "x", "name", "rates", "dist", "", "1"])] = random_value(rnd)
    return data


def _repeat_items(rnd, data, path):
    node = _get(data, path)
    if isinstance(node, list) and node:
        node.extend(copy.deepcopy(node) * rnd.randint(1, 3))
    return data


def _scale_number(rnd, data, path):
    node = _get(data, path)
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        factor = rnd.choice([0, -1, 1e-300, 1e-9, 1e9, 1e300, math.inf, math.nan])
        try:
            return _set(data, path, node * factor)
        except OverflowError:  # a huge int times a float
            return _set(data, path, math.inf)
    return data


DATA_MUTATIONS = [_delete, _replace, _swap_shape, _wrap, _extra_key, _repeat_items, _scale_number, _scale_number]


def mutate_data(rnd: random.Random, data=None):
    """A shipped scenario (or ``data``) with 1 to 3 random mutations."""
    data = copy.deepcopy(rnd.choice(SHIPPED) if data is None else data)
    for _ in range(rnd.randint(1, 3)):
        path = rnd.choice(node_paths(data))
        data = rnd.choice(DATA_MUTATIONS)(rnd, data, path)
    return data


def mutate_text(rnd: random.Random) -> bytes:
    """A shipped scenario's bytes with 1 to 4 edits: syntax characters, bytes, lines, indentation."""
    lines = rnd.choice(SHIPPED_TEXT).splitlines(keepends=True)
    for _ in range(rnd.randint(1, 4)):
        i = rnd.randrange(len(lines))
        op = rnd.randrange(5)
        if op == 0:  # a syntax character somewhere in a line
            j = rnd.randint(0, len(lines[i]))
            lines[i] = lines[i][:j] + rnd.choice(SYNTAX) + lines[i][j:]
        elif op == 1:
            del lines[i]
        elif op == 2:
            lines.insert(i, lines[i])
        elif op == 3:
            lines[i] = " " * rnd.randint(0, 6) + lines[i].lstrip(" ")
        else:
            j = rnd.randint(0, len(lines[i]))
            lines[i] = lines[i][:j] + str(random_value(rnd)) + lines[i][j:]
        if not lines:
            break
    data = "".join(lines).encode("utf-8", "surrogatepass")
    if rnd.random() < 0.1:  # a raw byte, maybe not UTF-8
        j = rnd.randint(0, len(data))
        data = data[:j] + bytes([rnd.randrange(256)]) + data[j:]
    return data


def check_outcome(run) -> str:
    """``run()`` validates something: "valid" (and it compiles) or "rejected" (a proper ScenarioError)."""
    try:
        scenario = run()
    except ScenarioError as err:
        assert err.problems, str(err)
        for problem in err.problems:
            assert problem.path and problem.message, str(err)
            assert problem.line is None or problem.line >= 1, str(err)
        return "rejected"
    compile_scenario(scenario)
    return "valid"


def check_data(data) -> str:
    """The outcome of ``data`` as a dict and as YAML text; both routes must agree."""
    as_dict = check_outcome(lambda: validate_scenario(copy.deepcopy(data)))
    try:
        text = dump_yaml(data)
    except (ValueError, TypeError):  # not representable as YAML (cannot happen for our values, but be sure)
        return as_dict
    as_text = check_outcome(lambda: parse_scenario(text, source="mutated.yaml"))
    assert as_text == as_dict, f"dict: {as_dict}, YAML: {as_text}\n{text[:2000]}"
    return as_dict


def check_text(data: bytes) -> str:
    return check_outcome(lambda: parse_scenario(data, source="mutated.yaml"))


# ---------------------------------------------------------------- through a budgeted run
RUN_MAX_CALLS = 200_000  # a mutated scenario runs for at most a fraction of a second
RUN_MAX_MEMORY = 256 * 2**20


def check_run(data, engine: str = "core") -> str:
    """``data`` validated and, when valid, run under a small budget.

    "rejected" (a ScenarioError with locations), "refused" (a BudgetError, before or
    during the run, whose message says how to proceed), or "ran": never another exception.
    """
    from ccsim.api import simulate
    from ccsim.budget import BudgetError

    outcome = check_outcome(lambda: validate_scenario(copy.deepcopy(data)))
    if outcome == "rejected":
        return outcome
    try:
        simulate(validate_scenario(copy.deepcopy(data)), seed=1, engine=engine, max_calls=RUN_MAX_CALLS,
                 max_memory=RUN_MAX_MEMORY)
    except BudgetError as err:
        assert "budget" in str(err) and ("--max-calls" in str(err) or "--max-memory" in str(err)), str(err)
        return "refused"
    return "ran"
