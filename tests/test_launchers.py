"""Sweeps through Hydra's joblib and submitit-local launchers land in one runs.parquet."""

import pandas as pd

from tests.conftest import TINY, run_py

SEEDS = "seed=0,1,2,3"


def sweep(tmp_path, *args):
    return run_py("-m", SEEDS, f"results_dir={tmp_path}", *TINY, *args, timeout=300)


def runs_in(tmp_path):
    return pd.read_parquet(tmp_path / "runs.parquet").groupby("run_id").first()


def test_joblib_sweep_with_two_jobs(tmp_path):
    done = sweep(tmp_path, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "threads=1")
    assert done.returncode == 0, done.stderr
    runs = runs_in(tmp_path)
    assert len(runs) == 4 and sorted(runs.seed) == [0, 1, 2, 3]
    assert (runs.launcher == "joblib").all() and (runs.parallel_jobs == 2).all()
    # joblib limits BLAS threads in its workers; the harness's own setting still wins.
    assert (runs.blas_threads == 1).all() and (runs.torch_threads == 1).all()


def test_submitit_local_sweep_of_four_jobs(tmp_path):
    done = sweep(tmp_path, "hydra/launcher=submitit_local")
    assert done.returncode == 0, done.stderr
    runs = runs_in(tmp_path)
    assert len(runs) == 4 and (runs.status == "ok").all()
    assert (runs.launcher == "submitit_local").all() and (runs.parallel_jobs == 4).all()


def test_killed_submitit_job_is_completed_by_a_rerun(tmp_path):
    args = [
        "hydra/launcher=submitit_local",
        "backend.net._target_=tests.synthetic.KilledOnce",
        f"+backend.net.kill_marker={tmp_path / 'killed'}",
    ]
    first = sweep(tmp_path, *args)
    assert first.returncode != 0, "the sweep must report the killed job"
    survivors = runs_in(tmp_path)
    assert len(survivors) == 3 and (survivors.status == "ok").all()

    second = sweep(tmp_path, *args)
    assert second.returncode == 0, second.stderr
    runs = runs_in(tmp_path)
    assert len(runs) == 4 and sorted(runs.seed) == [0, 1, 2, 3]
    assert set(survivors.index) < set(runs.index)


def test_a_preset_key_given_on_the_command_line_counts_once(tmp_path):
    from omegaconf import OmegaConf

    from benchmarks.launchers import sweep_batch_size

    saved = {
        "hydra": {
            "sweeper": {"params": {"backend": "numpy,torch,jax", "batch_size": "10,100"}},
            "overrides": {"task": ["backend=numpy", "seed=0,1", "+sweep=default"]},
        }
    }
    OmegaConf.save(saved, tmp_path / "multirun.yaml")
    assert sweep_batch_size(tmp_path) == 4  # numpy only, 2 batch sizes, 2 seeds
