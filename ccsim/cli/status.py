"""Exit statuses of ``ccsim`` and the exceptions that carry them.

0 success, 1 a check failed (``ccsim check``: some KPI target is not met),
2 bad input, 3 a goal not reached (``ccsim check``: some target undecided),
70 internal error (a bug; EX_SOFTWARE), 130 interrupted (Ctrl-C).
"""
from __future__ import annotations

from ..errors import UserError

EXIT_OK = 0
EXIT_FAIL = 1  # ccsim check: an expectation fails
EXIT_INPUT = 2
EXIT_GOAL = 3
EXIT_UNDECIDED = EXIT_GOAL  # ccsim check: none fails, some undecided (a goal not reached)
EXIT_INTERNAL = 70  # EX_SOFTWARE: 1 means "a check failed", so a bug must not look like one
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
