"""Exit statuses of ``ccsim`` and the exceptions that carry them.

0 success, 1 internal error (a bug), 2 bad input, 3 a goal not reached,
130 interrupted (Ctrl-C).
"""
from __future__ import annotations

from ..errors import UserError

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INPUT = 2
EXIT_GOAL = 3
EXIT_INTERRUPTED = 130

ARGV_KEY = "ccsim.argv"  # the command line as given, kept in the root context's meta


class InputError(UserError):
    """A value given on the command line cannot be used (exit 2)."""


class GoalNotReached(Exception):
    """The work finished but a goal (a --ci-halfwidth target) was not met (exit 3)."""

    exit_code = EXIT_GOAL


class Interrupted(Exception):
    """Ctrl-C: the message says what was kept and how to continue (exit 130)."""

    exit_code = EXIT_INTERRUPTED
