"""What is wrong with a scenario and where: ``Problem`` and ``ScenarioError``."""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Optional

from ..errors import UserError

TOP = "(top level)"  # location of a problem with the whole document (not one field)
FILE = "(file)"  # location of a problem with the file's bytes (before any YAML is read)


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    line: Optional[int] = None


class ScenarioError(UserError, ValueError):
    """A scenario that cannot be run; ``problems`` lists what is wrong and where."""

    kind = "scenario"  # what the file is, in the message ("invalid checks file x.yaml: ...")

    def __init__(self, source: str, problems: list[Problem], kind: str = None):
        self.source = source
        self.problems = problems
        if kind is not None:
            self.kind = kind
        super().__init__(self._render())

    def _render(self) -> str:
        head = f"invalid {self.kind} {self.source}: "
        parts = []
        for p in self.problems:
            where = f"line {p.line}: " if p.line else ""
            field = f"{p.path}: " if p.path else ""
            parts.append(f"{where}{field}{p.message}")
        if len(parts) == 1:
            return head + parts[0]
        return head + f"{len(parts)} problems\n" + "\n".join(f"  - {p}" for p in parts)


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")


def format_path(loc) -> str:
    """``call_types[0].patience.mean`` from its keys and indices; odd keys quoted, deep paths cut."""
    if len(loc) > 8:  # a path deep into nested junk: its start says enough
        return format_path(loc[:6]) + f"… ({len(loc)} levels down)"
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(str(part)):
            out += ("." if out else "") + str(part)
        else:  # a key that is not a field name: quoted, and cut if long
            key = str(part)
            out += f"[{key if len(key) <= 40 else key[:40] + '…'!r}]"
    return out


def show(value, limit: int = 40) -> str:
    """A short rendering of a user's value for a message (long text is cut)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null (an empty value)"
    if isinstance(value, (dict, list)):
        kind = "mapping" if isinstance(value, dict) else "list"
        return f"an empty {kind}" if not value else f"a {kind}"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return f"the date {value.isoformat()} (quote it if text is meant)"
    if isinstance(value, str):
        text = value if len(value) <= limit else value[:limit] + "…"
        return f"the string {text!r}"
    text = repr(value)
    if len(text) > limit:
        kind = "a whole number" if isinstance(value, int) else f"a {type(value).__name__}"
        return f"{kind} of {len(text)} digits" if isinstance(value, int) else f"{kind} ({text[:limit]}…)"
    return text
