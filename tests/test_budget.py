"""The run budget: the estimate, the refusal before the engine starts, the limit during the run."""
import dataclasses

import numpy as np
import pytest

import ccsim
from ccsim import budget as b
from ccsim.budget import BudgetError, check_budget, estimate
from ccsim.compile import compile_scenario
from ccsim.engines import ENGINES
from ccsim.errors import UserError
from ccsim.scenario import validate_scenario
from ccsim.experiment import records
from factories import single_queue


def model_of(scenario):
    return compile_scenario(ccsim.as_scenario(scenario))


def piecewise(rates, slot, repeat, horizon):
    scenario = single_queue(horizon=horizon)
    scenario["call_types"][0]["arrivals"] = {"process": "piecewise", "rates": rates, "slot": slot,
                                             "repeat": repeat}
    return scenario


def overloaded(rate=50.0, agents=10, horizon=2000, patience=None):
    """Far more work than agents: the queue grows by about rate - agents/handle per second."""
    scenario = single_queue(agents=agents, rate=rate, handle=100, horizon=horizon)
    if patience is None:
        del scenario["call_types"][0]["patience"]
    else:
        scenario["call_types"][0]["patience"] = {"dist": "exponential", "mean": patience}
    return scenario


# ---- the estimate -----------------------------------------------------------------------

def test_expected_arrivals_integrate_the_rate_profile():
    assert b.expected_arrivals(model_of(single_queue(rate=0.5, horizon=5000))).tolist() == [2500.0]
    # [1, 2] calls/s in slots of 100 s over 350 s: a full cycle (300) and 1x100 + 2x50 more.
    assert b.expected_arrivals(model_of(piecewise([1, 2], 100, True, 350))).tolist() == [500.0]
    # Without repeat the rate is zero after the profile: 100 + 200.
    assert b.expected_arrivals(model_of(piecewise([1, 2], 100, False, 350))).tolist() == [300.0]


def test_busyness_factors_have_mean_one_in_the_estimate():
    # A day's factor has mean 1: the expected calls are the profile's; the memory counts
    # the rates a replication's factors unroll (one per slot of the horizon, 10 days of 4, and one more).
    plain = piecewise([1, 2, 3, 4], 21600, True, 10 * 86400)
    busy = piecewise([1, 2, 3, 4], 21600, True, 10 * 86400)
    busy["call_types"][0]["arrivals"]["busyness"] = {"cv": 2.0}
    assert b.expected_arrivals(model_of(busy)).tolist() == b.expected_arrivals(model_of(plain)).tolist()
    extra = estimate(model_of(busy)).memory_parts["call types"] - estimate(model_of(plain)).memory_parts["call types"]
    assert extra == 8 * 41
    poisson = single_queue(rate=0.5, horizon=5000)
    poisson["call_types"][0]["arrivals"]["busyness"] = {"cv": 0.5}
    assert b.expected_arrivals(model_of(poisson)).tolist() == [2500.0]


def test_busy_scenarios_are_refused_and_accepted_like_plain_ones(no_engine):
    scenario = single_queue(rate=0.5, horizon=5000)
    scenario["call_types"][0]["arrivals"]["busyness"] = {"cv": 1.0}
    with pytest.raises(BudgetError, match="2,500 calls"):
        ccsim.simulate(scenario, max_calls=2000)
    b.with_budget(model_of(scenario), max_calls=2600)  # inside: no refusal


def test_estimate_counts_agents_intervals_and_tables():
    est = estimate(model_of(single_queue(agents=137, horizon=9000)))
    assert (est.agents, est.intervals) == (137, 10)
    wider = estimate(model_of(dict(single_queue(agents=137, horizon=9000), interval=9)))
    assert wider.intervals == 1000
    assert wider.memory_parts["interval tables"] == pytest.approx(100 * est.memory_parts["interval tables"])
    # below capacity: a reserve for the timers of the last mean patience (5 calls/s x 300 s), at least 1024
    assert est.pending == 1024
    assert estimate(model_of(single_queue(agents=137, rate=5, handle=10))).pending == pytest.approx(1500)


def test_backlog_of_an_overload_is_the_excess_over_the_horizon():
    # 50 calls/s against 10 agents x 1/100 s: 49.9 calls/s pile up for 2000 s.
    est = estimate(model_of(overloaded()))
    assert est.pending == pytest.approx(49.9 * 2000)
    assert est.offered_load[0] == pytest.approx(5000) and est.capacity[0] == 10
    # With a mean patience of 10 s the queue levels off near 49.9 x 10 (and 50 x 10 timers).
    assert estimate(model_of(overloaded(patience=10))).pending == pytest.approx(49.9 * 10 + 50 * 10)


