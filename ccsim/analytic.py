"""Exact steady-state queueing formulas for contact centers.

Units: time in seconds, rates per second; the offered load is
a = arrival_rate * mean_handle in Erlangs.  All formulas use stable recurrences
or log-space arithmetic (a**n / n! is never formed), so thousands of agents and
loads just under or above capacity are fine.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.integrate import IntegrationWarning, quad
from scipy.special import expit, gammainc, gammaincc, gammaln, logsumexp
from scipy.stats import poisson

_TAIL_NATS = 40.0  # stationary tail truncated this many nats below its peak
_POISSON_TAIL = 1e-13  # neglected Poisson mass in uniformization
_MAX_STATES = 4_000_000
_MAX_AGENTS = 2**31 - 1
_RECURSION_AGENTS = 2000  # above, Erlang B in closed form instead of the O(c) recursion


@dataclass(frozen=True)
class ErlangResult:
    """Steady-state performance of a multi-server queue (times in seconds).

    p_wait: probability an arriving call finds all agents busy (has to wait).
    p_abandon: fraction of offered calls that abandon (0 without abandonment).
    service_level: fraction of ALL offered calls answered within the threshold;
        abandoned and blocked calls count as failures, calls answered at once
        as successes.
    asa: mean wait of answered calls (zero waits included).
    mean_wait_all: mean wait of all offered calls (abandoners' waits included).
    occupancy: mean number of busy agents / agents.
    mean_queue: mean number of calls waiting.
    p_block: fraction of offered calls blocked (Erlang B only, else 0).
    """

    p_wait: float
    p_abandon: float
    service_level: float
    asa: float
    mean_wait_all: float
    occupancy: float
    mean_queue: float
    p_block: float = 0.0


# ---------------------------------------------------------------- validation
def _number(name: str, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if math.isnan(v):
        raise ValueError(f"{name} must not be NaN, got {value!r}")
    return v


def _positive(name: str, value) -> float:
    v = _number(name, value)
    if not (0.0 < v < math.inf):
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return v


def _nonneg(name: str, value) -> float:
    v = _number(name, value)
    if not (0.0 <= v < math.inf):
        raise ValueError(f"{name} must be >= 0 and finite, got {value!r}")
    return v


def _fraction(name: str, value) -> float:
    v = _number(name, value)
    if not (0.0 < v < 1.0):
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")
    return v


def _clip01(x: float) -> float:
    """Clamp a probability against 1 + 1e-15 style rounding."""
    return min(max(float(x), 0.0), 1.0)


def _agents(agents) -> int:
    if isinstance(agents, bool) or not isinstance(agents, (int, np.integer)) or agents < 1:
        raise ValueError(f"agents must be an integer >= 1, got {agents!r}")
    return int(agents)


# ---------------------------------------------------------------- Erlang B / C
def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of M/M/c/c with c = agents and load a (Erlangs)."""
    c, a = _agents(agents), _nonneg("load", load)
    if c > _RECURSION_AGENTS and a > 0.0:  # O(1): B = 1 / (1 + R), R from the incomplete gamma
        return float(expit(-_log_idle_ratio(c, a)))
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(agents: int, load: float) -> float:
    """Probability of waiting in M/M/c with load a (Erlangs); 1.0 if a >= c."""
    c, a = _agents(agents), _nonneg("load", load)
    if a >= c:
        return 1.0
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def erlang_b_metrics(agents: int, arrival_rate: float, mean_handle: float) -> ErlangResult:
    """M/M/c/c (blocked calls lost).  p_block = Erlang B; nobody waits, so
    p_wait = asa = 0 and service_level = 1 - p_block (answered at once)."""
    c = _agents(agents)
    a = _positive("arrival_rate", arrival_rate) * _positive("mean_handle", mean_handle)
    b = erlang_b(c, a)
    return ErlangResult(p_wait=0.0, p_abandon=0.0, service_level=1.0 - b, asa=0.0,
                        mean_wait_all=0.0, occupancy=a * (1.0 - b) / c,
                        mean_queue=0.0, p_block=b)


def erlang_c_metrics(agents: int, arrival_rate: float, mean_handle: float,
                     threshold: float) -> ErlangResult:
    """M/M/c (infinitely patient callers); threshold T in seconds.

    SL = 1 - C exp(-(c mu - lambda) T), ASA = C / (c mu - lambda).
    Raises ValueError if arrival_rate * mean_handle >= agents (unstable).
    """
    c = _agents(agents)
    lam = _positive("arrival_rate", arrival_rate)
    h = _positive("mean_handle", mean_handle)
    t = _nonneg("threshold", threshold)
    a = lam * h
    if a >= c:
        raise ValueError(f"unstable: load arrival_rate*mean_handle = {a:g} Erl "
                         f">= agents = {c}")
    p_wait = erlang_c(c, a)
    gap = (c - a) / h  # c*mu - lambda
    asa = p_wait / gap
    return ErlangResult(p_wait=p_wait, p_abandon=0.0,
                        service_level=1.0 - p_wait * math.exp(-gap * t), asa=asa,
                        mean_wait_all=asa, occupancy=a / c, mean_queue=lam * asa)


# ---------------------------------------------------------------- Erlang A
# Closed forms (Garnett, Mandelbaum & Reiman 2002; Mandelbaum & Zeltyn). With
# x = c*mu/theta, y = lambda/theta, a caller who must wait finds j ahead with
# weight t_j = y^j / ((x+1)...(x+j)); their sum is
#     A(x, y) = x e^y y^-x gamma(x, y) = e^y y^-x Gamma(x+1) P(x, y),
# and relative to pi_c the idle states weigh R = sum_{k<c} pi_k / pi_c =
# e^a a^-c c! Q(c, a). Mixing over j, S = exp(-theta V) of a waiting caller's
# offered wait V has density x s^(x-1) e^(y(1-s)) (a Beta(x, j+1) per j), so
#     P(wait)            = A / (R + A)
#     P(served | wait)   = (x/y) P(x+1, y) / P(x, y)          (= E[S] / A)
#     P(served in T | w) = (x/y) [P(x+1, y) - P(x+1, y e^(-theta T))] / P(x, y)
#     P(ab | wait)       = (x + (y - x) A) / (y A) = 1/(rho A) + 1 - 1/rho
# ASA has no incomplete-gamma form (it is a derivative in x of one): it and any
# quantity whose closed form would cancel or underflow come from one
# Gauss-Kronrod integral over w = theta V around the density's peak.
_P_FLOOR = 1e-280  # below, P(x, y) has lost its digits: use the integral


def _stirling_tail(x: float) -> float:
    """log Gamma(x+1) - (x log x - x + log(2 pi x) / 2), accurate for any x > 0."""
    if x < 10.0:
        return float(gammaln(x + 1.0) - (x * math.log(x) - x + 0.5 * math.log(2 * math.pi * x)))
    x2 = x * x
    return (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / (1188 * x2)) / x2) / x2) / x2) / x


