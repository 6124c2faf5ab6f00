"""Every code block of README.md runs as written.

Shell blocks (```` ``` ````, ```` ```sh ````, ```` ```bash ````, and the ``$ `` lines of
```` ```console ````) run line by line in bash with the installed ``ccsim``; Python blocks are
saved as ``script.py`` and run with ``python script.py``, exactly as a user would save them.
Each block runs in a tmp folder of its own holding a copy of the repository's ``scenarios/``,
so the paths in the README are the real ones.

Sizes: in those copies a scenario whose horizon is above ``HORIZON_CAP`` seconds is cut to its
warm-up + ``SHORT_MEASURE`` seconds (``erlang_a.yaml``: about 100,000 calls instead of a
million), so the whole file runs in one to two minutes on two busy cores; ``CCSIM_README_FULL=1`` runs the scenarios
as shipped. The commands themselves run as written, except for ``SUBSTITUTIONS``.

A block preceded by ``<!-- not-run: REASON -->`` is not run; ``NOT_RUN`` counts them by reason,
and the test fails when the README's markers differ from it, so no block stops running unseen.

"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

HORIZON_CAP = 200_000.0  # seconds
SHORT_MEASURE = 100_000.0  # seconds measured after the warm-up in a cut scenario
FULL = os.environ.get("CCSIM_README_FULL") == "1"

# (README text, what runs instead, why)
SUBSTITUTIONS = [
    ("pip install -e . && ", "", "this checkout is already installed in the test environment"),
]
NOT_RUN = {
    "the test suite itself (tests/test_readme_examples.py is part of it; .ci/run runs this line)": 1,
    "needs a Dask cluster": 1,
}

SHELL = ("", "sh", "bash", "shell", "console")
PYTHON = ("python",)
NOT_CODE = ("text", "yaml", "json", "toml")  # listings, synopses and file contents: nothing to run
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w+-]*)[ \t]*$")
NOT_RUN_MARK = re.compile(r"^<!--\s*not-run:\s*(?P<reason>.+?)\s*-->$")
TIMEOUT = 600  # seconds; a hung command fails instead of blocking the suite


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    not_run: str | None  # the reason, when marked

    @property
    def id(self) -> str:
        return f"README.md:{self.line}:{self.lang or 'sh'}"


def readme_blocks(text: str) -> list[Block]:
    """The fenced code blocks of a Markdown text, indented ones (in lists) included."""
    lines = text.splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if fence is None:
            i += 1
            continue
        indent, start, body = len(fence.group("indent")), i, []
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][indent:] if not lines[i][:indent].strip() else lines[i])
            i += 1
        i += 1
        blocks.append(Block(start + 1, fence.group("lang"), "\n".join(body) + "\n", _not_run(lines, start)))
    return blocks


def _not_run(lines: list[str], fence: int) -> str | None:
    """The reason of a ``<!-- not-run: ... -->`` among the comments right above the fence."""
    i = fence - 1
    while i >= 0 and (not lines[i].strip() or lines[i].strip().startswith("<!--")):
        mark = NOT_RUN_MARK.match(lines[i].strip())
        if mark:
            return mark.group("reason")
        i -= 1
    return None


def shell_commands(block: Block) -> list[str]:
    """The commands of a shell block: continuation lines joined, comments and output left out."""
    commands, pending = [], ""
    for raw in block.text.splitlines():
        if block.lang == "console" and not pending:
            if not raw.startswith("$ "):
                continue  # output shown in the README
            raw = raw[2:]
        line = pending + raw.lstrip() if pending else raw
        if line.rstrip().endswith("\\"):
            pending = line.rstrip()[:-1].rstrip() + " "
            continue
        pending = ""
        if line.strip() and not line.lstrip().startswith("#"):
            commands.append(line.strip())
    return commands


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))
RUNNABLE = [b for b in BLOCKS if b.not_run is None and b.lang in SHELL + PYTHON]


# ---------------------------------------------------------------- where and how a block runs
def _workdir(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    if not FULL:
        for path in (tmp_path / "scenarios").rglob("*.yaml"):
            _shorten(path)
    return tmp_path


def _shorten(path: Path) -> None:
    scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
    if float(scenario.get("horizon", 0)) > HORIZON_CAP:
        scenario["horizon"] = float(scenario.get("warmup", 0)) + SHORT_MEASURE
        media = scenario.get("media")
        if media:  # airings must lie before the horizon: keep those of the shorter run
            media["airings"] = [a for a in media.get("airings", []) if a["time"] < scenario["horizon"]]
        path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")


def _environment() -> dict:
    env = dict(os.environ)
    # the ``ccsim`` and ``python`` a user of this environment would get
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _substituted(command: str) -> str:
    for text, instead, _why in SUBSTITUTIONS:
        command = command.replace(text, instead)
    return command


def _run(args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=_environment(), capture_output=True, text=True, timeout=TIMEOUT)


def _check_shell_line(command: str, cwd: Path, where: str) -> None:
    done = _run(["bash", "-c", _substituted(command)], cwd)
    assert done.returncode == 0, (f"{where}: exit status {done.returncode}\n$ {command}\n"
                                  f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}")


def run_python_block(block: Block, tmp_path: Path, where: str) -> None:
    """Save the block as script.py in a copy of scenarios/ and run ``python script.py``."""
    cwd = _workdir(tmp_path)
    (cwd / "script.py").write_text(block.text, encoding="utf-8")
    done = _run([sys.executable, "script.py"], cwd)
    assert done.returncode == 0, (f"{where}: python script.py exited {done.returncode}\n"
                                  f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}")


# ---------------------------------------------------------------- the tests
@pytest.mark.parametrize("block", RUNNABLE, ids=lambda b: b.id)
def test_readme_block_runs(block: Block, tmp_path: Path):
    if block.lang in PYTHON:
        run_python_block(block, tmp_path, block.id)
        return
    cwd = _workdir(tmp_path)
    commands = shell_commands(block)
    assert commands, f"{block.id}: a shell block with no command"
    for command in commands:
        _check_shell_line(command, cwd, block.id)


def test_blocks_not_run_are_the_listed_ones():
    found = Counter(b.not_run for b in BLOCKS if b.not_run is not None)
    listing = "\n".join(f"  {b.id}: {b.not_run}" for b in BLOCKS if b.not_run is not None)
    print(f"{sum(found.values())} README blocks not run:\n{listing}")
    assert found == Counter(NOT_RUN), f"README blocks marked not-run differ from NOT_RUN:\n{listing}"


def test_every_block_is_classified():
    """A block in a new fence language must be added to SHELL, PYTHON or NOT_CODE on purpose."""
    unknown = [b.id for b in BLOCKS if b.lang not in SHELL + PYTHON + NOT_CODE]
    assert not unknown, f"code blocks in a language this test does not know: {unknown}"
    assert any(b.lang in PYTHON for b in RUNNABLE), "the README's Python example is not run"
    main = [b for b in RUNNABLE if "ccsim run scenarios/erlang_a.yaml" in b.text]
    assert main, "the README's main command is not run"


def test_the_extractor_reads_console_continuations_and_markers():
    text = ("<!-- not-run: needs a cluster -->\n<!-- other -->\n```console\n$ ccsim run a.yaml \\\n"
            "    --reps 2   # two\nsome output\n```\n\n  ```python\n  print(1)\n  ```\n")
    console, python = readme_blocks(text)
    assert console.not_run == "needs a cluster" and python.not_run is None
    assert shell_commands(console) == ["ccsim run a.yaml --reps 2   # two"]
    assert python.text == "print(1)\n"


def _bullet(text: str, head: str) -> str:
    """The README bullet that starts with ``head`` (up to the next bullet or blank line)."""
    start = text.index(head)
    end = min(i for i in (text.find("\n- ", start + 1), text.find("\n\n", start)) if i > 0)
    return text[start:end]


def test_readme_channel_columns_are_what_run_prints():
    """The README's columns of ``ccsim run``'s table of callers by media channel are the table's."""
    from ccsim.cli.run import CHANNEL_HEADERS

    said = re.search(r"callers by channel — (.*?):", README.read_text(encoding="utf-8"), re.S).group(1)
    assert re.split(r",\s+|\s+and\s+", said) == list(CHANNEL_HEADERS[1:])


