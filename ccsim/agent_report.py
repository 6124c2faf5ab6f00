"""The agent, team and skill views of a run (issue "Reports"): who worked how much, and how
each call type was served.

``agent_table`` is one row per agent: the roster, the engines' totals (``Result.agents()``),
then ``idle`` = staffed - busy, ``break_time`` and ``logged_in`` (see below), ``occupancy`` =
busy / staffed, ``aht``, ``calls_per_hour`` = answered per staffed hour, and a ``rank`` (1 =
best) by a score, ``calls_per_hour`` unless asked otherwise. ``rollup`` sums it per team (组) or
per squad (队), recomputing the ratios from the sums and naming the leader; ``skill_table`` is one
row per call type: its service level at its own threshold, ASA, abandonment, overflow and
transfers. ``*_summary`` functions average them over replications with Student-t CIs.

Break and logged-in time are not counted by the engines; they are measured here from the
schedule the replication ran (``CompiledModel.shift_plan``, with the replication's absences
under shrinkage, the same draws as the engines'): ``break_time`` is the planned break time of
the agent's shifts inside [warm-up, horizon], ``logged_in`` = staffed + break_time. The
approximation: the engines end a break on time, so a call running past a break's start shortens
the break, and that overrun counts as staffed *and* as break (``logged_in`` is then high by the
overrun); an agent absent for a shift (shrinkage) has neither. Agents without shifts have no
breaks (logged_in = staffed).
"""
from __future__ import annotations

import numpy as np

from .results import AGENT_FIELDS, CALL_FIELDS, ArgumentError, _ratio, mean_halfwidth

# The summed columns of the agent table (seconds but answered and transfers); answered_<type> too.
AGENT_SUMS = (*AGENT_FIELDS, "idle", "break_time", "logged_in")
# The ratios, recomputed from sums in every rollup.
AGENT_RATIOS = ("occupancy", "aht", "calls_per_hour")
DEFAULT_RANK = "calls_per_hour"
# Columns where a lower value ranks first.
LOWER_IS_BETTER = ("aht", "idle", "break_time")
AGENT_DEFINITIONS = {
    "answered": "calls answered (post-warm-up arrivals)",
    "talk": "talk time (s)", "acw": "after-call work (s)", "busy": "talk + ACW clock time (s)",
    "staffed": "on duty: logged in and not on a break (s)", "transfers": "calls transferred to a queue",
    "idle": "staffed - busy (s)", "break_time": "planned break time inside the agent's shifts (s)",
    "logged_in": "staffed + break_time (s)", "occupancy": "busy / staffed",
    "aht": "(talk + ACW) / answered (s)", "calls_per_hour": "answered per staffed hour (the default rank score)",
}


# ---------------------------------------------------------------- schedule time
def _measure(spans, lo: float, hi: float, period: float) -> float:
    """Seconds of ``spans`` ((open, close) pairs of a period; a close past the period wraps to
    its start) inside [lo, hi]."""
    total = 0.0
    for a, b in spans:
        pieces = [(a, min(b, period))] + ([(0.0, b - period)] if b > period else [])
        total += sum(max(0.0, min(y, hi) - max(x, lo)) for x, y in pieces)
    return total


def _union(parts: list, period: float) -> list:
    """The union of several (opens, closes) of one period, as (open, close) pairs."""
    from .scenario.shifts import merge_spans

    spans = []
    for opens, closes in parts:
        for a, b in zip(opens, closes):
            spans += [(a, period), (0.0, b - period)] if b > period else [(a, b)]
    return list(zip(*merge_spans(spans, period)))


def break_seconds(model, seed) -> np.ndarray:
    """float [agents]: each agent's planned break time inside [warm-up, horizon] in the
    replication of ``seed`` (its absences under shrinkage): the time inside its shifts minus its
    time on duty by the schedule (0 for an agent without shifts)."""
    from .scenario.shifts import period_on
    from .schedules import absences, period_weeks

    out = np.zeros(model.n_agents)
    if not model.shift_plan:
        return out
    weeks = period_weeks(model)
    period = weeks * 604800.0
    absent = absences(model, seed) if model.sched_plan else {}
    first = dict(zip(model.group_names, np.asarray(model.group_start)))
    group_of = np.asarray(model.agent_group)
    login, duty = {}, {}
    for agent, begin, days, pieces, length in model.shift_plan:
        group = model.group_names[group_of[agent]]
        row = absent[group][agent - first[group]] if group in absent else None
        login.setdefault(agent, []).append(period_on(begin, days, ((0.0, length),), weeks, row))
        duty.setdefault(agent, []).append(period_on(begin, days, pieces, weeks, row))
    lo, hi = model.sched_shift + model.warmup, model.sched_shift + model.horizon
    for agent in login:
        out[agent] = max(0.0, _measure(_union(login[agent], period), lo, hi, period)
                         - _measure(_union(duty[agent], period), lo, hi, period))
    return out


