"""Engines: two implementations of one semantics, chosen by name.

Both run the model a replication sees: ``with_busyness`` applies its seed's
daily busyness factors, and ``with_absences`` its agents' absences (shrinkage),
here, once, before either engine reads the rates and schedules.
"""
from __future__ import annotations

from ..budget import out_of_memory_error
from ..compile import with_busyness
from ..schedules import with_absences


def _core_run(model, seed, call_records=False):
    from .core import run

    try:
        return run(with_absences(with_busyness(model, seed), seed), seed, call_records)
    except MemoryError:  # the machine has less than the budget assumed
        raise out_of_memory_error("core") from None


def _simpy_run(model, seed, call_records=False):
    from .simpy_engine import run

    try:
        return run(with_absences(with_busyness(model, seed), seed), seed, call_records)
    except MemoryError:
        raise out_of_memory_error("simpy") from None


ENGINES = {"core": _core_run, "simpy": _simpy_run}
