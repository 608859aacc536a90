"""The machine a measurement was taken on, and the knobs that change it.

Thread counts are pinned for BLAS (through threadpoolctl) and for torch's
intra-op pool; both are read back and recorded, along with the load average
and the environment variables that change how BLAS, OpenMP or the frameworks run.
"""

import contextlib
import hashlib
import importlib.util
import os
import platform
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

ROOT = Path(__file__).resolve().parent.parent

# XLA (jax) reads XLA_FLAGS once, when jax is first imported; neither threadpoolctl nor torch
# governs its threads. This asks it for one unless the user set XLA_FLAGS, but XLA still runs a
# second thread (docs/fairness.md, "Measured pitfalls"): pinned_threads binds every thread to the
# run's cores. Recorded with every run among the speed-changing variables, as the project's own.
PROJECT_XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
os.environ.setdefault("XLA_FLAGS", PROJECT_XLA_FLAGS)


def torch_module():
    """torch if installed; the harness runs NumPy-only backends without it."""
    if importlib.util.find_spec("torch") is None:
        return None
    import torch

    return torch


def cuda_available() -> bool:
    torch = torch_module()
    return torch is not None and torch.cuda.is_available()


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def blas() -> str:
    for pool in threadpool_info():
        if pool["user_api"] == "blas":
            return f"{pool['internal_api']} {pool['version']} ({pool.get('architecture') or '?'})"
    return "unknown"


def git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


# Variables that change which kernels or how many threads BLAS, OpenMP, torch, CUDA or XLA use.
SPEED_ENV_PREFIXES = (
    "OPENBLAS_",
    "GOTO",
    "OMP_",
    "MKL_",
    "KMP_",
    "BLIS_",
    "VECLIB_",
    "NUMEXPR_",
    "TORCH_",
    "PYTORCH_",
    "CUDA_",
    "CUBLAS_",
    "NVIDIA_TF32",
    "XLA_",
    "JAX_",
    "NUMBA_",
    "LD_PRELOAD",
)


# threadpoolctl sets this on import; it only lets two OpenMP runtimes load side by side.
NOT_SPEED = {"KMP_DUPLICATE_LIB_OK"}


def speed_env(environ=None) -> str:
    """'NAME=value' of every speed-changing variable set, sorted, space-separated; '' when none."""
    environ = os.environ if environ is None else environ
    return " ".join(
        f"{k}={v}"
        for k, v in sorted(environ.items())
        if k.startswith(SPEED_ENV_PREFIXES) and k not in NOT_SPEED
    )


# What this project sets itself (XLA_FLAGS, above) when the user has not: recorded, but not the user's.
PROJECT_SPEED_ENV = (f"XLA_FLAGS={PROJECT_XLA_FLAGS}",)


def users_speed_env(recorded: str) -> str:
    """A recorded speed_env without the variables this project set itself ('' when the user set none).

    A value can hold spaces, so each of the project's own 'NAME=value' is taken out whole."""
    for own in PROJECT_SPEED_ENV:
        recorded = f" {recorded} ".replace(f" {own} ", " ").strip()
    return recorded


def diff_hash(status: str | None) -> str | None:
    """sha256 of the uncommitted changes to tracked files, None for a clean tree."""
    if not status:
        return None
    diff = git("diff", "HEAD", "--binary")
    return hashlib.sha256((diff or status).encode()).hexdigest()


def named_files_sha256(options: dict) -> str | None:
    """sha256 of the files a backend's options name (a learner's network.py or notebook, found from the
    current folder or this project's) and of the Python files beside them and one folder down, its
    helpers; None when no option names a file."""
    named = []
    for value in options.values():
        if isinstance(value, str) and value.endswith((".py", ".ipynb")):
            named += [p for p in (Path(value).expanduser(), ROOT / value) if p.is_file()][:1]
    if not named:
        return None
    digest = hashlib.sha256()
    for file in named:
        folder = file.resolve().parent
        for path in sorted({file.resolve(), *folder.glob("*.py"), *folder.glob("*/*.py")}):
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def slurm_job() -> dict:
    """The SLURM job this run is part of, as sacct names it (an array's task as JOBID_TASK); None outside."""
    job, array, task = (os.environ.get(f"SLURM_{key}") for key in ("JOB_ID", "ARRAY_JOB_ID", "ARRAY_TASK_ID"))
    return {
        "slurm_job_id": f"{array}_{task}" if array and task else job,
        "slurm_array_task_id": int(task) if task else None,
    }


