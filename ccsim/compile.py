"""Turn a validated ``Scenario`` into the flat, typed arrays both engines read.

Nothing downstream parses or validates: the engines trust a ``CompiledModel``.
Agent groups are ordered by name so that a result never depends on the order
of groups in the file.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
from numpy.random.bit_generator import ISeedSequence

from .budget import HARD_MAX_PENDING, default_max_pending
from .funnel_tables import funnel_tables
from .roster import roster_tables
from .scenario import distributions as d
from .scenario.limits import DAY
from .scenario.schema import PiecewiseArrivals, ReplayArrivals, Scenario, routing_order

# Distribution codes shared by the compiled model and both engines.
DIST_CODES = {
    "infinite": -1,
    "exponential": 0,
    "deterministic": 1,
    "uniform": 2,
    "lognormal": 3,
    "gamma": 4,
    "weibull": 5,
    "empirical": 6,
    "triangular": 7,
    "mixture": 8,
}
# Routing policies (CompiledModel.agent_selection / queue_selection; schema.Routing says what each does).
AGENT_SELECTION = {"longest_idle": 0, "ordered_groups": 1, "fewest_calls": 2, "best_proficiency": 3,
                   "best_conversion": 4, "random": 5}
QUEUE_SELECTION = {"longest_waiting": 0, "priority": 1, "skill_priority": 2, "weighted_wait": 3}
# wide routing (CompiledModel.wide_routing): from this many groups per type (types per group) the
# core finds a type's longest-idle agent through classes of groups (a group's caller through
# classes of types, or a bit mask of the types with callers waiting); the masks are kept under
# this many 64-bit words (8 MB)
WIDE_ROUTING = 16
WIDE_ROUTING_WORDS = 1 << 20
SL_DENOMINATOR = {"offered": 0, "answered": 1, "offered_excl_short_abandons": 2}

INT32_MAX = 2**31 - 1

# Sources of randomness: each (source, call type) pair has its own stream. The engines
# draw from ENGINE_SOURCES while they run; "busyness" is drawn before (with_busyness).
SOURCES = ("arrival", "handle", "patience", "after_call_work", "busyness", "retrial", "ivr", "ads", "callback",
           "routing", "absence", "roster", "transfer", "propensity", "order", "state", "leg", "ivr_retrial",
           "leg_transfer")
# The order of the engines' streams in stream_keys (CompiledModel.stream_base).
STREAM_ORDER = ("arrival", "handle", "patience", "after_call_work", "retrial", "ivr", "ads", "callback", "routing",
                "transfer", "propensity", "order", "leg", "ivr_retrial", "leg_transfer")
ENGINE_SOURCES = SOURCES[:4]  # per call type, in stream order: see CompiledModel.stream_base
# "ads" is keyed by media channel name: a channel's airings draw their counts and delays from it.
AD_SOURCE = "ads"
# "callback" is keyed by call type: whether an offered caller accepts a callback, whether a
# called-back customer answers (one uniform each).
CALLBACK_SOURCE = "callback"
# "state" (one stream, keyed "start"): the durations of a start state's callers and calls, drawn
# before the run (ccsim.state.draws), so that they shift no other stream.
# "absence" is keyed by agent group: which of its agents skip which days' shifts (shrinkage),
# drawn before the run (ccsim.schedules.with_absences).
# "transfer" is keyed by call type: whether a call is consulted (a uniform, then the consult's
# duration) and transferred, and where (a uniform) if it is answered, drawn as it reaches the
# type (first attempts; a retrial or a transfer leg draws them from its leg_transfer stream).
TRANSFER_SOURCE = "transfer"
# With a funnel only (their streams come after the transfer ones: stream_base): "propensity" is
# keyed by source (call type or entry): one uniform per caller at its first ring; "order" by call
# type: the lives of its orders (ccsim.engines.funnel says in what order they are drawn).
PROPENSITY_SOURCE = "propensity"
ORDER_SOURCE = "order"
# Common random numbers: a call type's "handle", "patience" and "after_call_work" streams draw
# for first attempts only, so that the i-th first attempt at a type has the same needs under
# every policy (a retrial or a transfer happens under one policy and not another). "leg" is keyed
# by call type: the handle time, patience and ACW (in that order) of a retrial attempt or a
# transfer leg reaching it, then its consult and transfer (streams only when some source
# retries or some type transfers);
# "ivr_retrial" by menu: a retrial attempt's walk of it (streams only when some entry retries);
# "leg_transfer" by call type: a retrial's or a transfer leg's consult and transfer (as
# "transfer" for first attempts; streams only with leg streams and a type that transfers or
# consults).
LEG_SOURCE = "leg"
IVR_RETRIAL_SOURCE = "ivr_retrial"
LEG_TRANSFER_SOURCE = "leg_transfer"
# Distribution codes whose draw takes no number from its stream (``_random.sample``).
_DRAWLESS = (DIST_CODES["infinite"], DIST_CODES["deterministic"])
# What a call ringing while closed gets (CompiledModel.closed_action; -1 = no hours: always open).
CLOSED_ACTIONS = {"message": 0, "voicemail": 1, "forward": 2}

# Where an IVR branch leads (CompiledModel.branch_kind).
BRANCH_KINDS = {"node": 0, "queue": 1, "self_service": 2, "hang_up": 3, "voicemail": 4}


DRAIN_SPAN = 30 * 86400.0  # the least time a drained run may go on past the horizon (CompiledModel.drain_end)


@dataclass(frozen=True)
class CompiledModel:
    """Everything an engine needs, as plain numbers and contiguous arrays."""

    horizon: float
    warmup: float
    interval: float
    n_intervals: int
    drain: bool
    lines: int  # -1 = unlimited
    sl_threshold: float
    short_abandon: float
    agent_selection: int
    queue_selection: int
    call_type_names: tuple
    group_names: tuple
    # arrivals: per call type k, rates[rate_start[k]:rate_start[k]+rate_count[k]] (per second)
    rate_start: np.ndarray
    rate_count: np.ndarray
    rate_slot: np.ndarray  # seconds per rate
    rate_repeat: np.ndarray  # 1 = profile repeats, 0 = rate zero after it
    rates: np.ndarray
    # distributions: one row per distribution, referenced by index
    dist_code: np.ndarray  # int32, DIST_CODES
    dist_param: np.ndarray  # float64 [n, 3]; empirical: (start, count, -) into empirical
    dist_cum: np.ndarray  # float64 [n]: a mixture component's cumulative weight (0 in other rows)
    empirical: np.ndarray
    # durations by period of the day: call type k's handle time has the periods
    # handle_periods[k] = (first, count) of period_start (seconds since midnight,
    # increasing, the first 0) and period_dist (distribution rows); one period for
    # a plain distribution. Likewise patience and after-call work.
    period_start: np.ndarray  # float64 [P]
    period_dist: np.ndarray  # int32 [P]
    handle_periods: np.ndarray  # int32 [K, 2]
    patience_periods: np.ndarray  # int32 [K, 2]
    acw_periods: np.ndarray  # int32 [K, 2]
    # agents, grouped: agents of group g are group_start[g] .. group_start[g]+group_count[g]-1
    group_count: np.ndarray  # int64 [G]
    group_start: np.ndarray  # int64 [G]
    group_proficiency: np.ndarray  # float64 [G], multiplies handle time (with a roster: the mean factor of
    # a group's agents over the types it serves, an estimate for the budget; the engines read agent_factor)
    serves: np.ndarray  # uint8 [G, K]
    # routing tables (CSR): the groups serving type k in its routing order (call_types[].groups,
    # else file order of the agents list; NOT group index order), and the types group g serves in
    # its serves order (duplicates dropped). ordered_groups / priority read these orders; the
    # other policies break ties by index, so for them the order does not matter.
    type_groups_start: np.ndarray
    type_groups: np.ndarray
    group_types_start: np.ndarray
    group_types: np.ndarray
    stream_keys: tuple = field(default=())  # (source, name) per engine stream, in stream order (stream_base)
    busyness_cv: np.ndarray = field(default_factory=lambda: np.zeros(0))  # float64 [S]; 0 = no daily factor
    # Sources of first attempts: call types 0..K-1 ring their own queue, entries K..K+E-1 their
    # menu; rate_* above and retry_* below have one row per source (S = K + E).
    entry_names: tuple = ()
    entry_tree: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # [E] menu of entry
    # IVR menus: nodes of all menus in one table; node j's branches are
    # branch_*[node_branch_start[j]:node_branch_start[j+1]], chosen by one uniform u as the
    # first with u < branch_cum (the last is 1.0).
    tree_names: tuple = ()
    tree_start: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # [T] first node
    tree_patience_dist: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # [T]
    node_names: tuple = ()  # "menu.node" per node
    node_tree: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # [N]
    node_dist: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # [N] duration
    node_branch_start: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int32))  # [N + 1]
    branch_cum: np.ndarray = field(default_factory=lambda: np.zeros(0))  # [B] cumulative probability
    branch_kind: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # [B] BRANCH_KINDS
    branch_target: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # [B] node or type
    branch_priority: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # [B] queue priority
    n_priorities: int = 1  # queue priority levels 0 .. n_priorities-1 (one FIFO per call type and level)
    # [n_priorities] seconds of head start per level (routing.level_head_start): a waiting caller
    # ranks by arrival - head start; empty = strict levels (a higher level always first)
    level_head_start: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # Retrials per source: probabilities after being blocked / abandoning, the delay, and the
    # attempts in all (1 = no retrials).
    retry_blocked: np.ndarray = field(default_factory=lambda: np.zeros(0))
    retry_abandoned: np.ndarray = field(default_factory=lambda: np.zeros(0))
    retry_delay_dist: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    max_attempts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    # Queue limits per call type: own capacity (-1 = none), pool (-1 = none), message seconds
    # heard when full (-1 = blocked at once); pool_capacity per pool.
    queue_capacity: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    queue_pool: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    pool_capacity: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    full_message: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # media (ads): per channel, the source it rings (a call type, or n_types + entry) and its
    # response delay fixed + scale x (Gamma(shape) if shape > 0 else Exponential(1)); per
    # airing (in the scenario's order, inline then CSV): time, channel, Poisson mean (amount x
    # calls per unit), spend. Streams: ("ads", channel), last (stream_base).
    channel_names: tuple = field(default=())
    channel_source: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    channel_delay: np.ndarray = field(default_factory=lambda: np.zeros(0))
    channel_shape: np.ndarray = field(default_factory=lambda: np.zeros(0))
    channel_scale: np.ndarray = field(default_factory=lambda: np.zeros(0))
    airing_time: np.ndarray = field(default_factory=lambda: np.zeros(0))
    airing_channel: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    airing_mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    airing_spend: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # Opening hours: the week's opening intervals [hours_open[i], hours_close[i]) in seconds since
    # Monday 00:00 (sorted, disjoint); time 0 is hours_shift into the week. closed_action -1 = no
    # hours (always open), else CLOSED_ACTIONS, with closed_seconds (message or recording) and
    # closed_forward (call type). voicemail_type: who calls voicemails back (-1 = nobody).
    closed_action: int = -1
    closed_seconds: float = 0.0
    closed_forward: int = -1
    hours_shift: float = 0.0
    hours_open: np.ndarray = field(default_factory=lambda: np.zeros(0))
    hours_close: np.ndarray = field(default_factory=lambda: np.zeros(0))
    voicemail_type: int = -1
    # Agent schedules (scenario.shifts): table t's on-duty intervals (logged in, not on break) are
    # [sched_open[i], sched_close[i]) for i in sched_start[t]..sched_start[t+1]-1, in seconds since
    # Monday 00:00 (sorted, disjoint, not touching; the last close passes 604800 when time on duty
    # runs on over the week's end); time 0 is sched_shift into the week.
    # agent_sched[a]: agent a's table, -1 = on duty all the time. group_shifted[g] = 1 when group g
    # or one of its members has shifts: its staffed time is counted per agent, as they log in and out
    # (an agent of a shifted group at -1 is on duty from 0 to the end).
    sched_shift: float = 0.0
    # sched_period: the tables' period (a whole number of weeks; one without shrinkage).
    # sched_plan: with shrinkage, per shift (first agent, agents, group name, the group's first
    # agent, shrinkage, start, weekdays, per agent its on-duty pieces): ``with_absences`` remakes
    # the tables from it with a replication's absences (empty: no shrinkage, tables as they are).
    sched_period: float = 604800.0
    sched_plan: tuple = ()
    # shift_plan: the reports' view of every shift instance (not read by the engines): per agent and
    # shift (agent, start, weekdays, its on-duty pieces, the shift's length in seconds), with or
    # without shrinkage; ``ccsim.agent_report`` measures logged-in and break time from it.
    shift_plan: tuple = ()
    # Individual agents (agents of group g are group_start[g]..): agent_factor[a, k] multiplies
    # the handle time of a type-k call agent a answers, agent_acw_factor[a] its after-call work.
    # Empty = every agent of group g at group_proficiency[g] and 1 (``agent_factors``).
    agent_factor: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    agent_acw_factor: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # Routing rules per (call type, group) pair, aligned with type_groups (tg_*) and with
    # group_types (gt_*): the group may take a call that waited >= after, or while the type's
    # expected wait (waiting x wait_unit) > ewt_over; only while more than queue_over wait (-1:
    # no threshold); only if min_idle of its agents stay idle (0: no reserve). tg_pos[i]: the
    # pair's position in the group's serves list. type_delays[type_delay_start[k]:..]: the
    # distinct finite positive ``after`` delays of type k, sorted (a call is re-examined then);
    # type_rules[k] = 1 when a rule of k depends on the queue or idle agents (a call queued
    # behind others may let a group take the head). wait_weight[k] = 1 / wait target
    # (weighted_wait); agent_priority[a, k] = agent a's skill priority for k (only under
    # skill_priority; else empty).
    tg_after: np.ndarray = field(default_factory=lambda: np.zeros(0))
    tg_ewt_over: np.ndarray = field(default_factory=lambda: np.zeros(0))
    tg_queue_over: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    tg_min_idle: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    tg_pos: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    gt_after: np.ndarray = field(default_factory=lambda: np.zeros(0))
    gt_ewt_over: np.ndarray = field(default_factory=lambda: np.zeros(0))
    gt_queue_over: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    gt_min_idle: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    type_delay_start: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int32))
    type_delays: np.ndarray = field(default_factory=lambda: np.zeros(0))
    type_rules: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    wait_weight: np.ndarray = field(default_factory=lambda: np.zeros(0))
    agent_priority: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int32))
    # backup[k, g] = 1 when group g is a backup for type k (an overflow rule holds it back): its
    # answers of type k count as "overflowed"; empty without overflow rules
    backup: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int32))
    # The roster: who each agent is (empty = the defaults of ``roster``). Ids are unique; team
    # (组) and squad (队) names, the squad's leader flag, tenure in days, and the abilities the
    # funnel and workforce policies read: conversion probability on sales calls, QA fatal and
    # non-fatal error rates (per call scored).
    agent_ids: tuple = ()
    agent_team: tuple = ()
    agent_squad: tuple = ()
    agent_leader: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    agent_tenure: np.ndarray = field(default_factory=lambda: np.zeros(0))
    agent_conversion: np.ndarray = field(default_factory=lambda: np.zeros(0))
    agent_qa_fatal: np.ndarray = field(default_factory=lambda: np.zeros(0))
    agent_qa_nonfatal: np.ndarray = field(default_factory=lambda: np.zeros(0))
    agent_cost_hour: np.ndarray = field(default_factory=lambda: np.zeros(0))  # a member's own hourly cost; NaN = none
    sched_start: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int32))
    sched_open: np.ndarray = field(default_factory=lambda: np.zeros(0))
    sched_close: np.ndarray = field(default_factory=lambda: np.zeros(0))
    agent_sched: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    group_shifted: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    # Callbacks per call type: offered when the predicted wait (waiting + 1) x wait_unit exceeds
    # cb_offer_after (inf = never); wait_unit = (mean handle + mean ACW) / agents able to serve it.
    cb_offer_after: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cb_accept: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cb_answer: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cb_ring: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cb_max_attempts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    cb_retry_delay: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cb_target: np.ndarray = field(default_factory=lambda: np.zeros(0))
    wait_unit: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # Service level per call type: answered within sl_type_threshold[k] seconds counts in
    # answered_in_sl (empty = sl_threshold for every type: a model built before per-type
    # thresholds); sl_thresholds: the extra thresholds reported at once (ascending; empty = none),
    # counted in RawStats.answered_within.
    sl_type_threshold: np.ndarray = field(default_factory=lambda: np.zeros(0))
    sl_thresholds: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # Announcements per call type: ann_on 1 = patience x ann_long if the prediction exceeds
    # ann_threshold, else x ann_short.
    ann_on: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    ann_threshold: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ann_long: np.ndarray = field(default_factory=lambda: np.zeros(0))
    ann_short: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # Transfers per call type: an answered call of type k is transferred to transfer_to[j] for the
    # first j in transfer_start[k]..transfer_start[k+1]-1 with u < transfer_cum[j] (u one uniform
    # of its ("transfer", k) stream, drawn as the call reaches the type); none if u passes them all.
    transfer_start: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int32))  # [K + 1]
    transfer_cum: np.ndarray = field(default_factory=lambda: np.zeros(0))  # [T] cumulative probability
    transfer_to: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # [T] call type
    # Consults per call type: with probability consult_p[k] (0 = none) an answered call's talk gets
    # an extra draw of distribution row consult_dist[k]; one uniform, then the duration, from the
    # same ("transfer", k) stream, before the transfer's uniform.
    consult_p: np.ndarray = field(default_factory=lambda: np.zeros(0))  # [K]
    consult_dist: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # [K], -1 = none
    # replayed arrivals: source k rings at replay_times[replay_start[k]:+replay_count[k]] (the
    # recorded times plus the shift, sorted), again every replay_period[k] s if > 0 (0 = once);
    # replay_count[k] = 0 for a rate profile. A replay source's rate profile is zero.
    replay_start: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    replay_count: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    replay_period: np.ndarray = field(default_factory=lambda: np.zeros(0))
    replay_times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # The sales funnel (scenario.funnel; ccsim.funnel_tables): empty fn_sells = no funnel. Per call
    # type: sells (1/0), base conversion, type factor, talk factor of an order, order value
    # distribution row, cross-sell probability and value row (-1 none); per media channel its
    # conversion factor; the wait curve (points, factors); the delay rows of the order's life
    # (funnel_tables.STAGES); verification probabilities, attempts and deadline (s); sign-for
    # probability per 1 + channel (0 = organic); regions as cumulative shares and sign factors.
    # fn_cut: horizon + follow days (s), where orders stop being followed.
    fn_cut: float = 0.0
    fn_sells: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    fn_conversion: np.ndarray = field(default_factory=lambda: np.zeros(0))
    fn_type_factor: np.ndarray = field(default_factory=lambda: np.zeros(0))
    fn_talk_factor: np.ndarray = field(default_factory=lambda: np.zeros(0))
    fn_value_dist: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    fn_cross_p: np.ndarray = field(default_factory=lambda: np.zeros(0))
    fn_cross_dist: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    fn_channel_factor: np.ndarray = field(default_factory=lambda: np.zeros(0))
    fn_wait: np.ndarray = field(default_factory=lambda: np.zeros(0))
    fn_wait_factor: np.ndarray = field(default_factory=lambda: np.zeros(0))
    fn_stage_dist: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    fn_confirm: float = 1.0
    fn_cancel: float = 0.0
    fn_max_attempts: int = 1
    fn_deadline: float = 0.0
    fn_sign: np.ndarray = field(default_factory=lambda: np.zeros(0))
    fn_region_cum: np.ndarray = field(default_factory=lambda: np.ones(1))
    fn_region_factor: np.ndarray = field(default_factory=lambda: np.ones(1))
    fn_region_names: tuple = ()
    # In-run limit on callers waiting + patience timers running (budget.py); set
    # by compile_scenario from the default memory budget, by budget.with_budget otherwise.
    max_pending: int = HARD_MAX_PENDING
    # a start state (ccsim.state.StartState: its clock, callers waiting, agents busy or away), None = start
    # empty at time 0; its durations are drawn from the ("state", "start") stream before the run (ccsim.state.draws)
    state: object = None

    @property
    def drain_end(self) -> float:
        """Where a drained run stops at the latest: one horizon after the horizon, at least
        ``DRAIN_SPAN`` (30 days). What is still in the center then is counted as at the end of a
        cut run. A real center's calls end within hours of the horizon; without this bound, talks
        (or patience timers) of years, which the scenario's limits allow, kept a drained run with
        shifts stepping through every day's schedule changes until they ended."""
        return self.horizon + max(self.horizon, DRAIN_SPAN)

    @property
    def has_funnel(self) -> bool:
        """Whether a call type sells (scenario.funnel): callers draw a propensity, orders are followed."""
        return len(self.fn_sells) == self.n_types and bool(np.any(self.fn_sells))

    @cached_property  # the model is frozen: computed once
    def has_agent_factors(self) -> bool:
        """Whether the agents have their own factors (else each is at its group's proficiency)."""
        return len(self.agent_acw_factor) == self.n_agents and self.agent_factor.shape == (self.n_agents, self.n_types)

    def agent_factors(self) -> tuple:
        """(agent_factor [A, K], agent_acw_factor [A]) as the engines read them: the model's, or
        when empty each agent at its group's proficiency and an ACW factor of 1."""
        if len(self.agent_acw_factor) == self.n_agents and self.agent_factor.shape == (self.n_agents, self.n_types):
            return np.ascontiguousarray(self.agent_factor, dtype=np.float64), \
                np.ascontiguousarray(self.agent_acw_factor, dtype=np.float64)
        per_agent = np.repeat(np.asarray(self.group_proficiency, dtype=np.float64), self.group_count)
        return np.repeat(per_agent[:, None], self.n_types, axis=1), np.ones(self.n_agents)

    def transfer_table(self) -> tuple:
        """(transfer_start [K + 1], transfer_cum, transfer_to) as the engines read them: no
        transfers at all when the model has no table (one built without ``compile_scenario``)."""
        if len(self.transfer_start) == self.n_types + 1:
            return self.transfer_start, self.transfer_cum, self.transfer_to
        return np.zeros(self.n_types + 1, dtype=np.int32), np.zeros(0), np.zeros(0, dtype=np.int32)

    def consult_table(self) -> tuple:
        """(consult_p [K], consult_dist [K]) as the engines read them: no consults when the model has
        no table."""
        if len(self.consult_p) == self.n_types:
            return self.consult_p, self.consult_dist
        return np.zeros(self.n_types), np.full(self.n_types, -1, dtype=np.int32)

    @cached_property
    def type_plain(self) -> np.ndarray:
        """int32 [K]: 1 for a call type no routing rule of whose (type, group) pairs can hold a
        group back (no delay, expected-wait bound, threshold or reserve): the engines skip the rules."""
        out = np.ones(self.n_types, dtype=np.int32)
        if len(self.tg_after) != len(self.type_groups):
            return out
        held = (np.asarray(self.tg_after) > 0) | (np.asarray(self.tg_queue_over) >= 0) | (np.asarray(self.tg_min_idle) > 0)
        for k in range(self.n_types):
            lo, hi = self.type_groups_start[k], self.type_groups_start[k + 1]
            out[k] = 0 if held[lo:hi].any() else 1
        return out

    @cached_property
    def wide_routing(self) -> tuple:
        """Wide routing (many groups per call type, many types per group): (int32 [K] type_wide,
        int32 [G] group_wide, uint64 [G, ceil(K / 64)] each group's types). A wide type (at least
        ``WIDE_ROUTING`` groups, none of its pairs held back by a rule) finds its longest-idle
        agent through its classes (``idle_classes``) without visiting its groups; a wide group (as
        many types, no rule on its pairs) takes its caller through its classes of types
        (``waiting_classes``), or under the other queue policies scans only the types with
        callers waiting. Both orders are total (idle since then agent index; level, then the
        policy's key, then type), so the result is the same as the plain scans'. No wide group
        when its mask would exceed ``WIDE_ROUTING_WORDS`` words: the plain scans then."""
        K, G = self.n_types, self.n_groups
        kw = (K + 63) // 64
        type_wide = ((np.diff(np.asarray(self.type_groups_start)) >= WIDE_ROUTING)
                     & (np.asarray(self.type_plain) == 1)).astype(np.int32)
        if G * kw > WIDE_ROUTING_WORDS:
            return type_wide, np.zeros(G, dtype=np.int32), np.zeros((G, 0), dtype=np.uint64)
        type_start, type_groups = np.asarray(self.type_groups_start), np.asarray(self.type_groups)
        group_bits = _class_bits(G, kw, [type_groups[type_start[k]:type_start[k + 1]] for k in range(K)])
        group_wide = ((np.diff(np.asarray(self.group_types_start)) >= WIDE_ROUTING)
                      & ~self.held_groups).astype(np.int32)
        return type_wide, group_wide, group_bits

    @cached_property
    def held_groups(self) -> np.ndarray:
        """bool [G]: the groups with a rule on one of their (type, group) pairs (a wait before
        taking a type, a queue or idle threshold), which the wide and class paths leave to the
        plain scans."""
        held = np.zeros(self.n_groups, dtype=bool)
        if len(self.gt_after) == len(self.group_types):
            pair_held = (np.asarray(self.gt_after) > 0) | (np.asarray(self.gt_queue_over) >= 0) | \
                (np.asarray(self.gt_min_idle) > 0)
            np.logical_or.at(held, np.repeat(np.arange(self.n_groups), np.diff(np.asarray(self.group_types_start))),
                             pair_held)
        return held

    @cached_property
    def idle_classes(self) -> tuple:
        """The classes of groups for longest-idle routing: groups serving the same set of call
        types form one class, whose groups with an idle agent the core keeps in one list ordered by
        their longest-idle agent's (idle since, agent index), so that a call type's longest-idle
        agent is the first of one of its classes' lists. (int32 [G] each group's class, numbered
        in order of first group; uint64 [K, ceil(classes / 64)] each type's classes; int32 [K]
        1 = the type finds its agent through its classes: a type no rule holds back that is wide
        (``wide_routing``) or has fewer classes than groups.) The order is the plain scan's
        (every head's key is unique), so the run is the same. Without classes (masks over
        ``WIDE_ROUTING_WORDS`` words) every type scans its groups."""
        return _class_tables(self.group_types_start, self.group_types, self.type_groups_start,
                             np.asarray(self.type_plain) == 1, self.wide_routing[0])

    @cached_property
    def waiting_classes(self) -> tuple:
        """The classes of call types for longest-waiting queue selection, as ``idle_classes`` for
        groups: types served by the same set of groups form one class, whose types with callers
        waiting the core keeps in one list ordered by their queue head's (arrival, call type).
        (int32 [K] each type's class, numbered in order of first type; uint64 [G, ceil(classes /
        64)] each group's classes; int32 [G] 1 = the group finds its caller through its classes: no
        rule on its pairs, and wide (``wide_routing``) or serving fewer classes than types.) The
        core uses them with one priority level and no head starts; ``_consider``'s order is total,
        so the caller is the plain scan's. Without classes (masks over ``WIDE_ROUTING_WORDS``
        words) every group scans its types."""
        return _class_tables(self.type_groups_start, self.type_groups, self.group_types_start,
                             ~self.held_groups, self.wide_routing[1])

    @cached_property
    def schedule_agents(self) -> tuple:
        """(int32 [A] each agent's table, -1 = on duty all the time; int32 [T + 1] table_first and
        int32 table_agents: the agents of table t, in index order, are
        table_agents[table_first[t]:table_first[t + 1]]). The engines move a table's agents together."""
        n_tables = len(self.sched_start) - 1
        sched = np.full(self.n_agents, -1, dtype=np.int32)
        if len(self.agent_sched) == self.n_agents and len(self.group_shifted) == self.n_groups:
            shifted = np.repeat(np.asarray(self.group_shifted, dtype=bool), np.asarray(self.group_count, dtype=np.int64))
            sched = np.where(shifted, np.asarray(self.agent_sched, dtype=np.int32), -1).astype(np.int32)
        used = sched[sched >= 0]
        agents = np.flatnonzero(sched >= 0)[np.argsort(used, kind="stable")].astype(np.int32)
        counts = np.bincount(used, minlength=n_tables)[:n_tables]
        return sched, np.concatenate([[0], np.cumsum(counts)]).astype(np.int32), agents

    def talk_extra(self) -> np.ndarray:
        return self._talk_extra

    @cached_property
    def _talk_extra(self) -> np.ndarray:
        """int32 [K]: 1 for a call type whose calls draw from its transfer stream as they reach it
        (it has transfers or consults), 0 for one whose calls draw nothing for their talk's end."""
        start, _, _ = self.transfer_table()
        p, _ = self.consult_table()
        return ((np.diff(start) > 0) | (p > 0)).astype(np.int32)

    def roster(self):
        """pandas DataFrame, one row per agent (index ``agent``, its number in the engines): ``id``,
        ``group``, ``team``, ``squad``, ``leader``, ``tenure_days``, ``conversion``, ``qa_fatal``,
        ``qa_nonfatal``. Without a roster: ids ``<group>-<n>`` (n from 1), team = the group, no
        squad, no leader, tenure 0, abilities NaN."""
        import pandas as pd

        frame = pd.DataFrame(self.roster_columns())
        frame.index.name = "agent"
        return frame

    def roster_columns(self) -> dict:
        """``roster()``'s columns as numpy arrays (text as object arrays), without pandas."""
        n = self.n_agents
        group = [self.group_names[g] for g in self.agent_group]
        number = np.arange(n) - np.repeat(np.asarray(self.group_start, dtype=np.int64), self.group_count) + 1

        def column(values, default, dtype=float):
            return np.asarray(list(values) if len(values) == n else default, dtype=dtype)

        return {
            "id": column(self.agent_ids, [f"{g}-{i}" for g, i in zip(group, number)], object),
            "group": np.asarray(group, dtype=object),
            "team": column(self.agent_team, group, object),
            "squad": column(self.agent_squad, [""] * n, object),
            "leader": column(self.agent_leader, [0] * n, bool),
            "tenure_days": column(self.agent_tenure, [0.0] * n),
            "conversion": column(self.agent_conversion, [np.nan] * n),
            "qa_fatal": column(self.agent_qa_fatal, [np.nan] * n),
            "qa_nonfatal": column(self.agent_qa_nonfatal, [np.nan] * n),
        }

    @cached_property  # the model is frozen: computed once
    def agent_group(self) -> np.ndarray:
        """int32 [A]: each agent's group."""
        return np.repeat(np.arange(self.n_groups, dtype=np.int32), self.group_count)

    @property
    def n_types(self) -> int:
        return len(self.call_type_names)

    def type_thresholds(self) -> np.ndarray:
        """float64 [K]: the service-level threshold of each call type as the engines read it
        (``sl_type_threshold``, or ``sl_threshold`` for every type when empty)."""
        if len(self.sl_type_threshold) == self.n_types:
            return np.ascontiguousarray(self.sl_type_threshold, dtype=np.float64)
        return np.full(self.n_types, float(self.sl_threshold))

    @property
    def n_groups(self) -> int:
        return len(self.group_names)

    @property
    def n_channels(self) -> int:
        return len(self.channel_names)

    @property
    def n_airings(self) -> int:
        return len(self.airing_time)

    @cached_property  # the model is frozen: computed once
    def n_agents(self) -> int:
        return int(self.group_count.sum())

    @property
    def n_entries(self) -> int:
        return len(self.entry_names)

    @property
    def n_sources(self) -> int:
        return self.n_types + self.n_entries

    @property
    def source_names(self) -> tuple:
        return self.call_type_names + self.entry_names

    @property
    def n_trees(self) -> int:
        return len(self.tree_names)

    @property
    def n_nodes(self) -> int:
        return len(self.node_names)

    @property
    def n_pools(self) -> int:
        return len(self.pool_capacity)

    @cached_property  # the model is frozen: computed once
    def drawn_streams(self) -> np.ndarray:
        """bool [stream_base["end"]]: whether a run can draw from each stream (``stream_keys`` order).

        ``bit_generators`` creates only these; the others share one ``SkippedStream``. Exact, from
        both engines' draws: a duration (handle, patience, ACW) draws unless every period of the
        type is deterministic or absent (``sample`` draws nothing for those, a mixture always
        draws); a retrial stream only when its source retries (max_attempts > 1 and a retry
        probability > 0: ``_lost``); a callback stream only when its type offers callbacks
        (offer_after finite) or calls voicemails back (its items are the only ones it draws
        for); a transfer stream only when its type transfers or consults (``talk_extra``); a leg
        stream when its type's durations draw at all, a leg transfer stream when it transfers
        or consults (of a type no retrial or transfer reaches, created and never drawn from). Arrivals, menus (and their retrial walks),
        ads, the routing stream and the funnel's streams always draw."""
        base, n, s = self.stream_base, self.n_types, self.n_sources
        drawn = np.ones(base["end"], dtype=bool)
        rows = ~np.isin(self.dist_code[self.period_dist], _DRAWLESS)  # period rows whose sample draws
        at = np.concatenate([[0], np.cumsum(rows)])
        needs = np.zeros(n, dtype=bool)  # a type some duration of which draws
        for source, periods in (("handle", self.handle_periods), ("patience", self.patience_periods),
                                ("after_call_work", self.acw_periods)):
            first, count = periods[:, 0], periods[:, 1]
            drawn[base[source]:base[source] + n] = at[first + count] > at[first]
            needs |= at[first + count] > at[first]
        if base["ivr_retrial"] > base[LEG_SOURCE]:  # leg streams exist (some source retries or type transfers)
            drawn[base[LEG_SOURCE]:base[LEG_SOURCE] + n] = needs
        if base["end"] > base[LEG_TRANSFER_SOURCE]:  # some type transfers or consults
            drawn[base[LEG_TRANSFER_SOURCE]:base[LEG_TRANSFER_SOURCE] + n] = self.talk_extra() > 0
        drawn[base["retrial"]:base["retrial"] + s] = ((self.max_attempts > 1)
                                                       & ((self.retry_blocked > 0) | (self.retry_abandoned > 0)))
        drawn[base["callback"]:base["callback"] + n] = ((self.cb_offer_after < math.inf)
                                                         | (np.arange(n) == self.voicemail_type))
        if base["propensity"] > base["transfer"]:  # transfer streams exist (some type transfers or consults)
            drawn[base["transfer"]:base["propensity"]] = self.talk_extra() > 0
        return drawn

    @cached_property  # the model is frozen: computed once
    def stream_base(self) -> dict:
        """First engine stream of each source of randomness (``stream_keys`` order): arrivals
        and retrials one per source (call types, then entries), handle / patience / ACW one per
        call type, IVR one per menu, ads one per media channel, callback one per call type; then
        only when used: routing one (the random agent selection), transfer one per call type
        (some type transfers or consults), with a funnel propensity one per source and order one
        per call type; then leg one per call type (some source retries or type transfers),
        ivr_retrial one per menu (some entry retries) and leg_transfer one per call type (leg
        streams, and some type transfers or consults), last. Read from ``stream_keys``, so a run creates no stream it never draws from
        (and of these, ``bit_generators`` creates only the ``drawn_streams``)."""
        counts = {}
        for source, _ in self.stream_keys:
            counts[source] = counts.get(source, 0) + 1
        base, at = {}, 0
        for source in STREAM_ORDER:
            base[source] = at
            at += counts.get(source, 0)
        base["end"] = at
        return base


