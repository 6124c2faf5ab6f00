"""One draw from a compiled distribution (seconds), as the core draws it.

Each ``numpy.random.Generator`` method used here wraps the very C routine the
core calls on the same bit generator (``random_standard_exponential``,
``random_lognormal``, ...), so both engines see the same callers.
"""
from __future__ import annotations

import math
from bisect import bisect_right

from ..compile import DIST_CODES

INFINITE = DIST_CODES["infinite"]
EXPONENTIAL = DIST_CODES["exponential"]
DETERMINISTIC = DIST_CODES["deterministic"]
UNIFORM = DIST_CODES["uniform"]
LOGNORMAL = DIST_CODES["lognormal"]
GAMMA = DIST_CODES["gamma"]
WEIBULL = DIST_CODES["weibull"]
EMPIRICAL = DIST_CODES["empirical"]
TRIANGULAR = DIST_CODES["triangular"]
MIXTURE = DIST_CODES["mixture"]
DAY = 86400.0


def period_row(starts, dists, first, count, t):
    """The distribution row of the period (``first``, ``count``) that time ``t`` falls in.

    Time of day is ``t % 86400`` (the core's ``fmod``: the same number for t >= 0);
    the period is the last one starting at or before it. One period: no arithmetic.
    """
    if count == 1:
        return dists[first]
    return dists[bisect_right(starts, t % DAY, first, first + count) - 1]


def draw(dists, row, empirical, rng):
    """A draw of distribution ``row`` of ``dists`` ((code, p0, p1, p2, cum) rows).

    A mixture (p0 components, in the rows after it) takes one uniform u and
    draws the first component whose cumulative weight exceeds u (the last one
    if none does: rounding), from the same stream.
    """
    code, p0, p1, p2, _ = dists[row]
    if code == MIXTURE:
        u, n, j = rng.random(), int(p0), 1
        while j < n and u >= dists[row + j][4]:
            j += 1
        code, p0, p1, p2, _ = dists[row + j]
    return sample(code, p0, p1, empirical, rng, p2)


def sample(code, p0, p1, empirical, rng, p2=0.0):
    """A draw of distribution ``code`` with the parameters ``compile`` stored for it.

    (p0, p1, p2) are: exponential (mean, -, -), deterministic (value, -, -), uniform
    (low, high - low, -), lognormal (mu, sigma, -), gamma (shape, scale, -), weibull
    (shape, scale, -), empirical (first index into ``empirical``, number of values, -),
    triangular (low, mode, high): inversion of one uniform u, the same arithmetic as
    the core's. A deterministic value draws nothing, so it leaves its stream untouched.
    """
    if code == EXPONENTIAL:
        return p0 * rng.standard_exponential()
    if code == DETERMINISTIC:
        return p0
    if code == UNIFORM:
        return p0 + p1 * rng.random()
    if code == LOGNORMAL:
        return rng.lognormal(p0, p1)
    if code == GAMMA:
        return p1 * rng.standard_gamma(p0)
    if code == WEIBULL:
        return p1 * rng.weibull(p0)
    if code == EMPIRICAL:
        n = int(p1)
        return empirical[int(p0) + min(int(rng.random() * p1), n - 1)]
    if code == TRIANGULAR:
        u = rng.random()
        width = p2 - p0
        if u * width < p1 - p0:
            return p0 + math.sqrt(u * width * (p1 - p0))
        return p2 - math.sqrt((1.0 - u) * width * (p2 - p1))
    if code == INFINITE:
        return math.inf
    raise ValueError(f"unknown distribution code {code}")
