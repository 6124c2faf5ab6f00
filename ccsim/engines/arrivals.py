"""Arrival times of a piecewise-constant Poisson process, and of a media airing (seconds).

The reference twins of ``next_arrival``, ``airing_count`` and ``ad_delay`` in
``_arrivals.pxd`` (the core's): the same operations in the same order, so that
both engines compute bit-identical arrival times from the same stream.
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


def ad_delay(rng, delay, shape, scale):
    """One response delay of a media channel: ``delay`` + ``scale`` x Gamma(``shape``), or
    x Exponential(1) when ``shape`` is 0 (a spike)."""
    if shape > 0.0:
        return delay + scale * rng.standard_gamma(shape)
    return delay + scale * rng.standard_exponential()


def airing_calls(rng, mean, delay, shape, scale, time, horizon):
    """One airing's calls, as the engines draw them: N ~ Poisson(``mean``), then N delays;
    returns (N, the arrival times before the horizon, in the order drawn)."""
    n = int(rng.poisson(mean))
    times = [time + ad_delay(rng, delay, shape, scale) for _ in range(n)]
    return n, [t for t in times if t < horizon]
