"""What makes two runs the same configuration, and what makes their timings poolable.

A *configuration* is the work measured: the backend with every option of its
`net`, the device, and every setting that changes the work or the machine's
share of it. The seed stays out, so that one configuration's runs over several
seeds share one key. A run's *provenance* is what made the measurement: the
code, the machine, the libraries, the data, and the environment variables that
change their speed. The harness hashes both to decide what a resumed sweep may
skip; the report and compare group by both, so runs differing in either are
never pooled into one median. This module is the only definition of both.
"""

import hashlib
import json
import math
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import pandas as pd

from . import env, registry

# Nielsen's chapter-1 setting, the one every default and headline figure refers to.
NIELSEN = {"hidden": 30, "batch_size": 10, "eta": 3.0, "epochs": 30}
# Chapter 1's network: the values of the settings chapter 3 changes (conf/config.yaml's defaults).
CHAPTER_1 = {
    "cost": "quadratic",
    "output": "sigmoid",
    "lmbda": 0.0,
    "init": "normal",
    "activation": "sigmoid",
    "momentum": 0.0,
}

CONFIGURATION = [
    "backend",
    "backend_options",
    "device",
    "dtype",
    "eta",
    "batch_size",
    "hidden",
    "hidden_layers",
    "cost",
    "output",
    "lmbda",
    "init",
    "activation",
    "momentum",
    "epochs",
    "epoch_examples",
    "threads",
    "background_load",
    "parallel_jobs",
]
PROVENANCE = [
    "git_commit",
    "git_diff",
    "backend_files",
    "hostname",
    "cpu_model",
    "cpu_identity",
    "cpu_isa",
    "cpu_caches",
    "hypervisor",
    "python",
    "numpy",
    "torch",
    "blas",
    "data_sha256",
    "speed_env",
]
# The machine and software a timing depends on, as the report and compare show them.
ENVIRONMENT = [
    "cpu_model",
    "cpu_arch",
    "cpu_identity",
    "cpu_isa",
    "cpu_caches",
    "hypervisor",
    "logical_cpus",
    "cuda_device",
    "python",
    "numpy",
    "torch",
    "blas",
    "speed_env",
]
# Settings shown in a variant's label when they differ from conf/config.yaml. `hidden` is not among
# them: plots and tables show the width beside the label; several hidden layers are shown as `layers`.
LABELLED_SETTINGS = (
    "dtype", "eta", "cost", "output", "lmbda", "init", "activation", "momentum", "epoch_examples"
)  # fmt: skip
# Chapter 3's settings as an implementation's constructor takes them (`init` and `hidden` go into its
# parameters instead), and the cost a softmax output is trained on whatever `cost` says.
NETWORK_SETTINGS = ("cost", "output", "lmbda", "activation", "momentum")
SOFTMAX_COST = "log_likelihood"
# A label says "graphs" only when at least this share of an epoch's steps was replayed.
GRAPHED = 0.9


def plain(value):
    """A JSON-ready Python value from a row's value, whether it came from a dict or from parquet."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


# Keys added to CONFIGURATION after runs were recorded, left out of a digest where unset, so that a
# configuration that does not use them keeps the hash its earlier runs were recorded under.
UNSET_LEFT_OUT = ("epoch_examples",)


def digest(row: Mapping, keys: list[str]) -> str:
    values = {key: plain(row.get(key)) for key in keys}
    text = json.dumps(
        {k: v for k, v in values.items() if not (k in UNSET_LEFT_OUT and v is None)}, sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def config_hash(row: Mapping) -> str:
    return digest(row, CONFIGURATION)


def provenance_hash(row: Mapping) -> str:
    return digest(row, PROVENANCE)


def options_text(options: dict) -> str:
    """The backend's options as recorded: its `net` settings but `_target_`, as sorted JSON."""
    return json.dumps(options, sort_keys=True)


def enum_value(setting) -> str:
    """The text of an enum setting, whether the schema made it an Enum or not."""
    return str(getattr(setting, "value", setting))


def effective_threads(counts: dict) -> int:
    """The thread count a backend left at its libraries' defaults runs at, from env.thread_counts()."""
    return counts["torch_threads"] or counts["blas_threads"] or 1


