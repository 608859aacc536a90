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


def cpuinfo() -> dict[str, str]:
    """The first processor's fields of /proc/cpuinfo; {} where there is none."""
    fields = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if not line.strip():
                if fields:
                    break
                continue
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    return fields


# (vendor, family) -> (first model, last model, name), from the vendors' model numbers.
MICROARCHITECTURES = {
    ("AuthenticAMD", 23): [(0x00, 0x2F, "Zen/Zen+"), (0x30, 0xFF, "Zen 2")],
    ("AuthenticAMD", 25): [
        (0x00, 0x0F, "Zen 3"), (0x10, 0x1F, "Zen 4"), (0x20, 0x5F, "Zen 3"), (0x60, 0xAF, "Zen 4"),
    ],
    ("AuthenticAMD", 26): [(0x00, 0xFF, "Zen 5")],
    ("GenuineIntel", 6): [
        (0x3C, 0x3C, "Haswell"), (0x3F, 0x3F, "Haswell"),
        (0x3D, 0x3D, "Broadwell"), (0x4F, 0x4F, "Broadwell"),
        (0x4E, 0x4E, "Skylake"), (0x5E, 0x5E, "Skylake"), (0x55, 0x55, "Skylake-SP/Cascade Lake"),
        (0x8E, 0x8E, "Kaby/Coffee Lake"), (0x9E, 0x9E, "Kaby/Coffee Lake"), (0xA5, 0xA6, "Comet Lake"),
        (0x6A, 0x6C, "Ice Lake-SP"), (0x7D, 0x7E, "Ice Lake"), (0x8C, 0x8D, "Tiger Lake"),
        (0x97, 0x9A, "Alder Lake"), (0xB7, 0xB7, "Raptor Lake"), (0xBA, 0xBA, "Raptor Lake"),
        (0xBF, 0xBF, "Raptor Lake"), (0x8F, 0x8F, "Sapphire Rapids"), (0xCF, 0xCF, "Emerald Rapids"),
        (0xAD, 0xAE, "Granite Rapids"), (0xAA, 0xAC, "Meteor Lake"), (0xC5, 0xC6, "Arrow Lake"),
        (0xBD, 0xBD, "Lunar Lake"),
    ],
}  # fmt: skip
# The instruction sets BLAS and the frameworks choose kernels by.
KERNEL_ISA = (
    "avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "avx_vnni",
    "amx_tile", "amx_bf16", "amx_int8", "asimd", "sve", "sve2", "sme",
)  # fmt: skip


def microarchitecture(vendor: str, family: int, model: int) -> str:
    for first, last, name in MICROARCHITECTURES.get((vendor, family), []):
        if first <= model <= last:
            return name
    return f"{vendor} family {family} model {model}"


def cpu_caches() -> str:
    """The caches one core sees, as 'L1d 32 KiB, L2 1 MiB, L3 32 MiB' (sysfs); '' where unknown."""
    parts = []
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        with contextlib.suppress(OSError):
            level, kind = (index / "level").read_text().strip(), (index / "type").read_text().strip()
            if kind == "Instruction":
                continue
            size = (index / "size").read_text().strip()
            kib = int(size.rstrip("K"))
            text = f"{kib // 1024} MiB" if kib >= 1024 and kib % 1024 == 0 else f"{kib} KiB"
            parts.append(f"L{level}{'d' if kind == 'Data' else ''} {text}")
    return ", ".join(parts)


