"""The guides' facts against their one source: lists the code owns, and figures quoted from the samples.

A list in a guide is checked against the code that owns it, so that a column, a configuration field, a
status, a protocol method, a preset's backend or a conf/ folder added to the code without a word in
the guide fails here, naming what is missing and where. A figure quoted from a committed sample
(docs/report/, docs/report-scale/) is read back from the sample with the tolerance its wording implies,
so that a regenerated sample that disagrees names the line to update.
"""

import inspect
import re
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
import yaml

import impls
from benchmarks import configuration, results
from benchmarks.report import scaling, summary
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


# Figures quoted from the committed samples. Each is read back from the sample; a figure written
# "about X" may differ from it by 10% (at least one unit of its last digit), any other by half a unit
# of its last digit, as rounding allows.
SAMPLE = ROOT / "docs" / "report"
SCALE_SAMPLE = ROOT / "docs" / "report-scale"
READING = "docs/reading-the-report.md"


@cache
def sample_epochs() -> pd.DataFrame:
    """The sample's timed epochs at one thread, alone on an idle machine, as the report plots them."""
    runs = summary.standard(summary.prepare(results.load(SAMPLE / "runs.parquet")))
    return summary.timed(runs)[lambda epochs: epochs.threads == 1]


def epoch_s(backend: str, batch: int, hidden: int) -> float:
    epochs = sample_epochs()
    chosen = epochs[(epochs.backend == backend) & (epochs.batch_size == batch) & (epochs.hidden == hidden)]
    assert len(chosen), f"the sample has no timed epoch of {backend} at batch {batch}, hidden {hidden}"
    return chosen.train_s.median()


def peak(backend: str) -> float:
    return sample_epochs()[lambda epochs: epochs.backend == backend].peak_gflops.median()


def share_percent(backend: str, batch: int, hidden: int) -> float:
    achieved = summary.flops_per_example(hidden) * 50_000 / epoch_s(backend, batch, hidden) / 1e9
    return 100 * achieved / peak(backend)


def step_us(backend: str, batch: int, hidden: int) -> float:
    return epoch_s(backend, batch, hidden) / (50_000 / batch) * 1e6


SAMPLE_FIGURES = [
    (READING, r"about (\d+) GFLOP/s in\s+NumPy's OpenBLAS", [lambda: peak("numpy")]),
    (READING, r"about (\d+) GFLOP/s in JAX's", [lambda: peak("jax")]),
    (READING, r"about (\d+) GFLOP/s in torch's", [lambda: peak("torch")]),
    (
        READING,
        r"batch 1000, hidden 30,\s+`numpy` reaches about (\d+)% of it, `torch` about (\d+)%, "
        r"`torch_autograd` about (\d+)%\s+and `jax` about (\d+)%",
        [lambda b=b: share_percent(b, 1000, 30) for b in ("numpy", "torch", "torch_autograd", "jax")],
    ),
    (
        READING,
        r"At batch 10, hidden 30 they reach about (\d+)% \(`numpy`, about\s+(\d+) µs a step\), "
        r"about (\d+)% \(`torch`, about (\d+) µs\), about (\d+)% \(`torch_autograd`,\s+about (\d+) µs\), "
        r"about (\d+)% \(`numba`, about (\d+) µs\) and about (\d+)% \(`jax`, about\s+(\d+) µs\)",
        [
            figure
            for b in ("numpy", "torch", "torch_autograd", "numba", "jax")
            for figure in (lambda b=b: share_percent(b, 10, 30), lambda b=b: step_us(b, 10, 30))
        ],
    ),
    (
        READING,
        r"against about ([\d.]+), ([\d.]+) and ([\d.]+) s in the sample's",
        [lambda b=b: epoch_s(b, 10, 30) for b in ("numpy", "torch", "torch_autograd")],
    ),
    (READING, r"`numba`, about (\d+) µs a step in the sample", [lambda: step_us("numba", 10, 30)]),
    (READING, r"at about (\d+)% of the BLAS\s+peak", [lambda: share_percent("numba", 10, 30)]),
    (
        READING,
        r"about ([\d.]+) s an epoch at batch 1000\s+against about ([\d.]+) s at batch 10, where `numpy` "
        r"goes from about ([\d.]+) to about\s+([\d.]+) s",
        [
            lambda: epoch_s("numba", 1000, 30),
            lambda: epoch_s("numba", 10, 30),
            lambda: epoch_s("numpy", 10, 30),
            lambda: epoch_s("numpy", 1000, 30),
        ],
    ),
    (READING, r"`jax`, about (\d+) µs a step in the sample", [lambda: step_us("jax", 10, 30)]),
]


