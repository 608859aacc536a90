"""The guides' facts against their one source: lists the code owns, and figures quoted from the samples.

A list in a guide is checked against the code that owns it, so that a column, a configuration field, a
status, a protocol method, a preset's backend or a conf/ folder added to the code without a word in
the guide fails here, naming what is missing and where. A figure quoted from a committed sample
(docs/report/, docs/report-scale/) is read back from the sample with the tolerance its wording implies,
so that a regenerated sample that disagrees names the line to update.
"""

import ast
import dataclasses
import inspect
import json
import math
import re
import shutil
import subprocess
from enum import Enum

import pandas as pd
import yaml
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

import impls
from benchmarks import config, configuration, results, stats
from benchmarks.commands import docs
from benchmarks.report import __main__ as report_command
from benchmarks.report import answers, document, render
from tests.conftest import ROOT, synthetic_runs


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


LAYOUT_FOLDERS = ["benchmarks", "benchmarks/report", "benchmarks/commands", "benchmarks/learner"]


def layout_entries() -> dict[str, str]:
    """The layout block of how-it-works.md as {folder: its description}, continuation lines joined."""
    block = FENCE_BLOCK.search(section("docs/how-it-works.md", "The layout")).group(1)
    entries: dict[str, str] = {}
    folder = ""
    for line in block.splitlines():
        if line and not line[0].isspace():
            folder, _, line = line.partition(" ")
            folder = folder.rstrip("/")
            entries[folder] = ""
        entries[folder] += " " + line.strip()
    return entries


FENCE_BLOCK = re.compile(r"^```\n(.*?)^```", re.M | re.S)


def test_the_layout_names_every_folder_and_module():
    entries = layout_entries()
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    folders = sorted({path.split("/")[0] for path in listed.splitlines() if "/" in path})
    folders = [name for name in folders if not name.startswith(".")]
    missing = [name for name in folders if name not in entries]
    for folder in LAYOUT_FOLDERS:
        modules = [p.stem for p in sorted((ROOT / folder).glob("*.py")) if not p.stem.startswith("_")]
        missing += [
            f"{folder}/{m}.py" for m in modules if not re.search(rf"\b{m}\b", entries.get(folder, ""))
        ]
    plugins = [
        p.stem for p in sorted((ROOT / "hydra_plugins" / "backprop_bench").glob("*.py")) if p.stem[0] != "_"
    ]
    missing += [
        f"hydra_plugins/{m}"
        for m in plugins
        if m.split("_")[0] not in entries.get("hydra_plugins", "").lower()
    ]
    samples = [p.name for p in sorted((ROOT / "docs").iterdir()) if p.is_dir()]
    missing += [f"docs/{s}/" for s in samples if f"{s}/" not in entries.get("docs", "")]
    assert not missing, f'docs/how-it-works.md, "The layout", does not name {missing}'


def option_rows() -> dict[str, str]:
    """configuration.md's option tables as {option: its default cell}; a row naming several options
    gives each its value from a default cell of as many comma-separated values, else the whole cell."""
    rows = {}
    for names, default in re.findall(
        r"^\| (`[^|]+) \| ([^|]*) \|", section("docs/configuration.md", "Options"), re.M
    ):
        options = re.findall(r"`([\w.]+)`", names)
        values = [v.strip() for v in default.split(",")]
        for i, option in enumerate(options):
            rows[option] = values[i] if len(values) == len(options) else default.strip()
    return rows


def schema_options() -> dict[str, object]:
    """Every setting of the run's schema (benchmarks/config.py) with its value in a default run
    (conf/config.yaml and the default backend's file); `backend.name` is the `backend` option."""
    config.register()
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose("config")
    found = {}
    for field in dataclasses.fields(config.BenchConfig):
        if dataclasses.is_dataclass(field.type):
            for inner in dataclasses.fields(field.type):
                if inner.name != "_target_":
                    key = (
                        "backend"
                        if (field.name, inner.name) == ("backend", "name")
                        else f"{field.name}.{inner.name}"
                    )
                    found[key] = OmegaConf.select(cfg, f"{field.name}.{inner.name}")
        else:
            found[field.name] = cfg[field.name]
    return found


