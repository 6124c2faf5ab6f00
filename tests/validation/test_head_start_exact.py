"""Head starts (routing.level_head_start) in M/M/c with two priority levels, decided by
confidence intervals over replications.

One group of c agents, one call type with exponential handle time and infinite patience; class
0 arrives on level 0, class 1 on level 1 (two entries whose menus take no time), each Poisson.
Every head start keeps the discipline work-conserving and blind to service times, so the mean
wait over both classes is the FCFS Erlang C mean wait for any head start (the conservation
law); head start 0 gives each class that wait; strict levels give Cobham's class waits
(``ccsim.markov.priority_queue``); and as the head start grows, class 1 waits less and class 0
more (paired differences over the same seeds, one-sided intervals). The mean-wait intervals
reject the FCFS class waits under strict levels (power). Each family of comparisons is
Bonferroni-corrected to a family-wise 0.1 % (assert_in_ci).
"""
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.stats as st

from ccsim import analytic, markov
from ccsim.compile import compile_scenario
from ccsim.engines import ENGINES
from ccsim.scenario import validate_scenario

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_inbound_exact import ALPHA, assert_in_ci  # noqa: E402

REPS = 12
AGENTS, HANDLE, RATES = 5, 100.0, (0.025, 0.015)  # 4 Erl on 5 agents; FCFS wait about 55 s
WARMUP, HORIZON = 20_000.0, 420_000.0
HEAD_STARTS = (0.0, 60.0, 300.0, None)  # None: strict levels


def two_levels(head_start) -> dict:
    """The M/M/c with class k on level k (see the module's docstring)."""
    instant = {"dist": "deterministic", "value": 0}
    return {
        "horizon": HORIZON, "warmup": WARMUP, "interval": 200_000,
        "routing": {} if head_start is None else {"level_head_start": [0.0, head_start]},
        "call_types": [{"name": "calls", "handle_time": {"dist": "exponential", "mean": HANDLE}}],
        "agents": [{"name": "pool", "count": AGENTS, "serves": ["calls"]}],
        "entries": [{"name": f"class{k}", "arrivals": {"process": "poisson", "rate": rate}, "ivr": f"to{k}"}
                    for k, rate in enumerate(RATES)],
        "ivr": [{"name": f"to{k}", "nodes": [{"name": "route", "duration": instant, "branches": [
            {"p": 1, "queue": "calls", **({"priority": k} if k else {})}]}]} for k in range(2)],
    }


def class_waits(head_start) -> dict:
    """Per replication (seeds 1..REPS, the same for every head start): the mean wait of class 0,
    of class 1 and of both, over the calls arriving after the warm-up."""
    model = compile_scenario(validate_scenario(two_levels(head_start)))
    out = {"wait0": [], "wait1": [], "wait": []}
    for seed in range(1, REPS + 1):
        r = ENGINES["core"](model, seed, call_records=True).call_records
        r = r[r["arrival"] >= WARMUP]
        assert (r["outcome"] == 0).all()  # everyone is answered: infinite patience, the run drains
        for k in range(2):
            mine = r[r["source"] == 1 + k]  # sources: the call type, then the entries
            assert len(mine) > 2000
            out[f"wait{k}"].append(float(mine["wait"].mean()))
        out["wait"].append(float(r["wait"].mean()))
    return {name: np.array(v) for name, v in out.items()}


@pytest.fixture(scope="module")
def waits():
    return {h: class_waits(h) for h in HEAD_STARTS}


def fcfs_wait() -> float:
    return analytic.erlang_c_metrics(AGENTS, sum(RATES), HANDLE, 0.0).asa


def cobham() -> dict:
    exact = markov.priority_queue([RATES[1], RATES[0]], 1.0 / HANDLE, AGENTS)  # its class 0 = our level 1
    return {"wait1": exact.mean_wait[0], "wait0": exact.mean_wait[1]}


def test_the_mean_wait_over_both_classes_is_conserved(waits):
    """Every head start: the overall mean wait is the FCFS Erlang C mean wait."""
    assert_in_ci({f"wait_h{h}": w["wait"] for h, w in waits.items()},
                 {f"wait_h{h}": fcfs_wait() for h in waits})


def test_head_start_zero_gives_each_class_the_fcfs_wait(waits):
    assert_in_ci({k: waits[0.0][k] for k in ("wait0", "wait1")}, {"wait0": fcfs_wait(), "wait1": fcfs_wait()})


def test_strict_levels_give_cobhams_class_waits(waits):
    assert_in_ci({k: waits[None][k] for k in ("wait0", "wait1")}, cobham())


def test_the_class_wait_check_rejects_fcfs_under_strict_levels(waits):
    """Power: the same intervals reject first come first served's class waits (about 55 s each)
    against Cobham's (about 16 s and 185 s)."""
    with pytest.raises(AssertionError):
        assert_in_ci({k: waits[None][k] for k in ("wait0", "wait1")}, {"wait0": fcfs_wait(), "wait1": fcfs_wait()})


def test_class_waits_move_monotonically_with_the_head_start(waits):
    """Each step up in head start (0 -> 60 -> 300 s -> strict): class 1's mean wait falls and
    class 0's rises, each paired difference's one-sided upper bound below 0 (Bonferroni over the
    six comparisons, family-wise 0.1 %)."""
    steps = list(zip(HEAD_STARTS, HEAD_STARTS[1:]))
    level = 1 - ALPHA / (2 * len(steps))
    for lower, higher in steps:
        for name, sign in (("wait1", 1.0), ("wait0", -1.0)):
            d = sign * (waits[higher][name] - waits[lower][name])  # < 0 expected
            upper = d.mean() + st.t.ppf(level, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
            assert upper < 0, f"{name} from head start {lower} to {higher}: {d.mean():.3g} (upper bound {upper:.3g})"
