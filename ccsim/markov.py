"""Exact solvers for models the simulator grows into: retrials, IVR menus, routing.

Units: time in seconds, rates per second.  Both solvers are exact for their
Markov models (up to a stated truncation for the retrial queue) and serve as
references for the statistical validation of the simulator.

``retrial_queue``: M/M/c with a finite number of lines, exponential patience and
an orbit of callers who try again after a blocked or abandoned attempt;
stationary law of the two-dimensional chain (calls in system, callers in orbit)
on a state space grown until the truncation boundary holds less than ``tol`` of
the mass.

``ivr_tree``: an IVR menu as an absorbing Markov chain, with one exponential
IVR patience per caller for the whole stay in the menu.

``priority_queue``: M/M/c with K classes under non-preemptive priority, equal
service rates; per-class mean waits by Cobham's formula.

``multiskill_chain``: two call types, specialists of each type and
cross-trained agents under a stated static routing rule, optional abandonment;
the stationary law of the CTMC with both queues truncated like the retrial orbit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from ccsim.analytic import _agents, _nonneg, _number, _positive, erlang_c

_MAX_STATES = 2_000_000  # refuse larger truncated retrial chains
_FIRST_ORBIT = 32  # first orbit cap tried; doubled until the boundary is light
_FIRST_EXTRA = 32  # calls waiting beyond the agents first tried when lines is None
_RESIDUAL = 1e-9  # accepted |pi Q| relative to the largest rate, and flow-balance error
_PROB_TOL = 1e-9  # branch probabilities must sum to 1 within this
IVR_HANG_UP = "ivr_hang_up"  # exit of a caller whose IVR patience runs out inside a node


def _probability(name: str, value) -> float:
    v = _number(name, value)
    if not (0.0 <= v <= 1.0):
        raise ValueError(f"{name} must lie in [0, 1], got {value!r}")
    return v


# ================================================================ retrial queue
@dataclass(frozen=True)
class RetrialResult:
    """Stationary performance of the M/M/c retrial queue with abandonment.

    distribution[n, m]: probability of n calls in the system (in service or
        waiting, 0..queue_cap) and m callers in orbit (0..orbit_cap).
    Rates (per second): first_attempts (= arrival_rate), retrial_attempts
        (retrial_rate * mean_orbit), attempts (their sum), blocked_attempts
        (attempts finding every line taken), offered_attempts (attempts that
        reach the queue), answered, abandoned, lost_blocked (blocked attempts not
        retried), lost_abandoned (abandoners not retrying).
    Ratios: blocked_per_attempt, abandon_per_offered, p_wait (fraction of
        offered attempts that find every agent busy), occupancy (mean busy
        agents / agents), fraction_of_callers_served (answered / arrival_rate).
    Means: mean_orbit, mean_queue (waiting), mean_in_service.
    Truncation: orbit_cap, queue_cap (largest n kept; = lines when finite),
        boundary_mass (mass on the truncation boundary, below tol),
        truncation_leak (rate of callers the truncated chain drops at its
        boundary; answered + lost_blocked + lost_abandoned + truncation_leak
        = arrival_rate holds to ~1e-9 relative).
    """

    distribution: np.ndarray
    first_attempts: float
    retrial_attempts: float
    attempts: float
    blocked_attempts: float
    offered_attempts: float
    answered: float
    abandoned: float
    lost_blocked: float
    lost_abandoned: float
    blocked_per_attempt: float
    abandon_per_offered: float
    p_wait: float
    mean_orbit: float
    mean_queue: float
    mean_in_service: float
    occupancy: float
    fraction_of_callers_served: float
    orbit_cap: int
    queue_cap: int
    boundary_mass: float
    truncation_leak: float


@dataclass(frozen=True)
class _Retrial:
    """Checked parameters of the retrial model (lines None: unlimited)."""

    lam: float
    mu: float
    c: int
    lines: int | None
    theta: float
    p_b: float
    p_a: float
    nu: float


def _retrial_params(arrival_rate, service_rate, agents, lines, patience_rate,
                    retry_blocked, retry_abandoned, retrial_rate) -> _Retrial:
    c = _agents(agents)
    if lines is not None:
        if isinstance(lines, bool) or not isinstance(lines, Integral) or lines < c:
            raise ValueError(f"lines must be None or an integer >= agents = {c}, got {lines!r}")
        lines = int(lines)
    p = _Retrial(lam=_positive("arrival_rate", arrival_rate), mu=_positive("service_rate", service_rate),
                 c=c, lines=lines, theta=_nonneg("patience_rate", patience_rate),
                 p_b=_probability("retry_blocked", retry_blocked),
                 p_a=_probability("retry_abandoned", retry_abandoned),
                 nu=_nonneg("retrial_rate", retrial_rate))
    if p.nu == 0.0 and (p.p_b > 0.0 or p.p_a > 0.0):
        raise ValueError("retrial_rate must be positive when retry_blocked or retry_abandoned "
                         "is positive (callers would stay in orbit for ever)")
    _check_stable(p)
    return p


def _check_stable(p: _Retrial) -> None:
    """Refuse a chain whose orbit or queue grows without bound.

    With many callers in orbit the retrials keep every line taken (finite
    lines): a blocked retrial leaves the orbit with probability 1 - p_b, so
    p_b < 1 is always stable; with p_b = 1 the orbit drains only through the
    saturated system, whose departures cμ + (L-c)θ return (L-c)θ p_a callers:
    stable iff λ < cμ + (1 - p_a)(L - c)θ.  Unlimited lines: nothing is
    blocked, waiting callers are lost at a rate growing with the queue unless
    θ = 0 or p_a = 1, in which case every caller is eventually served:
    stable iff λ < cμ.
    """
    cmu = p.c * p.mu
    if p.lines is None:
        if (p.theta == 0.0 or p.p_a == 1.0) and p.lam >= cmu:
            raise ValueError(f"unstable: arrival_rate = {p.lam:g}/s >= agents * service_rate = "
                             f"{cmu:g}/s and no caller is ever lost (lines None, "
                             f"{'patience_rate = 0' if p.theta == 0.0 else 'retry_abandoned = 1'})")
        return
    capacity = cmu + (1.0 - p.p_a) * (p.lines - p.c) * p.theta
    if p.p_b == 1.0 and p.lam >= capacity:
        raise ValueError(f"unstable: with retry_blocked = 1 the orbit grows without bound unless "
                         f"arrival_rate = {p.lam:g}/s < agents * service_rate + (1 - retry_abandoned)"
                         f" * (lines - agents) * patience_rate = {capacity:g}/s")


def _retrial_generator(p: _Retrial, n_cap: int, m_cap: int):
    """Sparse generator of the chain on n = 0..n_cap, m = 0..m_cap (state n*(m_cap+1)+m),
    and the rate of callers dropped at the truncation boundary, per state."""
    n, m = np.meshgrid(np.arange(n_cap + 1), np.arange(m_cap + 1), indexing="ij")
    n, m = n.ravel(), m.ravel()
    idx = n * (m_cap + 1) + m
    full = n == n_cap
    blocking = full if p.lines is not None else np.zeros_like(full)
    rows, cols, rates = [], [], []

    def move(mask, dn, dm, rate):
        rate = np.broadcast_to(rate, mask.shape)
        keep = mask & (rate > 0)
        rows.append(idx[keep])
        cols.append(idx[keep] + dn * (m_cap + 1) + dm)
        rates.append(rate[keep])

    retry = m * p.nu
    waiting = np.maximum(n - p.c, 0) * p.theta
    move(~full, 1, 0, p.lam)  # first attempt gets a line
    move(blocking & (m < m_cap), 0, 1, p.lam * p.p_b)  # blocked, joins the orbit
    move(~full & (m > 0), 1, -1, retry)  # retrial gets a line
    move(blocking & (m > 0), 0, -1, retry * (1.0 - p.p_b))  # blocked retrial gives up
    move(n > 0, -1, 0, np.minimum(n, p.c) * p.mu)  # service completion
    move((n > 0) & (m < m_cap), -1, 1, waiting * p.p_a)  # abandons, joins the orbit
    move(n > 0, -1, 0, waiting * (1.0 - p.p_a))  # abandons for good
    # dropped by the truncation: orbit joiners at m_cap, first attempts at an artificial n_cap
    leak = ((m == m_cap) * (blocking * p.lam * p.p_b + waiting * p.p_a)
            + (full & ~blocking) * p.lam)
    # abandoners at m_cap leave the system without joining the orbit
    move((n > 0) & (m == m_cap), -1, 0, waiting * p.p_a)
    size = (n_cap + 1) * (m_cap + 1)
    r, c_, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(rates)
    gen = sp.coo_matrix((v, (r, c_)), shape=(size, size)).tocsr()
    gen = gen - sp.diags(np.asarray(gen.sum(axis=1)).ravel())
    return gen.tocsc(), leak.reshape(n_cap + 1, m_cap + 1)


def _stationary(gen: sp.csc_matrix, pin: int, what: str = "retrial chain") -> np.ndarray:
    """pi with pi Q = 0, sum 1: fix pi_pin = 1, solve the other balance equations
    (sparse LU on the diagonal), normalise; re-solved pinned at the mode if pi_pin came out tiny
    (the ratios pi_j / pi_pin must stay within floating-point range); residual checked."""
    a = gen.T.tocsc()
    size = a.shape[0]
    for _ in range(4):
        rest = np.r_[0:pin, pin + 1:size]
        # Q^T is column diagonally dominant and elimination keeps it so: pivot on the
        # diagonal (symmetric ordering), which keeps tiny probabilities positive in
        # practice; a failure (negative or overflowed values) is refused below
        lu = splu(a[rest][:, rest].tocsc(), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                  options=dict(SymmetricMode=True))
        x = lu.solve(-a[rest, pin].toarray().ravel())
        pi = np.insert(np.atleast_1d(x), pin, 1.0)
        mode = int(np.argmax(np.nan_to_num(pi, nan=-np.inf)))  # an overflowed state if any
        if pi[mode] < 1e30 and np.all(np.isfinite(pi)):
            break
        pin = mode
    total = pi.sum()
    if not (np.all(np.isfinite(pi)) and total > 0 and pi.min() >= -1e-12 * total):
        raise ValueError(f"the truncated {what} could not be solved accurately: its "
                         "probabilities span more than floating-point range (load far above "
                         "capacity with slow retrials?)")
    pi = np.maximum(pi / total, 0.0)
    scale = float(abs(gen.diagonal()).max())
    residual = float(np.abs(gen.T @ pi).max())
    if residual > _RESIDUAL * scale:
        raise ValueError(f"{what} solve inaccurate: residual {residual:.3g} "
                         f"(rates up to {scale:.3g}/s)")
    return pi


def _tail(marginal: np.ndarray) -> float:
    """Mass on the last level plus a geometric estimate of the mass beyond it."""
    last, before = float(marginal[-1]), float(marginal[-2])
    ratio = last / before if before > 0 else 0.0
    return math.inf if ratio >= 1.0 else last / (1.0 - ratio)


def retrial_queue(arrival_rate: float, service_rate: float, agents: int, lines: int | None = None,
                  patience_rate: float = 0.0, retry_blocked: float = 0.0,
                  retry_abandoned: float = 0.0, retrial_rate: float = 0.0,
                  tol: float = 1e-10) -> RetrialResult:
    """Stationary M/M/c retrial queue with lines, abandonment and an orbit.

    First attempts arrive at arrival_rate (λ, per second); agents (c) serve at
    service_rate (μ, per second) each; at most ``lines`` (L >= c; None:
    unlimited) calls are in the system, an attempt finding L calls is blocked;
    waiting callers abandon at patience_rate (θ, per second; 0: never).  A
    blocked attempt retries with probability retry_blocked (p_b), an abandoner
    with probability retry_abandoned (p_a); retrying callers wait in the orbit
    and each tries again at retrial_rate (ν, per second), as often as needed.
    State (n, m): n calls in system, m callers in orbit.

    The orbit (and the queue when lines is None) is truncated where the mass
    on the truncation boundary, with a geometric estimate of the tail beyond,
    is below tol; the cap doubles until it is, within 2,000,000 states.
    Raises ValueError for bad input, an unstable model (see _check_stable) or
    a truncation that would need too many states.
    """
    p = _retrial_params(arrival_rate, service_rate, agents, lines, patience_rate,
                        retry_blocked, retry_abandoned, retrial_rate)
    tol = _positive("tol", tol)
    n_cap = p.lines if p.lines is not None else p.c + _FIRST_EXTRA
    orbit_used = p.p_b > 0.0 and p.lines is not None or p.p_a > 0.0 and p.theta > 0.0
    m_cap = _FIRST_ORBIT if orbit_used else 0
    mode = (min(n_cap, int(p.lam / p.mu)), 0)  # where to pin the solve: near the mass
    while True:
        if (n_cap + 1) * (m_cap + 1) > _MAX_STATES:
            raise ValueError(f"retrial chain needs more than {_MAX_STATES:,} states to bring the "
                             f"truncated mass below tol = {tol:g} (orbit cap {m_cap}, queue cap "
                             f"{n_cap}): load too close to capacity or retrial_rate too small")
        gen, leak = _retrial_generator(p, n_cap, m_cap)
        pi = _stationary(gen, mode[0] * (m_cap + 1) + mode[1]).reshape(n_cap + 1, m_cap + 1)
        mode = np.unravel_index(int(np.argmax(pi)), pi.shape)
        orbit_tail = _tail(pi.sum(axis=0)) if m_cap > 0 else 0.0
        queue_tail = _tail(pi.sum(axis=1)) if p.lines is None else 0.0
        if orbit_tail < tol and queue_tail < tol:
            return _retrial_result(p, pi, leak, max(orbit_tail, queue_tail))
        if orbit_tail >= tol:
            m_cap *= 2
        if queue_tail >= tol:
            n_cap = p.c + 2 * (n_cap - p.c)


def _retrial_result(p: _Retrial, pi: np.ndarray, leak: np.ndarray, boundary: float) -> RetrialResult:
    n_cap, m_cap = pi.shape[0] - 1, pi.shape[1] - 1
    n = np.arange(n_cap + 1)[:, None]
    m = np.arange(m_cap + 1)[None, :]
    attempt_rate = p.lam + p.nu * m  # attempts per second in each state
    blocked_row = pi[n_cap] if p.lines is not None else np.zeros(m_cap + 1)
    blocked = float((blocked_row * attempt_rate[0]).sum())
    mean_orbit = float((pi * m).sum())
    retrials = p.nu * mean_orbit
    attempts = p.lam + retrials
    in_service = float((pi * np.minimum(n, p.c)).sum())
    queue = float((pi * np.maximum(n - p.c, 0)).sum())
    reach = (n < n_cap) if p.lines is not None else np.ones_like(n, dtype=bool)
    offered = float((pi * attempt_rate * reach).sum())
    wait = float((pi * attempt_rate * (reach & (n >= p.c))).sum())
    answered, abandoned = p.mu * in_service, p.theta * queue
    lost_blocked = blocked * (1.0 - p.p_b)
    lost_abandoned = abandoned * (1.0 - p.p_a)
    truncation_leak = float((pi * leak).sum())
    error = abs(p.lam - answered - lost_blocked - lost_abandoned - truncation_leak)
    if error > _RESIDUAL * max(attempts, 1.0):
        raise ValueError(f"retrial chain flow balance off by {error:.3g}/s")
    return RetrialResult(
        distribution=pi, first_attempts=p.lam, retrial_attempts=retrials, attempts=attempts,
        blocked_attempts=blocked, offered_attempts=offered, answered=answered,
        abandoned=abandoned, lost_blocked=lost_blocked, lost_abandoned=lost_abandoned,
        blocked_per_attempt=blocked / attempts,
        abandon_per_offered=abandoned / offered if offered > 0 else 0.0,
        p_wait=wait / offered if offered > 0 else 0.0, mean_orbit=mean_orbit,
        mean_queue=queue, mean_in_service=in_service, occupancy=in_service / p.c,
        fraction_of_callers_served=answered / p.lam, orbit_cap=m_cap, queue_cap=n_cap,
        boundary_mass=boundary, truncation_leak=truncation_leak)


# ================================================================ IVR tree
@dataclass(frozen=True)
class IvrResult:
    """An IVR menu solved as an absorbing Markov chain (times in seconds).

    exit_probability: label -> probability the caller leaves the IVR there;
        includes IVR_HANG_UP ("ivr_hang_up": IVR patience ran out in a node).
    visits[i]: expected number of visits to node i per caller.
    hang_ups[i]: expected number of IVR hang-ups in node i per caller
        (a probability: a caller hangs up at most once).
    mean_time: expected total time in the IVR per caller.
    time_by_exit: label -> E[T 1{exit = label}] (unconditional contribution).
    mean_time_by_exit: label -> E[T | exit = label] (nan if the label has
        probability 0).
    """

    exit_probability: dict
    visits: np.ndarray
    hang_ups: np.ndarray
    mean_time: float
    time_by_exit: dict
    mean_time_by_exit: dict


def _node_times(kind: str, value: float, theta: float) -> tuple[float, float, float]:
    """(q, A, B) of one node: q = P(D < P) completion probability,
    A = E[D 1{D < P}] time spent by completers, B = E[P 1{P < D}] by hangers-up."""
    if kind == "deterministic":
        x = theta * value
        q = math.exp(-x)
        if x == 0.0:
            return q, value, 0.0
        # 1 - e^-x (1 + x) = sum_{k>=2} (-1)^k (k-1) x^k / k!, without cancellation for small x
        if x < 1e-2:
            f = x * x * (0.5 - x * (1 / 3 - x * (1 / 8 - x / 30)))
        else:
            f = -math.expm1(-x) - x * q
        return q, value * q, f / theta
    q = 1.0 / (1.0 + theta * value)  # exponential with mean `value`: min(D, P) ~ Exp(1/m + theta)
    first = value * q  # E[min(D, P)] = 1 / (1/m + theta)
    return q, q * first, (1.0 - q) * first


def _parse_node(i: int, node, n_nodes: int):
    """(kind, value, [(target, p)]) of one node, checked; target an int or a label."""
    path = f"nodes[{i}]"
    if not isinstance(node, dict) or "duration" not in node or "branches" not in node:
        raise ValueError(f"{path} must be a dict with 'duration' and 'branches', got {node!r}")
    duration = node["duration"]
    if not (isinstance(duration, (tuple, list)) and len(duration) == 2
            and duration[0] in ("deterministic", "exponential")):
        raise ValueError(f"{path}.duration must be ('deterministic', seconds) or "
                         f"('exponential', mean seconds), got {duration!r}")
    value = _nonneg(f"{path}.duration", duration[1])
    branches = node["branches"]
    if not isinstance(branches, (list, tuple)) or not branches:
        raise ValueError(f"{path}.branches must be a non-empty list of (target, probability)")
    parsed, total = [], 0.0
    for j, branch in enumerate(branches):
        where = f"{path}.branches[{j}]"
        if not (isinstance(branch, (tuple, list)) and len(branch) == 2):
            raise ValueError(f"{where} must be a (target, probability) pair, got {branch!r}")
        target, prob = branch
        prob = _probability(f"{where} probability", prob)
        if isinstance(target, bool) or not isinstance(target, (Integral, str)):
            raise ValueError(f"{where} target must be a node index or an exit label, got {target!r}")
        if isinstance(target, str) and (not target or target == IVR_HANG_UP):
            raise ValueError(f"{where} exit label must be a non-empty string other than "
                             f"{IVR_HANG_UP!r} (reserved), got {target!r}")
        if isinstance(target, Integral) and not 0 <= target < n_nodes:
            raise ValueError(f"{where} targets unknown node {target!r} (nodes 0..{n_nodes - 1})")
        parsed.append((int(target) if isinstance(target, Integral) else target, prob))
        total += prob
    if abs(total - 1.0) > _PROB_TOL:
        raise ValueError(f"{path}.branches probabilities sum to {total!r}, not 1")
    return duration[0], value, parsed


def _check_exits_reachable(edges: list[list[tuple]]) -> None:
    """Every node must reach an exit label through branches of positive probability."""
    n = len(edges)
    parents: list[list[int]] = [[] for _ in range(n)]
    good = [False] * n
    stack = []
    for i, out in enumerate(edges):
        for target, prob in out:
            if prob <= 0.0:
                continue
            if isinstance(target, str):
                if not good[i]:
                    good[i] = True
                    stack.append(i)
            else:
                parents[target].append(i)
    while stack:
        for parent in parents[stack.pop()]:
            if not good[parent]:
                good[parent] = True
                stack.append(parent)
    stuck = [i for i in range(n) if not good[i]]
    if stuck:
        raise ValueError(f"nodes {stuck[:10]} cannot reach any exit: a loop without exit")


def ivr_tree(nodes: list, start: int = 0, patience_rate: float = 0.0) -> IvrResult:
    """Exit probabilities and times of an IVR menu (times in seconds).

    nodes[i] = {"duration": ("deterministic", d) | ("exponential", mean),
                "branches": [(target, p), ...]}
    target: another node's index or an exit label (any string but
    "ivr_hang_up"); the probabilities sum to 1.  A caller enters at node
    ``start`` and draws one patience P ~ Exp(patience_rate per second; 0:
    never hangs up) for the whole stay; reaching P inside a node is the exit
    "ivr_hang_up".  By memorylessness, node i is completed with probability
    q_i = E[exp(-θ D_i)] whatever came before, which makes the menu an
    absorbing Markov chain with transient matrix Q[i, j] = q_i p_ij.
    """
    if not isinstance(nodes, (list, tuple)) or not nodes:
        raise ValueError("nodes must be a non-empty list of node dicts")
    n = len(nodes)
    if isinstance(start, bool) or not isinstance(start, Integral) or not 0 <= start < n:
        raise ValueError(f"start must be a node index in 0..{n - 1}, got {start!r}")
    theta = _nonneg("patience_rate", patience_rate)
    parsed = [_parse_node(i, node, n) for i, node in enumerate(nodes)]
    _check_exits_reachable([edges for _, _, edges in parsed])
    q, a, b = np.array([_node_times(kind, value, theta) for kind, value, _ in parsed]).T
    labels = sorted({t for _, _, edges in parsed for t, _ in edges if isinstance(t, str)})
    column = {label: k for k, label in enumerate(labels)}
    rows, cols, probs, exit_rows, exit_cols, exit_probs = [], [], [], [], [], []
    for i, (_, _, edges) in enumerate(parsed):
        for target, prob in edges:
            if isinstance(target, str):
                exit_rows.append(i), exit_cols.append(column[target]), exit_probs.append(prob)
            else:
                rows.append(i), cols.append(target), probs.append(prob)
    branch = sp.csc_matrix((probs, (rows, cols)), shape=(n, n))  # p_ij, duplicates summed
    to_exit = sp.csc_matrix((exit_probs, (exit_rows, exit_cols)), shape=(n, len(labels))).toarray()
    lu = splu((sp.identity(n, format="csc") - sp.diags(q) @ branch).tocsc())
    start_row = np.zeros(n)
    start_row[start] = 1.0
    visits = lu.solve(start_row, trans="T")  # e_start (I - Q)^-1
    # h[i, l] = P(absorbed in l | at node i); the last column is IVR_HANG_UP
    direct = np.hstack([to_exit, np.zeros((n, 1))])  # exits taken by a branch
    h = lu.solve(np.hstack([q[:, None] * to_exit, (1.0 - q)[:, None]]))
    # Time spent in node i by callers who end in l: completers' time A_i times
    # P(l after completing i) = sum_j p_ij h[j, l] + p_il; plus B_i (hangers-up) for IVR_HANG_UP.
    time_labels = visits @ (a[:, None] * (branch @ h + direct))
    time_labels[-1] += visits @ b
    hang_ups = visits * (1.0 - q)
    exit_probability = {label: float(visits @ (q * to_exit[:, k])) for label, k in column.items()}
    exit_probability[IVR_HANG_UP] = float(hang_ups.sum())
    time_by_exit = {label: float(time_labels[k]) for label, k in column.items()}
    time_by_exit[IVR_HANG_UP] = float(time_labels[-1])
    mean_time_by_exit = {label: time_by_exit[label] / p if p > 0 else math.nan
                         for label, p in exit_probability.items()}
    return IvrResult(exit_probability=exit_probability, visits=visits, hang_ups=hang_ups,
                     mean_time=float(visits @ (a + b)), time_by_exit=time_by_exit,
                     mean_time_by_exit=mean_time_by_exit)


# ================================================================ priority queue
@dataclass(frozen=True)
class PriorityResult:
    """Stationary M/M/c with non-preemptive priority classes (times in seconds).

    Arrays have one entry per class, class 0 the highest priority.
    p_wait[k]: probability a class-k call finds every agent busy (Erlang C
        C(c, a) for every class, by PASTA).
    mean_wait[k]: mean wait in queue of class k (Cobham).
    mean_response[k]: mean_wait[k] + 1 / service_rate.
    mean_queue[k]: mean number of class-k calls waiting (Little).
    overall_mean_wait: arrival-rate-weighted mean of mean_wait; equals the
        FCFS Erlang C mean wait C(c, a) / (c mu - lambda) (conservation law).
    occupancy: a / c.
    """

    p_wait: np.ndarray
    mean_wait: np.ndarray
    mean_response: np.ndarray
    mean_queue: np.ndarray
    overall_mean_wait: float
    occupancy: float


def _rates(name: str, values, count: int | None = None) -> np.ndarray:
    """A non-empty sequence of rates >= 0 (exactly ``count`` of them if given)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or len(values) == 0:
        raise ValueError(f"{name} must be a non-empty sequence of rates, got {values!r}")
    if count is not None and len(values) != count:
        raise ValueError(f"{name} must hold exactly {count} rates, got {values!r}")
    return np.array([_nonneg(f"{name}[{k}]", v) for k, v in enumerate(values)])


