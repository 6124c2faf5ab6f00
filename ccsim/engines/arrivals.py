"""Arrival times of a piecewise-constant Poisson process (times in seconds).

The reference twin of ``next_arrival`` in ``_arrivals.pxd`` (the core's): the same
operations in the same order, so that both engines compute bit-identical
arrival times from the same stream.
"""
from __future__ import annotations

import math


def next_arrival(rng, rates, start, count, slot, repeat, horizon, t):
    """The first arrival after ``t`` of one call type, or ``inf`` if none before the horizon.

    The type's rates (per second) are ``rates[start:start + count]``, each holding
    for ``slot`` seconds; the profile repeats if ``repeat``, else the rate is zero
    after it. One unit exponential is spent slot by slot on the cumulative rate
    (inversion), so a slot of rate zero simply passes time.
    """
    e = rng.standard_exponential()
    i = math.floor(t / slot)
    while True:
        slot_end = (i + 1) * slot
        if repeat:
            rate = rates[start + i % count]
        elif i < count:
            rate = rates[start + i]
        else:
            return math.inf
        if rate > 0.0:
            need = e / rate
            if t + need < slot_end:
                return t + need
            e -= rate * (slot_end - t)
        if slot_end >= horizon:
            return math.inf
        t = slot_end
        i += 1
