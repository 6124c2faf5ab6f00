"""JSON for people and tools: the one place NaN and infinities become standard JSON."""
from __future__ import annotations

import json
import math

# How infinities are written: reports and --json print null (no number to show);
# a study store keeps them as strings so reading gives the same float back.
INFINITY_AS_NULL = {math.inf: None, -math.inf: None}
INFINITY_AS_TEXT = {math.inf: "Infinity", -math.inf: "-Infinity"}


def jsonable(value, infinities=INFINITY_AS_NULL):
    """Plain JSON data: NaN becomes None, infinities as ``infinities`` says, numpy
    scalars Python numbers (mappings' keys become strings)."""
    if getattr(value, "ndim", 0) > 0:  # a numpy array
        value = value.tolist()
    if isinstance(value, dict):
        return {str(k): jsonable(v, infinities) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, infinities) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else infinities[value]
    return value


def to_json(obj, indent=2) -> str:
    """``obj`` as strict JSON text (never NaN or Infinity tokens)."""
    return json.dumps(jsonable(obj), indent=indent, allow_nan=False)
