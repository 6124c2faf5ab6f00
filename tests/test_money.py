"""The money side of the sales funnel: costs, KPIs, ROI per channel and airing, reports.

Costs against hand computation on a small scenario (staffed hours of always-on agents, line
minutes from the call records plus a deterministic menu, the airings' spend); the KPI formulas
on funnel statistics constructed to respect the contract's identities (until the engines fill
them); per-channel, per-airing, per-agent and per-day tables adding up to the totals; the CI
path across replications; ``ccsim check --expect 'roi >= X'`` deciding pass and fail; bad
``costs:`` refused with the field's path.
"""
import copy
import math
import json

import numpy as np
import pytest
from click.testing import CliRunner
from engine_checks import assert_refused

import ccsim
from ccsim import money
from ccsim.results import FUNNEL_DAY_FIELDS, FUNNEL_FIELDS

COSTS = {"agent_hour": 20, "by_group": {"B": 30}, "telecom_minute": 0.05, "fulfilment_per_order": 3,
         "shipping_per_order": 5, "return_per_order": 4}
AIRINGS = [{"time": 1000, "channel": "tv", "spend": 5000}, {"time": 40000, "channel": "web", "spend": 3000},
           {"time": 90000, "channel": "tv", "spend": 4000}]
SHOP = {
    "name": "shop", "horizon": 2 * 86400.0, "warmup": 0, "interval": 1800,
    "entries": [{"name": "hotline", "arrivals": {"process": "poisson", "rate": 0.004}, "ivr": "menu"}],
    "ivr": [{"name": "menu", "nodes": [{"name": "hello", "duration": {"dist": "deterministic", "value": 12},
                                        "branches": [{"p": 1.0, "queue": "sales"}]}]}],
    "call_types": [
        {"name": "sales", "arrivals": {"process": "poisson", "rate": 0.006},
         "handle_time": {"dist": "exponential", "mean": 180}, "patience": {"dist": "exponential", "mean": 120}},
        {"name": "service", "arrivals": {"process": "poisson", "rate": 0.003},
         "handle_time": {"dist": "exponential", "mean": 240}, "patience": {"dist": "exponential", "mean": 120}}],
    "agents": [{"name": "A", "count": 2, "serves": ["sales"]}, {"name": "B", "count": 1, "serves": ["sales", "service"]}],
    "media": {"channels": [
        {"name": "tv", "entry": "hotline", "calls_per_unit": 0.01, "response": {"kind": "spike", "decay": 600}},
        {"name": "web", "call_type": "sales", "calls_per_unit": 0.02, "response": {"kind": "spike", "decay": 300}}],
        "airings": AIRINGS},
    "costs": COSTS,
}
F = {name: i for i, name in enumerate(FUNNEL_FIELDS)}
D = {name: i for i, name in enumerate(FUNNEL_DAY_FIELDS)}
VALUE, CROSS_VALUE = 120.0, 30.0  # each order's product value, each cross-sell's


def funnel_row(rng, sales_answered: int) -> np.ndarray:
    """One row of FUNNEL_FIELDS drawn so that the contract's identities hold."""
    row = np.zeros(len(FUNNEL_FIELDS))
    orders = rng.binomial(sales_answered, 0.35)
    cross = rng.binomial(orders, 0.25)
    verified, by_customer, unreached, pending = rng.multinomial(orders, [0.7, 0.1, 0.1, 0.1])
    shipped, awaiting = rng.multinomial(verified, [0.9, 0.1])
    signed, refused, in_transit = rng.multinomial(shipped, [0.75, 0.15, 0.1])
    collected, settling = rng.multinomial(signed, [0.8, 0.2])
    parcel = VALUE + CROSS_VALUE * cross / max(orders, 1)  # mean parcel value
    row[[F["sales_answered"], F["orders"], F["cross_sells"], F["verified"], F["cancelled_by_customer"],
         F["cancelled_unreached"], F["pending_verification"], F["shipped"], F["awaiting_shipment"], F["signed"],
         F["refused"], F["in_transit"], F["collected"], F["awaiting_settlement"]]] = (
        sales_answered, orders, cross, verified, by_customer, unreached, pending, shipped, awaiting, signed,
        refused, in_transit, collected, settling)
    row[F["order_value"]], row[F["cross_sell_value"]] = VALUE * orders, CROSS_VALUE * cross
    row[F["verification_attempts"]] = orders + rng.integers(0, orders + 1)
    for count, value in (("shipped", "shipped_value"), ("signed", "signed_value"), ("refused", "refused_value"),
                         ("collected", "collected_value")):
        row[F[value]] = parcel * row[F[count]]
    row[F["returned"]] = rng.binomial(refused, 0.5)
    return row


