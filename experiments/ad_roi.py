"""The ad ROI study on the seed's media hotline (scenarios/media_hotline.yaml, with its sales
funnel and costs): two changes a sales director weighs, each against the week as shipped.

  budget shift    20 % of one channel's ad budget (default: TV's) moved to the other (online):
                  every airing of the source channel gets 0.8 x its spend, every airing of the
                  target channel gets its spend scaled up so that the target's total rises by
                  exactly the amount taken (the week's total ad spend is unchanged; a ``grp``
                  annotation scales with the spend). A channel's ad calls respond linearly: an
                  airing of spend A brings Poisson(A x calls_per_unit) callers, so the source
                  loses (moved x its calls_per_unit) expected callers and the target gains
                  (moved x its calls_per_unit); the report prints these expectations beside the
                  measured differences.
  best converters sales calls routed to the idle agent with the highest conversion ability
                  (routing.agent_selection: best_conversion; the sales agents of
                  media_hotline.yaml are drawn with conversion abilities, roster_seed fixed).

Replication r of every point uses the same seed (common random numbers: the same organic
callers, menu choices, patience and buying propensities), so each change is estimated from the
paired differences d_r = change_r - baseline_r: mean(d) +- t * sd(d) / sqrt(n), with the
variance reduction (var A + var B) / var(d) that pairing buys. Prints, and writes as
Markdown, the paired differences of calls, orders, conversion, collected revenue, total cost and
ROI for the center, and of the callers of each ad channel.

Usage: python experiments/ad_roi.py [--reps 30] [--seed 2026] [--from tv] [--to online]
                                    [--share 0.2] [--workers N] [--out results]
Writes results/ad_roi.md.
"""
import argparse
import copy
from pathlib import Path

import numpy as np

from ccsim import load_scenario
from ccsim.experiment import analysis
from ccsim.experiment.backends import LocalBackend
from ccsim.experiment.overrides import apply_and_validate
from ccsim.experiment.records import Point
from ccsim.experiment.runner import run_study
from ccsim.scenario import scenario_to_dict

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "media_hotline.yaml"
KPIS = {"callers": "callers (all numbers)", "offered": "calls reaching a queue", "orders": "orders",
        "conversion": "conversion", "collected_revenue": "collected revenue", "total_cost": "total cost",
        "roi": "ROI"}
HIGHER_IS_BETTER = {"orders": True, "conversion": True, "collected_revenue": True, "total_cost": False,
                    "roi": True}
LEVEL = 0.95


def shifted_airings(base: dict, source: str, target: str, share: float) -> tuple:
    """(the airings with ``share`` of ``source``'s total spend moved to ``target``, the amount
    moved). Each source airing keeps (1 - share) of its spend; each target airing is scaled by
    one factor so that the target's total rises by the amount moved."""
    airings = copy.deepcopy(base["media"]["airings"])
    spend = {name: sum(a["spend"] for a in airings if a["channel"] == name) for name in (source, target)}
    for name in (source, target):
        if spend[name] <= 0:
            raise ValueError(f"channel '{name}' has no airing with spend in the scenario")
    moved = share * spend[source]
    factor = {source: 1.0 - share, target: 1.0 + moved / spend[target]}
    for a in airings:
        if a["channel"] in factor:
            a["spend"] = a["spend"] * factor[a["channel"]]
            if "grp" in a:
                a["grp"] = a["grp"] * factor[a["channel"]]
    return airings, moved


def study_points(base: dict, source: str, target: str, share: float) -> tuple:
    """(the study's points, the baseline (point 0) first; the amount of budget moved)."""
    airings, moved = shifted_airings(base, source, target, share)
    changes = {
        "as shipped": {},
        f"{100 * share:g} % of {source} budget to {target}": {"media.airings": airings},
        "sales to the best converters": {"routing.agent_selection": "best_conversion"},
    }
    points = [Point(i, label, overrides, apply_and_validate(base, overrides))
              for i, (label, overrides) in enumerate(changes.items())]
    return points, moved


def expected_callers(base: dict, source: str, target: str, moved: float) -> dict:
    """{channel: expected change of its callers} when ``moved`` of spend goes from source to
    target: moved x each channel's calls_per_unit (the response is linear in the spend)."""
    rate = {c["name"]: c["calls_per_unit"] for c in base["media"]["channels"]}
    return {source: -moved * rate[source], target: moved * rate[target]}


def with_channel_callers(data, channels: list):
    """``data`` whose records' kpis also hold ``callers_<channel>`` and ``callers`` (every
    source, organic included: first rings after the warm-up, from record.channels)."""
    for point in data.points:
        for record in data.records_of(point.point):
            for name in channels:
                record.kpis[f"callers_{name}"] = float(record.channels[name]["callers"])
            record.kpis["callers"] = float(sum(row["callers"] for row in record.channels.values()))
    return data


