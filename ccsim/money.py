"""The money side of the sales funnel: costs, KPIs, ROI per channel and airing, per agent and day.

Everything is computed from a ``Result`` (its ``RawStats`` and the scenario's ``costs:`` and
media schedule), for every engine alike; across replications (``money_summary``,
``mean_frames``) each number gets a Student-t confidence interval, as the other KPIs.

What is counted (definitions in docs/reference/kpis.md):

- **agents**: each agent's staffed (on-duty) seconds after the warm-up (``agent_totals[:,
  "staffed"]``) / 3600 x its rate: its own ``cost_per_hour``, else its team's
  (``costs.by_team``), else its group's (``costs.by_group``, else ``costs.agent_hour``).
- **telecom**: line minutes of calls that arrived after the warm-up x ``telecom_minute``; a
  line minute is a minute a caller holds an inbound line in the menu, waiting or talking:
  ``ivr_seconds`` of the entries + ``wait_answered`` + ``wait_abandoned`` + ``talk`` of every
  call type (a transferred caller's later legs too), / 60. Not counted: the closed message,
  blocked attempts, after-call work, and callbacks (the agent dials out: no inbound line; their
  talk is in the agents' busy time, not priced per minute).
- **fulfilment** and **shipping**: shipped orders x ``fulfilment_per_order`` / ``shipping_per_order``.
- **returns**: refused parcels x ``return_per_order``.
- **ads**: the ``spend`` of the airings at or after the warm-up (before the horizon).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .results import (AGENT_FIELDS, CALL_FIELDS, CHANNEL_FIELDS, ENTRY_FIELDS, FUNNEL_DAY_FIELDS, FUNNEL_FIELDS, GROUP_FIELDS,
                      INTERVAL_GROUP_FIELDS, ORGANIC, _ratio, ci_cell, mean_halfwidth)

DAY = 86400.0
COST_ITEMS = ("agents", "telecom", "fulfilment", "shipping", "returns", "ads")
# The money KPIs (Result.money(); in Result.kpis() when the scenario has a funnel or costs).
MONEY_KPI_NAMES = (
    "sales_answered", "orders", "conversion", "cross_sell_rate", "verification_rate", "sign_for_rate",
    "gross_sales", "collected_revenue", "total_cost", "cost_per_order", "revenue_per_agent_hour", "roi",
    "profit", "lost_sales_calls", "lost_revenue",
)
MONEY_FRACTIONS = ("conversion", "cross_sell_rate", "verification_rate", "sign_for_rate")
MONEY_KPI_DEFINITIONS = {
    "sales_answered": "answered calls of the call types with a funnel",
    "orders": "orders taken on those calls",
    "conversion": "orders / sales_answered",
    "cross_sell_rate": "cross_sells / orders",
    "verification_rate": "verified / orders (orders confirmed by the cut)",
    "sign_for_rate": "signed / shipped (parcels signed for by the cut)",
    "gross_sales": "order_value + cross_sell_value of the orders taken",
    "collected_revenue": "collected_value: money of signed parcels settled by the cut",
    "total_cost": "agents + telecom + fulfilment + shipping + returns + ads",
    "cost_per_order": "total_cost / orders",
    "revenue_per_agent_hour": "collected_revenue / staffed (on-duty) agent hours",
    "roi": "collected_revenue / (ads + agents + telecom): the return on the spend that brings and answers "
           "the calls (DESIGN.md); profit counts every cost",
    "profit": "collected_revenue - total_cost",
    "lost_sales_calls": "abandoned + blocked calls of the call types with a funnel",
    "lost_revenue": "per funnel call type, lost calls x conversion x gross sales per order of its answered "
                    "calls (= lost x gross_sales / sales_answered), summed",
}
# The columns of the per-source tables (channels, airings, agents, teams).
FLOW = ("orders", "gross_sales", "collected_revenue")


def _f(name: str) -> int:
    return FUNNEL_FIELDS.index(name)


def costs_of(result):
    """The scenario's ``Costs`` (zero costs when it has no ``costs:`` or is unknown)."""
    from .scenario.costs import Costs

    scenario = result.scenario
    costs = getattr(scenario, "costs", None) if scenario is not None else None
    return costs if costs is not None else Costs()


