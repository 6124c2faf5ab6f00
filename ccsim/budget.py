"""The run budget: estimate a run's work and memory before an engine starts.

A scenario can be valid and still ask for more than a machine can do (a rate of
10^12 calls/s, a reporting interval of a millisecond over a day, callers who
never hang up on a center that cannot keep up). ``check_budget`` estimates from
the ``CompiledModel`` what the run needs and refuses it with a ``BudgetError``
naming the estimate, the limit, the call type that drives it and how to proceed.
What the estimate cannot foresee (a backlog built at a peak, patience timers of
answered callers) is caught during the run by the limit ``max_pending`` on
callers waiting plus patience timers running, which follows from the same
memory budget (``overflow_error``).

Media airings: their expected calls (A r P(delay < horizon - s) each) count in
the expected arrivals of the call type they ring, so absurd spend is refused
before the run (a run's check, ``with_budget``, computes P only when bounding it
by 0 and 1 cannot settle the verdict: ``clearly_within_budget``). In the run, an
airing schedules all of its calls at once: they wait in the event heap until they
ring, and count against ``max_pending`` with the callers waiting and the timers
running (``airing_overflow_error`` when scheduling an airing's calls would pass it; its calls
past the horizon, never scheduled, do not count). The heap then holds at most: one event per airing
not yet aired (at most ``MAX_AIRINGS``), one per organic call type (its next
arrival), one per busy agent (talk or ACW end), and ``max_pending`` callers
waiting, timers and ad calls scheduled together.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from .errors import UserError
from .scenario.limits import DAY

if TYPE_CHECKING:  # compile imports this module
    from .compile import CompiledModel

# 500 million calls: minutes of core time (a few million calls/s), where a busy
# center's day is about 10^5-10^6 calls; more is almost always a unit slip
# (rate per second meant per hour) rather than a wish.
DEFAULT_MAX_CALLS = 500_000_000
# 4 GiB: fits a laptop beside the OS and a browser, and two workers in a 24 GB box
# with room to spare; a run within budget needs far less (erlang_a.yaml: ~1 MB).
DEFAULT_MAX_MEMORY = 4 * 2**30
# Events are ordered by (time, kind << 56 | sequence): beyond 2^56 events the
# sequence would spill into the kind bits. Every call costs at most 4 events (its arrival,
# talk end, ACW end, abandonment), every media airing one more.
HARD_MAX_CALLS = 10**15
# Call slots are indexed by int32 and grow by doubling: at most 2^30 of them.
HARD_MAX_PENDING = 2**30 - 1
INT32_MAX = 2**31 - 1
MIN_PENDING = 1024  # callers waiting + timers any run may hold (the core's first call slots)

# Bytes, per engine. The core: a waiting caller holds a call slot (72 B + 4 B of
# free list) and a patience timer a heap event (32 B); arrays grow by doubling,
# so count twice that. The SimPy engine: a caller's process, its generator frames
# and events (tracemalloc peak over an overload: 1.4 kB a caller waiting without
# timer, 2.2 kB one with its timer, i.e. two items).
BYTES_PER_PENDING = {"core": 2 * (184 + 4), "simpy": 2048}  # 184: sizeof(Call) (_core.struct_sizes())
BYTES_PER_AGENT = {"core": 88 + 2 * 32, "simpy": 400}  # the Agent struct (with its schedule) + 2 events
# doubling buffer, then the array handed back (3 x 48 B); read as a table or written to Parquet,
# about as much again (measured: 139 MiB of records in the run, 328 MiB with Result.calls())
BYTES_PER_RECORD = 6 * 48
# What ccsim run's --html and --out build beyond the run, measured (one year at 900 s, 10-30 call
# types; 1e5-2.5e5 agents): per (interval, call type or all) row of the interval tables and
# charts, and per agent (its row in the agents' tables)
BYTES_PER_REPORT_ROW = 1600
BYTES_PER_REPORT_AGENT = 4000
# A workforce run keeps per period and agent its statistics (AGENT_FIELDS), funnel counts
# (FUNNEL_FIELDS) and abilities: about 36 numbers (measured: 0.57 MB a period for 2,000 agents)
BYTES_PER_PERIOD_AGENT = 36 * 8
BYTES_PER_CALL_TYPE = 4 * 1200 + 256  # four PCG64 streams, distributions, queue
INTERVAL_REPORT_FIELDS = 48  # columns and temporaries of Result.intervals / batch means
# len() of results.CALL_FIELDS, INTERVAL_GROUP_FIELDS, CHANNEL_FIELDS and ENTRY_FIELDS (numbers, not
# an import: the CLI's budget check stays light; tests/test_budget.py keeps them in step)
CALL_FIELDS, INTERVAL_GROUP_FIELDS, CHANNEL_FIELDS, ENTRY_FIELDS = 31, 2, 15, 11
BYTES_PER_AIRING = 2 * 32 + 8 * (CHANNEL_FIELDS + 4)  # its event in the heap, statistics, compiled arrays
# len() of results.FUNNEL_FIELDS and FUNNEL_DAY_FIELDS (the funnel's statistics per call type,
# channel, airing and agent, and per day and channel)
FUNNEL_FIELDS, FUNNEL_DAY_FIELDS = 22, 11
# A number of an [agent, call type] table (handle-time factors, skill priorities, idle keys):
# 8 B in the core (4 for an int32); the SimPy engine reads them as lists of Python numbers.
BYTES_PER_CELL = {"core": 8, "simpy": 40}
BEST_PROFICIENCY, SKILL_PRIORITY = 3, 2  # compile.AGENT_SELECTION / QUEUE_SELECTION codes
KEYED_POLICIES = (2, 3, 4)  # fewest_calls, best_proficiency, best_conversion: idle agents in keyed heaps


class BudgetError(UserError):
    """A run needs more calls or memory than its budget allows."""


@dataclass(frozen=True)
class Estimate:
    """What a run is expected to need (counts are expectations, memory in bytes)."""

    calls: float  # expected arrivals over the horizon, warm-up included
    calls_by_type: tuple
    slot_steps: tuple  # rate-profile slots the arrival inversion steps through, per call type
    agents: int
    intervals: int
    offered_load: tuple  # Erlangs per call type (mean rate x mean handle + after-call work)
    capacity: tuple  # agents able to take each call type
    pending_by_type: tuple  # callers waiting + patience timers running at the horizon (fluid model)
    ad_calls: float = 0.0  # expected calls of the media airings
    memory_parts: dict = field(default_factory=dict)  # what -> bytes
    max_pending: int = HARD_MAX_PENDING  # the in-run limit that follows from the memory budget
    kept: int = 1  # results held at once (estimate's kept)

    @property
    def memory(self) -> float:
        return float(sum(self.memory_parts.values()))

    @property
    def pending(self) -> float:
        return float(sum(self.pending_by_type))


# ---------------------------------------------------------------- the estimate
def expected_attempts(model: CompiledModel, ads=None) -> np.ndarray:
    """Expected attempts of each source (call types, then entries) over [0, horizon]: its
    first attempts, times the attempts a caller makes at most on average (retrials). ``ads``:
    as in ``expected_arrivals``."""
    first = expected_arrivals(model, ads)
    p = np.maximum(model.retry_blocked, model.retry_abandoned) if len(model.retry_blocked) else np.zeros(0)
    attempts = model.max_attempts.astype(float) if len(model.max_attempts) else np.ones(model.n_sources)
    with np.errstate(divide="ignore"):
        factor = np.where(p < 1.0, np.minimum(attempts, 1.0 / np.maximum(1.0 - p, 1e-300)), attempts)
    return first * (factor if len(factor) else 1.0)


def callback_attempts(model: CompiledModel, attempts: np.ndarray) -> float:
    """An upper bound on the calls agents make to callback items over the run: every call
    reaching a type that offers callbacks may accept one, every attempt may leave a voicemail
    for the voicemail type, and an item takes min(max_attempts, 1 / answer) calls on average."""
    if not len(model.cb_max_attempts):
        return 0.0
    reaching = type_arrivals(model, attempts)
    items = np.where(np.isfinite(model.cb_offer_after), reaching * model.cb_accept, 0.0)
    if model.voicemail_type >= 0:
        items[model.voicemail_type] += attempts.sum()
    with np.errstate(divide="ignore"):
        per_item = np.minimum(model.cb_max_attempts.astype(float), 1.0 / model.cb_answer)
    return float(np.sum(items * per_item))


def routed_share(model: CompiledModel) -> np.ndarray:
    """[entry, call type]: the share of an entry's attempts its menu routes to each call type
    (callers never hanging up in the menu, so an upper bound)."""
    out = np.zeros((model.n_entries, model.n_types))
    for e in range(model.n_entries):
        tree = int(model.entry_tree[e])
        nodes = np.flatnonzero(model.node_tree == tree)
        pos = {int(j): i for i, j in enumerate(nodes)}
        q = np.zeros((len(nodes), len(nodes)))
        r = np.zeros((len(nodes), model.n_types))
        for j in nodes:
            lo, hi = int(model.node_branch_start[j]), int(model.node_branch_start[j + 1])
            cum = np.diff(np.concatenate([[0.0], model.branch_cum[lo:hi]]))
            for b, p in zip(range(lo, hi), cum):
                if model.branch_kind[b] == 0:
                    q[pos[int(j)], pos[int(model.branch_target[b])]] += p
                elif model.branch_kind[b] == 1:
                    r[pos[int(j)], int(model.branch_target[b])] += p
        start = np.zeros(len(nodes))
        start[pos[int(model.tree_start[tree])]] = 1.0
        visits = np.linalg.solve((np.eye(len(nodes)) - q).T, start)  # the schema refused loops with no way out
        out[e] = np.clip(visits @ r, 0.0, 1.0)
    return out


def _type_rates(model: CompiledModel, attempts: np.ndarray) -> np.ndarray:
    """Mean calls/s reaching each call type over the horizon."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return type_arrivals(model, attempts) / model.horizon


