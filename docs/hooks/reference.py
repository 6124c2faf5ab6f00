"""MkDocs hook: the reference parts of the site, generated from the code at build time.

A page asks for a generated part with a marker alone on its line, e.g.
``<!-- generated: scenario-fields -->``. The parts come from public, stable things
(``Scenario.model_json_schema()``, ``ccsim.results.KPI_NAMES`` and ``KPI_DEFINITIONS``, ``LOST_KPI_NAMES``
and ``LOST_KPI_DEFINITIONS``, ``ccsim.money.MONEY_KPI_NAMES`` and ``MONEY_KPI_DEFINITIONS``,
the click group ``ccsim.cli.cli``), so the reference cannot drift from the code.
A marker naming no known part, or a KPI without a definition, fails the build.
"""
from __future__ import annotations

import json
import re

MARKER = re.compile(r"^<!-- generated: ([a-z0-9-]+) -->[ \t]*$", re.MULTILINE)
REF_PREFIX = "#/$defs/"
# JSON Schema bounds, and pydantic's own names that can leak into a schema (e.g. "ge" on an
# Optional[int]); each renders as "≥ 1" and so on.
BOUNDS = (
    ("minimum", "≥ {}"), ("ge", "≥ {}"), ("exclusiveMinimum", "> {}"), ("gt", "> {}"),
    ("maximum", "≤ {}"), ("le", "≤ {}"), ("exclusiveMaximum", "< {}"), ("lt", "< {}"),
    ("multipleOf", "a multiple of {}"),
    ("minLength", "at least {} character{s}"), ("maxLength", "at most {} character{s}"),
    ("minItems", "at least {} item{s}"), ("maxItems", "at most {} item{s}"),
    ("uniqueItems", "items unique"), ("minProperties", "at least {} entr{ies}"),
    ("maxProperties", "at most {} entr{ies}"),
)
CODE_SPAN = re.compile(r"(``.+?``|`[^`]+`)")


class GenerationError(Exception):
    """A page asked for something the generator cannot produce."""


# ---------------------------------------------------------------- MkDocs entry point
def on_page_markdown(markdown: str, page, config, files) -> str:
    """Replace each ``<!-- generated: NAME -->`` marker with its generated Markdown."""

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in GENERATORS:
            raise _plugin_error(f"{page.file.src_path}: unknown generated part {name!r} "
                                f"(known: {', '.join(sorted(GENERATORS))})")
        try:
            return GENERATORS[name]()
        except GenerationError as err:
            raise _plugin_error(f"{page.file.src_path}: {err}") from None

    return MARKER.sub(replace, markdown)


def _plugin_error(message: str) -> Exception:
    from mkdocs.exceptions import PluginError

    return PluginError(message)


# ---------------------------------------------------------------- scenario fields
def scenario_fields() -> str:
    """One section per model of the scenario schema."""
    from ccsim.scenario import Scenario

    return schema_reference(Scenario.model_json_schema())


def schema_reference(schema: dict) -> str:
    """Markdown for every model reachable from ``schema`` (root first, then as found)."""
    defs = schema.get("$defs", {})
    if "$ref" in schema:  # a root model that contains itself is itself one of the $defs
        root = schema["$ref"].removeprefix(REF_PREFIX)
        top = defs[root]
    else:
        root, top = schema.get("title") or "Scenario", schema
    models = {root: top, **defs}
    locations = _locations(root, top, defs)
    variant_keys = _variant_keys(schema)
    sections = []
    for name in locations:
        sections.append(_model_section(name, models[name], locations[name], variant_keys.get(name), models))
    return "\n\n".join(sections) + "\n"


def model_anchor(name: str) -> str:
    """The HTML id of a model's section."""
    return "model-" + name.lower()


def _locations(root: str, schema: dict, defs: dict) -> dict:
    """Model name -> the field paths where it appears (``call_types[].handle_time``)."""
    found: dict = {root: [""]}
    pending = [(schema, "", (root,))]
    while pending:
        model, prefix, chain = pending.pop(0)
        for field, prop in model.get("properties", {}).items():
            path = f"{prefix}.{field}" if prefix else field
            for ref, suffix in _refs(prop):
                where = path + suffix
                if ref not in defs:
                    raise GenerationError(f"the schema refers to {ref!r}, which it does not define")
                paths = found.setdefault(ref, [])
                if where not in paths:
                    paths.append(where)
                    if ref not in chain:  # a recursive model (a menu of menus) is listed once per entry path
                        pending.append((defs[ref], where, (*chain, ref)))
    return found