def has_funnel(result) -> bool:
    """Whether the run has a sales funnel (the scenario's ``funnel:``, or funnel counts)."""
    if getattr(result.scenario, "funnel", None) is not None:
        return True
    return bool(np.any(result.stats.funnel_types))


def has_money(result) -> bool:
    """Whether the money KPIs mean something: a funnel, or a ``costs:`` section."""
    return has_funnel(result) or getattr(result.scenario, "costs", None) is not None


def group_hour_costs(result) -> np.ndarray:
    """float [G]: each group's cost per staffed agent hour."""
    costs = costs_of(result)
    return np.array([costs.group_hour(name) for name in result.model.group_names], dtype=float)


def agent_hour_costs(result) -> np.ndarray:
    """float [A]: each agent's cost per staffed hour: its own (a member's ``cost_per_hour``),
    else its team's (``costs.by_team``), else its group's (``by_group``, else ``agent_hour``)."""
    return agent_rates(costs_of(result), result.model)


def agent_rates(costs, model) -> np.ndarray:
    """float [A]: ``agent_hour_costs`` of a model and a ``Costs`` (no result needed: the
    workforce periods price agent hours with it)."""
    group = np.array([costs.group_hour(name) for name in model.group_names], dtype=float)
    rates = np.repeat(group, np.asarray(model.group_count, dtype=np.int64))
    if costs.by_team:
        teams = model.roster_columns()["team"].tolist()
        rates = np.array([costs.by_team.get(t, r) for t, r in zip(teams, rates)], dtype=float)
    own = np.asarray(model.agent_cost_hour, dtype=float)
    if len(own) == len(rates):
        rates = np.where(np.isfinite(own), own, rates)
    return rates


def line_seconds(result) -> float:
    """Seconds callers held inbound lines (menu + waiting + talk), calls after the warm-up."""
    calls, entries = result.stats.total_calls.sum(axis=0), result.stats.total_entries.sum(axis=0)
    waits = sum(calls[CALL_FIELDS.index(n)] for n in ("wait_answered", "wait_abandoned", "talk"))
    return float(waits + entries[ENTRY_FIELDS.index("ivr_seconds")])


def interval_line_seconds(stats) -> np.ndarray:
    """float [interval]: ``line_seconds`` by the interval (every interval, warm-up included), of
    a ``RawStats``: the calls' waits and talk summed over the call types, plus the entries' menu time."""
    calls = stats.interval_calls.sum(axis=1)
    line = sum(calls[:, CALL_FIELDS.index(k)] for k in ("wait_answered", "wait_abandoned", "talk"))
    entries = stats.interval_entries
    if entries is not None and entries.shape[1]:
        line = line + entries[:, :, ENTRY_FIELDS.index("ivr_seconds")].sum(axis=1)
    return line


def airing_counted(result) -> np.ndarray:
    """bool [airings]: the airings whose spend counts (at or after the warm-up)."""
    return np.asarray(result.model.airing_time, dtype=float) >= result.model.warmup


def cost_breakdown(result) -> dict:
    """{item: money} for COST_ITEMS, and ``total``; also ``agent_hours`` and ``line_minutes``."""
    costs, s = costs_of(result), result.stats
    staffed = s.group_totals[:, GROUP_FIELDS.index("staffed")]
    funnel = s.funnel_types.sum(axis=0)
    shipped, refused = funnel[_f("shipped")], funnel[_f("refused")]
    spend = np.asarray(result.model.airing_spend, dtype=float)
    out = {
        "agents": _agent_cost(result, staffed),
        "telecom": line_seconds(result) / 60.0 * costs.telecom_minute,
        "fulfilment": float(shipped * costs.fulfilment_per_order),
        "shipping": float(shipped * costs.shipping_per_order),
        "returns": float(refused * costs.return_per_order),
        "ads": float(spend[airing_counted(result)].sum()),
    }
    out["total"] = float(sum(out[k] for k in COST_ITEMS))
    out["agent_hours"] = float(staffed.sum() / 3600.0)
    out["line_minutes"] = line_seconds(result) / 60.0
    return out