def priority_queue(arrival_rates, service_rate: float, agents: int) -> PriorityResult:
    """M/M/c, K classes, non-preemptive priority (class 0 highest), FIFO in a class.

    Class k arrives at arrival_rates[k] (λ_k, per second, >= 0, total λ > 0);
    every call is served at service_rate (μ, per second) by one of ``agents``
    (c) agents; nobody abandons.  A freed agent takes the head of the
    highest-priority non-empty queue; a call in service is never interrupted.
    With a = λ/μ, C(c, a) the Erlang C probability of waiting and
    σ_k = Σ_{i<=k} λ_i / (c μ) (σ_{-1} = 0), Cobham's formula gives
        W_k = C(c, a) / (c μ (1 - σ_{k-1}) (1 - σ_k)).
    Raises ValueError for bad input or an unstable system (σ_{K-1} >= 1).
    """
    lam = _rates("arrival_rates", arrival_rates)
    mu = _positive("service_rate", service_rate)
    c = _agents(agents)
    total = float(lam.sum())
    if total <= 0.0:
        raise ValueError(f"arrival_rates must not all be zero, got {arrival_rates!r}")
    cmu = c * mu
    if total >= cmu:
        raise ValueError(f"unstable: total of arrival_rates = {total:g}/s >= agents * service_rate"
                         f" = {cmu:g}/s")
    a = total / mu
    p_wait = erlang_c(c, a)
    sigma = np.cumsum(lam) / cmu
    before = np.r_[0.0, sigma[:-1]]
    wait = p_wait / (cmu * (1.0 - before) * (1.0 - sigma))
    return PriorityResult(p_wait=np.full(lam.size, p_wait), mean_wait=wait,
                          mean_response=wait + 1.0 / mu, mean_queue=lam * wait,
                          overall_mean_wait=float(lam @ wait) / total, occupancy=a / c)