class _DistTable:
    """Distribution rows, and the period tables that point into them.

    A mixture of n components is its row (count n in p0) followed by its
    components' rows, each holding its cumulative weight in ``cum``.
    """

    def __init__(self):
        self.codes, self.params, self.cum, self.empirical = [], [], [], []
        self.period_start, self.period_dist = [], []

    def add(self, dist) -> int:
        code, p = _encode(dist, self.empirical)
        self.codes.append(code)
        self.params.append(p)
        self.cum.append(0.0)
        row = len(self.codes) - 1
        if isinstance(dist, d.Mixture):
            cum = 0.0
            for component in dist.components:
                cum += component.weight  # the engines compare a uniform with these very numbers
                self.cum[self.add(component.dist)] = cum
        return row

    def add_duration(self, duration) -> tuple[int, int]:
        """(first, count) of a duration's periods in the period table."""
        first = len(self.period_start)
        for start, dist in d.periods_of(duration):
            self.period_start.append(start)
            self.period_dist.append(self.add(dist))
        return first, len(self.period_start) - first


def _encode(dist, empirical: list) -> tuple[int, tuple[float, float, float]]:
    if dist is None:
        return DIST_CODES["infinite"], (0.0, 0.0, 0.0)
    kind = dist.dist
    if isinstance(dist, d.Exponential):
        p = (dist.mean, 0.0)
    elif isinstance(dist, d.Deterministic):
        p = (dist.value, 0.0)
    elif isinstance(dist, d.Uniform):
        p = (dist.low, dist.high - dist.low)
    elif isinstance(dist, d.Lognormal):
        p = dist.log_params()
    elif isinstance(dist, d.Gamma):
        p = dist.shape_scale()
    elif isinstance(dist, d.Weibull):
        p = (dist.shape, dist.scale)
    elif isinstance(dist, d.Empirical):
        p = (float(len(empirical)), float(len(dist.values)))
        empirical.extend(dist.values)
    elif isinstance(dist, d.Triangular):
        p = (dist.low, dist.mode, dist.high)
    elif isinstance(dist, d.Mixture):
        p = (float(len(dist.components)), 0.0)  # its components are the rows after it
    else:  # pragma: no cover - the schema admits nothing else
        raise TypeError(f"unknown distribution {dist!r}")
    return DIST_CODES[kind], (tuple(p) + (0.0,))[:3]