def _agent_cost(result, staffed) -> float:
    """Staffed hours x cost per hour, summed per agent (``group_agent_rates``)."""
    return float(np.sum(staffed / 3600.0 * group_agent_rates(result)))


def group_agent_rates(result) -> np.ndarray:
    """float [G]: each group's cost per staffed hour, its agents' rates (``agent_hour_costs``)
    weighted by their staffed times (the per-agent staffed times add up to the groups'); the
    group's rate when no agent has a rate of its own or its team's, or without staffed time."""
    costs, model = costs_of(result), result.model
    rates = group_hour_costs(result)
    per_agent = result.stats.agent_totals[:, AGENT_FIELDS.index("staffed")] if len(result.stats.agent_totals) else None
    if per_agent is None or len(per_agent) != model.n_agents or not (
            costs.by_team or np.isfinite(np.asarray(model.agent_cost_hour, dtype=float)).any()):
        return rates
    group = np.asarray(model.agent_group, dtype=np.int64)
    hours = np.bincount(group, weights=per_agent, minlength=len(rates))
    money = np.bincount(group, weights=per_agent * agent_hour_costs(result), minlength=len(rates))
    return np.where(hours > 0, money / np.where(hours > 0, hours, 1.0), rates)


def funnel_totals(result) -> dict:
    """{FUNNEL_FIELDS name: total over the call types}."""
    return {name: float(v) for name, v in zip(FUNNEL_FIELDS, result.stats.funnel_types.sum(axis=0))}


def _kpis_of(funnel: dict, cost: dict, lost_calls: float, lost_revenue: float) -> dict:
    gross = funnel["order_value"] + funnel["cross_sell_value"]
    revenue = funnel["collected_value"]
    total = cost["total"]
    return {
        "sales_answered": funnel["sales_answered"],
        "orders": funnel["orders"],
        "conversion": float(_ratio(funnel["orders"], funnel["sales_answered"])),
        "cross_sell_rate": float(_ratio(funnel["cross_sells"], funnel["orders"])),
        "verification_rate": float(_ratio(funnel["verified"], funnel["orders"])),
        "sign_for_rate": float(_ratio(funnel["signed"], funnel["shipped"])),
        "gross_sales": gross,
        "collected_revenue": revenue,
        "total_cost": total,
        "cost_per_order": float(_ratio(total, funnel["orders"])),
        "revenue_per_agent_hour": float(_ratio(revenue, cost["agent_hours"])),
        "roi": float(_ratio(revenue, cost["ads"] + cost["agents"] + cost["telecom"])),
        "profit": revenue - total,
        "lost_sales_calls": lost_calls,
        "lost_revenue": lost_revenue,
    }


def selling_types(result) -> np.ndarray:
    """bool [call types]: the call types with a sales funnel, those the scenario lists under
    ``funnel.call_types`` (a result without a scenario funnel, its statistics filled by hand:
    the call types with answered sales calls)."""
    names = list(result.model.call_type_names)
    funnel = getattr(result.scenario, "funnel", None)
    if funnel is not None:
        return np.array([name in funnel.call_types for name in names], dtype=bool)
    return result.stats.funnel_types[:, _f("sales_answered")] > 0


