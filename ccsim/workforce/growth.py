"""Policies that change people rather than remove them: learning with tenure, training
programmes, QA monitoring with coaching, and hiring into slots.

Each is a ``Policy`` whose ``between(ctx)`` returns no leaver: it changes ``ctx.abilities``
(marking the agents in ``ctx.changed``), sends agents off the phones for a while
(``ctx.send_off``), hires (``ctx.hire``) and books costs (``ctx.book``). Their draws come from
streams keyed by the run's seed, the policy's name, the agent's id and the period
(``ctx.agent_rng``), never from the engine's streams: what one agent draws does not depend on
who else is on the roster.
"""
from __future__ import annotations

import math

import numpy as np

from ..results import AGENT_FIELDS
from ..scenario import limits as L
from .errors import WorkforceError
from .people import MAX_DAYS, check_draw, draw
from .policies import KINDS, Policy, _finite, _non_negative, _non_negative_int, _Ranked, _positive_int
from .ranking import bottom_k


def _fraction(value, path):
    if not _finite(value, 1.0):
        raise WorkforceError(path, f"expected a number in [0, 1], found {value!r}")
    return float(value)


def _days(value, path):
    """``value`` if it is a number of days from 0 to ``MAX_DAYS`` (the scenario's ``Days``)."""
    if not _finite(value, MAX_DAYS):
        raise WorkforceError(path, f"expected a number of days from 0 to {MAX_DAYS:g}, found {value!r}")
    return float(value)


def _hours_a_day(value, path):
    """``value`` if it is a number of hours from 0 to 24 (the scenario's ``HoursADay``)."""
    if not _finite(value, 24.0):
        raise WorkforceError(path, f"expected a number of hours from 0 to 24, found {value!r}")
    return float(value)


TAU_MIN_DAYS = 1e-3  # a learning time constant below this (86 s) is refused, a drawn one clipped to it
MAX_NOISE_CV = 10.0
MAX_FACTOR_RISE = 100.0  # a fatigued handle time at most 101 times the rested one
_A = {name: i for i, name in enumerate(AGENT_FIELDS)}


