"""The one base class of every error that means "the user gave something unusable".

The CLI prints such an error's message (one paragraph, naming the file, field,
row or option) and exits with status 2; anything else is a bug (exit 70).
Each subclass is raised where the bad value enters.
"""
from __future__ import annotations


import operator


class UserError(Exception):
    """Bad input (scenario, option, file, budget): a clear message, exit status 2."""


class ArgumentError(UserError, ValueError):
    """An argument of the Python API that cannot be used (seed, reps, engine, table options)."""


def whole_number(value, what: str, least: int, most: int = None, error=UserError) -> int:
    """``value`` as an int from ``least`` to ``most`` (None: no bound), else ``error`` naming
    ``what`` (a count of the Python API: reps, batches, max_reps; True is not a count)."""
    try:
        if isinstance(value, bool):
            raise TypeError
        value = operator.index(value)
    except TypeError:
        raise error(f"{what} must be a whole number, got {value!r}") from None
    if value < least:
        raise error(f"{what} must be at least {least:,}, got {value:,}")
    if most is not None and value > most:
        raise error(f"{what} must be at most {most:,}, got {value:,}")
    return value


__all__ = ["ArgumentError", "UserError", "whole_number"]
