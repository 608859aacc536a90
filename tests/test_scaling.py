"""The Scaling section from synthetic runs whose growth is known, the slope fit, and the measurement
of peak memory and of the GEMM peak at the run's thread count."""

import time

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from benchmarks import config, env, harness, results
from benchmarks.commands import profile
from benchmarks.report import scaling, summary
from benchmarks.report.answers import pays_off_from
from benchmarks.report.render import Figure, Heading, Missing, Table
from impls.numpy_batch import NumpyBatch
from tests.conftest import BASE, ROOT, TINY

HIDDEN = (30, 100, 300, 1000, 3000)
# Seconds per epoch: numpy grows as the FLOPs do (slope 1), torch is dominated by a fixed cost.
SECONDS = {"numpy": lambda hidden: 1e-3 * hidden, "torch": lambda hidden: 2.0 + 1e-6 * hidden}


def scale_runs(hidden_sizes=HIDDEN, batches=(100, 1000), two_threads_gain=1.6) -> pd.DataFrame:
    """Three epochs (the first warm-up) per backend, hidden, batch and thread count; a second thread
    makes every run `two_threads_gain` times as fast from hidden 300 up, not at all below."""
    rows = []
    for backend, hidden, batch, threads in (
        (b, h, m, t) for b in SECONDS for h in hidden_sizes for m in batches for t in (1, 2)
    ):
        seconds = SECONDS[backend](hidden) / (two_threads_gain if threads == 2 and hidden >= 300 else 1)
        run_id = f"{backend}-{hidden}-{batch}-{threads}"
        for epoch in (1, 2, 3):
            rows.append(
                BASE
                | {
                    "run_id": run_id,
                    "config_hash": run_id,
                    "backend": backend,
                    "device": "cpu",
                    "batch_size": batch,
                    "hidden": hidden,
                    "hidden_layers": str(hidden),
                    "epoch": epoch,
                    "seed": 0,
                    "threads": threads,
                    "background_load": 0,
                    "train_s": seconds,
                    "warmup": epoch == 1,
                    "examples_per_s": 50_000 / seconds,
                    "test_acc": 0.9,
                    "status": "ok",
                    "peak_rss_mb": 500 + 0.1 * hidden,
                }
            )
    return summary.prepare(results.to_frame(rows))


def test_slopes_recover_how_time_grows_from_hidden_300_up():
    fits = scaling.slopes(scaling.medians(scale_runs()))
    numpy = fits[fits.label.str.startswith("numpy")]
    torch = fits[fits.label.str.startswith("torch")]
    assert len(fits) == 8  # two backends, two batches, two thread counts
    assert np.allclose(numpy.slope, 1.0)
    assert (torch.slope < 0.05).all()
    assert set(fits["hidden sizes"]) == {"300, 1000, 3000"}


def test_a_second_thread_pays_off_from_the_first_size_of_an_unbroken_run_of_gains():
    line = pd.DataFrame({"hidden": [30, 100, 300, 1000, 3000], "gain": [1.3, 0.98, 1.2, 1.5, 1.7]})
    assert pays_off_from(line) == 300
    assert pays_off_from(line.assign(gain=0.9)) is None
    assert pays_off_from(line.assign(gain=[1.2, 1.3, 1.4, 1.5, 1.0])) is None


def test_section_draws_four_figures_and_says_what_they_show(tmp_path):
    section = scaling.blocks(scale_runs(), tmp_path)
    figures = {block.file: block.caption for block in section if isinstance(block, Figure)}
    assert set(figures) == set(scaling.FIGURES)
    assert {p.name for p in tmp_path.glob("*.png")} == set(scaling.FIGURES)
    assert [b.text for b in section if isinstance(b, Heading)][0] == "Scaling"
    assert "slopes run from 0.00 to 1.00; 2 of 4 lie within 0.9–1.1" in figures["scaling_time.png"]
    assert "numpy (cpu) from hidden 300 (best 1.60×" in figures["scaling_threads.png"]
    assert "At hidden 3000, from 800 MiB" in figures["scaling_memory.png"]
    slopes = next(b.frame for b in section if isinstance(b, Table))
    assert list(slopes.slope) == ["1.00", "0.00", "1.00", "0.00", "1.00", "0.00", "1.00", "0.00"]


