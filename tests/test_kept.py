"""benchmarks.report.kept and .figures: the source measurements and figures kept by the hash of what
they measured or drew, read back while the code is unchanged, measured or drawn again where it changed
or where an entry cannot be trusted."""

import base64
import json
import shutil

import matplotlib.figure
import pandas as pd
import pytest

from benchmarks.report import figures, kept, source
from tests.conftest import ROOT, render, synthetic_runs

YOURS = ROOT / "examples" / "network.py"


def counting(calls: list):
    """A measurement that records the requests it is asked for and gives each its backend's name."""

    def measure(requests):
        calls.extend(requests)
        return [request[0] for request in requests]

    return measure


@pytest.fixture
def own_folder(tmp_path, monkeypatch):
    """Measurements kept in a folder of the test's own, not the test run's."""
    monkeypatch.setenv(kept.FOLDER_VARIABLE, str(tmp_path / "kept"))
    return tmp_path / "kept"


def yours_file(tmp_path):
    copy = tmp_path / "mine" / "network.py"
    copy.parent.mkdir()
    shutil.copy(YOURS, copy)
    return copy


def test_what_is_kept_is_read_back_and_a_changed_file_is_measured_again_alone(tmp_path, own_folder):
    copy = yours_file(tmp_path)
    requests = [["numpy", {}], ["yours", {"path": str(copy)}]]
    calls = []
    assert kept.measurements("test", requests, counting(calls)) == ["numpy", "yours"]
    assert kept.measurements("test", requests, counting(calls)) == ["numpy", "yours"]
    assert calls == requests
    copy.write_text(copy.read_text() + "\nLEARNING_RATE = 3.0\n")
    calls.clear()
    kept.measurements("test", requests, counting(calls))
    assert calls == [["yours", {"path": str(copy)}]]


def test_another_version_of_a_library_is_measured_again(monkeypatch, own_folder):
    calls = []
    kept.measurements("test", [["numpy", {}]], counting(calls))
    monkeypatch.setattr(kept, "library_versions", lambda modules, required=False: (("numpy", "0.1"),))
    kept.measurements("test", [["numpy", {}]], counting(calls))
    assert len(calls) == 2


def test_a_backends_code_holds_the_helpers_it_imports_for_their_changes_to_measure_it_again():
    files = {
        name: {f.relative_to(ROOT).as_posix() for f in kept.backend_code(name)[0]}
        for name in ("numpy", "torch")
    }
    assert files["numpy"] == {"impls/__init__.py", "impls/numpy_batch.py"}  # one_hot, from the package
    assert "impls/cuda_graphs.py" in files["torch"]
    assert ROOT / "benchmarks" / "learner" / "adapter.py" in kept.backend_code("yours")[0]


def test_an_entry_that_records_other_inputs_is_not_trusted(capsys, own_folder):
    calls = []
    kept.measurements("test", [["numpy", {}]], counting(calls))
    path, recorded = kept.entry("test", ["numpy", {}])
    path.write_text(json.dumps({"inputs": recorded | {"code": "another"}, "value": "stale"}))
    assert kept.measurements("test", [["numpy", {}]], counting(calls)) == ["numpy"]
    assert len(calls) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (
        f"warning: source measurement {path} records other inputs than its name stands for: measured again"
    )


def test_a_folder_that_cannot_be_written_loses_nothing(tmp_path, monkeypatch, capsys):
    (tmp_path / "a file").write_text("")
    monkeypatch.setenv(kept.FOLDER_VARIABLE, str(tmp_path / "a file" / "kept"))
    calls = []
    assert kept.measurements("test", [["numpy", {}]], counting(calls)) == ["numpy"]
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"warning: source measurement not kept in {tmp_path / 'a file' / 'kept'} (")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a file"]


def small_runs(yours=None):
    """numpy_loop's and numpy's runs on the CPU, and numpy_loop's again as `yours` at the path given."""
    runs = synthetic_runs(backends=("numpy_loop", "numpy"), devices=("cpu",))
    if yours is None:
        return runs
    theirs = runs[runs.backend == "numpy_loop"].assign(
        backend="yours", backend_options=json.dumps({"path": str(yours)})
    )
    return pd.concat(
        [runs, theirs.assign(run_id="yours-" + theirs.run_id, config_hash="yours-" + theirs.config_hash)],
        ignore_index=True,
    )


