"""A sweep you can watch: one line per finished run, with its place in the sweep and the time left.

    [12/47] numpy batch=100 hidden=30 seed=0: 0.131 s/epoch, 92.1%; about 2 min left

A Hydra callback. Its job hooks run in the job's own process: the sweep's process under the
basic launcher, a worker under joblib, a node under SLURM (where the line goes to the job's
log). Jobs finish in any order and in separate processes, so each finished job claims the next
free number in the sweep folder, and that number is its place. The time left is extrapolated
from the time since the sweep began, when Hydra wrote multirun.yaml there.
"""

import logging
import os
import time
from pathlib import Path

import pandas as pd
from hydra.experimental.callback import Callback
from hydra.types import RunMode

from . import configuration, registry, results, stats
from .launchers import sweep_batch_size

log = logging.getLogger(__name__)

PLACES = ".finished"  # the folder, in the sweep folder, where finished jobs claim their numbers


def claim_place(sweep_dir: Path) -> int:
    """The next free place among the sweep's finished jobs, claimed atomically (O_EXCL)."""
    places = sweep_dir / PLACES
    places.mkdir(parents=True, exist_ok=True)
    place = len(os.listdir(places)) + 1
    while True:
        try:
            os.close(os.open(places / str(place), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return place
        except FileExistsError:
            place += 1


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def time_left(place: int, total: int, elapsed: float) -> str:
    if place >= total:
        return f"sweep done in {duration(elapsed)}"
    return f"about {duration(elapsed / place * (total - place))} left"


def run_name(cfg) -> str:
    """What the run is, in the words of its settings: backend, batch, hidden, seed, and threads or
    load where they are not the usual."""
    name = f"{cfg.backend.name} batch={cfg.batch_size} hidden={cfg.hidden} seed={cfg.seed}"
    name += f" threads={cfg.threads}" if cfg.threads != 1 else ""
    return name + (f" load={cfg.background_load}" if cfg.background_load else "")


def outcome(cfg, results_dir: Path, since: float, status) -> str:
    """'0.131 s/epoch, 92.1%' from the run file this job wrote after `since`; else what happened."""
    if status == "ok" and (rows := this_run(cfg, results_dir, since)) is not None:
        rows = stats.whole_epochs(rows)  # an epoch cut short, at the rate it trained
        timed = rows[~rows.warmup.astype(bool)].train_s
        seconds = timed.median() if len(timed) else rows.train_s.median()
        return f"{seconds:.3f} s/epoch, {rows.sort_values('epoch').test_acc.iloc[-1]:.1%}"
    if status == "ok":
        return "already done, skipped"
    return status if isinstance(status, str) else f"failed: {type(status).__name__}: {status}"


def this_run(cfg, results_dir: Path, since: float) -> pd.DataFrame | None:
    """The rows of the run file, written after `since`, of this configuration and seed as
    configuration.identity defines them; None if there is none (a run that finished before and was
    skipped writes none). The launcher's fields are not the job's to know, and an unpinned backend's
    thread count is its libraries'."""
    expected = configuration.identity(cfg, registry.net_options(cfg.backend.net), "", 1)
    unknown = {"launcher", "parallel_jobs"} | (set() if cfg.backend.pin_threads else {"threads"})
    wanted = {key: value for key, value in expected.items() if key not in unknown}
    files = [
        path for path in results.runs_dir(results_dir).glob("*.parquet") if path.stat().st_mtime >= since
    ]
    for path in sorted(files, key=lambda path: path.stat().st_mtime, reverse=True):
        rows = pd.read_parquet(path)
        if all(same(rows[key], value) for key, value in wanted.items() if key in rows):
            return rows
    return None


def same(column: pd.Series, value) -> bool:
    """Whether every row holds `value`; None (a setting left unset, e.g. epoch_examples) is held as
    missing."""
    return bool(column.isna().all() if value is None else (column == value).all())


class Progress(Callback):
    """Logs `[k/N] run: result; time left` as each job of a sweep ends, under any launcher."""

    def on_job_start(self, config, **kwargs) -> None:
        self.job_started = time.time()

    def on_job_end(self, config, job_return, **kwargs) -> None:
        if config.hydra.mode != RunMode.MULTIRUN:
            return
        sweep_dir = Path(config.hydra.sweep.dir)
        place = claim_place(sweep_dir)
        total = sweep_batch_size(sweep_dir)
        elapsed = time.time() - (sweep_dir / "multirun.yaml").stat().st_mtime
        status = job_return.return_value
        result = outcome(config, Path(config.results_dir), self.job_started, status)
        log.info(
            "[%d/%d] %s: %s; %s", place, total, run_name(config), result, time_left(place, total, elapsed)
        )