def identity(cfg, options: dict, launcher: str, parallel_jobs: int) -> dict:
    """The configuration fields of a run's row, and its seed, from its settings; the device is added
    once resolved. A backend that does not pin threads runs at, and is known by, its libraries'
    default thread count. `hidden` is the first hidden layer's width, `hidden_layers` all of them
    ("30,30"); a softmax output's cost is recorded as the log-likelihood it is trained on."""
    widths = [cfg.hidden] if isinstance(cfg.hidden, int) else list(cfg.hidden)
    output = enum_value(cfg.output)
    return {
        "backend": cfg.backend.name,
        "backend_options": options_text(options),
        "batch_size": cfg.batch_size,
        "hidden": widths[0],
        "hidden_layers": ",".join(map(str, widths)),
        "cost": SOFTMAX_COST if output == "softmax" else enum_value(cfg.cost),
        "output": output,
        "lmbda": float(cfg.lmbda),
        "init": enum_value(cfg.init),
        "activation": enum_value(cfg.activation),
        "momentum": float(cfg.momentum),
        "eta": cfg.eta,
        "epochs": cfg.epochs,
        "epoch_examples": cfg.epoch_examples,
        "seed": cfg.seed,
        "dtype": enum_value(cfg.dtype),
        "threads": cfg.threads if cfg.backend.pin_threads else effective_threads(env.thread_counts()),
        "background_load": cfg.background_load,
        "launcher": launcher,
        "parallel_jobs": parallel_jobs,
        "target_accuracy": cfg.target_accuracy,
    }


@cache
def default_options() -> dict[str, dict]:
    """Backend name -> the options its conf/backend file sets."""
    return {name: registry.backend_options(name) for name in registry.backend_configs()}


@cache
def default_settings() -> dict:
    return {key: registry.run_settings()[key] for key in LABELLED_SETTINGS}


def spelled(key: str, value) -> str:
    """A value as it is typed on the command line, booleans as true/false; a path by its last two parts;
    chapter 3's numbers as short as they are typed (lmbda=5)."""
    if key == "path" and value:
        return "/".join(Path(value).parts[-2:])
    if key in ("lmbda", "momentum"):
        return f"{value:g}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def graph_note(fraction) -> str | None:
    fraction = plain(fraction)
    if not fraction:
        return None
    return "graphs" if fraction >= GRAPHED else f"partly graphed ({fraction:.0%})"


def variant(row: Mapping) -> str:
    """A short label for what ran, e.g. 'torch (cuda, graphs)' or 'torch (cpu, torchscript=false)'.

    It names the device, whether CUDA graphs ran, and the options and settings
    that differ from the backend's and the run's defaults.
    """
    backend = row["backend"]
    parts = [plain(row.get("device")) or "?"]
    parts += [note] if (note := graph_note(row.get("graph_fraction"))) else []
    options = json.loads(plain(row.get("backend_options")) or "{}")
    defaults = default_options().get(backend, {})
    # A `path` names a file someone wrote (their network.py), so it is always shown.
    shown = sorted((k, v) for k, v in options.items() if k == "path" or defaults.get(k, object()) != v)
    parts += [f"{k}={spelled(k, v)}" for k, v in shown]
    if "," in (layers := plain(row.get("hidden_layers")) or ""):
        parts.append(f"layers={layers}")
    for key, default in default_settings().items():
        value = plain(row.get(key))
        if value is not None and value != default:
            parts.append(value if key == "dtype" else f"{key}={spelled(key, value)}")
    return f"{backend} ({', '.join(map(str, parts))})"


def variants(frame: pd.DataFrame) -> pd.Series:
    if frame.empty:
        return pd.Series([], dtype="string", index=frame.index)
    return pd.Series([variant(row) for row in frame.to_dict("records")], index=frame.index, dtype="string")


def with_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with `config_key` and `provenance_key` computed from its own columns.

    Recomputed rather than read from `config_hash`, so that rows written by older
    versions of the harness are grouped by the same definition as new ones.
    """
    records = frame.reindex(columns=CONFIGURATION + PROVENANCE).to_dict("records")
    return frame.assign(
        config_key=[config_hash(r) for r in records],
        provenance_key=[provenance_hash(r) for r in records],
    )


def newest_sets(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(kept, left out): for each configuration, the rows of the provenance of its newest run."""
    frame = with_keys(frame) if "config_key" not in frame else frame
    if frame.empty:
        return frame, frame
    starts = frame.groupby(["config_key", "provenance_key"]).started_at.max().reset_index()
    newest = starts.sort_values("started_at").drop_duplicates("config_key", keep="last")
    chosen = frame.set_index(["config_key", "provenance_key"]).index.isin(
        newest.set_index(["config_key", "provenance_key"]).index
    )
    return frame[chosen], frame[~chosen]


def short(field: str, value) -> str:
    value = plain(value)
    if value is None:
        return "none"
    return (
        str(value)[:7] if field in ("git_commit", "git_diff", "backend_files", "data_sha256") else str(value)
    )


def provenance_difference(earlier: Mapping, now: Mapping) -> str:
    """In words, the first thing that differs between an earlier run's provenance and now's."""
    for field in PROVENANCE:
        before, after = plain(earlier.get(field)), plain(now.get(field))
        if before != after:
            if field == "git_diff":
                return "with other uncommitted changes" if after else "with uncommitted changes"
            if field == "backend_files":
                return "with other contents of the files its options name"
            return f"with {field} {short(field, before)} (now {short(field, after)})"
    return "with the same provenance"
