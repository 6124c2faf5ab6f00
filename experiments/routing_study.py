"""Four routing policies on the seed's multi-skill center (scenarios/multiskill.yaml), with CRN.

Policies (agent selection + queue selection; the scenario's overflow, reservation and
threshold rules hold under all four):
  longest_idle       longest idle agent + longest waiting call (the baseline, the scenario's own)
  best_proficiency   the fastest agent for the call type + each team's skill priorities
  ordered_groups     the call type's group order (the gold sellers, then the sales teams, then
                     the cross team for sales; specialists first) + strict priority by the order
                     of each team's serves (with the sales overflow delay as a minimum
                     head-of-queue wait before the cross team takes sales)
  best_conversion    performance-based routing: the idle agent with the highest conversion
                     ability (agents without one count as 0) + longest waiting call

Replication r of every policy uses the same seed (common random numbers: the same callers,
the same menu choices, the same patience, the same buying propensity), so each policy's
difference from the baseline is estimated from the paired differences d_r = policy_r -
baseline_r: mean(d) +- t * sd(d) / sqrt(n). Prints, and writes as Markdown, the paired
differences of service level, ASA and abandonment rate with their 95 % confidence intervals,
for the whole center and for each call type, and of the sales funnel's conversion (orders per
answered sales call) and collected revenue (回款, money of signed parcels settled within the
funnel's follow-up) for the whole center (only sales sells).

Usage: python experiments/routing_study.py [--reps 20] [--seed 2026] [--workers N] [--out results]
Writes results/routing_study.md.
"""
import argparse
from pathlib import Path

import numpy as np

from ccsim import load_scenario
from ccsim.experiment import analysis
from ccsim.experiment.analysis import HIGHER_IS_BETTER
from ccsim.experiment.backends import LocalBackend
from ccsim.experiment.overrides import apply_and_validate
from ccsim.experiment.records import Point
from ccsim.experiment.runner import run_study
from ccsim.scenario import scenario_to_dict

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "multiskill.yaml"
POLICIES = {
    "longest_idle + longest_waiting": ("longest_idle", "longest_waiting"),
    "best_proficiency + skill_priority": ("best_proficiency", "skill_priority"),
    "ordered_groups + priority": ("ordered_groups", "priority"),
    "best_conversion + longest_waiting": ("best_conversion", "longest_waiting"),
}
KPIS = {"service_level": "service level", "asa": "ASA (s)", "abandon_rate": "abandonment"}  # every scope
MONEY = {"conversion": "conversion", "collected_revenue": "collected revenue"}  # the whole center only
LABELS = {**KPIS, **MONEY}
FRACTIONS = ("service_level", "abandon_rate", "conversion")  # shown in percentage points
LEVEL = 0.95


def policy_points(base: dict) -> list:
    """One study point per policy, the baseline (point 0) first."""
    points = []
    for i, (label, (agents, queues)) in enumerate(POLICIES.items()):
        overrides = {"routing.agent_selection": agents, "routing.queue_selection": queues}
        points.append(Point(i, label, overrides, apply_and_validate(base, overrides)))
    return points


def with_call_type_kpis(data, call_types: list):
    """``data`` whose records' kpis also hold ``<kpi>@<call type>`` for the KPIS of each call
    type (from record.by_call_type), so that the library's comparison reads them."""
    for point in data.points:
        for record in data.records_of(point.point):
            for scope in call_types:
                for kpi in KPIS:
                    record.kpis[f"{kpi}@{scope}"] = record.by_call_type[scope][kpi]
    return data


