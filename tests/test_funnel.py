"""The sales funnel (scenario ``funnel:``): both engines alike, its identities, common random
numbers, and bad input refused with its path."""
import copy

import numpy as np
import pytest
import yaml
from engine_checks import RAW_ARRAYS, assert_refused, assert_same_run, fields, run

from ccsim import _funnel
from ccsim.compile import bit_generators, compile_scenario, stream_seeds
from ccsim.engines import ENGINES
from ccsim.engines.funnel import Funnel
from ccsim.results import CALL_FIELDS, FUNNEL_DAY_FIELDS, FUNNEL_FIELDS
from ccsim.scenario import validate_scenario
from validation.test_funnel_exact import poisson_funnel

DAY = 86400.0


def exp(mean):
    return {"dist": "exponential", "mean": mean}


# every stage with a random delay, cross-sell, regions, channel factors and a wait curve
FUNNEL = {
    "follow_days": 3,
    "call_types": {"sales": {"conversion": 0.3, "order_value": {"dist": "lognormal", "mean": 300, "cv": 0.4},
                             "cross_sell": {"p": 0.2, "value": {"dist": "gamma", "mean": 80, "cv": 0.5}},
                             "order_talk_factor": 1.2}},
    "channels": {"tv": 1.1, "online": 0.8},
    "wait_curve": [[0, 1.0], [60, 0.9], [300, 0.6]],
    "verification": {"delay": exp(7200), "confirm": 0.7, "cancel": 0.1, "retry_delay": exp(14400),
                     "max_attempts": 3, "deadline_hours": 30},
    "shipping": {"delay": {"dist": "gamma", "mean": DAY / 2, "cv": 0.5}},
    "delivery": {"delay": {"dist": "gamma", "mean": DAY, "cv": 0.4}, "sign_for": 0.8, "by_channel": {"tv": 0.85},
                 "regions": [{"name": "north", "share": 0.6, "sign_factor": 1.05},
                             {"name": "south", "share": 0.4, "sign_factor": 0.9}]},
    "settlement": {"delay": exp(DAY / 2)},
    "returns": {"delay": exp(DAY)},
}

# ads (to a call type and to an entry), an IVR menu, retrials, a roster with conversion abilities
FULL = {
    "name": "funnel", "horizon": DAY, "warmup": 1800, "interval": 1800, "roster_seed": 3,
    "entries": [{"name": "hotline", "arrivals": {"process": "poisson", "rate": 0.01}, "ivr": "main",
                 "retrials": {"blocked": 0.5, "abandoned": 0.4, "delay": exp(600), "max_attempts": 3}}],
    "ivr": [{"name": "main", "patience": exp(120), "nodes": [{
        "name": "welcome", "duration": {"dist": "deterministic", "value": 10},
        "branches": [{"p": 0.7, "queue": "sales"}, {"p": 0.25, "queue": "service"}, {"p": 0.05, "exit": "hang_up"}]}]}],
    "call_types": [
        {"name": "sales", "arrivals": {"process": "poisson", "rate": 0.01}, "handle_time": exp(200),
         "patience": exp(90), "after_call_work": exp(20),
         "retrials": {"blocked": 0.5, "abandoned": 0.3, "delay": exp(900), "max_attempts": 2}},
        {"name": "service", "handle_time": exp(240), "patience": exp(150)}],
    "agents": [
        {"name": "stars", "serves": ["sales"], "members": [
            {"id": "li", "conversion": 0.5}, {"id": "wang", "conversion": 0.45}, {"id": "zhao"}]},
        {"name": "pool", "serves": ["sales", "service"], "population": {
            "count": 6, "conversion": {"dist": "beta", "mean": 0.25, "sd": 0.05}}},
        {"name": "service_team", "count": 2, "serves": ["service"]}],
    "media": {"channels": [
        {"name": "tv", "entry": "hotline", "calls_per_unit": 0.002, "response": {"kind": "spike", "decay": 480}},
        {"name": "online", "call_type": "sales", "calls_per_unit": 0.003,
         "response": {"kind": "gamma", "delay": 120, "mean": 1500, "shape": 2}}],
        "airings": [{"time": 36000, "channel": "tv", "spend": 20000}, {"time": 43200, "channel": "online", "spend": 15000},
                    {"time": 72000, "channel": "tv", "spend": 30000}]},
    "funnel": FUNNEL,
}