@cache
def static_environment() -> dict:
    torch = torch_module()
    status = git("status", "--porcelain", "--untracked-files=no")
    return {
        "hostname": socket.gethostname(),
        "cpu_model": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__ if torch else None,
        "blas": blas(),
        "cuda_device": torch.cuda.get_device_name() if cuda_available() else None,
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(status) if status is not None else None,
        "git_diff": diff_hash(status),
        "speed_env": speed_env(),
    }


def loadavg() -> float:
    return os.getloadavg()[0]


def utc_now() -> datetime:
    return datetime.now(UTC)


def thread_counts() -> dict:
    """The BLAS and torch intra-op thread counts in force now."""
    torch = torch_module()
    blas_threads = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
    return {
        "blas_threads": max(blas_threads) if blas_threads else None,
        "torch_threads": torch.get_num_threads() if torch else None,
    }


@contextlib.contextmanager
def pinned_threads(threads: int | None):
    """Pin BLAS and torch intra-op threads (None: leave the defaults), and bind every thread of the
    process to that many cores, for libraries no setting governs (XLA runs a second thread whatever
    XLA_FLAGS says); yield the counts in force."""
    torch = torch_module()
    saved = torch.get_num_threads() if torch else None
    saved_cores = os.sched_getaffinity(0)
    with threadpool_limits(limits=threads):
        if torch and threads is not None:
            torch.set_num_threads(threads)
        if threads is not None:
            bind_threads(set(sorted(saved_cores)[:threads]))
        try:
            yield thread_counts() | {"cpus": len(os.sched_getaffinity(0))}
        finally:
            bind_threads(saved_cores)
            if torch:
                torch.set_num_threads(saved)


def bind_threads(cores: set[int]) -> None:
    """CPU affinity for every thread of this process (a new thread inherits its creator's)."""
    for task in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            os.sched_setaffinity(int(task), cores)


# A helper may run on any core, whatever cores the run it loads is bound to.
BUSY = "import os; os.sched_setaffinity(0, range(os.cpu_count()))\nwhile True: pass"


@contextlib.contextmanager
def background_load(processes: int):
    """Keep `processes` cores busy for the duration, and always stop them.

    Each helper is a fresh interpreter, not a fork: forking a process in which a
    multithreaded library (JAX) is loaded can deadlock the child."""
    helpers = [
        subprocess.Popen([sys.executable, "-c", BUSY], stdin=subprocess.DEVNULL) for _ in range(processes)
    ]
    try:
        if helpers:
            time.sleep(0.3)  # let the helpers start and the scheduler see the load before timing
        yield
    finally:
        for helper in helpers:
            helper.kill()
            helper.wait()


def best_seconds(fn, repeats: int, synchronize=lambda: None, clock=time.perf_counter) -> float:
    """The best time of fn() after one untimed call; clock=time.process_time counts the process's CPU
    time instead of wall time, which on a busy machine leaves out the time spent waiting for a core."""
    fn()
    synchronize()
    best = float("inf")
    for _ in range(repeats):
        start = clock()
        fn()
        synchronize()
        best = min(best, clock() - start)
    return best