def _busyness_cv(arrivals) -> float:
    return float(arrivals.busyness.cv) if arrivals is not None and arrivals.busyness is not None else 0.0


def _arrival_profile(arrivals, scenario: Scenario) -> tuple[list[float], float, int]:
    if arrivals is None or isinstance(arrivals, ReplayArrivals):
        # rung only by menus, media channels or a replay: a zero rate that stops at the horizon
        return [0.0], float(scenario.horizon), 0
    rates, slot, repeat = arrivals.profile(scenario.interval, scenario.horizon)
    if _busyness_cv(arrivals) > 0 and not isinstance(arrivals, PiecewiseArrivals):
        slot = DAY  # a constant rate in slots of a day, so that with_busyness can scale each day
    return rates, slot, int(repeat)


def _interval_count(horizon: float, interval: float) -> int:
    """Reporting intervals over the horizon; capped where the budget refuses anyway
    (horizon / interval may overflow to inf for values the schema admits)."""
    count = horizon / interval
    return max(1, math.ceil(count)) if count < 2**62 else 2**62


def _csr(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    start = np.zeros(len(lists) + 1, dtype=np.int32)
    start[1:] = np.cumsum([len(x) for x in lists])
    flat = np.array([i for x in lists for i in x], dtype=np.int32)
    return start, flat


def compile_scenario(scenario: Scenario) -> CompiledModel:
    """Flatten a validated scenario into a ``CompiledModel``."""
    types = scenario.call_types
    type_index = {c.name: k for k, c in enumerate(types)}
    groups = sorted(scenario.agents, key=lambda g: g.name)

    table = _DistTable()
    handle = [table.add_duration(c.handle_time) for c in types]
    patience = [table.add_duration(c.patience) for c in types]
    acw = [table.add_duration(c.after_call_work or d.Deterministic(dist="deterministic", value=0.0)) for c in types]

    sources = list(types) + list(scenario.entries)
    rate_start, rate_count, rate_slot, rate_repeat, rates = [], [], [], [], []
    for c in sources:
        profile, slot, repeat = _arrival_profile(c.arrivals, scenario)
        rate_start.append(len(rates))
        rate_count.append(len(profile))
        rate_slot.append(slot)
        rate_repeat.append(repeat)
        rates.extend(profile)

    replay_start, replay_count, replay_period, replay_times = [], [], [], []
    for c in sources:
        replay = c.arrivals if isinstance(c.arrivals, ReplayArrivals) else None
        replay_start.append(len(replay_times))
        replay_count.append(len(replay.times) if replay else 0)
        replay_period.append(float(replay.repeat_every or 0.0) if replay else 0.0)
        if replay:
            replay_times.extend(t + replay.shift for t in replay.times)

    serves = np.zeros((len(groups), len(types)), dtype=np.uint8)
    for g, group in enumerate(groups):
        for name in group.serves:
            serves[g, type_index[name]] = 1
    # int64: a sum of counts the schema admits must not wrap; the budget refuses
    # more agents than the core's int32 indices (and memory) can hold.
    counts = np.array([g.size for g in groups], dtype=np.int64)
    group_index = {g.name: i for i, g in enumerate(groups)}
    type_groups = _csr([[group_index[name] for name in routing_order(scenario, c)] for c in types])
    group_types = _csr([[type_index[name] for name in dict.fromkeys(g.serves)] for g in groups])

    model = CompiledModel(
        horizon=float(scenario.horizon),
        warmup=float(scenario.warmup),
        interval=float(scenario.interval),
        n_intervals=_interval_count(scenario.horizon, scenario.interval),
        drain=bool(scenario.drain),
        # More lines than the core can count is no limit at all.
        lines=-1 if scenario.lines is None or scenario.lines > INT32_MAX else int(scenario.lines),
        sl_threshold=float(scenario.service_level.threshold),
        short_abandon=float(scenario.service_level.short_abandon),
        agent_selection=AGENT_SELECTION[scenario.routing.agent_selection],
        queue_selection=QUEUE_SELECTION[scenario.routing.queue_selection],
        call_type_names=tuple(c.name for c in types),
        group_names=tuple(g.name for g in groups),
        rate_start=np.array(rate_start, dtype=np.int32),
        rate_count=np.array(rate_count, dtype=np.int32),
        rate_slot=np.array(rate_slot, dtype=np.float64),
        rate_repeat=np.array(rate_repeat, dtype=np.int32),
        rates=np.array(rates, dtype=np.float64),
        replay_start=np.array(replay_start, dtype=np.int32),
        replay_count=np.array(replay_count, dtype=np.int32),
        replay_period=np.array(replay_period, dtype=np.float64),
        replay_times=np.array(replay_times, dtype=np.float64),
        dist_code=None, dist_param=None, dist_cum=None, empirical=None,  # filled below, once every
        period_start=None, period_dist=None,  # table has its rows
        handle_periods=np.array(handle, dtype=np.int32).reshape(-1, 2),
        patience_periods=np.array(patience, dtype=np.int32).reshape(-1, 2),
        acw_periods=np.array(acw, dtype=np.int32).reshape(-1, 2),
        group_count=counts,
        group_start=np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64),
        group_proficiency=np.array([g.proficiency if g.identical() else 1.0 for g in groups], dtype=np.float64),
        serves=serves,
        type_groups_start=type_groups[0],
        type_groups=type_groups[1],
        group_types_start=group_types[0],
        group_types=group_types[1],
        stream_keys=(tuple(("arrival", c.name) for c in sources)
                     + tuple((src, c.name) for src in ENGINE_SOURCES[1:] for c in types)
                     + tuple(("retrial", c.name) for c in sources)
                     + tuple(("ivr", tree.name) for tree in scenario.ivr)
                     + tuple((AD_SOURCE, c.name) for c in (scenario.media.channels if scenario.media else ()))
                     + tuple((CALLBACK_SOURCE, c.name) for c in types)
                     + ((("routing", "agents"),) if scenario.routing.agent_selection == "random" else ())
                     + (tuple((TRANSFER_SOURCE, c.name) for c in types)
                        if any(c.transfers or c.consult for c in types) else ())
                     + (tuple((PROPENSITY_SOURCE, c.name) for c in sources)
                        + tuple((ORDER_SOURCE, c.name) for c in types) if scenario.funnel is not None else ())
                     + (tuple((LEG_SOURCE, c.name) for c in types)
                        if any(c.retrials for c in sources) or any(c.transfers for c in types) else ())
                     + (tuple((IVR_RETRIAL_SOURCE, tree.name) for tree in scenario.ivr)
                        if any(e.retrials for e in scenario.entries) else ())
                     + (tuple((LEG_TRANSFER_SOURCE, c.name) for c in types)
                        if (any(c.retrials for c in sources) or any(c.transfers for c in types))
                        and any(c.transfers or c.consult for c in types) else ())),
        busyness_cv=np.array([_busyness_cv(c.arrivals) for c in sources], dtype=np.float64),
        **_inbound_tables(scenario, type_index, table, sources),
        **_media_arrays(scenario, {c.name: i for i, c in enumerate(sources)}),
        **_callback_tables(scenario, type_index, counts, serves),
        **_schedule_tables(scenario, groups),
        **_service_level_tables(scenario),
        **roster_tables(scenario, groups, types),
        **_transfer_tables(scenario, type_index),
        consult_p=np.array([c.consult.p if c.consult else 0.0 for c in types], dtype=np.float64),
        consult_dist=np.array([table.add(c.consult.duration) if c.consult else -1 for c in types], dtype=np.int32),
        **funnel_tables(scenario, table),
    )
    model = replace(model, **_routing_tables(scenario, model))
    model = replace(model, dist_code=np.array(table.codes, dtype=np.int32),
                    dist_param=np.array(table.params, dtype=np.float64).reshape(-1, 3),
                    dist_cum=np.array(table.cum, dtype=np.float64),
                    empirical=np.array(table.empirical or [0.0], dtype=np.float64),
                    period_start=np.array(table.period_start, dtype=np.float64),
                    period_dist=np.array(table.period_dist, dtype=np.int32))
    model = _roster_proficiency(model, groups)
    return replace(model, max_pending=default_max_pending(model))