class Learning(Policy):
    """Abilities improve with tenure toward a ceiling: after a period of d days, each agent on
    the payroll has conversion c <- c + (1 - exp(-d / tau)) (ceiling - c) when below its
    ceiling, and handle-time factors f <- f + (1 - exp(-d / tau)) (floor - f) when above
    ``factor_floor``: c(t) = ceiling - (ceiling - c0) exp(-t / tau). Tenure grows for everyone.

    ``ceiling`` and ``tau_days`` are numbers (every agent alike) or draws (``people.draw``: each
    agent's own, drawn once from a stream keyed by the seed and its roster id). With
    ``noise_cv`` > 0, the conversion the engine uses is the curve times a lognormal shock of mean
    1 and coefficient of variation ``noise_cv`` (capped at 1): exp(z - s^2 / 2), s^2 =
    log(1 + cv^2), where z is an AR(1) path of stationary sd s and lag-one correlation
    ``noise_persistence`` (0: a fresh shock each period), drawn per agent and period. What
    other policies add to an agent's conversion (training) is added to its curve."""

    name = "learning"
    reason = None

    def __init__(self, ceiling=0.35, tau_days=90.0, factor_floor=None, noise_cv=0.0, noise_persistence=0.0,
                 every=1, path="workforce.policies[0]"):
        super().__init__(every, path)
        self.ceiling = check_draw(ceiling, f"{path}.ceiling")
        self.tau = check_draw(tau_days, f"{path}.tau_days", low=TAU_MIN_DAYS, high=MAX_DAYS)
        self.floor = None if factor_floor is None else float(_non_negative(factor_floor, f"{path}.factor_floor"))
        if not _finite(noise_cv, MAX_NOISE_CV):
            raise WorkforceError(f"{path}.noise_cv",
                                 f"expected a number from 0 to {MAX_NOISE_CV:g}, found {noise_cv!r}")
        self.noise_cv = float(noise_cv)
        if not _finite(noise_persistence, 1.0) or noise_persistence >= 1.0:
            raise WorkforceError(f"{path}.noise_persistence",
                                 f"expected a number in [0, 1), found {noise_persistence!r}")
        self.rho = float(noise_persistence)
        self._own = None  # [agent, 2]: each agent's ceiling and tau (NaN: not drawn yet)
        self._path = None  # [agent, 3]: the curve, the log shock z, the conversion last written (NaN: new)

    def between(self, ctx) -> np.ndarray:
        ab, on = ctx.abilities, ctx.on_payroll
        ceiling, tau = self._constants(ctx, np.flatnonzero(on))
        gain = 1.0 - np.exp(-ctx.period_days * self.every / np.where(on, tau, 1.0))
        c = ab.conversion
        known = on & ~np.isnan(c)
        curve = self._carried(c, known)
        up = known & (curve < ceiling)
        curve[up] += gain[up] * (ceiling[up] - curve[up])
        if self.noise_cv > 0:
            c[known] = self._shocked(ctx, curve, known)
        else:
            c[up] = curve[up]
        ctx.changed.update(np.flatnonzero(up if self.noise_cv == 0 else known).tolist())
        if self.floor is not None and ab.factor.shape[1]:
            f = ab.factor[on]
            g = np.broadcast_to(gain[on][:, None], f.shape)
            down = f > self.floor
            f[down] += g[down] * (self.floor - f[down])
            ab.factor[on] = f
            ctx.changed.update(np.flatnonzero(on).tolist())
        return np.zeros(0, dtype=np.int64)

    def _constants(self, ctx, agents):
        """([agent] ceilings, [agent] time constants in days): each agent's, drawn on first sight
        from its own stream (seed, the policy's name, its roster id), whoever else is there."""
        A = len(ctx.group)
        if self._own is None:
            self._own = np.full((A, 2), np.nan)
        new = agents[np.isnan(self._own[agents, 0])]
        for a in new.tolist():
            rng = ctx.agent_rng(f"{self.name}.draw", a, period=0)
            self._own[a] = (draw(self.ceiling, rng, f"{self.path}.ceiling"),
                            draw(self.tau, rng, f"{self.path}.tau_days", low=TAU_MIN_DAYS, high=MAX_DAYS))
        return self._own[:, 0], self._own[:, 1]

    def _carried(self, c, known) -> np.ndarray:
        """[agent] the learning curve's value now: the conversion itself without noise; with
        noise, the curve kept from last time plus what other policies changed since (new agents:
        their conversion)."""
        if self.noise_cv == 0:
            return c.copy()
        if self._path is None:
            self._path = np.full((len(c), 3), np.nan)
        curve, written = self._path[:, 0], self._path[:, 2]
        new = known & np.isnan(curve)
        curve[new] = c[new]
        old = known & ~new
        curve[old] += c[old] - written[old]
        return curve

    def _shocked(self, ctx, curve, known) -> np.ndarray:
        """The conversions of the agents ``known``: the curve times exp(z - s^2 / 2), z moved one
        step of its AR(1) path from each agent's stream of this period, capped to [0, 1]."""
        s = math.sqrt(math.log1p(self.noise_cv ** 2))
        z = self._path[:, 1]
        for a in np.flatnonzero(known).tolist():
            e = ctx.agent_rng(f"{self.name}.noise", a).standard_normal()
            z[a] = s * e if np.isnan(z[a]) else self.rho * z[a] + math.sqrt(1 - self.rho ** 2) * s * e
        out = np.clip(curve[known] * np.exp(z[known] - s * s / 2), 0.0, 1.0)
        self._path[known, 2] = out
        return out


