"""The Python API: simulate one replication, or several from one seed.

One seed meaning everywhere: replication ``r`` of root seed ``S`` runs on child
``r`` of ``SeedSequence(S)`` (spawn key ``(r,)``). ``simulate(s, seed=S)`` is
replication 0, the same run as the first of ``replicate(s, n, seed=S)``, of
``ccsim run --seed S`` and of a study's replication 0 of that scenario.
"""
from __future__ import annotations

import operator
import time
from pathlib import Path
from typing import Union

import numpy as np

from .budget import with_budget
from .compile import CompiledModel, compile_scenario
from .engines import ENGINES
from .errors import whole_number
from .results import ArgumentError, Result, summarize
from .scenario import Scenario, limits as L, load_scenario, validate_scenario

ScenarioLike = Union[Scenario, str, Path, dict]
DEFAULT_SEED = 1  # the CLI's default too


def as_scenario(scenario: ScenarioLike) -> Scenario:
    """A ``Scenario`` from a model, a YAML path or a dict, validated either way: a ``Scenario``
    that validation did not make (a copy edited with pydantic's ``model_copy(update=...)``,
    which does not validate), or edited in place since (its lists and dicts), is validated
    again, through its plain data (``scenario_to_dict``); a misspelt key that ``model_copy``
    took is refused as in a file. A ``Scenario`` given comes back as a private copy: editing
    the caller's object afterwards changes no result made from it."""
    if isinstance(scenario, Scenario):
        from .scenario.loader import unknown_attributes, validated_copy
        from .scenario.problems import TOP, Problem, ScenarioError

        copy = validated_copy(scenario)
        if copy is not None:  # made by validation, unchanged since: not again
            return copy
        from .experiment.store_json import plain  # (not for a plain run: tests/test_cli_startup.py)

        try:  # (a numpy number set by model_copy, a sweep's np.arange: as a plain number)
            data = scenario.model_dump(mode="json", exclude_none=True, warnings=False, fallback=plain)
        except Exception as err:  # noqa: BLE001 - a value pydantic cannot serialize
            raise ScenarioError("<Scenario>", [Problem(TOP, f"cannot be read back as data: {err}")]) from None
        unknown = unknown_attributes(scenario, data)
        if unknown:
            raise ScenarioError("<Scenario>", [Problem(path, f"unknown key (a value set with model_copy(update=...) "
                                                             f"that is no field of the scenario): {value!r}")
                                               for path, value in unknown])
        return validate_scenario(data, source="<Scenario>")
    if isinstance(scenario, dict):
        return validate_scenario(scenario)
    if not isinstance(scenario, (str, Path)):
        raise ArgumentError(f"scenario must be a ccsim.Scenario, a dict or the path of a YAML file, "
                            f"got {type(scenario).__name__}")
    return load_scenario(scenario)


def simulate(scenario: ScenarioLike, seed=DEFAULT_SEED, engine: str = "core", call_records: bool = False,
             max_calls=None, max_memory=None, router=None, state=None) -> Result:
    """Run replication 0 of root seed ``seed`` (an int >= 0).

    A ``numpy.random.SeedSequence`` is used as is (no child is taken).
    ``call_records=True`` also keeps one record per call (``result.calls()``;
    memory then grows with the number of calls).
    ``max_calls``/``max_memory`` (bytes): the run budget (``ccsim.budget``; None = default).
    ``router``: a ``ccsim.Router`` routing the callers instead of the scenario's routing.
    ``state``: a start state (``ccsim.state.State``, or a path to a state file), as in ``replicate``.
    """
    _check_engine(engine)
    _check_router(router)
    call_records = _check_flag(call_records, "call_records")
    seed = seed if isinstance(seed, np.random.SeedSequence) else replication_seed(seed, 0)
    scenario = as_scenario(scenario)
    model = with_budget(compile_scenario(scenario), max_calls, max_memory, engine=engine, call_records=call_records)
    model = _from_state(model, state)
    return _run(scenario, model, seed, engine, call_records, router)


def _run(scenario: Scenario, model: CompiledModel, seed, engine: str, call_records: bool = False,
         router=None) -> Result:
    started = time.perf_counter()
    if router is not None:
        if callable(getattr(router, "reset", None)):
            router.reset()  # what it keeps of a run starts again (ccsim.Router.reset)
        stats = ENGINES[engine](model, seed, call_records, router=router)
    else:
        stats = ENGINES[engine](model, seed, call_records) if call_records else ENGINES[engine](model, seed)
    wall = time.perf_counter() - started
    return Result(
        engine=engine, seed=seed, scenario_name=scenario.name, model=model, stats=stats,
        wall_seconds=wall, sl_denominator=scenario.service_level.denominator, scenario=scenario,
    )