def type_arrivals(model: CompiledModel, attempts: np.ndarray) -> np.ndarray:
    """Expected attempts reaching each call type: its own, and those its entries' menus route to it."""
    k = model.n_types
    return attempts[:k] + (attempts[k:] @ routed_share(model) if model.n_entries else 0.0)


def airing_expected_calls(model: CompiledModel) -> np.ndarray:
    """Expected calls of each airing before the horizon: A r P(delay < horizon - s).

    The delay is fixed + scale x Gamma(shape) (shape 0: Exponential(1)), so
    P(delay < x) = P(G < (x - fixed) / scale), the regularized incomplete gamma.
    """
    if model.n_airings == 0:
        return np.zeros(0)
    from scipy.special import gammainc  # only scenarios with media pay for the import

    c = model.airing_channel
    delay, shape, scale = model.channel_delay[c], model.channel_shape[c], model.channel_scale[c]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        x = np.maximum(model.horizon - model.airing_time - delay, 0.0) / scale
        p = np.where(shape > 0, gammainc(np.where(shape > 0, shape, 1.0), x), -np.expm1(-x))
    return model.airing_mean * p


def peak_scheduled_ad_calls(model: CompiledModel, ads, k: float = 100.0) -> float:
    """An upper bound of the ad calls scheduled and not yet rung at any one instant (an airing
    schedules all of its calls when it airs; they leave the event heap as they ring), from each
    airing's expected calls ``ads``: at an airing's time, the calls of its channel's airings of
    the last ``k`` mean delays, all, plus 1/``k`` of every other (Markov: P(delay > k m) <= 1/k),
    summed over the channels. Counting every airing's calls at once refused a year of 20,000
    airings whose calls never exceed a few thousand at a time."""
    ads = np.asarray(ads, dtype=float)
    if not len(ads) or not ads.sum() > 0:
        return float(ads.sum()) if len(ads) else 0.0
    channel, times = np.asarray(model.airing_channel), np.asarray(model.airing_time, dtype=float)
    total = 0.0
    for c in sorted(set(channel.tolist())):  # (not np.unique: it loads numpy.ma, which a run does without)
        mine = channel == c
        order = np.argsort(times[mine], kind="stable")
        t, n = times[mine][order], ads[mine][order]
        shape, scale = float(model.channel_shape[c]), float(model.channel_scale[c])
        mean = float(model.channel_delay[c]) + scale * (shape if shape > 0 else 1.0)
        cumulative = np.concatenate([[0.0], np.cumsum(n)])
        first = np.searchsorted(t, t - k * mean, side="left")
        last = np.searchsorted(t, t, side="right")
        total += float((cumulative[last] - cumulative[first]).max()) + float(n.sum()) / k
    return min(total, float(ads.sum()))


