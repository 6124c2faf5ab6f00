"""Transfers: at the end of a talk, a call may go to another call type's queue.

Both engines bit for bit on every inbound feature with transfers on top, every caller and
transfer accounted for once, the transferred share against its binomial interval, the mean
time in the center of a tandem of infinite-server queues against E[talk A] + p E[talk B],
and bad transfers refused with the path of the bad field.
"""
import copy
import math

import numpy as np
import pytest
from engine_checks import assert_refused, assert_same_run, fields, run
from inbound_scenarios import EVERYTHING, with_

import ccsim
from ccsim.results import AGENT_FIELDS, CALL_FIELDS, CALLER_FIELDS, CALLER_OUTCOMES

Z = 3.29  # two-sided 99.9 %


def with_transfers(scenario):
    """EVERYTHING (menu, lines, retrials, callbacks, hours, media...) with transfers: sales to
    service, service on to complaints and to itself, complaints back to sales."""
    s = copy.deepcopy(scenario)
    types = {c["name"]: c for c in s["call_types"]}
    types["sales"]["transfers"] = [{"to": "service", "p": 0.25}]
    types["service"]["transfers"] = [{"to": "complaints", "p": 0.1}, {"to": "service", "p": 0.05}]
    types["complaints"]["transfers"] = [{"to": "sales", "p": 0.15}]
    types["service"]["consult"] = {"p": 0.3, "duration": {"dist": "gamma", "mean": 60, "cv": 0.5}}
    types["sales"]["consult"] = {"p": 0.1, "duration": {"dist": "mixture", "components": [
        {"weight": 0.5, "dist": {"dist": "deterministic", "value": 20}},
        {"weight": 0.5, "dist": {"dist": "exponential", "mean": 90}}]}}
    s["agents"][0]["count"], s["agents"][1]["count"] = 12, 4  # load enough to answer live calls
    return s


def tandem(p, agents=300, rate=0.2, horizon=100_000.0, warmup=0.0):
    """Type a (talk mean 60 s) transfers to b (talk mean 120 s) with probability p; agents enough
    that nobody waits (an infinite-server tandem); no after-call work."""
    return {
        "name": "tandem", "horizon": horizon, "warmup": warmup, "interval": 3600,
        "call_types": [
            {"name": "a", "arrivals": {"process": "poisson", "rate": rate},
             "handle_time": {"dist": "exponential", "mean": 60}, "transfers": [{"to": "b", "p": p}]},
            {"name": "b", "handle_time": {"dist": "exponential", "mean": 120}}],
        "agents": [{"name": "all", "count": agents, "serves": ["a", "b"]}],
    }


TRANSFERS = with_transfers(EVERYTHING)
# a busy tandem cut at the horizon: callers waiting, and talking with a transfer to come
BUSY_TANDEM = with_(tandem(0.5, agents=14, rate=0.15, horizon=20_000.0, warmup=1000.0), drain=False)
BUSY_TANDEM["call_types"][1]["patience"] = {"dist": "exponential", "mean": 300}
BUSY_TANDEM["call_types"][1]["after_call_work"] = {"dist": "exponential", "mean": 20}
CASES = {"drain": TRANSFERS, "cut": with_(TRANSFERS, drain=False), "tandem_cut": BUSY_TANDEM,
         "random_weighted": with_(TRANSFERS, routing={"agent_selection": "random", "queue_selection": "weighted_wait"}),
         "fewest_calls": with_(TRANSFERS, routing={"agent_selection": "fewest_calls"})}


# ---------------------------------------------------------------- both engines, bit for bit
@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("seed", [1, 7])
def test_core_and_simpy_are_bit_identical_with_transfers(case, seed):
    assert_same_run(run(CASES[case], "core", seed), run(CASES[case], "simpy", seed))


def test_the_transfer_scenario_exercises_transfers():
    stats = run(TRANSFERS, "core", 1)
    calls = fields(stats.total_calls, CALL_FIELDS)
    assert (calls["transferred_out"] > 0).all() and (calls["transferred_in"] > 0).all()
    assert calls["consults"][0] > 0 and calls["consults"][1] > 0 and calls["consults"][2] == 0
    assert calls["routed"].sum() > 0 and calls["retrials"].sum() > 0 and calls["callbacks_done"].sum() > 0
    cut = run(BUSY_TANDEM, "core", 1)
    caller = fields(cut.callers.sum(axis=0), CALLER_FIELDS)
    waiting = fields(cut.total_calls.sum(axis=0), CALL_FIELDS)["waiting_at_end"]
    assert caller["in_system_at_end"] > waiting > 0  # some were talking, to be transferred