def media_hotline():
    with open("scenarios/media_hotline.yaml") as handle:
        s = yaml.safe_load(handle)
    s["funnel"] = copy.deepcopy(FUNNEL)
    s["funnel"]["follow_days"] = 10
    return s


def with_funnel(scenario, **changes):
    s = copy.deepcopy(scenario)
    s["funnel"].update(changes)
    return s


# ---- both engines ------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [1, 2])
def test_engines_agree_on_the_full_funnel(seed):
    core = run(FULL, "core", seed)
    assert core.funnel_types[0, FUNNEL_FIELDS.index("orders")] > 20
    assert_same_run(core, run(FULL, "simpy", seed))


def test_engines_agree_on_media_hotline_with_a_funnel():
    s = media_hotline()
    core = run(s, "core", 5, records=False)
    assert core.funnel_channels[:, FUNNEL_FIELDS.index("collected")].sum() > 100
    assert_same_run(core, run(s, "simpy", 5, records=False))


def test_core_module_draws_as_its_twin():
    """_funnel.pxd's order_life and counting, called from Python, against ccsim.engines.funnel."""
    model = compile_scenario(validate_scenario(FULL))
    times = np.linspace(0.0, 2 * DAY, 300).tolist()
    for channel in (-1, 0, 1):
        lives, stats = _funnel.orders(model, bit_generators(model, 4)[model.stream_base["order"]], 0, channel,
                                      times, airing=0, agent=2)
        twin = Funnel(model, [(int(c), *map(float, p), float(cum)) for c, p, cum in
                              zip(model.dist_code, model.dist_param, model.dist_cum)], model.empirical.tolist())
        rng = np.random.Generator(bit_generators(model, 4)[model.stream_base["order"]])
        for t0, life in zip(times, lives):
            o = twin.life(rng, 0, channel, t0)
            twin.count_sale(0, channel, 0, 2)
            twin.count_order(o, 0, channel, 0, 2)
            assert o.as_dict() == life
        for name, array in twin.stats().items():
            np.testing.assert_array_equal(stats[name], array, err_msg=name)


def test_order_probability_matches_its_twin():
    model = compile_scenario(validate_scenario(FULL))
    twin = Funnel(model, [], [])
    for agent in range(model.n_agents):
        for channel in (-1, 0, 1):
            for wait in (0.0, 30.0, 59.9, 60.0, 200.0, 300.0, 1e4):
                assert _funnel.probability(model, 0, agent, channel, wait) == twin.probability(0, agent, channel, wait)


