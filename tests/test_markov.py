"""Tests for ccsim.markov against closed forms, independent dense solves and Monte Carlo."""
import math
import time

import numpy as np
import pytest
from scipy.special import gammaln
from scipy.stats import norm

from ccsim.analytic import erlang_a_metrics, erlang_b, erlang_c_metrics
from ccsim.markov import (
    IVR_HANG_UP, _retrial_generator, _retrial_params, _retrial_result, _stationary,
    ivr_tree, multiskill_chain, priority_queue, retrial_queue,
)


# ================================================================ retrial queue: references
def dense_retrial(lam, mu, c, lines, theta, p_b, p_a, nu, m_cap):
    """Stationary law written state by state from the model's transition list, on
    n = 0..lines, m = 0..m_cap (moves beyond m_cap suppressed), solved densely."""
    size = (lines + 1) * (m_cap + 1)
    gen = np.zeros((size, size))

    def add(n, m, n2, m2, rate):
        if rate > 0 and m2 <= m_cap and (n2, m2) != (n, m):
            gen[n * (m_cap + 1) + m, n2 * (m_cap + 1) + m2] += rate

    for n in range(lines + 1):
        for m in range(m_cap + 1):
            if n < lines:
                add(n, m, n + 1, m, lam)
                add(n, m, n + 1, m - 1, m * nu) if m > 0 else None
            else:
                add(n, m, n, m + 1, lam * p_b)
                add(n, m, n, m - 1, m * nu * (1 - p_b)) if m > 0 else None
            if n > 0:
                add(n, m, n - 1, m, min(n, c) * mu + max(n - c, 0) * theta * (1 - p_a))
                add(n, m, n - 1, m + 1, max(n - c, 0) * theta * p_a)
    np.fill_diagonal(gen, -gen.sum(axis=1))
    lhs = gen.T.copy()
    lhs[-1] = 1.0  # one balance equation is redundant: normalise instead
    pi = np.linalg.solve(lhs, np.r_[np.zeros(size - 1), 1.0])
    return pi.reshape(lines + 1, m_cap + 1)


def mm1_retrial(lam, mu, nu, m_cap):
    """Classical M/M/1 retrial queue (Falin & Templeton 1997, sec. 1.2): with rho = lam/mu
    and a = lam/nu, P(idle, j) = (1-rho)^(a+1) rho^j (a)_j / j! and
    P(busy, j) = (1-rho)^(a+1) rho^(j+1) (a+1)_j / j!  ((x)_j the rising factorial);
    E[orbit] = (rho^2 + lam rho / nu) / (1 - rho)."""
    rho, a = lam / mu, lam / nu
    j = np.arange(m_cap + 1)
    log0 = (a + 1) * math.log1p(-rho)
    idle = np.exp(log0 + j * math.log(rho) + gammaln(a + j) - gammaln(a) - gammaln(j + 1))
    busy = np.exp(log0 + (j + 1) * math.log(rho) + gammaln(a + 1 + j) - gammaln(a + 1) - gammaln(j + 1))
    return np.vstack([idle, busy]), (rho**2 + lam * rho / nu) / (1 - rho)


# ================================================================ retrial queue: tests
@pytest.mark.parametrize("c, a", [(1, 0.5), (5, 4.0), (20, 25.0), (50, 40.0)])
@pytest.mark.parametrize("theta", [0.0, 0.02])
def test_no_retries_and_no_waiting_room_is_erlang_b(c, a, theta):
    mu = 1 / 180
    r = retrial_queue(a * mu, mu, c, lines=c, patience_rate=theta)
    b = erlang_b(c, a)
    assert r.blocked_per_attempt == pytest.approx(b, abs=1e-10)
    assert r.fraction_of_callers_served == pytest.approx(1 - b, abs=1e-10)
    assert r.p_wait == 0.0 and r.mean_orbit == 0.0 and r.abandoned == 0.0


@pytest.mark.parametrize("c, a, patience", [(1, 0.8, 60.0), (5, 4.5, 120.0), (10, 12.0, 90.0),
                                            (20, 19.0, 600.0)])
@pytest.mark.parametrize("lines", [None, "large"])
def test_no_retries_with_patience_is_erlang_a(c, a, patience, lines):
    h = 180.0
    ref = erlang_a_metrics(c, a / h, h, patience, 0.0)
    lines = None if lines is None else c + 400
    r = retrial_queue(a / h, 1 / h, c, lines=lines, patience_rate=1 / patience)
    assert r.abandon_per_offered == pytest.approx(ref.p_abandon, rel=1e-8)
    assert r.p_wait == pytest.approx(ref.p_wait, rel=1e-8)
    assert r.mean_queue == pytest.approx(ref.mean_queue, rel=1e-8)
    assert r.occupancy == pytest.approx(ref.occupancy, rel=1e-8)
    assert r.blocked_per_attempt < 1e-10


