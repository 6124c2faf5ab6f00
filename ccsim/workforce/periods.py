"""``run_periods``: one replication in periods, policies between them, and the per-period report."""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

import numpy as np

from ..engines.stepping import paused_run
from ..results import AGENT_FIELDS, CALL_FIELDS, FUNNEL_FIELDS
from .errors import WorkforceError
from .policies import REASONS

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
    """What a policy sees between periods: the per-period counts so far, who is active, the groups."""

    period: int                     # the period just ended (0-based)
    seed: object
    agent_counts: list              # per period: [agent, AGENT_FIELDS]
    funnel_counts: list             # per period: [agent, FUNNEL_FIELDS] (zeros without a funnel)
    active: np.ndarray              # [agent] bool: on the phones
    group: np.ndarray               # [agent]: its group index
    group_names: tuple
    has_funnel: bool

    def window(self, periods: int):
        """(agent counts, funnel counts) summed over the last ``periods`` periods."""
        lo = max(0, len(self.agent_counts) - periods)
        return sum(self.agent_counts[lo:]), sum(self.funnel_counts[lo:])

    def rng(self, name: str) -> np.random.Generator:
        """Policy ``name``'s generator for this period."""
        return workforce_stream(self.seed, name, self.period)

    def headcount_by_group(self) -> np.ndarray:
        return np.bincount(self.group[self.active], minlength=len(self.group_names))


@dataclass
class PeriodRun:
    """A run in periods: the final RawStats, the ledger (each agent's status and when it
    changed), and one report row per period (``table()``)."""

    raw: object
    status: np.ndarray              # [agent]: "active" or one of policies.REASONS
    left_after: np.ndarray          # [agent]: the period after which it left, -1 = still active
    rows: list = field(default_factory=list)

    def table(self):
        """The per-period report as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.rows)

    def ledger(self) -> dict:
        """Counts by status: hired (the roster) = active + eliminated + quit + promoted."""
        out = {s: int((self.status == s).sum()) for s in ("active",) + REASONS}
        out["hired"] = len(self.status)
        return out


def run_periods(model, period: float, policies=(), seed=0, engine: str = "core") -> PeriodRun:
    """Run ``model`` (a CompiledModel, or a scenario dict) in periods of ``period`` seconds
    (the last one ends at the horizon), applying ``policies`` in order after each period but
    the last. Returns a ``PeriodRun``."""
    model = _compiled(model)
    if not (isinstance(period, (int, float)) and period > 0):
        raise WorkforceError("workforce.period", f"expected a duration > 0 s, found {period!r}")
    n = max(1, math.ceil(model.horizon / period - 1e-9))
    ends = [min((p + 1) * period, model.horizon) for p in range(n)]
    run = paused_run(model, seed, engine)
    A = model.n_agents
    group = np.repeat(np.arange(model.n_groups), np.asarray(model.group_count))
    status = np.array(["active"] * A, dtype=object)
    left_after = np.full(A, -1)
    has_funnel = run.funnel_agents is not None
    agent_counts, funnel_counts, rows = [], [], []
    prev_a, prev_f = np.zeros((A, len(AGENT_FIELDS))), np.zeros((A, len(FUNNEL_FIELDS)))
    true_conv = _true_conversion(model)
    for p, end in enumerate(ends):
        start_active = status == "active"
        if p < n - 1:
            run.run_until(end)
            cum_a = run.agent_totals_now()
            cum_f = run.funnel_agents.copy() if has_funnel else prev_f
        else:
            raw = run.finish()
            cum_a = raw.agent_totals
            cum_f = raw.funnel_agents if has_funnel else prev_f
        agent_counts.append(cum_a - prev_a)
        funnel_counts.append(cum_f - prev_f)
        prev_a, prev_f = cum_a, cum_f
        left = {r: [] for r in REASONS}
        if p < n - 1:
            ctx = PeriodContext(p, seed, agent_counts, funnel_counts, status == "active", group,
                                tuple(model.group_names), has_funnel)
            for policy in policies:
                if not policy.acts_after(p):
                    continue
                ctx.active = status == "active"
                for a in policy.between(ctx):
                    if status[a] == "active":
                        run.leave(a)
                        status[a], left_after[a] = policy.reason, p
                        left[policy.reason].append(int(a))
        rows.append(dict(period=p, start=p * period, end=end, headcount=int(start_active.sum()),
                         **{r: len(v) for r, v in left.items()},
                         **_period_kpis(agent_counts[-1], funnel_counts[-1], start_active, true_conv, left)))
    run_result = PeriodRun(raw, status, left_after, rows)
    _add_service_level(run_result, model, ends, period)
    return run_result


def _compiled(model):
    if isinstance(model, dict):
        from ..compile import compile_scenario
        from ..scenario import validate_scenario

        return compile_scenario(validate_scenario(model))
    return model


def _true_conversion(model) -> np.ndarray:
    conv = np.asarray(model.agent_conversion, dtype=np.float64)
    return conv if len(conv) == model.n_agents else np.full(model.n_agents, np.nan)


def _period_kpis(agents, funnel, active, true_conv, left) -> dict:
    """A period's observed and true KPIs over the agents active at its start, and the wrong
    eliminations (eliminated with true conversion above the median of those active)."""
    sales = funnel[:, _F["sales_answered"]].sum()
    answered = agents[:, _A["answered"]].sum()
    known = active & ~np.isnan(true_conv)
    median = float(np.median(true_conv[known])) if known.any() else np.nan
    gone = np.array(left["eliminated"], dtype=np.int64)
    wrong = int((true_conv[gone] > median).sum()) if len(gone) and known.any() else 0
    handle = agents[:, _A["talk"]].sum() + agents[:, _A["acw"]].sum()
    return dict(answered=float(answered), staffed_hours=float(agents[:, _A["staffed"]].sum() / 3600.0),
                aht=float(handle / answered) if answered else np.nan,
                sales_answered=float(sales), orders=float(funnel[:, _F["orders"]].sum()),
                observed_conversion=float(funnel[:, _F["orders"]].sum() / sales) if sales else np.nan,
                order_value=float(funnel[:, _F["order_value"]].sum()),
                true_mean_conversion=float(np.mean(true_conv[known])) if known.any() else np.nan,
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