def test_in_run_limit_follows_the_memory_budget():
    model = model_of(single_queue())
    small, large = (estimate(model, max_memory=m).max_pending for m in (2**24, 2**28))
    assert 0 < small < large
    assert model.max_pending == estimate(model).max_pending  # compile applies the default budget
    assert b.with_budget(model, max_memory=2**24).max_pending == small


# ---- refusal before the run ---------------------------------------------------------------

def test_calls_beyond_the_budget_are_refused_before_the_engine(no_engine):
    with pytest.raises(BudgetError) as err:
        ccsim.simulate(single_queue(rate=0.5, horizon=5000), max_calls=2000)
    message = str(err.value)
    assert "2,500 calls" in message and "2,000 calls" in message
    assert "'inbound'" in message and "--max-calls" in message and "max_calls=" in message


def test_memory_beyond_the_budget_is_refused_before_the_engine(no_engine):
    with pytest.raises(BudgetError) as err:
        ccsim.simulate(overloaded(), max_memory=2**20)
    message = str(err.value)
    assert "1 MiB" in message and "waiting callers" in message and "'inbound'" in message
    assert "5,000 Erlangs against 10 agents" in message and "never hang up" in message
    assert "--max-memory" in message


def test_a_scenario_just_inside_the_budget_runs():
    scenario = single_queue(rate=0.5, horizon=5000)
    assert ccsim.simulate(scenario, seed=1, max_calls=2600).calls_simulated > 0
    need = estimate(model_of(scenario)).memory
    ccsim.simulate(scenario, seed=1, max_memory=need * 1.01)
    with pytest.raises(BudgetError):
        ccsim.simulate(scenario, seed=1, max_memory=need * 0.99)


def test_every_path_that_runs_an_engine_checks_the_budget(no_engine):
    scenario = single_queue(rate=1e9)
    with pytest.raises(BudgetError):
        ccsim.simulate(scenario)
    with pytest.raises(BudgetError):
        ccsim.replicate(scenario, reps=2)
    task = records.Task(point=0, rep=0, scenario=scenario, entropy=1, spawn_key=(0,))
    with pytest.raises(BudgetError):
        records.run_replication(task)
    small = records.Task(point=0, rep=0, scenario=single_queue(), entropy=1, spawn_key=(0,), max_calls=10)
    with pytest.raises(BudgetError):
        records.run_replication(small)


def test_call_records_count_in_the_memory_budget():
    model = model_of(single_queue(rate=10, horizon=100_000))
    need = estimate(model).memory
    check_budget(model, max_memory=need * 1.5)
    with pytest.raises(BudgetError, match="call records"):
        check_budget(model, max_memory=need * 1.5, call_records=True)


@pytest.mark.parametrize("bad", [0, -5, float("nan"), "lots", True, 10**16])
def test_a_bad_limit_is_a_user_error(bad):
    with pytest.raises(BudgetError, match="max_calls"):
        check_budget(model_of(single_queue()), max_calls=bad)
    with pytest.raises(UserError, match="max_memory"):
        check_budget(model_of(single_queue()), max_memory=bad if bad != 10**16 else -1)


# ---- the limit during the run ---------------------------------------------------------------

def limited(scenario, max_pending):
    return dataclasses.replace(model_of(scenario), max_pending=max_pending)


@pytest.mark.parametrize("patience", [None, 30.0])
def test_both_engines_stop_at_the_same_caller(patience):
    model = limited(overloaded(rate=5.0, horizon=400, patience=patience), 300)
    messages = []
    for engine in ("core", "simpy"):
        with pytest.raises(BudgetError) as err:
            ENGINES[engine](model, 7)
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert "'inbound' rings at 5 calls/s then, an offered load of 500 Erlangs" in messages[0]
    assert "against 10 agents" in messages[0]
    assert "(300)" in messages[0]


def test_patience_timers_of_answered_callers_count():
    # Below capacity, callers wait briefly and are answered, but each leaves a
    # patience timer of ~10^6 s running: the limit counts them.
    scenario = single_queue(agents=12, rate=0.1, handle=100, horizon=5000, patience=1e6)
    unlimited = ccsim.simulate(scenario, seed=3).stats
    waited = unlimited.total_calls[0, ccsim.results.CALL_FIELDS.index("wait_answered")]
    assert waited > 0
    for engine in ("core", "simpy"):
        with pytest.raises(BudgetError, match="patience timers running"):
            ENGINES[engine](limited(scenario, 20), 3)


