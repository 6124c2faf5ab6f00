"""What a run returns, and the KPIs computed from it (definitions as in DESIGN.md).

Both engines fill the same ``RawStats``: counters by arrival interval and call
type, per-group clock times, and totals over calls that arrived after the warm-up.
KPIs are computed here, once, for every engine.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from .errors import ArgumentError, UserError, whole_number
from .student_t import t_quantiles


# Per-call counters, by the interval of the call's arrival (seconds for sums).
CALL_FIELDS = (
    "arrived",  # every arrival
    "blocked",  # found all lines busy
    "offered",  # reached a queue
    "answered",
    "abandoned",  # hung up while waiting (patience zero: at once)
    "answered_in_sl",  # answered with wait <= service-level threshold
    "abandoned_short",  # abandoned with wait < short_abandon
    "wait_answered",  # sum of waits of answered calls
    "wait_abandoned",  # sum of waits of abandoned calls
    "talk",  # sum of talk times of answered calls
    "handle",  # sum of talk + after-call work of answered calls
    "waiting_at_end",  # still waiting when the run ended: a drain: false run's cut (or see unfinished_note)
    "retrials",  # arrivals dialled straight that were a caller's second or later attempt (a routed
    # call's retrial counts at its entry)
    "queue_full",  # blocked because the queue (or its pool) was full; also in "blocked"
    "routed",  # arrivals routed here by an entry's menu (the rest dialled the call type)
    # opening hours and callbacks (arrived = blocked + offered + closed + callbacks_accepted)
    "closed",  # dialled straight while the center was closed (then messaged, voicemail or forwarded)
    "forwarded",  # arrivals forwarded here by the closed action 'forward' (not in "routed")
    "callbacks_offered",  # callers offered a callback instead of waiting (virtual hold)
    "callbacks_accepted",  # of which accepted: they left the queue with a callback request
    "voicemails",  # voicemails left for this (the voicemail) call type to call back
    "callbacks_requested",  # callback items created: callbacks_accepted + voicemails
    "callbacks_done",  # items an agent called back and the customer answered
    "callbacks_failed",  # items given up after max_attempts unanswered calls
    "callback_delay",  # sum over callbacks_done of (answer time - request time)
    "callbacks_pending_at_end",  # items still pending when a drain: false run was cut
    # transfers (counted by the interval of the leg's arrival at its call type)
    "transferred_out",  # answered calls of this type transferred to a queue when their talk ended
    "transferred_in",  # arrivals that are such transfers (not in "routed"); in "arrived"
    "consults",  # answered calls whose talk included a consult (its time is in "talk")
    "overflowed",  # answered by a backup group: one held back by a routing.overflow rule for the type
    # the sales funnel (scenario funnel:, call types that sell): answered calls that ended in an order
    "orders",
    "order_value",  # sum of their order values (the product, without cross-sell: FUNNEL_FIELDS)
)
# Per agent group, totals: calls and their durations (post-warm-up arrivals),
# and clock time busy / staffed within [warm-up, horizon].
GROUP_FIELDS = ("answered", "talk", "handle", "busy", "staffed")
# The sales funnel (scenario ``funnel:``): each order of a post-warm-up call, counted once by
# the state it reached at the cut (horizon + funnel.follow_days), in the rows of its call type,
# media channel (0 = organic), airing and the agent who took the call. Identities, in every row:
#   orders = verified + cancelled_by_customer + cancelled_unreached + pending_verification
#   verified = shipped + awaiting_shipment
#   shipped = signed + refused + in_transit
#   signed = collected + awaiting_settlement
# Values are money: order_value (the product), cross_sell_value, and parcel values (order +
# cross-sell) for shipped, signed, refused and collected.
FUNNEL_FIELDS = (
    "sales_answered",  # answered calls of a call type with a funnel
    "orders", "order_value", "cross_sells", "cross_sell_value",
    "verification_attempts",
    "verified", "cancelled_by_customer", "cancelled_unreached", "pending_verification",
    "shipped", "shipped_value", "awaiting_shipment",
    "signed", "signed_value", "refused", "refused_value", "in_transit",
    "collected", "collected_value", "awaiting_settlement",
    "returned",  # refused parcels back at the warehouse by the cut
)
# Money flow by the day each event happens (day d = [d x 86400, (d+1) x 86400) s), per media
# channel (0 = organic), for orders of post-warm-up calls, up to the cut.
FUNNEL_DAY_FIELDS = ("orders", "gross_value", "verified", "cancelled", "shipped", "shipped_value", "signed",
                     "refused", "collected", "collected_value", "returned")
# Per-agent totals: answers of post-warm-up calls, clock time within [warm-up, horizon].
# transfers: answered calls the agent transferred to a queue at the end of their talk.
AGENT_FIELDS = ("answered", "talk", "acw", "busy", "staffed", "transfers")
# Per interval and group: clock seconds staffed and busy (talk or ACW).
INTERVAL_GROUP_FIELDS = ("staffed", "busy")

# Per entry (a number with an IVR menu), by the interval of the attempt's ring.
ENTRY_FIELDS = (
    "arrived",  # attempts that rang the entry (first attempts and retrials)
    "retrials",  # of which retrials
    "blocked",  # found all lines busy
    "ivr_hung_up",  # ran out of IVR patience inside the menu
    "hang_up",  # took a menu branch that ends the call
    "self_service",  # served by the menu
    "voicemail",  # left a voicemail
    "routed",  # reached a call type's queue (then counted there as "arrived")
    "in_ivr_at_end",  # still in the menu when a drain: false run was cut
    "ivr_seconds",  # sum of the time callers spent in the menu (counted as they leave it)
    "closed",  # rang while the center was closed (message, voicemail or forward: not in the menu)
)
# Per IVR node, totals over attempts that rang after the warm-up.
NODE_FIELDS = ("entered", "hung_up", "to_node", "to_queue", "self_service", "hang_up", "voicemail")
# Per source of callers (call types, then entries), totals over callers whose first attempt
# rang after the warm-up: each caller once, by how its last attempt ended.
CALLER_FIELDS = (
    "callers",  # first attempts
    "served",  # answered by an agent
    "abandoned",  # hung up waiting in a queue and did not try again
    "blocked",  # blocked (lines or full queue) and did not try again
    "ivr_hung_up", "hang_up", "self_service", "voicemail",  # ended in the menu
    "retry_after_horizon",  # would have tried again after the horizon, when arrivals have stopped
    "in_system_at_end",  # waiting or in the menu when a drain: false run was cut
    "closed",  # heard the closed message
    # a callback request (virtual hold, or a voicemail when a voicemail call type is set) ends as
    "callback_done", "callback_failed", "callback_pending",  # (pending: when a drain: false run was cut)
    # not an outcome: the sum over served callers of the seconds from the ring of the attempt they
    # were served in to the end of their last talk (after every transfer); / served = the mean
    "time_in_center",
)
CALLER_OUTCOMES = CALLER_FIELDS[1:-1]
CALLER_COUNTS = CALLER_FIELDS[:-1]  # the counts (callers and outcomes): the columns of the caller tables

# Per media channel (index 0 = organic callers, then the channels in file order), by the
# interval of the caller's first ring, and per airing: each caller once, by how its last
# attempt ended (the caller fields: callers, served, abandoned, blocked, ...).
CHANNEL_FIELDS = CALLER_FIELDS
ORGANIC = "organic"

# Per-call records (CDR-like), one row per attempt, only when asked for. ``id`` numbers the
# caller (its retrials share it), ``source`` is its call type or entry (call types first);
# ``channel`` and ``airing`` are the media channel and airing of an ad caller, -1 for an
# organic one. Keep in step with the core's ``CallRecord`` struct.
CALL_RECORD_FIELDS = ("id", "arrival", "wait", "talk", "acw", "call_type", "outcome", "agent", "group",
                      "source", "attempt", "channel", "airing")
CALL_RECORD_DTYPE = np.dtype([("id", np.int64), ("arrival", np.float64), ("wait", np.float64),
                              ("talk", np.float64), ("acw", np.float64), ("call_type", np.int32),
                              ("outcome", np.int32), ("agent", np.int32), ("group", np.int32),
                              ("source", np.int32), ("attempt", np.int32), ("channel", np.int32),
                              ("airing", np.int32)], align=True)
OUTCOMES = ("answered", "abandoned", "blocked", "waiting_at_end", "queue_full", "ivr_hung_up", "hang_up",
            "self_service", "voicemail", "in_ivr_at_end", "closed", "callback_requested", "callback_done",
            "callback_failed", "callback_pending")

KPI_NAMES = (
    "arrivals", "offered", "answered", "abandoned", "blocked", "service_level", "asa",
    "abandon_rate", "blocked_rate", "occupancy", "aht", "mean_wait_abandoned", "waiting_at_end",
)
COUNT_KPIS = ("arrivals", "offered", "answered", "abandoned", "blocked", "waiting_at_end")

KPI_DEFINITIONS = {
    "arrivals": "calls that rang (after the warm-up)",
    "offered": "calls that reached a queue",
    "answered": "calls answered by an agent",
    "abandoned": "callers who hung up while waiting (patience 0: at once)",
    "blocked": "calls that found every line busy",
    "service_level": "answered within T seconds / offered (default denominator)",
    "asa": "mean wait of answered calls (s)",
    "abandon_rate": "abandoned / offered",
    "blocked_rate": "blocked / arrivals",
    "occupancy": "time busy or in after-call work / time logged in and not on break",
    "aht": "mean talk + after-call work of answered calls (s)",
    "mean_wait_abandoned": "mean wait of abandoned calls (s)",
    "waiting_at_end": "callers still waiting when the run ended (drain: false: at the horizon)",
}

# KPIs of the inbound path (Result.lost_call_kpis()), from the lost-call breakdown of
# Result.lost_calls(): attempts are every ring (first or retrial), callers each counted once.
LOST_KPI_NAMES = ("lost_rate", "blocked_lines_rate", "ivr_hang_up_rate", "callers_lost_rate", "callers")
LOST_KPI_DEFINITIONS = {
    "lost_rate": "lost / attempts: lost = blocked (lines busy, or queue full) + abandoned in a queue; "
                 "attempts = every ring, first or retrial",
    "blocked_lines_rate": "attempts that found every line busy / attempts (needs lines)",
    "ivr_hang_up_rate": "IVR hang-ups by patience / attempts that rang an entry (needs entries, "
                        "and a menu with patience)",
    "callers_lost_rate": "callers lost for good / callers: each caller once, lost when its last attempt "
                         "was blocked, abandoned, hung up in the menu (patience or a hang_up branch), "
                         "heard the closed message, had its callback fail, or would have retried after the "
                         "horizon",
    "callers": "callers (first attempts); per media channel with [channel=NAME] (or [channel=organic])",
}
# A caller's last outcomes that lose it for good (Result.lost_calls()'s callers_lost).
CALLER_LOST_OUTCOMES = ("abandoned", "blocked", "ivr_hung_up", "hang_up", "retry_after_horizon", "closed",
                        "callback_failed")
# The keys of Result.lost_calls() every scenario can fill; lost_call_rows adds those of its features.
LOST_BASE_ROWS = frozenset({"attempts", "abandoned", "lost", "answered", "callers", "callers_served",
                            "callers_lost"})


def lost_call_rows(scenario: dict) -> frozenset:
    """The keys of ``Result.lost_calls()`` that a scenario (plain data, ``scenario_to_dict``) can make
    other than 0: the base rows, and those of its lines, queue limits, retrials, entries (menus),
    opening hours, voicemail and callbacks. The terminal's lost-call table shows these rows; the
    report's lost-call section is shown for scenarios with any beyond the base."""
    types, entries = scenario.get("call_types", []), scenario.get("entries", [])
    rows = set(LOST_BASE_ROWS)
    if any(c.get("retrials") is not None for c in (*types, *entries)):
        rows |= {"first_attempts", "retrials", "callers_retry_after_horizon"}
    if scenario.get("lines") is not None:
        rows.add("blocked_lines")
    if scenario.get("queue_pools") or any(c.get("queue_capacity") is not None for c in types):
        rows.add("blocked_queue_full")
    if entries:
        rows |= {"ivr_hung_up", "ivr_hang_up", "self_service", "voicemail"}
    if scenario.get("hours") is not None:
        rows |= {"closed", "voicemail"}
    if scenario.get("voicemail") is not None or any(c.get("callback") is not None for c in types):
        rows |= {"voicemail_callbacks", "callbacks_requested", "callbacks_done", "callbacks_failed",
                 "callback_mean_delay"}
    return frozenset(rows)