def with_funnel(result, seed=0):
    """``result`` with funnel statistics constructed cell by cell (agent x source of the call:
    organic or an airing), every table the sum of the cells, as an engine fills them."""
    rng = np.random.default_rng(seed)
    m, s = result.model, result.stats
    sources = 1 + len(m.airing_time)
    answered = s.agent_types[:, m.call_type_names.index("sales")].astype(int)
    cells = np.zeros((m.n_agents, sources, len(FUNNEL_FIELDS)))
    for a in range(m.n_agents):
        for src, n in enumerate(rng.multinomial(answered[a], np.full(sources, 1.0 / sources))):
            cells[a, src] = funnel_row(rng, n)
    s.funnel_agents = cells.sum(axis=1)
    s.funnel_airings = cells[:, 1:].sum(axis=0)
    s.funnel_channels = np.zeros((1 + m.n_channels, len(FUNNEL_FIELDS)))
    s.funnel_channels[0] = cells[:, 0].sum(axis=0)
    np.add.at(s.funnel_channels, 1 + np.asarray(m.airing_channel), s.funnel_airings)
    s.funnel_types = np.zeros((m.n_types, len(FUNNEL_FIELDS)))
    s.funnel_types[m.call_type_names.index("sales")] = cells.sum(axis=(0, 1))
    s.funnel_days = spread_over_days(rng, s.funnel_channels, days=5)
    result._kpis = None
    return result


def spread_over_days(rng, channels, days):
    """[day, channel, FUNNEL_DAY_FIELDS]: each channel's totals spread over the days at random."""
    out = np.zeros((days, len(channels), len(FUNNEL_DAY_FIELDS)))
    totals = {"orders": "orders", "verified": "verified", "shipped": "shipped", "signed": "signed",
              "refused": "refused", "collected": "collected", "returned": "returned"}
    for c, row in enumerate(channels):
        for day_field, field in totals.items():
            out[:, c, D[day_field]] = rng.multinomial(int(row[F[field]]), np.full(days, 1.0 / days))
        out[:, c, D["cancelled"]] = rng.multinomial(int(row[F["cancelled_by_customer"]] + row[F["cancelled_unreached"]]),
                                                    np.full(days, 1.0 / days))
        for day_field, field in (("gross_value", None), ("shipped_value", "shipped_value"),
                                 ("collected_value", "collected_value")):
            total = row[F["order_value"]] + row[F["cross_sell_value"]] if field is None else row[F[field]]
            out[:, c, D[day_field]] = total * rng.dirichlet(np.ones(days))
    return out


@pytest.fixture(scope="module")
def shop():
    return ccsim.simulate(SHOP, seed=3, call_records=True)


@pytest.fixture(scope="module")
def sold(shop):
    return with_funnel(copy.deepcopy(shop))


