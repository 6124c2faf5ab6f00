"""Maximum likelihood for durations, complete or right-censored, with Fisher-information CIs.

One mechanism for every family: a family is a parameter vector on an unconstrained scale
(logs), its log-density and log-survival (scipy.stats), the ccsim parameters it stands for
(``{"dist": "lognormal", "mean": .., "cv": ..}``) and starting values from moments. The fit
maximises ``sum(log f(t) for events) + sum(log S(t) for censored)`` (Nelder-Mead, then a
polish), the covariance is the inverse of the observed information (a numerical Hessian of
the log-likelihood), and the CI of each reported parameter (mean, cv, shape, scale) comes by
the delta method. AIC = 2 k - 2 log L chooses the family; the KS distance is the largest gap
between the fitted and the empirical distribution function (Kaplan-Meier's when censored,
while at least 10 and 1 % of the callers are still at risk: past that the estimate rests on
a handful of callers and jumps to 0 at the last abandon).

A recorded duration of 0 (a log in whole seconds) has no density under these families: it
is taken as half the smallest positive duration (the log's resolution), stated in the report.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Family:
    """A parametric family: name, its scipy distribution from theta, ccsim parameters, a start."""

    name: str
    k: int

    def frozen(self, theta):
        from scipy import stats

        if self.name == "exponential":
            return stats.expon(scale=np.exp(theta[0]))
        if self.name == "lognormal":
            return stats.lognorm(s=np.exp(theta[1]), scale=np.exp(theta[0]))
        if self.name == "gamma":
            return stats.gamma(a=np.exp(theta[0]), scale=np.exp(theta[1]))
        return stats.weibull_min(c=np.exp(theta[0]), scale=np.exp(theta[1]))

    def logpdf_logsf(self, theta, te, tc) -> float:
        """sum(log f(te)) + sum(log S(tc)), written out (no scipy frozen object: the fit calls
        this hundreds of times)."""
        from scipy import special

        if self.name == "exponential":
            s = np.exp(theta[0])
            return -len(te) * theta[0] - (te.sum() + tc.sum()) / s
        if self.name == "lognormal":
            mu, sigma = theta[0], np.exp(theta[1])
            ze, zc = (np.log(te) - mu) / sigma, (np.log(tc) - mu) / sigma
            return float(np.sum(-np.log(te) - theta[1] - 0.5 * np.log(2 * np.pi) - 0.5 * ze * ze)
                         + np.sum(special.log_ndtr(-zc)))
        if self.name == "gamma":
            a, scale = np.exp(theta[0]), np.exp(theta[1])
            ll = np.sum((a - 1) * np.log(te) - te / scale) - len(te) * (special.gammaln(a) + a * theta[1])
            with np.errstate(divide="ignore"):
                return float(ll + np.sum(np.log(special.gammaincc(a, tc / scale))))
        c, scale = np.exp(theta[0]), np.exp(theta[1])
        xe, xc = te / scale, tc / scale
        return float(np.sum(theta[0] - theta[1] + (c - 1) * np.log(xe) - xe ** c) - np.sum(xc ** c))

    def params(self, theta) -> dict:
        """The ccsim parameters of this fit (what a scenario's ``dist`` takes)."""
        if self.name == "exponential":
            return {"mean": float(np.exp(theta[0]))}
        if self.name == "lognormal":
            s2 = np.exp(2 * theta[1])
            return {"mean": float(np.exp(theta[0] + s2 / 2)), "cv": float(np.sqrt(np.expm1(s2)))}
        if self.name == "gamma":
            return {"mean": float(np.exp(theta[0] + theta[1])), "cv": float(np.exp(-theta[0] / 2))}
        return {"shape": float(np.exp(theta[0])), "scale": float(np.exp(theta[1]))}

    def start(self, t) -> np.ndarray:
        """Starting values from the moments of the (uncensored) values."""
        m, v = float(np.mean(t)), float(np.var(t)) or float(np.mean(t)) ** 2
        cv2 = v / m ** 2
        if self.name == "exponential":
            return np.array([np.log(m)])
        if self.name == "lognormal":
            lt = np.log(t)
            return np.array([lt.mean(), np.log(max(lt.std(), 1e-3))])
        if self.name == "gamma":
            return np.array([np.log(1 / cv2), np.log(m * cv2)])
        shape = max(cv2 ** -0.543, 0.05)  # the usual approximation of a Weibull's shape from its cv
        return np.array([np.log(shape), np.log(m)])


FAMILIES = {name: Family(name, k) for name, k in
            (("exponential", 1), ("lognormal", 2), ("gamma", 2), ("weibull", 2))}
HANDLE_FAMILIES = ("lognormal", "gamma", "weibull")
PATIENCE_FAMILIES = ("exponential", "weibull", "lognormal")


@dataclass
class Fit:
    """A fitted family: ccsim parameters with 95 % CIs, log-likelihood, AIC, KS distance."""

    family: str
    params: dict
    ci: dict                 # parameter -> (low, high)
    loglik: float
    aic: float
    ks: float
    n: int
    events: int
    theta: np.ndarray = field(repr=False, default=None)

    def dist(self) -> dict:
        """The scenario's distribution: ``{"dist": family, **params}``."""
        return {"dist": self.family, **{k: _round(v) for k, v in self.params.items()}}

    def frozen(self):
        return FAMILIES[self.family].frozen(self.theta)


def _round(x: float) -> float:
    return float(f"{x:.6g}")


def positive(t) -> np.ndarray:
    """Durations with zeros replaced by half the smallest positive one (see the module)."""
    t = np.asarray(t, dtype=float)
    pos = t[t > 0]
    floor = pos.min() / 2 if len(pos) else 0.5
    return np.where(t > 0, t, floor)


def fit_family(name: str, t, events=None, km=None) -> Fit:
    """MLE of family ``name`` to durations ``t`` (``events`` False = censored at t)."""
    from scipy import optimize

    fam = FAMILIES[name]
    t = positive(t)
    events = np.ones(len(t), bool) if events is None else np.asarray(events, bool)
    te, tc = t[events], t[~events]

    def negll(theta):
        with np.errstate(over="ignore", invalid="ignore"):
            value = -fam.logpdf_logsf(theta, te, tc)
        return value if np.isfinite(value) else 1e300

    start = fam.start(te if len(te) > 1 else t)
    if name == "exponential":
        theta = np.array([np.log(t.sum() / max(len(te), 1))])  # closed form
    else:
        res = optimize.minimize(negll, start, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-8,
                                                                             "maxiter": 4000})
        theta = optimize.minimize(negll, res.x, method="BFGS").x if res.success else res.x
        theta = theta if negll(theta) <= res.fun else res.x
    ll = -negll(theta)
    cov = _covariance(negll, theta)
    params = fam.params(theta)
    ci = _delta_ci(fam, theta, cov, params)
    ks = _ks(fam.frozen(theta), t, events, km)
    return Fit(name, params, ci, float(ll), float(2 * fam.k - 2 * ll), float(ks), len(t), int(events.sum()), theta)