def replay_calls(model: CompiledModel) -> np.ndarray:
    """Calls each source's replay rings before the horizon (0 for a rate profile): each recorded
    time t rings once if played once, else at t, t + P, ... below the horizon (P the period)."""
    out = np.zeros(len(model.rate_start))
    with np.errstate(over="ignore", divide="ignore"):
        for k in np.flatnonzero(model.replay_count):
            start, count = int(model.replay_start[k]), int(model.replay_count[k])
            times, period = model.replay_times[start:start + count], float(model.replay_period[k])
            if period > 0:
                out[k] = np.ceil(np.maximum(model.horizon - times, 0.0) / period).sum()
            else:
                out[k] = float(np.searchsorted(times, model.horizon, side="left"))
    return out


def expected_arrivals(model: CompiledModel, ads=None) -> np.ndarray:
    """Expected first attempts of each source (call types, then entries) over [0, horizon]:
    its rate profile integrated, plus the expected calls of the media airings that ring it
    (``ads``, calls per airing; None: ``airing_expected_calls``), plus the calls of its replay
    (exact: no randomness)."""
    out = replay_calls(model)
    if model.n_airings:
        ads = airing_expected_calls(model) if ads is None else ads
        np.add.at(out, model.channel_source[model.airing_channel], ads)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(len(model.rate_start)):
            start, count = int(model.rate_start[k]), int(model.rate_count[k])
            rates = model.rates[start:start + count]
            slot, horizon = float(model.rate_slot[k]), model.horizon
            offsets = np.arange(count) * slot
            if model.rate_repeat[k]:
                cycles = math.floor(horizon / (count * slot)) if horizon / (count * slot) < 2**60 else math.inf
                if math.isinf(cycles):
                    out[k] = math.inf
                    continue
                rest = horizon - cycles * count * slot
                out[k] += cycles * slot * rates.sum() + (rates * np.clip(rest - offsets, 0.0, slot)).sum()
            else:
                out[k] += (rates * np.clip(horizon - offsets, 0.0, slot)).sum()
    return out


def slot_steps(model: CompiledModel) -> np.ndarray:
    """Slots of each rate profile the arrival inversion walks through before the horizon."""
    steps = model.horizon / model.rate_slot
    return np.where(model.rate_repeat.astype(bool), steps, np.minimum(steps, model.rate_count))


def busyness_rates(model: CompiledModel) -> float:
    """Rates a replication's busyness factors add (``compile.with_busyness``: one per slot
    of the horizon, and one more, for each busy call type). The factors have mean 1, so expected
    arrivals are those of the profile without them."""
    busy = model.busyness_cv > 0
    if not busy.any():
        return 0.0
    with np.errstate(over="ignore"):
        return float((np.ceil(model.horizon / model.rate_slot[busy]) + 1).sum())


def distribution_mean(model: CompiledModel, index: int) -> float:
    """Mean (seconds) of compiled distribution ``index``; inf for infinite patience."""
    code, (p0, p1, p2) = int(model.dist_code[index]), model.dist_param[index]
    try:
        if code == -1:
            return math.inf
        if code in (0, 1):  # exponential (mean), deterministic (value)
            return float(p0)
        if code == 2:  # uniform (low, width)
            return float(p0 + p1 / 2)
        if code == 3:  # lognormal (mu, sigma)
            return math.exp(p0 + p1 * p1 / 2)
        if code == 4:  # gamma (shape, scale)
            return float(p0 * p1)
        if code == 5:  # weibull (shape, scale)
            return float(p1 * math.gamma(1.0 + 1.0 / p0))
        if code == 7:  # triangular (low, mode, high)
            return float((p0 + p1 + p2) / 3.0)
        if code == 8:  # mixture: its components are the rows after it, with cumulative weights
            cum = np.concatenate([[0.0], model.dist_cum[index + 1:index + 1 + int(p0)]])
            cum[-1] = 1.0  # the last component takes what rounding leaves
            return math.fsum(float(w) * distribution_mean(model, index + 1 + j) for j, w in enumerate(np.diff(cum)))
        start, count = int(p0), int(p1)  # empirical
        return float(np.mean(model.empirical[start:start + count]))
    except OverflowError:
        return math.inf


