"""The bottom-elimination study (末位淘汰) on the seed's multi-skill center
(scenarios/multiskill.yaml: sales agents drawn with conversion abilities and QA error rates, the
sales funnel, costs), run over six months in monthly periods. Four policies:

  none            no elimination
  monthly         the bottom 10 % of the sales agents on the month's conversion eliminated
                  after each month (at least 40 sales calls to be ranked)
  quarterly       the bottom 10 % on the quarter's conversion eliminated after months 3 and 6
  training        no elimination: the bottom 10 % of each month go on a 5-day training
                  programme (off the phones, paid, 600 yuan each) and come back +3 points of
                  conversion (up to 0.45), with 30 % fewer QA errors

Every policy runs on the same people machinery: voluntary attrition (2.5 % a month), hiring to
keep each group's headcount (three weeks' recruitment, a week of paid training, 4000 yuan a
hire, new hires' conversion ~ beta(0.22, 0.05), 15 % slower), learning with tenure (conversion
toward 0.40, tau 120 days; handle time toward the group's best), QA monitoring (10 calls an agent a
month, coaching after errors). Replication r of every policy uses the same seed (common random
numbers: the same callers; the policies' draws keyed by agent and month), so each policy is
compared with ``none`` by the paired differences d_r: mean(d) +- t sd(d) / sqrt(n).

Reported per policy: conversion (orders / sales calls answered), service level, revenue (order
value taken), collected (cash of those orders collected by the funnel's cut), cost (agent hours,
hiring, training, QA, telecom, fulfilment, shipping, returns, ads), profit (collected - cost), turnover
(leavers / mean headcount over the run) and wrong eliminations (eliminated with a true
conversion above the median of those active). A second table gives the share of wrong
eliminations from the ranking's noise alone against the sales calls an agent answers in the
ranking window (window x volume), for the study's ability spread.

A third table measures that dependence in the simulated center itself: the ranking window
(days pooled) against the call volume (the hotline's arrival rates scaled), the bottom 10 % of
the sales agents on the window's conversion (at least 10 sales calls) eliminated once, at the
window's end; per cell, the share of the eliminated whose true conversion was above the median,
mean over the replications +- 95 % CI, beside the sales calls a ranked agent answered in the
window and the noise model's share at that many calls. No learning, attrition or hiring here:
the true abilities stay fixed, so every wrong elimination comes from the ranking's noise.

Usage: python experiments/elimination_study.py [--reps 10] [--months 6] [--seed 2026] [--out results]
                                               [--part all|policies|windows] [--full]
Writes results/elimination_study.md (--part windows: results/elimination_windows.md).
"""
import argparse
import copy
import time
from pathlib import Path

import numpy as np
import yaml
from ccsim.results import CALL_FIELDS, FUNNEL_FIELDS, mean_halfwidth
from ccsim.workforce import (Attrition, BottomElimination, Hiring, Learning, QAMonitoring, Training,
                             run_periods)
from ccsim.workforce.pooled import wrong_share

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "multiskill.yaml"
DAY = 86400.0
MONTH = 365.25 / 12 * DAY
SALES = ["sales_a", "sales_b"]
SLOTS = {"sales_a": 30, "sales_b": 30, "service": 8, "cross": 6}
POLICIES = ("none", "monthly", "quarterly", "training")
KPIS = ("conversion", "service_level", "revenue", "collected", "cost", "profit", "turnover", "wrong_eliminations")
LEVEL = 0.95


def scenario(months: float) -> dict:
    """multiskill.yaml run for ``months`` months (its weekly pattern repeating)."""
    s = yaml.safe_load(SCENARIO.read_text())
    s = copy.deepcopy(s)
    s["horizon"] = round(months * MONTH)
    return s


def common():
    """The people machinery every policy shares."""
    return [Attrition(0.025, path="attrition"),
            Learning(ceiling=0.40, tau_days=120, factor_floor=0.9, path="learning"),
            QAMonitoring(sample=10, coaching=0.2, path="qa")]


def hiring():
    return Hiring(delay_days=21, training_days=7, cost=4000, factor=1.15,
                  conversion={"dist": "beta", "mean": 0.22, "sd": 0.05}, path="hiring")


def policies(name: str) -> list:
    """The policies of arm ``name`` (elimination before attrition, hiring last)."""
    ranked = dict(kpi="conversion", min_calls=40, groups=SALES)
    arm = {"none": [],
           "monthly": [BottomElimination(fraction=0.1, **ranked, path="monthly")],
           "quarterly": [BottomElimination(fraction=0.1, window=3, every=3, **ranked, path="quarterly")],
           "training": [Training(fraction=0.1, days=5, conversion_gain=0.03, ceiling=0.45, qa_gain=0.3, cost=600,
                                 **ranked, path="training")]}[name]
    return arm + common() + [hiring()]