def _r_minus_1_minus_log_r(r: float) -> float:
    """r - 1 - log r >= 0, without cancellation near r = 1."""
    d = r - 1.0
    return d - math.log1p(d) if abs(d) > 1e-4 else d * d * (0.5 - d * (1 / 3 - d * (0.25 - d / 5)))


def _expm1_plus(u: float) -> float:
    """e^-u - 1 + u >= 0, without cancellation near u = 0."""
    if abs(u) > 1e-3:
        return math.expm1(-u) + u
    return u * u * (0.5 - u * (1 / 6 - u * (1 / 24 - u / 120)))


def _log_idle_ratio(c: int, a: float) -> float:
    """log R, R = sum_{k<c} a^(k-c) c!/k! (idle states relative to all-busy)."""
    if a <= c:  # Q(c, a) >= ~1/2: the closed form keeps its digits
        return (c * _r_minus_1_minus_log_r(a / c) + 0.5 * math.log(2 * math.pi * c) + _stirling_tail(c)
                + math.log(gammaincc(c, a)))
    # Q underflows for a >> c; the terms c!/((c-m)! a^m) fall at least as fast as (c/a)^m.
    ratios = (c - np.arange(min(c, 64 + int(40 / max(math.log(a / c), 1e-12))))) / a
    terms = np.cumprod(ratios)
    return math.log(float(terms.sum()))