@dataclass
class RawStats:
    """The counters an engine fills (see the *_FIELDS tuples for the last axes)."""

    interval_calls: np.ndarray  # [interval, call type, CALL_FIELDS]
    total_calls: np.ndarray  # [call type, CALL_FIELDS], post-warm-up arrivals
    group_totals: np.ndarray  # [group, GROUP_FIELDS]
    interval_groups: np.ndarray  # [interval, group, INTERVAL_GROUP_FIELDS]
    calls_simulated: int  # every arrival processed, warm-up included
    end_time: float  # clock of the last event of the center (after draining)
    call_records: Optional[np.ndarray] = None  # per-call records, when asked for (CALL_RECORD_FIELDS)
    interval_entries: Optional[np.ndarray] = None  # [interval, entry, ENTRY_FIELDS]
    total_entries: Optional[np.ndarray] = None  # [entry, ENTRY_FIELDS], post-warm-up attempts
    node_totals: Optional[np.ndarray] = None  # [node, NODE_FIELDS]
    callers: Optional[np.ndarray] = None  # [source, CALLER_FIELDS]
    interval_channels: Optional[np.ndarray] = None  # [interval, 1 + channels, CHANNEL_FIELDS], 0 = organic
    total_channels: Optional[np.ndarray] = None  # [1 + channels, CHANNEL_FIELDS], post-warm-up first rings
    airing_calls: Optional[np.ndarray] = None  # [airing, CHANNEL_FIELDS], post-warm-up first rings
    agent_totals: Optional[np.ndarray] = None  # [agent, AGENT_FIELDS]
    agent_types: Optional[np.ndarray] = None  # [agent, call type]: calls answered (post-warm-up arrivals)
    # the sales funnel (FUNNEL_FIELDS; empty without one)
    funnel_types: Optional[np.ndarray] = None  # [call type, FUNNEL_FIELDS]
    funnel_channels: Optional[np.ndarray] = None  # [1 + channel, FUNNEL_FIELDS], 0 = organic
    funnel_airings: Optional[np.ndarray] = None  # [airing, FUNNEL_FIELDS]
    funnel_agents: Optional[np.ndarray] = None  # [agent, FUNNEL_FIELDS]
    funnel_days: Optional[np.ndarray] = None  # [day, 1 + channel, FUNNEL_DAY_FIELDS]
    # answers with wait <= each of CompiledModel.sl_thresholds (the extra service-level thresholds)
    interval_within: Optional[np.ndarray] = None  # [interval, call type, threshold]
    total_within: Optional[np.ndarray] = None  # [call type, threshold], post-warm-up arrivals

    def __post_init__(self):
        # engines and stores of before the inbound path leave these out: empty tables
        n, k = self.interval_calls.shape[:2]
        if self.interval_entries is None:
            self.interval_entries = np.zeros((n, 0, len(ENTRY_FIELDS)))
        if self.total_entries is None:
            self.total_entries = np.zeros((self.interval_entries.shape[1], len(ENTRY_FIELDS)))
        if self.node_totals is None:
            self.node_totals = np.zeros((0, len(NODE_FIELDS)))
        if self.callers is None:
            self.callers = np.zeros((k + self.total_entries.shape[0], len(CALLER_FIELDS)))
        if self.interval_channels is None:
            self.interval_channels = np.zeros((n, 1, len(CHANNEL_FIELDS)))
        if self.total_channels is None:
            self.total_channels = np.zeros((self.interval_channels.shape[1], len(CHANNEL_FIELDS)))
        if self.airing_calls is None:
            self.airing_calls = np.zeros((0, len(CHANNEL_FIELDS)))
        if self.agent_totals is None:
            self.agent_totals = np.zeros((0, len(AGENT_FIELDS)))
        if self.agent_types is None:
            self.agent_types = np.zeros((self.agent_totals.shape[0], k))
        nf = len(FUNNEL_FIELDS)
        if self.funnel_types is None:
            self.funnel_types = np.zeros((k, nf))
        if self.funnel_channels is None:
            self.funnel_channels = np.zeros((self.total_channels.shape[0], nf))
        if self.funnel_airings is None:
            self.funnel_airings = np.zeros((self.airing_calls.shape[0], nf))
        if self.funnel_agents is None:
            self.funnel_agents = np.zeros((self.agent_totals.shape[0], nf))
        if self.funnel_days is None:
            self.funnel_days = np.zeros((0, self.total_channels.shape[0], len(FUNNEL_DAY_FIELDS)))
        if self.interval_within is None:
            self.interval_within = np.zeros((n, k, 0))
        if self.total_within is None:
            self.total_within = np.zeros((k, self.interval_within.shape[2]))