def written(value) -> set[str]:
    """How a default may be written in the table."""
    if isinstance(value, Enum):
        return {value.value}
    if value is None:
        return {"null", "none"}
    if isinstance(value, bool):
        return {str(value).lower()}
    if isinstance(value, float):
        return {repr(value), f"{value:g}"}
    return {str(value)}


def test_the_options_table_names_every_setting_with_its_default():
    doc, rows = "docs/configuration.md", option_rows()
    options = schema_options()
    missing = [name for name in options if name not in rows]
    assert not missing, f'{doc}, "Options": no row for {missing} of benchmarks/config.py\'s schema'
    wrong = []
    for name, value in options.items():
        if isinstance(value, (dict, DictConfig)):
            continue  # a backend's own options: its conf file's `net`
        cell = rows[name].lower()
        if not any(re.search(rf"(?<![\w.]){re.escape(form)}(?![\w.])", cell) for form in written(value)):
            wrong.append(f"{name}: {rows[name]!r}, not {value!r}")
    assert not wrong, f'{doc}, "Options": defaults that differ from a default run: {wrong}'
    net = {
        key
        for path in (ROOT / "conf" / "backend").glob("*.yaml")
        for key in yaml.safe_load(path.read_text()).get("net", {})
    }
    interpolated = {"path", "init", "method", "arg", "param", "timeout"}  # yours's, set by the network* rows
    unnamed_net = [
        key
        for key in sorted(net - {"_target_"} - interpolated)
        if f"`backend.net.{key}" not in section(doc, "Options") and f"`{key}`" not in section(doc, "Options")
    ]
    assert not unnamed_net, f'{doc}, "Options": the backends\' options {unnamed_net} are not named'


def verdict_words() -> set[str]:
    """Every verdict benchmarks/report/answers.py can give: the third argument of each Answer(...), each
    value of a `verdict` variable and each value `tally` returns, read from the module's source."""
    tree = ast.parse(inspect.getsource(answers))
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name) and isinstance(node.value.value, str)
    }

    def values(node) -> list[str]:
        if isinstance(node, ast.IfExp):
            return values(node.body) + values(node.orelse)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.Name) and node.id in constants:
            return [constants[node.id]]
        return []

    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Answer" and len(node.args) >= 3:
            found.update(values(node.args[2]))
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "verdict" for t in node.targets):
            found.update(values(node.value))
        if isinstance(node, ast.FunctionDef) and node.name == "tally":
            found.update(
                v for ret in ast.walk(node) if isinstance(ret, ast.Return) for v in values(ret.value)
            )
    return found


def test_every_verdict_the_answers_give_is_named():
    words = verdict_words()
    assert {"holds", "does not hold", "not measured"} <= words, f"verdicts not found in answers.py: {words}"
    doc = "docs/reading-the-report.md"
    opening = section(doc, "Reading the report")
    missing = [word for word in sorted(words) if word.split(":")[0] not in opening.replace("\n", " ")]
    assert not missing, (
        f"{doc}, its opening list of verdicts, does not name {missing} (benchmarks/report/answers.py)"
    )


# A target's time is given once, in reading-the-report.md's table; elsewhere a duration is a SLURM
# time limit or a progress line's "time left".
DURATION = re.compile(r"\b\d+(?:\.\d+)?(?:[ -]min(?:ute)?s?\b)")
NOT_A_TARGETS_TIME = re.compile(r"^\s*(?:under `slurm_|left\b)")