def one_run(name: str, months: float, seed: int, engine: str = "core") -> dict:
    """The study's KPIs of arm ``name``, replication seed ``seed``."""
    result = run_periods(scenario(months), MONTH, policies(name), seed=seed, engine=engine, slots=SLOTS)
    t = result.table()
    calls = result.raw.total_calls
    C = {f: i for i, f in enumerate(CALL_FIELDS)}
    leavers = t[["eliminated", "quit", "promoted"]].sum().sum()
    return dict(conversion=t["orders"].sum() / t["sales_answered"].sum(),
                service_level=calls[:, C["answered_in_sl"]].sum() / calls[:, C["offered"]].sum(),
                revenue=t["revenue"].sum(), collected=t["collected"].sum(), cost=t["cost"].sum(),
                profit=t["profit"].sum(),
                turnover=leavers / t["headcount"].mean(), wrong_eliminations=float(t["wrong_eliminations"].sum()),
                eliminated=float(t["eliminated"].sum()), hired=float(t["hired"].sum()))


def study(reps: int = 10, months: float = 6, seed: int = 2026) -> dict:
    """{policy: {kpi: [reps]}}: replication r of every policy runs with seed + r (CRN)."""
    out = {name: {k: [] for k in KPIS + ("eliminated", "hired")} for name in POLICIES}
    for r in range(reps):
        for name in POLICIES:
            for k, v in one_run(name, months, seed + r).items():
                out[name][k].append(float(v))
    return out


def summary(data: dict) -> dict:
    """{policy: {kpi: (mean, hw, paired diff vs none, its hw)}}."""
    base = data["none"]
    out = {}
    for name in POLICIES:
        out[name] = {}
        for k in KPIS:
            m, hw = mean_halfwidth(data[name][k], LEVEL)
            d, dhw = mean_halfwidth(np.subtract(data[name][k], base[k]), LEVEL)
            out[name][k] = (m, hw, d, dhw)
    return out


def markdown(s: dict, reps: int, months: float) -> str:
    fmt = {"conversion": "{:.4f}", "service_level": "{:.3f}", "revenue": "{:,.0f}", "collected": "{:,.0f}", "cost": "{:,.0f}",
           "profit": "{:,.0f}", "turnover": "{:.3f}", "wrong_eliminations": "{:.1f}"}
    lines = [f"# Bottom elimination on the seed center: {months:g} months, {reps} replications (CRN)", "",
             "Mean ± 95 % CI; Δ = paired difference from no elimination ± 95 % CI.", "",
             "| policy | " + " | ".join(KPIS) + " |", "|---" * (len(KPIS) + 1) + "|"]
    for name in POLICIES:
        cells = []
        for k in KPIS:
            m, hw, d, dhw = s[name][k]
            cell = f"{fmt[k].format(m)} ± {fmt[k].format(hw)}"
            if name != "none":
                cell += f"<br>Δ {fmt[k].format(d)} ± {fmt[k].format(dhw)}"
            cells.append(cell)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    best = max(POLICIES, key=lambda n: s[n]["profit"][0])
    d, dhw = s[best]["profit"][2:]
    verdict = (f"Highest profit: **{best}**" + ("" if best == "none" else
                                                 f", {d:,.0f} ± {dhw:,.0f} yuan over no elimination "
                                                 f"({'significant' if abs(d) > dhw else 'not significant'} at 95 %)"))
    return "\n".join(lines + ["", verdict + ".", ""])


def wrong_rate_by_calls(calls=(25, 50, 100, 250, 500, 1000, 2500), agents=54, fraction=0.1, mean=0.28, sd=0.06,
                        draws=4000, seed=2026) -> dict:
    """{calls: (share of the eliminated whose true conversion is above the median, its 95 % CI
    half-width)}: the ranking's noise alone, without the simulator. Each draw: ``agents`` true
    conversions from the study's beta(mean, sd), each agent's orders ~ binomial(calls, p), the
    bottom ``fraction`` on observed conversion (ties at random) eliminated. ``calls`` is what
    an agent answers in the ranking window (window x volume)."""
    rng = np.random.default_rng(seed)
    total = mean * (1 - mean) / sd ** 2 - 1
    k = int(fraction * agents)
    out = {}
    for n in calls:
        p = rng.beta(mean * total, (1 - mean) * total, (draws, agents))
        observed = rng.binomial(n, p) + rng.random((draws, agents)) * 1e-3  # ties at random
        bottom = np.argsort(observed, axis=1)[:, :k]
        above = np.take_along_axis(p, bottom, axis=1) > np.median(p, axis=1, keepdims=True)
        share = above.mean(axis=1)
        out[n] = mean_halfwidth(share, LEVEL)
    return out


def noise_markdown(rates: dict) -> str:
    lines = ["| sales calls per agent in the window | wrong eliminations (share of those eliminated) |",
             "|---:|---:|"]
    lines += [f"| {n:,} | {m:.3f} ± {hw:.3f} |" for n, (m, hw) in rates.items()]
    return "\n".join(lines) + "\n"