def test_a_run_under_the_limit_is_unchanged():
    scenario = overloaded(rate=0.2, horizon=3000, patience=60)
    free = ENGINES["core"](limited(scenario, b.HARD_MAX_PENDING), 5)
    for engine in ("core", "simpy"):
        bounded = ENGINES[engine](limited(scenario, 10_000), 5)
        np.testing.assert_array_equal(bounded.interval_calls[..., :7], free.interval_calls[..., :7])
        assert bounded.calls_simulated == free.calls_simulated


def test_running_out_of_memory_is_a_budget_error(monkeypatch):
    from ccsim.engines import core, simpy_engine

    def no_memory(*args):
        raise MemoryError()
    monkeypatch.setattr(core, "run", no_memory)
    monkeypatch.setattr(simpy_engine, "run", no_memory)
    for engine in ("core", "simpy"):
        with pytest.raises(BudgetError, match="ran out of memory"):
            ccsim.simulate(single_queue(), engine=engine)


def test_the_memory_estimate_counts_every_statistics_field():
    from ccsim import results
    assert (b.CALL_FIELDS, b.INTERVAL_GROUP_FIELDS, b.CHANNEL_FIELDS, b.ENTRY_FIELDS) == (
        len(results.CALL_FIELDS), len(results.INTERVAL_GROUP_FIELDS), len(results.CHANNEL_FIELDS),
        len(results.ENTRY_FIELDS))
    assert (b.FUNNEL_FIELDS, b.FUNNEL_DAY_FIELDS) == (len(results.FUNNEL_FIELDS), len(results.FUNNEL_DAY_FIELDS))


def test_the_funnel_tables_are_counted_byte_for_byte():
    """The estimate's funnel tables and the funnel's share of the agent tables are the bytes of the
    statistic arrays the core allocates (an identity), over a horizon of years and one of a day."""
    from test_funnel import FULL

    from ccsim._funnel import funnel_stats
    for horizon in (86400, 10**8):
        model = compile_scenario(validate_scenario(dict(FULL, horizon=horizon)))
        allocated = sum(a.nbytes for name, a in funnel_stats(model).items() if not name.startswith("_"))
        assert b.funnel_bytes(model) + model.n_agents * b.FUNNEL_FIELDS * 8 == allocated
        assert estimate(model).memory_parts["funnel tables"] == b.funnel_bytes(model)
    assert b.funnel_bytes(compile_scenario(validate_scenario(single_queue()))) == 0.0



def test_a_budget_spent_on_the_funnel_tables_names_them_and_their_days():
    """Thirty years of the test funnel at 10 reporting intervals: the per-day funnel tables are
    the biggest part, and the refusal says what they hold and what to shorten."""
    from test_funnel import FULL

    from ccsim.funnel_tables import funnel_days
    model = compile_scenario(validate_scenario(dict(FULL, horizon=10**9, interval=10**8)))
    est = estimate(model)
    assert max(est.memory_parts, key=est.memory_parts.get) == "funnel tables"
    with pytest.raises(BudgetError) as info:
        check_budget(model, None, est.memory / 2)
    assert (f"for the funnel tables ({funnel_days(model):,} days up to the funnel's cut x 3 channels, and "
            f"{model.n_airings} airings). Shorten the horizon or the funnel's follow_days") in str(info.value)

def many_skills(agents, types, routing):
    """``agents`` agents in one group serving ``types`` call types, under ``routing``."""
    s = single_queue(agents=agents, horizon=600, rate=0.001)
    s["call_types"] = [dict(s["call_types"][0], name=f"t{k}") for k in range(types)]
    s["agents"][0]["serves"] = [f"t{k}" for k in range(types)]
    s["routing"] = routing
    return compile_scenario(validate_scenario(s))


def setup_peak(model) -> int:
    """Bytes the core allocates making a simulation of ``model`` (tracemalloc sees numpy's arrays)."""
    import tracemalloc

    from ccsim.engines.core import simulation
    tracemalloc.start()
    try:
        sim = simulation(model, 1)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        del sim


@pytest.mark.parametrize("routing", [{"agent_selection": "best_proficiency"}, {"agent_selection": "fewest_calls"},
                                     {"queue_selection": "skill_priority"}])
