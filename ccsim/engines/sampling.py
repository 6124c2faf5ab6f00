"""One draw from a compiled distribution (seconds), as the core draws it.

Each ``numpy.random.Generator`` method used here wraps the very C routine the
core calls on the same bit generator (``random_standard_exponential``,
``random_lognormal``, ...), so both engines see the same callers.
"""
from __future__ import annotations

import math

from ..compile import DIST_CODES

INFINITE = DIST_CODES["infinite"]
EXPONENTIAL = DIST_CODES["exponential"]
DETERMINISTIC = DIST_CODES["deterministic"]
UNIFORM = DIST_CODES["uniform"]
LOGNORMAL = DIST_CODES["lognormal"]
GAMMA = DIST_CODES["gamma"]
WEIBULL = DIST_CODES["weibull"]
EMPIRICAL = DIST_CODES["empirical"]


def sample(code, p0, p1, empirical, rng):
    """A draw of distribution ``code`` with the parameters ``compile`` stored for it.

    (p0, p1) are: exponential (mean, -), deterministic (value, -), uniform
    (low, high - low), lognormal (mu, sigma), gamma (shape, scale), weibull
    (shape, scale), empirical (first index into ``empirical``, number of values).
    A deterministic value draws nothing, so it leaves its stream untouched.
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
    if code == INFINITE:
        return math.inf
    raise ValueError(f"unknown distribution code {code}")