def lost_sales(result) -> tuple:
    """(lost sales calls, lost revenue) as MONEY_KPI_DEFINITIONS: per call type with a funnel
    (``selling_types``), its abandoned + blocked calls, and those x the gross sales per answered
    call of that type (= its conversion x gross sales per order; 0 when none was answered)."""
    s = result.stats
    answered = s.funnel_types[:, _f("sales_answered")]
    gross = s.funnel_types[:, _f("order_value")] + s.funnel_types[:, _f("cross_sell_value")]
    lost = s.total_calls[:, CALL_FIELDS.index("abandoned")] + s.total_calls[:, CALL_FIELDS.index("blocked")]
    sells = selling_types(result)
    per_call = np.where(answered > 0, gross / np.where(answered > 0, answered, 1.0), 0.0)
    return float(lost[sells].sum()), float((lost * per_call)[sells].sum())


def money_kpis(result) -> dict:
    """The MONEY_KPI_NAMES of one replication (definitions in MONEY_KPI_DEFINITIONS)."""
    return _kpis_of(funnel_totals(result), cost_breakdown(result), *lost_sales(result))


def money_summary(results: list, level: float = 0.95) -> dict:
    """{kpi: {"mean", "ci_halfwidth"}} of the money KPIs and cost items across replications
    (Student t; one replication: half-width NaN)."""
    rows = [{**money_kpis(r), **{f"cost_{k}": v for k, v in cost_breakdown(r).items()}} for r in results]
    return {key: ci_cell([row[key] for row in rows], level) for key in rows[0]}


# ---- tables of one replication ------------------------------------------------------------
#
# Each table is computed with numpy as a ``Table`` (``ccsim run`` reads its rows, no pandas loaded);
# the DataFrame of ``Result.funnel(by=...)`` is built from it only when asked for.


@dataclass(frozen=True)
class Table:
    """One replication's table without pandas: ``columns`` in order ({name: numbers as an array,
    or text as a list / object array}), one value per row; ``index`` the row labels (None: the
    rows' numbers from 0), named ``index_name``."""

    index_name: str
    index: Optional[list]
    columns: dict

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def labels(self) -> list:
        return list(range(len(self))) if self.index is None else list(self.index)

    def keyed_by(self, column: str) -> "Table":
        """The table with ``column`` (unique values) as its index."""
        rest = {k: v for k, v in self.columns.items() if k != column}
        return Table(column, list(self.columns[column]), rest)

    def frame(self):
        """The table as a pandas DataFrame (the index a RangeIndex when ``index`` is None)."""
        import pandas as pd

        frame = pd.DataFrame(self.columns, index=None if self.index is None else pd.Index(self.index))
        frame.index.name = self.index_name
        return frame


def _flow_columns(table: np.ndarray) -> dict:
    """orders, gross_sales, collected_revenue and sales_answered of a [rows, FUNNEL_FIELDS] table."""
    return {
        "sales_answered": table[:, _f("sales_answered")],
        "orders": table[:, _f("orders")],
        "gross_sales": table[:, _f("order_value")] + table[:, _f("cross_sell_value")],
        "collected_revenue": table[:, _f("collected_value")],
    }


def funnel_rows(result) -> Table:
    """One row per call type then ``all`` (index ``call_type``): FUNNEL_FIELDS counts."""
    table = result.stats.funnel_types
    table = np.vstack([table, table.sum(axis=0, keepdims=True)])
    return Table("call_type", [*result.model.call_type_names, "all"],
                 {name: table[:, i] for i, name in enumerate(FUNNEL_FIELDS)})


def channel_rows(result) -> Table:
    """One row per source of callers (index ``channel``: ``organic``, then the media channels):
    callers (first ring after the warm-up), sales_answered, orders, conversion, gross_sales,
    collected_revenue, spend (counted airings; NaN for organic) and ``roas`` = collected_revenue /
    spend. Its rows add up to the run's totals."""
    m, s = result.model, result.stats
    flow = _flow_columns(s.funnel_channels)
    counted = airing_counted(result)
    spend = np.bincount(np.asarray(m.airing_channel)[counted], weights=np.asarray(m.airing_spend)[counted],
                        minlength=m.n_channels)
    columns = {"callers": s.total_channels[:, CHANNEL_FIELDS.index("callers")],
               "sales_answered": flow["sales_answered"], "orders": flow["orders"],
               "conversion": _ratio(flow["orders"], flow["sales_answered"]),
               "gross_sales": flow["gross_sales"], "collected_revenue": flow["collected_revenue"],
               "spend": np.concatenate([[np.nan], spend])}
    columns["roas"] = _ratio(columns["collected_revenue"], columns["spend"])
    return Table("channel", [ORGANIC, *m.channel_names], columns)


