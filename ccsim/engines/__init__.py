"""Engines: two implementations of one semantics, chosen by name."""
from __future__ import annotations


def _core_run(model, seed, call_records=False):
    from .core import run

    return run(model, seed, call_records)


def _simpy_run(model, seed, call_records=False):
    from .simpy_engine import run

    return run(model, seed, call_records)


ENGINES = {"core": _core_run, "simpy": _simpy_run}
