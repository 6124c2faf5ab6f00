"""The inbound path against exact results, decided by confidence intervals over replications.

- lines = agents and no queue: Erlang B;
- a menu that ends every call itself: exit probabilities, visits, hang-ups per node and
  the mean time in the menu of its absorbing Markov chain (``ccsim.markov.ivr_tree``);
- an M/M/c queue with lines, abandonment and retrials: the stationary rates of its
  Markov chain on a truncated state space (``ccsim.markov.retrial_queue``).

The core runs them (the SimPy engine is the same call for call: tests/test_inbound.py).
Each family of comparisons is Bonferroni-corrected to a family-wise 0.1 %.
"""
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as st

import ccsim
from ccsim import analytic, markov
from ccsim.results import CALL_FIELDS, ENTRY_FIELDS, NODE_FIELDS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from inbound_scenarios import menu_only, retrial_queue  # noqa: E402

ALPHA = 0.001


def assert_in_ci(values: dict, exact: dict, alpha=ALPHA):
    """Each measure's replication values against its exact value: a two-sided t interval at
    level 1 - alpha / (number of measures)."""
    level = 1 - alpha / len(values)
    for name, v in values.items():
        v = np.asarray(v, dtype=float)
        mean, sem = v.mean(), v.std(ddof=1) / np.sqrt(len(v))
        half = st.t.ppf(0.5 + level / 2, len(v) - 1) * sem
        assert abs(mean - exact[name]) <= half, (
            f"{name}: simulated {mean:.6g} ± {half:.3g}, exact {exact[name]:.6g}")


def test_lines_equal_to_agents_give_erlang_b():
    c, load, handle = 10, 8.0, 120.0
    scenario = {
        "horizon": 200_000, "warmup": 2000, "interval": 10_000, "lines": c,
        "call_types": [{"name": "calls", "arrivals": {"process": "poisson", "rate": load / handle},
                        "handle_time": {"dist": "exponential", "mean": handle}}],  # infinite patience
        "agents": [{"name": "a", "count": c, "serves": ["calls"]}],
    }
    results = ccsim.replicate(scenario, 10, seed=11)
    blocked = [r.kpis()["blocked_rate"] for r in results]
    assert_in_ci({"blocked_rate": blocked}, {"blocked_rate": analytic.erlang_b(c, load)})
    # nobody ever waits: a free line means a free agent
    assert all(r.kpis()["asa"] == 0.0 for r in results)


MENU_NODES = [
    {"duration": ("deterministic", 8.0), "branches": [(1, 0.5), ("self_service", 0.3), ("voicemail", 0.2)]},
    {"duration": ("exponential", 30.0), "branches": [("self_service", 0.6), ("hang_up", 0.25), (0, 0.15)]},
]


@pytest.mark.parametrize("patience", [None, 40.0])
def test_a_menu_reproduces_its_absorbing_chain(patience):
    exact = markov.ivr_tree(MENU_NODES, start=0, patience_rate=0.0 if patience is None else 1.0 / patience)
    results = ccsim.replicate(menu_only(patience_mean=patience, horizon=100_000), 10, seed=3)
    values = {name: [] for name in ("self_service", "hang_up", "voicemail", "ivr_hung_up", "mean_time",
                                    "visits_0", "visits_1", "hang_ups_0", "hang_ups_1")}
    for r in results:
        e = dict(zip(ENTRY_FIELDS, r.stats.total_entries[0]))
        nodes = dict(zip(NODE_FIELDS, r.stats.node_totals.T))
        for name in ("self_service", "hang_up", "voicemail", "ivr_hung_up"):
            values[name].append(e[name] / e["arrived"])
        values["mean_time"].append(e["ivr_seconds"] / e["arrived"])
        for j in (0, 1):
            values[f"visits_{j}"].append(nodes["entered"][j] / e["arrived"])
            values[f"hang_ups_{j}"].append(nodes["hung_up"][j] / e["arrived"])
    want = {name: exact.exit_probability.get(name, 0.0) for name in ("self_service", "hang_up", "voicemail")}
    want["ivr_hung_up"] = exact.exit_probability.get("ivr_hang_up", 0.0)
    want["mean_time"] = exact.mean_time
    for j in (0, 1):
        want[f"visits_{j}"] = exact.visits[j]
        want[f"hang_ups_{j}"] = exact.hang_ups[j]
    if patience is None:  # nobody hangs up: the columns are exactly zero
        for name in ("ivr_hung_up", "hang_ups_0", "hang_ups_1"):
            assert not any(values.pop(name)) and want.pop(name) == 0.0
    assert_in_ci(values, want)


RETRIAL_CASES = {
    # (first-attempt rate /s, agents, lines, handle s, patience s, p blocked, p abandoned, delay s)
    "lines_and_abandonment": (0.11, 5, 7, 40.0, 60.0, 0.7, 0.5, 120.0),
    "blocking_only": (0.2, 4, 4, 20.0, 30.0, 0.8, 0.0, 60.0),
}


@pytest.mark.parametrize("case", sorted(RETRIAL_CASES))
def test_retrials_reproduce_the_retrial_queue_chain(case):
    rate, c, lines, handle, patience, p_b, p_a, delay = RETRIAL_CASES[case]
    exact = markov.retrial_queue(rate, 1.0 / handle, c, lines=lines, patience_rate=1.0 / patience,
                                 retry_blocked=p_b, retry_abandoned=p_a, retrial_rate=1.0 / delay)
    horizon, warmup = 150_000.0, 10_000.0
    scenario = retrial_queue(rate, c, lines, handle, patience, p_b, p_a, delay, horizon, warmup)
    results = ccsim.replicate(scenario, 10, seed=5)
    window = horizon - warmup
    values = {name: [] for name in ("attempts", "retrial_attempts", "blocked_per_attempt", "abandon_per_offered",
                                    "answered", "p_wait")}
    for r in results:
        f = dict(zip(CALL_FIELDS, r.stats.total_calls[0]))
        values["attempts"].append(f["arrived"] / window)
        values["retrial_attempts"].append(f["retrials"] / window)
        values["blocked_per_attempt"].append(f["blocked"] / f["arrived"])
        values["abandon_per_offered"].append(f["abandoned"] / f["offered"])
        values["answered"].append(f["answered"] / window)
        values["p_wait"].append(1.0 - f["answered_in_sl"] / f["offered"])  # threshold 0: waited at all
    want = {"attempts": exact.attempts, "retrial_attempts": exact.retrial_attempts,
            "blocked_per_attempt": exact.blocked_per_attempt, "abandon_per_offered": exact.abandon_per_offered,
            "answered": exact.answered, "p_wait": exact.p_wait}
    assert exact.retrial_attempts > 0.05 * exact.first_attempts  # the retrials matter here
    assert_in_ci(values, want)
