"""Common random numbers: two policies run with the same seed see the same callers.

A caller's first attempt at a call type has the same needs (handle time, patience, after-call
work, consult and transfer) and makes the same menu choices under every policy, even when one
policy makes callers retry or transfers them and another does not: retrials and transfer legs
draw from streams of their own (compile.LEG_SOURCE, compile.IVR_RETRIAL_SOURCE), and a consult
and a transfer are drawn as the call reaches its type, not at its answer. Before, retrials and
legs drew from the first attempts' streams in event order and shifted every later caller's
draws (with retrials, only 19 % of the callers answered under both of two staffings kept their
handle time), and consults and transfers were drawn in the order of answers.
"""
import numpy as np
import pytest

import ccsim


def exp(mean):
    return {"dist": "exponential", "mean": mean}


RETRY = {"blocked": 0.5, "abandoned": 0.6, "delay": exp(120), "max_attempts": 3}
CENTER = {
    "name": "crn", "horizon": 4 * 3600, "interval": 900,
    "call_types": [
        {"name": "orders", "arrivals": {"process": "poisson", "rate": 0.05}, "handle_time": exp(150),
         "patience": exp(60), "after_call_work": {"dist": "uniform", "low": 5, "high": 20},
         "retrials": RETRY, "transfers": [{"to": "billing", "p": 0.25}]},
        {"name": "billing", "handle_time": exp(200), "patience": exp(90),
         "after_call_work": {"dist": "uniform", "low": 5, "high": 20},
         "consult": {"p": 0.4, "duration": exp(60)}, "transfers": [{"to": "orders", "p": 0.1}]},
    ],
    "entries": [{"name": "hotline", "arrivals": {"process": "poisson", "rate": 0.03}, "ivr": "main",
                 "retrials": RETRY}],
    "ivr": [{"name": "main", "patience": exp(40), "nodes": [{"name": "welcome", "duration": exp(8), "branches": [
        {"p": 0.6, "queue": "billing"}, {"p": 0.3, "queue": "orders"}, {"p": 0.1, "exit": "hang_up"}]}]}],
    "agents": [{"name": "all", "count": 6, "serves": ["orders", "billing"]}],
}


# Lines: a caller blocked at a menu's entry does not walk it (the menu's next walker draws its
# choices), so with a menu the lines that block depend on the policy; straight to a call type, a
# blocked call draws its needs all the same.
STRAIGHT_WITH_LINES = {**CENTER, "lines": 11, "entries": [], "ivr": [],
                       "call_types": [{**CENTER["call_types"][0], "arrivals": {"process": "poisson", "rate": 0.07}},
                                      CENTER["call_types"][1]]}


def first_attempts(agents, engine, seed, center=CENTER):
    """Each caller's first attempt (its first record), by caller, and the run's records."""
    scenario = {**center, "agents": [{**center["agents"][0], "count": agents}]}
    calls = ccsim.simulate(scenario, seed=seed, engine=engine, call_records=True).calls()
    first = calls[calls.attempt == 1].groupby("call_id").first()
    return first, calls


@pytest.mark.parametrize("engine,seed,center", [("core", 1, CENTER), ("core", 2, CENTER), ("simpy", 3, CENTER),
                                                ("core", 1, STRAIGHT_WITH_LINES)], ids=["1", "2", "simpy", "lines"])