def test_each_targets_time_is_given_in_one_place():
    table = section(READING, "How long the targets take")
    assert re.search(r"`make bench` \| \d+ min", table), f"{READING}: no time for make bench"
    files = [ROOT / "README.md", ROOT / "Makefile", *sorted((ROOT / "docs").glob("*.md"))]
    files += [
        *sorted((ROOT / "conf").rglob("*.yaml")),
        *sorted((ROOT / "benchmarks" / "report").glob("*.py")),
    ]
    stated = []
    for path in files:
        text = path.read_text().replace(table, "")
        for match in DURATION.finditer(text):
            if not NOT_A_TARGETS_TIME.match(text[match.end() : match.end() + 20]):
                stated.append(f"{path.relative_to(ROOT)}:{line_of(text, match.start())} {match.group()!r}")
    assert not stated, f"a target's time outside {READING}'s table (say it there, once): {stated}"


# Figures quoted from the committed samples: `make docs` writes them into marked blocks.
SAMPLE = ROOT / "docs" / "report"
READING = "docs/reading-the-report.md"


def line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def test_every_generated_block_is_the_samples():
    stale = docs.stale(ROOT, docs.Samples(ROOT / "docs"))
    assert not stale, f"blocks that differ from the committed samples: {stale}; run `make docs`"


def test_every_generator_writes_a_block_and_every_page_names_its_samples_machine():
    text = "\n".join(page.read_text() for page in docs.pages(ROOT))
    used = {match.group(2) for match in docs.BLOCK.finditer(text)}
    assert used == set(docs.BLOCKS), f"generators without a block: {set(docs.BLOCKS) - used}"
    for page in docs.pages(ROOT):
        page_text = page.read_text()
        if docs.BLOCK.search(page_text):
            assert "sample-machine" in page_text or "scale-machine" in page_text, (
                f"{page.relative_to(ROOT)} quotes a sample without naming its machine"
            )
        opened, closed = page_text.count("<!-- generated:"), page_text.count("<!-- /generated -->")
        assert opened == closed == len(docs.BLOCK.findall(page_text)), (
            f"{page.relative_to(ROOT)}: {opened} generated blocks opened, {closed} closed"
        )
        assert "the sample machine" not in page_text, (
            f"{page.relative_to(ROOT)} says 'the sample machine': name which sample's"
        )


SAMPLE_FILES = [
    "report/runs.parquet",
    "report/answers.json",
    "report/peers.parquet",
    "report-scale/runs.parquet",
    "report-scale/profile.txt",
    "report-machines/answers.json",
]


def test_a_regenerated_sample_fails_until_make_docs(tmp_path):
    """A sample changed under the guides makes every block that quotes it stale; the command then
    rewrites them and the check passes."""
    for name in SAMPLE_FILES:
        (tmp_path / "docs" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "docs" / name, tmp_path / "docs" / name)
    for page in docs.pages(ROOT):
        shutil.copy(page, tmp_path / page.relative_to(ROOT))
    samples = tmp_path / "docs"
    runs = pd.read_parquet(samples / "report" / "runs.parquet")
    runs.loc[runs.backend.isin(["torch", "numba", "jax"]), "train_s"] *= 1.5
    runs.loc[runs.hidden == 100, "test_acc"] -= 0.01
    runs.loc[(runs.hidden == 30) & (runs.batch_size == 1000), "test_acc"] = 0.9
    runs["peak_gflops"] *= 1.2
    runs.loc[runs.pair_side == 0, "examples_per_s"] *= 1.1  # the pairs' first sides faster
    runs.to_parquet(samples / "report" / "runs.parquet")
    saved = json.loads((samples / "report" / "answers.json").read_text())
    saved["machine"]["label"] = "Zen 5, 2 cores, OpenBLAS SkylakeX"
    for claim in saved["claims"]:
        for comparison in claim["comparisons"]:
            comparison["ratio"] = round(comparison["ratio"] * 1.1, 4)
    (samples / "report" / "answers.json").write_text(json.dumps(saved))
    peers = pd.read_parquet(samples / "report" / "peers.parquet")
    peers.loc[peers.backend == "torch_naive", "train_s"] *= 2
    peers["started_at"] += pd.Timedelta(days=1)
    peers["harness_overhead_s"] *= 3
    peers.to_parquet(samples / "report" / "peers.parquet")
    scale = pd.read_parquet(samples / "report-scale" / "runs.parquet")
    scale.loc[scale.threads == 2, "train_s"] *= 1.3
    scale["peak_gflops"] *= 0.9  # its fingerprint, in rows older than fingerprint_gflops
    scale.to_parquet(samples / "report-scale" / "runs.parquet")
    profile = samples / "report-scale" / "profile.txt"
    profile.write_text(profile.read_text().replace("16.3 ms per step", "17.3 ms per step"))

    changed = docs.Samples(samples)
    stale = {entry.split(": ")[1] for entry in docs.stale(tmp_path, changed)}
    unchanged = {"fingerprints"}  # report-machines was left as it was
    assert stale == set(docs.BLOCKS) - unchanged, f"not found stale: {set(docs.BLOCKS) - unchanged - stale}"
    docs.write(tmp_path, changed)
    assert docs.stale(tmp_path, changed) == []
    assert "Zen 5, 2 cores" in (tmp_path / "README.md").read_text()


