"""Tests for ccsim.analytic against independent formulas and computations."""
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.linalg import expm, solve
from scipy.stats import poisson

from ccsim.analytic import (
    ErlangResult, erlang_a_metrics, erlang_b, erlang_b_metrics, erlang_c,
    erlang_c_metrics, staff_erlang_a, staff_erlang_c,
)
from factories import ERLANG_A_GRID


# ------------------------------------------------------------ exact references
def exact_erlang_b(n: int, a: Fraction) -> float:
    terms = [a**k / math.factorial(k) for k in range(n + 1)]
    return float(terms[-1] / sum(terms))


def exact_erlang_c(n: int, a: Fraction) -> float:
    terms = [a**k / math.factorial(k) for k in range(n)]
    top = a**n / math.factorial(n) * n / (n - a)
    return float(top / (sum(terms) + top))


def reference_erlang_a(c, lam, mu, theta, t, extra=250):
    """Brute force: stationary law from the truncated generator (linear
    solve), tagged-call probabilities from expm / inverses of its CTMC."""
    n = c + extra
    gen = np.zeros((n + 1, n + 1))
    for k in range(n):
        gen[k, k + 1] = lam
        gen[k + 1, k] = min(k + 1, c) * mu + max(k + 1 - c, 0) * theta
    np.fill_diagonal(gen, -gen.sum(axis=1))
    lhs = np.vstack([gen.T, np.ones(n + 1)])
    pi = np.linalg.lstsq(lhs, np.r_[np.zeros(n + 1), 1.0], rcond=None)[0]
    q = pi[c:]
    m = q.size
    # transient states j = 0..m-1 (calls ahead), then 'served', 'abandoned'
    full = np.zeros((m + 2, m + 2))
    for j in range(m):
        move = c * mu + j * theta
        full[j, j - 1 if j else m] = move
        full[j, m + 1] = theta
        full[j, j] = -(move + theta)
    qt, exit_served = full[:m, :m], full[:m, m]
    served_by_t = expm(full * t)[:m, m]
    h = solve(-qt, exit_served)  # P(served | j)
    m1 = solve(-qt, h)  # E[wait * 1{served} | j]
    p_served = pi[:c].sum() + q @ h
    return dict(pi=pi, p_wait=q.sum(), p_served=p_served,
                mean_queue=np.arange(m) @ q,
                service_level=pi[:c].sum() + q @ served_by_t,
                asa=(q @ m1) / p_served,
                occupancy=np.minimum(np.arange(n + 1), c) @ pi / c)


# ------------------------------------------------------------ Erlang B
@pytest.mark.parametrize("n", [1, 2, 5, 13, 30])
@pytest.mark.parametrize("a", [Fraction(1, 10), Fraction(1), Fraction(37, 10), Fraction(25), Fraction(60)])
def test_erlang_b_matches_direct_formula(n, a):
    assert erlang_b(n, float(a)) == pytest.approx(exact_erlang_b(n, a), rel=1e-12)


def test_erlang_b_table_values():
    assert erlang_b(1, 1.0) == pytest.approx(0.5, abs=1e-15)
    assert erlang_b(2, 1.0) == pytest.approx(0.2, abs=1e-15)
    assert erlang_b(10, 5.0) == pytest.approx(0.018385, abs=5e-7)
    assert erlang_b(3, 0.0) == 0.0


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 300), a=st.floats(0.01, 400.0))
def test_erlang_b_properties(n, a):
    b = erlang_b(n, a)
    assert 0.0 <= b <= 1.0  # may underflow to 0.0 for tiny a / large n
    assert erlang_b(n + 1, a) <= b  # fewer losses with more trunks
    assert erlang_b(n, a * 1.01) >= b  # more losses with more load
    if b > 1e-280:
        assert erlang_b(n + 1, a) < b < erlang_b(n, a * 1.01)
    if a < n:
        assert erlang_b(n, a) <= erlang_c(n, a) <= 1.0


def test_erlang_b_large_matches_truncated_poisson():
    # M/M/c/c occupancy is Poisson(a) truncated at c: B = pmf(c) / cdf(c)
    b = erlang_b(5000, 4900.0)
    assert 0.0 < b < 1.0
    assert b == pytest.approx(poisson.pmf(5000, 4900) / poisson.cdf(5000, 4900), rel=1e-9)