def report(folder, runs):
    """The report of these runs, rendered in a folder of its own."""
    folder.mkdir()
    return render(folder, runs)


def never(*args, **kwargs):
    raise AssertionError("measured again, with the code unchanged")


def files_of(folder) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.name != "runs.parquet"}


def test_a_second_report_measures_and_draws_nothing_and_writes_what_a_report_with_none_kept_writes(
    tmp_path, monkeypatch, own_folder
):
    runs = small_runs()
    first = report(tmp_path / "first", runs)
    for measuring in ("traced_apart", "gradient_error", "trains_in"):
        monkeypatch.setattr(source, measuring, never)
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", never)
    second = report(tmp_path / "second", runs)
    written = files_of(first)
    assert {"report.md", "report.html", "answers.json", "epoch_time.png", "flexibility.png"} <= set(written)
    assert files_of(second) == written


def test_figures_kept_with_other_bytes_than_recorded_are_drawn_again_alike(tmp_path, capsys, own_folder):
    runs = small_runs()
    first = report(tmp_path / "first", runs)
    (entry,) = own_folder.glob("figures-plots-*.json")
    saved = json.loads(entry.read_text())
    image = saved["value"]["files"]["epoch_time.png"]
    image["png"] = base64.b64encode(base64.b64decode(image["png"])[:-1] + b"\0").decode()
    entry.write_text(json.dumps(saved))
    capsys.readouterr()
    second = report(tmp_path / "second", runs)
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert line == f"warning: figures {entry} hold no intact copy of what was drawn: drawn again"
    assert files_of(second) == files_of(first)
    assert figures.trusted(json.loads(entry.read_text())["value"]) is not None  # kept whole again


def test_figures_are_kept_by_their_data():
    runs = small_runs()
    changed = runs.assign(train_s=runs.train_s.where(runs.index != 3, runs.train_s * 1.01))
    renamed = runs.rename(columns={"train_s": "seconds"})
    digests = {figures.frame_digest(frame) for frame in (runs, runs.copy(), changed, renamed)}
    assert len(digests) == 3


def ease_cells(markdown: str, label: str) -> list[str]:
    """The cells of the backend's row in Ease of use's first table: backend, statements run to train,
    logical lines in those files, files."""
    rows = [line.strip("|").split("|") for line in markdown.splitlines() if line.startswith(f"| {label} |")]
    (row,) = [row for row in rows if len(row) == 4 and row[1].strip().isdigit()]
    return [cell.strip() for cell in row]


def test_a_changed_implementation_is_measured_again_and_the_report_shows_it(tmp_path, monkeypatch):
    copy = yours_file(tmp_path)
    runs = small_runs(yours=copy)
    label = source.request_label("yours", {"path": str(copy)})
    before = ease_cells((report(tmp_path / "before", runs) / "report.md").read_text(), label)
    text = copy.read_text()
    step = "    def update_mini_batch(self, mini_batch, eta):\n"
    copy.write_text(text.replace(step, step + "        eta = float(eta)\n"))
    traced, checked = [], []
    trace, check = source.traced_apart, source.gradient_error
    monkeypatch.setattr(source, "traced_apart", lambda requests: traced.extend(requests) or trace(requests))
    monkeypatch.setattr(
        source,
        "gradient_error",
        lambda cls, options, *more: checked.append(options) or check(cls, options, *more),
    )
    after = ease_cells((report(tmp_path / "after", runs) / "report.md").read_text(), label)
    assert traced == [["yours", {"path": str(copy)}]] and checked == [{"path": str(copy)}]
    assert int(after[1]) == int(before[1]) + 1  # statements run to train
    assert int(after[2]) == int(before[2]) + 1  # logical lines in those files


def test_a_truncated_entry_gives_a_warning_and_the_same_report(tmp_path, capsys):
    runs = small_runs()
    first = report(tmp_path / "first", runs)
    entry, _ = kept.entry("trace", ["numpy", source.backend_options("numpy")])
    entry.write_text(entry.read_text()[:100])
    capsys.readouterr()
    second = report(tmp_path / "second", runs)
    (line,) = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert line == f"warning: source measurement {entry} cannot be read (JSONDecodeError): measured again"
    for name in ("report.md", "answers.json"):
        assert (second / name).read_text() == (first / name).read_text()
    assert json.loads(entry.read_text())["value"]  # kept whole again
