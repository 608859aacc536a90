"""The README and the guides in docs/: every link resolves, and every command they show exists.

`run.py` lines are composed with Hydra's compose API, so nothing trains; a sweep's comma lists
are composed one value at a time.
"""

import importlib.util
import os
import re
import shlex
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser

from benchmarks import config
from tests.conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```", re.M | re.S)  # indented in a list, too


def prose(text: str) -> str:
    """The page without its code blocks, where brackets are code, not links."""
    return FENCE.sub("", text)


def anchors(page: Path) -> set[str]:
    """GitHub's anchors for the page's headings: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", prose(page.read_text()), re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def links():
    for page in PAGES:
        for target in LINK.findall(prose(page.read_text())):
            if not re.match(r"[a-z]+:", target):
                yield pytest.param(page, target, id=f"{page.relative_to(ROOT)}:{target}")


def commands() -> list[tuple[Path, list[str]]]:
    """(page, words) of every command line in the pages' code blocks, continuation lines joined
    and comments dropped."""
    found = []
    for page in PAGES:
        for block in FENCE.findall(page.read_text()):
            for line in block.replace("\\\n", " ").splitlines():
                try:
                    words = shlex.split(line, comments=True)
                except ValueError:  # output shown in a block, not a command
                    continue
                if words:
                    found.append((page, words))
    return found


def after(words: list[str], program: str) -> list[str] | None:
    ends = [i for i, word in enumerate(words) if word == program or word.endswith("/" + program)]
    return words[ends[0] + 1 :] if ends else None


def shell_expanded(word: str) -> str:
    """The word as bash passes it on: $VARIABLES, and a ~ after `key=`, expanded."""
    key, equals, value = os.path.expandvars(word).partition("=")
    return f"{key}{equals}{os.path.expanduser(value)}" if equals else key


def run_py_lines():
    for page, words in commands():
        python = any(word.endswith("python") for word in words)
        if python and (arguments := after(words, "run.py")) is not None:
            yield pytest.param(arguments, id=f"{page.relative_to(ROOT)}: run.py {' '.join(arguments)}")


def make_lines():
    for page, words in commands():
        if words[0] == "make" or "make" in words[:-1] and words[0] == "env":
            yield pytest.param(after(words, "make"), id=f"{page.relative_to(ROOT)}: {' '.join(words)}")


def module_lines():
    for page, words in commands():
        if words[0].endswith("python") and words[1:2] == ["-m"] and words[2] != "pytest":
            yield pytest.param(words[2], id=f"{page.relative_to(ROOT)}: -m {words[2]}")


def single_values(overrides: list[str]) -> list[list[str]]:
    """A sweep's overrides as runs of single values, read as Hydra's sweeper reads them: each value
    of each sweep once, the other sweeps at their first value (`hidden=[30,30]` is one value)."""
    split = []
    for override in OverridesParser.create().parse_overrides(overrides):
        key = override.get_key_element()
        if override.is_sweep_override():
            split.append((key, list(override.sweep_string_iterator())))
        elif override.value() is None and not override.input_line.count("="):
            split.append((key, [None]))
        else:
            split.append((key, [override.get_value_element_as_str()]))
    first = [f"{key}={values[0]}" if values[0] is not None else key for key, values in split]
    runs = [first]
    for i, (key, values) in enumerate(split):
        runs += [first[:i] + [f"{key}={value}"] + first[i + 1 :] for value in values[1:]]
    return runs


@pytest.mark.parametrize("page, target", list(links()))
def test_every_relative_link_resolves(page, target):
    path, _, anchor = target.partition("#")
    linked = (page.parent / path).resolve() if path else page
    assert linked.exists(), f"{target}: no such file"
    if anchor:
        assert anchor in anchors(linked), f"{target}: no heading with that anchor in {linked.name}"


@pytest.mark.parametrize("arguments", list(run_py_lines()))
def test_every_run_py_command_composes(arguments):
    overrides = [shell_expanded(word) for word in arguments if not word.startswith("-")]
    sweep = "-m" in arguments or "--multirun" in arguments
    config.register()
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        for run in single_values(overrides) if sweep else [overrides]:
            assert "," not in "".join(run) or sweep, f"comma list without -m: {run}"
            cfg = compose("config", overrides=run, return_hydra_config=True)
            assert cfg.backend.name


@pytest.mark.parametrize("arguments", list(make_lines()))
def test_every_make_target_exists(arguments):
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M))
    target = next(word for word in arguments if "=" not in word)
    assert target in targets, f"make {target}: no such target in the Makefile"


@pytest.mark.parametrize("module", list(module_lines()))
def test_every_python_module_shown_exists(module):
    assert importlib.util.find_spec(module) is not None, f"python -m {module}: no such module"


def test_the_readme_stays_short_and_every_guide_is_in_its_table():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    guides = {path.name for path in (ROOT / "docs").glob("*.md")}
    assert (
        guides
        == {Path(target).name for target in LINK.findall(readme) if target.startswith("docs/")} & guides
    )