def _service_level_tables(scenario: Scenario) -> dict:
    """Each call type's service-level threshold (its own, else the scenario-wide one) and the
    extra thresholds in ascending order (CompiledModel.sl_type_threshold, sl_thresholds)."""
    sl = scenario.service_level
    own = [sl.threshold if c.service_level_threshold is None else c.service_level_threshold
           for c in scenario.call_types]
    return {"sl_type_threshold": np.array(own, dtype=np.float64),
            "sl_thresholds": np.array(sorted(sl.thresholds), dtype=np.float64)}


def _roster_proficiency(model: CompiledModel, groups: list) -> CompiledModel:
    """``group_proficiency`` of the groups not of identical agents: the mean factor of their agents
    over the types they serve (the budget's estimate; the engines read ``agent_factor``)."""
    if not len(model.agent_factor):
        return model
    values = model.group_proficiency.copy()
    for g, group in enumerate(groups):
        if not group.identical():
            first, n = int(model.group_start[g]), int(model.group_count[g])
            values[g] = float(model.agent_factor[first:first + n][:, model.serves[g] > 0].mean())
    return replace(model, group_proficiency=values)


def _routing_tables(scenario: Scenario, model: CompiledModel) -> dict:
    """The routing rules as per-pair arrays along both CSR tables, the re-examination delays per
    type, the wait weights and the agents' skill priorities (CompiledModel fields)."""
    r = scenario.routing
    types = {name: k for k, name in enumerate(model.call_type_names)}
    groups = {name: g for g, name in enumerate(model.group_names)}
    after, ewt, queue_over, min_idle = {}, {}, {}, {}
    for o in r.overflow:
        key = (types[o.call_type], groups[o.group])
        after[key] = math.inf if o.after is None else float(o.after)
        ewt[key] = math.inf if o.expected_wait_over is None else float(o.expected_wait_over)
    for t in r.thresholds:
        queue_over[(types[t.call_type], groups[t.group])] = int(t.queue_over)
    for res in r.reserve:  # the group keeps agents idle for res.call_type: every other type it serves waits
        g = groups[res.group]
        for name in dict.fromkeys(next(a for a in scenario.agents if a.name == res.group).serves):
            k = types[name]
            if name != res.call_type:
                min_idle[(k, g)] = max(min_idle.get((k, g), 0), int(res.agents))

    def pairs(starts, flat, by_type):
        rows = {"after": [], "ewt_over": [], "queue_over": [], "min_idle": []}
        for i in range(len(starts) - 1):
            for j in range(starts[i], starts[i + 1]):
                key = (i, int(flat[j])) if by_type else (int(flat[j]), i)
                rows["after"].append(after.get(key, 0.0))
                rows["ewt_over"].append(ewt.get(key, math.inf))
                rows["queue_over"].append(queue_over.get(key, -1))
                rows["min_idle"].append(min_idle.get(key, 0))
        return (np.array(rows["after"], dtype=np.float64), np.array(rows["ewt_over"], dtype=np.float64),
                np.array(rows["queue_over"], dtype=np.int32), np.array(rows["min_idle"], dtype=np.int32))

    tg = pairs(model.type_groups_start, model.type_groups, True)
    gt = pairs(model.group_types_start, model.group_types, False)
    served = [model.group_types[model.group_types_start[g]:model.group_types_start[g + 1]].tolist()
              for g in range(model.n_groups)]
    tg_pos = [served[int(g)].index(k) for k in range(model.n_types)
              for g in model.type_groups[model.type_groups_start[k]:model.type_groups_start[k + 1]]]
    delays, rules = [], []
    for k in range(model.n_types):
        lo, hi = model.type_groups_start[k], model.type_groups_start[k + 1]
        delays.append(sorted({float(d) for d in tg[0][lo:hi] if 0.0 < d < math.inf}))
        rules.append(int(bool(np.any(tg[1][lo:hi] < math.inf) or np.any(tg[2][lo:hi] >= 0)
                              or np.any(tg[3][lo:hi] > 0))))
    delay_start = np.concatenate([[0], np.cumsum([len(d) for d in delays])]).astype(np.int32)
    flat_delays = [d for row in delays for d in row]
    target = [r.wait_targets.get(name, scenario.service_level.threshold) for name in model.call_type_names]
    backup = np.zeros((model.n_types, model.n_groups) if after else (0, 0), dtype=np.int32)
    for k, g in after:
        backup[k, g] = 1
    # per agent only under skill_priority: a roster read by no policy costs nothing per agent
    skill = r.queue_selection == "skill_priority"
    priority = np.zeros((model.n_agents if skill else 0, model.n_types), dtype=np.int32)
    for g, name in enumerate(model.group_names if skill else ()):
        chosen = r.skill_priorities.get(name, {})
        row = np.full(model.n_types, 1000, dtype=np.int32)  # types it does not serve: never read
        for j, k in enumerate(served[g]):
            row[k] = chosen.get(model.call_type_names[k], 100 + j)  # unranked types after ranked ones
        first = int(model.group_start[g])
        priority[first:first + int(model.group_count[g])] = row
        group = next(x for x in scenario.agents if x.name == name)
        for a, member in enumerate(group.members or ()):  # a member's own priorities over the group's
            for k_name, level in member.skill_priorities.items():
                priority[first + a, model.call_type_names.index(k_name)] = level
    return dict(tg_after=tg[0], tg_ewt_over=tg[1], tg_queue_over=tg[2], tg_min_idle=tg[3],
                tg_pos=np.array(tg_pos, dtype=np.int32), gt_after=gt[0], gt_ewt_over=gt[1], gt_queue_over=gt[2],
                gt_min_idle=gt[3], type_delay_start=delay_start, type_delays=np.array(flat_delays, dtype=np.float64),
                type_rules=np.array(rules, dtype=np.int32),
                wait_weight=np.array([1.0 / t if t > 0 else 1.0 for t in target], dtype=np.float64),
                agent_priority=priority, backup=backup, level_head_start=_head_starts(r, model.n_priorities))