def _covariance(negll, theta) -> np.ndarray:
    """Inverse of the observed information (central-difference Hessian of -log L)."""
    k = len(theta)
    h = 1e-4 * np.maximum(1.0, np.abs(theta))
    hess = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.eye(k)[i] * h[i], np.eye(k)[j] * h[j]
            value = (negll(theta + ei + ej) - negll(theta + ei - ej) - negll(theta - ei + ej)
                     + negll(theta - ei - ej)) / (4 * h[i] * h[j])
            hess[i, j] = hess[j, i] = value
    try:
        return np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return np.full((k, k), np.nan)


def _delta_ci(fam: Family, theta, cov, params) -> dict:
    """95 % CI of each reported parameter, on the log scale (they are all positive)."""
    out = {}
    for key, value in params.items():
        grad = np.empty(len(theta))
        for i in range(len(theta)):
            h = 1e-6 * max(1.0, abs(theta[i]))
            up, down = theta.copy(), theta.copy()
            up[i] += h
            down[i] -= h
            grad[i] = (np.log(fam.params(up)[key]) - np.log(fam.params(down)[key])) / (2 * h)
        se = float(np.sqrt(max(grad @ cov @ grad, 0.0)))
        with np.errstate(over="ignore"):  # a parameter the data barely pins down: an interval to inf
            out[key] = (value * np.exp(-Z95 * se), value * np.exp(Z95 * se))
    return out


def _ks(frozen, t, events, km) -> float:
    """Largest gap between the fitted CDF and the empirical one (Kaplan-Meier's with censoring)."""
    if events.all():
        x = np.sort(t)
        cdf = frozen.cdf(x)
        n = len(x)
        return float(max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n)))
    from .survival import kaplan_meier

    km = km or kaplan_meier(t, events)
    keep = km.at_risk >= max(10, 0.01 * len(t))  # the tail's few survivors make the KM jump to 0
    fitted = frozen.cdf(km.times[keep])
    before = np.concatenate([[1.0], km.survival[:-1]])[keep]
    return float(max(np.max(np.abs(1 - km.survival[keep] - fitted), initial=0.0),
                     np.max(np.abs(1 - before - fitted), initial=0.0)))


def fit_best(t, families, events=None) -> tuple:
    """(the fit with the smallest AIC, every fit by family)."""
    km = None
    if events is not None and not np.all(events):
        from .survival import kaplan_meier

        km = kaplan_meier(positive(t), events)
    fits = {name: fit_family(name, t, events, km) for name in families}
    best = min(fits.values(), key=lambda f: f.aic)
    return best, fits


__all__ = ["FAMILIES", "Fit", "HANDLE_FAMILIES", "PATIENCE_FAMILIES", "fit_best", "fit_family", "positive"]
