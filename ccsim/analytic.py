"""Exact steady-state queueing formulas for contact centers.

Units: time in seconds, rates per second; the offered load is
a = arrival_rate * mean_handle in Erlangs.  All formulas use stable recurrences
or log-space arithmetic (a**n / n! is never formed), so thousands of agents and
loads just under or above capacity are fine.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import logsumexp
from scipy.stats import poisson

_TAIL_NATS = 40.0  # stationary tail truncated this many nats below its peak
_POISSON_TAIL = 1e-13  # neglected Poisson mass in uniformization
_MAX_STATES = 4_000_000
_MAX_AGENTS = 10**7


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


def erlang_a_metrics(agents: int, arrival_rate: float, mean_handle: float,
                     mean_patience: float | None, threshold: float) -> ErlangResult:
    """M/M/c+M (Palm / Erlang A): exponential patience with mean mean_patience
    seconds; exact for any load, including overload.  mean_patience None or inf
    reduces to erlang_c_metrics.  threshold T in seconds."""
    if mean_patience is None or _number("mean_patience", mean_patience) == math.inf:
        return erlang_c_metrics(agents, arrival_rate, mean_handle, threshold)
    c = _agents(agents)
    lam = _positive("arrival_rate", arrival_rate)
    mu = 1.0 / _positive("mean_handle", mean_handle)
    theta = 1.0 / _positive("mean_patience", mean_patience)
    t = _nonneg("threshold", threshold)

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