def _head_starts(r, levels: int) -> np.ndarray:
    """Seconds of head start per priority level in use (entries past the highest level any menu
    branch sets are not read); empty when routing.level_head_start is absent (strict levels)."""
    if r.level_head_start is None:
        return np.zeros(0)
    return np.array(r.level_head_start[:levels], dtype=np.float64)


def _inbound_tables(scenario: Scenario, type_index: dict, table: _DistTable, sources: list) -> dict:
    """Entries, IVR menus, retrials and queue limits as flat arrays (CompiledModel fields)."""
    trees = {tree.name: t for t, tree in enumerate(scenario.ivr)}
    node_names, node_tree, node_dist, branch_start = [], [], [], [0]
    cum, kind, target, priority, tree_start, tree_patience = [], [], [], [], [], []
    for t, tree in enumerate(scenario.ivr):
        first = len(node_names)
        index = {node.name: first + j for j, node in enumerate(tree.nodes)}
        tree_start.append(index[tree.start_node()])
        tree_patience.append(table.add(tree.patience))
        for node in tree.nodes:
            node_names.append(f"{tree.name}.{node.name}")
            node_tree.append(t)
            node_dist.append(table.add(node.duration))
            total = 0.0
            for b in node.branches:
                total += b.p
                cum.append(total)
                priority.append(b.priority)
                if b.node is not None:
                    kind.append(BRANCH_KINDS["node"])
                    target.append(index[b.node])
                elif b.queue is not None:
                    kind.append(BRANCH_KINDS["queue"])
                    target.append(type_index[b.queue])
                else:
                    kind.append(BRANCH_KINDS[b.exit])
                    target.append(-1)
            cum[-1] = 1.0  # the last branch takes what rounding leaves
            branch_start.append(len(cum))
    retry = [c.retrials for c in sources]
    pools = {p.name: i for i, p in enumerate(scenario.queue_pools)}
    pool_of = {name: pools[p.name] for p in scenario.queue_pools for name in p.call_types}
    i32 = lambda x: np.array(x, dtype=np.int32)  # noqa: E731
    return dict(
        entry_names=tuple(e.name for e in scenario.entries),
        entry_tree=i32([trees[e.ivr] for e in scenario.entries]),
        tree_names=tuple(tree.name for tree in scenario.ivr),
        tree_start=i32(tree_start), tree_patience_dist=i32(tree_patience),
        node_names=tuple(node_names), node_tree=i32(node_tree), node_dist=i32(node_dist),
        node_branch_start=i32(branch_start), branch_cum=np.array(cum, dtype=np.float64),
        branch_kind=i32(kind), branch_target=i32(target), branch_priority=i32(priority),
        n_priorities=1 + max(priority, default=0),
        retry_blocked=np.array([r.blocked if r else 0.0 for r in retry], dtype=np.float64),
        retry_abandoned=np.array([r.abandoned if r else 0.0 for r in retry], dtype=np.float64),
        retry_delay_dist=i32([table.add(r.delay) if r else -1 for r in retry]),  # -1: never drawn
        max_attempts=i32([r.max_attempts if r else 1 for r in retry]),
        queue_capacity=i32([-1 if c.queue_capacity is None or c.queue_capacity > INT32_MAX else c.queue_capacity
                            for c in scenario.call_types]),
        queue_pool=i32([pool_of.get(c.name, -1) for c in scenario.call_types]),
        pool_capacity=i32([min(p.capacity, INT32_MAX) for p in scenario.queue_pools]),
        full_message=np.array([-1.0 if c.queue_full_message is None else c.queue_full_message
                               for c in scenario.call_types], dtype=np.float64),
    )


