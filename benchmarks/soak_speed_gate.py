"""Soak test of the speed gate on this machine (not part of any pytest run).

    python benchmarks/soak_speed_gate.py --unchanged 20 --slowed 5

runs ``ccsim bench --gate benchmarks/speed_baseline.json`` ``--unchanged`` times
on the code as it is and ``--slowed`` times with ``CCSIM_BENCH_SLOWDOWN=0.2``
(every measured engine run made 20 % slower by a busy-wait inside the timed
region), and prints each run's exit status, wall time, sessions measured (a scenario below
the tolerance is measured again, up to 3 sessions) and per-scenario change
against the baseline (of the best session). The gate works when every unchanged run passes and every slowed run fails.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^gate (\S+)\s+baseline\s+[\d,]+ now\s+[\d,]+\s+([+-][\d.]+)%")


def one_run(slowdown: float) -> tuple:
    env = dict(os.environ, CCSIM_BENCH_SLOWDOWN=str(slowdown) if slowdown else "")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "ccsim", "bench", "--gate", "benchmarks/speed_baseline.json"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    changes = {m.group(1): float(m.group(2)) for m in map(LINE.match, done.stdout.splitlines()) if m}
    if done.returncode not in (0, 1) or not changes:
        sys.exit(f"the gate itself failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    sessions = 1 + done.stderr.count("measuring again")
    return done.returncode, changes, sessions, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unchanged", type=int, default=20)
    parser.add_argument("--slowed", type=int, default=5)
    parser.add_argument("--slowdown", type=float, default=0.2)
    args = parser.parse_args()
    ok = True
    for label, slowdown, count, want in (("unchanged", 0.0, args.unchanged, 0), ("slowed", args.slowdown,
                                                                                 args.slowed, 1)):
        for i in range(count):
            code, changes, sessions, seconds = one_run(slowdown)
            ok &= code == want
            shown = "  ".join(f"{name} {change:+5.1f}%" for name, change in changes.items())
            print(f"{label:9s} run {i + 1:2d}: exit {code} ({'as expected' if code == want else 'WRONG'}) "
                  f"{seconds:5.1f} s, {sessions} session{'s' if sessions > 1 else ''}  {shown}", flush=True)
    print("soak: the gate " + ("behaved as expected in every run" if ok else "gave a WRONG verdict"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