def differences(data, channels: list) -> list:
    """One row per (change, KPI): the paired difference, its CI and the variance reduction."""
    kpis = list(KPIS) + [f"callers_{name}" for name in channels]
    table = analysis.compare(data, baseline=0, kpis=kpis, level=LEVEL)
    return [{k: row[k] for k in ("label", "kpi", "baseline_mean", "mean", "diff", "ci_low", "ci_high",
                                 "variance_reduction", "reps")} for _, row in table.iterrows()]


def verdict(row: dict) -> str:
    """better / worse (or higher / lower for calls) when the CI excludes 0."""
    if row["ci_low"] == row["ci_high"] == 0:
        return "identical in every replication"
    if not (np.isfinite(row["ci_low"]) and np.isfinite(row["ci_high"])) or row["ci_low"] <= 0 <= row["ci_high"]:
        return "no significant difference"
    higher = row["diff"] > 0
    better = HIGHER_IS_BETTER.get(row["kpi"])
    if better is None:
        return "higher" if higher else "lower"
    return "better" if higher == better else "worse"


def _name(kpi: str) -> str:
    return KPIS.get(kpi) or f"{kpi.split('_', 1)[1]} callers"


def _fmt(kpi: str, value: float) -> str:
    if kpi == "conversion":
        return f"{100 * value:+.2f} pp"
    if kpi == "roi":
        return f"{value:+.3f}"
    return f"{value:+,.0f}"


def _level(kpi: str, value: float) -> str:
    if kpi == "conversion":
        return f"{100 * value:.2f} %"
    return f"{value:.3f}" if kpi == "roi" else f"{value:,.0f}"


def _reduction(value: float) -> str:
    return f"{value:.1f}" if np.isfinite(value) else "-"


def markdown(rows: list, reps: int, seed: int, moved: float, expected: dict) -> str:
    """The report: one table of paired differences per change."""
    lines = ["# Ad ROI study on media_hotline.yaml", "",
             f"{reps} replications per point, common random numbers (seed {seed}); each cell is the mean "
             f"paired difference change - as shipped with its {100 * LEVEL:.0f} % confidence interval, and the "
             "variance reduction (var A + var B) / var(B - A) of the pairing. Money in the airings' currency; "
             "ROI = collected revenue / (ads + agents + telecom); total cost adds fulfilment, shipping and returns. "
             "Callers: first rings of the hotline and the direct number (a TV caller walks the menu and may "
             "not reach a queue); calls reaching a queue: the `offered` KPI.", ""]
    for label in dict.fromkeys(r["label"] for r in rows):
        lines += [f"## {label}", ""]
        if "budget" in label:
            lines += [f"Moved {moved:,.0f} of spend a week. Expected change of the channels' callers "
                      "(moved x calls_per_unit): " + ", ".join(f"{k} {v:+,.0f}" for k, v in expected.items()) + ".",
                      ""]
        lines += ["| KPI | as shipped | changed | difference | 95 % CI | variance reduction | verdict |",
                  "|---|---:|---:|---:|---|---:|---|"]
        for r in (r for r in rows if r["label"] == label):
            lines.append(f"| {_name(r['kpi'])} | {_level(r['kpi'], r['baseline_mean'])} | "
                         f"{_level(r['kpi'], r['mean'])} | {_fmt(r['kpi'], r['diff'])} | "
                         f"[{_fmt(r['kpi'], r['ci_low'])}, {_fmt(r['kpi'], r['ci_high'])}] | "
                         f"{_reduction(r['variance_reduction'])} | {verdict(r)} |")
        lines.append("")
    return "\n".join(lines)


def run(reps: int, seed: int, source: str = "tv", target: str = "online", share: float = 0.2, workers=None,
        scenario=SCENARIO):
    """(the study's data, its rows of paired differences, the amount moved, the expected callers)."""
    base = scenario_to_dict(load_scenario(scenario))
    points, moved = study_points(base, source, target, share)
    backend = LocalBackend(workers)
    try:
        data = run_study(points, reps, seed=seed, crn=True, backend=backend, name="ad_roi", kind="compare")
    finally:
        backend.close()
    channels = [c["name"] for c in base["media"]["channels"]]
    data = with_channel_callers(data, channels)
    return data, differences(data, channels), moved, expected_callers(base, source, target, moved)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--from", dest="source", default="tv", help="the channel that gives budget")
    parser.add_argument("--to", dest="target", default="online", help="the channel that gets it")
    parser.add_argument("--share", type=float, default=0.2, help="share of the source's budget moved")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--out", type=Path, default=ROOT / "results")
    args = parser.parse_args(argv)
    if args.reps < 2:
        parser.error("--reps must be at least 2 (a confidence interval needs two paired differences)")
    if not 0 < args.share < 1:
        parser.error("--share must lie strictly between 0 and 1")
    _, rows, moved, expected = run(args.reps, args.seed, args.source, args.target, args.share, args.workers)
    text = markdown(rows, args.reps, args.seed, moved, expected)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "ad_roi.md"
    path.write_text(text)
    print(f"report: {path}")
    return rows


if __name__ == "__main__":
    main()