# ================================================================ multi-skill chain
_MS_FIELDS = ("b0", "b1", "x0", "x1", "q0", "q1")
_FIRST_QUEUE = 32  # first queue cap tried by multiskill_chain; doubled until light
_MS_MAX_STATES = 400_000  # refuse larger truncated multi-skill chains (the solve gets slow)


def _queue_tail(marginal: np.ndarray) -> tuple[float, float]:
    """(mass, first moment) at the queue cap and beyond it, by a geometric estimate whose ratio
    is taken one level inside: the cap is a reflecting boundary whose level can hold more than
    the one before (the other type's departures keep it there), which would fake a ratio >= 1."""
    last, inner, before = (float(v) for v in marginal[-3:][::-1])
    ratio = inner / before if before > 0 else 0.0
    if ratio >= 1.0:
        return math.inf, math.inf
    cap = marginal.size - 1
    mass = last / (1.0 - ratio)
    return mass, mass * (cap + ratio / (1.0 - ratio))


@dataclass(frozen=True)
class MultiskillResult:
    """Stationary two-type multi-skill system (times in seconds, rates per second).

    distribution: numpy structured array, one row per state, fields b0, b1
        (busy specialists of type 0 / 1), x0, x1 (cross-trained agents busy on
        type 0 / 1), q0, q1 (calls waiting of type 0 / 1), p (probability).
    Per type k (arrays of 2):
      p_wait[k]: probability a type-k arrival finds no idle eligible agent
        (PASTA; it then waits, or is dropped by the truncation at q_k = cap).
      mean_queue[k]: mean number of type-k calls waiting.
      mean_wait[k]: mean wait of all offered type-k calls, mean_queue / λ_k
        (Little; abandoners count their time to abandonment; with no
        abandonment this is the mean wait of answered calls).
      abandonment_rate[k]: θ_k mean_queue[k]; p_abandon[k] = that / λ_k.
      served[k]: answered calls per second, μ_k E[b_k + x_k].
      cross_busy[k]: mean number of cross-trained agents busy on type k.
    occupancy: (specialists 0, specialists 1, cross-trained) mean busy / group
        size, nan for an empty group.
    Truncation: queue_cap (largest q0 and q1 kept), boundary_mass (mass at the
        cap with a geometric estimate beyond, below tol), truncation_leak[k]
        (type-k arrivals per second dropped at the cap; λ_k = served[k] +
        abandonment_rate[k] + truncation_leak[k] to ~1e-9 relative).
    """

    distribution: np.ndarray
    p_wait: np.ndarray
    mean_queue: np.ndarray
    mean_wait: np.ndarray
    abandonment_rate: np.ndarray
    p_abandon: np.ndarray
    served: np.ndarray
    cross_busy: np.ndarray
    occupancy: np.ndarray
    queue_cap: int
    boundary_mass: float
    truncation_leak: np.ndarray


