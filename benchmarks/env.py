"""The machine a measurement was taken on, and the knobs that change it.

Thread counts are pinned for BLAS (through threadpoolctl) and for torch's
intra-op pool; both are read back and recorded, along with the load average.
"""

import contextlib
import importlib.util
import multiprocessing
import os
import platform
import socket
import subprocess
import time
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

ROOT = Path(__file__).resolve().parent.parent


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
    }


def loadavg() -> float:
    return os.getloadavg()[0]


def utc_now() -> datetime:
    return datetime.now(UTC)


@contextlib.contextmanager
def pinned_threads(threads: int | None):
    """Pin BLAS and torch intra-op threads (None: leave the defaults); yield the counts in force."""
    torch = torch_module()
    saved = torch.get_num_threads() if torch else None
    with threadpool_limits(limits=threads):
        if torch and threads is not None:
            torch.set_num_threads(threads)
        blas_threads = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
        try:
            yield {
                "blas_threads": max(blas_threads) if blas_threads else None,
                "torch_threads": torch.get_num_threads() if torch else None,
            }
        finally:
            if torch:
                torch.set_num_threads(saved)


def busy_loop() -> None:
    while True:
        pass


@contextlib.contextmanager
def background_load(processes: int):
    """Keep `processes` cores busy for the duration, and always stop them."""
    helpers = [multiprocessing.Process(target=busy_loop, daemon=True) for _ in range(processes)]
    for helper in helpers:
        helper.start()
    try:
        if helpers:
            time.sleep(0.2)  # let the scheduler see the load before timing starts
        yield
    finally:
        for helper in helpers:
            helper.kill()
            helper.join()


@cache
def sgemm_gflops(threads: int, size: int = 1024, repeats: int = 5) -> float:
    """Best float32 matrix-multiply rate of this machine's BLAS at this thread count."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((size, size), dtype=np.float32) for _ in range(2))
    out = np.empty_like(a)
    best = float("inf")
    with threadpool_limits(limits=threads):
        np.matmul(a, b, out=out)
        for _ in range(repeats):
            start = time.perf_counter()
            np.matmul(a, b, out=out)
            best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9