class _Waiters:
    """The callers who find every agent busy: offered-wait density on w = theta V >= 0,
    f(w) = x exp(-x w + y (1 - e^-w)), integrated relative to its value at the peak w0.

    Around the peak, f(w0 + u) = f(w0) exp(-g(u)) with g(u) = b u + c (e^-u - 1 + u) >= 0
    evaluated without cancellation, however large x and y are.
    """

    def __init__(self, x: float, y: float, x_minus_y: float):
        if y > x:  # overload: peak inside, at log(y/x)
            self.w0, self.b, self.c = math.log(y / x), 0.0, x
            self.log_peak = math.log(x) + x * _r_minus_1_minus_log_r(y / x)
        else:  # the density falls from w = 0
            self.w0, self.b, self.c = 0.0, x_minus_y, y
            self.log_peak = math.log(x)
        # where the density has fallen by e^-1 and e^-800 on either side
        self.right = (self._reach(1.0, 1.0), self._reach(800.0, 1.0))
        self.left = (self._reach(1.0, -1.0), self._reach(800.0, -1.0)) if self.w0 > 0 else (0.0, 0.0)

    def _g(self, u: float) -> float:
        return self.b * u + self.c * _expm1_plus(u)

    def _reach(self, level: float, side: float) -> float:
        """|u| on ``side`` where g(u) = level (capped at w0 on the left)."""
        cap = self.w0 if side < 0 else math.inf
        hi = 1e-300
        while self._g(side * hi) < level and hi < cap:
            hi *= 2.0
        if hi >= cap:
            return cap
        lo = hi / 2
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if self._g(side * mid) < level:
                lo = mid
            else:
                hi = mid
            if hi - lo <= 1e-15 * hi:
                break
        return hi

    def integral(self, weight, upto: float = math.inf) -> float:
        """int weight(w) f(w) dw over [0, upto], divided by f(w0)."""
        w0, g = self.w0, self._g
        total = 0.0
        # pieces: far left, near left, near right, far right (each a smooth stretch for QUADPACK)
        edges = [-self.left[1], -self.left[0], 0.0, self.right[0], self.right[1]]
        for lo, hi in zip(edges[:-1], edges[1:]):
            hi = min(hi, upto - w0)
            if hi <= lo:
                continue
            with warnings.catch_warnings():
                # 1e-12 is at the edge of double precision: QUADPACK may report
                # roundoff on flat stretches; the tests hold it to the chain at ~1e-12.
                warnings.simplefilter("ignore", IntegrationWarning)
                value, _ = quad(lambda u: weight(w0 + u) * math.exp(-g(u)), lo, hi,
                                epsabs=0.0, epsrel=1e-12, limit=200)
            total += value
        return total


def erlang_a_metrics(agents: int, arrival_rate: float, mean_handle: float,
                     mean_patience: float | None, threshold: float) -> ErlangResult:
    """M/M/c+M (Palm / Erlang A): exponential patience with mean mean_patience
    seconds; exact for any load, including overload, in closed form (see above).
    mean_patience None or inf reduces to erlang_c_metrics. threshold T in seconds."""
    if mean_patience is None or _number("mean_patience", mean_patience) == math.inf:
        return erlang_c_metrics(agents, arrival_rate, mean_handle, threshold)
    c = _agents(agents)
    lam = _positive("arrival_rate", arrival_rate)
    h = _positive("mean_handle", mean_handle)
    patience = _positive("mean_patience", mean_patience)
    t = _nonneg("threshold", threshold)
    return _erlang_a_closed(c, lam, h, patience, t)