def _ratio(num, den):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def compute_kpis(calls: np.ndarray, busy, staffed, sl_denominator: str = "offered") -> dict:
    """KPIs from summed call counters (last axis CALL_FIELDS) and clock times.

    Works elementwise, so ``calls`` may carry leading axes (intervals, batches).
    """
    f = {name: calls[..., i] for i, name in enumerate(CALL_FIELDS)}
    sl_den = _sl_denominator(calls, sl_denominator)
    return {
        "arrivals": f["arrived"],
        "offered": f["offered"],
        "answered": f["answered"],
        "abandoned": f["abandoned"],
        "blocked": f["blocked"],
        "service_level": _ratio(f["answered_in_sl"], sl_den),
        "asa": _ratio(f["wait_answered"], f["answered"]),
        "abandon_rate": _ratio(f["abandoned"], f["offered"]),
        "blocked_rate": _ratio(f["blocked"], f["arrived"]),
        "occupancy": _ratio(np.asarray(busy, dtype=float), np.asarray(staffed, dtype=float)),
        "aht": _ratio(f["handle"], f["answered"]),
        "mean_wait_abandoned": _ratio(f["wait_abandoned"], f["abandoned"]),
        "waiting_at_end": f["waiting_at_end"],
    }


def center_calls(calls: np.ndarray, entries: np.ndarray) -> np.ndarray:
    """Call counters of the whole center (last axis CALL_FIELDS), from the call types' counters
    summed over the types and the entries' summed over the entries (last axis ENTRY_FIELDS; the
    same leading axes: none, intervals or batches).

    ``arrived`` counts each ring once, where it rang: at an entry (an IVR number) or at a call
    type dialled straight, not again at the call type an entry's menu routed it to, the closed
    action forwarded it to or a transfer moved it to. ``blocked``: the entries' line-blocked
    attempts + the call types' blocked (lines, or a full queue, a transfer leg's too: its caller,
    answered once, is lost, as the lost-call table counts it). The other counters are the call
    types' (offered, answered, ... of the queues); these are the headline KPIs' counters,
    ``arrived`` the lost-call breakdown's attempts."""
    c, e = CALL_FIELDS.index, ENTRY_FIELDS.index
    out = np.array(calls, dtype=float)
    out[..., c("arrived")] = (calls[..., c("arrived")] - calls[..., c("routed")] - calls[..., c("forwarded")]
                              - calls[..., c("transferred_in")] + entries[..., e("arrived")])
    out[..., c("blocked")] = calls[..., c("blocked")] + entries[..., e("blocked")]
    return out