def differences(data, scopes: list) -> list:
    """One row per (policy other than the baseline, scope, KPI): the paired difference and its CI
    (``analysis.compare``: CRN, so the t interval of the per-replication differences); the KPIS
    in every scope, then the MONEY KPIs of the whole center."""
    with_call_type_kpis(data, [s for s in scopes if s != "all"])
    cells = [(scope, kpi) for scope in scopes for kpi in KPIS] + [("all", kpi) for kpi in MONEY]
    names = {(kpi if scope == "all" else f"{kpi}@{scope}"): (scope, kpi) for scope, kpi in cells}
    table = analysis.compare(data, baseline=0, kpis=list(names), level=LEVEL)
    return [{"policy": row["label"], "scope": names[row["kpi"]][0], "kpi": names[row["kpi"]][1],
             "reps": row["reps"], "baseline_mean": row["baseline_mean"], "policy_mean": row["mean"],
             "diff": row["diff"], "ci_low": row["ci_low"], "ci_high": row["ci_high"]}
            for _, row in table.iterrows()]


def _fmt(kpi: str, value: float) -> str:
    """A difference: fractions in percentage points, ASA in seconds, money in whole units."""
    if kpi in FRACTIONS:
        return f"{100 * value:+.2f} pp"
    return f"{value:+,.0f}" if kpi == "collected_revenue" else f"{value:+.2f}"


def _level(kpi: str, value: float) -> str:
    """A level (baseline or policy mean): fractions in %, ASA in seconds, money in whole units."""
    if kpi in FRACTIONS:
        return f"{100 * value:.2f}"
    return f"{value:,.0f}" if kpi == "collected_revenue" else f"{value:.2f}"


def _verdict(row: dict) -> str:
    """better / worse when the CI excludes 0 (higher service level, conversion and revenue, lower
    ASA and abandonment)."""
    if not np.isfinite(row["ci_low"]) or row["ci_low"] <= 0 <= row["ci_high"]:
        return "no significant difference"
    return "better" if (row["diff"] > 0) == HIGHER_IS_BETTER[row["kpi"]] else "worse"


def markdown(rows: list, reps: int, seed: int) -> str:
    """The report: a table of paired differences per policy."""
    lines = ["# Routing study on multiskill.yaml", "",
             f"{reps} replications per policy, common random numbers (seed {seed}); each cell is the "
             f"mean paired difference policy - baseline (longest_idle + longest_waiting) with its "
             f"{100 * LEVEL:.0f} % confidence interval; service level, abandonment and conversion in %, "
             "their differences in percentage points, ASA in seconds, collected revenue in the "
             "scenario's currency (yuan) over the week's orders, followed to the funnel's cut.", ""]
    for policy in dict.fromkeys(r["policy"] for r in rows):
        lines += [f"## {policy}", "", "| scope | KPI | baseline | policy | difference | 95 % CI | verdict |",
                  "|---|---|---:|---:|---:|---|---|"]
        for r in (r for r in rows if r["policy"] == policy):
            lines.append(f"| {r['scope']} | {LABELS[r['kpi']]} | {_level(r['kpi'], r['baseline_mean'])} | "
                         f"{_level(r['kpi'], r['policy_mean'])} | {_fmt(r['kpi'], r['diff'])} | "
                         f"[{_fmt(r['kpi'], r['ci_low'])}, {_fmt(r['kpi'], r['ci_high'])}] | {_verdict(r)} |")
        lines.append("")
    return "\n".join(lines)


def run(reps: int, seed: int, workers=None, scenario=SCENARIO):
    """The study's data and its rows of paired differences."""
    base = scenario_to_dict(load_scenario(scenario))
    backend = LocalBackend(workers)
    try:
        data = run_study(policy_points(base), reps, seed=seed, crn=True, backend=backend,
                         name="routing_study", kind="compare")
    finally:
        backend.close()
    scopes = ["all"] + [c["name"] for c in base["call_types"]]
    return data, differences(data, scopes)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--out", type=Path, default=ROOT / "results")
    args = parser.parse_args(argv)
    if args.reps < 2:
        parser.error("--reps must be at least 2 (a confidence interval needs two paired differences)")
    _, rows = run(args.reps, args.seed, args.workers)
    text = markdown(rows, args.reps, args.seed)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "routing_study.md"
    path.write_text(text)
    print(f"report: {path}")
    return rows


if __name__ == "__main__":
    main()