def test_erlang_b_metrics():
    r = erlang_b_metrics(10, 5.0 / 180.0, 180.0)
    assert isinstance(r, ErlangResult)
    assert r.p_block == pytest.approx(0.018385, abs=5e-7)
    assert r.service_level == pytest.approx(1.0 - r.p_block)
    assert r.occupancy == pytest.approx(5.0 * (1.0 - r.p_block) / 10)
    assert r.p_wait == r.asa == r.mean_queue == r.p_abandon == 0.0


# ------------------------------------------------------------ Erlang C
@pytest.mark.parametrize("n, a", [(1, Fraction(1, 2)), (2, Fraction(1)), (5, Fraction(4)),
                                  (12, Fraction(101, 10)), (30, Fraction(29))])
def test_erlang_c_matches_direct_formula(n, a):
    c = erlang_c(n, float(a))
    assert c == pytest.approx(exact_erlang_c(n, a), rel=1e-12)
    b = exact_erlang_b(n, a)  # classical relation C = cB / (c - a(1 - B))
    assert c == pytest.approx(n * b / (n - float(a) * (1 - b)), rel=1e-12)


def test_erlang_c_known_values():
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3, abs=1e-15)
    assert erlang_c(1, 0.3) == pytest.approx(0.3, abs=1e-15)  # M/M/1: rho
    assert erlang_c(4, 4.0) == 1.0 and erlang_c(4, 9.0) == 1.0


def test_erlang_c_metrics_mm1():
    lam, h = 0.5, 1.0  # M/M/1, rho = 0.5: W ~ 0 w.p. 1/2, else Exp(mu - lam)
    r = erlang_c_metrics(1, lam, h, threshold=2.0)
    assert r.p_wait == pytest.approx(0.5)
    assert r.asa == pytest.approx(0.5 / 0.5)
    assert r.service_level == pytest.approx(1 - 0.5 * math.exp(-0.5 * 2.0))
    assert r.mean_queue == pytest.approx(0.5**2 / 0.5)  # rho^2 / (1 - rho)
    assert r.occupancy == pytest.approx(0.5)
    with pytest.raises(ValueError, match="unstable"):
        erlang_c_metrics(3, 1.0, 3.0, 20.0)


# ------------------------------------------------------------ Erlang A
def test_erlang_a_none_and_inf_patience_is_erlang_c():
    ref = erlang_c_metrics(7, 0.1, 60.0, 20.0)
    assert erlang_a_metrics(7, 0.1, 60.0, None, 20.0) == ref
    assert erlang_a_metrics(7, 0.1, 60.0, math.inf, 20.0) == ref


@pytest.mark.parametrize("c, a", [(1, 0.6), (3, 2.5), (20, 17.0), (50, 48.0)])
def test_erlang_a_tiny_abandonment_tends_to_erlang_c(c, a):
    h, t = 120.0, 20.0
    ea = erlang_a_metrics(c, a / h, h, 1e9, t)
    ec = erlang_c_metrics(c, a / h, h, t)
    for field in ("p_wait", "service_level", "occupancy"):
        assert getattr(ea, field) == pytest.approx(getattr(ec, field), abs=1e-6)
    for field in ("asa", "mean_wait_all", "mean_queue"):
        assert getattr(ea, field) == pytest.approx(getattr(ec, field), rel=1e-5)
    assert 0.0 <= ea.p_abandon < 1e-5


@pytest.mark.parametrize("c, a", [(1, 0.5), (5, 3.0), (10, 12.0), (40, 40.0)])
def test_erlang_a_theta_equals_mu_is_poisson(c, a):
    # death rate min(k,c)mu + (k-c)^+ mu = k mu: same as M/M/inf, N ~ Poisson(a)
    h = 100.0
    r = erlang_a_metrics(c, a / h, h, h, 10.0)
    k = np.arange(c, c + 400)
    assert r.p_wait == pytest.approx(poisson.sf(c - 1, a), rel=1e-9)
    assert r.mean_queue == pytest.approx(((k - c) * poisson.pmf(k, a)).sum(), rel=1e-9)
    busy = (np.minimum(np.arange(c + 400), c) * poisson.pmf(np.arange(c + 400), a)).sum()
    assert r.occupancy == pytest.approx(busy / c, rel=1e-9)