def test_the_readme_answers_are_what_the_report_prints(tmp_path, capsys):
    """What `make docs` writes into the README from answers.json is what the report command prints."""
    path = tmp_path / "runs.parquet"
    synthetic_runs(devices=("cpu",)).to_parquet(path)
    assert report_command.main([str(path)]) == 0
    shown = capsys.readouterr().out.strip()
    saved = json.loads((tmp_path / "report" / "answers.json").read_text())
    runs = results.load(path)
    assert shown == report_command.printed(runs, [path], document.answers_text(saved), tmp_path / "report")


def test_answers_json_reads_back_as_the_answers_it_was_written_from():
    """claims_from_json undoes claims_json, undecided comparisons and missing intervals included."""
    decided = stats.Comparison("a", ("numpy", "torch"), "torch", 1.5, 1.2, 1.8, (5, 5), (1.5, 1.2, 1.8))
    undecided = stats.Comparison("b", ("numpy", "torch"), None, 1.02, 0.9, 1.1, (5, 5), (0.98, 0.91, 1.11))
    second_ahead = stats.Comparison("d", ("numpy", "torch"), None, 1.4, 0.9, 1.5, (5, 5), (1.4, 0.9, 1.5))
    few = stats.Comparison("c", ("x", "y"), None, 1.3, math.nan, math.nan, (2, 2), (1.3, math.nan, math.nan))
    given = [
        answers.Answer(
            "Performance", "A claim.", "holds only in part", "Why.", [decided, undecided, second_ahead, few]
        ),
        answers.Answer("Flexibility", "Another.", "not measured", "No runs."),
    ]
    saved = {"claims": json.loads(json.dumps(document.claims_json(given)))}
    assert document.answers_text(saved) == render.as_text(given)


def test_numbas_compile_time_is_paid_once_in_the_sample():
    """reading-the-report.md: numba's first run's setup_s is seconds; the first run of each later
    round's process (a seed) loads the compiled code from disk in under half a second, and the later
    runs in a process take a few milliseconds."""
    runs = results.whole(results.load(SAMPLE / "runs.parquet"))
    numba = runs[(runs.backend == "numba") & (runs.status == "ok")].sort_values("started_at")
    setups = numba.groupby("run_id", sort=False).agg(setup_s=("setup_s", "first"), seed=("seed", "first"))
    first_in_process = ~setups.seed.duplicated()
    loaded, later = setups.setup_s[first_in_process].iloc[1:], setups.setup_s[~first_in_process]
    assert setups.setup_s.iloc[0] >= 1 and loaded.max() < 0.5 and later.median() < 0.05, (
        f"{READING}, numba's bullet: the sample's first setup is {setups.setup_s.iloc[0]:.2f} s, the later "
        f"processes' first ones up to {loaded.max():.3f} s, the later runs' median {later.median():.3f} s"
    )