def _sl_denominator(calls: np.ndarray, sl_denominator: str) -> np.ndarray:
    """The service level's denominator from call counters (last axis CALL_FIELDS)."""
    f = {name: calls[..., CALL_FIELDS.index(name)] for name in ("offered", "answered", "abandoned_short")}
    if sl_denominator == "answered":
        return f["answered"]
    if sl_denominator == "offered_excl_short_abandons":
        return f["offered"] - f["abandoned_short"]
    return f["offered"]


def service_level_within(calls: np.ndarray, within: np.ndarray, sl_denominator: str = "offered") -> np.ndarray:
    """Service level at each extra threshold: ``within`` (last axis: thresholds, answers with
    wait <= each) over the denominator of ``calls`` (last axis CALL_FIELDS; same leading axes)."""
    return _ratio(within, _sl_denominator(calls, sl_denominator)[..., None])


# The row of the service-level tables holding every call type together.
ALL_TYPES = "all"


def mean_halfwidth(values, level: float = 0.95):
    """Mean and Student-t half-width over axis 0, ignoring non-finite values.

    Works on a 1-d array (floats back) or column-wise on a 2-d one (per-interval
    bands across replications). A half-width needs two finite values, else nan.
    """
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    n = finite.sum(axis=0)
    clean = np.where(finite, values, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, clean.sum(axis=0) / np.maximum(n, 1), np.nan)
        sd = np.sqrt(np.where(finite, (clean - mean) ** 2, 0.0).sum(axis=0) / np.maximum(n - 1, 1))
        q = t_quantiles(np.maximum(n - 1, 1), 0.5 + level / 2)  # scipy's stdtrit, without its import
        hw = np.where(n >= 2, q * sd / np.sqrt(np.maximum(n, 1)), np.nan)
    if values.ndim == 1:
        return float(mean), float(hw)
    return mean, hw


def ci_cell(values, level: float = 0.95) -> dict:
    """{"mean", "ci_halfwidth"} of ``values`` (``mean_halfwidth``: non-finite values left out;
    no finite value: both NaN; one: a NaN half-width), the cell of every summary across
    replications (``ccsim run --json``, ``ccsim workforce --json``)."""
    mean, halfwidth = mean_halfwidth(np.ravel(np.asarray(values, dtype=float)), level)
    return {"mean": mean, "ci_halfwidth": halfwidth}


def t_halfwidth(values, level: float = 0.95) -> float:
    """Half-width of the Student-t confidence interval of the mean of ``values``."""
    return mean_halfwidth(np.ravel(values), level)[1]