# The window x volume grid: days pooled by the ranking, and the hotline's arrival rates scaled.
WINDOWS, VOLUMES, WINDOW_REPS = (1, 3, 10), (0.25, 0.5, 1.0), 30
FULL_WINDOWS, FULL_VOLUMES, FULL_WINDOW_REPS = (1, 2, 5, 10, 20), (0.1, 0.25, 0.5, 1.0), 40
WINDOW_MIN_CALLS = 10


def window_scenario(window: int, volume: float) -> dict:
    """multiskill.yaml for ``window`` days and an hour (the center is closed then: the last
    period only lets the policy act), its arrival rates times ``volume``."""
    s = scenario(1)
    s["horizon"] = window * DAY + 3600
    for entry in s["entries"]:
        entry["arrivals"]["rates"] = [r * volume for r in entry["arrivals"]["rates"]]
    return s


def window_run(window: int, volume: float, seed: int, engine: str = "core") -> dict:
    """One replication of a grid cell: the bottom 10 % of the sales agents on the conversion of
    the first ``window`` days eliminated at its end. {"wrong", "eliminated", "calls": mean sales
    calls answered in the window by the sales agents ranked}."""
    ranked = BottomElimination(fraction=0.1, kpi="conversion", window=window, every=window,
                               min_calls=WINDOW_MIN_CALLS, groups=SALES, path="ranking")
    result = run_periods(window_scenario(window, volume), DAY, [ranked], seed=seed, engine=engine)
    row = result.rows[window - 1]
    sales = sum(result.funnel_counts[:window])[:, FUNNEL_FIELDS.index("sales_answered")]
    mine = np.isin(np.asarray(result.group_names)[result.group], SALES) & (sales >= WINDOW_MIN_CALLS)
    return dict(wrong=float(row["wrong_eliminations"]), eliminated=float(row["eliminated"]),
                calls=float(sales[mine].mean()) if mine.any() else np.nan)


def window_study(windows=WINDOWS, volumes=VOLUMES, reps: int = WINDOW_REPS, seed: int = 2026) -> dict:
    """{(window, volume): {"rate": (mean, hw) of wrong / eliminated over the replications,
    "calls": (mean, hw), "eliminated": (mean, hw), "noise": (mean, hw) of the noise model at
    that many calls}}; replication r of every cell runs with seed + r."""
    out = {}
    for w in windows:
        for v in volumes:
            runs = [window_run(w, v, seed + r) for r in range(reps)]
            rates = [wrong_share(x["wrong"], x["eliminated"]) for x in runs]
            calls = mean_halfwidth([x["calls"] for x in runs], LEVEL)
            noise = (wrong_rate_by_calls(calls=(max(1, round(calls[0])),), seed=seed)[max(1, round(calls[0]))]
                     if np.isfinite(calls[0]) else (np.nan, np.nan))
            out[w, v] = {"rate": mean_halfwidth(rates, LEVEL), "calls": calls, "noise": noise,
                         "eliminated": mean_halfwidth([x["eliminated"] for x in runs], LEVEL)}
    return out


def window_markdown(cells: dict, reps: int) -> str:
    lines = [f"Wrong eliminations against the ranking window and the call volume, simulated ({reps} replications "
             "a cell; the bottom 10 % of the sales agents eliminated once, at the window's end; mean ± 95 % CI):",
             "", "| window (days) | call volume | sales calls per ranked agent | eliminated | wrong eliminations "
             "(share of those eliminated) | noise model at that many calls |", "|---:|---:|---:|---:|---:|---:|"]
    for (w, v), c in cells.items():
        (r, rhw), (n, nhw), (e, _), (m, mhw) = c["rate"], c["calls"], c["eliminated"], c["noise"]
        lines.append(f"| {w} | {v:.0%} | {n:,.0f} ± {nhw:,.0f} | {e:.1f} | {r:.3f} ± {rhw:.3f} | {m:.3f} ± {mhw:.3f} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--months", type=float, default=6)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", default="results")
    ap.add_argument("--part", choices=("all", "policies", "windows"), default="all",
                    help="the policy study, the window x volume table, or both")
    ap.add_argument("--full", action="store_true", help="the window x volume table on the larger grid")
    a = ap.parse_args()
    t0 = time.perf_counter()
    text = ""
    if a.part in ("all", "policies"):
        s = summary(study(a.reps, a.months, a.seed))
        text = markdown(s, a.reps, a.months)
        text += ("\nThe ranking's noise alone (bottom 10 % of 54 agents with conversion ~ beta(0.28, 0.06), "
                 "4000 draws):\n\n" + noise_markdown(wrong_rate_by_calls()) + "\n")
    if a.part in ("all", "windows"):
        grid = (FULL_WINDOWS, FULL_VOLUMES, FULL_WINDOW_REPS) if a.full else (WINDOWS, VOLUMES, WINDOW_REPS)
        text += window_markdown(window_study(*grid, seed=a.seed), grid[2])
    print(text)
    print(f"({time.perf_counter() - t0:.0f} s)")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / ("elimination_windows.md" if a.part == "windows" else "elimination_study.md")).write_text(text)


if __name__ == "__main__":
    main()