@pytest.mark.parametrize("c, a, patience", [(3, 2.5, 90.0), (3, 4.0, 30.0), (5, 4.5, 600.0)])
def test_erlang_a_abandonment_identities(c, a, patience):
    h = 60.0
    lam, theta = a / h, 1.0 / patience
    r = erlang_a_metrics(c, lam, h, patience, 20.0)
    ref = reference_erlang_a(c, lam, 1 / h, theta, 20.0)
    # abandonment rate balance vs tagged-call P(served)
    assert r.p_abandon == pytest.approx(theta * r.mean_queue / lam, rel=1e-9)
    assert r.p_abandon == pytest.approx(1.0 - ref["p_served"], rel=1e-8)
    assert r.mean_wait_all == pytest.approx(r.mean_queue / lam, rel=1e-9)  # Little
    # carried load = served calls * handle time
    assert r.occupancy * c == pytest.approx(a * (1 - r.p_abandon), rel=1e-9)


@pytest.mark.parametrize("c, a, patience, t", [(3, 2.5, 90.0, 20.0), (3, 3.6, 40.0, 5.0),
                                               (3, 1.5, 300.0, 60.0), (3, 2.5, 90.0, 0.0)])
def test_erlang_a_matches_bruteforce_ctmc(c, a, patience, t):
    h = 60.0
    r = erlang_a_metrics(c, a / h, h, patience, t)
    ref = reference_erlang_a(c, a / h, 1 / h, 1 / patience, t)
    assert r.service_level == pytest.approx(ref["service_level"], abs=1e-10)
    assert r.p_wait == pytest.approx(ref["p_wait"], abs=1e-10)
    assert r.mean_queue == pytest.approx(ref["mean_queue"], rel=1e-8)
    assert r.asa == pytest.approx(ref["asa"], rel=1e-8)
    assert r.occupancy == pytest.approx(ref["occupancy"], rel=1e-9)


def test_erlang_a_monotone_in_agents():
    results = [erlang_a_metrics(n, 10 / 180, 180.0, 120.0, 20.0) for n in range(1, 25)]
    for lo, hi in zip(results, results[1:]):
        assert hi.service_level > lo.service_level
        assert hi.p_abandon < lo.p_abandon
        assert hi.p_wait < lo.p_wait
        assert hi.asa < lo.asa


def test_erlang_a_overloaded_is_sane():
    c, h, patience = 10, 180.0, 60.0
    r = erlang_a_metrics(c, 1.2 * c / h, h, patience, 20.0)
    for v in (r.p_wait, r.p_abandon, r.service_level, r.occupancy):
        assert 0.0 <= v <= 1.0
    assert r.p_abandon >= 1 - 1 / 1.2  # throughput cannot exceed c * mu
    assert r.service_level <= 1 - r.p_abandon
    assert r.mean_wait_all <= patience  # waits are capped by own patience
    assert 0.0 < r.asa and math.isfinite(r.mean_queue)
    lighter = erlang_a_metrics(c, 0.9 * c / h, h, patience, 20.0)
    assert r.p_wait > lighter.p_wait and r.p_abandon > lighter.p_abandon


# ------------------------------------------------------------ large systems
@pytest.mark.parametrize("factor", [0.97, 0.999, 1.05])
def test_large_erlang_a_is_stable(factor):
    c, h = 5000, 180.0
    r = erlang_a_metrics(c, factor * c / h, h, 300.0, 20.0)
    for v in (r.p_wait, r.p_abandon, r.service_level, r.occupancy):
        assert math.isfinite(v) and 0.0 <= v <= 1.0
    assert math.isfinite(r.asa) and math.isfinite(r.mean_queue)
    assert r.p_abandon == pytest.approx(r.mean_queue / (300.0 * factor * c / h), rel=1e-8)
    if factor > 1:
        assert r.p_abandon >= 1 - 1 / factor


@pytest.mark.parametrize("factor", [0.97, 0.999])
def test_large_erlang_c_is_stable(factor):
    r = erlang_c_metrics(5000, factor * 5000 / 180.0, 180.0, 20.0)
    for v in (r.p_wait, r.service_level, r.occupancy):
        assert math.isfinite(v) and 0.0 <= v <= 1.0
    assert math.isfinite(r.asa)


# ------------------------------------------------------------ staffing
def test_staff_erlang_c_textbook_case():
    n = staff_erlang_c(1.0, 180.0, 20.0, 0.8)
    assert erlang_c_metrics(n, 1.0, 180.0, 20.0).service_level >= 0.8
    assert erlang_c_metrics(n - 1, 1.0, 180.0, 20.0).service_level < 0.8
    m = staff_erlang_c(1.0, 180.0, 20.0, 0.8, max_asa=5.0)
    assert m >= n
    assert erlang_c_metrics(m, 1.0, 180.0, 20.0).asa <= 5.0
    prev = erlang_c_metrics(m - 1, 1.0, 180.0, 20.0)
    assert prev.asa > 5.0 or prev.service_level < 0.8


