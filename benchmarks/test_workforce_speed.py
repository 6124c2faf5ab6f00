"""Six months of the seed center (scenarios/multiskill.yaml) in monthly periods with the
elimination study's busiest arm (bottom 10 % monthly, attrition, hiring, learning, QA), one
replication on the core: the wall time (issue #10 asks under a minute on one core) and the share
of it spent in the per-period Python layer (outside the engine's ``run_until`` / ``finish``;
asked under 10 %). Reported in extra_info, and the minute asserted."""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "experiments"))

import elimination_study as study  # noqa: E402

from ccsim.engines import stepping  # noqa: E402


def timed_run(arm="monthly", months=6, seed=1):
    """(wall seconds of the run in periods, seconds inside the engine's run_until / finish)."""
    engine = [0.0]
    original = stepping.PausedRun.run_until, stepping.PausedRun.finish

    def timed(fn):
        def wrapper(self, *a):
            t = time.perf_counter()
            try:
                return fn(self, *a)
            finally:
                engine[0] += time.perf_counter() - t
        return wrapper

    stepping.PausedRun.run_until, stepping.PausedRun.finish = timed(original[0]), timed(original[1])
    try:
        t = time.perf_counter()
        study.one_run(arm, months, seed)
        return time.perf_counter() - t, engine[0]
    finally:
        stepping.PausedRun.run_until, stepping.PausedRun.finish = original


def test_six_months_monthly_elimination(benchmark):
    out = {}

    def run():
        out["wall"], out["engine"] = timed_run()

    benchmark.pedantic(run, rounds=1, iterations=1)
    share = 1.0 - out["engine"] / out["wall"]
    benchmark.extra_info.update(wall_seconds=out["wall"], engine_seconds=out["engine"], python_share=share)
    print(f"\nsix months, one replication: {out['wall']:.1f} s, engine {out['engine']:.1f} s, "
          f"Python layer (compile, policies, report) {share:.1%}")
    assert out["wall"] < 60.0
