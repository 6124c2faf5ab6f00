"""Exact solvers for two models the simulator grows into: retrials and IVR menus.

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
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from ccsim.analytic import _agents, _nonneg, _number, _positive

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


def _stationary(gen: sp.csc_matrix, pin: int) -> np.ndarray:
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
        raise ValueError("the truncated retrial chain could not be solved accurately: its "
                         "probabilities span more than floating-point range (load far above "
                         "capacity with slow retrials?)")
    pi = np.maximum(pi / total, 0.0)
    scale = float(abs(gen.diagonal()).max())
    residual = float(np.abs(gen.T @ pi).max())
    if residual > _RESIDUAL * scale:
        raise ValueError(f"retrial chain solve inaccurate: residual {residual:.3g} "
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
