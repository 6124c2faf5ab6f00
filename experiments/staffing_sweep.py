"""Staffing sweep on scenarios/erlang_a.yaml, with the exact Erlang A curve beside.

Usage: python experiments/staffing_sweep.py [--reps 5] [--workers N] [--scheduler tcp://...]
Writes results/staffing_sweep.sqlite (resumable) and results/staffing_sweep.html.
"""
import argparse
from pathlib import Path

from ccsim import analytic, load_scenario
from ccsim.experiment import analysis
from ccsim.experiment.backends import LocalBackend
from ccsim.experiment.overrides import apply_and_validate, grid, point_label
from ccsim.experiment.records import Point
from ccsim.experiment.runner import run_study
from ccsim.report import write_html
from ccsim.scenario import scenario_to_dict

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--scheduler")
    parser.add_argument("--out", type=Path, default=ROOT / "results")
    args = parser.parse_args()

    base = scenario_to_dict(load_scenario(ROOT / "scenarios" / "erlang_a.yaml"))
    points = [Point(i, point_label(ov), ov, apply_and_validate(base, ov, "erlang_a.yaml"))
              for i, ov in enumerate(grid(["agents.team.count=176..200:2"]))]
    args.out.mkdir(parents=True, exist_ok=True)
    store = args.out / "staffing_sweep.sqlite"
    backend = args.scheduler or LocalBackend(args.workers)
    data = run_study(points, args.reps, seed=args.seed, crn=True, store_path=store, backend=backend,
                     resume=store.exists(), name="staffing_sweep", kind="sweep")
    table = analysis.sweep_table(data, kpis=["service_level", "abandon_rate", "asa"])
    call_type = base["call_types"][0]
    rate, aht = call_type["arrivals"]["rate"], call_type["handle_time"]["mean"]
    patience, threshold = call_type["patience"]["mean"], base["service_level"]["threshold"]
    print(f"{'agents':>6} {'SL sim':>16} {'SL Erlang A':>12} {'abandon sim':>18} {'abandon Erlang A':>17}")
    for _, row in table.iterrows():
        agents = int(row["agents.team.count"])
        exact = analytic.erlang_a_metrics(agents, rate, aht, patience, threshold)
        print(f"{agents:>6} {row['service_level']:>9.4f} ±{row['service_level_ci']:.4f} {exact.service_level:>12.4f} "
              f"{row['abandon_rate']:>10.5f} ±{row['abandon_rate_ci']:.5f} {exact.p_abandon:>17.5f}")
    html = write_html(data, args.out / "staffing_sweep.html")
    print(f"store: {store}\nreport: {html}")


if __name__ == "__main__":
    main()
