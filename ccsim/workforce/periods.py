"""``run_periods``: one replication in periods, policies between them, and the per-period report."""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

import numpy as np

from ..engines.stepping import paused_run
from ..results import AGENT_FIELDS, CALL_FIELDS, FUNNEL_FIELDS
from .errors import WorkforceError
from ..money import agent_rates, interval_line_seconds
from .people import DAY, Abilities, slot_agents, with_slots
from .policies import REASONS

# What an agent can be besides one of REASONS: on the phones, a slot not hired yet, being
# recruited (not on the payroll yet), or in training (on the payroll, off the phones).
STATES = ("active", "slot", "recruiting", "training")
ON_PAYROLL = ("active", "training")
RETRY = 60.0  # s: an agent due back while still on the call it had when it left tries again then

_F = {name: i for i, name in enumerate(FUNNEL_FIELDS)}
_A = {name: i for i, name in enumerate(AGENT_FIELDS)}
_C = {name: i for i, name in enumerate(CALL_FIELDS)}


def workforce_stream(seed, name: str, period: int) -> np.random.Generator:
    """The generator of policy ``name`` after period ``period``: keyed by the run's seed, the
    name and the period (never one of the engine's streams, whose keys are small source indices)."""
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    key = (zlib.crc32(b"workforce"), zlib.crc32(name.encode("utf-8")), int(period))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(root.entropy,
                                                                      spawn_key=tuple(root.spawn_key) + key)))


@dataclass
class PeriodContext:
    """What a policy sees between periods: the per-period counts so far, who is where, the
    groups, the true abilities; and what it may do: send agents off the phones for a while,
    hire into slots, book costs."""

    period: int                     # the period just ended (0-based)
    seed: object
    agent_counts: list              # per period: [agent, AGENT_FIELDS]
    funnel_counts: list             # per period: [agent, FUNNEL_FIELDS] (zeros without a funnel)
    active: np.ndarray              # [agent] bool: on the phones
    group: np.ndarray               # [agent]: its group index
    group_names: tuple
    has_funnel: bool
    state: "_State" = None
    period_days: float = 1.0

    answered_field = _A["answered"]

    def window(self, periods: int):
        """(agent counts, funnel counts) summed over the last ``periods`` periods."""
        lo = max(0, len(self.agent_counts) - periods)
        return sum(self.agent_counts[lo:]), sum(self.funnel_counts[lo:])

    def rng(self, name: str) -> np.random.Generator:
        """Policy ``name``'s generator for this period."""
        return workforce_stream(self.seed, name, self.period)

    def agent_rng(self, name: str, agent: int, period=None) -> np.random.Generator:
        """Policy ``name``'s generator for agent ``agent`` (keyed by its roster id) this period
        (or the period ``period``: a fixed one for an agent's draws once for the whole run)."""
        return workforce_stream(self.seed, f"{name}/{self.state.ids[agent]}",
                                self.period if period is None else period)

    def headcount_by_group(self) -> np.ndarray:
        """[group]: agents on the phones."""
        return np.bincount(self.group[self.active], minlength=len(self.group_names))

    # -- the state the growth policies read and change (see growth.py) --
    @property
    def abilities(self) -> Abilities:
        return self.state.abilities

    @property
    def changed(self) -> set:
        """Agents whose abilities changed (written into the run before the next period)."""
        return self.state.changed

    @property
    def on_payroll(self) -> np.ndarray:
        return np.isin(self.state.status, ON_PAYROLL)

    @property
    def qa(self) -> np.ndarray:
        """[agent, 3]: this period's calls scored, fatal and non-fatal errors found."""
        return self.state.qa

    def qa_window(self, periods: int):
        """[agent, 3]: QA counts summed over the last ``periods`` periods (this one's so far), or
        None if no QA policy has scored a call yet in this run."""
        history = self.state.qa_history + [self.state.qa]
        if not self.state.qa_ran:
            return None
        return sum(history[max(0, len(history) - periods):])

    @property
    def eliminated_share(self) -> float:
        """The share of the agents on the phones eliminated at the start of the period just
        ended (after the period before it; 0 after the first period): elimination pressure."""
        return self.state.eliminated_share

    @property
    def start_headcount(self) -> np.ndarray:
        return self.state.start_headcount

    @property
    def hiring(self) -> bool:
        return self.state.hiring

    @property
    def trained(self) -> int:
        return self.state.trained

    @trained.setter
    def trained(self, value: int) -> None:
        self.state.trained = value

    def staffed_by_group(self) -> np.ndarray:
        """[group]: agents on the phones, in training, or being recruited."""
        busy = np.isin(self.state.status, ON_PAYROLL + ("recruiting",))
        return np.bincount(self.group[busy], minlength=len(self.group_names))

    def free_slots(self, g: int) -> np.ndarray:
        """Group g's slots not hired yet, in index order."""
        return np.flatnonzero((self.state.status == "slot") & (self.group == g))

    def send_off(self, agent: int, days: float, then=None) -> None:
        """Agent ``agent`` leaves the phones now (training) and is back after ``days`` days,
        ``then(abilities, agent)`` applied to its abilities on its return."""
        self.state.off_phones(agent, self.state.now + days * DAY, then)

    def hire(self, agent: int, delay_days: float, training_days: float) -> None:
        """Slot ``agent`` is recruited now: on the payroll after ``delay_days``, on the phones
        after ``training_days`` more."""
        self.state.hire(agent, delay_days, training_days)

    def book(self, item: str, money: float) -> None:
        """Add ``money`` to this period's cost ``item`` (hiring, training, qa)."""
        self.state.costs[item] = self.state.costs.get(item, 0.0) + float(money)

    def hour_cost(self, agent: int) -> float:
        """An hour of ``agent``'s pay (``money.agent_rates``: its own, its team's or its group's)."""
        return float(self.state.hour_costs[agent])


