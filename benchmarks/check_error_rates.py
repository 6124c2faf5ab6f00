"""Error rates of ``ccsim check``'s sequential procedure, measured (the table in docs/guide/check.md).

    python benchmarks/check_error_rates.py --checks 10000

Each row runs ``--checks`` independent checks through ``ccsim.check.sequential.decide``
(default looks 5, 10, ..., 80; alpha 0.05) on synthetic replication values whose mean is
known, and prints the share of checks with a wrong verdict and with an undecided one.
The fast version with a pass/fail criterion is tests/test_check_sequential.py.
"""
import argparse

import numpy as np

from ccsim.check.sequential import FAIL, UNDECIDED, decide


def rates(targets, sample, checks, alpha=0.05):
    wrong = undecided = 0
    for _ in range(checks):
        decisions = decide(targets, lambda k: sample(k, len(targets)), alpha, 5, 80)
        wrong += any(d.verdict == FAIL for d in decisions)  # every truth here meets its target
        undecided += any(d.verdict == UNDECIDED for d in decisions)
    return wrong / checks, undecided / checks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    normal = lambda mean: lambda k, m: rng.normal(mean, 1.0, (k, m))  # noqa: E731
    rows = [
        ("normal, one expectation, truth on the target", [(">=", 0.0)], normal(0.0), 0.05),
        ("normal, three expectations (any wrong), truth on the target", [(">=", 0.0)] * 3, normal(0.0), 0.05),
        ("binomial (60 calls, p = 0.85), truth on the target", [(">=", 0.85)],
         lambda k, m: rng.binomial(60, 0.85, (k, m)) / 60, 0.05),
        ("naive: uncorrected interval at each look (alpha x K)", [(">=", 0.0)], normal(0.0), 0.25),
        ("normal, truth 0.5 sd above the target", [(">=", 0.0)], normal(0.5), 0.05),
        ("normal, truth 1 sd above the target", [(">=", 0.0)], normal(1.0), 0.05),
    ]
    print(f"{'case':62s} {'wrong':>7s} {'undecided':>10s}")
    for label, targets, sample, alpha in rows:
        wrong, undecided = rates(targets, sample, args.checks, alpha)
        print(f"{label:62s} {wrong:7.2%} {undecided:10.2%}", flush=True)


if __name__ == "__main__":
    main()
