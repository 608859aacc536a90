"""Results: one parquet row per (run, epoch), written so that nothing is ever lost.

Each run writes ``<results_dir>/runs/<run_id>.parquet`` atomically (temporary
file, then rename). Those files are the record; ``<results_dir>/runs.parquet``
is their merge, rebuilt under a file lock after every run and at the end of a
multirun. Read results with `load`, which upgrades rows of older schema versions;
``results/peers.parquet``, written by `make perf`, has its own reader beside it.
"""

import logging
import os
from pathlib import Path

import pandas as pd
from filelock import FileLock
from hydra.experimental.callback import Callback

from .configuration import CHAPTER_1
from .errors import UserError

SCHEMA_VERSION = 10

# Column name -> pandas dtype. Floats use NaN for "no value".
COLUMNS = {
    # the run
    "run_id": "string",
    "config_hash": "string",
    "provenance_hash": "string",
    "backend": "string",
    "backend_options": "string",
    "device": "string",
    "batch_size": "int64",
    "hidden": "int64",
    "eta": "float64",
    "epochs": "int64",
    "epoch_examples": "Int64",  # the examples each epoch trained on when cut short; NA: all of them
    "epoch": "int64",
    "seed": "int64",
    "dtype": "string",
    "threads": "int64",
    "blas_threads": "Int64",
    "torch_threads": "Int64",
    "cpus": "Int64",
    "background_load": "int64",
    "launcher": "string",
    "parallel_jobs": "int64",
    "slurm_job_id": "string",
    "slurm_array_task_id": "Int64",
    "slurm_partition": "string",
    "slurm_node": "string",
    "target_accuracy": "float64",
    # chapter 3's changes to the network (conf/config.yaml); their defaults are chapter 1's
    "hidden_layers": "string",
    "cost": "string",
    "output": "string",
    "lmbda": "float64",
    "init": "string",
    "activation": "string",
    "momentum": "float64",
    # the measurements
    "setup_s": "float64",
    "train_s": "float64",
    "eval_s": "float64",
    "elapsed_train_s": "float64",
    "warmup": "bool",
    "examples_per_s": "float64",
    "test_acc": "float64",
    "val_acc": "float64",
    "train_cost": "float64",
    "time_to_target_s": "float64",
    "time_to_target_with_setup_s": "float64",
    "peak_gflops": "float64",
    "peak_source": "string",
    "graph_fraction": "float64",
    "cuda_graphs": "boolean",
    "peak_rss_mb": "float64",
    "peak_device_mb": "float64",
    "fingerprint_gflops": "float64",
    "others_cores": "float64",
    "steal_share": "float64",
    # a side of a pair (benchmarks.pairs): both sides of one pair share its id; NA in whole runs
    "pair_id": "string",
    "pair_side": "Int64",
    # the outcome
    "status": "string",
    "error": "string",
    # the environment
    "hostname": "string",
    "cpu_model": "string",
    "cpu_identity": "string",
    "cpu_arch": "string",
    "cpu_isa": "string",
    "cpu_caches": "string",
    "hypervisor": "string",
    "logical_cpus": "int64",
    "loadavg_start": "float64",
    "loadavg_end": "float64",
    "python": "string",
    "numpy": "string",
    "torch": "string",
    "blas": "string",
    "cuda_device": "string",
    "git_commit": "string",
    "git_dirty": "boolean",
    "git_diff": "string",
    "backend_files": "string",
    "data_sha256": "string",
    "speed_env": "string",
    "started_at": "datetime64[us, UTC]",
    "schema_version": "int64",
}