def tolerance(text: str, start: int, shown: str) -> float:
    unit = 10.0 ** -len(shown.partition(".")[2])
    if re.search(r"about\s*$", text[max(0, start - 12) : start]):
        return max(0.1 * float(shown), unit)
    return unit / 2


def line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


@pytest.mark.parametrize(
    ("doc", "pattern", "sources"), SAMPLE_FIGURES, ids=[f"{doc}: {p[:40]}" for doc, p, _ in SAMPLE_FIGURES]
)
def test_each_figure_quoted_from_the_sample_is_the_samples(doc, pattern, sources):
    text = (ROOT / doc).read_text()
    match = re.search(pattern, text)
    assert match, f"{doc} no longer says /{pattern}/: update this test with the text that replaced it"
    for i, source in enumerate(sources, start=1):
        shown, value = match.group(i), source()
        assert abs(float(shown) - value) <= tolerance(text, match.start(i), shown) + 1e-9, (
            f"{doc}:{line_of(text, match.start(i))} says {shown} where the sample has {value:.4g}"
        )


def test_numbas_compile_time_is_paid_once_in_the_sample():
    """reading-the-report.md: numba's first run's setup_s is seconds, the later runs' a few milliseconds."""
    runs = results.load(SAMPLE / "runs.parquet")
    numba = runs[(runs.backend == "numba") & (runs.status == "ok")].sort_values("started_at")
    setups = numba.groupby("run_id", sort=False).setup_s.first()
    assert setups.iloc[0] >= 1 and setups.iloc[1:].median() < 0.05, (
        f"{READING}, numba's bullet: the sample's first setup is {setups.iloc[0]:.2f} s, the later ones' "
        f"median {setups.iloc[1:].median():.3f} s"
    )


def profile_steps() -> dict[str, tuple[float, float, float]]:
    """profile.txt's `== backend: MS ms per step, SHARE% of PEAK` lines."""
    text = (SCALE_SAMPLE / "profile.txt").read_text()
    found = re.findall(r"^== (\w+): ([\d.]+) ms per step, (\d+)% of ([\d.]+)", text, re.M)
    return {backend: tuple(map(float, figures)) for backend, *figures in found}


def profile_kinds(backend: str) -> dict[str, int]:
    """The `share of step` of each kind of operation in profile.txt's table for the backend."""
    text = (SCALE_SAMPLE / "profile.txt").read_text()
    table = text.partition(f"== {backend}:")[2].partition("\n\n")[0]
    return {kind: int(share) for kind, share in re.findall(r"^(\w[\w ]*?)\s+[\d.]+\s+(\d+)%$", table, re.M)}


KINDS = {
    "GEMMs": "GEMM",
    "elementwise": "elementwise",
    "gathers": "copies and gathers",
    "Python between operations": "outside operations",
}


def test_the_profile_table_is_profile_txts():
    text = (ROOT / READING).read_text()
    rows = re.findall(r"^\| (\w+) \| ([\d.]+) \| (\d+)% of (?:numpy's )?(\d+)(.*)\|(.*)\|$", text, re.M)
    steps = profile_steps()
    assert len(rows) == len(steps) >= 4, (
        f"{READING}: the profile table has {len(rows)} rows, profile.txt {steps}"
    )
    for backend, ms, share, gflops, _, rest in rows:
        line = line_of(text, text.index(f"| {backend} | {ms} |"))
        assert (float(ms), float(share), float(gflops)) == steps[backend], (
            f"{READING}:{line} says {ms} ms, {share}% of {gflops} for {backend}; profile.txt has "
            f"{steps[backend]}"
        )
        kinds = profile_kinds(backend)
        for word, percent in re.findall(
            r"(GEMMs|elementwise|gathers|Python between operations)[^,%|]*?(\d+)%", rest
        ):
            in_profile = kinds[KINDS[word]]
            assert in_profile == int(percent), (
                f"{READING}:{line} says {word} {percent}% for {backend}; profile.txt has {in_profile}%"
            )


