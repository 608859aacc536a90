"""Bad input, faults and interruptions: never a traceback for a user mistake, never a lost result."""

import errno
import math
import os
import random
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks import config, env, harness, results
from benchmarks.config import ConfigError
from benchmarks.registry import implementations
from tests.conftest import ROOT, TINY, run_py
from tests.test_harness import make_config

config.register()
N_TRAIN = 200  # tests.synthetic.tiny_mnist
CORES = os.cpu_count()
SLOW_ON_TINY = {"numpy_loop"}
STABLE_ETA = 10.0

valid = st.fixed_dictionaries(
    {
        "backend": st.sampled_from(sorted(implementations())),
        "device": st.sampled_from(["cpu", "auto", "cuda"]),
        "batch_size": st.integers(1, N_TRAIN),
        "hidden": st.integers(1, 40),
        "eta": st.floats(1e-3, 1e3),
        "dtype": st.sampled_from(["float32", "float64"]),
        "threads": st.integers(1, CORES),
        "seed": st.integers(0, 2**31),
    }
)

invalid = st.one_of(
    st.tuples(st.just("batch_size"), st.integers(max_value=0)),
    st.tuples(st.just("batch_size"), st.integers(N_TRAIN + 1, 10**6)),
    st.tuples(st.just("hidden"), st.integers(max_value=0)),
    st.tuples(st.just("eta"), st.floats(max_value=0) | st.sampled_from([math.nan, math.inf, -math.inf])),
    st.tuples(st.just("epochs"), st.integers(max_value=0)),
    st.tuples(st.just("threads"), st.integers(max_value=0) | st.integers(CORES + 1, 10**4)),
    st.tuples(st.just("target_accuracy"), st.floats(1.0001, 10) | st.floats(-10, -0.0001)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(choice=valid)
def test_valid_configurations_run_and_record_a_status(tmp_path, choice):
    overrides = [f"{key}={value}" for key, value in choice.items()] + ["epochs=1"]
    status = harness.run(make_config(tmp_path, *overrides), multirun=True)
    if choice["device"] == "cuda" and not (
        env.cuda_available() and "cuda" in implementations()[choice["backend"]].devices
    ):
        assert status == "skipped"
    elif choice["eta"] <= STABLE_ETA:
        # Sigmoid outputs are bounded, so one epoch at a moderate eta cannot overflow.
        assert status == "ok"
    else:
        assert status in {"ok", "diverged"}
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert runs.status.iloc[-1] == status


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=invalid)
def test_invalid_values_give_one_line_naming_key_value_and_what_is_allowed(tmp_path, case):
    key, value = case
    with pytest.raises(ConfigError) as error:
        harness.run(make_config(tmp_path, f"{key}={value}"), multirun=False)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"{key}=") and ("must be" in message)
    assert not (tmp_path / "runs.parquet").exists()


@pytest.mark.parametrize(
    "override",
    [
        "batch_size=0",
        "batch_size=-3",
        "batch_size=500",
        "hidden=0",
        "eta=nan",
        "eta=-inf",
        "epochs=0",
        "threads=0",
        f"threads={CORES + 1}",
    ],
)
def test_invalid_value_on_the_command_line_exits_with_one_line(tmp_path, override):
    done = run_py(override, f"results_dir={tmp_path}", *TINY[:1])
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"error: {override.split('=')[0]}=")
    assert "Traceback" not in done.stderr


