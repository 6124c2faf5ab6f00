"""Option types shared by the commands."""
from __future__ import annotations

import click


class IntRange(click.IntRange):
    """``click.IntRange`` that refuses a value that is not a whole number as "not a valid
    integer" (click's own words, "not a valid integer range", read as if a range were asked
    for: ``--seed abc``); out of range is click's message, naming the range."""

    name = "integer"
