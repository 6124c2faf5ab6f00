"""Engines: two implementations of one semantics, chosen by name.

Both run the model a replication sees: ``with_busyness`` applies its seed's
daily busyness factors, and ``with_absences`` its agents' absences (shrinkage),
here, once, before either engine reads the rates and schedules.
"""
from __future__ import annotations

from ..budget import out_of_memory_error
from ..compile import with_busyness
from ..schedules import with_absences


def _core_run(model, seed, call_records=False, router=None):
    from .core import run

    try:
        return run(with_absences(with_busyness(_routed(model, router), seed), seed), seed, call_records, router)
    except MemoryError:  # the machine has less than the budget assumed
        raise out_of_memory_error("core") from None


def _simpy_run(model, seed, call_records=False, router=None):
    from .simpy_engine import run

    try:
        return run(with_absences(with_busyness(_routed(model, router), seed), seed), seed, call_records, router)
    except MemoryError:
        raise out_of_memory_error("simpy") from None


def _routed(model, router):
    """With a Python router, the model with the scenario's routing rules off
    (``ccsim.router.router_model``); else the model itself."""
    if router is None:
        return model
    from ..router import router_model

    return router_model(model)


ENGINES = {"core": _core_run, "simpy": _simpy_run}