def _erlang_a_closed(c: int, lam: float, h: float, patience: float, t: float) -> ErlangResult:
    theta = 1.0 / patience
    a = lam * h
    x, y = c * patience / h, lam * patience
    x_minus_y = (c - a) * patience / h  # without cancelling x - y
    waiters = _Waiters(x, y, x_minus_y)
    p_x = float(gammainc(x, y))
    log_r = _log_idle_ratio(c, a)
    closed = p_x > _P_FLOOR
    if closed:
        # log A = log P(x, y) + y - x log y + log Gamma(x+1), without forming the huge terms
        log_a = (math.log(p_x) + x * _r_minus_1_minus_log_r(y / x) + 0.5 * math.log(2 * math.pi * x)
                 + _stirling_tail(x))
        y_t = y * math.exp(-theta * t)
        if gammainc(x + 1, y) > 0.5:  # difference of upper tails keeps the digits there
            within = (x / y) * float(gammaincc(x + 1, y_t) - gammaincc(x + 1, y)) / p_x
        else:
            within = (x / y) * float(gammainc(x + 1, y) - gammainc(x + 1, y_t)) / p_x
    mass = waiters.integral(lambda w: 1.0)
    if not closed:
        log_a = waiters.log_peak + math.log(mass)
        within = waiters.integral(lambda w: math.exp(-w), upto=theta * t) / mass if t > 0 else 0.0
    if y >= x and closed:
        big_a = math.exp(log_a) if log_a < 700 else math.inf
        # (x + (y - x) A) / (y A): every term positive in overload
        abandon_w = (x / big_a - x_minus_y) / y if math.isfinite(big_a) else -x_minus_y / y
    else:  # 1 - E[S] would cancel: integrate 1 - e^-w directly
        abandon_w = waiters.integral(lambda w: -math.expm1(-w)) / mass
    served_wait = waiters.integral(lambda w: w * math.exp(-w)) / mass / theta  # E[V e^(-theta V)] per waiter
    p_wait, p_now = float(expit(log_a - log_r)), float(expit(log_r - log_a))
    p_abandon = p_wait * abandon_w
    p_served = 1.0 - p_abandon
    return ErlangResult(
        p_wait=_clip01(p_wait), p_abandon=_clip01(p_abandon),
        service_level=_clip01(p_now + p_wait * within),
        asa=p_wait * served_wait / p_served if p_served > 0 else math.nan,
        mean_wait_all=p_abandon / theta, occupancy=_clip01(a * p_served / c),
        mean_queue=lam * p_abandon / theta)


# ---------------------------------------------------------------- Erlang A by the chain (cross-check)
def _log_stationary(c: int, lam: float, mu: float, theta: float) -> np.ndarray:
    """Unnormalised log pi_k, k = 0..n, of the M/M/c+M birth-death chain,
    with n large enough that the tail is decreasing and _TAIL_NATS below peak."""
    n = c + 64
    while True:
        k = np.arange(1, n + 1, dtype=float)
        death = np.minimum(k, c) * mu + np.maximum(k - c, 0.0) * theta
        logp = np.concatenate(([0.0], np.cumsum(math.log(lam) - np.log(death))))
        if death[-1] > lam and logp[-1] < logp.max() - _TAIL_NATS:
            return logp
        if n > _MAX_STATES:
            raise ValueError(f"mean_patience = {1 / theta:g} s is too long for this "
                             f"overload: more than {_MAX_STATES} states needed")
        n *= 2


def _served_within(q: np.ndarray, cmu: float, theta: float, t: float) -> float:
    """P(tagged call is served within t) by uniformization.

    q[j] = probability the call arrives with j calls ahead.  With j ahead it
    moves to j-1 at rate c*mu + j*theta (to 'served' from j = 0) and is killed
    by its own abandonment at rate theta.
    """
    if t == 0.0:
        return 0.0
    move = cmu + theta * np.arange(q.size)
    rate = move[-1] + theta
    n_max = int(poisson.isf(_POISSON_TAIL, rate * t)) + 1
    weights = poisson.pmf(np.arange(1, n_max + 1), rate * t)
    v = q[:n_max].copy()  # calls farther back need > n_max jumps to be served
    down = move[: v.size] / rate
    stay = 1.0 - down - theta / rate
    served = total = 0.0
    for w in weights:  # w = P(exactly n jumps by t), n = 1, 2, ...
        served += v[0] * down[0]
        nxt = v * stay
        nxt[:-1] += v[1:] * down[1:]
        v = nxt
        total += w * served
    return float(total)


