"""Peak resident memory of one core run at 10^6 and 10^7 simulated calls, and of
media_hotline with its sales funnel over 1 and 8 weeks (orders followed to money without a
record per order: memory must not grow with the orders).

A year of a center with 200 call types shows what grows with the horizon instead: the
per-interval table (call types x intervals x 31 counters), at hourly and at daily intervals.

Usage: python benchmarks/peak_memory.py  (each size runs in a fresh process)
"""
import subprocess
import sys

CODE = """
import resource, sys, ccsim
calls = int(sys.argv[1])
s = ccsim.load_scenario('scenarios/erlang_a.yaml')
s = s.model_copy(update={'horizon': s.warmup + calls})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
r = ccsim.simulate(s, seed=1)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(r.calls_simulated, before, after)
"""

FUNNEL = """
import resource, sys, ccsim
weeks = int(sys.argv[1])
s = ccsim.load_scenario('scenarios/media_hotline.yaml')
s = s.model_copy(update={'horizon': s.horizon * weeks})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
r = ccsim.simulate(s, seed=1)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(r.calls_simulated, int(r.stats.funnel_types[:, 1].sum()), before, after)
"""

YEAR = """
import resource, sys, ccsim
interval = float(sys.argv[1])
types = [f"t{i}" for i in range(200)]
from ccsim.scenario import validate_scenario
s = validate_scenario({
    "name": "year", "horizon": 365 * 86400, "interval": interval,
    "call_types": [{"name": t, "arrivals": {"process": "poisson", "rate": 0.05 / 200},
                    "handle_time": {"dist": "exponential", "mean": 180},
                    "patience": {"dist": "exponential", "mean": 300}} for t in types],
    "agents": [{"name": "team", "count": 12, "serves": types}]})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
r = ccsim.simulate(s, seed=1)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(r.calls_simulated, r.stats.interval_calls.nbytes, before, after)
"""

if __name__ == "__main__":
    print(f"{'calls':>12} {'peak RSS before run':>20} {'peak RSS after run':>20} {'growth':>10}")
    for calls in (10**6, 10**7):
        out = subprocess.check_output([sys.executable, "-c", CODE, str(calls)], text=True).split()
        n, before, after = (int(x) for x in out)
        print(f"{n:>12,} {before / 1024:>17.1f} MB {after / 1024:>17.1f} MB {(after - before) / 1024:>7.1f} MB")
    print(f"\n{'weeks':>6} {'attempts':>10} {'orders':>8} {'peak RSS before run':>20} {'after':>10} {'growth':>10}")
    for weeks in (1, 8):
        out = subprocess.check_output([sys.executable, "-c", FUNNEL, str(weeks)], text=True).split()
        n, orders, before, after = (int(x) for x in out)
        print(f"{weeks:>6} {n:>10,} {orders:>8,} {before / 1024:>17.1f} MB {after / 1024:>7.1f} MB "
              f"{(after - before) / 1024:>7.1f} MB")
    print(f"\n{'a year, 200 types':>18} {'calls':>10} {'interval table':>15} {'peak RSS before run':>20} {'after':>10}")
    for interval, label in ((3600, "hourly"), (86400, "daily")):
        out = subprocess.check_output([sys.executable, "-c", YEAR, str(interval)], text=True).split()
        n, table, before, after = (int(x) for x in out)
        print(f"{label:>18} {n:>10,} {table / 2**20:>12.1f} MB {before / 1024:>17.1f} MB {after / 1024:>7.1f} MB")
