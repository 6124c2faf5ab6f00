"""Two staffing plans for one day (scenarios/day_profile.yaml): CRN against independent seeds.

The same comparison (32 vs 35 agents) is run twice: with common random numbers
(replication r of both plans sees the same callers) and with independent seeds.
Prints the paired difference of each KPI with its 95 % CI and verdict, and the
variance reduction CRN gives (var A + var B over var(A - B): how many times
fewer replications CRN needs for the same precision).

Usage: python experiments/crn_day_profile.py [--reps 30] [--workers N]
Writes results/crn_day_profile*.sqlite (resumable) and results/crn_day_profile.html.
"""
import argparse
from pathlib import Path

from ccsim import load_scenario
from ccsim.experiment import analysis
from ccsim.experiment.backends import LocalBackend
from ccsim.experiment.overrides import apply_and_validate
from ccsim.experiment.records import Point
from ccsim.experiment.runner import run_study
from ccsim.report import write_html
from ccsim.scenario import scenario_to_dict

ROOT = Path(__file__).resolve().parent.parent
PLANS = {"32 agents": 32, "35 agents": 35}
KPIS = ["service_level", "abandon_rate", "asa", "occupancy"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--out", type=Path, default=ROOT / "results")
    args = parser.parse_args()

    base = scenario_to_dict(load_scenario(ROOT / "scenarios" / "day_profile.yaml"))
    points = [Point(i, label, {"agents.team.count": n}, apply_and_validate(base, {"agents.team.count": n}))
              for i, (label, n) in enumerate(PLANS.items())]
    args.out.mkdir(parents=True, exist_ok=True)
    backend = LocalBackend(args.workers)
    results = {}
    for crn in (True, False):
        store = args.out / f"crn_day_profile{'' if crn else '_independent'}.sqlite"
        results[crn] = run_study(points, args.reps, seed=args.seed, crn=crn, store_path=store, backend=backend,
                                 resume=store.exists(), name="crn_day_profile", kind="compare")
    backend.close()
    print(f"difference 35 - 32 agents over {args.reps} replications per plan")
    print(f"{'KPI':<14} {'design':<12} {'difference':>11} {'95 % CI':>26} {'verdict':<26} {'var. reduction':>14}")
    for crn, data in results.items():
        frame = analysis.compare(data, baseline=0, kpis=KPIS)
        for row in frame.itertuples():
            vr = f"{row.variance_reduction:.1f}x" if crn else ""
            print(f"{row.kpi:<14} {'CRN' if crn else 'independent':<12} {row.diff:>11.5f} "
                  f"[{row.ci_low:>11.5f}, {row.ci_high:>11.5f}] {row.verdict:<26} {vr:>14}")
    html = write_html(results[True], args.out / "crn_day_profile.html")
    print(f"report: {html}")


if __name__ == "__main__":
    main()
