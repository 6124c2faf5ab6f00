"""JSON as a study store writes it: compact, key order kept, numbers standard.

Standard JSON has no NaN or infinities: NaN is written as ``null`` and ±inf as
the strings ``"Infinity"``/``"-Infinity"`` (SQLite's ``json_extract`` reads the
result); reading turns them back into floats, bit for bit.
"""
from __future__ import annotations

import json
import math

import numpy as np

from ..jsonio import INFINITY_AS_TEXT, jsonable


def plain(value):
    """numpy scalars and arrays as JSON-able Python values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot store a {type(value).__name__} in a study store: {value!r}")


def dumps(value, canonical: bool = False) -> str:
    """Compact JSON keeping key order; ``canonical`` sorts keys (for fingerprints)."""
    return json.dumps(value, sort_keys=canonical, separators=(",", ":"), ensure_ascii=False, default=plain)


_INFINITIES = {"Infinity": math.inf, "-Infinity": -math.inf}


def finite_json(value):
    """Numbers made standard-JSON: NaN -> None, ±inf -> "Infinity"/"-Infinity"."""
    return jsonable(value, INFINITY_AS_TEXT)


def numbers(value):
    """Inverse of ``finite_json``."""
    if isinstance(value, dict):
        return {k: numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [numbers(v) for v in value]
    if value is None:
        return math.nan
    return _INFINITIES.get(value, value) if isinstance(value, str) else value


def dumps_numbers(value) -> str:
    return json.dumps(finite_json(value), separators=(",", ":"), allow_nan=False, default=plain)


def loads_numbers(text: str):
    return numbers(json.loads(text))