def _refs(node, suffix: str = ""):
    """(model name, path suffix) of every model ``node`` refers to, through unions and lists."""
    if not isinstance(node, dict):
        return
    if "$ref" in node:
        yield node["$ref"].removeprefix(REF_PREFIX), suffix
    for key in ("anyOf", "oneOf", "allOf"):
        for member in node.get(key, []):
            yield from _refs(member, suffix)
    if isinstance(node.get("items"), dict):
        yield from _refs(node["items"], suffix + "[]")
    for member in node.get("prefixItems", []):
        yield from _refs(member, suffix + "[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from _refs(node["additionalProperties"], suffix + ".<key>")


def _variant_keys(schema: dict) -> dict:
    """Model name -> (discriminator, value) for models chosen by a tagged union (``dist: gamma``)."""
    keys = {}

    def visit(node):
        if isinstance(node, dict):
            discriminator = node.get("discriminator")
            if isinstance(discriminator, dict):
                for value, ref in discriminator.get("mapping", {}).items():
                    keys[ref.removeprefix(REF_PREFIX)] = (discriminator.get("propertyName", "?"), value)
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(schema)
    return keys


def _model_section(name: str, model: dict, paths: list, variant, models: dict) -> str:
    title = f"### {name}"
    if variant is not None:
        title += f" (`{variant[0]}: {variant[1]}`)"
    lines = [f"{title} {{#{model_anchor(name)}}}", ""]
    if model.get("description"):
        lines += [_paragraph(model["description"]), ""]
    where = (["the top level of the file"] if "" in paths else []) + [f"`{p}`" for p in paths if p]
    lines.append("At " + ", ".join(where) + ".")
    lines.append("")
    properties = model.get("properties", {})
    if not properties:
        lines.append("No fields.")
        return "\n".join(lines)
    required = set(model.get("required", []))
    lines += ["| field | type | default | allowed values | description |", "|---|---|---|---|---|"]
    for field, prop in properties.items():
        field_paths = "<br>".join(f"`{_join(p, field)}`" for p in paths)
        cells = (field_paths, type_text(prop, models), _default_text(field, prop, required),
                 bounds_text(prop), _paragraph(prop.get("description", "")))
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if model.get("additionalProperties") is False:
        lines += ["", "Any other key here is an error."]
    return "\n".join(lines)


def _join(prefix: str, field: str) -> str:
    return f"{prefix}.{field}" if prefix else field


def type_text(node: dict, models: dict) -> str:
    """A field's type in words, with links to the models it uses."""
    if "$ref" in node:
        name = node["$ref"].removeprefix(REF_PREFIX)
        return f"[{name}](#{model_anchor(name)})" if name in models else f"`{name}`"
    if "const" in node:
        return f"`{json.dumps(node['const'])}`"
    if "enum" in node:
        return "one of " + ", ".join(f"`{json.dumps(v)}`" for v in node["enum"])
    if "oneOf" in node or "anyOf" in node:
        members = node.get("oneOf") or node.get("anyOf")
        parts = [type_text(m, models) for m in members if m.get("type") != "null"]
        text = " or ".join(dict.fromkeys(parts))
        discriminator = node.get("discriminator")
        if isinstance(discriminator, dict):
            text = f"one of {', '.join(parts)}, chosen by `{discriminator.get('propertyName', '?')}`"
        if any(m.get("type") == "null" for m in members):
            text += " (or absent)"
        return text
    if "allOf" in node:
        return " and ".join(type_text(m, models) for m in node["allOf"])
    kind = node.get("type")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        items = node.get("items")
        return "list of " + (type_text(items, models) if isinstance(items, dict) else "anything")
    if kind == "object" and isinstance(node.get("additionalProperties"), dict):
        return "mapping of names to " + type_text(node["additionalProperties"], models)
    if kind == "string" and node.get("format"):
        return f"string ({node['format']})"
    if kind:
        return kind
    return f"`{json.dumps(node, sort_keys=True)}`"  # a construct this renderer does not name: shown as is


def bounds_text(node: dict) -> str:
    """Bounds of a value (and of a list's items or an optional value), e.g. ``> 0; ≤ 1``."""
    parts = [_bound(template, node[key]) for key, template in BOUNDS if key in node and node[key] is not False]
    if "pattern" in node:
        parts.append(f"matches `{node['pattern']}`")
    for member in node.get("anyOf", []):
        if member.get("type") != "null" and "$ref" not in member:
            inner = bounds_text(member)
            if inner:
                parts.append(inner)
    items = node.get("items")
    if isinstance(items, dict) and "$ref" not in items:
        inner = bounds_text(items)
        if inner:
            parts.append(f"each item {inner}")
    return "; ".join(parts)


def _bound(template: str, value) -> str:
    one = value == 1
    return template.format(_number(value), s="" if one else "s", ies="y" if one else "ies")


def _number(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _default_text(field: str, prop: dict, required: set) -> str:
    if field in required:
        return "**required**"
    if "default" not in prop:
        return "absent"
    default = prop["default"]
    if default is None:
        return "absent"
    return f"`{json.dumps(default, ensure_ascii=False)}`"


def _paragraph(text: str) -> str:
    """A docstring or description as one Markdown paragraph (``code`` kept; ``*``, ``_`` and ``<`` literal)."""
    parts = CODE_SPAN.split(" ".join(str(text).split()))
    return "".join(part if i % 2 else part.replace("*", r"\*").replace("_", r"\_").replace("<", "&lt;")
                   for i, part in enumerate(parts))


def _cell(text: str) -> str:
    # a pipe inside a cell (a regex, a union in words) would split the table
    return text.replace("|", "\\|")


# ---------------------------------------------------------------- KPI definitions
def kpi_definitions() -> str:
    """The KPI table, in ``KPI_NAMES`` order, from ``KPI_DEFINITIONS``."""
    from ccsim.results import KPI_DEFINITIONS, KPI_NAMES

    return kpi_table(KPI_NAMES, KPI_DEFINITIONS)


def kpi_table(names, definitions: dict) -> str:
    missing = [name for name in names if not definitions.get(name)]
    if missing:
        raise GenerationError(f"KPI without a definition in ccsim.results.KPI_DEFINITIONS: {', '.join(missing)}")
    extra = [name for name in definitions if name not in names]
    lines = ["| KPI | definition |", "|---|---|"]
    for name in [*names, *extra]:
        lines.append(f"| `{name}` {{#kpi-{name}}} | {_cell(_paragraph(definitions[name]))} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- command line
HELP_WIDTH = 100  # fixed, so the page does not depend on the terminal that built it


def cli_reference() -> str:
    """Every command's ``--help``, as the user sees it, one section per command."""
    from ccsim.cli import cli

    return command_reference(cli, "ccsim")


def command_reference(group, prog_name: str) -> str:
    import click

    sections = []

    def visit(command, path, parent):
        settings = {**command.context_settings, "max_content_width": HELP_WIDTH, "terminal_width": HELP_WIDTH}
        ctx = click.Context(command, info_name=path[-1], parent=parent, **settings)
        anchor = "cli-" + "-".join(path)
        sections.append(f"## {' '.join(path)} {{#{anchor}}}\n\n```text\n{command.get_help(ctx)}\n```")
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None and not getattr(sub, "hidden", False):
                    visit(sub, [*path, name], ctx)

    visit(group, [prog_name], None)
    return "\n\n".join(sections) + "\n"


def lost_call_kpi_definitions() -> str:
    """The lost-call KPIs of ``ccsim check``, in ``LOST_KPI_NAMES`` order, from ``LOST_KPI_DEFINITIONS``."""
    from ccsim.results import LOST_KPI_DEFINITIONS, LOST_KPI_NAMES

    return kpi_table(LOST_KPI_NAMES, LOST_KPI_DEFINITIONS)


def money_kpi_definitions() -> str:
    """The money KPIs, in ``ccsim.money.MONEY_KPI_NAMES`` order, from ``MONEY_KPI_DEFINITIONS``."""
    from ccsim.money import MONEY_KPI_DEFINITIONS, MONEY_KPI_NAMES

    return kpi_table(MONEY_KPI_NAMES, MONEY_KPI_DEFINITIONS)


GENERATORS = {
    "scenario-fields": scenario_fields,
    "money-kpi-definitions": money_kpi_definitions,
    "kpi-definitions": kpi_definitions,
    "lost-call-kpi-definitions": lost_call_kpi_definitions,
    "cli": cli_reference,
}