def test_the_per_agent_tables_of_the_routing_count_in_the_memory_estimate(routing):
    """What a routing policy's per-agent tables cost (the core's setup above the plain policy's,
    plus the skill priorities compile makes) is within the estimate's agent tables (give or take
    200 kB of Python objects tracemalloc also sees)."""
    plain = many_skills(3000, 200, {})
    model = many_skills(3000, 200, routing)
    cost = setup_peak(model) - setup_peak(plain) + model.agent_priority.nbytes
    counted = estimate(model).memory_parts["agent tables"]
    assert cost <= counted + 2 * 10**5
    per_agent = {"best_proficiency": 200 * 8, "fewest_calls": 8, "skill_priority": 200 * 4}  # bytes at least
    assert counted >= 3000 * per_agent[next(iter(routing.values()))]
    assert estimate(plain).memory_parts["agent tables"] == 0.0


def test_a_million_agents_of_a_thousand_skills_by_best_proficiency_are_refused_by_the_budget():
    """The core would make a [agent, call type] factor table and heap keys of 8 GB each: the
    budget refuses the run before it starts (compiling it costs nothing per agent and type)."""
    s = single_queue(agents=10**6, horizon=600, rate=0.001)
    s["call_types"] = [dict(s["call_types"][0], name=f"t{k}") for k in range(1000)]
    s["agents"][0]["serves"] = [f"t{k}" for k in range(1000)]
    s["routing"] = {"agent_selection": "best_proficiency"}
    with pytest.raises(BudgetError, match=r"for the agent tables \(1,000,000 agents x 1000 call types"):
        ccsim.simulate(s)


def test_callbacks_that_are_never_answered_count_in_the_budget():
    """Voicemails called back up to 1,000 times each, never answered: a run a million times
    longer than its calls say, refused before it starts."""
    import copy

    from inbound_scenarios import CALLBACKS

    from ccsim.compile import compile_scenario
    from ccsim.scenario import validate_scenario
    s = copy.deepcopy(CALLBACKS)
    s["call_types"][1]["callback"] = {"answer": 0.0, "ring": 0, "max_attempts": 1000, "retry_delay": 0,
                                      "target": 3600}
    model = compile_scenario(validate_scenario(s))
    plain = b.estimate(compile_scenario(validate_scenario(CALLBACKS)))
    assert b.estimate(model).calls > 100 * plain.calls
    with pytest.raises(b.BudgetError):
        b.check_budget(model, max_calls=10 * plain.calls)


def test_a_waiting_caller_is_priced_at_the_cores_call_slot():
    """The budget priced a waiting caller at 2 x (72 + 4) B, 72 being the Caller inside the
    core's Call slot of 176 B: the in-run stop let memory reach about 1.9 x --max-memory. The
    numbers follow the structs' own sizes."""
    from ccsim import _core

    sizes = _core.struct_sizes()
    assert b.BYTES_PER_PENDING["core"] == 2 * (sizes["Call"] + 4)
    assert b.BYTES_PER_AGENT["core"] == sizes["Agent"] + 2 * 32