def test_costs_against_hand_computation(shop):
    costs = shop.costs()
    hours = SHOP["horizon"] / 3600.0  # always on duty, no warm-up
    assert costs["agent_hours"] == pytest.approx(3 * hours)
    assert costs["agents"] == pytest.approx(2 * hours * 20 + 1 * hours * 30)
    calls = shop.calls()
    talking = calls[calls["outcome"].isin(["answered", "abandoned"])]
    routed = (calls["source"] == "hotline").sum()  # each spent the menu's 12 s (no patience, no lines)
    line = talking["wait"].sum() + talking["talk"].sum() + 12.0 * routed
    assert costs["line_minutes"] == pytest.approx(line / 60.0)
    assert costs["telecom"] == pytest.approx(line / 60.0 * 0.05)
    assert costs["ads"] == sum(a["spend"] for a in AIRINGS)
    assert costs["fulfilment"] == costs["shipping"] == costs["returns"] == 0.0  # no funnel in this run
    assert costs["total"] == pytest.approx(sum(costs[k] for k in money.COST_ITEMS))


def test_spend_before_the_warm_up_is_not_counted():
    result = ccsim.simulate({**SHOP, "warmup": 3600.0}, seed=1)
    assert result.costs()["ads"] == 7000.0
    assert result.costs()["agent_hours"] == pytest.approx(3 * (SHOP["horizon"] - 3600.0) / 3600.0)
    assert list(result.funnel(by="airing")["spend"]) == [0.0, 3000.0, 4000.0]


def test_kpi_formulas_on_a_constructed_funnel(sold):
    t = sold.stats.funnel_types.sum(axis=0)
    assert t[F["orders"]] == t[F["verified"]] + t[F["cancelled_by_customer"]] + t[F["cancelled_unreached"]] \
        + t[F["pending_verification"]]  # the constructed statistics respect the contract
    k, c = sold.money(), sold.costs()
    assert k["conversion"] == pytest.approx(t[F["orders"]] / t[F["sales_answered"]])
    assert k["cross_sell_rate"] == pytest.approx(t[F["cross_sells"]] / t[F["orders"]])
    assert k["verification_rate"] == pytest.approx(t[F["verified"]] / t[F["orders"]])
    assert k["sign_for_rate"] == pytest.approx(t[F["signed"]] / t[F["shipped"]])
    assert k["gross_sales"] == pytest.approx(VALUE * t[F["orders"]] + CROSS_VALUE * t[F["cross_sells"]])
    assert k["collected_revenue"] == pytest.approx(t[F["collected_value"]])
    assert c["fulfilment"] == 3 * t[F["shipped"]] and c["shipping"] == 5 * t[F["shipped"]]
    assert c["returns"] == 4 * t[F["refused"]]
    assert k["total_cost"] == pytest.approx(c["total"])
    assert k["cost_per_order"] == pytest.approx(c["total"] / t[F["orders"]])
    assert k["revenue_per_agent_hour"] == pytest.approx(t[F["collected_value"]] / c["agent_hours"])
    assert k["roi"] == pytest.approx(t[F["collected_value"]] / (c["ads"] + c["agents"] + c["telecom"]))
    assert c["total"] > c["ads"] + c["agents"] + c["telecom"]  # fulfilment, shipping, returns: not in roi
    assert k["profit"] == pytest.approx(t[F["collected_value"]] - c["total"])
    calls = dict(zip(ccsim.results.CALL_FIELDS, sold.stats.total_calls[0]))  # sales: the only funnel type
    lost = calls["abandoned"] + calls["blocked"]
    assert k["lost_sales_calls"] == lost
    assert k["lost_revenue"] == pytest.approx(lost * k["conversion"] * k["gross_sales"] / k["orders"])
    assert {n: sold.kpis()[n] for n in money.MONEY_KPI_NAMES} == pytest.approx(k, nan_ok=True)


def test_channel_and_airing_tables_add_up_to_the_totals(sold):
    k = sold.money()
    channels, airings = sold.funnel(by="channel"), sold.funnel(by="airing")
    for column in ("orders", "gross_sales", "collected_revenue"):
        assert channels[column].sum() == pytest.approx(k[column])
        for name in ("tv", "web"):
            assert airings[airings["channel"] == name][column].sum() == pytest.approx(channels.loc[name, column])
    assert channels["spend"].sum() == pytest.approx(sold.costs()["ads"])
    assert channels.loc["tv", "spend"] == 9000.0
    assert channels.loc["tv", "roas"] == pytest.approx(channels.loc["tv", "collected_revenue"] / 9000.0)
    assert np.isnan(channels.loc["organic", "roas"])
    assert channels["callers"].sum() == sold.stats.callers[:, 0].sum()  # every caller once


