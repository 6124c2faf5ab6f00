"""Abilities changed between periods and agents rejoining (hiring into slots): both engines
bit-identical, the new ability taking effect, the slot taking no call before its hire."""
import numpy as np
import pytest
from engine_checks import assert_same_run

from ccsim.compile import compile_scenario
from ccsim.engines.stepping import paused_run
from ccsim.results import AGENT_FIELDS
from ccsim.scenario import validate_scenario

DAY = 86400.0
_A = {name: i for i, name in enumerate(AGENT_FIELDS)}


def center(n=6, horizon=2 * DAY, rate=0.02, shifts=False):
    """One sales queue, a population with conversion abilities, a funnel (optionally a day shift)."""
    group = {"name": "sales", "serves": ["sales"], "population": {
        "count": n, "conversion": {"dist": "beta", "mean": 0.25, "sd": 0.08}}}
    if shifts:
        group["shifts"] = [{"start": "08:00", "end": "20:00"}]
    return {"name": "ab", "horizon": horizon, "interval": 3600, "roster_seed": 3,
            "call_types": [{"name": "sales", "arrivals": {"process": "poisson", "rate": rate},
                            "handle_time": {"dist": "exponential", "mean": 180},
                            "patience": {"dist": "exponential", "mean": 300}}],
            "agents": [group],
            "funnel": {"call_types": {"sales": {"conversion": 0.3,
                                                "order_value": {"dist": "deterministic", "value": 100}}}}}


def model_of(s):
    return compile_scenario(validate_scenario(s))


def changed(model, engine, seed=5, at=DAY, factor=3.0, conversion=0.9):
    """Run to ``at``, triple every agent's handle time and set conversion 0.9, finish; returns
    (RawStats, agent totals at ``at``, funnel agents at ``at``)."""
    r = paused_run(model, seed, engine)
    r.run_until(at)
    mid = r.agent_totals_now(), np.array(r.funnel_agents, copy=True)
    for a in range(model.n_agents):
        r.set_ability(a, factor_row=[factor] * model.n_types, acw=1.0, conversion=conversion)
    return r.finish(), mid


def test_ability_change_same_on_both_engines_and_takes_effect():
    model = model_of(center())
    core, (mid_a, mid_f) = changed(model, "core")
    ref, _ = changed(model, "simpy")
    assert_same_run(core, ref)
    before = mid_a[:, _A["talk"]].sum() / mid_a[:, _A["answered"]].sum()
    after_a = core.agent_totals - mid_a
    after = after_a[:, _A["talk"]].sum() / after_a[:, _A["answered"]].sum()
    # mean talk 180 s before, 540 s after (hundreds of calls each side: far beyond the noise)
    assert 150 < before < 215 and 450 < after < 640
    f = core.funnel_agents - mid_f
    from ccsim.results import FUNNEL_FIELDS
    F = {name: i for i, name in enumerate(FUNNEL_FIELDS)}
    conv_after = f[:, F["orders"]].sum() / f[:, F["sales_answered"]].sum()
    n = f[:, F["sales_answered"]].sum()
    # conversion 0.9 times the funnel's wait factor (1 without one): within 4 binomial sds
    assert abs(conv_after - 0.9) < 4 * np.sqrt(0.09 / n) + 1e-9


def test_the_model_is_not_changed():
    model = model_of(center())
    before = model.agent_factor.copy(), model.agent_conversion.copy()
    changed(model, "core")
    assert np.array_equal(model.agent_factor, before[0]) and np.array_equal(model.agent_conversion, before[1])


@pytest.mark.parametrize("shifts", [False, True])
def test_rejoin_same_on_both_engines(shifts):
    model = model_of(center(shifts=shifts))
    out = {}
    for engine in ("core", "simpy"):
        r = paused_run(model, 7, engine)
        r.leave(4)
        r.leave(5)
        r.run_until(DAY / 2)
        answered_before = r.agent_totals_now()[[4, 5], _A["answered"]].copy()
        r.rejoin(4)
        r.run_until(1.5 * DAY)
        r.rejoin(5)
        out[engine] = r.finish(), answered_before
    assert_same_run(out["core"][0], out["simpy"][0])
    raw, answered_before = out["core"]
    assert answered_before.tolist() == [0.0, 0.0]
    staffed = raw.agent_totals[:, _A["staffed"]]
    assert raw.agent_totals[4, _A["answered"]] > 0 and raw.agent_totals[5, _A["answered"]] > 0
    if not shifts:
        assert staffed[0] == pytest.approx(2 * DAY)
        # from the last event before the pause (the engines' clock): a few minutes at most
        assert staffed[4] == pytest.approx(1.5 * DAY, abs=900) and staffed[5] == pytest.approx(0.5 * DAY, abs=900)
    else:  # shifts 08-20 h, hires at noon (on shift): slot 4 works 8 + 12 h, slot 5 the last 8 h
        assert staffed[0] == pytest.approx(DAY, abs=900)
        assert staffed[4] == pytest.approx(20 * 3600, abs=900) and staffed[5] == pytest.approx(8 * 3600, abs=900)