# ---------------------------------------------------------------- one replication, numpy
# (workers and the command line build these without pandas; the DataFrames below wrap them)
def _ratios(columns: dict) -> None:
    """Add (or recompute from the sums) the AGENT_RATIOS of agent or rollup columns."""
    columns["occupancy"] = _ratio(np.asarray(columns["busy"], float), np.asarray(columns["staffed"], float))
    columns["aht"] = _ratio(np.asarray(columns["talk"], float) + columns["acw"], np.asarray(columns["answered"], float))
    columns["calls_per_hour"] = _ratio(3600.0 * np.asarray(columns["answered"], float),
                                       np.asarray(columns["staffed"], float))


def agent_columns(result) -> dict:
    """{column: array} of ``agent_table`` before ranking, in agent order, without pandas: the
    roster, AGENT_FIELDS, ``answered_<type>``, idle, break_time, logged_in and the ratios."""
    model, stats = result.model, result.stats
    out = model.roster_columns()
    n = model.n_agents
    totals = stats.agent_totals if len(stats.agent_totals) == n else np.zeros((n, len(AGENT_FIELDS)))
    types = stats.agent_types if len(stats.agent_types) == n else np.zeros((n, model.n_types))
    out.update((name, totals[:, i].astype(float)) for i, name in enumerate(AGENT_FIELDS))
    out.update((f"answered_{name}", types[:, k].astype(float)) for k, name in enumerate(model.call_type_names))
    out["idle"] = np.maximum(out["staffed"] - out["busy"], 0.0)
    out["break_time"] = break_seconds(model, result.seed)
    out["logged_in"] = out["staffed"] + out["break_time"]
    _ratios(out)
    return out


def summed_columns(columns: dict) -> list:
    """The columns a rollup sums: AGENT_SUMS and ``answered_<type>``."""
    return [*AGENT_SUMS, *(c for c in columns if c.startswith("answered_"))]


def mean_agent_columns(tables: list) -> dict:
    """``agent_columns`` of replications of one roster averaged, without pandas: the roster as in
    the first, each summed column the mean over replications, the ratios those of the means."""
    out = dict(tables[0])
    for name in summed_columns(out):
        out[name] = np.mean([t[name] for t in tables], axis=0)
    _ratios(out)
    return out


def rollup_columns(columns: dict, by: str = "team") -> dict:
    """``rollup`` without pandas: {"team"[, "squad"], "agents", "leader", sums..., ratios} with one
    entry per team (or squad), sorted."""
    if by not in ("team", "squad"):
        raise ArgumentError(f"by must be 'team' or 'squad', got {by!r}")
    team, squad = np.asarray(columns["team"], dtype=object), np.asarray(columns["squad"], dtype=object)
    keep = np.ones(len(team), bool) if by == "team" else squad != ""
    keys = list(zip(team[keep])) if by == "team" else list(zip(team[keep], squad[keep]))
    names = sorted(set(keys))
    where = {k: i for i, k in enumerate(names)}
    row = np.array([where[k] for k in keys], dtype=np.int64)
    out = {"team": np.array([k[0] for k in names], dtype=object)}
    if by == "squad":
        out["squad"] = np.array([k[1] for k in names], dtype=object)
    out["agents"] = np.bincount(row, minlength=len(names)).astype(float)
    ids, leaders = np.asarray(columns["id"], dtype=object)[keep], np.asarray(columns["leader"], bool)[keep]
    out["leader"] = np.array([", ".join(sorted(str(i) for i in ids[(row == r) & leaders])) for r in range(len(names))],
                             dtype=object)
    for name in summed_columns(columns):
        out[name] = np.bincount(row, weights=np.asarray(columns[name], float)[keep], minlength=len(names))
    _ratios(out)
    return out


def skill_columns(result) -> dict:
    """``skill_table`` without pandas: {"call_type", SKILL_COLUMNS...}, one entry per call type."""
    model, totals = result.model, result.stats.total_calls
    f = {name: totals[:, i].astype(float) for i, name in enumerate(CALL_FIELDS)}
    kpis = result.kpis_by_call_type()
    names = list(model.call_type_names)
    return {
        "call_type": np.array(names, dtype=object),
        "threshold": np.asarray(model.type_thresholds(), float),
        "offered": f["offered"], "answered": f["answered"],
        "service_level": np.array([kpis[n]["service_level"] for n in names], float),
        "asa": np.array([kpis[n]["asa"] for n in names], float),
        "abandoned": f["abandoned"], "abandon_rate": np.array([kpis[n]["abandon_rate"] for n in names], float),
        "overflowed": f["overflowed"], "overflow_share": _ratio(f["overflowed"], f["answered"]),
        "transferred_in": f["transferred_in"], "transferred_out": f["transferred_out"],
    }


SKILL_COLUMNS = ("threshold", "offered", "answered", "service_level", "asa", "abandoned", "abandon_rate",
                 "overflowed", "overflow_share", "transferred_in", "transferred_out")
SKILL_RATES = ("service_level", "asa", "abandon_rate", "overflow_share")


