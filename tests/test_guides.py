"""The guides' facts against their one source: lists the code owns, and figures quoted from the samples.

A list in a guide is checked against the code that owns it, so that a column, a configuration field, a
status, a protocol method, a preset's backend or a conf/ folder added to the code without a word in
the guide fails here, naming what is missing and where. A figure quoted from a committed sample
(docs/report/, docs/report-scale/) is read back from the sample with the tolerance its wording implies,
so that a regenerated sample that disagrees names the line to update.
"""

import inspect
import re
from pathlib import Path

import pytest
import yaml

import impls
from benchmarks import configuration, results
from tests.conftest import ROOT


def section(doc: str, heading: str) -> str:
    """The text under `heading` in `doc`, up to the next heading of the same or a higher level."""
    lines = (ROOT / doc).read_text().splitlines()
    starts = [i for i, line in enumerate(lines) if re.fullmatch(r"#+ " + re.escape(heading), line)]
    assert starts, f'{doc} has no heading "{heading}"'
    level = lines[starts[0]].index(" ")
    end = next(
        (
            i
            for i in range(starts[0] + 1, len(lines))
            if lines[i].startswith("#") and lines[i].index(" ") <= level
        ),
        len(lines),
    )
    return "\n".join(lines[starts[0] + 1 : end])


def unnamed(names, text: str) -> list[str]:
    """The names not written as `name` (or `name(...)`) in the text."""
    return [name for name in names if not re.search(f"`{re.escape(name)}[`(]", text)]


def test_every_column_of_a_row_is_named():
    missing = unnamed(results.COLUMNS, section("docs/configuration.md", "Results"))
    assert not missing, (
        f'docs/configuration.md, "Results", does not name the columns {missing} of benchmarks/results.py '
        "COLUMNS: say in a few words what each holds"
    )


def test_every_field_of_a_configuration_is_named():
    doc, heading = "docs/configuration.md", "What makes two runs the same configuration"
    missing = unnamed(configuration.CONFIGURATION, section(doc, heading))
    assert not missing, (
        f'{doc}, "{heading}", does not name {missing} of benchmarks/configuration.py CONFIGURATION'
    )


def statuses() -> set[str]:
    """Every status the harness writes into a row or returns, and those results and run.py compare with."""
    found = set()
    harness = (ROOT / "benchmarks" / "harness.py").read_text()
    found |= set(re.findall(r'"status":\s*"(\w+)"', harness))  # a row's value
    found |= set(re.findall(r'\bstatus(?:, [\w, ]+)?\s*=\s*"(\w+)"', harness))  # status = "failed"
    for path in ("benchmarks/harness.py", "benchmarks/results.py", "run.py"):
        found |= set(re.findall(r'status\s*[!=]=\s*"(\w+)"', (ROOT / path).read_text()))  # compared with
    return found


def test_every_status_a_row_can_have_is_named():
    found = statuses()
    assert {"ok", "failed", "skipped"} <= found, f"the harness's statuses were not found: {found}"
    for doc, heading in [("docs/configuration.md", "Results"), ("docs/configuration.md", "Watching a sweep")]:
        missing = unnamed(sorted(found), section(doc, heading))
        assert not missing or missing == ["ok"] and heading == "Watching a sweep", (
            f'{doc}, "{heading}", does not name the statuses {missing} that benchmarks/harness.py writes'
        )
    docstring = (ROOT / "run.py").read_text()
    missing = [status for status in sorted(found) if status not in docstring]
    assert not missing, f"run.py's docstring of main does not name the statuses {missing}"


def preset_backends() -> dict[str, list[str]]:
    """Each conf/sweep preset's backends: swept, or chosen by its defaults' override."""
    presets = {}
    for path in sorted((ROOT / "conf" / "sweep").glob("*.yaml")):
        preset = yaml.safe_load(path.read_text())
        swept = (preset.get("hydra") or {}).get("sweeper", {}).get("params", {}).get("backend")
        chosen = [
            value
            for entry in preset.get("defaults", [])
            if isinstance(entry, dict)
            for key, value in entry.items()
            if key.endswith("/backend")
        ]
        presets[path.stem] = str(swept).split(",") if swept else chosen
    return presets


def test_every_preset_and_its_backends_are_named():
    doc, heading = "docs/configuration.md", "Sweep presets"
    rows = {
        match.group(1): match.group(2)
        for match in re.finditer(r"^\| `(\w+)` \|(.*)\|$", section(doc, heading), re.M)
    }
    presets = preset_backends()
    assert presets["quick"], "no backend found for conf/sweep/quick.yaml"
    for preset, backends in presets.items():
        assert preset in rows, f'{doc}, "{heading}": no row for conf/sweep/{preset}.yaml'
        missing = unnamed(backends, rows[preset])
        assert not missing, (
            f'{doc}, "{heading}": the row of `{preset}` does not name {missing}, which '
            f"conf/sweep/{preset}.yaml runs"
        )


def protocol_names() -> list[str]:
    """What a backend offers: the Network protocol's methods and class attributes, and the optional
    methods and attributes its docstring and comments describe (``name(...)``, ``name``: ...)."""
    source = inspect.getsource(impls.Network)
    methods = [
        name
        for name, value in vars(impls.Network).items()
        if inspect.isfunction(value) and not name.startswith("_")
    ]
    described = re.findall(r"``([a-z_]+)\(", source) + re.findall(r"``([a-z_]+)``:", source)
    return list(dict.fromkeys([*impls.Network.__annotations__, *methods, *described]))


def test_every_method_of_the_protocol_is_named():
    names = protocol_names()
    assert {"place", "train_epoch", "forward", "gradients", "framework", "unsupported"} <= set(names)
    missing = unnamed(names, (ROOT / "docs" / "adding-a-backend.md").read_text())
    assert not missing, f"docs/adding-a-backend.md does not name {missing} of impls/__init__.py's Network"


def test_every_framework_a_backend_declares_is_named():
    declared = {
        match
        for path in (ROOT / "impls").glob("*.py")
        for match in re.findall(r'^\s+framework = "(\w+)"', path.read_text(), re.M)
    }
    assert {"numpy", "torch"} <= declared
    for doc, text in [
        ("docs/adding-a-backend.md", (ROOT / "docs" / "adding-a-backend.md").read_text()),
        ("impls/__init__.py's comment on `framework`", inspect.getsource(impls.Network)),
    ]:
        missing = [name for name in sorted(declared) if f'"{name}"' not in text]
        assert not missing, f"{doc} does not name the frameworks {missing} that impls/ declare"


def test_every_conf_folder_is_in_the_layout():
    layout = section("docs/how-it-works.md", "The layout")
    conf = ROOT / "conf"
    folders = [
        path.relative_to(conf).as_posix() + "/"
        for path in sorted(conf.rglob("*"))
        if path.is_dir() and not any(child.is_dir() for child in path.iterdir())
    ]
    files = [path.name for path in sorted(conf.glob("*.yaml"))]
    missing = [name for name in folders + files if name not in layout]
    assert folders and not missing, f'docs/how-it-works.md, "The layout", does not name conf/ {missing}'