def test_replications_held_at_once_and_reports_count_in_the_budget(tmp_path):
    """replicate returns every replication's result: --reps 4 of a year of 15-minute intervals
    held 4 x the interval tables (417 MB for an estimate of 102 MiB); --html and --out built
    1.2 GB of tables and charts beyond the run. Both are in the estimate now."""
    import yaml
    from click.testing import CliRunner

    from ccsim.cli import cli

    data = single_queue(agents=20, horizon=365 * 86400, rate=0.05)
    model = compile_scenario(validate_scenario(data))
    one, four = estimate(model), estimate(model, kept=4)
    tables = one.memory_parts["interval tables"] - 8 * model.n_intervals * b.INTERVAL_REPORT_FIELDS
    assert four.memory_parts["interval tables"] - one.memory_parts["interval tables"] == pytest.approx(3 * tables)
    report = estimate(model, report=True).memory_parts["report and tables"]
    assert report == model.n_intervals * (model.n_types + 1) * b.BYTES_PER_REPORT_ROW + 20 * b.BYTES_PER_REPORT_AGENT
    budget = one.memory + tables  # one replication fits, four do not
    assert ccsim.replicate(dict(data, horizon=3600), 4, max_memory=budget)  # a short one: fits
    with pytest.raises(BudgetError, match="for each of 4 replications kept"):
        ccsim.replicate(data, 4, max_memory=budget)
    path = tmp_path / "year.yaml"
    path.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(cli, ["run", str(path), "--max-memory", str(int(one.memory * 1.5)),
                                      "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "for the report and tables" in result.stderr, result.output
    assert not (tmp_path / "r.html").exists()


def test_ad_calls_scheduled_at_once_are_those_of_recent_airings():
    """The estimate counted every airing's calls as scheduled at once: a year of 20,000 airings
    of 1,600 calls each (32 million calls, a few thousand in the heap at a time; 78 MB measured)
    was refused at 4.5 GiB. Now: per channel, the calls of the airings within 100 mean delays
    before an airing, plus 1/100 of all (Markov's bound on the rest)."""
    airings = [{"time": float(t), "channel": "tv", "spend": 400000.0} for t in np.linspace(0, 365 * 86400 - 3600, 20000)]
    data = {"horizon": 365 * 86400, "interval": 86400,
            "call_types": [{"name": "sales", "arrivals": {"process": "poisson", "rate": 0.01},
                            "handle_time": {"dist": "exponential", "mean": 180},
                            "patience": {"dist": "exponential", "mean": 120}}],
            "agents": [{"name": "team", "count": 1500, "serves": ["sales"]}],
            "media": {"channels": [{"name": "tv", "call_type": "sales", "calls_per_unit": 0.004,
                                    "response": {"kind": "spike", "decay": 600}}], "airings": airings}}
    model = compile_scenario(validate_scenario(data))
    ads = b.airing_expected_calls(model)
    assert ads.sum() == pytest.approx(32e6, rel=1e-3)
    spacing = (365 * 86400 - 3600) / 19999
    within = int(100 * 600 // spacing) + 1  # airings in a window of 100 mean delays, the last included
    assert b.peak_scheduled_ad_calls(model, ads) == pytest.approx(within * 1600 + ads.sum() / 100, rel=1e-3)
    check_budget(model)  # accepted within the default 4 GiB (it was refused: 4.53 GiB)
    # one airing alone: all of its calls are scheduled at once
    single = compile_scenario(validate_scenario(dict(data, media=dict(data["media"], airings=airings[:1]))))
    assert b.peak_scheduled_ad_calls(single, [1600.0]) == 1600.0


@pytest.mark.parametrize("engine", ["core", "simpy"])
def test_an_airings_calls_past_the_horizon_do_not_count_against_the_limit(engine):
    """An airing drawing 2 million calls that all ring a week after a one-day horizon (none
    scheduled; 387 KiB estimated) stopped the run: the limit counted every call drawn. It counts
    the calls scheduled; both engines alike, the same run as before."""
    data = {"horizon": 86400, "interval": 3600,
            "call_types": [{"name": "sales", "arrivals": {"process": "poisson", "rate": 0.01},
                            "handle_time": {"dist": "exponential", "mean": 180}}],
            "agents": [{"name": "team", "count": 5, "serves": ["sales"]}],
            "media": {"channels": [{"name": "tv", "call_type": "sales", "calls_per_unit": 2.0,
                                    "response": {"kind": "gamma", "delay": 7 * 86400, "mean": 7 * 86400 + 600,
                                                 "shape": 2}}],
                      "airings": [{"time": 3600, "channel": "tv", "spend": 1e6}]}}
    result = ccsim.simulate(data, seed=1, engine=engine, max_memory=200e6)
    assert result.kpis()["arrivals"] == result.stats.total_calls[0, 0] > 0  # the organic calls only


def test_the_quick_path_of_a_media_run_keeps_what_the_run_holds():
    """with_budget's path for media runs (clearly within budget) set the in-run limit as if one
    replication were kept: 290,288 callers where check_budget allows 10,945 (kept=200)."""
    model = compile_scenario(ccsim.load_scenario("scenarios/media_hotline.yaml"))
    budget = 1.02 * estimate(model, kept=200).memory
    assert b.with_budget(model, max_memory=budget, kept=200).max_pending == \
        check_budget(model, max_memory=budget, kept=200).max_pending


def test_a_budget_too_small_for_a_calm_center_does_not_call_it_overloaded():
    """Below capacity, the waiting callers' room is at least 1,024 slots; a tiny --max-memory
    refused erlang-like center as 'overloaded (offered load 3 Erlangs against 8 agents)'."""
    model = compile_scenario(validate_scenario(single_queue(agents=8, horizon=5000, rate=0.1, handle=30,
                                                            patience=300)))
    with pytest.raises(BudgetError) as caught:
        check_budget(model, max_memory=10_000)
    assert "is overloaded (offered load" not in str(caught.value)
    assert "no call type is overloaded, so the budget is too small for the run itself" in str(caught.value)