class Fatigue(Policy):
    """Fatigue from a busy period, recovered with time off. After each period, an agent on the
    payroll with occupancy u (busy / staffed time in the period) above ``threshold`` gains the
    load L = (u - threshold) / (1 - threshold); its fatigue F (0 to 1) becomes
    min(1, L + F exp(-off / recovery_hours)), ``off`` the hours of the period it was not staffed
    (an agent in training or off shift recovers). Until the next period's end it works with
    conversion x (1 - ``conversion_drop`` F) and handle-time factors x (1 + ``factor_rise`` F)
    (the factor needs per-agent factors: a population's proficiency or members' skills) against
    its rested abilities; what other policies change (learning, training) changes the rested
    ones. List it after the policies that change abilities."""

    name = "fatigue"
    reason = None

    def __init__(self, threshold=0.85, conversion_drop=0.2, factor_rise=0.0, recovery_hours=12.0, every=1,
                 path="workforce.policies[0]"):
        super().__init__(every, path)
        self.threshold = _fraction(threshold, f"{path}.threshold")
        if self.threshold >= 1.0:
            raise WorkforceError(f"{path}.threshold", f"expected a number in [0, 1), found {threshold!r}")
        self.drop = _fraction(conversion_drop, f"{path}.conversion_drop")
        self.rise = float(_non_negative(factor_rise, f"{path}.factor_rise"))
        if self.rise > MAX_FACTOR_RISE:
            raise WorkforceError(f"{path}.factor_rise",
                                 f"expected a number from 0 to {MAX_FACTOR_RISE:g}, found {factor_rise!r}")
        hours = _non_negative(recovery_hours, f"{path}.recovery_hours")
        if hours <= 0:
            raise WorkforceError(f"{path}.recovery_hours", f"expected a number of hours > 0, found {recovery_hours!r}")
        self.recovery = float(hours)
        self.level = None   # [agent] fatigue F
        self._rested = None  # (conversion [agent], factors [agent, K], conversion written, factors written)

    def load(self, ctx) -> tuple[np.ndarray, np.ndarray]:
        """([agent] this step's load L, [agent] hours not staffed) over the periods since it last acted."""
        agents, _ = ctx.window(self.every)
        staffed, busy = agents[:, _A["staffed"]], agents[:, _A["busy"]]
        occupancy = np.where(staffed > 0, busy / np.where(staffed > 0, staffed, 1.0), 0.0)
        load = np.clip((occupancy - self.threshold) / (1.0 - self.threshold), 0.0, 1.0)
        off = np.maximum(self.every * ctx.period_days * 24.0 - staffed / 3600.0, 0.0)
        return load, off

    def between(self, ctx) -> np.ndarray:
        ab, on = ctx.abilities, ctx.on_payroll
        if self.rise > 0 and not ab.factor.shape[1]:
            raise WorkforceError(f"{self.path}.factor_rise", "needs per-agent handle-time factors (a population's "
                                 "proficiency or members' skills)")
        if self.level is None:
            self.level = np.zeros(len(on))
            self._rested = (ab.conversion.copy(), ab.factor.copy(), ab.conversion.copy(), ab.factor.copy())
        load, off = self.load(ctx)
        rested_c, rested_f, wrote_c, wrote_f = self._rested
        with np.errstate(invalid="ignore"):  # NaN conversions (none known) stay NaN
            rested_c[on] += ab.conversion[on] - wrote_c[on]
        rested_f[on] += ab.factor[on] - wrote_f[on]
        self.level[on] = np.minimum(1.0, load[on] + self.level[on] * np.exp(-off[on] / self.recovery))
        ab.conversion[on] = rested_c[on] * (1.0 - self.drop * self.level[on])
        ab.factor[on] = rested_f[on] * (1.0 + self.rise * self.level[on])[:, None]
        wrote_c[on], wrote_f[on] = ab.conversion[on], ab.factor[on]
        ctx.changed.update(np.flatnonzero(on).tolist())
        return np.zeros(0, dtype=np.int64)


