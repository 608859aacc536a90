"""The harness on tiny synthetic data, driven in-process through Hydra's compose API."""

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from benchmarks import config, harness, results
from tests.conftest import ROOT, TINY, run_py

config.register()


def make_config(tmp_path, *overrides):
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose("config", overrides=[*TINY, f"results_dir={tmp_path}", *overrides])


def load(tmp_path):
    return pd.read_parquet(tmp_path / "runs.parquet")


def test_run_writes_one_row_per_epoch_with_the_schema(tmp_path):
    assert harness.run(make_config(tmp_path, "backend=torch", "epochs=3"), multirun=False) == "ok"
    runs = load(tmp_path)
    assert len(runs) == 3
    assert list(runs.columns) == list(results.COLUMNS)
    assert {c: str(t) for c, t in runs.dtypes.items()} == {
        c: str(pd.Series([], dtype=t).dtype) for c, t in results.COLUMNS.items()
    }
    assert runs.epoch.tolist() == [1, 2, 3]
    assert runs.warmup.tolist() == [True, False, False]
    assert (runs.status == "ok").all() and runs.run_id.nunique() == 1
    assert (runs.train_s > 0).all() and (runs.eval_s > 0).all() and (runs.setup_s > 0).all()
    assert (runs.examples_per_s == 200 / runs.train_s).all()
    assert runs.elapsed_train_s.tolist() == pytest.approx(runs.train_s.cumsum().tolist())
    assert runs.threads.eq(1).all() and runs.blas_threads.eq(1).all() and runs.torch_threads.eq(1).all()
    assert runs.test_acc.between(0, 1).all() and runs.loadavg_start.notna().all()


def test_time_to_target_is_cumulative_training_time(tmp_path):
    harness.run(make_config(tmp_path, "target_accuracy=0.0"), multirun=False)
    harness.run(make_config(tmp_path, "target_accuracy=1.0", "seed=1"), multirun=False)
    runs = load(tmp_path)
    reached, never = runs[runs.seed == 0], runs[runs.seed == 1]
    assert (reached.time_to_target_s == reached.train_s.iloc[0]).all()
    assert never.time_to_target_s.isna().all()


@pytest.mark.skipif(harness.env.cuda_available(), reason="this machine has a GPU")
def test_cuda_without_gpu_is_skipped_in_a_sweep_and_refused_in_a_single_run(tmp_path):
    cfg = make_config(tmp_path, "backend=torch", "device=cuda")
    assert harness.run(cfg, multirun=True) == "skipped"
    runs = load(tmp_path)
    assert runs.status.tolist() == ["skipped"] and runs.error.tolist() == ["CUDA not available"]
    with pytest.raises(harness.RunError, match="CUDA not available"):
        harness.run(cfg, multirun=False)


def test_numpy_backend_on_cuda_is_skipped(tmp_path):
    assert harness.run(make_config(tmp_path, "backend=numpy", "device=cuda"), multirun=True) == "skipped"
    assert "runs on cpu only" in load(tmp_path).error.iloc[0]


def test_diverged_run_is_marked_and_ended_early(tmp_path):
    cfg = make_config(tmp_path, "epochs=5", "backend.net._target_=tests.synthetic.NaNAfterFirstEpoch")
    assert harness.run(cfg, multirun=True) == "diverged"
    runs = load(tmp_path)
    assert runs.epoch.tolist() == [1, 2]
    assert (runs.status == "diverged").all() and runs.error.notna().all()


def test_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path):
    cfg = make_config(tmp_path, "backend.net._target_=tests.synthetic.RaisesInTraining")
    assert harness.run(cfg, multirun=True) == "failed"
    assert harness.run(make_config(tmp_path, "seed=1"), multirun=True) == "ok"
    runs = load(tmp_path)
    failed = runs[runs.status == "failed"]
    assert failed.error.tolist() == ["RuntimeError: injected fault"]
    assert (runs.status == "ok").sum() == 2
    assert len(list((tmp_path / "tracebacks").iterdir())) == 1


def test_resume_skips_finished_runs_unless_forced(tmp_path):
    cfg = make_config(tmp_path)
    harness.run(cfg, multirun=True)
    first = load(tmp_path)
    harness.run(cfg, multirun=True)
    assert load(tmp_path).equals(first)
    harness.run(make_config(tmp_path, "seed=1"), multirun=True)
    harness.run(make_config(tmp_path, "force=true"), multirun=True)
    assert load(tmp_path).run_id.nunique() == 3


def test_config_hash_separates_work_but_not_seeds(tmp_path):
    hashes = {
        overrides: harness.config_hash(make_config(tmp_path, *overrides), "cpu")
        for overrides in [(), ("seed=5",), ("batch_size=10",), ("backend=torch",), ("threads=2",)]
    }
    assert hashes[()] == hashes[("seed=5",)]
    assert len(set(hashes.values())) == 4


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("batch_size=ten", "batch_size"),
        ("no_such_key=1", "no_such_key"),
        ("backend=no_such_backend", "no_such_backend"),
        ("dtype=float16", "float16"),
        ("device=tpu", "tpu"),
    ],
)
def test_invalid_config_fails_at_start_with_hydras_message(override, message):
    done = run_py(override, "epochs=1")
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(harness.env.cuda_available(), reason="this machine has a GPU")
def test_single_cuda_run_without_gpu_exits_with_one_line(tmp_path):
    done = run_py("backend=torch", "device=cuda", f"results_dir={tmp_path}", *TINY)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == "error: CUDA not available"
    assert "Traceback" not in done.stderr


def test_multirun_subprocess_merges_all_jobs_and_keeps_hydra_dirs_in_results(tmp_path):
    done = run_py("-m", "backend=numpy,torch", "seed=0,1", f"results_dir={tmp_path}", *TINY)
    assert done.returncode == 0, done.stderr
    runs = load(tmp_path)
    assert runs.run_id.nunique() == 4 and (runs.status == "ok").all()
    assert (tmp_path / "hydra" / "multiruns").is_dir()
    assert not (ROOT / "multirun").exists() and not (ROOT / "outputs").exists()


def test_killed_sweep_keeps_every_finished_run(tmp_path):
    args = ["-m", "backend=numpy", "seed=0,1,2,3,4,5,6,7", "epochs=3", f"results_dir={tmp_path}"]
    sweep = subprocess.Popen(
        [sys.executable, "run.py", *args, *TINY[:1]],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    run_files = tmp_path / "runs"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(run_files.glob("*.parquet"))) < 2:
        time.sleep(0.05)
    os.kill(sweep.pid, signal.SIGKILL)
    sweep.wait()
    finished = {p.stem for p in run_files.glob("*.parquet")}
    assert 2 <= len(finished) < 8
    runs = load(tmp_path)
    assert finished <= set(runs.run_id)
    assert (runs.groupby("run_id").epoch.count() == 3).all() and (runs.status == "ok").all()
    assert set(results.merge(tmp_path).run_id) == finished
    assert not list(tmp_path.rglob("*.part"))


def test_unpinned_backend_records_the_threads_it_ran_with(tmp_path):
    import torch

    harness.run(make_config(tmp_path, "backend=torch_naive", "threads=1"), multirun=False)
    runs = load(tmp_path)
    assert (runs.torch_threads == torch.get_num_threads()).all()
    assert (runs.threads == runs.torch_threads).all()


def test_unimportable_implementation_is_one_line(tmp_path):
    done = run_py("backend.net._target_=impls.no_such_file.Network", f"results_dir={tmp_path}", *TINY)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: backend.net._target_=impls.no_such_file.Network: cannot be imported "
        "(No module named 'impls.no_such_file')"
    ]
