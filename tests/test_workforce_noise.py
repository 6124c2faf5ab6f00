"""Learning with noise: per-agent ceilings and time constants drawn from a population, a
lognormal AR(1) shock around the curve; over many agents the mean curve and the spread match
their configured expectations (confidence intervals); an agent's draws do not depend on who
else is on the roster."""
import math

import numpy as np
import pytest
from scipy import integrate, stats

from ccsim.workforce import BottomElimination, Learning, WorkforceError, policies_from_spec, run_periods

DAY = 86400.0
C0 = 0.1
Z = stats.norm.ppf(1 - 0.001 / 2)  # 99.9 % two-sided


def crowd(n=800, horizon=5 * DAY, rate=0.002):
    """``n`` agents who all start at conversion C0, few calls (the engine is not the point)."""
    return {"name": "noise", "horizon": horizon, "interval": 3600, "roster_seed": 3,
            "call_types": [{"name": "sales", "arrivals": {"process": "poisson", "rate": rate},
                            "handle_time": {"dist": "exponential", "mean": 180},
                            "patience": {"dist": "exponential", "mean": 300}}],
            "agents": [{"name": "sales", "serves": ["sales"], "population": {
                "count": n, "conversion": {"dist": "constant", "value": C0}}}],
            "funnel": {"call_types": {"sales": {"conversion": 0.3,
                                                "order_value": {"dist": "deterministic", "value": 100}}}}}


def mean_ci_holds(x, expected, k):
    """The sample mean of ``x`` within a Bonferroni (k tests) 99.9 % normal interval of ``expected``."""
    z = stats.norm.ppf(1 - 0.001 / (2 * k))
    return abs(x.mean() - expected) < z * x.std(ddof=1) / math.sqrt(len(x))


def var_ci_holds(x, expected_var, k):
    """The sample variance within its asymptotic (Bonferroni, 99.9 %) interval: sd of the sample
    variance sqrt((m4 - s^4) / n), from the sample's fourth central moment (no normality assumed)."""
    z = stats.norm.ppf(1 - 0.001 / (2 * k))
    d = x - x.mean()
    s2, m4 = (d ** 2).mean(), (d ** 4).mean()
    return abs(x.var(ddof=1) - expected_var) < z * math.sqrt((m4 - s2 ** 2) / len(x)), (x.var(ddof=1), expected_var)


def test_drawn_ceilings_and_shocks_give_the_configured_mean_and_spread():
    """Ceiling ~ beta(0.3, 0.05) per agent, tau 3 days, shock cv 0.25 with persistence 0.5:
    after t days c = (a + b C) M, a = C0 e^(-t/3), b = 1 - e^(-t/3), E M = 1, Var M = cv^2,
    so E c = a + b mu and Var c = ((a + b mu)^2 + b^2 sd^2)(1 + cv^2) - (a + b mu)^2."""
    mu, sd, cv, tau = 0.3, 0.05, 0.25, 3.0
    learning = Learning(ceiling={"dist": "beta", "mean": mu, "sd": sd}, tau_days=tau, noise_cv=cv,
                        noise_persistence=0.5)
    result = run_periods(crowd(), DAY, [learning], seed=1)
    checks = len(result.trajectory) - 1
    for p, c in enumerate(result.trajectory[:-1]):
        t = p + 1
        a, b = C0 * math.exp(-t / tau), 1 - math.exp(-t / tau)
        mean = a + b * mu
        var = (mean ** 2 + b ** 2 * sd ** 2) * (1 + cv ** 2) - mean ** 2
        assert mean_ci_holds(c, mean, checks), (t, c.mean(), mean)
        ok, got = var_ci_holds(c, var, checks)
        assert ok, (t, got)
        # with power: without the shock the spread would be b sd, far outside the interval
        assert not var_ci_holds(c, (b * sd) ** 2, checks)[0]


def test_the_shock_is_an_ar1_path_of_the_configured_sd_and_persistence():
    """Ceiling and tau the same for all: the curve m(t) is known, so z = log(c / m) + s^2 / 2 is
    the shock itself: sd s = sqrt(log(1 + cv^2)) each period, lag-one correlation rho (Fisher CI)."""
    cv, rho, tau = 0.3, 0.7, 2.0
    result = run_periods(crowd(n=1000), DAY, [Learning(ceiling=0.4, tau_days=tau, noise_cv=cv,
                                                       noise_persistence=rho)], seed=2)
    s = math.sqrt(math.log1p(cv ** 2))
    zs = []
    for p, c in enumerate(result.trajectory[:-1]):
        m = 0.4 - (0.4 - C0) * math.exp(-(p + 1) / tau)
        zs.append(np.log(c / m) + s * s / 2)
    k = 2 * len(zs)
    for z in zs:
        assert mean_ci_holds(z, 0.0, k)
        lo, hi = (stats.chi2.ppf(q, len(z) - 1) / (len(z) - 1) for q in (0.0005 / k, 1 - 0.0005 / k))
        assert lo < z.var(ddof=1) / s ** 2 < hi
    for z1, z2 in zip(zs, zs[1:]):
        r = np.corrcoef(z1, z2)[0, 1]
        half = stats.norm.ppf(1 - 0.0005 / len(zs)) / math.sqrt(len(z1) - 3)
        assert abs(math.atanh(r) - math.atanh(rho)) < half, r
        assert abs(math.atanh(r)) > half  # with power: a fresh shock each period is rejected