@dataclass(repr=False)
class Result:
    """One replication: the raw counters plus what is needed to read them.

    Tables come as pandas DataFrames (``intervals()``, ``call_types()``,
    ``groups()``) or, for the older callers, as numpy arrays and dicts.
    """

    engine: str
    seed: object  # the replication's SeedSequence (or what the caller passed)
    scenario_name: str
    model: object  # CompiledModel
    stats: RawStats
    wall_seconds: float
    sl_denominator: str = "offered"
    scenario: object = None  # the validated Scenario (service-level goals); None if unknown
    _kpis: dict = field(default=None)

    def __repr__(self) -> str:
        k = self.kpis()
        shown = ", ".join(f"{name} {_short_number(k[name])}{' s' if name == 'asa' else ''}" for name in REPR_KPIS)
        name = f" {self.scenario_name!r}" if self.scenario_name else ""
        return (f"<Result{name}: engine {self.engine}, {describe_seed(self.seed)}, "
                f"{self.calls_simulated:,} calls; {shown}>")

    @property
    def calls_simulated(self) -> int:
        return self.stats.calls_simulated

    def kpis(self) -> dict:
        """Totals over calls that arrived after the warm-up (all call types)."""
        if self._kpis is None:
            s = self.stats
            busy = s.group_totals[:, GROUP_FIELDS.index("busy")].sum()
            staffed = s.group_totals[:, GROUP_FIELDS.index("staffed")].sum()
            calls = center_calls(s.total_calls.sum(axis=0), s.total_entries.sum(axis=0))
            out = compute_kpis(calls, busy, staffed, self.sl_denominator)
            self._kpis = {k: float(v) for k, v in out.items()}
            self._kpis["time_in_center"] = self.time_in_center()
            from .money import has_money

            if has_money(self):
                self._kpis.update(self.money())
        return dict(self._kpis)

    def money(self) -> dict:
        """The money KPIs (``ccsim.money.MONEY_KPI_NAMES``: conversion, roi, collected_revenue, ...;
        definitions in ``MONEY_KPI_DEFINITIONS``). Also in ``kpis()`` when the scenario has a
        sales funnel or a ``costs:`` section. Across replications: ``ccsim.money.money_summary``."""
        from .money import money_kpis

        return money_kpis(self)

    def costs(self) -> dict:
        """What the run cost, by item (``ccsim.money.COST_ITEMS``: agents, telecom, fulfilment,
        shipping, returns, ads) and ``total``, with ``agent_hours`` and ``line_minutes``."""
        from .money import cost_breakdown

        return cost_breakdown(self)

    def funnel(self, by: Optional[str] = None):
        """The sales funnel as a DataFrame: ``by=None`` per call type (then ``all``), the
        FUNNEL_FIELDS counts; ``"channel"``, ``"airing"``: orders, revenue, spend and ROAS per
        source; ``"agent"``, ``"team"``: calls, orders, conversion, revenue, cost; ``"day"``,
        ``"week"``: funnel counts and money by the day events happen (``ccsim.money``)."""
        from . import money

        tables = {None: money.funnel_table, "channel": money.channel_table, "airing": money.airing_table,
                  "agent": money.agent_table, "team": money.team_table, "day": money.day_table,
                  "week": lambda r: money.day_table(r, week=True)}
        if by not in tables:
            raise ArgumentError(f"by must be one of {', '.join(map(repr, tables))}, got {by!r}")
        return tables[by](self)

    def time_in_center(self) -> float:
        """Mean seconds a served caller spent in the center (after the warm-up): from the ring of the
        attempt it was served in (IVR included) to the end of its last talk, every transfer
        included; nan without served callers. Also ``kpis()["time_in_center"]``."""
        callers = self.stats.callers.sum(axis=0)
        return float(_ratio(callers[CALLER_FIELDS.index("time_in_center")], callers[CALLER_FIELDS.index("served")]))

    def kpis_by_call_type(self) -> dict:
        """{call type name: KPI dict}; occupancy is not split by call type (nan)."""
        out = {}
        for k, name in enumerate(self.model.call_type_names):
            values = compute_kpis(self.stats.total_calls[k], np.nan, np.nan, self.sl_denominator)
            out[name] = {key: float(v) for key, v in values.items()}
        return out

    def service_level_values(self) -> np.ndarray:
        """float [call types + 1, thresholds]: the service level of each call type (the last row:
        all call types together) at each extra threshold (``service_level.thresholds``, ascending),
        with the configured denominator, over calls that arrived after the warm-up."""
        s = self.stats
        calls = np.vstack([s.total_calls, s.total_calls.sum(axis=0)[None]])
        within = np.vstack([s.total_within, s.total_within.sum(axis=0)[None]])
        return service_level_within(calls, within, self.sl_denominator)

    def service_levels(self):
        """DataFrame, one row per (call type, threshold) (a MultiIndex; call type ``all`` = every
        call type together): ``service_level`` at each of ``service_level.thresholds`` with the
        configured denominator. Empty when the scenario lists no thresholds; the service level at
        each call type's own threshold is ``kpis_by_call_type()``'s. Across replications:
        ``service_level_table``."""
        return _service_level_frame(self.model, {"service_level": self.service_level_values()})

    def lost_calls(self) -> dict:
        """The lost-call breakdown (呼损) over attempts and callers after the warm-up.

        Attempts: every ring, first or retrial; ``lost`` = blocked (lines busy, or queue
        full) + abandoned in a queue; menu hang-ups are reported apart. Callers: each
        counted once by how its last attempt ended.
        """
        s = self.stats
        calls = dict(zip(CALL_FIELDS, s.total_calls.sum(axis=0)))
        entries = dict(zip(ENTRY_FIELDS, s.total_entries.sum(axis=0)))
        callers = dict(zip(CALLER_FIELDS, s.callers.sum(axis=0)))
        center = dict(zip(CALL_FIELDS, center_calls(s.total_calls.sum(axis=0), s.total_entries.sum(axis=0))))
        blocked_lines = center["blocked"] - calls["queue_full"]
        out = {
            "attempts": center["arrived"],
            "retrials": calls["retrials"] + entries["retrials"],
            "blocked_lines": blocked_lines,
            "blocked_queue_full": calls["queue_full"],
            "abandoned": calls["abandoned"],
            "lost": blocked_lines + calls["queue_full"] + calls["abandoned"],
            "ivr_hung_up": entries["ivr_hung_up"],
            "ivr_hang_up": entries["hang_up"],
            "self_service": entries["self_service"],
            "voicemail": entries["voicemail"],
            "answered": calls["answered"],
            "closed": calls["closed"] + entries["closed"],
            "voicemail_callbacks": calls["voicemails"],
            "callbacks_requested": calls["callbacks_requested"],
            "callbacks_done": calls["callbacks_done"],
            "callbacks_failed": calls["callbacks_failed"],
            # mean seconds from a callback's request to the customer answering the agent's call
            "callback_mean_delay": (calls["callback_delay"] / calls["callbacks_done"] if calls["callbacks_done"]
                                    else math.nan),
        }
        out["first_attempts"] = out["attempts"] - out["retrials"]
        for name in CALLER_COUNTS:
            out[f"callers_{name}" if name != "callers" else "callers"] = callers[name]
        out["callers_lost"] = sum(callers[name] for name in CALLER_LOST_OUTCOMES)
        return {k: float(v) for k, v in out.items()}

    def lost_call_kpis(self) -> dict:
        """The LOST_KPI_NAMES of the center (definitions in LOST_KPI_DEFINITIONS), from ``lost_calls()``."""
        lost = self.lost_calls()
        entry_attempts = float(self.stats.total_entries[:, ENTRY_FIELDS.index("arrived")].sum())
        return {
            "lost_rate": float(_ratio(lost["lost"], lost["attempts"])),
            "blocked_lines_rate": float(_ratio(lost["blocked_lines"], lost["attempts"])),
            "ivr_hang_up_rate": float(_ratio(lost["ivr_hung_up"], entry_attempts)),
            "callers_lost_rate": float(_ratio(lost["callers_lost"], lost["callers"])),
            "callers": lost["callers"],
        }

    def channel_kpis(self) -> dict:
        """{channel: {callers, callers_lost_rate}} per source of callers (``organic``, then the
        media channels), over callers whose first ring came after the warm-up."""
        totals = self.stats.total_channels
        lost = sum(totals[:, CHANNEL_FIELDS.index(name)] for name in CALLER_LOST_OUTCOMES)
        callers = totals[:, CHANNEL_FIELDS.index("callers")]
        rates = _ratio(lost, callers)
        return {name: {"callers": float(callers[i]), "callers_lost_rate": float(rates[i])}
                for i, name in enumerate((ORGANIC, *self.model.channel_names))}

    def entries(self):
        """DataFrame, one row per entry (index ``entry``): ENTRY_FIELDS totals after the warm-up."""
        import pandas as pd

        frame = pd.DataFrame(self.stats.total_entries, index=list(self.model.entry_names),
                             columns=list(ENTRY_FIELDS))
        frame.index.name = "entry"
        return frame

    def ivr_nodes(self):
        """DataFrame, one row per IVR node (index ``node``, "menu.node"): entered, hung up, and
        where callers went from it (NODE_FIELDS), over attempts that rang after the warm-up."""
        import pandas as pd

        frame = pd.DataFrame(self.stats.node_totals, index=list(self.model.node_names), columns=list(NODE_FIELDS))
        frame.index.name = "node"
        frame.insert(2, "completed", frame["entered"] - frame["hung_up"])
        return frame

    def callers(self):
        """DataFrame, one row per source of callers (index ``source``: call types, then entries):
        callers (first attempts after the warm-up) and how their last attempt ended; the
        outcome columns add up to ``callers`` (the time in the center: ``time_in_center()``)."""
        import pandas as pd

        frame = pd.DataFrame(self.stats.callers[:, :len(CALLER_COUNTS)], index=list(self.model.source_names),
                             columns=list(CALLER_COUNTS))
        frame.index.name = "source"
        return frame

    def call_types(self):
        """DataFrame, one row per call type (index ``call_type``): the KPIs of ``kpis()``
        but occupancy, which agents have, not call types."""
        import pandas as pd

        rows = self.kpis_by_call_type()
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(CALL_TYPE_KPIS))
        frame.index.name = "call_type"
        return frame

    def call_type_counts(self):
        """DataFrame, one row per call type (index ``call_type``): every counter of CALL_FIELDS
        (arrived, routed, forwarded, closed, callbacks_..., transfers, orders, ...) over calls
        that arrived after the warm-up, the numbers the KPIs of ``call_types()`` are made of."""
        import pandas as pd

        frame = pd.DataFrame(self.stats.total_calls, index=list(self.model.call_type_names), columns=list(CALL_FIELDS))
        frame.index.name = "call_type"
        return frame

    def channels(self):
        """DataFrame, one row per source of calls (index ``channel``: ``organic``, then the
        media channels in file order): airings, spend, then the CHANNEL_FIELDS counts of
        callers whose first ring came after the warm-up, and ``calls_per_1000_spend`` (callers per
        1,000 of spend; NaN for organic calls and a channel with no spend)."""
        import pandas as pd

        frame = pd.DataFrame(self._channel_columns(), index=[ORGANIC, *self.model.channel_names])
        frame.index.name = "channel"
        return frame

    def channel_rows(self) -> dict:
        """``channels`` as {channel: {column: value}}, without pandas."""
        columns = self._channel_columns()
        names = [ORGANIC, *self.model.channel_names]
        return {name: {key: values[i] for key, values in columns.items()} for i, name in enumerate(names)}

    def _channel_columns(self) -> dict:
        """The columns of ``channels``, in order, one value per channel (organic first)."""
        m, totals = self.model, self.stats.total_channels
        airings = np.bincount(m.airing_channel, minlength=m.n_channels).astype(float)
        spend = np.concatenate([[np.nan], np.bincount(m.airing_channel, weights=m.airing_spend,
                                                      minlength=m.n_channels)])
        columns = {"airings": np.concatenate([[np.nan], airings]), "spend": spend}
        columns.update({name: totals[:, i] for i, name in enumerate(CALLER_COUNTS)})
        columns["calls_per_1000_spend"] = 1000.0 * _ratio(columns["callers"], spend)
        return columns

    def airings(self):
        """DataFrame, one row per airing (index ``airing``, the scenario's order: inline, then
        CSV): time, channel, spend, ``expected_calls`` (Poisson mean of its calls before the
        horizon) and the CHANNEL_FIELDS counts of its callers (first ring after the warm-up)."""
        import pandas as pd

        from .budget import airing_expected_calls

        m = self.model
        frame = pd.DataFrame({
            "time": m.airing_time,
            "channel": pd.Categorical.from_codes(m.airing_channel, categories=list(m.channel_names)),
            "spend": m.airing_spend,
            "expected_calls": airing_expected_calls(m),
        })
        for i, name in enumerate(CALLER_COUNTS):
            frame[name] = self.stats.airing_calls[:, i]
        frame.index.name = "airing"
        return frame

    def group_table(self) -> dict:
        """{group name: {agents, answered, aht, occupancy}}."""
        out = {}
        g = self.stats.group_totals
        for i, name in enumerate(self.model.group_names):
            row = dict(zip(GROUP_FIELDS, g[i]))
            out[name] = {
                "agents": int(self.model.group_count[i]),
                "answered": row["answered"],
                "aht": row["handle"] / row["answered"] if row["answered"] else float("nan"),
                "occupancy": row["busy"] / row["staffed"] if row["staffed"] else float("nan"),
            }
        return out

    def groups(self):
        """DataFrame, one row per agent group (index ``group``): agents, answered, aht, occupancy."""
        import pandas as pd

        frame = pd.DataFrame.from_dict(self.group_table(), orient="index",
                                       columns=["agents", "answered", "aht", "occupancy"])
        frame.index.name = "group"
        return frame

    def agents(self):
        """DataFrame, one row per agent (index ``agent``, its number in the engines): the roster
        (``CompiledModel.roster``: id, group, team, squad, leader, tenure_days, conversion,
        qa_fatal, qa_nonfatal), then this replication's totals (AGENT_FIELDS: answered, talk,
        acw, busy, staffed; seconds), ``occupancy`` = busy / staffed, ``aht`` = (talk + acw) /
        answered (NaN without answers or staffed time), and ``answered_<type>`` per call type.
        Answers, talk and ACW count calls that arrived after the warm-up; busy and staffed are
        clock time after it. ``mean_agents`` averages it over replications."""
        frame = self.model.roster()
        totals = self.stats.agent_totals
        for i, name in enumerate(AGENT_FIELDS):
            frame[name] = totals[:, i] if len(totals) == len(frame) else np.zeros(len(frame))
        frame["occupancy"] = _ratio(frame["busy"].to_numpy(), frame["staffed"].to_numpy())
        frame["aht"] = _ratio((frame["talk"] + frame["acw"]).to_numpy(), frame["answered"].to_numpy())
        types = self.stats.agent_types
        for k, name in enumerate(self.model.call_type_names):
            frame[f"answered_{name}"] = types[:, k] if len(types) == len(frame) else np.zeros(len(frame))
        return frame

    def agent_table(self, rank_by: str = "calls_per_hour", ascending=None):
        """DataFrame, one row per agent, ranked: ``agents()`` with idle, break_time, logged_in,
        calls_per_hour and ``rank`` (``ccsim.agent_report.agent_table``: definitions there)."""
        from .agent_report import agent_table

        return agent_table(self, rank_by, ascending)

    def rollup(self, by: str = "team"):
        """The agent table summed per team (``by="team"``) or squad (``by="squad"``), ratios from
        the sums, leaders named (``ccsim.agent_report.rollup``)."""
        from .agent_report import rollup

        return rollup(self.agent_table(), by)

    def skills(self):
        """DataFrame, one row per call type: service level at its own threshold, ASA, abandonment,
        overflowed count and share, transfers in and out (``ccsim.agent_report.skill_table``)."""
        from .agent_report import skill_table

        return skill_table(self)

    def intervals(self, by: Optional[str] = None, as_frame: bool = True):
        """Per-interval table: clock span, ``warmup`` flag, then staffing or KPIs.

        ``by=None``: one row per interval, all call types and groups together
        (``staffed_agents``, ``busy_agents`` and the KPIs). ``by="call_type"``:
        long format, one row per (interval, call type) with a ``call_type``
        column, the call KPIs and the counts ``retrials`` (straight redials), ``routed`` (from a
        menu) and ``queue_full``. ``by="group"``: one row per (interval, agent
        group) with ``staffed_agents``, ``busy_agents`` and ``occupancy``.
        ``by="entry"``: one row per (interval, entry) with the ENTRY_FIELDS counts of the
        attempts that rang it (first and retrials), the menu's outcomes and ``ivr_seconds``.
        ``by="channel"``: one row per (interval of the first ring, source of callers:
        ``organic``, then the media channels) with the caller counts (CHANNEL_FIELDS: callers,
        served, abandoned, blocked, ...), each caller once.
        A pandas DataFrame, or with ``as_frame=False`` a numpy structured array.

        Call statistics belong to the interval of the call's arrival; staffing and
        occupancy are clock time within the interval (agents = seconds / length).
        """
        from .interval_tables import BREAKDOWNS, to_frame, to_structured

        if not (by is None or isinstance(by, str)) or by not in BREAKDOWNS:
            raise ArgumentError(f"by must be one of {', '.join(map(repr, BREAKDOWNS))}, got {by!r}")
        columns = BREAKDOWNS[by](self)
        return to_frame(columns) if as_frame else to_structured(columns)

    def service_level_attainment(self, goal: Optional[float] = None):
        """Share of post-warm-up intervals whose service level meets the goal, per call type.

        ``goal`` (a fraction) applies to every call type; by default each call
        type's ``service_level_target``, else the scenario's ``service_level.target``
        (no goal: NaN share). Only intervals with a defined service level (calls
        to count) are judged. DataFrame indexed by ``call_type``: goal,
        intervals, met, share.
        """
        import pandas as pd

        rows = self.attainment_rows(goal)
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=["goal", "intervals", "met", "share"])
        frame.index.name = "call_type"
        return frame

    def attainment_rows(self, goal: Optional[float] = None) -> dict:
        """``service_level_attainment`` as {call type: {goal, intervals, met, share}}, without pandas."""
        if goal is not None and not (isinstance(goal, (int, float)) and 0 <= goal <= 1):
            raise ArgumentError(f"goal must be a service level between 0 and 1 (0.8 = 80 %), got {goal!r}")
        table = self.intervals(by="call_type", as_frame=False)
        table = table[~table["warmup"]]
        rows = {}
        for name in self.model.call_type_names:
            target = self._goal(name) if goal is None else float(goal)
            level = table["service_level"][table["call_type"] == name]
            level = level[np.isfinite(level)]
            met = int((level >= target).sum()) if target is not None else 0
            rows[name] = {
                "goal": np.nan if target is None else target, "intervals": len(level), "met": met,
                "share": met / len(level) if target is not None and len(level) else np.nan,
            }
        return rows

    def _goal(self, call_type: str) -> Optional[float]:
        if self.scenario is None:
            return None
        from .goals import goal_of

        return goal_of(self.scenario, call_type)

    def calls(self):
        """DataFrame of the per-call records (``simulate(..., call_records=True)``)."""
        if self.stats.call_records is None:
            raise ArgumentError("this run kept no per-call records; simulate it with call_records=True")
        from .experiment.call_records import record_frame

        return record_frame(self.stats.call_records, self.model.call_type_names, self.model.group_names,
                            source_names=self.model.source_names, channel_names=self.model.channel_names)

    def batch_means(self, batches: int = 20, level: float = 0.95) -> dict:
        """{kpi: (estimate, half-width)} from batch means over post-warm-up intervals.

        Counts: the estimate is the total, the half-width scales with the number
        of batches. Ratios: the estimate is the run's ratio, the half-width comes
        from the spread of the batch ratios.
        """
        _check_level(level)
        batches = whole_number(batches, "batches", 2, error=ArgumentError)
        m, s = self.model, self.stats
        first = int(np.ceil(m.warmup / m.interval - 1e-9))
        calls = center_calls(s.interval_calls[first:].sum(axis=1), s.interval_entries[first:].sum(axis=1))
        clock = s.interval_groups[first:].sum(axis=1)
        usable = len(calls) - len(calls) % batches
        if usable < batches:  # the same KPIs as below (KPI_NAMES), without a half-width
            total = self.kpis()
            return {k: (total[k], float("nan")) for k in KPI_NAMES}
        size = usable // batches
        b_calls = calls[:usable].reshape(batches, size, -1).sum(axis=1)
        b_clock = clock[:usable].reshape(batches, size, -1).sum(axis=1)
        per_batch = compute_kpis(b_calls, b_clock[:, 1], b_clock[:, 0], self.sl_denominator)
        total = self.kpis()
        out = {}
        for k, values in per_batch.items():
            hw = t_halfwidth(values, level)
            out[k] = (total[k], hw * batches if k in COUNT_KPIS else hw)
        return out