def duration_mean(model: CompiledModel, periods: np.ndarray, k: int) -> float:
    """Mean (seconds) of call type k's duration given by ``periods`` (e.g. ``model.handle_periods``):
    with periods of the day, each period's mean weighted by its length in the day (not by
    its traffic); inf if any period has infinite patience."""
    first, count = int(periods[k, 0]), int(periods[k, 1])
    starts = model.period_start[first:first + count]
    lengths = np.diff(np.concatenate([starts, [DAY]]))
    means = [distribution_mean(model, int(model.period_dist[first + i])) for i in range(count)]
    if count == 1:
        return means[0]
    if any(math.isinf(m) for m in means):
        return math.inf
    return math.fsum(float(w) * m for w, m in zip(lengths, means)) / DAY


def _load_and_capacity(model: CompiledModel, rate: np.ndarray):
    """Per call type: offered load (Erlangs) and the agents of the groups that take it,
    with the rate (calls/s) those agents could answer if they took nothing else."""
    load, agents, service_rate = [], [], []
    for k in range(model.n_types):
        groups = model.type_groups[model.type_groups_start[k]:model.type_groups_start[k + 1]]
        handle = duration_mean(model, model.handle_periods, k)
        acw = duration_mean(model, model.acw_periods, k)
        counts = model.group_count[groups].astype(float)
        per_call = handle * model.group_proficiency[groups] + acw  # seconds an agent spends per call
        mean_per_call = float(np.dot(counts, per_call) / counts.sum())
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # zero handle: no limit
            load.append(float(rate[k] * mean_per_call))
            service_rate.append(float(np.sum(counts / per_call)))
        agents.append(int(counts.sum()))
    return load, agents, service_rate


def agent_table_bytes(model: CompiledModel, engine: str = "core") -> float:
    """Bytes of the per-agent tables beyond the agents themselves: handle-time factors [agent,
    call type] (agents with their own factors), skill
    priorities [agent, call type] (``skill_priority``), the keys of the idle heaps (``fewest_calls``,
    ``best_proficiency``, ``best_conversion``), and the funnel's statistics per agent."""
    cell = BYTES_PER_CELL.get(engine, BYTES_PER_CELL["simpy"])
    agents, types, policy = float(model.n_agents), float(model.n_types), int(model.agent_selection)
    out = 0.0
    if model.has_agent_factors:  # the agents' own handle-time factors (identical agents: none)
        out += agents * types * cell
    if int(model.queue_selection) == SKILL_PRIORITY:
        out += agents * types * cell / 2  # int32
    if policy in KEYED_POLICIES:
        served = np.diff(np.asarray(model.group_types_start))
        stride = float(max(int(served.max()) if len(served) else 1, 1)) if policy == BEST_PROFICIENCY else 1.0
        out += agents * (stride * 2 + 1) * cell  # per served type a key, a heap position and a heap slot; idle since
    if model.has_funnel:
        out += agents * FUNNEL_FIELDS * cell
    return out


def funnel_bytes(model: CompiledModel) -> float:
    """Bytes of the funnel's statistics: per call type, channel and airing, and per day up to the
    cut and channel (agents: ``agent_table_bytes``); 0 without a funnel."""
    if not model.has_funnel:
        return 0.0
    from .funnel_tables import funnel_days

    rows = model.n_types + model.n_channels + 1 + model.n_airings
    return 8.0 * (rows * FUNNEL_FIELDS + funnel_days(model) * (model.n_channels + 1) * FUNNEL_DAY_FIELDS)


def _pending(model: CompiledModel, rate: float, load: float, service_rate: float, patience: float) -> float:
    """Callers waiting plus patience timers running, for the memory they hold.

    An overloaded call type builds a backlog (fluid model): with mean patience p
    its queue q obeys q' = (rate - service rate) - q/p, so q(T) = excess * p *
    (1 - exp(-T/p)), the excess * T of infinitely patient callers in the limit,
    and every caller waits, so the timers running are those set in the last p
    seconds. Below capacity the reserve is an upper bound: the timers of all
    callers of the last p seconds or, callers never hanging up, a queue as long
    as the offered load; never less than MIN_PENDING.
    """
    horizon, excess = model.horizon, rate - service_rate
    if patience <= 0.0:
        return 0.0
    fill = 1.0 if math.isinf(patience) else -math.expm1(-horizon / patience)
    if excess > 0.0:
        if math.isinf(patience):
            return excess * horizon
        return excess * patience * fill + rate * patience * fill
    if math.isinf(patience):
        return max(float(MIN_PENDING), load)
    return max(float(MIN_PENDING), rate * patience * fill)