def test_drawn_time_constants_give_the_configured_mean_and_spread():
    """tau ~ uniform(1, 5) days per agent, ceiling 0.4, no shock: c(t) = 0.4 - 0.3 e^(-t/tau),
    mean and variance from E e^(-t/tau) and E e^(-2t/tau) (numerical integrals)."""
    result = run_periods(crowd(), DAY, [Learning(ceiling=0.4, tau_days={"dist": "uniform", "low": 1, "high": 5})],
                         seed=3)
    checks = len(result.trajectory) - 1
    for p, c in enumerate(result.trajectory[:-1]):
        t = p + 1
        e1 = integrate.quad(lambda tau: math.exp(-t / tau) / 4, 1, 5)[0]
        e2 = integrate.quad(lambda tau: math.exp(-2 * t / tau) / 4, 1, 5)[0]
        assert mean_ci_holds(c, 0.4 - (0.4 - C0) * e1, checks)
        assert var_ci_holds(c, (0.4 - C0) ** 2 * (e2 - e1 ** 2), checks)[0]


def test_an_agents_draws_do_not_depend_on_who_else_is_on_the_roster():
    """The same agent has the same ceiling, tau and shocks whether others were eliminated or not."""
    def trajectories(policies):
        return run_periods(crowd(n=30, rate=0.05), DAY, policies, seed=4)

    learning = dict(ceiling={"dist": "beta", "mean": 0.3, "sd": 0.05},
                    tau_days={"dist": "lognormal", "mean": 3, "cv": 0.3}, noise_cv=0.2, noise_persistence=0.4)
    plain = trajectories([Learning(**learning)])
    culled = trajectories([BottomElimination(k=3, min_calls=1), Learning(**learning)])
    stayed = culled.status == "active"
    assert (~stayed).sum() >= 9
    for p in range(len(plain.trajectory)):
        np.testing.assert_array_equal(plain.trajectory[p][stayed], culled.trajectory[p][stayed])


def test_training_gain_is_kept_on_the_noisy_curve():
    """What training adds to an agent's conversion is added to its curve, not lost at the next shock."""
    from ccsim.workforce.growth import Learning as L

    learning = L(ceiling=0.2, tau_days=3, noise_cv=1e-9)  # at or above the ceiling: no learning
    ctx = _Ctx(np.array([0.2, 0.2]))
    learning.between(ctx)
    ctx.abilities.conversion[1] += 0.1  # a training programme raised agent 1
    learning.between(ctx)
    assert ctx.abilities.conversion == pytest.approx([0.2, 0.3], abs=1e-6)


class _Ctx:
    """The least of a PeriodContext a Learning policy reads."""

    def __init__(self, conversion):
        from ccsim.workforce.people import Abilities

        n = len(conversion)
        self.abilities = Abilities(conversion, np.zeros((n, 0)), np.ones(n), np.full(n, np.nan),
                                   np.full(n, np.nan), np.zeros(n))
        self.on_payroll = np.ones(n, dtype=bool)
        self.group = np.zeros(n, dtype=np.int64)
        self.changed, self.period_days, self.period = set(), 1.0, 0

    def agent_rng(self, name, agent, period=None):
        return np.random.default_rng([agent, self.period if period is None else period, len(name)])


@pytest.mark.parametrize("spec, path", [
    ({"kind": "learning", "noise_cv": -0.1}, "workforce.policies[0].noise_cv"),
    ({"kind": "learning", "noise_persistence": 1.0}, "workforce.policies[0].noise_persistence"),
    ({"kind": "learning", "ceiling": {"dist": "beta", "mean": 0.3, "sd": 0.6}}, "workforce.policies[0].ceiling"),
    ({"kind": "learning", "tau_days": {"dist": "gamma", "mean": 3, "cv": 1}}, "workforce.policies[0].tau_days"),
])
def test_bad_noise_refused_with_its_path(spec, path):
    with pytest.raises(WorkforceError) as err:
        policies_from_spec([spec])
    assert err.value.path == path, str(err.value)


# ---- fatigue ----------------------------------------------------------------------------------