def test_first_attempts_have_the_same_needs_whatever_the_staffing(engine, seed, center):
    a, calls_a = first_attempts(5, engine, seed, center)
    b, calls_b = first_attempts(8, engine, seed, center)
    # the comparison means something: both runs retry, transfer and abandon (block), differently
    for calls in (calls_a, calls_b):
        assert (calls.attempt > 1).sum() > 20
        assert (calls.outcome.astype(str) == "abandoned").sum() > 20
        assert (calls.call_type.astype(str) == "billing").sum() > 20  # transferred (and routed)
    if center is STRAIGHT_WITH_LINES:
        assert (calls_a.outcome.astype(str) == "blocked").sum() > 20
    assert (calls_a.attempt > 1).sum() != (calls_b.attempt > 1).sum()
    np.testing.assert_array_equal(a.index, b.index)  # the same callers ring
    np.testing.assert_array_equal(a.source.astype(str), b.source.astype(str))
    routed = a.call_type.notna() & b.call_type.notna()
    assert routed.sum() > 200
    np.testing.assert_array_equal(a.call_type[routed].astype(str), b.call_type[routed].astype(str))
    np.testing.assert_array_equal(a.arrival[routed], b.arrival[routed])  # the same menu durations
    answered = (a.outcome.astype(str) == "answered") & (b.outcome.astype(str) == "answered")
    assert answered.sum() > 100
    np.testing.assert_array_equal(a.talk[answered], b.talk[answered])  # consults included
    np.testing.assert_array_equal(a.acw[answered], b.acw[answered])
    # the callers answered in both are transferred in both or in neither
    legs_a, legs_b = (calls[(calls.attempt == 1)].groupby("call_id").size() for calls in (calls_a, calls_b))
    both = answered[answered].index
    np.testing.assert_array_equal(legs_a.reindex(both) > 1, legs_b.reindex(both) > 1)
    assert (legs_a.reindex(both) > 1).sum() > 20
    abandoned = (a.outcome.astype(str) == "abandoned") & (b.outcome.astype(str) == "abandoned")
    assert abandoned.sum() > 10
    np.testing.assert_array_equal(a.wait[abandoned], b.wait[abandoned])  # their patience


def test_the_twins_agree_on_retrials_and_transfers():
    for agents in (5, 8):
        core = ccsim.simulate({**CENTER, "agents": [{**CENTER["agents"][0], "count": agents}]}, seed=4,
                              call_records=True)
        ref = ccsim.simulate({**CENTER, "agents": [{**CENTER["agents"][0], "count": agents}]}, seed=4,
                             engine="simpy", call_records=True)
        assert core.kpis() == ref.kpis()
        assert core.calls().equals(ref.calls())


def test_a_start_state_shifts_no_later_callers_consults():
    """A start state's waiting callers drew their consults and transfers from the call type's
    stream at the start, so the callers after the clock time had other consults with 5 callers
    waiting in the state than with none (30 % kept their talk); they are drawn from the state's own
    stream now, with its callers' other needs (ccsim.state.draws)."""
    from ccsim.compile import compile_scenario
    from ccsim.engines import ENGINES
    from ccsim.results import OUTCOMES
    from ccsim.scenario import validate_scenario
    from ccsim.state.schema import validate_state
    from ccsim.state.start import with_state

    center = {"name": "s", "horizon": 7200, "interval": 900,
              "call_types": [{"name": "sales", "arrivals": {"process": "poisson", "rate": 0.05},
                              "handle_time": exp(180), "patience": exp(600),
                              "consult": {"p": 0.5, "duration": exp(60)}, "transfers": [{"to": "care", "p": 0.2}]},
                             {"name": "care", "handle_time": exp(120), "patience": exp(600)}],
              "agents": [{"name": "team", "count": 40, "serves": ["sales", "care"]}]}

    def answered_after_the_clock(waiting, engine):
        state = {"clock": 1800, "waiting": [{"call_type": "sales", "waited": 10, "count": waiting}] if waiting else []}
        model = with_state(compile_scenario(validate_scenario(center)), validate_state(state))
        records = ENGINES[engine](model, 3, call_records=True).call_records
        return records[(records["outcome"] == OUTCOMES.index("answered")) & (records["arrival"] > 1800)
                       & (records["call_type"] == 0)]

    none, five = answered_after_the_clock(0, "core"), answered_after_the_clock(5, "core")
    assert len(none) > 200
    np.testing.assert_array_equal(none["arrival"], five["arrival"])
    np.testing.assert_array_equal(none["talk"], five["talk"])  # their consults too
    np.testing.assert_array_equal(five, answered_after_the_clock(5, "simpy"))