def test_unwritable_results_dir_exits_with_one_line(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    done = run_py(f"results_dir={blocker}/results", *TINY)
    assert done.returncode == 2
    assert (
        done.stderr.strip() == f"error: results_dir={blocker}/results: not writable (Not a directory); "
        "choose a folder you can write"
    )


def test_disk_full_while_writing_gives_a_clear_error_and_keeps_earlier_results(tmp_path, monkeypatch):
    harness.run(make_config(tmp_path), multirun=True)
    before = (tmp_path / "runs.parquet").read_bytes()

    def full(frame, path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(results, "write_atomic", full)
    with pytest.raises(results.ResultsError, match="No space left on device.*earlier results are intact"):
        harness.run(make_config(tmp_path, "seed=1"), multirun=True)
    assert (tmp_path / "runs.parquet").read_bytes() == before
    assert not list(tmp_path.rglob("*.part"))


def test_cuda_out_of_memory_marks_the_run_failed_with_the_message(tmp_path):
    cfg = make_config(tmp_path, "backend.net._target_=tests.synthetic.OutOfMemory")
    assert harness.run(cfg, multirun=True) == "failed"
    error = pd.read_parquet(tmp_path / "runs.parquet").error.iloc[0]
    assert error.startswith("OutOfMemoryError: CUDA out of memory")


def test_corrupt_runs_parquet_is_rebuilt_from_the_run_files(tmp_path):
    harness.run(make_config(tmp_path), multirun=True)
    harness.run(make_config(tmp_path, "seed=1"), multirun=True)
    (tmp_path / "runs.parquet").write_bytes(b"PAR1 torn")
    assert results.merge(tmp_path).run_id.nunique() == 2
    assert pd.read_parquet(tmp_path / "runs.parquet").run_id.nunique() == 2


# Six kills, each after 1 to 3 more finished runs (and the one running at the kill): at most 24 runs,
# so that every kill comes mid-sweep and the resume still has runs to do.
SWEEP_SEEDS = list(range(30))


def start_sweep(tmp_path, seeds):
    args = ["-m", "seed=" + ",".join(map(str, seeds)), f"results_dir={tmp_path}", *TINY]
    return subprocess.Popen(
        [sys.executable, "run.py", *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def complete_runs(tmp_path):
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    per_run = runs.groupby("run_id").agg(epochs=("epoch", "count"), status=("status", "first"))
    assert (per_run.epochs == 2).all() and (per_run.status == "ok").all(), "every run held is complete"
    return runs


def run_files(tmp_path) -> set[str]:
    return {p.stem for p in (tmp_path / "runs").glob("*.parquet")}


def wait_for_run_files(tmp_path, sweep, count: int, bound_s: float = 300) -> None:
    """Until `count` runs have finished or the sweep has ended; the bound only stops a hung sweep."""
    deadline = time.monotonic() + bound_s
    while len(run_files(tmp_path)) < count and sweep.poll() is None:
        assert time.monotonic() < deadline, f"no {count} finished runs within {bound_s} s"
        time.sleep(0.01)


def test_sweeps_killed_at_random_points_lose_nothing_and_resume_to_the_full_set(tmp_path):
    """Each kill comes after a random number of newly finished runs, at a random moment of the next
    one: the points are chosen by events, so a slower machine kills at the same points."""
    rng = random.Random(0)
    seen = set()
    for _ in range(6):
        sweep = start_sweep(tmp_path, SWEEP_SEEDS)
        wait_for_run_files(tmp_path, sweep, len(run_files(tmp_path)) + rng.randint(1, 3))
        time.sleep(rng.uniform(0, 0.2))
        sweep.send_signal(signal.SIGKILL)
        sweep.wait()
        if not (tmp_path / "runs.parquet").exists():
            continue
        runs = complete_runs(tmp_path)
        assert run_files(tmp_path) <= set(runs.run_id), "every finished run is in runs.parquet"
        assert seen <= set(runs.run_id), "no run that finished before a kill is lost"
        seen = set(runs.run_id)
    assert seen, "the kills must leave some finished runs"
    assert not list(tmp_path.rglob("*.part"))

    assert start_sweep(tmp_path, SWEEP_SEEDS).wait() == 0
    runs = complete_runs(tmp_path)
    assert sorted(runs.groupby("run_id").seed.first()) == SWEEP_SEEDS


def test_two_sweeps_into_one_results_dir_lose_no_rows(tmp_path):
    first, second = start_sweep(tmp_path, range(0, 12)), start_sweep(tmp_path, range(12, 24))
    assert first.wait() == 0 and second.wait() == 0
    runs = complete_runs(tmp_path)
    assert sorted(runs.groupby("run_id").seed.first()) == list(range(24))
    assert len(runs) == 24 * 2
