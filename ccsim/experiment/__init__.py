"""Experiments: replications, common random numbers, comparisons, sweeps, stores, backends.

``compare``, ``sweep`` and ``Study`` (from ``study.py``) are loaded on first use,
so worker processes that only import ``records`` start fast.
"""

__all__ = ["Study", "compare", "sweep"]


def __getattr__(name):
    if name in __all__:
        from . import study

        return getattr(study, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