# ---------------------------------------------------------------- one replication, pandas
def agent_frame(columns: dict):
    """An agent table (index ``agent``) of ``agent_columns``, unranked."""
    import pandas as pd

    frame = pd.DataFrame(columns)
    frame.index.name = "agent"
    return frame


def agent_table(result, rank_by: str = DEFAULT_RANK, ascending=None):
    """DataFrame, one row per agent (index ``agent``): ``Result.agents()`` with idle, break_time,
    logged_in and calls_per_hour added, and ``rank`` (1 = best; ties share the best rank;
    agents with no value last) by ``rank_by`` (a numeric column; larger is better except for
    LOWER_IS_BETTER columns, or as ``ascending`` says), sorted by rank."""
    return rank(agent_frame(agent_columns(result)), rank_by, ascending)


def rank(frame, by: str = DEFAULT_RANK, ascending=None):
    """``frame`` with a ``rank`` column (1 = best, ties share the best rank, NaN last) by column
    ``by``, sorted by it."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    def numeric(column) -> bool:
        return is_numeric_dtype(frame[column]) and not is_bool_dtype(frame[column])

    if by not in frame.columns or not numeric(by):
        numbers = ", ".join(c for c in frame.columns if numeric(c) and c != "rank")
        raise ArgumentError(f"cannot rank agents by {by!r}: give a numeric column ({numbers})")
    asc = by in LOWER_IS_BETTER if ascending is None else bool(ascending)
    frame = frame.copy()
    frame["rank"] = frame[by].rank(method="min", ascending=asc, na_option="bottom").astype(int)
    return frame.sort_values(["rank", "id"], kind="stable")


def rollup(agents, by: str = "team"):
    """Sums of an agent table per team (``by="team"``) or per squad (``by="squad"``, index (team,
    squad); agents without a squad left out): agents, every AGENT_SUMS and ``answered_<type>``
    column summed, the ratios recomputed from the sums, and ``leader`` (the ids of the squads'
    leaders, comma-separated)."""
    import pandas as pd

    columns = rollup_columns({c: agents[c].to_numpy() for c in agents.columns}, by)
    keys = ["team"] if by == "team" else ["team", "squad"]
    frame = pd.DataFrame(columns)
    return frame.set_index(keys)


def skill_table(result):
    """DataFrame, one row per call type (index ``call_type``): ``threshold`` (its own, s),
    offered, answered, ``service_level`` at that threshold, ``asa``, abandoned, ``abandon_rate``,
    ``overflowed`` (answered by a backup group) and ``overflow_share`` (of the answered),
    ``transferred_in``, ``transferred_out``, over calls that arrived after the warm-up."""
    import pandas as pd

    return pd.DataFrame(skill_columns(result)).set_index("call_type")


# ---------------------------------------------------------------- over replications
def mean_agent_table(tables: list, rank_by: str = DEFAULT_RANK, ascending=None):
    """Agent tables of replications of one roster averaged: each sum the mean over
    replications, the ratios those of the means, ranked again (``rank``)."""
    if not tables:
        raise ArgumentError("mean_agent_table needs at least one agent table")
    first = tables[0].sort_index()
    sums = [*AGENT_SUMS, *(c for c in first.columns if c.startswith("answered_"))]
    out = first.copy()
    out[sums] = np.mean([t.sort_index()[sums].to_numpy(float) for t in tables], axis=0)
    _ratios(out)
    return rank(out, rank_by, ascending)


def rollup_summary(tables: list, by: str = "team"):
    """``rollup`` of each replication's agent table, averaged (sums: means; ratios: of the means)
    with a ``<ratio>_ci`` Student-t half-width of each ratio over the replications (NaN from one)."""
    rollups = [rollup(t, by) for t in tables]
    out = rollups[0].copy()
    numbers = [c for c in out.columns if c not in ("agents", "leader", *AGENT_RATIOS)]
    out[numbers] = np.mean([r[numbers].to_numpy(float) for r in rollups], axis=0)
    _ratios(out)
    for ratio in AGENT_RATIOS:
        out[f"{ratio}_ci"] = _halfwidths([r[ratio].to_numpy(float) for r in rollups])
    return out


def skill_summary(tables: list):
    """``skill_table`` of replications averaged (counts: means; rates: means of the
    replications' rates) with a ``<rate>_ci`` Student-t half-width for each SKILL_RATES column."""
    out = tables[0].copy()
    numbers = [c for c in SKILL_COLUMNS if c != "threshold"]
    values = np.stack([t[numbers].to_numpy(float) for t in tables])
    out[numbers] = mean_halfwidth(values)[0] if len(tables) > 1 else values[0]
    for rate in SKILL_RATES:
        out[f"{rate}_ci"] = _halfwidths([t[rate].to_numpy(float) for t in tables])
    return out


def _halfwidths(rows: list) -> np.ndarray:
    if len(rows) < 2:
        return np.full(len(rows[0]), np.nan)
    return mean_halfwidth(np.stack(rows))[1]