REPR_KPIS = ("service_level", "asa", "abandon_rate", "occupancy")
CALL_TYPE_KPIS = tuple(k for k in KPI_NAMES if k != "occupancy")


def mean_agents(results: list):
    """``Result.agents()`` averaged over replications of one scenario (the same roster): the
    roster columns as they are, each total and ``answered_<type>`` the mean over replications,
    ``occupancy`` and ``aht`` the ratios of those means (mean busy / mean staffed)."""
    if not results:
        raise ArgumentError("mean_agents needs at least one Result")
    frames = [r.agents() for r in results]
    first = frames[0]
    numbers = list(AGENT_FIELDS) + [c for c in first.columns if c.startswith("answered_")]
    for other in frames[1:]:
        if len(other) != len(first) or list(other["id"]) != list(first["id"]):
            raise ArgumentError("mean_agents needs replications of one roster (the same agents)")
    out = first.copy()
    out[numbers] = np.mean([f[numbers].to_numpy() for f in frames], axis=0)
    out["occupancy"] = _ratio(out["busy"].to_numpy(), out["staffed"].to_numpy())
    out["aht"] = _ratio((out["talk"] + out["acw"]).to_numpy(), out["answered"].to_numpy())
    return out


def describe_seed(seed) -> str:
    """A replication's seed in the words of the API: "seed 1, replication 0"."""
    if isinstance(seed, np.random.SeedSequence):
        key = tuple(seed.spawn_key)
        if isinstance(seed.entropy, int) and len(key) == 1:
            return f"seed {seed.entropy}, replication {key[0]}"
        return f"SeedSequence({seed.entropy}, spawn_key={key})"
    return f"seed {seed!r}"