class Training(_Ranked):
    """A training programme: the bottom ``fraction`` of the ranking (or the bottom ``k``) leave
    the phones for ``days`` days (paid ``hours_per_day`` hours a day, plus ``cost`` per trainee),
    then come back with conversion raised by ``conversion_gain`` (capped at ``ceiling``) and QA
    error rates times (1 - ``qa_gain``)."""

    name = "training"
    reason = None

    def __init__(self, fraction=None, k=None, days=5.0, conversion_gain=0.03, ceiling=0.6, qa_gain=0.2,
                 cost=500.0, hours_per_day=8.0, **kw):
        super().__init__(**kw)
        if (k is None) == (fraction is None):
            raise WorkforceError(self.path, "give exactly one of k (agents) and fraction (of those ranked)")
        self.k = None if k is None else _non_negative_int(k, f"{self.path}.k")
        self.fraction = None if fraction is None else _fraction(fraction, f"{self.path}.fraction")
        self.days = _days(days, f"{self.path}.days")
        self.gain = _fraction(conversion_gain, f"{self.path}.conversion_gain")
        self.ceiling = _fraction(ceiling, f"{self.path}.ceiling")
        self.qa_gain = _fraction(qa_gain, f"{self.path}.qa_gain")
        self.cost = float(_non_negative(cost, f"{self.path}.cost"))
        self.hours = _hours_a_day(hours_per_day, f"{self.path}.hours_per_day")

    def between(self, ctx) -> np.ndarray:
        score, eligible = self.ranked(ctx)
        k = self.k if self.k is not None else math.floor(self.fraction * int(eligible.sum()) + 1e-9)
        for a in bottom_k(score, eligible, k, ctx.rng(self.name)):
            ctx.send_off(int(a), self.days, self._raise)
            ctx.book("training", self.cost + self.days * self.hours * ctx.hour_cost(int(a)))
            ctx.trained += 1
        return np.zeros(0, dtype=np.int64)

    def _raise(self, ab, a: int) -> None:
        if not np.isnan(ab.conversion[a]):
            ab.conversion[a] = max(ab.conversion[a], min(ab.conversion[a] + self.gain, self.ceiling))
        ab.qa_fatal[a] *= 1.0 - self.qa_gain
        ab.qa_nonfatal[a] *= 1.0 - self.qa_gain


class QAMonitoring(Policy):
    """监听: each period, ``sample`` of each agent's answered calls (all if fewer) are scored.
    A scored call has a fatal (non-fatal) error with the agent's true rate, detected with
    probability ``detect_fatal`` (``detect_nonfatal``). An agent with an error found is coached:
    its rates times (1 - ``coaching``). Scoring costs ``minutes_per_call`` analyst minutes at
    ``analyst_hour`` an hour."""

    name = "qa"
    reason = None

    def __init__(self, sample=10, detect_fatal=0.9, detect_nonfatal=0.6, coaching=0.2, minutes_per_call=12.0,
                 analyst_hour=50.0, every=1, path="workforce.policies[0]"):
        super().__init__(every, path)
        self.sample = _positive_int(sample, f"{path}.sample")
        self.detect_fatal = _fraction(detect_fatal, f"{path}.detect_fatal")
        self.detect_nonfatal = _fraction(detect_nonfatal, f"{path}.detect_nonfatal")
        self.coaching = _fraction(coaching, f"{path}.coaching")
        self.minutes = float(_non_negative(minutes_per_call, f"{path}.minutes_per_call"))
        self.analyst_hour = float(_non_negative(analyst_hour, f"{path}.analyst_hour"))

    def between(self, ctx) -> np.ndarray:
        answered = ctx.agent_counts[-1][:, ctx.answered_field]
        ab = ctx.abilities
        ctx.state.qa_ran = True
        for a in np.flatnonzero(answered > 0):
            n = int(min(self.sample, answered[a]))
            rng = ctx.agent_rng(self.name, int(a))
            fatal = rng.binomial(n, np.nan_to_num(ab.qa_fatal[a]) * self.detect_fatal)
            nonfatal = rng.binomial(n, np.nan_to_num(ab.qa_nonfatal[a]) * self.detect_nonfatal)
            ctx.qa[a] += (n, fatal, nonfatal)
            if fatal + nonfatal:
                ab.qa_fatal[a] *= 1.0 - self.coaching
                ab.qa_nonfatal[a] *= 1.0 - self.coaching
            ctx.book("qa", n * self.minutes / 60.0 * self.analyst_hour)
        return np.zeros(0, dtype=np.int64)