def test_readme_json_keys_are_what_run_prints(tmp_path):
    """The README's list of ``ccsim run --json`` keys and ``--out`` files is what the command writes."""
    readme = README.read_text(encoding="utf-8")
    json_bullet = _bullet(readme, "- **`--json`** prints one object:")
    listed = re.findall(r"`([a-z_]+)`", json_bullet.split(". `ci_halfwidth` is")[0])
    out_bullet = _bullet(readme, "- **`--out DIR`** writes")
    from ccsim.cli.run import MEDIA_FILES

    media = re.search(r"\(with media\s+also(.*?)\)", out_bullet, re.S)  # files only a media scenario gets
    assert media and re.findall(r"`([a-z_]+\.csv)`", media.group(1)) == list(MEDIA_FILES)
    files = re.findall(r"`([a-z_]+\.(?:csv|json))`", out_bullet[:media.start()] + out_bullet[media.end():])
    cwd = _workdir(tmp_path)
    done = _run(["ccsim", "run", "scenarios/day_profile.yaml", "--json", "--out", "out"], cwd)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    ci_methods = {"student_t_over_replications", "batch_means_within_run", "none"}
    assert [k for k in listed if k not in ci_methods] == list(printed), (listed, list(printed))
    assert printed["ci_method"] in ci_methods and set(ci_methods) <= set(listed)
    assert sorted(files) == sorted(p.name for p in (cwd / "out").iterdir())