def _short_number(x: float) -> str:
    return "n/a" if not np.isfinite(x) else f"{x:.4g}"


def _service_level_frame(model, columns: dict):
    """A long DataFrame indexed by (call_type, threshold) of [call types + 1, thresholds] arrays."""
    import pandas as pd

    names = [*model.call_type_names, ALL_TYPES]
    thresholds = [float(t) for t in model.sl_thresholds]
    index = pd.MultiIndex.from_product([names, thresholds], names=["call_type", "threshold"])
    return pd.DataFrame({k: np.asarray(v, dtype=float).reshape(-1) for k, v in columns.items()}, index=index)


def service_level_table(results: list, level: float = 0.95):
    """``Result.service_levels()`` across replications: columns ``mean`` and ``ci_halfwidth``
    (``service_level_estimates``)."""
    mean, halfwidth = service_level_estimates(results, level)
    return _service_level_frame(results[0].model, {"mean": mean, "ci_halfwidth": halfwidth})


def service_level_estimates(results: list, level: float = 0.95) -> tuple:
    """(mean, half-width), float [call types + 1, thresholds] each (rows as in
    ``service_level_values``): Student t over the replications; with one, batch means over its
    post-warm-up intervals as in ``summarize``. numpy only (``ccsim run`` loads no pandas)."""
    if len(results) == 1:
        return results[0].service_level_values(), _batch_halfwidths(results[0], level)
    return mean_halfwidth(np.stack([r.service_level_values() for r in results]), level)