def airing_rows(result) -> Table:
    """One row per airing (index ``airing``): time, channel, spend (0 when before the warm-up,
    not counted), callers, orders, gross_sales, collected_revenue, roas."""
    m, s = result.model, result.stats
    flow = _flow_columns(s.funnel_airings)
    columns = {
        "time": np.asarray(m.airing_time, dtype=float),
        "channel": [m.channel_names[c] for c in m.airing_channel],
        "spend": np.where(airing_counted(result), np.asarray(m.airing_spend, dtype=float), 0.0),
        "callers": s.airing_calls[:, CHANNEL_FIELDS.index("callers")],
        "orders": flow["orders"], "gross_sales": flow["gross_sales"],
        "collected_revenue": flow["collected_revenue"],
    }
    columns["roas"] = _ratio(columns["collected_revenue"], columns["spend"])
    return Table("airing", None, columns)


def agent_rows(result) -> Table:
    """One row per agent (index ``agent``): id, group, team, answered, staffed hours,
    sales_answered, orders, conversion (orders / sales_answered), gross_sales,
    collected_revenue (of the orders the agent took) and cost (staffed hours x the agent's rate,
    ``agent_hour_costs``: the rows add up to ``cost_breakdown``'s agents)."""
    roster, n = result.model.roster_columns(), result.model.n_agents
    totals = result.stats.agent_totals

    def total(name: str) -> np.ndarray:  # as Result.agents(): zeros without per-agent totals
        return totals[:, AGENT_FIELDS.index(name)] if len(totals) == n else np.zeros(n)

    columns = {"id": roster["id"], "group": roster["group"], "team": roster["team"], "answered": total("answered"),
               "staffed_hours": total("staffed") / 3600.0}
    table = result.stats.funnel_agents
    columns.update(_flow_columns(table) if len(table) == n else {k: np.zeros(n) for k in ("sales_answered", *FLOW)})
    columns["conversion"] = _ratio(columns["orders"], columns["sales_answered"])
    columns["cost"] = columns["staffed_hours"] * agent_hour_costs(result)
    return Table("agent", None, columns)


def team_rows(result) -> Table:
    """``agent_rows`` summed per team (index ``team``, in order of first appearance), with the
    number of ``agents``; conversion recomputed from the sums."""
    agents = agent_rows(result).columns
    codes: dict = {}
    ids = np.array([codes.setdefault(team, len(codes)) for team in agents["team"]], dtype=np.intp)
    columns = {"agents": np.bincount(ids, minlength=len(codes)).astype(np.int64)}
    for name in ("answered", "staffed_hours", "sales_answered", *FLOW, "cost"):
        columns[name] = grouped_sum(agents[name], ids, len(codes))
    columns["conversion"] = _ratio(columns["orders"], columns["sales_answered"])
    return Table("team", list(codes), columns)


def grouped_sum(values: np.ndarray, ids: np.ndarray, groups: int) -> np.ndarray:
    """float [groups]: ``values`` summed per group (``ids``: each row's group), in row order,
    NaN skipped (as a pandas groupby sum skips it); infinities kept."""
    values = np.asarray(values, dtype=float)
    ids = np.asarray(ids, dtype=np.intp)
    with np.errstate(invalid="ignore"):  # inf - inf: NaN
        return np.bincount(ids, weights=np.where(np.isnan(values), 0.0, values), minlength=groups)