def test_staff_matches_linear_scan():
    lam, h, t, target = 0.05, 240.0, 30.0, 0.85
    first_c = next(n for n in range(13, 100)
                   if erlang_c_metrics(n, lam, h, t).service_level >= target)
    assert staff_erlang_c(lam, h, t, target) == first_c
    first_a = next(n for n in range(1, 100)
                   if erlang_a_metrics(n, lam, h, 90.0, t).service_level >= target
                   and erlang_a_metrics(n, lam, h, 90.0, t).p_abandon <= 0.02)
    assert staff_erlang_a(lam, h, 90.0, t, target, max_abandon=0.02) == first_a


def test_staff_erlang_a():
    n = staff_erlang_a(1.0, 180.0, 120.0, 20.0, 0.8, max_abandon=0.03)
    ok = erlang_a_metrics(n, 1.0, 180.0, 120.0, 20.0)
    assert ok.service_level >= 0.8 and ok.p_abandon <= 0.03
    bad = erlang_a_metrics(n - 1, 1.0, 180.0, 120.0, 20.0)
    assert bad.service_level < 0.8 or bad.p_abandon > 0.03
    # abandonment lightens the load: never more agents than Erlang C
    assert n <= staff_erlang_c(1.0, 180.0, 20.0, 0.8)
    assert staff_erlang_a(1.0, 180.0, None, 20.0, 0.8) == staff_erlang_c(1.0, 180.0, 20.0, 0.8)


# ------------------------------------------------------------ bad inputs
@pytest.mark.parametrize("call, name", [
    (lambda: erlang_b(0, 1.0), "agents"),
    (lambda: erlang_b(2.5, 1.0), "agents"),
    (lambda: erlang_b(True, 1.0), "agents"),
    (lambda: erlang_b(3, -1.0), "load"),
    (lambda: erlang_c(3, float("nan")), "load"),
    (lambda: erlang_b_metrics(3, -0.1, 60.0), "arrival_rate"),
    (lambda: erlang_c_metrics(3, 0.01, 0.0, 20.0), "mean_handle"),
    (lambda: erlang_c_metrics(3, 0.01, 60.0, -1.0), "threshold"),
    (lambda: erlang_a_metrics(-2, 0.01, 60.0, 90.0, 20.0), "agents"),
    (lambda: erlang_a_metrics(3, 0.01, 60.0, 0.0, 20.0), "mean_patience"),
    (lambda: erlang_a_metrics(3, 0.01, 60.0, -5.0, 20.0), "mean_patience"),
    (lambda: erlang_a_metrics(3, 0.01, 60.0, "x", 20.0), "mean_patience"),
    (lambda: staff_erlang_c(1.0, 180.0, 20.0, 1.0), "target_sl"),
    (lambda: staff_erlang_c(1.0, 180.0, 20.0, 0.0), "target_sl"),
    (lambda: staff_erlang_c(1.0, 180.0, 20.0, 0.8, max_asa=0.0), "max_asa"),
    (lambda: staff_erlang_a(1.0, 180.0, 120.0, 20.0, 1.2), "target_sl"),
    (lambda: staff_erlang_a(1.0, 180.0, 120.0, 20.0, 0.8, max_abandon=1.5), "max_abandon"),
    (lambda: staff_erlang_a(1.0, -180.0, 120.0, 20.0, 0.8), "mean_handle"),
])
def test_bad_inputs_raise(call, name):
    with pytest.raises(ValueError, match=name):
        call()


# ------------------------------------------------------------ Erlang A in closed form
from ccsim.analytic import _erlang_a_chain  # noqa: E402  (the slow cross-check)

FIELDS = ("p_wait", "p_abandon", "service_level", "asa", "mean_wait_all", "occupancy", "mean_queue")


def assert_close(got, want, rtol=1e-9, atol=1e-14):
    """Relative agreement, or absolute for values near the chain's own floor
    (its uniformization drops 1e-13 of Poisson mass)."""
    for field in FIELDS:
        x, y = getattr(got, field), getattr(want, field)
        assert abs(x - y) <= max(rtol * abs(y), atol), (field, x, y)