def _transfer_tables(scenario: Scenario, type_index: dict) -> dict:
    """Each call type's transfers as ``CompiledModel.transfer_*`` (CSR rows, cumulative probabilities)."""
    start, cum, to = [0], [], []
    for c in scenario.call_types:
        total = 0.0
        for t in c.transfers:
            total += t.p
            cum.append(total)
            to.append(type_index[t.to])
        start.append(len(cum))
    return dict(transfer_start=np.array(start, dtype=np.int32), transfer_cum=np.array(cum, dtype=np.float64),
                transfer_to=np.array(to, dtype=np.int32))


def _schedule_tables(scenario: Scenario, groups: list) -> dict:
    """The agents' weekly on-duty tables (``CompiledModel.sched_*``), for the groups in compiled
    order: each group shift's agents (its agents in order, members with shifts of their own left
    out) get the shift's table, one per break placement when its breaks have windows; the
    group's agents in no shift an empty table (never on duty); a member's own shifts its own
    table; a table on duty all week long is no schedule at all (-1); identical tables are stored
    once. A group is ``shifted`` when it or one of its members has shifts. With shrinkage
    anywhere, ``sched_plan`` keeps what ``with_absences`` needs to remake the tables over several
    weeks with each replication's absences (one entry per agent and shift)."""
    from .scenario.hours import WEEK, WEEKDAYS

    file_index = {id(g): i for i, g in enumerate(scenario.agents)}
    shifted = [g.shifts is not None or any(m.shifts is not None for m in g.members or ()) for g in groups]
    tables, plans = ScheduleTables(WEEK), []
    # per agent only when a group has shifts: a roster without them costs nothing per agent
    agent_sched = np.full(sum(g.size for g in groups) if any(shifted) else 0, -1, dtype=np.int32)
    first = 0
    for group, has in zip(groups, shifted):
        if has:
            _give_shifts(group, file_index[id(group)], first, agent_sched, tables.index, plans)
        first += group.size
    hours = scenario.hours
    return dict(sched_shift=WEEKDAYS.index(hours.start_weekday) * DAY if hours is not None else 0.0,
                **tables.fields(), agent_sched=agent_sched,
                group_shifted=np.array(shifted, dtype=np.int32),
                sched_plan=tuple(p[:8] for p in plans) if any(p[4] > 0 for p in plans) else (),
                shift_plan=tuple((p[0], p[5], p[6], p[7][0], p[8]) for p in plans))