def test_no_transfers_draws_nothing_and_changes_nothing():
    """A type without transfers never touches its transfer stream: the run is the one without
    the feature (a transfer list with p = 0 only draws from its own stream)."""
    s = copy.deepcopy(EVERYTHING)
    s["call_types"][0]["transfers"] = [{"to": "service", "p": 0.0}]
    for engine in ("core", "simpy"):
        plain, zero = run(EVERYTHING, engine, 2), run(s, engine, 2)
        assert_same_run(plain, zero)


# ---------------------------------------------------------------- conservation
@pytest.mark.parametrize("engine", ["core", "simpy"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_caller_is_counted_once(engine, case):
    """A transferred caller is served once (at its last leg), or ends otherwise once."""
    stats = run(CASES[case], engine, 3)
    outcomes = [CALLER_FIELDS.index(name) for name in CALLER_OUTCOMES]
    for table in (stats.callers, stats.total_channels, stats.interval_channels):
        np.testing.assert_array_equal(table[..., 0], table[..., outcomes].sum(axis=-1))


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_transfers_out_are_transfers_in(engine):
    """Drained, every transfer decided at an answer reaches its new type; the per-agent counts
    add up to the per-type ones; offered calls still end answered or abandoned."""
    stats = run(TRANSFERS, engine, 4)
    c = fields(stats.interval_calls.sum(axis=0), CALL_FIELDS)
    assert c["transferred_out"].sum() == c["transferred_in"].sum() > 0
    total = fields(stats.total_calls, CALL_FIELDS)
    transfers = stats.agent_totals[:, AGENT_FIELDS.index("transfers")]
    assert transfers.sum() == total["transferred_out"].sum()
    np.testing.assert_array_equal(total["offered"], total["answered"] + total["abandoned"])
    np.testing.assert_array_equal(total["arrived"], total["blocked"] + total["offered"] + total["closed"]
                                  + total["callbacks_accepted"])


def test_tandem_transfers_arrive_at_the_other_type():
    stats = run(tandem(0.3, horizon=20_000.0), "core", 1)
    c = fields(stats.total_calls, CALL_FIELDS)
    assert c["transferred_out"][0] == c["transferred_in"][1] == c["arrived"][1] > 0
    assert c["routed"].sum() == 0 and c["transferred_out"][1] == 0


# ---------------------------------------------------------------- against probability
@pytest.mark.parametrize("p", [0.1, 0.5])
def test_the_transferred_share_matches_p(p):
    stats = run(tandem(p, horizon=50_000.0), "core", 11)
    c = fields(stats.total_calls, CALL_FIELDS)
    n = c["answered"][0]
    share = c["transferred_out"][0] / n
    assert abs(share - p) < Z * math.sqrt(p * (1 - p) / n), (share, n)


def test_mean_time_in_center_of_a_tandem():
    """Nobody waits: a caller's time in the center is its talk at a, plus its talk at b when
    transferred; its mean is E[A] + p E[B] = 60 + 0.3 x 120 = 96 s. The interval comes from the
    callers' own times (call records); leaving out the transfer (60 s) is rejected."""
    p = 0.3
    result = ccsim.simulate(tandem(p), seed=5, call_records=True)
    calls = result.calls()
    assert (calls["wait"] == 0).all()
    assert (calls["outcome"] == "answered").all()
    per_caller = calls.groupby("call_id")["talk"].sum().to_numpy()
    mean, hw = per_caller.mean(), Z * per_caller.std(ddof=1) / math.sqrt(len(per_caller))
    assert result.kpis()["time_in_center"] == pytest.approx(mean, rel=1e-9)
    assert abs(mean - (60 + p * 120)) < hw, (mean, hw)
    assert abs(mean - 60) > hw  # the formula without transfers is rejected


def test_records_of_a_transferred_caller():
    """The transferred attempt's record says answered; the new leg has its own, same caller and
    attempt, at the other type."""
    result = ccsim.simulate(tandem(0.5, horizon=5000.0), seed=2, call_records=True)
    calls = result.calls()
    b = calls[calls["call_type"] == "b"]
    a = calls[calls["call_type"] == "a"]
    assert len(b) > 0 and set(b["call_id"]) <= set(a["call_id"])
    assert (b["attempt"] == 1).all() and (b["source"] == "a").all()
    assert len(a) == a["call_id"].nunique() and (a["outcome"] == "answered").all()


def test_consults_lengthen_the_talk_by_their_mean_share():
    """A consult with probability q = 0.4 of mean 30 s on talks of mean 60 s: the consulted share
    is q (binomial interval), and a talk's mean is 60 + q x 30 = 72 s (interval from the calls'
    own talks); without the consult (60 s) is rejected."""
    s = tandem(0.0, horizon=60_000.0)
    del s["call_types"][1], s["call_types"][0]["transfers"]
    s["agents"][0]["serves"] = ["a"]
    s["call_types"][0]["consult"] = {"p": 0.4, "duration": {"dist": "exponential", "mean": 30}}
    result = ccsim.simulate(s, seed=9, call_records=True)
    c = fields(result.stats.total_calls, CALL_FIELDS)
    n = c["answered"][0]
    assert abs(c["consults"][0] / n - 0.4) < Z * math.sqrt(0.4 * 0.6 / n)
    talk = result.calls()["talk"].to_numpy()
    mean, hw = talk.mean(), Z * talk.std(ddof=1) / math.sqrt(len(talk))
    assert abs(mean - 72) < hw and abs(mean - 60) > hw, (mean, hw)
    assert result.kpis()["aht"] == pytest.approx(mean, rel=1e-9)  # no after-call work


# ---------------------------------------------------------------- bad input
def _types(*transfers_a, transfers_b=()):
    s = tandem(0.1)
    s["call_types"][0]["transfers"] = list(transfers_a)
    s["call_types"][1]["transfers"] = list(transfers_b)
    s["call_types"][1]["arrivals"] = {"process": "poisson", "rate": 0.01}
    return s


@pytest.mark.parametrize("scenario, path, words", [
    (_types({"to": "nowhere", "p": 0.1}), "call_types[0].transfers[0].to", "'nowhere', which is not defined"),
    (_types({"to": "b", "p": 1.5}), "call_types[0].transfers[0].p", "less than or equal to 1"),
    (_types({"to": "b", "p": -0.1}), "call_types[0].transfers[0].p", "greater than or equal to 0"),
    (_types({"to": "b", "p": 0.7}, {"to": "a", "p": 0.4}), "call_types[0].transfers", "add up to 1.1"),
    (_types({"to": "b", "p": 1.0}, transfers_b=[{"to": "a", "p": 1.0}]), "call_types[0].transfers",
     "transferred forever"),
    (_types({"to": "a", "p": 1.0}), "call_types[0].transfers", "transferred forever"),
    (dict(_types(), call_types=[dict(_types()["call_types"][0], consult={"p": 2, "duration": {
        "dist": "exponential", "mean": 30}}), _types()["call_types"][1]]), "call_types[0].consult.p",
     "less than or equal to 1"),
    (dict(_types(), call_types=[dict(_types()["call_types"][0], consult={"p": 0.5}), _types()["call_types"][1]]),
     "call_types[0].consult.duration", "required field is missing"),
])
def test_bad_transfers_are_refused(scenario, path, words):
    assert_refused(scenario, path, words)


def test_certain_transfers_that_can_end_are_allowed():
    """a always goes to b, b to itself half the time: every caller ends."""
    from ccsim.scenario import validate_scenario

    validate_scenario(_types({"to": "b", "p": 1.0}, transfers_b=[{"to": "b", "p": 0.5}]))


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_a_python_router_routes_transferred_callers_as_the_builtin(engine):
    """Transferred callers go through a Python router as through the built-in policy it
    re-implements (longest_idle + longest_waiting; on the router tests' multi-skill center, which
    it re-implements exactly): the same run, bit for bit."""
    from test_router import LongestIdle
    from test_routing_policies import CENTER

    from ccsim.compile import compile_scenario
    from ccsim.engines import ENGINES
    from ccsim.scenario import validate_scenario

    s = copy.deepcopy(CENTER)
    types = {c["name"]: c for c in s["call_types"]}
    types["sales"]["transfers"] = [{"to": "service", "p": 0.2}]
    types["service"]["transfers"] = [{"to": "vip", "p": 0.1}, {"to": "service", "p": 0.05}]
    types["vip"]["transfers"] = [{"to": "sales", "p": 0.1}]
    types["service"]["consult"] = {"p": 0.3, "duration": {"dist": "exponential", "mean": 40}}
    model = compile_scenario(validate_scenario(s))
    builtin = ENGINES["core"](model, 4, call_records=True)
    routed = ENGINES[engine](model, 4, call_records=True, router=LongestIdle())
    assert fields(builtin.total_calls, CALL_FIELDS)["transferred_in"].sum() > 0
    assert_same_run(builtin, routed)