def test_agent_and_team_tables_add_up(sold):
    agents, teams = sold.funnel(by="agent"), sold.funnel(by="team")
    assert agents["orders"].sum() == sold.money()["orders"]
    assert agents["cost"].sum() == pytest.approx(sold.costs()["agents"])
    assert list(teams.index) == ["A", "B"] and list(teams["agents"]) == [2, 1]
    assert teams.loc["A", "orders"] == agents[agents["team"] == "A"]["orders"].sum()
    assert teams.loc["B", "conversion"] == pytest.approx(teams.loc["B", "orders"] / teams.loc["B", "sales_answered"])


def test_days_add_up_to_the_totals(sold):
    days, weeks = sold.funnel(by="day"), sold.funnel(by="week")
    assert len(days) == 5 and len(weeks) == 1
    assert days["cost"].sum() == pytest.approx(sold.costs()["total"])
    for item in money.COST_ITEMS:
        assert days[f"cost_{item}"].sum() == pytest.approx(sold.costs()[item])
    assert days["cum_revenue"].iloc[-1] == pytest.approx(sold.money()["collected_revenue"])
    assert weeks["cum_cost"].iloc[-1] == pytest.approx(days["cum_cost"].iloc[-1])
    assert days["orders"].sum() == sold.money()["orders"]


def test_confidence_intervals_across_replications(shop):
    results = [with_funnel(copy.deepcopy(shop), seed=i) for i in range(8)]
    summary = money.money_summary(results)
    rois = [r.money()["roi"] for r in results]
    assert summary["roi"]["mean"] == pytest.approx(np.mean(rois))
    half = 2.365 * np.std(rois, ddof=1) / np.sqrt(8)  # Student t, 7 degrees of freedom
    assert summary["roi"]["ci_halfwidth"] == pytest.approx(half, rel=1e-3)
    assert summary["cost_agents"]["ci_halfwidth"] == pytest.approx(0.0, abs=1e-9)  # one run: same staffing
    mean, hw = money.mean_frames([r.funnel(by="channel") for r in results])
    assert mean.loc["tv", "orders"] == pytest.approx(np.mean([r.funnel(by="channel").loc["tv", "orders"]
                                                              for r in results]))
    assert hw.loc["tv", "orders"] > 0
    assert np.isnan(money.money_summary(results[:1])["roi"]["ci_halfwidth"])


@pytest.mark.parametrize("by", ["channel", "airing", "agent", "team", "day", "week"])
def test_the_money_report_rows_are_the_dataframes_averaged(shop, by):
    """``money_report`` reads numpy ``Table``s (no pandas in ``ccsim run``): its rows are, to the
    bit, the DataFrames of ``Result.funnel`` averaged by ``mean_frames``."""
    results = [with_funnel(copy.deepcopy(shop), seed=i) for i in range(9)]  # 9: numpy's sums unroll by 8
    rows_of = {"channel": money.channel_rows, "airing": money.airing_rows, "agent": money.agent_rows,
               "team": money.team_rows, "day": money.day_rows, "week": lambda r: money.day_rows(r, week=True)}[by]
    for reps in (results[:1], results):
        tables = [rows_of(r) for r in reps]
        rows = money.mean_rows(tables, "key")
        mean, hw = money.mean_frames([r.funnel(by=by) for r in reps])
        assert [row["key"] for row in rows] == list(mean.index)
        for row, (label, means), (_, halves) in zip(rows, mean.iterrows(), hw.iterrows()):
            for column, value in means.items():
                cell = row[column]
                if isinstance(cell, dict):
                    assert np.array([cell["mean"], cell["ci_halfwidth"]]).tobytes() == \
                        np.array([value, halves[column]], dtype=float).tobytes(), (label, column)
                else:
                    assert cell == value, (label, column)