class ScheduleTables:
    """On-duty tables (``CompiledModel.sched_start``, ``sched_open``, ``sched_close``) being
    built: each distinct table stored once; one on duty over the whole ``period`` is no table."""

    def __init__(self, period: float):
        self.period, self.start, self.opens, self.closes, self.known = period, [0], [], [], {}

    def index(self, on: list, off: list) -> int:
        """The index of table (on, off); -1 for on duty over the whole period."""
        if on == [0.0] and off == [self.period]:
            return -1
        key = (tuple(on), tuple(off))
        if key not in self.known:
            self.known[key] = len(self.start) - 1
            self.opens.extend(on)
            self.closes.extend(off)
            self.start.append(len(self.opens))
        return self.known[key]

    def fields(self) -> dict:
        """The tables as the ``CompiledModel.sched_*`` arrays."""
        return dict(sched_start=np.array(self.start, dtype=np.int32),
                    sched_open=np.array(self.opens, dtype=np.float64),
                    sched_close=np.array(self.closes, dtype=np.float64))


def _give_shifts(group, i: int, first: int, agent_sched: np.ndarray, table, plans: list) -> None:
    """Set ``agent_sched`` of group ``group`` (file index ``i``, agents from ``first``): the
    group's shifts given in order to its agents without shifts of their own, the rest an empty
    table; a member's own shifts its own table. Appends the ``sched_plan`` entries (agent, 1,
    group name, the group's first agent, shrinkage, start, weekdays, its on-duty pieces, and the
    shift's length, which ``sched_plan`` leaves out): one
    per agent and shift, since with members a shift's agents need not be in a row, and an agent
    with several own shifts has one entry for each (``with_absences`` unites them)."""
    from .scenario.shifts import _span, group_shift_agents, period_on, plan, week_on_all

    members = group.members
    given = list(range(first, first + group.size)) if members is None else \
        [first + a for a, m in enumerate(members) if m.shifts is None]  # the agents the group's shifts go to
    if group.shifts is not None:
        at, count = 0, group_shift_agents(group)
        for j, shift in enumerate(group.shifts):
            n = count if shift.agents is None else shift.agents
            begin, days, pieces = plan(shift, n, f"agents[{i}].shifts[{j}]")
            length = _span(shift, f"agents[{i}].shifts[{j}]")[1]
            p = shift.shrinkage if shift.shrinkage is not None else group.shrinkage
            for k in range(n):
                agent_sched[given[at + k]] = table(*period_on(begin, days, pieces[k]))
                plans.append((given[at + k], 1, group.name, first, p, begin, days, (pieces[k],), length))
            at += n
        for k in range(at, count):  # the rest never log in: an empty table
            agent_sched[given[k]] = table([], [])
    for a, member in enumerate(members or ()):
        if member.shifts is None:
            continue
        for j, shift in enumerate(member.shifts):
            begin, days, pieces = plan(shift, 1, f"agents[{i}].members[{a}].shifts[{j}]")
            p = shift.shrinkage if shift.shrinkage is not None else group.shrinkage
            length = _span(shift, f"agents[{i}].members[{a}].shifts[{j}]")[1]
            plans.append((first + a, 1, group.name, first, p, begin, days, (pieces[0],), length))
        agent_sched[first + a] = table(*week_on_all(member.shifts, f"agents[{i}].members[{a}].shifts"))


def _callback_tables(scenario: Scenario, type_index: dict, counts: np.ndarray, serves: np.ndarray) -> dict:
    """Opening hours, voicemail, callbacks and announcements as ``CompiledModel`` fields."""
    from .scenario.hours import Callback, WEEKDAYS, week_table

    out = {}
    hours = scenario.hours
    if hours is not None:
        opens, closes = week_table(hours)
        closed = hours.closed
        out.update(closed_action=CLOSED_ACTIONS[closed.action], hours_shift=WEEKDAYS.index(hours.start_weekday) * DAY,
                   closed_seconds=float(getattr(closed, "message", getattr(closed, "duration", 0.0))),
                   closed_forward=type_index[closed.call_type] if closed.action == "forward" else -1,
                   hours_open=np.array(opens, dtype=np.float64), hours_close=np.array(closes, dtype=np.float64))
    if scenario.voicemail is not None:
        out["voicemail_type"] = type_index[scenario.voicemail.call_type]
    types = scenario.call_types
    cbs = [c.callback or Callback() for c in types]
    agents = (counts[:, None] * serves).sum(axis=0)  # agents able to serve each type
    f64 = lambda x: np.array(x, dtype=np.float64)  # noqa: E731
    work = [c.handle_time.mean_value() + (c.after_call_work.mean_value() if c.after_call_work else 0.0)
            for c in types]
    out.update(
        cb_offer_after=f64([math.inf if cb.offer_after is None else cb.offer_after for cb in cbs]),
        cb_accept=f64([cb.accept for cb in cbs]), cb_answer=f64([cb.answer for cb in cbs]),
        cb_ring=f64([cb.ring for cb in cbs]), cb_max_attempts=np.array([cb.max_attempts for cb in cbs], dtype=np.int32),
        cb_retry_delay=f64([cb.retry_delay for cb in cbs]), cb_target=f64([cb.target for cb in cbs]),
        wait_unit=f64([w / float(n) for w, n in zip(work, agents)]),
        ann_on=np.array([c.announcement is not None for c in types], dtype=np.int32),
        ann_threshold=f64([c.announcement.threshold if c.announcement else 0.0 for c in types]),
        ann_long=f64([c.announcement.patience_factor_long if c.announcement else 1.0 for c in types]),
        ann_short=f64([c.announcement.patience_factor_short if c.announcement else 1.0 for c in types]),
    )
    return out


def _media_arrays(scenario: Scenario, source_index: dict) -> dict:
    """The ``CompiledModel`` fields of the media schedule (empty arrays without media)."""
    media = scenario.media
    if media is None:
        return {}
    channels = media.channels
    index = {c.name: i for i, c in enumerate(channels)}
    params = np.array([c.response.delay_params() for c in channels], dtype=np.float64).reshape(-1, 3)
    airings = media.airings
    return {
        "channel_names": tuple(c.name for c in channels),
        "channel_source": np.array([source_index[c.target()] for c in channels], dtype=np.int32),
        "channel_delay": params[:, 0].copy(), "channel_shape": params[:, 1].copy(),
        "channel_scale": params[:, 2].copy(),
        "airing_time": np.array([a.time for a in airings], dtype=np.float64),
        "airing_channel": np.array([index[a.channel] for a in airings], dtype=np.int32),
        "airing_mean": np.array([media.amount(a, channels[index[a.channel]]) * channels[index[a.channel]].calls_per_unit
                                 for a in airings], dtype=np.float64),
        "airing_spend": np.array([a.spend for a in airings], dtype=np.float64),
    }


def stream_seeds(model: CompiledModel, seed) -> list[np.random.SeedSequence]:
    """One SeedSequence per (source, call type), keyed by names, not positions.

    Keys hash the source and call-type name, so adding a call type or reordering
    the file does not shift anyone else's stream (common random numbers).
    """
    root = _root(seed)
    return [_keyed(root, source, name) for source, name in model.stream_keys]


def _root(seed) -> np.random.SeedSequence:
    return seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)


def _keyed(root: np.random.SeedSequence, source: str, name: str) -> np.random.SeedSequence:
    key = (SOURCES.index(source), zlib.crc32(name.encode("utf-8")))
    return np.random.SeedSequence(root.entropy, spawn_key=tuple(root.spawn_key) + key)


def _classes(start, items) -> tuple:
    """The classes of ``idle_classes`` and ``waiting_classes``: the rows of a CSR table (row r's
    items ``items[start[r]:start[r + 1]]``) with the same set of items form one class, numbered
    in order of first row. (int32 [rows] each row's class, each class's items sorted.)"""
    start, items = np.asarray(start), np.asarray(items)
    number: dict = {}
    row_class = [number.setdefault(frozenset(items[start[r]:start[r + 1]].tolist()), len(number))
                 for r in range(len(start) - 1)]
    return np.array(row_class, dtype=np.int32), [sorted(members) for members in number]


def _class_tables(start, items, other_start, eligible, wide) -> tuple:
    """``idle_classes`` (rows: groups, items: their call types) or ``waiting_classes`` (rows:
    types, items: their groups): each row's class (``_classes``); for each item (the other side,
    its rows in ``other_start``) the classes it meets, as a uint64 mask over ceil(classes / 64)
    words (none past ``WIDE_ROUTING_WORDS`` words in all); and 1 for an item that goes through
    its classes: ``eligible`` (no rule holds it back) and wide, or meeting fewer classes than rows."""
    row_class, members = _classes(start, items)
    n = len(other_start) - 1
    words = (len(members) + 63) // 64
    classed = np.zeros(n, dtype=np.int32)
    if n * words > WIDE_ROUTING_WORDS:
        return row_class, np.zeros((n, 0), dtype=np.uint64), classed
    class_bits = _class_bits(n, words, members)
    n_rows = np.diff(np.asarray(other_start))
    classed[:] = eligible & ((wide == 1) | (_bit_counts(class_bits) < n_rows))
    return row_class, class_bits, classed


