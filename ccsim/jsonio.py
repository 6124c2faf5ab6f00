"""JSON for people and tools: the one place NaN and infinities become null."""
from __future__ import annotations

import json
import math


def jsonable(value):
    """Plain JSON data: NaN and infinities become None, numpy scalars Python numbers."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalar
        return jsonable(value.item())
    return value


def to_json(obj, indent=2) -> str:
    """``obj`` as strict JSON text (never NaN or Infinity tokens)."""
    return json.dumps(jsonable(obj), indent=indent, allow_nan=False)