def estimate(model: CompiledModel, *, engine: str = "core", call_records: bool = False,
             max_memory: float | None = None, ads=None, kept: int = 1, report: bool = False,
             periods: int = 0) -> Estimate:
    """What one run of ``model`` needs, without running it. ``ads``: the expected calls of each
    airing before the horizon, if given (None: ``airing_expected_calls``). ``kept``: results
    held at once (``replicate`` returns every replication's: their statistics count that many
    times); ``report``: a report or table files are made from them (``ccsim run --html/--out``);
    ``periods``: a workforce run's periods, whose per-agent tables it keeps."""
    ads = airing_expected_calls(model) if ads is None else np.asarray(ads, dtype=float)
    calls = expected_attempts(model, ads)
    rate = _type_rates(model, calls)
    load, agents, service_rate = _load_and_capacity(model, rate)
    pending = [_pending(model, float(rate[k]), load[k], service_rate[k],
                        duration_mean(model, model.patience_periods, k)) for k in range(model.n_types)]
    per_pending = BYTES_PER_PENDING.get(engine, BYTES_PER_PENDING["simpy"])
    intervals = int(model.n_intervals)
    ad_calls = float(ads.sum())
    kept = max(1, int(kept))
    parts = {
        "interval tables": float(intervals) * 8 * (kept * (model.n_types * CALL_FIELDS
                                                           + model.n_groups * INTERVAL_GROUP_FIELDS
                                                           + (model.n_channels + 1) * CHANNEL_FIELDS
                                                           + model.n_entries * ENTRY_FIELDS)
                                                   + INTERVAL_REPORT_FIELDS),
        "report and tables": (float(intervals) * (model.n_types + 1) * BYTES_PER_REPORT_ROW
                              + float(model.n_agents) * BYTES_PER_REPORT_AGENT) if report else 0.0,
        "workforce periods": float(kept) * periods * model.n_agents * BYTES_PER_PERIOD_AGENT,
        "media airings": float(model.n_airings) * BYTES_PER_AIRING,
        # An airing schedules all its calls at once: they wait in the heap until they ring and
        # count against max_pending in the run, like waiting callers (at most this many at once).
        "scheduled ad calls": peak_scheduled_ad_calls(model, ads) * per_pending,
        "agents": float(model.n_agents) * BYTES_PER_AGENT.get(engine, BYTES_PER_AGENT["simpy"]),
        "agent tables": agent_table_bytes(model, engine),
        "funnel tables": funnel_bytes(model),
        "call types": float(model.n_types) * (BYTES_PER_CALL_TYPE + model.n_groups)
                      + 8.0 * (model.rates.size + busyness_rates(model) + model.empirical.size
                               + model.replay_times.size),
        "waiting callers": float(sum(pending)) * per_pending,
        "call records": float(calls.sum()) * BYTES_PER_RECORD if call_records else 0.0,
    }
    budget = DEFAULT_MAX_MEMORY if max_memory is None else max_memory
    fixed = sum(v for k, v in parts.items() if k not in ("waiting callers", "call records", "scheduled ad calls",
                                                         "report and tables"))
    room = (budget - fixed) // per_pending if budget > fixed else 0
    return Estimate(
        calls=float(calls.sum() + callback_attempts(model, calls)), calls_by_type=tuple(float(c) for c in calls),
        slot_steps=tuple(float(s) for s in slot_steps(model)), agents=model.n_agents, intervals=intervals,
        offered_load=tuple(load), capacity=tuple(agents), pending_by_type=tuple(pending),
        memory_parts=parts, max_pending=int(max(1, min(room, HARD_MAX_PENDING))), ad_calls=ad_calls, kept=kept,
    )


# ---------------------------------------------------------------- the check
def check_budget(model: CompiledModel, max_calls: float | None = None, max_memory: float | None = None, *,
                 engine: str = "core", call_records: bool = False, kept: int = 1, report: bool = False,
                 periods: int = 0) -> Estimate:
    """The run's ``Estimate``; ``BudgetError`` if it exceeds ``max_calls`` or ``max_memory`` (bytes).

    ``None`` means the default (``DEFAULT_MAX_CALLS``, ``DEFAULT_MAX_MEMORY``); ``kept`` and
    ``report`` as ``estimate``'s.
    """
    max_calls, max_memory = _limits(max_calls, max_memory)
    est = estimate(model, engine=engine, call_records=call_records, max_memory=max_memory, kept=kept, report=report,
                   periods=periods)
    refusal = _refusal(model, est, max_calls, max_memory)
    if refusal is not None:
        raise refusal
    return est


# The points of a study report that get per-interval charts (ccsim.report.html), here so that the
# budget check needs no plotly
REPORT_INTERVAL_POINTS = 6


def study_report_estimate(models: list, engine: str = "core") -> dict:
    """What the HTML report of a study (``ccsim compare/sweep --html``, ``ccsim report``) needs, in
    bytes by part, from the compiled models of its points in point order. The report reads one
    replication at a time (the per-interval bands are streamed: ``ccsim.report.stats.Bands``), so
    it does not grow with the replications: per point with per-interval charts (the first
    ``REPORT_INTERVAL_POINTS``), its intervals x (call types + 1) rows of bands and charts, as
    ``ccsim run --html``'s (``BYTES_PER_REPORT_ROW``); per point, its agents' rows; and the
    largest replication's interval tables, decoded one at a time."""
    shown = models[:REPORT_INTERVAL_POINTS]
    return {
        "report charts and tables": float(sum(float(m.n_intervals) * (m.n_types + 1) * BYTES_PER_REPORT_ROW
                                              for m in shown)),
        "report agent tables": float(sum(float(m.n_agents) * BYTES_PER_REPORT_AGENT for m in models)),
        "one replication's interval tables": max(
            (estimate(m, engine=engine, ads=np.zeros(m.n_airings)).memory_parts["interval tables"] for m in models),
            default=0.0),
    }