class _State:
    """The people of a run in periods: each agent's status, abilities, pending returns to the
    phones, this period's QA counts and costs; it drives the paused run."""

    def __init__(self, run, model, abilities, slots, hour_costs, has_funnel, hiring):
        A = model.n_agents
        self.run, self.model, self.abilities = run, model, abilities
        self.has_funnel, self.hiring = has_funnel, hiring
        self.ids = tuple(model.roster()["id"]) if A else ()
        self.status = np.array(["active"] * A, dtype=object)
        self.status[slots] = "slot"
        self.left_after = np.full(A, -1)
        self.hour_costs = hour_costs
        self.group = np.repeat(np.arange(model.n_groups), np.asarray(model.group_count))
        self.start_headcount = np.bincount(self.group[self.status == "active"], minlength=model.n_groups)
        self.base_factor = np.ones((model.n_groups, abilities.factor.shape[1]))
        for g in range(model.n_groups):  # [group, type]: the mean handle-time factors of its roster
            mine = (self.group == g) & (self.status == "active")
            if mine.any() and abilities.factor.shape[1]:
                self.base_factor[g] = abilities.factor[mine].mean(axis=0)
        self.events = []  # (time, order, agent, new status, then)
        self.order = 0
        self.changed = set()
        self.now = 0.0
        self.qa_history, self.qa_ran = [], False
        self.eliminated_share = 0.0
        self.new_period()
        for a in slots:
            run.leave(int(a))

    def new_period(self):
        if hasattr(self, "qa"):
            self.qa_history.append(self.qa)
        self.qa = np.zeros((len(self.status), 3))
        self.costs, self.trained, self.hired = {}, 0, 0

    def _at(self, time, agent, status, then=None):
        self.events.append((time, self.order, agent, status, then))
        self.order += 1
        self.events.sort(key=lambda e: (e[0], e[1]))

    def off_phones(self, agent, back, then):
        if self.status[agent] != "active":
            return
        self.run.leave(agent)
        self.status[agent] = "training"
        self._at(back, agent, "active", then)

    def hire(self, agent, delay_days, training_days):
        self.status[agent] = "recruiting"
        self.hired += 1
        self._at(self.now + delay_days * DAY, agent, "training")
        self._at(self.now + (delay_days + training_days) * DAY, agent, "active")

    def advance(self, end: float, last: bool):
        """Process the returns due before ``end`` (pausing the run at each), then run to ``end``
        (``last``: to the end; returns the RawStats)."""
        self.arrive_before(end)
        if last:
            return self.run.finish()
        self.run.run_until(end)
        self.now = end
        return None

    def arrive_before(self, end: float, at_end: bool = False):
        """Process the returns (hires, trainees) due before ``end`` (``at_end``: at it too), pausing
        the run at each."""
        while self.events and (self.events[0][0] < end or (at_end and self.events[0][0] == end)):
            time, _, agent, status, then = self.events.pop(0)
            if time > self.run.now:
                self.run.run_until(time)
            if status == "active" and not self.run.off(agent):  # still on the call it had when it left
                self._at(max(time, self.run.now) + RETRY, agent, status, then)
                continue
            self._arrive(agent, status, then)

    def _arrive(self, agent, status, then):
        if self.status[agent] not in ("recruiting", "training"):
            return  # left meanwhile
        self.status[agent] = status
        if status != "active":
            return
        if then is not None:
            then(self.abilities, agent)
        self.abilities.push(self.run, [agent], self.has_funnel)
        self.changed.discard(agent)
        self.run.rejoin(agent)

    def push_changes(self):
        """Write the changed abilities into the run."""
        self.abilities.push(self.run, self.changed, self.has_funnel)
        self.changed.clear()