def test_grouped_sum_sums_each_group_skipping_nan():
    """The team and week sums: each group's values summed (against math.fsum), NaN skipped as
    a pandas groupby sum skips it, an infinity kept, empty groups 0, any order of the rows."""
    rng = np.random.default_rng(7)
    for trial in range(200):
        n = int(rng.integers(1, 80))
        values = rng.standard_normal(n) * 10.0 ** rng.integers(0, 6, n)
        ids = rng.integers(0, 5, n)
        if trial % 3 == 1:
            values[rng.integers(0, n)] = np.nan
        got = money.grouped_sum(values, ids, 6)
        for g in range(6):
            want = math.fsum(v for v, i in zip(values, ids) if i == g and not np.isnan(v))
            assert got[g] == pytest.approx(want, rel=1e-12, abs=1e-9), (trial, g)
    assert money.grouped_sum(np.array([1.0, np.inf, np.nan, 2.0]), np.array([0, 0, 1, 1]), 3).tolist() == \
        [np.inf, 2.0, 0.0]
    assert money.grouped_sum(np.array([]), np.array([], dtype=int), 2).tolist() == [0.0, 0.0]


def test_no_costs_and_no_funnel_keep_kpis_as_before():
    plain = {k: v for k, v in SHOP.items() if k != "costs"}
    result = ccsim.simulate(plain, seed=1)
    assert "roi" not in result.kpis()
    assert result.costs()["total"] == 7000.0 + 5000.0  # the ads are still money spent
    with pytest.raises(ccsim.results.ArgumentError, match="by must be one of"):
        result.funnel(by="month")


@pytest.mark.parametrize("costs, path, words", [
    ({"agent_hour": -1}, "costs.agent_hour", "greater than or equal to 0"),
    ({"by_group": {"A": -5}}, "costs.by_group.A", "greater than or equal to 0"),
    ({"by_group": {"Z": 5}}, "costs.by_group.Z", "agent group 'Z', which is not defined"),
    ({"telecom_minute": float("nan")}, "costs.telecom_minute", "finite"),
    ({"shipping_per_order": "5"}, "costs.shipping_per_order", "number"),
    ({"return_per_order": -0.5}, "costs.return_per_order", "greater than or equal to 0"),
    ({"per_call": 1}, "costs.per_call", "unknown key"),
])
def test_bad_costs_are_refused_with_the_field_path(costs, path, words):
    assert_refused({**SHOP, "costs": costs}, path, words)


def check_with(scenario_file, *expect):
    from ccsim.cli import cli as main

    args = ["check", str(scenario_file), "--max-reps", "4", "--min-reps", "2"]
    for e in expect:
        args += ["--expect", e]
    return CliRunner().invoke(main, args)


def test_check_refuses_a_funnel_kpi_without_a_funnel(tmp_path):
    """Without a funnel (revenue 0) the ROI is 0 in every replication: no sample can weigh a
    constant without a bound above (roi >= 3 stayed undecided), and it is 0 by construction:
    refused (exit 2), as without costs either; total_cost is decided."""
    import yaml

    path = tmp_path / "shop.yaml"
    path.write_text(yaml.safe_dump(SHOP))
    for kpi in ("roi >= 3", "collected_revenue <= 5", "orders >= 1"):
        refused = check_with(path, kpi)
        assert refused.exit_code == 2 and "costs but no sales funnel" in refused.output, refused.output
    passing = check_with(path, "total_cost > 0")
    assert passing.exit_code == 0, passing.output
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump({k: v for k, v in SHOP.items() if k != "costs"}))
    refused = check_with(plain, "roi >= 3")
    assert refused.exit_code == 2 and "neither a sales funnel" in refused.output