def peer_medians() -> pd.Series:
    peers = pd.read_parquet(SAMPLE / "peers.parquet")
    return peers.groupby(["background_load", "backend", "pinned"]).train_s.median()


def test_the_peers_table_is_peers_parquets():
    """The make perf table in reading-the-report.md, from docs/report/peers.parquet, as
    benchmarks.commands.peers computes it: medians per backend, ratios of medians."""
    text = (ROOT / READING).read_text()
    medians = peer_medians()
    rows = re.finditer(
        r"^\| (`(\w+)`)? \| ([\d.]*) \| `(\w+)`, (1 thread|its default)[^|:]*:? ?([\d.]*) \| "
        r"([\d.]+)× \| ([\d.]+)× \|$",
        text,
        re.M,
    )
    backend, checked = None, 0
    for row in rows:
        backend = row.group(2) or backend
        peer, pinned = row.group(4), row.group(5) == "1 thread"
        line = line_of(text, row.start())
        quoted = [(row.group(3), medians[0, backend, True]), (row.group(6), medians[0, peer, pinned])]
        quoted += [(row.group(7), medians[0, peer, pinned] / medians[0, backend, True])]
        quoted += [(row.group(8), medians[1, peer, pinned] / medians[1, backend, True])]
        for shown, value in quoted:
            if shown:
                assert abs(float(shown) - value) <= tolerance(text, 0, shown) + 1e-9, (
                    f"{READING}:{line} says {shown} where docs/report/peers.parquet gives {value:.4g}"
                )
        checked += 1
    assert checked >= 6, f"{READING}: the peers table was not found"
    overhead = pd.read_parquet(SAMPLE / "peers.parquet").harness_overhead_s.dropna().median()
    assert overhead < 0.01 * medians.min(), (
        f"{READING}: the harness's overhead is {overhead:.2g} s, not under 1%"
    )


def test_the_readme_prints_the_report_beside_the_parquet_it_read():
    readme = (ROOT / "README.md").read_text()
    runs, parquet = re.search(r"^Answers, from (\d+) runs in (\S+):$", readme, re.M).groups()
    report = re.search(r"^Full report: (\S+) and", readme, re.M).group(1)
    assert Path(report) == Path(parquet).parent / "report" / "report.md", (
        f"README.md:{line_of(readme, readme.index('Full report:'))}: the report goes into report/ beside "
        f"{parquet}, not to {report}"
    )
    sample = results.load(SAMPLE / "runs.parquet").run_id.nunique()
    assert int(runs) == sample, f"README.md says {runs} runs; docs/report/runs.parquet holds {sample}"


def test_make_scales_duration_is_one_figure_everywhere():
    """The measured time of `make scale` (reading-the-report.md, the samples) rounded to minutes is what
    the Makefile, the preset and the report's note say."""
    measured = re.search(
        r"`make scale` on the same machine \((\d+) min (\d+) s\)", (ROOT / READING).read_text()
    )
    assert measured, f"{READING} no longer says how long `make scale` took"
    minutes = round(int(measured.group(1)) + int(measured.group(2)) / 60)
    for path, text in [
        ("Makefile", (ROOT / "Makefile").read_text().partition("\nscale:")[0].rpartition("\n\n")[2]),
        ("conf/sweep/scale.yaml", (ROOT / "conf" / "sweep" / "scale.yaml").read_text()),
        ("benchmarks/report/scaling.py", scaling.NEEDS),
    ]:
        said = re.findall(r"(\d+) minutes", text)
        assert said == [str(minutes)], f"{path} says {said} minutes for make scale; it took {minutes}"
