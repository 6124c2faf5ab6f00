"""The Erlang validation grid as a table: exact value, simulated mean and CI half-width.

Usage: python experiments/erlang_validation.py [--reps 20]
Runs the same cases, seeds and Bonferroni level as tests/validation/test_erlang.py
and prints a Markdown table (the README's figures come from it).
"""
import argparse
import time

import numpy as np

from ccsim.validation import ERLANG_GRID, check_case, comparisons


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args()
    level = 1.0 - 0.01 / comparisons()
    seeds = np.random.SeedSequence(args.seed).spawn(len(ERLANG_GRID))
    started = time.perf_counter()
    print(f"Bonferroni level per interval: {level:.6f} ({comparisons()} comparisons, family-wise 99 %)\n")
    print("| case | agents | load | patience (s) | KPI | exact | simulated ± half-width | relative half-width | inside |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---|")
    widths = []
    for case, seed in zip(ERLANG_GRID, seeds):
        for c in check_case(case, args.reps, seed, level):
            widths.append(c.relative_width)
            patience = "-" if case.patience is None else f"{case.patience:g}"
            if case.kind == "B":
                patience = "0"
            print(f"| {case.name} | {case.agents} | {case.load:g} | {patience} | {c.kpi} | {c.exact:.5g} | "
                  f"{c.mean:.5g} ± {c.halfwidth:.2g} | {100 * c.relative_width:.2f} % | {'yes' if c.inside else 'NO'} |")
    print(f"\nmedian relative half-width {100 * np.median(widths):.2f} %, largest {100 * max(widths):.1f} %;"
          f" {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
