"""Remaining times conditioned on the time already elapsed: X - x for X ~ F given X > x.

A caller who has waited x seconds has patience > x; an agent x seconds into a talk has a talk
> x. Drawing the rest from F unconditioned would make the start state's callers abandon too
early (the impatient ones have already gone) and its calls end too late or too soon.

Exact for every distribution ccsim has:

- exponential: memoryless, the rest is a fresh draw (mean unchanged);
- Weibull: X = scale ((x/scale)^k + E)^(1/k), E ~ Exp(1) (the survival function's inverse);
- lognormal and gamma: inversion of the survival function on U in (0, S(x)] (scipy's ``ndtr``/``ndtri``,
  ``gammaincc``/``gammainccinv``); if S(x) underflows to 0 (x beyond ~37 sd), the rest is 0;
- uniform and triangular: inversion on [F(x), 1); deterministic: max(value - x, 0);
- empirical: a uniform pick among the values above x (0 if none);
- mixture: a component picked with weights w_i S_i(x), then its own conditioned draw.

A value the distribution cannot exceed (x at or past its support) gives 0: the caller abandons,
the talk ends, at the start. Durations by period of the day use the period of the clock time.
"""
from __future__ import annotations

import math

from scipy import special

from ..engines.sampling import (DETERMINISTIC, EMPIRICAL, EXPONENTIAL, GAMMA, INFINITE, LOGNORMAL, MIXTURE,
                                TRIANGULAR, UNIFORM, WEIBULL, draw)


def remaining(dists, row, empirical, x, rng):
    """X - x for X ~ distribution ``row`` of ``dists`` ((code, p0, p1, p2, cum) rows) given X > x."""
    code, p0, p1, p2, _ = dists[row]
    if code == MIXTURE:
        weights = [(dists[row + j][4] - (dists[row + j - 1][4] if j > 1 else 0.0)) * survival(dists, row + j,
                                                                                               empirical, x)
                   for j in range(1, int(p0) + 1)]
        total = sum(weights)
        if not total > 0.0:
            return 0.0
        u, j = rng.random() * total, 0
        while j < len(weights) - 1 and u >= weights[j]:
            u -= weights[j]
            j += 1
        return remaining(dists, row + 1 + j, empirical, x, rng)
    if code == INFINITE:
        return math.inf
    if x <= 0.0:  # nothing elapsed: an unconditioned draw
        return draw(dists, row, empirical, rng)
    if code == EXPONENTIAL:
        return p0 * rng.standard_exponential()
    if code == DETERMINISTIC:
        return max(p0 - x, 0.0)
    if code == WEIBULL:
        k, scale = p0, p1
        return max(scale * ((x / scale) ** k + rng.standard_exponential()) ** (1.0 / k) - x, 0.0)
    if code == EMPIRICAL:
        above = [v for v in empirical[int(p0):int(p0) + int(p1)] if v > x]
        return above[min(int(rng.random() * len(above)), len(above) - 1)] - x if above else 0.0
    s = survival(dists, row, empirical, x)
    if not s > 0.0:
        return 0.0
    q = s * (1.0 - rng.random())  # in (0, S(x)]
    return max(_upper_quantile(code, p0, p1, p2, q) - x, 0.0)


def survival(dists, row, empirical, x):
    """P(X > x) for a distribution row that is not a mixture."""
    code, p0, p1, p2, _ = dists[row]
    if code == INFINITE:
        return 1.0
    if x < 0.0:
        return 1.0
    if code == EXPONENTIAL:
        return math.exp(-x / p0)
    if code == DETERMINISTIC:
        return 1.0 if p0 > x else 0.0
    if code == UNIFORM:
        return 1.0 if x < p0 else (max(p0 + p1 - x, 0.0) / p1 if p1 > 0 else 0.0)
    if code == LOGNORMAL:
        return float(special.ndtr((p0 - math.log(x)) / p1)) if x > 0 else 1.0
    if code == GAMMA:
        return float(special.gammaincc(p0, x / p1))
    if code == WEIBULL:
        return math.exp(-((x / p1) ** p0))
    if code == EMPIRICAL:
        values = empirical[int(p0):int(p0) + int(p1)]
        return sum(v > x for v in values) / len(values)
    if code == TRIANGULAR:
        low, mode, high = p0, p1, p2
        if x <= low:
            return 1.0
        if x >= high:
            return 0.0
        if x <= mode:
            return 1.0 - (x - low) ** 2 / ((high - low) * (mode - low))
        return (high - x) ** 2 / ((high - low) * (high - mode))
    raise ValueError(f"unknown distribution code {code}")


def _upper_quantile(code, p0, p1, p2, q):
    """The x with P(X > x) = q, for the distributions inverted numerically."""
    if code == LOGNORMAL:
        return math.exp(p0 - p1 * float(special.ndtri(q)))
    if code == GAMMA:
        return p1 * float(special.gammainccinv(p0, q))
    if code == UNIFORM:
        return p0 + p1 * (1.0 - q)
    if code == TRIANGULAR:
        low, mode, high = p0, p1, p2
        u, width = 1.0 - q, high - low
        if u * width < mode - low:
            return low + math.sqrt(u * width * (mode - low))
        return high - math.sqrt(q * width * (high - mode))
    raise ValueError(f"no quantile for distribution code {code}")
