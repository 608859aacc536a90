"""Which Hydra launcher runs this job, and how many jobs share its machine.

Parallel jobs on one machine compete for its cores, so every row records both;
the report keeps such timings apart from those of jobs that ran alone.
"""

import os
from functools import cache
from pathlib import Path

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.types import RunMode
from omegaconf import OmegaConf

# Launchers that run one job at a time here.
ONE_JOB_PER_MACHINE = ("BasicLauncher",)


def sweep_batch_size(sweep_dir: Path) -> int:
    """Jobs launched together by this sweep, counted as Hydra's sweeper counts them.

    Every sweeper saves multirun.yaml, with the sweep's own overrides, before any job starts; the
    interleaved sweeper, whose legs only it can expand, also the count. Every job asks; the file is
    read once while it stays as it is.
    """
    saved = (Path(sweep_dir) / "multirun.yaml").resolve()
    return saved_batch_size(saved, saved.stat().st_mtime_ns)


@cache
def saved_batch_size(saved: Path, modified_ns: int) -> int:
    hydra = OmegaConf.load(saved).hydra
    if hydra.sweeper.get("launched") is not None:
        return hydra.sweeper.launched
    params = hydra.sweeper.get("params") or {}
    # As the sweeper reads them: the preset's params first, so that the command line's win.
    overrides = [f"{key}={value}" for key, value in params.items()] + list(hydra.overrides.task)
    parsed = OverridesParser.create().parse_overrides(overrides)
    return len(BasicSweeper.split_arguments(parsed, hydra.sweeper.get("max_batch_size"))[0])


def parallel_jobs(settings, sweep_dir: Path) -> int:
    """Jobs that may share this job's machine: 1 when it runs alone, else as many as were launched
    together, up to the launcher's limit (a SLURM job runs alone only with a node to itself)."""
    target = str(settings.get("_target_", ""))
    slurm = target.endswith("SlurmLauncher")
    if target.endswith(ONE_JOB_PER_MACHINE) or (slurm and settings.get("exclusive")):
        return 1
    launched = sweep_batch_size(sweep_dir)
    if slurm:
        return min(launched, settings.get("array_parallelism") or launched)
    limit = settings.get("n_jobs")  # joblib; -1 means every core
    if limit is None:
        return launched
    return min(launched, os.cpu_count() + 1 + limit if limit < 0 else limit)


def launch_context() -> dict:
    """Mode, launcher and parallelism of the Hydra job now running."""
    hydra = HydraConfig.get()
    if hydra.mode != RunMode.MULTIRUN:
        return {"multirun": False, "launcher": "basic", "parallel_jobs": 1}
    return {
        "multirun": True,
        "launcher": hydra.runtime.choices.get("hydra/launcher", "basic"),
        "parallel_jobs": parallel_jobs(hydra.launcher, Path(hydra.sweep.dir)),
    }
