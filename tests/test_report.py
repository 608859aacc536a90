"""The report from small synthetic result sets: every plot and table, and partial data."""

import itertools
import re
import subprocess
import sys

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from benchmarks import report, results, source
from tests.conftest import ROOT

BASE = {
    "eta": 3.0,
    "epochs": 3,
    "dtype": "float32",
    "target_accuracy": 0.9,
    "setup_s": 0.1,
    "eval_s": 0.05,
    "peak_gflops": 100.0,
    "hostname": "testhost",
    "cpu_model": "Test CPU",
    "logical_cpus": 2,
    "python": "3.11",
    "numpy": "2.4",
    "torch": "2.13.0",
    "blas": "openblas",
    "git_commit": "abc123",
    "git_dirty": False,
    "started_at": pd.Timestamp("2026-11-28", tz="UTC"),
    "schema_version": results.SCHEMA_VERSION,
    "launcher": "basic",
    "parallel_jobs": 1,
    "loadavg_start": 0.1,
    "loadavg_end": 0.2,
}
SECONDS = {"numpy_loop": 2.0, "numpy": 0.2, "torch": 0.4}


def synthetic_runs(backends=("numpy_loop", "numpy", "torch"), devices=("cpu", "cuda")):
    rng = np.random.default_rng(0)
    rows = []
    grid = itertools.product(backends, devices, (10, 100), (30, 100), (0, 1), (1, 2), (0, 1))
    for backend, device, batch, hidden, seed, threads, load in grid:
        if device == "cuda" and backend != "torch":
            continue
        run_id = f"{backend}-{device}-{batch}-{hidden}-{seed}-{threads}-{load}"
        elapsed = 0.0
        for epoch in (1, 2, 3):
            train_s = SECONDS[backend] * (1 + threads * load) * (10 / batch) ** 0.5 * rng.uniform(0.95, 1.05)
            elapsed += train_s
            acc = 0.85 + 0.03 * epoch + rng.uniform(0, 0.01)
            rows.append(
                BASE
                | {
                    "run_id": run_id,
                    "config_hash": run_id,
                    "backend": backend,
                    "device": device,
                    "batch_size": batch,
                    "hidden": hidden,
                    "epoch": epoch,
                    "seed": seed,
                    "threads": threads,
                    "background_load": load,
                    "train_s": train_s,
                    "elapsed_train_s": elapsed,
                    "warmup": epoch == 1,
                    "examples_per_s": 50_000 / train_s,
                    "test_acc": acc,
                    "val_acc": acc,
                    "train_cost": 0.1 / epoch,
                    "time_to_target_s": 2 * train_s,
                    "status": "ok",
                }
            )
    rows.append(
        BASE
        | {"run_id": "skip", "backend": "torch", "device": "cuda", "batch_size": 10, "hidden": 30}
        | {
            "epoch": 0,
            "seed": 0,
            "threads": 1,
            "background_load": 0,
            "status": "skipped",
            "error": "CUDA not available",
            "config_hash": "x",
        }
    )
    rows.append(
        BASE
        | {"run_id": "div", "backend": "numpy", "device": "cpu", "batch_size": 10, "hidden": 30}
        | {
            "epoch": 1,
            "seed": 5,
            "threads": 1,
            "background_load": 0,
            "status": "diverged",
            "error": "cost or parameters not finite",
            "config_hash": "y",
            "train_s": 99.0,
            "warmup": True,
            "test_acc": np.nan,
        }
    )
    return results.to_frame(rows)


def render(tmp_path, runs):
    path = tmp_path / "runs.parquet"
    runs.to_parquet(path)
    report.main([str(path)])
    return tmp_path / "report"


def images_in(markdown: str) -> set[str]:
    return set(re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown))


def test_full_report_has_every_plot_and_table(tmp_path):
    out = render(tmp_path, synthetic_runs())
    markdown = (out / "report.md").read_text()
    pngs = {p.name for p in out.glob("*.png")}
    assert pngs == set(report.PLOTS)
    assert images_in(markdown) == pngs
    for png in pngs:
        image = matplotlib.image.imread(out / png)
        assert image.ndim == 3 and min(image.shape[:2]) > 200
    for heading in (
        "Environment",
        "Summary per configuration",
        "Ease of use",
        "Flexibility",
        "What did not run",
        "Noise",
    ):
        assert f"## {heading}" in markdown
    assert "CUDA not available" in markdown and "diverged" in markdown
    assert "Test CPU" in markdown and "4·784·h + 6·10·h" in markdown


