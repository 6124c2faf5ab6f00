"""The documentation site builds with warnings as errors, and its generated reference is complete.

The site is built once into a tmp folder (``mkdocs build --strict``); the checks then walk the
scenario schema, the KPI names and the click group *independently* of the generator in
``docs/hooks/reference.py`` and look for each item in the built pages, so a generator that
drops a model, a field, a KPI or a command fails here.
"""
from __future__ import annotations

import html
import importlib.util
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from ccsim.cli import cli
from ccsim.results import KPI_DEFINITIONS, KPI_NAMES, LOST_KPI_DEFINITIONS, LOST_KPI_NAMES
from ccsim.scenario import Scenario, validate_scenario
from test_readme_examples import PYTHON, readme_blocks, run_python_block, shell_commands

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
REF = "#/$defs/"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built from this checkout with ``--strict``."""
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                           str(ROOT / "mkdocs.yml"), "--site-dir", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return out


def page_text(site: Path, page: str) -> str:
    """The built page's main content as plain text (tags stripped, entities decoded)."""
    markup = (site / page / "index.html").read_text(encoding="utf-8")
    return _plain(markup)


def _plain(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


# ---------------------------------------------------------------- an independent walk of the schema
def expected_fields(schema: dict) -> dict:
    """Model name -> {field path: field schema}, for every model reachable from the root."""
    defs = schema.get("$defs", {})
    root = schema["$ref"][len(REF):] if "$ref" in schema else schema["title"]
    fields: dict = {}
    todo = [(root, defs[root] if "$ref" in schema else schema, "", (root,))]
    while todo:
        name, model, prefix, chain = todo.pop()
        for field, prop in model.get("properties", {}).items():
            path = f"{prefix}.{field}" if prefix else field
            fields.setdefault(name, {})[path] = prop
            for ref, suffix in _models_used(prop):
                fields.setdefault(ref, {})
                if ref not in chain:  # a model containing itself is walked once per way in
                    todo.append((ref, defs[ref], path + suffix, (*chain, ref)))
    return fields


def _models_used(node, suffix=""):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"][len(REF):], suffix
        for key, value in node.items():
            if key == "items":
                yield from _models_used(value, suffix + "[]")
            elif key == "additionalProperties":
                yield from _models_used(value, suffix + ".<key>")
            elif key in ("anyOf", "oneOf", "allOf", "prefixItems"):
                for member in value:
                    yield from _models_used(member, suffix + ("[]" if key == "prefixItems" else ""))


def sections(markup: str) -> dict:
    """Section id -> that section's plain text (up to the next h2/h3)."""
    starts = [(m.start(), m.group(1)) for m in re.finditer(r'<h[23] id="([^"]+)"', markup)]
    bounds = starts + [(len(markup), None)]
    return {ident: _plain(markup[start:bounds[i + 1][0]]) for i, (start, ident) in enumerate(starts)}


# ---------------------------------------------------------------- the tests
def test_the_site_builds_strict_and_has_every_page(site):
    for page in ("guide/install", "guide/first-run", "guide/scenarios", "guide/seeds",
                 "guide/replications", "guide/studies", "guide/python-api", "guide/dask",
                 "guide/editors", "reference/scenario", "reference/kpis", "reference/cli"):
        assert (site / page / "index.html").is_file(), page
    assert "generated:" not in (site / "reference/scenario/index.html").read_text(encoding="utf-8")


def test_every_field_of_every_model_is_in_its_section(site):
    schema = Scenario.model_json_schema()
    markup = (site / "reference/scenario/index.html").read_text(encoding="utf-8")
    by_section = sections(markup)
    models = expected_fields(schema)
    assert set(schema["$defs"]) <= set(models), "the walk must reach every model"
    for model, fields in models.items():
        section = by_section.get(f"model-{model.lower()}")
        assert section is not None, f"no section for model {model}"
        if model in schema["$defs"] and schema["$defs"][model].get("description"):
            first_words = " ".join(schema["$defs"][model]["description"].split()[:3])
            assert first_words in " ".join(section.split()), f"{model}: docstring missing"
        for path, prop in fields.items():
            assert path in section, f"{model}: field {path} missing from the reference"
            if prop.get("description"):  # code spans lose their backticks on the page
                description = " ".join(prop["description"].replace("`", "").split())
                assert description in " ".join(section.split()), f"{path}: description missing"


def test_bounds_and_defaults_are_shown(site):
    by_section = sections((site / "reference/scenario/index.html").read_text(encoding="utf-8"))
    agents = by_section["model-agentgroup"]
    assert re.search(r"agents\[\]\.name\s+string\s+required", agents)
    assert re.search(r"agents\[\]\.count\s+integer \(or absent\)\s+absent\s+≥ 1", agents)  # or members, population
    assert re.search(r"agents\[\]\.proficiency\s+number\s+1\.0\s+≥ 0\.001; ≤ 1000", agents)
    target = by_section["model-servicelevel"]
    assert re.search(r"service_level\.target\s+number \(or absent\)\s+absent\s+≥ 0; ≤ 1", target)


def test_every_kpi_is_defined(site):
    text = " ".join(page_text(site, "reference/kpis").split())
    for name in KPI_NAMES:
        assert f"{name} {' '.join(KPI_DEFINITIONS[name].split())}" in text, name
    for name in LOST_KPI_NAMES:
        assert f"{name} {' '.join(LOST_KPI_DEFINITIONS[name].split())}" in text, name


def test_every_command_has_its_help(site):
    by_section = sections((site / "reference/cli/index.html").read_text(encoding="utf-8"))

    def visit(command, path, parent):
        ctx = click.Context(command, info_name=path[-1], parent=parent)
        section = by_section.get("cli-" + "-".join(path))
        assert section is not None, f"no section for {' '.join(path)}"
        for param in command.get_params(ctx):
            shown = isinstance(param, click.Option) and not param.hidden
            for opt in param.opts if shown else ():
                assert opt in section, f"{' '.join(path)}: option {opt} missing"
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                visit(command.get_command(ctx, name), [*path, name], ctx)

    visit(cli, ["ccsim"], None)


def test_the_site_loads_nothing_from_the_network(site):
    for page in site.rglob("*.html"):
        markup = page.read_text(encoding="utf-8")
        remote = re.findall(r'<(?:script|link|img)[^>]*(?:src|href)="(?:https?:)?//[^"]*"', markup)
        assert not remote, f"{page.relative_to(site)} loads {remote[0]}"


def test_every_scenario_example_in_the_guide_is_valid():
    """YAML blocks with call types are whole scenarios: each must pass the schema."""
    checked = 0
    for page in sorted(DOCS.rglob("*.md")):
        for block in re.findall(r"```yaml\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL):
            data = yaml.safe_load(block)
            if isinstance(data, dict) and "call_types" in data:
                validate_scenario(data)
                checked += 1
    assert checked >= 2


# ---------------------------------------------------------------- the guide's examples
def guide_blocks():
    """(page:line, block) for every fenced block of the site's pages."""
    for page in sorted(DOCS.rglob("*.md")):
        for block in readme_blocks(page.read_text(encoding="utf-8")):
            yield f"{page.relative_to(ROOT)}:{block.line}", block


SHELL_OPERATORS = {">", ">>", "|", "&&", "||", ";", "<"}


def guide_ccsim_commands():
    """(page:line, arguments) of every ``ccsim`` command in the guide's shell blocks."""
    for where, block in guide_blocks():
        if block.lang not in ("", "sh", "console"):
            continue
        for command in shell_commands(block):
            words = shlex.split(command, comments=True)
            cut = next((i for i, w in enumerate(words) if w in SHELL_OPERATORS), len(words))
            if words and words[0] == "ccsim":
                yield where, words[1:cut]


def test_every_ccsim_command_in_the_guide_names_real_commands_and_options():
    """Parsed by the CLI itself (with --help, so nothing runs): a renamed option fails here."""
    runner = CliRunner()
    problems, checked = [], 0
    for where, args in guide_ccsim_commands():
        checked += 1
        result = runner.invoke(cli, [*args, "--help"])
        if result.exit_code != 0:
            problems.append(f"{where}: ccsim {shlex.join(args)}: {result.output.strip()}")
    assert checked >= 15
    assert not problems, "\n".join(problems)


GUIDE_PYTHON = [(where, b) for where, b in guide_blocks() if b.lang in PYTHON and b.not_run is None]


@pytest.mark.parametrize("where, block", GUIDE_PYTHON, ids=[w for w, _ in GUIDE_PYTHON])
def test_guide_python_example_runs(where, block, tmp_path):
    run_python_block(block, tmp_path, where)


# ---------------------------------------------------------------- the generator on a schema it has not seen
def _generator():
    spec = importlib.util.spec_from_file_location("docs_reference_hook", DOCS / "hooks" / "reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_renders_models_added_later():
    """Nested lists, mappings, optional unions: every field comes out, with its bounds."""
    from typing import Annotated, Literal, Optional, Union

    from pydantic import BaseModel, Field

    class Slow(BaseModel):
        kind: Literal["slow"]
        delay: float = Field(gt=0, le=60, description="seconds before the retry")

    class Fast(BaseModel):
        kind: Literal["fast"]

    class Node(BaseModel):
        """An IVR node."""
        label: str = Field(min_length=1)
        retry: Optional[Annotated[Union[Slow, Fast], Field(discriminator="kind")]] = None

    class Menu(BaseModel):
        nodes: list[list[Node]] = Field(min_length=1)
        by_name: dict[str, Node] = {}
        submenus: list["Menu"] = []  # a tree: the generator must not walk it forever

    schema = Menu.model_json_schema()
    text = _generator().schema_reference(schema)
    for model, fields in expected_fields(schema).items():
        assert f"{{#model-{model.lower()}}}" in text, model
        for path in fields:
            assert f"`{path}`" in text, path
    assert "nodes[][].retry.delay" in text and "by_name.<key>.label" in text
    assert "`submenus[].nodes`" in text and "At the top level of the file, `submenus[]`." in text
    assert "> 0; ≤ 60" in text and "seconds before the retry" in text
    assert "### Slow (`kind: slow`)" in text


def test_a_kpi_without_definition_fails_the_build():
    generator = _generator()
    with pytest.raises(generator.GenerationError, match="new_kpi"):
        generator.kpi_table(("asa", "new_kpi"), {"asa": "mean wait of answered calls (s)"})
