"""Why a store does not match a study: the fields that differ, named by dotted path."""
from __future__ import annotations

import json

from .store_json import dumps


NO_DIFFERENCE = "the design fingerprints differ"


def differences(meta: dict, stored: list, points: list, seed: int, crn: bool, engine: str) -> list:
    """Readable differences between a store (``meta``, ``stored`` points) and the study given."""
    found = []
    for field, given in (("seed", seed), ("crn", crn), ("engine", engine)):
        if meta[field] != given:
            found.append(f"{field} {meta[field]!r} in the store, {given!r} given")
    stored_ids, given_ids = [p.point for p in stored], [p.point for p in points]
    if stored_ids != given_ids:
        found.append(f"points {stored_ids} in the store, {given_ids} given")
    by_id = {p.point: p for p in stored}
    for p in points:
        old = by_id.get(p.point)
        if old is None:
            continue
        for part in ("scenario", "overrides"):
            paths = _paths_differing(json.loads(dumps(getattr(old, part))), json.loads(dumps(getattr(p, part))))
            if paths:
                found.append(f"point {p.point} ({p.label}): {part} differs at {', '.join(paths)}")
    return found or [NO_DIFFERENCE]


def _paths_differing(old, new, path: str = "", limit: int = 3) -> list:
    """Dotted paths where two JSON values differ, with both values (at most ``limit``)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            sub = f"{path}.{key}" if path else str(key)
            if key not in old or key not in new:
                out.append(f"{sub} ({'absent' if key not in old else 'present'} in the store)")
            else:
                out.extend(_paths_differing(old[key], new[key], sub, limit))
            if len(out) >= limit:
                return out[:limit]
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for i, (a, b) in enumerate(zip(old, new)):
            out.extend(_paths_differing(a, b, f"{path}[{i}]", limit))
            if len(out) >= limit:
                return out[:limit]
        return out
    if old == new:
        return []
    return [f"{path or '<top>'}: {_short(old)} in the store, {_short(new)} given"]


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."