def test_without_orders_nothing_else_changes():
    """A funnel that never sells (conversion 0, no abilities) draws propensities from streams of
    its own and nothing else: every other statistic is that of the run without a funnel."""
    s = copy.deepcopy(FULL)
    for group in s["agents"][:2]:
        group.pop("members", None)
        group.pop("population", None)
        group["count"] = 4
    plain = {k: v for k, v in s.items() if k != "funnel"}
    zero = with_funnel(s, call_types={"sales": {"conversion": 0.0, "order_value": exp(100)}})
    a, b = run(plain, "core", 3), run(zero, "core", 3)
    for name in RAW_ARRAYS:
        if not name.startswith("funnel_"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert b.funnel_types[0, FUNNEL_FIELDS.index("sales_answered")] == \
        a.total_calls[0, CALL_FIELDS.index("answered")]
    assert b.total_calls[:, CALL_FIELDS.index("orders")].sum() == 0


# ---- identities --------------------------------------------------------------------------

def _check_identities(stats):
    for name in ("funnel_types", "funnel_channels", "funnel_airings", "funnel_agents"):
        f = fields(getattr(stats, name), FUNNEL_FIELDS)
        np.testing.assert_array_equal(f["orders"], f["verified"] + f["cancelled_by_customer"]
                                      + f["cancelled_unreached"] + f["pending_verification"], err_msg=name)
        np.testing.assert_array_equal(f["verified"], f["shipped"] + f["awaiting_shipment"], err_msg=name)
        np.testing.assert_array_equal(f["shipped"], f["signed"] + f["refused"] + f["in_transit"], err_msg=name)
        np.testing.assert_array_equal(f["signed"], f["collected"] + f["awaiting_settlement"], err_msg=name)
        assert (f["returned"] <= f["refused"]).all() and (f["orders"] <= f["sales_answered"]).all()
        assert (f["cross_sells"] <= f["orders"]).all()
    counts = [i for i, name in enumerate(FUNNEL_FIELDS) if "value" not in name]
    total = stats.funnel_types[:, counts].sum(axis=0)
    for name in ("funnel_channels", "funnel_agents"):
        np.testing.assert_array_equal(getattr(stats, name)[:, counts].sum(axis=0), total, err_msg=name)
    np.testing.assert_allclose(stats.funnel_channels.sum(axis=0), stats.funnel_types.sum(axis=0), rtol=1e-12)
    # every ad caller has its airing: the airings add up to the ad channels' rows
    np.testing.assert_array_equal(stats.funnel_airings[:, counts].sum(axis=0),
                                  stats.funnel_channels[1:, counts].sum(axis=0))
    # the days' flow, summed, is the cohort counted by the state reached at the cut
    t, d = fields(stats.funnel_types.sum(axis=0), FUNNEL_FIELDS), fields(stats.funnel_days.sum(axis=(0, 1)),
                                                                           FUNNEL_DAY_FIELDS)
    for day, cohort in (("orders", t["orders"]), ("verified", t["verified"]), ("shipped", t["shipped"]),
                        ("signed", t["signed"]), ("refused", t["refused"]), ("collected", t["collected"]),
                        ("returned", t["returned"]),
                        ("cancelled", t["cancelled_by_customer"] + t["cancelled_unreached"])):
        assert d[day] == cohort, day
    for day, cohort in (("gross_value", t["order_value"] + t["cross_sell_value"]),
                        ("shipped_value", t["shipped_value"]), ("collected_value", t["collected_value"])):
        assert d[day] == pytest.approx(cohort, rel=1e-12), day


@pytest.mark.parametrize("follow_days", [0, 0.5, 3])
def test_identities_hold_in_every_row(follow_days):
    s = with_funnel(FULL, follow_days=follow_days)
    stats = run(s, "core", 7, records=False)
    _check_identities(stats)
    f = fields(stats.funnel_types[0], FUNNEL_FIELDS)
    assert stats.total_calls[0, CALL_FIELDS.index("orders")] == f["orders"]
    assert stats.total_calls[0, CALL_FIELDS.index("order_value")] == pytest.approx(f["order_value"], rel=1e-12)
    if follow_days == 0:  # cut at the horizon: orders of the evening are still being verified
        assert f["pending_verification"] > 0 and f["collected"] < f["signed"] + 1
    assert stats.funnel_days.shape == (int(np.ceil(1 + follow_days)), 3, len(FUNNEL_DAY_FIELDS))


def test_identities_hold_on_media_hotline():
    _check_identities(run(media_hotline(), "core", 2, records=False))


# ---- common random numbers ------------------------------------------------------------------

def _crn_scenario(policy):
    s = poisson_funnel()
    s["horizon"] = 2 * 3600.0
    s["call_types"][0]["arrivals"]["rate"] = 0.08
    s["agents"] = [{"name": "team", "serves": ["sales"], "members": [
        {"id": f"a{i}", "conversion": 0.15 + 0.05 * (i % 6)} for i in range(14)]}]
    s["funnel"]["wait_curve"] = [[0, 1.0], [120, 0.7]]
    s["routing"] = {"agent_selection": policy}
    return compile_scenario(validate_scenario(s))


def test_same_caller_same_propensity_under_two_policies():
    """Every caller's order is u(id) < p(agent, wait) with the same u(id) under both policies:
    the orders predicted from the call records and the propensity stream are the orders counted."""
    for policy in ("longest_idle", "best_conversion"):
        model = _crn_scenario(policy)
        stats = ENGINES["core"](model, 11, call_records=True)
        seed = stream_seeds(model, 11)[model.stream_base["propensity"]]
        u = np.random.Generator(np.random.PCG64(seed)).random(int(stats.call_records["id"].max()) + 1)
        twin = Funnel(model, [], [])
        answered = stats.call_records[stats.call_records["outcome"] == 0]
        predicted = sum(u[r["id"]] < twin.probability(0, int(r["agent"]), -1, float(r["wait"])) for r in answered)
        assert predicted == stats.total_calls[0, CALL_FIELDS.index("orders")], policy


def test_common_random_numbers_reduce_the_variance_of_revenue_differences():
    a, b = _crn_scenario("longest_idle"), _crn_scenario("best_conversion")
    field = FUNNEL_FIELDS.index("order_value")
    rev_a = np.array([ENGINES["core"](a, seed).funnel_types[0, field] for seed in range(40)])
    rev_b = np.array([ENGINES["core"](b, seed).funnel_types[0, field] for seed in range(40)])
    ratio = (rev_a.var(ddof=1) + rev_b.var(ddof=1)) / (rev_a - rev_b).var(ddof=1)
    assert ratio > 1.0, f"variance ratio Var(A) + Var(B) / Var(A - B) = {ratio:.2f} (CRN, 40 replications)"
    print(f"CRN variance ratio on order value: {ratio:.2f}")


# ---- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("change, path, words", [
    ({"call_types": {"sales": {"conversion": 1.2, "order_value": exp(1)}}}, "funnel.call_types.sales.conversion",
     "less than or equal to 1"),
    ({"call_types": {"nope": {"conversion": 0.2, "order_value": exp(1)}}}, "funnel.call_types.nope", "not defined"),
    ({"channels": {"radio": 1.0}}, "funnel.channels.radio", "not a media channel"),
    ({"channels": {"tv": -1.0}}, "funnel.channels.tv", "greater than or equal to 0"),
    ({"delivery": {"sign_for": 0.8, "by_channel": {"radio": 0.9}}}, "funnel.delivery.by_channel.radio",
     "not a media channel"),
    ({"delivery": {"sign_for": -0.1}}, "funnel.delivery.sign_for", "greater than or equal to 0"),
    ({"verification": {"confirm": 0.8, "cancel": 0.3}}, "funnel.verification.confirm", "more than 1"),
    ({"delivery": {"regions": [{"name": "n", "share": 0.5}, {"name": "s", "share": 0.4}]}},
     "funnel.delivery.regions", "add up to 0.9"),
    ({"wait_curve": [[0, 1.0], [60, 0.9], [30, 0.8]]}, "funnel.wait_curve[2][0]", "waits must increase"),
    ({"wait_curve": [[-5, 1.0]]}, "funnel.wait_curve[0][0]", "expected 0"),
    ({"follow_days": -1}, "funnel.follow_days", "greater than or equal to 0"),
    ({"verification": {"max_attempts": 0}}, "funnel.verification.max_attempts", "greater than or equal to 1"),
])
def test_bad_funnel_refused_with_its_path(change, path, words):
    assert_refused(with_funnel(FULL, **change), path, words)