def test_erlang_a_comparison_tells_a_wrong_model_apart():
    h = 180.0
    r = retrial_queue(9 / h, 1 / h, 10, patience_rate=1 / 90)
    assert r.abandon_per_offered != pytest.approx(erlang_a_metrics(11, 9 / h, h, 90.0, 0.0).p_abandon,
                                                  rel=1e-3)


@pytest.mark.parametrize("lam, mu, nu", [(0.6, 1.0, 0.5), (0.3, 1.0, 5.0), (0.85, 1.0, 0.1)])
def test_mm1_retrial_queue_closed_form(lam, mu, nu):
    r = retrial_queue(lam, mu, 1, lines=1, retry_blocked=1.0, retrial_rate=nu)
    law, mean_orbit = mm1_retrial(lam, mu, nu, r.orbit_cap)
    assert np.abs(r.distribution - law).max() < 1e-10
    assert r.mean_orbit == pytest.approx(mean_orbit, rel=1e-8)
    assert r.occupancy == pytest.approx(lam / mu, rel=1e-9)  # P(server busy) = rho
    assert r.fraction_of_callers_served == pytest.approx(1.0, abs=1e-9)  # nobody is lost


def test_mm1_closed_form_matches_a_dense_solve():
    lam, mu, nu = 0.6, 1.0, 0.5
    law, _ = mm1_retrial(lam, mu, nu, 150)
    dense = dense_retrial(lam, mu, 1, 1, 0.0, 1.0, 0.0, nu, 150)
    assert np.abs(dense - law).max() < 1e-12
    wrong, _ = mm1_retrial(lam, mu, 2 * nu, 150)  # the comparison has power
    assert np.abs(dense - wrong).max() > 1e-3


CASES = [  # lam, mu, c, lines, theta, p_b, p_a, nu
    (0.5, 0.2, 2, 4, 0.1, 0.6, 0.3, 0.05),
    (1.0, 0.2, 3, 3, 0.0, 0.9, 0.0, 0.5),
    (1.2, 0.3, 4, 7, 0.2, 1.0, 0.5, 0.2),  # stable: 1.2 < 1.2 + 0.5 * 3 * 0.2
    (0.2, 0.1, 1, 5, 0.05, 0.0, 1.0, 0.1),
    (2.0, 0.5, 3, 6, 0.3, 0.5, 0.8, 1.0),  # overloaded, orbit drains through losses
]


@pytest.mark.parametrize("case", CASES)
def test_matches_an_independent_dense_solve(case):
    lam, mu, c, lines, theta, p_b, p_a, nu = case
    r = retrial_queue(lam, mu, c, lines, theta, p_b, p_a, nu)
    dense = dense_retrial(lam, mu, c, lines, theta, p_b, p_a, nu, r.orbit_cap + 40)
    assert np.abs(r.distribution - dense[:, : r.orbit_cap + 1]).max() < 1e-9
    n = np.arange(lines + 1)[:, None]
    assert r.mean_in_service == pytest.approx(float((dense * np.minimum(n, c)).sum()), rel=1e-8)


LARGE = [(110 / 180, 1 / 180, 100, 120, 1 / 120, 0.8, 0.5, 1 / 300),  # 110 % load, 100 agents
         (100 / 180, 1 / 180, 100, 120, 1 / 120, 0.8, 0.5, 1 / 60)]


@pytest.mark.parametrize("case", CASES + LARGE)
def test_flow_balance_and_little(case):
    lam, mu, c, lines, theta, p_b, p_a, nu = case
    r = retrial_queue(lam, mu, c, lines, theta, p_b, p_a, nu)
    pi = r.distribution
    n = np.arange(pi.shape[0])[:, None]
    m = np.arange(pi.shape[1])[None, :]
    scale = max(r.attempts, 1.0)
    # every first attempt is answered or lost once
    assert r.answered + r.lost_blocked + r.lost_abandoned == pytest.approx(lam, abs=1e-9 * scale)
    # calls that get a line leave it answered or abandoned
    assert r.offered_attempts == pytest.approx(r.answered + r.abandoned, abs=1e-9 * scale)
    assert r.attempts == pytest.approx(r.offered_attempts + r.blocked_attempts, rel=1e-12)
    # the orbit: joiners = successful retrials + blocked retrials giving up
    joined = p_b * lam * pi[lines].sum() + p_a * r.abandoned
    left = nu * (pi * m * (n < lines)).sum() + (1 - p_b) * nu * (pi[lines] * m[0]).sum()
    assert joined == pytest.approx(left, abs=1e-9 * scale)
    # Little at the agents (each answered call holds one for 1/mu) and in the orbit
    assert r.mean_in_service == pytest.approx(r.answered / mu, rel=1e-9)
    assert r.retrial_attempts == pytest.approx(nu * r.mean_orbit, rel=1e-12)
    assert r.mean_queue == pytest.approx(float((pi * np.maximum(n - c, 0)).sum()), rel=1e-12)
    assert r.abandoned == pytest.approx(theta * r.mean_queue, rel=1e-12)
    # PASTA for first attempts, retrials weighted by the orbit size
    found_busy = (pi * (lam + nu * m) * ((n >= c) & (n < lines))).sum()
    assert r.p_wait == pytest.approx(found_busy / r.offered_attempts, rel=1e-12)
    assert 0 <= r.occupancy <= 1 and 0 <= r.blocked_per_attempt <= 1
    assert r.truncation_leak < 1e-9 * lam and r.boundary_mass < 1e-10