def check_study_report_budget(models: list, max_memory=None, engine: str = "core") -> dict:
    """``study_report_estimate``; a ``BudgetError`` naming the biggest part when the report would
    need more than ``max_memory`` (bytes; None: ``DEFAULT_MAX_MEMORY``)."""
    _max_calls, max_memory = _limits(None, max_memory)
    parts = study_report_estimate(models, engine)
    total = float(sum(parts.values()))
    if total <= max_memory:
        return parts
    biggest = max(parts, key=parts.get)
    shown = models[:REPORT_INTERVAL_POINTS]
    rows = sum(float(m.n_intervals) * (m.n_types + 1) for m in shown)
    if biggest == "report charts and tables":
        detail = (f" ({_count(rows)} rows: reporting intervals x (call types + 1) of the {len(shown)} point"
                  f"{'s' if len(shown) > 1 else ''} with per-interval charts). Use a longer interval or a shorter "
                  f"horizon, or run without --html (the store keeps every replication; ccsim report makes the page "
                  f"later, with a larger --max-memory)")
    elif biggest == "report agent tables":
        detail = (f" ({_count(sum(m.n_agents for m in models))} agents over {len(models)} points). Model fewer "
                  f"agents, or run without --html")
    else:
        detail = " (the largest replication's interval tables, read one at a time). Use a longer interval"
    raise BudgetError(f"report budget: the study's HTML report needs about {_bytes(total)} of memory, more than "
                      f"the budget of {_bytes(max_memory)}; {_bytes(parts[biggest])} of it for the {biggest}"
                      + detail + ", or raise the budget with --max-memory.")


def _limits(max_calls, max_memory) -> tuple:
    """(max_calls, max_memory) as numbers, the defaults for None; ``BudgetError`` if unusable."""
    return (_limit("max_calls", DEFAULT_MAX_CALLS if max_calls is None else max_calls, HARD_MAX_CALLS),
            _limit("max_memory", DEFAULT_MAX_MEMORY if max_memory is None else max_memory, math.inf))


def _refusal(model: CompiledModel, est: Estimate, max_calls: float, max_memory: float) -> BudgetError | None:
    """The ``BudgetError`` refusing a run of estimate ``est``, or None if it is within the limits."""
    names = model.source_names
    if not est.calls <= max_calls:
        k = int(np.nanargmax(np.nan_to_num(est.calls_by_type, posinf=np.finfo(float).max)))
        return BudgetError(
            f"run budget: the scenario asks for about {_count(est.calls)} calls over its "
            f"{_count(model.horizon)} s horizon, more than the budget of {_count(max_calls)} calls. "
            f"{_spread(len(names))}'{names[k]}' brings {_count(est.calls_by_type[k])} of them "
            f"({_count(est.calls_by_type[k] / model.horizon)} calls/s on average){_ads_part(est)}. Shorten the "
            f"horizon, lower the arrival rate (is it per second where per hour was meant?), or raise the budget "
            f"with --max-calls (max_calls= in ccsim.simulate / replicate).")
    k = int(np.argmax(est.slot_steps))
    if not est.slot_steps[k] <= max_calls:
        return BudgetError(
            f"run budget: call type '{names[k]}' has rate slots of {model.rate_slot[k]:g} s, so its "
            f"arrivals step through {_count(est.slot_steps[k])} slots over the {_count(model.horizon)} s "
            f"horizon, more than the budget of {_count(max_calls)}. Use longer slots or a shorter horizon, "
            f"or raise the budget with --max-calls (max_calls=).")
    for what, n in (("agents", est.agents), ("reporting intervals", est.intervals)):
        if n > INT32_MAX:
            return BudgetError(f"run budget: {_count(n)} {what}, more than the {INT32_MAX:,} one run can index "
                               f"(the core counts them in 32 bits). Model fewer {what}.")
    if not est.memory <= max_memory:
        return BudgetError(_memory_message(model, est, max_memory))
    return None


def _ads_part(est: Estimate) -> str:
    if not est.ad_calls > 0:
        return ""
    return (f"; media airings bring {_count(est.ad_calls)} of all the calls (lower their spend or a "
            f"channel's calls_per_unit)")


def with_budget(model: CompiledModel, max_calls=None, max_memory=None, *, engine: str = "core",
                call_records: bool = False, kept: int = 1, periods: int = 0) -> CompiledModel:
    """``check_budget``, then the model carrying the in-run limit that follows from ``max_memory``.

    With media airings, the run is first judged without their exact expected calls (scipy's
    incomplete gamma: its import costs a run about 0.1 s): ``clearly_within_budget`` bounds
    them between none and all of each airing's calls. Only a run it cannot clear pays for the
    exact estimate, so every verdict and message is ``check_budget``'s."""
    limits = _limits(max_calls, max_memory)
    if model.n_airings and clearly_within_budget(model, *limits, engine=engine, call_records=call_records,
                                                 kept=kept, periods=periods):
        return replace(model, max_pending=default_max_pending(model, limits[1], engine, kept, periods))
    est = check_budget(model, *limits, engine=engine, call_records=call_records, kept=kept, periods=periods)
    return replace(model, max_pending=est.max_pending)


