"""The one base class of every error that means "the user gave something unusable".

The CLI prints such an error's message (one paragraph, naming the file, field,
row or option) and exits with status 2; anything else is a bug (exit 70).
Each subclass is raised where the bad value enters.
"""
from __future__ import annotations


class UserError(Exception):
    """Bad input (scenario, option, file, budget): a clear message, exit status 2."""


__all__ = ["UserError"]