def test_check_measure_reads_the_money_of_a_constructed_result(sold):
    from ccsim.check.expressions import parse_expectation
    from ccsim.check.measures import Measure

    roi = sold.money()["roi"]  # its funnel counts are filled by hand: its scenario has none (no check of it)
    measure = Measure(parse_expectation(f"roi >= {roi:.6f}"), sold.model, scenario=None)
    assert measure.values(sold)[0] == pytest.approx(roi)
    tv = Measure(parse_expectation("roas[channel=tv] >= 1"), sold.model, scenario=None)
    assert tv.values(sold)[0] == pytest.approx(sold.funnel(by="channel").loc["tv", "roas"])


def test_json_of_a_run_has_the_money(tmp_path):
    import yaml

    from ccsim.cli import cli as main

    path = tmp_path / "shop.yaml"
    path.write_text(yaml.safe_dump(SHOP))
    out = CliRunner().invoke(main, ["run", str(path), "--reps", "2", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["money"]["kpis"]["total_cost"]["mean"] > 12000
    # the cost items, the total and the hours and minutes they price; not the KPI cost_per_order
    assert set(data["money"]["costs"]) == {*money.COST_ITEMS, "total", "agent_hours", "line_minutes"}
    items = sum(data["money"]["costs"][k]["mean"] for k in money.COST_ITEMS)
    assert items == pytest.approx(data["money"]["costs"]["total"]["mean"])
    assert [row["channel"] for row in data["money"]["channels"]] == ["organic", "tv", "web"]


@pytest.fixture(scope="module")
def money_page(shop, tmp_path_factory):
    """The HTML report of three replications with constructed funnels (``ccsim run --html``'s path)."""
    from ccsim.cli.run import write_run_report

    results = [with_funnel(copy.deepcopy(shop), seed=i) for i in range(3)]
    path = tmp_path_factory.mktemp("money") / "shop.html"
    write_run_report(path, shop.scenario, "shop.yaml", results, seed=3, engine="core")
    return results, path


def _traces(path) -> dict:
    from test_report import _traces as parse

    return parse(path)


def test_report_draws_the_funnel_and_the_cumulative_money(money_page):
    results, path = money_page
    charts = _traces(path)
    funnel = charts["chart-money-funnel"][0]
    stages = ("sales_answered", "orders", "verified", "shipped", "signed", "collected")
    means = [np.mean([r.stats.funnel_types[:, F[s]].sum() for r in results]) for s in stages]
    assert funnel["type"] == "funnel" and funnel["x"] == pytest.approx(means)
    revenue, cost = (t for t in charts["chart-money-cumulative"] if t.get("mode") == "lines+markers")
    assert revenue["y"][-1] == pytest.approx(np.mean([r.money()["collected_revenue"] for r in results]))
    assert cost["y"][-1] == pytest.approx(np.mean([r.costs()["total"] for r in results]))
    text = path.read_text(encoding="utf-8")
    for piece in ('id="money"', "ROI per channel", "ROI per airing", "money-agents", "ROAS"):
        assert piece in text


def test_report_of_a_run_without_money_has_no_money_section(shop, tmp_path):
    from ccsim.cli.run import write_run_report

    plain = ccsim.simulate({k: v for k, v in SHOP.items() if k != "costs"}, seed=1)
    write_run_report(tmp_path / "plain.html", plain.scenario, "plain.yaml", [plain], seed=1, engine="core")
    assert 'id="money"' not in (tmp_path / "plain.html").read_text(encoding="utf-8")


@pytest.mark.browser
def test_money_report_renders_in_chromium(money_page, tmp_path):
    import browser

    _, path = money_page
    facts = browser.open_page(path, screenshot=tmp_path / "money.png")
    assert facts.chart_divs == facts.rendered_plots == facts.plotly_divs
    assert facts.severe == [], f"console errors: {facts.severe}"
    for name in ("chart-money-funnel", "chart-money-cumulative"):
        box = facts.boxes[name]
        assert box["width"] > 300 and box["height"] > 200 and box["visible"]


def test_agent_hours_cost_per_member_team_and_group():
    """A member's own hourly cost goes over its team's, its team's over its group's, the group's
    over agent_hour: agent cost = sum of each agent's staffed hours x its rate."""
    import ccsim
    from ccsim.results import AGENT_FIELDS

    s = {"name": "c", "horizon": 7200.0, "warmup": 600,
         "call_types": [{"name": "sales", "arrivals": {"process": "poisson", "rate": 0.02},
                         "handle_time": {"dist": "exponential", "mean": 100}}],
         "agents": [{"name": "g", "serves": ["sales"], "members": [
             {"id": "a", "team": "north", "cost_per_hour": 50}, {"id": "b", "team": "north"},
             {"id": "c", "team": "south"}]},
             {"name": "h", "count": 2, "serves": ["sales"],
              "shifts": [{"start": "00:00", "end": "01:00", "agents": 1}]}],
         "costs": {"agent_hour": 10, "by_group": {"h": 20}, "by_team": {"south": 30}}}
    r = ccsim.simulate(s, seed=1)
    hours = r.stats.agent_totals[:, AGENT_FIELDS.index("staffed")] / 3600.0
    roster = r.model.roster()
    rate = {"a": 50.0, "b": 10.0, "c": 30.0, "h-1": 20.0, "h-2": 20.0}
    assert r.costs()["agents"] == pytest.approx(sum(h * rate[i] for h, i in zip(hours, roster["id"])))
    assert hours[roster["id"].tolist().index("h-2")] == 0.0  # in no shift: costs nothing
    # the per-agent, per-team and per-day tables price each agent at its own rate too; the
    # warm-up (600 s) ends inside the first 900 s interval: its rest is in the first day
    agents = r.funnel(by="agent")
    assert agents["cost"].to_numpy() == pytest.approx(hours * np.array([rate[i] for i in agents["id"]]))
    assert r.funnel(by="team")["cost"].sum() == pytest.approx(r.costs()["agents"])
    days = r.funnel(by="day")
    for item in ("agents", "telecom"):
        assert days[f"cost_{item}"].sum() == pytest.approx(r.costs()[item])
    bad = copy.deepcopy(s)
    bad["costs"]["by_team"] = {"west": 5}
    from ccsim.scenario import ScenarioError, validate_scenario
    with pytest.raises(ScenarioError, match=r"costs\.by_team\.west"):
        validate_scenario(bad)


def test_telecom_prices_inbound_line_minutes_not_callbacks():
    """Four calls by hand (one agent, talks of 50 s): the first is answered at once, the second
    waits 40 s, the third takes the callback offered after its predicted wait (answered at
    t=100), the fourth rings while closed and leaves a voicemail (called back a week later).
    Inbound lines: 40 s waiting + 2 x 50 s talking = 140 s at 60 a minute; the two callbacks
    (50 s each) are dialled out, no inbound line, and not priced per minute (kpis.md)."""
    data = {"name": "s10", "horizon": 300, "interval": 100, "service_level": {"threshold": 20},
            "call_types": [{"name": "a", "arrivals": {"process": "replay", "times": [0, 10, 20, 150]},
                            "handle_time": {"dist": "deterministic", "value": 50},
                            "callback": {"offer_after": 60, "accept": 1.0, "answer": 1.0, "ring": 20,
                                         "target": 100000}}],
            "agents": [{"name": "A", "count": 1, "serves": ["a"]}],
            "hours": {"open": {"monday": [["00:00", "00:02"]]}, "closed": {"action": "voicemail", "duration": 30}},
            "voicemail": {"call_type": "a"}, "costs": {"telecom_minute": 60}}
    for engine in ("core", "simpy"):
        result = ccsim.simulate(data, seed=1, engine=engine)
        assert result.lost_calls()["callbacks_done"] == 2
        costs = result.costs()
        assert costs["line_minutes"] == pytest.approx(140 / 60) and costs["telecom"] == pytest.approx(140.0)