def _batch_halfwidths(result: Result, level: float, batches: int = 20) -> np.ndarray:
    """Half-widths of ``service_level_values()`` from batch means (as ``Result.batch_means``)."""
    m, s = result.model, result.stats
    first = int(np.ceil(m.warmup / m.interval - 1e-9))
    calls, within = s.interval_calls[first:], s.interval_within[first:]
    usable = len(calls) - len(calls) % batches
    if usable < batches:
        return np.full((m.n_types + 1, within.shape[2]), np.nan)
    size = usable // batches
    calls = calls[:usable].reshape(batches, size, *calls.shape[1:]).sum(axis=1)  # [batch, type, field]
    within = within[:usable].reshape(batches, size, *within.shape[1:]).sum(axis=1)
    calls = np.concatenate([calls, calls.sum(axis=1, keepdims=True)], axis=1)
    within = np.concatenate([within, within.sum(axis=1, keepdims=True)], axis=1)
    return mean_halfwidth(service_level_within(calls, within, result.sl_denominator), level)[1]


def _check_level(level) -> None:
    """A confidence level is a fraction: 0.95, not 95."""
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0.0 < level < 1.0:
        raise ArgumentError(f"level must be a confidence level between 0 and 1 (0.95 for 95 %), got {level!r}")


def unfinished_note(results: list) -> Optional[str]:
    """A warning when drained runs ended with callers still in the center, or None.

    ``drain: true`` promises that the calls in the system at the horizon finish; two cases keep
    some from finishing (scenarios.md, "Drain"): callers waiting with nobody left on duty, and
    talks or timers running past the drain's end (one horizon after the horizon, at least 30
    days). Their callers count as ``waiting_at_end`` / in the system at the end, as in a cut
    run; this says so, rather than leave a drained run's ``waiting_at_end`` unexplained."""
    results = [r for r in results if r.model.drain]
    if not results:
        return None
    column = CALLER_COUNTS.index("in_system_at_end")
    pending = CALLER_COUNTS.index("callback_pending")
    left = [int(r.stats.callers[:, column].sum() + r.stats.callers[:, pending].sum()) for r in results]
    if not any(left):
        return None
    reps = sum(1 for n in left if n)
    which = "the run" if len(results) == 1 else f"{reps} of {len(results)} replications"
    return (f"drain: true, yet {sum(left):,} caller(s) were still in the center when {which} ended: "
            "waiting with nobody left on duty, or behind talks or timers running past the drain's end "
            "(the horizon plus max(horizon, 30 days)); they count as waiting_at_end (in system at the "
            "end), not as answered or abandoned")


def summarize(results: list, level: float = 0.95) -> dict:
    """{kpi: {"mean", "ci_halfwidth"}} across replications (Student t); batch means for one, whose
    half-widths are NaN when its arrivals vary (``diagnostics.stationary_arrivals``: a profile,
    media, busyness, replayed calls), as ``ccsim run`` gives none then."""
    _check_level(level)
    if callable(getattr(results, "kpis", None)) or not hasattr(results, "__iter__"):
        raise ArgumentError(f"summarize takes a list of ccsim Results, got a {type(results).__name__}"
                            + (": summarize([result])" if callable(getattr(results, "kpis", None)) else ""))
    results = list(results)
    odd = [r for r in results if not callable(getattr(r, "kpis", None))]
    if not results or odd:
        raise ArgumentError("summarize takes a list of one or more ccsim Results (simulate, replicate), got "
                            + (f"a list holding {type(odd[0]).__name__}" if odd else "an empty list"))
    if len(results) == 1:
        batches = results[0].batch_means(level=level)
        scenario = getattr(results[0], "scenario", None)
        if scenario is not None:
            from .diagnostics import stationary_arrivals

            if not stationary_arrivals(scenario):  # batch means would mislead (as ccsim run says): no interval
                return {k: {"mean": v, "ci_halfwidth": math.nan} for k, (v, _) in batches.items()}
        return {k: {"mean": v, "ci_halfwidth": hw} for k, (v, hw) in batches.items()}
    per_rep = [r.kpis() for r in results]
    return {k: ci_cell([kpis[k] for kpis in per_rep], level) for k in KPI_NAMES}