@pytest.mark.parametrize("case", CASES + [(0.9, 1.0, 1, 1, 0.0, 1.0, 0.0, 0.3)])
def test_doubling_the_orbit_cap_changes_nothing(case):
    r = retrial_queue(*case)
    p = _retrial_params(*case)
    gen, leak = _retrial_generator(p, r.queue_cap, 2 * r.orbit_cap)
    pi = _stationary(gen, 0).reshape(r.queue_cap + 1, 2 * r.orbit_cap + 1)
    big = _retrial_result(p, pi, leak, 0.0)
    for field in ("mean_orbit", "mean_queue", "answered", "blocked_per_attempt", "p_wait",
                  "abandon_per_offered", "fraction_of_callers_served"):
        assert abs(getattr(r, field) - getattr(big, field)) < 1e-9 * max(1.0, abs(getattr(big, field)))


def test_unlimited_lines_truncates_the_queue_too():
    r = retrial_queue(0.05, 0.01, 4, None, 0.01, 0.0, 0.7, 0.02)
    assert r.queue_cap > 4 and r.blocked_attempts == 0.0
    assert r.answered + r.lost_abandoned == pytest.approx(0.05, rel=1e-9)


@pytest.mark.parametrize("kwargs, message", [
    (dict(arrival_rate=1.0, service_rate=0.25, agents=4), "unstable"),  # lines None, theta 0
    (dict(arrival_rate=1.0, service_rate=0.2, agents=4, patience_rate=0.1,
          retry_abandoned=1.0, retrial_rate=0.1), "unstable"),
    (dict(arrival_rate=1.0, service_rate=1.0, agents=1, lines=1, retry_blocked=1.0,
          retrial_rate=1.0), "unstable"),
    (dict(arrival_rate=1.5, service_rate=0.3, agents=4, lines=7, patience_rate=0.2,
          retry_blocked=1.0, retry_abandoned=0.5, retrial_rate=0.2), "unstable"),
    (dict(arrival_rate=0.99999, service_rate=1.0, agents=1, lines=1, retry_blocked=1.0,
          retrial_rate=1.0), "states"),  # stable, but the orbit's tail is far too long
])
def test_unstable_or_too_large_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        retrial_queue(**kwargs)


@pytest.mark.parametrize("kwargs, name", [
    (dict(arrival_rate=0.0), "arrival_rate"),
    (dict(arrival_rate=float("nan")), "arrival_rate"),
    (dict(service_rate=-1.0), "service_rate"),
    (dict(agents=0), "agents"),
    (dict(agents=2.5), "agents"),
    (dict(lines=1), "lines"),
    (dict(lines=3.0), "lines"),
    (dict(patience_rate=-0.1), "patience_rate"),
    (dict(retry_blocked=1.5), "retry_blocked"),
    (dict(retry_abandoned=-0.2), "retry_abandoned"),
    (dict(retrial_rate=-1.0), "retrial_rate"),
    (dict(retrial_rate=0.0), "retrial_rate"),  # retries need a positive rate
    (dict(tol=0.0), "tol"),
])
def test_retrial_bad_inputs_raise(kwargs, name):
    args = dict(arrival_rate=0.5, service_rate=0.2, agents=3, lines=5, patience_rate=0.1,
                retry_blocked=0.5, retry_abandoned=0.5, retrial_rate=0.1)
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        retrial_queue(**args)


# ================================================================ IVR tree
def node(duration, *branches):
    return {"duration": duration, "branches": list(branches)}


def test_single_deterministic_node_by_hand():
    d, theta = 10.0, 0.05
    r = ivr_tree([node(("deterministic", d), ("a", 0.3), ("b", 0.7))], 0, theta)
    q = math.exp(-theta * d)
    assert r.exit_probability == pytest.approx({"a": 0.3 * q, "b": 0.7 * q, IVR_HANG_UP: 1 - q}, rel=1e-14)
    assert r.mean_time == pytest.approx((1 - q) / theta, rel=1e-14)
    # completers stay d; hangers-up E[P | P < d] = 1/theta - d q / (1 - q)
    assert r.mean_time_by_exit["a"] == pytest.approx(d, rel=1e-14)
    assert r.mean_time_by_exit[IVR_HANG_UP] == pytest.approx(1 / theta - d * q / (1 - q), rel=1e-12)
    assert r.visits == pytest.approx([1.0]) and r.hang_ups == pytest.approx([1 - q])