def day_rows(result, week: bool = False) -> Table:
    """One row per day (or week, ``week=True``) of the funnel's clock (index ``day`` / ``week``,
    from 0): FUNNEL_DAY_FIELDS (all channels), the costs of the day (agents and telecom by the
    interval, ads by the airing, fulfilment and shipping by the shipment, returns by the
    refusal), ``cost`` and the cumulative ``cum_revenue`` (collected_value) and ``cum_cost``."""
    days = result.stats.funnel_days.sum(axis=1)  # [day, FUNNEL_DAY_FIELDS]
    items = _daily_costs(result, max(len(days), _days_of(result)))
    n = len(items["agents"])
    table = np.zeros((n, len(FUNNEL_DAY_FIELDS)))
    table[:len(days)] = days
    columns = {name: table[:, i] for i, name in enumerate(FUNNEL_DAY_FIELDS)}
    columns.update({f"cost_{name}": values for name, values in items.items()})
    columns["cost"] = sum(items[k] for k in COST_ITEMS)
    index = None
    if week:
        weeks = np.arange(n) // 7
        index = list(range(int(weeks[-1]) + 1)) if n else []
        columns = {name: grouped_sum(values, weeks, len(index)) for name, values in columns.items()}
    columns["cum_revenue"] = np.cumsum(columns["collected_value"])  # counts and bounded costs: no NaN
    columns["cum_cost"] = np.cumsum(columns["cost"])
    return Table("week" if week else "day", index, columns)


def funnel_table(result):
    """DataFrame of ``funnel_rows``."""
    return funnel_rows(result).frame()


def channel_table(result):
    """DataFrame of ``channel_rows``."""
    return channel_rows(result).frame()


def airing_table(result):
    """DataFrame of ``airing_rows``."""
    return airing_rows(result).frame()


def agent_table(result):
    """DataFrame of ``agent_rows``."""
    return agent_rows(result).frame()


def team_table(result):
    """DataFrame of ``team_rows``."""
    return team_rows(result).frame()


def day_table(result, week: bool = False):
    """DataFrame of ``day_rows``."""
    return day_rows(result, week).frame()


def _days_of(result) -> int:
    return int(np.ceil(result.model.horizon / DAY - 1e-9))