@dataclass(frozen=True)
class _Multiskill:
    """Checked parameters of the multi-skill model."""

    lam: np.ndarray
    mu: np.ndarray
    theta: np.ndarray
    n0: int
    n1: int
    nx: int


def _group_size(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    return int(value)


def _multiskill_params(arrival_rates, service_rates, groups, patience_rates) -> _Multiskill:
    lam = _rates("arrival_rates", arrival_rates, 2)
    for k in range(2):
        _positive(f"arrival_rates[{k}]", lam[k])
    mu = _rates("service_rates", service_rates, 2)
    for k in range(2):
        _positive(f"service_rates[{k}]", mu[k])
    if isinstance(groups, (str, bytes)) or not hasattr(groups, "__len__") or len(groups) != 3:
        raise ValueError(f"groups must be (specialists of type 0, of type 1, cross-trained), "
                         f"got {groups!r}")
    n0, n1, nx = (_group_size(f"groups[{i}]", g) for i, g in enumerate(groups))
    theta = np.zeros(2) if patience_rates is None else _rates("patience_rates", patience_rates, 2)
    for k, n in enumerate((n0, n1)):
        if n + nx == 0:
            raise ValueError(f"groups: no agent can serve type {k} (groups[{k}] + groups[2] = 0)")
    p = _Multiskill(lam=lam, mu=mu, theta=theta, n0=n0, n1=n1, nx=nx)
    _check_multiskill_capacity(p)
    return p


def _check_multiskill_capacity(p: _Multiskill) -> None:
    """Refuse loads no routing could carry without abandonment: type k alone
    needs ρ_k < n_k + n_x, both together ρ_0 + ρ_1 < n_0 + n_1 + n_x (ρ_k =
    λ_k/μ_k), a type with θ_k > 0 is never unstable.  These are necessary, not
    sufficient: specialists of one type may idle while the other type waits,
    and a chain that is unstable all the same is refused by the truncation
    (its queue tail never becomes light)."""
    rho = p.lam / p.mu
    patient = p.theta == 0.0
    for k, n in enumerate((p.n0, p.n1)):
        if patient[k] and rho[k] >= n + p.nx:
            raise ValueError(f"unstable: type {k} load arrival_rates[{k}] / service_rates[{k}] = "
                             f"{rho[k]:g} Erl >= the {n + p.nx} agents who can serve it")
    if patient.all() and rho.sum() >= p.n0 + p.n1 + p.nx:
        raise ValueError(f"unstable: total load {rho.sum():g} Erl >= all {p.n0 + p.n1 + p.nx} agents")


def _multiskill_states(p: _Multiskill, cap: int) -> np.ndarray:
    """All states (rows b0, b1, x0, x1, q0, q1): q_k > 0 only when every agent who
    can serve type k is busy (b_k = n_k and x0 + x1 = n_x)."""
    grids = np.meshgrid(np.arange(p.n0 + 1), np.arange(p.n1 + 1), np.arange(p.nx + 1),
                        np.arange(p.nx + 1), indexing="ij")
    base = np.stack([g.ravel() for g in grids], axis=1)
    base = base[base[:, 2] + base[:, 3] <= p.nx]
    cross_full = base[:, 2] + base[:, 3] == p.nx
    can_wait = [(base[:, 0] == p.n0) & cross_full, (base[:, 1] == p.n1) & cross_full]
    parts = []
    for w0 in (False, True):
        for w1 in (False, True):
            rows = base[(can_wait[0] == w0) & (can_wait[1] == w1)]
            q0 = np.arange(cap + 1) if w0 else np.zeros(1, dtype=int)
            q1 = np.arange(cap + 1) if w1 else np.zeros(1, dtype=int)
            qq = np.stack([g.ravel() for g in np.meshgrid(q0, q1, indexing="ij")], axis=1)
            parts.append(np.hstack([np.repeat(rows, len(qq), axis=0), np.tile(qq, (len(rows), 1))]))
    return np.vstack(parts)


def _multiskill_generator(p: _Multiskill, cap: int):
    """(states sorted by key, sparse generator, per-state leak rate of each type).

    Transitions (μ_k, θ_k per type; "free" = idle cross-trained agents):
      type-k arrival: to an idle specialist of k, else an idle cross-trained
        agent, else queue k (dropped and counted as leak at q_k = cap);
      a specialist of k finishes: takes the head of queue k if any, else idles;
      a cross-trained agent finishes (either type): takes the head of queue 0
        if non-empty, else of queue 1, else idles;
      a waiting type-k call abandons at θ_k each.
    """
    states = _multiskill_states(p, cap)
    radix = np.array([p.n1 + 1, p.nx + 1, p.nx + 1, cap + 1, cap + 1, 1])
    weights = np.cumprod(radix[::-1])[::-1]  # mixed-radix place values, last = 1

    def key(s):
        return s @ weights

    order = np.argsort(key(states))
    states = states[order]
    keys = key(states)
    b0, b1, x0, x1, q0, q1 = states.T
    n_spec = (p.n0, p.n1)
    free = p.nx - x0 - x1
    busy_spec, queue = (b0, b1), (q0, q1)
    rows, cols, rates = [], [], []
    leak = np.zeros((len(states), 2))

    def move(mask, delta, rate):
        rate = np.broadcast_to(np.asarray(rate, dtype=float), mask.shape)
        keep = mask & (rate > 0)
        target = states[keep] + np.asarray(delta)
        at = np.searchsorted(keys, key(target))
        if not np.array_equal(keys[np.minimum(at, len(keys) - 1)], key(target)):
            raise AssertionError("multi-skill transition left the state space")  # a bug, not input
        rows.append(np.flatnonzero(keep))
        cols.append(at)
        rates.append(rate[keep])

    def unit(**changes):
        return [changes.get(f, 0) for f in _MS_FIELDS]

    for k in range(2):
        b, q, n = busy_spec[k], queue[k], n_spec[k]
        spec_full = b == n
        move(~spec_full, unit(**{f"b{k}": 1}), p.lam[k])
        move(spec_full & (free > 0), unit(**{f"x{k}": 1}), p.lam[k])
        waits = spec_full & (free == 0)
        move(waits & (q < cap), unit(**{f"q{k}": 1}), p.lam[k])
        leak[:, k] = (waits & (q == cap)) * p.lam[k]
        move(q > 0, unit(**{f"q{k}": -1}), b * p.mu[k])  # specialist takes its queue
        move(q == 0, unit(**{f"b{k}": -1}), b * p.mu[k])  # specialist idles
        move(q > 0, unit(**{f"q{k}": -1}), q * p.theta[k])  # abandonment
    # cross-trained agent finishing type 0 (rate x0 μ0) or type 1 (x1 μ1): queue 0 first
    move(q0 > 0, unit(q0=-1), x0 * p.mu[0])
    move((q0 == 0) & (q1 > 0), unit(x0=-1, x1=1, q1=-1), x0 * p.mu[0])
    move((q0 == 0) & (q1 == 0), unit(x0=-1), x0 * p.mu[0])
    move(q0 > 0, unit(x1=-1, x0=1, q0=-1), x1 * p.mu[1])
    move((q0 == 0) & (q1 > 0), unit(q1=-1), x1 * p.mu[1])
    move((q0 == 0) & (q1 == 0), unit(x1=-1), x1 * p.mu[1])
    size = len(states)
    gen = sp.coo_matrix((np.concatenate(rates), (np.concatenate(rows), np.concatenate(cols))),
                        shape=(size, size)).tocsr()
    gen = gen - sp.diags(np.asarray(gen.sum(axis=1)).ravel())
    return states, gen.tocsc(), leak


def multiskill_chain(arrival_rates, service_rates, groups, patience_rates=None,
                     max_queue: int | None = None, tol: float = 1e-10) -> MultiskillResult:
    """Stationary law of a two-type multi-skill contact center (a CTMC).

    Call types 0 and 1 arrive as Poisson streams at arrival_rates = (λ_0, λ_1)
    per second.  groups = (n_0, n_1, n_x): n_0 specialists of type 0, n_1 of
    type 1, n_x cross-trained agents serving both.  A type-k call is served at
    service_rates[k] (μ_k per second) by whichever agent takes it; waiting
    type-k calls abandon at patience_rates[k] (θ_k per second; None or 0:
    never).  Routing, exactly:
      * an arriving type-k call goes to an idle specialist of type k if any,
        else to an idle cross-trained agent, else joins queue k (FIFO);
      * a freed specialist of type k takes the head of queue k, else idles;
      * a freed cross-trained agent takes the head of queue 0 if it is
        non-empty, else the head of queue 1, else idles (static priority of
        type 0 at the cross-trained agents -- NOT longest-waiting-first, which
        is not Markov in the queue lengths); nobody is ever interrupted.
    State (b0, b1, x0, x1, q0, q1): busy specialists of each type, cross-trained
    agents busy on type 0 and on type 1, queue lengths; q_k > 0 only when every
    agent able to serve type k is busy.

    Both queues are truncated at the same cap (arrivals at the cap are dropped
    and reported as truncation_leak): max_queue None grows the cap from 32 by
    doubling until the mass at the cap, with a geometric estimate of the tail
    beyond, is below tol, and so is the same estimate of the neglected part of
    each mean queue (relative to the mean when above 1); an integer max_queue is used as is and refused if
    that mass is not below tol.  Raises ValueError for bad input, a load above
    capacity (see _check_multiskill_capacity) or more than 400,000 states.
    """
    p = _multiskill_params(arrival_rates, service_rates, groups, patience_rates)
    tol = _positive("tol", tol)
    if max_queue is not None:
        if isinstance(max_queue, bool) or not isinstance(max_queue, Integral) or max_queue < 2:
            raise ValueError(f"max_queue must be None or an integer >= 2, got {max_queue!r}")
    cap = _FIRST_QUEUE if max_queue is None else int(max_queue)
    while True:
        corner = (p.n0 + 1) * (p.n1 + 1) * (p.nx + 1) * (p.nx + 2) // 2 + (p.nx + 1) * (cap + 1) ** 2
        if corner > _MS_MAX_STATES:
            raise ValueError(f"multi-skill chain needs more than {_MS_MAX_STATES:,} states to bring "
                             f"the truncated mass below tol = {tol:g} (queue cap {cap}): load too "
                             f"close to capacity or unstable under this routing")
        states, gen, leak = _multiskill_generator(p, cap)
        pi = _stationary(gen, 0, "multi-skill chain")
        marginals = [np.bincount(states[:, 4 + k], weights=pi, minlength=cap + 1) for k in range(2)]
        tails = [_queue_tail(m) for m in marginals]
        tail = max(mass for mass, _ in tails)
        # the neglected part of each mean queue must be as small, relative to that mean
        moment = max(first / max(1.0, float(m @ np.arange(cap + 1))) for m, (_, first) in zip(marginals, tails))
        if tail < tol and moment < tol:
            return _multiskill_result(p, states, pi, leak, cap, tail)
        if max_queue is not None:
            raise ValueError(f"max_queue = {max_queue} leaves {tail:.3g} of the mass (and "
                             f"{moment:.3g} of a mean queue) at or beyond the cap, not below "
                             f"tol = {tol:g}: raise it or pass None")
        cap *= 2


def _multiskill_result(p: _Multiskill, states: np.ndarray, pi: np.ndarray, leak: np.ndarray,
                       cap: int, tail: float) -> MultiskillResult:
    b0, b1, x0, x1, q0, q1 = states.T
    cross_full = x0 + x1 == p.nx
    waits = np.array([pi @ ((b0 == p.n0) & cross_full), pi @ ((b1 == p.n1) & cross_full)])
    mean_queue = np.array([pi @ q0, pi @ q1])
    cross_busy = np.array([pi @ x0, pi @ x1])
    spec_busy = np.array([pi @ b0, pi @ b1])
    served = p.mu * (spec_busy + cross_busy)
    abandoned = p.theta * mean_queue
    truncation_leak = pi @ leak
    error = np.abs(p.lam - served - abandoned - truncation_leak)
    if np.any(error > _RESIDUAL * np.maximum(p.lam, 1.0)):
        raise ValueError(f"multi-skill chain flow balance off by {error.max():.3g}/s")
    sizes = np.array([p.n0, p.n1, p.nx], dtype=float)
    busy = np.array([spec_busy[0], spec_busy[1], cross_busy.sum()])
    with np.errstate(invalid="ignore", divide="ignore"):
        occupancy = np.where(sizes > 0, busy / sizes, math.nan)
    table = np.zeros(len(states), dtype=[(f, np.int64) for f in _MS_FIELDS] + [("p", np.float64)])
    for i, f in enumerate(_MS_FIELDS):
        table[f] = states[:, i]
    table["p"] = pi
    return MultiskillResult(
        distribution=table, p_wait=waits, mean_queue=mean_queue, mean_wait=mean_queue / p.lam,
        abandonment_rate=abandoned, p_abandon=abandoned / p.lam, served=served,
        cross_busy=cross_busy, occupancy=occupancy, queue_cap=cap, boundary_mass=tail,
        truncation_leak=truncation_leak)
