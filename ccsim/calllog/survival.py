"""Patience from censored waits: Kaplan-Meier, the hazard over time, and why not abandoners alone.

A caller who abandons after waiting w reveals its patience (= w). A caller served after
waiting w reveals only that its patience was longer than w: a right-censored observation.
Fitting patience to the abandoners alone keeps exactly the callers whose patience was
shorter than their wait, so it sees the short patiences and never the long ones: the estimate
is biased low, the more so the better the service (a center answering fast has few, impatient
abandoners). Kaplan-Meier and the censored likelihood (``distributions.fit_family`` with
``events``) use both groups.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .distributions import Z95


@dataclass
class KaplanMeier:
    """The product-limit estimate at each distinct event time, with Greenwood's variance."""

    times: np.ndarray        # distinct event times, increasing
    at_risk: np.ndarray      # n_j: observations with time >= t_j
    events: np.ndarray       # d_j: events at t_j
    survival: np.ndarray     # S(t_j) just after t_j
    se: np.ndarray           # Greenwood standard error of S(t_j)

    def ci(self) -> tuple:
        """Pointwise 95 % CI (log-minus-log, so it stays inside [0, 1])."""
        s = np.clip(self.survival, 1e-12, 1 - 1e-12)
        with np.errstate(divide="ignore", invalid="ignore"):
            sigma = self.se / (s * np.abs(np.log(s)))
        low = s ** np.exp(Z95 * sigma)
        high = s ** np.exp(-Z95 * sigma)
        return np.where(np.isfinite(low), low, 0.0), np.where(np.isfinite(high), high, 1.0)

    def at(self, t) -> np.ndarray:
        """S(t) (right-continuous step function; 1 before the first event)."""
        i = np.searchsorted(self.times, t, side="right")
        return np.concatenate([[1.0], self.survival])[i]

    def median(self) -> float:
        """The first time S drops to 0.5 or below (inf when it never does)."""
        hit = np.flatnonzero(self.survival <= 0.5)
        return float(self.times[hit[0]]) if len(hit) else float("inf")


def kaplan_meier(t, events) -> KaplanMeier:
    """Kaplan-Meier of durations ``t`` with ``events`` (True = observed, False = censored at t).

    At a time with both, the censored observations count as at risk (censoring just after).
    """
    t = np.asarray(t, dtype=float)
    events = np.asarray(events, dtype=bool)
    order = np.argsort(t, kind="stable")
    t, events = t[order], events[order]
    times = np.unique(t[events])
    d = np.bincount(np.searchsorted(times, t[events]), minlength=len(times)).astype(float)
    n = len(t) - np.searchsorted(t, times, side="left").astype(float)
    factor = 1.0 - d / n
    survival = np.cumprod(factor)
    with np.errstate(divide="ignore", invalid="ignore"):
        green = np.cumsum(np.where(n > d, d / (n * (n - d)), np.inf))
        se = np.where(np.isfinite(green), survival * np.sqrt(green), np.nan)
    return KaplanMeier(times, n, d, survival, se)


@dataclass
class Hazard:
    """Occurrence/exposure hazard per bin of waiting time: abandons per second waited."""

    edges: np.ndarray
    events: np.ndarray
    exposure: np.ndarray     # seconds waited inside each bin, all callers
    rate: np.ndarray
    low: np.ndarray
    high: np.ndarray


def hazard(t, events, width: float = 30.0, horizon: float = None) -> Hazard:
    """The abandonment hazard over waiting time, per bin of ``width`` seconds, with exact Poisson CIs."""
    from scipy import stats

    t = np.asarray(t, dtype=float)
    events = np.asarray(events, dtype=bool)
    top = horizon or (np.quantile(t, 0.99) if len(t) else width)
    edges = np.arange(0.0, top + width, width)
    exposure = np.clip(t[:, None] - edges[None, :-1], 0.0, width).sum(axis=0)
    ev = np.histogram(t[events], bins=edges)[0].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(exposure > 0, ev / exposure, np.nan)
        low = np.where(exposure > 0, stats.chi2.ppf(0.025, 2 * ev) / 2 / exposure, np.nan)
        high = np.where(exposure > 0, stats.chi2.ppf(0.975, 2 * ev + 2) / 2 / exposure, np.nan)
    return Hazard(edges, ev, exposure, rate, np.nan_to_num(low), high)


def naive_abandoner_mean(t, events) -> float:
    """The biased estimate the module warns against: the mean wait of abandoners alone."""
    t = np.asarray(t, dtype=float)
    return float(np.mean(t[np.asarray(events, bool)]))


__all__ = ["Hazard", "KaplanMeier", "hazard", "kaplan_meier", "naive_abandoner_mean"]