def _daily_costs(result, n: int) -> dict:
    """{COST_ITEMS name: float [n] money per day}: agents and telecom by the interval (agents
    at their group's ``group_agent_rates``), adding up to ``cost_breakdown``'s."""
    m, s, costs = result.model, result.stats, costs_of(result)
    first = int(np.ceil(m.warmup / m.interval - 1e-9))
    day = (np.arange(m.n_intervals) * m.interval // DAY).astype(int)[first:]
    staffed = s.interval_groups[first:, :, INTERVAL_GROUP_FIELDS.index("staffed")]
    line = interval_line_seconds(s)[first:]
    counted = airing_counted(result)
    funnel = np.zeros((n, len(FUNNEL_DAY_FIELDS)))
    days = s.funnel_days.sum(axis=1)
    funnel[:len(days)] = days[:n]
    shipped, refused = funnel[:, FUNNEL_DAY_FIELDS.index("shipped")], funnel[:, FUNNEL_DAY_FIELDS.index("refused")]
    out = {
        "agents": np.bincount(day, weights=staffed @ group_agent_rates(result) / 3600.0, minlength=n)[:n],
        "telecom": np.bincount(day, weights=line / 60.0 * costs.telecom_minute, minlength=n)[:n],
        "fulfilment": shipped * costs.fulfilment_per_order,
        "shipping": shipped * costs.shipping_per_order,
        "returns": refused * costs.return_per_order,
        "ads": np.bincount((np.asarray(m.airing_time, dtype=float)[counted] // DAY).astype(int),
                           weights=np.asarray(m.airing_spend, dtype=float)[counted], minlength=n)[:n],
    }
    # a warm-up inside an interval: [warm-up, the interval's end) is in the totals, not in the
    # whole intervals above; it goes to the warm-up's day
    total, start = cost_breakdown(result), min(int(m.warmup // DAY), n - 1)
    for item in ("agents", "telecom"):
        out[item][start] += total[item] - out[item].sum()
    return out


# ---- across replications ------------------------------------------------------------------


def mean_frames(frames: list, level: float = 0.95):
    """(mean, half-width) DataFrames of same-shaped tables across replications: numeric columns
    averaged (Student t half-width; NaN with one replication), other columns as in the first."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    first = frames[0]
    numbers = [c for c in first.columns if is_numeric_dtype(first[c]) and not is_bool_dtype(first[c])]
    mean, hw = mean_halfwidth(np.stack([f[numbers].to_numpy(dtype=float) for f in frames]), level)
    out_mean, out_hw = first.copy(), first.copy()
    out_mean[numbers] = mean
    out_hw[numbers] = hw
    return out_mean, out_hw



def mean_rows(tables: list, key: str, level: float = 0.95) -> list:
    """Same-shaped ``Table`` s across replications as rows [{key: label, column: {mean,
    ci_halfwidth}}]: numeric columns averaged (Student t half-width, ``mean_halfwidth``; NaN with
    one replication), text as in the first table (``mean_frames`` without pandas)."""
    first = tables[0]
    numbers = [c for c, values in first.columns.items() if _numeric(values)]
    stacked = np.stack([np.column_stack([np.asarray(t.columns[c], dtype=float) for c in numbers])
                        if numbers else np.zeros((len(t), 0)) for t in tables])
    mean, hw = mean_halfwidth(stacked, level)
    rows = []
    for i, label in enumerate(first.labels()):
        row = {key: label if isinstance(label, str) else int(label)}
        for column, values in first.columns.items():
            if column in numbers:
                j = numbers.index(column)
                row[column] = {"mean": float(mean[i, j]), "ci_halfwidth": float(hw[i, j])}
            else:
                row[column] = values[i]
        rows.append(row)
    return rows


def _numeric(values) -> bool:
    """A column of numbers (booleans and text are carried, not averaged)."""
    return isinstance(values, np.ndarray) and values.dtype.kind in "iuf"


def money_report(results: list, level: float = 0.95) -> dict:
    """Everything ``ccsim run`` prints, writes to --json and draws about money, across
    replications (each number {mean, ci_halfwidth}, Student t; NaN half-width with one):
    ``kpis``, ``costs``, ``funnel`` (FUNNEL_FIELDS totals), and the rows of the ``channels``,
    ``airings``, ``teams``, ``agents`` (keyed by ``id``) and ``days`` tables. numpy only."""
    summary = money_summary(results, level)
    out = {
        "kpis": {k: summary[k] for k in MONEY_KPI_NAMES},
        # the cost items of cost_breakdown (money_summary's cost_* columns), not the KPI cost_per_order
        "costs": {k[len("cost_"):]: v for k, v in summary.items()
                  if k.startswith("cost_") and k not in MONEY_KPI_NAMES},
        "funnel": {}, "definitions": dict(MONEY_KPI_DEFINITIONS),
    }
    totals = np.stack([r.stats.funnel_types.sum(axis=0) for r in results])
    for i, name in enumerate(FUNNEL_FIELDS):
        out["funnel"][name] = ci_cell(totals[:, i], level)
    for key, rows_of in (("channels", channel_rows), ("airings", airing_rows), ("teams", team_rows),
                         ("agents", lambda r: agent_rows(r).keyed_by("id")), ("days", day_rows)):
        tables = [rows_of(r) for r in results]
        out[key] = mean_rows(tables, tables[0].index_name, level)
    return out


__all__ = ["COST_ITEMS", "MONEY_KPI_NAMES", "MONEY_KPI_DEFINITIONS", "Table", "agent_rows", "agent_table",
           "airing_rows", "airing_table", "channel_rows", "channel_table", "cost_breakdown", "day_rows",
           "day_table", "funnel_rows", "funnel_table", "grouped_sum", "has_funnel", "has_money", "line_seconds",
           "lost_sales", "mean_frames", "mean_rows", "money_kpis", "money_report", "money_summary",
           "selling_types", "team_rows", "team_table"]