def test_diverged_runs_are_never_plotted_as_times(tmp_path):
    runs = synthetic_runs()
    stats = report.timed(report.prepare(runs))
    assert 99.0 not in stats.train_s.values


def test_speedup_uses_shared_settings(tmp_path):
    runs = report.prepare(synthetic_runs())
    speed = report.speedups(runs)
    numpy_fast = speed[
        (speed.backend == "numpy")
        & (speed.batch_size == 10)
        & (speed.threads == 1)
        & (speed.background_load == 0)
    ]
    assert numpy_fast.speedup.between(8, 12).all()


def test_single_backend_report_replaces_missing_plots_with_notes(tmp_path):
    runs = synthetic_runs(backends=("numpy",), devices=("cpu",))
    runs = runs[(runs.backend == "numpy") & (runs.threads == 1) & (runs.status == "ok")]
    out = render(tmp_path, runs)
    markdown = (out / "report.md").read_text()
    pngs = {p.name for p in out.glob("*.png")}
    assert "speedup.png" not in pngs and "threads.png" not in pngs
    assert images_in(markdown) == pngs
    assert markdown.count("_No data for this plot in these results._") == len(report.PLOTS) - len(pngs)


def test_rerun_overwrites_only_its_own_files(tmp_path):
    out = render(tmp_path, synthetic_runs())
    (out / "notes.txt").write_text("mine")
    runs = synthetic_runs(backends=("numpy",), devices=("cpu",))
    render(tmp_path, runs[runs.threads == 1])
    assert (out / "notes.txt").read_text() == "mine"
    assert not (out / "speedup.png").exists()


@pytest.mark.parametrize("content", [None, "empty"])
def test_missing_or_empty_parquet_gives_one_line(tmp_path, content):
    path = tmp_path / "runs.parquet"
    if content == "empty":
        results.to_frame([]).to_parquet(path)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.report", str(path)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error:")


def test_flops_formula_matches_the_issue_figure():
    assert report.flops_per_example(30) * 50_000 == pytest.approx(4.8e9, rel=0.01)


def test_logical_lines_leave_out_comments_and_docstrings():
    code = (
        '"""Doc."""\n\n# comment\ndef f(x):\n    """Doc\n    more."""\n'
        "    y = (x +\n         1)\n    return y\n"
    )
    assert source.logical_lines(code) == 3


def test_flexibility_is_derived_from_the_implementations():
    table = source.flexibility_table().set_index("backend")
    for name, cls in source.implementations().items():
        assert (table.loc[name, "GPU"] == "yes") == ("cuda" in cls.devices)
        assert "float32" in table.loc[name, "dtypes"] and "float64" in table.loc[name, "dtypes"]
    assert set(table.autograd) == {"yes", "no"}


def test_results_of_schema_version_1_still_render(tmp_path):
    old = synthetic_runs().drop(columns=["launcher", "parallel_jobs"]).assign(schema_version=1)
    out = render(tmp_path, old)
    assert (out / "epoch_time.png").exists()
    upgraded = results.upgrade(old)
    assert (upgraded.launcher == "basic").all() and (upgraded.parallel_jobs == 1).all()


def test_results_from_a_newer_schema_give_one_line(tmp_path):
    path = tmp_path / "runs.parquet"
    synthetic_runs().assign(schema_version=results.SCHEMA_VERSION + 1).to_parquet(path)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.report", str(path)], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error:") and "update backprop-bench" in done.stderr


def test_parallel_jobs_are_kept_out_of_the_plots(tmp_path):
    runs = report.prepare(synthetic_runs())
    shared = runs.assign(parallel_jobs=2, run_id=runs.run_id + "-parallel", train_s=runs.train_s * 100)
    both = pd.concat([runs, shared])
    assert (
        report.timed(report.standard(both)).train_s.max() == report.timed(report.standard(runs)).train_s.max()
    )


def test_a_peer_that_never_ran_at_the_usual_thread_count_is_plotted_at_its_own():
    runs = synthetic_runs(backends=("numpy", "torch"), devices=("cpu",))
    naive = runs[(runs.backend == "torch") & (runs.threads == 2) & (runs.seed == 0)].assign(
        backend="torch_naive", run_id=lambda f: f.run_id + "-naive"
    )
    runs = runs[(runs.threads == 1) | (runs.backend == "numpy")]  # torch ran at 1 thread only
    shown = report.standard(report.prepare(pd.concat([runs, naive])))
    assert (shown[shown.backend != "torch_naive"].threads == 1).all()
    assert set(shown[shown.backend == "torch_naive"].label) == {"torch_naive (cpu, 2 threads)"}
    assert not shown[shown.backend != "torch_naive"].label.str.contains("threads").any()