def hypervisor(flags: set[str]) -> str:
    """The hypervisor's vendor as lscpu reads it from CPUID, 'unknown' where the CPU says it runs under
    one that lscpu cannot name, 'none' on bare metal."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10, env={"LC_ALL": "C"})
        for line in done.stdout.splitlines():
            if line.startswith("Hypervisor vendor:"):
                return line.split(":", 1)[1].strip()
    return "unknown" if "hypervisor" in flags else "none"


@cache
def machine() -> dict:
    """What tells two CPUs apart that report the same model name: vendor, family, model and stepping
    (x86) or implementer and part (Arm), the microarchitecture they mean, the kernel-choosing
    instruction sets, the caches, and the hypervisor."""
    info = cpuinfo()
    flags = set((info.get("flags") or info.get("Features") or "").split())
    vendor = info.get("vendor_id") or info.get("CPU implementer") or platform.machine()
    if "cpu family" in info:
        family, model = int(info["cpu family"]), int(info["model"])
        identity = f"{vendor} family {family} model {model} stepping {info.get('stepping', '?')}"
        arch = microarchitecture(vendor, family, model)
    else:
        part = info.get("CPU part", "?")
        identity = f"{vendor} part {part} variant {info.get('CPU variant', '?')}"
        arch = platform.processor() or platform.machine()
    return {
        "cpu_identity": identity,
        "cpu_arch": arch,
        "cpu_isa": " ".join(isa for isa in KERNEL_ISA if isa in flags),
        "cpu_caches": cpu_caches(),
        "hypervisor": hypervisor(flags),
    }


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
    """The SLURM job this run is part of, as sacct names it (an array's task as JOBID_TASK), and the
    partition and node it ran on, as the node itself says; None outside SLURM."""
    job, array, task = (os.environ.get(f"SLURM_{key}") for key in ("JOB_ID", "ARRAY_JOB_ID", "ARRAY_TASK_ID"))
    return {
        "slurm_job_id": f"{array}_{task}" if array and task else job,
        "slurm_array_task_id": int(task) if task else None,
        "slurm_partition": os.environ.get("SLURM_JOB_PARTITION") if job else None,
        "slurm_node": os.environ.get("SLURMD_NODENAME") if job else None,
    }


@cache
def static_environment() -> dict:
    torch = torch_module()
    status = git("status", "--porcelain", "--untracked-files=no")
    return {
        "hostname": socket.gethostname(),
        "cpu_model": cpu_model(),
        **machine(),
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
# A helper says it is spinning (one byte on stdout) and spins until killed
BUSY = (
    "import os, sys, time; os.sched_setaffinity(0, range(os.cpu_count()))\n"
    "sys.stdout.write('.'); sys.stdout.flush()\n"
)
SPINNING = "while True: pass"
IN_BURSTS = (  # {on} seconds busy, then as long idle
    "while True:\n    end = time.perf_counter() + {on}\n"
    "    while time.perf_counter() < end: pass\n    time.sleep({on})"
)


@contextlib.contextmanager
def background_load(processes: int, bursts: float | None = None):
    """Keep `processes` cores busy for the duration (or, with `bursts`, busy that many seconds, then
    idle as long, in turn), and always stop them; yields their process ids.

    Each helper is a fresh interpreter, not a fork: forking a process in which a
    multithreaded library (JAX) is loaded can deadlock the child."""
    program = BUSY + (IN_BURSTS.format(on=bursts) if bursts else SPINNING)
    helpers = [
        subprocess.Popen([sys.executable, "-c", program], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        for _ in range(processes)
    ]
    try:
        for helper in helpers:
            helper.stdout.read(1)  # spinning, or gone (b""): timing starts under the load, never before
        yield [helper.pid for helper in helpers]
    finally:
        for helper in helpers:
            helper.kill()
            helper.wait()
            helper.stdout.close()


def machine_times() -> tuple[int, int, int] | None:
    """(busy, stolen, all) clock ticks of every core since boot, from /proc/stat; None without it."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        ticks = [int(t) for t in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
        user, nice, system, idle, iowait, irq, softirq, steal = ticks
        return user + nice + system + irq + softirq, steal, sum(ticks)
    return None


def process_seconds(pid: int) -> float:
    """CPU seconds another process has used (user and system, /proc/PID/stat); 0 once it is gone."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


class MachineLoad:
    """Other work on the machine while a block runs: the cores that processes other than this one
    and its `helpers` (the run's own background load) kept busy on average, and the share of the
    machine's time the hypervisor stole. Both None where /proc/stat cannot be read."""

    def __init__(self, helpers=()):
        self.helpers = list(helpers)
        self.others_cores = self.steal_share = None

    def own_seconds(self) -> float:
        times = os.times()
        return times.user + times.system + sum(process_seconds(pid) for pid in self.helpers)

    def __enter__(self):
        self.start = (time.perf_counter(), self.own_seconds(), machine_times())
        return self

    def __exit__(self, *exc):
        wall, own, ticks = time.perf_counter(), self.own_seconds(), machine_times()
        if ticks is None or self.start[2] is None or wall <= self.start[0]:
            return
        hz = os.sysconf("SC_CLK_TCK")
        busy, stolen, total = (after - before for after, before in zip(ticks, self.start[2]))
        others = busy / hz - (own - self.start[1])
        self.others_cores = max(0.0, others / (wall - self.start[0]))
        self.steal_share = stolen / total if total > 0 else 0.0

    def as_row(self) -> dict:
        return {"others_cores": self.others_cores, "steal_share": self.steal_share}


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


# The machine's fingerprint, measured once in every process: NumPy's float32 matrix-product peak on
# one core. Two sets whose fingerprints differ beyond the noise ran on two machines, whatever names
# the machines gave themselves.
FINGERPRINT = ("numpy", "float32", "cpu", 1)


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