def test_single_exponential_node_by_hand():
    mean, theta = 30.0, 0.02
    r = ivr_tree([node(("exponential", mean), ("x", 1.0))], 0, theta)
    q = 1 / (1 + theta * mean)
    assert r.exit_probability == pytest.approx({"x": q, IVR_HANG_UP: 1 - q}, rel=1e-14)
    first = 1 / (1 / mean + theta)  # min(D, P) ~ Exp(1/mean + theta) whichever ends it
    assert r.mean_time_by_exit == pytest.approx({"x": first, IVR_HANG_UP: first}, rel=1e-14)
    assert r.mean_time == pytest.approx(first, rel=1e-14)


@pytest.mark.parametrize("d", [1e-9, 1e-4, 0.1, 50.0])
def test_short_deterministic_hang_up_time_keeps_its_digits(d):
    theta = 0.01
    r = ivr_tree([node(("deterministic", d), ("x", 1.0))], 0, theta)
    x = theta * d
    exact = math.fsum([1 / theta, -d * math.exp(-x) / -math.expm1(-x)])  # E[P | P < d]
    assert r.mean_time_by_exit[IVR_HANG_UP] == pytest.approx(exact, rel=1e-6)
    assert r.mean_time_by_exit[IVR_HANG_UP] == pytest.approx(d / 2, rel=1e-2 + x)  # ~uniform


def test_repeat_menu_loop_is_geometric():
    d, rep, theta = 12.0, 0.25, 0.01
    r = ivr_tree([node(("deterministic", d), (0, rep), ("out", 1 - rep))], 0, theta)
    q = math.exp(-theta * d)
    assert r.exit_probability["out"] == pytest.approx((1 - rep) * q / (1 - rep * q), rel=1e-13)
    assert r.visits[0] == pytest.approx(1 / (1 - rep * q), rel=1e-13)
    never = ivr_tree([node(("deterministic", d), (0, rep), ("out", 1 - rep))], 0, 0.0)
    assert never.mean_time == pytest.approx(d / (1 - rep), rel=1e-13)
    assert never.mean_time_by_exit["out"] == pytest.approx(d / (1 - rep), rel=1e-13)
    assert never.exit_probability[IVR_HANG_UP] == 0.0


MENU = [  # a root with a repeat branch, two sub-menus, one leading back to the root
    node(("deterministic", 8.0), (1, 0.5), (2, 0.3), ("hang_up", 0.1), (0, 0.1)),
    node(("exponential", 20.0), ("self_service", 0.6), ("queue:sales", 0.4)),
    node(("deterministic", 15.0), ("queue:support", 0.7), (0, 0.2), ("voicemail", 0.1)),
]


def simulate_menu(nodes, start, theta, callers, seed):
    """Monte Carlo of the IVR: one patience per caller; returns (exit label, time) arrays."""
    rng = np.random.default_rng(seed)
    labels = sorted({t for nd in nodes for t, _ in nd["branches"] if isinstance(t, str)}) + [IVR_HANG_UP]
    at = np.full(callers, start)
    clock = np.zeros(callers)
    patience = rng.exponential(1 / theta, callers) if theta > 0 else np.full(callers, np.inf)
    exit_ = np.full(callers, -1)
    active = np.arange(callers)
    while active.size:
        for i, nd in enumerate(nodes):
            who = active[at[active] == i]
            kind, value = nd["duration"]
            dur = np.full(who.size, value) if kind == "deterministic" else rng.exponential(value, who.size)
            hang = clock[who] + dur >= patience[who]
            clock[who] = np.where(hang, patience[who], clock[who] + dur)
            exit_[who[hang]] = labels.index(IVR_HANG_UP)
            go = who[~hang]
            cum = np.cumsum([p for _, p in nd["branches"]])
            pick = np.minimum(np.searchsorted(cum, rng.random(go.size), side="right"), len(cum) - 1)
            for k, (target, _) in enumerate(nd["branches"]):
                chosen = go[pick == k]
                if isinstance(target, str):
                    exit_[chosen] = labels.index(target)
                else:
                    at[chosen] = target
        active = active[exit_[active] < 0]
    return np.array(labels)[exit_], clock


def menu_agrees(result, exits, times, level=0.999):
    """Every exit probability (binomial) and conditional mean time (CLT) inside its
    interval, at a family-wise level (Bonferroni over all the checks)."""
    labels = list(result.exit_probability)
    z = norm.isf((1 - level) / (2 * (2 * len(labels) + 1)))
    n = exits.size
    ok = abs(times.mean() - result.mean_time) <= z * times.std(ddof=1) / math.sqrt(n)
    for label in labels:
        p, hit = result.exit_probability[label], exits == label
        ok &= abs(hit.mean() - p) <= z * math.sqrt(p * (1 - p) / n)
        if hit.sum() > 1:
            t = times[hit]
            ok &= abs(t.mean() - result.mean_time_by_exit[label]) <= z * t.std(ddof=1) / math.sqrt(t.size)
    return bool(ok)