class Hiring(Policy):
    """Keeps each group's headcount (on the phones, in training, or being recruited) at its
    ``target`` (default: the group's headcount at the start), hiring into its free slots: a hire
    decided after a period joins after ``delay_days`` of recruitment and ``training_days`` of
    new-hire training (paid, off the phones), and costs ``cost``. New hires draw their conversion
    from ``conversion`` (lower than the roster's), start with handle-time factors ``factor`` times
    the group's mean at the start, and QA
    rates ``qa_fatal`` / ``qa_nonfatal``, tenure 0."""

    name = "hiring"
    reason = None

    def __init__(self, target=None, delay_days=14.0, training_days=10.0, cost=3000.0, hours_per_day=8.0,
                 conversion=None, factor=1.15, qa_fatal=0.04, qa_nonfatal=0.12, every=1,
                 path="workforce.policies[0]"):
        super().__init__(every, path)
        if target is not None and not isinstance(target, dict):
            raise WorkforceError(f"{path}.target", f"expected a mapping group -> headcount, found {target!r}")
        for g, n in (target or {}).items():
            _non_negative_int(n, f"{path}.target.{g}")
        self.target = target
        self.delay = _days(delay_days, f"{path}.delay_days")
        self.training = _days(training_days, f"{path}.training_days")
        self.cost = float(_non_negative(cost, f"{path}.cost"))
        self.hours = _hours_a_day(hours_per_day, f"{path}.hours_per_day")
        self.conversion = check_draw(conversion, f"{path}.conversion")
        if not _finite(factor, L.PROFICIENCY_MAX) or factor <= 0:
            raise WorkforceError(f"{path}.factor", f"expected a number > 0 and at most {L.PROFICIENCY_MAX:g}, "
                                 f"found {factor!r}")
        self.factor = float(factor)
        self.qa_fatal = check_draw(qa_fatal, f"{path}.qa_fatal")
        self.qa_nonfatal = check_draw(qa_nonfatal, f"{path}.qa_nonfatal")

    def targets(self, ctx) -> np.ndarray:
        """[group]: the headcount to keep."""
        if self.target is None:
            return ctx.start_headcount
        out = np.array(ctx.start_headcount, copy=True)
        for g, n in self.target.items():
            if g not in ctx.group_names:
                raise WorkforceError(f"{self.path}.target.{g}", f"unknown agent group {g!r}")
            out[ctx.group_names.index(g)] = n
        return out

    def between(self, ctx) -> np.ndarray:
        need = self.targets(ctx) - ctx.staffed_by_group()
        for g in np.flatnonzero(need > 0):
            free = ctx.free_slots(g)
            for a in free[:int(need[g])]:
                self._hire(ctx, int(a))
        return np.zeros(0, dtype=np.int64)

    def _hire(self, ctx, a: int) -> None:
        rng = ctx.agent_rng(self.name, a)
        ab = ctx.abilities
        if self.conversion is not None:
            ab.conversion[a] = draw(self.conversion, rng, f"{self.path}.conversion")
        if ab.factor.shape[1]:
            ab.factor[a] = self.factor * ctx.state.base_factor[ctx.group[a]]
        if self.qa_fatal is not None:
            ab.qa_fatal[a] = draw(self.qa_fatal, rng, f"{self.path}.qa_fatal")
        if self.qa_nonfatal is not None:
            ab.qa_nonfatal[a] = draw(self.qa_nonfatal, rng, f"{self.path}.qa_nonfatal")
        ab.tenure_days[a] = 0.0
        ctx.hire(a, self.delay, self.training)
        ctx.book("hiring", self.cost)
        ctx.book("training", self.training * self.hours * ctx.hour_cost(a))


# The growth policies in the ``workforce: policies:`` kinds (policies_from_spec).
KINDS.update({"learning": Learning, "fatigue": Fatigue, "training": Training, "qa": QAMonitoring, "hiring": Hiring})
