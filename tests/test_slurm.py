"""The SLURM launcher: following jobs to their end (on stand-ins), then sweeps on a real cluster.

The tests marked `slurm` submit through `sbatch` to a running cluster (`make slurm-up` starts a
one-node one here; `.ci/run` does it for CI) and are skipped, with the reason, where none answers.
"""

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from benchmarks import env, slurm
from benchmarks.report import __main__ as report_command
from benchmarks.report import summary
from tests.conftest import ROOT, TINY

# --- benchmarks.slurm.wait, on stand-in jobs and a scripted scheduler -------------------------


class Clock:
    def __init__(self):
        self.t = 0.0

    def now(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds


def stand_in_job(tmp_path, job_id, error_output=""):
    paths = SimpleNamespace(result_pickle=tmp_path / f"{job_id}_result.pkl", stderr=tmp_path / f"{job_id}.e")
    paths.stderr.write_text(error_output)
    return SimpleNamespace(job_id=job_id, paths=paths)


def follow(jobs, script, clock, **kwargs):
    """wait() where the scheduler's answers come from `script(time)`: ({id: (state, reason)}, source)."""
    return slurm.wait(jobs, states=lambda ids: script(clock.t), now=clock.now, sleep=clock.sleep, **kwargs)


def test_parse_expands_array_ranges_and_skips_steps():
    table = "7_[0-2%1]|PENDING|JobArrayTaskLimit\n7_3|RUNNING|None\n7_3.batch|RUNNING|\n8|CANCELLED by 0|x\n"
    assert slurm.parse(table) == {
        "7_0": ("PENDING", "JobArrayTaskLimit"),
        "7_1": ("PENDING", "JobArrayTaskLimit"),
        "7_2": ("PENDING", "JobArrayTaskLimit"),
        "7_3": ("RUNNING", "None"),
        "8": ("CANCELLED", "x"),
    }


def test_a_job_that_leaves_its_result_is_not_lost(tmp_path):
    clock, job = Clock(), stand_in_job(tmp_path, "5_0")

    def script(t):
        if t > 10:
            job.paths.result_pickle.touch()
        return {"5_0": ("RUNNING", "None")}, "sacct"

    assert follow([job], script, clock) == {}
    assert 10 < clock.t < 20


@pytest.mark.parametrize("result_grace_s", [slurm.RESULT_GRACE_S, 1])
def test_a_cancelled_job_is_lost_once_its_result_cannot_still_arrive(tmp_path, result_grace_s):
    clock, job = Clock(), stand_in_job(tmp_path, "5_1")
    lost = follow(
        [job], lambda t: ({"5_1": ("CANCELLED", "None")}, "squeue"), clock, result_grace_s=result_grace_s
    )
    assert lost == {"5_1": slurm.WHY_ENDED["CANCELLED"]}
    assert result_grace_s <= clock.t < result_grace_s + 10


def test_a_failed_job_is_lost_with_its_last_error_line(tmp_path):
    clock = Clock()
    job = stand_in_job(tmp_path, "6", "Traceback ...\nerror: batch_size=0: must be at least 1\n")
    lost = follow([job], lambda t: ({"6": ("FAILED", "NonZeroExitCode")}, "sacct"), clock)
    assert lost == {"6": "failed: error: batch_size=0: must be at least 1"}


def test_a_job_that_can_never_start_is_cancelled_and_lost(tmp_path, monkeypatch):
    cancelled = []
    monkeypatch.setattr(slurm, "cancel", cancelled.append)
    clock, job = Clock(), stand_in_job(tmp_path, "9")
    lost = follow([job], lambda t: ({"9": ("PENDING", "PartitionConfig")}, "sacct"), clock)
    assert cancelled == ["9"] and "can never start (PartitionConfig" in lost["9"]
    assert clock.t == 0


def test_a_pending_job_that_waits_its_turn_is_waited_for(tmp_path):
    clock, job = Clock(), stand_in_job(tmp_path, "9")

    def script(t):
        if t > 600:
            job.paths.result_pickle.touch()
        return {"9": ("PENDING", "Resources")}, "sacct"

    assert follow([job], script, clock, grace_s=60) == {}


@pytest.mark.parametrize("source", ["sacct", "squeue"])
def test_a_job_the_scheduler_forgot_is_lost_after_the_grace(tmp_path, source):
    clock, job = Clock(), stand_in_job(tmp_path, "3")
    lost = follow([job], lambda t: ({}, source), clock, grace_s=60)
    assert lost == {"3": f"{source} has not known it for 60 s"}
    assert 60 < clock.t < 100


def test_a_scheduler_that_stops_answering_ends_the_wait_after_the_grace(tmp_path):
    clock, jobs = Clock(), [stand_in_job(tmp_path, "4_0"), stand_in_job(tmp_path, "4_1")]

    def script(t):
        return ({"4_0": ("RUNNING", "None"), "4_1": ("RUNNING", "None")}, "sacct") if t < 30 else ({}, None)

    lost = follow(jobs, script, clock, grace_s=120, poll_max_s=10)
    assert set(lost) == {"4_0", "4_1"} and "neither sacct nor squeue answered" in lost["4_0"]
    assert 150 <= clock.t < 170


def test_polls_slow_down_to_the_longest_pause(tmp_path):
    clock, job, pauses = Clock(), stand_in_job(tmp_path, "1"), []

    def sleep(seconds):
        pauses.append(seconds)
        clock.sleep(seconds)

    def script(t):
        if t > 1000:
            job.paths.result_pickle.touch()
        return {"1": ("RUNNING", "None")}, "sacct"

    slurm.wait([job], states=lambda ids: script(clock.t), now=clock.now, sleep=sleep, poll_max_s=30)
    assert pauses[0] == 2 and max(pauses) == 30 and pauses == sorted(pauses)


def test_a_row_names_its_slurm_job_as_sacct_does_and_the_node_it_ran_on(monkeypatch):
    for variable in ("SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("SLURM_JOB_PARTITION", "zen4")  # outside a job, nothing of SLURM is recorded
    outside = {"slurm_job_id": None, "slurm_array_task_id": None, "slurm_partition": None, "slurm_node": None}
    assert env.slurm_job() == outside
    monkeypatch.setenv("SLURM_JOB_ID", "41")
    monkeypatch.setenv("SLURMD_NODENAME", "node7")
    where = {"slurm_partition": "zen4", "slurm_node": "node7"}
    assert env.slurm_job() == {"slurm_job_id": "41", "slurm_array_task_id": None} | where
    monkeypatch.setenv("SLURM_JOB_ID", "44")  # task 3 of array 41 has a job id of its own
    monkeypatch.setenv("SLURM_ARRAY_JOB_ID", "41")
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "3")
    assert env.slurm_job() == {"slurm_job_id": "41_3", "slurm_array_task_id": 3} | where


def test_the_report_lists_slurm_jobs_as_sacct_takes_them():
    ids = pd.Series(["23_2", "23_0", "23_1", "23_3", "23_5", "24", "23_11", None], dtype="string")
    assert summary.slurm_jobs(ids) == "23_[0-3,5,11], 24"
    assert summary.slurm_jobs(pd.Series([None], dtype="string")) == ""


# --- sweeps through sbatch on a real cluster ------------------------------------------------------


def cluster_missing() -> str | None:
    """Why no SLURM cluster can take jobs here, or None."""
    if not shutil.which("sinfo"):
        return "SLURM is not installed here (make slurm-up installs and starts a one-node cluster)"
    nodes = slurm.ask(["sinfo", "-h", "-o", "%t"])
    if not nodes or not {"idle", "mix", "alloc"} & set(nodes.split()):
        return "no SLURM node is up (make slurm-up starts a one-node cluster)"
    if slurm.ask(["sacct", "-n", "-X"]) is None:
        return "sacct does not answer: job accounting is off (make slurm-up sets it up)"
    return None


MISSING = cluster_missing()
# .ci/run starts a cluster and sets BACKPROP_BENCH_REQUIRE_SLURM=1: there these tests fail, never skip.
REQUIRED = os.environ.get("BACKPROP_BENCH_REQUIRE_SLURM") == "1"
needs_cluster = pytest.mark.skipif(MISSING is not None and not REQUIRED, reason=MISSING or "")
SLEEPY = ["backend.net._target_=tests.synthetic.Sleepy", "+backend.net.epoch_sleep_s=3"]
# A bound on any sweep here: a lost job must be noticed within the result grace and a few polls.
RETURNS_WITHIN_S = 150
# The jobs write their results to this machine's disk, where they are there before the job ends:
# no grace is needed for a shared file system, and the sweep may follow its jobs closely.
PROMPT = ["hydra.launcher.poll_max_s=1", "hydra.launcher.result_grace_s=1"]


def sweep(results, *args, env=None, name="bb-test"):
    """`run.py -m` through hydra/launcher=slurm_cpu, as a user starts it (not yet waited for);
    its jobs are named `name`."""
    assert MISSING is None, MISSING
    command = [sys.executable, "run.py", "-m", "hydra/launcher=slurm_cpu", f"hydra.launcher.name={name}"]
    command += [*PROMPT, f"results_dir={results}", *TINY, *args]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def finish(process, timeout=RETURNS_WITHIN_S):
    started = time.monotonic()
    stdout, stderr = process.communicate(timeout=timeout)
    seconds = time.monotonic() - started
    return SimpleNamespace(
        returncode=process.returncode, output=stdout + stderr, stderr=stderr, seconds=seconds
    )


def runs_in(results) -> pd.DataFrame:
    return pd.read_parquet(Path(results) / "runs.parquet").groupby("run_id").first()


def report(results) -> Path:
    """`python -m benchmarks.report RESULTS/runs.parquet`, run in this process: the measurements of
    the implementations' source that every report holds (half a minute) are then made once a session.
    The report's folder."""
    assert report_command.main([str(Path(results) / "runs.parquet")]) == 0
    return Path(results) / "report"


def cancel_once_running(job_name, within_s=60) -> str:
    """scancel the first of the sweep's jobs to be running; its id."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        running = slurm.ask(["squeue", "-h", "-n", job_name, "-t", "RUNNING", "-o", "%i"]) or ""
        if running.split():
            job_id = running.split()[0]
            subprocess.run(["scancel", job_id], check=True)
            return job_id
        time.sleep(0.2)
    raise AssertionError(f"no job of {job_name} ran within {within_s} s")


@pytest.mark.slurm
@needs_cluster
def test_sweep_through_sbatch_lands_once_with_job_ids(tmp_path):
    done = finish(sweep(tmp_path, "backend=numpy,torch", "seed=0,1"))
    assert done.returncode == 0, done.stderr
    runs = runs_in(tmp_path)
    assert len(runs) == 4 and (runs.status == "ok").all()
    assert sorted(zip(runs.backend, runs.seed)) == [("numpy", 0), ("numpy", 1), ("torch", 0), ("torch", 1)]
    assert (runs.launcher == "slurm_cpu").all() and runs.slurm_job_id.is_unique
    assert (runs.parallel_jobs == 1).all(), "each job had a node to itself (exclusive)"
    assert sorted(runs.slurm_array_task_id) == [0, 1, 2, 3]
    array = runs.slurm_job_id.str.split("_").str[0]
    assert array.nunique() == 1
    assert (runs.slurm_job_id == array + "_" + runs.slurm_array_task_id.astype(str)).all()
    # Every row traces to the scheduler's accounting, which saw each job complete. A job's result
    # is written before it ends, and slurmdbd records the end a moment later: wait for it, briefly.
    completed = dict.fromkeys(runs.slurm_job_id, "COMPLETED")
    deadline = time.monotonic() + 30
    while True:
        accounted = slurm.parse(
            slurm.ask(["sacct", "-X", "-n", "-P", "-o", "JobID,State", "-j", array.iloc[0]])
        )
        states = {job: state for job, (state, _) in accounted.items()}
        if states == completed or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert states == completed
    assert (runs.cpus == 1).all()

    environment = (report(tmp_path) / "report.md").read_text().split("## Environment")[1]
    assert "| slurm_cpu |" in environment and f"| {array.iloc[0]}_[0-3] |" in environment


@pytest.mark.parametrize("sacct", ["working", "failing"])
@pytest.mark.slurm
@needs_cluster
def test_cancelled_job_is_named_and_a_rerun_completes_just_it(tmp_path, sacct):
    env = dict(os.environ)
    if sacct == "failing":  # as when slurmdbd is down: submitit alone would wait forever here
        fake = tmp_path / "bin"
        fake.mkdir()
        (fake / "sacct").write_text("#!/bin/sh\necho 'sacct: error: database down'\nexit 1\n")
        (fake / "sacct").chmod(0o755)
        env["PATH"] = f"{fake}:{env['PATH']}"
    results = tmp_path / "results"
    name = f"bb-test-{uuid.uuid4().hex[:8]}"
    first = sweep(results, *SLEEPY, "seed=0,1", env=env, name=name)
    cancelled = cancel_once_running(name)
    done = finish(first)
    assert done.returncode == 1 and done.seconds < RETURNS_WITHIN_S
    assert f"job {cancelled} (" in done.output and "lost: cancelled" in done.output
    assert "1 of 2 jobs lost" in done.stderr and "Traceback" not in done.output
    survivors = runs_in(results)
    assert len(survivors) == 1 and (survivors.status == "ok").all()
    assert cancelled not in set(survivors.slurm_job_id)

    again = finish(sweep(results, *SLEEPY, "seed=0,1", env=env))
    assert again.returncode == 0, again.stderr
    runs = runs_in(results)
    assert len(runs) == 2 and sorted(runs.seed) == [0, 1] and (runs.status == "ok").all()
    assert set(survivors.index) < set(runs.index), "the finished run must not run again"


@pytest.mark.slurm
@needs_cluster
def test_jobs_past_their_time_limit_leave_a_failed_row_or_none(tmp_path):
    """Warned by submitit's signal before the limit, the run is recorded as failed; without the
    warning SLURM kills it at the limit, and the launcher names it as lost. The two sweeps wait
    for SLURM's clock at once, their jobs sharing the node."""
    long_job = ["backend.net._target_=tests.synthetic.Sleepy", "+backend.net.epoch_sleep_s=20", "epochs=10"]
    settings = ["hydra.launcher.exclusive=false", "hydra.launcher.timeout_min=1", "seed=0"]
    sweeps = {
        warning_s: sweep(
            tmp_path / str(warning_s), *long_job, *settings, f"hydra.launcher.signal_delay_s={warning_s}"
        )
        for warning_s in (20, 0)
    }
    try:
        for warning_s, running in sweeps.items():
            # SLURM enforces limits every 30 s, then kills after KillWait (5 s); the result grace follows.
            done = finish(running, timeout=60 + 30 + 5 + RETURNS_WITHIN_S)
            assert "Traceback" not in done.output
            results = tmp_path / str(warning_s)
            runs = (
                runs_in(results)
                if (results / "runs.parquet").exists()
                else pd.DataFrame(columns=["status", "error"])
            )
            timed_out = runs[runs.status == "failed"]
            lost = done.output.count(") lost: killed at its time limit")
            assert len(runs) == len(timed_out) and timed_out.error.str.contains("timed-out").all()
            assert len(timed_out) + lost == 1, done.output
            if warning_s == 0:
                assert lost == 1 and done.returncode == 1
    finally:  # a failed check leaves no sweep behind
        for running in sweeps.values():
            if running.poll() is None:
                running.kill()
                running.communicate()


@pytest.mark.slurm
@needs_cluster
def test_two_sweeps_at_once_into_one_results_dir_lose_nothing(tmp_path):
    packed = "hydra.launcher.exclusive=false"  # its jobs may share the node, and their rows say so
    first, second = sweep(tmp_path, "seed=0,1,2"), sweep(tmp_path, "seed=3,4,5", "backend=torch", packed)
    for done in (finish(first), finish(second)):
        assert done.returncode == 0, done.stderr
    runs = runs_in(tmp_path)
    assert len(runs) == 6 and (runs.status == "ok").all() and runs.slurm_job_id.is_unique
    assert list(runs.groupby("backend").parallel_jobs.unique().map(list)) == [[1], [3]]
    expected = [("numpy", seed) for seed in range(3)] + [("torch", seed) for seed in range(3, 6)]
    assert sorted(zip(runs.backend, runs.seed)) == expected
    assert len(list((tmp_path / "runs").glob("*.parquet"))) == 6


@pytest.mark.slurm
@needs_cluster
def test_job_asking_more_cores_than_any_node_has_is_refused_in_one_line(tmp_path):
    cores = max(int(n) for n in slurm.ask(["sinfo", "-h", "-o", "%c"]).split())
    done = finish(sweep(tmp_path, f"threads=1,{cores + 1}"), timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.output
    assert (
        f"threads={cores + 1}) lost: not submitted ({cores + 1} cores, partition main): More processors"
        in done.output
    )
    assert done.stderr.strip().splitlines()[-1].startswith("error: 1 of 2 jobs lost")
    runs = runs_in(tmp_path)
    assert list(runs.threads) == [1] and (runs.status == "ok").all()


@pytest.mark.slurm
@needs_cluster
def test_a_sweep_over_two_partitions_records_each_and_reports_one_machine(tmp_path):
    # Both partitions of the one-node cluster hold the same node: one machine, found from its
    # identity and its fingerprint, whichever partition a job went through.
    done = finish(sweep(tmp_path, "partition=main,second", "seed=0,1,2", "force=true"))
    assert done.returncode == 0, done.stderr
    runs = runs_in(tmp_path)
    assert sorted(runs.slurm_partition.value_counts().items()) == [("main", 3), ("second", 3)]
    assert runs.slurm_node.nunique() == 1 and runs.slurm_node.notna().all()
    assert runs.cpu_identity.notna().all() and runs.fingerprint_gflops.notna().all()
    saved = json.loads((report(tmp_path) / "answers.json").read_text())
    assert "machine" in saved and "machines" not in saved