def test_section_without_large_sizes_says_what_produces_it(tmp_path):
    section = scaling.blocks(scale_runs(hidden_sizes=(30, 100)), tmp_path)
    assert isinstance(section[-1], Missing) and "`make scale`" in section[-1].text
    assert not list(tmp_path.glob("*.png"))


def test_peak_memory_sees_an_allocation_and_starts_afresh():
    size_mb = 200
    memory = env.PeakMemory()
    block = np.ones(size_mb * 2**20 // 8)  # written, so resident
    del block
    first = memory.stop()["peak_rss_mb"]
    second = env.PeakMemory().stop()["peak_rss_mb"]
    assert first >= second + 0.9 * size_mb  # the second measurement does not inherit the first's peak
    assert env.PeakMemory().stop()["peak_device_mb"] is None


def test_peak_memory_falls_back_to_sampling_where_the_peak_cannot_be_reset(monkeypatch):
    monkeypatch.setattr(env, "reset_rss_peak", lambda: False)
    memory = env.PeakMemory()
    assert memory.how == "VmRSS sampled"
    start = env.status_kib("VmRSS") / 1024
    block = np.ones(200 * 2**20 // 8)
    deadline = time.monotonic() + 60  # only stops a sampler that never samples: however busy the machine
    while memory.sampler.peak_kib < (start + 180) * 1024:
        assert time.monotonic() < deadline, "the sampler saw no allocation within 60 s"
        time.sleep(0.001)
    del block  # gone before stop(): only a sample taken while it was held can report it
    assert env.status_kib("VmRSS") / 1024 < start + 180
    assert memory.stop()["peak_rss_mb"] >= start + 180


class AllocatesWhileTraining(NumpyBatch):
    """Trains normally, and holds 300 MB for a moment in every epoch."""

    def train_epoch(self, order, batch_size, eta):
        block = np.ones(300 * 2**20 // 8)
        super().train_epoch(order, batch_size, eta)
        del block


def test_each_run_of_a_sweep_in_one_process_records_its_own_peak(tmp_path):
    config.register()

    def run(*overrides):
        with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
            cfg = compose("config", overrides=[*TINY, f"results_dir={tmp_path}", *overrides])
        assert harness.run(cfg, multirun=True) == "ok"

    run("backend.net._target_=tests.test_scaling.AllocatesWhileTraining")
    run("seed=1")
    rows = results.load(tmp_path / "runs.parquet")
    peaks = rows.groupby("seed").peak_rss_mb.agg(["min", "max"])
    assert (peaks["min"] == peaks["max"]).all()  # one figure per run, on each of its rows
    assert peaks.loc[0, "max"] >= peaks.loc[1, "max"] + 250
    assert rows.peak_device_mb.isna().all()


@pytest.mark.parametrize("framework", ["numpy", "torch"])
def test_gemm_peak_is_measured_at_the_run_thread_count(monkeypatch, framework):
    seen = []

    def record(fn, repeats, synchronize=lambda: None, clock=None):
        seen.append(env.thread_counts())
        return 1.0

    monkeypatch.setattr(env, "best_seconds", record)
    _, source = env.gemm_peak.__wrapped__(framework, "float32", "cpu", 2, size=8)
    counted = seen[0]["torch_threads" if framework == "torch" else "blas_threads"]
    assert counted == 2 and source.endswith("2 threads")


def test_profile_splits_a_numpy_step_by_kind_and_sets_the_library_beside_it(capsys):
    assert profile.main(["--hidden", "30", "--batch", "10", "--backends", "numpy", "--steps", "2"]) == 0
    out = capsys.readouterr().out
    for kind in profile.KINDS:
        assert kind in out
    assert "a1 = a0 @ W1.T" in out and "sigmoid a1: exp" in out
    assert "The library alone: the step's GEMMs as bare numpy products" in out
    assert "10×784 @ 784×30" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--backends", "nunpy"], "--backends: unknown backend nunpy; choose from"),
        (["--batch", "0"], "--batch=0: must be at least 1"),
        (["--steps", "100", "--batch", "1000"], "--steps × --batch = 100000: must be at most 50000"),
    ],
)
def test_profile_refuses_bad_settings_in_one_line(capsys, argv, message):
    assert profile.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1