def test_two_level_menu_against_monte_carlo():
    theta = 1 / 40
    exits, times = simulate_menu(MENU, 0, theta, 200_000, seed=20261129)
    assert menu_agrees(ivr_tree(MENU, 0, theta), exits, times)
    # the same check rejects a slightly wrong patience (it has power)
    assert not menu_agrees(ivr_tree(MENU, 0, 1.1 * theta), exits, times)


def test_infinite_patience_gives_the_chains_absorption_by_power_iteration():
    r = ivr_tree(MENU, 0, 0.0)
    labels = ["hang_up", "queue:sales", "queue:support", "self_service", "voicemail"]
    size = len(MENU) + len(labels)
    step = np.zeros((size, size))
    for i, nd in enumerate(MENU):
        for target, p in nd["branches"]:
            step[i, target if isinstance(target, int) else len(MENU) + labels.index(target)] += p
    step[len(MENU):, len(MENU):] = np.eye(len(labels))
    x = np.zeros(size)
    x[0] = 1.0
    while x[: len(MENU)].sum() > 1e-15:
        x = x @ step
    for k, label in enumerate(labels):
        assert r.exit_probability[label] == pytest.approx(x[len(MENU) + k], abs=1e-13)
    assert r.exit_probability[IVR_HANG_UP] == 0.0


def test_thousand_node_tree_is_fast():
    n = 1000
    nodes = []
    for i in range(n):
        kids = [k for k in (2 * i + 1, 2 * i + 2) if k < n]
        branches = [(k, 0.4) for k in kids] + [(0, 0.05), ("hang_up", 0.05)]
        branches.append(("self_service" if kids else "queue:sales", 1 - sum(p for _, p in branches)))
        nodes.append(node(("exponential" if i % 2 else "deterministic", 5.0 + i % 7), *branches))
    t0 = time.perf_counter()
    r = ivr_tree(nodes, 0, 0.01)
    assert time.perf_counter() - t0 < 1.0
    assert sum(r.exit_probability.values()) == pytest.approx(1.0, abs=1e-12)
    assert sum(r.time_by_exit.values()) == pytest.approx(r.mean_time, rel=1e-12)


@pytest.mark.parametrize("nodes, start, theta, message", [
    ([node(("deterministic", 5.0), (1, 1.0)), node(("deterministic", 5.0), (0, 1.0)),
      node(("deterministic", 1.0), ("x", 1.0))], 0, 0.1, "cannot reach any exit"),
    ([node(("deterministic", 5.0), ("x", 0.5), ("y", 0.4))], 0, 0.1, r"nodes\[0\].branches"),
    ([node(("deterministic", 5.0), (3, 1.0))], 0, 0.1, r"nodes\[0\].branches\[0\].*unknown node"),
    ([node(("deterministic", -1.0), ("x", 1.0))], 0, 0.1, r"nodes\[0\].duration"),
    ([node(("exponential", -2.0), ("x", 1.0))], 0, 0.1, r"nodes\[0\].duration"),
    ([node(("uniform", 2.0), ("x", 1.0))], 0, 0.1, r"nodes\[0\].duration"),
    ([node(("deterministic", 1.0), ("x", -0.5), ("y", 1.5))], 0, 0.1, r"nodes\[0\].branches\[0\]"),
    ([node(("deterministic", 1.0), (IVR_HANG_UP, 1.0))], 0, 0.1, "reserved"),
    ([node(("deterministic", 1.0), (True, 1.0))], 0, 0.1, "target"),
    ([node(("deterministic", 1.0), ("x", 1.0))], 0, -0.1, "patience_rate"),
    ([node(("deterministic", 1.0), ("x", 1.0))], 1, 0.1, "start"),
    ([], 0, 0.1, "nodes"),
    ([{"duration": ("deterministic", 1.0)}], 0, 0.1, r"nodes\[0\]"),
])
def test_ivr_bad_inputs_raise(nodes, start, theta, message):
    with pytest.raises(ValueError, match=message):
        ivr_tree(nodes, start, theta)