def test_conversion_shows_per_interval():
    """The docs promised per-interval conversion (orders by the interval of the call's arrival);
    no table had it. intervals() and intervals(by="call_type") carry orders, order_value and
    conversion = orders / answered calls of the call types with a funnel; their post-warm-up
    totals are the money KPIs'; a call type without a funnel has no conversion (NaN)."""
    import ccsim
    from ccsim.money import selling_types

    result = ccsim.simulate(FULL, seed=3)
    frame = result.intervals()
    after = frame[~frame["warmup"]]
    money = result.money()
    assert after["orders"].sum() == money["orders"] > 0
    by_type = result.intervals(by="call_type")
    sells = dict(zip(result.model.call_type_names, selling_types(result)))
    rows = by_type[~by_type["warmup"]]
    sales_answered = rows[rows["call_type"].map(sells)]["answered"].sum()
    assert sales_answered == money["sales_answered"]
    assert after["orders"].sum() / sales_answered == pytest.approx(money["conversion"])
    selling = by_type["call_type"].map(sells)
    np.testing.assert_allclose(by_type.loc[selling, "conversion"],
                               by_type.loc[selling, "orders"] / by_type.loc[selling, "answered"])
    assert by_type.loc[~selling, "conversion"].isna().all() and (~selling).any()
    assert "conversion" not in ccsim.simulate({k: v for k, v in FULL.items() if k != "funnel"}, seed=3).intervals()
