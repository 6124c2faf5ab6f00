"""A run in steps (``run_until``) is the single run bit for bit, on both engines; agents who
leave (``leave``) do so the same way on both."""
import numpy as np
import pytest

from engine_checks import assert_same_run, run
from factories import single_queue

from ccsim.compile import compile_scenario
from ccsim.engines.stepping import paused_run
from ccsim.scenario import validate_scenario


def stepped(scenario, engine, steps, seed=3, leave=()):
    """The RawStats of ``scenario`` run to each time of ``steps`` then finished; ``leave``:
    (time, agent) pairs, each agent leaving after the step ending at that time."""
    model = compile_scenario(validate_scenario(scenario))
    r = paused_run(model, seed, engine, call_records=True)
    for t in steps:
        r.run_until(t)
        for when, agent in leave:
            if when == t:
                r.leave(agent)
    return r.finish()


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_steps_equal_single_run(engine):
    s = single_queue(agents=6, horizon=20000, rate=0.03, handle=180, patience=200)
    whole = run(s, engine, seed=3)
    steps = [0.0, 1234.5, 5000.0, 5000.0, 19999.0, 20000.0, 25000.0]
    assert_same_run(stepped(s, engine, steps), whole)


def test_leave_same_on_both_engines():
    s = single_queue(agents=6, horizon=20000, rate=0.03, handle=180, patience=200)
    leave = [(3000.0, 0), (3000.0, 4), (9000.0, 2), (9000.0, 0)]
    steps = [3000.0, 9000.0]
    core, ref = stepped(s, "core", steps, leave=leave), stepped(s, "simpy", steps, leave=leave)
    assert_same_run(core, ref)
    whole = run(s, "core", seed=3)
    assert core.calls_simulated == whole.calls_simulated  # the same callers (CRN)
    staffed = core.agent_totals[:, 4]
    assert staffed[1] == pytest.approx(20000.0) and staffed[0] < 3000.0 + 2000.0
    assert staffed[2] < 9000.0 + 2000.0


def test_steps_and_leaves_in_a_large_center():
    """600 agents: the core keeps the ends of talks in its far wheel (512 agents or more), and a
    pause must leave the later ones there for the next step; agents who leave mid-talk leave
    after it, as on the SimPy twin."""
    s = single_queue(agents=600, horizon=3600, rate=3.2, handle=180, patience=200)
    steps = [0.0, 300.5, 1800.0, 1800.0, 3599.0, 3600.0, 5000.0]
    assert_same_run(stepped(s, "core", steps), run(s, "core", seed=3))
    leave = [(900.0, a) for a in range(0, 600, 7)] + [(2000.0, a) for a in range(3, 600, 11)]
    core, ref = (stepped(s, e, [900.0, 2000.0], leave=leave) for e in ("core", "simpy"))
    assert_same_run(core, ref)


def scenarios():
    """Shifts with breaks (drained and cut), the full funnel with ads and an IVR."""
    from inbound_scenarios import with_
    from test_funnel import FULL
    from test_shifts import SHIFTS

    return {"shifts": SHIFTS, "shifts_cut": with_(SHIFTS, drain=False), "funnel": FULL}


@pytest.mark.parametrize("name", ["shifts", "shifts_cut", "funnel"])
@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_steps_equal_single_run_with_shifts_and_funnel(name, engine):
    s = scenarios()[name]
    steps = sorted({3600.0 * h for h in (1, 7, 7.5, 13, 20, 30, 47) if 3600.0 * h < s["horizon"]} | {s["horizon"]})
    assert_same_run(stepped(s, engine, steps), run(s, engine, seed=3))


@pytest.mark.parametrize("name", ["shifts", "shifts_cut", "funnel"])
def test_leave_with_shifts_and_funnel_same_on_both_engines(name):
    s = scenarios()[name]
    n = sum(g.get("count", len(g.get("members", []))) or g.get("population", {}).get("count", 0)
            for g in s["agents"])
    steps = [3600.0 * h for h in (9, 12.25, 20)]
    leave = [(steps[0], 0), (steps[0], n - 1), (steps[1], 2), (steps[2], 3), (steps[2], 0)]
    core, ref = stepped(s, "core", steps, leave=leave), stepped(s, "simpy", steps, leave=leave)
    assert_same_run(core, ref)
    answered = core.agent_totals[:, 0]
    assert answered.sum() > 0


def test_gone_agent_answers_nothing_after_it_leaves():
    """Call records: no answer by a gone agent after the end of the call it was on when it left."""
    s = scenarios()["shifts"]
    core = stepped(s, "core", [36000.0], leave=[(36000.0, 1)])
    rec = core.call_records
    mine = rec[(rec["agent"] == 1) & (rec["outcome"] == 0)]
    assert len(mine) > 0
    assert (mine["arrival"] + mine["wait"] <= 36000.0).all()
