"""The durations of a start state for one run, drawn before it from the ("state", "start") stream.

Both engines receive these very numbers (``StartDraws``), so they agree bit for bit; the stream is
keyed like every other (``compile._keyed``) and drawn from by nothing else, so a state shifts no
other stream: the callers arriving after the clock time are the same whatever the state and
whatever the scenario variant compared (common random numbers).

Order: per waiting caller (longest waiting first) its propensity (with a funnel), handle time,
patience left (conditioned on its wait) and after-call work, then (a type that consults or
transfers) its consult's uniform and duration and its transfer's uniform, as the engines draw them
for a call reaching its type (``_talk_draws``); then per busy agent its talk left (conditioned on
its talk so far, in the agent's own time scale: factor x handle) and after-call work.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..compile import _keyed, _root
from ..engines.sampling import draw, period_row
from .residual import remaining


@dataclass(frozen=True)
class StartDraws:
    """A ``StartState``'s arrays, plus the durations drawn for one run."""

    waiting_type: np.ndarray
    waiting_arrival: np.ndarray
    waiting_priority: np.ndarray
    waiting_channel: np.ndarray
    waiting_propensity: np.ndarray  # float64 [W] (1.0 without a funnel)
    waiting_handle: np.ndarray  # float64 [W]: talk before the agent's factor
    waiting_patience: np.ndarray  # float64 [W]: patience left at the clock time
    waiting_acw: np.ndarray  # float64 [W]
    waiting_consult: np.ndarray  # float64 [W]: its consult's duration if answered, -1 for none
    waiting_transfer: np.ndarray  # int32 [W]: the call type its talk transfers it to, -1 for none
    busy_agent: np.ndarray
    busy_type: np.ndarray
    busy_talk: np.ndarray  # float64 [B]: talk left
    busy_acw: np.ndarray  # float64 [B]: after-call work, the agent's factor applied
    away_agent: np.ndarray
    away_until: np.ndarray


def state_stream(seed) -> np.random.Generator:
    """The generator of the ("state", "start") stream of ``seed`` (an int or a SeedSequence)."""
    return np.random.Generator(np.random.PCG64(_keyed(_root(seed), "state", "start")))


def start_draws(model, seed) -> StartDraws:
    """Draw the durations of ``model.state`` for the run of ``seed``."""
    s = model.state
    rng = state_stream(seed)
    dists = [(int(c), float(p[0]), float(p[1]), float(p[2]), float(w))
             for c, p, w in zip(model.dist_code, model.dist_param, model.dist_cum)]
    empirical = model.empirical.tolist()
    starts, rows = model.period_start.tolist(), model.period_dist.tolist()

    def row(periods, k):
        first, count = (int(v) for v in periods[k])
        return period_row(starts, rows, first, count, s.clock)

    n = len(s.waiting_type)
    propensity, handle, patience, acw = (np.ones(n), np.zeros(n), np.zeros(n), np.zeros(n))
    consult, transfer = np.full(n, -1.0), np.full(n, -1, dtype=np.int32)
    consult_p, consult_dist = model.consult_table()
    start, cum, to = model.transfer_table()
    extra = model.talk_extra().tolist()
    for i, k in enumerate(s.waiting_type.tolist()):
        if model.has_funnel:
            propensity[i] = rng.random()
        handle[i] = draw(dists, row(model.handle_periods, k), empirical, rng)
        patience[i] = remaining(dists, row(model.patience_periods, k), empirical, s.clock - s.waiting_arrival[i], rng)
        acw[i] = draw(dists, row(model.acw_periods, k), empirical, rng)
        if extra[k]:
            if consult_p[k] > 0.0 and rng.random() < consult_p[k]:
                consult[i] = draw(dists, int(consult_dist[k]), empirical, rng)
            if start[k + 1] > start[k]:
                u = rng.random()
                transfer[i] = next((int(to[j]) for j in range(start[k], start[k + 1]) if u < cum[j]), -1)
    m = len(s.busy_agent)
    talk, busy_acw = np.zeros(m), np.zeros(m)
    for j, (agent, k) in enumerate(zip(s.busy_agent.tolist(), s.busy_type.tolist())):
        factor = _factor(model, agent, k)
        talk[j] = factor * remaining(dists, row(model.handle_periods, k), empirical, s.busy_elapsed[j] / factor, rng)
        busy_acw[j] = draw(dists, row(model.acw_periods, k), empirical, rng)
        if model.has_agent_factors:
            busy_acw[j] *= float(model.agent_acw_factor[agent])
    return StartDraws(waiting_type=s.waiting_type, waiting_arrival=s.waiting_arrival,
                      waiting_priority=s.waiting_priority, waiting_channel=s.waiting_channel,
                      waiting_propensity=propensity, waiting_handle=handle, waiting_patience=patience,
                      waiting_acw=acw, waiting_consult=consult, waiting_transfer=transfer, busy_agent=s.busy_agent, busy_type=s.busy_type, busy_talk=talk,
                      busy_acw=busy_acw, away_agent=s.away_agent, away_until=s.away_until)


def _factor(model, agent: int, k: int) -> float:
    """The handle-time factor of ``agent`` for type k (as the engines' ``_factor``)."""
    if model.has_agent_factors:
        return float(model.agent_factor[agent, k])
    return float(model.group_proficiency[model.agent_group[agent]])