# Columns each schema version added, with the value that rows written before it get.
ADDED = {
    2: {"launcher": "basic", "parallel_jobs": 1},
    # Unknown for older rows: they were written before these were recorded.
    3: {"cuda_graphs": False}
    | {
        column: None
        for column in (
            "provenance_hash",
            "backend_options",
            "time_to_target_with_setup_s",
            "peak_source",
            "graph_fraction",
            "git_diff",
            "data_sha256",
            "speed_env",
        )
    },
    4: {"backend_files": None},
    5: {"cpus": None},
    6: {"slurm_job_id": None, "slurm_array_task_id": None},
    # Every run before version 7 was chapter 1's network with one hidden layer; hidden_layers is
    # filled from `hidden` by upgrade.
    7: {"hidden_layers": None, **CHAPTER_1, "peak_rss_mb": None, "peak_device_mb": None},
    # The exact machine and the load on it, unknown before.
    8: {
        column: None
        for column in (
            "cpu_identity",
            "cpu_arch",
            "cpu_isa",
            "cpu_caches",
            "hypervisor",
            "fingerprint_gflops",
            "others_cores",
            "steal_share",
            "slurm_partition",
            "slurm_node",
        )
    },
    # Every epoch before version 9 trained on the whole training set.
    9: {"epoch_examples": None},
    # Every run before version 10 was a whole run.
    10: {"pair_id": None, "pair_side": None},
}

log = logging.getLogger(__name__)


class SchemaError(UserError):
    """Results this version cannot read; the message says what to do."""