@dataclass
class PeriodRun:
    """A run in periods: the final RawStats, the ledger (each agent's status and when it
    changed), one report row per period (``table()``), and each agent's true abilities at the
    end of each period (``trajectory``: conversion [period, agent])."""

    raw: object
    status: np.ndarray              # [agent]: one of STATES or of policies.REASONS
    left_after: np.ndarray          # [agent]: the period after which it left, -1 = still there
    rows: list = field(default_factory=list)
    trajectory: list = field(default_factory=list)
    hired: int = 0                  # hires that joined the payroll (slots filled)
    agent_counts: list = field(default_factory=list)   # per period: [agent, AGENT_FIELDS]
    funnel_counts: list = field(default_factory=list)  # per period: [agent, FUNNEL_FIELDS]
    group: np.ndarray = None        # [agent]: its group index
    group_names: tuple = ()
    ids: tuple = ()                 # [agent]: its roster id
    has_funnel: bool = False

    def table(self):
        """The per-period report as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.rows)

    def ledger(self) -> dict:
        """Counts by status: hired (the roster at the start + hires on the payroll) = active
        (on the phones or in training) + eliminated + quit + promoted."""
        out = {s: int((self.status == s).sum()) for s in ("active",) + REASONS}
        out["in_training"] = int((self.status == "training").sum())
        out["active"] += out["in_training"]
        out["recruiting"] = int((self.status == "recruiting").sum())
        out["hired"] = int(np.isin(self.status, ON_PAYROLL + REASONS).sum())
        return out

    def report_html(self, path, title: str = "ccsim workforce report"):
        """Write this run's HTML report (per-period charts and table, trajectories, the last
        period's leaderboards; ``ccsim.report.workforce``) to ``path``; returns the path."""
        from ..report.workforce import write_workforce_html

        return write_workforce_html(self, path, title)


