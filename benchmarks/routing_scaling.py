"""How the core's speed scales with the number of agents and of skills (run by hand).

Runs ``routing_scenarios.center`` (specialist groups per skill, one cross-trained group
serving every skill behind a 10 s overflow delay, two shifts a day with breaks, about 87 %
occupancy of the agents on duty) at 50 to 20,000 agents with 6 skills, and at 1 to 50 skills
with 2,000 agents, and prints Markdown tables of the core's calls per second (engine time,
CPU time, best of ``--reps`` runs), each against the sweep's first row. The agent sweep also runs the
plain M/M/c+M of the same size and load (one group, one call type, no shifts, no overflow),
which separates what the routing costs from what a larger event heap costs any engine.
A third sweep is full cross-training: n call types and n groups of 200 agents in all, every
group serving every type (``flat``), n = 1 to 200, at 93 % load (issue #13: within 2 x of one
group).

Usage: python benchmarks/routing_scaling.py [--reps 3] [--calls 200000] [--quick]
"""
import argparse
import copy
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from routing_scenarios import center  # noqa: E402

from ccsim.api import _run  # noqa: E402
from ccsim.compile import compile_scenario  # noqa: E402
from ccsim.engines import ENGINES  # noqa: E402
from ccsim.scenario import validate_scenario  # noqa: E402

AGENTS = [50, 200, 500, 2000, 5000, 20000]
SKILLS = [1, 2, 6, 12, 25, 50]
FLAT = [1, 10, 20, 50, 100, 200]
FIXED_SKILLS, FIXED_AGENTS = 6, 2000


def speed(data: dict, reps: int) -> tuple:
    """(calls a run, best calls per second of the core's CPU time, occupancy of the first run).

    CPU time of this thread (as ``ccsim bench``), so another process's load on the machine
    matters less than in wall time; engine only (no result assembly)."""
    scenario = validate_scenario(data)
    model = compile_scenario(scenario)
    occupancy = _run(scenario, model, 0, "core").kpis()["occupancy"]
    best, calls = 0.0, 0
    for rep in range(reps):
        started = time.thread_time()
        calls = ENGINES["core"](model, rep).calls_simulated
        best = max(best, calls / (time.thread_time() - started))
    return calls, best, occupancy


def plain(data: dict) -> dict:
    """The same load on one always-on group of the agents on duty: an M/M/c+M queue."""
    out = copy.deepcopy(data)
    on_duty = sum(s["agents"] for g in out["agents"] for s in g["shifts"]) * (11.5 / 24)
    rate = sum(c["arrivals"]["rate"] for c in out["call_types"])
    out["call_types"] = [dict(out["call_types"][0], name="inbound", arrivals={"process": "poisson", "rate": rate})]
    out["agents"] = [{"name": "team", "count": max(1, round(on_duty)), "serves": ["inbound"]}]
    out.pop("routing")
    return out


def sweep(rows, reps, calls, with_plain):
    """Markdown lines of one sweep over (agents, skills) pairs."""
    head = "| agents | skills | calls a run | occupancy | core calls/s | vs first row |"
    rule = "|---:|---:|---:|---:|---:|---:|"
    if with_plain:
        head += " M/M/c+M calls/s | routing / M/M/c+M |"
        rule += "---:|---:|"
    lines, first = [head, rule], None
    print(head, rule, sep="\n")
    for agents, skills in rows:
        data = center(agents, skills, calls)
        n, rate, occ = speed(data, reps)
        first = first or rate
        line = f"| {agents:,} | {skills} | {n:,} | {100 * occ:.1f} % | {rate / 1e6:.2f} M | {rate / first:.2f} |"
        if with_plain:
            _, ref, _ = speed(plain(data), reps)
            line += f" {ref / 1e6:.2f} M | {100 * rate / ref:.0f} % |"
        lines.append(line)
        print(line, flush=True)
    return lines


def flat(n: int, agents: int = 200, calls: float = 300_000) -> dict:
    """n call types and n groups (``agents`` in all), every group serving every type; Poisson
    arrivals at 93 % of the agents' capacity, exponential handle 180 s, patience 300 s."""
    rate = agents * 0.93 / 180.0
    types = [f"t{i}" for i in range(n)]
    return {"name": f"flat{n}", "horizon": calls / rate, "interval": 900,
            "call_types": [{"name": t, "arrivals": {"process": "poisson", "rate": rate / n},
                            "handle_time": {"dist": "exponential", "mean": 180},
                            "patience": {"dist": "exponential", "mean": 300}} for t in types],
            "agents": [{"name": f"g{j}", "count": agents // n + (1 if j < agents % n else 0), "serves": types}
                       for j in range(n)]}


def flat_sweep(sizes, reps, calls):
    """Markdown lines of the full cross-training sweep."""
    lines = ["| call types x groups | calls a run | core calls/s | vs one group |", "|---:|---:|---:|---:|"]
    print(*lines, sep="\n")
    first = None
    for n in sizes:
        count, rate, _ = speed(flat(n, calls=calls), reps)
        first = first or rate
        lines.append(f"| {n} x {n} | {count:,} | {rate / 1e6:.2f} M | {rate / first:.2f} |")
        print(lines[-1], flush=True)
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="runs per configuration (the best counts)")
    parser.add_argument("--calls", type=float, default=200_000, help="about this many arrivals a run (whole days)")
    parser.add_argument("--quick", action="store_true", help="the first three rows of each sweep, 1 run each")
    args = parser.parse_args(argv)
    agents, skills, reps = (AGENTS[:3], SKILLS[:3], 1) if args.quick else (AGENTS, SKILLS, args.reps)
    print(f"agents ({FIXED_SKILLS} skills):")
    sweep([(a, FIXED_SKILLS) for a in agents], reps, args.calls, with_plain=True)
    print(f"\nskills ({FIXED_AGENTS:,} agents):")
    sweep([(FIXED_AGENTS, k) for k in skills], reps, args.calls, with_plain=False)
    print("\nfull cross-training (200 agents):")
    flat_sweep(FLAT[:3] if args.quick else FLAT, reps, 1.5 * args.calls)


if __name__ == "__main__":
    main()