def upgrade(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of any older schema version, with the columns and types of this one.

    Columns this version does not know are dropped."""
    newest = frame.schema_version.max() if len(frame) else SCHEMA_VERSION
    if newest > SCHEMA_VERSION:
        raise SchemaError(
            f"results have schema version {newest}, newer than this backprop-bench's "
            f"{SCHEMA_VERSION}; update backprop-bench to read them"
        )
    frame = frame.copy()
    for version, columns in ADDED.items():
        older = frame.schema_version < version
        for column, value in columns.items():
            if column not in frame:
                frame[column] = pd.NA
            frame.loc[older, column] = value
    one_layer = frame.hidden_layers.isna()
    frame.loc[one_layer, "hidden_layers"] = frame.loc[one_layer, "hidden"].astype(str)
    known = [column for column in COLUMNS if column in frame]
    return frame[known].astype({column: COLUMNS[column] for column in known})


# Columns without which a file is not this harness's results at all.
IDENTIFYING = {"schema_version", "backend", "train_s"}


def load(path: Path, made_by: str = "`make bench` or `python run.py`") -> pd.DataFrame:
    """A runs.parquet, upgraded to this schema; ResultsError, in one line that names `made_by`
    as what writes one, when it is missing, unreadable, empty or not this harness's."""
    path = Path(path)
    if not path.is_file():
        raise ResultsError(f"{path} does not exist; run {made_by} first")
    try:
        runs = pd.read_parquet(path)
    except Exception as e:  # pyarrow's many ways of saying "not parquet"
        raise ResultsError(f"{path} is not a readable parquet file ({e})") from None
    missing = IDENTIFYING - set(runs.columns)
    if missing:
        raise ResultsError(f"{path} lacks columns {sorted(missing)}; it was not written by this harness")
    if runs.empty:
        raise ResultsError(f"{path} holds no runs; run {made_by} first")
    try:
        return upgrade(runs)
    except SchemaError as e:
        raise SchemaError(f"{path}: {e}") from None


# peers.parquet (`make perf`): columns added since its first version, with older rows' value.
PEERS_ADDED = {"device": "cpu"}  # written before peers ran on CUDA


def upgrade_peers(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(**{c: frame.get(c, v) for c, v in PEERS_ADDED.items()})


def append_peers(frame: pd.DataFrame, path: Path) -> None:
    """Add a side-by-side timing's rows to peers.parquet, upgrading the rows already there."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        frame = pd.concat([upgrade_peers(pd.read_parquet(path)), frame], ignore_index=True)
    write_atomic(frame, path)


def runs_dir(results_dir: Path) -> Path:
    return Path(results_dir) / "runs"


def merged_path(results_dir: Path) -> Path:
    return Path(results_dir) / "runs.parquet"


def to_frame(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    return frame.astype(COLUMNS)


def write_atomic(frame: pd.DataFrame, path: Path) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        frame.to_parquet(partial, index=False)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


class ResultsError(UserError):
    """Results could not be written or read; those written before are intact."""


def write_run(records: list[dict], results_dir: Path, merged: bool = True) -> Path:
    """Add one run's rows to runs.parquet, then keep them in a file of their own.

    runs.parquet gains the run first, in one atomic replace, so that a run
    whose summary was printed is in it whenever the process is killed. With
    `merged=False` only the run's own file is written, for a caller that
    merges many at once; `collect` finds it meanwhile.
    """
    frame = to_frame(records)
    path = runs_dir(results_dir) / f"{records[0]['run_id']}.parquet"
    try:
        if merged:
            merge(results_dir, frame)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(frame, path)
    except OSError as e:
        reason = e.strerror or e
        raise ResultsError(
            f"could not write results to {results_dir} ({reason}); earlier results are intact"
        ) from e
    return path


def read_parquet_or_warn(path: Path) -> pd.DataFrame | None:
    try:
        return upgrade(pd.read_parquet(path))
    except SchemaError:
        raise
    except Exception as e:  # one unreadable file must not hide the others
        log.warning("skipping unreadable result file %s: %s", path, e)
        return None


# runs.parquet as this process last read or wrote it, by path: a sweep's every job reads it several
# times (to resume, to merge, to report progress), and it changes only when a run is merged.
_merged: dict[Path, tuple[tuple, pd.DataFrame]] = {}


def file_state(path: Path) -> tuple:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size, stat.st_ino  # a replaced file is a new inode


def read_merged(results_dir: Path) -> pd.DataFrame | None:
    """runs.parquet, upgraded, or None where there is none; read again only when it changed."""
    path = merged_path(results_dir).resolve()
    if not path.exists():
        return None
    state = file_state(path)
    if path in _merged and _merged[path][0] == state:
        return _merged[path][1]
    frame = read_parquet_or_warn(path)
    if frame is not None:
        _merged[path] = (state, frame)
    return frame


def collect(results_dir: Path, *new: pd.DataFrame) -> pd.DataFrame:
    """Every row known: runs.parquet, the run files it lacks, and `new`, de-duplicated by (run_id, epoch).

    A run file holds exactly the rows of the run it is named after, so those
    already in runs.parquet are not read again.
    """
    merged = read_merged(results_dir)
    known = set() if merged is None else set(merged.run_id)
    missing = [path for path in sorted(runs_dir(results_dir).glob("*.parquet")) if path.stem not in known]
    frames = [frame for frame in [merged, *map(read_parquet_or_warn, missing), *new] if frame is not None]
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return to_frame([])
    runs = pd.concat(frames, ignore_index=True).drop_duplicates(["run_id", "epoch"], keep="last")
    return runs.sort_values(["started_at", "run_id", "epoch"], ignore_index=True)


def merge(results_dir: Path, *new: pd.DataFrame) -> pd.DataFrame:
    """Rewrite runs.parquet, under a file lock, as everything `collect` finds."""
    results_dir = Path(results_dir)
    if not (new or runs_dir(results_dir).is_dir()):
        return collect(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(results_dir / ".runs.lock"):
        runs = collect(results_dir, *new)
        path = merged_path(results_dir)
        write_atomic(runs, path)
        _merged[path.resolve()] = (file_state(path), runs.copy())
    return runs


def finished_runs(results_dir: Path, config_hash: str, seed: int) -> pd.DataFrame:
    """The rows of whole runs of this configuration and seed that finished ``ok``, whatever made them."""
    runs = whole(collect(results_dir))
    return runs[(runs.config_hash == config_hash) & (runs.seed == seed) & (runs.status == "ok")]


def paired(runs: pd.DataFrame) -> pd.Series:
    """Which rows are a side of a pair (benchmarks.pairs) rather than of a whole run."""
    return runs.pair_id.notna() if "pair_id" in runs else pd.Series(False, index=runs.index)


def whole(runs: pd.DataFrame) -> pd.DataFrame:
    """The rows of whole runs: everything but the sides of pairs, which only the answers read."""
    return runs[~paired(runs)]


class MergeResults(Callback):
    """Merge every job's results in the launching process, whichever launcher ran them."""

    def on_run_end(self, config, **kwargs) -> None:
        merge(Path(config.results_dir))

    def on_multirun_end(self, config, **kwargs) -> None:
        merge(Path(config.results_dir))