def run_periods(model, period: float, policies=(), seed=0, engine: str = "core", slots=None,
                costs=None, max_calls=None, max_memory=None, kept: int = 1) -> PeriodRun:
    """Run ``model`` (a CompiledModel, or a scenario dict) in periods of ``period`` seconds
    (the last one ends at the horizon), applying ``policies`` in order after each period but
    the last. ``slots`` ({group: n}, a scenario dict only) adds n inactive agents to each group
    for hiring (``people.with_slots``). ``costs`` (a ``Costs``; default the scenario's) prices
    agent hours. ``max_calls``, ``max_memory``: the run budget (``ccsim.budget``; its per-period
    tables count, for ``kept`` runs held at once). Returns a ``PeriodRun``."""
    if slots and not isinstance(model, dict):
        raise WorkforceError("workforce.slots", "slots need the scenario (a dict), not a compiled model")
    scenario_costs = None
    if isinstance(model, dict):
        model, scenario_costs = _compiled(with_slots(model, slots)[0] if slots else model)
    if not (isinstance(period, (int, float)) and period > 0):
        raise WorkforceError("workforce.period", f"expected a duration > 0 s, found {period!r}")
    n = max(1, math.ceil(model.horizon / period - 1e-9))
    ends = [min((p + 1) * period, model.horizon) for p in range(n)]
    from ..budget import with_budget

    model = with_budget(model, max_calls, max_memory, engine=engine, kept=kept, periods=n)
    run = paused_run(model, seed, engine)
    A = model.n_agents
    has_funnel = run.funnel_agents is not None
    costs = costs if costs is not None else scenario_costs
    hour = agent_rates(costs, model) if costs is not None else np.zeros(A)
    hiring = any(getattr(p, "name", "") == "hiring" for p in policies)
    st = _State(run, model, Abilities.of(model), slot_agents(model, slots or {}), hour, has_funnel, hiring)
    group = st.group
    agent_counts, funnel_counts, rows, trajectory = [], [], [], []
    prev_a, prev_f = np.zeros((A, len(AGENT_FIELDS))), np.zeros((A, len(FUNNEL_FIELDS)))
    for p, end in enumerate(ends):
        # a hire or trainee due at the period's start is on the phones from its start (as the
        # run has it), so in its headcount: processed here, before the count, not in advance
        st.arrive_before(p * period, at_end=True)
        start_active = st.status == "active"
        true_start = st.abilities.conversion.copy()
        raw = st.advance(end, p == n - 1)
        if raw is None:
            cum_a = run.agent_totals_now()
            cum_f = run.funnel_agents.copy() if has_funnel else prev_f
        else:
            cum_a = raw.agent_totals
            cum_f = raw.funnel_agents if has_funnel else prev_f
        agent_counts.append(cum_a - prev_a)
        funnel_counts.append(cum_f - prev_f)
        prev_a, prev_f = cum_a, cum_f
        days = (end - (p * period)) / DAY
        st.abilities.tenure_days[np.isin(st.status, ON_PAYROLL)] += days
        left = {r: [] for r in REASONS}
        true_end = st.abilities.conversion.copy()
        if p < n - 1:
            ctx = PeriodContext(p, seed, agent_counts, funnel_counts, st.status == "active", group,
                                tuple(model.group_names), has_funnel, st, period / DAY)
            before = int(ctx.active.sum())  # on the phones before the policies act
            for policy in policies:
                if not policy.acts_after(p):
                    continue
                ctx.active = st.status == "active"
                for a in policy.between(ctx):
                    if st.status[a] == "active":
                        run.leave(a)
                        st.status[a], st.left_after[a] = policy.reason, p
                        left[policy.reason].append(int(a))
            st.push_changes()
            st.eliminated_share = len(left["eliminated"]) / before if before else 0.0
        trajectory.append(st.abilities.conversion.copy())
        row = dict(period=p, start=p * period, end=end, headcount=int(start_active.sum()),
                   **{r: len(v) for r, v in left.items()},
                   **_period_kpis(agent_counts[-1], funnel_counts[-1], start_active, true_start, true_end, left))
        row.update(_people(st, agent_counts[-1], funnel_counts[-1], hour, costs))
        rows.append(row)
        st.new_period()
    run_result = PeriodRun(raw, st.status, st.left_after, rows, trajectory, agent_counts=agent_counts,
                           funnel_counts=funnel_counts, group=group, group_names=tuple(model.group_names),
                           ids=st.ids, has_funnel=has_funnel)
    run_result.hired = int(sum(r["hired"] for r in rows))
    _add_service_level(run_result, model, ends, period)
    _add_line_and_ad_costs(run_result, model, ends, period, costs)
    return run_result


def _compiled(model):
    """(CompiledModel, the scenario's costs or None) of a scenario dict."""
    from ..compile import compile_scenario
    from ..scenario import validate_scenario

    scenario = validate_scenario(model)
    return compile_scenario(scenario), getattr(scenario, "costs", None)


def _people(st, agents, funnel, hour, costs) -> dict:
    """A period's people and costs: hires, trainees, QA, the costs of agents, hiring, training,
    QA, and of the funnel's shipped and refused parcels (telecom and ads: ``_add_line_and_ad_costs``)."""
    staffed = agents[:, _A["staffed"]] / 3600.0
    payroll = np.isin(st.status, ON_PAYROLL)
    out = dict(hired=st.hired, trained=st.trained, in_training=int((st.status == "training").sum()),
               qa_scored=float(st.qa[:, 0].sum()), qa_fatal_found=float(st.qa[:, 1].sum()),
               qa_nonfatal_found=float(st.qa[:, 2].sum()),
               mean_tenure_days=float(st.abilities.tenure_days[payroll].mean()) if payroll.any() else np.nan,
               **_tenure_mix(st.abilities.tenure_days[payroll]),
               cost_agents=float((staffed * hour).sum()),
               cost_hiring=st.costs.get("hiring", 0.0), cost_training=st.costs.get("training", 0.0),
               cost_qa=st.costs.get("qa", 0.0))
    shipped, refused = funnel[:, _F["shipped"]].sum(), funnel[:, _F["refused"]].sum()
    out.update(cost_fulfilment=float(shipped * costs.fulfilment_per_order) if costs else 0.0,
               cost_shipping=float(shipped * costs.shipping_per_order) if costs else 0.0,
               cost_returns=float(refused * costs.return_per_order) if costs else 0.0)
    return out


