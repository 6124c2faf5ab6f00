"""Soak the validation funnel: thousands of seeded mutations of the shipped scenarios.

    python tests/soak_validate.py --seconds 120 --seed 1
    python tests/soak_validate.py --seconds 60 --run     # valid mutations also run, under a small budget

Each mutation must end in a valid, compilable scenario or in a ScenarioError with a
location (see fuzz_mutations.py). Prints counts, the slowest example, and the first
failure with the seed that reproduces it; exit status 1 if anything failed.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fuzz_mutations import check_data, check_run, check_text, mutate_data, mutate_text  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="how long to run")
    parser.add_argument("--seed", type=int, default=1, help="first seed; example i uses seed + i")
    parser.add_argument("--run", action="store_true",
                        help="also run every valid mutated scenario under a small budget (check_run)")
    parser.add_argument("--memory-limit", type=float, default=4.0,
                        help="address-space cap in GiB (a blow-up becomes a MemoryError, counted as a failure)")
    args = parser.parse_args(argv)
    _cap_memory(args.memory_limit)

    outcomes, slowest, failures = Counter(), (0.0, None), []
    start = time.perf_counter()
    i = 0
    while time.perf_counter() - start < args.seconds:
        seed = args.seed + i
        rnd = random.Random(seed)
        kind = "text" if i % 2 else "data"
        began = time.perf_counter()
        try:
            if args.run and kind == "data":
                outcome = check_run(mutate_data(rnd))
            else:
                outcome = check_text(mutate_text(rnd)) if kind == "text" else check_data(mutate_data(rnd))
            outcomes[f"{kind} {outcome}"] += 1
        except Exception:  # noqa: BLE001 - a soak reports every failure, then goes on
            outcomes[f"{kind} FAILED"] += 1
            failures.append((seed, kind, traceback.format_exc()))
        took = time.perf_counter() - began
        if took > slowest[0]:
            slowest = (took, (seed, kind))
        i += 1
    elapsed = time.perf_counter() - start
    print(f"{i:,} mutations in {elapsed:.0f} s ({i / elapsed:,.0f}/s): "
          + ", ".join(f"{k}: {v:,}" for k, v in sorted(outcomes.items())))
    print(f"slowest example: {slowest[0] * 1000:.1f} ms (seed {slowest[1][0]}, {slowest[1][1]})")
    for seed, kind, trace in failures[:3]:
        print(f"\nFAILED: seed {seed} ({kind})\n{trace}")
    return 1 if failures else 0


def _cap_memory(gib: float) -> None:
    import resource

    limit = int(gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


if __name__ == "__main__":
    sys.exit(main())
