"""Arrival times of a piecewise-constant Poisson process, of a replay, and of a media airing (seconds).

The reference twins of ``next_arrival``, ``replay_arrival``, ``airing_count`` and ``ad_delay`` in
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


def replay_arrival(times, start, count, period, j, t):
    """Call ``j`` (0, 1, ...) of a replay, rung no earlier than the call before (at ``t``); ``inf`` after
    the last call of a replay played once.

    The recorded times (shift included) are ``times[start:start + count]``; with a ``period`` > 0
    they repeat: call j is recorded time j mod count in cycle j // count. A pure function of j,
    so that calls recorded at one instant each ring (the engines count j, one per call); the
    maximum with ``t`` only guards the order against rounding where cycles meet.
    """
    if period > 0.0:
        cycle, i = divmod(j, count)
        time = times[start + i] + cycle * period
    elif j < count:
        time = times[start + j]
    else:
        return math.inf
    return time if time > t else t


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