def test_hang_up_time_counts_the_nodes_completed_before():
    d0, d1, theta = 6.0, 9.0, 0.03
    r = ivr_tree([node(("deterministic", d0), (1, 1.0)), node(("deterministic", d1), ("x", 1.0))], 0, theta)
    q0, q1 = math.exp(-theta * d0), math.exp(-theta * d1)

    def before(d, q):  # E[P | P < d]
        return 1 / theta - d * q / (1 - q)

    p_hang = (1 - q0) + q0 * (1 - q1)
    assert r.exit_probability[IVR_HANG_UP] == pytest.approx(p_hang, rel=1e-14)
    expected = ((1 - q0) * before(d0, q0) + q0 * (1 - q1) * (d0 + before(d1, q1))) / p_hang
    assert r.mean_time_by_exit[IVR_HANG_UP] == pytest.approx(expected, rel=1e-12)
    assert r.mean_time_by_exit["x"] == pytest.approx(d0 + d1, rel=1e-14)
    patient = ivr_tree([node(("deterministic", d0), (1, 1.0)), node(("deterministic", d1), ("x", 1.0))])
    assert math.isnan(patient.mean_time_by_exit[IVR_HANG_UP]) and patient.mean_time == d0 + d1


# ================================================================ priority queue
PRIORITY_CASES = [([0.9, 1.2], 1.0, 3), ([0.01, 0.02, 0.005], 1 / 180, 10),
                  ([2.0, 0.5, 1.0, 3.0], 0.3, 25), ([0.0, 0.4], 0.5, 1)]


@pytest.mark.parametrize("c, lam, mu", [(1, 0.5, 1.0), (3, 2.1, 1.0), (50, 0.25, 1 / 180)])
def test_one_class_is_erlang_c(c, lam, mu):
    r = priority_queue([lam], mu, c)
    ref = erlang_c_metrics(c, lam, 1 / mu, 0.0)
    assert r.mean_wait[0] == pytest.approx(ref.asa, rel=1e-12)
    assert r.p_wait[0] == pytest.approx(ref.p_wait, rel=1e-12)
    assert r.mean_response[0] == pytest.approx(ref.asa + 1 / mu, rel=1e-12)


@pytest.mark.parametrize("lams, mu, c", PRIORITY_CASES)
def test_priority_conservation_law_and_monotone(lams, mu, c):
    r = priority_queue(lams, mu, c)
    ref = erlang_c_metrics(c, sum(lams), 1 / mu, 0.0)
    assert np.dot(lams, r.mean_wait) / sum(lams) == pytest.approx(ref.asa, rel=1e-12)
    assert r.overall_mean_wait == pytest.approx(ref.asa, rel=1e-12)
    assert r.mean_queue.sum() == pytest.approx(ref.mean_queue, rel=1e-12)
    assert np.all(np.diff(r.mean_wait) > 0)  # a higher priority waits less
    assert np.allclose(r.p_wait, ref.p_wait, rtol=1e-12)


def simulate_priority(lams, mu, c, customers, seed):
    """Non-preemptive priority M/M/c by events (heapq of completion times); returns
    (class, wait) of the customers whose wait is known, in arrival order."""
    import heapq
    from collections import deque
    rng = np.random.default_rng(seed)
    lam = sum(lams)
    arrive = np.cumsum(rng.exponential(1 / lam, customers))
    kind = rng.choice(len(lams), customers, p=np.array(lams) / lam)
    service = rng.exponential(1 / mu, customers)
    wait = np.full(customers, np.nan)
    busy: list[float] = []
    queues = [deque() for _ in lams]
    for i in range(customers):
        t = arrive[i]
        while busy and busy[0] <= t:
            done = heapq.heappop(busy)
            for q in queues:  # the freed agent takes the highest-priority head
                if q:
                    j = q.popleft()
                    wait[j] = done - arrive[j]
                    heapq.heappush(busy, done + service[j])
                    break
        if len(busy) < c:
            wait[i] = 0.0
            heapq.heappush(busy, t + service[i])
        else:
            queues[kind[i]].append(i)
    known = ~np.isnan(wait)
    return kind[known], wait[known]


def batch_means_agree(waits, expected, batches=20, level=0.999, bonferroni=1):
    """expected inside the batch-means t interval of the waits (arrival order)."""
    from scipy.stats import t as student
    means = np.array([b.mean() for b in np.array_split(waits, batches)])
    half = student.isf((1 - level) / (2 * bonferroni), batches - 1) * means.std(ddof=1) / math.sqrt(batches)
    return abs(means.mean() - expected) <= half


def test_priority_against_monte_carlo():
    lams, mu, c = [0.9, 1.2], 1.0, 3
    kind, wait = simulate_priority(lams, mu, c, 200_000, seed=20261129)
    kind, wait = kind[10_000:], wait[10_000:]  # warm-up
    r = priority_queue(lams, mu, c)
    for k in range(2):
        assert batch_means_agree(wait[kind == k], r.mean_wait[k], bonferroni=2)
    # power: FCFS (the Erlang C wait for everyone) is rejected for both classes
    fcfs = erlang_c_metrics(c, sum(lams), 1 / mu, 0.0).asa
    for k in range(2):
        assert not batch_means_agree(wait[kind == k], fcfs, bonferroni=2)


