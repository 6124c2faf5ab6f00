"""Peak resident memory of one core run at 10^6 and 10^7 simulated calls.

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

if __name__ == "__main__":
    print(f"{'calls':>12} {'peak RSS before run':>20} {'peak RSS after run':>20} {'growth':>10}")
    for calls in (10**6, 10**7):
        out = subprocess.check_output([sys.executable, "-c", CODE, str(calls)], text=True).split()
        n, before, after = (int(x) for x in out)
        print(f"{n:>12,} {before / 1024:>17.1f} MB {after / 1024:>17.1f} MB {(after - before) / 1024:>7.1f} MB")
