"""Following SLURM jobs to their end, without ever waiting on one that is gone.

submitit follows its jobs through `sacct` alone: where job accounting is off, down
or slow, a cancelled job looks pending forever and the sweep hangs. Here each poll
asks sacct and, when that fails, squeue (which asks the controller, and remembers
ended jobs for its MinJobAge). A job is lost when the scheduler says it ended
without leaving a result, when it can never start, when neither command has
known it for `grace_s`, or when neither has answered at all for `grace_s`.
"""

import subprocess
import time
from dataclasses import dataclass, field

from submitit.slurm.slurm import read_job_id

# States in which a job is over, whatever it left behind (sacct writes "CANCELLED by 0").
ENDED = {
    "BOOT_FAIL",
    "CANCELLED",
    "COMPLETED",
    "DEADLINE",
    "FAILED",
    "NODE_FAIL",
    "OUT_OF_MEMORY",
    "REVOKED",
    "SPECIAL_EXIT",
    "TIMEOUT",
}
# Reasons a pending job gives when no wait will let it start: it asks for more than the
# partition, its nodes or its account allow.
NEVER_STARTS = {
    "BadConstraints",
    "InvalidAccount",
    "InvalidQOS",
    "PartitionConfig",
    "PartitionNodeLimit",
    "PartitionTimeLimit",
}
WHY_ENDED = {
    "CANCELLED": "cancelled (scancel, or an administrator)",
    "TIMEOUT": "killed at its time limit (raise hydra.launcher.timeout_min)",
    "OUT_OF_MEMORY": "killed for using more memory than it asked for (raise hydra.launcher.mem_gb)",
    "NODE_FAIL": "lost with its node",
}
# An ended job's result file may take a while to appear through a shared file system.
RESULT_GRACE_S = 15


def ask(command: list[str], timeout_s: float = 60) -> str | None:
    """The command's output, or None when it could not answer."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode == 0:
        return done.stdout
    # squeue's answer when it knows none of the jobs asked about: an answer, and an empty one.
    return "" if "Invalid job id" in done.stderr else None


def parse(table: str) -> dict[str, tuple[str, str]]:
    """`JOBID|STATE|REASON` lines as {job id: (state, reason)}, array ranges such as 12_[0-3%2] expanded."""
    states = {}
    for line in table.splitlines():
        job, state, reason = (line.split("|") + ["", ""])[:3]
        if not job or "." in job:  # job steps (12.batch) follow their job
            continue
        state = state.split(" ")[0]
        for array, *tasks in read_job_id(job):
            if not tasks:
                states[array] = (state, reason)
                continue
            first, last = int(tasks[0]), int(tasks[-1])
            states.update({f"{array}_{task}": (state, reason) for task in range(first, last + 1)})
    return states


def scheduler_states(job_ids) -> tuple[dict[str, tuple[str, str]], str | None]:
    """Each job's (state, reason), from sacct or else squeue, and which of them answered (None: neither)."""
    jobs = ",".join(sorted({job.split("_")[0] for job in job_ids}))
    for source, command in (
        ("sacct", ["sacct", "-X", "-n", "-P", "-o", "JobID,State,Reason", "-j", jobs]),
        ("squeue", ["squeue", "-h", "--states=all", "-o", "%i|%T|%r", "-j", jobs]),
    ):
        table = ask(command)
        if table is not None:
            return parse(table), source
    return {}, None


def cancel(job_id: str) -> None:
    ask(["scancel", job_id])


@dataclass
class Follow:
    """When each job was last known to the scheduler, and when it ended, by the clock of `now`."""

    start: float
    last_answer: float
    unknown_since: dict = field(default_factory=dict)
    ended_at: dict = field(default_factory=dict)


def wait(
    jobs,
    *,
    grace_s: float = 300,
    poll_max_s: float = 30,
    result_grace_s: float = RESULT_GRACE_S,
    states=scheduler_states,
    now=time.monotonic,
    sleep=time.sleep,
) -> dict[str, str]:
    """Wait until every job has left its result or is lost; returns {job id: why} for those lost.

    `jobs` are submitit jobs (job_id, paths.result_pickle, paths.stderr). Polls start every
    2 s and slow down to every `poll_max_s` as the wait grows; an ended job's result is awaited
    for `result_grace_s` more.
    """
    waiting = {job.job_id: job for job in jobs}
    lost = {}
    follow = Follow(start=now(), last_answer=now())
    while True:
        waiting = {job_id: job for job_id, job in waiting.items() if not job.paths.result_pickle.exists()}
        if not waiting:
            return lost
        known, source = states(waiting)
        t = now()
        if source is None:
            if t - follow.last_answer > grace_s:
                why = f"neither sacct nor squeue answered for {grace_s:.0f} s; its state is unknown"
                return lost | dict.fromkeys(waiting, why)
        else:
            follow.last_answer = t
            for job_id, job in waiting.items():
                state, reason = known.get(job_id, ("", ""))
                if why := judge(job, state, reason, t, follow, grace_s, source, result_grace_s):
                    lost[job_id] = why
            waiting = {job_id: job for job_id, job in waiting.items() if job_id not in lost}
        if waiting:
            sleep(min(poll_max_s, 2 + (now() - follow.start) / 10))


def judge(
    job, state: str, reason: str, t: float, follow: Follow, grace_s: float, source: str, result_grace_s: float
) -> str | None:
    """Why the job is lost, or None while it may still leave its result."""
    job_id = job.job_id
    if not state:
        since = follow.unknown_since.setdefault(job_id, t)
        return f"{source} has not known it for {grace_s:.0f} s" if t - since > grace_s else None
    follow.unknown_since.pop(job_id, None)
    if state == "PENDING" and reason in NEVER_STARTS:
        cancel(job_id)
        return f"can never start ({reason}: it asks for more than the partition allows); cancelled"
    if state not in ENDED:
        return None
    if t - follow.ended_at.setdefault(job_id, t) <= result_grace_s:
        return None
    return WHY_ENDED.get(state) or f"{state.lower()}: {last_line(job.paths.stderr) or 'no error output'}"


def first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def last_line(path) -> str:
    """The last line the job wrote to its error stream, if any."""
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1].strip() if lines else ""