def _bit_counts(bits: np.ndarray) -> np.ndarray:
    """int64 [n]: the bits set in each row of a uint64 [n, words] mask."""
    return np.array([sum(bin(int(w)).count("1") for w in row) for row in bits], dtype=np.int64)


def _class_bits(n: int, words: int, members: list) -> np.ndarray:
    """uint64 [n, words]: bit c of row m set when m is in ``members[c]`` (the classes of
    ``CompiledModel.idle_classes`` and ``waiting_classes``; the types of each group in
    ``wide_routing``)."""
    bits = np.zeros((n, words), dtype=np.uint64)
    sizes = [len(m) for m in members]
    if sum(sizes):
        rows = np.concatenate([np.asarray(m, dtype=np.int64) for m in members])
        classes = np.repeat(np.arange(len(members), dtype=np.int64), sizes)
        np.bitwise_or.at(bits, (rows, classes >> 6), np.left_shift(np.uint64(1), (classes & 63).astype(np.uint64)))
    return bits


def bit_generators(model: CompiledModel, seed, skip: bool = True) -> list[np.random.PCG64]:
    """The PCG64 bit generators of every stream, in ``stream_keys`` order: with ``skip``, each
    stream a run never draws from (``CompiledModel.drawn_streams``) is one shared
    ``SkippedStream``, not created. The streams created are the same, keyed by names
    (``_keyed``), with or without ``skip``; their seeds come from ``_keyed_states``: 600 streams
    (200 plain call types) take 1.3 ms, not the 6.3 ms of a SeedSequence and a seeded PCG64 each."""
    root = _root(seed)
    drawn = model.drawn_streams if skip else np.ones(len(model.stream_keys), dtype=bool)
    skipped = SkippedStream() if not drawn.all() else None
    keys = [key for key, used in zip(model.stream_keys, drawn.tolist()) if used]
    words = iter(_keyed_states(root, keys))
    return [np.random.PCG64(_Seeded(next(words))) if used else skipped for used in drawn.tolist()]


# From this many keys on, ``_keyed_states`` hashes them all at once (about 0.2 ms, plus 1.4 us a
# key) rather than with a SeedSequence each (about 6 us a key): erlang_a has 3 streams.
_AT_ONCE = 24


class _Seeded(ISeedSequence):
    """The seed of one stream, its words already generated (``_keyed_states``)."""

    __slots__ = ("words",)

    def __init__(self, words: np.ndarray):
        self.words = words

    def generate_state(self, n_words, dtype=np.uint32):
        if n_words != 4 or np.dtype(dtype) != np.uint64:
            raise ValueError("a stream's seed holds the 4 uint64 words of a PCG64 seed only")
        return self.words


_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R, _MASK32 = 0xCA01F9DD, 0x4973F715, 0xFFFFFFFF


def _words(value) -> list:
    """An entropy value as SeedSequence reads it: a non-negative int as its 32-bit words, lowest
    first (0 as one word); a sequence, its items' words in turn. None for anything else."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0:
        value, words = int(value), []
        while True:
            words.append(value & _MASK32)
            value >>= 32
            if not value:
                return words
    if isinstance(value, (tuple, list)):
        words = []
        for item in value:
            item_words = _words(item)
            if item_words is None:
                return None
            words += item_words
        return words
    return None


def _keyed_states(root: np.random.SeedSequence, keys) -> np.ndarray:
    """uint64 [len(keys), 4]: for each (source, name) of ``keys``,
    ``_keyed(root, source, name).generate_state(4, np.uint64)``, the words PCG64 is seeded
    with, computed for all keys at once.

    SeedSequence (after O'Neill's seed_seq) hashes its entropy words into a pool of four 32-bit
    words, then hashes the pool into the output. The hash constants advance with each word
    hashed, not with the data, so they are the same for every key, and every key has as many
    entropy words (the root's, then its spawn key's words, the source's index and the name's
    CRC, one word each): the same steps run over an array of keys. Checked against
    SeedSequence word for word (tests/test_streams.py). Fewer than ``_AT_ONCE`` keys, or an
    entropy of another form, take one SeedSequence a key."""
    run, spawn = _words(root.entropy), _words(tuple(root.spawn_key))
    if run is None or spawn is None or len(keys) < _AT_ONCE:
        return np.array([_keyed(root, source, name).generate_state(4, np.uint64) for source, name in keys],
                        dtype=np.uint64).reshape(len(keys), 4)
    run = run + [0] * (4 - len(run))  # SeedSequence pads a spawned sequence's entropy to the pool
    common = run + spawn
    n = len(keys)
    entropy = np.empty((n, len(common) + 2), dtype=np.uint32)
    entropy[:, :len(common)] = np.array(common, dtype=np.uint32)
    entropy[:, -2] = [SOURCES.index(source) for source, _ in keys]
    entropy[:, -1] = [zlib.crc32(name.encode("utf-8")) for _, name in keys]

    hash_const = _INIT_A

    def hashmix(value):
        nonlocal hash_const
        value = value ^ np.uint32(hash_const)
        hash_const = (hash_const * _MULT_A) & _MASK32
        value = value * np.uint32(hash_const)
        return value ^ (value >> np.uint32(16))

    def mix(x, y):
        result = np.uint32(_MIX_L) * x - np.uint32(_MIX_R) * y
        return result ^ (result >> np.uint32(16))

    pool = [hashmix(entropy[:, i]) for i in range(4)]  # len(common) >= 4: the padded entropy
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = mix(pool[dst], hashmix(pool[src]))
    for src in range(4, entropy.shape[1]):
        for dst in range(4):
            pool[dst] = mix(pool[dst], hashmix(entropy[:, src]))
    out = np.empty((n, 8), dtype=np.uint32)
    hash_const = _INIT_B
    for i in range(8):
        value = pool[i % 4] ^ np.uint32(hash_const)
        hash_const = (hash_const * _MULT_B) & _MASK32
        value = value * np.uint32(hash_const)
        out[:, i] = value ^ (value >> np.uint32(16))
    # two 32-bit words make one 64-bit word, the first the low half (as SeedSequence's uint64 view)
    return out[:, 0::2].astype(np.uint64) | (out[:, 1::2].astype(np.uint64) << np.uint64(32))


class SkippedStream(np.random.PCG64):
    """The stand-in of the streams a run never draws from (``bit_generators``). The core checks
    after its run that no draw was taken from it (``check``): a draw would mean a rule of
    ``CompiledModel.drawn_streams`` skipped a stream the run needs, and changed its results."""

    def __init__(self):
        super().__init__(0)
        self._start = self.state

    def check(self):
        """Raise if anything drew from this stand-in since it was made."""
        if self.state != self._start:
            raise RuntimeError("the run drew from a stream skipped as never drawn from "
                               "(ccsim.compile.CompiledModel.drawn_streams is wrong): please report it")


def ad_stream(model: CompiledModel, channel: int) -> int:
    """Index of media channel ``channel``'s stream in ``stream_keys`` (the last ones: stream_base)."""
    return model.stream_base["ads"] + channel


def busyness_factors(model: CompiledModel, seed, k: int, days: int) -> np.ndarray:
    """Source ``k``'s (call type or entry) gamma factors (mean 1, cv ``busyness_cv[k]``) of days 0 .. days-1,
    from its own ("busyness", name) stream."""
    cv = float(model.busyness_cv[k])
    rng = np.random.Generator(np.random.PCG64(_keyed(_root(seed), "busyness", model.source_names[k])))
    return rng.gamma(1.0 / (cv * cv), cv * cv, size=days)


def with_busyness(model: CompiledModel, seed) -> CompiledModel:
    """The model one replication runs: each busy call type's profile unrolled over the
    horizon, day d's rates times that day's factor; unchanged if no type is busy.

    Both engines run what this returns, so they read the same rates. A busy
    type's slot divides a day (the schema checks), so slot i lies in day
    i // (slots per day). Factors of days past the horizon are drawn too; they
    never ring.
    """
    if not (model.busyness_cv > 0).any():
        return model
    starts, counts, repeats, parts, offset = [], [], [], [], 0
    for k in range(model.n_sources):
        start, count = int(model.rate_start[k]), int(model.rate_count[k])
        rates, repeat = model.rates[start:start + count], int(model.rate_repeat[k])
        if model.busyness_cv[k] > 0:
            slot = float(model.rate_slot[k])
            per_day = round(DAY / slot)
            # one slot past the horizon: t / slot may round up to it for t a hair below
            i = np.arange(max(1, math.ceil(model.horizon / slot)) + 1)
            base = rates[i % count] if repeat else np.where(i < count, rates[np.minimum(i, count - 1)], 0.0)
            factors = busyness_factors(model, seed, k, int(i[-1]) // per_day + 1)
            rates, count, repeat = base * factors[i // per_day], len(i), 0  # the horizon ends inside it
        starts.append(offset)
        counts.append(count)
        repeats.append(repeat)
        parts.append(rates)
        offset += count
    return replace(model, rate_start=np.array(starts, dtype=np.int32), rate_count=np.array(counts, dtype=np.int32),
                   rate_repeat=np.array(repeats, dtype=np.int32), rates=np.concatenate(parts).astype(np.float64))
