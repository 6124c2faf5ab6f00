"""The Python API: simulate one replication, or several from one seed."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Union

import numpy as np

from .budget import with_budget
from .compile import CompiledModel, compile_scenario
from .engines import ENGINES
from .results import Result, summarize
from .scenario import Scenario, load_scenario, validate_scenario

ScenarioLike = Union[Scenario, str, Path, dict]


def as_scenario(scenario: ScenarioLike) -> Scenario:
    """A ``Scenario`` from a model, a YAML path or a dict (validated)."""
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        return validate_scenario(scenario)
    return load_scenario(scenario)


def simulate(scenario: ScenarioLike, seed=0, engine: str = "core", call_records: bool = False,
             max_calls=None, max_memory=None) -> Result:
    """Run one replication; ``seed`` is an int or a ``numpy.random.SeedSequence``.

    ``call_records=True`` also keeps one record per call in
    ``result.stats.call_records`` (memory then grows with the number of calls).
    ``max_calls``/``max_memory`` (bytes): the run budget (``ccsim.budget``; None = default).
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    scenario = as_scenario(scenario)
    model = with_budget(compile_scenario(scenario), max_calls, max_memory, engine=engine, call_records=call_records)
    return _run(scenario, model, seed, engine, call_records)


def _run(scenario: Scenario, model: CompiledModel, seed, engine: str, call_records: bool = False) -> Result:
    started = time.perf_counter()
    stats = ENGINES[engine](model, seed, call_records) if call_records else ENGINES[engine](model, seed)
    wall = time.perf_counter() - started
    return Result(
        engine=engine, seed=seed, scenario_name=scenario.name, model=model, stats=stats,
        wall_seconds=wall, sl_denominator=scenario.service_level.denominator,
    )


def replication_seeds(seed, reps: int) -> list[np.random.SeedSequence]:
    """Children of one SeedSequence: replication i always gets the same stream."""
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return root.spawn(reps)


def replicate(scenario: ScenarioLike, reps: int, seed=0, engine: str = "core", progress=None,
              max_calls=None, max_memory=None) -> list[Result]:
    """``reps`` independent replications seeded from one SeedSequence.

    ``progress(done, total)``, if given, is called before the first and after each one.
    """
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    scenario = as_scenario(scenario)
    model = with_budget(compile_scenario(scenario), max_calls, max_memory, engine=engine)
    results = []
    for child in replication_seeds(seed, reps):
        if progress is not None:
            progress(len(results), reps)
        results.append(_run(scenario, model, child, engine))
    if progress is not None:
        progress(reps, reps)
    return results


__all__ = ["as_scenario", "replicate", "replication_seeds", "simulate", "summarize"]
