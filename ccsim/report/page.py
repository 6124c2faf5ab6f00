"""The page template of the HTML report (Jinja2, autoescaped) and its style sheet.

Kept in a Python module rather than a data file so that every install (wheel or
editable) carries it. Every text from the user (study name, point labels, call
types, groups) is escaped by the template; only plotly's chart markup and
plotly.js are inserted as they are.
"""
from __future__ import annotations

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #222;
       background: #f6f7f9; }
main { max-width: 1360px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { margin: 8px 0 4px; font-size: 26px; }
h2 { margin: 32px 0 8px; font-size: 20px; border-bottom: 2px solid #dde1e6; padding-bottom: 4px; }
h3 { margin: 20px 0 8px; font-size: 16px; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 24px; margin: 8px 0; padding: 0; list-style: none; }
.meta li b { color: #555; font-weight: 600; margin-right: 4px; }
.note { color: #555; font-size: 13px; margin: 4px 0 8px; }
.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 12px; }
.ccsim-chart { background: #fff; border: 1px solid #e3e6ea; border-radius: 6px; padding: 4px; min-width: 0; }
.ccsim-chart.wide { grid-column: 1 / -1; }
table { border-collapse: collapse; font-size: 13px; }
.table-wrap { display: inline-block; max-width: 100%; overflow-x: auto; vertical-align: top; background: #fff;
              border: 1px solid #e3e6ea; border-radius: 6px; margin: 8px 0; }
th, td { padding: 5px 10px; border-bottom: 1px solid #eef0f2; white-space: nowrap; }
th { background: #f0f2f5; text-align: left; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.text { text-align: left; }
td.definition { white-space: normal; }
td.verdict-met { color: #1a7f37; font-weight: 600; }
td.verdict-not-met { color: #c62828; font-weight: 600; }
td.verdict-undecided { color: #8a6d00; font-weight: 600; }
.hw { display: block; color: #777; font-size: 11px; font-weight: normal; }
tbody tr:hover { background: #f7fafd; }
table.sortable th { cursor: pointer; }
table.sortable th[aria-sort]::after { content: " \\25BE"; color: #888; }
table.sortable th[aria-sort="ascending"]::after { content: " \\25B4"; }
"""

# Click a header of a table.sortable to sort its rows by that column (numbers by value, "n/a"
# last; text alphabetically); a second click reverses the order.
SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var up = th.getAttribute("aria-sort") === "descending";
      table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      var numeric = th.classList.contains("num"), body = table.tBodies[0];
      var key = function (row) {
        var cell = row.cells[col], text = cell.firstChild ? cell.firstChild.textContent : "";
        if (!numeric) return text;
        var x = parseFloat(text.replace(/[^0-9.eE+-]/g, ""));
        return isNaN(x) ? null : x;
      };
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (x === null || y === null) return x === y ? 0 : (x === null ? 1 : -1);
        var c = numeric ? x - y : String(x).localeCompare(String(y));
        return up ? c : -c;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""

# The macros every page uses: a table, a chart, a note.
MACROS = """{%- macro table(t, css_class="ccsim-table") %}
<div class="table-wrap"><table class="{{ css_class }}"><thead><tr>
{%- for label, numeric in t.headers %}<th class="{{ 'num' if numeric else 'text' }}">{{ label }}</th>{% endfor -%}
</tr></thead><tbody>
{%- for row in t.rows %}<tr>
{%- for c in row %}<td class="{{ 'num' if c.numeric else 'text' }}{{ ' ' ~ c.css if c.css }}">{{ c.text }}
{%- if c.sub %}<span class="hw">{{ c.sub }}</span>{% endif %}</td>{% endfor -%}
</tr>{% endfor -%}
</tbody></table></div>
{%- endmacro %}
{%- macro chart(c) %}<div class="ccsim-chart{{ ' wide' if c.wide }}" id="{{ c.id }}">{{ c.markup }}</div>{% endmacro %}
{%- macro note(text) %}{% if text %}<p class="note">{{ text }}</p>{% endif %}{% endmacro %}
"""

TEMPLATE = "<!DOCTYPE html>\n" + MACROS + """<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{{ css }}</style>
<script type="text/javascript">{{ plotlyjs }}</script>
</head><body><main>
<header><h1>{{ title }}</h1><ul class="meta">
{%- for key, value in meta %}<li><b>{{ key }}</b>{{ value }}</li>{% endfor -%}
</ul></header>

<section id="kpi-definitions"><h2>KPI definitions</h2>{{ note(definitions_note) }}
<div class="table-wrap"><table><tbody>
{%- for kpi, text in definitions %}<tr><td class="text"><b>{{ kpi }}</b></td><td class="definition">{{ text }}</td></tr>{% endfor -%}
</tbody></table></div></section>

<section id="kpi-summary"><h2>KPI summary</h2>{{ note(summary_note) }}{{ table(kpi_summary) }}</section>

<section id="service-level-goals"><h2>Service-level goals</h2>{{ note(goals_note) }}
{%- if goal_table %}{{ table(goal_table, "ccsim-table goals") }}{% endif %}</section>

{%- if comparison %}
<section id="comparison"><h2>Comparison</h2>{{ chart(comparison.chart) }}{{ table(comparison.table) }}</section>
{%- endif %}
{%- if sweep %}
<section id="sweep"><h2>Sweep</h2>{{ note(sweep.note) }}{{ chart(sweep.chart) }}</section>
{%- endif %}

<section id="call-types"><h2>Call types</h2>{{ note(call_types_note) }}{{ table(call_type_table) }}</section>
{%- if service_level_table %}

<section id="service-levels"><h2>Service level at several thresholds</h2>{{ note(service_levels_note) }}{{ table(service_level_table) }}</section>
{%- endif %}

<section id="agent-groups"><h2>Agent groups</h2>{{ note(groups_note) }}{{ table(group_table) }}</section>
{%- if agent_views %}

<section id="agents"><h2>Agents, teams and skills</h2>
{%- for block in agent_views.points %}
{%- if agent_views.several %}<h3>{{ block.label }}</h3>{% endif %}
<h3 id="teams-p{{ loop.index0 }}">Teams</h3>{{ note(agent_views.notes.agents) }}{{ table(block.teams, "ccsim-table teams") }}
{%- if block.squads %}
<h3>Squads</h3>{{ table(block.squads, "ccsim-table squads") }}{% endif %}
<h3>Agents, ranked</h3>{{ note(agent_views.notes.ranked) }}{{ table(block.agents, "ccsim-table agents sortable") }}
<h3>Skills</h3>{{ note(agent_views.notes.skills) }}{{ table(block.skills, "ccsim-table skills") }}
{%- endfor %}
</section>
<script>{{ sort_script }}</script>
{%- endif %}
{%- if lost_calls %}

<section id="lost-calls"><h2>Lost calls</h2>{{ note(lost_calls.note) }}{{ table(lost_calls.table, "ccsim-table lost-calls") }}</section>
{%- endif %}
{%- if ivr %}

<section id="ivr"><h2>Entries and IVR menus</h2>
{%- if ivr.entries %}<h3>Entries</h3>{{ note(ivr.entries_note) }}{{ table(ivr.entries, "ccsim-table entries") }}{% endif %}
{%- if ivr.nodes %}<h3>IVR nodes</h3>{{ note(ivr.nodes_note) }}{{ table(ivr.nodes, "ccsim-table ivr-nodes") }}{% endif %}
</section>
{%- endif %}
{%- if media %}

<section id="media"><h2>Media</h2>{{ note(media.note) }}{{ table(media.table, "ccsim-table channels") }}
{{ note(media.chart_note) }}<div class="charts">{% for c in media.charts %}{{ chart(c) }}{% endfor %}</div></section>
{%- endif %}
{%- if money %}

<section id="money"><h2>Money</h2>{{ note(money.note) }}
{%- if money.charts %}<div class="charts">{% for c in money.charts %}{{ chart(c) }}{% endfor %}</div>{% endif %}
{{ table(money.kpis, "ccsim-table money-kpis") }}
{%- if money.channels %}<h3>ROI per channel</h3>{{ note(money.channels_note) }}{{ table(money.channels, "ccsim-table money-channels") }}{% endif %}
{%- if money.airings %}<h3>ROI per airing</h3>{{ table(money.airings, "ccsim-table money-airings") }}{% endif %}
<h3>Teams and agents</h3>{{ note(money.agents_note) }}{{ table(money.teams, "ccsim-table money-teams") }}
{{ table(money.agents, "ccsim-table money-agents") }}
</section>
{%- endif %}

<section id="per-interval"><h2>Per interval</h2>{{ note(intervals_note) }}
{%- for block in interval_blocks %}
<h3>{{ block.label }}</h3>{{ note(block.note) }}
{%- if block.charts %}<div class="charts">{% for c in block.charts %}{{ chart(c) }}{% endfor %}</div>{% endif %}
{%- endfor %}
</section>
</main></body></html>
"""