@cache
def gemm_peak(
    framework: str,
    dtype: str,
    device: str,
    threads: int,
    size: int = 1024,
    repeats: int = 5,
    clock=time.perf_counter,
):
    """(GFLOP/s, what was measured): the best rate of a large matrix product in the framework
    a backend computes with, in its dtype, on its device, at its thread count, by `clock`."""
    with pinned_threads(threads):
        if framework == "jax":
            import jax

            rng = np.random.default_rng(0)
            a, b = (jax.device_put(rng.standard_normal((size, size)).astype(dtype)) for _ in range(2))
            dot = jax.jit(jax.numpy.dot)
            seconds = best_seconds(lambda: dot(a, b).block_until_ready(), repeats, clock=clock)
            what = f"jax.numpy.dot {dtype} {device}"
        elif framework == "torch":
            torch = torch_module()
            a, b = (torch.randn(size, size, dtype=getattr(torch, dtype), device=device) for _ in range(2))
            sync = torch.cuda.synchronize if device == "cuda" else lambda: None
            seconds = best_seconds(lambda: torch.mm(a, b), repeats, sync, clock)
            what = f"torch.mm {dtype} {device}"
        else:
            rng = np.random.default_rng(0)
            a, b = (rng.standard_normal((size, size)).astype(dtype) for _ in range(2))
            out = np.empty_like(a)
            seconds = best_seconds(lambda: np.matmul(a, b, out=out), repeats, clock=clock)
            what = f"numpy.matmul {dtype} cpu"
    unit = "thread" if threads == 1 else "threads"
    return 2 * size**3 / seconds / 1e9, f"{what}, {threads} {unit}"


def status_kib(field: str) -> int | None:
    """A memory field of /proc/self/status (VmRSS, VmHWM) in KiB; None where there is no /proc."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return None


def reset_rss_peak() -> bool:
    """Reset the kernel's resident high-water mark (VmHWM) to the current resident size; whether it
    could (Linux 4.0 and later; not every sandbox allows it)."""
    before = status_kib("VmHWM")
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    after, now = status_kib("VmHWM"), status_kib("VmRSS")
    return after is not None and now is not None and (after <= now or after < before)


class RssSampler(threading.Thread):
    """The largest VmRSS seen while it runs, read every `interval` seconds: the fallback where
    VmHWM cannot be reset. A peak shorter than the interval can be missed."""

    def __init__(self, interval: float = 0.005):
        super().__init__(daemon=True)
        self.interval, self.peak_kib, self.done = interval, status_kib("VmRSS") or 0, threading.Event()

    def run(self):
        while not self.done.wait(self.interval):
            self.peak_kib = max(self.peak_kib, status_kib("VmRSS") or 0)

    def stop(self) -> int:
        self.done.set()
        self.join()
        return max(self.peak_kib, status_kib("VmRSS") or 0)


class PeakMemory:
    """Peaks from construction to stop(), in MiB: the process's resident memory (everything it holds,
    data and libraries included; None without /proc) and, on CUDA, torch's allocated device memory.

    Right when many runs share one process (the basic launcher runs a whole sweep in one): the
    kernel's high-water mark is reset at the start, or where that is refused, VmRSS is sampled."""

    def __init__(self, device: str = "cpu"):
        self.torch = torch_module() if device == "cuda" else None
        if self.torch:
            self.torch.cuda.reset_peak_memory_stats(device)
        self.device, self.sampler, self.how = device, None, None
        if reset_rss_peak():
            self.how = "VmHWM"
        elif status_kib("VmRSS") is not None:
            self.sampler, self.how = RssSampler(), "VmRSS sampled"
            self.sampler.start()

    def stop(self) -> dict:
        """{"peak_rss_mb": ..., "peak_device_mb": ...}, None for what cannot be measured here."""
        kib = self.sampler.stop() if self.sampler else status_kib("VmHWM") if self.how else None
        self.sampler = None
        device = self.torch.cuda.max_memory_allocated(self.device) / 2**20 if self.torch else None
        return {"peak_rss_mb": kib / 1024 if kib is not None else None, "peak_device_mb": device}

    def __del__(self):  # a run that raised never calls stop(): end its sampler with it
        if self.sampler:
            self.sampler.done.set()