@pytest.mark.parametrize("c", [1, 5, 50, 200])
@pytest.mark.parametrize("load", [0.01, 0.8, 1.0, 1.5])
@pytest.mark.parametrize("patience_over_handle", [0.001, 1.0, 10.0])
def test_closed_form_matches_the_chain(c, load, patience_over_handle):
    h = 180.0
    lam, patience = load * c / h, patience_over_handle * h
    for t in (0.0, 20.0, 500.0):
        assert_close(erlang_a_metrics(c, lam, h, patience, t), _erlang_a_chain(c, lam, 1 / h, 1 / patience, t))


def test_the_comparison_tells_a_wrong_model_apart():
    h = 180.0
    right = _erlang_a_chain(50, 0.27, 1 / h, 1 / 300, 20.0)
    with pytest.raises(AssertionError):
        assert_close(erlang_a_metrics(51, 0.27, h, 300.0, 20.0), right)


@pytest.mark.parametrize("c, load", [(1, 0.5), (20, 0.9), (5000, 0.99)])
def test_endless_patience_gives_erlang_c(c, load):
    h = 180.0
    ea, ec = erlang_a_metrics(c, load * c / h, h, 1e12, 20.0), erlang_c_metrics(c, load * c / h, h, 20.0)
    for field in ("p_wait", "service_level", "asa", "occupancy"):
        assert getattr(ea, field) == pytest.approx(getattr(ec, field), rel=1e-5)


@pytest.mark.parametrize("c, load", [(1, 0.5), (20, 0.9), (5000, 1.2)])
def test_no_patience_gives_erlang_b_loss(c, load):
    # Callers who find every agent busy hang up at once: lost, as blocked calls are in M/M/c/c.
    h = 180.0
    r = erlang_a_metrics(c, load * c / h, h, 1e-9, 20.0)
    b = erlang_b(c, load * c)
    assert r.p_wait == pytest.approx(b, rel=1e-6) and r.p_abandon == pytest.approx(b, rel=1e-6)
    assert r.service_level == pytest.approx(1 - b, rel=1e-6)


GRID = ERLANG_A_GRID


def test_every_case_of_the_large_grid_answers():
    """The 189 cases (1 to 50,000 agents, 0.01-1.5 x agents of load, patience 1 ms to
    10^9 s, thresholds to 10^7 s) that the chain was too slow for or refused."""
    assert len(GRID) == 189
    for c, f, patience, t in GRID:
        r = erlang_a_metrics(c, f * c / 180.0, 180.0, patience, t)
        for v in (r.p_wait, r.p_abandon, r.service_level, r.occupancy):
            assert 0.0 <= v <= 1.0, (c, f, patience, t, r)
        assert r.p_abandon <= r.p_wait + 1e-15 and r.service_level <= 1 - r.p_abandon + 1e-12
        assert math.isfinite(r.asa) and r.asa >= 0 and r.mean_wait_all <= patience * (1 + 1e-9)
        if f > 1:
            assert r.p_abandon >= (1 - 1 / f) * (1 - 1e-9)  # throughput cannot exceed c * mu


def test_large_cases_agree_with_the_chain_where_it_is_feasible():
    # 2000 agents just under capacity, patience 20 x handle: ~10^5 states for the chain.
    h, c = 180.0, 2000
    for load in (0.98, 1.02):
        assert_close(erlang_a_metrics(c, load * c / h, h, 20 * h, 20.0),
                     _erlang_a_chain(c, load * c / h, 1 / h, 1 / (20 * h), 20.0), rtol=1e-8)


@pytest.mark.parametrize("c, a", [(2500, 2400.0), (3000, 3100.0), (10000, 50.0)])
def test_erlang_b_closed_form_for_large_teams_matches_the_recursion(c, a):
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    assert erlang_b(c, a) == pytest.approx(b, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("rate, handle, patience", [(1e6, 180.0, 300.0), (1e6, 1.0, 300.0),
                                                     (1.0, 180.0, 1e-3), (1e6, 180.0, 1e-3)])
def test_staffing_at_extreme_rates_and_patience(rate, handle, patience):
    n = staff_erlang_a(rate, handle, patience, 20.0, 0.8)
    assert erlang_a_metrics(n, rate, handle, patience, 20.0).service_level >= 0.8
    assert erlang_a_metrics(n - 1, rate, handle, patience, 20.0).service_level < 0.8
    m = staff_erlang_c(rate, handle, 20.0, 0.8)
    assert erlang_c_metrics(m, rate, handle, 20.0).service_level >= 0.8
    if m - 1 > rate * handle:  # else m - 1 agents are unstable: fewer cannot do
        assert erlang_c_metrics(m - 1, rate, handle, 20.0).service_level < 0.8