def clearly_within_budget(model: CompiledModel, max_calls: float, max_memory: float, *, engine: str = "core",
                          call_records: bool = False, kept: int = 1, periods: int = 0) -> bool:
    """Whether ``check_budget`` passes whatever share of each airing's mean calls rings before
    the horizon: the estimate with all of them within the limits (by a relative 1e-9, for
    rounding), and no call type's mean rate crossing what its agents can answer between none of
    them and all of them. Every part of the estimate grows with the ads' calls but the callers
    waiting of a call type, which may jump where its rate reaches that capacity (``_pending``):
    away from it, the estimate of the exact calls lies below the one with all of them."""
    none, every = np.zeros(model.n_airings), np.asarray(model.airing_mean, dtype=float)
    most = estimate(model, engine=engine, call_records=call_records, max_memory=max_memory, ads=every, kept=kept,
                    periods=periods)
    if _refusal(model, most, max_calls * (1 - 1e-9), max_memory * (1 - 1e-9)) is not None:
        return False
    low = _type_rates(model, expected_attempts(model, none))
    high = _type_rates(model, np.asarray(most.calls_by_type))  # the attempts ``most`` was estimated from
    capacity = np.asarray(_load_and_capacity(model, high)[2], dtype=float)
    with np.errstate(invalid="ignore"):
        crossing = (low * (1 - 1e-9) <= capacity) & (capacity <= high * (1 + 1e-9)) & (low != high)
    return bool(np.all(np.isfinite(high)) and not crossing.any())


def default_max_pending(model: CompiledModel, max_memory: float = DEFAULT_MAX_MEMORY, engine: str = "core",
                        kept: int = 1, periods: int = 0) -> int:
    """The in-run limit of a memory budget (the default one for a model that was not budgeted):
    the memory left by what does not grow with the calls (the results ``kept`` and a workforce
    run's ``periods`` included, as ``check_budget``'s), in callers waiting and timers. It does
    not depend on the airings' calls (so none are computed)."""
    return estimate(model, engine=engine, max_memory=max_memory, ads=model.airing_mean, kept=kept,
                    periods=periods).max_pending


