"""Reading expectations: the grammar, scopes, windows, and clear errors for bad ones."""
import pytest

from ccsim.check.expressions import ExpectationError, parse_expectation
from ccsim.errors import UserError


def test_total_target():
    e = parse_expectation("service_level >= 0.80")
    assert (e.kpi, e.op, e.target, e.call_type, e.team, e.window, e.comparison) == \
        ("service_level", ">=", 0.8, None, None, None, False)
    assert e.higher_passes


def test_call_type_team_percent_and_window():
    e = parse_expectation("abandon_rate[sales]<=5%")
    assert (e.kpi, e.call_type, e.op, e.target) == ("abandon_rate", "sales", "<=", 0.05)
    e = parse_expectation("occupancy[team=A] < 0.9")
    assert (e.team, e.op, e.subject) == ("A", "<", "occupancy[team=A]")
    e = parse_expectation("service_level >= 0.8 every interval 09:00-21:00")
    assert e.window == (9 * 3600.0, 21 * 3600.0)
    assert parse_expectation("asa <= 20 every interval 00:00-24:00").window == (0.0, 86400.0)


def test_baseline_margins_follow_the_kpi_direction():
    e = parse_expectation("service_level: no worse than -0.01")
    assert (e.comparison, e.op, e.target) == (True, ">=", -0.01)
    e = parse_expectation("abandon_rate: no worse than 0.005")
    assert (e.op, e.target) == ("<=", 0.005)
    e = parse_expectation("asa[sales]: no worse than +2")
    assert (e.call_type, e.op, e.target) == ("sales", "<=", 2.0)


@pytest.mark.parametrize("text, words", [
    ("nps >= 3", ["unknown KPI 'nps'", "service_level", "abandon_rate"]),
    ("service_level >= 80", ["fraction between 0 and 1", "outside its range", "0.8"]),
    ("abandon_rate <= -0.1", ["outside its range"]),
    ("asa <= -1", ["never negative"]),
    ("service_level >= ", ["not of the form"]),
    ("service_level >> 0.8", ["not of the form"]),
    ("service_level >= high", ["'high' is not a number"]),
    ("service_level == 0.8", ["'=='", "cannot be decided"]),
    ("service_level[] >= 0.8", ["brackets are empty"]),
    ("service_level[group=A] >= 0.8", ["neither [CALL_TYPE] nor [team=NAME]"]),
    ("service_level[team=A] >= 0.8", ["unknown KPI 'service_level' for a team", "occupancy"]),
    ("occupancy[sales] <= 0.9", ["unknown KPI 'occupancy' for a call type"]),
    ("service_level >= 0.8 every interval 21:00-09:00", ["ends before it starts"]),
    ("service_level >= 0.8 every interval 9-21", ["'9' is not a time of day HH:MM"]),
    ("service_level >= 0.8 every interval 0900", ["HH:MM-HH:MM"]),
    ("service_level >= 0.8 every interval 09:00-25:00", ["'25:00' is not a time of day"]),
    ("occupancy: no worse than 0.01", ["no better direction"]),
    ("service_level: no worse than +0.01", ["write -0.01"]),
    ("abandon_rate: no worse than -0.01", ["write +0.01"]),
    ("", ["empty"]),
])
def test_bad_expectations_are_user_errors_naming_the_problem(text, words):
    with pytest.raises(ExpectationError) as info:
        parse_expectation(text, where="--expect #2")
    message = str(info.value)
    assert isinstance(info.value, UserError)
    assert message.startswith("--expect #2: the expectation")
    for word in words:
        assert word in message, (word, message)


def test_every_checkable_kpi_has_the_comparisons_direction():
    """'no worse than' judges a KPI as a comparison's verdict does: every KPI an expectation may
    name is in ccsim.experiment.analysis.HIGHER_IS_BETTER (None: no direction), one table."""
    from ccsim.check import expressions
    from ccsim.experiment.analysis import HIGHER_IS_BETTER

    names = set(expressions.CENTER_KPIS + expressions.CHANNEL_KPIS + expressions.TEAM_KPIS)
    assert not names - set(HIGHER_IS_BETTER), sorted(names - set(HIGHER_IS_BETTER))
    assert expressions.HIGHER_IS_BETTER == {k: HIGHER_IS_BETTER[k] for k in names if HIGHER_IS_BETTER[k] is not None}
    assert parse_expectation("roas[channel=tv]: no worse than -0.1").kpi == "roas"


@pytest.mark.parametrize("text, mean, low, high, shown", [
    ("abandon_rate <= 0.05", 0.0161, -0.0018, 0.0341, "1.61 % [0.00 %, 3.41 %]"),
    ("service_level >= 0.8", 0.9047, 0.7360, 1.0733, "90.47 % [73.60 %, 100.00 %]"),
    ("service_level >= 0.8", 0.9047, 0.8360, 0.9733, "90.47 % [83.60 %, 97.33 %]"),  # inside: as it is
    ("asa <= 20", 1.5, -0.4, 3.4, "1.50 s [0.00 s, 3.40 s]"),  # a time is never negative
    ("profit >= 0", -5.0, -12.0, 2.0, "-5 [-12, 2]"),  # profit may be negative
])
def test_an_interval_is_shown_within_the_kpis_range(text, mean, low, high, shown):
    """A t interval of a rate near 0 % or 100 % reaches beyond [0, 1]; the report shows it within."""
    from ccsim.check.reports import estimate_text
    from ccsim.check.runner import Outcome

    outcome = Outcome(parse_expectation(text), "undecided", mean, low, high, 10, 0.99, "x")
    assert estimate_text(outcome) == shown


def test_a_huge_expectation_is_not_echoed_whole():
    """A 100,000-character KPI name was echoed in full (twice: the text and the unknown KPI)."""
    with pytest.raises(ExpectationError) as caught:
        parse_expectation("x" * 100_000 + " >= 1")
    assert len(str(caught.value)) < 2_500 and "(100,005 characters)" in str(caught.value)