@pytest.mark.parametrize("args, name", [
    (([1.0, 1.0], 0.5, 4), "unstable"),
    (([1.0, -0.1], 1.0, 4), r"arrival_rates\[1\]"),
    (([0.0, 0.0], 1.0, 4), "arrival_rates"),
    (([], 1.0, 4), "arrival_rates"),
    ((0.5, 1.0, 4), "arrival_rates"),
    (([0.5], 0.0, 4), "service_rate"),
    (([0.5], 1.0, 0), "agents"),
])
def test_priority_bad_inputs_raise(args, name):
    with pytest.raises(ValueError, match=name):
        priority_queue(*args)


# ================================================================ multi-skill chain
@pytest.mark.parametrize("lams, mus, groups, thetas", [
    ((2.0, 1.5), (0.5, 0.4), (5, 4), (0.1, 0.2)),
    ((0.9, 0.3), (1.0, 0.5), (1, 2), None),
    ((0.05, 0.02), (1 / 180, 1 / 240), (12, 7), (1 / 60, 0.0)),
])
def test_no_cross_training_decouples_into_erlang_a_or_c(lams, mus, groups, thetas):
    r = multiskill_chain(lams, mus, (*groups, 0), thetas)
    for k in range(2):
        patience = None if thetas is None or thetas[k] == 0 else 1 / thetas[k]
        ref = erlang_a_metrics(groups[k], lams[k], 1 / mus[k], patience, 0.0)
        assert r.p_wait[k] == pytest.approx(ref.p_wait, abs=1e-9)
        assert r.p_abandon[k] == pytest.approx(ref.p_abandon, abs=1e-9)
        assert r.mean_wait[k] == pytest.approx(ref.mean_wait_all, rel=1e-9)
        assert r.mean_queue[k] == pytest.approx(ref.mean_queue, rel=1e-9)
        assert r.occupancy[k] == pytest.approx(ref.occupancy, abs=1e-9)
    assert math.isnan(r.occupancy[2]) and np.all(r.cross_busy == 0)


@pytest.mark.parametrize("lams, mu, c", [((0.9, 1.2), 1.0, 3), ((0.3, 0.2), 0.2, 4),
                                         ((1.5, 0.5), 0.5, 6)])
def test_cross_trained_only_is_the_priority_queue(lams, mu, c):
    r = multiskill_chain(lams, (mu, mu), (0, 0, c))
    ref = priority_queue(lams, mu, c)
    assert np.allclose(r.mean_wait, ref.mean_wait, rtol=1e-8, atol=0)
    assert np.allclose(r.p_wait, ref.p_wait, rtol=1e-8, atol=0)


MULTISKILL_CASES = [((0.9, 1.2), (1.0, 0.8), (1, 1, 2), None),
                    ((2.0, 1.0), (0.5, 0.4), (3, 1, 2), (0.2, 0.1)),
                    ((0.8, 3.0), (0.6, 1.5), (0, 2, 2), (0.0, 0.3)),
                    ((0.3, 0.4), (0.2, 0.25), (2, 0, 3), (0.05, 0.0))]


@pytest.mark.parametrize("lams, mus, groups, thetas", MULTISKILL_CASES)
def test_multiskill_flow_balance_and_little(lams, mus, groups, thetas):
    r = multiskill_chain(lams, mus, groups, thetas)
    d = r.distribution
    theta = np.zeros(2) if thetas is None else np.array(thetas)
    assert d["p"].sum() == pytest.approx(1.0, rel=1e-12) and d["p"].min() >= 0
    full = d["x0"] + d["x1"] == groups[2]
    for k in range(2):
        b, x, q = d[f"b{k}"], d[f"x{k}"], d[f"q{k}"]
        # arrival side: admitted = offered minus those finding queue k at the cap
        blocked = d["p"] @ ((b == groups[k]) & full & (q == r.queue_cap))
        admitted = lams[k] * (1 - blocked)
        # departure side, Little at the agents: mean busy on k = answered rate / mu_k
        assert admitted == pytest.approx(mus[k] * (d["p"] @ (b + x)) + theta[k] * (d["p"] @ q),
                                         rel=1e-9)
        assert r.served[k] + r.abandonment_rate[k] + r.truncation_leak[k] == pytest.approx(
            lams[k], rel=1e-9)
        assert r.mean_wait[k] * lams[k] == pytest.approx(d["p"] @ q, rel=1e-12)  # Little, queue
        assert r.truncation_leak[k] < 1e-9 * lams[k]
        # queue k is never non-empty while an agent able to serve k idles
        assert np.all((q == 0) | ((b == groups[k]) & full))
    assert r.boundary_mass < 1e-10
    # each group's occupancy is a fraction (nan for an empty group)
    for g, n in enumerate(groups):
        assert n == 0 and math.isnan(r.occupancy[g]) or 0 <= r.occupancy[g] <= 1


