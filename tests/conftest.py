import itertools
import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks import env, results
from benchmarks.data import load_mnist
from benchmarks.registry import backend_options, implementations, unavailable
from benchmarks.report import __main__ as report_command
from benchmarks.report import kept, summary
from benchmarks.report.answers import Backend

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = implementations()
# Backends whose optional dependency is not installed: their tests skip, saying how to install it.
UNAVAILABLE = [pytest.param(name, marks=pytest.mark.skip(reason=why)) for name, why in unavailable().items()]
# Each backend's constructor with its conf/backend options, as a run builds it.
CONFIGURED = {name: partial(cls, **backend_options(name)) for name, cls in BACKENDS.items()}
REFERENCE = "numpy_loop"

requires_cuda = pytest.mark.skipif(not env.cuda_available(), reason="no CUDA GPU on this machine")


@pytest.fixture(scope="session", autouse=True)
def source_measurements(tmp_path_factory):
    """The implementations' source measured once per test run, in a folder of its own and shared by
    every test (and the commands they start) that does not test the keeping itself: never the
    developer's cache, whose entries would hide a bug in measuring them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(kept.FOLDER_VARIABLE, str(tmp_path_factory.mktemp("source-measurements")))
        yield


@pytest.fixture(scope="session")
def mnist():
    return load_mnist()


# Overrides that run the harness on tiny synthetic data, for tests of the harness itself.
TINY = ["data._target_=tests.synthetic.tiny_mnist", "epochs=2", "batch_size=20"]


def run_py(*args, timeout=120):
    """`python run.py ARGS` in the repository, as a user types it."""
    return subprocess.run(
        [sys.executable, "run.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def compose_config(*overrides, results_dir="results"):
    """The run's configuration as Hydra composes it from conf/ and these overrides, without running."""
    from hydra import compose, initialize_config_dir

    from benchmarks import config

    config.register()
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose("config", overrides=[*TINY, f"results_dir={results_dir}", *overrides])


# --- Synthetic result sets for the report's and the answers' tests -------------------------------

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
    report_command.main([str(path)])
    return tmp_path / "report"


KINDS = {
    "numpy": Backend("numpy", False, "tuned"),
    "torch": Backend("torch", False, "tuned"),
    "numpy_loop": Backend("numpy", False, "idiomatic"),
    "torch_autograd": Backend("torch", True, "idiomatic"),
}


# Each cell's runs differ by ±2% around its seconds, as repeated runs of an idle machine do.
SPREAD = (0.98, 0.99, 1.0, 1.01, 1.02)


def timings(*cells: dict, runs: int = 5) -> pd.DataFrame:
    """`runs` runs per cell (seeds 0, 1, ..., their seconds spread by SPREAD) of three epochs (the
    first warm-up) with the given epoch seconds; each cell names backend, batch_size and seconds,
    and may set device, threads and background_load."""
    rows = []
    for n, cell in enumerate(cells):
        setting = {"device": "cpu", "threads": 1, "background_load": 0, "hidden": 30} | cell
        seconds = setting.pop("seconds")
        for seed in range(runs):
            spread = SPREAD[seed % len(SPREAD)] if runs > 1 else 1.0
            for epoch in (1, 2, 3):
                rows.append(
                    BASE
                    | setting
                    | {
                        "run_id": f"run{n}-{seed}",
                        "seed": seed,
                        "epoch": epoch,
                        "warmup": epoch == 1,
                        "train_s": seconds * spread,
                        "examples_per_s": 50_000 / (seconds * spread),
                        "test_acc": 0.9,
                        "status": "ok",
                    }
                )
    return summary.prepare(results.to_frame(rows))


def batches(backend: str, seconds: dict[int, float], **setting) -> list[dict]:
    return [{"backend": backend, "batch_size": b, "seconds": s, **setting} for b, s in seconds.items()]


def ease(rows: dict[str, int], optimiser="torch.optim") -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "backend": name,
                "name": name,
                "statements run to train": n,
                "optimiser": optimiser if KINDS[name].autograd else "by hand",
                "layers": "nn.Linear" if KINDS[name].autograd else "by hand",
                "loss": "by hand",
                "batching": "by hand (index slices)",
            }
            for name, n in rows.items()
        ]
    )


ALL = set(KINDS)