def _erlang_a_chain(c: int, lam: float, mu: float, theta: float, t: float) -> ErlangResult:
    """Erlang A from the truncated birth-death chain: the slow cross-check of
    ``erlang_a_metrics`` (O(states); refuses more than _MAX_STATES states)."""
    logp = _log_stationary(c, lam, mu, theta)
    p = np.exp(logp - logsumexp(logp))
    q = p[c:]  # by PASTA: arrival finds j = 0, 1, ... calls waiting ahead
    j = np.arange(q.size)
    r_next = c * mu + (j + 1) * theta  # r_{j+1}, where r_i = c*mu + i*theta
    # P(served | j) = prod_{i<=j} r_i / (r_i + theta) telescopes to r_0 / r_{j+1}
    served_j = c * mu / r_next
    # E[min(V_j, patience)] = (j + 1) / r_{j+1}; abandon prob = theta * that
    wait_all = float(np.dot(q, (j + 1) / r_next))
    p_abandon = theta * wait_all
    # E[V_j exp(-theta V_j)] = P(served | j) * sum_{i<=j} 1 / (r_i + theta)
    answered_wait = float(np.dot(q, served_j * np.cumsum(1.0 / r_next)))
    busy = float(np.dot(p, np.minimum(np.arange(p.size), c)))
    sl = float(p[:c].sum()) + _served_within(q, c * mu, theta, t)
    return ErlangResult(p_wait=_clip01(float(q.sum())), p_abandon=_clip01(p_abandon),
                        service_level=_clip01(sl), asa=answered_wait / (1.0 - p_abandon),
                        mean_wait_all=wait_all, occupancy=_clip01(busy / c),
                        mean_queue=float(np.dot(j, q)))


# ---------------------------------------------------------------- staffing
def _least(meets: Callable[[int], bool], lo: int) -> int:
    """Least n >= lo with meets(n), assuming meets is monotone in n."""
    if meets(lo):
        return lo
    step = 1
    while not meets(lo + step):  # invariant: meets(lo) is False
        lo += step
        step *= 2
        if lo > _MAX_AGENTS:
            raise ValueError(f"targets not reachable with {_MAX_AGENTS} agents")
    hi = lo + step
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if meets(mid):
            hi = mid
        else:
            lo = mid
    return hi


def staff_erlang_c(arrival_rate: float, mean_handle: float, threshold: float,
                   target_sl: float, max_asa: float | None = None) -> int:
    """Least agents such that Erlang C service_level >= target_sl (answered
    within threshold seconds) and, if given, asa <= max_asa seconds."""
    lam = _positive("arrival_rate", arrival_rate)
    h = _positive("mean_handle", mean_handle)
    t = _nonneg("threshold", threshold)
    sl = _fraction("target_sl", target_sl)
    asa = None if max_asa is None else _positive("max_asa", max_asa)

    def meets(n: int) -> bool:
        r = erlang_c_metrics(n, lam, h, t)
        return r.service_level >= sl and (asa is None or r.asa <= asa)

    return _least(meets, math.floor(lam * h) + 1)


def staff_erlang_a(arrival_rate: float, mean_handle: float,
                   mean_patience: float | None, threshold: float, target_sl: float,
                   max_abandon: float | None = None) -> int:
    """Least agents such that Erlang A service_level >= target_sl and, if
    given, p_abandon <= max_abandon.  mean_patience None/inf: Erlang C."""
    lam = _positive("arrival_rate", arrival_rate)
    h = _positive("mean_handle", mean_handle)
    t = _nonneg("threshold", threshold)
    sl = _fraction("target_sl", target_sl)
    ab = None if max_abandon is None else _fraction("max_abandon", max_abandon)
    if mean_patience is None or _number("mean_patience", mean_patience) == math.inf:
        return staff_erlang_c(lam, h, t, sl)
    patience = _positive("mean_patience", mean_patience)

    def meets(n: int) -> bool:
        r = erlang_a_metrics(n, lam, h, patience, t)
        return r.service_level >= sl and (ab is None or r.p_abandon <= ab)

    # Throughput <= c*mu, so SL <= P(served) <= c/a: a valid lower bound.
    a = lam * h
    lo = max(sl * a, 0.0 if ab is None else (1.0 - ab) * a)
    return _least(meets, max(1, math.floor(lo)))