@pytest.mark.parametrize("lams, mus, groups, thetas", MULTISKILL_CASES)
def test_multiskill_doubling_the_queue_cap_changes_nothing(lams, mus, groups, thetas):
    r = multiskill_chain(lams, mus, groups, thetas)
    big = multiskill_chain(lams, mus, groups, thetas, max_queue=2 * r.queue_cap)
    for field in ("p_wait", "mean_queue", "mean_wait", "p_abandon", "served", "cross_busy"):
        assert np.all(np.abs(getattr(r, field) - getattr(big, field))
                      < 1e-9 * np.maximum(1.0, np.abs(getattr(big, field))))


def dense_multiskill(lams, mus, groups, thetas, cap):
    """Stationary law written state by state from the routing rules (dict of states), solved
    densely: the independent reference for the vectorised generator."""
    n0, n1, nx = groups
    states = [(b0, b1, x0, x1, q0, q1)
              for b0 in range(n0 + 1) for b1 in range(n1 + 1) for x0 in range(nx + 1)
              for x1 in range(nx + 1 - x0) for q0 in range(cap + 1) for q1 in range(cap + 1)
              if (q0 == 0 or (b0 == n0 and x0 + x1 == nx)) and (q1 == 0 or (b1 == n1 and x0 + x1 == nx))]
    index = {s: i for i, s in enumerate(states)}
    gen = np.zeros((len(states), len(states)))
    for s, i in index.items():
        out = []
        b, x, q = [s[0], s[1]], [s[2], s[3]], [s[4], s[5]]
        for k in range(2):
            t = list(s)
            if b[k] < groups[k]:
                t[k] += 1
            elif sum(x) < nx:
                t[2 + k] += 1
            elif q[k] < cap:
                t[4 + k] += 1
            out.append((t, lams[k]))
            t = list(s)  # a specialist of k finishes
            if q[k]:
                t[4 + k] -= 1
            else:
                t[k] -= 1
            out.append((t, b[k] * mus[k]))
            t = list(s)  # a cross-trained agent finishes a type-k call
            t[2 + k] -= 1
            j = 0 if q[0] else 1 if q[1] else None
            if j is not None:
                t[2 + j] += 1
                t[4 + j] -= 1
            out.append((t, x[k] * mus[k]))
            t = list(s)
            t[4 + k] -= 1
            out.append((t, q[k] * thetas[k]))
        for t, rate in out:
            if rate > 0 and tuple(t) != s:
                gen[i, index[tuple(t)]] += rate
    np.fill_diagonal(gen, -gen.sum(axis=1))
    lhs = gen.T.copy()
    lhs[-1] = 1.0
    pi = np.linalg.solve(lhs, np.r_[np.zeros(len(states) - 1), 1.0])
    return {s: pi[i] for s, i in index.items()}


@pytest.mark.parametrize("groups", [(1, 2, 2), (0, 1, 3), (2, 0, 1)])
def test_multiskill_matches_an_independent_dense_solve(groups):
    lams, mus, thetas, cap = (1.1, 0.9), (0.7, 0.5), (0.6, 0.4), 14
    r = multiskill_chain(lams, mus, groups, thetas, max_queue=cap, tol=1.0)
    ref = dense_multiskill(lams, mus, groups, thetas, cap)
    d = r.distribution
    assert len(d) == len(ref)
    for row in d:
        assert row["p"] == pytest.approx(ref[tuple(int(v) for v in list(row)[:6])], abs=1e-13)


@pytest.mark.parametrize("kwargs, name", [
    (dict(arrival_rates=(1.0,)), "arrival_rates"),
    (dict(arrival_rates=(0.0, 1.0)), r"arrival_rates\[0\]"),
    (dict(service_rates=(1.0, -1.0)), r"service_rates\[1\]"),
    (dict(groups=(1, 1)), "groups"),
    (dict(groups=(1, 1.5, 1)), r"groups\[1\]"),
    (dict(groups=(-1, 1, 1)), r"groups\[0\]"),
    (dict(groups=(0, 1, 0)), "type 0"),
    (dict(patience_rates=(0.1, -0.1)), r"patience_rates\[1\]"),
    (dict(max_queue=0), "max_queue"),
    (dict(max_queue=2), "max_queue"),  # too small for tol
    (dict(tol=0.0), "tol"),
    (dict(arrival_rates=(3.0, 0.1), groups=(1, 1, 1)), "unstable"),  # type 0 alone
    (dict(arrival_rates=(1.5, 1.6), groups=(1, 1, 1)), "unstable"),  # together
    (dict(arrival_rates=(1.99, 0.999), groups=(1, 1, 1)), "states"),  # refused by the truncation
])
def test_multiskill_bad_inputs_raise(kwargs, name):
    args = dict(arrival_rates=(0.5, 0.5), service_rates=(1.0, 1.0), groups=(1, 1, 1))
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        multiskill_chain(**args)
