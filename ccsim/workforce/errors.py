"""The error of a workforce policy that cannot be applied, naming the field path."""
from __future__ import annotations

from ..errors import UserError


class WorkforceError(UserError, ValueError):
    """Bad workforce input: ``path`` (e.g. ``workforce.policies[0].k``) and what is wrong."""

    def __init__(self, path: str, message: str):
        self.path = path
        super().__init__(f"{path}: {message}")