def _from_state(model: CompiledModel, state) -> CompiledModel:
    """``model`` starting from ``state`` (a ``State`` or a state file's path), or as is (None)."""
    if state is None:
        return model
    from .state import State, load_state, with_state

    if not isinstance(state, (State, str, Path)):
        raise ArgumentError(f"state must be a ccsim.state.State or the path of a state file, got {state!r}")
    source = "<state>" if isinstance(state, State) else str(state)
    return with_state(model, state if isinstance(state, State) else load_state(state), source)


def replication_seed(seed, rep: int) -> np.random.SeedSequence:
    """The SeedSequence of replication ``rep`` of root ``seed`` (an int or a SeedSequence).

    Derived from the root's entropy and spawn key, so it does not depend on
    how many children the root object has spawned before.
    """
    rep = whole_number(rep, "rep", 0, None, ArgumentError)
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, rep), pool_size=seed.pool_size)
    return np.random.SeedSequence(_root_seed(seed), spawn_key=(rep,))


def replication_seeds(seed, reps: int) -> list[np.random.SeedSequence]:
    """Replications ``0 .. reps-1`` of root ``seed``: replication i always gets the same stream."""
    reps = whole_number(reps, "reps", 0, L.MAX_REPS, ArgumentError)
    return [replication_seed(seed, r) for r in range(reps)]


def replicate(scenario: ScenarioLike, reps: int, seed=DEFAULT_SEED, engine: str = "core",
              progress=None, max_calls=None, max_memory=None, router=None, state=None) -> list[Result]:
    """Replications ``0 .. reps-1`` of root seed ``seed``.

    ``max_calls``/``max_memory`` (bytes): the run budget (``ccsim.budget``; None = default).
    ``router``: a ``ccsim.Router`` routing the callers instead of the scenario's routing (one
    object for every replication: its ``reset()`` is called before each).
    ``state``: a start state (``ccsim.state.State``, or a path to a state file): the runs start from
    it at its clock time (``ccsim.state.start`` says how).

    ``progress(done, total)``, if given, is called before the first and after each one.
    """
    reps = whole_number(reps, "reps", 1, L.MAX_REPS, ArgumentError)
    _check_engine(engine)
    _check_router(router)
    _check_progress(progress)
    seeds = replication_seeds(seed, reps)
    scenario = as_scenario(scenario)
    # every replication's result is returned, so held at once: their statistics count reps times
    model = _from_state(with_budget(compile_scenario(scenario), max_calls, max_memory, engine=engine, kept=reps),
                        state)
    results = []
    for child in seeds:
        if progress is not None:
            progress(len(results), reps)
        results.append(_run(scenario, model, child, engine, router=router))
    if progress is not None:
        progress(reps, reps)
    return results


def _root_seed(seed) -> int:
    try:
        if isinstance(seed, bool):  # True is no seed (a flag passed in the wrong place)
            raise TypeError
        value = operator.index(seed)
    except TypeError:
        raise ArgumentError(
            f"seed must be a non-negative integer or a numpy.random.SeedSequence, got {seed!r}"
        ) from None
    if value < 0:
        raise ArgumentError(f"seed must be a non-negative integer, got {value}")
    return value


def _check_router(router) -> None:
    if isinstance(router, type):
        raise ArgumentError(f"router must be a ccsim.Router object, got the class {router.__name__}: "
                            f"pass {router.__name__}(...)")
    if router is not None and not all(callable(getattr(router, m, None)) for m in ("on_arrival", "on_agent_free")):
        raise ArgumentError(f"router must be a ccsim.Router (an object with on_arrival and on_agent_free "
                            f"methods), got {type(router).__name__}")


def _check_engine(engine: str) -> None:
    if not isinstance(engine, str) or engine not in ENGINES:
        raise ArgumentError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")


def _check_flag(value, name: str) -> bool:
    """A yes/no argument: a bool (numpy's too), not a string such as "no", which is true."""
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _check_progress(progress) -> None:
    if progress is not None and not callable(progress):
        raise ArgumentError(f"progress must be a function progress(done, total), got {progress!r}")


__all__ = ["ArgumentError", "as_scenario", "replicate", "replication_seed", "replication_seeds", "simulate",
           "summarize"]