def _limit(name: str, value, hard: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise BudgetError(f"{name} must be a number, got {value!r}") from None
    if isinstance(value, bool) or not v > 0 or math.isnan(v):
        raise BudgetError(f"{name} must be a positive number, got {value!r}")
    if v > hard:
        raise BudgetError(f"{name} = {value!r} is above what one run can count "
                          f"({_count(hard)}: event sequence numbers have 56 bits)")
    return v


def _memory_message(model: CompiledModel, est: Estimate, max_memory: float) -> str:
    parts = est.memory_parts
    biggest = max(parts, key=parts.get)
    head = (f"run budget: the run needs about {_bytes(est.memory)} of memory, more than the budget of "
            f"{_bytes(max_memory)}; {_bytes(parts[biggest])} of it for the {biggest}")
    if biggest == "waiting callers" and not any(load > cap for load, cap in zip(est.offered_load, est.capacity)):
        k = int(np.argmax(est.pending_by_type))
        detail = (f": room for the callers waiting and patience timers of call type '{model.call_type_names[k]}' "
                  f"({_count(est.pending_by_type[k])}: those of the last mean patience, at least "
                  f"{MIN_PENDING:,} slots); no call type is overloaded, so the budget is too small for the run "
                  f"itself")
    elif biggest == "waiting callers":
        k = int(np.argmax(est.pending_by_type))
        patience = duration_mean(model, model.patience_periods, k)
        why = "callers never hang up" if math.isinf(patience) else f"mean patience is {patience:g} s"
        detail = (f": call type '{model.call_type_names[k]}' is overloaded (offered load "
                  f"{_count(est.offered_load[k])} Erlangs against {_count(est.capacity[k])} agents able to take "
                  f"it) and its {why}, so about {_count(est.pending_by_type[k])} callers would be waiting or "
                  f"holding a patience timer at the horizon. Add agents, give callers a finite patience, "
                  f"lower the rate or shorten the horizon")
    elif biggest == "interval tables":
        several = est.kept > 1
        detail = (f" ({_count(est.intervals)} reporting intervals of {model.interval:g} s over the "
                  f"{_count(model.horizon)} s horizon, x {model.n_types} call types and {model.n_groups} "
                  f"agent groups{f', for each of {est.kept:,} replications kept' if several else ''}). Use a "
                  f"longer interval{', a shorter horizon or fewer replications at once' if several else ' or a shorter horizon'}")
    elif biggest == "report and tables":
        detail = (f" (the HTML report's and --out's tables and charts: {_count(est.intervals)} reporting intervals "
                  f"x {model.n_types + 1} rows, and {_count(est.agents)} agents). Use a longer interval, a shorter "
                  f"horizon, or run without --html/--out")
    elif biggest == "workforce periods":
        detail = (f" (each period's per-agent statistics, kept for the period table: {_count(est.agents)} "
                  f"agents). Use longer periods, fewer agents or slots, or fewer replications")
    elif biggest == "call records":
        detail = (f" (about {_count(est.calls)} calls, one record each). Run without per-call records, "
                  f"or shorten the horizon")
    elif biggest == "scheduled ad calls":
        detail = (f": the media airings bring about {_count(est.ad_calls)} calls, and an airing schedules all of "
                  f"its calls when it airs. Lower the spend or calls_per_unit, or shorten the horizon")
    elif biggest == "agents":
        detail = f" ({_count(est.agents)} agents). Model fewer agents"
    elif biggest == "agent tables":
        detail = (f" ({_count(est.agents)} agents x {model.n_types} call types: each agent's handle-time factors, "
                  f"skill priorities or routing keys per call type, and its funnel statistics). Model fewer "
                  f"agents or call types, or a routing policy without per-agent tables")
    elif biggest == "funnel tables":
        from .funnel_tables import funnel_days

        detail = (f" ({_count(funnel_days(model))} days up to the funnel's cut x {model.n_channels + 1} channels, "
                  f"and {_count(model.n_airings)} airings). Shorten the horizon or the funnel's follow_days")
    else:
        detail = f" ({model.n_types} call types x {model.n_groups} groups). Model fewer call types"
    return (head + detail + ", or raise the budget with --max-memory (max_memory= in bytes in "
            "ccsim.simulate / replicate).")


def rate_at(model: CompiledModel, call_type: int, t: float) -> float:
    """Arrival rate (calls/s) of ``call_type`` at time t, from its rate profile; a replay's mean
    rate over the horizon (its recorded calls have no rate at an instant)."""
    if model.replay_count[call_type] > 0:
        return float(replay_calls(model)[call_type] / model.horizon)
    start, count = int(model.rate_start[call_type]), int(model.rate_count[call_type])
    i = int(min(t / model.rate_slot[call_type], 2**62))
    if model.rate_repeat[call_type]:
        return float(model.rates[start + i % count])
    return float(model.rates[start + i]) if i < count else 0.0


def overflow_error(model: CompiledModel, call_type: int, now: float, waiting: int, timers: int,
                   scheduled: int = 0) -> BudgetError:
    """The error both engines raise when a caller of ``call_type`` would push the count of
    callers waiting plus patience timers running (plus callers in menus or between attempts,
    plus ad calls scheduled) past ``model.max_pending``."""
    if call_type >= model.n_types:  # a caller entering a menu or waiting to try again
        return BudgetError(
            f"run budget: at t = {now:.6g} s a caller of '{model.source_names[call_type]}' would enter its menu "
            f"or wait to try again with {waiting:,} callers waiting and {timers:,} callers in menus, between "
            f"attempts or with patience timers running, the most the memory budget allows "
            f"({model.max_pending:,}). Add lines or agents, lower the retrial probabilities or the rate, or "
            f"raise the budget with --max-memory (max_memory=).")
    est = estimate(model)
    name = model.call_type_names[call_type]
    average = est.offered_load[call_type]
    rate_now = rate_at(model, call_type, now)
    own = est.calls_by_type[call_type]
    with np.errstate(divide="ignore", invalid="ignore"):
        load_now = np.float64(average) * rate_now / (own / model.horizon) if own > 0 else average
    ads = f", {scheduled:,} ad calls scheduled" if scheduled else ""
    return BudgetError(
        f"run budget: at t = {now:.6g} s a caller of type '{name}' would join the queue with "
        f"{waiting:,} callers waiting{ads} and {timers:,} patience timers running, the most the memory budget "
        f"allows ({model.max_pending:,}). Call type '{name}' rings at {_count(rate_now)} calls/s then, an "
        f"offered load of {_count(load_now)} Erlangs ({_count(average)} on average over the horizon) against "
        f"{_count(est.capacity[call_type])} agents able to take it: its queue grows faster than agents "
        f"answer. Add agents, give callers a shorter patience, lower the rate or shorten the horizon, or "
        f"raise the budget with --max-memory (max_memory=).")


def airing_overflow_error(model: CompiledModel, airing: int, now: float, calls: int, pending: int) -> BudgetError:
    """The error both engines raise when an airing's calls would push the count of callers
    waiting, patience timers running and ad calls scheduled past ``model.max_pending``."""
    channel = model.channel_names[int(model.airing_channel[airing])]
    return BudgetError(
        f"run budget: at t = {now:.6g} s airing {airing} of channel '{channel}' draws {calls:,} calls (expected "
        f"{_count(float(model.airing_mean[airing]))}), to be scheduled with {pending:,} callers waiting, patience "
        f"timers running and ad calls scheduled already; the memory budget allows {model.max_pending:,}. Lower "
        f"the airing's spend or the channel's calls_per_unit, or raise the budget with --max-memory (max_memory=).")


def out_of_memory_error(engine: str) -> BudgetError:
    """The machine had less memory than the budget assumed."""
    return BudgetError(
        f"run budget: the {engine} engine ran out of memory: this machine has less free memory than the "
        f"run's budget allows. Lower the budget with --max-memory (max_memory=) to what is free, or shorten "
        f"the horizon.")


def _spread(n_types: int) -> str:
    return f"They are spread over {n_types:,} call types; the busiest, " if n_types > 1 else "Call type "


def _count(x: float) -> str:
    if math.isinf(x):
        return "more than 10^308"
    if abs(x) < 1e7:
        return f"{x:,.0f}" if x >= 10 else f"{x:.3g}"
    return f"{x:.3g}"


def _bytes(x: float) -> str:
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if x >= size:
            return f"{x / size:.3g} {unit}" if x < 1e6 * 2**40 else f"{x:.3g} B"
    return f"{x:.0f} B"


__all__ = ["BudgetError", "Estimate", "airing_expected_calls", "airing_overflow_error", "check_budget",
           "check_study_report_budget", "DEFAULT_MAX_CALLS", "DEFAULT_MAX_MEMORY", "study_report_estimate",
           "estimate", "expected_arrivals", "overflow_error", "replay_calls", "with_budget"]
