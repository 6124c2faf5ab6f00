"""Replications of a run in periods pooled: per period, each KPI's mean over the replications
with its 95 % Student-t half-width (``results.ci_cell``); the rate of wrong eliminations; the
agreement of the published ranking with the true one; and the HTML report of them all.

The same cells feed ``ccsim workforce``'s tables and ``--json``, and its ``--html`` report, so
the page and the JSON summary show the same numbers.
"""
from __future__ import annotations

import math

import numpy as np

from ..results import ci_cell

# The per-period row keys pooled over replications, in the report's order (the tenure mix's
# keys, tenure_*, are added from the rows).
PEOPLE_KEYS = ("headcount", "hired", "eliminated", "quit", "promoted", "turnover", "wrong_eliminations",
               "wrong_elimination_rate")
RESULT_KEYS = ("true_mean_conversion", "observed_conversion", "service_level", "revenue", "collected", "cost", "profit")
LEDGER_KEYS = ("hired", "active", "in_training", "recruiting", "eliminated", "quit", "promoted")


def wrong_share(wrong: float, eliminated: float) -> float:
    """The share of the eliminated whose true conversion was above the median (NaN if none)."""
    return float(wrong) / float(eliminated) if eliminated else math.nan


def with_wrong_rate(row: dict) -> dict:
    """``row`` with its ``wrong_elimination_rate`` (wrong eliminations / eliminated, NaN if none)."""
    return {**row, "wrong_elimination_rate": wrong_share(row.get("wrong_eliminations", 0), row.get("eliminated", 0))}


def tenure_keys(results: list) -> list:
    """The rows' tenure-mix keys, in band order."""
    return [k for k in results[0].rows[0] if k.startswith("tenure_")]


def period_keys(results: list) -> list:
    """Every key pooled per period: people, the tenure mix, results."""
    return list(PEOPLE_KEYS[:1]) + tenure_keys(results) + list(PEOPLE_KEYS[1:]) + list(RESULT_KEYS)


def pooled_periods(results: list, keys=None) -> list:
    """Per period: {"period": 1-based, key: {"mean", "ci_halfwidth"}} over the replications
    (a value missing or NaN in a replication is left out of its cell)."""
    _check(results)
    keys = period_keys(results) if keys is None else keys
    out = []
    for p in range(len(results[0].rows)):
        rows = [with_wrong_rate(r.rows[p]) for r in results]
        out.append({"period": p + 1, **{k: ci_cell([row.get(k, math.nan) for row in rows]) for k in keys}})
    return out


def run_wrong_rate(result) -> float:
    """One replication's rate of wrong eliminations over the whole run: wrong eliminations /
    eliminated, summed over the periods (NaN if it eliminated nobody)."""
    return wrong_share(sum(r["wrong_eliminations"] for r in result.rows), sum(r["eliminated"] for r in result.rows))


def rank_correlation(result) -> float:
    """Spearman's correlation of the observed and the true rank of the agents ranked on the last
    period's leaderboard (NaN with fewer than 3 agents or no spread)."""
    from ..report.workforce import leaderboard_kpi, leaderboard_rows

    agents = leaderboard_rows(result, leaderboard_kpi(result))[1]
    pairs = np.array([(a["observed_rank"], a["true_rank"]) for a in agents if a["true_rank"]], dtype=float)
    if len(pairs) < 3 or np.ptp(pairs[:, 0]) == 0 or np.ptp(pairs[:, 1]) == 0:
        return math.nan
    return float(np.corrcoef(pairs[:, 0], pairs[:, 1])[0, 1])


def pooled_run(results: list) -> dict:
    """Over the whole run, per replication then pooled: eliminated and wrong eliminations
    (sums over the periods), the rate of wrong eliminations (over the replications that
    eliminated someone: ``replications`` says how many), the last period's rank correlation,
    and the ledger of people at the end."""
    _check(results)
    rates = [run_wrong_rate(r) for r in results]
    return {
        "eliminated": ci_cell([sum(row["eliminated"] for row in r.rows) for r in results]),
        "wrong_eliminations": ci_cell([sum(row["wrong_eliminations"] for row in r.rows) for r in results]),
        "wrong_elimination_rate": {**ci_cell(rates), "replications": int(np.isfinite(rates).sum())},
        "rank_correlation": ci_cell([rank_correlation(r) for r in results]),
        "ledger": {k: ci_cell([r.ledger()[k] for r in results]) for k in LEDGER_KEYS},
    }


def pooled_summary(results: list) -> dict:
    """{"reps", "periods": ``pooled_periods``, "run": ``pooled_run``}: what the pooled HTML
    report shows (and embeds as JSON)."""
    return {"reps": len(results), "periods": pooled_periods(results), "run": pooled_run(results)}


def report_html(results, path, title: str = "ccsim workforce report", replication: int = 0):
    """Write the HTML report of ``results`` (a list of ``PeriodRun``, one per replication; or
    one ``PeriodRun``) to ``path``: per period each KPI's mean with its 95 % CI over the
    replications (bands in the charts, ± in the tables), the rate of wrong eliminations with
    its CI, and the trajectories and leaderboards of replication ``replication`` (0-based).
    Returns the path."""
    from ..report.workforce import write_workforce_html

    return write_workforce_html(results, path, title, replication)


def _check(results: list) -> None:
    if not results:
        raise ValueError("no replication to pool")
    n = {len(r.rows) for r in results}
    if len(n) != 1 or 0 in n:
        raise ValueError(f"the replications must have the same number of periods (>= 1), found {sorted(n)}")
