"""A check's verdicts for people and CI systems: a JUnit XML report and a Markdown table."""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from ..report_table import format_difference, format_interval, format_value
from .expressions import FRACTIONS, SIGNED
from .sequential import FAIL, PASS, UNDECIDED

MARK = {PASS: "✅ pass", FAIL: "❌ fail", UNDECIDED: "⚠️ undecided"}


def estimate_text(outcome) -> str:
    """'0.9651 [0.9625, 0.9677]' in the KPI's units, or 'n/a'. The interval is shown within the
    KPI's range: a fraction's within [0, 1], a count's, time's or money's (profit aside) from 0
    (a t interval near 0 % or 100 % reaches beyond; the verdict, decided on the interval itself,
    is the same, since a target lies in the KPI's range)."""
    kpi = outcome.expectation.kpi
    if not math.isfinite(outcome.mean):
        return "n/a"
    if outcome.expectation.comparison:
        return f"{format_difference(kpi, outcome.mean)} {format_interval(kpi, outcome.low, outcome.high)}"
    if not math.isfinite(outcome.low):
        return format_value(kpi, outcome.mean)
    low, high = outcome.low, outcome.high
    if kpi not in SIGNED:
        low = max(low, 0.0)
    if kpi in FRACTIONS:
        high = min(high, 1.0)
    return f"{format_value(kpi, outcome.mean)} [{format_value(kpi, low)}, {format_value(kpi, high)}]"


def explanation(outcome) -> str:
    """One sentence: the verdict, the estimate, its interval and what decided it."""
    e = outcome.expectation
    what = "new - baseline" if e.comparison else outcome.label
    level = f"{100 * outcome.level:.4g} %"
    base = (f"{what} = {estimate_text(outcome)} ({level} CI, {outcome.reps} replications); "
            f"target {e.op} {e.target:g}")
    if outcome.verdict == PASS:
        return base + ": the interval lies on the promised side of the target"
    if outcome.verdict == FAIL:
        return base + ": the interval lies on the wrong side of the target"
    empty = [label for label, d in outcome.parts if d.reps == 0]
    if empty and len(empty) == len(outcome.parts):
        return base + ": no interval of the window had a value in any replication (nobody called)"
    return base + ": the interval still contains the target when the replication budget ran out"


def junit_xml(report) -> str:
    """One testsuite, one testcase per expectation; failure / skipped (undecided) carry the estimate and CI."""
    counts = report.counts()
    suite = ET.Element("testsuite", name=f"ccsim check {report.scenario}", tests=str(len(report.outcomes)),
                       failures=str(counts[FAIL]), skipped=str(counts[UNDECIDED]), errors="0")
    props = ET.SubElement(suite, "properties")
    for name, value in (("alpha", report.alpha), ("seed", report.seed), ("replications", report.reps),
                        ("engine", report.engine), ("baseline", report.baseline or "")):
        ET.SubElement(props, "property", name=name, value=str(value))
    for outcome in report.outcomes:
        case = ET.SubElement(suite, "testcase", classname=f"ccsim.check.{_safe(report.scenario)}",
                             name=outcome.expectation.text)
        text = explanation(outcome)
        if outcome.verdict == FAIL:
            ET.SubElement(case, "failure", message=text, type="KPI target not met").text = _details(outcome)
        elif outcome.verdict == UNDECIDED:
            ET.SubElement(case, "skipped", message="undecided: " + text)
        else:
            ET.SubElement(case, "system-out").text = text
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"


def markdown(report) -> str:
    """A summary for a pull-request comment: the overall verdict and a table of expectations."""
    counts = report.counts()
    against = f" against baseline {_code(report.baseline)}" if report.baseline else ""
    lines = [
        f"### ccsim check: {_code(report.scenario)}{against} — {MARK[report.verdict]}",
        "",
        f"{counts[PASS]} passed, {counts[FAIL]} failed, {counts[UNDECIDED]} undecided; "
        f"{report.reps} replications (seed {report.seed}, engine {report.engine}). "
        f"The chance that any verdict is wrong is at most {report.alpha:g}.",
        "",
        "| expectation | verdict | estimate [CI] | replications |",
        "|---|---|---|---:|",
    ]
    for o in report.outcomes:
        where = f" (worst: {o.label})" if o.parts else ""
        lines.append(f"| {_cell(_code(o.expectation.text))} | {MARK[o.verdict]} | {_cell(estimate_text(o))}{_cell(where)} "
                     f"| {o.reps} |")
    return "\n".join(lines) + "\n"


def _details(outcome) -> str:
    if not outcome.parts:
        return explanation(outcome)
    wrong = [f"{label}: {d.verdict}, {d.mean:.4g} [{d.low:.4g}, {d.high:.4g}]" if d.reps else
             f"{label}: no calls in any replication (left out)" for label, d in outcome.parts if d.verdict != PASS]
    return explanation(outcome) + "\n" + "\n".join(wrong)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(text) -> str:
    """``text`` as one Markdown code span, whatever it holds (a scenario's name is any text): one
    line (line breaks shown as ⏎, so a name cannot start a heading or a table row of its own),
    fenced by more backticks than its longest run, so it cannot close the span early; inside a
    code span nothing is markup or HTML (CommonMark)."""
    text = str(text).replace("\r\n", "⏎").replace("\n", "⏎").replace("\r", "⏎")
    longest, current = 0, 0
    for char in text:
        current = current + 1 if char == "`" else 0
        longest = max(longest, current)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in name)


__all__ = ["estimate_text", "explanation", "junit_xml", "markdown"]