def busy_center(n=10, horizon=5 * DAY, rate=9 / 180, shifts=False, proficiency=False):
    """``n`` agents at conversion 0.3 under a load of 9 Erlangs (occupancy near 0.9)."""
    s = crowd(n=n, horizon=horizon, rate=rate)
    population = s["agents"][0]["population"]
    population["conversion"] = {"dist": "constant", "value": 0.3}
    if proficiency:
        population["proficiency"] = {"dist": "constant", "value": 1.0}
    if shifts:
        s["agents"][0]["shifts"] = [{"start": "08:00", "end": "20:00"}]
    return s


def test_fatigue_follows_its_formula_from_the_observed_occupancy():
    """F_t = min(1, L_t + F_(t-1) exp(-off_t / recovery)), L = (u - thr) / (1 - thr) clipped,
    conversion = 0.3 (1 - drop F): recomputed from the run's own per-agent counts (12 h shifts:
    12 h off a day)."""
    from ccsim.results import AGENT_FIELDS

    thr, drop, rec = 0.5, 0.4, 10.0
    s = busy_center(shifts=True)
    result = run_periods(s, DAY, [policies_from_spec([{"kind": "fatigue", "threshold": thr, "conversion_drop": drop,
                                                       "recovery_hours": rec}])[0]], seed=5)
    A = {name: i for i, name in enumerate(AGENT_FIELDS)}
    level = np.zeros(10)
    for p, counts in enumerate(result.agent_counts[:-1]):
        staffed, busy = counts[:, A["staffed"]], counts[:, A["busy"]]
        load = np.clip((busy / staffed - thr) / (1 - thr), 0, 1)
        level = np.minimum(1.0, load + level * np.exp(-(24 - staffed / 3600) / rec))
        np.testing.assert_allclose(result.trajectory[p], 0.3 * (1 - drop * level), rtol=1e-12)
        assert (staffed / 3600 == pytest.approx(12.0, abs=0.5))  # the shift: 12 h on, 12 h off
    assert level.min() > 0.2  # the load is real


def period_orders(result, p):
    from ccsim.results import FUNNEL_FIELDS

    F = {name: i for i, name in enumerate(FUNNEL_FIELDS)}
    f = result.funnel_counts[p]
    return f[:, F["sales_answered"]], f[:, F["orders"]].sum()


def test_fatigued_agents_convert_less_in_the_engine():
    """Orders in each period after the first against sum over agents of sales calls x the
    fatigued conversion in effect (binomial, Bonferroni 99.9 %), and far below the rested 0.3."""
    fatigue = policies_from_spec([{"kind": "fatigue", "threshold": 0.5, "conversion_drop": 0.5}])
    result = run_periods(busy_center(), DAY, fatigue, seed=6)
    z = stats.norm.ppf(1 - 0.001 / (2 * 4))
    for p in range(1, 5):
        sales, orders = period_orders(result, p)
        c = result.trajectory[p - 1]
        mean, sd = (sales * c).sum(), math.sqrt((sales * c * (1 - c)).sum())
        assert abs(orders - mean) < z * sd, (p, orders, mean)
        assert c.mean() < 0.26 and orders < 0.3 * sales.sum() - z * math.sqrt(0.21 * sales.sum())


def test_fatigue_slows_handle_times_in_the_engine():
    """factor_rise 1: talk time in each period after the first against sum over agents of answered
    x 180 x the fatigued factor (exponential handle times: variance (180 f)^2 a call)."""
    from ccsim.results import AGENT_FIELDS

    A = {name: i for i, name in enumerate(AGENT_FIELDS)}
    fatigue = policies_from_spec([{"kind": "fatigue", "threshold": 0.5, "conversion_drop": 0.0, "factor_rise": 1.0}])
    result = run_periods(busy_center(rate=7 / 180, proficiency=True), DAY, fatigue, seed=7)
    z = stats.norm.ppf(1 - 0.001 / (2 * 4))
    level = np.zeros(10)
    for p in range(1, 5):
        before = result.agent_counts[p - 1]
        staffed, busy = before[:, A["staffed"]], before[:, A["busy"]]
        load = np.clip((busy / staffed - 0.5) / 0.5, 0, 1)
        level = np.minimum(1.0, load + level * np.exp(-(24 - staffed / 3600) / 12.0))
        counts = result.agent_counts[p]
        answered, talk = counts[:, A["answered"]], counts[:, A["talk"]].sum()
        mean = (answered * 180 * (1 + level)).sum()
        sd = math.sqrt((answered * (180 * (1 + level)) ** 2).sum())
        assert abs(talk - mean) < z * sd, (p, talk, mean)
        assert talk > answered.sum() * 180 * 1.3  # with power: far slower than rested


def test_fatigue_factor_rise_needs_per_agent_factors():
    fatigue = policies_from_spec([{"kind": "fatigue", "factor_rise": 0.5}])
    s = busy_center(horizon=2 * DAY)
    s["agents"][0] = {"name": "sales", "serves": ["sales"], "count": 3}
    with pytest.raises(WorkforceError) as err:
        run_periods(s, DAY, fatigue, seed=1)
    assert err.value.path == "workforce.policies[0].factor_rise"