TENURE_BANDS = ((0, 30), (30, 90), (90, 180), (180, math.inf))  # days


def _tenure_mix(tenure) -> dict:
    """Agents on the payroll by tenure band: tenure_0_30, tenure_30_90, ... (days; lower bound in)."""
    out = {}
    for lo, hi in TENURE_BANDS:
        key = f"tenure_{lo}_{hi}" if math.isfinite(hi) else f"tenure_{lo}_plus"
        out[key] = int(((tenure >= lo) & (tenure < hi)).sum())
    return out


def _period_kpis(agents, funnel, active, true_start, true_end, left) -> dict:
    """A period's observed and true KPIs over the agents active at its start, and the wrong
    eliminations (eliminated with true conversion, at the period's end, above the median of
    those active at its start)."""
    sales = funnel[:, _F["sales_answered"]].sum()
    answered = agents[:, _A["answered"]].sum()
    known = active & ~np.isnan(true_start)
    median = float(np.median(true_end[known])) if known.any() else np.nan
    gone = np.array(left["eliminated"], dtype=np.int64)
    wrong = int((true_end[gone] > median).sum()) if len(gone) and known.any() else 0
    handle = agents[:, _A["talk"]].sum() + agents[:, _A["acw"]].sum()
    revenue = float(funnel[:, _F["order_value"]].sum())
    return dict(answered=float(answered), staffed_hours=float(agents[:, _A["staffed"]].sum() / 3600.0),
                aht=float(handle / answered) if answered else np.nan,
                sales_answered=float(sales), orders=float(funnel[:, _F["orders"]].sum()),
                observed_conversion=float(funnel[:, _F["orders"]].sum() / sales) if sales else np.nan,
                order_value=revenue, revenue=revenue,
                collected=float(funnel[:, _F["collected_value"]].sum()),
                true_mean_conversion=float(np.mean(true_start[known])) if known.any() else np.nan,
                wrong_eliminations=wrong,
                turnover=float(sum(len(v) for v in left.values()) / active.sum()) if active.any() else np.nan)


def _add_service_level(result: PeriodRun, model, ends, period):
    """Each row's service level: answered within the threshold / offered, over the intervals
    that start in the period (a call's statistics belong to the interval of its arrival)."""
    calls = result.raw.interval_calls  # [interval, type, CALL_FIELDS]
    starts = np.arange(calls.shape[0]) * model.interval
    for p, row in enumerate(result.rows):
        lo = p * period
        inside = (starts >= lo) & (starts < ends[p])
        offered = calls[inside, :, _C["offered"]].sum()
        row["service_level"] = float(calls[inside, :, _C["answered_in_sl"]].sum() / offered) if offered else np.nan


COST_COLUMNS = ("cost_agents", "cost_hiring", "cost_training", "cost_qa", "cost_telecom", "cost_fulfilment",
                "cost_shipping", "cost_returns", "cost_ads")


def _add_line_and_ad_costs(result: PeriodRun, model, ends, period, costs):
    """Each row's telecom cost (line minutes of the calls arriving in the intervals that start in
    the period, as ``money.line_seconds``: menu, waiting and talk), ad spend (the airings at or
    after the warm-up in the period), ``cost`` (every COST_COLUMNS item) and ``profit``
    (collected cash - cost)."""
    raw = result.raw
    starts = np.arange(raw.interval_calls.shape[0]) * model.interval
    held = np.where(starts >= model.warmup, interval_line_seconds(raw), 0.0)
    times, spend = np.asarray(model.airing_time, dtype=float), np.asarray(model.airing_spend, dtype=float)
    for p, row in enumerate(result.rows):
        lo = p * period
        inside = (starts >= lo) & (starts < ends[p])
        row["cost_telecom"] = float(held[inside].sum() / 60.0 * costs.telecom_minute) if costs else 0.0
        aired = (times >= max(lo, model.warmup)) & (times < ends[p]) if p < len(ends) - 1 else \
            (times >= max(lo, model.warmup))
        row["cost_ads"] = float(spend[aired].sum())
        row["cost"] = float(sum(row[k] for k in COST_COLUMNS))
        row["profit"] = row["collected"] - row["cost"]
